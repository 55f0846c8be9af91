/* conn.c - message assembly and the outbound queue of one connection. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "ruche/conn.h"
#include "ruche/dispatch.h"
#include "ruche/err.h"
#include "ruche/log.h"
#include "ruche/server.h"
#include "ruche/utf8.h"

/*
 * Reads a textual address into its 16 bytes, IPv4 mapped into IPv6 as
 * the kernel does; false when text is none of them.
 */
static bool peer_parse(const char *text, unsigned char out[16])
{
	struct in_addr v4;

	if (!text)
		return false;
	if (inet_pton(AF_INET6, text, out) == 1)
		return true;
	if (inet_pton(AF_INET, text, &v4) != 1)
		return false;
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, &v4, 4);
	return true;
}

const char *conn_peer(const struct conn *c, char buf[CONN_PEER_TEXT])
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	bool v4 = !memcmp(c->peer, mapped, sizeof(mapped));

	if (!c->peer_known ||
	    !inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? c->peer + 12 : c->peer,
		       buf, CONN_PEER_TEXT))
		snprintf(buf, CONN_PEER_TEXT, "?");
	return buf;
}

/* The requests a connection may make: the same for every connection. */
static struct tbucket_rule rate_rule(const struct server *srv)
{
	return (struct tbucket_rule){ srv->cfg->rate_per_conn,
				      srv->cfg->rate_burst };
}

/* The refusals it may ignore before it is cut off. */
static struct tbucket_rule abuse_rule(const struct server *srv)
{
	return (struct tbucket_rule){
		srv->cfg->rate_per_conn,
		srv->cfg->rate_per_conn * CONN_ABUSE_SECONDS
	};
}

struct conn *conn_new(struct server *srv, const char *peer,
		      void (*wake)(void *arg), void *wake_arg)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->srv = srv;
	c->id = ++srv->next_conn_id;
	c->peer_known = peer_parse(peer, c->peer);
	c->wake = wake;
	c->wake_arg = wake_arg;
	c->opened_ms = conn_now_ms(c);
	c->last_rx_ms = c->opened_ms;
	tbucket_init(&c->rate, rate_rule(srv), c->opened_ms);
	tbucket_init(&c->abuse, abuse_rule(srv), c->opened_ms);
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nconns++;
	return c;
}

/* Takes c out of the server's list (a presence change, maybe). */
static void unlink_conn(struct conn *c, void *arg)
{
	(void)arg;
	if (c->prev)
		c->prev->next = c->next;
	else
		c->srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->srv->nconns--;
	/* Out of the list, it no longer counts for its user's presence. */
	c->synced = false;
}

void conn_free(struct conn *c)
{
	if (!c)
		return;
	server_presence_update(c->srv, c, unlink_conn, NULL);
	server_forget_conn(c->srv, c);
	while (c->out_count)
		conn_pop(c);
	server_unsubscribe(c->srv, c);
	free(c->outq);
	free(c->rx);
	free(c);
}

/* Makes room for n more inbound bytes, growing geometrically. */
static int rx_reserve(struct conn *c, size_t n)
{
	size_t cap = c->rx_cap ? c->rx_cap : 1024;
	char *p;

	if (c->rx_len + n <= c->rx_cap && c->rx)
		return 0;
	while (cap < c->rx_len + n)
		cap *= 2;
	if (cap > c->srv->cfg->max_message_bytes)
		cap = c->srv->cfg->max_message_bytes;
	p = realloc(c->rx, cap);
	if (!p)
		return RUCHE_ENOMEM;
	c->rx = p;
	c->rx_cap = (uint32_t)cap;
	return 0;
}

/* Checks and dispatches one whole message of len bytes at text. */
static int receive_whole(struct conn *c, const char *text, size_t len)
{
	if (!utf8_valid(text, len)) {
		conn_close(c, CONN_CLOSE_BAD_DATA, "text is not UTF-8");
		return CONN_CLOSE_BAD_DATA;
	}
	dispatch_message(c, text, len);
	return 0;
}

int conn_receive(struct conn *c, const void *in, size_t len, bool final,
		 bool binary)
{
	int rc;

	/* Any frame shows the peer is there, a fragment of a long one too. */
	c->last_rx_ms = conn_now_ms(c);
	c->pinged = false;
	if (binary) {
		conn_close(c, CONN_CLOSE_UNSUPPORTED, "binary frames not accepted");
		return CONN_CLOSE_UNSUPPORTED;
	}
	/* Count across fragments, and refuse before buffering past the limit. */
	if (len > c->srv->cfg->max_message_bytes - c->rx_len) {
		conn_close(c, CONN_CLOSE_TOO_BIG, "message too big");
		return CONN_CLOSE_TOO_BIG;
	}
	/* A message that came in one piece is read where it lies: an idle
	 * connection then holds no buffer of its own. */
	if (final && !c->rx_len)
		return receive_whole(c, len ? in : "", len);
	if (len) {
		if (rx_reserve(c, len)) {
			conn_close(c, CONN_CLOSE_TOO_BIG, "out of memory");
			return CONN_CLOSE_TOO_BIG;
		}
		memcpy(c->rx + c->rx_len, in, len);
		c->rx_len += (uint32_t)len;
	}
	if (!final)
		return 0;
	rc = receive_whole(c, c->rx, c->rx_len);
	/* Pieced-together messages are rare: the buffer goes with them. */
	free(c->rx);
	c->rx = NULL;
	c->rx_len = 0;
	c->rx_cap = 0;
	return rc;
}

