/* serve: connections in inetd and listener mode, and keeping requests. */
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "diag.h"

#define FD_RESERVE 24		/* stdio, syslog, spool files, sync pipes */

/* ---- keeping requests ---- */

static char wbuf[65536];

/*
 * Append the records of conns[0..n) to the spool or the output file.
 * 0 when all are written, with *syncfd the descriptor to fdatasync
 * before finish_records() (-1: nothing to sync, a FIFO); -1 (errno set)
 * when none may be acknowledged.
 */
static int
write_records(struct serve *s, struct conn **conns, size_t n, int *syncfd)
{
	struct jsonstr_out o;
	char received[CLOCK_RFC3339_SIZE];
	uint64_t pos = 0;
	int fd = -1, failed = 0, spool = s->spool != NULL;

	*syncfd = -1;
	clock_format(clock_now_ms(), received, sizeof received);
	if (spool) {
		if (s->sp.dirfd == -1 && spool_open(&s->sp, s->spool,
		    s->segment_max, s->spool_cap) == -1)
			return -1;
		if (spool_begin(&s->sp, &pos) == -1)
			return -1;
		for (size_t i = 0; i < n; i++)
			if (conns[i]->auth != AUTH_REJECTED &&
			    spool_mark_authenticated(&s->sp) == -1)
				return spool_written(&s->sp, errno);
		fd = spool_fd(&s->sp);
	} else {
		struct stat st;

		fd = open(s->output, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK |
		    O_CLOEXEC, 0600);
		if (fd == -1)
			return -1;	/* ENXIO: a FIFO nobody reads */
		if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
		    s->nlisteners) {
			/* a reader that stops would stop every connection */
			close(fd);
			errno = ESPIPE;
			return -1;
		}
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		while (flock(fd, LOCK_EX) == -1 && errno == EINTR)
			;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
			pos = (uint64_t)st.st_size;
	}
	jsonstr_init(&o, fd, wbuf, sizeof wbuf);
	for (size_t i = 0; i < n && !o.err; i++) {
		struct conn *c = conns[i];
		uint64_t seq = 0;

		if (spool) {
			uint64_t len = conn_record_len(c, received);
			unsigned d;

			/* seq = position after the record, digits included */
			for (d = 1; d < 20; d++)
				if (jsonstr_digits(pos + len + d) == d)
					break;
			seq = pos + len + d;
		}
		conn_record(&o, c, received, spool, seq);
		pos = seq;
	}
	jsonstr_flush(&o);
	failed = o.err;
	if (spool)
		return (*syncfd = spool_written(&s->sp, failed)) == -1 ? -1 : 0;
	if (!failed) {
		struct stat st;

		flock(fd, LOCK_UN);
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
			*syncfd = fd;
			return 0;
		}
	}
	close(fd);
	if (failed) {
		errno = failed;
		return -1;
	}
	return 0;
}

/*
 * After the fdatasync of write_records' descriptor (sync_err its errno,
 * 0 when it succeeded): publish the records to the spool's readers, or
 * take them back.  0 when they are kept, else an errno.
 */
static int
finish_records(struct serve *s, int fd, int sync_err)
{
	if (s->spool)
		return spool_finish(&s->sp, sync_err) == -1 ? errno : 0;
	close(fd);
	return sync_err;
}

/* Answer a batch: err 0 means written and synced. */
static void
answer(struct serve *s, struct conn **batch, size_t n, int err)
{
	if (err == 0) {
		for (size_t i = 0; i < n; i++)
			conn_accept(batch[i]);
		return;
	}
	/* the details are for the log, not for the internet */
	diag_warn("%s: cannot keep %zu request%s: %s",
	    s->spool ? s->spool : s->output, n, n == 1 ? "" : "s",
	    strerror(err));
	for (size_t i = 0; i < n; i++)
		conn_refuse(batch[i], 503,
		    "cannot keep the request now, retry later");
}

