/* server/view.h -- what one server address answers from in world mode: the zones it serves,
   as a small sorted index into the shared zone set (one copy of each zone for all servers). */
#ifndef MXLAB_VIEW_H
#define MXLAB_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct view {
	uint32_t *zones; /* indexes of the zones served, ascending; owned by the world */
	size_t nzones;   /* entries in zones */
	uint32_t *subst; /* pairs (shared zone, this server's own copy of it); owned by the world */
	size_t nsubst;   /* pairs in subst */
};

/* This server's own copy of zone index z, UINT32_MAX when it has none. */
static inline uint32_t
view_subst(const struct view *v, uint32_t z)
{
	for (size_t i = 0; v != NULL && i < v->nsubst; i++)
		if (v->subst[2 * i] == z)
			return v->subst[2 * i + 1];
	return UINT32_MAX;
}

/* Does the view serve zone index z? A NULL view serves every zone (direct mode). */
static inline bool
view_has(const struct view *v, uint32_t z)
{
	size_t lo = 0, hi;

	if (v == NULL)
		return true;
	hi = v->nzones;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->zones[mid] == z)
			return true;
		if (v->zones[mid] < z)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

#endif
