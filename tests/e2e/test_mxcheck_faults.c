/* tests/e2e/test_mxcheck_faults.c -- mxcheck meets the server's fault rules: every scenario
   runs through bin/mxcheck --json and through the library, each against its own fresh
   bin/mxlabd -p 0 with a query log, so a test can prove what the client did on the wire (no
   A/AAAA fallback, how many retries, TCP after TC) and how long it took, not only what it
   printed. Scenarios the catalog (zones/catalog.tsv) or e2e_mxcheck already cover 1:1 are not
   repeated here (noaa: lame.test and e2e_mxcheck answer_without_aa_is_flagged; a genuinely
   big MX set over TCP: e2e_mxcheck truncated_mx_set_is_fetched_over_tcp); rows that overlap
   them add the query-log, timing, route or library assertions they lack. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/check.h"
#include "client/lookup.h"
#include "client/mx.h"
#include "client/rdns.h"
#include "tests/support/support.h"

static const char forward_zone[] =
    "$ORIGIN cf.test.\n"
    "$TTL 300\n"
    "@ IN SOA ns.lab.test. hostmaster.lab.test. 1 3600 600 86400 300\n"
    "@ IN NS ns.lab.test.\n"
    "sync IN TXT \"marker: every query sent before it is in the log\"\n"
    /* the healthy exchange most domains use; its PTRs point back to it */
    "mx IN A 192.0.2.1\n"
    "mx IN AAAA 2001:db8::1\n"
    /* broken MX lookups; each domain also has A and AAAA, so a client falling back to
       them would find an address and deliver: the query log must show it never asked */
    "mxservfail IN MX 10 mx\n"
    "mxservfail IN A 192.0.2.99\n"
    "mxservfail IN AAAA 2001:db8::99\n"
    "mxdrop IN MX 10 mx\n"
    "mxdrop IN A 192.0.2.99\n"
    "mxdrop IN AAAA 2001:db8::99\n"
    "garble IN MX 10 mx\n"
    "garble IN A 192.0.2.99\n"
    "garble IN AAAA 2001:db8::99\n"
    "short IN MX 10 mx\n"
    "short IN A 192.0.2.99\n"
    "short IN AAAA 2001:db8::99\n"
    "badid IN MX 10 mx\n"
    "badid IN A 192.0.2.99\n"
    "badid IN AAAA 2001:db8::99\n"
    "qmismatch IN MX 10 mx\n"
    "qmismatch IN A 192.0.2.99\n"
    "qmismatch IN AAAA 2001:db8::99\n"
    "nxlie IN MX 10 mx\n"
    "nxlie IN A 192.0.2.99\n"
    "nxlie IN AAAA 2001:db8::99\n"
    "formerr IN MX 10 mx\n"
    "formerr IN A 192.0.2.99\n"
    "formerr IN AAAA 2001:db8::99\n"
    /* transient or slow MX answers */
    "count IN MX 10 mx\n"
    "delay IN MX 10 mx\n"
    /* truncation */
    "trunc IN MX 10 mx\n"
    "tcpclose IN MX 10 mx\n"
    /* MX host whose AAAA lookup fails, A fine */
    "aaaa IN MX 10 mx.aaaa\n"
    "mx.aaaa IN A 192.0.2.3\n"
    "mx.aaaa IN AAAA 2001:db8::3\n"
    /* preferred MX host silent, backup fine */
    "backup IN MX 10 mx1.backup\n"
    "backup IN MX 20 mx2.backup\n"
    "mx1.backup IN A 192.0.2.4\n"
    "mx1.backup IN AAAA 2001:db8::4\n"
    "mx2.backup IN A 192.0.2.2\n"
    /* MX host whose reverse zones are silent */
    "revdrop IN MX 10 mx.revdrop\n"
    "mx.revdrop IN A 203.0.113.5\n"
    "mx.revdrop IN AAAA 2001:db8:113::5\n";

