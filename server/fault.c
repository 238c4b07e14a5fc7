/* server/fault.c -- fault rules: parsing faults.conf text, matching queries (pure, seeded) and
   the byte-level actions applied to an encoded answer. */
#include "server/fault.h"

#include "common/file.h"
#include "common/rand.h"
#include "server/faultidx.h"
#include "server/msg.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "common/diag.h"

/*
 * Rule evaluation, for one query and one rule, in this order:
 *
 *   1. conditions: name pattern, type, transport, client, listen.  truncate implicitly needs
 *      UDP and tcp-close needs TCP (TCP answers normally / UDP never closes), so those rules
 *      do not even see queries of the other transport.  A query that fails a condition does
 *      not touch the rule's counters.
 *   2. after=N  -- the first N queries that met the conditions are declined.
 *   3. every=N  -- of the queries after that, the 1st, N+1th, 2N+1th ... pass.
 *   4. count=N  -- the first N queries that passed 2 and 3 pass, later ones are declined.
 *   5. p=P      -- one PRNG draw per query that reached this step; fires when draw < P.
 *
 * A declined query falls through to the next rules; the first rule that fires wins.
 */

#define FAULT_DELAY_MAX 3600000U    /* one hour, in ms */
#define FAULT_TTL_MAX   2147483647U /* RFC 2181 §8 */

enum fault_pattern {
	FAULT_PAT_EXACT, /* the name itself */
	FAULT_PAT_BELOW, /* any name strictly below the name ("*.name") */
	FAULT_PAT_ALL,   /* every name (lone "*") */
};

enum fault_transport {
	FAULT_TRANSPORT_ANY, /* no transport= option */
	FAULT_TRANSPORT_UDP, /* transport=udp */
	FAULT_TRANSPORT_TCP, /* transport=tcp */
};

struct fault_addr {
	bool set;      /* the condition was given */
	uint8_t a[16]; /* the address as IPv6, IPv4 as v4-mapped (::ffff:a.b.c.d) */
};

struct fault_rule {
	char *text;                     /* the rule as written, blanks collapsed; owned */
	size_t index;                   /* 0-based position in its fault_rules */
	enum fault_pattern pat;         /* how name is compared */
	char *name;                     /* lower-case absolute name with trailing dot; owned */
	size_t name_len;                /* strlen(name) */
	bool any_type;                  /* type was "*" */
	uint16_t qtype;                 /* type to match when !any_type */
	enum fault_action action;       /* what to do when the rule fires */
	uint32_t arg;                   /* delay ms, rcode or ttl */
	enum fault_transport transport; /* transport= condition */
	struct fault_addr client;       /* client= condition */
	struct fault_addr listen;       /* listen= condition */
	char *server;                   /* server= condition: an NS name (lower case, trailing
	                                   dot); owned, NULL when not given */
	enum fault_edns edns;           /* edns= condition */
	bool has_after;                 /* after= given */
	uint32_t after;                 /* after= value */
	bool has_every;                 /* every= given */
	uint32_t every;                 /* every= value (>= 1) */
	bool has_count;                 /* count= given */
	uint32_t count;                 /* count= value (>= 1) */
	bool has_msgs;                  /* msgs= given (tcp-close on zone transfers) */
	uint32_t msgs;                  /* msgs= value: transfer messages sent before closing */
	bool has_p;                     /* p= given */
	double p;                       /* p= value in [0, 1] */
	uint64_t seen;                  /* queries that met every condition */
	uint64_t passed;                /* of those, queries that passed after= and every= */
	uint64_t fired;                 /* queries this rule fired on */
	char *file;                     /* where the rule was read ("faults" for the API); owned */
	unsigned long line;             /* its line there */
};

struct fault_rules {
	struct fault_rule **v; /* rules in order; each one and the array owned */
	size_t n;              /* rules used */
	size_t cap;            /* slots allocated */
	uint64_t seed;         /* seed given to fault_rules_new */
	uint64_t draw[4];      /* xoshiro256** state for p= draws */
	uint64_t garble[4];    /* xoshiro256** state for garble corruption */
	struct faultidx *idx;  /* the rules by name pattern (faultidx.h); owned, NULL: scan all */
};

/* ---- PRNG: splitmix64 seeds xoshiro256** (public domain, Vigna). */

