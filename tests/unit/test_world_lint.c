/* tests/unit/test_world_lint.c -- the delegation lint (mxlabd --check --world): each code on
   a small tree that has exactly that fault, with its file:line, and silence on a healthy tree. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "server/world_lint.h"
#include "server/zone.h"

/* A parent, p.test, served at 127.53.1.1, and a healthy child c.p.test at 127.53.2.1. */
#define PARENT_HEAD                                                                                \
	"$ORIGIN p.test.\n"                                                                        \
	"$TTL 300\n"                                                                               \
	"@ SOA ns hostmaster 1 3600 600 86400 300\n"                                               \
	"@ NS ns\n"                                                                                \
	"ns A 127.53.1.1\n"

static const char parent_ok[] = PARENT_HEAD "c NS ns.c\n" /* line 6 */
                                            "ns.c A 127.53.2.1\n";

static const char child_ok[] = "$ORIGIN c.p.test.\n"
                               "$TTL 300\n"
                               "@ SOA ns hostmaster 1 3600 600 86400 300\n"
                               "@ NS ns\n" /* line 4 */
                               "ns A 127.53.2.1\n"
                               "@ MX 10 ns\n";

/* A third server that serves only its own zone (the hoster). */
static const char hoster[] = "$ORIGIN h.test.\n"
                             "$TTL 300\n"
                             "@ SOA ns hostmaster 1 3600 600 86400 300\n"
                             "@ NS ns\n"
                             "ns A 127.53.3.1\n"
                             "alias CNAME ns.c.p.test.\n";

struct lint_run {
	struct diag d;      /* findings */
	struct zoneset *zs; /* the zones */
};

static void
run(struct lint_run *r, const char *parent, const char *child, bool allow)
{
	const char *texts[] = {parent, child, hoster};
	const char *names[] = {"p.zone", "c.zone", "h.zone"};

	diag_init(&r->d);
	r->zs = zoneset_new();
	for (size_t i = 0; i < 3; i++)
		if (texts[i])
			cr_assert_eq(zoneset_add_text(r->zs, names[i], texts[i], &r->d), 0, "%s",
			             r->d.n ? r->d.v[0].msg : "");
	cr_assert_eq(zoneset_finish(r->zs, &r->d), 0, "%s", r->d.n ? r->d.v[0].msg : "");
	/* the loader's own warnings (missing glue) are not the lint's */
	diag_free(&r->d);
	diag_init(&r->d);
	world_lint(r->zs, allow, &r->d);
}

static void
done(struct lint_run *r)
{
	diag_free(&r->d);
	zoneset_free(r->zs);
}

/* How many findings with code; the first one's file:line in where. */
static size_t
count(const struct lint_run *r, const char *code, char *where, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < r->d.n; i++)
		if (strcmp(r->d.v[i].code, code) == 0 && n++ == 0 && where)
			snprintf(where, len, "%s:%lu", r->d.v[i].file, r->d.v[i].line);
	return n;
}

static const char *
all(const struct lint_run *r)
{
	static char buf[4096];
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->d.n && used < sizeof(buf); i++)
		used +=
		    (size_t)snprintf(buf + used, sizeof(buf) - used, "%s:%lu [%s] %s\n",
		                     r->d.v[i].file, r->d.v[i].line, r->d.v[i].code, r->d.v[i].msg);
	return buf;
}

Test(world_lint, healthy_tree_is_silent)
{
	struct lint_run r;

	run(&r, parent_ok, child_ok, false);
	cr_expect_eq(r.d.n, 0, "findings on a healthy tree:\n%s", all(&r));
	done(&r);
}

Test(world_lint, lame_delegation_names_the_parent_ns_line)
{
	static const char parent[] = PARENT_HEAD "c NS ns.c\n"
	                                         "c NS ns.h.test.\n" /* line 7 */
	                                         "ns.c A 127.53.2.1\n";
	struct lint_run r;
	char where[300] = "";

	run(&r, parent, child_ok, false);
	cr_expect_eq(count(&r, "lame-delegation", where, sizeof(where)), 1, "%s", all(&r));
	cr_expect_str_eq(where, "p.zone:7");
	done(&r);
}

Test(world_lint, delegation_missing_when_the_parent_has_no_ns_for_a_served_child)
{
	struct lint_run r;
	char where[300] = "";

	run(&r, PARENT_HEAD, child_ok, false);
	cr_expect_eq(count(&r, "delegation-missing", where, sizeof(where)), 1, "%s", all(&r));
	cr_expect_str_eq(where, "c.zone:3");
	done(&r);
}

Test(world_lint, ns_no_address_for_a_name_nothing_resolves)
{
	static const char child[] = "$ORIGIN c.p.test.\n"
	                            "$TTL 300\n"
	                            "@ SOA ns hostmaster 1 3600 600 86400 300\n"
	                            "@ NS ns.nowhere.h.test.\n"; /* line 4 */
	static const char parent[] = PARENT_HEAD "c NS ns.nowhere.h.test.\n";
	struct lint_run r;
	char where[300] = "";

	run(&r, parent, child, false);
	cr_expect_eq(count(&r, "ns-no-address", where, sizeof(where)), 1, "%s", all(&r));
	cr_expect_str_eq(where, "c.zone:4");
	done(&r);
}

