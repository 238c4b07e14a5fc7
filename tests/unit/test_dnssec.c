/* tests/unit/test_dnssec.c -- serving signed zones: RRSIG attachment, NSEC and NSEC3 denial
   proofs for every case (checked as a validator would: coverage by hashed or plain names, type
   bitmaps, opt-out), DS at referrals, truncation of signed RRsets. The zones in
   tests/unit/data/dnssec/ were signed with ldns-signzone (validity until 2036); nothing here
   verifies signatures, only which records are chosen. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "server/answer.h"
#include "server/msg.h"
#include "server/zone.h"
#include "tests/support/support.h"

static struct zoneset *zs;

static void
load(void)
{
	static const char files[][40] = {"nsec.test.zone", "sub.nsec.test.zone", "n3.test.zone",
	                                 "n3o.test.zone"};
	struct diag d;
	char rel[256];

	zs = zoneset_new();
	diag_init(&d);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(rel, sizeof(rel), "tests/unit/data/dnssec/%s", files[i]);
		cr_assert_eq(zoneset_add_file(zs, test_src(rel), &d), 0, "%s", rel);
	}
	cr_assert_eq(zoneset_finish(zs, &d), 0);
	cr_assert_eq(d.warnings, 0, "RRSIG sets of differing TTLs are no TTL mismatch");
	diag_free(&d);
}

static void
unload(void)
{
	zoneset_free(zs);
}

TestSuite(dnssec, .init = load, .fini = unload);

/* Ask with EDNS 1232 (do_bit: DO) or without EDNS (edns 0); limit 0: the UDP limit; tcp: TCP. */
static ldns_pkt *
ask_lim(const char *name, ldns_rr_type type, uint16_t edns, bool do_bit, bool tcp)
{
	ldns_pkt *qp = NULL, *rp = NULL;
	uint8_t *qw = NULL;
	static uint8_t out[65536];
	size_t qlen = 0, len, limit;
	struct msg_query q;

	cr_assert_eq(ldns_pkt_query_new_frm_str(&qp, name, type, LDNS_RR_CLASS_IN, LDNS_RD),
	             LDNS_STATUS_OK);
	ldns_pkt_set_cd(qp, true);
	if (edns) {
		ldns_pkt_set_edns_udp_size(qp, edns);
		ldns_pkt_set_edns_do(qp, do_bit);
	}
	cr_assert_eq(ldns_pkt2wire(&qw, qp, &qlen), LDNS_STATUS_OK);
	cr_assert_eq(msg_parse_query(qw, qlen, &q), MSG_OK);
	q.tcp = tcp;
	limit = tcp ? 65535 : q.edns ? (q.edns_size > 512 ? q.edns_size : 512) : 512;
	len = answer_build(zs, &q, limit, out, sizeof(out), NULL);
	cr_assert_gt(len, 0);
	cr_assert_eq(ldns_wire2pkt(&rp, out, len), LDNS_STATUS_OK);
	cr_assert(!ldns_pkt_ad(rp), "NSD never sets AD");
	cr_assert(!ldns_pkt_cd(rp), "NSD does not echo CD");
	free(qw);
	ldns_pkt_free(qp);
	return rp;
}

static ldns_pkt *
ask(const char *name, ldns_rr_type type, bool do_bit)
{
	return ask_lim(name, type, 1232, do_bit, false);
}

static ldns_rdf *
dname(const char *s)
{
	ldns_rdf *r = ldns_dname_new_frm_str(s);
	cr_assert_not_null(r, "%s", s);
	return r;
}

/* Records of type t in l. */
static size_t
count_type(const ldns_rr_list *l, ldns_rr_type t)
{
	size_t n = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		n += ldns_rr_get_type(ldns_rr_list_rr(l, i)) == t;
	return n;
}

/* Every RRset in l (other than RRSIG) has an RRSIG of the same owner covering its type. */
static void
assert_all_signed(const ldns_rr_list *l, const char *what)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		bool found = false;
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG)
			continue;
		for (size_t j = 0; j < ldns_rr_list_rr_count(l) && !found; j++) {
			ldns_rr *s = ldns_rr_list_rr(l, j);
			found =
			    ldns_rr_get_type(s) == LDNS_RR_TYPE_RRSIG &&
			    ldns_dname_compare(ldns_rr_owner(s), ldns_rr_owner(rr)) == 0 &&
			    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(s)) == ldns_rr_get_type(rr);
		}
		char *txt = ldns_rr2str(rr);
		cr_assert(found, "%s: no RRSIG for %s", what, txt);
		free(txt);
	}
}

