/* server/events.c -- GET /events: the query log as server-sent events. A timer of the event loop
   looks for new entries and appends them to each open stream; nothing waits on a client, and a
   client whose unsent data grows past EVENTS_MAX_BUFFERED is dropped. */
#include "server/events.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>

#include "common/log.h"

struct events_client {
	struct events *ev;              /* the set it belongs to; not owned */
	struct evhttp_request *req;     /* the streaming reply; owned by evhttp */
	struct evhttp_connection *conn; /* its connection; owned by evhttp */
	uint64_t seq;                   /* newest entry sent */
	struct events_client *next;     /* next stream in the set */
};

struct events {
	struct event_base *base;       /* loop; not owned */
	const struct qlog *ql;         /* log read; not owned */
	struct event *tick;            /* periodic look for new entries; owned */
	struct events_client *clients; /* open streams; owned */
	size_t nclients;               /* entries in clients */
	unsigned ticks;                /* ticks since the last keep-alive comment */
};

size_t
events_format(const struct qlog_entry *e, char *buf, size_t len)
{
	int head = snprintf(buf, len, "id: %llu\ndata: ", (unsigned long long)e->seq);
	size_t pos = head > 0 ? (size_t)head : 0;
	size_t need = qlog_format(e, pos < len ? buf + pos : NULL, pos < len ? len - pos : 0);

	pos += need;
	if (pos + 2 < len) {
		buf[pos] = '\n';
		buf[pos + 1] = '\n';
		buf[pos + 2] = '\0';
	}
	return pos + 2;
}

static void
client_unlink(struct events *ev, struct events_client *cl)
{
	for (struct events_client **pp = &ev->clients; *pp; pp = &(*pp)->next) {
		if (*pp == cl) {
			*pp = cl->next;
			ev->nclients--;
			break;
		}
	}
	if (ev->nclients == 0 && ev->tick)
		evtimer_del(ev->tick);
}

/* The browser went away (or we dropped it): forget the stream. */
static void
client_close_cb(struct evhttp_connection *conn, void *arg)
{
	struct events_client *cl = arg;

	evhttp_connection_set_closecb(conn, NULL, NULL);
	client_unlink(cl->ev, cl);
	free(cl);
}

/* Bytes queued on the client's connection and not yet written. */
static size_t
client_backlog(const struct events_client *cl)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(cl->conn);

	return bev ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

struct batch {
	struct evbuffer *buf; /* events being collected; not owned */
	uint64_t seq;         /* newest entry added */
	size_t n;             /* entries added */
};

static void
batch_entry_cb(const struct qlog_entry *e, void *arg)
{
	struct batch *b = arg;
	char line[4096];
	size_t need;

	if (b->n >= EVENTS_BATCH)
		return;
	need = events_format(e, line, sizeof(line));
	if (need < sizeof(line)) {
		evbuffer_add(b->buf, line, need);
	} else {
		char *big = malloc(need + 1);
		if (big == NULL)
			return;
		events_format(e, big, need + 1);
		evbuffer_add(b->buf, big, need);
		free(big);
	}
	b->seq = e->seq;
	b->n++;
}

/* Send cl what is new; drop it when it cannot keep up. Returns false when dropped. */
static bool
client_push(struct events *ev, struct events_client *cl, bool keepalive)
{
	struct batch b = {.seq = cl->seq};
	bool sent = false;

	if (client_backlog(cl) > EVENTS_MAX_BUFFERED) {
		log_info("events: dropping a client that does not keep up");
		evhttp_connection_free(cl->conn); /* calls client_close_cb */
		return false;
	}
	if ((b.buf = evbuffer_new()) == NULL)
		return true;
	if (qlog_last_seq(ev->ql) > cl->seq)
		qlog_foreach_since(ev->ql, cl->seq, batch_entry_cb, &b);
	if (b.n == 0 && qlog_last_seq(ev->ql) > cl->seq)
		b.seq = qlog_last_seq(ev->ql); /* the entries are gone from the ring */
	cl->seq = b.seq;
	if (b.n > 0) {
		sent = true;
	} else if (keepalive) {
		evbuffer_add(b.buf, ": keep-alive\n\n", 14);
		sent = true;
	}
	if (sent)
		evhttp_send_reply_chunk(cl->req, b.buf);
	evbuffer_free(b.buf);
	return true;
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct events *ev = arg;
	bool keepalive = ++ev->ticks >= 10000 / EVENTS_TICK_MS;
	struct events_client *cl = ev->clients, *next;

	if (keepalive)
		ev->ticks = 0;
	for (; cl; cl = next) {
		next = cl->next; /* cl may be freed by client_push */
		client_push(ev, cl, keepalive);
	}
}

