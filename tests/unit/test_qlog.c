/* tests/unit/test_qlog.c -- the query log: JSON lines, escaping, the ring buffer. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "server/qlog.h"

static void
fill(struct qlog_entry *e, const char *qname, const char *fault)
{
	memset(e, 0, sizeof(*e));
	e->time.tv_sec = 1700000000; /* 2023-11-14T22:13:20Z */
	e->time.tv_nsec = 123456789;
	e->client.sin.sin_family = AF_INET;
	e->client.sin.sin_port = htons(40000);
	inet_pton(AF_INET, "127.0.0.1", &e->client.sin.sin_addr);
	e->listen.sin6.sin6_family = AF_INET6;
	e->listen.sin6.sin6_port = htons(5300);
	inet_pton(AF_INET6, "::1", &e->listen.sin6.sin6_addr);
	e->id = 4660;
	e->qname = qname;
	e->qtype = 15;
	e->edns = 1232;
	e->edns_do = true;
	e->rcode = 3;
	e->flags = 0x8400;
	e->ancount = 0;
	e->fault = fault;
	e->action = fault ? "rcode" : "answer";
	e->bytes = 99;
	e->latency_us = 42;
}

static json_t *
entry_json(const struct qlog_entry *e)
{
	char buf[4096];
	json_error_t err;
	json_t *j;

	cr_assert_lt(qlog_format(e, buf, sizeof(buf)), sizeof(buf));
	j = json_loads(buf, 0, &err);
	cr_assert_not_null(j, "not JSON (%s): %s", err.text, buf);
	return j;
}

Test(qlog, entry_is_one_json_object_with_every_field)
{
	struct qlog *ql = qlog_new(4, NULL);
	struct qlog_entry e;
	json_t *j;

	fill(&e, "mx.example.test.", NULL);
	qlog_add(ql, &e);
	cr_expect_eq(e.seq, 1);
	cr_expect_eq(qlog_last_seq(ql), 1);
	j = entry_json(&e);
	cr_expect_eq(json_integer_value(json_object_get(j, "seq")), 1);
	cr_expect_str_eq(json_string_value(json_object_get(j, "time")), "2023-11-14T22:13:20.123Z");
	cr_expect_str_eq(json_string_value(json_object_get(j, "client")), "127.0.0.1#40000");
	cr_expect_str_eq(json_string_value(json_object_get(j, "listen")), "::1#5300");
	cr_expect_str_eq(json_string_value(json_object_get(j, "transport")), "udp");
	cr_expect_eq(json_integer_value(json_object_get(j, "id")), 4660);
	cr_expect_str_eq(json_string_value(json_object_get(j, "qname")), "mx.example.test.");
	cr_expect_str_eq(json_string_value(json_object_get(j, "qtype")), "MX");
	cr_expect_eq(json_integer_value(json_object_get(j, "edns")), 1232);
	cr_expect(json_is_true(json_object_get(j, "do")));
	cr_expect_str_eq(json_string_value(json_object_get(j, "rcode")), "NXDOMAIN");
	cr_expect_str_eq(json_string_value(json_object_get(j, "flags")), "qr aa");
	cr_expect_eq(json_integer_value(json_object_get(j, "answer_count")), 0);
	cr_expect(json_is_null(json_object_get(j, "fault")));
	cr_expect_str_eq(json_string_value(json_object_get(j, "action")), "answer");
	cr_expect_eq(json_integer_value(json_object_get(j, "bytes")), 99);
	cr_expect_eq(json_integer_value(json_object_get(j, "latency_us")), 42);
	json_decref(j);
	qlog_free(ql);
}

Test(qlog, nothing_sent_gives_nulls)
{
	struct qlog_entry e;
	json_t *j;

	fill(&e, NULL, NULL);
	e.qtype = -1;
	e.edns = -1;
	e.rcode = -1;
	e.action = "drop";
	j = entry_json(&e);
	cr_expect(json_is_null(json_object_get(j, "qname")));
	cr_expect(json_is_null(json_object_get(j, "qtype")));
	cr_expect(json_is_null(json_object_get(j, "edns")));
	cr_expect(json_is_null(json_object_get(j, "rcode")));
	cr_expect(json_is_null(json_object_get(j, "flags")));
	json_decref(j);
}

