/* client/lookup.c -- the only code that talks to DNS: a UDP/TCP transport built on ldns
   packets and the resolv.conf parser, a fake transport for tests, and the CNAME-following,
   classifying lookup that mx.c and rdns.c use. */
#include "client/lookup.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "common/num.h"

#define LOOKUP_DEFAULT_MAX_QUERIES 400   /* per check */
#define LOOKUP_DEFAULT_TOTAL_MS    60000 /* per check */

double
lookup_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

bool
lookup_is_temporary(enum lookup_status s)
{
	return s == LOOKUP_TEMPORARY || s == LOOKUP_FORMERR;
}

const char *
lookup_reason_name(enum lookup_reason r)
{
	switch (r) {
	case LOOKUP_R_NONE:
		return "";
	case LOOKUP_R_SERVFAIL:
		return "servfail";
	case LOOKUP_R_REFUSED:
		return "refused";
	case LOOKUP_R_NOTIMP:
		return "notimp";
	case LOOKUP_R_TIMEOUT:
		return "timeout";
	case LOOKUP_R_NETWORK:
		return "network";
	case LOOKUP_R_TCP_FAILED:
		return "tcp-failed";
	case LOOKUP_R_FORMERR:
		return "formerr";
	}
	return "network";
}

const char *
lookup_status_name(enum lookup_status s)
{
	switch (s) {
	case LOOKUP_OK:
		return "ok";
	case LOOKUP_NODATA:
		return "nodata";
	case LOOKUP_NXDOMAIN:
		return "nxdomain";
	case LOOKUP_TEMPORARY:
		return "temporary";
	case LOOKUP_FORMERR:
		return "formerr";
	case LOOKUP_CNAME_LOOP:
		return "cname-loop";
	}
	return "temporary";
}

const char *
lookup_type_name(uint16_t type)
{
	switch (type) {
	case LOOKUP_T_A:
		return "A";
	case LOOKUP_T_AAAA:
		return "AAAA";
	case LOOKUP_T_MX:
		return "MX";
	case LOOKUP_T_PTR:
		return "PTR";
	case LOOKUP_T_CNAME:
		return "CNAME";
	case LOOKUP_T_NS:
		return "NS";
	case LOOKUP_T_SOA:
		return "SOA";
	case LOOKUP_T_DNSKEY:
		return "DNSKEY";
	case LOOKUP_T_TLSA:
		return "TLSA";
	}
	return "TYPE?";
}

const char *
lookup_dnssec_name(enum lookup_dnssec d)
{
	switch (d) {
	case LOOKUP_DNSSEC_UNKNOWN:
		return "";
	case LOOKUP_DNSSEC_SECURE:
		return "secure";
	case LOOKUP_DNSSEC_INSECURE:
		return "insecure";
	case LOOKUP_DNSSEC_BOGUS:
		return "bogus";
	}
	return "";
}

const char *
lookup_ede_name(int code)
{
	/* RFC 8914 §4 and the IANA registry. */
	static const char *const names[] = {"Other Error",
	                                    "Unsupported DNSKEY Algorithm",
	                                    "Unsupported DS Digest Type",
	                                    "Stale Answer",
	                                    "Forged Answer",
	                                    "DNSSEC Indeterminate",
	                                    "DNSSEC Bogus",
	                                    "Signature Expired",
	                                    "Signature Not Yet Valid",
	                                    "DNSKEY Missing",
	                                    "RRSIGs Missing",
	                                    "No Zone Key Bit Set",
	                                    "NSEC Missing",
	                                    "Cached Error",
	                                    "Not Ready",
	                                    "Blocked",
	                                    "Censored",
	                                    "Filtered",
	                                    "Prohibited",
	                                    "Stale NXDOMAIN Answer",
	                                    "Not Authoritative",
	                                    "Not Supported",
	                                    "No Reachable Authority",
	                                    "Network Error",
	                                    "Invalid Data",
	                                    "Signature Expired before Valid",
	                                    "Too Early",
	                                    "Unsupported NSEC3 Iterations Value"};

	if (code < 0 || (size_t)code >= sizeof(names) / sizeof(names[0]))
		return "";
	return names[code];
}

void
lookup_name_abs(const char *name, char *out, size_t len)
{
	size_t n = strlen(name), i;

	if (len == 0)
		return;
	if (n + 2 > len)
		n = len - 2;
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)name[i]);
	if (n == 0 || out[n - 1] != '.' || (n >= 2 && out[n - 2] == '\\'))
		out[n++] = '.';
	out[n] = '\0';
}

/* Copy a name (snprintf "%s" without the format parsing; this runs several times per
   lookup). */
