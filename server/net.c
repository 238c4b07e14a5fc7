/* server/net.c -- the transports: UDP sockets and TCP listeners on libevent, TCP connections as
   plain sockets with one read event, a write event only while the kernel refuses bytes, and one
   deadline timer each. Knows nothing of DNS beyond the 2-byte TCP framing: each message goes
   through query_process and the returned state says send, drop, delay or close. UDP works in
   batches (recvmmsg in, one sendmmsg out) to keep syscalls per query low; TCP reads large
   chunks, answers every complete frame of a read, and writes the replies at once (writev of
   length and message when one is all there is). */
#include "server/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <event2/listener.h>
#include <event2/util.h>

#include "common/log.h"
#include "server/peercount.h"

#define NET_UDP_BATCH     32                /* datagrams per recvmmsg and sendmmsg */
#define NET_UDP_ROUNDS    2                 /* recvmmsg calls per readable event at most */
#define NET_UDP_BUFSIZE   65536             /* receive buffer per datagram (any UDP size) */
#define NET_OUT_HIGHWATER (256 * 1024)      /* TCP output bytes before reading pauses */
#define NET_UDP_SOCKBUF   (4 * 1024 * 1024) /* UDP socket buffers asked for */
#define NET_TCP_IN_START  4096              /* first TCP input buffer; grows to the largest frame */
#define NET_TCP_IN_MAX    (2 + 65535 + 4096) /* a whole frame and the start of the next */
#define NET_TCP_OUT_START 4096  /* first TCP output buffer (only once the kernel balks) */
#define NET_SHED_WARN_MS  10000 /* at most one shedding warning in this long */

/* Room for one control message naming a datagram's local address (IPv6's is the larger). */
union net_cmsg {
	uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))]; /* IP_PKTINFO or IPV6_PKTINFO */
	struct cmsghdr align;                                /* alignment only */
};

/* One recvmmsg/sendmmsg round: the message vectors, their buffers and a reusable query per
   slot. One per net, reused by every readable event (no allocation per datagram). */
struct net_udp_batch {
	struct mmsghdr in[NET_UDP_BATCH];      /* recvmmsg vector */
	struct iovec in_iov[NET_UDP_BATCH];    /* each into its slot of buf */
	union qlog_addr peer[NET_UDP_BATCH];   /* source address of each datagram */
	union net_cmsg in_ctl[NET_UDP_BATCH];  /* its local address (wildcard listeners) */
	struct query *q[NET_UDP_BATCH];        /* query per slot; owned, NULL once a delayed
	                                          one went to the waiting list */
	struct mmsghdr out[NET_UDP_BATCH];     /* sendmmsg vector: the immediate replies */
	struct iovec out_iov[NET_UDP_BATCH];   /* each onto its query's reply */
	union net_cmsg out_ctl[NET_UDP_BATCH]; /* their source address (wildcard listeners) */
	int out_of[NET_UDP_BATCH];             /* slot -> index in out, -1 when not sent now */
	bool sent[NET_UDP_BATCH];              /* per out entry: the reply went out */
	int dirty;      /* leading in[] entries the kernel may have rewritten since their reset */
	bool in_ctl_on; /* in[] points at in_ctl (a wildcard listener's layout) */
	uint8_t buf[NET_UDP_BATCH][NET_UDP_BUFSIZE]; /* receive buffers */
};

struct net_listener {
	struct net *net;                 /* owner; not owned */
	char host[64];                   /* the address as given to listen (net_listen_remove) */
	union qlog_addr addr;            /* bound address (with the port) */
	evutil_socket_t udp_fd;          /* UDP socket; owned, -1 when none */
	struct event *udp_ev;            /* UDP readable event; owned */
	bool pktinfo;                    /* wildcard address: the kernel reports each datagram's
	                                    local address, replies leave from it */
	struct evconnlistener *tcp;      /* TCP listener (owns its socket); owned */
	TAILQ_ENTRY(net_listener) entry; /* link in net->ls */
};

/* One TCP connection. Bytes read wait in `in` until they make whole frames; replies go
   straight to the kernel and only what it refuses waits in `out` (then wev is armed). */
struct net_conn {
	struct net *net;             /* owner; not owned */
	evutil_socket_t fd;          /* the socket; owned */
	struct event *rev;           /* readable (persistent); owned; added while reading */
	struct event *wev;           /* writable (persistent); owned; added while out holds bytes */
	struct event *timer;         /* the one deadline (idle, frame, write); owned */
	int64_t timer_at;            /* monotonic ms the timer fires at (0: not armed) */
	union qlog_addr peer;        /* client address */
	union qlog_addr local;       /* listen address it arrived at */
	struct query *q;             /* reusable query for frames answered at once; owned */
	TAILQ_HEAD(, query) waiting; /* delayed queries not yet answered; owned */
	size_t nwaiting;             /* entries in waiting */
	uint8_t *in;                 /* received bytes not yet answered, from in[0]; owned */
	size_t in_len;               /* bytes in in */
	size_t in_cap;               /* bytes allocated in in */
	uint8_t *out;                /* reply bytes the kernel has not taken; owned */
	size_t out_off;              /* first unsent byte in out */
	size_t out_len;              /* unsent bytes from out_off */
	size_t out_cap;              /* bytes allocated in out */
	int64_t active;              /* monotonic ms of the last read or write progress */
	int64_t frame_start;         /* monotonic ms the incomplete frame in `in` began */
	bool reading;                /* rev is added */
	bool eof;                    /* client closed its side: close once all is written */
	bool broken;                 /* a write failed: free at the next safe point */
	bool closing;                /* close once out is written, owed answers or not
	                                (tcp-close msgs=N cut a transfer) */
	TAILQ_ENTRY(net_conn) entry; /* link in net->conns, oldest first */
};

