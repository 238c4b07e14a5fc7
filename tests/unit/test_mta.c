/* tests/unit/test_mta.c -- MTA profiles (--mta) on a fake DNS: each difference between rfc,
   postfix and exim, and the name and address rules of client/mta.c. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "client/check.h"
#include "client/lookup.h"
#include "client/mta.h"
#include "client/mx.h"
#include "client/report.h"
#include "tests/unit/test_mxcheck_fake.h"

/* Domain mode for target as profile mta ("rfc", "postfix", "exim") on a fake DNS holding rrs;
   reverse DNS is not checked. fail_name/fail_status: one forced failure (NULL: none). */
static struct check_result *
run_as(const char *mta, const char *target, const char *const *rrs, const char *fail_name,
       uint16_t fail_type, enum lookup_status fail_status)
{
	struct lookup_fake *f;
	struct lookup *lk = fake_new(&f, rrs);
	struct check_options o;
	struct check_result *r;

	check_options_init(&o);
	o.seed = 1;
	o.no_ptr = true;
	o.mta = mta_find(mta);
	cr_assert_not_null(o.mta, "no profile %s", mta);
	if (fail_name)
		lookup_fake_fail(f, fail_name, fail_type, fail_status,
		                 fail_status == LOOKUP_FORMERR ? LOOKUP_R_FORMERR
		                                               : LOOKUP_R_SERVFAIL);
	r = fake_mx(lk, target, &o);
	lookup_free(lk);
	cr_assert_str_eq(r->mta, mta);
	return r;
}

/* The verdict of target as each profile, in the order rfc, postfix, exim. */
static void
expect_verdicts(const char *target, const char *const *rrs, enum check_verdict rfc,
                enum check_verdict postfix, enum check_verdict exim)
{
	const char *const names[3] = {"rfc", "postfix", "exim"};
	const enum check_verdict want[3] = {rfc, postfix, exim};

	for (int i = 0; i < 3; i++) {
		struct check_result *r = run_as(names[i], target, rrs, NULL, 0, LOOKUP_OK);
		cr_expect_eq(r->verdict, want[i], "%s as %s: %s, expected %s", target, names[i],
		             check_verdict_name(r->verdict), check_verdict_name(want[i]));
		check_result_free(r);
	}
}

/* Usable address texts of the result, in order, "a,b,...". */
static void
usable_list(const struct check_result *r, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < r->nroutes; i++)
		for (size_t j = 0; j < r->routes[i].naddrs; j++)
			if (r->routes[i].addrs[j].usable)
				used +=
				    (size_t)snprintf(out + used, len - used, "%s%s",
				                     used ? "," : "", r->routes[i].addrs[j].text);
}

Test(mta, profiles_are_found_by_name_and_rfc_is_the_default)
{
	cr_assert_str_eq(mta_default()->name, "rfc");
	cr_assert_not_null(mta_find("postfix"));
	cr_assert_not_null(mta_find("exim"));
	cr_assert_null(mta_find("sendmail"));
	cr_assert_null(mta_find("EXIM"));
}

Test(mta, exim_name_pattern_allows_underscore_and_slash_inside_labels)
{
	cr_assert(mta_exim_name_ok("mail_in.example.test."));
	cr_assert(mta_exim_name_ok("_mail.example.test."));
	cr_assert(mta_exim_name_ok("mail/in.example.test."));
	cr_assert_not(mta_exim_name_ok("/mail.example.test."));
	cr_assert_not(mta_exim_name_ok("mail-.example.test."));
	cr_assert_not(mta_exim_name_ok("mail*in.example.test."));
	cr_assert_not(mta_exim_name_ok("a..example.test."));
}

Test(mta, postfix_valid_hostname_allows_underscore_but_not_slash_or_numbers)
{
	cr_assert(mta_postfix_name_ok("mail_in.example.test."));
	cr_assert(mta_postfix_name_ok("_mail.example.test."));
	cr_assert_not(mta_postfix_name_ok("mail/in.example.test."));
	cr_assert_not(mta_postfix_name_ok("-mail.example.test."));
	cr_assert_not(mta_postfix_name_ok("10.1."));
}

Test(mta, an_underscore_exchange_is_delivered_to_by_postfix_and_exim_only)
{
	static const char *const z[] = {"u.test. 300 IN MX 10 mail_in.u.test.",
	                                "mail_in.u.test. 300 IN A 192.0.2.1", NULL};
	struct check_result *r;

	expect_verdicts("u.test", z, CHECK_PERMFAIL, CHECK_DELIVER, CHECK_DELIVER);
	r = run_as("exim", "u.test", z, NULL, 0, LOOKUP_OK);
	expect_problem(r, "mx-bad-name", CHECK_WARNING);
	check_result_free(r);
}

