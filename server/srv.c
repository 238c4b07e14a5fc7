/* server/srv.c -- daemon glue: loading zones and fault rules all-or-nothing, the running server
   (event loop, signals, reload, readiness line). */
#include "server/srv.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/file.h"
#include "common/log.h"
#include "server/acache.h"
#include "server/buildq.h"
#include "server/control.h"
#include "server/notify.h"
#include "server/resolver.h"
#include "server/qlog.h"
#include "server/qlogw.h"
#include "server/query.h"
#include "server/zstamp.h"

#ifndef MXLAB_DATADIR
#define MXLAB_DATADIR "/usr/local/share/mxlab"
#endif

void
srv_conf_init(struct srv_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->port = 5300;
	c->seed = 1;
	c->control_mode = 0600;
}

void
srv_conf_free(struct srv_conf *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nsrc; i++)
		free(c->src[i].path);
	free(c->src);
	free(c->addrs);
	free(c->port_file);
	for (size_t i = 0; i < c->ncontrol; i++)
		free(c->control[i]);
	free(c->control);
	free(c->query_log);
	free(c->allow_transfer);
	free(c->notify);
	signer_free(c->signer);
	free(c->trust_anchor);
	free(c->dump_zones);
	for (size_t i = 0; i < c->nroot_addrs; i++)
		free(c->root_addrs[i]);
	free(c->root_addrs);
	free(c->root_hints);
	for (size_t i = 0; i < c->nclosed; i++)
		free(c->closed[i]);
	free(c->closed);
	for (size_t i = 0; i < c->nresolver_conf; i++)
		free(c->resolver_conf[i]);
	free(c->resolver_conf);
	memset(c, 0, sizeof(*c));
}

int
srv_conf_add_qaddr(union qlog_addr **v, size_t *n, const union qlog_addr *a)
{
	union qlog_addr *p = realloc(*v, (*n + 1) * sizeof(*p));

	if (p == NULL)
		return -1;
	p[(*n)++] = *a;
	*v = p;
	return 0;
}

