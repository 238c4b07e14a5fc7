/* server/control.c -- the HTTP control API (evhttp, JSON bodies with jansson) on a loopback
   address or a UNIX socket. Every change is validated in full before anything served changes. */
#include "server/control.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "common/log.h"
#include "server/acache.h"
#include "server/dash.h"
#include "server/faultjson.h"
#include "server/qlogw.h"
#include "server/srv.h"

#define CONTROL_MAX_BODY (16 * 1024 * 1024)

#define CONTROL_MAX_LISTENERS 8

/* A UNIX socket file we bound (removed on exit only if it is still ours). */
struct control_unix {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* socket file */
	dev_t dev;                                              /* its device */
	ino_t ino;                                              /* its inode */
};

struct control {
	struct srv *srv;     /* the server it controls; not owned */
	struct evhttp *http; /* HTTP server; owned (owns its sockets) */
	struct control_unix unix_socks[CONTROL_MAX_LISTENERS]; /* UNIX sockets bound */
	size_t nunix;                                          /* entries in unix_socks */
	unsigned unix_mode; /* permissions given to UNIX sockets (--control-mode) */
	struct dash *dash;  /* the dashboard's page, catalog and event streams; owned */
};

void
control_reply_json(struct evhttp_request *req, int code, const char *reason, json_t *j)
{
	struct evbuffer *buf = evbuffer_new();
	char *text = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	                  "application/json");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
	if (buf && text) {
		evbuffer_add(buf, text, strlen(text));
		evbuffer_add(buf, "\n", 1);
	}
	evhttp_send_reply(req, code, reason, buf);
	free(text);
	if (buf)
		evbuffer_free(buf);
	json_decref(j);
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 when it is not one. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t len;
	unsigned min;
	unsigned cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, min = 0x80, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, min = 0x800, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, min = 0x10000, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* msg with every byte that is not valid UTF-8 written as \xHH (JSON strings must be UTF-8),
   into out. */
static void
utf8_escape(const char *msg, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)msg;
	size_t n = strlen(msg), o = 0;

	for (size_t i = 0; i < n && o + 5 < outlen;) {
		size_t l = utf8_len(p + i, n - i);
		if (l == 0) {
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02X", p[i]);
			i++;
			continue;
		}
		if (o + l + 1 > outlen)
			break;
		memcpy(out + o, p + i, l);
		o += l;
		i += l;
	}
	out[o] = '\0';
}

static void
reply_error(struct evhttp_request *req, int code, const char *reason, const char *msg)
{
	char safe[4096];
	json_t *j;

	utf8_escape(msg, safe, sizeof(safe));
	j = json_pack("{s:s}", "error", safe);
	if (j == NULL)
		j = json_pack("{s:s}", "error", "error message could not be encoded");
	control_reply_json(req, code, reason, j);
}

/* The request body as a NUL-terminated string (caller frees). */
static char *
body_text(struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	char *s = malloc(len + 1);

	if (s == NULL)
		return NULL;
	evbuffer_copyout(in, s, len);
	s[len] = '\0';
	if (strlen(s) != len) {
		free(s);
		return NULL;
	}
	return s;
}

static json_t *
rules_json(const struct fault_rules *fr)
{
	json_t *a = json_array();

	for (size_t i = 0; fr && i < fault_rules_count(fr); i++) {
		const struct fault_rule *r = fault_rules_get(fr, i);
		if (r == NULL)
			continue;
		json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:I}", "index", (json_int_t)i,
		                                   "rule", fault_rule_text(r), "action",
		                                   fault_action_name(fault_rule_action(r)), "fired",
		                                   (json_int_t)fault_rule_fired(r)));
	}
	return a;
}