static const char rev4_zone[] = "$ORIGIN 2.0.192.in-addr.arpa.\n"
                                "$TTL 300\n"
                                "@ IN SOA ns.lab.test. hostmaster.lab.test. 1 3600 600 86400 300\n"
                                "@ IN NS ns.lab.test.\n"
                                "1 IN PTR mx.cf.test.\n"
                                "2 IN PTR mx2.backup.cf.test.\n"
                                "3 IN PTR mx.aaaa.cf.test.\n"
                                "4 IN PTR mx1.backup.cf.test.\n";

static const char rev6_zone[] =
    "$ORIGIN 8.b.d.0.1.0.0.2.ip6.arpa.\n"
    "$TTL 300\n"
    "@ IN SOA ns.lab.test. hostmaster.lab.test. 1 3600 600 86400 300\n"
    "@ IN NS ns.lab.test.\n"
    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN PTR mx.cf.test.\n"
    "3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN PTR mx.aaaa.cf.test.\n"
    "4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN PTR mx1.backup.cf.test.\n";

static const char faults[] =
    "mxservfail.cf.test.  MX    rcode=SERVFAIL\n"
    "mxdrop.cf.test.      MX    drop\n"
    "garble.cf.test.      MX    garble\n"
    "short.cf.test.       MX    short\n"
    "badid.cf.test.       MX    badid\n"
    "qmismatch.cf.test.   MX    qmismatch\n"
    "nxlie.cf.test.       MX    rcode=NXDOMAIN\n"
    "formerr.cf.test.     MX    rcode=FORMERR\n"
    "count.cf.test.       MX    rcode=SERVFAIL count=1\n"
    "delay.cf.test.       MX    delay=500\n"
    "trunc.cf.test.       MX    truncate transport=udp\n"
    "tcpclose.cf.test.    MX    tcp-close\n"
    "tcpclose.cf.test.    MX    truncate transport=udp\n"
    "mx.aaaa.cf.test.     AAAA  rcode=SERVFAIL\n"
    "mx1.backup.cf.test.  *     drop\n"
    /* the reverse zones of 203.0.113.0/24 and 2001:db8:113::/48 time out as a whole */
    "113.0.203.in-addr.arpa.              *  drop\n"
    "*.113.0.203.in-addr.arpa.            *  drop\n"
    "*.3.1.1.0.8.b.d.0.1.0.0.2.ip6.arpa.  *  drop\n";

/* One scenario. Strings are arrays: Criterion runs each row in a forked worker. */
struct fcase {
	char name[40];         /* what the row is about (failure messages) */
	char target[64];       /* mail domain or address */
	bool ip;               /* address mode (--ip) */
	int t;                 /* -t MS */
	int r;                 /* -r N */
	char verdict[16];      /* expected verdict */
	int status;            /* expected exit status (library: check_exit_status) */
	char codes[128];       /* exact set of problem codes, sorted, comma-separated, "-" none */
	char msg_code[32];     /* a problem with this code ... ("" skips) */
	char msg_has[32];      /* ... must mention this in its message */
	char unusable[64];     /* exchange listed before first_usable and unusable ("" skips) */
	char first_usable[64]; /* exchange of the first usable route ("" skips) */
	char fcrdns[16];       /* fcrdns of every address ("" skips) */
	bool no_fallback;      /* the log holds no A/AAAA query for the target */
	int mx_udp;            /* MX queries for the target in the log, over UDP */
	int mx_tcp;            /* ... and over TCP */
	char first_rcode[12];  /* rcode the server gave the first MX query ("" skips) */
	double min_ms;         /* a run takes at least this long (0: no bound) */
	double max_ms;         /* and at most this long (0: no bound) */
};

#define ROUTES_MAX 8 /* routes and addresses an outcome keeps */

/* What one run produced, from the JSON line or from the library's result. */
struct outcome {
	char verdict[16];                /* verdict name */
	int status;                      /* exit status */
	char codes[1024];                /* problem codes, sorted, unique, comma-separated */
	bool msg_found;                  /* a msg_code problem mentions msg_has */
	char exchange[ROUTES_MAX][64];   /* route exchanges, in delivery order, no final dot */
	bool usable[ROUTES_MAX];         /* whether each route is usable */
	size_t nroutes;                  /* routes kept */
	char fcrdns[ROUTES_MAX * 2][16]; /* fcrdns of every address of every route */
	size_t naddrs;                   /* addresses kept */
	double ms;                       /* wall time of the run */
};

