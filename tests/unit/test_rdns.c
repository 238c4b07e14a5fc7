/* tests/unit/test_rdns.c -- PTR names, FCrDNS and address mode on a fake DNS. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>
#include <sys/socket.h>

#include "client/check.h"
#include "client/lookup.h"
#include "client/rdns.h"
#include "tests/unit/test_mxcheck_fake.h"

#define PTR6 "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."

Test(rdns, ipv4_ptr_name_reverses_the_octets)
{
	uint8_t a[4] = {192, 0, 2, 25};
	char out[LOOKUP_NAME_MAX];

	cr_assert_eq(rdns_format_ptr_name(AF_INET, a, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "25.2.0.192.in-addr.arpa.");
}

Test(rdns, ipv6_ptr_name_has_all_32_nibbles)
{
	uint8_t a[16];
	char out[LOOKUP_NAME_MAX];

	cr_assert_eq(inet_pton(AF_INET6, "2001:db8::25", a), 1);
	cr_assert_eq(rdns_format_ptr_name(AF_INET6, a, out, sizeof(out)), 0);
	cr_assert_str_eq(out, PTR6);
	cr_assert_eq(strlen(out), 32 * 2 + strlen("ip6.arpa."));
	cr_assert_eq(inet_pton(AF_INET6, "2001:db8:abcd:12::ff01", a), 1);
	cr_assert_eq(rdns_format_ptr_name(AF_INET6, a, out, sizeof(out)), 0);
	cr_assert_str_eq(
	    out, "1.0.f.f.0.0.0.0.0.0.0.0.0.0.0.0.2.1.0.0.d.c.b.a.8.b.d.0.1.0.0.2.ip6.arpa.");
}

Test(rdns, ptr_name_rejects_small_buffers_and_bad_families)
{
	uint8_t a[16] = {0};
	char out[20];

	cr_assert_eq(rdns_format_ptr_name(AF_INET6, a, out, sizeof(out)), -1);
	cr_assert_eq(rdns_format_ptr_name(AF_UNIX, a, out, sizeof(out)), -1);
	cr_assert_eq(rdns_format_ptr_name(AF_INET, a, out, 10), -1);
}

static const char *const zone[] = {
    "25.2.0.192.in-addr.arpa. 300 IN PTR mail.example.test.",
    "mail.example.test. 300 IN A 192.0.2.25",
    "mail.example.test. 300 IN AAAA 2001:db8::25",
    PTR6 " 300 IN PTR mail.example.test.",
    "26.2.0.192.in-addr.arpa. 300 IN PTR other.example.test.",
    "other.example.test. 300 IN A 192.0.2.99",
    "27.2.0.192.in-addr.arpa. 300 IN PTR 192.0.2.27.",
    "28.2.0.192.in-addr.arpa. 300 IN PTR wrong.example.test.",
    "28.2.0.192.in-addr.arpa. 300 IN PTR right.example.test.",
    "wrong.example.test. 300 IN A 192.0.2.1",
    "right.example.test. 300 IN A 192.0.2.28",
    "29.2.0.192.in-addr.arpa. 300 IN PTR gone.example.test.",
    /* RFC 2317 classless delegation: a CNAME at the PTR owner is normal */
    "30.2.0.192.in-addr.arpa. 300 IN CNAME 30.0-63.2.0.192.in-addr.arpa.",
    "30.0-63.2.0.192.in-addr.arpa. 300 IN PTR mail30.example.test.",
    "mail30.example.test. 300 IN A 192.0.2.30",
    "31.2.0.192.in-addr.arpa. 300 IN PTR l1.example.test.",
    "l1.example.test. 300 IN CNAME l2.example.test.",
    "l2.example.test. 300 IN CNAME l1.example.test.",
    "32.2.0.192.in-addr.arpa. 300 IN CNAME 32.loop.2.0.192.in-addr.arpa.",
    "32.loop.2.0.192.in-addr.arpa. 300 IN CNAME 32.2.0.192.in-addr.arpa.",
    NULL,
};

