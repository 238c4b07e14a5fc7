/* tests/e2e/test_server_sign.c -- bin/mxlabd --sign (and --sign-reproducible): the zones it
   exports pass ldns-verify-zone (NSEC and NSEC3), answers with DO carry the signatures, the trust
   anchor is written, keys survive a reload (and a restart with --key-dir), a child zone PUT
   through the control API under a signed parent gets its DS signed there (and keeps it when
   the parent is PUT again). */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include <jansson.h>

#include "tests/support/support.h"

static const char zone_text[] = TEST_EXAMPLE_HEAD "ns1   IN A 192.0.2.1\n"
                                                  "@     IN MX 10 mail\n"
                                                  "mail  IN A 192.0.2.25\n"
                                                  "*.w   IN TXT \"wild\"\n"
                                                  "a.b.c IN A 192.0.2.3\n"
                                                  "sub   IN NS ns.sub\n"
                                                  "ns.sub IN A 192.0.2.53\n";

static void
read_file(const char *path, char *buf, size_t cap)
{
	FILE *fp = fopen(path, "r");
	size_t n;
	cr_assert_not_null(fp, "%s", path);
	n = fread(buf, 1, cap - 1, fp);
	buf[n] = '\0';
	fclose(fp);
}

/* A DO query over UDP; the parsed answer. */
static ldns_pkt *
ask_do(int port, const char *name, uint16_t type)
{
	uint8_t q[512], a[4096];
	size_t qlen = test_wire_query(q, name, type, 0x1234, 1232, 0, true), n;
	ldns_pkt *p = NULL;

	n = test_raw_udp(port, q, qlen, a, sizeof(a), 2000);
	cr_assert_gt(n, 0, "no answer for %s", name);
	cr_assert_eq(ldns_wire2pkt(&p, a, n), LDNS_STATUS_OK);
	return p;
}

