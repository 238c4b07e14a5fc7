/* client/report.c -- formats a check result tree only: the text report (verdict, routes as
   chains, problems) and the JSON Lines object (jansson). No lookups happen here. */
#include "client/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>

#define C_RESET  "\033[0m"
#define C_RED    "\033[31m"
#define C_GREEN  "\033[32m"
#define C_YELLOW "\033[33m"
#define C_BOLD   "\033[1m"
#define C_DIM    "\033[2m"

static const char *
col(bool color, const char *c)
{
	return color ? c : "";
}

static const char *
verdict_color(enum check_verdict v)
{
	switch (v) {
	case CHECK_DELIVER:
	case CHECK_PASS:
		return C_GREEN;
	case CHECK_TEMPFAIL:
		return C_YELLOW;
	case CHECK_PERMFAIL:
		return C_RED;
	}
	return C_RED;
}

static const char *
severity_color(enum check_severity s)
{
	switch (s) {
	case CHECK_ERROR:
		return C_RED;
	case CHECK_WARNING:
		return C_YELLOW;
	case CHECK_INFO:
		return C_DIM;
	}
	return "";
}

static const char *
fcrdns_mark(enum check_fcrdns f)
{
	switch (f) {
	case CHECK_FCRDNS_PASS:
		return "✓";
	case CHECK_FCRDNS_FAIL:
		return "✗";
	case CHECK_FCRDNS_TEMPFAIL:
		return "?";
	case CHECK_FCRDNS_NONE:
		return "";
	}
	return "";
}

static void
text_ptr(FILE *fp, const struct check_address *a, bool color)
{
	char n[LOOKUP_NAME_MAX];

	if (a->fcrdns == CHECK_FCRDNS_NONE)
		return;
	fputs(" —PTR→ ", fp);
	if (a->nptr == 0)
		fputs(a->fcrdns == CHECK_FCRDNS_TEMPFAIL ? "(lookup failed)" : "(none)", fp);
	for (size_t k = 0; k < a->nptr; k++)
		fprintf(fp, "%s%s", k ? ", " : "", check_name_display(a->ptr[k], n, sizeof(n)));
	fprintf(fp, " %s%s%s", col(color, a->fcrdns == CHECK_FCRDNS_PASS ? C_GREEN : C_RED),
	        fcrdns_mark(a->fcrdns), col(color, C_RESET));
}

static void
text_route(FILE *fp, const struct check_result *r, const struct check_route *rt, bool color)
{
	char head[3 * LOOKUP_NAME_MAX + 64], n[LOOKUP_NAME_MAX], ex[LOOKUP_NAME_MAX];
	size_t used;
	const char *tag = rt->dropped ? (rt->self ? " (self)" : " (after self)") : "";

	check_name_display(r->name, n, sizeof(n));
	check_name_display(rt->exchange, ex, sizeof(ex));
	if (r->mode == CHECK_MODE_ADDRESS) {
		for (size_t j = 0; j < rt->naddrs; j++) {
			fprintf(fp, "  %s", rt->addrs[j].text);
			text_ptr(fp, &rt->addrs[j], color);
			fputc('\n', fp);
		}
		if (rt->exchange[0])
			fprintf(fp, "  HELO %s\n", ex);
		return;
	}
	used = (size_t)snprintf(head, sizeof(head), "%s —MX %u%s→ %s", n, (unsigned)rt->pref,
	                        r->implicit_mx ? " (implicit)" : "", ex);
	for (size_t k = 0; k < rt->nchain && used < sizeof(head); k++)
		used += (size_t)snprintf(head + used, sizeof(head) - used, " —CNAME→ %s",
		                         check_name_display(rt->chain[k], n, sizeof(n)));
	if (rt->naddrs == 0) {
		fprintf(fp, "  %s %s✗%s%s\n", head, col(color, C_RED), col(color, C_RESET), tag);
		return;
	}
	for (size_t j = 0; j < rt->naddrs; j++) {
		const struct check_address *a = &rt->addrs[j];
		fprintf(fp, "  %s —%s→ %s", head, a->family == AF_INET ? "A" : "AAAA", a->text);
		if (!a->usable)
			fprintf(fp, " %s✗ unusable%s", col(color, C_RED), col(color, C_RESET));
		text_ptr(fp, a, color);
		fprintf(fp, "%s\n", tag);
	}
}

