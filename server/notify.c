/* server/notify.c -- NOTIFY to secondaries over UDP: one unbound socket per address family,
   a message per changed zone per target, replies read and logged (they change nothing; the
   secondary then asks for the zone over TCP). */
#include "server/notify.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "common/log.h"

struct notify {
	struct event_base *base;  /* event loop; not owned */
	union qlog_addr *targets; /* where NOTIFYs go; owned */
	size_t ntargets;          /* entries in targets */
	int fd[2];                /* UDP sockets, IPv4 and IPv6; owned, -1 until needed */
	struct event *ev[2];      /* readable events draining the replies; owned */
	uint16_t next_id;         /* message ID of the next NOTIFY */
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

static void
notify_reply_cb(evutil_socket_t fd, short what, void *arg)
{
	uint8_t buf[512];
	ssize_t r;

	while ((r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		if (r >= 12)
			log_debug("notify: answer id %u rcode %u", (unsigned)(buf[0] << 8 | buf[1]),
			          (unsigned)(buf[3] & 0x0f));
	}
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
		uint8_t msg[512];
		size_t len;

		zoneset_info(now, z, &info);
		if (serial_of(before, info.origin, &old) && old == info.serial)
			continue;
		for (size_t t = 0; t < nt->ntargets; t++) {
			const union qlog_addr *a = &nt->targets[t];
			int fd = notify_socket(nt, a->sa.sa_family);
			socklen_t sl =
			    a->sa.sa_family == AF_INET6 ? sizeof(a->sin6) : sizeof(a->sin);

			if (fd < 0 ||
			    (len = notify_build(info.origin, nt->next_id++, msg, sizeof(msg))) == 0)
				continue;
			if (sendto(fd, msg, len, 0, &a->sa, sl) != (ssize_t)len) {
				log_warn("notify %s serial %u", info.origin, info.serial);
				continue;
			}
			log_info("notify: %s serial %u sent to target %zu", info.origin,
			         info.serial, t + 1);
			sent++;
		}
	}
	return sent;
}
