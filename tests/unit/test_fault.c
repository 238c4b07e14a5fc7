/* tests/unit/test_fault.c -- fault rules: parsing errors, matching order and counters, seeded
   p= draws, address conditions, and each byte action checked by parsing the result with ldns. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "common/diag.h"
#include "server/fault.h"
#include "tests/support/support.h"

/* ---- helpers */

static struct fault_rules *
rules_from(const char *text, uint64_t seed)
{
	char err[512] = "";
	struct fault_rules *r = fault_rules_new(seed);

	cr_assert_not_null(r);
	cr_assert_eq(fault_rules_parse(r, "t.conf", text, err, sizeof(err)), 0, "parse failed: %s",
	             err);
	return r;
}

static struct fault_query
fq_make(const char *qname, uint16_t qtype, bool tcp)
{
	struct fault_query fq = {.qname = qname, .qtype = qtype, .tcp = tcp};
	return fq;
}

/* Which rule (index) fired for the query, -1 when none. */
static int
fired(struct fault_rules *r, const char *qname, uint16_t qtype, bool tcp)
{
	struct fault_query fq = fq_make(qname, qtype, tcp);
	const struct fault_rule *rule = fault_match(r, &fq);
	return rule ? (int)fault_rule_index(rule) : -1;
}

static void
sa_make(struct sockaddr_storage *ss, const char *addr, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(addr, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		cr_assert_eq(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		cr_assert_eq(inet_pton(AF_INET, addr, &s4->sin_addr), 1);
	}
}

/* ---- parsing */

Test(fault, parses_every_action_and_option)
{
	struct fault_rules *r =
	    rules_from("# faults for the lab\n"
	               "\n"
	               "mx1.example.test.  MX    drop            # trailing comment\n"
	               "*.down.test.       *     delay=300       count=2 after=1\n"
	               "*                  A     rcode=SERVFAIL  every=3\n"
	               "a.test             AAAA  rcode=nxdomain  p=0.25 transport=udp\n"
	               "b.test.            TXT   truncate        client=127.0.0.1 listen=::1\n"
	               "c.test.            TYPE15 noaa\n"
	               "d.test.            PTR   badid\n"
	               "e.test.            *     qmismatch\n"
	               "f.test.            *     garble\n"
	               "g.test.            *     short\n"
	               "h.test.            *     tcp-close       transport=tcp\n"
	               "i.test.\tMX\tttl=5\r\n"
	               "   \t  \n",
	               1);

	cr_assert_eq(fault_rules_count(r), 12);
	cr_expect_eq(fault_rule_action(fault_rules_get(r, 0)), FAULT_DROP);
	cr_expect_str_eq(fault_rule_text(fault_rules_get(r, 0)), "mx1.example.test. MX drop");
	cr_expect_eq(fault_rule_action(fault_rules_get(r, 1)), FAULT_DELAY);
	cr_expect_eq(fault_rule_arg(fault_rules_get(r, 1)), 300);
	cr_expect_str_eq(fault_rule_text(fault_rules_get(r, 1)),
	                 "*.down.test. * delay=300 count=2 after=1");
	cr_expect_eq(fault_rule_action(fault_rules_get(r, 2)), FAULT_RCODE);
	cr_expect_eq(fault_rule_arg(fault_rules_get(r, 2)), LDNS_RCODE_SERVFAIL);
	cr_expect_eq(fault_rule_arg(fault_rules_get(r, 3)), LDNS_RCODE_NXDOMAIN);
	cr_expect_eq(fault_rule_action(fault_rules_get(r, 4)), FAULT_TRUNCATE);
	cr_expect_eq(fault_rule_action(fault_rules_get(r, 5)), FAULT_NOAA);
	cr_expect_eq(fault_rule_action(fault_rules_get(r, 6)), FAULT_BADID);
	cr_expect_eq(fault_rule_action(fault_rules_get(r, 7)), FAULT_QMISMATCH);
	cr_expect_eq(fault_rule_action(fault_rules_get(r, 8)), FAULT_GARBLE);
	cr_expect_eq(fault_rule_action(fault_rules_get(r, 9)), FAULT_SHORT);
	cr_expect_eq(fault_rule_action(fault_rules_get(r, 10)), FAULT_TCP_CLOSE);
	cr_expect_eq(fault_rule_action(fault_rules_get(r, 11)), FAULT_TTL);
	cr_expect_eq(fault_rule_arg(fault_rules_get(r, 11)), 5);
	cr_expect_str_eq(fault_rule_text(fault_rules_get(r, 11)), "i.test. MX ttl=5");
	for (size_t i = 0; i < 12; i++)
		cr_expect_eq(fault_rule_index(fault_rules_get(r, i)), i);
	cr_expect_null(fault_rules_get(r, 12));
	fault_rules_free(r);
}

Test(fault, rcode_names)
{
	struct fault_rules *r = rules_from("a. * rcode=SERVFAIL\n"
	                                   "a. * rcode=REFUSED\n"
	                                   "a. * rcode=NXDOMAIN\n"
	                                   "a. * rcode=FORMERR\n"
	                                   "a. * rcode=NOTIMP\n"
	                                   "a. * rcode=NOERROR\n",
	                                   1);
	const uint32_t want[] = {2, 5, 3, 1, 4, 0};

	for (size_t i = 0; i < 6; i++)
		cr_expect_eq(fault_rule_arg(fault_rules_get(r, i)), want[i], "rule %zu", i);
	fault_rules_free(r);
}

Test(fault, action_names)
{
	cr_expect_str_eq(fault_action_name(FAULT_DROP), "drop");
	cr_expect_str_eq(fault_action_name(FAULT_DELAY), "delay");
	cr_expect_str_eq(fault_action_name(FAULT_RCODE), "rcode");
	cr_expect_str_eq(fault_action_name(FAULT_TRUNCATE), "truncate");
	cr_expect_str_eq(fault_action_name(FAULT_NOAA), "noaa");
	cr_expect_str_eq(fault_action_name(FAULT_BADID), "badid");
	cr_expect_str_eq(fault_action_name(FAULT_QMISMATCH), "qmismatch");
	cr_expect_str_eq(fault_action_name(FAULT_GARBLE), "garble");
	cr_expect_str_eq(fault_action_name(FAULT_SHORT), "short");
	cr_expect_str_eq(fault_action_name(FAULT_TCP_CLOSE), "tcp-close");
	cr_expect_str_eq(fault_action_name(FAULT_TTL), "ttl");
}

static const struct {
	char line[128]; /* the malformed rule */
	char msg[96];   /* a piece of the message it must give */
} bad_lines[] = {
    {"x.test. A", "expected '<name-pattern> <type|*> <action>"},
    {"x.test.", "expected '<name-pattern>"},
    {"x.test. A dorp", "unknown action 'dorp'"},
    {"x.test. A drop=1", "action 'drop' takes no value"},
    {"x.test. A delay", "action 'delay' needs a value"},
    {"x.test. A delay=abc", "bad number 'abc' for delay"},
    {"x.test. A delay=-5", "bad number '-5' for delay"},
    {"x.test. A delay=99999999999", "bad number '99999999999' for delay"},
    {"x.test. A ttl=1x", "bad number '1x' for ttl"},
    {"x.test. A ttl=4294967296", "bad number '4294967296' for ttl"},
    {"x.test. A rcode=BOGUS", "unknown rcode 'BOGUS'"},
    {"x.test. A rcode=", "action 'rcode' needs a value"},
    {"x.test. BOGUS drop", "unknown type 'BOGUS'"},
    {"x.test. TYPE70000 drop", "bad type 'TYPE70000'"},
    {"x.test. M@X drop", "bad type 'M@X'"},
    {"x.test. A drop count=x", "bad number 'x' for count"},
    {"x.test. A drop count=0", "bad number '0' for count"},
    {"x.test. A drop every=0", "bad number '0' for every"},
    {"x.test. A drop after=-1", "bad number '-1' for after"},
    {"x.test. A drop foo=1", "unknown option 'foo'"},
    {"x.test. A drop count", "expected option=value, got 'count'"},
    {"x.test. A drop =3", "expected option=value, got '=3'"},
    {"x.test. A drop count=1 count=2", "option 'count' given twice"},
    {"x.test. A drop transport=udp transport=tcp", "option 'transport' given twice"},
    {"x.test. A drop p=0.1 p=0.2", "option 'p' given twice"},
    {"x.test. A drop client=::1 client=::1", "option 'client' given twice"},
    {"x.test. A drop p=1.5", "p=1.5 is outside [0, 1]"},
    {"x.test. A drop p=-0.1", "bad number '-0.1' for p"},
    {"x.test. A drop p=nan", "bad number 'nan' for p"},
    {"x.test. A drop p=0x1p-2", "bad number '0x1p-2' for p"},
    {"x.test. A drop p=0.5x", "bad number '0.5x' for p"},
    {"x.test. A drop transport=sctp", "bad transport 'sctp'"},
    {"x.test. A drop client=1.2.3", "bad address '1.2.3' for client"},
    {"x.test. A drop listen=::g", "bad address '::g' for listen"},
    {"x.test. A tcp-close transport=udp", "conflicts with transport=udp"},
    {"x.test. A truncate transport=tcp", "conflicts with transport=tcp"},
    {"a..b.test. A drop", "bad name pattern 'a..b.test.': empty label"},
    {".a.test. A drop", "bad name pattern '.a.test.': empty label"},
    {"a.*.test. A drop", "bad name pattern 'a.*.test.'"},
    {"foo*.test. A drop", "bad name pattern 'foo*.test.'"},
    {"**.test. A drop", "bad name pattern '**.test.'"},
    {"a!b.test. A drop", "bad name pattern 'a!b.test.': character '!'"},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test. A drop",
     "label longer than 63"},
};