/* Commit every ready request at once: one fdatasync for all of them. */
static void
commit(struct serve *s, struct conn **ready, size_t n)
{
	int fd;

	if (n == 0)
		return;
	if (write_records(s, ready, n, &fd) == -1)
		answer(s, ready, n, errno);
	else if (fd == -1)
		answer(s, ready, n, 0);
	else
		answer(s, ready, n, finish_records(s, fd,
		    fdatasync(fd) == -1 ? errno : 0));
}

/* ---- counting, health and metrics ---- */

static int
spool_ready(struct serve *s)
{
	return s->sp.dirfd != -1 || spool_open(&s->sp, s->spool,
	    s->segment_max, s->spool_cap) == 0;
}

/* Add what was counted to SPOOL/stats (kept for later when it cannot). */
static void
count_flush(struct serve *s)
{
	if (!s->have_counted || !spool_ready(s))
		return;
	if (stats_add(s->sp.dirfd, &s->counted) == -1) {
		diag_info("%s/stats: %s", s->spool, strerror(errno));
		return;
	}
	memset(&s->counted, 0, sizeof s->counted);
	s->have_counted = 0;
}

static void
count(struct serve *s, enum stats_counter c)
{
	if (s->spool == NULL || c == STATS_N)
		return;
	s->counted.count[c]++;
	s->have_counted = 1;
	if (s->nlisteners == 0)
		count_flush(s);	/* the process ends with this connection */
}

static void
answered(void *ctx, int status)
{
	count(ctx, stats_of_status(status));
}

static int
page(void *ctx, enum conn_page which, char *body, size_t size, size_t *len,
    const char **type)
{
	struct serve *s = ctx;
	struct health h;
	int n, ok;

	if (s->spool) {
		count_flush(s);
		if (spool_ready(s))
			health_gather(&s->sp, &h);
		else
			memset(&h, 0, sizeof h);
		if (which == CONN_PAGE_METRICS) {
			*len = health_metrics(&h, &s->limits, body, size);
			*type = "text/plain; version=0.0.4";
			return 200;
		}
		*type = "application/json";
		return health_json(&h, &s->limits, body, size, len);
	}
	ok = access(s->output, W_OK) == 0 || (errno == ENOENT &&
	    access(".", W_OK) == 0);
	n = snprintf(body, size, "{\"status\":\"%s\",\"writable\":%s}\n",
	    ok ? "ok" : "unavailable", ok ? "true" : "false");
	*len = n > 0 ? (size_t)n : 0;
	*type = "application/json";
	return ok ? 200 : 503;
}

int
serve_open(struct serve *s)
{
	s->budget.used = 0;
	s->budget.max = s->mem_budget;
	s->conn.budget = &s->budget;
	s->conn.page = page;
	s->conn.answered = answered;
	s->conn.ctx = s;
	s->conn.stopping = s->stopping;
	s->sp.dirfd = -1;
	if (s->limits.stale_ms == 0)
		s->limits.stale_ms = HEALTH_STALE_MS;
	if (s->limits.failing_ms == 0)
		s->limits.failing_ms = HEALTH_FAILING_MS;
	if (s->spool == NULL) {
		s->conn.metrics = NULL;	/* nothing to count in */
		return 0;
	}
	/* a missing spool is answered with 503: Sentry does not retry, but
	 * its request log then shows the failure */
	return spool_open(&s->sp, s->spool, s->segment_max, s->spool_cap);
}

void
serve_close(struct serve *s)
{
	if (s->spool)
		spool_close(&s->sp);
}

/* ---- peers ---- */

static void
addr_text(const struct sockaddr *sa, char *buf, size_t size)
{
	const char *p = NULL;

	buf[0] = '\0';
	if (sa->sa_family == AF_INET)
		p = inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    buf, (socklen_t)size);
	else if (sa->sa_family == AF_INET6)
		p = inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
		    buf, (socklen_t)size);
	else if (sa->sa_family == AF_UNIX)
		snprintf(buf, size, "local");
	if (p && strncmp(buf, "::ffff:", 7) == 0 && strchr(buf, '.'))
		memmove(buf, buf + 7, strlen(buf + 7) + 1);
}

