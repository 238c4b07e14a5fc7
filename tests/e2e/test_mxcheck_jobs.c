/* tests/e2e/test_mxcheck_jobs.c -- mxcheck -j N against bin/mxlabd with delay and drop faults:
   results come out in input order whatever order the answers arrive in, the checks really
   overlap, and each check keeps its own bound (the same answers, queries and verdicts as one
   at a time). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/support.h"

#define NDOM 24 /* generated domains */

static char dir[512];
static struct testsrv srv;
static char spec[64];

/* d00..d23.jobs.test: each an MX to its own host. d<n> with n % 4 == 0 answers its MX after
   a delay (far under the 1000 ms timeout, even on a loaded machine) that shrinks along the
   list, so later targets finish first; n % 12 == 1 drops every MX query (a timeout, asked
   twice); the others answer at once. */
static void
setup(void)
{
	static char zone[1 << 16], faults[1 << 14];
	size_t z = 0, f = 0;

	unsetenv("BXFI_MAP");
	test_tmpdir(dir, sizeof(dir));
	z += (size_t)snprintf(zone + z, sizeof(zone) - z,
	                      "$ORIGIN jobs.test.\n$TTL 300\n"
	                      "@ IN SOA ns hostmaster 1 3600 600 86400 300\n@ IN NS ns\n"
	                      "ns IN A 192.0.2.53\n");
	for (int i = 0; i < NDOM; i++) {
		z += (size_t)snprintf(zone + z, sizeof(zone) - z,
		                      "d%02d IN MX 10 mx.d%02d\nmx.d%02d IN A 192.0.2.%d\n", i, i,
		                      i, i + 1);
		if (i % 4 == 0)
			f += (size_t)snprintf(faults + f, sizeof(faults) - f,
			                      "d%02d.jobs.test. MX delay=%d\n", i, 400 - i * 15);
		else if (i % 12 == 1)
			f += (size_t)snprintf(faults + f, sizeof(faults) - f,
			                      "d%02d.jobs.test. MX drop\n", i);
	}
	test_write(dir, "jobs.test.zone", zone);
	test_write(dir, "faults.conf", faults);
	testsrv_start_dir(&srv, dir, NULL);
	snprintf(spec, sizeof(spec), "127.0.0.1@%d", srv.port);
	/* the targets, in input order */
	{
		char list[NDOM * 24] = "";
		size_t l = 0;
		for (int i = 0; i < NDOM; i++)
			l += (size_t)snprintf(list + l, sizeof(list) - l, "d%02d.jobs.test\n", i);
		test_write(dir, "targets", list);
	}
}

static void
teardown(void)
{
	testsrv_stop(&srv);
}

TestSuite(e2e_mxcheck_jobs, .init = setup, .fini = teardown, .timeout = 120);

/* Run mxcheck -j jobs over the targets; the JSON lines go to out; returns the exit status and
   the wall time in *ms. */
static int
run_jobs(const char *jobs, char *out, size_t cap, double *ms)
{
	char path[600];
	const char *argv[] = {
	    test_bin("mxcheck"), "-s",     spec, "-t", "1000", "-r", "1", "--seed", "1",
	    "--no-ptr",          "--json", "-j", jobs, "-f",   path, NULL};
	double t0 = test_now_ms();
	int rc;

	snprintf(path, sizeof(path), "%s/targets", dir);
	rc = test_run(argv, out, cap, 90000);
	*ms = test_now_ms() - t0;
	return rc;
}

/* The JSON lines of out, each with elapsed_ms removed, as an array. */
static json_t *
lines(const char *out)
{
	json_t *a = json_array();
	const char *p = out;

	while (*p) {
		json_error_t e;
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		json_t *j = json_loadb(p, len, 0, &e);
		cr_assert_not_null(j, "not JSON: %.*s (%s)", (int)len, p, e.text);
		json_object_del(j, "elapsed_ms");
		json_array_append_new(a, j);
		p += len + (nl ? 1 : 0);
	}
	return a;
}

Test(e2e_mxcheck_jobs, results_come_out_in_input_order_under_delays_and_drops)
{
	static char out[1 << 20];
	double ms;
	json_t *a;
	size_t i;
	json_t *j;

	cr_assert_eq(run_jobs("8", out, sizeof(out), &ms), 75, "%.2000s", out);
	a = lines(out);
	cr_assert_eq(json_array_size(a), NDOM);
	json_array_foreach(a, i, j)
	{
		char want[32];
		const char *verdict = json_string_value(json_object_get(j, "verdict"));
		snprintf(want, sizeof(want), "d%02zu.jobs.test", i);
		cr_expect_str_eq(json_string_value(json_object_get(j, "target")), want,
		                 "line %zu out of order", i);
		cr_expect_str_eq(verdict, i % 12 == 1 ? "tempfail" : "deliver", "%s", want);
	}
	json_decref(a);
}

