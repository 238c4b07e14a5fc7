/* tests/unit/test_lint.c -- the static mail-DNS lint: one test per mistake it finds, on zones
   built in memory with zoneset_add_text (file:line and mxcheck's code names checked). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/diag.h"
#include "server/lint.h"
#include "server/zone.h"

/* Header lines 1-4 of every test zone; records start on line 5. */
#define HEAD(origin)                                                                              \
	"$ORIGIN " origin "\n"                                                                    \
	"$TTL 300\n"                                                                              \
	"@ SOA ns.lab.test. hostmaster.lab.test. 1 3600 600 86400 300\n"                          \
	"@ NS ns.lab.test.\n"

static const char lab_zone[] = HEAD("lab.test.") "ns A 192.0.2.53\n";

/* Reverse zone for 192.0.2.0/24 with the given records after the header. */
#define REV4(body) HEAD("2.0.192.in-addr.arpa.") body
#define REV6(body) HEAD("8.b.d.0.1.0.0.2.ip6.arpa.") body

/* Load the zones (name "zN" for the Nth text), finish the set and lint it into d. */
static size_t
lint_texts(struct diag *d, const char *const texts[])
{
	struct zoneset *zs = zoneset_new();
	struct diag load;
	size_t n;

	diag_init(&load);
	cr_assert_not_null(zs);
	cr_assert_eq(zoneset_add_text(zs, "lab", lab_zone, &load), 0);
	for (size_t i = 0; texts[i]; i++) {
		char name[16];
		snprintf(name, sizeof(name), "z%zu", i + 1);
		if (zoneset_add_text(zs, name, texts[i], &load) != 0) {
			diag_print(&load, stderr);
			cr_assert_fail("zone %s did not load", name);
		}
	}
	if (zoneset_finish(zs, &load) != 0) {
		diag_print(&load, stderr);
		cr_assert_fail("zoneset_finish failed");
	}
	diag_free(&load);
	diag_init(d);
	n = lint_zoneset(zs, d);
	zoneset_free(zs);
	return n;
}

/* Index of the entry with code (and, when file is not NULL, that file and line), or -1. */
static long
find(const struct diag *d, const char *code, const char *file, unsigned long line)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->v[i].code, code) == 0 &&
		    (file == NULL || (strcmp(d->v[i].file, file) == 0 && d->v[i].line == line)))
			return (long)i;
	return -1;
}

static void
dump(const struct diag *d)
{
	diag_print(d, stderr);
}

/* Assert exactly one problem, with that code, severity, file and line. */
static void
expect_only(const struct diag *d, const char *code, enum diag_severity sev, const char *file,
	    unsigned long line)
{
	long i = find(d, code, file, line);
	if (i < 0 || d->n != 1)
		dump(d);
	cr_assert_eq(d->n, 1, "expected only %s, got %zu problems", code, d->n);
	cr_assert_geq(i, 0, "expected %s at %s:%lu", code, file, line);
	cr_assert_eq(d->v[i].severity, sev, "%s has the wrong severity", code);
}

Test(lint, healthy_domain_is_clean)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "@ MX 10 mx\n"
						       "mx A 192.0.2.10\n"
						       "mx AAAA 2001:db8::10\n",
				 REV4("10 PTR mx.example.test.\n"),
				 REV6("0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 PTR "
				      "mx.example.test.\n"),
				 NULL};

	cr_assert_eq(lint_texts(&d, z), 0);
	if (d.n)
		dump(&d);
	cr_assert_eq(d.n, 0);
	diag_free(&d);
}

Test(lint, mx_ip_literal_absolute)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "@ MX 10 192.0.2.1.\n", NULL};

	cr_assert_eq(lint_texts(&d, z), 1);
	expect_only(&d, "mx-ip-literal", DIAG_ERROR, "z1", 5);
	diag_free(&d);
}

Test(lint, mx_ip_literal_missing_trailing_dot)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "\n@ MX 10 192.0.2.1\n", NULL};

	lint_texts(&d, z);
	expect_only(&d, "mx-ip-literal", DIAG_ERROR, "z1", 6);
	cr_assert_not_null(strstr(d.v[0].msg, "trailing dot"), "%s", d.v[0].msg);
	diag_free(&d);
}

Test(lint, mx_ipv6_literal)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "@ MX 10 2001:db8::1.\n", NULL};

	lint_texts(&d, z);
	expect_only(&d, "mx-ip-literal", DIAG_ERROR, "z1", 5);
	diag_free(&d);
}