Test(fault, each_malformed_line_names_file_line_and_problem)
{
	for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		char text[512], err[512] = "";
		struct fault_rules *r = fault_rules_new(1);

		snprintf(text, sizeof(text),
		         "# a comment\n"
		         "good.test. A drop\n"
		         "%.127s\n"
		         "other.test. * noaa\n",
		         bad_lines[i].line);
		cr_expect_eq(fault_rules_parse(r, "t.conf", text, err, sizeof(err)), -1,
		             "accepted: %s", bad_lines[i].line);
		cr_expect(strncmp(err, "t.conf:3: ", 10) == 0, "'%s' gave '%s'", bad_lines[i].line,
		          err);
		cr_expect(strstr(err, bad_lines[i].msg) != NULL, "'%s' gave '%s', wanted '%s'",
		          bad_lines[i].line, err, bad_lines[i].msg);
		cr_expect_eq(fault_rules_count(r), 0, "'%s' left rules behind", bad_lines[i].line);
		fault_rules_free(r);
	}
}

Test(fault, long_name_rejected)
{
	char text[600], err[512] = "";
	struct fault_rules *r = fault_rules_new(1);
	size_t n = 0;

	/* 5 labels of 60 = 305 octets in wire form */
	for (int l = 0; l < 5; l++) {
		memset(text + n, 'a', 60);
		n += 60;
		text[n++] = '.';
	}
	text[n] = '\0';
	strcat(text, " A drop\n");
	cr_assert_eq(fault_rules_parse(r, "long.conf", text, err, sizeof(err)), -1);
	cr_expect(strstr(err, "long.conf:1: bad name pattern") == err, "%s", err);
	cr_expect(strstr(err, "longer than 255") != NULL, "%s", err);
	fault_rules_free(r);
}