struct net {
	struct event_base *base;          /* event loop; not owned */
	struct query_ctx *ctx;            /* what queries are answered from; not owned */
	TAILQ_HEAD(, net_listener) ls;    /* listeners, in the order opened; owned */
	size_t nls;                       /* entries in ls */
	int port;                         /* the port every listener shares (0: none yet) */
	TAILQ_HEAD(, net_conn) conns;     /* open TCP connections; owned */
	size_t nconns;                    /* entries in conns */
	TAILQ_HEAD(, query) udp_waiting;  /* delayed UDP queries; owned */
	size_t udp_nwaiting;              /* entries in udp_waiting */
	struct peercount *udp_waiting_by; /* entries in udp_waiting per client address; owned */
	struct net_udp_batch *udp;        /* UDP receive/send batch; owned */
	uint64_t udp_send_dropped;        /* replies dropped on a full socket buffer */
	uint64_t udp_send_errors;         /* replies the kernel refused one by one */
	uint64_t udp_shed;                /* delayed UDP queries shed over a waiting limit */
	int64_t shed_warned;              /* monotonic ms of the last shedding warning */
	uint64_t tcp_evicted;             /* connections closed to make room for a new one */
	uint64_t tcp_refused;             /* connections refused: the table was full of busy
	                                     ones */
	struct net_limits lim;            /* limits in force */
	int64_t clock_slack_us;           /* resolution of libevent's coarse clock */
};

static void conn_free(struct net_conn *c, bool log_waiting);
static void conn_process(struct net_conn *c, bool fresh);
static void listener_free(struct net_listener *l);

/* Monotonic milliseconds (the coarse clock: a vDSO read, tick granularity is plenty here). */
static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Point each receive slot of b at its address and buffer (they never move). */
static void
udp_batch_init(struct net_udp_batch *b)
{
	for (int i = 0; i < NET_UDP_BATCH; i++) {
		struct msghdr *h = &b->in[i].msg_hdr;

		h->msg_name = &b->peer[i];
		h->msg_iov = &b->in_iov[i];
		h->msg_iovlen = 1;
		b->in_iov[i].iov_base = b->buf[i];
		b->in_iov[i].iov_len = sizeof(b->buf[i]);
	}
	b->dirty = NET_UDP_BATCH; /* udp_recv_batch sets the rest on first use */
}

struct net *
net_new(struct event_base *base, struct query_ctx *ctx)
{
	struct net *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	/* the buffers are large, but a page is only touched once a datagram lands in it */
	n->udp = calloc(1, sizeof(*n->udp));
	n->udp_waiting_by = peercount_new();
	if (n->udp == NULL || n->udp_waiting_by == NULL) {
		peercount_free(n->udp_waiting_by);
		free(n->udp);
		free(n);
		return NULL;
	}
	udp_batch_init(n->udp);
	n->base = base;
	n->ctx = ctx;
	TAILQ_INIT(&n->ls);
	TAILQ_INIT(&n->conns);
	TAILQ_INIT(&n->udp_waiting);
	n->lim.idle_ms = NET_IDLE_MS_DEFAULT;
	n->lim.frame_ms = NET_FRAME_MS_DEFAULT;
	n->lim.max_conns = NET_MAX_CONNS_DEFAULT;
	n->lim.udp_waiting_max = NET_UDP_WAITING_MAX_DEFAULT;
	n->lim.udp_waiting_per_client = NET_UDP_WAITING_PER_CLIENT_DEFAULT;
	{
		struct timespec res;

		n->clock_slack_us = clock_getres(CLOCK_MONOTONIC_COARSE, &res) == 0
		                        ? (int64_t)res.tv_sec * 1000000 + res.tv_nsec / 1000 + 1
		                        : 10000;
	}
	return n;
}

void
net_set_limits(struct net *n, const struct net_limits *lim)
{
	if (lim->idle_ms > 0)
		n->lim.idle_ms = lim->idle_ms;
	if (lim->frame_ms > 0)
		n->lim.frame_ms = lim->frame_ms;
	if (lim->max_conns > 0)
		n->lim.max_conns = lim->max_conns;
	if (lim->udp_waiting_max > 0)
		n->lim.udp_waiting_max = lim->udp_waiting_max;
	if (lim->udp_waiting_per_client > 0)
		n->lim.udp_waiting_per_client = lim->udp_waiting_per_client;
}

size_t
net_conn_count(const struct net *n)
{
	return n->nconns;
}

void
net_get_stats(const struct net *n, struct net_stats *st)
{
	st->udp_unsent = n->udp_send_dropped + n->udp_send_errors;
	st->udp_shed = n->udp_shed;
	st->udp_waiting = n->udp_nwaiting;
	st->tcp_connections = n->nconns;
	st->tcp_evicted = n->tcp_evicted;
	st->tcp_refused = n->tcp_refused;
}

uint64_t
net_udp_unsent(const struct net *n)
{
	return n->udp_send_dropped + n->udp_send_errors;
}

void
net_free(struct net *n)
{
	struct net_listener *l;
	struct net_conn *c;
	struct query *q;

	if (n == NULL)
		return;
	while ((l = TAILQ_FIRST(&n->ls)) != NULL) {
		TAILQ_REMOVE(&n->ls, l, entry);
		listener_free(l);
	}
	while ((c = TAILQ_FIRST(&n->conns)) != NULL)
		conn_free(c, false);
	while ((q = TAILQ_FIRST(&n->udp_waiting)) != NULL) {
		TAILQ_REMOVE(&n->udp_waiting, q, entry);
		query_free(q);
	}
	for (size_t i = 0; i < NET_UDP_BATCH; i++)
		query_free(n->udp->q[i]);
	peercount_free(n->udp_waiting_by);
	free(n->udp);
	free(n);
}

static socklen_t
addr_len(const union qlog_addr *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof(a->sin6) : sizeof(a->sin);
}

/* ---- UDP ---------------------------------------------------------------------------------- */

/* Is a the wildcard address (0.0.0.0 or ::), where the kernel must tell each datagram's
   local address? */
static bool
addr_is_wildcard(const union qlog_addr *a)
{
	if (a->sa.sa_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&a->sin6.sin6_addr);
	return a->sin.sin_addr.s_addr == htonl(INADDR_ANY);
}

/* The local address datagram h arrived at: the listener's own address, or on a wildcard
   listener the destination the kernel reported (IP_PKTINFO / IPV6_PKTINFO) with its port. */
