/* tests/unit/test_query.c -- the per-query pipeline without sockets: parse, faults, build, the
   state the transport gets, and the log record it fills. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "server/query.h"
#include "tests/support/support.h"

static const char zone_text[] = TEST_EXAMPLE_HEAD "ns1  IN A   127.0.0.1\n"
                                                  "www  IN A   192.0.2.1\n";

static struct query_ctx ctx;
static struct query *q;

static void
setup_rules(const char *rules)
{
	struct diag d;
	char err[512];

	memset(&ctx, 0, sizeof(ctx));
	diag_init(&d);
	ctx.zs = zoneset_new();
	cr_assert_eq(zoneset_add_text(ctx.zs, "example.test.zone", zone_text, &d), 0);
	/* an RRset of 10 TXT records of 60 bytes: > 512 bytes, < 1232 (our EDNS size) */
	char big[4096] = "$ORIGIN big.test.\n$TTL 300\n@ IN SOA ns1 h 1 2 3 4 5\n@ IN NS ns1\n"
	                 "ns1 IN A 127.0.0.1\n";
	for (int i = 0; i < 10; i++)
		snprintf(
		    big + strlen(big), sizeof(big) - strlen(big),
		    "t IN TXT \"%02d-0123456789012345678901234567890123456789012345678901234\"\n",
		    i);
	cr_assert_eq(zoneset_add_text(ctx.zs, "big.test.zone", big, &d), 0);
	cr_assert_eq(zoneset_finish(ctx.zs, &d), 0);
	diag_free(&d);
	ctx.rules = fault_rules_new(1);
	cr_assert_eq(fault_rules_parse(ctx.rules, "faults.conf", rules, err, sizeof(err)), 0, "%s",
	             err);
	q = query_new();
}

static void
setup(void)
{
	setup_rules("delay.example.test. * delay=300\n"
	            "close.example.test. * tcp-close\n"
	            "trunc.example.test. * truncate\n"
	            "nx.example.test. * rcode=NXDOMAIN\n"
	            "gone.example.test. * drop\n"
	            "lame.example.test. * noaa\n");
}

static void
teardown(void)
{
	query_free(q);
	zoneset_free(ctx.zs);
	fault_rules_free(ctx.rules);
}

static enum query_state
run(bool tcp, const char *name, uint16_t type, uint16_t edns)
{
	uint8_t pkt[512];
	size_t len = test_wire_query(pkt, name, type, 0x1234, edns ? edns : -1, 0, false);

	query_start(q, tcp, NULL, NULL);
	return query_process(&ctx, q, pkt, len);
}

static unsigned
rcode(void)
{
	return q->reply[3] & 0x0f;
}

static unsigned
ancount(void)
{
	return (unsigned)(q->reply[6] << 8 | q->reply[7]);
}

TestSuite(query, .init = setup, .fini = teardown);

Test(query, plain_answer_is_sent_with_aa_and_id)
{
	cr_assert_eq(run(false, "www.example.test.", 1, 0), QUERY_SEND);
	cr_assert_geq(q->reply_len, 12);
	cr_expect_eq(q->reply[0], 0x12);
	cr_expect_eq(q->reply[1], 0x34);
	cr_expect(q->reply[2] & 0x04, "AA");
	cr_expect_eq(rcode(), 0);
	cr_expect_eq(ancount(), 1);
	cr_expect_str_eq(q->log.qname, "www.example.test.");
	cr_expect_str_eq(q->log.action, "answer");
	cr_expect_null(q->log.fault);
	query_done(&ctx, q, true);
	cr_expect_eq(ctx.stats.queries, 1);
	cr_expect_eq(ctx.stats.udp, 1);
	cr_expect_eq(ctx.stats.by_type[1], 1);
	cr_expect_eq(ctx.stats.by_rcode[0], 1);
}

Test(query, too_short_for_a_header_is_dropped)
{
	uint8_t pkt[5] = {1, 2, 3, 4, 5};

	query_start(q, false, NULL, NULL);
	cr_expect_eq(query_process(&ctx, q, pkt, sizeof(pkt)), QUERY_DROP);
	cr_expect_str_eq(q->log.action, "drop");
	query_done(&ctx, q, false);
	cr_expect_eq(ctx.stats.drops, 1);
}

Test(query, response_packets_are_dropped)
{
	uint8_t pkt[512];
	size_t len = test_wire_query(pkt, "www.example.test.", 1, 7, -1, 0, false);

	pkt[2] |= 0x80; /* QR */
	query_start(q, false, NULL, NULL);
	cr_expect_eq(query_process(&ctx, q, pkt, len), QUERY_DROP);
}

Test(query, two_questions_get_formerr)
{
	uint8_t pkt[512];
	size_t len = test_wire_query(pkt, "www.example.test.", 1, 7, -1, 0, false);

	pkt[5] = 2; /* QDCOUNT 2 with one question present */
	query_start(q, false, NULL, NULL);
	cr_assert_eq(query_process(&ctx, q, pkt, len), QUERY_SEND);
	cr_expect_eq(rcode(), 1);
}