static void
name_copy(char *dst, const char *src, size_t len)
{
	size_t n = strlen(src);

	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void
lookup_reply_clear(struct lookup_reply *rep)
{
	free(rep->an);
	rep->an = NULL;
	rep->nan = 0;
}

void
lookup_result_free(struct lookup_result *r)
{
	if (r == NULL)
		return;
	free(r->rrs);
	free(r);
}

/* ---- records ------------------------------------------------------------------------ */

/* A wire name (uncompressed, as ldns keeps it) in lower-case presentation form, written as
   ldns_rdf2str() writes it ("\\." "\\;" "\\(" "\\)" "\\\\" escaped, bytes that are not
   printable ASCII as \\DDD), absolute; "" when it is not a valid name. One pass, no
   allocation: it runs for every owner and target of every answer. */
static void
dname_to_str(const ldns_rdf *rdf, char *out, size_t len)
{
	const uint8_t *d = ldns_rdf_data(rdf);
	size_t n = ldns_rdf_size(rdf), p = 0, o = 0;
	char buf[LDNS_MAX_DOMAINLEN * 4 + 2];

	out[0] = '\0';
	if (d == NULL || n == 0 || n > LDNS_MAX_DOMAINLEN)
		return;
	if (n == 1) {
		lookup_name_abs(".", out, len);
		return;
	}
	while (p < n && d[p] != 0) {
		size_t l = d[p++];
		if (p + l > n)
			return;
		for (size_t i = 0; i < l; i++) {
			unsigned char c = (unsigned char)tolower(d[p++]);
			if (c == '.' || c == ';' || c == '(' || c == ')' || c == '\\') {
				buf[o++] = '\\';
				buf[o++] = (char)c;
			} else if (!(isascii(c) && isgraph(c))) {
				buf[o++] = '\\';
				buf[o++] = (char)('0' + c / 100);
				buf[o++] = (char)('0' + c / 10 % 10);
				buf[o++] = (char)('0' + c % 10);
			} else {
				buf[o++] = (char)c;
			}
		}
		if (p < n)
			buf[o++] = '.';
	}
	buf[o] = '\0';
	lookup_name_abs(buf, out, len);
}

/* Copy an ldns RR into our own form. 0 or -1 (unusable rdata). */
static int
rr_from_ldns(const ldns_rr *rr, struct lookup_rr *out)
{
	const ldns_rdf *rd;
	size_t alen;

	memset(out, 0, sizeof(*out));
	dname_to_str(ldns_rr_owner(rr), out->owner, sizeof(out->owner));
	out->type = (uint16_t)ldns_rr_get_type(rr);
	out->ttl = ldns_rr_ttl(rr);
	switch (out->type) {
	case LOOKUP_T_A:
	case LOOKUP_T_AAAA:
		alen = out->type == LOOKUP_T_A ? 4 : 16;
		rd = ldns_rr_rdf(rr, 0);
		if (rd == NULL || ldns_rdf_size(rd) != alen)
			return -1;
		out->family = alen == 4 ? AF_INET : AF_INET6;
		memcpy(out->addr, ldns_rdf_data(rd), alen);
		break;
	case LOOKUP_T_MX:
		if (ldns_rr_rdf(rr, 0) == NULL || ldns_rr_rdf(rr, 1) == NULL)
			return -1;
		out->pref = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
		dname_to_str(ldns_rr_rdf(rr, 1), out->target, sizeof(out->target));
		break;
	case LOOKUP_T_CNAME:
	case LOOKUP_T_PTR:
	case LOOKUP_T_NS:
		if (ldns_rr_rdf(rr, 0) == NULL)
			return -1;
		dname_to_str(ldns_rr_rdf(rr, 0), out->target, sizeof(out->target));
		break;
	case LOOKUP_T_TLSA:
		if (ldns_rr_rd_count(rr) < 4)
			return -1;
		out->tlsa_usage = ldns_rdf2native_int8(ldns_rr_rdf(rr, 0));
		out->tlsa_selector = ldns_rdf2native_int8(ldns_rr_rdf(rr, 1));
		out->tlsa_mtype = ldns_rdf2native_int8(ldns_rr_rdf(rr, 2));
		out->tlsa_len = (uint16_t)ldns_rdf_size(ldns_rr_rdf(rr, 3));
		break;
	default:
		break;
	}
	return 0;
}

int
lookup_rr_parse(const char *text, struct lookup_rr *out)
{
	ldns_rr *rr = NULL;
	int rc;

	if (ldns_rr_new_frm_str(&rr, text, 300, NULL, NULL) != LDNS_STATUS_OK || rr == NULL)
		return -1;
	rc = rr_from_ldns(rr, out);
	ldns_rr_free(rr);
	return rc;
}

/* ---- the CNAME-following lookup ---------------------------------------------------- */

/* A question answered since lookup_begin, kept so that it is not sent twice in a check. */
struct lookup_answered {
	char qname[LOOKUP_NAME_MAX]; /* name asked, absolute lower-case */
	uint16_t qtype;              /* type asked */
	unsigned flags;              /* LOOKUP_Q_* flags it was asked with */
	struct lookup_reply reply;   /* the reply as the transport gave it; its answer owned */
};

static void
answered_clear(struct lookup *lk)
{
	for (size_t i = 0; i < lk->nanswered; i++)
		lookup_reply_clear(&lk->answered[i].reply);
	lk->nanswered = 0; /* the array is kept for the next check (lookup_free frees it) */
}

/* Copy the remembered reply to qname/qtype into *out (no packet: queries 0). */
static bool
answered_get(const struct lookup *lk, const char *qname, uint16_t qtype, unsigned flags,
             struct lookup_reply *out)
{
	for (size_t i = 0; i < lk->nanswered; i++) {
		const struct lookup_answered *a = &lk->answered[i];
		if (a->qtype != qtype || a->flags != flags || strcmp(a->qname, qname) != 0)
			continue;
		*out = a->reply;
		out->queries = 0;
		out->an = NULL;
		if (a->reply.nan == 0)
			return true;
		out->an = malloc(a->reply.nan * sizeof(*out->an));
		if (out->an == NULL)
			abort();
		memcpy(out->an, a->reply.an, a->reply.nan * sizeof(*out->an));
		return true;
	}
	return false;
}

/* Remember a copy of the reply to qname/qtype for the rest of the check. */
static void
answered_put(struct lookup *lk, const char *qname, uint16_t qtype, unsigned flags,
             const struct lookup_reply *rep)
{
	struct lookup_answered *a;

	if (lk->nanswered == lk->answered_cap) {
		size_t cap = lk->answered_cap ? 2 * lk->answered_cap : 16;
		struct lookup_answered *v = realloc(lk->answered, cap * sizeof(*v));
		if (v == NULL)
			abort();
		lk->answered = v;
		lk->answered_cap = cap;
	}
	a = &lk->answered[lk->nanswered++];
	name_copy(a->qname, qname, sizeof(a->qname));
	a->qtype = qtype;
	a->flags = flags;
	a->reply = *rep;
	a->reply.an = NULL;
	if (rep->nan == 0)
		return;
	a->reply.an = malloc(rep->nan * sizeof(*a->reply.an));
	if (a->reply.an == NULL)
		abort();
	memcpy(a->reply.an, rep->an, rep->nan * sizeof(*a->reply.an));
}

struct lookup *
lookup_new(const struct lookup_ops *ops, void *ud)
{
	struct lookup *lk = calloc(1, sizeof(*lk));

	if (lk == NULL)
		return NULL;
	lk->ops = ops;
	lk->ud = ud;
	lk->max_queries = LOOKUP_DEFAULT_MAX_QUERIES;
	lk->total_ms = LOOKUP_DEFAULT_TOTAL_MS;
	lk->validator = -1;
	return lk;
}

void
lookup_free(struct lookup *lk)
{
	if (lk == NULL)
		return;
	if (lk->ops && lk->ops->free)
		lk->ops->free(lk->ud);
	answered_clear(lk);
	free(lk->answered);
	free(lk);
}

void
lookup_begin(struct lookup *lk)
{
	lk->queries = 0;
	answered_clear(lk);
	lk->deadline_ms = lk->total_ms ? lookup_now_ms() + lk->total_ms : 0;
	if (lk->ops && lk->ops->begin)
		lk->ops->begin(lk->ud);
}

static bool
chain_seen(const struct lookup_result *r, const char *name)
{
	if (strcmp(r->qname, name) == 0)
		return true;
	for (size_t i = 0; i < r->nchain; i++)
		if (strcmp(r->chain[i], name) == 0)
			return true;
	return false;
}

/* The per-check bound on queries or time is used up. */
static bool
bound_reached(const struct lookup *lk)
{
	return (lk->max_queries && lk->queries >= lk->max_queries) ||
	       (lk->deadline_ms > 0 && lookup_now_ms() > lk->deadline_ms);
}

/* Walk the answer section from r->final along CNAMEs; collect records of qtype at the end.
   Returns 1 when records were found, -1 on a loop, 0 otherwise (r->final updated). */
static int
follow_answer(struct lookup_result *r, const struct lookup_reply *rep, unsigned max)
{
	for (;;) {
		size_t n = 0, i;
		const struct lookup_rr *cname = NULL;

		for (i = 0; i < rep->nan; i++) {
			if (strcmp(rep->an[i].owner, r->final) != 0)
				continue;
			if (rep->an[i].type == r->qtype)
				n++;
			else if (rep->an[i].type == LOOKUP_T_CNAME && cname == NULL)
				cname = &rep->an[i];
		}
		if (n > 0) {
			r->rrs = calloc(n, sizeof(*r->rrs));
			if (r->rrs == NULL)
				return 0;
			for (i = 0; i < rep->nan; i++)
				if (strcmp(rep->an[i].owner, r->final) == 0 &&
				    rep->an[i].type == r->qtype)
					r->rrs[r->nrrs++] = rep->an[i];
			return 1;
		}
		if (cname == NULL || r->qtype == LOOKUP_T_CNAME)
			return 0;
		if (chain_seen(r, cname->target) || r->nchain >= max) {
			if (r->nchain < max + 1)
				snprintf(r->chain[r->nchain++], LOOKUP_NAME_MAX, "%s",
				         cname->target);
			return -1;
		}
		name_copy(r->chain[r->nchain++], cname->target, LOOKUP_NAME_MAX);
		name_copy(r->final, cname->target, sizeof(r->final));
	}
}

/* One question to the transport, or its remembered reply. false when the check's bound is
   used up (nothing asked then). */
static bool
ask(struct lookup *lk, const char *qname, uint16_t qtype, unsigned flags, struct lookup_reply *rep)
{
	if (answered_get(lk, qname, qtype, flags, rep))
		return true;
	if (bound_reached(lk))
		return false;
	if (flags != 0 && lk->ops->query_flags != NULL)
		lk->ops->query_flags(lk->ud, qname, qtype, flags, rep);
	else
		lk->ops->query(lk->ud, qname, qtype, rep);
	if (rep->queries == 0)
		rep->queries = 1;
	answered_put(lk, qname, qtype, flags, rep);
	return true;
}

/* --dnssec: a SERVFAIL is bogus when the same question with CD set is answered (RFC 4035
   §3.2.2: the resolver has the data but could not validate it). The extended error of the
   failing reply goes into the detail. */
static void
servfail_dnssec(struct lookup *lk, struct lookup_result *r, const char *asked,
                const struct lookup_reply *failed)
{
	struct lookup_reply cd;
	size_t n;

	if (failed->has_ede) {
		const char *name = lookup_ede_name(failed->ede);
		r->has_ede = true;
		r->ede = failed->ede;
		snprintf(r->ede_text, sizeof(r->ede_text), "%s", failed->ede_text);
		n = strlen(r->detail);
		snprintf(r->detail + n, sizeof(r->detail) - n, "; extended DNS error %u%s%s%s%s%s",
		         (unsigned)failed->ede, name[0] ? " (" : "", name, name[0] ? ")" : "",
		         failed->ede_text[0] ? ": " : "", failed->ede_text);
	}
	if (failed->reason != LOOKUP_R_SERVFAIL || lk->validator == 0)
		return;
	memset(&cd, 0, sizeof(cd));
	if (!ask(lk, asked, r->qtype, LOOKUP_Q_DO | LOOKUP_Q_CD, &cd))
		return;
	lk->queries += cd.queries;
	r->queries += cd.queries;
	if (cd.status == LOOKUP_OK || cd.status == LOOKUP_NXDOMAIN)
		r->dnssec = LOOKUP_DNSSEC_BOGUS;
	lookup_reply_clear(&cd);
}

struct lookup_result *
lookup_resolve(struct lookup *lk, const char *qname, uint16_t qtype)
{
	unsigned flags = lk->dnssec ? LOOKUP_Q_DO : 0;
	bool all_ad = true;
	struct lookup_result *r = malloc(sizeof(*r));
	unsigned max = lk->max_cname;

	if (max == 0 || max > LOOKUP_CHAIN_MAX)
		max = LOOKUP_MAX_CNAME;
	if (r == NULL)
		abort();
	/* Everything zero but the chain names (17 KB, read only up to nchain): clearing those
	   for every lookup was a noticeable part of mxcheck's CPU. */
	memset(r, 0, offsetof(struct lookup_result, chain));
	memset(&r->nchain, 0, sizeof(*r) - offsetof(struct lookup_result, nchain));
	lookup_name_abs(qname, r->qname, sizeof(r->qname));
	name_copy(r->final, r->qname, sizeof(r->final));
	r->qtype = qtype;

	/* Each round asks for r->final; a chain that stops at an alias is asked again. */
	for (unsigned round = 0; round <= max + 1; round++) {
		struct lookup_reply rep;
		char asked[LOOKUP_NAME_MAX];
		int f;

		memset(&rep, 0, sizeof(rep));
		name_copy(asked, r->final, sizeof(asked));
		if (!ask(lk, asked, qtype, flags, &rep)) {
			r->status = LOOKUP_TEMPORARY;
			r->reason = LOOKUP_R_TIMEOUT;
			snprintf(r->detail, sizeof(r->detail),
			         "the check's bound (%u queries, %u ms) was reached",
			         lk->max_queries, lk->total_ms);
			return r;
		}
		lk->queries += rep.queries;
		if (!rep.ad)
			all_ad = false;
		r->queries += rep.queries;
		if (rep.tc)
			r->truncated = true;
		if (lk->check_aa && !rep.aa &&
		    (rep.status == LOOKUP_OK || rep.status == LOOKUP_NXDOMAIN))
			r->not_aa = true;
		if (lookup_is_temporary(rep.status)) {
			r->status = rep.status;
			r->reason = rep.reason;
			if (r->reason == LOOKUP_R_NONE) /* a transport that did not say why */
				r->reason = rep.status == LOOKUP_FORMERR ? LOOKUP_R_FORMERR
				                                         : LOOKUP_R_NETWORK;
			snprintf(r->detail, sizeof(r->detail), "%s", rep.detail);
			if (lk->dnssec)
				servfail_dnssec(lk, r, asked, &rep);
			lookup_reply_clear(&rep);
			return r;
		}
		if (lk->dnssec)
			r->dnssec = all_ad ? LOOKUP_DNSSEC_SECURE : LOOKUP_DNSSEC_INSECURE;
		f = follow_answer(r, &rep, max);
		lookup_reply_clear(&rep);
		if (f < 0) {
			r->status = LOOKUP_CNAME_LOOP;
			snprintf(r->detail, sizeof(r->detail),
			         "CNAME chain from %.200s loops (or is longer than %d hops)",
			         r->qname, max);
			return r;
		}
		if (f > 0) {
			r->status = LOOKUP_OK;
			return r;
		}
		if (rep.status == LOOKUP_NXDOMAIN) {
			r->status =
			    LOOKUP_NXDOMAIN; /* RFC 6604: the rcode is about the last name */
			return r;
		}
		if (strcmp(asked, r->final) == 0) {
			r->status = LOOKUP_NODATA;
			return r;
		}
		/* The answer stopped at an alias: ask for the target ourselves. */
	}
	r->status = LOOKUP_CNAME_LOOP;
	snprintf(r->detail, sizeof(r->detail), "CNAME chain from %.200s is too long", r->qname);
	return r;
}

/* ---- the network transport -------------------------------------------------------------- */

#define NET_STALE_MAX 16 /* IDs remembered per reused socket before it is replaced */

/* The UDP socket reused for every exchange with one server (-s without --recursive). */
struct net_sock {
	int fd;                        /* connected UDP socket, -1 when none is open; owned */
	uint16_t stale[NET_STALE_MAX]; /* IDs sent on fd whose replies were never read */
	size_t nstale;                 /* entries in stale */
};

struct lookup_net {
	struct sockaddr_storage srv[LOOKUP_MAX_SERVERS]; /* servers in order */
	socklen_t srvlen[LOOKUP_MAX_SERVERS];            /* their address lengths */
	size_t nsrv;                                     /* servers used */
	int timeout_ms;                                  /* per packet */
	int retries;                                     /* extra rounds over all servers */
	bool rd;                                         /* set RD (system resolver) */
	lookup_wait_fn wait;                             /* waits for a socket, NULL: poll() */
	void *wait_ud;                                   /* argument of wait (not owned) */
	bool reuse; /* one socket per server for every exchange (else fresh) */
	struct net_sock sock[LOOKUP_MAX_SERVERS]; /* the reused sockets (reuse), owned */
	unsigned opened;                          /* UDP sockets opened so far */
};

static void
fail(struct lookup_reply *out, enum lookup_status st, enum lookup_reason why, const char *fmt,
     const char *arg)
{
	out->status = st;
	out->reason = why;
	snprintf(out->detail, sizeof(out->detail), fmt, arg);
}

static int
wait_fd(const struct lookup_net *n, int fd, short ev, double deadline)
{
	if (n->wait != NULL)
		return deadline - lookup_now_ms() <= 0 ? 0 : n->wait(n->wait_ud, fd, ev, deadline);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = ev};
		int left = (int)(deadline - lookup_now_ms());
		int k;

		if (left <= 0)
			return 0;
		k = poll(&p, 1, left);
		if (k < 0 && errno == EINTR)
			continue;
		return k;
	}
}

