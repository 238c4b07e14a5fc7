/* tests/e2e/test_faults.c -- every fault action and option observed from a real client
   (ldns and raw sockets) against bin/mxlabd with a faults.conf in its zone directory. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <ldns/ldns.h>

#include "tests/support/support.h"

static const char zone_text[] = "$ORIGIN example.test.\n"
                                "$TTL 3600\n"
                                "@      IN SOA ns1 hostmaster 1 7200 900 1209600 300\n"
                                "@      IN NS  ns1\n"
                                "@      IN MX  10 mx1\n"
                                "@      IN MX  20 mx2\n"
                                "ns1    IN A   127.0.0.1\n"
                                "mx1    IN A   192.0.2.1\n"
                                "mx2    IN A   192.0.2.2\n"
                                "www    IN A   192.0.2.80\n"
                                "fast   IN A   192.0.2.81\n"
                                "slow   IN A   192.0.2.82\n"
                                "a.down IN A   192.0.2.9\n";

static struct testsrv srv;
static char srvdir[256];

static void
stop_srv(void)
{
	testsrv_stop(&srv);
}

/* Start mxlabd serving example.test with faults (NULL: no faults.conf) and extra args. */
static void
start_with(const char *faults, const char *const extra[])
{
	test_tmpdir(srvdir, sizeof(srvdir));
	test_write(srvdir, "example.test.zone", zone_text);
	if (faults)
		test_write(srvdir, "faults.conf", faults);
	testsrv_start_dir(&srv, srvdir, extra);
}

static ldns_pkt *
q_udp(const char *name, ldns_rr_type t)
{
	return test_query(srv.port, name, t, false, 0, 2000);
}

static ldns_pkt *
q_tcp(const char *name, ldns_rr_type t)
{
	return test_query(srv.port, name, t, true, 0, 2000);
}

/* ---- raw sockets */

static socklen_t
sa_fill(struct sockaddr_storage *ss, const char *addr, int port)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		cr_assert_eq(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	cr_assert_eq(inet_pton(AF_INET, addr, &s4->sin_addr), 1);
	return sizeof(*s4);
}

/* UDP exchange from src (NULL: any) to dst; returns the reply length, 0 on timeout. */
static size_t
raw_udp(const char *src, const char *dst, const uint8_t *q, size_t qlen, uint8_t *out, size_t cap,
        int timeout_ms)
{
	struct sockaddr_storage to, from;
	socklen_t tolen = sa_fill(&to, dst, srv.port);
	int fd = socket(to.ss_family, SOCK_DGRAM, 0);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n = 0;

	cr_assert_geq(fd, 0);
	if (src) {
		socklen_t fl = sa_fill(&from, src, 0);
		cr_assert_eq(bind(fd, (struct sockaddr *)&from, fl), 0, "bind %s: %s", src,
		             strerror(errno));
	}
	if (sendto(fd, q, qlen, 0, (struct sockaddr *)&to, tolen) < 0 ||
	    poll(&p, 1, timeout_ms) <= 0 || (n = recv(fd, out, cap, 0)) < 0)
		n = 0;
	close(fd);
	return (size_t)n;
}

enum tcp_result { TCP_REPLY, TCP_CLOSED, TCP_TIMEOUT };

/* One query over a fresh TCP connection. On TCP_REPLY *len is the message length. */
static enum tcp_result
raw_tcp(const uint8_t *q, size_t qlen, uint8_t *out, size_t cap, size_t *len, int timeout_ms)
{
	struct sockaddr_storage to;
	socklen_t tolen = sa_fill(&to, "127.0.0.1", srv.port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint8_t buf[2 + 512];
	size_t got = 0, want = 2;
	double deadline = test_now_ms() + timeout_ms;
	enum tcp_result res = TCP_TIMEOUT;

	cr_assert_geq(fd, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&to, tolen), 0, "connect: %s", strerror(errno));
	buf[0] = (uint8_t)(qlen >> 8);
	buf[1] = (uint8_t)qlen;
	memcpy(buf + 2, q, qlen);
	cr_assert_eq(write(fd, buf, qlen + 2), (ssize_t)(qlen + 2));
	*len = 0;
	while (got < want) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int left = (int)(deadline - test_now_ms());
		ssize_t n;
		uint8_t *dst = got < 2 ? buf + got : out + (got - 2);
		size_t room = got < 2 ? 2 - got : want - got;

		if (left <= 0 || poll(&p, 1, left) <= 0)
			goto out;
		n = read(fd, dst, room);
		if (n == 0 || (n < 0 && errno == ECONNRESET)) {
			res = TCP_CLOSED;
			goto out;
		}
		if (n < 0)
			goto out;
		got += (size_t)n;
		if (got == 2) {
			want = 2 + (size_t)(buf[0] << 8 | buf[1]);
			cr_assert_leq(want - 2, cap);
		}
	}
	*len = want - 2;
	res = TCP_REPLY;
