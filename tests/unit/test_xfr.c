/* tests/unit/test_xfr.c -- zone transfers out: who may transfer, and the AXFR stream (SOA
   first and last, every record once, messages within their size, the question in the first
   one only). */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "common/diag.h"
#include "server/xfr.h"
#include "server/zone.h"
#include "tests/support/support.h"

static struct zoneset *
zones(size_t extra_txt)
{
	struct zoneset *zs = zoneset_new();
	struct diag d;
	size_t cap = 4096 + extra_txt * 100, n;
	char *text = malloc(cap);

	n = (size_t)snprintf(text, cap,
	                     TEST_EXAMPLE_HEAD "ns1   IN A   127.0.0.1\n"
	                                       "www   IN A   192.0.2.1\n"
	                                       "@     IN MX  10 mail\n"
	                                       "mail  IN A   192.0.2.25\n"
	                                       "sub   IN NS  ns.sub\n"
	                                       "ns.sub IN A 192.0.2.53\n");
	for (size_t i = 0; i < extra_txt; i++)
		n += (size_t)snprintf(text + n, cap - n,
		                      "t%zu IN TXT \"0123456789012345678901234567890123456789\"\n",
		                      i);
	diag_init(&d);
	cr_assert_eq(zoneset_add_text(zs, "example.test.zone", text, &d), 0);
	cr_assert_eq(zoneset_add_text(zs, "other.test.zone",
	                              "$ORIGIN other.test.\n$TTL 60\n@ IN SOA ns1 h 7 1 1 1 1\n"
	                              "@ IN NS ns1\nns1 IN A 127.0.0.1\n",
	                              &d),
	             0);
	cr_assert_eq(zoneset_finish(zs, &d), 0);
	diag_free(&d);
	free(text);
	return zs;
}

static void
request(struct msg_query *q, const char *name, uint16_t type)
{
	uint8_t pkt[512];
	size_t len = test_wire_query(pkt, name, type, 0x4242, -1, 0, false);

	cr_assert_eq(msg_parse_query(pkt, len, q), MSG_OK);
}

/* Every message of the stream parsed with ldns; all answer records in order into *rrs. */
static size_t
parse_stream(const uint8_t *s, size_t len, ldns_rr_list *rrs)
{
	size_t off, mlen, i;

	for (i = 0; xfr_message(s, len, i, &off, &mlen); i++) {
		ldns_pkt *p = NULL;

		cr_assert_leq(mlen, XFR_MSG_MAX, "message %zu has %zu bytes", i, mlen);
		cr_assert_eq(ldns_wire2pkt(&p, s + off, mlen), LDNS_STATUS_OK, "message %zu", i);
		cr_expect_eq(ldns_pkt_id(p), 0x4242);
		cr_expect(ldns_pkt_aa(p) && ldns_pkt_qr(p));
		cr_expect_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
		cr_expect_eq(ldns_pkt_qdcount(p), i == 0 ? 1 : 0, "question in message %zu", i);
		for (size_t k = 0; k < ldns_pkt_ancount(p); k++)
			ldns_rr_list_push_rr(rrs,
			                     ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_answer(p), k)));
		ldns_pkt_free(p);
	}
	return i;
}

