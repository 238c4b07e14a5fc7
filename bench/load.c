/* bench/load.c -- UDP load generator for make bench: a bounded number of queries over loopback,
   closed loop with a fixed number outstanding, and the server's CPU time (utime+stime of its
   whole process tree, from /proc) spent answering them. */

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#define LOAD_MAXQ        4096  /* distinct queries in a list */
#define LOAD_TIMEOUT_MS  1000  /* a query unanswered this long counts as lost */
#define LOAD_DEADLINE_MS 60000 /* the whole run never takes longer */

struct wireq {
	uint8_t *wire; /* query in wire form (ID rewritten per send), owned */
	size_t len;    /* bytes in wire */
};

struct slot {
	bool busy;      /* a query with this ID is outstanding */
	double sent_ms; /* when it was sent */
};

static struct wireq queries[LOAD_MAXQ]; /* the query mix, sent round robin */
static size_t nqueries;                 /* entries used in queries */
static struct slot slots[65536];        /* outstanding queries by ID */

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* utime+stime (clock ticks) of pid from /proc/PID/stat and its parent pid; -1 when gone. */
static long long
proc_cpu(int pid, int *ppid)
{
	char path[64], buf[1024], *p;
	unsigned long utime, stime;
	FILE *f;
	int pp;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) == NULL) {
		fclose(f);
		return -1;
	}
	fclose(f);
	/* the command name may hold spaces and parentheses: fields start after the last ')' */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	if (sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &pp, &utime,
	           &stime) != 3)
		return -1;
	if (ppid)
		*ppid = pp;
	return (long long)utime + (long long)stime;
}

static bool
in_tree(int pid, int root)
{
	for (int depth = 0; depth < 8 && pid > 1; depth++) {
		if (pid == root)
			return true;
		if (proc_cpu(pid, &pid) < 0)
			return false;
	}
	return pid == root;
}

/* CPU time in milliseconds of root and all its descendants (NSD forks its servers). */
static double
tree_cpu_ms(int root)
{
	long long ticks = 0;
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		int pid, ppid;
		long long t;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = atoi(de->d_name);
		if ((t = proc_cpu(pid, &ppid)) < 0)
			continue;
		if (pid == root || in_tree(ppid, root))
			ticks += t;
	}
	closedir(d);
	return ticks * 1000.0 / sysconf(_SC_CLK_TCK);
}

/* Largest VmHWM (kB) over root and its descendants. */
static long
tree_hwm_kb(int root)
{
	struct dirent *de;
	DIR *d = opendir("/proc");
	long best = -1;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char path[64], line[256];
		int pid, ppid;
		FILE *f;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = atoi(de->d_name);
		if (proc_cpu(pid, &ppid) < 0 || !(pid == root || in_tree(ppid, root)))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL) {
			long kb;

			if (sscanf(line, "VmHWM: %ld", &kb) == 1 && kb > best)
				best = kb;
		}
		fclose(f);
	}
	closedir(d);
	return best;
}

