/* server/notify.c -- NOTIFY to secondaries over UDP: one unbound socket per address family,
   a message per changed zone per target, sent again (1 s, 2 s, 4 s, 8 s later) until the
   target answers it (RFC 1996 3.6); the answer changes nothing here, the secondary then asks
   for the zone over TCP. */
#include "server/notify.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "common/log.h"

#define NOTIFY_TRIES    5    /* sends of one NOTIFY before giving up */
#define NOTIFY_RETRY_MS 1000 /* first wait for an answer (doubled after each send) */

/* One NOTIFY not answered yet. */
struct notify_pending {
	struct notify *nt;                 /* owner; not owned */
	union qlog_addr to;                /* the target */
	uint8_t msg[300];                  /* the message (a name is at most 255 bytes) */
	size_t len;                        /* bytes in msg */
	uint16_t id;                       /* its message ID */
	int tries;                         /* sends so far */
	int wait_ms;                       /* wait before the next send */
	struct event *timer;               /* the next send; owned */
	TAILQ_ENTRY(notify_pending) entry; /* link in nt->pending */
};

struct notify {
	struct event_base *base;  /* event loop; not owned */
	union qlog_addr *targets; /* where NOTIFYs go; owned */
	size_t ntargets;          /* entries in targets */
	int fd[2];                /* UDP sockets, IPv4 and IPv6; owned, -1 until needed */
	struct event *ev[2];      /* readable events reading the answers; owned */
	uint16_t next_id;         /* message ID of the next NOTIFY */
	TAILQ_HEAD(, notify_pending) pending; /* NOTIFYs not answered yet; owned */
};

int
notify_parse_target(const char *text, int default_port, union qlog_addr *out, char *err,
                    size_t errlen)
{
	char host[128];
	const char *at = strrchr(text, '@');
	size_t hl = at ? (size_t)(at - text) : strlen(text);
	long port = default_port;

	memset(out, 0, sizeof(*out));
	if (hl == 0 || hl >= sizeof(host)) {
		snprintf(err, errlen, "%s: expected ADDR or ADDR@PORT", text);
		return -1;
	}
	memcpy(host, text, hl);
	host[hl] = '\0';
	if (at) {
		char *end;
		errno = 0;
		port = strtol(at + 1, &end, 10);
		if (at[1] == '\0' || *end != '\0' || errno || port < 1 || port > 65535) {
			snprintf(err, errlen, "%s: port must be a number from 1 to 65535", text);
			return -1;
		}
	}
	if (inet_pton(AF_INET, host, &out->sin.sin_addr) == 1) {
		out->sin.sin_family = AF_INET;
		out->sin.sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &out->sin6.sin6_addr) == 1) {
		out->sin6.sin6_family = AF_INET6;
		out->sin6.sin6_port = htons((uint16_t)port);
		return 0;
	}
	snprintf(err, errlen, "%s: '%s' is not an IPv4 or IPv6 address", text, host);
	return -1;
}

size_t
notify_build(const char *origin, uint16_t id, uint8_t *out, size_t cap)
{
	ldns_rdf *dn = ldns_dname_new_frm_str(origin);
	size_t nl, len;

	if (dn == NULL)
		return 0;
	nl = ldns_rdf_size(dn);
	len = 12 + nl + 4;
	if (len > cap) {
		ldns_rdf_deep_free(dn);
		return 0;
	}
	memset(out, 0, 12);
	out[0] = (uint8_t)(id >> 8);
	out[1] = (uint8_t)id;
	out[2] = (uint8_t)(4 << 3) | 0x04; /* opcode NOTIFY, AA */
	out[5] = 1;                        /* QDCOUNT */
	memcpy(out + 12, ldns_rdf_data(dn), nl);
	out[12 + nl] = 0;
	out[12 + nl + 1] = 6; /* SOA */
	out[12 + nl + 2] = 0;
	out[12 + nl + 3] = 1; /* IN */
	ldns_rdf_deep_free(dn);
	return len;
}

static bool
same_addr(const union qlog_addr *a, const struct sockaddr_storage *b)
{
	if (a->sa.sa_family != b->ss_family)
		return false;
	if (a->sa.sa_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)b;
		return a->sin.sin_port == s->sin_port &&
		       a->sin.sin_addr.s_addr == s->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)b;
	return a->sin6.sin6_port == s6->sin6_port &&
	       memcmp(&a->sin6.sin6_addr, &s6->sin6_addr, 16) == 0;
}

static void
pending_free(struct notify_pending *p)
{
	TAILQ_REMOVE(&p->nt->pending, p, entry);
	if (p->timer)
		event_free(p->timer);
	free(p);
}

static void
notify_reply_cb(evutil_socket_t fd, short what, void *arg)
{
	struct notify *nt = arg;
	uint8_t buf[512];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	ssize_t r;

	while ((r = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl)) >
	       0) {
		uint16_t id;
		struct notify_pending *p;

		fl = sizeof(from);
		/* an answer: QR set, opcode NOTIFY */
		if (r < 12 || !(buf[2] & 0x80) || ((buf[2] >> 3) & 0x0f) != 4)
			continue;
		id = (uint16_t)(buf[0] << 8 | buf[1]);
		TAILQ_FOREACH(p, &nt->pending, entry)
		{
			if (p->id == id && same_addr(&p->to, &from))
				break;
		}
		if (p == NULL)
			continue;
		log_debug("notify: answered (id %u, rcode %u)", id, (unsigned)(buf[3] & 0x0f));
		pending_free(p);
	}
}

