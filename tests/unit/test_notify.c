/* tests/unit/test_notify.c -- NOTIFY targets as users write them, and the NOTIFY message. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include <ldns/ldns.h>

#include "server/notify.h"

Test(notify, targets_take_an_address_and_an_optional_port)
{
	union qlog_addr a;
	char err[256];

	cr_assert_eq(notify_parse_target("127.0.0.1", 53, &a, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(a.sa.sa_family, AF_INET);
	cr_expect_eq(ntohs(a.sin.sin_port), 53);
	cr_assert_eq(notify_parse_target("::1@5353", 53, &a, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(a.sa.sa_family, AF_INET6);
	cr_expect_eq(ntohs(a.sin6.sin6_port), 5353);
}

Test(notify, bad_targets_are_explained)
{
	static const char bad[][32] = {"",
	                               "@53",
	                               "127.0.0.1@",
	                               "127.0.0.1@0",
	                               "127.0.0.1@70000",
	                               "127.0.0.1@x",
	                               "ns1.example.test"};
	union qlog_addr a;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[256] = "";
		cr_expect_eq(notify_parse_target(bad[i], 53, &a, err, sizeof(err)), -1, "'%s'",
		             bad[i]);
		cr_expect_neq(err[0], '\0', "no reason for '%s'", bad[i]);
	}
}

Test(notify, the_message_is_an_authoritative_notify_for_the_soa)
{
	uint8_t msg[512];
	ldns_pkt *p = NULL;
	size_t len = notify_build("example.test.", 77, msg, sizeof(msg));

	cr_assert_gt(len, 12);
	cr_assert_eq(ldns_wire2pkt(&p, msg, len), LDNS_STATUS_OK);
	cr_expect_eq(ldns_pkt_get_opcode(p), LDNS_PACKET_NOTIFY);
	cr_expect(ldns_pkt_aa(p));
	cr_expect_not(ldns_pkt_qr(p));
	cr_expect_eq(ldns_pkt_id(p), 77);
	cr_assert_eq(ldns_pkt_qdcount(p), 1);
	ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	cr_expect_eq(ldns_rr_get_type(q), LDNS_RR_TYPE_SOA);
	char *owner = ldns_rdf2str(ldns_rr_owner(q));
	cr_expect_str_eq(owner, "example.test.");
	free(owner);
	ldns_pkt_free(p);
	cr_expect_eq(notify_build("example.test.", 1, msg, 10), 0, "too small a buffer");
}
