/* server/control.h -- the HTTP control API (evhttp, JSON bodies) on a loopback address or a
   UNIX socket: status, stats, query log, fault rules, zones, reload. */
#ifndef MXLAB_CONTROL_H
#define MXLAB_CONTROL_H

#include <stddef.h>

struct srv;
struct control;

/* Serve the API for s on every spec ("ADDR:PORT", "[::1]:PORT" or "unix:PATH"; an address must
   be loopback): one API, several listeners. UNIX sockets get unix_mode (0600: the server's user
   only) whatever the umask. NULL with a message in err on failure. */
struct control *control_new(struct srv *s, char *const specs[], size_t nspecs, unsigned unix_mode,
                            char *err, size_t errlen);
/* Stop serving (removes the UNIX socket file). NULL-safe. */
void control_free(struct control *c);

struct evhttp_request;
struct json_t;
/* Answer req with code and the JSON j (taken over; NULL: no body), not to be cached: every
   JSON answer of the API and the dashboard goes out this way. */
/* The since=SEQ parameter of a request's query string into *since (left as it is when absent).
   0, or -1 when it is not a sequence number. */
int control_query_since(const char *query, unsigned long long *since);

void control_reply_json(struct evhttp_request *req, int code, const char *reason, struct json_t *j);

#endif
