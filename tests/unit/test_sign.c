/* tests/unit/test_sign.c -- --sign: zones signed by mxlabd answer with signatures ldns verifies
   against the zone's DNSKEYs (OpenSSL's fast signatures and libdnssec's reproducible ones),
   delegations and glue stay unsigned, NSEC/NSEC3 chains deny what is not there, keys are
   reused from the key directory by both, with --sign-reproducible the same keys, data and
   time give the same bytes (without it each run signs anew), children get their DS in the
   parent. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "server/answer.h"
#include "server/msg.h"
#include "server/sign.h"
#include "server/zone.h"
#include "tests/support/support.h"

#define NOW 1780000000 /* 2026-05-28 */

static const char zone_parent[] = "$ORIGIN sg.test.\n$TTL 600\n"
                                  "@ SOA ns1 hostmaster 1 3600 900 604800 120\n"
                                  "@ NS ns1\n"
                                  "@ MX 10 mail\n"
                                  "ns1 A 192.0.2.1\n"
                                  "mail A 192.0.2.2\n"
                                  "mail AAAA 2001:db8::2\n"
                                  "*.wild TXT \"w\"\n"
                                  "a.b.ent A 192.0.2.3\n"
                                  "deleg NS ns.deleg\n"
                                  "ns.deleg A 192.0.2.4\n"
                                  "child NS ns.child\n"
                                  "ns.child A 192.0.2.5\n"
                                  "plain NS ns.plain\n"
                                  "ns.plain A 192.0.2.6\n";

static const char zone_child[] = "$ORIGIN child.sg.test.\n$TTL 300\n"
                                 "@ SOA ns hostmaster 1 3600 900 604800 60\n"
                                 "@ NS ns\nns A 192.0.2.5\nwww A 192.0.2.7\n";

static const char zone_plain[] = "$ORIGIN plain.sg.test.\n$TTL 300\n"
                                 "@ SOA ns hostmaster 1 3600 900 604800 60\n"
                                 "@ NS ns\nns A 192.0.2.6\n";

/* The three zones, signed by sg at NOW; plain.sg.test left unsigned. */
static struct zoneset *
signed_set(struct signer *sg)
{
	struct zoneset *zs = zoneset_new();
	struct diag d;

	diag_init(&d);
	cr_assert_eq(zoneset_add_text(zs, "sg.test.zone", zone_parent, &d), 0);
	cr_assert_eq(zoneset_add_text(zs, "child.zone", zone_child, &d), 0);
	cr_assert_eq(zoneset_add_text(zs, "plain.zone", zone_plain, &d), 0);
	cr_assert_eq(zoneset_finish(zs, &d), 0);
	cr_assert_eq(signer_sign(sg, zs, NOW, &d), 0, "%zu errors: %s", d.errors,
	             d.n ? d.v[0].msg : "");
	cr_assert_eq(d.errors, 0);
	diag_free(&d);
	return zs;
}

/* A signer for dir (NULL: fresh keys), signing with OpenSSL (reproducible false) or with
   libdnssec's deterministic signatures (--sign-reproducible). */
static struct signer *
new_signer_mode(const char *dir, bool nsec3, bool reproducible)
{
	char err[256];
	struct signer *sg = signer_new(dir, nsec3, err, sizeof(err));
	cr_assert_not_null(sg, "%s", err);
	signer_set_reproducible(sg, reproducible);
	cr_assert_eq(signer_skip(sg, "plain.sg.test."), 0);
	return sg;
}

static struct signer *
new_signer(const char *dir, bool nsec3)
{
	return new_signer_mode(dir, nsec3, false);
}

static ldns_pkt *
ask(struct zoneset *zs, const char *name, ldns_rr_type type)
{
	ldns_pkt *qp = NULL, *rp = NULL;
	uint8_t *qw = NULL;
	static uint8_t out[65536];
	size_t qlen = 0, len;
	struct msg_query q;

	cr_assert_eq(ldns_pkt_query_new_frm_str(&qp, name, type, LDNS_RR_CLASS_IN, 0),
	             LDNS_STATUS_OK);
	ldns_pkt_set_edns_udp_size(qp, 1232);
	ldns_pkt_set_edns_do(qp, true);
	cr_assert_eq(ldns_pkt2wire(&qw, qp, &qlen), LDNS_STATUS_OK);
	cr_assert_eq(msg_parse_query(qw, qlen, &q), MSG_OK);
	q.tcp = true;
	len = answer_build(zs, &q, 65535, out, sizeof(out), NULL);
	cr_assert_gt(len, 0);
	cr_assert_eq(ldns_wire2pkt(&rp, out, len), LDNS_STATUS_OK);
	free(qw);
	ldns_pkt_free(qp);
	return rp;
}

