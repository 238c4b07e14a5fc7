/* server/query.c -- one query from bytes in to bytes out: parse, match faults, build, apply
   byte faults. Pure apart from the clock: the transport acts on the returned state. */
#include "server/query.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "server/acache.h"
#include "server/answer.h"
#include "server/xfr.h"
#include "server/dnsfault.h"

#define RCODE_SERVFAIL 2
#define RCODE_NXDOMAIN 3
#define RCODE_NOERROR  0
#define RCODE_FORMERR  1
#define RCODE_NOTIMP   4
#define RCODE_BADVERS  16
#define RCODE_REFUSED  5
#define RCODE_NOTAUTH  9

struct query *
query_new(void)
{
	return calloc(1, sizeof(struct query));
}

void
query_free(struct query *q)
{
	if (q == NULL)
		return;
	if (q->timer)
		event_free(q->timer);
	free(q->fault);
	free(q->reply);
	free(q);
}

static void
copy_addr(union qlog_addr *dst, const struct sockaddr *sa)
{
	memset(dst, 0, sizeof(*dst));
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		memcpy(&dst->sin, sa, sizeof(dst->sin));
	else if (sa->sa_family == AF_INET6)
		memcpy(&dst->sin6, sa, sizeof(dst->sin6));
}

void
query_start(struct query *q, bool tcp, const struct sockaddr *client, const struct sockaddr *listen)
{
	struct query_clock now;

	query_clock_now(&now);
	query_start_at(q, tcp, client, listen, &now);
}

void
query_clock_now(struct query_clock *now)
{
	clock_gettime(CLOCK_MONOTONIC, &now->mono);
	clock_gettime(CLOCK_REALTIME, &now->real);
}

void
query_start_at(struct query *q, bool tcp, const struct sockaddr *client,
               const struct sockaddr *listen, const struct query_clock *now)
{
	memset(&q->log, 0, sizeof(q->log));
	q->log.tcp = tcp;
	copy_addr(&q->log.client, client);
	copy_addr(&q->log.listen, listen);
	q->start = now->mono;
	q->log.time = now->real;
	q->state = QUERY_DROP;
	q->delay_ms = 0;
	q->reply_len = 0;
	q->framed = false;
	if (q->reply_cap > QUERY_TCP_MAX) {
		/* a zone transfer grew it: do not keep that much for every later query */
		free(q->reply);
		q->reply = NULL;
		q->reply_cap = 0;
	}
	q->parse = MSG_DROP; /* q->msg is filled by query_process (the parser clears it) */
}

/* Make reply hold at least n bytes. */
static int
reserve(struct query *q, size_t n)
{
	uint8_t *p;

	if (q->reply_cap >= n)
		return 0;
	p = realloc(q->reply, n);
	if (p == NULL)
		return -1;
	q->reply = p;
	q->reply_cap = n;
	return 0;
}

/* A reply that waits (delayed) keeps only its own bytes, not room for the largest reply. */
static void
shrink(struct query *q)
{
	uint8_t *p;

	if (q->reply_len == 0 || q->reply_len >= q->reply_cap)
		return;
	if ((p = realloc(q->reply, q->reply_len)) == NULL)
		return; /* the larger buffer still holds it */
	q->reply = p;
	q->reply_cap = q->reply_len;
}

/* Keep a copy of the text of rule, the one that fired, for the log. */
static void
keep_fault_text(struct query *q, const struct fault_rule *rule)
{
	const char *text = fault_rule_text(rule);
	size_t n = strlen(text) + 1;

	if (n > q->fault_cap) {
		char *p = realloc(q->fault, n);
		if (p == NULL)
			return; /* logged without the rule text, as a failed copy always was */
		q->fault = p;
		q->fault_cap = n;
	}
	memcpy(q->fault, text, n);
	q->log.fault = q->fault;
}

/* The error rcode for a request msg_parse_query could not accept (not MSG_OK, MSG_DROP). */
static uint16_t
parse_rcode(enum msg_parse parse)
{
	switch (parse) {
	case MSG_NOTIMP:
		return RCODE_NOTIMP;
	case MSG_BADVERS:
		return RCODE_BADVERS;
	case MSG_FORMERR:
	default:
		return RCODE_FORMERR;
	}
}

