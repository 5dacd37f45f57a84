/*
 * loadgen: a small HTTP load generator for `make bench` (127.0.0.1 only).
 *
 * Sends POST requests carrying one body file, signed like Sentry signs a
 * webhook (Sentry-Hook-Signature: hex HMAC-SHA256 of the body with the
 * secret from $BENCH_SECRET or $SENTRY_WEBHOOK_SECRET; none = unsigned),
 * with a fresh Sentry-Hook-Timestamp and Request-ID per request, over C
 * concurrent connections, Connection: close (default) or keep-alive (-k),
 * as fast as possible or at a fixed rate (-R).  With -m MARK every
 * occurrence of MARK in the body is replaced by the request number,
 * zero-padded to MARK's length, and the request signed afresh: every
 * webhook is then a distinct event that can be traced end to end.
 *
 * Bounded by a count (-n) and a duration (-d), whichever ends first, plus
 * a per-request timeout (-t).  In rate mode latency is measured from the
 * moment the request was due, so a stalled server is not hidden by the
 * generator waiting for it (coordinated omission).
 *
 * Writes one line to stdout:
 *   sent=N done=N elapsed=S rps=R p50=MS p99=MS max=MS codes=202:N,...
 *   errors=connect:N,io:N,timeout:N,badresp:N
 * "done" counts requests that got a complete HTTP response (any status);
 * errors are requests that got none.  -L FILE logs one line per request:
 * "NUMBER FIRST_BYTE_UNIX_US STATUS LATENCY_US" (status 0 = no response).
 * Exit status: 0 run completed, 2 usage error, 111 setup failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

enum state { IDLE, CONNECTING, SENDING, READING };

struct conn {
	int fd;
	enum state state;
	char *req;		/* whole request: head + body */
	size_t req_len, req_off;
	char head[16384];	/* response head (then body bytes are counted) */
	size_t head_len;
	long body_need;		/* -1: head not parsed; -2: read to EOF */
	long body_have;
	int status;
	int server_close;
	long number;
	double due;		/* latency is measured from here */
	double first_byte;	/* wall clock, for the log */
};

static struct {
	unsigned short port;
	const char *body_path, *path, *resource, *mark, *log_path;
	int conns, keepalive;
	long count;
	double seconds, rate, timeout;
} opt = {
	.path = "/api/sentry-webhook", .resource = "event_alert",
	.conns = 1, .count = 1000, .seconds = 10, .timeout = 10,
};

static char *body;
static size_t body_len;
static const char *secret;
static char static_signature[65];
static FILE *log_file;

static long issued, done, codes[600], err_connect, err_io, err_timeout, err_bad;
static double *latencies;
static size_t n_latencies, cap_latencies;

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
now_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: loadgen -p PORT -b BODY [-c CONNS] [-n COUNT] [-d SECONDS]"
	    " [-R RATE] [-k] [-t TIMEOUT] [-P PATH] [-r RESOURCE] [-m MARK]"
	    " [-L LOG]\n");
	exit(status);
}

static void
sign(const char *data, size_t len, char hex[65])
{
	unsigned char mac[32];
	size_t mac_len = 0;

	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret,
	    strlen(secret), (const unsigned char *)data, len, mac,
	    sizeof mac, &mac_len)) {
		fprintf(stderr, "loadgen: HMAC failed\n");
		exit(111);
	}
	for (size_t i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", mac[i]);
}

