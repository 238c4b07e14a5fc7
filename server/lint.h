/* server/lint.h -- static mail-DNS lint over the served data (mxlabd --check). */
#ifndef MXLAB_LINT_H
#define MXLAB_LINT_H

#include "common/diag.h"
#include "server/zone.h"

/* Walk every zone and report mail-DNS mistakes as file:line diagnostics with the code names
   mxcheck uses (mx-ip-literal, mx-cname, mx-host-nodata, null-mx-mixed, fcrdns-mismatch,
   cname-loop, ...). Returns the number of problems added. */
size_t lint_zoneset(const struct zoneset *zs, struct diag *d);

/* Warn (rule-no-zone, at the rule's file:line) about every fault rule whose name lies outside
   every served zone: it can never fire. Returns the number of warnings. */
struct fault_rules;
size_t lint_rules(const struct zoneset *zs, const struct fault_rules *fr, struct diag *d);

#endif
