/* server/zone_int.h -- the zone store's internal layout, shared by zone.c (building) and
   answer.c (reading). Nothing outside the zone store and the answer builder uses this. */
#ifndef MXLAB_ZONE_INT_H
#define MXLAB_ZONE_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "server/zone.h"
#include "server/zowner.h"

#define NODE_NONE    UINT32_MAX /* no node */
#define NODE_EXISTS  0x01       /* has data, or a descendant has (empty non-terminal) */
#define NODE_WILDKID 0x02       /* has an existing "*" child */
#define NODE_APEX    0x04       /* apex of a served zone */
#define NODE_DNAME   0x08       /* has a DNAME RRset (RFC 6672) */

#define TYPE_A      1
#define TYPE_NS     2
#define TYPE_CNAME  5
#define TYPE_SOA    6
#define TYPE_PTR    12
#define TYPE_MX     15
#define TYPE_TXT    16
#define TYPE_X25    19
#define TYPE_ISDN   20
#define TYPE_RT     21
#define TYPE_AAAA   28
#define TYPE_SRV    33
#define TYPE_KX     36
#define TYPE_DNAME  39
#define TYPE_OPT    41
#define TYPE_DS     43
#define TYPE_RRSIG  46
#define TYPE_NSEC   47
#define TYPE_DNSKEY 48
#define TYPE_NSEC3  50
#define TYPE_IXFR   251
#define TYPE_AXFR   252
#define TYPE_ANY    255
#define CLASS_IN    1
#define CLASS_CH    3
#define CLASS_ANY   255

/* One name in the global name tree (owners, their ancestors up to the root, and the names
   rdata of RFC 1035 types points at), as NSD's domain table. */
struct node {
	uint32_t name;   /* offset of the lower-cased wire name in zoneset names */
	uint32_t parent; /* parent node (one label less), NODE_NONE for the root */
	uint32_t rrsets; /* offset of the first rrset here in zoneset sets, 0 when none */
	uint32_t zone;   /* index+1 of the deepest zone whose apex is at or above, 0 none */
	uint8_t namelen; /* bytes of the wire name, root label included */
	uint8_t flags;   /* NODE_EXISTS, NODE_WILDKID, NODE_APEX */
	uint16_t pad;    /* unused */
};

/* A slot of the name hash table (open addressing, linear probing): the hash is kept here so
   that a miss touches nothing but the table. */
struct zslot {
	uint32_t node; /* node, NODE_NONE when the slot is free */
	uint32_t hash; /* zone_name_hash of its name */
};

/* Header of an RRset in zoneset sets (4-byte aligned), followed by its records, each:
   ttl[4] and rdlength[2] of the uncompressed rdata as on the wire (the type is the RRset's,
   the class IN), nref (1 byte), nref x struct rr_ref, then the rdata as read (names uncompressed)
   -- except in RRSIG, NSEC and NSEC3 RRsets (zone_type_rdref), where a 4-byte offset of the rdata
   in the zone's arena stands for it (a signed zone has more of those bytes than of anything else;
   the arena holds them already, unchanged while a set uses it). Read records with zone_rr_rdata /
   zone_rr_next (or zone_rrset_rdbase and the _at forms) only. */
struct rrset {
	uint32_t next;  /* offset of the next rrset at the same node, 0 at the end */
	uint16_t type;  /* record type */
	uint16_t count; /* records */
	uint16_t zone;  /* index of the zone it belongs to */
	uint16_t pad;   /* unused */
	uint32_t sigs;  /* offset of the RRSIG rrset at the same node and zone, 0 none (dnssec.c) */
};

/* A domain name inside rdata. */
struct rr_ref {
	uint16_t pos;     /* offset of the name inside the rdata */
	uint8_t len;      /* wire length of the name */
	uint8_t compress; /* 1: RFC 1035 type, written compressed; 0: only looked up */
	uint32_t node;    /* node of the name */
};
#define RR_REF_SIZE 8

struct zone_file {
	char *path; /* file name as given (owned) */
};

/* What a zone file was when it was read (server/zstamp.c): a reload shares the zone instead of
   reading it again when every file of it still is the same. */
struct zone_stamp {
	dev_t dev;            /* device */
	ino_t ino;            /* inode */
	off_t size;           /* bytes */
	struct timespec mtim; /* last modification */
	struct timespec ctim; /* last status change (any write, rename, touch) */
};

