/* server/buildq.h -- work that must not stall the event loop (building a new zone set, its
   world, its signatures) run one job at a time in a worker thread; each job's completion is
   handed back to the loop, in submission order. */
#ifndef MXLAB_BUILDQ_H
#define MXLAB_BUILDQ_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>

struct buildq;

/* work runs in the worker thread and may touch only what arg owns and data nobody changes
   while it runs; done runs on the event loop once work returned (cancelled: the queue is
   being freed, done must only release arg; its work may or may not have run: the running
   job's has, the waiting ones' not). */
typedef void (*buildq_work_fn)(void *arg);
typedef void (*buildq_done_fn)(void *arg, bool cancelled);

/* A queue on base holding at most max_jobs jobs (running and waiting). NULL on error. */
struct buildq *buildq_new(struct event_base *base, size_t max_jobs);
/* Waits for a running job, then calls done(arg, true) for it (its work done) and every
   waiting one (their work not run). */
void buildq_free(struct buildq *q);

/* Queue a job; it starts when every job before it is done. 0, or -1 when max_jobs are
   already queued (nothing queued, arg still the caller's). */
int buildq_submit(struct buildq *q, buildq_work_fn work, buildq_done_fn done, void *arg);
/* Jobs queued or running. */
size_t buildq_jobs(const struct buildq *q);

#endif
