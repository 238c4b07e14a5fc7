/* tests/unit/test_lint.c -- the static mail-DNS lint: one test per mistake it finds, on zones
   built in memory with zoneset_add_text (file:line and mxcheck's code names checked). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>

#include "common/diag.h"
#include "server/fault.h"
#include "server/lint.h"
#include "server/zone.h"
#include "tests/support/support.h"

/* Header lines 1-4 of every test zone; records start on line 5. */
#define HEAD(origin)                                                                               \
	"$ORIGIN " origin "\n"                                                                     \
	"$TTL 300\n"                                                                               \
	"@ SOA ns.lab.test. hostmaster.lab.test. 1 3600 600 86400 300\n"                           \
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
		char name[32];
		snprintf(name, sizeof(name), "z%u", (unsigned)(i + 1) % 100);
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

/* The one problem a case must give. */
struct lint_want {
	char code[32];          /* its code */
	enum diag_severity sev; /* its severity */
	char file[4];           /* the zone it is reported in ("z1", "z2") */
	unsigned long line;     /* and the line */
	char msg[32];           /* a piece of its message, "" for any */
};

/* A mistake and the zones (z1..z3 in memory, "" for none) that must give it as their only
   problem. */
struct lint_case {
	char name[80];         /* the fact, named like the test it once was */
	struct lint_want want; /* the only problem expected */
	char zone[3][320];     /* zone texts loaded as z1, z2, z3; "" ends the list */
};

/* Zones that must lint clean. */
struct lint_clean {
	char name[80];     /* the fact, named like the test it once was */
	char zone[3][320]; /* zone texts loaded as z1, z2, z3; "" ends the list */
};

/* Lint the zones of the case called name into d; the returned count must be what d holds. */
static void
lint_zones(const char *name, const char (*zone)[320], struct diag *d)
{
	const char *z[4] = {NULL};
	size_t n = 0, got;

	for (size_t i = 0; i < 3 && zone[i][0]; i++)
		z[n++] = zone[i];
	got = lint_texts(d, z);
	cr_assert_eq(got, d->n, "%s: lint_zoneset returned %zu for %zu problems", name, got, d->n);
}

