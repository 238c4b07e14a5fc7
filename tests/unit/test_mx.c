/* tests/unit/test_mx.c -- domain mode on a fake DNS: every problem code, verdicts, ordering. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "client/check.h"
#include "client/lookup.h"
#include "client/mx.h"
#include "client/rdns.h"
#include "tests/unit/test_mxcheck_fake.h"

#define PTR6_1 "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."

/* A healthy two-MX domain with forward-confirmed reverse DNS everywhere. */
static const char *const good_zone[] = {
    "good.test. 300 IN MX 10 mx1.good.test.",
    "good.test. 300 IN MX 20 mx2.good.test.",
    "mx1.good.test. 300 IN A 192.0.2.1",
    "mx1.good.test. 300 IN AAAA 2001:db8::1",
    "mx2.good.test. 300 IN A 192.0.2.2",
    "1.2.0.192.in-addr.arpa. 300 IN PTR mx1.good.test.",
    "2.2.0.192.in-addr.arpa. 300 IN PTR mx2.good.test.",
    PTR6_1 " 300 IN PTR mx1.good.test.",
    NULL,
};

/* Domain mode for target on a fake DNS holding the healthy zone plus rrs (NULL-terminated,
   or NULL); o NULL for fake_mx()'s defaults. */
static struct check_result *
run(const char *target, const char *const *rrs, const struct check_options *o)
{
	struct lookup_fake *f;
	struct lookup *lk = fake_new(&f, good_zone);
	struct check_result *r;

	for (size_t i = 0; rrs && rrs[i]; i++)
		cr_assert_eq(lookup_fake_add(f, rrs[i]), 0, "%s", rrs[i]);
	r = fake_mx(lk, target, o);
	lookup_free(lk);
	return r;
}

/* ---- scenarios, one per problem code (reused by the facts below) ------------------------- */

/* A lookup the fake DNS fails. */
struct sc_fail {
	const char *name;          /* name that fails, NULL for none */
	uint16_t type;             /* its type, 0 for every type */
	enum lookup_status status; /* the failure */
	enum lookup_reason reason; /* and its reason */
};

/* Header bits the fake DNS sets on one answer. */
struct sc_flags {
	bool set; /* whether it does */
	bool aa;  /* AA */
	bool tc;  /* TC */
};

/* The code a scenario must produce, with its severity and the verdict. */
struct sc_want {
	char code[32];              /* code the scenario must produce */
	enum check_severity sev;    /* severity expected for the code */
	enum check_verdict verdict; /* verdict expected */
};

/* One scenario: records added to the healthy zone, what the fake DNS does wrong, the options,
   and what the check must give. */
struct scenario {
	struct sc_want want;   /* what the check must give */
	const char *target;    /* domain checked (the address, with helo) */
	const char *rrs[6];    /* records added to the healthy zone */
	struct sc_fail fail;   /* a failing lookup */
	struct sc_flags flags; /* AA and TC bits of the MX answer for good.test */
	const char *self;      /* --self, NULL for none */
	bool v4_only;          /* a sender without IPv6, reverse DNS not checked */
	const char *helo;      /* address mode with this HELO name */
};

/* The pt.test domain and its one MX host, and a PTR record for that host's address. */
#define PT_MX          "pt.test. 300 IN MX 10 mx.pt.test.", "mx.pt.test. 300 IN A 198.51.100.7"
#define PT_PTR(target) "7.100.51.198.in-addr.arpa. 300 IN PTR " target

