/* tests/e2e/test_validate.c -- a validating unbound (stub zone on loopback, the trust anchor
   mxlabd --sign wrote) in front of bin/mxlabd: AD for the signed names, no AD for the
   --unsigned child, SERVFAIL with the extended DNS error naming the reason for every DNSSEC
   fault action, the data again with CD. And the whole lab: mxlabd --world --sign in a private
   network namespace, unbound iterating from the signed synthesized root with its DS as the
   only trust anchor. Skips loudly when unbound is not installed (make deps installs it) or no
   namespace can be made. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "tests/support/support.h"

#define UNBOUND "/usr/sbin/unbound"

static const char zone_parent[] = "$ORIGIN example.test.\n$TTL 300\n"
                                  "@ SOA ns1 hostmaster 1 3600 600 86400 300\n"
                                  "@ NS ns1\n@ MX 10 mail\nns1 A 127.0.0.1\n"
                                  "mail A 192.0.2.25\nbogus A 192.0.2.26\nexp A 192.0.2.27\n"
                                  "fut A 192.0.2.28\nstrip A 192.0.2.29\n"
                                  "child NS ns.child\nns.child A 127.0.0.1\n"
                                  "child2 NS ns.child2\nns.child2 A 127.0.0.1\n"
                                  "plain NS ns.plain\nns.plain A 127.0.0.1\n";

static const char faults[] = "bogus.example.test.  A  rrsig-bogus\n"
                             "exp.example.test.    A  rrsig-expired\n"
                             "fut.example.test.    A  rrsig-future\n"
                             "strip.example.test.  A  rrsig-strip\n"
                             "nx.example.test.     *  denial-strip\n"
                             "child2.example.test. *  ds-mismatch\n";

static void
child_zone(const char *dir, const char *origin)
{
	char text[512], name[128];
	snprintf(text, sizeof(text),
	         "$ORIGIN %s.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n@ NS ns\n"
	         "ns A 127.0.0.1\nwww A 192.0.2.80\n",
	         origin);
	snprintf(name, sizeof(name), "%s.zone", origin);
	test_write(dir, name, text);
}

/* A free loopback UDP port (bound, read, closed: unbound takes it right after). */
static int
free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* Ask the resolver for name/type (RD set, DO set, cd: CD set); NULL when it does not answer. */
static ldns_pkt *
resolve_type(int port, const char *name, uint16_t type, bool cd)
{
	uint8_t q[512], a[4096];
	size_t qlen = test_wire_query(q, name, type, 0x4711, 1232, 0, true), n;
	ldns_pkt *p = NULL;

	q[2] |= 0x01; /* RD */
	if (cd)
		q[3] |= 0x10;
	n = test_raw_udp(port, q, qlen, a, sizeof(a), 4000);
	if (n == 0 || ldns_wire2pkt(&p, a, n) != LDNS_STATUS_OK)
		return NULL;
	return p;
}

static ldns_pkt *
resolve(int port, const char *name, bool cd)
{
	return resolve_type(port, name, LDNS_RR_TYPE_A, cd);
}

/* The Extended DNS Error info-code in the answer's OPT, -1 when none. */
static int
ede_code(const ldns_pkt *p)
{
	ldns_rdf *opt = ldns_pkt_edns_data(p);
	const uint8_t *d;
	size_t len, i = 0;

	if (opt == NULL)
		return -1;
	d = ldns_rdf_data(opt);
	len = ldns_rdf_size(opt);
	while (i + 4 <= len) {
		uint16_t code = (uint16_t)(d[i] << 8 | d[i + 1]),
		         olen = (uint16_t)(d[i + 2] << 8 | d[i + 3]);
		if (code == 15 && olen >= 2 && i + 6 <= len)
			return d[i + 4] << 8 | d[i + 5];
		i += 4u + olen;
	}
	return -1;
}

