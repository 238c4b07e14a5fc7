/* server/dnsfault.c -- rrsig-bogus, rrsig-expired, rrsig-future, rrsig-strip, denial-strip
   and ds-mismatch on an encoded answer: parsed with ldns, records changed, RRSIGs re-signed
   with the zone's key (RFC 4034 §3.1.8.1 signing input: RRSIG rdata without the signature,
   then the canonical RRset), written back. */
#include "server/dnsfault.h"
#include "server/sign.h"

#include <string.h>

#include <ldns/ldns.h>

/* RRSIG rdata fields (RFC 4034 §3.1). */
#define SIG_COVERED 0
#define SIG_LABELS  2
#define SIG_ORIGTTL 3
#define SIG_EXPIRE  4
#define SIG_INCEPT  5
#define SIG_KEYTAG  6
#define SIG_SIGNER  7
#define SIG_SIG     8
#define DS_DIGEST   3

static void
set_rdf(ldns_rr *rr, size_t pos, ldns_rdf *rdf)
{
	ldns_rdf *old = ldns_rr_set_rdf(rr, rdf, pos);
	ldns_rdf_deep_free(old);
}

static bool
is_sig_of(const ldns_rr *rr, ldns_rr_type t)
{
	return ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG && ldns_rr_rd_count(rr) > SIG_SIG &&
	       ldns_rdf2rr_type(ldns_rr_rdf(rr, SIG_COVERED)) == t;
}

/* Keep the records of l that keep() accepts; the others are freed. */
static ldns_rr_list *
filter(ldns_rr_list *l, bool (*drop)(const ldns_rr *rr))
{
	ldns_rr_list *out = ldns_rr_list_new();

	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		if (drop(rr))
			ldns_rr_free(rr);
		else
			ldns_rr_list_push_rr(out, rr);
	}
	ldns_rr_list_free(l);
	return out;
}

static bool
drop_sig(const ldns_rr *rr)
{
	return ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG;
}

static bool
drop_denial(const ldns_rr *rr)
{
	ldns_rr_type t = ldns_rr_get_type(rr);
	return t == LDNS_RR_TYPE_NSEC || t == LDNS_RR_TYPE_NSEC3 ||
	       is_sig_of(rr, LDNS_RR_TYPE_NSEC) || is_sig_of(rr, LDNS_RR_TYPE_NSEC3);
}

/* The owner the RRSIG was made for: the answer's owner, or the wildcard it was expanded from
   (fewer labels in the RRSIG than in the owner, RFC 4035 §5.3.2). Caller frees. */
static ldns_rdf *
signed_owner(const ldns_rr *sig, const ldns_rdf *owner)
{
	uint8_t labels = ldns_rdf2native_int8(ldns_rr_rdf(sig, SIG_LABELS));
	ldns_rdf *o = ldns_rdf_clone(owner), *w;

	while (ldns_dname_label_count(o) > labels) {
		ldns_rdf *up = ldns_dname_left_chop(o);
		ldns_rdf_deep_free(o);
		o = up;
	}
	if (ldns_dname_label_count(owner) == labels)
		return o;
	w = ldns_dname_new_frm_str("*");
	if (ldns_dname_cat(w, o) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(w);
		return o;
	}
	ldns_rdf_deep_free(o);
	return w;
}

/* Sign the RRset sig covers (its records in l) again, after the caller changed sig's validity
   or the RRset; bogus: sign other data than what is served. Without the key, bogus flips a
   bit of the old signature and the other cases keep it (then wrong as well). */
static void
resign(struct signer *sg, ldns_rr *sig, const ldns_rr_list *l, bool bogus)
{
	ldns_rr_type t = ldns_rdf2rr_type(ldns_rr_rdf(sig, SIG_COVERED));
	ldns_rr_list *set = ldns_rr_list_new();
	ldns_buffer *buf = ldns_buffer_new(4096);
	ldns_rdf *owner = signed_owner(sig, ldns_rr_owner(sig)), *signer;
	uint32_t ttl = ldns_rdf2native_int32(ldns_rr_rdf(sig, SIG_ORIGTTL));
	uint8_t out[512];
	size_t n = 0;

	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		if (ldns_rr_get_type(rr) != t ||
		    ldns_dname_compare(ldns_rr_owner(rr), ldns_rr_owner(sig)) != 0)
			continue;
		rr = ldns_rr_clone(rr);
		ldns_rdf_deep_free(ldns_rr_owner(rr));
		ldns_rr_set_owner(rr, ldns_rdf_clone(owner));
		ldns_rr_set_ttl(rr, ttl);
		ldns_rr2canonical(rr);
		ldns_rr_list_push_rr(set, rr);
	}
	ldns_rr_list_sort(set);
	signer = ldns_rdf_clone(ldns_rr_rdf(sig, SIG_SIGNER));
	ldns_dname2canonical(signer);
	if (buf != NULL && ldns_rrsig2buffer_wire(buf, sig) == LDNS_STATUS_OK &&
	    ldns_rr_list2buffer_wire(buf, set) == LDNS_STATUS_OK) {
		if (bogus && ldns_buffer_position(buf) > 0)
			ldns_buffer_begin(buf)[ldns_buffer_position(buf) - 1] ^= 0x01;
		n = signer_resign(sg, ldns_rdf_data(signer), ldns_rdf_size(signer),
		                  ldns_rdf2native_int16(ldns_rr_rdf(sig, SIG_KEYTAG)),
		                  ldns_buffer_begin(buf), ldns_buffer_position(buf), out,
		                  sizeof(out));
	}
	if (n > 0) {
		set_rdf(sig, SIG_SIG, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_B64, n, out));
	} else if (bogus) {
		ldns_rdf *s = ldns_rr_rdf(sig, SIG_SIG);
		if (ldns_rdf_size(s) > 0)
			ldns_rdf_data(s)[ldns_rdf_size(s) - 1] ^= 0x01;
	}
	ldns_rdf_deep_free(signer);
	ldns_rdf_deep_free(owner);
	ldns_buffer_free(buf);
	ldns_rr_list_deep_free(set);
}

