/* tests/e2e/test_catalog.c -- the bundled catalog end to end: bin/mxlabd serves zones/, and
   bin/mxcheck must give every scenario of zones/catalog.tsv its expected verdict, exit status,
   exact set of problem codes and the JSON recorded in tests/golden/catalog/<target>.json, and
   the verdict recorded for each MTA profile (--mta postfix, --mta exim).
   Regenerate the golden files with MXLAB_UPDATE_GOLDEN=1 and a filter on this suite (see
   zones/README.md), then review the diff. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/support.h"

#define CAT_MAX   256 /* scenarios the test can hold */
#define CAT_FIELD 512 /* longest field */

/* One line of catalog.tsv. */
struct cat_line {
	unsigned long lineno;   /* line in catalog.tsv */
	char target[CAT_FIELD]; /* domain, address or name checked */
	char flags[CAT_FIELD];  /* mxcheck flags, space-separated, "-" for none */
	char verdict[32];       /* deliver, tempfail, permfail or pass */
	char codes[CAT_FIELD];  /* problem codes, sorted, comma-separated, "-" for none */
	char postfix[32];       /* verdict with --mta postfix */
	char exim[32];          /* verdict with --mta exim */
	char title[CAT_FIELD];  /* one-line description */
};

/* Every problem code of the mxcheck contract (spec "Problem codes"). */
static const char spec_codes[][32] = {
    "nxdomain",
    "no-mail-records",
    "null-mx",
    "null-mx-mixed",
    "null-mx-bad-preference",
    "implicit-mx",
    "domain-cname",
    "mx-ip-literal",
    "mx-bad-name",
    "mx-duplicate",
    "mx-cname",
    "mx-host-nxdomain",
    "mx-host-nodata",
    "mx-host-tempfail",
    "mx-host-wrong-family",
    "mx-address-unroutable",
    "mx-address-private",
    "no-usable-mx",
    "primary-mx-v6-only",
    "self-loop",
    "no-primary-relay",
    "cname-loop",
    "dns-servfail",
    "dns-refused",
    "dns-notimp",
    "dns-formerr",
    "dns-timeout",
    "dns-truncated",
    "dns-tcp-failed",
    "dns-not-authoritative",
    "ptr-missing",
    "ptr-tempfail",
    "ptr-numeric",
    "ptr-multiple",
    "ptr-cname",
    "ptr-target-nxdomain",
    "fcrdns-mismatch",
    "fcrdns-tempfail",
    "ptr-not-mx-name",
    "helo-mismatch",
};

/* Read catalog.tsv into v (at most max lines); fails the test on a malformed line. */
static size_t
cat_read(struct cat_line *v, size_t max)
{
	char path[4096];
	FILE *fp;
	char buf[4096];
	size_t n = 0;
	unsigned long lineno = 0;

	snprintf(path, sizeof(path), "%s", test_src("zones/catalog.tsv"));
	fp = fopen(path, "r");
	cr_assert_not_null(fp, "%s: %s", path, strerror(errno));
	while (fgets(buf, sizeof(buf), fp)) {
		char *field[8], *p = buf, *tab;
		size_t nf = 0;

		lineno++;
		buf[strcspn(buf, "\r\n")] = '\0';
		if (buf[0] == '\0' || buf[0] == '#')
			continue;
		while (nf < 8) {
			field[nf++] = p;
			if ((tab = strchr(p, '\t')) == NULL)
				break;
			*tab = '\0';
			p = tab + 1;
		}
		cr_assert_eq(nf, 7, "catalog.tsv:%lu: %zu fields, want 7 (tab-separated)", lineno,
		             nf);
		/* lab world rows ("world" flags) run through a resolver: test_lab.c */
		if (strncmp(field[1], "world", 5) == 0 &&
		    (field[1][5] == ' ' || field[1][5] == '\0'))
			continue;
		cr_assert_lt(n, max, "catalog.tsv: more than %zu scenarios", max);
		for (size_t i = 0; i < 7; i++)
			cr_assert(field[i][0] != '\0' && strlen(field[i]) < CAT_FIELD,
			          "catalog.tsv:%lu: field %zu empty or too long", lineno, i + 1);
		v[n].lineno = lineno;
		snprintf(v[n].target, CAT_FIELD, "%s", field[0]);
		snprintf(v[n].flags, CAT_FIELD, "%s", field[1]);
		snprintf(v[n].verdict, sizeof(v[n].verdict), "%s", field[2]);
		snprintf(v[n].codes, CAT_FIELD, "%s", field[3]);
		snprintf(v[n].postfix, sizeof(v[n].postfix), "%s", field[4]);
		snprintf(v[n].exim, sizeof(v[n].exim), "%s", field[5]);
		snprintf(v[n].title, CAT_FIELD, "%s", field[6]);
		n++;
	}
	fclose(fp);
	return n;
}

