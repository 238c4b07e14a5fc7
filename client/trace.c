/* client/trace.c -- iterative resolution from the root for --trace, as a lookup transport.

   Per check (lookup_begin resets it) the trace remembers every zone cut it learnt (zone, its
   servers from the parent's NS records and glue) and what each server did. The first time a
   cut is used every one of its servers is asked the question, so each broken one is named;
   afterwards only until one answers. A server that timed out is not asked again in the same
   check (its timeout is paid once). Problems found on the way are kept and added to the result
   by trace_collect():
   - lame-delegation: a server the parent names answered REFUSED, without AA, or with a
     referral back up;
   - ns-unreachable: a server did not answer (warning when another server of the cut did;
     otherwise the lookup fails as dns-timeout);
   - glue-mismatch: the parent's glue for an in-zone NS name is not the child's own A/AAAA;
   - ns-mismatch: the parent's NS set is not the child's apex NS set;
   - delegation-loop: referrals in a circle, NS names that need themselves, or more than
     TRACE_MAX_CUTS cuts (the lookup fails as temporary). */
#include "client/trace.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/num.h"

/* One server (one address) of a cut. */
struct tsrv {
	struct trace_server s; /* name, address, port */
	char text[48];         /* the address as text ("" when unknown) */
	char outcome[32];      /* what it did the first time ("" when not asked yet) */
	bool asked;            /* asked at least once in this check */
	bool good;             /* answered with authority or a proper referral */
};

/* A zone cut. */
struct tcut {
	char zone[LOOKUP_NAME_MAX]; /* the zone */
	struct tsrv *srv;           /* its servers, owned */
	size_t nsrv;                /* entries in srv */
	bool first_done;            /* every server has been asked once */
	bool audited;               /* NS set and glue compared with the child's */
	bool used;                  /* a lookup went through it (shown in the output) */
	size_t order;               /* when it was first used */
};

/* A problem found, until trace_collect. */
struct tproblem {
	char code[32];                 /* problem code */
	enum check_severity sev;       /* its severity */
	char subject[LOOKUP_NAME_MAX]; /* zone or server */
	char message[512];             /* explanation */
};

/* The trace transport's state. */
struct trace {
	const struct trace_ops *ops;        /* how servers are asked */
	void *ud;                           /* their state, owned */
	struct trace_server *roots;         /* root servers, owned */
	size_t nroots;                      /* entries in roots */
	struct tcut *cuts;                  /* cuts known in this check, owned */
	size_t ncuts;                       /* entries in cuts */
	size_t nused;                       /* cuts used so far (order counter) */
	struct trace_server *dead;          /* servers that timed out in this check, owned */
	size_t ndead;                       /* entries in dead */
	struct tproblem *probs;             /* problems of this check, owned */
	size_t nprobs;                      /* entries in probs */
	unsigned depth;                     /* nesting of lookups for NS addresses */
	char resolving[4][LOOKUP_NAME_MAX]; /* zones whose NS addresses are being looked up */
	size_t nresolving;                  /* entries in resolving */
};

/* The network backend. */
struct trace_net {
	int timeout_ms;      /* -t */
	int retries;         /* -r */
	lookup_wait_fn wait; /* -j waiter, NULL: poll() */
	void *wait_ud;       /* its argument */
};

static void trace_query(void *ud, const char *qname, uint16_t qtype, struct lookup_reply *out);

/* ---- helpers ------------------------------------------------------------------------------ */

/* name is zone or below it (absolute, lower-case names). */
static bool
name_under(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);

	if (strcmp(zone, ".") == 0)
		return true;
	if (n < z)
		return false;
	if (strcmp(name + n - z, zone) != 0)
		return false;
	return n == z || name[n - z - 1] == '.';
}

static void
server_text(struct tsrv *t)
{
	t->text[0] = '\0';
	if (t->s.family != 0)
		inet_ntop(t->s.family, t->s.addr, t->text, sizeof(t->text));
}

