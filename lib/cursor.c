/* cursor: atomically replaced file holding the acknowledged position. */
#include "cursor.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
cursor_read(const char *path, uint64_t *seq)
{
	char buf[32], *end;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*seq = 0;
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	do
		n = read(fd, buf, sizeof buf - 1);
	while (n == -1 && errno == EINTR);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	errno = 0;
	/* digits only: strtoull would take "-5" as a huge position */
	unsigned long long v = buf[0] >= '0' && buf[0] <= '9' ?
	    strtoull(buf, &end, 10) : (end = buf, 0);
	if (end == buf || (*end != '\n' && *end != '\0') || errno) {
		errno = EINVAL;
		return -1;
	}
	*seq = v;
	return 0;
}

/*
 * The file is rewritten in place: its size changes only when the number
 * of digits does, so fdatasync has almost never any metadata to commit (a
 * new file and a rename per acknowledgement cost many times more here).
 * The few bytes sit in one disk sector, which a device writes whole or
 * not at all.  The descriptor stays open for the next write to the path.
 */
static struct {
	char path[4096];
	int fd;
	off_t size;
} open_cursor = { "", -1, 0 };

static int
cursor_fd(const char *path)
{
	struct stat st;
	int fd;

	/* Reuse the open file unless it was removed or replaced meanwhile. */
	if (open_cursor.fd != -1 && strcmp(open_cursor.path, path) == 0 &&
	    fstat(open_cursor.fd, &st) == 0 && st.st_nlink > 0)
		return open_cursor.fd;
	if (strlen(path) >= sizeof open_cursor.path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1 || fstat(fd, &st) == -1) {
		int saved = errno;

		if (fd != -1)
			close(fd);
		errno = saved;
		return -1;
	}
	if (open_cursor.fd != -1)
		close(open_cursor.fd);
	open_cursor.fd = fd;
	open_cursor.size = st.st_size;
	snprintf(open_cursor.path, sizeof open_cursor.path, "%s", path);
	return fd;
}

int
cursor_write(const char *path, uint64_t seq)
{
	char buf[32];
	int fd, len;

	len = snprintf(buf, sizeof buf, "%" PRIu64 "\n", seq);
	if ((fd = cursor_fd(path)) == -1)
		return -1;
	errno = 0;
	if (pwrite(fd, buf, (size_t)len, 0) != len) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	/*
	 * Fewer digits than before: cut the tail.  Until then the file reads
	 * "9\n\n", which cursor_read takes as 9, so a crash here is harmless.
	 */
	if (open_cursor.size > len && ftruncate(fd, len) == -1)
		return -1;
	open_cursor.size = len;
	return fdatasync(fd);
}
