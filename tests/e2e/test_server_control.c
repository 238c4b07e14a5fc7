/* tests/e2e/test_server_control.c -- the control API of bin/mxlabd over a UNIX socket: status,
   stats, the query log, fault rules and zones changed at run time, reload, refusals. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>
#include <ldns/ldns.h>

#include "tests/support/support.h"

static const char zone_text[] = TEST_EXAMPLE_HEAD "ns1  IN A   127.0.0.1\n"
                                                  "www  IN A   192.0.2.1\n";

static const char other_zone[] = TEST_OTHER_ZONE;

static struct testsrv srv;
static char dir[256];
static char sock[300];
static char last_head[4096]; /* status line and headers of the last http() response */

static void
stop_srv(void)
{
	testsrv_stop(&srv);
}

TestSuite(e2e_server_control, .fini = stop_srv);

static void
start_ctl(void)
{
	char arg[320];

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "example.test.zone", zone_text);
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	snprintf(arg, sizeof(arg), "unix:%s", sock);
	const char *args[] = {"--control", arg, NULL};
	testsrv_start_dir(&srv, dir, args);
}

/* One HTTP/1.1 exchange with the server's control socket (test_http_unix). */
static int
http(const char *method, const char *path, const char *body, json_t **out)
{
	return test_http_unix(sock, method, path, body, out, last_head, sizeof(last_head));
}

static int
rcode_of(const char *name)
{
	ldns_pkt *p = test_query(srv.port, name, LDNS_RR_TYPE_A, false, 0, 2000);
	int rc;

	cr_assert_not_null(p, "no answer for %s", name);
	rc = ldns_pkt_get_rcode(p);
	ldns_pkt_free(p);
	return rc;
}

/* The first A address in the answer to name A, "" when there is none. */
static void
a_of(const char *name, char *out, size_t len)
{
	ldns_pkt *p = test_query(srv.port, name, LDNS_RR_TYPE_A, false, 0, 2000);
	ldns_rr_list *an;

	cr_assert_not_null(p, "no answer for %s", name);
	out[0] = '\0';
	an = ldns_pkt_answer(p);
	for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A) {
			char *s = ldns_rdf2str(ldns_rr_rdf(rr, 0));
			snprintf(out, len, "%s", s ? s : "");
			free(s);
			break;
		}
	}
	ldns_pkt_free(p);
}

Test(e2e_server_control, status_lists_zones_and_version)
{
	json_t *j, *z;

	start_ctl();
	cr_assert_eq(http("GET", "/status", NULL, &j), 200);
	cr_assert_not_null(j);
	cr_expect(json_is_string(json_object_get(j, "version")));
	cr_expect(json_is_number(json_object_get(j, "uptime")));
	cr_expect_eq(json_integer_value(json_object_get(j, "rules")), 0);
	z = json_object_get(j, "zones");
	cr_assert_eq(json_array_size(z), 1);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(z, 0), "origin")),
	                 "example.test.");
	cr_expect_eq(json_integer_value(json_object_get(json_array_get(z, 0), "serial")), 1);
	cr_expect_eq(json_integer_value(json_object_get(json_array_get(z, 0), "records")), 4);
	json_decref(j);
}

Test(e2e_server_control, fault_rules_change_answers_at_run_time)
{
	json_t *j;

	start_ctl();
	cr_expect_eq(rcode_of("www.example.test."), LDNS_RCODE_NOERROR);
	cr_assert_eq(http("PUT", "/faults", "www.example.test. A rcode=REFUSED\n", &j), 200);
	json_decref(j);
	cr_expect_eq(rcode_of("www.example.test."), LDNS_RCODE_REFUSED);

	cr_assert_eq(http("POST", "/faults", "ns1.example.test. * rcode=SERVFAIL\n", &j), 200);
	cr_expect_eq(json_integer_value(json_object_get(j, "rules")), 2);
	json_decref(j);
	cr_expect_eq(rcode_of("ns1.example.test."), LDNS_RCODE_SERVFAIL);

	cr_assert_eq(http("GET", "/faults", NULL, &j), 200);
	json_t *rules = json_object_get(j, "rules");
	cr_assert_eq(json_array_size(rules), 2);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(rules, 0), "rule")),
	                 "www.example.test. A rcode=REFUSED");
	cr_expect_eq(json_integer_value(json_object_get(json_array_get(rules, 0), "fired")), 1);
	json_decref(j);

	cr_assert_eq(http("DELETE", "/faults", NULL, &j), 200);
	json_decref(j);
	cr_expect_eq(rcode_of("www.example.test."), LDNS_RCODE_NOERROR);
}