Test(mta, a_slash_exchange_is_used_by_exim_and_defers_postfix)
{
	static const char *const z[] = {"s.test. 300 IN MX 10 mail/in.s.test.",
	                                "mail/in.s.test. 300 IN A 192.0.2.1", NULL};
	struct check_result *r;

	expect_verdicts("s.test", z, CHECK_PERMFAIL, CHECK_TEMPFAIL, CHECK_DELIVER);
	r = run_as("postfix", "s.test", z, NULL, 0, LOOKUP_OK);
	expect_problem(r, "mx-bad-name", CHECK_ERROR);
	cr_expect_eq(r->routes[0].naddrs, 0, "Postfix never looks the host up");
	check_result_free(r);
}

Test(mta, a_name_failing_exims_pattern_is_no_host_for_exim)
{
	static const char *const z[] = {
	    "st.test. 300 IN MX 10 mail*in.st.test.", "st.test. 300 IN MX 20 b.st.test.",
	    "mail*in.st.test. 300 IN A 192.0.2.1", "b.st.test. 300 IN A 192.0.2.2", NULL};
	struct check_result *r = run_as("exim", "st.test", z, NULL, 0, LOOKUP_OK);
	char got[256];

	cr_assert_eq(r->verdict, CHECK_DELIVER);
	usable_list(r, got, sizeof(got));
	cr_expect_str_eq(got, "192.0.2.2");
	expect_problem(r, "mx-bad-name", CHECK_ERROR);
	check_result_free(r);
}

Test(mta, null_mx_beside_a_real_mx_is_skipped_by_exim_only)
{
	static const char *const z[] = {"n.test. 300 IN MX 0 .", "n.test. 300 IN MX 10 mx.n.test.",
	                                "mx.n.test. 300 IN A 192.0.2.1", NULL};
	struct check_result *r;
	char got[256];

	expect_verdicts("n.test", z, CHECK_PERMFAIL, CHECK_PERMFAIL, CHECK_DELIVER);
	r = run_as("exim", "n.test", z, NULL, 0, LOOKUP_OK);
	expect_problem(r, "null-mx-mixed", CHECK_WARNING);
	usable_list(r, got, sizeof(got));
	cr_expect_str_eq(got, "192.0.2.1");
	check_result_free(r);
}

Test(mta, a_dot_with_a_preference_beside_a_real_mx_is_a_null_mx_for_postfix)
{
	static const char *const z[] = {"p.test. 300 IN MX 5 .", "p.test. 300 IN MX 10 mx.p.test.",
	                                "mx.p.test. 300 IN A 192.0.2.1", NULL};
	struct check_result *r;

	expect_verdicts("p.test", z, CHECK_DELIVER, CHECK_PERMFAIL, CHECK_DELIVER);
	r = run_as("postfix", "p.test", z, NULL, 0, LOOKUP_OK);
	expect_problem(r, "null-mx-mixed", CHECK_ERROR);
	check_result_free(r);
}

Test(mta, a_lone_dot_with_a_preference_is_a_null_mx_for_exim)
{
	static const char *const z[] = {"l.test. 300 IN MX 10 .", "l.test. 300 IN A 192.0.2.1",
	                                NULL};
	struct check_result *r = run_as("exim", "l.test", z, NULL, 0, LOOKUP_OK);

	cr_assert_eq(r->verdict, CHECK_PERMFAIL);
	expect_problem(r, "null-mx", CHECK_INFO);
	cr_expect_null(find_problem(r, "no-usable-mx"));
	check_result_free(r);
}

Test(mta, a_cname_loop_defers_exim_and_bounces_the_others)
{
	static const char *const z[] = {"c.test. 300 IN MX 10 a.c.test.",
	                                "a.c.test. 300 IN CNAME b.c.test.",
	                                "b.c.test. 300 IN CNAME a.c.test.", NULL};
	struct check_result *r;

	expect_verdicts("c.test", z, CHECK_PERMFAIL, CHECK_PERMFAIL, CHECK_TEMPFAIL);
	r = run_as("exim", "c.test", z, NULL, 0, LOOKUP_OK);
	expect_problem(r, "cname-loop", CHECK_WARNING);
	cr_expect_null(find_problem(r, "no-usable-mx"));
	check_result_free(r);
}