static void
prng_seed(uint64_t s[4], uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		s[i] = rand_splitmix64(&seed);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
prng_next(uint64_t s[4])
{
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Uniform double in [0, 1). */
static double
prng_double(uint64_t s[4])
{
	return (double)(prng_next(s) >> 11) * 0x1.0p-53;
}

static void
rules_reseed(struct fault_rules *r)
{
	prng_seed(r->draw, r->seed);
	prng_seed(r->garble, r->seed ^ 0x6761726267656c65ULL);
}

/* ---- rule objects */

static void
rule_free(struct fault_rule *rule)
{
	if (rule == NULL)
		return;
	free(rule->text);
	free(rule->name);
	free(rule->file);
	free(rule->server);
	free(rule);
}

struct fault_rules *
fault_rules_new(uint64_t seed)
{
	struct fault_rules *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->seed = seed;
	r->idx = faultidx_new(); /* NULL (no memory): every rule is scanned, as before */
	rules_reseed(r);
	return r;
}

void
fault_rules_clear(struct fault_rules *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		rule_free(r->v[i]);
	r->n = 0;
	if (r->idx)
		faultidx_clear(r->idx);
	rules_reseed(r);
}

void
fault_rules_free(struct fault_rules *r)
{
	if (r == NULL)
		return;
	fault_rules_clear(r);
	faultidx_free(r->idx);
	free(r->v);
	free(r);
}

size_t
fault_rules_count(const struct fault_rules *r)
{
	return r ? r->n : 0;
}

const struct fault_rule *
fault_rules_get(const struct fault_rules *r, size_t i)
{
	if (r == NULL || i >= r->n)
		return NULL;
	return r->v[i];
}

enum fault_action
fault_rule_action(const struct fault_rule *rule)
{
	return rule ? rule->action : FAULT_NONE;
}

uint32_t
fault_rule_arg(const struct fault_rule *rule)
{
	return rule ? rule->arg : 0;
}

bool
fault_rule_msgs(const struct fault_rule *rule, uint32_t *msgs)
{
	if (rule == NULL || !rule->has_msgs)
		return false;
	*msgs = rule->msgs;
	return true;
}

const char *
fault_rule_text(const struct fault_rule *rule)
{
	return rule ? rule->text : NULL;
}

size_t
fault_rule_index(const struct fault_rule *rule)
{
	return rule ? rule->index : 0;
}

const char *
fault_rule_pattern(const struct fault_rule *rule, bool *below)
{
	*below = rule->pat == FAULT_PAT_BELOW;
	return rule->pat == FAULT_PAT_ALL ? NULL : rule->name;
}

const char *
fault_rule_where(const struct fault_rule *rule, unsigned long *line)
{
	*line = rule->line;
	return rule->file ? rule->file : "";
}

uint64_t
fault_rule_fired(const struct fault_rule *rule)
{
	return rule ? rule->fired : 0;
}

bool
fault_action_is_dnssec(enum fault_action a)
{
	return a >= FAULT_RRSIG_BOGUS && a <= FAULT_DS_MISMATCH;
}

const char *
fault_action_name(enum fault_action a)
{
	switch (a) {
	case FAULT_NONE:
		return "none";
	case FAULT_DROP:
		return "drop";
	case FAULT_DELAY:
		return "delay";
	case FAULT_RCODE:
		return "rcode";
	case FAULT_TRUNCATE:
		return "truncate";
	case FAULT_NOAA:
		return "noaa";
	case FAULT_BADID:
		return "badid";
	case FAULT_QMISMATCH:
		return "qmismatch";
	case FAULT_GARBLE:
		return "garble";
	case FAULT_SHORT:
		return "short";
	case FAULT_TCP_CLOSE:
		return "tcp-close";
	case FAULT_TTL:
		return "ttl";
	case FAULT_RRSIG_BOGUS:
		return "rrsig-bogus";
	case FAULT_RRSIG_EXPIRED:
		return "rrsig-expired";
	case FAULT_RRSIG_FUTURE:
		return "rrsig-future";
	case FAULT_RRSIG_STRIP:
		return "rrsig-strip";
	case FAULT_DENIAL_STRIP:
		return "denial-strip";
	case FAULT_DS_MISMATCH:
		return "ds-mismatch";
	}
	return "unknown";
}

/* ---- parsing */

struct parse_ctx {
	const char *file;   /* source name for messages */
	unsigned long line; /* current 1-based line */
	char *err;          /* caller's message buffer */
	size_t errlen;      /* its size */
};

static int perr(struct parse_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
perr(struct parse_ctx *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err != NULL && c->errlen > 0)
		snprintf(c->err, c->errlen, "%s:%lu: %s", c->file, c->line, msg);
	return -1;
}

/* Decimal digits only, no sign, at most max. */
static int
parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return -1;
	}
	if (v < min)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static bool
name_char_ok(unsigned char ch)
{
	return isalnum(ch) || ch == '-' || ch == '_' || ch == '/';
}

/* Check and store a name pattern. */
static int
parse_pattern(struct parse_ctx *c, struct fault_rule *rule, const char *tok)
{
	const char *name = tok;
	size_t len, wire = 1, label = 0;

	if (strcmp(tok, "*") == 0) {
		rule->pat = FAULT_PAT_ALL;
		rule->name = strdup("");
		return rule->name ? 0 : perr(c, "out of memory");
	}
	rule->pat = FAULT_PAT_EXACT;
	if (tok[0] == '*' && tok[1] == '.') {
		rule->pat = FAULT_PAT_BELOW;
		name = tok + 2;
		if (*name == '\0')
			name = ".";
	}
	len = strlen(name);
	if (strcmp(name, ".") != 0) {
		if (name[0] == '.')
			return perr(c, "bad name pattern '%s': empty label", tok);
		for (size_t i = 0; i < len; i++) {
			unsigned char ch = (unsigned char)name[i];
			if (ch == '.') {
				if (label == 0)
					return perr(c, "bad name pattern '%s': empty label", tok);
				wire += label + 1;
				label = 0;
				continue;
			}
			if (ch == '*')
				return perr(
				    c,
				    "bad name pattern '%s': '*' is only allowed as a lone '*' "
				    "or a leading '*.'",
				    tok);
			if (!name_char_ok(ch))
				return perr(c, "bad name pattern '%s': character '%c' not allowed",
				            tok, ch);
			if (++label > 63)
				return perr(c, "bad name pattern '%s': label longer than 63", tok);
		}
		if (label > 0)
			wire += label + 1;
		if (wire > 255)
			return perr(c, "bad name pattern '%s': name longer than 255 octets", tok);
	}
	rule->name = malloc(len + 2);
	if (rule->name == NULL)
		return perr(c, "out of memory");
	for (size_t i = 0; i < len; i++)
		rule->name[i] = (char)tolower((unsigned char)name[i]);
	if (len == 0 || name[len - 1] != '.')
		rule->name[len++] = '.';
	rule->name[len] = '\0';
	rule->name_len = len;
	return 0;
}

static int
parse_type(struct parse_ctx *c, struct fault_rule *rule, const char *tok)
{
	uint32_t v;
	ldns_rr_type t;

	if (strcmp(tok, "*") == 0) {
		rule->any_type = true;
		return 0;
	}
	if (strncasecmp(tok, "TYPE", 4) == 0 && tok[4] >= '0' && tok[4] <= '9') {
		if (parse_u32(tok + 4, 0, 65535, &v) < 0)
			return perr(c, "bad type '%s': TYPE needs a number 0..65535", tok);
		rule->qtype = (uint16_t)v;
		return 0;
	}
	for (const char *s = tok; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-')
			return perr(c, "bad type '%s' (a type mnemonic such as MX, TYPEnnn or *)",
			            tok);
	t = ldns_get_rr_type_by_name(tok);
	if (t == 0)
		return perr(c, "unknown type '%s' (a type mnemonic such as MX, TYPEnnn or *)", tok);
	rule->qtype = (uint16_t)t;
	return 0;
}

static const struct {
	const char *name; /* rcode mnemonic */
	uint32_t code;    /* its value */
} rcodes[] = {
    {"NOERROR", 0}, {"FORMERR", 1}, {"SERVFAIL", 2}, {"NXDOMAIN", 3}, {"NOTIMP", 4}, {"REFUSED", 5},
};

static int
parse_action(struct parse_ctx *c, struct fault_rule *rule, const char *tok)
{
	static const struct {
		const char *name;    /* action keyword */
		enum fault_action a; /* its action */
		int value;           /* 0: no value, 1: =number, 2: =rcode name */
	} actions[] = {
	    {"drop", FAULT_DROP, 0},
	    {"delay", FAULT_DELAY, 1},
	    {"rcode", FAULT_RCODE, 2},
	    {"truncate", FAULT_TRUNCATE, 0},
	    {"noaa", FAULT_NOAA, 0},
	    {"badid", FAULT_BADID, 0},
	    {"qmismatch", FAULT_QMISMATCH, 0},
	    {"garble", FAULT_GARBLE, 0},
	    {"short", FAULT_SHORT, 0},
	    {"tcp-close", FAULT_TCP_CLOSE, 0},
	    {"ttl", FAULT_TTL, 1},
	    {"rrsig-bogus", FAULT_RRSIG_BOGUS, 0},
	    {"rrsig-expired", FAULT_RRSIG_EXPIRED, 0},
	    {"rrsig-future", FAULT_RRSIG_FUTURE, 0},
	    {"rrsig-strip", FAULT_RRSIG_STRIP, 0},
	    {"denial-strip", FAULT_DENIAL_STRIP, 0},
	    {"ds-mismatch", FAULT_DS_MISMATCH, 0},
	};
	const char *eq = strchr(tok, '=');
	size_t klen = eq ? (size_t)(eq - tok) : strlen(tok);
	const char *val = eq ? eq + 1 : NULL;

	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (strlen(actions[i].name) != klen || strncasecmp(tok, actions[i].name, klen) != 0)
			continue;
		rule->action = actions[i].a;
		if (actions[i].value == 0) {
			if (val != NULL)
				return perr(c, "action '%s' takes no value", actions[i].name);
			return 0;
		}
		if (val == NULL || *val == '\0')
			return perr(c, "action '%s' needs a value (%s)", actions[i].name,
			            actions[i].a == FAULT_DELAY ? "delay=MS"
			            : actions[i].a == FAULT_TTL ? "ttl=N"
			                                        : "rcode=NAME");
		if (actions[i].a == FAULT_DELAY) {
			if (parse_u32(val, 0, FAULT_DELAY_MAX, &rule->arg) < 0)
				return perr(c, "bad number '%s' for delay (milliseconds, 0..%u)",
				            val, FAULT_DELAY_MAX);
			return 0;
		}
		if (actions[i].a == FAULT_TTL) {
			if (parse_u32(val, 0, FAULT_TTL_MAX, &rule->arg) < 0)
				return perr(c, "bad number '%s' for ttl (seconds, 0..%u)", val,
				            FAULT_TTL_MAX);
			return 0;
		}
		for (size_t j = 0; j < sizeof(rcodes) / sizeof(rcodes[0]); j++) {
			if (strcasecmp(val, rcodes[j].name) == 0) {
				rule->arg = rcodes[j].code;
				return 0;
			}
		}
		return perr(c,
		            "unknown rcode '%s' (expected SERVFAIL, REFUSED, NXDOMAIN, FORMERR, "
		            "NOTIMP or NOERROR)",
		            val);
	}
	return perr(c,
	            "unknown action '%s' (expected drop, delay=MS, rcode=NAME, truncate, noaa, "
	            "badid, qmismatch, garble, short, tcp-close, ttl=N, rrsig-bogus, "
	            "rrsig-expired, rrsig-future, rrsig-strip, denial-strip or ds-mismatch)",
	            tok);
}

/* An address as 16 bytes, IPv4 as v4-mapped IPv6. */
static int
addr_parse(const char *s, uint8_t out[16])
{
	char buf[INET6_ADDRSTRLEN + 2];
	struct in_addr a4;
	size_t len = strlen(s);

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		if (len - 2 >= sizeof(buf))
			return -1;
		memcpy(buf, s + 1, len - 2);
		buf[len - 2] = '\0';
		return inet_pton(AF_INET6, buf, out) == 1 ? 0 : -1;
	}
	if (inet_pton(AF_INET, s, &a4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, s, out) == 1 ? 0 : -1;
}

static bool
addr_from_sockaddr(const struct sockaddr *sa, uint8_t out[16])
{
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &sin->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		memcpy(out, &sin6->sin6_addr, 16);
		return true;
	}
	return false;
}

