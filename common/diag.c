/* common/diag.c -- collected diagnostics "file:line: severity: message" for loaders and linters. */
#include "common/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void
diag_init(struct diag *d)
{
	memset(d, 0, sizeof(*d));
}

void
diag_free(struct diag *d)
{
	if (d == NULL)
		return;
	free(d->v);
	memset(d, 0, sizeof(*d));
}

const char *
diag_severity_name(enum diag_severity sev)
{
	switch (sev) {
	case DIAG_INFO:
		return "info";
	case DIAG_WARNING:
		return "warning";
	case DIAG_ERROR:
		return "error";
	}
	return "error";
}

void
diag_add(struct diag *d, enum diag_severity sev, const char *file, unsigned long line,
         const char *code, const char *fmt, ...)
{
	struct diag_entry *e;
	va_list ap;

	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 16;
		struct diag_entry *nv = realloc(d->v, ncap * sizeof(*nv));
		if (nv == NULL)
			return;
		d->v = nv;
		d->cap = ncap;
	}
	e = &d->v[d->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->file, sizeof(e->file), "%s", file ? file : "");
	e->line = line;
	e->severity = sev;
	snprintf(e->code, sizeof(e->code), "%s", code ? code : "");
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (sev == DIAG_ERROR)
		d->errors++;
	else if (sev == DIAG_WARNING)
		d->warnings++;
}

static void
format_entry(const struct diag_entry *e, int with_sev, char *buf, size_t len)
{
	char where[300] = "";

	if (e->file[0] && e->line)
		snprintf(where, sizeof(where), "%s:%lu: ", e->file, e->line);
	else if (e->file[0])
		snprintf(where, sizeof(where), "%s: ", e->file);
	snprintf(buf, len, "%s%s%s%s%s%s", where, with_sev ? diag_severity_name(e->severity) : "",
	         with_sev ? ": " : "", e->msg, e->code[0] ? " [" : "", e->code[0] ? e->code : "");
	if (e->code[0] && strlen(buf) + 1 < len)
		strcat(buf, "]");
}

void
diag_format(const struct diag *d, size_t i, char *buf, size_t len)
{
	if (i >= d->n) {
		if (len)
			buf[0] = '\0';
		return;
	}
	format_entry(&d->v[i], 1, buf, len);
}

void
diag_print(const struct diag *d, FILE *fp)
{
	char buf[1024];

	for (size_t i = 0; i < d->n; i++) {
		diag_format(d, i, buf, sizeof(buf));
		fprintf(fp, "%s\n", buf);
	}
}

void
diag_first_error(const struct diag *d, char *buf, size_t len)
{
	if (len == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < d->n; i++) {
		if (d->v[i].severity == DIAG_ERROR) {
			format_entry(&d->v[i], 0, buf, len);
			return;
		}
	}
}

void
diag_all_errors(const struct diag *d, char *buf, size_t len)
{
	size_t used = 0;

	if (len < 8)
		return diag_first_error(d, buf, len);
	buf[0] = '\0';
	for (size_t i = 0; i < d->n; i++) {
		char one[1024];
		size_t ol;
		if (d->v[i].severity != DIAG_ERROR)
			continue;
		format_entry(&d->v[i], 0, one, sizeof(one));
		ol = strlen(one);
		if (used + (used ? 2 : 0) + ol + 6 >= len) {
			if (used == 0) {
				snprintf(buf, len, "%s", one);
			} else {
				snprintf(buf + used, len - used, "; ...");
			}
			return;
		}
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "; " : "", one);
	}
}
