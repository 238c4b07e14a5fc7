/* server/zoneerr.h -- zone file error messages that say what was wrong: the scanner's error
   with the token it tripped on quoted, and binary files told apart from text. Pure functions. */
#ifndef MXLAB_ZONEERR_H
#define MXLAB_ZONEERR_H

#include <stdbool.h>
#include <stddef.h>

/* The message for libzscanner error code (its text msg) on the line line (len bytes, no
   newline; NULL when unknown) into out: "unsupported record type 'MXX'", "invalid IPv4
   address '1.2.3.999'" -- the type for a type error, the owner for an owner error, a
   directive's argument, else the record data. */
void zoneerr_describe(int code, const char *msg, const char *line, size_t len, char *out,
                      size_t outlen);

/* Is text (len bytes) binary rather than zone file text (a NUL or another control byte but
   tab, CR, LF and form feed)? Then *line is the line of the first such byte and *byte it. */
bool zoneerr_binary(const char *text, size_t len, unsigned long *line, unsigned *byte);

/* Line n (1-based) of text (len bytes): its start, and its length in *linelen; NULL when the
   text has fewer lines. */
const char *zoneerr_line(const char *text, size_t len, unsigned long n, size_t *linelen);

#endif
