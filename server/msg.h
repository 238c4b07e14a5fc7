/* server/msg.h -- a parsed DNS query: what the rest of the server sees of a request (pure). */
#ifndef MXLAB_MSG_H
#define MXLAB_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MSG_HEADER_LEN  12
#define MSG_EDNS_SIZE   1232 /* our advertised EDNS payload size */
#define MSG_UDP_MINSIZE 512  /* UDP limit without EDNS */

enum msg_parse {
	MSG_OK,      /* header and question parsed: answer normally */
	MSG_DROP,    /* no answer at all (too short for a header, QR set) */
	MSG_FORMERR, /* header readable but QDCOUNT != 1 or question/OPT unparsable */
	MSG_NOTIMP,  /* opcode other than QUERY */
	MSG_BADVERS, /* EDNS version other than 0 */
};

struct msg_query {
	uint16_t id;          /* message ID from the request */
	uint16_t flags;       /* header flags word as received (RD, CD, opcode ...) */
	uint8_t opcode;       /* opcode from flags */
	bool has_question;    /* qname/qtype/qclass are valid */
	uint8_t qname[256];   /* question name, uncompressed wire form, case as received */
	size_t qname_len;     /* bytes used in qname, including the root label */
	uint16_t qtype;       /* question type */
	uint16_t qclass;      /* question class */
	bool edns;            /* request carried an OPT record */
	uint16_t edns_size;   /* requester's UDP payload size (>= 512 when edns) */
	uint8_t edns_version; /* EDNS version requested */
	bool edns_do;         /* DO bit */
	bool tcp;             /* set by the transport after parsing: the request came over TCP
	                         (answer_build then applies no UDP size cap); false from the parser */
};

/* Parse a request. Fills q as far as it could read, whatever the result. */
enum msg_parse msg_parse_query(const uint8_t *pkt, size_t len, struct msg_query *q);

/* Lower-cased presentation form of the wire name, with trailing dot ("." for the root).
   buf must hold at least 1025 bytes for any name (escapes). */
void msg_name_to_str(const uint8_t *name, char *buf, size_t len);

#endif
