/* tests/e2e/test_net_limits.c -- bin/mxlabd's transport limits against hostile or careless
   peers: delayed UDP answers are capped globally and per client address (the rest shed,
   counted in /stats and the query log), a TCP frame must complete within its own deadline
   however often bytes drip in, and a full connection table makes room by closing the longest
   idle or slowest connection instead of refusing the new one. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>
#include <ldns/ldns.h>

#include "tests/support/support.h"

static const char zone_text[] = TEST_EXAMPLE_HEAD "ns1   IN A   127.0.0.1\n"
                                                  "www   IN A   192.0.2.1\n"
                                                  "slow  IN A   192.0.2.7\n";

static struct testsrv srv = {.out_fd = -1};
static char dir[256];
static char sock[300];

static void
stop_srv(void)
{
	testsrv_stop(&srv);
	unsetenv("MXLABD_TCP_IDLE_MS");
	unsetenv("MXLABD_TCP_FRAME_MS");
	unsetenv("MXLABD_TCP_MAX_CONNS");
	unsetenv("MXLABD_UDP_WAITING_MAX");
	unsetenv("MXLABD_UDP_WAITING_PER_CLIENT");
}

TestSuite(e2e_net_limits, .fini = stop_srv);

/* Start srv on example.test (faults if given) with a control socket and a query log. */
static void
start(const char *faults)
{
	char ctl[320], qlog[300];

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "example.test.zone", zone_text);
	if (faults)
		test_write(dir, "faults.conf", faults);
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	snprintf(ctl, sizeof(ctl), "unix:%s", sock);
	snprintf(qlog, sizeof(qlog), "%s/queries.log", dir);
	const char *args[] = {"--control", ctl, "--query-log", qlog, NULL};
	testsrv_start_dir(&srv, dir, args);
}

/* GET path from the control socket; the parsed JSON body (caller decrefs). */
static json_t *
get_json(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char req[512], resp[65536];
	size_t used = 0;
	double deadline = test_now_ms() + 5000;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), n;
	char *body;
	json_t *j;

	cr_assert_geq(fd, 0);
	memcpy(sun.sun_path, sock, strlen(sock) + 1);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0, "connect: %s",
	             strerror(errno));
	n = snprintf(req, sizeof(req),
	             "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", path);
	cr_assert_eq(write(fd, req, (size_t)n), n);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int left = (int)(deadline - test_now_ms());
		ssize_t r;
		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		if ((r = read(fd, resp + used, sizeof(resp) - 1 - used)) <= 0)
			break;
		used += (size_t)r;
	}
	close(fd);
	resp[used] = '\0';
	body = strstr(resp, "\r\n\r\n");
	cr_assert_not_null(body, "no HTTP response: %s", resp);
	j = json_loads(body + 4, JSON_DISABLE_EOF_CHECK, NULL);
	cr_assert_not_null(j, "not JSON: %s", body + 4);
	return j;
}

static long long
stat_of(const char *key)
{
	json_t *j = get_json("/stats");
	json_t *v = json_object_get(j, key);
	long long n;

	cr_assert(json_is_integer(v), "/stats has no %s", key);
	n = json_integer_value(v);
	json_decref(j);
	return n;
}

/* ---- delayed UDP answers ------------------------------------------------------------------- */

/* A UDP socket bound to from (a loopback address) sending to the server. */
static int
udp_from(const char *from)
{
	struct sockaddr_in me = {.sin_family = AF_INET}, to = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(inet_pton(AF_INET, from, &me.sin_addr), 1);
	cr_assert_eq(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0, "bind %s: %s", from,
	             strerror(errno));
	to.sin_port = htons((uint16_t)srv.port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0);
	return fd;
}

/* Answers arriving on fd within ms. */
static int
count_answers(int fd, int ms)
{
	double deadline = test_now_ms() + ms;
	uint8_t r[4096];
	int got = 0;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int left = (int)(deadline - test_now_ms());
		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		if (recv(fd, r, sizeof(r), 0) > 12)
			got++;
	}
	return got;
}

