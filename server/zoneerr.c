/* server/zoneerr.c -- zone file error messages that say what was wrong: the scanner's error
   with the token it tripped on quoted, and binary files told apart from text. Pure functions. */
#include "server/zoneerr.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libzscanner/error.h>

#define QUOTE_MAX 60 /* characters of a token quoted before "..." */

struct tok {
	const char *p; /* start */
	size_t n;      /* length */
};

/* Split line into at most max blank-separated tokens (a quoted string is one; ';' ends the
   line, parentheses are blanks). Returns how many. */
static size_t
tokens(const char *line, size_t len, struct tok *t, size_t max)
{
	size_t i = 0, n = 0;

	while (i < len && n < max) {
		while (i < len && strchr(" \t\r()", line[i]) != NULL)
			i++;
		if (i >= len || line[i] == ';')
			break;
		t[n].p = line + i;
		if (line[i] == '"') {
			for (i++; i < len && line[i] != '"'; i++)
				if (line[i] == '\\')
					i++;
			i = i < len ? i + 1 : len;
		} else {
			while (i < len && strchr(" \t\r();", line[i]) == NULL)
				i += line[i] == '\\' && i + 1 < len ? 2 : 1;
		}
		t[n].n = (size_t)(line + (i > len ? len : i) - t[n].p);
		n++;
	}
	return n;
}

static bool
is_class(const struct tok *t)
{
	return (t->n == 2 && (strncasecmp(t->p, "IN", 2) == 0 || strncasecmp(t->p, "CH", 2) == 0 ||
	                      strncasecmp(t->p, "HS", 2) == 0)) ||
	       (t->n > 5 && strncasecmp(t->p, "CLASS", 5) == 0 && isdigit((unsigned char)t->p[5]));
}

/* A TTL: digits, or BIND units (1h30m). */
static bool
is_ttl(const struct tok *t)
{
	if (t->n == 0 || !isdigit((unsigned char)t->p[0]))
		return false;
	for (size_t i = 0; i < t->n; i++)
		if (!isdigit((unsigned char)t->p[i]) && strchr("sSmMhHdDwW", t->p[i]) == NULL)
			return false;
	return true;
}

/* Does token t have the name problem code says (a character no name may hold, a label over
   63 characters, a name over 255)? */
static bool
name_problem(int code, const struct tok *t)
{
	size_t label = 0;

	if (code == ZS_DNAME_OVERFLOW)
		return t->n > 255;
	for (size_t i = 0; i < t->n; i++) {
		unsigned char c = (unsigned char)t->p[i];
		if (c == '\\') {
			i += i + 1 < t->n && isdigit((unsigned char)t->p[i + 1]) ? 3 : 1;
			label++;
			continue;
		}
		if (c == '.') {
			label = 0;
			continue;
		}
		if (code == ZS_BAD_DNAME_CHAR && !isalnum(c) && strchr("-_/*@", c) == NULL)
			return true;
		if (code == ZS_LABEL_OVERFLOW && ++label > 63)
			return true;
	}
	return false;
}

/* Is t all digits, and a number that does not fit in bits bits? */
static bool
number_over(const struct tok *t, int bits)
{
	unsigned long long v = 0, max = bits >= 64 ? ~0ULL : (1ULL << bits) - 1;

	if (t->n == 0)
		return false;
	for (size_t i = 0; i < t->n; i++) {
		unsigned d;
		if (!isdigit((unsigned char)t->p[i]))
			return false;
		d = (unsigned)(t->p[i] - '0');
		if (v > (~0ULL - d) / 10)
			return true;
		v = v * 10 + d;
	}
	return v > max;
}

/* 'text' (n bytes) quoted, cut at QUOTE_MAX, bytes that are not printable as \xHH. */
static void
quote(const char *text, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	if (outlen < 8) {
		if (outlen)
			out[0] = '\0';
		return;
	}
	out[o++] = '\'';
	for (size_t i = 0; i < n && o + 8 < outlen; i++) {
		unsigned char c = (unsigned char)text[i];
		if (i == QUOTE_MAX) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02X", c);
		else
			out[o++] = (char)c;
	}
	out[o++] = '\'';
	out[o] = '\0';
}