static const struct scenario scenarios[] = {
    {.want = {"nxdomain", CHECK_ERROR, CHECK_PERMFAIL}, .target = "missing.test"},
    {.want = {"no-mail-records", CHECK_ERROR, CHECK_PERMFAIL},
     .target = "empty.test",
     .rrs = {"empty.test. 300 IN TXT \"no mail here\""}},
    {.want = {"null-mx", CHECK_INFO, CHECK_PERMFAIL},
     .target = "null.test",
     .rrs = {"null.test. 300 IN MX 0 ."}},
    {.want = {"null-mx-mixed", CHECK_ERROR, CHECK_PERMFAIL},
     .target = "mixed.test",
     .rrs = {"mixed.test. 300 IN MX 0 .", "mixed.test. 300 IN MX 10 mx1.good.test."}},
    {.want = {"null-mx-bad-preference", CHECK_ERROR, CHECK_PERMFAIL},
     .target = "nullpref.test",
     .rrs = {"nullpref.test. 300 IN MX 10 ."}},
    {.want = {"implicit-mx", CHECK_INFO, CHECK_DELIVER},
     .target = "impl.test",
     .rrs = {"impl.test. 300 IN A 192.0.2.1"}},
    {.want = {"domain-cname", CHECK_INFO, CHECK_DELIVER},
     .target = "alias.test",
     .rrs = {"alias.test. 300 IN CNAME good.test."}},
    {.want = {"mx-ip-literal", CHECK_ERROR, CHECK_PERMFAIL},
     .target = "lit.test",
     .rrs = {"lit.test. 300 IN MX 10 192.0.2.1."}},
    {.want = {"mx-bad-name", CHECK_ERROR, CHECK_DELIVER},
     .target = "badname.test",
     .rrs = {"badname.test. 300 IN MX 10 bad_host.good.test.",
             "badname.test. 300 IN MX 20 mx1.good.test."}},
    {.want = {"mx-duplicate", CHECK_WARNING, CHECK_DELIVER},
     .target = "dup.test",
     .rrs = {"dup.test. 300 IN MX 10 mx2.good.test.", "dup.test. 300 IN MX 20 mx2.good.test."}},
    {.want = {"mx-cname", CHECK_WARNING, CHECK_DELIVER},
     .target = "mxc.test",
     .rrs = {"mxc.test. 300 IN MX 10 alias.mxc.test.",
             "alias.mxc.test. 300 IN CNAME mx2.good.test."}},
    {.want = {"mx-host-nxdomain", CHECK_ERROR, CHECK_PERMFAIL},
     .target = "hnx.test",
     .rrs = {"hnx.test. 300 IN MX 10 nowhere.hnx.test."}},
    {.want = {"mx-host-nodata", CHECK_ERROR, CHECK_PERMFAIL},
     .target = "hnd.test",
     .rrs = {"hnd.test. 300 IN MX 10 mx.hnd.test.", "mx.hnd.test. 300 IN TXT \"no address\""}},
    {.want = {"mx-host-tempfail", CHECK_WARNING, CHECK_TEMPFAIL},
     .target = "htf.test",
     .rrs = {"htf.test. 300 IN MX 10 mx.htf.test.", "mx.htf.test. 300 IN A 192.0.2.7"},
     .fail = {"mx.htf.test.", 0, LOOKUP_TEMPORARY, LOOKUP_R_SERVFAIL}},
    {.want = {"mx-host-wrong-family", CHECK_ERROR, CHECK_PERMFAIL},
     .target = "v6.test",
     .rrs = {"v6.test. 300 IN MX 10 mx.v6.test.", "mx.v6.test. 300 IN AAAA 2001:db8::6"},
     .v4_only = true},
    {.want = {"mx-address-unroutable", CHECK_ERROR, CHECK_PERMFAIL},
     .target = "loop.test",
     .rrs = {"loop.test. 300 IN MX 10 mx.loop.test.", "mx.loop.test. 300 IN A 127.0.0.1"}},
    {.want = {"mx-address-private", CHECK_WARNING, CHECK_DELIVER},
     .target = "priv.test",
     .rrs = {"priv.test. 300 IN MX 10 mx.priv.test.", "mx.priv.test. 300 IN A 10.1.2.3"}},
    /* the mx-host-nxdomain scenario */
    {.want = {"no-usable-mx", CHECK_ERROR, CHECK_PERMFAIL},
     .target = "hnx.test",
     .rrs = {"hnx.test. 300 IN MX 10 nowhere.hnx.test."}},
    {.want = {"primary-mx-v6-only", CHECK_WARNING, CHECK_DELIVER},
     .target = "p6.test",
     .rrs = {"p6.test. 300 IN MX 10 mx.v6.test.", "p6.test. 300 IN MX 20 mx2.good.test.",
             "mx.v6.test. 300 IN AAAA 2001:db8::6"}},
    {.want = {"self-loop", CHECK_ERROR, CHECK_PERMFAIL},
     .target = "good.test",
     .self = "MX1.good.test"},
    {.want = {"no-primary-relay", CHECK_ERROR, CHECK_TEMPFAIL},
     .target = "backup.test",
     .rrs = {"backup.test. 300 IN MX 10 gone.backup.test.",
             "backup.test. 300 IN MX 20 mx2.good.test."},
     .self = "192.0.2.2"},
    {.want = {"cname-loop", CHECK_ERROR, CHECK_PERMFAIL},
     .target = "cl.test",
     .rrs = {"cl.test. 300 IN MX 10 a.cl.test.", "a.cl.test. 300 IN CNAME b.cl.test.",
             "b.cl.test. 300 IN CNAME a.cl.test."}},
    {.want = {"dns-servfail", CHECK_ERROR, CHECK_TEMPFAIL},
     .target = "good.test",
     .fail = {"good.test.", LOOKUP_T_MX, LOOKUP_TEMPORARY, LOOKUP_R_SERVFAIL}},
    {.want = {"dns-refused", CHECK_ERROR, CHECK_TEMPFAIL},
     .target = "good.test",
     .fail = {"good.test.", LOOKUP_T_MX, LOOKUP_TEMPORARY, LOOKUP_R_REFUSED}},
    {.want = {"dns-notimp", CHECK_ERROR, CHECK_TEMPFAIL},
     .target = "good.test",
     .fail = {"good.test.", LOOKUP_T_MX, LOOKUP_TEMPORARY, LOOKUP_R_NOTIMP}},
    {.want = {"dns-formerr", CHECK_ERROR, CHECK_TEMPFAIL},
     .target = "good.test",
     .fail = {"good.test.", LOOKUP_T_MX, LOOKUP_FORMERR, LOOKUP_R_FORMERR}},
    {.want = {"dns-timeout", CHECK_ERROR, CHECK_TEMPFAIL},
     .target = "good.test",
     .fail = {"good.test.", LOOKUP_T_MX, LOOKUP_TEMPORARY, LOOKUP_R_TIMEOUT}},
    {.want = {"dns-network", CHECK_ERROR, CHECK_TEMPFAIL},
     .target = "good.test",
     .fail = {"good.test.", LOOKUP_T_MX, LOOKUP_TEMPORARY, LOOKUP_R_NETWORK}},
    {.want = {"dns-truncated", CHECK_INFO, CHECK_DELIVER},
     .target = "good.test",
     .flags = {true, true, true}},
    {.want = {"dns-tcp-failed", CHECK_ERROR, CHECK_TEMPFAIL},
     .target = "good.test",
     .fail = {"good.test.", LOOKUP_T_MX, LOOKUP_TEMPORARY, LOOKUP_R_TCP_FAILED}},
    {.want = {"dns-not-authoritative", CHECK_WARNING, CHECK_DELIVER},
     .target = "good.test",
     .flags = {true, false, false}},
    {.want = {"ptr-missing", CHECK_WARNING, CHECK_DELIVER},
     .target = "np.test",
     .rrs = {"np.test. 300 IN MX 10 mx.np.test.", "mx.np.test. 300 IN A 198.51.100.9"}},
    {.want = {"ptr-tempfail", CHECK_WARNING, CHECK_DELIVER},
     .target = "good.test",
     .fail = {"2.2.0.192.in-addr.arpa.", LOOKUP_T_PTR, LOOKUP_TEMPORARY, LOOKUP_R_TIMEOUT}},
    {.want = {"ptr-numeric", CHECK_WARNING, CHECK_DELIVER},
     .target = "pt.test",
     .rrs = {PT_MX, PT_PTR("198.51.100.7.")}},
    {.want = {"ptr-bad-name", CHECK_WARNING, CHECK_DELIVER},
     .target = "pt.test",
     .rrs = {PT_MX, PT_PTR("under_score.pt.test.")}},
    {.want = {"ptr-multiple", CHECK_WARNING, CHECK_DELIVER},
     .target = "pt.test",
     .rrs = {PT_MX, PT_PTR("mx.pt.test."), PT_PTR("other.pt.test."),
             "other.pt.test. 300 IN A 198.51.100.7"}},
    {.want = {"ptr-cname", CHECK_WARNING, CHECK_DELIVER},
     .target = "pt.test",
     .rrs = {PT_MX, PT_PTR("alias.pt.test."), "alias.pt.test. 300 IN CNAME mx.pt.test."}},
    {.want = {"ptr-target-nxdomain", CHECK_WARNING, CHECK_DELIVER},
     .target = "pt.test",
     .rrs = {PT_MX, PT_PTR("gone.pt.test.")}},
    {.want = {"fcrdns-mismatch", CHECK_WARNING, CHECK_DELIVER},
     .target = "pt.test",
     .rrs = {PT_MX, PT_PTR("other.pt.test."), "other.pt.test. 300 IN A 198.51.100.8"}},
    {.want = {"fcrdns-tempfail", CHECK_WARNING, CHECK_DELIVER},
     .target = "pt.test",
     .rrs = {PT_MX, PT_PTR("host.slow.test.")},
     .fail = {"host.slow.test.", 0, LOOKUP_TEMPORARY, LOOKUP_R_TIMEOUT}},
    {.want = {"ptr-not-mx-name", CHECK_INFO, CHECK_DELIVER},
     .target = "pt.test",
     .rrs = {PT_MX, PT_PTR("other.pt.test."), "other.pt.test. 300 IN A 198.51.100.7"}},
    {.want = {"helo-mismatch", CHECK_WARNING, CHECK_PASS},
     .target = "192.0.2.1",
     .helo = "mx2.good.test"},
};

