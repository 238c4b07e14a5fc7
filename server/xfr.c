/* server/xfr.c -- zone transfers out: the access rule (loopback, or listed) and the AXFR
   stream of one served zone, built from the stored records (zoneset_foreach) without touching
   the answer builder. Names go out uncompressed, which every secondary accepts. */
#include "server/xfr.h"

#include <ctype.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define XFR_CLASS_IN 1
#define XFR_TYPE_SOA 6

bool
xfr_is_request(const struct msg_query *q)
{
	return q->has_question && q->qclass == XFR_CLASS_IN &&
	       (q->qtype == XFR_TYPE_AXFR || q->qtype == XFR_TYPE_IXFR);
}

static bool
is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_LOOPBACK(a))
			return true;
		return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
	}
	return false;
}

bool
xfr_allowed(const struct sockaddr *client, const union qlog_addr *allow, size_t nallow)
{
	if (client == NULL)
		return false;
	if (is_loopback(client))
		return true;
	for (size_t i = 0; i < nallow; i++) {
		const union qlog_addr *a = &allow[i];

		if (a->sa.sa_family != client->sa_family)
			continue;
		if (a->sa.sa_family == AF_INET &&
		    a->sin.sin_addr.s_addr == ((const struct sockaddr_in *)client)->sin_addr.s_addr)
			return true;
		if (a->sa.sa_family == AF_INET6 &&
		    memcmp(&a->sin6.sin6_addr, &((const struct sockaddr_in6 *)client)->sin6_addr,
		           16) == 0)
			return true;
	}
	return false;
}

/* Bytes of wire name n (with its root label). */
static size_t
name_len(const uint8_t *n)
{
	size_t len = 0;

	while (n[len] != 0)
		len += (size_t)n[len] + 1;
	return len + 1;
}

/* Are wire names a and b equal, ignoring ASCII case? */
static bool
name_eq(const uint8_t *a, const uint8_t *b)
{
	size_t la = name_len(a), lb = name_len(b);

	if (la != lb)
		return false;
	for (size_t i = 0; i < la; i++)
		if (tolower(a[i]) != tolower(b[i]))
			return false;
	return true;
}

/* The records of one zone collected from zoneset_foreach. */
struct xfr_collect {
	const uint8_t *apex; /* the zone wanted (wire, any case) */
	struct zone_rr soa;  /* its SOA, once seen */
	bool have_soa;       /* soa is set */
	struct zone_rr *rr;  /* every other record, in order; owned */
	size_t n;            /* entries in rr */
	size_t cap;          /* entries allocated in rr */
	bool oom;            /* an allocation failed */
};

static void
collect_cb(const struct zone_rr *rr, void *arg)
{
	struct xfr_collect *c = arg;

	if (c->oom || !name_eq(rr->origin, c->apex))
		return;
	if (rr->type == XFR_TYPE_SOA && !c->have_soa && name_eq(rr->owner, rr->origin)) {
		c->soa = *rr;
		c->have_soa = true;
		return;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct zone_rr *p = realloc(c->rr, cap * sizeof(*p));

		if (p == NULL) {
			c->oom = true;
			return;
		}
		c->rr = p;
		c->cap = cap;
	}
	c->rr[c->n++] = *rr;
}

/* The stream being written. */
struct xfr_out {
	uint8_t **buf;             /* the stream; realloc'd */
	size_t *cap;               /* bytes allocated in *buf */
	size_t len;                /* bytes written */
	size_t msg;                /* offset of the current message's length prefix */
	uint16_t ancount;          /* records in the current message */
	size_t nmsgs;              /* messages begun */
	const struct msg_query *q; /* the request (ID, flags, question) */
};

