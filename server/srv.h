/* server/srv.h -- daemon glue: what to load (zones, rules) from the command line, loading it
   all-or-nothing into new objects, and the running server (event loop, signals, reload). */
#ifndef MXLAB_SRV_H
#define MXLAB_SRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <event2/event.h>

#include "common/diag.h"
#include "server/fault.h"
#include "server/net.h"
#include "server/qlog.h"
#include "server/sign.h"
#include "server/query.h"
#include "server/zone.h"

#define MXLABD_VERSION "0.1.0"

enum srv_source_kind {
	SRV_SRC_DIR,    /* -z DIR: DIR/ *.zone in sorted order, then DIR/faults.conf if present */
	SRV_SRC_ZONE,   /* a zone file argument */
	SRV_SRC_FAULTS, /* -f FILE */
};

struct srv_source {
	enum srv_source_kind kind; /* what path is */
	char *path;                /* file or directory; owned */
};

/* Everything the command line asked for. */
struct srv_conf {
	struct srv_source *src; /* sources in command-line order; owned */
	size_t nsrc;            /* entries in src */
	struct net_addr *addrs; /* listen addresses; owned */
	size_t naddrs;          /* entries in addrs */
	int port;               /* -p (0: pick a free one) */
	char *port_file;        /* --port-file; owned, NULL when none */
	char **control;         /* --control ADDR:PORT or unix:PATH, one listener each; owned */
	size_t ncontrol;        /* entries in control (0: no control API) */
	unsigned control_mode;  /* --control-mode: permissions of UNIX control sockets (0600) */
	char *query_log;        /* --query-log FILE or "-"; owned, NULL when none */
	int query_log_format;   /* --query-log-format: enum qlog_out_format */
	uint64_t seed;          /* --seed for the fault rules' PRNG */
	int verbose;            /* -v count */
	bool check;             /* --check */
	bool allow_nonlocal;    /* --allow-nonlocal */
	bool world;             /* --world: every server of the zones, a root above them */
	char **root_addrs;      /* --root-addr (numeric); owned, each owned */
	size_t nroot_addrs;     /* entries in root_addrs */
	char *root_hints;       /* --root-hints FILE, written once ready; owned, NULL none */
	char **closed;          /* --closed ADDR|NAME; owned, each owned */
	size_t nclosed;         /* entries in closed */
	char **resolver_conf;   /* --resolver-config KIND=FILE; owned, each owned */
	size_t nresolver_conf;  /* entries in resolver_conf */
	union qlog_addr *allow_transfer; /* --allow-transfer: non-loopback clients that may
	                                    transfer zones (port unused); owned */
	size_t nallow_transfer;          /* entries in allow_transfer */
	union qlog_addr *notify;         /* --notify: secondaries told of changed zones; owned */
	size_t nnotify;                  /* entries in notify */
	struct signer *signer; /* --sign: settings and keys (sign.h); owned, NULL without --sign */
	char *trust_anchor;    /* --trust-anchor FILE; owned, NULL when none */
	char *dump_zones;      /* --dump-zones DIR; owned, NULL when none */
};

/* Append a copy of str to the list *v of *n strings. 0, or -1 when out of memory. */
int srv_conf_add_str(char ***v, size_t *n, const char *str);

void srv_conf_init(struct srv_conf *c);
void srv_conf_free(struct srv_conf *c);
int srv_conf_add_source(struct srv_conf *c, enum srv_source_kind kind, const char *path);
int srv_conf_add_addr(struct srv_conf *c, const char *host, bool optional);
/* Append a to *v (*n entries); 0 ok, -1 out of memory. */
int srv_conf_add_qaddr(union qlog_addr **v, size_t *n, const union qlog_addr *a);
/* Add a --control listener spec. 0, -1 when out of memory. */
int srv_conf_add_control(struct srv_conf *c, const char *spec);

/* Is host (numeric IPv4/IPv6) a loopback address? -1 when it is not an address at all. */
int srv_addr_is_loopback(const char *host);

/* Load every source of c into new objects (*zsp, *frp). Every problem goes to d as file:line.
   Returns 0 when all of it loaded (the objects are then the caller's), -1 otherwise (nothing
   returned, everything freed). */
int srv_load(const struct srv_conf *c, struct zoneset **zsp, struct fault_rules **frp,
             struct diag *d);

/* How a set was built: zones read (files parsed, zone text of PUT) and zones shared unchanged
   with the set served before (no file read, no copy). */
struct srv_build_counts {
	size_t read;   /* zones read */
	size_t shared; /* zones shared with the set served before */
};

/* srv_load for a reload: a zone file whose files are all unchanged since old read them
   (zstamp.h) is shared with old instead of read again, except with --sign (signing again
   gives fresh signatures and the parents' DS). old may be NULL; counts may be NULL. */
int srv_load_from(const struct srv_conf *c, const struct zoneset *old, struct zoneset **zsp,
                  struct fault_rules **frp, struct srv_build_counts *counts, struct diag *d);

/* Add "file:line: message" (as fault_rules_* report it) to d as an error. */
void srv_diag_add_msg(struct diag *d, const char *msg);