static void
addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		port = ntohs(s4->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		port = ntohs(s6->sin6_port);
	}
	snprintf(buf, len, "%s@%d", a, port);
}

/* Check a raw reply against the query: ID, QR, question. Parse it into *pkt. */
static int
reply_check(const uint8_t *q, size_t qlen, const uint8_t *a, size_t alen, ldns_pkt **pkt,
            const char **why)
{
	ldns_pkt *ap = NULL;
	int rc = -1;

	*pkt = NULL;
	if (alen < 12) {
		*why = "reply shorter than a DNS header";
		return -1;
	}
	if (a[0] != q[0] || a[1] != q[1]) {
		*why = "reply ID does not match the query";
		return -1;
	}
	if (!(a[2] & 0x80)) {
		*why = "reply without the QR bit";
		return -1;
	}
	if (ldns_wire2pkt(&ap, a, alen) != LDNS_STATUS_OK) {
		*why = "malformed reply";
		return -1;
	}
	if (ldns_pkt_qdcount(ap) == 0 && ldns_pkt_get_rcode(ap) != LDNS_RCODE_NOERROR &&
	    ldns_pkt_get_rcode(ap) != LDNS_RCODE_NXDOMAIN) {
		rc = 0; /* error replies may drop the question (FORMERR, NOTIMP) */
		goto done;
	}
	if (ldns_pkt_qdcount(ap) != 1 || ldns_rr_list_rr_count(ldns_pkt_question(ap)) != 1) {
		*why = "reply does not carry exactly one question";
		goto done;
	}
	/* Our query is a header, one question and perhaps an OPT record (--dnssec): the reply's
	   question (never compressed, it is the first name) must be the same bytes, the name in
	   any case. */
	size_t qend = 12;
	while (qend < qlen && q[qend] != 0)
		qend += (size_t)q[qend] + 1;
	qend += 1 + 4;
	if (qend > qlen || qlen <= 12 + 4 || alen < qend) {
		*why = "reply question does not match the query";
		goto done;
	}
	for (size_t i = 12; i < qend; i++) {
		bool name = i < qend - 4;
		if (name ? tolower(q[i]) != tolower(a[i]) : q[i] != a[i]) {
			*why = "reply question does not match the query";
			goto done;
		}
	}
	rc = 0;
done:
	if (rc == 0)
		*pkt = ap;
	else
		ldns_pkt_free(ap);
	return rc;
}

