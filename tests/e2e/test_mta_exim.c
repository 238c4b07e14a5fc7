/* tests/e2e/test_mta_exim.c -- the exim profile against the real Exim: every domain scenario of
   zones/catalog.tsv is routed by exim4 -bt (Debian's "internet" configuration, libc resolver)
   and by mxcheck --mta exim inside a private network namespace where bin/mxlabd serves zones/
   on 127.0.0.1:53 (tests/e2e/exim_bt.sh). Verdicts, the usable hosts and their order must agree,
   and the catalog's exim column must be what Exim said. Skips loudly without exim4 or
   namespaces. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/support.h"

#define EX_MAX   128  /* scenarios */
#define EX_FIELD 1024 /* longest field */

/* One scenario compared. */
struct ex_case {
	char target[256];          /* catalog target */
	char flags[256];           /* catalog flags ("-" for none) */
	char want[32];             /* the catalog's exim column */
	char exim[32];             /* Exim's verdict */
	char exim_hosts[EX_FIELD]; /* Exim's usable hosts, "pref name addr;..." */
	char mx[32];               /* mxcheck --mta exim verdict */
	char mx_hosts[EX_FIELD];   /* mxcheck's usable hosts, same form */
	bool seen_exim;            /* an EXIM line came back */
	bool seen_mx;              /* a MXCHECK line came back */
};

/* Flags exim4 -bt cannot be told about: the scenario is not compared. */
static bool
not_comparable(const char *flags)
{
	static const char bad[][8] = {"--ip", "--self", "-4", "-6"};
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", flags);
	for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			if (strcmp(t, bad[i]) == 0)
				return true;
	return false;
}

/* Domain scenarios of the catalog that Exim can be asked about. */
static size_t
read_cases(struct ex_case *v, size_t max, char *skipped, size_t sklen)
{
	FILE *fp = fopen(test_src("zones/catalog.tsv"), "r");
	char line[4096];
	size_t n = 0;

	cr_assert_not_null(fp, "zones/catalog.tsv");
	skipped[0] = '\0';
	while (fgets(line, sizeof(line), fp)) {
		char *f[7], *p = line, *save = NULL;
		size_t nf = 0;

		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		for (char *t = strtok_r(p, "\t", &save); t && nf < 7;
		     t = strtok_r(NULL, "\t", &save))
			f[nf++] = t;
		cr_assert_eq(nf, 7, "catalog.tsv: a line with %zu fields", nf);
		if (not_comparable(f[1])) {
			size_t l = strlen(skipped);
			snprintf(skipped + l, sklen - l, " %s", f[0]);
			continue;
		}
		cr_assert_lt(n, max);
		memset(&v[n], 0, sizeof(v[n]));
		snprintf(v[n].target, sizeof(v[n].target), "%s", f[0]);
		snprintf(v[n].flags, sizeof(v[n].flags), "%s", f[1]);
		snprintf(v[n].want, sizeof(v[n].want), "%s", f[5]);
		n++;
	}
	fclose(fp);
	return n;
}

/* "pref name addr;..." of the usable addresses of a mxcheck JSON result, in its order; the
   name is the canonical one (end of the CNAME chain), as Exim prints it. */
static void
json_hosts(json_t *j, char *out, size_t len)
{
	json_t *routes = json_object_get(j, "route"), *rt;
	bool implicit = json_is_true(json_object_get(j, "implicit_mx"));
	size_t i, used = 0;

	out[0] = '\0';
	json_array_foreach(routes, i, rt)
	{
		json_t *chain = json_object_get(rt, "cname_chain"), *addrs, *a;
		const char *name = json_string_value(json_object_get(rt, "exchange"));
		char host[300], pref[16];
		size_t k;

		if (json_array_size(chain) > 0)
			name = json_string_value(json_array_get(chain, json_array_size(chain) - 1));
		snprintf(host, sizeof(host), "%s", name ? name : "?");
		if (host[0] && host[strlen(host) - 1] == '.')
			host[strlen(host) - 1] = '\0';
		if (implicit)
			snprintf(pref, sizeof(pref), "-");
		else
			snprintf(pref, sizeof(pref), "%lld",
			         (long long)json_integer_value(json_object_get(rt, "preference")));
		addrs = json_object_get(rt, "addresses");
		json_array_foreach(addrs, k, a)
		{
			if (!json_is_true(json_object_get(a, "usable")))
				continue;
			used += (size_t)snprintf(out + used, len > used ? len - used : 0,
			                         "%s%s %s %s", used ? ";" : "", pref, host,
			                         json_string_value(json_object_get(a, "address")));
		}
	}
}

/* One host entry of a list, for sorting. */
struct ex_entry {
	long pref;      /* preference, -1 for the implicit MX */
	char name[300]; /* host name */
	size_t pos;     /* position in the list (keeps a host's address order) */
	char text[400]; /* the entry */
};

static int
entry_cmp(const void *pa, const void *pb)
{
	const struct ex_entry *a = pa, *b = pb;
	int c;

	if (a->pref != b->pref)
		return a->pref < b->pref ? -1 : 1;
	if ((c = strcmp(a->name, b->name)) != 0)
		return c;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* Equal preferences are shuffled by both: sort by (preference, host) keeping each host's
   address order, so only what both promise is compared. */
static void
canonical(const char *list, char *out, size_t len)
{
	static struct ex_entry e[64];
	char buf[EX_FIELD], *save = NULL;
	size_t n = 0, used = 0;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, ";", &save); t && n < 64; t = strtok_r(NULL, ";", &save)) {
		char p[32] = "", name[300] = "";
		if (sscanf(t, "%31s %299s", p, name) != 2)
			continue;
		e[n].pref = strcmp(p, "-") == 0 ? -1 : atol(p);
		snprintf(e[n].name, sizeof(e[n].name), "%s", name);
		snprintf(e[n].text, sizeof(e[n].text), "%s", t);
		e[n].pos = n;
		n++;
	}
	qsort(e, n, sizeof(e[0]), entry_cmp);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(out + used, len > used ? len - used : 0, "%s%s",
		                         i ? ";" : "", e[i].text);
}

