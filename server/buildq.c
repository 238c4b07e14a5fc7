/* server/buildq.c -- one worker thread at a time for jobs that would stall the event loop.
   The worker gets the job's arg and nothing else; when it is done it writes one byte to a
   pipe the loop watches, and the loop joins the thread (which orders everything the worker
   wrote before everything done reads) and calls done. */
#include "server/buildq.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

struct buildq_job {
	buildq_work_fn work;     /* runs in the worker */
	buildq_done_fn done;     /* runs on the loop afterwards */
	void *arg;               /* the job's data; the submitter's */
	struct buildq_job *next; /* next job waiting, NULL at the end */
};

struct buildq {
	struct event_base *base; /* loop done runs on; not owned */
	struct event *ev;        /* read event on pipe[0]; owned */
	int pipe[2];             /* worker -> loop: one byte per finished job; owned */
	struct buildq_job *head; /* running job (first), then the waiting ones; owned */
	struct buildq_job *tail; /* last job, NULL when none */
	size_t njobs;            /* jobs in the list */
	size_t max_jobs;         /* limit on njobs */
	pthread_t thread;        /* worker of head, valid while running */
	bool running;            /* head has a worker thread */
	bool ran_inline;         /* head's work ran on the loop (no thread): done is due */
};

static void *
buildq_thread(void *arg)
{
	struct buildq *q = arg;
	char one = 1;

	/* head is not changed by the loop while running: only this job's data is touched */
	q->head->work(q->head->arg);
	while (write(q->pipe[1], &one, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

/* Start head's worker (loop thread). With no thread to be had, the work runs right here. */
static void
buildq_start(struct buildq *q)
{
	sigset_t all, old;
	int rc;

	if (q->head == NULL || q->running || q->ran_inline)
		return;
	/* signals stay with the loop thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&q->thread, NULL, buildq_thread, q);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc == 0) {
		q->running = true;
		return;
	}
	q->ran_inline = true;
	q->head->work(q->head->arg);
	event_active(q->ev, EV_READ, 0); /* done on the next loop pass, as a thread's would be */
}

static void
buildq_finish_cb(evutil_socket_t fd, short what, void *arg)
{
	struct buildq *q = arg;
	struct buildq_job *j = q->head;
	char buf[16];

	if (q->running) {
		if (read(fd, buf, 1) != 1)
			return; /* spurious wake-up: the worker has not written yet */
		pthread_join(q->thread, NULL);
		q->running = false;
	} else if (q->ran_inline) {
		q->ran_inline = false;
	} else {
		return;
	}
	q->head = j->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->njobs--;
	j->done(j->arg, false);
	free(j);
	buildq_start(q);
}

struct buildq *
buildq_new(struct event_base *base, size_t max_jobs)
{
	struct buildq *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->base = base;
	q->max_jobs = max_jobs ? max_jobs : 1;
	if (pipe2(q->pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		free(q);
		return NULL;
	}
	q->ev = event_new(base, q->pipe[0], EV_READ | EV_PERSIST, buildq_finish_cb, q);
	if (q->ev == NULL || event_add(q->ev, NULL) < 0) {
		buildq_free(q);
		return NULL;
	}
	return q;
}

void
buildq_free(struct buildq *q)
{
	if (q == NULL)
		return;
	if (q->running)
		pthread_join(q->thread, NULL);
	while (q->head) {
		struct buildq_job *j = q->head;
		q->head = j->next;
		j->done(j->arg, true);
		free(j);
	}
	if (q->ev)
		event_free(q->ev);
	close(q->pipe[0]);
	close(q->pipe[1]);
	free(q);
}

int
buildq_submit(struct buildq *q, buildq_work_fn work, buildq_done_fn done, void *arg)
{
	struct buildq_job *j;

	if (q->njobs >= q->max_jobs || (j = calloc(1, sizeof(*j))) == NULL)
		return -1;
	j->work = work;
	j->done = done;
	j->arg = arg;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	q->njobs++;
	buildq_start(q);
	return 0;
}

size_t
buildq_jobs(const struct buildq *q)
{
	return q->njobs;
}
