/* tests/unit/test_faultjson.c -- JSON fault bodies become rule lines (the shape GET /faults
   returns, or a bare array), bad JSON is an error, flattened text is recognised. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "server/faultjson.h"

static char *
lines_of(const char *body)
{
	char *text = NULL, err[256] = "";

	cr_assert_eq(faultjson_to_text(body, strlen(body), &text, err, sizeof(err)), 0, "%s", err);
	return text;
}

Test(faultjson, get_faults_shape_becomes_rule_lines)
{
	char *t = lines_of("{\"rules\":[{\"index\":0,\"rule\":\"a.test. MX drop\",\"action\":"
	                   "\"drop\",\"fired\":3},{\"index\":1,\"rule\":\"* * noaa count=1\"}]}");

	cr_expect_str_eq(t, "a.test. MX drop\n* * noaa count=1\n");
	free(t);
	t = lines_of(" [\"a.test. MX drop\", {\"rule\": \"b.test. A rcode=SERVFAIL\"}]");
	cr_expect_str_eq(t, "a.test. MX drop\nb.test. A rcode=SERVFAIL\n");
	free(t);
	t = lines_of("{\"rules\":[]}");
	cr_expect_str_eq(t, "");
	free(t);
	cr_expect(faultjson_is_json("\n  {\"rules\":[]}"));
	cr_expect(!faultjson_is_json("a.test. MX drop\n"));
}

Test(faultjson, malformed_bodies_are_errors_that_say_why)
{
	static const char *const bad[] = {"{\"rules\":",
	                                  "{\"rules\": 3}",
	                                  "{\"rule\": []}",
	                                  "[1]",
	                                  "[{\"text\": \"a.test. MX drop\"}]",
	                                  "[\"a.test. MX drop\\nb.test. MX drop\"]",
	                                  "[\"a.test.\\u0000 MX drop\"]"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *text = (char *)1, err[256] = "";
		cr_expect_eq(faultjson_to_text(bad[i], strlen(bad[i]), &text, err, sizeof(err)), -1,
		             "%s", bad[i]);
		cr_expect_null(text);
		cr_expect(strncmp(err, "JSON body", 9) == 0, "%s: %s", bad[i], err);
	}
}

Test(faultjson, flattened_rule_lines_are_recognised)
{
	cr_expect(faultjson_flattened("a.test. MX drop count=2 b.test. A rcode=SERVFAIL"));
	cr_expect(!faultjson_flattened("a.test. MX drop count=2 after=1 every=2 p=0.5"),
	          "one rule with many options is one rule");
	cr_expect(!faultjson_flattened("a.test. MX drop\nb.test. A drop\n"));
}
