/* server/acache.h -- the answer cache: the reply bytes answer_build wrote for a request, kept by
   the request's own bytes (all but the ID) and its scope (zone set, world server, transport),
   so a request seen before is answered by a copy instead of a second lookup and build. A
   reload or PUT /zones serves a new set (and world) and every older entry stops matching. */
#ifndef MXLAB_ACACHE_H
#define MXLAB_ACACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/msg.h"

#define ACACHE_SLOTS     4096 /* entries at most (one per slot, a newer one replaces) */
#define ACACHE_KEY_MAX   512  /* requests longer than this are not cached */
#define ACACHE_REPLY_MAX 1232 /* nor replies longer than our EDNS size (a few TCP ones) */

/* What a hit hands back: all borrowed from the cache, valid until the next acache_put. */
struct acache_hit {
	const struct msg_query *msg; /* the request as parsed (its id is the first one's) */
	const char *qname;           /* presentation question name, as msg_name_to_str wrote it */
	const uint8_t *reply;        /* the reply, ID bytes included (the caller writes its own) */
	size_t reply_len;            /* bytes of reply */
	uint8_t rcode;               /* the reply's rcode (answer_meta.rcode) */
};

struct acache_stats {
	uint64_t hits;   /* requests answered from the cache */
	uint64_t misses; /* lookups that found nothing valid */
	uint64_t stored; /* entries written */
	size_t entries;  /* slots in use (some may be of an older generation) */
};

/* What else an answer depends on besides the request bytes; compared whole. */
struct acache_scope {
	uint64_t zones;     /* zoneset_gen of the zone set served */
	uint64_t world;     /* world_gen of the world (0: direct mode) */
	const void *server; /* the world server the request arrived at (NULL: none, all zones) */
	bool tcp;           /* the transport is TCP (no UDP size cap) */
};

struct acache;

struct acache *acache_new(void);
void acache_free(struct acache *c);

/* The entry for request pkt[0..len) in scope sc; false when there is none. */
bool acache_find(struct acache *c, const struct acache_scope *sc, const uint8_t *pkt, size_t len,
                 struct acache_hit *hit);

/* Keep reply[0..reply_len) (with rcode, the parsed request msg and its presentation qname) as
   the answer to pkt[0..len) in scope sc. Silently keeps nothing when a size is over its limit
   or memory is short: the cache is only ever a shortcut. */
void acache_put(struct acache *c, const struct acache_scope *sc, const uint8_t *pkt, size_t len,
                const struct msg_query *msg, const char *qname, const uint8_t *reply,
                size_t reply_len, uint8_t rcode);

void acache_get_stats(const struct acache *c, struct acache_stats *st);

#endif
