/* tests/fuzz/fuzz_faultjson.c -- libFuzzer: control API fault bodies (JSON or flattened text)
   through faultjson_to_text, then the rule lines it gives through parsing and the rule index. */
#include <stdlib.h>
#include <string.h>

#include "server/fault.h"
#include "server/faultjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"a.test.", "www.example.test.", "x.y.z.example.test.", ".",
                                    "A\\.B.test."};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = malloc(size + 1), *text = NULL, err[512];
	struct fault_rules *r;

	if (body == NULL)
		return 0;
	memcpy(body, data, size);
	body[size] = '\0';
	(void)faultjson_is_json(body);
	(void)faultjson_flattened(body);
	if (faultjson_to_text(body, size, &text, err, sizeof(err)) == 0) {
		if (strlen(text) == 0 && size == 0)
			abort(); /* empty input is no JSON: it must have failed */
		if ((r = fault_rules_new(size)) != NULL) {
			if (fault_rules_parse(r, "faults", text, err, sizeof(err)) == 0) {
				for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
					struct fault_query fq = {names[i], (uint16_t)(i * 7), i & 1,
					                         NULL, NULL};
					(void)fault_match(r, &fq);
				}
			}
			fault_rules_free(r);
		}
		free(text);
	}
	free(body);
	return 0;
}
