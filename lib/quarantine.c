/* quarantine: rename a damaged state file aside. */
#include "quarantine.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "clock.h"

int
quarantine(const char *path, char *moved, size_t size)
{
	struct stat st;
	int n;

	if (lstat(path, &st) == -1)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	n = snprintf(moved, size, "%s.bad.%lld", path,
	    (long long)(clock_now_ms() / 1000));
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return rename(path, moved);
}
