/* server/answer.c -- building responses from the zone store straight into wire format, the
   way NSD 4.6 does it (same sections, same name compression, same truncation), without
   building any intermediate packet object. */
#include "server/answer.h"
#include "server/dnssec.h"
#include "server/view.h"
#include "server/zone_int.h"

#include <string.h>

#define RCODE_NOERROR  0
#define RCODE_FORMERR  1
#define RCODE_SERVFAIL 2
#define RCODE_NXDOMAIN 3
#define RCODE_NOTIMP   4
#define RCODE_REFUSED  5
#define RCODE_YXDOMAIN 6
#define RCODE_BADVERS  16

#define FLAG_QR 0x8000
#define FLAG_AA 0x0400
#define FLAG_TC 0x0200
#define FLAG_RD 0x0100
#define FLAG_AD 0x0020

#define OPT_LEN        11     /* OPT record without options */
#define EDE_LEN        6      /* one Extended DNS Error option without text */
#define EDE_NOT_AUTH   20     /* RFC 8914: Not Authoritative */
#define EDE_NOT_SUPP   21     /* RFC 8914: Not Supported */
#define EDE_OTHER      0      /* RFC 8914: Other (with a text) */
#define EDE_NONE       0xffff /* no Extended DNS Error */
#define MAX_PTR_OFFSET 16383  /* compression pointers are 14 bits */

/* Sections in encoding order, as NSD splits them. */
enum sec { SEC_ANSWER, SEC_AUTH, SEC_OPTAUTH, SEC_ADD_A, SEC_ADD_AAAA, SEC_ADD_OTHER, SEC_COUNT };

#define OWNER_QNAME (NODE_NONE - 1) /* owner is the query name as asked (pointer to 12) */
#define MAX_RRSETS  10240           /* NSD's MAXRRSPP */

/* Names made up while answering (the owner and target of a CNAME synthesized from a DNAME and
   the names between them and the tree), NSD's temporary domains: ids from TEMP_BASE on, each
   one label above its parent (a tree node or another temporary name), each compressed on its
   own like a node. */
#define TEMP_BASE   0x80000000u
#define MAX_TEMP    1024 /* NSD's EXTRA_DOMAIN_NUMBERS */
#define IS_TEMP(id) ((id) >= TEMP_BASE && (id) < OWNER_QNAME)

struct tname {
	uint32_t parent;   /* node or temporary name one label up */
	uint8_t label[64]; /* the label, length byte first */
};

static __thread struct tname temps_tls[MAX_TEMP];

/* A CNAME synthesized from a DNAME (RFC 6672 3.1). */
struct synth {
	uint32_t owner;  /* the name redirected (OWNER_QNAME, node or temporary name) */
	uint32_t target; /* the name it becomes (node or temporary name) */
	uint32_t ttl;    /* the DNAME's TTL, as NSD gives it */
};

#define MAX_SYNTH 64
static __thread struct synth synth_tls[MAX_SYNTH];

/* Compression table: node -> offset of the name already in the message. Open addressing;
   entries are removed in reverse order of insertion when a record is rolled back. */
#define CT_SIZE 4096
#define CT_MAX  3000

struct ctab {
	uint32_t key[CT_SIZE]; /* node + 1, 0 when the slot is free */
	uint16_t off[CT_SIZE]; /* offset of the name in the message */
	uint16_t used[CT_MAX]; /* slots in insertion order */
	size_t nused;          /* entries in used */
};

static __thread struct ctab ctab_tls;

struct item {
	uint32_t set;   /* offset of the rrset in zoneset sets; 0: synthesized CNAME number owner */
	uint32_t owner; /* owner node, OWNER_QNAME or temporary name (set 0: index in synth) */
	uint8_t section; /* enum sec */
};

static __thread struct item items_tls[MAX_RRSETS];

struct actx {
	const struct zoneset *zs;  /* the data */
	const struct view *view;   /* the zones this server serves; NULL: all of them */
	const struct msg_query *q; /* the request */
	const uint8_t *lname;      /* its question name lower-cased (caller's buffer) */
	struct item *items;        /* RRsets chosen, in the order added (thread-local) */
	size_t nitems;             /* items used */
	uint32_t zone;             /* current zone index, UINT32_MAX none */
	int cname_count;           /* CNAMEs followed */
	uint16_t rcode;            /* response rcode */
	uint16_t ede;              /* Extended DNS Error to add to OPT, EDE_NONE none */
	const char *ede_text;      /* its text (static), NULL none */
	struct tname *temps;       /* temporary names (thread-local) */
	uint32_t ntemps;           /* temps used */
	struct synth *synth;       /* synthesized CNAMEs (thread-local) */
	uint32_t nsynth;           /* synth used */
	bool aa;                   /* AA bit */
	bool tc;                   /* TC bit */
	bool delegation;           /* a delegation was found (NSD's delegation_domain) */
	/* encoding */
	uint8_t *out;    /* message buffer */
	size_t pos;      /* write position */
	size_t end;      /* records must end at or before this */
	size_t bufend;   /* hard end of out */
	bool overflow;   /* a write went past bufend */
	struct ctab *ct; /* compression table */
};

/* ---- compression ---------------------------------------------------------------------- */

static inline uint32_t
ct_slot(uint32_t node)
{
	return (node * 2654435761u) >> 20; /* 12 bits */
}

static uint16_t
ct_get(const struct ctab *ct, uint32_t node)
{
	for (uint32_t s = ct_slot(node);; s = (s + 1) & (CT_SIZE - 1)) {
		if (ct->key[s] == 0)
			return 0;
		if (ct->key[s] == node + 1)
			return ct->off[s];
	}
}

static void
ct_put(struct ctab *ct, uint32_t node, size_t off)
{
	uint32_t s;

	if (off > MAX_PTR_OFFSET || ct->nused >= CT_MAX)
		return;
	for (s = ct_slot(node); ct->key[s] != 0; s = (s + 1) & (CT_SIZE - 1))
		if (ct->key[s] == node + 1)
			return;
	ct->key[s] = node + 1;
	ct->off[s] = (uint16_t)off;
	ct->used[ct->nused++] = (uint16_t)s;
}

