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
	ldns_pkt *rp = NULL;
	static uint8_t out[65536];
	size_t len = test_answer_do(zs, name, type, true, out, sizeof(out));

	cr_assert_eq(ldns_wire2pkt(&rp, out, len), LDNS_STATUS_OK);
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

/* ---- the chain of trust when zones change (PUT, DELETE /zones: unchanged zones shared) --- */

/* The zones of texts (name, text pairs) added to a new set after the zones shared[] of from
   (the way a PUT or DELETE builds its set), finished and signed by sg at NOW. */
static struct zoneset *
put_set(struct signer *sg, const struct zoneset *from, const size_t *shared, size_t nshared,
        const char *name, const char *text)
{
	struct zoneset *zs = zoneset_new();
	struct diag d;

	diag_init(&d);
	for (size_t i = 0; i < nshared; i++)
		cr_assert_eq(zoneset_add_shared(zs, from, shared[i], &d), 0);
	if (text != NULL)
		cr_assert_eq(zoneset_add_text(zs, name, text, &d), 0);
	cr_assert_eq(zoneset_finish(zs, &d), 0, "%s", d.n ? d.v[0].msg : "");
	cr_assert_eq(signer_sign(sg, zs, NOW, &d), 0, "%s", d.n ? d.v[0].msg : "");
	cr_assert_eq(d.errors, 0, "%s", d.v[0].msg);
	diag_free(&d);
	return zs;
}

/* The denial record (NSEC, or the NSEC3 matching the name) that zone sg.test. of zs has for
   child.sg.test., read back from its export. */
static ldns_rr *
delegation_denial(struct zoneset *zs, bool nsec3)
{
	char dir[256], out[300], path[400], err[256];
	ldns_zone *z = NULL;
	ldns_rr *found = NULL;
	ldns_rdf *name = ldns_dname_new_frm_str("child.sg.test.");
	FILE *fp;

	test_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	cr_assert_eq(sign_dump_zones(zs, out, err, sizeof(err)), 0, "%s", err);
	snprintf(path, sizeof(path), "%s/sg.test.zone", out);
	fp = fopen(path, "r");
	cr_assert_not_null(fp);
	cr_assert_eq(ldns_zone_new_frm_fp(&z, fp, NULL, 0, LDNS_RR_CLASS_IN), LDNS_STATUS_OK);
	fclose(fp);
	for (size_t i = 0; i < ldns_rr_list_rr_count(ldns_zone_rrs(z)) && !found; i++) {
		ldns_rr *rr = ldns_rr_list_rr(ldns_zone_rrs(z), i);
		if (!nsec3 && ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC &&
		    ldns_dname_compare(ldns_rr_owner(rr), name) == 0)
			found = ldns_rr_clone(rr);
		if (nsec3 && ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC3) {
			ldns_rdf *h = ldns_nsec3_hash_name_frm_nsec3(rr, name);
			ldns_rdf *apex = ldns_dname_new_frm_str("sg.test.");
			ldns_dname_cat(h, apex);
			if (ldns_dname_compare(ldns_rr_owner(rr), h) == 0)
				found = ldns_rr_clone(rr);
			ldns_rdf_deep_free(h);
			ldns_rdf_deep_free(apex);
		}
	}
	cr_assert_not_null(found, "sg.test. has a denial record for its delegation to child");
	ldns_zone_deep_free(z);
	ldns_rdf_deep_free(name);
	return found;
}

/* child.sg.test.'s DS is served by zs, signed by sg.test.'s ZSK, is the DS of the child's KSK,
   and the delegation's NSEC or NSEC3 lists DS. */
static void
assert_child_secure(struct zoneset *zs, bool nsec3)
{
	ldns_pkt *p = ask(zs, "child.sg.test.", LDNS_RR_TYPE_DS);
	ldns_pkt *kp = ask(zs, "child.sg.test.", LDNS_RR_TYPE_DNSKEY);
	ldns_rr_list *ds = pick(ldns_pkt_answer(p), "child.sg.test.", LDNS_RR_TYPE_DS, false);
	ldns_rr_list *keys =
	    pick(ldns_pkt_answer(kp), "child.sg.test.", LDNS_RR_TYPE_DNSKEY, false);
	ldns_rr *den;
	bool match = false;

	cr_assert_eq(ldns_rr_list_rr_count(ds), 1, "the parent serves the child's DS");
	assert_verifies(zs, ldns_pkt_answer(p), "sg.test.", "child.sg.test.", LDNS_RR_TYPE_DS);
	for (size_t i = 0; i < ldns_rr_list_rr_count(keys); i++)
		match |= ldns_rr_compare_ds(ldns_rr_list_rr(ds, 0), ldns_rr_list_rr(keys, i));
	cr_assert(match, "the DS of the child's KSK");
	den = delegation_denial(zs, nsec3);
	cr_assert(ldns_nsec_bitmap_covers_type(
	              nsec3 ? ldns_nsec3_bitmap(den) : ldns_nsec_get_bitmap(den), LDNS_RR_TYPE_DS),
	          "the delegation's denial record lists DS");
	ldns_rr_free(den);
	ldns_rr_list_deep_free(ds);
	ldns_rr_list_deep_free(keys);
	ldns_pkt_free(kp);
	ldns_pkt_free(p);
}

