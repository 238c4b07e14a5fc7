/* tests/conformance/compare.c -- send every query of a list to two DNS servers on 127.0.0.1
   (the reference, NSD, and mxlabd) over UDP, UDP+EDNS and TCP, and compare their answers. */

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#define CMP_TIMEOUT_MS     1500 /* per exchange */
#define CMP_RAW_TIMEOUT_MS 300  /* per exchange of a raw query (servers may drop those) */
#define CMP_MAX_DEAD       5    /* consecutive timeouts before a server is declared dead */
#define CMP_MAXLINE        1024
#define CMP_MAXALLOW       256

enum transport {
	TR_UDP,  /* UDP, no EDNS: 512-byte limit */
	TR_EDNS, /* UDP with an OPT record (payload 1232 unless bufsize= says otherwise) */
	TR_TCP,  /* TCP, 2-byte length framing, no EDNS */
	TR_COUNT,
};

static const char *const tr_names[TR_COUNT] = {"udp", "edns", "tcp"};

struct query {
	char name[512];       /* query name as written in the list (case kept) */
	char type[32];        /* type mnemonic as written */
	ldns_rr_type qtype;   /* parsed type */
	ldns_rr_class qclass; /* IN unless class= given */
	unsigned transports;  /* bit mask of enum transport to run */
	uint16_t bufsize;     /* EDNS payload for TR_EDNS */
	uint8_t ednsver;      /* EDNS version for TR_EDNS */
	bool do_bit;          /* set DO on TR_EDNS (and send OPT with DO over TR_TCP) */
	bool rd;              /* set RD */
	bool cd;              /* set CD */
	uint8_t raw[1024];    /* "raw" lines: the query bytes exactly as sent */
	size_t rawlen;        /* bytes in raw; 0 for a normal query */
	int line;             /* line number in the query file */
};

struct allow {
	char qname[256];    /* fnmatch pattern on the query name (case-insensitive) */
	char qtype[32];     /* pattern on the type mnemonic */
	char transport[16]; /* pattern on the transport name */
	char field[32];     /* pattern on the field name */
	unsigned used;      /* how many differences it excused */
};

struct reply {
	bool got;        /* a reply arrived in time */
	ldns_pkt *pkt;   /* parsed reply, NULL when unparsable */
	size_t len;      /* reply size in bytes */
	uint8_t hdr[12]; /* first bytes of the reply (zero-padded), for unparsable replies */
};

struct server {
	const char *label; /* name printed in reports ("nsd", "mxlabd") */
	int port;          /* UDP and TCP port on 127.0.0.1 */
	int dead_run;      /* consecutive timeouts */
};

static struct allow allows[CMP_MAXALLOW]; /* the allow-list (deliberate differences) */
static size_t nallows;                    /* entries used in allows */
static bool verbose;                      /* -v: print every exchange */

static const char *const fields[] = {"reply",     "parse",      "header",   "id",   "rcode",
                                     "flags",     "opcode",     "question", "edns", "answer",
                                     "authority", "additional", NULL};
static unsigned field_count[16]; /* differences seen per entry of fields */

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* Wait until fd is readable (or writable) before the deadline. Returns 1 ready, 0 timeout. */
static int
wait_fd(int fd, short ev, double deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = ev};
		int left = (int)(deadline - now_ms());
		int r;

		if (left <= 0)
			return 0;
		r = poll(&p, 1, left);
		if (r > 0)
			return 1;
		if (r == 0)
			return 0;
		if (errno != EINTR)
			return 0;
	}
}

static int
connect_local(int type, int port)
{
	struct sockaddr_in sin;
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, type | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read exactly len bytes from a stream before the deadline. */
static bool
read_full(int fd, uint8_t *buf, size_t len, double deadline)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n;

		if (!wait_fd(fd, POLLIN, deadline))
			return false;
		n = read(fd, buf + got, len - got);
		if (n <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			return false;
		}
		got += (size_t)n;
	}
	return true;
}

