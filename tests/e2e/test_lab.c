/* tests/e2e/test_lab.c -- the lab through real resolvers: bin/mxlab-lab opens a private
   network namespace with mxlabd --world serving zones/ and zones/world/ and a resolver (unbound,
   BIND or Knot Resolver) from the configuration mxlabd wrote; dig and bin/mxcheck (without -s,
   through the lab's resolv.conf) run inside. Unbound must resolve every world scenario to its
   expected rcode and data and mxcheck must give the catalog's verdicts and codes for every
   "world" row of zones/catalog.tsv; BIND and Knot Resolver must resolve the healthy ones and
   fail the broken delegations that need no timeout to fail.
   Where namespaces or a resolver are impossible the tests are skipped, saying why. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/support.h"

#define LAB_TIMEOUT_MS 120000 /* one lab run, every query in parallel inside */

/* One query and what the resolver must answer. */
struct lab_query {
	char name[128];  /* query name */
	char type[8];    /* query type */
	char server[48]; /* "+norec @ADDR" to ask a server directly, "" the resolver */
	char rcode[16];  /* expected status */
	char data[128];  /* a record the answer must hold ("A|B": one of them), "" none */
};

/* Every world scenario through unbound (and a direct look at the lame server). */
static const struct lab_query unbound_queries[] = {
    {"healthy.test", "MX", "", "NOERROR", "10 mx.healthy.test."},
    {"mx.healthy.test", "A", "", "NOERROR", "192.0.2.10"},
    {"10.2.0.192.in-addr.arpa", "PTR", "", "NOERROR", "mx.healthy.test."},
    {"mx.dual-stack.test", "AAAA", "", "NOERROR", "2001:db8::11"},
    /* the root delegates lab.test and deleg.test with glue, without AA */
    {"lab.test", "NS", "+norec @127.53.0.1", "NOERROR", "IN\tA\t192.0.2.53"},
    {"deleg.test", "NS", "+norec @127.53.0.1", "NOERROR", "IN\tA\t203.0.113.101"},
    {"ok.deleg.test", "MX", "", "NOERROR", "10 mx.ok.deleg.test."},
    {"203.113.0.203.in-addr.arpa", "PTR", "", "NOERROR", "mx.ok.deleg.test."},
    {"half-lame.deleg.test", "MX", "", "NOERROR", "10 mx.half-lame.deleg.test."},
    {"half-lame.deleg.test", "MX", "@203.0.113.100", "REFUSED", ""},
    {"full-lame.deleg.test", "MX", "", "SERVFAIL", ""},
    {"one-silent.deleg.test", "MX", "", "NOERROR", "10 mx.one-silent.deleg.test."},
    {"all-silent.deleg.test", "MX", "", "SERVFAIL", ""},
    {"one-closed.deleg.test", "MX", "", "NOERROR", "10 mx.one-closed.deleg.test."},
    {"glueless.deleg.test", "MX", "", "SERVFAIL", ""},
    {"glue-diff.deleg.test", "MX", "", "NOERROR", "10 mx.glue-diff.deleg.test."},
    {"ns-mismatch.deleg.test", "MX", "", "NOERROR", "10 mx.ns-mismatch.deleg.test."},
    {"ns-unresolvable.deleg.test", "MX", "", "SERVFAIL", ""},
    {"ns-cname.deleg.test", "MX", "", "NOERROR", "10 mx.ns-cname.deleg.test."},
    {"cycle-a.deleg.test", "MX", "", "SERVFAIL", ""},
    {"cycle-b.deleg.test", "MX", "", "SERVFAIL", ""},
    {"slow.deleg.test", "MX", "", "SERVFAIL", ""},
    {"tc-tcp-dead.deleg.test", "MX", "", "SERVFAIL", ""},
    {"edns-intolerant.deleg.test", "MX", "", "NOERROR", "10 mx.edns-intolerant.deleg.test."},
    {"dead-rdns.deleg.test", "MX", "", "NOERROR", "10 mx.dead-rdns.deleg.test."},
    {"240.113.0.203.in-addr.arpa", "PTR", "", "SERVFAIL", ""},
    {"mx-host-lame.deleg.test", "MX", "", "NOERROR", "10 mail.lamehost.deleg.test."},
    {"mail.lamehost.deleg.test", "A", "", "SERVFAIL", ""},
    {"stale.deleg.test", "MX", "", "NOERROR",
     "10 mx.stale.deleg.test.|10 mx-old.stale.deleg.test."},
    {"stale.deleg.test", "MX", "@203.0.113.135", "NOERROR", "10 mx-old.stale.deleg.test."},
    {"stale.deleg.test", "MX", "@203.0.113.134", "NOERROR", "10 mx.stale.deleg.test."},
    {"dnsbl.deleg.test", "SOA", "", "NOERROR", ""},
    {"99.2.0.192.dnsbl.deleg.test", "A", "", "SERVFAIL", ""},
};