Test(e2e_server_control, bad_rule_is_400_naming_the_line_and_changes_nothing)
{
	json_t *j;

	start_ctl();
	cr_assert_eq(http("PUT", "/faults", "www.example.test. A drop\n", &j), 200);
	json_decref(j);
	cr_assert_eq(
	    http("POST", "/faults", "ns1.example.test. A noaa\nns1.example.test. A dorp\n", &j),
	    400);
	cr_assert_not_null(j);
	const char *err = json_string_value(json_object_get(j, "error"));
	cr_assert_not_null(err);
	cr_expect(strstr(err, ":2:") != NULL, "error should name line 2: %s", err);
	json_decref(j);
	cr_assert_eq(http("GET", "/faults", NULL, &j), 200);
	cr_expect_eq(json_array_size(json_object_get(j, "rules")), 1, "nothing appended");
	json_decref(j);
	cr_assert_eq(http("PUT", "/faults", "bogus\n", &j), 400);
	json_decref(j);
	cr_assert_eq(http("GET", "/faults", NULL, &j), 200);
	cr_expect_eq(json_array_size(json_object_get(j, "rules")), 1, "nothing replaced");
	json_decref(j);
}

Test(e2e_server_control, zones_are_added_replaced_and_deleted)
{
	json_t *j;

	start_ctl();
	cr_expect_eq(rcode_of("mail.other.test."), LDNS_RCODE_REFUSED);
	cr_assert_eq(http("PUT", "/zones/other.test", other_zone, &j), 200);
	cr_expect_str_eq(json_string_value(json_object_get(j, "zone")), "other.test.");
	cr_expect_eq(json_integer_value(json_object_get(j, "zones")), 2);
	json_decref(j);
	cr_expect_eq(rcode_of("mail.other.test."), LDNS_RCODE_NOERROR);
	cr_expect_eq(rcode_of("www.example.test."), LDNS_RCODE_NOERROR);

	/* broken text: 400 naming the line, the old zone keeps serving */
	cr_assert_eq(http("PUT", "/zones/other.test",
	                  "$ORIGIN other.test.\n$TTL 300\n@ IN SOA ns1 h 8 1 1 1 1\n@ IN NS ns1\n"
	                  "ns1 IN A 999.0.0.1\n",
	                  &j),
	             400);
	const char *err = json_string_value(json_object_get(j, "error"));
	cr_expect(err && strstr(err, ":5:") != NULL, "error should name line 5: %s",
	          err ? err : "(none)");
	json_decref(j);
	cr_expect_eq(rcode_of("mail.other.test."), LDNS_RCODE_NOERROR);

	/* text for another zone than the URL names */
	cr_assert_eq(http("PUT", "/zones/third.test", other_zone, &j), 400);
	json_decref(j);

	cr_assert_eq(http("DELETE", "/zones/other.test", NULL, &j), 200);
	json_decref(j);
	cr_expect_eq(rcode_of("mail.other.test."), LDNS_RCODE_REFUSED);
	cr_assert_eq(http("DELETE", "/zones/other.test", NULL, &j), 404);
	json_decref(j);
}

Test(e2e_server_control, zone_put_keeps_other_zones_as_served)
{
	json_t *j;
	char addr[64], text[1024];

	start_ctl();
	a_of("www.example.test.", addr, sizeof(addr));
	cr_assert_str_eq(addr, "192.0.2.1");
	/* edited on disk, not reloaded: a PUT of another zone must not pick this up */
	snprintf(text, sizeof(text), "%s", zone_text);
	*strstr(text, "192.0.2.1") = '\0';
	strcat(text, "192.0.2.99\n");
	test_write(dir, "example.test.zone", text);
	cr_assert_eq(http("PUT", "/zones/other.test", other_zone, &j), 200);
	json_decref(j);
	a_of("www.example.test.", addr, sizeof(addr));
	cr_expect_str_eq(addr, "192.0.2.1", "PUT of other.test re-read example.test from disk");
	a_of("mail.other.test.", addr, sizeof(addr));
	cr_expect_str_eq(addr, "192.0.2.25");
	cr_assert_eq(http("DELETE", "/zones/other.test", NULL, &j), 200);
	json_decref(j);
	a_of("www.example.test.", addr, sizeof(addr));
	cr_expect_str_eq(addr, "192.0.2.1", "DELETE of other.test re-read example.test");
	/* a reload is what reads the files */
	cr_assert_eq(http("POST", "/reload", NULL, &j), 200);
	json_decref(j);
	a_of("www.example.test.", addr, sizeof(addr));
	cr_expect_str_eq(addr, "192.0.2.99");
}

