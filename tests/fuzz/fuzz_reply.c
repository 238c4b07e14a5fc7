/* tests/fuzz/fuzz_reply.c -- libFuzzer: mxcheck's reply check and record copy on any bytes.
   The functions are static, so the harness includes client/lookup.c itself. */
#include "client/lookup.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ldns_rdf *dn = ldns_dname_new_frm_str("mx.test.");
	ldns_pkt *q = ldns_pkt_query_new(dn, LDNS_RR_TYPE_MX, LDNS_RR_CLASS_IN, 0);
	uint8_t *wire = NULL;
	size_t wlen = 0;
	ldns_pkt *a = NULL;
	const char *why = NULL;
	struct lookup_reply rep;

	if (q == NULL)
		return 0;
	ldns_pkt_set_id(q, size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0);
	if (ldns_pkt2wire(&wire, q, &wlen) == LDNS_STATUS_OK &&
	    reply_check(wire, wlen, data, size, &a, &why) == 0) {
		memset(&rep, 0, sizeof(rep));
		reply_from_pkt(a, &rep);
		lookup_reply_clear(&rep);
		ldns_pkt_free(a);
	}
	free(wire);
	ldns_pkt_free(q);
	return 0;
}