Test(lint, mx_bad_name)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "@ MX 10 mail_in\n"
						       "mail_in A 198.51.100.1\n",
				 NULL};

	lint_texts(&d, z);
	expect_only(&d, "mx-bad-name", DIAG_ERROR, "z1", 5);
	diag_free(&d);
}

Test(lint, mx_duplicate)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "@ MX 10 mx\n"
						       "@ MX 20 mx\n"
						       "mx A 198.51.100.1\n",
				 NULL};

	lint_texts(&d, z);
	expect_only(&d, "mx-duplicate", DIAG_WARNING, "z1", 6);
	diag_free(&d);
}

Test(lint, mx_cname)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "@ MX 10 mail\n"
						       "mail CNAME host\n"
						       "host A 198.51.100.1\n",
				 NULL};

	lint_texts(&d, z);
	expect_only(&d, "mx-cname", DIAG_WARNING, "z1", 5);
	diag_free(&d);
}

Test(lint, mx_cname_into_another_served_zone)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "@ MX 10 mail\n"
						       "mail CNAME host.other.test.\n",
				 HEAD("other.test.") "host A 198.51.100.1\n", NULL};

	lint_texts(&d, z);
	expect_only(&d, "mx-cname", DIAG_WARNING, "z1", 5);
	diag_free(&d);
}

Test(lint, mx_host_nxdomain)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "@ MX 10 mial\n"
						       "mail A 198.51.100.1\n",
				 NULL};

	lint_texts(&d, z);
	expect_only(&d, "mx-host-nxdomain", DIAG_ERROR, "z1", 5);
	diag_free(&d);
}

Test(lint, mx_host_nodata)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "@ MX 10 mx\n"
						       "mx TXT \"no address\"\n",
				 NULL};

	lint_texts(&d, z);
	expect_only(&d, "mx-host-nodata", DIAG_ERROR, "z1", 5);
	diag_free(&d);
}

Test(lint, mx_host_found_through_wildcard)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "@ MX 10 mx.hosts\n"
						       "*.hosts A 198.51.100.1\n",
				 NULL};

	lint_texts(&d, z);
	if (d.n)
		dump(&d);
	cr_assert_eq(d.n, 0, "a wildcard answers for the MX host");
	diag_free(&d);
}

Test(lint, mx_host_outside_served_zones_is_not_judged)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "@ MX 10 mx.elsewhere.example.\n", NULL};

	lint_texts(&d, z);
	cr_assert_eq(d.n, 0);
	diag_free(&d);
}

Test(lint, null_mx_alone_is_fine)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "@ MX 0 .\n", NULL};

	lint_texts(&d, z);
	cr_assert_eq(d.n, 0);
	diag_free(&d);
}

Test(lint, null_mx_mixed)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "@ MX 10 mx\n"
						       "@ MX 0 .\n"
						       "mx A 198.51.100.1\n",
				 NULL};

	lint_texts(&d, z);
	expect_only(&d, "null-mx-mixed", DIAG_ERROR, "z1", 6);
	diag_free(&d);
}

Test(lint, null_mx_bad_preference)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "@ MX 10 .\n", NULL};

	lint_texts(&d, z);
	expect_only(&d, "null-mx-bad-preference", DIAG_ERROR, "z1", 5);
	diag_free(&d);
}

Test(lint, mx_address_unroutable_points_at_the_address_record)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "@ MX 10 mx\n"
						       "mx A 127.0.0.1\n",
				 NULL};

	lint_texts(&d, z);
	expect_only(&d, "mx-address-unroutable", DIAG_ERROR, "z1", 6);
	diag_free(&d);
}

Test(lint, mx_address_private)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "@ MX 10 mx\n"
						       "mx A 10.1.2.3\n",
				 NULL};

	lint_texts(&d, z);
	expect_only(&d, "mx-address-private", DIAG_WARNING, "z1", 6);
	diag_free(&d);
}

Test(lint, mx_address_without_ptr_in_served_reverse_zone)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "@ MX 10 mx\n"
						       "mx A 192.0.2.10\n"
						       "mx A 192.0.2.11\n",
				 REV4("10 PTR mx.example.test.\n"), NULL};

	lint_texts(&d, z);
	expect_only(&d, "ptr-missing", DIAG_WARNING, "z1", 7);
	diag_free(&d);
}