static void
assert_no_dnssec(const ldns_pkt *p)
{
	const ldns_rr_list *secs[] = {ldns_pkt_answer(p), ldns_pkt_authority(p),
	                              ldns_pkt_additional(p)};
	for (size_t s = 0; s < 3; s++) {
		cr_assert_eq(count_type(secs[s], LDNS_RR_TYPE_RRSIG), 0);
		cr_assert_eq(count_type(secs[s], LDNS_RR_TYPE_NSEC), 0);
		cr_assert_eq(count_type(secs[s], LDNS_RR_TYPE_NSEC3), 0);
	}
}

/* The NSEC in l owned by name, NULL when none. */
static ldns_rr *
nsec_at(const ldns_rr_list *l, ldns_rr_type t, const char *name)
{
	ldns_rdf *n = dname(name);
	ldns_rr *found = NULL;
	for (size_t i = 0; i < ldns_rr_list_rr_count(l) && !found; i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		if (ldns_rr_get_type(rr) == t && ldns_dname_compare(ldns_rr_owner(rr), n) == 0)
			found = rr;
	}
	ldns_rdf_deep_free(n);
	return found;
}

/* Some NSEC in l covers name strictly (owner < name < next). */
static bool
nsec_covers(const ldns_rr_list *l, const char *name)
{
	ldns_rdf *n = dname(name);
	bool found = false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(l) && !found; i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		found = ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC &&
		        ldns_dname_compare(ldns_rr_owner(rr), n) != 0 &&
		        ldns_nsec_covers_name(rr, n);
	}
	ldns_rdf_deep_free(n);
	return found;
}

/* The NSEC3 in l whose owner is the hash of name (zone: apex), NULL when none. */
static ldns_rr *
n3_match(const ldns_rr_list *l, const char *name)
{
	ldns_rdf *n = dname(name);
	ldns_rr *found = NULL;
	for (size_t i = 0; i < ldns_rr_list_rr_count(l) && !found; i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		ldns_rdf *h;
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NSEC3)
			continue;
		h = ldns_nsec3_hash_name_frm_nsec3(rr, n);
		ldns_rdf *zone = ldns_dname_left_chop(ldns_rr_owner(rr));
		ldns_dname_cat(h, zone);
		if (ldns_dname_compare(h, ldns_rr_owner(rr)) == 0)
			found = rr;
		ldns_rdf_deep_free(h);
		ldns_rdf_deep_free(zone);
	}
	ldns_rdf_deep_free(n);
	return found;
}

/* The NSEC3 in l that covers the hash of name (hash strictly between owner and next). */
static ldns_rr *
n3_cover(const ldns_rr_list *l, const char *name)
{
	ldns_rdf *n = dname(name);
	ldns_rr *found = NULL;
	for (size_t i = 0; i < ldns_rr_list_rr_count(l) && !found; i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		ldns_rdf *h, *zone;
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NSEC3)
			continue;
		h = ldns_nsec3_hash_name_frm_nsec3(rr, n);
		zone = ldns_dname_left_chop(ldns_rr_owner(rr));
		ldns_dname_cat(h, zone);
		if (ldns_dname_compare(h, ldns_rr_owner(rr)) != 0 && ldns_nsec_covers_name(rr, h))
			found = rr;
		ldns_rdf_deep_free(h);
		ldns_rdf_deep_free(zone);
	}
	ldns_rdf_deep_free(n);
	return found;
}

static bool
bitmap_has(const ldns_rr *nsec, ldns_rr_type t)
{
	return ldns_nsec_bitmap_covers_type(ldns_nsec_get_bitmap(nsec), t);
}

/* ---- RRSIGs ----------------------------------------------------------------------------- */

Test(dnssec, rrsigs_follow_every_answer_and_authority_rrset_with_do)
{
	ldns_pkt *p = ask("mail.nsec.test.", LDNS_RR_TYPE_A, true);
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	cr_assert(ldns_pkt_aa(p));
	cr_assert(ldns_pkt_edns_do(p), "DO is echoed");
	cr_assert_eq(count_type(ldns_pkt_answer(p), LDNS_RR_TYPE_A), 1);
	cr_assert_eq(count_type(ldns_pkt_answer(p), LDNS_RR_TYPE_RRSIG), 1);
	assert_all_signed(ldns_pkt_answer(p), "answer");
	assert_all_signed(ldns_pkt_authority(p), "authority");
	ldns_pkt_free(p);
}

