/*
 * ws.c - WebSocket bytes in and out of struct conn.
 *
 * Each callback case is one call into a named function; the protocol
 * itself lives in conn.c and dispatch.c, which never see a socket.
 */
#include <string.h>

#include "ruche/conn.h"
#include "ruche/log.h"
#include "ruche/server.h"
#include "transport.h"

_Static_assert(FRAME_PRE >= LWS_PRE, "frames need lws's head room");

/* How long a closing connection may take to drain before it is dropped. */
#define CLOSE_GRACE_S 5

static void ws_wake(void *arg)
{
	struct ws_session *s = arg;

	lws_callback_on_writable(s->wsi);
	if (s->conn && s->conn->close_code)
		lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, CLOSE_GRACE_S);
}

static int ws_open(struct server *srv, struct ws_session *s, struct lws *wsi)
{
	char peer[64] = "";

	if (srv->stopping)
		return -1;
	lws_get_peer_simple(wsi, peer, sizeof(peer));
	s->wsi = wsi;
	s->conn = conn_new(srv, peer, ws_wake, s);
	if (!s->conn)
		return -1;
	log_debug("conn %llu: open from %s", (unsigned long long)s->conn->id,
		  peer);
	return 0;
}

static int ws_close_now(struct ws_session *s)
{
	const char *why = s->conn->close_reason;

	lws_close_reason(s->wsi, (enum lws_close_status)s->conn->close_code,
			 (unsigned char *)why, strlen(why));
	return -1;
}

static int ws_receive(struct ws_session *s, const void *in, size_t len)
{
	struct lws *wsi = s->wsi;
	bool final = lws_is_final_fragment(wsi) &&
		     lws_remaining_packet_payload(wsi) == 0;

	if (conn_receive(s->conn, in, len, final, lws_frame_is_binary(wsi))) {
		log_info("conn %llu: closing, %d %s",
			 (unsigned long long)s->conn->id, s->conn->close_code,
			 s->conn->close_reason);
		return ws_close_now(s);
	}
	return 0;
}

/* Writes the oldest queued frame, and asks to be called again for more. */
static int ws_writable(struct ws_session *s)
{
	struct conn *c = s->conn;
	struct frame *f = conn_peek(c);

	if (!f)
		return c->close_code ? ws_close_now(s) : 0;
	if (lws_write(s->wsi, frame_payload(f), f->len, LWS_WRITE_TEXT) <
	    (int)f->len)
		return -1;
	conn_pop(c);
	if (conn_peek(c) || c->close_code)
		lws_callback_on_writable(s->wsi);
	return 0;
}

static void ws_closed(struct ws_session *s)
{
	if (!s->conn)
		return;
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
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return s->conn ? ws_writable(s) : -1;
	case LWS_CALLBACK_CLOSED:
		ws_closed(s);
		break;
	default:
		break;
	}
	return 0;
}
