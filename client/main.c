/* client/main.c -- mxcheck: command line, targets, output and exit status; the work is done
   by the library (mx.c, rdns.c, lookup.c, report.c). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client/check.h"
#include "client/lookup.h"
#include "client/mta.h"
#include "client/mx.h"
#include "client/rdns.h"
#include "client/report.h"
#include "common/num.h"

static const char usage_text[] =
    "usage: mxcheck [options] DOMAIN|USER@DOMAIN|ADDRESS...\n"
    "       mxcheck [options] --ip ADDRESS [--helo NAME]\n"
    "\n"
    "Resolve a mail domain like a correct sending MTA (RFC 5321 §5.1) and check the\n"
    "forward and reverse DNS on the way, or check the FCrDNS of an address.\n"
    "\n"
    "  -s ADDR[@PORT]   query this server directly (IPv4 or IPv6, port 53; repeatable,\n"
    "                   at most 8); default: the system resolver from /etc/resolv.conf\n"
    "                   (ADDR:PORT and [IPV6]:PORT are accepted too)\n"
    "  -t MS            per-query timeout in milliseconds, 1..3600000 (default 2000)\n"
    "  -r N             retries after a failed query, 0..20 (default 1)\n"
    "  -4, -6           the sending host uses only IPv4 / only IPv6\n"
    "  --seed N         seed of the shuffle of equal MX preferences (default random)\n"
    "  --self NAME|IP   this host's name or address, for MX loop detection\n"
    "                   (repeatable, at most 64)\n"
    "  --no-ptr         skip reverse DNS checks in domain mode\n"
    "  --mta NAME       predict this MTA in its Debian default configuration:\n"
    "                   rfc (default: RFC 5321 as mxcheck reads it), postfix, exim\n"
    "  --ip ADDR        address mode: would a receiver checking FCrDNS accept ADDR?\n"
    "                   (repeatable; a bare address target does the same)\n"
    "  --helo NAME      address mode: also check that NAME resolves to the address\n"
    "  --json           one JSON object per target per line (JSON Lines)\n"
    "  -f FILE          read targets from FILE, one per line (\"-\": standard input;\n"
    "                   repeatable)\n"
    "  -h, --help       this help\n"
    "  --version        print the version\n"
    "\n"
    "Exit status: 0 deliver/pass without problems, 1 deliver/pass with warnings or\n"
    "errors, 69 permfail, 75 tempfail, 64 bad arguments, 70 internal error. With\n"
    "several targets: 64 or 70 if any occurred, else the most severe of 69, 75, 1, 0.\n";

enum { OPT_SEED = 256, OPT_SELF, OPT_NO_PTR, OPT_IP, OPT_HELO, OPT_JSON, OPT_VERSION, OPT_MTA };

static const struct option long_opts[] = {
    {"seed", required_argument, NULL, OPT_SEED}, {"self", required_argument, NULL, OPT_SELF},
    {"no-ptr", no_argument, NULL, OPT_NO_PTR},   {"ip", required_argument, NULL, OPT_IP},
    {"helo", required_argument, NULL, OPT_HELO}, {"json", no_argument, NULL, OPT_JSON},
    {"mta", required_argument, NULL, OPT_MTA},   {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION}, {NULL, 0, NULL, 0},
};

struct targets {
	char **v; /* targets in order, owned */
	size_t n; /* entries used */
};

static void
targets_add(struct targets *t, const char *s)
{
	char **v = realloc(t->v, (t->n + 1) * sizeof(*v));

	if (v == NULL || (v[t->n] = strdup(s)) == NULL) {
		fprintf(stderr, "mxcheck: out of memory\n");
		exit(CHECK_EX_SOFTWARE);
	}
	t->v = v;
	t->n++;
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Say what is wrong with the command line; returns the exit status for it. */
static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mxcheck: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'mxcheck --help'.\n");
	return CHECK_EX_USAGE;
}