Test(e2e_server_control, zone_put_ignores_a_broken_file_of_another_zone)
{
	json_t *j;
	char addr[64];

	start_ctl();
	test_write(dir, "example.test.zone", "$ORIGIN example.test.\nwww IN A 999.1.2.3\n");
	cr_assert_eq(http("PUT", "/zones/other.test", other_zone, &j), 200, "%s",
	             j ? json_string_value(json_object_get(j, "error")) : "(no body)");
	json_decref(j);
	a_of("mail.other.test.", addr, sizeof(addr));
	cr_expect_str_eq(addr, "192.0.2.25");
	a_of("www.example.test.", addr, sizeof(addr));
	cr_expect_str_eq(addr, "192.0.2.1");
	/* replacing the API zone again does not need its text kept around */
	cr_assert_eq(http("PUT", "/zones/other.test", other_zone, &j), 200);
	json_decref(j);
	cr_assert_eq(http("DELETE", "/zones/other.test", NULL, &j), 200);
	json_decref(j);
	a_of("www.example.test.", addr, sizeof(addr));
	cr_expect_str_eq(addr, "192.0.2.1");
	/* the reload reads the broken file, fails and keeps serving */
	cr_assert_eq(http("POST", "/reload", NULL, &j), 400);
	json_decref(j);
	a_of("www.example.test.", addr, sizeof(addr));
	cr_expect_str_eq(addr, "192.0.2.1");
}

Test(e2e_server_control, queries_since_and_clear)
{
	json_t *j;

	start_ctl();
	rcode_of("www.example.test.");
	rcode_of("ns1.example.test.");
	cr_assert_eq(http("GET", "/queries?since=0", NULL, &j), 200);
	cr_assert_not_null(j);
	cr_expect_eq(json_array_size(json_object_get(j, "queries")), 2);
	cr_expect_eq(json_integer_value(json_object_get(j, "last_seq")), 2);
	cr_expect_str_eq(json_string_value(json_object_get(
	                     json_array_get(json_object_get(j, "queries"), 0), "qname")),
	                 "www.example.test.");
	json_decref(j);
	cr_assert_eq(http("GET", "/queries?since=1", NULL, &j), 200);
	cr_assert_eq(json_array_size(json_object_get(j, "queries")), 1);
	cr_expect_eq(json_integer_value(
	                 json_object_get(json_array_get(json_object_get(j, "queries"), 0), "seq")),
	             2);
	json_decref(j);
	cr_assert_eq(http("GET", "/queries?since=x", NULL, &j), 400);
	json_decref(j);
	cr_assert_eq(http("DELETE", "/queries", NULL, &j), 200);
	json_decref(j);
	cr_assert_eq(http("GET", "/queries", NULL, &j), 200);
	cr_expect_eq(json_array_size(json_object_get(j, "queries")), 0);
	json_decref(j);
}

Test(e2e_server_control, stats_count_queries)
{
	json_t *j;

	start_ctl();
	cr_assert_eq(http("PUT", "/faults", "www.example.test. A rcode=SERVFAIL count=1\n", &j),
	             200);
	json_decref(j);
	rcode_of("www.example.test.");
	rcode_of("www.example.test.");
	rcode_of("nope.example.test.");
	cr_assert_eq(http("GET", "/stats", NULL, &j), 200);
	cr_assert_not_null(j);
	cr_expect_eq(json_integer_value(json_object_get(j, "queries")), 3);
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(j, "transport"), "udp")),
	             3);
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(j, "qtype"), "A")), 3);
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(j, "rcode"), "SERVFAIL")),
	             1);
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(j, "rcode"), "NXDOMAIN")),
	             1);
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(j, "faults"), "fired")), 1);
	json_decref(j);
}

