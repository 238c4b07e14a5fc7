/* tests/unit/test_events.c -- the server-sent event of one query log entry. */
#include <arpa/inet.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "server/events.h"

Test(events, an_entry_is_one_event_with_its_seq_as_id_and_its_json_as_data)
{
	struct qlog_entry e;
	char buf[4096];
	size_t n;
	json_t *j;
	const char *data;

	memset(&e, 0, sizeof(e));
	e.seq = 42;
	e.client.sin.sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &e.client.sin.sin_addr);
	e.listen.sin.sin_family = AF_INET;
	e.qname = "line\nbreak.test.";
	e.qtype = 15;
	e.edns = -1;
	e.rcode = 0;
	e.action = "answer";
	n = events_format(&e, buf, sizeof(buf));
	cr_assert_eq(n, strlen(buf));
	cr_expect_eq(strncmp(buf, "id: 42\ndata: {", 14), 0, "%s", buf);
	cr_expect_str_eq(buf + n - 2, "\n\n");
	/* one data line: a newline in a name cannot end the event early */
	cr_expect_null(memchr(buf + 13, '\n', n - 15), "%s", buf);
	data = buf + 13;
	j = json_loadb(data, n - 15, 0, NULL);
	cr_assert_not_null(j, "%s", data);
	cr_expect_eq(json_integer_value(json_object_get(j, "seq")), 42);
	cr_expect_str_eq(json_string_value(json_object_get(j, "qname")), "line\nbreak.test.");
	json_decref(j);
}

Test(events, a_short_buffer_reports_the_length_needed)
{
	struct qlog_entry e;
	char big[4096], small[16];

	memset(&e, 0, sizeof(e));
	e.seq = 7;
	e.qtype = -1;
	e.edns = -1;
	e.rcode = -1;
	size_t need = events_format(&e, big, sizeof(big));
	cr_expect_eq(events_format(&e, small, sizeof(small)), need);
}
