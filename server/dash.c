/* server/dash.c -- the dashboard's resources on the control API: the page, the catalog with
   each scenario's fault rules, and the event stream. Read-only: the page changes things only
   through /faults and /servers, so it can do nothing a curl user cannot. */
#include "server/dash.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "server/catalog.h"
#include "server/control.h"
#include "server/events.h"
#include "server/srv.h"

#define DASH_FILE_MAX (4 * 1024 * 1024) /* catalog.tsv / faults.conf larger than this: refused */

struct dash {
	struct srv *srv;       /* the server shown; not owned */
	struct events *events; /* event streams; owned */
};

struct dash *
dash_new(struct srv *s)
{
	struct dash *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->srv = s;
	if ((d->events = events_new(s->base, s->qlog)) == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

void
dash_free(struct dash *d)
{
	if (d == NULL)
		return;
	events_free(d->events);
	free(d);
}

static void
bad_method(struct evhttp_request *req, const char *path)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "method not allowed on %s (allowed: GET)", path);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET");
	control_reply_json(req, 405, "Method Not Allowed", json_pack("{s:s}", "error", msg));
}

void
dash_catalog_dir(const struct srv *s, char *buf, size_t len)
{
	struct stat st;
	char probe[4200];

	buf[0] = '\0';
	for (size_t i = 0; i < s->conf->nsrc; i++) {
		if (s->conf->src[i].kind != SRV_SRC_DIR)
			continue;
		snprintf(probe, sizeof(probe), "%s/catalog.tsv", s->conf->src[i].path);
		if (stat(probe, &st) == 0 && S_ISREG(st.st_mode)) {
			snprintf(buf, len, "%s", s->conf->src[i].path);
			return;
		}
	}
	if (s->conf->nsrc == 0)
		srv_default_zone_dir(buf, len);
}

/* The whole of a small file as a string (caller frees); NULL when absent or unreadable. */
static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *text = NULL;
	long n;

	if (fp == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 && n <= DASH_FILE_MAX &&
	    fseek(fp, 0, SEEK_SET) == 0 && (text = malloc((size_t)n + 1)) != NULL) {
		size_t got = fread(text, 1, (size_t)n, fp);
		text[got] = '\0';
	}
	fclose(fp);
	return text;
}

/* Is a rule with this text among the rules served now? */
static bool
rule_served(const struct fault_rules *fr, const char *text)
{
	for (size_t i = 0; fr && i < fault_rules_count(fr); i++) {
		const struct fault_rule *r = fault_rules_get(fr, i);
		if (r && strcmp(fault_rule_text(r), text) == 0)
			return true;
	}
	return false;
}

static json_t *
codes_json(const char *codes)
{
	json_t *a = json_array();
	const char *p = codes;

	while (*p) {
		size_t n = strcspn(p, ",");
		if (n)
			json_array_append_new(a, json_stringn(p, n));
		p += n;
		if (*p == ',')
			p++;
	}
	return a;
}

/* GET /catalog: every scenario of the served catalog with its rules from the directory's
   faults.conf (the rules whose names lie in the scenario's zone, or at an IP scenario's reverse
   name) and how many of them are served now. */
static void
get_catalog(struct dash *d, struct evhttp_request *req)
{
	struct srv *s = d->srv;
	char dir[4096], path[4200], err[4400];
	char *text, *rules_text;
	struct catalog cat;
	struct fault_rules *fr = NULL;
	json_t *list, *out;

	dash_catalog_dir(s, dir, sizeof(dir));
	out = json_pack("{s:i,s:b}", "port", s->port, "world", s->conf->world);
	if (dir[0] == '\0') {
		json_object_set_new(out, "dir", json_null());
		json_object_set_new(out, "scenarios", json_array());
		json_object_set_new(out, "note",
		                    json_string("no catalog.tsv in the served zone directories"));
		control_reply_json(req, 200, "OK", out);
		return;
	}
	snprintf(path, sizeof(path), "%s/catalog.tsv", dir);
	if ((text = slurp(path)) == NULL) {
		json_decref(out);
		snprintf(err, sizeof(err), "%s: cannot read: %s", path, strerror(errno));
		control_reply_json(req, 500, "Internal Server Error",
		                   json_pack("{s:s}", "error", err));
		return;
	}
	if (catalog_parse(&cat, path, text, err, sizeof(err)) < 0) {
		free(text);
		json_decref(out);
		control_reply_json(req, 500, "Internal Server Error",
		                   json_pack("{s:s}", "error", err));
		return;
	}
	free(text);
	snprintf(path, sizeof(path), "%s/faults.conf", dir);
	if ((rules_text = slurp(path)) != NULL) {
		fr = fault_rules_new(1);
		if (fr && fault_rules_parse(fr, path, rules_text, err, sizeof(err)) < 0) {
			fault_rules_free(fr);
			fr = NULL;
		}
		free(rules_text);
	}
	list = json_array();
	for (size_t i = 0; i < cat.n; i++) {
		const struct catalog_entry *e = &cat.v[i];
		char scope[1100];
		bool exact;
		json_t *rules = json_array();
		size_t active = 0;

		catalog_scope(e->target, s->ctx.zs, scope, sizeof(scope), &exact);
		for (size_t k = 0; fr && k < fault_rules_count(fr); k++) {
			const char *rt = fault_rule_text(fault_rules_get(fr, k));
			if (rt && catalog_rule_in_scope(rt, scope, exact)) {
				json_array_append_new(rules, json_string(rt));
				active += rule_served(s->ctx.rules, rt);
			}
		}
		json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:o,s:s,s:s,s:o,s:I}", "target",
		                                      e->target, "flags", e->flags, "verdict",
		                                      e->verdict, "codes", codes_json(e->codes),
		                                      "title", e->title, "scope", scope, "rules",
		                                      rules, "active", (json_int_t)active));
	}
	fault_rules_free(fr);
	catalog_free(&cat);
	json_object_set_new(out, "dir", json_string(dir));
	json_object_set_new(out, "scenarios", list);
	control_reply_json(req, 200, "OK", out);
}

static void
get_page(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *buf = evbuffer_new();

	evhttp_add_header(h, "Content-Type", "text/html; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	/* the page talks to its own origin only and loads nothing from anywhere */
	evhttp_add_header(h, "Content-Security-Policy",
	                  "default-src 'none'; script-src 'unsafe-inline'; "
	                  "style-src 'unsafe-inline'; connect-src 'self'; img-src data:; "
	                  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
	if (buf)
		evbuffer_add_reference(buf, dash_page, dash_page_len, NULL, NULL);
	evhttp_send_reply(req, 200, "OK", buf);
	if (buf)
		evbuffer_free(buf);
}

static void
get_events(struct dash *d, struct evhttp_request *req, const char *query)
{
	unsigned long long since = qlog_last_seq(d->srv->qlog);

	if (control_query_since(query, &since) < 0) {
		control_reply_json(
		    req, 400, "Bad Request",
		    json_pack("{s:s}", "error", "since: expected a sequence number"));
		return;
	}
	events_serve(d->events, req, since);
}

int
dash_handle(struct dash *d, struct evhttp_request *req, const char *path, const char *query)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	bool page = strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0;

	if (!page && strcmp(path, "/catalog") != 0 && strcmp(path, "/events") != 0)
		return 0;
	if (cmd != EVHTTP_REQ_GET && !(page && cmd == EVHTTP_REQ_HEAD)) {
		bad_method(req, path);
		return 1;
	}
	if (page)
		get_page(req);
	else if (strcmp(path, "/catalog") == 0)
		get_catalog(d, req);
	else
		get_events(d, req, query);
	return 1;
}
