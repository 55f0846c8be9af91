/*
 * ws.c - WebSocket bytes in and out of struct conn.
 *
 * Each callback case is one call into a named function; the protocol
 * itself lives in conn.c and dispatch.c, which never see a socket.
 */
#include <stdlib.h>
#include <string.h>

#include "ruche/conn.h"
#include "ruche/log.h"
#include "ruche/ops.h"
#include "ruche/server.h"
#include "transport.h"

_Static_assert(FRAME_PRE >= LWS_PRE, "frames need lws's head room");

/* Most bytes gathered into one write. */
#define WS_BATCH_BYTES (256 * 1024)

/* How long a closing connection may take to drain before it is dropped. */
#define CLOSE_GRACE_S 5

/*
 * The sessions given frames during this pass of the loop, written at its
 * end by ws_flush_all(): each in one write, straight away, rather than by
 * asking lws to say when the socket can take them, which with epoll costs
 * two more system calls per connection per pass (arming and disarming its
 * interest in writing) and a trip round the loop.  Most sockets can take
 * the bytes at once; for the rest lws keeps what did not fit and the
 * writable callback goes on from there.
 */
static struct ws_session *to_flush, *to_flush_last;

static void flush_unlink(struct ws_session *s)
{
	if (!s->flush_queued)
		return;
	if (s->flush_prev)
		s->flush_prev->flush_next = s->flush_next;
	else
		to_flush = s->flush_next;
	if (s->flush_next)
		s->flush_next->flush_prev = s->flush_prev;
	else
		to_flush_last = s->flush_prev;
	s->flush_prev = s->flush_next = NULL;
	s->flush_queued = false;
}

static void ws_wake(void *arg)
{
	struct ws_session *s = arg;

	if (s->conn && s->conn->close_code) {
		lws_callback_on_writable(s->wsi);
		lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, CLOSE_GRACE_S);
		return;
	}
	if (s->flush_queued)
		return;
	/* Last in line: sockets are written in the order they were given
	 * frames, so that what the commit released to one member leaves
	 * before the reply to the request that made it. */
	s->flush_queued = true;
	s->flush_next = NULL;
	s->flush_prev = to_flush_last;
	if (to_flush_last)
		to_flush_last->flush_next = s;
	else
		to_flush = s;
	to_flush_last = s;
}

/*
 * The upgrade's headers are still there while the connection is being
 * established (lws drops them just after): the session cookie and the
 * client's address are read from them here, so that the session of every
 * open WebSocket does not keep them.
 */
static int ws_open(struct server *srv, struct ws_session *s, struct lws *wsi)
{
	int max_per_ip = srv->cfg->max_conns_per_ip;
	char token[64], peer[64];
	size_t others;

	if (srv->stopping)
		return -1;
	http_request_token(wsi, token, sizeof(token));
	http_client_address(srv, wsi, peer, sizeof(peer));
	/* A walk over every open connection: only when there is a limit. */
	others = max_per_ip ? conn_count_peer(srv, peer) : 0;
	s->wsi = wsi;
	s->conn = conn_new(srv, peer, ws_wake, s);
	if (!s->conn)
		return -1;
	/* Past the limit the socket is opened only to say why it closes:
	 * a client told 1013 backs off, one cut at the upgrade retries. */
	if (max_per_ip && others >= (size_t)max_per_ip) {
		log_warn("conn %llu: %zu connections from %s already, closing",
			 (unsigned long long)s->conn->id, others, peer);
		explicit_bzero(token, sizeof(token));
		conn_close(s->conn, CONN_CLOSE_TRY_LATER,
			   "too many connections from your address");
		return 0;
	}
	/* A browser's session cookie logs the socket in; a bad one does not
	 * refuse it: the client can still send "auth". */
	if (token[0])
		ops_authenticate(s->conn, token);
	explicit_bzero(token, sizeof(token));
	log_debug("conn %llu: open from %s", (unsigned long long)s->conn->id,
		  peer);
	return 0;
}

