/* tests/e2e/test_mxcheck_udp.c -- mxcheck's UDP sockets against bin/mxlabd with a query log:
   servers asked directly (-s) get one socket per server and -j slot, reused for every query
   (the log shows the source ports); a late answer to a query that timed out is skipped on that
   socket and the right answer taken; a reply with a wrong ID or question is still rejected,
   and the retry on the same socket answered; --recursive keeps a fresh socket per query. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tests/support/support.h"

#define NDOM 6 /* d0..d5.udp.test, healthy */

static char dir[512];
static char logpath[600];
static struct testsrv srv;
static char spec[64];

static void
setup(void)
{
	static char zone[1 << 14];
	size_t z = 0;
	const char *extra[] = {"--query-log", logpath, NULL};

	unsetenv("BXFI_MAP");
	test_tmpdir(dir, sizeof(dir));
	z += (size_t)snprintf(zone + z, sizeof(zone) - z,
	                      "$ORIGIN udp.test.\n$TTL 300\n"
	                      "@ IN SOA ns hostmaster 1 3600 600 86400 300\n@ IN NS ns\n"
	                      "ns IN A 192.0.2.53\n"
	                      "late IN MX 10 mx.late\nmx.late IN A 192.0.2.70\n"
	                      "badid IN MX 10 mx.badid\nmx.badid IN A 192.0.2.71\n"
	                      "qmismatch IN MX 10 mx.qmismatch\nmx.qmismatch IN A 192.0.2.72\n"
	                      "trunc IN MX 10 mx.trunc\nmx.trunc IN A 192.0.2.73\n");
	for (int i = 0; i < NDOM; i++)
		z += (size_t)snprintf(zone + z, sizeof(zone) - z,
		                      "d%d IN MX 10 mx.d%d\nmx.d%d IN A 192.0.2.%d\n", i, i, i,
		                      i + 1);
	test_write(dir, "udp.test.zone", zone);
	/* late: the first MX answer comes after 700 ms, long after -t 500 gave up on it and the
	   retry was answered; it arrives while the A query of mx.late waits for its own answer
	   (400 ms late, within -t). badid/qmismatch: the first MX reply is a wrong one. */
	test_write(dir, "faults.conf",
	           "late.udp.test. MX delay=700 count=1\n"
	           "mx.late.udp.test. A delay=400 count=1\n"
	           "badid.udp.test. MX badid count=1\n"
	           "qmismatch.udp.test. MX qmismatch count=1\n"
	           "trunc.udp.test. MX truncate\n");
	{
		char list[NDOM * 16] = "";
		size_t l = 0;
		for (int i = 0; i < NDOM; i++)
			l += (size_t)snprintf(list + l, sizeof(list) - l, "d%d.udp.test\n", i);
		test_write(dir, "targets", list);
	}
	snprintf(logpath, sizeof(logpath), "%s/queries.log", dir);
	testsrv_start_dir(&srv, dir, extra);
	snprintf(spec, sizeof(spec), "127.0.0.1@%d", srv.port);
}

static void
teardown(void)
{
	testsrv_stop(&srv);
}

TestSuite(e2e_mxcheck_udp, .init = setup, .fini = teardown, .timeout = 60);

/* What the query log says about the queries whose name ends in suffix (after the first
   skip lines): how many, over UDP, and from how many distinct client ports. */
struct seen {
	size_t lines;       /* log lines in all */
	int queries;        /* matching queries */
	int ports;          /* distinct client ports among them */
	int a_queries;      /* of them: type A */
	char port[64][16];  /* the distinct client ports */
	char clients[2048]; /* "qname qtype client" of each, for messages */
};

