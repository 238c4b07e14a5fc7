/* tests/unit/test_acache.c -- the answer cache alone (hits only on the same request bytes,
   transport and zone set), and query_process with it: the same bytes as building anew, fault
   rules still counted on every request, nothing served from a replaced zone set. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "server/acache.h"
#include "server/query.h"
#include "tests/support/support.h"

/* ---- the table alone */

static const uint8_t req[] = {0x12, 0x34, 0x01, 0x00, 0,   1, 0, 0, 0, 0, 0,
                              0,    3,    'w',  'w',  'w', 0, 0, 1, 0, 1};
static const uint8_t ans[] = {0x12, 0x34, 0x85, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};

static const struct acache_scope s7 = {.zones = 7}, s8 = {.zones = 8},
                                 s7tcp = {.zones = 7, .tcp = true}, s1 = {.zones = 1},
                                 s2 = {.zones = 2}, s7w = {.zones = 7, .world = 1},
                                 s7srv = {.zones = 7, .world = 1, .server = &s7};

static struct msg_query
parsed(void)
{
	struct msg_query m;

	cr_assert_eq(msg_parse_query(req, sizeof(req), &m), MSG_OK);
	return m;
}

/* A cache holding ans as the answer to req in scope s7. */
static struct acache *
cache_with_www(void)
{
	struct acache *c = acache_new();
	struct msg_query m = parsed();

	acache_put(c, &s7, req, sizeof(req), &m, "www.", ans, sizeof(ans), 0);
	return c;
}

Test(acache, empty_cache_finds_nothing)
{
	struct acache *c = acache_new();
	struct acache_hit h;
	struct acache_stats st;

	cr_assert_not(acache_find(c, &s1, req, sizeof(req), &h));
	acache_get_stats(c, &st);
	cr_assert_eq(st.misses, 1);
	cr_assert_eq(st.hits, 0);
	acache_free(c);
}

Test(acache, same_bytes_with_another_id_hit)
{
	struct acache *c = cache_with_www();
	struct acache_hit h;
	uint8_t other[sizeof(req)];

	memcpy(other, req, sizeof(req));
	other[0] = 0xab;
	other[1] = 0xcd;
	cr_assert(acache_find(c, &s7, other, sizeof(other), &h));
	cr_assert_eq(h.reply_len, sizeof(ans));
	cr_assert_arr_eq(h.reply, ans, sizeof(ans));
	cr_assert_str_eq(h.qname, "www.");
	cr_assert_eq(h.msg->qtype, 1);
	acache_free(c);
}

Test(acache, another_zone_set_world_server_transport_or_byte_misses)
{
	struct acache *c = cache_with_www();
	struct acache_hit h;
	uint8_t rd_off[sizeof(req)];

	cr_assert_not(acache_find(c, &s8, req, sizeof(req), &h), "another zone set");
	cr_assert_not(acache_find(c, &s7tcp, req, sizeof(req), &h), "TCP is another key");
	cr_assert_not(acache_find(c, &s7w, req, sizeof(req), &h), "another world");
	cr_assert_not(acache_find(c, &s7srv, req, sizeof(req), &h), "another server");
	memcpy(rd_off, req, sizeof(req));
	rd_off[2] = 0x00; /* RD clear: the reply copies RD, so it is another answer */
	cr_assert_not(acache_find(c, &s7, rd_off, sizeof(rd_off), &h));
	cr_assert_not(acache_find(c, &s7, req, sizeof(req) - 1, &h), "shorter request");
	acache_free(c);
}

Test(acache, replies_over_the_limit_are_not_kept)
{
	struct acache *c = acache_new();
	struct msg_query m = parsed();
	struct acache_hit h;
	uint8_t *big = calloc(1, ACACHE_REPLY_MAX + 1);
	struct acache_stats st;

	acache_put(c, &s1, req, sizeof(req), &m, "www.", big, ACACHE_REPLY_MAX + 1, 0);
	cr_assert_not(acache_find(c, &s1, req, sizeof(req), &h));
	acache_put(c, &s1, req, sizeof(req), &m, "www.", big, ACACHE_REPLY_MAX, 0);
	cr_assert(acache_find(c, &s1, req, sizeof(req), &h));
	cr_assert_eq(h.reply_len, ACACHE_REPLY_MAX);
	acache_get_stats(c, &st);
	cr_assert_eq(st.stored, 1);
	free(big);
	acache_free(c);
}

