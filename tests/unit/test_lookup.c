/* tests/unit/test_lookup.c -- the classified, CNAME-following lookup over a fake transport. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>
#include <sys/socket.h>

#include "client/lookup.h"
#include "tests/unit/test_mxcheck_fake.h"

static const char *const zone[] = {
    "a.test. 300 IN A 192.0.2.1",
    "alias.test. 300 IN CNAME a.test.",
    "alias2.test. 300 IN CNAME alias.test.",
    "loop1.test. 300 IN CNAME loop2.test.",
    "loop2.test. 300 IN CNAME loop1.test.",
    "self.test. 300 IN CNAME self.test.",
    "dangling.test. 300 IN CNAME nowhere.test.",
    "sub.ent.test. 300 IN A 192.0.2.2",
    NULL,
};

Test(lookup, ok_nodata_nxdomain_are_told_apart)
{
	struct lookup_fake *f;
	struct lookup *lk = fake_new(&f, zone);
	struct lookup_result *r;

	r = lookup_resolve(lk, "A.TEST", LOOKUP_T_A);
	cr_assert_eq(r->status, LOOKUP_OK);
	cr_assert_eq(r->nrrs, 1);
	cr_assert_str_eq(r->qname, "a.test.");
	cr_assert_eq(r->rrs[0].addr[3], 1);
	lookup_result_free(r);
	r = lookup_resolve(lk, "a.test.", LOOKUP_T_AAAA);
	cr_assert_eq(r->status, LOOKUP_NODATA);
	lookup_result_free(r);
	r = lookup_resolve(lk, "ent.test.", LOOKUP_T_A); /* empty non-terminal */
	cr_assert_eq(r->status, LOOKUP_NODATA);
	lookup_result_free(r);
	r = lookup_resolve(lk, "b.test.", LOOKUP_T_A);
	cr_assert_eq(r->status, LOOKUP_NXDOMAIN);
	lookup_result_free(r);
	lookup_free(lk);
}

Test(lookup, cname_chain_is_followed_with_new_queries)
{
	struct lookup_fake *f;
	struct lookup *lk = fake_new(&f, zone);
	struct lookup_result *r = lookup_resolve(lk, "alias2.test", LOOKUP_T_A);

	cr_assert_eq(r->status, LOOKUP_OK);
	cr_assert_eq(r->nchain, 2);
	cr_assert_str_eq(r->chain[0], "alias.test.");
	cr_assert_str_eq(r->chain[1], "a.test.");
	cr_assert_str_eq(r->final, "a.test.");
	cr_assert_eq(r->queries, 3);
	cr_assert_eq(lookup_fake_queries(f), 3);
	lookup_result_free(r);
	lookup_free(lk);
}

Test(lookup, cname_loops_are_detected)
{
	struct lookup_fake *f;
	struct lookup *lk = fake_new(&f, zone);
	struct lookup_result *r = lookup_resolve(lk, "loop1.test", LOOKUP_T_A);

	cr_assert_eq(r->status, LOOKUP_CNAME_LOOP);
	cr_assert_leq(r->queries, 3);
	lookup_result_free(r);
	r = lookup_resolve(lk, "self.test", LOOKUP_T_MX);
	cr_assert_eq(r->status, LOOKUP_CNAME_LOOP);
	lookup_result_free(r);
	lookup_free(lk);
}

Test(lookup, dangling_cname_is_nxdomain_of_the_target)
{
	struct lookup_fake *f;
	struct lookup *lk = fake_new(&f, zone);
	struct lookup_result *r = lookup_resolve(lk, "dangling.test", LOOKUP_T_A);

	cr_assert_eq(r->status, LOOKUP_NXDOMAIN);
	cr_assert_str_eq(r->final, "nowhere.test.");
	lookup_result_free(r);
	lookup_free(lk);
}

Test(lookup, temporary_failures_keep_their_reason)
{
	struct lookup_fake *f;
	struct lookup *lk = fake_new(&f, zone);
	struct lookup_result *r;

	lookup_fake_fail(f, "a.test.", LOOKUP_T_A, LOOKUP_TEMPORARY, LOOKUP_R_REFUSED);
	r = lookup_resolve(lk, "alias.test", LOOKUP_T_A);
	cr_assert_eq(r->status, LOOKUP_TEMPORARY);
	cr_assert_eq(r->reason, LOOKUP_R_REFUSED);
	cr_assert_str_eq(lookup_reason_name(r->reason), "refused");
	lookup_result_free(r);
	lookup_free(lk);
}

