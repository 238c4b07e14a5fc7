/* server/srv_build.c -- reloads (SIGHUP, POST /reload) and zone changes (PUT and DELETE
   /zones/ORIGIN) built off the event loop: a worker thread reads the files or the zone text,
   builds and checks the new zone set (and in world mode its servers); the loop only swaps the
   pointers, syncs the listeners and reports. Jobs run one at a time in the order asked. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "server/buildq.h"
#include "server/srv.h"
#include "server/world.h"

enum srv_job_kind {
	SRV_JOB_RELOAD, /* everything from the configured sources */
	SRV_JOB_PUT,    /* add or replace one zone from text */
	SRV_JOB_DELETE, /* drop one zone */
};

/* One reload or zone change. Built by the worker, applied and freed on the loop. */
struct srv_job {
	struct srv *s;                  /* server; not owned (the worker reads only s->conf and the
	                                   served zone set, which nothing changes while a job runs) */
	enum srv_job_kind kind;         /* what to build */
	char origin[1025];              /* PUT, DELETE: zone origin, lower case with trailing dot */
	char name[1100];                /* PUT: name used for file:line ("zones/ORIGIN") */
	char *text;                     /* PUT: the zone text; owned */
	srv_done_fn done;               /* told the outcome on the loop */
	void *arg;                      /* for done; the caller's */
	struct zoneset *zs;             /* the new zone set; owned until applied */
	struct fault_rules *fr;         /* reload: the new fault rules; owned until applied */
	struct world *w;                /* world mode: servers of zs; owned until applied */
	struct srv_build_counts counts; /* zones read and shared with the served set */
	struct diag d;                  /* every problem found building */
	int rc;                         /* 0 built, -1 failed (reason in err) */
	char err[4096];                 /* why it failed */
};

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

/* PUT, DELETE: every zone served now except job->origin (shared with the served set: no
   file read, no copy), plus the text when given. Worker thread. */
static int
build_edit(struct srv_job *job)
{
	const struct zoneset *cur = job->s->ctx.zs;
	struct diag *d = &job->d;
	bool served = false;

	if (job->kind == SRV_JOB_DELETE) {
		for (size_t i = 0; i < zoneset_count(cur); i++) {
			struct zone_info zi;
			zoneset_info(cur, i, &zi);
			if (strcasecmp(zi.origin, job->origin) == 0)
				served = true;
		}
		if (!served) {
			snprintf(job->err, sizeof(job->err), "no zone %s is served", job->origin);
			return -1;
		}
	}
	if ((job->zs = zoneset_new()) == NULL) {
		snprintf(job->err, sizeof(job->err), "out of memory");
		return -1;
	}
	/* the other zones exactly as they are served now: an edit or a broken file on disk is
	   for a reload to pick up, not for a PUT of another zone */
	for (size_t i = 0; i < zoneset_count(cur); i++) {
		struct zone_info zi;
		zoneset_info(cur, i, &zi);
		if (strcasecmp(zi.origin, job->origin) == 0 && zoneset_server(cur, i)[0] == '\0')
			continue;
		if (zoneset_add_shared(job->zs, cur, i, d) == 0)
			job->counts.shared++;
	}
	if (job->kind == SRV_JOB_PUT && zoneset_add_text(job->zs, job->name, job->text, d) == 0)
		job->counts.read++;
	zoneset_allow_empty(job->zs); /* DELETE of the last zone leaves an empty server */
	if (zoneset_finish(job->zs, d) == 0 && job->s->conf->signer)
		srv_sign(job->s->conf, job->zs, d); /* a new zone gets signed, signed copies kept */
	if (d->errors == 0 && job->kind == SRV_JOB_PUT) {
		/* the text must be the zone the URL names */
		bool found = false;
		for (size_t i = 0; i < zoneset_count(job->zs); i++) {
			struct zone_info zi;
			zoneset_info(job->zs, i, &zi);
			if (strcasecmp(zi.origin, job->origin) == 0)
				found = true;
		}
		if (!found)
			diag_add(d, DIAG_ERROR, job->name, 0, NULL,
			         "the zone text does not define the zone %s", job->origin);
	}
	if (d->errors) {
		diag_all_errors(d, job->err, sizeof(job->err)); /* every problem of the text */
		return -1;
	}
	return 0;
}