/* Forget every name written at or after mark. */
static void
ct_rollback(struct ctab *ct, size_t mark)
{
	while (ct->nused > 0 && ct->off[ct->used[ct->nused - 1]] >= mark) {
		ct->key[ct->used[ct->nused - 1]] = 0;
		ct->nused--;
	}
}

static void
ct_clear(struct ctab *ct)
{
	for (size_t i = 0; i < ct->nused; i++)
		ct->key[ct->used[i]] = 0;
	ct->nused = 0;
}

/* ---- writing -------------------------------------------------------------------------- */

static inline void
put(struct actx *c, const void *p, size_t n)
{
	if (c->overflow || c->pos + n > c->bufend) {
		c->overflow = true;
		return;
	}
	memcpy(c->out + c->pos, p, n);
	c->pos += n;
}

static inline void
put16(struct actx *c, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	put(c, b, 2);
}

static inline void
set16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A name from the tree, compressed against what is already in the message (NSD's
   encode_dname: every new suffix written is remembered). */
static void
put_node_name(struct actx *c, uint32_t n)
{
	const struct zoneset *zs = c->zs;
	uint16_t off;

	if (n == OWNER_QNAME) {
		put16(c, 0xc000 | MSG_HEADER_LEN);
		return;
	}
	while (IS_TEMP(n) && (off = ct_get(c->ct, n)) == 0) {
		const struct tname *t = &c->temps[n - TEMP_BASE];
		ct_put(c->ct, n, c->pos);
		put(c, t->label, (size_t)t->label[0] + 1);
		n = t->parent;
	}
	if (IS_TEMP(n)) {
		put16(c, 0xc000 | off);
		return;
	}
	while (zs->nodes[n].parent != NODE_NONE && (off = ct_get(c->ct, n)) == 0) {
		const uint8_t *label = zs->names + zs->nodes[n].name;
		ct_put(c->ct, n, c->pos);
		put(c, label, (size_t)label[0] + 1);
		n = zs->nodes[n].parent;
	}
	if (zs->nodes[n].parent == NODE_NONE)
		put(c, "", 1);
	else
		put16(c, 0xc000 | ct_get(c->ct, n));
}

/* One record of an RRset of type (rd: its rdata, zone_rr_rdata); false (and nothing written)
   when it does not fit. */
static bool
put_rr(struct actx *c, uint32_t owner, uint16_t type, const uint8_t *rr, const uint8_t *rd)
{
	size_t mark = c->pos;
	uint8_t nref = zone_rr_nref(rr);
	uint16_t rdlen = zone_rr_rdlen(rr);
	bool compress = false;
	uint8_t wire[10] = {(uint8_t)(type >> 8), (uint8_t)type, 0, CLASS_IN};

	for (uint8_t k = 0; k < nref; k++)
		compress |= zone_rr_ref(rr, k).compress != 0;
	memcpy(wire + 4, zone_rr_wire_ttl(rr), 6); /* TTL, rdlength */
	put_node_name(c, owner);
	if (!compress) {
		put(c, wire, 10);
		put(c, rd, rdlen);
	} else {
		size_t lenpos, cur = 0;
		put(c, wire, 8);
		lenpos = c->pos;
		put16(c, 0);
		for (uint8_t k = 0; k < nref; k++) {
			struct rr_ref ref = zone_rr_ref(rr, k);
			if (!ref.compress)
				continue;
			put(c, rd + cur, ref.pos - cur);
			put_node_name(c, ref.node);
			cur = (size_t)ref.pos + ref.len;
		}
		put(c, rd + cur, rdlen - cur);
		if (!c->overflow)
			set16(c->out + lenpos, (uint16_t)(c->pos - lenpos - 2));
	}
	if (c->overflow || c->pos > c->end) {
		c->overflow = false;
		c->pos = mark;
		ct_rollback(c->ct, mark);
		return false;
	}
	return true;
}

/* A synthesized CNAME; false (and nothing written) when it does not fit. */
static bool
put_synth(struct actx *c, const struct synth *sy)
{
	size_t mark = c->pos, lenpos;
	uint8_t rr[8] = {0, TYPE_CNAME, 0, CLASS_IN};

	rr[4] = (uint8_t)(sy->ttl >> 24);
	rr[5] = (uint8_t)(sy->ttl >> 16);
	rr[6] = (uint8_t)(sy->ttl >> 8);
	rr[7] = (uint8_t)sy->ttl;
	put_node_name(c, sy->owner);
	put(c, rr, sizeof(rr));
	lenpos = c->pos;
	put16(c, 0);
	put_node_name(c, sy->target);
	if (c->overflow || c->pos > c->end) {
		c->overflow = false;
		c->pos = mark;
		ct_rollback(c->ct, mark);
		return false;
	}
	set16(c->out + lenpos, (uint16_t)(c->pos - lenpos - 2));
	return true;
}

/* NSD's packet_encode_rrset: with DO, an RRset of a signed zone is followed by the RRSIGs at
   its node that cover its type (an SOA's carry the SOA's TTL, so those of a negative answer's
   SOA are lowered too). Adds to *added; false when one did not fit. */
static bool
put_sigs(struct actx *c, uint32_t owner, const struct rrset *rs, uint16_t *added)
{
	const struct rrset *sig = zone_rrset_at(c->zs, rs->sigs);
	const uint8_t *rr, *first = zone_rrset_first(rs), *base, *next;
	uint16_t type = rs->type, count;

	if (sig == NULL || !c->q->edns_do || type == TYPE_RRSIG ||
	    !dnssec_zone_secure(c->zs, rs->zone))
		return true;
	base = zone_rrset_rdbase(c->zs, sig);
	rr = zone_rrset_first(sig);
	count = sig->count;
	for (uint16_t i = 0; i < count; i++, rr = next) {
		size_t at = c->pos;
		const uint8_t *rd = zone_rr_rdata_next(base, rr, &next);
		if (!zone_rrsig_covers(rd, zone_rr_rdlen(rr), type))
			continue;
		if (!put_rr(c, owner, TYPE_RRSIG, rr, rd))
			return false;
		if (type == TYPE_SOA) {
			while (c->out[at] != 0 && (c->out[at] & 0xc0) != 0xc0)
				at += (size_t)c->out[at] + 1;
			at += c->out[at] == 0 ? 1 : 2;
			memcpy(c->out + at + 4, zone_rr_wire_ttl(first), 4);
		}
		(*added)++;
	}
	return true;
}

