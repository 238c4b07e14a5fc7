/* server/zone.c -- the zone store: zone files read with libzscanner into compact wire-format
   RRsets indexed by owner name in one hash-indexed name tree (like NSD's domain table), several
   zones served together, the deepest enclosing zone answering. */
#include "server/zone.h"
#include "server/zone_int.h"
#include "server/dnssec.h"
#include "server/msg.h"
#include "common/file.h"
#include "server/zoneerr.h"
#include "server/zload.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <ldns/ldns.h>
#include <libzscanner/scanner.h>

#define DEFAULT_TTL     3600
#define MAX_LOAD_ERRORS 100
/* Origin given to the scanner while probing for $ORIGIN / the SOA owner. */
#define SENTINEL_ORIGIN "mxlab-origin-unset.invalid."

/* ---- names ---------------------------------------------------------------------------- */

uint32_t
zone_name_hash(const uint8_t *name, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= name[i];
		h *= 16777619u;
	}
	return h ^ (h >> 15);
}

void
zone_name_lower(const uint8_t *name, size_t len, uint8_t *out)
{
	size_t p = 0;

	while (p < len) {
		uint8_t l = name[p];
		out[p++] = l;
		if (l == 0)
			break;
		for (uint8_t i = 0; i < l && p < len; i++, p++) {
			uint8_t c = name[p];
			out[p] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
		}
	}
}

size_t
zone_wire_len(const uint8_t *p, const uint8_t *end)
{
	const uint8_t *s = p;

	while (p < end) {
		if (*p == 0)
			return (size_t)(p - s) + 1;
		if (*p & 0xc0)
			return 0;
		p += *p + 1;
	}
	return 0;
}

bool
zone_name_is_sub(const uint8_t *name, size_t len, const uint8_t *origin, size_t olen)
{
	size_t p = 0;

	if (len < olen)
		return false;
	while (len - p > olen)
		p += (size_t)name[p] + 1;
	return len - p == olen && zone_bytes_eq(name + p, origin, olen);
}

/* Mnemonic of a record type ("MX", "TYPE65280" for types without one) into buf. */
static const char *
type_str(uint16_t type, char *buf, size_t len)
{
	char *t = ldns_rr_type2str((ldns_rr_type)type);

	snprintf(buf, len, "%s", t ? t : "?");
	free(t);
	return buf;
}

/* ---- the name tree -------------------------------------------------------------------- */

uint32_t
zone_node_find(const struct zoneset *zs, const uint8_t *name, size_t len, uint32_t hash)
{
	if (zs->htab == NULL)
		return NODE_NONE;
	for (uint32_t b = hash & zs->hmask;; b = (b + 1) & zs->hmask) {
		const struct zslot *sl = &zs->htab[b];
		const struct node *nd;
		if (sl->node == NODE_NONE)
			return NODE_NONE;
		if (sl->hash != hash)
			continue;
		nd = &zs->nodes[sl->node];
		if (nd->namelen == len && zone_bytes_eq(zs->names + nd->name, name, len))
			return sl->node;
	}
}

/* Put node n (name hash h) into a free slot; the table has one. */
static void
slot_put(struct zslot *tab, uint32_t mask, uint32_t n, uint32_t h)
{
	uint32_t b = h & mask;

	while (tab[b].node != NODE_NONE)
		b = (b + 1) & mask;
	tab[b].node = n;
	tab[b].hash = h;
}

static int
tree_rehash(struct zoneset *zs, uint32_t slots)
{
	struct zslot *nt = malloc((size_t)slots * sizeof(*nt));

	if (nt == NULL)
		return -1;
	memset(nt, 0xff, (size_t)slots * sizeof(*nt));
	if (zs->htab != NULL) {
		for (uint32_t b = 0; b <= zs->hmask; b++)
			if (zs->htab[b].node != NODE_NONE)
				slot_put(nt, slots - 1, zs->htab[b].node, zs->htab[b].hash);
	} else {
		for (uint32_t n = 0; n < zs->nnodes; n++)
			slot_put(
			    nt, slots - 1, n,
			    zone_name_hash(zs->names + zs->nodes[n].name, zs->nodes[n].namelen));
	}
	free(zs->htab);
	zs->htab = nt;
	zs->hmask = slots - 1;
	return 0;
}

/* Does the table need more slots before one more name goes in (load above 0.7)? */
static bool
tree_full(const struct zoneset *zs)
{
	return zs->htab == NULL || ((uint64_t)zs->nnodes + 1) * 10 > ((uint64_t)zs->hmask + 1) * 7;
}

uint32_t
zone_tree_get_h(struct zoneset *zs, const uint8_t *name, size_t len, uint32_t h)
{
	uint32_t n = zone_node_find(zs, name, len, h);
	uint32_t parent = NODE_NONE;
	struct node *nd;

	if (n != NODE_NONE)
		return n;
	if (len > 1) {
		/* names made one after the other mostly share their parent: compare with the
		   last one before hashing and looking it up */
		const uint8_t *pn = name + name[0] + 1;
		size_t pl = len - name[0] - 1u;
		const struct node *pc = zs->pcache < zs->nnodes ? &zs->nodes[zs->pcache] : NULL;
		if (pc != NULL && pc->namelen == pl &&
		    zone_bytes_eq(zs->names + pc->name, pn, pl)) {
			parent = zs->pcache;
		} else {
			parent = zone_tree_get(zs, pn, pl);
			if (parent == NODE_NONE)
				return NODE_NONE;
			zs->pcache = parent;
		}
	}
	if (zs->nnodes == zs->capnodes) {
		uint32_t nc = zs->capnodes ? zs->capnodes * 2 : 1024;
		struct node *nn = realloc(zs->nodes, (size_t)nc * sizeof(*nn));
		if (nn == NULL)
			return NODE_NONE;
		zs->nodes = nn;
		zs->capnodes = nc;
	}
	if (zs->nlen + len > zs->ncap) {
		size_t nc = zs->ncap ? zs->ncap * 2 : 65536;
		uint8_t *nb;
		while (nc < zs->nlen + len)
			nc *= 2;
		nb = realloc(zs->names, nc);
		if (nb == NULL)
			return NODE_NONE;
		zs->names = nb;
		zs->ncap = nc;
	}
	if (tree_full(zs) && tree_rehash(zs, zs->htab ? (zs->hmask + 1) * 2 : 4096) != 0)
		return NODE_NONE;
	n = zs->nnodes++;
	nd = &zs->nodes[n];
	memset(nd, 0, sizeof(*nd));
	nd->name = (uint32_t)zs->nlen;
	memcpy(zs->names + zs->nlen, name, len);
	zs->nlen += len;
	nd->namelen = (uint8_t)len;
	nd->parent = parent;
	slot_put(zs->htab, zs->hmask, n, h);
	if (parent == NODE_NONE)
		zs->root = n;
	return n;
}

uint32_t
zone_tree_get(struct zoneset *zs, const uint8_t *name, size_t len)
{
	return zone_tree_get_h(zs, name, len, zone_name_hash(name, len));
}

/* Records of the served zones from first on (not dup) whose owner differs from the record
   before: about the names the index will hold besides those entered while loading (zones
   before first). Only the records read from files count: the ones the signer added are at
   names already there (RRSIG, NSEC) or few, and counting each of them as a name would make
   the table several times too big (the table grows when it must). */
static size_t
owner_runs(const struct zoneset *zs, const bool *dup, size_t first)
{
	size_t n = 0;

	for (size_t i = first; i < zs->nzones; i++) {
		const struct zone *z = zs->zones[i];
		uint32_t last = UINT32_MAX;
		if (dup[i])
			continue;
		for (size_t r = 0; r < z->nread && r < z->nrecs; r++) {
			n += z->recs[r].owner != last;
			last = z->recs[r].owner;
		}
	}
	return n;
}

#define PREFETCH_AHEAD 8 /* records ahead whose hash bucket the indexer prefetches */

/* Room for about want names (owners seen, their ancestors, rdata targets) before indexing
   starts, so that the hash table is not rebuilt and the arrays not copied as they grow. */
static int
tree_reserve(struct zoneset *zs, size_t want)
{
	uint32_t buckets = 4096;

	if (want > UINT32_MAX / 4)
		return 0; /* grown on demand (and refused there) */
	while ((uint64_t)buckets * 7 < (uint64_t)want * 10)
		buckets *= 2;
	if (zs->capnodes < want) {
		struct node *nn = realloc(zs->nodes, want * sizeof(*nn));
		if (nn == NULL)
			return -1;
		zs->nodes = nn;
		zs->capnodes = (uint32_t)want;
	}
	if (zs->ncap < want * 16) {
		uint8_t *nb = realloc(zs->names, want * 16);
		if (nb == NULL)
			return -1;
		zs->names = nb;
		zs->ncap = want * 16;
	}
	if (zs->htab == NULL || zs->hmask + 1 < buckets)
		return tree_rehash(zs, buckets);
	return 0;
}

const struct rrset *
zone_rrset_find(const struct zoneset *zs, uint32_t n, uint32_t z, uint16_t type)
{
	if (n == NODE_NONE)
		return NULL;
	for (uint32_t off = zs->nodes[n].rrsets; off;) {
		const struct rrset *rs = zone_rrset_at(zs, off);
		if (rs->type == type && rs->zone == z)
			return rs;
		off = rs->next;
	}
	return NULL;
}

/* ---- reading zone files --------------------------------------------------------------- */

/* The zone file syntax is libzscanner's; where it and NSD 4.6 could differ on a valid zone we
   checked NSD: $ORIGIN, $TTL and $INCLUDE behave alike; without $TTL both give 3600; the class
   may be left out; RFC 3597 "\# len hex" data and escaped dots/spaces in names load the same.
   $GENERATE is refused by both (NSD: unknown directive; zscanner: invalid directive), so we
   leave it refused rather than expand it. Left as they are: the obsolete MB, MG, MR and PX
   types, which zscanner does not know (an error here, a warning in NSD). What zscanner accepts
   and NSD refuses is caught after reading: strings over 255 characters (check_suspects). */

struct loadctx {
	struct zone *z;       /* zone being filled */
	struct diag *d;       /* where problems go */
	const char *name;     /* file name (or text name) for messages */
	const char *cur_name; /* file read now, for messages (name or an $INCLUDE); borrowed */
	uint16_t cur_file;    /* its index in z->files */
	const char *cur_text; /* text of that file (error lines are quoted from it); borrowed */
	size_t cur_len;       /* its length */
	bool from_api;        /* zone text from the control API: $INCLUDE is refused */
	unsigned depth;       /* $INCLUDE nesting now */
	size_t bytes;         /* bytes of zone text read for this zone, all files together */
	size_t errors;        /* errors reported so far */
	bool oom;             /* ran out of memory */
	bool stop;            /* gave up (too many errors): stop every scanner */
	struct zload zl;      /* stores the records parsed (zload.c); its suspects owned */
};

/* Drop one reference to a zone's records as read; true when it was the last (the caller then
   frees them). */
static bool
zone_share_put(struct zone_share *sh)
{
	if (sh == NULL)
		return true;
	if (atomic_fetch_sub_explicit(&sh->refs, 1, memory_order_acq_rel) != 1)
		return false;
	free(sh);
	return true;
}