static void
peer_of_stdin(char *buf, size_t size)
{
	static const char *const vars[] = { "TCPREMOTEIP", "REMOTE_ADDR",
	    "SOCAT_PEERADDR" };
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
		const char *v = getenv(vars[i]);

		if (v && *v) {
			snprintf(buf, size, "%s", v);
			if (strncmp(buf, "::ffff:", 7) == 0 && strchr(buf, '.'))
				memmove(buf, buf + 7, strlen(buf + 7) + 1);
			return;
		}
	}
	if (getpeername(STDIN_FILENO, (struct sockaddr *)&ss, &len) == 0)
		addr_text((struct sockaddr *)&ss, buf, size);
	else
		snprintf(buf, size, "unknown");
}

/* ---- inetd mode ---- */

int
serve_stdio(struct serve *s)
{
	struct http_header hdrs[s->conn.lim.max_headers];
	struct conn c;
	struct conn *ready = &c;

	fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
	fcntl(STDOUT_FILENO, F_SETFL, fcntl(STDOUT_FILENO, F_GETFL) | O_NONBLOCK);
	conn_init(&c, &s->conn, STDIN_FILENO, STDOUT_FILENO, hdrs);
	peer_of_stdin(c.peer, sizeof c.peer);
	c.one_shot = 1;
	conn_read(&c);		/* the request is usually there already */
	while (c.state != C_DONE) {
		struct pollfd pfd[2];
		int64_t wait;
		int np = 0;

		if (c.state == C_READY) {
			commit(s, &ready, 1);
			conn_write(&c);	/* the socket has room: no poll first */
			continue;
		}
		pfd[np].fd = c.rfd;
		pfd[np++].events = conn_events(&c, c.rfd);
		if (c.wfd != c.rfd)
			pfd[np].fd = c.wfd, pfd[np++].events = conn_events(&c, c.wfd);
		else
			pfd[0].events |= conn_events(&c, c.wfd);
		wait = c.deadline - clock_mono_ms();
		if (wait <= 0) {
			conn_timeout(&c);
			continue;
		}
		if (poll(pfd, (nfds_t)np, (int)wait) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < np; i++) {
			if ((pfd[i].revents & (POLLOUT | POLLERR | POLLHUP)) &&
			    pfd[i].fd == c.wfd && c.outoff < c.outlen)
				conn_write(&c);
			if ((pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) &&
			    pfd[i].fd == c.rfd && (conn_events(&c, c.rfd) & POLLIN))
				conn_read(&c);
		}
	}
	conn_buffers_free(&c);
	return c.status;
}

/* ---- listening sockets ---- */

