/* server/qlog.c -- the query log: a ring of compact records (cheap on the hot path), rendered
   as JSON lines only when written to --query-log or read through the control API. */
#include "server/qlog.h"
#include "server/qlogw.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ldns/ldns.h>

#define QLOG_SLOT_INLINE 64 /* string bytes a ring slot keeps without the heap */

/* One kept entry. Its strings live in the slot, so a slot is reused without allocation
   unless its name and rule text together outgrow everything it held before. */
struct qlog_slot {
	struct qlog_entry e;        /* the record; e.qname and e.fault point into inl or heap */
	char *heap;                 /* string storage when inl is too small; owned, grow-only */
	size_t heap_cap;            /* bytes allocated in heap */
	char inl[QLOG_SLOT_INLINE]; /* string storage for the common short name and rule */
};

struct qlog {
	struct qlog_slot *ring; /* cap slots; owned */
	size_t cap;             /* slots in ring */
	size_t n;               /* slots in use (<= cap) */
	size_t head;            /* slot the next entry goes to */
	uint64_t seq;           /* seq of the newest entry */
	FILE *out;              /* JSON lines sink; not owned, NULL when none */
	struct qlogw *w;        /* non-blocking JSON lines sink (--query-log); not owned, NULL */
};

struct qlog *
qlog_new(size_t cap, FILE *out)
{
	struct qlog *ql = calloc(1, sizeof(*ql));

	if (ql == NULL)
		return NULL;
	ql->cap = cap ? cap : QLOG_RING_DEFAULT;
	ql->ring = calloc(ql->cap, sizeof(*ql->ring));
	if (ql->ring == NULL) {
		free(ql);
		return NULL;
	}
	ql->out = out;
	return ql;
}

void
qlog_clear(struct qlog *ql)
{
	ql->n = 0;
	ql->head = 0;
}

void
qlog_free(struct qlog *ql)
{
	if (ql == NULL)
		return;
	for (size_t i = 0; i < ql->cap; i++)
		free(ql->ring[i].heap);
	free(ql->ring);
	free(ql);
}

/* Copy e into slot s, its strings into the slot's own storage. When that storage cannot grow
   the strings are left out (NULL), as a failed copy always was. */
static void
slot_store(struct qlog_slot *s, const struct qlog_entry *e)
{
	size_t qlen = e->qname ? strlen(e->qname) + 1 : 0;
	size_t flen = e->fault ? strlen(e->fault) + 1 : 0;
	char *p = s->inl;

	s->e = *e;
	if (qlen + flen > sizeof(s->inl)) {
		if (qlen + flen > s->heap_cap) {
			char *h = realloc(s->heap, qlen + flen);
			if (h == NULL) {
				s->e.qname = s->e.fault = NULL;
				return;
			}
			s->heap = h;
			s->heap_cap = qlen + flen;
		}
		p = s->heap;
	}
	if (e->qname) {
		memcpy(p, e->qname, qlen);
		s->e.qname = p;
	}
	if (e->fault) {
		memcpy(p + qlen, e->fault, flen);
		s->e.fault = p + qlen;
	}
}

/* Write e as one JSON line to out (flushed). */
static void
write_line(FILE *out, const struct qlog_entry *e)
{
	char buf[4096];
	size_t need = qlog_format(e, buf, sizeof(buf));

	if (need < sizeof(buf)) {
		fputs(buf, out);
	} else {
		char *big = malloc(need + 1);
		if (big) {
			qlog_format(e, big, need + 1);
			fputs(big, out);
			free(big);
		}
	}
	fputc('\n', out);
	fflush(out);
}

/* Queue e as one JSON line on w (never blocks). */
static void
put_line(struct qlogw *w, const struct qlog_entry *e)
{
	char buf[4096];
	size_t need = qlog_format(e, buf, sizeof(buf) - 1);

	if (need < sizeof(buf) - 1) {
		buf[need] = '\n';
		qlogw_put(w, buf, need + 1);
	} else {
		char *big = malloc(need + 2);
		if (big) {
			qlog_format(e, big, need + 1);
			big[need] = '\n';
			qlogw_put(w, big, need + 1);
			free(big);
		}
	}
}

