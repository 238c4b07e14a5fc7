/* tests/fuzz/fuzz_fault.c -- libFuzzer: fault rule text, and byte actions on any "answer". */
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "server/fault.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const byte_rules = "* * noaa\n* * badid\n* * qmismatch\n* * garble\n"
                                      "* * short\n* * ttl=7\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fault_rules *r = fault_rules_new(size);
	char err[512];
	char *text;
	struct diag d;

	/* First byte picks the mode: rule text, or an answer for every byte action. */
	if (size == 0 || r == NULL)
		goto out;
	if (data[0] & 1) {
		text = malloc(size);
		if (text == NULL)
			goto out;
		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		if (fault_rules_parse(r, "fuzz", text, err, sizeof(err)) == 0) {
			struct fault_query fq = {
			    .qname = "a.test.", .qtype = 15, .tcp = (data[0] & 2) != 0};
			const struct fault_rule *rule = fault_match(r, &fq);
			for (size_t i = 0; i < fault_rules_count(r); i++)
				(void)fault_rule_text(fault_rules_get(r, i));
			(void)rule;
		}
		diag_init(&d);
		fault_rules_check("fuzz", text, &d);
		diag_free(&d);
		free(text);
	} else {
		if (fault_rules_parse(r, "fuzz", byte_rules, err, sizeof(err)) != 0)
			abort();
		for (size_t i = 0; i < fault_rules_count(r); i++) {
			size_t len = size - 1;
			uint8_t *buf = malloc(len ? len : 1);
			if (buf == NULL)
				break;
			memcpy(buf, data + 1, len);
			size_t n = fault_apply(r, fault_rules_get(r, i), buf, len);
			if (n > len)
				abort(); /* byte actions never grow the answer */
			free(buf);
		}
	}
out:
	fault_rules_free(r);
	return 0;
}