static void
udp_local(const struct net_listener *l, struct msghdr *h, union qlog_addr *local)
{
	struct cmsghdr *cm;

	*local = l->addr;
	if (!l->pktinfo)
		return;
	for (cm = CMSG_FIRSTHDR(h); cm != NULL; cm = CMSG_NXTHDR(h, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO &&
		    local->sa.sa_family == AF_INET) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			local->sin.sin_addr = pi.ipi_addr;
			return;
		}
		if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO &&
		    local->sa.sa_family == AF_INET6) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			local->sin6.sin6_addr = pi.ipi6_addr;
			local->sin6.sin6_scope_id = pi.ipi6_ifindex;
			return;
		}
	}
}

/* Put one control message (level, type, data) into h's control buffer, the only one. */
static inline void
put_cmsg(struct msghdr *h, int level, int type, const void *data, size_t len)
{
	struct cmsghdr *cm;

	h->msg_controllen = CMSG_SPACE(len);
	cm = CMSG_FIRSTHDR(h);
	cm->cmsg_level = level;
	cm->cmsg_type = type;
	cm->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(cm), data, len);
}

/* Point h at q's reply, to q's client, and on a wildcard listener from the address the
   request arrived at (ctl is the room for that). */
static void
udp_reply_hdr(const struct net_listener *l, struct query *q, struct msghdr *h, struct iovec *iov,
              union net_cmsg *ctl)
{
	memset(h, 0, sizeof(*h));
	iov->iov_base = q->reply;
	iov->iov_len = q->reply_len;
	h->msg_iov = iov;
	h->msg_iovlen = 1;
	h->msg_name = &q->log.client.sa;
	h->msg_namelen = addr_len(&q->log.client);
	if (!l->pktinfo || q->log.listen.sa.sa_family != l->addr.sa.sa_family)
		return;
	memset(ctl, 0, sizeof(*ctl));
	h->msg_control = ctl->buf;
	if (q->log.listen.sa.sa_family == AF_INET) {
		struct in_pktinfo pi = {.ipi_spec_dst = q->log.listen.sin.sin_addr};

		put_cmsg(h, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
	} else {
		struct in6_pktinfo pi = {.ipi6_addr = q->log.listen.sin6.sin6_addr,
		                         .ipi6_ifindex = q->log.listen.sin6.sin6_scope_id};

		put_cmsg(h, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
	}
}

/* Send the replies in out[0..nout) in as few calls as the kernel allows; sent[i] says whether
   reply i went out. A reply that fails on its own (unreachable client) is skipped; when the
   socket buffer is full (EAGAIN) the rest are dropped, as a UDP server may, and counted. */
static void
udp_send_all(struct net_listener *l, struct mmsghdr *out, int nout, bool *sent)
{
	int off = 0;

	while (off < nout) {
		int r = sendmmsg(l->udp_fd, out + off, (unsigned)(nout - off), MSG_DONTWAIT);

		if (r > 0) {
			for (int i = off; i < off + r; i++)
				sent[i] = out[i].msg_len == out[i].msg_hdr.msg_iov->iov_len;
			off += r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
			log_debug("udp send: %s: dropping %d replies", strerror(errno), nout - off);
			l->net->udp_send_dropped += (uint64_t)(nout - off);
			for (; off < nout; off++)
				sent[off] = false;
			return;
		}
		/* this one reply failed (r is -1, or 0 which sendmmsg never returns for nout > 0):
		   skip it, keep the others */
		log_debug("udp send: %s", r < 0 ? strerror(errno) : "nothing sent");
		l->net->udp_send_errors++;
		sent[off++] = false;
	}
}

/* Send the one reply of delayed query q, then log and count it. */
static void
udp_send(struct net_listener *l, struct query *q)
{
	struct mmsghdr m;
	struct iovec iov;
	union net_cmsg ctl;
	bool sent = false;

	udp_reply_hdr(l, q, &m.msg_hdr, &iov, &ctl);
	m.msg_len = 0;
	udp_send_all(l, &m, 1, &sent);
	query_done(l->net->ctx, q, sent);
}

/* Arm q's delay timer for us microseconds plus the clock's slack: libevent's coarse clock
   may lag the real one by up to its resolution, which would end a delay that much early. */
static int
delay_timer_add(struct net *n, struct query *q, int64_t us)
{
	struct timeval tv;

	us += n->clock_slack_us;
	tv.tv_sec = (time_t)(us / 1000000);
	tv.tv_usec = (suseconds_t)(us % 1000000);
	/* timers count from the loop's cached time: refresh it so a busy batch never makes a
	   delay end early */
	event_base_update_cache_time(n->base);
	return evtimer_add(q->timer, &tv);
}

/* Arm q's delay timer: after q->delay_ms, cb(q) sends the reply. owner is what cb finds in
   q->conn. 0 when armed, -1 (no timer) when not. */
static int
delay_arm(struct net *n, struct query *q, event_callback_fn cb, void *owner)
{
	q->timer = evtimer_new(n->base, cb, q);
	if (q->timer == NULL || delay_timer_add(n, q, (int64_t)q->delay_ms * 1000) < 0) {
		if (q->timer)
			event_free(q->timer);
		q->timer = NULL;
		return -1;
	}
	q->conn = owner;
	return 0;
}

/* Has q's delay really passed (precise clock, from its arrival)? If not, the timer is armed
   again for the rest and false returned. */
static bool
delay_due(struct net *n, struct query *q)
{
	struct timespec now;
	int64_t us;

	clock_gettime(CLOCK_MONOTONIC, &now);
	us = (int64_t)(now.tv_sec - q->start.tv_sec) * 1000000 +
	     (now.tv_nsec - q->start.tv_nsec) / 1000;
	if (us >= (int64_t)q->delay_ms * 1000)
		return true;
	return delay_timer_add(n, q, (int64_t)q->delay_ms * 1000 - us) < 0; /* else: send now */
}

/* Take delayed UDP query q off the waiting list (and its client's count). */
static void
udp_unwait(struct net *n, struct query *q)
{
	TAILQ_REMOVE(&n->udp_waiting, q, entry);
	n->udp_nwaiting--;
	peercount_dec(n->udp_waiting_by, &q->log.client.sa);
}

static void
udp_delay_cb(evutil_socket_t fd, short what, void *arg)
{
	struct query *q = arg;
	struct net_listener *l = q->conn;

	if (!delay_due(l->net, q))
		return;
	udp_unwait(l->net, q);
	udp_send(l, q);
	query_free(q);
}

/* May delayed query q wait, or are the waiting limits reached (globally or for its client
   address)? A query that may not is shed: counted, logged with action "shed", unanswered. */
static bool
udp_may_wait(struct net *n, struct query *q)
{
	bool global = n->udp_nwaiting >= n->lim.udp_waiting_max;
	int64_t now;

	if (!global &&
	    peercount_get(n->udp_waiting_by, &q->log.client.sa) < n->lim.udp_waiting_per_client)
		return true;
	n->udp_shed++;
	q->log.action = "shed";
	now = now_ms();
	if (n->shed_warned == 0 || now - n->shed_warned >= NET_SHED_WARN_MS) {
		char host[INET6_ADDRSTRLEN] = "?";
		const void *a = q->log.client.sa.sa_family == AF_INET6
		                    ? (const void *)&q->log.client.sin6.sin6_addr
		                    : (const void *)&q->log.client.sin.sin_addr;

		inet_ntop(q->log.client.sa.sa_family, a, host, sizeof(host));
		log_warnx("delayed UDP answers: %s limit reached (%zu waiting%s%s), shedding; "
		          "%llu shed so far",
		          global ? "server" : "per-client", n->udp_nwaiting, global ? "" : " from ",
		          global ? "" : host, (unsigned long long)n->udp_shed);
		n->shed_warned = now;
	}
	return false;
}

/* Read up to NET_UDP_BATCH datagrams from l without waiting. Returns how many (0: none). */
static int
udp_recv_batch(struct net_listener *l, struct net_udp_batch *b)
{
	int r;

	/* names, vectors and buffers are set once (udp_batch_init); the kernel rewrites only
	   these, and only in the entries it reached last time, so only those are reset (a whole
	   vector is 32 cache lines, most of them idle at a moderate rate); the control buffer is
	   the listener's choice */
	if (b->in_ctl_on != l->pktinfo) {
		b->in_ctl_on = l->pktinfo;
		b->dirty = NET_UDP_BATCH;
	}
	for (int i = 0; i < b->dirty; i++) {
		struct msghdr *h = &b->in[i].msg_hdr;

		h->msg_namelen = sizeof(b->peer[i]);
		h->msg_control = l->pktinfo ? b->in_ctl[i].buf : NULL;
		h->msg_controllen = l->pktinfo ? sizeof(b->in_ctl[i].buf) : 0;
		h->msg_flags = 0;
	}
	do
		r = recvmmsg(l->udp_fd, b->in, NET_UDP_BATCH, MSG_DONTWAIT, NULL);
	while (r < 0 && errno == EINTR);
	/* the entries filled, and the one it tried after them */
	b->dirty = r < 0 ? 1 : r < NET_UDP_BATCH ? r + 1 : NET_UDP_BATCH;
	if (r < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			log_debug("udp recv: %s", strerror(errno));
		return 0;
	}
	return r;
}

/* Answer the nin datagrams in b: each goes through query_process on its slot's query; the
   immediate replies leave in one sendmmsg, delayed ones wait on their own timer (the waiting
   list takes the query), and every query not waiting is logged in arrival order. */
static void
udp_answer_batch(struct net_listener *l, struct net_udp_batch *b, int nin)
{
	struct net *n = l->net;
	int nout = 0;
	struct query_clock now;
	struct timespec done;

	query_clock_now(&now); /* they arrived together: one clock read for all */
	for (int i = 0; i < nin; i++) {
		struct query *q;
		union qlog_addr local;

		b->out_of[i] = -1;
		if (b->q[i] == NULL && (b->q[i] = query_new()) == NULL)
			continue; /* out of memory: the datagram goes unanswered and unlogged */
		q = b->q[i];
		udp_local(l, &b->in[i].msg_hdr, &local);
		query_start_at(q, false, &b->peer[i].sa, &local.sa, &now);
		switch (query_process(n->ctx, q, b->buf[i], b->in[i].msg_len)) {
		case QUERY_SEND:
			udp_reply_hdr(l, q, &b->out[nout].msg_hdr, &b->out_iov[nout],
			              &b->out_ctl[nout]);
			b->out[nout].msg_len = 0;
			b->out_of[i] = nout++;
			break;
		case QUERY_DELAY:
			if (!udp_may_wait(n, q) ||
			    peercount_inc(n->udp_waiting_by, &q->log.client.sa) < 0)
				break; /* logged unanswered below */
			if (delay_arm(n, q, udp_delay_cb, l) < 0) {
				peercount_dec(n->udp_waiting_by, &q->log.client.sa);
				break;
			}
			TAILQ_INSERT_TAIL(&n->udp_waiting, q, entry);
			n->udp_nwaiting++;
			b->q[i] = NULL; /* the waiting list owns it now */
			break;
		case QUERY_DROP:
		case QUERY_CLOSE: /* never over UDP; nothing to close */
		case QUERY_SEND_CLOSE:
		default:
			break;
		}
	}
	udp_send_all(l, b->out, nout, b->sent);
	clock_gettime(CLOCK_MONOTONIC, &done); /* they left together: one clock read for all */
	for (int i = 0; i < nin; i++) {
		if (b->q[i] != NULL)
			query_done_at(n->ctx, b->q[i], b->out_of[i] >= 0 && b->sent[b->out_of[i]],
			              &done);
	}
}

static void
udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_listener *l = arg;
	struct net_udp_batch *b = l->net->udp;

	/* bounded: TCP and timers get their turn; the socket stays readable if more wait */
	for (int round = 0; round < NET_UDP_ROUNDS; round++) {
		int nin = udp_recv_batch(l, b);

		if (nin > 0)
			udp_answer_batch(l, b, nin);
		if (nin < NET_UDP_BATCH)
			return; /* the queue is empty: no recvmmsg just to hear EAGAIN */
	}
}

/* ---- TCP ---------------------------------------------------------------------------------- */

/* When the connection's one deadline falls (monotonic ms), from its state:
   - replies the client does not take: idle_ms after the last write progress;
   - delayed answers owed and nothing else: no deadline (idle only counts when we owe nothing);
   - an incomplete frame: frame_ms after its first byte (or idle_ms after the last byte, if
     sooner), so a slow drip cannot hold a slot however often it sends a byte;
   - otherwise idle_ms after the last read or write. */
static int64_t
conn_deadline(const struct net_conn *c, int64_t now)
{
	const struct net_limits *lim = &c->net->lim;
	int64_t idle = c->active + lim->idle_ms;

	if (c->out_len > 0)
		return idle;
	if (c->nwaiting > 0)
		return now + lim->idle_ms;
	if (c->in_len > 0) {
		int64_t frame = c->frame_start + lim->frame_ms;
		return frame < idle ? frame : idle;
	}
	return idle;
}

/* Arm the timer to fire at at (monotonic ms). */
static void
conn_timer_set(struct net_conn *c, int64_t at, int64_t now)
{
	int64_t ms = at > now ? at - now : 0;
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	c->timer_at = at;
	evtimer_add(c->timer, &tv);
}

/* The deadline may have moved earlier (an incomplete frame began): re-arm if so. Moving later
   needs nothing: the timer checks again when it fires. */
static void
conn_timer_tighten(struct net_conn *c, int64_t now)
{
	int64_t at = conn_deadline(c, now);

	if (at < c->timer_at)
		conn_timer_set(c, at, now);
}

static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_conn *c = arg;
	int64_t now = now_ms();
	int64_t at = conn_deadline(c, now);