Test(e2e_server_control, stats_count_answers_given_from_the_cache)
{
	json_t *j, *ac;

	start_ctl();
	for (int i = 0; i < 3; i++)
		cr_assert_eq(rcode_of("www.example.test."), LDNS_RCODE_NOERROR);
	cr_assert_eq(http("GET", "/stats", NULL, &j), 200);
	ac = json_object_get(j, "answer_cache");
	cr_assert_not_null(ac, "GET /stats has answer_cache");
	cr_expect_eq(json_integer_value(json_object_get(ac, "hits")), 2,
	             "the first request is built, the two after it copied");
	cr_expect_eq(json_integer_value(json_object_get(ac, "misses")), 1);
	cr_expect_eq(json_integer_value(json_object_get(ac, "entries")), 1);
	json_decref(j);
}

Test(e2e_server_control, post_reload_rereads_the_files)
{
	json_t *j;

	start_ctl();
	cr_expect_eq(rcode_of("new.example.test."), LDNS_RCODE_NXDOMAIN);
	char text[1024];
	snprintf(text, sizeof(text), "%snew IN A 192.0.2.50\n", zone_text);
	test_write(dir, "example.test.zone", text);
	cr_assert_eq(http("POST", "/reload", NULL, &j), 200);
	json_decref(j);
	cr_expect_eq(rcode_of("new.example.test."), LDNS_RCODE_NOERROR);

	test_write(dir, "example.test.zone", "$ORIGIN example.test.\nwww IN A 1.2.3.4\n");
	cr_assert_eq(http("POST", "/reload", NULL, &j), 400);
	cr_expect(json_is_string(json_object_get(j, "error")));
	json_decref(j);
	cr_expect_eq(rcode_of("new.example.test."), LDNS_RCODE_NOERROR, "old data kept");
	cr_assert_eq(http("GET", "/nope", NULL, &j), 404);
	json_decref(j);
	cr_assert_eq(http("DELETE", "/status", NULL, &j), 405);
	json_decref(j);
}

Test(e2e_server_control, public_control_address_is_refused)
{
	char cmd[1024], out[4096];

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "example.test.zone", zone_text);
	snprintf(cmd, sizeof(cmd), "exec '%s' -p 0 -z '%s' --control 192.0.2.1:8053 2>&1",
	         test_bin("mxlabd"), dir);
	const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	cr_expect_eq(test_run(argv, out, sizeof(out), 10000), 2, "%s", out);
	cr_expect(strstr(out, "loopback") != NULL, "%s", out);
	cr_expect(strstr(out, "ready") == NULL);
}

/* Run bin/mxlabd -p 0 -z dir --control unix:sock with stderr merged into out (exits at once
   when the socket is refused; otherwise it would wait, so the bound ends it). */
static int
run_second(char *out, size_t cap)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "exec '%s' -p 0 -z '%s' --control 'unix:%s' 2>&1",
	         test_bin("mxlabd"), dir, sock);
	const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	return test_run(argv, out, cap, 5000);
}

Test(e2e_server_control, live_control_socket_is_not_taken_over)
{
	char out[4096], want[400];
	json_t *j;

	start_ctl();
	cr_assert_eq(run_second(out, sizeof(out)), 1, "%s", out);
	snprintf(want, sizeof(want), "mxlabd: control socket %s is in use", sock);
	cr_expect(strstr(out, want) != NULL, "%s", out);
	cr_expect(strstr(out, "ready") == NULL, "%s", out);
	/* the first instance still owns and answers on its socket */
	cr_expect_eq(http("GET", "/status", NULL, &j), 200);
	json_decref(j);
}

Test(e2e_server_control, stale_control_socket_is_replaced)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	json_t *j;
	int fd;

	test_tmpdir(dir, sizeof(dir));
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	memcpy(sun.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd); /* the file stays, nobody listens: a crashed earlier run */
	test_write(dir, "example.test.zone", zone_text);
	char arg[320];
	snprintf(arg, sizeof(arg), "unix:%s", sock);
	const char *args[] = {"--control", arg, NULL};
	testsrv_start_dir(&srv, dir, args);
	cr_expect_eq(http("GET", "/status", NULL, &j), 200);
	json_decref(j);
	testsrv_stop(&srv);
	cr_expect_neq(access(sock, F_OK), 0, "our socket is removed on exit");
}

