/* client/rdns.c -- reverse DNS: PTR names (RFC 1035 §3.5, RFC 3596 §2.5), forward-confirmed
   reverse DNS (RFC 1912 §2.1, Exim's rule: every PTR name is tried), address mode. */
#include "client/rdns.h"
#include "client/trace.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

int
rdns_format_ptr_name(int family, const uint8_t *addr, char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (family == AF_INET) {
		int n = snprintf(out, len, "%u.%u.%u.%u.in-addr.arpa.", addr[3], addr[2], addr[1],
		                 addr[0]);
		return n < 0 || (size_t)n >= len ? -1 : 0;
	}
	if (family != AF_INET6 || len < 32 * 2 + sizeof("ip6.arpa."))
		return -1;
	for (int i = 15; i >= 0; i--) {
		out[o++] = hex[addr[i] & 0xf];
		out[o++] = '.';
		out[o++] = hex[addr[i] >> 4];
		out[o++] = '.';
	}
	memcpy(out + o, "ip6.arpa.", sizeof("ip6.arpa."));
	return 0;
}

/* Outcome of forward-confirming one PTR name. */
enum name_outcome { N_PASS, N_MISMATCH, N_NXDOMAIN, N_TEMP, N_NUMERIC, N_BADNAME, N_LOOP };

/* The PTR names that cannot confirm anything, whatever the address: their problem code and
   what is wrong, said after "the PTR of ADDRESS". */
static const struct {
	const char *code; /* problem code */
	const char *what; /* the rest of the message */
} unusable_name[] = {
    [N_NUMERIC] = {"ptr-numeric", "is an address, not a host name"},
    [N_BADNAME] = {"ptr-bad-name", "is not a valid host name"},
    [N_NXDOMAIN] = {"ptr-target-nxdomain", "names a host that does not exist"},
};

/* Do the A/AAAA of name include (family, addr)? Fills *found with the addresses seen. */
static enum name_outcome
confirm_name(struct lookup *lk, struct check_result *r, int route, int addr, const char *name,
             int family, const uint8_t *want, enum check_severity dns_sev, bool *cname, char *found,
             size_t flen)
{
	struct lookup_result *lr[2];
	const uint16_t types[2] = {LOOKUP_T_A, LOOKUP_T_AAAA};
	enum name_outcome out = N_MISMATCH;
	bool nx = false, temp_same = false, loop = false;

	found[0] = '\0';
	for (int f = 0; f < 2; f++) {
		int fam = f ? AF_INET6 : AF_INET;
		lr[f] = lookup_resolve(lk, name, types[f]);
		check_problem_add_dns(r, route, addr, lr[f], dns_sev);
		if (lr[f]->nchain > 0)
			*cname = true;
		switch (lr[f]->status) {
		case LOOKUP_OK:
			for (size_t k = 0; k < lr[f]->nrrs; k++) {
				char t[48];
				check_format_ip(fam, lr[f]->rrs[k].addr, t, sizeof(t));
				if (strlen(found) + strlen(t) + 3 < flen) {
					if (found[0])
						strcat(found, ", ");
					strcat(found, t);
				}
				if (fam == family &&
				    memcmp(lr[f]->rrs[k].addr, want, fam == AF_INET ? 4 : 16) == 0)
					out = N_PASS;
			}
			break;
		case LOOKUP_NXDOMAIN:
			nx = true;
			break;
		case LOOKUP_CNAME_LOOP:
			loop = true;
			break;
		case LOOKUP_TEMPORARY:
		case LOOKUP_FORMERR:
			if (fam == family)
				temp_same = true;
			break;
		case LOOKUP_NODATA:
			break;
		}
	}
	lookup_result_free(lr[0]);
	lookup_result_free(lr[1]);
	if (out == N_PASS)
		return N_PASS;
	if (temp_same)
		return N_TEMP;
	if (loop)
		return N_LOOP;
	if (nx)
		return N_NXDOMAIN;
	return N_MISMATCH;
}

static bool
is_exchange_name(const struct check_route *rt, const char *name)
{
	if (strcmp(rt->exchange, name) == 0)
		return true;
	for (size_t i = 0; i < rt->nchain; i++)
		if (strcmp(rt->chain[i], name) == 0)
			return true;
	return false;
}

