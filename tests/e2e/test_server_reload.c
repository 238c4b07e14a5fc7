/* tests/e2e/test_server_reload.c -- reloads and zone changes over a large served set do not
   stop the answering: POST /reload, PUT and DELETE /zones and SIGHUP are built off the event
   loop while a client keeps asking, and concurrent requests queue in order. */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <signal.h>
#include <sys/wait.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "tests/support/support.h"

#define BIG_RECORDS 400000
/* The longest a query sent during a build may wait for its answer. A build of the big zone
   takes far longer (it is asserted below), so a server building on its loop cannot pass. */
#define MAX_GAP_MS 50.0
/* Records of the zone transferred while sets are swapped (small enough for the ASan build). */
#define STRESS_RECORDS 20000
/* How long a zone file must be left alone before a reload may trust it unchanged (ZSTAMP_MARGIN_S,
   and a little). */
#define ZSTAMP_WAIT_S 2.3

static const char small_zone[] = TEST_EXAMPLE_HEAD "ns1  IN A   127.0.0.1\n"
                                                   "www  IN A   192.0.2.1\n";

static const char other_zone[] = TEST_OTHER_ZONE;

static struct testsrv srv;
static char dir[256];
static char sock[300];

static void
stop_srv(void)
{
	testsrv_stop(&srv);
}

TestSuite(e2e_server_reload, .fini = stop_srv, .timeout = 120);

/* A zone of BIG_RECORDS A records (and its SOA and NS). */
static void
write_big_zone(void)
{
	char path[400];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/big.test.zone", dir);
	fp = fopen(path, "w");
	cr_assert_not_null(fp);
	fprintf(fp, "$ORIGIN big.test.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n"
	            "@ IN NS ns1\nns1 IN A 127.0.0.1\n");
	for (int i = 0; i < BIG_RECORDS; i++)
		fprintf(fp, "h%d IN A 10.%d.%d.%d\n", i, (i >> 16) & 255, (i >> 8) & 255, i & 255);
	cr_assert_eq(fclose(fp), 0);
}

static void
start_big(void)
{
	char arg[320];

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "example.test.zone", small_zone);
	write_big_zone();
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	snprintf(arg, sizeof(arg), "unix:%s", sock);
	const char *args[] = {"--control", arg, NULL};
	testsrv_start_dir(&srv, dir, args);
}

/* A client asking www.example.test A over and over, one query at a time, timing each. */
struct prober {
	int port;           /* server port */
	atomic_bool stop;   /* set by the test: finish */
	double max_ms;      /* longest wait for an answer */
	unsigned long sent; /* queries sent */
	unsigned long lost; /* queries with no answer within a second */
	pthread_t thread;   /* the client */
};

static void *
prober_run(void *arg)
{
	struct prober *p = arg;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p->port)};
	uint8_t q[512], buf[1500];
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return NULL;
	while (!atomic_load(&p->stop)) {
		uint16_t id = (uint16_t)(p->sent & 0xffff);
		size_t n = test_make_query("www.example.test.", LDNS_RR_TYPE_A, id, q, sizeof(q));
		double t0 = test_now_ms(), dt;
		bool got = false;

		p->sent++;
		if (send(fd, q, n, 0) < 0)
			break;
		while (!got) {
			struct pollfd pfd = {.fd = fd, .events = POLLIN};
			int left = 1000 - (int)(test_now_ms() - t0);
			if (left <= 0 || poll(&pfd, 1, left) <= 0)
				break;
			ssize_t r = recv(fd, buf, sizeof(buf), 0);
			got = r >= 12 && buf[0] == (id >> 8) && buf[1] == (id & 0xff);
		}
		dt = test_now_ms() - t0;
		if (!got)
			p->lost++;
		if (dt > p->max_ms)
			p->max_ms = dt;
		usleep(1000); /* about 1000 probes a second: enough to see a stall */
	}
	close(fd);
	return NULL;
}

static void
prober_start(struct prober *p)
{
	memset(p, 0, sizeof(*p));
	p->port = srv.port;
	cr_assert_eq(pthread_create(&p->thread, NULL, prober_run, p), 0);
}

static void
prober_stop(struct prober *p)
{
	atomic_store(&p->stop, true);
	pthread_join(p->thread, NULL);
}