/* Run the scenario on a fake DNS holding the healthy zone and its records. */
static struct check_result *
scenario_run(const struct scenario *s)
{
	struct lookup_fake *f;
	struct lookup *lk = fake_new(&f, good_zone);
	struct check_options o, *op = NULL;
	struct check_result *r;

	for (size_t i = 0; i < 6 && s->rrs[i]; i++)
		cr_assert_eq(lookup_fake_add(f, s->rrs[i]), 0, "%s: %s", s->want.code, s->rrs[i]);
	if (s->fail.name)
		lookup_fake_fail(f, s->fail.name, s->fail.type, s->fail.status, s->fail.reason);
	if (s->flags.set)
		lookup_fake_set_flags(f, "good.test.", LOOKUP_T_MX, s->flags.aa, s->flags.tc);
	if (s->self || s->v4_only) {
		/* options of their own: the default seed, not fake_mx()'s 1 */
		check_options_init(&o);
		if (s->self) {
			o.self = &s->self;
			o.nself = 1;
		}
		if (s->v4_only) {
			o.want6 = false;
			o.no_ptr = true;
		}
		op = &o;
	}
	r = s->helo ? fake_addr(lk, s->target, s->helo) : fake_mx(lk, s->target, op);
	lookup_free(lk);
	return r;
}

/* The code list of the contract, verbatim. */
static const char spec_codes[] =
    "nxdomain no-mail-records null-mx null-mx-mixed null-mx-bad-preference implicit-mx "
    "domain-cname mx-ip-literal mx-bad-name mx-duplicate mx-cname mx-host-nxdomain "
    "mx-host-nodata mx-host-tempfail mx-host-wrong-family mx-address-unroutable "
    "mx-address-private no-usable-mx primary-mx-v6-only self-loop no-primary-relay cname-loop "
    "dns-servfail dns-refused dns-notimp dns-formerr dns-timeout dns-truncated dns-tcp-failed "
    "dns-not-authoritative ptr-missing ptr-tempfail ptr-numeric ptr-multiple ptr-cname "
    "ptr-target-nxdomain fcrdns-mismatch fcrdns-tempfail ptr-not-mx-name helo-mismatch";

static const struct scenario *
scenario_for(const char *code)
{
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (strcmp(scenarios[i].want.code, code) == 0)
			return &scenarios[i];
	return NULL;
}

/* Run the scenario for code. */
static struct check_result *
sc(const char *code)
{
	const struct scenario *s = scenario_for(code);

	cr_assert_not_null(s, "no scenario for %s", code);
	return scenario_run(s);
}

Test(mx, every_spec_code_has_a_scenario_and_a_reference)
{
	char buf[sizeof(spec_codes)], *save = NULL;

	memcpy(buf, spec_codes, sizeof(buf));
	for (char *c = strtok_r(buf, " ", &save); c; c = strtok_r(NULL, " ", &save)) {
		cr_expect_not_null(scenario_for(c), "no scenario produces %s", c);
		cr_expect_geq(check_code_index(c), 0, "%s missing from the code table", c);
		cr_expect_str_not_empty(check_code_reference(c));
	}
	for (size_t i = 0; i < check_code_count(); i++) {
		/* the --trace codes need a world of servers: tests/unit/test_trace.c has them;
		   the --dnssec codes a validating resolver: tests/unit/test_dane.c has them */
		static const char trace_codes[] =
		    " lame-delegation ns-unreachable glue-mismatch ns-mismatch delegation-loop "
		    "dnssec-bogus dnssec-insecure dnssec-no-validator dane-ok dane-tlsa-bogus "
		    "dane-tlsa-unusable dane-not-applicable ";
		char key[48];
		snprintf(key, sizeof(key), " %s ", check_code_name(i));
		if (strstr(trace_codes, key) != NULL)
			continue;
		cr_expect_not_null(scenario_for(check_code_name(i)), "no scenario for %s",
		                   check_code_name(i));
	}
}

Test(mx, every_code_is_produced_with_its_severity_and_verdict)
{
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		const struct scenario *s = &scenarios[i];
		struct check_result *r = scenario_run(s);
		const struct check_problem *p = find_problem(r, s->want.code);
		cr_expect_not_null(p, "scenario %s did not produce its code", s->want.code);
		if (p != NULL) {
			cr_expect_eq(p->severity, s->want.sev, "%s: severity %s", s->want.code,
			             check_severity_name(p->severity));
			cr_expect_str_not_empty(p->reference, "%s", s->want.code);
			cr_expect_str_not_empty(p->subject, "%s", s->want.code);
		}
		cr_expect_eq(r->verdict, s->want.verdict, "%s: verdict %s, expected %s",
		             s->want.code, check_verdict_name(r->verdict),
		             check_verdict_name(s->want.verdict));
		check_result_free(r);
	}
}

/* ---- facts ------------------------------------------------------------------------------ */

Test(mx, healthy_domain_delivers_in_preference_order_without_problems)
{
	struct check_result *r = run("Good.Test", NULL, NULL);

	cr_assert_eq(r->verdict, CHECK_DELIVER);
	cr_assert_eq(check_exit_status(r), 0);
	cr_assert_eq(r->nroutes, 2);
	cr_assert_str_eq(r->routes[0].exchange, "mx1.good.test.");
	cr_assert_eq(r->routes[0].pref, 10);
	cr_assert_str_eq(r->routes[1].exchange, "mx2.good.test.");
	cr_assert_eq(r->routes[0].naddrs, 2);
	for (size_t i = 0; i < r->nroutes; i++)
		for (size_t j = 0; j < r->routes[i].naddrs; j++)
			cr_assert_eq(r->routes[i].addrs[j].fcrdns, CHECK_FCRDNS_PASS, "%s",
			             r->routes[i].addrs[j].text);
	cr_assert_eq(r->nproblems, 0, "first problem: %s", r->nproblems ? r->problems[0].code : "");
	cr_assert_gt(r->queries, 5);
	check_result_free(r);
}

