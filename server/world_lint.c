/* server/world_lint.c -- the delegation lint of mxlabd --check --world: every delegation of
   the served zones checked the way a resolver walks it (parent NS, glue, the child's own NS
   and addresses, the servers world mode derives), each finding with file:line and a code. */
#include "server/world_lint.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/msg.h"
#include "server/world.h"
#include "server/zone_int.h"

#define LINT_ADDRS_MAX 64 /* addresses of one name we look at */

/* One record of interest (NS, A, AAAA, CNAME, SOA), as the zone walker gave it. */
struct lrec {
	uint8_t owner[256];   /* owner, lower-case wire form */
	size_t olen;          /* bytes in owner */
	uint8_t target[256];  /* NS/CNAME target, lower-case wire form (else empty) */
	size_t tlen;          /* bytes in target */
	uint16_t type;        /* record type */
	size_t zone;          /* index of its zone */
	const char *file;     /* file it was read from; owned by the zone set */
	unsigned long line;   /* line in that file */
	union qlog_addr addr; /* A/AAAA: the address */
};

/* One zone of the set. */
struct lzone {
	const uint8_t *origin; /* origin wire form (the zone set's); NULL before its records */
	size_t olen;           /* bytes in origin */
	bool copy;             /* a per-server copy (ORIGIN@ADDR.zone): not linted itself */
	const char *file;      /* its zone file */
	unsigned long line;    /* line of its first record (the SOA) */
};

/* What the walk collected. */
struct lint {
	const struct zoneset *zs;  /* the zones; not owned */
	struct lrec *recs;         /* records of interest; owned */
	size_t nrecs;              /* entries in recs */
	size_t caprecs;            /* entries allocated */
	struct lzone *zones;       /* one per zone of zs, same order; owned */
	size_t nzones;             /* entries in zones */
	size_t cur;                /* zone the walker is in (+1; 0 before the first) */
	const uint8_t *cur_origin; /* origin pointer of that zone */
	bool oom;                  /* an allocation failed */
	struct diag *d;            /* findings go here; not owned */
	size_t found;              /* findings added */
};

/* ---- wire names --------------------------------------------------------------------------- */

static size_t
wire_len(const uint8_t *n, size_t max)
{
	size_t i = 0;

	while (i < max && n[i] != 0) {
		if (n[i] > 63)
			return 0;
		i += (size_t)n[i] + 1;
	}
	return i < max ? i + 1 : 0;
}

static size_t
wire_lower(const uint8_t *in, size_t max, uint8_t *out)
{
	size_t len = wire_len(in, max > 255 ? 255 : max);

	for (size_t i = 0; i < len; i++)
		out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (uint8_t)(in[i] + 32) : in[i];
	return len;
}

static bool
name_eq(const uint8_t *a, size_t la, const uint8_t *b, size_t lb)
{
	return la == lb && memcmp(a, b, la) == 0;
}

/* Is a at or below b (both lower-case wire)? */
static bool
name_under(const uint8_t *a, size_t la, const uint8_t *b, size_t lb)
{
	for (size_t i = 0; i < la; i += (size_t)a[i] + 1) {
		if (la - i == lb && memcmp(a + i, b, lb) == 0)
			return true;
		if (a[i] == 0)
			break;
	}
	return false;
}

static void
name_str(const uint8_t *n, char *buf, size_t len)
{
	msg_name_to_str(n, buf, len);
}

/* ---- addresses ---------------------------------------------------------------------------- */

static bool
addr_eq(const union qlog_addr *a, const union qlog_addr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return memcmp(&a->sin.sin_addr, &b->sin.sin_addr, 4) == 0;
	return memcmp(&a->sin6.sin6_addr, &b->sin6.sin6_addr, 16) == 0;
}

static void
addr_str(const union qlog_addr *a, char *buf, size_t len)
{
	if (a->sa.sa_family == AF_INET)
		inet_ntop(AF_INET, &a->sin.sin_addr, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, &a->sin6.sin6_addr, buf, (socklen_t)len);
}

