/* server/zload.h -- zone loading in two stages: the thread that runs libzscanner hands the
   records it parses (in batches) to a second thread, which stores them in the zone and enters
   their owner names into the set's name table while the file is still being parsed. Small
   zones take the same steps in one thread, record by record. */
#ifndef MXLAB_ZLOAD_H
#define MXLAB_ZLOAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct zone;
struct zoneset;

/* Zone text of at least this many bytes is loaded by two threads (below, starting a thread
   costs more than it saves: a world of 10,000 small zones loads them one by one). */
#define ZLOAD_THREAD_MIN (1024 * 1024)
/* Batches in flight between the two threads: 16 of 64 KB (zload.c), the same 1 MB as 4 of
   256 KB, but the parser waits less often for the storing thread and the batch it hands
   over is still in its cache. */
#define ZLOAD_BATCHES 16

/* A TXT or SPF record whose rdata holds a 255-byte string followed by another: libzscanner
   splits a string longer than 255 characters that way without a word, while NSD refuses the
   zone. Such records are looked at again in the text once the file is read (zone.c). */
struct suspect {
	uint16_t file; /* index into the zone's files */
	uint32_t line; /* line the scanner reported for the record (its last) */
};

/* Parsed records on their way from the parser to the storing thread, packed one after the
   other (struct zl_head, owner, rdata). */
struct zl_batch {
	uint8_t *buf; /* packed records; owned */
	size_t len;   /* bytes used */
	size_t cap;   /* bytes allocated */
};

struct zload {
	/* the storing side (the second thread, or the caller when not threaded) */
	struct zone *z;          /* zone being filled; borrowed */
	struct zoneset *zs;      /* set whose name table gets the owners, NULL: none; borrowed */
	uint32_t zi;             /* index the zone will have in zs */
	uint8_t origin[256];     /* the zone's origin, lower-cased wire form (pre-indexing) */
	size_t origin_len;       /* its length */
	uint32_t last_owner;     /* arena offset of the last owner stored */
	size_t last_owner_len;   /* its length, 0 when none */
	uint32_t last_idx_owner; /* arena offset of the owner of the last record pre_index saw,
	                            UINT32_MAX before */
	uint32_t last_node;      /* its node in zs, NODE_NONE until looked up */
	size_t last_len;         /* its length */
	uint32_t last_hash;      /* its zone_name_hash */
	bool last_apex;          /* it is the zone's apex */
	bool last_sub;           /* it is in the zone (records out of it are left out) */
	uint8_t c_owner[256];    /* the previous record's owner, lower-cased */
	size_t c_len;            /* its length, 0 before the first record */
	struct suspect *sus;     /* records to check for over-long strings; owned */
	size_t nsus;             /* entries used */
	size_t capsus;           /* entries allocated */

	/* what the parser reads for every record, on cache lines of its own (the storing
	   thread writes the fields above for every record) */
	_Alignas(64) atomic_bool oom;     /* the storing side ran out of memory: stop */
	bool threaded;                    /* a storing thread runs */
	pthread_t thread;                 /* it */
	pthread_mutex_t mu;               /* guards nfull, done */
	pthread_cond_t cv;                /* nfull or done changed */
	struct zl_batch b[ZLOAD_BATCHES]; /* the ring of batches */
	unsigned head;                    /* batch the parser fills */
	unsigned tail;                    /* batch the storing thread takes next */
	unsigned nfull;                   /* batches handed over, not yet stored */
	bool done;                        /* the parser has handed over its last batch */
};

/* Load zone text of at least bytes with two threads from now on (ZLOAD_THREAD_MIN unless
   changed; tests set 0 and SIZE_MAX to compare both ways). */
void zload_set_thread_min(size_t bytes);
/* Should zone text of len bytes be loaded by two threads? */
bool zload_threaded(size_t len);

/* Start loading into z. zs (may be NULL) gets the owner names in its name table as zone
   number zi, origin its lower-cased wire origin; threaded asks for the storing thread (when
   none can be started the records are stored inline). 0, or -1 when out of memory. */
int zload_begin(struct zload *zl, struct zone *z, struct zoneset *zs, uint32_t zi,
                const uint8_t *origin, size_t origin_len, bool threaded);
/* One record as parsed (owner: wire, any case; rdata uncompressed). */
void zload_record(struct zload *zl, const uint8_t *owner, size_t olen, uint16_t type, uint32_t ttl,
                  uint32_t line, uint16_t file, const uint8_t *rd, size_t rdlen);
/* Has the storing side failed (out of memory)? The parser then stops. */
bool zload_failed(struct zload *zl);
/* Every record handed over is stored (the thread has ended). 0, -1 when out of memory. */
int zload_end(struct zload *zl);
/* Release what zload_begin/zload_end left (the suspects list). */
void zload_free(struct zload *zl);

#endif
