/* tests/unit/test_world.c -- world mode without sockets: which addresses serve which zones
   (authoritative address, glue, out-of-bailiwick names, no address), the synthesized root,
   per-address views answering as a server holding only its own zones, per-server copies. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "server/acache.h"
#include "server/answer.h"
#include "server/msg.h"
#include "server/query.h"
#include "server/world.h"
#include "server/zone.h"
#include "tests/support/support.h"

/* test. delegates kestrel.test (glue that differs from the child's own address) and
   nochild.test (a child not served: only glue says where it is). */
static const char zone_test[] = "$ORIGIN test.\n"
                                "$TTL 300\n"
                                "@ SOA ns.tld.mxlab. hostmaster 1 3600 600 86400 300\n"
                                "@ NS ns.tld.mxlab.\n"
                                "kestrel NS ns1.kestrel\n"
                                "kestrel NS ns2.kestrel\n"
                                "ns1.kestrel A 127.53.10.9\n"
                                "ns2.kestrel A 127.53.10.2\n"
                                "nochild NS ns.nochild\n"
                                "ns.nochild A 127.53.30.1\n"
                                "orphan A 192.0.2.1\n";

static const char zone_tld[] = "$ORIGIN tld.mxlab.\n"
                               "$TTL 300\n"
                               "@ SOA ns hostmaster 1 3600 600 86400 300\n"
                               "@ NS ns\n"
                               "ns A 127.53.2.1\n";

static const char zone_kestrel[] = "$ORIGIN kestrel.test.\n"
                                   "$TTL 300\n"
                                   "@ SOA ns1 hostmaster 1 3600 600 86400 300\n"
                                   "@ NS ns1\n"
                                   "@ NS ns2\n"
                                   "@ NS ns.lab.example.\n"
                                   "@ NS ns.nowhere.example.\n"
                                   "ns1 A 127.53.10.1\n"
                                   "ns2 A 127.53.10.2\n"
                                   "@ MX 10 mail\n"
                                   "@ MX 20 mx.other.example.\n"
                                   "mail A 192.0.2.25\n"
                                   "www CNAME www.other.example.\n";

/* A second top-level zone on its own server; kestrel.test names its server too. */
static const char zone_lab[] = "$ORIGIN lab.example.\n"
                               "$TTL 300\n"
                               "@ SOA ns hostmaster 1 3600 600 86400 300\n"
                               "@ NS ns\n"
                               "ns A 127.53.20.1\n"
                               "ns AAAA ::1\n";

static const char zone_other[] = "$ORIGIN other.example.\n"
                                 "$TTL 300\n"
                                 "@ SOA ns.lab.example. hostmaster 1 3600 600 86400 300\n"
                                 "@ NS ns.lab.example.\n"
                                 "www A 192.0.2.80\n"
                                 "mx A 192.0.2.26\n";

struct wfix {
	struct zoneset *zs; /* the zones */
	struct world *w;    /* their servers */
	struct diag d;      /* what world_new said */
};

static void
wfix_load(struct wfix *f, const char *const *texts, size_t n)
{
	struct diag zd;

	diag_init(&zd);
	diag_init(&f->d);
	f->zs = zoneset_new();
	for (size_t i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof(name), "z%zu.zone", i);
		cr_assert_eq(zoneset_add_text(f->zs, name, texts[i], &zd), 0);
	}
	cr_assert_eq(zoneset_finish(f->zs, &zd), 0, "finish: %zu errors", zd.errors);
	diag_free(&zd);
	f->w = world_new(f->zs, NULL, 0, &f->d);
	cr_assert_not_null(f->w);
}

static void
wfix_all(struct wfix *f)
{
	const char *const texts[] = {zone_test, zone_tld, zone_kestrel, zone_lab, zone_other};
	wfix_load(f, texts, 5);
}

static void
wfix_free(struct wfix *f)
{
	world_free(f->w);
	zoneset_free(f->zs);
	diag_free(&f->d);
}