/* The request for number n: a fresh buffer the connection owns. */
static char *
build_request(long n, size_t *len)
{
	char *b, signature[65], head[1024];
	const char *sig = static_signature;
	int head_len;

	b = malloc(sizeof head + body_len);
	if (!b) {
		fprintf(stderr, "loadgen: out of memory\n");
		exit(111);
	}
	if (opt.mark) {
		size_t mark_len = strlen(opt.mark);
		char digits[64];
		char *body_copy = b + sizeof head;

		memcpy(body_copy, body, body_len);
		snprintf(digits, sizeof digits, "%0*ld", (int)mark_len, n);
		for (char *p = body_copy;
		    (p = memmem(p, body_len - (p - body_copy), opt.mark,
		    mark_len)); p += mark_len)
			memcpy(p, digits + strlen(digits) - mark_len, mark_len);
		if (secret) {
			sign(body_copy, body_len, signature);
			sig = signature;
		}
	}
	head_len = snprintf(head, sizeof head,
	    "POST %s HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%u\r\n"
	    "User-Agent: sentry-tg-loadgen\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: %zu\r\n"
	    "Sentry-Hook-Resource: %s\r\n"
	    "Sentry-Hook-Timestamp: %ld\r\n"
	    "Request-ID: bench-%d-%ld\r\n"
	    "%s%s%s"
	    "%s"
	    "\r\n",
	    opt.path, opt.port, body_len, opt.resource, (long)time(NULL),
	    (int)getpid(), n,
	    secret ? "Sentry-Hook-Signature: " : "", secret ? sig : "",
	    secret ? "\r\n" : "",
	    opt.keepalive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
	if (opt.mark)
		memmove(b + head_len, b + sizeof head, body_len);
	else
		memcpy(b + head_len, body, body_len);
	memcpy(b, head, head_len);
	*len = head_len + body_len;
	return b;
}

static void
record(struct conn *c, int status)
{
	double latency = now_mono() - c->due;

	if (status > 0) {
		done++;
		codes[status < 600 ? status : 599]++;
		if (n_latencies == cap_latencies) {
			cap_latencies = cap_latencies ? 2 * cap_latencies : 4096;
			latencies = realloc(latencies,
			    cap_latencies * sizeof *latencies);
			if (!latencies) {
				fprintf(stderr, "loadgen: out of memory\n");
				exit(111);
			}
		}
		latencies[n_latencies++] = latency;
	}
	if (log_file)
		fprintf(log_file, "%ld %.0f %d %.0f\n", c->number,
		    c->first_byte * 1e6, status > 0 ? status : 0, latency * 1e6);
}

static void
finish(int epfd, struct conn *c, int status, int keep)
{
	record(c, status);
	free(c->req);
	c->req = NULL;
	if (!keep && c->fd >= 0) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
	c->state = IDLE;
}

static void
watch(int epfd, struct conn *c, unsigned events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
}

static void
send_some(int epfd, struct conn *c)
{
	while (c->req_off < c->req_len) {
		ssize_t w = send(c->fd, c->req + c->req_off,
		    c->req_len - c->req_off, MSG_NOSIGNAL);
		if (w < 0 && errno == EAGAIN) {
			watch(epfd, c, EPOLLOUT);
			return;
		}
		if (w < 0) {
			err_io++;
			finish(epfd, c, -1, 0);
			return;
		}
		if (c->req_off == 0)
			c->first_byte = now_wall();
		c->req_off += w;
	}
	c->state = READING;
	c->head_len = 0;
	c->body_need = -1;
	c->body_have = 0;
	watch(epfd, c, EPOLLIN);
}

static void
start(int epfd, struct conn *c, double due)
{
	c->number = ++issued;
	c->due = due;
	c->first_byte = 0;
	c->req = build_request(c->number, &c->req_len);
	c->req_off = 0;
	if (c->fd < 0) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
		    .sin_port = htons(opt.port),
		    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int one = 1;

		c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (c->fd < 0) {
			err_connect++;
			finish(epfd, c, -1, 0);
			return;
		}
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0 &&
		    errno != EINPROGRESS) {
			err_connect++;
			finish(epfd, c, -1, 0);
			return;
		}
		c->state = CONNECTING;
		watch(epfd, c, EPOLLOUT);
		return;
	}
	c->state = SENDING;
	send_some(epfd, c);
}

