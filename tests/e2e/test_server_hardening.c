/* tests/e2e/test_server_hardening.c -- bin/mxlabd against hostile input and slow peers: zone
   text from the API includes nothing, non-regular files never block, a stalled query-log
   reader never stops answering, the control socket's mode, Host and Origin checks. */
#include <errno.h>
#include <signal.h>
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

static struct testsrv srv;
static char dir[256];
static char ctl[300]; /* "unix:DIR/ctl.sock" */

static void
stop_srv(void)
{
	testsrv_stop(&srv);
}

TestSuite(e2e_hardening, .fini = stop_srv, .timeout = 60);

/* Serve example.test. from a fresh dir with a control socket and extra flags. */
static void
start_ctl(const char *const extra[])
{
	const char *args[32];
	size_t n = 0;

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "example.test.zone", zone_text);
	snprintf(ctl, sizeof(ctl), "unix:%s/ctl.sock", dir);
	args[n++] = "--control";
	args[n++] = ctl;
	for (size_t i = 0; extra && extra[i] && n < 30; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	testsrv_start_dir(&srv, dir, args);
}

static bool
answers(int port, const char *name)
{
	ldns_pkt *p = test_query(port, name, LDNS_RR_TYPE_A, false, 0, 2000);
	bool ok = p != NULL && ldns_pkt_get_rcode(p) == LDNS_RCODE_NOERROR;

	if (p)
		ldns_pkt_free(p);
	return ok;
}

/* ---- item 1: $INCLUDE --------------------------------------------------------------------- */

Test(e2e_hardening, put_zone_with_include_is_refused_and_serves_no_file)
{
	char secret[300], body[2048];
	json_t *j = NULL;
	ldns_pkt *p;

	start_ctl(NULL);
	test_write(dir, "secret.txt", "leak IN A 192.0.2.66\n");
	chmod(dir, 0700);
	snprintf(secret, sizeof(secret), "%s/secret.txt", dir);
	snprintf(body, sizeof(body),
	         "$ORIGIN evil.test.\n$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\n"
	         "ns A 127.0.0.1\n$INCLUDE %s\n",
	         secret);
	cr_assert_eq(test_http(ctl, NULL, "PUT", "/zones/evil.test.", body, &j, NULL, 0), 400);
	cr_assert_not_null(j);
	cr_expect(strstr(json_string_value(json_object_get(j, "error")),
	                 "$INCLUDE is not allowed") != NULL,
	          "%s", json_string_value(json_object_get(j, "error")));
	json_decref(j);
	p = test_query(srv.port, "leak.evil.test.", LDNS_RR_TYPE_A, false, 0, 2000);
	cr_assert_not_null(p);
	cr_expect_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_REFUSED, "the zone must not be served");
	ldns_pkt_free(p);
}

/* ---- item 2: files that would block ------------------------------------------------------- */

Test(e2e_hardening, fifo_faults_conf_fails_start_up_at_once)
{
	char fifo[300], out[8192];
	const char *argv[] = {"/bin/sh", "-c", NULL, NULL};
	char cmd[1024];

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "example.test.zone", zone_text);
	snprintf(fifo, sizeof(fifo), "%s/faults.conf", dir);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	snprintf(cmd, sizeof(cmd), "exec '%s' -p 0 -z '%s' 2>&1", test_bin("mxlabd"), dir);
	argv[2] = cmd;
	cr_expect_eq(test_run(argv, out, sizeof(out), 10000), 2, "must fail, not hang: %s", out);
	cr_expect(strstr(out, "faults.conf") && strstr(out, "not a regular file (a FIFO)"), "%s",
	          out);
}

Test(e2e_hardening, fifo_zone_file_on_sighup_keeps_the_server_answering)
{
	char fifo[300];

	start_ctl(NULL);
	cr_assert(answers(srv.port, "www.example.test."));
	snprintf(fifo, sizeof(fifo), "%s/fifo.test.zone", dir);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	testsrv_signal(&srv, SIGHUP);
	cr_assert(testsrv_wait_stderr(&srv, "reload failed", 5000), "%s", testsrv_stderr(&srv));
	cr_expect(strstr(testsrv_stderr(&srv), "not a regular file (a FIFO)") != NULL, "%s",
	          testsrv_stderr(&srv));
	cr_expect(answers(srv.port, "www.example.test."));
}

/* ---- item 5 and 18: the query log --------------------------------------------------------- */