/* One exchange: send wire q to 127.0.0.1:port, receive the reply into buf. Returns the reply
   length, 0 when none arrived in time. */
static size_t
exchange(enum transport tr, int port, const uint8_t *q, size_t qlen, uint8_t *buf, size_t cap,
         int timeout_ms)
{
	double deadline = now_ms() + timeout_ms;
	size_t len = 0;
	int fd;

	if (tr == TR_TCP) {
		uint8_t hdr[2];
		uint8_t *out;

		if ((fd = connect_local(SOCK_STREAM, port)) == -1)
			return 0;
		if ((out = malloc(qlen + 2)) == NULL) {
			close(fd);
			return 0;
		}
		out[0] = (uint8_t)(qlen >> 8);
		out[1] = (uint8_t)qlen;
		memcpy(out + 2, q, qlen);
		if (write(fd, out, qlen + 2) == (ssize_t)(qlen + 2) &&
		    read_full(fd, hdr, 2, deadline)) {
			len = (size_t)hdr[0] << 8 | hdr[1];
			if (len > cap || !read_full(fd, buf, len, deadline))
				len = 0;
		}
		free(out);
		close(fd);
		return len;
	}
	if ((fd = connect_local(SOCK_DGRAM, port)) == -1)
		return 0;
	if (send(fd, q, qlen, 0) == (ssize_t)qlen) {
		while (wait_fd(fd, POLLIN, deadline)) {
			ssize_t n = recv(fd, buf, cap, 0);

			if (n > 0) {
				len = (size_t)n;
				break;
			}
			if (n == -1 && errno != EINTR)
				break;
		}
	}
	close(fd);
	return len;
}

static ldns_pkt *
build_query(const struct query *qu, enum transport tr, uint16_t id)
{
	ldns_rdf *name = ldns_dname_new_frm_str(qu->name);
	ldns_pkt *p;

	if (name == NULL)
		return NULL;
	p = ldns_pkt_query_new(name, qu->qtype, qu->qclass, qu->rd ? LDNS_RD : 0);
	if (p == NULL)
		return NULL;
	ldns_pkt_set_id(p, id);
	ldns_pkt_set_cd(p, qu->cd);
	if (tr == TR_EDNS || (tr == TR_TCP && qu->do_bit)) { /* TCP: OPT only to carry DO */
		ldns_pkt_set_edns_udp_size(p, qu->bufsize);
		ldns_pkt_set_edns_version(p, qu->ednsver);
		ldns_pkt_set_edns_do(p, qu->do_bit);
	}
	return p;
}

static void
ask(struct server *s, enum transport tr, const uint8_t *wire, size_t wlen, bool raw,
    struct reply *r)
{
	static uint8_t buf[65536];