/* The addresses world mode finds for name, as "a b c". */
static void
addrs_of(const struct zoneset *zs, const char *name, char *out, size_t len)
{
	ldns_rdf *rdf = ldns_dname_new_frm_str(name);
	union qlog_addr a[8];
	size_t n, pos = 0;

	cr_assert_not_null(rdf);
	ldns_dname2canonical(rdf);
	n = world_name_addrs(zs, ldns_rdf_data(rdf), ldns_rdf_size(rdf), a, 8);
	out[0] = '\0';
	for (size_t i = 0; i < n && i < 8; i++) {
		char host[64];
		if (a[i].sa.sa_family == AF_INET)
			inet_ntop(AF_INET, &a[i].sin.sin_addr, host, sizeof(host));
		else
			inet_ntop(AF_INET6, &a[i].sin6.sin6_addr, host, sizeof(host));
		pos += (size_t)snprintf(out + pos, len - pos, "%s%s", i ? " " : "", host);
	}
	ldns_rdf_deep_free(rdf);
}

/* The zones a server serves, as "origin origin". */
static void
zones_of(const struct wfix *f, const char *host, char *out, size_t len)
{
	const struct world_server *s = world_find_host(f->w, host);
	size_t pos = 0;

	cr_assert_not_null(s, "no server at %s", host);
	out[0] = '\0';
	for (size_t i = 0; i < s->view.nzones; i++) {
		struct zone_info zi;
		zoneset_info(f->zs, s->view.zones[i], &zi);
		pos += (size_t)snprintf(out + pos, len - pos, "%s%s", i ? " " : "", zi.origin);
	}
}

Test(world, address_is_the_childs_own_record_not_the_parents_glue)
{
	struct wfix f;
	char buf[256];

	wfix_all(&f);
	addrs_of(f.zs, "ns1.kestrel.test.", buf, sizeof(buf));
	cr_assert_str_eq(buf, "127.53.10.1");
	wfix_free(&f);
}

Test(world, address_comes_from_glue_when_no_served_zone_is_authoritative)
{
	struct wfix f;
	char buf[256];

	wfix_all(&f);
	addrs_of(f.zs, "ns.nochild.test.", buf, sizeof(buf));
	cr_assert_str_eq(buf, "127.53.30.1");
	wfix_free(&f);
}

Test(world, out_of_bailiwick_name_is_resolved_in_its_own_zone)
{
	struct wfix f;
	char buf[256];

	wfix_all(&f);
	addrs_of(f.zs, "ns.lab.example.", buf, sizeof(buf));
	cr_assert_str_eq(buf, "127.53.20.1 ::1");
	zones_of(&f, "127.53.20.1", buf, sizeof(buf));
	cr_assert_str_eq(buf, "kestrel.test. lab.example. other.example.");
	wfix_free(&f);
}

Test(world, ns_name_without_address_serves_nothing_and_is_reported)
{
	struct wfix f;
	char buf[256];
	bool found = false;

	wfix_all(&f);
	addrs_of(f.zs, "ns.nowhere.example.", buf, sizeof(buf));
	cr_assert_str_eq(buf, "");
	for (size_t i = 0; i < f.d.n; i++)
		found |= strcmp(f.d.v[i].code, "ns-no-address") == 0 &&
		         strstr(f.d.v[i].msg, "ns.nowhere.example.") != NULL;
	cr_assert(found, "no ns-no-address finding for ns.nowhere.example.");
	wfix_free(&f);
}

Test(world, each_server_knows_its_names_and_zones)
{
	struct wfix f;
	char buf[256];
	const struct world_server *s;

	wfix_all(&f);
	zones_of(&f, "127.53.10.1", buf, sizeof(buf));
	cr_assert_str_eq(buf, "kestrel.test.");
	zones_of(&f, "127.53.2.1", buf, sizeof(buf));
	cr_assert_str_eq(buf, "test. tld.mxlab.");
	s = world_find_host(f.w, "127.53.10.2");
	cr_assert_not_null(s);
	cr_assert(world_server_named(s, "NS2.kestrel.test"));
	cr_assert(!world_server_named(s, "ns1.kestrel.test."));
	/* the glue address 127.53.10.9 serves nothing: the child's own record decides */
	cr_assert_null(world_find_host(f.w, "127.53.10.9"));
	wfix_free(&f);
}

Test(world, set_state_by_address_and_by_ns_name)
{
	struct wfix f;

	wfix_all(&f);
	cr_assert_eq(world_set_state(f.w, "ns.lab.example.", WORLD_SILENT), 2); /* v4 and v6 */
	cr_assert_eq(world_find_host(f.w, "::1")->state, WORLD_SILENT);
	cr_assert_eq(world_set_state(f.w, "127.53.10.1", WORLD_CLOSED), 1);
	cr_assert_eq(world_find_host(f.w, "127.53.10.1")->state, WORLD_CLOSED);
	cr_assert_eq(world_set_state(f.w, "no.such.name.", WORLD_CLOSED), 0);
	cr_assert_eq(world_state_parse("Silent"), WORLD_SILENT);
	cr_assert_eq(world_state_parse("asleep"), -1);
	wfix_free(&f);
}