/* The records of an RRset into the message; returns how many were written. */
static uint16_t
put_rrset(struct actx *c, const struct item *it, bool tcp, bool *done)
{
	const struct rrset *rs;
	const uint8_t *rr, *base, *next;
	size_t mark = c->pos;
	uint16_t added = 0;
	bool all = true;

	if (it->set == 0) { /* synthesized CNAME: answer section, needed */
		if (put_synth(c, &c->synth[it->owner]))
			return 1;
		c->tc = true;
		return 0;
	}
	rs = zone_rrset_at(c->zs, it->set);
	base = zone_rrset_rdbase(c->zs, rs);
	rr = zone_rrset_first(rs);
	for (uint16_t i = 0, count = rs->count, type = rs->type; i < count; i++, rr = next) {
		const uint8_t *rd = zone_rr_rdata_next(base, rr, &next);
		if (!put_rr(c, it->owner, type, rr, rd)) {
			all = false;
			break;
		}
		added++;
	}
	if (all)
		all = put_sigs(c, it->owner, rs, &added);
	/* UDP: optional data that does not fit is left out, and nothing after it is tried */
	if (!all && !tcp && it->section >= SEC_OPTAUTH) {
		c->pos = mark;
		ct_rollback(c->ct, mark);
		added = 0;
		*done = true;
	}
	/* needed data that does not fit: leave the whole RRset out and set TC */
	if (!all && it->section <= SEC_AUTH) {
		c->pos = mark;
		ct_rollback(c->ct, mark);
		c->tc = true;
		added = 0;
	}
	return added;
}

/* ---- choosing the RRsets (NSD's query.c logic) ------------------------------------------ */

static void lookup_zone(struct actx *c, uint32_t owner, bool exact, uint32_t ce);
static size_t id_name(const struct actx *c, uint32_t id, uint8_t *out);
static uint32_t tree_lookup(const struct zoneset *zs, const uint8_t *name, size_t len, bool *exact);

static uint32_t
set_off(const struct actx *c, const struct rrset *rs)
{
	return (uint32_t)((const uint8_t *)rs - c->zs->sets);
}

/* Add an RRset once (an RRset already present moves to the earlier section). */
static bool
add_set(struct actx *c, enum sec section, uint32_t owner, const struct rrset *rs)
{
	uint32_t off = set_off(c, rs);

	for (size_t i = 0; i < c->nitems; i++) {
		if (c->items[i].set == off && c->items[i].owner == owner) {
			if (section < c->items[i].section) {
				c->items[i].section = (uint8_t)section;
				return true;
			}
			return false;
		}
	}
	if (c->nitems >= MAX_RRSETS)
		return false;
	c->items[c->nitems].set = off;
	c->items[c->nitems].owner = owner;
	c->items[c->nitems].section = (uint8_t)section;
	c->nitems++;
	return true;
}

/* Highest node with an NS RRset of zone z between n and the zone apex (apex excluded):
   the delegation n is at or below, NODE_NONE when none. */
static uint32_t
find_delegation(const struct actx *c, uint32_t n, uint32_t z)
{
	const struct zoneset *zs = c->zs;
	uint32_t apex = zs->zones[z]->apex, found = NODE_NONE;

	while (n != NODE_NONE && n != apex) {
		if (zone_rrset_find(zs, n, z, TYPE_NS))
			found = n;
		n = zs->nodes[n].parent;
	}
	return found;
}

/* The zone (index + 1) that encloses zone index+1 zi most closely, 0 when none. */
static uint32_t
zone_parent(const struct zoneset *zs, uint32_t zi)
{
	uint32_t p = zs->nodes[zs->zones[zi - 1]->apex].parent;

	return p == NODE_NONE ? 0 : zs->nodes[p].zone;
}

/* Zone index+1 zi, or this server's own copy of it (world mode), as index+1. */
static uint32_t
own_zone(const struct actx *c, uint32_t zi)
{
	uint32_t own = zi != 0 ? view_subst(c->view, zi - 1) : UINT32_MAX;

	return own != UINT32_MAX ? own + 1 : zi;
}

/* The deepest zone (index + 1) at or above node n that this server serves, 0 when none: in
   direct mode simply the deepest served zone, in world mode the deepest one of the view. */
static uint32_t
served_zone(const struct actx *c, uint32_t n)
{
	uint32_t zi = c->zs->nodes[n].zone;

	while (zi != 0 && !view_has(c->view, zi - 1)) {
		if (own_zone(c, zi) != zi)
			return own_zone(c, zi);
		zi = zone_parent(c->zs, zi);
	}
	return zi;
}

/* World mode: ce is in a zone deeper than zone index+1 zi that this server does not serve.
   Unless zi delegates it (a referral), such names do not exist for this server: the closest
   encloser it knows is above the outermost hidden zone's apex. */
static uint32_t
hidden_encloser(const struct actx *c, uint32_t ce, uint32_t zi)
{
	const struct zoneset *zs = c->zs;
	uint32_t z = zs->nodes[ce].zone;

	while (z != 0 && own_zone(c, zone_parent(zs, z)) != zi)
		z = zone_parent(zs, z);
	if (z == 0)
		return ce;
	ce = zs->nodes[zs->zones[z - 1]->apex].parent;
	while (ce != NODE_NONE && !(zs->nodes[ce].flags & NODE_EXISTS))
		ce = zs->nodes[ce].parent;
	return ce;
}

static uint32_t
wildcard_child(const struct zoneset *zs, uint32_t n)
{
	uint8_t name[256];
	const struct node *nd = &zs->nodes[n];

	if (!(nd->flags & NODE_WILDKID) || nd->namelen + 2 > 255)
		return NODE_NONE;
	name[0] = 1;
	name[1] = '*';
	memcpy(name + 2, zs->names + nd->name, nd->namelen);
	return zone_node_find(zs, name, (size_t)nd->namelen + 2,
	                      zone_name_hash(name, (size_t)nd->namelen + 2));
}

