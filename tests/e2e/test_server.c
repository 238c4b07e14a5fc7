/* tests/e2e/test_server.c -- bin/mxlabd end to end: answers over UDP/TCP, truncation, TCP
   pipelining and idle timeout, port file, errors and exit codes, reload, query log, delays. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>
#include <ldns/ldns.h>

#include "tests/support/support.h"

static const char zone_text[] = TEST_EXAMPLE_HEAD "@     IN MX  10 mail\n"
                                                  "ns1   IN A   127.0.0.1\n"
                                                  "mail  IN A   192.0.2.25\n"
                                                  "www   IN A   192.0.2.1\n"
                                                  "slow  IN A   192.0.2.7\n";

/* An RRset far bigger than 512 bytes: 20 TXT records of 60 characters. */
static void
write_zone_with_big(const char *dir, const char *name, const char *www_addr)
{
	char text[8192];
	size_t n = (size_t)snprintf(text, sizeof(text),
	                            TEST_EXAMPLE_HEAD "ns1   IN A   127.0.0.1\n"
	                                              "www   IN A   %s\n"
	                                              "slow  IN A   192.0.2.7\n",
	                            www_addr);
	for (int i = 0; i < 20; i++)
		n += (size_t)snprintf(
		    text + n, sizeof(text) - n,
		    "big IN TXT \"%02d-abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
		    "01234\"\n",
		    i);
	test_write(dir, name, text);
}

/* The server a test starts (stopped after every test) and its zone directory. */
static struct testsrv srv = {.out_fd = -1};
static char srvdir[256];

static void
stop_srv(void)
{
	testsrv_stop(&srv);
}

TestSuite(e2e_server, .fini = stop_srv);

/* Start srv on a fresh srvdir holding example.test.zone (and faults.conf if given). */
static void
start_example(const char *faults)
{
	test_tmpdir(srvdir, sizeof(srvdir));
	write_zone_with_big(srvdir, "example.test.zone", "192.0.2.1");
	if (faults)
		test_write(srvdir, "faults.conf", faults);
	testsrv_start_dir(&srv, srvdir, NULL);
}

/* Wire form of a query with its 2-byte TCP length in front; returns the framed length. */
static size_t
frame_query(const char *name, uint16_t id, uint8_t *out, size_t cap)
{
	size_t len = test_make_query(name, LDNS_RR_TYPE_A, id, out + 2, cap - 2);

	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	return len + 2;
}

static char *
first_a(ldns_pkt *p)
{
	ldns_rr_list *an = ldns_pkt_answer(p);
	for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A)
			return ldns_rdf2str(ldns_rr_rdf(rr, 0));
	}
	return NULL;
}

static void
expect_a(int port, const char *name, bool tcp, const char *addr)
{
	ldns_pkt *p = test_query(port, name, LDNS_RR_TYPE_A, tcp, 0, 2000);
	char *got;

	cr_assert_not_null(p, "no answer for %s over %s", name, tcp ? "TCP" : "UDP");
	cr_expect_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	cr_expect(ldns_pkt_aa(p), "AA not set over %s", tcp ? "TCP" : "UDP");
	cr_expect_not(ldns_pkt_ra(p));
	got = first_a(p);
	cr_assert_not_null(got, "no A record in the answer");
	cr_expect_str_eq(got, addr);
	free(got);
	ldns_pkt_free(p);
}

static int
tcp_connect(int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0, "connect: %s",
	             strerror(errno));
	return fd;
}

