/*
 * net.c - the generator's event loop: connections, WebSocket, sends.
 *
 * Level-triggered epoll over non-blocking sockets.  Reads land in one
 * buffer shared by every connection (gen.rbuf) and are used from there;
 * only the tail of a frame cut in two is copied into the connection, so
 * that 10,000 connections do not each hold a large read buffer.  Writes
 * go out at once, and EPOLLOUT is armed only while a connection has bytes
 * the kernel did not take.
 *
 * Sends follow an open-loop schedule: each sending client has a time for
 * its next message, kept in a binary heap, and the loop sends whatever is
 * due whatever the server answered.  A slow server shows as latency, and
 * a generator that cannot keep up shows as send lag (stats.lag).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "load.h"
#include "sys.h"
#include "ws.h"

#define MAX_EVENTS 512
#define SETUP_TIMEOUT_NS (30ull * 1000000000ull)
#define CHECK_EVERY_NS 1000000000ull
#define LOGIN_TRIES 3
#define MAX_TEXT 4000

/* Source addresses: 127.0.0.2 to 127.0.0.254, round robin. */
#define SRC_FIRST 2
#define SRC_COUNT 253

uint64_t gen_rand(struct gen *g)
{
	/* xorshift64*: plenty for masks, keys and phases. */
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 0x2545F4914F6CDD1Dull;
}

static uint32_t mask32(struct gen *g)
{
	return (uint32_t)(gen_rand(g) >> 32);
}

/* ---- The send schedule: a min-heap on next_send_ns -------------------- */

static void heap_swap(struct gen *g, size_t a, size_t b)
{
	struct client *t = g->heap[a];

	g->heap[a] = g->heap[b];
	g->heap[b] = t;
	g->heap[a]->heap_pos = a + 1;
	g->heap[b]->heap_pos = b + 1;
}

static void heap_up(struct gen *g, size_t i)
{
	while (i) {
		size_t up = (i - 1) / 2;

		if (g->heap[up]->next_send_ns <= g->heap[i]->next_send_ns)
			break;
		heap_swap(g, up, i);
		i = up;
	}
}

static void heap_down(struct gen *g, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < g->nheap &&
		    g->heap[l]->next_send_ns < g->heap[m]->next_send_ns)
			m = l;
		if (r < g->nheap &&
		    g->heap[r]->next_send_ns < g->heap[m]->next_send_ns)
			m = r;
		if (m == i)
			return;
		heap_swap(g, i, m);
		i = m;
	}
}

static void heap_remove(struct gen *g, struct client *c)
{
	size_t i;

	if (!c->heap_pos)
		return;
	i = c->heap_pos - 1;
	c->heap_pos = 0;
	g->nheap--;
	if (i == g->nheap)
		return;
	g->heap[i] = g->heap[g->nheap];
	g->heap[i]->heap_pos = i + 1;
	heap_down(g, i);
	heap_up(g, i);
}

void net_schedule(struct gen *g, struct client *c, uint64_t now)
{
	heap_remove(g, c);
	if (!g->interval_ns || c->state != CL_READY)
		return;
	/* A random phase, so that the clients do not all send at once. */
	c->next_send_ns = now + gen_rand(g) % g->interval_ns;
	g->heap[g->nheap] = c;
	c->heap_pos = ++g->nheap;
	heap_up(g, g->nheap - 1);
}

void net_unschedule_all(struct gen *g)
{
	while (g->nheap)
		heap_remove(g, g->heap[0]);
}

/* ---- Closing ---------------------------------------------------------- */

static bool setting_up(const struct client *c)
{
	return c->state >= CL_CONNECTING && c->state <= CL_OPEN;
}