/* Forward-confirm one PTR name of the address; numeric and invalid names are never looked
   up. found gets the addresses the name has. */
static enum name_outcome
ptr_name_outcome(struct lookup *lk, struct check_result *r, int route, int addr, const char *name,
                 enum check_severity dns_sev, char *found, size_t flen)
{
	const struct check_address *a = &r->routes[route].addrs[addr];
	char shown[LOOKUP_NAME_MAX];
	enum name_outcome o;
	bool cname = false;
	uint8_t seen[16];
	int family = check_unmap_ip(a->family, a->addr, seen); /* what a receiver sees */

	found[0] = '\0';
	if (check_looks_like_ip(name))
		return N_NUMERIC;
	if (!check_hostname_valid(name))
		return N_BADNAME;
	o = confirm_name(lk, r, route, addr, name, family, seen, dns_sev, &cname, found, flen);
	if (cname)
		check_problem_add(r, route, addr, "ptr-cname", CHECK_WARNING,
		                  check_name_display(name, shown, sizeof(shown)),
		                  "the PTR target of %s is an alias (CNAME); it should name the "
		                  "host itself",
		                  a->text);
	return o;
}

/* The problem of one PTR name of the address that did not pass, with severity sev (error
   when it decides the address-mode verdict, else warning). */
static void
name_problem(struct check_result *r, int route, int addr, enum name_outcome o,
             enum check_severity sev, const char *ptr, const char *found)
{
	const char *text = r->routes[route].addrs[addr].text;
	char name[LOOKUP_NAME_MAX];

	check_name_display(ptr, name, sizeof(name));
	switch (o) {
	case N_PASS:
		break;
	case N_NUMERIC:
	case N_BADNAME:
	case N_NXDOMAIN:
		check_problem_add(r, route, addr, unusable_name[o].code, sev, name,
		                  "the PTR of %s %s", text, unusable_name[o].what);
		break;
	case N_LOOP:
		check_problem_add(
		    r, route, addr, "cname-loop", sev, name,
		    "the CNAME chain of the PTR name loops (or is longer than %d hops)",
		    LOOKUP_MAX_CNAME);
		break;
	case N_MISMATCH:
		check_problem_add(r, route, addr, "fcrdns-mismatch", sev, name,
		                  "%s resolves to %s, not to %s", name,
		                  found[0] ? found : "no address", text);
		break;
	case N_TEMP:
		check_problem_add(r, route, addr, "fcrdns-tempfail", sev, name,
		                  "the forward lookup of the PTR name failed temporarily");
		break;
	}
}