/* Targets from a file, one a line; blank lines and '#' comments are skipped. */
static int
read_targets(const char *path, struct targets *t)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	struct stat st;

	if (fp == NULL) {
		fprintf(stderr, "mxcheck: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		fprintf(stderr, "mxcheck: -f %s: is a directory, not a file of targets\n", path);
		fclose(fp);
		return -1;
	}
	while ((len = getline(&line, &cap, fp)) >= 0) {
		char *s = line, *e = line + len;
		while (*s == ' ' || *s == '\t')
			s++;
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (*s == '\0' || *s == '#')
			continue;
		targets_add(t, s);
	}
	free(line);
	if (fp != stdin)
		fclose(fp);
	return 0;
}

/* A --self value: an address (no brackets) or a host name that is not numeric. */
static bool
self_valid(const char *s)
{
	uint8_t a[16];

	if (s[0] != '[' && check_parse_ip(s, a) != 0)
		return true;
	return !check_looks_like_ip(s) && check_hostname_valid(s);
}

/* -s as dig/host users type it: ADDR, ADDR@PORT, ADDR:PORT (IPv4), [V6] or [V6]:PORT, into
   the ADDR[@PORT] form lookup_net_new() reads. -1 with err set when it is none of them. */
static int
server_arg(const char *arg, char *out, size_t len, char *err, size_t errlen)
{
	const char *colon = strchr(arg, ':');

	if (arg[0] == '[') {
		const char *end = strchr(arg, ']');
		if (end == NULL || (end[1] != '\0' && end[1] != ':' && end[1] != '@') ||
		    (end[1] != '\0' && end[2] == '\0')) {
			snprintf(err, errlen, "-s %s: expected [IPV6]:PORT (or ADDR@PORT)", arg);
			return -1;
		}
		snprintf(out, len, "%.*s%s%s", (int)(end - arg - 1), arg + 1,
		         end[1] != '\0' ? "@" : "", end[1] != '\0' ? end + 2 : "");
		return 0;
	}
	if (colon != NULL && strchr(colon + 1, ':') == NULL && strchr(arg, '@') == NULL) {
		/* one colon: IPv4 (or a name) with a port */
		snprintf(out, len, "%.*s@%s", (int)(colon - arg), arg, colon + 1);
		return 0;
	}
	snprintf(out, len, "%s", arg);
	return 0;
}

static uint64_t
random_seed(void)
{
	uint32_t s = 0;

	if (getrandom(&s, sizeof(s), 0) != (ssize_t)sizeof(s))
		s = (uint32_t)time(NULL) ^ (uint32_t)getpid();
	return s;
}

