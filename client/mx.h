/* client/mx.h -- domain mode: where a correct sending MTA delivers mail (RFC 5321 §5.1). */
#ifndef MXCHECK_MX_H
#define MXCHECK_MX_H

#include <stddef.h>
#include <stdint.h>

#include "client/check.h"
#include "client/lookup.h"

/* Strip "user@", lower-case, IDNA to A-labels, validate, make absolute. 0, or -1 with err. */
int mx_normalise(const char *target, char *out, size_t len, char *err, size_t errlen);
/* Sort routes by preference (unsigned 16 bit, lowest first) and shuffle each group of equal
   preferences with a Fisher-Yates shuffle driven by seed. */
void mx_sort_routes(struct check_route *routes, size_t n, uint64_t seed);
/* Check a mail domain (or user@domain). NULL with err when the target is unusable (usage
   error); otherwise a result (never NULL). */
struct check_result *mx_check(struct lookup *lk, const char *target,
                              const struct check_options *opt, char *err, size_t errlen);

#endif
