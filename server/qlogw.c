/* server/qlogw.c -- the --query-log writer: JSON lines buffered in memory and written to a
   non-blocking descriptor whenever it can take them, so a stalled reader never stops the event
   loop; when the buffer is full, whole lines are dropped and counted (one warning). */
#include "server/qlogw.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "common/file.h"
#include "common/log.h"

struct qlogw {
	int fd;               /* log descriptor, non-blocking; owned */
	struct evbuffer *buf; /* whole lines (the first maybe partly written) waiting; owned */
	struct event *ev;     /* EV_WRITE on fd while something waits; owned */
	size_t max;           /* most bytes kept waiting */
	uint64_t dropped;     /* lines dropped */
	bool warned;          /* the one warning about dropping was given */
	bool broken;          /* a write failed for good (EPIPE, EIO...): everything is dropped */
};

int
qlogw_open(const char *path, char *err, size_t errlen)
{
	int fd;

	if (strcmp(path, "-") == 0) {
		/* a description of our own (for a pipe or a terminal), so O_NONBLOCK does not
		   change the stdout the parent shares; a socket cannot be reopened that way */
		fd = open("/proc/self/fd/1", O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			int fl;
			if ((fd = fcntl(1, F_DUPFD_CLOEXEC, 3)) < 0 ||
			    (fl = fcntl(fd, F_GETFL)) < 0 ||
			    fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
				snprintf(err, errlen, "query log on stdout: %s", strerror(errno));
				if (fd >= 0)
					close(fd);
				return -1;
			}
		}
		return fd;
	}
	if ((fd = file_open_write(path, 0)) < 0) {
		snprintf(err, errlen, "%s: cannot open query log: %s", path,
		         errno == ENXIO ? "a FIFO with no reader" : strerror(errno));
		return -1;
	}
	return fd;
}

static void
drop(struct qlogw *w, const char *why)
{
	w->dropped++;
	if (!w->warned) {
		w->warned = true;
		log_warnx("query log: %s; dropping query log lines (counted in GET /stats as "
		          "query_log_dropped)",
		          why);
	}
}

/* Write what the descriptor takes now; wait for writability when something is left. */
static void
flush_now(struct qlogw *w)
{
	while (!w->broken && evbuffer_get_length(w->buf) > 0) {
		int n = evbuffer_write(w->buf, w->fd);
		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			event_add(w->ev, NULL);
			return;
		}
		/* the reader went away or the disk failed: nothing more can be written */
		w->broken = true;
		log_warnx("query log: write failed: %s",
		          n < 0 ? strerror(errno) : "nothing written");
		evbuffer_drain(w->buf, evbuffer_get_length(w->buf));
	}
}

static void
qlogw_write_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	flush_now(arg);
}

struct qlogw *
qlogw_new(struct event_base *base, int fd, size_t max)
{
	struct qlogw *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->fd = fd;
	w->max = max ? max : QLOGW_BUFFER_DEFAULT;
	w->buf = evbuffer_new();
	w->ev = event_new(base, fd, EV_WRITE, qlogw_write_cb, w);
	if (w->buf == NULL || w->ev == NULL) {
		w->fd = -1; /* the caller still owns it on failure */
		qlogw_free(w);
		return NULL;
	}
	return w;
}

void
qlogw_free(struct qlogw *w)
{
	if (w == NULL)
		return;
	if (w->buf && w->ev)
		flush_now(w);
	if (w->ev)
		event_free(w->ev);
	if (w->buf)
		evbuffer_free(w->buf);
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}

void
qlogw_put(struct qlogw *w, const char *line, size_t len)
{
	if (w->broken) {
		w->dropped++;
		return;
	}
	if (evbuffer_get_length(w->buf) + len > w->max) {
		drop(w, "the reader does not keep up");
		return;
	}
	if (evbuffer_add(w->buf, line, len) != 0) {
		drop(w, "out of memory");
		return;
	}
	/* only when nothing was waiting: otherwise the write event is already pending */
	if (evbuffer_get_length(w->buf) == len)
		flush_now(w);
}

uint64_t
qlogw_dropped(const struct qlogw *w)
{
	return w ? w->dropped : 0;
}

size_t
qlogw_pending(const struct qlogw *w)
{
	return w ? evbuffer_get_length(w->buf) : 0;
}
