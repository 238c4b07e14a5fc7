/* server/zowner.h -- one copy of each owner name in a zone's arena while records are added
   after loading: the signer adds about two records for every one read, at names that are
   there already (RRSIG, NSEC), and each would otherwise bring its owner name again. */
#ifndef MXLAB_ZOWNER_H
#define MXLAB_ZOWNER_H

#include <stddef.h>
#include <stdint.h>

struct zone;

/* The owner names of a zone's records by hash, built on the first record added. */
struct zowner {
	uint32_t *slot; /* arena offsets of owner names by zone_name_hash, UINT32_MAX: free;
	                   owned */
	uint32_t mask;  /* slots - 1 (a power of two) */
	uint32_t n;     /* names in slot */
};

/* The offset in z's arena of an owner name equal to the lower-cased wire name written at
   z->arena + z->alen (len bytes, not counted in alen yet), or z->alen when none is there (the
   name there is then remembered: the caller keeps it by counting it in alen). Without memory
   for the table the names are only not shared: z->alen. */
uint32_t zowner_intern(struct zone *z, size_t len);
/* Forget z's table (zoneset_finish, once nothing more is added before the index is built). */
void zowner_free(struct zone *z);

#endif