static void
zone_free(struct zone *z)
{
	if (z == NULL)
		return;
	zowner_free(z);
	if (zone_share_put(z->share)) {
		for (size_t i = 0; i < z->nfiles; i++)
			free(z->files[i].path);
		free(z->files);
		free(z->recs);
		free(z->arena);
		free(z->stamps);
	}
	free(z);
}

/* Make zone z's records its own before they change: a copy when another set shares them.
   The stamps go: the zone is no longer what its files say. 0, -1 when out of memory. */
static int
zone_unshare(struct zone *z)
{
	struct zone_file *files = NULL;
	struct zrec *recs = NULL;
	uint8_t *arena = NULL;

	if (z->share != NULL && atomic_load_explicit(&z->share->refs, memory_order_acquire) == 1) {
		free(z->share); /* the last holder: nobody else can take a reference now */
		z->share = NULL;
	}
	if (z->share == NULL) {
		free(z->stamps);
		z->stamps = NULL;
		return 0;
	}
	files = calloc(z->nfiles ? z->nfiles : 1, sizeof(*files));
	recs = malloc((z->nrecs ? z->nrecs : 1) * sizeof(*recs));
	arena = malloc(z->alen ? z->alen : 1);
	if (files == NULL || recs == NULL || arena == NULL)
		goto oom;
	for (size_t i = 0; i < z->nfiles; i++)
		if ((files[i].path = strdup(z->files[i].path)) == NULL)
			goto oom;
	memcpy(recs, z->recs, z->nrecs * sizeof(*recs));
	memcpy(arena, z->arena, z->alen);
	zone_share_put(z->share); /* not the last: the other holders keep the old ones */
	z->share = NULL;
	z->files = files;
	z->recs = recs;
	z->caprecs = z->nrecs ? z->nrecs : 1;
	z->arena = arena;
	z->acap = z->alen ? z->alen : 1;
	z->stamps = NULL;
	return 0;
oom:
	for (size_t i = 0; files != NULL && i < z->nfiles; i++)
		free(files[i].path);
	free(files);
	free(recs);
	free(arena);
	return -1;
}

unsigned
zone_share_refs(const struct zoneset *zs, size_t zi)
{
	if (zs == NULL || zi >= zs->nzones)
		return 0;
	return zs->zones[zi]->share
	           ? atomic_load_explicit(&zs->zones[zi]->share->refs, memory_order_acquire)
	           : 1;
}

static int
zone_add_file_name(struct zone *z, const char *path)
{
	struct zone_file *nf = realloc(z->files, (z->nfiles + 1) * sizeof(*nf));

	if (nf == NULL)
		return -1;
	z->files = nf;
	z->files[z->nfiles].path = strdup(path);
	if (z->files[z->nfiles].path == NULL)
		return -1;
	z->nfiles++;
	return (int)z->nfiles - 1;
}

/* Index of the file the scanner reads now ($INCLUDE makes it another one). */
static uint16_t
load_file_index(struct loadctx *c, zs_scanner_t *s)
{
	(void)s;
	return c->cur_file;
}

static const char *
load_file_name(struct loadctx *c, zs_scanner_t *s)
{
	(void)s;
	return c->cur_name ? c->cur_name : c->name;
}

/* Make the byte buffer *buf (len used of *cap) hold n more bytes, doubling from 64 KiB;
   offsets into it are 32-bit, so it never grows past 4 GiB. 0 ok, -1 when it cannot. */
static int
bytes_reserve(uint8_t **buf, size_t *cap, size_t len, size_t n)
{
	size_t nc;
	uint8_t *nb;

	if (len + n <= *cap)
		return 0;
	nc = *cap ? *cap * 2 : 65536;
	while (nc < len + n)
		nc *= 2;
	if (nc > UINT32_MAX)
		return -1;
	if ((nb = realloc(*buf, nc)) == NULL)
		return -1;
	*buf = nb;
	*cap = nc;
	return 0;
}

int
zone_arena_reserve(struct zone *z, size_t n)
{
	return bytes_reserve(&z->arena, &z->acap, z->alen, n);
}

static void
load_error_cb(zs_scanner_t *s)
{
	struct loadctx *c = s->process.data;

	char msg[512];
	size_t ll = 0;
	const char *line =
	    zoneerr_line(c->cur_text, c->cur_len, (unsigned long)s->line_counter, &ll);

	c->errors++;
	zoneerr_describe(s->error.code, zs_strerror(s->error.code), line, ll, msg, sizeof(msg));
	diag_add(c->d, DIAG_ERROR, load_file_name(c, s), (unsigned long)s->line_counter, NULL, "%s",
	         msg);
	if (c->errors >= MAX_LOAD_ERRORS) {
		diag_add(c->d, DIAG_ERROR, load_file_name(c, s), (unsigned long)s->line_counter,
		         NULL, "too many errors, giving up on this file");
		s->state = ZS_STATE_STOP;
		c->stop = true;
	}
}

/* Where the domain names in rdata of a type are: returns how many follow each other from
   *first (0: the type has none, or none NSD treats as a name), and *compress says whether NSD
   writes them compressed (RFC 1035 types). NSD keeps all of them in its domain table; the ones
   it does not compress are in the tree too (for the additional section of SRV, KX and RT, and
   so the tree holds the names NSD's does). The names RRSIG, SIG and NSEC carry are literal data
   there, not listed here. */
int
zone_rdata_names(uint16_t type, const uint8_t *rd, size_t len, size_t *first, bool *compress)
{
	*first = 0;
	*compress = true;
	switch (type) {
	case 2:  /* NS */
	case 3:  /* MD */
	case 4:  /* MF */
	case 5:  /* CNAME */
	case 7:  /* MB */
	case 8:  /* MG */
	case 9:  /* MR */
	case 12: /* PTR */
		return 1;
	case 6:  /* SOA */
	case 14: /* MINFO */
		return 2;
	case 15: /* MX */
		*first = 2;
		return 1;
	case 30: /* NXT (then a bitmap) */
	case 39: /* DNAME */
		*compress = false;
		return 1;
	case 17: /* RP */
		*compress = false;
		return 2;
	case 18:  /* AFSDB */
	case 21:  /* RT */
	case 36:  /* KX */
	case 64:  /* SVCB (then parameters) */
	case 65:  /* HTTPS */
	case 107: /* LP */
		*first = 2;
		*compress = false;
		return 1;
	case 26: /* PX */
		*first = 2;
		*compress = false;
		return 2;
	case 33: /* SRV */
		*first = 6;
		*compress = false;
		return 1;
	case 35: /* NAPTR: order, preference, flags, services, regexp, replacement */
		*first = 4;
		for (int i = 0; i < 3 && *first < len; i++)
			*first += (size_t)rd[*first] + 1;
		*compress = false;
		return 1;
	default:
		return 0;
	}
}

static void
load_record_cb(zs_scanner_t *s)
{
	struct loadctx *c = s->process.data;
	size_t olen = s->r_owner_length;

	if (c->oom)
		return;
	if (s->r_class != CLASS_IN) {
		c->errors++;
		diag_add(c->d, DIAG_ERROR, load_file_name(c, s), (unsigned long)s->line_counter,
		         NULL, "class %u not supported (only IN)", s->r_class);
		return;
	}
	if (olen == 0 || olen > 255 || s->r_data_length > UINT16_MAX) {
		c->errors++;
		diag_add(c->d, DIAG_ERROR, load_file_name(c, s), (unsigned long)s->line_counter,
		         NULL, "record too long");
		return;
	}
	zload_record(&c->zl, s->r_owner, olen, s->r_type, s->r_ttl, (uint32_t)s->line_counter,
	             load_file_index(c, s), s->r_data, s->r_data_length);
	if (zload_failed(&c->zl))
		c->oom = true;
}

static void index_free(struct zoneset *zs);

/* Forget the index started while loading (and the names it entered): the records changed,
   or a zone it covered was not added. zoneset_finish then indexes every zone itself. */
static void
pre_discard(struct zoneset *zs)
{
	index_free(zs);
	free(zs->pre.items);
	free(zs->pre.recnode);
	memset(&zs->pre, 0, sizeof(zs->pre));
}

int
zone_append_rr(struct zoneset *zs, size_t zi, const uint8_t *owner, size_t olen, uint16_t type,
               uint32_t ttl, const uint8_t *rd, size_t rdlen)
{
	struct zone *z;
	struct zrec *r;
	uint32_t own;

	if (zi >= zs->nzones || olen == 0 || olen > 255 || rdlen > UINT16_MAX)
		return -1;
	if (zs->pre.nzones > 0)
		pre_discard(zs);
	z = zs->zones[zi];
	if (zone_unshare(z) != 0)
		return -1;
	if (z->nrecs == z->caprecs) {
		size_t nc = z->caprecs ? z->caprecs * 2 : 256;
		struct zrec *nr = realloc(z->recs, nc * sizeof(*nr));
		if (nr == NULL)
			return -1;
		z->recs = nr;
		z->caprecs = nc;
	}
	if (zone_arena_reserve(z, olen + rdlen) != 0)
		return -1;
	zone_name_lower(owner, olen, z->arena + z->alen);
	/* records at a name already there (the signer's RRSIG and NSEC) share its name */
	own = zowner_intern(z, olen);
	if (own == z->alen)
		z->alen += olen;
	r = &z->recs[z->nrecs++];
	memset(r, 0, sizeof(*r));
	r->owner = own;
	r->rdata = (uint32_t)z->alen;
	memcpy(z->arena + z->alen, rd, rdlen);
	z->alen += rdlen;
	r->rdlen = (uint16_t)rdlen;
	r->ttl = ttl;
	r->type = type;
	return 0;
}

int
zone_drop_rrs(struct zoneset *zs, size_t zi, bool (*keep)(const struct zone_rr *rr, void *arg),
              void *arg)
{
	struct zone *z;
	size_t k, n;

	if (zi >= zs->nzones)
		return -1;
	z = zs->zones[zi];
	for (k = 0, n = 0; k < z->nrecs; k++) {
		const struct zrec *r = &z->recs[k];
		struct zone_rr rr = {.owner = z->arena + r->owner,
		                     .type = r->type,
		                     .ttl = r->ttl,
		                     .rdata = z->arena + r->rdata,
		                     .rdlen = r->rdlen,
		                     .file = z->files[r->file].path,
		                     .line = r->line,
		                     .origin = z->origin,
		                     .server = z->server};
		if (keep(&rr, arg)) {
			if (n != k)
				z->recs[n] =
				    z->recs[k]; /* only once a record went: the zone is its own */
			n++;
			continue;
		}
		if (n == k && zone_unshare(z) != 0)
			return -1; /* the first record to go: the copy keeps every record so far */
	}
	if (n != z->nrecs)
		zs->finished = false;
	z->nrecs = n; /* the arena keeps the bytes of the dropped records until the zone goes */
	return 0;
}

/* ---- reading: the scanner driven record by record, $INCLUDE handled here ------------------ */

#define MAX_INCLUDE_DEPTH 16