/* ---- answers through views ---------------------------------------------------------------- */

struct ans {
	ldns_pkt *pkt;       /* the parsed answer */
	uint8_t wire[65536]; /* its bytes */
};

static void
ask_zs(const struct zoneset *zs, const struct view *v, const char *name, ldns_rr_type type,
       struct ans *r)
{
	ldns_pkt *qp = NULL;
	uint8_t *qw = NULL;
	size_t qlen = 0, len;
	struct msg_query q;

	cr_assert_eq(ldns_pkt_query_new_frm_str(&qp, name, type, LDNS_RR_CLASS_IN, 0),
	             LDNS_STATUS_OK);
	cr_assert_eq(ldns_pkt2wire(&qw, qp, &qlen), LDNS_STATUS_OK);
	cr_assert_eq(msg_parse_query(qw, qlen, &q), MSG_OK);
	len = answer_build_view(zs, v, &q, 512, r->wire, sizeof(r->wire), NULL);
	cr_assert_gt(len, 0);
	cr_assert_eq(ldns_wire2pkt(&r->pkt, r->wire, len), LDNS_STATUS_OK);
	free(qw);
	ldns_pkt_free(qp);
}

/* Ask the server at host as a resolver would. */
static void
ask_at(const struct wfix *f, const char *host, const char *name, ldns_rr_type type, struct ans *r)
{
	const struct world_server *s = world_find_host(f->w, host);

	cr_assert_not_null(s, "no server at %s", host);
	if (s->root)
		ask_zs(world_root(f->w), NULL, name, type, r);
	else
		ask_zs(f->zs, &s->view, name, type, r);
}

/* Section as "owner type rdata; ..." (lower case) for comparing. */
static char *
section(const ldns_rr_list *l)
{
	static char buf[4096];
	size_t pos = 0;

	buf[0] = '\0';
	for (size_t i = 0; l && i < ldns_rr_list_rr_count(l); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(l, i);
		char *o = ldns_rdf2str(ldns_rr_owner(rr));
		char *t = ldns_rr_type2str(ldns_rr_get_type(rr));
		char *d = ldns_rr_rd_count(rr) ? ldns_rdf2str(ldns_rr_rdf(rr, 0)) : strdup("");
		pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos, "%s%s %s %s", i ? "; " : "",
		                        o, t, d);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_MX) {
			char *x = ldns_rdf2str(ldns_rr_rdf(rr, 1));
			pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos, " %s", x);
			free(x);
		}
		free(o);
		free(t);
		free(d);
	}
	return buf;
}

Test(world, root_refers_to_each_top_zone_with_in_bailiwick_glue_only)
{
	struct wfix f;
	struct ans r;

	wfix_all(&f);
	ask_at(&f, "127.53.0.1", "mail.kestrel.test.", LDNS_RR_TYPE_A, &r);
	/* test. is served: the root delegates test., not kestrel.test. */
	cr_assert_eq(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NOERROR);
	cr_assert(!ldns_pkt_aa(r.pkt), "a referral is not authoritative");
	cr_assert_str_eq(section(ldns_pkt_authority(r.pkt)), "test. NS ns.tld.mxlab.");
	/* ns.tld.mxlab. is not inside test.: its address is tld.mxlab.'s glue, which the root has
	   anyway and adds as any server adds the glue it holds */
	cr_assert_str_eq(section(ldns_pkt_additional(r.pkt)), "ns.tld.mxlab. A 127.53.2.1");
	ldns_pkt_free(r.pkt);
	ask_at(&f, "127.53.0.1", "ns.lab.example.", LDNS_RR_TYPE_A, &r);
	cr_assert_str_eq(section(ldns_pkt_authority(r.pkt)), "lab.example. NS ns.lab.example.");
	cr_assert_str_eq(section(ldns_pkt_additional(r.pkt)),
	                 "ns.lab.example. A 127.53.20.1; ns.lab.example. AAAA ::1");
	ldns_pkt_free(r.pkt);
	wfix_free(&f);
}

