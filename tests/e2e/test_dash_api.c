/* tests/e2e/test_dash_api.c -- the dashboard's resources of bin/mxlabd's control API without a
   browser: the page (self-contained, with its security headers), /catalog and each scenario's
   rules, the /events stream (entries pushed, a client that does not read is dropped), and the
   readable query log (--query-log-format text). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>
#include <ldns/ldns.h>

#include "tests/support/support.h"

static struct testsrv srv;
static char dir[256];
static char sock[300];

static void
stop_srv(void)
{
	testsrv_stop(&srv);
}

TestSuite(e2e_dash_api, .fini = stop_srv, .timeout = 60);

/* Serve the bundled catalog with the control API on a UNIX socket. */
static void
start_catalog(const char *const extra[])
{
	char ctl[320];
	const char *args[16];
	size_t n = 0;

	test_tmpdir(dir, sizeof(dir));
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	snprintf(ctl, sizeof(ctl), "unix:%s", sock);
	args[n++] = "-z";
	args[n++] = test_src("zones");
	args[n++] = "--control";
	args[n++] = ctl;
	for (size_t i = 0; extra && extra[i] && n < 15; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	cr_assert_eq(testsrv_start(&srv, args), 0, "%s", testsrv_stderr(&srv));
}

/* Connect to the control socket and send a GET for path (the connection stays open). */
static int
open_get(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char req[512];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), n;

	cr_assert_geq(fd, 0);
	memcpy(sun.sun_path, sock, strlen(sock) + 1);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0, "%s", strerror(errno));
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", path);
	cr_assert_eq(write(fd, req, (size_t)n), n);
	return fd;
}

/* Read from fd into buf until it holds want (or, want NULL, until EOF), at most timeout_ms.
   Returns the bytes held; *eof says whether the peer closed. */
static size_t
read_until(int fd, char *buf, size_t cap, size_t used, const char *want, int timeout_ms, bool *eof)
{
	double deadline = test_now_ms() + timeout_ms;

	*eof = false;
	while (used + 1 < cap) {
		buf[used] = '\0';
		if (want && strstr(buf, want))
			break;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int left = (int)(deadline - test_now_ms());
		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		ssize_t r = read(fd, buf + used, cap - used - 1);
		if (r <= 0) {
			*eof = true;
			break;
		}
		used += (size_t)r;
	}
	buf[used] = '\0';
	return used;
}

Test(e2e_dash_api, the_page_is_html_built_in_loading_nothing_from_elsewhere)
{
	static char resp[262144];
	int fd;
	bool eof;
	char *body;

	start_catalog(NULL);
	fd = open_get("/");
	read_until(fd, resp, sizeof(resp), 0, "</html>", 5000, &eof);
	close(fd);
	cr_assert_eq(strncmp(resp, "HTTP/1.1 200", 12), 0, "%.200s", resp);
	cr_expect_not_null(strstr(resp, "Content-Type: text/html; charset=utf-8"));
	cr_expect_not_null(strstr(resp, "Content-Security-Policy: default-src 'none'"));
	cr_expect_not_null(strstr(resp, "frame-ancestors 'none'"));
	cr_expect_not_null(strstr(resp, "X-Frame-Options: DENY"));
	body = strstr(resp, "\r\n\r\n");
	cr_assert_not_null(body);
	cr_expect_not_null(strstr(body, "<title>mxlab dashboard</title>"));
	cr_expect_not_null(strstr(body, "</html>"));
	cr_expect_null(strstr(body, "http://"), "the page refers to another origin");
	cr_expect_null(strstr(body, "https://"), "the page refers to another origin");
	cr_expect_null(strstr(body, " src="), "the page loads a resource");
}

static json_t *
scenario(json_t *cat, const char *target)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(cat, "scenarios"), i, v)
	{
		if (strcmp(json_string_value(json_object_get(v, "target")), target) == 0)
			return v;
	}
	return NULL;
}

