/* tests/unit/test_dane.c -- --dnssec on a fake validating resolver: the validator probe,
   bogus/insecure lookups with their extended errors, and each DANE state of an exchange
   (verified, encrypt, deferred, not applied, none), in the result tree and in both outputs. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "client/check.h"
#include "client/dane.h"
#include "client/lookup.h"
#include "client/mx.h"
#include "client/report.h"
#include "tests/unit/test_mxcheck_fake.h"

#define H32 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H20 "0123456789abcdef0123456789abcdef01234567"

/* sec.test: two exchanges, mx1 in the signed zone, mx2 in ins.test (unsigned). */
static const char *const zone[] = {
    "sec.test. 300 IN MX 10 mx1.sec.test.",
    "mx1.sec.test. 300 IN A 192.0.2.1",
    "one.test. 300 IN MX 10 mx1.sec.test.",
    "two.test. 300 IN MX 10 mx1.sec.test.",
    "two.test. 300 IN MX 20 mx2.sec.test.",
    "mx2.sec.test. 300 IN A 192.0.2.2",
    "_25._tcp.mx2.sec.test. 300 IN TLSA 3 1 1 " H32,
    "ins.test. 300 IN MX 10 mx.ins.test.",
    "mx.ins.test. 300 IN A 192.0.2.3",
    "_25._tcp.mx.ins.test. 300 IN TLSA 3 1 1 " H32,
    "mixed.test. 300 IN MX 10 mx.ins.test.",
    NULL,
};

/* A fake validating resolver over zone plus extra; test. is signed except ins.test. */
static struct lookup *
validating(struct lookup_fake **f, const char *const *extra)
{
	struct lookup *lk = fake_new(f, zone);

	for (size_t i = 0; extra && extra[i]; i++)
		cr_assert_eq(lookup_fake_add(*f, extra[i]), 0, "bad record %s", extra[i]);
	lookup_fake_set_validator(*f, true);
	lookup_fake_set_dnssec(*f, "test.", 0, LOOKUP_DNSSEC_SECURE, -1);
	lookup_fake_set_dnssec(*f, "ins.test.", 0, LOOKUP_DNSSEC_INSECURE, -1);
	return lk;
}

static struct check_result *
check(struct lookup *lk, const char *target)
{
	struct check_options o;

	check_options_init(&o);
	o.seed = 1;
	o.no_ptr = true;
	o.dnssec = true;
	return fake_mx(lk, target, &o);
}

static const struct check_route *
route_of(const struct check_result *r, const char *exchange)
{
	for (size_t i = 0; i < r->nroutes; i++)
		if (strcmp(r->routes[i].exchange, exchange) == 0)
			return &r->routes[i];
	cr_assert_fail("no route %s", exchange);
	return NULL;
}

Test(dane, a_resolver_that_does_not_validate_gets_dnssec_no_validator_and_no_claims)
{
	struct lookup_fake *f;
	struct lookup *lk = fake_new(&f, zone);
	struct check_result *r;
	char *js;

	lookup_fake_set_dnssec(f, "test.", 0, LOOKUP_DNSSEC_BOGUS, 6); /* ignored: no validator */
	r = check(lk, "sec.test");
	expect_problem(r, "dnssec-no-validator", CHECK_WARNING);
	cr_expect(!r->dnssec_checked);
	cr_expect_null(find_problem(r, "dnssec-insecure"));
	cr_expect_null(find_problem(r, "dnssec-bogus"));
	cr_expect_eq(r->verdict, CHECK_DELIVER);
	cr_expect_eq(r->routes[0].dane, CHECK_DANE_UNKNOWN);
	js = report_json_string(r);
	cr_expect_null(strstr(js, "\"dnssec\""), "no DNSSEC claim in %s", js);
	cr_expect_null(strstr(js, "\"tlsa\""), "no TLSA claim in %s", js);
	free(js);
	check_result_free(r);
	lookup_free(lk);
}

