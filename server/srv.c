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
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/log.h"
#include "server/control.h"
#include "server/qlog.h"
#include "server/query.h"

#ifndef MXLAB_DATADIR
#define MXLAB_DATADIR "/usr/local/share/mxlab"
#endif

void
srv_conf_init(struct srv_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->port = 5300;
	c->seed = 1;
	c->workers = 1;
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
	free(c->control);
	free(c->query_log);
	signer_free(c->signer);
	free(c->trust_anchor);
	free(c->dump_zones);
	memset(c, 0, sizeof(*c));
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

static int
load_dir(struct zoneset *zs, struct fault_rules *fr, const char *dir, struct diag *d)
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
		for (size_t i = 0; i < g.gl_pathc; i++)
			if (zoneset_add_file(zs, g.gl_pathv[i], d) < 0)
				rc = -1;
	}
	globfree(&g);
	snprintf(faults, sizeof(faults), "%s/faults.conf", dir);
	if (access(faults, F_OK) == 0 && load_rules_file(fr, faults, d) < 0)
		rc = -1;
	return rc;
}

/* --sign: sign the zones that need it, then write the trust anchor and the signed zones
   (not for --check). */
static int
srv_sign(const struct srv_conf *c, struct zoneset *zs, struct diag *d)
{
	char err[1024];

	if (signer_sign(c->signer, zs, time(NULL), d) < 0)
		return -1;
	if (c->check)
		return 0;
	if (c->trust_anchor &&
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
	struct zoneset *zs = zoneset_new();
	struct fault_rules *fr = fault_rules_new(c->seed);
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
			if (load_dir(zs, fr, s->path, d) < 0)
				rc = -1;
			break;
		case SRV_SRC_ZONE:
			if (zoneset_add_file(zs, s->path, d) < 0)
				rc = -1;
			break;
		case SRV_SRC_FAULTS:
			if (load_rules_file(fr, s->path, d) < 0)
				rc = -1;
			break;
		}
	}
	if (zoneset_finish(zs, d) < 0)
		rc = -1;
	if (rc == 0 && d->errors == 0 && c->signer && srv_sign(c, zs, d) < 0)
		rc = -1;
	if (rc < 0 || d->errors > 0)
		goto fail;
	*zsp = zs;
	*frp = fr;
	return 0;
fail:
	zoneset_free(zs);
	fault_rules_free(fr);
	return -1;
}

/* ---- the running server ------------------------------------------------------------------- */

static void
srv_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct srv *s = arg;
	char err[1024];

	if (sig == SIGHUP) {
		if (srv_reload(s, err, sizeof(err)) < 0)
			log_warnx("reload failed: %s", err);
		else
			log_warnx("reloaded");
		return;
	}
	log_info("stopping on signal %d", (int)sig);
	event_base_loopbreak(s->base);
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
	clock_gettime(CLOCK_MONOTONIC, &s->started);

	if (c->query_log) {
		if (strcmp(c->query_log, "-") == 0) {
			s->qlog_fp = stdout;
		} else if ((s->qlog_fp = fopen(c->query_log, "a")) == NULL) {
			snprintf(err, errlen, "%s: cannot open query log: %s", c->query_log,
			         strerror(errno));
			goto fail;
		}
	}
	s->qlog = qlog_new(QLOG_RING_DEFAULT, s->qlog_fp);
	s->ctx.qlog = s->qlog;
	{
		/* precise timers: the default coarse clock can end a delay=MS a few ms early */
		struct event_config *cfg = event_config_new();
		if (cfg) {
			event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
			s->base = event_base_new_with_config(cfg);
			event_config_free(cfg);
		}
	}
	if (s->qlog == NULL || s->base == NULL) {
		snprintf(err, errlen, "cannot set up the event loop");
		goto fail;
	}
	s->net = net_new(s->base, &s->ctx);
	if (s->net) {
		/* test knobs (documented in mxlabd.8): shorter idle timeout, fewer connections */
		const char *idle = getenv("MXLABD_TCP_IDLE_MS");
		const char *maxc = getenv("MXLABD_TCP_MAX_CONNS");
		net_set_limits(s->net, idle ? atoi(idle) : 0,
		               maxc && atoi(maxc) > 0 ? (size_t)atoi(maxc) : 0);
	}
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
	control_free(s->control);
	net_free(s->net);
	if (s->sig_hup)
		event_free(s->sig_hup);
	if (s->sig_term)
		event_free(s->sig_term);
	if (s->sig_int)
		event_free(s->sig_int);
	if (s->base)
		event_base_free(s->base);
	qlog_free(s->qlog);
	if (s->qlog_fp && s->qlog_fp != stdout)
		fclose(s->qlog_fp);
	zoneset_free(s->ctx.zs);
	fault_rules_free(s->ctx.rules);
	free(s);
}