/* The reference count of the records as read when several sets hold the same zone: the
   struct zone of each set is its own (the index offsets below differ per set), its files, recs,
   arena and stamps are the same memory for all, freed with the last (zone_share_put). Built by
   the one thread that builds sets, dropped by whoever frees a set: atomic. */
struct zone_share {
	atomic_uint refs; /* zones (one per set) pointing at the same files, recs and arena */
};

/* One record as read, in file order. */
struct zrec {
	uint32_t owner; /* offset of the lower-cased owner name in the zone arena */
	uint32_t rdata; /* offset of the rdata in the zone arena */
	uint32_t ttl;   /* TTL */
	uint32_t line;  /* line in its file */
	uint16_t type;  /* record type */
	uint16_t rdlen; /* rdata length */
	uint16_t file;  /* index into the zone's files */
	uint8_t skip;   /* 1: not indexed (out of zone) */
	uint8_t pad;    /* unused */
};

struct zone {
	uint8_t origin[256];       /* origin, lower-cased wire form */
	size_t origin_len;         /* bytes in origin */
	char origin_str[1025];     /* presentation form */
	struct zone_file *files;   /* files read (first: the zone file itself); owned */
	size_t nfiles;             /* entries in files */
	struct zrec *recs;         /* records in file order; owned */
	size_t nrecs;              /* records used */
	size_t nread;              /* the first nread were read from files, the rest added by
	                              zone_append_rr (the signer) */
	size_t caprecs;            /* records allocated */
	uint8_t *arena;            /* owner names and rdata of recs; owned. The DNSSEC records of
	                              the index point into it (zone_rr_rdata): it may move and
	                              grow, its bytes never change while a set uses them */
	size_t alen;               /* arena bytes used */
	size_t acap;               /* arena bytes allocated */
	uint32_t serial;           /* SOA serial (0 before finish) */
	uint32_t apex;             /* apex node (after finish), NODE_NONE before */
	uint32_t soa;              /* offset of the SOA rrset in sets, 0 when none */
	uint32_t soa_nx;           /* offset of the SOA rrset with the negative TTL, 0 none */
	uint32_t ns;               /* offset of the apex NS rrset, 0 when none */
	bool bad;                  /* finish found it unservable */
	bool dnssec_recs;          /* it has RRSIG or NSEC records (set by finish) */
	char server[64];           /* world mode: the one server address this copy is for ("":
	                              the zone itself, served wherever its NS records say) */
	struct zone_share *share;  /* when other sets hold this zone too: the reference count of
	                              files, recs, arena and stamps, which are then read-only; NULL:
	                              they are this zone's own. Owned (one reference) */
	struct zowner *owners;     /* the owner names of recs by hash while records are appended
	                              (zowner.c), NULL when none; owned */
	struct zone_stamp *stamps; /* one per file, NULL when not known (text from the API, a
	                              file that changed while read, records added); owned like
	                              recs */
};

/* A record of the set as the index builder walks it. */
struct zitem {
	uint32_t zone; /* zone index */
	uint32_t rec;  /* record index in the zone */
};

/* The index started while loading (zload.c): the owners of the first nzones zones, entered
   into the name table in the order zoneset_finish would enter them, and the node of each of
   their records. zoneset_finish continues from here instead of starting over. */
struct zpre {
	uint32_t nzones;     /* zones whose owners are in the name table (a prefix of zones) */
	struct zitem *items; /* their indexed records, in order; owned */
	uint32_t *recnode;   /* node of each item; owned */
	size_t n;            /* items used */
	size_t cap;          /* items allocated */
};

struct zoneset {
	struct zone **zones; /* zones in the order added; owned */
	size_t nzones;       /* zones used */
	size_t capzones;     /* zones allocated */
	struct node *nodes;  /* name tree; owned */
	uint32_t nnodes;     /* nodes used */
	uint32_t capnodes;   /* nodes allocated */
	struct zslot *htab;  /* name hash table; owned */
	uint32_t hmask;      /* slots - 1 (power of two) */
	uint8_t *names;      /* wire names of nodes; owned */
	size_t nlen;         /* names bytes used */
	size_t ncap;         /* names bytes allocated */
	uint8_t *sets;       /* rrsets (struct rrset + records); owned */
	size_t slen;         /* sets bytes used */
	size_t scap;         /* sets bytes allocated */
	uint32_t root;       /* root node, NODE_NONE when the tree is empty */
	uint32_t pcache;     /* node last looked up as a parent by zone_tree_get (a hint) */
	bool finished;       /* zoneset_finish ran */
	uint64_t gen;        /* unique among the sets of this process (zoneset_gen) */
	bool allow_empty; /* no zone at all is a set that can be served (a control API fills it) */