	if (now < at) {
		conn_timer_set(c, at, now);
		return;
	}
	log_debug("tcp: closing %s connection", c->out_len  ? "stalled (replies not read)"
	                                        : c->in_len ? "slow (frame not completed in time)"
	                                                    : "idle");
	conn_free(c, true);
}

/* A connection on fd from peer sa, accepted by l and linked into its net; NULL (fd not
   closed) when out of memory. conn_free undoes it. */
static struct net_conn *
conn_new(struct net_listener *l, evutil_socket_t fd, const struct sockaddr *sa, int salen)
{
	struct net *n = l->net;
	struct net_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->net = n;
	c->fd = fd;
	TAILQ_INIT(&c->waiting);
	if ((size_t)salen <= sizeof(c->peer))
		memcpy(&c->peer, sa, (size_t)salen);
	c->local = l->addr;
	if (l->pktinfo) {
		/* a wildcard listener: the connection knows which address the client chose */
		socklen_t sl = sizeof(c->local);
		if (getsockname(fd, &c->local.sa, &sl) < 0 || sl > sizeof(c->local))
			c->local = l->addr;
	}
	TAILQ_INSERT_TAIL(&n->conns, c, entry);
	n->nconns++;
	return c;
}

static void
conn_free(struct net_conn *c, bool log_waiting)
{
	struct query *q;

	if (c == NULL)
		return;
	while ((q = TAILQ_FIRST(&c->waiting)) != NULL) {
		TAILQ_REMOVE(&c->waiting, q, entry);
		if (log_waiting)
			query_done(c->net->ctx, q, false);
		query_free(q);
	}
	query_free(c->q);
	TAILQ_REMOVE(&c->net->conns, c, entry);
	c->net->nconns--;
	if (c->rev)
		event_free(c->rev);
	if (c->wev)
		event_free(c->wev);
	if (c->timer)
		event_free(c->timer);
	evutil_closesocket(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

/* Is the connection finished (client gone and nothing left to send)? Frees it if so. */
static bool
conn_maybe_finish(struct net_conn *c)
{
	if (c->broken || (c->closing && c->out_len == 0) ||
	    (c->eof && c->nwaiting == 0 && c->out_len == 0)) {
		conn_free(c, true);
		return true;
	}
	return false;
}

static void
conn_reading(struct net_conn *c, bool on)
{
	if (on == c->reading)
		return;
	if (on)
		event_add(c->rev, NULL);
	else
		event_del(c->rev);
	c->reading = on;
}

/* Queue len bytes at p behind what already waits in out. -1 when out of memory. */
static int
out_append(struct net_conn *c, const void *p, size_t len)
{
	if (c->out_off > 0 && c->out_off + c->out_len + len > c->out_cap) {
		memmove(c->out, c->out + c->out_off, c->out_len);
		c->out_off = 0;
	}
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : NET_TCP_OUT_START;
		uint8_t *o;

		while (cap < c->out_len + len)
			cap *= 2;
		if ((o = realloc(c->out, cap)) == NULL)
			return -1;
		c->out = o;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_off + c->out_len, p, len);
	c->out_len += len;
	return 0;
}

/* The bytes of out went (partly) to the kernel: drop them, refresh the deadline. */
static void
out_consumed(struct net_conn *c, size_t sent)
{
	c->out_off += sent;
	c->out_len -= sent;
	if (c->out_len == 0)
		c->out_off = 0;
	if (sent > 0)
		c->active = now_ms();
}

/* Write what waits in out; arm the write event while the kernel leaves some, disarm it once
   it took everything. A failed write marks the connection broken. */
static void
conn_flush(struct net_conn *c)
{
	while (c->out_len > 0) {
		ssize_t r = write(c->fd, c->out + c->out_off, c->out_len);

		if (r > 0) {
			out_consumed(c, (size_t)r);
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			event_add(c->wev, NULL);
			return;
		}
		log_debug("tcp write: %s", r < 0 ? strerror(errno) : "nothing written");
		c->broken = true;
		return;
	}
	event_del(c->wev);
}

/* Send q's reply with its length in front. Straight to the kernel (one writev) when nothing
   is queued and batch is false; else behind the queued bytes (batch: the caller flushes once
   for all replies of a read). Logs and counts q first, as sent once the connection has it (a
   client that reads the query log as soon as it has its answer finds the line there). */
static void
conn_send(struct net_conn *c, struct query *q, bool batch)
{
	uint8_t len[2] = {(uint8_t)(q->reply_len >> 8), (uint8_t)q->reply_len};
	size_t hl = q->framed ? 0 : 2; /* a transfer's messages carry their lengths already */
	size_t total = hl + q->reply_len, done = 0;

	query_done(c->net->ctx, q, true);
	if (c->out_len == 0 && !batch) {
		struct iovec iov[2] = {{len, hl}, {q->reply, q->reply_len}};
		ssize_t r;

		do
			r = writev(c->fd, iov, 2);
		while (r < 0 && errno == EINTR);
		if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			log_debug("tcp write: %s", strerror(errno));
			c->broken = true;
			return;
		}
		done = r > 0 ? (size_t)r : 0;
		if (done > 0)
			c->active = now_ms();
		if (done == total)
			return;
	}
	/* the kernel took done bytes (only on the direct path): queue the rest */
	if ((done < hl && out_append(c, len + done, hl - done) < 0) ||
	    out_append(c, q->reply + (done > hl ? done - hl : 0),
	               q->reply_len - (done > hl ? done - hl : 0)) < 0)
		c->broken = true; /* out of memory: the stream cannot go on */
	else if (!batch)
		event_add(c->wev, NULL);
}

