/* tests/e2e/test_mta_real.c -- the MTA profiles against the real MTAs. Every domain scenario
   of zones/catalog.tsv is routed inside a private network namespace where bin/mxlabd serves
   zones/ on 127.0.0.1:53:
   - e2e_mta_exim: by exim4 -bt (Debian's "internet" configuration, libc resolver;
     tests/e2e/exim_bt.sh) and by mxcheck --mta exim: verdicts, usable hosts and their order
     (by preference; equal preferences are shuffled by both) must agree;
   - e2e_mta_postfix: by posttls-finger from the unpacked Debian postfix package
     (tests/e2e/postfix_finger.sh) and by mxcheck --mta postfix: verdicts and the set of
     addresses tried must agree.
   The catalog's exim and postfix columns must be what the MTA said. Each skips loudly when its
   MTA or namespaces are not available. */
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
read_cases(struct ex_case *v, size_t max, char *skipped, size_t sklen, int column)
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
		/* the lab's world rows need mxlabd --world behind a resolver: test_lab.c */
		if (strncmp(f[1], "world", 5) == 0 && (f[1][5] == ' ' || f[1][5] == '\0'))
			continue;
		if (not_comparable(f[1])) {
			size_t l = strlen(skipped);
			snprintf(skipped + l, sklen - l, " %s", f[0]);
			continue;
		}
		cr_assert_lt(n, max);
		memset(&v[n], 0, sizeof(v[n]));
		snprintf(v[n].target, sizeof(v[n].target), "%s", f[0]);
		snprintf(v[n].flags, sizeof(v[n].flags), "%s", f[1]);
		snprintf(v[n].want, sizeof(v[n].want), "%s", f[column]);
		n++;
	}
	fclose(fp);
	return n;
}

/* "pref name addr;..." of the usable addresses of a mxcheck JSON result, in its order; with
   canon the name is the canonical one (end of the CNAME chain), as Exim prints it, else the
   exchange (Postfix). */
static void
json_hosts(json_t *j, char *out, size_t len, bool canon)
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

		if (canon && json_array_size(chain) > 0)
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
	char name[400]; /* host name (with the address in set mode) */
	size_t pos;     /* position in the list (keeps a host's address order) */
	char text[480]; /* the entry */
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
   address order, so only what both promise is compared. With set, the preference is dropped
   and the entries are sorted and made unique (posttls-finger prints no preference, tries a
   duplicate MX twice and picks the address family at random). */
static void
canonical(const char *list, char *out, size_t len, bool set)
{
	static struct ex_entry e[64];
	char buf[EX_FIELD], *save = NULL;
	size_t n = 0, used = 0;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, ";", &save); t && n < 64; t = strtok_r(NULL, ";", &save)) {
		char p[32] = "", name[300] = "", addr[64] = "";
		if (set) {
			if (sscanf(t, "%299s %63s", name, addr) != 2)
				continue;
			if (strchr(t, ' ') != strrchr(t, ' ')) /* "pref name addr" from mxcheck */
				sscanf(t, "%31s %299s %63s", p, name, addr);
			e[n].pref = 0;
			snprintf(e[n].name, sizeof(e[n].name), "%s %s", name, addr);
			snprintf(e[n].text, sizeof(e[n].text), "%s %s", name, addr);
			e[n].pos = 0;
		} else {
			if (sscanf(t, "%31s %299s", p, name) != 2)
				continue;
			e[n].pref = strcmp(p, "-") == 0 ? -1 : atol(p);
			snprintf(e[n].name, sizeof(e[n].name), "%s", name);
			snprintf(e[n].text, sizeof(e[n].text), "%s", t);
			e[n].pos = n;
		}
		n++;
	}
	qsort(e, n, sizeof(e[0]), entry_cmp);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (set && i > 0 && strcmp(e[i].text, e[i - 1].text) == 0)
			continue;
		used += (size_t)snprintf(out + used, len > used ? len - used : 0, "%s%s",
		                         used ? ";" : "", e[i].text);
	}
}

static struct ex_case *
find_case(struct ex_case *v, size_t n, const char *target)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].target, target) == 0)
			return &v[i];
	return NULL;
}

/* One real MTA compared. */
struct real_mta {
	const char *suite;  /* test suite name, for messages */
	const char *script; /* helper script under tests/e2e/ */
	const char *tag;    /* its output lines for the MTA ("EXIM", "POSTFIX") */
	int column;         /* catalog column of the expected verdict (0-based) */
	bool set;           /* compare the addresses as a set (no preference, no order) */
	bool canon;         /* the MTA names hosts by their canonical name */
	const char *exempt; /* a scenario the tool cannot show as the MTA would, or NULL */
	const char *why;    /* why */
};