/* A counter option name= (count, after, every; key as written): given once, a number from min
   up. */
static int
parse_counter(struct parse_ctx *c, const char *key, const char *name, const char *val, uint32_t min,
              bool *has, uint32_t *out)
{
	if (*has)
		return perr(c, "option '%s' given twice", key);
	if (*val == '\0')
		return perr(c, "option '%s' needs a value", key);
	if (parse_u32(val, min, UINT32_MAX, out) < 0)
		return perr(c, "bad number '%s' for %s (%u..%u)", val, name, min, UINT32_MAX);
	*has = true;
	return 0;
}
static int
parse_option(struct parse_ctx *c, struct fault_rule *rule, const char *tok)
{
	const char *eq = strchr(tok, '=');
	char key[32];
	const char *val;
	size_t klen;

	if (eq == NULL || eq == tok)
		return perr(c, "expected option=value, got '%s'", tok);
	klen = (size_t)(eq - tok);
	if (klen >= sizeof(key))
		return perr(c, "unknown option '%.*s'", (int)(klen > 40 ? 40 : klen), tok);
	memcpy(key, tok, klen);
	key[klen] = '\0';
	val = eq + 1;

#define ONCE(flag)                                                                                 \
	do {                                                                                       \
		if (flag)                                                                          \
			return perr(c, "option '%s' given twice", key);                            \
		if (*val == '\0')                                                                  \
			return perr(c, "option '%s' needs a value", key);                          \
	} while (0)

	if (strcasecmp(key, "transport") == 0) {
		ONCE(rule->transport != FAULT_TRANSPORT_ANY);
		if (strcasecmp(val, "udp") == 0)
			rule->transport = FAULT_TRANSPORT_UDP;
		else if (strcasecmp(val, "tcp") == 0)
			rule->transport = FAULT_TRANSPORT_TCP;
		else
			return perr(c, "bad transport '%s' (expected udp or tcp)", val);
		return 0;
	}
	if (strcasecmp(key, "count") == 0)
		return parse_counter(c, key, "count", val, 1, &rule->has_count, &rule->count);
	if (strcasecmp(key, "after") == 0)
		return parse_counter(c, key, "after", val, 0, &rule->has_after, &rule->after);
	if (strcasecmp(key, "every") == 0)
		return parse_counter(c, key, "every", val, 1, &rule->has_every, &rule->every);
	if (strcasecmp(key, "msgs") == 0)
		return parse_counter(c, key, "msgs", val, 0, &rule->has_msgs, &rule->msgs);
	if (strcasecmp(key, "p") == 0) {
		char *end;
		double p;
		ONCE(rule->has_p);
		if (!(isdigit((unsigned char)val[0]) || val[0] == '.') ||
		    strpbrk(val, "xX") != NULL)
			return perr(c, "bad number '%s' for p (a probability from 0 to 1)", val);
		errno = 0;
		p = strtod(val, &end);
		if (*end != '\0' || errno != 0 || !isfinite(p))
			return perr(c, "bad number '%s' for p (a probability from 0 to 1)", val);
		if (p < 0.0 || p > 1.0)
			return perr(c, "p=%s is outside [0, 1]", val);
		rule->p = p;
		rule->has_p = true;
		return 0;
	}
	if (strcasecmp(key, "client") == 0 || strcasecmp(key, "listen") == 0) {
		struct fault_addr *fa =
		    strcasecmp(key, "client") == 0 ? &rule->client : &rule->listen;
		ONCE(fa->set);
		if (addr_parse(val, fa->a) < 0)
			return perr(c, "bad address '%s' for %s (expected an IPv4 or IPv6 address)",
			            val, key);
		fa->set = true;
		return 0;
	}
	if (strcasecmp(key, "server") == 0) {
		size_t n = strlen(val);
		ONCE(rule->server != NULL);
		if (n > 254 ||
		    strspn(val, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		                "0123456789-_.") != n ||
		    val[0] == '.')
			return perr(c, "bad server name '%s' (expected the NS name of a server)",
			            val);
		if ((rule->server = malloc(n + 2)) == NULL)
			return perr(c, "out of memory");
		for (size_t i = 0; i < n; i++)
			rule->server[i] = (char)tolower((unsigned char)val[i]);
		if (val[n - 1] != '.')
			rule->server[n++] = '.';
		rule->server[n] = '\0';
		return 0;
	}
	if (strcasecmp(key, "edns") == 0) {
		ONCE(rule->edns != FAULT_EDNS_ANY);
		if (strcasecmp(val, "yes") == 0)
			rule->edns = FAULT_EDNS_YES;
		else if (strcasecmp(val, "no") == 0)
			rule->edns = FAULT_EDNS_NO;
		else
			return perr(c, "bad edns '%s' (expected yes or no)", val);
		return 0;
	}
#undef ONCE
	return perr(
	    c,
	    "unknown option '%s' (expected transport=, count=, after=, every=, p=, client=, "
	    "listen=, server=, edns= or msgs=)",
	    key);
}