Test(e2e_server_reload, answering_goes_on_while_a_large_set_is_rebuilt)
{
	struct prober p;
	json_t *j = NULL;
	double t0, took;
	int code;

	start_big();
	prober_start(&p);
	usleep(100000);

	/* a reload re-reads the big zone (written again, so it is changed however long the
	   start took: an unchanged file would be shared, not read) */
	write_big_zone();
	t0 = test_now_ms();
	code = test_http_unix(sock, "POST", "/reload", NULL, &j, NULL, 0);
	json_decref(j);
	cr_expect_eq(code, 200);
	/* a PUT of a small zone copies and re-indexes the big one */
	code = test_http_unix(sock, "PUT", "/zones/other.test", other_zone, &j, NULL, 0);
	cr_expect_eq(code, 200);
	cr_expect_eq(json_integer_value(json_object_get(j, "zones")), 3);
	json_decref(j);
	code = test_http_unix(sock, "DELETE", "/zones/other.test", NULL, &j, NULL, 0);
	cr_expect_eq(code, 200);
	json_decref(j);
	took = test_now_ms() - t0;
	prober_stop(&p);

	/* the builds were long enough for a stall to show, and none showed */
	cr_expect_gt(took, 2 * MAX_GAP_MS,
	             "the three builds took only %.0f ms: make the zone bigger", took);
	cr_expect_gt(p.sent, 20ul, "only %lu probes", p.sent);
	cr_expect_eq(p.lost, 0ul, "%lu of %lu probes unanswered", p.lost, p.sent);
	cr_expect_lt(p.max_ms, MAX_GAP_MS, "a query waited %.1f ms during the builds (%.0f ms)",
	             p.max_ms, took);
}

/* Connect to the control socket and send one request; the answer is read by read_status. */
static int
send_request(const char *method, const char *path, const char *body)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char req[2048];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), n;

	cr_assert_geq(fd, 0);
	cr_assert_lt(strlen(sock), sizeof(sun.sun_path));
	memcpy(sun.sun_path, sock, strlen(sock) + 1);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	n = snprintf(req, sizeof(req),
	             "%s %s HTTP/1.1\r\nHost: localhost\r\nContent-Length: %zu\r\n"
	             "Connection: close\r\n\r\n%s",
	             method, path, body ? strlen(body) : 0, body ? body : "");
	cr_assert_eq(write(fd, req, (size_t)n), n);
	return fd;
}

/* The status code of the answer on fd (bounded, 20 s), -1 when none came. */
static int
read_status(int fd)
{
	char buf[4096];
	size_t len = 0;
	int code = -1;
	double end = test_now_ms() + 20000;

	while (len < 12 && test_now_ms() < end) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	if (sscanf(buf, "HTTP/1.1 %d", &code) != 1)
		code = -1;
	close(fd);
	return code;
}

Test(e2e_server_reload, requests_during_a_build_queue_in_order)
{
	ldns_pkt *pkt;
	int fds[3];

	start_big();
	/* a reload, a PUT and a DELETE at once on three connections: each waits for its own
	   build, in the order they came */
	fds[0] = send_request("POST", "/reload", NULL);
	usleep(20000);
	fds[1] = send_request("PUT", "/zones/other.test", other_zone);
	usleep(20000);
	fds[2] = send_request("DELETE", "/zones/big.test", NULL);
	for (int i = 0; i < 3; i++)
		cr_expect_eq(read_status(fds[i]), 200, "request %d", i);
	/* the PUT saw the reloaded set and the DELETE the PUT's */
	pkt = test_query(srv.port, "mail.other.test.", LDNS_RR_TYPE_A, false, 0, 2000);
	cr_assert_not_null(pkt);
	cr_expect_eq(ldns_pkt_get_rcode(pkt), LDNS_RCODE_NOERROR);
	cr_expect_eq(ldns_pkt_ancount(pkt), 1);
	ldns_pkt_free(pkt);
	pkt = test_query(srv.port, "h1.big.test.", LDNS_RR_TYPE_A, false, 0, 2000);
	cr_assert_not_null(pkt);
	cr_expect_eq(ldns_pkt_get_rcode(pkt), LDNS_RCODE_REFUSED);
	ldns_pkt_free(pkt);
}

