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
#include "client/multi.h"
#include "client/mx.h"
#include "client/rdns.h"
#include "client/report.h"
#include "client/trace.h"
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
    "  --trace          resolve every lookup iteratively from the root, naming every\n"
    "                   broken server and zone cut on the way (instead of -s)\n"
    "  --root-hints FILE  root servers for --trace (named.root or mxlabd --root-hints;\n"
    "                   default /usr/share/dns/root.hints when present)\n"
    "  --root ADDR[@PORT]  a root server for --trace (repeatable, instead of hints)\n"
    "  --dnssec         ask with DO and read AD (needs a validating resolver): bogus\n"
    "                   lookups, the MX and address RRsets' DNSSEC state, TLSA records\n"
    "                   and the DANE state of each exchange (RFC 7672); domain mode only\n"
    "  --recursive      with -s: set RD and skip the AA check (the -s servers are a\n"
    "                   validating recursive resolver, not authoritative servers)\n"
    "  --mta NAME       predict this MTA in its Debian default configuration:\n"
    "                   rfc (default: RFC 5321 as mxcheck reads it), postfix, exim\n"
    "  --ip ADDR        address mode: would a receiver checking FCrDNS accept ADDR?\n"
    "                   (repeatable; a bare address target does the same)\n"
    "  --helo NAME      address mode: also check that NAME resolves to the address\n"
    "  --json           one JSON object per target per line (JSON Lines)\n"
    "  -f FILE          read targets from FILE, one per line (\"-\": standard input;\n"
    "                   repeatable)\n"
    "  -j N             check up to N targets at once, 1..1024 (default 16); the output\n"
    "                   keeps the input order; progress on stderr when it is a terminal\n"
    "  -h, --help       this help\n"
    "  --version        print the version\n"
    "\n"
    "Exit status: 0 deliver/pass without problems, 1 deliver/pass with warnings or\n"
    "errors, 69 permfail, 75 tempfail, 64 bad arguments, 70 internal error. With\n"
    "several targets: 64 or 70 if any occurred, else the most severe of 69, 75, 1, 0.\n";

enum {
	OPT_SEED = 256,
	OPT_SELF,
	OPT_NO_PTR,
	OPT_IP,
	OPT_HELO,
	OPT_JSON,
	OPT_VERSION,
	OPT_MTA,
	OPT_TRACE,
	OPT_ROOT_HINTS,
	OPT_ROOT,
	OPT_DNSSEC,
	OPT_RECURSIVE
};

