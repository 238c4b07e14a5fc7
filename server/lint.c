/* server/lint.c -- static mail-DNS lint over the served data (mxlabd --check): MX, CNAME and
   PTR mistakes reported as file:line with the problem codes mxcheck uses. Names are resolved
   inside the served data by answer_build() on synthetic queries, so wildcards, CNAMEs and zone
   cuts are treated exactly as the server will answer them. */
#include "server/lint.h"
#include "server/fault.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "server/answer.h"
#include "server/msg.h"

#define LINT_NAME    1025 /* presentation name buffer */
#define LINT_HOPS    8    /* CNAME hops mxcheck follows */
#define LINT_MAXADDR 32   /* addresses kept per resolved name */

#define T_A     1
#define T_CNAME 5
#define T_PTR   12
#define T_MX    15
#define T_AAAA  28

/* Outcome of resolving one name and type inside the served data. */
enum lint_status {
	LINT_OK,       /* data of the type found (after CNAMEs, if any) */
	LINT_NODATA,   /* the final name exists without data of the type */
	LINT_NXDOMAIN, /* the final name does not exist */
	LINT_OUTSIDE,  /* the name (or the chain) leaves the served data: not ours to judge */
	LINT_LOOP,     /* CNAME loop or more than LINT_HOPS hops */
	LINT_FAIL,     /* answer_build or parsing failed */
};

/* One address found for a name. */
struct lint_addr {
	int family;        /* AF_INET or AF_INET6 */
	uint8_t bytes[16]; /* the address (4 or 16 bytes used) */
};

/* Result of lint_resolve(). */
struct lint_res {
	enum lint_status status;             /* what happened */
	int hops;                            /* CNAMEs followed */
	char final[LINT_NAME];               /* last name of the chain (the canonical name) */
	struct lint_addr addr[LINT_MAXADDR]; /* A/AAAA data (or none for other types) */
	size_t naddr;                        /* addresses used */
	char ptr[4][LINT_NAME];              /* PTR targets (type PTR only) */
	size_t nptr;                         /* PTR targets used */
};

/* A record remembered from the walk (pointers into the zoneset). */
struct lint_rec {
	struct zone_rr rr;     /* the record as zoneset_foreach gave it (pointers into zs) */
	char owner[LINT_NAME]; /* owner, presentation form */
};

/* Everything one lint run needs; owned by lint_zoneset(). */
struct lint {
	const struct zoneset *zs;   /* the served data (not owned) */
	struct diag *d;             /* where problems go (not owned) */
	size_t added;               /* problems added */
	uint8_t *buf;               /* answer buffer, ANSWER_MAX bytes; owned */
	char (*origins)[LINT_NAME]; /* origins of the served zones; owned */
	size_t norigins;            /* origins used */
	struct lint_rec *recs;      /* MX, CNAME, PTR, A and AAAA records; owned */
	size_t nrecs;               /* records used */
	size_t caprecs;             /* records allocated */
	char **seen;                /* "code|file|line|subject" keys already reported; owned */
	size_t nseen;               /* keys used */
	size_t capseen;             /* keys allocated */
};

static void
collect_cb(const struct zone_rr *rr, void *arg)
{
	struct lint *l = arg;
	struct lint_rec *r;

	if (rr->type != T_MX && rr->type != T_CNAME && rr->type != T_PTR && rr->type != T_A &&
	    rr->type != T_AAAA)
		return;
	if (rr->server[0] != '\0')
		return; /* one server's copy: the mail lint reads the zones everybody is served */
	if (l->nrecs == l->caprecs) {
		size_t cap = l->caprecs ? l->caprecs * 2 : 256;
		struct lint_rec *nv = realloc(l->recs, cap * sizeof(*nv));
		if (nv == NULL)
			return;
		l->recs = nv;
		l->caprecs = cap;
	}
	r = &l->recs[l->nrecs++];
	r->rr = *rr;
	msg_name_to_str(rr->owner, r->owner, sizeof(r->owner));
}

/* Presentation form of an uncompressed wire name inside rdata of length len; false when the
   name runs past the rdata. */
static bool
rdata_name(const uint8_t *p, size_t len, char *out, size_t outlen)
{
	size_t i = 0;

	while (i < len && p[i] != 0) {
		if (p[i] > 63)
			return false;
		i += (size_t)p[i] + 1;
	}
	if (i >= len)
		return false;
	msg_name_to_str(p, out, outlen);
	return true;
}

/* Case-insensitive name equality (presentation forms with trailing dot). */
static bool
name_eq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