/* The directory of the bundled catalog: <dir of the executable>/../zones when it exists (source
   tree), else MXLAB_DATADIR/zones. */
void srv_default_zone_dir(char *buf, size_t len);

struct buildq;
struct control;
struct notify;

/* A server state set by --closed or the control API, re-applied to every rebuilt world. */
struct srv_state {
	char target[1025];      /* numeric address or NS name */
	enum world_state state; /* what it is set to */
};

/* The running server. */
struct srv {
	struct srv_conf *conf;    /* command line; not owned */
	struct event_base *base;  /* event loop; owned */
	struct net *net;          /* transports; owned */
	struct control *control;  /* control API; owned, NULL without --control */
	struct notify *notify;    /* NOTIFY to --notify secondaries; owned */
	struct query_ctx ctx;     /* zones, rules, log, stats queries use; zs/rules owned */
	struct qlog *qlog;        /* query log ring; owned */
	struct qlogw *qlogw;      /* --query-log writer (non-blocking); owned, NULL when none */
	struct event *sig_hup;    /* SIGHUP: reload; owned */
	struct event *sig_term;   /* SIGTERM: stop; owned */
	struct event *sig_int;    /* SIGINT: stop; owned */
	struct timespec started;  /* monotonic start time (uptime) */
	int port;                 /* port bound */
	bool listening;           /* srv_run bound the listeners (reloads rebind from then on) */
	struct srv_state *states; /* server states in the order set; owned */
	struct buildq *buildq;    /* reloads and zone changes built off the loop; owned */
	struct buildq *freeq;     /* sets no longer served, freed off the loop; owned, NULL:
	                             freed on the loop */
	struct srv_build_counts last_build; /* zones read and shared by the last build served */
	size_t nstates;                     /* entries in states */
};

/* Build the running server from c and data already loaded (taken over). NULL + err on error. */
struct srv *srv_new(struct srv_conf *c, struct zoneset *zs, struct fault_rules *fr, char *err,
                    size_t errlen);
/* Listen, announce readiness (ready line, port file), run until SIGTERM/SIGINT. Returns the
   exit status. */
int srv_run(struct srv *s);
void srv_free(struct srv *s);

/* Reloads and zone changes are built off the event loop (server/srv_build.c), one at a time
   in the order asked; done is told the outcome on the loop: 0 when the new data is served,
   -1 with "name:line: message" in err when nothing served changed, SRV_CANCELLED when the
   server stopped first (then only release arg). */
#define SRV_CANCELLED   (-2)
#define SRV_BUILD_QUEUE 8 /* reloads and zone changes running or waiting at most */
typedef void (*srv_done_fn)(struct srv *s, int rc, const char *err, void *arg);

/* Each returns 0 when queued (done is called once, later), -1 with err when not (busy:
   SRV_BUILD_QUEUE already queued, or out of memory; done is not called). */
/* Reload everything from the configured sources; keeps the old data when anything fails. */
int srv_reload(struct srv *s, srv_done_fn done, void *arg, char *err, size_t errlen);
/* Add or replace zone origin from text (taken over in every case). */
int srv_zone_put(struct srv *s, const char *origin, char *text, srv_done_fn done, void *arg,
                 char *err, size_t errlen);
/* Drop zone origin ("no zone ORIGIN is served" when it is not). */
int srv_zone_delete(struct srv *s, const char *origin, srv_done_fn done, void *arg, char *err,
                    size_t errlen);
/* A done for srv_reload that only logs the outcome (SIGHUP). */
void srv_reload_logged_cb(struct srv *s, int rc, const char *err, void *arg);

/* For srv_build.c, on the loop: serve zs and world w (both taken over; w NULL outside world
   mode) instead of what is served, the server states applied to w and its listeners bound
   first. 0, or -1 with err and nothing changed (zs and w freed). */
int srv_swap_zones(struct srv *s, struct zoneset *zs, struct world *w, char *err, size_t errlen);
/* --root-hints and --resolver-config files, written once ready and after each reload. */
int srv_write_world_files(struct srv *s);

/* Control API operations: each builds new data and swaps it in only when all of it is valid;
   0 ok, -1 with "name:line: message" in err (nothing served changes). */
int srv_faults_append(struct srv *s, const char *text, char *err, size_t errlen);
int srv_faults_replace(struct srv *s, const char *text, char *err, size_t errlen);
void srv_faults_clear(struct srv *s);
/* World mode: set every server at address or with NS name target up, silent or closed, at
   once and for every later reload. 0, or -1 with err (no such server, a bind failed). */
int srv_server_set(struct srv *s, const char *target, enum world_state st, char *err,
                   size_t errlen);

/* --sign: sign the zones of zs (finished) that need it, then write the trust anchor and, with
   --dump-zones, the signed zones. 0, or -1 with the problems in d. Safe off the event loop. */
int srv_sign(const struct srv_conf *c, struct zoneset *zs, struct diag *d);

/* World mode: the servers of zs with the configured root and server states applied, checked
   against --allow-nonlocal. NULL with the problems in d. */
struct world *srv_world_build(const struct srv_conf *c, const struct zoneset *zs,
                              const struct srv_state *states, size_t nstates, struct diag *d);

#endif