Test(mx, user_at_domain_and_trailing_dot_are_normalised)
{
	char out[LOOKUP_NAME_MAX], err[128];

	cr_assert_eq(mx_normalise("Postmaster@Example.TEST.", out, sizeof(out), err, sizeof(err)),
	             0);
	cr_assert_str_eq(out, "example.test.");
	cr_assert_eq(mx_normalise("bücher.test", out, sizeof(out), err, sizeof(err)), 0);
	cr_assert_str_eq(out, "xn--bcher-kva.test.");
	cr_assert_eq(mx_normalise("user@", out, sizeof(out), err, sizeof(err)), -1);
	cr_assert_eq(mx_normalise("bad_domain.test", out, sizeof(out), err, sizeof(err)), -1);
	cr_assert_eq(mx_normalise("a..test", out, sizeof(out), err, sizeof(err)), -1);
	cr_assert_eq(mx_normalise("192.0.2.1", out, sizeof(out), err, sizeof(err)), -1);
	cr_assert(strstr(err, "192.0.2.1") != NULL);
}

Test(mx, nxdomain_is_never_repaired_with_an_address_lookup)
{
	struct check_result *r = sc("nxdomain");

	cr_assert_eq(r->verdict, CHECK_PERMFAIL);
	cr_assert_eq(check_exit_status(r), 69);
	cr_assert_eq(r->queries, 1, "only the MX query may be sent");
	cr_assert_eq(r->nroutes, 0);
	check_result_free(r);
}

Test(mx, temporary_mx_failure_never_falls_back_to_addresses)
{
	struct check_result *r = sc("dns-servfail");

	cr_assert_eq(r->verdict, CHECK_TEMPFAIL);
	cr_assert_eq(check_exit_status(r), 75);
	cr_assert_eq(r->queries, 1);
	cr_assert_eq(r->nroutes, 0);
	check_result_free(r);
}

Test(mx, formerr_counts_as_temporary)
{
	struct check_result *r = sc("dns-formerr");

	cr_assert_eq(r->verdict, CHECK_TEMPFAIL);
	expect_problem(r, "dns-formerr", CHECK_ERROR);
	check_result_free(r);
}

Test(mx, null_mx_is_permfail_without_address_lookups)
{
	struct check_result *r = sc("null-mx");

	cr_assert_eq(r->verdict, CHECK_PERMFAIL);
	cr_assert_eq(r->queries, 1);
	cr_assert_eq(check_exit_status(r), 69);
	check_result_free(r);
}

Test(mx, null_mx_mixed_is_permfail_even_with_a_good_mx)
{
	struct check_result *r = sc("null-mx-mixed");

	cr_assert_eq(r->verdict, CHECK_PERMFAIL);
	cr_assert_not(r->routes[1].usable);
	check_result_free(r);
}

Test(mx, null_mx_with_preference_is_unusable)
{
	struct check_result *r = sc("null-mx-bad-preference");

	cr_assert_eq(r->verdict, CHECK_PERMFAIL);
	expect_problem(r, "no-usable-mx", CHECK_ERROR);
	cr_assert_null(find_problem(r, "null-mx"));
	check_result_free(r);
}

Test(mx, dot_with_a_preference_beside_a_real_mx_is_no_null_mx)
{
	static const char *const z[] = {"np.test. 300 IN MX 5 .",
	                                "np.test. 300 IN MX 10 mx1.good.test.", NULL};
	struct check_result *r = run("np.test", z, NULL);

	cr_assert_eq(r->verdict, CHECK_DELIVER);
	cr_assert_eq(check_exit_status(r), 1);
	expect_problem(r, "null-mx-bad-preference", CHECK_ERROR);
	cr_assert_null(find_problem(r, "null-mx-mixed"));
	cr_assert_null(find_problem(r, "null-mx"));
	cr_assert_str_eq(r->routes[0].exchange, ".");
	cr_assert_not(r->routes[0].usable);
	cr_assert(r->routes[1].usable);
	check_result_free(r);
}

Test(mx, implicit_mx_uses_the_domain_at_preference_zero)
{
	struct check_result *r = sc("implicit-mx");

	cr_assert(r->implicit_mx);
	cr_assert_eq(r->nroutes, 1);
	cr_assert_eq(r->routes[0].pref, 0);
	cr_assert_str_eq(r->routes[0].exchange, "impl.test.");
	cr_assert(r->routes[0].usable);
	/* The address has PTR mx1.good.test, which points back: only an info remains. */
	cr_assert_eq(r->verdict, CHECK_DELIVER);
	check_result_free(r);
}

Test(mx, domain_cname_follows_to_the_target_mx)
{
	struct check_result *r = sc("domain-cname");

	cr_assert_eq(r->nroutes, 2);
	cr_assert_str_eq(r->routes[0].exchange, "mx1.good.test.");
	cr_assert_eq(check_exit_status(r), 0, "domain-cname is only info");
	check_result_free(r);
}

Test(mx, ip_literal_exchange_is_never_looked_up)
{
	struct check_result *r = sc("mx-ip-literal");

	cr_assert_eq(r->queries, 1);
	cr_assert_not(r->routes[0].checked);
	expect_problem(r, "no-usable-mx", CHECK_ERROR);
	check_result_free(r);
}

Test(mx, ipv6_literal_exchange_is_an_ip_literal)
{
	static const char *const z[] = {"lit6.test. 300 IN MX 10 2001:db8::25.", NULL};
	struct check_result *r = run("lit6.test", z, NULL);

	expect_problem(r, "mx-ip-literal", CHECK_ERROR);
	check_result_free(r);
}

Test(mx, duplicate_exchange_keeps_the_lower_preference)
{
	struct check_result *r = sc("mx-duplicate");

	cr_assert_eq(r->nroutes, 1);
	cr_assert_eq(r->routes[0].pref, 10);
	check_result_free(r);
}