static const struct option long_opts[] = {
    {"seed", required_argument, NULL, OPT_SEED},
    {"self", required_argument, NULL, OPT_SELF},
    {"no-ptr", no_argument, NULL, OPT_NO_PTR},
    {"ip", required_argument, NULL, OPT_IP},
    {"helo", required_argument, NULL, OPT_HELO},
    {"json", no_argument, NULL, OPT_JSON},
    {"mta", required_argument, NULL, OPT_MTA},
    {"trace", no_argument, NULL, OPT_TRACE},
    {"root-hints", required_argument, NULL, OPT_ROOT_HINTS},
    {"root", required_argument, NULL, OPT_ROOT},
    {"dnssec", no_argument, NULL, OPT_DNSSEC},
    {"recursive", no_argument, NULL, OPT_RECURSIVE},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
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

static void
targets_free(struct targets *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	t->v = NULL;
	t->n = 0;
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

/* What every check of a run shares: options, how to make lookups, how to print. */
struct run {
	struct check_options *opt;  /* check options (not owned) */
	const char *const *servers; /* -s servers (not owned) */
	size_t nservers;            /* entries in servers */
	int timeout_ms;             /* -t */
	int retries;                /* -r */
	bool json;                  /* --json */
	bool trace;                 /* --trace */
	bool recursive;             /* --recursive: RD set, no AA check on -s servers */
	struct trace_server *roots; /* its root servers, owned */
	size_t nroots;              /* entries in roots */
	bool color;                 /* text with colour */
	bool progress_shown;        /* a progress line is on stderr now */
	int status;                 /* combined exit status so far */
	size_t printed;             /* results printed */
};

static struct lookup *
run_new_lookup(void *ud, char *err, size_t errlen)
{
	struct run *run = ud;
	struct lookup *lk;

	if (!run->trace) {
		lk = lookup_net_new(run->servers, run->nservers, run->timeout_ms, run->retries, err,
		                    errlen);
		if (lk != NULL && run->recursive)
			lookup_net_set_recursive(lk);
		return lk;
	}
	lk = trace_net_new(run->roots, run->nroots, run->timeout_ms, run->retries);
	if (lk == NULL)
		snprintf(err, errlen, "out of memory");
	return lk;
}

static struct check_result *
run_check(void *ud, struct lookup *lk, const char *t, char *err, size_t errlen)
{
	struct run *run = ud;
	uint8_t a[16];

	if (check_parse_ip(t, a) != 0)
		return rdns_check(lk, t, run->opt, err, errlen);
	return mx_check(lk, t, run->opt, err, errlen);
}

/* Erase the progress line before anything else is written to the terminal. */
static void
progress_clear(struct run *run)
{
	if (run->progress_shown) {
		fputs("\r\033[K", stderr);
		run->progress_shown = false;
	}
}

/* A count, a rate and an ETA, once the run has taken a second. */
static void
run_progress(void *ud, size_t done, size_t total, double elapsed_ms)
{
	struct run *run = ud;
	double rate = elapsed_ms > 0 ? (double)done * 1000.0 / elapsed_ms : 0;

	if (elapsed_ms < 1000)
		return;
	fprintf(stderr, "\r\033[Kmxcheck: %zu/%zu checked, %.0f/s", done, total, rate);
	if (rate > 0 && done < total)
		fprintf(stderr, ", about %.0f s left", (double)(total - done) / rate);
	fflush(stderr);
	run->progress_shown = true;
}

/* Print one result (or its error) and fold its exit status in; frees r. */
static void
run_deliver(void *ud, size_t index, struct check_result *r, const char *err)
{
	struct run *run = ud;
	int rc = 0;

	progress_clear(run);
	if (r == NULL) {
		fprintf(stderr, "mxcheck: %s\n", err);
		run->status = check_exit_combine(run->status, CHECK_EX_USAGE);
		return;
	}
	if (run->json)
		rc = report_json(stdout, r);
	else {
		if (run->printed > 0)
			fputc('\n', stdout);
		report_text(stdout, r, run->color);
	}
	run->printed++;
	fflush(stdout);
	run->status =
	    check_exit_combine(run->status, rc < 0 ? CHECK_EX_SOFTWARE : check_exit_status(r));
	check_result_free(r);
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
	static struct targets targets; /* static: reachable until exit, whatever path returns */
	const char *servers[LOOKUP_MAX_SERVERS];
	char server_buf[LOOKUP_MAX_SERVERS][128];
	const char *selfs[64];
	size_t nservers = 0, nself = 0;
	unsigned long long timeout = 2000, retries = 1, num, jobs = 16;
	bool json = false, only4 = false, only6 = false, seeded = false;
	struct lookup *lk;
	char err[512];
	struct run run;
	const char *hints = NULL;
	struct trace_server roots[TRACE_MAX_ROOTS];
	size_t nroots = 0;
	bool trace = false, recursive = false;
	int c;

	check_options_init(&opt);
	opterr = 0; /* our own messages, starting with "mxcheck:" */
	while ((c = getopt_long(argc, argv, ":s:t:r:46f:j:h", long_opts, NULL)) != -1) {
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
		case 'j':
			if (num_parse(optarg, 1, MULTI_MAX_JOBS, &jobs) < 0)
				return usage_error("-j %s: expected checks at once, 1..%d", optarg,
				                   MULTI_MAX_JOBS);
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
		case OPT_TRACE:
			trace = true;
			break;
		case OPT_DNSSEC:
			opt.dnssec = true;
			break;
		case OPT_RECURSIVE:
			recursive = true;
			break;
		case OPT_ROOT_HINTS:
			hints = optarg;
			break;
		case OPT_ROOT:
			if (nroots == TRACE_MAX_ROOTS)
				return usage_error("too many --root (at most %d)", TRACE_MAX_ROOTS);
			if (trace_root_parse(optarg, &roots[nroots], err, sizeof(err)) < 0)
				return usage_error("%s", err);
			nroots++;
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
		if (strstr(targets.v[i], "@@") != NULL) {
			int rc = usage_error(
			    "%s: not an address (two '@' in a row); use user@domain", targets.v[i]);
			targets_free(&targets);
			return rc;
		}
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

	memset(&run, 0, sizeof(run));
	if (!trace && (hints != NULL || nroots > 0))
		return usage_error("--root-hints and --root need --trace");
	if (trace && nservers > 0)
		return usage_error("--trace resolves from the root: it cannot be used with -s");
	if (trace && opt.dnssec)
		return usage_error("--dnssec needs a validating resolver; --trace asks "
		                   "authoritative servers itself and validates nothing");
	if (trace && recursive)
		return usage_error("--recursive is for -s servers; --trace resolves itself");
	run.recursive = recursive;
	if (trace) {
		if (nroots > 0 && hints != NULL)
			return usage_error("--trace: give --root-hints or --root, not both");
		if (nroots == 0 && hints == NULL && access("/usr/share/dns/root.hints", R_OK) == 0)
			hints = "/usr/share/dns/root.hints";
		if (nroots > 0) {
			run.roots = malloc(nroots * sizeof(*run.roots));
			if (run.roots == NULL)
				return CHECK_EX_SOFTWARE;
			memcpy(run.roots, roots, nroots * sizeof(*roots));
			run.nroots = nroots;
		} else if (hints == NULL) {
			return usage_error("--trace needs --root-hints FILE or --root ADDR");
		} else if (trace_hints_load(hints, &run.roots, &run.nroots, err, sizeof(err)) < 0) {
			return usage_error("--root-hints %s", err);
		}
		run.trace = true;
	}
	run.opt = &opt;
	run.servers = servers;
	run.nservers = nservers;
	run.timeout_ms = (int)timeout;
	run.retries = (int)retries;
	run.json = json;
	run.color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	run.status = CHECK_EX_OK;

	if (jobs > 1 && targets.n > 1) {
		struct multi_config mc = {
		    .jobs = (size_t)jobs,
		    .targets = (const char *const *)targets.v,
		    .ntargets = targets.n,
		    .new_lookup = run_new_lookup,
		    .check = run_check,
		    .deliver = run_deliver,
		    .progress = isatty(STDERR_FILENO) ? run_progress : NULL,
		    .ud = &run,
		};
		if (multi_run(&mc, err, sizeof(err)) < 0) {
			progress_clear(&run);
			if (run.printed == 0 && strncmp(err, "-s ", 3) == 0)
				return usage_error("%s", err);
			fprintf(stderr, "mxcheck: %s\n", err);
			run.status = CHECK_EX_SOFTWARE;
		}
		progress_clear(&run);
	} else {
		lk = run_new_lookup(&run, err, sizeof(err));
		if (lk == NULL)
			return usage_error("%s", err);
		for (size_t i = 0; i < targets.n; i++) {
			struct check_result *r;
			err[0] = '\0';
			r = run_check(&run, lk, targets.v[i], err, sizeof(err));
			run_deliver(&run, i, r, err);
		}
		lookup_free(lk);
	}
	targets_free(&targets);
	free(run.roots);
	if (ferror(stdout))
		run.status = CHECK_EX_SOFTWARE;
	return run.status;
}