static void
compare_with(const struct real_mta *mta)
{
	static struct ex_case v[EX_MAX];
	static char out[1 << 20], report[1 << 16], skipped[4096];
	char dir[4096], list[4200], script[4096], zones[4096], bin[4096];
	size_t n = read_cases(v, EX_MAX, skipped, sizeof(skipped), mta->column), good = 0, used = 0;
	FILE *fp;
	int rc;

	test_tmpdir(dir, sizeof(dir));
	snprintf(list, sizeof(list), "%s/scenarios", dir);
	fp = fopen(list, "w");
	cr_assert_not_null(fp);
	for (size_t i = 0; i < n; i++)
		fprintf(fp, "%s\t%s\n", v[i].target, v[i].flags);
	fclose(fp);
	snprintf(script, sizeof(script), "%s/tests/e2e/%s", test_src(""), mta->script);
	snprintf(zones, sizeof(zones), "%s", test_src("zones"));
	snprintf(bin, sizeof(bin), "%s", test_bin("mxcheck"));
	*strrchr(bin, '/') = '\0';
	{
		const char *const argv[] = {"/bin/bash", script, bin, zones, list, NULL};
		rc = test_run(argv, out, sizeof(out), 280000);
	}
	if (rc == 77) {
		fprintf(stderr, "\n*** %s SKIPPED: %s***\n\n", mta->suite, out);
		cr_skip_test("%s", out);
	}
	cr_assert_eq(rc, 0, "%s exit %d:\n%.2000s", mta->script, rc, out);

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
		if (strcmp(f[0], mta->tag) == 0) {
			char *tab = strchr(f[2], '\t');
			if (tab)
				*tab++ = '\0';
			c->seen_exim = true;
			snprintf(c->exim, sizeof(c->exim), "%s", f[2]);
			canonical(tab ? tab : "", c->exim_hosts, sizeof(c->exim_hosts), mta->set);
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
			json_hosts(j, hosts, sizeof(hosts), mta->canon);
			canonical(hosts, c->mx_hosts, sizeof(c->mx_hosts), mta->set);
			json_decref(j);
		}
	}

	report[0] = '\0';
	used = (size_t)snprintf(report, sizeof(report), "%-26s %-9s %-9s %-9s %s\n", "SCENARIO",
	                        "CATALOG", mta->tag, "MXCHECK", "HOSTS");
	for (size_t i = 0; i < n; i++) {
		struct ex_case *c = &v[i];
		bool ok;
		if (mta->exempt && strcmp(c->target, mta->exempt) == 0) {
			used += (size_t)snprintf(report + used,
			                         sizeof(report) > used ? sizeof(report) - used : 0,
			                         "%-26s %-9s %-9s %-9s not compared: %s\n",
			                         c->target, c->want, c->exim, c->mx, mta->why);
			good++;
			continue;
		}
		ok = c->seen_exim && c->seen_mx && strcmp(c->exim, c->want) == 0 &&
		     strcmp(c->mx, c->exim) == 0 && strcmp(c->mx_hosts, c->exim_hosts) == 0;
		good += ok;
		used += (size_t)snprintf(
		    report + used, sizeof(report) > used ? sizeof(report) - used : 0,
		    "%-26s %-9s %-9s %-9s %s\n", c->target, c->want, c->seen_exim ? c->exim : "-",
		    c->seen_mx ? c->mx : "-", ok ? "same" : "DIFFERENT");
		if (!ok && strcmp(c->mx_hosts, c->exim_hosts) != 0)
			used += (size_t)snprintf(
			    report + used, sizeof(report) > used ? sizeof(report) - used : 0,
			    "    mta:     %s\n    mxcheck: %s\n", c->exim_hosts, c->mx_hosts);
	}
	fprintf(stderr,
	        "%s: %zu of %zu scenarios agree with the real MTA (not comparable, flags it "
	        "cannot take:%s)\n",
	        mta->suite, good, n, skipped);
	if (good != n || getenv("MXLAB_SHOW_MTA"))
		fprintf(stderr, "%s", report);
	cr_assert_eq(good, n, "%zu of %zu scenarios agree:\n%.6000s", good, n, report);
}

Test(e2e_mta_exim, exim_profile_routes_every_catalog_scenario_as_real_exim, .timeout = 300)
{
	static const struct real_mta exim = {"e2e_mta_exim", "exim_bt.sh", "EXIM", 5,
	                                     false,          true,         NULL,   NULL};
	compare_with(&exim);
}

Test(e2e_mta_postfix, postfix_profile_routes_every_catalog_scenario_as_real_postfix, .timeout = 300)
{
	static const struct real_mta postfix = {
	    "e2e_mta_postfix",
	    "postfix_finger.sh",
	    "POSTFIX",
	    4,
	    true,
	    false,
	    "mx-loopback.test",
	    "posttls-finger has no self check; Postfix's smtp client bounces \"mail for ... loops "
	    "back to myself\" (inet_interfaces = all holds 127.0.0.1 and ::1)"};
	compare_with(&postfix);
}