out:
	close(fd);
	return res;
}

static int
rcode_of(const ldns_pkt *p)
{
	return p ? (int)ldns_pkt_get_rcode(p) : -1;
}

/* Rcode of the answer to one A query over UDP or TCP, -1 for none. */
static int
rcode_a(const char *name, bool tcp)
{
	ldns_pkt *p = tcp ? q_tcp(name, LDNS_RR_TYPE_A) : q_udp(name, LDNS_RR_TYPE_A);
	int rc = rcode_of(p);

	ldns_pkt_free(p);
	return rc;
}

/* ---- the actions */

Test(e2e_faults, drop_gives_no_answer, .fini = stop_srv)
{
	ldns_pkt *p;

	start_with("www.example.test. A drop\n", NULL);
	p = test_query(srv.port, "www.example.test.", LDNS_RR_TYPE_A, false, 0, 400);
	cr_expect_null(p, "dropped query was answered");
	ldns_pkt_free(p);
	p = test_query(srv.port, "www.example.test.", LDNS_RR_TYPE_A, true, 0, 400);
	cr_expect_null(p, "dropped TCP query was answered");
	ldns_pkt_free(p);
	cr_expect_eq(rcode_a("fast.example.test.", false), LDNS_RCODE_NOERROR,
	             "other names still answered");
}

Test(e2e_faults, delay_answers_late_and_holds_nothing_else, .fini = stop_srv)
{
	ldns_pkt *p;
	double t0, dt;

	start_with("slow.example.test. A delay=300\n", NULL);
	t0 = test_now_ms();
	p = q_udp("slow.example.test.", LDNS_RR_TYPE_A);
	dt = test_now_ms() - t0;
	cr_assert_not_null(p, "delayed answer never came");
	cr_expect_eq(ldns_pkt_ancount(p), 1);
	cr_expect(ldns_pkt_aa(p));
	cr_expect_geq(dt, 300.0, "delay=300 answered after %.1f ms", dt);
	ldns_pkt_free(p);

	t0 = test_now_ms();
	p = q_udp("fast.example.test.", LDNS_RR_TYPE_A);
	dt = test_now_ms() - t0;
	cr_assert_not_null(p);
	cr_expect_lt(dt, 100.0, "undelayed answer took %.1f ms", dt);
	ldns_pkt_free(p);

	t0 = test_now_ms();
	p = q_tcp("slow.example.test.", LDNS_RR_TYPE_A);
	dt = test_now_ms() - t0;
	cr_assert_not_null(p, "delayed TCP answer never came");
	cr_expect_geq(dt, 300.0, "delay=300 over TCP answered after %.1f ms", dt);
	ldns_pkt_free(p);
}