/* No DS for child.sg.test. in zs, and the signed denial says so. */
static void
assert_no_child_ds(struct zoneset *zs, bool nsec3)
{
	ldns_pkt *p = ask(zs, "child.sg.test.", LDNS_RR_TYPE_DS);
	ldns_rr *den;

	cr_assert_eq(ldns_pkt_ancount(p), 0, "no DS for child.sg.test.");
	assert_verifies(zs, ldns_pkt_authority(p), "sg.test.", "sg.test.", LDNS_RR_TYPE_SOA);
	ldns_pkt_free(p);
	den = delegation_denial(zs, nsec3);
	cr_assert(!ldns_nsec_bitmap_covers_type(
	              nsec3 ? ldns_nsec3_bitmap(den) : ldns_nsec_get_bitmap(den), LDNS_RR_TYPE_DS),
	          "the delegation's denial record does not list DS");
	ldns_rr_free(den);
}

Test(sign, a_child_put_under_a_signed_parent_gets_its_ds_signed_in_the_parent)
{
	for (int mode = 0; mode < 4; mode++) {
		bool reproducible = mode & 1, nsec3 = mode & 2;
		struct signer *sg = new_signer_mode(NULL, nsec3, reproducible);
		static const size_t parent[] = {0};
		struct zoneset *a = put_set(sg, NULL, NULL, 0, "sg.test.zone", zone_parent);
		struct zoneset *b = put_set(sg, a, parent, 1, "zones/child.sg.test.", zone_child);

		assert_child_secure(b, nsec3);
		assert_zone_verifies(b, nsec3);
		/* the set served before is as it was (the parent's records were copied) */
		assert_no_child_ds(a, nsec3);
		zoneset_free(b);
		zoneset_free(a);
		signer_free(sg);
	}
}

Test(sign, a_parent_put_again_gets_the_ds_of_its_signed_children)
{
	for (int mode = 0; mode < 4; mode++) {
		bool reproducible = mode & 1, nsec3 = mode & 2;
		struct signer *sg = new_signer_mode(NULL, nsec3, reproducible);
		struct zoneset *a = signed_set(sg);
		static const size_t kids[] = {1, 2}; /* child, plain: shared, child signed */
		struct zoneset *b = put_set(sg, a, kids, 2, "zones/sg.test.", zone_parent);

		assert_child_secure(b, nsec3);
		assert_zone_verifies(b, nsec3);
		zoneset_free(b);
		zoneset_free(a);
		signer_free(sg);
	}
}

Test(sign, a_deleted_child_leaves_no_ds_in_the_signed_parent)
{
	struct signer *sg = new_signer(NULL, false);
	struct zoneset *a = signed_set(sg);
	static const size_t left[] = {0, 2}; /* DELETE /zones/child.sg.test. */
	struct zoneset *b = put_set(sg, a, left, 2, NULL, NULL);
	static const size_t back[] = {0}; /* and PUT again: the same keys, the same DS */
	struct zoneset *c = put_set(sg, b, back, 1, "zones/child.sg.test.", zone_child);
	ldns_pkt *pa = ask(a, "child.sg.test.", LDNS_RR_TYPE_DS);
	ldns_pkt *pc = ask(c, "child.sg.test.", LDNS_RR_TYPE_DS);
	ldns_rr_list *da = pick(ldns_pkt_answer(pa), "child.sg.test.", LDNS_RR_TYPE_DS, false);
	ldns_rr_list *dc = pick(ldns_pkt_answer(pc), "child.sg.test.", LDNS_RR_TYPE_DS, false);

	assert_no_child_ds(b, false);
	assert_zone_verifies(a, false);
	assert_child_secure(c, false);
	cr_assert_eq(ldns_rr_list_compare(da, dc), 0, "the same DS as before the DELETE");
	ldns_rr_list_deep_free(da);
	ldns_rr_list_deep_free(dc);
	ldns_pkt_free(pa);
	ldns_pkt_free(pc);
	zoneset_free(c);
	zoneset_free(b);
	zoneset_free(a);
	signer_free(sg);
}