/* Read exactly n bytes within timeout_ms; returns bytes read (< n on EOF/timeout). */
static size_t
read_full(int fd, uint8_t *buf, size_t n, int timeout_ms)
{
	double deadline = test_now_ms() + timeout_ms;
	size_t got = 0;

	while (got < n) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int left = (int)(deadline - test_now_ms());
		ssize_t r;
		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		r = read(fd, buf + got, n - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

/* Read one length-framed TCP message; returns its length, 0 on EOF/timeout. */
static size_t
read_frame(int fd, uint8_t *buf, size_t cap, int timeout_ms)
{
	uint8_t hdr[2];
	size_t len;

	if (read_full(fd, hdr, 2, timeout_ms) != 2)
		return 0;
	len = (size_t)hdr[0] << 8 | hdr[1];
	cr_assert(len <= cap);
	return read_full(fd, buf, len, timeout_ms) == len ? len : 0;
}

static uint16_t
wire_id(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Run a shell command line, capturing stdout and stderr together. */
static int
run_sh(const char *cmd, char *out, size_t cap)
{
	const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	return test_run(argv, out, cap, 20000);
}

/* ---- answers ------------------------------------------------------------------------------ */

Test(e2e_server, answers_with_aa_over_udp_and_tcp)
{
	start_example(NULL);
	expect_a(srv.port, "www.example.test.", false, "192.0.2.1");
	expect_a(srv.port, "www.example.test.", true, "192.0.2.1");
	cr_expect_eq(WEXITSTATUS(testsrv_stop(&srv)), 0, "SIGTERM should exit 0");
}

Test(e2e_server, answers_over_ipv6_loopback)
{
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	int probe = socket(AF_INET6, SOCK_DGRAM, 0);
	uint8_t framed[514], r[4096], *q = framed + 2;
	size_t flen, qlen;
	ssize_t n;
	ldns_pkt *p = NULL;

	if (probe < 0 || bind(probe, (struct sockaddr *)&sin6, sizeof(sin6)) < 0) {
		if (probe >= 0)
			close(probe);
		cr_skip_test("no ::1 on this machine");
	}
	close(probe);
	start_example(NULL);
	flen = frame_query("www.example.test.", 4242, framed, sizeof(framed));
	qlen = flen - 2;

	/* UDP over ::1 */
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	sin6.sin6_port = htons((uint16_t)srv.port);
	cr_assert(sendto(fd, q, qlen, 0, (struct sockaddr *)&sin6, sizeof(sin6)) == (ssize_t)qlen);
	struct pollfd pf = {.fd = fd, .events = POLLIN};
	cr_assert_gt(poll(&pf, 1, 2000), 0, "no UDP answer over ::1");
	n = recv(fd, r, sizeof(r), 0);
	close(fd);
	cr_assert_gt(n, 12);
	cr_assert_eq(ldns_wire2pkt(&p, r, (size_t)n), LDNS_STATUS_OK);
	cr_expect_eq(ldns_pkt_id(p), 4242);
	cr_expect(ldns_pkt_aa(p));
	cr_expect_eq(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);

	/* TCP over ::1 */
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sin6, sizeof(sin6)), 0);
	cr_assert(write(fd, framed, flen) == (ssize_t)flen);
	n = (ssize_t)read_frame(fd, r, sizeof(r), 2000);
	close(fd);
	cr_assert_gt(n, 12, "no TCP answer over ::1");
	p = NULL;
	cr_assert_eq(ldns_wire2pkt(&p, r, (size_t)n), LDNS_STATUS_OK);
	cr_expect(ldns_pkt_aa(p));
	cr_expect_eq(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
}

Test(e2e_server, nxdomain_carries_soa)
{
	ldns_pkt *p;

	start_example(NULL);
	p = test_query(srv.port, "nope.example.test.", LDNS_RR_TYPE_A, false, 0, 2000);
	cr_assert_not_null(p);
	cr_expect_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	cr_expect(ldns_pkt_aa(p));
	cr_expect_eq(ldns_pkt_ancount(p), 0);
	cr_assert_eq(ldns_pkt_nscount(p), 1);
	cr_expect_eq(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_authority(p), 0)), LDNS_RR_TYPE_SOA);
	ldns_pkt_free(p);
}