Test(world, root_has_its_own_ns_and_names_between_are_empty_non_terminals)
{
	struct wfix f;
	struct ans r;

	wfix_all(&f);
	ask_at(&f, "127.53.0.1", ".", LDNS_RR_TYPE_NS, &r);
	cr_assert(ldns_pkt_aa(r.pkt));
	cr_assert_str_eq(section(ldns_pkt_answer(r.pkt)), ". NS a.root.mxlab.");
	cr_assert_str_eq(section(ldns_pkt_additional(r.pkt)), "a.root.mxlab. A 127.53.0.1");
	ldns_pkt_free(r.pkt);
	/* example. is between the root and the served lab.example.: NODATA, not NXDOMAIN */
	ask_at(&f, "127.53.0.1", "example.", LDNS_RR_TYPE_A, &r);
	cr_assert_eq(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NOERROR);
	cr_assert(ldns_pkt_aa(r.pkt));
	cr_assert_eq(ldns_pkt_ancount(r.pkt), 0);
	cr_assert_eq(ldns_pkt_nscount(r.pkt), 1);
	ldns_pkt_free(r.pkt);
	ask_at(&f, "127.53.0.1", "nope.invalid.", LDNS_RR_TYPE_A, &r);
	cr_assert_eq(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(r.pkt);
	wfix_free(&f);
}

Test(world, root_addresses_are_configurable_and_named_in_order)
{
	const char *const texts[] = {zone_lab};
	const char *const roots[] = {"127.53.0.1", "::1"};
	struct zoneset *zs = zoneset_new();
	struct diag d;
	struct world *w;
	char *hints = NULL;
	size_t hlen = 0;
	FILE *fp;

	diag_init(&d);
	cr_assert_eq(zoneset_add_text(zs, "lab.zone", texts[0], &d), 0);
	cr_assert_eq(zoneset_finish(zs, &d), 0);
	w = world_new(zs, roots, 2, &d);
	cr_assert_not_null(w);
	cr_assert(world_find_host(w, "::1")->root);
	cr_assert(world_server_named(world_find_host(w, "::1"), "b.root.mxlab."));
	fp = open_memstream(&hints, &hlen);
	world_write_hints(w, fp);
	fclose(fp);
	cr_assert_not_null(
	    strstr(hints, ".                        3600000      NS    a.root.mxlab.\n"));
	cr_assert_not_null(
	    strstr(hints, "a.root.mxlab.            3600000      A     127.53.0.1\n"));
	cr_assert_not_null(strstr(hints, "b.root.mxlab.            3600000      AAAA  ::1\n"));
	free(hints);
	world_free(w);
	zoneset_free(zs);
	diag_free(&d);
}

Test(world, served_root_zone_replaces_the_synthesized_one)
{
	static const char root[] = "$ORIGIN .\n$TTL 300\n"
	                           "@ SOA a.root.lab. h.lab. 1 3600 600 86400 300\n"
	                           "@ NS a.root.lab.\n"
	                           "a.root.lab. A 127.53.9.9\n"
	                           "lab.example. NS ns.lab.example.\n"
	                           "ns.lab.example. A 127.53.20.1\n";
	const char *const texts[] = {root, zone_lab};
	struct wfix f;
	struct ans r;

	wfix_load(&f, texts, 2);
	cr_assert_null(world_root(f.w));
	cr_assert_null(world_find_host(f.w, "127.53.0.1"), "no synthesized root server");
	ask_at(&f, "127.53.9.9", "ns.lab.example.", LDNS_RR_TYPE_A, &r);
	cr_assert(!ldns_pkt_aa(r.pkt));
	cr_assert_str_eq(section(ldns_pkt_authority(r.pkt)), "lab.example. NS ns.lab.example.");
	ldns_pkt_free(r.pkt);
	wfix_free(&f);
}

Test(world, a_server_answers_only_from_its_own_zones)
{
	struct wfix f;
	struct ans r;

	wfix_all(&f);
	/* a server of kestrel.test: authoritative */
	ask_at(&f, "127.53.10.2", "kestrel.test.", LDNS_RR_TYPE_MX, &r);
	cr_assert(ldns_pkt_aa(r.pkt));
	cr_assert_str_eq(section(ldns_pkt_answer(r.pkt)),
	                 "kestrel.test. MX 10 mail.kestrel.test.; kestrel.test. MX 20 "
	                 "mx.other.example.");
	/* additional data only from its own zones: mx.other.example. is not one of them */
	cr_assert_str_eq(section(ldns_pkt_additional(r.pkt)),
	                 "mail.kestrel.test. A 192.0.2.25; ns1.kestrel.test. A 127.53.10.1; "
	                 "ns2.kestrel.test. A 127.53.10.2");
	ldns_pkt_free(r.pkt);
	/* a name of a zone it does not serve: REFUSED, as a real server says */
	ask_at(&f, "127.53.10.2", "www.other.example.", LDNS_RR_TYPE_A, &r);
	cr_assert_eq(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_REFUSED);
	ldns_pkt_free(r.pkt);
	/* the parent's server refers, without AA, with its own (different) glue */
	ask_at(&f, "127.53.2.1", "mail.kestrel.test.", LDNS_RR_TYPE_A, &r);
	cr_assert(!ldns_pkt_aa(r.pkt));
	cr_assert_str_eq(section(ldns_pkt_additional(r.pkt)),
	                 "ns1.kestrel.test. A 127.53.10.9; ns2.kestrel.test. A 127.53.10.2");
	ldns_pkt_free(r.pkt);
	wfix_free(&f);
}

Test(world, cname_is_followed_only_within_the_servers_zones)
{
	struct wfix f;
	struct ans r;

	wfix_all(&f);
	ask_at(&f, "127.53.10.1", "www.kestrel.test.", LDNS_RR_TYPE_A, &r);
	cr_assert_str_eq(section(ldns_pkt_answer(r.pkt)),
	                 "www.kestrel.test. CNAME www.other.example.");
	ldns_pkt_free(r.pkt);
	/* 127.53.20.1 serves both zones: the chain goes on */
	ask_at(&f, "127.53.20.1", "www.kestrel.test.", LDNS_RR_TYPE_A, &r);
	cr_assert_str_eq(section(ldns_pkt_answer(r.pkt)),
	                 "www.kestrel.test. CNAME www.other.example.; www.other.example. A "
	                 "192.0.2.80");
	ldns_pkt_free(r.pkt);
	wfix_free(&f);
}

Test(world, child_without_delegation_does_not_exist_for_the_parents_server)
{
	/* parent.test. served at 127.53.40.1 with no NS for child.parent.test., which is served
	   elsewhere: for the parent's server the child's names do not exist */
	static const char parent[] = "$ORIGIN parent.test.\n$TTL 300\n"
	                             "@ SOA ns hostmaster 1 3600 600 86400 300\n"
	                             "@ NS ns\n"
	                             "ns A 127.53.40.1\n";
	static const char child[] = "$ORIGIN child.parent.test.\n$TTL 300\n"
	                            "@ SOA ns hostmaster 1 3600 600 86400 300\n"
	                            "@ NS ns\n"
	                            "ns A 127.53.40.2\n"
	                            "www A 192.0.2.7\n";
	const char *const texts[] = {parent, child};
	struct wfix f;
	struct ans r;

	wfix_load(&f, texts, 2);
	ask_at(&f, "127.53.40.1", "www.child.parent.test.", LDNS_RR_TYPE_A, &r);
	cr_assert_eq(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NXDOMAIN);
	cr_assert(ldns_pkt_aa(r.pkt));
	ldns_pkt_free(r.pkt);
	ask_at(&f, "127.53.40.2", "www.child.parent.test.", LDNS_RR_TYPE_A, &r);
	cr_assert_str_eq(section(ldns_pkt_answer(r.pkt)), "www.child.parent.test. A 192.0.2.7");
	ldns_pkt_free(r.pkt);
	wfix_free(&f);
}

Test(world, per_server_copy_answers_at_its_address_only)
{
	static const char stale[] = "$ORIGIN kestrel.test.\n$TTL 300\n"
	                            "@ SOA ns1 hostmaster 0 3600 600 86400 300\n"
	                            "@ NS ns1\n@ NS ns2\n"
	                            "@ MX 10 old-mail\n"
	                            "old-mail A 192.0.2.99\n";
	struct zoneset *zs = zoneset_new();
	struct diag d;
	struct world *w;
	struct wfix f;
	struct ans r;

	diag_init(&d);
	cr_assert_eq(zoneset_add_text(zs, "kestrel.zone", zone_kestrel, &d), 0);
	cr_assert_eq(zoneset_add_text(zs, "kestrel.test@127.53.10.2.zone", stale, &d), 0);
	zoneset_set_server(zs, 1, "127.53.10.2");
	cr_assert_eq(zoneset_finish(zs, &d), 0, "same origin twice is fine for a per-server copy");
	w = world_new(zs, NULL, 0, &d);
	cr_assert_not_null(w);
	f.zs = zs;
	f.w = w;
	diag_init(&f.d);
	ask_at(&f, "127.53.10.2", "kestrel.test.", LDNS_RR_TYPE_MX, &r);
	cr_assert(ldns_pkt_aa(r.pkt));
	cr_assert_str_eq(section(ldns_pkt_answer(r.pkt)),
	                 "kestrel.test. MX 10 old-mail.kestrel.test.");
	ldns_pkt_free(r.pkt);
	ask_at(&f, "127.53.10.1", "kestrel.test.", LDNS_RR_TYPE_MX, &r);
	cr_assert_str_eq(section(ldns_pkt_answer(r.pkt)),
	                 "kestrel.test. MX 10 mail.kestrel.test.; kestrel.test. MX 20 "
	                 "mx.other.example.");
	ldns_pkt_free(r.pkt);
	/* direct mode never answers from the copy */
	ask_zs(zs, NULL, "kestrel.test.", LDNS_RR_TYPE_MX, &r);
	cr_assert_eq(ldns_pkt_ancount(r.pkt), 2);
	ldns_pkt_free(r.pkt);
	diag_free(&d);
	wfix_free(&f);
}

/* ---- the answer cache in world mode: one entry per server, the state still looked at */

/* Ask host through query_process with ctx (its answer cache on); the reply in out. */
static enum query_state
ask_cached(struct query_ctx *ctx, struct query *q, const char *host, uint16_t id, uint8_t *out,
           size_t *outlen)
{
	struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons(53)};
	uint8_t pkt[512];
	size_t len = test_wire_query(pkt, "mail.kestrel.test.", LDNS_RR_TYPE_A, id, -1, 0, false);
	enum query_state st;

	cr_assert_eq(inet_pton(AF_INET, host, &local.sin_addr), 1);
	query_start(q, false, NULL, (const struct sockaddr *)&local);
	st = query_process(ctx, q, pkt, len);
	memcpy(out, q->reply, q->reply_len);
	*outlen = q->reply_len;
	return st;
}

