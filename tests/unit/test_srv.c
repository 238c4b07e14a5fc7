/* tests/unit/test_srv.c -- the running server's own bookkeeping, without its loop running:
   sets swapped out are freed once, also when the server stops while they are being freed. */
#include <criterion/criterion.h>

#include "server/srv.h"
#include "server/zone.h"
#include "tests/support/support.h"

static const char zone_text[] = TEST_EXAMPLE_HEAD "ns1  IN A   127.0.0.1\n"
                                                  "www  IN A   192.0.2.1\n";

/* A finished set holding example.test. */
static struct zoneset *
example_set(void)
{
	struct zoneset *zs = zoneset_new();
	struct diag d;

	cr_assert_not_null(zs);
	diag_init(&d);
	cr_assert_eq(zoneset_add_text(zs, "example.test.zone", zone_text, &d), 0);
	cr_assert_eq(zoneset_finish(zs, &d), 0);
	diag_free(&d);
	return zs;
}

/* The swapped-out set goes to the freeing thread; stopping before the loop ever hears that
   it is done (as a SIGTERM right after a reload does) must not free it a second time. A
   double free aborts the test (glibc) or makes the ASan build report it. */
Test(srv, stopping_while_an_old_set_is_freed_frees_it_once)
{
	struct srv_conf c;
	struct srv *s;
	char err[256] = "";

	srv_conf_init(&c);
	s = srv_new(&c, example_set(), NULL, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(srv_swap_zones(s, example_set(), NULL, err, sizeof(err)), 0, "%s",
		             err);
	cr_expect_not_null(s->ctx.zs);
	srv_free(s);
	srv_conf_free(&c);
}