Test(fault, parse_is_all_or_nothing_and_appends)
{
	char err[512] = "";
	struct fault_rules *r = rules_from("a.test. A drop\n", 1);

	cr_assert_eq(fault_rules_parse(r, "more.conf", "b.test. A drop\nc.test. A bogus\n", err,
	                               sizeof(err)),
	             -1);
	cr_expect_str_eq(err, "more.conf:2: unknown action 'bogus' (expected drop, delay=MS, "
	                      "rcode=NAME, truncate, noaa, badid, qmismatch, garble, short, "
	                      "tcp-close, ttl=N, rrsig-bogus, rrsig-expired, rrsig-future, "
	                      "rrsig-strip, denial-strip or ds-mismatch)");
	cr_expect_eq(fault_rules_count(r), 1);
	cr_expect_eq(fired(r, "b.test.", LDNS_RR_TYPE_A, false), -1);

	cr_assert_eq(fault_rules_parse(r, "more.conf", "b.test. A noaa\n", err, sizeof(err)), 0);
	cr_expect_eq(fault_rules_count(r), 2);
	cr_expect_eq(fault_rule_index(fault_rules_get(r, 1)), 1);
	cr_expect_eq(fired(r, "b.test.", LDNS_RR_TYPE_A, false), 1);

	fault_rules_clear(r);
	cr_expect_eq(fault_rules_count(r), 0);
	cr_expect_eq(fired(r, "a.test.", LDNS_RR_TYPE_A, false), -1);
	fault_rules_free(r);
}

Test(fault, empty_text_is_no_rules)
{
	struct fault_rules *r = rules_from("", 1);
	cr_expect_eq(fault_rules_count(r), 0);
	fault_rules_free(r);
	r = rules_from("# nothing\n\n   \n", 1);
	cr_expect_eq(fault_rules_count(r), 0);
	fault_rules_free(r);
}