/*
 * libwebsockets 4.1 has no public opcode for a close frame: LWS_WRITE_CLOSE
 * (4) was taken out of the enum, but lws_write() still frames it.
 */
#define WS_WRITE_CLOSE ((enum lws_write_protocol)4)

/*
 * Sends our close frame and keeps reading until the peer's close arrives
 * (or CLOSE_GRACE_S pass): closing TCP at once would reset a peer that is
 * still sending, an oversized message say, and it would never see the
 * close frame nor its code.  Returning -1 with lws_close_reason() does
 * just that in libwebsockets 4.1, so the frame is written here.
 */
static int ws_send_close(struct ws_session *s)
{
	unsigned char buf[LWS_PRE + 2 + CONN_CLOSE_REASON_MAX];
	unsigned char *p = buf + LWS_PRE;
	size_t rlen = strnlen(s->conn->close_reason, CONN_CLOSE_REASON_MAX);
	int code = s->conn->close_code;

	if (s->close_sent)
		return 0;
	p[0] = (unsigned char)(code >> 8);
	p[1] = (unsigned char)code;
	memcpy(p + 2, s->conn->close_reason, rlen);
	if (lws_write(s->wsi, p, 2 + rlen, WS_WRITE_CLOSE) < 0)
		return -1;
	s->close_sent = true;
	lws_set_timeout(s->wsi, PENDING_TIMEOUT_CLOSE_ACK, CLOSE_GRACE_S);
	return 0;
}

/* What the current pass of the loop read (transport.h). */
static struct {
	const struct ws_session *last;	/* the session that read last */
	bool more;			/* a client likely has more to read */
} rx_pass;

void ws_rx_pass_begin(void)
{
	rx_pass.last = NULL;
	rx_pass.more = false;
}

bool ws_rx_pass_more(void)
{
	return rx_pass.more;
}

static int ws_receive(struct ws_session *s, const void *in, size_t len)
{
	struct lws *wsi = s->wsi;
	size_t rest = lws_remaining_packet_payload(wsi);
	bool final = lws_is_final_fragment(wsi) && rest == 0;

	/* A socket is read once a pass: two pieces in a row from it came in
	 * one read, so its client sends faster than a read takes; a frame
	 * cut short has the rest of it coming. */
	if (rx_pass.last == s || rest)
		rx_pass.more = true;
	rx_pass.last = s;

	/* Once closing, what the peer still sends is read and dropped. */
	if (s->conn->close_code)
		return 0;
	if (conn_receive(s->conn, in, len, final, lws_frame_is_binary(wsi)))
		log_info("conn %llu: closing, %d %s",
			 (unsigned long long)s->conn->id, s->conn->close_code,
			 s->conn->close_reason);
	return 0;
}

/* The WebSocket header of an unmasked final text frame of len bytes. */
static size_t ws_header(unsigned char *h, size_t len)
{
	h[0] = 0x81;
	if (len < 126) {
		h[1] = (unsigned char)len;
		return 2;
	}
	if (len <= 0xffff) {
		h[1] = 126;
		h[2] = (unsigned char)(len >> 8);
		h[3] = (unsigned char)len;
		return 4;
	}
	h[1] = 127;
	for (int i = 0; i < 8; i++)
		h[2 + i] = (unsigned char)(len >> (56 - 8 * i));
	return 10;
}

/*
 * Writes every frame queued for this connection in one write: the frames
 * are framed here and handed to libwebsockets as raw bytes.  A burst of
 * events then costs one system call and as few TCP segments as the bytes
 * need, not one of each per event; TCP_NODELAY stays on, so a lone event
 * still leaves at once.  A single frame is written in place, without a
 * copy.
 */
