/* server/zstamp.h -- what a zone's files were when they were read (device, inode, size,
   modification and change times), so that a reload can share a zone whose files are all
   unchanged with the set served now instead of reading and indexing it again. */
#ifndef MXLAB_ZSTAMP_H
#define MXLAB_ZSTAMP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "server/zone.h"

/* A file changed less than this long before it was read is not stamped (it is read again on
   the next reload): file times are coarse on some file systems (a second, two on FAT), so a
   write just after the read could leave size and times as they were. */
#define ZSTAMP_MARGIN_S 2

/* Stamp zone zi of zs (just read from its files, not shared), whose reading started at since
   (CLOCK_REALTIME). Without stamps (a file is too recent, gone, or out of memory) the zone
   simply is never taken as unchanged. */
void zstamp_take(struct zoneset *zs, size_t zi, const struct timespec *since);

/* Is every file of zone zi of zs (its zone file and each $INCLUDE) still the one stamped:
   same device, inode, size, modification and change time? false when zi has no stamps. */
bool zstamp_unchanged(const struct zoneset *zs, size_t zi);

#endif