struct events *
events_new(struct event_base *base, const struct qlog *ql)
{
	struct events *ev = calloc(1, sizeof(*ev));

	if (ev == NULL)
		return NULL;
	ev->base = base;
	ev->ql = ql;
	ev->tick = event_new(base, -1, EV_PERSIST, tick_cb, ev);
	if (ev->tick == NULL) {
		free(ev);
		return NULL;
	}
	return ev;
}

void
events_free(struct events *ev)
{
	if (ev == NULL)
		return;
	while (ev->clients) {
		struct events_client *cl = ev->clients;
		evhttp_connection_set_closecb(cl->conn, NULL, NULL);
		ev->clients = cl->next;
		free(cl);
	}
	event_free(ev->tick);
	free(ev);
}

size_t
events_clients(const struct events *ev)
{
	return ev ? ev->nclients : 0;
}

void
events_serve(struct events *ev, struct evhttp_request *req, uint64_t since)
{
	struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
	const char *last =
	    evhttp_find_header(evhttp_request_get_input_headers(req), "Last-Event-ID");
	struct events_client *cl;
	struct evbuffer *hello;

	if (last) {
		char *end;
		unsigned long long v;
		errno = 0;
		v = strtoull(last, &end, 10);
		if (errno == 0 && *end == '\0' && last[0] >= '0' && last[0] <= '9')
			since = v;
	}
	if (ev->nclients >= EVENTS_MAX_CLIENTS || (cl = calloc(1, sizeof(*cl))) == NULL) {
		struct evbuffer *b = evbuffer_new();
		evhttp_add_header(hdr, "Content-Type", "application/json");
		evhttp_add_header(hdr, "Retry-After", "5");
		if (b)
			evbuffer_add_printf(b,
			                    "{\"error\":\"too many event streams (at most %d)\"}\n",
			                    EVENTS_MAX_CLIENTS);
		evhttp_send_reply(req, 503, "Service Unavailable", b);
		if (b)
			evbuffer_free(b);
		return;
	}
	cl->ev = ev;
	cl->req = req;
	cl->conn = evhttp_request_get_connection(req);
	cl->seq = since;
	cl->next = ev->clients;
	ev->clients = cl;
	ev->nclients++;
	evhttp_add_header(hdr, "Content-Type", "text/event-stream");
	evhttp_add_header(hdr, "Cache-Control", "no-store");
	evhttp_add_header(hdr, "X-Content-Type-Options", "nosniff");
	evhttp_send_reply_start(req, 200, "OK");
	evhttp_connection_set_closecb(cl->conn, client_close_cb, cl);
	{
		/* a stream lives longer than the API's request timeout: only writes may time out */
		struct bufferevent *bev = evhttp_connection_get_bufferevent(cl->conn);
		struct timeval wt = {30, 0};
		if (bev)
			bufferevent_set_timeouts(bev, NULL, &wt);
	}
	if ((hello = evbuffer_new()) != NULL) {
		evbuffer_add_printf(hello,
		                    "retry: 2000\n: mxlabd query log, entries after %llu\n\n",
		                    (unsigned long long)since);
		evhttp_send_reply_chunk(req, hello);
		evbuffer_free(hello);
	}
	if (!evtimer_pending(ev->tick, NULL)) {
		struct timeval tv = {0, EVENTS_TICK_MS * 1000};
		evtimer_add(ev->tick, &tv);
	}
	client_push(ev, cl, false);
}