/* The world's servers: address, NS names, zones served, state. */
static json_t *
servers_json(const struct srv *s)
{
	json_t *a = json_array();

	for (size_t i = 0; i < world_count(s->ctx.world); i++) {
		const struct world_server *ws = world_server_get(s->ctx.world, i);
		json_t *names = json_array(), *zones = json_array();
		for (size_t k = 0; k < ws->nnames; k++)
			json_array_append_new(names, json_string(ws->names[k]));
		if (ws->root) {
			json_array_append_new(zones, json_string("."));
		} else {
			for (size_t k = 0; k < ws->view.nzones; k++) {
				struct zone_info zi;
				zoneset_info(s->ctx.zs, ws->view.zones[k], &zi);
				json_array_append_new(zones, json_string(zi.origin));
			}
			for (size_t k = 0; k < ws->view.nsubst; k++) {
				struct zone_info zi;
				zoneset_info(s->ctx.zs, ws->view.subst[2 * k + 1], &zi);
				json_array_append_new(zones, json_string(zi.origin));
			}
		}
		json_array_append_new(a, json_pack("{s:s,s:o,s:o,s:s,s:b}", "address", ws->host,
		                                   "names", names, "zones", zones, "state",
		                                   world_state_name(ws->state), "root", ws->root));
	}
	return a;
}

/* PUT /servers/ADDR|NAME with "up", "silent" or "closed" (or {"state": ...}) as the body. */
static void
put_server(struct control *c, struct evhttp_request *req, const char *target)
{
	char *body = body_text(req), *word, err[1024];
	const char *state = NULL;
	json_t *j = NULL;
	int st;

	if (body == NULL) {
		reply_error(req, 400, "Bad Request", "body is not text");
		return;
	}
	word = body + strspn(body, " \t\r\n");
	word[strcspn(word, " \t\r\n")] = '\0';
	if (word[0] == '{' && (j = json_loads(body, 0, NULL)) != NULL &&
	    json_is_string(json_object_get(j, "state")))
		state = json_string_value(json_object_get(j, "state"));
	else if (word[0] != '{')
		state = word;
	if (state == NULL || (st = world_state_parse(state)) < 0) {
		reply_error(req, 400, "Bad Request",
		            "the body is the server's new state: up, silent or closed");
	} else if (srv_server_set(c->srv, target, (enum world_state)st, err, sizeof(err)) < 0) {
		reply_error(req, strncmp(err, "no server", 9) == 0 ? 404 : 400,
		            strncmp(err, "no server", 9) == 0 ? "Not Found" : "Bad Request", err);
	} else {
		log_info("control: server %s is now %s", target,
		         world_state_name((enum world_state)st));
		control_reply_json(req, 200, "OK",
		                   json_pack("{s:s,s:s,s:o}", "server", target, "state",
		                             world_state_name((enum world_state)st), "servers",
		                             servers_json(c->srv)));
	}
	json_decref(j);
	free(body);
}

static void
get_status(struct control *c, struct evhttp_request *req)
{
	struct srv *s = c->srv;
	struct timespec now;
	json_t *zones = json_array();
	double up;

	clock_gettime(CLOCK_MONOTONIC, &now);
	up = (double)(now.tv_sec - s->started.tv_sec) + (now.tv_nsec - s->started.tv_nsec) / 1e9;
	for (size_t i = 0; i < zoneset_count(s->ctx.zs); i++) {
		struct zone_info zi;
		zoneset_info(s->ctx.zs, i, &zi);
		json_array_append_new(zones, json_pack("{s:s,s:I,s:I,s:s}", "origin", zi.origin,
		                                       "serial", (json_int_t)zi.serial, "records",
		                                       (json_int_t)zi.records, "file",
		                                       zi.file ? zi.file : ""));
	}
	control_reply_json(req, 200, "OK",
	                   json_pack("{s:s,s:f,s:i,s:o,s:I,s:I,s:b,s:o}", "version", MXLABD_VERSION,
	                             "uptime", up, "port", s->port, "zones", zones, "rules",
	                             (json_int_t)fault_rules_count(s->ctx.rules), "last_seq",
	                             (json_int_t)qlog_last_seq(s->qlog), "world", s->conf->world,
	                             "servers", servers_json(s)));
}

