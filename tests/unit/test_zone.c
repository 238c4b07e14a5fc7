/* tests/unit/test_zone.c -- reading zone files into the store: origins, errors with file:line,
   structural checks, walking records, and a big zone that loads and answers. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "common/file.h"
#include "server/answer.h"
#include "server/msg.h"
#include "server/zone.h"
#include "server/zone_int.h"
#include "tests/support/support.h"

static const char good[] = "$ORIGIN example.test.\n"
                           "$TTL 300\n"
                           "@ SOA ns1 hostmaster 2024010101 3600 900 604800 60\n"
                           "@ NS ns1\n"
                           "ns1 A 192.0.2.1\n"
                           "www A 192.0.2.2\n";

/* Does d hold an entry at file:line of that severity whose message contains text? */
static bool
has_diag(const struct diag *d, enum diag_severity sev, const char *file, unsigned long line,
         const char *text)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct diag_entry *e = &d->v[i];
		if (e->severity == sev && strcmp(e->file, file) == 0 && e->line == line &&
		    strstr(e->msg, text) != NULL)
			return true;
	}
	return false;
}

static void
dump(const struct diag *d)
{
	diag_print(d, stderr);
}

/* Each test's zone set and what loading it said (fresh per test: the suite's init/fini). */
static struct zoneset *zset;
static struct diag diags;

static void
zset_init(void)
{
	zset = zoneset_new();
	diag_init(&diags);
}

static void
zset_fini(void)
{
	diag_free(&diags);
	zoneset_free(zset);
}

TestSuite(zone, .init = zset_init, .fini = zset_fini);

/* Add text to zset as file; zoneset_add_text must return want. */
static void
add(const char *file, const char *text, int want)
{
	cr_assert_eq(zoneset_add_text(zset, file, text, &diags), want, "adding %s", file);
}

/* Finish zset; zoneset_finish must return want. */
static void
finish(int want, const char *why)
{
	cr_assert_eq(zoneset_finish(zset, &diags), want, "finish: %s", why);
}

/* diags holds an entry at file:line of that severity whose message contains text (all of
   them are printed when it does not). */
static void
expect_diag(enum diag_severity sev, const char *file, unsigned long line, const char *text)
{
	if (!has_diag(&diags, sev, file, line, text))
		dump(&diags);
	cr_assert(has_diag(&diags, sev, file, line, text), "no %s at %s:%lu saying \"%s\"",
	          sev == DIAG_ERROR ? "error" : "warning", file, line, text);
}

/* The answer zs gives to name/type/IN (no EDNS): over UDP (512 bytes) or TCP (64 KiB). */
static ldns_pkt *
answer_pkt(const struct zoneset *zs, const char *name, ldns_rr_type type, bool tcp)
{
	ldns_pkt *qp = NULL, *rp = NULL;
	uint8_t *qw = NULL, *out = malloc(65535);
	size_t qlen = 0, n;
	struct msg_query q;

	cr_assert_not_null(out);
	cr_assert_eq(ldns_pkt_query_new_frm_str(&qp, name, type, LDNS_RR_CLASS_IN, 0),
	             LDNS_STATUS_OK);
	cr_assert_eq(ldns_pkt2wire(&qw, qp, &qlen), LDNS_STATUS_OK);
	cr_assert_eq(msg_parse_query(qw, qlen, &q), MSG_OK);
	q.tcp = tcp;
	n = answer_build(zs, &q, tcp ? 65535 : 512, out, 65535, NULL);
	cr_assert_gt(n, 0);
	cr_assert_eq(ldns_wire2pkt(&rp, out, n), LDNS_STATUS_OK);
	free(qw);
	free(out);
	ldns_pkt_free(qp);
	return rp;
}

/* rcode and answer count of a query answered from zs */
static int
query(const struct zoneset *zs, const char *name, ldns_rr_type type, size_t *ancount)
{
	ldns_pkt *rp = answer_pkt(zs, name, type, false);
	int rcode = ldns_pkt_get_rcode(rp);

	if (ancount)
		*ancount = ldns_pkt_ancount(rp);
	ldns_pkt_free(rp);
	return rcode;
}

Test(zone, loads_and_reports_info)
{
	struct zone_info info;

	add("example.test.zone", good, 0);
	finish(0, "good zone");
	cr_assert_eq(diags.n, 0);
	cr_assert_eq(zoneset_count(zset), 1);
	zoneset_info(zset, 0, &info);
	cr_assert_str_eq(info.origin, "example.test.");
	cr_assert_eq(info.serial, 2024010101u);
	cr_assert_eq(info.records, 4);
	cr_assert_str_eq(info.file, "example.test.zone");
}