/* code appears in the comma-separated list. */
static bool
list_has(const char *list, const char *code)
{
	size_t n = strlen(code);

	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && strncmp(p, code, n) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

Test(e2e_catalog, catalog_is_well_formed)
{
	static struct cat_line v[CAT_MAX];
	size_t n = cat_read(v, CAT_MAX);

	cr_assert_geq(n, 45, "the catalog needs at least 45 scenarios, has %zu", n);
	for (size_t i = 0; i < n; i++) {
		const char *vd = v[i].verdict;
		char prev[64] = "";

		const char *const all[3] = {vd, v[i].postfix, v[i].exim};

		for (size_t k = 0; k < 3; k++)
			cr_assert(
			    strcmp(all[k], "deliver") == 0 || strcmp(all[k], "tempfail") == 0 ||
			        strcmp(all[k], "permfail") == 0 || strcmp(all[k], "pass") == 0,
			    "catalog.tsv:%lu: bad verdict %s", v[i].lineno, all[k]);
		for (size_t k = 0; k < i; k++)
			cr_assert_str_neq(v[k].target, v[i].target,
			                  "catalog.tsv:%lu: target %s repeated (golden files are "
			                  "named by target)",
			                  v[i].lineno, v[i].target);
		if (strcmp(v[i].codes, "-") == 0)
			continue;
		/* sorted, unique, every one a known code */
		for (const char *p = v[i].codes; p;) {
			const char *e = strchr(p, ',');
			char code[64];
			bool known = false;
			snprintf(code, sizeof(code), "%.*s", (int)(e ? (size_t)(e - p) : strlen(p)),
			         p);
			for (size_t k = 0; k < sizeof(spec_codes) / sizeof(spec_codes[0]); k++)
				if (strcmp(spec_codes[k], code) == 0)
					known = true;
			cr_assert(known, "catalog.tsv:%lu: unknown code %s", v[i].lineno, code);
			cr_assert_lt(strcmp(prev, code), 0,
			             "catalog.tsv:%lu: codes not sorted or repeated at %s",
			             v[i].lineno, code);
			snprintf(prev, sizeof(prev), "%s", code);
			p = e ? e + 1 : NULL;
		}
	}
}

Test(e2e_catalog, every_spec_code_appears_in_the_catalog)
{
	static struct cat_line v[CAT_MAX];
	size_t n = cat_read(v, CAT_MAX);

	for (size_t k = 0; k < sizeof(spec_codes) / sizeof(spec_codes[0]); k++) {
		bool found = false;
		for (size_t i = 0; i < n && !found; i++)
			found = list_has(v[i].codes, spec_codes[k]);
		cr_expect(found, "no catalog scenario expects %s", spec_codes[k]);
	}
}

/* Collect the codes of every problem object anywhere in the result, and whether any of them
   is an error or a warning. */
static void
collect_codes(json_t *j, char codes[][48], size_t *n, size_t max, bool *serious)
{
	const char *key;
	json_t *val;
	size_t i;

	if (json_is_object(j)) {
		json_t *code = json_object_get(j, "code");
		json_t *sev = json_object_get(j, "severity");
		if (json_is_string(code) && json_is_string(sev)) {
			bool dup = false;
			for (size_t k = 0; k < *n; k++)
				if (strcmp(codes[k], json_string_value(code)) == 0)
					dup = true;
			if (!dup && *n < max)
				snprintf(codes[(*n)++], 48, "%s", json_string_value(code));
			if (strcmp(json_string_value(sev), "info") != 0)
				*serious = true;
		}
		json_object_foreach(j, key, val) collect_codes(val, codes, n, max, serious);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, val) collect_codes(val, codes, n, max, serious);
	}
}

