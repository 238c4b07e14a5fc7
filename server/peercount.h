/* server/peercount.h -- how many things each client address holds (delayed UDP answers waiting
   per address): a small hash of addresses (port ignored) to counts, with no fixed size. */
#ifndef MXLAB_PEERCOUNT_H
#define MXLAB_PEERCOUNT_H

#include <stddef.h>
#include <sys/socket.h>

struct peercount;

struct peercount *peercount_new(void);
void peercount_free(struct peercount *pc);

/* The count of sa's address (0 when unknown or not IPv4/IPv6). */
size_t peercount_get(const struct peercount *pc, const struct sockaddr *sa);
/* Add one to sa's address; 0 ok, -1 out of memory or not IPv4/IPv6 (nothing counted). */
int peercount_inc(struct peercount *pc, const struct sockaddr *sa);
/* Take one from sa's address (forgotten at 0; nothing when it was not counted). */
void peercount_dec(struct peercount *pc, const struct sockaddr *sa);
/* Addresses with a count above 0. */
size_t peercount_size(const struct peercount *pc);

#endif