Test(e2e_server_reload, sighup_builds_off_the_loop)
{
	struct prober p;

	start_big();
	prober_start(&p);
	usleep(100000);
	testsrv_signal(&srv, SIGHUP);
	cr_expect(testsrv_wait_stderr(&srv, "reloaded", 30000), "%s", testsrv_stderr(&srv));
	prober_stop(&p);
	cr_expect_eq(p.lost, 0ul, "%lu of %lu probes unanswered", p.lost, p.sent);
	cr_expect_lt(p.max_ms, MAX_GAP_MS, "a query waited %.1f ms during the reload", p.max_ms);
}

/* ---- unchanged zones are shared, not copied or read again (issue 12 item 10) -------------- */

/* The integer field key of the JSON reply j. */
static long long
jint(json_t *j, const char *key)
{
	return json_integer_value(json_object_get(j, key));
}

/* Send method path (body) and expect 200 with read and shared zones. */
static void
expect_build(const char *method, const char *path, const char *body, long long read,
             long long shared)
{
	json_t *j = NULL;
	int code = test_http_unix(sock, method, path, body, &j, NULL, 0);

	cr_assert_eq(code, 200, "%s %s: %d", method, path, code);
	cr_expect_eq(jint(j, "read"), read, "%s %s: read %lld zones, not %lld", method, path,
	             jint(j, "read"), read);
	cr_expect_eq(jint(j, "shared"), shared, "%s %s: shared %lld zones, not %lld", method, path,
	             jint(j, "shared"), shared);
	json_decref(j);
}

/* POST /reload: read and shared zones together are total. */
static void
reload_total(long long total)
{
	json_t *j = NULL;

	cr_assert_eq(test_http_unix(sock, "POST", "/reload", NULL, &j, NULL, 0), 200);
	cr_expect_eq(jint(j, "read") + jint(j, "shared"), total, "read %lld, shared %lld",
	             jint(j, "read"), jint(j, "shared"));
	json_decref(j);
}

/* The SOA serial zone answers with. */
static long
soa_serial(const char *zone)
{
	ldns_pkt *pkt = test_query(srv.port, zone, LDNS_RR_TYPE_SOA, false, 0, 2000);
	long serial = -1;

	cr_assert_not_null(pkt);
	if (ldns_pkt_ancount(pkt) == 1)
		serial = (long)ldns_rdf2native_int32(
		    ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(pkt), 0), 2));
	ldns_pkt_free(pkt);
	return serial;
}

static const char line[] = "mxlabd: reloaded: 1 zone read, 1 shared unchanged\n";

/* How often text is in the server's stderr. */
static int
count_in_stderr(const char *text)
{
	int n = 0;

	for (const char *p = testsrv_stderr(&srv); (p = strstr(p, text)) != NULL; p += strlen(text))
		n++;
	return n;
}

Test(e2e_server_reload, a_put_shares_the_large_zone_and_a_reload_reads_only_changed_files)
{

	start_big();
	/* PUT and DELETE of a small zone keep the big one (and example.test) as served */
	expect_build("PUT", "/zones/other.test", other_zone, 1, 2);
	expect_build("DELETE", "/zones/other.test", NULL, 0, 2);
	/* the files were written just before the server read them: too recent to be trusted, so
	   the first reload reads them again; once they are older, a reload shares what did not
	   change */
	usleep((ZSTAMP_WAIT_S)*1000000);
	reload_total(2); /* what was too recent then is read now (a slow start trusts some) */
	expect_build("POST", "/reload", NULL, 0, 2);
	cr_expect_eq(soa_serial("example.test."), 1);
	/* an edited zone file (same size: only the serial differs) is read again, the big zone
	   is still shared */
	test_write(dir, "example.test.zone",
	           "$ORIGIN example.test.\n$TTL 300\n@ IN SOA ns1 hostmaster 2 3600 600 86400 300\n"
	           "@ IN NS ns1\nns1 IN A 127.0.0.1\nwww IN A 192.0.2.1\n");
	expect_build("POST", "/reload", NULL, 1, 1);
	cr_expect_eq(soa_serial("example.test."), 2);
	/* SIGHUP says the same on stderr (where the POSTs above logged it already) */
	test_write(dir, "example.test.zone", small_zone);
	int seen = count_in_stderr(line);
	cr_assert_geq(seen, 1, "%s", testsrv_stderr(&srv));
	testsrv_signal(&srv, SIGHUP);
	for (double end = test_now_ms() + 30000;
	     count_in_stderr(line) <= seen && test_now_ms() < end;)
		usleep(10000);
	cr_expect_eq(count_in_stderr(line), seen + 1, "%s", testsrv_stderr(&srv));
	cr_expect_eq(soa_serial("example.test."), 1);
}

