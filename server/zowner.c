/* server/zowner.c -- one copy of each owner name in a zone's arena while records are added
   after loading (zone_append_rr): an open-addressing table of the names' arena offsets. */
#include "server/zowner.h"
#include "server/zone_int.h"

#include <stdlib.h>
#include <string.h>

#define ZOWNER_MIN_SLOTS 1024

/* The slot for the name at arena offset off (len bytes): its own, or the free one to take. */
static uint32_t
find_slot(const struct zone *z, const struct zowner *t, const uint8_t *name, size_t len)
{
	uint32_t i = zone_name_hash(name, len) & t->mask;

	/* two wire names that agree in their first len bytes, one of them len long, are the same
	   name; a name in the table that is as long lies within the arena bytes used */
	while (t->slot[i] != UINT32_MAX &&
	       !(t->slot[i] + len <= z->alen && memcmp(z->arena + t->slot[i], name, len) == 0))
		i = (i + 1) & t->mask;
	return i;
}

/* Room for n names at half load: the table rebuilt with more slots. 0, -1 out of memory. */
static int
reserve(const struct zone *z, struct zowner *t, size_t n)
{
	size_t slots = ZOWNER_MIN_SLOTS;
	uint32_t *old = t->slot, oldmask = t->mask;

	while (slots < 2 * n)
		slots *= 2;
	if (old != NULL && slots <= (size_t)oldmask + 1)
		return 0;
	if (slots > UINT32_MAX || (t->slot = malloc(slots * sizeof(*t->slot))) == NULL) {
		t->slot = old;
		return -1;
	}
	memset(t->slot, 0xff, slots * sizeof(*t->slot));
	t->mask = (uint32_t)(slots - 1);
	for (size_t i = 0; old != NULL && i <= oldmask; i++) {
		const uint8_t *name;
		if (old[i] == UINT32_MAX)
			continue;
		name = z->arena + old[i];
		t->slot[find_slot(z, t, name, zone_wire_len(name, z->arena + z->alen))] = old[i];
	}
	free(old);
	return 0;
}

/* The table of z's owner names so far (records in a row of one owner share its name). */
static struct zowner *
build(struct zone *z)
{
	struct zowner *t = calloc(1, sizeof(*t));
	size_t runs = 0;

	if (t == NULL)
		return NULL;
	for (size_t k = 0; k < z->nrecs; k++)
		runs += k == 0 || z->recs[k].owner != z->recs[k - 1].owner;
	if (reserve(z, t, runs + 1) != 0) {
		free(t);
		return NULL;
	}
	for (size_t k = 0; k < z->nrecs; k++) {
		const uint8_t *name = z->arena + z->recs[k].owner;
		uint32_t i;
		if (k > 0 && z->recs[k].owner == z->recs[k - 1].owner)
			continue;
		i = find_slot(z, t, name, zone_wire_len(name, z->arena + z->alen));
		if (t->slot[i] == UINT32_MAX) {
			t->slot[i] = z->recs[k].owner;
			t->n++;
		}
	}
	z->owners = t;
	return t;
}

uint32_t
zowner_intern(struct zone *z, size_t len)
{
	const uint8_t *name = z->arena + z->alen;
	struct zowner *t = z->owners;
	uint32_t i;

	if (t == NULL && (t = build(z)) == NULL)
		return (uint32_t)z->alen;
	if (reserve(z, t, (size_t)t->n + 1) != 0)
		return (uint32_t)z->alen;
	i = find_slot(z, t, name, len);
	if (t->slot[i] == UINT32_MAX) {
		t->slot[i] = (uint32_t)z->alen;
		t->n++;
	}
	return t->slot[i];
}

void
zowner_free(struct zone *z)
{
	if (z->owners == NULL)
		return;
	free(z->owners->slot);
	free(z->owners);
	z->owners = NULL;
}