Test(lint, ptr_not_mx_name_is_info)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "@ MX 10 mx\n"
						       "mx A 192.0.2.10\n"
						       "vps10 A 192.0.2.10\n",
				 REV4("10 PTR vps10.example.test.\n"), NULL};

	lint_texts(&d, z);
	expect_only(&d, "ptr-not-mx-name", DIAG_INFO, "z1", 6);
	diag_free(&d);
}

Test(lint, fcrdns_mismatch)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "host A 192.0.2.99\n",
				 REV4("\n\n7 PTR host.example.test.\n"), NULL};

	lint_texts(&d, z);
	expect_only(&d, "fcrdns-mismatch", DIAG_ERROR, "z2", 7);
	diag_free(&d);
}

Test(lint, fcrdns_mismatch_v6_name_with_only_an_a_record)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "v4only A 192.0.2.99\n",
				 REV6("0.4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0 PTR "
				      "v4only.example.test.\n"),
				 NULL};

	lint_texts(&d, z);
	expect_only(&d, "fcrdns-mismatch", DIAG_ERROR, "z2", 5);
	diag_free(&d);
}

Test(lint, ptr_target_nxdomain)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "host A 192.0.2.7\n",
				 REV4("7 PTR gone.example.test.\n"), NULL};

	lint_texts(&d, z);
	expect_only(&d, "ptr-target-nxdomain", DIAG_ERROR, "z2", 5);
	diag_free(&d);
}

Test(lint, ptr_target_outside_served_zones_is_not_judged)
{
	struct diag d;
	const char *const z[] = {REV4("7 PTR mail.elsewhere.example.\n"), NULL};

	lint_texts(&d, z);
	cr_assert_eq(d.n, 0);
	diag_free(&d);
}

Test(lint, ptr_numeric)
{
	struct diag d;
	const char *const z[] = {REV4("7 PTR 192.0.2.7.\n"), NULL};

	lint_texts(&d, z);
	expect_only(&d, "ptr-numeric", DIAG_ERROR, "z1", 5);
	diag_free(&d);
}

Test(lint, ptr_cname)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "alias CNAME host\n"
						       "host A 192.0.2.7\n",
				 REV4("7 PTR alias.example.test.\n"), NULL};

	lint_texts(&d, z);
	expect_only(&d, "ptr-cname", DIAG_WARNING, "z2", 5);
	diag_free(&d);
}

Test(lint, ptr_multiple_reported_once)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "a A 192.0.2.7\n"
						       "b A 192.0.2.7\n",
				 REV4("7 PTR a.example.test.\n"
				      "7 PTR b.example.test.\n"),
				 NULL};

	lint_texts(&d, z);
	expect_only(&d, "ptr-multiple", DIAG_WARNING, "z2", 5);
	diag_free(&d);
}

Test(lint, short_ip6_arpa_owner)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "host AAAA 2001:db8:100::30\n",
				 REV6("0.3.0.0.0.0.1.0 PTR host.example.test.\n"), NULL};

	lint_texts(&d, z);
	expect_only(&d, "ptr-missing", DIAG_WARNING, "z2", 5);
	cr_assert_not_null(strstr(d.v[0].msg, "8 nibbles"), "%s", d.v[0].msg);
	diag_free(&d);
}

Test(lint, cname_loop_reported_on_each_link_and_on_the_mx)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "@ MX 10 mail\n"
						       "mail CNAME smtp\n"
						       "smtp CNAME mail\n",
				 NULL};

	lint_texts(&d, z);
	if (d.n != 3)
		dump(&d);
	cr_assert_eq(d.n, 3);
	cr_assert_geq(find(&d, "cname-loop", "z1", 5), 0);
	cr_assert_geq(find(&d, "cname-loop", "z1", 6), 0);
	cr_assert_geq(find(&d, "cname-loop", "z1", 7), 0);
	cr_assert_eq(d.errors, 3);
	diag_free(&d);
}

Test(lint, cname_dangling)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "www CNAME server\n", NULL};

	lint_texts(&d, z);
	expect_only(&d, "cname-dangling", DIAG_WARNING, "z1", 5);
	diag_free(&d);
}

Test(lint, diagnostics_come_in_file_and_line_order)
{
	struct diag d;
	const char *const z[] = {HEAD("example.test.") "www CNAME server\n"
						       "@ MX 10 192.0.2.1.\n"
						       "@ MX 20 nohost\n",
				 NULL};

	lint_texts(&d, z);
	cr_assert_eq(d.n, 3);
	for (size_t i = 1; i < d.n; i++)
		cr_assert_lt(d.v[i - 1].line, d.v[i].line);
	diag_free(&d);
}
