/* tests/e2e/test_mxcheck.c -- mxcheck (library and binary) against the real bin/mxlabd on an
   ephemeral loopback port, with small zones and fault rules written to a temp dir. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/check.h"
#include "client/lookup.h"
#include "client/mx.h"
#include "client/rdns.h"
#include "tests/support/support.h"

static const char forward_zone[] =
    "$ORIGIN test.\n"
    "$TTL 300\n"
    "@ IN SOA ns.lab.test. hostmaster.lab.test. 1 3600 600 86400 300\n"
    "@ IN NS ns.lab.test.\n"
    "ns.lab IN A 192.0.2.53\n"
    /* healthy multi-MX, IPv4 and IPv6, FCrDNS everywhere */
    "healthy IN MX 10 mx1.healthy\n"
    "healthy IN MX 20 mx2.healthy\n"
    "mx1.healthy IN A 192.0.2.1\n"
    "mx1.healthy IN AAAA 2001:db8::1\n"
    "mx2.healthy IN A 192.0.2.2\n"
    /* implicit MX */
    "implicit IN A 192.0.2.3\n"
    /* null MX */
    "nullmx IN MX 0 .\n"
    /* MX pointing at a CNAME */
    "mxcname IN MX 10 alias.mxcname\n"
    "alias.mxcname IN CNAME mx1.healthy\n"
    /* MX pointing at an IP literal */
    "mxliteral IN MX 10 192.0.2.1.\n"
    /* MX host without an address */
    "noaddr IN MX 10 mx.noaddr\n"
    "mx.noaddr IN TXT \"no address here\"\n"
    /* PTR missing / PTR mismatch / multiple PTRs */
    "ptrmissing IN MX 10 mx.ptrmissing\n"
    "mx.ptrmissing IN A 198.51.100.10\n"
    "ptrmismatch IN MX 10 mx.ptrmismatch\n"
    "mx.ptrmismatch IN A 198.51.100.11\n"
    "other.ptrmismatch IN A 198.51.100.99\n"
    "a.multi IN A 198.51.100.12\n"
    "b.multi IN A 198.51.100.13\n"
    /* fault targets */
    "servfail IN MX 10 mx1.healthy\n"
    "noaa IN MX 10 mx1.healthy\n"
    "badid IN MX 10 mx1.healthy\n"
    "tcpfail IN MX 10 mx1.healthy\n"
    "dropped IN MX 10 mx1.healthy\n"
    "qmismatch IN MX 10 mx1.healthy\n";

static const char rev4_zone[] = "$ORIGIN 2.0.192.in-addr.arpa.\n"
                                "$TTL 300\n"
                                "@ IN SOA ns.lab.test. hostmaster.lab.test. 1 3600 600 86400 300\n"
                                "@ IN NS ns.lab.test.\n"
                                "1 IN PTR mx1.healthy.test.\n"
                                "2 IN PTR mx2.healthy.test.\n"
                                "3 IN PTR implicit.test.\n";

static const char rev4b_zone[] = "$ORIGIN 100.51.198.in-addr.arpa.\n"
                                 "$TTL 300\n"
                                 "@ IN SOA ns.lab.test. hostmaster.lab.test. 1 3600 600 86400 300\n"
                                 "@ IN NS ns.lab.test.\n"
                                 "11 IN PTR other.ptrmismatch.test.\n"
                                 "12 IN PTR a.multi.test.\n"
                                 "12 IN PTR b.multi.test.\n";

static const char rev6_zone[] =
    "$ORIGIN 8.b.d.0.1.0.0.2.ip6.arpa.\n"
    "$TTL 300\n"
    "@ IN SOA ns.lab.test. hostmaster.lab.test. 1 3600 600 86400 300\n"
    "@ IN NS ns.lab.test.\n"
    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN PTR mx1.healthy.test.\n";

static const char faults[] = "servfail.test. MX rcode=SERVFAIL\n"
                             "noaa.test. MX noaa\n"
                             "badid.test. MX badid\n"
                             "tcpfail.test. MX truncate transport=udp\n"
                             "tcpfail.test. MX tcp-close\n"
                             "dropped.test. MX drop\n"
                             "qmismatch.test. MX qmismatch\n";

static struct testsrv srv;
static char dir[256];
static char server_spec[64];