static void
build_work(void *arg)
{
	struct srv_job *job = arg;
	const struct srv_conf *c = job->s->conf;

	if (job->kind == SRV_JOB_RELOAD) {
		if (srv_load_from(c, job->s->ctx.zs, &job->zs, &job->fr, &job->counts, &job->d) <
		    0) {
			diag_first_error(&job->d, job->err, sizeof(job->err));
			if (job->err[0] == '\0')
				snprintf(job->err, sizeof(job->err), "could not load the zones");
			job->rc = -1;
			return;
		}
	} else if (build_edit(job) < 0) {
		job->rc = -1;
		return;
	}
	if (c->world) {
		struct diag wd;

		/* the server states are applied on the loop: they may change meanwhile */
		diag_init(&wd);
		job->w = srv_world_build(c, job->zs, NULL, 0, &wd);
		if (job->w == NULL) {
			diag_first_error(&wd, job->err, sizeof(job->err));
			job->rc = -1;
		}
		diag_free(&wd);
	}
}

static void
job_free(struct srv_job *job)
{
	zoneset_free(job->zs);
	fault_rules_free(job->fr);
	world_free(job->w);
	diag_free(&job->d);
	free(job->text);
	free(job);
}

static void
build_done(void *arg, bool cancelled)
{
	struct srv_job *job = arg;
	struct srv *s = job->s;

	if (cancelled) {
		job->done(s, SRV_CANCELLED, "the server is stopping", job->arg);
		job_free(job);
		return;
	}
	if (job->rc == 0) {
		struct zoneset *zs = job->zs;
		job->zs = NULL;
		job->rc = srv_swap_zones(s, zs, job->w, job->err, sizeof(job->err));
		job->w = NULL;
	}
	if (job->rc == 0 && job->kind == SRV_JOB_RELOAD) {
		fault_rules_free(s->ctx.rules);
		s->ctx.rules = job->fr;
		job->fr = NULL;
	}
	if (job->rc == 0) {
		s->last_build = job->counts;
		srv_write_world_files(s);
	}
	if (job->rc < 0 && job->kind == SRV_JOB_RELOAD) {
		/* every problem, not only the first (which is the reason given) */
		for (size_t i = 0; i < job->d.n; i++) {
			char line[1024];
			diag_format(&job->d, i, line, sizeof(line));
			log_warnx("reload: %s", line);
		}
	}
	job->done(s, job->rc, job->err, job->arg);
	job_free(job);
}

static int
job_submit(struct srv *s, struct srv_job *job, char *err, size_t errlen)
{
	if (buildq_submit(s->buildq, build_work, build_done, job) < 0) {
		snprintf(err, errlen,
		         "busy: %zu reloads or zone changes are already waiting; try again later",
		         buildq_jobs(s->buildq));
		job_free(job);
		return -1;
	}
	return 0;
}

static struct srv_job *
job_new(struct srv *s, enum srv_job_kind kind, srv_done_fn done, void *arg)
{
	struct srv_job *job = calloc(1, sizeof(*job));

	if (job == NULL)
		return NULL;
	job->s = s;
	job->kind = kind;
	job->done = done;
	job->arg = arg;
	diag_init(&job->d);
	return job;
}

int
srv_reload(struct srv *s, srv_done_fn done, void *arg, char *err, size_t errlen)
{
	struct srv_job *job = job_new(s, SRV_JOB_RELOAD, done, arg);

	if (job == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return job_submit(s, job, err, errlen);
}

int
srv_zone_put(struct srv *s, const char *origin, char *text, srv_done_fn done, void *arg, char *err,
             size_t errlen)
{
	struct srv_job *job = job_new(s, SRV_JOB_PUT, done, arg);

	if (job == NULL) {
		free(text);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* the text is read once: later rebuilds copy the zone from the served set */
	norm_origin(origin, job->origin, sizeof(job->origin));
	snprintf(job->name, sizeof(job->name), "zones/%s", job->origin);
	job->text = text;
	return job_submit(s, job, err, errlen);
}

int
srv_zone_delete(struct srv *s, const char *origin, srv_done_fn done, void *arg, char *err,
                size_t errlen)
{
	struct srv_job *job = job_new(s, SRV_JOB_DELETE, done, arg);

	if (job == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	norm_origin(origin, job->origin, sizeof(job->origin));
	return job_submit(s, job, err, errlen);
}
