/* server/dnssec.c -- denial of existence and RRSIG bookkeeping for signed zones, following
   NSD 4.6's query.c/nsec3.c choices record for record: NSEC by canonical predecessor, NSEC3
   closest encloser / next closer / wildcard proofs, DS proofs at referrals (opt-out
   included). Indexes are built at load; per query only binary searches and a few hashes. */
#include "server/dnssec.h"
#include "server/zone_int.h"

#include <stdlib.h>
#include <string.h>

#include <libdnssec/binary.h>
#include <libdnssec/nsec.h>

#define TYPE_NSEC3PARAM 51
#define N3_HASH_LEN     20 /* SHA-1 */

/* One record of an NSEC3 chain: the hash its owner name spells, and the owner. */
struct n3ent {
	uint8_t hash[N3_HASH_LEN]; /* base32hex-decoded first label of the owner */
	uint32_t node;             /* owner node */
};

struct dnssec_zone {
	bool secure;         /* an RRSIG at the apex covers the DNSKEY (NSD's is_secure) */
	bool nsec3;          /* usable NSEC3PARAM and chain */
	uint16_t iterations; /* NSEC3 extra iterations */
	uint8_t saltlen;     /* NSEC3 salt length */
	uint8_t salt[255];   /* NSEC3 salt */
	uint32_t *nsec;      /* nodes with an NSEC RRset of this zone, canonical order; owned */
	size_t nnsec;        /* entries in nsec */
	struct n3ent *n3;    /* NSEC3 chain sorted by hash; owned */
	size_t nn3;          /* entries in n3 */
};

struct dnssec_index {
	struct dnssec_zone *zones; /* one per zone of the set, same index; owned */
	size_t nzones;             /* entries in zones */
};

static const struct dnssec_zone *
dz(const struct zoneset *zs, uint32_t z)
{
	if (zs == NULL || zs->dnssec == NULL || z >= zs->dnssec->nzones)
		return NULL;
	return &zs->dnssec->zones[z];
}

bool
dnssec_zone_secure(const struct zoneset *zs, uint32_t z)
{
	const struct dnssec_zone *d = dz(zs, z);
	return d != NULL && d->secure;
}

bool
dnssec_zone_nsec3(const struct zoneset *zs, uint32_t z)
{
	const struct dnssec_zone *d = dz(zs, z);
	return d != NULL && d->nsec3;
}

/* ---- names ---------------------------------------------------------------------------- */

/* Label start offsets of a wire name (root label excluded); returns how many. */
static size_t
label_offsets(const uint8_t *name, size_t len, size_t *offs)
{
	size_t n = 0, p = 0;
	while (p < len && name[p] != 0 && n < 128) {
		offs[n++] = p;
		p += (size_t)name[p] + 1;
	}
	return n;
}

int
dnssec_name_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t ao[128], bo[128];
	size_t na = label_offsets(a, alen, ao), nb = label_offsets(b, blen, bo);

	while (na > 0 && nb > 0) {
		const uint8_t *la = a + ao[--na], *lb = b + bo[--nb];
		size_t l = la[0] < lb[0] ? la[0] : lb[0];
		int r = memcmp(la + 1, lb + 1, l);
		if (r != 0)
			return r;
		if (la[0] != lb[0])
			return la[0] < lb[0] ? -1 : 1;
	}
	return na > 0 ? 1 : nb > 0 ? -1 : 0;
}

static const uint8_t *
node_name(const struct zoneset *zs, uint32_t n, size_t *len)
{
	*len = zs->nodes[n].namelen;
	return zs->names + zs->nodes[n].name;
}

/* ---- building ------------------------------------------------------------------------- */

static int
nsec_cmp_r(const void *x, const void *y, void *arg)
{
	const struct zoneset *zs = arg;
	size_t al, bl;
	const uint8_t *a = node_name(zs, *(const uint32_t *)x, &al);
	const uint8_t *b = node_name(zs, *(const uint32_t *)y, &bl);
	return dnssec_name_cmp(a, al, b, bl);
}

static int
n3_cmp(const void *x, const void *y)
{
	return memcmp(((const struct n3ent *)x)->hash, ((const struct n3ent *)y)->hash,
	              N3_HASH_LEN);
}

