/* client/check.h -- the result tree of one mxcheck target (domain or address mode), its
   problems with stable codes, and the exit status derived from it. */
#ifndef MXCHECK_CHECK_H
#define MXCHECK_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/lookup.h"
#include "client/mta.h"

#define MXCHECK_VERSION "0.1.0"

/* sysexits(3) values of the contract. */
#define CHECK_EX_OK          0
#define CHECK_EX_PROBLEMS    1
#define CHECK_EX_USAGE       64
#define CHECK_EX_UNAVAILABLE 69
#define CHECK_EX_SOFTWARE    70
#define CHECK_EX_TEMPFAIL    75

enum check_severity { CHECK_INFO, CHECK_WARNING, CHECK_ERROR };
enum check_mode { CHECK_MODE_DOMAIN, CHECK_MODE_ADDRESS };
enum check_verdict { CHECK_DELIVER, CHECK_TEMPFAIL, CHECK_PERMFAIL, CHECK_PASS };
enum check_fcrdns {
	CHECK_FCRDNS_NONE,
	CHECK_FCRDNS_PASS,
	CHECK_FCRDNS_FAIL,
	CHECK_FCRDNS_TEMPFAIL
};

/* The DANE state of one exchange (--dnssec), in Postfix's terms (RFC 7672). */
enum check_dane {
	CHECK_DANE_UNKNOWN,     /* not known: no --dnssec, no validator, or not looked up */
	CHECK_DANE_NONE,        /* secure, no TLSA records: opportunistic TLS ("may") */
	CHECK_DANE_VERIFIED,    /* secure usable TLSA records: authenticated TLS ("Verified") */
	CHECK_DANE_ENCRYPT,     /* secure TLSA records, none usable: TLS, no authentication */
	CHECK_DANE_DEFERRED,    /* the TLSA lookup is bogus or failed: the exchange is not used */
	CHECK_DANE_NOT_APPLIED, /* the MX or address RRset is insecure: DANE is not applied */
};

#define CHECK_TLSA_MAX 16 /* TLSA records kept per exchange */

/* One TLSA record of an exchange, as far as DANE usability goes. */
struct check_tlsa {
	uint8_t usage;    /* certificate usage: 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE */
	uint8_t selector; /* 0 full certificate, 1 SubjectPublicKeyInfo */
	uint8_t mtype;    /* matching type: 0 full, 1 SHA2-256, 2 SHA2-512 */
	uint16_t len;     /* bytes of association data */
	bool usable;      /* usable for SMTP by RFC 7672 §3.1 */
};

/* One problem. route/addr tie it to a place in the tree (-1: the target itself). */
struct check_problem {
	char code[32];                 /* stable code, e.g. "mx-host-nxdomain" */
	enum check_severity severity;  /* error, warning or info */
	char subject[LOOKUP_NAME_MAX]; /* name or address concerned */
	char message[512];             /* human-readable explanation */
	char reference[48];            /* RFC reference, e.g. "RFC 7505 §3" */
	int route;                     /* index into check_result.routes, -1 when none */
	int addr;                      /* index into that route's addrs, -1 when none */
};

/* One address of an exchange. */
struct check_address {
	int family;                   /* AF_INET or AF_INET6 */
	uint8_t addr[16];             /* the address (4 or 16 bytes used) */
	char text[48];                /* presentation form */
	bool usable;                  /* the sender may connect to it */
	char (*ptr)[LOOKUP_NAME_MAX]; /* PTR names found (absolute), owned */
	size_t nptr;                  /* entries in ptr */
	enum check_fcrdns fcrdns;     /* forward-confirmed reverse DNS outcome */
	enum lookup_dnssec dnssec;    /* --dnssec: DNSSEC state of its A or AAAA RRset */
};

/* One MX entry (or the implicit MX, or the address of address mode). */
struct check_route {
	uint16_t pref;                  /* MX preference (domain mode only) */
	char exchange[LOOKUP_NAME_MAX]; /* exchange, absolute; address mode: --helo ("" w/o) */
	char (*chain)[LOOKUP_NAME_MAX]; /* CNAME chain from the exchange, owned */
	size_t nchain;                  /* entries in chain */
	bool usable;                    /* at least one usable address */
	bool checked;                   /* names passed the checks and were looked up */
	bool self;                      /* the exchange is this host (--self) */
	bool dropped;                   /* not used: at or after the best self preference */
	bool temp;                      /* an address lookup failed temporarily */
	bool temp4;                     /* its A lookup failed temporarily (IPv4 unknown) */
	struct check_address *addrs;    /* addresses (A first, then AAAA), owned */
	size_t naddrs;                  /* entries in addrs */
	enum lookup_dnssec dnssec;      /* --dnssec: its address RRsets together */
	enum lookup_dnssec tlsa_dnssec; /* --dnssec: its TLSA lookup (UNKNOWN: not looked up) */
	enum check_dane dane;           /* --dnssec: DANE state of the exchange */
	struct check_tlsa tlsa[CHECK_TLSA_MAX]; /* its TLSA records (secure or not) */
	size_t ntlsa;                           /* entries in tlsa */
};

