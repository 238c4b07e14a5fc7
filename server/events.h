/* server/events.h -- GET /events: the query log pushed to browsers as server-sent events, each
   new entry one event, with bounded buffering per client (a slow client is dropped). */
#ifndef MXLAB_EVENTS_H
#define MXLAB_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>

#include "server/qlog.h"

#define EVENTS_MAX_CLIENTS  64         /* streams served at once; more get 503 */
#define EVENTS_MAX_BUFFERED (1u << 20) /* bytes queued for one client before it is dropped */
#define EVENTS_BATCH        2000       /* entries sent to one client per tick at most */
#define EVENTS_TICK_MS      100        /* how often new entries are looked for */

struct events;

/* Push entries of ql (which must outlive it) from base's loop. NULL when out of memory. */
struct events *events_new(struct event_base *base, const struct qlog *ql);
/* Ends every stream. NULL-safe. */
void events_free(struct events *ev);

/* Answer req with an event stream of the entries after since (the Last-Event-ID header, when
   present, wins: a reconnecting browser resumes where it was). */
void events_serve(struct events *ev, struct evhttp_request *req, uint64_t since);

/* Streams open now. */
size_t events_clients(const struct events *ev);

/* One entry as an SSE event ("id: SEQ\ndata: JSON\n\n") into buf; the length it needed
   (snprintf style). */
size_t events_format(const struct qlog_entry *e, char *buf, size_t len);

#endif
