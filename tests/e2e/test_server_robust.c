/* tests/e2e/test_server_robust.c -- bin/mxlabd fed garbage: seeded random and mangled packets
   over UDP and TCP (bounded counts); it must stay up, only ever send replies, finish half-closed
   connections, and keep answering a valid query correctly. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <ldns/ldns.h>

#include "tests/support/support.h"

#define ROBUST_SEED      0x6d786c6162ULL /* fixed: a failure repeats exactly */
#define ROBUST_UDP_COUNT 3000            /* datagrams sent */
#define ROBUST_TCP_CONNS 200             /* connections opened, one after the other */

static const char zone_text[] = TEST_EXAMPLE_HEAD "@     IN MX  10 mail\n"
                                                  "ns1   IN A   127.0.0.1\n"
                                                  "mail  IN A   192.0.2.25\n"
                                                  "www   IN A   192.0.2.1\n"
                                                  "*.w   IN TXT \"wild\"\n"
                                                  "c     IN A   192.0.2.3\n"
                                                  "t     IN A   192.0.2.4\n"
                                                  "x.d   IN A   192.0.2.5\n"
                                                  "sub   IN NS  ns.sub\n"
                                                  "ns.sub IN A  192.0.2.53\n";

/* Garbage also goes through the fault paths: delayed replies, cut replies, closed
   connections. None of these names is the one the health check asks for. */
static const char faults_text[] = "*.d.example.test. * delay=20\n"
                                  "t.example.test. * short\n"
                                  "c.example.test. * tcp-close\n"
                                  "mail.example.test. * garble p=0.5\n";

static const char *const names[] = {
    "www.example.test.", "mail.example.test.", "x.d.example.test.",     "t.example.test.",
    "c.example.test.",   "a.w.example.test.",  "www.sub.example.test.", "nope.example.test.",
    "example.test.",     "outside.invalid."};

static struct testsrv srv;
static uint64_t rng = ROBUST_SEED;

static uint64_t
rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
start_srv(void)
{
	char dir[256];
	const char *args[] = {"-z", dir, NULL};

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "example.test.zone", zone_text);
	test_write(dir, "faults.conf", faults_text);
	if (testsrv_start(&srv, args) != 0)
		cr_assert_fail("mxlabd did not start: %s", testsrv_stderr(&srv));
}

static void
stop_srv(void)
{
	testsrv_stop(&srv);
}

/* A well-formed query for a random name and type (EDNS sometimes) into out; its length. The
   random draws keep their order so a seed gives the same packets. */
static size_t
valid_query(uint8_t *out)
{
	static const uint16_t types[] = {1, 2, 5, 6, 15, 16, 28, 255, 65280};
	const char *name = names[rnd() % (sizeof(names) / sizeof(names[0]))];
	uint16_t type = types[rnd() % (sizeof(types) / sizeof(types[0]))];
	uint16_t id = (uint16_t)((uint8_t)rnd() << 8);
	int edns = -1;
	uint8_t version = 0;

	id |= (uint8_t)rnd();
	if (rnd() % 2) {
		edns = (uint16_t)(rnd() % 2 ? 4096 : rnd());
		version = (uint8_t)(rnd() % 4 ? 0 : rnd());
	}
	return test_wire_query(out, name, type, id, edns, version, true);
}

/* One piece of garbage into out (cap >= 700); its length. Four kinds: random bytes, a valid
   query with bytes flipped, a plausible header with a random tail, a cut valid query. */
static size_t
garbage(uint8_t *out)
{
	size_t n;

	switch (rnd() % 4) {
	case 0:
		n = rnd() % 600;
		for (size_t i = 0; i < n; i++)
			out[i] = (uint8_t)rnd();
		return n;
	case 1:
		n = valid_query(out);
		for (int k = 1 + (int)(rnd() % 8); k > 0; k--)
			out[rnd() % n] ^= (uint8_t)(1 + rnd() % 255);
		return n;
	case 2:
		n = 12 + rnd() % 300;
		for (size_t i = 0; i < n; i++)
			out[i] = (uint8_t)rnd();
		out[2] &= 0x7f; /* a query, not a response */
		out[4] = 0;
		out[5] = (uint8_t)(rnd() % 4); /* QDCOUNT 0..3 */
		return n;
	default:
		n = valid_query(out);
		return rnd() % n;
	}
}

/* Whatever mxlabd sends is a DNS response: a whole header with QR set. */
static void
expect_reply_shape(const uint8_t *r, size_t len, const char *what)
{
	cr_expect_geq(len, 12, "%s: reply of %zu bytes, shorter than a header", what, len);
	if (len >= 12)
		cr_expect(r[2] & 0x80, "%s: reply without QR", what);
}

/* The server still runs and answers www.example.test. A correctly over UDP and TCP. */
static void
expect_healthy(const char *when)
{
	int st = 0;

	cr_assert_eq(waitpid(srv.pid, &st, WNOHANG), 0, "mxlabd exited %s (status 0x%x): %s", when,
	             st, testsrv_stderr(&srv));
	for (int tcp = 0; tcp < 2; tcp++) {
		ldns_pkt *p =
		    test_query(srv.port, "www.example.test.", LDNS_RR_TYPE_A, tcp, 0, 3000);
		ldns_rr *rr;
		char *addr;

		cr_assert_not_null(p, "no %s answer %s", tcp ? "TCP" : "UDP", when);
		cr_expect_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR, "%s", when);
		cr_expect(ldns_pkt_aa(p), "AA %s", when);
		cr_assert_eq(ldns_pkt_ancount(p), 1, "%s", when);
		rr = ldns_rr_list_rr(ldns_pkt_answer(p), 0);
		addr = ldns_rdf2str(ldns_rr_rdf(rr, 0));
		cr_expect_str_eq(addr, "192.0.2.1", "%s", when);
		free(addr);
		ldns_pkt_free(p);
	}
}