Test(zone, origin_is_soa_owner_without_dollar_origin)
{
	struct zone_info info;
	const char *text =
	    "$TTL 60\n"
	    "www A 192.0.2.9\n" /* relative, before the SOA: still under the origin */
	    "soa.test. SOA ns1 hm 5 1 2 3 4\n"
	    "@ NS ns1\n"
	    "ns1 A 192.0.2.1\n";
	size_t an;

	add("whatever", text, 0);
	finish(0, "origin from the SOA");
	zoneset_info(zset, 0, &info);
	cr_assert_str_eq(info.origin, "soa.test.");
	cr_assert_eq(query(zset, "www.soa.test.", LDNS_RR_TYPE_A, &an), LDNS_RCODE_NOERROR);
	cr_assert_eq(an, 1);
}

Test(zone, origin_from_file_name_when_soa_owner_is_relative)
{
	struct zone_info info;
	char dir[] = "/tmp/mxlab-zone-XXXXXX", path[256];
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/rel.test.zone", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("@ 60 SOA ns1 hm 1 2 3 4 5\n@ 60 NS ns1\nns1 60 A 192.0.2.1\n", f);
	fclose(f);
	cr_assert_eq(zoneset_add_file(zset, path, &diags), 0);
	finish(0, "origin from the file name");
	zoneset_info(zset, 0, &info);
	cr_assert_str_eq(info.origin, "rel.test.");
	cr_assert_str_eq(info.file, path);
	cr_assert_eq(query(zset, "ns1.rel.test.", LDNS_RR_TYPE_A, NULL), LDNS_RCODE_NOERROR);
	unlink(path);
	rmdir(dir);
}

Test(zone, syntax_errors_name_file_and_line)
{
	const char *text = "$ORIGIN bad.test.\n"
	                   "@ SOA ns1 hm 1 2 3 4 5\n"
	                   "@ NS ns1\n"
	                   "ns1 A 192.0.2.300\n"
	                   "x MX ten mail\n";

	add("bad.zone", text, -1);
	cr_assert_geq(diags.errors, 2);
	expect_diag(DIAG_ERROR, "bad.zone", 4, "");
	expect_diag(DIAG_ERROR, "bad.zone", 5, "");
	cr_assert_eq(zoneset_count(zset), 0, "nothing added");
}

Test(zone, missing_file_is_an_error)
{
	cr_assert_eq(zoneset_add_file(zset, "/nonexistent/x.zone", &diags), -1);
	expect_diag(DIAG_ERROR, "/nonexistent/x.zone", 0, "cannot read");
}

Test(zone, cname_beside_other_data_is_an_error)
{
	add("c.zone",
	    "$ORIGIN c.test.\n"
	    "@ SOA ns1 hm 1 2 3 4 5\n"
	    "@ NS ns1\n"
	    "ns1 A 192.0.2.1\n"
	    "www A 192.0.2.2\n"
	    "www CNAME ns1\n",
	    0);
	finish(-1, "CNAME beside A");
	expect_diag(DIAG_ERROR, "c.zone", 6, "CNAME and other data at www.c.test. (A at line 5)");
}

Test(zone, cname_beside_other_data_names_the_other_type)
{
	add("cn.zone",
	    "$ORIGIN cn.test.\n"
	    "@ NS ns1\n"
	    "@ SOA ns1 hm 1 2 3 4 5\n"
	    "@ CNAME elsewhere.test.\n"
	    "ns1 A 192.0.2.1\n"
	    "x CNAME ns1\n"
	    "x TYPE65280 \\# 1 00\n",
	    0);
	finish(-1, "CNAME at the apex");
	expect_diag(DIAG_ERROR, "cn.zone", 4, "CNAME and other data at cn.test. (NS at line 2)");
	expect_diag(DIAG_ERROR, "cn.zone", 6,
	            "CNAME and other data at x.cn.test. (TYPE65280 at line 7)");
}

Test(zone, missing_soa_and_ns_are_errors)
{
	add("nosoa.zone", "$ORIGIN n.test.\n@ 60 NS ns\n", 0);
	add("nons.zone", "$ORIGIN m.test.\n@ 60 SOA ns hm 1 2 3 4 5\n", 0);
	finish(-1, "no SOA, no NS");
	expect_diag(DIAG_ERROR, "nosoa.zone", 0, "no SOA record at the zone apex n.test.");
	expect_diag(DIAG_ERROR, "nons.zone", 0, "no NS record at the zone apex m.test.");
}

