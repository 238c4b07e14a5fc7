/* client/mx.c -- domain mode: the MX algorithm of RFC 5321 §5.1 as a careful sending MTA
   runs it, with every problem found on the way.

   Choices where the contract is silent (copied into the README):
   - Queries are classic DNS without EDNS0: UDP answers are limited to 512 bytes and anything
     bigger comes back truncated and is asked again over TCP (the truncated answer is never
     used). With -s, RD is clear and answers without AA are flagged; with the system resolver
     (or -s with --recursive) RD is set and AA is not checked. --dnssec adds EDNS0 with DO
     (client/dane.c has its choices).
   - A temporary failure is retried: every round asks each server in turn, -r N adds N rounds.
     A reply whose ID, QR bit or question does not match the query, or that cannot be parsed,
     is a network error (`dns-network`, a code added to the contract's list). Any rcode other
     than NOERROR/NXDOMAIN/SERVFAIL/REFUSED/NOTIMP/FORMERR counts as SERVFAIL.
   - Within one check each question (name, type) is sent once: the forward lookups of PTR
     names, HELO and MX hosts reuse each other's replies, failures included (a retry is a
     new round inside one question, not a second question). "queries" counts packets sent.
   - A whole check is bounded by 400 queries and 60 s (longer when -t x (-r+1) x 4 is longer);
     lookups past the bound fail as `dns-timeout`.
   - Every temporary lookup failure is reported twice: `dns-<reason>` (what broke, with the
     severity of the lookup) and the mail-level code (`mx-host-tempfail`, `ptr-tempfail`, ...).
   - The top-level "problems" of the JSON output lists every problem of the target; routes and
     addresses repeat the ones about them.
   - `null-mx` is info (a domain saying "no mail" is not a DNS mistake) but the verdict is
     permfail. RFC 7505 defines the null MX as `MX 0 .` only: `MX 0 .` beside any other MX
     is `null-mx-mixed` (permfail, no exchange is looked up); a `.` with a non-zero
     preference is no null MX but an unusable entry (`null-mx-bad-preference`), so
     `MX 5 .` beside `MX 10 a` delivers to `a`.
   - An exchange is an IP literal when it parses as IPv4/IPv6 (brackets allowed) or when all of
     its labels are numeric ("192.0.2.").
   - The same exchange at two preferences: only the lowest preference is kept (and checked).
   - --self: an entry is "better" than self when its preference is lower, whatever its state; so
     self at 20 behind a broken host at 10 gives tempfail `no-primary-relay` (the backup queues).
     All exchanges are resolved first so that self addresses can be matched.
   - Unroutable (error, address unusable): 0/8, 127/8, 169.254/16, 224/4 multicast, 240/4
     (reserved and broadcast), ::, ::1, fe80::/10, ff00::/8, IPv4-compatible ::a.b.c.d and
     100::/64 (discard-only). Private (warning, still usable): 10/8, 172.16/12, 192.168/16,
     100.64/10 (shared CGN space), fc00::/7. An IPv4-mapped ::ffff:a.b.c.d is classified as
     a.b.c.d (a receiver sees the IPv4 address), and its PTR is looked up under in-addr.arpa;
     `--ip ::ffff:a.b.c.d` checks a.b.c.d.
   - -4/-6: both families are still looked up (and reported); addresses of the other family are
     marked unusable. A temporary failure of a family the sender cannot use does not make the
     verdict tempfail. `mx-host-wrong-family` is an error of that host. mx-host-tempfail says
     whether the other family is used, or that the sender cannot use it.
   - primary-mx-v6-only is claimed only when the best preference group definitely has no IPv4
     (its A lookups said nodata/nxdomain; an A that failed temporarily is unknown, not
     absent), and never under -6 (an IPv6-only sender has no problem with it).
   - The implicit MX uses the canonical name when the domain is a CNAME.
   - The shuffle PRNG is splitmix64 seeded with --seed (default: from getrandom()); the seed is
     reported as "seed" in JSON so a run can be repeated.
   - A target that is an IP address (not a domain) is checked in address mode.
   - A target that is not a valid host name after IDNA is a usage error (exit 64).
   - PTR targets that are not valid host names get `ptr-bad-name` (a code added to the list).
     In address mode the reverse lookups decide the verdict, so every problem that decides
     it is an error: ptr-missing, ptr-tempfail, the per-name problems (fcrdns-mismatch,
     fcrdns-tempfail, ...) and the dns-* of those lookups; the per-name ones and their dns-*
     are warnings when another PTR name passes. helo-mismatch is always a warning. In
     domain mode all reverse problems are warnings.
   - --helo that fails temporarily reports only the `dns-*` warning (it decides nothing).
   - ptr-not-mx-name with an MX that is a CNAME: a PTR naming the canonical host (the end of
     the exchange's CNAME chain), or any name on that chain, closes the chain
     domain -MX-> alias -CNAME-> host -A-> ip -PTR-> host: no ptr-not-mx-name (mx-cname
     already reports the alias).
*/
#include "client/mx.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <idn2.h>