static void
get_stats(struct control *c, struct evhttp_request *req)
{
	const struct query_stats *st = &c->srv->ctx.stats;
	const struct fault_rules *fr = c->srv->ctx.rules;
	json_t *types = json_object(), *rcodes = json_object();
	uint64_t fired = 0;
	struct net_stats ns;
	char name[32];
	json_t *o;

	/* the total is over the rules listed, so both restart when the rules are replaced */
	for (size_t i = 0; fr && i < fault_rules_count(fr); i++) {
		const struct fault_rule *r = fault_rules_get(fr, i);
		fired += r ? fault_rule_fired(r) : 0;
	}

	for (unsigned t = 0; t < 256; t++)
		if (st->by_type[t])
			json_object_set_new(types, qlog_type_name((uint16_t)t, name, sizeof(name)),
			                    json_integer((json_int_t)st->by_type[t]));
	if (st->by_type_other)
		json_object_set_new(types, "other", json_integer((json_int_t)st->by_type_other));
	for (unsigned r = 0; r < 32; r++)
		if (st->by_rcode[r])
			json_object_set_new(rcodes,
			                    qlog_rcode_name((uint16_t)r, name, sizeof(name)),
			                    json_integer((json_int_t)st->by_rcode[r]));
	net_get_stats(c->srv->net, &ns);
	o = json_pack(
	    "{s:I,s:{s:I,s:I},s:o,s:o,s:{s:I,s:o},s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "queries",
	    (json_int_t)st->queries, "transport", "udp", (json_int_t)st->udp, "tcp",
	    (json_int_t)st->tcp, "qtype", types, "rcode", rcodes, "faults", "fired",
	    (json_int_t)fired, "rules", rules_json(fr), "drops", (json_int_t)st->drops,
	    "tcp_connections", (json_int_t)ns.tcp_connections, "tcp_evicted",
	    (json_int_t)ns.tcp_evicted, "tcp_refused", (json_int_t)ns.tcp_refused, "udp_unsent",
	    (json_int_t)ns.udp_unsent, "udp_waiting", (json_int_t)ns.udp_waiting, "udp_shed",
	    (json_int_t)ns.udp_shed, "query_log_dropped", (json_int_t)qlogw_dropped(c->srv->qlogw));
	if (o != NULL && c->srv->ctx.acache != NULL) {
		struct acache_stats as;

		acache_get_stats(c->srv->ctx.acache, &as);
		json_object_set_new(o, "answer_cache",
		                    json_pack("{s:I,s:I,s:I}", "hits", (json_int_t)as.hits,
		                              "misses", (json_int_t)as.misses, "entries",
		                              (json_int_t)as.entries));
	}
	control_reply_json(req, 200, "OK", o);
}

struct queries_out {
	struct evbuffer *buf; /* response body being built; not owned */
	bool first;           /* no entry written yet */
};

static void
queries_entry_cb(const struct qlog_entry *e, void *arg)
{
	struct queries_out *o = arg;
	char line[4096];
	size_t need = qlog_format(e, line, sizeof(line));

	if (!o->first)
		evbuffer_add(o->buf, ",", 1);
	o->first = false;
	if (need < sizeof(line)) {
		evbuffer_add(o->buf, line, need);
	} else {
		char *big = malloc(need + 1);
		if (big) {
			qlog_format(e, big, need + 1);
			evbuffer_add(o->buf, big, need);
			free(big);
		}
	}
}

int
control_query_since(const char *query, unsigned long long *since)
{
	struct evkeyvalq params;
	const char *since_s = NULL;
	int rc = 0;

	TAILQ_INIT(&params);
	if (query && evhttp_parse_query_str(query, &params) == 0)
		since_s = evhttp_find_header(&params, "since");
	if (since_s) {
		char *end;
		errno = 0;
		*since = strtoull(since_s, &end, 10);
		if (errno || *end || since_s[0] < '0' || since_s[0] > '9')
			rc = -1;
	}
	evhttp_clear_headers(&params);
	return rc;
}

static void
get_queries(struct control *c, struct evhttp_request *req, const char *query)
{
	unsigned long long since = 0;
	struct queries_out o = {.first = true};

	if (control_query_since(query, &since) < 0) {
		reply_error(req, 400, "Bad Request", "since: expected a sequence number");
		return;
	}
	o.buf = evbuffer_new();
	if (o.buf == NULL) {
		reply_error(req, 500, "Internal Server Error", "out of memory");
		return;
	}
	evbuffer_add_printf(o.buf, "{\"last_seq\":%llu,\"queries\":[",
	                    (unsigned long long)qlog_last_seq(c->srv->qlog));
	qlog_foreach_since(c->srv->qlog, since, queries_entry_cb, &o);
	evbuffer_add(o.buf, "]}\n", 3);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	                  "application/json");
	evhttp_send_reply(req, 200, "OK", o.buf);
	evbuffer_free(o.buf);
}