Test(zone, second_soa_is_an_error)
{
	add("s.zone",
	    "$ORIGIN s.test.\n@ 60 SOA ns hm 1 2 3 4 5\n@ 60 NS ns\n"
	    "@ 60 SOA ns hm 2 2 3 4 5\nsub 60 SOA ns hm 1 2 3 4 5\n",
	    0);
	finish(-1, "two SOAs");
	expect_diag(DIAG_ERROR, "s.zone", 4, "more than one SOA");
	expect_diag(DIAG_ERROR, "s.zone", 5, "not at the zone apex");
}

Test(zone, out_of_zone_data_is_an_error)
{
	add("o.zone",
	    "$ORIGIN o.test.\n@ 60 SOA ns hm 1 2 3 4 5\n@ 60 NS ns\n"
	    "www.elsewhere.test. 60 A 192.0.2.1\n",
	    0);
	finish(-1, "out-of-zone data");
	expect_diag(DIAG_ERROR, "o.zone", 4,
	            "out-of-zone data: www.elsewhere.test. is not in zone o.test.");
}

Test(zone, duplicate_origin_is_an_error)
{
	add("one.zone", good, 0);
	add("two.zone", good, 0);
	finish(-1, "the same zone twice");
	expect_diag(DIAG_ERROR, "two.zone", 0, "duplicate zone example.test.");
}

Test(zone, missing_glue_is_a_warning)
{
	add("g.zone",
	    "$ORIGIN g.test.\n@ 60 SOA ns hm 1 2 3 4 5\n@ 60 NS ns\nns 60 A 192.0.2.1\n"
	    "child 60 NS ns.child\n"
	    "child 60 NS ns.elsewhere.test.\n",
	    0);
	finish(0, "a warning does not stop serving");
	cr_assert_eq(diags.warnings, 1);
	expect_diag(DIAG_WARNING, "g.zone", 5, "missing glue");
}

Test(zone, other_classes_are_errors)
{
	add("k.zone",
	    "$ORIGIN k.test.\n@ 60 SOA ns hm 1 2 3 4 5\n@ 60 NS ns\n"
	    "x 60 CH A 1.2.3.4\n",
	    -1);
	expect_diag(DIAG_ERROR, "k.zone", 4, "");
}

struct walk {
	size_t n;                /* records seen */
	unsigned long lines[16]; /* their lines */
	uint16_t types[16];      /* their types */
	char file[64];           /* file of the last one */
};

static void
walk_cb(const struct zone_rr *rr, void *arg)
{
	struct walk *w = arg;

	if (w->n < 16) {
		w->lines[w->n] = rr->line;
		w->types[w->n] = rr->type;
	}
	snprintf(w->file, sizeof(w->file), "%s", rr->file);
	cr_assert_eq(rr->origin[0], 7, "origin example.test.");
	w->n++;
}

Test(zone, foreach_walks_records_in_file_order)
{
	struct walk w;

	memset(&w, 0, sizeof(w));
	add("example.test.zone", good, 0);
	finish(0, "good zone");
	zoneset_foreach(zset, walk_cb, &w);
	cr_assert_eq(w.n, 4);
	cr_assert_eq(w.lines[0], 3);
	cr_assert_eq(w.types[0], 6);
	cr_assert_eq(w.lines[1], 4);
	cr_assert_eq(w.types[1], 2);
	cr_assert_eq(w.lines[3], 6);
	cr_assert_str_eq(w.file, "example.test.zone");
}

static void
find_www_cb(const struct zone_rr *rr, void *arg)
{
	int *found = arg;

	if (rr->type == 1 && memcmp(rr->owner, "\003www\007example\004test", 18) == 0) {
		cr_assert_eq(rr->rdlen, 4);
		cr_assert_eq(memcmp(rr->rdata, "\300\000\002\002", 4), 0);
		cr_assert_eq(rr->ttl, 300);
		(*found)++;
	}
}

Test(zone, walked_records_are_in_wire_form)
{
	int found = 0;

	add("example.test.zone", good, 0);
	finish(0, "good zone");
	zoneset_foreach(zset, find_www_cb, &found);
	cr_assert_eq(found, 1);
}

