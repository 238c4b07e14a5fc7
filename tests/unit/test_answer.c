/* tests/unit/test_answer.c -- answer_build/answer_empty against the rules of RFC 1034, 2308,
   4592, 6891 as NSD applies them: queries built with ldns, answers parsed with ldns. */
#include <criterion/criterion.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "server/answer.h"
#include "server/msg.h"
#include "server/zone.h"

static const char zone_example[] =
    "$ORIGIN example.test.\n"
    "$TTL 300\n"
    "@ IN SOA ns1 hostmaster 2024010101 3600 900 604800 60\n"
    "@ NS ns1\n"
    "@ NS ns2.other.test.\n"
    "@ MX 10 mail\n"
    "@ MX 20 mx.other.test.\n"
    "ns1 A 192.0.2.1\n"
    "mail A 192.0.2.10\n"
    "mail AAAA 2001:db8::10\n"
    "www CNAME mail\n"
    "loop1 CNAME loop2\n"
    "loop2 CNAME loop1\n"
    "x CNAME www.other.test.\n"
    "y CNAME nx.other.test.\n"
    "out CNAME www.elsewhere.invalid.\n"
    "a.b.c A 192.0.2.5\n"
    "*.wild A 192.0.2.99\n"
    "*.wild MX 10 mail\n"
    "sub.wild A 192.0.2.98\n"
    "*.w2 TXT \"w2\"\n"
    "a.b.w2 A 192.0.2.7\n"
    "_smtp._tcp SRV 0 5 25 mail\n"
    "deleg NS ns.deleg\n"
    "deleg NS ns.other.test.\n"
    "ns.deleg A 192.0.2.53\n"
    "sub NS ns.sub\n"
    "ns.sub A 192.0.2.54\n"
    "big TXT "
    "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n"
    "big TXT "
    "\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"\n"
    "big TXT "
    "\"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
    "ccccccccccccccccccccccccccccccccccccccccccccccccccccccc\"\n"
    "big TXT "
    "\"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
    "ddddddddddddddddddddddddddddddddddddddddddddddddddddddd\"\n";

static const char zone_other[] = "$ORIGIN other.test.\n"
                                 "$TTL 600\n"
                                 "@ IN SOA ns2 hostmaster 7 3600 900 604800 120\n"
                                 "@ NS ns2\n"
                                 "ns2 A 198.51.100.2\n"
                                 "www A 198.51.100.80\n"
                                 "mx A 198.51.100.25\n";

/* A child zone inside example.test: the deepest zone answers for its names. */
static const char zone_sub[] = "$ORIGIN sub.example.test.\n"
                               "$TTL 100\n"
                               "@ IN SOA ns hostmaster 3 3600 900 604800 30\n"
                               "@ NS ns\n"
                               "ns A 192.0.2.54\n"
                               "host A 192.0.2.80\n";

static const char zone_rev[] =
    "$ORIGIN 2.0.192.in-addr.arpa.\n"
    "$TTL 300\n"
    "@ SOA ns1.example.test. hostmaster.example.test. 1 3600 900 604800 60\n"
    "@ NS ns1.example.test.\n"
    "10 PTR mail.example.test.\n";

static struct zoneset *
load_all(void)
{
	struct zoneset *zs = zoneset_new();
	struct diag d;

	diag_init(&d);
	cr_assert_eq(zoneset_add_text(zs, "example.test.zone", zone_example, &d), 0);
	cr_assert_eq(zoneset_add_text(zs, "other.test.zone", zone_other, &d), 0);
	cr_assert_eq(zoneset_add_text(zs, "sub.example.test.zone", zone_sub, &d), 0);
	cr_assert_eq(zoneset_add_text(zs, "rev.zone", zone_rev, &d), 0);
	cr_assert_eq(zoneset_finish(zs, &d), 0, "finish: %zu errors", d.errors);
	cr_assert_eq(d.warnings, 0);
	diag_free(&d);
	return zs;
}

struct res {
	ldns_pkt *pkt;           /* parsed answer */
	struct answer_meta meta; /* what answer_build reported */
	uint8_t wire[65536];     /* the answer bytes */
	size_t len;              /* their length */
};

/* Ask zs a question as a client would (RD set), with EDNS when edns > 0. limit 0 means what
   the transport allows for UDP. */
static void
ask_full(struct zoneset *zs, const char *name, ldns_rr_type type, ldns_rr_class klass,
         uint16_t edns, bool do_bit, size_t limit, struct res *r)
{
	ldns_pkt *qp = NULL;
	uint8_t *qw = NULL;
	size_t qlen = 0;
	struct msg_query q;

	cr_assert_eq(ldns_pkt_query_new_frm_str(&qp, name, type, klass, LDNS_RD), LDNS_STATUS_OK);
	ldns_pkt_set_id(qp, 0x4242);
	if (edns) {
		ldns_pkt_set_edns_udp_size(qp, edns);
		ldns_pkt_set_edns_do(qp, do_bit);
	}
	cr_assert_eq(ldns_pkt2wire(&qw, qp, &qlen), LDNS_STATUS_OK);
	cr_assert_eq(msg_parse_query(qw, qlen, &q), MSG_OK);
	if (limit == 0)
		limit = q.edns ? (q.edns_size > 512 ? q.edns_size : 512) : 512;
	r->len = answer_build(zs, &q, limit, r->wire, sizeof(r->wire), &r->meta);
	cr_assert_gt(r->len, 0);
	cr_assert_eq(ldns_wire2pkt(&r->pkt, r->wire, r->len), LDNS_STATUS_OK);
	cr_assert_eq(ldns_pkt_id(r->pkt), 0x4242);
	cr_assert(ldns_pkt_qr(r->pkt));
	cr_assert(!ldns_pkt_ra(r->pkt), "RA is never set");
	free(qw);
	ldns_pkt_free(qp);
}

static void
res_free(struct res *r)
{
	ldns_pkt_free(r->pkt);
	r->pkt = NULL;
}

/* Does the list hold exactly this record (owner, TTL, type, rdata; names compared without
   case)? */
static bool
has_rr(const ldns_rr_list *l, const char *text)
{
	ldns_rr *want = NULL;
	char *ws;
	bool found = false;

	cr_assert_eq(ldns_rr_new_frm_str(&want, text, 0, NULL, NULL), LDNS_STATUS_OK, "%s", text);
	ws = ldns_rr2str(want);
	for (size_t i = 0; i < ldns_rr_list_rr_count(l) && !found; i++) {
		char *s = ldns_rr2str(ldns_rr_list_rr(l, i));
		found = strcasecmp(s, ws) == 0;
		free(s);
	}
	free(ws);
	ldns_rr_free(want);
	return found;
}

static size_t
count(const ldns_rr_list *l)
{
	return ldns_rr_list_rr_count(l);
}

#define AN(r) ldns_pkt_answer((r)->pkt)
#define NS(r) ldns_pkt_authority((r)->pkt)
#define AR(r) ldns_pkt_additional((r)->pkt)

/* Does the list hold this record, compared case-sensitively (rdata names included)? */
static bool
has_rr_exact(const ldns_rr_list *l, const char *text)
{
	bool found = false;

	for (size_t i = 0; i < ldns_rr_list_rr_count(l) && !found; i++) {
		char *s = ldns_rr2str(ldns_rr_list_rr(l, i));
		s[strcspn(s, "\n")] = '\0';
		for (char *t = s; *t; t++)
			if (*t == '\t')
				*t = ' ';
		found = strcmp(s, text) == 0;
		free(s);
	}
	return found;
}

/* A zoneset of one zone text, which must load and finish. */
static struct zoneset *
load_text(const char *file, const char *text)
{
	struct zoneset *zs = zoneset_new();
	struct diag d;

	diag_init(&d);
	cr_assert_eq(zoneset_add_text(zs, file, text, &d), 0, "%s", file);
	cr_assert_eq(zoneset_finish(zs, &d), 0, "%s", file);
	diag_free(&d);
	return zs;
}

#define NO_EDNS (-1) /* want.edns: no OPT in the request */

enum bit {
	BIT_ANY,   /* not checked */
	BIT_SET,   /* must be set */
	BIT_CLEAR, /* must be clear */
};

/* One question and what its answer must hold; what a row leaves out (NULL, 0) is not
   checked. Tables of these are static and looped in one test, so pointers are fine. */
