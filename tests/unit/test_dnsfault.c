/* tests/unit/test_dnsfault.c -- the DNSSEC fault actions on real signed answers: each gives
   what a validator (here ldns) rejects for exactly the reason the action names, with a
   signature that is real (it verifies once the clock or the data fits it). */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "server/answer.h"
#include "server/dnsfault.h"
#include "server/fault.h"
#include "server/msg.h"
#include "server/sign.h"
#include "server/zone.h"
#include "tests/support/support.h"

#define NOW 1780000000

static const char zone_parent[] = "$ORIGIN fz.test.\n$TTL 600\n"
                                  "@ SOA ns1 hostmaster 1 3600 900 604800 120\n"
                                  "@ NS ns1\nns1 A 192.0.2.1\nmail A 192.0.2.2\n"
                                  "child NS ns.child\nns.child A 192.0.2.5\n";
static const char zone_child[] = "$ORIGIN child.fz.test.\n$TTL 300\n"
                                 "@ SOA ns hostmaster 1 3600 900 604800 60\n"
                                 "@ NS ns\nns A 192.0.2.5\n";

static struct signer *sg;
static struct zoneset *zs;

static void
setup(void)
{
	struct diag d;
	char err[256];

	sg = signer_new(NULL, false, err, sizeof(err));
	cr_assert_not_null(sg);
	zs = zoneset_new();
	diag_init(&d);
	cr_assert_eq(zoneset_add_text(zs, "fz.zone", zone_parent, &d), 0);
	cr_assert_eq(zoneset_add_text(zs, "child.zone", zone_child, &d), 0);
	cr_assert_eq(zoneset_finish(zs, &d), 0);
	cr_assert_eq(signer_sign(sg, zs, NOW, &d), 0);
	diag_free(&d);
}

static void
teardown(void)
{
	zoneset_free(zs);
	signer_free(sg);
}

TestSuite(dnsfault, .init = setup, .fini = teardown);

/* The answer to name/type with DO, after action a (FAULT_NONE: as served). */
static ldns_pkt *
ask(const char *name, ldns_rr_type type, enum fault_action a)
{
	ldns_pkt *rp = NULL;
	static uint8_t out[65536];
	size_t len = test_answer_do(zs, name, type, false, out, sizeof(out));

	if (a != FAULT_NONE)
		len = dnsfault_apply(sg, a, out, len, 1232, NOW);
	cr_assert_eq(ldns_wire2pkt(&rp, out, len), LDNS_STATUS_OK);
	return rp;
}

static ldns_rr_list *
of_type(const ldns_rr_list *l, ldns_rr_type t, bool sigs)
{
	ldns_rr_list *out = ldns_rr_list_new();
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		if (sigs ? ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG &&
		               ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) == t
		         : ldns_rr_get_type(rr) == t)
			ldns_rr_list_push_rr(out, ldns_rr_clone(rr));
	}
	return out;
}

static ldns_rr_list *
keys_of(const char *zone)
{
	ldns_pkt *p = ask(zone, LDNS_RR_TYPE_DNSKEY, FAULT_NONE);
	ldns_rr_list *k = of_type(ldns_pkt_answer(p), LDNS_RR_TYPE_DNSKEY, false);
	ldns_pkt_free(p);
	return k;
}

/* ldns's verdict on the type-t RRset of section l at time t0. */
static ldns_status
verdict(const ldns_rr_list *l, ldns_rr_type t, const char *zone, time_t t0)
{
	ldns_rr_list *set = of_type(l, t, false), *sig = of_type(l, t, true), *keys = keys_of(zone);
	ldns_rr_list *good = ldns_rr_list_new();
	ldns_status st;

	cr_assert_gt(ldns_rr_list_rr_count(set), 0);
	cr_assert_eq(ldns_rr_list_rr_count(sig), 1);
	st = ldns_verify_rrsig_keylist_time(set, ldns_rr_list_rr(sig, 0), keys, t0, good);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(sig);
	ldns_rr_list_deep_free(keys);
	ldns_rr_list_free(good);
	return st;
}