/* Closes the socket and frees what c holds; the caller sets the state. */
static void drop(struct gen *g, struct client *c)
{
	if (c->fd >= 0) {
		epoll_ctl(g->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
	if (setting_up(c))
		g->pending--;
	heap_remove(g, c);
	buf_release(&c->in);
	buf_release(&c->out);
	buf_release(&c->msg);
	c->msg_op = 0;
	c->want_out = false;
	free(c->ring);
	c->ring = NULL;
	c->ring_count = c->ring_head = 0;
}

void net_close(struct gen *g, struct client *c, bool polite)
{
	if (c->state == CL_FREE || c->state >= CL_DONE)
		return;
	if (polite && (c->state == CL_OPEN || c->state == CL_READY) &&
	    !g->kind->bytes) {
		unsigned char code[2] = { 1000 >> 8, 1000 & 0xff };

		/* Best effort: a client going away does not wait. */
		if (!ws_frame(&c->out, WS_CLOSE, true, code, 2, mask32(g)))
			(void)send(c->fd, buf_data(&c->out), buf_used(&c->out),
				   MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	if (c->state == CL_READY)
		g->nready--;
	drop(g, c);
	c->state = CL_DONE;
}

int gen_fail(struct gen *g, struct client *c, const char *fmt, ...)
{
	char why[200];
	bool was_ready = c->state == CL_READY;
	va_list ap;

	if (c->state == CL_FREE || c->state >= CL_DONE)
		return -1;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (was_ready)
		g->nready--;
	drop(g, c);
	if (c->login && c->tries < LOGIN_TRIES) {
		c->state = CL_FREE;
		g->retry[g->nretry++] = c->idx;
		return -1;
	}
	c->state = CL_CLOSED;
	if (was_ready) {
		g->nlost++;
		g->st.lost++;
	} else {
		g->nfailed++;
	}
	if (!g->why[0])
		snprintf(g->why, sizeof(g->why), "%s (client %u, user %s)",
			 why, c->idx, gen_user(g, c)->handle);
	if (g->nfailed + g->nlost <= 5)
		fprintf(stderr, "ruche-load: client %u (%s): %s\n", c->idx,
			gen_user(g, c)->handle, why);
	return -1;
}

/* ---- Writing ---------------------------------------------------------- */

static void want_out(struct gen *g, struct client *c, bool on)
{
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0),
				  .data.u32 = c->idx };

	if (c->want_out == on)
		return;
	epoll_ctl(g->ep, EPOLL_CTL_MOD, c->fd, &ev);
	c->want_out = on;
}

static int flush(struct gen *g, struct client *c)
{
	while (buf_used(&c->out)) {
		ssize_t w = send(c->fd, buf_data(&c->out), buf_used(&c->out),
				 MSG_NOSIGNAL);

		if (w > 0) {
			buf_consume(&c->out, (size_t)w);
		} else if (w < 0 && errno == EINTR) {
			continue;
		} else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			want_out(g, c, true);
			return 0;
		} else {
			return gen_fail(g, c, "write: %s",
					w < 0 ? strerror(errno) : "nothing");
		}
	}
	want_out(g, c, false);
	return 0;
}

int gen_write(struct gen *g, struct client *c, const void *p, size_t n)
{
	if (buf_append(&c->out, p, n))
		return gen_fail(g, c, "out of memory");
	return flush(g, c);
}

int gen_send_text(struct gen *g, struct client *c, const char *p, size_t n)
{
	int rc = 0;

	if (g->fragment_next && n >= 3) {
		size_t a = n / 3, b = 2 * n / 3;

		/* Three fragments, with a ping between the first two: a
		 * control frame may come between the fragments of a
		 * message, and the server must still put it together. */
		rc |= ws_frame(&c->out, WS_TEXT, false, p, a, mask32(g));
		rc |= ws_frame(&c->out, WS_PING, true, "frag", 4, mask32(g));
		rc |= ws_frame(&c->out, WS_CONT, false, p + a, b - a,
			       mask32(g));
		rc |= ws_frame(&c->out, WS_CONT, true, p + b, n - b,
			       mask32(g));
		g->st.fragmented++;
		g->st.pings++;
	} else {
		rc = ws_frame(&c->out, WS_TEXT, true, p, n, mask32(g));
	}
	g->fragment_next = false;
	if (rc)
		return gen_fail(g, c, "out of memory");
	return flush(g, c);
}

/*
 * Fills t[n..want) with words, as people write: the server indexes the
 * words of every message for search, so a text of one long token would
 * cost it less than a real one.
 */
static int pad_words(struct gen *g, char *t, int n, int want)
{
	static const char *const words[] = {
		"the", "hive", "meetup", "tomorrow", "question", "about",
		"exercise", "mentor", "thanks", "anyone", "stuck", "on",
		"chapter", "project", "deadline", "review", "code", "help",
		"please", "great", "idea", "we", "could", "pair", "later",
		"today", "link", "slides", "notes", "what", "is", "a",
	};
	uint64_t r = gen_rand(g);

	while (n < want) {
		const char *w = words[r % (sizeof(words) / sizeof(words[0]))];
		int len = (int)strlen(w);

		r = r >> 5 ? r >> 5 : gen_rand(g);
		if (n + len + 1 > want) {
			memset(t + n, '.', (size_t)(want - n));
			return want;
		}
		memcpy(t + n, w, (size_t)len);
		t[n + len] = ' ';
		n += len + 1;
	}
	return n;
}

int net_send_chat(struct gen *g, struct client *c, uint64_t now)
{
	char t[MAX_TEXT + 1];
	uint64_t ts = sys_mono_ns();
	int n;

	(void)now;
	n = snprintf(t, sizeof(t), "b %u %u %u %llu ", g->tag, c->idx,
		     c->seq, (unsigned long long)ts);
	if (n < 0)
		return -1;
	if (g->o.text_bytes > n)
		n = pad_words(g, t, n, g->o.text_bytes > MAX_TEXT ?
					       MAX_TEXT : g->o.text_bytes);
	if (g->o.fragment_every && c->seq % (uint32_t)g->o.fragment_every ==
					   (uint32_t)g->o.fragment_every - 1)
		g->fragment_next = true;
	c->seq++;
	if (g->tag) {
		g->st.sent++;
		g->st.expected += g->group_size[c->group] - 1;
	}
	if (c->ring) {
		if (c->ring_count == CLIENT_RING) {
			/* Too many unanswered: stop timing this one. */
			free(c->ring);
			c->ring = NULL;
		} else {
			c->ring[(c->ring_head + c->ring_count++) %
				CLIENT_RING] = ts;
		}
	}
	c->inflight++;
	return g->kind->send(g, c, t, (size_t)n);
}

/* ---- What the kinds report -------------------------------------------- */

void gen_ready(struct gen *g, struct client *c)
{
	if (c->state == CL_READY)
		return;
	if (setting_up(c))
		g->pending--;
	c->state = CL_READY;
	g->nready++;
}

static int parse_u64(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;

	if (s >= end || *s < '0' || *s > '9')
		return -1;
	while (s < end && *s >= '0' && *s <= '9')
		x = x * 10 + (uint64_t)(*s++ - '0');
	if (s < end && *s == ' ')
		s++;
	*p = s;
	*v = x;
	return 0;
}

void gen_message(struct gen *g, struct client *c, const char *t, size_t n)
{
	const char *p = t + 2, *end = t + n;
	uint64_t tag, sender, seq, ts, now;

	if (n < 2 || t[0] != 'b' || t[1] != ' ' ||
	    parse_u64(&p, end, &tag) || parse_u64(&p, end, &sender) ||
	    parse_u64(&p, end, &seq) || parse_u64(&p, end, &ts))
		return;
	if (sender == c->idx) {
		if (tag && tag == g->tag)
			g->st.self++;
		return;
	}
	if (g->measuring)
		g->st.received++;
	if (!tag)
		return;		/* sent while warming up */
	if (tag != g->tag) {
		g->st.late++;
		return;
	}
	now = sys_mono_ns();
	g->st.delivered++;
	hist_add(&g->st.lat, now > ts ? now - ts : 0);
}

void gen_ack(struct gen *g, struct client *c, bool ok, const char *code,
	     size_t codelen)
{
	uint64_t t0 = 0, now = sys_mono_ns();

	if (c->inflight)
		c->inflight--;
	if (c->ring && c->ring_count) {
		t0 = c->ring[c->ring_head];
		c->ring_head = (c->ring_head + 1) % CLIENT_RING;
		c->ring_count--;
	}
	if (g->counting) {
		if (ok) {
			g->st.acks_ok++;
		} else {
			if (!g->st.acks_err && code)
				snprintf(g->st.ack_error,
					 sizeof(g->st.ack_error), "%.*s",
					 (int)codelen, code);
			g->st.acks_err++;
		}
		if (t0)
			hist_add(&g->st.ack, now - t0);
	}
	if (g->pipeline && c->state == CL_READY &&
	    c->inflight < (uint32_t)g->pipeline)
		net_send_chat(g, c, now);
}

/* ---- Opening ---------------------------------------------------------- */

static void open_client(struct gen *g, struct client *c)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT,
				  .data.u32 = c->idx };
	int one = 1, fd;

	c->opened_ns = sys_mono_ns();
	c->tries++;
	g->nopened++;
	g->pending++;
	c->state = CL_CONNECTING;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	c->fd = fd;
	if (fd < 0) {
		gen_fail(g, c, "socket: %s", strerror(errno));
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* The port is picked at connect(), per destination: without this,
	 * bind() would pick one unique across every destination. */
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	src.sin_addr.s_addr =
		htonl((127u << 24) | (SRC_FIRST + c->idx % SRC_COUNT));
	if (bind(fd, (struct sockaddr *)&src, sizeof(src))) {
		gen_fail(g, c, "bind: %s", strerror(errno));
		return;
	}
	if (connect(fd, (struct sockaddr *)&g->o.dst[c->idx % g->o.ntargets],
		    sizeof(g->o.dst[0])) &&
	    errno != EINPROGRESS) {
		gen_fail(g, c, "connect: %s", strerror(errno));
		return;
	}
	if (epoll_ctl(g->ep, EPOLL_CTL_ADD, fd, &ev)) {
		gen_fail(g, c, "epoll: %s", strerror(errno));
		return;
	}
	c->want_out = true;
}

