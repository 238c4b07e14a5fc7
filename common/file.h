/* common/file.h -- reading an input file whole without ever blocking: opened non-blocking,
   checked to be a regular file and size-capped before a byte is read. */
#ifndef MXLAB_FILE_H
#define MXLAB_FILE_H

#include <stddef.h>

/* Largest zone file (and each $INCLUDEd file, and all of a zone's files together) read. */
#define FILE_ZONE_MAX (256UL << 20)
/* Largest fault rules file read (the control API's body limit is the same). */
#define FILE_RULES_MAX (16UL << 20)

/* Read the regular file at path, at most max bytes, into a new NUL-terminated buffer (*bufp,
   caller frees; *lenp its length without the NUL). The file is opened O_NONBLOCK, so a FIFO
   or a device never blocks the caller; anything but a regular file, or a file larger than
   max, is refused before it is read. 0, or -1 with the reason (no path) in err. */
int file_read(const char *path, size_t max, char **bufp, size_t *lenp, char *err, size_t errlen);

/* Open path for appending or writing (trunc) without blocking: O_NONBLOCK at open, so a FIFO
   with no reader fails at once instead of hanging. Returns the descriptor or -1 (errno). */
int file_open_write(const char *path, int trunc);

#endif
