/* tests/e2e/test_mxcheck_dnssec.c -- mxcheck --dnssec through a validating unbound in front of
   mxlabd --world --sign serving the DNSSEC lab (zones/dnssec/), in a private network
   namespace: every "world --dnssec" row of zones/catalog.tsv gives its verdict and codes, the
   secure domain is secure (AD) and never bogus, the bogus MX is dnssec-bogus and tempfail, the
   insecure delegation is dnssec-insecure, the DANE domain has one verified and one deferred
   exchange, -j gives the same, and an authoritative server that does not validate gets
   dnssec-no-validator. Skips loudly when unbound or a network namespace is impossible. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "tests/support/support.h"

#define UNBOUND   "/usr/sbin/unbound"
#define OUT_BYTES 65536

/* The rows of catalog.tsv of the signed DNSSEC lab ("world --dnssec ..."). */
static size_t
dnssec_rows(struct test_catalog_row *v, size_t max)
{
	size_t all = test_catalog_rows(v, max), n = 0;

	for (size_t i = 0; i < all; i++)
		if (v[i].world && strstr(v[i].flags, "--dnssec") != NULL)
			v[n++] = v[i];
	return n;
}

/* The resolver answers name A (RD set). */
static bool
resolver_answers(const char *name)
{
	uint8_t q[512], a[4096];
	size_t qlen = test_wire_query(q, name, LDNS_RR_TYPE_A, 0x4711, 1232, 0, true);

	q[2] |= 0x01; /* RD */
	return test_raw_udp(53, q, qlen, a, sizeof(a), 4000) > 0;
}

/* The address of the first root server in mxlabd's --root-hints file. */
static void
root_address(const char *hints, char *out, size_t len)
{
	char line[512], tok[5][256];
	FILE *fp = fopen(hints, "r");

	out[0] = '\0';
	cr_assert_not_null(fp, "%s: %s", hints, strerror(errno));
	while (out[0] == '\0' && fgets(line, sizeof(line), fp)) {
		int n = sscanf(line, "%255s %255s %255s %255s %255s", tok[0], tok[1], tok[2],
		               tok[3], tok[4]);
		for (int i = 1; i + 1 < n; i++)
			if (strcmp(tok[i], "A") == 0)
				snprintf(out, len, "%s", tok[i + 1]);
	}
	fclose(fp);
	cr_assert(out[0] != '\0', "no root server address in %s", hints);
}

/* The lab: mxlabd --world --sign on zones/dnssec, unbound on 127.0.0.1:53 trusting only the
   signed root's DS. */
struct dnssec_lab {
	char dir[256];      /* scratch directory */
	char hints[300];    /* mxlabd's root hints */
	struct testsrv srv; /* mxlabd */
	pid_t ub;           /* unbound */
};

static void
lab_up(struct dnssec_lab *lab)
{
	char ta[300], conf[300], text[2048];
	const char *extra[] = {"--world",        "-p",         "53",
	                       "--sign",         "--unsigned", "insecure.dnssec.test",
	                       "--trust-anchor", ta,           "--root-hints",
	                       lab->hints,       NULL};
	bool up = false;

	if (access(UNBOUND, X_OK) != 0)
		cr_skip_test("SKIPPED: unbound is not installed (%s): make deps installs it",
		             UNBOUND);
	if (!test_private_net())
		cr_skip_test("SKIPPED: no private network namespace (needs root: unshare "
		             "CLONE_NEWNET)");
	test_tmpdir(lab->dir, sizeof(lab->dir));
	snprintf(ta, sizeof(ta), "%s/ta", lab->dir);
	snprintf(lab->hints, sizeof(lab->hints), "%s/hints", lab->dir);
	snprintf(conf, sizeof(conf), "%s/unbound.conf", lab->dir);
	testsrv_start_dir(&lab->srv, test_src("zones/dnssec"), extra);
	snprintf(text, sizeof(text),
	         "server:\n  interface: 127.0.0.1\n  port: 53\n  do-daemonize: no\n"
	         "  username: \"\"\n  chroot: \"\"\n  directory: \"%s\"\n  pidfile: \"\"\n"
	         "  use-syslog: no\n  logfile: \"%s/unbound.log\"\n  do-not-query-localhost: no\n"
	         "  root-hints: \"%s\"\n  trust-anchor-file: \"%s\"\n  ede: yes\n"
	         "  local-zone: \"test.\" nodefault\n"
	         "  local-zone: \"2.0.192.in-addr.arpa.\" nodefault\n  do-ip6: no\n"
	         "remote-control:\n  control-enable: no\n",
	         lab->dir, lab->dir, lab->hints, ta);
	test_write(lab->dir, "unbound.conf", text);
	lab->ub = test_spawn((const char *const[]){UNBOUND, "-d", "-c", conf, NULL});
	for (int i = 0; i < 100 && !up; i++) { /* bounded: until unbound answers */
		up = resolver_answers("mx1.secure.dnssec.test.");
		if (!up)
			usleep(50000);
	}
	cr_assert(up, "unbound did not answer on 127.0.0.1:53");
}