/* Records of type t (RRSIG: covering t) of section l with that owner. */
static ldns_rr_list *
pick(const ldns_rr_list *l, const char *owner, ldns_rr_type t, bool sigs)
{
	ldns_rr_list *out = ldns_rr_list_new();
	ldns_rdf *o = ldns_dname_new_frm_str(owner);
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		if (ldns_dname_compare(ldns_rr_owner(rr), o) != 0)
			continue;
		if (sigs ? ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG &&
		               ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) == t
		         : ldns_rr_get_type(rr) == t)
			ldns_rr_list_push_rr(out, ldns_rr_clone(rr));
	}
	ldns_rdf_deep_free(o);
	return out;
}

/* The RRset owner/t of section l is signed, and the signature verifies at NOW with the
   DNSKEYs that kzs serves for zone. */
static void
assert_verifies_keys(struct zoneset *kzs, const ldns_rr_list *l, const char *zone,
                     const char *owner, ldns_rr_type t)
{
	ldns_pkt *kp = ask(kzs, zone, LDNS_RR_TYPE_DNSKEY);
	ldns_rr_list *keys = pick(ldns_pkt_answer(kp), zone, LDNS_RR_TYPE_DNSKEY, false);
	ldns_rr_list *set = pick(l, owner, t, false), *sigs = pick(l, owner, t, true);
	ldns_rr_list *good = ldns_rr_list_new();

	cr_assert_eq(ldns_rr_list_rr_count(keys), 2, "a KSK and a ZSK");
	cr_assert_gt(ldns_rr_list_rr_count(set), 0, "%s has no %d", owner, t);
	cr_assert_eq(ldns_rr_list_rr_count(sigs), 1, "%s/%d: one RRSIG", owner, t);
	cr_assert_eq(ldns_verify_rrsig_keylist_time(set, ldns_rr_list_rr(sigs, 0), keys, NOW, good),
	             LDNS_STATUS_OK, "%s/%d does not verify", owner, t);
	ldns_rr_list_deep_free(keys);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_free(good);
	ldns_pkt_free(kp);
}

/* The same with the zone's own DNSKEYs. */
static void
assert_verifies(struct zoneset *zs, const ldns_rr_list *l, const char *zone, const char *owner,
                ldns_rr_type t)
{
	assert_verifies_keys(zs, l, zone, owner, t);
}