struct want {
	const char *name;  /* query name */
	const char *type;  /* query type, as a zone file writes it */
	const char *rcode; /* RCODE of the answer ("NXDOMAIN") */
	enum bit aa;       /* AA bit */
	const char *count; /* records per section, e.g. "an=1 ns=2 ar=1", each one optional */
	const char *an[3]; /* records the answer section holds */
	const char *ns[2]; /* records the authority section holds */
	const char *ar[3]; /* records the additional section holds */
	const char *an0;   /* type of the first answer record */
	const char *ns0;   /* type of the first authority record */
	uint32_t ns0_ttl;  /* TTL of the first authority record */
	const char *klass; /* query class, NULL: IN */
	int edns;          /* EDNS payload size in the request, 0: 1232, NO_EDNS: none */
	bool do_bit;       /* DO bit in the request */
	size_t limit;      /* answer size limit, 0: what UDP allows */
	bool exact;        /* records compared case-sensitively, rdata names included */
	const char *why;   /* what the row shows, said when it fails */
};

static ldns_rr_type
type_of(const char *name)
{
	ldns_rr_type t = ldns_get_rr_type_by_name(name);

	cr_assert_neq(t, 0, "no type %s", name);
	return t;
}

/* Every "sec=N" of spec ("an=1 ns=0") holds for r; ctx names the row. */
static void
check_counts(const struct res *r, const char *spec, const char *ctx)
{
	char sec[3];
	size_t want;
	int used;

	for (const char *p = spec; sscanf(p, " %2[a-z]=%zu%n", sec, &want, &used) == 2; p += used) {
		const ldns_rr_list *l = strcmp(sec, "an") == 0   ? AN(r)
		                        : strcmp(sec, "ns") == 0 ? NS(r)
		                        : strcmp(sec, "ar") == 0 ? AR(r)
		                                                 : NULL;
		cr_assert_not_null(l, "%s: no section %s in \"%s\"", ctx, sec, spec);
		cr_assert_eq(count(l), want, "%s: %s count %zu, want %zu", ctx, sec, count(l),
		             want);
	}
}

/* Each record of texts (NULL ends, at most n) is in l; what names the section. */
static void
check_has(const ldns_rr_list *l, const char *const *texts, size_t n, bool exact, const char *what,
          const char *ctx)
{
	for (size_t i = 0; i < n && texts[i]; i++)
		cr_assert(exact ? has_rr_exact(l, texts[i]) : has_rr(l, texts[i]),
		          "%s: %s lacks %s", ctx, what, texts[i]);
}

/* Ask w's question of zs into r (caller frees r) and check what w says of the answer. */
static void
ask_want(struct zoneset *zs, const struct want *w, struct res *r)
{
	ldns_rr_class klass = w->klass ? ldns_get_rr_class_by_name(w->klass) : LDNS_RR_CLASS_IN;
	uint16_t edns = w->edns == NO_EDNS ? 0 : w->edns == 0 ? 1232 : (uint16_t)w->edns;
	char ctx[512];

	snprintf(ctx, sizeof(ctx), "%s %s%s%s%s%s%s", w->name, w->type, w->klass ? " " : "",
	         w->klass ? w->klass : "", w->why ? " [" : "", w->why ? w->why : "",
	         w->why ? "]" : "");
	cr_assert_neq(klass, 0, "%s: no class", ctx);
	ask_full(zs, w->name, type_of(w->type), klass, edns, w->do_bit, w->limit, r);
	if (w->rcode) {
		ldns_lookup_table *rc = ldns_lookup_by_name(ldns_rcodes, w->rcode);
		cr_assert_not_null(rc, "%s: no rcode %s", ctx, w->rcode);
		cr_assert_eq(ldns_pkt_get_rcode(r->pkt), rc->id, "%s: rcode %d, want %s", ctx,
		             ldns_pkt_get_rcode(r->pkt), w->rcode);
	}
	if (w->aa != BIT_ANY)
		cr_assert_eq(ldns_pkt_aa(r->pkt), w->aa == BIT_SET, "%s: AA %s", ctx,
		             ldns_pkt_aa(r->pkt) ? "set" : "clear");
	if (w->count)
		check_counts(r, w->count, ctx);
	check_has(AN(r), w->an, sizeof(w->an) / sizeof(w->an[0]), w->exact, "answer", ctx);
	check_has(NS(r), w->ns, sizeof(w->ns) / sizeof(w->ns[0]), w->exact, "authority", ctx);
	check_has(AR(r), w->ar, sizeof(w->ar) / sizeof(w->ar[0]), w->exact, "additional", ctx);
	if (w->an0)
		cr_assert_eq(ldns_rr_get_type(ldns_rr_list_rr(AN(r), 0)), type_of(w->an0),
		             "%s: first answer record not %s", ctx, w->an0);
	if (w->ns0)
		cr_assert_eq(ldns_rr_get_type(ldns_rr_list_rr(NS(r), 0)), type_of(w->ns0),
		             "%s: first authority record not %s", ctx, w->ns0);
	if (w->ns0_ttl)
		cr_assert_eq(ldns_rr_ttl(ldns_rr_list_rr(NS(r), 0)), w->ns0_ttl,
		             "%s: first authority record TTL %u, want %u", ctx,
		             ldns_rr_ttl(ldns_rr_list_rr(NS(r), 0)), w->ns0_ttl);
}

/* ask_want for each of the n rows, in order. */
static void
check_rows(struct zoneset *zs, const struct want *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct res r;

		ask_want(zs, &rows[i], &r);
		res_free(&r);
	}
}

/* check_rows on the example zones (load_all), loaded for these rows. */
static void
check_example(const struct want *rows, size_t n)
{
	struct zoneset *zs = load_all();

	check_rows(zs, rows, n);
	zoneset_free(zs);
}

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))

/* The SOA of example.test. as negative answers carry it: TTL min(300, minimum 60). */
#define SOA_EXAMPLE_NEG                                                                            \
	"example.test. 60 IN SOA ns1.example.test. hostmaster.example.test. 2024010101 3600 900 "  \
	"604800 60"

Test(answer, exact_match_is_authoritative_with_ns_and_glue)
{
	/* NSD puts the zone's NS in authority of positive answers, with their addresses */
	static const struct want w = {
	    "mail.example.test.",
	    "A",
	    .rcode = "NOERROR",
	    .aa = BIT_SET,
	    .count = "an=1 ns=2 ar=2",
	    .an = {"mail.example.test. 300 IN A 192.0.2.10"},
	    .ns = {"example.test. 300 IN NS ns1.example.test.",
	           "example.test. 300 IN NS ns2.other.test."},
	    .ar = {"ns1.example.test. 300 IN A 192.0.2.1", "ns2.other.test. 600 IN A 198.51.100.2"},
	};
	struct zoneset *zs = load_all();
	struct res r;

	ask_want(zs, &w, &r);
	cr_assert(ldns_pkt_rd(r.pkt), "RD copied from the request");
	cr_assert(r.meta.aa);
	cr_assert_eq(r.meta.ancount, 1);
	cr_assert_eq(r.meta.nscount, 2);
	cr_assert_eq(r.meta.arcount, 3, "ns1, ns2 of the served other.test, OPT");
	res_free(&r);
	zoneset_free(zs);
}

Test(answer, nxdomain_below_apex_carries_soa_with_negative_ttl)
{
	static const struct want w[] = {
	    {"nothing.example.test.", "A", .rcode = "NXDOMAIN", .aa = BIT_SET, .count = "an=0 ns=1",
	     .ns = {SOA_EXAMPLE_NEG}, .why = "TTL = min(SOA TTL 300, minimum 60)"},
	    {"deeper.nothing.example.test.", "MX", .rcode = "NXDOMAIN"},
	};
	struct zoneset *zs = load_all();
	struct res r;

	ask_want(zs, &w[0], &r);
	cr_assert_eq(r.meta.rcode, LDNS_RCODE_NXDOMAIN);
	res_free(&r);
	check_rows(zs, w + 1, NROWS(w) - 1);
	zoneset_free(zs);
}

Test(answer, nodata_carries_soa)
{
	static const struct want w[] = {
	    {"mail.example.test.", "TXT", .rcode = "NOERROR", .aa = BIT_SET, .count = "an=0 ns=1",
	     .ns0 = "SOA", .ns0_ttl = 60},
	};

	check_example(w, NROWS(w));
}

Test(answer, empty_non_terminal_is_nodata)
{
	static const struct want w[] = {
	    {"b.c.example.test.", "A", .rcode = "NOERROR", .count = "an=0", .ns0 = "SOA"},
	    {"c.example.test.", "A", .rcode = "NOERROR"},
	    {"a.b.c.example.test.", "A", .an = {"a.b.c.example.test. 300 IN A 192.0.2.5"}},
	};

	check_example(w, NROWS(w));
}