Test(e2e_faults, each_rcode_arrives, .fini = stop_srv)
{
	static const struct {
		char name[40]; /* query name with a rule */
		int rcode;     /* rcode expected */
	} cases[] = {
	    {"servfail.example.test.", LDNS_RCODE_SERVFAIL},
	    {"refused.example.test.", LDNS_RCODE_REFUSED},
	    {"nxdomain.example.test.", LDNS_RCODE_NXDOMAIN},
	    {"formerr.example.test.", LDNS_RCODE_FORMERR},
	    {"notimp.example.test.", LDNS_RCODE_NOTIMPL},
	    {"www.example.test.", LDNS_RCODE_NOERROR},
	};

	start_with("servfail.example.test. * rcode=SERVFAIL\n"
	           "refused.example.test.  * rcode=REFUSED\n"
	           "nxdomain.example.test. * rcode=NXDOMAIN\n"
	           "formerr.example.test.  * rcode=FORMERR\n"
	           "notimp.example.test.   * rcode=NOTIMP\n"
	           "www.example.test.      A rcode=NOERROR\n",
	           NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ldns_pkt *p = q_udp(cases[i].name, LDNS_RR_TYPE_A);
		cr_assert_not_null(p, "%s: no answer", cases[i].name);
		cr_expect_eq(rcode_of(p), cases[i].rcode, "%s: rcode %d", cases[i].name,
		             rcode_of(p));
		cr_expect_eq(ldns_pkt_ancount(p), 0, "%s", cases[i].name);
		cr_expect_eq(ldns_pkt_qdcount(p), 1, "%s", cases[i].name);
		if (cases[i].rcode == LDNS_RCODE_NXDOMAIN) {
			cr_expect_eq(ldns_pkt_nscount(p), 1, "NXDOMAIN lie carries the SOA");
			if (ldns_pkt_nscount(p) == 1)
				cr_expect_eq(
				    ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_authority(p), 0)),
				    LDNS_RR_TYPE_SOA);
		} else {
			cr_expect_eq(ldns_pkt_nscount(p), 0, "%s: authority not empty",
			             cases[i].name);
		}
		ldns_pkt_free(p);
	}
}

Test(e2e_faults, truncate_sets_tc_over_udp_and_tcp_answers, .fini = stop_srv)
{
	ldns_pkt *p;

	start_with("example.test. MX truncate\n", NULL);
	p = q_udp("example.test.", LDNS_RR_TYPE_MX);
	cr_assert_not_null(p);
	cr_expect(ldns_pkt_tc(p), "TC not set over UDP");
	cr_expect_eq(ldns_pkt_ancount(p), 0);
	cr_expect_eq(ldns_pkt_nscount(p), 0);
	cr_expect_eq(ldns_pkt_arcount(p), 0);
	ldns_pkt_free(p);
	p = q_tcp("example.test.", LDNS_RR_TYPE_MX);
	cr_assert_not_null(p);
	cr_expect(!ldns_pkt_tc(p));
	cr_expect(ldns_pkt_aa(p));
	cr_expect_eq(ldns_pkt_ancount(p), 2, "TCP gets both MX");
	ldns_pkt_free(p);
}

Test(e2e_faults, noaa_clears_aa, .fini = stop_srv)
{
	ldns_pkt *p;

	start_with("example.test. MX noaa\n", NULL);
	p = q_udp("example.test.", LDNS_RR_TYPE_MX);
	cr_assert_not_null(p);
	cr_expect(!ldns_pkt_aa(p));
	cr_expect_eq(ldns_pkt_ancount(p), 2);
	ldns_pkt_free(p);
	p = q_udp("www.example.test.", LDNS_RR_TYPE_A);
	cr_assert_not_null(p);
	cr_expect(ldns_pkt_aa(p), "unmatched names keep AA");
	ldns_pkt_free(p);
}

Test(e2e_faults, badid_answer_has_another_id, .fini = stop_srv)
{
	uint8_t q[512], a[4096];
	size_t qlen, alen;
	ldns_pkt *p = NULL;

	start_with("www.example.test. A badid\n", NULL);
	qlen = test_make_query("www.example.test.", LDNS_RR_TYPE_A, 0x4242, q, sizeof(q));
	alen = raw_udp(NULL, "127.0.0.1", q, qlen, a, sizeof(a), 2000);
	cr_assert_gt(alen, 12, "no answer");
	cr_assert_eq(ldns_wire2pkt(&p, a, alen), LDNS_STATUS_OK);
	cr_expect_neq(ldns_pkt_id(p), 0x4242);
	cr_expect_eq(ldns_pkt_ancount(p), 1, "otherwise the correct answer");
	ldns_pkt_free(p);

	/* Note: ldns_resolver_send_pkt does not compare IDs (checked against ldns 1.8): a
	   client must compare them itself, as this test does. */
}

/* The same query bytes sent twice under a count=1 rule: the faulty answer, then the correct
   one. */
struct exchange {
	uint8_t q[512];     /* the query */
	size_t qlen;        /* its length */
	uint8_t bad[4096];  /* the first answer, with the fault */
	size_t badlen;      /* its length */
	uint8_t good[4096]; /* the second answer, correct */
	size_t goodlen;     /* its length */
};

