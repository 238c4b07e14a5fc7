/* tests/unit/test_zowner.c -- records added to a loaded zone (as the signer adds them) at
   names the zone has keep their owner names and store each name once. */
#include <criterion/criterion.h>

#include <string.h>

#include "server/zone.h"
#include "server/zone_int.h"
#include "tests/support/support.h"

static const char text[] = "$ORIGIN ex.test.\n"
                           "$TTL 300\n"
                           "@ SOA ns1 hostmaster 1 3600 900 604800 60\n"
                           "@ NS ns1\n"
                           "ns1 A 192.0.2.1\n"
                           "www A 192.0.2.2\n"
                           "mail A 192.0.2.3\n";

/* The owner (presentation form) of every TXT record, in store order, joined by spaces. */
struct owners {
	char s[512]; /* the owners so far */
};

static void
txt_owners_cb(const struct zone_rr *rr, void *arg)
{
	struct owners *o = arg;
	char name[256];
	size_t n = 0;

	if (rr->type != 16)
		return;
	for (size_t p = 0; rr->owner[p] != 0; p += (size_t)rr->owner[p] + 1) {
		memcpy(name + n, rr->owner + p + 1, rr->owner[p]);
		n += rr->owner[p];
		name[n++] = '.';
	}
	name[n] = '\0';
	if (o->s[0] != '\0')
		strcat(o->s, " ");
	strcat(o->s, name);
}

static struct zoneset *
load(void)
{
	struct zoneset *zs = zoneset_new();
	struct diag d;

	diag_init(&d);
	cr_assert_eq(zoneset_add_text(zs, "ex.test", text, &d), 0);
	cr_assert_eq(zoneset_finish(zs, &d), 0);
	diag_free(&d);
	return zs;
}

static const uint8_t www[] = "\3www\2ex\4test", mail[] = "\4mail\2ex\4test",
                     fresh[] = "\5fresh\2ex\4test", rd[] = "\1x";

Test(zowner, records_added_at_names_the_zone_has_store_no_name_again)
{
	struct zoneset *zs = load();
	struct zone *z = zs->zones[0];
	size_t before = z->alen;
	struct owners o = {""};

	/* not one after the other: www, mail, www, mail */
	cr_assert_eq(zone_append_rr(zs, 0, www, sizeof(www), 16, 300, rd, sizeof(rd) - 1), 0);
	cr_assert_eq(zone_append_rr(zs, 0, mail, sizeof(mail), 16, 300, rd, sizeof(rd) - 1), 0);
	cr_assert_eq(zone_append_rr(zs, 0, www, sizeof(www), 16, 300, rd, sizeof(rd) - 1), 0);
	cr_assert_eq(zone_append_rr(zs, 0, mail, sizeof(mail), 16, 300, rd, sizeof(rd) - 1), 0);
	cr_assert_eq(z->alen - before, 4 * (sizeof(rd) - 1), "%zu arena bytes for 4 rdata of %zu",
	             z->alen - before, sizeof(rd) - 1);
	zoneset_foreach(zs, txt_owners_cb, &o);
	cr_assert_str_eq(o.s, "www.ex.test. mail.ex.test. www.ex.test. mail.ex.test.");
	zoneset_free(zs);
}

Test(zowner, a_new_name_is_stored_once_and_found_again)
{
	struct zoneset *zs = load();
	struct zone *z = zs->zones[0];
	size_t before = z->alen;
	struct diag d;
	struct owners o = {""};

	cr_assert_eq(zone_append_rr(zs, 0, fresh, sizeof(fresh), 16, 300, rd, sizeof(rd) - 1), 0);
	cr_assert_eq(zone_append_rr(zs, 0, www, sizeof(www), 16, 300, rd, sizeof(rd) - 1), 0);
	cr_assert_eq(zone_append_rr(zs, 0, fresh, sizeof(fresh), 16, 300, rd, sizeof(rd) - 1), 0);
	cr_assert_eq(z->alen - before, sizeof(fresh) + 3 * (sizeof(rd) - 1));
	diag_init(&d);
	cr_assert_eq(zoneset_finish(zs, &d), 0, "the set is served as it is");
	diag_free(&d);
	zoneset_foreach(zs, txt_owners_cb, &o);
	cr_assert_str_eq(o.s, "fresh.ex.test. www.ex.test. fresh.ex.test.");
	zoneset_free(zs);
}