/* Largest reply the transport allows for this query. */
static size_t
reply_limit(const struct query *q)
{
	if (q->log.tcp)
		return QUERY_TCP_MAX;
	/* answer_build never exceeds our own EDNS size over UDP, whatever the client offers */
	if (q->msg.edns && q->msg.edns_size > MSG_UDP_MINSIZE)
		return q->msg.edns_size < MSG_EDNS_SIZE ? q->msg.edns_size : MSG_EDNS_SIZE;
	return MSG_UDP_MINSIZE;
}

/* A zone transfer over TCP (rules already matched: drop, tcp-close, rcode= never get here).
   1: the framed stream is in q->reply, with the rule's byte faults applied to every message;
   0: a single error answer is in q->reply (REFUSED for a client not allowed, NOTAUTH for a
   name that is no served zone's apex); -1: out of memory. */
static int
transfer(struct query_ctx *ctx, const struct zoneset *zs, const struct view *view, struct query *q,
         const struct fault_rule *rule, struct answer_meta *meta)
{
	size_t nmsgs;
	long len;

	/* world mode: one server's view (its own zone copies) is not transferred (yet); the root
	   server and the -a addresses are */
	if (view != NULL || !xfr_allowed(q->log.client.sa.sa_family ? &q->log.client.sa : NULL,
	                                 ctx->xfr_allow, ctx->nxfr_allow)) {
		q->reply_len = answer_empty_view(zs, view, &q->msg, RCODE_REFUSED, false, false,
		                                 q->reply, QUERY_TCP_MAX, meta);
		return 0;
	}
	len = xfr_build(zs, &q->msg, &q->reply, &q->reply_cap, &nmsgs);
	if (len < 0)
		return -1;
	if (len == 0) {
		q->reply_len = answer_empty_view(zs, view, &q->msg, RCODE_NOTAUTH, false, false,
		                                 q->reply, QUERY_TCP_MAX, meta);
		return 0;
	}
	q->reply_len = (size_t)len;
	q->framed = true;
	if (rule) {
		/* byte faults on each message; a message never grows, so the stream is rebuilt in
		   place, front to back */
		size_t w = 0;
		for (size_t i = 0, off, mlen; xfr_message(q->reply, (size_t)len, i, &off, &mlen);
		     i++) {
			size_t nl = fault_apply(ctx->rules, rule, q->reply + off, mlen);
			q->reply[w] = (uint8_t)(nl >> 8);
			q->reply[w + 1] = (uint8_t)nl;
			memmove(q->reply + w + 2, q->reply + off, nl);
			w += 2 + nl;
		}
		q->reply_len = w;
	}
	return 1;
}

