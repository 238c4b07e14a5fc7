/* server/qlog_text.c -- the readable query log (--query-log-format text): one aligned line per
   query, coloured when it goes to a terminal. A pure function of the entry, tested directly. */
#include "server/qlog.h"

#include <stdarg.h>
#include <string.h>

/* ANSI colours, only used when the caller asks for colour. */
#define C_DIM   "\033[2m"
#define C_OK    "\033[32m"
#define C_WARN  "\033[33m"
#define C_BAD   "\033[1;31m"
#define C_FAULT "\033[1;35m"
#define C_OFF   "\033[0m"

/* The reply header bits a reader cares about (qr is always set, rd only echoes the query). */
static void
flag_words(uint16_t flags, char *buf, size_t len)
{
	static const struct {
		uint16_t bit;     /* header flag bit */
		const char *name; /* dig-style name (static) */
	} bits[] = {{0x0400, "aa"}, {0x0200, "tc"}, {0x0080, "ra"}, {0x0020, "ad"}};
	size_t pos = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (flags & bits[i].bit)
			qlog_appendf(buf, len, &pos, "%s%s", pos ? " " : "", bits[i].name);
	if (pos >= len)
		buf[len - 1] = '\0';
}

/* Colour of the rcode column: green for an answer with data, yellow for a negative or empty
   answer, red for failures and for no reply at all. */
static const char *
rcode_colour(const struct qlog_entry *e)
{
	if (e->rcode < 0)
		return C_BAD;
	if (e->rcode == 0)
		return e->ancount ? C_OK : C_WARN;
	if (e->rcode == 3)
		return C_WARN;
	return C_BAD;
}

size_t
qlog_format_text(const struct qlog_entry *e, bool colour, char *buf, size_t len)
{
	char cl[64], li[64], tn[32], rc[32], fl[32], hm[16];
	struct tm tm;
	size_t pos = 0;
	const char *on = colour ? rcode_colour(e) : "", *off = colour ? C_OFF : "";

	if (len)
		buf[0] = '\0';
	localtime_r(&e->time.tv_sec, &tm);
	strftime(hm, sizeof(hm), "%H:%M:%S", &tm);
	qlog_addr_str(&e->client, false, cl, sizeof(cl));
	qlog_addr_str(&e->listen, false, li, sizeof(li));
	if (e->qtype >= 0)
		qlog_type_name((uint16_t)e->qtype, tn, sizeof(tn));
	else
		snprintf(tn, sizeof(tn), "-");
	if (e->rcode >= 0) {
		qlog_rcode_name((uint16_t)e->rcode, rc, sizeof(rc));
		flag_words(e->flags, fl, sizeof(fl));
	} else {
		snprintf(rc, sizeof(rc), "no-reply");
		fl[0] = '\0';
	}

	qlog_appendf(buf, len, &pos,
	             "%s%s.%03ld%s  %-15s \xe2\x86\x92 %-15s  %-28s %-5s  %s%-8s%s %-5s %2u ans",
	             colour ? C_DIM : "", hm, e->time.tv_nsec / 1000000, off, cl, li,
	             e->qname ? e->qname : "-", tn, on, rc, off, fl, e->ancount);
	qlog_appendf(buf, len, &pos, " %6.1f ms", (double)e->latency_us / 1000.0);
	if (e->tcp)
		qlog_appendf(buf, len, &pos, "  tcp");
	if (e->fault)
		qlog_appendf(buf, len, &pos, "  %sfault %s: %s%s", colour ? C_FAULT : "",
		             e->action ? e->action : "?", e->fault, off);
	if (len)
		buf[pos < len ? pos : len - 1] = '\0';
	return pos;
}