/* The rdata of rr in wire form into buf. */
static void
rdata_wire(const ldns_rr *rr, ldns_buffer *buf)
{
	ldns_buffer_clear(buf);
	cr_assert_eq(ldns_rr_rdata2buffer_wire(buf, rr), LDNS_STATUS_OK);
}

/* How the RRSIGs in p for sig's owner, covered type and signer compare with sig: 0 none
   there, 1 sig among them byte for byte, -1 there but none of them is sig. */
static int
sig_in_pkt(const ldns_pkt *p, const ldns_rr *sig)
{
	const ldns_rr_list *secs[] = {ldns_pkt_answer(p), ldns_pkt_authority(p),
	                              ldns_pkt_additional(p)};
	ldns_buffer *a = ldns_buffer_new(512), *b = ldns_buffer_new(512);
	int found = 0;

	rdata_wire(sig, a);
	for (size_t s = 0; s < 3 && found < 1; s++) {
		for (size_t i = 0; i < ldns_rr_list_rr_count(secs[s]) && found < 1; i++) {
			ldns_rr *x = ldns_rr_list_rr(secs[s], i);
			if (ldns_rr_get_type(x) != LDNS_RR_TYPE_RRSIG ||
			    ldns_dname_compare(ldns_rr_owner(x), ldns_rr_owner(sig)) != 0 ||
			    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(x)) !=
			        ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(sig)) ||
			    ldns_dname_compare(ldns_rr_rrsig_signame(x),
			                       ldns_rr_rrsig_signame(sig)) != 0)
				continue;
			rdata_wire(x, b);
			found = ldns_buffer_position(a) == ldns_buffer_position(b) &&
			                memcmp(ldns_buffer_begin(a), ldns_buffer_begin(b),
			                       ldns_buffer_position(a)) == 0
			            ? 1
			            : -1;
		}
	}
	ldns_buffer_free(a);
	ldns_buffer_free(b);
	return found;
}

/* l has a record of type t owned by rr's owner. */
static bool
has_rr(const ldns_rr_list *l, const ldns_rr *rr, ldns_rr_type t)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *x = ldns_rr_list_rr(l, i);
		if (ldns_rr_get_type(x) == t &&
		    ldns_dname_compare(ldns_rr_owner(x), ldns_rr_owner(rr)) == 0)
			return true;
	}
	return false;
}

/* Every NSEC and NSEC3 record in p is one of rrs (a zone file's) in owner, type and rdata
   bytes; returns how many there were. */
static size_t
assert_denial_as_read(const ldns_pkt *p, const ldns_rr_list *rrs)
{
	const ldns_rr_list *secs[] = {ldns_pkt_answer(p), ldns_pkt_authority(p),
	                              ldns_pkt_additional(p)};
	ldns_buffer *a = ldns_buffer_new(512), *b = ldns_buffer_new(512);
	size_t n = 0;

	for (size_t s = 0; s < 3; s++) {
		for (size_t i = 0; i < ldns_rr_list_rr_count(secs[s]); i++) {
			ldns_rr *x = ldns_rr_list_rr(secs[s], i);
			bool found = false;
			if (ldns_rr_get_type(x) != LDNS_RR_TYPE_NSEC &&
			    ldns_rr_get_type(x) != LDNS_RR_TYPE_NSEC3)
				continue;
			rdata_wire(x, a);
			for (size_t k = 0; k < ldns_rr_list_rr_count(rrs) && !found; k++) {
				ldns_rr *y = ldns_rr_list_rr(rrs, k);
				if (ldns_rr_get_type(y) != ldns_rr_get_type(x) ||
				    ldns_dname_compare(ldns_rr_owner(y), ldns_rr_owner(x)) != 0)
					continue;
				rdata_wire(y, b);
				found = ldns_buffer_position(a) == ldns_buffer_position(b) &&
				        memcmp(ldns_buffer_begin(a), ldns_buffer_begin(b),
				               ldns_buffer_position(a)) == 0;
			}
			char *txt = ldns_rr2str(x);
			cr_assert(found, "not as read: %s", txt);
			free(txt);
			n++;
		}
	}
	ldns_buffer_free(a);
	ldns_buffer_free(b);
	return n;
}

