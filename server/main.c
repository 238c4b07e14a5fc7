/* server/main.c -- mxlabd: the command line, --check, and starting the server. */
#include <arpa/inet.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "common/diag.h"
#include "common/log.h"
#include "common/num.h"
#include "server/notify.h"
#include "server/srv.h"
#include "server/lint.h"
#include "server/world_lint.h"
#include "server/resolver.h"

enum {
	OPT_PORT_FILE = 256,
	OPT_CONTROL,
	OPT_CONTROL_MODE,
	OPT_QUERY_LOG,
	OPT_SEED,
	OPT_CHECK,
	OPT_ALLOW_NONLOCAL,
	OPT_ALLOW_TRANSFER,
	OPT_NOTIFY,
	OPT_VERSION,
	OPT_SIGN,
	OPT_SIGN_REPRODUCIBLE,
	OPT_NSEC3,
	OPT_KEY_DIR,
	OPT_UNSIGNED,
	OPT_TRUST_ANCHOR,
	OPT_DUMP_ZONES,
	OPT_WORLD,
	OPT_ROOT_ADDR,
	OPT_ROOT_HINTS,
	OPT_CLOSED,
	OPT_RESOLVER_CONFIG,
	OPT_QUERY_LOG_FORMAT,
};

static const char usage_text[] =
    "usage: mxlabd [-z DIR]... [ZONEFILE]... [-f FAULTS] [-a ADDR]... [-p PORT]\n"
    "              [--port-file FILE] [--control ADDR:PORT | --control unix:PATH]...\n"
    "              [--control-mode MODE] [--query-log FILE|-] [--query-log-format json|text]\n"
    "              [--seed N] [-v]... [--check]\n"
    "              [--allow-nonlocal] [--allow-transfer ADDR]... [--notify ADDR[@PORT]]...\n"
    "              [--sign|--sign-reproducible [--nsec3] [--key-dir DIR] [--unsigned ORIGIN]...\n"
    "                 [--trust-anchor FILE]]\n"
    "              [--dump-zones DIR] [-h|--help] [--version]\n"
    "       mxlabd --world [--root-addr ADDR]... [--root-hints FILE] [--closed ADDR|NAME]...\n"
    "              [--resolver-config KIND=FILE]... [any option above]\n"
    "\n"
    "  -z DIR            serve DIR/*.zone and DIR/faults.conf (repeatable)\n"
    "  ZONEFILE          serve this zone file\n"
    "  -f FAULTS         fault rules file (repeatable; rules keep command-line order)\n"
    "  -a ADDR           listen address (repeatable; default 127.0.0.1 and ::1)\n"
    "  -p PORT           port for UDP and TCP (default 5300; 0 picks a free one)\n"
    "  --port-file FILE  write the port number to FILE once ready\n"
    "  --control ADDR:PORT|unix:PATH  HTTP control API (loopback or UNIX socket only;\n"
    "                    repeatable: each adds a listener); on a port, http://ADDR:PORT/\n"
    "                    is the dashboard\n"
    "  --control-mode MODE  permissions of UNIX control sockets (octal, default 0600)\n"
    "  --query-log FILE  one JSON line per query (- for stdout)\n"
    "  --query-log-format json|text  JSON lines (default) or one readable line per query\n"
    "  --seed N          seed for p= fault rules (default 1)\n"
    "  -v                more logging on stderr (repeatable)\n"
    "  --check           load and lint zones and rules, print diagnostics, exit 0/1/2\n"
    "  --allow-nonlocal  allow listening on non-loopback addresses\n"
    "  --allow-transfer ADDR  let ADDR transfer zones too (loopback always may;\n"
    "                    non-loopback needs --allow-nonlocal; repeatable)\n"
    "  --notify ADDR[@PORT]  send NOTIFY there when a zone's serial changes (port 53;\n"
    "                    repeatable)\n"
    "  --sign            sign every zone without a DNSKEY at load and reload (ECDSA P-256,\n"
    "                    KSK+ZSK, NSEC; signatures from 1 h ago to 30 days ahead; OpenSSL,\n"
    "                    random nonces: every run's signatures differ, all verify)\n"
    "  --sign-reproducible  --sign with deterministic signatures (libdnssec, RFC 6979): the\n"
    "                    same keys (--key-dir), zones and time give the same bytes, for golden\n"
    "                    files; about 2.5 times slower\n"
    "  --nsec3           with --sign: NSEC3 (no extra iterations, empty salt) instead of NSEC\n"
    "  --key-dir DIR     with --sign: keep the keys in DIR and reuse them (else fresh keys)\n"
    "  --unsigned ORIGIN with --sign: leave that zone unsigned (repeatable)\n"
    "  --trust-anchor FILE  with --sign: write the DS of every signed zone without a served\n"
    "                    parent (--world: of the signed root) there, once loaded and on reload\n"
    "  --dump-zones DIR  write every served zone (signed ones with their signatures) to\n"
    "                    DIR/ORIGINzone once loaded (and on every reload)\n"
    "World mode (every authoritative server of the zones, each on its own address):\n"
    "  --world           serve each zone on the addresses of its apex NS names; no default -a\n"
    "  --root-addr ADDR  address of the synthesized root (repeatable; default 127.53.0.1)\n"
    "  --root-hints FILE write root hints (named.root format) once ready\n"
    "  --closed ADDR|NAME  leave that server unbound: a closed port (repeatable)\n"
    "  --resolver-config KIND=FILE  write a config for unbound, bind or knot-resolver\n"
    "With no zones given, the bundled zones/ catalog is served.\n";