Test(answer, cname_chain_followed_within_zone)
{
	static const struct want w[] = {
	    {"www.example.test.", "A", .rcode = "NOERROR", .aa = BIT_SET, .count = "an=2",
	     .an = {"www.example.test. 300 IN CNAME mail.example.test.",
	            "mail.example.test. 300 IN A 192.0.2.10"},
	     .an0 = "CNAME", .why = "the CNAME comes first"},
	    {"www.example.test.", "CNAME", .count = "an=1",
	     .why = "CNAME asked for directly: not followed"},
	};

	check_example(w, NROWS(w));
}

Test(answer, cname_followed_into_other_zone)
{
	static const struct want w[] = {
	    {"x.example.test.", "A", .rcode = "NOERROR", .aa = BIT_SET,
	     .an = {"x.example.test. 300 IN CNAME www.other.test.",
	            "www.other.test. 600 IN A 198.51.100.80"},
	     .ns = {"other.test. 600 IN NS ns2.other.test."},
	     .why = "the authority is the target zone's"},
	};

	check_example(w, NROWS(w));
}

Test(answer, cname_to_missing_name_in_other_zone_is_nxdomain_with_that_soa)
{
	static const struct want w[] = {
	    {"y.example.test.", "A", .rcode = "NXDOMAIN", .count = "an=1 ns=1",
	     .an = {"y.example.test. 300 IN CNAME nx.other.test."},
	     .ns = {"other.test. 120 IN SOA ns2.other.test. hostmaster.other.test. 7 3600 900 "
	            "604800 120"}},
	};

	check_example(w, NROWS(w));
}

Test(answer, cname_loop_ends_chain_with_noerror)
{
	static const struct want w[] = {
	    {"loop1.example.test.", "A", .rcode = "NOERROR", .count = "an=2 ns=0",
	     .an = {"loop1.example.test. 300 IN CNAME loop2.example.test.",
	            "loop2.example.test. 300 IN CNAME loop1.example.test."}},
	};

	check_example(w, NROWS(w));
}

Test(answer, cname_leaving_served_zones_is_not_followed)
{
	static const struct want w[] = {
	    {"out.example.test.", "A", .rcode = "NOERROR", .aa = BIT_SET, .count = "an=1 ns=0"},
	};

	check_example(w, NROWS(w));
}

Test(answer, wildcard_synthesizes_with_query_name_as_owner)
{
	static const struct want w[] = {
	    {"foo.wild.example.test.", "MX", .rcode = "NOERROR", .aa = BIT_SET, .count = "an=1",
	     .an = {"foo.wild.example.test. 300 IN MX 10 mail.example.test."},
	     .ar = {"mail.example.test. 300 IN A 192.0.2.10"}},
	    {"a.b.foo.wild.example.test.", "A",
	     .an = {"a.b.foo.wild.example.test. 300 IN A 192.0.2.99"}},
	};

	check_example(w, NROWS(w));
}

Test(answer, wildcard_name_exists_type_does_not_is_nodata)
{
	static const struct want w[] = {
	    {"foo.wild.example.test.", "TXT", .rcode = "NOERROR", .count = "an=0", .ns0 = "SOA"},
	};

	check_example(w, NROWS(w));
}

Test(answer, wildcard_not_used_when_name_or_closer_encloser_exists)
{
	static const struct want w[] = {
	    {"sub.wild.example.test.", "MX", .rcode = "NOERROR", .count = "an=0",
	     .why = "sub.wild exists: no synthesis for it"},
	    {"a.sub.wild.example.test.", "A", .rcode = "NXDOMAIN", .why = "nor below it"},
	    {"x.b.w2.example.test.", "TXT", .rcode = "NXDOMAIN",
	     .why = "b.w2 is an empty non-terminal: it blocks *.w2 for names below it"},
	    {"b.w2.example.test.", "TXT", .rcode = "NOERROR", .count = "an=0"},
	    {"other.w2.example.test.", "TXT", .an = {"other.w2.example.test. 300 IN TXT \"w2\""}},
	};

	check_example(w, NROWS(w));
}

Test(answer, referral_below_delegation_with_glue_and_no_aa)
{
	static const struct want w[] = {
	    {"www.deleg.example.test.", "A", .rcode = "NOERROR", .aa = BIT_CLEAR,
	     .count = "an=0 ns=2 ar=1",
	     .ns = {"deleg.example.test. 300 IN NS ns.deleg.example.test.",
	            "deleg.example.test. 300 IN NS ns.other.test."},
	     .ar = {"ns.deleg.example.test. 300 IN A 192.0.2.53"}},
	    {"deleg.example.test.", "NS", .aa = BIT_CLEAR, .count = "an=0 ns=2",
	     .why = "the delegation point itself is a referral too"},
	    {"ns.deleg.example.test.", "A", .aa = BIT_CLEAR, .count = "an=0",
	     .why = "and so is its glue name"},
	};

	check_example(w, NROWS(w));
}

Test(answer, ds_at_delegation_answered_by_parent)
{
	static const struct want w[] = {
	    {"deleg.example.test.", "DS", .rcode = "NOERROR", .aa = BIT_SET,
	     .ns = {SOA_EXAMPLE_NEG}},
	    {"sub.example.test.", "DS", .aa = BIT_SET, .ns0 = "SOA",
	     .why = "DS at the apex of a served child: the served parent answers"},
	};
	struct zoneset *zs = load_all();
	struct res r;
	char *o;

	check_rows(zs, w, 1);
	ask_want(zs, &w[1], &r);
	o = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(NS(&r), 0)));
	cr_assert_str_eq(o, "example.test.");
	free(o);
	res_free(&r);
	zoneset_free(zs);
}

Test(answer, deepest_zone_wins)
{
	static const struct want w[] = {
	    {"host.sub.example.test.", "A", .aa = BIT_SET,
	     .an = {"host.sub.example.test. 100 IN A 192.0.2.80"},
	     .ns = {"sub.example.test. 100 IN NS ns.sub.example.test."},
	     .why = "child zone answers, no referral from the parent"},
	    {"sub.example.test.", "SOA",
	     .an =
	         {"sub.example.test. 100 IN SOA ns.sub.example.test. hostmaster.sub.example.test. "
	          "3 3600 900 604800 30"}},
	    {"nx.sub.example.test.", "A", .rcode = "NXDOMAIN", .ns0_ttl = 30},
	};

	check_example(w, NROWS(w));
}

Test(answer, additional_addresses_for_mx_srv_ns_targets)
{
	static const struct want w[] = {
	    {"example.test.", "MX", .count = "an=2 ar=5",
	     .ar = {"mail.example.test. 300 IN A 192.0.2.10",
	            "mail.example.test. 300 IN AAAA 2001:db8::10",
	            "mx.other.test. 600 IN A 198.51.100.25"},
	     .why = "mail (in zone) gets A and AAAA; mx.other.test is in the served other.test: "
	            "the contract adds it (NSD does not); plus ns1 and ns2.other.test"},
	    {"_smtp._tcp.example.test.", "SRV",
	     .an = {"_smtp._tcp.example.test. 300 IN SRV 0 5 25 mail.example.test."},
	     .ar = {"mail.example.test. 300 IN A 192.0.2.10",
	            "mail.example.test. 300 IN AAAA 2001:db8::10"}},
	    {"example.test.", "NS", .count = "an=2 ns=0",
	     .ar = {"ns1.example.test. 300 IN A 192.0.2.1"}, .why = "NS not repeated in authority"},
	    {"ns1.example.test.", "A", .count = "an=1 ar=1",
	     .ar = {"ns2.other.test. 600 IN A 198.51.100.2"},
	     .why = "the answer itself is not repeated in additional (only the other NS is)"},
	};
	struct zoneset *zs = load_all();
	struct res r;

	ask_want(zs, &w[0], &r);
	for (size_t i = 0; i < 4; i++)
		cr_assert_eq(ldns_rr_get_type(ldns_rr_list_rr(AR(&r), i)), LDNS_RR_TYPE_A,
		             "all A records before any AAAA");
	cr_assert_eq(ldns_rr_get_type(ldns_rr_list_rr(AR(&r), 4)), LDNS_RR_TYPE_AAAA);
	res_free(&r);
	check_rows(zs, w + 1, NROWS(w) - 1);
	zoneset_free(zs);
}

