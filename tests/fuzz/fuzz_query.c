/* tests/fuzz/fuzz_query.c -- libFuzzer: the whole query path (parse, answer) on any packet. */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "server/answer.h"
#include "server/msg.h"
#include "server/zone.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct zoneset *zs;
static uint8_t out[ANSWER_MAX];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct diag d;
	glob_t g;

	(void)argc;
	(void)argv;
	diag_init(&d);
	zs = zoneset_new();
	if (glob("zones/*.zone", 0, NULL, &g) != 0) {
		fprintf(stderr, "fuzz_query: run from the repo root (zones/*.zone)\n");
		exit(1);
	}
	for (size_t i = 0; i < g.gl_pathc; i++)
		zoneset_add_file(zs, g.gl_pathv[i], &d);
	globfree(&g);
	if (zoneset_finish(zs, &d) != 0) {
		diag_print(&d, stderr);
		exit(1);
	}
	diag_free(&d);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t limits[] = {512, 65535};
	struct msg_query q;
	struct answer_meta meta;
	enum msg_parse pr;
	char name[1025];

	memset(&q, 0, sizeof(q));
	pr = msg_parse_query(data, size, &q);
	if (q.has_question)
		msg_name_to_str(q.qname, name, sizeof(name));
	for (size_t i = 0; i < 2; i++) {
		q.tcp = i == 1;
		memset(&meta, 0, sizeof(meta));
		switch (pr) {
		case MSG_OK:
			answer_build(zs, &q, limits[i], out, sizeof(out), &meta);
			break;
		case MSG_FORMERR:
			answer_empty(zs, &q, 1, false, false, out, sizeof(out), &meta);
			break;
		case MSG_NOTIMP:
			answer_empty(zs, &q, 4, false, false, out, sizeof(out), &meta);
			break;
		case MSG_BADVERS:
			answer_empty(zs, &q, 16, false, false, out, sizeof(out), &meta);
			break;
		case MSG_DROP:
			break;
		}
		if (pr != MSG_DROP) {
			answer_empty(zs, &q, 3, true, false, out, sizeof(out), &meta);
			answer_empty(zs, &q, 2, true, true, out, sizeof(out), &meta);
		}
	}
	return 0;
}