Test(fault, load_reads_file_and_reports_path)
{
	char dir[256], path[512], err[512] = "";
	struct fault_rules *r = fault_rules_new(1);

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "ok.conf", "a.test. MX drop\n*.b.test. * noaa count=1\n");
	test_write(dir, "bad.conf", "a.test. MX drop\n\nb.test. MX delay=soon\n");
	snprintf(path, sizeof(path), "%s/ok.conf", dir);
	cr_assert_eq(fault_rules_load(r, path, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(fault_rules_count(r), 2);

	snprintf(path, sizeof(path), "%s/bad.conf", dir);
	cr_assert_eq(fault_rules_load(r, path, err, sizeof(err)), -1);
	cr_expect(strncmp(err, path, strlen(path)) == 0, "%s", err);
	cr_expect(strstr(err, ":3: bad number 'soon' for delay") != NULL, "%s", err);
	cr_expect_eq(fault_rules_count(r), 2);

	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	cr_assert_eq(fault_rules_load(r, path, err, sizeof(err)), -1);
	cr_expect(strstr(err, "missing.conf: cannot open") != NULL, "%s", err);
	fault_rules_free(r);
}

Test(fault, rules_file_that_is_a_fifo_is_refused_without_blocking, .timeout = 10)
{
	char dir[256], path[512], err[512] = "";
	struct fault_rules *r = fault_rules_new(1);

	test_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/faults.conf", dir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_assert_eq(fault_rules_load(r, path, err, sizeof(err)), -1);
	cr_expect(strstr(err, "faults.conf: not a regular file (a FIFO)") != NULL, "%s", err);
	fault_rules_free(r);
}

/* ---- name patterns, types, order, transport */

/* One query and the rule (index) it must fire, -1 for none. */
struct fault_probe {
	char qname[32]; /* query name */
	uint16_t qtype; /* query type */
	bool tcp;       /* over TCP */
	int want;       /* index of the rule that must fire, -1 for none */
};

/* Rules without counters and queries against them ("" qname ends the list). */
struct match_case {
	char name[64];               /* the fact */
	char rules[160];             /* faults.conf text */
	struct fault_probe probe[8]; /* queries, each with the rule it must fire */
};

static struct match_case match_cases[] = {
    {"exact_pattern_is_case_insensitive_and_absolute",
     "Mx1.Example.TEST * drop\n",
     {{"mx1.example.test.", LDNS_RR_TYPE_A, false, 0},
      {"MX1.EXAMPLE.test.", LDNS_RR_TYPE_A, false, 0},
      {"mx1.example.test", LDNS_RR_TYPE_A, false, 0},
      {"a.mx1.example.test.", LDNS_RR_TYPE_A, false, -1},
      {"example.test.", LDNS_RR_TYPE_A, false, -1},
      {"xmx1.example.test.", LDNS_RR_TYPE_A, false, -1}}},
    {"star_dot_matches_strictly_below",
     "*.down.test. * drop\n",
     {{"a.down.test.", LDNS_RR_TYPE_A, false, 0},
      {"x.y.DOWN.test.", LDNS_RR_TYPE_MX, false, 0},
      {"a.down.test", LDNS_RR_TYPE_A, false, 0},
      {"down.test.", LDNS_RR_TYPE_A, false, -1},
      {"xdown.test.", LDNS_RR_TYPE_A, false, -1},
      {"a\\.down.test.", LDNS_RR_TYPE_A, false, -1},
      {"test.", LDNS_RR_TYPE_A, false, -1},
      {".", LDNS_RR_TYPE_A, false, -1}}},
    {"lone_star_matches_every_name",
     "* * drop\n",
     {{"a.down.test.", LDNS_RR_TYPE_A, false, 0},
      {".", LDNS_RR_TYPE_NS, true, 0},
      {"whatever", 65000, false, 0}}},
    {"type_condition",
     "a.test. MX drop\n"
     "b.test. TYPE28 drop\n"
     "c.test. aaaa drop\n"
     "d.test. * drop\n",
     {{"a.test.", LDNS_RR_TYPE_MX, false, 0},
      {"a.test.", LDNS_RR_TYPE_A, false, -1},
      {"b.test.", LDNS_RR_TYPE_AAAA, false, 1},
      {"b.test.", LDNS_RR_TYPE_A, false, -1},
      {"c.test.", LDNS_RR_TYPE_AAAA, false, 2},
      {"d.test.", LDNS_RR_TYPE_TXT, false, 3},
      {"d.test.", 12345, false, 3}}},
    {"first_matching_rule_wins",
     "mx1.example.test. MX rcode=SERVFAIL\n"
     "*.example.test. MX drop\n"
     "* * noaa\n",
     {{"mx1.example.test.", LDNS_RR_TYPE_MX, false, 0},
      {"mx2.example.test.", LDNS_RR_TYPE_MX, false, 1},
      {"mx1.example.test.", LDNS_RR_TYPE_A, false, 2},
      {"example.test.", LDNS_RR_TYPE_MX, false, 2}}},
    {"transport_conditions",
     "a.test. * drop transport=tcp\n"
     "b.test. * drop transport=udp\n"
     "c.test. * tcp-close\n"
     "d.test. * truncate\n",
     {{"a.test.", LDNS_RR_TYPE_A, true, 0},
      {"a.test.", LDNS_RR_TYPE_A, false, -1},
      {"b.test.", LDNS_RR_TYPE_A, false, 1},
      {"b.test.", LDNS_RR_TYPE_A, true, -1},
      {"c.test.", LDNS_RR_TYPE_A, true, 2},
      {"c.test.", LDNS_RR_TYPE_A, false, -1},
      {"d.test.", LDNS_RR_TYPE_A, false, 3},
      {"d.test.", LDNS_RR_TYPE_A, true, -1}}},
};

ParameterizedTestParameters(fault, each_query_fires_the_first_rule_matching_name_type_transport)
{
	return cr_make_param_array(struct match_case, match_cases,
	                           sizeof(match_cases) / sizeof(match_cases[0]));
}

ParameterizedTest(struct match_case *c, fault,
                  each_query_fires_the_first_rule_matching_name_type_transport)
{
	struct fault_rules *r = rules_from(c->rules, 1);

	for (size_t i = 0; i < 8 && c->probe[i].qname[0]; i++) {
		const struct fault_probe *q = &c->probe[i];
		int got = fired(r, q->qname, q->qtype, q->tcp);
		cr_expect_eq(got, q->want, "%s: %s type %u over %s fired rule %d, expected %d",
		             c->name, q->qname, q->qtype, q->tcp ? "TCP" : "UDP", got, q->want);
	}
	fault_rules_free(r);
}

/* ---- counters */

/* Rules with counters and which rule fires on each of a run of "a.test. A" queries over UDP:
   one character a query, the index of the rule or '-' for none. */
struct counter_case {
	char name[64];  /* the fact */
	char rules[96]; /* faults.conf text */
	char fires[16]; /* what fires, query by query */
};

static struct counter_case counter_cases[] = {
    {"count_fails_n_times_then_falls_through",
     "a.test. A rcode=SERVFAIL count=2\n"
     "a.test. A noaa\n",
     "0011"},
    {"after_starts_after_n_queries", "a.test. A drop after=2\n", "--000"},
    {"every_three_fires_on_1_4_7", "a.test. A drop every=3\n", "0--0--0--0"},
    {"every_one_fires_always", "a.test. A drop every=1\n", "00000"},
    /* after=1: query 1 declined; every=2 over the rest: 2, 4, 6, 8 pass; count=3: 2, 4, 6. */
    {"after_every_count_compose_in_that_order", "a.test. A drop after=1 every=2 count=3\n",
     "-0-0-0----"},
};

ParameterizedTestParameters(fault, counters_decide_which_queries_fire)
{
	return cr_make_param_array(struct counter_case, counter_cases,
	                           sizeof(counter_cases) / sizeof(counter_cases[0]));
}

ParameterizedTest(struct counter_case *c, fault, counters_decide_which_queries_fire)
{
	struct fault_rules *r = rules_from(c->rules, 1);
	char got[16] = "";

	for (size_t i = 0; i < strlen(c->fires); i++) {
		int f = fired(r, "a.test.", LDNS_RR_TYPE_A, false);
		got[i] = f < 0 ? '-' : (char)('0' + f);
	}
	cr_expect_str_eq(got, c->fires, "%s: fired %s, expected %s", c->name, got, c->fires);
	fault_rules_free(r);
}

Test(fault, counters_see_only_matching_queries)
{
	struct fault_rules *r = rules_from("a.test. A drop every=2\n", 1);
	char got[16] = "";
	int n = 0;

	/* Interleaved non-matching queries (other name, other type, ...) do not count. */
	for (int i = 0; i < 6; i++) {
		cr_expect_eq(fired(r, "b.test.", LDNS_RR_TYPE_A, false), -1);
		cr_expect_eq(fired(r, "a.test.", LDNS_RR_TYPE_MX, false), -1);
		got[n++] = fired(r, "a.test.", LDNS_RR_TYPE_A, false) == 0 ? 'X' : '.';
	}
	cr_expect_str_eq(got, "X.X.X.");
	fault_rules_free(r);
}

Test(fault, counters_see_only_queries_that_reach_the_rule)
{
	/* Rule 0 takes the first query; rule 1 counts from the second on. */
	struct fault_rules *r = rules_from("a.test. A drop count=1\n"
	                                   "a.test. A noaa every=2\n",
	                                   1);

	cr_expect_eq(fired(r, "a.test.", LDNS_RR_TYPE_A, false), 0);
	cr_expect_eq(fired(r, "a.test.", LDNS_RR_TYPE_A, false), 1);
	cr_expect_eq(fired(r, "a.test.", LDNS_RR_TYPE_A, false), -1);
	cr_expect_eq(fired(r, "a.test.", LDNS_RR_TYPE_A, false), 1);
	cr_expect_eq(fault_rule_fired(fault_rules_get(r, 0)), 1);
	cr_expect_eq(fault_rule_fired(fault_rules_get(r, 1)), 2);
	fault_rules_free(r);
}

Test(fault, counters_restart_with_new_rules)
{
	const char *text = "a.test. A drop count=1\n";
	struct fault_rules *r = rules_from(text, 1);
	char err[256];

	cr_expect_eq(fired(r, "a.test.", LDNS_RR_TYPE_A, false), 0);
	cr_expect_eq(fired(r, "a.test.", LDNS_RR_TYPE_A, false), -1);
	fault_rules_free(r);
	r = rules_from(text, 1);
	cr_expect_eq(fired(r, "a.test.", LDNS_RR_TYPE_A, false), 0);
	/* clear + parse (a replace on the same object) restarts them too */
	fault_rules_clear(r);
	cr_assert_eq(fault_rules_parse(r, "t.conf", text, err, sizeof(err)), 0);
	cr_expect_eq(fired(r, "a.test.", LDNS_RR_TYPE_A, false), 0);
	fault_rules_free(r);
}

/* ---- p= */

static void
p_sequence(uint64_t seed, const char *text, char *out, int n)
{
	struct fault_rules *r = rules_from(text, seed);

	for (int i = 0; i < n; i++)
		out[i] = fired(r, "a.test.", LDNS_RR_TYPE_A, false) == 0 ? '1' : '0';
	out[n] = '\0';
	fault_rules_free(r);
}

Test(fault, p_is_reproducible_for_a_seed)
{
	static char a[1001], b[1001], c[1001];
	int ones = 0;

	p_sequence(7, "a.test. A drop p=0.5\n", a, 1000);
	p_sequence(7, "a.test. A drop p=0.5\n", b, 1000);
	p_sequence(8, "a.test. A drop p=0.5\n", c, 1000);
	cr_expect_str_eq(a, b);
	cr_expect_str_neq(a, c);
	for (int i = 0; i < 1000; i++)
		ones += a[i] == '1';
	/* 1000 fair draws: mean 500, sd ~16; 400..600 is over 6 sd. */
	cr_expect(ones > 400 && ones < 600, "p=0.5 fired %d of 1000", ones);
}

Test(fault, p_frequency_roughly_right)
{
	static char a[4001];
	int ones = 0;

	p_sequence(12345, "a.test. A drop p=0.1\n", a, 4000);
	for (int i = 0; i < 4000; i++)
		ones += a[i] == '1';
	/* mean 400, sd ~19 */
	cr_expect(ones > 300 && ones < 500, "p=0.1 fired %d of 4000", ones);
}

Test(fault, p_zero_never_p_one_always)
{
	static char a[201];

	p_sequence(3, "a.test. A drop p=0\n", a, 200);
	cr_expect(strchr(a, '1') == NULL);
	p_sequence(3, "a.test. A drop p=1\n", a, 200);
	cr_expect(strchr(a, '0') == NULL);
}

Test(fault, p_draws_only_for_queries_reaching_the_rule)
{
	/* The same p=0.5 rule sees the same draws whether or not unrelated queries come in. */
	static char a[201];
	struct fault_rules *r = rules_from("a.test. A drop p=0.5\n", 7);
	char b[201];

	p_sequence(7, "a.test. A drop p=0.5\n", a, 200);
	for (int i = 0; i < 200; i++) {
		fired(r, "other.test.", LDNS_RR_TYPE_A, false);
		fired(r, "a.test.", LDNS_RR_TYPE_MX, false);
		b[i] = fired(r, "a.test.", LDNS_RR_TYPE_A, false) == 0 ? '1' : '0';
	}
	b[200] = '\0';
	cr_expect_str_eq(a, b);
	fault_rules_free(r);
}

/* ---- transport, client, listen */

Test(fault, tcp_close_count_ignores_udp_queries)
{
	struct fault_rules *r = rules_from("c.test. * tcp-close count=1\n", 1);

	cr_expect_eq(fired(r, "c.test.", LDNS_RR_TYPE_A, false), -1);
	cr_expect_eq(fired(r, "c.test.", LDNS_RR_TYPE_A, true), 0);
	cr_expect_eq(fired(r, "c.test.", LDNS_RR_TYPE_A, true), -1);
	fault_rules_free(r);
}

static int
fired_addr(struct fault_rules *r, const char *client, const char *listen)
{
	struct sockaddr_storage c, l;
	struct fault_query fq = fq_make("a.test.", LDNS_RR_TYPE_A, false);
	const struct fault_rule *rule;

	if (client) {
		sa_make(&c, client, 40000);
		fq.client = (struct sockaddr *)&c;
	}
	if (listen) {
		sa_make(&l, listen, 53);
		fq.listen = (struct sockaddr *)&l;
	}
	rule = fault_match(r, &fq);
	return rule ? (int)fault_rule_index(rule) : -1;
}

Test(fault, client_and_listen_conditions)
{
	struct fault_rules *r = rules_from("a.test. A drop client=127.0.0.2\n"
	                                   "a.test. A noaa client=::1\n"
	                                   "a.test. A badid listen=127.0.0.1\n"
	                                   "a.test. A garble listen=[::1] client=fe80::1\n",
	                                   1);

	cr_expect_eq(fired_addr(r, "127.0.0.2", NULL), 0);
	cr_expect_eq(fired_addr(r, "::ffff:127.0.0.2", NULL), 0); /* v4-mapped is the same */
	cr_expect_eq(fired_addr(r, "0:0:0:0:0:0:0:1", "127.0.0.5"), 1);
	cr_expect_eq(fired_addr(r, "127.0.0.3", "127.0.0.1"), 2);
	cr_expect_eq(fired_addr(r, "127.0.0.3", "::ffff:127.0.0.1"), 2);
	cr_expect_eq(fired_addr(r, "fe80::1", "::1"), 3);
	cr_expect_eq(fired_addr(r, "fe80::2", "::1"), -1);
	cr_expect_eq(fired_addr(r, "127.0.0.3", "127.0.0.2"), -1);
	cr_expect_eq(fired_addr(r, NULL, NULL), -1); /* unknown address: condition not met */
	fault_rules_free(r);
}

Test(fault, v6_rule_matches_v4_mapped_rule_address)
{
	struct fault_rules *r = rules_from("a.test. A drop client=::ffff:10.0.0.1\n", 1);

	cr_expect_eq(fired_addr(r, "10.0.0.1", NULL), 0);
	cr_expect_eq(fired_addr(r, "10.0.0.2", NULL), -1);
	fault_rules_free(r);
}

/* ---- byte actions */

struct wire {
	uint8_t *b; /* encoded message (ldns-allocated) */
	size_t len; /* its length */
};

/* An authoritative MX answer with compression, authority, glue and an OPT (DO set). */
static struct wire
answer_wire(const char *qname, bool with_records)
{
	ldns_pkt *p = ldns_pkt_new();
	ldns_rr *rr = NULL;
	struct wire w = {NULL, 0};
	char q[300];
	static const char *const rrs[] = {
	    "example.test. 3600 IN MX 10 mx1.example.test.",
	    "example.test. 3600 IN MX 20 mx2.example.test.",
	    "example.test. 86400 IN NS ns1.example.test.",
	    "mx1.example.test. 300 IN A 192.0.2.1",
	    "mx2.example.test. 300 IN AAAA 2001:db8::2",
	};
	static const ldns_pkt_section sec[] = {LDNS_SECTION_ANSWER, LDNS_SECTION_ANSWER,
	                                       LDNS_SECTION_AUTHORITY, LDNS_SECTION_ADDITIONAL,
	                                       LDNS_SECTION_ADDITIONAL};

	cr_assert_not_null(p);
	ldns_pkt_set_id(p, 0x1234);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, true);
	ldns_pkt_set_rd(p, true);
	snprintf(q, sizeof(q), "%s IN MX", qname);
	cr_assert_eq(ldns_rr_new_question_frm_str(&rr, q, NULL, NULL), LDNS_STATUS_OK);
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, rr);
	for (size_t i = 0; with_records && i < 5; i++) {
		cr_assert_eq(ldns_rr_new_frm_str(&rr, rrs[i], 0, NULL, NULL), LDNS_STATUS_OK);
		ldns_pkt_push_rr(p, sec[i], rr);
	}
	ldns_pkt_set_edns_udp_size(p, 1232);
	ldns_pkt_set_edns_do(p, true);
	cr_assert_eq(ldns_pkt2wire(&w.b, p, &w.len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	return w;
}

static ldns_pkt *
parse_wire(const uint8_t *b, size_t len)
{
	ldns_pkt *p = NULL;

	if (ldns_wire2pkt(&p, b, len) != LDNS_STATUS_OK)
		return NULL;
	return p;
}

static struct fault_rules *one_rule_rules;

static const struct fault_rule *
rule_for(const char *action, uint64_t seed)
{
	char text[128];

	fault_rules_free(one_rule_rules);
	snprintf(text, sizeof(text), "* * %s\n", action);
	one_rule_rules = rules_from(text, seed);
	return fault_rules_get(one_rule_rules, 0);
}

static void
rules_fini(void)
{
	fault_rules_free(one_rule_rules);
	one_rule_rules = NULL;
}

/* A length-keeping byte action applied (with seed 1) to the test answer for qname: the bytes
   before (orig) and after (w), and the result parsed (p). applied_free() frees all three. */
struct applied {
	struct wire w; /* the answer after the action */
	uint8_t *orig; /* a copy of it before; owned */
	ldns_pkt *p;   /* w parsed; owned */
};

static struct applied
apply_same_length(const char *qname, const char *action)
{
	struct applied a = {answer_wire(qname, true), NULL, NULL};
	size_t n;

	a.orig = malloc(a.w.len);
	cr_assert_not_null(a.orig);
	memcpy(a.orig, a.w.b, a.w.len);
	n = fault_apply(one_rule_rules, rule_for(action, 1), a.w.b, a.w.len);
	cr_assert_eq(n, a.w.len, "%s on %s: length %zu became %zu", action, qname, a.w.len, n);
	a.p = parse_wire(a.w.b, n);
	cr_assert_not_null(a.p, "%s on %s: unparsable", action, qname);
	return a;
}

static void
applied_free(struct applied *a)
{
	ldns_pkt_free(a->p);
	free(a->orig);
	free(a->w.b);
}

Test(fault, test_answer_is_sound, .fini = rules_fini)
{
	/* The fixture itself: compressed, parseable, AA set, OPT present. */
	struct wire w = answer_wire("example.test.", true);
	ldns_pkt *p = parse_wire(w.b, w.len);

	cr_assert_not_null(p);
	cr_expect(ldns_pkt_aa(p));
	cr_expect_eq(ldns_pkt_ancount(p), 2);
	cr_expect_eq(ldns_pkt_arcount(p), 2);
	cr_expect(ldns_pkt_edns_do(p));
	cr_expect(memmem(w.b + 12, w.len - 12, "\xc0\x0c", 2) != NULL, "no compression pointer");
	ldns_pkt_free(p);
	free(w.b);
}

Test(fault, noaa_clears_aa_only, .fini = rules_fini)
{
	struct applied a = apply_same_length("example.test.", "noaa");

	cr_expect(!ldns_pkt_aa(a.p));
	cr_expect(ldns_pkt_qr(a.p));
	cr_expect(ldns_pkt_rd(a.p));
	cr_expect_eq(ldns_pkt_id(a.p), 0x1234);
	cr_expect_eq(ldns_pkt_ancount(a.p), 2);
	cr_expect(memcmp(a.orig + 3, a.w.b + 3, a.w.len - 3) == 0);
	applied_free(&a);
}

Test(fault, badid_changes_only_the_id, .fini = rules_fini)
{
	struct applied a = apply_same_length("example.test.", "badid");

	cr_expect_neq(ldns_pkt_id(a.p), 0x1234);
	cr_expect(ldns_pkt_aa(a.p));
	cr_expect(memcmp(a.orig + 2, a.w.b + 2, a.w.len - 2) == 0);
	applied_free(&a);
}

Test(fault, qmismatch_changes_the_question_name, .fini = rules_fini)
{
	static const char names[][32] = {"example.test.", "z.example.test.", "Zz.example.test.",
	                                 "9.example.test.", "-.example.test."};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct applied a = apply_same_length(names[i], "qmismatch");
		ldns_rdf *orig = ldns_dname_new_frm_str(names[i]);
		const ldns_rr *q;

		cr_assert_eq(ldns_pkt_qdcount(a.p), 1);
		q = ldns_rr_list_rr(ldns_pkt_question(a.p), 0);
		/* ldns_dname_compare ignores case: the names differ beyond case */
		cr_expect_neq(ldns_dname_compare(ldns_rr_owner(q), orig), 0,
		              "%s: question unchanged", names[i]);
		cr_expect_eq(ldns_rdf_size(ldns_rr_owner(q)), ldns_rdf_size(orig));
		cr_expect_eq(ldns_pkt_id(a.p), 0x1234);
		cr_expect_eq(ldns_pkt_ancount(a.p), ldns_rr_list_rr_count(ldns_pkt_answer(a.p)));
		ldns_rdf_deep_free(orig);
		applied_free(&a);
	}
}