Test(answer, reverse_zone_ptr)
{
	static const struct want w[] = {
	    {"10.2.0.192.in-addr.arpa.", "PTR", .aa = BIT_SET,
	     .an = {"10.2.0.192.in-addr.arpa. 300 IN PTR mail.example.test."}},
	    {"11.2.0.192.in-addr.arpa.", "PTR", .rcode = "NXDOMAIN"},
	};

	check_example(w, NROWS(w));
}

Test(answer, names_outside_every_zone_are_refused)
{
	static const struct want w[] = {
	    {"www.nothere.test.", "A", .rcode = "REFUSED", .aa = BIT_CLEAR},
	    {"test.", "SOA", .rcode = "REFUSED"},
	};
	struct zoneset *zs = load_all();
	struct res r;

	ask_want(zs, &w[0], &r);
	cr_assert_eq(ldns_pkt_qdcount(r.pkt), 1);
	cr_assert_eq(count(AN(&r)) + count(NS(&r)), 0);
	res_free(&r);
	check_rows(zs, w + 1, NROWS(w) - 1);
	zoneset_free(zs);
}

Test(answer, class_other_than_in_is_refused)
{
	static const struct want w[] = {
	    {"example.test.", "SOA", .klass = "HS", .edns = NO_EDNS, .rcode = "REFUSED"},
	    {"example.test.", "TXT", .klass = "CH", .edns = NO_EDNS, .rcode = "REFUSED"},
	    {"version.bind.", "TXT", .klass = "CH", .edns = NO_EDNS, .rcode = "NOERROR",
	     .aa = BIT_CLEAR, .count = "an=1"},
	};
	struct zoneset *zs = load_all();
	struct res r;

	check_rows(zs, w, 2);
	ask_want(zs, &w[2], &r);
	cr_assert_eq(ldns_rr_get_class(ldns_rr_list_rr(AN(&r), 0)), LDNS_RR_CLASS_CH);
	res_free(&r);
	zoneset_free(zs);
}

Test(answer, qclass_any_answered_without_aa_like_nsd)
{
	static const struct want w[] = {
	    {"example.test.", "SOA", .klass = "ANY", .edns = NO_EDNS, .rcode = "NOERROR",
	     .aa = BIT_CLEAR, .count = "an=1 ns=0", .why = "no NS for QCLASS ANY"},
	    {"nx.example.test.", "A", .klass = "ANY", .edns = NO_EDNS, .rcode = "NXDOMAIN",
	     .count = "ns=0", .why = "no SOA for QCLASS ANY"},
	};

	check_example(w, NROWS(w));
}

Test(answer, udp_never_exceeds_our_edns_size)
{
	struct zoneset *zs;
	char text[8192];
	size_t len = 0;
	ldns_pkt *qp = NULL, *rp = NULL;
	uint8_t *qw = NULL, out[65536];
	size_t qlen, n;
	struct msg_query q;

	len += (size_t)snprintf(text, sizeof(text),
	                        "$ORIGIN h.test.\n@ 60 SOA ns hm 1 2 3 4 5\n"
	                        "@ 60 NS ns\nns 60 A 192.0.2.1\n");
	for (int i = 0; i < 20; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		                        "t 60 TXT \"%03d %0190d\"\n", i, 0);
	zs = load_text("h", text);
	cr_assert_eq(
	    ldns_pkt_query_new_frm_str(&qp, "t.h.test.", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, 0),
	    LDNS_STATUS_OK);
	ldns_pkt_set_edns_udp_size(qp, 65535);
	cr_assert_eq(ldns_pkt2wire(&qw, qp, &qlen), LDNS_STATUS_OK);
	cr_assert_eq(msg_parse_query(qw, qlen, &q), MSG_OK);
	/* over UDP the client offers 65535: NSD still stops at 1232 and sets TC */
	n = answer_build(zs, &q, q.edns_size, out, sizeof(out), NULL);
	cr_assert_leq(n, 1232);
	cr_assert_eq(ldns_wire2pkt(&rp, out, n), LDNS_STATUS_OK);
	cr_assert(ldns_pkt_tc(rp));
	cr_assert_eq(ldns_pkt_ancount(rp), 0);
	ldns_pkt_free(rp);
	/* the same request over TCP gets everything */
	q.tcp = true;
	n = answer_build(zs, &q, ANSWER_MAX, out, sizeof(out), NULL);
	cr_assert_gt(n, 4000);
	cr_assert_eq(ldns_wire2pkt(&rp, out, n), LDNS_STATUS_OK);
	cr_assert(!ldns_pkt_tc(rp));
	cr_assert_eq(ldns_pkt_ancount(rp), 20);
	ldns_pkt_free(rp);
	free(qw);
	ldns_pkt_free(qp);
	zoneset_free(zs);
}

Test(answer, any_returns_every_rrset_at_the_name)
{
	static const struct want w[] = {
	    {"example.test.", "ANY", .rcode = "NOERROR", .count = "an=5",
	     .an =
	         {"example.test. 300 IN SOA ns1.example.test. hostmaster.example.test. 2024010101 "
	          "3600 900 604800 60",
	          "example.test. 300 IN MX 20 mx.other.test."},
	     .why = "SOA, 2 NS, 2 MX"},
	    {"b.c.example.test.", "ANY", .count = "an=0", .ns0 = "SOA"},
	};

	check_example(w, NROWS(w));
}

Test(answer, opt_echoed_with_our_payload_size_and_do_bit)
{
	static const struct want w[] = {
	    {"mail.example.test.", "A", .edns = 4096, .do_bit = true},
	    {"mail.example.test.", "A", .edns = NO_EDNS},
	};
	struct zoneset *zs = load_all();
	struct res r;

	ask_want(zs, &w[0], &r);
	cr_assert(ldns_pkt_edns(r.pkt));
	cr_assert_eq(ldns_pkt_edns_udp_size(r.pkt), 1232);
	cr_assert(ldns_pkt_edns_do(r.pkt));
	cr_assert_eq(ldns_pkt_edns_version(r.pkt), 0);
	res_free(&r);
	ask_want(zs, &w[1], &r);
	cr_assert(!ldns_pkt_edns(r.pkt), "no OPT without OPT in the request");
	cr_assert_eq(r.meta.arcount, 2, "ns1 and ns2.other.test, no OPT");
	res_free(&r);
	zoneset_free(zs);
}

Test(answer, udp_512_without_edns_truncates_whole_rrset)
{
	static const struct want w[] = {
	    {"big.example.test.", "TXT", .edns = NO_EDNS, .limit = 512, .count = "an=0",
	     .why = "never half an RRset"},
	    {"big.example.test.", "TXT", .edns = 1232, .count = "an=4"},
	    {"big.example.test.", "TXT", .edns = NO_EDNS, .limit = 65535, .count = "an=4",
	     .why = "TCP: no limit to speak of"},
	};
	struct zoneset *zs = load_all();
	struct res r;

	ask_want(zs, &w[0], &r);
	cr_assert(ldns_pkt_tc(r.pkt));
	cr_assert(r.meta.tc);
	cr_assert_leq(r.len, 512);
	res_free(&r);
	ask_want(zs, &w[1], &r);
	cr_assert(!ldns_pkt_tc(r.pkt));
	cr_assert_leq(r.len, 1232);
	res_free(&r);
	ask_want(zs, &w[2], &r);
	cr_assert(!ldns_pkt_tc(r.pkt));
	res_free(&r);
	zoneset_free(zs);
}

Test(answer, optional_sections_dropped_without_tc)
{
	static const struct want w = {"x.t.test.", "TXT", .edns = NO_EDNS, .limit = 512,
	                              .count = "an=1 ns=0 ar=0"};
	const char *text = "$ORIGIN t.test.\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n"
	                   "x TXT \"%s\" \"%s\"\n";
	char a[256], b[220], zone[1024];
	struct zoneset *zs;
	struct res r;

	memset(a, 'a', 254);
	a[254] = 0;
	memset(b, 'b', 210);
	b[210] = 0;
	snprintf(zone, sizeof(zone), text, a, b);
	zs = load_text("t.test", zone);
	/* the TXT fits in 512, the NS for authority does not: left out, TC stays clear */
	ask_want(zs, &w, &r);
	cr_assert(!ldns_pkt_tc(r.pkt));
	res_free(&r);
	zoneset_free(zs);
}

Test(answer, question_case_preserved)
{
	static const struct want w = {"WwW.ExAmple.TEST.", "A", .count = "an=2"};
	struct zoneset *zs = load_all();
	struct res r;
	char *qn, *owner;

	ask_want(zs, &w, &r);
	qn = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(r.pkt), 0)));
	cr_assert_str_eq(qn, "WwW.ExAmple.TEST.");
	owner = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(AN(&r), 0)));
	cr_assert_str_eq(owner, "WwW.ExAmple.TEST.", "owner compressed to the question");
	free(qn);
	free(owner);
	res_free(&r);
	zoneset_free(zs);
}