void
rdns_check_address(struct lookup *lk, struct check_result *r, int route, int addr, bool domain_mode)
{
	struct check_route *rt = &r->routes[route];
	struct check_address *a = &rt->addrs[addr];
	char ptrname[LOOKUP_NAME_MAX], shown[LOOKUP_NAME_MAX];
	struct lookup_result *pl;
	enum name_outcome *oc = NULL;
	char(*found)[256] = NULL;
	bool temp = false, mx_name = false;
	const char *confirmed = NULL; /* the first PTR name that passed */
	enum check_severity hard;
	const char *text = a->text;
	size_t first;
	uint8_t seen[16];
	int family = check_unmap_ip(a->family, a->addr, seen); /* ::ffff:a.b.c.d is a.b.c.d */

	if (rdns_format_ptr_name(family, seen, ptrname, sizeof(ptrname)) < 0)
		return;
	pl = lookup_resolve(lk, ptrname, LOOKUP_T_PTR);
	/* In domain mode reverse DNS never changes the verdict: problems are warnings. */
	hard = domain_mode ? CHECK_WARNING : CHECK_ERROR;
	/* dns-* carry the severity of the lookup they broke: in address mode it decides. */
	check_problem_add_dns(r, route, addr, pl, hard);
	switch (pl->status) {
	case LOOKUP_NXDOMAIN:
	case LOOKUP_NODATA:
		check_problem_add(r, route, addr, "ptr-missing", hard, text,
		                  "no PTR record at %s (%s)",
		                  check_name_display(ptrname, shown, sizeof(shown)),
		                  lookup_status_name(pl->status));
		a->fcrdns = CHECK_FCRDNS_FAIL;
		goto done;
	case LOOKUP_TEMPORARY:
	case LOOKUP_FORMERR:
		check_problem_add(r, route, addr, "ptr-tempfail", hard, text,
		                  "the PTR lookup failed temporarily: %s", pl->detail);
		a->fcrdns = CHECK_FCRDNS_TEMPFAIL;
		goto done;
	case LOOKUP_CNAME_LOOP:
		check_problem_add(r, route, addr, "cname-loop", hard, text,
		                  "the CNAME chain of %s loops (or is longer than %d hops)",
		                  check_name_display(ptrname, shown, sizeof(shown)),
		                  LOOKUP_MAX_CNAME);
		a->fcrdns = CHECK_FCRDNS_FAIL;
		goto done;
	case LOOKUP_OK:
		break;
	}
	if (pl->nrrs > 1)
		check_problem_add(r, route, addr, "ptr-multiple", CHECK_WARNING, text,
		                  "%zu PTR records; many receivers use only the first one",
		                  pl->nrrs);
	oc = calloc(pl->nrrs, sizeof(*oc));
	found = calloc(pl->nrrs, sizeof(*found));
	if (oc == NULL || found == NULL)
		abort();
	first = r->nproblems;
	for (size_t i = 0; i < pl->nrrs; i++) {
		const char *name = pl->rrs[i].target;
		check_address_add_ptr(a, name);
		oc[i] =
		    ptr_name_outcome(lk, r, route, addr, name, hard, found[i], sizeof(found[i]));
		if (oc[i] == N_PASS && confirmed == NULL)
			confirmed = name;
		if (oc[i] == N_PASS && domain_mode && is_exchange_name(rt, name))
			mx_name = true;
		temp = temp || oc[i] == N_TEMP;
	}
	/* A name that passed decides: the failed forward lookups of the others are warnings. */
	for (size_t i = first; confirmed && i < r->nproblems; i++)
		if (strncmp(r->problems[i].code, "dns-", 4) == 0 &&
		    r->problems[i].severity == CHECK_ERROR)
			r->problems[i].severity = CHECK_WARNING;
	/* Per-name problems: errors only when no name passed (address mode). */
	for (size_t i = 0; i < pl->nrrs; i++)
		name_problem(r, route, addr, oc[i], confirmed ? CHECK_WARNING : hard,
		             pl->rrs[i].target, found[i]);
	a->fcrdns = confirmed ? CHECK_FCRDNS_PASS
	            : temp    ? CHECK_FCRDNS_TEMPFAIL
	                      : CHECK_FCRDNS_FAIL;
	if (domain_mode && confirmed && !mx_name) {
		char ex[LOOKUP_NAME_MAX];
		check_problem_add(r, route, addr, "ptr-not-mx-name", CHECK_INFO, text,
		                  "reverse DNS is confirmed but names %s, not the MX host %s",
		                  check_name_display(confirmed, shown, sizeof(shown)),
		                  check_name_display(rt->exchange, ex, sizeof(ex)));
	}
done:
	free(oc);
	free(found);
	lookup_result_free(pl);
}

/* An RFC 5321 §4.1.3 address literal, "[192.0.2.1]" or "[IPv6:2001:db8::1]": its family
   (an IPv4-mapped address as IPv4) and address in out, or 0 when it is not a valid one. */
static int
helo_literal(const char *name, uint8_t out[16])
{
	char buf[64];
	size_t n = strlen(name);
	uint8_t a[16];
	const char *text = buf;
	int family = AF_INET;

	if (n < 3 || n >= sizeof(buf) || name[0] != '[' || name[n - 1] != ']')
		return 0;
	memcpy(buf, name + 1, n - 2);
	buf[n - 2] = '\0';
	if (strncasecmp(buf, "IPv6:", 5) == 0) {
		text = buf + 5;
		family = AF_INET6;
	}
	if (inet_pton(family, text, a) != 1)
		return 0;
	return check_unmap_ip(family, a, out);
}