static void
faulty_then_correct(const char *rule, struct exchange *x)
{
	start_with(rule, NULL);
	x->qlen = test_make_query("example.test.", LDNS_RR_TYPE_MX, 0x1357, x->q, sizeof(x->q));
	x->badlen = raw_udp(NULL, "127.0.0.1", x->q, x->qlen, x->bad, sizeof(x->bad), 2000);
	x->goodlen = raw_udp(NULL, "127.0.0.1", x->q, x->qlen, x->good, sizeof(x->good), 2000);
	cr_assert_gt(x->badlen, 0, "no faulty answer");
	cr_assert_gt(x->goodlen, 12, "no correct answer");
}

Test(e2e_faults, qmismatch_changes_the_question, .fini = stop_srv)
{
	static struct exchange x;
	ldns_pkt *p = NULL, *g = NULL;
	ldns_rr *qb, *qg;

	faulty_then_correct("example.test. MX qmismatch count=1\n", &x);
	cr_assert_eq(ldns_wire2pkt(&p, x.bad, x.badlen), LDNS_STATUS_OK);
	cr_assert_eq(ldns_wire2pkt(&g, x.good, x.goodlen), LDNS_STATUS_OK);
	cr_expect_eq(ldns_pkt_id(p), 0x1357);
	qb = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	qg = ldns_rr_list_rr(ldns_pkt_question(g), 0);
	cr_assert(qb && qg);
	cr_expect_neq(ldns_dname_compare(ldns_rr_owner(qb), ldns_rr_owner(qg)), 0,
	              "question name unchanged");
	cr_expect_eq(ldns_pkt_ancount(p), ldns_pkt_ancount(g));
	ldns_pkt_free(p);
	ldns_pkt_free(g);
}

Test(e2e_faults, garble_keeps_header_and_is_unparsable, .fini = stop_srv)
{
	static struct exchange x;
	ldns_pkt *p = NULL;

	faulty_then_correct("example.test. MX garble count=1\n", &x);
	cr_expect_eq(x.badlen, x.goodlen);
	cr_expect(memcmp(x.bad, x.good, 12) == 0, "header changed");
	cr_expect(memcmp(x.bad + 12, x.good + 12, x.goodlen - 12) != 0, "nothing garbled");
	cr_expect_neq(ldns_wire2pkt(&p, x.bad, x.badlen), LDNS_STATUS_OK, "garbled answer parsed");
	ldns_pkt_free(p);
}

Test(e2e_faults, short_is_a_strict_prefix, .fini = stop_srv)
{
	static struct exchange x;
	ldns_pkt *p = NULL;

	faulty_then_correct("example.test. MX short count=1\n", &x);
	cr_expect_lt(x.badlen, x.goodlen);
	cr_expect_gt(x.badlen, x.qlen, "cut before the question ended");
	cr_expect(memcmp(x.bad, x.good, x.badlen) == 0, "not a prefix");
	cr_expect_neq(ldns_wire2pkt(&p, x.bad, x.badlen), LDNS_STATUS_OK, "short answer parsed");
	ldns_pkt_free(p);
}

Test(e2e_faults, tcp_close_closes_the_connection, .fini = stop_srv)
{
	uint8_t q[512], a[4096];
	size_t qlen, alen = 0;
	ldns_pkt *p;

	start_with("www.example.test. A tcp-close\n", NULL);
	qlen = test_make_query("www.example.test.", LDNS_RR_TYPE_A, 77, q, sizeof(q));
	cr_expect_eq(raw_tcp(q, qlen, a, sizeof(a), &alen, 2000), TCP_CLOSED);
	cr_expect_eq(alen, 0);
	/* UDP is never closed: it gets the answer */
	p = q_udp("www.example.test.", LDNS_RR_TYPE_A);
	cr_expect_eq(rcode_of(p), LDNS_RCODE_NOERROR);
	cr_expect_eq(p ? ldns_pkt_ancount(p) : 0, 1);
	ldns_pkt_free(p);
	/* other names over TCP are answered */
	qlen = test_make_query("fast.example.test.", LDNS_RR_TYPE_A, 78, q, sizeof(q));
	cr_expect_eq(raw_tcp(q, qlen, a, sizeof(a), &alen, 2000), TCP_REPLY);
}