/* A random query ID from the kernel's generator, drawn 128 at a time (one getrandom() per
   128 queries instead of a library call each). */
static uint16_t
net_random_id(void)
{
	static uint16_t pool[128];
	static size_t left;

	if (left == 0) {
		if (getrandom(pool, sizeof(pool), 0) != (ssize_t)sizeof(pool))
			return ldns_get_random();
		left = sizeof(pool) / sizeof(pool[0]);
	}
	return pool[--left];
}

static bool
stale_has(const struct net_sock *k, uint16_t id)
{
	for (size_t i = 0; i < k->nstale; i++)
		if (k->stale[i] == id)
			return true;
	return false;
}

/* Close a socket the waiter may have watched: it is told first (ev 0), so that an event
   loop forgets the descriptor before its number can be given to another socket. */
static void
net_close(const struct lookup_net *n, int fd)
{
	if (n->wait != NULL)
		n->wait(n->wait_ud, fd, 0, 0);
	close(fd);
}

static void
sock_close(const struct lookup_net *n, struct net_sock *k)
{
	if (k->fd >= 0)
		net_close(n, k->fd);
	k->fd = -1;
	k->nstale = 0;
}

/* A query with this ID went unanswered on k: its reply may still come and must then be
   skipped. A full list retires the socket, so that the kernel drops what comes later. */
static void
stale_add(const struct lookup_net *n, struct net_sock *k, uint16_t id)
{
	if (k->nstale == NET_STALE_MAX) {
		sock_close(n, k);
		return;
	}
	k->stale[k->nstale++] = id;
}

/* A UDP socket connected to server si (the kernel then takes datagrams from it alone). -1
   with msg set. */
