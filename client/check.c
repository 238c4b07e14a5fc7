/* client/check.c -- the result tree of one target, the problem-code table and exit status. */
#include "client/check.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Every code of the contract (and the ones added since), with its reference. */
static const struct {
	const char *code; /* stable problem code */
	const char *ref;  /* the RFC section it rests on */
} codes[] = {
    {"nxdomain", "RFC 5321 §5.1"},
    {"no-mail-records", "RFC 5321 §5.1"},
    {"null-mx", "RFC 7505 §3"},
    {"null-mx-mixed", "RFC 7505 §3"},
    {"null-mx-bad-preference", "RFC 7505 §3"},
    {"implicit-mx", "RFC 5321 §5.1"},
    {"domain-cname", "RFC 5321 §5.1"},
    {"mx-ip-literal", "RFC 5321 §5.1"},
    {"mx-bad-name", "RFC 1123 §2.1"},
    {"mx-duplicate", "RFC 5321 §5.1"},
    {"mx-cname", "RFC 2181 §10.3"},
    {"mx-host-nxdomain", "RFC 5321 §5.1"},
    {"mx-host-nodata", "RFC 5321 §5.1"},
    {"mx-host-tempfail", "RFC 5321 §5.1"},
    {"mx-host-wrong-family", "RFC 3974 §3"},
    {"mx-address-unroutable", "RFC 6890"},
    {"mx-address-private", "RFC 1918, RFC 4193"},
    {"no-usable-mx", "RFC 5321 §5.1"},
    {"primary-mx-v6-only", "RFC 3974 §3"},
    {"self-loop", "RFC 5321 §5.1"},
    {"no-primary-relay", "RFC 5321 §5.1"},
    {"cname-loop", "RFC 1034 §3.6.2"},
    {"dns-servfail", "RFC 1035 §4.1.1"},
    {"dns-refused", "RFC 1035 §4.1.1"},
    {"dns-notimp", "RFC 1035 §4.1.1"},
    {"dns-formerr", "RFC 1035 §4.1.1"},
    {"dns-timeout", "RFC 1035 §4.2.1"},
    {"dns-network", "RFC 1035 §4.2.1"},
    {"dns-truncated", "RFC 7766 §5"},
    {"dns-tcp-failed", "RFC 7766 §5"},
    {"dns-not-authoritative", "RFC 1035 §4.1.1"},
    {"ptr-missing", "RFC 1912 §2.1"},
    {"ptr-tempfail", "RFC 1912 §2.1"},
    {"ptr-numeric", "RFC 1912 §2.1"},
    {"ptr-bad-name", "RFC 1123 §2.1"},
    {"lame-delegation", "RFC 1912 §2.8"},
    {"ns-unreachable", "RFC 1035 §4.2.1"},
    {"glue-mismatch", "RFC 1034 §4.2.2"},
    {"ns-mismatch", "RFC 2181 §6.1"},
    {"delegation-loop", "RFC 1034 §5.3.3"},
    {"ptr-multiple", "RFC 1912 §2.1"},
    {"ptr-cname", "RFC 2181 §10.2"},
    {"ptr-target-nxdomain", "RFC 1912 §2.1"},
    {"fcrdns-mismatch", "RFC 1912 §2.1"},
    {"fcrdns-tempfail", "RFC 1912 §2.1"},
    {"ptr-not-mx-name", "RFC 1912 §2.1"},
    {"helo-mismatch", "RFC 5321 §4.1.4"},
    {"dnssec-bogus", "RFC 4035 §5.5"},
    {"dnssec-insecure", "RFC 4035 §4.3"},
    {"dnssec-no-validator", "RFC 4035 §4.9"},
    {"dane-ok", "RFC 7672 §3.1"},
    {"dane-tlsa-bogus", "RFC 7672 §2.2"},
    {"dane-tlsa-unusable", "RFC 7672 §3.1.3"},
    {"dane-not-applicable", "RFC 7672 §2.2.2"},
};

size_t
check_code_count(void)
{
	return sizeof(codes) / sizeof(codes[0]);
}

const char *
check_code_name(size_t i)
{
	return i < check_code_count() ? codes[i].code : NULL;
}

int
check_code_index(const char *code)
{
	for (size_t i = 0; i < check_code_count(); i++)
		if (strcmp(codes[i].code, code) == 0)
			return (int)i;
	return -1;
}

const char *
check_code_reference(const char *code)
{
	int i = check_code_index(code);
	return i < 0 ? "" : codes[i].ref;
}

void
check_options_init(struct check_options *o)
{
	memset(o, 0, sizeof(*o));
	o->want4 = true;
	o->want6 = true;
	o->mta = mta_default();
}

struct check_result *
check_result_new(enum check_mode mode, const char *target)
{
	struct check_result *r = calloc(1, sizeof(*r));

	if (r == NULL)
		abort();
	r->mode = mode;
	snprintf(r->target, sizeof(r->target), "%s", target);
	snprintf(r->mta, sizeof(r->mta), "%s", mta_default()->name);
	return r;
}