Test(e2e_faults, ttl_sets_every_ttl, .fini = stop_srv)
{
	ldns_pkt *p;
	ldns_rr_list *secs[3];

	start_with("example.test. MX ttl=7\n", NULL);
	p = test_query(srv.port, "example.test.", LDNS_RR_TYPE_MX, false, 1232, 2000);
	cr_assert_not_null(p);
	cr_expect_eq(ldns_pkt_ancount(p), 2);
	secs[0] = ldns_pkt_answer(p);
	secs[1] = ldns_pkt_authority(p);
	secs[2] = ldns_pkt_additional(p);
	for (int s = 0; s < 3; s++)
		for (size_t i = 0; i < ldns_rr_list_rr_count(secs[s]); i++)
			cr_expect_eq(ldns_rr_ttl(ldns_rr_list_rr(secs[s], i)), 7,
			             "section %d rr %zu ttl %u", s, i,
			             ldns_rr_ttl(ldns_rr_list_rr(secs[s], i)));
	cr_expect(ldns_pkt_edns(p), "OPT kept");
	ldns_pkt_free(p);
}

/* ---- options */

static void
rcode_sequence(const char *name, int n, char *out)
{
	for (int i = 0; i < n; i++) {
		int rc = rcode_a(name, false);
		out[i] = rc == LDNS_RCODE_SERVFAIL ? 'F' : rc == LDNS_RCODE_NOERROR ? '.' : '?';
	}
	out[n] = '\0';
}

/* A counter rule on www.example.test and the answers to a run of queries for it: one
   character a query, F for SERVFAIL, . for NOERROR. */
struct seq_case {
	char name[48]; /* the fact */
	char rule[64]; /* faults.conf text */
	char want[16]; /* the answers expected */
};

static struct seq_case seq_cases[] = {
    {"count_fails_twice_then_answers", "www.example.test. A rcode=SERVFAIL count=2\n", "FF..."},
    {"every_three_fires_on_1_4_7", "www.example.test. A rcode=SERVFAIL every=3\n", "F..F..F."},
    {"after_then_fires", "www.example.test. A rcode=SERVFAIL after=2\n", "..FFF"},
};

ParameterizedTestParameters(e2e_faults, counters_decide_which_answers_fail)
{
	return cr_make_param_array(struct seq_case, seq_cases,
	                           sizeof(seq_cases) / sizeof(seq_cases[0]));
}

ParameterizedTest(struct seq_case *c, e2e_faults, counters_decide_which_answers_fail,
                  .fini = stop_srv)
{
	char seq[16];

	start_with(c->rule, NULL);
	rcode_sequence("www.example.test.", (int)strlen(c->want), seq);
	cr_expect_str_eq(seq, c->want, "%s: answers %s, expected %s", c->name, seq, c->want);
}

static void
p_run(const char *seed, char *seq, int n)
{
	const char *extra[] = {"--seed", seed, NULL};

	start_with("www.example.test. A rcode=SERVFAIL p=0.5\n", extra);
	rcode_sequence("www.example.test.", n, seq);
	testsrv_stop(&srv);
}

Test(e2e_faults, p_with_a_seed_repeats_across_runs, .fini = stop_srv)
{
	char a[41], b[41], c[41];

	p_run("7", a, 40);
	p_run("7", b, 40);
	p_run("8", c, 40);
	cr_expect_str_eq(a, b, "seed 7 gave %s then %s", a, b);
	cr_expect(strchr(a, 'F') && strchr(a, '.'), "p=0.5 gave %s", a);
	cr_expect(strchr(a, '?') == NULL, "%s", a);
	cr_expect_str_neq(a, c, "seeds 7 and 8 gave the same %s", a);
}

Test(e2e_faults, transport_tcp_condition, .fini = stop_srv)
{
	start_with("www.example.test. A rcode=SERVFAIL transport=tcp\n", NULL);
	cr_expect_eq(rcode_a("www.example.test.", false), LDNS_RCODE_NOERROR);
	cr_expect_eq(rcode_a("www.example.test.", true), LDNS_RCODE_SERVFAIL);
}