Test(qlog, rule_text_and_names_are_escaped)
{
	struct qlog_entry e;
	json_t *j;

	fill(&e, "a\\\"b.example.test.", "x.test. * rcode=SERVFAIL # \"quoted\" \\ back\ttab");
	j = entry_json(&e);
	cr_expect_str_eq(json_string_value(json_object_get(j, "qname")), "a\\\"b.example.test.");
	cr_expect_str_eq(json_string_value(json_object_get(j, "fault")),
	                 "x.test. * rcode=SERVFAIL # \"quoted\" \\ back\ttab");
	json_decref(j);
}

Test(qlog, unknown_types_and_rcodes_get_generic_names)
{
	char buf[32];

	cr_expect_str_eq(qlog_type_name(65280, buf, sizeof(buf)), "TYPE65280");
	cr_expect_str_eq(qlog_type_name(28, buf, sizeof(buf)), "AAAA");
	cr_expect_str_eq(qlog_rcode_name(16, buf, sizeof(buf)), "BADVERS");
	cr_expect_str_eq(qlog_rcode_name(5, buf, sizeof(buf)), "REFUSED");
	cr_expect_str_eq(qlog_rcode_name(30, buf, sizeof(buf)), "RCODE30");
}

static void
collect_cb(const struct qlog_entry *e, void *arg)
{
	char *out = arg;
	char one[32];
	snprintf(one, sizeof(one), "%llu,", (unsigned long long)e->seq);
	strcat(out, one);
}

Test(qlog, ring_keeps_the_newest_entries_in_order)
{
	struct qlog *ql = qlog_new(3, NULL);
	char seen[256] = "";

	for (int i = 0; i < 5; i++) {
		struct qlog_entry e;
		fill(&e, "x.test.", i % 2 ? "x.test. * drop" : NULL);
		qlog_add(ql, &e);
	}
	cr_expect_eq(qlog_last_seq(ql), 5);
	qlog_foreach_since(ql, 0, collect_cb, seen);
	cr_expect_str_eq(seen, "3,4,5,");
	seen[0] = '\0';
	qlog_foreach_since(ql, 4, collect_cb, seen);
	cr_expect_str_eq(seen, "5,");
	qlog_clear(ql);
	seen[0] = '\0';
	qlog_foreach_since(ql, 0, collect_cb, seen);
	cr_expect_str_eq(seen, "");
	qlog_free(ql);
}

static void
last_strings_cb(const struct qlog_entry *e, void *arg)
{
	char *out = arg;
	snprintf(out, 640, "%s|%s", e->qname ? e->qname : "(null)", e->fault ? e->fault : "(null)");
}

Test(qlog, ring_keeps_its_own_copy_of_the_strings)
{
	struct qlog *ql = qlog_new(2, NULL);
	char name[300], rule[320], seen[640];
	struct qlog_entry e;

	/* one short pair (kept in the slot) and one long pair (kept on the slot's heap) */
	for (int len = 8; len <= 250; len += 242) {
		memset(name, 'a', (size_t)len);
		strcpy(name + len, ".test.");
		snprintf(rule, sizeof(rule), "%s * drop", name);
		fill(&e, name, rule);
		qlog_add(ql, &e);
		snprintf(seen, sizeof(seen), "%s|%s", name, rule);
		memset(name, 'x', sizeof(name) - 1); /* the caller's buffers are reused */
		memset(rule, 'x', sizeof(rule) - 1);
		name[sizeof(name) - 1] = rule[sizeof(rule) - 1] = '\0';
		char got[640] = "";
		qlog_foreach_since(ql, e.seq - 1, last_strings_cb, got);
		cr_expect_str_eq(got, seen, "entry %llu", (unsigned long long)e.seq);
	}
	fill(&e, NULL, NULL);
	qlog_add(ql, &e);
	char got[640] = "";
	qlog_foreach_since(ql, e.seq - 1, last_strings_cb, got);
	cr_expect_str_eq(got, "(null)|(null)", "a reused slot keeps no old strings");
	qlog_free(ql);
}

Test(qlog, file_sink_gets_one_line_per_entry)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	struct qlog *ql = qlog_new(2, mem);

	for (int i = 0; i < 3; i++) {
		struct qlog_entry e;
		fill(&e, "y.test.", NULL);
		qlog_add(ql, &e);
	}
	qlog_free(ql);
	fclose(mem);
	int lines = 0;
	for (char *p = text; *p; p++)
		lines += *p == '\n';
	cr_expect_eq(lines, 3, "three entries, three lines, even with a ring of 2: %s", text);
	cr_expect(strstr(text, "\"seq\":3") != NULL);
	free(text);
}