/* The index keeps RRSIG, NSEC and NSEC3 rdata by reference to the records as read
   (zone_int.h): every RRSIG of the signed test zones, asked for as an RRSIG RRset and coming
   with the RRset it covers (DO), is the zone file's, byte for byte, and so is every NSEC and
   NSEC3 those answers prove with (the NSEC3 owners do not exist: NXDOMAIN proofs). */
Test(dnssec, dnssec_records_in_answers_are_the_zone_files_byte_for_byte)
{
	static const char files[][40] = {"nsec.test.zone", "sub.nsec.test.zone", "n3.test.zone",
	                                 "n3o.test.zone"};
	ldns_zone *zones[sizeof(files) / sizeof(files[0])];
	ldns_rr_list *all = ldns_rr_list_new();
	size_t total = 0, seen = 0, denial = 0;

	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		char rel[256];
		FILE *fp;

		snprintf(rel, sizeof(rel), "tests/unit/data/dnssec/%s", files[f]);
		fp = fopen(test_src(rel), "r");
		cr_assert_not_null(fp, "%s", rel);
		zones[f] = NULL;
		cr_assert_eq(ldns_zone_new_frm_fp(&zones[f], fp, NULL, 3600, LDNS_RR_CLASS_IN),
		             LDNS_STATUS_OK, "%s", rel);
		fclose(fp);
		cr_assert(ldns_rr_list_cat(all, ldns_zone_rrs(zones[f])));
	}
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		const ldns_rr_list *rrs = ldns_zone_rrs(zones[f]);
		for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
			ldns_rr *sig = ldns_rr_list_rr(rrs, i);
			ldns_rr_type covered;
			char *owner;
			ldns_pkt *p, *q;
			int as_set, with_data;
			if (ldns_rr_get_type(sig) != LDNS_RR_TYPE_RRSIG)
				continue;
			covered = ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(sig));
			owner = ldns_rdf2str(ldns_rr_owner(sig));
			p = ask_lim(owner, LDNS_RR_TYPE_RRSIG, 1232, true, true);
			q = ask_lim(owner, covered, 1232, true, true);
			as_set = sig_in_pkt(p, sig);
			with_data = sig_in_pkt(q, sig);
			cr_assert_neq(as_set, -1, "%s RRSIG %d asked for: not as read", owner,
			              covered);
			cr_assert_neq(with_data, -1, "%s %d with DO: its RRSIG not as read", owner,
			              covered);
			denial += assert_denial_as_read(p, all) + assert_denial_as_read(q, all);
			/* NSEC3 owners do not exist to queries; a delegation's NSEC hides behind
			   its DS */
			if (covered != LDNS_RR_TYPE_NSEC3 &&
			    !(covered == LDNS_RR_TYPE_NSEC && has_rr(rrs, sig, LDNS_RR_TYPE_DS))) {
				total++;
				seen += as_set > 0 || with_data > 0;
			}
			ldns_pkt_free(p);
			ldns_pkt_free(q);
			free(owner);
		}
	}
	ldns_rr_list_free(all); /* the records are the zones' */
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++)
		ldns_zone_deep_free(zones[f]);
	cr_assert_gt(total, 100, "only %zu RRSIGs in the signed test zones", total);
	cr_assert_eq(seen, total, "only %zu of %zu RRSIGs in any answer", seen, total);
	cr_assert_gt(denial, 100, "only %zu NSEC and NSEC3 records in the answers", denial);
}

Test(dnssec, additional_address_rrsets_come_signed)
{
	ldns_pkt *p = ask("nsec.test.", LDNS_RR_TYPE_MX, true);
	cr_assert_gt(count_type(ldns_pkt_additional(p), LDNS_RR_TYPE_A), 0);
	assert_all_signed(ldns_pkt_additional(p), "additional");
	ldns_pkt_free(p);
}

Test(dnssec, no_dnssec_records_without_do)
{
	const char names[][40] = {"mail.nsec.test.", "nothere.nsec.test.", "foo.wild.n3.test.",
	                          "insec.n3o.test.", "ent.n3.test."};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ldns_pkt *p = ask(names[i], LDNS_RR_TYPE_A, false);
		assert_no_dnssec(p);
		ldns_pkt_free(p);
		p = ask_lim(names[i], LDNS_RR_TYPE_A, 0, false, false);
		assert_no_dnssec(p);
		ldns_pkt_free(p);
	}
}

