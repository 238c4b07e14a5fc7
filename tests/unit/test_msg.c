/* tests/unit/test_msg.c -- request parsing: what is answered, refused, dropped; never a read
   outside the packet. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "server/msg.h"

/* Header + question for "Foo.Test." A IN, RD set; returns the length. */
static size_t
build(uint8_t *b, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
	static const uint8_t qn[] = {3, 'F', 'o', 'o', 4, 'T', 'e', 's', 't', 0, 0, 1, 0, 1};
	uint8_t h[12] = {0xbe,
	                 0xef,
	                 (uint8_t)(flags >> 8),
	                 (uint8_t)flags,
	                 (uint8_t)(qd >> 8),
	                 (uint8_t)qd,
	                 (uint8_t)(an >> 8),
	                 (uint8_t)an,
	                 (uint8_t)(ns >> 8),
	                 (uint8_t)ns,
	                 (uint8_t)(ar >> 8),
	                 (uint8_t)ar};

	memcpy(b, h, 12);
	memcpy(b + 12, qn, sizeof(qn));
	return 12 + sizeof(qn);
}

static size_t
add_opt(uint8_t *b, size_t len, uint16_t size, uint8_t version, bool do_bit)
{
	uint8_t o[11] = {
	    0, 0, 41, (uint8_t)(size >> 8), (uint8_t)size, 0, version, do_bit ? 0x80 : 0, 0, 0, 0};

	memcpy(b + len, o, sizeof(o));
	return len + sizeof(o);
}

Test(msg, parses_header_question_and_edns)
{
	uint8_t b[512];
	size_t n = add_opt(b, build(b, 0x0100, 1, 0, 0, 1), 4096, 0, true);
	struct msg_query q;

	cr_assert_eq(msg_parse_query(b, n, &q), MSG_OK);
	cr_assert_eq(q.id, 0xbeef);
	cr_assert_eq(q.flags, 0x0100);
	cr_assert_eq(q.opcode, 0);
	cr_assert(q.has_question);
	cr_assert_eq(q.qname_len, 10);
	cr_assert_eq(memcmp(q.qname, "\003Foo\004Test", 10), 0, "case kept");
	cr_assert_eq(q.qtype, 1);
	cr_assert_eq(q.qclass, 1);
	cr_assert(q.edns);
	cr_assert_eq(q.edns_size, 4096);
	cr_assert_eq(q.edns_version, 0);
	cr_assert(q.edns_do);
}

Test(msg, no_edns_without_opt)
{
	uint8_t b[512];
	size_t n = build(b, 0, 1, 0, 0, 0);
	struct msg_query q;

	cr_assert_eq(msg_parse_query(b, n, &q), MSG_OK);
	cr_assert(!q.edns);
	cr_assert(!q.edns_do);
}

Test(msg, small_edns_size_counts_as_512)
{
	uint8_t b[512];
	size_t n = add_opt(b, build(b, 0, 1, 0, 0, 1), 100, 0, false);
	struct msg_query q;

	cr_assert_eq(msg_parse_query(b, n, &q), MSG_OK);
	cr_assert_eq(q.edns_size, 512);
}

Test(msg, short_packet_and_responses_are_dropped)
{
	uint8_t b[512];
	size_t n = build(b, 0x8100, 1, 0, 0, 0);
	struct msg_query q;

	cr_assert_eq(msg_parse_query(b, 11, &q), MSG_DROP);
	cr_assert_eq(msg_parse_query(b, 0, &q), MSG_DROP);
	cr_assert_eq(msg_parse_query(NULL, 0, &q), MSG_DROP);
	cr_assert_eq(msg_parse_query(b, n, &q), MSG_DROP, "QR set");
}

Test(msg, question_count_other_than_one_is_formerr)
{
	uint8_t b[512];
	struct msg_query q;
	size_t n = build(b, 0x0100, 2, 0, 0, 0);

	cr_assert_eq(msg_parse_query(b, n, &q), MSG_FORMERR);
	cr_assert(!q.has_question);
	n = build(b, 0x0100, 0, 0, 0, 0);
	cr_assert_eq(msg_parse_query(b, 12, &q), MSG_FORMERR);
	/* header only, QDCOUNT 0 + OPT: FORMERR that keeps EDNS (as NSD) */
	n = add_opt(b, 12, 1232, 0, false);
	b[5] = 0;
	b[11] = 1;
	cr_assert_eq(msg_parse_query(b, n, &q), MSG_FORMERR);
	cr_assert(q.edns);
	cr_assert(!q.has_question);
}

Test(msg, other_opcodes_are_notimp)
{
	uint8_t b[512];
	struct msg_query q;
	size_t n = build(b, (uint16_t)(0x0100 | (5 << 11)), 1, 0, 0, 0);

	cr_assert_eq(msg_parse_query(b, n, &q), MSG_NOTIMP);
	cr_assert_eq(q.opcode, 5);
	cr_assert_eq(q.id, 0xbeef);
}

Test(msg, unknown_edns_version_is_badvers)
{
	uint8_t b[512];
	struct msg_query q;
	size_t n = add_opt(b, build(b, 0, 1, 0, 0, 1), 1232, 1, true);

	cr_assert_eq(msg_parse_query(b, n, &q), MSG_BADVERS);
	cr_assert(q.has_question, "the question is echoed in BADVERS");
	cr_assert(q.edns);
	cr_assert_eq(q.edns_version, 1);
}

