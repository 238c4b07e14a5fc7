/* tests/e2e/test_world_check.c -- bin/mxlabd --check --world on the bundled catalog: the
   delegation lint is silent on zones/ (every zone on ns.lab.test) and finds each broken
   delegation of the lab world (zones/world/) at its file:line. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "tests/support/support.h"

static char out[1 << 17];

static const char *const world_codes[] = {"lame-delegation", "delegation-missing", "ns-no-address",
                                          "glue-missing",    "glue-mismatch",      "ns-mismatch",
                                          "ns-cname",        "ns-not-servable"};

Test(world_check, the_catalog_alone_has_no_delegation_findings)
{
	char zones[4096];
	const char *argv[] = {
	    test_bin("mxlabd"), "--check", "--world", "--allow-nonlocal", "-z", zones, NULL};

	snprintf(zones, sizeof(zones), "%s", test_src("zones"));
	test_run(argv, out, sizeof(out), 20000);
	for (size_t i = 0; i < sizeof(world_codes) / sizeof(world_codes[0]); i++) {
		char tag[64];
		snprintf(tag, sizeof(tag), "[%s]", world_codes[i]);
		cr_expect(strstr(out, tag) == NULL, "%s on the healthy catalog:\n%s", tag, out);
	}
}

Test(world_check, the_catalog_without_allow_nonlocal_is_not_servable)
{
	char zones[4096];
	const char *argv[] = {test_bin("mxlabd"), "--check", "--world", "-z", zones, NULL};

	snprintf(zones, sizeof(zones), "%s", test_src("zones"));
	cr_expect_eq(test_run(argv, out, sizeof(out), 20000), 2);
	cr_expect(strstr(out, "is at 192.0.2.53, which is not a loopback address") != NULL, "%s",
	          out);
	cr_expect(strstr(out, "[ns-not-servable]") != NULL, "%s", out);
}

/* Each broken world of zones/world/ and the finding it must give. */
static const struct {
	char where[64]; /* file:line */
	char code[32];  /* finding */
} expected[] = {
    {"world/deleg.test.zone:19:", "lame-delegation"}, /* half-lame: ns.hoster.test */
    {"world/deleg.test.zone:18:", "ns-mismatch"},     /* half-lame */
    {"world/deleg.test.zone:23:", "lame-delegation"}, /* full-lame */
    {"world/deleg.test.zone:44:", "glue-missing"},    /* glueless */
    {"world/deleg.test.zone:50:", "glue-mismatch"},   /* glue-diff */
    {"world/deleg.test.zone:53:", "ns-mismatch"},     /* ns-mismatch */
    {"world/deleg.test.zone:67:", "glue-missing"},    /* cycle-a */
    {"world/deleg.test.zone:68:", "glue-missing"},    /* cycle-b */
    {"world/deleg.test.zone:88:", "lame-delegation"}, /* lamehost */
    {"world/ns-unresolvable.deleg.test.zone:5:", "ns-no-address"},
    {"world/ns-cname.deleg.test.zone:6:", "ns-cname"},
    {"world/deleg.test.zone:63:", "ns-cname"},
};

Test(world_check, each_broken_world_gives_its_finding_at_its_line)
{
	char zones[4096], world[4096];
	const char *argv[] = {test_bin("mxlabd"),
	                      "--check",
	                      "--world",
	                      "--allow-nonlocal",
	                      "-z",
	                      zones,
	                      "-z",
	                      world,
	                      NULL};

	snprintf(zones, sizeof(zones), "%s", test_src("zones"));
	snprintf(world, sizeof(world), "%s", test_src("zones/world"));
	cr_expect_eq(test_run(argv, out, sizeof(out), 20000), 2);
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		bool found = false;
		char tag[64];
		snprintf(tag, sizeof(tag), "[%s]", expected[i].code);
		for (const char *p = strstr(out, expected[i].where); p && !found;
		     p = strstr(p + 1, expected[i].where)) {
			const char *eol = strchr(p, '\n');
			char line[2048];
			snprintf(line, sizeof(line), "%.*s", (int)(eol ? eol - p : (long)strlen(p)),
			         p);
			found = strstr(line, tag) != NULL;
		}
		cr_expect(found, "no %s at %s:\n%s", tag, expected[i].where, out);
	}
	/* the healthy child and the fault-rule worlds have none */
	cr_expect(strstr(out, "ok.deleg.test.zone:") == NULL, "%s", out);
	cr_expect(strstr(out, "of ok.deleg.test.") == NULL, "%s", out);
	cr_expect(strstr(out, "of one-silent.deleg.test.") == NULL, "%s", out);
}
