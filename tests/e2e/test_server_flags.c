/* tests/e2e/test_server_flags.c -- header flags of error answers, as NSD 4.6 sets them (checked
   with raw packets against a real nsd): NOTIMP and BADVERS echo the request's flags except AD;
   FORMERR and fault rcode= answers keep only RD. */
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "tests/support/support.h"

#define F_QR 0x8000
#define F_AA 0x0400
#define F_TC 0x0200
#define F_RD 0x0100
#define F_Z  0x0040
#define F_AD 0x0020
#define F_CD 0x0010

static struct testsrv srv;

static void
start_srv(void)
{
	char dir[256];

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "example.test.zone", TEST_EXAMPLE_HEAD "ns1 IN A 127.0.0.1\n");
	test_write(dir, "faults.conf",
	           "notimp.example.test. * rcode=NOTIMP\n"
	           "formerr.example.test. * rcode=FORMERR\n"
	           "servfail.example.test. * rcode=SERVFAIL\n");
	testsrv_start_dir(&srv, dir, NULL);
}

static void
stop_srv(void)
{
	testsrv_stop(&srv);
}

TestSuite(e2e_server_flags, .init = start_srv, .fini = stop_srv);

struct flags_case {
	char name[64]; /* question name */
	int edns;      /* -1: no OPT, else OPT with version edns_version */
	uint8_t edns_version;
	uint16_t opcode; /* opcode bits to set (already shifted) */
	uint16_t sent;   /* flag bits set in the query */
	uint16_t want;   /* the whole flags word of the answer */
};

ParameterizedTestParameters(e2e_server_flags, error_answers_set_flags_like_nsd)
{
	static struct flags_case cases[] = {
	    /* dig +opcode=2 sets AD: NSD answers 0x9004 */
	    {"example.test.", -1, 0, 0x1000, F_AD, 0x9004},
	    {"example.test.", -1, 0, 0x1000, F_AD | F_RD, 0x9104},
	    {"example.test.", -1, 0, 0x1000, F_AA, 0x9404},
	    {"example.test.", -1, 0, 0x1000, F_TC, 0x9204},
	    {"example.test.", -1, 0, 0x1000, F_Z | F_CD, 0x9054},
	    {"example.test.", 1232, 1, 0, F_AD, 0x8000},
	    {"example.test.", 1232, 1, 0, F_AA | F_TC | F_CD, 0x8610},
	    /* fault rcode= answers: QR, RD and the rcode only */
	    {"notimp.example.test.", -1, 0, 0, F_AD | F_CD | F_RD, 0x8104},
	    {"notimp.example.test.", -1, 0, 0, F_AA | F_TC | F_Z, 0x8004},
	    {"formerr.example.test.", -1, 0, 0, F_AD | F_RD, 0x8101},
	    {"servfail.example.test.", -1, 0, 0, F_AD | F_CD, 0x8002},
	};
	return cr_make_param_array(struct flags_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct flags_case *c, e2e_server_flags, error_answers_set_flags_like_nsd)
{
	uint8_t q[300], a[4096];
	size_t qlen = test_wire_query(q, c->name, 1, 0x1234, c->edns, c->edns_version, false);
	uint16_t flags = (uint16_t)(c->opcode | c->sent);
	size_t n;

	q[2] = (uint8_t)(flags >> 8);
	q[3] = (uint8_t)flags;
	n = test_raw_udp(srv.port, q, qlen, a, sizeof(a), 2000);
	cr_assert_geq(n, 12, "%s flags %04x: no answer", c->name, flags);
	cr_expect_eq((a[2] << 8) | a[3], c->want, "%s query %04x: answer %04x, NSD %04x", c->name,
	             flags, (a[2] << 8) | a[3], c->want);
}