static int
udp_socket(struct sockaddr_in *to)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	memset(to, 0, sizeof(*to));
	to->sin_family = AF_INET;
	to->sin_port = htons((uint16_t)srv.port);
	inet_pton(AF_INET, "127.0.0.1", &to->sin_addr);
	return fd;
}

/* Read every reply waiting on fd (waiting up to wait_ms for the first); returns how many. */
static size_t
udp_drain(int fd, int wait_ms)
{
	uint8_t buf[65536];
	size_t n = 0;
	struct pollfd pfd = {fd, POLLIN, 0};

	while (poll(&pfd, 1, n == 0 ? wait_ms : 0) > 0) {
		ssize_t r = recv(fd, buf, sizeof(buf), 0);
		if (r < 0)
			break;
		expect_reply_shape(buf, (size_t)r, "udp");
		n++;
	}
	return n;
}

TestSuite(e2e_server_robust, .init = start_srv, .fini = stop_srv, .timeout = 120);

Test(e2e_server_robust, random_udp_datagrams_leave_it_answering)
{
	struct sockaddr_in to;
	int fd = udp_socket(&to);
	uint8_t pkt[700];
	size_t replies = 0;

	for (int i = 0; i < ROBUST_UDP_COUNT; i++) {
		size_t n = garbage(pkt);
		/* the socket may be full for a moment: that datagram is simply not sent */
		sendto(fd, pkt, n, 0, (struct sockaddr *)&to, sizeof(to));
		if (i % 50 == 49)
			replies += udp_drain(fd, 5);
		if (i % 1000 == 999) {
			char when[64];
			snprintf(when, sizeof(when), "after %d datagrams", i + 1);
			expect_healthy(when);
		}
	}
	replies += udp_drain(fd, 200);
	close(fd);
	cr_log_info("%zu replies to %d datagrams", replies, ROBUST_UDP_COUNT);
	/* with a quarter of the packets well-formed before mangling, many get some answer */
	cr_expect_gt(replies, ROBUST_UDP_COUNT / 20, "only %zu replies to %d datagrams", replies,
	             ROBUST_UDP_COUNT);
	expect_healthy("after the UDP garbage");
}

/* Read the connection until the server closes it (bounded); check the framing and every reply
   and add their number to *replies. Returns false when it stayed open past the deadline. */
static bool
tcp_read_to_eof(int fd, int deadline_ms, size_t *replies)
{
	static uint8_t buf[1 << 20];
	size_t len = 0, pos = 0;
	double end = test_now_ms() + deadline_ms;
	bool eof = false;

	while (!eof && test_now_ms() < end) {
		struct pollfd pfd = {fd, POLLIN, 0};
		ssize_t r;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		r = recv(fd, buf + len, sizeof(buf) - len, 0);
		if (r <= 0) /* EOF, or a reset after tcp-close */
			eof = true;
		else
			len += (size_t)r;
	}
	while (pos + 2 <= len) {
		size_t flen = (size_t)buf[pos] << 8 | buf[pos + 1];
		if (pos + 2 + flen > len)
			break; /* a frame cut by tcp-close is allowed; the rest was checked */
		expect_reply_shape(buf + pos + 2, flen, "tcp");
		pos += 2 + flen;
		(*replies)++;
	}
	return eof;
}

Test(e2e_server_robust, random_tcp_streams_leave_it_answering)
{
	static uint8_t stream[64 * 1024];
	size_t replies = 0, halfclosed = 0;

	for (int i = 0; i < ROBUST_TCP_CONNS; i++) {
		struct sockaddr_in to;
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		size_t len = 0;
		int frames = 1 + (int)(rnd() % 10);
		int ending = (int)(rnd() % 3);

		cr_assert_geq(fd, 0);
		memset(&to, 0, sizeof(to));
		to.sin_family = AF_INET;
		to.sin_port = htons((uint16_t)srv.port);
		inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
		cr_assert_eq(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0, "connect %d: %s",
		             i, strerror(errno));
		for (int f = 0; f < frames; f++) {
			uint8_t *p = stream + len;
			size_t n = garbage(p + 2);
			switch (rnd() % 4) {
			case 0: /* raw bytes: the framing itself is garbage */
				memmove(p, p + 2, n);
				break;
			case 1: /* a length that does not match what follows */
				p[0] = (uint8_t)rnd();
				p[1] = (uint8_t)rnd();
				n += 2;
				break;
			default: /* a correctly framed bad message */
				p[0] = (uint8_t)(n >> 8);
				p[1] = (uint8_t)n;
				n += 2;
			}
			len += n;
		}
		if (ending == 2)
			len = len ? rnd() % len : 0; /* stop in the middle of something */
		cr_assert_eq(send(fd, stream, len, MSG_NOSIGNAL), (ssize_t)len, "send %d", i);
		if (ending == 0) {
			/* half-close: the server answers what it can and must then close */
			shutdown(fd, SHUT_WR);
			halfclosed++;
			cr_expect(tcp_read_to_eof(fd, 5000, &replies),
			          "connection %d still open 5 s after the client finished", i);
		}
		close(fd); /* endings 1 and 2: vanish without reading (RST when data is unread) */
		if (i % 50 == 49) {
			char when[64];
			snprintf(when, sizeof(when), "after %d TCP connections", i + 1);
			expect_healthy(when);
		}
	}
	cr_log_info("%zu replies on %zu half-closed connections", replies, halfclosed);
	cr_expect_gt(replies, 0, "no replies at all on %zu half-closed connections", halfclosed);
	expect_healthy("after the TCP garbage");
}
