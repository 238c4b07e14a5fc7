/* server/world.c -- world mode: the servers of a zone set derived from its own data (apex NS
   names and their addresses), the synthesized root, root hints. Every zone is stored once, in
   the shared zone set; a server is an address and a small sorted list of zone indexes. */
#include "server/world.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/msg.h"
#include "server/zone_int.h"

#define WORLD_ADDRS_MAX 64 /* addresses of one NS name we keep */

struct world {
	const struct zoneset *zs;     /* the zones; not owned */
	struct zoneset *root_zs;      /* the synthesized root zone; owned, NULL when "." served */
	struct world_server *servers; /* servers, root ones first; owned */
	size_t nservers;              /* entries in servers */
	size_t capservers;            /* entries allocated */
	uint32_t *htab;               /* address hash -> server index + 1, 0 free; owned */
	size_t hmask;                 /* buckets - 1 */
	uint64_t gen;                 /* unique among the worlds of this process (world_gen) */
};

/* ---- addresses -------------------------------------------------------------------------- */

/* Bytes of an address (4 or 16) and its family, for hashing and comparing. */
static size_t
addr_key(const union qlog_addr *a, const uint8_t **p)
{
	if (a->sa.sa_family == AF_INET) {
		*p = (const uint8_t *)&a->sin.sin_addr;
		return 4;
	}
	if (a->sa.sa_family == AF_INET6) {
		*p = (const uint8_t *)&a->sin6.sin6_addr;
		return 16;
	}
	*p = NULL;
	return 0;
}

static bool
addr_equal(const union qlog_addr *a, const union qlog_addr *b)
{
	const uint8_t *pa, *pb;
	size_t la = addr_key(a, &pa), lb = addr_key(b, &pb);

	return la != 0 && la == lb && memcmp(pa, pb, la) == 0;
}

static uint32_t
addr_hash(const union qlog_addr *a)
{
	const uint8_t *p;
	size_t n = addr_key(a, &p);
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static int
addr_parse(const char *host, union qlog_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, host, &a->sin.sin_addr) == 1) {
		a->sin.sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a->sin6.sin6_addr) == 1) {
		a->sin6.sin6_family = AF_INET6;
		return 0;
	}
	return -1;
}

static void
addr_format(const union qlog_addr *a, char *buf, size_t len)
{
	if (a->sa.sa_family == AF_INET6)
		inet_ntop(AF_INET6, &a->sin6.sin6_addr, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET, &a->sin.sin_addr, buf, (socklen_t)len);
}

/* Is node n at or below a zone cut of zone index z (an NS RRset of z between n and z's apex,
   apex excluded)? */
static bool
below_cut(const struct zoneset *zs, uint32_t n, uint32_t z)
{
	uint32_t apex = zs->zones[z]->apex;

	for (; n != NODE_NONE && n != apex; n = zs->nodes[n].parent)
		if (zone_rrset_find(zs, n, z, TYPE_NS))
			return true;
	return false;
}

/* The A/AAAA records at node n of zone z (any zone where n is glue, when glue) into out. */
static size_t
collect_addrs(const struct zoneset *zs, uint32_t n, uint32_t z, bool glue, union qlog_addr *out,
              size_t max, size_t cnt)
{
	for (uint32_t off = zs->nodes[n].rrsets; off;) {
		const struct rrset *rs = zone_rrset_at(zs, off);
		const uint8_t *rr = zone_rrset_first(rs);

		off = rs->next;
		if (rs->type != TYPE_A && rs->type != TYPE_AAAA)
			continue;
		if (glue ? !below_cut(zs, n, rs->zone) : rs->zone != z)
			continue;
		for (uint16_t i = 0; i < rs->count; i++) {
			uint16_t rdlen = zone_rr_rdlen(rr);
			const uint8_t *rd = zone_rr_rdata(zs, rs, rr);
			union qlog_addr a;
			bool dup = false;

			memset(&a, 0, sizeof(a));
			if (rs->type == TYPE_A && rdlen == 4) {
				a.sin.sin_family = AF_INET;
				memcpy(&a.sin.sin_addr, rd, 4);
			} else if (rs->type == TYPE_AAAA && rdlen == 16) {
				a.sin6.sin6_family = AF_INET6;
				memcpy(&a.sin6.sin6_addr, rd, 16);
			}
			rr = zone_rr_next(rs, rr);
			if (a.sa.sa_family == 0)
				continue;
			for (size_t k = 0; k < cnt && k < max; k++)
				dup |= addr_equal(&out[k], &a);
			if (dup)
				continue;
			if (cnt < max)
				out[cnt] = a;
			cnt++;
		}
	}
	return cnt;
}

