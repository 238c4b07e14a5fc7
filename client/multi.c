/* client/multi.c -- -j N: up to N checks at once on one libevent event loop.

   The mail logic (mx.c, rdns.c) is written as straight-line code that calls lookup_resolve();
   rather than turning it inside out, each running check gets a coroutine (ucontext, its own
   mmap'd stack) and its own struct lookup. The network transport asks the lookup's waiter
   before it touches a socket (lookup_net_set_waiter): here the waiter registers a libevent
   event for the socket with the time left as its timeout and switches back to the loop; the
   event's callback switches into the check again. Only one check runs at any moment, so the
   checks share nothing but the loop. Results are kept until every earlier target is done and
   handed to the caller in input order. A transport that never waits (the test fake) simply
   runs each check to its end. */
#include "client/multi.h"
#include "client/trace.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <event2/event.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define MULTI_STACK                      (2u << 20) /* ASan frames are larger */
#define fiber_start(fake, bottom, size)  __sanitizer_start_switch_fiber(fake, bottom, size)
#define fiber_finish(fake, bottom, size) __sanitizer_finish_switch_fiber(fake, bottom, size)
#else
#define MULTI_STACK                      (512u << 10)
#define fiber_start(fake, bottom, size)  ((void)(fake), (void)(bottom), (void)(size))
#define fiber_finish(fake, bottom, size) ((void)(fake), (void)(bottom), (void)(size))
#endif

struct multi;

/* One concurrent slot: a coroutine that runs one check after another. */
struct multi_slot {
	struct multi *m;           /* the run it belongs to */
	ucontext_t ctx;            /* the coroutine's context */
	ucontext_t caller;         /* the context that resumed it last */
	void *stack;               /* its stack (mmap, guard page first), owned */
	size_t stack_size;         /* bytes of stack, guard page included */
	struct lookup *lk;         /* its lookup, owned */
	size_t job;                /* index of the target it checks */
	bool busy;                 /* a check is running in it */
	bool finished;             /* that check returned (set inside the coroutine) */
	struct check_result *r;    /* its result, until complete() takes it */
	char err[512];             /* its error when r is NULL */
	int wait_rc;               /* what the last wait gave: 1 ready, 0 timed out */
	bool waiting;              /* suspended in slot_wait (its event may resume it) */
	struct event *ev;          /* the socket event it waits on, kept between waits; owned */
	int ev_fd;                 /* the descriptor ev watches, -1 when ev is not pending */
	short ev_what;             /* EV_READ / EV_WRITE of ev */
	void *fake;                /* ASan fake stack of the coroutine (NULL without ASan) */
	const void *caller_bottom; /* ASan: stack of the resumer */
	size_t caller_size;        /* ASan: its size */
};

/* One run of multi_run. */
struct multi {
	const struct multi_config *cfg; /* the caller's configuration (not owned) */
	struct event_base *base;        /* the loop, owned */
	struct multi_slot *slots;       /* cfg->jobs slots, owned */
	size_t nslots;                  /* entries in slots */
	struct check_result **results;  /* finished results not yet delivered, owned */
	char (*errs)[512];              /* their errors */
	bool *done;                     /* target i has finished */
	size_t next_job;                /* next target to start */
	size_t next_deliver;            /* next target to hand back */
	size_t ndone;                   /* targets finished */
	double t0;                      /* start of the run (monotonic ms) */
	struct event *tick;             /* the progress timer, owned (NULL without progress) */
};

/* The slot slot_main() runs (makecontext passes only ints). */
static struct multi_slot *starting;

static void
resume(struct multi_slot *s)
{
	void *fake = NULL;

	fiber_start(&fake, (char *)s->stack, s->stack_size);
	swapcontext(&s->caller, &s->ctx);
	fiber_finish(fake, NULL, NULL);
}

/* Inside the coroutine: back to whoever resumed it. */
static void
yield(struct multi_slot *s)
{
	fiber_start(&s->fake, s->caller_bottom, s->caller_size);
	swapcontext(&s->ctx, &s->caller);
	fiber_finish(s->fake, &s->caller_bottom, &s->caller_size);
}