static void
usage(FILE *fp)
{
	fputs(usage_text, fp);
}

/* One diagnostic: "file:line: severity: message" for file ones, "mxlabd: severity: message"
   for the others (with_severity false: without the severity, as errors used to print). */
static void
print_entry(const struct diag *d, size_t i, FILE *fp, bool with_severity)
{
	const struct diag_entry *e = &d->v[i];
	char buf[1024];

	if (with_severity) {
		diag_format(d, i, buf, sizeof(buf));
		fprintf(fp, "%s%s\n", e->file[0] ? "" : "mxlabd: ", buf);
		return;
	}
	if (e->file[0] && e->line)
		fprintf(fp, "%s:%lu: %s\n", e->file, e->line, e->msg);
	else if (e->file[0])
		fprintf(fp, "%s: %s\n", e->file, e->msg);
	else
		fprintf(fp, "mxlabd: %s\n", e->msg);
}

/* Is the numeric address a already among the first n listen addresses? */
static bool
addr_listed(const struct srv_conf *c, size_t n, const char *a)
{
	unsigned char x[16], y[16];
	int fx = strchr(a, ':') ? AF_INET6 : AF_INET;

	if (inet_pton(fx, a, x) != 1)
		return false;
	for (size_t i = 0; i < n; i++) {
		int fy = strchr(c->addrs[i].host, ':') ? AF_INET6 : AF_INET;
		if (fy == fx && inet_pton(fy, c->addrs[i].host, y) == 1 &&
		    memcmp(x, y, fx == AF_INET ? 4 : 16) == 0)
			return true;
	}
	return false;
}

/* The message for a bad option argv[optind - 1] (getopt_long said '?' or ':'). */
static void
bad_option(const struct option *longopts, const char *arg, int ch)
{
	if (strncmp(arg, "--", 2) == 0) {
		size_t n = strcspn(arg + 2, "=");
		for (const struct option *o = longopts; o->name; o++) {
			if (strlen(o->name) != n || strncmp(o->name, arg + 2, n) != 0)
				continue;
			if (ch == ':')
				fprintf(stderr, "mxlabd: option --%s needs an argument\n", o->name);
			else if (o->has_arg == no_argument && arg[2 + n] == '=')
				fprintf(stderr, "mxlabd: option --%s takes no argument\n", o->name);
			else
				fprintf(stderr, "mxlabd: bad use of option --%s\n", o->name);
			return;
		}
		fprintf(stderr, "mxlabd: unknown or ambiguous option %.*s\n", (int)(n + 2), arg);
		return;
	}
	if (ch == ':')
		fprintf(stderr, "mxlabd: option -%c needs an argument\n", optopt);
	else
		fprintf(stderr, "mxlabd: unknown option -%c\n", optopt);
}

