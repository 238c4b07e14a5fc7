/* server/resolver.c -- configurations for real recursive resolvers in front of the world:
   unbound, BIND (named.conf) and Knot Resolver (kresd), each listening on 127.0.0.1 port 53
   and starting at the world's root. Every setting carries a comment saying why it is there. */
#include "server/resolver.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *const kinds[] = {"unbound", "bind", "knot-resolver"};

/* Short cache lifetimes: a lab changes its zones and its faults every few seconds. */
#define LAB_CACHE_MAX_TTL 60
#define LAB_CACHE_NEG_TTL 5

int
resolver_kind_parse(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i]) == len && strncmp(kinds[i], s, len) == 0)
			return (int)i;
	return -1;
}

int
resolver_conf_check(const char *spec, char *err, size_t errlen)
{
	const char *eq = strchr(spec, '=');

	if (eq == NULL || eq[1] == '\0') {
		snprintf(err, errlen, "--resolver-config %s: expected KIND=FILE", spec);
		return -1;
	}
	if (resolver_kind_parse(spec, (size_t)(eq - spec)) >= 0)
		return 0;
	snprintf(err, errlen,
	         "--resolver-config %s: unknown resolver (expected unbound, bind or "
	         "knot-resolver)",
	         spec);
	return -1;
}

/* ---- unbound's built-in local zones ----------------------------------------------------- */

/* The fixed names among unbound's default local zones (unbound.conf(5), "local-zone"): the
   RFC 6761 special names, the RFC 1918/5737/6598 and IPv6 documentation, ULA and link-local
   reverse zones. 172.16-31 and 100.64-127 are added by the walker. */
static const char *const builtin_fixed[] = {
    "localhost.",
    "127.in-addr.arpa.",
    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
    "home.arpa.",
    "onion.",
    "test.",
    "invalid.",
    "10.in-addr.arpa.",
    "168.192.in-addr.arpa.",
    "0.in-addr.arpa.",
    "254.169.in-addr.arpa.",
    "2.0.192.in-addr.arpa.",
    "100.51.198.in-addr.arpa.",
    "113.0.203.in-addr.arpa.",
    "255.255.255.255.in-addr.arpa.",
    "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
    "d.f.ip6.arpa.",
    "8.e.f.ip6.arpa.",
    "9.e.f.ip6.arpa.",
    "a.e.f.ip6.arpa.",
    "b.e.f.ip6.arpa.",
    "8.b.d.0.1.0.0.2.ip6.arpa.",
};

/* Is a (presentation, trailing dot) equal to b or below it, case-insensitively? */
static bool
name_at_or_below(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (strcmp(b, ".") == 0)
		return true;
	if (la < lb || strcasecmp(a + la - lb, b) != 0)
		return false;
	return la == lb || a[la - lb - 1] == '.';
}

/* Does built-in zone b hide (or get in the way of) any served zone? */
static bool
builtin_hides(const struct zoneset *zs, const char *b)
{
	struct zone_info zi;

	for (size_t i = 0; i < zoneset_count(zs); i++) {
		zoneset_info(zs, i, &zi);
		if (name_at_or_below(zi.origin, b) || name_at_or_below(b, zi.origin))
			return true;
	}
	return false;
}

size_t
resolver_builtin_hiding(const struct zoneset *zs, void (*fn)(const char *zone, void *arg),
                        void *arg)
{
	char name[64];
	size_t n = 0;

	if (zs == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(builtin_fixed) / sizeof(builtin_fixed[0]); i++)
		if (builtin_hides(zs, builtin_fixed[i])) {
			fn(builtin_fixed[i], arg);
			n++;
		}
	for (int o = 16; o <= 31; o++) {
		snprintf(name, sizeof(name), "%d.172.in-addr.arpa.", o);
		if (builtin_hides(zs, name)) {
			fn(name, arg);
			n++;
		}
	}
	for (int o = 64; o <= 127; o++) {
		snprintf(name, sizeof(name), "%d.100.in-addr.arpa.", o);
		if (builtin_hides(zs, name)) {
			fn(name, arg);
			n++;
		}
	}
	return n;
}

/* ---- unbound ---------------------------------------------------------------------------- */

static void
unbound_nodefault_cb(const char *zone, void *arg)
{
	fprintf((FILE *)arg, "    local-zone: \"%s\" nodefault\n", zone);
}

