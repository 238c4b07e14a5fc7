/* tests/unit/test_resolver.c -- the resolver configurations mxlabd --world writes: the text of
   each (listening, hints, anchors, loopback authorities, built-in local zones, lab timers),
   the hints written beside the configuration, and the installed checkers accepting them. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/resolver.h"
#include "server/world.h"
#include "server/zone.h"
#include "tests/support/support.h"

static const char zone_mail[] = "$ORIGIN mail.test.\n"
                                "$TTL 300\n"
                                "@ SOA ns hostmaster 1 3600 600 86400 300\n"
                                "@ NS ns\n"
                                "ns A 192.0.2.53\n"
                                "@ MX 10 mx\n"
                                "mx A 192.0.2.10\n";

static const char zone_rev[] = "$ORIGIN 2.0.192.in-addr.arpa.\n"
                               "$TTL 300\n"
                               "@ SOA ns.mail.test. hostmaster.mail.test. 1 3600 600 86400 300\n"
                               "@ NS ns.mail.test.\n"
                               "10 PTR mx.mail.test.\n";

static const char zone_example[] = "$ORIGIN example.com.\n"
                                   "$TTL 300\n"
                                   "@ SOA ns hostmaster 1 3600 600 86400 300\n"
                                   "@ NS ns\n"
                                   "ns A 127.53.9.1\n";

static struct zoneset *
load(const char *const *texts, size_t n)
{
	struct zoneset *zs = zoneset_new();
	struct diag d;

	diag_init(&d);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(zoneset_add_text(zs, "t.zone", texts[i], &d), 0);
	cr_assert_eq(zoneset_finish(zs, &d), 0);
	diag_free(&d);
	return zs;
}

/* The text of kind over zs with o (caller frees). */
static char *
conf_text(enum resolver_kind kind, const struct zoneset *zs, const struct resolver_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	cr_assert_not_null(fp);
	resolver_conf_print(kind, zs, o, fp);
	fclose(fp);
	return buf;
}

static const struct resolver_opts plain = {
    .hints = "/lab/root.hints", .dir = "/lab", .anchor = NULL, .unbound_discard = false};

Test(resolver, unbound_listens_on_localhost_53_and_queries_loopback_authorities)
{
	const char *t[] = {zone_mail};
	struct zoneset *zs = load(t, 1);
	char *c = conf_text(RESOLVER_UNBOUND, zs, &plain);

	cr_expect(strstr(c, "\n    interface: 127.0.0.1\n"), "%s", c);
	cr_expect(strstr(c, "\n    port: 53\n"));
	cr_expect(strstr(c, "\n    do-not-query-localhost: no\n"));
	cr_expect(strstr(c, "\n    root-hints: \"/lab/root.hints\"\n"));
	cr_expect(strstr(c, "\n    infra-cache-max-rtt: 1000\n"));
	cr_expect(strstr(c, "\n    module-config: \"iterator\"\n"));
	cr_expect(strstr(c, "trust-anchor") == NULL, "no anchor without --trust-anchor:\n%s", c);
	cr_expect(strstr(c, "\n    cache-max-ttl: 60\n"));
	free(c);
	zoneset_free(zs);
}

Test(resolver, unbound_turns_off_exactly_the_builtin_zones_that_hide_served_ones)
{
	const char *t[] = {zone_mail, zone_rev, zone_example};
	struct zoneset *zs = load(t, 3);
	char *c = conf_text(RESOLVER_UNBOUND, zs, &plain);

	cr_expect(strstr(c, "\n    local-zone: \"test.\" nodefault\n"), "%s", c);
	cr_expect(strstr(c, "\n    local-zone: \"2.0.192.in-addr.arpa.\" nodefault\n"));
	cr_expect(strstr(c, "\"invalid.\"") == NULL, "invalid. serves nothing here:\n%s", c);
	cr_expect(strstr(c, "\"100.51.198.in-addr.arpa.\"") == NULL);
	cr_expect(strstr(c, "example.com") == NULL, "example.com. is no built-in zone");
	free(c);
	zoneset_free(zs);
}