/* One server of a zone cut asked during --trace. */
struct check_deleg_server {
	char name[LOOKUP_NAME_MAX]; /* its NS name (absolute), or its address for --root */
	char address[48];           /* the address asked */
	char outcome[32];           /* "ok", "timeout", "refused", "no-aa", "referral-up", ... */
	bool good;                  /* it answered with authority (or a proper referral) */
};

/* One zone cut on the way (--trace), in the order first used. */
struct check_delegation {
	char zone[LOOKUP_NAME_MAX];         /* the zone ("." for the root) */
	struct check_deleg_server *servers; /* its servers, owned */
	size_t nservers;                    /* entries in servers */
};

/* The whole answer for one target. */
struct check_result {
	char target[LOOKUP_NAME_MAX];         /* the target as given */
	char name[LOOKUP_NAME_MAX];           /* normalised domain (absolute) or address */
	enum check_mode mode;                 /* domain or address mode */
	enum check_verdict verdict;           /* deliver, tempfail, permfail or pass */
	bool implicit_mx;                     /* the route is the implicit MX (RFC 5321 §5.1) */
	uint64_t seed;                        /* seed of the equal-preference shuffle */
	char mta[8];                          /* name of the MTA profile applied ("rfc", ...) */
	struct check_route *routes;           /* routes in delivery order, owned */
	size_t nroutes;                       /* entries in routes */
	struct check_problem *problems;       /* every problem in the order found, owned */
	size_t nproblems;                     /* entries in problems */
	unsigned queries;                     /* DNS packets sent */
	double elapsed_ms;                    /* wall time of the check */
	struct check_delegation *delegations; /* --trace: zone cuts used, owned (NULL: none) */
	size_t ndelegations;                  /* entries in delegations */
	bool dnssec_checked;       /* --dnssec with a validating resolver: the dnssec fields hold */
	enum lookup_dnssec dnssec; /* --dnssec: the domain's MX RRset (or its denial) */
};

/* Options shared by both modes (filled by main.c or tests). */
struct check_options {
	bool want4;                    /* the sender may use IPv4 */
	bool want6;                    /* the sender may use IPv6 */
	uint64_t seed;                 /* shuffle seed */
	bool no_ptr;                   /* skip reverse DNS */
	const char *const *self;       /* --self names and addresses (not owned) */
	size_t nself;                  /* entries in self */
	const char *helo;              /* --helo NAME (address mode), NULL when absent */
	const struct mta_profile *mta; /* --mta profile (static; NULL: rfc) */
	bool dnssec;                   /* --dnssec: AD, bogus lookups, TLSA and DANE */
};

void check_options_init(struct check_options *o);

struct check_result *check_result_new(enum check_mode mode, const char *target);
void check_result_free(struct check_result *r);
/* Append a route / an address; returns its index. */
int check_route_add(struct check_result *r);
int check_address_add(struct check_route *rt, int family, const uint8_t *addr);
void check_route_add_chain(struct check_route *rt, const char *name);
void check_address_add_ptr(struct check_address *a, const char *name);

/* Record a problem (duplicates of code+subject+place are dropped). The reference comes
   from the code table. */
void check_problem_add(struct check_result *r, int route, int addr, const char *code,
                       enum check_severity sev, const char *subject, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
/* The problems a lookup carries by itself: dns-truncated (info), dns-not-authoritative
   (warning) and, for temporary/formerr outcomes, dns-<reason> with severity sev. */
void check_problem_add_dns(struct check_result *r, int route, int addr,
                           const struct lookup_result *lr, enum check_severity sev);
/* Index of code in the table, -1 when unknown. The table: every code with its reference. */
int check_code_index(const char *code);
size_t check_code_count(void);
const char *check_code_name(size_t i);
const char *check_code_reference(const char *code);

bool check_has_problem(const struct check_result *r, const char *code);
size_t check_count_severity(const struct check_result *r, enum check_severity sev);
const char *check_verdict_name(enum check_verdict v);
const char *check_severity_name(enum check_severity s);
const char *check_fcrdns_name(enum check_fcrdns f);
/* "verified", "encrypt", "deferred", "not-applied", "none" ("" for UNKNOWN). */
const char *check_dane_name(enum check_dane d);
/* The exit status of one result, and of several (64/70 handled by the caller). */
int check_exit_status(const struct check_result *r);
int check_exit_combine(int a, int b);

/* Name helpers shared by mx.c and rdns.c. */
/* A host name by RFC 1123 §2.1 (LDH labels, 1..63, total <= 253); absolute input. */
bool check_hostname_valid(const char *name);
/* "192.0.2.1.", "[2001:db8::1]", "10.1." : a name that is really an address. */
bool check_looks_like_ip(const char *name);
/* name without the trailing dot ("." stays "."), into buf. */
const char *check_name_display(const char *name, char *buf, size_t len);
/* Parse an IPv4 or IPv6 address; family 0 when it is neither. */
int check_parse_ip(const char *text, uint8_t addr[16]);
void check_format_ip(int family, const uint8_t *addr, char *buf, size_t len);
/* The address a receiver sees: an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4
   address a.b.c.d. Copies addr to out (16 bytes) and returns the family of out. */
int check_unmap_ip(int family, const uint8_t *addr, uint8_t out[16]);

#endif