/* The A, AAAA (RT: also X25 and ISDN) RRsets of zone z at node data, added to the additional
   section with target as owner. Returns whether z had any. */
static bool
add_target_sets(struct actx *c, uint16_t type, uint32_t target, uint32_t data, uint32_t z)
{
	/* what a target gets, in NSD's order; the last two only for RT */
	static const struct {
		uint16_t type;    /* RRset type looked up at the target */
		enum sec section; /* additional sub-section it goes to */
	} wanted[] = {{TYPE_A, SEC_ADD_A},
	              {TYPE_AAAA, SEC_ADD_AAAA},
	              {TYPE_X25, SEC_ADD_OTHER},
	              {TYPE_ISDN, SEC_ADD_OTHER}};
	size_t n = type == TYPE_RT ? 4 : 2;
	bool found = false;

	for (size_t i = 0; i < n; i++) {
		const struct rrset *a = zone_rrset_find(c->zs, data, z, wanted[i].type);
		if (a != NULL) {
			add_set(c, wanted[i].section, target, a);
			found = true;
		}
	}
	return found;
}

/* A/AAAA for the names an NS, MX, SRV, KX or RT RRset points at (RT: also X25 and ISDN, as NSD
   does). First from the current zone, exactly as NSD does (glue only for NS). When that zone
   has none and the target belongs to another served zone (the deepest one holding it), the
   contract ("A/AAAA of MX, NS and SRV targets that are in served zones") wants that zone's
   authoritative data too, as BIND gives it: not when the target is at or below a zone cut of
   that zone (glue, occluded data). Wildcards apply in both cases. */
static void
add_additional(struct actx *c, const struct rrset *rs, bool allow_glue)
{
	const struct zoneset *zs = c->zs;
	const uint8_t *rr = zone_rrset_first(rs);

	for (uint16_t i = 0; i < rs->count; i++) {
		uint32_t target, match, data, tz;
		bool found = false;

		if (zone_rr_nref(rr) == 0)
			goto next;
		target = zone_rr_ref(rr, 0).node;
		match = target;
		while (match != NODE_NONE && !(zs->nodes[match].flags & NODE_EXISTS))
			match = zs->nodes[match].parent;
		if (match == NODE_NONE)
			goto next;
		data = target;
		if (match != target) {
			uint32_t w = wildcard_child(zs, match);
			if (w != NODE_NONE)
				data = w;
		}
		if (!allow_glue) {
			uint32_t d = find_delegation(c, target, c->zone);
			if (d != NODE_NONE && !zone_rrset_find(zs, d, c->zone, TYPE_SOA))
				goto other_zone;
		}
		found = add_target_sets(c, rs->type, target, data, c->zone);
	other_zone:
		tz = served_zone(c, target);
		if (!found && tz != 0 && tz - 1 != c->zone &&
		    find_delegation(c, target, tz - 1) == NODE_NONE)
			add_target_sets(c, rs->type, target, data, tz - 1);
	next:
		rr = zone_rr_next(rs, rr);
	}
}

/* Add an RRset and what it pulls into the additional section. */
static bool
add_rrset(struct actx *c, enum sec section, uint32_t owner, const struct rrset *rs)
{
	bool r = add_set(c, section, owner, rs);

	switch (rs->type) {
	case TYPE_NS:
		add_additional(c, rs, true);
		break;
	case TYPE_MX:
	case TYPE_SRV:
	case TYPE_KX:
	case TYPE_RT:
		add_additional(c, rs, false);
		break;
	default:
		break;
	}
	return r;
}

static void
answer_soa(struct actx *c)
{
	const struct zone *z = c->zs->zones[c->zone];

	/* NSD sends no SOA to QCLASS ANY */
	if (z->soa_nx && c->q->qclass != CLASS_ANY)
		add_rrset(c, SEC_AUTH, z->apex, zone_rrset_at(c->zs, z->soa_nx));
}

/* The NSEC/NSEC3/DS RRsets dnssec.c chose, into the authority section. False after an NSEC3
   hash collision (NSD: SERVFAIL, nothing more is looked up). */
static bool
add_proof(struct actx *c, const struct dnssec_proof *p)
{
	for (size_t i = 0; i < p->n; i++)
		add_set(c, SEC_AUTH, p->node[i], zone_rrset_at(c->zs, p->set[i]));
	if (!p->collision)
		return true;
	c->rcode = RCODE_SERVFAIL;
	c->ede = EDE_OTHER;
	c->ede_text = "NSEC3 hash collision";
	return false;
}

/* NODATA at node original (the name, or the wildcard that matched): SOA, then with DO the
   NSEC/NSEC3 proving the type is not there (NSD's answer_nodata). */
static void
answer_nodata(struct actx *c, uint32_t original)
{
	struct dnssec_proof p;

	answer_soa(c);
	if (c->q->edns_do) {
		dnssec_nodata(c->zs, c->zone, c->q->qtype, original, &p);
		add_proof(c, &p);
	}
}

/* With DO, what proves the authoritative answer for owner (NSD's answer_authoritative DNSSEC
   part: NXDOMAIN and wildcard proofs, empty non-terminals). False on an NSEC3 collision. */
static bool
answer_denial(struct actx *c, uint32_t owner, uint32_t ce, enum dnssec_match m, uint32_t w)
{
	struct dnssec_proof p;
	uint8_t name[256];
	size_t len;

	if (!c->q->edns_do)
		return true;
	len = id_name(c, owner, name);
	dnssec_authoritative(c->zs, c->zone, name, len, ce, m, w, &p);
	return add_proof(c, &p);
}