/* name equals origin or lies below it. */
static bool
name_under(const char *name, const char *origin)
{
	size_t ln = strlen(name), lo = strlen(origin);

	if (strcmp(origin, ".") == 0)
		return true;
	if (ln == lo)
		return name_eq(name, origin);
	return ln > lo && name[ln - lo - 1] == '.' && name_eq(name + ln - lo, origin);
}

/* The deepest served origin holding name, or NULL. */
static const char *
served_origin(const struct lint *l, const char *name)
{
	const char *best = NULL;

	for (size_t i = 0; i < l->norigins; i++)
		if (name_under(name, l->origins[i]) &&
		    (best == NULL || strlen(l->origins[i]) > strlen(best)))
			best = l->origins[i];
	return best;
}

/* "; did you mean NAME.? ..." into out when name is a served name with the record's origin
   appended once more (mail.example.test.example.test.): the name was written without its
   trailing dot. "" otherwise. */
static void
dot_hint(const struct lint *l, const char *name, const uint8_t *origin_wire, char *out, size_t len)
{
	char origin[LINT_NAME], stripped[LINT_NAME];
	size_t ln = strlen(name), lo;

	out[0] = '\0';
	if (origin_wire == NULL)
		return;
	msg_name_to_str(origin_wire, origin, sizeof(origin));
	lo = strlen(origin);
	if (strcmp(origin, ".") == 0 || ln <= lo + 1 || !name_under(name, origin))
		return;
	snprintf(stripped, sizeof(stripped), "%.*s", (int)(ln - lo), name);
	if (served_origin(l, stripped) == NULL)
		return;
	snprintf(out, len,
	         "; did you mean %s? (a name written without its trailing dot gets the origin "
	         "%s appended)",
	         stripped, origin);
}

