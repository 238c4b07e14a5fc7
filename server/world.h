/* server/world.h -- world mode: every authoritative server of the served zones at once. Which
   addresses serve which zones (derived from the zones' own apex NS records and the addresses
   of those names), the root above them (synthesized when no "." zone is served), root hints,
   and the per-address views the answer builder reads. Pure: no sockets. */
#ifndef MXLAB_WORLD_H
#define MXLAB_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/diag.h"
#include "server/qlog.h"
#include "server/view.h"
#include "server/zone.h"

#define WORLD_ROOT_ADDR_DEFAULT "127.53.0.1"
#define WORLD_ROOT_NAME_SUFFIX  "root.mxlab." /* the synthesized root's NS names live here */
#define WORLD_HOST_MAX          64            /* numeric address with its NUL */

/* What a server does with the packets sent to it. */
enum world_state {
	WORLD_UP,     /* answers */
	WORLD_SILENT, /* bound, but drops every query (a dead server: resolvers time out) */
	WORLD_CLOSED, /* not bound: packets meet a closed port (ICMP unreachable, TCP RST) */
};

/* One authoritative server: an address and the zones it serves. */
struct world_server {
	char host[WORLD_HOST_MAX]; /* numeric address as inet_ntop writes it */
	union qlog_addr addr;      /* the same address, port 0 (the lookup key) */
	char **names;              /* NS names it is known by (lower case, trailing dot); owned */
	size_t nnames;             /* entries in names */
	struct view view;          /* zones served here (indexes into the zone set); owned */
	bool root;                 /* the synthesized root server: answers from world_root() */
	enum world_state state;    /* up, silent or closed (see world_set_state) */
};

struct world; /* the servers of one zone set; rebuilt with it on every reload */

/* Derive the servers of zs (finished; not owned, must outlive the world) and, when zs has no
   "." zone, synthesize the root served at root_addrs (numeric; NULL/0: the default address).
   Problems (an NS name without address, a bad root address) go to d. NULL only when out of
   memory or a root address is invalid. */
struct world *world_new(const struct zoneset *zs, const char *const *root_addrs, size_t nroot,
                        struct diag *d);
void world_free(struct world *w);
/* A number no other world of this process has had (what the answer cache keys by). */
uint64_t world_gen(const struct world *w);

size_t world_count(const struct world *w);
struct world_server *world_server_at(struct world *w, size_t i);
const struct world_server *world_server_get(const struct world *w, size_t i);
/* The server at address sa (any port), NULL when the address serves nothing in this world. */
struct world_server *world_find(const struct world *w, const struct sockaddr *sa);
/* The server at numeric address host, NULL when none (or host is not an address). */
struct world_server *world_find_host(const struct world *w, const char *host);
/* Does NS name (any case, trailing dot optional) name server s? */
bool world_server_named(const struct world_server *s, const char *name);

/* The zone set holding the synthesized root zone; NULL when a "." zone is served. */
const struct zoneset *world_root(const struct world *w);
/* The same, to change (--sign adds the DS of the top zones and signs it). */
struct zoneset *world_root_zones(struct world *w);

/* Set the state of every server whose address or NS name is target; returns how many. */
size_t world_set_state(struct world *w, const char *target, enum world_state st);
const char *world_state_name(enum world_state st);
/* "up", "silent", "closed" -> state; -1 when none of them. */
int world_state_parse(const char *s);

/* The root hints (named.root format: ". 3600000 NS name" and each name's A/AAAA) to fp. */
void world_write_hints(const struct world *w, FILE *fp);

/* The addresses of an NS name (lower-cased wire form) as world mode derives them: its A/AAAA
   in the served zone authoritative for it (data at or below a cut of that zone does not
   count), else the glue for it at any delegation in zs. Up to max into out; returns how many
   there are. */
size_t world_name_addrs(const struct zoneset *zs, const uint8_t *name, size_t len,
                        union qlog_addr *out, size_t max);

#endif
