/* server/net.c -- the transports: UDP sockets and TCP listeners on libevent, TCP connections as
   bufferevents with 2-byte length framing. Knows nothing of DNS beyond framing: each message
   goes through query_process and the returned state says send, drop, delay or close. UDP
   works in batches (recvmmsg in, one sendmmsg out) to keep syscalls per query low. */
#include "server/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "common/log.h"

#define NET_UDP_BATCH     32                /* datagrams per recvmmsg and sendmmsg */
#define NET_UDP_ROUNDS    2                 /* recvmmsg calls per readable event at most */
#define NET_UDP_BUFSIZE   65536             /* receive buffer per datagram (any UDP size) */
#define NET_OUT_HIGHWATER (256 * 1024)      /* TCP output bytes before reading pauses */
#define NET_UDP_SOCKBUF   (4 * 1024 * 1024) /* UDP socket buffers asked for */

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
	uint8_t buf[NET_UDP_BATCH][NET_UDP_BUFSIZE]; /* receive buffers */
};

struct net_listener {
	struct net *net;            /* owner; not owned */
	union qlog_addr addr;       /* bound address (with the port) */
	evutil_socket_t udp_fd;     /* UDP socket; owned, -1 when none */
	struct event *udp_ev;       /* UDP readable event; owned */
	bool pktinfo;               /* wildcard address: the kernel reports each datagram's
	                               local address, replies leave from it */
	struct evconnlistener *tcp; /* TCP listener (owns its socket); owned */
};

struct net_conn {
	struct net *net;             /* owner; not owned */
	struct bufferevent *bev;     /* the connection (owns the socket); owned */
	union qlog_addr peer;        /* client address */
	union qlog_addr local;       /* listen address it arrived at */
	struct query *q;             /* reusable query for frames answered at once; owned */
	TAILQ_HEAD(, query) waiting; /* delayed queries not yet answered; owned */
	size_t nwaiting;             /* entries in waiting */
	bool eof;                    /* client closed its side: close once all is written */
	TAILQ_ENTRY(net_conn) entry; /* link in net->conns */
};

struct net {
	struct event_base *base;         /* event loop; not owned */
	struct query_ctx *ctx;           /* what queries are answered from; not owned */
	struct net_listener **ls;        /* listeners, each owned; nls used */
	size_t nls;                      /* listeners in use */
	size_t capls;                    /* entries allocated in ls */
	int port;                        /* port every listener is bound to */
	TAILQ_HEAD(, net_conn) conns;    /* open TCP connections; owned */
	size_t nconns;                   /* entries in conns */
	TAILQ_HEAD(, query) udp_waiting; /* delayed UDP queries; owned */
	struct net_udp_batch *udp;       /* UDP receive/send batch; owned */
	uint64_t udp_send_dropped;       /* replies dropped on a full socket buffer */
	uint64_t udp_send_errors;        /* replies the kernel refused one by one */
	int idle_ms;                     /* TCP idle timeout */
	size_t max_conns;                /* TCP connection limit */
};

static void conn_free(struct net_conn *c, bool log_waiting);
static void conn_read_cb(struct bufferevent *bev, void *arg);

struct net *
net_new(struct event_base *base, struct query_ctx *ctx)
{
	struct net *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	/* the buffers are large, but a page is only touched once a datagram lands in it */
	if ((n->udp = calloc(1, sizeof(*n->udp))) == NULL) {
		free(n);
		return NULL;
	}
	n->base = base;
	n->ctx = ctx;
	TAILQ_INIT(&n->conns);
	TAILQ_INIT(&n->udp_waiting);
	n->idle_ms = NET_IDLE_MS_DEFAULT;
	n->max_conns = NET_MAX_CONNS_DEFAULT;
	return n;
}

void
net_set_limits(struct net *n, int idle_ms, size_t max_conns)
{
	if (idle_ms > 0)
		n->idle_ms = idle_ms;
	if (max_conns > 0)
		n->max_conns = max_conns;
}

size_t
net_conn_count(const struct net *n)
{
	return n->nconns;
}

uint64_t
net_udp_unsent(const struct net *n)
{
	return n->udp_send_dropped + n->udp_send_errors;
}

static void
listener_close(struct net_listener *l)
{
	if (l->udp_ev)
		event_free(l->udp_ev);
	if (l->udp_fd >= 0)
		close(l->udp_fd);
	if (l->tcp)
		evconnlistener_free(l->tcp);
	l->udp_ev = NULL;
	l->udp_fd = -1;
	l->tcp = NULL;
}