Test(e2e_server_control, control_path_that_is_not_a_socket_is_left_alone)
{
	char out[4096], text[64];
	FILE *fp;

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "example.test.zone", zone_text);
	test_write(dir, "ctl.sock", "precious\n");
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	cr_assert_eq(run_second(out, sizeof(out)), 1, "%s", out);
	cr_expect(strstr(out, "not a socket") != NULL, "%s", out);
	fp = fopen(sock, "r");
	cr_assert_not_null(fp);
	cr_expect_not_null(fgets(text, sizeof(text), fp));
	fclose(fp);
	cr_expect_str_eq(text, "precious\n");
}

Test(e2e_server_control, exit_leaves_a_socket_that_is_no_longer_ours)
{
	char moved[400];
	struct stat st;

	start_ctl();
	/* someone moved our socket away and put another in its place */
	snprintf(moved, sizeof(moved), "%s.old", sock);
	cr_assert_eq(rename(sock, moved), 0);
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	memcpy(sun.sun_path, sock, strlen(sock) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	testsrv_stop(&srv);
	cr_expect_eq(lstat(sock, &st), 0, "the other socket must survive our exit");
	close(fd);
}

Test(e2e_server_control, non_utf8_rule_is_a_json_400_naming_the_line)
{
	json_t *j;
	const char *e;

	start_ctl();
	cr_assert_eq(http("PUT", "/faults", "x.test. A drop\n\xff.test. A drop\n", &j), 400);
	cr_assert_not_null(j, "the 400 must carry a JSON body");
	e = json_string_value(json_object_get(j, "error"));
	cr_assert_not_null(e);
	cr_expect(strstr(e, "faults:2") != NULL, "%s", e);
	cr_expect(strstr(e, "\\xFF") != NULL, "%s", e);
	json_decref(j);
	cr_assert_eq(http("GET", "/faults", NULL, &j), 200);
	cr_expect_eq(json_array_size(json_object_get(j, "rules")), 0);
	json_decref(j);
}

Test(e2e_server_control, unsupported_method_is_a_json_405_with_allow)
{
	json_t *j;

	start_ctl();
	cr_assert_eq(http("PATCH", "/faults", "x", &j), 405, "%s", last_head);
	cr_assert_not_null(j, "405 must be JSON: %s", last_head);
	cr_expect(strstr(json_string_value(json_object_get(j, "error")), "/faults") != NULL);
	json_decref(j);
	cr_expect(strstr(last_head, "\r\nAllow: GET, POST, PUT, DELETE") != NULL, "%s", last_head);
	cr_assert_eq(http("OPTIONS", "/reload", NULL, &j), 405, "%s", last_head);
	cr_assert_not_null(j);
	json_decref(j);
	cr_expect(strstr(last_head, "\r\nAllow: POST") != NULL, "%s", last_head);
}

Test(e2e_server_control, stats_fired_total_matches_the_rules_listed)
{
	json_t *j, *f;

	start_ctl();
	cr_assert_eq(http("PUT", "/faults", "www.example.test. A rcode=SERVFAIL\n", &j), 200);
	json_decref(j);
	rcode_of("www.example.test.");
	rcode_of("www.example.test.");
	cr_assert_eq(http("PUT", "/faults", "www.example.test. A rcode=REFUSED\n", &j), 200);
	json_decref(j);
	cr_expect_eq(rcode_of("www.example.test."), LDNS_RCODE_REFUSED);
	cr_assert_eq(http("GET", "/stats", NULL, &j), 200);
	f = json_object_get(j, "faults");
	cr_assert_eq(json_array_size(json_object_get(f, "rules")), 1);
	cr_expect_eq(json_integer_value(
	                 json_object_get(json_array_get(json_object_get(f, "rules"), 0), "fired")),
	             1);
	cr_expect_eq(json_integer_value(json_object_get(f, "fired")), 1,
	             "the total counts the rule listed, not the replaced one");
	json_decref(j);
}
