/* server/qlog.h -- the query log: one record per query, kept in a ring buffer for the control
   API and written as one JSON object per line to --query-log. */
#ifndef MXLAB_QLOG_H
#define MXLAB_QLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <netinet/in.h>
#include <sys/socket.h>

#define QLOG_RING_DEFAULT 100000
#define QLOG_NAME_MAX     1025 /* presentation question name with escapes, and its NUL */

/* A socket address small enough to keep by the hundred thousand. */
union qlog_addr {
	struct sockaddr sa;       /* family tag */
	struct sockaddr_in sin;   /* IPv4 */
	struct sockaddr_in6 sin6; /* IPv6 */
};

struct qlog_entry {
	uint64_t seq;           /* 1-based sequence number, set by qlog_add */
	struct timespec time;   /* wall-clock time the query arrived */
	union qlog_addr client; /* peer address and port */
	union qlog_addr listen; /* local address and port it arrived at */
	bool tcp;               /* transport: TCP (else UDP) */
	uint16_t id;            /* message ID of the request */
	const char *qname;      /* lower-case question name, NULL when none was read; not owned
	                           (the query's buffer, or the ring slot's own copy) */
	int32_t qtype;          /* question type, -1 when none was read */
	int32_t edns;           /* requester's EDNS payload size, -1 without OPT */
	bool edns_do;           /* DO bit */
	int32_t rcode;          /* rcode of the reply sent, -1 when nothing was sent */
	uint16_t flags;         /* header flags word of the reply sent */
	uint16_t qflags;        /* header flags word of the request (logged when no reply went) */
	bool has_qflags;        /* qflags was read (the request had a header) */
	uint16_t ancount;       /* answer records in the reply sent */
	const char *fault;      /* text of the fault rule that fired, NULL when none; not owned
	                           (the query's copy, or the ring slot's own copy) */
	const char *action;     /* "answer", "drop", or the fault action name (static) */
	uint32_t bytes;         /* reply size in bytes (0 when nothing was sent) */
	uint64_t latency_us;    /* arrival to send (or to the drop decision) */
};

struct qlog;
struct qlogw;

/* A log keeping the last cap entries (0: QLOG_RING_DEFAULT). out, when not NULL, receives each
   entry as a JSON line, flushed (not closed by qlog_free). */
struct qlog *qlog_new(size_t cap, FILE *out);
void qlog_free(struct qlog *ql);
/* Write each entry to w (server/qlogw.h: never blocks) instead of the FILE given to qlog_new;
   w stays the caller's (NULL: back to the FILE). */
void qlog_set_writer(struct qlog *ql, struct qlogw *w);

/* Add a copy of e (its qname and fault strings too: the caller keeps its buffers); assigns
   e's seq. No allocation once a ring slot has held strings this long. */
void qlog_add(struct qlog *ql, struct qlog_entry *e);

/* Sequence number of the newest entry (0 when nothing was logged yet). */
uint64_t qlog_last_seq(const struct qlog *ql);
/* Number the next entry seq + 1 (a log file continued from an earlier run). */
void qlog_set_seq(struct qlog *ql, uint64_t seq);
/* The highest "seq" in the last 64 KiB of the query log file at path (0 when it is not a
   regular file or has none): where the numbering of a run appending to it goes on. */
uint64_t qlog_file_last_seq(const char *path);
/* Forget every entry (sequence numbers keep growing). */
void qlog_clear(struct qlog *ql);
/* Call fn for every kept entry with seq > since, oldest first. */
void qlog_foreach_since(const struct qlog *ql, uint64_t since,
                        void (*fn)(const struct qlog_entry *e, void *arg), void *arg);

/* e as one JSON object (no newline) into buf; returns the length it needed (snprintf style). */
size_t qlog_format(const struct qlog_entry *e, char *buf, size_t len);

/* Small shared helpers: "TYPE123"-safe mnemonics and "addr#port". */
const char *qlog_type_name(uint16_t type, char *buf, size_t len);
const char *qlog_rcode_name(uint16_t rcode, char *buf, size_t len);
void qlog_addr_str(const union qlog_addr *a, bool with_port, char *buf, size_t len);

#endif