static void on_connected(struct gen *g, struct client *c, uint32_t events)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
		gen_fail(g, c, "connect: %s", strerror(err ? err : errno));
		return;
	}
	if (!(events & EPOLLOUT))
		return;		/* not yet */
	if (c->login) {
		struct user *u = gen_user(g, c);
		char body[256], req[768];
		int bl = snprintf(body, sizeof(body),
				  "{\"handle\":\"%s\",\"password\":\"%s\"}",
				  u->handle, g->password);
		int rl = snprintf(req, sizeof(req),
				  "POST /api/login HTTP/1.1\r\n"
				  "Host: %s\r\n"
				  "Content-Type: application/json\r\n"
				  "Content-Length: %d\r\n"
				  "Connection: close\r\n\r\n%s",
				  g->o.hostport[c->idx % g->o.ntargets], bl,
				  body);

		c->state = CL_HTTP;
		gen_write(g, c, req, (size_t)rl);
		return;
	}
	if (g->kind->bytes) {
		c->state = CL_OPEN;
		want_out(g, c, false);
		g->kind->open(g, c);
		return;
	}
	{
		unsigned char rnd[16];
		uint64_t a = gen_rand(g), b = gen_rand(g);

		memcpy(rnd, &a, 8);
		memcpy(rnd + 8, &b, 8);
		ws_make_key(c->key, rnd);
	}
	c->state = CL_UPGRADING;
	if (ws_request(&c->out, g->o.hostport[c->idx % g->o.ntargets],
		       g->kind->path, c->key,
		       g->kind->subprotocol)) {
		gen_fail(g, c, "out of memory");
		return;
	}
	flush(g, c);
}

