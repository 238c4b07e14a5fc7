/* server/zload.c -- zone loading in two stages: the parser (libzscanner, in the caller's
   thread, which also reports every error) packs the records it reads into batches; a second
   thread stores them in the zone (owner and rdata names lower-cased, consecutive records of
   one owner sharing its name) and enters each owner into the set's name table, recording the
   node of every record, so that zoneset_finish starts with the owners indexed. */
#include "server/zload.h"
#include "server/zone_int.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_SIZE (64 * 1024) /* bytes of packed records per batch */

/* Header of a packed record; the owner (olen bytes) and the rdata (rdlen) follow. */
struct zl_head {
	uint32_t ttl;   /* TTL */
	uint32_t line;  /* line in its file */
	uint16_t type;  /* record type */
	uint16_t rdlen; /* rdata length */
	uint16_t file;  /* index into the zone's files */
	uint8_t olen;   /* owner length, 1..255 */
	uint8_t same;   /* 1: the owner (lower-cased) is the previous record's */
	uint32_t hash;  /* zone_name_hash of the lower-cased owner (when not same) */
};

#define PREFETCH_AHEAD 8 /* records ahead whose name-table slot the storing side prefetches */

static size_t thread_min = ZLOAD_THREAD_MIN; /* zload_set_thread_min */

void
zload_set_thread_min(size_t bytes)
{
	thread_min = bytes;
}

bool
zload_threaded(size_t len)
{
	return len >= thread_min;
}

/* Lower-case the domain names of rdata that NSD 4.6 keeps as names of its domain table: it
   normalizes every one of them (compressed or not), so they go out in lower case whatever the
   zone file says. Everything else keeps its case. */
static void
rdata_lower_names(uint16_t type, uint8_t *rd, size_t len)
{
	size_t p, l;
	bool compress;
	int names = zone_rdata_names(type, rd, len, &p, &compress);

	for (int i = 0; i < names && p < len; i++) {
		if ((l = zone_wire_len(rd + p, rd + len)) == 0)
			return;
		zone_name_lower(rd + p, l, rd + p);
		p += l;
	}
}

/* Does this TXT/SPF rdata hold a 255-byte string followed by another one? */
static bool
text_may_be_split(uint16_t type, const uint8_t *rd, size_t len)
{
	size_t p = 0;

	if (type != TYPE_TXT && type != 99 /* SPF */)
		return false;
	while (p < len) {
		size_t l = rd[p];
		if (l == 255 && p + 1 + l < len)
			return true;
		p += l + 1;
	}
	return false;
}

static int
add_suspect(struct zload *zl, uint16_t file, uint32_t line)
{
	if (zl->nsus == zl->capsus) {
		size_t nc = zl->capsus ? zl->capsus * 2 : 16;
		struct suspect *ns = realloc(zl->sus, nc * sizeof(*ns));
		if (ns == NULL)
			return -1;
		zl->sus = ns;
		zl->capsus = nc;
	}
	zl->sus[zl->nsus].file = file;
	zl->sus[zl->nsus].line = line;
	zl->nsus++;
	return 0;
}

/* Note record r (just stored) in the set's pending index, as zoneset_finish would: records
   it leaves out (out of the zone, an SOA not at the apex) are left out here too, and each
   run of records of one owner is looked up once, so the nodes come out in the same order. */
