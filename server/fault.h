/* server/fault.h -- fault rules: parsing, matching (pure, seeded) and byte-level actions. */
#ifndef MXLAB_FAULT_H
#define MXLAB_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum fault_action {
	FAULT_NONE,      /* no rule matched */
	FAULT_DROP,      /* no answer */
	FAULT_DELAY,     /* correct answer after arg milliseconds */
	FAULT_RCODE,     /* empty answer with rcode arg */
	FAULT_TRUNCATE,  /* UDP: TC with empty sections; TCP: normal answer */
	FAULT_NOAA,      /* correct answer, AA cleared */
	FAULT_BADID,     /* correct answer, different message ID */
	FAULT_QMISMATCH, /* correct answer, different question name */
	FAULT_GARBLE,    /* correct answer, bytes after the header corrupted (seeded) */
	FAULT_SHORT,     /* strict prefix of the correct answer, cut inside a record */
	FAULT_TCP_CLOSE, /* TCP: close the connection without answering (never matches UDP) */
	FAULT_TTL,       /* correct answer with every TTL set to arg */
	/* DNSSEC (dnsfault.c): real signatures over altered data or validity */
	FAULT_RRSIG_BOGUS,   /* every RRSIG signs other data than the RRset it covers */
	FAULT_RRSIG_EXPIRED, /* every RRSIG expired 7 days ago */
	FAULT_RRSIG_FUTURE,  /* every RRSIG valid only from 7 days ahead */
	FAULT_RRSIG_STRIP,   /* no RRSIGs */
	FAULT_DENIAL_STRIP,  /* no NSEC/NSEC3 (nor their RRSIGs) */
	FAULT_DS_MISMATCH,   /* the DS RRset no longer matches the child's key (re-signed) */
};

/* One of the DNSSEC actions (applied by dnsfault_apply after the answer is built)? */
bool fault_action_is_dnssec(enum fault_action a);
/* The edns= condition. */
enum fault_edns {
	FAULT_EDNS_ANY, /* not given */
	FAULT_EDNS_YES, /* only queries with OPT */
	FAULT_EDNS_NO,  /* only queries without OPT */
};

struct fault_rules; /* an ordered rule list, its counters and its PRNG */
struct fault_rule;  /* one rule (owned by its fault_rules) */

/* What the matcher sees of a query. */
struct fault_query {
	const char *qname;             /* lower-case presentation name with trailing dot */
	uint16_t qtype;                /* question type */
	bool tcp;                      /* arrived over TCP */
	const struct sockaddr *client; /* peer address (may be NULL in tests) */
	const struct sockaddr *listen; /* local address it arrived at (may be NULL) */
	bool edns;                     /* the query had an OPT record */
	char *const *server_names;     /* world mode: NS names of the server it arrived at */
	size_t nserver_names;          /* entries in server_names (0: none, direct mode) */
};

struct fault_rules *fault_rules_new(uint64_t seed);
void fault_rules_free(struct fault_rules *r);

/* Append the rules in text (file names the source for messages). All or nothing: on the
   first malformed line nothing is appended and err gets "file:line: message". 0 / -1. */
int fault_rules_parse(struct fault_rules *r, const char *file, const char *text, char *err,
                      size_t errlen);
/* Same, reading path. */
int fault_rules_load(struct fault_rules *r, const char *path, char *err, size_t errlen);
/* Added: check every line of text without keeping any rule; each malformed line goes to d as
   an error at file:line (for --check, which reports them all). Returns the number of errors. */
struct diag;
int fault_rules_check(const char *file, const char *text, struct diag *d);
/* Same, reading path (an unreadable file is one error). */
int fault_rules_check_file(const char *path, struct diag *d);
size_t fault_rules_count(const struct fault_rules *r);
/* Drop every rule (counters too). */
void fault_rules_clear(struct fault_rules *r);

/* First rule that matches and fires for this query, or NULL. Advances the counters of the
   rules whose conditions match, and the PRNG for p= draws. */
const struct fault_rule *fault_match(struct fault_rules *r, const struct fault_query *fq);

enum fault_action fault_rule_action(const struct fault_rule *rule);
uint32_t fault_rule_arg(const struct fault_rule *rule);     /* delay ms, rcode or ttl */
const char *fault_rule_text(const struct fault_rule *rule); /* the rule as written */
size_t fault_rule_index(const struct fault_rule *rule);     /* 0-based position in its list */
const char *fault_action_name(enum fault_action a);         /* "drop", "delay", ... */
/* Added: rule i of the list (for GET /faults), or NULL; and how often a rule fired (stats). */
const struct fault_rule *fault_rules_get(const struct fault_rules *r, size_t i);
uint64_t fault_rule_fired(const struct fault_rule *rule);
/* The rule's name (lower case, trailing dot; NULL for a lone "*"), *below for "*.name". */
const char *fault_rule_pattern(const struct fault_rule *rule, bool *below);
/* Where the rule was read: its file (the name given to fault_rules_parse) and *line. */
const char *fault_rule_where(const struct fault_rule *rule, unsigned long *line);

/* Apply a byte-level action (noaa, badid, qmismatch, garble, short, ttl) to the encoded
   correct answer in buf; returns the new length. Other actions leave buf as it is. */
size_t fault_apply(struct fault_rules *r, const struct fault_rule *rule, uint8_t *buf, size_t len);

#endif