#include "client/dane.h"
#include "client/rdns.h"
#include "client/trace.h"
#include "common/rand.h"

/* Uniform in [0, n) without modulo bias. */
static uint64_t
random_below(uint64_t *state, uint64_t n)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % n, x;

	do
		x = rand_splitmix64(state);
	while (x >= limit);
	return x % n;
}

void
mx_sort_routes(struct check_route *routes, size_t n, uint64_t seed)
{
	uint64_t state = seed;
	size_t i, j;

	/* Stable insertion sort by unsigned 16-bit preference (n is small). */
	for (i = 1; i < n; i++) {
		struct check_route t = routes[i];
		for (j = i; j > 0 && routes[j - 1].pref > t.pref; j--)
			routes[j] = routes[j - 1];
		routes[j] = t;
	}
	/* Fisher-Yates inside each group of equal preference. */
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && routes[j].pref == routes[i].pref; j++)
			;
		for (size_t k = j - i; k > 1; k--) {
			size_t m = (size_t)random_below(&state, k);
			struct check_route t = routes[i + k - 1];
			routes[i + k - 1] = routes[i + m];
			routes[i + m] = t;
		}
	}
}

int
mx_normalise(const char *target, char *out, size_t len, char *err, size_t errlen)
{
	const char *at = strrchr(target, '@');
	const char *dom = at ? at + 1 : target;
	char buf[LOOKUP_NAME_MAX];
	bool ascii = true;
	size_t n;

	for (const char *p = dom; *p; p++)
		if ((unsigned char)*p >= 0x80)
			ascii = false;
	if (!ascii) {
		char *a = NULL;
		int rc = idn2_to_ascii_8z(dom, &a, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
		if (rc != IDN2_OK) {
			snprintf(err, errlen, "%s: not a valid internationalised domain name (%s)",
			         target, idn2_strerror(rc));
			return -1;
		}
		snprintf(buf, sizeof(buf), "%s", a);
		idn2_free(a);
	} else {
		snprintf(buf, sizeof(buf), "%s", dom);
	}
	n = strlen(buf);
	if (n == 0) {
		snprintf(err, errlen, "%s: empty domain", target);
		return -1;
	}
	if (check_looks_like_ip(buf)) {
		snprintf(err, errlen, "%s: an address literal is not a mail domain", target);
		return -1;
	}
	lookup_name_abs(buf, out, len);
	if (!check_hostname_valid(out)) {
		snprintf(err, errlen, "%s: not a valid domain name", target);
		return -1;
	}
	return 0;
}

static bool
is_null_mx(const char *exchange)
{
	return strcmp(exchange, ".") == 0;
}

/* IPv4-compatible ::a.b.c.d (RFC 4291 §2.5.5.1, deprecated; not :: or ::1). */
static bool
v4_compatible(const uint8_t *a)
{
	static const uint8_t zero[12];

	return memcmp(a, zero, 12) == 0 && !(a[12] == 0 && a[13] == 0 && a[14] == 0 && a[15] <= 1);
}

static bool
addr_unroutable(int family, const uint8_t *addr)
{
	static const uint8_t zero[16], discard[8] = {0x01, 0x00};
	uint8_t a[16];

	family = check_unmap_ip(family, addr, a); /* ::ffff:a.b.c.d is a.b.c.d */
	if (family == AF_INET)
		return a[0] == 0 || a[0] == 127 || (a[0] == 169 && a[1] == 254) || a[0] >= 224;
	if (memcmp(a, zero, 16) == 0)
		return true; /* :: */
	if (memcmp(a, zero, 15) == 0 && a[15] == 1)
		return true; /* ::1 */
	if (v4_compatible(a) || memcmp(a, discard, 8) == 0)
		return true; /* ::a.b.c.d, 100::/64 discard-only */
	return (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || a[0] == 0xff; /* fe80::/10, ff00::/8 */
}

static bool
addr_private(int family, const uint8_t *addr)
{
	uint8_t a[16];

	family = check_unmap_ip(family, addr, a);
	if (family == AF_INET)
		return a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
		       (a[0] == 192 && a[1] == 168) || (a[0] == 100 && (a[1] & 0xc0) == 64);
	return (a[0] & 0xfe) == 0xfc;
}

static bool
family_wanted(const struct check_options *opt, int family)
{
	return family == AF_INET ? opt->want4 : opt->want6;
}

static const struct mta_profile *
profile_of(const struct check_options *opt)
{
	return opt->mta ? opt->mta : mta_default();
}

/* 127/8 or ::1 (also IPv4-mapped): the sending host itself. */
static bool
addr_loopback(int family, const uint8_t *addr)
{
	static const uint8_t one[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	uint8_t a[16];

	family = check_unmap_ip(family, addr, a);
	return family == AF_INET ? a[0] == 127 : memcmp(a, one, 16) == 0;
}

/* Usability and problems of the addresses of route i, by the profile's address rule. */
static void
classify_addresses(struct check_result *r, int i, const struct check_options *opt)
{
	const struct mta_profile *mta = profile_of(opt);
	struct check_route *rt = &r->routes[i];
	bool wrong = false;

	for (size_t k = 0; k < rt->naddrs; k++) {
		struct check_address *a = &rt->addrs[k];
		bool unroutable = addr_unroutable(a->family, a->addr);
		bool priv = !unroutable && addr_private(a->family, a->addr);
		bool refused = false; /* the MTA will not use it */
		const char *why = "";

		switch (mta->addrs) {
		case MTA_ADDRS_RFC:
			refused = unroutable;
			break;
		case MTA_ADDRS_IGNORE:
			refused = mta_ignored(mta, a->family, a->addr);
			why = refused ? "; Exim ignores it (ignore_target_hosts)"
			              : "; Exim still tries it (not on ignore_target_hosts)";
			break;
		case MTA_ADDRS_SELF:
			refused = addr_loopback(a->family, a->addr);
			why = refused ? "; Postfix: mail loops back to myself"
			              : "; Postfix still tries it";
			break;
		}
		if (unroutable)
			check_problem_add(r, i, (int)k, "mx-address-unroutable",
			                  refused ? CHECK_ERROR : CHECK_WARNING, a->text,
			                  "%s is not a routable address (loopback, unspecified, "
			                  "link-local, multicast or reserved)%s",
			                  a->text, why);
		else if (priv)
			check_problem_add(
			    r, i, (int)k, "mx-address-private",
			    refused ? CHECK_ERROR : CHECK_WARNING, a->text,
			    "%s is a private address, reachable only inside a network%s", a->text,
			    why);
		if (refused)
			continue;
		if (!family_wanted(opt, a->family)) {
			wrong = true;
			continue;
		}
		a->usable = true;
		rt->usable = true;
	}
	if (!rt->usable && wrong && !rt->temp)
		check_problem_add(r, i, -1, "mx-host-wrong-family", CHECK_ERROR, rt->exchange,
		                  "the host has only %s addresses and this sender uses only %s",
		                  opt->want4 ? "IPv6" : "IPv4", opt->want4 ? "IPv4" : "IPv6");
}

/* A and AAAA of route i; problems, addresses, usability. */
static void
resolve_host(struct lookup *lk, struct check_result *r, int i, const struct check_options *opt)
{
	const struct mta_profile *mta = profile_of(opt);
	struct check_route *rt = &r->routes[i];
	struct lookup_result *lr[2];
	const int fam[2] = {AF_INET, AF_INET6};
	bool nx = false, loop = false, temp[2] = {false, false}, perm = false;
	const struct lookup_result *chain_src, *nx_src = NULL;
	char shown[LOOKUP_NAME_MAX];
	unsigned hops = mta->cname_hops;

	lr[0] = lookup_resolve(lk, rt->exchange, LOOKUP_T_A);
	lr[1] = lookup_resolve(lk, rt->exchange, LOOKUP_T_AAAA);
	chain_src = lr[0]->nchain >= lr[1]->nchain ? lr[0] : lr[1];
	for (size_t k = 0; k < chain_src->nchain; k++)
		check_route_add_chain(rt, chain_src->chain[k]);
	if (rt->nchain > 0 && !r->implicit_mx &&
	    (lr[0]->status == LOOKUP_CNAME_LOOP || lr[1]->status == LOOKUP_CNAME_LOOP))
		check_problem_add(r, i, -1, "mx-cname", CHECK_WARNING, rt->exchange,
		                  "the MX exchange is an alias in a CNAME loop (or a chain longer "
		                  "than %u hops); an MX must name a host, not a CNAME",
		                  hops);
	else if (rt->nchain > 0 && !r->implicit_mx)
		check_problem_add(
		    r, i, -1, "mx-cname", CHECK_WARNING, rt->exchange,
		    "the MX exchange is an alias of %s; an MX must name a host, not a CNAME",
		    check_name_display(rt->chain[rt->nchain - 1], shown, sizeof(shown)));
	for (int n = 0; n < 2; n++) {
		int f = mta->v6_first ? 1 - n : n; /* the order addresses are added in */
		check_problem_add_dns(r, i, -1, lr[f],
		                      mta_is_temporary(mta, lr[f]->status) ? CHECK_WARNING
		                                                           : CHECK_ERROR);
		if (lr[f]->status == LOOKUP_CNAME_LOOP)
			loop = true;
		else if (lr[f]->status == LOOKUP_NXDOMAIN) {
			nx = true;
			nx_src = lr[f];
		} else if (mta_is_temporary(mta, lr[f]->status))
			temp[f] = true;
		else if (lr[f]->status == LOOKUP_FORMERR)
			perm = true; /* a definite failure for this profile */
		else if (lr[f]->status == LOOKUP_OK)
			for (size_t k = 0; k < lr[f]->nrrs; k++)
				check_address_add(rt, fam[f], lr[f]->rrs[k].addr);
	}
	if (r->dnssec_checked)
		dane_host(r, i, lr);
	if (loop && mta->cname_loop_temporary) {
		check_problem_add(r, i, -1, "cname-loop", CHECK_WARNING, rt->exchange,
		                  "the CNAME chain of this host loops (or is longer than %u hops); "
		                  "%s defers it",
		                  hops, mta->label);
		rt->temp = true;
		goto done;
	}
	if (loop) {
		check_problem_add(r, i, -1, "cname-loop", CHECK_ERROR, rt->exchange,
		                  "the CNAME chain of this host loops (or is longer than %u hops)",
		                  hops);
		goto done;
	}
	rt->temp4 = temp[0];
	for (int f = 0; f < 2; f++)
		if (temp[f] && family_wanted(opt, fam[f]))
			rt->temp = true;
	if (rt->naddrs == 0) {
		if (nx && nx_src->nchain > 0) /* a dangling chain: its last target is missing */
			check_problem_add(r, i, -1, "mx-host-nxdomain", CHECK_ERROR, rt->exchange,
			                  "the host is an alias whose CNAME chain ends at %s, "
			                  "which does not exist (NXDOMAIN)",
			                  check_name_display(nx_src->final, shown, sizeof(shown)));
		else if (nx)
			check_problem_add(r, i, -1, "mx-host-nxdomain", CHECK_ERROR, rt->exchange,
			                  "the host name does not exist (NXDOMAIN)");
		else if (temp[0] || temp[1])
			check_problem_add(r, i, -1, "mx-host-tempfail", CHECK_WARNING, rt->exchange,
			                  "address lookup failed temporarily (%s%s%s)",
			                  temp[0] ? "A" : "", temp[0] && temp[1] ? ", " : "",
			                  temp[1] ? "AAAA" : "");
		else if (perm)
			; /* dns-formerr (error) says it: a non-recoverable error for this MTA */
		else if (r->implicit_mx)
			check_problem_add(
			    r, i, -1, "no-mail-records", CHECK_ERROR, rt->exchange,
			    "the domain has no MX, A or AAAA records: it cannot receive mail");
		else
			check_problem_add(r, i, -1, "mx-host-nodata", CHECK_ERROR, rt->exchange,
			                  "the host has neither A nor AAAA records");
		goto done;
	}
	for (int f = 0; f < 2; f++) {
		const char *type = lookup_type_name(f ? LOOKUP_T_AAAA : LOOKUP_T_A);
		const char *other = f ? "IPv4" : "IPv6";
		if (!temp[f])
			continue;
		if (!family_wanted(opt, fam[f]))
			check_problem_add(r, i, -1, "mx-host-tempfail", CHECK_WARNING, rt->exchange,
			                  "%s lookup failed temporarily; this sender uses only %s",
			                  type, other);
		else if (!family_wanted(opt, fam[1 - f]))
			check_problem_add(r, i, -1, "mx-host-tempfail", CHECK_WARNING, rt->exchange,
			                  "%s lookup failed temporarily and this sender cannot use "
			                  "the %s addresses; try again later",
			                  type, other);
		else
			check_problem_add(r, i, -1, "mx-host-tempfail", CHECK_WARNING, rt->exchange,
			                  "%s lookup failed temporarily; the other family is used",
			                  type);
	}
	classify_addresses(r, i, opt);
done:
	lookup_result_free(lr[0]);
	lookup_result_free(lr[1]);
}

/* The address an exchange names ("192.0.2.1.", "[2001:db8::1]"), family 0 when none. */
static int
exchange_ip(const char *name, uint8_t addr[16])
{
	char buf[LOOKUP_NAME_MAX];
	size_t n;

	snprintf(buf, sizeof(buf), "%s", name[0] == '[' ? name + 1 : name);
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == ']')
		buf[--n] = '\0';
	return check_parse_ip(buf, addr);
}

/* Duplicates, then exchange name checks, on the routes in MX order. Returns true when the
   profile decided the verdict (Postfix: a malformed exchange fails the whole MX lookup). */
static bool
check_exchanges(struct check_result *r, const struct check_options *opt)
{
	const struct mta_profile *mta = profile_of(opt);

	for (size_t i = 0; i < r->nroutes; i++) {
		/* Routes are sorted: route i has the lowest preference of its exchange. */
		char prefs[128];
		unsigned last = 0;
		size_t used =
		    (size_t)snprintf(prefs, sizeof(prefs), "%u", (unsigned)r->routes[i].pref);
		int dups = 0;

		for (size_t j = i + 1; j < r->nroutes; j++) {
			struct check_route *a = &r->routes[i], *b = &r->routes[j];
			if (strcmp(a->exchange, b->exchange) != 0 || is_null_mx(a->exchange))
				continue;
			/* the previous last one gets its comma now */
			if (dups++ > 0 && used < sizeof(prefs))
				used += (size_t)snprintf(prefs + used, sizeof(prefs) - used, ", %u",
				                         last);
			last = b->pref;
			free(b->chain);
			free(b->addrs);
			memmove(b, b + 1, (r->nroutes - j - 1) * sizeof(r->routes[0]));
			r->nroutes--;
			j--;
		}
		if (dups > 0)
			check_problem_add(r, -1, -1, "mx-duplicate", CHECK_WARNING,
			                  r->routes[i].exchange,
			                  "listed at preferences %s and %u; only %u is used", prefs,
			                  last, (unsigned)r->routes[i].pref);
	}
	for (size_t i = 0; i < r->nroutes; i++) {
		struct check_route *rt = &r->routes[i];
		uint8_t ip[16];
		int family = exchange_ip(rt->exchange, ip);
		bool literal =
		    mta->literal_quad_only ? family != 0 : check_looks_like_ip(rt->exchange);

		rt->checked = !is_null_mx(rt->exchange);
		if (!rt->checked)
			continue;
		if (literal && mta->literal_used && family != 0) {
			check_problem_add(
			    r, (int)i, -1, "mx-ip-literal", CHECK_WARNING, rt->exchange,
			    "an MX must name a host, not an address; %s connects to the "
			    "address (\"numeric domain name\")",
			    mta->label);
			rt->checked = false;
			check_address_add(rt, family, ip);
			classify_addresses(r, (int)i, opt);
		} else if (literal) {
			check_problem_add(
			    r, (int)i, -1, "mx-ip-literal", CHECK_ERROR, rt->exchange,
			    "an MX must name a host, not an address; the entry is ignored");
			rt->checked = false;
		} else if (mta->names == MTA_NAMES_POSTFIX && !mta_postfix_name_ok(rt->exchange)) {
			check_problem_add(
			    r, (int)i, -1, "mx-bad-name", CHECK_ERROR, rt->exchange,
			    "not a valid host name; Postfix rejects the whole MX reply "
			    "(\"malformed domain name in resource data\") and defers");
			r->verdict = CHECK_TEMPFAIL;
			return true;
		} else if (check_hostname_valid(rt->exchange)) {
			continue;
		} else if (mta->names == MTA_NAMES_EXIM && mta_exim_name_ok(rt->exchange)) {
			check_problem_add(r, (int)i, -1, "mx-bad-name", CHECK_WARNING, rt->exchange,
			                  "not a valid host name (letters, digits, hyphens); Exim "
			                  "looks it up anyway (dns_check_names_pattern allows '_' "
			                  "and '/')");
		} else if (mta->names == MTA_NAMES_POSTFIX) {
			check_problem_add(
			    r, (int)i, -1, "mx-bad-name", CHECK_WARNING, rt->exchange,
			    "not a valid host name (letters, digits, hyphens); Postfix "
			    "looks it up anyway (valid_hostname() allows '_')");
		} else {
			check_problem_add(
			    r, (int)i, -1, "mx-bad-name", CHECK_ERROR, rt->exchange,
			    mta->names == MTA_NAMES_EXIM
			        ? "not a valid host name, not even by Exim's "
			          "dns_check_names_pattern; "
			          "the entry is treated as non-existent"
			        : "not a valid host name (letters, digits, hyphens, labels of "
			          "1-63 octets); the entry is ignored");
			rt->checked = false;
		}
	}
	return false;
}

/* RFC 7505: the null MX is "MX 0 ." and nothing else. A "." with another preference is no
   null MX, just an unusable entry (null-mx-bad-preference); the other MX still count. The
   exim and postfix profiles read "." their own way (client/mta.h). Returns true when the
   null MX decided the verdict. */
static bool
null_mx(struct check_result *r, const struct mta_profile *mta)
{
	size_t zero = 0, dots = 0;

	for (size_t i = 0; i < r->nroutes; i++) {
		if (!is_null_mx(r->routes[i].exchange))
			continue;
		dots++;
		if (r->routes[i].pref == 0)
			zero++;
		else
			check_problem_add(
			    r, (int)i, -1, "null-mx-bad-preference", CHECK_ERROR, r->name,
			    "a null MX (\".\") must have preference 0, not %u; %s",
			    (unsigned)r->routes[i].pref,
			    mta->null_mx == MTA_NULL_RFC ||
			            (mta->null_mx == MTA_NULL_EXIM && r->nroutes > 1)
			        ? "the entry is unusable"
			        : "it still makes the domain a null MX domain for this MTA");
	}
	if (mta->null_mx == MTA_NULL_POSTFIX)
		zero = dots; /* any "." makes the domain a null MX domain */
	if (mta->null_mx == MTA_NULL_EXIM && dots == r->nroutes)
		zero = dots; /* a lone "." of any preference */
	if (zero == 0)
		return false; /* "." entries with bad preferences stay unusable; the rest count */
	if (r->nroutes > 1 && mta->null_mx == MTA_NULL_EXIM) {
		check_problem_add(r, -1, -1, "null-mx-mixed", CHECK_WARNING, r->name,
		                  "a null MX (\".\") is mixed with other MX records; Exim skips "
		                  "the \".\" entry and uses the others");
		return false;
	}
	if (r->nroutes > 1) {
		check_problem_add(r, -1, -1, "null-mx-mixed", CHECK_ERROR, r->name,
		                  "a null MX (\".\") is mixed with other MX records; the domain is "
		                  "treated as accepting no mail");
		r->verdict = CHECK_PERMFAIL;
		return true;
	}
	check_problem_add(r, -1, -1, "null-mx", CHECK_INFO, r->name,
	                  "the domain publishes a null MX: it accepts no mail");
	r->verdict = CHECK_PERMFAIL;
	return true;
}

/* One --self identity, parsed once per check. */
struct self_id {
	int family;                 /* AF_INET or AF_INET6 for an address, 0 for a name */
	uint8_t addr[16];           /* the address (family != 0) */
	char name[LOOKUP_NAME_MAX]; /* the name, absolute lower-case (family == 0) */
};

/* The route is this host: its exchange is a --self name, or one of its addresses a --self
   address. */
static bool
route_is_self(const struct check_route *rt, const struct self_id *ids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (ids[i].family == 0) {
			if (strcmp(rt->exchange, ids[i].name) == 0)
				return true;
			continue;
		}
		for (size_t j = 0; j < rt->naddrs; j++)
			if (rt->addrs[j].family == ids[i].family &&
			    memcmp(rt->addrs[j].addr, ids[i].addr,
			           ids[i].family == AF_INET ? 4 : 16) == 0)
				return true;
	}
	return false;
}

/* --self (RFC 5321 §5.1): drop the best self entry and every worse one. Returns true when
   that decided the verdict. */
static bool
apply_self(struct check_result *r, const struct check_options *opt)
{
	struct self_id *ids;
	long best = -1;
	bool better = false, usable = false;

	if (opt->nself == 0)
		return false;
	ids = calloc(opt->nself, sizeof(*ids));
	if (ids == NULL)
		abort();
	for (size_t i = 0; i < opt->nself; i++) {
		ids[i].family = check_parse_ip(opt->self[i], ids[i].addr);
		if (ids[i].family == 0)
			lookup_name_abs(opt->self[i], ids[i].name, sizeof(ids[i].name));
	}
	for (size_t i = 0; i < r->nroutes; i++) {
		struct check_route *rt = &r->routes[i];
		rt->self = route_is_self(rt, ids, opt->nself);
		if (rt->self && (best < 0 || rt->pref < best))
			best = rt->pref;
	}
	free(ids);
	if (best < 0)
		return false;
	for (size_t i = 0; i < r->nroutes; i++) {
		struct check_route *rt = &r->routes[i];
		if (rt->pref < best) {
			better = true;
			usable = usable || rt->usable;
			continue;
		}
		rt->dropped = true;
		rt->usable = false;
		for (size_t j = 0; j < rt->naddrs; j++)
			rt->addrs[j].usable = false;
	}
	if (better && usable)
		return false;
	/* This host is the best MX (mail would loop), or a backup with no usable better MX. */
	r->verdict = better ? CHECK_TEMPFAIL : CHECK_PERMFAIL;
	check_problem_add(
	    r, -1, -1, better ? "no-primary-relay" : "self-loop", CHECK_ERROR, r->name,
	    better ? "this host is a backup MX (preference %ld) and no better MX has a "
	             "usable address; mail stays queued"
	           : "this host is the best MX (preference %ld): mail would loop back "
	             "to itself",
	    best);
	return true;
}

/* Step 7 of the contract: deliver, tempfail or permfail from the routes still in use. */
static void
decide_verdict(struct check_result *r)
{
	bool any_usable = false, any_temp = false;

	for (size_t i = 0; i < r->nroutes; i++) {
		if (r->routes[i].dropped)
			continue;
		any_usable = any_usable || r->routes[i].usable;
		any_temp = any_temp || r->routes[i].temp;
	}
	if (any_usable) {
		r->verdict = CHECK_DELIVER;
		return;
	}
	if (any_temp) {
		r->verdict = CHECK_TEMPFAIL;
		return;
	}
	r->verdict = CHECK_PERMFAIL;
	if (!check_has_problem(r, "no-mail-records"))
		check_problem_add(r, -1, -1, "no-usable-mx", CHECK_ERROR, r->name,
		                  "no %s has a usable address: mail to this domain bounces",
		                  r->implicit_mx ? "implicit MX" : "MX");
}

/* primary-mx-v6-only: the best preference group definitely has no IPv4 (every A lookup
   said nodata/nxdomain; an A that failed temporarily is unknown, not absent). Not reported
   to an IPv6-only sender (-6): for it this is no problem. */
static void
v6_only_primary(struct check_result *r, const struct check_options *opt)
{
	long best = -1;
	bool v4 = false, v6 = false;

	if (!opt->want4)
		return;
	for (size_t i = 0; i < r->nroutes; i++)
		if (r->routes[i].checked && !r->routes[i].dropped) {
			best = r->routes[i].pref;
			break;
		}
	if (best < 0)
		return;
	for (size_t i = 0; i < r->nroutes; i++) {
		const struct check_route *rt = &r->routes[i];
		if (rt->pref != best || !rt->checked || rt->dropped)
			continue;
		if (rt->temp4)
			return; /* IPv4 unknown */
		for (size_t j = 0; j < rt->naddrs; j++) {
			if (rt->addrs[j].family == AF_INET)
				v4 = true;
			else
				v6 = true;
		}
	}
	if (v6 && !v4)
		check_problem_add(r, -1, -1, "primary-mx-v6-only", CHECK_WARNING, r->name,
		                  "the best MX preference (%ld) has only IPv6 addresses; IPv4-only "
		                  "senders must use a backup",
		                  best);
}

struct check_result *
mx_check(struct lookup *lk, const char *target, const struct check_options *opt, char *err,
         size_t errlen)
{
	struct check_result *r = check_result_new(CHECK_MODE_DOMAIN, target);
	struct lookup_result *mx = NULL;
	double t0 = lookup_now_ms();
	char shown[LOOKUP_NAME_MAX];

	const struct mta_profile *mta = profile_of(opt);
	unsigned saved_cname = lk->max_cname;
	bool saved_dnssec = lk->dnssec;

	r->seed = opt->seed;
	snprintf(r->mta, sizeof(r->mta), "%s", mta->name);
	if (mx_normalise(target, r->name, sizeof(r->name), err, errlen) < 0) {
		check_result_free(r);
		return NULL;
	}
	lk->max_cname = mta->cname_hops;
	lk->dnssec = opt->dnssec;
	lookup_begin(lk);
	dane_begin(lk, r); /* --dnssec: does the resolver validate? */
	if (!r->dnssec_checked)
		lk->dnssec = false; /* claim nothing; ask as without --dnssec */
	mx = lookup_resolve(lk, r->name, LOOKUP_T_MX);
	check_problem_add_dns(r, -1, -1, mx, CHECK_ERROR);
	if (r->dnssec_checked)
		dane_mx(r, mx);
	if (mx->nchain > 0 && mx->status == LOOKUP_CNAME_LOOP)
		check_problem_add(r, -1, -1, "domain-cname", CHECK_INFO, r->name,
		                  "the domain is an alias in a CNAME loop (or a chain longer than "
		                  "%u hops)",
		                  mta->cname_hops);
	else if (mx->nchain > 0)
		check_problem_add(r, -1, -1, "domain-cname", CHECK_INFO, r->name,
		                  "the domain is an alias of %s; its MX records are used",
		                  check_name_display(mx->final, shown, sizeof(shown)));
	switch (mx->status) {
	case LOOKUP_CNAME_LOOP:
		check_problem_add(r, -1, -1, "cname-loop",
		                  mta->cname_loop_temporary ? CHECK_WARNING : CHECK_ERROR, r->name,
		                  "the CNAME chain of the domain loops (or is longer than %u "
		                  "hops)%s",
		                  mta->cname_hops,
		                  mta->cname_loop_temporary ? "; Exim defers" : "");
		r->verdict = mta->cname_loop_temporary ? CHECK_TEMPFAIL : CHECK_PERMFAIL;
		goto done;
	case LOOKUP_NXDOMAIN:
		check_problem_add(r, -1, -1, "nxdomain", CHECK_ERROR, r->name,
		                  "the domain does not exist (NXDOMAIN); mail to it bounces");
		r->verdict = CHECK_PERMFAIL;
		goto done;
	case LOOKUP_TEMPORARY:
	case LOOKUP_FORMERR:
		/* never fall back to A/AAAA; Postfix bounces a FORMERR (5.4.3) */
		r->verdict = mta_is_temporary(mta, mx->status) ? CHECK_TEMPFAIL : CHECK_PERMFAIL;
		goto done;
	case LOOKUP_NODATA: {
		int i = check_route_add(r);
		r->implicit_mx = true;
		r->routes[i].pref = 0;
		r->routes[i].checked = true; /* no MX record: nothing for check_exchanges */
		snprintf(r->routes[i].exchange, LOOKUP_NAME_MAX, "%s", mx->final);
		check_problem_add(r, -1, -1, "implicit-mx", CHECK_INFO, r->name,
		                  "no MX records: the domain's own address is used (implicit MX, "
		                  "preference 0)");
		break;
	}
	case LOOKUP_OK:
		for (size_t k = 0; k < mx->nrrs; k++) {
			int i = check_route_add(r);
			r->routes[i].pref = mx->rrs[k].pref;
			snprintf(r->routes[i].exchange, LOOKUP_NAME_MAX, "%s", mx->rrs[k].target);
		}
		mx_sort_routes(r->routes, r->nroutes, opt->seed);
		if (null_mx(r, mta))
			goto done;
		break;
	}
	/* "." entries (bad preference) stay unchecked */
	if (!r->implicit_mx && check_exchanges(r, opt))
		goto done;
	for (size_t i = 0; i < r->nroutes; i++)
		if (r->routes[i].checked)
			resolve_host(lk, r, (int)i, opt);
	if (r->dnssec_checked)
		for (size_t i = 0; i < r->nroutes; i++)
			if (r->routes[i].checked && r->routes[i].naddrs > 0)
				dane_tlsa(lk, r, (int)i);
	if (!apply_self(r, opt))
		decide_verdict(r);
	v6_only_primary(r, opt);
	if (!opt->no_ptr)
		for (size_t i = 0; i < r->nroutes; i++)
			for (size_t j = 0; j < r->routes[i].naddrs; j++)
				if (r->routes[i].addrs[j].usable)
					rdns_check_address(lk, r, (int)i, (int)j, true);
done:
	lookup_result_free(mx);
	lk->max_cname = saved_cname;
	lk->dnssec = saved_dnssec;
	r->queries = lk->queries;
	trace_collect(lk, r); /* --trace: the delegation problems and zone cuts */
	r->elapsed_ms = lookup_now_ms() - t0;
	return r;
}