Test(dnssec, dnssec_types_asked_for_are_data_even_without_do)
{
	ldns_pkt *p = ask("nsec.test.", LDNS_RR_TYPE_DNSKEY, false);
	cr_assert_eq(count_type(ldns_pkt_answer(p), LDNS_RR_TYPE_DNSKEY), 2);
	cr_assert_eq(count_type(ldns_pkt_answer(p), LDNS_RR_TYPE_RRSIG), 0);
	ldns_pkt_free(p);
	p = ask("mail.nsec.test.", LDNS_RR_TYPE_RRSIG, false);
	cr_assert_eq(count_type(ldns_pkt_answer(p), LDNS_RR_TYPE_RRSIG), 3, "A, AAAA, NSEC");
	ldns_pkt_free(p);
	p = ask("mail.nsec.test.", LDNS_RR_TYPE_NSEC, false);
	cr_assert_eq(count_type(ldns_pkt_answer(p), LDNS_RR_TYPE_NSEC), 1);
	ldns_pkt_free(p);
	p = ask("nsec.test.", LDNS_RR_TYPE_DNSKEY, true);
	cr_assert_eq(count_type(ldns_pkt_answer(p), LDNS_RR_TYPE_RRSIG), 1);
	ldns_pkt_free(p);
}

Test(dnssec, rrsig_of_a_negative_soa_has_the_negative_ttl)
{
	ldns_pkt *p = ask("nothere.nsec.test.", LDNS_RR_TYPE_A, true);
	const ldns_rr_list *ns = ldns_pkt_authority(p);
	bool seen = false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(ns); i++) {
		ldns_rr *rr = ldns_rr_list_rr(ns, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG &&
		    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) == LDNS_RR_TYPE_SOA) {
			cr_assert_eq(ldns_rr_ttl(rr), 300, "SOA minimum, as the SOA itself");
			seen = true;
		}
	}
	cr_assert(seen);
	ldns_pkt_free(p);
}

Test(dnssec, zone_without_dnskey_signature_is_served_unsigned)
{
	static const char text[] = "$ORIGIN half.test.\n$TTL 60\n"
	                           "@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n"
	                           "ns RRSIG A 13 3 60 20360101000000 20260101000000 1 half.test. "
	                           "AAAA\n";
	struct zoneset *z = zoneset_new(), *save = zs;
	struct diag d;
	ldns_pkt *p;

	diag_init(&d);
	cr_assert_eq(zoneset_add_text(z, "half.test.zone", text, &d), 0);
	cr_assert_eq(zoneset_finish(z, &d), 0);
	zs = z;
	p = ask("ns.half.test.", LDNS_RR_TYPE_A, true);
	cr_assert_eq(count_type(ldns_pkt_answer(p), LDNS_RR_TYPE_RRSIG), 0,
	             "no RRSIG covers a DNSKEY: NSD counts the zone as unsigned");
	ldns_pkt_free(p);
	zs = save;
	zoneset_free(z);
	diag_free(&d);
}

/* ---- truncation ------------------------------------------------------------------------- */

Test(dnssec, signed_rrset_that_does_not_fit_is_left_out_whole_with_tc)
{
	ldns_pkt *p = ask("big.nsec.test.", LDNS_RR_TYPE_TXT, true);
	cr_assert(ldns_pkt_tc(p));
	cr_assert_eq(ldns_pkt_ancount(p), 0, "never half an RRset");
	ldns_pkt_free(p);
	p = ask("many.nsec.test.", LDNS_RR_TYPE_A, false);
	cr_assert(!ldns_pkt_tc(p));
	ldns_pkt_free(p);
	p = ask_lim("many.nsec.test.", LDNS_RR_TYPE_A, 512, true, false);
	cr_assert_eq(count_type(ldns_pkt_answer(p), LDNS_RR_TYPE_A), 12);
	cr_assert_eq(count_type(ldns_pkt_answer(p), LDNS_RR_TYPE_RRSIG), 1,
	             "the A RRset and its RRSIG go together");
	ldns_pkt_free(p);
	p = ask_lim("big.nsec.test.", LDNS_RR_TYPE_TXT, 1232, true, true);
	cr_assert(!ldns_pkt_tc(p));
	cr_assert_eq(count_type(ldns_pkt_answer(p), LDNS_RR_TYPE_TXT), 40);
	cr_assert_eq(count_type(ldns_pkt_answer(p), LDNS_RR_TYPE_RRSIG), 1);
	ldns_pkt_free(p);
}

