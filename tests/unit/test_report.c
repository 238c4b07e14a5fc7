/* tests/unit/test_report.c -- text and JSON reports: structure, exit status, golden files
   (tests/golden/client/; MXLAB_UPDATE_GOLDEN=1 rewrites them). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/check.h"
#include "client/lookup.h"
#include "client/mx.h"
#include "client/rdns.h"
#include "client/report.h"
#include "tests/support/support.h"
#include "tests/unit/test_mxcheck_fake.h"

#define PTR6_1 "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."

static const char *const zone[] = {
    "example.test. 300 IN MX 10 mx1.example.test.",
    "example.test. 300 IN MX 20 mx2.example.test.",
    "mx1.example.test. 300 IN A 192.0.2.1",
    "mx1.example.test. 300 IN AAAA 2001:db8::1",
    "mx2.example.test. 300 IN A 192.0.2.2",
    "1.2.0.192.in-addr.arpa. 300 IN PTR mx1.example.test.",
    "2.2.0.192.in-addr.arpa. 300 IN PTR mx2.example.test.",
    PTR6_1 " 300 IN PTR mx1.example.test.",
    "null.test. 300 IN MX 0 .",
    "broken.test. 300 IN MX 10 alias.broken.test.",
    "broken.test. 300 IN MX 10 gone.broken.test.",
    "broken.test. 300 IN MX 20 198.51.100.1.",
    "broken.test. 300 IN MX 30 slow.broken.test.",
    "alias.broken.test. 300 IN CNAME mx2.example.test.",
    "slow.broken.test. 300 IN A 198.51.100.2",
    "impl.test. 300 IN A 203.0.113.5",
    NULL,
};

static struct check_result *
scenario(const char *target, const char *helo)
{
	struct lookup_fake *f;
	struct lookup *lk = fake_new(&f, zone);
	struct check_result *r;

	lookup_fake_fail(f, "slow.broken.test.", LOOKUP_T_AAAA, LOOKUP_TEMPORARY, LOOKUP_R_TIMEOUT);
	if (helo != NULL || strchr(target, ':') || strspn(target, "0123456789.") == strlen(target))
		r = fake_addr(lk, target, helo);
	else
		r = fake_mx(lk, target, NULL);
	lookup_free(lk);
	r->elapsed_ms = 0; /* the only field that changes from run to run */
	return r;
}

static char *
render(const struct check_result *r, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	cr_assert_not_null(fp);
	if (json)
		cr_assert_eq(report_json(fp, r), 0);
	else
		report_text(fp, r, false);
	fclose(fp);
	return buf;
}

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	return buf;
}

/* Compare with tests/golden/client/<name> (or rewrite it with MXLAB_UPDATE_GOLDEN=1). */
static void
golden(const char *name, const char *got)
{
	char rel[256];
	const char *path;
	char *want;

	snprintf(rel, sizeof(rel), "tests/golden/client/%s", name);
	path = test_src(rel);
	if (getenv("MXLAB_UPDATE_GOLDEN")) {
		FILE *fp = fopen(path, "w");
		cr_assert_not_null(fp, "%s", path);
		fputs(got, fp);
		fclose(fp);
	}
	want = slurp(path);
	cr_assert_not_null(want, "missing golden file %s", path);
	cr_assert_str_eq(got, want, "%s differs:\n--- got ---\n%s--- want ---\n%s", name, got,
	                 want);
	free(want);
}

/* A check whose text and JSON reports must equal tests/golden/client/<base>.txt/.jsonl. */
struct golden_case {
	char base[16];   /* golden file name without extension */
	char target[32]; /* domain or address checked */
	char helo[32];   /* --helo name, "" for none */
};

static struct golden_case golden_cases[] = {
    {"healthy", "postmaster@example.test", ""},
    {"null-mx", "null.test", ""},
    {"broken", "broken.test", ""},
    {"implicit", "impl.test", ""},
    {"address", "192.0.2.1", "mx2.example.test"},
};

ParameterizedTestParameters(report, text_and_json_match_the_golden_files)
{
	return cr_make_param_array(struct golden_case, golden_cases,
	                           sizeof(golden_cases) / sizeof(golden_cases[0]));
}

ParameterizedTest(struct golden_case *c, report, text_and_json_match_the_golden_files)
{
	struct check_result *r = scenario(c->target, c->helo[0] ? c->helo : NULL);
	char name[128];
	char *text = render(r, false), *json = render(r, true);

	snprintf(name, sizeof(name), "%s.txt", c->base);
	golden(name, text);
	snprintf(name, sizeof(name), "%s.jsonl", c->base);
	golden(name, json);
	free(text);
	free(json);
	check_result_free(r);
}

Test(report, text_starts_with_the_verdict_and_shows_chains)
{
	struct check_result *r = scenario("example.test", NULL);
	char *t = render(r, false);

	cr_assert_eq(strncmp(t, "example.test: deliver\n", 22), 0, "%s", t);
	cr_assert(strstr(t, "  example.test —MX 10→ mx1.example.test —A→ 192.0.2.1 —PTR→ "
	                    "mx1.example.test ✓\n") != NULL,
	          "%s", t);
	cr_assert(strstr(t, "—AAAA→ 2001:db8::1 —PTR→ mx1.example.test ✓") != NULL, "%s", t);
	cr_assert_null(strstr(t, "\033["), "no colour when not asked");
	free(t);
	check_result_free(r);
}