static void
answer_domain(struct actx *c, uint32_t data, uint32_t owner)
{
	const struct zoneset *zs = c->zs;
	const struct zone *z = zs->zones[c->zone];
	const struct rrset *rs;
	uint16_t qtype = c->q->qtype;

	if (qtype == TYPE_ANY) {
		bool added = false;
		for (uint32_t off = zs->nodes[data].rrsets; off;) {
			rs = zone_rrset_at(zs, off);
			off = rs->next;
			/* NSD: never NSEC3; with DO no RRSIG set (each RRset brings its own) */
			if (rs->zone != c->zone || rs->type == TYPE_NSEC3 ||
			    (rs->type == TYPE_RRSIG && c->q->edns_do &&
			     dnssec_zone_secure(zs, c->zone)))
				continue;
			add_rrset(c, SEC_ANSWER, owner, rs);
			added = true;
		}
		if (!added)
			answer_nodata(c, data);
		return;                   /* NSD adds no NS for ANY */
	} else if (qtype == TYPE_NSEC3) { /* NSD: NSEC3 records are not data of the name */
		answer_nodata(c, data);
		return;
	} else if ((rs = zone_rrset_find(zs, data, c->zone, qtype)) != NULL) {
		add_rrset(c, SEC_ANSWER, owner, rs);
	} else if ((rs = zone_rrset_find(zs, data, c->zone, TYPE_CNAME)) != NULL) {
		const uint8_t *rr = zone_rrset_first(rs);
		uint32_t save = c->zone;
		struct rr_ref ref;
		/* not added: it is already in the answer, a loop; the chain ends here */
		if (add_rrset(c, SEC_ANSWER, owner, rs) && zone_rr_nref(rr) > 0) {
			ref = zone_rr_ref(rr, 0);
			c->cname_count++;
			lookup_zone(c, ref.node, true, ref.node);
			c->zone = save;
		}
		return;
	} else {
		answer_nodata(c, data);
		return;
	}
	if (z->ns && qtype != TYPE_DS && qtype != TYPE_DNSKEY && c->q->qclass != CLASS_ANY)
		add_rrset(c, SEC_OPTAUTH, z->apex, zone_rrset_at(zs, z->ns));
}

/* The lower-cased wire name of an owner id (OWNER_QNAME, node, temporary name) into out
   (256 bytes); returns its length. */
static size_t
id_name(const struct actx *c, uint32_t id, uint8_t *out)
{
	const struct zoneset *zs = c->zs;
	size_t len = 0;

	if (id == OWNER_QNAME) {
		zone_name_lower(c->q->qname, c->q->qname_len, out);
		return c->q->qname_len;
	}
	while (IS_TEMP(id)) {
		const struct tname *t = &c->temps[id - TEMP_BASE];
		memcpy(out + len, t->label, (size_t)t->label[0] + 1);
		len += (size_t)t->label[0] + 1;
		id = t->parent;
	}
	memcpy(out + len, zs->names + zs->nodes[id].name, zs->nodes[id].namelen);
	return len + zs->nodes[id].namelen;
}

/* Temporary names for the labels of name (len bytes) above the node anchor, whose name is
   the last alen bytes of name, innermost first as NSD makes them; returns the id of the whole
   name (anchor itself when there is nothing above it), NODE_NONE when out of room. */
static uint32_t
temp_chain(struct actx *c, const uint8_t *name, size_t len, uint32_t anchor, size_t alen)
{
	size_t offs[128], n = 0, p = 0;
	uint32_t id = anchor;

	while (len - p > alen && n < 128) {
		offs[n++] = p;
		p += (size_t)name[p] + 1;
	}
	while (n-- > 0) {
		struct tname *t;
		if (c->ntemps >= MAX_TEMP)
			return NODE_NONE;
		t = &c->temps[c->ntemps];
		t->parent = id;
		memcpy(t->label, name + offs[n], (size_t)name[offs[n]] + 1);
		id = TEMP_BASE + c->ntemps++;
	}
	return id;
}

/* RFC 6672 as NSD 4.6 does it: the name (owner) is below the DNAME at ce. Answer the DNAME,
   a CNAME from the name to its substitute (TTL of the DNAME), and go on with the substitute
   like a CNAME target (not for QTYPE CNAME). A DNAME already in the answer is a loop: stop.
   A substitute longer than 255 bytes: YXDOMAIN with the DNAME alone. */
static void
answer_dname(struct actx *c, uint32_t owner, uint32_t ce, const struct rrset *rs)
{
	const struct zoneset *zs = c->zs;
	const uint8_t *rr = zone_rrset_first(rs);
	const uint8_t *target = zone_rr_rdata(zs, rs, rr);
	size_t tlen = zone_rr_rdlen(rr), flen, plen, celen = zs->nodes[ce].namelen;
	uint8_t from[256], to[512];
	uint32_t src, dest, n, save = c->zone;
	bool exact;

	if (!add_rrset(c, SEC_ANSWER, ce, rs))
		return;
	c->cname_count++;
	flen = id_name(c, owner, from);
	plen = flen - celen;
	if (plen + tlen > 255) {
		c->rcode = RCODE_YXDOMAIN;
		c->ede = EDE_OTHER;
		c->ede_text = "DNAME expansion became too large";
		return;
	}
	memcpy(to, from, plen);
	memcpy(to + plen, target, tlen);
	n = tree_lookup(zs, to, plen + tlen, &exact);
	if (n == NODE_NONE)
		return;
	src = temp_chain(c, from, flen, ce, celen);
	if (src == NODE_NONE)
		return;
	if (flen == c->q->qname_len && memcmp(from, c->lname, flen) == 0)
		src = OWNER_QNAME; /* NSD's domain number 0: a pointer to the question */
	dest = temp_chain(c, to, plen + tlen, n, zs->nodes[n].namelen);
	if (dest == NODE_NONE || c->nsynth >= MAX_SYNTH || c->nitems >= MAX_RRSETS)
		return;
	c->synth[c->nsynth].owner = src;
	c->synth[c->nsynth].target = dest;
	c->synth[c->nsynth].ttl = zone_rr_ttl(rr);
	c->items[c->nitems].set = 0;
	c->items[c->nitems].owner = c->nsynth++;
	c->items[c->nitems].section = SEC_ANSWER;
	c->nitems++;
	if (c->q->qtype == TYPE_CNAME)
		return;
	lookup_zone(c, dest, exact, n);
	c->zone = save;
}