static void
handle_faults(struct control *c, struct evhttp_request *req, enum evhttp_cmd_type cmd)
{
	char err[4096];
	char *body;
	int rc = 0;

	if (cmd == EVHTTP_REQ_GET) {
		control_reply_json(req, 200, "OK",
		                   json_pack("{s:o}", "rules", rules_json(c->srv->ctx.rules)));
		return;
	}
	if (cmd == EVHTTP_REQ_DELETE) {
		srv_faults_clear(c->srv);
		log_info("control: fault rules cleared");
		control_reply_json(req, 200, "OK", json_pack("{s:i}", "rules", 0));
		return;
	}
	if ((body = body_text(req)) == NULL) {
		reply_error(req, 400, "Bad Request", "body is not text");
		return;
	}
	if (faultjson_is_json(body)) {
		/* the shape GET /faults returns: {"rules": [{"rule": "..."}, ...]} */
		char *lines;
		if (faultjson_to_text(body, strlen(body), &lines, err, sizeof(err)) < 0) {
			free(body);
			reply_error(req, 400, "Bad Request", err);
			return;
		}
		free(body);
		body = lines;
	}
	if (cmd == EVHTTP_REQ_POST)
		rc = srv_faults_append(c->srv, body, err, sizeof(err));
	else
		rc = srv_faults_replace(c->srv, body, err, sizeof(err));
	if (rc < 0 && faultjson_flattened(body)) {
		size_t el = strlen(err);
		snprintf(err + el, sizeof(err) - el,
		         " (the body has no newline but looks like several rules: curl -d strips "
		         "newlines; send rule lines with --data-binary @FILE)");
	}
	free(body);
	if (rc < 0) {
		reply_error(req, 400, "Bad Request", err);
		return;
	}
	log_info("control: fault rules now %zu", fault_rules_count(c->srv->ctx.rules));
	control_reply_json(
	    req, 200, "OK",
	    json_pack("{s:I}", "rules", (json_int_t)fault_rules_count(c->srv->ctx.rules)));
}

/* A PUT/DELETE /zones or POST /reload waiting for its build (server/srv_build.c). */
struct control_wait {
	struct control *c;          /* control API; not owned */
	struct evhttp_request *req; /* the request to answer; libevent's */
	enum evhttp_cmd_type cmd;   /* PUT or DELETE (zones), POST (reload) */
	char origin[1100];          /* zones: origin as served (lower case, trailing dot) */
};

static void
zone_done_cb(struct srv *s, int rc, const char *err, void *arg)
{
	struct control_wait *w = arg;
	bool notfound = rc < 0 && w->cmd == EVHTTP_REQ_DELETE && strncmp(err, "no zone", 7) == 0;

	if (rc == SRV_CANCELLED) {
		free(w); /* the server stops: libevent frees the request with its connection */
		return;
	}
	if (rc < 0) {
		reply_error(w->req, notfound ? 404 : 400, notfound ? "Not Found" : "Bad Request",
		            err);
	} else {
		log_info("control: zone %s %s", w->origin,
		         w->cmd == EVHTTP_REQ_PUT ? "added or replaced" : "deleted");
		control_reply_json(w->req, 200, "OK",
		                   json_pack("{s:s,s:I,s:I,s:I}", "zone", w->origin, "zones",
		                             (json_int_t)zoneset_count(s->ctx.zs), "read",
		                             (json_int_t)s->last_build.read, "shared",
		                             (json_int_t)s->last_build.shared));
	}
	free(w);
}

