/* tests/e2e/test_xfr.c -- zone transfers out of bin/mxlabd: a real NSD as secondary loads the
   zone by AXFR and, told by NOTIFY after a reload changed the serial, the new one; faults
   apply to transfers; a name that is no zone apex is NOTAUTH. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "tests/support/support.h"

static const char zone_v1[] = "$ORIGIN example.test.\n"
                              "$TTL 300\n"
                              "@     IN SOA ns1 hostmaster 1 3600 600 86400 300\n"
                              "@     IN NS  ns1\n"
                              "ns1   IN A   127.0.0.1\n"
                              "www   IN A   192.0.2.1\n"
                              "@     IN MX  10 mail\n"
                              "mail  IN A   192.0.2.25\n";

static struct testsrv srv = {.out_fd = -1};
static char dir[256];
static pid_t nsd_pid;

static void
stop_all(void)
{
	char path[300];
	FILE *fp;
	int pid = 0;

	testsrv_stop(&srv);
	if (nsd_pid <= 0)
		return;
	snprintf(path, sizeof(path), "%s/nsd/nsd.pid", dir);
	if ((fp = fopen(path, "r")) != NULL) {
		if (fscanf(fp, "%d", &pid) == 1 && pid > 1)
			kill(pid, SIGTERM);
		fclose(fp);
	}
	kill(nsd_pid, SIGTERM);
	for (int i = 0; i < 50 && waitpid(nsd_pid, NULL, WNOHANG) == 0; i++)
		poll(NULL, 0, 100);
	kill(nsd_pid, SIGKILL);
	waitpid(nsd_pid, NULL, 0);
	nsd_pid = 0;
}

TestSuite(e2e_xfr, .fini = stop_all);

static const char *
nsd_path(void)
{
	static const char *const where[] = {"/usr/sbin/nsd", "/usr/local/sbin/nsd", "/usr/bin/nsd"};

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++)
		if (access(where[i], X_OK) == 0)
			return where[i];
	return NULL;
}

/* A free port on 127.0.0.1 for NSD: mxlabd picks one and gives it back. */
static int
free_port(void)
{
	struct testsrv probe = {.out_fd = -1};
	char pdir[256];
	int port;

	test_tmpdir(pdir, sizeof(pdir));
	test_write(pdir, "example.test.zone", zone_v1);
	const char *args[] = {"-a", "127.0.0.1", NULL};
	testsrv_start_dir(&probe, pdir, args);
	port = probe.port;
	testsrv_stop(&probe);
	return port;
}

/* NSD on 127.0.0.1:port as secondary of example.test from mxlabd on mx_port. */
static void
start_nsd(const char *nsd, int port, int mx_port)
{
	char conf[4096], path[300];

	snprintf(path, sizeof(path), "%s/nsd", dir);
	cr_assert_eq(mkdir(path, 0700), 0);
	snprintf(conf, sizeof(conf),
	         "server:\n\tip-address: 127.0.0.1\n\tport: %d\n\tusername: \"\"\n\tchroot: \"\"\n"
	         "\tzonesdir: \"%s\"\n\tdatabase: \"\"\n\tzonelistfile: \"%s/zone.list\"\n"
	         "\txfrdfile: \"%s/xfrd.state\"\n\txfrdir: \"%s\"\n\tpidfile: \"%s/nsd.pid\"\n"
	         "\tlogfile: \"%s/nsd.log\"\n\tserver-count: 1\n\tverbosity: 2\n"
	         "remote-control:\n\tcontrol-enable: no\n"
	         "zone:\n\tname: \"example.test\"\n\tzonefile: \"%s/example.test.zone\"\n"
	         "\trequest-xfr: AXFR 127.0.0.1@%d NOKEY\n\tallow-notify: 127.0.0.1 NOKEY\n",
	         port, path, path, path, path, path, path, path, mx_port);
	test_write(path, "nsd.conf", conf);
	snprintf(path, sizeof(path), "%s/nsd/nsd.conf", dir);
	nsd_pid = fork();
	cr_assert_geq(nsd_pid, 0);
	if (nsd_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		freopen("/dev/null", "w", stdout);
		freopen("/dev/null", "w", stderr);
		execl(nsd, nsd, "-d", "-c", path, (char *)NULL);
		_exit(127);
	}
}

/* The A record of www.example.test. from port, as text ("" when there is none yet). */
static void
www_a(int port, char *out, size_t len)
{
	ldns_pkt *p = test_query(port, "www.example.test.", LDNS_RR_TYPE_A, false, 0, 500);
	ldns_rr_list *an = p ? ldns_pkt_answer(p) : NULL;

	out[0] = '\0';
	if (p && ldns_pkt_get_rcode(p) == LDNS_RCODE_NOERROR && an &&
	    ldns_rr_list_rr_count(an) > 0) {
		char *s = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(an, 0), 0));
		snprintf(out, len, "%s", s);
		free(s);
	}
	if (p)
		ldns_pkt_free(p);
}