static void
answer_authoritative(struct actx *c, uint32_t owner, bool exact, uint32_t ce)
{
	const struct rrset *rs;
	uint32_t w;

	if (exact && dnssec_only_nsec3(c->zs, ce, c->zone) &&
	    c->zs->nodes[ce].parent != NODE_NONE) {
		exact = false; /* NSD: a hashed owner name is no name of the zone */
		ce = c->zs->nodes[ce].parent;
	}
	if (exact) {
		if (answer_denial(c, owner, ce, DNSSEC_EXACT, NODE_NONE))
			answer_domain(c, ce, ce);
	} else if ((c->zs->nodes[ce].flags & NODE_DNAME) &&
	           (rs = zone_rrset_find(c->zs, ce, c->zone, TYPE_DNAME)) != NULL) {
		answer_dname(c, owner, ce, rs);
	} else if ((w = wildcard_child(c->zs, ce)) != NODE_NONE &&
	           (c->zs->nodes[w].flags & NODE_EXISTS)) {
		/* RFC 4592: synthesize from the wildcard with the asked name as owner */
		if (answer_denial(c, owner, ce, DNSSEC_WILDCARD, w))
			answer_domain(c, w, owner);
	} else if (answer_denial(c, owner, ce, DNSSEC_NONE, NODE_NONE)) {
		c->rcode = RCODE_NXDOMAIN;
		answer_soa(c);
	}
}

/* NSD's answer_lookup_zone: owner is the name being answered (OWNER_QNAME or a CNAME target
   node), ce its closest encloser in the tree (may be a node without data). */
static void
lookup_zone(struct actx *c, uint32_t owner, bool exact, uint32_t ce)
{
	const struct zoneset *zs = c->zs;
	uint32_t zi = ce == NODE_NONE ? 0 : served_zone(c, ce), deleg;
	uint16_t qtype = c->q->qtype;

	if (zi == 0) {
		if (c->cname_count == 0) {
			c->rcode = RCODE_REFUSED;
			c->ede = EDE_NOT_AUTH;
		}
		return;
	}
	c->zone = zi - 1;
	if (!(zs->nodes[ce].flags & NODE_EXISTS)) {
		exact = false;
		while (ce != NODE_NONE && !(zs->nodes[ce].flags & NODE_EXISTS))
			ce = zs->nodes[ce].parent;
	}
	if (ce != NODE_NONE && c->view != NULL && own_zone(c, zs->nodes[ce].zone) != zi &&
	    find_delegation(c, ce, c->zone) == NODE_NONE) {
		ce = hidden_encloser(c, ce, zi);
		exact = false;
	}
	if (ce == NODE_NONE) {
		if (c->cname_count == 0)
			c->rcode = RCODE_SERVFAIL;
		return;
	}
	/* RFC 4035 3.1.4.1: DS at a zone cut is answered by the parent, when served */
	if (exact && qtype == TYPE_DS && ce == zs->zones[c->zone]->apex) {
		uint32_t p = zs->nodes[ce].parent;
		if (p != NODE_NONE && served_zone(c, p) != 0)
			c->zone = served_zone(c, p) - 1;
	}
	if (exact && qtype == TYPE_DS && ce == zs->zones[c->zone]->apex) {
		c->aa = c->q->qclass != CLASS_ANY;
		answer_nodata(c, ce);
		return;
	}
	deleg = find_delegation(c, ce, c->zone);
	c->delegation = deleg != NODE_NONE;
	if (deleg == NODE_NONE || (exact && qtype == TYPE_DS && ce == deleg)) {
		c->aa = c->q->qclass != CLASS_ANY; /* NSD: QCLASS ANY answers are not AA */
		answer_authoritative(c, owner, exact, ce);
	} else {
		/* referral: NS in authority, glue in additional, AA only after a CNAME */
		c->aa = c->cname_count != 0;
		add_rrset(c, SEC_AUTH, deleg, zone_rrset_find(zs, deleg, c->zone, TYPE_NS));
		if (c->q->edns_do) { /* the DS, or the proof there is none */
			struct dnssec_proof p;
			dnssec_referral(zs, c->zone, deleg, &p);
			add_proof(c, &p);
		}
	}
}

/* ---- the message ---------------------------------------------------------------------- */

/* Is this answer going over TCP? The transport says so in q->tcp; without that, a limit of
   65535 that is not just the client's EDNS size means TCP. */
static bool
is_tcp(const struct msg_query *q, size_t limit)
{
	return q->tcp || (limit >= ANSWER_MAX && !(q->edns && q->edns_size >= ANSWER_MAX));
}

static size_t
effective_limit(const struct msg_query *q, size_t limit, size_t cap, bool tcp)
{
	/* Like NSD: a UDP answer never exceeds our advertised EDNS size, whatever the client
	   offers; without EDNS 512. TCP is not capped. */
	if (!tcp && q->edns && limit > MSG_EDNS_SIZE)
		limit = MSG_EDNS_SIZE;
	if (!tcp && !q->edns && limit > MSG_UDP_MINSIZE)
		limit = MSG_UDP_MINSIZE;
	if (limit > cap)
		limit = cap;
	return limit;
}

static void
put_header(struct actx *c, uint16_t flags, uint16_t qd)
{
	uint8_t h[MSG_HEADER_LEN] = {0};

	set16(h, c->q->id);
	set16(h + 2, flags);
	set16(h + 4, qd);
	put(c, h, sizeof(h));
}

static void
put_question(struct actx *c)
{
	put(c, c->q->qname, c->q->qname_len);
	put16(c, c->q->qtype);
	put16(c, c->q->qclass);
}

/* OPT with our payload size, and an Extended DNS Error (with its text) unless ede is
   EDE_NONE. */
static void
put_opt(struct actx *c, uint16_t rcode, uint16_t ede, const char *text)
{
	uint8_t o[OPT_LEN + EDE_LEN] = {0, 0, TYPE_OPT, 0, 0, 0, 0, 0, 0, 0, 0};
	size_t tlen = text ? strlen(text) : 0;

	set16(o + 3, MSG_EDNS_SIZE);
	o[5] = (uint8_t)(rcode >> 4);
	o[6] = 0;
	o[7] = c->q->edns_do ? 0x80 : 0;
	if (ede != EDE_NONE) {
		set16(o + 9, (uint16_t)(EDE_LEN + tlen));
		set16(o + 11, 15);
		set16(o + 13, (uint16_t)(2 + tlen));
		set16(o + 15, ede);
		put(c, o, OPT_LEN + EDE_LEN);
		if (tlen > 0)
			put(c, text, tlen);
	} else {
		put(c, o, OPT_LEN);
	}
}

