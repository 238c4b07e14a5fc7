/* server/catalog.h -- the scenario catalog (zones/catalog.tsv) for the dashboard: parsing it,
   and finding which fault rules belong to a scenario. Pure functions, no sockets. */
#ifndef MXLAB_CATALOG_H
#define MXLAB_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

struct zoneset;

/* One catalog line: TARGET FLAGS VERDICT CODES TITLE, tab separated ("-" for none). */
struct catalog_entry {
	char target[256];   /* mail domain or IP address checked */
	char flags[256];    /* mxcheck flags, "" for "-" */
	char verdict[32];   /* expected verdict: deliver, permfail, tempfail, pass */
	char codes[512];    /* expected problem codes, comma separated, "" for "-" */
	char title[512];    /* what the scenario teaches, one line */
	unsigned long line; /* line in the file */
};

struct catalog {
	struct catalog_entry *v; /* entries in file order; owned */
	size_t n;                /* entries in v */
};

/* Parse catalog text (file names it in messages). Lines starting with '#' and blank lines are
   skipped. 0, or -1 with "file:line: message" in err (nothing kept). */
int catalog_parse(struct catalog *c, const char *file, const char *text, char *err, size_t errlen);
void catalog_free(struct catalog *c);

/* Where a scenario's fault rules live. An IP target: exactly its reverse name
   (d.c.b.a.in-addr.arpa. / nibbles.ip6.arpa.), exact true. A domain: the deepest served zone
   of zs enclosing it (zs may be NULL: the target itself), exact false: every name at or
   below. Written into out with a trailing dot, lower case. */
void catalog_scope(const char *target, const struct zoneset *zs, char *out, size_t len,
                   bool *exact);

/* Does the fault rule (its text as written: NAME TYPE ACTION...) name something inside scope?
   A "*.x." pattern counts as x.; a lone "*" belongs to no scenario. */
bool catalog_rule_in_scope(const char *rule_text, const char *scope, bool exact);

#endif