/* Parse one line (already stripped of its comment) into *out; *out stays NULL for a blank
   line. */
static int
parse_line(struct parse_ctx *c, char *line, struct fault_rule **out)
{
	static const char blanks[] = " \t\r\v\f";
	char *tok[64];
	size_t ntok = 0, textlen = 0;
	char *save = NULL, *t;
	struct fault_rule *rule;

	*out = NULL;
	for (t = strtok_r(line, blanks, &save); t != NULL; t = strtok_r(NULL, blanks, &save)) {
		if (ntok == sizeof(tok) / sizeof(tok[0]))
			return perr(c, "too many fields");
		tok[ntok++] = t;
		textlen += strlen(t) + 1;
	}
	if (ntok == 0)
		return 0;
	if (ntok < 3)
		return perr(c, "expected '<name-pattern> <type|*> <action> [option=value]...'");

	rule = calloc(1, sizeof(*rule));
	if (rule == NULL)
		return perr(c, "out of memory");
	rule->text = malloc(textlen);
	if (rule->text == NULL) {
		rule_free(rule);
		return perr(c, "out of memory");
	}
	rule->text[0] = '\0';
	rule->file = strdup(c->file);
	rule->line = c->line;
	for (size_t i = 0; i < ntok; i++) {
		if (i > 0)
			strcat(rule->text, " ");
		strcat(rule->text, tok[i]);
	}

	if (parse_pattern(c, rule, tok[0]) < 0 || parse_type(c, rule, tok[1]) < 0 ||
	    parse_action(c, rule, tok[2]) < 0)
		goto fail;
	for (size_t i = 3; i < ntok; i++)
		if (parse_option(c, rule, tok[i]) < 0)
			goto fail;
	if (rule->action == FAULT_TCP_CLOSE && rule->transport == FAULT_TRANSPORT_UDP) {
		perr(c, "tcp-close never applies to UDP: it conflicts with transport=udp");
		goto fail;
	}
	if (rule->has_msgs && rule->action != FAULT_TCP_CLOSE) {
		perr(c, "msgs= only goes with tcp-close (messages of a zone transfer sent before "
		        "the connection is closed)");
		goto fail;
	}
	if (rule->action == FAULT_TRUNCATE && rule->transport == FAULT_TRANSPORT_TCP) {
		perr(c, "truncate only applies to UDP (TCP answers normally): it conflicts with "
		        "transport=tcp");
		goto fail;
	}
	*out = rule;
	return 0;
fail:
	rule_free(rule);
	return -1;
}

