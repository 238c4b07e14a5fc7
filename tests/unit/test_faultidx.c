/* tests/unit/test_faultidx.c -- the fault rule index: a query visits exactly the rules whose
   name pattern can match it, in rule order, and fault_match still gives the first match. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rand.h"
#include "server/fault.h"
#include "server/faultidx.h"

/* The rule numbers the index hands out for qname, as "1,5,9". */
static void
candidates(const struct faultidx *x, const char *qname, char *out, size_t len)
{
	struct faultidx_iter it;
	size_t rule, o = 0;

	out[0] = '\0';
	faultidx_start(x, qname, &it);
	while (faultidx_next(&it, &rule) && o + 24 < len)
		o += (size_t)snprintf(out + o, len - o, "%s%zu", o ? "," : "", rule);
}

Test(faultidx, visits_only_rules_whose_pattern_can_match_in_rule_order)
{
	struct faultidx *x = faultidx_new();
	char got[256];

	cr_assert_not_null(x);
	cr_assert_eq(faultidx_add(x, FAULTIDX_BELOW, "example.test.", 0), 0);
	cr_assert_eq(faultidx_add(x, FAULTIDX_EXACT, "other.test.", 1), 0);
	cr_assert_eq(faultidx_add(x, FAULTIDX_ALL, NULL, 2), 0);
	cr_assert_eq(faultidx_add(x, FAULTIDX_EXACT, "www.example.test.", 3), 0);
	cr_assert_eq(faultidx_add(x, FAULTIDX_BELOW, ".", 4), 0);
	cr_assert_eq(faultidx_add(x, FAULTIDX_BELOW, "www.example.test.", 5), 0);
	cr_assert_eq(faultidx_add(x, FAULTIDX_EXACT, "www.example.test.", 6), 0);

	candidates(x, "www.example.test.", got, sizeof(got));
	cr_expect_str_eq(got, "0,2,3,4,6");
	candidates(x, "a.www.example.test.", got, sizeof(got));
	cr_expect_str_eq(got, "0,2,4,5");
	candidates(x, "example.test.", got, sizeof(got));
	cr_expect_str_eq(got, "2,4", "*.example.test. is strictly below");
	candidates(x, ".", got, sizeof(got));
	cr_expect_str_eq(got, "2", "*. does not match the root itself");
	candidates(x, "a\\.b.example.test.", got, sizeof(got));
	cr_expect_str_eq(got, "0,2,4", "an escaped dot is not a label boundary");
	candidates(x, NULL, got, sizeof(got));
	cr_expect_str_eq(got, "2");
	faultidx_clear(x);
	candidates(x, "www.example.test.", got, sizeof(got));
	cr_expect_str_eq(got, "");
	faultidx_free(x);
}

Test(faultidx, ten_thousand_other_names_cost_no_visits)
{
	struct faultidx *x = faultidx_new();
	char name[64], got[64];

	for (size_t i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), "h%zu.other%zu.test.", i, i % 7);
		cr_assert_eq(faultidx_add(x, i % 2 ? FAULTIDX_BELOW : FAULTIDX_EXACT, name, i), 0);
	}
	candidates(x, "www.example.test.", got, sizeof(got));
	cr_expect_str_eq(got, "");
	candidates(x, "a.h9999.other3.test.", got, sizeof(got));
	cr_expect_str_eq(got, "9999");
	faultidx_free(x);
}

/* ---- fault_match against a plain scan of the same rules ---- */

static const char *const names[] = {"example.test.",    "www.example.test.", "a.www.example.test.",
                                    "mx.example.test.", "other.test.",       "test.",
                                    "x.other.test."};
#define NNAMES (sizeof(names) / sizeof(names[0]))

struct ref_rule {
	int kind;       /* 0 "*", 1 exact, 2 "*." */
	size_t name;    /* index into names */
	uint16_t qtype; /* 0: any */
};

static bool
ref_below(const char *q, const char *n)
{
	size_t ql = strlen(q), nl = strlen(n);
	return ql > nl + 1 && strcmp(q + ql - nl, n) == 0 && q[ql - nl - 1] == '.';
}

static bool
ref_match(const struct ref_rule *r, const char *q, uint16_t qtype)
{
	if (r->qtype && r->qtype != qtype)
		return false;
	if (r->kind == 0)
		return true;
	if (r->kind == 1)
		return strcmp(q, names[r->name]) == 0;
	return ref_below(q, names[r->name]);
}

Test(faultidx, first_match_is_the_same_as_a_plain_scan)
{
	uint64_t seed = 12;

	for (int set = 0; set < 50; set++) {
		struct fault_rules *fr = fault_rules_new(1);
		struct ref_rule ref[40];
		size_t n = 1 + rand_splitmix64(&seed) % 40;
		char text[4096], err[256];
		size_t o = 0;

		for (size_t i = 0; i < n; i++) {
			uint64_t v = rand_splitmix64(&seed);
			ref[i].kind = (int)(v % 8 == 0 ? 0 : 1 + (v >> 3) % 2);
			ref[i].name = (size_t)((v >> 8) % NNAMES);
			ref[i].qtype = (v >> 16) % 3 == 0 ? 15 : 0;
			o += (size_t)snprintf(
			    text + o, sizeof(text) - o, "%s%s %s rcode=SERVFAIL\n",
			    ref[i].kind == 0   ? "*"
			    : ref[i].kind == 2 ? "*."
			                       : "",
			    ref[i].kind == 0 ? "" : names[ref[i].name], ref[i].qtype ? "MX" : "*");
		}
		cr_assert_eq(fault_rules_parse(fr, "t", text, err, sizeof(err)), 0, "%s", err);
		for (size_t q = 0; q < NNAMES; q++) {
			for (int t = 0; t < 2; t++) {
				uint16_t qtype = t ? 15 : 1;
				struct fault_query fq = {.qname = names[q], .qtype = qtype};
				const struct fault_rule *got = fault_match(fr, &fq);
				long want = -1;
				for (size_t i = 0; i < n && want < 0; i++)
					if (ref_match(&ref[i], names[q], qtype))
						want = (long)i;
				cr_assert_eq(got ? (long)fault_rule_index(got) : -1L, want,
				             "set %d, %s type %u:\n%s", set, names[q], qtype, text);
			}
		}
		fault_rules_free(fr);
	}
}

Test(faultidx, counters_of_rules_for_other_names_stay_untouched)
{
	struct fault_rules *fr = fault_rules_new(1);
	char err[256];
	struct fault_query fq = {.qname = "www.example.test.", .qtype = 1};

	cr_assert_eq(fault_rules_parse(fr, "t",
	                               "other.test. * drop count=1\n"
	                               "www.example.test. * drop after=1\n"
	                               "WWW.Example.Test. * noaa\n",
	                               err, sizeof(err)),
	             0, "%s", err);
	/* 1st query: rule 1 declines (after=1), rule 2 fires; 2nd: rule 1 fires */
	cr_expect_eq(fault_rule_index(fault_match(fr, &fq)), 2);
	cr_expect_eq(fault_rule_index(fault_match(fr, &fq)), 1);
	fq.qname = "other.test";
	cr_expect_eq(fault_rule_index(fault_match(fr, &fq)), 0, "relative and still count=1");
	cr_expect_null(fault_match(fr, &fq));
	fault_rules_free(fr);
}