void
net_free(struct net *n)
{
	struct net_conn *c;
	struct query *q;

	if (n == NULL)
		return;
	for (size_t i = 0; i < n->nls; i++) {
		listener_close(n->ls[i]);
		free(n->ls[i]);
	}
	free(n->ls);
	while ((c = TAILQ_FIRST(&n->conns)) != NULL)
		conn_free(c, false);
	while ((q = TAILQ_FIRST(&n->udp_waiting)) != NULL) {
		TAILQ_REMOVE(&n->udp_waiting, q, entry);
		query_free(q);
	}
	for (size_t i = 0; i < NET_UDP_BATCH; i++)
		query_free(n->udp->q[i]);
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

/* Arm q's delay timer: after q->delay_ms, cb(q) sends the reply. owner is what cb finds in
   q->conn. 0 when armed, -1 (no timer) when not. */
static int
delay_arm(struct net *n, struct query *q, event_callback_fn cb, void *owner)
{
	struct timeval tv = {q->delay_ms / 1000, (q->delay_ms % 1000) * 1000};

	q->timer = evtimer_new(n->base, cb, q);
	/* timers count from the loop's cached time: refresh it so a busy batch never makes a
	   delay end early */
	event_base_update_cache_time(n->base);
	if (q->timer == NULL || evtimer_add(q->timer, &tv) < 0) {
		if (q->timer)
			event_free(q->timer);
		q->timer = NULL;
		return -1;
	}
	q->conn = owner;
	return 0;
}

static void
udp_delay_cb(evutil_socket_t fd, short what, void *arg)
{
	struct query *q = arg;
	struct net_listener *l = q->conn;

	TAILQ_REMOVE(&l->net->udp_waiting, q, entry);
	udp_send(l, q);
	query_free(q);
}

/* Read up to NET_UDP_BATCH datagrams from l without waiting. Returns how many (0: none). */
static int
udp_recv_batch(struct net_listener *l, struct net_udp_batch *b)
{
	int r;

	for (int i = 0; i < NET_UDP_BATCH; i++) {
		struct msghdr *h = &b->in[i].msg_hdr;

		h->msg_name = &b->peer[i];
		h->msg_namelen = sizeof(b->peer[i]);
		h->msg_iov = &b->in_iov[i];
		h->msg_iovlen = 1;
		b->in_iov[i].iov_base = b->buf[i];
		b->in_iov[i].iov_len = sizeof(b->buf[i]);
		h->msg_control = l->pktinfo ? b->in_ctl[i].buf : NULL;
		h->msg_controllen = l->pktinfo ? sizeof(b->in_ctl[i].buf) : 0;
		h->msg_flags = 0;
	}
	do
		r = recvmmsg(l->udp_fd, b->in, NET_UDP_BATCH, MSG_DONTWAIT, NULL);
	while (r < 0 && errno == EINTR);
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

	for (int i = 0; i < nin; i++) {
		struct query *q;
		union qlog_addr local;

		b->out_of[i] = -1;
		if (b->q[i] == NULL && (b->q[i] = query_new()) == NULL)
			continue; /* out of memory: the datagram goes unanswered and unlogged */
		q = b->q[i];
		udp_local(l, &b->in[i].msg_hdr, &local);
		query_start(q, false, &b->peer[i].sa, &local.sa);
		switch (query_process(n->ctx, q, b->buf[i], b->in[i].msg_len)) {
		case QUERY_SEND:
			udp_reply_hdr(l, q, &b->out[nout].msg_hdr, &b->out_iov[nout],
			              &b->out_ctl[nout]);
			b->out[nout].msg_len = 0;
			b->out_of[i] = nout++;
			break;
		case QUERY_DELAY:
			if (delay_arm(n, q, udp_delay_cb, l) < 0)
				break; /* logged unanswered below */
			TAILQ_INSERT_TAIL(&n->udp_waiting, q, entry);
			b->q[i] = NULL; /* the waiting list owns it now */
			break;
		case QUERY_DROP:
		case QUERY_CLOSE: /* never over UDP; nothing to close */
		default:
			break;
		}
	}
	udp_send_all(l, b->out, nout, b->sent);
	for (int i = 0; i < nin; i++) {
		if (b->q[i] != NULL)
			query_done(n->ctx, b->q[i], b->out_of[i] >= 0 && b->sent[b->out_of[i]]);
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

/* A connection on fd from peer sa, accepted by l and linked into its net; NULL (fd not
   closed) when out of memory. conn_free undoes it. */
static struct net_conn *
conn_new(struct net_listener *l, evutil_socket_t fd, const struct sockaddr *sa, int salen)
{
	struct net_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->bev = bufferevent_socket_new(l->net->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		free(c);
		return NULL;
	}
	c->net = l->net;
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
	TAILQ_INSERT_TAIL(&l->net->conns, c, entry);
	l->net->nconns++;
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
	bufferevent_free(c->bev);
	free(c);
}

/* Is the connection finished (client gone and nothing left to send)? Frees it if so. */
static bool
conn_maybe_finish(struct net_conn *c)
{
	if (c->eof && c->nwaiting == 0 &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		conn_free(c, true);
		return true;
	}
	return false;
}

static void
conn_send(struct net_conn *c, struct query *q)
{
	uint8_t len[2] = {(uint8_t)(q->reply_len >> 8), (uint8_t)q->reply_len};
	bool ok = bufferevent_write(c->bev, len, 2) == 0 &&
	          bufferevent_write(c->bev, q->reply, q->reply_len) == 0;

	query_done(c->net->ctx, q, ok);
}

/* Resume reading when the connection is below its limits again. */
static void
conn_maybe_resume(struct net_conn *c)
{
	if (!c->eof && c->nwaiting < NET_CONN_WAITING_MAX &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) < NET_OUT_HIGHWATER &&
	    !(bufferevent_get_enabled(c->bev) & EV_READ)) {
		bufferevent_enable(c->bev, EV_READ);
		/* frames may already wait in the input buffer */
		if (evbuffer_get_length(bufferevent_get_input(c->bev)) >= 2)
			conn_read_cb(c->bev, c);
	}
}

static void
tcp_delay_cb(evutil_socket_t fd, short what, void *arg)
{
	struct query *q = arg;
	struct net_conn *c = q->conn;

	TAILQ_REMOVE(&c->waiting, q, entry);
	c->nwaiting--;
	conn_send(c, q);
	query_free(q);
	conn_maybe_resume(c);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct net_conn *c = arg;
	struct net *n = c->net;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer *out = bufferevent_get_output(bev);

	for (;;) {
		uint8_t hdr[2];
		size_t flen;
		uint8_t *frame;
		struct query *q;
		enum query_state state;

		if (c->nwaiting >= NET_CONN_WAITING_MAX ||
		    evbuffer_get_length(out) >= NET_OUT_HIGHWATER) {
			bufferevent_disable(bev, EV_READ);
			return;
		}
		if (evbuffer_copyout(in, hdr, 2) < 2)
			return;
		flen = (size_t)hdr[0] << 8 | hdr[1];
		if (evbuffer_get_length(in) < 2 + flen)
			return;
		frame = evbuffer_pullup(in, (ev_ssize_t)(2 + flen));
		if (c->q == NULL)
			c->q = query_new();
		if (frame == NULL || c->q == NULL) {
			conn_free(c, true);
			return;
		}
		q = c->q;
		query_start(q, true, &c->peer.sa, &c->local.sa);
		state = query_process(n->ctx, q, frame + 2, flen);
		evbuffer_drain(in, 2 + flen);
		switch (state) {
		case QUERY_SEND:
			conn_send(c, q);
			break;
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
		case QUERY_DROP:
		default:
			query_done(n->ctx, q, false);
			break;
		}
	}
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct net_conn *c = arg;

	if (conn_maybe_finish(c))
		return;
	conn_maybe_resume(c);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct net_conn *c = arg;

	if (what & BEV_EVENT_EOF) {
		c->eof = true;
		bufferevent_disable(bev, EV_READ);
		conn_maybe_finish(c);
		return;
	}
	if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) && c->nwaiting > 0) {
		/* idle only counts when we owe the client nothing */
		bufferevent_enable(bev, EV_READ);
		return;
	}
	/* idle timeout, write timeout or an error */
	conn_free(c, true);
}

