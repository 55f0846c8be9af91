/*
 * transport.h - the libwebsockets edge of Ruche (private to net.c, ws.c
 * and http.c, the only files that include libwebsockets.h).
 *
 * net.c owns the lws context and the event loop, http.c answers HTTP
 * (static client files, /healthz) and vets WebSocket upgrades, ws.c moves
 * WebSocket bytes between sockets and struct conn.  The struct server
 * reaches every callback as the context's user pointer.
 */
#ifndef RUCHE_TRANSPORT_H
#define RUCHE_TRANSPORT_H

#include <libwebsockets.h>

struct server;

/* Runs the server until SIGINT or SIGTERM.  0 on a clean stop, else 1. */
int net_run(struct server *srv);

/* Called on the loop after lws_cancel_service(): acts on pending signals. */
void net_woken(struct server *srv);

/* The server behind any wsi of Ruche's context. */
static inline struct server *net_server(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

/* Per-connection state of the "http" protocol (HTTP requests). */
struct http_session {
	int unused;
};

/* Per-connection state of the "ruche.v1" WebSocket protocol. */
struct ws_session {
	struct conn *conn;	/* owned; freed when the socket closes */
	struct lws *wsi;	/* borrowed from lws */
};

int http_callback(struct lws *wsi, enum lws_callback_reasons reason,
		  void *user, void *in, size_t len);
int ws_callback(struct lws *wsi, enum lws_callback_reasons reason,
		void *user, void *in, size_t len);

#endif