/* Report once per code, place and subject. */
static void report(struct lint *l, enum diag_severity sev, const struct zone_rr *rr,
                   const char *code, const char *subject, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void
report(struct lint *l, enum diag_severity sev, const struct zone_rr *rr, const char *code,
       const char *subject, const char *fmt, ...)
{
	char key[1400], msg[384];
	va_list ap;

	snprintf(key, sizeof(key), "%s|%s|%lu|%s", code, rr->file ? rr->file : "", rr->line,
	         subject);
	for (size_t i = 0; i < l->nseen; i++)
		if (strcmp(l->seen[i], key) == 0)
			return;
	if (l->nseen == l->capseen) {
		size_t cap = l->capseen ? l->capseen * 2 : 64;
		char **nv = realloc(l->seen, cap * sizeof(*nv));
		if (nv == NULL)
			return;
		l->seen = nv;
		l->capseen = cap;
	}
	if ((l->seen[l->nseen] = strdup(key)) == NULL)
		return;
	l->nseen++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_add(l->d, sev, rr->file ? rr->file : "", rr->line, code, "%s", msg);
	l->added++;
}

/* Ask the answer builder for (name, type); parse the reply. NULL on failure. */
static ldns_pkt *
lint_ask(struct lint *l, const char *name, uint16_t type)
{
	struct msg_query q;
	struct answer_meta meta;
	ldns_rdf *dn = NULL;
	ldns_pkt *pkt = NULL;
	size_t len;

	if (ldns_str2rdf_dname(&dn, name) != LDNS_STATUS_OK)
		return NULL;
	memset(&q, 0, sizeof(q));
	q.id = 0x4c54;
	q.has_question = true;
	q.qtype = type;
	q.qclass = LDNS_RR_CLASS_IN;
	if (ldns_rdf_size(dn) > sizeof(q.qname)) {
		ldns_rdf_deep_free(dn);
		return NULL;
	}
	memcpy(q.qname, ldns_rdf_data(dn), ldns_rdf_size(dn));
	q.qname_len = ldns_rdf_size(dn);
	ldns_rdf_deep_free(dn);
	len = answer_build(l->zs, &q, ANSWER_MAX, l->buf, ANSWER_MAX, &meta);
	if (len == 0 || ldns_wire2pkt(&pkt, l->buf, len) != LDNS_STATUS_OK)
		return NULL;
	return pkt;
}

/* Owner of rr as a lower-case presentation string. */
static void
rr_owner(const ldns_rr *rr, char *out, size_t len)
{
	char *s = ldns_rdf2str(ldns_rr_owner(rr));

	snprintf(out, len, "%s", s ? s : "");
	free(s);
	for (char *p = out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
}

/* Resolve name/type inside the served data, following CNAMEs (also across zones) the way
   mxcheck does: at most LINT_HOPS hops, loops detected. */
static void
lint_resolve(struct lint *l, const char *name, uint16_t type, struct lint_res *res)
{
	char seen[LINT_HOPS + 2][LINT_NAME];
	size_t nseen = 0;
	char cur[LINT_NAME];

	memset(res, 0, sizeof(*res));
	res->status = LINT_FAIL;
	snprintf(cur, sizeof(cur), "%s", name);
	for (char *p = cur; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	snprintf(seen[nseen++], LINT_NAME, "%s", cur);

	for (int round = 0; round <= LINT_HOPS + 1; round++) {
		ldns_pkt *pkt;
		ldns_rr_list *an;
		bool moved = false, progress = true, found = false;
		char queried[LINT_NAME];

		if (served_origin(l, cur) == NULL) {
			res->status = LINT_OUTSIDE;
			goto done;
		}
		snprintf(queried, sizeof(queried), "%s", cur);
		if ((pkt = lint_ask(l, cur, type)) == NULL) {
			res->status = LINT_FAIL;
			goto done;
		}
		if (ldns_pkt_get_rcode(pkt) == LDNS_RCODE_REFUSED ||
		    (!ldns_pkt_aa(pkt) && ldns_pkt_ancount(pkt) == 0)) {
			/* refused, or a referral below a zone cut: not our data */
			ldns_pkt_free(pkt);
			res->status = LINT_OUTSIDE;
			goto done;
		}
		an = ldns_pkt_answer(pkt);
		/* Walk the CNAMEs in the answer starting at cur. */
		while (progress) {
			progress = false;
			for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
				ldns_rr *rr = ldns_rr_list_rr(an, i);
				char owner[LINT_NAME];
				char *t;

				if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_CNAME || type == T_CNAME)
					continue;
				rr_owner(rr, owner, sizeof(owner));
				if (!name_eq(owner, cur))
					continue;
				t = ldns_rdf2str(ldns_rr_rdf(rr, 0));
				snprintf(cur, sizeof(cur), "%s", t ? t : ".");
				free(t);
				for (char *p = cur; *p; p++)
					*p = (char)tolower((unsigned char)*p);
				res->hops++;
				for (size_t k = 0; k < nseen; k++)
					if (name_eq(seen[k], cur)) {
						ldns_pkt_free(pkt);
						res->status = LINT_LOOP;
						goto done;
					}
				if (res->hops > LINT_HOPS) {
					ldns_pkt_free(pkt);
					res->status = LINT_LOOP;
					goto done;
				}
				snprintf(seen[nseen++], LINT_NAME, "%s", cur);
				moved = progress = true;
				break;
			}
		}
		/* Data of the type at the final name. */
		for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
			ldns_rr *rr = ldns_rr_list_rr(an, i);
			char owner[LINT_NAME];

			if (ldns_rr_get_type(rr) != type)
				continue;
			rr_owner(rr, owner, sizeof(owner));
			if (!name_eq(owner, cur))
				continue;
			if (type == T_A || type == T_AAAA) {
				ldns_rdf *rd = ldns_rr_rdf(rr, 0);
				struct lint_addr *a;
				if (rd == NULL || res->naddr >= LINT_MAXADDR)
					continue;
				a = &res->addr[res->naddr];
				a->family = type == T_A ? AF_INET : AF_INET6;
				if (ldns_rdf_size(rd) != (type == T_A ? 4u : 16u))
					continue;
				memcpy(a->bytes, ldns_rdf_data(rd), ldns_rdf_size(rd));
				res->naddr++;
			} else if (type == T_PTR && res->nptr < 4) {
				char *t = ldns_rdf2str(ldns_rr_rdf(rr, 0));
				snprintf(res->ptr[res->nptr++], LINT_NAME, "%s", t ? t : "");
				free(t);
			}
			found = true;
		}
		if (found) {
			res->status = LINT_OK;
			ldns_pkt_free(pkt);
			goto done;
		}
		if (!moved || name_eq(cur, queried)) {
			res->status = ldns_pkt_get_rcode(pkt) == LDNS_RCODE_NXDOMAIN ? LINT_NXDOMAIN
			                                                             : LINT_NODATA;
			ldns_pkt_free(pkt);
			goto done;
		}
		/* The chain moved on but the answer did not settle the final name (the server
		   stops at names it does not serve): ask for it directly. */
		ldns_pkt_free(pkt);
	}
	res->status = LINT_LOOP;
done:
	snprintf(res->final, sizeof(res->final), "%s", cur);
}

/* Resolve A and AAAA of a host into one result (status: OK if any address, else the most
   telling failure). */
