/* common/rand.h -- splitmix64, the seeded generator behind every reproducible draw. */
#ifndef MXLAB_RAND_H
#define MXLAB_RAND_H

#include <stdint.h>

/* Next value of the splitmix64 sequence (Vigna, public domain) whose state is *state. The same
   seed gives the same sequence on every run and machine. */
static inline uint64_t
rand_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#endif