static void
print_unbound(const struct zoneset *zs, const struct resolver_opts *o, FILE *fp)
{
	fprintf(fp, "# unbound.conf for the mxlab world, written by mxlabd --world.\n"
	            "# Run: unbound -d -c THIS_FILE   (check: unbound-checkconf THIS_FILE)\n"
	            "server:\n");
	fprintf(fp,
	        "    # the lab's resolver: what /etc/resolv.conf names inside the lab\n"
	        "    interface: 127.0.0.1\n"
	        "    port: 53\n"
	        "    access-control: 127.0.0.0/8 allow\n"
	        "    # run in the foreground as the user who started it, files in this "
	        "directory\n"
	        "    do-daemonize: no\n"
	        "    username: \"\"\n"
	        "    chroot: \"\"\n"
	        "    directory: \"%s\"\n"
	        "    pidfile: \"\"\n"
	        "    use-syslog: no\n"
	        "    logfile: \"\"\n"
	        "    verbosity: 1\n"
	        "    num-threads: 1\n",
	        o->dir ? o->dir : ".");
	fprintf(fp,
	        "    # the world's root, not the internet's%s\n"
	        "    root-hints: \"%s\"\n",
	        o->hints_beside ? " (mxlabd wrote these hints beside this file, since no "
	                          "--root-hints was given)"
	                        : "",
	        o->hints);
	fprintf(fp, "    # the world's servers live on 127.53.0.0/16 and addresses routed to lo:\n"
	            "    # unbound refuses to query loopback authorities unless told\n"
	            "    do-not-query-localhost: no\n");
	if (o->anchor)
		fprintf(fp,
		        "    # the world is signed: validate from its root key (mxlabd "
		        "--trust-anchor)\n"
		        "    module-config: \"validator iterator\"\n"
		        "    trust-anchor-file: \"%s\"\n",
		        o->anchor);
	else
		fprintf(
		    fp,
		    "    # the world is unsigned: no validator, and no trust anchor of the real\n"
		    "    # root (which would make every answer of the lab bogus)\n"
		    "    module-config: \"iterator\"\n");
	fprintf(fp, "    # a dead server of the lab is given up on within seconds (the default\n"
	            "    # 120000 ms keeps backing off it for well over 15 s; 1000 ms gives\n"
	            "    # SERVFAIL in about 4.5 s), and forgotten quickly once it is back\n"
	            "    infra-cache-max-rtt: 1000\n"
	            "    infra-host-ttl: 30\n");
	if (o->unbound_discard)
		fprintf(fp, "    # keep waiting for slow (delayed) replies instead of dropping "
		            "those slower\n"
		            "    # than ~1.9 s, and do not limit the queries waiting per client\n"
		            "    discard-timeout: 0\n"
		            "    wait-limit: 0\n");
	else
		fprintf(
		    fp,
		    "    # (discard-timeout: 0 and wait-limit: 0 would go here; this unbound does "
		    "not\n"
		    "    # know them, so it does not drop slow replies anyway)\n");
	fprintf(fp,
	        "    # short cache lifetimes: a lab changes zones and faults every few seconds\n"
	        "    cache-max-ttl: %d\n"
	        "    cache-max-negative-ttl: %d\n"
	        "    serve-expired: no\n",
	        LAB_CACHE_MAX_TTL, LAB_CACHE_NEG_TTL);
	fprintf(fp,
	        "    # unbound answers these names itself (empty local zones); the world serves\n"
	        "    # zones at or below them, so their default contents are turned off\n");
	if (resolver_builtin_hiding(zs, unbound_nodefault_cb, fp) == 0)
		fprintf(fp, "    # (no served zone is under one of them)\n");
	fprintf(fp, "remote-control:\n"
	            "    # no control socket: the lab stops unbound by ending it\n"
	            "    control-enable: no\n");
}

/* ---- BIND ------------------------------------------------------------------------------- */

/* Read a trust anchor file of DS lines ("OWNER TTL [IN] DS KEYTAG ALG DIGTYPE HEX...") into
   a BIND trust-anchors block. */
static void
print_bind_anchor(const char *anchor, FILE *fp)
{
	FILE *in = fopen(anchor, "r");
	char line[2048];

	fprintf(fp,
	        "# the world is signed: its root's DS records, from %s\n"
	        "trust-anchors {\n",
	        anchor);
	while (in && fgets(line, sizeof(line), in)) {
		char *tok[16], *save = NULL, *p;
		size_t n = 0, ds;

		for (p = strtok_r(line, " \t\r\n", &save); p && n < 16;
		     p = strtok_r(NULL, " \t\r\n", &save)) {
			if (p[0] == ';')
				break;
			tok[n++] = p;
		}
		for (ds = 1; ds < n && strcasecmp(tok[ds], "DS") != 0; ds++)
			;
		if (ds + 4 >= n) /* key tag, algorithm, digest type and some digest */
			continue;
		fprintf(fp, "    \"%s\" static-ds %s %s %s \"", tok[0], tok[ds + 1], tok[ds + 2],
		        tok[ds + 3]);
		for (size_t i = ds + 4; i < n; i++)
			fputs(tok[i], fp);
		fprintf(fp, "\";\n");
	}
	if (in)
		fclose(in);
	fprintf(fp, "};\n");
}