/* Parses the response head once it is complete; 0 = need more. */
static int
parse_head(struct conn *c)
{
	char *end = memmem(c->head, c->head_len, "\r\n\r\n", 4), *line;

	if (!end)
		return 0;
	*end = '\0';
	if (strncmp(c->head, "HTTP/1.", 7) != 0 ||
	    sscanf(c->head + 8, " %3d", &c->status) != 1 || c->status < 100)
		return -1;
	c->body_need = -2;
	c->server_close = strncmp(c->head, "HTTP/1.0", 8) == 0;
	for (line = strstr(c->head, "\r\n"); line; line = strstr(line, "\r\n")) {
		line += 2;
		if (strncasecmp(line, "content-length:", 15) == 0)
			c->body_need = strtol(line + 15, NULL, 10);
		else if (strncasecmp(line, "connection:", 11) == 0 &&
		    strcasestr(line, "close") &&
		    (!strstr(line, "\r\n") ||
		    strcasestr(line, "close") < strstr(line, "\r\n")))
			c->server_close = 1;
	}
	c->body_have = c->head_len - (end + 4 - c->head);
	return 1;
}

static void
read_some(int epfd, struct conn *c)
{
	for (;;) {
		char sink[16384], *into = sink;
		size_t room = sizeof sink;
		ssize_t r;

		if (c->body_need == -1) {
			into = c->head + c->head_len;
			room = sizeof c->head - 1 - c->head_len;
			if (room == 0) {
				err_bad++;
				finish(epfd, c, -1, 0);
				return;
			}
		}
		r = recv(c->fd, into, room, 0);
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			if (r == 0 && c->body_need == -2) {	/* body to EOF */
				finish(epfd, c, c->status, 0);
				return;
			}
			err_io++;
			finish(epfd, c, -1, 0);
			return;
		}
		if (c->body_need == -1) {
			int p;

			c->head_len += r;
			if ((p = parse_head(c)) < 0) {
				err_bad++;
				finish(epfd, c, -1, 0);
				return;
			}
			if (p == 0)
				continue;
		} else
			c->body_have += r;
		if (c->body_need >= 0 && c->body_have >= c->body_need) {
			finish(epfd, c, c->status,
			    opt.keepalive && !c->server_close);
			return;
		}
	}
}

static void
on_event(int epfd, struct conn *c)
{
	if (c->state == IDLE) {		/* server closed a kept-alive connection */
		epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
		return;
	}
	if (c->state == CONNECTING) {
		int error = 0;
		socklen_t len = sizeof error;

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &len);
		if (error) {
			err_connect++;
			finish(epfd, c, -1, 0);
			return;
		}
		c->state = SENDING;
	}
	if (c->state == SENDING)
		send_some(epfd, c);
	else if (c->state == READING)
		read_some(epfd, c);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
percentile(double p)
{
	size_t i;

	if (n_latencies == 0)
		return 0;
	i = (size_t)(p * (n_latencies - 1) + 0.5);
	return latencies[i] * 1e3;
}

static void
load_body(void)
{
	FILE *f = fopen(opt.body_path, "rb");
	struct stat st;

	if (!f || fstat(fileno(f), &st) < 0) {
		fprintf(stderr, "loadgen: %s: %s\n", opt.body_path,
		    strerror(errno));
		exit(111);
	}
	body_len = st.st_size;
	body = malloc(body_len + 1);
	if (!body || fread(body, 1, body_len, f) != body_len) {
		fprintf(stderr, "loadgen: %s: cannot read\n", opt.body_path);
		exit(111);
	}
	fclose(f);
}

