/* tests/unit/test_net.c -- the transport in-process: one address's UDP and TCP sockets are
   opened and closed on their own (net_listen_add / net_listen_remove) while the others keep
   answering. The event loop runs in the test, bounded. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/diag.h"
#include "server/net.h"
#include "server/zone.h"
#include "tests/support/support.h"

static const char zone_text[] = TEST_EXAMPLE_HEAD "ns1  IN A   127.0.0.1\n"
                                                  "www  IN A   192.0.2.1\n";

static struct event_base *base;
static struct query_ctx ctx;
static struct net *n;
static int port;

static void
setup(void)
{
	struct diag d;
	char err[256];
	struct net_addr a = {.host = "127.0.0.1"};

	diag_init(&d);
	memset(&ctx, 0, sizeof(ctx));
	ctx.zs = zoneset_new();
	cr_assert_eq(zoneset_add_text(ctx.zs, "example.test.zone", zone_text, &d), 0);
	cr_assert_eq(zoneset_finish(ctx.zs, &d), 0);
	diag_free(&d);
	base = event_base_new();
	n = net_new(base, &ctx);
	cr_assert_not_null(n);
	cr_assert_eq(net_listen(n, &a, 1, 0, &port, err, sizeof(err)), 0, "%s", err);
}

static void
teardown(void)
{
	net_free(n);
	event_base_free(base);
	zoneset_free(ctx.zs);
}

TestSuite(net, .init = setup, .fini = teardown);

/* One UDP query to host:port, the loop run until the answer comes (bounded). 1 answered,
   0 no answer, -1 refused (nothing listens there). */
static int
udp_ask(const char *host)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	uint8_t q[512], r[4096];
	size_t len = test_make_query("www.example.test.", 1, 42, q, sizeof(q));
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), res = 0;
	double deadline = test_now_ms() + 2000;

	cr_assert_eq(inet_pton(AF_INET, host, &sin.sin_addr), 1);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(send(fd, q, len, 0), (ssize_t)len);
	while (test_now_ms() < deadline) {
		ssize_t got;

		event_base_loop(base, EVLOOP_NONBLOCK);
		got = recv(fd, r, sizeof(r), 0);
		if (got > 12 && r[0] == 0 && r[1] == 42) {
			res = 1;
			break;
		}
		if (got < 0 && errno == ECONNREFUSED) {
			res = -1;
			break;
		}
		poll(NULL, 0, 5);
	}
	close(fd);
	return res;
}

static bool
tcp_refused(const char *host)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool refused;

	cr_assert_eq(inet_pton(AF_INET, host, &sin.sin_addr), 1);
	refused = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 && errno == ECONNREFUSED;
	close(fd);
	return refused;
}

Test(net, an_address_added_answers_on_the_same_port)
{
	char err[256];

	cr_expect_eq(udp_ask("127.0.0.2"), -1, "nothing listens on 127.0.0.2 yet");
	cr_assert_eq(net_listen_add(n, "127.0.0.2", err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(net_listen_count(n), 2);
	cr_expect_eq(udp_ask("127.0.0.2"), 1);
	cr_expect_not(tcp_refused("127.0.0.2"));
	cr_expect_eq(udp_ask("127.0.0.1"), 1);
}

Test(net, an_address_removed_is_closed_and_the_others_keep_answering)
{
	char err[256];

	cr_assert_eq(net_listen_add(n, "127.0.0.3", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(udp_ask("127.0.0.3"), 1);
	net_listen_remove(n, "127.0.0.3");
	cr_expect_not(net_listening(n, "127.0.0.3"));
	cr_expect_eq(net_listen_count(n), 1);
	cr_expect_eq(udp_ask("127.0.0.3"), -1, "UDP still open after the remove");
	cr_expect(tcp_refused("127.0.0.3"), "TCP still open after the remove");
	cr_expect_eq(udp_ask("127.0.0.1"), 1);
	net_listen_remove(n, "127.0.0.3"); /* twice: nothing happens */
	cr_expect(net_listening(n, "127.0.0.1"));
}

Test(net, bad_addresses_are_refused_and_a_second_add_is_a_no_op)
{
	char err[256] = "";

	cr_expect_eq(net_listen_add(n, "not-an-address", err, sizeof(err)), -1);
	cr_expect(strstr(err, "not-an-address") != NULL, "%s", err);
	cr_expect_eq(net_listen_add(n, "127.0.0.1", err, sizeof(err)), 0, "already listening");
	cr_expect_eq(net_listen_count(n), 1);
	net_listen_remove(n, "bogus");
	cr_expect_eq(net_listen_count(n), 1);
}