Test(e2e_validate, unbound_validates_and_fails_exactly_where_the_rules_say, .timeout = 60)
{
	static const struct {
		char name[32]; /* query name */
		int rcode;     /* expected rcode */
		bool ad;       /* AD expected */
		int ede;       /* expected extended DNS error, -1 none */
	} cases[] = {
	    {"mail.example.test.", LDNS_RCODE_NOERROR, true, -1},
	    {"www.child.example.test.", LDNS_RCODE_NOERROR, true, -1},
	    {"www.plain.example.test.", LDNS_RCODE_NOERROR, false, -1}, /* insecure */
	    {"nothere.example.test.", LDNS_RCODE_NXDOMAIN, true, -1},
	    {"bogus.example.test.", LDNS_RCODE_SERVFAIL, false, 6},      /* DNSSEC Bogus */
	    {"exp.example.test.", LDNS_RCODE_SERVFAIL, false, 7},        /* Signature Expired */
	    {"fut.example.test.", LDNS_RCODE_SERVFAIL, false, 8},        /* Not Yet Valid */
	    {"strip.example.test.", LDNS_RCODE_SERVFAIL, false, 10},     /* RRSIGs Missing */
	    {"nx.example.test.", LDNS_RCODE_SERVFAIL, false, 12},        /* NSEC Missing */
	    {"www.child2.example.test.", LDNS_RCODE_SERVFAIL, false, 9}, /* DS matches no key */
	};
	char dir[256], zdir[300], ta[300], conf[300], text[2048];
	const char *extra[] = {"--sign",         "--unsigned", "plain.example.test",
	                       "--trust-anchor", ta,           NULL};
	struct testsrv srv;
	pid_t ub;
	int port, status;
	ldns_pkt *p = NULL;

	if (access(UNBOUND, X_OK) != 0)
		cr_skip_test("unbound is not installed (%s): make deps installs it", UNBOUND);
	test_tmpdir(dir, sizeof(dir));
	snprintf(zdir, sizeof(zdir), "%s/zones", dir);
	snprintf(ta, sizeof(ta), "%s/ta", dir);
	snprintf(conf, sizeof(conf), "%s/unbound.conf", dir);
	cr_assert_eq(mkdir(zdir, 0755), 0);
	test_write(zdir, "example.test.zone", zone_parent);
	child_zone(zdir, "child.example.test");
	child_zone(zdir, "child2.example.test");
	child_zone(zdir, "plain.example.test");
	test_write(zdir, "faults.conf", faults);
	testsrv_start_dir(&srv, zdir, extra);

	port = free_port();
	snprintf(text, sizeof(text),
	         "server:\n  interface: 127.0.0.1\n  port: %d\n  do-daemonize: no\n"
	         "  username: \"\"\n  chroot: \"\"\n  directory: \"%s\"\n  pidfile: \"\"\n"
	         "  use-syslog: no\n  logfile: \"%s/unbound.log\"\n  do-not-query-localhost: no\n"
	         "  trust-anchor-file: \"%s\"\n  ede: yes\n  val-log-level: 2\n"
	         "  local-zone: \"test.\" nodefault\n  module-config: \"validator iterator\"\n"
	         "  qname-minimisation: no\n  do-ip6: no\n"
	         "remote-control:\n  control-enable: no\n"
	         "stub-zone:\n  name: \"example.test\"\n  stub-addr: 127.0.0.1@%d\n",
	         port, dir, dir, ta, srv.port);
	test_write(dir, "unbound.conf", text);
	ub = test_spawn((const char *const[]){UNBOUND, "-d", "-c", conf, NULL});
	for (int i = 0; i < 100 && p == NULL; i++) { /* bounded: until unbound answers */
		p = resolve(port, "mail.example.test.", false);
		if (p == NULL)
			usleep(50000);
	}
	cr_assert_not_null(p, "unbound did not answer on port %d", port);
	ldns_pkt_free(p);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p = resolve(port, cases[i].name, false);
		cr_assert_not_null(p, "%s: no answer", cases[i].name);
		cr_expect_eq(ldns_pkt_get_rcode(p), cases[i].rcode, "%s: rcode %d", cases[i].name,
		             ldns_pkt_get_rcode(p));
		cr_expect_eq(ldns_pkt_ad(p), cases[i].ad, "%s: AD %d", cases[i].name,
		             ldns_pkt_ad(p));
		if (cases[i].ede >= 0)
			cr_expect_eq(ede_code(p), cases[i].ede, "%s: EDE %d", cases[i].name,
			             ede_code(p));
		ldns_pkt_free(p);
	}
	/* checking disabled: the expired data comes back */
	p = resolve(port, "exp.example.test.", true);
	cr_assert_not_null(p);
	cr_expect_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	cr_expect_eq(ldns_pkt_ancount(p), 2, "the A and its (expired) RRSIG");
	ldns_pkt_free(p);

	kill(ub, SIGTERM);
	waitpid(ub, &status, 0);
	testsrv_stop(&srv);
}

/* World mode: test. on 127.53.2.1 delegating to kestrel.test (signed) and plain.test
   (--unsigned); the root is mxlabd's. */
static const char world_test[] = "$ORIGIN test.\n$TTL 300\n"
                                 "@ SOA ns.nic hostmaster 1 3600 600 86400 300\n"
                                 "@ NS ns.nic\nns.nic A 127.53.2.1\n"
                                 "kestrel NS ns1.kestrel\nns1.kestrel A 127.53.10.1\n"
                                 "plain NS ns1.plain\nns1.plain A 127.53.11.1\n";
