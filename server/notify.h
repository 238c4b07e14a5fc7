/* server/notify.h -- NOTIFY (RFC 1996) to secondaries: when a reload or the control API
   changes a zone's serial (or adds a zone), every --notify target hears of it over UDP, so
   NSD, Knot or BIND secondaries transfer the new zone at once. */
#ifndef MXLAB_NOTIFY_H
#define MXLAB_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "server/qlog.h"
#include "server/zone.h"

#define NOTIFY_PORT_DEFAULT 53

/* Parse "ADDR" or "ADDR@PORT" (numeric IPv4 or IPv6; port default_port when not given) into
 *out. 0 ok, -1 with the reason in err. */
int notify_parse_target(const char *text, int default_port, union qlog_addr *out, char *err,
                        size_t errlen);

/* The NOTIFY message for zone origin (presentation form) with id into out: opcode NOTIFY, AA,
   the question ORIGIN SOA IN. Returns its length, 0 when origin is not a valid name or out is
   too small. */
size_t notify_build(const char *origin, uint16_t id, uint8_t *out, size_t cap);

struct notify;

/* Notifier sending to targets[0..n) (copied) from base's loop; NULL when out of memory. */
struct notify *notify_new(struct event_base *base, const union qlog_addr *targets, size_t n);
void notify_free(struct notify *nt);

/* Send NOTIFY to every target for each zone of now that before did not have, or had with
   another serial. before may be NULL (nothing is sent then: start-up is not a change).
   Returns how many messages went out. */
size_t notify_changes(struct notify *nt, const struct zoneset *before, const struct zoneset *now);

#endif
