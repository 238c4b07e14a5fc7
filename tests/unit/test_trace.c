/* tests/unit/test_trace.c -- --trace on a fake world of name servers: referrals and glue,
   every server of a cut asked once, the delegation problems, the bounds, root hints. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include "client/check.h"
#include "client/lookup.h"
#include "client/mx.h"
#include "client/trace.h"
#include "tests/support/support.h"
#include "tests/unit/test_mxcheck_fake.h"

#define W_MAX 16

/* One fake name server. */
struct wsrv {
	char addr[48];       /* its address */
	char mode[16];       /* "ok", "timeout", "refused", "noaa" */
	char zones[4][64];   /* zones it is authoritative for */
	const char *rrs[32]; /* its records (zone-file form), NULL-terminated */
	unsigned asked;      /* questions it got */
};

/* The fake world. */
struct world {
	struct wsrv s[W_MAX]; /* servers */
	size_t n;             /* entries in s */
};

static bool
under(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);

	if (strcmp(zone, ".") == 0)
		return true;
	return n >= z && strcmp(name + n - z, zone) == 0 && (n == z || name[n - z - 1] == '.');
}

static void
push(struct lookup_rr **v, size_t *n, const struct lookup_rr *rr)
{
	*v = realloc(*v, (*n + 1) * sizeof(**v));
	cr_assert_not_null(*v);
	(*v)[(*n)++] = *rr;
}

static void
w_ask(void *ud, const struct trace_server *srv, const char *qname, uint16_t qtype,
      struct lookup_msg *out)
{
	struct world *w = ud;
	char a[48];
	struct wsrv *s = NULL;
	const char *zone = NULL, *deleg = NULL;
	struct lookup_rr rr;
	bool exists = false;

	inet_ntop(srv->family, srv->addr, a, sizeof(a));
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->s[i].addr, a) == 0)
			s = &w->s[i];
	out->queries = 1;
	if (s == NULL || strcmp(s->mode, "timeout") == 0) {
		out->status = LOOKUP_TEMPORARY;
		out->reason = LOOKUP_R_TIMEOUT;
		if (s)
			s->asked++;
		return;
	}
	s->asked++;
	for (size_t z = 0; z < 4 && s->zones[z][0]; z++)
		if (under(qname, s->zones[z]) &&
		    (zone == NULL || strlen(s->zones[z]) > strlen(zone)))
			zone = s->zones[z];
	if (strcmp(s->mode, "refused") == 0 || zone == NULL) {
		out->status = LOOKUP_TEMPORARY;
		out->reason = LOOKUP_R_REFUSED;
		return;
	}
	/* the deepest delegation below the zone that holds qname */
	for (size_t i = 0; s->rrs[i]; i++) {
		cr_assert_eq(lookup_rr_parse(s->rrs[i], &rr), 0, "%s", s->rrs[i]);
		if (rr.type == LOOKUP_T_NS && strcmp(rr.owner, zone) != 0 &&
		    under(rr.owner, zone) && under(qname, rr.owner) &&
		    (deleg == NULL || strlen(rr.owner) > strlen(deleg)))
			deleg = s->rrs[i];
	}
	out->status = LOOKUP_OK;
	if (deleg != NULL) {
		char owner[LOOKUP_NAME_MAX];
		lookup_rr_parse(deleg, &rr);
		snprintf(owner, sizeof(owner), "%s", rr.owner);
		for (size_t i = 0; s->rrs[i]; i++) {
			lookup_rr_parse(s->rrs[i], &rr);
			if (rr.type == LOOKUP_T_NS && strcmp(rr.owner, owner) == 0) {
				struct lookup_rr g;
				push(&out->ns, &out->nns, &rr);
				for (size_t k = 0; s->rrs[k]; k++) {
					lookup_rr_parse(s->rrs[k], &g);
					if ((g.type == LOOKUP_T_A || g.type == LOOKUP_T_AAAA) &&
					    strcmp(g.owner, rr.target) == 0)
						push(&out->ar, &out->nar, &g);
				}
			}
		}
		return;
	}
	out->aa = strcmp(s->mode, "noaa") != 0;
	for (size_t i = 0; s->rrs[i]; i++) {
		lookup_rr_parse(s->rrs[i], &rr);
		if (under(rr.owner, qname))
			exists = true;
		if (strcmp(rr.owner, qname) == 0 && (rr.type == qtype || rr.type == LOOKUP_T_CNAME))
			push(&out->an, &out->nan, &rr);
	}
	if (!exists)
		out->status = LOOKUP_NXDOMAIN;
}

static const struct trace_ops w_ops = {w_ask, NULL};

static struct wsrv *
w_add(struct world *w, const char *addr, const char *mode, const char *zone)
{
	struct wsrv *s = &w->s[w->n++];

	memset(s, 0, sizeof(*s));
	snprintf(s->addr, sizeof(s->addr), "%s", addr);
	snprintf(s->mode, sizeof(s->mode), "%s", mode);
	snprintf(s->zones[0], sizeof(s->zones[0]), "%s", zone);
	return s;
}