static void load_error_at(struct loadctx *c, zs_scanner_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
load_error_at(struct loadctx *c, zs_scanner_t *s, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->errors++;
	diag_add(c->d, DIAG_ERROR, load_file_name(c, s), (unsigned long)s->line_counter, NULL, "%s",
	         msg);
}

static void scan_input(struct loadctx *c, zs_scanner_t *s);

/* Relative $INCLUDE names are relative to the directory of the file that includes them (as
   libzscanner does for the files it opens itself); s reads file from a string. -1: no memory. */
static int
scan_set_dir(zs_scanner_t *s, const char *file)
{
	const char *slash = strrchr(file, '/');
	char *dir = slash == NULL   ? strdup(".")
	            : slash == file ? strdup("/")
	                            : strndup(file, (size_t)(slash - file));

	if (dir == NULL)
		return -1;
	free(s->path);
	s->path = dir;
	return 0;
}

/* Index of path in the zone's files, added when new; -1 when out of memory. */
static int
file_index(struct zone *z, const char *path)
{
	for (size_t k = 0; k < z->nfiles; k++)
		if (strcmp(z->files[k].path, path) == 0)
			return (int)k;
	if (z->nfiles >= UINT16_MAX)
		return -1;
	return zone_add_file_name(z, path);
}

/* $INCLUDE FILE [ORIGIN] just scanned by s: FILE (relative to the directory of the file that
   includes it, as Knot does) is read like a zone file -- non-blocking, a regular file, within
   what is left of the zone's size limit -- and its records loaded with ORIGIN. Zone text from
   the control API includes nothing: it would let an API client read the server's files. */
static void
load_include(struct loadctx *c, zs_scanner_t *s)
{
	const char *inc = s->include_filename;
	const char *saved_name = c->cur_name, *saved_text = c->cur_text;
	size_t saved_len = c->cur_len;
	uint16_t saved_file = c->cur_file;
	char path[4096], err[256];
	zs_scanner_t *ss;
	char *buf;
	size_t len;
	int idx;

	if (c->from_api) {
		load_error_at(c, s, "$INCLUDE is not allowed in zone text sent to the control API");
		return;
	}
	if (c->depth >= MAX_INCLUDE_DEPTH) {
		load_error_at(c, s, "$INCLUDE %s: includes nested more than %d deep", inc,
		              MAX_INCLUDE_DEPTH);
		return;
	}
	/* libzscanner made a relative name relative to s->path (scan_set_dir) */
	if (strlen(inc) + 1 > sizeof(path)) {
		load_error_at(c, s, "$INCLUDE: file name too long");
		return;
	}
	memcpy(path, inc, strlen(inc) + 1);
	if (c->bytes >= FILE_ZONE_MAX ||
	    file_read(path, FILE_ZONE_MAX - c->bytes, &buf, &len, err, sizeof(err)) < 0) {
		load_error_at(c, s, "$INCLUDE %s: %s", path,
		              c->bytes >= FILE_ZONE_MAX ? "the zone's files are too large" : err);
		return;
	}
	c->bytes += len;
	{
		unsigned long bl;
		unsigned bb;
		if (zoneerr_binary(buf, len, &bl, &bb)) {
			load_error_at(c, s,
			              "$INCLUDE %s: a binary file, not zone file text (byte 0x%02X "
			              "on its line %lu)",
			              path, bb, bl);
			free(buf);
			return;
		}
	}
	if ((idx = file_index(c->z, path)) < 0 || (ss = calloc(1, sizeof(*ss))) == NULL) {
		free(buf);
		c->oom = true;
		return;
	}
	if (zs_init(ss, (const char *)s->buffer, s->default_class, s->default_ttl) != 0 ||
	    zs_set_input_string(ss, buf, len) != 0 || scan_set_dir(ss, path) != 0 ||
	    zs_set_processing(ss, load_record_cb, load_error_cb, c) != 0) {
		load_error_at(c, s, "$INCLUDE %s: %s", path, zs_strerror(ss->error.code));
	} else {
		c->cur_file = (uint16_t)idx;
		c->cur_name = c->z->files[idx].path;
		c->cur_text = buf;
		c->cur_len = len;
		c->depth++;
		scan_input(c, ss);
		c->depth--;
		c->cur_file = saved_file;
		c->cur_name = saved_name;
		c->cur_text = saved_text;
		c->cur_len = saved_len;
	}
	zs_deinit(ss);
	free(ss);
	free(buf);
}

/* Feed every record of s to the loader (manual mode, so that libzscanner never opens an
   $INCLUDE file itself). */
static void
scan_input(struct loadctx *c, zs_scanner_t *s)
{
	while (!c->oom && !c->stop && zs_parse_record(s) == 0) {
		switch (s->state) {
		case ZS_STATE_DATA:
			load_record_cb(s);
			break;
		case ZS_STATE_ERROR:
			load_error_cb(s);
			break;
		case ZS_STATE_INCLUDE:
			load_include(c, s);
			break;
		default: /* EOF, STOP */
			return;
		}
	}
}

/* First pass: find the origin. */
struct probe {
	uint8_t origin[256]; /* origin found, wire */
	size_t len;          /* its length, 0 when none */
	bool relative_soa;   /* SOA owner relative without $ORIGIN */
};

/* SENTINEL_ORIGIN in wire form */
static const uint8_t sentinel_wire[] = "\022mxlab-origin-unset\007invalid";
static const size_t sentinel_len = sizeof(sentinel_wire); /* the NUL is the root label */

static bool
ends_with_sentinel(const uint8_t *name, size_t len)
{
	return len >= sentinel_len &&
	       memcmp(name + len - sentinel_len, sentinel_wire, sentinel_len) == 0;
}

static void
probe_record_cb(zs_scanner_t *s)
{
	struct probe *p = s->process.data;

	if (p->len > 0 || p->relative_soa) { /* already decided (inside an $INCLUDE) */
		s->state = ZS_STATE_STOP;
		return;
	}
	if (s->zone_origin_length != sentinel_len ||
	    memcmp(s->zone_origin, sentinel_wire, sentinel_len) != 0) {
		/* a $ORIGIN came before this record: that is the zone's origin */
		p->len = s->zone_origin_length;
		memcpy(p->origin, s->zone_origin, p->len);
		s->state = ZS_STATE_STOP;
		return;
	}
	if (s->r_type == TYPE_SOA) {
		if (ends_with_sentinel(s->r_owner, s->r_owner_length)) {
			p->relative_soa = true;
		} else {
			p->len = s->r_owner_length;
			memcpy(p->origin, s->r_owner, p->len);
		}
		s->state = ZS_STATE_STOP;
	}
}

static void
probe_error_cb(zs_scanner_t *s)
{
	(void)s; /* reported by the real pass */
}

static int
str_to_wire(const char *str, uint8_t *out, size_t *len)
{
	size_t o = 0;
	const char *p = str;

	if (strcmp(str, ".") == 0) {
		out[0] = 0;
		*len = 1;
		return 0;
	}
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		if (l == 0 || l > 63 || o + l + 2 > 255)
			return -1;
		out[o++] = (uint8_t)l;
		memcpy(out + o, p, l);
		o += l;
		p += l;
		if (*p == '.')
			p++;
	}
	out[o++] = 0;
	*len = o;
	return 0;
}

/* The zone's origin (spec: its $ORIGIN, else the owner of its SOA). Files whose SOA owner is
   relative and that have no $ORIGIN get the origin from the file name: "example.test.zone"
   -> "example.test." (the text name for zoneset_add_text). Result is presentation form. */
static void
find_origin(const char *name, const char *text, size_t textlen, char *origin, size_t olen)
{
	zs_scanner_t *s = calloc(1, sizeof(*s));
	struct probe p;
	char tmp[1025];

	memset(&p, 0, sizeof(p));
	origin[0] = '\0';
	if (s != NULL && zs_init(s, SENTINEL_ORIGIN, CLASS_IN, DEFAULT_TTL) == 0) {
		/* manual mode: an $INCLUDE is never opened here (the SOA of a zone without
		   $ORIGIN is looked for in its own file) */
		if (zs_set_input_string(s, text, textlen) == 0 &&
		    zs_set_processing(s, probe_record_cb, probe_error_cb, &p) == 0)
			while (zs_parse_record(s) == 0 && s->state != ZS_STATE_EOF &&
			       s->state != ZS_STATE_STOP)
				if (s->state == ZS_STATE_DATA)
					probe_record_cb(s);
		zs_deinit(s);
	}
	free(s);
	if (p.len > 0) {
		msg_name_to_str(p.origin, tmp, sizeof(tmp));
		snprintf(origin, olen, "%s", tmp);
		return;
	}
	/* Fall back to the file name. */
	{
		const char *base = strrchr(name, '/');
		size_t l;
		base = base ? base + 1 : name;
		l = strlen(base);
		if (l > 5 && strcmp(base + l - 5, ".zone") == 0)
			l -= 5;
		if (l == 0 || l + 2 > olen)
			snprintf(origin, olen, ".");
		else if (base[l - 1] == '.')
			snprintf(origin, olen, "%.*s", (int)l, base);
		else
			snprintf(origin, olen, "%.*s.", (int)l, base);
	}
}

/* Give back the unused end of a grown array (cap counts elements of size sz). */
static void
shrink(void **p, size_t used, size_t *cap, size_t sz)
{
	void *n;

	if (used == 0 || used >= *cap * sz)
		return;
	n = realloc(*p, used);
	if (n != NULL) {
		*p = n;
		*cap = used / sz;
	}
}

/* Is the token (len bytes) a class or a TTL, the fields between owner and type? */
static bool
is_class_or_ttl(const char *t, size_t len)
{
	static const char *const classes[] = {"IN", "CH", "HS", "CS", "NONE", "ANY"};

	if (len > 0 && isdigit((unsigned char)t[0]))
		return true;
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (strlen(classes[i]) == len && strncasecmp(t, classes[i], len) == 0)
			return true;
	return len > 5 && strncasecmp(t, "CLASS", 5) == 0;
}

static bool
is_text_type(const char *t, size_t len)
{
	return (len == 3 && strncasecmp(t, "TXT", 3) == 0) ||
	       (len == 3 && strncasecmp(t, "SPF", 3) == 0) ||
	       (len == 6 && strncasecmp(t, "TYPE16", 6) == 0) ||
	       (len == 6 && strncasecmp(t, "TYPE99", 6) == 0);
}

/* Look at the text of the suspect records of file f (buf, len): a TXT/SPF character-string
   of more than 255 characters (escapes counted as the one character they stand for) is an
   error at the record's first line, as NSD reports it. Reads records as RFC 1035 5.1 writes
   them: comments, quotes, escapes, parentheses; directives are skipped. */