static void
read_log(size_t skip, size_t want, const char *suffix, struct seen *s)
{
	json_t *a = test_json_lines(logpath, skip + want, 5000);
	size_t i, n = strlen(suffix), c = 0;
	json_t *j;

	memset(s, 0, sizeof(*s));
	cr_assert_not_null(a, "no query log %s", logpath);
	s->lines = json_array_size(a);
	json_array_foreach(a, i, j)
	{
		const char *qn = json_string_value(json_object_get(j, "qname")) ?: "";
		const char *qt = json_string_value(json_object_get(j, "qtype")) ?: "";
		const char *cl = json_string_value(json_object_get(j, "client")) ?: "";
		const char *hash = strrchr(cl, '#');
		size_t l = strlen(qn);
		int k;

		if (i < skip || l < n || strcasecmp(qn + l - n, suffix) != 0)
			continue;
		s->queries++;
		if (strcmp(qt, "A") == 0)
			s->a_queries++;
		c += (size_t)snprintf(s->clients + c,
		                      c < sizeof(s->clients) ? sizeof(s->clients) - c : 0,
		                      "%s %s %s; ", qn, qt, cl);
		if (c >= sizeof(s->clients))
			c = sizeof(s->clients) - 1;
		cr_assert_not_null(hash, "client without a port: %s", cl);
		for (k = 0; k < s->ports && strcmp(s->port[k], hash + 1) != 0; k++)
			;
		if (k == s->ports && k < 64)
			snprintf(s->port[s->ports++], sizeof(s->port[0]), "%s", hash + 1);
	}
	json_decref(a);
}

/* Lines in the log so far (a test reads only what its own run added). */
static size_t
log_lines(void)
{
	json_t *a = test_json_lines(logpath, 0, 0);
	size_t n = a ? json_array_size(a) : 0;

	json_decref(a);
	return n;
}