Test(fault, qmismatch_on_root_question_changes_type, .fini = rules_fini)
{
	struct wire w = answer_wire(".", false);
	ldns_pkt *p;
	size_t n = fault_apply(one_rule_rules, rule_for("qmismatch", 1), w.b, w.len);

	p = parse_wire(w.b, n);
	cr_assert_not_null(p);
	cr_expect_neq(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(p), 0)), LDNS_RR_TYPE_MX);
	ldns_pkt_free(p);
	free(w.b);
}

static void
expect_ttls(const ldns_rr_list *l, uint32_t ttl, const char *what)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		cr_expect_eq(ldns_rr_ttl(ldns_rr_list_rr(l, i)), ttl, "%s %zu: ttl %u", what, i,
		             ldns_rr_ttl(ldns_rr_list_rr(l, i)));
}

Test(fault, ttl_sets_every_ttl_but_opt, .fini = rules_fini)
{
	struct applied a = apply_same_length("example.test.", "ttl=42");
	ldns_pkt *p = a.p;

	cr_expect_eq(ldns_rr_list_rr_count(ldns_pkt_answer(p)), 2);
	cr_expect_eq(ldns_rr_list_rr_count(ldns_pkt_authority(p)), 1);
	cr_expect_eq(ldns_rr_list_rr_count(ldns_pkt_additional(p)), 2);
	expect_ttls(ldns_pkt_answer(p), 42, "answer");
	expect_ttls(ldns_pkt_authority(p), 42, "authority");
	expect_ttls(ldns_pkt_additional(p), 42, "additional");
	/* OPT's TTL field holds the extended rcode, version and DO: untouched */
	cr_expect(ldns_pkt_edns(p));
	cr_expect(ldns_pkt_edns_do(p));
	cr_expect_eq(ldns_pkt_edns_version(p), 0);
	cr_expect_eq(ldns_pkt_edns_extended_rcode(p), 0);
	cr_expect_eq(ldns_pkt_edns_udp_size(p), 1232);
	applied_free(&a);
}

