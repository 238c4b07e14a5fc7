/* tests/unit/test_rdns.c -- PTR names, FCrDNS and address mode on a fake DNS. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
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

	cr_assert_eq(rdns_ptr_name(AF_INET, a, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "25.2.0.192.in-addr.arpa.");
}

Test(rdns, ipv6_ptr_name_has_all_32_nibbles)
{
	uint8_t a[16];
	char out[LOOKUP_NAME_MAX];

	cr_assert_eq(inet_pton(AF_INET6, "2001:db8::25", a), 1);
	cr_assert_eq(rdns_ptr_name(AF_INET6, a, out, sizeof(out)), 0);
	cr_assert_str_eq(out, PTR6);
	cr_assert_eq(strlen(out), 32 * 2 + strlen("ip6.arpa."));
	cr_assert_eq(inet_pton(AF_INET6, "2001:db8:abcd:12::ff01", a), 1);
	cr_assert_eq(rdns_ptr_name(AF_INET6, a, out, sizeof(out)), 0);
	cr_assert_str_eq(
	    out, "1.0.f.f.0.0.0.0.0.0.0.0.0.0.0.0.2.1.0.0.d.c.b.a.8.b.d.0.1.0.0.2.ip6.arpa.");
}

Test(rdns, ptr_name_rejects_small_buffers_and_bad_families)
{
	uint8_t a[16] = {0};
	char out[20];

	cr_assert_eq(rdns_ptr_name(AF_INET6, a, out, sizeof(out)), -1);
	cr_assert_eq(rdns_ptr_name(AF_UNIX, a, out, sizeof(out)), -1);
	cr_assert_eq(rdns_ptr_name(AF_INET, a, out, 10), -1);
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

Test(rdns, fcrdns_pass_ipv4_exits_zero)
{
	struct check_result *r = addr("192.0.2.25", NULL, NULL);

	cr_assert_eq(r->verdict, CHECK_PASS);
	cr_assert_eq(check_exit_status(r), 0);
	cr_assert_eq(r->mode, CHECK_MODE_ADDRESS);
	cr_assert_eq(r->routes[0].addrs[0].nptr, 1);
	cr_assert_str_eq(r->routes[0].addrs[0].ptr[0], "mail.example.test.");
	cr_assert_eq(r->routes[0].addrs[0].fcrdns, CHECK_FCRDNS_PASS);
	cr_assert_eq(r->nproblems, 0);
	check_result_free(r);
}

Test(rdns, fcrdns_pass_ipv6)
{
	struct check_result *r = addr("2001:db8::25", NULL, NULL);

	cr_assert_eq(r->verdict, CHECK_PASS);
	cr_assert_eq(check_exit_status(r), 0);
	check_result_free(r);
}

Test(rdns, classless_delegation_cname_is_followed_silently)
{
	struct check_result *r = addr("192.0.2.30", NULL, NULL);

	cr_assert_eq(r->verdict, CHECK_PASS);
	cr_assert_eq(r->nproblems, 0);
	check_result_free(r);
}

Test(rdns, missing_ptr_is_permfail_error)
{
	struct check_result *r = addr("198.51.100.1", NULL, NULL);

	cr_assert_eq(r->verdict, CHECK_PERMFAIL);
	cr_assert_eq(check_exit_status(r), 69);
	expect_problem(r, "ptr-missing", CHECK_ERROR);
	check_result_free(r);
}

Test(rdns, mismatch_is_permfail)
{
	struct check_result *r = addr("192.0.2.26", NULL, NULL);

	cr_assert_eq(r->verdict, CHECK_PERMFAIL);
	{
		const struct check_problem *p = expect_problem(r, "fcrdns-mismatch", CHECK_ERROR);
		cr_assert(strstr(p->message, "192.0.2.99") != NULL, "%s", p->message);
	}
	check_result_free(r);
}

Test(rdns, numeric_ptr_is_permfail_and_not_looked_up)
{
	struct check_result *r = addr("192.0.2.27", NULL, NULL);

	cr_assert_eq(r->verdict, CHECK_PERMFAIL);
	expect_problem(r, "ptr-numeric", CHECK_ERROR);
	cr_assert_eq(r->queries, 1, "only the PTR query");
	check_result_free(r);
}

Test(rdns, every_ptr_name_is_tried_and_one_match_passes)
{
	struct check_result *r = addr("192.0.2.28", NULL, NULL);

	cr_assert_eq(r->verdict, CHECK_PASS);
	cr_assert_eq(check_exit_status(r), 1);
	expect_problem(r, "ptr-multiple", CHECK_WARNING);
	expect_problem(r, "fcrdns-mismatch", CHECK_WARNING);
	cr_assert_eq(r->routes[0].addrs[0].nptr, 2);
	check_result_free(r);
}

Test(rdns, ptr_target_nxdomain_is_permfail)
{
	struct check_result *r = addr("192.0.2.29", NULL, NULL);

	cr_assert_eq(r->verdict, CHECK_PERMFAIL);
	expect_problem(r, "ptr-target-nxdomain", CHECK_ERROR);
	check_result_free(r);
}

Test(rdns, temporary_ptr_failure_is_tempfail_never_missing)
{
	struct check_result *r = addr("192.0.2.25", NULL, "25.2.0.192.in-addr.arpa.");

	cr_assert_eq(r->verdict, CHECK_TEMPFAIL);
	cr_assert_eq(check_exit_status(r), 75);
	cr_assert_not_null(find_problem(r, "ptr-tempfail"));
	cr_assert_null(find_problem(r, "ptr-missing"));
	cr_assert_eq(r->routes[0].addrs[0].fcrdns, CHECK_FCRDNS_TEMPFAIL);
	check_result_free(r);
}

Test(rdns, temporary_forward_failure_decides_nothing)
{
	struct check_result *r = addr("192.0.2.25", NULL, "mail.example.test.");

	cr_assert_eq(r->verdict, CHECK_TEMPFAIL);
	cr_assert_not_null(find_problem(r, "fcrdns-tempfail"));
	cr_assert_null(find_problem(r, "fcrdns-mismatch"));
	check_result_free(r);
}

Test(rdns, helo_matching_the_address_is_fine)
{
	struct check_result *r = addr("192.0.2.25", "MAIL.example.test", NULL);

	cr_assert_eq(r->verdict, CHECK_PASS);
	cr_assert_eq(check_exit_status(r), 0);
	cr_assert_str_eq(r->routes[0].exchange, "mail.example.test.");
	check_result_free(r);
}

Test(rdns, helo_mismatch_is_only_a_warning)
{
	struct check_result *r = addr("192.0.2.25", "other.example.test", NULL);

	cr_assert_eq(r->verdict, CHECK_PASS);
	cr_assert_eq(check_exit_status(r), 1);
	expect_problem(r, "helo-mismatch", CHECK_WARNING);
	check_result_free(r);
	r = addr("192.0.2.25", "nonexistent.example.test", NULL);
	expect_problem(r, "helo-mismatch", CHECK_WARNING);
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