static struct ex_case *
find_case(struct ex_case *v, size_t n, const char *target)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].target, target) == 0)
			return &v[i];
	return NULL;
}

Test(e2e_mta_exim, exim_profile_routes_every_catalog_scenario_as_real_exim, .timeout = 300)
{
	static struct ex_case v[EX_MAX];
	static char out[1 << 20], report[1 << 16], skipped[4096];
	char dir[4096], list[4200], script[4096], zones[4096], bin[4096];
	size_t n = read_cases(v, EX_MAX, skipped, sizeof(skipped)), good = 0, used = 0;
	FILE *fp;
	int rc;

	test_tmpdir(dir, sizeof(dir));
	snprintf(list, sizeof(list), "%s/scenarios", dir);
	fp = fopen(list, "w");
	cr_assert_not_null(fp);
	for (size_t i = 0; i < n; i++)
		fprintf(fp, "%s\t%s\n", v[i].target, v[i].flags);
	fclose(fp);
	snprintf(script, sizeof(script), "%s", test_src("tests/e2e/exim_bt.sh"));
	snprintf(zones, sizeof(zones), "%s", test_src("zones"));
	snprintf(bin, sizeof(bin), "%s", test_bin("mxcheck"));
	*strrchr(bin, '/') = '\0';
	{
		const char *const argv[] = {"/bin/bash", script, bin, zones, list, NULL};
		rc = test_run(argv, out, sizeof(out), 280000);
	}
	if (rc == 77) {
		fprintf(stderr, "\n*** e2e_mta_exim SKIPPED: %s***\n\n", out);
		cr_skip_test("%s", out);
	}
	cr_assert_eq(rc, 0, "exim_bt.sh exit %d:\n%.2000s", rc, out);

	for (char *save = NULL, *l = strtok_r(out, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		char *f[4] = {NULL, NULL, NULL, NULL}, *s2 = NULL;
		struct ex_case *c;
		size_t nf = 0;
		for (char *t = strtok_r(l, "\t", &s2); t && nf < 4;
		     t = nf == 2 ? strtok_r(NULL, "", &s2) : strtok_r(NULL, "\t", &s2))
			f[nf++] = t;
		if (nf < 3 || (c = find_case(v, n, f[1])) == NULL)
			continue;
		if (strcmp(f[0], "EXIM") == 0) {
			char *tab = strchr(f[2], '\t');
			if (tab)
				*tab++ = '\0';
			c->seen_exim = true;
			snprintf(c->exim, sizeof(c->exim), "%s", f[2]);
			canonical(tab ? tab : "", c->exim_hosts, sizeof(c->exim_hosts));
		} else if (strcmp(f[0], "MXCHECK") == 0) {
			char *tab = strchr(f[2], '\t'), hosts[EX_FIELD];
			json_error_t jerr;
			json_t *j = tab ? json_loads(tab + 1, JSON_DISABLE_EOF_CHECK, &jerr) : NULL;
			c->seen_mx = true;
			if (j == NULL) {
				snprintf(c->mx, sizeof(c->mx), "no-json");
				continue;
			}
			snprintf(c->mx, sizeof(c->mx), "%s",
			         json_string_value(json_object_get(j, "verdict")));
			json_hosts(j, hosts, sizeof(hosts));
			canonical(hosts, c->mx_hosts, sizeof(c->mx_hosts));
			json_decref(j);
		}
	}

	report[0] = '\0';
	used = (size_t)snprintf(report, sizeof(report), "%-26s %-9s %-9s %-9s %s\n", "SCENARIO",
	                        "CATALOG", "EXIM", "MXCHECK", "HOSTS");
	for (size_t i = 0; i < n; i++) {
		struct ex_case *c = &v[i];
		bool ok = c->seen_exim && c->seen_mx && strcmp(c->exim, c->want) == 0 &&
		          strcmp(c->mx, c->exim) == 0 && strcmp(c->mx_hosts, c->exim_hosts) == 0;
		good += ok;
		used += (size_t)snprintf(
		    report + used, sizeof(report) > used ? sizeof(report) - used : 0,
		    "%-26s %-9s %-9s %-9s %s\n", c->target, c->want, c->seen_exim ? c->exim : "-",
		    c->seen_mx ? c->mx : "-", ok ? "same" : "DIFFERENT");
		if (!ok && strcmp(c->mx_hosts, c->exim_hosts) != 0)
			used += (size_t)snprintf(
			    report + used, sizeof(report) > used ? sizeof(report) - used : 0,
			    "    exim:    %s\n    mxcheck: %s\n", c->exim_hosts, c->mx_hosts);
	}
	fprintf(stderr,
	        "e2e_mta_exim: %zu of %zu scenarios agree with exim4 -bt (not comparable, "
	        "flags Exim cannot take:%s)\n",
	        good, n, skipped);
	if (good != n || getenv("MXLAB_SHOW_EXIM"))
		fprintf(stderr, "%s", report);
	cr_assert_eq(good, n, "%zu of %zu scenarios agree with Exim:\n%.6000s", good, n, report);
}