Test(e2e_net_limits, delayed_udp_answers_are_capped_per_client_and_in_all)
{
	uint8_t q[512];
	int a, b;

	setenv("MXLABD_UDP_WAITING_PER_CLIENT", "4", 1);
	setenv("MXLABD_UDP_WAITING_MAX", "6", 1);
	start("slow.example.test. * delay=400\n");
	a = udp_from("127.0.0.1");
	b = udp_from("127.0.0.2");
	/* 5 from one client address: the 5th is over its own limit of 4 */
	for (int i = 0; i < 5; i++) {
		size_t len = test_make_query("slow.example.test.", LDNS_RR_TYPE_A,
		                             (uint16_t)(1 + i), q, sizeof(q));
		cr_assert_eq(send(a, q, len, 0), (ssize_t)len);
	}
	cr_assert_eq(count_answers(a, 100), 0, "delayed answers came early");
	/* 5 from another: only 2 fit under the server's limit of 6 */
	for (int i = 0; i < 5; i++) {
		size_t len = test_make_query("slow.example.test.", LDNS_RR_TYPE_A,
		                             (uint16_t)(11 + i), q, sizeof(q));
		cr_assert_eq(send(b, q, len, 0), (ssize_t)len);
	}
	cr_expect_eq(count_answers(a, 1500), 4, "client A: 4 delayed answers");
	cr_expect_eq(count_answers(b, 200), 2, "client B: 2 delayed answers");
	cr_expect_eq(stat_of("udp_shed"), 4, "shed queries counted in /stats");
	cr_expect_eq(stat_of("udp_waiting"), 0);

	/* the query log says which were shed */
	char path[300];
	snprintf(path, sizeof(path), "%s/queries.log", dir);
	json_t *lines = test_json_lines(path, 10, 3000);
	size_t shed = 0, answered = 0, i;
	json_t *e;
	cr_assert_not_null(lines);
	json_array_foreach(lines, i, e)
	{
		const char *act = json_string_value(json_object_get(e, "action"));
		if (act && strcmp(act, "shed") == 0) {
			shed++;
			cr_expect(json_is_null(json_object_get(e, "rcode")),
			          "a shed query got no answer");
		} else if (json_is_string(json_object_get(e, "rcode"))) {
			answered++;
		}
	}
	json_decref(lines);
	cr_expect_eq(shed, 4);
	cr_expect_eq(answered, 6);
	cr_expect(strstr(testsrv_stderr(&srv), "shedding") != NULL, "no warning: %s",
	          testsrv_stderr(&srv));

	/* once the waiting ones are answered, there is room again */
	size_t len = test_make_query("slow.example.test.", LDNS_RR_TYPE_A, 99, q, sizeof(q));
	cr_assert_eq(send(b, q, len, 0), (ssize_t)len);
	cr_expect_eq(count_answers(b, 1500), 1);
	close(a);
	close(b);
}

/* ---- TCP ----------------------------------------------------------------------------------- */

static int
tcp_connect(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv.port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0, "connect: %s",
	             strerror(errno));
	return fd;
}

/* Has the server closed fd (EOF or reset) within ms? */
static bool
closed_within(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	uint8_t b[512];

	if (poll(&p, 1, ms) <= 0)
		return false;
	return read(fd, b, sizeof(b)) <= 0;
}

/* One query over fd answered with its id. */
static bool
tcp_answers(int fd, uint16_t id)
{
	uint8_t q[514], r[4096];
	size_t len = test_make_query("www.example.test.", LDNS_RR_TYPE_A, id, q + 2, sizeof(q) - 2);
	size_t got = 0, want = 0;
	double deadline = test_now_ms() + 2000;

	q[0] = (uint8_t)(len >> 8);
	q[1] = (uint8_t)len;
	if (send(fd, q, len + 2, MSG_NOSIGNAL) != (ssize_t)(len + 2))
		return false;
	while (got < 2 || got < want) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int left = (int)(deadline - test_now_ms());
		ssize_t n;
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return false;
		if ((n = read(fd, r + got, sizeof(r) - got)) <= 0)
			return false;
		got += (size_t)n;
		if (got >= 2)
			want = 2 + ((size_t)r[0] << 8 | r[1]);
	}
	return want > 14 && (uint16_t)(r[2] << 8 | r[3]) == id;
}