static void
lint_host(struct lint *l, const char *name, struct lint_res *res)
{
	struct lint_res r6;

	lint_resolve(l, name, T_A, res);
	if (res->status == LINT_LOOP || res->status == LINT_OUTSIDE || res->status == LINT_FAIL)
		return;
	lint_resolve(l, name, T_AAAA, &r6);
	for (size_t i = 0; i < r6.naddr && res->naddr < LINT_MAXADDR; i++)
		res->addr[res->naddr++] = r6.addr[i];
	if (res->naddr > 0)
		res->status = LINT_OK;
	else if (res->status == LINT_NXDOMAIN && r6.status == LINT_NXDOMAIN)
		res->status = LINT_NXDOMAIN;
	else if (r6.status == LINT_LOOP || r6.status == LINT_OUTSIDE || r6.status == LINT_FAIL)
		res->status = r6.status;
	else
		res->status = LINT_NODATA;
}

static void
addr_str(const struct lint_addr *a, char *out, size_t len)
{
	if (inet_ntop(a->family, a->bytes, out, (socklen_t)len) == NULL)
		snprintf(out, len, "?");
}

/* The address a receiver sees: IPv4-mapped ::ffff:a.b.c.d is the IPv4 address a.b.c.d. */
static struct lint_addr
addr_unmapped(const struct lint_addr *a)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	struct lint_addr u = *a;

	if (a->family == AF_INET6 && memcmp(a->bytes, mapped, 12) == 0) {
		memset(&u, 0, sizeof(u));
		u.family = AF_INET;
		memcpy(u.bytes, a->bytes + 12, 4);
	}
	return u;
}

/* 1 unroutable, 2 private, 0 fine (the classes mxcheck uses; see client/mx.c). */
static int
addr_class(const struct lint_addr *a)
{
	static const uint8_t zero[16], discard[8] = {0x01, 0x00};
	struct lint_addr u = addr_unmapped(a);
	const uint8_t *b = u.bytes;

	if (u.family == AF_INET) {
		if (b[0] == 127 || b[0] == 0 || (b[0] == 169 && b[1] == 254) || b[0] >= 224)
			return 1;
		if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
		    (b[0] == 192 && b[1] == 168) || (b[0] == 100 && (b[1] & 0xc0) == 64))
			return 2;
		return 0;
	}
	/* ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d; 100::/64 discard-only */
	if (memcmp(b, zero, 12) == 0 || memcmp(b, discard, 8) == 0)
		return 1;
	if (b[0] == 0xff || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80))
		return 1;
	if ((b[0] & 0xfe) == 0xfc)
		return 2;
	return 0;
}

/* The reverse (PTR) name of an address. */
static void
reverse_name(const struct lint_addr *a, char *out, size_t len)
{
	const uint8_t *b = a->bytes;

	if (a->family == AF_INET) {
		snprintf(out, len, "%u.%u.%u.%u.in-addr.arpa.", b[3], b[2], b[1], b[0]);
		return;
	}
	out[0] = '\0';
	for (int i = 15; i >= 0; i--) {
		char nib[8];
		snprintf(nib, sizeof(nib), "%x.%x.", b[i] & 0xf, b[i] >> 4);
		strncat(out, nib, len - strlen(out) - 1);
	}
	strncat(out, "ip6.arpa.", len - strlen(out) - 1);
}

/* The name without its trailing dot parses as an IPv4 or IPv6 address. */
static bool
looks_like_ip(const char *name)
{
	char tmp[LINT_NAME];
	uint8_t buf[16];
	size_t n;

	snprintf(tmp, sizeof(tmp), "%s", name);
	n = strlen(tmp);
	if (n > 1 && tmp[n - 1] == '.')
		tmp[n - 1] = '\0';
	return inet_pton(AF_INET, tmp, buf) == 1 || inet_pton(AF_INET6, tmp, buf) == 1;
}

/* The classic mistake: an address written without the trailing dot, so the origin was
   appended ("192.0.2.1.example.test."). Returns true and the address part in lit. */
static bool
ip_with_origin(const char *name, const char *origin, char *lit, size_t len)
{
	size_t ln = strlen(name), lo = strlen(origin);
	char tmp[LINT_NAME];

	if (strcmp(origin, ".") == 0 || ln <= lo + 1 || !name_under(name, origin))
		return false;
	snprintf(tmp, sizeof(tmp), "%.*s", (int)(ln - lo), name);
	if (!looks_like_ip(tmp))
		return false;
	snprintf(lit, len, "%.*s", (int)(ln - lo - 1), name);
	return true;
}

/* A host name: letters, digits, hyphens, no label starting or ending with a hyphen. */
static bool
valid_host(const char *name)
{
	const char *p = name;

	if (strcmp(name, ".") == 0 || strlen(name) > 254)
		return false;
	while (*p) {
		const char *e = strchr(p, '.');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || n > 63 || p[0] == '-' || p[n - 1] == '-')
			return false;
		for (size_t i = 0; i < n; i++)
			if (!isalnum((unsigned char)p[i]) && p[i] != '-')
				return false;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return true;
}