Test(e2e_hardening, stalled_query_log_reader_never_stops_answering)
{
	const char *extra[] = {"--query-log", "-", NULL};
	json_t *j = NULL;

	/* stdout is a pipe the test never reads after the ready line */
	setenv("MXLABD_QUERY_LOG_BUFFER", "16384", 1);
	start_ctl(extra);
	for (int i = 0; i < 600; i++)
		cr_assert(answers(srv.port, "www.example.test."), "query %d got no answer", i);
	cr_assert_eq(test_http(ctl, NULL, "GET", "/stats", NULL, &j, NULL, 0), 200);
	cr_expect_gt(json_integer_value(json_object_get(j, "query_log_dropped")), 0);
	json_decref(j);
	cr_expect(testsrv_wait_stderr(&srv, "dropping query log lines", 2000), "%s",
	          testsrv_stderr(&srv));
}

Test(e2e_hardening, query_log_file_numbering_goes_on_in_the_next_run)
{
	char logp[300];
	json_t *lines;

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "example.test.zone", zone_text);
	snprintf(logp, sizeof(logp), "%s/q.log", dir);
	for (int run = 0; run < 2; run++) {
		const char *extra[] = {"--query-log", logp, NULL};
		testsrv_start_dir(&srv, dir, extra);
		for (int i = 0; i < 2; i++)
			cr_assert(answers(srv.port, "www.example.test."));
		lines = test_json_lines(logp, (size_t)(run + 1) * 2, 3000);
		json_decref(lines);
		testsrv_stop(&srv);
	}
	lines = test_json_lines(logp, 4, 3000);
	cr_assert_eq(json_array_size(lines), 4);
	for (size_t i = 0; i < 4; i++)
		cr_expect_eq(json_integer_value(json_object_get(json_array_get(lines, i), "seq")),
		             (json_int_t)i + 1, "line %zu", i);
	json_decref(lines);
}

/* ---- item 6 and 7: the UNIX control socket ------------------------------------------------ */