static int
raw_rcode(const char *src, const char *dst)
{
	uint8_t q[512], a[4096];
	size_t qlen = test_make_query("www.example.test.", LDNS_RR_TYPE_A, 99, q, sizeof(q));
	size_t alen = raw_udp(src, dst, q, qlen, a, sizeof(a), 2000);

	return alen >= 4 ? a[3] & 0x0f : -1;
}

Test(e2e_faults, client_condition, .fini = stop_srv)
{
	start_with("www.example.test. A rcode=SERVFAIL client=127.0.0.2\n", NULL);
	cr_expect_eq(raw_rcode("127.0.0.1", "127.0.0.1"), LDNS_RCODE_NOERROR);
	cr_expect_eq(raw_rcode("127.0.0.2", "127.0.0.1"), LDNS_RCODE_SERVFAIL);
	cr_expect_eq(raw_rcode("127.0.0.3", "127.0.0.1"), LDNS_RCODE_NOERROR);
}

Test(e2e_faults, listen_condition, .fini = stop_srv)
{
	const char *extra[] = {"-a", "127.0.0.1", "-a", "::1", NULL};

	start_with("www.example.test. A rcode=REFUSED listen=::1\n"
	           "www.example.test. A rcode=SERVFAIL listen=127.0.0.1 client=127.0.0.1\n",
	           extra);
	cr_expect_eq(raw_rcode(NULL, "::1"), LDNS_RCODE_REFUSED);
	cr_expect_eq(raw_rcode("127.0.0.1", "127.0.0.1"), LDNS_RCODE_SERVFAIL);
	cr_expect_eq(raw_rcode("127.0.0.2", "127.0.0.1"), LDNS_RCODE_NOERROR);
}

/* 1000 interleaved queries: 500 to a delay=200 name, 500 to an undelayed one, sent without
   waiting; every undelayed answer comes back well before the delay would end. */
Test(e2e_faults, delayed_queries_do_not_hold_up_others, .fini = stop_srv)
{
	enum { N = 1000 };
	static uint8_t qs[2][512];
	static double sent[N], got[N];
	size_t qlen[2];
	struct sockaddr_storage to;
	socklen_t tolen;
	int fd, received = 0, fast_late = 0, slow_early = 0, missing_fast = 0;
	double worst_fast = 0, deadline;

	start_with("slow.example.test. A delay=200\n", NULL);
	qlen[0] = test_make_query("fast.example.test.", LDNS_RR_TYPE_A, 0, qs[0], sizeof(qs[0]));
	qlen[1] = test_make_query("slow.example.test.", LDNS_RR_TYPE_A, 0, qs[1], sizeof(qs[1]));
	tolen = sa_fill(&to, "127.0.0.1", srv.port);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	/* the 500 delayed answers arrive as one burst: room for all of them, so a busy test
	   machine does not lose answers in its own socket buffer */
	int rcvbuf = 4 * 1024 * 1024;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));

	for (int i = 0; i < N; i++)
		got[i] = -1;
	deadline = test_now_ms() + 10000;
	for (int i = 0; received < N && test_now_ms() < deadline;) {
		uint8_t a[512];
		ssize_t n;
		if (i < N) {
			/* id i, odd ids ask for the slow name */
			int kind = i % 2;
			qs[kind][0] = (uint8_t)(i >> 8);
			qs[kind][1] = (uint8_t)i;
			sent[i] = test_now_ms();
			if (sendto(fd, qs[kind], qlen[kind], 0, (struct sockaddr *)&to, tolen) ==
			    (ssize_t)qlen[kind])
				i++;
			else
				cr_assert(errno == EAGAIN || errno == ENOBUFS, "sendto: %s",
				          strerror(errno));
		}
		/* drain what has come back (a short wait once everything is sent) */
		for (;;) {
			struct pollfd p = {.fd = fd, .events = POLLIN};
			if (poll(&p, 1, i < N ? 0 : 50) <= 0)
				break;
			n = recv(fd, a, sizeof(a), 0);
			if (n < 12)
				break;
			int id = a[0] << 8 | a[1];
			if (id < N && got[id] < 0) {
				got[id] = test_now_ms();
				received++;
			}
		}
	}
	close(fd);

	for (int i = 0; i < N; i++) {
		double lat = got[i] - sent[i];
		if (i % 2 == 0) {
			if (got[i] < 0) {
				missing_fast++;
				continue;
			}
			if (lat > worst_fast)
				worst_fast = lat;
			fast_late += lat >= 150.0;
		} else if (got[i] >= 0) {
			slow_early += lat < 200.0;
		}
	}
	cr_expect_eq(missing_fast, 0, "%d undelayed answers missing", missing_fast);
	cr_expect_eq(fast_late, 0, "%d undelayed answers took >= 150 ms (worst %.1f ms)", fast_late,
	             worst_fast);
	cr_expect_eq(slow_early, 0, "%d delayed answers came before 200 ms", slow_early);
	cr_expect_geq(received, N * 9 / 10, "only %d of %d answers", received, N);
}