static void
reload_done_cb(struct srv *s, int rc, const char *err, void *arg)
{
	struct control_wait *w = arg;

	srv_reload_logged_cb(s, rc, err, NULL);
	if (rc == SRV_CANCELLED) {
		free(w);
		return;
	}
	if (rc < 0)
		reply_error(w->req, 400, "Bad Request", err);
	else
		control_reply_json(w->req, 200, "OK",
		                   json_pack("{s:b,s:I,s:I,s:I}", "reloaded", 1, "zones",
		                             (json_int_t)zoneset_count(s->ctx.zs), "read",
		                             (json_int_t)s->last_build.read, "shared",
		                             (json_int_t)s->last_build.shared));
	free(w);
}

static struct control_wait *
wait_new(struct control *c, struct evhttp_request *req, enum evhttp_cmd_type cmd)
{
	struct control_wait *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		reply_error(req, 500, "Internal Server Error", "out of memory");
		return NULL;
	}
	w->c = c;
	w->req = req;
	w->cmd = cmd;
	return w;
}

static void
handle_zone(struct control *c, struct evhttp_request *req, enum evhttp_cmd_type cmd,
            const char *origin_enc)
{
	char err[4096];
	char *origin = evhttp_uridecode(origin_enc, 0, NULL);
	struct control_wait *w;
	size_t n = 0;
	int rc;

	if (origin == NULL || origin[0] == '\0') {
		free(origin);
		reply_error(req, 400, "Bad Request", "missing zone origin in the path");
		return;
	}
	if ((w = wait_new(c, req, cmd)) == NULL) {
		free(origin);
		return;
	}
	/* answered with the origin as served: lower case, trailing dot */
	for (const char *p = origin; *p && n + 2 < sizeof(w->origin); p++)
		w->origin[n++] = (char)tolower((unsigned char)*p);
	if (n == 0 || w->origin[n - 1] != '.')
		w->origin[n++] = '.';
	w->origin[n] = '\0';
	if (cmd == EVHTTP_REQ_PUT) {
		char *body = body_text(req);
		if (body == NULL) {
			free(origin);
			free(w);
			reply_error(req, 400, "Bad Request", "body is not text");
			return;
		}
		/* parsed and built off the loop: answered from zone_done_cb */
		rc = srv_zone_put(c->srv, origin, body, zone_done_cb, w, err, sizeof(err));
	} else {
		rc = srv_zone_delete(c->srv, origin, zone_done_cb, w, err, sizeof(err));
	}
	free(origin);
	if (rc < 0) {
		free(w);
		reply_error(req, 503, "Service Unavailable", err);
	}
}

/* ---- who may talk to the API: Host and Origin (DNS rebinding, cross-site requests) ---- */

/* The local address the request arrived at (AF_UNIX for a UNIX socket). */
static bool
request_local(struct evhttp_request *req, struct sockaddr_storage *ss)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct bufferevent *bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;
	evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
	socklen_t sl = sizeof(*ss);

	memset(ss, 0, sizeof(*ss));
	return fd >= 0 && getsockname(fd, (struct sockaddr *)ss, &sl) == 0;
}

/* Is h (hlen bytes: a Host header, or an Origin after "http://") this API's own name --
   localhost or the address it was reached at, with that port (or none when it is 80)? */
static bool
host_is_ours(const char *h, size_t hlen, const struct sockaddr_storage *local)
{
	const char *end = h + hlen, *port = NULL;
	char name[128];
	unsigned char want[16], got[16];
	int fam = local->ss_family;
	unsigned lport;
	size_t nl;

	if (fam == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)local;
		lport = ntohs(a->sin_port);
		memcpy(want, &a->sin_addr, 4);
	} else if (fam == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)local;
		lport = ntohs(a->sin6_port);
		memcpy(want, &a->sin6_addr, 16);
	} else {
		return false;
	}
	if (hlen == 0)
		return false;
	if (h[0] == '[') {
		const char *rb = memchr(h, ']', hlen);
		if (rb == NULL || (size_t)(rb - h - 1) >= sizeof(name))
			return false;
		nl = (size_t)(rb - h - 1);
		memcpy(name, h + 1, nl);
		if (rb + 1 < end) {
			if (rb[1] != ':')
				return false;
			port = rb + 2;
		}
	} else {
		const char *colon = memchr(h, ':', hlen);
		nl = colon ? (size_t)(colon - h) : hlen;
		if (nl >= sizeof(name))
			return false;
		memcpy(name, h, nl);
		port = colon ? colon + 1 : NULL;
	}
	name[nl] = '\0';
	if (port) {
		unsigned long v = 0;
		if (port == end)
			return false;
		for (const char *p = port; p < end; p++) {
			if (!isdigit((unsigned char)*p) ||
			    (v = v * 10 + (unsigned)(*p - '0')) > 65535)
				return false;
		}
		if (v != lport)
			return false;
	} else if (lport != 80) {
		return false;
	}
	if (strcasecmp(name, "localhost") == 0)
		return true;
	return inet_pton(fam, name, got) == 1 && memcmp(got, want, fam == AF_INET ? 4 : 16) == 0;
}