static void
print_bind(const struct zoneset *zs, const struct resolver_opts *o, FILE *fp)
{
	(void)zs;
	fprintf(fp, "// named.conf for the mxlab world, written by mxlabd --world.\n"
	            "// Run: named -g -c THIS_FILE   (check: named-checkconf THIS_FILE)\n");
	if (o->anchor)
		print_bind_anchor(o->anchor, fp);
	fprintf(fp,
	        "options {\n"
	        "    // files of named (cache dumps, keys) in this directory, no pid file\n"
	        "    directory \"%s\";\n"
	        "    pid-file none;\n"
	        "    // the lab's resolver: what /etc/resolv.conf names inside the lab\n"
	        "    listen-on port 53 { 127.0.0.1; };\n"
	        "    listen-on-v6 { none; };\n"
	        "    recursion yes;\n"
	        "    allow-query { localhost; };\n"
	        "    allow-recursion { localhost; };\n",
	        o->dir ? o->dir : ".");
	if (o->anchor)
		fprintf(fp, "    // validate from the world's root key (trust-anchors above)\n"
		            "    dnssec-validation yes;\n");
	else
		fprintf(
		    fp,
		    "    // the world is unsigned: validating from the real root's key would make\n"
		    "    // every answer of the lab bogus\n"
		    "    dnssec-validation no;\n");
	fprintf(fp,
	        "    // BIND answers the RFC 6303/5737 reverse zones (2.0.192.in-addr.arpa, ...)\n"
	        "    // itself, empty; the world serves them\n"
	        "    empty-zones-enable no;\n"
	        "    // short cache lifetimes: a lab changes zones and faults every few seconds\n"
	        "    max-cache-ttl %d;\n"
	        "    max-ncache-ttl %d;\n"
	        "    servfail-ttl 0;\n"
	        "    // a slow or dead server of the lab fails the query in seconds, not 10 s\n"
	        "    resolver-query-timeout 5000;\n"
	        "    // no zone transfers or notifies out of the lab\n"
	        "    notify no;\n"
	        "    // no rndc control channel (port 953): the lab stops named by ending it\n"
	        "    allow-transfer { none; };\n"
	        "};\n",
	        LAB_CACHE_MAX_TTL, LAB_CACHE_NEG_TTL);
	fprintf(fp,
	        "// the world's root, not the internet's%s\n"
	        "zone \".\" {\n"
	        "    type hint;\n"
	        "    file \"%s\";\n"
	        "};\n",
	        o->hints_beside ? " (mxlabd wrote these hints beside this file, since no "
	                          "--root-hints was given)"
	                        : "",
	        o->hints);
}

/* ---- Knot Resolver ---------------------------------------------------------------------- */

static void
knot_pass_cb(const char *zone, void *arg)
{
	fprintf((FILE *)arg, "    '%s',\n", zone);
}

static void
print_knot(const struct zoneset *zs, const struct resolver_opts *o, FILE *fp)
{
	fprintf(fp, "-- kresd.conf for the mxlab world, written by mxlabd --world.\n"
	            "-- Run: kresd -n -q -c THIS_FILE RUNDIR   (Knot Resolver 5)\n");
	fprintf(fp, "-- the lab's resolver: what /etc/resolv.conf names inside the lab\n"
	            "net.listen('127.0.0.1', 53, { kind = 'dns' })\n"
	            "-- the world's servers live on 127.53.0.0/16 and addresses routed to lo:\n"
	            "-- kresd ignores loopback and private glue and authorities unless told\n"
	            "option('ALLOW_LOCAL', true)\n");
	fprintf(fp,
	        "-- the world's root, not the internet's%s\n"
	        "modules.load('hints > iterate')\n"
	        "hints.root_file('%s')\n",
	        o->hints_beside ? " (mxlabd wrote these hints beside this file, since no "
	                          "--root-hints was given)"
	                        : "",
	        o->hints);
	fprintf(fp,
	        "-- kresd answers test., invalid., onion. and the locally served reverse zones\n"
	        "-- (RFC 6761, RFC 6303) itself with a refusal; the world serves zones under\n"
	        "-- them, so queries for those let through (rules come before those names)\n"
	        "policy.add(policy.suffix(policy.PASS, policy.todnames({\n");
	if (resolver_builtin_hiding(zs, knot_pass_cb, fp) == 0)
		fprintf(fp, "    -- (no served zone is under one of them)\n");
	fprintf(fp, "})))\n");
	fprintf(fp, "-- kresd loads the real root's trust anchor by default: with it every answer\n"
	            "-- of the lab would be bogus\n"
	            "trust_anchors.remove('.')\n");
	if (o->anchor)
		fprintf(fp,
		        "-- the world is signed: validate from its root's DS records\n"
		        "trust_anchors.add_file('%s', true)\n",
		        o->anchor);
	fprintf(fp,
	        "-- short cache lifetimes: a lab changes zones and faults every few seconds\n"
	        "cache.open(10 * MB, 'lmdb://%s/kresd-cache')\n"
	        "cache.max_ttl(%d)\n"
	        "cache.min_ttl(0)\n",
	        o->dir ? o->dir : ".", LAB_CACHE_MAX_TTL);
}

