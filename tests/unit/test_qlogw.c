/* tests/unit/test_qlogw.c -- the query log writer: a reader that stalls never blocks it, it
   drops whole lines and counts them, and what it keeps reaches the reader in order. */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "server/qlogw.h"

Test(qlogw, stalled_reader_never_blocks_and_whole_lines_are_dropped_and_counted, .timeout = 20)
{
	struct event_base *base = event_base_new();
	int p[2], fl;
	struct qlogw *w;
	char line[128], *got;
	size_t used = 0, cap = 1 << 22, lines = 0, sent = 0;
	ssize_t n;

	cr_assert_not_null(base);
	cr_assert_eq(pipe(p), 0);
	fl = fcntl(p[1], F_GETFL);
	cr_assert_eq(fcntl(p[1], F_SETFL, fl | O_NONBLOCK), 0);
	w = qlogw_new(base, p[1], 8192);
	cr_assert_not_null(w);
	/* what it says goes to a file of ours (one warning, however many lines drop) */
	FILE *errf = tmpfile();
	int saved = dup(2);
	cr_assert_not_null(errf);
	fflush(stderr);
	dup2(fileno(errf), 2);
	/* far more than the pipe (64 KiB) and the buffer hold, nobody reading: must return */
	for (int i = 0; i < 20000; i++) {
		int len = snprintf(line, sizeof(line), "{\"seq\":%d,\"pad\":\"%040d\"}\n", i, 0);
		qlogw_put(w, line, (size_t)len);
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	{
		char said[4096];
		size_t sl = 0, warnings = 0;
		rewind(errf);
		sl = fread(said, 1, sizeof(said) - 1, errf);
		said[sl] = '\0';
		for (char *q = said; (q = strstr(q, "dropping query log lines")) != NULL; q++)
			warnings++;
		cr_expect_eq(warnings, 1, "one warning: %s", said);
		fclose(errf);
	}
	cr_expect_gt(qlogw_dropped(w), 0, "a stalled reader must make lines drop");
	cr_expect_leq(qlogw_pending(w), 8192);
	/* the reader comes back: what was kept arrives, whole lines in order */
	got = malloc(cap);
	fl = fcntl(p[0], F_GETFL);
	fcntl(p[0], F_SETFL, fl | O_NONBLOCK);
	for (int round = 0; round < 1000 && (qlogw_pending(w) > 0 || round < 2); round++) {
		while ((n = read(p[0], got + used, cap - used - 1)) > 0)
			used += (size_t)n;
		event_base_loop(base, EVLOOP_NONBLOCK);
	}
	while ((n = read(p[0], got + used, cap - used - 1)) > 0)
		used += (size_t)n;
	got[used] = '\0';
	cr_expect_eq(qlogw_pending(w), 0);
	long last = -1;
	for (char *q = got; *q; q = strchr(q, '\n') + 1) {
		long seq;
		cr_assert(sscanf(q, "{\"seq\":%ld,", &seq) == 1, "not a whole line: %.60s", q);
		cr_assert_gt(seq, last, "lines out of order");
		last = seq;
		lines++;
		cr_assert_not_null(strchr(q, '\n'));
	}
	sent = 20000 - (size_t)qlogw_dropped(w);
	cr_expect_eq(lines, sent, "every line not dropped arrives: %zu of %zu", lines, sent);
	qlogw_free(w);
	close(p[0]);
	event_base_free(base);
	free(got);
}

Test(qlogw, fifo_without_a_reader_is_an_error_not_a_hang, .timeout = 10)
{
	char dir[] = "/tmp/mxlab-qlogw-XXXXXX", path[300], err[256] = "";

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/log", dir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_expect_eq(qlogw_open(path, err, sizeof(err)), -1);
	cr_expect(strstr(err, "no reader") != NULL, "%s", err);
	unlink(path);
	rmdir(dir);
}