Test(acache, a_newer_answer_replaces_the_older_one)
{
	struct acache *c = acache_new();
	struct msg_query m = parsed();
	struct acache_hit h;
	uint8_t ans2[sizeof(ans) + 4] = {0x12, 0x34, 0x85, 0x03};

	acache_put(c, &s1, req, sizeof(req), &m, "www.", ans, sizeof(ans), 0);
	acache_put(c, &s2, req, sizeof(req), &m, "www.", ans2, sizeof(ans2), 3);
	cr_assert_not(acache_find(c, &s1, req, sizeof(req), &h));
	cr_assert(acache_find(c, &s2, req, sizeof(req), &h));
	cr_assert_eq(h.reply_len, sizeof(ans2));
	cr_assert_eq(h.rcode, 3);
	acache_free(c);
}

/* ---- query_process with the cache */

static const char zone_text[] = TEST_EXAMPLE_HEAD "ns1   IN A     127.0.0.1\n"
                                                  "www   IN A     192.0.2.1\n"
                                                  "@     IN MX    10 mx1\n"
                                                  "@     IN MX    20 mx2.other.test.\n"
                                                  "mx1   IN A     192.0.2.25\n"
                                                  "mx1   IN AAAA  2001:db8::25\n"
                                                  "alias IN CNAME www\n"
                                                  "*.wild IN TXT  \"wild\"\n"
                                                  "sub   IN NS    ns.sub\n"
                                                  "ns.sub IN A    192.0.2.53\n";

static struct query_ctx plain, cached;
static struct query *q;

static struct zoneset *
zones(const char *www)
{
	struct diag d;
	struct zoneset *zs = zoneset_new();
	char text[2048];

	snprintf(text, sizeof(text), "%swww2  IN A  %s\n", zone_text, www);
	diag_init(&d);
	cr_assert_eq(zoneset_add_text(zs, "example.test.zone", text, &d), 0);
	cr_assert_eq(zoneset_finish(zs, &d), 0);
	diag_free(&d);
	return zs;
}

static void
setup(void)
{
	memset(&plain, 0, sizeof(plain));
	memset(&cached, 0, sizeof(cached));
	plain.zs = zones("192.0.2.2");
	cached.zs = zones("192.0.2.2");
	cached.acache = acache_new();
	q = query_new();
}

static void
teardown(void)
{
	query_free(q);
	zoneset_free(plain.zs);
	zoneset_free(cached.zs);
	acache_free(cached.acache);
	fault_rules_free(cached.rules);
}

TestSuite(acache_query, .init = setup, .fini = teardown);

/* The reply ctx gives (copied into out, its length returned), and the state. */
static size_t
answer(struct query_ctx *ctx, bool tcp, const uint8_t *pkt, size_t len, uint8_t *out,
       enum query_state *st)
{
	query_start(q, tcp, NULL, NULL);
	*st = query_process(ctx, q, pkt, len);
	memcpy(out, q->reply, q->reply_len);
	return q->reply_len;
}

static const struct {
	char name[32];
	uint16_t type;
	int edns;
	bool edns_do;
} cases[] = {
    {"www.example.test.", 1, -1, false},      {"WwW.ExAmPle.TEST.", 1, -1, false},
    {"example.test.", 15, -1, false},         {"example.test.", 15, 1232, true},
    {"alias.example.test.", 1, 1232, false},  {"nothere.example.test.", 1, -1, false},
    {"www.example.test.", 28, -1, false},     {"x.wild.example.test.", 16, 4096, false},
    {"host.sub.example.test.", 1, -1, false}, {"www.other.test.", 1, -1, false},
    {"example.test.", 255, 512, false},       {"www2.example.test.", 1, -1, false},
};