/* May this request be served? Over TCP its Host must be the API's own (localhost or the
   listening address, with the port): a page that rebinds a name of its own to 127.0.0.1
   sends its own name. A request that changes something and carries an Origin (a browser
   sends one with every cross-site POST, whatever the Content-Type) must come from the API's
   own origin; over a UNIX socket no web origin is ours. curl and scripts send no Origin. */
static bool
request_allowed(struct evhttp_request *req, enum evhttp_cmd_type cmd, char *err, size_t errlen)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *host = evhttp_find_header(h, "Host");
	const char *origin = evhttp_find_header(h, "Origin");
	bool changes = cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD && cmd != EVHTTP_REQ_OPTIONS;
	struct sockaddr_storage local;
	bool unixsock;

	if (!request_local(req, &local)) {
		snprintf(err, errlen, "cannot tell which listener the request came in on");
		return false;
	}
	unixsock = local.ss_family == AF_UNIX;
	if (!unixsock) {
		if (host == NULL) {
			snprintf(err, errlen, "a Host header is required");
			return false;
		}
		if (!host_is_ours(host, strlen(host), &local)) {
			snprintf(err, errlen,
			         "Host '%.200s' is not this API's address (use localhost or the "
			         "address and port it listens on)",
			         host);
			return false;
		}
	}
	if (origin && changes &&
	    (unixsock || strncasecmp(origin, "http://", 7) != 0 ||
	     !host_is_ours(origin + 7, strlen(origin + 7), &local))) {
		snprintf(err, errlen, "cross-origin request from '%.200s' refused", origin);
		return false;
	}
	return true;
}

static void
control_cb(struct evhttp_request *req, void *arg)
{
	struct control *c = arg;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : NULL;
	const char *query = u ? evhttp_uri_get_query(u) : NULL;
	const char *allow = NULL;
	char err[1024];

	if (!request_allowed(req, cmd, err, sizeof(err))) {
		log_warnx("control: refused: %s", err);
		reply_error(req, 403, "Forbidden", err);
		return;
	}
	if (path == NULL) {
		reply_error(req, 400, "Bad Request", "bad request URI");
		return;
	}
	if (strcmp(path, "/status") == 0) {
		allow = "GET";
		if (cmd != EVHTTP_REQ_GET)
			goto bad_method;
		get_status(c, req);
	} else if (strcmp(path, "/stats") == 0) {
		allow = "GET";
		if (cmd != EVHTTP_REQ_GET)
			goto bad_method;
		get_stats(c, req);
	} else if (strcmp(path, "/queries") == 0) {
		allow = "GET, DELETE";
		if (cmd == EVHTTP_REQ_GET) {
			get_queries(c, req, query);
		} else if (cmd == EVHTTP_REQ_DELETE) {
			qlog_clear(c->srv->qlog);
			control_reply_json(req, 200, "OK", json_pack("{s:b}", "cleared", 1));
		} else {
			goto bad_method;
		}
	} else if (strcmp(path, "/faults") == 0) {
		allow = "GET, POST, PUT, DELETE";
		if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_POST && cmd != EVHTTP_REQ_PUT &&
		    cmd != EVHTTP_REQ_DELETE)
			goto bad_method;
		handle_faults(c, req, cmd);
	} else if (strncmp(path, "/zones/", 7) == 0) {
		allow = "PUT, DELETE";
		if (cmd != EVHTTP_REQ_PUT && cmd != EVHTTP_REQ_DELETE)
			goto bad_method;
		handle_zone(c, req, cmd, path + 7);
	} else if (strcmp(path, "/servers") == 0) {
		allow = "GET";
		if (cmd != EVHTTP_REQ_GET)
			goto bad_method;
		control_reply_json(req, 200, "OK",
		                   json_pack("{s:o}", "servers", servers_json(c->srv)));
	} else if (strncmp(path, "/servers/", 9) == 0 && path[9] != '\0') {
		char *target = evhttp_uridecode(path + 9, 0, NULL);
		allow = "PUT";
		if (cmd != EVHTTP_REQ_PUT) {
			free(target);
			goto bad_method;
		}
		put_server(c, req, target ? target : path + 9);
		free(target);
	} else if (strcmp(path, "/reload") == 0) {
		allow = "POST";
		if (cmd != EVHTTP_REQ_POST)
			goto bad_method;
		struct control_wait *w = wait_new(c, req, cmd);
		/* built off the loop: answered from reload_done_cb */
		if (w != NULL && srv_reload(c->srv, reload_done_cb, w, err, sizeof(err)) < 0) {
			free(w);
			reply_error(req, 503, "Service Unavailable", err);
		}
	} else if (dash_handle(c->dash, req, path, query)) {
		/* the dashboard: GET /, /catalog, /events (server/dash.c) */
	} else {
		reply_error(req, 404, "Not Found", "no such resource");
	}
	return;
