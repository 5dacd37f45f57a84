/*
 * floor202: the floor of the one-process-per-connection model for
 * `make bench`.  Reads one HTTP request on stdin (the head up to the
 * blank line, then Content-Length bytes of body, thrown away) and answers
 * "202 Accepted" on stdout, then exits.  No parsing beyond that, no
 * storage, libc only: whatever sentry-recv costs above this program under
 * the same `socat ... fork EXEC:` is sentry-recv's own.
 * Exit status: 0 answered, 1 the request was cut short.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

int
main(void)
{
	static char buf[65536];
	static const char answer[] = "HTTP/1.1 202 Accepted\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n";
	size_t have = 0;
	long need = 0;
	char *end = NULL;
	ssize_t r;

	while (!end) {
		if (have == sizeof buf - 1)
			return 1;
		r = read(0, buf + have, sizeof buf - 1 - have);
		if (r <= 0)
			return 1;
		have += r;
		buf[have] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	for (char *line = strstr(buf, "\r\n"); line && line < end;
	    line = strstr(line + 2, "\r\n"))
		if (strncasecmp(line + 2, "content-length:", 15) == 0)
			need = strtol(line + 17, NULL, 10);
	need -= have - (end + 4 - buf);
	while (need > 0) {
		r = read(0, buf, sizeof buf);
		if (r <= 0)
			return 1;
		need -= r;
	}
	return write(1, answer, sizeof answer - 1) == sizeof answer - 1 ? 0 : 1;
}