Test(sign, every_authoritative_rrset_verifies_with_the_zone_keys)
{
	struct signer *sg = new_signer(NULL, false);
	struct zoneset *zs = signed_set(sg);
	ldns_pkt *p = ask(zs, "sg.test.", LDNS_RR_TYPE_MX);

	assert_verifies(zs, ldns_pkt_answer(p), "sg.test.", "sg.test.", LDNS_RR_TYPE_MX);
	assert_verifies(zs, ldns_pkt_authority(p), "sg.test.", "sg.test.", LDNS_RR_TYPE_NS);
	assert_verifies(zs, ldns_pkt_additional(p), "sg.test.", "mail.sg.test.", LDNS_RR_TYPE_A);
	ldns_pkt_free(p);
	p = ask(zs, "sg.test.", LDNS_RR_TYPE_DNSKEY);
	assert_verifies(zs, ldns_pkt_answer(p), "sg.test.", "sg.test.", LDNS_RR_TYPE_DNSKEY);
	ldns_pkt_free(p);
	p = ask(zs, "x.wild.sg.test.", LDNS_RR_TYPE_TXT);
	cr_assert_eq(ldns_pkt_ancount(p), 2, "the wildcard answer and its RRSIG");
	ldns_pkt_free(p);
	p = ask(zs, "nothere.sg.test.", LDNS_RR_TYPE_A);
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_verifies(zs, ldns_pkt_authority(p), "sg.test.", "sg.test.", LDNS_RR_TYPE_SOA);
	{
		ldns_rr_list *n =
		    ldns_pkt_rr_list_by_type(p, LDNS_RR_TYPE_NSEC, LDNS_SECTION_AUTHORITY);
		ldns_rdf *q = ldns_dname_new_frm_str("nothere.sg.test."),
		         *w = ldns_dname_new_frm_str("*.sg.test.");
		bool qc = false, wc = false;
		cr_assert_not_null(n);
		for (size_t i = 0; i < ldns_rr_list_rr_count(n); i++) {
			qc |= ldns_nsec_covers_name(ldns_rr_list_rr(n, i), q);
			wc |= ldns_nsec_covers_name(ldns_rr_list_rr(n, i), w);
			char *o = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(n, i)));
			assert_verifies(zs, ldns_pkt_authority(p), "sg.test.", o,
			                LDNS_RR_TYPE_NSEC);
			free(o);
		}
		cr_assert(qc && wc, "the NSEC chain denies the name and the wildcard");
		ldns_rr_list_deep_free(n);
		ldns_rdf_deep_free(q);
		ldns_rdf_deep_free(w);
	}
	ldns_pkt_free(p);
	zoneset_free(zs);
	signer_free(sg);
}

Test(sign, validity_runs_from_an_hour_back_to_thirty_days_ahead)
{
	struct signer *sg = new_signer(NULL, false);
	struct zoneset *zs = signed_set(sg);
	ldns_pkt *p = ask(zs, "mail.sg.test.", LDNS_RR_TYPE_A);
	ldns_rr_list *s = pick(ldns_pkt_answer(p), "mail.sg.test.", LDNS_RR_TYPE_A, true);
	ldns_rr *r = ldns_rr_list_rr(s, 0);

	cr_assert_eq(ldns_rdf2native_time_t(ldns_rr_rrsig_inception(r)), NOW - 3600);
	cr_assert_eq(ldns_rdf2native_time_t(ldns_rr_rrsig_expiration(r)), NOW + 30 * 86400);
	cr_assert_eq(ldns_rdf2native_int8(ldns_rr_rrsig_algorithm(r)), 13);
	ldns_rr_list_deep_free(s);
	ldns_pkt_free(p);
	zoneset_free(zs);
	signer_free(sg);
}

Test(sign, delegations_and_glue_are_not_signed_and_children_get_a_ds)
{
	struct signer *sg = new_signer(NULL, false);
	struct zoneset *zs = signed_set(sg);
	ldns_pkt *p = ask(zs, "x.deleg.sg.test.", LDNS_RR_TYPE_A);
	ldns_rr_list *l;

	cr_assert(!ldns_pkt_aa(p));
	l = pick(ldns_pkt_authority(p), "deleg.sg.test.", LDNS_RR_TYPE_NS, true);
	cr_assert_eq(ldns_rr_list_rr_count(l), 0, "NS at a cut is not signed");
	ldns_rr_list_deep_free(l);
	l = pick(ldns_pkt_additional(p), "ns.deleg.sg.test.", LDNS_RR_TYPE_A, true);
	cr_assert_eq(ldns_rr_list_rr_count(l), 0, "glue is not signed");
	ldns_rr_list_deep_free(l);
	l = pick(ldns_pkt_authority(p), "deleg.sg.test.", LDNS_RR_TYPE_NSEC, false);
	cr_assert_eq(ldns_rr_list_rr_count(l), 1, "the NSEC proving there is no DS");
	cr_assert(!ldns_nsec_bitmap_covers_type(ldns_nsec_get_bitmap(ldns_rr_list_rr(l, 0)),
	                                        LDNS_RR_TYPE_DS));
	ldns_rr_list_deep_free(l);
	ldns_pkt_free(p);

	/* the signed child's DS is in the parent, and matches the child's KSK */
	p = ask(zs, "child.sg.test.", LDNS_RR_TYPE_DS);
	assert_verifies(zs, ldns_pkt_answer(p), "sg.test.", "child.sg.test.", LDNS_RR_TYPE_DS);
	{
		ldns_pkt *kp = ask(zs, "child.sg.test.", LDNS_RR_TYPE_DNSKEY);
		ldns_rr_list *ds =
		    pick(ldns_pkt_answer(p), "child.sg.test.", LDNS_RR_TYPE_DS, false);
		ldns_rr_list *keys =
		    pick(ldns_pkt_answer(kp), "child.sg.test.", LDNS_RR_TYPE_DNSKEY, false);
		bool match = false;
		for (size_t i = 0; i < ldns_rr_list_rr_count(keys); i++)
			match |=
			    ldns_rr_compare_ds(ldns_rr_list_rr(ds, 0), ldns_rr_list_rr(keys, i));
		cr_assert(match, "DS of the child's KSK");
		ldns_rr_list_deep_free(ds);
		ldns_rr_list_deep_free(keys);
		ldns_pkt_free(kp);
	}
	ldns_pkt_free(p);
	/* the --unsigned child: no DS, an NSEC that says so, no signatures in it */
	p = ask(zs, "plain.sg.test.", LDNS_RR_TYPE_DS);
	cr_assert_eq(ldns_pkt_ancount(p), 0);
	l = pick(ldns_pkt_authority(p), "plain.sg.test.", LDNS_RR_TYPE_NSEC, false);
	cr_assert_eq(ldns_rr_list_rr_count(l), 1);
	ldns_rr_list_deep_free(l);
	ldns_pkt_free(p);
	p = ask(zs, "ns.plain.sg.test.", LDNS_RR_TYPE_A);
	cr_assert_eq(ldns_pkt_ancount(p), 1, "unsigned: the A alone");
	ldns_pkt_free(p);
	zoneset_free(zs);
	signer_free(sg);
}