void
resolver_conf_print(enum resolver_kind kind, const struct zoneset *zs,
                    const struct resolver_opts *opts, FILE *fp)
{
	switch (kind) {
	case RESOLVER_UNBOUND:
		print_unbound(zs, opts, fp);
		break;
	case RESOLVER_BIND:
		print_bind(zs, opts, fp);
		break;
	case RESOLVER_KNOT:
		print_knot(zs, opts, fp);
		break;
	}
}

/* ---- writing ---------------------------------------------------------------------------- */

/* Does the installed unbound know discard-timeout and wait-limit (added after 1.17)? Asked
   once per process with unbound-checkconf on a two-line configuration; no checker: no. */
static bool
unbound_knows_discard(void)
{
	static int known = -1;
	char path[] = "/tmp/mxlabd-probe.XXXXXX";
	posix_spawn_file_actions_t fa;
	char *argv[] = {"unbound-checkconf", path, NULL};
	pid_t pid;
	int fd, status = -1;

	if (known >= 0)
		return known;
	known = 0;
	if ((fd = mkstemp(path)) < 0)
		return false;
	if (dprintf(fd, "server:\n    discard-timeout: 0\n    wait-limit: 0\n"
	                "    chroot: \"\"\n    username: \"\"\n") < 0) {
		close(fd);
		unlink(path);
		return false;
	}
	close(fd);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, "unbound-checkconf", &fa, NULL, argv, environ) == 0) {
		pid_t r;
		while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
			;
		known = r == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	posix_spawn_file_actions_destroy(&fa);
	unlink(path);
	return known;
}

/* Absolute form of path (resolvers run with another working directory). */
static char *
absolute(const char *path)
{
	char cwd[4096];
	char *out;

	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return strdup(path);
	if (asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
}

int
resolver_conf_write(const char *spec, const struct world *w, const struct zoneset *zs,
                    const char *hints, const char *anchor, char *err, size_t errlen)
{
	const char *eq = strchr(spec, '=');
	struct resolver_opts o = {0};
	char *file = NULL, *hfile = NULL, *afile = NULL, *dcopy = NULL, *tmp = NULL;
	FILE *fp;
	int kind, rc = -1;

	if (eq == NULL || (kind = resolver_kind_parse(spec, (size_t)(eq - spec))) < 0) {
		resolver_conf_check(spec, err, errlen);
		return -1;
	}
	if ((file = absolute(eq + 1)) == NULL || (dcopy = strdup(file)) == NULL)
		goto oom;
	o.dir = dirname(dcopy);
	if (hints) {
		if ((hfile = absolute(hints)) == NULL)
			goto oom;
	} else {
		/* no --root-hints: the hints go beside the configuration */
		if (asprintf(&hfile, "%s.hints", file) < 0) {
			hfile = NULL;
			goto oom;
		}
		o.hints_beside = true;
		if ((fp = fopen(hfile, "w")) == NULL) {
			snprintf(err, errlen, "%s: cannot write root hints: %s", hfile,
			         strerror(errno));
			goto out;
		}
		world_write_hints(w, fp);
		if (fclose(fp) != 0) {
			snprintf(err, errlen, "%s: cannot write root hints: %s", hfile,
			         strerror(errno));
			goto out;
		}
	}
	o.hints = hfile;
	if (anchor && (afile = absolute(anchor)) == NULL)
		goto oom;
	o.anchor = afile;
	if (kind == RESOLVER_UNBOUND)
		o.unbound_discard = unbound_knows_discard();
	/* written to a temporary name and renamed: a resolver never reads half a file */
	if (asprintf(&tmp, "%s.tmp", file) < 0) {
		tmp = NULL;
		goto oom;
	}
	if ((fp = fopen(tmp, "w")) == NULL) {
		snprintf(err, errlen, "--resolver-config %s: cannot write %s: %s", spec, tmp,
		         strerror(errno));
		goto out;
	}
	resolver_conf_print((enum resolver_kind)kind, zs, &o, fp);
	if (fclose(fp) != 0 || rename(tmp, file) != 0) {
		snprintf(err, errlen, "--resolver-config %s: cannot write %s: %s", spec, file,
		         strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	free(file);
	free(hfile);
	free(afile);
	free(dcopy);
	free(tmp);
	return rc;
}