Test(mta, a_domain_in_a_cname_loop_defers_exim)
{
	static const char *const z[] = {"d.test. 300 IN CNAME e.test.",
	                                "e.test. 300 IN CNAME d.test.", NULL};

	expect_verdicts("d.test", z, CHECK_PERMFAIL, CHECK_PERMFAIL, CHECK_TEMPFAIL);
}

Test(mta, a_ten_hop_cname_chain_is_followed_by_postfix_and_exim)
{
	static const char *const z[] = {"k.test. 300 IN MX 10 c1.k.test.",
	                                "c1.k.test. 300 IN CNAME c2.k.test.",
	                                "c2.k.test. 300 IN CNAME c3.k.test.",
	                                "c3.k.test. 300 IN CNAME c4.k.test.",
	                                "c4.k.test. 300 IN CNAME c5.k.test.",
	                                "c5.k.test. 300 IN CNAME c6.k.test.",
	                                "c6.k.test. 300 IN CNAME c7.k.test.",
	                                "c7.k.test. 300 IN CNAME c8.k.test.",
	                                "c8.k.test. 300 IN CNAME c9.k.test.",
	                                "c9.k.test. 300 IN CNAME c10.k.test.",
	                                "c10.k.test. 300 IN CNAME h.k.test.",
	                                "h.k.test. 300 IN A 192.0.2.9",
	                                NULL};
	struct check_result *r;

	expect_verdicts("k.test", z, CHECK_PERMFAIL, CHECK_DELIVER, CHECK_DELIVER);
	r = run_as("exim", "k.test", z, NULL, 0, LOOKUP_OK);
	cr_expect_eq(r->routes[0].nchain, 10);
	cr_expect_str_eq(r->routes[0].chain[9], "h.k.test.");
	check_result_free(r);
}

/* One address and which profiles use it. */
struct addr_case {
	char rr[16];   /* "A" or "AAAA" */
	char addr[40]; /* the address */
	bool rfc;      /* usable by rfc */
	bool postfix;  /* usable by postfix */
	bool exim;     /* usable by exim */
};

Test(mta, each_profile_uses_the_addresses_its_mta_uses)
{
	static const struct addr_case cases[] = {
	    {"A", "192.0.2.1", true, true, true},
	    {"A", "10.1.2.3", true, true, false},
	    {"A", "172.20.0.1", true, true, false},
	    {"A", "192.168.1.1", true, true, false},
	    {"A", "169.254.1.1", false, true, false},
	    {"A", "127.0.0.1", false, false, false},
	    {"A", "0.0.0.0", false, true, false},
	    {"A", "0.1.2.3", false, true, true},
	    {"A", "240.0.0.1", false, true, true},
	    {"A", "255.255.255.255", false, true, false},
	    {"A", "224.0.0.1", false, true, true},
	    {"A", "100.64.0.1", true, true, true},
	    {"AAAA", "::ffff:10.0.0.5", true, true, false},
	    {"AAAA", "::ffff:127.0.0.1", false, false, false},
	    {"AAAA", "::ffff:192.0.2.7", true, true, true},
	    {"AAAA", "::1", false, false, false},
	    {"AAAA", "::192.0.2.74", false, true, true},
	    {"AAAA", "fd00::1", true, true, false},
	    {"AAAA", "fe80::1", false, true, false},
	    {"AAAA", "ff02::1", false, true, true},
	    {"AAAA", "100::1", false, true, false},
	};
	const char *const names[3] = {"rfc", "postfix", "exim"};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char rr[2048];
		const char *z[3] = {"a.test. 300 IN MX 10 mx.a.test.", rr, NULL};
		const bool want[3] = {cases[i].rfc, cases[i].postfix, cases[i].exim};

		snprintf(rr, sizeof(rr), "mx.a.test. 300 IN %s %s", cases[i].rr, cases[i].addr);
		for (int m = 0; m < 3; m++) {
			struct check_result *r = run_as(names[m], "a.test", z, NULL, 0, LOOKUP_OK);
			cr_assert_eq(r->nroutes, 1);
			cr_assert_eq(r->routes[0].naddrs, 1, "%s", rr);
			cr_expect_eq(r->routes[0].addrs[0].usable, want[m], "%s as %s: usable %d",
			             cases[i].addr, names[m], r->routes[0].addrs[0].usable);
			cr_expect_eq(r->verdict, want[m] ? CHECK_DELIVER : CHECK_PERMFAIL,
			             "%s as %s", cases[i].addr, names[m]);
			check_result_free(r);
		}
	}
}

