/* common/diag.h -- collected diagnostics "file:line: severity: message" for loaders and linters. */
#ifndef MXLAB_DIAG_H
#define MXLAB_DIAG_H

#include <stddef.h>
#include <stdio.h>

enum diag_severity { DIAG_INFO, DIAG_WARNING, DIAG_ERROR };

struct diag_entry {
	char file[256];              /* file the problem is in ("" when none) */
	unsigned long line;          /* 1-based line, 0 when not tied to a line */
	enum diag_severity severity; /* info, warning or error */
	char code[32]; /* stable code (mxcheck names for lints), "" for plain errors */
	char msg[384]; /* human-readable message */
};

struct diag {
	struct diag_entry *v; /* entries in the order reported; owned */
	size_t n;             /* entries used */
	size_t cap;           /* entries allocated */
	size_t errors;        /* count of DIAG_ERROR entries */
	size_t warnings;      /* count of DIAG_WARNING entries */
};

void diag_init(struct diag *d);
void diag_free(struct diag *d);
/* Record one problem. code may be NULL. */
void diag_add(struct diag *d, enum diag_severity sev, const char *file, unsigned long line,
              const char *code, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* "file:line: severity: message [code]" for entry i into buf. */
void diag_format(const struct diag *d, size_t i, char *buf, size_t len);
/* Print every entry, one per line. */
void diag_print(const struct diag *d, FILE *fp);
/* The first error formatted as "file:line: message" (for char *err, size_t errlen APIs). */
void diag_first_error(const struct diag *d, char *buf, size_t len);
/* Every error so formatted, joined by "; " (cut with "; ..." when buf is full). */
void diag_all_errors(const struct diag *d, char *buf, size_t len);
const char *diag_severity_name(enum diag_severity sev);

#endif
