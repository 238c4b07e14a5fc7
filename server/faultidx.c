/* server/faultidx.c -- the index of fault rules by name: exact names hashed, "*.name" rules
   under their name, lone "*" rules in a list of their own; a query visits only the rules
   whose name pattern can match it, still in rule order, so first-match semantics stay exact. */
#include "server/faultidx.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The rules of one (kind, name). */
struct faultidx_entry {
	char *name;                  /* lower-case name with trailing dot; owned */
	size_t len;                  /* strlen(name) */
	uint32_t hash;               /* hash of kind and name */
	bool below;                  /* FAULTIDX_BELOW (else FAULTIDX_EXACT) */
	size_t *rules;               /* rule numbers, ascending; owned */
	size_t n;                    /* entries in rules */
	size_t cap;                  /* slots allocated in rules */
	struct faultidx_entry *next; /* next entry in the same bucket; owned by the bucket */
};

struct faultidx {
	struct faultidx_entry **buckets; /* chained hash table; owned */
	size_t nbuckets;                 /* a power of two (0 before the first add) */
	size_t nentries;                 /* entries in the table */
	size_t *all;                     /* rule numbers of lone "*" rules; owned */
	size_t nall;                     /* entries in all */
	size_t capall;                   /* slots allocated in all */
};

/* FNV-1a over the name read from its end, so that one pass over a query name gives the hash of
   every suffix (faultidx_start); the kind is mixed in at the end. */
static uint32_t
hash_step(uint32_t h, unsigned char c)
{
	return (h ^ c) * 16777619u;
}

static uint32_t
hash_final(uint32_t h, bool below)
{
	h ^= below ? 0x9e3779b9u : 0;
	h *= 0x85ebca6bu;
	return h ^ (h >> 16);
}

static uint32_t
hash_name(bool below, const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = len; i > 0; i--)
		h = hash_step(h, (unsigned char)s[i - 1]);
	return hash_final(h, below);
}

struct faultidx *
faultidx_new(void)
{
	return calloc(1, sizeof(struct faultidx));
}

void
faultidx_clear(struct faultidx *x)
{
	for (size_t b = 0; b < x->nbuckets; b++) {
		struct faultidx_entry *e = x->buckets[b], *nx;
		for (; e; e = nx) {
			nx = e->next;
			free(e->name);
			free(e->rules);
			free(e);
		}
	}
	free(x->buckets);
	free(x->all);
	memset(x, 0, sizeof(*x));
}

void
faultidx_free(struct faultidx *x)
{
	if (x == NULL)
		return;
	faultidx_clear(x);
	free(x);
}

static int
push(size_t **v, size_t *n, size_t *cap, size_t rule)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		size_t *nv = realloc(*v, nc * sizeof(*nv));
		if (nv == NULL)
			return -1;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = rule;
	return 0;
}

static const struct faultidx_entry *
find(const struct faultidx *x, bool below, const char *name, size_t len, uint32_t h)
{
	if (x->nbuckets == 0)
		return NULL;
	for (const struct faultidx_entry *e = x->buckets[h & (x->nbuckets - 1)]; e; e = e->next)
		if (e->hash == h && e->below == below && e->len == len &&
		    memcmp(e->name, name, len) == 0)
			return e;
	return NULL;
}

static int
grow(struct faultidx *x)
{
	size_t nb = x->nbuckets ? x->nbuckets * 2 : 64;
	struct faultidx_entry **t = calloc(nb, sizeof(*t));

	if (t == NULL)
		return -1;
	for (size_t b = 0; b < x->nbuckets; b++) {
		struct faultidx_entry *e = x->buckets[b], *nx;
		for (; e; e = nx) {
			nx = e->next;
			e->next = t[e->hash & (nb - 1)];
			t[e->hash & (nb - 1)] = e;
		}
	}
	free(x->buckets);
	x->buckets = t;
	x->nbuckets = nb;
	return 0;
}

int
faultidx_add(struct faultidx *x, enum faultidx_kind kind, const char *name, size_t rule)
{
	bool below = kind == FAULTIDX_BELOW;
	size_t len;
	uint32_t h;
	struct faultidx_entry *e;

	if (kind == FAULTIDX_ALL)
		return push(&x->all, &x->nall, &x->capall, rule);
	len = strlen(name);
	h = hash_name(below, name, len);
	e = (struct faultidx_entry *)find(x, below, name, len, h);
	if (e == NULL) {
		if (x->nentries >= x->nbuckets && grow(x) < 0)
			return -1;
		if ((e = calloc(1, sizeof(*e))) == NULL || (e->name = strdup(name)) == NULL) {
			free(e);
			return -1;
		}
		e->len = len;
		e->hash = h;
		e->below = below;
		e->next = x->buckets[h & (x->nbuckets - 1)];
		x->buckets[h & (x->nbuckets - 1)] = e;
		x->nentries++;
	}
	return push(&e->rules, &e->n, &e->cap, rule);
}

static void
add_list(struct faultidx_iter *it, const size_t *v, size_t n)
{
	if (n == 0 || it->nlists >= FAULTIDX_MAX_LISTS)
		return;
	it->lists[it->nlists].v = v;
	it->lists[it->nlists].n = n;
	it->lists[it->nlists].pos = 0;
	it->nlists++;
}

/* Is the character at i preceded by an odd run of backslashes (an escaped dot)? */
static bool
escaped(const char *s, size_t i)
{
	size_t bs = 0;

	while (bs < i && s[i - 1 - bs] == '\\')
		bs++;
	return bs % 2 == 1;
}

void
faultidx_start(const struct faultidx *x, const char *qname, struct faultidx_iter *it)
{
	const struct faultidx_entry *e;
	uint32_t h = 2166136261u;
	size_t len;

	it->nlists = 0;
	add_list(it, x->all, x->nall);
	if (qname == NULL || x->nentries == 0)
		return;
	len = strlen(qname);
	/* "*.name" for every proper ancestor (the suffix after each unescaped dot, "." for the
	   last one), found while hashing the name from its end; then the name itself */
	if (strcmp(qname, ".") != 0 &&
	    (e = find(x, true, ".", 1, hash_final(hash_step(h, '.'), true))) != NULL)
		add_list(it, e->rules, e->n);
	for (size_t i = len; i > 0; i--) {
		h = hash_step(h, (unsigned char)qname[i - 1]);
		if (i - 1 > 0 && qname[i - 2] == '.' && !escaped(qname, i - 2) && i - 1 < len - 1 &&
		    (e = find(x, true, qname + i - 1, len - i + 1, hash_final(h, true))) != NULL)
			add_list(it, e->rules, e->n);
	}
	if ((e = find(x, false, qname, len, hash_final(h, false))) != NULL)
		add_list(it, e->rules, e->n);
}

bool
faultidx_next(struct faultidx_iter *it, size_t *rule)
{
	size_t best = SIZE_MAX, bi = 0;

	for (size_t i = 0; i < it->nlists; i++) {
		const struct faultidx_list *l = &it->lists[i];
		if (l->pos < l->n && l->v[l->pos] < best) {
			best = l->v[l->pos];
			bi = i;
		}
	}
	if (best == SIZE_MAX)
		return false;
	it->lists[bi].pos++;
	*rule = best;
	return true;
}