Test(dane, without_the_flag_nothing_is_probed_or_claimed)
{
	struct lookup_fake *f;
	struct lookup *lk = validating(&f, NULL);
	struct check_options o;
	struct check_result *r;

	check_options_init(&o);
	o.seed = 1;
	o.no_ptr = true;
	r = fake_mx(lk, "sec.test", &o);
	cr_expect_null(find_problem(r, "dnssec-no-validator"));
	cr_expect(!r->dnssec_checked);
	cr_expect_eq(r->queries, 3, "MX, A, AAAA only: %u", r->queries);
	check_result_free(r);
	lookup_free(lk);
}

Test(dane, secure_mx_and_usable_dane_ee_tlsa_is_dane_ok_verified)
{
	static const char *const tlsa[] = {"_25._tcp.mx1.sec.test. 300 IN TLSA 3 1 1 " H32, NULL};
	struct lookup_fake *f;
	struct lookup *lk = validating(&f, tlsa);
	struct check_result *r = check(lk, "sec.test");
	const struct check_problem *p;

	cr_expect(r->dnssec_checked);
	cr_expect_eq(r->dnssec, LOOKUP_DNSSEC_SECURE);
	cr_expect_null(find_problem(r, "dnssec-bogus"));
	cr_expect_null(find_problem(r, "dnssec-insecure"));
	p = expect_problem(r, "dane-ok", CHECK_INFO);
	cr_expect(strstr(p->message, "DANE-EE(3)") != NULL, "%s", p->message);
	cr_expect_eq(r->routes[0].dane, CHECK_DANE_VERIFIED);
	cr_expect_eq(r->routes[0].dnssec, LOOKUP_DNSSEC_SECURE);
	cr_expect_eq(r->routes[0].addrs[0].dnssec, LOOKUP_DNSSEC_SECURE);
	cr_expect_eq(r->routes[0].ntlsa, 1);
	cr_expect_eq(r->verdict, CHECK_DELIVER);
	cr_expect_eq(check_exit_status(r), CHECK_EX_OK, "info only");
	check_result_free(r);
	lookup_free(lk);
}

Test(dane, a_dane_ta_record_is_named_in_dane_ok)
{
	static const char *const tlsa[] = {"_25._tcp.mx1.sec.test. 300 IN TLSA 2 0 1 " H32, NULL};
	struct lookup_fake *f;
	struct lookup *lk = validating(&f, tlsa);
	struct check_result *r = check(lk, "sec.test");
	const struct check_problem *p = expect_problem(r, "dane-ok", CHECK_INFO);

	cr_expect(strstr(p->message, "DANE-TA(2)") != NULL, "%s", p->message);
	cr_expect_null(strstr(p->message, "DANE-EE"), "%s", p->message);
	check_result_free(r);
	lookup_free(lk);
}

Test(dane, a_bogus_mx_is_dnssec_bogus_tempfail_with_the_extended_error)
{
	struct lookup_fake *f;
	struct lookup *lk = validating(&f, NULL);
	struct check_result *r;
	const struct check_problem *p;

	lookup_fake_set_dnssec(f, "sec.test.", LOOKUP_T_MX, LOOKUP_DNSSEC_BOGUS, 7);
	r = check(lk, "sec.test");
	p = expect_problem(r, "dnssec-bogus", CHECK_ERROR);
	cr_expect(strstr(p->message, "Signature Expired") != NULL, "%s", p->message);
	cr_expect(strstr(p->message, "extended DNS error 7") != NULL, "%s", p->message);
	cr_expect_eq(r->verdict, CHECK_TEMPFAIL, "never treated as absent");
	cr_expect_eq(r->dnssec, LOOKUP_DNSSEC_BOGUS);
	cr_expect_null(find_problem(r, "implicit-mx"));
	cr_expect_eq(check_exit_status(r), CHECK_EX_TEMPFAIL);
	check_result_free(r);
	lookup_free(lk);
}