/* base32hex (RFC 4648 §7) of a 32-character label into 20 bytes; false when not one. */
static bool
b32hex_decode(const uint8_t *label, uint8_t *out)
{
	uint64_t acc = 0;
	int bits = 0;
	size_t o = 0;

	if (label[0] != 32)
		return false;
	for (size_t i = 1; i <= 32; i++) {
		uint8_t ch = label[i], v;
		if (ch >= '0' && ch <= '9')
			v = (uint8_t)(ch - '0');
		else if (ch >= 'a' && ch <= 'v')
			v = (uint8_t)(ch - 'a' + 10);
		else
			return false;
		acc = acc << 5 | v;
		bits += 5;
		if (bits >= 8) {
			out[o++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	return o == N3_HASH_LEN;
}

/* SHA-1 NSEC3 hash of a lower-cased wire name with the zone's parameters. */
static bool
n3_hash(const struct dnssec_zone *d, const uint8_t *name, size_t len, uint8_t *out)
{
	dnssec_nsec3_params_t params = {
	    .algorithm = DNSSEC_NSEC3_ALGORITHM_SHA1,
	    .flags = 0,
	    .iterations = d->iterations,
	    .salt = {.size = d->saltlen, .data = (uint8_t *)(uintptr_t)d->salt},
	};
	dnssec_binary_t data = {.size = len, .data = (uint8_t *)(uintptr_t)name}, hash = {0};
	bool ok;

	if (dnssec_nsec3_hash(&data, &params, &hash) != 0)
		return false;
	ok = hash.size == N3_HASH_LEN;
	if (ok)
		memcpy(out, hash.data, N3_HASH_LEN);
	dnssec_binary_free(&hash);
	return ok;
}

/* Does the NSEC3 rdata use these parameters (hash algorithm, iterations, salt)? */
static bool
n3_uses(const uint8_t *rd, uint16_t rdlen, uint8_t alg, uint16_t iter, uint8_t slen,
        const uint8_t *salt)
{
	return rdlen >= 5 && rd[0] == alg && (uint16_t)(rd[2] << 8 | rd[3]) == iter &&
	       rd[4] == slen && rdlen >= 5u + slen && memcmp(rd + 5, salt, slen) == 0;
}

/* Bitmap of NSEC3 rdata has SOA (NSD's nsec3_has_soa). */
static bool
n3_has_soa(const uint8_t *rd, uint16_t rdlen)
{
	size_t p;
	if (rdlen < 5 || rdlen < 5u + rd[4] + 1)
		return false;
	p = 5u + rd[4];
	p += 1u + rd[p];
	return rdlen >= p + 3 && rd[p] == 0 && (rd[p + 2] & 0x02) != 0;
}

/* Index of the chain entry whose hash is the greatest <= h (NSD's nsec3_find_cover: the last
   one when h is below all); *exact when equal. SIZE_MAX when the chain is empty. */
static size_t
n3_find(const struct dnssec_zone *d, const uint8_t *h, bool *exact)
{
	size_t lo = 0, hi = d->nn3;

	*exact = false;
	if (d->nn3 == 0)
		return SIZE_MAX;
	while (lo < hi) { /* first entry > h */
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(d->n3[mid].hash, h, N3_HASH_LEN) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return d->nn3 - 1;
	*exact = memcmp(d->n3[lo - 1].hash, h, N3_HASH_LEN) == 0;
	return lo - 1;
}

/* The NSEC3 chain of zone z for the parameters of one NSEC3PARAM record; true when the hashed
   apex is in it with SOA in its bitmap (NSD's check_apex_soa). */
static bool
build_chain(struct zoneset *zs, uint32_t z, struct dnssec_zone *d, const uint8_t *prd,
            uint16_t prdlen)
{
	const struct zone *zn = zs->zones[z];
	uint8_t h[N3_HASH_LEN];
	size_t cap = 0, i;
	bool exact;

	if (prdlen < 5 || prdlen < 5u + prd[4])
		return false;
	d->iterations = (uint16_t)(prd[2] << 8 | prd[3]);
	d->saltlen = prd[4];
	memcpy(d->salt, prd + 5, prd[4]);
	free(d->n3);
	d->n3 = NULL;
	d->nn3 = 0;
	for (uint32_t n = 0; n < zs->nnodes; n++) {
		const struct rrset *rs = zone_rrset_find(zs, n, z, TYPE_NSEC3);
		const uint8_t *rr;
		bool uses = false;
		if (rs == NULL)
			continue;
		rr = zone_rrset_first(rs);
		for (uint16_t k = 0; k < rs->count && !uses; k++, rr = zone_rr_next(rs, rr)) {
			uses = n3_uses(zone_rr_rdata(zs, rs, rr), zone_rr_rdlen(rr), prd[0],
			               d->iterations, d->saltlen, d->salt);
		}
		if (!uses)
			continue;
		if (d->nn3 == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct n3ent *nv = realloc(d->n3, ncap * sizeof(*nv));
			if (nv == NULL)
				return false;
			d->n3 = nv;
			cap = ncap;
		}
		if (!b32hex_decode(zs->names + zs->nodes[n].name, d->n3[d->nn3].hash))
			continue;
		d->n3[d->nn3++].node = n;
	}
	if (d->nn3 > 1)
		qsort(d->n3, d->nn3, sizeof(*d->n3), n3_cmp);
	if (!n3_hash(d, zn->origin, zn->origin_len, h))
		return false;
	i = n3_find(d, h, &exact);
	if (i == SIZE_MAX || !exact)
		return false;
	{
		const struct rrset *rs = zone_rrset_find(zs, d->n3[i].node, z, TYPE_NSEC3);
		const uint8_t *rr = zone_rrset_first(rs);
		for (uint16_t k = 0; k < rs->count; k++, rr = zone_rr_next(rs, rr)) {
			if (n3_has_soa(zone_rr_rdata(zs, rs, rr), zone_rr_rdlen(rr)))
				return true;
		}
	}
	return false;
}

static int
build_zone(struct zoneset *zs, uint32_t z, struct dnssec_zone *d)
{
	const struct zone *zn = zs->zones[z];
	const struct rrset *rs;

	if (zn->apex == NODE_NONE)
		return 0;
	rs = zone_rrset_find(zs, zn->apex, z, TYPE_RRSIG);
	if (rs != NULL) {
		const uint8_t *rr = zone_rrset_first(rs);
		for (uint16_t k = 0; k < rs->count && !d->secure; k++, rr = zone_rr_next(rs, rr))
			d->secure = zone_rrsig_covers(zone_rr_rdata(zs, rs, rr), zone_rr_rdlen(rr),
			                              TYPE_DNSKEY);
	}
	/* NSD uses the first NSEC3PARAM it supports (SHA-1, flags 0) whose chain is sound */
	rs = zone_rrset_find(zs, zn->apex, z, TYPE_NSEC3PARAM);
	if (rs != NULL) {
		const uint8_t *rr = zone_rrset_first(rs);
		for (uint16_t k = 0; k < rs->count && !d->nsec3; k++, rr = zone_rr_next(rs, rr)) {
			uint16_t rdlen = zone_rr_rdlen(rr);
			const uint8_t *rd = zone_rr_rdata(zs, rs, rr);
			if (rdlen >= 5 && rd[0] == 1 && rd[1] == 0)
				d->nsec3 = build_chain(zs, z, d, rd, rdlen);
		}
		if (!d->nsec3) {
			free(d->n3);
			d->n3 = NULL;
			d->nn3 = 0;
		}
	}
	return 0;
}

int
dnssec_index_build(struct zoneset *zs)
{
	struct dnssec_index *ix;
	size_t *caps;
	bool any = false;

	dnssec_index_free(zs);
	ix = calloc(1, sizeof(*ix));
	if (ix == NULL)
		return -1;
	ix->zones = calloc(zs->nzones ? zs->nzones : 1, sizeof(*ix->zones));
	caps = calloc(zs->nzones ? zs->nzones : 1, sizeof(*caps));
	if (ix->zones == NULL || caps == NULL) {
		free(ix->zones);
		free(ix);
		free(caps);
		return -1;
	}
	ix->nzones = zs->nzones;
	zs->dnssec = ix;
	/* every RRset learns where its RRSIGs are; NSEC owners per zone. Without any RRSIG or
	   NSEC record in the set there is nothing to learn (build left every sigs 0), and
	   walking every RRset of a large unsigned zone costs milliseconds. */
	for (size_t z = 0; z < zs->nzones; z++)
		any |= zs->zones[z]->dnssec_recs;
	for (uint32_t n = 0; any && n < zs->nnodes; n++) {
		for (uint32_t off = zs->nodes[n].rrsets; off;) {
			struct rrset *rs = (struct rrset *)(void *)(zs->sets + off);
			const struct rrset *sig = zone_rrset_find(zs, n, rs->zone, TYPE_RRSIG);
			rs->sigs = sig ? (uint32_t)((const uint8_t *)sig - zs->sets) : 0;
			if (rs->type == TYPE_NSEC && rs->zone < ix->nzones) {
				struct dnssec_zone *d = &ix->zones[rs->zone];
				if (d->nnsec == caps[rs->zone]) {
					size_t ncap = d->nnsec ? d->nnsec * 2 : 64;
					uint32_t *nv = realloc(d->nsec, ncap * sizeof(*nv));
					if (nv == NULL)
						goto oom;
					d->nsec = nv;
					caps[rs->zone] = ncap;
				}
				d->nsec[d->nnsec++] = n;
			}
			off = rs->next;
		}
	}
	for (size_t z = 0; z < zs->nzones; z++) {
		struct zone *zn = zs->zones[z];
		struct dnssec_zone *d = &ix->zones[z];
		if (zn->soa && zn->soa_nx)
			((struct rrset *)(void *)(zs->sets + zn->soa_nx))->sigs =
			    zone_rrset_at(zs, zn->soa)->sigs;
		if (d->nnsec > 1)
			qsort_r(d->nsec, d->nnsec, sizeof(*d->nsec), nsec_cmp_r, zs);
		if (build_zone(zs, (uint32_t)z, d) != 0)
			goto oom;
	}
	free(caps);
	return 0;
oom:
	free(caps);
	dnssec_index_free(zs);
	return -1;
}

void
dnssec_index_free(struct zoneset *zs)
{
	struct dnssec_index *ix = zs ? zs->dnssec : NULL;

	if (ix == NULL)
		return;
	for (size_t z = 0; z < ix->nzones; z++) {
		free(ix->zones[z].nsec);
		free(ix->zones[z].n3);
	}
	free(ix->zones);
	free(ix);
	zs->dnssec = NULL;
}

/* ---- node predicates (NSD's namedb.c / nsec3.c, for zone z) ---------------------------- */

static bool
has_any(const struct zoneset *zs, uint32_t n, uint32_t z)
{
	for (uint32_t off = zs->nodes[n].rrsets; off;) {
		const struct rrset *rs = zone_rrset_at(zs, off);
		if (rs->zone == z)
			return true;
		off = rs->next;
	}
	return false;
}

bool
dnssec_only_nsec3(const struct zoneset *zs, uint32_t n, uint32_t z)
{
	bool seen = false;

	if (zs == NULL || n >= zs->nnodes)
		return false;
	for (uint32_t off = zs->nodes[n].rrsets; off;) {
		const struct rrset *rs = zone_rrset_at(zs, off);
		off = rs->next;
		if (rs->zone != z)
			continue;
		if (rs->type == TYPE_NSEC3)
			seen = true;
		else if (rs->type != TYPE_RRSIG)
			return false;
	}
	return seen;
}

/* The first apex above or at n is the apex of z (NSD's nsec3_domain_part_of_zone). */
static bool
part_of_zone(const struct zoneset *zs, uint32_t n, uint32_t z)
{
	for (; n != NODE_NONE; n = zs->nodes[n].parent)
		if (zs->nodes[n].flags & NODE_APEX)
			return n == zs->zones[z]->apex;
	return false;
}

/* At or below a delegation of z that is not an apex (NSD's domain_is_glue). */
static bool
is_glue(const struct zoneset *zs, uint32_t n, uint32_t z)
{
	uint32_t apex = zs->zones[z]->apex, found = NODE_NONE;

	for (; n != NODE_NONE && n != apex; n = zs->nodes[n].parent)
		if (zone_rrset_find(zs, n, z, TYPE_NS))
			found = n;
	return found != NODE_NONE && zone_rrset_find(zs, found, z, TYPE_SOA) == NULL;
}

/* What NSD precompiles for a domain (domain->nsec3), here computed for zone z on demand. */
struct n3info {
	bool has;       /* NSD would have domain->nsec3 */
	bool exact;     /* nsec3_is_exact */
	uint32_t cover; /* nsec3_cover: chain index, UINT32_MAX none */
	bool ds_exact;  /* nsec3_ds_parent_is_exact */
	uint32_t ds;    /* nsec3_ds_parent_cover, UINT32_MAX none */
};

static void
n3_info(const struct zoneset *zs, uint32_t z, uint32_t n, struct n3info *in)
{
	const struct dnssec_zone *d = dz(zs, z);
	bool hash_cond, ds_cond, exact = false;
	uint8_t h[N3_HASH_LEN];
	size_t len, i = SIZE_MAX;
	const uint8_t *name;

	memset(in, 0, sizeof(*in));
	in->cover = in->ds = UINT32_MAX;
	if (n == NODE_NONE || !(zs->nodes[n].flags & NODE_EXISTS) || dnssec_only_nsec3(zs, n, z))
		return;
	hash_cond = part_of_zone(zs, n, z) && !is_glue(zs, n, z);
	ds_cond = n != zs->zones[z]->apex && zs->nodes[n].parent != NODE_NONE &&
	          (zone_rrset_find(zs, n, z, TYPE_DS) || zone_rrset_find(zs, n, z, TYPE_NS)) &&
	          part_of_zone(zs, zs->nodes[n].parent, z);
	if (!hash_cond && !ds_cond)
		return;
	in->has = true;
	name = node_name(zs, n, &len);
	if (n3_hash(d, name, len, h))
		i = n3_find(d, h, &exact);
	if (i == SIZE_MAX)
		return;
	if (hash_cond) {
		in->exact = exact;
		in->cover = (uint32_t)i;
	}
	if (ds_cond) {
		in->ds_exact = exact;
		in->ds = (uint32_t)i;
	}
}

/* Cover of *.n (nsec3_wcard_child_cover), UINT32_MAX none. */
static uint32_t
n3_wc_cover(const struct zoneset *zs, uint32_t z, uint32_t n)
{
	const struct dnssec_zone *d = dz(zs, z);
	uint8_t name[256], h[N3_HASH_LEN];
	size_t len;
	const uint8_t *nn = node_name(zs, n, &len);
	bool exact;
	size_t i;

	if (len + 2 > 255)
		return UINT32_MAX;
	name[0] = 1;
	name[1] = '*';
	memcpy(name + 2, nn, len);
	if (!n3_hash(d, name, len + 2, h))
		return UINT32_MAX;
	i = n3_find(d, h, &exact);
	return i == SIZE_MAX ? UINT32_MAX : (uint32_t)i;
}

/* ---- proofs --------------------------------------------------------------------------- */

static void
proof_add(struct dnssec_proof *p, uint32_t node, const struct rrset *rs, const struct zoneset *zs)
{
	uint32_t off;

	if (rs == NULL)
		return;
	off = (uint32_t)((const uint8_t *)rs - zs->sets);
	for (size_t i = 0; i < p->n; i++)
		if (p->set[i] == off && p->node[i] == node)
			return;
	if (p->n >= DNSSEC_MAX_PROOF)
		return;
	p->node[p->n] = node;
	p->set[p->n] = off;
	p->n++;
}

/* The NSEC3 RRset of chain entry i of zone z (NSD's nsec3_add_rrset). */
static void
n3_add(const struct zoneset *zs, uint32_t z, uint32_t i, struct dnssec_proof *p)
{
	const struct dnssec_zone *d = dz(zs, z);
	uint32_t node;

	if (i == UINT32_MAX || d == NULL || i >= d->nn3)
		return;
	node = d->n3[i].node;
	proof_add(p, node, zone_rrset_find(zs, node, z, TYPE_NSEC3), zs);
}

static bool
is_wildcard(const struct zoneset *zs, uint32_t n)
{
	const uint8_t *l = zs->names + zs->nodes[n].name;
	return l[0] == 1 && l[1] == '*';
}

/* Labels two lower-cased wire names share from the root (root included, as NSD counts). */
static size_t
label_match(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t ao[128], bo[128], na = label_offsets(a, alen, ao), nb = label_offsets(b, blen, bo);
	size_t m = 1;

	while (na > 0 && nb > 0) {
		const uint8_t *la = a + ao[--na], *lb = b + bo[--nb];
		if (la[0] != lb[0] || memcmp(la + 1, lb + 1, la[0]) != 0)
			break;
		m++;
	}
	return m;
}

/* NSD's nsec3_add_nonexist_proof: the NSEC3 covering the name one label below encloser on the
   way to qname (the next closer name). */
static void
n3_nonexist(const struct zoneset *zs, uint32_t z, uint32_t encloser, const uint8_t *qname,
            size_t qlen, struct dnssec_proof *p)
{
	const struct dnssec_zone *d = dz(zs, z);
	size_t elen, offs[128], nl = label_offsets(qname, qlen, offs), keep, start;
	const uint8_t *en = node_name(zs, encloser, &elen);
	uint8_t h[N3_HASH_LEN];
	size_t i;
	bool exact;

	keep = label_match(qname, qlen, en, elen); /* labels incl. root */
	start = keep > nl ? 0 : offs[nl - keep];   /* keep labels: keep-1 plus the next one */
	if (!n3_hash(d, qname + start, qlen - start, h))
		return;
	i = n3_find(d, h, &exact);
	if (i == SIZE_MAX)
		return;
	if (exact) {
		p->collision = true;
		return;
	}
	n3_add(zs, z, (uint32_t)i, p);
}

static void
n3_ds_proof(const struct zoneset *zs, uint32_t z, uint32_t n, bool delegpt, struct dnssec_proof *p)
{
	struct n3info in, pin, prin;
	uint32_t par, prev = NODE_NONE;

	n3_info(zs, z, n, &in);
	if (in.has && in.ds_exact) {
		n3_add(zs, z, in.ds, p);
		return;
	}
	if (!delegpt && in.has && in.exact) { /* the cover is this zone's: part of it */
		n3_add(zs, z, in.cover, p);
		return;
	}
	/* the closest provable encloser, and what disproves the name below it */
	par = zs->nodes[n].parent;
	for (;;) {
		if (par == NODE_NONE)
			return;
		n3_info(zs, z, par, &pin);
		if (pin.has && pin.exact)
			break;
		prev = par;
		par = zs->nodes[par].parent;
	}
	n3_add(zs, z, pin.cover, p);
	if (prev != NODE_NONE) {
		n3_info(zs, z, prev, &prin);
		if (prin.has) {
			n3_add(zs, z, prin.cover, p);
			return;
		}
	}
	/* the opt-out span from the parent zone completes the closest encloser proof */
	if (in.has)
		n3_add(zs, z, in.ds, p);
}

static void
n3_nodata(const struct zoneset *zs, uint32_t z, uint16_t qtype, uint32_t orig,
          struct dnssec_proof *p)
{
	struct n3info in, pin;
	uint32_t par;

	if (qtype == TYPE_DS) {
		if (orig == zs->zones[z]->apex) { /* the parent is not ours: answer at the apex */
			n3_info(zs, z, orig, &in);
			if (in.has && in.exact)
				n3_add(zs, z, in.cover, p);
			return;
		}
		n3_ds_proof(zs, z, orig, false, p);
		if (is_wildcard(zs, orig) && (par = zs->nodes[orig].parent) != NODE_NONE) {
			n3_info(zs, z, par, &pin);
			if (pin.has && pin.exact)
				n3_add(zs, z, pin.cover, p);
		}
		return;
	}
	if (is_wildcard(zs, orig)) {
		/* the closest encloser, then the wildcard that matched without the type */
		if ((par = zs->nodes[orig].parent) != NODE_NONE) {
			n3_info(zs, z, par, &pin);
			if (pin.has && pin.exact)
				n3_add(zs, z, pin.cover, p);
		}
		n3_info(zs, z, orig, &in);
		if (in.has)
			n3_add(zs, z, in.cover, p);
		return;
	}
	n3_info(zs, z, orig, &in);
	if (!in.has)
		return;
	if (!in.exact) { /* up to an ancestor with a matching record */
		for (;;) {
			par = zs->nodes[orig].parent;
			if (par == NODE_NONE)
				break;
			n3_info(zs, z, par, &pin);
			if (!pin.has || pin.exact)
				break;
			orig = par;
			in = pin;
		}
	}
	n3_add(zs, z, in.cover, p);
	if (!in.exact && (par = zs->nodes[orig].parent) != NODE_NONE) {
		n3_info(zs, z, par, &pin);
		if (pin.has && pin.exact)
			n3_add(zs, z, pin.cover, p);
	}
}

/* The NSEC owner of zone z that is the greatest at or before name (NSD's find_covering_nsec
   from the closest match), NODE_NONE when none. */
static uint32_t
nsec_cover(const struct zoneset *zs, uint32_t z, const uint8_t *name, size_t len)
{
	const struct dnssec_zone *d = dz(zs, z);
	size_t lo = 0, hi;

	if (d == NULL || d->nnsec == 0)
		return NODE_NONE;
	hi = d->nnsec;
	while (lo < hi) { /* first owner > name */
		size_t mid = lo + (hi - lo) / 2, ml;
		const uint8_t *mn = node_name(zs, d->nsec[mid], &ml);
		if (dnssec_name_cmp(mn, ml, name, len) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? NODE_NONE : d->nsec[lo - 1];
}

static void
nsec_add(const struct zoneset *zs, uint32_t z, const uint8_t *name, size_t len,
         struct dnssec_proof *p)
{
	uint32_t n = nsec_cover(zs, z, name, len);
	if (n != NODE_NONE)
		proof_add(p, n, zone_rrset_find(zs, n, z, TYPE_NSEC), zs);
}

void
dnssec_nodata(const struct zoneset *zs, uint32_t z, uint16_t qtype, uint32_t original,
              struct dnssec_proof *p)
{
	size_t len;
	const uint8_t *name;

	memset(p, 0, sizeof(*p));
	if (dnssec_zone_nsec3(zs, z)) {
		n3_nodata(zs, z, qtype, original, p);
	} else if (dnssec_zone_secure(zs, z)) {
		name = node_name(zs, original, &len);
		nsec_add(zs, z, name, len, p);
	}
}

void
dnssec_authoritative(const struct zoneset *zs, uint32_t z, const uint8_t *name, size_t len,
                     uint32_t ce, enum dnssec_match match, uint32_t w, struct dnssec_proof *p)
{
	memset(p, 0, sizeof(*p));
	if (dnssec_zone_nsec3(zs, z)) {
		struct n3info in;
		if (match == DNSSEC_WILDCARD) {
			n3_nonexist(zs, z, w, name, len, p);
			if (!p->collision && !has_any(zs, w, z))
				n3_nodata(zs, z, 0, w, p);
		} else if (match == DNSSEC_EXACT) {
			if (!has_any(zs, ce, z)) /* an empty non-terminal */
				n3_nodata(zs, z, 0, ce, p);
		} else {
			n3_nonexist(zs, z, ce, name, len, p);
			n3_info(zs, z, ce, &in);
			if (in.has && in.exact)
				n3_add(zs, z, in.cover, p);
			if (in.has && in.cover != UINT32_MAX)
				n3_add(zs, z, n3_wc_cover(zs, z, ce), p);
		}
	} else if (dnssec_zone_secure(zs, z)) {
		if (match != DNSSEC_EXACT)
			nsec_add(zs, z, name, len, p);
		if (match == DNSSEC_NONE) {
			uint8_t wc[256];
			size_t cl;
			const uint8_t *cn = node_name(zs, ce, &cl);
			if (cl + 2 <= 255) {
				wc[0] = 1;
				wc[1] = '*';
				memcpy(wc + 2, cn, cl);
				nsec_add(zs, z, wc, cl + 2, p);
			}
		}
	}
}

void
dnssec_referral(const struct zoneset *zs, uint32_t z, uint32_t deleg, struct dnssec_proof *p)
{
	const struct rrset *rs;

	memset(p, 0, sizeof(*p));
	if (!dnssec_zone_secure(zs, z))
		return;
	if ((rs = zone_rrset_find(zs, deleg, z, TYPE_DS)) != NULL)
		proof_add(p, deleg, rs, zs);
	else if (dnssec_zone_nsec3(zs, z))
		n3_ds_proof(zs, z, deleg, true, p);
	else
		proof_add(p, deleg, zone_rrset_find(zs, deleg, z, TYPE_NSEC), zs);
}
