/* server/msg.c -- parsing a DNS request into struct msg_query, robust against any bytes. */
#include "server/msg.h"

#include <stdio.h>
#include <string.h>

#define FLAG_QR     0x8000
#define FLAG_RD     0x0100
#define TYPE_OPT    41
#define OPT_DO_FLAG 0x8000

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/* Read an uncompressed question name at pkt[*pos]: no pointers, at most 255 bytes, within
   len. Copies it into out (case kept). Returns 0 on success. Mirrors what NSD accepts. */
static int
read_qname(const uint8_t *pkt, size_t len, size_t *pos, uint8_t *out, size_t *outlen)
{
	size_t p = *pos, n = 0;

	for (;;) {
		uint8_t l;

		if (p >= len)
			return -1;
		l = pkt[p];
		if (l == 0)
			break;
		if (l & 0xc0)
			return -1;
		if (p + l + 1 > len || n + l + 1 > 254)
			return -1;
		memcpy(out + n, pkt + p, (size_t)l + 1);
		n += (size_t)l + 1;
		p += (size_t)l + 1;
	}
	out[n++] = 0;
	p++;
	*pos = p;
	*outlen = n;
	return 0;
}

/* Parse an OPT record at pkt[*pos] (owner must be the root). Returns 1 when it is an OPT
   (fields stored in q), 0 when the record there is not an OPT (pos untouched), -1 when it is
   a malformed OPT. */
static int
read_opt(const uint8_t *pkt, size_t len, size_t *pos, struct msg_query *q)
{
	size_t p = *pos;
	uint16_t rdlen, size;

	if (p + 11 > len || pkt[p] != 0 || rd16(pkt + p + 1) != TYPE_OPT)
		return 0;
	size = rd16(pkt + p + 3);
	rdlen = rd16(pkt + p + 9);
	if (p + 11 + (size_t)rdlen > len)
		return -1;
	/* Options must tile the rdata exactly. */
	for (size_t o = p + 11; o < p + 11 + rdlen;) {
		if (o + 4 > p + 11 + (size_t)rdlen)
			return -1;
		o += 4 + (size_t)rd16(pkt + o + 2);
		if (o > p + 11 + (size_t)rdlen)
			return -1;
	}
	q->edns = true;
	q->edns_size = size < MSG_UDP_MINSIZE ? MSG_UDP_MINSIZE : size;
	q->edns_version = pkt[p + 6];
	q->edns_do = (rd16(pkt + p + 7) & OPT_DO_FLAG) != 0;
	*pos = p + 11 + rdlen;
	return 1;
}

enum msg_parse
msg_parse_query(const uint8_t *pkt, size_t len, struct msg_query *q)
{
	uint16_t qdcount, ancount, nscount, arcount;
	size_t pos = MSG_HEADER_LEN;
	int r;

	memset(q, 0, sizeof(*q));
	if (pkt == NULL || len < MSG_HEADER_LEN)
		return MSG_DROP;
	q->id = rd16(pkt);
	q->flags = rd16(pkt + 2);
	q->opcode = (uint8_t)((q->flags >> 11) & 0xf);
	if (q->flags & FLAG_QR)
		return MSG_DROP;
	/* Like NSD: the opcode is checked first, the rest may mean something else. */
	if (q->opcode != 0)
		return MSG_NOTIMP;
	qdcount = rd16(pkt + 4);
	ancount = rd16(pkt + 6);
	nscount = rd16(pkt + 8);
	arcount = rd16(pkt + 10);
	/* A request carrying an rcode is malformed. */
	if ((q->flags & 0xf) != 0)
		return MSG_FORMERR;
	/* NSD reads the question before looking at QDCOUNT. */
	if (read_qname(pkt, len, &pos, q->qname, &q->qname_len) != 0 || pos + 4 > len) {
		q->qname_len = 0;
		return MSG_FORMERR;
	}
	if (qdcount != 1) {
		/* An OPT alone (QDCOUNT 0) gets FORMERR with OPT; other counts FORMERR with all
		   flags cleared, as NSD answers. */
		if (qdcount == 0 && ancount == 0 && nscount == 0 && arcount == 1) {
			size_t p = MSG_HEADER_LEN;
			struct msg_query t = *q;
			if (read_opt(pkt, len, &p, &t) == 1 && t.edns_version == 0) {
				q->edns = true;
				q->edns_size = t.edns_size;
				q->edns_do = t.edns_do;
				q->qname_len = 0;
				return MSG_FORMERR;
			}
		}
		q->flags = 0;
		q->qname_len = 0;
		return MSG_FORMERR;
	}
	q->qtype = rd16(pkt + pos);
	q->qclass = rd16(pkt + pos + 2);
	pos += 4;
	if (ancount != 0 || nscount != 0) {
		q->qname_len = 0;
		return MSG_FORMERR;
	}
	if (arcount > 0) {
		r = read_opt(pkt, len, &pos, q);
		if (r == 1)
			arcount--;
		else if (r < 0) {
			q->edns = false;
			q->qname_len = 0;
			return MSG_FORMERR;
		}
	}
	if (arcount > 0) {
		/* Another OPT, a TSIG (not supported) or any other record. */
		q->edns = false;
		q->qname_len = 0;
		return MSG_FORMERR;
	}
	q->has_question = true;
	if (q->edns && q->edns_version != 0) {
		q->edns_do = false;
		return MSG_BADVERS;
	}
	return MSG_OK;
}

/* Presentation width of a (lower-cased) label byte: 1 plain, 2 escaped with a backslash
   (the bytes . \ " ( ) ; @ $), 4 as \DDD (blanks, controls, non-ASCII). */
static const uint8_t name_char_width[256] = {
    [0x00 ... 0x20] = 4, [0x21] = 1,          [0x22] = 2,          [0x23] = 1,
    [0x24] = 2,          [0x25 ... 0x27] = 1, [0x28 ... 0x29] = 2, [0x2a ... 0x2d] = 1,
    [0x2e] = 2,          [0x2f ... 0x3a] = 1, [0x3b] = 2,          [0x3c ... 0x3f] = 1,
    [0x40] = 2,          [0x41 ... 0x5b] = 1, [0x5c] = 2,          [0x5d ... 0x7e] = 1,
    [0x7f ... 0xff] = 4,
};

void
msg_name_to_str(const uint8_t *name, char *buf, size_t len)
{
	size_t o = 0, p = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (name == NULL)
		return;
	if (name[0] == 0) {
		snprintf(buf, len, ".");
		return;
	}
	while (name[p] != 0 && p < 255) {
		uint8_t l = name[p++];
		if (l & 0xc0)
			break;
		for (uint8_t i = 0; i < l; i++) {
			/* ASCII lower case (what tolower() does in the C locale), without a call
			   or a copy per character: this runs for every query */
			unsigned char c = name[p + i];
			size_t tl;
			if (c >= 'A' && c <= 'Z')
				c = (unsigned char)(c - 'A' + 'a');
			tl = name_char_width[c];
			if (o + tl + 2 > len) {
				buf[o] = '\0';
				return;
			}
			if (tl == 1) {
				buf[o] = (char)c;
			} else if (tl == 2) {
				buf[o] = '\\';
				buf[o + 1] = (char)c;
			} else {
				buf[o] = '\\';
				buf[o + 1] = (char)('0' + c / 100);
				buf[o + 2] = (char)('0' + c / 10 % 10);
				buf[o + 3] = (char)('0' + c % 10);
			}
			o += tl;
		}
		p += l;
		buf[o++] = '.';
	}
	buf[o] = '\0';
}