/* Reading is paused while the connection holds too much for the client (back-pressure):
   NET_CONN_WAITING_MAX delayed answers, or NET_OUT_HIGHWATER bytes the kernel refused. */
static bool
conn_full(const struct net_conn *c)
{
	return c->nwaiting >= NET_CONN_WAITING_MAX || c->out_len >= NET_OUT_HIGHWATER;
}

/* Resume reading when the connection is below its limits again, answering first the frames
   already buffered. */
static void
conn_maybe_resume(struct net_conn *c)
{
	if (c->eof || c->reading || conn_full(c))
		return;
	conn_process(c, false); /* may free c */
}

static void
tcp_delay_cb(evutil_socket_t fd, short what, void *arg)
{
	struct query *q = arg;
	struct net_conn *c = q->conn;

	if (!delay_due(c->net, q))
		return;
	TAILQ_REMOVE(&c->waiting, q, entry);
	c->nwaiting--;
	conn_send(c, q, false);
	query_free(q);
	if (c->nwaiting == 0)
		c->active = now_ms(); /* idle counts from the last answer owed */
	if (conn_maybe_finish(c))
		return;
	conn_maybe_resume(c);
}

/* Answer every complete frame in `in` (stopping when the connection is full), keep the
   incomplete rest for the next read, send the replies, and set reading and the deadline.
   fresh: `in` was empty before the bytes just read. May free c. */