Test(mx, duplicate_exchange_lists_every_preference)
{
	static const char *const z[] = {"dup3.test. 300 IN MX 10 a.good.test.",
	                                "dup3.test. 300 IN MX 20 a.good.test.",
	                                "dup3.test. 300 IN MX 5 a.good.test.", NULL};
	struct check_result *r = run("dup3.test", z, NULL);
	const struct check_problem *p = expect_problem(r, "mx-duplicate", CHECK_WARNING);
	size_t n = 0;

	for (size_t i = 0; i < r->nproblems; i++)
		n += strcmp(r->problems[i].code, "mx-duplicate") == 0;
	cr_assert_eq(n, 1, "one mx-duplicate per exchange, not %zu", n);
	cr_assert(strstr(p->message, "5, 10 and 20") != NULL, "says '%s'", p->message);
	cr_assert(strstr(p->message, "only 5 is used") != NULL, "says '%s'", p->message);
	cr_assert_eq(r->nroutes, 1);
	cr_assert_eq(r->routes[0].pref, 5);
	check_result_free(r);
}

Test(mx, mx_cname_is_followed_and_recorded)
{
	struct check_result *r = sc("mx-cname");

	cr_assert_eq(r->routes[0].nchain, 1);
	cr_assert_str_eq(r->routes[0].chain[0], "mx2.good.test.");
	cr_assert(r->routes[0].usable);
	check_result_free(r);
}

Test(mx, cname_loop_is_a_definite_failure_not_temporary)
{
	struct check_result *r = sc("cname-loop");

	cr_assert_eq(r->verdict, CHECK_PERMFAIL);
	cr_assert_not(r->routes[0].temp);
	check_result_free(r);
}

Test(mx, cname_loop_messages_say_it_loops)
{
	static const char *const z[] = {"dl.test. 300 IN CNAME dl2.test.",
	                                "dl2.test. 300 IN CNAME dl.test.", NULL};
	struct check_result *r = sc("cname-loop");
	const struct check_problem *p = expect_problem(r, "mx-cname", CHECK_WARNING);

	/* a.cl.test -> b.cl.test -> a.cl.test: no "alias of" anything */
	cr_assert(strstr(p->message, "alias in a CNAME loop") != NULL, "says '%s'", p->message);
	cr_assert_null(strstr(p->message, "alias of"), "says '%s'", p->message);
	p = expect_problem(r, "cname-loop", CHECK_ERROR);
	cr_assert(strstr(p->message, "loops (or is longer than 8 hops)") != NULL, "says '%s'",
	          p->message);
	check_result_free(r);
	r = run("dl.test", z, NULL);
	p = expect_problem(r, "cname-loop", CHECK_ERROR);
	cr_assert(strstr(p->message, "loops (or is longer than 8 hops)") != NULL, "says '%s'",
	          p->message);
	p = expect_problem(r, "domain-cname", CHECK_INFO);
	cr_assert(strstr(p->message, "alias in a CNAME loop") != NULL, "says '%s'", p->message);
	check_result_free(r);
}

Test(mx, long_cname_chain_is_a_loop)
{
	static const char *const z[] = {
	    "long.test. 300 IN MX 10 c0.long.test.",    "c0.long.test. 300 IN CNAME c1.long.test.",
	    "c1.long.test. 300 IN CNAME c2.long.test.", "c2.long.test. 300 IN CNAME c3.long.test.",
	    "c3.long.test. 300 IN CNAME c4.long.test.", "c4.long.test. 300 IN CNAME c5.long.test.",
	    "c5.long.test. 300 IN CNAME c6.long.test.", "c6.long.test. 300 IN CNAME c7.long.test.",
	    "c7.long.test. 300 IN CNAME c8.long.test.", "c8.long.test. 300 IN CNAME c9.long.test.",
	    "c9.long.test. 300 IN A 192.0.2.99",        NULL};
	struct check_result *r = run("long.test", z, NULL);

	expect_problem(r, "cname-loop", CHECK_ERROR);
	cr_assert_eq(r->verdict, CHECK_PERMFAIL);
	check_result_free(r);
}

Test(mx, dangling_cname_chain_names_the_missing_target)
{
	static const char *const z[] = {
	    "dang.test. 300 IN MX 10 alias.dang.test.",
	    "alias.dang.test. 300 IN CNAME nothere.dang.test.",
	    "dang.test. 300 IN SOA ns.dang.test. h.dang.test. 1 2 3 4 5", NULL};
	struct check_result *r = run("dang.test", z, NULL);
	const struct check_problem *p = expect_problem(r, "mx-host-nxdomain", CHECK_ERROR);

	cr_assert_str_eq(p->subject, "alias.dang.test");
	cr_assert(strstr(p->message, "ends at nothere.dang.test, which does not exist") != NULL,
	          "says '%s'", p->message);
	cr_assert_null(strstr(p->message, "the host name does not exist"), "says '%s'", p->message);
	check_result_free(r);
}

Test(mx, eight_cname_hops_are_still_followed)
{
	static const char *const z[] = {"ok8.test. 300 IN MX 10 c0.ok8.test.",
	                                "c0.ok8.test. 300 IN CNAME c1.ok8.test.",
	                                "c1.ok8.test. 300 IN CNAME c2.ok8.test.",
	                                "c2.ok8.test. 300 IN CNAME c3.ok8.test.",
	                                "c3.ok8.test. 300 IN CNAME c4.ok8.test.",
	                                "c4.ok8.test. 300 IN CNAME c5.ok8.test.",
	                                "c5.ok8.test. 300 IN CNAME c6.ok8.test.",
	                                "c6.ok8.test. 300 IN CNAME c7.ok8.test.",
	                                "c7.ok8.test. 300 IN CNAME c8.ok8.test.",
	                                "c8.ok8.test. 300 IN A 192.0.2.2",
	                                NULL};
	struct check_result *r = run("ok8.test", z, NULL);

	cr_assert_null(find_problem(r, "cname-loop"));
	cr_assert_eq(r->routes[0].nchain, 8);
	cr_assert_eq(r->verdict, CHECK_DELIVER);
	check_result_free(r);
}

/* ---- verdict aggregation ---------------------------------------------------------------- */

static const char *const mixed_zone[] = {
    "mix.test. 300 IN MX 10 broken.mix.test.", /* nxdomain */
    "mix.test. 300 IN MX 20 slow.mix.test.",   /* temporary */
    "mix.test. 300 IN MX 30 nodata.mix.test.", /* no address */
    "mix.test. 300 IN MX 40 lo.mix.test.",     /* unroutable */
    "nodata.mix.test. 300 IN TXT \"x\"",       "lo.mix.test. 300 IN A 127.0.0.2",
    "slow.mix.test. 300 IN A 192.0.2.50",      NULL,
};