Test(mta, postfix_connects_to_an_mx_that_names_an_address)
{
	static const char *const z[] = {"i.test. 300 IN MX 10 192.0.2.30.", NULL};
	struct check_result *r;
	char got[256];

	expect_verdicts("i.test", z, CHECK_PERMFAIL, CHECK_DELIVER, CHECK_PERMFAIL);
	r = run_as("postfix", "i.test", z, NULL, 0, LOOKUP_OK);
	expect_problem(r, "mx-ip-literal", CHECK_WARNING);
	usable_list(r, got, sizeof(got));
	cr_expect_str_eq(got, "192.0.2.30");
	check_result_free(r);
}

Test(mta, a_numeric_name_that_is_no_address_is_looked_up_by_exim)
{
	static const char *const z[] = {"q.test. 300 IN MX 10 10.1.", "10.1. 300 IN A 192.0.2.31",
	                                NULL};
	struct check_result *r;

	expect_verdicts("q.test", z, CHECK_PERMFAIL, CHECK_TEMPFAIL, CHECK_DELIVER);
	r = run_as("rfc", "q.test", z, NULL, 0, LOOKUP_OK);
	expect_problem(r, "mx-ip-literal", CHECK_ERROR);
	check_result_free(r);
}

Test(mta, formerr_on_mx_bounces_postfix_and_defers_the_others)
{
	static const char *const z[] = {"f.test. 300 IN MX 10 mx.f.test.",
	                                "mx.f.test. 300 IN A 192.0.2.1", NULL};
	const char *const names[3] = {"rfc", "postfix", "exim"};
	const enum check_verdict want[3] = {CHECK_TEMPFAIL, CHECK_PERMFAIL, CHECK_TEMPFAIL};

	for (int i = 0; i < 3; i++) {
		struct check_result *r =
		    run_as(names[i], "f.test", z, "f.test.", LOOKUP_T_MX, LOOKUP_FORMERR);
		cr_expect_eq(r->verdict, want[i], "as %s: %s", names[i],
		             check_verdict_name(r->verdict));
		expect_problem(r, "dns-formerr", CHECK_ERROR);
		check_result_free(r);
	}
}

Test(mta, formerr_on_the_only_hosts_address_bounces_postfix)
{
	static const char *const z[] = {"g.test. 300 IN MX 10 mx.g.test.", NULL};
	const char *const names[3] = {"rfc", "postfix", "exim"};
	const enum check_verdict want[3] = {CHECK_TEMPFAIL, CHECK_PERMFAIL, CHECK_TEMPFAIL};

	for (int i = 0; i < 3; i++) {
		struct check_result *r =
		    run_as(names[i], "g.test", z, "mx.g.test.", 0, LOOKUP_FORMERR);
		cr_expect_eq(r->verdict, want[i], "as %s: %s", names[i],
		             check_verdict_name(r->verdict));
		check_result_free(r);
	}
}

Test(mta, exim_lists_a_hosts_ipv6_addresses_first)
{
	static const char *const z[] = {"o.test. 300 IN MX 10 mx.o.test.",
	                                "mx.o.test. 300 IN A 192.0.2.1",
	                                "mx.o.test. 300 IN AAAA 2001:db8::1", NULL};
	struct check_result *r;
	char got[256];

	r = run_as("exim", "o.test", z, NULL, 0, LOOKUP_OK);
	usable_list(r, got, sizeof(got));
	cr_expect_str_eq(got, "2001:db8::1,192.0.2.1");
	check_result_free(r);
	r = run_as("rfc", "o.test", z, NULL, 0, LOOKUP_OK);
	usable_list(r, got, sizeof(got));
	cr_expect_str_eq(got, "192.0.2.1,2001:db8::1");
	check_result_free(r);
}

Test(mta, json_names_the_profile)
{
	static const char *const z[] = {"j.test. 300 IN MX 10 mx.j.test.",
	                                "mx.j.test. 300 IN A 192.0.2.1", NULL};
	struct check_result *r = run_as("exim", "j.test", z, NULL, 0, LOOKUP_OK);
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	cr_assert_not_null(fp);
	cr_assert_eq(report_json(fp, r), 0);
	fclose(fp);
	cr_expect_not_null(strstr(buf, "\"mta\":\"exim\""), "%s", buf);
	free(buf);
	check_result_free(r);
}