Test(answer, names_are_compressed)
{
	/* SOA + 2 NS + glue, every name compressed: the 135 bytes NSD 4.6 sends, plus the A of
	   ns2.other.test (served here; the contract adds it) with its owner a pointer: 16 */
	static const struct want w = {"example.test.", "SOA", .edns = NO_EDNS,
	                              .count = "an=1 ns=2 ar=2"};
	struct zoneset *zs = load_all();
	struct res r;

	ask_want(zs, &w, &r);
	cr_assert_eq(r.len, 135 + 16);
	res_free(&r);
	zoneset_free(zs);
}

static struct msg_query
raw_query(const uint8_t *pkt, size_t len, enum msg_parse want)
{
	struct msg_query q;

	cr_assert_eq(msg_parse_query(pkt, len, &q), want);
	return q;
}

Test(answer, empty_answers_for_errors)
{
	struct zoneset *zs = load_all();
	uint8_t out[512];
	struct answer_meta m;
	ldns_pkt *p = NULL;
	/* opcode 2 (STATUS), RD */
	static const uint8_t notimp[] = {0x12, 0x34, 0x11, 0x00, 0,   1, 0, 0, 0, 0, 0,
	                                 0,    3,    'f',  'o',  'o', 0, 0, 1, 0, 1};
	/* EDNS version 1 */
	static const uint8_t badvers[] = {0x12, 0x34, 0x01, 0x00, 0,   1, 0, 0, 0, 0, 0,
	                                  1,    3,    'f',  'o',  'o', 0, 0, 1, 0, 1, 0,
	                                  0,    41,   0x10, 0,    0,   1, 0, 0, 0, 0};
	static const uint8_t formerr[] = {0x12, 0x34, 0x01, 0x00, 0,   2, 0, 0, 0, 0, 0,
	                                  0,    3,    'f',  'o',  'o', 0, 0, 1, 0, 1};
	struct msg_query q = raw_query(notimp, sizeof(notimp), MSG_NOTIMP);
	size_t n = answer_empty(zs, &q, LDNS_RCODE_NOTIMPL, false, false, out, sizeof(out), &m);

	cr_assert_eq(ldns_wire2pkt(&p, out, n), LDNS_STATUS_OK);
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOTIMPL);
	cr_assert_eq(ldns_pkt_get_opcode(p), LDNS_PACKET_STATUS);
	cr_assert_eq(ldns_pkt_id(p), 0x1234);
	ldns_pkt_free(p);

	q = raw_query(badvers, sizeof(badvers), MSG_BADVERS);
	n = answer_empty(zs, &q, 16, false, false, out, sizeof(out), &m);
	cr_assert_eq(ldns_wire2pkt(&p, out, n), LDNS_STATUS_OK);
	cr_assert(ldns_pkt_edns(p));
	cr_assert_eq(ldns_pkt_edns_extended_rcode(p), 1, "BADVERS = 16 = ext 1, rcode 0");
	cr_assert_eq(ldns_pkt_get_rcode(p), 0);
	cr_assert_eq(ldns_pkt_qdcount(p), 1);
	cr_assert_eq(m.rcode, 16);
	ldns_pkt_free(p);

	q = raw_query(formerr, sizeof(formerr), MSG_FORMERR);
	n = answer_empty(zs, &q, LDNS_RCODE_FORMERR, false, false, out, sizeof(out), &m);
	cr_assert_eq(n, 12);
	cr_assert_eq(out[3] & 0xf, LDNS_RCODE_FORMERR);
	cr_assert(out[2] & 0x80);
	zoneset_free(zs);
}

Test(answer, empty_nxdomain_carries_soa_and_flags)
{
	struct zoneset *zs = load_all();
	uint8_t out[512];
	struct answer_meta m;
	ldns_pkt *p = NULL;
	static const uint8_t query[] = {
	    0xab, 0xcd, 0x01, 0x00, 0,   1,   0,   0, 0,   0,   0,   0,   4, 'm', 'a', 'i', 'l', 7,
	    'e',  'x',  'a',  'm',  'p', 'l', 'e', 4, 't', 'e', 's', 't', 0, 0,   1,   0,   1};
	struct msg_query q = raw_query(query, sizeof(query), MSG_OK);
	size_t n = answer_empty(zs, &q, LDNS_RCODE_NXDOMAIN, true, false, out, sizeof(out), &m);

	cr_assert_eq(ldns_wire2pkt(&p, out, n), LDNS_STATUS_OK);
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	cr_assert(ldns_pkt_aa(p));
	cr_assert_eq(ldns_rr_list_rr_count(ldns_pkt_answer(p)), 0);
	cr_assert_eq(ldns_rr_list_rr_count(ldns_pkt_authority(p)), 1);
	cr_assert_eq(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_authority(p), 0)), LDNS_RR_TYPE_SOA);
	ldns_pkt_free(p);
	n = answer_empty(zs, &q, LDNS_RCODE_SERVFAIL, false, true, out, sizeof(out), &m);
	cr_assert_eq(ldns_wire2pkt(&p, out, n), LDNS_STATUS_OK);
	cr_assert(ldns_pkt_tc(p));
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	cr_assert_eq(ldns_pkt_ancount(p) + ldns_pkt_nscount(p) + ldns_pkt_arcount(p), 0);
	ldns_pkt_free(p);
	zoneset_free(zs);
}

Test(answer, no_zones_refuses)
{
	static const struct want w[] = {{"example.test.", "A", .rcode = "REFUSED"}};
	struct zoneset *zs = zoneset_new();

	check_rows(zs, w, NROWS(w));
	zoneset_free(zs);
}

/* Answers NSD 4.6.1 gave for these queries on this zone (captured once, byte for byte). */
static const char zone_golden[] = "$ORIGIN g.test.\n"
                                  "$TTL 300\n"
                                  "@ SOA ns1 hostmaster 42 3600 900 604800 60\n"
                                  "@ NS ns1\n"
                                  "@ NS ns2.g.test.\n"
                                  "@ MX 10 mail\n"
                                  "ns1 A 192.0.2.1\n"
                                  "ns2 AAAA 2001:db8::2\n"
                                  "mail A 192.0.2.10\n"
                                  "mail AAAA 2001:db8::10\n"
                                  "www CNAME mail\n"
                                  "*.w TXT \"wild\"\n"
                                  "deleg NS ns.deleg\n"
                                  "deleg NS ns.other.example.\n"
                                  "ns.deleg A 192.0.2.53\n"
                                  "_sip._udp SRV 1 2 5060 mail\n"
                                  "ref NS a.ref\n"
                                  "ref NS b.ref\n"
                                  "ref NS c.ref\n"
                                  "ref NS d.ref\n"
                                  "ref NS e.ref\n"
                                  "ref NS f.ref\n"
                                  "ref NS g.ref\n"
                                  "ref NS h.ref\n"
                                  "ref NS i.ref\n"
                                  "ref NS j.ref\n"
                                  "a.ref A 10.0.0.1\n"
                                  "b.ref A 10.0.0.2\n"
                                  "c.ref A 10.0.0.3\n"
                                  "d.ref A 10.0.0.4\n"
                                  "e.ref A 10.0.0.5\n"
                                  "f.ref A 10.0.0.6\n"
                                  "g.ref A 10.0.0.7\n"
                                  "h.ref A 10.0.0.8\n"
                                  "i.ref A 10.0.0.9\n"
                                  "j.ref A 10.0.0.10\n"
                                  "a.ref AAAA 2001:db8::1:1\n"
                                  "b.ref AAAA 2001:db8::1:2\n"
                                  "c.ref AAAA 2001:db8::1:3\n"
                                  "d.ref AAAA 2001:db8::1:4\n"
                                  "e.ref AAAA 2001:db8::1:5\n"
                                  "f.ref AAAA 2001:db8::1:6\n"
                                  "g.ref AAAA 2001:db8::1:7\n"
                                  "h.ref AAAA 2001:db8::1:8\n"
                                  "i.ref AAAA 2001:db8::1:9\n"
                                  "j.ref AAAA 2001:db8::1:10\n";

/* A request and the answer NSD gave to it. */
struct golden {
	const char *what;  /* name/type/edns/do */
	const char *query; /* request, hex */
	const char *nsd;   /* NSD's answer, hex */
};