/* ---- NSEC ------------------------------------------------------------------------------- */

Test(dnssec, nsec_nxdomain_proves_the_name_and_the_wildcard_absent)
{
	ldns_pkt *p = ask("nothere.nsec.test.", LDNS_RR_TYPE_A, true);
	const ldns_rr_list *ns = ldns_pkt_authority(p);
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	cr_assert(nsec_covers(ns, "nothere.nsec.test."));
	cr_assert(nsec_covers(ns, "*.nsec.test."));
	assert_all_signed(ns, "authority");
	ldns_pkt_free(p);
	p = ask("x.y.c.b.ent.nsec.test.", LDNS_RR_TYPE_A, true);
	ns = ldns_pkt_authority(p);
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	cr_assert(nsec_covers(ns, "x.y.c.b.ent.nsec.test."));
	cr_assert(nsec_covers(ns, "*.b.ent.nsec.test."), "wildcard at the closest encloser");
	ldns_pkt_free(p);
}

Test(dnssec, nsec_nodata_shows_the_bitmap_without_the_type)
{
	ldns_pkt *p = ask("mail.nsec.test.", LDNS_RR_TYPE_TXT, true);
	ldns_rr *n = nsec_at(ldns_pkt_authority(p), LDNS_RR_TYPE_NSEC, "mail.nsec.test.");
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	cr_assert_eq(ldns_pkt_ancount(p), 0);
	cr_assert_not_null(n);
	cr_assert(!bitmap_has(n, LDNS_RR_TYPE_TXT) && !bitmap_has(n, LDNS_RR_TYPE_CNAME));
	cr_assert(bitmap_has(n, LDNS_RR_TYPE_A));
	assert_all_signed(ldns_pkt_authority(p), "authority");
	ldns_pkt_free(p);
}

Test(dnssec, nsec_empty_non_terminal_is_covered_not_matched)
{
	ldns_pkt *p = ask("b.ent.nsec.test.", LDNS_RR_TYPE_A, true);
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	cr_assert(nsec_covers(ldns_pkt_authority(p), "b.ent.nsec.test."));
	ldns_pkt_free(p);
}

Test(dnssec, nsec_wildcard_answer_proves_the_name_absent)
{
	ldns_pkt *p = ask("foo.wild.nsec.test.", LDNS_RR_TYPE_A, true);
	const ldns_rr_list *an = ldns_pkt_answer(p);
	cr_assert_eq(count_type(an, LDNS_RR_TYPE_A), 1);
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG)
			cr_assert_eq(ldns_rdf2native_int8(ldns_rr_rrsig_labels(rr)), 3,
			             "the wildcard's signature (labels of *.wild.nsec.test)");
	}
	cr_assert(nsec_covers(ldns_pkt_authority(p), "foo.wild.nsec.test."));
	ldns_pkt_free(p);
}

Test(dnssec, nsec_wildcard_nodata_shows_the_wildcard_bitmap)
{
	ldns_pkt *p = ask("foo.wild.nsec.test.", LDNS_RR_TYPE_MX, true);
	const ldns_rr_list *ns = ldns_pkt_authority(p);
	ldns_rr *w = nsec_at(ns, LDNS_RR_TYPE_NSEC, "*.wild.nsec.test.");
	cr_assert_eq(ldns_pkt_ancount(p), 0);
	cr_assert(nsec_covers(ns, "foo.wild.nsec.test."));
	cr_assert_not_null(w);
	cr_assert(!bitmap_has(w, LDNS_RR_TYPE_MX));
	ldns_pkt_free(p);
}

Test(dnssec, nsec_referrals_carry_ds_or_the_nsec_without_ds)
{
	ldns_pkt *p = ask("www.secdeleg.nsec.test.", LDNS_RR_TYPE_A, true);
	const ldns_rr_list *ns = ldns_pkt_authority(p);
	ldns_rr *n;
	cr_assert(!ldns_pkt_aa(p));
	cr_assert_eq(count_type(ns, LDNS_RR_TYPE_DS), 1);
	cr_assert_eq(count_type(ns, LDNS_RR_TYPE_RRSIG), 1, "the DS's; NS at a cut is not signed");
	ldns_pkt_free(p);
	p = ask("x.insec.nsec.test.", LDNS_RR_TYPE_A, true);
	n = nsec_at(ldns_pkt_authority(p), LDNS_RR_TYPE_NSEC, "insec.nsec.test.");
	cr_assert_not_null(n);
	cr_assert(bitmap_has(n, LDNS_RR_TYPE_NS) && !bitmap_has(n, LDNS_RR_TYPE_DS));
	ldns_pkt_free(p);
}