static void
lab_down(struct dnssec_lab *lab)
{
	int status;

	kill(lab->ub, SIGTERM);
	waitpid(lab->ub, &status, 0);
	testsrv_stop(&lab->srv);
}

/* bin/mxcheck --json --seed 1 -t 10000 -s SERVER --recursive FLAGS TARGETS... into out;
   its exit status. flags: space-separated, may be "". */
static int
mxcheck(const char *server, const char *flags, const char *const *targets, char *out, size_t cap)
{
	const char *argv[48];
	char fl[256], *save = NULL;
	size_t n = 0;

	argv[n++] = test_bin("mxcheck");
	argv[n++] = "--json";
	argv[n++] = "--seed";
	argv[n++] = "1";
	argv[n++] = "-t";
	argv[n++] = "10000";
	argv[n++] = "-s";
	argv[n++] = server;
	argv[n++] = "--recursive";
	snprintf(fl, sizeof(fl), "%s", flags);
	for (char *t = strtok_r(fl, " ", &save); t && n < 40; t = strtok_r(NULL, " ", &save))
		argv[n++] = t;
	for (size_t i = 0; targets[i] && n < 47; i++)
		argv[n++] = targets[i];
	argv[n] = NULL;
	return test_run(argv, out, cap, 60000);
}

static void
codes_of(json_t *j, char *got, size_t len)
{
	char codes[48][48];
	size_t nc = 0, used = 0;

	test_json_codes(j, codes, &nc, 48);
	qsort(codes, nc, sizeof(codes[0]), test_cmp_code);
	snprintf(got, len, "-");
	for (size_t k = 0; k < nc; k++)
		used += (size_t)snprintf(got + used, len - used, "%s%s", k ? "," : "", codes[k]);
}

/* The route of j whose exchange is ex, NULL when none. */
static json_t *
route_of(json_t *j, const char *ex)
{
	json_t *rt;
	size_t i;

	json_array_foreach(json_object_get(j, "route"), i, rt)
	{
		const char *e = json_string_value(json_object_get(rt, "exchange"));
		if (e && strcmp(e, ex) == 0)
			return rt;
	}
	return NULL;
}

static const char *
str_at(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "(null)";
}

static json_t *
one_json(const char *target, const char *flags, int *rc, char *out)
{
	const char *t[] = {target, NULL};
	json_error_t jerr;
	json_t *j;

	*rc = mxcheck("127.0.0.1", flags, t, out, OUT_BYTES);
	j = json_loads(out, 0, &jerr);
	cr_assert_not_null(j, "%s: mxcheck printed no JSON (exit %d):\n%s\n%s", target, *rc, out,
	                   test_run_stderr());
	return j;
}