void net_ramp_start(struct gen *g)
{
	g->ramp_start_ns = sys_mono_ns();
	g->ramp_base = g->nopened;
}

/* Opens what the ramp allows by now; returns when to look again. */
static uint64_t ramp(struct gen *g, uint64_t now)
{
	double secs = (double)(now - g->ramp_start_ns) / 1e9;
	size_t allowed = g->ramp_base + 1 + (size_t)(secs * g->o.ramp);

	while (g->nretry && g->pending < (size_t)g->o.max_pending)
		open_client(g, &g->cl[g->retry[--g->nretry]]);
	while (g->next_open < g->ncl && g->nopened < allowed &&
	       g->pending < (size_t)g->o.max_pending)
		open_client(g, &g->cl[g->next_open++]);
	if (g->next_open >= g->ncl || g->pending >= (size_t)g->o.max_pending)
		return UINT64_MAX;
	return g->ramp_start_ns +
	       (uint64_t)((double)(g->nopened + 1 - g->ramp_base) /
			  g->o.ramp * 1e9);
}

/* ---- Reading ---------------------------------------------------------- */

/* Finds name: in the head p[0..n), case aside; its value or NULL. */
static const char *http_header(const char *p, size_t n, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i + nl + 1 < n; i++)
		if ((i == 0 || p[i - 1] == '\n') &&
		    strncasecmp(p + i, name, nl) == 0 && p[i + nl] == ':')
			return p + i + nl + 1;
	return NULL;
}

