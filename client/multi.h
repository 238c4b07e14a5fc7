/* client/multi.h -- many targets at once (-j N): up to N checks run concurrently on one
   libevent event loop, each in its own coroutine with its own lookup, and their results are
   handed back in input order. */
#ifndef MXCHECK_MULTI_H
#define MXCHECK_MULTI_H

#include <stdbool.h>
#include <stddef.h>

#include "client/check.h"
#include "client/lookup.h"

#define MULTI_MAX_JOBS 1024 /* -j at most */

/* What the caller supplies (not owned by multi). */
struct multi_config {
	size_t jobs;                /* checks at once, 1..MULTI_MAX_JOBS */
	const char *const *targets; /* targets in input order (not owned) */
	size_t ntargets;            /* entries in targets */
	/* A fresh lookup for one concurrent slot (lookup_net_new or a fake); NULL with err set. */
	struct lookup *(*new_lookup)(void *ud, char *err, size_t errlen);
	/* Run one check on lk (mx_check or rdns_check); NULL with err set on a bad target. */
	struct check_result *(*check)(void *ud, struct lookup *lk, const char *target, char *err,
	                              size_t errlen);
	/* Called in input order with each result (r NULL: err says why); takes ownership of r. */
	void (*deliver)(void *ud, size_t index, struct check_result *r, const char *err);
	/* Called about 4 times a second while checks run (done so far, total, elapsed ms);
	   NULL for none. */
	void (*progress)(void *ud, size_t done, size_t total, double elapsed_ms);
	void *ud; /* argument of the callbacks */
};

/* Run every target. Returns 0, or -1 with err set when the event loop, a stack or a lookup
   could not be made (nothing was checked then). */
int multi_run(const struct multi_config *cfg, char *err, size_t errlen);

#endif