Test(dane, a_servfail_that_cd_does_not_cure_is_no_bogus)
{
	struct lookup_fake *f;
	struct lookup *lk = validating(&f, NULL);
	struct check_result *r;

	lookup_fake_fail(f, "sec.test.", LOOKUP_T_MX, LOOKUP_TEMPORARY, LOOKUP_R_SERVFAIL);
	r = check(lk, "sec.test");
	cr_expect_null(find_problem(r, "dnssec-bogus"));
	expect_problem(r, "dns-servfail", CHECK_ERROR);
	cr_expect_eq(r->verdict, CHECK_TEMPFAIL);
	check_result_free(r);
	lookup_free(lk);
}

Test(dane, a_bogus_address_is_dnssec_bogus_and_defers_that_host)
{
	struct lookup_fake *f;
	struct lookup *lk = validating(&f, NULL);
	struct check_result *r;
	const struct check_problem *p;

	lookup_fake_set_dnssec(f, "mx1.sec.test.", LOOKUP_T_A, LOOKUP_DNSSEC_BOGUS, 6);
	r = check(lk, "two.test");
	p = expect_problem(r, "dnssec-bogus", CHECK_ERROR);
	cr_expect_str_eq(p->subject, "mx1.sec.test");
	cr_expect(strstr(p->message, "A lookup") != NULL, "%s", p->message);
	cr_expect_eq(route_of(r, "mx1.sec.test.")->dnssec, LOOKUP_DNSSEC_BOGUS);
	cr_expect(!route_of(r, "mx1.sec.test.")->usable);
	cr_expect_eq(r->verdict, CHECK_DELIVER, "mx2 still takes the mail");
	check_result_free(r);
	r = check(lk, "one.test");
	cr_expect_eq(r->verdict, CHECK_TEMPFAIL, "the only host is bogus: deferred");
	check_result_free(r);
	lookup_free(lk);
}

Test(dane, an_unsigned_mx_rrset_is_dnssec_insecure_and_dane_not_applicable)
{
	struct lookup_fake *f;
	struct lookup *lk = validating(&f, NULL);
	struct check_result *r = check(lk, "ins.test");
	const struct check_problem *p;

	expect_problem(r, "dnssec-insecure", CHECK_INFO);
	cr_expect_eq(r->dnssec, LOOKUP_DNSSEC_INSECURE);
	p = expect_problem(r, "dane-not-applicable", CHECK_INFO);
	cr_expect(strstr(p->message, "MX RRset is insecure") != NULL, "%s", p->message);
	cr_expect_eq(r->routes[0].dane, CHECK_DANE_NOT_APPLIED);
	cr_expect_eq(r->verdict, CHECK_DELIVER);
	check_result_free(r);
	lookup_free(lk);
}

Test(dane, tlsa_under_an_insecure_address_rrset_is_dane_not_applicable)
{
	struct lookup_fake *f;
	struct lookup *lk = validating(&f, NULL);
	struct check_result *r = check(lk, "mixed.test");
	const struct check_problem *p;

	cr_expect_null(find_problem(r, "dnssec-insecure"), "the MX RRset is signed");
	p = expect_problem(r, "dane-not-applicable", CHECK_INFO);
	cr_expect(strstr(p->message, "address RRset is insecure") != NULL, "%s", p->message);
	cr_expect_eq(r->routes[0].dnssec, LOOKUP_DNSSEC_INSECURE);
	cr_expect_eq(r->routes[0].dane, CHECK_DANE_NOT_APPLIED);
	check_result_free(r);
	lookup_free(lk);
}

Test(dane, a_bogus_tlsa_rrset_defers_that_exchange_only)
{
	static const char *const tlsa[] = {"_25._tcp.mx1.sec.test. 300 IN TLSA 3 1 1 " H32, NULL};
	struct lookup_fake *f;
	struct lookup *lk = validating(&f, tlsa);
	struct check_result *r;
	const struct check_route *rt;

	lookup_fake_set_dnssec(f, "_25._tcp.mx1.sec.test.", LOOKUP_T_TLSA, LOOKUP_DNSSEC_BOGUS, 6);
	r = check(lk, "two.test");
	expect_problem(r, "dane-tlsa-bogus", CHECK_ERROR);
	rt = route_of(r, "mx1.sec.test.");
	cr_expect_eq(rt->dane, CHECK_DANE_DEFERRED);
	cr_expect(!rt->usable && !rt->addrs[0].usable && rt->temp);
	cr_expect_eq(route_of(r, "mx2.sec.test.")->dane, CHECK_DANE_VERIFIED);
	cr_expect_eq(r->verdict, CHECK_DELIVER, "to mx2");
	check_result_free(r);
	r = check(lk, "one.test");
	expect_problem(r, "dane-tlsa-bogus", CHECK_ERROR);
	cr_expect_eq(r->verdict, CHECK_TEMPFAIL, "the only exchange is deferred");
	check_result_free(r);
	lookup_free(lk);
}

