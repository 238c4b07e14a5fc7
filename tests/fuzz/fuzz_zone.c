/* tests/fuzz/fuzz_zone.c -- libFuzzer: zone text through the loader, the set checks, the mail
   lint and the delegation lint. */
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "server/lint.h"
#include "server/world_lint.h"
#include "server/zone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char head[] = "$ORIGIN f.test.\n$TTL 300\n"
                           "@ SOA ns.f.test. h.f.test. 1 3600 600 86400 300\n"
                           "@ NS ns.f.test.\nns A 192.0.2.1\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zoneset *zs;
	struct diag d;
	char *text;
	size_t off = 0;

	/* First byte set: prefix a valid head so the input gets past the SOA/NS checks. */
	if (size == 0)
		return 0;
	text = malloc(sizeof(head) + size);
	if (text == NULL)
		return 0;
	if (data[0] & 1) {
		memcpy(text, head, sizeof(head) - 1);
		off = sizeof(head) - 1;
	}
	memcpy(text + off, data + 1, size - 1);
	text[off + size - 1] = '\0';
	diag_init(&d);
	zs = zoneset_new();
	if (zoneset_add_text(zs, "fuzz.zone", text, &d) == 0 && zoneset_finish(zs, &d) == 0) {
		lint_zoneset(zs, &d);
		world_lint(zs, data[0] & 2, &d);
	}
	zoneset_free(zs);
	diag_free(&d);
	free(text);
	return 0;
}