static void
slot_main(void)
{
	struct multi_slot *s = starting;
	const struct multi_config *cfg = s->m->cfg;

	fiber_finish(NULL, &s->caller_bottom, &s->caller_size);
	s->err[0] = '\0';
	s->r = cfg->check(cfg->ud, s->lk, cfg->targets[s->job], s->err, sizeof(s->err));
	s->finished = true;
	/* Leave for good: this context is made afresh for the next check. */
	fiber_start(NULL, s->caller_bottom, s->caller_size);
	swapcontext(&s->ctx, &s->caller);
	abort(); /* never resumed */
}

static void event_ready_cb(evutil_socket_t fd, short what, void *arg);

/* Stop watching the slot's descriptor. */
static void
slot_unwatch(struct multi_slot *s)
{
	if (s->ev_fd >= 0)
		event_del(s->ev);
	s->ev_fd = -1;
}

/* The lookup's waiter: suspend this check until fd is ready or the deadline passes. The
   event stays pending (persistent) after the wait, so that the next wait on the same socket
   (the transport reuses one per server) only moves its timeout instead of taking it out of
   the kernel's epoll set and putting it back; the transport says before it closes a socket
   (ev 0), and a slot without more work lets go of it. */
static int
slot_wait(void *ud, int fd, short ev, double deadline)
{
	struct multi_slot *s = ud;
	double left = deadline - lookup_now_ms();
	struct timeval tv;
	short what = 0;

	if (ev == 0) {
		if (s->ev_fd == fd)
			slot_unwatch(s);
		return 0;
	}
	if (left <= 0)
		return 0;
	if (ev & POLLIN)
		what |= EV_READ;
	if (ev & POLLOUT)
		what |= EV_WRITE;
	tv.tv_sec = (time_t)(left / 1000);
	tv.tv_usec = (suseconds_t)((left - (double)tv.tv_sec * 1000) * 1000);
	if (s->ev_fd != fd || s->ev_what != what) {
		slot_unwatch(s);
		if (event_assign(s->ev, s->m->base, fd, what | EV_PERSIST, event_ready_cb, s) < 0)
			return -1;
		s->ev_fd = fd;
		s->ev_what = what;
	}
	if (event_add(s->ev, &tv) < 0) {
		slot_unwatch(s);
		return -1;
	}
	s->wait_rc = -1;
	s->waiting = true;
	yield(s);
	s->waiting = false;
	return s->wait_rc;
}

/* Hand back every finished result that is next in input order. */
static void
deliver_ready(struct multi *m)
{
	const struct multi_config *cfg = m->cfg;

	while (m->next_deliver < cfg->ntargets && m->done[m->next_deliver]) {
		size_t i = m->next_deliver++;
		cfg->deliver(cfg->ud, i, m->results[i], m->errs[i]);
		m->results[i] = NULL;
	}
}

/* A slot's check returned: keep its result, free the slot. */
static void
complete(struct multi_slot *s)
{
	struct multi *m = s->m;

	m->results[s->job] = s->r;
	snprintf(m->errs[s->job], sizeof(m->errs[0]), "%s", s->err);
	m->done[s->job] = true;
	m->ndone++;
	s->r = NULL;
	s->busy = false;
	s->finished = false;
	if (m->next_job >= m->cfg->ntargets)
		slot_unwatch(s); /* no more checks here: nothing may keep the loop running */
	deliver_ready(m);
}

/* Make the slot's context start slot_main() on its own stack. (A function of its own: the
   context made by getcontext() is never returned to, but the compiler cannot know.) */
static __attribute__((noinline)) void
slot_prepare(struct multi_slot *s)
{
	getcontext(&s->ctx);
	s->ctx.uc_stack.ss_sp = s->stack;
	s->ctx.uc_stack.ss_size = s->stack_size;
	s->ctx.uc_link = NULL;
	makecontext(&s->ctx, slot_main, 0);
}

/* Start checks in every free slot while targets remain. A check that needs no network (a
   fake transport, answers remembered) finishes at once and its slot is used again. */
static void
fill(struct multi *m)
{
	for (size_t k = 0; k < m->nslots; k++) {
		struct multi_slot *s = &m->slots[k];
		while (!s->busy && m->next_job < m->cfg->ntargets) {
			slot_prepare(s);
			s->job = m->next_job++;
			s->busy = true;
			s->finished = false;
			starting = s;
			resume(s);
			if (s->finished)
				complete(s);
		}
	}
	if (m->ndone == m->cfg->ntargets && m->tick != NULL)
		event_del(m->tick); /* nothing keeps the loop running now */
}

