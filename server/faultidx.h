/* server/faultidx.h -- the index of fault rules by name: exact names hashed, "*.name" rules
   under their name, lone "*" rules in a list of their own; a query visits only the rules
   whose name pattern can match it, still in rule order, so first-match semantics stay exact. */
#ifndef MXLAB_FAULTIDX_H
#define MXLAB_FAULTIDX_H

#include <stdbool.h>
#include <stddef.h>

enum faultidx_kind {
	FAULTIDX_ALL,   /* lone "*": every name */
	FAULTIDX_EXACT, /* the name itself */
	FAULTIDX_BELOW, /* names strictly below the name ("*.name") */
};

#define FAULTIDX_MAX_LISTS 130 /* all + exact + one per ancestor (at most 127 labels) */

struct faultidx;

/* One rule list the iterator walks (rule numbers ascending). */
struct faultidx_list {
	const size_t *v; /* rule numbers; borrowed from the index */
	size_t n;        /* entries in v */
	size_t pos;      /* next entry to hand out */
};

/* The candidates of one query: the rule lists that can match it, merged in rule order. */
struct faultidx_iter {
	struct faultidx_list lists[FAULTIDX_MAX_LISTS]; /* non-empty lists */
	size_t nlists;                                  /* lists used */
};

struct faultidx *faultidx_new(void);
void faultidx_free(struct faultidx *x);
/* Forget every rule. */
void faultidx_clear(struct faultidx *x);
/* Add rule number rule (rules must be added in ascending order) with its pattern kind and
   name (lower-case, absolute, trailing dot; ignored for FAULTIDX_ALL). 0, -1 out of memory. */
int faultidx_add(struct faultidx *x, enum faultidx_kind kind, const char *name, size_t rule);

/* Start walking the rules that can match qname (lower-case, absolute, trailing dot; NULL when
   the query has no name: only "*" rules). */
void faultidx_start(const struct faultidx *x, const char *qname, struct faultidx_iter *it);
/* The next candidate rule number in ascending order; false when there is none. */
bool faultidx_next(struct faultidx_iter *it, size_t *rule);

#endif