void
check_result_free(struct check_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nroutes; i++) {
		for (size_t j = 0; j < r->routes[i].naddrs; j++)
			free(r->routes[i].addrs[j].ptr);
		free(r->routes[i].addrs);
		free(r->routes[i].chain);
	}
	free(r->routes);
	free(r->problems);
	for (size_t i = 0; i < r->ndelegations; i++)
		free(r->delegations[i].servers);
	free(r->delegations);
	free(r);
}

int
check_route_add(struct check_result *r)
{
	struct check_route *v = realloc(r->routes, (r->nroutes + 1) * sizeof(*v));

	if (v == NULL)
		abort();
	r->routes = v;
	memset(&v[r->nroutes], 0, sizeof(v[0]));
	return (int)r->nroutes++;
}

int
check_address_add(struct check_route *rt, int family, const uint8_t *addr)
{
	struct check_address *v = realloc(rt->addrs, (rt->naddrs + 1) * sizeof(*v));
	struct check_address *a;

	if (v == NULL)
		abort();
	rt->addrs = v;
	a = &v[rt->naddrs];
	memset(a, 0, sizeof(*a));
	a->family = family;
	memcpy(a->addr, addr, family == AF_INET ? 4 : 16);
	check_format_ip(family, addr, a->text, sizeof(a->text));
	return (int)rt->naddrs++;
}

/* Append a copy of name to the growing array *v of *n names. */
static void
names_append(char (**v)[LOOKUP_NAME_MAX], size_t *n, const char *name)
{
	char(*nv)[LOOKUP_NAME_MAX] = realloc(*v, (*n + 1) * sizeof(*nv));

	if (nv == NULL)
		abort();
	*v = nv;
	snprintf(nv[(*n)++], LOOKUP_NAME_MAX, "%s", name);
}

void
check_route_add_chain(struct check_route *rt, const char *name)
{
	names_append(&rt->chain, &rt->nchain, name);
}

void
check_address_add_ptr(struct check_address *a, const char *name)
{
	names_append(&a->ptr, &a->nptr, name);
}

void
check_problem_add(struct check_result *r, int route, int addr, const char *code,
                  enum check_severity sev, const char *subject, const char *fmt, ...)
{
	struct check_problem *p, *v;
	char shown[LOOKUP_NAME_MAX];
	va_list ap;

	check_name_display(subject, shown, sizeof(shown));
	for (size_t i = 0; i < r->nproblems; i++) {
		p = &r->problems[i];
		if (strcmp(p->code, code) == 0 && strcmp(p->subject, shown) == 0 &&
		    p->route == route && p->addr == addr)
			return;
	}
	v = realloc(r->problems, (r->nproblems + 1) * sizeof(*v));
	if (v == NULL)
		abort();
	r->problems = v;
	p = &v[r->nproblems++];
	memset(p, 0, sizeof(*p));
	snprintf(p->code, sizeof(p->code), "%s", code);
	p->severity = sev;
	snprintf(p->subject, sizeof(p->subject), "%s", shown);
	snprintf(p->reference, sizeof(p->reference), "%s", check_code_reference(code));
	p->route = route;
	p->addr = addr;
	va_start(ap, fmt);
	vsnprintf(p->message, sizeof(p->message), fmt, ap);
	va_end(ap);
}

void
check_problem_add_dns(struct check_result *r, int route, int addr, const struct lookup_result *lr,
                      enum check_severity sev)
{
	char subj[LOOKUP_NAME_MAX + 16], shown[LOOKUP_NAME_MAX];

	snprintf(subj, sizeof(subj), "%s/%s", check_name_display(lr->qname, shown, sizeof(shown)),
	         lookup_type_name(lr->qtype));
	if (lr->truncated)
		check_problem_add(r, route, addr, "dns-truncated", CHECK_INFO, subj,
		                  "the UDP answer was truncated; the query was repeated over TCP");
	if (lr->not_aa)
		check_problem_add(
		    r, route, addr, "dns-not-authoritative", CHECK_WARNING, subj,
		    "the server answered without the AA bit (lame or not authoritative)");
	if (lookup_is_temporary(lr->status)) {
		char code[32];
		snprintf(code, sizeof(code), "dns-%s", lookup_reason_name(lr->reason));
		check_problem_add(r, route, addr, code, sev, subj, "%s lookup failed%s: %s",
		                  lookup_type_name(lr->qtype),
		                  lr->status == LOOKUP_FORMERR ? "" : " temporarily",
		                  lr->detail[0] ? lr->detail : lookup_reason_name(lr->reason));
	}
}

bool
check_has_problem(const struct check_result *r, const char *code)
{
	for (size_t i = 0; i < r->nproblems; i++)
		if (strcmp(r->problems[i].code, code) == 0)
			return true;
	return false;
}

size_t
check_count_severity(const struct check_result *r, enum check_severity sev)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nproblems; i++)
		if (r->problems[i].severity == sev)
			n++;
	return n;
}

