/* tests/unit/test_zstamp.c -- a zone read from files is known unchanged only while each of its
   files (the zone file and every $INCLUDE) is the same file with the same size and times, and
   only when none of them changed just before it was read. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/zone.h"
#include "server/zstamp.h"
#include "tests/support/support.h"

static char dir[256], zpath[320], ipath[320];
static struct zoneset *zs;
static struct diag d;

static void
setup(void)
{
	test_tmpdir(dir, sizeof(dir));
	snprintf(zpath, sizeof(zpath), "%s/inc.test.zone", dir);
	snprintf(ipath, sizeof(ipath), "%s/hosts.inc", dir);
	test_write(dir, "hosts.inc", "www A 192.0.2.2\n");
	test_write(dir, "inc.test.zone",
	           "$ORIGIN inc.test.\n$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\n"
	           "ns A 192.0.2.1\n$INCLUDE hosts.inc\n");
	zs = zoneset_new();
	diag_init(&d);
	cr_assert_eq(zoneset_add_file(zs, zpath, &d), 0);
}

static void
teardown(void)
{
	zoneset_free(zs);
	diag_free(&d);
}

TestSuite(zstamp, .init = setup, .fini = teardown);

/* Stamp zone 0 as if its reading had started later than now (the files are then old enough
   to be trusted: nothing can have changed them unseen). */
static void
stamp_as_read_later(void)
{
	struct timespec since;

	clock_gettime(CLOCK_REALTIME, &since);
	since.tv_sec += ZSTAMP_MARGIN_S + 1;
	zstamp_take(zs, 0, &since);
}

Test(zstamp, untouched_files_are_unchanged)
{
	stamp_as_read_later();
	cr_expect(zstamp_unchanged(zs, 0));
}

Test(zstamp, an_include_rewritten_with_the_same_size_is_a_change)
{
	stamp_as_read_later();
	test_write(dir, "hosts.inc", "www A 192.0.2.3\n"); /* same length, other address */
	cr_expect_not(zstamp_unchanged(zs, 0));
}

Test(zstamp, a_zone_file_replaced_by_rename_is_a_change)
{
	char tmp[400];

	stamp_as_read_later();
	test_write(dir, "new.tmp",
	           "$ORIGIN inc.test.\n$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\n"
	           "ns A 192.0.2.1\n$INCLUDE hosts.inc\n");
	snprintf(tmp, sizeof(tmp), "%s/new.tmp", dir);
	cr_assert_eq(rename(tmp, zpath), 0); /* what editors and deploy scripts do */
	cr_expect_not(zstamp_unchanged(zs, 0));
}

Test(zstamp, a_removed_include_is_a_change)
{
	stamp_as_read_later();
	cr_assert_eq(unlink(ipath), 0);
	cr_expect_not(zstamp_unchanged(zs, 0));
}

Test(zstamp, files_changed_just_before_the_read_are_not_trusted)
{
	struct timespec since;

	clock_gettime(CLOCK_REALTIME, &since); /* the files were written a moment ago */
	zstamp_take(zs, 0, &since);
	cr_expect_not(zstamp_unchanged(zs, 0), "read again on the next reload");
}

Test(zstamp, zone_text_from_the_api_has_no_files_to_trust)
{
	struct timespec since;

	cr_assert_eq(zoneset_add_text(zs, "zones/other.test.",
	                              "$ORIGIN other.test.\n$TTL 300\n@ SOA ns hm 1 2 3 4 5\n"
	                              "@ NS ns\nns A 192.0.2.1\n",
	                              &d),
	             0);
	clock_gettime(CLOCK_REALTIME, &since);
	since.tv_sec += ZSTAMP_MARGIN_S + 1;
	zstamp_take(zs, 1, &since);
	cr_expect_not(zstamp_unchanged(zs, 1));
	cr_expect_not(zstamp_unchanged(zs, 7), "no such zone");
}
