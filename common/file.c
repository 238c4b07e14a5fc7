/* common/file.c -- reading an input file whole without ever blocking: opened non-blocking,
   checked to be a regular file and size-capped before a byte is read. */
#include "common/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HUGE_PAGE     (2u << 20)       /* transparent huge page size on x86-64 */
#define HUGE_FILE_MIN (8u * HUGE_PAGE) /* files read into huge pages from this size on */

/* A buffer of n bytes for a file. A large file (a big zone) goes into memory aligned to huge
   pages that the kernel is asked to back with them: reading 28 MB then takes one fault per
   2 MB instead of one per 4 KB page, half the time. The buffer is freed with free(). */
static char *
buf_alloc(size_t n)
{
	void *p;

	if (n < HUGE_FILE_MIN)
		return malloc(n);
	if (posix_memalign(&p, HUGE_PAGE, n) != 0)
		return NULL;
#ifdef MADV_HUGEPAGE
	(void)madvise(p, n & ~(size_t)(HUGE_PAGE - 1), MADV_HUGEPAGE); /* a hint: may fail */
#endif
	return p;
}

static const char *
kind_of(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	return "not a regular file";
}

int
file_read(const char *path, size_t max, char **bufp, size_t *lenp, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0, want;
	int fd;

	*bufp = NULL;
	*lenp = 0;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "cannot stat: %s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "not a regular file (%s)", kind_of(st.st_mode));
		goto fail;
	}
	if (st.st_size < 0 || (unsigned long long)st.st_size > max) {
		snprintf(err, errlen, "file too large (%lld bytes, the limit is %zu)",
		         (long long)st.st_size, max);
		goto fail;
	}
	/* one byte more than fstat said, to notice a file that grows while it is read */
	want = (size_t)st.st_size + 1;
	if ((buf = buf_alloc(want + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	while (len < want) {
		ssize_t n = read(fd, buf + len, want - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "read error: %s", strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > (size_t)st.st_size) {
		snprintf(err, errlen, "the file changed while it was read");
		goto fail;
	}
	close(fd);
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
fail:
	free(buf);
	close(fd);
	return -1;
}

int
file_open_write(const char *path, int trunc)
{
	int fd = open(path,
	              O_WRONLY | O_CREAT | O_NONBLOCK | O_NOCTTY | O_CLOEXEC |
	                  (trunc ? O_TRUNC : O_APPEND),
	              0644);

	if (fd < 0)
		return -1;
	return fd;
}
