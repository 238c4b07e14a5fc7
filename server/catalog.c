/* server/catalog.c -- the scenario catalog (zones/catalog.tsv) for the dashboard: parsing it,
   and the scope of names whose fault rules are a scenario's break/fix switch. */
#include "server/catalog.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/zone.h"

/* Copy field f (n bytes) into out, "-" becoming "". */
static int
field_copy(char *out, size_t outlen, const char *f, size_t n)
{
	if (n >= outlen)
		return -1;
	if (n == 1 && f[0] == '-')
		n = 0;
	memcpy(out, f, n);
	out[n] = '\0';
	return 0;
}

int
catalog_parse(struct catalog *c, const char *file, const char *text, char *err, size_t errlen)
{
	const char *p = text;
	unsigned long line = 0;
	struct catalog_entry *v = NULL;
	size_t n = 0, cap = 0;

	c->v = NULL;
	c->n = 0;
	while (*p) {
		const char *eol = p + strcspn(p, "\n");
		size_t len = (size_t)(eol - p);
		const char *f[5];
		size_t fl[5], nf = 0;
		const char *q = p;
		struct catalog_entry *e;

		line++;
		if (len && p[len - 1] == '\r')
			len--;
		if (len == 0 || p[0] == '#')
			goto next;
		while (nf < 5) {
			const char *tab = memchr(q, '\t', (size_t)(p + len - q));
			const char *end = (tab && nf < 4) ? tab : p + len;
			f[nf] = q;
			fl[nf] = (size_t)(end - q);
			nf++;
			if (end == p + len)
				break;
			q = end + 1;
		}
		if (nf < 5) {
			snprintf(err, errlen,
			         "%s:%lu: expected 5 tab-separated fields (target, flags, verdict, "
			         "codes, title), found %zu",
			         file, line, nf);
			goto fail;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct catalog_entry *nv = realloc(v, ncap * sizeof(*v));
			if (nv == NULL) {
				snprintf(err, errlen, "%s:%lu: out of memory", file, line);
				goto fail;
			}
			v = nv;
			cap = ncap;
		}
		e = &v[n];
		memset(e, 0, sizeof(*e));
		e->line = line;
		if (fl[0] == 0 || field_copy(e->target, sizeof(e->target), f[0], fl[0]) < 0 ||
		    field_copy(e->flags, sizeof(e->flags), f[1], fl[1]) < 0 ||
		    field_copy(e->verdict, sizeof(e->verdict), f[2], fl[2]) < 0 ||
		    field_copy(e->codes, sizeof(e->codes), f[3], fl[3]) < 0 ||
		    field_copy(e->title, sizeof(e->title), f[4], fl[4]) < 0) {
			snprintf(err, errlen, "%s:%lu: empty target or a field too long", file,
			         line);
			goto fail;
		}
		n++;
	next:
		p = *eol ? eol + 1 : eol;
	}
	c->v = v;
	c->n = n;
	return 0;
fail:
	free(v);
	return -1;
}

void
catalog_free(struct catalog *c)
{
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

/* name lower-cased with a trailing dot into out. */
static void
canon(const char *name, char *out, size_t len)
{
	size_t n = 0;

	for (const char *p = name; *p && n + 2 < len; p++)
		out[n++] = (char)tolower((unsigned char)*p);
	if (n == 0 || out[n - 1] != '.')
		out[n++] = '.';
	out[n] = '\0';
}

/* Is name (canonical) at or below zone (canonical)? */
static bool
name_in(const char *name, const char *zone)
{
	size_t nl = strlen(name), zl = strlen(zone);

	if (strcmp(zone, ".") == 0)
		return true;
	if (nl < zl || strcmp(name + nl - zl, zone) != 0)
		return false;
	return nl == zl || name[nl - zl - 1] == '.';
}

void
catalog_scope(const char *target, const struct zoneset *zs, char *out, size_t len, bool *exact)
{
	unsigned char a[16];
	char name[1100];
	size_t best = 0;

	if (inet_pton(AF_INET, target, a) == 1) {
		snprintf(out, len, "%u.%u.%u.%u.in-addr.arpa.", a[3], a[2], a[1], a[0]);
		*exact = true;
		return;
	}
	if (inet_pton(AF_INET6, target, a) == 1) {
		static const char hex[] = "0123456789abcdef";
		char buf[80];
		size_t o = 0;
		for (int i = 15; i >= 0; i--) {
			buf[o++] = hex[a[i] & 15];
			buf[o++] = '.';
			buf[o++] = hex[a[i] >> 4];
			buf[o++] = '.';
		}
		buf[o] = '\0';
		snprintf(out, len, "%sip6.arpa.", buf);
		*exact = true;
		return;
	}
	*exact = false;
	canon(target, name, sizeof(name));
	snprintf(out, len, "%s", name);
	for (size_t i = 0; zs && i < zoneset_count(zs); i++) {
		struct zone_info zi;
		char origin[1100];
		zoneset_info(zs, i, &zi);
		canon(zi.origin, origin, sizeof(origin));
		if (strcmp(origin, ".") != 0 && name_in(name, origin) && strlen(origin) > best) {
			best = strlen(origin);
			snprintf(out, len, "%s", origin);
		}
	}
}

bool
catalog_rule_in_scope(const char *rule_text, const char *scope, bool exact)
{
	char pat[1100], name[1100], sc[1100];
	size_t n = strcspn(rule_text, " \t");

	if (n == 0 || n >= sizeof(pat))
		return false;
	memcpy(pat, rule_text, n);
	pat[n] = '\0';
	if (strcmp(pat, "*") == 0)
		return false;
	canon(strncmp(pat, "*.", 2) == 0 ? pat + 2 : pat, name, sizeof(name));
	canon(scope, sc, sizeof(sc));
	if (exact)
		return strcmp(name, sc) == 0;
	return name_in(name, sc);
}