Test(e2e_mxcheck_jobs, checks_overlap_and_keep_their_own_bounds)
{
	static char one[1 << 20], many[1 << 20];
	double ms1, msn;
	json_t *a, *b;
	size_t i;
	json_t *j;

	cr_assert_eq(run_jobs("1", one, sizeof(one), &ms1), 75);
	cr_assert_eq(run_jobs("16", many, sizeof(many), &msn), 75);
	a = lines(one);
	b = lines(many);
	/* Same answers, same queries per check, same problems: concurrency changes nothing a
	   check sees, and a dropped query costs each check its own timeouts (2 x 300 ms). */
	cr_assert_eq(json_array_size(a), NDOM);
	cr_assert_eq(json_array_size(b), NDOM);
	for (i = 0; i < NDOM; i++) {
		char *x = json_dumps(json_array_get(a, i), JSON_COMPACT | JSON_SORT_KEYS);
		char *y = json_dumps(json_array_get(b, i), JSON_COMPACT | JSON_SORT_KEYS);
		cr_expect_str_eq(x, y, "line %zu: -j 1 and -j 16 differ", i);
		free(x);
		free(y);
	}
	json_array_foreach(a, i, j) if (i % 12 == 1)
	{
		cr_expect_eq(json_integer_value(json_object_get(j, "queries")), 2,
		             "d%02zu: a dropped MX is asked twice (-r 1)", i);
	}
	/* One at a time, the six delays (400..100 ms) and two drops (2 x 1000 ms each) add up to
	   more than 5 s; at once they overlap, so the run takes about the longest of them. */
	cr_expect_gt(ms1, 5000, "-j 1 took %.0f ms", ms1);
	cr_expect_lt(msn, ms1 * 0.75, "-j 16 took %.0f ms, -j 1 %.0f ms", msn, ms1);
	json_decref(a);
	json_decref(b);
}

Test(e2e_mxcheck_jobs, bad_jobs_values_are_usage_errors)
{
	char out[4096];
	const char *const argv0[] = {test_bin("mxcheck"), "-j", "0", "x.test", NULL};
	const char *const argvx[] = {test_bin("mxcheck"), "-j", "2000", "x.test", NULL};

	cr_expect_eq(test_run(argv0, out, sizeof(out), 10000), 64);
	cr_expect_eq(test_run(argvx, out, sizeof(out), 10000), 64);
}

/* On a terminal (script(1) gives mxcheck one), a run that takes more than a second shows a
   count, a rate and the time left on stderr; piped, it shows nothing. */
Test(e2e_mxcheck_jobs, progress_is_shown_on_a_terminal_only)
{
	static char out[1 << 20];
	char cmd[2048], path[600];
	const char *const argv[] = {"/usr/bin/script", "-qec", cmd, "/dev/null", NULL};
	double ms;

	if (access("/usr/bin/script", X_OK) != 0) {
		fprintf(stderr,
		        "\n*** progress test SKIPPED: /usr/bin/script (util-linux) is missing "
		        "***\n\n");
		cr_skip_test("no script(1)");
	}
	snprintf(path, sizeof(path), "%s/targets", dir);
	snprintf(cmd, sizeof(cmd), "'%s' -s %s -t 600 -r 1 --no-ptr --json -j 2 -f '%s' >/dev/null",
	         test_bin("mxcheck"), spec, path);
	cr_assert_eq(test_run(argv, out, sizeof(out), 60000), 75, "%.2000s", out);
	cr_expect_not_null(strstr(out, "mxcheck: "), "no progress line: %.500s", out);
	cr_expect_not_null(strstr(out, "/24 checked, "), "no count: %.500s", out);
	cr_expect_not_null(strstr(out, "/s"), "no rate: %.500s", out);
	cr_expect_not_null(strstr(out, " s left"), "no time left: %.500s", out);
	/* stderr not a terminal: no progress at all */
	cr_assert_eq(run_jobs("2", out, sizeof(out), &ms), 75);
	cr_expect_null(strstr(out, "checked, "), "progress without a terminal");
}
