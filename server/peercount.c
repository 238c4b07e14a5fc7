/* server/peercount.c -- counts per client address: chained hash buckets of addresses (IPv4 as
   its mapped IPv6 form, port ignored), an entry freed when its count drops to 0. */
#include "server/peercount.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PEERCOUNT_BUCKETS 1024 /* hash buckets (a power of two) */

struct peercount_entry {
	uint8_t addr[16];             /* IPv6 address, or ::ffff:IPv4 */
	size_t count;                 /* how many the address holds (> 0) */
	struct peercount_entry *next; /* next entry in the bucket; owned */
};

struct peercount {
	struct peercount_entry *bucket[PEERCOUNT_BUCKETS]; /* chains; owned */
	size_t size;                                       /* entries in all chains */
};

struct peercount *
peercount_new(void)
{
	return calloc(1, sizeof(struct peercount));
}

void
peercount_free(struct peercount *pc)
{
	if (pc == NULL)
		return;
	for (size_t i = 0; i < PEERCOUNT_BUCKETS; i++) {
		struct peercount_entry *e = pc->bucket[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(pc);
}

/* The 16-byte key of sa; false when it is neither IPv4 nor IPv6. */
static bool
key_of(const struct sockaddr *sa, uint8_t key[16])
{
	if (sa->sa_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return true;
	}
	if (sa->sa_family == AF_INET) {
		memset(key, 0, 10);
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return true;
	}
	return false;
}

static size_t
hash_of(const uint8_t key[16])
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 1099511628211ULL;
	return (size_t)(h ^ h >> 29) & (PEERCOUNT_BUCKETS - 1);
}

/* The link pointing at key's entry (*link is NULL when there is none). */
static struct peercount_entry **
find(struct peercount *pc, const uint8_t key[16])
{
	struct peercount_entry **link = &pc->bucket[hash_of(key)];

	while (*link != NULL && memcmp((*link)->addr, key, 16) != 0)
		link = &(*link)->next;
	return link;
}

size_t
peercount_get(const struct peercount *pc, const struct sockaddr *sa)
{
	uint8_t key[16];
	struct peercount_entry **link;

	if (!key_of(sa, key))
		return 0;
	link = find((struct peercount *)pc, key);
	return *link ? (*link)->count : 0;
}

int
peercount_inc(struct peercount *pc, const struct sockaddr *sa)
{
	uint8_t key[16];
	struct peercount_entry **link;

	if (!key_of(sa, key))
		return -1;
	link = find(pc, key);
	if (*link == NULL) {
		struct peercount_entry *e = calloc(1, sizeof(*e));

		if (e == NULL)
			return -1;
		memcpy(e->addr, key, 16);
		*link = e;
		pc->size++;
	}
	(*link)->count++;
	return 0;
}

void
peercount_dec(struct peercount *pc, const struct sockaddr *sa)
{
	uint8_t key[16];
	struct peercount_entry **link, *e;

	if (!key_of(sa, key))
		return;
	link = find(pc, key);
	if ((e = *link) == NULL)
		return;
	if (--e->count == 0) {
		*link = e->next;
		free(e);
		pc->size--;
	}
}

size_t
peercount_size(const struct peercount *pc)
{
	return pc->size;
}