/* --helo with an address literal: no DNS, the literal must be the address itself. */
static void
check_helo_literal(struct check_result *r)
{
	const struct check_address *a = &r->routes[0].addrs[0];
	const char *name = r->routes[0].exchange;
	uint8_t lit[16];
	char text[48];
	int family = helo_literal(name, lit);

	if (family == 0) {
		check_problem_add(r, 0, -1, "helo-mismatch", CHECK_WARNING, name,
		                  "the HELO name is not a valid address literal (RFC 5321 §4.1.3: "
		                  "[192.0.2.1] or [IPv6:2001:db8::1])");
		return;
	}
	if (family == a->family && memcmp(lit, a->addr, family == AF_INET ? 4 : 16) == 0)
		return;
	check_format_ip(family, lit, text, sizeof(text));
	check_problem_add(r, 0, -1, "helo-mismatch", CHECK_WARNING, name,
	                  "the HELO address literal names %s, not %s", text, a->text);
}

/* --helo: does the HELO name (the route's exchange, absolute) resolve to the address? */
static void
check_helo(struct lookup *lk, struct check_result *r)
{
	const struct check_address *a = &r->routes[0].addrs[0];
	const char *name = r->routes[0].exchange;
	char found[256];
	bool c = false;
	enum name_outcome o;

	if (name[0] == '[') {
		check_helo_literal(r);
		return;
	}
	if (!check_hostname_valid(name) || check_looks_like_ip(name)) {
		check_problem_add(r, 0, -1, "helo-mismatch", CHECK_WARNING, name,
		                  "the HELO name is not a valid host name");
		return;
	}
	o = confirm_name(lk, r, 0, -1, name, a->family, a->addr, CHECK_WARNING, &c, found,
	                 sizeof(found));
	if (o == N_PASS || o == N_TEMP)
		return; /* a temporary failure decides nothing; the dns-* warning says it */
	if (o == N_NXDOMAIN)
		check_problem_add(r, 0, -1, "helo-mismatch", CHECK_WARNING, name,
		                  "the HELO name does not exist, so it cannot resolve to %s",
		                  a->text);
	else
		check_problem_add(r, 0, -1, "helo-mismatch", CHECK_WARNING, name,
		                  "the HELO name resolves to %s, not to %s",
		                  found[0] ? found : "no address", a->text);
}

struct check_result *
rdns_check(struct lookup *lk, const char *ip, const struct check_options *opt, char *err,
           size_t errlen)
{
	struct check_result *r;
	uint8_t parsed[16], addr[16];
	int family = check_parse_ip(ip, parsed);
	double t0 = lookup_now_ms();
	struct check_address *a;
	int ri;

	if (family == 0) {
		snprintf(err, errlen, "%s: not an IPv4 or IPv6 address", ip);
		return NULL;
	}
	/* A receiver sees an IPv4-mapped address as the IPv4 address it carries. */
	family = check_unmap_ip(family, parsed, addr);
	r = check_result_new(CHECK_MODE_ADDRESS, ip);
	r->seed = opt->seed;
	if (opt->mta != NULL) /* the receiver side is the same for every profile */
		snprintf(r->mta, sizeof(r->mta), "%s", opt->mta->name);
	check_format_ip(family, addr, r->name, sizeof(r->name));
	lookup_begin(lk);
	ri = check_route_add(r);
	if (opt->helo != NULL && opt->helo[0] == '[') /* an address literal, kept as given */
		snprintf(r->routes[ri].exchange, LOOKUP_NAME_MAX, "%s", opt->helo);
	else if (opt->helo != NULL)
		lookup_name_abs(opt->helo, r->routes[ri].exchange, LOOKUP_NAME_MAX);
	check_address_add(&r->routes[ri], family, addr);
	a = &r->routes[ri].addrs[0];
	rdns_check_address(lk, r, ri, 0, false);
	switch (a->fcrdns) {
	case CHECK_FCRDNS_PASS:
		r->verdict = CHECK_PASS;
		break;
	case CHECK_FCRDNS_TEMPFAIL:
		r->verdict = CHECK_TEMPFAIL;
		break;
	default:
		r->verdict = CHECK_PERMFAIL;
		break;
	}
	r->routes[ri].usable = r->verdict == CHECK_PASS;
	a->usable = r->routes[ri].usable;
	if (opt->helo != NULL)
		check_helo(lk, r);
	r->queries = lk->queries;
	trace_collect(lk, r); /* --trace: the delegation problems and zone cuts */
	r->elapsed_ms = lookup_now_ms() - t0;
	return r;
}