static bool
addr_loopback(const union qlog_addr *a)
{
	if (a->sa.sa_family == AF_INET)
		return ((const uint8_t *)&a->sin.sin_addr)[0] == 127;
	return IN6_IS_ADDR_LOOPBACK(&a->sin6.sin6_addr);
}

static bool
addr_in(const union qlog_addr *v, size_t n, const union qlog_addr *a)
{
	for (size_t i = 0; i < n; i++)
		if (addr_eq(&v[i], a))
			return true;
	return false;
}

/* ---- the walk ----------------------------------------------------------------------------- */

static void
collect_cb(const struct zone_rr *rr, void *arg)
{
	struct lint *l = arg;
	struct lrec *r;

	if (rr->origin != l->cur_origin) {
		/* the walker moved on to the next zone */
		l->cur++;
		l->cur_origin = rr->origin;
		if (l->cur <= l->nzones) {
			struct lzone *z = &l->zones[l->cur - 1];
			z->origin = rr->origin;
			z->olen = wire_len(rr->origin, 256);
			z->file = rr->file ? rr->file : "";
			z->line = rr->line;
		}
	}
	if (l->cur == 0 || l->cur > l->nzones || l->oom)
		return;
	if (rr->type != TYPE_NS && rr->type != TYPE_A && rr->type != TYPE_AAAA &&
	    rr->type != TYPE_CNAME)
		return;
	if (l->nrecs == l->caprecs) {
		size_t cap = l->caprecs ? l->caprecs * 2 : 256;
		struct lrec *v = realloc(l->recs, cap * sizeof(*v));
		if (v == NULL) {
			l->oom = true;
			return;
		}
		l->recs = v;
		l->caprecs = cap;
	}
	r = &l->recs[l->nrecs];
	memset(r, 0, sizeof(*r));
	r->olen = wire_lower(rr->owner, 256, r->owner);
	r->type = rr->type;
	r->zone = l->cur - 1;
	r->file = rr->file ? rr->file : "";
	r->line = rr->line;
	if (rr->type == TYPE_NS || rr->type == TYPE_CNAME) {
		r->tlen = wire_lower(rr->rdata, rr->rdlen, r->target);
		if (r->tlen == 0)
			return;
	} else if (rr->type == TYPE_A && rr->rdlen == 4) {
		r->addr.sin.sin_family = AF_INET;
		memcpy(&r->addr.sin.sin_addr, rr->rdata, 4);
	} else if (rr->type == TYPE_AAAA && rr->rdlen == 16) {
		r->addr.sin6.sin6_family = AF_INET6;
		memcpy(&r->addr.sin6.sin6_addr, rr->rdata, 16);
	} else {
		return;
	}
	l->nrecs++;
}