static struct lint_case mistakes[] = {
    {"mx_host_without_trailing_dot_gets_a_hint",
     {"mx-host-nxdomain", DIAG_ERROR, "z1", 5, "did you mean mx.example.test.?"},
     {HEAD("example.test.") "@ MX 10 mx.example.test\n"
                            "mx A 198.51.100.1\n"}},
    {"cname_target_without_trailing_dot_gets_a_hint",
     {"cname-dangling", DIAG_WARNING, "z1", 5, "did you mean www.example.test.?"},
     {HEAD("example.test.") "alias CNAME www.example.test\n"
                            "www A 198.51.100.1\n"}},
    {"mx_ip_literal_absolute",
     {"mx-ip-literal", DIAG_ERROR, "z1", 5, ""},
     {HEAD("example.test.") "@ MX 10 192.0.2.1.\n"}},
    {"mx_ip_literal_missing_trailing_dot",
     {"mx-ip-literal", DIAG_ERROR, "z1", 6, "trailing dot"},
     {HEAD("example.test.") "\n@ MX 10 192.0.2.1\n"}},
    {"mx_ipv6_literal",
     {"mx-ip-literal", DIAG_ERROR, "z1", 5, ""},
     {HEAD("example.test.") "@ MX 10 2001\\058db8\\058\\0581.\n"}},
    {"mx_bad_name",
     {"mx-bad-name", DIAG_ERROR, "z1", 5, ""},
     {HEAD("example.test.") "@ MX 10 mail_in\n"
                            "mail_in A 198.51.100.1\n"}},
    {"mx_duplicate",
     {"mx-duplicate", DIAG_WARNING, "z1", 6, ""},
     {HEAD("example.test.") "@ MX 10 mx\n"
                            "@ MX 20 mx\n"
                            "mx A 198.51.100.1\n"}},
    {"mx_cname",
     {"mx-cname", DIAG_WARNING, "z1", 5, ""},
     {HEAD("example.test.") "@ MX 10 mail\n"
                            "mail CNAME host\n"
                            "host A 198.51.100.1\n"}},
    {"mx_cname_into_another_served_zone",
     {"mx-cname", DIAG_WARNING, "z1", 5, ""},
     {HEAD("example.test.") "@ MX 10 mail\n"
                            "mail CNAME host.other.test.\n",
      HEAD("other.test.") "host A 198.51.100.1\n"}},
    {"mx_host_nxdomain",
     {"mx-host-nxdomain", DIAG_ERROR, "z1", 5, ""},
     {HEAD("example.test.") "@ MX 10 mial\n"
                            "mail A 198.51.100.1\n"}},
    {"mx_host_nodata",
     {"mx-host-nodata", DIAG_ERROR, "z1", 5, ""},
     {HEAD("example.test.") "@ MX 10 mx\n"
                            "mx TXT \"no address\"\n"}},
    {"null_mx_mixed",
     {"null-mx-mixed", DIAG_ERROR, "z1", 6, ""},
     {HEAD("example.test.") "@ MX 10 mx\n"
                            "@ MX 0 .\n"
                            "mx A 198.51.100.1\n"}},
    {"null_mx_with_a_preference_beside_a_real_mx_is_not_mixed",
     {"null-mx-bad-preference", DIAG_ERROR, "z1", 5, ""},
     {HEAD("example.test.") "@ MX 5 .\n"
                            "@ MX 10 mx\n"
                            "mx A 198.51.100.1\n"}},
    {"null_mx_bad_preference",
     {"null-mx-bad-preference", DIAG_ERROR, "z1", 5, ""},
     {HEAD("example.test.") "@ MX 10 .\n"}},
    {"mx_address_unroutable_points_at_the_address_record",
     {"mx-address-unroutable", DIAG_ERROR, "z1", 6, ""},
     {HEAD("example.test.") "@ MX 10 mx\n"
                            "mx A 127.0.0.1\n"}},
    {"mx_address_ipv4_mapped_loopback_is_unroutable",
     {"mx-address-unroutable", DIAG_ERROR, "z1", 6, ""},
     {HEAD("example.test.") "@ MX 10 mx\n"
                            "mx AAAA ::ffff:127.0.0.1\n"}},
    {"mx_address_ipv4_mapped_rfc1918_is_private",
     {"mx-address-private", DIAG_WARNING, "z1", 6, ""},
     {HEAD("example.test.") "@ MX 10 mx\n"
                            "mx AAAA ::ffff:10.0.0.1\n"}},
    {"mx_address_private",
     {"mx-address-private", DIAG_WARNING, "z1", 6, ""},
     {HEAD("example.test.") "@ MX 10 mx\n"
                            "mx A 10.1.2.3\n"}},
    {"mx_address_without_ptr_in_served_reverse_zone",
     {"ptr-missing", DIAG_WARNING, "z1", 7, ""},
     {HEAD("example.test.") "@ MX 10 mx\n"
                            "mx A 192.0.2.10\n"
                            "mx A 192.0.2.11\n",
      REV4("10 PTR mx.example.test.\n")}},
    {"ptr_not_mx_name_is_info",
     {"ptr-not-mx-name", DIAG_INFO, "z1", 6, ""},
     {HEAD("example.test.") "@ MX 10 mx\n"
                            "mx A 192.0.2.10\n"
                            "vps10 A 192.0.2.10\n",
      REV4("10 PTR vps10.example.test.\n")}},
    {"fcrdns_mismatch",
     {"fcrdns-mismatch", DIAG_ERROR, "z2", 7, ""},
     {HEAD("example.test.") "host A 192.0.2.99\n", REV4("\n\n7 PTR host.example.test.\n")}},
    {"fcrdns_mismatch_v6_name_with_only_an_a_record",
     {"fcrdns-mismatch", DIAG_ERROR, "z2", 5, ""},
     {HEAD("example.test.") "v4only A 192.0.2.99\n",
      REV6("0.4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0 PTR "
           "v4only.example.test.\n")}},
    {"ptr_target_nxdomain",
     {"ptr-target-nxdomain", DIAG_ERROR, "z2", 5, ""},
     {HEAD("example.test.") "host A 192.0.2.7\n", REV4("7 PTR gone.example.test.\n")}},
    {"ptr_numeric", {"ptr-numeric", DIAG_ERROR, "z1", 5, ""}, {REV4("7 PTR 192.0.2.7.\n")}},
    {"ptr_cname",
     {"ptr-cname", DIAG_WARNING, "z2", 5, ""},
     {HEAD("example.test.") "alias CNAME host\n"
                            "host A 192.0.2.7\n",
      REV4("7 PTR alias.example.test.\n")}},
    {"ptr_multiple_reported_once",
     {"ptr-multiple", DIAG_WARNING, "z2", 5, ""},
     {HEAD("example.test.") "a A 192.0.2.7\n"
                            "b A 192.0.2.7\n",
      REV4("7 PTR a.example.test.\n"
           "7 PTR b.example.test.\n")}},
    {"short_ip6_arpa_owner",
     {"ptr-missing", DIAG_WARNING, "z2", 5, "16 nibbles"},
     {HEAD("example.test.") "host AAAA 2001:db8:100::30\n",
      REV6("0.3.0.0.0.0.1.0 PTR host.example.test.\n")}},
    {"cname_dangling",
     {"cname-dangling", DIAG_WARNING, "z1", 5, ""},
     {HEAD("example.test.") "www CNAME server\n"}},
    {"ptr_not_mx_name_not_reported_when_fcrdns_fails",
     {"fcrdns-mismatch", DIAG_ERROR, "z2", 5, ""},
     {HEAD("example.test.") "@ MX 10 mx\n"
                            "mx A 192.0.2.10\n"
                            "other A 192.0.2.99\n",
      REV4("10 PTR other.example.test.\n"
           "99 PTR other.example.test.\n")}},
};