/* Put rule into the name index; when that fails (out of memory) matching scans every rule. */
static void
index_rule(struct fault_rules *r, const struct fault_rule *rule)
{
	static const enum faultidx_kind kind[] = {
	    [FAULT_PAT_EXACT] = FAULTIDX_EXACT,
	    [FAULT_PAT_BELOW] = FAULTIDX_BELOW,
	    [FAULT_PAT_ALL] = FAULTIDX_ALL,
	};

	if (r->idx && faultidx_add(r->idx, kind[rule->pat], rule->name, rule->index) < 0) {
		faultidx_free(r->idx);
		r->idx = NULL;
	}
	/* ds-mismatch names the DS owner: the referrals below it match too (name_matches) */
	if (r->idx && rule->action == FAULT_DS_MISMATCH && rule->pat == FAULT_PAT_EXACT &&
	    faultidx_add(r->idx, FAULTIDX_BELOW, rule->name, rule->index) < 0) {
		faultidx_free(r->idx);
		r->idx = NULL;
	}
}

int
fault_rules_parse(struct fault_rules *r, const char *file, const char *text, char *err,
                  size_t errlen)
{
	struct parse_ctx c = {file ? file : "(faults)", 0, err, errlen};
	struct fault_rule **nv = NULL, *rule;
	size_t nn = 0, ncap = 0;
	const char *p = text, *eol;
	char *line = NULL;
	int rc = -1;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (r == NULL || text == NULL) {
		c.line = 0;
		return perr(&c, "no rules object or text");
	}
	while (*p != '\0') {
		size_t len;
		char *hash;

		c.line++;
		eol = strchr(p, '\n');
		len = eol ? (size_t)(eol - p) : strlen(p);
		free(line);
		line = strndup(p, len);
		if (line == NULL) {
			perr(&c, "out of memory");
			goto out;
		}
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		if (parse_line(&c, line, &rule) < 0)
			goto out;
		if (rule != NULL) {
			if (nn == ncap) {
				size_t cap2 = ncap ? ncap * 2 : 8;
				struct fault_rule **v2 = realloc(nv, cap2 * sizeof(*v2));
				if (v2 == NULL) {
					rule_free(rule);
					perr(&c, "out of memory");
					goto out;
				}
				nv = v2;
				ncap = cap2;
			}
			nv[nn++] = rule;
		}
		p = eol ? eol + 1 : p + len;
	}
	if (r->n + nn > r->cap) {
		size_t cap2 = r->cap ? r->cap : 8;
		struct fault_rule **v2;
		while (cap2 < r->n + nn)
			cap2 *= 2;
		v2 = realloc(r->v, cap2 * sizeof(*v2));
		if (v2 == NULL) {
			perr(&c, "out of memory");
			goto out;
		}
		r->v = v2;
		r->cap = cap2;
	}
	for (size_t i = 0; i < nn; i++) {
		nv[i]->index = r->n;
		r->v[r->n++] = nv[i];
		index_rule(r, nv[i]);
	}
	nn = 0;
	rc = 0;
out:
	for (size_t i = 0; i < nn; i++)
		rule_free(nv[i]);
	free(nv);
	free(line);
	return rc;
}

