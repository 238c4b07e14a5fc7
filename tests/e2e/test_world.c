/* tests/e2e/test_world.c -- bin/mxlabd --world seen from the network: the root and each server
   address asked directly (referrals with glue, AA, REFUSED), --closed, server= and edns= rules,
   servers silenced and closed through the control API, reload adding and removing servers,
   root hints. Every address is in 127.53.0.0/16, which is loopback on Linux. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>
#include <ldns/ldns.h>

#include "tests/support/support.h"

/* test. on 127.53.2.1; kestrel.test on two servers; lame.test delegated to a server of
   kestrel.test that does not serve it. */
static const char zone_test[] = "$ORIGIN test.\n"
                                "$TTL 300\n"
                                "@ SOA ns.nic hostmaster 1 3600 600 86400 300\n"
                                "@ NS ns.nic\n"
                                "ns.nic A 127.53.2.1\n"
                                "kestrel NS ns1.kestrel\n"
                                "kestrel NS ns2.kestrel\n"
                                "ns1.kestrel A 127.53.10.1\n"
                                "ns2.kestrel A 127.53.10.2\n"
                                "lame NS ns1.kestrel\n";

static const char zone_kestrel[] = "$ORIGIN kestrel.test.\n"
                                   "$TTL 300\n"
                                   "@ SOA ns1 hostmaster 1 3600 600 86400 300\n"
                                   "@ NS ns1\n"
                                   "@ NS ns2\n"
                                   "ns1 A 127.53.10.1\n"
                                   "ns2 A 127.53.10.2\n"
                                   "@ MX 10 mail\n"
                                   "mail A 192.0.2.25\n";

static const char zone_kestrel_moved[] = "$ORIGIN kestrel.test.\n"
                                         "$TTL 300\n"
                                         "@ SOA ns1 hostmaster 2 3600 600 86400 300\n"
                                         "@ NS ns1\n"
                                         "@ NS ns3\n"
                                         "ns1 A 127.53.10.1\n"
                                         "ns3 A 127.53.10.3\n"
                                         "@ MX 10 mail\n"
                                         "mail A 192.0.2.25\n";

static struct testsrv srv;
static char dir[256];
static char sock[300];

static void
stop_srv(void)
{
	testsrv_stop(&srv);
}

TestSuite(e2e_world, .fini = stop_srv);

/* Serve the world in a fresh directory with faults (may be NULL) and extra arguments. */
static void
start_world(const char *faults, const char *const extra[])
{
	char ctl[320];
	const char *args[32];
	size_t n = 0;

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "test.zone", zone_test);
	test_write(dir, "kestrel.test.zone", zone_kestrel);
	if (faults)
		test_write(dir, "faults.conf", faults);
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	snprintf(ctl, sizeof(ctl), "unix:%s", sock);
	args[n++] = "--world";
	args[n++] = "--control";
	args[n++] = ctl;
	for (size_t i = 0; extra && extra[i] && n < 30; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	testsrv_start_dir(&srv, dir, args);
}

/* Does a TCP connection to addr on the server's port meet a closed port (RST at once)? */
static bool
tcp_refused(const char *addr)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv.port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0), rc;

	cr_assert_geq(fd, 0);
	cr_assert_eq(inet_pton(AF_INET, addr, &sin.sin_addr), 1);
	rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	close(fd);
	return rc < 0 && errno == ECONNREFUSED;
}

/* Does the server at addr leave a UDP query for name A unanswered (800 ms)? */
static bool
silent(const char *addr, const char *name)
{
	uint8_t q[512], a[4096];
	size_t n = test_make_query(name, LDNS_RR_TYPE_A, 0x5151, q, sizeof(q));

	return test_raw_udp_at(addr, srv.port, q, n, a, sizeof(a), 800) == 0;
}

static ldns_pkt *
ask(const char *addr, const char *name, ldns_rr_type type)
{
	return test_query_at(addr, srv.port, name, type, false, 0, 1500);
}

/* Owner names of a section, "a b". */
static void
owners(const ldns_rr_list *l, char *out, size_t len)
{
	size_t pos = 0;

	out[0] = '\0';
	for (size_t i = 0; l && i < ldns_rr_list_rr_count(l); i++) {
		char *o = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(l, i)));
		pos += (size_t)snprintf(out + pos, len - pos, "%s%s", i ? " " : "", o);
		free(o);
	}
}