Test(sign, nsec3_has_zero_iterations_an_empty_salt_and_denies)
{
	struct signer *sg = new_signer(NULL, true);
	struct zoneset *zs = signed_set(sg);
	ldns_pkt *p = ask(zs, "sg.test.", LDNS_RR_TYPE_NSEC3PARAM);
	ldns_rr_list *l = pick(ldns_pkt_answer(p), "sg.test.", LDNS_RR_TYPE_NSEC3PARAM, false);
	char *txt;

	cr_assert_eq(ldns_rr_list_rr_count(l), 1);
	txt = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(l, 0), 2));
	cr_assert_str_eq(txt, "0", "RFC 9276: no extra iterations");
	cr_assert_eq(ldns_rdf_data(ldns_rr_rdf(ldns_rr_list_rr(l, 0), 3))[0], 0, "empty salt");
	free(txt);
	ldns_rr_list_deep_free(l);
	ldns_pkt_free(p);
	p = ask(zs, "nothere.b.ent.sg.test.", LDNS_RR_TYPE_A);
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	l = ldns_pkt_rr_list_by_type(p, LDNS_RR_TYPE_NSEC3, LDNS_SECTION_AUTHORITY);
	cr_assert_not_null(l);
	{
		/* the next closer name and the wildcard at the closest encloser are covered */
		const char *const names[] = {"nothere.b.ent.sg.test.", "*.b.ent.sg.test."};
		for (size_t k = 0; k < 2; k++) {
			ldns_rdf *nm = ldns_dname_new_frm_str(names[k]),
			         *zn = ldns_dname_new_frm_str("sg.test.");
			ldns_rdf *h = ldns_nsec3_hash_name_frm_nsec3(ldns_rr_list_rr(l, 0), nm);
			bool cov = false;
			ldns_dname_cat(h, zn);
			for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
				cov |= ldns_nsec_covers_name(ldns_rr_list_rr(l, i), h);
			cr_assert(cov, "%s covered", names[k]);
			ldns_rdf_deep_free(nm);
			ldns_rdf_deep_free(zn);
			ldns_rdf_deep_free(h);
		}
	}
	{
		ldns_rr *ce = NULL;
		ldns_rdf *b = ldns_dname_new_frm_str("b.ent.sg.test."),
		         *zone = ldns_dname_new_frm_str("sg.test.");
		ldns_rdf *h = ldns_nsec3_hash_name_frm_nsec3(ldns_rr_list_rr(l, 0), b);
		ldns_dname_cat(h, zone);
		for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
			if (ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(l, i)), h) == 0)
				ce = ldns_rr_list_rr(l, i);
		cr_assert_not_null(ce, "the empty non-terminal b.ent has its NSEC3");
		ldns_rdf_deep_free(b);
		ldns_rdf_deep_free(zone);
		ldns_rdf_deep_free(h);
	}
	ldns_rr_list_deep_free(l);
	ldns_pkt_free(p);
	zoneset_free(zs);
	signer_free(sg);
}