static struct check_result *
run_mixed(bool slow_fails, const char *extra, const char *extra2)
{
	struct lookup_fake *f;
	struct lookup *lk = fake_new(&f, mixed_zone);
	struct check_result *r;

	if (extra)
		cr_assert_eq(lookup_fake_add(f, extra), 0);
	if (extra2)
		cr_assert_eq(lookup_fake_add(f, extra2), 0);
	if (slow_fails)
		lookup_fake_fail(f, "slow.mix.test.", 0, LOOKUP_TEMPORARY, LOOKUP_R_TIMEOUT);
	r = fake_mx(lk, "mix.test", NULL);
	lookup_free(lk);
	return r;
}

Test(mx, broken_and_temporary_exchanges_give_tempfail)
{
	struct check_result *r = run_mixed(true, NULL, NULL);

	cr_assert_eq(r->verdict, CHECK_TEMPFAIL);
	cr_assert_eq(check_exit_status(r), 75);
	expect_problem(r, "mx-host-nxdomain", CHECK_ERROR);
	expect_problem(r, "mx-host-nodata", CHECK_ERROR);
	expect_problem(r, "mx-address-unroutable", CHECK_ERROR);
	expect_problem(r, "mx-host-tempfail", CHECK_WARNING);
	expect_problem(r, "dns-timeout", CHECK_WARNING);
	cr_assert_null(find_problem(r, "no-usable-mx"));
	check_result_free(r);
}

Test(mx, broken_exchanges_only_give_permfail)
{
	struct check_result *r = run_mixed(false, NULL, NULL);

	/* slow.mix.test now answers 192.0.2.50: one usable address. */
	cr_assert_eq(r->verdict, CHECK_DELIVER);
	cr_assert_eq(check_exit_status(r), 1);
	cr_assert_eq(r->routes[1].usable, true);
	check_result_free(r);

	{
		static const char *const z[] = {"perm.test. 300 IN MX 10 gone.perm.test.",
		                                "perm.test. 300 IN MX 20 lo.perm.test.",
		                                "lo.perm.test. 300 IN A 0.0.0.0", NULL};
		r = run("perm.test", z, NULL);
		cr_assert_eq(r->verdict, CHECK_PERMFAIL);
		expect_problem(r, "no-usable-mx", CHECK_ERROR);
		check_result_free(r);
	}
}

Test(mx, one_good_exchange_among_broken_and_temporary_delivers)
{
	struct check_result *r = run_mixed(true, "mix.test. 300 IN MX 50 ok.mix.test.",
	                                   "ok.mix.test. 300 IN A 192.0.2.60");

	cr_assert_eq(r->verdict, CHECK_DELIVER);
	cr_assert_eq(check_exit_status(r), 1);
	cr_assert_str_eq(r->routes[4].exchange, "ok.mix.test.");
	cr_assert(r->routes[4].usable);
	for (size_t i = 0; i < 4; i++)
		cr_assert_not(r->routes[i].usable, "%s", r->routes[i].exchange);
	check_result_free(r);
}

Test(mx, one_family_failing_does_not_hide_the_other)
{
	struct lookup_fake *f;
	struct lookup *lk = fake_new(&f, good_zone);
	struct check_result *r;

	lookup_fake_fail(f, "mx1.good.test.", LOOKUP_T_AAAA, LOOKUP_TEMPORARY, LOOKUP_R_SERVFAIL);
	r = fake_mx(lk, "good.test", NULL);
	cr_assert_eq(r->verdict, CHECK_DELIVER);
	cr_assert_eq(r->routes[0].naddrs, 1);
	cr_assert(r->routes[0].usable);
	{
		const struct check_problem *p =
		    expect_problem(r, "mx-host-tempfail", CHECK_WARNING);
		cr_assert(strstr(p->message, "AAAA") != NULL, "%s", p->message);
	}
	expect_problem(r, "dns-servfail", CHECK_WARNING);
	check_result_free(r);
	lookup_free(lk);
}

Test(mx, ipv4_only_sender_cannot_use_ipv6_only_hosts)
{
	struct check_result *r = sc("mx-host-wrong-family");

	cr_assert_eq(r->verdict, CHECK_PERMFAIL);
	cr_assert_eq(r->routes[0].naddrs, 1);
	cr_assert_not(r->routes[0].addrs[0].usable);
	check_result_free(r);
}

Test(mx, ipv6_only_sender_uses_only_ipv6_addresses)
{
	struct check_options o;
	struct check_result *r;

	check_options_init(&o);
	o.want4 = false;
	o.seed = 1;
	r = run("good.test", NULL, &o);
	cr_assert_eq(r->verdict, CHECK_DELIVER);
	cr_assert(r->routes[0].usable);
	cr_assert_not(r->routes[1].usable);
	expect_problem(r, "mx-host-wrong-family", CHECK_ERROR);
	for (size_t j = 0; j < r->routes[0].naddrs; j++)
		cr_assert_eq(r->routes[0].addrs[j].usable,
		             r->routes[0].addrs[j].family == AF_INET6);
	check_result_free(r);
}

Test(mx, private_address_is_usable_with_a_warning)
{
	struct check_result *r = sc("mx-address-private");

	cr_assert_eq(r->verdict, CHECK_DELIVER);
	cr_assert(r->routes[0].addrs[0].usable);
	cr_assert_eq(check_exit_status(r), 1);
	check_result_free(r);
}

Test(mx, unroutable_ipv6_addresses_are_unusable)
{
	static const char *const z[] = {
	    "u6.test. 300 IN MX 10 mx.u6.test.", "mx.u6.test. 300 IN AAAA ::1",
	    "mx.u6.test. 300 IN AAAA fe80::1",   "mx.u6.test. 300 IN AAAA ff02::1",
	    "mx.u6.test. 300 IN AAAA ::",        "mx.u6.test. 300 IN A 224.0.0.1",
	    "mx.u6.test. 300 IN A 169.254.1.1",  NULL};
	struct check_result *r = run("u6.test", z, NULL);

	cr_assert_eq(r->routes[0].naddrs, 6);
	for (size_t j = 0; j < 6; j++)
		cr_assert_not(r->routes[0].addrs[j].usable, "%s", r->routes[0].addrs[j].text);
	cr_assert_eq(r->verdict, CHECK_PERMFAIL);
	check_result_free(r);
}