ParameterizedTestParameters(lint, each_mistake_is_the_only_problem_at_its_file_and_line)
{
	return cr_make_param_array(struct lint_case, mistakes,
	                           sizeof(mistakes) / sizeof(mistakes[0]));
}

ParameterizedTest(struct lint_case *c, lint, each_mistake_is_the_only_problem_at_its_file_and_line)
{
	struct diag d;
	long i;

	lint_zones(c->name, c->zone, &d);
	i = find(&d, c->want.code, c->want.file, c->want.line);
	if (i < 0 || d.n != 1)
		dump(&d);
	cr_assert_eq(d.n, 1, "%s: expected only %s, got %zu problems", c->name, c->want.code, d.n);
	cr_assert_geq(i, 0, "%s: expected %s at %s:%lu", c->name, c->want.code, c->want.file,
	              c->want.line);
	cr_assert_eq(d.v[i].severity, c->want.sev, "%s: %s has the wrong severity", c->name,
	             c->want.code);
	if (c->want.msg[0])
		cr_assert_not_null(strstr(d.v[i].msg, c->want.msg), "%s: '%s' lacks '%s'", c->name,
		                   d.v[i].msg, c->want.msg);
	diag_free(&d);
}

static struct lint_clean clean[] = {
    {"healthy_domain_is_clean",
     {HEAD("example.test.") "@ MX 10 mx\n"
                            "mx A 192.0.2.10\n"
                            "mx AAAA 2001:db8::10\n",
      REV4("10 PTR mx.example.test.\n"),
      REV6("0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 PTR "
           "mx.example.test.\n")}},
    {"mx_host_found_through_wildcard: a wildcard answers for the MX host",
     {HEAD("example.test.") "@ MX 10 mx.hosts\n"
                            "*.hosts A 198.51.100.1\n"}},
    {"mx_host_outside_served_zones_is_not_judged",
     {HEAD("example.test.") "@ MX 10 mx.elsewhere.example.\n"}},
    {"null_mx_alone_is_fine", {HEAD("example.test.") "@ MX 0 .\n"}},
    {"identical_mx_records_are_one_record: the server drops the copy",
     {HEAD("example.test.") "@ MX 10 mx\n"
                            "@ MX 10 mx\n"
                            "mx A 192.0.2.10\n",
      REV4("10 PTR mx.example.test.\n")}},
    {"ptr_target_outside_served_zones_is_not_judged", {REV4("7 PTR mail.elsewhere.example.\n")}},
};