static int
udp_open(struct lookup_net *n, size_t si, char *msg, size_t msglen)
{
	int fd = socket(n->srv[si].ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		snprintf(msg, msglen, "socket: %s", strerror(errno));
		return -1;
	}
	n->opened++;
	if (connect(fd, (const struct sockaddr *)&n->srv[si], n->srvlen[si]) < 0) {
		snprintf(msg, msglen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* One UDP exchange. Returns the parsed reply or NULL with out filled as a failure. With
   n->reuse the server's socket is kept open for the next exchange: the query gets an ID that
   no unanswered earlier query on it has, and replies carrying such an ID (late answers to a
   query that timed out) are skipped while waiting. Any other reply is this query's answer
   or, when it does not match (ID, QR, question), a network failure, as on a fresh socket. */
static ldns_pkt *
udp_exchange(struct lookup_net *n, size_t si, uint8_t *q, size_t qlen, struct lookup_reply *out)
{
	uint8_t buf[65536];
	char who[80], msg[200];
	struct net_sock *k = n->reuse ? &n->sock[si] : NULL;
	int fd = k != NULL ? k->fd : -1;
	bool fresh = fd < 0;
	uint16_t id;
	ssize_t got;
	ldns_pkt *pkt = NULL;
	const char *why = NULL;
	double deadline = lookup_now_ms() + n->timeout_ms;

	if (fd < 0 && (fd = udp_open(n, si, msg, sizeof(msg))) < 0)
		goto network;
	if (k != NULL) {
		k->fd = fd;
		id = (uint16_t)(q[0] << 8 | q[1]);
		while (stale_has(k, id))
			id = net_random_id();
		q[0] = (uint8_t)(id >> 8);
		q[1] = (uint8_t)id;
	}
	id = (uint16_t)(q[0] << 8 | q[1]);
	if (send(fd, q, qlen, 0) != (ssize_t)qlen) {
		if (fresh) {
			snprintf(msg, sizeof(msg), "%s", strerror(errno));
			goto network;
		}
		/* A reused socket may hold the error of an earlier exchange (an ICMP message
		   that came late): send again on a fresh one, as this exchange always had. */
		sock_close(n, k);
		if ((fd = udp_open(n, si, msg, sizeof(msg))) < 0)
			goto network;
		k->fd = fd;
		if (send(fd, q, qlen, 0) != (ssize_t)qlen) {
			snprintf(msg, sizeof(msg), "%s", strerror(errno));
			goto network;
		}
	}
	for (;;) {
		if (wait_fd(n, fd, POLLIN, deadline) <= 0) {
			addr_str(&n->srv[si], who, sizeof(who));
			fail(out, LOOKUP_TEMPORARY, LOOKUP_R_TIMEOUT, "no answer from %s", who);
			if (k != NULL)
				stale_add(n, k, id);
			goto done;
		}
		got = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			continue;
		if (got < 0) {
			addr_str(&n->srv[si], who, sizeof(who));
			snprintf(msg, sizeof(msg), "%s: %s", who, strerror(errno));
			goto network;
		}
		if (k != NULL && got >= 2 && stale_has(k, (uint16_t)(buf[0] << 8 | buf[1])))
			continue; /* a late answer to an earlier query on this socket */
		break;
	}
	if (reply_check(q, qlen, buf, (size_t)got, &pkt, &why) < 0) {
		addr_str(&n->srv[si], who, sizeof(who)); /* only a failure names the server */
		snprintf(msg, sizeof(msg), "%s from %s", why, who);
		if (k != NULL)
			stale_add(n, k, id); /* the real answer may still come */
		fail(out, LOOKUP_TEMPORARY, LOOKUP_R_NETWORK, "%s", msg);
		goto done;
	}
	goto done;
network:
	fail(out, LOOKUP_TEMPORARY, LOOKUP_R_NETWORK, "%s", msg);
	if (k != NULL) {
		sock_close(n, k); /* a socket that failed is not used again */
		fd = -1;
	}
done:
	if (k == NULL && fd >= 0)
		net_close(n, fd);
	return pkt;
}

static int
io_all(const struct lookup_net *n, int fd, uint8_t *buf, size_t len, bool wr, double deadline)
{
	size_t done = 0;

	while (done < len) {
		ssize_t k;
		int w = wait_fd(n, fd, wr ? POLLOUT : POLLIN, deadline);
		if (w <= 0) {
			if (w == 0)
				errno = ETIMEDOUT;
			return -1;
		}
		k = wr ? send(fd, buf + done, len - done, MSG_NOSIGNAL)
		       : recv(fd, buf + done, len - done, 0);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k == 0)
			errno = 0; /* closed before the whole message arrived */
		if (k <= 0)
			return -1;
		done += (size_t)k;
	}
	return 0;
}

/* One TCP exchange (RFC 7766 framing). NULL with out filled as a failure. */
static ldns_pkt *
tcp_exchange(const struct lookup_net *n, size_t si, const uint8_t *q, size_t qlen,
             struct lookup_reply *out)
{
	uint8_t *frame = NULL, *ans = NULL, hdr[2];
	char who[80], msg[200];
	int fd, err = 0;
	socklen_t el = sizeof(err);
	size_t alen;
	ldns_pkt *pkt = NULL;
	const char *why = NULL;
	double deadline = lookup_now_ms() + n->timeout_ms;

	addr_str(&n->srv[si], who, sizeof(who));
	fd = socket(n->srv[si].ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto bad;
	if (connect(fd, (const struct sockaddr *)&n->srv[si], n->srvlen[si]) < 0) {
		if (errno != EINPROGRESS)
			goto bad;
		int w = wait_fd(n, fd, POLLOUT, deadline);
		if (w <= 0) {
			if (w == 0)
				errno = ETIMEDOUT;
			goto bad;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err != 0) {
			errno = err;
			goto bad;
		}
	}
	frame = malloc(qlen + 2);
	if (frame == NULL)
		goto bad;
	frame[0] = (uint8_t)(qlen >> 8);
	frame[1] = (uint8_t)qlen;
	memcpy(frame + 2, q, qlen);
	if (io_all(n, fd, frame, qlen + 2, true, deadline) < 0 ||
	    io_all(n, fd, hdr, 2, false, deadline) < 0)
		goto bad;
	alen = (size_t)hdr[0] << 8 | hdr[1];
	ans = malloc(alen ? alen : 1);
	if (ans == NULL || io_all(n, fd, ans, alen, false, deadline) < 0)
		goto bad;
	if (reply_check(q, qlen, ans, alen, &pkt, &why) < 0) {
		snprintf(msg, sizeof(msg), "TCP: %s from %s", why, who);
		fail(out, LOOKUP_TEMPORARY, LOOKUP_R_TCP_FAILED, "%s", msg);
	}
	goto done;
bad:
	snprintf(msg, sizeof(msg), "TCP to %s failed: %s", who,
	         errno ? strerror(errno) : "connection closed without an answer");
	fail(out, LOOKUP_TEMPORARY, LOOKUP_R_TCP_FAILED, "%s", msg);
done:
	if (fd >= 0)
		net_close(n, fd);
	free(frame);
	free(ans);
	return pkt;
}

/* The first RFC 8914 extended DNS error option (code 15) of the reply's OPT record. */
static void
reply_ede(const ldns_pkt *pkt, struct lookup_reply *out)
{
	const ldns_rdf *d = ldns_pkt_edns_data(pkt);
	const uint8_t *p;
	size_t len, i = 0;

	out->has_ede = false;
	out->ede_text[0] = '\0';
	if (d == NULL)
		return;
	p = ldns_rdf_data(d);
	len = ldns_rdf_size(d);
	while (i + 4 <= len) {
		unsigned code = (unsigned)p[i] << 8 | p[i + 1];
		size_t olen = (size_t)p[i + 2] << 8 | p[i + 3];
		if (i + 4 + olen > len)
			return;
		if (code == 15 && olen >= 2) {
			size_t tl = olen - 2, k, o = 0;
			out->has_ede = true;
			out->ede = (uint16_t)(p[i + 4] << 8 | p[i + 5]);
			for (k = 0; k < tl && o + 1 < sizeof(out->ede_text); k++) {
				unsigned char c = p[i + 6 + k];
				out->ede_text[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
			}
			out->ede_text[o] = '\0';
			return;
		}
		i += 4 + olen;
	}
}

static void
reply_from_pkt(const ldns_pkt *pkt, struct lookup_reply *out)
{
	const ldns_rr_list *an = ldns_pkt_answer(pkt);
	size_t n = an ? ldns_rr_list_rr_count(an) : 0;
	char rc[40];

	out->aa = ldns_pkt_aa(pkt);
	out->ad = ldns_pkt_ad(pkt);
	reply_ede(pkt, out);
	switch (ldns_pkt_get_rcode(pkt)) {
	case LDNS_RCODE_NOERROR:
		out->status = LOOKUP_OK;
		break;
	case LDNS_RCODE_NXDOMAIN:
		out->status = LOOKUP_NXDOMAIN;
		break;
	case LDNS_RCODE_SERVFAIL:
		fail(out, LOOKUP_TEMPORARY, LOOKUP_R_SERVFAIL, "%s", "server failure (SERVFAIL)");
		return;
	case LDNS_RCODE_REFUSED:
		fail(out, LOOKUP_TEMPORARY, LOOKUP_R_REFUSED, "%s", "query refused (REFUSED)");
		return;
	case LDNS_RCODE_NOTIMPL:
		fail(out, LOOKUP_TEMPORARY, LOOKUP_R_NOTIMP, "%s", "not implemented (NOTIMP)");
		return;
	case LDNS_RCODE_FORMERR:
		fail(out, LOOKUP_FORMERR, LOOKUP_R_FORMERR, "%s", "format error (FORMERR)");
		return;
	default:
		snprintf(rc, sizeof(rc), "rcode %d", (int)ldns_pkt_get_rcode(pkt));
		fail(out, LOOKUP_TEMPORARY, LOOKUP_R_SERVFAIL, "unexpected %s", rc);
		return;
	}
	if (n == 0)
		return;
	out->an = calloc(n, sizeof(*out->an));
	if (out->an == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
			continue;
		if (rr_from_ldns(rr, &out->an[out->nan]) == 0)
			out->nan++;
	}
}

size_t
lookup_query_wire(const char *qname, uint16_t qtype, uint16_t id, bool rd, unsigned flags,
                  uint8_t *out, size_t cap)
{
	ldns_rdf *dn = ldns_dname_new_frm_str(qname);
	bool edns = (flags & LOOKUP_Q_DO) != 0;
	size_t nl, p;

	if (dn == NULL)
		return 0;
	nl = ldns_rdf_size(dn);
	if (12 + nl + 4 + (edns ? 11 : 0) > cap) {
		ldns_rdf_deep_free(dn);
		return 0;
	}
	memset(out, 0, 12);
	out[0] = (uint8_t)(id >> 8);
	out[1] = (uint8_t)id;
	out[2] = rd ? 0x01 : 0;                    /* QR 0, opcode QUERY, RD */
	out[3] = (flags & LOOKUP_Q_CD) ? 0x10 : 0; /* CD */
	out[5] = 1;                                /* QDCOUNT */
	out[11] = edns ? 1 : 0;                    /* ARCOUNT: the OPT record */
	memcpy(out + 12, ldns_rdf_data(dn), nl);
	ldns_rdf_deep_free(dn);
	p = 12 + nl;
	out[p++] = (uint8_t)(qtype >> 8);
	out[p++] = (uint8_t)qtype;
	out[p++] = 0;
	out[p++] = 1; /* IN */
	if (edns) {
		/* EDNS0 (RFC 6891) with DO (RFC 3225); 1232 bytes, the DNS flag day 2020 size */
		static const uint8_t opt[11] = {0,    0, 41, 1232 >> 8, 1232 & 0xff, 0, 0,
		                                0x80, 0, 0,  0};
		memcpy(out + p, opt, sizeof(opt));
		p += sizeof(opt);
	}
	return p;
}

static void
net_query_flags(void *ud, const char *qname, uint16_t qtype, unsigned flags,
                struct lookup_reply *out)
{
	struct lookup_net *n = ud;
	uint8_t wire[LDNS_MAX_DOMAINLEN + 64];
	size_t wlen = lookup_query_wire(qname, qtype, 0, n->rd, flags, wire, sizeof(wire));
	ldns_pkt *a = NULL;

	if (wlen == 0) {
		fail(out, LOOKUP_TEMPORARY, LOOKUP_R_NETWORK, "cannot encode name %.200s", qname);
		return;
	}
	for (int round = 0; round <= n->retries; round++) {
		for (size_t si = 0; si < n->nsrv; si++) {
			uint16_t id = net_random_id();
			wire[0] = (uint8_t)(id >> 8);
			wire[1] = (uint8_t)id;
			out->queries++;
			a = udp_exchange(n, si, wire, wlen, out);
			if (a != NULL && ldns_pkt_tc(a)) {
				/* Never use a truncated answer (RFC 7766): ask again over TCP. */
				ldns_pkt_free(a);
				out->tc = true;
				out->queries++;
				a = tcp_exchange(n, si, wire, wlen, out);
			}
			if (a == NULL)
				continue;
			out->status = LOOKUP_OK;
			out->reason = LOOKUP_R_NONE;
			out->detail[0] = '\0';
			reply_from_pkt(a, out);
			ldns_pkt_free(a);
			a = NULL;
			if (out->status == LOOKUP_OK || out->status == LOOKUP_NXDOMAIN)
				return;
			lookup_reply_clear(out);
		}
	}
}

static void
net_query(void *ud, const char *qname, uint16_t qtype, struct lookup_reply *out)
{
	net_query_flags(ud, qname, qtype, 0, out);
}

static void
net_free(void *ud)
{
	struct lookup_net *n = ud;

	for (size_t i = 0; n != NULL && i < LOOKUP_MAX_SERVERS; i++)
		sock_close(n, &n->sock[i]);
	free(n);
}

static const struct lookup_ops net_ops = {net_query, net_free, NULL, net_query_flags};

/* Records of one section of pkt into *v / *n (class IN only). */
static void
section_copy(const ldns_rr_list *l, struct lookup_rr **v, size_t *n)
{
	size_t k = l ? ldns_rr_list_rr_count(l) : 0;

	*v = NULL;
	*n = 0;
	if (k == 0)
		return;
	*v = calloc(k, sizeof(**v));
	if (*v == NULL)
		return;
	for (size_t i = 0; i < k; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(l, i);
		if (ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN && rr_from_ldns(rr, &(*v)[*n]) == 0)
			(*n)++;
	}
}

void
lookup_msg_clear(struct lookup_msg *m)
{
	free(m->an);
	free(m->ns);
	free(m->ar);
	m->an = m->ns = m->ar = NULL;
	m->nan = m->nns = m->nar = 0;
}

void
lookup_ask_server(int family, const uint8_t *addr, uint16_t port, int timeout_ms, int retries,
                  lookup_wait_fn wait, void *wait_ud, const char *qname, uint16_t qtype,
                  struct lookup_msg *out)
{
	struct lookup_net n;
	struct lookup_reply rep;
	ldns_rdf *dn = ldns_dname_new_frm_str(qname);
	ldns_pkt *q = NULL, *a = NULL;
	uint8_t *wire = NULL;
	size_t wlen = 0;

	memset(&n, 0, sizeof(n));
	memset(&rep, 0, sizeof(rep));
	n.nsrv = 1;
	n.timeout_ms = timeout_ms > 0 ? timeout_ms : 2000;
	n.retries = retries;
	n.wait = wait;
	n.wait_ud = wait_ud;
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&n.srv[0];
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, addr, 4);
		n.srvlen[0] = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&n.srv[0];
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, addr, 16);
		n.srvlen[0] = sizeof(*s6);
	}
	out->status = LOOKUP_TEMPORARY;
	out->reason = LOOKUP_R_NETWORK;
	if (dn == NULL ||
	    (q = ldns_pkt_query_new(dn, (ldns_rr_type)qtype, LDNS_RR_CLASS_IN, 0)) == NULL) {
		snprintf(out->detail, sizeof(out->detail), "cannot build a query for %.200s",
		         qname);
		return;
	}
	for (int round = 0; round <= n.retries; round++) {
		ldns_pkt_set_random_id(q);
		free(wire);
		wire = NULL;
		if (ldns_pkt2wire(&wire, q, &wlen) != LDNS_STATUS_OK)
			break;
		out->queries++;
		memset(&rep, 0, sizeof(rep));
		a = udp_exchange(&n, 0, wire, wlen, &rep);
		if (a != NULL && ldns_pkt_tc(a)) {
			ldns_pkt_free(a);
			out->queries++;
			a = tcp_exchange(&n, 0, wire, wlen, &rep);
		}
		if (a == NULL) {
			out->status = rep.status;
			out->reason = rep.reason;
			snprintf(out->detail, sizeof(out->detail), "%s", rep.detail);
			continue;
		}
		memset(&rep, 0, sizeof(rep));
		rep.status = LOOKUP_OK;
		reply_from_pkt(a, &rep);
		lookup_reply_clear(&rep); /* only the classification is used from it */
		out->status = rep.status;
		out->reason = rep.reason;
		snprintf(out->detail, sizeof(out->detail), "%s", rep.detail);
		out->aa = ldns_pkt_aa(a);
		if (out->status == LOOKUP_OK || out->status == LOOKUP_NXDOMAIN) {
			section_copy(ldns_pkt_answer(a), &out->an, &out->nan);
			section_copy(ldns_pkt_authority(a), &out->ns, &out->nns);
			section_copy(ldns_pkt_additional(a), &out->ar, &out->nar);
		}
		ldns_pkt_free(a);
		break; /* an answer, even an error rcode, is this server's answer */
	}
	free(wire);
	ldns_pkt_free(q);
}

/* "ADDR" or "ADDR@PORT" into n->srv[n->nsrv]. */
static int
server_parse(struct lookup_net *n, const char *spec, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 8];
	const char *at = strrchr(spec, '@');
	unsigned long long port = 53;
	size_t hl = at ? (size_t)(at - spec) : strlen(spec);
	struct sockaddr_in *s4 = (struct sockaddr_in *)&n->srv[n->nsrv];
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&n->srv[n->nsrv];

	if (n->nsrv >= LOOKUP_MAX_SERVERS) {
		snprintf(err, errlen, "-s: at most %d servers", LOOKUP_MAX_SERVERS);
		return -1;
	}
	if (hl == 0 || hl >= sizeof(host)) {
		snprintf(err, errlen, "-s %s: expected ADDR[@PORT]", spec);
		return -1;
	}
	memcpy(host, spec, hl);
	host[hl] = '\0';
	if (host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	if (at != NULL && num_parse(at + 1, 1, 65535, &port) < 0) {
		snprintf(err, errlen, "-s %s: port must be 1..65535", spec);
		return -1;
	}
	memset(&n->srv[n->nsrv], 0, sizeof(n->srv[n->nsrv]));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		n->srvlen[n->nsrv++] = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		n->srvlen[n->nsrv++] = sizeof(*s6);
	} else {
		snprintf(err, errlen, "-s %s: not an IPv4 or IPv6 address", spec);
		return -1;
	}
	return 0;
}