static void
w_rrs(struct wsrv *s, const char *const *rrs)
{
	size_t i = 0;

	for (; rrs[i]; i++)
		s->rrs[i] = rrs[i];
	s->rrs[i] = NULL;
}

static const char *const root_rrs[] = {
    ". 300 IN NS a.root.",          "test. 300 IN NS ns1.test.",    "test. 300 IN NS ns2.test.",
    "ns1.test. 300 IN A 192.0.2.1", "ns2.test. 300 IN A 192.0.2.2", NULL};
static const char *const test_rrs[] = {"test. 300 IN NS ns1.test.",
                                       "test. 300 IN NS ns2.test.",
                                       "ns1.test. 300 IN A 192.0.2.1",
                                       "ns2.test. 300 IN A 192.0.2.2",
                                       "example.test. 300 IN NS ns.example.test.",
                                       "example.test. 300 IN NS ns-dead.example.test.",
                                       "ns.example.test. 300 IN A 192.0.2.10",
                                       "ns-dead.example.test. 300 IN A 192.0.2.11",
                                       NULL};
static const char *const example_rrs[] = {"example.test. 300 IN NS ns.example.test.",
                                          "example.test. 300 IN NS ns-dead.example.test.",
                                          "example.test. 300 IN MX 10 mx.example.test.",
                                          "mx.example.test. 300 IN A 192.0.2.25",
                                          "ns.example.test. 300 IN A 192.0.2.10",
                                          "ns-dead.example.test. 300 IN A 192.0.2.11",
                                          NULL};

/* root -> test. (ns1, ns2) -> example.test. (ns, ns-dead which never answers) */
static void
world_basic(struct world *w)
{
	memset(w, 0, sizeof(*w));
	w_rrs(w_add(w, "198.41.0.4", "ok", "."), root_rrs);
	w_rrs(w_add(w, "192.0.2.1", "ok", "test."), test_rrs);
	w_rrs(w_add(w, "192.0.2.2", "ok", "test."), test_rrs);
	w_rrs(w_add(w, "192.0.2.10", "ok", "example.test."), example_rrs);
	w_add(w, "192.0.2.11", "timeout", "example.test.");
}

static struct check_result *
trace_check(struct world *w, const char *target)
{
	struct trace_server root;
	struct check_options o;
	char err[256] = "";
	struct lookup *lk;
	struct check_result *r;

	cr_assert_eq(trace_root_parse("198.41.0.4", &root, err, sizeof(err)), 0, "%s", err);
	snprintf(root.name, sizeof(root.name), "a.root.");
	lk = trace_new(&w_ops, w, &root, 1);
	cr_assert_not_null(lk);
	check_options_init(&o);
	o.seed = 1;
	o.no_ptr = true;
	r = mx_check(lk, target, &o, err, sizeof(err));
	cr_assert_not_null(r, "%s", err);
	lookup_free(lk);
	return r;
}

static struct wsrv *
w_find(struct world *w, const char *addr)
{
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->s[i].addr, addr) == 0)
			return &w->s[i];
	cr_assert_fail("no server %s", addr);
	return NULL;
}

Test(trace, follows_referrals_with_glue_and_records_every_cut)
{
	static struct world w;
	struct check_result *r;

	world_basic(&w);
	r = trace_check(&w, "example.test");
	cr_assert_eq(r->verdict, CHECK_DELIVER);
	cr_assert_eq(r->ndelegations, 3);
	cr_expect_str_eq(r->delegations[0].zone, ".");
	cr_expect_str_eq(r->delegations[1].zone, "test.");
	cr_expect_str_eq(r->delegations[2].zone, "example.test.");
	cr_expect_eq(r->delegations[1].nservers, 2);
	cr_expect_str_eq(r->delegations[1].servers[0].outcome, "ok");
	cr_expect_str_eq(r->delegations[1].servers[1].outcome, "ok", "every server is asked");
	cr_expect_str_eq(r->delegations[2].servers[1].name, "ns-dead.example.test.");
	cr_expect_str_eq(r->delegations[2].servers[1].outcome, "timeout");
	expect_problem(r, "ns-unreachable", CHECK_WARNING);
	cr_expect_null(find_problem(r, "lame-delegation"));
	check_result_free(r);
}

Test(trace, a_dead_server_costs_its_timeout_once_per_check)
{
	static struct world w;
	struct check_result *r;

	world_basic(&w);
	r = trace_check(&w, "example.test"); /* MX, then A and AAAA of mx.example.test */
	cr_expect_eq(w_find(&w, "192.0.2.11")->asked, 1);
	cr_expect_geq(w_find(&w, "192.0.2.10")->asked, 3);
	cr_expect_eq(w_find(&w, "192.0.2.2")->asked, 1, "after the first use, one good is enough");
	check_result_free(r);
}

