/* tests/unit/test_mxcheck_fake.h -- helpers for mxcheck unit tests: a fake DNS built from
   zone-file lines, and shortcuts to run both modes without a network. */
#ifndef MXLAB_TEST_MXCHECK_FAKE_H
#define MXLAB_TEST_MXCHECK_FAKE_H

#include <criterion/criterion.h>
#include <string.h>

#include "client/check.h"
#include "client/lookup.h"
#include "client/mx.h"
#include "client/rdns.h"

/* A fake DNS holding the given records (NULL-terminated). */
static inline struct lookup *
fake_new(struct lookup_fake **f, const char *const *rrs)
{
	struct lookup *lk = lookup_fake_new(f);

	cr_assert_not_null(lk);
	for (size_t i = 0; rrs && rrs[i]; i++)
		cr_assert_eq(lookup_fake_add(*f, rrs[i]), 0, "bad fake record: %s", rrs[i]);
	return lk;
}

/* Domain mode with default options (both families, seed 1, PTR checked). */
static inline struct check_result *
fake_mx(struct lookup *lk, const char *target, const struct check_options *o)
{
	struct check_options d;
	char err[256] = "";
	struct check_result *r;

	if (o == NULL) {
		check_options_init(&d);
		d.seed = 1;
		o = &d;
	}
	r = mx_check(lk, target, o, err, sizeof(err));
	cr_assert_not_null(r, "mx_check(%s): %s", target, err);
	return r;
}

static inline struct check_result *
fake_addr(struct lookup *lk, const char *ip, const char *helo)
{
	struct check_options d;
	char err[256] = "";
	struct check_result *r;

	check_options_init(&d);
	d.helo = helo;
	r = rdns_check(lk, ip, &d, err, sizeof(err));
	cr_assert_not_null(r, "rdns_check(%s): %s", ip, err);
	return r;
}

/* The problem with this code, or NULL. */
static inline const struct check_problem *
find_problem(const struct check_result *r, const char *code)
{
	for (size_t i = 0; i < r->nproblems; i++)
		if (strcmp(r->problems[i].code, code) == 0)
			return &r->problems[i];
	return NULL;
}

/* Assert a problem with code exists, with the given severity; returns it. */
static inline const struct check_problem *
expect_problem(const struct check_result *r, const char *code, enum check_severity sev)
{
	const struct check_problem *p = find_problem(r, code);

	cr_assert_not_null(p, "expected problem %s for %s", code, r->target);
	cr_assert_eq(p->severity, sev, "%s: severity %s, expected %s", code,
	             check_severity_name(p->severity), check_severity_name(sev));
	cr_assert_str_not_empty(p->reference, "%s has no reference", code);
	cr_assert_str_not_empty(p->message, "%s has no message", code);
	cr_assert_str_not_empty(p->subject, "%s has no subject", code);
	return p;
}

#endif