/* Wait (bounded) until port answers www with want. */
static bool
wait_www(int port, const char *want, int ms)
{
	double deadline = test_now_ms() + ms;
	char got[64];

	while (test_now_ms() < deadline) {
		www_a(port, got, sizeof(got));
		if (strcmp(got, want) == 0)
			return true;
		poll(NULL, 0, 100);
	}
	return false;
}

Test(e2e_xfr, nsd_secondary_follows_mxlabd_by_axfr_and_notify, .timeout = 60)
{
	const char *nsd = nsd_path();
	char notify[64], a[64];
	int nsd_port;

	if (nsd == NULL)
		cr_skip_test(
		    "NSD is not installed (apt-get install nsd): no secondary to test with");
	nsd_port = free_port();
	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "example.test.zone", zone_v1);
	snprintf(notify, sizeof(notify), "127.0.0.1@%d", nsd_port);
	const char *args[] = {"-a", "127.0.0.1", "--notify", notify, "-v", NULL};
	testsrv_start_dir(&srv, dir, args);
	start_nsd(nsd, nsd_port, srv.port);

	cr_assert(wait_www(nsd_port, "192.0.2.1", 15000), "NSD never served the transferred zone");
	www_a(srv.port, a, sizeof(a));
	cr_expect_str_eq(a, "192.0.2.1");
	ldns_pkt *p = test_query(nsd_port, "example.test.", LDNS_RR_TYPE_MX, false, 0, 2000);
	cr_assert_not_null(p);
	cr_expect_eq(ldns_rr_list_rr_count(ldns_pkt_answer(p)), 1, "the MX came across");
	ldns_pkt_free(p);

	/* a new serial, a reload: NOTIFY makes NSD fetch it long before its refresh (3600 s) */
	char v2[sizeof(zone_v1) + 16];
	snprintf(v2, sizeof(v2), "%s", zone_v1);
	memcpy(strstr(v2, "hostmaster 1 ") + 11, "2", 1);
	memcpy(strstr(v2, "192.0.2.1\n") + 8, "2", 1);
	test_write(dir, "example.test.zone", v2);
	testsrv_signal(&srv, SIGHUP);
	cr_expect(wait_www(nsd_port, "192.0.2.2", 15000), "NSD did not follow the new serial");
	cr_expect(strstr(testsrv_stderr(&srv), "notify: example.test. serial 2 sent") != NULL, "%s",
	          testsrv_stderr(&srv));
}

/* One AXFR over TCP to port with ldns; the number of records received in *nrr (0 when the
   connection closed, or the answer was an error). */
static void
axfr(int port, const char *zone, int *nrr)
{
	ldns_resolver *r = ldns_resolver_new();
	ldns_rdf *ns = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, "127.0.0.1");
	ldns_rdf *dn = ldns_dname_new_frm_str(zone);
	ldns_status st;

	ldns_resolver_push_nameserver(r, ns);
	ldns_resolver_set_port(r, (uint16_t)port);
	struct timeval tv = {3, 0};
	ldns_resolver_set_timeout(r, tv);
	*nrr = 0;
	st = ldns_axfr_start(r, dn, LDNS_RR_CLASS_IN);
	if (st == LDNS_STATUS_OK) {
		ldns_rr *rr;
		while ((rr = ldns_axfr_next(r)) != NULL) {
			(*nrr)++;
			ldns_rr_free(rr);
		}
	}
	ldns_rdf_deep_free(ns);
	ldns_rdf_deep_free(dn);
	ldns_axfr_abort(r);
	ldns_resolver_deep_free(r);
}

Test(e2e_xfr, faults_apply_to_transfers)
{
	int n;

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "example.test.zone", zone_v1);
	test_write(dir, "other.test.zone",
	           "$ORIGIN other.test.\n$TTL 60\n@ IN SOA ns1 h 7 1 1 1 1\n@ IN NS ns1\n"
	           "ns1 IN A 127.0.0.1\n");
	test_write(dir, "faults.conf",
	           "other.test. AXFR rcode=REFUSED\n"
	           "example.test. AXFR tcp-close count=1\n");
	const char *args[] = {"-a", "127.0.0.1", NULL};
	testsrv_start_dir(&srv, dir, args);
	axfr(srv.port, "example.test.", &n);
	cr_expect_eq(n, 0, "tcp-close: %d records came", n);
	axfr(srv.port, "example.test.", &n);
	cr_expect_eq(n, 7, "the whole zone once the rule is spent: SOA + 5 + SOA, got %d", n);
	axfr(srv.port, "other.test.", &n);
	cr_expect_eq(n, 0, "rcode=REFUSED: %d records came", n);
	ldns_pkt *rp = test_query(srv.port, "other.test.", LDNS_RR_TYPE_AXFR, true, 0, 2000);
	cr_assert_not_null(rp);
	cr_expect_eq(ldns_pkt_get_rcode(rp), LDNS_RCODE_REFUSED);
	ldns_pkt_free(rp);
	ldns_pkt *p = test_query(srv.port, "www.example.test.", LDNS_RR_TYPE_AXFR, true, 0, 2000);
	cr_assert_not_null(p);
	cr_expect_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOTAUTH, "no zone at www.example.test.");
	ldns_pkt_free(p);
}

