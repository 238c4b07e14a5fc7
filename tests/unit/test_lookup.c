/* tests/unit/test_lookup.c -- the classified, CNAME-following lookup over a fake transport. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Every test gets a fresh fake DNS holding zone. */
static struct lookup_fake *f;
static struct lookup *lk;

static void
fake_setup(void)
{
	lk = fake_new(&f, zone);
}

static void
fake_teardown(void)
{
	lookup_free(lk);
	lk = NULL;
}

TestSuite(lookup, .init = fake_setup, .fini = fake_teardown);

/* Resolve name/type on the fake DNS and assert the status; returns the result to free. */
static struct lookup_result *
resolve(const char *name, uint16_t type, enum lookup_status want)
{
	struct lookup_result *r = lookup_resolve(lk, name, type);

	cr_assert_not_null(r);
	cr_assert_eq(r->status, want, "%s type %u: %s, expected %s", name, type,
	             lookup_status_name(r->status), lookup_status_name(want));
	return r;
}

Test(lookup, ok_nodata_nxdomain_are_told_apart)
{
	struct lookup_result *r;

	r = resolve("A.TEST", LOOKUP_T_A, LOOKUP_OK);
	cr_assert_eq(r->nrrs, 1);
	cr_assert_str_eq(r->qname, "a.test.");
	cr_assert_eq(r->rrs[0].addr[3], 1);
	lookup_result_free(r);
	lookup_result_free(resolve("a.test.", LOOKUP_T_AAAA, LOOKUP_NODATA));
	lookup_result_free(
	    resolve("ent.test.", LOOKUP_T_A, LOOKUP_NODATA)); /* empty non-terminal */
	lookup_result_free(resolve("b.test.", LOOKUP_T_A, LOOKUP_NXDOMAIN));
}

Test(lookup, cname_chain_is_followed_with_new_queries)
{
	struct lookup_result *r = resolve("alias2.test", LOOKUP_T_A, LOOKUP_OK);

	cr_assert_eq(r->nchain, 2);
	cr_assert_str_eq(r->chain[0], "alias.test.");
	cr_assert_str_eq(r->chain[1], "a.test.");
	cr_assert_str_eq(r->final, "a.test.");
	cr_assert_eq(r->queries, 3);
	cr_assert_eq(lookup_fake_queries(f), 3);
	lookup_result_free(r);
}

Test(lookup, cname_loops_are_detected)
{
	struct lookup_result *r = resolve("loop1.test", LOOKUP_T_A, LOOKUP_CNAME_LOOP);

	cr_assert_leq(r->queries, 3);
	lookup_result_free(r);
	lookup_result_free(resolve("self.test", LOOKUP_T_MX, LOOKUP_CNAME_LOOP));
}

Test(lookup, dangling_cname_is_nxdomain_of_the_target)
{
	struct lookup_result *r = resolve("dangling.test", LOOKUP_T_A, LOOKUP_NXDOMAIN);

	cr_assert_str_eq(r->final, "nowhere.test.");
	lookup_result_free(r);
}

Test(lookup, temporary_failures_keep_their_reason)
{
	struct lookup_result *r;

	lookup_fake_fail(f, "a.test.", LOOKUP_T_A, LOOKUP_TEMPORARY, LOOKUP_R_REFUSED);
	r = resolve("alias.test", LOOKUP_T_A, LOOKUP_TEMPORARY);
	cr_assert_eq(r->reason, LOOKUP_R_REFUSED);
	cr_assert_str_eq(lookup_reason_name(r->reason), "refused");
	lookup_result_free(r);
}

Test(lookup, missing_aa_and_truncation_are_reported)
{
	struct lookup_result *r;

	lookup_fake_set_flags(f, "a.test.", LOOKUP_T_A, false, true);
	r = resolve("a.test", LOOKUP_T_A, LOOKUP_OK);
	cr_assert(r->not_aa);
	cr_assert(r->truncated);
	lookup_result_free(r);
	lk->check_aa = false; /* the system resolver: AA is not expected */
	r = lookup_resolve(lk, "a.test", LOOKUP_T_A);
	cr_assert_not(r->not_aa);
	lookup_result_free(r);
}