enum query_state
query_process(struct query_ctx *ctx, struct query *q, const uint8_t *pkt, size_t len)
{
	const struct fault_rule *rule = NULL;
	enum fault_action act = FAULT_NONE;
	struct answer_meta meta;
	const struct zoneset *zs = ctx->zs;
	const struct view *view = NULL;
	const struct world_server *srv = NULL;
	uint32_t cut = 0; /* tcp-close msgs=N on a transfer: N */
	size_t limit;
	struct acache_scope scope;
	struct acache_hit hit;
	const struct acache_hit *cached = NULL; /* the answer cache had it */

	memset(&meta, 0, sizeof(meta));
	/* world mode: the address it arrived at is one server, answering from its zones only */
	if (ctx->world != NULL)
		srv = world_find(ctx->world, &q->log.listen.sa);
	/* the same request bytes (ID aside) to the same server over the same transport from the
	   same zones: the parse and the answer are the ones already made (the server's state and
	   the fault rules are still looked at for every request, below) */
	scope = (struct acache_scope){.zones = zoneset_gen(ctx->zs),
	                              .world = ctx->world ? world_gen(ctx->world) : 0,
	                              .server = srv,
	                              .tcp = q->log.tcp};
	if (ctx->acache != NULL && acache_find(ctx->acache, &scope, pkt, len, &hit)) {
		cached = &hit;
		q->msg = *hit.msg;
		q->msg.id = (uint16_t)(pkt[0] << 8 | pkt[1]);
		q->parse = MSG_OK;
		strcpy(q->qname, hit.qname);
	} else {
		q->parse = msg_parse_query(pkt, len, &q->msg);
		/* the answer builder's TCP limit does not depend on EDNS */
		q->msg.tcp = q->log.tcp;
		if (q->msg.has_question)
			msg_name_to_str(q->msg.qname, q->qname, sizeof(q->qname));
		else
			q->qname[0] = '\0';
	}
	q->log.id = q->msg.id;
	if (len >= MSG_HEADER_LEN) {
		q->log.qflags = (uint16_t)(pkt[2] << 8 | pkt[3]);
		q->log.has_qflags = true;
	}
	q->log.qtype = -1;
	q->log.edns = q->msg.edns ? q->msg.edns_size : -1;
	q->log.edns_do = q->msg.edns && q->msg.edns_do;
	q->log.rcode = -1;
	q->log.action = "answer";
	if (q->msg.has_question) {
		q->log.qname = q->qname;
		q->log.qtype = q->msg.qtype;
	}
	limit = reply_limit(q);
	if (reserve(q, limit) < 0)
		goto drop;

	if (q->parse == MSG_DROP)
		goto drop;
	if (srv != NULL) {
		if (srv->state != WORLD_UP) {
			q->log.action = "silent";
			ctx->stats.silent++;
			q->reply_len = 0;
			q->state = QUERY_DROP;
			return q->state;
		}
		if (srv->root)
			zs = world_root(ctx->world);
		else
			view = &srv->view;
	}
	if (q->parse != MSG_OK) {
		q->reply_len = answer_empty_view(zs, view, &q->msg, parse_rcode(q->parse), false,
		                                 false, q->reply, limit, &meta);
		goto send;
	}

	if (ctx->rules) {
		struct fault_query fq = {
		    .qname = q->qname,
		    .qtype = q->msg.qtype,
		    .tcp = q->log.tcp,
		    .client = q->log.client.sa.sa_family ? &q->log.client.sa : NULL,
		    .listen = q->log.listen.sa.sa_family ? &q->log.listen.sa : NULL,
		    .edns = q->msg.edns,
		    .server_names = srv ? srv->names : NULL,
		    .nserver_names = srv ? srv->nnames : 0,
		};
		rule = fault_match(ctx->rules, &fq);
	}
	if (cached != NULL && rule == NULL) {
		memcpy(q->reply, cached->reply, cached->reply_len);
		q->reply[0] = pkt[0];
		q->reply[1] = pkt[1];
		q->reply_len = cached->reply_len;
		meta.rcode = cached->rcode;
		goto send;
	}
	if (rule) {
		act = fault_rule_action(rule);
		keep_fault_text(q, rule);
		q->log.action = fault_action_name(act);
		ctx->stats.faults++;
	}

	switch (act) {
	case FAULT_DROP:
		goto drop;
	case FAULT_TCP_CLOSE:
		if (q->log.tcp && xfr_is_request(&q->msg) && fault_rule_msgs(rule, &cut))
			break; /* the transfer is cut after cut messages, below */
		if (q->log.tcp) {
			q->state = QUERY_CLOSE;
			return q->state;
		}
		break;
	case FAULT_RCODE: {
		uint16_t rc = (uint16_t)fault_rule_arg(rule);
		/* NXDOMAIN (with SOA) and empty NOERROR are authoritative lies; the others are
		   plain errors without AA, as a real server sends them */
		bool aa = rc == RCODE_NXDOMAIN || rc == RCODE_NOERROR;
		q->reply_len =
		    answer_empty_view(zs, view, &q->msg, rc, aa, false, q->reply, limit, &meta);
		goto send;
	}
	case FAULT_TRUNCATE:
		if (!q->log.tcp) {
			q->reply_len = answer_empty_view(zs, view, &q->msg, RCODE_NOERROR, true,
			                                 true, q->reply, limit, &meta);
			goto send;
		}
		break;
	default:
		break;
	}

	if (q->log.tcp && xfr_is_request(&q->msg)) {
		switch (transfer(ctx, zs, view, q, rule, &meta)) {
		case 1:
			break; /* the stream is in reply */
		case 0:
			goto send; /* an error answer is in reply */
		default:
			goto drop;
		}
		q->log.rcode = 0;
		if (act == FAULT_DELAY)
			goto delay;
		q->state = QUERY_SEND;
		if (act == FAULT_TCP_CLOSE && q->framed) {
			/* tcp-close msgs=N: the first N messages, then the connection closes */
			size_t off = 0, mlen = 0;
			q->reply_len =
			    cut > 0 && xfr_message(q->reply, q->reply_len, cut - 1, &off, &mlen)
			        ? off + mlen
			        : (cut > 0 ? q->reply_len : 0);
			q->state = QUERY_SEND_CLOSE;
		}
		return q->state;
	}

	q->reply_len = answer_build_view(zs, view, &q->msg, limit, q->reply, limit, &meta);
	if (q->reply_len == 0) {
		memset(&meta, 0, sizeof(meta));
		q->reply_len = answer_empty_view(zs, view, &q->msg, RCODE_SERVFAIL, false, false,
		                                 q->reply, limit, &meta);
		goto send;
	}
	if (rule == NULL && ctx->acache != NULL)
		acache_put(ctx->acache, &scope, pkt, len, &q->msg, q->qname, q->reply, q->reply_len,
		           (uint8_t)meta.rcode);
	if (rule && fault_action_is_dnssec(act))
		q->reply_len =
		    dnsfault_apply(ctx->signer, act, q->reply, q->reply_len, limit, time(NULL));
	else if (rule)
		q->reply_len = fault_apply(ctx->rules, rule, q->reply, q->reply_len);
	if (act == FAULT_DELAY) {
		q->log.rcode = meta.rcode;
	delay:
		q->delay_ms = fault_rule_arg(rule);
		q->state = QUERY_DELAY;
		shrink(q);
		return q->state;
	}

send:
	if (q->reply_len == 0)
		goto drop;
	q->log.rcode = meta.rcode;
	q->state = QUERY_SEND;
	return q->state;
drop:
	q->reply_len = 0;
	if (!rule)
		q->log.action = "drop";
	q->state = QUERY_DROP;
	return q->state;
}