Test(world, cached_answers_stay_each_servers_own)
{
	struct wfix f;
	struct query_ctx ctx;
	struct query *q = query_new();
	uint8_t child[2][1024], parent[2][1024], fresh[1024];
	size_t nc[2], np[2], nf;
	struct acache_stats st;
	struct ans r;

	wfix_all(&f);
	memset(&ctx, 0, sizeof(ctx));
	ctx.zs = f.zs;
	ctx.world = f.w;
	ctx.acache = acache_new();
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(ask_cached(&ctx, q, "127.53.10.2", 7, child[i], &nc[i]), QUERY_SEND);
		cr_assert_eq(ask_cached(&ctx, q, "127.53.2.1", 7, parent[i], &np[i]), QUERY_SEND);
	}
	acache_get_stats(ctx.acache, &st);
	cr_assert_eq(st.hits, 2, "the second request to each server is a copy");
	cr_assert_eq(nc[0], nc[1]);
	cr_assert_arr_eq(child[0], child[1], nc[0]);
	cr_assert_eq(np[0], np[1]);
	cr_assert_arr_eq(parent[0], parent[1], np[0]);
	cr_assert(child[1][2] & 0x04, "the child's server is authoritative");
	cr_assert_not(parent[1][2] & 0x04, "the parent's server refers");
	/* and what each copy says is what that server builds anew */
	ask_at(&f, "127.53.2.1", "mail.kestrel.test.", LDNS_RR_TYPE_A, &r);
	cr_assert_not(ldns_pkt_aa(r.pkt));
	ldns_pkt_free(r.pkt);
	/* a server made silent drops the request it answered from the cache before */
	cr_assert_eq(world_set_state(f.w, "127.53.10.2", WORLD_SILENT), 1);
	cr_assert_eq(ask_cached(&ctx, q, "127.53.10.2", 8, fresh, &nf), QUERY_DROP);
	acache_free(ctx.acache);
	query_free(q);
	wfix_free(&f);
}