/* The whole file at path as a NUL-terminated string (*textp, caller frees). 0 / -1 + err.
   Read without blocking (a FIFO is refused, not waited for) and size-capped before reading. */
static int
read_rules_file(const char *path, char **textp, char *err, size_t errlen)
{
	char *text, why[256];
	size_t len;
	const char *nul;

	*textp = NULL;
	if (file_read(path, FILE_RULES_MAX, &text, &len, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		return -1;
	}
	if ((nul = memchr(text, '\0', len)) != NULL) {
		unsigned long line = 1;
		for (const char *q = text; q < nul; q++)
			line += *q == '\n';
		snprintf(err, errlen, "%s:%lu: NUL byte in the file", path, line);
		free(text);
		return -1;
	}
	*textp = text;
	return 0;
}

int
fault_rules_load(struct fault_rules *r, const char *path, char *err, size_t errlen)
{
	char *text;
	int rc;

	if (read_rules_file(path, &text, err, errlen) < 0)
		return -1;
	rc = fault_rules_parse(r, path, text, err, errlen);
	free(text);
	return rc;
}

int
fault_rules_check(const char *file, const char *text, struct diag *d)
{
	char err[1024];
	struct parse_ctx c = {file ? file : "(faults)", 0, err, sizeof(err)};
	const char *p = text, *eol;
	int bad = 0;

	while (p && *p != '\0') {
		struct fault_rule *rule = NULL;
		size_t len, skip;
		char *line, *hash;

		c.line++;
		eol = strchr(p, '\n');
		len = eol ? (size_t)(eol - p) : strlen(p);
		if ((line = strndup(p, len)) == NULL) {
			diag_add(d, DIAG_ERROR, c.file, c.line, NULL, "out of memory");
			return bad + 1;
		}
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		if (parse_line(&c, line, &rule) < 0) {
			/* err is "file:line: message": keep the message */
			skip = (size_t)snprintf(NULL, 0, "%s:%lu: ", c.file, c.line);
			diag_add(d, DIAG_ERROR, c.file, c.line, NULL, "%s",
			         strlen(err) > skip ? err + skip : err);
			bad++;
		}
		rule_free(rule);
		free(line);
		p = eol ? eol + 1 : p + len;
	}
	return bad;
}

int
fault_rules_check_file(const char *path, struct diag *d)
{
	char err[1024];
	char *text;
	int bad;

	if (read_rules_file(path, &text, err, sizeof(err)) < 0) {
		size_t plen = strlen(path);
		if (strncmp(err, path, plen) == 0 && err[plen] == ':' && err[plen + 1] == ' ')
			diag_add(d, DIAG_ERROR, path, 0, NULL, "%s", err + plen + 2);
		else
			diag_add(d, DIAG_ERROR, NULL, 0, NULL, "%s", err);
		return 1;
	}
	bad = fault_rules_check(path, text, d);
	free(text);
	return bad;
}

/* ---- matching */

/* Case-insensitive comparison of n bytes. */
static bool
ieq(const char *a, const char *b, size_t n)
{
	return strncasecmp(a, b, n) == 0;
}

/* Whether the character at i is preceded by an odd run of backslashes. */
static bool
dot_escaped(const char *s, size_t i)
{
	size_t bs = 0;

	while (bs < i && s[i - 1 - bs] == '\\')
		bs++;
	return bs % 2 == 1;
}

static bool
name_matches(const struct fault_rule *rule, const char *qname)
{
	char buf[1100];
	size_t qlen;

	if (rule->pat == FAULT_PAT_ALL)
		return true;
	if (qname == NULL)
		return false;
	qlen = strlen(qname);
	/* Relative names are taken as absolute. */
	if (qlen == 0 || qname[qlen - 1] != '.' || dot_escaped(qname, qlen - 1)) {
		if (qlen + 2 > sizeof(buf))
			return false;
		memcpy(buf, qname, qlen);
		buf[qlen++] = '.';
		buf[qlen] = '\0';
		qname = buf;
	}
	if (rule->pat == FAULT_PAT_EXACT && rule->action == FAULT_DS_MISMATCH &&
	    qlen > rule->name_len + 1 && strcmp(rule->name, ".") != 0 &&
	    ieq(qname + qlen - rule->name_len, rule->name, rule->name_len) &&
	    qname[qlen - rule->name_len - 1] == '.' &&
	    !dot_escaped(qname, qlen - rule->name_len - 1))
		return true; /* the DS owner is the child's apex: a referral below it carries it */
	if (rule->pat == FAULT_PAT_EXACT)
		return qlen == rule->name_len && ieq(qname, rule->name, qlen);
	/* Strictly below: the qname ends with ".name" (an unescaped dot) and is longer. */
	if (strcmp(rule->name, ".") == 0)
		return strcmp(qname, ".") != 0;
	if (qlen <= rule->name_len + 1 ||
	    !ieq(qname + qlen - rule->name_len, rule->name, rule->name_len))
		return false;
	return qname[qlen - rule->name_len - 1] == '.' &&
	       !dot_escaped(qname, qlen - rule->name_len - 1);
}

static bool
addr_matches(const struct fault_addr *fa, const struct sockaddr *sa)
{
	uint8_t a[16];

	if (!fa->set)
		return true;
	if (!addr_from_sockaddr(sa, a))
		return false;
	return memcmp(a, fa->a, 16) == 0;
}

/* Is the server the query arrived at known by NS name (world mode)? */
static bool
server_matches(const char *name, const struct fault_query *fq)
{
	for (size_t i = 0; i < fq->nserver_names; i++)
		if (strcasecmp(fq->server_names[i], name) == 0)
			return true;
	return false;
}

static bool
conditions_match(const struct fault_rule *rule, const struct fault_query *fq)
{
	if (rule->action == FAULT_TCP_CLOSE && !fq->tcp)
		return false;
	if (rule->action == FAULT_TRUNCATE && fq->tcp)
		return false;
	if (rule->transport == FAULT_TRANSPORT_UDP && fq->tcp)
		return false;
	if (rule->transport == FAULT_TRANSPORT_TCP && !fq->tcp)
		return false;
	if (!rule->any_type && rule->qtype != fq->qtype)
		return false;
	if (!name_matches(rule, fq->qname))
		return false;
	if (rule->edns != FAULT_EDNS_ANY && (rule->edns == FAULT_EDNS_YES) != fq->edns)
		return false;
	if (rule->server != NULL && !server_matches(rule->server, fq))
		return false;
	return addr_matches(&rule->client, fq->client) && addr_matches(&rule->listen, fq->listen);
}

/* The rules whose name pattern can match fq: from the index when there is one (only those
   rules, in rule order), else every rule. *i is the cursor for the scan. */
static struct fault_rule *
next_candidate(struct fault_rules *r, struct faultidx_iter *it, size_t *i)
{
	size_t k;

	if (r->idx == NULL)
		return *i < r->n ? r->v[(*i)++] : NULL;
	return faultidx_next(it, &k) && k < r->n ? r->v[k] : NULL;
}

/* qname as the index keys names: lower case, absolute (trailing unescaped dot). */
static const char *
index_name(const char *qname, char *buf, size_t len)
{
	size_t n;

	if (qname == NULL)
		return NULL;
	n = strlen(qname);
	if (n + 2 > len)
		return NULL;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)qname[i]);
	if (n == 0 || buf[n - 1] != '.' || dot_escaped(buf, n - 1))
		buf[n++] = '.';
	buf[n] = '\0';
	return buf;
}