Test(xfr, the_stream_is_soa_every_record_soa)
{
	struct zoneset *zs = zones(0);
	struct msg_query q;
	uint8_t *buf = NULL;
	size_t cap = 0, nmsgs;
	ldns_rr_list *rrs = ldns_rr_list_new();
	long len;

	request(&q, "Example.TEST.", XFR_TYPE_AXFR);
	len = xfr_build(zs, &q, &buf, &cap, &nmsgs);
	cr_assert_gt(len, 0);
	cr_expect_eq(parse_stream(buf, (size_t)len, rrs), nmsgs);
	cr_expect_eq(nmsgs, 1);
	/* SOA, NS, ns1 A, www A, MX, mail A, sub NS, ns.sub A (glue), SOA */
	size_t n = ldns_rr_list_rr_count(rrs);
	cr_assert_eq(n, 9, "%zu records", n);
	cr_expect_eq(ldns_rr_get_type(ldns_rr_list_rr(rrs, 0)), LDNS_RR_TYPE_SOA);
	cr_expect_eq(ldns_rr_get_type(ldns_rr_list_rr(rrs, n - 1)), LDNS_RR_TYPE_SOA);
	for (size_t i = 1; i + 1 < n; i++)
		cr_expect_neq(ldns_rr_get_type(ldns_rr_list_rr(rrs, i)), LDNS_RR_TYPE_SOA);
	char *s = ldns_rr2str(ldns_rr_list_rr(rrs, 3));
	cr_expect(strstr(s, "www.example.test.") && strstr(s, "192.0.2.1"), "%s", s);
	free(s);
	/* nothing of the other zone */
	for (size_t i = 0; i < n; i++) {
		char *o = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(rrs, i)));
		cr_expect(strstr(o, "other.test") == NULL, "%s", o);
		free(o);
	}
	ldns_rr_list_deep_free(rrs);
	free(buf);
	zoneset_free(zs);
}

Test(xfr, a_large_zone_is_split_into_messages_of_bounded_size)
{
	struct zoneset *zs = zones(2000);
	struct msg_query q;
	uint8_t *buf = NULL;
	size_t cap = 0, nmsgs;
	ldns_rr_list *rrs = ldns_rr_list_new();
	long len;

	request(&q, "example.test.", XFR_TYPE_IXFR); /* IXFR gets the whole zone too */
	len = xfr_build(zs, &q, &buf, &cap, &nmsgs);
	cr_assert_gt(len, 100000);
	cr_expect_gt(nmsgs, 5);
	cr_expect_eq(parse_stream(buf, (size_t)len, rrs), nmsgs);
	cr_expect_eq(ldns_rr_list_rr_count(rrs), 2009);
	ldns_rr_list_deep_free(rrs);
	free(buf);
	zoneset_free(zs);
}

Test(xfr, a_name_that_is_no_zone_apex_gets_no_stream)
{
	struct zoneset *zs = zones(0);
	struct msg_query q;
	uint8_t *buf = NULL;
	size_t cap = 0, nmsgs;

	request(&q, "www.example.test.", XFR_TYPE_AXFR);
	cr_expect_eq(xfr_build(zs, &q, &buf, &cap, &nmsgs), 0);
	request(&q, "sub.example.test.", XFR_TYPE_AXFR); /* a delegation, not ours */
	cr_expect_eq(xfr_build(zs, &q, &buf, &cap, &nmsgs), 0);
	request(&q, "nowhere.", XFR_TYPE_AXFR);
	cr_expect_eq(xfr_build(zs, &q, &buf, &cap, &nmsgs), 0);
	free(buf);
	zoneset_free(zs);
}

Test(xfr, loopback_clients_may_transfer_others_only_when_listed)
{
	struct sockaddr_in lo = {.sin_family = AF_INET}, far = {.sin_family = AF_INET};
	struct sockaddr_in6 lo6 = {.sin6_family = AF_INET6};
	union qlog_addr allow[1];

	inet_pton(AF_INET, "127.3.4.5", &lo.sin_addr);
	inet_pton(AF_INET, "192.0.2.9", &far.sin_addr);
	inet_pton(AF_INET6, "::1", &lo6.sin6_addr);
	cr_expect(xfr_allowed((struct sockaddr *)&lo, NULL, 0));
	cr_expect(xfr_allowed((struct sockaddr *)&lo6, NULL, 0));
	cr_expect_not(xfr_allowed((struct sockaddr *)&far, NULL, 0));
	cr_expect_not(xfr_allowed(NULL, NULL, 0));
	memset(allow, 0, sizeof(allow));
	allow[0].sin.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.9", &allow[0].sin.sin_addr);
	far.sin_port = htons(4321); /* any port */
	cr_expect(xfr_allowed((struct sockaddr *)&far, allow, 1));
	inet_pton(AF_INET, "192.0.2.10", &far.sin_addr);
	cr_expect_not(xfr_allowed((struct sockaddr *)&far, allow, 1));
}