Test(trace, a_refusing_server_is_a_lame_delegation)
{
	static struct world w;
	struct check_result *r;
	const struct check_problem *p;

	world_basic(&w);
	snprintf(w_find(&w, "192.0.2.2")->mode, 16, "refused");
	r = trace_check(&w, "example.test");
	cr_assert_eq(r->verdict, CHECK_DELIVER);
	p = expect_problem(r, "lame-delegation", CHECK_WARNING);
	cr_expect_not_null(strstr(p->subject, "ns2.test."), "%s", p->subject);
	cr_expect_not_null(strstr(p->message, "REFUSED"), "%s", p->message);
	check_result_free(r);
}

Test(trace, an_answer_without_authority_is_a_lame_delegation)
{
	static struct world w;
	struct check_result *r;

	world_basic(&w);
	snprintf(w_find(&w, "192.0.2.10")->mode, 16, "noaa");
	r = trace_check(&w, "example.test");
	expect_problem(r, "lame-delegation", CHECK_WARNING);
	cr_expect_eq(r->verdict, CHECK_TEMPFAIL, "no server of example.test. answered");
	check_result_free(r);
}

Test(trace, no_server_answering_makes_the_lookup_temporary)
{
	static struct world w;
	struct check_result *r;

	world_basic(&w);
	snprintf(w_find(&w, "192.0.2.10")->mode, 16, "timeout");
	r = trace_check(&w, "example.test");
	cr_assert_eq(r->verdict, CHECK_TEMPFAIL);
	expect_problem(r, "dns-timeout", CHECK_ERROR);
	expect_problem(r, "ns-unreachable", CHECK_WARNING);
	check_result_free(r);
}

Test(trace, ns_names_that_need_each_other_are_a_delegation_loop)
{
	static struct world w;
	static const char *const root2[] = {". 300 IN NS a.root.",
	                                    "loop.test. 300 IN NS ns.other.test.",
	                                    "other.test. 300 IN NS ns.loop.test.", NULL};
	struct check_result *r;

	memset(&w, 0, sizeof(w));
	w_rrs(w_add(&w, "198.41.0.4", "ok", "."), root2);
	r = trace_check(&w, "loop.test");
	cr_assert_eq(r->verdict, CHECK_TEMPFAIL);
	expect_problem(r, "delegation-loop", CHECK_ERROR);
	check_result_free(r);
}

Test(trace, glue_and_ns_sets_are_compared_with_the_child)
{
	static struct world w;
	static const char *const child[] = {"example.test. 300 IN NS ns.example.test.",
	                                    "example.test. 300 IN MX 10 mx.example.test.",
	                                    "mx.example.test. 300 IN A 192.0.2.25",
	                                    "ns.example.test. 300 IN A 192.0.2.99", NULL};
	struct check_result *r;

	world_basic(&w);
	w_rrs(w_find(&w, "192.0.2.10"), child);
	r = trace_check(&w, "example.test");
	cr_assert_eq(r->verdict, CHECK_DELIVER);
	expect_problem(r, "glue-mismatch", CHECK_WARNING);
	expect_problem(r, "ns-mismatch", CHECK_INFO);
	check_result_free(r);
}

Test(trace, a_healthy_path_has_no_delegation_problems)
{
	static struct world w;
	struct check_result *r;

	world_basic(&w);
	snprintf(w_find(&w, "192.0.2.11")->mode, 16, "ok");
	w_rrs(w_find(&w, "192.0.2.11"), example_rrs);
	r = trace_check(&w, "example.test");
	cr_assert_eq(r->verdict, CHECK_DELIVER);
	cr_expect_eq(r->nproblems, 0, "first problem: %s", r->nproblems ? r->problems[0].code : "");
	check_result_free(r);
}

Test(trace, root_hints_files_are_read_as_named_root)
{
	char dir[512], path[600], err[512] = "";
	struct trace_server *v = NULL;
	size_t n = 0;

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "named.root",
	           "; the root\n"
	           ".                        3600000      NS    A.ROOT-SERVERS.NET.\n"
	           "A.ROOT-SERVERS.NET.      3600000      A     198.41.0.4\n"
	           "A.ROOT-SERVERS.NET.      3600000      AAAA  2001:503:ba3e::2:30\n"
	           ".                        3600000      NS    B.ROOT-SERVERS.NET.\n"
	           "B.ROOT-SERVERS.NET.      3600000      A     170.247.170.2\n");
	snprintf(path, sizeof(path), "%s/named.root", dir);
	cr_assert_eq(trace_hints_load(path, &v, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, 3);
	cr_expect_str_eq(v[0].name, "a.root-servers.net.");
	cr_expect_eq(v[1].family, AF_INET6);
	cr_expect_eq(v[2].port, 53);
	free(v);
	test_write(dir, "bad.root", ". 3600000 NS a.root.\nthis is not a record\n");
	snprintf(path, sizeof(path), "%s/bad.root", dir);
	cr_assert_eq(trace_hints_load(path, &v, &n, err, sizeof(err)), -1);
	cr_expect_not_null(strstr(err, "bad.root:2:"), "%s", err);
}