Test(resolver, builtin_zone_below_a_served_zone_is_turned_off_too)
{
	static const char zone_arpa[] = "$ORIGIN ip6.arpa.\n"
	                                "$TTL 300\n"
	                                "@ SOA ns.mail.test. h.mail.test. 1 3600 600 86400 300\n"
	                                "@ NS ns.mail.test.\n";
	const char *t[] = {zone_mail, zone_arpa};
	struct zoneset *zs = load(t, 2);
	char *c = conf_text(RESOLVER_UNBOUND, zs, &plain);

	cr_expect(strstr(c, "\"d.f.ip6.arpa.\" nodefault"), "%s", c);
	cr_expect(strstr(c, "\"8.b.d.0.1.0.0.2.ip6.arpa.\" nodefault"));
	cr_expect(strstr(c, "\"10.in-addr.arpa.\"") == NULL);
	free(c);
	zoneset_free(zs);
}

Test(resolver, unbound_validates_only_with_an_anchor)
{
	const char *t[] = {zone_mail};
	struct zoneset *zs = load(t, 1);
	struct resolver_opts o = plain;
	char *c;

	o.anchor = "/lab/root.ds";
	c = conf_text(RESOLVER_UNBOUND, zs, &o);
	cr_expect(strstr(c, "\n    module-config: \"validator iterator\"\n"), "%s", c);
	cr_expect(strstr(c, "\n    trust-anchor-file: \"/lab/root.ds\"\n"));
	free(c);
	zoneset_free(zs);
}

Test(resolver, unbound_discard_timeout_only_where_the_build_knows_it)
{
	const char *t[] = {zone_mail};
	struct zoneset *zs = load(t, 1);
	struct resolver_opts o = plain;
	char *c = conf_text(RESOLVER_UNBOUND, zs, &o);

	cr_expect(strstr(c, "\n    discard-timeout: 0\n") == NULL, "%s", c);
	cr_expect(strstr(c, "\n    wait-limit: 0\n") == NULL);
	free(c);
	o.unbound_discard = true;
	c = conf_text(RESOLVER_UNBOUND, zs, &o);
	cr_expect(strstr(c, "\n    discard-timeout: 0\n"), "%s", c);
	cr_expect(strstr(c, "\n    wait-limit: 0\n"));
	free(c);
	zoneset_free(zs);
}

Test(resolver, bind_uses_the_hints_without_empty_zones_or_validation)
{
	const char *t[] = {zone_mail, zone_rev};
	struct zoneset *zs = load(t, 2);
	char *c = conf_text(RESOLVER_BIND, zs, &plain);

	cr_expect(strstr(c, "listen-on port 53 { 127.0.0.1; };"), "%s", c);
	cr_expect(strstr(c, "empty-zones-enable no;"));
	cr_expect(strstr(c, "dnssec-validation no;"));
	cr_expect(strstr(c, "zone \".\" {\n    type hint;\n    file \"/lab/root.hints\";\n};"));
	cr_expect(strstr(c, "trust-anchors") == NULL);
	free(c);
	zoneset_free(zs);
}

Test(resolver, bind_reads_the_anchor_ds_lines_into_trust_anchors)
{
	const char *t[] = {zone_mail};
	struct zoneset *zs = load(t, 1);
	struct resolver_opts o = plain;
	char dir[256], path[300], *c;

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "root.ds",
	           "; the world's root\n"
	           ".\t3600\tIN\tDS\t12345 13 2 ABCDEF0123 456789\n");
	snprintf(path, sizeof(path), "%s/root.ds", dir);
	o.anchor = path;
	c = conf_text(RESOLVER_BIND, zs, &o);
	cr_expect(strstr(c, "\".\" static-ds 12345 13 2 \"ABCDEF0123456789\";"), "%s", c);
	cr_expect(strstr(c, "dnssec-validation yes;"));
	free(c);
	zoneset_free(zs);
}