/* The answer to a login; eof when the server has closed. */
static long http_answer(struct gen *g, struct client *c, const char *p,
			size_t n, bool eof)
{
	const char *end = memmem(p, n, "\r\n\r\n", 4), *cl, *tok, *body;
	size_t hlen, blen, toklen;
	long want = -1;
	int status;

	if (!end) {
		if (eof || n > 16384)
			return gen_fail(g, c, "bad HTTP answer to login");
		return 0;
	}
	hlen = (size_t)(end + 4 - p);
	cl = http_header(p, hlen, "Content-Length");
	if (cl)
		want = strtol(cl, NULL, 10);
	if (want >= 0 && n - hlen < (size_t)want) {
		if (eof)
			return gen_fail(g, c, "login answer cut short");
		return 0;
	}
	if (want < 0 && !eof)
		return 0;	/* the body ends when the server closes */
	body = p + hlen;
	blen = want >= 0 ? (size_t)want : n - hlen;
	if (sscanf(p, "HTTP/1.%*d %d", &status) != 1)
		return gen_fail(g, c, "bad HTTP status line");
	if (status != 200)
		return gen_fail(g, c, "login: HTTP %d %.*s", status,
				(int)(blen > 120 ? 120 : blen), body);
	if (js_str(body, blen, "token", &tok, &toklen) ||
	    toklen >= sizeof(gen_user(g, c)->token))
		return gen_fail(g, c, "login: no token in %.*s",
				(int)(blen > 120 ? 120 : blen), body);
	memcpy(gen_user(g, c)->token, tok, toklen);
	gen_user(g, c)->token[toklen] = '\0';
	hist_add(&g->st.ack, sys_mono_ns() - c->opened_ns);
	g->ndone++;
	drop(g, c);
	c->state = CL_DONE;
	return -1;	/* c is gone */
}

static int on_message(struct gen *g, struct client *c, unsigned op,
		      const char *p, size_t n)
{
	if (op != WS_TEXT)
		return gen_fail(g, c, "a binary message from the server");
	return g->kind->text(g, c, p, n);
}