Test(lookup, a_check_is_bounded_in_queries)
{
	struct lookup_result *r;

	lk->max_queries = 2;
	lookup_begin(lk);
	lookup_result_free(lookup_resolve(lk, "a.test", LOOKUP_T_A));
	lookup_result_free(lookup_resolve(lk, "a.test", LOOKUP_T_AAAA));
	r = resolve("sub.ent.test", LOOKUP_T_A, LOOKUP_TEMPORARY);
	cr_assert_eq(r->reason, LOOKUP_R_TIMEOUT);
	cr_assert_eq(lookup_fake_queries(f), 2);
	lookup_result_free(r);
	lookup_begin(lk);
	lookup_result_free(resolve("sub.ent.test", LOOKUP_T_A, LOOKUP_OK));
}

Test(lookup, a_question_is_sent_once_per_check)
{
	struct lookup_result *r;

	lookup_fake_set_flags(f, "a.test.", LOOKUP_T_A, false, true);
	lookup_begin(lk);
	lookup_result_free(resolve("a.test", LOOKUP_T_A, LOOKUP_OK));
	/* alias.test is new; its target a.test/A was answered: one more packet, not two */
	r = resolve("alias.test", LOOKUP_T_A, LOOKUP_OK);
	cr_assert_eq(r->queries, 1);
	cr_assert_eq(r->nrrs, 1);
	cr_assert_eq(r->rrs[0].addr[3], 1);
	cr_assert(r->truncated, "a remembered reply keeps its flags");
	cr_assert(r->not_aa);
	lookup_result_free(r);
	r = resolve("A.test.", LOOKUP_T_A, LOOKUP_OK);
	cr_assert_eq(r->queries, 0);
	lookup_result_free(r);
	cr_assert_eq(lk->queries, 2);
	cr_assert_eq(lookup_fake_queries(f), 2);
	/* failures are remembered too: a check never waits twice for the same timeout */
	lookup_fake_fail(f, "sub.ent.test.", LOOKUP_T_A, LOOKUP_TEMPORARY, LOOKUP_R_TIMEOUT);
	lookup_result_free(resolve("sub.ent.test", LOOKUP_T_A, LOOKUP_TEMPORARY));
	r = resolve("sub.ent.test", LOOKUP_T_A, LOOKUP_TEMPORARY);
	cr_assert_eq(r->reason, LOOKUP_R_TIMEOUT);
	lookup_result_free(r);
	cr_assert_eq(lookup_fake_queries(f), 3);
	/* the next check asks again */
	lookup_begin(lk);
	lookup_result_free(resolve("a.test", LOOKUP_T_A, LOOKUP_OK));
	cr_assert_eq(lookup_fake_queries(f), 4);
	cr_assert_eq(lk->queries, 1);
}

Test(lookup, servers_are_parsed_strictly)
{
	static const char *const good[] = {"127.0.0.1@5300", "::1@5300", "[::1]@53", "192.0.2.1"};
	static const char *const bad[] = {
	    "127.0.0.1@0", "127.0.0.1@65536", "localhost", "127.0.0.1@", "@53", "::1@x"};
	char err[256];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct lookup *net = lookup_net_new(&good[i], 1, 100, 0, err, sizeof(err));
		cr_assert_not_null(net, "%s: %s", good[i], err);
		cr_assert(net->check_aa);
		lookup_free(net);
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
	struct lookup *net = lookup_net_new(NULL, 0, 100, 0, err, sizeof(err));

	cr_assert_not_null(net, "%s", err);
	cr_assert_not(net->check_aa);
	lookup_free(net);
}

Test(lookup, silent_server_times_out_as_temporary)
{
	/* A UDP socket bound on loopback that never answers. */
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	char spec[64], err[256];
	const char *specs[1] = {spec};
	struct lookup *net;
	struct lookup_result *r;

	sa.sin_addr.s_addr = htonl(0x7f000001);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(spec, sizeof(spec), "127.0.0.1@%d", ntohs(sa.sin_port));
	net = lookup_net_new(specs, 1, 100, 1, err, sizeof(err));
	cr_assert_not_null(net, "%s", err);
	r = lookup_resolve(net, "x.test", LOOKUP_T_A);
	cr_assert_eq(r->status, LOOKUP_TEMPORARY);
	cr_assert_eq(r->reason, LOOKUP_R_TIMEOUT);
	cr_assert_eq(r->queries, 2, "one retry");
	lookup_result_free(r);
	lookup_free(net);
	close(fd);
}

