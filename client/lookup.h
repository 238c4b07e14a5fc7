/* client/lookup.h -- the only door to DNS: one classified lookup with CNAMEs followed. */
#ifndef MXCHECK_LOOKUP_H
#define MXCHECK_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOOKUP_NAME_MAX    1025 /* presentation form of any wire name, escapes included, + NUL */
#define LOOKUP_MAX_CNAME   8    /* CNAME hops followed before calling it a loop (default) */
#define LOOKUP_CHAIN_MAX   16   /* most CNAME hops any profile follows (lookup.max_cname) */
#define LOOKUP_MAX_SERVERS 8    /* -s given at most this often */

/* DNS type numbers used by mxcheck (same values as ldns/RFC 1035). */
#define LOOKUP_T_A      1
#define LOOKUP_T_NS     2
#define LOOKUP_T_CNAME  5
#define LOOKUP_T_SOA    6
#define LOOKUP_T_PTR    12
#define LOOKUP_T_MX     15
#define LOOKUP_T_AAAA   28
#define LOOKUP_T_DNSKEY 48
#define LOOKUP_T_TLSA   52

/* Query flags a transport may honour (lookup_ops.query_flags). */
#define LOOKUP_Q_DO 1u /* EDNS0 with the DO bit: ask for DNSSEC records and the AD bit */
#define LOOKUP_Q_CD 2u /* checking disabled: the resolver returns data it could not validate */

/* What a validating resolver said about a lookup (--dnssec). */
enum lookup_dnssec {
	LOOKUP_DNSSEC_UNKNOWN,  /* not asked (no --dnssec, or no validator) */
	LOOKUP_DNSSEC_SECURE,   /* every reply used had AD */
	LOOKUP_DNSSEC_INSECURE, /* some reply used had no AD */
	LOOKUP_DNSSEC_BOGUS,    /* SERVFAIL, but the same question with CD set is answered */
};

/* Classification of a lookup before any mail rule looks at it. */
enum lookup_status {
	LOOKUP_OK,         /* records of the asked type found (after CNAMEs) */
	LOOKUP_NODATA,     /* NOERROR, no records of that type */
	LOOKUP_NXDOMAIN,   /* the (final) name does not exist */
	LOOKUP_TEMPORARY,  /* SERVFAIL, REFUSED, NOTIMP, timeout, network, TCP after TC failed */
	LOOKUP_FORMERR,    /* the server said FORMERR (callers treat it as temporary) */
	LOOKUP_CNAME_LOOP, /* the CNAME chain looped or was longer than LOOKUP_MAX_CNAME */
};

/* Why a lookup failed temporarily (or formerr); LOOKUP_R_NONE otherwise. */
enum lookup_reason {
	LOOKUP_R_NONE,
	LOOKUP_R_SERVFAIL,
	LOOKUP_R_REFUSED,
	LOOKUP_R_NOTIMP,
	LOOKUP_R_TIMEOUT,
	LOOKUP_R_NETWORK,
	LOOKUP_R_TCP_FAILED,
	LOOKUP_R_FORMERR,
};

/* One resource record, copied out of a reply (owned by whoever holds the array). */
struct lookup_rr {
	char owner[LOOKUP_NAME_MAX];  /* owner, absolute, lower-case presentation form */
	uint16_t type;                /* RR type */
	uint32_t ttl;                 /* TTL as received */
	uint16_t pref;                /* MX preference (0 for other types) */
	char target[LOOKUP_NAME_MAX]; /* MX exchange, CNAME or PTR target; absolute, lower-case */
	int family;                   /* AF_INET for A, AF_INET6 for AAAA, 0 otherwise */
	uint8_t addr[16];             /* A (4 bytes) or AAAA (16 bytes) address */
	uint8_t tlsa_usage;           /* TLSA certificate usage (RFC 6698 §2.1.1) */
	uint8_t tlsa_selector;        /* TLSA selector */
	uint8_t tlsa_mtype;           /* TLSA matching type */
	uint16_t tlsa_len;            /* bytes of TLSA certificate association data */
};

/* One question answered by a transport (the network or a fake), before CNAME following. */
struct lookup_reply {
	enum lookup_status status; /* OK (=NOERROR), NXDOMAIN, TEMPORARY or FORMERR */
	enum lookup_reason reason; /* why, when TEMPORARY/FORMERR */
	char detail[256];          /* human-readable detail of a failure ("" when none) */
	bool aa;                   /* AA bit of the reply used */
	bool tc;                   /* the UDP reply was truncated and TCP was used */
	unsigned queries;          /* packets sent for this question (retries, TCP included) */
	struct lookup_rr *an;      /* answer section, owned (malloc), NULL when empty */
	size_t nan;                /* records in an */
	bool ad;                   /* AD bit of the reply used (asked with LOOKUP_Q_DO) */
	bool has_ede;              /* the reply carried an RFC 8914 extended DNS error */
	uint16_t ede;              /* its INFO-CODE (has_ede) */
	char ede_text[128];        /* its EXTRA-TEXT ("" when none) */
};