Test(e2e_server, big_rrset_truncated_over_udp_whole_over_tcp)
{
	ldns_pkt *p;

	start_example(NULL);
	p = test_query(srv.port, "big.example.test.", LDNS_RR_TYPE_TXT, false, 0, 2000);
	cr_assert_not_null(p);
	cr_expect(ldns_pkt_tc(p), "TC not set on a >512 byte answer without EDNS");
	cr_expect_eq(ldns_pkt_ancount(p), 0, "half an RRset was sent");
	ldns_pkt_free(p);

	p = test_query(srv.port, "big.example.test.", LDNS_RR_TYPE_TXT, true, 0, 2000);
	cr_assert_not_null(p);
	cr_expect_not(ldns_pkt_tc(p));
	cr_expect_eq(ldns_pkt_ancount(p), 20);
	ldns_pkt_free(p);
}

/* ---- TCP ---------------------------------------------------------------------------------- */

Test(e2e_server, tcp_answers_pipelined_queries)
{
	uint8_t buf[1024], r[65536];
	size_t n = 0;
	bool seen1 = false, seen2 = false;

	start_example(NULL);
	n = frame_query("www.example.test.", 1111, buf, 400);
	n += frame_query("ns1.example.test.", 2222, buf + n, 400);

	int fd = tcp_connect(srv.port);
	cr_assert_eq(write(fd, buf, n), (ssize_t)n, "both queries in one write");
	for (int i = 0; i < 2; i++) {
		size_t got = read_frame(fd, r, sizeof(r), 2000);
		cr_assert_gt(got, 12, "answer %d missing", i + 1);
		seen1 |= wire_id(r) == 1111;
		seen2 |= wire_id(r) == 2222;
	}
	close(fd);
	cr_expect(seen1 && seen2, "both pipelined queries answered");
}

Test(e2e_server, tcp_idle_connection_is_closed)
{
	uint8_t b;
	double t0;

	setenv("MXLABD_TCP_IDLE_MS", "300", 1);
	start_example(NULL);
	int fd = tcp_connect(srv.port);
	t0 = test_now_ms();
	struct pollfd p = {.fd = fd, .events = POLLIN};
	cr_assert_gt(poll(&p, 1, 5000), 0, "idle connection still open after 5 s");
	cr_expect_eq(read(fd, &b, 1), 0, "expected EOF from the server");
	cr_expect_geq(test_now_ms() - t0, 200, "closed before the idle timeout");
	close(fd);
}

/* ---- command line, files, exit codes ------------------------------------------------------- */

Test(e2e_server, port_file_holds_the_port)
{
	char pf[300], text[64] = "";
	FILE *fp;

	test_tmpdir(srvdir, sizeof(srvdir));
	write_zone_with_big(srvdir, "example.test.zone", "192.0.2.1");
	snprintf(pf, sizeof(pf), "%s/port", srvdir);
	const char *args[] = {"--port-file", pf, NULL};
	testsrv_start_dir(&srv, srvdir, args);
	fp = fopen(pf, "r");
	cr_assert_not_null(fp, "port file not written");
	cr_assert_not_null(fgets(text, sizeof(text), fp));
	fclose(fp);
	char want[64];
	snprintf(want, sizeof(want), "%d\n", srv.port);
	cr_expect_str_eq(text, want);
}

Test(e2e_server, bad_zone_exits_2_naming_file_and_line)
{
	char dir[256], cmd[1024], out[8192], want[400];

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "bad.zone",
	           "$ORIGIN bad.test.\n$TTL 300\n@ IN SOA ns1 h 1 2 3 4 5\n@ IN NS ns1\n"
	           "www IN A 300.1.2.3\n");
	snprintf(cmd, sizeof(cmd), "exec '%s' -p 0 '%s/bad.zone' 2>&1", test_bin("mxlabd"), dir);
	cr_expect_eq(run_sh(cmd, out, sizeof(out)), 2, "output: %s", out);
	snprintf(want, sizeof(want), "%s/bad.zone:5:", dir);
	cr_expect(strstr(out, want) != NULL, "no '%s' in: %s", want, out);
	cr_expect(strstr(out, "ready") == NULL, "must not start: %s", out);
}