static int ws_write_batch(struct ws_session *s)
{
	struct conn *c = s->conn;
	size_t total = 0, n = 0, off = LWS_PRE;
	unsigned char *buf;
	int rc;

	for (size_t i = 0; i < c->out_count && total < WS_BATCH_BYTES; i++) {
		struct frame *f = c->outq[(c->out_head + i) % c->out_cap];

		total += f->len + 10;
		n++;
	}
	buf = malloc(LWS_PRE + total);
	if (!buf)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct frame *f = c->outq[(c->out_head + i) % c->out_cap];

		off += ws_header(buf + off, f->len);
		memcpy(buf + off, frame_payload(f), f->len);
		off += f->len;
	}
	rc = lws_write(s->wsi, buf + LWS_PRE, off - LWS_PRE, LWS_WRITE_RAW);
	free(buf);
	if (rc < (int)(off - LWS_PRE))
		return -1;
	while (n--)
		conn_pop(c);
	return 0;
}

/* Sends the ping conn_tick() asked for: a live peer answers with a pong. */
static int ws_ping(struct ws_session *s)
{
	unsigned char buf[LWS_PRE + 5];

	/* With a payload: libwebsockets 4.1 does not report a pong that has
	 * none (LWS_CALLBACK_RECEIVE_PONG never comes). */
	memcpy(buf + LWS_PRE, "ruche", 5);
	s->conn->ping_due = false;
	if (lws_write(s->wsi, buf + LWS_PRE, 5, LWS_WRITE_PING) < 5)
		return -1;
	lws_callback_on_writable(s->wsi);
	return 0;
}

/* Writes the frames queued, up to a batch; <0 when the socket failed. */
static int ws_write_queued(struct ws_session *s)
{
	struct conn *c = s->conn;
	struct frame *f = conn_peek(c);

	if (!f)
		return 0;
	if (c->out_count > 1)
		return ws_write_batch(s);
	if (lws_write(s->wsi, frame_payload(f), f->len, LWS_WRITE_TEXT) <
	    (int)f->len)
		return -1;
	conn_pop(c);
	return 0;
}

/* Writes what is queued, and asks to be called again for more. */
static int ws_writable(struct ws_session *s)
{
	struct conn *c = s->conn;

	flush_unlink(s);
	if (c->ping_due && !c->close_code)
		return ws_ping(s);
	if (!conn_peek(c))
		return c->close_code ? ws_send_close(s) : 0;
	if (ws_write_queued(s))
		return -1;
	if (conn_peek(c) || c->close_code)
		lws_callback_on_writable(s->wsi);
	return 0;
}

void ws_flush_all(void)
{
	while (to_flush) {
		struct ws_session *s = to_flush;
		struct conn *c = s->conn;

		flush_unlink(s);
		if (!c)
			continue;
		/* Pings, closes and a socket still holding bytes back go
		 * the way of the writable callback. */
		if (c->close_code || c->ping_due ||
		    lws_partial_buffered(s->wsi)) {
			lws_callback_on_writable(s->wsi);
			continue;
		}
		if (ws_write_queued(s)) {
			/* Outside a callback: lws closes it on its next pass. */
			lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK,
					LWS_TO_KILL_ASYNC);
			continue;
		}
		if (conn_peek(c))	/* more than a batch */
			lws_callback_on_writable(s->wsi);
	}
}

static void ws_closed(struct ws_session *s)
{
	if (!s->conn)
		return;
	flush_unlink(s);
	log_debug("conn %llu: closed", (unsigned long long)s->conn->id);
	conn_free(s->conn);
	s->conn = NULL;
}

int ws_callback(struct lws *wsi, enum lws_callback_reasons reason,
		void *user, void *in, size_t len)
{
	struct ws_session *s = user;

	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED:
		return ws_open(net_server(wsi), s, wsi);
	case LWS_CALLBACK_RECEIVE:
		return ws_receive(s, in, len);
	case LWS_CALLBACK_RECEIVE_PONG:
		if (s->conn)
			conn_pong(s->conn);
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return s->conn ? ws_writable(s) : -1;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		/* After our own close, theirs completes the handshake. */
		return s->close_sent ? -1 : 0;
	case LWS_CALLBACK_CLOSED:
		ws_closed(s);
		break;
	default:
		break;
	}
	return 0;
}
