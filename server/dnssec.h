/* server/dnssec.h -- serving signed zones as NSD 4.6 does: which zones count as signed, which
   NSEC/NSEC3/DS RRsets prove an answer (RFC 4035 §3.1, RFC 5155 §7.2). Pure: zone store in,
   RRset choices out; answer.c writes them. Built once per zone set at load (NSEC owners in
   canonical order, NSEC3 chains as sorted hashed-owner indexes), so a query costs binary
   searches and at most a few NSEC3 hashes, never a walk over the zone. */
#ifndef MXLAB_DNSSEC_H
#define MXLAB_DNSSEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct zoneset;

#define DNSSEC_MAX_PROOF 8 /* RRsets one proof can add (NSD adds at most 4) */

/* RRsets chosen for the authority section, in the order NSD adds them. */
struct dnssec_proof {
	uint32_t node[DNSSEC_MAX_PROOF]; /* owner node of each RRset */
	uint32_t set[DNSSEC_MAX_PROOF];  /* offset of the RRset in the zone set's sets */
	size_t n;                        /* entries used */
	bool collision;                  /* NSEC3 hash of a name that must not exist matched a
	                                    record: NSD answers SERVFAIL ("NSEC3 hash collision") */
};

/* How the name being answered matched (answer_authoritative's three cases). */
enum dnssec_match {
	DNSSEC_EXACT,    /* the name exists (data or empty non-terminal) */
	DNSSEC_WILDCARD, /* synthesized from the wildcard below the closest encloser */
	DNSSEC_NONE,     /* no such name: NXDOMAIN */
};

/* Build the DNSSEC index of a zone set whose name tree and RRsets are complete (called by
   zoneset_finish; links every RRset to its RRSIGs). Returns 0, -1 when out of memory. */
int dnssec_index_build(struct zoneset *zs);
/* Free the index (zone set teardown). */
void dnssec_index_free(struct zoneset *zs);

/* NSD's zone_is_secure: an RRSIG at the apex of zone z covers its DNSKEY. */
bool dnssec_zone_secure(const struct zoneset *zs, uint32_t z);
/* Zone z has a usable NSEC3 chain (an NSEC3PARAM with SHA-1 and flags 0 whose hashed apex
   has an NSEC3 record with SOA in its bitmap). */
bool dnssec_zone_nsec3(const struct zoneset *zs, uint32_t z);
/* Node n holds only NSEC3 (and RRSIG) RRsets of zone z: NSD answers as if it did not exist. */
bool dnssec_only_nsec3(const struct zoneset *zs, uint32_t n, uint32_t z);

/* The proof for a NODATA answer to qtype at node original (the name, or the wildcard that
   matched) in zone z, DO set. */
void dnssec_nodata(const struct zoneset *zs, uint32_t z, uint16_t qtype, uint32_t original,
                   struct dnssec_proof *p);
/* The proof NSD adds before answering authoritatively: name (lower-cased wire, len bytes) is
   the name being answered, ce its closest existing encloser, w the wildcard node when match is
   DNSSEC_WILDCARD. DO set. */
void dnssec_authoritative(const struct zoneset *zs, uint32_t z, const uint8_t *name, size_t len,
                          uint32_t ce, enum dnssec_match match, uint32_t w, struct dnssec_proof *p);
/* A referral from zone z at delegation node deleg: the DS RRset, or the NSEC/NSEC3 records
   proving there is none. DO set. */
void dnssec_referral(const struct zoneset *zs, uint32_t z, uint32_t deleg, struct dnssec_proof *p);

/* Canonical DNS name order (RFC 4034 §6.1) of two lower-cased wire names: <0, 0, >0. */
int dnssec_name_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

#endif