Test(e2e_server, check_exit_codes)
{
	char good[256], bad[256], empty[256], cmd[1200], out[8192], want[400];

	test_tmpdir(good, sizeof(good));
	test_write(good, "example.test.zone", zone_text);
	snprintf(cmd, sizeof(cmd), "exec '%s' --check -z '%s' 2>&1", test_bin("mxlabd"), good);
	cr_expect_eq(run_sh(cmd, out, sizeof(out)), 0, "clean data: %s", out);

	/* a warning: a -z directory without zone files */
	test_tmpdir(empty, sizeof(empty));
	snprintf(cmd, sizeof(cmd), "exec '%s' --check -z '%s' -z '%s' 2>&1", test_bin("mxlabd"),
	         good, empty);
	cr_expect_eq(run_sh(cmd, out, sizeof(out)), 1, "warnings only: %s", out);
	cr_expect(strstr(out, ": warning: ") != NULL, "%s", out);

	test_tmpdir(bad, sizeof(bad));
	test_write(bad, "example.test.zone", zone_text);
	test_write(bad, "faults.conf", "www.example.test. A explode\n");
	snprintf(cmd, sizeof(cmd), "exec '%s' --check -z '%s' 2>&1", test_bin("mxlabd"), bad);
	cr_expect_eq(run_sh(cmd, out, sizeof(out)), 2, "bad rule: %s", out);
	snprintf(want, sizeof(want), "%s/faults.conf:1: error: ", bad);
	cr_expect(strstr(out, want) != NULL, "no '%s' in: %s", want, out);
}

Test(e2e_server, non_loopback_address_refused)
{
	char dir[256], cmd[1024], out[8192];

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "example.test.zone", zone_text);
	snprintf(cmd, sizeof(cmd), "exec '%s' -p 0 -a 192.0.2.1 -z '%s' 2>&1", test_bin("mxlabd"),
	         dir);
	cr_expect_eq(run_sh(cmd, out, sizeof(out)), 2, "%s", out);
	cr_expect(strstr(out, "--allow-nonlocal") != NULL, "message should name the flag: %s", out);
	cr_expect(strstr(out, "ready") == NULL);
}

Test(e2e_server, bad_flags_exit_2)
{
	char cmd[1024], out[8192];

	snprintf(cmd, sizeof(cmd), "exec '%s' --no-such-flag 2>&1", test_bin("mxlabd"));
	cr_expect_eq(run_sh(cmd, out, sizeof(out)), 2, "%s", out);
	snprintf(cmd, sizeof(cmd), "exec '%s' -p 70000 2>&1", test_bin("mxlabd"));
	cr_expect_eq(run_sh(cmd, out, sizeof(out)), 2, "%s", out);
	snprintf(cmd, sizeof(cmd), "exec '%s' --version", test_bin("mxlabd"));
	cr_expect_eq(run_sh(cmd, out, sizeof(out)), 0);
	cr_expect(strncmp(out, "mxlabd ", 7) == 0, "%s", out);
}

/* ---- reload ------------------------------------------------------------------------------- */