bad_method:
	snprintf(err, sizeof(err), "method not allowed on %s (allowed: %s)", path, allow);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
	reply_error(req, 405, "Method Not Allowed", err);
}

/* The largest listen backlog the system allows (net.core.somaxconn; SOMAXCONN when it cannot
   be read): a burst of API clients queues instead of being refused. */
static int
listen_backlog(void)
{
	char buf[32];
	int n = SOMAXCONN,
	    fd = open("/proc/sys/net/core/somaxconn", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ssize_t r;

	if (fd >= 0) {
		r = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (r > 0) {
			long v;
			buf[r] = '\0';
			v = strtol(buf, NULL, 10);
			if (v > 0 && v < INT_MAX)
				n = (int)v;
		}
	}
	return n;
}

/* Is there a live server behind the UNIX socket at sun? 1 yes, 0 stale (nobody listening),
   -1 cannot tell (errno set). */
static int
unix_socket_live(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0)
		rc = 1;
	else if (errno == ECONNREFUSED)
		rc = 0;
	else
		rc = -1;
	close(fd);
	return rc;
}

static int
listen_unix(struct control *c, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, live;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) == 0 || strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "--control unix:%s: %s", path,
		         path[0] ? "UNIX socket path too long" : "empty UNIX socket path");
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	/* never take over a running instance's socket, never remove anything but a stale socket */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "control socket %s: exists and is not a socket",
			         path);
			return -1;
		}
		live = unix_socket_live(&sun);
		if (live == 1) {
			snprintf(err, errlen, "control socket %s is in use", path);
			return -1;
		}
		if (live < 0) {
			snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
			return -1;
		}
		unlink(path);
	}
	if (c->nunix >= CONTROL_MAX_LISTENERS) {
		snprintf(err, errlen, "--control unix:%s: too many control listeners", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		/* created 0600 whatever the umask (anyone who can connect can change what is
		   served), then given the mode asked for: no moment where it is wider */
		mode_t old = umask(0177);
		int b = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
		umask(old);
		if (b < 0 || chmod(path, c->unix_mode) < 0 || listen(fd, listen_backlog()) < 0 ||
		    lstat(path, &st) < 0) {
			snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
			if (b == 0)
				unlink(path);
			close(fd);
			return -1;
		}
	} else {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		return -1;
	}
	if (evhttp_accept_socket_with_handle(c->http, fd) == NULL) {
		close(fd);
		unlink(path);
		snprintf(err, errlen, "control socket %s: cannot serve HTTP", path);
		return -1;
	}
	snprintf(c->unix_socks[c->nunix].path, sizeof(c->unix_socks[0].path), "%s", path);
	c->unix_socks[c->nunix].dev = st.st_dev;
	c->unix_socks[c->nunix].ino = st.st_ino;
	c->nunix++;
	return 0;
}

