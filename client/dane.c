/* client/dane.c -- --dnssec: what a validating resolver says about the lookups of one check,
   and the DANE state of each exchange in Postfix's terms (RFC 7672).

   Choices where the contract is silent (copied into the README):
   - The probe (". DNSKEY" with DO) is made once per resolver connection: the first check pays
     its query; a probe that fails temporarily counts as "no validator" for that check and
     is tried again by the next one.
   - A lookup is secure when every reply on its CNAME chain had AD; bogus when the SERVFAIL
     reply's question, asked again with CD, is answered. A SERVFAIL whose CD retry fails too
     is an ordinary temporary failure.
   - TLSA records are looked up at _25._tcp.<exchange> (the name in the MX record; a CNAME at
     that name is followed by the lookup) for every exchange with addresses, also when the
     MX or address RRset is insecure, so that dane-not-applicable can say TLSA records exist.
     Postfix itself skips the lookup then, so a bogus TLSA RRset under an insecure address
     RRset is reported as dane-not-applicable, not as dane-tlsa-bogus.
   - A TLSA lookup that fails temporarily (not bogus) under secure MX and address RRsets
     defers the exchange as Postfix does; an insecure TLSA RRset is ignored
     (dane-not-applicable), as is every TLSA record when the MX RRset is insecure.
   - No TLSA records under secure MX and address RRsets: state "none" (opportunistic TLS).
*/
#include "client/dane.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

const char *
dane_usage_name(unsigned usage)
{
	static const char *const names[] = {"PKIX-TA(0)", "PKIX-EE(1)", "DANE-TA(2)", "DANE-EE(3)"};
	static __thread char buf[24];

	if (usage < 4)
		return names[usage];
	snprintf(buf, sizeof(buf), "usage(%u)", usage);
	return buf;
}

bool
dane_tlsa_usable(const struct check_tlsa *t)
{
	if (t->usage != 2 && t->usage != 3)
		return false;
	if (t->selector > 1)
		return false;
	switch (t->mtype) {
	case 0:
		return t->len > 0;
	case 1:
		return t->len == 32;
	case 2:
		return t->len == 64;
	}
	return false;
}

bool
dane_begin(struct lookup *lk, struct check_result *r)
{
	struct lookup_result *p;
	char why[300];

	if (!lk->dnssec)
		return false;
	if (lk->validator < 0) {
		p = lookup_resolve(lk, ".", LOOKUP_T_DNSKEY);
		if (p->status == LOOKUP_OK || p->status == LOOKUP_NODATA)
			lk->validator = p->dnssec == LOOKUP_DNSSEC_SECURE ? 1 : 0;
		if (lookup_is_temporary(p->status))
			snprintf(why, sizeof(why), "the probe (the root's DNSKEY) failed: %.250s",
			         p->detail);
		else
			snprintf(why, sizeof(why),
			         "the root's DNSKEY came back without the AD bit");
		lookup_result_free(p);
	} else {
		snprintf(why, sizeof(why), "the root's DNSKEY came back without the AD bit");
	}
	if (lk->validator == 1) {
		r->dnssec_checked = true;
		return true;
	}
	check_problem_add(r, -1, -1, "dnssec-no-validator", CHECK_WARNING, ".",
	                  "the resolver does not validate DNSSEC (%s); nothing is claimed about "
	                  "DNSSEC or DANE (use a validating resolver: the system one, or -s ADDR "
	                  "--recursive)",
	                  why);
	return false;
}

void
dane_mx(struct check_result *r, const struct lookup_result *mx)
{
	r->dnssec = mx->dnssec;
	if (mx->dnssec == LOOKUP_DNSSEC_BOGUS)
		check_problem_add(r, -1, -1, "dnssec-bogus", CHECK_ERROR, r->name,
		                  "the MX lookup is bogus (DNSSEC validation failed: %s); the "
		                  "lookup is temporary and Postfix defers the mail, it is never "
		                  "treated as absent",
		                  mx->detail);
	else if (mx->dnssec == LOOKUP_DNSSEC_INSECURE)
		check_problem_add(r, -1, -1, "dnssec-insecure", CHECK_INFO, r->name,
		                  "the MX RRset is not signed (no AD): DANE is not applied to its "
		                  "exchanges");
}

void
dane_host(struct check_result *r, int i, struct lookup_result *const lr[2])
{
	struct check_route *rt = &r->routes[i];
	bool answered = false, secure = true;

	for (size_t k = 0; k < rt->naddrs; k++)
		rt->addrs[k].dnssec = lr[rt->addrs[k].family == AF_INET ? 0 : 1]->dnssec;
	rt->dnssec = LOOKUP_DNSSEC_UNKNOWN;
	for (int f = 0; f < 2; f++) {
		if (lr[f]->dnssec == LOOKUP_DNSSEC_BOGUS) {
			rt->dnssec = LOOKUP_DNSSEC_BOGUS;
			check_problem_add(
			    r, i, -1, "dnssec-bogus", CHECK_ERROR, rt->exchange,
			    "the %s lookup is bogus (DNSSEC validation failed: %s); it "
			    "is temporary, Postfix defers this host",
			    lookup_type_name(lr[f]->qtype), lr[f]->detail);
			continue;
		}
		if (lr[f]->status != LOOKUP_OK && lr[f]->status != LOOKUP_NODATA &&
		    lr[f]->status != LOOKUP_NXDOMAIN)
			continue;
		answered = true;
		if (lr[f]->dnssec != LOOKUP_DNSSEC_SECURE)
			secure = false;
	}
	if (rt->dnssec != LOOKUP_DNSSEC_BOGUS && answered)
		rt->dnssec = secure ? LOOKUP_DNSSEC_SECURE : LOOKUP_DNSSEC_INSECURE;
}