Test(dnssec, ds_of_a_served_child_is_answered_by_the_parent_signed)
{
	ldns_pkt *p = ask("sub.nsec.test.", LDNS_RR_TYPE_DS, true);
	cr_assert(ldns_pkt_aa(p));
	cr_assert_eq(count_type(ldns_pkt_answer(p), LDNS_RR_TYPE_DS), 1);
	assert_all_signed(ldns_pkt_answer(p), "answer");
	ldns_pkt_free(p);
	p = ask("insec.nsec.test.", LDNS_RR_TYPE_DS, true);
	cr_assert_eq(ldns_pkt_ancount(p), 0);
	cr_assert_not_null(nsec_at(ldns_pkt_authority(p), LDNS_RR_TYPE_NSEC, "insec.nsec.test."));
	ldns_pkt_free(p);
}

/* ---- NSEC3 ------------------------------------------------------------------------------ */

Test(dnssec, nsec3_nxdomain_has_closest_encloser_next_closer_and_wildcard)
{
	const char zones[][12] = {"n3.test.", "n3o.test."};
	for (size_t i = 0; i < 2; i++) {
		char q[64], ce[64], nc[64], wc[64];
		ldns_pkt *p;
		const ldns_rr_list *ns;
		snprintf(q, sizeof(q), "x.y.nothere.%s", zones[i]);
		snprintf(ce, sizeof(ce), "%s", zones[i]);
		snprintf(nc, sizeof(nc), "nothere.%s", zones[i]);
		snprintf(wc, sizeof(wc), "*.%s", zones[i]);
		p = ask(q, LDNS_RR_TYPE_A, true);
		ns = ldns_pkt_authority(p);
		cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
		cr_assert_not_null(n3_match(ns, ce), "closest encloser %s", ce);
		cr_assert_not_null(n3_cover(ns, nc), "next closer %s", nc);
		cr_assert_not_null(n3_cover(ns, wc), "wildcard %s", wc);
		assert_all_signed(ns, "authority");
		ldns_pkt_free(p);
	}
}

Test(dnssec, nsec3_nxdomain_below_an_empty_non_terminal)
{
	ldns_pkt *p = ask("c.b.ent.n3.test.", LDNS_RR_TYPE_A, true);
	const ldns_rr_list *ns = ldns_pkt_authority(p);
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	cr_assert_not_null(n3_match(ns, "b.ent.n3.test."), "the ENT is the closest encloser");
	cr_assert_not_null(n3_cover(ns, "c.b.ent.n3.test."));
	cr_assert_not_null(n3_cover(ns, "*.b.ent.n3.test."));
	ldns_pkt_free(p);
}

Test(dnssec, nsec3_nodata_matches_the_name)
{
	ldns_pkt *p = ask("mail.n3.test.", LDNS_RR_TYPE_TXT, true);
	ldns_rr *n = n3_match(ldns_pkt_authority(p), "mail.n3.test.");
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	cr_assert_not_null(n);
	cr_assert(!bitmap_has(n, LDNS_RR_TYPE_TXT) && bitmap_has(n, LDNS_RR_TYPE_A));
	ldns_pkt_free(p);
	p = ask("ent.n3.test.", LDNS_RR_TYPE_A, true);
	n = n3_match(ldns_pkt_authority(p), "ent.n3.test.");
	cr_assert_not_null(n, "an empty non-terminal has its own NSEC3");
	cr_assert(!bitmap_has(n, LDNS_RR_TYPE_A));
	ldns_pkt_free(p);
}

Test(dnssec, nsec3_wildcard_answer_proves_the_next_closer_absent)
{
	ldns_pkt *p = ask("bar.foo.wild.n3.test.", LDNS_RR_TYPE_A, true);
	const ldns_rr_list *ns = ldns_pkt_authority(p);
	cr_assert_eq(count_type(ldns_pkt_answer(p), LDNS_RR_TYPE_A), 1);
	cr_assert_not_null(n3_cover(ns, "foo.wild.n3.test."));
	cr_assert_eq(count_type(ns, LDNS_RR_TYPE_NSEC3), 1);
	ldns_pkt_free(p);
}