static void problem(struct trace *t, const char *code, enum check_severity sev, const char *subject,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
problem(struct trace *t, const char *code, enum check_severity sev, const char *subject,
        const char *fmt, ...)
{
	struct tproblem *v, *p;
	va_list ap;

	for (size_t i = 0; i < t->nprobs; i++)
		if (strcmp(t->probs[i].code, code) == 0 &&
		    strcmp(t->probs[i].subject, subject) == 0)
			return;
	v = realloc(t->probs, (t->nprobs + 1) * sizeof(*v));
	if (v == NULL)
		abort();
	t->probs = v;
	p = &v[t->nprobs++];
	snprintf(p->code, sizeof(p->code), "%s", code);
	p->sev = sev;
	snprintf(p->subject, sizeof(p->subject), "%s", subject);
	va_start(ap, fmt);
	vsnprintf(p->message, sizeof(p->message), fmt, ap);
	va_end(ap);
}

static bool
is_dead(const struct trace *t, const struct trace_server *s)
{
	for (size_t i = 0; i < t->ndead; i++)
		if (t->dead[i].family == s->family && t->dead[i].port == s->port &&
		    memcmp(t->dead[i].addr, s->addr, s->family == AF_INET ? 4 : 16) == 0)
			return true;
	return false;
}

static void
mark_dead(struct trace *t, const struct trace_server *s)
{
	struct trace_server *v = realloc(t->dead, (t->ndead + 1) * sizeof(*v));

	if (v == NULL)
		abort();
	t->dead = v;
	v[t->ndead++] = *s;
}

static void
cut_add_server(struct tcut *c, const char *name, int family, const uint8_t *addr, uint16_t port)
{
	struct tsrv *v = realloc(c->srv, (c->nsrv + 1) * sizeof(*v));
	struct tsrv *t;

	if (v == NULL)
		abort();
	c->srv = v;
	t = &v[c->nsrv++];
	memset(t, 0, sizeof(*t));
	snprintf(t->s.name, sizeof(t->s.name), "%s", name);
	t->s.family = family;
	if (family != 0)
		memcpy(t->s.addr, addr, family == AF_INET ? 4 : 16);
	t->s.port = port;
	server_text(t);
}

static struct tcut *
cut_new(struct trace *t, const char *zone)
{
	struct tcut *v = realloc(t->cuts, (t->ncuts + 1) * sizeof(*v));

	if (v == NULL)
		abort();
	t->cuts = v;
	memset(&v[t->ncuts], 0, sizeof(v[0]));
	snprintf(v[t->ncuts].zone, sizeof(v[0].zone), "%s", zone);
	return &v[t->ncuts++];
}

static struct tcut *
cut_find(struct trace *t, const char *zone)
{
	for (size_t i = 0; i < t->ncuts; i++)
		if (strcmp(t->cuts[i].zone, zone) == 0)
			return &t->cuts[i];
	return NULL;
}

/* The deepest known cut that holds qname (the root at least). */
static size_t
cut_closest(const struct trace *t, const char *qname)
{
	size_t best = 0, bestlen = 0;

	for (size_t i = 0; i < t->ncuts; i++) {
		size_t l = strlen(t->cuts[i].zone);
		if (name_under(qname, t->cuts[i].zone) && (l > bestlen || i == 0)) {
			best = i;
			bestlen = strcmp(t->cuts[i].zone, ".") == 0 ? 0 : l;
		}
	}
	return best;
}

static void
state_clear(struct trace *t)
{
	for (size_t i = 0; i < t->ncuts; i++)
		free(t->cuts[i].srv);
	free(t->cuts);
	free(t->dead);
	free(t->probs);
	t->cuts = NULL;
	t->dead = NULL;
	t->probs = NULL;
	t->ncuts = t->ndead = t->nprobs = t->nused = 0;
	t->depth = 0;
}

static void
trace_begin(void *ud)
{
	struct trace *t = ud;
	struct tcut *root;

	state_clear(t);
	t->nresolving = 0;
	root = cut_new(t, ".");
	for (size_t i = 0; i < t->nroots; i++)
		cut_add_server(root, t->roots[i].name, t->roots[i].family, t->roots[i].addr,
		               t->roots[i].port);
}

static void
trace_free(void *ud)
{
	struct trace *t = ud;

	if (t == NULL)
		return;
	state_clear(t);
	if (t->ops->free)
		t->ops->free(t->ud);
	free(t->roots);
	free(t);
}

static const struct lookup_ops trace_lookup_ops = {trace_query, trace_free, trace_begin, NULL};

/* ---- one server's answer ---------------------------------------------------------------- */

enum verdict_kind { V_BAD, V_ANSWER, V_REFERRAL };

/* Classify msg of a server of cut c for qname: its outcome text, and where it leads (*child:
   the zone of a referral). */
static enum verdict_kind
classify(const struct tcut *c, const char *qname, const struct lookup_msg *m, char *outcome,
         size_t olen, char *child, size_t clen)
{
	const char *referral = NULL;

	if (m->status == LOOKUP_TEMPORARY) {
		snprintf(outcome, olen, "%s",
		         m->reason == LOOKUP_R_TIMEOUT || m->reason == LOOKUP_R_NETWORK
		             ? "timeout"
		             : lookup_reason_name(m->reason));
		return V_BAD;
	}
	if (m->status == LOOKUP_FORMERR) {
		snprintf(outcome, olen, "formerr");
		return V_BAD;
	}
	if (m->aa) {
		snprintf(outcome, olen, "ok");
		return V_ANSWER;
	}
	for (size_t i = 0; i < m->nns; i++)
		if (m->ns[i].type == LOOKUP_T_NS) {
			referral = m->ns[i].owner;
			break;
		}
	if (m->status == LOOKUP_OK && m->nan == 0 && referral != NULL &&
	    strcmp(referral, c->zone) != 0 && name_under(referral, c->zone) &&
	    name_under(qname, referral)) {
		snprintf(outcome, olen, "ok");
		snprintf(child, clen, "%s", referral);
		return V_REFERRAL;
	}
	snprintf(outcome, olen, "%s", referral != NULL ? "referral-up" : "no-aa");
	return V_BAD;
}

/* A cut for the referral's zone from the NS records and glue of m. */
static struct tcut *
cut_from_referral(struct trace *t, const char *zone, const struct lookup_msg *m, uint16_t port)
{
	struct tcut *c = cut_new(t, zone);

	for (size_t i = 0; i < m->nns; i++) {
		const struct lookup_rr *ns = &m->ns[i];
		bool glued = false;
		if (ns->type != LOOKUP_T_NS || strcmp(ns->owner, zone) != 0)
			continue;
		for (size_t k = 0; k < m->nar; k++) {
			const struct lookup_rr *g = &m->ar[k];
			if ((g->type == LOOKUP_T_A || g->type == LOOKUP_T_AAAA) &&
			    strcmp(g->owner, ns->target) == 0) {
				cut_add_server(c, ns->target, g->family, g->addr, port);
				glued = true;
			}
		}
		if (!glued)
			cut_add_server(c, ns->target, 0, NULL, port);
	}
	return c;
}

/* Addresses of server i of cut ci, named without glue, looked up through the trace itself.
   The lookups may learn new cuts and so move t->cuts: the cut is found by its index again
   after each one. */
static void
resolve_server(struct trace *t, size_t ci, size_t i, unsigned *queries)
{
	char name[LOOKUP_NAME_MAX], zone[LOOKUP_NAME_MAX];
	uint16_t port = t->cuts[ci].srv[i].s.port;
	bool first = true;

	snprintf(name, sizeof(name), "%s", t->cuts[ci].srv[i].s.name);
	snprintf(zone, sizeof(zone), "%s", t->cuts[ci].zone);
	if (t->depth >= 4 || t->nresolving >= 4) {
		problem(t, "delegation-loop", CHECK_ERROR, zone,
		        "the name servers of %s cannot be found without themselves (NS names "
		        "out of zone, no glue, nested too deep)",
		        zone);
		return;
	}
	snprintf(t->resolving[t->nresolving++], LOOKUP_NAME_MAX, "%s", zone);
	for (int f = 0; f < 2; f++) {
		struct lookup_reply rep;
		uint16_t type = f ? LOOKUP_T_AAAA : LOOKUP_T_A;
		memset(&rep, 0, sizeof(rep));
		trace_query(t, name, type, &rep);
		*queries += rep.queries;
		for (size_t k = 0; k < rep.nan; k++) {
			struct tcut *c = &t->cuts[ci];
			if (rep.an[k].type != type)
				continue;
			if (first) {
				for (size_t j = 0; j < c->nsrv; j++)
					if (strcmp(c->srv[j].s.name, name) == 0 &&
					    c->srv[j].s.family == 0) {
						c->srv[j].s.family = rep.an[k].family;
						memcpy(c->srv[j].s.addr, rep.an[k].addr, 16);
						server_text(&c->srv[j]);
						break;
					}
				first = false;
			} else {
				cut_add_server(c, name, rep.an[k].family, rep.an[k].addr, port);
			}
		}
		lookup_reply_clear(&rep);
	}
	t->nresolving--;
}

static void
ask(struct trace *t, const struct trace_server *s, const char *qname, uint16_t qtype,
    struct lookup_msg *m)
{
	memset(m, 0, sizeof(*m));
	t->ops->ask(t->ud, s, qname, qtype, m);
	if (m->queries == 0)
		m->queries = 1;
}

/* Compare the parent's view of cut c (NS names, glue) with the child's own, asking server
   srv of the cut (which answered with authority). */
static void
audit(struct trace *t, size_t ci, const struct trace_server *srv, unsigned *queries)
{
	struct lookup_msg m;
	char zone[LOOKUP_NAME_MAX];
	bool differ = false;

	snprintf(zone, sizeof(zone), "%s", t->cuts[ci].zone);
	t->cuts[ci].audited = true;
	ask(t, srv, zone, LOOKUP_T_NS, &m);
	*queries += m.queries;
	if (m.status == LOOKUP_OK && m.aa) {
		struct tcut *c = &t->cuts[ci];
		size_t nchild = 0;
		for (size_t i = 0; i < m.nan; i++) {
			bool found = false;
			if (m.an[i].type != LOOKUP_T_NS || strcmp(m.an[i].owner, zone) != 0)
				continue;
			nchild++;
			for (size_t k = 0; k < c->nsrv; k++)
				found = found || strcmp(c->srv[k].s.name, m.an[i].target) == 0;
			differ = differ || !found;
		}
		for (size_t k = 0; k < c->nsrv && !differ; k++) {
			bool found = false;
			for (size_t i = 0; i < m.nan; i++)
				found = found || (m.an[i].type == LOOKUP_T_NS &&
				                  strcmp(m.an[i].target, c->srv[k].s.name) == 0);
			differ = !found;
		}
		if (differ && nchild > 0)
			problem(
			    t, "ns-mismatch", CHECK_INFO, zone,
			    "the parent's NS set for %s differs from the zone's own apex NS set",
			    zone);
	}
	lookup_msg_clear(&m);
	/* Glue of in-zone NS names against the child's own addresses. */
	for (size_t k = 0; k < t->cuts[ci].nsrv; k++) {
		char name[LOOKUP_NAME_MAX], glue[48];
		bool seen = false, match = false;
		const struct tsrv *s = &t->cuts[ci].srv[k];
		if (s->s.family != AF_INET || !name_under(s->s.name, zone))
			continue;
		for (size_t j = 0; j < k; j++)
			seen = seen || strcmp(t->cuts[ci].srv[j].s.name, s->s.name) == 0;
		if (seen)
			continue;
		snprintf(name, sizeof(name), "%s", s->s.name);
		snprintf(glue, sizeof(glue), "%s", s->text);
		ask(t, srv, name, LOOKUP_T_A, &m);
		*queries += m.queries;
		if (m.status == LOOKUP_OK && m.aa && m.nan > 0) {
			for (size_t i = 0; i < m.nan; i++)
				for (size_t j = 0; j < t->cuts[ci].nsrv; j++)
					if (m.an[i].type == LOOKUP_T_A &&
					    strcmp(t->cuts[ci].srv[j].s.name, name) == 0 &&
					    t->cuts[ci].srv[j].s.family == AF_INET &&
					    memcmp(t->cuts[ci].srv[j].s.addr, m.an[i].addr, 4) == 0)
						match = true;
			if (!match)
				problem(t, "glue-mismatch", CHECK_WARNING, name,
				        "the parent's glue for %s (%s) is not the address the zone "
				        "%s gives it",
				        name, glue, zone);
		}
		lookup_msg_clear(&m);
	}
}

/* ---- the iteration ------------------------------------------------------------------------ */

static void
fail(struct lookup_reply *out, enum lookup_reason why, const char *fmt, const char *a)
{
	out->status = LOOKUP_TEMPORARY;
	out->reason = why;
	snprintf(out->detail, sizeof(out->detail), fmt, a);
}

static void
trace_query(void *ud, const char *qname, uint16_t qtype, struct lookup_reply *out)
{
	struct trace *t = ud;
	size_t ci = cut_closest(t, qname);
	char visited[TRACE_MAX_CUTS + 1][LOOKUP_NAME_MAX];
	size_t nvisited = 0;

	t->depth++;
	for (unsigned hop = 0; hop <= TRACE_MAX_CUTS; hop++) {
		struct lookup_msg good;
		enum lookup_reason last = LOOKUP_R_TIMEOUT;
		char child[LOOKUP_NAME_MAX] = "";
		bool have = false, referral = false;
		uint16_t port;

		for (size_t v = 0; v < nvisited; v++)
			if (strcmp(visited[v], t->cuts[ci].zone) == 0) {
				problem(t, "delegation-loop", CHECK_ERROR, t->cuts[ci].zone,
				        "the referrals for %s lead back to %s", qname,
				        t->cuts[ci].zone);
				fail(out, LOOKUP_R_SERVFAIL, "delegation loop at %.200s",
				     t->cuts[ci].zone);
				goto out;
			}
		if (hop == TRACE_MAX_CUTS) {
			problem(t, "delegation-loop", CHECK_ERROR, qname,
			        "more than %d zone cuts on the way to %s", TRACE_MAX_CUTS, qname);
			fail(out, LOOKUP_R_SERVFAIL, "more than 16 zone cuts for %s", qname);
			goto out;
		}
		snprintf(visited[nvisited++], LOOKUP_NAME_MAX, "%s", t->cuts[ci].zone);
		for (size_t v = 0; v < t->nresolving; v++) {
			bool any = false;
			for (size_t i = 0; i < t->cuts[ci].nsrv; i++)
				any = any || t->cuts[ci].srv[i].s.family != 0;
			if (!any && strcmp(t->resolving[v], t->cuts[ci].zone) == 0) {
				problem(t, "delegation-loop", CHECK_ERROR, t->cuts[ci].zone,
				        "the name servers of %s can only be found through %s "
				        "itself (no "
				        "glue)",
				        t->cuts[ci].zone, t->cuts[ci].zone);
				fail(out, LOOKUP_R_SERVFAIL, "delegation loop at %.200s",
				     t->cuts[ci].zone);
				goto out;
			}
		}
		if (!t->cuts[ci].used) {
			t->cuts[ci].used = true;
			t->cuts[ci].order = t->nused++;
		}
		memset(&good, 0, sizeof(good));
		for (size_t i = 0; i < t->cuts[ci].nsrv; i++) {
			struct lookup_msg m;
			char outcome[32], ch[LOOKUP_NAME_MAX] = "";
			enum verdict_kind k;
			struct tsrv *s;

			if (have && t->cuts[ci].first_done)
				break; /* after the first use: until one answers */
			if (t->cuts[ci].srv[i].s.family == 0 && !t->cuts[ci].srv[i].asked) {
				t->cuts[ci].srv[i].asked = true;
				resolve_server(t, ci, i, &out->queries);
				if (t->cuts[ci].srv[i].s.family == 0)
					snprintf(t->cuts[ci].srv[i].outcome,
					         sizeof(t->cuts[ci].srv[i].outcome), "no-address");
			}
			s = &t->cuts[ci].srv[i];
			if (s->s.family == 0)
				continue;
			if (is_dead(t, &s->s)) {
				if (s->outcome[0] == '\0')
					snprintf(s->outcome, sizeof(s->outcome), "timeout");
				continue;
			}
			ask(t, &s->s, qname, qtype, &m);
			out->queries += m.queries;
			s = &t->cuts[ci].srv[i];
			k = classify(&t->cuts[ci], qname, &m, outcome, sizeof(outcome), ch,
			             sizeof(ch));
			if (!s->asked || s->outcome[0] == '\0')
				snprintf(s->outcome, sizeof(s->outcome), "%s", outcome);
			s->asked = true;
			if (k == V_BAD) {
				if (strcmp(outcome, "timeout") == 0) {
					mark_dead(t, &s->s);
					last = LOOKUP_R_TIMEOUT;
				} else if (m.status == LOOKUP_TEMPORARY) {
					last = m.reason;
				} else {
					last = LOOKUP_R_SERVFAIL;
				}
				lookup_msg_clear(&m);
				continue;
			}
			s->good = true;
			if (have) {
				lookup_msg_clear(&m);
				continue;
			}
			good = m;
			have = true;
			referral = k == V_REFERRAL;
			snprintf(child, sizeof(child), "%s", ch);
		}
		t->cuts[ci].first_done = true;
		/* name every broken server of this cut */
		for (size_t i = 0; i < t->cuts[ci].nsrv; i++) {
			const struct tsrv *s = &t->cuts[ci].srv[i];
			char who[LOOKUP_NAME_MAX + 64];
			if (strcmp(s->s.name, s->text) == 0)
				snprintf(who, sizeof(who), "%s", s->text);
			else
				snprintf(who, sizeof(who), "%s %s", s->s.name, s->text);
			if (strcmp(s->outcome, "timeout") == 0)
				problem(t, "ns-unreachable", CHECK_WARNING, who,
				        "%s (%s), a server of %s, did not answer%s", s->s.name,
				        s->text, t->cuts[ci].zone,
				        have ? "; another server of the zone did" : "");
			else if (strcmp(s->outcome, "refused") == 0 ||
			         strcmp(s->outcome, "no-aa") == 0 ||
			         strcmp(s->outcome, "referral-up") == 0)
				problem(t, "lame-delegation", CHECK_WARNING, who,
				        "%s (%s) is named for %s by its parent but answered %s",
				        s->s.name, s->text, t->cuts[ci].zone,
				        strcmp(s->outcome, "refused") == 0 ? "REFUSED"
				        : strcmp(s->outcome, "no-aa") == 0
				            ? "without authority (no AA)"
				            : "with a referral back up");
		}
		if (!have) {
			fail(out, last, "no server of %.200s answered", t->cuts[ci].zone);
			goto out;
		}
		port = t->cuts[ci].srv[0].s.port;
		if (!t->cuts[ci].audited && strcmp(t->cuts[ci].zone, ".") != 0) {
			struct trace_server srv;
			for (size_t i = 0; i < t->cuts[ci].nsrv; i++)
				if (t->cuts[ci].srv[i].good) {
					srv = t->cuts[ci].srv[i].s;
					audit(t, ci, &srv, &out->queries);
					break;
				}
		}
		if (!referral) {
			out->status = good.status;
			out->aa = true;
			out->an = good.an;
			out->nan = good.nan;
			good.an = NULL;
			good.nan = 0;
			lookup_msg_clear(&good);
			goto out;
		}
		{
			struct tcut *next = cut_find(t, child);
			if (next == NULL)
				next = cut_from_referral(t, child, &good, port);
			ci = (size_t)(next - t->cuts);
		}
		lookup_msg_clear(&good);
	}
out:
	t->depth--;
}

/* ---- construction, output ----------------------------------------------------------------- */

struct lookup *
trace_new(const struct trace_ops *ops, void *ud, const struct trace_server *roots, size_t nroots)
{
	struct trace *t = calloc(1, sizeof(*t));
	struct lookup *lk;

	if (t == NULL)
		return NULL;
	t->ops = ops;
	t->ud = ud;
	t->roots = calloc(nroots ? nroots : 1, sizeof(*t->roots));
	if (t->roots == NULL) {
		free(t);
		return NULL;
	}
	memcpy(t->roots, roots, nroots * sizeof(*roots));
	t->nroots = nroots;
	lk = lookup_new(&trace_lookup_ops, t);
	if (lk == NULL) {
		trace_free(t);
		return NULL;
	}
	lk->check_aa = false; /* the trace itself checks authority, per server */
	trace_begin(t);
	return lk;
}

bool
trace_is(const struct lookup *lk)
{
	return lk != NULL && lk->ops == &trace_lookup_ops;
}

static void
net_ask(void *ud, const struct trace_server *s, const char *qname, uint16_t qtype,
        struct lookup_msg *out)
{
	const struct trace_net *n = ud;

	lookup_ask_server(s->family, s->addr, s->port, n->timeout_ms, n->retries, n->wait,
	                  n->wait_ud, qname, qtype, out);
}

static const struct trace_ops trace_net_ops = {net_ask, free};

struct lookup *
trace_net_new(const struct trace_server *roots, size_t nroots, int timeout_ms, int retries)
{
	struct trace_net *n = calloc(1, sizeof(*n));
	struct lookup *lk;

	if (n == NULL)
		return NULL;
	n->timeout_ms = timeout_ms;
	n->retries = retries;
	lk = trace_new(&trace_net_ops, n, roots, nroots);
	if (lk == NULL)
		return NULL;
	/* Every cut may cost a timeout per dead server: leave room for a few. */
	if ((unsigned)timeout_ms * (unsigned)(retries + 1) * 8 > lk->total_ms)
		lk->total_ms = (unsigned)timeout_ms * (unsigned)(retries + 1) * 8;
	return lk;
}

int
trace_set_waiter(struct lookup *lk, lookup_wait_fn fn, void *ud)
{
	struct trace *t;
	struct trace_net *n;

	if (!trace_is(lk))
		return -1;
	t = lk->ud;
	if (t->ops != &trace_net_ops)
		return -1;
	n = t->ud;
	n->wait = fn;
	n->wait_ud = ud;
	return 0;
}

int
trace_root_parse(const char *spec, struct trace_server *out, char *err, size_t errlen)
{
	char host[64];
	const char *at = strrchr(spec, '@');
	size_t hl = at ? (size_t)(at - spec) : strlen(spec);
	unsigned long long port = 53;

	memset(out, 0, sizeof(*out));
	if (hl == 0 || hl >= sizeof(host)) {
		snprintf(err, errlen, "--root %s: expected ADDR[@PORT]", spec);
		return -1;
	}
	memcpy(host, spec, hl);
	host[hl] = '\0';
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	if (at != NULL && num_parse(at + 1, 1, 65535, &port) < 0) {
		snprintf(err, errlen, "--root %s: port must be 1..65535", spec);
		return -1;
	}
	if (inet_pton(AF_INET, host, out->addr) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, host, out->addr) == 1)
		out->family = AF_INET6;
	else {
		snprintf(err, errlen, "--root %s: not an IPv4 or IPv6 address", spec);
		return -1;
	}
	out->port = (uint16_t)port;
	snprintf(out->name, sizeof(out->name), "%s", host);
	return 0;
}

