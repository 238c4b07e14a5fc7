/* common/num.c -- whole decimal numbers from the command line, checked against a range. */
#include "common/num.h"

#include <errno.h>
#include <stdlib.h>

int
num_parse(const char *s, unsigned long long min, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	/* strtoull would accept leading spaces, a sign and "-1" wrapped to a huge number. */
	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