/* The healthy scenarios and the broken delegations without timeouts, for every resolver. */
static const struct lab_query healthy_queries[] = {
    {"healthy.test", "MX", "", "NOERROR", "10 mx.healthy.test."},
    {"mx.healthy.test", "A", "", "NOERROR", "192.0.2.10"},
    {"10.2.0.192.in-addr.arpa", "PTR", "", "NOERROR", "mx.healthy.test."},
    {"mx.dual-stack.test", "AAAA", "", "NOERROR", "2001:db8::11"},
    {"ok.deleg.test", "MX", "", "NOERROR", "10 mx.ok.deleg.test."},
    {"mx.ok.deleg.test", "A", "", "NOERROR", "203.0.113.203"},
    {"203.113.0.203.in-addr.arpa", "PTR", "", "NOERROR", "mx.ok.deleg.test."},
    {"typo.nx.test", "MX", "", "NXDOMAIN", ""},
    /* broken delegations every resolver handles alike (no timeouts involved) */
    {"half-lame.deleg.test", "MX", "", "NOERROR", "10 mx.half-lame.deleg.test."},
    {"full-lame.deleg.test", "MX", "", "SERVFAIL", ""},
    {"one-closed.deleg.test", "MX", "", "NOERROR", "10 mx.one-closed.deleg.test."},
    {"glueless.deleg.test", "MX", "", "SERVFAIL", ""},
    {"glue-diff.deleg.test", "MX", "", "NOERROR", "10 mx.glue-diff.deleg.test."},
    {"ns-mismatch.deleg.test", "MX", "", "NOERROR", "10 mx.ns-mismatch.deleg.test."},
    {"ns-unresolvable.deleg.test", "MX", "", "SERVFAIL", ""},
    {"ns-cname.deleg.test", "MX", "", "NOERROR", "10 mx.ns-cname.deleg.test."},
    {"cycle-a.deleg.test", "MX", "", "SERVFAIL", ""},
    {"mx-host-lame.deleg.test", "MX", "", "NOERROR", "10 mail.lamehost.deleg.test."},
    {"mail.lamehost.deleg.test", "A", "", "SERVFAIL", ""},
};

/* Can this machine run the lab with resolver bin? NULL, or why not. */
static const char *
lab_impossible(const char *bin)
{
	static char why[256];
	const char *probe[] = {"/bin/sh", "-c", "unshare --net --mount --pid --fork true", NULL};
	const char *user[] = {"/bin/sh", "-c", "unshare -r --net --mount --pid --fork true", NULL};
	const char *which[] = {"/bin/sh", "-c", "PATH=$PATH:/usr/sbin:/sbin command -v \"$0\"", bin,
	                       NULL};
	char out[256];

	if (test_run(geteuid() == 0 ? probe : user, out, sizeof(out), 10000) != 0) {
		snprintf(why, sizeof(why),
		         "cannot make private network namespaces (unshare%s "
		         "failed)",
		         geteuid() == 0 ? "" : " -r");
		return why;
	}
	if (test_run(which, out, sizeof(out), 10000) != 0) {
		snprintf(why, sizeof(why), "%s is not installed (make lab-deps installs it)", bin);
		return why;
	}
	return NULL;
}