void
qlog_add(struct qlog *ql, struct qlog_entry *e)
{
	struct qlog_slot *slot = &ql->ring[ql->head];

	e->seq = ++ql->seq;
	slot_store(slot, e);
	ql->head = (ql->head + 1) % ql->cap;
	if (ql->n < ql->cap)
		ql->n++;
	if (ql->w)
		put_line(ql->w, e);
	else if (ql->out)
		write_line(ql->out, e);
}

void
qlog_set_writer(struct qlog *ql, struct qlogw *w)
{
	ql->w = w;
}

void
qlog_set_seq(struct qlog *ql, uint64_t seq)
{
	ql->seq = seq;
}

uint64_t
qlog_file_last_seq(const char *path)
{
	static char buf[65536 + 1];
	struct stat st;
	off_t from;
	ssize_t n;
	uint64_t best = 0;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		close(fd);
		return 0;
	}
	from = st.st_size > (off_t)sizeof(buf) - 1 ? st.st_size - (off_t)sizeof(buf) + 1 : 0;
	n = pread(fd, buf, sizeof(buf) - 1, from);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (char *p = buf; (p = memmem(p, (size_t)(buf + n - p), "{\"seq\":", 7)) != NULL;
	     p += 7) {
		uint64_t v = strtoull(p + 7, NULL, 10);
		if (v > best)
			best = v;
	}
	return best;
}

uint64_t
qlog_last_seq(const struct qlog *ql)
{
	return ql->seq;
}

void
qlog_foreach_since(const struct qlog *ql, uint64_t since,
                   void (*fn)(const struct qlog_entry *e, void *arg), void *arg)
{
	size_t first = (ql->head + ql->cap - ql->n) % ql->cap;

	for (size_t i = 0; i < ql->n; i++) {
		const struct qlog_entry *e = &ql->ring[(first + i) % ql->cap].e;
		if (e->seq > since)
			fn(e, arg);
	}
}

const char *
qlog_type_name(uint16_t type, char *buf, size_t len)
{
	const ldns_rr_descriptor *d = ldns_rr_descript(type);

	if (d && d->_name && d->_type == type)
		snprintf(buf, len, "%s", d->_name);
	else
		snprintf(buf, len, "TYPE%u", type);
	return buf;
}

const char *
qlog_rcode_name(uint16_t rcode, char *buf, size_t len)
{
	static const char *const names[] = {
	    "NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
	    "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE", "DSOTYPENI",
	};

	if (rcode < sizeof(names) / sizeof(names[0]))
		snprintf(buf, len, "%s", names[rcode]);
	else if (rcode == 16)
		snprintf(buf, len, "BADVERS");
	else
		snprintf(buf, len, "RCODE%u", rcode);
	return buf;
}

void
qlog_addr_str(const union qlog_addr *a, bool with_port, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (a->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &a->sin.sin_addr, host, sizeof(host));
		port = ntohs(a->sin.sin_port);
	} else if (a->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &a->sin6.sin6_addr, host, sizeof(host));
		port = ntohs(a->sin6.sin6_port);
	}
	if (with_port)
		snprintf(buf, len, "%s#%u", host, port);
	else
		snprintf(buf, len, "%s", host);
}

/* Append s as a JSON string (quoted, escaped) to buf at *pos, counting what did not fit. */
static void
put_json_str(char *buf, size_t len, size_t *pos, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[8];

#define PUT(c)                                                                                     \
	do {                                                                                       \
		if (*pos + 1 < len)                                                                \
			buf[*pos] = (c);                                                           \
		(*pos)++;                                                                          \
	} while (0)
	PUT('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		const char *esc = NULL;
		switch (*p) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		default:
			if (*p < 0x20 || *p >= 0x7f) {
				/* names are ASCII; rule text should be too: keep JSON valid anyway
				 */
				tmp[0] = '\\';
				tmp[1] = 'u';
				tmp[2] = '0';
				tmp[3] = '0';
				tmp[4] = hex[*p >> 4];
				tmp[5] = hex[*p & 15];
				tmp[6] = '\0';
				esc = tmp;
			}
		}
		if (esc) {
			for (; *esc; esc++)
				PUT(*esc);
		} else {
			PUT((char)*p);
		}
	}
	PUT('"');
