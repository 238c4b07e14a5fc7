/* server/net.h -- the transports: UDP and TCP listeners on libevent. Moves bytes and frames
   TCP messages; every query goes through query_process and net acts on its state. */
#ifndef MXLAB_NET_H
#define MXLAB_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "server/query.h"

#define NET_IDLE_MS_DEFAULT   10000 /* TCP idle timeout */
#define NET_MAX_CONNS_DEFAULT 256   /* TCP connections at once; more are closed at accept */
#define NET_CONN_WAITING_MAX  64    /* delayed queries per TCP connection before reading pauses */

/* One address to listen on. */
struct net_addr {
	char host[64]; /* numeric address, "127.0.0.1" or "::1" */
	bool optional; /* skip it quietly when the machine lacks it (the default ::1) */
};

struct net;

/* A transport set on base answering from ctx (ctx and base not owned, must outlive it). */
struct net *net_new(struct event_base *base, struct query_ctx *ctx);
/* Free listeners, connections and waiting queries (not logged). NULL-safe. */
void net_free(struct net *n);

void net_set_limits(struct net *n, int idle_ms, size_t max_conns);

/* UDP and TCP on every address at port (0: one free port shared by all). On success returns 0
   and the port in *bound_port; else -1 with a message in err. */
int net_listen(struct net *n, const struct net_addr *addrs, size_t naddrs, int port,
               int *bound_port, char *err, size_t errlen);

/* After net_listen: also listen on numeric address host (UDP and TCP, the same port). 0 ok (or
   already listening), -1 with a message in err. */
int net_listen_add(struct net *n, const char *host, char *err, size_t errlen);
/* Stop listening on host (its open TCP connections stay until they end). */
void net_listen_remove(struct net *n, const char *host);
bool net_listening(const struct net *n, const char *host);

/* Open TCP connections (for tests and /stats). */
size_t net_conn_count(const struct net *n);

/* UDP replies built but not sent (server lifetime): dropped on a full socket buffer or refused
   by the kernel. They are also counted as drops in query_stats and logged unanswered. */
uint64_t net_udp_unsent(const struct net *n);

#endif