Test(dnsfault, unaltered_answer_verifies)
{
	ldns_pkt *p = ask("mail.fz.test.", LDNS_RR_TYPE_A, FAULT_NONE);
	cr_assert_eq(verdict(ldns_pkt_answer(p), LDNS_RR_TYPE_A, "fz.test.", NOW), LDNS_STATUS_OK);
	ldns_pkt_free(p);
}

Test(dnsfault, rrsig_expired_is_a_real_signature_that_expired_a_week_ago)
{
	ldns_pkt *p = ask("mail.fz.test.", LDNS_RR_TYPE_A, FAULT_RRSIG_EXPIRED);
	ldns_rr_list *s = of_type(ldns_pkt_answer(p), LDNS_RR_TYPE_A, true);
	time_t exp = ldns_rdf2native_time_t(ldns_rr_rrsig_expiration(ldns_rr_list_rr(s, 0)));

	cr_assert_eq(exp, NOW - 7 * 86400);
	cr_assert_eq(verdict(ldns_pkt_answer(p), LDNS_RR_TYPE_A, "fz.test.", NOW),
	             LDNS_STATUS_CRYPTO_SIG_EXPIRED);
	cr_assert_eq(verdict(ldns_pkt_answer(p), LDNS_RR_TYPE_A, "fz.test.", exp - 60),
	             LDNS_STATUS_OK, "inside its (moved) window the signature is good");
	ldns_rr_list_deep_free(s);
	ldns_pkt_free(p);
}

Test(dnsfault, rrsig_future_is_valid_only_from_a_week_ahead)
{
	ldns_pkt *p = ask("mail.fz.test.", LDNS_RR_TYPE_A, FAULT_RRSIG_FUTURE);
	ldns_rr_list *s = of_type(ldns_pkt_answer(p), LDNS_RR_TYPE_A, true);
	time_t inc = ldns_rdf2native_time_t(ldns_rr_rrsig_inception(ldns_rr_list_rr(s, 0)));

	cr_assert_eq(inc, NOW + 7 * 86400);
	cr_assert_eq(verdict(ldns_pkt_answer(p), LDNS_RR_TYPE_A, "fz.test.", NOW),
	             LDNS_STATUS_CRYPTO_SIG_NOT_INCEPTED);
	cr_assert_eq(verdict(ldns_pkt_answer(p), LDNS_RR_TYPE_A, "fz.test.", inc + 60),
	             LDNS_STATUS_OK);
	ldns_rr_list_deep_free(s);
	ldns_pkt_free(p);
}

Test(dnsfault, rrsig_bogus_keeps_valid_dates_but_does_not_verify)
{
	ldns_pkt *p = ask("mail.fz.test.", LDNS_RR_TYPE_A, FAULT_RRSIG_BOGUS);
	cr_assert_eq(verdict(ldns_pkt_answer(p), LDNS_RR_TYPE_A, "fz.test.", NOW),
	             LDNS_STATUS_CRYPTO_BOGUS);
	cr_assert_eq(verdict(ldns_pkt_authority(p), LDNS_RR_TYPE_NS, "fz.test.", NOW),
	             LDNS_STATUS_CRYPTO_BOGUS, "every RRSIG of the answer");
	ldns_pkt_free(p);
}

Test(dnsfault, rrsig_strip_leaves_the_data_without_signatures)
{
	ldns_pkt *p = ask("mail.fz.test.", LDNS_RR_TYPE_A, FAULT_RRSIG_STRIP);
	ldns_rr_list *a = of_type(ldns_pkt_answer(p), LDNS_RR_TYPE_A, false);
	cr_assert_eq(ldns_rr_list_rr_count(a), 1);
	cr_assert_null(
	    ldns_pkt_rr_list_by_type(p, LDNS_RR_TYPE_RRSIG, LDNS_SECTION_ANY_NOQUESTION));
	cr_assert(ldns_pkt_edns_do(p), "the rest of the answer is as it was");
	ldns_rr_list_deep_free(a);
	ldns_pkt_free(p);
}

