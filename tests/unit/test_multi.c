/* tests/unit/test_multi.c -- the -j scheduler (client/multi.c) on fake lookups: every target is
   checked once, results come back in input order, bad targets are reported in their place. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "client/check.h"
#include "client/lookup.h"
#include "client/multi.h"
#include "tests/unit/test_mxcheck_fake.h"

/* What the callbacks saw. */
struct seen {
	size_t lookups;       /* lookups made (one per slot) */
	size_t delivered;     /* results handed back */
	size_t order[64];     /* indexes in the order handed back */
	char verdict[64][16]; /* verdict names (or "error") by index */
};

static struct lookup *
new_fake(void *ud, char *err, size_t errlen)
{
	static const char *const zone[] = {"a.test. 300 IN MX 10 mx.a.test.",
	                                   "mx.a.test. 300 IN A 192.0.2.1", NULL};
	struct seen *s = ud;
	struct lookup_fake *f;

	s->lookups++;
	return fake_new(&f, zone);
}

static struct check_result *
check_one(void *ud, struct lookup *lk, const char *target, char *err, size_t errlen)
{
	struct check_options o;

	check_options_init(&o);
	o.seed = 1;
	o.no_ptr = true;
	return mx_check(lk, target, &o, err, errlen);
}

static void
deliver(void *ud, size_t index, struct check_result *r, const char *err)
{
	struct seen *s = ud;

	s->order[s->delivered++] = index;
	snprintf(s->verdict[index], sizeof(s->verdict[0]), "%s",
	         r ? check_verdict_name(r->verdict) : "error");
	cr_expect(r != NULL || err[0] != '\0', "an error without a message at %zu", index);
	check_result_free(r);
}

Test(multi, every_target_comes_back_once_in_input_order)
{
	static const char *const targets[] = {"a.test", "nx.test", "a.test", "bad..name",
	                                      "a.test", "nx.test", "a.test"};
	const size_t n = sizeof(targets) / sizeof(targets[0]);
	struct seen s;
	struct multi_config c = {.jobs = 3,
	                         .targets = targets,
	                         .ntargets = n,
	                         .new_lookup = new_fake,
	                         .check = check_one,
	                         .deliver = deliver,
	                         .ud = &s};
	char err[256] = "";

	memset(&s, 0, sizeof(s));
	cr_assert_eq(multi_run(&c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(s.delivered, n);
	cr_expect_eq(s.lookups, 3, "one lookup per slot");
	for (size_t i = 0; i < n; i++)
		cr_expect_eq(s.order[i], i, "position %zu got target %zu", i, s.order[i]);
	cr_expect_str_eq(s.verdict[0], "deliver");
	cr_expect_str_eq(s.verdict[1], "permfail");
	cr_expect_str_eq(s.verdict[3], "error");
}

Test(multi, more_slots_than_targets_make_only_what_is_needed)
{
	static const char *const targets[] = {"a.test", "a.test"};
	struct seen s;
	struct multi_config c = {.jobs = 64,
	                         .targets = targets,
	                         .ntargets = 2,
	                         .new_lookup = new_fake,
	                         .check = check_one,
	                         .deliver = deliver,
	                         .ud = &s};
	char err[256] = "";

	memset(&s, 0, sizeof(s));
	cr_assert_eq(multi_run(&c, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(s.lookups, 2);
	cr_expect_eq(s.delivered, 2);
}
