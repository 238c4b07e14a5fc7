/* tests/e2e/test_check.c -- `mxlabd --check` over the bundled catalog: the static mail lint
   names each broken scenario's mistake with file:line and mxcheck's code, and says nothing
   about the healthy ones. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/support.h"

#define OUT_MAX (256 * 1024)

/* One diagnostic line "path:line: severity: message [code]". */
struct diag_line {
	char file[256];     /* base name of the zone file */
	unsigned long line; /* line number */
	char severity[16];  /* info, warning or error */
	char code[48];      /* code in brackets, "" when none */
};

/* A mistake the lint must find in a catalog zone. */
struct expect {
	char file[64]; /* zone file base name */
	char code[48]; /* code that must be reported in it */
};

static const struct expect expected[] = {
    {"mx-ip-literal.test.zone", "mx-ip-literal"},
    {"mx-ip-nodot.test.zone", "mx-ip-literal"},
    {"mx-ip6-literal.test.zone", "mx-ip-literal"},
    {"mx-bad-name.test.zone", "mx-bad-name"},
    {"mx-duplicate.test.zone", "mx-duplicate"},
    {"mx-cname.test.zone", "mx-cname"},
    {"mx-cname-chain.test.zone", "mx-cname"},
    {"mx-cname-loop.test.zone", "cname-loop"},
    {"mx-cname-dangling.test.zone", "mx-host-nxdomain"},
    {"mx-host-nxdomain.test.zone", "mx-host-nxdomain"},
    {"mx-host-nodata.test.zone", "mx-host-nodata"},
    {"mx-loopback.test.zone", "mx-address-unroutable"},
    {"mx-private.test.zone", "mx-address-private"},
    {"null-mx-mixed.test.zone", "null-mx-mixed"},
    {"null-mx-pref.test.zone", "null-mx-bad-preference"},
    {"100.51.198.in-addr.arpa.zone", "fcrdns-mismatch"},
    {"100.51.198.in-addr.arpa.zone", "ptr-target-nxdomain"},
    {"100.51.198.in-addr.arpa.zone", "ptr-numeric"},
    {"100.51.198.in-addr.arpa.zone", "ptr-cname"},
    {"100.51.198.in-addr.arpa.zone", "ptr-multiple"},
};

static size_t
parse_lines(char *out, struct diag_line *v, size_t max)
{
	size_t n = 0;

	for (char *line = strtok(out, "\n"); line && n < max; line = strtok(NULL, "\n")) {
		struct diag_line *d = &v[n];
		char path[1024];
		char *br;
		const char *slash;

		memset(d, 0, sizeof(*d));
		cr_assert(sscanf(line, "%1023[^:]:%lu: %15[a-z]:", path, &d->line, d->severity) ==
		              3,
		          "not file:line: severity: %s", line);
		slash = strrchr(path, '/');
		snprintf(d->file, sizeof(d->file), "%.255s", slash ? slash + 1 : path);
		br = strrchr(line, '[');
		if (br && line[strlen(line) - 1] == ']')
			snprintf(d->code, sizeof(d->code), "%.*s", (int)(strlen(br) - 2), br + 1);
		n++;
	}
	return n;
}

static unsigned long
count_lines(const char *path)
{
	FILE *fp = fopen(path, "r");
	unsigned long n = 0;
	int c;

	cr_assert_not_null(fp, "%s", path);
	while ((c = fgetc(fp)) != EOF)
		n += c == '\n';
	fclose(fp);
	return n;
}