Test(mx, ipv4_mapped_addresses_are_classified_by_the_ipv4_they_carry)
{
	static const char *const z[] = {"m6.test. 300 IN MX 10 mx.m6.test.",
	                                "mx.m6.test. 300 IN AAAA ::ffff:127.0.0.1",
	                                "mx.m6.test. 300 IN AAAA ::ffff:10.0.0.1",
	                                "mx.m6.test. 300 IN AAAA ::127.0.0.1",
	                                "mx.m6.test. 300 IN AAAA 100::1",
	                                "13.2.0.192.in-addr.arpa. 300 IN PTR mx.m6.test.",
	                                "mx.m6.test. 300 IN AAAA ::ffff:192.0.2.13",
	                                "mx.m6.test. 300 IN A 192.0.2.13",
	                                NULL};
	struct check_result *r = run("m6.test", z, NULL);
	const struct check_route *rt = &r->routes[0];
	size_t unroutable = 0;

	cr_assert_eq(rt->naddrs, 6);
	for (size_t j = 0; j < rt->naddrs; j++) {
		const struct check_address *a = &rt->addrs[j];
		bool bad = strcmp(a->text, "::ffff:127.0.0.1") == 0 ||
		           strcmp(a->text, "::127.0.0.1") == 0 || strcmp(a->text, "100::1") == 0;
		cr_assert_eq(a->usable, !bad, "%s", a->text);
		unroutable += bad;
		/* the mapped public address is confirmed by its in-addr.arpa PTR */
		if (strcmp(a->text, "::ffff:192.0.2.13") == 0)
			cr_assert_eq(a->fcrdns, CHECK_FCRDNS_PASS);
	}
	cr_assert_eq(unroutable, 3);
	for (size_t i = 0; i < r->nproblems; i++)
		if (strcmp(r->problems[i].code, "mx-address-private") == 0)
			cr_assert_str_eq(r->problems[i].subject, "::ffff:10.0.0.1");
	expect_problem(r, "mx-address-private", CHECK_WARNING);
	check_result_free(r);
}

Test(mx, primary_v6_only_needs_a_definite_absence_of_ipv4)
{
	static const char *const z[] = {"p6.test. 300 IN MX 10 mx.p6.test.",
	                                "p6.test. 300 IN MX 20 mx2.good.test.",
	                                "mx.p6.test. 300 IN AAAA 2001:db8::6", NULL};
	struct lookup_fake *f;
	struct lookup *lk = fake_new(&f, good_zone);
	struct check_result *r;

	for (size_t i = 0; z[i]; i++)
		cr_assert_eq(lookup_fake_add(f, z[i]), 0);
	lookup_fake_fail(f, "mx.p6.test.", LOOKUP_T_A, LOOKUP_TEMPORARY, LOOKUP_R_SERVFAIL);
	r = fake_mx(lk, "p6.test", NULL);
	cr_assert_null(find_problem(r, "primary-mx-v6-only"), "A unknown is not A absent");
	expect_problem(r, "mx-host-tempfail", CHECK_WARNING);
	check_result_free(r);
	lookup_free(lk);
}

Test(mx, primary_v6_only_is_no_problem_for_an_ipv6_only_sender)
{
	static const char *const z[] = {"p6.test. 300 IN MX 10 mx.p6.test.",
	                                "p6.test. 300 IN MX 20 mx2.good.test.",
	                                "mx.p6.test. 300 IN AAAA 2001:db8::6", NULL};
	struct check_options o;
	struct check_result *r;

	check_options_init(&o);
	o.want4 = false;
	o.seed = 1;
	r = run("p6.test", z, &o);
	cr_assert_eq(r->verdict, CHECK_DELIVER);
	cr_assert_null(find_problem(r, "primary-mx-v6-only"));
	check_result_free(r);
}

Test(mx, tempfail_wording_follows_the_families_the_sender_uses)
{
	struct lookup_fake *f;
	struct lookup *lk = fake_new(&f, good_zone);
	struct check_options o;
	struct check_result *r;
	const struct check_problem *p;

	cr_assert_eq(lookup_fake_add(f, "mx2.good.test. 300 IN AAAA 2001:db8::2"), 0);
	lookup_fake_fail(f, "mx1.good.test.", LOOKUP_T_AAAA, LOOKUP_TEMPORARY, LOOKUP_R_SERVFAIL);
	lookup_fake_fail(f, "mx2.good.test.", LOOKUP_T_A, LOOKUP_TEMPORARY, LOOKUP_R_SERVFAIL);
	check_options_init(&o);
	o.want6 = false; /* -4 */
	o.seed = 1;
	o.no_ptr = true;
	r = fake_mx(lk, "good.test", &o);
	for (size_t i = 0; i < r->nproblems; i++) {
		p = &r->problems[i];
		if (strcmp(p->code, "mx-host-tempfail") != 0)
			continue;
		cr_assert_null(strstr(p->message, "the other family is used"), "%s", p->message);
		if (strcmp(p->subject, "mx1.good.test") == 0)
			cr_assert_not_null(strstr(p->message, "uses only IPv4"), "%s", p->message);
		else
			cr_assert_not_null(strstr(p->message, "cannot use the IPv6"), "%s",
			                   p->message);
	}
	expect_problem(r, "mx-host-tempfail", CHECK_WARNING);
	check_result_free(r);
	lookup_free(lk);
}

Test(mx, self_as_backup_drops_itself_and_worse)
{
	static const char *const z[] = {
	    "bk.test. 300 IN MX 10 mx1.good.test.", "bk.test. 300 IN MX 20 mx2.good.test.",
	    "bk.test. 300 IN MX 30 mx3.bk.test.", "mx3.bk.test. 300 IN A 192.0.2.3", NULL};
	static const char *const self[] = {"mx2.good.test"};
	struct check_options o;
	struct check_result *r;

	check_options_init(&o);
	o.self = self;
	o.nself = 1;
	r = run("bk.test", z, &o);
	cr_assert_eq(r->verdict, CHECK_DELIVER);
	cr_assert(r->routes[0].usable);
	cr_assert(r->routes[1].self && r->routes[1].dropped && !r->routes[1].usable);
	cr_assert(r->routes[2].dropped && !r->routes[2].usable);
	check_result_free(r);
}

Test(mx, self_matched_by_address)
{
	static const char *const self[] = {"2001:db8::1"};
	struct check_options o;
	struct check_result *r;

	check_options_init(&o);
	o.self = self;
	o.nself = 1;
	r = run("good.test", NULL, &o);
	cr_assert_eq(r->verdict, CHECK_PERMFAIL);
	expect_problem(r, "self-loop", CHECK_ERROR);
	check_result_free(r);
}