static void
check_long_text(struct loadctx *c, uint16_t f, const char *buf, size_t len)
{
	const char *path = c->z->files[f].path;
	size_t p = 0, si = 0;
	unsigned long line = 1;

	while (p < len) {
		unsigned long start = 0, end;
		bool lead = buf[p] == ' ' || buf[p] == '\t', skip = false, text = false;
		bool toolong = false;
		int depth = 0, field = lead ? 1 : 0; /* 0 owner, 1 class/TTL/type, 2 rdata */
		size_t ntok = 0;

		for (;;) {
			const char *t;
			size_t tlen, dec = 0;

			while (p < len && (buf[p] == ' ' || buf[p] == '\t' || buf[p] == '\r'))
				p++;
			if (p >= len)
				break;
			if (buf[p] == ';') {
				while (p < len && buf[p] != '\n')
					p++;
				continue;
			}
			if (buf[p] == '\n') {
				p++;
				if (depth == 0)
					break;
				line++;
				continue;
			}
			if (buf[p] == '(' || buf[p] == ')') {
				depth += buf[p] == '(' ? 1 : (depth > 0 ? -1 : 0);
				p++;
				continue;
			}
			t = buf + p;
			if (buf[p] == '"') {
				for (p++; p < len && buf[p] != '"'; dec++) {
					if (buf[p] == '\\' && p + 1 < len)
						p += isdigit((unsigned char)buf[p + 1]) ? 4 : 2;
					else if (buf[p++] == '\n')
						line++;
				}
				p = p < len ? p + 1 : len;
			} else {
				while (p < len && strchr(" \t\r\n;()\"", buf[p]) == NULL) {
					p += buf[p] == '\\' && p + 1 < len
					         ? (isdigit((unsigned char)buf[p + 1]) ? 4 : 2)
					         : 1;
					dec++;
				}
			}
			p = p > len ? len : p;
			tlen = (size_t)(buf + p - t);
			if (ntok++ == 0) {
				start = line;
				skip = t[0] == '$';
			}
			if (skip || field == 0) {
				field = 1;
			} else if (field == 1 && !is_class_or_ttl(t, tlen)) {
				text = is_text_type(t, tlen);
				field = 2;
			} else if (field == 2 && text) {
				if (dec == 2 && tlen == 2 && t[0] == '\\' && t[1] == '#')
					text = false; /* RFC 3597 form: hex, not text */
				else if (dec > 255)
					toolong = true;
			}
		}
		end = line++;
		if (ntok == 0 || skip)
			continue;
		while (si < c->zl.nsus && (c->zl.sus[si].file != f || c->zl.sus[si].line < start))
			si++;
		if (toolong && si < c->zl.nsus && c->zl.sus[si].line <= end) {
			c->errors++;
			diag_add(c->d, DIAG_ERROR, path, start, NULL,
			         "text string is longer than 255 characters, try splitting it into "
			         "multiple parts");
		}
	}
}

/* Check the suspect records of every file read (text: the text of file 0, already read). */
static void
check_suspects(struct loadctx *c, const char *text, size_t textlen)
{
	for (uint16_t f = 0; f < c->z->nfiles; f++) {
		char *buf = NULL, err[256];
		size_t len = 0, k;
		bool any = false;

		for (k = 0; k < c->zl.nsus && !any; k++)
			any = c->zl.sus[k].file == f;
		if (!any)
			continue;
		if (f == 0) {
			check_long_text(c, f, text, textlen);
			continue;
		}
		if (file_read(c->z->files[f].path, FILE_ZONE_MAX, &buf, &len, err, sizeof(err)) ==
		    0)
			check_long_text(c, f, buf, len);
		free(buf);
	}
}

static int
zoneset_add(struct zoneset *zs, const char *name, const char *text, struct diag *d)
{
	struct loadctx c;
	zs_scanner_t *s = NULL;
	struct zone *z = NULL;
	char origin[1025];
	size_t textlen = text ? strlen(text) : 0;
	char *filebuf = NULL;
	bool from_api = text != NULL;

	if (text == NULL) {
		/* never blocks (a FIFO, a device), never reads more than the size limit */
		char err[256];
		struct stat st;
		if (stat(name, &st) == 0 && S_ISDIR(st.st_mode)) {
			diag_add(d, DIAG_ERROR, name, 0, NULL,
			         "is a directory: use -z %s to serve the zone files in it", name);
			return -1;
		}
		if (file_read(name, FILE_ZONE_MAX, &filebuf, &textlen, err, sizeof(err)) < 0) {
			diag_add(d, DIAG_ERROR, name, 0, NULL, "cannot read zone file: %s", err);
			return -1;
		}
		text = filebuf;
	}
	{
		unsigned long bl;
		unsigned bb;
		if (zoneerr_binary(text, textlen, &bl, &bb)) {
			diag_add(d, DIAG_ERROR, name, bl, NULL,
			         "a binary file, not zone file text (byte 0x%02X)", bb);
			free(filebuf);
			return -1;
		}
	}
	find_origin(name, text, textlen, origin, sizeof(origin));

	memset(&c, 0, sizeof(c));
	z = calloc(1, sizeof(*z));
	s = calloc(1, sizeof(*s));
	if (z == NULL || s == NULL || zone_add_file_name(z, name) < 0)
		goto oom;
	z->apex = NODE_NONE;
	c.z = z;
	c.d = d;
	c.name = name;
	c.cur_name = name;
	c.cur_text = text;
	c.cur_len = textlen;
	c.from_api = from_api;
	c.bytes = textlen;
	if (zs_init(s, origin, CLASS_IN, DEFAULT_TTL) != 0) {
		diag_add(d, DIAG_ERROR, name, 0, NULL, "bad origin %s: %s", origin,
		         zs_strerror(s->error.code));
		goto fail;
	}
	if (zs_set_input_string(s, text, textlen) != 0 ||
	    (!from_api && scan_set_dir(s, name) != 0)) {
		diag_add(d, DIAG_ERROR, name, 0, NULL, "cannot read zone file: %s",
		         zs_strerror(s->error.code));
		zs_deinit(s);
		goto fail;
	}
	if (zs_set_processing(s, load_record_cb, load_error_cb, &c) != 0) {
		zs_deinit(s);
		goto oom;
	}
	{
		/* the owners go into the set's name table as they are stored when every zone
		   before this one was indexed that way too (zoneset_finish goes on from there) */
		uint8_t ow[256];
		size_t owlen;
		bool pre = zs->pre.nzones == zs->nzones && zs->nzones < UINT16_MAX &&
		           (zs->nzones > 0 || zs->nnodes == 0) &&
		           str_to_wire(origin, ow, &owlen) == 0;
		if (pre)
			zone_name_lower(ow, owlen, ow);
		else
			owlen = 0;
		if (zload_begin(&c.zl, z, pre ? zs : NULL, (uint32_t)zs->nzones, ow, owlen,
		                zload_threaded(textlen)) != 0) {
			zs_deinit(s);
			goto oom;
		}
	}
	scan_input(&c, s);
	if (zload_end(&c.zl) != 0)
		c.oom = true;
	if (s->error.fatal && c.errors == 0 && !c.oom && s->error.code != ZS_OK) {
		c.errors++;
		diag_add(d, DIAG_ERROR, name, (unsigned long)s->line_counter, NULL, "%s",
		         zs_strerror(s->error.code));
	}
	zs_deinit(s);
	free(s);
	s = NULL;
	if (c.zl.nsus > 0 && !c.oom)
		check_suspects(&c, text, textlen);
	zload_free(&c.zl);
	free(filebuf);
	filebuf = NULL;
	if (c.oom)
		goto oom;
	if (c.errors > 0)
		goto fail;
	if (z->nrecs == 0) {
		diag_add(d, DIAG_ERROR, name, 0, NULL, "no records in zone");
		goto fail;
	}
	if (str_to_wire(origin, z->origin, &z->origin_len) != 0) {
		diag_add(d, DIAG_ERROR, name, 0, NULL, "bad origin %s", origin);
		goto fail;
	}
	zone_name_lower(z->origin, z->origin_len, z->origin);
	msg_name_to_str(z->origin, z->origin_str, sizeof(z->origin_str));
	if (zs->nzones == zs->capzones) {
		size_t nc = zs->capzones ? zs->capzones * 2 : 8;
		struct zone **nz = realloc(zs->zones, nc * sizeof(*nz));
		if (nz == NULL)
			goto oom;
		zs->zones = nz;
		zs->capzones = nc;
	}
	z->nread = z->nrecs;
	zs->zones[zs->nzones++] = z;
	zs->finished = false;
	if (c.zl.zs != NULL)
		zs->pre.nzones = (uint32_t)zs->nzones;
	shrink((void **)&z->recs, z->nrecs * sizeof(*z->recs), &z->caprecs, sizeof(*z->recs));
	shrink((void **)&z->arena, z->alen, &z->acap, 1);
	return 0;
oom:
	diag_add(d, DIAG_ERROR, name, 0, NULL, "out of memory");
fail:
	free(filebuf);
	zload_free(&c.zl);
	if (c.zl.zs != NULL)
		pre_discard(zs); /* its owners are in the name table: start over in finish */
	free(s);
	zone_free(z);
	return -1;
}

int
zoneset_add_file(struct zoneset *zs, const char *path, struct diag *d)
{
	return zoneset_add(zs, path, NULL, d);
}

int
zoneset_add_text(struct zoneset *zs, const char *name, const char *text, struct diag *d)
{
	if (text == NULL)
		text = "";
	return zoneset_add(zs, name, text, d);
}

int
zoneset_add_shared(struct zoneset *dst, const struct zoneset *src, size_t zone, struct diag *d)
{
	struct zone *from, *z;

	if (src == NULL || zone >= src->nzones) {
		diag_add(d, DIAG_ERROR, NULL, 0, NULL, "no zone %zu to share", zone);
		return -1;
	}
	from = src->zones[zone];
	if (dst->nzones == dst->capzones) {
		size_t nc = dst->capzones ? dst->capzones * 2 : 8;
		struct zone **nz = realloc(dst->zones, nc * sizeof(*nz));
		if (nz == NULL)
			goto oom;
		dst->zones = nz;
		dst->capzones = nc;
	}
	if ((z = malloc(sizeof(*z))) == NULL)
		goto oom;
	if (from->share == NULL) {
		/* the first sharer: from's set holds the first reference (the loop frees sets only
		   between builds, so nobody reads or drops it meanwhile) */
		if ((from->share = malloc(sizeof(*from->share))) == NULL) {
			free(z);
			goto oom;
		}
		atomic_init(&from->share->refs, 1);
	}
	atomic_fetch_add_explicit(&from->share->refs, 1, memory_order_relaxed);
	/* the same records as read (file and line for diagnostics), none of the index built from
	   them: the per-set fields are set again by zoneset_finish */
	*z = *from;
	z->owners = NULL; /* from's own (none once its set is finished) */
	z->serial = 0;
	z->apex = NODE_NONE;
	z->soa = z->soa_nx = z->ns = 0;
	z->bad = false;
	dst->zones[dst->nzones++] = z;
	dst->finished = false;
	return 0;
oom:
	diag_add(d, DIAG_ERROR, from->files[0].path, 0, NULL, "out of memory");
	return -1;
}

/* ---- the set -------------------------------------------------------------------------- */

struct zoneset *
zoneset_new(void)
{
	static uint64_t next_gen; /* sets are made by the build thread too */
	struct zoneset *zs = calloc(1, sizeof(*zs));

	if (zs != NULL) {
		zs->root = NODE_NONE;
		zs->gen = __atomic_add_fetch(&next_gen, 1, __ATOMIC_RELAXED);
	}
	return zs;
}

