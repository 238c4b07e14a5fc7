/* tests/support/support.c -- helpers for end-to-end tests: temp dirs, starting bin/mxlabd on
   port 0 (it dies with the test), running bin/mxcheck, querying with ldns. */
#include "tests/support/support.h"

#include "server/answer.h"
#include "server/msg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

double
test_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static const char *
path_in(const char *envname, const char *dflt, const char *name)
{
	static char buf[4][PATH_MAX + 512];
	static int slot;
	const char *base = getenv(envname);
	char *out = buf[slot++ % 4];
	char cwd[PATH_MAX];
	size_t outlen = sizeof(buf[0]);

	if (base == NULL || base[0] == '\0') {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			snprintf(cwd, sizeof(cwd), ".");
		snprintf(out, outlen, "%.*s/%s%s%.200s", 3800, cwd, dflt, dflt[0] ? "/" : "", name);
	} else {
		snprintf(out, outlen, "%.3800s/%.200s", base, name);
	}
	return out;
}

const char *
test_bin(const char *name)
{
	return path_in("MXLAB_BIN_DIR", "bin", name);
}

const char *
test_src(const char *rel)
{
	return path_in("MXLAB_SRC_DIR", "", rel);
}

void
test_tmpdir(char *dir, size_t len)
{
	const char *t = getenv("TMPDIR");
	snprintf(dir, len, "%s/mxlab-test-XXXXXX", t && t[0] ? t : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
}

void
test_write(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	if (fp == NULL) {
		perror(path);
		abort();
	}
	fputs(text, fp);
	fclose(fp);
}

/* In the child: die with the parent, even if the parent is a Criterion worker. */
static void
child_bind_to_parent(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
}

/* Fork and exec argv with its stdout into a pipe (the read end in *out) and its descriptor fd
   opened on path with flags; the child dies with this process. Returns the pid, -1 when it
   could not start. */
static int spawn_stderr = -1; /* when >= 0: the child's stderr (test_run captures it) */

static pid_t
spawn(const char *const argv[], int *out, int fd, const char *path, int flags)
{
	int pfd[2];
	pid_t pid, parent = getpid();

	if (pipe(pfd) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		int other = open(path, flags, 0644);
		child_bind_to_parent(parent);
		dup2(pfd[1], 1);
		if (other >= 0)
			dup2(other, fd);
		if (spawn_stderr >= 0)
			dup2(spawn_stderr, 2);
		close(pfd[0]);
		close(pfd[1]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	*out = pfd[0];
	return pid;
}

int
testsrv_start(struct testsrv *s, const char *const args[])
{
	const char *argv[64];
	size_t n = 0;
	char line[256];
	size_t used = 0;
	double deadline = test_now_ms() + 10000;

	memset(s, 0, sizeof(*s));
	s->out_fd = -1;
	snprintf(s->errfile, sizeof(s->errfile), "/tmp/mxlabd-test-%ld-%ld.err", (long)getpid(),
	         (long)random());
	argv[n++] = test_bin("mxlabd");
	argv[n++] = "-p";
	argv[n++] = "0";
	for (size_t i = 0; args && args[i] && n < 62; i++)
		argv[n++] = args[i];
	argv[n] = NULL;

	/* stdout to us for the ready line, stderr to errfile */
	s->pid = spawn(argv, &s->out_fd, 2, s->errfile, O_WRONLY | O_CREAT | O_TRUNC);
	if (s->pid < 0) {
		s->pid = 0;
		return -1;
	}

	/* Read the ready line byte by byte so nothing after it is consumed. */
	while (used + 1 < sizeof(line)) {
		struct pollfd p = {.fd = s->out_fd, .events = POLLIN};
		int left = (int)(deadline - test_now_ms());
		char c;
		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		if (read(s->out_fd, &c, 1) != 1)
			break;
		if (c == '\n') {
			line[used] = '\0';
			if (sscanf(line, "mxlabd: ready port=%d", &s->port) == 1 && s->port > 0)
				return 0;
			used = 0;
			continue;
		}
		line[used++] = c;
	}
	testsrv_stop(s);
	return -1;
}

void
testsrv_start_dir(struct testsrv *s, const char *dir, const char *const extra[])
{
	const char *args[64];
	size_t n = 0;

	args[n++] = "-z";
	args[n++] = dir;
	for (size_t i = 0; extra && extra[i]; i++) {
		cr_assert_lt(n, 62, "too many mxlabd arguments");
		args[n++] = extra[i];
	}
	args[n] = NULL;
	if (testsrv_start(s, args) != 0)
		cr_assert_fail("mxlabd did not start: %s", testsrv_stderr(s));
}

void
testsrv_signal(struct testsrv *s, int sig)
{
	if (s->pid > 0)
		kill(s->pid, sig);
}

int
testsrv_stop(struct testsrv *s)
{
	int status = -1;

	if (s->pid > 0) {
		double deadline = test_now_ms() + 5000;
		kill(s->pid, SIGTERM);
		for (;;) {
			pid_t r = waitpid(s->pid, &status, WNOHANG);
			if (r == s->pid || r < 0)
				break;
			if (test_now_ms() > deadline) {
				kill(s->pid, SIGKILL);
				waitpid(s->pid, &status, 0);
				break;
			}
			usleep(2000);
		}
		s->pid = 0;
	}
	if (s->out_fd > 0) { /* 0 in a zeroed, never-started struct: not ours */
		close(s->out_fd);
		s->out_fd = -1;
	}
	return status;
}

const char *
testsrv_stderr(struct testsrv *s)
{
	static char buf[65536];
	FILE *fp = fopen(s->errfile, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (fp) {
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		buf[n] = '\0';
		fclose(fp);
	}
	return buf;
}

ldns_pkt *
test_query(int port, const char *name, ldns_rr_type type, bool tcp, uint16_t edns, int timeout_ms)
{
	return test_query_at("127.0.0.1", port, name, type, tcp, edns, timeout_ms);
}

ldns_pkt *
test_query_at(const char *addr, int port, const char *name, ldns_rr_type type, bool tcp,
              uint16_t edns, int timeout_ms)
{
	ldns_resolver *res = ldns_resolver_new();
	ldns_rdf *ns =
	    ldns_rdf_new_frm_str(strchr(addr, ':') ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A, addr);
	ldns_rdf *qname = ldns_dname_new_frm_str(name);
	ldns_pkt *q = NULL, *a = NULL;
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};

	if (res == NULL || ns == NULL || qname == NULL)
		goto out;
	ldns_resolver_push_nameserver(res, ns); /* stores a copy */
	ldns_resolver_set_port(res, (uint16_t)port);
	ldns_resolver_set_usevc(res, tcp);
	ldns_resolver_set_fallback(res, false);
	ldns_resolver_set_retry(res, 1);
	ldns_resolver_set_timeout(res, tv);
	ldns_resolver_set_recursive(res, false);
	ldns_resolver_set_dnssec(res, false);
	ldns_resolver_set_edns_udp_size(res, edns);
	if (ldns_resolver_prepare_query_pkt(&q, res, qname, type, LDNS_RR_CLASS_IN, 0) !=
	    LDNS_STATUS_OK)
		goto out;
	ldns_pkt_set_rd(q, false);
	if (edns)
		ldns_pkt_set_edns_udp_size(q, edns);
	if (ldns_resolver_send_pkt(&a, res, q) != LDNS_STATUS_OK) {
		ldns_pkt_free(a);
		a = NULL;
	}
out:
	ldns_pkt_free(q);
	ldns_rdf_deep_free(qname);
	ldns_rdf_deep_free(ns);
	ldns_resolver_deep_free(res);
	return a;
}

size_t
test_make_query(const char *name, ldns_rr_type type, uint16_t id, uint8_t *out, size_t cap)
{
	ldns_pkt *p = NULL;
	uint8_t *wire = NULL;
	size_t len = 0;

	cr_assert_eq(ldns_pkt_query_new_frm_str(&p, name, type, LDNS_RR_CLASS_IN, 0),
	             LDNS_STATUS_OK, "no query for %s", name);
	ldns_pkt_set_id(p, id);
	cr_assert_eq(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	cr_assert_leq(len, cap, "query for %s: %zu bytes, room for %zu", name, len, cap);
	memcpy(out, wire, len);
	free(wire);
	ldns_pkt_free(p);
	return len;
}

size_t
test_wire_query(uint8_t *out, const char *name, uint16_t type, uint16_t id, int edns,
                uint8_t edns_version, bool edns_do)
{
	size_t n = 12;
	const char *p = name;

	memset(out, 0, 12);
	out[0] = (uint8_t)(id >> 8);
	out[1] = (uint8_t)id;
	out[5] = 1; /* QDCOUNT */
	while (*p && *p != '.') {
		const char *dot = strchr(p, '.');
		size_t l = (size_t)(dot - p);
		out[n++] = (uint8_t)l;
		memcpy(out + n, p, l);
		n += l;
		p = dot + 1;
	}
	out[n++] = 0;
	out[n++] = (uint8_t)(type >> 8);
	out[n++] = (uint8_t)type;
	out[n++] = 0;
	out[n++] = 1;
	if (edns >= 0) {
		uint8_t opt[] = {0,
		                 0,
		                 41,
		                 (uint8_t)(edns >> 8),
		                 (uint8_t)edns,
		                 0,
		                 edns_version,
		                 edns_do ? 0x80 : 0,
		                 0,
		                 0,
		                 0};
		out[11] = 1; /* ARCOUNT */
		memcpy(out + n, opt, sizeof(opt));
		n += sizeof(opt);
	}
	return n;
}

size_t
test_raw_udp(int port, const uint8_t *q, size_t qlen, uint8_t *out, size_t cap, int timeout_ms)
{
	return test_raw_udp_at("127.0.0.1", port, q, qlen, out, cap, timeout_ms);
}

size_t
test_raw_udp_at(const char *addr, int port, const uint8_t *q, size_t qlen, uint8_t *out, size_t cap,
                int timeout_ms)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n = 0;

	if (fd < 0)
		return 0;
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		close(fd);
		return 0;
	}
	if (sendto(fd, q, qlen, 0, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    poll(&p, 1, timeout_ms) <= 0 || (n = recv(fd, out, cap, 0)) < 0)
		n = 0;
	close(fd);
	return (size_t)n;
}

static char run_err[16384]; /* stderr of the last test_run() */

/* Read the captured stderr file into run_err and close it. */
static void
keep_stderr(FILE *f)
{
	size_t n;

	rewind(f);
	n = fread(run_err, 1, sizeof(run_err) - 1, f);
	run_err[n] = '\0';
	fclose(f);
}

const char *
test_run_stderr(void)
{
	return run_err;
}

int
test_run(const char *const argv[], char *out, size_t cap, int timeout_ms)
{
	FILE *errf;
	int rfd;
	pid_t pid;
	size_t used = 0;
	int status = 0;
	double deadline = test_now_ms() + timeout_ms;

	if (cap)
		out[0] = '\0';
	/* stdout to us, stdin from /dev/null, stderr kept for test_run_stderr() */
	run_err[0] = '\0';
	if ((errf = tmpfile()) == NULL)
		return -1;
	spawn_stderr = fileno(errf);
	pid = spawn(argv, &rfd, 0, "/dev/null", O_RDONLY);
	spawn_stderr = -1;
	if (pid < 0) {
		fclose(errf);
		return -1;
	}
	for (;;) {
		struct pollfd p = {.fd = rfd, .events = POLLIN};
		int left = (int)(deadline - test_now_ms());
		char tmp[4096];
		ssize_t n;
		if (left <= 0 || poll(&p, 1, left) <= 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close(rfd);
			keep_stderr(errf);
			return -1;
		}
		n = read(rfd, tmp, sizeof(tmp));
		if (n <= 0)
			break;
		if (cap && used + 1 < cap) {
			size_t take = (size_t)n < cap - 1 - used ? (size_t)n : cap - 1 - used;
			memcpy(out + used, tmp, take);
			used += take;
			out[used] = '\0';
		}
	}
	close(rfd);
	if (waitpid(pid, &status, 0) < 0) {
		keep_stderr(errf);
		return -1;
	}
	keep_stderr(errf);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int
test_mxcheck_json(int port, const char *const extra[], const char *target, char *out, size_t cap,
                  int timeout_ms)
{
	const char *argv[64];
	char server[64];
	size_t n = 0;

	snprintf(server, sizeof(server), "127.0.0.1@%d", port);
	argv[n++] = test_bin("mxcheck");
	argv[n++] = "-s";
	argv[n++] = server;
	argv[n++] = "--json";
	argv[n++] = "--seed";
	argv[n++] = "1";
	for (size_t i = 0; extra && extra[i]; i++) {
		cr_assert_lt(n, 62, "too many mxcheck arguments");
		argv[n++] = extra[i];
	}
	argv[n++] = target;
	argv[n] = NULL;
	return test_run(argv, out, cap, timeout_ms);
}

json_t *
test_json_lines(const char *path, size_t want, int timeout_ms)
{
	double deadline = test_now_ms() + timeout_ms;
	json_t *arr = NULL;

	do {
		FILE *fp = fopen(path, "r");
		char line[8192];
		json_decref(arr);
		arr = json_array();
		if (fp) {
			while (fgets(line, sizeof(line), fp)) {
				json_t *o = json_loads(line, 0, NULL);
				if (o)
					json_array_append_new(arr, o);
			}
			fclose(fp);
		}
		if (json_array_size(arr) >= want)
			break;
		usleep(20000);
	} while (test_now_ms() < deadline);
	return arr;
}

int
test_http(const char *target, const char *headers, const char *method, const char *path,
          const char *body, json_t **out, char *head, size_t headcap)
{
	char req[65536], resp[262144], host[300];
	size_t used = 0, blen = body ? strlen(body) : 0;
	double deadline = test_now_ms() + 5000;
	int fd, code = -1, n;
	char *sep;

	if (out)
		*out = NULL;
	if (head && headcap)
		head[0] = '\0';
	if (strncmp(target, "unix:", 5) == 0) {
		struct sockaddr_un sun = {.sun_family = AF_UNIX};
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", target + 5);
		snprintf(host, sizeof(host), "localhost");
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
			if (fd >= 0)
				close(fd);
			return -1;
		}
	} else {
		struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
		struct addrinfo *ai = NULL;
		char addr[256];
		const char *colon = strrchr(target, ':');
		if (colon == NULL)
			return -1;
		snprintf(addr, sizeof(addr), "%.*s", (int)(colon - target), target);
		if (addr[0] == '[') {
			memmove(addr, addr + 1, strlen(addr));
			addr[strlen(addr) - 1] = '\0';
		}
		snprintf(host, sizeof(host), "%s", target);
		if (getaddrinfo(addr, colon + 1, &hints, &ai) != 0)
			return -1;
		fd = socket(ai->ai_family, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			if (fd >= 0)
				close(fd);
			freeaddrinfo(ai);
			return -1;
		}
		freeaddrinfo(ai);
	}
	n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\n", method, path);
	if (headers == NULL || strcasestr(headers, "host:") == NULL)
		n += snprintf(req + n, sizeof(req) - (size_t)n, "Host: %s\r\n", host);
	n += snprintf(req + n, sizeof(req) - (size_t)n,
	              "%sConnection: close\r\nContent-Length: %zu\r\n\r\n", headers ? headers : "",
	              blen);
	if (write(fd, req, (size_t)n) != n || (blen && write(fd, body, blen) != (ssize_t)blen)) {
		close(fd);
		return -1;
	}
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int left = (int)(deadline - test_now_ms());
		ssize_t r;
		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		r = read(fd, resp + used, sizeof(resp) - 1 - used);
		if (r <= 0)
			break;
		used += (size_t)r;
	}
	close(fd);
	resp[used] = '\0';
	if (sscanf(resp, "HTTP/1.1 %d", &code) != 1)
		return -1;
	sep = strstr(resp, "\r\n\r\n");
	if (head && headcap)
		snprintf(head, headcap, "%.*s", sep ? (int)(sep - resp) : (int)used, resp);
	if (sep && out)
		*out = json_loads(sep + 4, JSON_DISABLE_EOF_CHECK, NULL);
	return code;
}

int
test_free_port(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &sl) == 0)
		port = ntohs(sin.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

bool
testsrv_wait_stderr(struct testsrv *s, const char *needle, int timeout_ms)
{
	double deadline = test_now_ms() + timeout_ms;

	while (test_now_ms() < deadline) {
		if (strstr(testsrv_stderr(s), needle))
			return true;
		usleep(10000);
	}
	return strstr(testsrv_stderr(s), needle) != NULL;
}

int
test_http_unix(const char *sock, const char *method, const char *path, const char *body,
               json_t **out, char *head, size_t headlen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	static char req[8192], resp[262144];
	size_t used = 0;
	int fd, n, code = 0;
	double deadline = test_now_ms() + 5000;
	char *sep;

	*out = NULL;
	cr_assert_lt(strlen(sock), sizeof(sun.sun_path));
	memcpy(sun.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0, "connect %s: %s", sock,
	             strerror(errno));
	n = snprintf(req, sizeof(req),
	             "%s %s HTTP/1.1\r\nHost: mxlabd\r\nConnection: close\r\n"
	             "Content-Length: %zu\r\n\r\n%s",
	             method, path, body ? strlen(body) : 0, body ? body : "");
	cr_assert_eq(write(fd, req, (size_t)n), n);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int left = (int)(deadline - test_now_ms());
		ssize_t r;
		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		r = read(fd, resp + used, sizeof(resp) - 1 - used);
		if (r <= 0)
			break;
		used += (size_t)r;
	}
	close(fd);
	resp[used] = '\0';
	cr_assert(sscanf(resp, "HTTP/1.1 %d", &code) == 1, "no status line: %s", resp);
	sep = strstr(resp, "\r\n\r\n");
	if (head != NULL)
		snprintf(head, headlen, "%.*s", sep ? (int)(sep - resp) : (int)used, resp);
	if (sep)
		*out = json_loads(sep + 4, JSON_DISABLE_EOF_CHECK, NULL);
	return code;
}

void
test_json_codes(json_t *j, char codes[][48], size_t *n, size_t max)
{
	const char *key;
	json_t *val;
	size_t i;

	if (json_is_object(j)) {
		json_t *code = json_object_get(j, "code");
		if (json_is_string(code)) {
			bool dup = false;
			for (size_t k = 0; k < *n; k++)
				dup |= strcmp(codes[k], json_string_value(code)) == 0;
			if (!dup && *n < max)
				snprintf(codes[(*n)++], 48, "%s", json_string_value(code));
		}
		json_object_foreach(j, key, val) test_json_codes(val, codes, n, max);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, val) test_json_codes(val, codes, n, max);
	}
}