/* The query mxcheck builds by hand is byte for byte the one ldns builds for the same name,
   type, ID and flags (escaped labels, the root, RD, CD, EDNS0 with DO included). */
Test(lookup, query_wire_is_the_one_ldns_builds)
{
	static const char names[][40] = {"mx.example.test.", "a\\.b\\032c.test.", ".",
	                                 "UPPER.Test.", "_25._tcp.mx.test."};
	static const uint16_t types[] = {LOOKUP_T_MX, LOOKUP_T_AAAA, LOOKUP_T_TLSA};
	static const unsigned flagsets[] = {0, LOOKUP_Q_DO, LOOKUP_Q_DO | LOOKUP_Q_CD};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++)
			for (size_t k = 0; k < sizeof(flagsets) / sizeof(flagsets[0]); k++)
				for (int rd = 0; rd <= 1; rd++) {
					uint8_t mine[600], *theirs = NULL;
					size_t ml, tl = 0;
					unsigned fl = flagsets[k];
					uint16_t id = (uint16_t)(0x1234 + i * 7 + t * 3 + k + rd);
					ldns_pkt *q =
					    ldns_pkt_query_new(ldns_dname_new_frm_str(names[i]),
					                       (ldns_rr_type)types[t],
					                       LDNS_RR_CLASS_IN, rd ? LDNS_RD : 0);

					cr_assert_not_null(q);
					ldns_pkt_set_id(q, id);
					if (fl & LOOKUP_Q_DO) {
						ldns_pkt_set_edns_udp_size(q, 1232);
						ldns_pkt_set_edns_do(q, true);
					}
					if (fl & LOOKUP_Q_CD)
						ldns_pkt_set_cd(q, true);
					cr_assert_eq(ldns_pkt2wire(&theirs, q, &tl),
					             LDNS_STATUS_OK);
					ml = lookup_query_wire(names[i], types[t], id, rd, fl, mine,
					                       sizeof(mine));
					cr_expect_eq(
					    ml, tl,
					    "%s type %u flags %u rd %d: %zu bytes, ldns %zu",
					    names[i], types[t], fl, rd, ml, tl);
					cr_expect(ml == tl && memcmp(mine, theirs, tl) == 0,
					          "%s type %u flags %u rd %d: bytes differ",
					          names[i], types[t], fl, rd);
					free(theirs);
					ldns_pkt_free(q);
				}
	/* too small a buffer, or a name that does not encode */
	{
		uint8_t small[20], big[600];
		cr_expect_eq(lookup_query_wire("mx.example.test.", LOOKUP_T_MX, 1, false, 0, small,
		                               sizeof(small)),
		             0);
		cr_expect_eq(lookup_query_wire("a..b.", LOOKUP_T_MX, 1, false, 0, big, sizeof(big)),
		             0);
	}
}

/* Names copied out of replies read as ldns prints them, lower-cased and absolute: escapes
   for the special characters, \DDD for bytes that are not printable ASCII. */
Test(lookup, record_names_read_as_ldns_prints_them)
{
	static const char names[][64] = {"mx.example.test.",
	                                 "UPPER.Case.TEST.",
	                                 "a\\.b\\;c\\(d\\)e\\\\f.test.",
	                                 "sp\\032ace\\009tab.test.",
	                                 "hi\\200\\255bytes.test.",
	                                 "_25._tcp.mx.test.",
	                                 "."};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char text[1024], want[LOOKUP_NAME_MAX];
		struct lookup_rr rr;
		ldns_rdf *dn = ldns_dname_new_frm_str(names[i]);
		char *s;

		cr_assert_not_null(dn, "%s", names[i]);
		ldns_dname2canonical(dn);
		s = ldns_rdf2str(dn);
		lookup_name_abs(s, want, sizeof(want));
		free(s);
		ldns_rdf_deep_free(dn);
		snprintf(text, sizeof(text), "%s 300 IN PTR %s", names[i], names[i]);
		cr_assert_eq(lookup_rr_parse(text, &rr), 0, "%s", text);
		cr_expect_str_eq(rr.owner, want, "owner of %s", text);
		cr_expect_str_eq(rr.target, want, "target of %s", text);
	}
}