uint64_t
zoneset_gen(const struct zoneset *zs)
{
	return zs->gen;
}

static void
index_free(struct zoneset *zs)
{
	dnssec_index_free(zs);
	free(zs->nodes);
	free(zs->htab);
	free(zs->names);
	free(zs->sets);
	zs->nodes = NULL;
	zs->htab = NULL;
	zs->names = NULL;
	zs->sets = NULL;
	zs->nnodes = zs->capnodes = 0;
	zs->hmask = 0;
	zs->nlen = zs->ncap = zs->slen = zs->scap = 0;
	zs->root = NODE_NONE;
}

void
zoneset_free(struct zoneset *zs)
{
	if (zs == NULL)
		return;
	for (size_t i = 0; i < zs->nzones; i++)
		zone_free(zs->zones[i]);
	free(zs->zones);
	index_free(zs);
	free(zs->pre.items);
	free(zs->pre.recnode);
	free(zs);
}

void
zoneset_set_server(struct zoneset *zs, size_t zone, const char *addr)
{
	if (zs != NULL && zone < zs->nzones)
		snprintf(zs->zones[zone]->server, sizeof(zs->zones[zone]->server), "%s", addr);
}

const char *
zoneset_server(const struct zoneset *zs, size_t zone)
{
	return zs != NULL && zone < zs->nzones ? zs->zones[zone]->server : "";
}

size_t
zoneset_count(const struct zoneset *zs)
{
	return zs ? zs->nzones : 0;
}

void
zoneset_info(const struct zoneset *zs, size_t i, struct zone_info *out)
{
	memset(out, 0, sizeof(*out));
	if (zs == NULL || i >= zs->nzones)
		return;
	snprintf(out->origin, sizeof(out->origin), "%s", zs->zones[i]->origin_str);
	out->serial = zs->zones[i]->serial;
	out->records = zs->zones[i]->nrecs;
	out->file = zs->zones[i]->files[0].path;
}

void
zoneset_foreach(const struct zoneset *zs, void (*fn)(const struct zone_rr *rr, void *arg),
                void *arg)
{
	if (zs == NULL)
		return;
	for (size_t i = 0; i < zs->nzones; i++) {
		const struct zone *z = zs->zones[i];
		for (size_t k = 0; k < z->nrecs; k++) {
			const struct zrec *r = &z->recs[k];
			struct zone_rr rr;
			rr.owner = z->arena + r->owner;
			rr.type = r->type;
			rr.ttl = r->ttl;
			rr.rdata = z->arena + r->rdata;
			rr.rdlen = r->rdlen;
			rr.file = z->files[r->file].path;
			rr.line = r->line;
			rr.origin = z->origin;
			rr.server = z->server;
			fn(&rr, arg);
		}
	}
}

/* ---- building the index --------------------------------------------------------------- */

static int
sets_reserve(struct zoneset *zs, size_t n)
{
	return bytes_reserve(&zs->sets, &zs->scap, zs->slen, n);
}

/* Names inside rdata: where they are and whether NSD writes them compressed; -1 when one
   is cut or malformed. */
static int
rdata_refs(uint16_t type, const uint8_t *rd, size_t len, struct rr_ref *refs)
{
	size_t p;
	bool compress;
	int n = zone_rdata_names(type, rd, len, &p, &compress);

	for (int i = 0; i < n; i++) {
		size_t l;
		if (i > 0)
			p = (size_t)refs[i - 1].pos + refs[i - 1].len;
		if (p >= len)
			return -1;
		l = zone_wire_len(rd + p, rd + len);
		if (l == 0 || l > 255)
			return -1;
		refs[i].pos = (uint16_t)p;
		refs[i].len = (uint8_t)l;
		refs[i].compress = (uint8_t)compress;
		refs[i].node = NODE_NONE;
	}
	return n;
}

/* RRsets up to this many records find duplicates by comparing with every earlier record;
   bigger ones through a hash table of their rdata (linear time whatever the size). */
#define DUP_SCAN_MAX 16

/* Marks dup[i] for every record of items[idx[0..n-1]] whose rdata equals an earlier one's
   (NSD keeps the first of identical records, silently; names in rdata are lower-cased
   already, so they compare without case like NSD's domain references). -1 out of memory. */
static int
find_duplicates(const struct zone *z, const struct zitem *items, const uint32_t *idx, size_t n,
                bool *dup)
{
	uint32_t *tab, mask = 15;

	if (n <= DUP_SCAN_MAX) {
		for (size_t i = 0; i < n; i++) {
			const struct zrec *r = &z->recs[items[idx[i]].rec];
			dup[i] = false;
			for (size_t j = 0; j < i && !dup[i]; j++) {
				const struct zrec *o = &z->recs[items[idx[j]].rec];
				dup[i] =
				    o->rdlen == r->rdlen &&
				    memcmp(z->arena + o->rdata, z->arena + r->rdata, r->rdlen) == 0;
			}
		}
		return 0;
	}
	while (mask < 2 * n)
		mask = mask * 2 + 1;
	tab = malloc(((size_t)mask + 1) * sizeof(*tab));
	if (tab == NULL)
		return -1;
	memset(tab, 0xff, ((size_t)mask + 1) * sizeof(*tab));
	for (size_t i = 0; i < n; i++) {
		const struct zrec *r = &z->recs[items[idx[i]].rec];
		const uint8_t *rd = z->arena + r->rdata;
		uint32_t h = zone_name_hash(rd, r->rdlen);
		dup[i] = false;
		for (;; h++) {
			const struct zrec *o;
			if (tab[h & mask] == UINT32_MAX) {
				tab[h & mask] = (uint32_t)i;
				break;
			}
			o = &z->recs[items[idx[tab[h & mask]]].rec];
			if (o->rdlen == r->rdlen &&
			    memcmp(z->arena + o->rdata, rd, r->rdlen) == 0) {
				dup[i] = true;
				break;
			}
		}
	}
	free(tab);
	return 0;
}

/* A name in rdata written before it was in the name table (parallel build): entered, and
   its node put into the record's rr_ref, once both halves are written. */
struct pending {
	const uint8_t *name; /* the name in the zone's arena (wire) */
	uint8_t len;         /* its length */
	size_t ref;          /* offset of the struct rr_ref in zs->sets */
};

/* One builder of RRsets: the whole node range (growing the set's RRset area as it goes), or
   in a parallel build half of it, writing into a range of the area reserved beforehand. */
struct bctx {
	struct zoneset *zs;   /* set being indexed */
	size_t len;           /* next free byte of zs->sets for this builder */
	bool range;           /* writes inside a reserved range (parallel build) */
	bool missing;         /* range: out of memory noting a name in rdata to enter later */
	struct pending *pend; /* range: names in rdata not in the table yet, in order; owned */
	size_t npend;         /* entries used */
	size_t cappend;       /* entries allocated */
	bool *bad;            /* range: zones found unservable (per zone; applied after); owned */
	struct diag *d;       /* where its diagnostics go (a private list in a parallel build) */
	uint32_t *order;      /* scratch for one node's records (longest run); owned */
	uint32_t *scratch;    /* same */
	bool *dupflags;       /* same */
	struct zitem *run;    /* the records of the node being written (longest run); owned */
};

static int
add_pending(struct bctx *b, const uint8_t *name, size_t len, size_t ref)
{
	if (b->npend == b->cappend) {
		size_t nc = b->cappend ? b->cappend * 2 : 64;
		struct pending *np = realloc(b->pend, nc * sizeof(*np));
		if (np == NULL) {
			b->missing = true;
			return -1;
		}
		b->pend = np;
		b->cappend = nc;
	}
	b->pend[b->npend].name = name;
	b->pend[b->npend].len = (uint8_t)len;
	b->pend[b->npend].ref = ref;
	b->npend++;
	return 0;
}

/* Enter the pending names of b (in the order they were met) and fill in their nodes. */
static int
enter_pending(struct bctx *b)
{
	struct zoneset *zs = b->zs;

	for (size_t i = 0; i < b->npend; i++) {
		uint8_t lname[256];
		struct rr_ref ref;
		zone_name_lower(b->pend[i].name, b->pend[i].len, lname);
		memcpy(&ref, zs->sets + b->pend[i].ref, RR_REF_SIZE);
		ref.node = zone_tree_get(zs, lname, b->pend[i].len);
		if (ref.node == NODE_NONE)
			return -1;
		memcpy(zs->sets + b->pend[i].ref, &ref, RR_REF_SIZE);
	}
	return 0;
}

static void
mark_bad(struct bctx *b, uint32_t zi)
{
	if (b->bad != NULL)
		b->bad[zi] = true;
	else
		b->zs->zones[zi]->bad = true;
}

/* Most bytes record r takes in an RRset (zone_int.h's layout). */
static size_t
rec_need(const struct zrec *r)
{
	return RR_HDR_SIZE + 2 * RR_REF_SIZE +
	       (zone_type_rdref(r->type) ? RR_RDREF_SIZE : r->rdlen);
}

/* Append one RRset made of the records items[idx[0..n-1]] at node nd. Returns the offset of
   the rrset, 0 on failure. */