static void
skip_loudly(const char *what, const char *why)
{
	fprintf(stderr, "SKIPPED %s: %s\n", what, why);
	cr_skip_test("%s: %s", what, why);
}

/* Read a whole file into buf (NUL-terminated); "" when missing. */
static void
slurp(const char *path, char *buf, size_t cap)
{
	FILE *fp = fopen(path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (fp == NULL)
		return;
	n = fread(buf, 1, cap - 1, fp);
	buf[n] = '\0';
	fclose(fp);
}

/* Run the lab with resolver kind around a script that runs, in parallel, dig for each query
   (to dir/q<i>) and mxcheck for each line of dir/checks ("TARGET<TAB>FLAGS", to dir/m<i> and
   its status to dir/m<i>.rc). Returns mxlab-lab's exit status. */
static int
run_lab(const char *kind, const char *dir, const struct lab_query *q, size_t nq)
{
	char script[8192], path[512], out[4096];
	size_t len = 0;
	FILE *fp;
	char zones[4096], world[4096];
	const char *argv[] = {test_bin("mxlab-lab"),
	                      "-q",
	                      "-z",
	                      zones,
	                      "-z",
	                      world,
	                      "-r",
	                      kind,
	                      "--",
	                      "bash",
	                      path,
	                      NULL};

	snprintf(zones, sizeof(zones), "%s", test_src("zones"));
	snprintf(world, sizeof(world), "%s", test_src("zones/world"));
	len += (size_t)snprintf(script + len, sizeof(script) - len,
	                        "D=%s\nMXCHECK=%s\n"
	                        "grep -q '^nameserver 127.0.0.1' /etc/resolv.conf || exit 3\n",
	                        dir, test_bin("mxcheck"));
	/* two tries, as any stub makes: a resolver that once lets a query go unanswered (Knot
	   Resolver did, in one run of the whole suite under ASan) still has to give the answer
	   checked, and a wrong answer is not retried away */
	for (size_t i = 0; i < nq; i++)
		len += (size_t)snprintf(script + len, sizeof(script) - len,
		                        "dig +time=10 +tries=2 +noall +comments +answer +authority "
		                        "+additional %s %s %s "
		                        ">$D/q%zu 2>&1 &\n",
		                        q[i].server, q[i].name, q[i].type, i);
	len += (size_t)snprintf(
	    script + len, sizeof(script) - len,
	    "i=0\n"
	    /* at most 6 checks at once: a loaded machine (make asan) must not turn a slow
	       mxcheck into a timeout; -t 10000 first, so a row's own -t still wins */
	    "if [ -r $D/checks ]; then while IFS=$'\\t' read -r t f; do\n"
	    "  while [ \"$(jobs -rp | wc -l)\" -ge 6 ]; do wait -n; done\n"
	    "  ( read -r -a a <<<\"$f\"; \"$MXCHECK\" --json --seed 1 -t 10000 \"${a[@]}\" \"$t\" "
	    ">$D/m$i 2>&1; echo $? >$D/m$i.rc ) &\n"
	    "  i=$((i+1))\n"
	    "done <$D/checks; fi\n"
	    "wait\n");
	cr_assert_lt(len, sizeof(script) - 1, "lab script too long");
	snprintf(path, sizeof(path), "%s/lab.sh", dir);
	fp = fopen(path, "w");
	cr_assert_not_null(fp, "%s: %s", path, strerror(errno));
	fputs(script, fp);
	fclose(fp);
	return test_run(argv, out, sizeof(out), LAB_TIMEOUT_MS);
}

/* Check every query's answer in dir. */
static void
check_queries(const char *kind, const char *dir, const struct lab_query *q, size_t nq)
{
	char path[512], buf[8192], want[160];

	for (size_t i = 0; i < nq; i++) {
		bool found = q[i].data[0] == '\0';

		snprintf(path, sizeof(path), "%s/q%zu", dir, i);
		slurp(path, buf, sizeof(buf));
		snprintf(want, sizeof(want), "status: %s,", q[i].rcode);
		cr_expect(strstr(buf, want) != NULL, "%s %s %s %s: want %s, got:\n%s", kind,
		          q[i].server, q[i].name, q[i].type, q[i].rcode, buf);
		for (const char *p = q[i].data; *p && !found;) {
			const char *bar = strchr(p, '|');
			size_t n = bar ? (size_t)(bar - p) : strlen(p);
			char one[128];
			snprintf(one, sizeof(one), "%.*s", (int)n, p);
			found = strstr(buf, one) != NULL;
			p = bar ? bar + 1 : p + n;
		}
		cr_expect(found, "%s %s %s %s: want %s in the answer, got:\n%s", kind, q[i].server,
		          q[i].name, q[i].type, q[i].data, buf);
	}
}

static void
run_healthy(const char *kind, const char *bin)
{
	const char *why = lab_impossible(bin);
	char dir[256];
	int rc;

	if (why)
		skip_loudly(kind, why);
	test_tmpdir(dir, sizeof(dir));
	rc = run_lab(kind, dir, healthy_queries,
	             sizeof(healthy_queries) / sizeof(healthy_queries[0]));
	cr_assert_eq(rc, 0, "mxlab-lab -r %s exited %d", kind, rc);
	check_queries(kind, dir, healthy_queries,
	              sizeof(healthy_queries) / sizeof(healthy_queries[0]));
}

Test(lab, bind_resolves_the_healthy_scenarios_and_fails_the_broken_delegations, .timeout = 150)
{
	run_healthy("bind", "named");
}

Test(lab, knot_resolver_resolves_the_healthy_scenarios_and_fails_the_broken_delegations,
     .timeout = 150)
{
	run_healthy("knot-resolver", "kresd");
}

/* ---- unbound: every world scenario, and mxcheck's verdicts through it ------------------- */

/* One "world" row of catalog.tsv. */
/* The rows of catalog.tsv marked "world" (world true) or the others (false); the world rows of
   the signed DNSSEC lab are left to tests/e2e/test_mxcheck_dnssec.c. */
static size_t
catalog_rows(struct test_catalog_row *v, size_t max, bool world)
{
	size_t all = test_catalog_rows(v, max), n = 0;

	for (size_t i = 0; i < all; i++)
		if (v[i].world == world && !(world && strstr(v[i].flags, "--dnssec") != NULL))
			v[n++] = v[i];
	return n;
}

Test(lab, unbound_resolves_every_world_scenario_and_mxcheck_gives_the_catalog_verdicts,
     .timeout = 150)
{
	static struct test_catalog_row rows[TEST_CATALOG_MAX];
	const char *why = lab_impossible("unbound");
	size_t nq = sizeof(unbound_queries) / sizeof(unbound_queries[0]), nr;
	char dir[256], path[512], buf[16384];
	FILE *fp;
	int rc;

	if (why)
		skip_loudly("unbound", why);
	nr = catalog_rows(rows, TEST_CATALOG_MAX, true);
	cr_assert_geq(nr, 18, "the catalog needs the lab world scenarios, has %zu", nr);
	test_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/checks", dir);
	fp = fopen(path, "w");
	cr_assert_not_null(fp);
	for (size_t i = 0; i < nr; i++)
		fprintf(fp, "%s\t%s\n", rows[i].target, rows[i].flags);
	fclose(fp);
	rc = run_lab("unbound", dir, unbound_queries, nq);
	cr_assert_eq(rc, 0, "mxlab-lab -r unbound exited %d", rc);
	check_queries("unbound", dir, unbound_queries, nq);
	for (size_t i = 0; i < nr; i++) {
		char codes[32][48], got[512] = "", rcs[16];
		size_t nc = 0, used = 0;
		json_error_t jerr;
		json_t *j;
		const char *verdict;
		int want_rc;

		snprintf(path, sizeof(path), "%s/m%zu", dir, i);
		slurp(path, buf, sizeof(buf));
		j = json_loads(buf, 0, &jerr);
		cr_expect_not_null(j, "catalog.tsv:%lu: %s: mxcheck printed no JSON:\n%s",
		                   rows[i].line, rows[i].target, buf);
		if (j == NULL)
			continue;
		verdict = json_string_value(json_object_get(j, "verdict"));
		test_json_codes(j, codes, &nc, 32);
		qsort(codes, nc, sizeof(codes[0]), test_cmp_code);
		for (size_t k = 0; k < nc; k++)
			used += (size_t)snprintf(got + used, sizeof(got) - used, "%s%s",
			                         k ? "," : "", codes[k]);
		if (nc == 0)
			snprintf(got, sizeof(got), "-");
		cr_expect_str_eq(verdict ? verdict : "(none)", rows[i].verdict,
		                 "catalog.tsv:%lu: %s through unbound: verdict %s, want %s",
		                 rows[i].line, rows[i].target, verdict ? verdict : "(none)",
		                 rows[i].verdict);
		cr_expect_str_eq(got, rows[i].codes,
		                 "catalog.tsv:%lu: %s through unbound: codes %s, "
		                 "want %s",
		                 rows[i].line, rows[i].target, got, rows[i].codes);
		snprintf(path, sizeof(path), "%s/m%zu.rc", dir, i);
		slurp(path, rcs, sizeof(rcs));
		want_rc = strcmp(rows[i].verdict, "tempfail") == 0   ? 75
		          : strcmp(rows[i].verdict, "permfail") == 0 ? 69
		                                                     : -1;
		if (want_rc >= 0)
			cr_expect_eq(atoi(rcs), want_rc, "catalog.tsv:%lu: %s: exit %d, want %d",
			             rows[i].line, rows[i].target, atoi(rcs), want_rc);
		json_decref(j);
	}
}

/* ---- mxlab-lab itself -------------------------------------------------------------------- */

/* Is any process's command line mentioning s still alive? */
static bool
process_mentions(const char *s)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	bool found = false;

	if (d == NULL)
		return false;
	while (!found && (e = readdir(d)) != NULL) {
		char path[300], buf[4096];
		FILE *fp;
		size_t n;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
		for (size_t i = 0; i < n; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		buf[n] = '\0';
		found = strstr(buf, s) != NULL;
	}
	closedir(d);
	return found;
}

Test(lab, mxlab_lab_runs_the_command_in_the_lab_and_exits_with_its_status, .timeout = 60)
{
	const char *why = lab_impossible("unbound");
	char out[4096], labdir[512] = "", zones[4096];
	const char *argv[] = {test_bin("mxlab-lab"),
	                      "-q",
	                      "-z",
	                      zones,
	                      "--",
	                      "sh",
	                      "-c",
	                      "echo \"lab=$MXLAB_LAB\"; host -t MX healthy.test; exit 7",
	                      NULL};
	const char *p;
	struct stat st;
	int rc;

	if (why)
		skip_loudly("mxlab-lab", why);
	snprintf(zones, sizeof(zones), "%s", test_src("zones"));
	rc = test_run(argv, out, sizeof(out), 30000);
	cr_assert_eq(rc, 7, "mxlab-lab -- CMD must exit with CMD's status 7, got %d:\n%s", rc, out);
	cr_expect(strstr(out, "healthy.test mail is handled by 10 mx.healthy.test.") != NULL,
	          "host inside the lab must resolve through its resolver:\n%s", out);
	p = strstr(out, "lab=");
	cr_assert_not_null(p, "no lab directory printed:\n%s", out);
	sscanf(p + 4, "%511s", labdir);
	cr_assert(labdir[0] == '/', "lab directory %s", labdir);
	/* everything it started died with it, and its files are gone */
	cr_expect(!process_mentions(labdir), "a process of the lab (%s) outlived it", labdir);
	cr_expect(stat(labdir, &st) != 0, "the lab's directory %s outlived it", labdir);
}

Test(lab, mxlab_lab_rejects_an_unknown_resolver)
{
	char out[1024];
	const char *argv[] = {test_bin("mxlab-lab"), "-r", "powerdns", "--", "true", NULL};

	cr_expect_eq(test_run(argv, out, sizeof(out), 10000), 64);
}

/* Direct-mode scenarios whose verdict through a resolver differs, and why. */
static const struct {
	char target[64];  /* catalog target */
	char verdict[16]; /* verdict through unbound */
} through_unbound[] = {
    /* unbound answers SERVFAIL for a CNAME loop instead of handing it over */
    {"mx-cname-loop.test", "tempfail"},
};

Test(lab, direct_catalog_verdicts_hold_through_unbound, .timeout = 150)
{
	static struct test_catalog_row rows[TEST_CATALOG_MAX];
	const char *why = lab_impossible("unbound");
	char dir[256], path[512], buf[16384];
	size_t nr;
	FILE *fp;
	int rc;

	if (why)
		skip_loudly("unbound", why);
	nr = catalog_rows(rows, TEST_CATALOG_MAX, false);
	cr_assert_geq(nr, 45);
	test_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/checks", dir);
	fp = fopen(path, "w");
	cr_assert_not_null(fp);
	for (size_t i = 0; i < nr; i++)
		fprintf(fp, "%s\t%s\n", rows[i].target, rows[i].flags);
	fclose(fp);
	rc = run_lab("unbound", dir, NULL, 0);
	cr_assert_eq(rc, 0, "mxlab-lab -r unbound exited %d", rc);
	for (size_t i = 0; i < nr; i++) {
		const char *want = rows[i].verdict, *got;
		json_error_t jerr;
		json_t *j;

		for (size_t k = 0; k < sizeof(through_unbound) / sizeof(through_unbound[0]); k++)
			if (strcmp(through_unbound[k].target, rows[i].target) == 0)
				want = through_unbound[k].verdict;
		snprintf(path, sizeof(path), "%s/m%zu", dir, i);
		slurp(path, buf, sizeof(buf));
		j = json_loads(buf, 0, &jerr);
		cr_expect_not_null(j, "catalog.tsv:%lu: %s: no JSON:\n%s", rows[i].line,
		                   rows[i].target, buf);
		if (j == NULL)
			continue;
		got = json_string_value(json_object_get(j, "verdict"));
		cr_expect_str_eq(got ? got : "(none)", want,
		                 "catalog.tsv:%lu: %s without -s, through unbound: %s, want %s",
		                 rows[i].line, rows[i].target, got ? got : "(none)", want);
		json_decref(j);
	}
}

/* ---- mxcheck --trace through the world ---------------------------------------------------- */

/* A delegation scenario and the broken server and zone cut --trace must name. */
static const struct {
	char target[64];  /* catalog target */
	char flags[32];   /* extra mxcheck flags */
	char code[24];    /* delegation problem expected, "" for none at all */
	char subject[64]; /* what its subject starts with (the server or the zone) */
	char zone[64];    /* the zone cut its message names */
} trace_rows[] = {
    {"ok.deleg.test", "", "", "", ""},
    {"half-lame.deleg.test", "", "lame-delegation", "ns.hoster.test. ", "half-lame.deleg.test."},
    {"full-lame.deleg.test", "", "lame-delegation", "ns.hoster.test. ", "full-lame.deleg.test."},
    {"mx-host-lame.deleg.test", "", "lame-delegation", "ns.hoster.test. ", "lamehost.deleg.test."},
    {"one-silent.deleg.test", "", "ns-unreachable", "ns2.one-silent.deleg.test. ",
     "one-silent.deleg.test."},
    {"all-silent.deleg.test", "", "ns-unreachable", "ns1.all-silent.deleg.test. ",
     "all-silent.deleg.test."},
    {"one-closed.deleg.test", "", "ns-unreachable", "ns2.one-closed.deleg.test. ",
     "one-closed.deleg.test."},
    {"glue-diff.deleg.test", "", "glue-mismatch", "ns2.glue-diff.deleg.test",
     "glue-diff.deleg.test."},
    {"ns-mismatch.deleg.test", "", "ns-mismatch", "ns-mismatch.deleg.test",
     "ns-mismatch.deleg.test."},
    {"glueless.deleg.test", "", "delegation-loop", "glueless.deleg.test", "glueless.deleg.test."},
    {"cycle-a.deleg.test", "", "delegation-loop", "cycle-a.deleg.test", "cycle-a.deleg.test."},
    {"203.0.113.240", "--ip", "ns-unreachable", "ns-rdns.hoster.test. ",
     "240.113.0.203.in-addr.arpa."},
};

Test(lab, trace_names_each_broken_server_and_zone_cut_of_the_world, .timeout = 150)
{
	const char *why = lab_impossible("unbound");
	size_t n = sizeof(trace_rows) / sizeof(trace_rows[0]);
	char dir[256], path[512], buf[65536];
	FILE *fp;
	int rc;

	if (why)
		skip_loudly("unbound", why);
	test_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/checks", dir);
	fp = fopen(path, "w");
	cr_assert_not_null(fp);
	for (size_t i = 0; i < n; i++)
		fprintf(fp, "%s\t--trace --no-ptr -t 2000 %s\n", trace_rows[i].target,
		        trace_rows[i].flags);
	fclose(fp);
	rc = run_lab("unbound", dir, NULL, 0);
	cr_assert_eq(rc, 0, "mxlab-lab exited %d", rc);
	for (size_t i = 0; i < n; i++) {
		json_t *j, *probs;
		bool found = false, any = false;

		snprintf(path, sizeof(path), "%s/m%zu", dir, i);
		slurp(path, buf, sizeof(buf));
		j = json_loads(buf, 0, NULL);
		cr_expect_not_null(j, "%s --trace printed no JSON:\n%s", trace_rows[i].target, buf);
		if (j == NULL)
			continue;
		cr_expect(json_array_size(json_object_get(j, "delegations")) > 0,
		          "%s: no delegation chain in the JSON", trace_rows[i].target);
		probs = json_object_get(j, "problems");
		for (size_t k = 0; k < json_array_size(probs); k++) {
			json_t *p = json_array_get(probs, k);
			const char *code = json_string_value(json_object_get(p, "code"));
			const char *subj = json_string_value(json_object_get(p, "subject"));
			const char *msg = json_string_value(json_object_get(p, "message"));
			if (code == NULL || subj == NULL || msg == NULL)
				continue;
			any |= strcmp(code, "lame-delegation") == 0 ||
			       strcmp(code, "ns-unreachable") == 0 ||
			       strcmp(code, "glue-mismatch") == 0 ||
			       strcmp(code, "ns-mismatch") == 0 ||
			       strcmp(code, "delegation-loop") == 0;
			if (strcmp(code, trace_rows[i].code) == 0 &&
			    strncmp(subj, trace_rows[i].subject, strlen(trace_rows[i].subject)) ==
			        0 &&
			    (strstr(msg, trace_rows[i].zone) != NULL ||
			     strncmp(subj, trace_rows[i].zone, strlen(trace_rows[i].zone) - 1) ==
			         0))
				found = true;
		}
		if (trace_rows[i].code[0] == '\0')
			cr_expect(!any, "%s: a healthy delegation got a delegation problem:\n%s",
			          trace_rows[i].target, buf);
		else
			cr_expect(found, "%s: want %s naming %s in %s, got:\n%s",
			          trace_rows[i].target, trace_rows[i].code, trace_rows[i].subject,
			          trace_rows[i].zone, buf);
		json_decref(j);
	}
}

Test(lab, dashboard_of_the_lab_is_reached_from_outside_and_keeps_its_origin_check, .timeout = 60)
{
	const char *why = lab_impossible("socat");
	char out[16384], script[2048];
	const char *argv[] = {"/bin/bash", "-c", script, NULL};
	int port;

	if (why == NULL)
		why = lab_impossible("unbound");
	if (why)
		skip_loudly("mxlab-lab --dashboard", why);
	port = test_free_port();
	/* the lab runs in the background; this shell is outside it, like a teacher's browser */
	snprintf(script, sizeof(script),
	         "%s -q --dashboard %d -- sleep 8 & lab=$!\n"
	         "for i in $(seq 1 60); do (exec 3<>/dev/tcp/127.0.0.1/%d) 2>/dev/null && break; "
	         "sleep 0.1; done\n"
	         "ask() { exec 3<>/dev/tcp/127.0.0.1/%d; printf \"$1 HTTP/1.0\\r\\nHost: "
	         "127.0.0.1:%d\\r\\n$2Content-Length: ${#3}\\r\\n\\r\\n$3\" >&3; "
	         "grep -ao 'HTTP/1.[01] "
	         "[0-9]*\\|\"world\":true\\|\"server\":\"ns.lab.test\",\"state\":\"silent\"' <&3; "
	         "exec 3<&-; }\n"
	         "sleep 2\n"
	         "ask 'GET /status' '' ''\n"
	         "ask 'PUT /servers/ns.lab.test' 'Origin: http://evil.example\\r\\n' silent\n"
	         "ask 'PUT /servers/ns.lab.test' 'Origin: http://127.0.0.1:%d\\r\\n' silent\n"
	         "wait $lab; echo lab-exit=$?\n",
	         test_bin("mxlab-lab"), port, port, port, port, port);
	cr_assert_eq(test_run(argv, out, sizeof(out), 40000), 0, "%s", out);
	cr_expect(strstr(out, "HTTP/1.0 200") != NULL && strstr(out, "\"world\":true") != NULL,
	          "GET /status through the dashboard port reaches the lab's world:\n%s", out);
	cr_expect(strstr(out, "HTTP/1.0 403") != NULL, "another site's request is refused:\n%s",
	          out);
	cr_expect(strstr(out, "\"server\":\"ns.lab.test\",\"state\":\"silent\"") != NULL,
	          "the page's own origin may change a server:\n%s", out);
	cr_expect(strstr(out, "lab-exit=0") != NULL, "%s", out);
}

Test(lab, exercise_is_served_in_the_lab_and_stays_for_scoring, .timeout = 60)
{
	const char *why = lab_impossible("unbound");
	char out[8192], dir[256], exdir[300], sheet[600];
	const char *argv[] = {test_bin("mxlab-lab"),
	                      "-q",
	                      "--exercise",
	                      "3",
	                      "--seed",
	                      "5",
	                      "--out",
	                      exdir,
	                      "--",
	                      "sh",
	                      "-c",
	                      "mxcheck --json ex1.lab.test; host -t MX ex2.lab.test",
	                      NULL};
	struct stat st;

	if (why)
		skip_loudly("mxlab-lab --exercise", why);
	test_tmpdir(dir, sizeof(dir));
	snprintf(exdir, sizeof(exdir), "%s/ex", dir);
	test_run(argv, out, sizeof(out), 40000);
	cr_expect(strstr(out, "\"target\":\"ex1.lab.test\"") != NULL,
	          "mxcheck in the lab checks the exercise's domain:\n%s", out);
	cr_expect(strstr(out, "ex2.lab.test") != NULL, "%s", out);
	snprintf(sheet, sizeof(sheet), "%s/sheet.txt", exdir);
	cr_expect(stat(sheet, &st) == 0, "the sheet %s stays after the lab", sheet);
}