static const struct golden golden[] = {
    {"www.g.test/A/0/0", "12340100000100000000000003777777016704746573740000010001",
     "12348500000100020002000203777777016704746573740000010001c00c000500010000012c0007046d6169"
     "6cc010c028000100010000012c0004c000020ac010000200010000012c0006036e7331c010c0100002000100"
     "00012c0006036e7332c010c04b000100010000012c0004c0000201c05d001c00010000012c001020010db800"
     "0000000000000000000002"},
    {"WWW.G.Test/MX/1/1",
     "123401000001000000000001035757570147045465737400000f000100002904d0000080000000",
     "123485000001000100010001035757570147045465737400000f0001c00c000500010000012c0007046d6169"
     "6cc010c010000600010000003c0027036e7331c0100a686f73746d6173746572c0100000002a00000e100000"
     "038400093a800000003c00002904d0000080000000"},
    {"nx.www2.g.test/A/1/0",
     "123401000001000000000001026e78047777773201670474657374000001000100002904d0000000000000",
     "123485030001000000010001026e780477777732016704746573740000010001c014000600010000003c0027"
     "036e7331c0140a686f73746d6173746572c0140000002a00000e100000038400093a800000003c00002904d0"
     "000000000000"},
    {"a.w.g.test/TXT/0/0", "12340100000100000000000001610177016704746573740000100001",
     "12348500000100010002000201610177016704746573740000100001c00c001000010000012c00050477696c"
     "64c010000200010000012c0006036e7331c010c010000200010000012c0006036e7332c010c0390001000100"
     "00012c0004c0000201c04b001c00010000012c001020010db8000000000000000000000002"},
    {"a.w.g.test/A/1/0",
     "1234010000010000000000010161017701670474657374000001000100002904d0000000000000",
     "12348500000100000001000101610177016704746573740000010001c010000600010000003c0027036e7331"
     "c0100a686f73746d6173746572c0100000002a00000e100000038400093a800000003c00002904d000000000"
     "0000"},
    {"x.deleg.g.test/A/0/0", "12340100000100000000000001780564656c6567016704746573740000010001",
     "12348100000100000002000101780564656c6567016704746573740000010001c00e000200010000012c0005"
     "026e73c00ec00e000200010000012c0012026e73056f74686572076578616d706c6500c02c00010001000001"
     "2c0004c0000235"},
    {"www.ref.g.test/A/0/0", "1234010000010000000000000377777703726566016704746573740000010001",
     "1234810000010000000a000f0377777703726566016704746573740000010001c010000200010000012c0004"
     "0161c010c010000200010000012c00040162c010c010000200010000012c00040163c010c010000200010000"
     "012c00040164c010c010000200010000012c00040165c010c010000200010000012c00040166c010c0100002"
     "00010000012c00040167c010c010000200010000012c00040168c010c010000200010000012c00040169c010"
     "c010000200010000012c0004016ac010c02c000100010000012c00040a000001c03c000100010000012c0004"
     "0a000002c04c000100010000012c00040a000003c05c000100010000012c00040a000004c06c000100010000"
     "012c00040a000005c07c000100010000012c00040a000006c08c000100010000012c00040a000007c09c0001"
     "00010000012c00040a000008c0ac000100010000012c00040a000009c0bc000100010000012c00040a00000a"
     "c02c001c00010000012c001020010db8000000000000000000010001c03c001c00010000012c001020010db8"
     "000000000000000000010002c04c001c00010000012c001020010db8000000000000000000010003c05c001c"
     "00010000012c001020010db8000000000000000000010004c06c001c00010000012c001020010db800000000"
     "0000000000010005"},
    {"www.ref.g.test/A/1/0",
     "123401000001000000000001037777770372656601670474657374000001000100002904d0000000000000",
     "1234810000010000000a00150377777703726566016704746573740000010001c010000200010000012c0004"
     "0161c010c010000200010000012c00040162c010c010000200010000012c00040163c010c010000200010000"
     "012c00040164c010c010000200010000012c00040165c010c010000200010000012c00040166c010c0100002"
     "00010000012c00040167c010c010000200010000012c00040168c010c010000200010000012c00040169c010"
     "c010000200010000012c0004016ac010c02c000100010000012c00040a000001c03c000100010000012c0004"
     "0a000002c04c000100010000012c00040a000003c05c000100010000012c00040a000004c06c000100010000"
     "012c00040a000005c07c000100010000012c00040a000006c08c000100010000012c00040a000007c09c0001"
     "00010000012c00040a000008c0ac000100010000012c00040a000009c0bc000100010000012c00040a00000a"
     "c02c001c00010000012c001020010db8000000000000000000010001c03c001c00010000012c001020010db8"
     "000000000000000000010002c04c001c00010000012c001020010db8000000000000000000010003c05c001c"
     "00010000012c001020010db8000000000000000000010004c06c001c00010000012c001020010db800000000"
     "0000000000010005c07c001c00010000012c001020010db8000000000000000000010006c08c001c00010000"
     "012c001020010db8000000000000000000010007c09c001c00010000012c001020010db80000000000000000"
     "00010008c0ac001c00010000012c001020010db8000000000000000000010009c0bc001c00010000012c0010"
     "20010db800000000000000000001001000002904d0000000000000"},
    {"g.test/MX/1/0", "1234010000010000000000010167047465737400000f000100002904d0000000000000",
     "1234850000010001000200050167047465737400000f0001c00c000f00010000012c0009000a046d61696cc0"
     "0cc00c000200010000012c0006036e7331c00cc00c000200010000012c0006036e7332c00cc0260001000100"
     "00012c0004c000020ac039000100010000012c0004c0000201c026001c00010000012c001020010db8000000"
     "000000000000000010c04b001c00010000012c001020010db800000000000000000000000200002904d00000"
     "00000000"},
    {"_sip._udp.g.test/SRV/0/0",
     "123401000001000000000000045f736970045f756470016704746573740000210001",
     "123485000001000100020004045f736970045f756470016704746573740000210001c00c002100010000012c"
     "00130001000213c4046d61696c0167047465737400c016000200010000012c0006036e7331c016c016000200"
     "010000012c0006036e7332c016046d61696cc016000100010000012c0004c000020ac04d000100010000012c"
     "0004c0000201c065001c00010000012c001020010db8000000000000000000000010c05f001c00010000012c"
     "001020010db8000000000000000000000002"},
    {"g.test/NS/0/0", "123401000001000000000000016704746573740000020001",
     "123485000001000200000002016704746573740000020001c00c000200010000012c0006036e7331c00cc00c"
     "000200010000012c0006036e7332c00cc024000100010000012c0004c0000201c036001c00010000012c0010"
     "20010db8000000000000000000000002"},
    {"deleg.g.test/DS/1/1",
     "1234010000010000000000010564656c65670167047465737400002b000100002904d0000080000000",
     "1234850000010000000100010564656c65670167047465737400002b0001c012000600010000003c0027036e"
     "7331c0120a686f73746d6173746572c0120000002a00000e100000038400093a800000003c00002904d00000"
     "80000000"},
};

static size_t
unhex(const char *h, uint8_t *out)
{
	size_t n = 0;

	for (; h[0] && h[1]; h += 2) {
		char b[3] = {h[0], h[1], 0};
		out[n++] = (uint8_t)strtoul(b, NULL, 16);
	}
	return n;
}

/* Each of the n requests, answered from zone text (file name file) as UDP allows, is the
   bytes NSD sent. */
static void
check_golden(const char *file, const char *text, const struct golden *rows, size_t n)
{
	struct zoneset *zs = load_text(file, text);

	for (size_t i = 0; i < n; i++) {
		uint8_t q[512], want[4096], got[4096];
		size_t ql = unhex(rows[i].query, q), wl = unhex(rows[i].nsd, want), gl;
		struct msg_query mq;

		cr_assert_eq(msg_parse_query(q, ql, &mq), MSG_OK);
		gl = answer_build(zs, &mq, mq.edns ? mq.edns_size : 512, got, sizeof(got), NULL);
		cr_assert_eq(gl, wl, "%s: %zu bytes, NSD %zu", rows[i].what, gl, wl);
		cr_assert_eq(memcmp(got, want, wl), 0, "%s: bytes differ from NSD", rows[i].what);
	}
	zoneset_free(zs);
}

Test(answer, bytes_identical_to_nsd)
{
	check_golden("g.test.zone", zone_golden, golden, NROWS(golden));
}

