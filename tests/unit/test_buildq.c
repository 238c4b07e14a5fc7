/* tests/unit/test_buildq.c -- the off-loop job queue: work runs in another thread, done on the
   loop in submission order, a full queue refuses, freeing cancels what is left. */
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include <criterion/criterion.h>
#include <event2/event.h>

#include "server/buildq.h"

struct job {
	pthread_t loop;          /* the loop's thread */
	bool other;              /* work ran in another thread */
	int *order;              /* where done writes its number */
	int *norder;             /* entries in order */
	int n;                   /* this job's number */
	bool cancelled;          /* done was told so */
	bool done;               /* done ran */
	struct event_base *base; /* to stop once the last is done */
	int last;                /* number of the last job */
};

static void
work(void *arg)
{
	struct job *j = arg;
	j->other = !pthread_equal(pthread_self(), j->loop);
}

static void
done(void *arg, bool cancelled)
{
	struct job *j = arg;
	j->done = true;
	j->cancelled = cancelled;
	j->order[(*j->norder)++] = j->n;
	if (j->n == j->last && j->base)
		event_base_loopbreak(j->base);
}

Test(buildq, jobs_run_off_the_loop_and_finish_in_order)
{
	struct event_base *base = event_base_new();
	struct buildq *q = buildq_new(base, 4);
	struct job jobs[3];
	int order[3], norder = 0;

	for (int i = 0; i < 3; i++) {
		memset(&jobs[i], 0, sizeof(jobs[i]));
		jobs[i] = (struct job){.loop = pthread_self(),
		                       .order = order,
		                       .norder = &norder,
		                       .n = i,
		                       .base = base,
		                       .last = 2};
		cr_assert_eq(buildq_submit(q, work, done, &jobs[i]), 0);
	}
	cr_expect_eq(buildq_jobs(q), 3);
	event_base_dispatch(base);
	cr_assert_eq(norder, 3);
	for (int i = 0; i < 3; i++) {
		cr_expect_eq(order[i], i);
		cr_expect(jobs[i].other, "job %d ran on the loop's thread", i);
		cr_expect_not(jobs[i].cancelled);
	}
	cr_expect_eq(buildq_jobs(q), 0);
	buildq_free(q);
	event_base_free(base);
}

Test(buildq, a_full_queue_refuses_and_free_cancels_the_rest)
{
	struct event_base *base = event_base_new();
	struct buildq *q = buildq_new(base, 2);
	struct job jobs[3];
	int order[3], norder = 0;

	for (int i = 0; i < 3; i++)
		jobs[i] = (struct job){
		    .loop = pthread_self(), .order = order, .norder = &norder, .n = i, .last = -1};
	cr_assert_eq(buildq_submit(q, work, done, &jobs[0]), 0);
	cr_assert_eq(buildq_submit(q, work, done, &jobs[1]), 0);
	cr_expect_eq(buildq_submit(q, work, done, &jobs[2]), -1);
	buildq_free(q); /* the loop never ran: both are cancelled, the first after its work */
	cr_expect(jobs[0].done && jobs[0].cancelled);
	cr_expect(jobs[0].other, "the running job's work did not run");
	cr_expect(jobs[1].done && jobs[1].cancelled);
	cr_expect_not(jobs[1].other, "a waiting job's work ran");
	cr_expect_not(jobs[2].done);
	event_base_free(base);
}