void
query_done(struct query_ctx *ctx, struct query *q, bool sent)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	query_done_at(ctx, q, sent, &now);
}

void
query_done_at(struct query_ctx *ctx, struct query *q, bool sent, const struct timespec *now)
{
	struct query_stats *st = &ctx->stats;
	int64_t us;

	us = (int64_t)(now->tv_sec - q->start.tv_sec) * 1000000 +
	     (now->tv_nsec - q->start.tv_nsec) / 1000;
	q->log.latency_us = us > 0 ? (uint64_t)us : 0;
	if (sent && q->reply_len >= MSG_HEADER_LEN + (q->framed ? 2 : 0)) {
		/* a transfer is logged by its first message (and all of its bytes) */
		const uint8_t *h = q->reply + (q->framed ? 2 : 0);
		q->log.flags = (uint16_t)(h[2] << 8 | h[3]);
		q->log.ancount = (uint16_t)(h[6] << 8 | h[7]);
		q->log.bytes = (uint32_t)q->reply_len;
		if (q->log.rcode < 0)
			q->log.rcode = h[3] & 0x0f;
	} else {
		sent = false;
		q->log.rcode = -1;
		q->log.bytes = 0;
	}

	st->queries++;
	if (q->log.tcp)
		st->tcp++;
	else
		st->udp++;
	if (q->log.qtype >= 0) {
		if (q->log.qtype < 256)
			st->by_type[q->log.qtype]++;
		else
			st->by_type_other++;
	}
	if (sent && q->log.rcode >= 0 && q->log.rcode < 32)
		st->by_rcode[q->log.rcode]++;
	if (!sent)
		st->drops++;

	if (ctx->qlog)
		qlog_add(ctx->qlog, &q->log);
}