Test(zone, generated_100k_zone_loads_and_answers)
{
	size_t cap = 100000 * 40 + 256, len = 0, an;
	char *text = malloc(cap);

	cr_assert_not_null(text);
	len += (size_t)snprintf(text + len, cap - len,
	                        "$ORIGIN gen.test.\n$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\n"
	                        "ns A 192.0.2.1\n");
	for (int i = 0; i < 100000; i++)
		len += (size_t)snprintf(text + len, cap - len, "h%d.s%d A 10.%d.%d.%d\n", i,
		                        i % 100, (i >> 16) & 255, (i >> 8) & 255, i & 255);
	add("gen.zone", text, 0);
	finish(0, "100,000 names");
	cr_assert_eq(query(zset, "h99999.s99.gen.test.", LDNS_RR_TYPE_A, &an), LDNS_RCODE_NOERROR);
	cr_assert_eq(an, 1);
	cr_assert_eq(query(zset, "h5.s5.gen.test.", LDNS_RR_TYPE_A, &an), LDNS_RCODE_NOERROR);
	cr_assert_eq(an, 1);
	cr_assert_eq(query(zset, "h5.s6.gen.test.", LDNS_RR_TYPE_A, &an), LDNS_RCODE_NXDOMAIN);
	cr_assert_eq(query(zset, "s42.gen.test.", LDNS_RR_TYPE_A, &an), LDNS_RCODE_NOERROR,
	             "empty non-terminal");
	cr_assert_eq(an, 0);
	free(text);
}

/* Records in the answer to name/type over TCP (no size cap but 64 KiB). */
static size_t
tcp_ancount(const struct zoneset *zs, const char *name, ldns_rr_type type)
{
	ldns_pkt *rp = answer_pkt(zs, name, type, true);
	size_t an = ldns_pkt_ancount(rp);

	cr_assert(!ldns_pkt_tc(rp));
	ldns_pkt_free(rp);
	return an;
}

Test(zone, duplicate_records_are_kept_once_in_rrsets_of_any_size)
{
	size_t cap = 5000 * 32 + 512, len = 0;
	char *text = malloc(cap);

	cr_assert_not_null(text);
	len += (size_t)snprintf(text + len, cap - len,
	                        "$ORIGIN dup.test.\n$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\n"
	                        "ns A 192.0.2.1\n"
	                        "mx MX 10 Mail.dup.test.\n"
	                        "mx 600 MX 10 mail.DUP.TEST.\n"
	                        "t TXT \"x\"\nt TXT \"X\"\nt TXT \"x\"\n");
	/* 3,000 addresses, then 2,000 of them again (NSD keeps the first of identical ones) */
	for (int i = 0; i < 5000; i++)
		len += (size_t)snprintf(text + len, cap - len, "big A 10.0.%d.%d\n",
		                        (i % 3000) / 250, (i % 3000) % 250);
	add("dup.zone", text, 0);
	finish(0, "duplicates are no error");
	/* NSD says nothing about duplicates, only that one has another TTL (line 7) */
	cr_assert_eq(diags.warnings, 1);
	expect_diag(DIAG_WARNING, "dup.zone", 7,
	            "mx.dup.test. TTL 600 does not match the TTL 300 of the MX RRset");
	cr_assert_eq(tcp_ancount(zset, "big.dup.test.", LDNS_RR_TYPE_A), 3000);
	cr_assert_eq(tcp_ancount(zset, "mx.dup.test.", LDNS_RR_TYPE_MX), 1,
	             "names compare caseless");
	cr_assert_eq(tcp_ancount(zset, "t.dup.test.", LDNS_RR_TYPE_TXT), 2, "text does not");
	free(text);
}