/* The A/AAAA record of name carrying address a, for pointing at the right line. */
static const struct zone_rr *
addr_record(const struct lint *l, const char *name, const struct lint_addr *a)
{
	uint16_t t = a->family == AF_INET ? T_A : T_AAAA;
	size_t n = a->family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < l->nrecs; i++) {
		const struct zone_rr *rr = &l->recs[i].rr;
		if (rr->type == t && rr->rdlen == n && memcmp(rr->rdata, a->bytes, n) == 0 &&
		    name_eq(l->recs[i].owner, name))
			return rr;
	}
	return NULL;
}

/* name resolves (inside the served data) to address a. */
static bool
ptr_confirms(struct lint *l, const char *name, const struct lint_addr *a)
{
	struct lint_res r;

	lint_resolve(l, name, a->family == AF_INET ? T_A : T_AAAA, &r);
	for (size_t i = 0; r.status == LINT_OK && i < r.naddr; i++)
		if (r.addr[i].family == a->family &&
		    memcmp(r.addr[i].bytes, a->bytes, a->family == AF_INET ? 4 : 16) == 0)
			return true;
	return false;
}

/* Addresses of a usable MX host: unroutable, private, and reverse DNS inside our data. */
static void
lint_mx_addresses(struct lint *l, const struct zone_rr *mxrr, const char *exch,
                  const struct lint_res *res)
{
	for (size_t i = 0; i < res->naddr; i++) {
		const struct lint_addr *a = &res->addr[i];
		const struct zone_rr *at = addr_record(l, res->final, a);
		char as[64], rev[LINT_NAME];
		struct lint_res pr;
		struct lint_addr seen;
		int cls = addr_class(a);
		bool named = false, confirmed = false;

		if (at == NULL)
			at = mxrr;
		addr_str(a, as, sizeof(as));
		if (cls == 1) {
			report(
			    l, DIAG_ERROR, at, "mx-address-unroutable", as,
			    "MX host %s has address %s, which no sender can reach (RFC 5321 5.1)",
			    exch, as);
			continue;
		}
		if (cls == 2) {
			report(l, DIAG_WARNING, at, "mx-address-private", as,
			       "MX host %s has private address %s, unreachable from the Internet "
			       "(RFC 1918)",
			       exch, as);
			continue;
		}
		seen = addr_unmapped(a); /* ::ffff:a.b.c.d has its PTR under in-addr.arpa */
		reverse_name(&seen, rev, sizeof(rev));
		lint_resolve(l, rev, T_PTR, &pr);
		if (pr.status == LINT_NXDOMAIN || pr.status == LINT_NODATA) {
			report(l, DIAG_WARNING, at, "ptr-missing", as,
			       "address %s of MX host %s has no PTR record at %s (RFC 1912 2.1)",
			       as, exch, rev);
			continue;
		}
		if (pr.status != LINT_OK)
			continue;
		/* FCrDNS failures are reported at the PTR record; here only whether a confirmed
		   PTR names the MX host (closing domain -MX-> host -A-> address -PTR-> host). */
		for (size_t k = 0; k < pr.nptr; k++) {
			if (!ptr_confirms(l, pr.ptr[k], &seen))
				continue;
			confirmed = true;
			if (name_eq(pr.ptr[k], exch) || name_eq(pr.ptr[k], res->final))
				named = true;
		}
		if (confirmed && !named)
			report(l, DIAG_INFO, at, "ptr-not-mx-name", as,
			       "PTR of %s is %s, not the MX host name %s", as, pr.ptr[0], exch);
	}
}

static int
cmp_owner(const void *a, const void *b)
{
	const struct lint_rec *const *x = a, *const *y = b;
	int c = strcasecmp((*x)->owner, (*y)->owner);

	if (c != 0)
		return c;
	return (*x < *y) ? -1 : (*x > *y);
}