	memset(r, 0, sizeof(*r));
	if (s->dead_run >= CMP_MAX_DEAD)
		return;
	r->len = exchange(tr, s->port, wire, wlen, buf, sizeof(buf),
	                  raw ? CMP_RAW_TIMEOUT_MS : CMP_TIMEOUT_MS);
	if (r->len == 0) {
		/* a raw query may rightly get no answer: only normal queries count */
		if (!raw)
			s->dead_run++;
		return;
	}
	if (!raw)
		s->dead_run = 0;
	r->got = true;
	memcpy(r->hdr, buf, r->len < sizeof(r->hdr) ? r->len : sizeof(r->hdr));
	if (ldns_wire2pkt(&r->pkt, buf, r->len) != LDNS_STATUS_OK)
		r->pkt = NULL;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Presentation form of every RR of a section, owner lower-cased, sorted. */
static char **
section_strings(const ldns_rr_list *l, size_t *n)
{
	size_t cnt = l ? ldns_rr_list_rr_count(l) : 0;
	char **v = calloc(cnt + 1, sizeof(*v));

	for (size_t i = 0; i < cnt; i++) {
		ldns_rr *rr = ldns_rr_clone(ldns_rr_list_rr(l, i));
		char *s;

		ldns_dname2canonical(ldns_rr_owner(rr));
		s = ldns_rr2str(rr);
		ldns_rr_free(rr);
		if (s == NULL)
			s = strdup("(unprintable)");
		s[strcspn(s, "\n")] = '\0';
		v[i] = s;
	}
	qsort(v, cnt, sizeof(*v), str_cmp);
	*n = cnt;
	return v;
}

static void
strings_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static bool
allowed(const struct query *qu, enum transport tr, const char *field)
{
	for (size_t i = 0; i < nallows; i++) {
		struct allow *a = &allows[i];

		if (fnmatch(a->qname, qu->name, FNM_CASEFOLD) == 0 &&
		    fnmatch(a->qtype, qu->type, FNM_CASEFOLD) == 0 &&
		    fnmatch(a->transport, tr_names[tr], 0) == 0 &&
		    fnmatch(a->field, field, 0) == 0) {
			a->used++;
			return true;
		}
	}
	return false;
}

struct tally {
	unsigned diffs;      /* differences in this response */
	unsigned unexpected; /* differences not on the allow-list */
};

static void report(struct tally *t, const struct query *qu, enum transport tr, const char *field,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
report(struct tally *t, const struct query *qu, enum transport tr, const char *field,
       const char *fmt, ...)
{
	bool ok = allowed(qu, tr, field);
	va_list ap;

	t->diffs++;
	for (int i = 0; fields[i]; i++)
		if (strcmp(fields[i], field) == 0)
			field_count[i]++;
	if (!ok)
		t->unexpected++;
	printf("DIFF %s %s %s %s%s: ", qu->name, qu->type, tr_names[tr], field,
	       ok ? " (allowed)" : "");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void
flags_str(const ldns_pkt *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s%s%s", ldns_pkt_qr(p) ? " qr" : "",
	         ldns_pkt_aa(p) ? " aa" : "", ldns_pkt_tc(p) ? " tc" : "",
	         ldns_pkt_rd(p) ? " rd" : "", ldns_pkt_ra(p) ? " ra" : "",
	         ldns_pkt_ad(p) ? " ad" : "", ldns_pkt_cd(p) ? " cd" : "");
	if (buf[0] == '\0')
		snprintf(buf, len, " -");
}

static unsigned
full_rcode(const ldns_pkt *p)
{
	unsigned r = ldns_pkt_get_rcode(p);

	if (ldns_pkt_edns(p))
		r |= (unsigned)ldns_pkt_edns_extended_rcode(p) << 4;
	return r;
}

static void
rcode_str(unsigned rc, char *buf, size_t len)
{
	ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes, (int)rc);

	if (rc == 16)
		snprintf(buf, len, "BADVERS");
	else if (lt != NULL)
		snprintf(buf, len, "%s", lt->name);
	else
		snprintf(buf, len, "RCODE%u", rc);
}

static void
edns_str(const ldns_pkt *p, char *buf, size_t len)
{
	if (!ldns_pkt_edns(p))
		snprintf(buf, len, "none");
	else
		snprintf(buf, len, "version=%u udp=%u do=%d", ldns_pkt_edns_version(p),
		         ldns_pkt_edns_udp_size(p), ldns_pkt_edns_do(p) ? 1 : 0);
}

static void
question_str(const ldns_pkt *p, char *buf, size_t len)
{
	const ldns_rr_list *q = ldns_pkt_question(p);
	char *s;

	if (q == NULL || ldns_rr_list_rr_count(q) != 1) {
		snprintf(buf, len, "qdcount=%zu", q ? ldns_rr_list_rr_count(q) : 0);
		return;
	}
	s = ldns_rr2str(ldns_rr_list_rr(q, 0));
	snprintf(buf, len, "%s", s ? s : "?");
	buf[strcspn(buf, "\n")] = '\0';
	free(s);
}

static void
compare_section(struct tally *t, const struct query *qu, enum transport tr, const char *field,
                const ldns_rr_list *la, const ldns_rr_list *lb, const struct server *a,
                const struct server *b)
{
	size_t na, nb, i = 0, j = 0;
	char **va = section_strings(la, &na);
	char **vb = section_strings(lb, &nb);
	char buf[4096];
	size_t off = 0;

	buf[0] = '\0';
	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : strcmp(va[i], vb[j]);
		const char *who = c < 0 ? a->label : b->label;
		const char *rr = c < 0 ? va[i] : vb[j];

		if (c == 0) {
			i++, j++;
			continue;
		}
		if (off < sizeof(buf))
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, "\n    only %s: %s",
			                        who, rr);
		if (c < 0)
			i++;
		else
			j++;
	}
	if (buf[0] != '\0')
		report(t, qu, tr, field, "%s has %zu RRs, %s has %zu%s", a->label, na, b->label, nb,
		       buf);
	strings_free(va, na);
	strings_free(vb, nb);
}