/* A TCP listener on a loopback host:port, with the system's largest backlog. */
static int
listen_tcp(struct control *c, const char *spec, const char *host, int port, char *err,
           size_t errlen)
{
	struct addrinfo hints, *ai = NULL;
	char ports[16];
	int fd = -1, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	snprintf(ports, sizeof(ports), "%d", port);
	if (getaddrinfo(host, ports, &hints, &ai) != 0 || ai == NULL) {
		snprintf(err, errlen, "--control %s: not an address", spec);
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (ai->ai_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, listen_backlog()) < 0) {
		snprintf(err, errlen, "--control %s: cannot listen on %s port %d: %s", spec, host,
		         port, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	if (evhttp_accept_socket_with_handle(c->http, fd) == NULL) {
		close(fd);
		snprintf(err, errlen, "--control %s: cannot serve HTTP", spec);
		return -1;
	}
	return 0;
}

/* One --control spec: "unix:PATH", "ADDR:PORT" or "[ADDR6]:PORT" (loopback only). */
static int
control_listen(struct control *c, const char *spec, char *err, size_t errlen)
{
	char host[128];
	const char *colon;
	size_t hl;
	int port;

	if (strncmp(spec, "unix:", 5) == 0)
		return listen_unix(c, spec + 5, err, errlen);
	colon = strrchr(spec, ':');
	hl = colon ? (size_t)(colon - spec) : 0;
	port = colon ? atoi(colon + 1) : 0;
	if (colon == NULL || hl == 0 || hl >= sizeof(host) || port <= 0 || port > 65535) {
		snprintf(err, errlen, "--control %s: expected ADDR:PORT or unix:PATH", spec);
		return -1;
	}
	memcpy(host, spec, hl);
	host[hl] = '\0';
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	if (srv_addr_is_loopback(host) != 1) {
		snprintf(err, errlen,
		         "--control %s: only a loopback address or a UNIX socket is allowed", spec);
		return -1;
	}
	return listen_tcp(c, spec, host, port, err, errlen);
}

struct control *
control_new(struct srv *s, char *const specs[], size_t nspecs, unsigned unix_mode, char *err,
            size_t errlen)
{
	struct control *c = calloc(1, sizeof(*c));

	if (c == NULL || (c->http = evhttp_new(s->base)) == NULL) {
		free(c);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->srv = s;
	c->unix_mode = unix_mode & 07777;
	if ((c->dash = dash_new(s)) == NULL) {
		evhttp_free(c->http);
		free(c);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* every method evhttp knows reaches control_cb, which answers 405 + Allow in JSON for the
	   ones a resource does not take (evhttp's own 501 is an HTML page). Bodies over the limit
	   still get evhttp's HTML 413: libevent 2.1 has no hook for its error pages. */
	evhttp_set_allowed_methods(c->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	                                        EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	                                        EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	                                        EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_max_body_size(c->http, CONTROL_MAX_BODY);
	evhttp_set_timeout(c->http, 30);
	evhttp_set_gencb(c->http, control_cb, c);
	/* every --control adds a listener: e.g. a UNIX socket for scripts and a loopback port
	   for a browser, one API behind both */
	if (nspecs > CONTROL_MAX_LISTENERS) {
		snprintf(err, errlen, "at most %d --control listeners", CONTROL_MAX_LISTENERS);
		goto fail;
	}
	for (size_t i = 0; i < nspecs; i++)
		if (control_listen(c, specs[i], err, errlen) < 0)
			goto fail;
	return c;
fail:
	control_free(c);
	return NULL;
}

void
control_free(struct control *c)
{
	if (c == NULL)
		return;
	if (c->http)
		evhttp_free(c->http); /* closes the event streams first */
	dash_free(c->dash);
	for (size_t i = 0; i < c->nunix; i++) {
		/* only our own socket: another instance may have replaced a path we lost */
		const struct control_unix *u = &c->unix_socks[i];
		struct stat st;
		if (lstat(u->path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == u->dev &&
		    st.st_ino == u->ino)
			unlink(u->path);
	}
	free(c);
}