int conn_send(struct conn *c, struct frame *f)
{
	if (c->close_code)
		return 0;
	if (c->out_count == CONN_OUTQ_MAX_FRAMES ||
	    c->out_bytes + f->len > c->srv->cfg->max_outq_bytes) {
		log_warn("conn %llu: outbound queue full (%u frames, %u "
			 "bytes), cutting it off", (unsigned long long)c->id,
			 (unsigned)c->out_count, (unsigned)c->out_bytes);
		conn_close(c, CONN_CLOSE_SLOW, "too slow: resume");
		return RUCHE_EBUSY;
	}
	if (c->out_count == c->out_cap) {
		uint32_t cap = c->out_cap ? c->out_cap * 2 : 8;
		struct frame **q = malloc(cap * sizeof(*q));

		if (!q) {
			conn_close(c, CONN_CLOSE_SLOW, "out of memory");
			return RUCHE_ENOMEM;
		}
		/* Unroll the ring into the new array, oldest first. */
		for (size_t i = 0; i < c->out_count; i++)
			q[i] = c->outq[(c->out_head + i) % c->out_cap];
		free(c->outq);
		c->outq = q;
		c->out_cap = (uint16_t)cap;
		c->out_head = 0;
	}
	c->outq[(c->out_head + c->out_count) % c->out_cap] = frame_ref(f);
	c->out_count++;
	c->out_bytes += (uint32_t)f->len;
	if (c->out_count == 1 && c->wake)
		c->wake(c->wake_arg);
	return 0;
}

struct frame *conn_peek(struct conn *c)
{
	return c->out_count ? c->outq[c->out_head] : NULL;
}

void conn_pop(struct conn *c)
{
	struct frame *f;

	if (!c->out_count)
		return;
	f = c->outq[c->out_head];
	c->out_head = (c->out_head + 1) % c->out_cap;
	c->out_count--;
	c->out_bytes -= (uint32_t)f->len;
	frame_unref(f);
	/* Drained: most connections sit idle most of the time, so they
	 * keep no queue between bursts. */
	if (!c->out_count) {
		free(c->outq);
		c->outq = NULL;
		c->out_cap = 0;
		c->out_head = 0;
	}
}

void conn_close(struct conn *c, int code, const char *reason)
{
	if (c->close_code)
		return;
	c->close_code = code;
	c->close_reason = reason;
	/* A consumer cut off for lagging would never drain its queue. */
	if (code == CONN_CLOSE_SLOW)
		while (c->out_count)
			conn_pop(c);
	if (c->wake)
		c->wake(c->wake_arg);
}

int64_t conn_now_ms(const struct conn *c)
{
	struct server *srv = c->srv;

	return clock_mono_ms(srv->fake_clock ? clock_system() : srv->clock);
}

int conn_rate_take(struct conn *c, int64_t *retry_ms)
{
	int64_t now = conn_now_ms(c);

	*retry_ms = tbucket_take(&c->rate, rate_rule(c->srv), now);
	if (!*retry_ms)
		return 0;
	/* Refusals drain a second bucket: running out of it means the
	 * client ignores retry_after_ms, so stop reading it. */
	if (tbucket_take(&c->abuse, abuse_rule(c->srv), now)) {
		char peer[CONN_PEER_TEXT];

		log_warn("conn %llu from %s: far over the request rate, "
			 "closing", (unsigned long long)c->id,
			 conn_peer(c, peer));
		conn_close(c, CONN_CLOSE_POLICY, "too many requests");
	}
	return RUCHE_ERATE;
}

void conn_pong(struct conn *c)
{
	c->last_rx_ms = conn_now_ms(c);
	c->pinged = false;
}

void conn_tick(struct conn *c, int64_t now_ms)
{
	const struct config *cfg = c->srv->cfg;
	int64_t idle_ms = (int64_t)cfg->idle_timeout_s * 1000;
	int64_t silent = now_ms - c->last_rx_ms;
	char peer[CONN_PEER_TEXT];

	if (c->close_code)
		return;
	if (!c->user_id && cfg->auth_timeout_s &&
	    now_ms - c->opened_ms >= (int64_t)cfg->auth_timeout_s * 1000) {
		log_info("conn %llu from %s: not logged in in time, closing",
			 (unsigned long long)c->id, conn_peer(c, peer));
		conn_close(c, CONN_CLOSE_TIMEOUT, "log in sooner");
		return;
	}
	if (!idle_ms)
		return;
	if (silent >= idle_ms) {
		log_info("conn %llu from %s: silent for %llds, closing",
			 (unsigned long long)c->id, conn_peer(c, peer),
			 (long long)(silent / 1000));
		conn_close(c, CONN_CLOSE_TIMEOUT, "idle");
	} else if (silent >= idle_ms / 2 && !c->pinged) {
		c->pinged = true;
		c->ping_due = true;
		if (c->wake)
			c->wake(c->wake_arg);
	}
}

size_t conn_count_peer(const struct server *srv, const char *peer)
{
	unsigned char addr[16];
	size_t n = 0;

	if (!peer_parse(peer, addr))
		return 0;
	for (const struct conn *c = srv->conns; c; c = c->next)
		n += c->peer_known && !memcmp(c->peer, addr, sizeof(addr));
	return n;
}