static void
tcp_accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa, int salen,
              void *arg)
{
	struct net_listener *l = arg;
	struct net *n = l->net;
	struct net_conn *c;
	struct timeval idle = {n->idle_ms / 1000, (n->idle_ms % 1000) * 1000};

	if (n->nconns >= n->max_conns) {
		log_debug("tcp: connection limit (%zu) reached, closing new connection",
		          n->max_conns);
		evutil_closesocket(fd);
		return;
	}
	if ((c = conn_new(l, fd, sa, salen)) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_set_timeouts(c->bev, &idle, &idle);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
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

/* Bind UDP and TCP for host at port (*cur: the port in use, 0 until the first bind picked
   one) and append the listener. 0 ok, 2 skipped (optional address the machine lacks), 1 port
   collision worth a retry with another port, -1 fatal (err says why). */
static int
listener_open(struct net *n, const char *host, bool optional, bool retry, int *cur, char *err,
              size_t errlen)
{
	struct net_listener *l;
	int fd;

	if (n->nls == n->capls) {
		size_t cap = n->capls ? n->capls * 2 : 8;
		struct net_listener **v = realloc(n->ls, cap * sizeof(*v));
		if (v == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		n->ls = v;
		n->capls = cap;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	l->udp_fd = -1;
	l->net = n;
	if (parse_addr(host, *cur, &l->addr) < 0) {
		snprintf(err, errlen, "invalid listen address '%s'", host);
		free(l);
		return -1;
	}
	for (int type = SOCK_DGRAM;; type = SOCK_STREAM) {
		fd = bind_socket(&l->addr, type);
		if (fd < 0) {
			int e = errno;
			listener_close(l);
			free(l);
			if (optional && (e == EADDRNOTAVAIL || e == EAFNOSUPPORT)) {
				log_info("not listening on %s: %s", host, strerror(e));
				return 2;
			}
			snprintf(err, errlen, "cannot listen on %s port %d (%s): %s", host, *cur,
			         type == SOCK_DGRAM ? "udp" : "tcp", strerror(e));
			return retry && e == EADDRINUSE ? 1 : -1;
		}
		if (type == SOCK_DGRAM) {
			l->udp_fd = fd;
			if (addr_is_wildcard(&l->addr) && udp_want_pktinfo(fd, &l->addr) < 0) {
				int e = errno;
				listener_close(l);
				free(l);
				snprintf(err, errlen, "cannot listen on %s (udp): %s", host,
				         strerror(e));
				return -1;
			}
			l->pktinfo = addr_is_wildcard(&l->addr);
			if (*cur == 0) {
				socklen_t sl = sizeof(l->addr);
				getsockname(fd, &l->addr.sa, &sl);
				*cur = addr_port(&l->addr);
			}
			set_port(&l->addr, *cur);
			continue;
		}
		l->tcp = evconnlistener_new(n->base, tcp_accept_cb, l,
		                            LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
		l->udp_ev = event_new(n->base, l->udp_fd, EV_READ | EV_PERSIST, udp_read_cb, l);
		if (l->tcp == NULL || l->udp_ev == NULL || event_add(l->udp_ev, NULL) < 0) {
			if (l->tcp == NULL)
				close(fd);
			listener_close(l);
			free(l);
			snprintf(err, errlen, "cannot set up listener on %s", host);
			return -1;
		}
		evconnlistener_set_error_cb(l->tcp, tcp_accept_error_cb);
		n->ls[n->nls++] = l;
		return 0;
	}
}

static void
close_all(struct net *n)
{
	for (size_t i = 0; i < n->nls; i++) {
		listener_close(n->ls[i]);
		free(n->ls[i]);
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
		int r = listener_open(n, addrs[i].host, addrs[i].optional, port == 0, &cur, err,
		                      errlen);
		if (r == 0 || r == 2)
			continue;
		return r;
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
	for (int attempt = 0; attempt < 16; attempt++) {
		int r = listen_once(n, addrs, naddrs, port, bound_port, err, errlen);
		if (r == 0)
			return 0;
		close_all(n);
		if (r < 0)
			return -1;
	}
	return -1;
}

/* The listener bound to numeric address host, or its index -1 when none. */
static ssize_t
listener_find(const struct net *n, const char *host)
{
	union qlog_addr a;

	if (parse_addr(host, 0, &a) < 0)
		return -1;
	for (size_t i = 0; i < n->nls; i++) {
		const union qlog_addr *b = &n->ls[i]->addr;
		if (a.sa.sa_family != b->sa.sa_family)
			continue;
		if (a.sa.sa_family == AF_INET && a.sin.sin_addr.s_addr == b->sin.sin_addr.s_addr)
			return (ssize_t)i;
		if (a.sa.sa_family == AF_INET6 &&
		    memcmp(&a.sin6.sin6_addr, &b->sin6.sin6_addr, 16) == 0)
			return (ssize_t)i;
	}
	return -1;
}

bool
net_listening(const struct net *n, const char *host)
{
	return listener_find(n, host) >= 0;
}

int
net_listen_add(struct net *n, const char *host, char *err, size_t errlen)
{
	int cur = n->port;

	if (listener_find(n, host) >= 0)
		return 0;
	return listener_open(n, host, false, false, &cur, err, errlen) == 0 ? 0 : -1;
}

void
net_listen_remove(struct net *n, const char *host)
{
	ssize_t i = listener_find(n, host);
	struct query *q, *tmp;

	if (i < 0)
		return;
	/* delayed replies that would leave from it are dropped, as a closed server's would be */
	for (q = TAILQ_FIRST(&n->udp_waiting); q != NULL; q = tmp) {
		tmp = TAILQ_NEXT(q, entry);
		if (q->conn != n->ls[i])
			continue;
		TAILQ_REMOVE(&n->udp_waiting, q, entry);
		query_done(n->ctx, q, false);
		query_free(q);
	}
	listener_close(n->ls[i]);
	free(n->ls[i]);
	n->ls[i] = n->ls[--n->nls];
}
