/* client/trace.h -- --trace: every lookup resolved iteratively from the root, as a recursive
   resolver does, asking every server of each zone cut once so that each broken one is named
   (lame-delegation, ns-unreachable, glue-mismatch, ns-mismatch, delegation-loop). It is a
   lookup transport: the mail logic above it does not change. */
#ifndef MXCHECK_TRACE_H
#define MXCHECK_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/check.h"
#include "client/lookup.h"

#define TRACE_MAX_CUTS  16 /* zone cuts followed for one lookup before delegation-loop */
#define TRACE_MAX_ROOTS 64 /* root servers at most */

/* A name server: its name and one address. */
struct trace_server {
	char name[LOOKUP_NAME_MAX]; /* NS name (absolute), or the address text for --root */
	int family;                 /* AF_INET, AF_INET6, or 0 when the address is not known */
	uint8_t addr[16];           /* the address */
	uint16_t port;              /* UDP/TCP port (53) */
};

/* How a server is asked: the network (trace_net_new) or a test fake. */
struct trace_ops {
	/* Ask srv one question (RD clear); fill *out (zeroed by the caller). */
	void (*ask)(void *ud, const struct trace_server *srv, const char *qname, uint16_t qtype,
	            struct lookup_msg *out);
	/* Free ud (may be NULL). */
	void (*free)(void *ud);
};

/* A lookup that resolves from roots over ops (takes ownership of ud). */
struct lookup *trace_new(const struct trace_ops *ops, void *ud, const struct trace_server *roots,
                         size_t nroots);
/* The same over the network with -t/-r. */
struct lookup *trace_net_new(const struct trace_server *roots, size_t nroots, int timeout_ms,
                             int retries);
/* The -j waiter for a network trace lookup; -1 for another lookup. */
int trace_set_waiter(struct lookup *lk, lookup_wait_fn fn, void *ud);
/* The lookup is a trace lookup. */
bool trace_is(const struct lookup *lk);

/* Root servers from a hints file (named.root, or what mxlabd --root-hints writes): the NS
   names of "." and their A/AAAA records. 0, or -1 with "file:line: message" in err. */
int trace_hints_load(const char *path, struct trace_server **out, size_t *n, char *err,
                     size_t errlen);
/* --root ADDR[@PORT] (IPv6 may be in brackets). 0 or -1 with err. */
int trace_root_parse(const char *spec, struct trace_server *out, char *err, size_t errlen);

/* After a check: add the trace's problems and the zone cuts used to r. */
void trace_collect(struct lookup *lk, struct check_result *r);

#endif