Test(fault, ttl_zero_and_max, .fini = rules_fini)
{
	struct wire w = answer_wire("example.test.", true);
	ldns_pkt *p;
	size_t n = fault_apply(one_rule_rules, rule_for("ttl=0", 1), w.b, w.len);

	p = parse_wire(w.b, n);
	cr_assert_not_null(p);
	expect_ttls(ldns_pkt_answer(p), 0, "answer");
	ldns_pkt_free(p);
	n = fault_apply(one_rule_rules, rule_for("ttl=2147483647", 1), w.b, w.len);
	p = parse_wire(w.b, n);
	cr_assert_not_null(p);
	expect_ttls(ldns_pkt_additional(p), 2147483647U, "additional");
	ldns_pkt_free(p);
	free(w.b);
}

/* Offset just past the question of a well-formed message (the test's own walk). */
static size_t
qend_of(const uint8_t *b)
{
	size_t pos = 12;
	while (b[pos] != 0)
		pos += 1 + b[pos];
	return pos + 1 + 4;
}

Test(fault, short_is_a_strict_prefix_cut_inside_the_first_record, .fini = rules_fini)
{
	struct wire w = answer_wire("example.test.", true);
	uint8_t *orig = malloc(w.len);
	size_t n, qend = qend_of(w.b);

	memcpy(orig, w.b, w.len);
	n = fault_apply(one_rule_rules, rule_for("short", 1), w.b, w.len);
	cr_expect_lt(n, w.len);
	cr_expect_gt(n, qend, "cut %zu is not after the question (%zu)", n, qend);
	/* the first MX record is compressed owner (2) + 10 + rdata (2 + 6 for mx1 + ptr) */
	cr_expect_lt(n, qend + 2 + 10 + 2 + 4 + 2, "cut %zu past the first record", n);
	cr_expect(memcmp(orig, w.b, n) == 0);
	cr_expect_null(parse_wire(w.b, n));
	free(orig);
	free(w.b);
}