/* Every MX RRset: null MX rules, exchange names, then the hosts in the served data. */
static void
lint_mx(struct lint *l)
{
	struct lint_rec **mx = calloc(l->nrecs + 1, sizeof(*mx));
	size_t n = 0;

	if (mx == NULL)
		return;
	for (size_t i = 0; i < l->nrecs; i++)
		if (l->recs[i].rr.type == T_MX && l->recs[i].rr.rdlen >= 3)
			mx[n++] = &l->recs[i];
	qsort(mx, n, sizeof(*mx), cmp_owner);

	for (size_t s = 0; s < n;) {
		size_t e = s;
		while (e < n && name_eq(mx[e]->owner, mx[s]->owner))
			e++;
		for (size_t i = s; i < e; i++) {
			const struct zone_rr *rr = &mx[i]->rr;
			const char *owner = mx[i]->owner;
			unsigned pref = (unsigned)rr->rdata[0] << 8 | rr->rdata[1];
			char exch[LINT_NAME], lit[LINT_NAME], origin[LINT_NAME];
			bool dup = false, same = false;
			struct lint_res res;

			if (!rdata_name(rr->rdata + 2, rr->rdlen - 2u, exch, sizeof(exch)))
				continue;
			if (strcmp(exch, ".") == 0) {
				if (pref != 0)
					report(l, DIAG_ERROR, rr, "null-mx-bad-preference", owner,
					       "null MX of %s has preference %u; it must be 0 "
					       "(RFC 7505 3)",
					       owner, pref);
				/* RFC 7505: only "MX 0 ." is a null MX; any other
				   preference is an unusable entry, reported above. */
				if (pref == 0 && e - s > 1)
					report(l, DIAG_ERROR, rr, "null-mx-mixed", owner,
					       "null MX of %s stands next to other MX records; a "
					       "domain that accepts no mail has only \"MX 0 .\" "
					       "(RFC 7505 3)",
					       owner);
				continue;
			}
			msg_name_to_str(rr->origin, origin, sizeof(origin));
			if (looks_like_ip(exch)) {
				report(l, DIAG_ERROR, rr, "mx-ip-literal", owner,
				       "MX of %s names the address %s; an MX must name a host with "
				       "A/AAAA records (RFC 5321 5.1)",
				       owner, exch);
				continue;
			}
			if (ip_with_origin(exch, origin, lit, sizeof(lit))) {
				report(l, DIAG_ERROR, rr, "mx-ip-literal", owner,
				       "MX of %s is %s: the address %s without a trailing dot got "
				       "the origin appended; an MX must name a host (RFC 5321 5.1)",
				       owner, exch, lit);
				continue;
			}
			if (!valid_host(exch)) {
				report(l, DIAG_ERROR, rr, "mx-bad-name", owner,
				       "MX host %s of %s is not a valid host name (RFC 1123 2.1)",
				       exch, owner);
				continue;
			}
			for (size_t k = s; k < i; k++) {
				char other[LINT_NAME];
				unsigned opref =
				    (unsigned)mx[k]->rr.rdata[0] << 8 | mx[k]->rr.rdata[1];
				if (rdata_name(mx[k]->rr.rdata + 2, mx[k]->rr.rdlen - 2u, other,
				               sizeof(other)) &&
				    name_eq(other, exch)) {
					if (opref == pref)
						same = true; /* an identical record: the server
						                drops it */
					else
						dup = true;
				}
			}
			if (same && !dup)
				continue;
			if (dup) {
				report(
				    l, DIAG_WARNING, rr, "mx-duplicate", exch,
				    "MX host %s is listed more than once for %s; only the lowest "
				    "preference counts",
				    exch, owner);
				continue;
			}
			lint_host(l, exch, &res);
			switch (res.status) {
			case LINT_OUTSIDE:
			case LINT_FAIL:
				break;
			case LINT_LOOP:
				report(l, DIAG_ERROR, rr, "cname-loop", exch,
				       "MX host %s of %s is a CNAME chain that loops or is longer "
				       "than %d hops",
				       exch, owner, LINT_HOPS);
				break;
			case LINT_NXDOMAIN: {
				char hint[LINT_NAME * 2 + 100];
				dot_hint(l, exch, rr->origin, hint, sizeof(hint));
				report(l, DIAG_ERROR, rr, "mx-host-nxdomain", exch,
				       "MX host %s of %s does not exist%s%s%s", exch, owner,
				       res.hops ? ": its CNAME chain ends at " : "",
				       res.hops ? res.final : "", hint);
				break;
			}
			case LINT_NODATA:
				report(l, DIAG_ERROR, rr, "mx-host-nodata", exch,
				       "MX host %s of %s has no A or AAAA record", exch, owner);
				break;
			case LINT_OK:
				lint_mx_addresses(l, rr, exch, &res);
				break;
			}
			if (res.hops > 0 && res.status != LINT_LOOP)
				report(
				    l, DIAG_WARNING, rr, "mx-cname", exch,
				    "MX host %s of %s is an alias (CNAME to %s); an MX must name "
				    "the host itself (RFC 2181 10.3)",
				    exch, owner, res.final);
		}
		s = e;
	}
	free(mx);
}