/* ---- query log */

Test(e2e_faults, query_log_names_rule_and_action, .fini = stop_srv)
{
	char logpath[600], seq[8];
	const char *extra[] = {"--query-log", logpath, NULL};
	json_t *arr;

	test_tmpdir(logpath, 256);
	strcat(logpath, "/query.log");
	start_with("# fail twice\nwww.example.test.  A  rcode=SERVFAIL  count=2\n", extra);
	rcode_sequence("www.example.test.", 3, seq);
	cr_expect_str_eq(seq, "FF.");
	arr = test_json_lines(logpath, 3, 3000);
	cr_assert_eq(json_array_size(arr), 3, "query log has %zu lines", json_array_size(arr));
	for (size_t i = 0; i < 3; i++) {
		json_t *o = json_array_get(arr, i);
		json_t *fault = json_object_get(o, "fault");
		const char *action = json_string_value(json_object_get(o, "action"));
		if (i < 2) {
			cr_expect(json_is_string(fault), "line %zu: fault not a string", i);
			cr_expect(fault && json_is_string(fault) &&
			              strstr(json_string_value(fault), "rcode=SERVFAIL count=2"),
			          "line %zu: fault '%s'", i,
			          json_is_string(fault) ? json_string_value(fault) : "?");
			cr_expect(action && strcmp(action, "rcode") == 0, "line %zu: action %s", i,
			          action ? action : "(none)");
		} else {
			cr_expect(json_is_null(fault), "line 2: fault should be null");
			cr_expect(action && strcmp(action, "rcode") != 0, "line 2: action %s",
			          action ? action : "(none)");
		}
	}
	json_decref(arr);
}

Test(e2e_faults, bad_rule_stops_the_server_naming_the_line)
{
	char dir[256], path[512], out[4096];
	const char *argv[] = {test_bin("mxlabd"), "--check", "-z", dir, NULL};
	struct testsrv s;
	const char *args[] = {"-z", dir, NULL};
	int rc;

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "example.test.zone", zone_text);
	test_write(dir, "faults.conf", "www.example.test. A drop\nwww.example.test. A dorp\n");
	snprintf(path, sizeof(path), "%s/faults.conf:2:", dir);
	cr_expect_neq(testsrv_start(&s, args), 0, "mxlabd started with a bad rule");
	cr_expect(strstr(testsrv_stderr(&s), path) != NULL, "stderr: %s", testsrv_stderr(&s));
	cr_expect(strstr(testsrv_stderr(&s), "unknown action 'dorp'") != NULL, "stderr: %s",
	          testsrv_stderr(&s));
	testsrv_stop(&s);
	rc = test_run(argv, out, sizeof(out), 10000);
	cr_expect_eq(rc, 2, "--check exit %d", rc);
	cr_expect(strstr(out, path) != NULL, "--check output: %s", out);
}

Test(e2e_faults, below_pattern_ignores_case_and_spares_the_parent, .fini = stop_srv)
{
	start_with("*.DOWN.example.test. A rcode=SERVFAIL\n", NULL);
	cr_expect_eq(rcode_a("A.Down.example.test.", false), LDNS_RCODE_SERVFAIL);
	cr_expect_eq(rcode_a("down.example.test.", false), LDNS_RCODE_NOERROR,
	             "the name itself is not below itself");
	cr_expect_eq(rcode_a("www.example.test.", false), LDNS_RCODE_NOERROR);
}