/* What the server's query log says about one run. */
struct wire {
	int mx_udp;     /* MX queries for the target over UDP */
	int mx_tcp;     /* ... over TCP */
	int addr_q;     /* A or AAAA queries for the target itself */
	bool synced;    /* the marker query was logged */
	size_t lines;   /* log lines read */
	char first[12]; /* rcode of the first MX query for the target ("" when none) */
};

static struct testsrv srv_bin, srv_lib;
static char dir[256];

static void
setup(void)
{
	char binlog[320], liblog[320];
	const char *abin[] = {"-z", dir, "--query-log", binlog, NULL};
	const char *alib[] = {"-z", dir, "--query-log", liblog, NULL};

	/* Criterion's worker variable must not reach mxlabd (see test_mxcheck.c). */
	unsetenv("BXFI_MAP");
	test_tmpdir(dir, sizeof(dir));
	snprintf(binlog, sizeof(binlog), "%s/bin.qlog", dir);
	snprintf(liblog, sizeof(liblog), "%s/lib.qlog", dir);
	test_write(dir, "cf.test.zone", forward_zone);
	test_write(dir, "rev4.zone", rev4_zone);
	test_write(dir, "rev6.zone", rev6_zone);
	test_write(dir, "faults.conf", faults);
	/* One server per way of running, so count= rules and the log see only that run. */
	cr_assert_eq(testsrv_start(&srv_bin, abin), 0, "mxlabd did not start: %s",
	             testsrv_stderr(&srv_bin));
	cr_assert_eq(testsrv_start(&srv_lib, alib), 0, "mxlabd did not start: %s",
	             testsrv_stderr(&srv_lib));
}

static void
teardown(void)
{
	testsrv_stop(&srv_bin);
	testsrv_stop(&srv_lib);
}

TestSuite(e2e_mxcheck_faults, .init = setup, .fini = teardown, .timeout = 30);

static int
cmp_code(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Sort and join codes[n] (duplicates dropped) into out; "-" when empty. */
static void
join_codes(char codes[][32], size_t n, char *out, size_t len)
{
	qsort(codes, n, sizeof(codes[0]), cmp_code);
	snprintf(out, len, "%s", n ? "" : "-");
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(out);
		if (i > 0 && strcmp(codes[i], codes[i - 1]) == 0)
			continue;
		snprintf(out + l, len - l, "%s%s", l ? "," : "", codes[i]);
	}
}

static void
keep_route(struct outcome *o, const char *exchange, bool usable)
{
	if (o->nroutes == ROUTES_MAX)
		return;
	snprintf(o->exchange[o->nroutes], sizeof(o->exchange[0]), "%s", exchange);
	o->usable[o->nroutes++] = usable;
}

static void
keep_fcrdns(struct outcome *o, const char *fcrdns)
{
	if (o->naddrs < ROUTES_MAX * 2)
		snprintf(o->fcrdns[o->naddrs++], sizeof(o->fcrdns[0]), "%s", fcrdns);
}

