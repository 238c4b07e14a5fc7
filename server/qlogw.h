/* server/qlogw.h -- the --query-log writer: JSON lines buffered in memory and written to a
   non-blocking descriptor whenever it can take them, so a stalled reader never stops the event
   loop; when the buffer is full, whole lines are dropped and counted (one warning). */
#ifndef MXLAB_QLOGW_H
#define MXLAB_QLOGW_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#define QLOGW_BUFFER_DEFAULT (4UL << 20) /* bytes of lines kept while the reader is slow */

struct qlogw;

/* Open the query log FILE for appending ("-": stdout) without ever blocking: a FIFO without a
   reader fails at once, stdout gets a non-blocking descriptor of its own. The descriptor, or
   -1 with the reason in err. */
int qlogw_open(const char *path, char *err, size_t errlen);

/* A writer to fd (taken over: closed by qlogw_free) keeping at most max bytes waiting
   (0: QLOGW_BUFFER_DEFAULT). NULL when out of memory. */
struct qlogw *qlogw_new(struct event_base *base, int fd, size_t max);
/* Write what is waiting as far as the descriptor takes it now (never waits), then free. */
void qlogw_free(struct qlogw *w);

/* Queue one line (len bytes, its newline included) and write as much as the descriptor takes
   now. When it does not fit in the buffer it is dropped whole and counted. */
void qlogw_put(struct qlogw *w, const char *line, size_t len);

/* Lines dropped so far because the reader did not keep up (or the log could not be written). */
uint64_t qlogw_dropped(const struct qlogw *w);
/* Bytes waiting to be written. */
size_t qlogw_pending(const struct qlogw *w);

#endif