int
main(int argc, char **argv)
{
	struct conn *conns;
	double t0, end, last_done;
	int epfd, ch;

	while ((ch = getopt(argc, argv, "p:b:c:n:d:R:kt:P:r:m:L:h")) != -1) {
		switch (ch) {
		case 'p': opt.port = (unsigned short)atoi(optarg); break;
		case 'b': opt.body_path = optarg; break;
		case 'c': opt.conns = atoi(optarg); break;
		case 'n': opt.count = atol(optarg); break;
		case 'd': opt.seconds = atof(optarg); break;
		case 'R': opt.rate = atof(optarg); break;
		case 'k': opt.keepalive = 1; break;
		case 't': opt.timeout = atof(optarg); break;
		case 'P': opt.path = optarg; break;
		case 'r': opt.resource = optarg; break;
		case 'm': opt.mark = optarg; break;
		case 'L': opt.log_path = optarg; break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (optind != argc || !opt.port || !opt.body_path || opt.conns < 1 ||
	    opt.conns > 10000 || opt.count < 1 || opt.seconds <= 0 ||
	    opt.rate < 0 || opt.timeout <= 0 ||
	    (opt.mark && (!*opt.mark || strlen(opt.mark) > 18)))
		usage(2);
	signal(SIGPIPE, SIG_IGN);
	load_body();
	secret = getenv("BENCH_SECRET");
	if (!secret || !*secret)
		secret = getenv("SENTRY_WEBHOOK_SECRET");
	if (secret && !*secret)
		secret = NULL;
	if (secret)
		sign(body, body_len, static_signature);
	if (opt.log_path && !(log_file = fopen(opt.log_path, "w"))) {
		fprintf(stderr, "loadgen: %s: %s\n", opt.log_path,
		    strerror(errno));
		exit(111);
	}
	conns = calloc(opt.conns, sizeof *conns);
	if ((epfd = epoll_create1(0)) < 0 || !conns) {
		fprintf(stderr, "loadgen: setup: %s\n", strerror(errno));
		exit(111);
	}
	for (int i = 0; i < opt.conns; i++)
		conns[i].fd = -1;

	t0 = last_done = now_mono();
	end = t0 + opt.seconds;
	for (;;) {
		struct epoll_event evs[256];
		double now = now_mono(), wait_s = 0.05;
		int busy = 0, n;

		for (int i = 0; i < opt.conns; i++) {
			struct conn *c = &conns[i];

			if (c->state != IDLE && now - c->due > opt.timeout) {
				err_timeout++;
				finish(epfd, c, -1, 0);
			}
			while (c->state == IDLE && issued < opt.count &&
			    now < end) {
				double due = opt.rate > 0 ?
				    t0 + issued / opt.rate : now;
				if (due > now) {
					if (due - now < wait_s)
						wait_s = due - now;
					break;
				}
				start(epfd, c, due);
			}
			if (c->state != IDLE)
				busy++;
		}
		if (!busy && (issued >= opt.count || now >= end))
			break;
		n = epoll_wait(epfd, evs, 256, (int)(wait_s * 1000) + 1);
		for (int i = 0; i < n; i++)
			on_event(epfd, evs[i].data.ptr);
		if (n > 0)
			last_done = now_mono();
	}
	last_done = now_mono();

	qsort(latencies, n_latencies, sizeof *latencies, cmp_double);
	{
		double elapsed = last_done - t0;
		int first = 1;

		printf("sent=%ld done=%ld elapsed=%.2f rps=%.1f p50=%.2f "
		    "p99=%.2f max=%.2f codes=", issued, done, elapsed,
		    elapsed > 0 ? done / elapsed : 0, percentile(0.50),
		    percentile(0.99), percentile(1.0));
		for (int s = 100; s < 600; s++)
			if (codes[s]) {
				printf("%s%d:%ld", first ? "" : ",", s, codes[s]);
				first = 0;
			}
		printf("%s errors=connect:%ld,io:%ld,timeout:%ld,badresp:%ld\n",
		    first ? "none" : "", err_connect, err_io, err_timeout,
		    err_bad);
	}
	if (log_file && fclose(log_file) != 0) {
		fprintf(stderr, "loadgen: %s: write failed\n", opt.log_path);
		return 111;
	}
	for (int i = 0; i < opt.conns; i++)
		if (conns[i].fd >= 0)
			close(conns[i].fd);
	free(conns);
	free(latencies);
	free(body);
	return fflush(stdout) == 0 ? 0 : 111;
}