Test(zone, dname_zone_errors_like_nsd)
{
	static const char head[] = "$ORIGIN dn.test.\n$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\n"
	                           "ns A 192.0.2.1\n";
	static const struct {
		char tail[128]; /* records after the head (line 6 on) */
		unsigned line;  /* line of the error */
		char text[64];  /* part of its message */
	} cases[] = {
	    {"x DNAME a.dn.test.\ny.x A 192.0.2.2\n", 7, "DNAME at x.dn.test. has data below it"},
	    {"x DNAME a.dn.test.\nx CNAME b.dn.test.\n", 7, "DNAME and CNAME at the same name"},
	    {"x DNAME a.dn.test.\nx DNAME b.dn.test.\n", 6, "more than one DNAME record"},
	    {"@ DNAME other.test.\n", 5, "DNAME at dn.test. has data below it (ns.dn.test.)"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct zoneset *zs = zoneset_new();
		struct diag d;
		char text[1024];

		snprintf(text, sizeof(text), "%s%s", head, cases[i].tail);
		diag_init(&d);
		cr_assert_eq(zoneset_add_text(zs, "dn.zone", text, &d), 0);
		cr_assert_neq(zoneset_finish(zs, &d), 0, "case %zu served", i);
		if (!has_diag(&d, DIAG_ERROR, "dn.zone", cases[i].line, cases[i].text))
			dump(&d);
		cr_assert(has_diag(&d, DIAG_ERROR, "dn.zone", cases[i].line, cases[i].text),
		          "case %zu", i);
		diag_free(&d);
		zoneset_free(zs);
	}
}

Test(zone, dname_alone_and_dname_beside_ns_load)
{
	add("dn.zone",
	    "$ORIGIN dn.test.\n$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\n"
	    "ns A 192.0.2.1\nx DNAME a.dn.test.\nx A 192.0.2.2\n"
	    "cut NS ns.other.test.\ncut DNAME a.dn.test.\n",
	    0);
	finish(0, "DNAME beside A and beside a cut's NS");
	cr_assert_eq(diags.errors, 0);
}

/* A zone text whose TXT records are s1..s5 and a 255-character string made of c. */
static char *
long_text_zone(void)
{
	char s255[256], s256[257], *text = malloc(8192);
	int n;

	memset(s255, 'a', 255);
	s255[255] = '\0';
	memset(s256, 'b', 256);
	s256[256] = '\0';
	cr_assert_not_null(text);
	n = snprintf(text, 8192,
	             "$ORIGIN lt.test.\n$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\n" /* 1-4 */
	             "ns A 192.0.2.1\n"                                             /* 5 */
	             "ok TXT \"%s\" \"x\" ; \"%s\"\n"                               /* 6 */
	             "gen TXT \\# 3 02 6162\n"                                      /* 7 */
	             "quoted TXT \"%s\"\n"                                          /* 8 */
	             "multi TXT ( \"x\"\n"                                          /* 9 */
	             "  \"%s\" )\n"                                                 /* 10 */
	             "bare SPF %s\n"                                                /* 11 */
	             "esc TXT \"\\\"%s\"\n",                                        /* 12 */
	             s255, s256, s256, s256, s256, s255);
	cr_assert_lt(n, 8192);
	return text;
}

Test(zone, text_strings_over_255_characters_are_errors_like_nsd)
{
	char *text = long_text_zone();

	cr_assert_neq(zoneset_add_text(zset, "lt.zone", text, &diags), 0);
	if (diags.errors != 4)
		dump(&diags);
	cr_assert_eq(diags.errors, 4, "a 255-character string, a comment and \\# data are fine");
	expect_diag(DIAG_ERROR, "lt.zone", 8, "longer than 255 characters");
	/* a multi-line record: its first line, as NSD */
	expect_diag(DIAG_ERROR, "lt.zone", 9, "longer than 255 characters");
	expect_diag(DIAG_ERROR, "lt.zone", 11, "longer than 255 characters");
	/* an escape is one character */
	expect_diag(DIAG_ERROR, "lt.zone", 12, "longer than 255 characters");
	free(text);
}

Test(zone, text_string_over_255_characters_in_an_included_file)
{
	char dir[512], zpath[600], ipath[600], s256[257];
	FILE *f;

	memset(s256, 'c', 256);
	s256[256] = '\0';
	test_tmpdir(dir, sizeof(dir));
	snprintf(zpath, sizeof(zpath), "%s/inc.test.zone", dir);
	snprintf(ipath, sizeof(ipath), "%s/part.inc", dir);
	f = fopen(ipath, "w");
	cr_assert_not_null(f);
	fprintf(f, "; included\nt TXT \"x\" \"%s\"\n", s256);
	fclose(f);
	f = fopen(zpath, "w");
	cr_assert_not_null(f);
	fprintf(f,
	        "$ORIGIN inc.test.\n$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\n"
	        "ns A 192.0.2.1\n$INCLUDE %s\n",
	        ipath);
	fclose(f);
	cr_assert_neq(zoneset_add_file(zset, zpath, &diags), 0);
	expect_diag(DIAG_ERROR, ipath, 2, "longer than 255 characters");
}

Test(zone, copy_serves_a_zone_as_read_without_reading_its_file_again)
{
	char dir[256], path[320];
	struct zoneset *copy = zoneset_new();
	struct diag d2;
	struct zone_info info;
	size_t an;

	diag_init(&d2);
	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "example.test.zone",
	           "$ORIGIN example.test.\n$TTL 300\n@ SOA ns1 hm 7 3600 900 604800 60\n"
	           "@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.2\nwww 60 A 192.0.2.3\n");
	snprintf(path, sizeof(path), "%s/example.test.zone", dir);
	cr_assert_eq(zoneset_add_file(zset, path, &diags), 0);
	finish(0, "zone with a TTL warning");
	/* broken on disk now: the copy must not look at the file */
	test_write(dir, "example.test.zone", "garbage\n");
	cr_assert_eq(zoneset_add_shared(copy, zset, 0, &d2), 0);
	zoneset_free(zset); /* the copy keeps the shared data alive */
	zset = zoneset_new();
	cr_assert_eq(zoneset_finish(copy, &d2), 0);
	cr_assert_eq(d2.errors, 0);
	cr_assert(has_diag(&d2, DIAG_WARNING, path, 7, "TTL 60 does not match"),
	          "the copy's diagnostics name the file and line it was read from");
	zoneset_info(copy, 0, &info);
	cr_assert_str_eq(info.origin, "example.test.");
	cr_assert_eq(info.serial, 7);
	cr_assert_eq(info.records, 5);
	cr_assert_str_eq(info.file, path);
	cr_assert_eq(query(copy, "www.example.test.", LDNS_RR_TYPE_A, &an), LDNS_RCODE_NOERROR);
	cr_assert_eq(an, 2);
	cr_assert_eq(query(copy, "nope.example.test.", LDNS_RR_TYPE_A, &an), LDNS_RCODE_NXDOMAIN);
	cr_assert_eq(zoneset_add_shared(copy, zset, 3, &d2), -1, "no such zone");
	cr_assert_eq(zoneset_count(copy), 1);
	diag_free(&d2);
	zoneset_free(copy);
}