Test(e2e_server, sighup_reloads_and_keeps_old_data_on_error)
{
	char path[300];

	start_example(NULL);
	expect_a(srv.port, "www.example.test.", false, "192.0.2.1");

	write_zone_with_big(srvdir, "example.test.zone", "192.0.2.99");
	testsrv_signal(&srv, SIGHUP);
	cr_assert(testsrv_wait_stderr(&srv, "mxlabd: reloaded", 5000), "no reload: %s",
	          testsrv_stderr(&srv));
	expect_a(srv.port, "www.example.test.", false, "192.0.2.99");

	test_write(srvdir, "example.test.zone",
	           "$ORIGIN example.test.\n$TTL 300\n@ IN SOA ns1 h 2 2 3 4 5\n@ IN NS ns1\n"
	           "www IN A 192.0.2.100\nbroken IN A not-an-address\n");
	testsrv_signal(&srv, SIGHUP);
	cr_assert(testsrv_wait_stderr(&srv, "mxlabd: reload failed: ", 5000), "%s",
	          testsrv_stderr(&srv));
	snprintf(path, sizeof(path), "%s/example.test.zone:6:", srvdir);
	cr_expect(strstr(testsrv_stderr(&srv), path) != NULL, "reason should name %s: %s", path,
	          testsrv_stderr(&srv));
	expect_a(srv.port, "www.example.test.", false, "192.0.2.99");
	expect_a(srv.port, "www.example.test.", true, "192.0.2.99");
	cr_expect_eq(WEXITSTATUS(testsrv_stop(&srv)), 0);
}

/* ---- query log ---------------------------------------------------------------------------- */

Test(e2e_server, query_log_has_every_field)
{
	char logp[300];
	ldns_pkt *p;
	json_error_t jerr;
	json_t *j;
	char line[4096];
	FILE *fp;
	static const char *const fields[] = {
	    "seq",          "time",  "client", "listen", "transport", "id",
	    "qname",        "qtype", "edns",   "do",     "rcode",     "flags",
	    "answer_count", "fault", "action", "bytes",  "latency_us"};

	test_tmpdir(srvdir, sizeof(srvdir));
	write_zone_with_big(srvdir, "example.test.zone", "192.0.2.1");
	test_write(srvdir, "faults.conf", "slow.example.test. * rcode=SERVFAIL\n");
	snprintf(logp, sizeof(logp), "%s/queries.log", srvdir);
	const char *args[] = {"--query-log", logp, NULL};
	testsrv_start_dir(&srv, srvdir, args);
	p = test_query(srv.port, "WWW.example.test.", LDNS_RR_TYPE_A, false, 1232, 2000);
	cr_assert_not_null(p);
	ldns_pkt_free(p);
	p = test_query(srv.port, "slow.example.test.", LDNS_RR_TYPE_MX, true, 0, 2000);
	cr_assert_not_null(p);
	cr_expect_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	ldns_pkt_free(p);

	fp = fopen(logp, "r");
	cr_assert_not_null(fp);
	cr_assert_not_null(fgets(line, sizeof(line), fp), "no first log line");
	j = json_loads(line, 0, &jerr);
	cr_assert_not_null(j, "not JSON: %s (%s)", line, jerr.text);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		cr_expect_not_null(json_object_get(j, fields[i]), "field %s missing: %s", fields[i],
		                   line);
	cr_expect_eq(json_integer_value(json_object_get(j, "seq")), 1);
	cr_expect_str_eq(json_string_value(json_object_get(j, "qname")), "www.example.test.");
	cr_expect_str_eq(json_string_value(json_object_get(j, "qtype")), "A");
	cr_expect_str_eq(json_string_value(json_object_get(j, "transport")), "udp");
	cr_expect_str_eq(json_string_value(json_object_get(j, "rcode")), "NOERROR");
	cr_expect_eq(json_integer_value(json_object_get(j, "edns")), 1232);
	cr_expect_eq(json_integer_value(json_object_get(j, "answer_count")), 1);
	cr_expect(json_is_null(json_object_get(j, "fault")));
	cr_expect_str_eq(json_string_value(json_object_get(j, "action")), "answer");
	cr_expect(strstr(json_string_value(json_object_get(j, "flags")), "aa") != NULL);
	cr_expect(strncmp(json_string_value(json_object_get(j, "client")), "127.0.0.1#", 10) == 0);
	cr_expect_gt(json_integer_value(json_object_get(j, "bytes")), 12);
	const char *t = json_string_value(json_object_get(j, "time"));
	cr_expect(t && strlen(t) == 24 && t[10] == 'T' && t[19] == '.' && t[23] == 'Z',
	          "time not RFC 3339 with ms: %s", t ? t : "(null)");
	json_decref(j);

	cr_assert_not_null(fgets(line, sizeof(line), fp), "no second log line");
	j = json_loads(line, 0, &jerr);
	cr_assert_not_null(j, "not JSON: %s", line);
	cr_expect_eq(json_integer_value(json_object_get(j, "seq")), 2);
	cr_expect_str_eq(json_string_value(json_object_get(j, "transport")), "tcp");
	cr_expect_str_eq(json_string_value(json_object_get(j, "qtype")), "MX");
	cr_expect(json_is_null(json_object_get(j, "edns")));
	cr_expect_str_eq(json_string_value(json_object_get(j, "rcode")), "SERVFAIL");
	cr_expect_str_eq(json_string_value(json_object_get(j, "fault")),
	                 "slow.example.test. * rcode=SERVFAIL");
	json_decref(j);
	fclose(fp);
}

