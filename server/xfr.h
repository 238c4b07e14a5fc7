/* server/xfr.h -- zone transfers out (AXFR, and IXFR answered AXFR-style with the whole zone):
   who may transfer, and the stream of length-framed messages for one served zone. Pure: the
   TCP transport sends the stream as it is. */
#ifndef MXLAB_XFR_H
#define MXLAB_XFR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "server/msg.h"
#include "server/qlog.h"
#include "server/zone.h"

#define XFR_TYPE_IXFR 251
#define XFR_TYPE_AXFR 252
#define XFR_MSG_MAX   16384 /* bytes per message of a transfer (a larger record gets its own) */

/* Is q a zone transfer request (AXFR or IXFR, class IN)? */
bool xfr_is_request(const struct msg_query *q);

/* May client transfer zones? Loopback clients always; others when their address is one of
   allow[0..nallow) (port ignored). */
bool xfr_allowed(const struct sockaddr *client, const union qlog_addr *allow, size_t nallow);

/* The transfer of the zone whose apex is q's question name, from zs: the zone's SOA, every
   other record of the zone (delegations and glue included) in file order, the SOA again, in
   messages of at most XFR_MSG_MAX bytes, each with its 2-byte TCP length in front (ID, RD and
   the question of q in the first one; AA set). Written to *buf (grown with realloc, *cap its
   size). Returns the stream's length, 0 when q's name is no served zone's apex, -1 when out of
   memory. *nmsgs gets the number of messages. */
long xfr_build(const struct zoneset *zs, const struct msg_query *q, uint8_t **buf, size_t *cap,
               size_t *nmsgs);

/* Offset and length of message i of a stream built by xfr_build (after its 2-byte length);
   false past the end. */
bool xfr_message(const uint8_t *stream, size_t len, size_t i, size_t *off, size_t *mlen);

#endif