static int
load_queries(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int lineno = 0;

	if (f == NULL) {
		fprintf(stderr, "load: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL && nqueries < LOAD_MAXQ) {
		char name[512], type[32], opt[8] = "";
		ldns_rdf *dn;
		ldns_pkt *p;
		ldns_rr_type t;

		lineno++;
		line[strcspn(line, "#\n")] = '\0';
		if (sscanf(line, "%511s %31s %7s", name, type, opt) < 2)
			continue;
		t = ldns_get_rr_type_by_name(type);
		if (t == 0 || (dn = ldns_dname_new_frm_str(name)) == NULL) {
			fprintf(stderr, "load: %s:%d: bad query '%s %s'\n", path, lineno, name,
			        type);
			fclose(f);
			return -1;
		}
		p = ldns_pkt_query_new(dn, t, LDNS_RR_CLASS_IN, 0);
		if (p != NULL && strcmp(opt, "do") == 0) { /* "name type do": EDNS 1232 with DO */
			ldns_pkt_set_edns_udp_size(p, 1232);
			ldns_pkt_set_edns_do(p, true);
		}
		if (p == NULL || ldns_pkt2wire(&queries[nqueries].wire, p,
		                               &queries[nqueries].len) != LDNS_STATUS_OK) {
			fprintf(stderr, "load: %s:%d: cannot encode query\n", path, lineno);
			fclose(f);
			return -1;
		}
		ldns_pkt_free(p);
		nqueries++;
	}
	fclose(f);
	if (nqueries == 0) {
		fprintf(stderr, "load: %s: no queries\n", path);
		return -1;
	}
	return 0;
}

static int
udp_socket(const char *addr, int port)
{
	struct sockaddr_in sin;
	int fd, sz = 4 << 20;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (addr != NULL && inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		return -1;
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
usage(void)
{
	fprintf(stderr,
	        "usage: load [-n QUERIES] [-c OUTSTANDING] [-a IPV4] QUERYFILE PORT PID\n"
	        "       load -m PID    print the largest VmHWM (kB) in PID's process tree\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	long total = 200000, outstanding = 64;
	long sent = 0, answered = 0, lost = 0, inflight = 0, bad = 0;
	double cpu0, cpu1, t0, t1, last_sweep;
	uint16_t nextid = 1;
	uint8_t buf[65536];
	const char *addr = NULL;
	int c, fd, port, pid;

	while ((c = getopt(argc, argv, "n:c:m:a:")) != -1) {
		switch (c) {
		case 'a':
			addr = optarg;
			break;
		case 'n':
			total = atol(optarg);
			break;
		case 'c':
			outstanding = atol(optarg);
			break;
		case 'm':
			printf("%ld\n", tree_hwm_kb(atoi(optarg)));
			return 0;
		default:
			usage();
		}
	}
	if (argc - optind != 3 || total <= 0 || outstanding <= 0 || outstanding > 30000)
		usage();
	if (load_queries(argv[optind]) == -1)
		return 2;
	port = atoi(argv[optind + 1]);
	pid = atoi(argv[optind + 2]);
	if ((fd = udp_socket(addr, port)) == -1) {
		perror("load: socket");
		return 2;
	}
	if ((cpu0 = tree_cpu_ms(pid)) < 0) {
		fprintf(stderr, "load: cannot read /proc for pid %d\n", pid);
		return 2;
	}
	t0 = last_sweep = now_ms();
	while (answered + lost < total) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		double now;

		while (sent < total && inflight < outstanding) {
			struct wireq *w = &queries[sent % (long)nqueries];

			while (slots[nextid].busy)
				nextid++;
			w->wire[0] = (uint8_t)(nextid >> 8);
			w->wire[1] = (uint8_t)nextid;
			if (send(fd, w->wire, w->len, 0) != (ssize_t)w->len) {
				if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR)
					break;
				perror("load: send");
				return 2;
			}
			slots[nextid].busy = true;
			slots[nextid].sent_ms = now_ms();
			nextid++;
			sent++;
			inflight++;
		}
		if (poll(&pfd, 1, 50) > 0) {
			ssize_t n;

			while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
				uint16_t id;

				if (n < 12) {
					bad++;
					continue;
				}
				id = (uint16_t)(buf[0] << 8 | buf[1]);
				if (!slots[id].busy) {
					bad++;
					continue;
				}
				slots[id].busy = false;
				answered++;
				inflight--;
			}
		}
		now = now_ms();
		if (now - last_sweep > 200) {
			for (size_t i = 0; i < 65536; i++)
				if (slots[i].busy && now - slots[i].sent_ms > LOAD_TIMEOUT_MS) {
					slots[i].busy = false;
					lost++;
					inflight--;
				}
			last_sweep = now;
		}
		if (now - t0 > LOAD_DEADLINE_MS) {
			fprintf(stderr, "load: deadline reached\n");
			break;
		}
	}
	t1 = now_ms();
	cpu1 = tree_cpu_ms(pid);
	close(fd);
	printf("queries=%ld answered=%ld lost=%ld stray=%ld wall_ms=%.0f qps=%.0f cpu_ms=%.1f "
	       "us_per_query=%.3f\n",
	       sent, answered, lost, bad, t1 - t0, answered / ((t1 - t0) / 1000.0), cpu1 - cpu0,
	       answered ? (cpu1 - cpu0) * 1000.0 / answered : 0.0);
	for (size_t i = 0; i < nqueries; i++)
		free(queries[i].wire);
	return lost > total / 100 ? 1 : 0;
}
