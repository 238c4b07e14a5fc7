/* tests/e2e/test_mxcheck_trace.c -- mxcheck --trace against real bin/mxlabd servers on loopback
   addresses: a root on 127.53.0.1 delegating test. to ns1 (127.53.0.2, healthy), ns2
   (127.53.0.3, serves only the root: a referral back up) and ns3 (127.53.0.4, nothing
   listens). Every broken server is named, the mail verdict is unchanged, and -j works too. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/support.h"

static char rootdir[512], testdir[512];
static struct testsrv root, ns1, ns2;
static char rootspec[64];

static const char root_zone[] = "$ORIGIN .\n$TTL 300\n"
                                ". SOA a.root. hostmaster.root. 1 3600 600 86400 300\n"
                                ". NS a.root.\n"
                                "a.root. A 127.53.0.1\n"
                                "test. NS ns1.test.\ntest. NS ns2.test.\ntest. NS ns3.test.\n"
                                "ns1.test. A 127.53.0.2\nns2.test. A 127.53.0.3\n"
                                "ns3.test. A 127.53.0.4\n";

static const char test_zone[] = "$ORIGIN test.\n$TTL 300\n"
                                "@ SOA ns1 hostmaster 1 3600 600 86400 300\n"
                                "@ NS ns1\n@ NS ns2\n@ NS ns3\n"
                                "ns1 A 127.53.0.2\nns2 A 127.53.0.3\nns3 A 127.53.0.4\n"
                                "ex MX 10 mx.ex\nmx.ex A 192.0.2.1\n"
                                "ex2 MX 10 mx.ex2\nmx.ex2 A 192.0.2.2\n";

static void
setup(void)
{
	char port[16];

	unsetenv("BXFI_MAP");
	test_tmpdir(rootdir, sizeof(rootdir));
	test_tmpdir(testdir, sizeof(testdir));
	test_write(rootdir, "root.zone", root_zone);
	test_write(testdir, "test.zone", test_zone);
	{
		const char *const a[] = {"-z", rootdir, "-a", "127.53.0.1", NULL};
		cr_assert_eq(testsrv_start(&root, a), 0, "root: %s", testsrv_stderr(&root));
	}
	snprintf(port, sizeof(port), "%d", root.port);
	{
		const char *const a[] = {"-z", testdir, "-a", "127.53.0.2", "-p", port, NULL};
		cr_assert_eq(testsrv_start(&ns1, a), 0, "ns1: %s", testsrv_stderr(&ns1));
	}
	{
		const char *const a[] = {"-z", rootdir, "-a", "127.53.0.3", "-p", port, NULL};
		cr_assert_eq(testsrv_start(&ns2, a), 0, "ns2: %s", testsrv_stderr(&ns2));
	}
	cr_assert_eq(ns1.port, root.port);
	snprintf(rootspec, sizeof(rootspec), "127.53.0.1@%d", root.port);
}

static void
teardown(void)
{
	testsrv_stop(&ns2);
	testsrv_stop(&ns1);
	testsrv_stop(&root);
}

TestSuite(e2e_mxcheck_trace, .init = setup, .fini = teardown, .timeout = 60);

/* The outcome of server address in zone of the JSON delegations, or NULL. */
static const char *
outcome(json_t *j, const char *zone, const char *address)
{
	json_t *ds = json_object_get(j, "delegations"), *d, *s;
	size_t i, k;

	json_array_foreach(ds, i, d)
	{
		if (strcmp(json_string_value(json_object_get(d, "zone")), zone) != 0)
			continue;
		json_array_foreach(json_object_get(d, "servers"), k, s)
		{
			json_t *a = json_object_get(s, "address");
			if (json_is_string(a) && strcmp(json_string_value(a), address) == 0)
				return json_string_value(json_object_get(s, "outcome"));
		}
	}
	return NULL;
}

static bool
has_code(json_t *j, const char *code, const char *subject_part)
{
	json_t *ps = json_object_get(j, "problems"), *p;
	size_t i;

	json_array_foreach(ps, i, p)
	{
		if (strcmp(json_string_value(json_object_get(p, "code")), code) == 0 &&
		    strstr(json_string_value(json_object_get(p, "subject")), subject_part) != NULL)
			return true;
	}
	return false;
}

Test(e2e_mxcheck_trace, every_broken_server_of_the_path_is_named)
{
	static char out[1 << 16];
	const char *argv[] = {test_bin("mxcheck"),
	                      "--trace",
	                      "--root",
	                      rootspec,
	                      "-t",
	                      "300",
	                      "-r",
	                      "0",
	                      "--seed",
	                      "1",
	                      "--no-ptr",
	                      "--json",
	                      "ex.test",
	                      NULL};
	json_error_t e;
	json_t *j;

	cr_assert_eq(test_run(argv, out, sizeof(out), 30000), 1, "%s", out);
	j = json_loads(out, JSON_DISABLE_EOF_CHECK, &e);
	cr_assert_not_null(j, "%s", out);
	cr_expect_str_eq(json_string_value(json_object_get(j, "verdict")), "deliver");
	cr_expect_str_eq(outcome(j, ".", "127.53.0.1"), "ok");
	cr_expect_str_eq(outcome(j, "test.", "127.53.0.2"), "ok");
	cr_expect_str_eq(outcome(j, "test.", "127.53.0.3"), "referral-up");
	cr_expect_str_eq(outcome(j, "test.", "127.53.0.4"), "timeout");
	cr_expect(has_code(j, "lame-delegation", "ns2.test."), "%s", out);
	cr_expect(has_code(j, "ns-unreachable", "ns3.test."), "%s", out);
	json_decref(j);
}

Test(e2e_mxcheck_trace, text_shows_the_delegation_chain_and_j_works)
{
	static char out[1 << 16];
	const char *argv[] = {test_bin("mxcheck"),
	                      "--trace",
	                      "--root",
	                      rootspec,
	                      "-t",
	                      "300",
	                      "-r",
	                      "0",
	                      "--seed",
	                      "1",
	                      "--no-ptr",
	                      "-j",
	                      "4",
	                      "ex.test",
	                      "ex2.test",
	                      "nx.test",
	                      NULL};

	cr_assert_eq(test_run(argv, out, sizeof(out), 30000), 69, "%s", out);
	cr_expect_not_null(strstr(out, "ex.test: deliver"), "%s", out);
	cr_expect_not_null(strstr(out, "ex2.test: deliver"), "%s", out);
	cr_expect_not_null(strstr(out, "nx.test: permfail"), "%s", out);
	cr_expect_lt(strstr(out, "ex.test: deliver"), strstr(out, "ex2.test: deliver"));
	cr_expect_not_null(strstr(out, "delegation: . 127.53.0.1 ✓ → test. 127.53.0.2 ✓ "
	                               "127.53.0.3 ✗ referral-up 127.53.0.4 ✗ timeout"),
	                   "%s", out);
}

Test(e2e_mxcheck_trace, trace_and_s_exclude_each_other)
{
	char out[4096];
	const char *argv[] = {test_bin("mxcheck"), "--trace", "-s", "127.0.0.1", "x.test", NULL};
	const char *argv2[] = {test_bin("mxcheck"), "--root", "127.0.0.1", "x.test", NULL};

	cr_expect_eq(test_run(argv, out, sizeof(out), 10000), 64);
	cr_expect_eq(test_run(argv2, out, sizeof(out), 10000), 64);
}