/* bin/mxcheck -s 127.0.0.1@PORT --json --seed 1 -t T -r R [--ip] target. */
static void
run_binary(const struct fcase *c, int port, struct outcome *o)
{
	static char buf[262144];
	char spec[64], t[16], r[16], codes[64][32];
	const char *argv[16];
	size_t n = 0, nc = 0, i;
	json_error_t e;
	json_t *j, *p, *rt;
	double t0;

	memset(o, 0, sizeof(*o));
	snprintf(spec, sizeof(spec), "127.0.0.1@%d", port);
	snprintf(t, sizeof(t), "%d", c->t);
	snprintf(r, sizeof(r), "%d", c->r);
	argv[n++] = test_bin("mxcheck");
	argv[n++] = "-s";
	argv[n++] = spec;
	argv[n++] = "--json";
	argv[n++] = "--seed";
	argv[n++] = "1";
	argv[n++] = "-t";
	argv[n++] = t;
	argv[n++] = "-r";
	argv[n++] = r;
	if (c->ip)
		argv[n++] = "--ip";
	argv[n++] = c->target;
	argv[n] = NULL;
	t0 = test_now_ms();
	o->status = test_run(argv, buf, sizeof(buf), 15000);
	o->ms = test_now_ms() - t0;
	j = json_loads(buf, JSON_DISABLE_EOF_CHECK, &e);
	cr_assert(json_is_object(j), "%s: mxcheck exit %d, no JSON object (%s): %.300s", c->name,
	          o->status, e.text, buf);
	snprintf(o->verdict, sizeof(o->verdict), "%s",
	         json_string_value(json_object_get(j, "verdict")) ?: "(none)");
	json_array_foreach(json_object_get(j, "problems"), i, p)
	{
		const char *code = json_string_value(json_object_get(p, "code"));
		const char *msg = json_string_value(json_object_get(p, "message"));
		if (code == NULL || nc == 64)
			continue;
		snprintf(codes[nc++], sizeof(codes[0]), "%s", code);
		if (c->msg_code[0] && strcmp(code, c->msg_code) == 0 && msg &&
		    strstr(msg, c->msg_has) != NULL)
			o->msg_found = true;
	}
	join_codes(codes, nc, o->codes, sizeof(o->codes));
	json_array_foreach(json_object_get(j, "route"), i, rt)
	{
		size_t k;
		json_t *a;
		keep_route(o, json_string_value(json_object_get(rt, "exchange")) ?: "",
		           json_is_true(json_object_get(rt, "usable")));
		json_array_foreach(json_object_get(rt, "addresses"), k, a)
		    keep_fcrdns(o, json_string_value(json_object_get(a, "fcrdns")) ?: "(none)");
	}
	json_decref(j);
}

/* The same check through libmxcheck. */
static void
run_library(const struct fcase *c, int port, struct outcome *o)
{
	char spec[64], err[256] = "", codes[64][32], shown[LOOKUP_NAME_MAX];
	const char *specs[1] = {spec};
	struct check_options opt;
	struct check_result *r;
	struct lookup *lk;
	size_t nc = 0;
	double t0;

	memset(o, 0, sizeof(*o));
	snprintf(spec, sizeof(spec), "127.0.0.1@%d", port);
	lk = lookup_net_new(specs, 1, c->t, c->r, err, sizeof(err));
	cr_assert_not_null(lk, "%s: %s", c->name, err);
	check_options_init(&opt);
	opt.seed = 1;
	t0 = test_now_ms();
	r = c->ip ? rdns_check(lk, c->target, &opt, err, sizeof(err))
	          : mx_check(lk, c->target, &opt, err, sizeof(err));
	o->ms = test_now_ms() - t0;
	cr_assert_not_null(r, "%s: library: %s", c->name, err);
	snprintf(o->verdict, sizeof(o->verdict), "%s", check_verdict_name(r->verdict));
	o->status = check_exit_status(r);
	for (size_t i = 0; i < r->nproblems && nc < 64; i++) {
		const struct check_problem *p = &r->problems[i];
		snprintf(codes[nc++], sizeof(codes[0]), "%s", p->code);
		if (c->msg_code[0] && strcmp(p->code, c->msg_code) == 0 &&
		    strstr(p->message, c->msg_has) != NULL)
			o->msg_found = true;
	}
	join_codes(codes, nc, o->codes, sizeof(o->codes));
	for (size_t i = 0; i < r->nroutes; i++) {
		keep_route(o, check_name_display(r->routes[i].exchange, shown, sizeof(shown)),
		           r->routes[i].usable);
		for (size_t k = 0; k < r->routes[i].naddrs; k++)
			keep_fcrdns(o, check_fcrdns_name(r->routes[i].addrs[k].fcrdns));
	}
	check_result_free(r);
	lookup_free(lk);
}

/* Read the query log of a server. Every query the client sent before it exited is logged once
   the marker query (sent now) is: one event loop serves both transports in order. Delayed
   answers are logged when sent, so wait (bounded) for the counts the row expects. */