static void
event_ready_cb(evutil_socket_t fd, short what, void *arg)
{
	struct multi_slot *s = arg;

	if (!s->waiting) {
		slot_unwatch(s); /* ready while its check runs no wait: nobody to tell */
		return;
	}
	s->wait_rc = (what & (EV_READ | EV_WRITE)) ? 1 : 0;
	resume(s);
	if (s->finished)
		complete(s);
	fill(s->m);
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct multi *m = arg;

	m->cfg->progress(m->cfg->ud, m->ndone, m->cfg->ntargets, lookup_now_ms() - m->t0);
}

static void
multi_free(struct multi *m)
{
	for (size_t k = 0; k < m->nslots; k++) {
		lookup_free(m->slots[k].lk);
		if (m->slots[k].ev != NULL)
			event_free(m->slots[k].ev);
		if (m->slots[k].stack != NULL)
			munmap(m->slots[k].stack, m->slots[k].stack_size);
	}
	for (size_t i = 0; m->results && i < m->cfg->ntargets; i++)
		check_result_free(m->results[i]);
	free(m->slots);
	free(m->results);
	free(m->errs);
	free(m->done);
	if (m->tick)
		event_free(m->tick);
	if (m->base)
		event_base_free(m->base);
}

int
multi_run(const struct multi_config *cfg, char *err, size_t errlen)
{
	struct multi m;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	int rc = -1;

	memset(&m, 0, sizeof(m));
	m.cfg = cfg;
	m.nslots = cfg->jobs < cfg->ntargets ? cfg->jobs : cfg->ntargets;
	if (m.nslots == 0)
		m.nslots = 1;
	m.base = event_base_new();
	m.slots = calloc(m.nslots, sizeof(*m.slots));
	m.results = calloc(cfg->ntargets ? cfg->ntargets : 1, sizeof(*m.results));
	m.errs = calloc(cfg->ntargets ? cfg->ntargets : 1, sizeof(*m.errs));
	m.done = calloc(cfg->ntargets ? cfg->ntargets : 1, sizeof(*m.done));
	if (m.base == NULL || m.slots == NULL || m.results == NULL || m.errs == NULL ||
	    m.done == NULL) {
		snprintf(err, errlen, "out of memory (event loop for -j)");
		goto out;
	}
	for (size_t k = 0; k < m.nslots; k++) {
		struct multi_slot *s = &m.slots[k];
		s->m = &m;
		s->stack_size = MULTI_STACK + page;
		s->stack = mmap(NULL, s->stack_size, PROT_READ | PROT_WRITE,
		                MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (s->stack == MAP_FAILED) {
			s->stack = NULL;
			snprintf(err, errlen, "cannot map a stack for -j");
			goto out;
		}
		mprotect(s->stack, page, PROT_NONE); /* guard page: an overflow faults */
		s->ev_fd = -1;
		s->ev = event_new(m.base, -1, 0, event_ready_cb, s);
		if (s->ev == NULL) {
			snprintf(err, errlen, "out of memory (event loop for -j)");
			goto out;
		}
		s->lk = cfg->new_lookup(cfg->ud, err, errlen);
		if (s->lk == NULL)
			goto out;
		/* -1 for a fake: it never waits */
		if (lookup_net_set_waiter(s->lk, slot_wait, s) < 0)
			trace_set_waiter(s->lk, slot_wait, s);
	}
	m.t0 = lookup_now_ms();
	if (cfg->progress != NULL) {
		struct timeval quarter = {0, 250000};
		m.tick = event_new(m.base, -1, EV_PERSIST, tick_cb, &m);
		if (m.tick == NULL || event_add(m.tick, &quarter) < 0) {
			snprintf(err, errlen, "cannot arm the progress timer");
			goto out;
		}
	}
	fill(&m);
	if (m.ndone < cfg->ntargets)
		event_base_dispatch(m.base);
	if (m.ndone < cfg->ntargets) {
		snprintf(err, errlen,
		         "internal: the event loop stopped with %zu of %zu checks done", m.ndone,
		         cfg->ntargets);
		goto out;
	}
	rc = 0;
out:
	multi_free(&m);
	return rc;
}
