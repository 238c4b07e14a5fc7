/* server/dnsfault.h -- the DNSSEC fault actions on a built answer: RRSIGs re-signed over
   altered data or validity (with the keys of --sign, so a validator fails for exactly that
   reason), RRSIGs or denial records left out, DS records that no longer match. Pure: bytes in,
   bytes out. */
#ifndef MXLAB_DNSFAULT_H
#define MXLAB_DNSFAULT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "server/fault.h"

struct signer;

#define DNSFAULT_SHIFT (7 * 24 * 3600) /* rrsig-expired / rrsig-future: 7 days off */

/* Apply DNSSEC action a to the answer in buf (len bytes, room for cap), as of now. sg holds
   the keys that re-sign (NULL or a zone it did not sign: the validity or data is altered and
   the old signature kept, so it is bogus all the same). Returns the new length (the answer
   unchanged when it cannot be parsed or would not fit). */
size_t dnsfault_apply(struct signer *sg, enum fault_action a, uint8_t *buf, size_t len, size_t cap,
                      time_t now);

#endif