Test(e2e_hardening, unix_control_socket_is_0600_even_under_umask_000)
{
	struct stat st;

	umask(0); /* inherited by mxlabd */
	start_ctl(NULL);
	cr_assert_eq(stat(ctl + 5, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0600, "mode %o", st.st_mode & 0777);
	cr_expect_eq(st.st_uid, geteuid());
}

Test(e2e_hardening, control_mode_sets_the_socket_permissions)
{
	const char *extra[] = {"--control-mode", "0660", NULL};
	struct stat st;

	umask(0);
	start_ctl(extra);
	cr_assert_eq(stat(ctl + 5, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0660, "mode %o", st.st_mode & 0777);
}

Test(e2e_hardening, bad_control_mode_is_a_usage_error)
{
	const char *argv[] = {test_bin("mxlabd"), "--control-mode", "rw", "--check", NULL};
	char out[1024];

	cr_expect_eq(test_run(argv, out, sizeof(out), 10000), 2);
	cr_expect(strstr(test_run_stderr(), "--control-mode rw: not an octal mode"), "%s",
	          test_run_stderr());
}

Test(e2e_hardening, control_socket_backlog_holds_a_burst_of_clients)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fds[100], ok = 0;

	start_ctl(NULL);
	cr_assert_lt(strlen(ctl + 5), sizeof(sun.sun_path));
	memcpy(sun.sun_path, ctl + 5, strlen(ctl + 5) + 1);
	/* a stopped server accepts nothing: every connect has to wait in the backlog */
	kill(srv.pid, SIGSTOP);
	for (int i = 0; i < 100; i++) {
		fds[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fds[i] >= 0 && connect(fds[i], (struct sockaddr *)&sun, sizeof(sun)) == 0)
			ok++;
	}
	kill(srv.pid, SIGCONT);
	for (int i = 0; i < 100; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	cr_expect_eq(ok, 100, "%d of 100 clients got into the backlog", ok);
}

/* ---- item 8: Host and Origin -------------------------------------------------------------- */

/* Serve with a control API on 127.0.0.1:port (and the UNIX socket); target gets "ADDR:PORT". */
static void
start_tcp_ctl(char *target, size_t len)
{
	char arg[64];
	int port = test_free_port();

	cr_assert_gt(port, 0);
	snprintf(arg, sizeof(arg), "127.0.0.1:%d", port);
	snprintf(target, len, "127.0.0.1:%d", port);
	const char *extra[] = {"--control", arg, NULL};
	start_ctl(extra);
}

Test(e2e_hardening, foreign_host_header_is_refused_with_a_json_error)
{
	char target[64];
	json_t *j = NULL;

	start_tcp_ctl(target, sizeof(target));
	cr_assert_eq(
	    test_http(target, "Host: attacker.example:80\r\n", "GET", "/status", NULL, &j, NULL, 0),
	    403);
	cr_assert_not_null(j, "the refusal is JSON");
	cr_expect(strstr(json_string_value(json_object_get(j, "error")), "attacker.example"));
	json_decref(j);
}

Test(e2e_hardening, curl_style_requests_keep_working)
{
	char target[64], host[80];
	json_t *j = NULL;

	start_tcp_ctl(target, sizeof(target));
	/* what curl sends: Host ADDR:PORT, no Origin */
	cr_expect_eq(test_http(target, NULL, "GET", "/status", NULL, &j, NULL, 0), 200);
	json_decref(j);
	snprintf(host, sizeof(host), "Host: localhost:%s\r\n", strrchr(target, ':') + 1);
	cr_expect_eq(
	    test_http(target, host, "POST", "/faults", "www.example.test. A drop\n", &j, NULL, 0),
	    200);
	json_decref(j);
	/* the UNIX socket takes any Host (no browser reaches it) */
	cr_expect_eq(test_http(ctl, "Host: mxlabd\r\n", "GET", "/status", NULL, &j, NULL, 0), 200);
	json_decref(j);
}

Test(e2e_hardening, cross_origin_post_is_refused_and_changes_nothing)
{
	char target[64], hdr[256];
	json_t *j = NULL;

	start_tcp_ctl(target, sizeof(target));
	snprintf(hdr, sizeof(hdr), "Origin: http://evil.example\r\nContent-Type: text/plain\r\n");
	cr_assert_eq(
	    test_http(target, hdr, "POST", "/faults", "www.example.test. A drop\n", &j, NULL, 0),
	    403);
	cr_assert_not_null(j);
	cr_expect(strstr(json_string_value(json_object_get(j, "error")), "cross-origin"));
	json_decref(j);
	cr_expect(answers(srv.port, "www.example.test."), "the rule must not have taken effect");
	/* the API's own origin may */
	snprintf(hdr, sizeof(hdr), "Origin: http://%s\r\n", target);
	cr_expect_eq(
	    test_http(target, hdr, "POST", "/faults", "www.example.test. A drop\n", &j, NULL, 0),
	    200);
	json_decref(j);
	/* over the UNIX socket no web origin is ours */
	cr_expect_eq(
	    test_http(ctl, "Origin: http://localhost\r\n", "DELETE", "/faults", NULL, &j, NULL, 0),
	    403);
	json_decref(j);
}

/* ---- item 16 and 18: an empty server, two listeners ---------------------------------------- */

Test(e2e_hardening, empty_server_with_control_gets_its_zones_by_put)
{
	char target[64];
	json_t *j = NULL;

	test_tmpdir(dir, sizeof(dir));
	snprintf(ctl, sizeof(ctl), "unix:%s/ctl.sock", dir);
	const char *args[] = {"-z", dir, "--control", ctl, NULL};
	cr_assert_eq(testsrv_start(&srv, args), 0, "must start empty: %s", testsrv_stderr(&srv));
	ldns_pkt *p = test_query(srv.port, "www.example.test.", LDNS_RR_TYPE_A, false, 0, 2000);
	cr_assert_not_null(p);
	cr_expect_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_REFUSED);
	ldns_pkt_free(p);
	cr_assert_eq(test_http(ctl, NULL, "PUT", "/zones/example.test.", zone_text, &j, NULL, 0),
	             200);
	json_decref(j);
	cr_expect(answers(srv.port, "www.example.test."));
	cr_assert_eq(test_http(ctl, NULL, "DELETE", "/zones/example.test.", NULL, &j, NULL, 0), 200,
	             "deleting the last zone leaves an empty server");
	json_decref(j);
	(void)target;
}

Test(e2e_hardening, second_control_adds_a_listener)
{
	char target[64];
	json_t *j = NULL;

	start_tcp_ctl(target, sizeof(target));
	cr_expect_eq(test_http(ctl, NULL, "GET", "/status", NULL, &j, NULL, 0), 200,
	             "the UNIX socket still serves");
	json_decref(j);
	cr_expect_eq(test_http(target, NULL, "GET", "/status", NULL, &j, NULL, 0), 200,
	             "the TCP port serves too");
	json_decref(j);
}

/* ---- item 17: fault bodies ---------------------------------------------------------------- */

Test(e2e_hardening, get_faults_json_can_be_put_back)
{
	json_t *j = NULL, *again = NULL;
	char *dump;

	start_ctl(NULL);
	cr_assert_eq(test_http(ctl, NULL, "PUT", "/faults",
	                       "www.example.test. A drop count=1\n* MX noaa\n", &j, NULL, 0),
	             200);
	json_decref(j);
	cr_assert_eq(test_http(ctl, NULL, "GET", "/faults", NULL, &j, NULL, 0), 200);
	dump = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	cr_assert_eq(test_http(ctl, NULL, "PUT", "/faults", dump, &again, NULL, 0), 200, "%s",
	             dump);
	cr_expect_eq(json_integer_value(json_object_get(again, "rules")), 2);
	json_decref(again);
	free(dump);
	cr_assert(!answers(srv.port, "www.example.test."), "the rule from the JSON body fires");
}

Test(e2e_hardening, curl_d_flattened_rules_get_the_data_binary_hint)
{
	json_t *j = NULL;
	const char *err;

	start_ctl(NULL);
	/* what curl -d @rules sends for "a.test. MX drop count=2\nb.test. A rcode=SERVFAIL\n" */
	cr_assert_eq(
	    test_http(ctl, NULL, "POST", "/faults",
	              "www.example.test. MX drop count=2www.example.test. A rcode=SERVFAIL", &j,
	              NULL, 0),
	    400);
	err = json_string_value(json_object_get(j, "error"));
	cr_expect(err && strstr(err, "--data-binary"), "%s", err ? err : "(none)");
	json_decref(j);
}

/* ---- item 14: every error of a failed reload is logged ------------------------------------- */

Test(e2e_hardening, failed_reload_logs_every_error_with_the_token)
{
	start_ctl(NULL);
	test_write(dir, "example.test.zone",
	           TEST_EXAMPLE_HEAD "ns1 IN A 127.0.0.1\nwww IN MXX 10 mx1\nbad IN A 1.2.3.999\n");
	testsrv_signal(&srv, SIGHUP);
	cr_assert(testsrv_wait_stderr(&srv, "reload failed", 5000), "%s", testsrv_stderr(&srv));
	cr_assert(testsrv_wait_stderr(&srv, "invalid IPv4 address '1.2.3.999'", 2000), "%s",
	          testsrv_stderr(&srv));
	cr_expect(strstr(testsrv_stderr(&srv), "unsupported record type 'MXX'") != NULL, "%s",
	          testsrv_stderr(&srv));
	cr_expect(answers(srv.port, "www.example.test."), "the old data still serves");
}

Test(e2e_hardening, api_errors_name_every_bad_line)
{
	json_t *j = NULL;
	const char *e;

	start_ctl(NULL);
	cr_assert_eq(test_http(ctl, NULL, "POST", "/faults",
	                       "a.example.test. MX drop\nb.example.test. MX delay=soon\n"
	                       "c.example.test. ZZ drop\n",
	                       &j, NULL, 0),
	             400);
	e = json_string_value(json_object_get(j, "error"));
	cr_expect(e && strstr(e, "faults:2:") && strstr(e, "faults:3:"), "%s", e ? e : "");
	json_decref(j);
	cr_assert_eq(test_http(ctl, NULL, "PUT", "/zones/example.test.",
	                       TEST_EXAMPLE_HEAD "ns1 A 127.0.0.1\nwww MXX 1 a\nx A 1.2.3.999\n",
	                       &j, NULL, 0),
	             400);
	e = json_string_value(json_object_get(j, "error"));
	cr_expect(e && strstr(e, "unsupported record type 'MXX'") && strstr(e, "'1.2.3.999'"), "%s",
	          e ? e : "");
	json_decref(j);
}

Test(e2e_hardening, fifo_port_file_and_query_log_without_reader_fail_at_once)
{
	char fifo[300], cmd[1024], out[8192];
	const char *argv[] = {"/bin/sh", "-c", cmd, NULL};

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "example.test.zone", zone_text);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	snprintf(cmd, sizeof(cmd), "exec '%s' -p 0 -z '%s' --port-file '%s' 2>&1",
	         test_bin("mxlabd"), dir, fifo);
	cr_expect_eq(test_run(argv, out, sizeof(out), 10000), 1, "must fail, not hang: %s", out);
	snprintf(cmd, sizeof(cmd), "exec '%s' -p 0 -z '%s' --query-log '%s' 2>&1",
	         test_bin("mxlabd"), dir, fifo);
	cr_expect_eq(test_run(argv, out, sizeof(out), 10000), 1, "must fail, not hang: %s", out);
	cr_expect(strstr(out, "a FIFO with no reader") != NULL, "%s", out);
}