/* mode: "--sign" or "--sign-reproducible" */
static void
signed_zone_verifies(const char *mode, bool nsec3)
{
	char dir[256], zdir[300], out[300], keys[300], ta[300], path[400], buf[8192];
	const char *extra[] = {mode, "--key-dir",    keys, "--trust-anchor",
	                       ta,   "--dump-zones", out,  nsec3 ? "--nsec3" : NULL,
	                       NULL};
	char cmd[500];
	const char *verify[] = {"/bin/sh", "-c", cmd, NULL};
	struct testsrv srv;
	ldns_pkt *p;
	int rc;

	test_tmpdir(dir, sizeof(dir));
	snprintf(zdir, sizeof(zdir), "%s/zones", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(keys, sizeof(keys), "%s/keys", dir);
	snprintf(ta, sizeof(ta), "%s/ta", dir);
	cr_assert_eq(mkdir(zdir, 0755), 0);
	test_write(zdir, "example.test.zone", zone_text);
	testsrv_start_dir(&srv, zdir, extra);

	snprintf(path, sizeof(path), "%s/example.test.zone", out);
	snprintf(cmd, sizeof(cmd), "ldns-verify-zone '%s' 2>&1", path);
	rc = test_run(verify, buf, sizeof(buf), 20000);
	cr_assert_eq(rc, 0, "ldns-verify-zone rejects what mxlabd signed (%d): %s", rc, buf);
	cr_assert(strstr(buf, "verified") != NULL, "%s", buf);

	p = ask_do(srv.port, "mail.example.test.", LDNS_RR_TYPE_A);
	cr_assert_eq(ldns_pkt_ancount(p), 2, "A and its RRSIG");
	ldns_pkt_free(p);
	p = ask_do(srv.port, "nothere.example.test.", LDNS_RR_TYPE_A);
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	{
		ldns_rr_list *n = ldns_pkt_rr_list_by_type(
		    p, nsec3 ? LDNS_RR_TYPE_NSEC3 : LDNS_RR_TYPE_NSEC, LDNS_SECTION_AUTHORITY);
		cr_assert_not_null(n);
		ldns_rr_list_deep_free(n);
	}
	ldns_pkt_free(p);

	/* the trust anchor names the zone; a reload keeps its key */
	read_file(ta, buf, sizeof(buf));
	cr_assert(strncmp(buf, "example.test.\t3600\tIN\tDS\t", 25) == 0, "%s", buf);
	{
		char before[8192];
		snprintf(before, sizeof(before), "%s", buf);
		testsrv_signal(&srv, SIGHUP);
		cr_assert(testsrv_wait_stderr(&srv, "mxlabd: reloaded", 10000), "%s",
		          testsrv_stderr(&srv));
		read_file(ta, buf, sizeof(buf));
		cr_assert_str_eq(buf, before, "the same key after a reload");
		testsrv_stop(&srv);
		/* and after a restart with the same --key-dir */
		testsrv_start_dir(&srv, zdir, extra);
		read_file(ta, buf, sizeof(buf));
		cr_assert_str_eq(buf, before, "the same key after a restart with --key-dir");
	}
	testsrv_stop(&srv);
}

Test(server_sign, nsec_signed_zone_passes_ldns_verify_zone)
{
	signed_zone_verifies("--sign", false);
}

Test(server_sign, nsec3_signed_zone_passes_ldns_verify_zone)
{
	signed_zone_verifies("--sign", true);
}

Test(server_sign, reproducible_signed_zones_pass_ldns_verify_zone)
{
	signed_zone_verifies("--sign-reproducible", false);
	signed_zone_verifies("--sign-reproducible", true);
}

Test(server_sign, sign_options_without_sign_are_refused)
{
	const char *argv[] = {test_bin("mxlabd"), "--nsec3", "--check", NULL};
	char out[1024];
	cr_assert_eq(test_run(argv, out, sizeof(out), 5000), 2);
}

Test(server_sign, world_resolver_config_gets_the_signed_roots_anchor)
{
	char dir[256], conf[300], spec[320], ds[320], buf[8192];
	const char *extra[] = {"--world", "--sign", "--resolver-config", spec, NULL};
	struct testsrv srv;

	test_tmpdir(dir, sizeof(dir));
	snprintf(conf, sizeof(conf), "%s/unbound.conf", dir);
	snprintf(spec, sizeof(spec), "unbound=%s", conf);
	snprintf(ds, sizeof(ds), "%s.ds", conf);
	testsrv_start_dir(&srv, test_src("zones/dnssec"), extra);
	read_file(ds, buf, sizeof(buf));
	cr_assert(strncmp(buf, ".\t3600\tIN\tDS\t", 13) == 0, "the root's DS beside the config: %s",
	          buf);
	read_file(conf, buf, sizeof(buf));
	cr_assert(strstr(buf, "trust-anchor-file:") != NULL && strstr(buf, ds) != NULL,
	          "the configuration validates from it: %s", buf);
	testsrv_stop(&srv);
}

static const char child_text[] = "$ORIGIN sub.example.test.\n$TTL 300\n"
                                 "@ IN SOA ns hostmaster 1 3600 600 86400 300\n"
                                 "@ IN NS ns\nns IN A 192.0.2.53\nwww IN A 192.0.2.80\n";

/* The DS of sub.example.test. is served with DO, its RRSIG verifies now with the DNSKEYs the
   server has for example.test., and the export of example.test. passes ldns-verify-zone. */
static void
child_ds_is_signed(int port, const char *out)
{
	ldns_pkt *p = ask_do(port, "sub.example.test.", LDNS_RR_TYPE_DS);
	ldns_pkt *kp = ask_do(port, "example.test.", LDNS_RR_TYPE_DNSKEY);
	ldns_rr_list *ds = ldns_pkt_rr_list_by_type(p, LDNS_RR_TYPE_DS, LDNS_SECTION_ANSWER);
	ldns_rr_list *sig = ldns_pkt_rr_list_by_type(p, LDNS_RR_TYPE_RRSIG, LDNS_SECTION_ANSWER);
	ldns_rr_list *keys = ldns_pkt_rr_list_by_type(kp, LDNS_RR_TYPE_DNSKEY, LDNS_SECTION_ANSWER);
	ldns_rr_list *good = ldns_rr_list_new();
	char cmd[500], buf[8192];
	const char *verify[] = {"/bin/sh", "-c", cmd, NULL};
	int rc;

	cr_assert_not_null(ds, "the parent serves the child's DS");
	cr_assert_not_null(sig, "the DS is signed");
	cr_assert_not_null(keys);
	cr_assert_eq(ldns_rr_list_rr_count(sig), 1);
	cr_assert_eq(ldns_verify_rrsig_keylist(ds, ldns_rr_list_rr(sig, 0), keys, good),
	             LDNS_STATUS_OK, "the DS's RRSIG verifies with example.test.'s keys");
	{
		char *signer = ldns_rdf2str(ldns_rr_rrsig_signame(ldns_rr_list_rr(sig, 0)));
		cr_assert_str_eq(signer, "example.test.", "signed by the parent");
		free(signer);
	}
	ldns_rr_list_deep_free(ds);
	ldns_rr_list_deep_free(sig);
	ldns_rr_list_deep_free(keys);
	ldns_rr_list_free(good);
	ldns_pkt_free(p);
	ldns_pkt_free(kp);
	snprintf(cmd, sizeof(cmd), "ldns-verify-zone '%s/example.test.zone' 2>&1", out);
	rc = test_run(verify, buf, sizeof(buf), 20000);
	cr_assert_eq(rc, 0, "ldns-verify-zone rejects the parent after the PUT (%d): %s", rc, buf);
}

static void
child_put_under_signed_parent(const char *mode, bool nsec3)
{
	char dir[256], zdir[300], out[300], sock[320], arg[330];
	const char *extra[] = {mode, "--dump-zones",           out, "--control",
	                       arg,  nsec3 ? "--nsec3" : NULL, NULL};
	struct testsrv srv;
	json_t *j = NULL;
	ldns_pkt *p;

	test_tmpdir(dir, sizeof(dir));
	snprintf(zdir, sizeof(zdir), "%s/zones", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	snprintf(arg, sizeof(arg), "unix:%s", sock);
	cr_assert_eq(mkdir(zdir, 0755), 0);
	test_write(zdir, "example.test.zone", zone_text);
	testsrv_start_dir(&srv, zdir, extra);
	p = ask_do(srv.port, "sub.example.test.", LDNS_RR_TYPE_DS);
	cr_assert_eq(ldns_pkt_ancount(p), 0, "no child yet: no DS");
	ldns_pkt_free(p);

	cr_assert_eq(
	    test_http_unix(sock, "PUT", "/zones/sub.example.test", child_text, &j, NULL, 0), 200);
	json_decref(j);
	p = ask_do(srv.port, "www.sub.example.test.", LDNS_RR_TYPE_A);
	cr_assert_eq(ldns_pkt_ancount(p), 2, "the child is signed: A and its RRSIG");
	ldns_pkt_free(p);
	child_ds_is_signed(srv.port, out);

	/* the parent PUT again (its text, unsigned): the child, shared, keeps its DS */
	cr_assert_eq(test_http_unix(sock, "PUT", "/zones/example.test", zone_text, &j, NULL, 0),
	             200);
	json_decref(j);
	child_ds_is_signed(srv.port, out);
	testsrv_stop(&srv);
}

Test(server_sign, a_child_put_under_a_signed_parent_gets_its_ds_signed)
{
	child_put_under_signed_parent("--sign", false);
	child_put_under_signed_parent("--sign-reproducible", true);
}