static uint16_t
base_flags(const struct msg_query *q)
{
	return FLAG_QR | (q->flags & FLAG_RD) | (uint16_t)((q->opcode & 0xf) << 11);
}

static void
fill_meta(struct answer_meta *meta, const uint8_t *out, size_t len, uint16_t rcode)
{
	if (meta == NULL)
		return;
	memset(meta, 0, sizeof(*meta));
	if (len < MSG_HEADER_LEN)
		return;
	meta->rcode = (uint8_t)rcode;
	meta->aa = (out[2] & 0x04) != 0;
	meta->tc = (out[2] & 0x02) != 0;
	meta->ancount = (uint16_t)(out[6] << 8 | out[7]);
	meta->nscount = (uint16_t)(out[8] << 8 | out[9]);
	meta->arcount = (uint16_t)(out[10] << 8 | out[11]);
}

static void
ctx_init(struct actx *c, const struct zoneset *zs, const struct view *view,
         const struct msg_query *q, uint8_t *out, size_t cap, size_t limit)
{
	c->zs = zs;
	c->view = view;
	c->q = q;
	c->lname = NULL;
	c->items = items_tls;
	c->nitems = 0;
	c->zone = UINT32_MAX;
	c->cname_count = 0;
	c->rcode = RCODE_NOERROR;
	c->ede = EDE_NONE;
	c->ede_text = NULL;
	c->temps = temps_tls;
	c->ntemps = 0;
	c->synth = synth_tls;
	c->nsynth = 0;
	c->aa = c->tc = c->delegation = false;
	c->out = out;
	c->pos = 0;
	c->bufend = cap;
	c->end = limit;
	c->overflow = false;
	c->ct = &ctab_tls;
	ct_clear(c->ct);
}

/* Closest node to a lower-cased name: the name itself (exact) or its deepest ancestor in
   the tree, NODE_NONE when not even the root is there. */
static uint32_t
tree_lookup(const struct zoneset *zs, const uint8_t *name, size_t len, bool *exact)
{
	size_t p = 0;

	*exact = false;
	if (zs == NULL || zs->htab == NULL)
		return NODE_NONE;
	while (p < len) {
		uint32_t n =
		    zone_node_find(zs, name + p, len - p, zone_name_hash(name + p, len - p));
		if (n != NODE_NONE) {
			*exact = p == 0;
			return n;
		}
		if (name[p] == 0)
			break;
		p += (size_t)name[p] + 1;
	}
	return NODE_NONE;
}

/* CH TXT version.bind / version.server / id.server / hostname.bind, as NSD. */
static size_t
answer_chaos(struct actx *c, const uint8_t *lname, struct answer_meta *meta)
{
	static const char ident[] = "mxlabd";
	const struct msg_query *q = c->q;
	bool known = false;
	uint16_t ancount = 0, rcode = RCODE_NOERROR;

	if (q->qtype == TYPE_TXT || q->qtype == TYPE_ANY) {
		known = (q->qname_len == 11 && memcmp(lname, "\002id\006server", 11) == 0) ||
		        (q->qname_len == 15 && memcmp(lname, "\010hostname\004bind", 15) == 0) ||
		        (q->qname_len == 16 && memcmp(lname, "\007version\006server", 16) == 0) ||
		        (q->qname_len == 14 && memcmp(lname, "\007version\004bind", 14) == 0);
	}
	if (!known)
		rcode = RCODE_REFUSED;
	put_header(c, base_flags(q) | rcode, 1);
	put_question(c);
	if (known) {
		uint8_t rr[12] = {0xc0, MSG_HEADER_LEN, 0, TYPE_TXT, 0, CLASS_CH, 0, 0, 0, 0, 0, 0};
		set16(rr + 10, (uint16_t)(sizeof(ident)));
		put(c, rr, sizeof(rr));
		put16(c, (uint16_t)(((sizeof(ident) - 1) << 8) | (uint8_t)ident[0]));
		put(c, ident + 1, sizeof(ident) - 2);
		ancount = 1;
	}
	if (q->edns) {
		put_opt(c, rcode, EDE_NONE, NULL);
		set16(c->out + 10, 1);
	}
	if (c->overflow)
		return 0;
	set16(c->out + 6, ancount);
	fill_meta(meta, c->out, c->pos, rcode);
	return c->pos;
}

/* A header-only answer (optionally with the question); used for errors. */
static size_t
answer_error(struct actx *c, uint16_t flags, bool question, uint16_t rcode, uint16_t ede,
             struct answer_meta *meta)
{
	put_header(c, flags | (rcode & 0xf), question ? 1 : 0);
	if (question)
		put_question(c);
	if (c->q->edns) {
		put_opt(c, rcode, ede, NULL);
		set16(c->out + 10, 1);
	}
	if (c->overflow)
		return 0;
	fill_meta(meta, c->out, c->pos, rcode);
	return c->pos;
}

size_t
answer_build(const struct zoneset *zs, const struct msg_query *q, size_t limit, uint8_t *out,
             size_t cap, struct answer_meta *meta)
{
	return answer_build_view(zs, NULL, q, limit, out, cap, meta);
}