#undef PUT
	if (len)
		buf[*pos < len ? *pos : len - 1] = '\0';
}

/* Append printf output at *pos. */
static void __attribute__((format(printf, 4, 5)))
put_fmt(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(*pos < len ? buf + *pos : NULL, *pos < len ? len - *pos : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*pos += (size_t)n;
}

static void
flags_str(uint16_t flags, char *buf, size_t len)
{
	static const struct {
		uint16_t bit;     /* header flag bit */
		const char *name; /* its dig-style name (static) */
	} bits[] = {{0x8000, "qr"}, {0x0400, "aa"}, {0x0200, "tc"}, {0x0100, "rd"},
	            {0x0080, "ra"}, {0x0020, "ad"}, {0x0010, "cd"}};
	size_t pos = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		if (flags & bits[i].bit) {
			int n =
			    snprintf(buf + pos, len - pos, "%s%s", pos ? " " : "", bits[i].name);
			if (n < 0 || (size_t)n >= len - pos)
				break;
			pos += (size_t)n;
		}
	}
}

size_t
qlog_format(const struct qlog_entry *e, char *buf, size_t len)
{
	char tbuf[64], tz[32], cl[80], li[80], tn[32], fl[32];
	struct tm tm;
	size_t pos = 0;

	if (len)
		buf[0] = '\0';
	gmtime_r(&e->time.tv_sec, &tm);
	strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(tz, sizeof(tz), ".%03ldZ", e->time.tv_nsec / 1000000);
	qlog_addr_str(&e->client, true, cl, sizeof(cl));
	qlog_addr_str(&e->listen, true, li, sizeof(li));

	put_fmt(buf, len, &pos,
	        "{\"seq\":%llu,\"time\":\"%s%s\",\"client\":\"%s\",\"listen\":\"%s\","
	        "\"transport\":\"%s\",\"id\":%u,\"qname\":",
	        (unsigned long long)e->seq, tbuf, tz, cl, li, e->tcp ? "tcp" : "udp", e->id);
	if (e->qname)
		put_json_str(buf, len, &pos, e->qname);
	else
		put_fmt(buf, len, &pos, "null");
	if (e->qtype >= 0)
		put_fmt(buf, len, &pos, ",\"qtype\":\"%s\"",
		        qlog_type_name((uint16_t)e->qtype, tn, sizeof(tn)));
	else
		put_fmt(buf, len, &pos, ",\"qtype\":null");
	if (e->edns >= 0)
		put_fmt(buf, len, &pos, ",\"edns\":%d", e->edns);
	else
		put_fmt(buf, len, &pos, ",\"edns\":null");
	put_fmt(buf, len, &pos, ",\"do\":%s", e->edns_do ? "true" : "false");
	if (e->rcode >= 0) {
		flags_str(e->flags, fl, sizeof(fl));
		put_fmt(buf, len, &pos, ",\"rcode\":\"%s\",\"flags\":\"%s\",\"answer_count\":%u",
		        qlog_rcode_name((uint16_t)e->rcode, tn, sizeof(tn)), fl, e->ancount);
	} else if (e->has_qflags) {
		/* no reply: the flags the query itself had (rd, cd, ...), to tell queries apart */
		flags_str(e->qflags, fl, sizeof(fl));
		put_fmt(buf, len, &pos, ",\"rcode\":null,\"flags\":\"%s\",\"answer_count\":0", fl);
	} else {
		put_fmt(buf, len, &pos, ",\"rcode\":null,\"flags\":null,\"answer_count\":0");
	}
	put_fmt(buf, len, &pos, ",\"fault\":");
	if (e->fault)
		put_json_str(buf, len, &pos, e->fault);
	else
		put_fmt(buf, len, &pos, "null");
	put_fmt(buf, len, &pos, ",\"action\":\"%s\",\"bytes\":%u,\"latency_us\":%llu}",
	        e->action ? e->action : "answer", e->bytes, (unsigned long long)e->latency_us);
	return pos;
}