static const char zone_rdcase[] =
    "$ORIGIN rc.test.\n"
    "$TTL 300\n"
    "@ SOA Ns1.RC.Test. HostMaster.Rc.Test. 1 3600 900 604800 60\n"
    "@ NS NS1.rc.test.\n"
    "ns1 A 192.0.2.1\n"
    "@ MX 10 Mail.Rc.Test.\n"
    "mail A 192.0.2.2\n"
    "_sip._udp SRV 0 0 5060 SrvHost.RC.test.\n"
    "srvhost A 192.0.2.3\n"
    "rp RP Mbox.Rc.Test. Txt.Rc.Test.\n"
    "naptr NAPTR 1 1 \"S\" \"SIP+D2U\" \"\" _Sip._Udp.Rc.Test.\n"
    "sig RRSIG A 8 2 300 20300101000000 20200101000000 1 Signer.Rc.Test. AAAA\n"
    "nsec NSEC Next.Rc.Test. A NSEC\n"
    "txt TXT \"Keeps Its Case\"\n";

/* rdata field i of the first answer record, as text, is want. */
static void
check_an0_rdf(const struct res *r, size_t i, const char *want)
{
	char *s = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(AN(r), 0), i));

	cr_assert_str_eq(s, want);
	free(s);
}

Test(answer, rdata_names_go_out_lower_cased_like_nsd)
{
	/* NSD 4.6.1 normalizes every name its domain table holds, compressed or not */
	static const struct want w[] = {
	    {"rc.test.", "SOA", .exact = true,
	     .an = {"rc.test. 300 IN SOA ns1.rc.test. hostmaster.rc.test. 1 3600 900 604800 60"},
	     .ns = {"rc.test. 300 IN NS ns1.rc.test."}},
	    {"rc.test.", "MX", .exact = true, .an = {"rc.test. 300 IN MX 10 mail.rc.test."}},
	    {"_sip._udp.rc.test.", "SRV", .exact = true,
	     .an = {"_sip._udp.rc.test. 300 IN SRV 0 0 5060 srvhost.rc.test."},
	     .ar = {"srvhost.rc.test. 300 IN A 192.0.2.3"}},
	    {"rp.rc.test.", "RP", .exact = true,
	     .an = {"rp.rc.test. 300 IN RP mbox.rc.test. txt.rc.test."}},
	    {"naptr.rc.test.", "NAPTR", .exact = true,
	     .an = {"naptr.rc.test. 300 IN NAPTR 1 1 \"S\" \"SIP+D2U\" \"\" _sip._udp.rc.test."}},
	    /* literal names (RRSIG signer, NSEC next) and text keep their case */
	    {"sig.rc.test.", "RRSIG", .count = "an=1"},
	    {"nsec.rc.test.", "NSEC", .count = "an=1"},
	    {"txt.rc.test.", "TXT", .exact = true,
	     .an = {"txt.rc.test. 300 IN TXT \"Keeps Its Case\""}},
	};
	struct zoneset *zs = load_text("rc.test.zone", zone_rdcase);
	struct res r;

	check_rows(zs, w, 5);
	ask_want(zs, &w[5], &r);
	check_an0_rdf(&r, 7, "Signer.Rc.Test.");
	res_free(&r);
	ask_want(zs, &w[6], &r);
	check_an0_rdf(&r, 0, "Next.Rc.Test.");
	res_free(&r);
	check_rows(zs, w + 7, 1);
	zoneset_free(zs);
}

/* DNAME (RFC 6672): answers NSD 4.6.1 gave for this zone, captured once, byte for byte. */
static const char zone_dname[] =
    "$ORIGIN dg.test.\n"
    "$TTL 300\n"
    "@ SOA ns1 hostmaster 9 3600 900 604800 60\n"
    "@ NS ns1\n"
    "ns1 A 192.0.2.1\n"
    "red 600 DNAME target.dg.test.\n"
    "a.target A 192.0.2.10\n"
    "*.w.target A 192.0.2.12\n"
    "self DNAME x.self.dg.test.\n"
    "c CNAME a.b.red.dg.test.\n"
    "out DNAME elsewhere.invalid.\n"
    "long DNAME aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb."
    "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc.dg.test.\n";

static const struct golden golden_dname[] = {
    {"A.Red.dg.test/A/0/0", "12340100000100000000000001410352656402646704746573740000010001",
     "12348500000100030001000101410352656402646704746573740000010001c00e0027000100000258001006"
     "746172676574026467047465737400c00c0005000100000258000b016106746172676574c012c04700010001"
     "0000012c0004c000020ac012000200010000012c0006036e7331c012c06e000100010000012c0004c0000201"},
    {"x.w.red.dg.test/A/1/1",
     "12340100000100000000000101780177037265640264670474657374000001000100002904d0000080000000",
     "123485000001000300010002017801770372656402646704746573740000010001c010002700010000025800"
     "1006746172676574026467047465737400c00c0005000100000258000d0178017706746172676574c014c049"
     "000100010000012c0004c000020cc014000200010000012c0006036e7331c014c072000100010000012c0004"
     "c000020100002904d0000080000000"},
    {"nx.red.dg.test/A/1/0",
     "123401000001000000000001026e78037265640264670474657374000001000100002904d0000000000000",
     "123485030001000200010001026e780372656402646704746573740000010001c00f00270001000002580010"
     "06746172676574026467047465737400c00c0005000100000258000c026e7806746172676574c013c0130006"
     "00010000003c0027036e7331c0130a686f73746d6173746572c0130000000900000e100000038400093a8000"
     "00003c00002904d0000000000000"},
    {"red.dg.test/DNAME/0/0", "1234010000010000000000000372656402646704746573740000270001",
     "1234850000010001000100010372656402646704746573740000270001c00c00270001000002580010067461"
     "72676574026467047465737400c010000200010000012c0006036e7331c010c045000100010000012c0004c0"
     "000201"},
    {"a.red.dg.test/CNAME/0/0", "12340100000100000000000001610372656402646704746573740000050001",
     "12348500000100020000000001610372656402646704746573740000050001c00e0027000100000258001006"
     "746172676574026467047465737400c00c0005000100000258000b016106746172676574c012"},
    {"a.self.dg.test/A/0/0", "12340100000100000000000001610473656c6602646704746573740000010001",
     "12348500000100020000000001610473656c6602646704746573740000010001c00e002700010000012c0010"
     "01780473656c66026467047465737400c00c000500010000012c000601610178c00e"},
    {"c.dg.test/A/0/0", "123401000001000000000000016302646704746573740000010001",
     "123485030001000300010000016302646704746573740000010001c00c000500010000012c000a0161016203"
     "726564c00ec02b002700010000025800100674617267657402646704746573740001610162c02b0005000100"
     "000258000d0161016206746172676574c00ec00e000600010000003c0027036e7331c00e0a686f73746d6173"
     "746572c00e0000000900000e100000038400093a800000003c"},
    {"www.out.dg.test/A/0/0", "12340100000100000000000003777777036f757402646704746573740000010001",
     "12348500000100020000000003777777036f757402646704746573740000010001c010002700010000012c00"
     "1309656c7365776865726507696e76616c696400c00c000500010000012c00170377777709656c7365776865"
     "726507696e76616c696400"},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.long.dg.test/A/1/0",
     "1234010000010000000000013f6161616161616161616161616161616161616161616161616161616161616161616"
     "16161616161616161616161616161616161616161616161616161616161046c6f6e67026467047465737400000100"
     "0100002904d0000000000000",
     "1234850600010001000000013f61616161616161616161616161616161616161616161616161616161616161"
     "6161616161616161616161616161616161616161616161616161616161616161046c6f6e6702646704746573"
     "740000010001c04c002700010000012c00c93f61616161616161616161616161616161616161616161616161"
     "61616161616161616161616161616161616161616161616161616161616161616161616161613f6262626262"
     "6262626262626262626262626262626262626262626262626262626262626262626262626262626262626262"
     "62626262626262626262626262623f6363636363636363636363636363636363636363636363636363636363"
     "6363636363636363636363636363636363636363636363636363636363636363636302646704746573740000"
     "002904d0000000000026000f00220000444e414d4520657870616e73696f6e20626563616d6520746f6f206c"
     "61726765"},
};

Test(answer, dname_bytes_identical_to_nsd)
{
	check_golden("dg.test.zone", zone_dname, golden_dname, NROWS(golden_dname));
}