static int on_frame(struct gen *g, struct client *c, const struct ws_head *h,
		    const char *p)
{
	size_t n = (size_t)h->len;

	g->st.frames_in++;
	switch (h->opcode) {
	case WS_TEXT:
	case WS_BINARY:
		if (c->msg_op)
			return gen_fail(g, c,
					"a message inside a fragmented one");
		if (h->fin)
			return on_message(g, c, h->opcode, p, n);
		c->msg_op = h->opcode;
		buf_clear(&c->msg);
		if (buf_append(&c->msg, p, n))
			return gen_fail(g, c, "out of memory");
		return 0;
	case WS_CONT:
		if (!c->msg_op)
			return gen_fail(g, c, "a continuation of no message");
		if (buf_used(&c->msg) + n > WS_MAX_MESSAGE ||
		    buf_append(&c->msg, p, n))
			return gen_fail(g, c, "a message too long");
		if (h->fin) {
			unsigned op = c->msg_op;

			c->msg_op = 0;
			if (on_message(g, c, op, buf_data(&c->msg),
				       buf_used(&c->msg)))
				return -1;
			buf_clear(&c->msg);
		}
		return 0;
	case WS_PING:
		if (ws_frame(&c->out, WS_PONG, true, p, n, mask32(g)))
			return gen_fail(g, c, "out of memory");
		return flush(g, c);
	case WS_PONG:
		g->st.pongs++;
		return 0;
	case WS_CLOSE: {
		int code = n >= 2 ? ((unsigned char)p[0] << 8 |
				     (unsigned char)p[1]) : 1005;

		c->close_code = code;
		ws_frame(&c->out, WS_CLOSE, true, p, n >= 2 ? 2 : 0,
			 mask32(g));
		flush(g, c);
		return gen_fail(g, c, "closed by the server: %d %.*s", code,
				(int)(n > 2 ? n - 2 : 0), p + 2);
	}
	default:
		return gen_fail(g, c, "opcode %u from the server", h->opcode);
	}
}

/* Uses what was read; the bytes used, or -1 when c is gone. */
static long use_bytes(struct gen *g, struct client *c, const char *p,
		      size_t n, bool eof)
{
	size_t used = 0;

	if (c->state == CL_HTTP)
		return http_answer(g, c, p, n, eof);
	if (g->kind->bytes) {
		long r = g->kind->bytes(g, c, p, n);

		return c->state >= CL_DONE ? -1 : r;
	}
	if (c->state == CL_UPGRADING) {
		char why[160];
		long h = ws_response(p, n, c->key, g->kind->subprotocol, why,
				     sizeof(why));

		if (h < 0)
			return gen_fail(g, c, "%s", why);
		if (h == 0)
			return 0;
		used = (size_t)h;
		c->state = CL_OPEN;
		if (g->kind->open(g, c) || c->state >= CL_DONE)
			return -1;
	}
	while (used < n) {
		struct ws_head h;
		int r = ws_parse((const unsigned char *)p + used, n - used, &h);

		if (r < 0)
			return gen_fail(g, c, "a bad frame from the server");
		if (r == 0)
			break;
		if (on_frame(g, c, &h, p + used + h.head_len) ||
		    c->state >= CL_DONE)
			return -1;
		used += h.head_len + (size_t)h.len;
	}
	return (long)used;
}

static void on_readable(struct gen *g, struct client *c)
{
	ssize_t r = recv(c->fd, g->rbuf, sizeof(g->rbuf), 0);
	const char *p;
	size_t n;
	long used;

	if (r < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			gen_fail(g, c, "read: %s", strerror(errno));
		return;
	}
	if (r == 0 && c->state != CL_HTTP) {
		gen_fail(g, c, "connection closed by the server");
		return;
	}
	if (buf_used(&c->in)) {
		if (buf_append(&c->in, g->rbuf, (size_t)r)) {
			gen_fail(g, c, "out of memory");
			return;
		}
		p = buf_data(&c->in);
		n = buf_used(&c->in);
	} else {
		p = g->rbuf;
		n = (size_t)r;
	}
	used = use_bytes(g, c, p, n, r == 0);
	if (used < 0)
		return;
	if (r == 0) {
		gen_fail(g, c, "connection closed by the server");
		return;
	}
	if (p == g->rbuf) {
		if ((size_t)used < n && buf_append(&c->in, p + used, n - used))
			gen_fail(g, c, "out of memory");
	} else {
		buf_consume(&c->in, (size_t)used);
	}
}

/* ---- The loop --------------------------------------------------------- */

int net_init(struct gen *g)
{
	g->ep = epoll_create1(EPOLL_CLOEXEC);
	return g->ep < 0 ? -1 : 0;
}