/* ---- zones shared between sets (issue 12 item 10) ------------------------------------------ */

static const char other[] = "$ORIGIN other.test.\n$TTL 300\n@ SOA ns1 hm 3 3600 900 604800 60\n"
                            "@ NS ns1\nns1 A 192.0.2.9\nmail A 192.0.2.25\n";
static const char child[] = "$ORIGIN sub.example.test.\n$TTL 300\n"
                            "@ SOA ns1 hm 1 3600 900 604800 60\n@ NS ns1\nns1 A 192.0.2.7\n";

Test(zone, a_set_built_for_a_put_shares_the_other_zones_records)
{
	struct zoneset *next = zoneset_new();
	const struct zone *a, *b;
	size_t an;

	add("example.test.zone", good, 0);
	add("other.test.zone", other, 0);
	finish(0, "two zones");
	/* PUT /zones/other.test: example.test is kept, other.test comes from new text */
	cr_assert_eq(zoneset_add_shared(next, zset, 0, &diags), 0);
	cr_assert_eq(zoneset_add_text(next, "zones/other.test.",
	                              "$ORIGIN other.test.\n$TTL 300\n"
	                              "@ SOA ns1 hm 4 3600 900 604800 60\n@ NS ns1\n"
	                              "ns1 A 192.0.2.9\nmail A 192.0.2.26\n",
	                              &diags),
	             0);
	cr_assert_eq(zoneset_finish(next, &diags), 0);
	a = zset->zones[0];
	b = next->zones[0];
	cr_assert_neq(a, b, "each set has its own zone header (its index offsets)");
	cr_expect_eq(a->recs, b->recs, "the records as read are the same memory, not a copy");
	cr_expect_eq(a->arena, b->arena);
	cr_expect_eq(a->files, b->files);
	cr_expect_eq(zone_share_refs(zset, 0), 2);
	cr_expect_eq(zone_share_refs(next, 0), 2);
	cr_expect_eq(zone_share_refs(zset, 1), 1, "the replaced zone is not shared");
	cr_expect_eq(zone_share_refs(next, 1), 1, "the new zone is its set's own");
	/* the old set still answers from its own index while the new one is built and served */
	cr_expect_eq(query(zset, "www.example.test.", LDNS_RR_TYPE_A, &an), LDNS_RCODE_NOERROR);
	cr_expect_eq(an, 1);
	zoneset_free(zset); /* the loop frees the old set once the new one serves */
	zset = zoneset_new();
	cr_expect_eq(zone_share_refs(next, 0), 1, "the last holder owns the records again");
	cr_expect_eq(query(next, "www.example.test.", LDNS_RR_TYPE_A, &an), LDNS_RCODE_NOERROR);
	cr_expect_eq(an, 1);
	cr_expect_eq(query(next, "mail.other.test.", LDNS_RR_TYPE_A, &an), LDNS_RCODE_NOERROR);
	cr_expect_eq(an, 1);
	zoneset_free(next);
}