static int
pre_index(struct zload *zl, const struct zrec *r, uint32_t hash, uint32_t rec)
{
	struct zpre *pre = &zl->zs->pre;

	if (r->owner != zl->last_idx_owner) { /* a new run of one owner */
		const uint8_t *owner = zl->z->arena + r->owner;
		size_t olen = zone_wire_len(owner, owner + 256);
		zl->last_idx_owner = r->owner;
		zl->last_node = NODE_NONE;
		zl->last_len = olen;
		zl->last_hash = hash; /* a new run starts with a record that has its hash */
		zl->last_apex = olen == zl->origin_len && zone_bytes_eq(owner, zl->origin, olen);
		zl->last_sub = zone_name_is_sub(owner, olen, zl->origin, zl->origin_len);
	}
	if (!zl->last_sub || (r->type == TYPE_SOA && !zl->last_apex))
		return 0;
	if (pre->n == pre->cap) {
		size_t nc = pre->cap ? pre->cap * 2 : 4096;
		struct zitem *ni = realloc(pre->items, nc * sizeof(*ni));
		uint32_t *nr;
		if (ni == NULL)
			return -1;
		pre->items = ni;
		nr = realloc(pre->recnode, nc * sizeof(*nr));
		if (nr == NULL)
			return -1;
		pre->recnode = nr;
		pre->cap = nc;
	}
	if (zl->last_node == NODE_NONE) {
		zl->last_node =
		    zone_tree_get_h(zl->zs, zl->z->arena + r->owner, zl->last_len, zl->last_hash);
		if (zl->last_node == NODE_NONE)
			return -1;
	}
	pre->items[pre->n].zone = zl->zi;
	pre->items[pre->n].rec = rec;
	pre->recnode[pre->n] = zl->last_node;
	pre->n++;
	return 0;
}

/* Grow the zone's record array and arena for one more record of olen + rdlen bytes. */
static int
zone_room(struct zone *z, size_t n)
{
	if (z->nrecs == z->caprecs) {
		size_t nc = z->caprecs ? z->caprecs * 2 : 256;
		struct zrec *nr = realloc(z->recs, nc * sizeof(*nr));
		if (nr == NULL)
			return -1;
		z->recs = nr;
		z->caprecs = nc;
	}
	return zone_arena_reserve(z, n);
}

/* Store one record in the zone (and the pending index); owner is lower-cased. */
static void
store(struct zload *zl, const struct zl_head *h, const uint8_t *owner, const uint8_t *rd)
{
	struct zone *z = zl->z;
	struct zrec *r;
	size_t olen = h->olen;

	if (atomic_load_explicit(&zl->oom, memory_order_relaxed))
		return;
	if (zone_room(z, olen + h->rdlen) != 0)
		goto oom;
	r = &z->recs[z->nrecs];
	if (h->same && zl->last_owner_len == olen) {
		r->owner = zl->last_owner;
	} else {
		r->owner = (uint32_t)z->alen;
		memcpy(z->arena + z->alen, owner, olen);
		z->alen += olen;
		zl->last_owner = r->owner;
		zl->last_owner_len = olen;
	}
	r->rdata = (uint32_t)z->alen;
	memcpy(z->arena + z->alen, rd, h->rdlen);
	rdata_lower_names(h->type, z->arena + z->alen, h->rdlen);
	z->alen += h->rdlen;
	r->rdlen = h->rdlen;
	r->ttl = h->ttl;
	r->type = h->type;
	r->line = h->line;
	r->file = h->file;
	r->skip = 0;
	r->pad = 0;
	z->nrecs++;
	if (text_may_be_split(r->type, z->arena + r->rdata, r->rdlen) &&
	    add_suspect(zl, r->file, r->line) != 0)
		goto oom;
	if (zl->zs != NULL && pre_index(zl, r, h->hash, (uint32_t)(z->nrecs - 1)) != 0)
		goto oom;
	return;
oom:
	atomic_store(&zl->oom, true);
}

/* Lower-case the owner (in place) and tell whether it is the previous record's; hash it
   when not. */
static void
prepare(struct zload *zl, struct zl_head *h, uint8_t *owner)
{
	zone_name_lower(owner, h->olen, owner);
	h->same = zl->c_len == h->olen && zone_bytes_eq(zl->c_owner, owner, h->olen);
	if (!h->same) {
		memcpy(zl->c_owner, owner, h->olen);
		zl->c_len = h->olen;
		h->hash = zone_name_hash(owner, h->olen);
	}
}