static void fire_sends(struct gen *g, uint64_t now)
{
	while (g->nheap && g->heap[0]->next_send_ns <= now) {
		struct client *c = g->heap[0];

		if (g->tag)
			hist_add(&g->st.lag, now - c->next_send_ns);
		c->next_send_ns += g->interval_ns;
		heap_down(g, 0);
		if (g->fire)
			g->fire(g, c, now);
		else
			net_send_chat(g, c, now);
	}
}

static void ping_all(struct gen *g)
{
	uint64_t now = sys_mono_ns();

	for (size_t i = 0; i < g->ncl; i++) {
		struct client *c = &g->cl[i];

		if (c->state != CL_READY)
			continue;
		if (g->kind->bytes) {
			if (g->kind->ping && !g->kind->ping(g, c, now))
				g->st.pings++;
			continue;
		}
		if (ws_frame(&c->out, WS_PING, true, &now, sizeof(now),
			     mask32(g)))
			continue;
		g->st.pings++;
		flush(g, c);
	}
}

/* Fails the set-ups that take too long. */
static void check_stuck(struct gen *g, uint64_t now)
{
	if (!g->pending)
		return;
	for (size_t i = 0; i < g->next_open; i++) {
		struct client *c = &g->cl[i];

		if (setting_up(c) && now - c->opened_ns > SETUP_TIMEOUT_NS)
			gen_fail(g, c, "not ready after %llu s (state %d)",
				 SETUP_TIMEOUT_NS / 1000000000ull, c->state);
	}
}

int net_run(struct gen *g, uint64_t until, bool (*done)(struct gen *g))
{
	struct epoll_event ev[MAX_EVENTS];

	for (;;) {
		uint64_t now = sys_mono_ns(), wake = until, next;
		struct timespec ts;
		int n;

		if (done && done(g))
			return 0;
		if (now >= until)
			return 0;
		if (now >= g->deadline_ns) {
			snprintf(g->why, sizeof(g->why),
				 "the run's bound of %.0f s passed",
				 g->o.max_s);
			return -1;
		}
		fire_sends(g, now);
		if (g->o.ping_s > 0 && now >= g->next_ping_ns) {
			ping_all(g);
			g->next_ping_ns = now + (uint64_t)(g->o.ping_s * 1e9);
		}
		if (now >= g->next_check_ns) {
			check_stuck(g, now);
			g->next_check_ns = now + CHECK_EVERY_NS;
		}
		next = ramp(g, now);
		if (next < wake)
			wake = next;
		if (g->nheap && g->heap[0]->next_send_ns < wake)
			wake = g->heap[0]->next_send_ns;
		if (g->deadline_ns < wake)
			wake = g->deadline_ns;
		if (g->next_check_ns < wake)
			wake = g->next_check_ns;
		if (g->o.ping_s > 0 && g->next_ping_ns < wake)
			wake = g->next_ping_ns;
		now = sys_mono_ns();
		if (wake <= now) {
			ts.tv_sec = 0;
			ts.tv_nsec = 0;
		} else {
			ts.tv_sec = (time_t)((wake - now) / 1000000000ull);
			ts.tv_nsec = (long)((wake - now) % 1000000000ull);
		}
		n = epoll_pwait2(g->ep, ev, MAX_EVENTS, &ts, NULL);
		if (n < 0 && errno != EINTR) {
			snprintf(g->why, sizeof(g->why), "epoll_pwait2: %s",
				 strerror(errno));
			return -1;
		}
		for (int i = 0; i < n; i++) {
			struct client *c = &g->cl[ev[i].data.u32];
			uint32_t e = ev[i].events;

			if (c->fd < 0)
				continue;
			if (c->state == CL_CONNECTING) {
				on_connected(g, c, e);
				continue;
			}
			if (e & (EPOLLIN | EPOLLERR | EPOLLHUP))
				on_readable(g, c);
			if (c->fd >= 0 && (e & EPOLLOUT))
				flush(g, c);
		}
	}
}