static void
alter_section(struct signer *sg, enum fault_action a, ldns_rr_list *l, time_t now)
{
	if (a == FAULT_DS_MISMATCH) {
		bool changed = false;
		for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
			ldns_rr *rr = ldns_rr_list_rr(l, i);
			ldns_rdf *dg;
			if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_DS ||
			    ldns_rr_rd_count(rr) <= DS_DIGEST)
				continue;
			dg = ldns_rr_rdf(rr, DS_DIGEST);
			if (ldns_rdf_size(dg) > 0) {
				ldns_rdf_data(dg)[ldns_rdf_size(dg) - 1] ^= 0xff;
				changed = true;
			}
		}
		if (!changed)
			return;
		for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
			if (is_sig_of(ldns_rr_list_rr(l, i), LDNS_RR_TYPE_DS))
				resign(sg, ldns_rr_list_rr(l, i), l, false);
		return;
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *sig = ldns_rr_list_rr(l, i);
		uint32_t inc, exp;
		if (ldns_rr_get_type(sig) != LDNS_RR_TYPE_RRSIG || ldns_rr_rd_count(sig) <= SIG_SIG)
			continue;
		if (a == FAULT_RRSIG_EXPIRED || a == FAULT_RRSIG_FUTURE) {
			/* keep the lifetime, move the window 7 days out of now */
			inc = ldns_rdf2native_int32(ldns_rr_rdf(sig, SIG_INCEPT));
			exp = ldns_rdf2native_int32(ldns_rr_rdf(sig, SIG_EXPIRE));
			uint32_t life = exp - inc;
			if (a == FAULT_RRSIG_EXPIRED) {
				exp = (uint32_t)(now - DNSFAULT_SHIFT);
				inc = exp - life;
			} else {
				inc = (uint32_t)(now + DNSFAULT_SHIFT);
				exp = inc + life;
			}
			set_rdf(sig, SIG_INCEPT, ldns_native2rdf_int32(LDNS_RDF_TYPE_TIME, inc));
			set_rdf(sig, SIG_EXPIRE, ldns_native2rdf_int32(LDNS_RDF_TYPE_TIME, exp));
		}
		resign(sg, sig, l, a == FAULT_RRSIG_BOGUS);
	}
}

size_t
dnsfault_apply(struct signer *sg, enum fault_action a, uint8_t *buf, size_t len, size_t cap,
               time_t now)
{
	ldns_pkt *p = NULL;
	uint8_t *w = NULL;
	size_t wlen = 0;

	if (!fault_action_is_dnssec(a) || ldns_wire2pkt(&p, buf, len) != LDNS_STATUS_OK)
		return len;
	switch (a) {
	case FAULT_RRSIG_STRIP:
		ldns_pkt_set_answer(p, filter(ldns_pkt_answer(p), drop_sig));
		ldns_pkt_set_authority(p, filter(ldns_pkt_authority(p), drop_sig));
		ldns_pkt_set_additional(p, filter(ldns_pkt_additional(p), drop_sig));
		break;
	case FAULT_DENIAL_STRIP:
		ldns_pkt_set_authority(p, filter(ldns_pkt_authority(p), drop_denial));
		break;
	default:
		alter_section(sg, a, ldns_pkt_answer(p), now);
		alter_section(sg, a, ldns_pkt_authority(p), now);
		alter_section(sg, a, ldns_pkt_additional(p), now);
		break;
	}
	ldns_pkt_set_ancount(p, (uint16_t)ldns_rr_list_rr_count(ldns_pkt_answer(p)));
	ldns_pkt_set_nscount(p, (uint16_t)ldns_rr_list_rr_count(ldns_pkt_authority(p)));
	ldns_pkt_set_arcount(p, (uint16_t)ldns_rr_list_rr_count(ldns_pkt_additional(p)));
	if (ldns_pkt2wire(&w, p, &wlen) == LDNS_STATUS_OK && wlen <= cap) {
		memcpy(buf, w, wlen);
		len = wlen;
	}
	free(w);
	ldns_pkt_free(p);
	return len;
}