Test(resolver, knot_allows_local_authorities_and_drops_the_real_root_anchor)
{
	const char *t[] = {zone_mail, zone_rev};
	struct zoneset *zs = load(t, 2);
	char *c = conf_text(RESOLVER_KNOT, zs, &plain);

	cr_expect(strstr(c, "net.listen('127.0.0.1', 53, { kind = 'dns' })"), "%s", c);
	cr_expect(strstr(c, "option('ALLOW_LOCAL', true)"));
	cr_expect(strstr(c, "trust_anchors.remove('.')"));
	cr_expect(strstr(c, "hints.root_file('/lab/root.hints')"));
	cr_expect(strstr(c, "    'test.',\n"));
	cr_expect(strstr(c, "    '2.0.192.in-addr.arpa.',\n"));
	cr_expect(strstr(c, "trust_anchors.add_file") == NULL);
	free(c);
	zoneset_free(zs);
}

Test(resolver, config_check_names_the_kinds)
{
	char err[256];

	cr_expect_eq(resolver_conf_check("unbound=/x", err, sizeof(err)), 0);
	cr_expect_eq(resolver_conf_check("knot-resolver=/x", err, sizeof(err)), 0);
	cr_expect_eq(resolver_conf_check("pdns=/x", err, sizeof(err)), -1);
	cr_expect(strstr(err, "unknown resolver"), "%s", err);
	cr_expect_eq(resolver_conf_check("bind", err, sizeof(err)), -1);
	cr_expect(strstr(err, "KIND=FILE"), "%s", err);
}

/* Does sh find this program? */
static bool
have(const char *prog)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "PATH=$PATH:/usr/sbin:/sbin command -v %s >/dev/null 2>&1",
	         prog);
	return system(cmd) == 0;
}

Test(resolver, written_configs_carry_hints_beside_them_and_pass_the_checkers)
{
	const char *t[] = {zone_mail, zone_rev};
	struct zoneset *zs = load(t, 2);
	struct diag d;
	struct world *w;
	char dir[256], spec[400], path[400], buf[8192], err[512], cmd[600];
	FILE *fp;
	size_t n;

	diag_init(&d);
	w = world_new(zs, NULL, 0, &d);
	cr_assert_not_null(w);
	test_tmpdir(dir, sizeof(dir));
	snprintf(spec, sizeof(spec), "unbound=%s/unbound.conf", dir);
	cr_assert_eq(resolver_conf_write(spec, w, zs, NULL, NULL, err, sizeof(err)), 0, "%s", err);
	snprintf(path, sizeof(path), "%s/unbound.conf.hints", dir);
	fp = fopen(path, "r");
	cr_assert_not_null(fp, "no hints beside the config");
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	cr_expect(strstr(buf, "3600000      NS    a.root.mxlab."), "%s", buf);
	cr_expect(strstr(buf, "127.53.0.1"), "%s", buf);
	snprintf(path, sizeof(path), "%s/unbound.conf", dir);
	fp = fopen(path, "r");
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	cr_expect(strstr(buf, "unbound.conf.hints\""), "%s", buf);
	cr_expect(strstr(buf, "since no --root-hints was given"), "%s", buf);
	if (have("unbound-checkconf")) {
		snprintf(cmd, sizeof(cmd), "unbound-checkconf %s/unbound.conf >/dev/null", dir);
		cr_expect_eq(system(cmd), 0, "unbound-checkconf rejects the config");
	} else {
		fprintf(stderr, "SKIPPED unbound-checkconf: not installed\n");
	}
	snprintf(spec, sizeof(spec), "bind=%s/named.conf", dir);
	cr_assert_eq(resolver_conf_write(spec, w, zs, NULL, NULL, err, sizeof(err)), 0, "%s", err);
	if (have("named-checkconf")) {
		snprintf(cmd, sizeof(cmd), "named-checkconf %s/named.conf", dir);
		cr_expect_eq(system(cmd), 0, "named-checkconf rejects the config");
	} else {
		fprintf(stderr, "SKIPPED named-checkconf: not installed\n");
	}
	snprintf(spec, sizeof(spec), "knot-resolver=%s/kresd.conf", dir);
	cr_assert_eq(resolver_conf_write(spec, w, zs, "/lab/hints", NULL, err, sizeof(err)), 0,
	             "%s", err);
	snprintf(path, sizeof(path), "%s/kresd.conf.hints", dir);
	cr_expect(access(path, F_OK) != 0, "--root-hints given: no hints beside");
	world_free(w);
	diag_free(&d);
	zoneset_free(zs);
}