/* Compare two replies to the same query; returns the tally of differences. */
static struct tally
compare(const struct query *qu, enum transport tr, uint16_t id, const struct reply *ra,
        const struct reply *rb, const struct server *a, const struct server *b)
{
	struct tally t = {0, 0};
	char sa[1024], sb[1024];

	if (!ra->got || !rb->got) {
		if (ra->got != rb->got)
			report(&t, qu, tr, "reply", "%s=%s %s=%s", a->label,
			       ra->got ? "answered" : "timeout", b->label,
			       rb->got ? "answered" : "timeout");
		return t;
	}
	if (ra->pkt == NULL || rb->pkt == NULL) {
		if ((ra->pkt == NULL) != (rb->pkt == NULL))
			report(&t, qu, tr, "parse", "%s=%s %s=%s", a->label,
			       ra->pkt ? "ok" : "unparsable", b->label,
			       rb->pkt ? "ok" : "unparsable");
		else if (memcmp(ra->hdr, rb->hdr, sizeof(ra->hdr)) != 0 || ra->len != rb->len)
			report(&t, qu, tr, "header",
			       "both unparsable; %s: %zu bytes, header %02x%02x %02x%02x; %s: %zu "
			       "bytes, header %02x%02x %02x%02x",
			       a->label, ra->len, ra->hdr[0], ra->hdr[1], ra->hdr[2], ra->hdr[3],
			       b->label, rb->len, rb->hdr[0], rb->hdr[1], rb->hdr[2], rb->hdr[3]);
		return t;
	}
	if (ldns_pkt_id(ra->pkt) != id || ldns_pkt_id(rb->pkt) != id)
		report(&t, qu, tr, "id", "sent %u, %s=%u %s=%u", id, a->label, ldns_pkt_id(ra->pkt),
		       b->label, ldns_pkt_id(rb->pkt));
	if (full_rcode(ra->pkt) != full_rcode(rb->pkt)) {
		rcode_str(full_rcode(ra->pkt), sa, sizeof(sa));
		rcode_str(full_rcode(rb->pkt), sb, sizeof(sb));
		report(&t, qu, tr, "rcode", "%s=%s %s=%s", a->label, sa, b->label, sb);
	}
	flags_str(ra->pkt, sa, sizeof(sa));
	flags_str(rb->pkt, sb, sizeof(sb));
	if (strcmp(sa, sb) != 0)
		report(&t, qu, tr, "flags", "%s=%s %s=%s", a->label, sa + 1, b->label, sb + 1);
	if (ldns_pkt_get_opcode(ra->pkt) != ldns_pkt_get_opcode(rb->pkt))
		report(&t, qu, tr, "opcode", "%s=%d %s=%d", a->label, ldns_pkt_get_opcode(ra->pkt),
		       b->label, ldns_pkt_get_opcode(rb->pkt));
	question_str(ra->pkt, sa, sizeof(sa));
	question_str(rb->pkt, sb, sizeof(sb));
	if (strcmp(sa, sb) != 0)
		report(&t, qu, tr, "question", "%s=[%s] %s=[%s]", a->label, sa, b->label, sb);
	edns_str(ra->pkt, sa, sizeof(sa));
	edns_str(rb->pkt, sb, sizeof(sb));
	if (strcmp(sa, sb) != 0)
		report(&t, qu, tr, "edns", "%s=[%s] %s=[%s]", a->label, sa, b->label, sb);
	compare_section(&t, qu, tr, "answer", ldns_pkt_answer(ra->pkt), ldns_pkt_answer(rb->pkt), a,
	                b);
	compare_section(&t, qu, tr, "authority", ldns_pkt_authority(ra->pkt),
	                ldns_pkt_authority(rb->pkt), a, b);
	compare_section(&t, qu, tr, "additional", ldns_pkt_additional(ra->pkt),
	                ldns_pkt_additional(rb->pkt), a, b);
	return t;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Parse "raw LABEL HEX [udp] [tcp]": bytes sent as they are ('_' and '.' in HEX are ignored). */
static int
parse_raw(char *rest, struct query *qu, char *err, size_t errlen)
{
	char *save = NULL, *label = strtok_r(rest, " \t", &save);
	char *hex = strtok_r(NULL, " \t", &save), *tok;

	if (label == NULL || hex == NULL) {
		snprintf(err, errlen, "expected: raw LABEL HEX [udp] [tcp]");
		return -1;
	}
	snprintf(qu->name, sizeof(qu->name), "%s", label);
	snprintf(qu->type, sizeof(qu->type), "RAW");
	for (const char *h = hex; *h; h++) {
		int v;

		if (*h == '_' || *h == '.')
			continue;
		if (!isxdigit((unsigned char)h[0]) || !isxdigit((unsigned char)h[1]) ||
		    qu->rawlen == sizeof(qu->raw)) {
			snprintf(err, errlen, "bad hex at '%s'", h);
			return -1;
		}
		sscanf(h, "%2x", &v);
		qu->raw[qu->rawlen++] = (uint8_t)v;
		h++;
	}
	if (qu->rawlen == 0) {
		snprintf(err, errlen, "empty raw query");
		return -1;
	}
	while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
		if (strcmp(tok, "udp") == 0)
			qu->transports |= 1u << TR_UDP;
		else if (strcmp(tok, "tcp") == 0)
			qu->transports |= 1u << TR_TCP;
		else {
			snprintf(err, errlen, "raw queries take only udp and tcp, not '%s'", tok);
			return -1;
		}
	}
	if (qu->transports == 0)
		qu->transports = 1u << TR_UDP | 1u << TR_TCP;
	return 0;
}

