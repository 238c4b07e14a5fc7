/* tests/unit/test_file.c -- reading an input file whole: small files and files large enough
   to go into huge pages come back byte for byte, NUL-terminated; what is not a regular file
   or is over the limit is refused with the reason. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"

/* Write n bytes of a pattern that differs at every offset modulo 251 into a new file. */
static void
write_pattern(const char *path, size_t n)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	for (size_t i = 0; i < n; i++)
		fputc('a' + (int)(i % 251) % 26, f);
	cr_assert_eq(fclose(f), 0);
}

static void
read_back(size_t n)
{
	char path[] = "/tmp/mxlab-file-XXXXXX", err[256];
	int fd = mkstemp(path);
	char *buf = NULL;
	size_t len = 0;

	cr_assert_geq(fd, 0);
	close(fd);
	write_pattern(path, n);
	cr_assert_eq(file_read(path, FILE_ZONE_MAX, &buf, &len, err, sizeof(err)), 0, "%s", err);
	unlink(path);
	cr_assert_eq(len, n);
	cr_assert_eq(buf[n], '\0', "NUL-terminated");
	for (size_t i = 0; i < n; i++)
		if (buf[i] != 'a' + (int)(i % 251) % 26)
			cr_assert_fail("byte %zu differs", i);
	free(buf);
}

Test(file, a_small_file_reads_whole)
{
	read_back(1000);
}

Test(file, a_file_large_enough_for_huge_pages_reads_whole)
{
	read_back((17u << 20) + 12345); /* over 16 MB, not a multiple of 2 MB */
}

Test(file, a_directory_and_a_file_over_the_limit_are_refused_with_the_reason)
{
	char path[] = "/tmp/mxlab-file-XXXXXX", err[256];
	int fd = mkstemp(path);
	char *buf = NULL;
	size_t len = 0;

	cr_assert_eq(file_read("/tmp", FILE_ZONE_MAX, &buf, &len, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "directory"), "%s", err);
	cr_assert_null(buf);
	cr_assert_geq(fd, 0);
	close(fd);
	write_pattern(path, 100);
	cr_assert_eq(file_read(path, 99, &buf, &len, err, sizeof(err)), -1);
	unlink(path);
	cr_assert_not_null(strstr(err, "too large"), "%s", err);
	cr_assert_null(buf);
}