static struct check_result *
addr(const char *ip, const char *helo, const char *fail_name)
{
	struct lookup_fake *f;
	struct lookup *lk = fake_new(&f, zone);
	struct check_result *r;

	if (fail_name)
		lookup_fake_fail(f, fail_name, 0, LOOKUP_TEMPORARY, LOOKUP_R_SERVFAIL);
	r = fake_addr(lk, ip, helo);
	lookup_free(lk);
	return r;
}

/* A problem an address must get. */
struct addr_problem {
	char code[32];           /* its code, "" for none */
	enum check_severity sev; /* its severity */
	char msg[16];            /* a piece of its message, "" for any */
};

/* An address checked on the fake DNS. */
struct addr_query {
	char ip[40];   /* address checked */
	char helo[32]; /* --helo name, "" for none */
	char fail[40]; /* name whose lookups fail with SERVFAIL, "" for none */
};

/* What address mode must say about it. */
struct addr_want {
	enum check_verdict verdict;     /* verdict expected */
	int status;                     /* exit status expected, -1 when not the point */
	struct addr_problem problem[2]; /* problems expected with their severity */
	char present[32]; /* a problem that must be there, any severity; "" for none */
	char absent[32];  /* a problem that must not be there; "" for none */
	bool quiet;       /* no problems at all */
};

struct addr_case {
	char name[56];         /* the fact */
	struct addr_query q;   /* the check */
	struct addr_want want; /* its result */
};

static struct addr_case addr_cases[] = {
    {"fcrdns_pass_ipv4_exits_zero", {"192.0.2.25", "", ""}, {CHECK_PASS, 0, {}, "", "", true}},
    {"fcrdns_pass_ipv6", {"2001:db8::25", "", ""}, {CHECK_PASS, 0, {}, "", "", false}},
    {"classless_delegation_cname_is_followed_silently",
     {"192.0.2.30", "", ""},
     {CHECK_PASS, -1, {}, "", "", true}},
    {"missing_ptr_is_permfail_error",
     {"198.51.100.1", "", ""},
     {CHECK_PERMFAIL, 69, {{"ptr-missing", CHECK_ERROR, ""}}, "", "", false}},
    {"mismatch_is_permfail",
     {"192.0.2.26", "", ""},
     {CHECK_PERMFAIL, -1, {{"fcrdns-mismatch", CHECK_ERROR, "192.0.2.99"}}, "", "", false}},
    {"numeric_ptr_is_permfail",
     {"192.0.2.27", "", ""},
     {CHECK_PERMFAIL, -1, {{"ptr-numeric", CHECK_ERROR, ""}}, "", "", false}},
    {"every_ptr_name_is_tried_and_one_match_passes",
     {"192.0.2.28", "", ""},
     {CHECK_PASS,
      1,
      {{"ptr-multiple", CHECK_WARNING, ""}, {"fcrdns-mismatch", CHECK_WARNING, ""}},
      "",
      "",
      false}},
    {"ptr_target_nxdomain_is_permfail",
     {"192.0.2.29", "", ""},
     {CHECK_PERMFAIL, -1, {{"ptr-target-nxdomain", CHECK_ERROR, ""}}, "", "", false}},
    {"temporary_ptr_failure_is_tempfail_never_missing",
     {"192.0.2.25", "", "25.2.0.192.in-addr.arpa."},
     {CHECK_TEMPFAIL,
      75,
      {{"ptr-tempfail", CHECK_ERROR, ""}, {"dns-servfail", CHECK_ERROR, "PTR"}},
      "",
      "ptr-missing",
      false}},
    {"temporary_forward_failure_decides_nothing",
     {"192.0.2.25", "", "mail.example.test."},
     {CHECK_TEMPFAIL,
      75,
      {{"fcrdns-tempfail", CHECK_ERROR, ""}, {"dns-servfail", CHECK_ERROR, ""}},
      "",
      "fcrdns-mismatch",
      false}},
    {"forward_failure_beside_a_passing_name_is_a_warning",
     {"192.0.2.28", "", "wrong.example.test."},
     {CHECK_PASS,
      1,
      {{"fcrdns-tempfail", CHECK_WARNING, ""}, {"dns-servfail", CHECK_WARNING, ""}},
      "",
      "",
      false}},
    {"looping_ptr_name_is_a_cname_loop",
     {"192.0.2.31", "", ""},
     {CHECK_PERMFAIL, -1, {{"cname-loop", CHECK_ERROR, "loops (or is"}}, "", "", false}},
    {"looping_ptr_owner_is_a_cname_loop",
     {"192.0.2.32", "", ""},
     {CHECK_PERMFAIL, -1, {{"cname-loop", CHECK_ERROR, "loops (or is"}}, "", "", false}},
    {"helo_matching_the_address_is_fine",
     {"192.0.2.25", "MAIL.example.test", ""},
     {CHECK_PASS, 0, {}, "", "", false}},
    {"helo_mismatch_is_only_a_warning",
     {"192.0.2.25", "other.example.test", ""},
     {CHECK_PASS, 1, {{"helo-mismatch", CHECK_WARNING, ""}}, "", "", false}},
    {"helo_address_literal_of_the_address_is_fine",
     {"192.0.2.25", "[192.0.2.25]", ""},
     {CHECK_PASS, 0, {}, "", "", true}},
    {"helo_ipv6_address_literal_of_the_address_is_fine",
     {"2001:db8::25", "[IPv6:2001:DB8::25]", ""},
     {CHECK_PASS, -1, {}, "", "helo-mismatch", false}},
    {"helo_address_literal_of_another_address_is_a_mismatch",
     {"192.0.2.25", "[192.0.2.2]", ""},
     {CHECK_PASS, 1, {{"helo-mismatch", CHECK_WARNING, "names 192.0.2.2"}}, "", "", false}},
    {"helo_ipv6_literal_of_another_address_is_a_mismatch",
     {"2001:db8::25", "[IPv6:2001:db8::1]", ""},
     {CHECK_PASS, -1, {{"helo-mismatch", CHECK_WARNING, "2001:db8::1"}}, "", "", false}},
    {"helo_ipv6_literal_without_its_tag_is_not_valid",
     {"2001:db8::25", "[2001:db8::25]", ""},
     {CHECK_PASS, -1, {{"helo-mismatch", CHECK_WARNING, "literal"}}, "", "", false}},
};