Test(e2e_world, root_and_tld_refer_with_glue_and_the_zones_servers_answer_with_aa)
{
	char buf[512];
	ldns_pkt *p;

	start_world(NULL, NULL);
	p = ask("127.53.0.1", "mail.kestrel.test.", LDNS_RR_TYPE_A);
	cr_assert_not_null(p, "the root does not answer");
	cr_assert(!ldns_pkt_aa(p), "a referral from the root has no AA");
	owners(ldns_pkt_authority(p), buf, sizeof(buf));
	cr_assert_str_eq(buf, "test.");
	owners(ldns_pkt_additional(p), buf, sizeof(buf));
	cr_assert_str_eq(buf, "ns.nic.test.", "glue for the in-bailiwick NS name");
	ldns_pkt_free(p);

	p = ask("127.53.2.1", "mail.kestrel.test.", LDNS_RR_TYPE_A);
	cr_assert_not_null(p);
	cr_assert(!ldns_pkt_aa(p));
	owners(ldns_pkt_authority(p), buf, sizeof(buf));
	cr_assert_str_eq(buf, "kestrel.test. kestrel.test.");
	owners(ldns_pkt_additional(p), buf, sizeof(buf));
	cr_assert_str_eq(buf, "ns1.kestrel.test. ns2.kestrel.test.");
	ldns_pkt_free(p);

	for (int i = 1; i <= 2; i++) {
		char addr[32];
		snprintf(addr, sizeof(addr), "127.53.10.%d", i);
		p = ask(addr, "mail.kestrel.test.", LDNS_RR_TYPE_A);
		cr_assert_not_null(p, "%s does not answer", addr);
		cr_assert(ldns_pkt_aa(p), "%s is authoritative", addr);
		cr_assert_eq(ldns_pkt_ancount(p), 1);
		ldns_pkt_free(p);
	}
}

Test(e2e_world, a_server_refuses_a_zone_it_does_not_serve)
{
	ldns_pkt *p;

	start_world(NULL, NULL);
	/* test. delegates lame.test to ns1.kestrel.test, which does not serve it */
	p = ask("127.53.10.1", "www.lame.test.", LDNS_RR_TYPE_A);
	cr_assert_not_null(p);
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_REFUSED);
	ldns_pkt_free(p);
	/* nor does the TLD server answer for kestrel.test's data with authority */
	p = ask("127.53.2.1", "kestrel.test.", LDNS_RR_TYPE_MX);
	cr_assert_not_null(p);
	cr_assert(!ldns_pkt_aa(p));
	cr_assert_eq(ldns_pkt_ancount(p), 0);
	ldns_pkt_free(p);
}

Test(e2e_world, no_default_listen_address_but_a_given_one_answers_from_every_zone)
{
	const char *const extra[] = {"-a", "127.0.0.1", NULL};
	ldns_pkt *p;

	start_world(NULL, extra);
	p = test_query(srv.port, "mail.kestrel.test.", LDNS_RR_TYPE_A, false, 0, 1500);
	cr_assert_not_null(p, "-a 127.0.0.1 answers");
	cr_assert(ldns_pkt_aa(p));
	cr_assert_eq(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	testsrv_stop(&srv);

	start_world(NULL, NULL);
	cr_assert(tcp_refused("127.0.0.1"), "127.0.0.1 is left free for a resolver in world mode");
}

Test(e2e_world, closed_server_is_a_closed_port_the_other_answers)
{
	const char *const extra[] = {"--closed", "ns2.kestrel.test", NULL};
	ldns_pkt *p;

	start_world(NULL, extra);
	cr_assert(tcp_refused("127.53.10.2"),
	          "a closed port refuses at once, it does not time out");
	p = ask("127.53.10.1", "mail.kestrel.test.", LDNS_RR_TYPE_A);
	cr_assert_not_null(p);
	ldns_pkt_free(p);
}

Test(e2e_world, server_rule_silences_one_server_only)
{
	ldns_pkt *p;

	start_world("*  *  drop  server=ns2.kestrel.test.\n", NULL);
	cr_assert(silent("127.53.10.2", "mail.kestrel.test."), "ns2 is silent");
	p = ask("127.53.10.1", "mail.kestrel.test.", LDNS_RR_TYPE_A);
	cr_assert_not_null(p, "ns1 answers");
	ldns_pkt_free(p);
}

Test(e2e_world, edns_rule_makes_a_server_edns_intolerant)
{
	ldns_pkt *p;

	start_world("*  *  rcode=FORMERR  edns=yes  listen=127.53.10.1\n", NULL);
	p = test_query_at("127.53.10.1", srv.port, "mail.kestrel.test.", LDNS_RR_TYPE_A, false,
	                  1232, 1500);
	cr_assert_not_null(p);
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_FORMERR, "with OPT: FORMERR");
	ldns_pkt_free(p);
	p = ask("127.53.10.1", "mail.kestrel.test.", LDNS_RR_TYPE_A);
	cr_assert_not_null(p);
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR, "without OPT: the answer");
	ldns_pkt_free(p);
	p = test_query_at("127.53.10.2", srv.port, "mail.kestrel.test.", LDNS_RR_TYPE_A, false,
	                  1232, 1500);
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR, "the other server is fine");
	ldns_pkt_free(p);
}