/* Parse the address a PTR owner stands for; false (and nibbles/labels counted) otherwise. */
static bool
ptr_owner_addr(const char *owner, struct lint_addr *a, int *labels)
{
	char tmp[LINT_NAME], *save = NULL, *lab[80];
	int n = 0;

	snprintf(tmp, sizeof(tmp), "%s", owner);
	for (char *t = strtok_r(tmp, ".", &save); t && n < 80; t = strtok_r(NULL, ".", &save))
		lab[n++] = t;
	*labels = 0;
	if (n >= 2 && strcasecmp(lab[n - 2], "in-addr") == 0 &&
	    strcasecmp(lab[n - 1], "arpa") == 0) {
		*labels = n - 2;
		if (n != 6)
			return false;
		a->family = AF_INET;
		for (int i = 0; i < 4; i++) {
			char *end;
			long v = strtol(lab[3 - i], &end, 10);
			if (*end || v < 0 || v > 255 || end == lab[3 - i])
				return false;
			a->bytes[i] = (uint8_t)v;
		}
		return true;
	}
	if (n >= 2 && strcasecmp(lab[n - 2], "ip6") == 0 && strcasecmp(lab[n - 1], "arpa") == 0) {
		*labels = n - 2;
		if (n != 34)
			return false;
		a->family = AF_INET6;
		memset(a->bytes, 0, sizeof(a->bytes));
		for (int i = 0; i < 32; i++) {
			const char *x = lab[31 - i];
			int v;
			if (strlen(x) != 1 || !isxdigit((unsigned char)x[0]))
				return false;
			v = isdigit((unsigned char)x[0]) ? x[0] - '0'
			                                 : tolower((unsigned char)x[0]) - 'a' + 10;
			a->bytes[i / 2] |= (uint8_t)(i % 2 ? v : v << 4);
		}
		return true;
	}
	return false;
}

/* Every PTR: owner shape, target shape, forward confirmation inside the served data. */
static void
lint_ptr(struct lint *l)
{
	for (size_t i = 0; i < l->nrecs; i++) {
		const struct zone_rr *rr = &l->recs[i].rr;
		const char *owner = l->recs[i].owner;
		struct lint_addr a;
		struct lint_res res;
		char target[LINT_NAME], as[64];
		int labels, count = 0;
		bool match = false;

		if (rr->type != T_PTR || !rdata_name(rr->rdata, rr->rdlen, target, sizeof(target)))
			continue;
		if (!ptr_owner_addr(owner, &a, &labels)) {
			if (labels > 0 && strstr(owner, "ip6.arpa.") != NULL && labels != 32)
				report(l, DIAG_WARNING, rr, "ptr-missing", owner,
				       "PTR owner %s has %d nibbles, not 32: it is no address's "
				       "reverse name, so the address it was meant for has no PTR "
				       "(RFC 3596 2.5)",
				       owner, labels);
			continue;
		}
		addr_str(&a, as, sizeof(as));
		for (size_t k = 0; k < l->nrecs; k++)
			if (l->recs[k].rr.type == T_PTR && name_eq(l->recs[k].owner, owner)) {
				count++;
				if (k < i)
					count = -1000; /* report once, at the first PTR */
			}
		if (count > 1)
			report(l, DIAG_WARNING, rr, "ptr-multiple", as,
			       "%s has %d PTR records; many receivers check only one", as, count);
		if (looks_like_ip(target)) {
			report(l, DIAG_ERROR, rr, "ptr-numeric", as,
			       "PTR of %s is the numeric name %s, which receivers treat as no "
			       "name at all",
			       as, target);
			continue;
		}
		lint_resolve(l, target, a.family == AF_INET ? T_A : T_AAAA, &res);
		switch (res.status) {
		case LINT_OUTSIDE:
		case LINT_FAIL:
			continue;
		case LINT_LOOP:
			report(l, DIAG_ERROR, rr, "cname-loop", as,
			       "PTR target %s of %s is a CNAME chain that loops", target, as);
			continue;
		case LINT_NXDOMAIN: {
			char hint[LINT_NAME * 2 + 100];
			dot_hint(l, target, rr->origin, hint, sizeof(hint));
			report(l, DIAG_ERROR, rr, "ptr-target-nxdomain", as,
			       "PTR of %s names %s, which does not exist (FCrDNS fails)%s", as,
			       target, hint);
			continue;
		}
		case LINT_NODATA:
		case LINT_OK:
			break;
		}
		if (res.hops > 0)
			report(l, DIAG_WARNING, rr, "ptr-cname", as,
			       "PTR of %s names %s, an alias of %s; name the host itself", as,
			       target, res.final);
		for (size_t k = 0; k < res.naddr; k++)
			if (res.addr[k].family == a.family &&
			    memcmp(res.addr[k].bytes, a.bytes, a.family == AF_INET ? 4 : 16) == 0)
				match = true;
		if (!match && res.naddr > 0) {
			char got[64];
			addr_str(&res.addr[0], got, sizeof(got));
			report(l, DIAG_ERROR, rr, "fcrdns-mismatch", as,
			       "PTR of %s names %s, whose %s record is %s, not %s (FCrDNS fails)",
			       as, target, a.family == AF_INET ? "A" : "AAAA", got, as);
		} else if (!match) {
			report(l, DIAG_ERROR, rr, "fcrdns-mismatch", as,
			       "PTR of %s names %s, which has no %s record (FCrDNS fails)", as,
			       target, a.family == AF_INET ? "A" : "AAAA");
		}
	}
}