/* --dnssec: the MX RRset's state, then each exchange's addresses, TLSA and DANE state. */
static void
text_dnssec(FILE *fp, const struct check_result *r, bool color)
{
	char ex[LOOKUP_NAME_MAX];

	if (!r->dnssec_checked)
		return;
	fprintf(fp, "  dnssec: MX %s\n",
	        r->dnssec != LOOKUP_DNSSEC_UNKNOWN ? lookup_dnssec_name(r->dnssec) : "unknown");
	for (size_t i = 0; i < r->nroutes; i++) {
		const struct check_route *rt = &r->routes[i];
		const char *c = rt->dane == CHECK_DANE_VERIFIED   ? C_GREEN
		                : rt->dane == CHECK_DANE_DEFERRED ? C_RED
		                                                  : "";
		if (rt->dane == CHECK_DANE_UNKNOWN && rt->dnssec == LOOKUP_DNSSEC_UNKNOWN)
			continue;
		fprintf(fp, "  dane: %s addresses %s, TLSA %s → %s%s%s\n",
		        check_name_display(rt->exchange, ex, sizeof(ex)),
		        rt->dnssec != LOOKUP_DNSSEC_UNKNOWN ? lookup_dnssec_name(rt->dnssec)
		                                            : "unknown",
		        rt->tlsa_dnssec == LOOKUP_DNSSEC_UNKNOWN ? "not looked up"
		        : rt->ntlsa == 0
		            ? (rt->tlsa_dnssec == LOOKUP_DNSSEC_BOGUS ? "bogus" : "none")
		            : lookup_dnssec_name(rt->tlsa_dnssec),
		        col(color && c[0], c),
		        rt->dane != CHECK_DANE_UNKNOWN ? check_dane_name(rt->dane) : "unknown",
		        col(color && c[0], C_RESET));
	}
}

/* --trace: the zone cuts on the way, ". → test. 192.0.2.1 ✓ → ... 192.0.2.9 ✗ timeout". */
static void
text_delegations(FILE *fp, const struct check_result *r, bool color)
{
	if (r->ndelegations == 0)
		return;
	fprintf(fp, "  delegation:");
	for (size_t i = 0; i < r->ndelegations; i++) {
		const struct check_delegation *d = &r->delegations[i];
		fprintf(fp, "%s %s", i ? " →" : "", d->zone);
		for (size_t k = 0; k < d->nservers; k++) {
			const struct check_deleg_server *s = &d->servers[k];
			const char *a = s->address[0] ? s->address : s->name;
			if (s->good)
				fprintf(fp, " %s %s✓%s", a, col(color, C_GREEN),
				        col(color, C_RESET));
			else
				fprintf(fp, " %s %s✗ %s%s", a, col(color, C_RED), s->outcome,
				        col(color, C_RESET));
		}
	}
	fputc('\n', fp);
}

void
report_text(FILE *fp, const struct check_result *r, bool color)
{
	char n[LOOKUP_NAME_MAX];

	fprintf(fp, "%s%s%s: %s%s%s", col(color, C_BOLD), r->target, col(color, C_RESET),
	        col(color, verdict_color(r->verdict)), check_verdict_name(r->verdict),
	        col(color, C_RESET));
	if (r->mode == CHECK_MODE_DOMAIN &&
	    strcmp(r->target, check_name_display(r->name, n, sizeof(n))))
		fprintf(fp, " (%s)", n);
	if (r->mode == CHECK_MODE_DOMAIN && strcmp(r->mta, mta_default()->name) != 0)
		fprintf(fp, " [as %s]", r->mta);
	fputc('\n', fp);
	for (size_t i = 0; i < r->nroutes; i++)
		text_route(fp, r, &r->routes[i], color);
	text_delegations(fp, r, color);
	text_dnssec(fp, r, color);
	for (size_t i = 0; i < r->nproblems; i++) {
		const struct check_problem *p = &r->problems[i];
		fprintf(fp, "  %s%-7s%s %s %s: %s [%s]\n", col(color, severity_color(p->severity)),
		        check_severity_name(p->severity), col(color, C_RESET), p->code, p->subject,
		        p->message, p->reference);
	}
}

static json_t *
json_name(const char *name)
{
	char n[LOOKUP_NAME_MAX];

	if (name[0] == '\0')
		return json_null();
	return json_string(check_name_display(name, n, sizeof(n)));
}

static json_t *
json_problems(const struct check_result *r, bool all, int route, int addr)
{
	json_t *a = json_array();

	for (size_t i = 0; i < r->nproblems; i++) {
		const struct check_problem *p = &r->problems[i];
		if (!all && (p->route != route || p->addr != addr))
			continue;
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s}", "code", p->code,
		                                   "severity", check_severity_name(p->severity),
		                                   "subject", p->subject, "message", p->message,
		                                   "reference", p->reference));
	}
	return a;
}

static json_t *
json_dnssec(enum lookup_dnssec d)
{
	return d == LOOKUP_DNSSEC_UNKNOWN ? json_null() : json_string(lookup_dnssec_name(d));
}

/* --dnssec: {"dnssec", "dane", "records": [{usage, selector, matching_type, length,
   usable}]} of one exchange. */