Test(dane, secure_tlsa_none_usable_is_dane_tlsa_unusable_encrypt)
{
	static const char *const tlsa[] = {"_25._tcp.mx1.sec.test. 300 IN TLSA 1 1 1 " H32,
	                                   "_25._tcp.mx1.sec.test. 300 IN TLSA 3 1 1 " H20,
	                                   "_25._tcp.mx1.sec.test. 300 IN TLSA 3 2 1 " H32, NULL};
	struct lookup_fake *f;
	struct lookup *lk = validating(&f, tlsa);
	struct check_result *r = check(lk, "sec.test");

	expect_problem(r, "dane-tlsa-unusable", CHECK_WARNING);
	cr_expect_null(find_problem(r, "dane-ok"));
	cr_expect_eq(r->routes[0].dane, CHECK_DANE_ENCRYPT);
	cr_expect_eq(r->routes[0].ntlsa, 3);
	cr_expect_eq(r->verdict, CHECK_DELIVER, "TLS without authentication still delivers");
	check_result_free(r);
	lookup_free(lk);
}

Test(dane, secure_without_tlsa_is_state_none_without_dane_problems)
{
	struct lookup_fake *f;
	struct lookup *lk = validating(&f, NULL);
	struct check_result *r = check(lk, "sec.test");

	cr_expect_eq(r->routes[0].dane, CHECK_DANE_NONE);
	cr_expect_null(find_problem(r, "dane-ok"));
	cr_expect_null(find_problem(r, "dane-not-applicable"));
	cr_expect_eq(check_exit_status(r), CHECK_EX_OK);
	check_result_free(r);
	lookup_free(lk);
}

Test(dane, the_validator_is_probed_once_per_lookup)
{
	struct lookup_fake *f;
	struct lookup *lk = validating(&f, NULL);
	struct check_result *r = check(lk, "sec.test");

	cr_expect_eq(r->queries, 5, "probe, MX, A, AAAA, TLSA: %u", r->queries);
	check_result_free(r);
	r = check(lk, "sec.test");
	cr_expect_eq(r->queries, 4, "no second probe: %u", r->queries);
	check_result_free(r);
	lookup_free(lk);
}

Test(dane, json_and_text_carry_the_dnssec_states_and_the_tlsa)
{
	static const char *const tlsa[] = {"_25._tcp.mx1.sec.test. 300 IN TLSA 3 1 1 " H32, NULL};
	struct lookup_fake *f;
	struct lookup *lk = validating(&f, tlsa);
	struct check_result *r = check(lk, "sec.test");
	char *js = report_json_string(r), *txt = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&txt, &len);

	cr_expect(strstr(js, "\"implicit_mx\":false,\"dnssec\":\"secure\"") != NULL, "%s", js);
	cr_expect(strstr(js, "\"fcrdns\":\"none\",\"problems\":[],\"dnssec\":\"secure\"") != NULL,
	          "%s", js);
	cr_expect(strstr(js, "\"tlsa\":{\"dnssec\":\"secure\",\"dane\":\"verified\",\"records\":"
	                     "[{\"usage\":3,\"selector\":1,\"matching_type\":1,\"length\":32,"
	                     "\"usable\":true}]}") != NULL,
	          "%s", js);
	report_text(fp, r, false);
	fclose(fp);
	cr_expect(strstr(txt, "dnssec: MX secure") != NULL, "%s", txt);
	cr_expect(strstr(txt, "dane: mx1.sec.test addresses secure, TLSA secure → verified") !=
	              NULL,
	          "%s", txt);
	free(txt);
	free(js);
	check_result_free(r);
	lookup_free(lk);
}