Test(e2e_dash_api, catalog_lists_scenarios_with_their_rules_and_whether_they_are_served)
{
	json_t *cat, *sc;

	start_catalog(NULL);
	cr_assert_eq(test_http_unix(sock, "GET", "/catalog", NULL, &cat, NULL, 0), 200);
	cr_assert_not_null(cat);
	cr_expect_gt(json_array_size(json_object_get(cat, "scenarios")), 40);
	cr_expect_eq(json_integer_value(json_object_get(cat, "port")), srv.port);

	sc = scenario(cat, "mx-tcp-broken.test");
	cr_assert_not_null(sc);
	cr_expect_str_eq(json_string_value(json_object_get(sc, "verdict")), "tempfail");
	cr_expect_str_eq(json_string_value(json_array_get(json_object_get(sc, "codes"), 0)),
	                 "dns-tcp-failed");
	cr_expect_str_eq(json_string_value(json_object_get(sc, "scope")), "mx-tcp-broken.test.");
	cr_assert_eq(json_array_size(json_object_get(sc, "rules")), 2);
	cr_expect_str_eq(json_string_value(json_array_get(json_object_get(sc, "rules"), 0)),
	                 "mx-tcp-broken.test. MX tcp-close");
	cr_expect_eq(json_integer_value(json_object_get(sc, "active")), 2);
	sc = scenario(cat, "healthy.test");
	cr_assert_not_null(sc);
	cr_expect_eq(json_array_size(json_object_get(sc, "rules")), 0);
	sc = scenario(cat, "198.51.100.52");
	cr_assert_not_null(sc);
	cr_expect_str_eq(json_string_value(json_array_get(json_object_get(sc, "rules"), 0)),
	                 "52.100.51.198.in-addr.arpa. PTR drop");
	json_decref(cat);

	/* the served rules cleared: the scenarios' rules are still listed, none served */
	cr_assert_eq(test_http_unix(sock, "DELETE", "/faults", NULL, &cat, NULL, 0), 200);
	json_decref(cat);
	cr_assert_eq(test_http_unix(sock, "GET", "/catalog", NULL, &cat, NULL, 0), 200);
	sc = scenario(cat, "mx-tcp-broken.test");
	cr_expect_eq(json_array_size(json_object_get(sc, "rules")), 2);
	cr_expect_eq(json_integer_value(json_object_get(sc, "active")), 0);
	json_decref(cat);

	cr_expect_eq(test_http_unix(sock, "POST", "/catalog", "x", &cat, NULL, 0), 405);
	json_decref(cat);
}

Test(e2e_dash_api, catalog_is_empty_for_zones_without_one)
{
	char ctl[320];
	json_t *cat;

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "example.test.zone",
	           TEST_EXAMPLE_HEAD "ns1 IN A 127.0.0.1\n@ IN MX 10 ns1\n");
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	snprintf(ctl, sizeof(ctl), "unix:%s", sock);
	const char *args[] = {"--control", ctl, NULL};
	testsrv_start_dir(&srv, dir, args);
	cr_assert_eq(test_http_unix(sock, "GET", "/catalog", NULL, &cat, NULL, 0), 200);
	cr_expect_eq(json_array_size(json_object_get(cat, "scenarios")), 0);
	cr_expect(json_is_null(json_object_get(cat, "dir")));
	json_decref(cat);
}

Test(e2e_dash_api, events_push_each_new_query_as_one_event)
{
	static char buf[65536];
	bool eof;
	size_t used;
	int fd;
	ldns_pkt *p;

	start_catalog(NULL);
	fd = open_get("/events");
	used = read_until(fd, buf, sizeof(buf), 0, "\r\n\r\n", 3000, &eof);
	cr_assert_eq(strncmp(buf, "HTTP/1.1 200", 12), 0, "%.200s", buf);
	cr_expect_not_null(strstr(buf, "Content-Type: text/event-stream"), "%s", buf);
	p = test_query(srv.port, "healthy.test.", LDNS_RR_TYPE_MX, false, 0, 2000);
	cr_assert_not_null(p);
	ldns_pkt_free(p);
	p = test_query(srv.port, "mx-servfail.test.", LDNS_RR_TYPE_MX, false, 0, 2000);
	cr_assert_not_null(p);
	ldns_pkt_free(p);
	used = read_until(fd, buf, sizeof(buf), used, "mx-servfail.test. MX rcode=SERVFAIL", 3000,
	                  &eof);
	cr_expect_not_null(strstr(buf, "id: 1\ndata: {\"seq\":1,"), "%s", buf);
	cr_expect_not_null(strstr(buf, "\"qname\":\"healthy.test.\""), "%s", buf);
	cr_expect_not_null(strstr(buf, "id: 2\ndata: {\"seq\":2,"), "%s", buf);
	cr_expect_not_null(strstr(buf, "\"fault\":\"mx-servfail.test. MX rcode=SERVFAIL\""), "%s",
	                   buf);
	cr_expect_not(eof);
	close(fd);

	/* since= replays what is kept after it */
	fd = open_get("/events?since=1");
	read_until(fd, buf, sizeof(buf), 0, "id: 2\n", 3000, &eof);
	cr_expect_not_null(strstr(buf, "id: 2\n"), "%s", buf);
	cr_expect_null(strstr(buf, "id: 1\n"), "%s", buf);
	close(fd);

	fd = open_get("/events?since=x");
	read_until(fd, buf, sizeof(buf), 0, "\r\n\r\n", 3000, &eof);
	cr_expect_eq(strncmp(buf, "HTTP/1.1 400", 12), 0, "%.200s", buf);
	close(fd);
}