/* Run mxcheck -s spec --json --no-ptr [args] and return its exit status; out gets stdout. */
static int
run(const char *const args[], char *out, size_t cap)
{
	const char *argv[32] = {test_bin("mxcheck"), "-s", spec, "--json", "--seed", "1",
	                        "--no-ptr"};
	size_t n = 7;

	for (size_t i = 0; args[i] != NULL && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return test_run(argv, out, cap, 30000);
}

/* The number after "queries": in the first JSON line. */
static long
queries_of(const char *line)
{
	json_t *j = json_loads(line, JSON_DISABLE_EOF_CHECK, NULL);
	long q;

	cr_assert_not_null(j, "not JSON: %.500s", line);
	q = (long)json_integer_value(json_object_get(j, "queries"));
	json_decref(j);
	return q;
}

Test(e2e_mxcheck_udp, one_socket_per_slot_carries_every_query_of_a_run)
{
	static char out[1 << 16];
	char targets[600];
	size_t before = log_lines();
	const char *one[] = {"-j", "1", "-f", targets, NULL};
	const char *three[] = {"-j", "3", "-f", targets, NULL};
	struct seen s;

	snprintf(targets, sizeof(targets), "%s/targets", dir);
	/* each check asks MX, A and AAAA: 3 queries per domain */
	cr_assert_eq(run(one, out, sizeof(out)), 0, "%.2000s", out);
	read_log(before, NDOM * 3, ".udp.test.", &s);
	cr_expect_eq(s.queries, NDOM * 3, "%d queries: %s", s.queries, s.clients);
	cr_expect_eq(s.ports, 1, "-j 1: %d source ports: %s", s.ports, s.clients);

	before = s.lines;
	cr_assert_eq(run(three, out, sizeof(out)), 0, "%.2000s", out);
	read_log(before, NDOM * 3, ".udp.test.", &s);
	cr_expect_eq(s.queries, NDOM * 3, "%d queries: %s", s.queries, s.clients);
	cr_expect(s.ports >= 1 && s.ports <= 3, "-j 3: %d source ports: %s", s.ports, s.clients);
}

/* --recursive talks to a resolver: every query leaves from a fresh socket, so a fresh
   ephemeral port (two may coincide by chance, hence the one to spare). */
Test(e2e_mxcheck_udp, recursive_mode_uses_a_fresh_socket_per_query)
{
	static char out[1 << 16];
	size_t before = log_lines();
	const char *args[] = {"--recursive", "d0.udp.test", NULL};
	struct seen s;

	run(args, out, sizeof(out));
	read_log(before, 3, "d0.udp.test.", &s);
	cr_assert_eq(s.queries, 3, "%d queries: %s", s.queries, s.clients);
	cr_expect_geq(s.ports, s.queries - 1, "%d source ports for %d queries: %s", s.ports,
	              s.queries, s.clients);
}

/* The MX query times out (-t 500) and is asked again on the same socket; its first answer
   comes at 700 ms, while mx.late's A query waits for its own (delayed 400 ms) answer. That
   late MX answer is skipped: the A query takes its own answer, is asked once, and nothing
   is a network error. */
Test(e2e_mxcheck_udp, late_answer_to_a_timed_out_query_is_skipped)
{
	static char out[1 << 16];
	size_t before = log_lines();
	const char *args[] = {"-t", "500", "-r", "1", "late.udp.test", NULL};
	struct seen s;

	cr_assert_eq(run(args, out, sizeof(out)), 0, "%.2000s", out);
	cr_expect_null(strstr(out, "dns-network"), "%.2000s", out);
	cr_expect_null(strstr(out, "dns-timeout"), "%.2000s", out);
	cr_expect_not_null(strstr(out, "\"verdict\":\"deliver\""), "%.2000s", out);
	/* MX twice (the retry), A once, AAAA once */
	cr_expect_eq(queries_of(out), 4, "%.2000s", out);
	read_log(before, 4, "late.udp.test.", &s);
	cr_expect_eq(s.a_queries, 1, "mx.late A asked %d times: %s", s.a_queries, s.clients);
	cr_expect_eq(s.ports, 1, "%d source ports: %s", s.ports, s.clients);
}

/* A reply with another ID, or another question, is rejected (the first MX reply); the
   retry on the same socket gets the right answer. */
Test(e2e_mxcheck_udp, wrong_reply_is_rejected_and_the_retry_on_the_same_socket_answered)
{
	static const char names[][24] = {"badid.udp.test", "qmismatch.udp.test"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		static char out[1 << 16];
		char suffix[64];
		size_t before = log_lines();
		const char *args[] = {"-t", "1000", "-r", "1", names[i], NULL};
		struct seen s;

		cr_assert_eq(run(args, out, sizeof(out)), 0, "%s: %.2000s", names[i], out);
		cr_expect_not_null(strstr(out, "\"verdict\":\"deliver\""), "%s: %.2000s", names[i],
		                   out);
		cr_expect_eq(queries_of(out), 4, "%s: %.2000s", names[i], out);
		snprintf(suffix, sizeof(suffix), "%s.", names[i]);
		read_log(before, 4, suffix, &s);
		cr_expect_eq(s.queries, 4, "%s: %s", names[i], s.clients);
		cr_expect_eq(s.ports, 1, "%s: %d source ports: %s", names[i], s.ports, s.clients);
	}
}

/* Under -j the slot's socket event is kept between waits: a truncated MX answer sends the
   check to TCP (another descriptor) and back to its UDP socket, and the answer is used. */
Test(e2e_mxcheck_udp, truncated_answer_goes_to_tcp_and_back_under_jobs)
{
	static char out[1 << 16];
	char targets[600];
	const char *args[] = {"-j", "2", "-t", "1000", "-f", targets, NULL};
	size_t before = log_lines();
	struct seen s;

	snprintf(targets, sizeof(targets), "%s/trunc-targets", dir);
	test_write(dir, "trunc-targets", "trunc.udp.test\nd0.udp.test\ntrunc.udp.test\n");
	cr_assert_eq(run(args, out, sizeof(out)), 0, "%.2000s", out);
	cr_expect_not_null(strstr(out, "dns-truncated"), "%.2000s", out);
	/* MX over UDP and again over TCP, A, AAAA; d0: MX, A, AAAA */
	cr_expect_eq(queries_of(out), 4, "%.2000s", out);
	read_log(before, 11, ".udp.test.", &s);
	cr_expect_eq(s.queries, 11, "%s", s.clients);
}