/* sg.test. written signed by a signer (its keys) to dir/sg.test.zone. */
static void
presigned_parent(struct signer *sg, const char *dir)
{
	struct zoneset *zs = put_set(sg, NULL, NULL, 0, "sg.test.zone", zone_parent);
	char err[256];

	cr_assert_eq(sign_dump_zones(zs, dir, err, sizeof(err)), 0, "%s", err);
	zoneset_free(zs);
}

Test(sign, a_presigned_parent_is_left_alone_when_a_child_is_put)
{
	char dir[256], out[300], path[400];

	test_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(path, sizeof(path), "%s/sg.test.zone", out);
	for (int own = 0; own < 2; own++) {
		/* signed before by another signer (its own keys), or by this one and loaded back
		   from the export (this signer's keys, but from a file) */
		struct signer *sg = new_signer(NULL, false), *other = new_signer(NULL, false);
		struct zoneset *a = zoneset_new(), *b;
		static const size_t parent[] = {0};
		struct zone_info zi;
		size_t before;
		struct diag d;
		ldns_pkt *p;

		presigned_parent(own ? sg : other, out);
		diag_init(&d);
		cr_assert_eq(zoneset_add_file(a, path, &d), 0);
		cr_assert_eq(zoneset_finish(a, &d), 0);
		cr_assert_eq(signer_sign(sg, a, NOW, &d), 0);
		diag_free(&d);
		zoneset_info(a, 0, &zi);
		before = zi.records;
		b = put_set(sg, a, parent, 1, "zones/child.sg.test.", zone_child);
		zoneset_info(b, 0, &zi);
		cr_assert_eq(zi.records, before, "the pre-signed parent gets nothing added");
		p = ask(b, "child.sg.test.", LDNS_RR_TYPE_DS);
		cr_assert_eq(ldns_pkt_ancount(p), 0, "no DS sg did not sign");
		ldns_pkt_free(p);
		p = ask(b, "www.child.sg.test.", LDNS_RR_TYPE_A);
		assert_verifies(b, ldns_pkt_answer(p), "child.sg.test.", "www.child.sg.test.",
		                LDNS_RR_TYPE_A);
		ldns_pkt_free(p);
		zoneset_free(b);
		zoneset_free(a);
		signer_free(sg);
		signer_free(other);
	}
}

static const char zone_other[] = "$ORIGIN other.test.\n$TTL 300\n"
                                 "@ SOA ns hostmaster 1 3600 900 604800 60\n"
                                 "@ NS ns\nns A 192.0.2.9\n";

static const char zone_root[] = "$ORIGIN .\n$TTL 86400\n"
                                ". SOA a.root. hostmaster.root. 1 1800 900 604800 86400\n"
                                ". NS a.root.\na.root. A 198.51.100.1\n"
                                "sg.test. NS ns1.sg.test.\nns1.sg.test. A 192.0.2.1\n";

Test(sign, a_put_of_another_zone_keeps_signed_top_zones_in_the_anchor_and_the_root)
{
	struct signer *sg = new_signer(NULL, false);
	struct zoneset *a = signed_set(sg), *b, *root = zoneset_new();
	static const size_t all[] = {0, 1, 2};
	char dir[256], path[300], buf[4096] = "", err[256];
	struct diag d;
	ldns_pkt *p;
	FILE *fp;
	size_t n;

	/* PUT /zones/other.test: the signed sg.test. is shared, not signed again */
	b = put_set(sg, a, all, 3, "zones/other.test.", zone_other);
	test_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/ta", dir);
	cr_assert_eq(signer_write_trust_anchor(sg, b, path, err, sizeof(err)), 0, "%s", err);
	fp = fopen(path, "r");
	cr_assert_not_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	cr_assert(strstr(buf, "sg.test.\t") != NULL, "the shared top zone's DS: %s", buf);
	cr_assert(strstr(buf, "other.test.\t") != NULL, "the new zone's DS: %s", buf);

	/* world mode: the root made for the new set delegates to sg.test. securely */
	diag_init(&d);
	cr_assert_eq(zoneset_add_text(root, "(root)", zone_root, &d), 0);
	cr_assert_eq(zoneset_finish(root, &d), 0);
	cr_assert_eq(signer_sign_root(sg, root, b, NOW, &d), 0);
	diag_free(&d);
	p = ask(root, "sg.test.", LDNS_RR_TYPE_DS);
	assert_verifies(root, ldns_pkt_answer(p), ".", "sg.test.", LDNS_RR_TYPE_DS);
	ldns_pkt_free(p);
	zoneset_free(root);
	zoneset_free(b);
	zoneset_free(a);
	signer_free(sg);
}