static void
store_batch(struct zload *zl, struct zl_batch *b)
{
	size_t p = 0, ahead = 0;

	while (p < b->len) {
		struct zl_head h;
		memcpy(&h, b->buf + p, sizeof(h));
		prepare(zl, &h, b->buf + p + sizeof(h));
		memcpy(b->buf + p, &h, sizeof(h));
		p += sizeof(h) + h.olen + h.rdlen;
	}
	p = 0;

	/* the name-table slot of an owner a few records on is fetched while this one is
	   stored, so that its cache miss does not stall the loop later */
	for (int i = 0; i < PREFETCH_AHEAD && ahead < b->len; i++) {
		struct zl_head h;
		memcpy(&h, b->buf + ahead, sizeof(h));
		ahead += sizeof(h) + h.olen + h.rdlen;
	}
	while (p < b->len) {
		struct zl_head h;
		if (ahead < b->len) {
			struct zl_head ha;
			memcpy(&ha, b->buf + ahead, sizeof(ha));
			if (!ha.same && zl->zs != NULL && zl->zs->htab != NULL)
				__builtin_prefetch(&zl->zs->htab[ha.hash & zl->zs->hmask]);
			ahead += sizeof(ha) + ha.olen + ha.rdlen;
		}
		memcpy(&h, b->buf + p, sizeof(h));
		p += sizeof(h);
		store(zl, &h, b->buf + p, b->buf + p + h.olen);
		p += (size_t)h.olen + h.rdlen;
	}
}

static void *
zload_thread(void *arg)
{
	struct zload *zl = arg;

	pthread_mutex_lock(&zl->mu);
	for (;;) {
		struct zl_batch *b;
		while (zl->nfull == 0 && !zl->done)
			pthread_cond_wait(&zl->cv, &zl->mu);
		if (zl->nfull == 0)
			break;
		b = &zl->b[zl->tail];
		pthread_mutex_unlock(&zl->mu);
		store_batch(zl, b);
		b->len = 0;
		pthread_mutex_lock(&zl->mu);
		zl->tail = (zl->tail + 1) % ZLOAD_BATCHES;
		zl->nfull--;
		pthread_cond_broadcast(&zl->cv);
	}
	pthread_mutex_unlock(&zl->mu);
	return NULL;
}

int
zload_begin(struct zload *zl, struct zone *z, struct zoneset *zs, uint32_t zi,
            const uint8_t *origin, size_t origin_len, bool threaded)
{
	memset(zl, 0, sizeof(*zl));
	zl->z = z;
	zl->zs = zs;
	zl->zi = zi;
	memcpy(zl->origin, origin, origin_len);
	zl->origin_len = origin_len;
	zl->last_node = NODE_NONE;
	zl->last_idx_owner = UINT32_MAX;
	atomic_init(&zl->oom, false);
	if (threaded) {
		sigset_t all, old;
		int rc;
		for (unsigned i = 0; i < ZLOAD_BATCHES; i++) {
			if ((zl->b[i].buf = malloc(BATCH_SIZE)) == NULL)
				goto inline_;
			zl->b[i].cap = BATCH_SIZE;
		}
		if (pthread_mutex_init(&zl->mu, NULL) != 0)
			goto inline_;
		if (pthread_cond_init(&zl->cv, NULL) != 0) {
			pthread_mutex_destroy(&zl->mu);
			goto inline_;
		}
		/* signals stay with the thread that loads */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		rc = pthread_create(&zl->thread, NULL, zload_thread, zl);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (rc == 0) {
			zl->threaded = true;
			return 0;
		}
		pthread_cond_destroy(&zl->cv);
		pthread_mutex_destroy(&zl->mu);
	inline_:
		for (unsigned i = 0; i < ZLOAD_BATCHES; i++) {
			free(zl->b[i].buf);
			zl->b[i].buf = NULL;
			zl->b[i].cap = 0;
		}
	}
	return 0;
}

/* memcpy for the few bytes of an owner or of most rdata, without a call: fixed-size moves,
   the last one overlapping the one before. */