static json_t *
json_tlsa(const struct check_route *rt)
{
	json_t *o = json_object(), *recs = json_array();

	for (size_t k = 0; k < rt->ntlsa; k++) {
		const struct check_tlsa *t = &rt->tlsa[k];
		json_array_append_new(recs,
		                      json_pack("{s:i, s:i, s:i, s:i, s:b}", "usage", t->usage,
		                                "selector", t->selector, "matching_type", t->mtype,
		                                "length", t->len, "usable", t->usable));
	}
	json_object_set_new(o, "dnssec", json_dnssec(rt->tlsa_dnssec));
	json_object_set_new(
	    o, "dane",
	    rt->dane == CHECK_DANE_UNKNOWN ? json_null() : json_string(check_dane_name(rt->dane)));
	json_object_set_new(o, "records", recs);
	return o;
}

static json_t *
json_result(const struct check_result *r)
{
	json_t *o = json_object(), *routes = json_array();

	for (size_t i = 0; i < r->nroutes; i++) {
		const struct check_route *rt = &r->routes[i];
		json_t *ro = json_object(), *chain = json_array(), *addrs = json_array();
		for (size_t k = 0; k < rt->nchain; k++)
			json_array_append_new(chain, json_name(rt->chain[k]));
		for (size_t j = 0; j < rt->naddrs; j++) {
			const struct check_address *a = &rt->addrs[j];
			json_t *ao = json_object(), *ptr = json_array();
			for (size_t k = 0; k < a->nptr; k++)
				json_array_append_new(ptr, json_name(a->ptr[k]));
			json_object_set_new(ao, "address", json_string(a->text));
			json_object_set_new(ao, "family",
			                    json_integer(a->family == AF_INET ? 4 : 6));
			json_object_set_new(ao, "usable", json_boolean(a->usable));
			json_object_set_new(ao, "ptr", ptr);
			json_object_set_new(ao, "fcrdns",
			                    json_string(check_fcrdns_name(a->fcrdns)));
			json_object_set_new(ao, "problems",
			                    json_problems(r, false, (int)i, (int)j));
			if (r->dnssec_checked)
				json_object_set_new(ao, "dnssec", json_dnssec(a->dnssec));
			json_array_append_new(addrs, ao);
		}
		json_object_set_new(ro, "preference",
		                    r->mode == CHECK_MODE_DOMAIN ? json_integer(rt->pref)
		                                                 : json_null());
		json_object_set_new(ro, "exchange", json_name(rt->exchange));
		json_object_set_new(ro, "cname_chain", chain);
		json_object_set_new(ro, "usable", json_boolean(rt->usable));
		json_object_set_new(ro, "self", json_boolean(rt->self));
		json_object_set_new(ro, "dropped", json_boolean(rt->dropped));
		json_object_set_new(ro, "addresses", addrs);
		json_object_set_new(ro, "problems", json_problems(r, false, (int)i, -1));
		if (r->dnssec_checked)
			json_object_set_new(ro, "tlsa", json_tlsa(rt));
		json_array_append_new(routes, ro);
	}
	json_object_set_new(o, "target", json_string(r->target));
	json_object_set_new(o, "mode",
	                    json_string(r->mode == CHECK_MODE_DOMAIN ? "domain" : "address"));
	json_object_set_new(o, "name", json_name(r->name));
	json_object_set_new(o, "verdict", json_string(check_verdict_name(r->verdict)));
	json_object_set_new(o, "mta", json_string(r->mta));
	json_object_set_new(o, "implicit_mx", json_boolean(r->implicit_mx));
	if (r->dnssec_checked)
		json_object_set_new(o, "dnssec", json_dnssec(r->dnssec));
	json_object_set_new(o, "route", routes);
	json_object_set_new(o, "problems", json_problems(r, true, -1, -1));
	json_object_set_new(o, "queries", json_integer(r->queries));
	json_object_set_new(o, "seed", json_integer((json_int_t)(r->seed & INT64_MAX)));
	json_object_set_new(o, "elapsed_ms", json_integer((json_int_t)llround(r->elapsed_ms)));
	if (r->ndelegations > 0) {
		json_t *ds = json_array();
		for (size_t i = 0; i < r->ndelegations; i++) {
			const struct check_delegation *d = &r->delegations[i];
			json_t *dj = json_object(), *ss = json_array();
			for (size_t k = 0; k < d->nservers; k++) {
				json_t *sj = json_object();
				json_object_set_new(sj, "name", json_string(d->servers[k].name));
				json_object_set_new(sj, "address",
				                    d->servers[k].address[0]
				                        ? json_string(d->servers[k].address)
				                        : json_null());
				json_object_set_new(sj, "outcome",
				                    json_string(d->servers[k].outcome));
				json_array_append_new(ss, sj);
			}
			json_object_set_new(dj, "zone", json_string(d->zone));
			json_object_set_new(dj, "servers", ss);
			json_array_append_new(ds, dj);
		}
		json_object_set_new(o, "delegations", ds);
	}
	return o;
}

char *
report_json_string(const struct check_result *r)
{
	json_t *o = json_result(r);
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(o);
	return s;
}

int
report_json(FILE *fp, const struct check_result *r)
{
	char *s = report_json_string(r);

	if (s == NULL)
		return -1;
	fprintf(fp, "%s\n", s);
	free(s);
	return 0;
}
