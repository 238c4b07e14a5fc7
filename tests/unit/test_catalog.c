/* tests/unit/test_catalog.c -- the scenario catalog: parsing catalog.tsv, a scenario's scope
   and which fault rules belong to it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "server/catalog.h"
#include "server/zone.h"

Test(catalog, lines_become_entries_with_dashes_as_empty)
{
	struct catalog c;
	char err[256];
	const char text[] =
	    "#target\tflags\tverdict\tcodes\ttitle\n"
	    "healthy.test\t-\tdeliver\t-\tAll good\n"
	    "\n"
	    "host-timeout.test\t-t 300 -r 0\ttempfail\tdns-timeout,mx-host-tempfail\t"
	    "Lookups time out\n";

	cr_assert_eq(catalog_parse(&c, "catalog.tsv", text, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.n, 2);
	cr_expect_str_eq(c.v[0].target, "healthy.test");
	cr_expect_str_eq(c.v[0].flags, "");
	cr_expect_str_eq(c.v[0].codes, "");
	cr_expect_str_eq(c.v[0].title, "All good");
	cr_expect_eq(c.v[0].line, 2);
	cr_expect_str_eq(c.v[1].flags, "-t 300 -r 0");
	cr_expect_str_eq(c.v[1].verdict, "tempfail");
	cr_expect_str_eq(c.v[1].codes, "dns-timeout,mx-host-tempfail");
	cr_expect_eq(c.v[1].line, 4);
	catalog_free(&c);
}

Test(catalog, a_short_line_is_an_error_naming_file_and_line)
{
	struct catalog c;
	char err[256];

	cr_assert_eq(catalog_parse(&c, "zones/catalog.tsv",
	                           "a.test\t-\tdeliver\t-\tok\nb.test\tdeliver\n", err,
	                           sizeof(err)),
	             -1);
	cr_expect_not_null(strstr(err, "zones/catalog.tsv:2:"), "%s", err);
	cr_expect_null(c.v);
}

Test(catalog, the_bundled_catalog_parses)
{
	struct catalog c;
	char err[512], path[4200], text[65536];
	const char *src = getenv("MXLAB_SRC_DIR");
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/zones/catalog.tsv", src ? src : ".");
	fp = fopen(path, "r");
	cr_assert_not_null(fp, "%s", path);
	n = fread(text, 1, sizeof(text) - 1, fp);
	text[n] = '\0';
	fclose(fp);
	cr_assert_eq(catalog_parse(&c, path, text, err, sizeof(err)), 0, "%s", err);
	cr_expect_gt(c.n, 40);
	catalog_free(&c);
}

Test(catalog, an_ip_scenario_is_scoped_to_its_reverse_name_exactly)
{
	char scope[256];
	bool exact;

	catalog_scope("198.51.100.50", NULL, scope, sizeof(scope), &exact);
	cr_expect_str_eq(scope, "50.100.51.198.in-addr.arpa.");
	cr_expect(exact);
	cr_expect(
	    catalog_rule_in_scope("50.100.51.198.in-addr.arpa. PTR rcode=SERVFAIL", scope, exact));
	cr_expect_not(catalog_rule_in_scope("52.100.51.198.in-addr.arpa. PTR drop", scope, exact));
	catalog_scope("2001:db8:100::30", NULL, scope, sizeof(scope), &exact);
	cr_expect_str_eq(
	    scope, "0.3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.8.b.d.0.1.0.0.2.ip6.arpa.");
}

Test(catalog, a_domain_scenario_is_scoped_to_its_deepest_served_zone)
{
	struct zoneset *zs = zoneset_new();
	struct diag d;
	char scope[256];
	bool exact;

	diag_init(&d);
	cr_assert_eq(zoneset_add_text(zs, "a.zone",
	                              "$ORIGIN domain-cname.test.\n$TTL 300\n"
	                              "@ SOA ns hm 1 1 1 1 1\n@ NS ns\nns A 192.0.2.1\n"
	                              "www CNAME @\n",
	                              &d),
	             0);
	cr_assert_eq(zoneset_finish(zs, &d), 0);
	catalog_scope("www.Domain-CNAME.test", zs, scope, sizeof(scope), &exact);
	cr_expect_str_eq(scope, "domain-cname.test.");
	cr_expect_not(exact);
	cr_expect(catalog_rule_in_scope("domain-cname.test. MX rcode=SERVFAIL", scope, exact));
	cr_expect(catalog_rule_in_scope("mx1.Domain-Cname.test. * drop", scope, exact));
	cr_expect(catalog_rule_in_scope("*.domain-cname.test. A drop", scope, exact));
	cr_expect_not(catalog_rule_in_scope("other-domain-cname.test. MX drop", scope, exact));
	cr_expect_not(catalog_rule_in_scope("* * drop", scope, exact));
	/* not served: the target itself */
	catalog_scope("nowhere.test", zs, scope, sizeof(scope), &exact);
	cr_expect_str_eq(scope, "nowhere.test.");
	zoneset_free(zs);
	diag_free(&d);
}