static void finding(struct lint *l, enum diag_severity sev, const char *file, unsigned long line,
                    const char *code, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void
finding(struct lint *l, enum diag_severity sev, const char *file, unsigned long line,
        const char *code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_add(l->d, sev, file, line, code, "%s", msg);
	l->found++;
}

/* The deepest linted zone other than self whose origin is at or above name (SIZE_MAX: none);
   strict: only zones strictly above name. */
static size_t
closest_zone(const struct lint *l, const uint8_t *name, size_t len, size_t self, bool strict)
{
	size_t best = SIZE_MAX;

	for (size_t i = 0; i < l->nzones; i++) {
		const struct lzone *z = &l->zones[i];
		if (i == self || z->copy || z->origin == NULL)
			continue;
		if (strict && name_eq(name, len, z->origin, z->olen))
			continue;
		if (!name_under(name, len, z->origin, z->olen))
			continue;
		if (best == SIZE_MAX || z->olen > l->zones[best].olen)
			best = i;
	}
	return best;
}

/* Addresses records of name in zone z into out (up to max); how many. */
static size_t
zone_addrs(const struct lint *l, size_t z, const uint8_t *name, size_t len, union qlog_addr *out,
           size_t max, const struct lrec **first)
{
	size_t n = 0;

	if (first)
		*first = NULL;
	for (size_t i = 0; i < l->nrecs; i++) {
		const struct lrec *r = &l->recs[i];
		if (r->zone != z || (r->type != TYPE_A && r->type != TYPE_AAAA) ||
		    !name_eq(r->owner, r->olen, name, len))
			continue;
		if (first && *first == NULL)
			*first = r;
		if (n < max && !addr_in(out, n, &r->addr))
			out[n++] = r->addr;
	}
	return n;
}

/* Is name an alias (a CNAME in the zone authoritative for it)? */
static bool
is_cname(const struct lint *l, const uint8_t *name, size_t len)
{
	size_t z = closest_zone(l, name, len, SIZE_MAX, false);

	for (size_t i = 0; z != SIZE_MAX && i < l->nrecs; i++)
		if (l->recs[i].zone == z && l->recs[i].type == TYPE_CNAME &&
		    name_eq(l->recs[i].owner, l->recs[i].olen, name, len))
			return true;
	return false;
}

/* The NS targets of zone (index) z at owner (apex for the zone itself, the child's origin for
   a delegation) into idx (indexes into recs); how many. */
static size_t
ns_set(const struct lint *l, size_t z, const uint8_t *owner, size_t olen, size_t *idx, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < l->nrecs && n < max; i++)
		if (l->recs[i].zone == z && l->recs[i].type == TYPE_NS &&
		    name_eq(l->recs[i].owner, l->recs[i].olen, owner, olen))
			idx[n++] = i;
	return n;
}

static bool
target_in(const struct lint *l, const size_t *idx, size_t n, const struct lrec *r)
{
	for (size_t i = 0; i < n; i++)
		if (name_eq(l->recs[idx[i]].target, l->recs[idx[i]].tlen, r->target, r->tlen))
			return true;
	return false;
}

/* The NS names of a set, presentation form, comma-separated. */
static void
ns_list(const struct lint *l, const size_t *idx, size_t n, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used + 1 < len; i++) {
		char name[1025];
		name_str(l->recs[idx[i]].target, name, sizeof(name));
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", name);
	}
}

#define NS_MAX 32 /* NS records of one set we look at */

/* The apex of zone z: NS names without address, aliases, unservable addresses. */
static void
lint_apex(struct lint *l, size_t z, bool allow_nonlocal, union qlog_addr *seen, size_t *nseen)
{
	const struct lzone *lz = &l->zones[z];
	size_t idx[NS_MAX], n = ns_set(l, z, lz->origin, lz->olen, idx, NS_MAX);
	char zname[1025], tname[1025], host[64];

	name_str(lz->origin, zname, sizeof(zname));
	for (size_t i = 0; i < n; i++) {
		const struct lrec *r = &l->recs[idx[i]];
		union qlog_addr a[LINT_ADDRS_MAX];
		size_t na = world_name_addrs(l->zs, r->target, r->tlen, a, LINT_ADDRS_MAX);

		name_str(r->target, tname, sizeof(tname));
		if (is_cname(l, r->target, r->tlen))
			finding(l, DIAG_WARNING, r->file, r->line, "ns-cname",
			        "NS %s of %s is an alias (CNAME); an NS must name the host itself "
			        "(RFC 2181 10.3)",
			        tname, zname);
		else if (na == 0)
			finding(
			    l, DIAG_ERROR, r->file, r->line, "ns-no-address",
			    "NS %s of %s has no address (no A/AAAA in any served zone, no glue): "
			    "it serves %s nowhere",
			    tname, zname, zname);
		for (size_t k = 0; k < na && k < LINT_ADDRS_MAX; k++) {
			if (allow_nonlocal || addr_loopback(&a[k]) || addr_in(seen, *nseen, &a[k]))
				continue;
			if (*nseen < 4096)
				seen[(*nseen)++] = a[k];
			addr_str(&a[k], host, sizeof(host));
			finding(l, DIAG_ERROR, r->file, r->line, "ns-not-servable",
			        "NS %s of %s is at %s, which is not a loopback address: world mode "
			        "serves it only with --allow-nonlocal (in a lab network namespace)",
			        tname, zname, host);
		}
	}
}