Test(acache_query, cached_answers_are_the_bytes_a_fresh_build_gives)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int tcp = 0; tcp < 2; tcp++) {
			uint8_t pkt[512], want[65536], got[65536];
			enum query_state sw, sg;
			size_t len, nw, ng;
			struct acache_stats before, after;

			/* first time: built and kept; then with another ID: from the cache */
			len = test_wire_query(pkt, cases[i].name, cases[i].type, 0x1111,
			                      cases[i].edns, 0, cases[i].edns_do);
			answer(&cached, tcp, pkt, len, got, &sg);
			len = test_wire_query(pkt, cases[i].name, cases[i].type,
			                      (uint16_t)(0x2222 + i), cases[i].edns, 0,
			                      cases[i].edns_do);
			acache_get_stats(cached.acache, &before);
			ng = answer(&cached, tcp, pkt, len, got, &sg);
			acache_get_stats(cached.acache, &after);
			cr_assert_eq(after.hits, before.hits + 1,
			             "%s/%u tcp=%d: not from the cache", cases[i].name,
			             cases[i].type, tcp);
			cr_assert_str_eq(q->log.qname, cases[i].name[0] == 'W' ? "www.example.test."
			                                                       : cases[i].name);
			cr_assert_eq(q->log.qtype, cases[i].type);
			cr_assert_eq(q->log.id, 0x2222 + i);
			nw = answer(&plain, tcp, pkt, len, want, &sw);
			cr_assert_eq(sg, sw);
			cr_assert_eq(ng, nw, "%s/%u tcp=%d: %zu bytes, built anew %zu",
			             cases[i].name, cases[i].type, tcp, ng, nw);
			cr_assert_arr_eq(got, want, nw, "%s/%u tcp=%d: bytes differ", cases[i].name,
			                 cases[i].type, tcp);
		}
	}
}

Test(acache_query, a_replaced_zone_set_is_never_answered_from_the_cache)
{
	uint8_t pkt[512], old[4096], got[4096], want[4096];
	enum query_state st;
	size_t len = test_wire_query(pkt, "www2.example.test.", 1, 1, -1, 0, false);
	size_t no, ng, nw;

	answer(&cached, false, pkt, len, old, &st);
	no = answer(&cached, false, pkt, len, old, &st);
	zoneset_free(cached.zs);
	cached.zs = zones("192.0.2.99"); /* what a reload does: a new set */
	zoneset_free(plain.zs);
	plain.zs = zones("192.0.2.99");
	ng = answer(&cached, false, pkt, len, got, &st);
	cr_assert_eq(st, QUERY_SEND);
	nw = answer(&plain, false, pkt, len, want, &st);
	cr_assert_eq(ng, nw);
	cr_assert_arr_eq(got, want, nw, "the answer from the new set");
	cr_assert(no != ng || memcmp(old, got, ng) != 0, "the old answer was served");
}

Test(acache_query, fault_rules_see_every_request_a_cached_one_too)
{
	uint8_t pkt[512], got[4096];
	enum query_state st[4];
	char err[256];
	size_t len = test_wire_query(pkt, "www.example.test.", 1, 1, -1, 0, false);

	cached.rules = fault_rules_new(1);
	cr_assert_eq(fault_rules_parse(cached.rules, "faults.conf",
	                               "www.example.test. A drop after=1 count=1\n", err,
	                               sizeof(err)),
	             0, "%s", err);
	for (int i = 0; i < 4; i++)
		answer(&cached, false, pkt, len, got, &st[i]);
	cr_assert_eq(st[0], QUERY_SEND);
	cr_assert_eq(st[1], QUERY_DROP, "the second request is the one the rule drops");
	cr_assert_eq(st[2], QUERY_SEND);
	cr_assert_eq(st[3], QUERY_SEND);
	cr_assert_eq(got[1], 1, "the cached reply carries the request's ID");
}

Test(acache_query, answers_changed_by_a_rule_are_not_kept)
{
	uint8_t pkt[512], got[4096];
	enum query_state st;
	char err[256];
	size_t len = test_wire_query(pkt, "www.example.test.", 1, 1, -1, 0, false);

	cached.rules = fault_rules_new(1);
	cr_assert_eq(fault_rules_parse(cached.rules, "faults.conf",
	                               "www.example.test. A noaa count=1\n", err, sizeof(err)),
	             0, "%s", err);
	answer(&cached, false, pkt, len, got, &st);
	cr_assert_eq(got[2] & 0x04, 0, "the rule cleared AA");
	answer(&cached, false, pkt, len, got, &st);
	cr_assert_eq(got[2] & 0x04, 0x04, "the next one is the real answer, with AA");
}