size_t
answer_build_view(const struct zoneset *zs, const struct view *view, const struct msg_query *q,
                  size_t limit, uint8_t *out, size_t cap, struct answer_meta *meta)
{
	struct actx c;
	uint8_t lname[256];
	uint16_t counts[SEC_COUNT] = {0}, flags;
	uint32_t ce;
	bool exact, tcp = q != NULL && is_tcp(q, limit), done = false;
	size_t reserved;

	if (meta != NULL)
		memset(meta, 0, sizeof(*meta));
	if (q == NULL || out == NULL || cap < MSG_HEADER_LEN)
		return 0;
	if (!q->has_question)
		return answer_empty_view(zs, view, q, RCODE_FORMERR, false, false, out, cap, meta);
	limit = effective_limit(q, limit, cap, tcp);
	ctx_init(&c, zs, view, q, out, cap, limit);
	zone_name_lower(q->qname, q->qname_len, lname);
	c.lname = lname;

	if (q->qclass == CLASS_CH)
		return answer_chaos(&c, lname, meta);
	if (q->qclass != CLASS_IN && q->qclass != CLASS_ANY) /* NSD: REFUSED, no question */
		return answer_error(&c, base_flags(q), false, RCODE_REFUSED, EDE_NOT_SUPP, meta);
	if (q->qtype == TYPE_AXFR) /* no zone transfers; NSD says NOTIMP over UDP */
		return answer_error(&c, base_flags(q), true, RCODE_NOTIMP, EDE_NONE, meta);
	if (q->qtype == TYPE_IXFR)
		return answer_error(&c, base_flags(q), true, RCODE_REFUSED, EDE_NONE, meta);

	ce = tree_lookup(zs, lname, q->qname_len, &exact);
	lookup_zone(&c, OWNER_QNAME, exact, ce);
	if (c.rcode == RCODE_REFUSED || c.rcode == RCODE_SERVFAIL)
		return answer_error(&c, base_flags(q), true, c.rcode, c.ede, meta);

	/* header, question, then every section in order until something needed is cut */
	put_header(&c, 0, 1);
	put_question(&c);
	reserved = q->edns ? OPT_LEN : 0;
	c.end = limit > reserved ? limit - reserved : 0;
	if (c.nitems > 0 && ce != NODE_NONE) {
		/* the asked name's suffixes that are in the tree point into the question */
		size_t off = 0, cel = zs->nodes[ce].namelen;
		while (q->qname_len - off > cel)
			off += (size_t)lname[off] + 1;
		for (uint32_t n = ce; zs->nodes[n].parent != NODE_NONE; n = zs->nodes[n].parent) {
			ct_put(c.ct, n, MSG_HEADER_LEN + off);
			off += (size_t)lname[off] + 1;
		}
	}
	for (int s = SEC_ANSWER; s < SEC_COUNT && !c.tc; s++) {
		for (size_t i = 0; i < c.nitems && !c.tc; i++) {
			if (c.items[i].section == s)
				counts[s] += put_rrset(&c, &c.items[i], tcp, &done);
		}
		if (done) {
			/* a referral should carry at least one address */
			if (s == SEC_ADD_A && counts[SEC_ADD_A] == 0 && c.delegation)
				c.tc = true;
			break;
		}
	}
	flags = base_flags(q) | (c.aa ? FLAG_AA : 0) | (c.tc ? FLAG_TC : 0) | (c.rcode & 0xf);
	set16(out + 2, flags);
	set16(out + 6, counts[SEC_ANSWER]);
	set16(out + 8, (uint16_t)(counts[SEC_AUTH] + counts[SEC_OPTAUTH]));
	set16(out + 10,
	      (uint16_t)(counts[SEC_ADD_A] + counts[SEC_ADD_AAAA] + counts[SEC_ADD_OTHER]));
	if (q->edns) {
		c.end = c.bufend;
		put_opt(&c, c.rcode, c.ede, c.ede_text);
		set16(out + 10, (uint16_t)(counts[SEC_ADD_A] + counts[SEC_ADD_AAAA] +
		                           counts[SEC_ADD_OTHER] + 1));
	}
	ct_clear(c.ct);
	if (c.overflow)
		return 0;
	fill_meta(meta, out, c.pos, c.rcode);
	return c.pos;
}

size_t
answer_empty(const struct zoneset *zs, const struct msg_query *q, uint16_t rcode, bool aa, bool tc,
             uint8_t *out, size_t cap, struct answer_meta *meta)
{
	return answer_empty_view(zs, NULL, q, rcode, aa, tc, out, cap, meta);
}

size_t
answer_empty_view(const struct zoneset *zs, const struct view *view, const struct msg_query *q,
                  uint16_t rcode, bool aa, bool tc, uint8_t *out, size_t cap,
                  struct answer_meta *meta)
{
	struct actx c;
	uint16_t flags;
	uint16_t nscount = 0;

	if (meta != NULL)
		memset(meta, 0, sizeof(*meta));
	if (q == NULL || out == NULL || cap < MSG_HEADER_LEN)
		return 0;
	ctx_init(&c, zs, view, q, out, cap, cap);
	if ((rcode == RCODE_NOTIMP && q->opcode != 0) || rcode == RCODE_BADVERS) {
		/* NSD 4.6 echoes the request's flags here (AA, TC, Z, CD too), all but AD */
		flags = (uint16_t)((q->flags | FLAG_QR) & ~(FLAG_AD | 0xf));
	} else {
		flags = base_flags(q);
	}
	flags |= (aa ? FLAG_AA : 0) | (tc ? FLAG_TC : 0) | (rcode & 0xf);
	put_header(&c, flags, q->has_question ? 1 : 0);
	if (q->has_question)
		put_question(&c);
	if (rcode == RCODE_NXDOMAIN && q->has_question && q->qclass == CLASS_IN) {
		uint8_t lname[256];
		bool exact;
		uint32_t ce;
		zone_name_lower(q->qname, q->qname_len, lname);
		ce = tree_lookup(zs, lname, q->qname_len, &exact);
		if (ce != NODE_NONE && served_zone(&c, ce) != 0) {
			const struct zone *z = zs->zones[served_zone(&c, ce) - 1];
			struct item it = {z->soa_nx, z->apex, SEC_AUTH};
			bool done = false;
			if (z->soa_nx) {
				c.end = cap - (q->edns ? OPT_LEN : 0);
				nscount = put_rrset(&c, &it, true, &done);
			}
		}
	}
	if (q->edns) {
		put_opt(&c, rcode, EDE_NONE, NULL);
		set16(out + 10, 1);
	}
	set16(out + 8, nscount);
	ct_clear(c.ct);
	if (c.overflow)
		return 0;
	fill_meta(meta, out, c.pos, rcode);
	if (meta != NULL)
		meta->rcode = (uint8_t)rcode;
	return c.pos;
}