/* Raw AXFR over TCP: the messages received before the server closed, and whether it closed
   (EOF) rather than went silent. */
static int
axfr_messages(int port, const char *zone, bool *closed)
{
	uint8_t q[600], buf[65536];
	size_t len = test_make_query(zone, LDNS_RR_TYPE_AXFR, 9, q + 2, sizeof(q) - 2), used = 0;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0), msgs = 0;
	double deadline = test_now_ms() + 5000;

	*closed = false;
	q[0] = (uint8_t)(len >> 8);
	q[1] = (uint8_t)len;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(write(fd, q, len + 2), (ssize_t)(len + 2));
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int left = (int)(deadline - test_now_ms());
		ssize_t r;

		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		if ((r = read(fd, buf + used, sizeof(buf) - used)) <= 0) {
			*closed = true;
			break;
		}
		used += (size_t)r;
		for (;;) {
			size_t flen;
			if (used < 2 || used < 2 + (flen = (size_t)buf[0] << 8 | buf[1]))
				break;
			cr_assert_geq(flen, 12);
			msgs++;
			memmove(buf, buf + 2 + flen, used - 2 - flen);
			used -= 2 + flen;
		}
	}
	close(fd);
	return msgs;
}

Test(e2e_xfr, tcp_close_msgs_cuts_a_transfer_mid_stream)
{
	char big[200000];
	size_t n;
	bool closed;
	int msgs;

	test_tmpdir(dir, sizeof(dir));
	n = (size_t)snprintf(big, sizeof(big), "%s", zone_v1);
	for (int i = 0; i < 2000; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n,
		                      "t%d IN TXT \"0123456789012345678901234567890123456789\"\n",
		                      i);
	test_write(dir, "example.test.zone", big);
	test_write(dir, "faults.conf", "example.test. AXFR tcp-close msgs=2 count=1\n");
	const char *args[] = {"-a", "127.0.0.1", NULL};
	testsrv_start_dir(&srv, dir, args);
	msgs = axfr_messages(srv.port, "example.test.", &closed);
	cr_expect_eq(msgs, 2, "%d messages before the close", msgs);
	cr_expect(closed, "the connection was not closed");
	/* the rule is spent: the whole stream, more than 2 messages, and it stays open */
	msgs = axfr_messages(srv.port, "example.test.", &closed);
	cr_expect_gt(msgs, 2);
	cr_expect_not(closed, "closed after a whole transfer");
}

/* One datagram on fd within ms into buf; its length, 0 when none came. */
static size_t
recv_within(int fd, uint8_t *buf, size_t cap, int ms, struct sockaddr_in *from)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	socklen_t fl = sizeof(*from);
	ssize_t r;

	if (poll(&p, 1, ms) <= 0)
		return 0;
	r = recvfrom(fd, buf, cap, 0, (struct sockaddr *)from, &fl);
	return r > 0 ? (size_t)r : 0;
}

Test(e2e_xfr, notify_is_sent_again_until_the_secondary_answers, .timeout = 30)
{
	struct sockaddr_in me = {.sin_family = AF_INET}, from;
	socklen_t ml = sizeof(me);
	uint8_t m1[512], m2[512], m3[512];
	size_t n1, n2, n3;
	char notify[64];
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&me, &ml), 0);
	snprintf(notify, sizeof(notify), "127.0.0.1@%d", ntohs(me.sin_port));
	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "example.test.zone", zone_v1);
	const char *args[] = {"-a", "127.0.0.1", "--notify", notify, "-v", NULL};
	testsrv_start_dir(&srv, dir, args);
	cr_expect_eq(recv_within(fd, m1, sizeof(m1), 500, &from), 0, "NOTIFY at start-up");

	char v2[sizeof(zone_v1) + 16];
	snprintf(v2, sizeof(v2), "%s", zone_v1);
	memcpy(strstr(v2, "hostmaster 1 ") + 11, "2", 1);
	test_write(dir, "example.test.zone", v2);
	testsrv_signal(&srv, SIGHUP);
	n1 = recv_within(fd, m1, sizeof(m1), 3000, &from);
	cr_assert_gt(n1, 12, "no NOTIFY after the serial changed");
	cr_expect_eq((m1[2] >> 3) & 0x0f, 4, "opcode NOTIFY");
	/* not answered: it comes again, the same message */
	n2 = recv_within(fd, m2, sizeof(m2), 3000, &from);
	cr_assert_eq(n2, n1, "no second NOTIFY");
	cr_expect(memcmp(m1, m2, n1) == 0, "the repeat differs");
	/* answered: no more */
	m2[2] |= 0x80;
	cr_assert_eq(sendto(fd, m2, n2, 0, (struct sockaddr *)&from, sizeof(from)), (ssize_t)n2);
	n3 = recv_within(fd, m3, sizeof(m3), 3000, &from);
	cr_expect_eq(n3, 0, "NOTIFY sent again after it was answered");
	close(fd);
}