void
zoneerr_describe(int code, const char *msg, const char *line, size_t len, char *out, size_t outlen)
{
	struct tok t[64];
	size_t n, i = 0, type = 0;
	bool owner;
	const char *what = NULL, *end;
	size_t wlen = 0;
	char q[QUOTE_MAX * 4 + 16];

	snprintf(out, outlen, "%s", msg);
	if (line == NULL || code == ZS_DOS_NEWLINE || code == ZS_ENOMEM)
		return;
	n = tokens(line, len, t, sizeof(t) / sizeof(t[0]));
	if (n == 0)
		return;
	if (t[0].p[0] == '$') { /* a directive: its argument(s) */
		if (n < 2)
			return;
		what = t[1].p;
		wlen = (size_t)(t[n - 1].p + t[n - 1].n - t[1].p);
		goto done;
	}
	owner = line[0] != ' ' && line[0] != '\t';
	i = owner ? 1 : 0;
	while (i < n && (is_ttl(&t[i]) || is_class(&t[i])))
		i++;
	type = i;
	switch (code) {
	case ZS_BAD_OWNER:
	case ZS_BAD_PREVIOUS_OWNER:
		if (owner) {
			what = t[0].p;
			wlen = t[0].n;
		}
		break;
	case ZS_BAD_TTL:
		for (size_t k = owner ? 1 : 0; k < type && k < n; k++)
			if (isdigit((unsigned char)t[k].p[0])) {
				what = t[k].p;
				wlen = t[k].n;
			}
		break;
	case ZS_BAD_DNAME_CHAR:
	case ZS_LABEL_OVERFLOW:
	case ZS_DNAME_OVERFLOW:
		/* the owner or a name in the data: the first token that has the problem */
		for (size_t k = 0; k < n && what == NULL; k++) {
			if (k > 0 && k <= type)
				continue;
			if (name_problem(code, &t[k])) {
				what = t[k].p;
				wlen = t[k].n;
			}
		}
		break;
	case ZS_NUMBER64_OVERFLOW:
	case ZS_NUMBER32_OVERFLOW:
	case ZS_NUMBER16_OVERFLOW:
	case ZS_NUMBER8_OVERFLOW: {
		/* the first number too big for the field (a TTL, a preference, ...) */
		int bits = code == ZS_NUMBER8_OVERFLOW    ? 8
		           : code == ZS_NUMBER16_OVERFLOW ? 16
		           : code == ZS_NUMBER32_OVERFLOW ? 32
		                                          : 64;
		for (size_t k = owner ? 1 : 0; k < n && what == NULL; k++)
			if (number_over(&t[k], bits)) {
				what = t[k].p;
				wlen = t[k].n;
			}
		break;
	}
	case ZS_UNSUPPORTED_TYPE:
		if (type < n) {
			what = t[type].p;
			wlen = t[type].n;
		}
		break;
	default:
		break;
	}
	if (what == NULL && type + 1 < n) { /* the record data */
		what = t[type + 1].p;
		end = t[n - 1].p + t[n - 1].n;
		wlen = (size_t)(end - what);
	} else if (what == NULL && type < n && code != ZS_UNSUPPORTED_TYPE) {
		what = t[type].p;
		wlen = t[type].n;
	} else if (what == NULL && owner) {
		what = t[0].p;
		wlen = t[0].n;
	}
done:
	if (what == NULL || wlen == 0)
		return;
	quote(what, wlen, q, sizeof(q));
	snprintf(out, outlen, "%s %s", msg, q);
}

bool
zoneerr_binary(const char *text, size_t len, unsigned long *line, unsigned *byte)
{
	/* control bytes that no zone file text has (tab, newline, CR and form feed are fine) */
	static const uint8_t bad[256] = {
	    [0] = 1,  [1] = 1,  [2] = 1,  [3] = 1,  [4] = 1,   [5] = 1,  [6] = 1,  [7] = 1,
	    [8] = 1,  [11] = 1, [14] = 1, [15] = 1, [16] = 1,  [17] = 1, [18] = 1, [19] = 1,
	    [20] = 1, [21] = 1, [22] = 1, [23] = 1, [24] = 1,  [25] = 1, [26] = 1, [27] = 1,
	    [28] = 1, [29] = 1, [30] = 1, [31] = 1, [127] = 1,
	};
	const unsigned char *u = (const unsigned char *)text;
	unsigned long ln = 1;
	size_t i = 0;
	uint8_t any = 0;

	/* the common case, text: a branch-free pass 16 bytes at a time (GCC vector extensions,
	   SSE2 on x86-64), no line counting */
	{
		typedef unsigned char v16 __attribute__((vector_size(16)));
		v16 acc = {0};
		for (; i + 16 <= len; i += 16) {
			v16 v;
			memcpy(&v, u + i, 16);
			acc |= (v16)(v < 0x20) &
			       ~(v16)((v == '\t') | (v == '\n') | (v == '\f') | (v == '\r'));
			acc |= (v16)(v == 0x7f);
		}
		for (int k = 0; k < 16; k++)
			any |= acc[k];
	}
	for (; i < len; i++)
		any |= bad[u[i]];
	if (!any)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\n') {
			ln++;
			continue;
		}
		if ((c < 0x20 && c != '\t' && c != '\r' && c != '\f') || c == 0x7f) {
			*line = ln;
			*byte = c;
			return true;
		}
	}
	return false;
}

const char *
zoneerr_line(const char *text, size_t len, unsigned long n, size_t *linelen)
{
	const char *p = text, *end = text + len, *nl;

	if (text == NULL || n == 0)
		return NULL;
	for (unsigned long l = 1; l < n; l++) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return NULL;
		p = nl + 1;
	}
	nl = memchr(p, '\n', (size_t)(end - p));
	*linelen = (size_t)((nl ? nl : end) - p);
	return p;
}