int
serve_bind(struct serve *s, const char *spec, char *bound, size_t boundsize,
    char *err, size_t errsize)
{
	char host[INET6_ADDRSTRLEN + 2], addr[INET6_ADDRSTRLEN];
	const char *colon = strrchr(spec, ':');
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = sizeof ss;
	size_t hl;
	char *end;
	unsigned long port;
	int fd, one = 1;

	if (colon == NULL || colon[1] == '\0') {
		snprintf(err, errsize, "%s: expected ADDRESS:PORT", spec);
		return 1;
	}
	port = strtoul(colon + 1, &end, 10);
	hl = (size_t)(colon - spec);
	if (spec[0] == '[' && hl >= 2 && spec[hl - 1] == ']')
		spec++, hl -= 2;
	if (*end || port > 65535 || hl >= sizeof host) {
		snprintf(err, errsize, "%s: expected ADDRESS:PORT", spec);
		return 1;
	}
	memcpy(host, spec, hl);
	host[hl] = '\0';
	memset(&ss, 0, sizeof ss);
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof host, "127.0.0.1");
	if (host[0] == '\0' || strcmp(host, "*") == 0) {
		in6->sin6_family = AF_INET6;	/* any address, v4 and v6 */
		in6->sin6_addr = in6addr_any;
		in6->sin6_port = htons((uint16_t)port);
		len = sizeof *in6;
	} else if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		len = sizeof *in4;
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		len = sizeof *in6;
	} else {
		snprintf(err, errsize, "%s: not a numeric address", host);
		return 1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd != -1) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, (struct sockaddr *)&ss, len) == -1 ||
		    listen(fd, SOMAXCONN) == -1) {
			int saved = errno;

			close(fd);
			fd = -1;
			errno = saved;
		}
	}
	if (fd != -1 && s->nlisteners == SERVE_MAX_LISTEN) {
		close(fd);
		fd = -1;
		errno = EMFILE;
	}
	if (fd == -1) {
		snprintf(err, errsize, "%s: %s", spec, strerror(errno));
		return -1;
	}
	len = sizeof ss;
	s->listeners[s->nlisteners++] = fd;
	bound[0] = '\0';
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
		addr_text((struct sockaddr *)&ss, addr, sizeof addr);
		snprintf(bound, boundsize, "%s%s%s:%u",
		    strchr(addr, ':') ? "[" : "", addr,
		    strchr(addr, ':') ? "]" : "", ntohs(ss.ss_family ==
		    AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
		    ((struct sockaddr_in *)&ss)->sin_port));
	}
	return 0;
}

int
serve_systemd(struct serve *s)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int n;

	if (pid == NULL || fds == NULL || strtol(pid, NULL, 10) != getpid())
		return 0;
	n = (int)strtol(fds, NULL, 10);
	for (int fd = 3; fd < 3 + n && s->nlisteners < SERVE_MAX_LISTEN; fd++) {
		int yes = 0;
		socklen_t len = sizeof yes;

		/* Accept=yes passes a connection, not a listener: not ours */
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &yes, &len) == -1 ||
		    !yes)
			return 0;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		s->listeners[s->nlisteners++] = fd;
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return s->nlisteners;
}

/* ---- listener mode ---- */

/*
 * The listener's fdatasync runs in a thread, so that while one batch is
 * being synced the next one is read, parsed and written: group commit
 * with a pipeline.  The thread only syncs the descriptors it is given
 * through a pipe and answers through another; it shares nothing.  The
 * spool stays locked until the main loop finishes the batch.
 */
struct syncer {
	int req[2], done[2];
	pthread_t thread;
};

static void *
syncer_run(void *arg)
{
	struct syncer *y = arg;
	int fd, err;

	while (read(y->req[0], &fd, sizeof fd) == (ssize_t)sizeof fd) {
		err = fdatasync(fd) == -1 ? errno : 0;
		if (write(y->done[1], &err, sizeof err) != (ssize_t)sizeof err)
			break;
	}
	return NULL;
}

static int
syncer_start(struct syncer *y)
{
	sigset_t all, old;
	int ok;

	y->req[0] = y->req[1] = y->done[0] = y->done[1] = -1;
	if (pipe2(y->req, O_CLOEXEC) == -1)
		return -1;
	if (pipe2(y->done, O_CLOEXEC | O_NONBLOCK) == -1)
		return -1;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);	/* signals are main's */
	ok = pthread_create(&y->thread, NULL, syncer_run, y) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ok ? 0 : -1;
}

/* The thread ends once the pending sync is done and its pipe is closed. */
static void
syncer_stop(struct syncer *y)
{
	close(y->req[1]);
	pthread_join(y->thread, NULL);
	close(y->req[0]);
	close(y->done[0]);
	close(y->done[1]);
}

/*
 * Close the connection that has been idle longest (nothing sent on it
 * yet, or nothing since its last answer), of that peer when peer is not
 * NULL: so that idle connections cannot keep Sentry out.  1 when one was
 * closed, 0 when none is idle.
 */