/* An MX set far bigger than 512 bytes: answered with TC over UDP. */
static void
write_big_zone(void)
{
	char buf[8192];
	size_t n = 0;

	n += (size_t)snprintf(buf + n, sizeof(buf) - n,
	                      "$ORIGIN big.test.\n$TTL 300\n"
	                      "@ IN SOA ns.lab.test. hostmaster.lab.test. 1 3600 600 86400 300\n"
	                      "@ IN NS ns.lab.test.\n");
	for (int i = 0; i < 14; i++)
		n += (size_t)snprintf(
		    buf + n, sizeof(buf) - n,
		    "@ IN MX %d mail-exchanger-with-a-long-name-number-%02d\n"
		    "mail-exchanger-with-a-long-name-number-%02d IN A 192.0.2.%d\n",
		    10 + i, i, i, 100 + i);
	test_write(dir, "big.test.zone", buf);
}

static void
setup(void)
{
	/* Criterion's worker variable must not reach mxlabd: a program that happens to link
	   libcriterion (the ASan build) would take itself for a test worker and abort. */
	unsetenv("BXFI_MAP");
	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "test.zone", forward_zone);
	test_write(dir, "rev4.zone", rev4_zone);
	test_write(dir, "rev4b.zone", rev4b_zone);
	test_write(dir, "rev6.zone", rev6_zone);
	test_write(dir, "faults.conf", faults);
	write_big_zone();
	testsrv_start_dir(&srv, dir, NULL);
	snprintf(server_spec, sizeof(server_spec), "127.0.0.1@%d", srv.port);
}

static void
teardown(void)
{
	testsrv_stop(&srv);
}

TestSuite(e2e_mxcheck, .init = setup, .fini = teardown, .timeout = 60);

/* Library: one check against the server. */
static struct check_result *
lib_check(const char *target, bool no_ptr)
{
	const char *specs[1] = {server_spec};
	struct check_options o;
	char err[256] = "";
	struct lookup *lk = lookup_net_new(specs, 1, 1000, 1, err, sizeof(err));
	struct check_result *r;

	cr_assert_not_null(lk, "%s", err);
	check_options_init(&o);
	o.seed = 1;
	o.no_ptr = no_ptr;
	if (check_parse_ip(target, (uint8_t[16]){0}) != 0)
		r = rdns_check(lk, target, &o, err, sizeof(err));
	else
		r = mx_check(lk, target, &o, err, sizeof(err));
	cr_assert_not_null(r, "%s: %s", target, err);
	lookup_free(lk);
	return r;
}

/* Binary: bin/mxcheck -s 127.0.0.1@PORT --json --seed 1 -t 1000 [extra [extra2]] target;
   returns the exit status and the parsed first JSON line. */
static int
bin_check(const char *target, const char *extra, const char *extra2, json_t **out)
{
	static char buf[262144];
	const char *extra_args[] = {"-t", "1000", extra, extra2, NULL};
	int st;
	json_error_t e;

	st = test_mxcheck_json(srv.port, extra_args, target, buf, sizeof(buf), 30000);
	*out = json_loads(buf, JSON_DISABLE_EOF_CHECK, &e);
	cr_assert_not_null(*out, "%s: no JSON (%s): %s", target, e.text, buf);
	return st;
}

static bool
json_has_code(json_t *o, const char *code)
{
	size_t i;
	json_t *p;

	json_array_foreach(json_object_get(o, "problems"), i,
	                   p) if (strcmp(json_string_value(json_object_get(p, "code")), code) ==
	                          0) return true;
	return false;
}

/* A target and what both the library and bin/mxcheck must say about it. */
struct both_case {
	char name[48];              /* the fact */
	char target[32];            /* domain or address checked */
	enum check_verdict verdict; /* verdict expected */
	char code[32];              /* problem code expected, "" for none in particular */
	int status;                 /* exit status expected */
};