static uint32_t
build_rrset(struct bctx *b, uint32_t nd, const struct zitem *items, const uint32_t *idx, size_t n,
            bool *dup, uint32_t *tail)
{
	struct zoneset *zs = b->zs;
	struct diag *d = b->d;
	const struct zone *z = zs->zones[items[idx[0]].zone];
	size_t need = sizeof(struct rrset) + 3;
	uint32_t off;
	struct rrset *rs;
	uint8_t *p;
	size_t count = 0;

	for (size_t i = 0; i < n; i++)
		need += rec_need(&z->recs[items[idx[i]].rec]);
	if (find_duplicates(z, items, idx, n, dup) != 0)
		return 0;
	if (!b->range) {
		zs->slen = b->len;
		if (sets_reserve(zs, need) != 0)
			return 0;
	}
	b->len = (b->len + 3) & ~(size_t)3;
	off = (uint32_t)b->len;
	p = zs->sets + b->len + sizeof(struct rrset);
	for (size_t i = 0; i < n; i++) {
		const struct zrec *r = &z->recs[items[idx[i]].rec];
		const uint8_t *rd = z->arena + r->rdata;
		struct rr_ref refs[2];
		int nref = rdata_refs(r->type, rd, r->rdlen, refs);

		if (nref < 0)
			nref = 0;
		/* NSD keeps each record's TTL and warns, duplicates included (not for RRSIGs:
		   each has the TTL of the RRset it covers) */
		if (r->ttl != z->recs[items[idx[0]].rec].ttl && r->type != TYPE_RRSIG) {
			char oname[1025], tname[32];
			msg_name_to_str(z->arena + r->owner, oname, sizeof(oname));
			diag_add(d, DIAG_WARNING, z->files[r->file].path, r->line, NULL,
			         "%s TTL %u does not match the TTL %u of the %s RRset", oname,
			         r->ttl, z->recs[items[idx[0]].rec].ttl,
			         type_str(r->type, tname, sizeof(tname)));
		}
		if (dup[i] || count == UINT16_MAX)
			continue;
		for (int k = 0; k < nref; k++) {
			uint8_t lname[256];
			zone_name_lower(rd + refs[k].pos, refs[k].len, lname);
			if (b->range) { /* the table is shared: only looked up */
				refs[k].node = zone_node_find(zs, lname, refs[k].len,
				                              zone_name_hash(lname, refs[k].len));
				if (refs[k].node == NODE_NONE &&
				    add_pending(b, rd + refs[k].pos, refs[k].len,
				                (size_t)(p - zs->sets) + RR_HDR_SIZE +
				                    (size_t)k * RR_REF_SIZE) != 0)
					return 0;
				continue;
			}
			refs[k].node = zone_tree_get(zs, lname, refs[k].len);
			if (refs[k].node == NODE_NONE)
				return 0;
		}
		/* tree_get may have moved nothing in sets; p stays valid */
		p[0] = (uint8_t)(r->ttl >> 24);
		p[1] = (uint8_t)(r->ttl >> 16);
		p[2] = (uint8_t)(r->ttl >> 8);
		p[3] = (uint8_t)r->ttl;
		p[4] = (uint8_t)(r->rdlen >> 8);
		p[5] = (uint8_t)r->rdlen;
		p[6] = (uint8_t)nref;
		p += RR_HDR_SIZE;
		for (int k = 0; k < nref; k++) {
			memcpy(p, &refs[k], RR_REF_SIZE);
			p += RR_REF_SIZE;
		}
		if (zone_type_rdref(r->type)) { /* zone_rr_rdata: the arena's copy is the one */
			memcpy(p, &r->rdata, RR_RDREF_SIZE);
			p += RR_RDREF_SIZE;
		} else {
			memcpy(p, rd, r->rdlen);
			p += r->rdlen;
		}
		count++;
	}
	rs = (struct rrset *)(void *)(zs->sets + off);
	rs->next = 0;
	rs->type = z->recs[items[idx[0]].rec].type;
	rs->count = (uint16_t)count;
	rs->zone = (uint16_t)items[idx[0]].zone;
	rs->pad = 0;
	rs->sigs = 0;
	b->len = (size_t)(p - zs->sets);
	if (!b->range)
		zs->slen = b->len;
	if (*tail == 0)
		zs->nodes[nd].rrsets = off;
	else
		((struct rrset *)(void *)(zs->sets + *tail))->next = off;
	*tail = off;
	return off;
}

#define rec_error(d, z, r, sev, ...)                                                               \
	diag_add((d), (sev), (z)->files[(r)->file].path, (r)->line, NULL, __VA_ARGS__)

/* Per-zone checks that need no index: SOA and NS at the apex, data outside the origin.
   Returns whether the zone has a DNAME record. */
static bool
check_zone(struct zone *z, struct diag *d)
{
	size_t soa = 0, ns = 0, olen = 0;
	bool dname = false, apex = false, sub = false;
	uint32_t last = UINT32_MAX;
	char oname[1025];

	z->dnssec_recs = false;

	for (size_t k = 0; k < z->nrecs; k++) {
		struct zrec *r = &z->recs[k];
		const uint8_t *owner = z->arena + r->owner;

		/* a record skipped by an earlier finish is looked at again; a shared zone's
		   records are read-only, and being served it has none to skip (only records
		   that make the zone fail are marked) */
		if (r->skip)
			r->skip = 0;
		if (r->owner != last) { /* records of one owner in a row share its name */
			olen = zone_wire_len(owner, owner + 256);
			apex = olen == z->origin_len && zone_bytes_eq(owner, z->origin, olen);
			sub = zone_name_is_sub(owner, olen, z->origin, z->origin_len);
			last = r->owner;
		}
		if (!sub) {
			msg_name_to_str(owner, oname, sizeof(oname));
			rec_error(d, z, r, DIAG_ERROR, "out-of-zone data: %s is not in zone %s",
			          oname, z->origin_str);
			r->skip = 1;
			z->bad = true;
			continue;
		}
		if (r->type == TYPE_SOA) {
			if (!apex) {
				msg_name_to_str(owner, oname, sizeof(oname));
				rec_error(d, z, r, DIAG_ERROR,
				          "SOA record for %s is not at the zone apex %s", oname,
				          z->origin_str);
				r->skip = 1;
				z->bad = true;
			} else if (++soa > 1) {
				rec_error(d, z, r, DIAG_ERROR,
				          "more than one SOA record at the apex of %s",
				          z->origin_str);
				z->bad = true;
			} else if (r->rdlen >= 20) {
				const uint8_t *rd = z->arena + r->rdata + r->rdlen - 20;
				z->serial = (uint32_t)rd[0] << 24 | (uint32_t)rd[1] << 16 |
				            (uint32_t)rd[2] << 8 | rd[3];
			}
		} else if (r->type == TYPE_NS && apex) {
			ns++;
		}
		dname |= r->type == TYPE_DNAME;
		z->dnssec_recs |= r->type == TYPE_RRSIG || r->type == TYPE_NSEC;
	}
	if (soa == 0) {
		diag_add(d, DIAG_ERROR, z->files[0].path, 0, NULL,
		         "no SOA record at the zone apex %s", z->origin_str);
		z->bad = true;
	}
	if (ns == 0) {
		diag_add(d, DIAG_ERROR, z->files[0].path, 0, NULL,
		         "no NS record at the zone apex %s", z->origin_str);
		z->bad = true;
	}
	return dname;
}

/* Group the items of one node by (zone, type) in order of appearance and build the RRsets;
   report CNAME beside other data. idx is consumed (entries overwritten). */
struct group {
	uint32_t zone; /* zone index */
	uint32_t rec;  /* first record of the group */
	uint16_t type; /* record type */
	size_t count;  /* records in the group */
};

static int
build_node(struct bctx *b, uint32_t nd, const struct zitem *items, uint32_t *idx, size_t n)
{
	struct zoneset *zs = b->zs;
	struct diag *d = b->d;
	uint32_t *scratch = b->scratch;
	struct group g[64];
	size_t ng = 0, done = 0;
	uint32_t tail = 0;
	char oname[1025], tname[32];

	while (done < n) {
		size_t first = SIZE_MAX, m = 0;
		uint32_t zi = 0;
		uint16_t type = 0;
		for (size_t i = 0; i < n; i++) {
			if (idx[i] == UINT32_MAX)
				continue;
			if (first == SIZE_MAX) {
				first = i;
				zi = items[idx[i]].zone;
				type = zs->zones[zi]->recs[items[idx[i]].rec].type;
			}
			if (items[idx[i]].zone == zi &&
			    zs->zones[zi]->recs[items[idx[i]].rec].type == type) {
				scratch[m++] = idx[i];
				idx[i] = UINT32_MAX;
			}
		}
		if (ng < 64) {
			g[ng].zone = zi;
			g[ng].rec = items[scratch[0]].rec;
			g[ng].type = type;
			g[ng].count = m;
			ng++;
		}
		if (build_rrset(b, nd, items, scratch, m, b->dupflags, &tail) == 0)
			return -1;
		done += m;
	}
	for (size_t i = 0; i < ng; i++) {
		struct zone *z;
		const struct zrec *r;
		if (g[i].type == TYPE_DNAME) {
			z = zs->zones[g[i].zone];
			r = &z->recs[g[i].rec];
			zs->nodes[nd].flags |= NODE_DNAME;
			if (g[i].count > 1) {
				msg_name_to_str(zs->names + zs->nodes[nd].name, oname,
				                sizeof(oname));
				diag_add(d, DIAG_ERROR, z->files[r->file].path, r->line, NULL,
				         "more than one DNAME record at %s", oname);
				mark_bad(b, g[i].zone);
			}
			continue;
		}
		if (g[i].type != TYPE_CNAME)
			continue;
		z = zs->zones[g[i].zone];
		r = &z->recs[g[i].rec];
		msg_name_to_str(zs->names + zs->nodes[nd].name, oname, sizeof(oname));
		for (size_t j = 0; j < ng; j++) {
			if (j == i || g[j].zone != g[i].zone || g[j].type == TYPE_RRSIG ||
			    g[j].type == TYPE_NSEC)
				continue;
			if (g[j].type == TYPE_DNAME)
				diag_add(d, DIAG_ERROR, z->files[r->file].path, r->line, NULL,
				         "DNAME and CNAME at the same name %s (DNAME at line %lu)",
				         oname, (unsigned long)z->recs[g[j].rec].line);
			diag_add(d, DIAG_ERROR, z->files[r->file].path, r->line, NULL,
			         "CNAME and other data at %s (%s at line %lu)", oname,
			         type_str(g[j].type, tname, sizeof(tname)),
			         (unsigned long)z->recs[g[j].rec].line);
			mark_bad(b, g[i].zone);
			break;
		}
		if (g[i].count > 1) {
			diag_add(d, DIAG_ERROR, z->files[r->file].path, r->line, NULL,
			         "more than one CNAME record at %s", oname);
			mark_bad(b, g[i].zone);
		}
	}
	return 0;
}

/* A copy of the apex SOA whose TTL is min(SOA TTL, SOA minimum), for negative answers. */
static uint32_t
build_soa_nx(struct zoneset *zs, uint32_t soa)
{
	const struct rrset *rs = zone_rrset_at(zs, soa);
	const uint8_t *first = zone_rrset_first(rs);
	size_t total = sizeof(struct rrset) + (size_t)(zone_rr_next(rs, first) - first);
	struct rrset *nrs;
	uint8_t *rec;
	uint32_t off, ttl, min;
	uint16_t rdlen;
	const uint8_t *rd;

	if (sets_reserve(zs, total + 4) != 0)
		return 0;
	zs->slen = (zs->slen + 3) & ~(size_t)3;
	off = (uint32_t)zs->slen;
	memcpy(zs->sets + off, zs->sets + soa, total);
	zs->slen += total;
	nrs = (struct rrset *)(void *)(zs->sets + off);
	nrs->next = 0;
	nrs->count = 1;
	rec = zs->sets + off + sizeof(struct rrset);
	ttl = zone_rr_ttl(rec);
	rdlen = zone_rr_rdlen(rec);
	rd = zone_rr_rdata(zs, nrs, rec);
	if (rdlen >= 20) {
		min = (uint32_t)rd[rdlen - 4] << 24 | (uint32_t)rd[rdlen - 3] << 16 |
		      (uint32_t)rd[rdlen - 2] << 8 | rd[rdlen - 1];
		if (min < ttl) { /* the record starts with its TTL */
			rec[0] = (uint8_t)(min >> 24);
			rec[1] = (uint8_t)(min >> 16);
			rec[2] = (uint8_t)(min >> 8);
			rec[3] = (uint8_t)min;
		}
	}
	return off;
}

/* RFC 6672 2.3: a DNAME owner has no descendants in its zone. NSD refuses such a zone; so do
   we, naming the DNAME and the first record (in file order) below it. Runs only when there are
   DNAMEs; NODE_REPORTED marks the DNAMEs already reported and is cleared again. */
#define NODE_REPORTED 0x80

