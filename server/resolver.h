/* server/resolver.h -- configurations for real recursive resolvers (unbound, BIND, Knot
   Resolver) that make them use the world of mxlabd --world as their internet. */
#ifndef MXLAB_RESOLVER_H
#define MXLAB_RESOLVER_H

#include <stddef.h>

#include "server/world.h"
#include "server/zone.h"

/* Write the configuration spec names ("KIND=FILE", KIND unbound, bind or knot-resolver) for
   world w over the zones zs. hints is the --root-hints file (NULL: none was asked for; the
   configuration then carries the hints itself or beside it). 0, or -1 with err. */
int resolver_conf_write(const char *spec, const struct world *w, const struct zoneset *zs,
                        const char *hints, char *err, size_t errlen);

/* Is spec a valid "KIND=FILE"? 0, or -1 with err (for the command line). */
int resolver_conf_check(const char *spec, char *err, size_t errlen);

#endif
