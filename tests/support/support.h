/* tests/support/support.h -- helpers for end-to-end tests: temp dirs, starting bin/mxlabd on
   port 0 (it dies with the test), running bin/mxcheck, querying with ldns. */
#ifndef MXLAB_TEST_SUPPORT_H
#define MXLAB_TEST_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>
#include <ldns/ldns.h>

/* The first lines of the example.test. zone most tests serve: origin, TTL 300, the SOA (serial
   1, negative TTL 300) and NS ns1. Each test adds ns1's address and its own records. */
#define TEST_EXAMPLE_HEAD                                                                          \
	"$ORIGIN example.test.\n"                                                                  \
	"$TTL 300\n"                                                                               \
	"@     IN SOA ns1 hostmaster 1 3600 600 86400 300\n"                                       \
	"@     IN NS  ns1\n"

/* A second small zone, other.test. (serial 7), for tests that add or replace one zone. */
#define TEST_OTHER_ZONE                                                                            \
	"$ORIGIN other.test.\n"                                                                    \
	"$TTL 300\n"                                                                               \
	"@    IN SOA ns1 hostmaster 7 3600 600 86400 300\n"                                        \
	"@    IN NS  ns1\n"                                                                        \
	"ns1  IN A   127.0.0.1\n"                                                                  \
	"mail IN A   192.0.2.25\n"

struct zoneset;

struct testsrv {
	pid_t pid;         /* mxlabd process, 0 when not running */
	int port;          /* port from the "mxlabd: ready port=N" line */
	int out_fd;        /* read end of mxlabd's stdout (after the ready line) */
	char errfile[256]; /* file collecting mxlabd's stderr */
};

/* Absolute path of a built program: $MXLAB_BIN_DIR/name (default ./bin/name). */
const char *test_bin(const char *name);
/* Absolute path inside the source tree: $MXLAB_SRC_DIR/rel (default ./rel). */
const char *test_src(const char *rel);

/* Make a fresh temporary directory; returns its path in dir. */
void test_tmpdir(char *dir, size_t len);
/* Write text to dir/name. */
void test_write(const char *dir, const char *name, const char *text);

/* Start bin/mxlabd -p 0 with args (NULL-terminated, "-p 0" added) and wait (bounded, 10 s)
   for the ready line. Returns 0, or -1 with stderr kept in s->errfile. */
int testsrv_start(struct testsrv *s, const char *const args[]);
/* Start bin/mxlabd -p 0 -z dir [extra...] (extra NULL-terminated, may be NULL); fails the
   test with mxlabd's stderr when it does not start. */
void testsrv_start_dir(struct testsrv *s, const char *dir, const char *const extra[]);
/* Send a signal and, for SIGHUP, return at once; test_reload waits until the server says it
   reloaded (bounded). */
void testsrv_signal(struct testsrv *s, int sig);
/* SIGTERM, wait (bounded), SIGKILL if needed. Returns the exit status (waitpid form). */
int testsrv_stop(struct testsrv *s);
/* Contents of the server's stderr so far (static buffer). */
const char *testsrv_stderr(struct testsrv *s);

/* One query to 127.0.0.1:port with ldns. tcp: over TCP; edns: add OPT with 1232 (0: none).
   Returns the parsed answer or NULL on timeout/error (timeout_ms bounded). */
ldns_pkt *test_query(int port, const char *name, ldns_rr_type type, bool tcp, uint16_t edns,
                     int timeout_ms);
/* The same to numeric address addr (world mode: each address is its own server). */
ldns_pkt *test_query_at(const char *addr, int port, const char *name, ldns_rr_type type, bool tcp,
                        uint16_t edns, int timeout_ms);
/* Wire form of a query for name/type/IN with the given id (no EDNS, RD clear) into out;
   returns its length. Fails the test when it cannot be built or does not fit. */
size_t test_make_query(const char *name, ldns_rr_type type, uint16_t id, uint8_t *out, size_t cap);
/* Wire form of a query built by hand (no ldns: any OPT is allowed) into out, which has room
   for the name + 27 bytes: name in presentation form with its trailing dot, IN, flags clear.
   edns < 0: no OPT; else an OPT with payload size edns, that version and DO bit. Returns the
   length. */
size_t test_wire_query(uint8_t *out, const char *name, uint16_t type, uint16_t id, int edns,
                       uint8_t edns_version, bool edns_do);
/* Raw exchange: send bytes over UDP to 127.0.0.1:port, receive into out. Returns the reply
   length, 0 on timeout. */