static int
evict_idle(struct serve *s, struct conn **conns, size_t *nconns,
    const char *peer)
{
	size_t best = SIZE_MAX;

	for (size_t i = 0; i < *nconns; i++) {
		if (!conn_idle(conns[i]) ||
		    (peer && strcmp(conns[i]->peer, peer) != 0))
			continue;
		if (best == SIZE_MAX ||
		    conns[i]->idle_since < conns[best]->idle_since)
			best = i;
	}
	if (best == SIZE_MAX)
		return 0;
	diag_debug("%s: idle connection closed to make room",
	    conns[best]->peer);
	count(s, STATS_EVICTED);
	conn_free(conns[best]);
	conns[best] = conns[--*nconns];
	return 1;
}

/* Connections from the peer of conns[n] among conns[0..n). */
static unsigned
peer_count(struct conn **conns, size_t n)
{
	unsigned k = 0;

	for (size_t i = 0; i < n; i++)
		k += strcmp(conns[i]->peer, conns[n]->peer) == 0;
	return k;
}

/* Connections may not take the descriptors the spool needs.  0, or -1
 * when there are too few for anything. */
static int
fit_fd_limit(struct serve *s)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)s->max_conns + FD_RESERVE) {
		if (rl.rlim_cur <= FD_RESERVE + (rlim_t)s->nlisteners) {
			diag_warn("too few file descriptors: %lu",
			    (unsigned long)rl.rlim_cur);
			return -1;
		}
		s->max_conns = (unsigned)(rl.rlim_cur - FD_RESERVE -
		    (rlim_t)s->nlisteners);
		diag_warn("at most %u connections (file descriptor limit %lu)",
		    s->max_conns, (unsigned long)rl.rlim_cur);
	}
	return 0;
}

/* Take the connections waiting on listener i, within the caps. */
static void
accept_all(struct serve *s, int i, struct conn **conns, size_t *nconns,
    int64_t now, int64_t *accept_pause)
{
	while (*nconns < s->max_conns || evict_idle(s, conns, nconns, NULL)) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		struct conn *c;
		int fd = accept4(s->listeners[i], (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;

		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* out of descriptors: let the queue wait
				 * instead of spinning */
				if (*accept_pause <= now)
					diag_warn("accept: %s: pausing",
					    strerror(errno));
				*accept_pause = now + 100;
			} else if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED) {
				diag_warn("accept: %s", strerror(errno));
			}
			return;
		}
		if ((c = conn_new(&s->conn, fd)) == NULL) {
			close(fd);
			return;
		}
		addr_text((struct sockaddr *)&ss, c->peer, sizeof c->peer);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		/* one address may hold a share of the slots, and only while
		 * it uses them */
		conns[*nconns] = c;
		if (peer_count(conns, *nconns) >= s->max_per_peer &&
		    !evict_idle(s, conns, nconns, c->peer)) {
			diag_info("%s: too many connections from this "
			    "address: closed", c->peer);
			count(s, STATS_EVICTED);
			conn_free(c);
			continue;
		}
		conns[(*nconns)++] = c;
	}
}

