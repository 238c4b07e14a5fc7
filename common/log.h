/* common/log.h -- the whole logging API: leveled messages to stderr, "-v" raises the level. */
#ifndef MXLAB_LOG_H
#define MXLAB_LOG_H

extern int log_verbosity; /* 0: warnings and errors; 1: info; 2+: debug */

void log_init(const char *progname, int verbosity);
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...)
    __attribute__((format(printf, 1, 2))); /* appends strerror(errno) */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