Test(e2e_server_reload, an_edited_include_makes_its_zone_read_again)
{
	char arg[320];

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "hosts.inc", "www IN A 192.0.2.1\n");
	test_write(dir, "example.test.zone",
	           "$ORIGIN example.test.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n"
	           "@ IN NS ns1\nns1 IN A 127.0.0.1\n$INCLUDE hosts.inc\n");
	test_write(dir, "other.test.zone", other_zone);
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	snprintf(arg, sizeof(arg), "unix:%s", sock);
	const char *args[] = {"--control", arg, NULL};
	testsrv_start_dir(&srv, dir, args);
	usleep((ZSTAMP_WAIT_S)*1000000);
	reload_total(2);
	/* only the included file changes: its zone is read again, the other one shared */
	test_write(dir, "hosts.inc", "www IN A 192.0.2.2\n");
	expect_build("POST", "/reload", NULL, 1, 1);
	ldns_pkt *pkt = test_query(srv.port, "www.example.test.", LDNS_RR_TYPE_A, false, 0, 2000);
	cr_assert_not_null(pkt);
	cr_assert_eq(ldns_pkt_ancount(pkt), 1);
	char *a = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(pkt), 0), 0));
	cr_expect_str_eq(a, "192.0.2.2");
	free(a);
	ldns_pkt_free(pkt);
}

/* A client transferring big.test by AXFR over and over. */
struct xfrer {
	int port;             /* server port */
	atomic_bool stop;     /* set by the test: finish */
	unsigned long done;   /* complete transfers */
	unsigned long short_; /* transfers that ended without the whole zone */
	pthread_t thread;     /* the client */
};

static void *
xfrer_run(void *arg)
{
	struct xfrer *x = arg;

	while (!atomic_load(&x->stop)) {
		ldns_resolver *r = ldns_resolver_new();
		ldns_rdf *ns = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, "127.0.0.1");
		ldns_rdf *dn = ldns_dname_new_frm_str("big.test.");
		struct timeval tv = {5, 0};
		long n = 0;

		ldns_resolver_push_nameserver(r, ns);
		ldns_resolver_set_port(r, (uint16_t)x->port);
		ldns_resolver_set_timeout(r, tv);
		if (ldns_axfr_start(r, dn, LDNS_RR_CLASS_IN) == LDNS_STATUS_OK) {
			ldns_rr *rr;
			while ((rr = ldns_axfr_next(r)) != NULL) {
				n++;
				ldns_rr_free(rr);
			}
		}
		/* SOA, NS, ns1, the hosts, SOA again */
		if (n == STRESS_RECORDS + 4)
			x->done++;
		else
			x->short_++;
		ldns_rdf_deep_free(ns);
		ldns_rdf_deep_free(dn);
		ldns_axfr_abort(r);
		ldns_resolver_deep_free(r);
	}
	return NULL;
}

