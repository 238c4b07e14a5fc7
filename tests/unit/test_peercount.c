/* tests/unit/test_peercount.c -- counts per client address: ports do not matter, families do,
   an address is forgotten at 0, and many addresses stay apart. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "server/peercount.h"

static struct sockaddr_in
v4(const char *a, int port)
{
	struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};

	cr_assert_eq(inet_pton(AF_INET, a, &s.sin_addr), 1);
	return s;
}

static struct sockaddr_in6
v6(const char *a, int port)
{
	struct sockaddr_in6 s = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};

	cr_assert_eq(inet_pton(AF_INET6, a, &s.sin6_addr), 1);
	return s;
}

Test(peercount, the_port_does_not_matter)
{
	struct peercount *pc = peercount_new();
	struct sockaddr_in a = v4("127.0.0.1", 1000), b = v4("127.0.0.1", 2000);

	cr_assert_eq(peercount_inc(pc, (struct sockaddr *)&a), 0);
	cr_assert_eq(peercount_inc(pc, (struct sockaddr *)&b), 0);
	cr_expect_eq(peercount_get(pc, (struct sockaddr *)&a), 2);
	cr_expect_eq(peercount_size(pc), 1);
	peercount_free(pc);
}

Test(peercount, addresses_and_families_are_counted_apart)
{
	struct peercount *pc = peercount_new();
	struct sockaddr_in a = v4("127.0.0.1", 53), b = v4("127.0.0.2", 53);
	struct sockaddr_in6 c = v6("::1", 53), d = v6("::ffff:127.0.0.3", 53);

	peercount_inc(pc, (struct sockaddr *)&a);
	peercount_inc(pc, (struct sockaddr *)&b);
	peercount_inc(pc, (struct sockaddr *)&b);
	peercount_inc(pc, (struct sockaddr *)&c);
	cr_expect_eq(peercount_get(pc, (struct sockaddr *)&a), 1);
	cr_expect_eq(peercount_get(pc, (struct sockaddr *)&b), 2);
	cr_expect_eq(peercount_get(pc, (struct sockaddr *)&c), 1);
	cr_expect_eq(peercount_get(pc, (struct sockaddr *)&d), 0);
	cr_expect_eq(peercount_size(pc), 3);
	peercount_free(pc);
}

Test(peercount, an_address_is_forgotten_at_zero)
{
	struct peercount *pc = peercount_new();
	struct sockaddr_in a = v4("192.0.2.1", 53);

	peercount_inc(pc, (struct sockaddr *)&a);
	peercount_dec(pc, (struct sockaddr *)&a);
	peercount_dec(pc, (struct sockaddr *)&a); /* not counted any more: no underflow */
	cr_expect_eq(peercount_get(pc, (struct sockaddr *)&a), 0);
	cr_expect_eq(peercount_size(pc), 0);
	peercount_inc(pc, (struct sockaddr *)&a);
	cr_expect_eq(peercount_get(pc, (struct sockaddr *)&a), 1);
	peercount_free(pc);
}

Test(peercount, many_addresses_keep_their_own_counts)
{
	struct peercount *pc = peercount_new();
	char text[32];

	for (int i = 0; i < 5000; i++) {
		snprintf(text, sizeof(text), "10.%d.%d.1", i / 256, i % 256);
		struct sockaddr_in a = v4(text, 53);
		for (int k = 0; k <= i % 3; k++)
			cr_assert_eq(peercount_inc(pc, (struct sockaddr *)&a), 0);
	}
	cr_expect_eq(peercount_size(pc), 5000);
	for (int i = 0; i < 5000; i++) {
		snprintf(text, sizeof(text), "10.%d.%d.1", i / 256, i % 256);
		struct sockaddr_in a = v4(text, 53);
		cr_assert_eq(peercount_get(pc, (struct sockaddr *)&a), (size_t)(i % 3 + 1), "%s",
		             text);
	}
	peercount_free(pc);
}