static void
check_dname_below(struct zoneset *zs, const struct zitem *items, const uint32_t *recnode,
                  size_t total, struct diag *d)
{
	char dname[1025], below[1025];

	for (size_t k = 0; k < total; k++) {
		uint32_t zi = items[k].zone;
		for (uint32_t a = zs->nodes[recnode[k]].parent; a != NODE_NONE;
		     a = zs->nodes[a].parent) {
			struct zone *z = zs->zones[zi];
			const struct zrec *r = &z->recs[items[k].rec];
			if (!(zs->nodes[a].flags & NODE_DNAME) ||
			    zone_rrset_find(zs, a, zi, TYPE_DNAME) == NULL)
				continue;
			if (!(zs->nodes[a].flags & NODE_REPORTED)) {
				zs->nodes[a].flags |= NODE_REPORTED;
				msg_name_to_str(zs->names + zs->nodes[a].name, dname,
				                sizeof(dname));
				msg_name_to_str(z->arena + r->owner, below, sizeof(below));
				diag_add(
				    d, DIAG_ERROR, z->files[r->file].path, r->line, NULL,
				    "DNAME at %s has data below it (%s): not allowed (RFC 6672)",
				    dname, below);
			}
			z->bad = true;
			break;
		}
	}
	for (uint32_t n = 0; n < zs->nnodes; n++)
		zs->nodes[n].flags &= (uint8_t)~NODE_REPORTED;
}

/* Warn about NS targets inside a delegation that have no address in the zone. */
static void
check_glue(struct zoneset *zs, size_t zi, struct diag *d)
{
	const struct zone *z = zs->zones[zi];

	for (size_t k = 0; k < z->nrecs; k++) {
		const struct zrec *r = &z->recs[k];
		const uint8_t *owner = z->arena + r->owner, *rd = z->arena + r->rdata;
		size_t olen, tlen;
		uint8_t target[256];
		uint32_t tn;
		char tname[1025], dname[1025];

		if (r->type != TYPE_NS || r->skip)
			continue;
		olen = zone_wire_len(owner, owner + 256);
		if (olen == z->origin_len)
			continue; /* apex NS: not a delegation */
		tlen = zone_wire_len(rd, rd + r->rdlen);
		if (tlen == 0)
			continue;
		zone_name_lower(rd, tlen, target);
		if (!zone_name_is_sub(target, tlen, owner, olen))
			continue;
		tn = zone_node_find(zs, target, tlen, zone_name_hash(target, tlen));
		if (zone_rrset_find(zs, tn, (uint32_t)zi, TYPE_A) ||
		    zone_rrset_find(zs, tn, (uint32_t)zi, TYPE_AAAA))
			continue;
		msg_name_to_str(target, tname, sizeof(tname));
		msg_name_to_str(owner, dname, sizeof(dname));
		diag_add(d, DIAG_WARNING, z->files[r->file].path, r->line, NULL,
		         "missing glue: no A/AAAA record for %s, name server of the delegation %s",
		         tname, dname);
	}
}

/* The indexed records sorted by node, 4 bytes each (the largest array while the RRsets are
   written): a record is numbered first[zone] + its index in the zone. */
struct zsorted {
	const uint32_t *num;   /* record numbers, node by node (file order inside a node) */
	const uint32_t *first; /* number of each zone's first record, nzones entries; owned by
	                          zoneset_finish */
	size_t nzones;         /* zones of the set */
};

/* The zone and record of sorted record i. */
static struct zitem
zsorted_item(const struct zsorted *s, size_t i)
{
	uint32_t g = s->num[i];
	size_t lo = 0, hi = s->nzones;

	while (hi - lo > 1) { /* the last zone whose first number is at most g */
		size_t mid = lo + (hi - lo) / 2;
		if (s->first[mid] <= g)
			lo = mid;
		else
			hi = mid;
	}
	return (struct zitem){(uint32_t)lo, g - s->first[lo]};
}

/* Prefetch the name-table slot of the first domain name in the rdata of the first records
   at node n (cnt as in zoneset_finish): MX, NS and CNAME targets are looked up when the node
   is built, and the table is too big for the cache. */
static void
prefetch_targets(const struct zoneset *zs, const struct zsorted *sorted, const uint32_t *cnt,
                 uint32_t n)
{
	uint32_t start = n ? cnt[n - 1] : 0, end = cnt[n];

	for (uint32_t i = start; i < end && i < start + 4; i++) {
		struct zitem it = zsorted_item(sorted, i);
		const struct zone *z = zs->zones[it.zone];
		const struct zrec *r = &z->recs[it.rec];
		const uint8_t *rd = z->arena + r->rdata;
		size_t p, l;
		bool compress;
		if (zone_rdata_names(r->type, rd, r->rdlen, &p, &compress) == 0 || p >= r->rdlen)
			continue;
		if ((l = zone_wire_len(rd + p, rd + r->rdlen)) == 0)
			continue;
		__builtin_prefetch(&zs->htab[zone_name_hash(rd + p, l) & zs->hmask]);
	}
}

/* ---- writing the RRsets, in one thread or two ------------------------------------------ */

/* Sets of at least this many records have their RRsets written by two threads. */
#define BUILD_PARALLEL_MIN 200000
static size_t build_parallel_min = BUILD_PARALLEL_MIN; /* zone_set_parallel_min */

void
zone_set_parallel_min(size_t records)
{
	build_parallel_min = records;
}

static void
bctx_free(struct bctx *b)
{
	free(b->order);
	free(b->scratch);
	free(b->dupflags);
	free(b->run);
	free(b->bad);
	free(b->pend);
}

static int
bctx_init(struct bctx *b, struct zoneset *zs, size_t maxrun, bool range, struct diag *d)
{
	memset(b, 0, sizeof(*b));
	b->zs = zs;
	b->len = zs->slen;
	b->range = range;
	b->d = d;
	b->order = malloc(maxrun * sizeof(*b->order));
	b->scratch = malloc(maxrun * sizeof(*b->scratch));
	b->dupflags = malloc(maxrun * sizeof(*b->dupflags));
	b->run = malloc(maxrun * sizeof(*b->run));
	if (range)
		b->bad = calloc(zs->nzones ? zs->nzones : 1, sizeof(*b->bad));
	if (b->order == NULL || b->scratch == NULL || b->dupflags == NULL || b->run == NULL ||
	    (range && b->bad == NULL)) {
		bctx_free(b);
		return -1;
	}
	return 0;
}

/* The RRsets of nodes [from, to) (cnt as in zoneset_finish). */
static int
build_range(struct bctx *b, const struct zsorted *sorted, const uint32_t *cnt, uint32_t from,
            uint32_t to)
{
	for (uint32_t n = from; n < to; n++) {
		uint32_t start = n ? cnt[n - 1] : 0, end = cnt[n];
		if (n + PREFETCH_AHEAD < to)
			prefetch_targets(b->zs, sorted, cnt, n + PREFETCH_AHEAD);
		if (end == start)
			continue;
		for (uint32_t i = 0; i < end - start; i++) {
			b->order[i] = i;
			b->run[i] = zsorted_item(sorted, start + i);
		}
		if (build_node(b, n, b->run, b->order, end - start) != 0)
			return -1;
	}
	return 0;
}

/* The second half of a parallel build. */
struct bjob {
	struct bctx *b;               /* its builder */
	const struct zsorted *sorted; /* the records sorted by node */
	const uint32_t *cnt;          /* node runs */
	uint32_t from, to;            /* its nodes */
	int rc;                       /* what build_range returned */
};

static void *
build_thread(void *arg)
{
	struct bjob *j = arg;

	j->rc = build_range(j->b, j->sorted, j->cnt, j->from, j->to);
	return NULL;
}

/* Most bytes the RRsets of sorted records [from, to) can take (each its own RRset). */
static size_t
range_need(const struct zoneset *zs, const struct zsorted *sorted, size_t from, size_t to)
{
	size_t need = 0;

	for (size_t i = from; i < to; i++) {
		struct zitem it = zsorted_item(sorted, i);
		need += sizeof(struct rrset) + 3 + rec_need(&zs->zones[it.zone]->recs[it.rec]);
	}
	return need;
}

/* Copy the diagnostics of from to the end of d. */
static void
diag_append(struct diag *d, const struct diag *from)
{
	for (size_t i = 0; i < from->n; i++) {
		const struct diag_entry *e = &from->v[i];
		diag_add(d, e->severity, e->file[0] ? e->file : NULL, e->line,
		         e->code[0] ? e->code : NULL, "%s", e->msg);
	}
}

/* The parallel build of build_all; false when it could not start (no room for the two
   ranges: one thread then writes everything, growing the area as it goes). */
static bool
build_halves(struct zoneset *zs, const struct zsorted *sorted, const uint32_t *cnt, uint32_t nn,
             size_t total, size_t maxrun, struct diag *d, int *rc)
{
	uint32_t mid = 1;
	size_t split, base;
	struct diag da, db;
	struct bctx a, b;
	struct bjob job;
	pthread_t th;
	bool threaded;
	sigset_t all, old;

	while (mid < nn && cnt[mid - 1] < total / 2)
		mid++;
	split = cnt[mid - 1];
	base = (zs->slen + range_need(zs, sorted, 0, split) + 3) & ~(size_t)3;
	if (sets_reserve(zs, base - zs->slen + range_need(zs, sorted, split, total) + 4) != 0)
		return false;
	if (bctx_init(&a, zs, maxrun, true, &da) != 0)
		return false;
	if (bctx_init(&b, zs, maxrun, true, &db) != 0) {
		bctx_free(&a);
		return false;
	}
	diag_init(&da);
	diag_init(&db);
	b.len = base;
	job = (struct bjob){&b, sorted, cnt, mid, nn, -1};
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	threaded = pthread_create(&th, NULL, build_thread, &job) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	*rc = build_range(&a, sorted, cnt, 0, mid);
	if (threaded)
		pthread_join(th, NULL);
	else
		build_thread(&job);
	if (*rc == 0 && job.rc == 0) {
		zs->slen = b.len > base ? b.len : a.len;
		for (size_t i = 0; i < zs->nzones; i++)
			if (a.bad[i] || b.bad[i])
				zs->zones[i]->bad = true;
		diag_append(d, &da);
		diag_append(d, &db);
		/* the names one thread would have entered as it went, in its order */
		if (enter_pending(&a) != 0 || enter_pending(&b) != 0)
			*rc = -1;
	} else {
		*rc = -1;
	}
	bctx_free(&a);
	bctx_free(&b);
	diag_free(&da);
	diag_free(&db);
	return true;
}

/* Write the RRsets of every node. A big set is split in two halves by records, each written
   by its own thread into its own range of the RRset area (the first half's range is sized for
   the most it can take, so the second starts at a known offset; the bytes between are never
   touched). Names in rdata are then only looked up in the table; the ones not there yet (a
   target outside the zones, say) are entered afterwards, first half first, in the order one
   thread would have entered them, so every node gets the number it gets from one thread.
   Diagnostics come out in node order either way. 0, -1 when out of memory. */
static int
build_all(struct zoneset *zs, const struct zsorted *sorted, const uint32_t *cnt, uint32_t nn,
          size_t total, size_t maxrun, struct diag *d)
{
	struct bctx a;
	int rc;

	if (total >= build_parallel_min && nn > 1 && total > 1 &&
	    build_halves(zs, sorted, cnt, nn, total, maxrun, d, &rc))
		return rc;
	if (bctx_init(&a, zs, maxrun, false, d) != 0)
		return -1;
	rc = build_range(&a, sorted, cnt, 0, nn);
	bctx_free(&a);
	return rc;
}