size_t
world_name_addrs(const struct zoneset *zs, const uint8_t *name, size_t len, union qlog_addr *out,
                 size_t max)
{
	uint32_t n, zi;
	size_t cnt = 0;

	if (zs == NULL || zs->htab == NULL)
		return 0;
	n = zone_node_find(zs, name, len, zone_name_hash(name, len));
	if (n == NODE_NONE)
		return 0;
	zi = zs->nodes[n].zone;
	if (zi != 0 && !below_cut(zs, n, zi - 1))
		cnt = collect_addrs(zs, n, zi - 1, false, out, max, 0);
	if (cnt == 0)
		cnt = collect_addrs(zs, n, 0, true, out, max, 0);
	return cnt;
}

/* ---- the server table ------------------------------------------------------------------- */

static int
rehash(struct world *w)
{
	size_t buckets = 16;

	while (buckets < w->nservers * 2)
		buckets *= 2;
	free(w->htab);
	w->htab = calloc(buckets, sizeof(*w->htab));
	if (w->htab == NULL)
		return -1;
	w->hmask = buckets - 1;
	for (size_t i = 0; i < w->nservers; i++) {
		size_t b = addr_hash(&w->servers[i].addr) & w->hmask;
		while (w->htab[b] != 0)
			b = (b + 1) & w->hmask;
		w->htab[b] = (uint32_t)i + 1;
	}
	return 0;
}

static struct world_server *
find_addr(const struct world *w, const union qlog_addr *a)
{
	if (w == NULL || w->htab == NULL)
		return NULL;
	for (size_t b = addr_hash(a) & w->hmask; w->htab[b] != 0; b = (b + 1) & w->hmask) {
		struct world_server *s = &w->servers[w->htab[b] - 1];
		if (addr_equal(&s->addr, a))
			return s;
	}
	return NULL;
}