Test(world_lint, glue_missing_for_an_in_bailiwick_ns)
{
	static const char parent[] = PARENT_HEAD "c NS ns.c\n"; /* line 6, no glue */
	struct lint_run r;
	char where[300] = "";

	run(&r, parent, child_ok, false);
	cr_expect_eq(count(&r, "glue-missing", where, sizeof(where)), 1, "%s", all(&r));
	cr_expect_str_eq(where, "p.zone:6");
	done(&r);
}

Test(world_lint, glue_mismatch_points_at_the_glue_line)
{
	static const char parent[] = PARENT_HEAD "c NS ns.c\n"
	                                         "ns.c A 127.53.2.9\n"; /* line 7 */
	struct lint_run r;
	char where[300] = "";

	run(&r, parent, child_ok, false);
	cr_expect_eq(count(&r, "glue-mismatch", where, sizeof(where)), 1, "%s", all(&r));
	cr_expect_str_eq(where, "p.zone:7");
	/* the old address serves nothing: that NS is lame too */
	cr_expect_eq(count(&r, "lame-delegation", NULL, 0), 1, "%s", all(&r));
	done(&r);
}

Test(world_lint, ns_mismatch_when_parent_and_child_name_different_servers)
{
	static const char child[] = "$ORIGIN c.p.test.\n"
	                            "$TTL 300\n"
	                            "@ SOA ns hostmaster 1 3600 600 86400 300\n"
	                            "@ NS ns\n"
	                            "@ NS ns2\n"
	                            "ns A 127.53.2.1\n"
	                            "ns2 A 127.53.2.2\n";
	struct lint_run r;
	char where[300] = "";

	run(&r, parent_ok, child, false);
	cr_expect_eq(count(&r, "ns-mismatch", where, sizeof(where)), 1, "%s", all(&r));
	cr_expect_str_eq(where, "p.zone:6");
	cr_expect_eq(count(&r, "lame-delegation", NULL, 0), 0, "%s", all(&r));
	done(&r);
}

Test(world_lint, ns_cname_when_an_ns_name_is_an_alias)
{
	static const char child[] = "$ORIGIN c.p.test.\n"
	                            "$TTL 300\n"
	                            "@ SOA ns hostmaster 1 3600 600 86400 300\n"
	                            "@ NS ns\n"
	                            "@ NS alias.h.test.\n" /* line 5 */
	                            "ns A 127.53.2.1\n";
	static const char parent[] = PARENT_HEAD "c NS ns.c\n"
	                                         "c NS alias.h.test.\n"
	                                         "ns.c A 127.53.2.1\n";
	struct lint_run r;
	char where[300] = "";

	run(&r, parent, child, false);
	/* at the zone's own NS line and at the parent's */
	cr_expect_eq(count(&r, "ns-cname", where, sizeof(where)), 2, "%s", all(&r));
	cr_expect_str_eq(where, "c.zone:5");
	done(&r);
}

Test(world_lint, ns_not_servable_unless_nonlocal_is_allowed)
{
	static const char parent[] = PARENT_HEAD "c NS ns.c\n"
	                                         "ns.c A 192.0.2.53\n";
	static const char child[] = "$ORIGIN c.p.test.\n"
	                            "$TTL 300\n"
	                            "@ SOA ns hostmaster 1 3600 600 86400 300\n"
	                            "@ NS ns\n" /* line 4 */
	                            "ns A 192.0.2.53\n";
	struct lint_run r;
	char where[300] = "";

	run(&r, parent, child, false);
	cr_expect_eq(count(&r, "ns-not-servable", where, sizeof(where)), 1, "%s", all(&r));
	cr_expect_str_eq(where, "c.zone:4");
	done(&r);
	run(&r, parent, child, true);
	cr_expect_eq(r.d.n, 0, "with --allow-nonlocal:\n%s", all(&r));
	done(&r);
}

Test(world_lint, sibling_ns_without_glue_is_glue_missing)
{
	/* c.p.test is served by a name inside its sibling s.p.test, with no glue in p.test */
	static const char parent[] = PARENT_HEAD "c NS ns.s\n" /* line 6 */
	                                         "s NS ns.c\n"
	                                         "ns.c A 127.53.2.1\n";
	static const char child[] = "$ORIGIN c.p.test.\n"
	                            "$TTL 300\n"
	                            "@ SOA ns hostmaster 1 3600 600 86400 300\n"
	                            "@ NS ns.s.p.test.\n"
	                            "ns A 127.53.2.1\n";
	static const char sib[] = "$ORIGIN s.p.test.\n"
	                          "$TTL 300\n"
	                          "@ SOA ns hostmaster 1 3600 600 86400 300\n"
	                          "@ NS ns.c.p.test.\n"
	                          "ns A 127.53.4.1\n";
	struct lint_run r;
	struct diag d;
	char where[300] = "";

	diag_init(&r.d);
	r.zs = zoneset_new();
	cr_assert_eq(zoneset_add_text(r.zs, "p.zone", parent, &r.d), 0);
	cr_assert_eq(zoneset_add_text(r.zs, "c.zone", child, &r.d), 0);
	cr_assert_eq(zoneset_add_text(r.zs, "s.zone", sib, &r.d), 0);
	cr_assert_eq(zoneset_finish(r.zs, &r.d), 0);
	diag_init(&d);
	world_lint(r.zs, false, &d);
	diag_free(&r.d);
	r.d = d;
	cr_expect_geq(count(&r, "glue-missing", where, sizeof(where)), 1, "%s", all(&r));
	cr_expect_str_eq(where, "p.zone:6");
	done(&r);
}