static struct both_case both_cases[] = {
    {"implicit_mx", "implicit.test", CHECK_DELIVER, "implicit-mx", 0},
    {"null_mx", "nullmx.test", CHECK_PERMFAIL, "null-mx", 69},
    {"mx_to_cname", "mxcname.test", CHECK_DELIVER, "mx-cname", 1},
    {"mx_to_ip_literal", "mxliteral.test", CHECK_PERMFAIL, "mx-ip-literal", 69},
    {"mx_host_without_address", "noaddr.test", CHECK_PERMFAIL, "mx-host-nodata", 69},
    {"nxdomain", "nothere.test", CHECK_PERMFAIL, "nxdomain", 69},
    {"ptr_missing_domain", "ptrmissing.test", CHECK_DELIVER, "ptr-missing", 1},
    {"ptr_missing_address", "198.51.100.10", CHECK_PERMFAIL, "ptr-missing", 69},
    {"ptr_mismatch_domain", "ptrmismatch.test", CHECK_DELIVER, "fcrdns-mismatch", 1},
    {"ptr_mismatch_address", "198.51.100.11", CHECK_PERMFAIL, "fcrdns-mismatch", 69},
    {"fcrdns_pass_ipv4", "192.0.2.1", CHECK_PASS, "", 0},
    {"fcrdns_pass_ipv6", "2001:db8::1", CHECK_PASS, "", 0},
    /* a.multi matches 198.51.100.12; b.multi does not: pass with warnings */
    {"multiple_ptrs", "198.51.100.12", CHECK_PASS, "ptr-multiple", 1},
    {"servfail_is_tempfail", "servfail.test", CHECK_TEMPFAIL, "dns-servfail", 75},
    {"answer_without_aa_is_flagged", "noaa.test", CHECK_DELIVER, "dns-not-authoritative", 1},
    {"reply_with_wrong_id_is_rejected", "badid.test", CHECK_TEMPFAIL, "dns-network", 75},
    {"tcp_failure_after_truncation_is_tempfail", "tcpfail.test", CHECK_TEMPFAIL, "dns-tcp-failed",
     75},
    {"reply_with_another_question_is_rejected", "qmismatch.test", CHECK_TEMPFAIL, "dns-network",
     75},
};

ParameterizedTestParameters(e2e_mxcheck, library_and_binary_give_the_verdict_code_and_status)
{
	return cr_make_param_array(struct both_case, both_cases,
	                           sizeof(both_cases) / sizeof(both_cases[0]));
}

/* Both ways: the library's verdict and code, the binary's verdict, code and exit status. */
ParameterizedTest(struct both_case *c, e2e_mxcheck,
                  library_and_binary_give_the_verdict_code_and_status)
{
	struct check_result *r = lib_check(c->target, false);
	json_t *o;
	int st;

	cr_expect_eq(r->verdict, c->verdict, "%s: %s: library verdict %s", c->name, c->target,
	             check_verdict_name(r->verdict));
	if (c->code[0])
		cr_expect(check_has_problem(r, c->code), "%s: %s: library lacks %s", c->name,
		          c->target, c->code);
	cr_expect_eq(check_exit_status(r), c->status, "%s: %s: library exit %d", c->name, c->target,
	             check_exit_status(r));
	check_result_free(r);
	st = bin_check(c->target, NULL, NULL, &o);
	cr_expect_eq(st, c->status, "%s: %s: mxcheck exit %d", c->name, c->target, st);
	cr_expect_str_eq(json_string_value(json_object_get(o, "verdict")),
	                 check_verdict_name(c->verdict), "%s: %s", c->name, c->target);
	if (c->code[0])
		cr_expect(json_has_code(o, c->code), "%s: %s: mxcheck lacks %s", c->name, c->target,
		          c->code);
	json_decref(o);
}

Test(e2e_mxcheck, healthy_multi_mx_delivers_cleanly)
{
	struct check_result *r = lib_check("healthy.test", false);
	json_t *o, *route;

	cr_assert_eq(r->verdict, CHECK_DELIVER);
	cr_assert_eq(r->nproblems, 0, "first: %s %s", r->nproblems ? r->problems[0].code : "",
	             r->nproblems ? r->problems[0].message : "");
	cr_assert_eq(r->nroutes, 2);
	cr_assert_str_eq(r->routes[0].exchange, "mx1.healthy.test.");
	cr_assert_eq(r->routes[0].naddrs, 2);
	check_result_free(r);
	cr_assert_eq(bin_check("postmaster@healthy.test", NULL, NULL, &o), 0);
	route = json_object_get(o, "route");
	cr_assert_eq(json_array_size(route), 2);
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(route, 1), "preference")),
	             20);
	cr_assert_str_eq(
	    json_string_value(json_object_get(
	        json_array_get(json_object_get(json_array_get(route, 0), "addresses"), 1),
	        "fcrdns")),
	    "pass");
	json_decref(o);
}

Test(e2e_mxcheck, implicit_mx_is_recorded)
{
	struct check_result *r = lib_check("implicit.test", false);

	cr_assert(r->implicit_mx);
	cr_assert_eq(r->verdict, CHECK_DELIVER);
	cr_assert(check_has_problem(r, "implicit-mx"));
	check_result_free(r);
}

Test(e2e_mxcheck, fcrdns_pass_ipv6_names_the_ptr)
{
	struct check_result *r = lib_check("2001:db8::1", false);

	cr_assert_eq(r->verdict, CHECK_PASS);
	cr_assert_str_eq(r->routes[0].addrs[0].ptr[0], "mx1.healthy.test.");
	check_result_free(r);
}