static const char world_kestrel[] = "$ORIGIN kestrel.test.\n$TTL 300\n"
                                    "@ SOA ns1 hostmaster 1 3600 600 86400 300\n"
                                    "@ NS ns1\nns1 A 127.53.10.1\n@ MX 10 mail\n"
                                    "mail A 192.0.2.25\nexp A 192.0.2.26\n";
static const char world_plain[] = "$ORIGIN plain.test.\n$TTL 300\n"
                                  "@ SOA ns1 hostmaster 1 3600 600 86400 300\n"
                                  "@ NS ns1\nns1 A 127.53.11.1\nwww A 192.0.2.27\n";

Test(e2e_validate, world_validates_from_the_signed_root, .timeout = 60)
{
	char dir[256], zdir[300], ta[300], hints[300], conf[300], text[2048], buf[1024];
	const char *extra[] = {
	    "--world",        "-p", "53",           "--sign", "--unsigned", "plain.test",
	    "--trust-anchor", ta,   "--root-hints", hints,    NULL};
	struct testsrv srv;
	ldns_pkt *p = NULL;
	pid_t ub;
	int status;
	FILE *fp;
	size_t n;

	if (access(UNBOUND, X_OK) != 0)
		cr_skip_test("unbound is not installed (%s): make deps installs it", UNBOUND);
	if (!test_private_net())
		cr_skip_test("no private network namespace (needs root: unshare CLONE_NEWNET)");
	test_tmpdir(dir, sizeof(dir));
	snprintf(zdir, sizeof(zdir), "%s/zones", dir);
	snprintf(ta, sizeof(ta), "%s/ta", dir);
	snprintf(hints, sizeof(hints), "%s/hints", dir);
	snprintf(conf, sizeof(conf), "%s/unbound.conf", dir);
	cr_assert_eq(mkdir(zdir, 0755), 0);
	test_write(zdir, "test.zone", world_test);
	test_write(zdir, "kestrel.test.zone", world_kestrel);
	test_write(zdir, "plain.test.zone", world_plain);
	test_write(zdir, "faults.conf", "exp.kestrel.test. A rrsig-expired\n");
	testsrv_start_dir(&srv, zdir, extra);

	fp = fopen(ta, "r");
	cr_assert_not_null(fp, "no trust anchor written: %s", testsrv_stderr(&srv));
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	cr_assert(strncmp(buf, ".\t3600\tIN\tDS\t", 13) == 0 && strchr(buf, '\n') == buf + n - 1,
	          "the root's DS alone: %s", buf);

	snprintf(text, sizeof(text),
	         "server:\n  interface: 127.0.0.1\n  port: 53\n  do-daemonize: no\n"
	         "  username: \"\"\n  chroot: \"\"\n  directory: \"%s\"\n  pidfile: \"\"\n"
	         "  use-syslog: no\n  logfile: \"%s/unbound.log\"\n  do-not-query-localhost: no\n"
	         "  root-hints: \"%s\"\n  trust-anchor-file: \"%s\"\n  ede: yes\n"
	         "  local-zone: \"test.\" nodefault\n  do-ip6: no\n"
	         "remote-control:\n  control-enable: no\n",
	         dir, dir, hints, ta);
	test_write(dir, "unbound.conf", text);
	ub = test_spawn((const char *const[]){UNBOUND, "-d", "-c", conf, NULL});
	for (int i = 0; i < 100 && p == NULL; i++) {
		p = resolve(53, "mail.kestrel.test.", false);
		if (p == NULL)
			usleep(50000);
	}
	cr_assert_not_null(p, "unbound did not answer");
	cr_expect_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	cr_expect(ldns_pkt_ad(p), "secure from the root: root DS -> test. -> kestrel.test.");
	ldns_pkt_free(p);

	p = resolve(53, "nothere.kestrel.test.", false);
	cr_assert_not_null(p);
	cr_expect_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	cr_expect(ldns_pkt_ad(p), "a proven NXDOMAIN");
	ldns_pkt_free(p);

	p = resolve(53, "www.plain.test.", false);
	cr_assert_not_null(p);
	cr_expect_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	cr_expect(!ldns_pkt_ad(p), "insecure delegation: resolves, AD clear");
	ldns_pkt_free(p);

	p = resolve(53, "exp.kestrel.test.", false);
	cr_assert_not_null(p);
	cr_expect_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	cr_expect_eq(ede_code(p), 7, "Signature Expired, got %d", ede_code(p));
	ldns_pkt_free(p);

	kill(ub, SIGTERM);
	waitpid(ub, &status, 0);
	testsrv_stop(&srv);
}

/* The shipped DNSSEC lab (zones/dnssec/, zones/README.md "DNSSEC lab"): what a validating
   resolver says for each scenario. */