/* ---- delays do not hold up other queries --------------------------------------------------- */

Test(e2e_server, delayed_udp_query_does_not_hold_up_others)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	uint8_t q[512], r[4096];
	size_t len;
	ssize_t n;

	start_example("slow.example.test. * delay=300\n");
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	sin.sin_port = htons((uint16_t)srv.port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	len = test_make_query("slow.example.test.", LDNS_RR_TYPE_A, 1, q, sizeof(q));
	cr_assert(sendto(fd, q, len, 0, (struct sockaddr *)&sin, sizeof(sin)) == (ssize_t)len);
	len = test_make_query("www.example.test.", LDNS_RR_TYPE_A, 2, q, sizeof(q));
	cr_assert(sendto(fd, q, len, 0, (struct sockaddr *)&sin, sizeof(sin)) == (ssize_t)len);
	/* the undelayed answer arrives first, the delayed one after it */
	for (int i = 0; i < 2; i++) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		cr_assert_gt(poll(&p, 1, 3000), 0, "answer %d missing", i + 1);
		n = recv(fd, r, sizeof(r), 0);
		cr_assert_gt(n, 12);
		cr_expect_eq(wire_id(r), i == 0 ? 2 : 1, "answer %d has id %u", i + 1, wire_id(r));
	}
	close(fd);
}

Test(e2e_server, delayed_tcp_query_does_not_hold_up_the_connection)
{
	uint8_t buf[1024], r[4096];
	size_t n;

	start_example("slow.example.test. * delay=300\n");
	n = frame_query("slow.example.test.", 1, buf, 400);
	n += frame_query("www.example.test.", 2, buf + n, 400);

	int fd = tcp_connect(srv.port);
	cr_assert_eq(write(fd, buf, n), (ssize_t)n);
	cr_assert_gt(read_frame(fd, r, sizeof(r), 3000), 12);
	cr_expect_eq(wire_id(r), 2, "the undelayed answer should come first");
	cr_assert_gt(read_frame(fd, r, sizeof(r), 3000), 12, "the delayed answer never came");
	cr_expect_eq(wire_id(r), 1);
	close(fd);
}

Test(e2e_server, tcp_close_fault_closes_without_answer)
{
	uint8_t buf[600], r[4096];
	size_t len;

	start_example("www.example.test. * tcp-close\n");
	/* over UDP the rule never matches */
	expect_a(srv.port, "www.example.test.", false, "192.0.2.1");
	len = frame_query("www.example.test.", 9, buf, sizeof(buf));
	int fd = tcp_connect(srv.port);
	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
	cr_expect_eq(read_frame(fd, r, sizeof(r), 3000), 0, "expected a close, got an answer");
	close(fd);
}