Test(answer, dname_redirects_names_below_with_synthesized_cname)
{
	static const struct want w[] = {
	    {"a.red.dg.test.", "A", .rcode = "NOERROR", .aa = BIT_SET, .count = "an=3",
	     .an = {"red.dg.test. 600 IN DNAME target.dg.test.",
	            "a.red.dg.test. 600 IN CNAME a.target.dg.test.",
	            "a.target.dg.test. 300 IN A 192.0.2.10"},
	     .why = "synthesized CNAME carries the DNAME's TTL"},
	    {"red.dg.test.", "A", .rcode = "NOERROR", .count = "an=0", .ns0 = "SOA",
	     .why = "the owner itself is not redirected"},
	    {"red.dg.test.", "DNAME", .count = "an=1"},
	    {"nx.red.dg.test.", "A", .rcode = "NXDOMAIN", .count = "an=2",
	     .why = "substitute missing: NXDOMAIN with the SOA after the DNAME and the CNAME"},
	    {"a.self.dg.test.", "A", .rcode = "NOERROR", .count = "an=2",
	     .an = {"a.self.dg.test. 300 IN CNAME a.x.self.dg.test."},
	     .why = "a DNAME whose target is below itself: the second expansion is a loop, the "
	            "chain ends"},
	    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.long.dg.test.", "A",
	     .rcode = "YXDOMAIN", .count = "an=1", .an0 = "DNAME",
	     .why = "too long a substitute: YXDOMAIN, the DNAME alone"},
	};
	struct zoneset *zs = load_text("dg.test.zone", zone_dname);

	check_rows(zs, w, NROWS(w));
	zoneset_free(zs);
}

Test(answer, kx_and_rt_targets_get_addresses_in_additional_like_nsd)
{
	static const struct want w[] = {
	    {"kx.kx.test.", "KX", .an = {"kx.kx.test. 3600 IN KX 10 kxhost.kx.test."},
	     .ar = {"kxhost.kx.test. 3600 IN A 192.0.2.5",
	            "kxhost.kx.test. 3600 IN AAAA 2001:db8::5"},
	     .why = "no $TTL: 3600, as NSD"},
	    {"rt.kx.test.", "RT", .ar = {"rthost.kx.test. 3600 IN A 192.0.2.6"}},
	};
	struct zoneset *zs =
	    load_text("kx.test.zone", "$ORIGIN kx.test.\n@ SOA ns1 hm 1 2 3 4 5\n@ NS ns1\n"
	                              "ns1 A 192.0.2.1\nkx KX 10 kxhost\nkxhost A 192.0.2.5\n"
	                              "kxhost AAAA 2001:db8::5\nrt RT 10 rthost\n"
	                              "rthost A 192.0.2.6\n");

	check_rows(zs, w, NROWS(w));
	zoneset_free(zs);
}

/* Additional data from other served zones (contract: "A/AAAA of MX, NS and SRV targets that
   are in served zones"), where NSD only looks in the zone being answered. */
static const char zone_alpha[] = "$ORIGIN alpha.test.\n"
                                 "$TTL 300\n"
                                 "@ SOA ns1 hm 1 3600 900 604800 60\n"
                                 "@ NS ns1\n"
                                 "ns1 A 192.0.2.1\n"
                                 "mail A 192.0.2.10\n"
                                 "mx MX 10 mail.beta.test.\n"
                                 "mx MX 20 host.cut.beta.test.\n"
                                 "mx MX 30 mail\n"
                                 "mx MX 40 any.wild.beta.test.\n"
                                 "mx MX 50 host.sub.alpha.test.\n"
                                 "srv SRV 0 0 25 mail.beta.test.\n"
                                 "inzone MX 10 mail\n"
                                 "d NS ns.beta.test.\n"
                                 "e NS ns.cut.beta.test.\n"
                                 "sub NS ns.sub\n"
                                 "ns.sub A 192.0.2.54\n";

static const char zone_beta[] = "$ORIGIN beta.test.\n"
                                "$TTL 600\n"
                                "@ SOA ns hm 1 3600 900 604800 60\n"
                                "@ NS ns\n"
                                "ns A 198.51.100.1\n"
                                "mail A 198.51.100.25\n"
                                "mail AAAA 2001:db8::25\n"
                                "cut NS ns.cut\n"
                                "ns.cut A 198.51.100.53\n"
                                "host.cut A 198.51.100.99\n"
                                "*.wild A 198.51.100.77\n";

static const char zone_alpha_sub[] = "$ORIGIN sub.alpha.test.\n"
                                     "$TTL 100\n"
                                     "@ SOA ns hm 1 3600 900 604800 60\n"
                                     "@ NS ns\n"
                                     "ns A 192.0.2.54\n"
                                     "host A 192.0.2.80\n";

static struct zoneset *
load_alpha(bool others)
{
	struct zoneset *zs = zoneset_new();
	struct diag d;

	diag_init(&d);
	cr_assert_eq(zoneset_add_text(zs, "alpha.test.zone", zone_alpha, &d), 0);
	if (others) {
		cr_assert_eq(zoneset_add_text(zs, "beta.test.zone", zone_beta, &d), 0);
		cr_assert_eq(zoneset_add_text(zs, "sub.alpha.test.zone", zone_alpha_sub, &d), 0);
	}
	cr_assert_eq(zoneset_finish(zs, &d), 0, "finish: %zu errors", d.errors);
	diag_free(&d);
	return zs;
}

Test(answer, additional_addresses_from_other_served_zones)
{
	static const struct want w[] = {
	    {"mx.alpha.test.", "MX", .aa = BIT_SET, .count = "an=5 ar=6",
	     .ar = {"mail.beta.test. 600 IN A 198.51.100.25",
	            "mail.beta.test. 600 IN AAAA 2001:db8::25",
	            "any.wild.beta.test. 600 IN A 198.51.100.77"},
	     .why = "another served zone's A/AAAA, wildcards too; not host.cut.beta.test (below "
	            "a cut of beta.test)"},
	    {"mx.alpha.test.", "MX",
	     .ar = {"mail.alpha.test. 300 IN A 192.0.2.10",
	            "host.sub.alpha.test. 100 IN A 192.0.2.80",
	            "ns1.alpha.test. 300 IN A 192.0.2.1"},
	     .why = "a child zone below our own cut answers for its names"},
	    {"srv.alpha.test.", "SRV", .count = "an=1 ar=3",
	     .ar = {"mail.beta.test. 600 IN A 198.51.100.25",
	            "mail.beta.test. 600 IN AAAA 2001:db8::25"}},
	    {"x.d.alpha.test.", "A", .aa = BIT_CLEAR, .count = "an=0 ns=1 ar=1",
	     .ar = {"ns.beta.test. 600 IN A 198.51.100.1"},
	     .why = "referral: the NS target's address from the served beta.test"},
	    {"x.e.alpha.test.", "A", .aa = BIT_CLEAR, .count = "an=0 ns=1 ar=0",
	     .why = "ns.cut.beta.test is glue in beta.test, not authoritative data"},
	};

	struct zoneset *zs = load_alpha(true);
	struct res r;

	check_rows(zs, w, NROWS(w));
	ask_want(zs, &w[0], &r);
	for (size_t i = 0; i < count(AR(&r)); i++) {
		char *o = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(AR(&r), i)));
		cr_assert(strstr(o, "cut") == NULL, "below beta.test's cut: %s", o);
		free(o);
	}
	res_free(&r);
	zoneset_free(zs);
}

Test(answer, in_zone_additional_is_unchanged_when_other_zones_are_served)
{
	static const char *const q[][2] = {
	    {"inzone.alpha.test.", "MX"},
	    {"alpha.test.", "NS"},
	    {"mail.alpha.test.", "A"},
	};
	struct zoneset *alone = load_alpha(false), *all = load_alpha(true);

	for (size_t i = 0; i < NROWS(q); i++) {
		struct want w;
		struct res a, b;
		memset(&w, 0, sizeof(w));
		w.name = q[i][0];
		w.type = q[i][1];
		ask_want(alone, &w, &a);
		ask_want(all, &w, &b);
		cr_assert_eq(a.len, b.len, "%s %s: %zu bytes alone, %zu with others", q[i][0],
		             q[i][1], a.len, b.len);
		cr_assert_eq(memcmp(a.wire, b.wire, a.len), 0, "%s %s differs", q[i][0], q[i][1]);
		res_free(&a);
		res_free(&b);
	}
	{
		/* alone, alpha.test's own data is used as before: nothing for the other zones */
		static const struct want w = {"mx.alpha.test.", "MX", .count = "an=5 ar=2",
		                              .ar = {"mail.alpha.test. 300 IN A 192.0.2.10",
		                                     "ns1.alpha.test. 300 IN A 192.0.2.1"}};
		struct res r;
		ask_want(alone, &w, &r);
		res_free(&r);
	}
	zoneset_free(alone);
	zoneset_free(all);
}