/* Export of the set into dir/sg.test.zone, read back. */
static char *
dump(struct zoneset *zs, const char *dir)
{
	char err[256], path[512];
	FILE *fp;
	long n;
	char *buf;

	cr_assert_eq(sign_dump_zones(zs, dir, err, sizeof(err)), 0, "%s", err);
	snprintf(path, sizeof(path), "%s/sg.test.zone", dir);
	fp = fopen(path, "r");
	cr_assert_not_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	return buf;
}

Test(sign, key_dir_keys_are_reused_and_signatures_reproducible)
{
	char dir[256], keys[300], out1[300], out2[300], out3[300];
	struct signer *a, *b, *c;
	struct zoneset *za, *zb, *zc;
	char *da, *db, *dc;

	test_tmpdir(dir, sizeof(dir));
	snprintf(keys, sizeof(keys), "%s/keys", dir);
	snprintf(out1, sizeof(out1), "%s/o1", dir);
	snprintf(out2, sizeof(out2), "%s/o2", dir);
	snprintf(out3, sizeof(out3), "%s/o3", dir);
	a = new_signer_mode(keys, false, true);
	za = signed_set(a);
	b = new_signer_mode(keys, false, true); /* a new run reading the same key directory */
	zb = signed_set(b);
	c = new_signer_mode(NULL, false, true); /* fresh keys */
	zc = signed_set(c);
	da = dump(za, out1);
	db = dump(zb, out2);
	dc = dump(zc, out3);
	cr_assert(strstr(da, "DNSKEY") != NULL && strstr(da, "RRSIG") != NULL);
	cr_assert_str_eq(da, db, "same keys, data and time: the same signed zone, byte for byte");
	cr_assert(strcmp(da, dc) != 0, "fresh keys sign differently");
	free(da);
	free(db);
	free(dc);
	zoneset_free(za);
	zoneset_free(zb);
	zoneset_free(zc);
	signer_free(a);
	signer_free(b);
	signer_free(c);
}

/* Every RRset of answers in zs that a user would look at verifies: the apex's MX, NS, SOA and
   DNSKEY, an A and an AAAA, the child's DS, and the NSEC or NSEC3 records denying a name. */
static void
assert_zone_verifies(struct zoneset *zs, bool nsec3)
{
	ldns_rr_type dt = nsec3 ? LDNS_RR_TYPE_NSEC3 : LDNS_RR_TYPE_NSEC;
	ldns_pkt *p = ask(zs, "sg.test.", LDNS_RR_TYPE_MX);
	ldns_rr_list *n;
	size_t cnt;

	assert_verifies(zs, ldns_pkt_answer(p), "sg.test.", "sg.test.", LDNS_RR_TYPE_MX);
	assert_verifies(zs, ldns_pkt_authority(p), "sg.test.", "sg.test.", LDNS_RR_TYPE_NS);
	assert_verifies(zs, ldns_pkt_additional(p), "sg.test.", "mail.sg.test.", LDNS_RR_TYPE_A);
	assert_verifies(zs, ldns_pkt_additional(p), "sg.test.", "mail.sg.test.", LDNS_RR_TYPE_AAAA);
	ldns_pkt_free(p);
	p = ask(zs, "sg.test.", LDNS_RR_TYPE_DNSKEY);
	assert_verifies(zs, ldns_pkt_answer(p), "sg.test.", "sg.test.", LDNS_RR_TYPE_DNSKEY);
	ldns_pkt_free(p);
	p = ask(zs, "child.sg.test.", LDNS_RR_TYPE_DS);
	assert_verifies(zs, ldns_pkt_answer(p), "sg.test.", "child.sg.test.", LDNS_RR_TYPE_DS);
	ldns_pkt_free(p);
	p = ask(zs, "child.sg.test.", LDNS_RR_TYPE_SOA);
	assert_verifies(zs, ldns_pkt_answer(p), "child.sg.test.", "child.sg.test.",
	                LDNS_RR_TYPE_SOA);
	ldns_pkt_free(p);
	p = ask(zs, "nothere.sg.test.", LDNS_RR_TYPE_A);
	assert_verifies(zs, ldns_pkt_authority(p), "sg.test.", "sg.test.", LDNS_RR_TYPE_SOA);
	n = ldns_pkt_rr_list_by_type(p, dt, LDNS_SECTION_AUTHORITY);
	cr_assert_not_null(n, "a denial of nothere.sg.test.");
	cnt = ldns_rr_list_rr_count(n);
	cr_assert_geq(cnt, 2, "NSEC: the name and the wildcard; NSEC3: three proofs");
	for (size_t i = 0; i < cnt; i++) {
		char *o = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(n, i)));
		assert_verifies(zs, ldns_pkt_authority(p), "sg.test.", o, dt);
		free(o);
	}
	ldns_rr_list_deep_free(n);
	ldns_pkt_free(p);
}