int
srv_conf_add_str(char ***v, size_t *n, const char *str)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (nv == NULL)
		return -1;
	*v = nv;
	if ((nv[*n] = strdup(str)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

int
srv_conf_add_source(struct srv_conf *c, enum srv_source_kind kind, const char *path)
{
	struct srv_source *v = realloc(c->src, (c->nsrc + 1) * sizeof(*v));

	if (v == NULL)
		return -1;
	c->src = v;
	v[c->nsrc].kind = kind;
	v[c->nsrc].path = strdup(path);
	if (v[c->nsrc].path == NULL)
		return -1;
	c->nsrc++;
	return 0;
}

int
srv_conf_add_control(struct srv_conf *c, const char *spec)
{
	char **v = realloc(c->control, (c->ncontrol + 1) * sizeof(*v));

	if (v == NULL)
		return -1;
	c->control = v;
	if ((v[c->ncontrol] = strdup(spec)) == NULL)
		return -1;
	c->ncontrol++;
	return 0;
}

int
srv_conf_add_addr(struct srv_conf *c, const char *host, bool optional)
{
	struct net_addr *v;

	if (strlen(host) >= sizeof(v->host))
		return -1;
	v = realloc(c->addrs, (c->naddrs + 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	c->addrs = v;
	snprintf(v[c->naddrs].host, sizeof(v->host), "%s", host);
	v[c->naddrs].optional = optional;
	c->naddrs++;
	return 0;
}

int
srv_addr_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1) {
		if (IN6_IS_ADDR_LOOPBACK(&a6))
			return 1;
		if (IN6_IS_ADDR_V4MAPPED(&a6))
			return a6.s6_addr[12] == 127;
		return 0;
	}
	return -1;
}

void
srv_diag_add_msg(struct diag *d, const char *msg)
{
	/* find the first ":<digits>: " -- file names before it, the message after it */
	for (const char *p = strchr(msg, ':'); p; p = strchr(p + 1, ':')) {
		const char *q = p + 1;
		unsigned long line = 0;
		if (!isdigit((unsigned char)*q))
			continue;
		while (isdigit((unsigned char)*q))
			line = line * 10 + (unsigned long)(*q++ - '0');
		if (q[0] == ':' && q[1] == ' ') {
			char file[256];
			size_t flen = (size_t)(p - msg);
			if (flen >= sizeof(file))
				flen = sizeof(file) - 1;
			memcpy(file, msg, flen);
			file[flen] = '\0';
			diag_add(d, DIAG_ERROR, file, line, NULL, "%s", q + 2);
			return;
		}
	}
	diag_add(d, DIAG_ERROR, NULL, 0, NULL, "%s", msg);
}

void
srv_default_zone_dir(char *buf, size_t len)
{
	char dir[PATH_MAX], probe[PATH_MAX + 32], real[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	struct stat st;

	/* Running from a source tree (bin/ or build/asan/bin/): the nearest ancestor of the
	   executable's directory that holds zones/catalog.tsv. Installed: the data directory. */
	if (n > 0) {
		dir[n] = '\0';
		for (int up = 0; up < 4; up++) {
			char *slash = strrchr(dir, '/');
			if (slash == NULL || slash == dir)
				break;
			*slash = '\0';
			snprintf(probe, sizeof(probe), "%s/zones/catalog.tsv", dir);
			if (stat(probe, &st) == 0 && S_ISREG(st.st_mode)) {
				snprintf(probe, sizeof(probe), "%s/zones", dir);
				if (realpath(probe, real) != NULL)
					snprintf(buf, len, "%s", real);
				else
					snprintf(buf, len, "%s", probe);
				return;
			}
		}
	}
	snprintf(buf, len, "%s/zones", MXLAB_DATADIR);
}

static int
load_rules_file(struct fault_rules *fr, const char *path, struct diag *d)
{
	char err[1024];

	if (fault_rules_load(fr, path, err, sizeof(err)) < 0) {
		/* nothing is loaded; report every bad line, not just the first */
		if (fault_rules_check_file(path, d) == 0)
			srv_diag_add_msg(d, err);
		return -1;
	}
	return 0;
}

/* Is path a per-server copy, "ORIGIN@ADDR.zone"? 1 with the address in buf, 0 when not, -1
   when the part after '@' is not a numeric address. */
static int
server_copy_name(const char *path, char *buf, size_t len)
{
	const char *base = strrchr(path, '/'), *at, *dot;
	size_t n;

	base = base ? base + 1 : path;
	if ((at = strrchr(base, '@')) == NULL)
		return 0;
	dot = strstr(at, ".zone");
	n = dot ? (size_t)(dot - at - 1) : 0;
	if (n == 0 || n >= len)
		return -1;
	memcpy(buf, at + 1, n);
	buf[n] = '\0';
	return srv_addr_is_loopback(buf) < 0 ? -1 : 1;
}

/* Where srv_load_from takes unchanged zones from, and what it counts. */
struct load_ctx {
	const struct zoneset *old;      /* set served now (reload), NULL: read every file */
	struct srv_build_counts counts; /* zones read and shared so far */
};

/* Zone file path (world mode: the copy for server, "" for the zone itself) into zs: shared
   with lc->old when its files are unchanged since it was read there, else read and stamped. */
static int
load_zone_file(struct zoneset *zs, struct load_ctx *lc, const char *path, const char *server,
               struct diag *d)
{
	struct timespec since;

	for (size_t i = 0; lc->old != NULL && i < zoneset_count(lc->old); i++) {
		struct zone_info zi;
		zoneset_info(lc->old, i, &zi);
		if (strcmp(zi.file, path) != 0 || strcmp(zoneset_server(lc->old, i), server) != 0 ||
		    !zstamp_unchanged(lc->old, i))
			continue;
		if (zoneset_add_shared(zs, lc->old, i, d) < 0)
			return -1;
		lc->counts.shared++;
		return 0;
	}
	clock_gettime(CLOCK_REALTIME, &since);
	if (zoneset_add_file(zs, path, d) < 0)
		return -1;
	zoneset_set_server(zs, zoneset_count(zs) - 1, server);
	zstamp_take(zs, zoneset_count(zs) - 1, &since);
	lc->counts.read++;
	return 0;
}

static int
load_dir(struct zoneset *zs, struct load_ctx *lc, struct fault_rules *fr, const char *dir,
         bool world, struct diag *d)
{
	char pattern[PATH_MAX], faults[PATH_MAX];
	struct stat st;
	glob_t g;
	int rc = 0, gr;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		diag_add(d, DIAG_ERROR, dir, 0, NULL, "not a readable directory: %s",
		         stat(dir, &st) < 0 ? strerror(errno) : "not a directory");
		return -1;
	}
	snprintf(pattern, sizeof(pattern), "%s/*.zone", dir);
	memset(&g, 0, sizeof(g));
	gr = glob(pattern, 0, NULL, &g); /* glob sorts the names */
	if (gr == GLOB_NOMATCH) {
		diag_add(d, DIAG_WARNING, dir, 0, NULL, "no *.zone files in this directory");
	} else if (gr != 0) {
		diag_add(d, DIAG_ERROR, dir, 0, NULL, "cannot list *.zone files");
		rc = -1;
	} else {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			char server[64];
			int copy = server_copy_name(g.gl_pathv[i], server, sizeof(server));
			if (copy < 0) {
				diag_add(d, DIAG_ERROR, g.gl_pathv[i], 0, NULL,
				         "a per-server zone file is named ORIGIN@ADDR.zone with a "
				         "numeric ADDR");
				rc = -1;
				continue;
			}
			if (copy > 0 && !world)
				continue; /* another server's copy: only world mode has servers */
			if (load_zone_file(zs, lc, g.gl_pathv[i], copy > 0 ? server : "", d) < 0)
				rc = -1;
		}
	}
	globfree(&g);
	snprintf(faults, sizeof(faults), "%s/faults.conf", dir);
	if (access(faults, F_OK) == 0 && load_rules_file(fr, faults, d) < 0)
		rc = -1;
	return rc;
}

/* --sign: sign the zones that need it, then write the trust anchor and the signed zones
   (not for --check). */
int
srv_sign(const struct srv_conf *c, struct zoneset *zs, struct diag *d)
{
	char err[1024];

	if (signer_sign(c->signer, zs, time(NULL), d) < 0)
		return -1;
	if (c->check)
		return 0;
	/* world mode writes the root's DS once the root is made (srv_world_build) */
	if (c->trust_anchor && !c->world &&
	    signer_write_trust_anchor(c->signer, zs, c->trust_anchor, err, sizeof(err)) < 0) {
		diag_add(d, DIAG_ERROR, NULL, 0, NULL, "--trust-anchor: %s", err);
		return -1;
	}
	if (c->dump_zones && sign_dump_zones(zs, c->dump_zones, err, sizeof(err)) < 0) {
		diag_add(d, DIAG_ERROR, NULL, 0, NULL, "--dump-zones: %s", err);
		return -1;
	}
	return 0;
}

int
srv_load(const struct srv_conf *c, struct zoneset **zsp, struct fault_rules **frp, struct diag *d)
{
	return srv_load_from(c, NULL, zsp, frp, NULL, d);
}

int
srv_load_from(const struct srv_conf *c, const struct zoneset *old, struct zoneset **zsp,
              struct fault_rules **frp, struct srv_build_counts *counts, struct diag *d)
{
	struct zoneset *zs = zoneset_new();
	struct fault_rules *fr = fault_rules_new(c->seed);
	/* signing again is what a reload does to signed zones (fresh signatures, DS) */
	struct load_ctx lc = {.old = c->signer ? NULL : old};
	int rc = 0;

	*zsp = NULL;
	*frp = NULL;
	if (zs == NULL || fr == NULL) {
		diag_add(d, DIAG_ERROR, NULL, 0, NULL, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < c->nsrc; i++) {
		const struct srv_source *s = &c->src[i];
		switch (s->kind) {
		case SRV_SRC_DIR:
			if (load_dir(zs, &lc, fr, s->path, c->world, d) < 0)
				rc = -1;
			break;
		case SRV_SRC_ZONE:
			if (load_zone_file(zs, &lc, s->path, "", d) < 0)
				rc = -1;
			break;
		case SRV_SRC_FAULTS:
			if (load_rules_file(fr, s->path, d) < 0)
				rc = -1;
			break;
		}
	}
	if (c->ncontrol)
		zoneset_allow_empty(zs); /* zones may all come through PUT /zones */
	if (zoneset_finish(zs, d) < 0)
		rc = -1;
	if (rc == 0 && d->errors == 0 && c->signer && srv_sign(c, zs, d) < 0)
		rc = -1;
	if (rc < 0 || d->errors > 0)
		goto fail;
	*zsp = zs;
	*frp = fr;
	if (counts != NULL)
		*counts = lc.counts;
	return 0;
fail:
	zoneset_free(zs);
	fault_rules_free(fr);
	return -1;
}

/* ---- the running server ------------------------------------------------------------------- */

void
srv_reload_logged_cb(struct srv *s, int rc, const char *err, void *arg)
{
	if (rc == SRV_CANCELLED)
		return;
	if (rc < 0)
		log_warnx("reload failed: %s", err);
	else
		log_warnx("reloaded: %zu zone%s read, %zu shared unchanged", s->last_build.read,
		          s->last_build.read == 1 ? "" : "s", s->last_build.shared);
}

static void
srv_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct srv *s = arg;
	char err[1024];

	if (sig == SIGHUP) {
		/* built off the loop; srv_reload_logged_cb says how it went */
		if (srv_reload(s, srv_reload_logged_cb, NULL, err, sizeof(err)) < 0)
			log_warnx("reload not started: %s", err);
		return;
	}
	log_info("stopping on signal %d", (int)sig);
	event_base_loopbreak(s->base);
}

/* A positive whole number from environment variable name, else 0 (keep the default). */
static int
env_int(const char *name)
{
	const char *v = getenv(name);
	int n = v ? atoi(v) : 0;

	return n > 0 ? n : 0;
}

/* --query-log: a writer that never blocks. */
static int
srv_qlog_open(struct srv *s, char *err, size_t errlen)
{
	int fd = qlogw_open(s->conf->query_log, err, errlen);
	/* test knob (documented in mxlabd.8): a smaller buffer for a stalled reader */
	const char *cap = getenv("MXLABD_QUERY_LOG_BUFFER");

	if (fd < 0)
		return -1;
	if ((s->qlogw = qlogw_new(s->base, fd, cap && atol(cap) > 0 ? (size_t)atol(cap) : 0)) ==
	    NULL) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	qlog_set_writer(s->qlog, s->qlogw);
	qlog_set_output_format(s->qlog, (enum qlog_out_format)s->conf->query_log_format,
	                       isatty(fd) && getenv("NO_COLOR") == NULL);
	/* a log file is appended to: its numbering goes on from the last run's */
	if (strcmp(s->conf->query_log, "-") != 0)
		qlog_set_seq(s->qlog, qlog_file_last_seq(s->conf->query_log));
	return 0;
}

struct srv *
srv_new(struct srv_conf *c, struct zoneset *zs, struct fault_rules *fr, char *err, size_t errlen)
{
	struct srv *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		zoneset_free(zs);
		fault_rules_free(fr);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->conf = c;
	s->ctx.zs = zs;
	s->ctx.rules = fr;
	s->ctx.signer = c->signer;
	if (c->world) {
		struct diag d;

		diag_init(&d);
		s->ctx.world = srv_world_build(c, zs, NULL, 0, &d);
		if (s->ctx.world == NULL) {
			diag_first_error(&d, err, errlen);
			diag_free(&d);
			goto fail;
		}
		diag_free(&d);
	}
	if ((s->ctx.acache = acache_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	clock_gettime(CLOCK_MONOTONIC, &s->started);

	/* libevent's default (coarse) clock: no timerfd_settime before every epoll_wait, which
	   the precise timer flag costs; net makes delay=MS exact on its own (see delay_arm) */
	s->base = event_base_new();
	s->qlog = qlog_new(QLOG_RING_DEFAULT, NULL);
	s->ctx.qlog = s->qlog;
	if (s->qlog == NULL || s->base == NULL) {
		snprintf(err, errlen, "cannot set up the event loop");
		goto fail;
	}
	if (c->query_log && srv_qlog_open(s, err, errlen) < 0)
		goto fail;
	s->ctx.xfr_allow = c->allow_transfer;
	s->ctx.nxfr_allow = c->nallow_transfer;
	s->notify = notify_new(s->base, c->notify, c->nnotify);
	s->net = s->notify ? net_new(s->base, &s->ctx) : NULL;
	if (s->net) {
		/* test knobs (documented in mxlabd.8): shorter timeouts, smaller limits */
		struct net_limits lim = {
		    .idle_ms = env_int("MXLABD_TCP_IDLE_MS"),
		    .frame_ms = env_int("MXLABD_TCP_FRAME_MS"),
		    .max_conns = (size_t)env_int("MXLABD_TCP_MAX_CONNS"),
		    .udp_waiting_max = (size_t)env_int("MXLABD_UDP_WAITING_MAX"),
		    .udp_waiting_per_client = (size_t)env_int("MXLABD_UDP_WAITING_PER_CLIENT"),
		};
		net_set_limits(s->net, &lim);
	}
	/* reloads and zone changes: one at a time, a few more waiting (then 503 busy) */
	if ((s->buildq = buildq_new(s->base, SRV_BUILD_QUEUE)) == NULL) {
		snprintf(err, errlen, "cannot set up the reload worker");
		goto fail;
	}
	/* old sets are freed by a thread of their own (NULL: on the loop, as a fallback) */
	s->freeq = buildq_new(s->base, SRV_BUILD_QUEUE);
	s->sig_hup = evsignal_new(s->base, SIGHUP, srv_signal_cb, s);
	s->sig_term = evsignal_new(s->base, SIGTERM, srv_signal_cb, s);
	s->sig_int = evsignal_new(s->base, SIGINT, srv_signal_cb, s);
	if (s->net == NULL || s->sig_hup == NULL || s->sig_term == NULL || s->sig_int == NULL ||
	    evsignal_add(s->sig_hup, NULL) < 0 || evsignal_add(s->sig_term, NULL) < 0 ||
	    evsignal_add(s->sig_int, NULL) < 0) {
		snprintf(err, errlen, "cannot set up the event loop");
		goto fail;
	}
	return s;
fail:
	srv_free(s);
	return NULL;
}

void
srv_free(struct srv *s)
{
	if (s == NULL)
		return;
	buildq_free(s->buildq); /* a running build finishes; waiting API requests get no reply */
	buildq_free(s->freeq);  /* old sets still waiting are freed here */
	control_free(s->control);
	net_free(s->net);
	notify_free(s->notify);
	if (s->sig_hup)
		event_free(s->sig_hup);
	if (s->sig_term)
		event_free(s->sig_term);
	if (s->sig_int)
		event_free(s->sig_int);
	qlogw_free(s->qlogw); /* its event first, then the base */
	if (s->base)
		event_base_free(s->base);
	qlog_free(s->qlog);
	world_free(s->ctx.world);
	acache_free(s->ctx.acache);
	zoneset_free(s->ctx.zs);
	fault_rules_free(s->ctx.rules);
	free(s->states);
	free(s);
}

/* ---- world mode ------------------------------------------------------------------------ */

/* --sign in world mode: the synthesized root gets the DS of the top zones and is signed; the
   trust anchor is then the root's DS (or, with a served "." zone, that zone's). */
static int
srv_sign_world(const struct srv_conf *c, struct world *w, const struct zoneset *zs, struct diag *d)
{
	struct zoneset *root = world_root_zones(w);
	char err[1024];

	if (root != NULL && signer_sign_root(c->signer, root, zs, time(NULL), d) < 0)
		return -1;
	if (c->check || c->trust_anchor == NULL)
		return 0;
	if (signer_write_trust_anchor(c->signer, root ? root : zs, c->trust_anchor, err,
	                              sizeof(err)) < 0) {
		diag_add(d, DIAG_ERROR, NULL, 0, NULL, "--trust-anchor: %s", err);
		return -1;
	}
	return 0;
}

struct world *
srv_world_build(const struct srv_conf *c, const struct zoneset *zs, const struct srv_state *states,
                size_t nstates, struct diag *d)
{
	struct world *w = world_new(zs, (const char *const *)c->root_addrs, c->nroot_addrs, d);
	size_t bad = 0;

	if (w == NULL)
		return NULL;
	for (size_t i = 0; i < world_count(w); i++) {
		const struct world_server *ws = world_server_get(w, i);
		if (c->allow_nonlocal || srv_addr_is_loopback(ws->host) == 1)
			continue;
		if (bad++ < 5)
			diag_add(d, DIAG_ERROR, NULL, 0, "ns-not-servable",
			         "world: server %s (%s) is not a loopback address: use "
			         "--allow-nonlocal in a private network namespace (mxlab-lab)",
			         ws->host, ws->nnames ? ws->names[0] : "?");
	}
	if (bad > 5)
		diag_add(d, DIAG_ERROR, NULL, 0, "ns-not-servable",
		         "world: %zu more servers are not loopback addresses", bad - 5);
	if (bad) {
		world_free(w);
		return NULL;
	}
	if (c->signer && srv_sign_world(c, w, zs, d) < 0) {
		world_free(w);
		return NULL;
	}
	for (size_t i = 0; i < c->nclosed; i++)
		world_set_state(w, c->closed[i], WORLD_CLOSED);
	for (size_t i = 0; i < nstates; i++)
		world_set_state(w, states[i].target, states[i].state);
	return w;
}

/* Is numeric host one of the -a addresses? */
static bool
conf_has_addr(const struct srv_conf *c, const char *host)
{
	for (size_t i = 0; i < c->naddrs; i++)
		if (strcmp(c->addrs[i].host, host) == 0)
			return true;
	return false;
}

/* Make the listeners what world w wants (its servers that are not closed, and the -a
   addresses) once the server listens. On a bind failure everything bound here is closed
   again and -1 returned with err: the caller keeps its old world. */
static int
sync_listeners(struct srv *s, const struct world *w, const struct world *old, char *err,
               size_t errlen)
{
	size_t added = 0;

	if (!s->listening)
		return 0;
	for (size_t i = 0; i < world_count(w); i++) {
		const struct world_server *ws = world_server_get(w, i);
		if (ws->state == WORLD_CLOSED || net_listening(s->net, ws->host))
			continue;
		if (net_listen_add(s->net, ws->host, err, errlen) < 0) {
			/* undo: close what this call opened */
			for (size_t k = 0; k < i && added > 0; k++) {
				const struct world_server *u = world_server_get(w, k);
				const struct world_server *o = world_find_host(old, u->host);
				if (u->state == WORLD_CLOSED || conf_has_addr(s->conf, u->host) ||
				    (o != NULL && o->state != WORLD_CLOSED))
					continue;
				net_listen_remove(s->net, u->host);
				added--;
			}
			return -1;
		}
		added++;
	}
	for (size_t i = 0; i < world_count(old); i++) {
		const struct world_server *o = world_server_get(old, i);
		const struct world_server *ws = world_find_host(w, o->host);
		if (conf_has_addr(s->conf, o->host))
			continue;
		if (ws == NULL || ws->state == WORLD_CLOSED)
			net_listen_remove(s->net, o->host);
	}
	return 0;
}

/* A set no longer served (and its world), freed by the freeing thread. */
struct srv_old {
	struct zoneset *zs; /* owned until freed, then NULL */
	struct world *w;    /* owned until freed, then NULL (always NULL outside world mode) */
};

static void
old_free_work(void *arg)
{
	struct srv_old *o = arg;

	world_free(o->w);
	o->w = NULL;
	zoneset_free(o->zs); /* drops its references to the zones the served set shares */
	o->zs = NULL;
}

/* Whatever the worker did not free (all of it when the server stops before the job ran,
   nothing once the work ran, cancelled or not) is freed here. */
static void
old_free_done(void *arg, bool cancelled)
{
	struct srv_old *o = arg;

	old_free_work(o);
	free(o);
}

/* Free zs and w off the loop: the index of a large set takes milliseconds to give back. Done
   right here when no thread can take it. */
static void
srv_free_later(struct srv *s, struct zoneset *zs, struct world *w)
{
	struct srv_old *o = malloc(sizeof(*o));

	if (o != NULL) {
		o->zs = zs;
		o->w = w;
		if (s->freeq != NULL &&
		    buildq_submit(s->freeq, old_free_work, old_free_done, o) == 0)
			return;
		free(o);
	}
	world_free(w);
	zoneset_free(zs);
}

/* Serve zs (taken over) instead of the zones served now, in world mode with w (taken over,
   built from zs off the loop) whose listeners are bound first; the server states set since
   are applied to w again here. 0, or -1 with err and nothing changed (zs and w freed). */
int
srv_swap_zones(struct srv *s, struct zoneset *zs, struct world *w, char *err, size_t errlen)
{
	if (s->conf->world) {
		/* states set through the API while w was built (PUT /servers) */
		for (size_t i = 0; i < s->nstates; i++)
			world_set_state(w, s->states[i].target, s->states[i].state);
		if (sync_listeners(s, w, s->ctx.world, err, errlen) < 0) {
			world_free(w);
			zoneset_free(zs);
			return -1;
		}
	}
	notify_changes(s->notify, s->ctx.zs, zs);
	srv_free_later(s, s->ctx.zs, s->ctx.world);
	s->ctx.world = w;
	s->ctx.zs = zs;
	return 0;
}

/* Is target the address or an NS name of a server of w? */
static bool
server_exists(const struct world *w, const char *target)
{
	if (world_find_host(w, target) != NULL)
		return true;
	for (size_t i = 0; i < world_count(w); i++)
		if (world_server_named(world_server_get(w, i), target))
			return true;
	return false;
}

int
srv_server_set(struct srv *s, const char *target, enum world_state st, char *err, size_t errlen)
{
	struct srv_state *v;
	struct world *w;
	struct diag d;

	if (!s->conf->world) {
		snprintf(err, errlen, "not in world mode (start mxlabd with --world)");
		return -1;
	}
	if (!server_exists(s->ctx.world, target)) {
		snprintf(err, errlen, "no server %s in this world", target);
		return -1;
	}
	if (strlen(target) >= sizeof(v->target)) {
		snprintf(err, errlen, "server name too long");
		return -1;
	}
	v = realloc(s->states, (s->nstates + 1) * sizeof(*v));
	if (v == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->states = v;
	snprintf(v[s->nstates].target, sizeof(v->target), "%s", target);
	v[s->nstates].state = st;
	/* a new world over the same zones: the same servers with the new state */
	diag_init(&d);
	w = srv_world_build(s->conf, s->ctx.zs, s->states, s->nstates + 1, &d);
	diag_free(&d);
	if (w == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (sync_listeners(s, w, s->ctx.world, err, errlen) < 0) {
		world_free(w);
		return -1;
	}
	/* states apply in order, so the latest one of a target is all that needs keeping */
	for (size_t i = 0; i < s->nstates; i++) {
		if (strcasecmp(v[i].target, target) == 0) {
			memmove(&v[i], &v[i + 1], (s->nstates - i) * sizeof(*v));
			s->nstates--;
			break;
		}
	}
	s->nstates++;
	world_free(s->ctx.world);
	s->ctx.world = w;
	return 0;
}

int
srv_write_world_files(struct srv *s)
{
	char err[512];
	int rc = 0;

	if (!s->conf->world)
		return 0;
	if (s->conf->root_hints) {
		/* opened non-blocking: a FIFO nobody reads fails at once instead of hanging */
		int fd = file_open_write(s->conf->root_hints, 1);
		FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (fp == NULL) {
			if (fd >= 0)
				close(fd);
			log_warn("%s: cannot write root hints", s->conf->root_hints);
			return -1;
		}
		world_write_hints(s->ctx.world, fp);
		if (fclose(fp) != 0) {
			log_warn("%s: cannot write root hints", s->conf->root_hints);
			rc = -1;
		}
	}
	for (size_t i = 0; i < s->conf->nresolver_conf; i++) {
		if (resolver_conf_write(
		        s->conf->resolver_conf[i], s->ctx.world, s->ctx.zs, s->conf->root_hints,
		        s->conf->signer ? s->conf->trust_anchor : NULL, err, sizeof(err)) < 0) {
			log_warnx("%s", err);
			rc = -1;
		}
	}
	return rc;
}

/* Room for want descriptors (a world binds two per server), up to the hard limit. */
static void
raise_fd_limit(size_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static int
write_port_file(const char *path, int port)
{
	/* opened non-blocking: a FIFO nobody reads fails at once instead of hanging start-up */
	int fd = file_open_write(path, 1), n;
	char buf[16];

	if (fd < 0)
		return -1;
	n = snprintf(buf, sizeof(buf), "%d\n", port);
	if (write(fd, buf, (size_t)n) != n) {
		close(fd);
		return -1;
	}
	return close(fd);
}

int
srv_run(struct srv *s)
{
	char err[512];
	struct net_addr *addrs = s->conf->addrs;
	size_t naddrs = s->conf->naddrs;

	if (s->conf->world) {
		/* the -a addresses, then every server of the world that is not closed */
		addrs = calloc(naddrs + world_count(s->ctx.world) + 1, sizeof(*addrs));
		if (addrs == NULL) {
			log_warnx("out of memory");
			return 1;
		}
		if (naddrs > 0)
			memcpy(addrs, s->conf->addrs, naddrs * sizeof(*addrs));
		for (size_t i = 0; i < world_count(s->ctx.world); i++) {
			const struct world_server *ws = world_server_get(s->ctx.world, i);
			if (ws->state == WORLD_CLOSED || conf_has_addr(s->conf, ws->host))
				continue;
			snprintf(addrs[naddrs++].host, sizeof(addrs->host), "%s", ws->host);
		}
		raise_fd_limit(2 * naddrs + 64);
	}
	if (net_listen(s->net, addrs, naddrs, s->conf->port, &s->port, err, sizeof(err)) < 0) {
		log_warnx("%s", err);
		if (addrs != s->conf->addrs)
			free(addrs);
		return 1;
	}
	if (addrs != s->conf->addrs)
		free(addrs);
	s->listening = true;
	if (s->conf->port_file && write_port_file(s->conf->port_file, s->port) < 0) {
		log_warn("%s: cannot write port file", s->conf->port_file);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (s->conf->ncontrol) {
		s->control = control_new(s, s->conf->control, s->conf->ncontrol,
		                         s->conf->control_mode, err, sizeof(err));
		if (s->control == NULL) {
			log_warnx("%s", err);
			return 1;
		}
	}
	if (srv_write_world_files(s) < 0)
		return 1;
	printf("mxlabd: ready port=%d\n", s->port);
	fflush(stdout);
	log_info("serving %zu zones, %zu fault rules", zoneset_count(s->ctx.zs),
	         fault_rules_count(s->ctx.rules));
	if (event_base_dispatch(s->base) < 0) {
		log_warnx("event loop failed");
		return 1;
	}
	return 0;
}

/* ---- control API operations --------------------------------------------------------------- */

/* err for rule text that did not parse: every bad line, not only the first. */
static void
faults_errors(const char *text, char *err, size_t errlen)
{
	struct diag d;

	diag_init(&d);
	if (fault_rules_check("faults", text, &d) > 0)
		diag_all_errors(&d, err, errlen);
	diag_free(&d);
}

int
srv_faults_append(struct srv *s, const char *text, char *err, size_t errlen)
{
	if (fault_rules_parse(s->ctx.rules, "faults", text, err, errlen) < 0) {
		faults_errors(text, err, errlen);
		return -1;
	}
	return 0;
}

int
srv_faults_replace(struct srv *s, const char *text, char *err, size_t errlen)
{
	struct fault_rules *fr = fault_rules_new(s->conf->seed);

	if (fr == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (fault_rules_parse(fr, "faults", text, err, errlen) < 0) {
		faults_errors(text, err, errlen);
		fault_rules_free(fr);
		return -1;
	}
	fault_rules_free(s->ctx.rules);
	s->ctx.rules = fr;
	return 0;
}

void
srv_faults_clear(struct srv *s)
{
	fault_rules_clear(s->ctx.rules);
}
