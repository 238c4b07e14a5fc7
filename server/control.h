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

#endif