Test(sign, fast_and_reproducible_signatures_verify_with_nsec_and_nsec3)
{
	for (int mode = 0; mode < 4; mode++) {
		bool reproducible = mode & 1, nsec3 = mode & 2;
		struct signer *sg = new_signer_mode(NULL, nsec3, reproducible);
		struct zoneset *zs = signed_set(sg);
		assert_zone_verifies(zs, nsec3);
		zoneset_free(zs);
		signer_free(sg);
	}
}

/* The RRSIG rdata of owner/t as served by zs, in presentation form (owner "mail.sg.test."). */
static char *
rrsig_text(struct zoneset *zs, const char *owner, ldns_rr_type t)
{
	ldns_pkt *p = ask(zs, owner, t);
	ldns_rr_list *s = pick(ldns_pkt_answer(p), owner, t, true);
	char *txt;

	cr_assert_eq(ldns_rr_list_rr_count(s), 1);
	txt = ldns_rr2str(ldns_rr_list_rr(s, 0));
	ldns_rr_list_deep_free(s);
	ldns_pkt_free(p);
	return txt;
}

Test(sign, fast_signatures_differ_between_runs_and_both_verify)
{
	char dir[256], keys[300], out1[300], out2[300];
	struct signer *a, *b;
	struct zoneset *za, *zb;
	char *da, *db, *sa, *sb;

	test_tmpdir(dir, sizeof(dir));
	snprintf(keys, sizeof(keys), "%s/keys", dir);
	snprintf(out1, sizeof(out1), "%s/o1", dir);
	snprintf(out2, sizeof(out2), "%s/o2", dir);
	a = new_signer(keys, false);
	za = signed_set(a);
	b = new_signer(keys, false); /* a second run: the same keys, data and time */
	zb = signed_set(b);
	da = dump(za, out1);
	db = dump(zb, out2);
	cr_assert(strcmp(da, db) != 0, "random nonces: another run, other signatures");
	sa = rrsig_text(za, "mail.sg.test.", LDNS_RR_TYPE_A);
	sb = rrsig_text(zb, "mail.sg.test.", LDNS_RR_TYPE_A);
	cr_assert(strcmp(sa, sb) != 0, "%s\n%s", sa, sb);
	/* the same RRSIG but for the signature itself (its last field) */
	cr_assert_eq(strrchr(sa, ' ') - sa, strrchr(sb, ' ') - sb);
	cr_assert(strncmp(sa, sb, (size_t)(strrchr(sa, ' ') - sa)) == 0, "%s\n%s", sa, sb);
	assert_zone_verifies(za, false);
	assert_zone_verifies(zb, false);
	{
		/* each run's signatures verify with the other run's DNSKEYs: the same keys */
		ldns_pkt *p = ask(zb, "mail.sg.test.", LDNS_RR_TYPE_A);
		assert_verifies_keys(za, ldns_pkt_answer(p), "sg.test.", "mail.sg.test.",
		                     LDNS_RR_TYPE_A);
		ldns_pkt_free(p);
	}
	free(sa);
	free(sb);
	free(da);
	free(db);
	zoneset_free(za);
	zoneset_free(zb);
	signer_free(a);
	signer_free(b);
}

