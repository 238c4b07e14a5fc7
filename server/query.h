/* server/query.h -- one query from bytes in to bytes out: parse, match faults, build, apply
   byte faults. No sockets here: UDP, TCP and the tests all use this one code path, and the
   transport acts on the returned state. */
#ifndef MXLAB_QUERY_H
#define MXLAB_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>

#include "server/fault.h"
#include "server/msg.h"
#include "server/qlog.h"
#include "server/world.h"
#include "server/zone.h"

#define QUERY_TCP_MAX 65535

struct event; /* libevent's */

/* What the transport does with a processed query. */
enum query_state {
	QUERY_SEND,       /* send reply now */
	QUERY_DROP,       /* send nothing */
	QUERY_DELAY,      /* send reply after delay_ms */
	QUERY_CLOSE,      /* TCP: close the connection without answering */
	QUERY_SEND_CLOSE, /* TCP: send reply now, then close the connection (a transfer cut by
	                     tcp-close msgs=N) */
};

/* Counters for the control API's /stats (server lifetime, not reset on reload). */
struct query_stats {
	uint64_t queries;       /* every query processed */
	uint64_t udp;           /* queries over UDP */
	uint64_t tcp;           /* queries over TCP */
	uint64_t by_type[256];  /* queries by qtype < 256 */
	uint64_t by_type_other; /* queries with qtype >= 256 */
	uint64_t by_rcode[32];  /* replies by rcode (extended rcodes < 32) */
	uint64_t drops;         /* queries that got no reply (drop, close, unparsable) */
	uint64_t silent;        /* of those, queries to a silent world server */
	uint64_t faults;        /* queries a fault rule fired on (per rule: fault.h) */
};

/* What every query is answered from; owned by the daemon (srv), swapped on reload. */
struct query_ctx {
	struct zoneset *zs;        /* zones served; not owned */
	struct fault_rules *rules; /* fault rules (counters advance); not owned, may be NULL */
	struct qlog *qlog;         /* query log; not owned, may be NULL */
	struct signer *signer;     /* --sign keys the DNSSEC faults re-sign with; not owned, NULL */
	struct world *world;       /* world mode: the servers of zs, by address; not owned, NULL
	                              in direct mode (and addresses not in it answer from all) */
	struct acache *acache;     /* answers already built, by request bytes; not owned, may be
	                              NULL (no cache) */
	const union qlog_addr *xfr_allow; /* non-loopback clients allowed to transfer zones
	                                     (--allow-transfer); not owned, may be NULL */
	size_t nxfr_allow;                /* entries in xfr_allow */
	struct query_stats stats;         /* counters */
};

/* One query in flight. It owns its buffers, so the transport reuses one for every query that
   is answered at once (no allocation per query) and hands it over to its waiting list, with
   its timer, only while a delayed reply waits. query_start resets it for the next request. */
struct query {
	struct timespec start;     /* monotonic arrival time (latency) */
	struct msg_query msg;      /* the parsed request */
	enum msg_parse parse;      /* parse result */
	enum query_state state;    /* what the transport does next */
	uint32_t delay_ms;         /* QUERY_DELAY: wait this long before sending */
	uint8_t *reply;            /* encoded reply; owned */
	size_t reply_len;          /* bytes of reply to send */
	size_t reply_cap;          /* bytes allocated in reply */
	bool framed;               /* reply is a zone transfer: several messages, each with its
	                              2-byte TCP length already in front */
	struct qlog_entry log;     /* log record being filled, from query_start on: it also holds
	                              the transport, the peer (where a UDP reply goes) and the
	                              local address; its strings point into qname/fault */
	char qname[QLOG_NAME_MAX]; /* lower-case presentation question name (faults, log) */
	char *fault;               /* copy of the fired rule's text (a reload may free the rule
	                              before a delayed reply is logged); owned, grow-only */
	size_t fault_cap;          /* bytes allocated in fault */
	struct event *timer;       /* delay timer while the reply waits; owned (query_free frees
	                              it), NULL otherwise */
	void *conn;                /* transport connection it belongs to; not owned */
	TAILQ_ENTRY(query) entry;  /* link in the transport's list of waiting queries */
};

struct query *query_new(void);
void query_free(struct query *q);

/* Reset q for a new request that arrived at listen from client (either may be NULL). */
void query_start(struct query *q, bool tcp, const struct sockaddr *client,
                 const struct sockaddr *listen);

/* The arrival time of requests read together (one clock read for a whole batch). */
struct query_clock {
	struct timespec mono; /* CLOCK_MONOTONIC (latency, delays) */
	struct timespec real; /* CLOCK_REALTIME (the log's time) */
};
void query_clock_now(struct query_clock *now);
/* query_start with the arrival time given. */
void query_start_at(struct query *q, bool tcp, const struct sockaddr *client,
                    const struct sockaddr *listen, const struct query_clock *now);

/* Process the request in pkt: read -> msg_parse_query -> fault_match -> answer_build or
   answer_empty -> fault_apply. Fills q->reply and returns (and stores in q->state) what the
   transport should do. */
enum query_state query_process(struct query_ctx *ctx, struct query *q, const uint8_t *pkt,
                               size_t len);

/* The transport finished with q (sent is true when the reply went out): log it, count it. */
void query_done(struct query_ctx *ctx, struct query *q, bool sent);
/* The same, with the monotonic time it finished at read by the caller (one read for a batch
   of replies sent together). */
void query_done_at(struct query_ctx *ctx, struct query *q, bool sent, const struct timespec *now);

#endif