Test(report, text_lists_problems_with_code_subject_message_reference)
{
	struct check_result *r = scenario("broken.test", NULL);
	char *t = render(r, false);
	regex_t re;

	cr_assert_eq(
	    regcomp(
	        &re,
	        "\n  error   mx-host-nxdomain gone\\.broken\\.test: [^\n]+ \\[RFC 5321 §5\\.1\\]\n",
	        REG_EXTENDED),
	    0);
	cr_assert_eq(regexec(&re, t, 0, NULL, 0), 0, "%s", t);
	regfree(&re);
	cr_assert(strstr(t, "—MX 10→ alias.broken.test —CNAME→ mx2.example.test —A→ 192.0.2.2") !=
	              NULL,
	          "%s", t);
	free(t);
	check_result_free(r);
}

Test(report, colour_only_when_asked)
{
	struct check_result *r = scenario("example.test", NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	report_text(fp, r, true);
	fclose(fp);
	cr_assert_not_null(strstr(buf, "\033[32mdeliver"));
	free(buf);
	check_result_free(r);
}

/* The JSON report of target, parsed back; it must be valid JSON on one line. */
static json_t *
json_of(const char *target)
{
	struct check_result *r = scenario(target, NULL);
	char *s = report_json_string(r);
	json_error_t e;
	json_t *o;

	cr_assert_not_null(s);
	cr_assert_null(strchr(s, '\n'), "one line: %s", s);
	o = json_loads(s, 0, &e);
	cr_assert_not_null(o, "%s: %s", e.text, s);
	free(s);
	check_result_free(r);
	return o;
}

Test(report, json_has_every_contract_field)
{
	json_t *o = json_of("broken.test"), *route, *a, *p;
	size_t i;

	cr_assert_str_eq(json_string_value(json_object_get(o, "target")), "broken.test");
	cr_assert_str_eq(json_string_value(json_object_get(o, "mode")), "domain");
	cr_assert_str_eq(json_string_value(json_object_get(o, "verdict")), "deliver");
	cr_assert(json_is_false(json_object_get(o, "implicit_mx")));
	cr_assert(json_is_integer(json_object_get(o, "queries")));
	cr_assert(json_integer_value(json_object_get(o, "queries")) > 0);
	cr_assert(json_is_integer(json_object_get(o, "elapsed_ms")));
	cr_assert(json_is_array(json_object_get(o, "problems")));
	json_array_foreach(json_object_get(o, "problems"), i, p)
	{
		const char *k[] = {"code", "severity", "subject", "message", "reference"};
		for (size_t j = 0; j < 5; j++)
			cr_assert(json_is_string(json_object_get(p, k[j])), "%s", k[j]);
	}
	route = json_object_get(o, "route");
	cr_assert_eq(json_array_size(route), 4);
	json_array_foreach(route, i, a)
	{
		cr_assert(json_is_integer(json_object_get(a, "preference")));
		cr_assert(json_is_string(json_object_get(a, "exchange")));
		cr_assert(json_is_array(json_object_get(a, "cname_chain")));
		cr_assert(json_is_boolean(json_object_get(a, "usable")));
		cr_assert(json_is_array(json_object_get(a, "addresses")));
		cr_assert(json_is_array(json_object_get(a, "problems")));
	}
	json_decref(o);
}

Test(report, json_addresses_carry_ptr_and_fcrdns)
{
	json_t *o = json_of("example.test");
	json_t *a = json_array_get(
	    json_object_get(json_array_get(json_object_get(o, "route"), 0), "addresses"), 1);

	cr_assert_str_eq(json_string_value(json_object_get(a, "address")), "2001:db8::1");
	cr_assert_eq(json_integer_value(json_object_get(a, "family")), 6);
	cr_assert_str_eq(json_string_value(json_object_get(a, "fcrdns")), "pass");
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(a, "ptr"), 0)),
	                 "mx1.example.test");
	cr_assert(json_is_array(json_object_get(a, "problems")));
	json_decref(o);
}

Test(report, exit_status_follows_the_contract)
{
	struct check_result *r = scenario("example.test", NULL);

	cr_assert_eq(check_exit_status(r), 0);
	check_result_free(r);
	r = scenario("broken.test", NULL);
	cr_assert_eq(check_exit_status(r), 1);
	check_result_free(r);
	r = scenario("null.test", NULL);
	cr_assert_eq(check_exit_status(r), 69);
	check_result_free(r);
	cr_assert_eq(check_exit_combine(0, 1), 1);
	cr_assert_eq(check_exit_combine(75, 1), 75);
	cr_assert_eq(check_exit_combine(75, 69), 69);
	cr_assert_eq(check_exit_combine(69, 75), 69);
	cr_assert_eq(check_exit_combine(69, 64), 64);
	cr_assert_eq(check_exit_combine(70, 69), 70);
	cr_assert_eq(check_exit_combine(64, 0), 64);
}