Test(lookup, missing_aa_and_truncation_are_reported)
{
	struct lookup_fake *f;
	struct lookup *lk = fake_new(&f, zone);
	struct lookup_result *r;

	lookup_fake_flags(f, "a.test.", LOOKUP_T_A, false, true);
	r = lookup_resolve(lk, "a.test", LOOKUP_T_A);
	cr_assert(r->not_aa);
	cr_assert(r->truncated);
	cr_assert_eq(r->status, LOOKUP_OK);
	lookup_result_free(r);
	lk->check_aa = false; /* the system resolver: AA is not expected */
	r = lookup_resolve(lk, "a.test", LOOKUP_T_A);
	cr_assert_not(r->not_aa);
	lookup_result_free(r);
	lookup_free(lk);
}

Test(lookup, a_check_is_bounded_in_queries)
{
	struct lookup_fake *f;
	struct lookup *lk = fake_new(&f, zone);
	struct lookup_result *r;

	lk->max_queries = 2;
	lookup_begin(lk);
	lookup_result_free(lookup_resolve(lk, "a.test", LOOKUP_T_A));
	lookup_result_free(lookup_resolve(lk, "a.test", LOOKUP_T_A));
	r = lookup_resolve(lk, "a.test", LOOKUP_T_A);
	cr_assert_eq(r->status, LOOKUP_TEMPORARY);
	cr_assert_eq(r->reason, LOOKUP_R_TIMEOUT);
	cr_assert_eq(lookup_fake_queries(f), 2);
	lookup_result_free(r);
	lookup_begin(lk);
	r = lookup_resolve(lk, "a.test", LOOKUP_T_A);
	cr_assert_eq(r->status, LOOKUP_OK);
	lookup_result_free(r);
	lookup_free(lk);
}

Test(lookup, servers_are_parsed_strictly)
{
	static const char *const good[] = {"127.0.0.1@5300", "::1@5300", "[::1]@53", "192.0.2.1"};
	static const char *const bad[] = {
	    "127.0.0.1@0", "127.0.0.1@65536", "localhost", "127.0.0.1@", "@53", "::1@x"};
	char err[256];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct lookup *lk = lookup_net_new(&good[i], 1, 100, 0, err, sizeof(err));
		cr_assert_not_null(lk, "%s: %s", good[i], err);
		cr_assert(lk->check_aa);
		lookup_free(lk);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_assert_null(lookup_net_new(&bad[i], 1, 100, 0, err, sizeof(err)), "%s", bad[i]);
		cr_assert(strstr(err, bad[i]) != NULL, "%s: %s", bad[i], err);
	}
}

Test(lookup, system_resolver_needs_no_servers)
{
	char err[256];
	struct lookup *lk = lookup_net_new(NULL, 0, 100, 0, err, sizeof(err));

	cr_assert_not_null(lk, "%s", err);
	cr_assert_not(lk->check_aa);
	lookup_free(lk);
}

Test(lookup, silent_server_times_out_as_temporary)
{
	/* A UDP socket bound on loopback that never answers. */
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	char spec[64], err[256];
	const char *specs[1] = {spec};
	struct lookup *lk;
	struct lookup_result *r;

	sa.sin_addr.s_addr = htonl(0x7f000001);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(spec, sizeof(spec), "127.0.0.1@%d", ntohs(sa.sin_port));
	lk = lookup_net_new(specs, 1, 100, 1, err, sizeof(err));
	cr_assert_not_null(lk, "%s", err);
	r = lookup_resolve(lk, "x.test", LOOKUP_T_A);
	cr_assert_eq(r->status, LOOKUP_TEMPORARY);
	cr_assert_eq(r->reason, LOOKUP_R_TIMEOUT);
	cr_assert_eq(r->queries, 2, "one retry");
	lookup_result_free(r);
	lookup_free(lk);
	close(fd);
}