Test(dane, an_alias_on_the_way_that_is_unsigned_makes_the_lookup_insecure)
{
	static const char *const rrs[] = {"alias.test. 300 IN CNAME sec.ins.test.",
	                                  "sec.ins.test. 300 IN MX 10 mx1.sec.test.", NULL};
	struct lookup_fake *f;
	struct lookup *lk = validating(&f, rrs);
	struct lookup_result *lr;

	lk->dnssec = true;
	lookup_begin(lk);
	lr = lookup_resolve(lk, "alias.test", LOOKUP_T_MX);
	cr_expect_eq(lr->status, LOOKUP_OK);
	cr_expect_eq(lr->dnssec, LOOKUP_DNSSEC_INSECURE);
	lookup_result_free(lr);
	lr = lookup_resolve(lk, "sec.test", LOOKUP_T_MX);
	cr_expect_eq(lr->dnssec, LOOKUP_DNSSEC_SECURE);
	lookup_result_free(lr);
	lookup_free(lk);
}

Test(dane, tlsa_usability_follows_rfc_7672)
{
	static const struct {
		struct check_tlsa t;
		bool usable;
	} cases[] = {
	    {{3, 1, 1, 32, false}, true},  {{2, 0, 1, 32, false}, true},
	    {{3, 0, 2, 64, false}, true},  {{3, 1, 0, 91, false}, true},
	    {{0, 1, 1, 32, false}, false}, {{1, 1, 1, 32, false}, false},
	    {{3, 2, 1, 32, false}, false}, {{3, 1, 3, 32, false}, false},
	    {{3, 1, 1, 31, false}, false}, {{3, 1, 2, 32, false}, false},
	    {{3, 1, 0, 0, false}, false},  {{4, 1, 1, 32, false}, false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(dane_tlsa_usable(&cases[i].t), cases[i].usable, "case %zu", i);
	cr_expect_str_eq(dane_usage_name(3), "DANE-EE(3)");
	cr_expect_str_eq(dane_usage_name(0), "PKIX-TA(0)");
}

Test(dane, a_tlsa_lookup_that_fails_without_being_bogus_defers_the_exchange_too)
{
	struct lookup_fake *f;
	struct lookup *lk = validating(&f, NULL);
	struct check_result *r;

	lookup_fake_fail(f, "_25._tcp.mx1.sec.test.", LOOKUP_T_TLSA, LOOKUP_TEMPORARY,
	                 LOOKUP_R_SERVFAIL);
	r = check(lk, "one.test");
	cr_expect_null(find_problem(r, "dane-tlsa-bogus"), "not bogus: CD does not cure it");
	expect_problem(r, "mx-host-tempfail", CHECK_WARNING);
	expect_problem(r, "dns-servfail", CHECK_ERROR);
	cr_expect_eq(r->routes[0].dane, CHECK_DANE_DEFERRED);
	cr_expect_eq(r->verdict, CHECK_TEMPFAIL);
	check_result_free(r);
	lookup_free(lk);
}

Test(dane, an_unsigned_tlsa_rrset_under_secure_addresses_is_not_applied)
{
	static const char *const tlsa[] = {"_25._tcp.mx1.sec.test. 300 IN TLSA 3 1 1 " H32, NULL};
	struct lookup_fake *f;
	struct lookup *lk = validating(&f, tlsa);
	struct check_result *r;
	const struct check_problem *p;

	lookup_fake_set_dnssec(f, "_25._tcp.mx1.sec.test.", 0, LOOKUP_DNSSEC_INSECURE, -1);
	r = check(lk, "sec.test");
	p = expect_problem(r, "dane-not-applicable", CHECK_INFO);
	cr_expect(strstr(p->message, "not signed") != NULL, "%s", p->message);
	cr_expect_null(find_problem(r, "dane-ok"));
	cr_expect_eq(r->routes[0].dane, CHECK_DANE_NOT_APPLIED);
	check_result_free(r);
	lookup_free(lk);
}