static void
read_wire(const struct fcase *c, const struct testsrv *s, const char *log, struct wire *w)
{
	char qname[LOOKUP_NAME_MAX], line[8192];
	ldns_pkt *m = test_query(s->port, "sync.cf.test.", LDNS_RR_TYPE_TXT, false, 0, 2000);
	double deadline = test_now_ms() + 3000;

	cr_assert_not_null(m, "%s: the server does not answer the marker query", c->name);
	ldns_pkt_free(m);
	lookup_name_abs(c->target, qname, sizeof(qname));
	for (;;) {
		FILE *fp = fopen(log, "r");

		memset(w, 0, sizeof(*w));
		cr_assert_not_null(fp, "%s: no query log %s", c->name, log);
		while (fgets(line, sizeof(line), fp)) {
			json_t *j = json_loads(line, 0, NULL);
			const char *qn, *qt, *tr, *rc;

			w->lines++;
			cr_assert_not_null(j, "%s: query log line is not JSON: %s", c->name, line);
			qn = json_string_value(json_object_get(j, "qname")) ?: "";
			qt = json_string_value(json_object_get(j, "qtype")) ?: "";
			tr = json_string_value(json_object_get(j, "transport")) ?: "";
			rc = json_string_value(json_object_get(j, "rcode")) ?: "none";
			if (strcmp(qn, "sync.cf.test.") == 0) {
				w->synced = true;
			} else if (strcasecmp(qn, qname) == 0 && strcmp(qt, "MX") == 0) {
				if (w->mx_udp + w->mx_tcp == 0)
					snprintf(w->first, sizeof(w->first), "%s", rc);
				if (strcmp(tr, "tcp") == 0)
					w->mx_tcp++;
				else
					w->mx_udp++;
			} else if (strcasecmp(qn, qname) == 0 &&
			           (strcmp(qt, "A") == 0 || strcmp(qt, "AAAA") == 0)) {
				w->addr_q++;
			}
			json_decref(j);
		}
		fclose(fp);
		if ((w->synced && w->mx_udp >= c->mx_udp && w->mx_tcp >= c->mx_tcp) ||
		    test_now_ms() > deadline)
			break;
		poll(NULL, 0, 20);
	}
	cr_assert(w->synced, "%s: marker query never reached %s", c->name, log);
}

/* Every assertion of a row, for one way of running it. */
static void
expect_outcome(const struct fcase *c, const char *how, const struct outcome *o,
               const struct wire *w)
{
	cr_expect_str_eq(o->verdict, c->verdict, "%s (%s): verdict %s, expected %s", c->name, how,
	                 o->verdict, c->verdict);
	cr_expect_eq(o->status, c->status, "%s (%s): exit status %d, expected %d", c->name, how,
	             o->status, c->status);
	cr_expect_str_eq(o->codes, c->codes, "%s (%s): codes %s, expected %s", c->name, how,
	                 o->codes, c->codes);
	if (c->msg_code[0])
		cr_expect(o->msg_found, "%s (%s): no %s problem mentions \"%s\"", c->name, how,
		          c->msg_code, c->msg_has);
	if (c->first_usable[0]) {
		size_t i;
		bool unusable_seen = c->unusable[0] == '\0';

		for (i = 0; i < o->nroutes && !o->usable[i]; i++)
			if (strcmp(o->exchange[i], c->unusable) == 0)
				unusable_seen = true;
		cr_expect(i < o->nroutes, "%s (%s): no usable route", c->name, how);
		if (i < o->nroutes)
			cr_expect_str_eq(o->exchange[i], c->first_usable,
			                 "%s (%s): first usable route %s, expected %s", c->name,
			                 how, o->exchange[i], c->first_usable);
		cr_expect(unusable_seen, "%s (%s): %s is not an unusable route before %s", c->name,
		          how, c->unusable, c->first_usable);
	}
	if (c->fcrdns[0]) {
		cr_expect_gt(o->naddrs, 0, "%s (%s): no address checked", c->name, how);
		for (size_t i = 0; i < o->naddrs; i++)
			cr_expect_str_eq(o->fcrdns[i], c->fcrdns,
			                 "%s (%s): address %zu fcrdns %s, expected %s", c->name,
			                 how, i, o->fcrdns[i], c->fcrdns);
	}
	if (c->min_ms > 0)
		cr_expect_geq(o->ms, c->min_ms, "%s (%s): took %.0f ms, less than %.0f ms", c->name,
		              how, o->ms, c->min_ms);
	if (c->max_ms > 0)
		cr_expect_leq(o->ms, c->max_ms, "%s (%s): took %.0f ms, more than %.0f ms", c->name,
		              how, o->ms, c->max_ms);
	if (c->no_fallback)
		cr_expect_eq(w->addr_q, 0,
		             "%s (%s): %d A/AAAA queries for %s: the client fell back to the "
		             "domain's addresses",
		             c->name, how, w->addr_q, c->target);
	cr_expect_eq(w->mx_udp, c->mx_udp, "%s (%s): %d MX queries over UDP, expected %d", c->name,
	             how, w->mx_udp, c->mx_udp);
	if (c->first_rcode[0])
		cr_expect_str_eq(w->first, c->first_rcode,
		                 "%s (%s): the first MX query got %s, expected %s", c->name, how,
		                 w->first, c->first_rcode);
	cr_expect_eq(w->mx_tcp, c->mx_tcp, "%s (%s): %d MX queries over TCP, expected %d", c->name,
	             how, w->mx_tcp, c->mx_tcp);
}