/* A transport: the network (lookup_net_new) or a test fake (lookup_fake_new). */
struct lookup_ops {
	/* Ask one question (qname absolute); fill *out (zeroed by the caller). */
	void (*query)(void *ud, const char *qname, uint16_t qtype, struct lookup_reply *out);
	/* Free ud. */
	void (*free)(void *ud);
	/* A new check starts (lookup_begin); NULL when the transport keeps no per-check state. */
	void (*begin)(void *ud);
	/* Ask with LOOKUP_Q_* flags (--dnssec); NULL when the transport has none (query used). */
	void (*query_flags)(void *ud, const char *qname, uint16_t qtype, unsigned flags,
	                    struct lookup_reply *out);
};

/* One server's whole reply, for iterative resolution (--trace): every section. */
struct lookup_msg {
	enum lookup_status status; /* OK (NOERROR), NXDOMAIN, TEMPORARY or FORMERR */
	enum lookup_reason reason; /* why, when TEMPORARY/FORMERR */
	char detail[256];          /* failure detail ("" when none) */
	bool aa;                   /* AA bit */
	unsigned queries;          /* packets sent (retries, TCP after TC included) */
	struct lookup_rr *an;      /* answer section, owned */
	size_t nan;                /* records in an */
	struct lookup_rr *ns;      /* authority section, owned */
	size_t nns;                /* records in ns */
	struct lookup_rr *ar;      /* additional section, owned */
	size_t nar;                /* records in ar */
};

/* A question answered since lookup_begin (defined in lookup.c). */
struct lookup_answered;

/* The lookup context a check uses. */
struct lookup {
	const struct lookup_ops *ops; /* transport */
	void *ud;                     /* transport state, owned (freed by ops->free) */
	bool check_aa;                /* servers are queried directly: flag answers without AA */
	unsigned queries;             /* packets sent since lookup_begin */
	unsigned max_queries;         /* bound on queries per check (0: none) */
	double deadline_ms;           /* monotonic time after which lookups fail (0: none) */
	unsigned total_ms;            /* time bound of one check, used by lookup_begin (0: none) */
	unsigned max_cname; /* CNAME hops followed before a loop, 1..LOOKUP_CHAIN_MAX (0: 8) */
	struct lookup_answered *answered; /* replies since lookup_begin, owned */
	size_t nanswered;                 /* entries in answered */
	size_t answered_cap;              /* entries allocated in answered */
	bool dnssec;                      /* --dnssec: ask with DO, read AD, tell bogus apart */
	int validator; /* the resolver validates: 1 yes, 0 no, -1 not probed yet (lookup_new) */
};

/* Result of lookup_resolve: classified, CNAMEs followed, records owned. */
struct lookup_result {
	enum lookup_status status;   /* classification */
	enum lookup_reason reason;   /* why, for TEMPORARY / FORMERR (never NONE then) */
	char detail[256];            /* human-readable failure detail ("" when none) */
	char qname[LOOKUP_NAME_MAX]; /* name asked, absolute lower-case */
	uint16_t qtype;              /* type asked */
	char final[LOOKUP_NAME_MAX]; /* where the CNAME chain ended (== qname without CNAME) */
	char chain[LOOKUP_CHAIN_MAX + 1][LOOKUP_NAME_MAX]; /* CNAME targets in order followed */
	size_t nchain;                                     /* entries in chain */
	struct lookup_rr *rrs;                             /* records of qtype at final, owned */
	size_t nrrs;                                       /* entries in rrs */
	bool truncated;            /* some reply was truncated and TCP was used */
	bool not_aa;               /* a direct server answered without AA */
	unsigned queries;          /* packets this lookup sent */
	enum lookup_dnssec dnssec; /* --dnssec: secure, insecure or bogus (UNKNOWN otherwise) */
	bool has_ede;              /* the failing reply carried an extended DNS error */
	uint16_t ede;              /* its INFO-CODE (has_ede) */
	char ede_text[128];        /* its text ("" when none) */
};

/* The system resolver (/etc/resolv.conf via ldns) when nservers is 0, else the given servers
   ("ADDR" or "ADDR@PORT", IPv4 or IPv6) queried directly, RD clear. timeout_ms per packet,
   retries extra rounds. NULL with err set on a bad server or resolver configuration. */
struct lookup *lookup_net_new(const char *const *servers, size_t nservers, int timeout_ms,
                              int retries, char *err, size_t errlen);
/* How the network transport waits until fd is ready for ev (POLLIN/POLLOUT) or the monotonic
   time deadline (ms) passes: 1 ready, 0 timed out, -1 error. By default poll(); the -j event
   loop (client/multi.c) installs one that suspends the check until libevent says so. Called
   with ev 0 just before the transport closes fd (a socket it may have waited on): drop any
   registration of fd and return 0. */