int
trace_hints_load(const char *path, struct trace_server **out, size_t *n, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	char line[2048];
	unsigned long lineno = 0;
	char names[TRACE_MAX_ROOTS][LOOKUP_NAME_MAX];
	size_t nnames = 0;
	struct lookup_rr *addrs = NULL;
	size_t naddrs = 0;

	*out = NULL;
	*n = 0;
	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp)) {
		struct lookup_rr rr;
		char *c = strchr(line, ';');
		char *p = line;
		lineno++;
		if (c)
			*c = '\0';
		line[strcspn(line, "\r\n")] = '\0';
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0' || *p == '$')
			continue;
		if (lookup_rr_parse(p, &rr) < 0) {
			snprintf(err, errlen, "%s:%lu: not a resource record: %.80s", path, lineno,
			         p);
			goto bad;
		}
		if (rr.type == LOOKUP_T_NS && strcmp(rr.owner, ".") == 0) {
			if (nnames == TRACE_MAX_ROOTS) {
				snprintf(err, errlen, "%s:%lu: more than %d root servers", path,
				         lineno, TRACE_MAX_ROOTS);
				goto bad;
			}
			snprintf(names[nnames++], LOOKUP_NAME_MAX, "%s", rr.target);
		} else if (rr.type == LOOKUP_T_A || rr.type == LOOKUP_T_AAAA) {
			struct lookup_rr *v = realloc(addrs, (naddrs + 1) * sizeof(*v));
			if (v == NULL)
				abort();
			addrs = v;
			addrs[naddrs++] = rr;
		}
	}
	fclose(fp);
	fp = NULL;
	for (size_t i = 0; i < nnames; i++)
		for (size_t k = 0; k < naddrs; k++) {
			struct trace_server *v;
			if (strcmp(addrs[k].owner, names[i]) != 0)
				continue;
			v = realloc(*out, (*n + 1) * sizeof(*v));
			if (v == NULL)
				abort();
			*out = v;
			memset(&v[*n], 0, sizeof(v[0]));
			snprintf(v[*n].name, sizeof(v[0].name), "%.1023s", names[i]);
			v[*n].family = addrs[k].family;
			memcpy(v[*n].addr, addrs[k].addr, 16);
			v[*n].port = 53;
			(*n)++;
		}
	free(addrs);
	if (*n == 0) {
		snprintf(err, errlen,
		         "%s: no root server with an address (NS records of \".\" and "
		         "their A/AAAA)",
		         path);
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
bad:
	if (fp)
		fclose(fp);
	free(addrs);
	return -1;
}