/* clang-format off */
static struct fcase cases[] = {
    /* issue item 1: the MX lookup fails; defer, and never ask for A/AAAA instead */
    {.name = "mx-servfail-no-a-fallback", .target = "mxservfail.cf.test", .t = 1000, .r = 1,
     .verdict = "tempfail", .status = 75, .codes = "dns-servfail",
     .no_fallback = true, .mx_udp = 2},
    /* item 2: silence; two tries of 300 ms, then defer, well within 3 s */
    {.name = "mx-timeout-bounded", .target = "mxdrop.cf.test", .t = 300, .r = 1,
     .verdict = "tempfail", .status = 75, .codes = "dns-timeout",
     .no_fallback = true, .mx_udp = 2, .min_ms = 550, .max_ms = 3000},
    /* item 3: AAAA SERVFAILs, A answers: deliver over IPv4 with a warning naming AAAA */
    {.name = "aaaa-servfail-a-fine", .target = "aaaa.cf.test", .t = 1000, .r = 1,
     .verdict = "deliver", .status = 1, .codes = "dns-servfail,mx-host-tempfail",
     .msg_code = "mx-host-tempfail", .msg_has = "AAAA", .first_usable = "mx.aaaa.cf.test",
     .fcrdns = "pass", .mx_udp = 1},
    /* item 4: the preferred host's A/AAAA time out; the backup is the usable route */
    {.name = "preferred-host-timeout-backup", .target = "backup.cf.test", .t = 300, .r = 0,
     .verdict = "deliver", .status = 1, .codes = "dns-timeout,mx-host-tempfail",
     .unusable = "mx1.backup.cf.test", .first_usable = "mx2.backup.cf.test",
     .fcrdns = "pass", .mx_udp = 1, .max_ms = 3000},
    /* item 5: the reverse zones time out: ptr-tempfail, never ptr-missing */
    {.name = "reverse-timeout-domain", .target = "revdrop.cf.test", .t = 300, .r = 0,
     .verdict = "deliver", .status = 1, .codes = "dns-timeout,ptr-tempfail",
     .first_usable = "mx.revdrop.cf.test", .fcrdns = "tempfail", .mx_udp = 1,
     .max_ms = 3000},
    {.name = "reverse-timeout-ipv4", .target = "203.0.113.5", .ip = true, .t = 300, .r = 0,
     .verdict = "tempfail", .status = 75, .codes = "dns-timeout,ptr-tempfail",
     .fcrdns = "tempfail", .max_ms = 3000},
    {.name = "reverse-timeout-ipv6", .target = "2001:db8:113::5", .ip = true, .t = 300,
     .r = 0, .verdict = "tempfail", .status = 75, .codes = "dns-timeout,ptr-tempfail",
     .fcrdns = "tempfail", .max_ms = 3000},
    /* item 6: TC over UDP, the answer really comes over TCP; a closed TCP is a tempfail */
    {.name = "truncated-then-tcp", .target = "trunc.cf.test", .t = 1000, .r = 1,
     .verdict = "deliver", .status = 0, .codes = "dns-truncated",
     .first_usable = "mx.cf.test", .mx_udp = 1, .mx_tcp = 1},
    {.name = "truncated-tcp-closed", .target = "tcpclose.cf.test", .t = 1000, .r = 1,
     .verdict = "tempfail", .status = 75, .codes = "dns-tcp-failed,dns-truncated",
     .no_fallback = true, .mx_udp = 2, .mx_tcp = 2},
    /* unusable replies: rejected, retried, deferred; never a crash, never a bounce */
    {.name = "garbled-reply", .target = "garble.cf.test", .t = 1000, .r = 1,
     .verdict = "tempfail", .status = 75, .codes = "dns-network",
     .no_fallback = true, .mx_udp = 2},
    {.name = "short-reply", .target = "short.cf.test", .t = 1000, .r = 1,
     .verdict = "tempfail", .status = 75, .codes = "dns-network",
     .no_fallback = true, .mx_udp = 2},
    {.name = "reply-with-wrong-id", .target = "badid.cf.test", .t = 1000, .r = 1,
     .verdict = "tempfail", .status = 75, .codes = "dns-network",
     .no_fallback = true, .mx_udp = 2},
    {.name = "reply-to-another-question", .target = "qmismatch.cf.test", .t = 1000, .r = 1,
     .verdict = "tempfail", .status = 75, .codes = "dns-network",
     .no_fallback = true, .mx_udp = 2},
    /* rcode lies: NXDOMAIN bounces at once (no retry, no A); FORMERR defers (Exim) */
    {.name = "nxdomain-lie", .target = "nxlie.cf.test", .t = 1000, .r = 1,
     .verdict = "permfail", .status = 69, .codes = "nxdomain",
     .no_fallback = true, .mx_udp = 1, .first_rcode = "NXDOMAIN"},
    {.name = "formerr", .target = "formerr.cf.test", .t = 1000, .r = 1,
     .verdict = "tempfail", .status = 75, .codes = "dns-formerr",
     .no_fallback = true, .mx_udp = 2},
    /* transient SERVFAIL: -r 1 retries and delivers cleanly; -r 0 defers */
    {.name = "servfail-once-retried", .target = "count.cf.test", .t = 1000, .r = 1,
     .verdict = "deliver", .status = 0, .codes = "-", .first_usable = "mx.cf.test",
     .fcrdns = "pass", .mx_udp = 2, .first_rcode = "SERVFAIL"},
    {.name = "servfail-once-no-retry", .target = "count.cf.test", .t = 1000, .r = 0,
     .verdict = "tempfail", .status = 75, .codes = "dns-servfail",
     .no_fallback = true, .mx_udp = 1, .first_rcode = "SERVFAIL"},
    /* slow answer: later than -t is a timeout; within -t it is used */
    {.name = "delay-beyond-timeout", .target = "delay.cf.test", .t = 300, .r = 0,
     .verdict = "tempfail", .status = 75, .codes = "dns-timeout",
     .no_fallback = true, .mx_udp = 1, .min_ms = 250, .max_ms = 3000},
    {.name = "delay-within-timeout", .target = "delay.cf.test", .t = 1500, .r = 0,
     .verdict = "deliver", .status = 0, .codes = "-", .first_usable = "mx.cf.test",
     .fcrdns = "pass", .mx_udp = 1, .min_ms = 480, .max_ms = 3000},
};
/* clang-format on */

ParameterizedTestParameters(e2e_mxcheck_faults, client_meets_fault)
{
	return cr_make_param_array(struct fcase, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct fcase *c, e2e_mxcheck_faults, client_meets_fault)
{
	char binlog[320], liblog[320];
	struct outcome o;
	struct wire w;

	snprintf(binlog, sizeof(binlog), "%s/bin.qlog", dir);
	snprintf(liblog, sizeof(liblog), "%s/lib.qlog", dir);
	run_binary(c, srv_bin.port, &o);
	read_wire(c, &srv_bin, binlog, &w);
	expect_outcome(c, "mxcheck", &o, &w);
	run_library(c, srv_lib.port, &o);
	read_wire(c, &srv_lib, liblog, &w);
	expect_outcome(c, "library", &o, &w);
}