	struct dnssec_index *dnssec; /* signed-zone indexes (dnssec.c), NULL before finish; owned */
	struct zpre pre;             /* index started while loading; arrays owned */
};

/* Hash of a lower-cased wire name. */
uint32_t zone_name_hash(const uint8_t *name, size_t len);
/* Node of a lower-cased wire name, NODE_NONE when not in the tree. */
uint32_t zone_node_find(const struct zoneset *zs, const uint8_t *name, size_t len, uint32_t hash);
/* The rrset of type at node n belonging to zone z (index), NULL when none. */
const struct rrset *zone_rrset_find(const struct zoneset *zs, uint32_t n, uint32_t z,
                                    uint16_t type);
/* Add one record (owner: wire name, rdata uncompressed) to zone zi as if read from its file
   (line 0): the signer adds DNSKEY, NSEC/NSEC3 and RRSIG records this way, then finishes the
   set again. Returns 0, -1 when out of memory. */
int zone_append_rr(struct zoneset *zs, size_t zi, const uint8_t *owner, size_t olen, uint16_t type,
                   uint32_t ttl, const uint8_t *rd, size_t rdlen);
/* Drop the records of zone zi for which keep (shown each record once, in store order) says
   false, then the set must be finished again; when keep drops none, the zone is left as it is
   (still shared with other sets if it was). The signer strips what it added (line 0) this way
   before signing a zone again. Returns 0, -1 when out of memory. */
int zone_drop_rrs(struct zoneset *zs, size_t zi, bool (*keep)(const struct zone_rr *rr, void *arg),
                  void *arg);
/* How many sets hold zone zi's records (1: only zs). */
unsigned zone_share_refs(const struct zoneset *zs, size_t zi);

/* Lower-case a wire name into out (same length). */
void zone_name_lower(const uint8_t *name, size_t len, uint8_t *out);
/* Length of the wire name at p within end, 0 when malformed. */
size_t zone_wire_len(const uint8_t *p, const uint8_t *end);
/* Is name (len) equal to or below origin (olen)? Both lower-cased wire names. */
bool zone_name_is_sub(const uint8_t *name, size_t len, const uint8_t *origin, size_t olen);
/* The node of a lower-cased wire name, created with all its ancestors when missing.
   NODE_NONE when out of memory. */
uint32_t zone_tree_get(struct zoneset *zs, const uint8_t *name, size_t len);
/* The same, its zone_name_hash h known. */
uint32_t zone_tree_get_h(struct zoneset *zs, const uint8_t *name, size_t len, uint32_t h);
/* Where the domain names in rdata of a type are: how many follow each other from *first (0:
   none NSD treats as a name); *compress: NSD writes them compressed (RFC 1035 types). */
int zone_rdata_names(uint16_t type, const uint8_t *rd, size_t len, size_t *first, bool *compress);
/* Sets of at least records records get their RRsets written by two threads (200,000 unless
   changed; tests set 0 and SIZE_MAX to compare both ways). */
void zone_set_parallel_min(size_t records);
/* Room for n more bytes in the zone's arena. 0, -1 when out of memory. */
int zone_arena_reserve(struct zone *z, size_t n);

#define RR_RDREF_SIZE 4 /* bytes of a record's rdata offset in the arena (zone_type_rdref) */
#define RR_HDR_SIZE   7 /* bytes of a record before its names: ttl, rdlength, nref */

/* Are the n bytes at a and b equal? memcmp for the short names of the loader and the lookup,
   without a call: 8-byte words, the last one overlapping the one before. */
static inline bool
zone_bytes_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint64_t x, y;
	uint32_t u, v;

	if (n >= 8) {
		for (size_t i = 0; i + 8 <= n; i += 8) {
			memcpy(&x, a + i, 8);
			memcpy(&y, b + i, 8);
			if (x != y)
				return false;
		}
		memcpy(&x, a + n - 8, 8);
		memcpy(&y, b + n - 8, 8);
		return x == y;
	}
	if (n >= 4) {
		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		if (u != v)
			return false;
		memcpy(&u, a + n - 4, 4);
		memcpy(&v, b + n - 4, 4);
		return u == v;
	}
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* Do the index's records of type keep their rdata in the zone's arena (an offset in the
   record)? The DNSSEC records: a signed zone holds more of them than of anything else, and
   only answers with DO carry them. */
static inline bool
zone_type_rdref(uint16_t type)
{
	return type == TYPE_RRSIG || type == TYPE_NSEC || type == TYPE_NSEC3;
}