static void
conn_process(struct net_conn *c, bool fresh)
{
	struct net *n = c->net;
	size_t pos = 0;
	bool batched = false;

	while (c->in_len - pos >= 2 && !conn_full(c)) {
		size_t flen = (size_t)c->in[pos] << 8 | c->in[pos + 1];
		size_t next;
		struct query *q;

		if (c->in_len - pos < 2 + flen)
			break;
		if (c->q == NULL && (c->q = query_new()) == NULL) {
			conn_free(c, true);
			return;
		}
		q = c->q;
		query_start(q, true, &c->peer.sa, &c->local.sa);
		next = pos + 2 + flen;
		switch (query_process(n->ctx, q, c->in + pos + 2, flen)) {
		case QUERY_SEND: {
			/* another complete frame follows: batch the replies into one write */
			bool more =
			    c->in_len - next >= 2 &&
			    c->in_len - next >= 2 + ((size_t)c->in[next] << 8 | c->in[next + 1]);
			conn_send(c, q, more || batched);
			batched |= more;
			break;
		}
		case QUERY_DELAY:
			if (delay_arm(n, q, tcp_delay_cb, c) < 0) {
				query_done(n->ctx, q, false);
				break;
			}
			TAILQ_INSERT_TAIL(&c->waiting, q, entry);
			c->nwaiting++;
			c->q = NULL; /* the waiting list owns it now */
			break;
		case QUERY_CLOSE:
			query_done(n->ctx, q, false);
			conn_free(c, true);
			return;
		case QUERY_SEND_CLOSE:
			/* a transfer cut short: what was kept goes out, then the connection closes
			   (nothing more is read or answered) */
			if (q->reply_len > 0)
				conn_send(c, q, batched);
			else
				query_done(n->ctx, q, false);
			c->eof = true;
			c->closing = true;
			break;
		case QUERY_DROP:
		default:
			query_done(n->ctx, q, false);
			break;
		}
		pos = c->closing ? c->in_len : next;
		if (c->broken || c->closing)
			break;
	}
	if (pos > 0) {
		memmove(c->in, c->in + pos, c->in_len - pos);
		c->in_len -= pos;
	}
	if (batched && !c->broken)
		conn_flush(c);
	if (conn_maybe_finish(c))
		return;
	if (c->in_len > 0 && (pos > 0 || fresh)) {
		/* a new frame began: its own deadline runs from now */
		int64_t now = now_ms();
		c->frame_start = now;
		conn_timer_tighten(c, now);
	}
	conn_reading(c, !c->eof && !conn_full(c));
}

/* Make room in `in` for the rest of the frame being received and a good chunk more. */
static int
conn_in_room(struct net_conn *c)
{
	size_t want = c->in_len + NET_TCP_IN_START;

	if (c->in_len >= 2) {
		size_t frame = 2 + ((size_t)c->in[0] << 8 | c->in[1]);
		if (frame > c->in_len && frame + NET_TCP_IN_START > want)
			want = frame + NET_TCP_IN_START;
	}
	if (want > NET_TCP_IN_MAX)
		want = NET_TCP_IN_MAX;
	if (c->in_cap - c->in_len >= NET_TCP_IN_START / 2 && c->in_cap >= want / 2)
		return 0; /* room enough for a large read */
	if (want > c->in_cap) {
		uint8_t *p = realloc(c->in, want);

		if (p == NULL)
			return -1;
		c->in = p;
		c->in_cap = want;
	}
	return 0;
}

