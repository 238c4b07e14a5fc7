/* server/world_lint.h -- the delegation lint of mxlabd --check --world: is the tree of the
   served zones one a resolver can walk from the root to every zone? */
#ifndef MXLAB_WORLD_LINT_H
#define MXLAB_WORLD_LINT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/diag.h"
#include "server/zone.h"

/* Check every delegation of zs (finished) as world mode derives its servers, findings to d
   with file:line and a code: lame-delegation, delegation-missing, ns-no-address, glue-missing
   (in-bailiwick or sibling NS without glue in the parent), glue-mismatch, ns-mismatch,
   ns-cname, ns-not-servable (a server address neither loopback nor allowed by
   allow_nonlocal). Per-server copies are not linted as zones of their own. Returns the
   number of findings. */
size_t world_lint(const struct zoneset *zs, bool allow_nonlocal, struct diag *d);

#endif