const struct fault_rule *
fault_match(struct fault_rules *r, const struct fault_query *fq)
{
	struct faultidx_iter it;
	struct fault_rule *rule;
	char name[1100];
	size_t scan = 0;

	if (r == NULL || fq == NULL || r->n == 0)
		return NULL; /* no rule: nothing to count either */
	if (r->idx)
		faultidx_start(r->idx, index_name(fq->qname, name, sizeof(name)), &it);
	/* every rule that can match is visited, in order: conditions_match still decides */
	while ((rule = next_candidate(r, &it, &scan)) != NULL) {
		uint64_t k;

		if (!conditions_match(rule, fq))
			continue;
		k = ++rule->seen;
		if (rule->has_after) {
			if (k <= rule->after)
				continue;
			k -= rule->after;
		}
		if (rule->has_every && (k - 1) % rule->every != 0)
			continue;
		if (rule->has_count) {
			if (rule->passed >= rule->count)
				continue;
		}
		rule->passed++;
		if (rule->has_p && !(prng_double(r->draw) < rule->p))
			continue;
		rule->fired++;
		return rule;
	}
	return NULL;
}

/* ---- byte actions */

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Skip a (possibly compressed) name at *pos; false when it runs past len or is malformed. */
static bool
skip_name(const uint8_t *buf, size_t len, size_t *pos)
{
	size_t p = *pos;

	for (;;) {
		uint8_t l;
		if (p >= len)
			return false;
		l = buf[p];
		if ((l & 0xc0) == 0xc0) {
			if (p + 2 > len)
				return false;
			*pos = p + 2;
			return true;
		}
		if (l & 0xc0)
			return false;
		if (l == 0) {
			*pos = p + 1;
			return true;
		}
		p += 1 + (size_t)l;
	}
}

/* Offset just past the question section, or 0 when it cannot be walked. */
static size_t
question_end(const uint8_t *buf, size_t len)
{
	size_t pos = MSG_HEADER_LEN;
	uint16_t qd;

	if (len < MSG_HEADER_LEN)
		return 0;
	qd = get16(buf + 4);
	for (uint16_t i = 0; i < qd; i++) {
		if (!skip_name(buf, len, &pos) || pos + 4 > len)
			return 0;
		pos += 4;
	}
	return pos;
}