void
trace_collect(struct lookup *lk, struct check_result *r)
{
	struct trace *t;
	size_t used = 0;

	if (!trace_is(lk))
		return;
	t = lk->ud;
	for (size_t i = 0; i < t->nprobs; i++)
		check_problem_add(r, -1, -1, t->probs[i].code, t->probs[i].sev, t->probs[i].subject,
		                  "%s", t->probs[i].message);
	for (size_t i = 0; i < t->ncuts; i++)
		used += t->cuts[i].used;
	if (used == 0)
		return;
	r->delegations = calloc(used, sizeof(*r->delegations));
	if (r->delegations == NULL)
		abort();
	r->ndelegations = used;
	for (size_t i = 0; i < t->ncuts; i++) {
		const struct tcut *c = &t->cuts[i];
		struct check_delegation *d;
		if (!c->used)
			continue;
		d = &r->delegations[c->order];
		snprintf(d->zone, sizeof(d->zone), "%s", c->zone);
		d->servers = calloc(c->nsrv ? c->nsrv : 1, sizeof(*d->servers));
		if (d->servers == NULL)
			abort();
		d->nservers = c->nsrv;
		for (size_t k = 0; k < c->nsrv; k++) {
			snprintf(d->servers[k].name, sizeof(d->servers[k].name), "%s",
			         c->srv[k].s.name);
			snprintf(d->servers[k].address, sizeof(d->servers[k].address), "%s",
			         c->srv[k].text);
			snprintf(d->servers[k].outcome, sizeof(d->servers[k].outcome), "%s",
			         c->srv[k].outcome[0] ? c->srv[k].outcome : "not-asked");
			d->servers[k].good = c->srv[k].good;
		}
	}
}
