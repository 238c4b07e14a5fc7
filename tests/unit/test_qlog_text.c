/* tests/unit/test_qlog_text.c -- the readable query log line (--query-log-format text). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "server/qlog.h"

static void
utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

TestSuite(qlog_text, .init = utc);

static void
fill(struct qlog_entry *e, const char *client, const char *listen, const char *qname, int qtype,
     int rcode)
{
	memset(e, 0, sizeof(*e));
	e->time.tv_sec = 1700000000; /* 2023-11-14T22:13:20Z */
	e->time.tv_nsec = 204999999;
	e->client.sin.sin_family = AF_INET;
	e->client.sin.sin_port = htons(40000);
	inet_pton(AF_INET, client, &e->client.sin.sin_addr);
	e->listen.sin.sin_family = AF_INET;
	e->listen.sin.sin_port = htons(53);
	inet_pton(AF_INET, listen, &e->listen.sin.sin_addr);
	e->qname = qname;
	e->qtype = qtype;
	e->edns = -1;
	e->rcode = rcode;
	e->flags = 0x8500; /* qr aa rd */
	e->ancount = 1;
	e->action = "answer";
	e->latency_us = 210;
}

static void
text(const struct qlog_entry *e, bool colour, char *buf, size_t len)
{
	size_t need = qlog_format_text(e, colour, buf, len);
	cr_assert_lt(need, len);
	cr_assert_eq(strlen(buf), need);
}

Test(qlog_text, answer_line_has_time_addresses_name_type_rcode_flags_count_latency)
{
	struct qlog_entry e;
	char buf[512];

	fill(&e, "192.0.2.7", "127.53.10.1", "healthy.test.", 15, 0);
	text(&e, false, buf, sizeof(buf));
	cr_expect_str_eq(buf,
	                 "22:13:20.204  192.0.2.7       \xe2\x86\x92 127.53.10.1      "
	                 "healthy.test.                MX     NOERROR  aa     1 ans    0.2 ms");
}

Test(qlog_text, columns_line_up_for_names_and_addresses_of_different_lengths)
{
	struct qlog_entry a, b;
	char la[512], lb[512];

	fill(&a, "192.0.2.7", "127.0.0.1", "a.test.", 1, 0);
	fill(&b, "10.100.200.250", "127.53.100.200", "mx1.primary-servfail.test.", 28, 2);
	text(&a, false, la, sizeof(la));
	text(&b, false, lb, sizeof(lb));
	cr_expect_eq(strstr(la, "\xe2\x86\x92") - la, strstr(lb, "\xe2\x86\x92") - lb);
	cr_expect_eq(strstr(la, "NOERROR") - la, strstr(lb, "SERVFAIL") - lb);
	cr_expect_eq(strstr(la, " ans") - la, strstr(lb, " ans") - lb);
	cr_expect_eq(strstr(la, " ms") - la, strstr(lb, " ms") - lb);
}

Test(qlog_text, fault_is_named_with_its_action)
{
	struct qlog_entry e;
	char buf[512];

	fill(&e, "127.0.0.1", "127.0.0.1", "mx-servfail.test.", 15, 2);
	e.fault = "mx-servfail.test. MX rcode=SERVFAIL";
	e.action = "rcode";
	e.ancount = 0;
	text(&e, false, buf, sizeof(buf));
	cr_expect_not_null(strstr(buf, "SERVFAIL"), "%s", buf);
	cr_expect(strstr(buf, "fault rcode: mx-servfail.test. MX rcode=SERVFAIL") != NULL, "%s",
	          buf);
}

Test(qlog_text, a_dropped_query_says_no_reply_and_names_the_rule)
{
	struct qlog_entry e;
	char buf[512];

	fill(&e, "127.0.0.1", "127.0.0.1", "mx-timeout.test.", 15, -1);
	e.fault = "mx-timeout.test. MX drop";
	e.action = "drop";
	e.ancount = 0;
	e.flags = 0;
	text(&e, false, buf, sizeof(buf));
	cr_expect_not_null(strstr(buf, "no-reply"), "%s", buf);
	cr_expect_null(strstr(buf, "aa"), "%s", buf);
	cr_expect_not_null(strstr(buf, "fault drop: mx-timeout.test. MX drop"), "%s", buf);
}

Test(qlog_text, tcp_is_marked_and_udp_is_not)
{
	struct qlog_entry e;
	char buf[512];

	fill(&e, "127.0.0.1", "127.0.0.1", "a.test.", 1, 0);
	text(&e, false, buf, sizeof(buf));
	cr_expect_null(strstr(buf, "tcp"), "%s", buf);
	e.tcp = true;
	text(&e, false, buf, sizeof(buf));
	cr_expect_not_null(strstr(buf, "  tcp"), "%s", buf);
}

Test(qlog_text, colour_only_when_asked_green_answers_red_failures)
{
	struct qlog_entry e;
	char buf[512];

	fill(&e, "127.0.0.1", "127.0.0.1", "a.test.", 1, 0);
	text(&e, false, buf, sizeof(buf));
	cr_expect_null(strchr(buf, '\033'), "%s", buf);
	text(&e, true, buf, sizeof(buf));
	cr_expect_not_null(strstr(buf, "\033[32mNOERROR"), "%s", buf);
	e.rcode = 2;
	text(&e, true, buf, sizeof(buf));
	cr_expect_not_null(strstr(buf, "\033[1;31mSERVFAIL"), "%s", buf);
}

Test(qlog_text, a_short_buffer_is_cut_and_the_needed_length_returned)
{
	struct qlog_entry e;
	char full[512], small[20];
	size_t need;

	fill(&e, "127.0.0.1", "127.0.0.1", "a.test.", 1, 0);
	text(&e, false, full, sizeof(full));
	need = qlog_format_text(&e, false, small, sizeof(small));
	cr_expect_eq(need, strlen(full));
	cr_expect_eq(strlen(small), sizeof(small) - 1);
	cr_expect_eq(strncmp(small, full, sizeof(small) - 1), 0);
}

Test(qlog_text, text_sink_writes_readable_lines_not_json)
{
	FILE *fp = tmpfile();
	struct qlog *ql = qlog_new(4, fp);
	struct qlog_entry e;
	char line[512];

	cr_assert_not_null(fp);
	cr_expect_eq(qlog_out_format_parse("text"), QLOG_OUT_TEXT);
	cr_expect_eq(qlog_out_format_parse("json"), QLOG_OUT_JSON);
	cr_expect_eq(qlog_out_format_parse("xml"), -1);
	qlog_set_output_format(ql, QLOG_OUT_TEXT, false);
	fill(&e, "192.0.2.7", "127.0.0.1", "healthy.test.", 15, 0);
	qlog_add(ql, &e);
	rewind(fp);
	cr_assert_not_null(fgets(line, sizeof(line), fp));
	cr_expect_eq(line[0], '2', "%s", line);
	cr_expect_not_null(strstr(line, "healthy.test."), "%s", line);
	cr_expect_eq(line[strlen(line) - 1], '\n');
	qlog_free(ql);
	fclose(fp);
}
