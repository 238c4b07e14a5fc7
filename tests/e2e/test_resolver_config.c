/* tests/e2e/test_resolver_config.c -- bin/mxlabd --world --resolver-config writes each
   resolver's configuration once ready (with the hints beside it when --root-hints is not
   given) and rewrites it after a reload, so a zone added under a built-in local zone gets its
   nodefault line. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "tests/support/support.h"

static const char zone_mail[] = "$ORIGIN mail.test.\n"
                                "$TTL 300\n"
                                "@ SOA ns hostmaster 1 3600 600 86400 300\n"
                                "@ NS ns\n"
                                "ns A 127.53.50.1\n"
                                "@ MX 10 mx\n"
                                "mx A 192.0.2.10\n";

static const char zone_rev[] = "$ORIGIN 2.0.192.in-addr.arpa.\n"
                               "$TTL 300\n"
                               "@ SOA ns.mail.test. hostmaster.mail.test. 1 3600 600 86400 300\n"
                               "@ NS ns.mail.test.\n"
                               "10 PTR mx.mail.test.\n";

static void
slurp(const char *path, char *buf, size_t cap)
{
	FILE *fp = fopen(path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (fp == NULL)
		return;
	n = fread(buf, 1, cap - 1, fp);
	buf[n] = '\0';
	fclose(fp);
}

/* Wait (bounded, 5 s) until the file at path holds text. */
static bool
wait_for(const char *path, const char *text, char *buf, size_t cap)
{
	double end = test_now_ms() + 5000;

	while (test_now_ms() < end) {
		struct timespec ts = {0, 20 * 1000 * 1000};
		slurp(path, buf, cap);
		if (strstr(buf, text))
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

Test(resolver_config, written_when_ready_and_rewritten_after_a_reload)
{
	struct testsrv srv;
	char dir[256], zdir[300], uspec[400], bspec[400], kspec[400], path[400];
	static char buf[65536];
	const char *args[10];

	test_tmpdir(dir, sizeof(dir));
	snprintf(zdir, sizeof(zdir), "%s/z", dir);
	cr_assert_eq(mkdir(zdir, 0755), 0);
	test_write(zdir, "mail.test.zone", zone_mail);
	snprintf(uspec, sizeof(uspec), "unbound=%s/unbound.conf", dir);
	snprintf(bspec, sizeof(bspec), "bind=%s/named.conf", dir);
	snprintf(kspec, sizeof(kspec), "knot-resolver=%s/kresd.conf", dir);
	args[0] = "--world";
	args[1] = "-z";
	args[2] = zdir;
	args[3] = "--resolver-config";
	args[4] = uspec;
	args[5] = "--resolver-config";
	args[6] = bspec;
	args[7] = "--resolver-config";
	args[8] = kspec;
	args[9] = NULL;
	cr_assert_eq(testsrv_start(&srv, args), 0, "%s", testsrv_stderr(&srv));
	snprintf(path, sizeof(path), "%s/unbound.conf", dir);
	slurp(path, buf, sizeof(buf));
	cr_expect(strstr(buf, "local-zone: \"test.\" nodefault"), "%s", buf);
	cr_expect(strstr(buf, "2.0.192.in-addr.arpa") == NULL, "%s", buf);
	snprintf(path, sizeof(path), "%s/unbound.conf.hints", dir);
	slurp(path, buf, sizeof(buf));
	cr_expect(strstr(buf, "a.root.mxlab."), "hints beside the config: %s", buf);
	snprintf(path, sizeof(path), "%s/named.conf", dir);
	slurp(path, buf, sizeof(buf));
	cr_expect(strstr(buf, "empty-zones-enable no;"), "%s", buf);
	cr_expect(strstr(buf, "named.conf.hints"), "%s", buf);
	snprintf(path, sizeof(path), "%s/kresd.conf", dir);
	slurp(path, buf, sizeof(buf));
	cr_expect(strstr(buf, "option('ALLOW_LOCAL', true)"), "%s", buf);

	/* a reverse zone under a built-in one: after the reload the config turns it off */
	test_write(zdir, "2.0.192.in-addr.arpa.zone", zone_rev);
	testsrv_signal(&srv, SIGHUP);
	snprintf(path, sizeof(path), "%s/unbound.conf", dir);
	cr_expect(
	    wait_for(path, "local-zone: \"2.0.192.in-addr.arpa.\" nodefault", buf, sizeof(buf)),
	    "not rewritten after the reload:\n%s\n%s", buf, testsrv_stderr(&srv));
	testsrv_stop(&srv);
}

Test(resolver_config, an_unwritable_config_stops_the_start)
{
	struct testsrv srv;
	char dir[256], spec[400];
	const char *args[] = {"--world", "-z", dir, "--resolver-config", spec, NULL};

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "mail.test.zone", zone_mail);
	snprintf(spec, sizeof(spec), "unbound=%s/no/such/dir/unbound.conf", dir);
	cr_expect_neq(testsrv_start(&srv, args), 0, "mxlabd started without writing %s", spec);
	cr_expect(strstr(testsrv_stderr(&srv), "no/such/dir/unbound.conf") != NULL, "%s",
	          testsrv_stderr(&srv));
	testsrv_stop(&srv);
}
