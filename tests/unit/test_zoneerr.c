/* tests/unit/test_zoneerr.c -- zone error messages: the token the scanner tripped on is
   quoted, binary data is told apart from text, lines are found by number. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <string.h>

#include <libzscanner/error.h>
#include <libzscanner/scanner.h>

#include "server/zoneerr.h"

struct describe_case {
	int code;       /* libzscanner error */
	char line[80];  /* the line it was on */
	char want[100]; /* the message */
};

static struct describe_case describe_cases[] = {
    {ZS_UNSUPPORTED_TYPE, "www MXX 10 mx1", "unsupported record type 'MXX'"},
    {ZS_UNSUPPORTED_TYPE, "www 300 IN MXX 10 mx1 ; note", "unsupported record type 'MXX'"},
    {ZS_UNSUPPORTED_TYPE, "\tMXX 10 mx1", "unsupported record type 'MXX'"},
    {ZS_BAD_IPV4, "bad A 1.2.3.999", "invalid IPv4 address '1.2.3.999'"},
    {ZS_BAD_IPV6, "  AAAA 1::2::3", "invalid IPv6 address '1::2::3'"},
    {ZS_BAD_DNAME_CHAR, "b_d!x A 192.0.2.1", "invalid domain name character 'b_d!x'"},
    {ZS_BAD_DNAME_CHAR, "@ MX 10 m!x", "invalid domain name character 'm!x'"},
    {ZS_NUMBER32_OVERFLOW, "www 99999999999 A 192.0.2.1",
     "number is bigger than 32 bits '99999999999'"},
    {ZS_BAD_TTL, "$TTL -5", "invalid zone TTL '-5'"},
    {ZS_BAD_TIME_UNIT, "$TTL 3x", "invalid time unit '3x'"},
};

ParameterizedTestParameters(zoneerr, quotes_the_offending_token)
{
	return cr_make_param_array(struct describe_case, describe_cases,
	                           sizeof(describe_cases) / sizeof(describe_cases[0]));
}

ParameterizedTest(struct describe_case *c, zoneerr, quotes_the_offending_token)
{
	char out[256];

	zoneerr_describe(c->code, zs_strerror(c->code), c->line, strlen(c->line), out, sizeof(out));
	cr_expect_str_eq(out, c->want, "for line: %s", c->line);
}

Test(zoneerr, non_printable_bytes_in_a_quote_are_escaped_and_long_ones_cut)
{
	char out[256], line[200];

	zoneerr_describe(ZS_BAD_IPV4, "invalid IPv4 address", "a A 1.2\x01.3", 10, out,
	                 sizeof(out));
	cr_expect_str_eq(out, "invalid IPv4 address '1.2\\x01.3'");
	memset(line, 'x', sizeof(line));
	memcpy(line, "a TXT ", 6);
	zoneerr_describe(ZS_BAD_TEXT, "bad", line, sizeof(line), out, sizeof(out));
	cr_expect(strstr(out, "...'") != NULL, "%s", out);
}

Test(zoneerr, binary_data_is_not_text)
{
	unsigned long line = 0;
	unsigned byte = 0;
	const char bin[] = "ok line\nsecond\n\x7f"
	                   "ELF";

	cr_expect(!zoneerr_binary("a A 1.2.3.4\r\n\tb A 1.2.3.5\f\n", 27, &line, &byte),
	          "CRLF, tabs and form feeds are text");
	cr_assert(zoneerr_binary(bin, sizeof(bin) - 1, &line, &byte));
	cr_expect_eq(line, 3);
	cr_expect_eq(byte, 0x7f);
	cr_assert(zoneerr_binary("x\0y", 3, &line, &byte));
	cr_expect_eq(byte, 0);
}

Test(zoneerr, every_control_byte_is_found_wherever_it_is)
{
	char text[80];

	/* every byte value at every offset of a block of 16 and in the tail after the blocks */
	for (unsigned c = 0; c < 256; c++) {
		bool text_byte =
		    (c >= 0x20 && c != 0x7f) || c == '\t' || c == '\n' || c == '\r' || c == '\f';
		for (size_t at = 0; at < 40; at++) {
			unsigned long line = 0;
			unsigned byte = 0;
			memset(text, 'a', sizeof(text));
			text[5] = '\n';
			text[at] = (char)c;
			cr_assert_eq(zoneerr_binary(text, 40, &line, &byte), !text_byte,
			             "byte 0x%02x at %zu", c, at);
			if (!text_byte) {
				cr_expect_eq(byte, c);
				cr_expect_eq(line, at > 5 ? 2 : 1, "byte 0x%02x at %zu: line %lu",
				             c, at, line);
			}
		}
	}
}

Test(zoneerr, lines_are_found_by_number)
{
	const char text[] = "one\ntwo\n\nfour";
	size_t len = 0;
	const char *l;

	l = zoneerr_line(text, strlen(text), 2, &len);
	cr_assert_not_null(l);
	cr_expect_eq(len, 3);
	cr_expect(strncmp(l, "two", 3) == 0);
	l = zoneerr_line(text, strlen(text), 4, &len);
	cr_assert_not_null(l);
	cr_expect_eq(len, 4);
	cr_expect_null(zoneerr_line(text, strlen(text), 5, &len));
}