static inline void
copy_small(uint8_t *d, const uint8_t *s, size_t n)
{
	if (n >= 16) {
		for (size_t i = 0; i + 16 <= n; i += 16)
			memcpy(d + i, s + i, 16);
		memcpy(d + n - 16, s + n - 16, 16);
	} else if (n >= 8) {
		memcpy(d, s, 8);
		memcpy(d + n - 8, s + n - 8, 8);
	} else if (n >= 4) {
		memcpy(d, s, 4);
		memcpy(d + n - 4, s + n - 4, 4);
	} else {
		for (size_t i = 0; i < n; i++)
			d[i] = s[i];
	}
}

/* Hand the batch being filled to the storing thread and wait for a free one. */
static void
hand_over(struct zload *zl)
{
	pthread_mutex_lock(&zl->mu);
	zl->nfull++;
	zl->head = (zl->head + 1) % ZLOAD_BATCHES;
	pthread_cond_broadcast(&zl->cv);
	while (zl->nfull == ZLOAD_BATCHES)
		pthread_cond_wait(&zl->cv, &zl->mu);
	pthread_mutex_unlock(&zl->mu);
}

void
zload_record(struct zload *zl, const uint8_t *owner, size_t olen, uint16_t type, uint32_t ttl,
             uint32_t line, uint16_t file, const uint8_t *rd, size_t rdlen)
{
	struct zl_head h;
	struct zl_batch *b;
	size_t need = sizeof(h) + olen + rdlen;

	h.ttl = ttl;
	h.line = line;
	h.type = type;
	h.rdlen = (uint16_t)rdlen;
	h.file = file;
	h.olen = (uint8_t)olen;
	h.same = 0;
	h.hash = 0;
	if (!zl->threaded) {
		uint8_t lower[256];
		memcpy(lower, owner, olen);
		prepare(zl, &h, lower);
		store(zl, &h, lower, rd);
		return;
	}
	b = &zl->b[zl->head];
	if (b->len + need > b->cap && b->len > 0) {
		hand_over(zl);
		b = &zl->b[zl->head];
	}
	if (need > b->cap) { /* one record bigger than a batch (64 KB of rdata at most) */
		uint8_t *nb = realloc(b->buf, need);
		if (nb == NULL) {
			atomic_store(&zl->oom, true);
			return;
		}
		b->buf = nb;
		b->cap = need;
	}
	memcpy(b->buf + b->len, &h, sizeof(h));
	copy_small(b->buf + b->len + sizeof(h), owner, olen);
	if (rdlen <= 256)
		copy_small(b->buf + b->len + sizeof(h) + olen, rd, rdlen);
	else
		memcpy(b->buf + b->len + sizeof(h) + olen, rd, rdlen);
	b->len += need;
}

bool
zload_failed(struct zload *zl)
{
	return atomic_load_explicit(&zl->oom, memory_order_relaxed);
}

int
zload_end(struct zload *zl)
{
	if (zl->threaded) {
		pthread_mutex_lock(&zl->mu);
		if (zl->b[zl->head].len > 0) {
			zl->nfull++;
			zl->head = (zl->head + 1) % ZLOAD_BATCHES;
		}
		zl->done = true;
		pthread_cond_broadcast(&zl->cv);
		pthread_mutex_unlock(&zl->mu);
		pthread_join(zl->thread, NULL);
		pthread_cond_destroy(&zl->cv);
		pthread_mutex_destroy(&zl->mu);
		for (unsigned i = 0; i < ZLOAD_BATCHES; i++) {
			free(zl->b[i].buf);
			zl->b[i].buf = NULL;
		}
		zl->threaded = false;
	}
	return zload_failed(zl) ? -1 : 0;
}

void
zload_free(struct zload *zl)
{
	if (zl->threaded)
		zload_end(zl);
	free(zl->sus);
	zl->sus = NULL;
	zl->nsus = zl->capsus = 0;
}