int
main(int argc, char **argv)
{
	struct check_options opt;
	struct targets targets = {NULL, 0};
	const char *servers[LOOKUP_MAX_SERVERS];
	char server_buf[LOOKUP_MAX_SERVERS][128];
	const char *selfs[64];
	size_t nservers = 0, nself = 0;
	unsigned long long timeout = 2000, retries = 1, num;
	bool json = false, only4 = false, only6 = false, seeded = false;
	struct lookup *lk;
	char err[512];
	int c, status = CHECK_EX_OK, rc = 0;

	check_options_init(&opt);
	opterr = 0; /* our own messages, starting with "mxcheck:" */
	while ((c = getopt_long(argc, argv, ":s:t:r:46f:h", long_opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (nservers == LOOKUP_MAX_SERVERS)
				return usage_error("too many -s servers (at most %d)",
				                   LOOKUP_MAX_SERVERS);
			if (strlen(optarg) >= sizeof(server_buf[0]))
				return usage_error("-s %.64s...: too long", optarg);
			if (server_arg(optarg, server_buf[nservers], sizeof(server_buf[0]), err,
			               sizeof(err)) < 0)
				return usage_error("%s", err);
			servers[nservers] = server_buf[nservers];
			nservers++;
			break;
		case 't':
			if (num_parse(optarg, 1, 3600000, &timeout) < 0)
				return usage_error("-t %s: expected milliseconds, 1..3600000",
				                   optarg);
			break;
		case 'r':
			if (num_parse(optarg, 0, 20, &retries) < 0)
				return usage_error("-r %s: expected a retry count, 0..20", optarg);
			break;
		case '4':
			only4 = true;
			break;
		case '6':
			only6 = true;
			break;
		case 'f':
			if (read_targets(optarg, &targets) < 0)
				return CHECK_EX_USAGE;
			break;
		case OPT_SEED:
			if (num_parse(optarg, 0, LLONG_MAX, &num) < 0)
				return usage_error("--seed %s: expected a non-negative integer",
				                   optarg);
			opt.seed = (uint64_t)num;
			seeded = true;
			break;
		case OPT_SELF:
			if (nself == sizeof(selfs) / sizeof(selfs[0]))
				return usage_error("too many --self (at most %zu)",
				                   sizeof(selfs) / sizeof(selfs[0]));
			if (optarg[0] == '\0')
				return usage_error("--self: empty name");
			if (!self_valid(optarg))
				return usage_error("--self %s: neither a valid host name nor an "
				                   "address",
				                   optarg);
			selfs[nself++] = optarg;
			break;
		case OPT_NO_PTR:
			opt.no_ptr = true;
			break;
		case OPT_IP: {
			uint8_t a[16];
			if (check_parse_ip(optarg, a) == 0)
				return usage_error("--ip %s: not an IPv4 or IPv6 address", optarg);
			targets_add(&targets, optarg);
			break;
		}
		case OPT_HELO:
			if (optarg[0] == '\0')
				return usage_error("--helo: empty name");
			opt.helo = optarg;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_MTA:
			opt.mta = mta_find(optarg);
			if (opt.mta == NULL)
				return usage_error("--mta %s: expected one of %s", optarg,
				                   mta_names_list());
			break;
		case 'h':
			fputs(usage_text, stdout);
			return CHECK_EX_OK;
		case OPT_VERSION:
			printf("mxcheck %s\n", MXCHECK_VERSION);
			return CHECK_EX_OK;
		case ':':
			return usage_error("option %s needs an argument", argv[optind - 1]);
		default:
			if (optopt != 0)
				return usage_error("unknown option -%c", optopt);
			return usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	for (int i = optind; i < argc; i++)
		targets_add(&targets, argv[i]);
	for (size_t i = 0; i < targets.n; i++)
		if (strstr(targets.v[i], "@@") != NULL)
			return usage_error("%s: not an address (two '@' in a row); use user@domain",
			                   targets.v[i]);
	if (targets.n == 0)
		return usage_error("no target given (a domain, user@domain, or --ip ADDRESS)");
	if (only4 || only6) {
		opt.want4 = only4;
		opt.want6 = only6;
	}
	if (!seeded)
		opt.seed = random_seed();
	opt.self = selfs;
	opt.nself = nself;

	lk = lookup_net_new(servers, nservers, (int)timeout, (int)retries, err, sizeof(err));
	if (lk == NULL)
		return usage_error("%s", err);

	for (size_t i = 0; i < targets.n; i++) {
		struct check_result *r;
		uint8_t a[16];
		const char *t = targets.v[i];

		err[0] = '\0';
		if (check_parse_ip(t, a) != 0)
			r = rdns_check(lk, t, &opt, err, sizeof(err));
		else
			r = mx_check(lk, t, &opt, err, sizeof(err));
		if (r == NULL) {
			fprintf(stderr, "mxcheck: %s\n", err);
			status = check_exit_combine(status, CHECK_EX_USAGE);
			continue;
		}
		if (json)
			rc = report_json(stdout, r);
		else {
			if (i > 0)
				fputc('\n', stdout);
			report_text(stdout, r, isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL);
		}
		fflush(stdout);
		status =
		    check_exit_combine(status, rc < 0 ? CHECK_EX_SOFTWARE : check_exit_status(r));
		check_result_free(r);
	}
	lookup_free(lk);
	for (size_t i = 0; i < targets.n; i++)
		free(targets.v[i]);
	free(targets.v);
	if (ferror(stdout))
		status = CHECK_EX_SOFTWARE;
	return status;
}