Test(fault, short_without_records_cuts_inside_the_question, .fini = rules_fini)
{
	/* a question-only answer (e.g. an rcode answer without EDNS) */
	ldns_pkt *p = ldns_pkt_new();
	ldns_rr *rr = NULL;
	uint8_t *b = NULL;
	size_t len = 0, n;

	ldns_pkt_set_id(p, 7);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_rcode(p, LDNS_RCODE_SERVFAIL);
	cr_assert_eq(ldns_rr_new_question_frm_str(&rr, "mx.example.test. IN MX", NULL, NULL),
	             LDNS_STATUS_OK);
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, rr);
	cr_assert_eq(ldns_pkt2wire(&b, p, &len), LDNS_STATUS_OK);
	ldns_pkt_free(p);

	n = fault_apply(one_rule_rules, rule_for("short", 1), b, len);
	cr_expect_gt(n, 12);
	cr_expect_lt(n, len);
	cr_expect_null(parse_wire(b, n));
	free(b);
}

Test(fault, short_with_only_opt_cuts_inside_it, .fini = rules_fini)
{
	struct wire w = answer_wire("example.test.", false); /* question + OPT */
	size_t qend = qend_of(w.b);
	size_t n = fault_apply(one_rule_rules, rule_for("short", 1), w.b, w.len);

	cr_expect_gt(n, qend);
	cr_expect_lt(n, w.len);
	cr_expect_null(parse_wire(w.b, n));
	free(w.b);
}