static void
tcp_conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_conn *c = arg;
	bool fresh = c->in_len == 0;
	ssize_t r;

	if (conn_in_room(c) < 0 || c->in_len == c->in_cap) {
		/* out of memory (a full buffer cannot happen: reading stops before it would) */
		conn_free(c, true);
		return;
	}
	do
		r = read(fd, c->in + c->in_len, c->in_cap - c->in_len);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		log_debug("tcp read: %s", strerror(errno));
		conn_free(c, true);
		return;
	}
	if (r == 0) {
		/* the client is done sending: an incomplete frame will never complete */
		c->eof = true;
		c->in_len = 0;
		conn_reading(c, false);
		conn_maybe_finish(c);
		return;
	}
	c->in_len += (size_t)r;
	c->active = now_ms();
	conn_process(c, fresh);
}

static void
conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_conn *c = arg;

	conn_flush(c);
	if (conn_maybe_finish(c))
		return;
	if (c->out_len == 0)
		conn_maybe_resume(c);
}

/* When the table is full: the connection that gives up its slot for a new one. Of those that
   owe the client nothing (no delayed answers waiting, no replies unread), the one stalled
   longest: idle since its last read or write, or slow since the first byte of a frame it has
   not completed. NULL when every connection is busy for its client. */
static struct net_conn *
conn_victim(struct net *n)
{
	struct net_conn *c, *best = NULL;
	int64_t best_since = 0;

	TAILQ_FOREACH(c, &n->conns, entry)
	{
		int64_t since;

		if (c->nwaiting > 0 || c->out_len > 0)
			continue;
		since = c->in_len > 0 ? c->frame_start : c->active;
		if (best == NULL || since < best_since) {
			best = c;
			best_since = since;
		}
	}
	return best;
}

static void
tcp_accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa, int salen,
              void *arg)
{
	struct net_listener *l = arg;
	struct net *n = l->net;
	struct net_conn *c;
	int on = 1;
	int64_t now = now_ms();

	if (n->nconns >= n->lim.max_conns) {
		struct net_conn *victim = conn_victim(n);

		if (victim == NULL) {
			log_debug("tcp: connection limit (%zu) reached with every connection busy, "
			          "closing the new one",
			          n->lim.max_conns);
			n->tcp_refused++;
			evutil_closesocket(fd);
			return;
		}
		log_debug("tcp: connection limit (%zu) reached, closing the %s one",
		          n->lim.max_conns, victim->in_len > 0 ? "slowest" : "longest idle");
		n->tcp_evicted++;
		conn_free(victim, true);
	}
	if ((c = conn_new(l, fd, sa, salen)) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	/* replies are whole messages, written once: no reason to wait for more */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	c->rev = event_new(n->base, fd, EV_READ | EV_PERSIST, tcp_conn_read_cb, c);
	c->wev = event_new(n->base, fd, EV_WRITE | EV_PERSIST, conn_write_cb, c);
	c->timer = evtimer_new(n->base, conn_timer_cb, c);
	if (c->rev == NULL || c->wev == NULL || c->timer == NULL) {
		conn_free(c, false);
		return;
	}
	c->active = now;
	conn_timer_set(c, now + n->lim.idle_ms, now);
	conn_reading(c, true);
}

static void
tcp_accept_error_cb(struct evconnlistener *lev, void *arg)
{
	log_warn("tcp accept");
}

/* ---- listening ---------------------------------------------------------------------------- */

static int
parse_addr(const char *host, int port, union qlog_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, host, &a->sin.sin_addr) == 1) {
		a->sin.sin_family = AF_INET;
		a->sin.sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a->sin6.sin6_addr) == 1) {
		a->sin6.sin6_family = AF_INET6;
		a->sin6.sin6_port = htons((uint16_t)port);
		return 0;
	}
	return -1;
}

/* A bound socket of type on a, or -1 with errno set. */
static int
bind_socket(const union qlog_addr *a, int type)
{
	int fd = socket(a->sa.sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int on = 1;

	if (fd < 0)
		return -1;
	if (a->sa.sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (type == SOCK_STREAM) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	} else {
		/* room for bursts: the kernel caps this at net.core.rmem_max/wmem_max */
		int size = NET_UDP_SOCKBUF;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
		if (a->sa.sa_family == AF_INET) {
			/* as NSD does: replies ignore path-MTU state (no DF bit, no per-reply
			   route MTU check), so a forged ICMP "too big" cannot steer them */
			int pmtu = IP_PMTUDISC_OMIT;
			if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu)) < 0) {
				pmtu = IP_PMTUDISC_DONT;
				setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu));
			}
		}
	}
	if (bind(fd, &a->sa, addr_len(a)) < 0 || (type == SOCK_STREAM && listen(fd, 128) < 0)) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Ask the kernel for each datagram's local address on UDP socket fd bound to wildcard a. */
static int
udp_want_pktinfo(int fd, const union qlog_addr *a)
{
	int on = 1;

	if (a->sa.sa_family == AF_INET6)
		return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on));
	return setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
}

static int
addr_port(const union qlog_addr *a)
{
	return ntohs(a->sa.sa_family == AF_INET6 ? a->sin6.sin6_port : a->sin.sin_port);
}

static void
set_port(union qlog_addr *a, int port)
{
	if (a->sa.sa_family == AF_INET6)
		a->sin6.sin6_port = htons((uint16_t)port);
	else
		a->sin.sin_port = htons((uint16_t)port);
}

/* Close l's sockets and free it (not linked any more). Delayed UDP answers that would leave
   from its socket are dropped (logged unanswered): the address is gone. */
static void
listener_free(struct net_listener *l)
{
	struct net *n;
	struct query *q, *next;

	if (l == NULL)
		return;
	n = l->net;
	for (q = TAILQ_FIRST(&n->udp_waiting); q != NULL; q = next) {
		next = TAILQ_NEXT(q, entry);
		if (q->conn != l)
			continue;
		udp_unwait(n, q);
		query_done(n->ctx, q, false);
		query_free(q);
	}
	if (l->udp_ev)
		event_free(l->udp_ev);
	if (l->udp_fd >= 0)
		close(l->udp_fd);
	if (l->tcp)
		evconnlistener_free(l->tcp);
	free(l);
}