Test(mx, every_self_is_compared_however_many)
{
	/* mxcheck accepts 64 --self: 32 addresses and 31 names that match nothing, then the
	   exchange's name */
	static char names[64][32];
	const char *self[64];
	struct check_options o;
	struct check_result *r;

	for (size_t i = 0; i < 63; i++) {
		snprintf(names[i], sizeof(names[i]), i % 2 ? "other%zu.example" : "198.51.100.%zu",
		         i);
		self[i] = names[i];
	}
	self[63] = "mx1.good.test";
	check_options_init(&o);
	o.self = self;
	o.nself = 64;
	r = run("good.test", NULL, &o);
	cr_assert(r->routes[0].self);
	expect_problem(r, "self-loop", CHECK_ERROR);
	check_result_free(r);
}

Test(mx, primary_v6_only_is_a_warning_not_a_failure)
{
	struct check_result *r = sc("primary-mx-v6-only");

	cr_assert_eq(r->verdict, CHECK_DELIVER);
	cr_assert_eq(check_exit_status(r), 1);
	check_result_free(r);
}

Test(mx, reverse_problems_never_change_the_verdict)
{
	struct check_result *r = sc("ptr-missing");

	cr_assert_eq(r->verdict, CHECK_DELIVER);
	cr_assert_eq(check_exit_status(r), 1);
	cr_assert_eq(r->routes[0].addrs[0].fcrdns, CHECK_FCRDNS_FAIL);
	check_result_free(r);
}

Test(mx, ptr_naming_the_canonical_host_of_a_cname_mx_closes_the_chain)
{
	struct check_result *r = sc("mx-cname");

	/* mxc.test MX alias.mxc.test CNAME mx2.good.test, whose PTR is mx2.good.test */
	expect_problem(r, "mx-cname", CHECK_WARNING);
	cr_assert_eq(r->routes[0].addrs[0].fcrdns, CHECK_FCRDNS_PASS);
	cr_assert_str_eq(r->routes[0].addrs[0].ptr[0], "mx2.good.test.");
	cr_assert_null(find_problem(r, "ptr-not-mx-name"));
	check_result_free(r);
}

Test(mx, ptr_not_mx_name_names_both_hosts_as_shown_everywhere)
{
	struct check_result *r = sc("ptr-not-mx-name");
	const struct check_problem *p = expect_problem(r, "ptr-not-mx-name", CHECK_INFO);

	cr_assert_str_eq(p->subject, "198.51.100.7");
	cr_assert_str_eq(
	    p->message,
	    "reverse DNS is confirmed but names other.pt.test, not the MX host mx.pt.test");
	check_result_free(r);
}

Test(mx, no_ptr_skips_reverse_lookups)
{
	/* the ptr-missing scenario: without --no-ptr it warns */
	static const char *const z[] = {"np.test. 300 IN MX 10 mx.np.test.",
	                                "mx.np.test. 300 IN A 198.51.100.9", NULL};
	struct check_options o;
	struct check_result *r;

	check_options_init(&o);
	o.no_ptr = true;
	r = run("np.test", z, &o);
	cr_assert_null(find_problem(r, "ptr-missing"));
	cr_assert_eq(check_exit_status(r), 0);
	cr_assert_eq(r->routes[0].addrs[0].fcrdns, CHECK_FCRDNS_NONE);
	cr_assert_eq(r->queries, 3, "MX, A, AAAA only");
	check_result_free(r);
}

/* ---- ordering --------------------------------------------------------------------------- */

static const char *const order_zone[] = {
    "ord.test. 300 IN MX 10 a.ord.test.",
    "ord.test. 300 IN MX 10 b.ord.test.",
    "ord.test. 300 IN MX 10 c.ord.test.",
    "ord.test. 300 IN MX 65535 z.ord.test.",
    "ord.test. 300 IN MX 0 first.ord.test.",
    "ord.test. 300 IN MX 20 d.ord.test.",
    "ord.test. 300 IN MX 20 e.ord.test.",
    "ord.test. 300 IN MX 300 f.ord.test.",
    NULL,
};

static void
order_of(uint64_t seed, char *out, size_t len)
{
	struct lookup_fake *f;
	struct lookup *lk = fake_new(&f, order_zone);
	struct check_options o;
	struct check_result *r;

	check_options_init(&o);
	o.seed = seed;
	o.no_ptr = true;
	r = fake_mx(lk, "ord.test", &o);
	out[0] = '\0';
	for (size_t i = 0; i < r->nroutes; i++) {
		char *dot = strchr(r->routes[i].exchange, '.');
		strncat(out, r->routes[i].exchange, (size_t)(dot - r->routes[i].exchange));
		strncat(out, " ", len - strlen(out) - 1);
	}
	check_result_free(r);
	lookup_free(lk);
}

Test(mx, fixed_seed_gives_a_reproducible_order)
{
	char a[128], b[128];

	order_of(42, a, sizeof(a));
	order_of(42, b, sizeof(b));
	cr_assert_str_eq(a, b);
}

Test(mx, shuffle_covers_every_permutation_and_never_crosses_preferences)
{
	static const char *const perms[6] = {"a b c", "a c b", "b a c", "b c a", "c a b", "c b a"};
	unsigned seen[6] = {0};

	for (uint64_t seed = 0; seed < 200; seed++) {
		char o[128], group[16];
		order_of(seed, o, sizeof(o));
		/* first (0), then a/b/c (10), d/e (20), f (300), z (65535) */
		cr_assert_eq(strncmp(o, "first ", 6), 0, "seed %llu: %s", (unsigned long long)seed,
		             o);
		memcpy(group, o + 6, 5);
		group[5] = '\0';
		cr_assert(strcmp(o + 12, "d e f z ") == 0 || strcmp(o + 12, "e d f z ") == 0,
		          "seed %llu: %s", (unsigned long long)seed, o);
		for (int p = 0; p < 6; p++)
			if (strcmp(group, perms[p]) == 0)
				seen[p]++;
	}
	for (int p = 0; p < 6; p++)
		cr_assert_gt(seen[p], 0, "permutation %s never appeared", perms[p]);
}

Test(mx, sort_uses_unsigned_sixteen_bit_preferences)
{
	struct check_route r[4];

	memset(r, 0, sizeof(r));
	r[0].pref = 65535;
	r[1].pref = 1;
	r[2].pref = 32768;
	r[3].pref = 0;
	mx_sort_routes(r, 4, 7);
	cr_assert_eq(r[0].pref, 0);
	cr_assert_eq(r[1].pref, 1);
	cr_assert_eq(r[2].pref, 32768);
	cr_assert_eq(r[3].pref, 65535);
}