/* The delegation of zone z from its closest served enclosing zone p. */
static void
lint_delegation(struct lint *l, size_t z, size_t p)
{
	const struct lzone *lz = &l->zones[z], *lp = &l->zones[p];
	size_t pidx[NS_MAX], cidx[NS_MAX], np, nc, nserve = 0;
	union qlog_addr serve[LINT_ADDRS_MAX];
	char zname[1025], pname[1025], tname[1025], host[64];

	name_str(lz->origin, zname, sizeof(zname));
	name_str(lp->origin, pname, sizeof(pname));
	np = ns_set(l, p, lz->origin, lz->olen, pidx, NS_MAX);
	nc = ns_set(l, z, lz->origin, lz->olen, cidx, NS_MAX);
	if (np == 0) {
		finding(l, DIAG_ERROR, lz->file, lz->line, "delegation-missing",
		        "%s is served, but its parent %s (%s) has no NS records for it: resolvers "
		        "get NXDOMAIN or NODATA from the parent and never reach it",
		        zname, pname, lp->file);
		return;
	}
	/* the addresses world mode serves z on */
	for (size_t i = 0; i < nc; i++) {
		union qlog_addr a[LINT_ADDRS_MAX];
		size_t na = world_name_addrs(l->zs, l->recs[cidx[i]].target, l->recs[cidx[i]].tlen,
		                             a, LINT_ADDRS_MAX);
		for (size_t k = 0; k < na && k < LINT_ADDRS_MAX; k++)
			if (nserve < LINT_ADDRS_MAX && !addr_in(serve, nserve, &a[k]))
				serve[nserve++] = a[k];
	}
	for (size_t i = 0; i < np; i++) {
		const struct lrec *r = &l->recs[pidx[i]];
		union qlog_addr glue[LINT_ADDRS_MAX], auth[LINT_ADDRS_MAX], *use;
		const struct lrec *gfirst;
		size_t ng = zone_addrs(l, p, r->target, r->tlen, glue, LINT_ADDRS_MAX, &gfirst);
		size_t az = closest_zone(l, r->target, r->tlen, SIZE_MAX, false), na = 0, nuse;
		bool under_parent = name_under(r->target, r->tlen, lp->origin, lp->olen);
		bool in_child = name_under(r->target, r->tlen, lz->origin, lz->olen);

		name_str(r->target, tname, sizeof(tname));
		if (az != SIZE_MAX && az != p)
			na = zone_addrs(l, az, r->target, r->tlen, auth, LINT_ADDRS_MAX, NULL);
		if (ng == 0 && under_parent && az != p) {
			/* in the child (in-bailiwick) or in a sibling child: only glue gets a
			   resolver there, else it must ask the zone it is trying to reach */
			finding(l, DIAG_ERROR, r->file, r->line, "glue-missing",
			        "NS %s of %s is inside %s but %s has no glue (A/AAAA) for it: %s",
			        tname, zname, in_child ? zname : pname, pname,
			        in_child ? "resolvers cannot find its address"
			                 : "resolvers must go through another delegation for its "
			                   "address (a sibling without glue; a cycle when it leads "
			                   "back)");
		}
		if (ng > 0 && na > 0) {
			bool same = ng == na;
			for (size_t k = 0; same && k < ng; k++)
				same = addr_in(auth, na, &glue[k]);
			if (!same) {
				char g[64], c[64];
				addr_str(&glue[0], g, sizeof(g));
				addr_str(&auth[0], c, sizeof(c));
				finding(
				    l, DIAG_WARNING, gfirst->file, gfirst->line, "glue-mismatch",
				    "glue for %s in %s (%s%s) differs from its own address records "
				    "(%s%s)",
				    tname, pname, g, ng > 1 ? ", ..." : "", c,
				    na > 1 ? ", ..." : "");
			}
		}
		/* what a resolver asks: the glue, else the name's addresses */
		use = ng ? glue : auth;
		nuse = ng ? ng : 0;
		if (ng == 0)
			nuse = world_name_addrs(l->zs, r->target, r->tlen, auth, LINT_ADDRS_MAX);
		if (nuse > LINT_ADDRS_MAX)
			nuse = LINT_ADDRS_MAX;
		if (is_cname(l, r->target, r->tlen))
			finding(
			    l, DIAG_WARNING, r->file, r->line, "ns-cname",
			    "NS %s of %s (in the parent %s) is an alias (CNAME); an NS must name "
			    "the host itself (RFC 2181 10.3)",
			    tname, zname, pname);
		else if (nuse == 0 && !target_in(l, cidx, nc, r))
			finding(l, DIAG_ERROR, r->file, r->line, "ns-no-address",
			        "NS %s of %s (in the parent %s) has no address: no A/AAAA in any "
			        "served zone, no glue",
			        tname, zname, pname);
		for (size_t k = 0; k < nuse; k++) {
			if (addr_in(serve, nserve, &use[k]))
				continue;
			addr_str(&use[k], host, sizeof(host));
			finding(l, DIAG_ERROR, r->file, r->line, "lame-delegation",
			        "NS %s of %s is at %s, which does not serve %s: a lame delegation "
			        "(REFUSED, a referral or no answer there)",
			        tname, zname, host, zname);
			break;
		}
	}
	/* the same NS names above and below the cut */
	{
		bool same = np == nc;
		for (size_t i = 0; same && i < np; i++)
			same = target_in(l, cidx, nc, &l->recs[pidx[i]]);
		if (!same) {
			char pl[512], cl[512];
			ns_list(l, pidx, np, pl, sizeof(pl));
			ns_list(l, cidx, nc, cl, sizeof(cl));
			finding(l, DIAG_WARNING, l->recs[pidx[0]].file, l->recs[pidx[0]].line,
			        "ns-mismatch",
			        "the parent %s names %s for %s, the zone itself (%s) names %s",
			        pname, pl, zname, lz->file, cl);
		}
	}
}

