/* server/resolver.h -- configurations for real recursive resolvers (unbound, BIND, Knot
   Resolver) that make them use the world of mxlabd --world as their internet. */
#ifndef MXLAB_RESOLVER_H
#define MXLAB_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "server/world.h"
#include "server/zone.h"

enum resolver_kind {
	RESOLVER_UNBOUND,
	RESOLVER_BIND,
	RESOLVER_KNOT,
};

/* What the text of a configuration depends on besides the world. */
struct resolver_opts {
	const char *hints;    /* root hints file the config names (absolute or as given) */
	const char *anchor;   /* trust anchor file (DS lines), NULL: no DNSSEC validation */
	const char *dir;      /* directory for the resolver's own files (cache, pid) */
	bool unbound_discard; /* the installed unbound knows discard-timeout and wait-limit */
	bool hints_beside;    /* hints were written beside the config (no --root-hints) */
};

/* Write the configuration spec names ("KIND=FILE", KIND unbound, bind or knot-resolver) for
   world w over the zones zs. hints is the --root-hints file (NULL: none was asked for; the
   hints are then written beside the configuration, as FILE.hints). anchor is the trust anchor
   file when the zones are signed (NULL: no validation). 0, or -1 with err. */
int resolver_conf_write(const char *spec, const struct world *w, const struct zoneset *zs,
                        const char *hints, const char *anchor, char *err, size_t errlen);

/* The configuration text of kind for the zones zs with opts, to fp (pure: what
   resolver_conf_write puts in the file, and what the unit tests read). */
void resolver_conf_print(enum resolver_kind kind, const struct zoneset *zs,
                         const struct resolver_opts *opts, FILE *fp);

/* Is spec a valid "KIND=FILE"? 0, or -1 with err (for the command line). */
int resolver_conf_check(const char *spec, char *err, size_t errlen);

/* KIND of "KIND=FILE" or a bare kind name; -1 when unknown. */
int resolver_kind_parse(const char *s, size_t len);

/* The built-in local (empty) zones of unbound that hide served data: every one at or above,
   or below, a served zone, once each, in table order. Calls fn for each; returns how many. */
size_t resolver_builtin_hiding(const struct zoneset *zs, void (*fn)(const char *zone, void *arg),
                               void *arg);

#endif