/* Every CNAME: loops and targets that do not exist. */
static void
lint_cname(struct lint *l)
{
	for (size_t i = 0; i < l->nrecs; i++) {
		const struct zone_rr *rr = &l->recs[i].rr;
		const char *owner = l->recs[i].owner;
		char target[LINT_NAME];
		struct lint_res res;

		if (rr->type != T_CNAME ||
		    !rdata_name(rr->rdata, rr->rdlen, target, sizeof(target)))
			continue;
		lint_resolve(l, owner, T_A, &res);
		if (res.status == LINT_LOOP)
			report(l, DIAG_ERROR, rr, "cname-loop", owner,
			       "CNAME %s -> %s loops (or is longer than %d hops)", owner, target,
			       LINT_HOPS);
		else if (res.status == LINT_NXDOMAIN) {
			char hint[LINT_NAME * 2 + 100];
			dot_hint(l, target, rr->origin, hint, sizeof(hint));
			report(l, DIAG_WARNING, rr, "cname-dangling", owner,
			       "CNAME %s -> %s: %s does not exist%s", owner, target, res.final,
			       hint);
		}
	}
}

static int
cmp_diag(const void *a, const void *b)
{
	const struct diag_entry *x = a, *y = b;
	int c = strcmp(x->file, y->file);

	if (c != 0)
		return c;
	if (x->line != y->line)
		return (x->line > y->line) - (x->line < y->line);
	if ((c = strcmp(x->code, y->code)) != 0)
		return c;
	return strcmp(x->msg, y->msg);
}

size_t
lint_zoneset(const struct zoneset *zs, struct diag *d)
{
	struct lint l;
	size_t start = d->n;

	memset(&l, 0, sizeof(l));
	l.zs = zs;
	l.d = d;
	l.buf = malloc(ANSWER_MAX);
	l.norigins = zoneset_count(zs);
	l.origins = calloc(l.norigins + 1, sizeof(*l.origins));
	if (l.buf == NULL || l.origins == NULL)
		goto out;
	for (size_t i = 0; i < l.norigins; i++) {
		struct zone_info zi;
		zoneset_info(zs, i, &zi);
		snprintf(l.origins[i], LINT_NAME, "%s", zi.origin);
	}
	zoneset_foreach(zs, collect_cb, &l);
	lint_mx(&l);
	lint_ptr(&l);
	lint_cname(&l);
	/* file:line order, as a reader goes through the zone files */
	if (d->n > start)
		qsort(d->v + start, d->n - start, sizeof(*d->v), cmp_diag);
out:
	for (size_t i = 0; i < l.nseen; i++)
		free(l.seen[i]);
	free(l.seen);
	free(l.recs);
	free(l.origins);
	free(l.buf);
	return l.added;
}

size_t
lint_rules(const struct zoneset *zs, const struct fault_rules *fr, struct diag *d)
{
	size_t added = 0, nz = zoneset_count(zs);

	for (size_t i = 0; i < fault_rules_count(fr); i++) {
		const struct fault_rule *r = fault_rules_get(fr, i);
		bool below, served = false;
		const char *name = fault_rule_pattern(r, &below), *file;
		unsigned long line;

		if (name == NULL)
			continue;
		for (size_t z = 0; z < nz && !served; z++) {
			struct zone_info zi;
			zoneset_info(zs, z, &zi);
			/* "*.name" also reaches every zone below name */
			served =
			    name_under(name, zi.origin) || (below && name_under(zi.origin, name));
		}
		if (served)
			continue;
		file = fault_rule_where(r, &line);
		diag_add(d, DIAG_WARNING, file, line, "rule-no-zone",
		         "rule matches no served zone: %s%s is outside every zone served, so "
		         "the rule never fires",
		         below ? "*." : "", name);
		added++;
	}
	return added;
}