Test(e2e_world, control_api_lists_servers_and_silences_closes_and_revives_one)
{
	json_t *j = NULL, *servers;
	ldns_pkt *p;
	bool seen = false;

	start_world(NULL, NULL);
	cr_assert_eq(test_http_unix(sock, "GET", "/status", NULL, &j, NULL, 0), 200);
	cr_assert(json_is_true(json_object_get(j, "world")));
	servers = json_object_get(j, "servers");
	cr_assert_eq(json_array_size(servers), 4, "root, test., two of kestrel.test");
	for (size_t i = 0; i < json_array_size(servers); i++) {
		json_t *s = json_array_get(servers, i);
		if (strcmp(json_string_value(json_object_get(s, "address")), "127.53.10.2") != 0)
			continue;
		seen = true;
		cr_assert_str_eq(json_string_value(json_array_get(json_object_get(s, "names"), 0)),
		                 "ns2.kestrel.test.");
		cr_assert_str_eq(json_string_value(json_array_get(json_object_get(s, "zones"), 0)),
		                 "kestrel.test.");
		cr_assert_str_eq(json_string_value(json_object_get(s, "state")), "up");
	}
	cr_assert(seen);
	json_decref(j);

	cr_assert_eq(test_http_unix(sock, "PUT", "/servers/127.53.10.2", "silent", &j, NULL, 0),
	             200);
	json_decref(j);
	cr_assert(silent("127.53.10.2", "mail.kestrel.test."), "silent");
	cr_assert_eq(test_http_unix(sock, "PUT", "/servers/ns2.kestrel.test",
	                            "{\"state\":\"closed\"}", &j, NULL, 0),
	             200);
	json_decref(j);
	cr_assert(tcp_refused("127.53.10.2"), "closed: TCP refused");
	cr_assert_eq(test_http_unix(sock, "PUT", "/servers/127.53.10.2", "up", &j, NULL, 0), 200);
	json_decref(j);
	p = ask("127.53.10.2", "mail.kestrel.test.", LDNS_RR_TYPE_A);
	cr_assert_not_null(p, "up again");
	ldns_pkt_free(p);
	/* and it stays up across a reload */
	cr_assert_eq(test_http_unix(sock, "POST", "/reload", NULL, &j, NULL, 0), 200);
	json_decref(j);
	p = ask("127.53.10.2", "mail.kestrel.test.", LDNS_RR_TYPE_A);
	cr_assert_not_null(p);
	ldns_pkt_free(p);

	cr_assert_eq(test_http_unix(sock, "PUT", "/servers/127.53.99.99", "up", &j, NULL, 0), 404);
	json_decref(j);
	cr_assert_eq(test_http_unix(sock, "PUT", "/servers/127.53.10.1", "asleep", &j, NULL, 0),
	             400);
	json_decref(j);
}

Test(e2e_world, reload_binds_new_servers_and_closes_vanished_ones)
{
	json_t *j = NULL;
	ldns_pkt *p;

	start_world(NULL, NULL);
	p = ask("127.53.10.2", "mail.kestrel.test.", LDNS_RR_TYPE_A);
	cr_assert_not_null(p);
	ldns_pkt_free(p);
	cr_assert(tcp_refused("127.53.10.3"), "not a server yet");
	test_write(dir, "kestrel.test.zone", zone_kestrel_moved);
	cr_assert_eq(test_http_unix(sock, "POST", "/reload", NULL, &j, NULL, 0), 200);
	json_decref(j);
	p = ask("127.53.10.3", "kestrel.test.", LDNS_RR_TYPE_MX);
	cr_assert_not_null(p, "the new server answers");
	cr_assert(ldns_pkt_aa(p));
	ldns_pkt_free(p);
	cr_assert(tcp_refused("127.53.10.2"), "the vanished server is closed");
}

Test(e2e_world, root_hints_file_names_the_root_server)
{
	char hints[512], out[4096];
	const char *argv[] = {"/bin/cat", hints, NULL};
	const char *extra[] = {"--root-hints", hints, "--root-addr", "127.53.0.7", NULL};
	ldns_pkt *p;

	test_tmpdir(hints, sizeof(hints));
	strncat(hints, "/root.hints", sizeof(hints) - strlen(hints) - 1);
	start_world(NULL, extra);
	cr_assert_eq(test_run(argv, out, sizeof(out), 2000), 0);
	cr_assert_not_null(
	    strstr(out, ".                        3600000      NS    a.root.mxlab.\n"), "%s", out);
	cr_assert_not_null(strstr(out, "a.root.mxlab.            3600000      A     127.53.0.7\n"),
	                   "%s", out);
	p = ask("127.53.0.7", "test.", LDNS_RR_TYPE_NS);
	cr_assert_not_null(p, "the root listens on --root-addr");
	ldns_pkt_free(p);
	cr_assert(tcp_refused("127.53.0.1"), "not on the default any more");
}