ParameterizedTestParameters(lint, sound_or_unjudgeable_data_is_clean)
{
	return cr_make_param_array(struct lint_clean, clean, sizeof(clean) / sizeof(clean[0]));
}

ParameterizedTest(struct lint_clean *c, lint, sound_or_unjudgeable_data_is_clean)
{
	struct diag d;

	lint_zones(c->name, c->zone, &d);
	if (d.n)
		dump(&d);
	cr_assert_eq(d.n, 0, "%s: %zu problems, first %s", c->name, d.n, d.n ? d.v[0].code : "");
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

/* The lint on the bundled catalog: the exact set of codes per zone file; every file not
   listed (the healthy scenarios and those broken only by faults.conf) must be silent. */
static const struct {
	char file[48];
	char codes[120];
} bundled[] = {
    {"100.51.198.in-addr.arpa.zone",
     "fcrdns-mismatch,ptr-cname,ptr-multiple,ptr-numeric,ptr-target-nxdomain"},
    {"113.0.203.in-addr.arpa.zone", "fcrdns-mismatch"},
    {"8.b.d.0.1.0.0.2.ip6.arpa.zone", "fcrdns-mismatch,ptr-missing"},
    {"backup-only.test.zone", "mx-host-nxdomain"},
    {"dual-stack-v6-noptr.test.zone", "ptr-missing"},
    {"mx-bad-name.test.zone", "mx-bad-name"},
    {"mx-cname-chain.test.zone", "mx-cname"},
    {"mx-cname-dangling.test.zone", "cname-dangling,mx-cname,mx-host-nxdomain"},
    {"mx-cname-loop.test.zone", "cname-loop"},
    {"mx-cname-long.test.zone", "cname-loop"},
    {"1.zone", "ptr-missing"},
    {"mx-slash-name.test.zone", "mx-bad-name"},
    {"mx-zero-net.test.zone", "mx-address-unroutable"},
    {"mx-reserved.test.zone", "mx-address-unroutable"},
    {"mx-mapped-private.test.zone", "mx-address-private"},
    {"mx-cname.test.zone", "mx-cname"},
    {"mx-duplicate.test.zone", "mx-duplicate"},
    {"mx-host-nodata.test.zone", "mx-host-nodata"},
    {"mx-host-nxdomain.test.zone", "mx-host-nxdomain"},
    {"mx-ip-literal.test.zone", "mx-ip-literal"},
    {"mx-ip-nodot.test.zone", "mx-ip-literal"},
    {"mx-ip6-literal.test.zone", "mx-ip-literal"},
    {"mx-loopback.test.zone", "mx-address-unroutable"},
    {"mx-private.test.zone", "mx-address-private"},
    {"null-mx-mixed.test.zone", "null-mx-mixed"},
    {"null-mx-pref.test.zone", "null-mx-bad-preference"},
    {"null-mx-pref-mixed.test.zone", "null-mx-bad-preference"},
    {"ptr-not-mx-name.test.zone", "ptr-not-mx-name"},
    {"self-backup-stuck.test.zone", "mx-host-nxdomain"},
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

Test(lint, bundled_catalog_lints_exactly_the_broken_scenarios)
{
	struct zoneset *zs = zoneset_new();
	struct diag load, d;
	char pat[4096];
	glob_t g;
	size_t nfiles;

	diag_init(&load);
	diag_init(&d);
	snprintf(pat, sizeof(pat), "%s", test_src("zones/*.zone"));
	cr_assert_eq(glob(pat, 0, NULL, &g), 0, "no zone files at %s", pat);
	nfiles = g.gl_pathc;
	cr_assert_geq(nfiles, 45);
	for (size_t i = 0; i < g.gl_pathc; i++)
		cr_assert_eq(zoneset_add_file(zs, g.gl_pathv[i], &load), 0, "%s does not load",
		             g.gl_pathv[i]);
	cr_assert_eq(zoneset_finish(zs, &load), 0);
	cr_assert_eq(load.errors, 0);
	lint_zoneset(zs, &d);

	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *base = strrchr(g.gl_pathv[i], '/') + 1;
		const char *want = "-";
		char codes[32][32], got[1024] = "";
		size_t n = 0;

		for (size_t k = 0; k < sizeof(bundled) / sizeof(bundled[0]); k++)
			if (strcmp(bundled[k].file, base) == 0)
				want = bundled[k].codes;
		for (size_t k = 0; k < d.n && n < 32; k++) {
			bool dup = false;
			if (strcmp(d.v[k].file, g.gl_pathv[i]) != 0)
				continue;
			cr_assert_gt(d.v[k].line, 0);
			for (size_t m = 0; m < n; m++)
				dup = dup || strcmp(codes[m], d.v[k].code) == 0;
			if (!dup)
				snprintf(codes[n++], sizeof(codes[0]), "%s", d.v[k].code);
		}
		qsort(codes, n, sizeof(codes[0]), cmp_str);
		for (size_t m = 0; m < n; m++) {
			strcat(got, m ? "," : "");
			strcat(got, codes[m]);
		}
		if (n == 0)
			strcpy(got, "-");
		cr_expect_str_eq(got, want, "%s: lint found %s, expected %s", base, got, want);
	}
	globfree(&g);
	diag_free(&load);
	diag_free(&d);
	zoneset_free(zs);
}

Test(lint, per_server_copy_is_not_linted_as_a_served_zone)
{
	static const char zone[] = HEAD("copy.test.") "@ MX 10 mail\nmail A 192.0.2.25\n";
	static const char stale[] = HEAD("copy.test.") "@ MX 10 gone\n";
	struct zoneset *zs = zoneset_new();
	struct diag d;

	diag_init(&d);
	cr_assert_eq(zoneset_add_text(zs, "lab", lab_zone, &d), 0);
	cr_assert_eq(zoneset_add_text(zs, "copy", zone, &d), 0);
	cr_assert_eq(zoneset_add_text(zs, "copy@192.0.2.54", stale, &d), 0);
	zoneset_set_server(zs, 2, "192.0.2.54");
	cr_assert_eq(zoneset_finish(zs, &d), 0);
	diag_free(&d);
	diag_init(&d);
	lint_zoneset(zs, &d);
	cr_assert_eq(find(&d, "mx-host-nodata", NULL, 0), -1,
	             "the stale copy's MX host is that server's business, not a served mistake");
	cr_assert_eq(find(&d, "mx-host-nxdomain", NULL, 0), -1);
	diag_free(&d);
	zoneset_free(zs);
}

Test(lint, fault_rule_outside_every_served_zone_is_a_warning)
{
	struct zoneset *zs = zoneset_new();
	struct fault_rules *fr = fault_rules_new(1);
	struct diag d;
	char err[256];

	diag_init(&d);
	cr_assert_eq(zoneset_add_text(zs, "lab", lab_zone, &d), 0);
	cr_assert_eq(zoneset_finish(zs, &d), 0);
	cr_assert_eq(fault_rules_parse(fr, "faults.conf",
	                               "ns.lab.test. A drop\n"
	                               "# a comment line\n"
	                               "mx.elsewhere.test. MX drop\n"
	                               "*.test. * noaa\n"
	                               "*.nothere.example. * drop\n"
	                               "* * noaa\n",
	                               err, sizeof(err)),
	             0, "%s", err);
	cr_expect_eq(lint_rules(zs, fr, &d), 2);
	cr_expect_geq(find(&d, "rule-no-zone", "faults.conf", 3), 0, "mx.elsewhere.test.");
	cr_expect_geq(find(&d, "rule-no-zone", "faults.conf", 5), 0, "*.nothere.example.");
	cr_expect(strstr(d.v[0].msg, "rule matches no served zone") != NULL, "%s", d.v[0].msg);
	cr_expect_eq(d.v[0].severity, DIAG_WARNING);
	diag_free(&d);
	fault_rules_free(fr);
	zoneset_free(zs);
}