Test(zone, sets_sharing_a_zone_may_be_freed_in_any_order)
{
	struct zoneset *s2 = zoneset_new(), *s3 = zoneset_new();
	size_t an;

	add("example.test.zone", good, 0);
	finish(0, "one zone");
	cr_assert_eq(zoneset_add_shared(s2, zset, 0, &diags), 0);
	cr_assert_eq(zoneset_finish(s2, &diags), 0);
	cr_assert_eq(zoneset_add_shared(s3, s2, 0, &diags), 0);
	cr_assert_eq(zoneset_finish(s3, &diags), 0);
	cr_expect_eq(zone_share_refs(s3, 0), 3);
	zoneset_free(s2); /* the middle one first */
	cr_expect_eq(zone_share_refs(zset, 0), 2);
	cr_expect_eq(query(s3, "www.example.test.", LDNS_RR_TYPE_A, &an), LDNS_RCODE_NOERROR);
	zoneset_free(s3);
	cr_expect_eq(zone_share_refs(zset, 0), 1);
	cr_expect_eq(query(zset, "www.example.test.", LDNS_RR_TYPE_A, &an), LDNS_RCODE_NOERROR);
}

Test(zone, adding_records_to_a_shared_zone_copies_it_first)
{
	struct zoneset *next = zoneset_new();
	static const uint8_t owner[] = "\003sub\007example\004test";
	static const uint8_t ds[] = {0x12, 0x34, 13, 2, 0xaa, 0xbb, 0xcc, 0xdd};
	size_t an;
	struct zone_info before, after;

	add("example.test.zone",
	    "$ORIGIN example.test.\n$TTL 300\n@ SOA ns1 hm 1 3600 900 604800 60\n@ NS ns1\n"
	    "ns1 A 192.0.2.1\nsub NS ns1.sub\nns1.sub A 192.0.2.7\n",
	    0);
	finish(0, "a parent with a delegation");
	/* the signer adds the DS of a new signed child to the (shared) parent */
	cr_assert_eq(zoneset_add_shared(next, zset, 0, &diags), 0);
	cr_assert_eq(zoneset_add_text(next, "zones/sub.example.test.", child, &diags), 0);
	cr_assert_eq(zoneset_finish(next, &diags), 0);
	cr_assert_eq(zone_share_refs(next, 0), 2);
	zoneset_info(zset, 0, &before);
	cr_assert_eq(
	    zone_append_rr(next, 0, owner, sizeof(owner), LDNS_RR_TYPE_DS, 300, ds, sizeof(ds)), 0);
	cr_expect_neq(zset->zones[0]->recs, next->zones[0]->recs, "the changed zone is a copy");
	cr_expect_eq(zone_share_refs(zset, 0), 1);
	cr_expect_eq(zone_share_refs(next, 0), 1);
	zoneset_info(zset, 0, &after);
	cr_expect_eq(after.records, before.records, "the served set's zone is untouched");
	cr_assert_eq(zoneset_finish(next, &diags), 0);
	cr_expect_eq(query(next, "sub.example.test.", LDNS_RR_TYPE_DS, &an), LDNS_RCODE_NOERROR);
	cr_expect_eq(an, 1, "the new set has the DS");
	cr_expect_eq(query(zset, "sub.example.test.", LDNS_RR_TYPE_DS, &an), LDNS_RCODE_NOERROR);
	cr_expect_eq(an, 0, "the served set has none");
	zoneset_free(next);
}

/* ---- $INCLUDE and the files read (issue 12 items 1, 2) -------------------------------------- */

static const char inc_head[] = "$ORIGIN inc.test.\n$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\n"
                               "ns A 192.0.2.1\n";

Test(zone, include_in_zone_text_from_the_api_is_refused_and_reads_nothing)
{
	char dir[256], ipath[300], text[1024];

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "secret.inc", "secret A 192.0.2.66\n");
	snprintf(ipath, sizeof(ipath), "%s/secret.inc", dir);
	snprintf(text, sizeof(text), "%s$INCLUDE %s\n", inc_head, ipath);
	add("zones/inc.test.", text, -1);
	expect_diag(DIAG_ERROR, "zones/inc.test.", 6, "$INCLUDE is not allowed");
}

Test(zone, include_relative_to_the_including_file_still_works_from_disk)
{
	char dir[256], zpath[300], text[1024];
	struct zone_info info;

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "sub.inc", "www A 192.0.2.9\n$INCLUDE deeper.inc\n");
	test_write(dir, "deeper.inc", "mail A 192.0.2.25\n");
	snprintf(text, sizeof(text), "%s$INCLUDE sub.inc\n", inc_head);
	test_write(dir, "inc.test.zone", text);
	snprintf(zpath, sizeof(zpath), "%s/inc.test.zone", dir);
	cr_assert_eq(zoneset_add_file(zset, zpath, &diags), 0);
	finish(0, "zone with includes");
	zoneset_info(zset, 0, &info);
	cr_assert_eq(info.records, 5, "records: %zu", info.records);
}