Test(e2e_check, lint_names_every_broken_scenario_and_spares_the_healthy, .timeout = 30)
{
	static char out[OUT_MAX];
	static struct diag_line diags[2048];
	char zones[4096], catalog[4096], zpath[4100], buf[4096];
	const char *argv[] = {test_bin("mxlabd"), "--check", "-z", zones, NULL};
	size_t n;
	FILE *fp;
	int rc;

	snprintf(zones, sizeof(zones), "%s", test_src("zones"));
	snprintf(catalog, sizeof(catalog), "%s", test_src("zones/catalog.tsv"));
	rc = test_run(argv, out, sizeof(out), 20000);
	cr_assert_eq(rc, 2, "--check on zones/ must find errors (exit 2), got %d", rc);
	n = parse_lines(out, diags, sizeof(diags) / sizeof(diags[0]));
	cr_assert_gt(n, 0);

	/* Every line points into an existing file, at a line it has. */
	for (size_t i = 0; i < n; i++) {
		snprintf(zpath, sizeof(zpath), "%.3800s/%.255s", zones, diags[i].file);
		cr_assert(diags[i].line >= 1 && diags[i].line <= count_lines(zpath),
		          "%s:%lu is not a line of the file", diags[i].file, diags[i].line);
	}

	/* Each known static mistake is found where it is. */
	for (size_t e = 0; e < sizeof(expected) / sizeof(expected[0]); e++) {
		bool found = false;
		for (size_t i = 0; i < n && !found; i++)
			found = !strcmp(diags[i].file, expected[e].file) &&
			        !strcmp(diags[i].code, expected[e].code);
		cr_assert(found, "no [%s] reported in %s", expected[e].code, expected[e].file);
	}

	/* Healthy scenarios (no problem codes) and those broken only by fault rules (their codes
	   are all dns-* or *-tempfail) have nothing to lint in their zone file. */
	fp = fopen(catalog, "r");
	cr_assert_not_null(fp);
	while (fgets(buf, sizeof(buf), fp)) {
		char target[512], flags[512], verdict[32], codes[1024], file[600];
		bool static_ok = true;

		if (buf[0] == '#' || sscanf(buf, "%511[^\t]\t%511[^\t]\t%31[^\t]\t%1023[^\t]",
		                            target, flags, verdict, codes) != 4)
			continue;
		if (strcmp(codes, "-") != 0) {
			char tmp[1024];
			snprintf(tmp, sizeof(tmp), "%s", codes);
			for (char *c = strtok(tmp, ","); c; c = strtok(NULL, ",")) {
				size_t len = strlen(c);
				if (strncmp(c, "dns-", 4) != 0 &&
				    !(len > 9 && !strcmp(c + len - 9, "-tempfail")))
					static_ok = false;
			}
		}
		if (!static_ok)
			continue;
		snprintf(file, sizeof(file), "%s.zone", target);
		for (size_t i = 0; i < n; i++)
			cr_assert(strcmp(diags[i].file, file) != 0,
			          "healthy scenario %s got a lint line at %s:%lu [%s]", target,
			          diags[i].file, diags[i].line, diags[i].code);
	}
	fclose(fp);
}

/* Exit status of bin/mxlabd --check on a directory holding only the zone text as file; its
   output goes to out. */
static int
check_one(const char *file, const char *text, char *out, size_t cap)
{
	char dir[256];
	const char *argv[] = {test_bin("mxlabd"), "--check", "-z", dir, NULL};

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, file, text);
	return test_run(argv, out, cap, 10000);
}

Test(e2e_check, clean_zone_exits_zero_with_no_output, .timeout = 15)
{
	char out[4096];

	cr_assert_eq(check_one("good.test.zone",
	                       "$ORIGIN good.test.\n$TTL 300\n"
	                       "@ SOA ns hostmaster 1 3600 600 86400 300\n"
	                       "@ NS ns\nns A 192.0.2.53\n"
	                       "@ MX 10 mx\nmx A 192.0.2.25\n",
	                       out, sizeof(out)),
	             0, "output: %s", out);
	cr_assert_str_empty(out);
}

Test(e2e_check, mx_to_cname_is_a_warning_with_exit_one, .timeout = 15)
{
	char out[4096];

	cr_assert_eq(check_one("warn.test.zone",
	                       "$ORIGIN warn.test.\n$TTL 300\n"
	                       "@ SOA ns hostmaster 1 3600 600 86400 300\n"
	                       "@ NS ns\nns A 192.0.2.53\n"
	                       "@ MX 10 mail\nmail CNAME host\nhost A 192.0.2.25\n",
	                       out, sizeof(out)),
	             1, "output: %s", out);
	cr_assert(strstr(out, "warn.test.zone:6: warning:") != NULL, "output: %s", out);
	cr_assert(strstr(out, "[mx-cname]") != NULL, "output: %s", out);
}

Test(e2e_check, every_bad_fault_rule_is_reported, .timeout = 15)
{
	char dir[256], out[8192];

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "w.test.zone",
	           "$ORIGIN w.test.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n"
	           "@ NS ns\nns A 192.0.2.53\n");
	test_write(dir, "faults.conf", "a A drop\nbar A explode\n* * rcode=BOGUS\n* * delay=abc\n");
	const char *argv[] = {test_bin("mxlabd"), "--check", "-z", dir, NULL};
	cr_assert_eq(test_run(argv, out, sizeof(out), 10000), 2, "output: %s", out);
	cr_expect(strstr(out, "faults.conf:2: error: unknown action 'explode'") != NULL, "%s", out);
	cr_expect(strstr(out, "faults.conf:3: error: unknown rcode 'BOGUS'") != NULL, "%s", out);
	cr_expect(strstr(out, "faults.conf:4: error: bad number 'abc'") != NULL, "%s", out);
	cr_expect(strstr(out, "faults.conf:1:") == NULL, "%s", out);
}