/* Parse "name type [udp|edns|tcp]... [bufsize=N] [ednsver=N] [do] [rd] [class=CH]". */
static int
parse_query(char *line, int lineno, struct query *qu, char *err, size_t errlen)
{
	char *tok, *save = NULL;
	int ntok = 0;

	memset(qu, 0, sizeof(*qu));
	qu->qclass = LDNS_RR_CLASS_IN;
	qu->bufsize = 1232;
	qu->line = lineno;
	tok = strtok_r(line, " \t", &save);
	if (tok != NULL && strcmp(tok, "raw") == 0)
		return parse_raw(save, qu, err, errlen);
	for (; tok; tok = strtok_r(NULL, " \t", &save), ntok++) {
		if (ntok == 0) {
			snprintf(qu->name, sizeof(qu->name), "%s", tok);
		} else if (ntok == 1) {
			snprintf(qu->type, sizeof(qu->type), "%s", tok);
			qu->qtype = ldns_get_rr_type_by_name(tok);
			if (qu->qtype == 0 && strcasecmp(tok, "TYPE0") != 0) {
				snprintf(err, errlen, "unknown type '%s'", tok);
				return -1;
			}
		} else if (strcmp(tok, "udp") == 0) {
			qu->transports |= 1u << TR_UDP;
		} else if (strcmp(tok, "edns") == 0) {
			qu->transports |= 1u << TR_EDNS;
		} else if (strcmp(tok, "tcp") == 0) {
			qu->transports |= 1u << TR_TCP;
		} else if (strncmp(tok, "bufsize=", 8) == 0) {
			long v = strtol(tok + 8, NULL, 10);

			if (v < 1 || v > 65535) {
				snprintf(err, errlen, "bad bufsize '%s'", tok + 8);
				return -1;
			}
			qu->bufsize = (uint16_t)v;
		} else if (strncmp(tok, "ednsver=", 8) == 0) {
			qu->ednsver = (uint8_t)strtol(tok + 8, NULL, 10);
		} else if (strcmp(tok, "do") == 0) {
			qu->do_bit = true;
		} else if (strcmp(tok, "cd") == 0) {
			qu->cd = true;
		} else if (strcmp(tok, "rd") == 0) {
			qu->rd = true;
		} else if (strncmp(tok, "class=", 6) == 0) {
			qu->qclass = ldns_get_rr_class_by_name(tok + 6);
			if (qu->qclass == 0) {
				snprintf(err, errlen, "unknown class '%s'", tok + 6);
				return -1;
			}
		} else {
			snprintf(err, errlen, "unknown option '%s'", tok);
			return -1;
		}
	}
	if (ntok < 2) {
		snprintf(err, errlen, "expected: name type [options]");
		return -1;
	}
	if (qu->transports == 0)
		qu->transports = (1u << TR_COUNT) - 1;
	return 0;
}