int
srv_reload(struct srv *s, char *err, size_t errlen)
{
	struct zoneset *zs;
	struct fault_rules *fr;
	struct diag d;

	diag_init(&d);
	if (srv_load(s->conf, &zs, &fr, &d) < 0) {
		diag_first_error(&d, err, errlen);
		if (err[0] == '\0')
			snprintf(err, errlen, "could not load the zones");
		for (size_t i = 0; i < d.n; i++) {
			char line[1024];
			diag_format(&d, i, line, sizeof(line));
			log_info("%s", line);
		}
		diag_free(&d);
		return -1;
	}
	diag_free(&d);
	zoneset_free(s->ctx.zs);
	fault_rules_free(s->ctx.rules);
	s->ctx.zs = zs;
	s->ctx.rules = fr;
	return 0;
}

static int
write_port_file(const char *path, int port)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL)
		return -1;
	fprintf(fp, "%d\n", port);
	return fclose(fp);
}

int
srv_run(struct srv *s)
{
	char err[512];

	if (net_listen(s->net, s->conf->addrs, s->conf->naddrs, s->conf->port, &s->port, err,
	               sizeof(err)) < 0) {
		log_warnx("%s", err);
		return 1;
	}
	if (s->conf->port_file && write_port_file(s->conf->port_file, s->port) < 0) {
		log_warn("%s: cannot write port file", s->conf->port_file);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (s->conf->control) {
		s->control = control_new(s, s->conf->control, err, sizeof(err));
		if (s->control == NULL) {
			log_warnx("%s", err);
			return 1;
		}
	}
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

/* Lower-case origin with a trailing dot. */
static void
norm_origin(const char *in, char *out, size_t len)
{
	size_t n = 0;

	for (; *in && n + 2 < len; in++)
		out[n++] = (char)tolower((unsigned char)*in);
	if (n == 0 || out[n - 1] != '.')
		out[n++] = '.';
	out[n] = '\0';
}

/* A zone text sent to PUT /zones/ORIGIN. */
struct srv_apizone {
	char origin[1025]; /* zone origin, lower case with trailing dot */
	char name[1100];   /* name used for file:line ("zones/ORIGIN") */
	const char *text;  /* zone file text; borrowed from the request */
};

/* Serve a new zone set: every zone served now except drop (copied as served, no file read),
   plus add when given. 0, or -1 with err and the old set still serving. */
static int
rebuild_zones(struct srv *s, const char *drop, const struct srv_apizone *add, char *err,
              size_t errlen)
{
	struct zoneset *zs = zoneset_new();
	struct diag d;

	diag_init(&d);
	if (zs == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* the other zones exactly as they are served now: an edit or a broken file on disk is
	   for a reload to pick up, not for a PUT of another zone */
	for (size_t i = 0; i < zoneset_count(s->ctx.zs); i++) {
		struct zone_info zi;
		zoneset_info(s->ctx.zs, i, &zi);
		if (strcasecmp(zi.origin, drop) == 0)
			continue;
		zoneset_add_copy(zs, s->ctx.zs, i, &d);
	}
	if (add)
		zoneset_add_text(zs, add->name, add->text, &d);
	if (zoneset_finish(zs, &d) == 0 && s->conf->signer)
		srv_sign(s->conf, zs, &d); /* a new zone gets signed, the signed copies are kept */
	if (d.errors == 0 && add) {
		/* the text must be the zone the URL names */
		bool found = false;
		for (size_t i = 0; i < zoneset_count(zs); i++) {
			struct zone_info zi;
			zoneset_info(zs, i, &zi);
			if (strcasecmp(zi.origin, add->origin) == 0)
				found = true;
		}
		if (!found)
			diag_add(&d, DIAG_ERROR, add->name, 0, NULL,
			         "the zone text does not define the zone %s", add->origin);
	}
	if (d.errors) {
		diag_first_error(&d, err, errlen);
		diag_free(&d);
		zoneset_free(zs);
		return -1;
	}
	diag_free(&d);
	zoneset_free(s->ctx.zs);
	s->ctx.zs = zs;
	return 0;
}

int
srv_zone_put(struct srv *s, const char *origin, const char *text, char *err, size_t errlen)
{
	struct srv_apizone az;

	/* the text is read once here: later rebuilds copy the zone from the served set */
	memset(&az, 0, sizeof(az));
	norm_origin(origin, az.origin, sizeof(az.origin));
	snprintf(az.name, sizeof(az.name), "zones/%s", az.origin);
	az.text = text;
	return rebuild_zones(s, az.origin, &az, err, errlen);
}

int
srv_zone_delete(struct srv *s, const char *origin, char *err, size_t errlen)
{
	char norm[1025];
	bool served = false;

	norm_origin(origin, norm, sizeof(norm));
	for (size_t i = 0; i < zoneset_count(s->ctx.zs); i++) {
		struct zone_info zi;
		zoneset_info(s->ctx.zs, i, &zi);
		if (strcasecmp(zi.origin, norm) == 0)
			served = true;
	}
	if (!served) {
		snprintf(err, errlen, "no zone %s is served", norm);
		return -1;
	}
	return rebuild_zones(s, norm, NULL, err, errlen);
}

int
srv_faults_append(struct srv *s, const char *text, char *err, size_t errlen)
{
	return fault_rules_parse(s->ctx.rules, "faults", text, err, errlen);
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