/* The server at a, added when new. NULL when out of memory. */
static struct world_server *
server_get(struct world *w, const union qlog_addr *a)
{
	struct world_server *s = find_addr(w, a);

	if (s != NULL)
		return s;
	if (w->nservers == w->capservers) {
		size_t cap = w->capservers ? w->capservers * 2 : 16;
		struct world_server *v = realloc(w->servers, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		w->servers = v;
		w->capservers = cap;
	}
	s = &w->servers[w->nservers++];
	memset(s, 0, sizeof(*s));
	s->addr = *a;
	addr_format(a, s->host, sizeof(s->host));
	if (w->nservers * 2 > w->hmask + 1 && rehash(w) < 0)
		return NULL;
	if (find_addr(w, a) == NULL) { /* not rehashed: put it in the table */
		size_t b = addr_hash(a) & w->hmask;
		while (w->htab[b] != 0)
			b = (b + 1) & w->hmask;
		w->htab[b] = (uint32_t)w->nservers;
	}
	return s;
}

static int
server_add_name(struct world_server *s, const char *name)
{
	char **v;

	for (size_t i = 0; i < s->nnames; i++)
		if (strcmp(s->names[i], name) == 0)
			return 0;
	v = realloc(s->names, (s->nnames + 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	s->names = v;
	if ((v[s->nnames] = strdup(name)) == NULL)
		return -1;
	s->nnames++;
	return 0;
}

/* Zones are added in ascending order, so the list stays sorted. */
static int
server_add_zone(struct world_server *s, uint32_t z)
{
	uint32_t *v;

	if (s->view.nzones > 0 && s->view.zones[s->view.nzones - 1] == z)
		return 0;
	v = realloc(s->view.zones, (s->view.nzones + 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	s->view.zones = v;
	v[s->view.nzones++] = z;
	return 0;
}

/* ---- the root --------------------------------------------------------------------------- */

/* A growing text buffer. */
struct text {
	char *p;    /* the text; owned */
	size_t len; /* bytes used */
	size_t cap; /* bytes allocated */
	bool oom;   /* an append failed */
};

static void __attribute__((format(printf, 2, 3))) text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->oom = true;
			return;
		}
		if (t->p && t->len + (size_t)n < t->cap) {
			t->len += (size_t)n;
			return;
		}
		size_t cap = t->cap ? t->cap * 2 : 4096;
		while (cap < t->len + (size_t)n + 1)
			cap *= 2;
		char *p = realloc(t->p, cap);
		if (p == NULL) {
			t->oom = true;
			return;
		}
		t->p = p;
		t->cap = cap;
	}
}

/* Is wire name a (len la) at or below wire name b (len lb)? Both lower case. */
static bool
name_under(const uint8_t *a, size_t la, const uint8_t *b, size_t lb)
{
	size_t p = 0;

	while (la - p > lb)
		p += (size_t)a[p] + 1;
	return la - p == lb && memcmp(a + p, b, lb) == 0;
}

/* One name of a zone's apex NS RRset, with what world mode needs of it. */
struct ns_name {
	const uint8_t *wire;                /* the name, lower-cased wire form (in the zone set) */
	size_t len;                         /* its length */
	uint32_t ttl;                       /* the NS record's TTL */
	char str[QLOG_NAME_MAX];            /* presentation form */
	union qlog_addr a[WORLD_ADDRS_MAX]; /* its addresses (world_name_addrs) */
	size_t na;                          /* how many (at most WORLD_ADDRS_MAX are in a) */
};

/* Call fn for every name of zone z's apex NS RRset, in record order, with its addresses. Stops
   and returns fn's value when that is not 0. */
static int
each_ns_name(const struct zoneset *zs, const struct zone *z,
             int (*fn)(const struct ns_name *ns, void *arg), void *arg)
{
	const struct rrset *rs = zone_rrset_at(zs, z->ns);
	const uint8_t *rr;

	if (rs == NULL)
		return 0;
	rr = zone_rrset_first(rs);
	for (uint16_t i = 0; i < rs->count; i++, rr = zone_rr_next(rs, rr)) {
		struct ns_name ns;
		struct rr_ref ref;
		int rc;

		if (zone_rr_nref(rr) > 0) {
			ref = zone_rr_ref(rr, 0);
			ns.wire = zs->names + zs->nodes[ref.node].name;
			ns.len = zs->nodes[ref.node].namelen;
			ns.ttl = zone_rr_ttl(rr);
			msg_name_to_str(ns.wire, ns.str, sizeof(ns.str));
			ns.na = world_name_addrs(zs, ns.wire, ns.len, ns.a, WORLD_ADDRS_MAX);
			if (ns.na > WORLD_ADDRS_MAX)
				ns.na = WORLD_ADDRS_MAX;
			if ((rc = fn(&ns, arg)) != 0)
				return rc;
		}
	}
	return 0;
}

/* The NS name of root server i: a.root.mxlab., b.root.mxlab., ... then r27.root.mxlab. */
static void
root_ns_name(size_t i, char *buf, size_t len)
{
	if (i < 26)
		snprintf(buf, len, "%c.%s", (char)('a' + i), WORLD_ROOT_NAME_SUFFIX);
	else
		snprintf(buf, len, "r%zu.%s", i + 1, WORLD_ROOT_NAME_SUFFIX);
}

/* The text of the root zone being written, and the zone delegated (root_delegate_cb). */
struct root_text {
	struct text *t;       /* the text */
	const struct zone *z; /* the top-level zone delegated */
};

static int
root_delegate_cb(const struct ns_name *ns, void *arg)
{
	const struct root_text *rt = arg;

	text_add(rt->t, "%s %u IN NS %s\n", rt->z->origin_str, ns->ttl, ns->str);
	if (!name_under(ns->wire, ns->len, rt->z->origin, rt->z->origin_len))
		return 0; /* only in-bailiwick names need glue */
	for (size_t k = 0; k < ns->na; k++) {
		char host[WORLD_HOST_MAX];
		addr_format(&ns->a[k], host, sizeof(host));
		text_add(rt->t, "%s %u IN %s %s\n", ns->str, ns->ttl,
		         ns->a[k].sa.sa_family == AF_INET ? "A" : "AAAA", host);
	}
	return 0;
}

/* The delegation of top-level zone z from the root: its apex NS RRset and the glue that NS
   names inside z need. */
static void
root_delegate(const struct zoneset *zs, const struct zone *z, struct text *t)
{
	struct root_text rt = {t, z};

	each_ns_name(zs, z, root_delegate_cb, &rt);
}

/* The text of the synthesized root zone. */
static char *
root_text(const struct zoneset *zs, const struct world *w)
{
	struct text t = {0};
	char name[64];

	root_ns_name(0, name, sizeof(name));
	text_add(&t, "$ORIGIN .\n. 86400 IN SOA %s hostmaster.%s 1 1800 900 604800 86400\n", name,
	         WORLD_ROOT_NAME_SUFFIX);
	for (size_t i = 0; i < w->nservers; i++) {
		if (!w->servers[i].root)
			continue;
		root_ns_name(i, name, sizeof(name));
		text_add(&t, ". 518400 IN NS %s\n%s 518400 IN %s %s\n", name, name,
		         w->servers[i].addr.sa.sa_family == AF_INET ? "A" : "AAAA",
		         w->servers[i].host);
	}
	for (size_t i = 0; i < zs->nzones; i++) {
		const struct zone *z = zs->zones[i];
		uint32_t p = zs->nodes[z->apex].parent;
		if (p != NODE_NONE && zs->nodes[p].zone == 0 && z->server[0] == '\0')
			root_delegate(zs, z, &t);
	}
	if (t.oom) {
		free(t.p);
		return NULL;
	}
	return t.p;
}

/* ---- building --------------------------------------------------------------------------- */

/* The world being built and the zone whose servers are added (zone_server_cb). */
struct zone_servers {
	struct world *w;      /* the world */
	uint32_t zi;          /* the zone's index */
	const struct zone *z; /* the zone */
	struct diag *d;       /* where an NS name without address is reported; may be NULL */
};

static int
zone_server_cb(const struct ns_name *ns, void *arg)
{
	const struct zone_servers *zsv = arg;

	if (ns->na == 0 && zsv->d != NULL)
		diag_add(zsv->d, DIAG_WARNING, zsv->z->files[0].path, 0, "ns-no-address",
		         "world: NS %s of %s has no address in the served data: it serves the "
		         "zone nowhere",
		         ns->str, zsv->z->origin_str);
	for (size_t k = 0; k < ns->na; k++) {
		struct world_server *s = server_get(zsv->w, &ns->a[k]);
		if (s == NULL)
			return -1;
		if (s->root)
			continue; /* a root address serves the root alone */
		if (server_add_zone(s, zsv->zi) < 0 || server_add_name(s, ns->str) < 0)
			return -1;
	}
	return 0;
}

/* Every server of zone index zi: the addresses of its apex NS names. */
static int
add_zone_servers(struct world *w, uint32_t zi, struct diag *d)
{
	struct zone_servers zsv = {w, zi, w->zs->zones[zi], d};

	if (zsv.z->server[0] != '\0')
		return 0; /* a per-server copy: add_server_copies */
	return each_ns_name(w->zs, zsv.z, zone_server_cb, &zsv);
}

/* Per-server copies: the server at the copy's address answers from it instead of the shared
   zone of the same origin (which leaves its view). */
static int
add_server_copies(struct world *w, struct diag *d)
{
	const struct zoneset *zs = w->zs;

	for (uint32_t i = 0; i < zs->nzones; i++) {
		const struct zone *z = zs->zones[i];
		struct world_server *s;
		union qlog_addr a;
		uint32_t shared, *v;

		if (z->server[0] == '\0')
			continue;
		if (addr_parse(z->server, &a) < 0) {
			diag_add(d, DIAG_ERROR, z->files[0].path, 0, NULL,
			         "world: '%s' is not an IPv4 or IPv6 address", z->server);
			return -1;
		}
		shared = zs->nodes[z->apex].zone; /* the shared copy, when there is one */
		if ((s = server_get(w, &a)) == NULL)
			return -1;
		if (s->root) {
			diag_add(d, DIAG_ERROR, z->files[0].path, 0, NULL,
			         "world: %s is the root server's address", z->server);
			return -1;
		}
		if (shared != 0 && shared - 1 != i) {
			/* drop the shared zone from this view, answer from the copy instead */
			size_t k, m = 0;
			for (k = 0; k < s->view.nzones; k++)
				if (s->view.zones[k] != shared - 1)
					s->view.zones[m++] = s->view.zones[k];
			s->view.nzones = m;
			v = realloc(s->view.subst, (s->view.nsubst + 1) * 2 * sizeof(*v));
			if (v == NULL)
				return -1;
			s->view.subst = v;
			v[2 * s->view.nsubst] = shared - 1;
			v[2 * s->view.nsubst + 1] = i;
			s->view.nsubst++;
		} else {
			/* no shared copy: the zone is this server's alone */
			size_t k = s->view.nzones;
			v = realloc(s->view.zones, (k + 1) * sizeof(*v));
			if (v == NULL)
				return -1;
			s->view.zones = v;
			while (k > 0 && v[k - 1] > i) {
				v[k] = v[k - 1];
				k--;
			}
			v[k] = i;
			s->view.nzones++;
		}
	}
	return 0;
}

struct world *
world_new(const struct zoneset *zs, const char *const *root_addrs, size_t nroot, struct diag *d)
{
	static uint64_t next_gen; /* worlds are built by the build thread too */
	static const char *const dflt[] = {WORLD_ROOT_ADDR_DEFAULT};
	struct world *w = calloc(1, sizeof(*w));
	bool have_root = false;

	if (w == NULL)
		goto oom;
	w->zs = zs;
	w->gen = __atomic_add_fetch(&next_gen, 1, __ATOMIC_RELAXED);
	if (rehash(w) < 0)
		goto oom;
	for (size_t i = 0; i < zoneset_count(zs); i++)
		have_root |= zs->zones[i]->origin_len == 1 && zs->zones[i]->server[0] == '\0';
	if (!have_root) {
		char *text;
		struct diag rd;

		if (nroot == 0) {
			root_addrs = dflt;
			nroot = 1;
		}
		for (size_t i = 0; i < nroot; i++) {
			union qlog_addr a;
			struct world_server *s;
			char name[64];

			if (addr_parse(root_addrs[i], &a) < 0) {
				diag_add(d, DIAG_ERROR, NULL, 0, NULL,
				         "--root-addr %s: not an IPv4 or IPv6 address",
				         root_addrs[i]);
				world_free(w);
				return NULL;
			}
			if ((s = server_get(w, &a)) == NULL)
				goto oom;
			s->root = true;
			root_ns_name(w->nservers - 1, name, sizeof(name));
			if (server_add_name(s, name) < 0)
				goto oom;
		}
		if ((text = root_text(zs, w)) == NULL || (w->root_zs = zoneset_new()) == NULL) {
			free(text);
			goto oom;
		}
		diag_init(&rd);
		zoneset_add_text(w->root_zs, "(root)", text, &rd);
		zoneset_finish(w->root_zs, &rd);
		free(text);
		if (rd.errors > 0) { /* our own text: cannot happen unless out of memory */
			char msg[512];
			diag_first_error(&rd, msg, sizeof(msg));
			diag_add(d, DIAG_ERROR, NULL, 0, NULL, "the synthesized root: %s", msg);
			diag_free(&rd);
			world_free(w);
			return NULL;
		}
		diag_free(&rd);
	} else if (nroot > 0) {
		diag_add(d, DIAG_WARNING, NULL, 0, NULL,
		         "--root-addr ignored: a \".\" zone is served, its NS records say where");
	}
	for (size_t i = 0; i < zoneset_count(zs); i++)
		if (add_zone_servers(w, (uint32_t)i, d) < 0)
			goto oom;
	if (add_server_copies(w, d) < 0) {
		world_free(w);
		return NULL;
	}
	return w;
oom:
	diag_add(d, DIAG_ERROR, NULL, 0, NULL, "world: out of memory");
	world_free(w);
	return NULL;
}

uint64_t
world_gen(const struct world *w)
{
	return w->gen;
}

void
world_free(struct world *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->nservers; i++) {
		for (size_t k = 0; k < w->servers[i].nnames; k++)
			free(w->servers[i].names[k]);
		free(w->servers[i].names);
		free(w->servers[i].view.zones);
		free(w->servers[i].view.subst);
	}
	free(w->servers);
	free(w->htab);
	zoneset_free(w->root_zs);
	free(w);
}

size_t
world_count(const struct world *w)
{
	return w ? w->nservers : 0;
}

struct world_server *
world_server_at(struct world *w, size_t i)
{
	return w && i < w->nservers ? &w->servers[i] : NULL;
}

const struct world_server *
world_server_get(const struct world *w, size_t i)
{
	return w && i < w->nservers ? &w->servers[i] : NULL;
}

struct world_server *
world_find(const struct world *w, const struct sockaddr *sa)
{
	union qlog_addr a;

	if (sa == NULL)
		return NULL;
	memset(&a, 0, sizeof(a));
	if (sa->sa_family == AF_INET) {
		memcpy(&a.sin, sa, sizeof(a.sin));
	} else if (sa->sa_family == AF_INET6) {
		memcpy(&a.sin6, sa, sizeof(a.sin6));
		if (IN6_IS_ADDR_V4MAPPED(&a.sin6.sin6_addr)) {
			struct in_addr v4;
			memcpy(&v4, a.sin6.sin6_addr.s6_addr + 12, 4);
			memset(&a, 0, sizeof(a));
			a.sin.sin_family = AF_INET;
			a.sin.sin_addr = v4;
		}
	} else {
		return NULL;
	}
	return find_addr(w, &a);
}

struct world_server *
world_find_host(const struct world *w, const char *host)
{
	union qlog_addr a;

	if (addr_parse(host, &a) < 0)
		return NULL;
	return find_addr(w, &a);
}

bool
world_server_named(const struct world_server *s, const char *name)
{
	size_t n = strlen(name);

	if (n > 0 && name[n - 1] == '.')
		n--;
	for (size_t i = 0; i < s->nnames; i++) {
		size_t m = strlen(s->names[i]) - 1; /* without the trailing dot */
		if (m == n && strncasecmp(s->names[i], name, n) == 0)
			return true;
	}
	return false;
}

const struct zoneset *
world_root(const struct world *w)
{
	return w ? w->root_zs : NULL;
}

struct zoneset *
world_root_zones(struct world *w)
{
	return w ? w->root_zs : NULL;
}

size_t
world_set_state(struct world *w, const char *target, enum world_state st)
{
	union qlog_addr a;
	bool is_addr = addr_parse(target, &a) == 0;
	size_t n = 0;

	for (size_t i = 0; w && i < w->nservers; i++) {
		struct world_server *s = &w->servers[i];
		if (is_addr ? addr_equal(&s->addr, &a) : world_server_named(s, target)) {
			s->state = st;
			n++;
		}
	}
	return n;
}

const char *
world_state_name(enum world_state st)
{
	switch (st) {
	case WORLD_SILENT:
		return "silent";
	case WORLD_CLOSED:
		return "closed";
	case WORLD_UP:
	default:
		return "up";
	}
}

int
world_state_parse(const char *s)
{
	if (strcasecmp(s, "up") == 0)
		return WORLD_UP;
	if (strcasecmp(s, "silent") == 0)
		return WORLD_SILENT;
	if (strcasecmp(s, "closed") == 0)
		return WORLD_CLOSED;
	return -1;
}

static int
hints_cb(const struct ns_name *ns, void *arg)
{
	FILE *fp = arg;

	fprintf(fp, ".                        3600000      NS    %s\n", ns->str);
	for (size_t k = 0; k < ns->na; k++) {
		char host[WORLD_HOST_MAX];
		addr_format(&ns->a[k], host, sizeof(host));
		fprintf(fp, "%-24s 3600000      %-5s %s\n", ns->str,
		        ns->a[k].sa.sa_family == AF_INET ? "A" : "AAAA", host);
	}
	return 0;
}

void
world_write_hints(const struct world *w, FILE *fp)
{
	const struct zoneset *zs;

	fprintf(fp, "; root hints for the mxlab world (named.root format)\n");
	if (w == NULL)
		return;
	zs = w->root_zs ? w->root_zs : w->zs;
	for (size_t i = 0; i < zs->nzones; i++)
		if (zs->zones[i]->origin_len == 1 && zs->zones[i]->server[0] == '\0')
			each_ns_name(zs, zs->zones[i], hints_cb, fp);
}