const char *
check_verdict_name(enum check_verdict v)
{
	switch (v) {
	case CHECK_DELIVER:
		return "deliver";
	case CHECK_TEMPFAIL:
		return "tempfail";
	case CHECK_PERMFAIL:
		return "permfail";
	case CHECK_PASS:
		return "pass";
	}
	return "tempfail";
}

const char *
check_severity_name(enum check_severity s)
{
	switch (s) {
	case CHECK_INFO:
		return "info";
	case CHECK_WARNING:
		return "warning";
	case CHECK_ERROR:
		return "error";
	}
	return "error";
}

const char *
check_fcrdns_name(enum check_fcrdns f)
{
	switch (f) {
	case CHECK_FCRDNS_NONE:
		return "none";
	case CHECK_FCRDNS_PASS:
		return "pass";
	case CHECK_FCRDNS_FAIL:
		return "fail";
	case CHECK_FCRDNS_TEMPFAIL:
		return "tempfail";
	}
	return "none";
}

const char *
check_dane_name(enum check_dane d)
{
	switch (d) {
	case CHECK_DANE_UNKNOWN:
		return "";
	case CHECK_DANE_NONE:
		return "none";
	case CHECK_DANE_VERIFIED:
		return "verified";
	case CHECK_DANE_ENCRYPT:
		return "encrypt";
	case CHECK_DANE_DEFERRED:
		return "deferred";
	case CHECK_DANE_NOT_APPLIED:
		return "not-applied";
	}
	return "";
}

int
check_exit_status(const struct check_result *r)
{
	switch (r->verdict) {
	case CHECK_PERMFAIL:
		return CHECK_EX_UNAVAILABLE;
	case CHECK_TEMPFAIL:
		return CHECK_EX_TEMPFAIL;
	case CHECK_DELIVER:
	case CHECK_PASS:
		break;
	}
	if (check_count_severity(r, CHECK_ERROR) + check_count_severity(r, CHECK_WARNING) > 0)
		return CHECK_EX_PROBLEMS;
	return CHECK_EX_OK;
}

static int
exit_rank(int st)
{
	switch (st) {
	case CHECK_EX_USAGE:
	case CHECK_EX_SOFTWARE:
		return 5;
	case CHECK_EX_UNAVAILABLE:
		return 4;
	case CHECK_EX_TEMPFAIL:
		return 3;
	case CHECK_EX_PROBLEMS:
		return 2;
	default:
		return 1;
	}
}

int
check_exit_combine(int a, int b)
{
	if (exit_rank(a) == 5 && exit_rank(b) == 5)
		return a == CHECK_EX_SOFTWARE || b == CHECK_EX_SOFTWARE ? CHECK_EX_SOFTWARE
		                                                        : CHECK_EX_USAGE;
	return exit_rank(b) > exit_rank(a) ? b : a;
}

/* ---- names and addresses -------------------------------------------------------------- */

bool
check_hostname_valid(const char *name)
{
	size_t len = strlen(name), label = 0;
	const char *p;

	if (len == 0 || strcmp(name, ".") == 0)
		return false;
	if (name[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	for (p = name; p < name + len; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '.') {
			if (label == 0 || p[-1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!(isalnum(c) && c < 128) && c != '-')
			return false;
		if (c == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && name[len - 1] != '-';
}

int
check_parse_ip(const char *text, uint8_t addr[16])
{
	char buf[64];
	size_t n = strlen(text);

	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, text, n + 1);
	if (buf[0] == '[' && buf[n - 1] == ']') {
		memmove(buf, buf + 1, n - 2);
		buf[n - 2] = '\0';
	}
	if (inet_pton(AF_INET, buf, addr) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, buf, addr) == 1)
		return AF_INET6;
	return 0;
}

bool
check_looks_like_ip(const char *name)
{
	char buf[LOOKUP_NAME_MAX];
	uint8_t a[16];
	size_t n = strlen(name);
	bool digits_only = true;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, name, n + 1);
	if (buf[n - 1] == '.')
		buf[--n] = '\0';
	if (n == 0)
		return false;
	if (check_parse_ip(buf, a) != 0)
		return true;
	/* "192.0.2" or "10.1": every label numeric is an address, not a host name. */
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)buf[i]) && buf[i] != '.')
			digits_only = false;
	return digits_only;
}

const char *
check_name_display(const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);

	if (n > 1 && name[n - 1] == '.' && name[n - 2] != '\\')
		n--;
	if (n >= len)
		n = len - 1;
	memcpy(buf, name, n);
	buf[n] = '\0';
	return buf;
}

void
check_format_ip(int family, const uint8_t *addr, char *buf, size_t len)
{
	if (inet_ntop(family, addr, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

int
check_unmap_ip(int family, const uint8_t *addr, uint8_t out[16])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (family == AF_INET6 && memcmp(addr, mapped, 12) == 0) {
		memset(out, 0, 16);
		memcpy(out, addr + 12, 4);
		return AF_INET;
	}
	memcpy(out, addr, family == AF_INET ? 4 : 16);
	return family;
}