static int notify_socket(struct notify *nt, int family);

/* Send p (again); false when it cannot go at all. */
static bool
pending_send(struct notify_pending *p)
{
	int fd = notify_socket(p->nt, p->to.sa.sa_family);
	socklen_t sl = p->to.sa.sa_family == AF_INET6 ? sizeof(p->to.sin6) : sizeof(p->to.sin);

	p->tries++;
	if (fd < 0 || sendto(fd, p->msg, p->len, 0, &p->to.sa, sl) != (ssize_t)p->len) {
		log_warn("notify: send");
		return false;
	}
	return true;
}

static void
pending_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct notify_pending *p = arg;
	struct timeval tv;

	if (p->tries >= NOTIFY_TRIES) {
		log_warnx("notify: no answer after %d tries, giving up (id %u)", p->tries, p->id);
		pending_free(p);
		return;
	}
	pending_send(p);
	p->wait_ms *= 2;
	tv.tv_sec = p->wait_ms / 1000;
	tv.tv_usec = (p->wait_ms % 1000) * 1000;
	evtimer_add(p->timer, &tv);
}

struct notify *
notify_new(struct event_base *base, const union qlog_addr *targets, size_t n)
{
	struct notify *nt = calloc(1, sizeof(*nt));

	if (nt == NULL)
		return NULL;
	nt->base = base;
	nt->fd[0] = nt->fd[1] = -1;
	nt->next_id = 1;
	TAILQ_INIT(&nt->pending);
	if (n > 0) {
		if ((nt->targets = calloc(n, sizeof(*targets))) == NULL) {
			free(nt);
			return NULL;
		}
		memcpy(nt->targets, targets, n * sizeof(*targets));
	}
	nt->ntargets = n;
	return nt;
}

void
notify_free(struct notify *nt)
{
	if (nt == NULL)
		return;
	while (!TAILQ_EMPTY(&nt->pending))
		pending_free(TAILQ_FIRST(&nt->pending));
	for (int i = 0; i < 2; i++) {
		if (nt->ev[i])
			event_free(nt->ev[i]);
		if (nt->fd[i] >= 0)
			close(nt->fd[i]);
	}
	free(nt->targets);
	free(nt);
}

/* The socket for family (AF_INET or AF_INET6), made on first use; -1 when it cannot be. */
static int
notify_socket(struct notify *nt, int family)
{
	int i = family == AF_INET6;

	if (nt->fd[i] >= 0)
		return nt->fd[i];
	nt->fd[i] = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (nt->fd[i] < 0) {
		log_warn("notify: socket");
		return -1;
	}
	nt->ev[i] = event_new(nt->base, nt->fd[i], EV_READ | EV_PERSIST, notify_reply_cb, nt);
	if (nt->ev[i])
		event_add(nt->ev[i], NULL);
	return nt->fd[i];
}

/* The serial of origin in zs; false when zs does not serve it. */
static bool
serial_of(const struct zoneset *zs, const char *origin, uint32_t *serial)
{
	struct zone_info info;

	for (size_t i = 0; zs && i < zoneset_count(zs); i++) {
		zoneset_info(zs, i, &info);
		if (strcasecmp(info.origin, origin) == 0) {
			*serial = info.serial;
			return true;
		}
	}
	return false;
}

size_t
notify_changes(struct notify *nt, const struct zoneset *before, const struct zoneset *now)
{
	size_t sent = 0;
	struct zone_info info;

	if (nt == NULL || nt->ntargets == 0 || before == NULL || now == NULL)
		return 0;
	for (size_t z = 0; z < zoneset_count(now); z++) {
		uint32_t old;

		zoneset_info(now, z, &info);
		if (serial_of(before, info.origin, &old) && old == info.serial)
			continue;
		for (size_t t = 0; t < nt->ntargets; t++) {
			struct notify_pending *p, *q;
			struct timeval tv = {NOTIFY_RETRY_MS / 1000,
			                     (NOTIFY_RETRY_MS % 1000) * 1000};

			if ((p = calloc(1, sizeof(*p))) == NULL)
				continue;
			p->nt = nt;
			p->to = nt->targets[t];
			p->id = nt->next_id++;
			p->wait_ms = NOTIFY_RETRY_MS;
			p->len = notify_build(info.origin, p->id, p->msg, sizeof(p->msg));
			p->timer = evtimer_new(nt->base, pending_timer_cb, p);
			TAILQ_INSERT_TAIL(&nt->pending, p, entry);
			if (p->len == 0 || p->timer == NULL) {
				pending_free(p);
				continue;
			}
			/* a newer serial supersedes a NOTIFY of the same zone still unanswered */
			TAILQ_FOREACH(q, &nt->pending, entry)
			{
				if (q != p && q->len == p->len &&
				    memcmp(&q->to, &p->to, sizeof(p->to)) == 0 &&
				    memcmp(q->msg + 12, p->msg + 12, p->len - 12) == 0) {
					pending_free(q);
					break;
				}
			}
			if (!pending_send(p)) {
				pending_free(p);
				continue;
			}
			evtimer_add(p->timer, &tv);
			log_info("notify: %s serial %u sent to target %zu", info.origin,
			         info.serial, t + 1);
			sent++;
		}
	}
	return sent;
}
