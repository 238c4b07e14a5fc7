/* server/zstamp.c -- what a zone's files were when they were read, and whether they still are
   (a reload shares an unchanged zone instead of reading it again). */
#include "server/zstamp.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "server/zone_int.h"

/* a < b */
static bool
ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static bool
ts_equal(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

void
zstamp_take(struct zoneset *zs, size_t zi, const struct timespec *since)
{
	struct zone *z;
	struct zone_stamp *st;
	struct timespec limit;

	if (zs == NULL || zi >= zs->nzones || zs->zones[zi]->share != NULL)
		return;
	z = zs->zones[zi];
	free(z->stamps);
	z->stamps = NULL;
	if (z->nfiles == 0 || (st = calloc(z->nfiles, sizeof(*st))) == NULL)
		return;
	limit = *since;
	limit.tv_sec -= ZSTAMP_MARGIN_S;
	for (size_t i = 0; i < z->nfiles; i++) {
		struct stat sb;
		if (stat(z->files[i].path, &sb) < 0 || !ts_before(&sb.st_mtim, &limit) ||
		    !ts_before(&sb.st_ctim, &limit)) {
			free(st); /* too recent to tell a later write from this one */
			return;
		}
		st[i].dev = sb.st_dev;
		st[i].ino = sb.st_ino;
		st[i].size = sb.st_size;
		st[i].mtim = sb.st_mtim;
		st[i].ctim = sb.st_ctim;
	}
	z->stamps = st;
}

bool
zstamp_unchanged(const struct zoneset *zs, size_t zi)
{
	const struct zone *z;

	if (zs == NULL || zi >= zs->nzones || zs->zones[zi]->stamps == NULL)
		return false;
	z = zs->zones[zi];
	for (size_t i = 0; i < z->nfiles; i++) {
		const struct zone_stamp *st = &z->stamps[i];
		struct stat sb;
		if (stat(z->files[i].path, &sb) < 0 || sb.st_dev != st->dev ||
		    sb.st_ino != st->ino || sb.st_size != st->size ||
		    !ts_equal(&sb.st_mtim, &st->mtim) || !ts_equal(&sb.st_ctim, &st->ctim))
			return false;
	}
	return true;
}