/* The exchange must not be used: its delivery is temporary. */
static void
defer_route(struct check_route *rt)
{
	rt->dane = CHECK_DANE_DEFERRED;
	rt->usable = false;
	rt->temp = true;
	for (size_t k = 0; k < rt->naddrs; k++)
		rt->addrs[k].usable = false;
}

/* "DANE-EE(3), DANE-TA(2)": the usages of the usable records, each once. */
static void
usable_usages(const struct check_route *rt, char *buf, size_t len)
{
	bool seen[4] = {false, false, false, false};
	size_t used = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < rt->ntlsa; k++) {
		unsigned u = rt->tlsa[k].usage;
		if (!rt->tlsa[k].usable || u > 3 || seen[u])
			continue;
		seen[u] = true;
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
			                         dane_usage_name(u));
	}
}

void
dane_tlsa(struct lookup *lk, struct check_result *r, int i)
{
	struct check_route *rt = &r->routes[i];
	char qname[LOOKUP_NAME_MAX + 16], usages[64];
	struct lookup_result *lr;
	bool mx_secure = r->dnssec == LOOKUP_DNSSEC_SECURE;
	bool addr_secure = rt->dnssec == LOOKUP_DNSSEC_SECURE;
	const char *insecure = !mx_secure ? "MX" : "address";
	size_t nusable = 0;

	snprintf(qname, sizeof(qname), "_25._tcp.%s", rt->exchange);
	lr = lookup_resolve(lk, qname, LOOKUP_T_TLSA);
	rt->tlsa_dnssec = lr->dnssec;
	rt->ntlsa = 0;
	for (size_t k = 0; lr->status == LOOKUP_OK && k < lr->nrrs && rt->ntlsa < CHECK_TLSA_MAX;
	     k++) {
		struct check_tlsa *t = &rt->tlsa[rt->ntlsa++];
		t->usage = lr->rrs[k].tlsa_usage;
		t->selector = lr->rrs[k].tlsa_selector;
		t->mtype = lr->rrs[k].tlsa_mtype;
		t->len = lr->rrs[k].tlsa_len;
		t->usable = dane_tlsa_usable(t);
		if (t->usable)
			nusable++;
	}
	if (lr->dnssec == LOOKUP_DNSSEC_BOGUS) {
		if (mx_secure && addr_secure) {
			check_problem_add(r, i, -1, "dane-tlsa-bogus", CHECK_ERROR, rt->exchange,
			                  "the TLSA lookup (%s) is bogus (%s): this exchange must "
			                  "not be used, the delivery to it is temporary (Postfix "
			                  "defers it)",
			                  qname, lr->detail);
			defer_route(rt);
		} else {
			rt->dane = CHECK_DANE_NOT_APPLIED;
			check_problem_add(r, i, -1, "dane-not-applicable", CHECK_INFO, rt->exchange,
			                  "the TLSA lookup is bogus, but the %s RRset is insecure: "
			                  "DANE is not applied (Postfix does not look TLSA up)",
			                  insecure);
		}
	} else if (lookup_is_temporary(lr->status)) {
		if (mx_secure && addr_secure) {
			check_problem_add_dns(r, i, -1, lr, CHECK_ERROR);
			check_problem_add(r, i, -1, "mx-host-tempfail", CHECK_WARNING, rt->exchange,
			                  "the TLSA lookup (%s) failed temporarily: Postfix defers "
			                  "this exchange",
			                  qname);
			defer_route(rt);
		} else {
			rt->dane = CHECK_DANE_NOT_APPLIED;
		}
	} else if (lr->status == LOOKUP_OK) {
		if (!mx_secure || !addr_secure) {
			rt->dane = CHECK_DANE_NOT_APPLIED;
			check_problem_add(
			    r, i, -1, "dane-not-applicable", CHECK_INFO, rt->exchange,
			    "TLSA records exist, but the %s RRset is insecure: DANE is "
			    "not applied",
			    insecure);
		} else if (lr->dnssec != LOOKUP_DNSSEC_SECURE) {
			rt->dane = CHECK_DANE_NOT_APPLIED;
			check_problem_add(r, i, -1, "dane-not-applicable", CHECK_INFO, rt->exchange,
			                  "TLSA records exist, but they are not signed (no AD): "
			                  "DANE is not applied");
		} else if (nusable > 0) {
			rt->dane = CHECK_DANE_VERIFIED;
			usable_usages(rt, usages, sizeof(usages));
			check_problem_add(r, i, -1, "dane-ok", CHECK_INFO, rt->exchange,
			                  "secure TLSA records, %zu of %zu usable (%s): the server "
			                  "certificate is verified (Postfix: \"Verified TLS\")",
			                  nusable, rt->ntlsa, usages);
		} else {
			rt->dane = CHECK_DANE_ENCRYPT;
			check_problem_add(
			    r, i, -1, "dane-tlsa-unusable", CHECK_WARNING, rt->exchange,
			    "secure TLSA records, none usable (PKIX-TA/PKIX-EE usages, "
			    "bad selector, matching type or length): TLS without "
			    "authentication");
		}
	} else {
		rt->dane = mx_secure && addr_secure ? CHECK_DANE_NONE : CHECK_DANE_NOT_APPLIED;
	}
	lookup_result_free(lr);
}