void
zoneset_allow_empty(struct zoneset *zs)
{
	zs->allow_empty = true;
}

int
zoneset_finish(struct zoneset *zs, struct diag *d)
{
	size_t errors0 = d->errors, total = 0, k;
	bool *dup = NULL;
	struct zitem *items = NULL;
	uint32_t *recnode = NULL, *cnt = NULL, *order = NULL, *scratch = NULL;
	bool *dupflags = NULL;
	uint32_t nn;
	int rc = -1;
	/* the owners of zones [0, pre.nzones) were entered while loading (zload.c) */
	struct zpre pre = zs->pre;
	size_t first = 0, maxrun = 1;
	uint32_t *sorted = NULL, *zfirst = NULL; /* struct zsorted */
	bool dnames = false; /* a zone has DNAMEs: items and recnode are needed to the end */

	memset(&zs->pre, 0, sizeof(zs->pre));
	if (pre.nzones == 0 || pre.nzones > zs->nzones) {
		index_free(zs);
		free(pre.items);
		free(pre.recnode);
		memset(&pre, 0, sizeof(pre));
	}
	if (zs->nzones == 0) {
		if (zs->allow_empty && d->errors == errors0) {
			zs->finished = true;
			return 0;
		}
		/* after errors that left no zone, "no zones loaded" would only mislead */
		if (d->errors == 0)
			diag_add(d, DIAG_ERROR, NULL, 0, NULL, "no zones loaded");
		return -1;
	}
	dup = calloc(zs->nzones, sizeof(*dup));
	if (dup == NULL)
		goto oom;
	for (size_t i = 0; i < zs->nzones; i++) {
		struct zone *z = zs->zones[i];
		zowner_free(z); /* records are added before a set is finished, not after */
		z->bad = false;
		z->serial = 0;
		z->apex = NODE_NONE;
		z->soa = z->soa_nx = z->ns = 0;
		for (size_t j = 0; j < i && !dup[i]; j++) {
			if (!dup[j] && strcmp(zs->zones[j]->server, z->server) == 0 &&
			    zs->zones[j]->origin_len == z->origin_len &&
			    memcmp(zs->zones[j]->origin, z->origin, z->origin_len) == 0) {
				diag_add(d, DIAG_ERROR, z->files[0].path, 0, NULL,
				         "duplicate zone %s (already loaded from %s)",
				         z->origin_str, zs->zones[j]->files[0].path);
				dup[i] = true;
				z->bad = true;
			}
		}
		if (!dup[i]) {
			dnames |= check_zone(z, d); /* also clears the skips of an earlier finish */
			total += z->nrecs;
		} else {
			for (k = 0; k < z->nrecs; k++)
				if (z->recs[k].skip)
					z->recs[k].skip = 0;
		}
	}
	for (size_t i = 0; i < pre.nzones; i++) {
		if (dup[i]) { /* those owners should not have been entered: start over */
			index_free(zs);
			free(pre.items);
			free(pre.recnode);
			memset(&pre, 0, sizeof(pre));
			break;
		}
	}
	if (total >= UINT32_MAX)
		goto oom;
	if (pre.nzones > 0) {
		/* grown by doubling while loading, they mostly have room already: a realloc
		   would copy 12 MB for a 1M-record zone */
		items =
		    pre.cap > total ? pre.items : realloc(pre.items, (total + 1) * sizeof(*items));
		if (items == NULL)
			goto oom;
		pre.items = NULL;
		recnode = pre.cap > total ? pre.recnode
		                          : realloc(pre.recnode, (total + 1) * sizeof(*recnode));
		if (recnode == NULL)
			goto oom;
		pre.recnode = NULL;
		first = pre.nzones;
	} else {
		items = malloc((total + 1) * sizeof(*items));
		recnode = malloc((total + 1) * sizeof(*recnode));
	}
	if (items == NULL || recnode == NULL)
		goto oom;
	/* sets offset 0 means "none": start with a few unused bytes */
	if (sets_reserve(zs, 8) != 0 ||
	    tree_reserve(zs, zs->nnodes + owner_runs(zs, dup, first) + 64) != 0)
		goto oom;
	memset(zs->sets, 0, 8);
	zs->slen = 8;
	k = pre.n;
	for (size_t i = first; i < zs->nzones; i++) {
		const struct zone *z = zs->zones[i];
		uint32_t last_owner = UINT32_MAX, last_node = NODE_NONE;
		if (dup[i])
			continue;
		for (size_t r = 0; r < z->nrecs; r++) {
			const uint8_t *owner = z->arena + z->recs[r].owner;
			if (z->recs[r].skip)
				continue;
			items[k].zone = (uint32_t)i;
			items[k].rec = (uint32_t)r;
			/* records of one owner in a row share its name in the arena
			   (load_record_cb): one lookup for all of them */
			if (z->recs[r].owner == last_owner) {
				recnode[k++] = last_node;
				continue;
			}
			if (r + PREFETCH_AHEAD < z->nrecs) {
				/* the bucket of a name a few records on: its cache miss overlaps
				   this lookup instead of stalling the next */
				const uint8_t *ahead = z->arena + z->recs[r + PREFETCH_AHEAD].owner;
				uint32_t h =
				    zone_name_hash(ahead, zone_wire_len(ahead, ahead + 256));
				__builtin_prefetch(&zs->htab[h & zs->hmask]);
			}
			recnode[k] = zone_tree_get(zs, owner, zone_wire_len(owner, owner + 256));
			last_owner = z->recs[r].owner;
			last_node = recnode[k];
			if (recnode[k] == NODE_NONE)
				goto oom;
			k++;
		}
	}
	total = k;
	/* counting sort of the records by node, stable (file order inside a node) */
	nn = zs->nnodes;
	cnt = calloc((size_t)nn + 1, sizeof(*cnt));
	if (cnt == NULL)
		goto oom;
	for (k = 0; k < total; k++)
		cnt[recnode[k] + 1]++;
	for (uint32_t n = 0; n < nn; n++)
		cnt[n + 1] += cnt[n];
	for (uint32_t n = 0; n < nn; n++)
		if (cnt[n + 1] - cnt[n] > maxrun)
			maxrun = cnt[n + 1] - cnt[n];
	/* the records themselves are sorted, so that only they (4 bytes each: struct zsorted)
	   and the node runs stay while the RRsets are written, not the file-order arrays too */
	sorted = malloc((total + 1) * sizeof(*sorted));
	zfirst = malloc(zs->nzones * sizeof(*zfirst));
	if (sorted == NULL || zfirst == NULL)
		goto oom;
	for (size_t i = 0, f = 0; i < zs->nzones; f += zs->zones[i]->nrecs, i++) {
		if (f + zs->zones[i]->nrecs >= UINT32_MAX)
			goto oom;
		zfirst[i] = (uint32_t)f;
	}
	for (k = 0; k < total; k++)
		sorted[cnt[recnode[k]]++] = zfirst[items[k].zone] + items[k].rec;
	if (!dnames) {
		free(items);
		free(recnode);
		items = NULL;
		recnode = NULL;
	}
	/* cnt[n] is now the end of node n's run; its start is cnt[n-1] (0 for n == 0) */
	{
		struct zsorted zsd = {sorted, zfirst, zs->nzones};
		if (build_all(zs, &zsd, cnt, nn, total, maxrun, d) != 0)
			goto oom;
	}
	free(sorted);
	free(zfirst);
	sorted = zfirst = NULL;
	/* existence (data, or data below: empty non-terminals exist) */
	for (uint32_t n = 0; n < zs->nnodes; n++) {
		if (zs->nodes[n].rrsets == 0)
			continue;
		for (uint32_t a = n; a != NODE_NONE && !(zs->nodes[a].flags & NODE_EXISTS);
		     a = zs->nodes[a].parent)
			zs->nodes[a].flags |= NODE_EXISTS;
	}
	/* apexes */
	for (size_t i = 0; i < zs->nzones; i++) {
		struct zone *z = zs->zones[i];
		if (dup[i])
			continue;
		z->apex = zone_tree_get(zs, z->origin, z->origin_len);
		if (z->apex == NODE_NONE)
			goto oom;
		zs->nodes[z->apex].flags |= NODE_APEX;
		/* a per-server copy is never the zone a name belongs to: views substitute it */
		if (z->server[0] == '\0' || zs->nodes[z->apex].zone == 0)
			zs->nodes[z->apex].zone = (uint32_t)i + 1;
		{
			const struct rrset *soa =
			    zone_rrset_find(zs, z->apex, (uint32_t)i, TYPE_SOA);
			const struct rrset *ns = zone_rrset_find(zs, z->apex, (uint32_t)i, TYPE_NS);
			z->soa = soa ? (uint32_t)((const uint8_t *)soa - zs->sets) : 0;
			z->ns = ns ? (uint32_t)((const uint8_t *)ns - zs->sets) : 0;
		}
		if (z->soa && (z->soa_nx = build_soa_nx(zs, z->soa)) == 0)
			goto oom;
	}
	/* deepest zone of every node (parents always have smaller numbers); wildcards */
	for (uint32_t n = 0; n < zs->nnodes; n++) {
		struct node *nd = &zs->nodes[n];
		if (!(nd->flags & NODE_APEX))
			nd->zone = nd->parent == NODE_NONE ? 0 : zs->nodes[nd->parent].zone;
		if ((nd->flags & NODE_EXISTS) && nd->parent != NODE_NONE && nd->namelen > 2 &&
		    zs->names[nd->name] == 1 && zs->names[nd->name + 1] == '*')
			zs->nodes[nd->parent].flags |= NODE_WILDKID;
	}
	for (uint32_t n = 0; dnames && n < zs->nnodes; n++) {
		if (zs->nodes[n].flags & NODE_DNAME) {
			check_dname_below(zs, items, recnode, total, d);
			break;
		}
	}
	for (size_t i = 0; i < zs->nzones; i++)
		if (!dup[i])
			check_glue(zs, i, d);
	if (dnssec_index_build(zs) != 0)
		goto oom;
	zs->finished = true;
	{
		size_t cn = zs->capnodes;
		shrink((void **)&zs->nodes, (size_t)zs->nnodes * sizeof(*zs->nodes), &cn,
		       sizeof(*zs->nodes));
		zs->capnodes = (uint32_t)cn;
		shrink((void **)&zs->names, zs->nlen, &zs->ncap, 1);
		shrink((void **)&zs->sets, zs->slen, &zs->scap, 1);
	}
	rc = d->errors > errors0 ? -1 : 0;
	goto done;
oom:
	diag_add(d, DIAG_ERROR, NULL, 0, NULL, "out of memory building the zone index");
	rc = -1;
done:
	free(sorted);
	free(zfirst);
	free(pre.items);
	free(pre.recnode);
	free(dup);
	free(items);
	free(recnode);
	free(cnt);
	free(order);
	free(scratch);
	free(dupflags);
	return rc;
}