int
serve_listen(struct serve *s)
{
	struct conn **conns, **ready, **batch;
	struct pollfd *pfd;
	struct syncer y;
	size_t nconns = 0, nbatch = 0;
	int64_t accept_pause = 0;
	int threaded, busy = 0, batch_fd = -1;

	if (fit_fd_limit(s) == -1)
		return -1;
	if (s->budget.max == 0)
		s->budget.max = 64 << 20;
	conns = calloc(s->max_conns, sizeof *conns);
	ready = calloc(s->max_conns, sizeof *ready);
	batch = calloc(s->max_conns, sizeof *batch);
	pfd = calloc(s->max_conns + SERVE_MAX_LISTEN + 1, sizeof *pfd);
	if (conns == NULL || ready == NULL || pfd == NULL || batch == NULL) {
		diag_warn("out of memory");
		return -1;
	}
	threaded = syncer_start(&y) == 0;
	while (!*s->stopping) {
		int64_t now = clock_mono_ms(), wait = 1000;
		size_t np = 0, nready = 0, base;
		int room = nconns < s->max_conns;

		for (size_t i = 0; i < nconns && !room; i++)
			room = conn_idle(conns[i]);	/* can make room */
		for (int i = 0; i < s->nlisteners; i++) {
			pfd[np].fd = s->listeners[i];
			pfd[np++].events = room && now >= accept_pause ? POLLIN : 0;
		}
		pfd[np].fd = y.done[0];
		pfd[np++].events = POLLIN;
		base = np;
		if (now < accept_pause && accept_pause - now < wait)
			wait = accept_pause - now;
		for (size_t i = 0; i < nconns; i++) {
			struct conn *c = conns[i];

			if (c->state == C_READY && !busy)
				wait = 0;
			else if (c->state == C_READY || c->state == C_SYNC)
				;
			else if (c->deadline - now < wait)
				wait = c->deadline - now > 0 ? c->deadline - now : 0;
			pfd[np].fd = c->rfd;
			pfd[np++].events = conn_events(c, c->rfd);
		}
		if (poll(pfd, (nfds_t)np, (int)wait) < 0) {
			if (errno == EINTR)
				continue;
			diag_warn("poll: %s", strerror(errno));
			return -1;
		}
		if (busy && (pfd[base - 1].revents & POLLIN)) {
			int err;

			if (read(y.done[0], &err, sizeof err) == (ssize_t)sizeof err) {
				answer(s, batch, nbatch, finish_records(s,
				    batch_fd, err));
				busy = 0;
				nbatch = 0;
			}
		}
		for (size_t i = 0; i < nconns; i++) {
			struct conn *c = conns[i];
			short re = pfd[base + i].revents;

			if ((re & (POLLOUT | POLLERR | POLLHUP)) && c->outoff < c->outlen)
				conn_write(c);
			if ((re & (POLLIN | POLLERR | POLLHUP)) &&
			    (conn_events(c, c->rfd) & POLLIN))
				conn_read(c);
		}
		now = clock_mono_ms();
		for (size_t i = 0; i < nconns; i++) {
			if (conns[i]->state != C_DONE && conns[i]->state != C_READY &&
			    conns[i]->state != C_SYNC && conns[i]->deadline <= now)
				conn_timeout(conns[i]);
			if (conns[i]->state == C_READY)
				ready[nready++] = conns[i];
		}
		if (nready && !busy && threaded) {
			int fd;

			if (write_records(s, ready, nready, &fd) == -1) {
				answer(s, ready, nready, errno);
			} else if (fd == -1) {
				answer(s, ready, nready, 0);
			} else if (write(y.req[1], &fd, sizeof fd) != (ssize_t)sizeof fd) {
				answer(s, ready, nready, finish_records(s, fd,
				    fdatasync(fd) == -1 ? errno : 0));
			} else {
				for (size_t i = 0; i < nready; i++)
					ready[i]->state = C_SYNC;
				memcpy(batch, ready, nready * sizeof *ready);
				nbatch = nready;
				batch_fd = fd;
				busy = 1;
			}
		} else if (nready && !threaded) {
			commit(s, ready, nready);
		}
		for (size_t i = 0; i < nconns; i++)
			if (conns[i]->outoff < conns[i]->outlen)
				conn_write(conns[i]);
		for (size_t i = 0; i < nconns; ) {
			if (conns[i]->state == C_DONE) {
				conn_free(conns[i]);
				conns[i] = conns[--nconns];
			} else {
				i++;
			}
		}
		for (int i = 0; i < s->nlisteners; i++)
			if (pfd[i].revents & POLLIN)
				accept_all(s, i, conns, &nconns, now, &accept_pause);
		count_flush(s);
	}
	if (threaded)
		syncer_stop(&y);
	count_flush(s);
	for (size_t i = 0; i < nconns; i++)
		conn_free(conns[i]);
	free(conns);
	free(ready);
	free(batch);
	free(pfd);
	return 0;
}