size_t
world_lint(const struct zoneset *zs, bool allow_nonlocal, struct diag *d)
{
	struct lint l = {.zs = zs, .d = d};
	union qlog_addr *seen;
	size_t nseen = 0;

	l.nzones = zoneset_count(zs);
	l.zones = calloc(l.nzones ? l.nzones : 1, sizeof(*l.zones));
	seen = calloc(4096, sizeof(*seen));
	if (l.zones == NULL || seen == NULL) {
		free(l.zones);
		free(seen);
		diag_add(d, DIAG_ERROR, NULL, 0, NULL, "delegation lint: out of memory");
		return 1;
	}
	for (size_t i = 0; i < l.nzones; i++)
		l.zones[i].copy = zoneset_server(zs, i)[0] != '\0';
	zoneset_foreach(zs, collect_cb, &l);
	if (l.oom) {
		diag_add(d, DIAG_ERROR, NULL, 0, NULL, "delegation lint: out of memory");
		free(l.recs);
		free(l.zones);
		free(seen);
		return 1;
	}
	for (size_t z = 0; z < l.nzones; z++) {
		size_t p;

		if (l.zones[z].copy || l.zones[z].origin == NULL)
			continue;
		lint_apex(&l, z, allow_nonlocal, seen, &nseen);
		if (l.zones[z].olen == 1)
			continue; /* the root has no parent */
		p = closest_zone(&l, l.zones[z].origin, l.zones[z].olen, z, true);
		if (p != SIZE_MAX)
			lint_delegation(&l, z, p);
		/* no served parent: the synthesized root delegates it from its own data */
	}
	free(l.recs);
	free(l.zones);
	free(seen);
	return l.found;
}