Test(e2e_mxcheck_dnssec, a_validating_unbound_gives_every_dnssec_row_its_verdict_and_dane_state,
     .timeout = 150)
{
	static struct test_catalog_row rows[TEST_CATALOG_MAX];
	static char out[OUT_BYTES];
	struct dnssec_lab lab;
	size_t nr = dnssec_rows(rows, TEST_CATALOG_MAX);
	json_t *j, *rt, *addr;
	char got[1024];
	int rc;

	cr_assert_geq(nr, 5, "the catalog needs the DNSSEC rows (world --dnssec), has %zu", nr);
	lab_up(&lab);
	for (size_t i = 0; i < nr; i++) {
		const char *verdict;
		int want_rc;

		j = one_json(rows[i].target, rows[i].flags, &rc, out);
		verdict = str_at(j, "verdict");
		codes_of(j, got, sizeof(got));
		cr_expect_str_eq(verdict, rows[i].verdict,
		                 "catalog.tsv:%lu: %s through unbound: verdict %s, want %s\n%s",
		                 rows[i].line, rows[i].target, verdict, rows[i].verdict, out);
		cr_expect_str_eq(got, rows[i].codes,
		                 "catalog.tsv:%lu: %s through unbound: codes %s, want %s\n%s",
		                 rows[i].line, rows[i].target, got, rows[i].codes, out);
		want_rc = strcmp(rows[i].verdict, "tempfail") == 0   ? 75
		          : strcmp(rows[i].verdict, "permfail") == 0 ? 69
		                                                     : -1;
		if (want_rc >= 0)
			cr_expect_eq(rc, want_rc, "catalog.tsv:%lu: %s: exit %d, want %d",
			             rows[i].line, rows[i].target, rc, want_rc);
		json_decref(j);
	}

	/* the secure domain: AD on the MX and the address, nothing bogus */
	j = one_json("secure.dnssec.test", "--dnssec --no-ptr", &rc, out);
	cr_expect_str_eq(str_at(j, "dnssec"), "secure", "%s", out);
	rt = route_of(j, "mx1.secure.dnssec.test");
	cr_assert_not_null(rt, "%s", out);
	addr = json_array_get(json_object_get(rt, "addresses"), 0);
	cr_expect_str_eq(str_at(addr, "dnssec"), "secure", "%s", out);
	cr_expect_null(strstr(out, "dnssec-bogus"), "%s", out);
	cr_expect_null(strstr(out, "dnssec-no-validator"), "%s", out);
	cr_expect_str_eq(str_at(j, "verdict"), "deliver");
	json_decref(j);

	/* the bogus MX: dnssec-bogus with unbound's extended error, tempfail */
	j = one_json("bogus-mx.dnssec.test", "--dnssec --no-ptr", &rc, out);
	cr_expect_str_eq(str_at(j, "dnssec"), "bogus", "%s", out);
	cr_expect(strstr(out, "\"dnssec-bogus\"") != NULL, "%s", out);
	cr_expect(strstr(out, "extended DNS error 6 (DNSSEC Bogus)") != NULL, "%s", out);
	cr_expect_str_eq(str_at(j, "verdict"), "tempfail");
	cr_expect_eq(rc, 75);
	json_decref(j);

	/* the insecure delegation */
	j = one_json("insecure.dnssec.test", "--dnssec --no-ptr", &rc, out);
	cr_expect_str_eq(str_at(j, "dnssec"), "insecure", "%s", out);
	cr_expect(strstr(out, "\"dnssec-insecure\"") != NULL, "%s", out);
	cr_expect_null(strstr(out, "dnssec-bogus"), "%s", out);
	json_decref(j);

	/* DANE: mx1 verified, mx2's bogus TLSA defers that exchange only */
	j = one_json("dane.dnssec.test", "--dnssec --no-ptr", &rc, out);
	rt = route_of(j, "mx1.dane.dnssec.test");
	cr_assert_not_null(rt, "%s", out);
	cr_expect_str_eq(str_at(json_object_get(rt, "tlsa"), "dane"), "verified", "%s", out);
	cr_expect(json_is_true(json_object_get(rt, "usable")), "%s", out);
	rt = route_of(j, "mx2.dane.dnssec.test");
	cr_assert_not_null(rt, "%s", out);
	cr_expect_str_eq(str_at(json_object_get(rt, "tlsa"), "dane"), "deferred", "%s", out);
	cr_expect_str_eq(str_at(json_object_get(rt, "tlsa"), "dnssec"), "bogus", "%s", out);
	cr_expect(json_is_false(json_object_get(rt, "usable")), "%s", out);
	cr_expect(strstr(out, "\"dane-ok\"") != NULL, "%s", out);
	cr_expect(strstr(out, "\"dane-tlsa-bogus\"") != NULL, "%s", out);
	cr_expect(strstr(out, "DANE-EE(3)") != NULL, "%s", out);
	cr_expect_str_eq(str_at(j, "verdict"), "deliver", "to mx1");
	json_decref(j);

	/* -j: the coroutine transport gives the same, in input order */
	{
		const char *t[] = {"secure.dnssec.test", "bogus-mx.dnssec.test", "dane.dnssec.test",
		                   "insecure.dnssec.test", NULL};
		static const char want[][16] = {"deliver", "tempfail", "deliver", "deliver"};
		char *line = out, *nl;

		rc = mxcheck("127.0.0.1", "--dnssec --no-ptr -j 4", t, out, sizeof(out));
		cr_expect_eq(rc, 75, "the bogus MX makes the run tempfail: %d", rc);
		for (size_t i = 0; i < 4; i++, line = nl + 1) {
			json_error_t jerr;
			nl = strchr(line, '\n');
			cr_assert_not_null(nl, "-j: %zu lines only:\n%s", i, out);
			*nl = '\0';
			j = json_loads(line, 0, &jerr);
			cr_assert_not_null(j, "-j line %zu: %s", i, line);
			cr_expect_str_eq(str_at(j, "target"), t[i]);
			cr_expect_str_eq(str_at(j, "verdict"), want[i], "%s", line);
			cr_expect_neq(json_object_get(j, "dnssec"), NULL, "%s", line);
			json_decref(j);
		}
	}

	/* an authoritative server does not validate: dnssec-no-validator, nothing claimed */
	{
		char root[64];
		const char *t[] = {"secure.dnssec.test", NULL};
		json_error_t jerr;

		root_address(lab.hints, root, sizeof(root));
		rc = mxcheck(root, "--dnssec --no-ptr", t, out, sizeof(out));
		j = json_loads(out, 0, &jerr);
		cr_assert_not_null(j, "no JSON from mxcheck -s %s: %s", root, out);
		cr_expect(strstr(out, "\"dnssec-no-validator\"") != NULL, "%s", out);
		cr_expect_null(json_object_get(j, "dnssec"), "nothing claimed: %s", out);
		cr_expect_null(strstr(out, "dnssec-insecure"), "%s", out);
		json_decref(j);
	}
	lab_down(&lab);
}