int
test_cmp_code(const void *a, const void *b)
{
	return strcmp(a, b);
}

bool
test_private_net(void)
{
	struct ifreq ifr;
	int fd;
	bool ok;

	if (unshare(CLONE_NEWNET) != 0)
		return false;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return false;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	ok = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
	ifr.ifr_flags |= IFF_UP;
	ok = ok && ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
	close(fd);
	return ok;
}

pid_t
test_spawn(const char *const argv[])
{
	pid_t parent = getpid(), pid = fork();

	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

size_t
test_catalog_rows(struct test_catalog_row *v, size_t max)
{
	char buf[1024];
	FILE *fp = fopen(test_src("zones/catalog.tsv"), "r");
	size_t n = 0;
	unsigned long line = 0;

	cr_assert_not_null(fp, "zones/catalog.tsv: %s", strerror(errno));
	while (fgets(buf, sizeof(buf), fp)) {
		char *f[5], *p = buf, *flags;
		size_t nf = 0;

		line++;
		buf[strcspn(buf, "\r\n")] = '\0';
		if (buf[0] == '#' || buf[0] == '\0')
			continue;
		for (; nf < 5 && p; nf++) {
			f[nf] = p;
			if ((p = strchr(p, '\t')) != NULL)
				*p++ = '\0';
		}
		if (nf < 5)
			continue;
		cr_assert_lt(n, max, "catalog.tsv: more than %zu rows", max);
		flags = f[1];
		v[n].world =
		    strncmp(flags, "world", 5) == 0 && (flags[5] == ' ' || flags[5] == '\0');
		if (v[n].world)
			flags += flags[5] ? 6 : 5;
		else if (strcmp(flags, "-") == 0)
			flags = "";
		snprintf(v[n].target, sizeof(v[n].target), "%s", f[0]);
		snprintf(v[n].flags, sizeof(v[n].flags), "%s", flags);
		snprintf(v[n].verdict, sizeof(v[n].verdict), "%s", f[2]);
		snprintf(v[n].codes, sizeof(v[n].codes), "%s", f[3]);
		v[n].line = line;
		n++;
	}
	fclose(fp);
	return n;
}

size_t
test_answer_do(const struct zoneset *zs, const char *name, ldns_rr_type type, bool tcp,
               uint8_t *out, size_t cap)
{
	ldns_pkt *qp = NULL;
	uint8_t *qw = NULL;
	size_t qlen = 0, len;
	struct msg_query q;

	cr_assert_eq(ldns_pkt_query_new_frm_str(&qp, name, type, LDNS_RR_CLASS_IN, 0),
	             LDNS_STATUS_OK);
	ldns_pkt_set_edns_udp_size(qp, 1232);
	ldns_pkt_set_edns_do(qp, true);
	cr_assert_eq(ldns_pkt2wire(&qw, qp, &qlen), LDNS_STATUS_OK);
	cr_assert_eq(msg_parse_query(qw, qlen, &q), MSG_OK);
	q.tcp = tcp;
	len = answer_build(zs, &q, tcp ? 65535 : 1232, out, cap, NULL);
	cr_assert_gt(len, 0);
	free(qw);
	ldns_pkt_free(qp);
	return len;
}