Test(e2e_mxcheck, truncated_mx_set_is_fetched_over_tcp)
{
	struct check_result *r = lib_check("big.test", true);

	cr_assert_eq(r->verdict, CHECK_DELIVER);
	cr_assert_eq(r->nroutes, 14, "all 14 MX records came over TCP");
	cr_assert(check_has_problem(r, "dns-truncated"));
	cr_assert_eq(check_exit_status(r), 0, "dns-truncated is only info");
	check_result_free(r);
	{
		json_t *o;
		cr_assert_eq(bin_check("big.test", "--no-ptr", NULL, &o), 0);
		cr_assert_eq(json_array_size(json_object_get(o, "route")), 14);
		cr_assert(json_has_code(o, "dns-truncated"));
		json_decref(o);
	}
}

Test(e2e_mxcheck, silence_is_a_timeout)
{
	json_t *o;

	cr_assert_eq(bin_check("dropped.test", "-r", "0", &o), 75);
	cr_assert(json_has_code(o, "dns-timeout"));
	json_decref(o);
}

Test(e2e_mxcheck, several_targets_exit_with_the_most_severe)
{
	static char buf[65536];
	const char *argv[] = {
	    test_bin("mxcheck"), "-s",          server_spec, "--json", "healthy.test",
	    "servfail.test",     "nullmx.test", NULL};
	const char *argv2[] = {test_bin("mxcheck"), "-s",        server_spec, "healthy.test",
	                       "servfail.test",     "bad..name", NULL};
	size_t lines = 0;

	cr_assert_eq(test_run(argv, buf, sizeof(buf), 30000), 69);
	for (char *p = buf; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	cr_assert_eq(lines, 3, "%s", buf);
	cr_assert_eq(test_run(argv2, buf, sizeof(buf), 30000), 64);
	cr_assert(strstr(buf, "healthy.test: deliver") != NULL, "%s", buf);
	cr_expect(strstr(test_run_stderr(), "mxcheck: bad..name: not a valid domain name") != NULL,
	          "the usage error goes to stderr: %s", test_run_stderr());
}

Test(e2e_mxcheck, targets_from_a_file)
{
	static char buf[65536];
	char path[512];
	const char *argv[] = {test_bin("mxcheck"), "-s", server_spec, "--json", "-f", path, NULL};

	snprintf(path, sizeof(path), "%s/targets.txt", dir);
	test_write(dir, "targets.txt", "# mail domains\nhealthy.test\n\n  mxcname.test  \n");
	cr_assert_eq(test_run(argv, buf, sizeof(buf), 30000), 1);
	cr_assert(strstr(buf, "\"target\":\"healthy.test\"") != NULL, "%s", buf);
	cr_assert(strstr(buf, "\"target\":\"mxcname.test\"") != NULL, "%s", buf);
}

Test(e2e_mxcheck, ipv6_server_address)
{
	static char buf[65536];
	char spec[64];
	const char *argv[] = {test_bin("mxcheck"), "-s", spec, "--seed", "1", "healthy.test", NULL};

	snprintf(spec, sizeof(spec), "::1@%d", srv.port);
	cr_assert_eq(test_run(argv, buf, sizeof(buf), 30000), 0, "%s", buf);
	cr_assert_eq(strncmp(buf, "healthy.test: deliver\n", 22), 0, "%s", buf);
	cr_assert(strstr(buf, "healthy.test —MX 10→ mx1.healthy.test —AAAA→ 2001:db8::1 —PTR→ "
	                      "mx1.healthy.test ✓") != NULL,
	          "%s", buf);
}

/* -s as dig and host users type it: ADDR:PORT and [IPV6]:PORT reach the same server. */
Test(e2e_mxcheck, server_with_a_colon_port_as_dig_users_type_it)
{
	static char buf[65536];
	char spec4[64], spec6[64];
	const char *argv4[] = {test_bin("mxcheck"), "-s", spec4, "--seed", "1",
	                       "healthy.test",      NULL};
	const char *argv6[] = {test_bin("mxcheck"), "-s", spec6, "--seed", "1",
	                       "healthy.test",      NULL};

	snprintf(spec4, sizeof(spec4), "127.0.0.1:%d", srv.port);
	snprintf(spec6, sizeof(spec6), "[::1]:%d", srv.port);
	cr_assert_eq(test_run(argv4, buf, sizeof(buf), 30000), 0, "%s", buf);
	cr_assert_eq(strncmp(buf, "healthy.test: deliver\n", 22), 0, "%s", buf);
	cr_assert_eq(test_run(argv6, buf, sizeof(buf), 30000), 0, "%s", buf);
	cr_assert_eq(strncmp(buf, "healthy.test: deliver\n", 22), 0, "%s", buf);
}

/* Command-line mistakes a user makes, and the first line mxcheck must say (stderr). */
struct cli_mistake {
	char args[64]; /* arguments after bin/mxcheck, space-separated */
	char say[64];  /* the start of the first line on stderr */
};

static struct cli_mistake cli_mistakes[] = {
    {"--bogus", "mxcheck: unknown option --bogus"},
    {"-x", "mxcheck: unknown option -x"},
    {"-s", "mxcheck: option -s needs an argument"},
    {"-f /tmp x.test", "mxcheck: -f /tmp: is a directory"},
    {"--self [::1] x.test", "mxcheck: --self [::1]: neither"},
    {"--self 192.0.2.300 x.test", "mxcheck: --self 192.0.2.300: neither"},
    {"user@@x.test", "mxcheck: user@@x.test: not an address (two '@'"},
    {"--mta sendmail x.test", "mxcheck: --mta sendmail: expected one of rfc|postfix|exim"},
    {"-s [::1 x.test", "mxcheck: -s [::1: expected [IPV6]:PORT"},
    {"-s [::1]: x.test", "mxcheck: -s [::1]:: expected [IPV6]:PORT"},
};

ParameterizedTestParameters(e2e_mxcheck_cli, mistakes_are_usage_errors_said_by_mxcheck)
{
	return cr_make_param_array(struct cli_mistake, cli_mistakes,
	                           sizeof(cli_mistakes) / sizeof(cli_mistakes[0]));
}

ParameterizedTest(struct cli_mistake *m, e2e_mxcheck_cli, mistakes_are_usage_errors_said_by_mxcheck)
{
	char cmd[4096], out[4096];
	const char *const argv[] = {"/bin/sh", "-c", cmd, NULL};
	int rc;

	snprintf(cmd, sizeof(cmd), "\"%s\" %s 2>&1; exit $?", test_bin("mxcheck"), m->args);
	rc = test_run(argv, out, sizeof(out), 10000);
	cr_assert_eq(rc, 64, "%s: exit %d: %s", m->args, rc, out);
	cr_assert_eq(strncmp(out, m->say, strlen(m->say)), 0, "%s: said '%s'", m->args, out);
}

Test(e2e_mxcheck, recursive_stops_the_aa_check)
{
	static char buf[65536];
	const char *with[] = {test_bin("mxcheck"), "-s",        server_spec, "--json",
	                      "--recursive",       "noaa.test", NULL};
	const char *without[] = {test_bin("mxcheck"), "-s", server_spec, "--json",
	                         "noaa.test",         NULL};

	test_run(without, buf, sizeof(buf), 30000);
	cr_assert(strstr(buf, "dns-not-authoritative") != NULL, "%s", buf);
	test_run(with, buf, sizeof(buf), 30000);
	cr_expect(strstr(buf, "\"verdict\":\"deliver\"") != NULL, "%s", buf);
	cr_expect_null(strstr(buf, "dns-not-authoritative"), "--recursive: %s", buf);
}

Test(e2e_mxcheck, dnssec_against_an_authoritative_server_says_dnssec_no_validator)
{
	static char buf[65536];
	const char *argv[] = {test_bin("mxcheck"), "-s",           server_spec, "--json",
	                      "--dnssec",          "healthy.test", NULL};

	/* the queries carry EDNS0 with DO; mxlabd answers them, without AD */
	cr_assert_eq(test_run(argv, buf, sizeof(buf), 30000), 1, "a warning: %s", buf);
	cr_expect(strstr(buf, "\"code\":\"dnssec-no-validator\",\"severity\":\"warning\"") != NULL,
	          "%s", buf);
	cr_expect(strstr(buf, "\"verdict\":\"deliver\"") != NULL, "%s", buf);
	cr_expect_null(strstr(buf, "\"dnssec\":"), "nothing claimed: %s", buf);
	cr_expect_null(strstr(buf, "dnssec-insecure"), "%s", buf);
	cr_expect_null(strstr(buf, "dns-network"), "replies to DO queries are understood: %s", buf);
}

Test(e2e_mxcheck, trace_with_dnssec_is_a_usage_error)
{
	static char buf[4096];
	const char *argv[] = {test_bin("mxcheck"), "--trace",      "--root", "127.0.0.1",
	                      "--dnssec",          "healthy.test", NULL};

	cr_assert_eq(test_run(argv, buf, sizeof(buf), 30000), 64);
	cr_expect(strstr(test_run_stderr(), "--dnssec needs a validating resolver") != NULL, "%s",
	          test_run_stderr());
}
