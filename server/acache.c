/* server/acache.c -- the answer cache: a direct-mapped table of built replies keyed by the
   request bytes after the ID and their scope (zone set, world server, transport). */
#include "server/acache.h"

#include <stdlib.h>
#include <string.h>

/* One cached answer, one allocation: the key bytes, then the reply, then the qname string. */
struct acache_entry {
	uint64_t hash;          /* hash of key and scope */
	struct acache_scope sc; /* what it was built from */
	uint8_t rcode;          /* the reply's rcode */
	uint16_t key_len;       /* request bytes after the ID */
	uint16_t reply_len;     /* reply bytes */
	size_t cap;             /* bytes allocated for data */
	struct msg_query msg;   /* the request as parsed */
	uint8_t data[];         /* key, reply, qname */
};

struct acache {
	struct acache_entry *slot[ACACHE_SLOTS]; /* entries by hash; owned, NULL when empty */
	struct acache_stats st;                  /* counters */
};

struct acache *
acache_new(void)
{
	return calloc(1, sizeof(struct acache));
}

void
acache_free(struct acache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < ACACHE_SLOTS; i++)
		free(c->slot[i]);
	free(c);
}

/* A 64-bit hash of p[0..n) and the scope's server and transport, eight bytes at a time (the
   key is compared whole on a hit, so this only has to spread requests over the slots). */
static uint64_t
key_hash(const uint8_t *p, size_t n, const struct acache_scope *sc)
{
	const uint64_t m = 0x9e3779b97f4a7c15ULL;
	uint64_t h =
	    ((uint64_t)n ^ (uint64_t)(uintptr_t)sc->server ^ (sc->tcp ? 0x5bd1e995ULL : 0)) * m;
	uint64_t w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * m;
		h ^= h >> 29;
	}
	w = 0;
	memcpy(&w, p, n);
	h = (h ^ w) * m;
	return h ^ (h >> 32);
}

static bool
same_scope(const struct acache_scope *a, const struct acache_scope *b)
{
	return a->zones == b->zones && a->world == b->world && a->server == b->server &&
	       a->tcp == b->tcp;
}

bool
acache_find(struct acache *c, const struct acache_scope *sc, const uint8_t *pkt, size_t len,
            struct acache_hit *hit)
{
	const struct acache_entry *e;
	uint64_t h;

	if (len < 2 || len - 2 > ACACHE_KEY_MAX)
		return false;
	h = key_hash(pkt + 2, len - 2, sc);
	e = c->slot[h & (ACACHE_SLOTS - 1)];
	if (e == NULL || e->hash != h || e->key_len != len - 2 || !same_scope(&e->sc, sc) ||
	    memcmp(e->data, pkt + 2, len - 2) != 0) {
		c->st.misses++;
		return false;
	}
	hit->msg = &e->msg;
	hit->reply = e->data + e->key_len;
	hit->reply_len = e->reply_len;
	hit->qname = (const char *)(e->data + e->key_len + e->reply_len);
	hit->rcode = e->rcode;
	c->st.hits++;
	return true;
}

void
acache_put(struct acache *c, const struct acache_scope *sc, const uint8_t *pkt, size_t len,
           const struct msg_query *msg, const char *qname, const uint8_t *reply, size_t reply_len,
           uint8_t rcode)
{
	struct acache_entry **slot, *e;
	size_t qlen = strlen(qname) + 1, need;
	uint64_t h;

	if (len < 2 || len - 2 > ACACHE_KEY_MAX || reply_len > ACACHE_REPLY_MAX)
		return;
	h = key_hash(pkt + 2, len - 2, sc);
	slot = &c->slot[h & (ACACHE_SLOTS - 1)];
	need = (len - 2) + reply_len + qlen;
	e = *slot;
	if (e == NULL || e->cap < need) {
		struct acache_entry *n = realloc(e, sizeof(*e) + need);

		if (n == NULL)
			return; /* the old entry, if any, is still whole */
		if (e == NULL)
			c->st.entries++;
		e = *slot = n;
		e->cap = need;
	}
	e->hash = h;
	e->sc = *sc;
	e->rcode = rcode;
	e->key_len = (uint16_t)(len - 2);
	e->reply_len = (uint16_t)reply_len;
	e->msg = *msg;
	memcpy(e->data, pkt + 2, len - 2);
	memcpy(e->data + e->key_len, reply, reply_len);
	memcpy(e->data + e->key_len + reply_len, qname, qlen);
	c->st.stored++;
}

void
acache_get_stats(const struct acache *c, struct acache_stats *st)
{
	*st = c->st;
}