static void
apply_ttl(uint8_t *buf, size_t len, uint32_t ttl)
{
	size_t pos = question_end(buf, len);
	unsigned total;

	if (pos == 0)
		return;
	total = (unsigned)get16(buf + 6) + get16(buf + 8) + get16(buf + 10);
	for (unsigned i = 0; i < total; i++) {
		uint16_t type, rdlen;
		if (!skip_name(buf, len, &pos) || pos + 10 > len)
			return;
		type = get16(buf + pos);
		rdlen = get16(buf + pos + 8);
		if (type != LDNS_RR_TYPE_OPT) {
			buf[pos + 4] = (uint8_t)(ttl >> 24);
			buf[pos + 5] = (uint8_t)(ttl >> 16);
			buf[pos + 6] = (uint8_t)(ttl >> 8);
			buf[pos + 7] = (uint8_t)ttl;
		}
		pos += 10;
		if (pos + rdlen > len)
			return;
		pos += rdlen;
	}
}

/* A different character, also case-insensitively, that keeps a hostname a hostname. */
static uint8_t
other_char(uint8_t ch)
{
	if (ch >= 'a' && ch <= 'z')
		return ch == 'z' ? 'a' : ch + 1;
	if (ch >= 'A' && ch <= 'Z')
		return ch == 'Z' ? 'A' : ch + 1;
	if (ch >= '0' && ch <= '8')
		return ch + 1;
	if (ch == '9')
		return '0';
	return 'x';
}

static void
apply_qmismatch(uint8_t *buf, size_t len)
{
	uint8_t l;

	if (len < MSG_HEADER_LEN + 1 || get16(buf + 4) == 0)
		return;
	l = buf[MSG_HEADER_LEN];
	if (l >= 1 && l <= 63 && MSG_HEADER_LEN + 1 + (size_t)l <= len) {
		/* Change the first letter of the first label: same length, still parseable. */
		uint8_t *ch = &buf[MSG_HEADER_LEN + 1];
		*ch = other_char(*ch);
		return;
	}
	if (l == 0 && MSG_HEADER_LEN + 5 <= len) {
		/* The root has no letter to change: ask a different type instead. */
		buf[MSG_HEADER_LEN + 2] ^= 0x01;
	}
}

static void
apply_garble(struct fault_rules *r, uint8_t *buf, size_t len)
{
	uint64_t fallback[4], *s;
	size_t body;

	if (len <= MSG_HEADER_LEN)
		return;
	if (r != NULL) {
		s = r->garble;
	} else {
		prng_seed(fallback, 1);
		s = fallback;
	}
	body = len - MSG_HEADER_LEN;
	/* Flip about one byte in four with a non-zero XOR ... */
	for (size_t i = 0; i < body; i++) {
		uint64_t x = prng_next(s);
		if ((x & 3) == 0) {
			uint8_t m = (uint8_t)(x >> 8);
			buf[MSG_HEADER_LEN + i] ^= m ? m : 0xa5;
		}
	}
	/* ... and make the first label length a reserved label type (01xxxxxx / 10xxxxxx), so
	   no parser reads the question, whatever else the draws did. */
	buf[MSG_HEADER_LEN] = (uint8_t)(0x40 + prng_next(s) % 0x80);
}

static size_t
apply_short(const uint8_t *buf, size_t len)
{
	size_t qend, pos, rdlen, cut;

	if (len == 0)
		return 0;
	if (len <= MSG_HEADER_LEN)
		return len / 2;
	qend = question_end(buf, len);
	if (qend == 0 || qend <= MSG_HEADER_LEN)
		return MSG_HEADER_LEN + (len - MSG_HEADER_LEN) / 2;
	if (qend < len && (unsigned)get16(buf + 6) + get16(buf + 8) + get16(buf + 10) > 0) {
		/* Inside the first record after the question. */
		pos = qend;
		if (skip_name(buf, len, &pos) && pos + 10 <= len) {
			rdlen = get16(buf + pos + 8);
			pos += 10 + rdlen;
			if (pos > len)
				pos = len;
		} else {
			pos = len;
		}
		/* qend < cut < end of the record (or of the buffer), when there is room */
		cut = qend + (pos - qend) / 2;
		if (cut <= qend)
			cut = qend + 1;
		if (cut >= len)
			cut = len - 1;
		return cut;
	}
	/* No record: inside the question. */
	return MSG_HEADER_LEN + (qend - MSG_HEADER_LEN) / 2;
}

size_t
fault_apply(struct fault_rules *r, const struct fault_rule *rule, uint8_t *buf, size_t len)
{
	if (rule == NULL || buf == NULL)
		return len;
	switch (rule->action) {
	case FAULT_NOAA:
		if (len >= 3)
			buf[2] &= (uint8_t)~0x04;
		break;
	case FAULT_BADID:
		if (len >= 2) {
			buf[0] ^= 0x5a;
			buf[1] ^= 0x5a;
		}
		break;
	case FAULT_QMISMATCH:
		apply_qmismatch(buf, len);
		break;
	case FAULT_GARBLE:
		apply_garble(r, buf, len);
		break;
	case FAULT_SHORT:
		return apply_short(buf, len);
	case FAULT_TTL:
		apply_ttl(buf, len, rule->arg);
		break;
	default:
		break;
	}
	return len;
}