typedef int (*lookup_wait_fn)(void *ud, int fd, short ev, double deadline);
/* --recursive: ask the -s servers with RD set (a validating resolver) and stop the AA check.
   -1 for another transport. */
int lookup_net_set_recursive(struct lookup *lk);
/* Install fn for a lookup made by lookup_net_new (NULL: back to poll()); -1 for another
   transport (a fake never waits). */
int lookup_net_set_waiter(struct lookup *lk, lookup_wait_fn fn, void *ud);
/* A lookup over any transport (takes ownership of ud). */
struct lookup *lookup_new(const struct lookup_ops *ops, void *ud);
void lookup_free(struct lookup *lk);
/* Start a check: reset the query counter, arm the per-check bounds and forget the replies
   of the previous check. */
void lookup_begin(struct lookup *lk);

/* Resolve qname/qtype (absolute or not; a dot is added), following CNAMEs. Never NULL.
   Within one check each question (name, type) goes to the transport once: asked again, it
   gets the same reply without a packet, so "queries" counts only what was sent. */
struct lookup_result *lookup_resolve(struct lookup *lk, const char *qname, uint16_t qtype);
void lookup_result_free(struct lookup_result *r);

/* Ask the server at family/addr/port (RD clear, -t/-r as given) one question; fills *out
   (zeroed by the caller). wait: as lookup_net_set_waiter (NULL: poll()). */
void lookup_ask_server(int family, const uint8_t *addr, uint16_t port, int timeout_ms, int retries,
                       lookup_wait_fn wait, void *wait_ud, const char *qname, uint16_t qtype,
                       struct lookup_msg *out);
void lookup_msg_clear(struct lookup_msg *m);
/* The wire form of the query mxcheck sends for qname (presentation form, absolute)/qtype/IN:
   this ID, RD when rd, CD for LOOKUP_Q_CD, an EDNS0 OPT record (1232 bytes, DO) for
   LOOKUP_Q_DO; the same bytes as ldns builds. Returns its length, 0 when the name does not
   encode or cap is too small. */
size_t lookup_query_wire(const char *qname, uint16_t qtype, uint16_t id, bool rd, unsigned flags,
                         uint8_t *out, size_t cap);

/* Free the answer of a reply (NULL-safe on its fields). */
void lookup_reply_clear(struct lookup_reply *rep);
/* Parse one RR in zone-file form ("a.test. 300 IN A 192.0.2.1") into out. 0 or -1. */
int lookup_rr_parse(const char *text, struct lookup_rr *out);

/* The outcome is temporary for mail purposes: TEMPORARY, and FORMERR (Exim's choice; Postfix
   bounces). The one place that policy lives. */
bool lookup_is_temporary(enum lookup_status s);
/* "servfail", "timeout", ... (the dns-<reason> suffix); "" for LOOKUP_R_NONE. */
const char *lookup_reason_name(enum lookup_reason r);
const char *lookup_status_name(enum lookup_status s);
const char *lookup_type_name(uint16_t type);
const char *lookup_dnssec_name(enum lookup_dnssec d); /* "secure", ... ("" for UNKNOWN) */
/* The RFC 8914 name of an extended DNS error code ("DNSSEC Bogus"), "" when unknown. */
const char *lookup_ede_name(int code);
/* Lower-case, absolute copy of name (adds the trailing dot). */
void lookup_name_abs(const char *name, char *out, size_t len);
/* Milliseconds from a monotonic clock. */
double lookup_now_ms(void);

/* A fake transport for tests: a tiny authoritative "zone" plus forced failures. */
struct lookup_fake;
struct lookup *lookup_fake_new(struct lookup_fake **fake);
/* Add one record in zone-file form; owner names must be absolute. 0 or -1. */
int lookup_fake_add(struct lookup_fake *f, const char *rr);
/* Force every query for name/type (type 0: any) to get this outcome (status TEMPORARY,
   FORMERR or NXDOMAIN; reason for TEMPORARY/FORMERR). */
void lookup_fake_fail(struct lookup_fake *f, const char *name, uint16_t type,
                      enum lookup_status status, enum lookup_reason reason);
/* Flags of every reply: AA (default true) and TC-used (default false) for name/type. */
void lookup_fake_set_flags(struct lookup_fake *f, const char *name, uint16_t type, bool aa,
                           bool tc);
/* --dnssec in the fake: the fake is a validating resolver (the root's DNSKEY comes back with
   AD); without it no reply has AD and nothing is bogus. */
void lookup_fake_set_validator(struct lookup_fake *f, bool on);
/* Questions for name or any name below it (type 0: any) are in this state: SECURE (AD),
   INSECURE (no AD, the default) or BOGUS (SERVFAIL with extended error ede, -1 for none,
   unless CD is set). The last matching rule wins. */
void lookup_fake_set_dnssec(struct lookup_fake *f, const char *name, uint16_t type,
                            enum lookup_dnssec state, int ede);
/* Queries the fake answered so far. */
unsigned lookup_fake_queries(const struct lookup_fake *f);

#endif