Test(e2e_net_limits, a_slow_drip_cannot_hold_a_tcp_connection)
{
	uint8_t q[514];
	size_t len = test_make_query("www.example.test.", LDNS_RR_TYPE_A, 5, q + 2, sizeof(q) - 2);
	double t0;
	bool closed = false;
	size_t i;

	setenv("MXLABD_TCP_IDLE_MS", "3000", 1);
	setenv("MXLABD_TCP_FRAME_MS", "400", 1);
	start(NULL);
	q[0] = (uint8_t)(len >> 8);
	q[1] = (uint8_t)len;
	int fd = tcp_connect();
	t0 = test_now_ms();
	/* one byte every 100 ms: each byte is activity, but the frame never completes in time */
	for (i = 0; i < len + 2 && test_now_ms() - t0 < 2500; i++) {
		if (send(fd, q + i, 1, MSG_NOSIGNAL) != 1 || closed_within(fd, 100)) {
			closed = true;
			break;
		}
	}
	cr_expect(closed, "still open after %.0f ms of dripping", test_now_ms() - t0);
	cr_expect_geq(test_now_ms() - t0, 300, "closed before the frame deadline");
	close(fd);

	/* a frame sent whole, and an idle wait shorter than the idle timeout, are fine */
	fd = tcp_connect();
	cr_expect(tcp_answers(fd, 6));
	cr_expect_not(closed_within(fd, 800), "closed while idle for less than the idle timeout");
	cr_expect(tcp_answers(fd, 7));
	close(fd);
}

Test(e2e_net_limits, a_full_table_closes_the_longest_idle_connection)
{
	int fds[3];

	setenv("MXLABD_TCP_MAX_CONNS", "2", 1);
	start(NULL);
	fds[0] = tcp_connect();
	fds[1] = tcp_connect();
	cr_assert(tcp_answers(fds[1], 1));
	poll(NULL, 0, 50);
	cr_assert(tcp_answers(fds[0], 2)); /* fds[1] is now the one idle longest */
	fds[2] = tcp_connect();
	cr_expect(tcp_answers(fds[2], 3), "the new connection was not served");
	cr_expect(closed_within(fds[1], 2000), "the longest idle connection stayed open");
	cr_expect(tcp_answers(fds[0], 4), "the recently used connection was closed");
	cr_expect_eq(stat_of("tcp_evicted"), 1);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
}

Test(e2e_net_limits, a_full_table_closes_the_slowest_connection)
{
	int fds[3];
	uint8_t half[3] = {0, 40, 0x12}; /* a frame of 40 bytes, 1 byte of it sent */

	setenv("MXLABD_TCP_MAX_CONNS", "2", 1);
	start(NULL);
	fds[0] = tcp_connect();
	cr_assert_eq(send(fds[0], half, sizeof(half), MSG_NOSIGNAL), 3);
	poll(NULL, 0, 50);
	fds[1] = tcp_connect();
	cr_assert(tcp_answers(fds[1], 1));
	fds[2] = tcp_connect();
	cr_expect(tcp_answers(fds[2], 2), "the new connection was not served");
	cr_expect(closed_within(fds[0], 2000), "the connection stuck in a frame stayed open");
	cr_expect(tcp_answers(fds[1], 3), "the working connection was closed");
	for (int i = 0; i < 3; i++)
		close(fds[i]);
}

/* ---- back-pressure ------------------------------------------------------------------------- */

/* Frame a query for name with id into out (room for 514 bytes); returns the framed length. */
static size_t
framed(const char *name, uint16_t type, uint16_t id, uint8_t *out)
{
	size_t len = test_make_query(name, type, id, out + 2, 512);

	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	return len + 2;
}

/* Reads whole frames from fd into the ids array (in arrival order) until want frames came or
   ms passed; returns how many came. buf/used keep partial frames between calls. */