Test(dnsfault, denial_strip_leaves_the_negative_answer_without_proof)
{
	ldns_pkt *p = ask("nothere.fz.test.", LDNS_RR_TYPE_A, FAULT_NONE);
	{
		ldns_rr_list *n =
		    ldns_pkt_rr_list_by_type(p, LDNS_RR_TYPE_NSEC, LDNS_SECTION_AUTHORITY);
		cr_assert_not_null(n);
		ldns_rr_list_deep_free(n);
	}
	ldns_pkt_free(p);
	p = ask("nothere.fz.test.", LDNS_RR_TYPE_A, FAULT_DENIAL_STRIP);
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	cr_assert_null(ldns_pkt_rr_list_by_type(p, LDNS_RR_TYPE_NSEC, LDNS_SECTION_AUTHORITY));
	cr_assert_eq(ldns_pkt_nscount(p), 2, "the SOA and its RRSIG stay");
	cr_assert_eq(verdict(ldns_pkt_authority(p), LDNS_RR_TYPE_SOA, "fz.test.", NOW),
	             LDNS_STATUS_OK);
	ldns_pkt_free(p);
}

static bool
ds_matches_child(const ldns_pkt *p, ldns_pkt_section sec)
{
	ldns_rr_list *ds = ldns_pkt_rr_list_by_type(p, LDNS_RR_TYPE_DS, sec);
	ldns_rr_list *keys = keys_of("child.fz.test.");
	bool m = false;
	cr_assert_not_null(ds);
	for (size_t i = 0; i < ldns_rr_list_rr_count(keys); i++)
		m |= ldns_rr_compare_ds(ldns_rr_list_rr(ds, 0), ldns_rr_list_rr(keys, i));
	ldns_rr_list_deep_free(ds);
	ldns_rr_list_deep_free(keys);
	return m;
}

Test(dnsfault, ds_mismatch_is_a_signed_ds_of_no_child_key)
{
	ldns_pkt *p = ask("child.fz.test.", LDNS_RR_TYPE_DS, FAULT_NONE);
	cr_assert(ds_matches_child(p, LDNS_SECTION_ANSWER));
	ldns_pkt_free(p);
	p = ask("child.fz.test.", LDNS_RR_TYPE_DS, FAULT_DS_MISMATCH);
	cr_assert(!ds_matches_child(p, LDNS_SECTION_ANSWER));
	cr_assert_eq(verdict(ldns_pkt_answer(p), LDNS_RR_TYPE_DS, "fz.test.", NOW), LDNS_STATUS_OK,
	             "the parent signs the wrong DS correctly");
	ldns_pkt_free(p);
}

Test(dnsfault, ds_mismatch_rule_matches_referrals_below_the_child_apex)
{
	struct fault_rules *r = fault_rules_new(1);
	char err[256];
	struct fault_query fq = {.qname = "www.child.fz.test.", .qtype = 1};

	cr_assert_eq(
	    fault_rules_parse(r, "t", "child.fz.test. * ds-mismatch count=1\n", err, sizeof(err)),
	    0, "%s", err);
	cr_assert_not_null(fault_match(r, &fq), "a referral below the apex carries the DS");
	cr_assert_null(fault_match(r, &fq), "count=1 composes");
	fault_rules_free(r);
	r = fault_rules_new(1);
	cr_assert_eq(
	    fault_rules_parse(r, "t", "child.fz.test. * rrsig-expired\n", err, sizeof(err)), 0);
	cr_assert_null(fault_match(r, &fq), "other actions match the name itself only");
	fault_rules_free(r);
}

Test(dnsfault, each_action_parses_by_name)
{
	static const char names[][16] = {"rrsig-bogus", "rrsig-expired", "rrsig-future",
	                                 "rrsig-strip", "denial-strip",  "ds-mismatch"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct fault_rules *r = fault_rules_new(1);
		char line[128], err[256];
		snprintf(line, sizeof(line), "* MX %s every=2 p=0.5\n", names[i]);
		cr_assert_eq(fault_rules_parse(r, "t", line, err, sizeof(err)), 0, "%s", err);
		cr_assert_str_eq(fault_action_name(fault_rule_action(fault_rules_get(r, 0))),
		                 names[i]);
		cr_assert(fault_action_is_dnssec(fault_rule_action(fault_rules_get(r, 0))));
		fault_rules_free(r);
	}
}