Test(e2e_dash_api, a_stream_that_is_not_read_is_dropped_and_the_server_goes_on)
{
	static char buf[1 << 16];
	uint8_t q[512], r[4096];
	int fd, rcv = 4096;
	bool eof = false;
	size_t qlen;
	double deadline;
	const char *const verbose[] = {"-v", NULL};

	start_catalog(verbose);
	fd = open_get("/events");
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	/* a long name makes each event big: the backlog passes EVENTS_MAX_BUFFERED quickly */
	qlen = test_make_query("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
	                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
	                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
	                       "healthy.test.",
	                       LDNS_RR_TYPE_A, 1, q, sizeof(q));
	for (int i = 0; i < 6000; i++)
		cr_assert_gt(test_raw_udp(srv.port, q, qlen, r, sizeof(r), 2000), 0,
		             "query %d unanswered", i);
	/* still not reading for a few ticks, so the server sees the backlog; then drain: a dropped
	   stream ends (EOF), a live one would keep going */
	poll(NULL, 0, 600);
	deadline = test_now_ms() + 20000;
	while (!eof && test_now_ms() < deadline)
		read_until(fd, buf, sizeof(buf), 0, NULL, 500, &eof);
	cr_expect(eof, "the stream that did not read was not dropped");
	close(fd);
	cr_expect_not_null(strstr(testsrv_stderr(&srv), "a client that does not keep up"), "%s",
	                   testsrv_stderr(&srv));
	cr_expect_gt(test_raw_udp(srv.port, q, qlen, r, sizeof(r), 2000), 0,
	             "the server stopped answering");
}

Test(e2e_dash_api, text_query_log_is_one_readable_line_per_query_without_colour_in_a_file)
{
	char log[300], text[8192];
	FILE *fp;
	size_t n;
	ldns_pkt *p;

	test_tmpdir(dir, sizeof(dir));
	snprintf(log, sizeof(log), "%s/q.log", dir);
	const char *args[] = {
	    "-z", test_src("zones"), "--query-log", log, "--query-log-format", "text", NULL};
	cr_assert_eq(testsrv_start(&srv, args), 0, "%s", testsrv_stderr(&srv));
	p = test_query(srv.port, "healthy.test.", LDNS_RR_TYPE_MX, false, 0, 2000);
	cr_assert_not_null(p);
	ldns_pkt_free(p);
	cr_assert_null(test_query(srv.port, "mx-timeout.test.", LDNS_RR_TYPE_MX, false, 0, 300));
	for (int i = 0; i < 100; i++) {
		fp = fopen(log, "r");
		cr_assert_not_null(fp);
		n = fread(text, 1, sizeof(text) - 1, fp);
		text[n] = '\0';
		fclose(fp);
		if (strstr(text, "mx-timeout"))
			break;
		poll(NULL, 0, 20);
	}
	cr_expect_not_null(strstr(text, "127.0.0.1       \xe2\x86\x92 127.0.0.1"), "%s", text);
	cr_expect_not_null(
	    strstr(text, "healthy.test.                MX     NOERROR  aa     1 ans"), "%s", text);
	cr_expect_not_null(strstr(text, "no-reply"), "%s", text);
	cr_expect_not_null(strstr(text, "fault drop: mx-timeout.test. MX drop"), "%s", text);
	cr_expect_null(strchr(text, '\033'), "colour in a file");
	cr_expect_null(strchr(text, '{'), "JSON in a text log");
}

Test(e2e_dash_api, an_unknown_log_format_is_refused)
{
	char out[1024];
	const char *argv[] = {test_bin("mxlabd"), "--query-log-format", "yaml", "--check", NULL};

	cr_expect_eq(test_run(argv, out, sizeof(out), 5000), 2);
}
