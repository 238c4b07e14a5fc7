/* client/mta.h -- MTA profiles (--mta rfc|postfix|exim): every place where a named MTA in its
   Debian default configuration routes a domain differently from mxcheck's RFC policy, as one
   table of rules that mx.c consults. */
#ifndef MXCHECK_MTA_H
#define MXCHECK_MTA_H

#include <stdbool.h>
#include <stdint.h>

#include "client/lookup.h"

/* How MX exchange names are judged. */
enum mta_names {
	MTA_NAMES_RFC,     /* RFC 1123 host names only; others are unusable (mx-bad-name) */
	MTA_NAMES_EXIM,    /* Exim's dns_check_names_pattern: `_` and `/` allowed inside labels;
	                      a name failing it is treated as non-existent */
	MTA_NAMES_POSTFIX, /* Postfix valid_hostname(): `_` allowed; any other bad name makes the
	                      whole MX lookup fail temporarily ("malformed domain name") */
};

/* What a "." exchange (RFC 7505 null MX) means. */
enum mta_null_mx {
	MTA_NULL_RFC,     /* only a lone "MX 0 ." is a null MX; "MX 0 ." among others permfails;
	                     "." with another preference is an unusable entry */
	MTA_NULL_EXIM,    /* a lone "." (any preference) is a null MX; a "." among others is
	                     skipped and the other MX are used */
	MTA_NULL_POSTFIX, /* any "." in the set, any preference, makes the domain a null MX */
};

/* Which exchange addresses the MTA refuses to use. */
enum mta_addrs {
	MTA_ADDRS_RFC,    /* unroutable: unusable (error); private: usable (warning) */
	MTA_ADDRS_IGNORE, /* usable unless on the profile's ignore list (Exim's
	                     ignore_target_hosts, IPv4-mapped forms included) */
	MTA_ADDRS_SELF,   /* only loopback is unusable (Postfix: "loops back to myself", Debian's
	                     inet_interfaces = all); everything else is tried */
};

/* An IP network of an ignore list. */
struct mta_net {
	int family;       /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network address (4 or 16 bytes used) */
	unsigned bits;    /* prefix length */
};

/* One MTA profile: constant data, never freed. */
struct mta_profile {
	const char *name;             /* "rfc", "postfix" or "exim" */
	const char *label;            /* how messages name the MTA ("Exim", "Postfix", "RFC") */
	enum mta_names names;         /* exchange name rule */
	enum mta_null_mx null_mx;     /* null MX rule */
	enum mta_addrs addrs;         /* address rule */
	const struct mta_net *ignore; /* ignore list of MTA_ADDRS_IGNORE (static) */
	unsigned nignore;             /* entries in ignore */
	bool literal_quad_only;       /* only a name that parses as an address is an IP literal;
	                                 other all-numeric names are looked up (Exim) */
	bool literal_used;            /* an MX naming an address is connected to (Postfix) */
	bool cname_loop_temporary;    /* a CNAME loop defers (Exim: "CNAME loop", DNS_FAIL) */
	unsigned cname_hops;          /* CNAME hops followed before calling it a loop */
	bool formerr_permanent;       /* FORMERR is a definite failure (Postfix: 5.4.3) */
	bool v6_first;                /* a host's AAAA addresses come before its A (Exim) */
};

/* The profile called name, NULL when there is none. */
const struct mta_profile *mta_find(const char *name);
/* The default (rfc) profile. */
const struct mta_profile *mta_default(void);
/* "rfc|postfix|exim" for messages. */
const char *mta_names_list(void);

/* The lookup outcome is temporary for this MTA (FORMERR depends on the profile). */
bool mta_is_temporary(const struct mta_profile *p, enum lookup_status s);
/* The address (already unmapped or not) is on the profile's ignore list. */
bool mta_ignored(const struct mta_profile *p, int family, const uint8_t *addr);
/* Exim's dns_check_names_pattern on an absolute name. */
bool mta_exim_name_ok(const char *name);
/* Postfix valid_hostname() on an absolute name (`_` allowed, not all-numeric). */
bool mta_postfix_name_ok(const char *name);

#endif