ParameterizedTestParameters(rdns, address_mode_gives_verdict_status_and_problems)
{
	return cr_make_param_array(struct addr_case, addr_cases,
	                           sizeof(addr_cases) / sizeof(addr_cases[0]));
}

ParameterizedTest(struct addr_case *c, rdns, address_mode_gives_verdict_status_and_problems)
{
	struct check_result *r =
	    addr(c->q.ip, c->q.helo[0] ? c->q.helo : NULL, c->q.fail[0] ? c->q.fail : NULL);

	cr_assert_eq(r->verdict, c->want.verdict, "%s: verdict %s, expected %s", c->name,
	             check_verdict_name(r->verdict), check_verdict_name(c->want.verdict));
	if (c->want.status >= 0)
		cr_assert_eq(check_exit_status(r), c->want.status, "%s: exit %d, expected %d",
		             c->name, check_exit_status(r), c->want.status);
	for (size_t i = 0; i < 2 && c->want.problem[i].code[0]; i++) {
		const struct addr_problem *w = &c->want.problem[i];
		const struct check_problem *p = find_problem(r, w->code);

		/* expect_problem()'s checks, with the row named */
		cr_assert_not_null(p, "%s: no %s", c->name, w->code);
		cr_assert_eq(p->severity, w->sev, "%s: %s is %s, expected %s", c->name, w->code,
		             check_severity_name(p->severity), check_severity_name(w->sev));
		cr_assert_str_not_empty(p->reference, "%s: %s has no reference", c->name, w->code);
		cr_assert_str_not_empty(p->message, "%s: %s has no message", c->name, w->code);
		cr_assert_str_not_empty(p->subject, "%s: %s has no subject", c->name, w->code);
		cr_assert(strstr(p->message, w->msg) != NULL, "%s: %s says '%s', not '%s'", c->name,
		          w->code, p->message, w->msg);
	}
	if (c->want.present[0])
		cr_assert_not_null(find_problem(r, c->want.present), "%s: no %s", c->name,
		                   c->want.present);
	if (c->want.absent[0])
		cr_assert_null(find_problem(r, c->want.absent), "%s: %s reported", c->name,
		               c->want.absent);
	if (c->want.quiet)
		cr_assert_eq(r->nproblems, 0, "%s: %zu problems, first %s", c->name, r->nproblems,
		             r->nproblems ? r->problems[0].code : "");
	check_result_free(r);
}