Test(zone, include_of_a_fifo_is_refused_without_blocking, .timeout = 10)
{
	char dir[256], fifo[300], zpath[300], text[1024];

	test_tmpdir(dir, sizeof(dir));
	snprintf(fifo, sizeof(fifo), "%s/pipe.inc", dir);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	snprintf(text, sizeof(text), "%s$INCLUDE pipe.inc\n", inc_head);
	test_write(dir, "inc.test.zone", text);
	snprintf(zpath, sizeof(zpath), "%s/inc.test.zone", dir);
	cr_assert_eq(zoneset_add_file(zset, zpath, &diags), -1);
	expect_diag(DIAG_ERROR, zpath, 6, "not a regular file (a FIFO)");
}

Test(zone, include_of_a_device_is_refused)
{
	char dir[256], zpath[300], text[1024];

	test_tmpdir(dir, sizeof(dir));
	snprintf(text, sizeof(text), "%s$INCLUDE /dev/zero\n", inc_head);
	test_write(dir, "inc.test.zone", text);
	snprintf(zpath, sizeof(zpath), "%s/inc.test.zone", dir);
	cr_assert_eq(zoneset_add_file(zset, zpath, &diags), -1);
	expect_diag(DIAG_ERROR, zpath, 6, "not a regular file (a character device)");
}

Test(zone, zone_file_that_is_a_fifo_is_refused_without_blocking, .timeout = 10)
{
	char dir[256], fifo[300];

	test_tmpdir(dir, sizeof(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo.test.zone", dir);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	cr_assert_eq(zoneset_add_file(zset, fifo, &diags), -1);
	expect_diag(DIAG_ERROR, fifo, 0, "not a regular file (a FIFO)");
}

Test(zone, huge_sparse_zone_file_is_refused_before_it_is_read)
{
	char dir[256], path[300];
	FILE *f;

	test_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/big.test.zone", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert_eq(ftruncate(fileno(f), (off_t)FILE_ZONE_MAX + 1), 0);
	fclose(f);
	cr_assert_eq(zoneset_add_file(zset, path, &diags), -1);
	expect_diag(DIAG_ERROR, path, 0, "file too large");
}

/* ---- error messages (issue 12 item 14) ------------------------------------------------------ */

Test(zone, unsupported_type_error_quotes_the_type_and_every_error_is_reported)
{
	add("e.zone",
	    "$ORIGIN e.test.\n$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n"
	    "www MXX 10 mx1\nbad A 1.2.3.999\n",
	    -1);
	expect_diag(DIAG_ERROR, "e.zone", 6, "unsupported record type 'MXX'");
	expect_diag(DIAG_ERROR, "e.zone", 7, "invalid IPv4 address '1.2.3.999'");
}

Test(zone, no_zones_loaded_does_not_follow_a_real_error)
{
	add("e.zone", "$ORIGIN e.test.\n@ 300 SOA ns hm 1 2 3 4 5\nwww 300 MXX 10 mx1\n", -1);
	finish(-1, "nothing loaded");
	for (size_t i = 0; i < diags.n; i++)
		cr_expect(strstr(diags.v[i].msg, "no zones loaded") == NULL,
		          "misleading after the real error: %s", diags.v[i].msg);
}

Test(zone, no_zones_loaded_when_there_was_nothing_at_all)
{
	finish(-1, "empty");
	expect_diag(DIAG_ERROR, "", 0, "no zones loaded");
}

Test(zone, empty_set_can_be_served_when_allowed)
{
	zoneset_allow_empty(zset);
	finish(0, "allowed empty");
	cr_expect_eq(zoneset_count(zset), 0);
}

Test(zone, binary_file_is_called_binary_not_crlf)
{
	char dir[256], path[300];
	FILE *f;

	test_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/bin.zone", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fwrite("\x7f"
	       "ELF\x02\x01\x01\x00\r\n",
	       1, 10, f);
	fclose(f);
	cr_assert_eq(zoneset_add_file(zset, path, &diags), -1);
	expect_diag(DIAG_ERROR, path, 1, "a binary file, not zone file text");
}

Test(zone, a_directory_given_as_a_zone_file_says_use_z)
{
	char dir[256];

	test_tmpdir(dir, sizeof(dir));
	cr_assert_eq(zoneset_add_file(zset, dir, &diags), -1);
	expect_diag(DIAG_ERROR, dir, 0, "is a directory: use -z");
}