Test(dnssec, nsec3_wildcard_nodata_has_encloser_next_closer_and_wildcard_match)
{
	ldns_pkt *p = ask("foo.wild.n3.test.", LDNS_RR_TYPE_MX, true);
	const ldns_rr_list *ns = ldns_pkt_authority(p);
	ldns_rr *w = n3_match(ns, "*.wild.n3.test.");
	cr_assert_eq(ldns_pkt_ancount(p), 0);
	cr_assert_not_null(n3_match(ns, "wild.n3.test."));
	cr_assert_not_null(n3_cover(ns, "foo.wild.n3.test."));
	cr_assert_not_null(w);
	cr_assert(!bitmap_has(w, LDNS_RR_TYPE_MX));
	ldns_pkt_free(p);
}

Test(dnssec, nsec3_opt_out_referral_proves_the_insecure_delegation)
{
	ldns_pkt *p = ask("x.insec3.n3o.test.", LDNS_RR_TYPE_A, true);
	const ldns_rr_list *ns = ldns_pkt_authority(p);
	ldns_rr *c = n3_cover(ns, "insec3.n3o.test.");
	cr_assert(!ldns_pkt_aa(p));
	cr_assert_eq(count_type(ns, LDNS_RR_TYPE_DS), 0);
	cr_assert_not_null(n3_match(ns, "n3o.test."), "closest provable encloser");
	cr_assert_not_null(c, "next closer covered by an opt-out span");
	cr_assert(ldns_nsec3_optout(c));
	ldns_pkt_free(p);
	p = ask("insec.n3.test.", LDNS_RR_TYPE_NS, true);
	ns = ldns_pkt_authority(p);
	c = n3_match(ns, "insec.n3.test.");
	cr_assert_not_null(c, "without opt-out the delegation has its own NSEC3");
	cr_assert(bitmap_has(c, LDNS_RR_TYPE_NS) && !bitmap_has(c, LDNS_RR_TYPE_DS));
	ldns_pkt_free(p);
}

Test(dnssec, nsec3_secure_referral_carries_the_signed_ds)
{
	ldns_pkt *p = ask("www.secdeleg.n3o.test.", LDNS_RR_TYPE_A, true);
	cr_assert_eq(count_type(ldns_pkt_authority(p), LDNS_RR_TYPE_DS), 1);
	cr_assert_eq(count_type(ldns_pkt_authority(p), LDNS_RR_TYPE_NSEC3), 0);
	cr_assert_eq(count_type(ldns_pkt_authority(p), LDNS_RR_TYPE_RRSIG), 1, "the DS's");
	ldns_pkt_free(p);
}

Test(dnssec, nsec3_ds_query_at_an_opt_out_delegation)
{
	ldns_pkt *p = ask("insec3.n3o.test.", LDNS_RR_TYPE_DS, true);
	const ldns_rr_list *ns = ldns_pkt_authority(p);
	cr_assert(ldns_pkt_aa(p));
	cr_assert_eq(ldns_pkt_ancount(p), 0);
	cr_assert_not_null(n3_match(ns, "n3o.test."));
	cr_assert_not_null(n3_cover(ns, "insec3.n3o.test."));
	ldns_pkt_free(p);
}

Test(dnssec, nsec3_hashed_owner_names_do_not_exist)
{
	ldns_rdf *apex = dname("n3.test.");
	ldns_rdf *h = ldns_nsec3_hash_name(apex, 1, 2, 4, (uint8_t *)"\xaa\xbb\xcc\xdd");
	char *s;
	ldns_pkt *p;

	ldns_dname_cat(h, apex);
	s = ldns_rdf2str(h);
	p = ask(s, LDNS_RR_TYPE_NSEC3, true);
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN, "NSD: %s is no name", s);
	ldns_pkt_free(p);
	p = ask("n3.test.", LDNS_RR_TYPE_NSEC3, true);
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	cr_assert_eq(ldns_pkt_ancount(p), 0, "NSEC3 is never data of a name");
	ldns_pkt_free(p);
	free(s);
	ldns_rdf_deep_free(h);
	ldns_rdf_deep_free(apex);
}

Test(dnssec, cname_into_nxdomain_proves_the_target_absent)
{
	ldns_pkt *p = ask("cname-nx.nsec.test.", LDNS_RR_TYPE_A, true);
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_all_signed(ldns_pkt_answer(p), "answer");
	cr_assert(nsec_covers(ldns_pkt_authority(p), "nothere.nsec.test."));
	ldns_pkt_free(p);
}