Test(msg, malformed_questions_are_formerr)
{
	uint8_t b[512];
	struct msg_query q;
	size_t n = build(b, 0, 1, 0, 0, 0);

	/* cut inside the name, inside type/class */
	cr_assert_eq(msg_parse_query(b, 15, &q), MSG_FORMERR);
	cr_assert_eq(msg_parse_query(b, n - 1, &q), MSG_FORMERR);
	/* compression pointer in the question */
	b[12] = 0xc0;
	b[13] = 12;
	cr_assert_eq(msg_parse_query(b, n, &q), MSG_FORMERR);
	/* records in answer or authority */
	n = build(b, 0, 1, 1, 0, 0);
	cr_assert_eq(msg_parse_query(b, n, &q), MSG_FORMERR);
	n = build(b, 0, 1, 0, 1, 0);
	cr_assert_eq(msg_parse_query(b, n, &q), MSG_FORMERR);
	/* additional record that is not an OPT, two OPTs, truncated OPT */
	n = build(b, 0, 1, 0, 0, 1);
	memcpy(b + n, "\001x\000\000\001\000\001\000\000\000\000\000\004\001\002\003\004", 17);
	cr_assert_eq(msg_parse_query(b, n + 17, &q), MSG_FORMERR);
	n = add_opt(b, add_opt(b, build(b, 0, 1, 0, 0, 2), 1232, 0, 0), 1232, 0, 0);
	cr_assert_eq(msg_parse_query(b, n, &q), MSG_FORMERR);
	n = add_opt(b, build(b, 0, 1, 0, 0, 1), 1232, 0, 0);
	cr_assert_eq(msg_parse_query(b, n - 3, &q), MSG_FORMERR);
	/* an rcode in a request */
	n = build(b, 0x0003, 1, 0, 0, 0);
	cr_assert_eq(msg_parse_query(b, n, &q), MSG_FORMERR);
}

Test(msg, longest_name_accepted_longer_refused)
{
	uint8_t b[600];
	struct msg_query q;
	size_t p = 12;

	memset(b, 0, 12);
	b[5] = 1;
	/* 4 labels of 63 = 256 bytes with the root: too long */
	for (int i = 0; i < 4; i++) {
		b[p++] = 63;
		memset(b + p, 'a', 63);
		p += 63;
	}
	b[p++] = 0;
	memcpy(b + p, "\000\001\000\001", 4);
	cr_assert_eq(msg_parse_query(b, p + 4, &q), MSG_FORMERR);
	/* 3x63 + 61 = 255 bytes: fine */
	p = 12 + 3 * 64;
	b[p++] = 61;
	memset(b + p, 'b', 61);
	p += 61;
	b[p++] = 0;
	memcpy(b + p, "\000\001\000\001", 4);
	cr_assert_eq(msg_parse_query(b, p + 4, &q), MSG_OK);
	cr_assert_eq(q.qname_len, 255);
}

Test(msg, trailing_bytes_are_ignored)
{
	uint8_t b[512];
	struct msg_query q;
	size_t n = build(b, 0, 1, 0, 0, 0);

	memcpy(b + n, "garbage", 7);
	cr_assert_eq(msg_parse_query(b, n + 7, &q), MSG_OK);
}

Test(msg, random_bytes_never_crash)
{
	uint8_t b[600];
	struct msg_query q;
	unsigned seed = 12345;

	for (int i = 0; i < 200000; i++) {
		size_t len = (size_t)(rand_r(&seed) % 80);
		for (size_t k = 0; k < len; k++)
			b[k] = (uint8_t)rand_r(&seed);
		if (i & 1) {
			/* plausible header so the deeper parsers run */
			if (len < 12)
				len = 12 + len;
			b[2] &= 0x07;
			b[3] = 0;
			b[4] = 0;
			b[5] = 1;
			b[6] = b[7] = b[8] = b[9] = 0;
			b[10] = 0;
			b[11] = (uint8_t)(rand_r(&seed) % 3);
		}
		/* exact-size heap copy so ASan sees any overread */
		uint8_t *h = malloc(len ? len : 1);
		memcpy(h, b, len);
		enum msg_parse r = msg_parse_query(h, len, &q);
		cr_assert(r <= MSG_BADVERS);
		cr_assert_leq(q.qname_len, 255);
		free(h);
	}
}

Test(msg, name_to_str_lowercases_and_escapes)
{
	char buf[1025];

	msg_name_to_str((const uint8_t *)"", buf, sizeof(buf));
	cr_assert_str_eq(buf, ".");
	msg_name_to_str((const uint8_t *)"\003WWW\007Example\004TEST", buf, sizeof(buf));
	cr_assert_str_eq(buf, "www.example.test.");
	msg_name_to_str((const uint8_t *)"\003a.b\002\001c\001\\", buf, sizeof(buf));
	cr_assert_str_eq(buf, "a\\.b.\\001c.\\\\.");
	msg_name_to_str((const uint8_t *)"\007example\004test", buf, 8);
	cr_assert_lt(strlen(buf), 8, "bounded by the buffer");
}