/* Blocks of 256 KB and more (zone text, arenas, the index and its temporaries) are mapped
   on their own: freeing one gives the memory back at once and growing one remaps instead of
   copying. glibc's default raises this threshold after the first big free (the zone text),
   after which the index temporaries and every realloc copy stayed in the heap: 1M records
   peaked at 154 MB instead of 131 MB. */
static void
malloc_tune(void)
{
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
	    {"port-file", required_argument, NULL, OPT_PORT_FILE},
	    {"control", required_argument, NULL, OPT_CONTROL},
	    {"control-mode", required_argument, NULL, OPT_CONTROL_MODE},
	    {"query-log", required_argument, NULL, OPT_QUERY_LOG},
	    {"query-log-format", required_argument, NULL, OPT_QUERY_LOG_FORMAT},
	    {"seed", required_argument, NULL, OPT_SEED},
	    {"check", no_argument, NULL, OPT_CHECK},
	    {"allow-nonlocal", no_argument, NULL, OPT_ALLOW_NONLOCAL},
	    {"allow-transfer", required_argument, NULL, OPT_ALLOW_TRANSFER},
	    {"notify", required_argument, NULL, OPT_NOTIFY},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {"sign", no_argument, NULL, OPT_SIGN},
	    {"sign-reproducible", no_argument, NULL, OPT_SIGN_REPRODUCIBLE},
	    {"nsec3", no_argument, NULL, OPT_NSEC3},
	    {"key-dir", required_argument, NULL, OPT_KEY_DIR},
	    {"unsigned", required_argument, NULL, OPT_UNSIGNED},
	    {"trust-anchor", required_argument, NULL, OPT_TRUST_ANCHOR},
	    {"dump-zones", required_argument, NULL, OPT_DUMP_ZONES},
	    {"world", no_argument, NULL, OPT_WORLD},
	    {"root-addr", required_argument, NULL, OPT_ROOT_ADDR},
	    {"root-hints", required_argument, NULL, OPT_ROOT_HINTS},
	    {"closed", required_argument, NULL, OPT_CLOSED},
	    {"resolver-config", required_argument, NULL, OPT_RESOLVER_CONFIG},
	    {NULL, 0, NULL, 0},
	};
	struct srv_conf conf;
	struct zoneset *zs = NULL;
	struct fault_rules *fr = NULL;
	struct srv *s;
	struct diag d;
	bool have_zones = false, sign = false, reproducible = false, nsec3 = false;
	const char *key_dir = NULL, *unsigned_zones[64];
	size_t nunsigned = 0;
	unsigned long long num;
	char err[1024];
	int ch, rc;

	malloc_tune();
	srv_conf_init(&conf);
	log_init("mxlabd", 0);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":z:f:a:p:w:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'z':
			srv_conf_add_source(&conf, SRV_SRC_DIR, optarg);
			have_zones = true;
			break;
		case 'f':
			srv_conf_add_source(&conf, SRV_SRC_FAULTS, optarg);
			break;
		case 'a': {
			int lo = srv_addr_is_loopback(optarg);
			if (lo < 0) {
				fprintf(stderr, "mxlabd: -a %s: not an IPv4 or IPv6 address\n",
				        optarg);
				goto bad_usage;
			}
			/* non-loopback addresses are refused below, once --allow-nonlocal is known
			 */
			(void)lo;
			if (addr_listed(&conf, conf.naddrs, optarg)) {
				fprintf(stderr, "mxlabd: -a %s: address listed twice\n", optarg);
				goto bad_usage;
			}
			if (srv_conf_add_addr(&conf, optarg, false) < 0) {
				fprintf(stderr, "mxlabd: -a %s: address too long\n", optarg);
				goto bad_usage;
			}
			break;
		}
		case 'p':
			if (num_parse(optarg, 0, 65535, &num) < 0) {
				fprintf(stderr, "mxlabd: -p %s: not a port number (0-65535)\n",
				        optarg);
				goto bad_usage;
			}
			conf.port = (int)num;
			break;
		case 'w':
			/* removed on measurement (README, "One event loop"): refuse it rather than
			   accept a promise the server does not keep */
			fprintf(stderr,
			        "mxlabd: -w: there are no workers: one event loop serves every "
			        "query (see README)\n");
			goto bad_usage;
		case 'v':
			conf.verbose++;
			break;
		case OPT_PORT_FILE:
			free(conf.port_file);
			conf.port_file = strdup(optarg);
			break;
		case OPT_CONTROL:
			srv_conf_add_control(&conf, optarg);
			break;
		case OPT_CONTROL_MODE: {
			char *end;
			unsigned long m = strtoul(optarg, &end, 8);
			if (optarg[0] < '0' || optarg[0] > '7' || *end != '\0' || m > 0777) {
				fprintf(stderr,
				        "mxlabd: --control-mode %s: not an octal mode (e.g. 0600, "
				        "0660)\n",
				        optarg);
				goto bad_usage;
			}
			conf.control_mode = (unsigned)m;
			break;
		}
		case OPT_QUERY_LOG:
			free(conf.query_log);
			conf.query_log = strdup(optarg);
			break;
		case OPT_QUERY_LOG_FORMAT:
			if (qlog_out_format_parse(optarg) < 0) {
				fprintf(stderr,
				        "mxlabd: --query-log-format %s: expected json or text\n",
				        optarg);
				goto bad_usage;
			}
			conf.query_log_format = qlog_out_format_parse(optarg);
			break;
		case OPT_SEED:
			if (num_parse(optarg, 0, UINT64_MAX, &num) < 0) {
				fprintf(stderr, "mxlabd: --seed %s: not a number\n", optarg);
				goto bad_usage;
			}
			conf.seed = num;
			break;
		case OPT_CHECK:
			conf.check = true;
			break;
		case OPT_ALLOW_NONLOCAL:
			conf.allow_nonlocal = true;
			break;
		case OPT_ALLOW_TRANSFER:
		case OPT_NOTIFY: {
			union qlog_addr a;
			bool xfr = ch == OPT_ALLOW_TRANSFER;
			if (notify_parse_target(optarg, xfr ? 0 : NOTIFY_PORT_DEFAULT, &a, err,
			                        sizeof(err)) < 0 ||
			    (xfr && strchr(optarg, '@'))) {
				fprintf(stderr, "mxlabd: %s %s\n",
				        xfr ? "--allow-transfer" : "--notify",
				        xfr && strchr(optarg, '@')
				            ? "takes an address without a port"
				            : err);
				goto bad_usage;
			}
			if (srv_conf_add_qaddr(xfr ? &conf.allow_transfer : &conf.notify,
			                       xfr ? &conf.nallow_transfer : &conf.nnotify, &a) < 0)
				goto bad_usage;
			break;
		}
		case OPT_SIGN:
			sign = true;
			break;
		case OPT_SIGN_REPRODUCIBLE:
			sign = reproducible = true;
			break;
		case OPT_NSEC3:
			nsec3 = true;
			break;
		case OPT_KEY_DIR:
			key_dir = optarg;
			break;
		case OPT_UNSIGNED:
			if (nunsigned == sizeof(unsigned_zones) / sizeof(unsigned_zones[0])) {
				fprintf(stderr, "mxlabd: --unsigned: at most 64 zones\n");
				goto bad_usage;
			}
			unsigned_zones[nunsigned++] = optarg;
			break;
		case OPT_TRUST_ANCHOR:
			free(conf.trust_anchor);
			conf.trust_anchor = strdup(optarg);
			break;
		case OPT_DUMP_ZONES:
			free(conf.dump_zones);
			conf.dump_zones = strdup(optarg);
			break;
		case OPT_WORLD:
			conf.world = true;
			break;
		case OPT_ROOT_ADDR:
			if (srv_addr_is_loopback(optarg) < 0) {
				fprintf(stderr,
				        "mxlabd: --root-addr %s: not an IPv4 or IPv6 address\n",
				        optarg);
				goto bad_usage;
			}
			srv_conf_add_str(&conf.root_addrs, &conf.nroot_addrs, optarg);
			break;
		case OPT_ROOT_HINTS:
			free(conf.root_hints);
			conf.root_hints = strdup(optarg);
			break;
		case OPT_CLOSED:
			srv_conf_add_str(&conf.closed, &conf.nclosed, optarg);
			break;
		case OPT_RESOLVER_CONFIG:
			if (resolver_conf_check(optarg, err, sizeof(err)) < 0) {
				fprintf(stderr, "mxlabd: %s\n", err);
				goto bad_usage;
			}
			srv_conf_add_str(&conf.resolver_conf, &conf.nresolver_conf, optarg);
			break;
		case 'h':
			usage(stdout);
			srv_conf_free(&conf);
			return 0;
		case OPT_VERSION:
			printf("mxlabd %s\n", MXLABD_VERSION);
			srv_conf_free(&conf);
			return 0;
		case ':':
		default:
			bad_option(longopts, argv[optind - 1], ch);
			goto bad_usage;
		}
	}
	for (int i = optind; i < argc; i++) {
		srv_conf_add_source(&conf, SRV_SRC_ZONE, argv[i]);
		have_zones = true;
	}
	log_init("mxlabd", conf.verbose);
	if (!sign && (nsec3 || key_dir || nunsigned || conf.trust_anchor)) {
		fprintf(stderr, "mxlabd: --%s needs --sign\n",
		        nsec3       ? "nsec3"
		        : key_dir   ? "key-dir"
		        : nunsigned ? "unsigned"
		                    : "trust-anchor");
		goto bad_usage;
	}
	if (sign && conf.nresolver_conf > 0 && conf.trust_anchor == NULL) {
		/* a validating resolver needs the anchor: beside the first configuration */
		const char *eq = strchr(conf.resolver_conf[0], '=');
		if (asprintf(&conf.trust_anchor, "%s.ds", eq ? eq + 1 : conf.resolver_conf[0]) < 0)
			conf.trust_anchor = NULL;
	}
	if (sign) {
		conf.signer = signer_new(key_dir, nsec3, err, sizeof(err));
		if (conf.signer == NULL) {
			fprintf(stderr, "mxlabd: %s\n", err);
			goto bad_usage_quiet;
		}
		signer_set_reproducible(conf.signer, reproducible);
		for (size_t i = 0; i < nunsigned; i++) {
			if (signer_skip(conf.signer, unsigned_zones[i]) < 0) {
				fprintf(stderr, "mxlabd: --unsigned %s: not a domain name\n",
				        unsigned_zones[i]);
				goto bad_usage;
			}
		}
	}

	for (size_t i = 0; i < conf.naddrs; i++) {
		if (srv_addr_is_loopback(conf.addrs[i].host) == 0 && !conf.allow_nonlocal) {
			fprintf(
			    stderr,
			    "mxlabd: refusing to listen on non-loopback address %s: this server "
			    "serves broken data on purpose; use --allow-nonlocal to allow it\n",
			    conf.addrs[i].host);
			goto bad_usage_quiet;
		}
	}
	for (int list = 0; list < 2; list++) {
		const union qlog_addr *v = list ? conf.notify : conf.allow_transfer;
		size_t nv = list ? conf.nnotify : conf.nallow_transfer;
		for (size_t i = 0; i < nv && !conf.allow_nonlocal; i++) {
			char host[INET6_ADDRSTRLEN] = "?";
			const void *ap = v[i].sa.sa_family == AF_INET6
			                     ? (const void *)&v[i].sin6.sin6_addr
			                     : (const void *)&v[i].sin.sin_addr;
			inet_ntop(v[i].sa.sa_family, ap, host, sizeof(host));
			if (srv_addr_is_loopback(host) == 1)
				continue;
			fprintf(stderr,
			        "mxlabd: %s %s: not a loopback address; use --allow-nonlocal to "
			        "allow it\n",
			        list ? "--notify" : "--allow-transfer", host);
			goto bad_usage_quiet;
		}
	}
	if (!conf.world &&
	    (conf.nroot_addrs || conf.root_hints || conf.nclosed || conf.nresolver_conf)) {
		fprintf(stderr, "mxlabd: --root-addr, --root-hints, --closed and --resolver-config "
		                "need --world\n");
		goto bad_usage;
	}
	for (size_t i = 0; i < conf.nroot_addrs; i++) {
		if (srv_addr_is_loopback(conf.root_addrs[i]) == 0 && !conf.allow_nonlocal) {
			fprintf(
			    stderr,
			    "mxlabd: refusing to serve the root on non-loopback address %s; use "
			    "--allow-nonlocal to allow it\n",
			    conf.root_addrs[i]);
			goto bad_usage_quiet;
		}
	}
	if (conf.naddrs == 0 && !conf.world) {
		srv_conf_add_addr(&conf, "127.0.0.1", false);
		srv_conf_add_addr(&conf, "::1", true);
	}
	for (size_t ci = 0; ci < conf.ncontrol; ci++) {
		const char *spec = conf.control[ci];
		if (strncmp(spec, "unix:", 5) == 0) {
			size_t pl = strlen(spec + 5);
			if (pl == 0 || pl >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
				fprintf(stderr, "mxlabd: --control %s: %s\n", spec,
				        pl ? "UNIX socket path too long"
				           : "empty UNIX socket path");
				goto bad_usage_quiet;
			}
		} else {
			/* the control API must never be public */
			char host[128];
			const char *colon = strrchr(spec, ':');
			size_t hl = colon ? (size_t)(colon - spec) : 0;
			if (colon == NULL || hl == 0 || hl >= sizeof(host)) {
				fprintf(stderr,
				        "mxlabd: --control %s: expected ADDR:PORT or unix:PATH\n",
				        spec);
				goto bad_usage_quiet;
			}
			if (num_parse(colon + 1, 1, 65535, &num) < 0) {
				fprintf(stderr,
				        "mxlabd: --control %s: port must be a number from 1 to "
				        "65535 (the "
				        "control port is never picked automatically)\n",
				        spec);
				goto bad_usage_quiet;
			}
			memcpy(host, spec, hl);
			host[hl] = '\0';
			if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
				memmove(host, host + 1, hl - 2);
				host[hl - 2] = '\0';
			}
			if (srv_addr_is_loopback(host) != 1) {
				fprintf(stderr,
				        "mxlabd: --control %s: only a loopback address or a UNIX "
				        "socket is allowed\n",
				        spec);
				goto bad_usage_quiet;
			}
		}
	}
	if (!have_zones) {
		char dir[PATH_MAX];
		srv_default_zone_dir(dir, sizeof(dir));
		log_info("no zones given, serving the bundled catalog %s", dir);
		srv_conf_add_source(&conf, SRV_SRC_DIR, dir);
	}

	diag_init(&d);
	rc = srv_load(&conf, &zs, &fr, &d);
	if (conf.check) {
		if (rc == 0) {
			lint_zoneset(zs, &d);
			lint_rules(zs, fr, &d);
			if (conf.world)
				world_lint(zs, conf.allow_nonlocal, &d);
		}
		for (size_t i = 0; i < d.n; i++)
			print_entry(&d, i, stdout, true);
		fflush(stdout);
		rc = d.errors ? 2 : d.warnings ? 1 : 0;
		zoneset_free(zs);
		fault_rules_free(fr);
		diag_free(&d);
		srv_conf_free(&conf);
		return rc;
	}
	for (size_t i = 0; i < d.n; i++)
		print_entry(&d, i, stderr, d.v[i].severity != DIAG_ERROR);
	if (rc < 0) {
		if (d.errors == 0)
			fprintf(stderr, "mxlabd: could not load the zones\n");
		diag_free(&d);
		srv_conf_free(&conf);
		return 2;
	}
	diag_free(&d);

	s = srv_new(&conf, zs, fr, err, sizeof(err));
	if (s == NULL) {
		fprintf(stderr, "mxlabd: %s\n", err);
		srv_conf_free(&conf);
		return 1;
	}
	rc = srv_run(s);
	srv_free(s);
	srv_conf_free(&conf);
	return rc;

bad_usage:
	fprintf(stderr, "Try 'mxlabd --help' for the options.\n");
bad_usage_quiet:
	srv_conf_free(&conf);
	return 2;
}