static size_t
read_ids(int fd, uint16_t *ids, size_t have, size_t want, int ms, uint8_t *buf, size_t *used,
         size_t cap)
{
	double deadline = test_now_ms() + ms;

	while (have < want) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int left = (int)(deadline - test_now_ms());
		ssize_t r;

		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		if ((r = read(fd, buf + *used, cap - *used)) <= 0)
			break;
		*used += (size_t)r;
		for (;;) {
			size_t flen;
			if (*used < 2 || *used < 2 + (flen = (size_t)buf[0] << 8 | buf[1]))
				break;
			cr_assert_geq(flen, 12);
			ids[have++] = (uint16_t)(buf[2] << 8 | buf[3]);
			memmove(buf, buf + 2 + flen, *used - 2 - flen);
			*used -= 2 + flen;
		}
	}
	return have;
}

Test(e2e_net_limits, reading_pauses_at_64_delayed_queries_on_a_connection)
{
	static uint8_t q[71 * 514], buf[65536];
	uint16_t ids[80];
	size_t n = 0, used = 0, got;
	double t0;

	start("slow.example.test. * delay=500\n");
	for (int i = 0; i < 70; i++)
		n += framed("slow.example.test.", LDNS_RR_TYPE_A, (uint16_t)(100 + i), q + n);
	n += framed("www.example.test.", LDNS_RR_TYPE_A, 7, q + n);
	int fd = tcp_connect();
	t0 = test_now_ms();
	cr_assert_eq(write(fd, q, n), (ssize_t)n);
	/* the 65th query and everything behind it wait until delayed answers went out */
	got = read_ids(fd, ids, 0, 1, 300, buf, &used, sizeof(buf));
	cr_expect_eq(got, 0, "an answer came before any delay ended (id %u)", got ? ids[0] : 0);
	got = read_ids(fd, ids, got, 1, 2000, buf, &used, sizeof(buf));
	cr_assert_geq(got, 1);
	cr_expect_geq(test_now_ms() - t0, 450, "the first delayed answer came early");
	got = read_ids(fd, ids, got, 71, 4000, buf, &used, sizeof(buf));
	cr_expect_eq(got, 71, "only %zu of 71 answers", got);
	/* each delayed answer sent lets one more query in: queries 65-70 (delayed) enter with
	   answers 1-6, and the undelayed one behind them with answer 7, then goes out at once */
	size_t www = 71;
	for (size_t i = 0; i < got; i++)
		if (ids[i] == 7)
			www = i;
	cr_expect_eq(www, 7, "the undelayed query was answered at position %zu", www);
	cr_expect_geq(test_now_ms() - t0, 900, "the last 6 delayed answers waited their own delay");
	close(fd);
}

Test(e2e_net_limits, a_client_that_reads_late_gets_every_reply_in_order)
{
	enum { N = 3000 };
	static uint8_t q[N * 64], buf[262144];
	static uint16_t ids[N];
	size_t n = 0, off = 0, used = 0, got = 0;
	double deadline;

	start(NULL);
	for (int i = 0; i < N; i++)
		n += framed("example.test.", LDNS_RR_TYPE_SOA, (uint16_t)(i + 1), q + n);
	cr_assert_leq(n, sizeof(q));
	int fd = tcp_connect();
	int small = 16384;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	/* write without reading until the server stops taking queries (its replies pile up) */
	deadline = test_now_ms() + 2000;
	while (off < n && test_now_ms() < deadline) {
		ssize_t r = send(fd, q + off, n - off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r > 0) {
			off += (size_t)r;
			continue;
		}
		cr_assert(r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK), "send: %s",
		          strerror(errno));
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		if (poll(&p, 1, 200) <= 0)
			break; /* the server stopped reading: back-pressure */
	}
	/* now read everything, sending the rest as room appears */
	deadline = test_now_ms() + 10000;
	while (got < N && test_now_ms() < deadline) {
		if (off < n) {
			ssize_t r = send(fd, q + off, n - off, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (r > 0)
				off += (size_t)r;
		}
		got =
		    read_ids(fd, ids, got, got + 1 < N ? got + 1 : N, 200, buf, &used, sizeof(buf));
	}
	cr_expect_eq(got, N, "%zu of %d replies", got, N);
	for (size_t i = 0; i < got; i++)
		cr_assert_eq(ids[i], i + 1, "reply %zu has id %u", i, ids[i]);
	close(fd);
}
