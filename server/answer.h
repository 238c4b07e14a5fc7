/* server/answer.h -- building responses from the zone store (pure: bytes in, bytes out). */
#ifndef MXLAB_ANSWER_H
#define MXLAB_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/msg.h"
#include "server/view.h"
#include "server/zone.h"

#define ANSWER_MAX 65535

struct answer_meta {
	uint8_t rcode;    /* rcode of the response (extended rcodes: full 12-bit value) */
	bool aa;          /* AA set */
	bool tc;          /* TC set */
	uint16_t ancount; /* records in answer */
	uint16_t nscount; /* records in authority */
	uint16_t arcount; /* records in additional, OPT included */
};

/* The correct authoritative answer to q. limit is the largest message the transport allows
   (UDP: q->edns ? max(512, edns_size) : 512; TCP: 65535); RRsets that do not fit whole are
   left out and TC set as RFC 2181 asks. Writes into out (cap >= limit), returns the length, 0
   on failure. */
size_t answer_build(const struct zoneset *zs, const struct msg_query *q, size_t limit, uint8_t *out,
                    size_t cap, struct answer_meta *meta);

/* A response with only the header, the question (when q has one) and OPT (when q had EDNS):
   used for FORMERR, NOTIMP, BADVERS and the rcode=/truncate faults. aa and tc set those bits.
   rcode NXDOMAIN also carries the SOA of the enclosing served zone, if any. */
size_t answer_empty(const struct zoneset *zs, const struct msg_query *q, uint16_t rcode, bool aa,
                    bool tc, uint8_t *out, size_t cap, struct answer_meta *meta);

/* The same as a server serving only the zones of view would answer (world mode): the deepest
   zone of the view answers, CNAMEs are followed and additional data found only within the
   view, names outside it are REFUSED. A NULL view is answer_build/answer_empty. */
size_t answer_build_view(const struct zoneset *zs, const struct view *view,
                         const struct msg_query *q, size_t limit, uint8_t *out, size_t cap,
                         struct answer_meta *meta);
size_t answer_empty_view(const struct zoneset *zs, const struct view *view,
                         const struct msg_query *q, uint16_t rcode, bool aa, bool tc, uint8_t *out,
                         size_t cap, struct answer_meta *meta);

#endif