Test(fault, garble_keeps_header_and_breaks_the_rest, .fini = rules_fini)
{
	for (uint64_t seed = 1; seed <= 50; seed++) {
		struct wire w = answer_wire("example.test.", true);
		uint8_t *orig = malloc(w.len);
		size_t n;
		ldns_pkt *p;

		memcpy(orig, w.b, w.len);
		n = fault_apply(one_rule_rules, rule_for("garble", seed), w.b, w.len);
		cr_assert_eq(n, w.len);
		cr_expect(memcmp(orig, w.b, 12) == 0, "seed %lu: header changed",
		          (unsigned long)seed);
		cr_expect(memcmp(orig + 12, w.b + 12, w.len - 12) != 0);
		p = parse_wire(w.b, n);
		cr_expect_null(p, "seed %lu: ldns parsed the garbled answer", (unsigned long)seed);
		ldns_pkt_free(p);
		free(orig);
		free(w.b);
	}
}

Test(fault, garble_is_reproducible_for_a_seed, .fini = rules_fini)
{
	struct wire a = answer_wire("example.test.", true), b = answer_wire("example.test.", true),
	            c = answer_wire("example.test.", true);

	fault_apply(one_rule_rules, rule_for("garble", 9), a.b, a.len);
	fault_apply(one_rule_rules, rule_for("garble", 9), b.b, b.len);
	fault_apply(one_rule_rules, rule_for("garble", 10), c.b, c.len);
	cr_expect(memcmp(a.b, b.b, a.len) == 0);
	cr_expect(memcmp(a.b, c.b, a.len) != 0);
	free(a.b);
	free(b.b);
	free(c.b);
}

Test(fault, non_byte_actions_leave_the_answer, .fini = rules_fini)
{
	static const char acts[][24] = {"drop", "delay=5", "rcode=SERVFAIL", "truncate",
	                                "tcp-close"};

	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		struct wire w = answer_wire("example.test.", true);
		uint8_t *orig = malloc(w.len);

		memcpy(orig, w.b, w.len);
		cr_expect_eq(fault_apply(one_rule_rules, rule_for(acts[i], 1), w.b, w.len), w.len);
		cr_expect(memcmp(orig, w.b, w.len) == 0, "%s changed bytes", acts[i]);
		free(orig);
		free(w.b);
	}
	cr_expect_eq(fault_apply(NULL, NULL, NULL, 5), 5);
}

/* Every action on every prefix of a real answer and on random junk: lengths stay within the
   buffer (ASan checks the accesses). */
Test(fault, byte_actions_stay_in_bounds_on_any_input, .fini = rules_fini)
{
	static const char acts[][16] = {"noaa", "badid", "qmismatch", "garble", "short", "ttl=9"};
	struct wire w = answer_wire("example.test.", true);
	uint64_t x = 88172645463325252ULL;

	for (size_t a = 0; a < sizeof(acts) / sizeof(acts[0]); a++) {
		const struct fault_rule *rule = rule_for(acts[a], 3);
		for (size_t len = 0; len <= w.len; len++) {
			uint8_t *b = malloc(len ? len : 1);
			size_t n;
			memcpy(b, w.b, len);
			n = fault_apply(one_rule_rules, rule, b, len);
			cr_expect_leq(n, len, "%s on %zu bytes gave %zu", acts[a], len, n);
			free(b);
		}
		for (int round = 0; round < 300; round++) {
			size_t len = (size_t)(round % 80);
			uint8_t *b = malloc(len ? len : 1);
			size_t n;
			for (size_t i = 0; i < len; i++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				b[i] = (uint8_t)x;
			}
			/* plausible counts make the walkers go further */
			if (len >= 12 && round % 2)
				b[4] = b[6] = b[8] = b[10] = 0;
			n = fault_apply(one_rule_rules, rule, b, len);
			cr_expect_leq(n, len);
			free(b);
		}
	}
	free(w.b);
}

Test(fault, check_reports_every_bad_line_with_its_number)
{
	struct diag d;

	diag_init(&d);
	cr_assert_eq(fault_rules_check("bad.faults",
	                               "a A drop\nbar A explode\n# ok\n* * rcode=BOGUS\n"
	                               "* * delay=abc\n* MX drop\n",
	                               &d),
	             3);
	cr_assert_eq(d.errors, 3);
	cr_expect_str_eq(d.v[0].file, "bad.faults");
	cr_expect_eq(d.v[0].line, 2);
	cr_expect(strstr(d.v[0].msg, "explode") != NULL, "%s", d.v[0].msg);
	cr_expect_eq(d.v[1].line, 4);
	cr_expect(strstr(d.v[1].msg, "BOGUS") != NULL, "%s", d.v[1].msg);
	cr_expect_eq(d.v[2].line, 5);
	cr_expect(strstr(d.v[2].msg, "abc") != NULL, "%s", d.v[2].msg);
	cr_expect(strstr(d.v[2].msg, "bad.faults") == NULL, "no doubled prefix: %s", d.v[2].msg);
	diag_free(&d);
}

Test(fault, check_of_good_rules_reports_nothing)
{
	struct diag d;

	diag_init(&d);
	cr_assert_eq(fault_rules_check("ok", "a A drop\n\n*.b. MX rcode=SERVFAIL count=2\n", &d),
	             0);
	cr_assert_eq(d.n, 0);
	diag_free(&d);
}