Test(e2e_validate, the_dnssec_lab_fails_exactly_where_its_rules_say, .timeout = 60)
{
	static const struct {
		char name[40]; /* query name */
		uint16_t type; /* query type */
		int rcode;     /* expected rcode */
		bool ad;       /* AD expected */
		int ede;       /* expected extended DNS error, -1 none */
	} cases[] = {
	    {"secure.dnssec.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, true, -1},
	    {"mx1.secure.dnssec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true, -1},
	    {"bogus-mx.dnssec.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_SERVFAIL, false, 6},
	    {"mx1.bogus-mx.dnssec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true, -1},
	    {"expired.dnssec.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_SERVFAIL, false, 7},
	    {"mx1.expired.dnssec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, false, 7},
	    {"mx1.ds-mismatch.dnssec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, false, 9},
	    {"insecure.dnssec.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, false, -1},
	    {"_25._tcp.mx1.dane.dnssec.test.", LDNS_RR_TYPE_TLSA, LDNS_RCODE_NOERROR, true, -1},
	    {"_25._tcp.mx2.dane.dnssec.test.", LDNS_RR_TYPE_TLSA, LDNS_RCODE_SERVFAIL, false, 6},
	    {"25.2.0.192.in-addr.arpa.", LDNS_RR_TYPE_PTR, LDNS_RCODE_NOERROR, true, -1},
	    {"26.2.0.192.in-addr.arpa.", LDNS_RR_TYPE_PTR, LDNS_RCODE_SERVFAIL, false, 6},
	    {"mx1.iter.dnssec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true, -1},
	    /* RFC 9276: 200 NSEC3 iterations, unbound 1.17 takes the denial as insecure */
	    {"nothere.iter.dnssec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, false, -1},
	};
	char dir[256], ta[300], hints[300], conf[300], text[2048];
	const char *extra[] = {
	    "--world",        "-p", "53",           "--sign", "--unsigned", "insecure.dnssec.test",
	    "--trust-anchor", ta,   "--root-hints", hints,    NULL};
	struct testsrv srv;
	ldns_pkt *p = NULL;
	pid_t ub;
	int status;

	if (access(UNBOUND, X_OK) != 0)
		cr_skip_test("unbound is not installed (%s): make deps installs it", UNBOUND);
	if (!test_private_net())
		cr_skip_test("no private network namespace (needs root: unshare CLONE_NEWNET)");
	test_tmpdir(dir, sizeof(dir));
	snprintf(ta, sizeof(ta), "%s/ta", dir);
	snprintf(hints, sizeof(hints), "%s/hints", dir);
	snprintf(conf, sizeof(conf), "%s/unbound.conf", dir);
	testsrv_start_dir(&srv, test_src("zones/dnssec"), extra);
	snprintf(text, sizeof(text),
	         "server:\n  interface: 127.0.0.1\n  port: 53\n  do-daemonize: no\n"
	         "  username: \"\"\n  chroot: \"\"\n  directory: \"%s\"\n  pidfile: \"\"\n"
	         "  use-syslog: no\n  logfile: \"%s/unbound.log\"\n  do-not-query-localhost: no\n"
	         "  root-hints: \"%s\"\n  trust-anchor-file: \"%s\"\n  ede: yes\n"
	         "  local-zone: \"test.\" nodefault\n"
	         "  local-zone: \"2.0.192.in-addr.arpa.\" nodefault\n  do-ip6: no\n"
	         "remote-control:\n  control-enable: no\n",
	         dir, dir, hints, ta);
	test_write(dir, "unbound.conf", text);
	ub = test_spawn((const char *const[]){UNBOUND, "-d", "-c", conf, NULL});
	for (int i = 0; i < 100 && p == NULL; i++) {
		p = resolve(53, "mx1.secure.dnssec.test.", false);
		if (p == NULL)
			usleep(50000);
	}
	cr_assert_not_null(p, "unbound did not answer");
	ldns_pkt_free(p);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p = resolve_type(53, cases[i].name, cases[i].type, false);
		cr_assert_not_null(p, "%s: no answer", cases[i].name);
		cr_expect_eq(ldns_pkt_get_rcode(p), cases[i].rcode, "%s: rcode %d", cases[i].name,
		             ldns_pkt_get_rcode(p));
		cr_expect_eq(ldns_pkt_ad(p), cases[i].ad, "%s: AD %d", cases[i].name,
		             ldns_pkt_ad(p));
		if (cases[i].ede >= 0)
			cr_expect_eq(ede_code(p), cases[i].ede, "%s: EDE %d", cases[i].name,
			             ede_code(p));
		ldns_pkt_free(p);
	}
	kill(ub, SIGTERM);
	waitpid(ub, &status, 0);
	testsrv_stop(&srv);
}