static int
load_allow(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[CMP_MAXLINE];
	int lineno = 0;

	if (f == NULL) {
		fprintf(stderr, "compare: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s, *hash;
		struct allow a;

		lineno++;
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		s = trim(line);
		if (*s == '\0')
			continue;
		memset(&a, 0, sizeof(a));
		if (sscanf(s, "%255s %31s %15s %31s", a.qname, a.qtype, a.transport, a.field) !=
		    4) {
			fprintf(stderr,
			        "compare: %s:%d: expected: qname-pattern type transport field\n",
			        path, lineno);
			fclose(f);
			return -1;
		}
		if (nallows == CMP_MAXALLOW) {
			fprintf(stderr, "compare: %s:%d: too many entries\n", path, lineno);
			fclose(f);
			return -1;
		}
		allows[nallows++] = a;
	}
	fclose(f);
	return 0;
}

/* Print a port that is free for both UDP and TCP on 127.0.0.1 right now (for run.sh). */
static int
free_port(void)
{
	for (int tries = 0; tries < 50; tries++) {
		struct sockaddr_in sin;
		socklen_t slen = sizeof(sin);
		int t = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);
		int port = 0;

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (t != -1 && u != -1 && bind(t, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
		    getsockname(t, (struct sockaddr *)&sin, &slen) == 0 &&
		    bind(u, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			port = ntohs(sin.sin_port);
		if (t != -1)
			close(t);
		if (u != -1)
			close(u);
		if (port > 0) {
			printf("%d\n", port);
			return 0;
		}
	}
	fprintf(stderr, "compare: no free port found\n");
	return 1;
}

/* Wait (bounded) until 127.0.0.1:port answers a query for name SOA over UDP and TCP; strict:
   the answer must also be authoritative, NOERROR, one SOA (the zone loaded). */
static int
wait_ready(int port, const char *name, int timeout_ms, bool strict)
{
	double deadline = now_ms() + timeout_ms;
	struct query qu;
	char line[CMP_MAXLINE], err[256];

	snprintf(line, sizeof(line), "%s SOA", name);
	if (parse_query(line, 0, &qu, err, sizeof(err)) == -1)
		return 2;
	while (now_ms() < deadline) {
		static uint8_t buf[65536];
		bool ok = true;

		for (int tr = TR_UDP; tr <= TR_TCP && ok; tr += TR_TCP - TR_UDP) {
			ldns_pkt *q = build_query(&qu, (enum transport)tr, 1);
			uint8_t *wire = NULL;
			size_t wlen = 0;

			if (q == NULL || ldns_pkt2wire(&wire, q, &wlen) != LDNS_STATUS_OK)
				return 2;
			ldns_pkt_free(q);
			ok = exchange((enum transport)tr, port, wire, wlen, buf, sizeof(buf),
			              CMP_TIMEOUT_MS) > 0;
			free(wire);
		}
		if (ok && strict) {
			ldns_pkt *r = NULL;
			size_t n;
			ldns_pkt *q = build_query(&qu, TR_UDP, 2);
			uint8_t *wire = NULL;
			size_t wlen = 0;

			if (q == NULL || ldns_pkt2wire(&wire, q, &wlen) != LDNS_STATUS_OK)
				return 2;
			ldns_pkt_free(q);
			n = exchange(TR_UDP, port, wire, wlen, buf, sizeof(buf), CMP_TIMEOUT_MS);
			free(wire);
			if (n == 0 || ldns_wire2pkt(&r, buf, n) != LDNS_STATUS_OK ||
			    ldns_pkt_get_rcode(r) != LDNS_RCODE_NOERROR || !ldns_pkt_aa(r) ||
			    ldns_pkt_ancount(r) != 1) {
				fprintf(
				    stderr,
				    "compare: 127.0.0.1:%d: %s SOA is not an authoritative answer "
				    "(rcode %d): zone not loaded?\n",
				    port, name, r ? (int)ldns_pkt_get_rcode(r) : -1);
				ldns_pkt_free(r);
				return 3;
			}
			ldns_pkt_free(r);
		}
		if (ok)
			return 0;
		usleep(5 * 1000); /* fine enough to time a server's start (make bench) */
	}
	fprintf(stderr, "compare: nothing answers on 127.0.0.1:%d after %d ms\n", port, timeout_ms);
	return 1;
}

static void
usage(void)
{
	fprintf(stderr,
	        "usage: compare [-v] [-a ALLOWLIST] [-A LABEL] [-B LABEL] QUERYFILE REF_PORT "
	        "TEST_PORT\n"
	        "       compare -P                      print a free UDP+TCP port on 127.0.0.1\n"
	        "       compare -w MS [-n NAME] PORT    wait until PORT answers NAME SOA\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct server a = {"nsd", 0, 0}, b = {"mxlabd", 0, 0};
	unsigned total = 0, match = 0, allowed_only = 0, unexpected = 0, nq = 0;
	char line[CMP_MAXLINE], err[256];
	uint16_t id = 4242;
	int c, lineno = 0, wait_ms = 0;
	const char *probe = "example.test";
	bool strict = false;
	FILE *f;

	while ((c = getopt(argc, argv, "va:A:B:Pw:n:s")) != -1) {
		switch (c) {
		case 'P':
			return free_port();
		case 'w':
			wait_ms = atoi(optarg);
			break;
		case 'n':
			probe = optarg;
			break;
		case 's':
			strict = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'a':
			if (load_allow(optarg) == -1)
				return 2;
			break;
		case 'A':
			a.label = optarg;
			break;
		case 'B':
			b.label = optarg;
			break;
		default:
			usage();
		}
	}
	if (wait_ms > 0) {
		if (argc - optind != 1)
			usage();
		return wait_ready(atoi(argv[optind]), probe, wait_ms, strict);
	}
	if (argc - optind != 3)
		usage();
	a.port = atoi(argv[optind + 1]);
	b.port = atoi(argv[optind + 2]);
	if (a.port <= 0 || a.port > 65535 || b.port <= 0 || b.port > 65535)
		usage();
	if ((f = fopen(argv[optind], "r")) == NULL) {
		fprintf(stderr, "compare: %s: %s\n", argv[optind], strerror(errno));
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), f) != NULL) {
		struct query qu;
		char *s, *hash;

		lineno++;
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		s = trim(line);
		if (*s == '\0')
			continue;
		if (parse_query(s, lineno, &qu, err, sizeof(err)) == -1) {
			fprintf(stderr, "compare: %s:%d: %s\n", argv[optind], lineno, err);
			fclose(f);
			return 2;
		}
		nq++;
		for (int tr = 0; tr < TR_COUNT; tr++) {
			struct reply ra, rb;
			struct tally t;
			ldns_pkt *q = NULL;
			uint8_t *wire = NULL;
			size_t wlen = 0;

			if (!(qu.transports & (1u << tr)))
				continue;
			id = (uint16_t)(id * 31421u + 6927u);
			if (qu.rawlen > 0) {
				wlen = qu.rawlen;
				wire = malloc(wlen);
				memcpy(wire, qu.raw, wlen);
				id = wlen >= 2 ? (uint16_t)(qu.raw[0] << 8 | qu.raw[1]) : 0;
			} else if ((q = build_query(&qu, tr, id)) == NULL ||
			           ldns_pkt2wire(&wire, q, &wlen) != LDNS_STATUS_OK) {
				fprintf(stderr, "compare: %s:%d: cannot build query for '%s'\n",
				        argv[optind], lineno, qu.name);
				fclose(f);
				return 2;
			}
			if (qu.rawlen == 0)
				ldns_pkt_free(q);
			ask(&a, tr, wire, wlen, qu.rawlen > 0, &ra);
			ask(&b, tr, wire, wlen, qu.rawlen > 0, &rb);
			free(wire);
			total++;
			t = compare(&qu, tr, id, &ra, &rb, &a, &b);
			if (verbose)
				printf("%s %s %s %s: %s %zu bytes, %s %zu bytes\n",
				       t.diffs ? "differs" : "same", qu.name, qu.type, tr_names[tr],
				       a.label, ra.len, b.label, rb.len);
			if (t.diffs == 0)
				match++;
			else if (t.unexpected == 0)
				allowed_only++;
			unexpected += t.unexpected;
			ldns_pkt_free(ra.pkt);
			ldns_pkt_free(rb.pkt);
		}
		if (a.dead_run >= CMP_MAX_DEAD || b.dead_run >= CMP_MAX_DEAD) {
			fprintf(stderr, "compare: %s stopped answering (%d timeouts in a row)\n",
			        a.dead_run >= CMP_MAX_DEAD ? a.label : b.label, CMP_MAX_DEAD);
			fclose(f);
			printf("%u/%u responses match %s (aborted)\n", match, total, a.label);
			return 1;
		}
	}
	fclose(f);
	for (size_t i = 0; i < nallows; i++)
		if (allows[i].used == 0)
			printf("note: allow-list entry '%s %s %s %s' matched nothing\n",
			       allows[i].qname, allows[i].qtype, allows[i].transport,
			       allows[i].field);
	if (allowed_only + unexpected > 0) {
		printf("differences by field:");
		for (int i = 0; fields[i]; i++)
			if (field_count[i])
				printf(" %s=%u", fields[i], field_count[i]);
		putchar('\n');
	}
	printf("%u queries, %u exchanges: %u differ only in allowed ways, %u unexpected "
	       "differences\n",
	       nq, total, allowed_only, unexpected);
	printf("%u/%u responses match %s\n", match, total, a.label);
	return unexpected ? 1 : 0;
}