/* What the table cannot say: details of the result for some of its addresses. */

Test(rdns, fcrdns_pass_records_the_ptr_in_address_mode)
{
	struct check_result *r = addr("192.0.2.25", NULL, NULL);

	cr_assert_eq(r->mode, CHECK_MODE_ADDRESS);
	cr_assert_eq(r->routes[0].addrs[0].nptr, 1);
	cr_assert_str_eq(r->routes[0].addrs[0].ptr[0], "mail.example.test.");
	cr_assert_eq(r->routes[0].addrs[0].fcrdns, CHECK_FCRDNS_PASS);
	check_result_free(r);
}

Test(rdns, ipv4_mapped_address_is_checked_as_its_ipv4_address)
{
	struct check_result *r = addr("::ffff:192.0.2.25", NULL, NULL);

	cr_assert_eq(r->verdict, CHECK_PASS);
	cr_assert_str_eq(r->target, "::ffff:192.0.2.25");
	cr_assert_str_eq(r->name, "192.0.2.25");
	cr_assert_eq(r->routes[0].addrs[0].family, AF_INET);
	cr_assert_eq(r->routes[0].addrs[0].nptr, 1);
	cr_assert_eq(check_exit_status(r), 0);
	check_result_free(r);
}

Test(rdns, numeric_ptr_is_not_looked_up)
{
	struct check_result *r = addr("192.0.2.27", NULL, NULL);

	cr_assert_eq(r->queries, 1, "only the PTR query");
	check_result_free(r);
}

Test(rdns, every_ptr_name_is_recorded)
{
	struct check_result *r = addr("192.0.2.28", NULL, NULL);

	cr_assert_eq(r->routes[0].addrs[0].nptr, 2);
	check_result_free(r);
}

Test(rdns, temporary_ptr_failure_leaves_fcrdns_undecided)
{
	struct check_result *r = addr("192.0.2.25", NULL, "25.2.0.192.in-addr.arpa.");

	cr_assert_eq(r->routes[0].addrs[0].fcrdns, CHECK_FCRDNS_TEMPFAIL);
	check_result_free(r);
}

Test(rdns, matching_helo_names_the_route)
{
	struct check_result *r = addr("192.0.2.25", "MAIL.example.test", NULL);

	cr_assert_str_eq(r->routes[0].exchange, "mail.example.test.");
	check_result_free(r);
}

Test(rdns, helo_without_addresses_is_a_mismatch)
{
	struct check_result *r = addr("192.0.2.25", "nonexistent.example.test", NULL);

	expect_problem(r, "helo-mismatch", CHECK_WARNING);
	check_result_free(r);
}

Test(rdns, helo_address_literal_is_not_looked_up)
{
	struct check_result *plain = addr("192.0.2.25", NULL, NULL);
	struct check_result *r = addr("192.0.2.25", "[192.0.2.2]", NULL);

	cr_assert_eq(r->queries, plain->queries, "%u queries, %u without --helo", r->queries,
	             plain->queries);
	cr_assert_str_eq(r->routes[0].exchange, "[192.0.2.2]");
	check_result_free(plain);
	check_result_free(r);
}

Test(rdns, address_mode_rejects_non_addresses)
{
	struct lookup_fake *f;
	struct lookup *lk = fake_new(&f, zone);
	struct check_options o;
	char err[128] = "";

	check_options_init(&o);
	cr_assert_null(rdns_check(lk, "mail.example.test", &o, err, sizeof(err)));
	cr_assert(strstr(err, "mail.example.test") != NULL);
	lookup_free(lk);
}