Test(e2e_world, query_log_names_the_server_address)
{
	char log[512];
	const char *extra[] = {"--query-log", log, NULL};
	json_t *lines;
	ldns_pkt *p;

	test_tmpdir(log, sizeof(log));
	strncat(log, "/q.log", sizeof(log) - strlen(log) - 1);
	start_world(NULL, extra);
	p = ask("127.53.10.2", "mail.kestrel.test.", LDNS_RR_TYPE_A);
	cr_assert_not_null(p);
	ldns_pkt_free(p);
	lines = test_json_lines(log, 1, 3000);
	cr_assert_geq(json_array_size(lines), 1);
	const char *listen = json_string_value(json_object_get(json_array_get(lines, 0), "listen"));
	cr_assert(listen && strncmp(listen, "127.53.10.2#", 12) == 0, "listen %s", listen);
	json_decref(lines);
}

Test(e2e_world, reload_that_needs_an_unservable_address_keeps_the_old_world)
{
	static const char moved_out[] = "$ORIGIN kestrel.test.\n"
	                                "$TTL 300\n"
	                                "@ SOA ns1 hostmaster 3 3600 600 86400 300\n"
	                                "@ NS ns1\n"
	                                "ns1 A 192.0.2.1\n";
	json_t *j = NULL;
	ldns_pkt *p;

	start_world(NULL, NULL);
	test_write(dir, "kestrel.test.zone", moved_out);
	cr_assert_eq(test_http_unix(sock, "POST", "/reload", NULL, &j, NULL, 0), 400);
	cr_assert_not_null(strstr(json_string_value(json_object_get(j, "error")), "192.0.2.1"),
	                   "the error names the address");
	json_decref(j);
	p = ask("127.53.10.2", "mail.kestrel.test.", LDNS_RR_TYPE_A);
	cr_assert_not_null(p, "the old servers still answer");
	cr_assert(ldns_pkt_aa(p));
	ldns_pkt_free(p);
}

/* The mail address server addr gives for mail.kestrel.test ("" when none). */
static void
mail_addr(const char *addr, char *out, size_t len)
{
	ldns_pkt *p = ask(addr, "mail.kestrel.test.", LDNS_RR_TYPE_A);

	out[0] = '\0';
	cr_assert_not_null(p);
	if (ldns_pkt_ancount(p) == 1) {
		char *a = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(p), 0), 0));
		snprintf(out, len, "%s", a);
		free(a);
	}
	ldns_pkt_free(p);
}

/* POST /reload; the zones it read and shared. */
static void
reload_counts(long long *read, long long *shared)
{
	json_t *j = NULL;

	cr_assert_eq(test_http_unix(sock, "POST", "/reload", NULL, &j, NULL, 0), 200);
	*read = json_integer_value(json_object_get(j, "read"));
	*shared = json_integer_value(json_object_get(j, "shared"));
	json_decref(j);
}

Test(e2e_world, reload_shares_unchanged_zones_and_reads_a_changed_server_copy)
{
	static const char stale[] =
	    "$ORIGIN kestrel.test.\n$TTL 300\n"
	    "@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\n@ NS ns2\n"
	    "ns1 A 127.53.10.1\nns2 A 127.53.10.2\n@ MX 10 mail\n"
	    "mail A 192.0.2.99\n";
	long long read, shared;
	char a[64];

	start_world(NULL, NULL);
	test_write(dir, "kestrel.test@127.53.10.2.zone", stale);
	reload_counts(&read, &shared); /* the new copy is read; the others were too recent */
	cr_expect_eq(read + shared, 3);
	mail_addr("127.53.10.2", a, sizeof(a));
	cr_expect_str_eq(a, "192.0.2.99", "the server with its own copy answers from it");
	usleep(2300000); /* the files are now old enough to be trusted unchanged */
	reload_counts(&read, &shared);
	cr_expect_eq(read + shared, 3);
	reload_counts(&read, &shared);
	cr_expect_eq(read, 0);
	cr_expect_eq(shared, 3, "test., kestrel.test and the copy for 127.53.10.2 are shared");
	/* only the server's copy changes: it alone is read again, for that server only */
	test_write(dir, "kestrel.test@127.53.10.2.zone", zone_kestrel);
	reload_counts(&read, &shared);
	cr_expect_eq(read, 1);
	cr_expect_eq(shared, 2);
	mail_addr("127.53.10.2", a, sizeof(a));
	cr_expect_str_eq(a, "192.0.2.25");
	mail_addr("127.53.10.1", a, sizeof(a));
	cr_expect_str_eq(a, "192.0.2.25");
}