/* Nameservers from /etc/resolv.conf through ldns; only the addresses are used (no search
   list, no default domain). */
static int
system_servers(struct lookup_net *n, char *err, size_t errlen)
{
	ldns_resolver *res = NULL;
	ldns_status st = ldns_resolver_new_frm_file(&res, NULL);

	if (st != LDNS_STATUS_OK || res == NULL) {
		/* No resolv.conf: the resolver library default is the local host. */
		return server_parse(n, "127.0.0.1", err, errlen);
	}
	for (size_t i = 0; i < ldns_resolver_nameserver_count(res) && n->nsrv < LOOKUP_MAX_SERVERS;
	     i++) {
		size_t sz = 0;
		struct sockaddr_storage *ss = ldns_rdf2native_sockaddr_storage(
		    ldns_resolver_nameservers(res)[i], ldns_resolver_port(res), &sz);
		if (ss == NULL)
			continue;
		memcpy(&n->srv[n->nsrv], ss, sz);
		n->srvlen[n->nsrv++] = (socklen_t)sz;
		free(ss);
	}
	ldns_resolver_deep_free(res);
	if (n->nsrv == 0)
		return server_parse(n, "127.0.0.1", err, errlen);
	return 0;
}

struct lookup *
lookup_net_new(const char *const *servers, size_t nservers, int timeout_ms, int retries, char *err,
               size_t errlen)
{
	struct lookup_net *n = calloc(1, sizeof(*n));
	struct lookup *lk;

	if (n == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n->timeout_ms = timeout_ms > 0 ? timeout_ms : 2000;
	n->retries = retries >= 0 ? retries : 1;
	for (size_t i = 0; i < LOOKUP_MAX_SERVERS; i++)
		n->sock[i].fd = -1;
	/* Servers asked directly (a lab tool and its lab server) share one socket per server;
	   the system resolver keeps a fresh socket, so a fresh source port, per query. */
	n->reuse = nservers > 0;
	for (size_t i = 0; i < nservers; i++)
		if (server_parse(n, servers[i], err, errlen) < 0)
			goto fail;
	n->rd = nservers == 0;
	if (nservers == 0 && system_servers(n, err, errlen) < 0)
		goto fail;
	lk = lookup_new(&net_ops, n);
	if (lk == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	lk->check_aa = nservers > 0;
	/* The whole check is bounded; make sure it leaves room for a few slow lookups. */
	if ((unsigned)n->timeout_ms * (unsigned)(n->retries + 1) * 4 > lk->total_ms)
		lk->total_ms = (unsigned)n->timeout_ms * (unsigned)(n->retries + 1) * 4;
	return lk;
fail:
	free(n);
	return NULL;
}

int
lookup_net_set_recursive(struct lookup *lk)
{
	struct lookup_net *n;

	if (lk == NULL || lk->ops != &net_ops)
		return -1;
	n = lk->ud;
	n->rd = true;
	n->reuse = false; /* a recursive resolver: a fresh source port per query */
	lk->check_aa = false;
	return 0;
}

int
lookup_net_set_waiter(struct lookup *lk, lookup_wait_fn fn, void *ud)
{
	struct lookup_net *n;

	if (lk == NULL || lk->ops != &net_ops)
		return -1;
	n = lk->ud;
	n->wait = fn;
	n->wait_ud = ud;
	return 0;
}

/* ---- the fake transport ------------------------------------------------------------- */

struct fake_rule {
	char name[LOOKUP_NAME_MAX]; /* owner matched (absolute, lower-case) */
	uint16_t type;              /* type matched, 0 = any */
	enum lookup_status status;  /* forced outcome, or LOOKUP_OK for a flags-only rule */
	enum lookup_reason reason;  /* forced reason */
	bool flags;                 /* a flags rule (aa/tc) rather than an outcome */
	bool aa;                    /* AA for matching replies */
	bool tc;                    /* TC-used for matching replies */
};

/* --dnssec in the fake: the state of the names at or below name. */
struct fake_dnssec {
	char name[LOOKUP_NAME_MAX]; /* names at or below this one (absolute, lower-case) */
	uint16_t type;              /* type matched, 0 = any */
	enum lookup_dnssec state;   /* SECURE, INSECURE or BOGUS */
	int ede;                    /* extended error of a bogus SERVFAIL, -1 for none */
};

struct lookup_fake {
	bool validator;          /* answers as a validating resolver (AD, bogus) */
	struct fake_dnssec *sec; /* DNSSEC states, owned */
	size_t nsec;             /* entries in sec */
	struct lookup_rr *rrs;   /* the "zone", owned */
	size_t nrrs;             /* records used */
	size_t cap;              /* records allocated */
	struct fake_rule *rules; /* forced outcomes and flags, owned */
	size_t nrules;           /* rules used */
	unsigned queries;        /* questions answered */
};

static bool
name_below_or_at(const char *name, const char *owner)
{
	size_t n = strlen(name), o = strlen(owner);

	if (o == n)
		return strcmp(name, owner) == 0;
	return o > n && strcmp(owner + (o - n), name) == 0 && owner[o - n - 1] == '.';
}

static void
fake_query(void *ud, const char *qname, uint16_t qtype, struct lookup_reply *out)
{
	struct lookup_fake *f = ud;
	char name[LOOKUP_NAME_MAX];
	bool exists = false;
	size_t i, n = 0;

	f->queries++;
	out->queries = 1;
	out->aa = true;
	lookup_name_abs(qname, name, sizeof(name));
	for (i = 0; i < f->nrules; i++) {
		const struct fake_rule *r = &f->rules[i];
		if (strcmp(r->name, name) != 0 || (r->type != 0 && r->type != qtype))
			continue;
		if (r->flags) {
			out->aa = r->aa;
			out->tc = r->tc;
			continue;
		}
		out->status = r->status;
		out->reason = r->reason;
		snprintf(out->detail, sizeof(out->detail), "fake %s",
		         lookup_reason_name(r->reason));
		return;
	}
	/* CNAME at the name: answer with the alias only (the client must chase it). */
	for (i = 0; i < f->nrrs; i++)
		if (strcmp(f->rrs[i].owner, name) == 0 && f->rrs[i].type == LOOKUP_T_CNAME &&
		    qtype != LOOKUP_T_CNAME) {
			out->an = calloc(1, sizeof(*out->an));
			if (out->an == NULL)
				abort();
			out->an[0] = f->rrs[i];
			out->nan = 1;
			out->status = LOOKUP_OK;
			return;
		}
	for (i = 0; i < f->nrrs; i++) {
		if (name_below_or_at(name, f->rrs[i].owner))
			exists = true;
		if (strcmp(f->rrs[i].owner, name) == 0 && f->rrs[i].type == qtype)
			n++;
	}
	out->status = exists ? LOOKUP_OK : LOOKUP_NXDOMAIN;
	if (n == 0)
		return;
	out->an = calloc(n, sizeof(*out->an));
	if (out->an == NULL)
		abort();
	for (i = 0; i < f->nrrs; i++)
		if (strcmp(f->rrs[i].owner, name) == 0 && f->rrs[i].type == qtype)
			out->an[out->nan++] = f->rrs[i];
}

static void
fake_free(void *ud)
{
	struct lookup_fake *f = ud;

	if (f == NULL)
		return;
	free(f->rrs);
	free(f->rules);
	free(f->sec);
	free(f);
}

/* The DNSSEC state of name/type in the fake (the last matching rule). */
static const struct fake_dnssec *
fake_dnssec_of(const struct lookup_fake *f, const char *name, uint16_t type)
{
	const struct fake_dnssec *hit = NULL;

	for (size_t i = 0; i < f->nsec; i++)
		if ((f->sec[i].type == 0 || f->sec[i].type == type) &&
		    (strcmp(f->sec[i].name, ".") == 0 || name_below_or_at(f->sec[i].name, name)))
			hit = &f->sec[i];
	return hit;
}

static void
fake_query_flags(void *ud, const char *qname, uint16_t qtype, unsigned flags,
                 struct lookup_reply *out)
{
	struct lookup_fake *f = ud;
	char name[LOOKUP_NAME_MAX];
	const struct fake_dnssec *d;

	lookup_name_abs(qname, name, sizeof(name));
	if (!(flags & LOOKUP_Q_DO) || !f->validator) {
		fake_query(ud, qname, qtype, out);
		return;
	}
	if (strcmp(name, ".") == 0 && qtype == LOOKUP_T_DNSKEY) {
		/* the validator's probe: the root's keys, validated against its trust anchor */
		f->queries++;
		out->queries = 1;
		out->status = LOOKUP_OK;
		out->ad = true;
		return;
	}
	d = fake_dnssec_of(f, name, qtype);
	if (d != NULL && d->state == LOOKUP_DNSSEC_BOGUS && !(flags & LOOKUP_Q_CD)) {
		f->queries++;
		out->queries = 1;
		out->status = LOOKUP_TEMPORARY;
		out->reason = LOOKUP_R_SERVFAIL;
		snprintf(out->detail, sizeof(out->detail), "server failure (SERVFAIL)");
		if (d->ede >= 0) {
			out->has_ede = true;
			out->ede = (uint16_t)d->ede;
			snprintf(out->ede_text, sizeof(out->ede_text), "validation failure <%.80s>",
			         name);
		}
		return;
	}
	fake_query(ud, qname, qtype, out);
	out->ad = d != NULL && d->state == LOOKUP_DNSSEC_SECURE && !(flags & LOOKUP_Q_CD) &&
	          (out->status == LOOKUP_OK || out->status == LOOKUP_NXDOMAIN);
}

static const struct lookup_ops fake_ops = {fake_query, fake_free, NULL, fake_query_flags};

void
lookup_fake_set_validator(struct lookup_fake *f, bool on)
{
	f->validator = on;
}

void
lookup_fake_set_dnssec(struct lookup_fake *f, const char *name, uint16_t type,
                       enum lookup_dnssec state, int ede)
{
	struct fake_dnssec *v = realloc(f->sec, (f->nsec + 1) * sizeof(*v));

	if (v == NULL)
		abort();
	f->sec = v;
	lookup_name_abs(name, v[f->nsec].name, sizeof(v[0].name));
	v[f->nsec].type = type;
	v[f->nsec].state = state;
	v[f->nsec].ede = ede;
	f->nsec++;
}

struct lookup *
lookup_fake_new(struct lookup_fake **fake)
{
	struct lookup_fake *f = calloc(1, sizeof(*f));
	struct lookup *lk;

	if (f == NULL)
		return NULL;
	lk = lookup_new(&fake_ops, f);
	if (lk == NULL) {
		free(f);
		return NULL;
	}
	lk->check_aa = true;
	*fake = f;
	return lk;
}

int
lookup_fake_add(struct lookup_fake *f, const char *rr)
{
	if (f->nrrs == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct lookup_rr *v = realloc(f->rrs, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		f->rrs = v;
		f->cap = cap;
	}
	if (lookup_rr_parse(rr, &f->rrs[f->nrrs]) < 0)
		return -1;
	f->nrrs++;
	return 0;
}

static struct fake_rule *
fake_rule_add(struct lookup_fake *f, const char *name, uint16_t type)
{
	struct fake_rule *v = realloc(f->rules, (f->nrules + 1) * sizeof(*v));

	if (v == NULL)
		abort();
	f->rules = v;
	memset(&v[f->nrules], 0, sizeof(v[0]));
	lookup_name_abs(name, v[f->nrules].name, sizeof(v[0].name));
	v[f->nrules].type = type;
	return &v[f->nrules++];
}

void
lookup_fake_fail(struct lookup_fake *f, const char *name, uint16_t type, enum lookup_status status,
                 enum lookup_reason reason)
{
	struct fake_rule *r = fake_rule_add(f, name, type);

	r->status = status;
	r->reason = reason;
}

void
lookup_fake_set_flags(struct lookup_fake *f, const char *name, uint16_t type, bool aa, bool tc)
{
	struct fake_rule *r = fake_rule_add(f, name, type);

	r->flags = true;
	r->aa = aa;
	r->tc = tc;
}

unsigned
lookup_fake_queries(const struct lookup_fake *f)
{
	return f->queries;
}
