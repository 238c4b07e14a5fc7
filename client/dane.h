/* client/dane.h -- --dnssec: the validator probe, the DNSSEC state of the MX and address
   RRsets, and the TLSA lookup and DANE state of each exchange (RFC 7672), as Postfix's
   smtp_tls_security_level = dane sees them. */
#ifndef MXCHECK_DANE_H
#define MXCHECK_DANE_H

#include <stdbool.h>

#include "client/check.h"
#include "client/lookup.h"

/* Start the DNSSEC part of a check (lk->dnssec set): probe the resolver once per lookup
   (the root's DNSKEY with DO: AD set?). Without a validator, dnssec-no-validator and false:
   nothing else is claimed. True when the resolver validates (r->dnssec_checked). */
bool dane_begin(struct lookup *lk, struct check_result *r);
/* The domain's MX lookup: r->dnssec, dnssec-bogus or dnssec-insecure. */
void dane_mx(struct check_result *r, const struct lookup_result *mx);
/* Route i's A and AAAA lookups (lr[0] A, lr[1] AAAA): the addresses' and route's DNSSEC
   state, dnssec-bogus for a bogus one. */
void dane_host(struct check_result *r, int i, struct lookup_result *const lr[2]);
/* Route i's TLSA RRset at _25._tcp.<exchange>: its records and the DANE state; a deferred
   exchange is made unusable (temporary). */
void dane_tlsa(struct lookup *lk, struct check_result *r, int i);
/* A TLSA record usable for SMTP (RFC 7672 §3.1): DANE-TA(2) or DANE-EE(3), selector 0 or 1,
   matching type 0 (data present), 1 (32 bytes) or 2 (64 bytes). */
bool dane_tlsa_usable(const struct check_tlsa *t);
/* "DANE-EE(3)", "PKIX-TA(0)", ... ("usage(N)" for others). */
const char *dane_usage_name(unsigned usage);

#endif