Test(e2e_server_reload, sets_swapped_over_and_over_while_transfers_and_queries_run)
{
	char path[400], arg[320];
	struct prober p;
	struct xfrer x;
	FILE *fp;
	int status;

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "example.test.zone", small_zone);
	snprintf(path, sizeof(path), "%s/big.test.zone", dir);
	fp = fopen(path, "w");
	cr_assert_not_null(fp);
	fprintf(fp, "$ORIGIN big.test.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n"
	            "@ IN NS ns1\nns1 IN A 127.0.0.1\n");
	for (int i = 0; i < STRESS_RECORDS; i++)
		fprintf(fp, "h%d IN A 10.0.%d.%d\n", i, (i >> 8) & 255, i & 255);
	cr_assert_eq(fclose(fp), 0);
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	snprintf(arg, sizeof(arg), "unix:%s", sock);
	const char *args[] = {"--control", arg, NULL};
	testsrv_start_dir(&srv, dir, args);
	prober_start(&p);
	memset(&x, 0, sizeof(x));
	x.port = srv.port;
	cr_assert_eq(pthread_create(&x.thread, NULL, xfrer_run, &x), 0);
	for (int i = 0; i < 12; i++) {
		json_t *j = NULL;
		/* every kind of build, the big zone shared by each (and read again by reloads
		   while its file is recent) */
		cr_expect_eq(
		    test_http_unix(sock, "PUT", "/zones/other.test", other_zone, &j, NULL, 0), 200);
		json_decref(j);
		cr_expect_eq(test_http_unix(sock, "POST", "/reload", NULL, &j, NULL, 0), 200);
		json_decref(j);
		cr_expect_eq(
		    test_http_unix(sock, "PUT", "/zones/example.test", small_zone, &j, NULL, 0),
		    200);
		json_decref(j);
		cr_expect_eq(
		    test_http_unix(sock, "DELETE", "/zones/example.test", NULL, &j, NULL, 0), 200);
		json_decref(j);
		cr_expect_eq(
		    test_http_unix(sock, "PUT", "/zones/example.test", small_zone, &j, NULL, 0),
		    200);
		json_decref(j);
	}
	atomic_store(&x.stop, true);
	pthread_join(x.thread, NULL);
	prober_stop(&p);
	cr_expect_gt(x.done, 0ul, "no transfer completed");
	cr_expect_eq(x.short_, 0ul, "%lu of %lu transfers cut short", x.short_, x.done + x.short_);
	cr_expect_eq(p.lost, 0ul, "%lu of %lu probes unanswered", p.lost, p.sent);
	/* a freed zone still in use, a double free or a leak makes the ASan build say so and
	   exit non-zero */
	status = testsrv_stop(&srv);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "mxlabd exited with %d: %s",
	          status, testsrv_stderr(&srv));
	cr_expect_null(strstr(testsrv_stderr(&srv), "Sanitizer"), "%s", testsrv_stderr(&srv));
	cr_expect_null(strstr(testsrv_stderr(&srv), "runtime error"), "%s", testsrv_stderr(&srv));
}

/* Does name/type come back signed (an RRSIG in the answer, with DO)? */
static bool
answer_signed(const char *name, ldns_rr_type type)
{
	uint8_t q[512], a[4096];
	size_t qlen = test_wire_query(q, name, type, 0x2345, 1232, 0, true), n;
	ldns_pkt *pkt = NULL;
	bool sig = false;

	n = test_raw_udp(srv.port, q, qlen, a, sizeof(a), 2000);
	cr_assert_gt(n, 0, "no answer for %s", name);
	cr_assert_eq(ldns_wire2pkt(&pkt, a, n), LDNS_STATUS_OK);
	for (size_t i = 0; i < ldns_pkt_ancount(pkt); i++)
		sig |= ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(pkt), i)) ==
		       LDNS_RR_TYPE_RRSIG;
	ldns_pkt_free(pkt);
	return sig;
}

Test(e2e_server_reload, with_sign_a_reload_signs_every_zone_again_and_a_put_keeps_the_others)
{
	char arg[320];

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "example.test.zone", small_zone);
	test_write(dir, "other.test.zone", other_zone);
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	snprintf(arg, sizeof(arg), "unix:%s", sock);
	const char *args[] = {"--control", arg, "--sign", NULL};
	testsrv_start_dir(&srv, dir, args);
	usleep((ZSTAMP_WAIT_S)*1000000); /* old enough files: only --sign keeps them from sharing */
	expect_build("POST", "/reload", NULL, 2, 0);
	expect_build("POST", "/reload", NULL, 2, 0);
	/* a PUT signs the new zone and keeps the signed other one as served */
	expect_build("PUT", "/zones/other.test", other_zone, 1, 1);
	cr_expect(answer_signed("www.example.test.", LDNS_RR_TYPE_A));
	cr_expect(answer_signed("mail.other.test.", LDNS_RR_TYPE_A));
}