size_t test_raw_udp(int port, const uint8_t *q, size_t qlen, uint8_t *out, size_t cap,
                    int timeout_ms);

/* The same to IPv4 address addr. */
size_t test_raw_udp_at(const char *addr, int port, const uint8_t *q, size_t qlen, uint8_t *out,
                       size_t cap, int timeout_ms);

/* Run a command (argv NULL-terminated) with a bound; capture stdout into out (NUL-terminated)
   and stderr for test_run_stderr().
   Returns the exit status (0..255), or -1 when it could not run or timed out. */
int test_run(const char *const argv[], char *out, size_t cap, int timeout_ms);
/* What the program of the last test_run() printed on stderr (captured, never shown). */
const char *test_run_stderr(void);

/* Run bin/mxcheck -s 127.0.0.1@port --json --seed 1 [extra...] target with a bound (extra
   NULL-terminated, may be NULL); capture stdout into out. Returns what test_run() returns. */
int test_mxcheck_json(int port, const char *const extra[], const char *target, char *out,
                      size_t cap, int timeout_ms);

/* The JSON lines of the file at path (a query log) as an array once it has at least want of
   them, or what it has when timeout_ms passes (polled every 20 ms). Caller decrefs. */
json_t *test_json_lines(const char *path, size_t want, int timeout_ms);

/* One HTTP/1.1 exchange with a control API: target "unix:PATH" or "ADDR:PORT" (IPv6 in
   brackets). headers: extra header lines, each ending in "\r\n" (NULL: none); a Host header is
   added unless headers has one (the address and port for TCP, "localhost" for a UNIX socket).
   Returns the status code (-1 when no answer came in 5 s); *out gets the parsed JSON body
   (caller decrefs, NULL when not JSON; out may be NULL); head (may be NULL) the status line
   and headers. */
int test_http(const char *target, const char *headers, const char *method, const char *path,
              const char *body, json_t **out, char *head, size_t headcap);
/* A TCP port on 127.0.0.1 that was free a moment ago (for flags that need a real port). */
int test_free_port(void);
/* Wait (bounded) until the server's stderr contains needle. */
bool testsrv_wait_stderr(struct testsrv *s, const char *needle, int timeout_ms);
/* One HTTP/1.1 exchange with a control API on the UNIX socket sock (bounded, 5 s). Returns
   the status code; *out gets the parsed JSON body (caller decrefs), NULL when it is not JSON;
   head (may be NULL) the status line and headers. */
int test_http_unix(const char *sock, const char *method, const char *path, const char *body,
                   json_t **out, char *head, size_t headlen);

/* The codes of every problem object anywhere in j (mxcheck's JSON), each once, into codes
   (at most max); *n counts them. test_cmp_code sorts them with qsort. */
void test_json_codes(json_t *j, char codes[][48], size_t *n, size_t max);
int test_cmp_code(const void *a, const void *b);

/* Move this process into a private network namespace of its own with lo up; false when that
   is impossible (the caller skips loudly). */
bool test_private_net(void);

/* Milliseconds from a monotonic clock. */
double test_now_ms(void);

/* The answer of the zone set zs (answer_build, no socket) to name/type IN with DO and EDNS
   1232, over TCP (room for 65535 bytes) or UDP (1232), into out; returns its length (> 0 or
   the test fails). */
size_t test_answer_do(const struct zoneset *zs, const char *name, ldns_rr_type type, bool tcp,
                      uint8_t *out, size_t cap);

/* Start argv[0] (a path) with argv, its output inherited, killed when the test process dies
   (PR_SET_PDEATHSIG). Returns its pid; the caller kills and reaps it. */
pid_t test_spawn(const char *const argv[]);

/* One row of zones/catalog.tsv (TEST_CATALOG_MAX: room for every row). */
#define TEST_CATALOG_MAX 256
struct test_catalog_row {
	char target[128];   /* checked domain or address */
	char flags[128];    /* mxcheck flags, a leading "world" word removed, "" for "-" */
	bool world;         /* the flags started with the word "world" (served by --world) */
	char verdict[16];   /* expected verdict */
	char codes[512];    /* expected codes, sorted, comma-separated, "-" none */
	unsigned long line; /* line in catalog.tsv */
};
/* Every row of zones/catalog.tsv (comments and blank lines skipped) into v, at most max (more
   fails the test); returns how many. */
size_t test_catalog_rows(struct test_catalog_row *v, size_t max);

#endif
