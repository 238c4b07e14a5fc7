/* server/zone.h -- the zone store: zone files read with libzscanner into compact wire-format
   RRsets indexed by owner name (no linear scans), several zones served together. */
#ifndef MXLAB_ZONE_H
#define MXLAB_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"

struct zoneset; /* every served zone; immutable once zoneset_finish() succeeded */

/* One record as stored, for walkers such as the mail lint. Pointers stay valid while the
   zoneset lives. */
struct zone_rr {
	const uint8_t *owner;  /* owner name, wire form, lower-case */
	uint16_t type;         /* record type */
	uint32_t ttl;          /* TTL */
	const uint8_t *rdata;  /* rdata in wire form (names uncompressed) */
	uint16_t rdlen;        /* rdata length */
	const char *file;      /* zone file it was read from */
	unsigned long line;    /* line in that file */
	const uint8_t *origin; /* origin of the zone the record belongs to */
	const char *server;    /* world mode: the server of a per-server copy, "" otherwise */
};

struct zone_info {
	char origin[1025]; /* presentation form with trailing dot */
	uint32_t serial;   /* SOA serial */
	size_t records;    /* records in the zone */
	const char *file;  /* file it was read from */
};

struct zoneset *zoneset_new(void);
void zoneset_free(struct zoneset *zs);
/* A number no other set of this process has had: what the answer cache keys its entries by,
   so an entry never outlives the set it was built from. */
uint64_t zoneset_gen(const struct zoneset *zs);

/* Read one zone file and add it. Every problem goes to d as file:line. Returns 0 when the
   zone was added, -1 on error (nothing added). */
int zoneset_add_file(struct zoneset *zs, const char *path, struct diag *d);

/* Same, from text in memory (control API, tests); name is used for file:line. */
int zoneset_add_text(struct zoneset *zs, const char *name, const char *text, struct diag *d);

/* Add zone number zone of src (which may be a finished, served set) to dst as it was read:
   same records, same file:line for diagnostics, no file read again, and no copy either: both
   sets share the records (reference counted; whoever changes a shared zone, the signer adding
   a DS say, gets its own copy first). The sets may be freed in any order, on any thread (the
   counts are atomic), but src not while this runs. Returns 0 when the zone was added, -1 on
   error (nothing added). */
int zoneset_add_shared(struct zoneset *dst, const struct zoneset *src, size_t zone, struct diag *d);

/* Structural checks across the set and index building; call once after adding. Errors
   (missing SOA/NS, CNAME beside other data, out-of-zone data, duplicate origins) go to d.
   Returns 0 when the set can be served. */
/* World mode: zone number zone is the copy of its zone served only by the server at numeric
   address addr, instead of the shared one (a stale secondary, say). Such a copy may share its
   origin with another zone; nothing but that server's view ever answers from it. Call before
   zoneset_finish. */
void zoneset_set_server(struct zoneset *zs, size_t zone, const char *addr);
/* The address set by zoneset_set_server, "" for ordinary zones. */
const char *zoneset_server(const struct zoneset *zs, size_t zone);

int zoneset_finish(struct zoneset *zs, struct diag *d);
/* Let zoneset_finish accept a set with no zone (every name is then REFUSED): a server with a
   control API starts empty and gets its zones through PUT /zones. */
void zoneset_allow_empty(struct zoneset *zs);

size_t zoneset_count(const struct zoneset *zs);
void zoneset_info(const struct zoneset *zs, size_t i, struct zone_info *out);

/* Call fn for every record of every zone, zone by zone, in file order. */
void zoneset_foreach(const struct zoneset *zs, void (*fn)(const struct zone_rr *rr, void *arg),
                     void *arg);

#endif