Test(query, delay_rule_gives_a_ready_reply_and_a_delay)
{
	cr_assert_eq(run(false, "delay.example.test.", 1, 0), QUERY_DELAY);
	cr_expect_eq(q->delay_ms, 300);
	cr_expect_geq(q->reply_len, 12, "the reply is built before the wait");
	cr_expect_str_eq(q->log.action, "delay");
	cr_expect_str_eq(q->log.fault, "delay.example.test. * delay=300");
}

Test(query, tcp_close_closes_over_tcp_only)
{
	cr_expect_eq(run(true, "close.example.test.", 1, 0), QUERY_CLOSE);
	cr_expect_neq(run(false, "close.example.test.", 1, 0), QUERY_CLOSE);
}

Test(query, truncate_sets_tc_over_udp_and_answers_over_tcp)
{
	cr_assert_eq(run(false, "trunc.example.test.", 1, 0), QUERY_SEND);
	cr_expect(q->reply[2] & 0x02, "TC over UDP");
	cr_expect_eq(ancount(), 0);
	cr_assert_eq(run(true, "trunc.example.test.", 1, 0), QUERY_SEND);
	cr_expect_not(q->reply[2] & 0x02, "no TC over TCP");
}

Test(query, rcode_rule_sets_the_rcode)
{
	cr_assert_eq(run(false, "nx.example.test.", 1, 0), QUERY_SEND);
	cr_expect_eq(rcode(), 3);
	cr_expect_str_eq(q->log.action, "rcode");
}

Test(query, drop_rule_drops_and_names_the_rule)
{
	cr_expect_eq(run(false, "gone.example.test.", 1, 0), QUERY_DROP);
	cr_expect_str_eq(q->log.action, "drop");
	cr_expect_str_eq(q->log.fault, "gone.example.test. * drop");
	query_done(&ctx, q, false);
	cr_expect_eq(ctx.stats.faults, 1);
	cr_expect_eq(ctx.stats.drops, 1);
}

Test(query, noaa_rule_clears_aa)
{
	cr_assert_eq(run(false, "lame.example.test.", 1, 0), QUERY_SEND);
	cr_expect_not(q->reply[2] & 0x04);
}

Test(query, udp_limit_is_512_without_edns_and_the_edns_size_with_it)
{
	cr_assert_eq(run(false, "t.big.test.", 16, 0), QUERY_SEND);
	cr_expect_leq(q->reply_len, 512);
	cr_expect(q->reply[2] & 0x02, "TC without EDNS");

	cr_assert_eq(run(false, "t.big.test.", 16, 4096), QUERY_SEND);
	cr_expect_gt(q->reply_len, 512);
	cr_expect_not(q->reply[2] & 0x02);
	cr_expect_eq(ancount(), 10);
	cr_expect_eq(q->log.edns, 4096);

	cr_assert_eq(run(true, "t.big.test.", 16, 0), QUERY_SEND);
	cr_expect_eq(ancount(), 10, "TCP carries everything");
}

static void
logged_fault_cb(const struct qlog_entry *e, void *arg)
{
	snprintf(arg, 128, "%s", e->fault ? e->fault : "(null)");
}

Test(query, delayed_reply_logs_the_rule_text_after_a_reload)
{
	char logged[128] = "";

	ctx.qlog = qlog_new(4, NULL);
	cr_assert_eq(run(false, "delay.example.test.", 1, 0), QUERY_DELAY);
	/* a reload while the reply waits frees the rule that fired */
	fault_rules_free(ctx.rules);
	ctx.rules = fault_rules_new(1);
	query_done(&ctx, q, true);
	qlog_foreach_since(ctx.qlog, 0, logged_fault_cb, logged);
	cr_expect_str_eq(logged, "delay.example.test. * delay=300");
	qlog_free(ctx.qlog);
}

static void
logged_line_cb(const struct qlog_entry *e, void *arg)
{
	char *out = arg;
	qlog_format(e, out, 4096);
}

Test(query, dropped_reply_logs_the_flags_the_query_had)
{
	uint8_t pkt[512];
	size_t len = test_wire_query(pkt, "gone.example.test.", 1, 0x1234, -1, 0, false);
	char line[4096] = "";

	pkt[2] |= 0x01; /* RD */
	pkt[3] |= 0x10; /* CD */
	ctx.qlog = qlog_new(4, NULL);
	query_start(q, false, NULL, NULL);
	cr_assert_eq(query_process(&ctx, q, pkt, len), QUERY_DROP);
	query_done(&ctx, q, false);
	qlog_foreach_since(ctx.qlog, 0, logged_line_cb, line);
	cr_expect(strstr(line, "\"rcode\":null,\"flags\":\"rd cd\"") != NULL, "%s", line);
	qlog_free(ctx.qlog);
}
