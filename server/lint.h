/* server/lint.h -- static mail-DNS lint over the served data (mxlabd --check). */
#ifndef MXLAB_LINT_H
#define MXLAB_LINT_H

#include "common/diag.h"
#include "server/zone.h"

/* Walk every zone and report mail-DNS mistakes as file:line diagnostics with the code names
   mxcheck uses (mx-ip-literal, mx-cname, mx-host-nodata, null-mx-mixed, fcrdns-mismatch,
   cname-loop, ...). Returns the number of problems added. */
size_t lint_zoneset(const struct zoneset *zs, struct diag *d);

#endif