static int
out_reserve(struct xfr_out *o, size_t more)
{
	if (o->len + more <= *o->cap)
		return 0;
	size_t cap = *o->cap ? *o->cap : 4096;
	uint8_t *p;

	while (cap < o->len + more)
		cap *= 2;
	if ((p = realloc(*o->buf, cap)) == NULL)
		return -1;
	*o->buf = p;
	*o->cap = cap;
	return 0;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Close the current message: its length prefix and ANCOUNT. */
static void
msg_end(struct xfr_out *o)
{
	uint8_t *m = *o->buf + o->msg;

	put16(m, (uint16_t)(o->len - o->msg - 2));
	put16(m + 2 + 6, o->ancount);
}

/* Begin a message: length prefix, header, and the question in the first one. */
static int
msg_begin(struct xfr_out *o)
{
	const struct msg_query *q = o->q;
	bool first = o->nmsgs == 0;
	size_t qlen = first ? q->qname_len + 4 : 0;
	uint8_t *p;

	if (out_reserve(o, 2 + 12 + qlen) < 0)
		return -1;
	o->msg = o->len;
	p = *o->buf + o->len;
	memset(p, 0, 14);
	put16(p + 2, q->id);
	/* QR, opcode QUERY, AA, RD as asked; NOERROR */
	put16(p + 4, (uint16_t)(0x8400 | (q->flags & 0x0100)));
	put16(p + 6, first ? 1 : 0);
	o->len += 14;
	if (first) {
		memcpy(*o->buf + o->len, q->qname, q->qname_len);
		put16(*o->buf + o->len + q->qname_len, q->qtype);
		put16(*o->buf + o->len + q->qname_len + 2, q->qclass);
		o->len += qlen;
	}
	o->ancount = 0;
	o->nmsgs++;
	return 0;
}

/* Append one record, starting a new message when this one would grow past XFR_MSG_MAX. */
static int
put_rr(struct xfr_out *o, const struct zone_rr *rr)
{
	size_t olen = name_len(rr->owner);
	size_t need = olen + 10 + rr->rdlen;
	uint8_t *p;

	if (o->ancount > 0 && o->len - o->msg - 2 + need > XFR_MSG_MAX) {
		msg_end(o);
		if (msg_begin(o) < 0)
			return -1;
	}
	if (o->ancount == 0xffff || o->len - o->msg - 2 + need > 65535)
		return -1; /* cannot happen with stored records; refuse rather than corrupt */
	if (out_reserve(o, need) < 0)
		return -1;
	p = *o->buf + o->len;
	memcpy(p, rr->owner, olen);
	p += olen;
	put16(p, rr->type);
	put16(p + 2, XFR_CLASS_IN);
	put16(p + 4, (uint16_t)(rr->ttl >> 16));
	put16(p + 6, (uint16_t)rr->ttl);
	put16(p + 8, rr->rdlen);
	memcpy(p + 10, rr->rdata, rr->rdlen);
	o->len += need;
	o->ancount++;
	return 0;
}

long
xfr_build(const struct zoneset *zs, const struct msg_query *q, uint8_t **buf, size_t *cap,
          size_t *nmsgs)
{
	struct xfr_collect c = {.apex = q->qname};
	struct xfr_out o = {.buf = buf, .cap = cap, .q = q};
	long ret = -1;

	*nmsgs = 0;
	zoneset_foreach(zs, collect_cb, &c);
	if (c.oom)
		goto out;
	if (!c.have_soa) {
		ret = 0; /* not the apex of a served zone */
		goto out;
	}
	if (msg_begin(&o) < 0 || put_rr(&o, &c.soa) < 0)
		goto out;
	for (size_t i = 0; i < c.n; i++)
		if (put_rr(&o, &c.rr[i]) < 0)
			goto out;
	if (put_rr(&o, &c.soa) < 0)
		goto out;
	msg_end(&o);
	*nmsgs = o.nmsgs;
	ret = (long)o.len;
out:
	free(c.rr);
	return ret;
}

bool
xfr_message(const uint8_t *stream, size_t len, size_t i, size_t *off, size_t *mlen)
{
	size_t pos = 0;

	for (;;) {
		size_t l;

		if (pos + 2 > len)
			return false;
		l = (size_t)stream[pos] << 8 | stream[pos + 1];
		if (pos + 2 + l > len)
			return false;
		if (i-- == 0) {
			*off = pos + 2;
			*mlen = l;
			return true;
		}
		pos += 2 + l;
	}
}
