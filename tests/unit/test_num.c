/* tests/unit/test_num.c -- the command-line number parser both programs share. */
#include <criterion/criterion.h>
#include <limits.h>

#include "common/num.h"

Test(num, whole_numbers_in_range_are_accepted)
{
	unsigned long long v = 7;

	cr_assert_eq(num_parse("0", 0, 10, &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(num_parse("65535", 1, 65535, &v), 0);
	cr_assert_eq(v, 65535);
	cr_assert_eq(num_parse("18446744073709551615", 0, ULLONG_MAX, &v), 0);
	cr_assert_eq(v, ULLONG_MAX);
}

Test(num, anything_else_is_rejected_and_leaves_the_value)
{
	static const char *const bad[] = {"",     "-1",  "+5",  " 5",    "5 ",
	                                  "0x10", "1e3", "12a", "65536", "18446744073709551616"};
	unsigned long long v = 7;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(num_parse(bad[i], 1, 65535, &v), -1, "'%s' accepted", bad[i]);
		cr_assert_eq(v, 7, "'%s' changed the value", bad[i]);
	}
	cr_assert_eq(num_parse("0", 1, 65535, &v), -1, "below the range");
}