static int
cmp_code(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Replace every "elapsed_ms" value (at any depth) by 0: the one field that varies by run. */
static void
normalise(json_t *j)
{
	const char *key;
	json_t *val;
	size_t i;

	if (json_is_object(j)) {
		json_object_foreach(j, key, val)
		{
			if (strcmp(key, "elapsed_ms") == 0)
				json_object_set_new(j, key, json_integer(0));
			else
				normalise(val);
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, val) normalise(val);
	}
}

/* Replace "@PORT" (the server we started) in the raw output so golden files do not depend on
   the ephemeral port. */
static void
strip_port(char *s, int port)
{
	char pat[16];
	size_t lp;
	char *p;

	lp = (size_t)snprintf(pat, sizeof(pat), "@%d", port);
	while ((p = strstr(s, pat)) != NULL) {
		const char *rep = "@PORT";
		size_t tail = strlen(p + lp);
		if (p[lp] >= '0' && p[lp] <= '9') /* a longer number: leave it */
			break;
		memmove(p + strlen(rep), p + lp, tail + 1);
		memcpy(p, rep, strlen(rep));
	}
}

/* Compare with (or, with MXLAB_UPDATE_GOLDEN=1, write) the golden file; returns a message
   for the failure report, "" when it matched. */
static const char *
golden_check(const char *target, json_t *got)
{
	static char msg[8192];
	char rel[600], path[4096];
	const char *upd = getenv("MXLAB_UPDATE_GOLDEN");
	json_error_t jerr;
	json_t *want;

	msg[0] = '\0';
	snprintf(rel, sizeof(rel), "tests/golden/catalog/%s.json", target);
	snprintf(path, sizeof(path), "%s", test_src(rel));
	if (upd && strcmp(upd, "1") == 0) {
		char *text = json_dumps(got, JSON_INDENT(2) | JSON_SORT_KEYS);
		FILE *fp = fopen(path, "w");
		if (text == NULL || fp == NULL || fprintf(fp, "%s\n", text) < 0)
			snprintf(msg, sizeof(msg), "cannot write %s", path);
		if (fp)
			fclose(fp);
		free(text);
		return msg;
	}
	want = json_load_file(path, 0, &jerr);
	if (want == NULL) {
		snprintf(msg, sizeof(msg),
		         "no golden file %s (%s); create it with MXLAB_UPDATE_GOLDEN=1", rel,
		         jerr.text);
		return msg;
	}
	if (!json_equal(want, got)) {
		char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
		snprintf(msg, sizeof(msg), "JSON differs from %s; got %.300s", rel, g ? g : "?");
		free(g);
	}
	json_decref(want);
	return msg;
}

/* Exit status the verdict (and the severity of the problems) asks for. */
static int
expected_exit(const char *verdict, bool serious)
{
	if (strcmp(verdict, "permfail") == 0)
		return 69;
	if (strcmp(verdict, "tempfail") == 0)
		return 75;
	return serious ? 1 : 0;
}

/* Run one scenario; append a description of every mismatch to report. Returns true when
   everything matched. */
static bool
run_scenario(const struct cat_line *c, int port, char *report, size_t replen)
{
	static char out[1 << 20];
	char flags[CAT_FIELD], codes[64][48], gotcodes[64 * 48 + 8];
	const char *extra[60];
	size_t nextra = 0, ncodes = 0;
	bool serious = false, ok = true;
	json_error_t jerr;
	json_t *j = NULL, *verdict;
	const char *gmsg;
	char *save = NULL;
	int rc;
	size_t used = strlen(report);

#define FAILF(...)                                                                                 \
	do {                                                                                       \
		ok = false;                                                                        \
		used = strlen(report);                                                             \
		snprintf(report + used, replen - used, __VA_ARGS__);                               \
	} while (0)

	snprintf(flags, sizeof(flags), "%s", c->flags);
	if (strcmp(flags, "-") != 0)
		for (char *t = strtok_r(flags, " ", &save); t && nextra < 56;
		     t = strtok_r(NULL, " ", &save))
			extra[nextra++] = t;
	extra[nextra] = NULL;
	rc = test_mxcheck_json(port, extra, c->target, out, sizeof(out), 30000);
	strip_port(out, port);
	j = json_loads(out, JSON_DISABLE_EOF_CHECK, &jerr);
	if (j == NULL || !json_is_object(j)) {
		FAILF("%s (catalog.tsv:%lu): exit %d, no JSON object: %s\n  output: %.200s\n",
		      c->target, c->lineno, rc, jerr.text, out);
		json_decref(j);
		return false;
	}
	verdict = json_object_get(j, "verdict");
	if (!json_is_string(verdict) || strcmp(json_string_value(verdict), c->verdict) != 0)
		FAILF("%s (catalog.tsv:%lu): verdict %s, expected %s\n", c->target, c->lineno,
		      json_is_string(verdict) ? json_string_value(verdict) : "(none)", c->verdict);

	collect_codes(j, codes, &ncodes, 64, &serious);
	qsort(codes, ncodes, sizeof(codes[0]), cmp_code);
	snprintf(gotcodes, sizeof(gotcodes), "%s", ncodes ? "" : "-");
	for (size_t i = 0; i < ncodes; i++) {
		size_t l = strlen(gotcodes);
		snprintf(gotcodes + l, sizeof(gotcodes) - l, "%s%s", i ? "," : "", codes[i]);
	}
	if (strcmp(gotcodes, c->codes) != 0)
		FAILF("%s (catalog.tsv:%lu): codes %s, expected %s\n", c->target, c->lineno,
		      gotcodes, c->codes);
	if (rc != expected_exit(c->verdict, serious))
		FAILF("%s (catalog.tsv:%lu): exit status %d, expected %d for %s\n", c->target,
		      c->lineno, rc, expected_exit(c->verdict, serious), c->verdict);

	normalise(j);
	gmsg = golden_check(c->target, j);
	if (gmsg[0])
		FAILF("%s (catalog.tsv:%lu): %s\n", c->target, c->lineno, gmsg);
	json_decref(j);

	/* The same scenario as each MTA profile would route it: only the verdict is recorded. */
	for (int m = 0; m < 2; m++) {
		const char *name = m ? "exim" : "postfix", *want = m ? c->exim : c->postfix;
		const char *pextra[64] = {"--mta", name};
		json_t *pj, *pv, *pm;
		memcpy(pextra + 2, extra, (nextra + 1) * sizeof(extra[0])); /* NULL included */
		rc = test_mxcheck_json(port, pextra, c->target, out, sizeof(out), 30000);
		pj = json_loads(out, JSON_DISABLE_EOF_CHECK, &jerr);
		pv = pj ? json_object_get(pj, "verdict") : NULL;
		pm = pj ? json_object_get(pj, "mta") : NULL;
		if (!json_is_string(pv) || strcmp(json_string_value(pv), want) != 0)
			FAILF("%s (catalog.tsv:%lu): --mta %s verdict %s, expected %s\n", c->target,
			      c->lineno, name,
			      json_is_string(pv) ? json_string_value(pv) : "(none)", want);
		if (!json_is_string(pm) || strcmp(json_string_value(pm), name) != 0)
			FAILF("%s (catalog.tsv:%lu): --mta %s: JSON \"mta\" is not %s\n", c->target,
			      c->lineno, name, name);
		if ((strcmp(want, "permfail") == 0 && rc != 69) ||
		    (strcmp(want, "tempfail") == 0 && rc != 75))
			FAILF("%s (catalog.tsv:%lu): --mta %s exit status %d for %s\n", c->target,
			      c->lineno, name, rc, want);
		json_decref(pj);
	}
	return ok;
#undef FAILF
}

Test(e2e_catalog, every_scenario_gives_its_expected_result, .timeout = 300)
{
	static struct cat_line v[CAT_MAX];
	static char report[1 << 16];
	size_t n = cat_read(v, CAT_MAX), good = 0;
	char zones[4096];
	struct testsrv s;

	snprintf(zones, sizeof(zones), "%s", test_src("zones"));
	testsrv_start_dir(&s, zones, NULL);
	report[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (run_scenario(&v[i], s.port, report, sizeof(report)))
			good++;
	testsrv_stop(&s);
	if (good != n)
		fprintf(stderr, "%s", report);
	cr_assert_eq(good, n, "%zu of %zu scenarios as expected:\n%.4000s", good, n, report);
}

/* scripts/demo.sh with an mxcheck that prints the right JSON but always exits 0: the
   tempfail and permfail scenarios must be reported as disagreeing with their verdict. */
Test(e2e_catalog, demo_reports_an_exit_status_that_disagrees_with_the_verdict, .timeout = 120)
{
	static char out[1 << 17];
	char dir[4096], script[8192], demo[4096];
	int rc;

	test_tmpdir(dir, sizeof(dir));
	snprintf(script, sizeof(script), "#!/bin/sh\n\"%s\" \"$@\"\nexit 0\n", test_bin("mxcheck"));
	test_write(dir, "mxcheck", script);
	snprintf(script, sizeof(script), "%s/mxcheck", dir);
	cr_assert_eq(chmod(script, 0755), 0);
	snprintf(script, sizeof(script), "%s/mxlabd", dir);
	cr_assert_eq(symlink(test_bin("mxlabd"), script), 0);
	snprintf(demo, sizeof(demo), "%s", test_src("scripts/demo.sh"));
	{
		const char *const argv[] = {"/bin/bash", demo, dir, NULL};
		rc = test_run(argv, out, sizeof(out), 100000);
	}
	cr_assert_eq(rc, 1, "demo.sh exit %d:\n%.2000s", rc, out);
	cr_assert_not_null(strstr(out, "exit status 0 does not agree with permfail (expected 69)"),
	                   "%.3000s", out);
	cr_assert_not_null(strstr(out, "exit status 0 does not agree with tempfail (expected 75)"),
	                   "%.3000s", out);
	cr_assert_not_null(strstr(out, "healthy.test               deliver   deliver   ok"),
	                   "%.3000s", out);
}