Test(sign, both_modes_use_the_same_keys_from_the_key_dir)
{
	char dir[256], keys[300];
	struct signer *a, *b;
	struct zoneset *za, *zb;
	ldns_pkt *ka, *kb, *p;
	ldns_rr_list *la, *lb;

	test_tmpdir(dir, sizeof(dir));
	snprintf(keys, sizeof(keys), "%s/keys", dir);
	a = new_signer_mode(keys, false, false); /* keys made by a fast run */
	za = signed_set(a);
	b = new_signer_mode(keys, false, true); /* reused by a --sign-reproducible one */
	zb = signed_set(b);
	ka = ask(za, "sg.test.", LDNS_RR_TYPE_DNSKEY);
	kb = ask(zb, "sg.test.", LDNS_RR_TYPE_DNSKEY);
	la = pick(ldns_pkt_answer(ka), "sg.test.", LDNS_RR_TYPE_DNSKEY, false);
	lb = pick(ldns_pkt_answer(kb), "sg.test.", LDNS_RR_TYPE_DNSKEY, false);
	ldns_rr_list_sort(la);
	ldns_rr_list_sort(lb);
	cr_assert_eq(ldns_rr_list_compare(la, lb), 0, "the same DNSKEY RRset");
	p = ask(zb, "sg.test.", LDNS_RR_TYPE_MX);
	assert_verifies_keys(za, ldns_pkt_answer(p), "sg.test.", "sg.test.", LDNS_RR_TYPE_MX);
	ldns_pkt_free(p);
	p = ask(za, "sg.test.", LDNS_RR_TYPE_MX);
	assert_verifies_keys(zb, ldns_pkt_answer(p), "sg.test.", "sg.test.", LDNS_RR_TYPE_MX);
	ldns_pkt_free(p);
	ldns_rr_list_deep_free(la);
	ldns_rr_list_deep_free(lb);
	ldns_pkt_free(ka);
	ldns_pkt_free(kb);
	zoneset_free(za);
	zoneset_free(zb);
	signer_free(a);
	signer_free(b);
}

Test(sign, trust_anchor_has_the_ds_of_top_zones_only)
{
	char dir[256], path[300], buf[4096] = "";
	struct signer *sg = new_signer(NULL, false);
	struct zoneset *zs = signed_set(sg);
	char err[256];
	FILE *fp;
	size_t n;
	ldns_rr *rr = NULL;

	test_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/ta", dir);
	cr_assert_eq(signer_write_trust_anchor(sg, zs, path, err, sizeof(err)), 0, "%s", err);
	fp = fopen(path, "r");
	cr_assert_not_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	cr_assert(strncmp(buf, "sg.test.\t", 9) == 0, "%s", buf);
	cr_assert(strchr(buf, '\n') == buf + strlen(buf) - 1, "one line: %s", buf);
	cr_assert_eq(ldns_rr_new_frm_str(&rr, buf, 0, NULL, NULL), LDNS_STATUS_OK);
	cr_assert_eq(ldns_rr_get_type(rr), LDNS_RR_TYPE_DS);
	ldns_rr_free(rr);
	zoneset_free(zs);
	signer_free(sg);
}

Test(sign, a_zone_with_a_dnskey_is_served_as_it_is)
{
	struct signer *sg = new_signer(NULL, false);
	struct zoneset *zs = zoneset_new();
	struct diag d;
	size_t before;
	struct zone_info zi;

	diag_init(&d);
	cr_assert_eq(zoneset_add_file(zs, test_src("tests/unit/data/dnssec/nsec.test.zone"), &d),
	             0);
	cr_assert_eq(zoneset_finish(zs, &d), 0);
	zoneset_info(zs, 0, &zi);
	before = zi.records;
	cr_assert_eq(signer_sign(sg, zs, NOW, &d), 0);
	zoneset_info(zs, 0, &zi);
	cr_assert_eq(zi.records, before, "pre-signed: nothing added");
	diag_free(&d);
	zoneset_free(zs);
	signer_free(sg);
}