/* Does the rdata of rs's records live in the zone's arena? */
static inline bool
zone_rrset_rdref(const struct rrset *rs)
{
	return zone_type_rdref(rs->type);
}

/* Bytes of the rdata of record rr as written to the wire (names uncompressed). */
static inline uint16_t
zone_rr_rdlen(const uint8_t *rr)
{
	return (uint16_t)(rr[4] << 8 | rr[5]);
}

/* Names in the rdata of record rr (struct rr_ref after its header). */
static inline uint8_t
zone_rr_nref(const uint8_t *rr)
{
	return rr[6];
}

/* The TTL of record rr as on the wire (4 bytes, network order), then its rdlength (2). */
static inline const uint8_t *
zone_rr_wire_ttl(const uint8_t *rr)
{
	return rr;
}

/* Where the rdata of rs's records is kept: the zone's arena for RRSIG RRsets, NULL when
   inline. Loops over many records take it once for zone_rr_rdata_at / zone_rr_rdata_next. */
static inline const uint8_t *
zone_rrset_rdbase(const struct zoneset *zs, const struct rrset *rs)
{
	return zone_rrset_rdref(rs) ? zs->zones[rs->zone]->arena : NULL;
}

/* The rdata of record rr of an rrset whose zone_rrset_rdbase is base, and in *next the
   record after it: both at once for the loops of the answer path. */
static inline const uint8_t *
zone_rr_rdata_next(const uint8_t *base, const uint8_t *rr, const uint8_t **next)
{
	const uint8_t *p = rr + RR_HDR_SIZE + (size_t)zone_rr_nref(rr) * RR_REF_SIZE;
	uint32_t off;

	if (base == NULL) {
		*next = p + zone_rr_rdlen(rr);
		return p;
	}
	memcpy(&off, p, sizeof(off));
	*next = p + RR_RDREF_SIZE;
	return base + off;
}

/* The rdata of record rr of an rrset whose zone_rrset_rdbase is base. */
static inline const uint8_t *
zone_rr_rdata_at(const uint8_t *base, const uint8_t *rr)
{
	const uint8_t *next;

	return zone_rr_rdata_next(base, rr, &next);
}

/* The rdata of record rr of rrset rs. */
static inline const uint8_t *
zone_rr_rdata(const struct zoneset *zs, const struct rrset *rs, const uint8_t *rr)
{
	return zone_rr_rdata_at(zone_rrset_rdbase(zs, rs), rr);
}

/* The record after rr in rrset rs. */
static inline const uint8_t *
zone_rr_next(const struct rrset *rs, const uint8_t *rr)
{
	return rr + RR_HDR_SIZE + (size_t)zone_rr_nref(rr) * RR_REF_SIZE +
	       (zone_rrset_rdref(rs) ? RR_RDREF_SIZE : zone_rr_rdlen(rr));
}

/* Does the RRSIG rdata rd (rdlen bytes) cover type? */
static inline bool
zone_rrsig_covers(const uint8_t *rd, uint16_t rdlen, uint16_t type)
{
	return rdlen >= 2 && (uint16_t)(rd[0] << 8 | rd[1]) == type;
}

/* The first record of rrset rs. */
static inline const uint8_t *
zone_rrset_first(const struct rrset *rs)
{
	return (const uint8_t *)(rs + 1);
}

/* The TTL of record rr. */
static inline uint32_t
zone_rr_ttl(const uint8_t *rr)
{
	return (uint32_t)rr[0] << 24 | (uint32_t)rr[1] << 16 | (uint32_t)rr[2] << 8 | rr[3];
}

/* Name k (below zone_rr_nref) in the rdata of record rr. */
static inline struct rr_ref
zone_rr_ref(const uint8_t *rr, unsigned k)
{
	struct rr_ref ref;

	memcpy(&ref, rr + RR_HDR_SIZE + (size_t)k * RR_REF_SIZE, RR_REF_SIZE);
	return ref;
}

/* Bytes of rs's records (after its header). */
static inline size_t
zone_rrset_bytes(const struct rrset *rs)
{
	const uint8_t *rr = zone_rrset_first(rs);

	for (uint16_t i = 0; i < rs->count; i++)
		rr = zone_rr_next(rs, rr);
	return (size_t)(rr - zone_rrset_first(rs));
}

static inline const struct rrset *
zone_rrset_at(const struct zoneset *zs, uint32_t off)
{
	return off ? (const struct rrset *)(const void *)(zs->sets + off) : NULL;
}

#endif