/* A listener with UDP and TCP on host port (0: a free port, in *port after). NULL with errno
   and err set; *skipped when host is optional and the machine lacks it (no error then). */
static struct net_listener *
listener_open(struct net *n, const char *host, bool optional, int *port, bool *skipped, char *err,
              size_t errlen)
{
	struct net_listener *l = calloc(1, sizeof(*l));
	int fd;

	*skipped = false;
	if (l == NULL) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	l->udp_fd = -1;
	l->net = n;
	snprintf(l->host, sizeof(l->host), "%s", host);
	if (strlen(host) >= sizeof(l->host) || parse_addr(host, *port, &l->addr) < 0) {
		snprintf(err, errlen, "invalid listen address '%s'", host);
		free(l);
		errno = EINVAL;
		return NULL;
	}
	for (int type = SOCK_DGRAM;; type = SOCK_STREAM) {
		fd = bind_socket(&l->addr, type);
		if (fd < 0) {
			int e = errno;
			listener_free(l);
			if (optional && (e == EADDRNOTAVAIL || e == EAFNOSUPPORT)) {
				log_info("not listening on %s: %s", host, strerror(e));
				*skipped = true;
			} else {
				snprintf(err, errlen, "cannot listen on %s port %d (%s): %s", host,
				         *port, type == SOCK_DGRAM ? "udp" : "tcp", strerror(e));
			}
			errno = e;
			return NULL;
		}
		if (type == SOCK_DGRAM) {
			l->udp_fd = fd;
			l->pktinfo = addr_is_wildcard(&l->addr);
			if (l->pktinfo && udp_want_pktinfo(fd, &l->addr) < 0) {
				int e = errno;
				listener_free(l);
				snprintf(err, errlen, "cannot listen on %s (udp): %s", host,
				         strerror(e));
				errno = e;
				return NULL;
			}
			if (*port == 0) {
				socklen_t sl = sizeof(l->addr);
				getsockname(fd, &l->addr.sa, &sl);
				*port = addr_port(&l->addr);
			}
			set_port(&l->addr, *port);
			continue;
		}
		l->tcp = evconnlistener_new(n->base, tcp_accept_cb, l,
		                            LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
		l->udp_ev = event_new(n->base, l->udp_fd, EV_READ | EV_PERSIST, udp_read_cb, l);
		if (l->tcp == NULL || l->udp_ev == NULL || event_add(l->udp_ev, NULL) < 0) {
			if (l->tcp == NULL)
				close(fd);
			listener_free(l);
			snprintf(err, errlen, "cannot set up listener on %s", host);
			errno = ENOMEM;
			return NULL;
		}
		evconnlistener_set_error_cb(l->tcp, tcp_accept_error_cb);
		return l;
	}
}

static void
listeners_close_all(struct net *n)
{
	struct net_listener *l;

	while ((l = TAILQ_FIRST(&n->ls)) != NULL) {
		TAILQ_REMOVE(&n->ls, l, entry);
		listener_free(l);
	}
	n->nls = 0;
}

/* One attempt at binding everything. 0 ok, -1 fatal, 1 port collision worth a retry. */
static int
listen_once(struct net *n, const struct net_addr *addrs, size_t naddrs, int port, int *bound_port,
            char *err, size_t errlen)
{
	int cur = port;

	for (size_t i = 0; i < naddrs; i++) {
		bool skipped;
		struct net_listener *l =
		    listener_open(n, addrs[i].host, addrs[i].optional, &cur, &skipped, err, errlen);

		if (l == NULL) {
			if (skipped)
				continue;
			return port == 0 && errno == EADDRINUSE ? 1 : -1;
		}
		TAILQ_INSERT_TAIL(&n->ls, l, entry);
		n->nls++;
	}
	if (n->nls == 0) {
		snprintf(err, errlen, "no address to listen on");
		return -1;
	}
	*bound_port = cur;
	n->port = cur;
	return 0;
}

int
net_listen(struct net *n, const struct net_addr *addrs, size_t naddrs, int port, int *bound_port,
           char *err, size_t errlen)
{
	listeners_close_all(n);
	for (int attempt = 0; attempt < 16; attempt++) {
		int r = listen_once(n, addrs, naddrs, port, bound_port, err, errlen);
		if (r == 0)
			return 0;
		listeners_close_all(n);
		if (r < 0)
			return -1;
	}
	return -1;
}

/* The listener bound to numeric address host (any port), or NULL. */
static struct net_listener *
listener_find(const struct net *n, const char *host)
{
	struct net_listener *l;
	union qlog_addr want;

	if (parse_addr(host, 0, &want) < 0)
		return NULL;
	TAILQ_FOREACH(l, &n->ls, entry)
	{
		if (l->addr.sa.sa_family != want.sa.sa_family)
			continue;
		if (want.sa.sa_family == AF_INET6
		        ? memcmp(&l->addr.sin6.sin6_addr, &want.sin6.sin6_addr, 16) == 0
		        : l->addr.sin.sin_addr.s_addr == want.sin.sin_addr.s_addr)
			return l;
	}
	return NULL;
}

bool
net_listening(const struct net *n, const char *host)
{
	return listener_find(n, host) != NULL;
}

int
net_listen_add(struct net *n, const char *host, char *err, size_t errlen)
{
	struct net_listener *l;
	bool skipped;
	int p = n->port;

	if (listener_find(n, host) != NULL)
		return 0;
	if (p <= 0) {
		snprintf(err, errlen, "cannot listen on %s: no port chosen yet", host);
		return -1;
	}
	if ((l = listener_open(n, host, false, &p, &skipped, err, errlen)) == NULL)
		return -1;
	TAILQ_INSERT_TAIL(&n->ls, l, entry);
	n->nls++;
	return 0;
}

void
net_listen_remove(struct net *n, const char *host)
{
	struct net_listener *l = listener_find(n, host);

	if (l == NULL)
		return;
	TAILQ_REMOVE(&n->ls, l, entry);
	n->nls--;
	listener_free(l);
}

size_t
net_listen_count(const struct net *n)
{
	return n->nls;
}
