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

struct api_call;

/* Per-connection state of the "http" protocol: one API request at a time. */
struct http_session {
	struct lws *wsi;
	char path[64];			/* the API path being answered */
	char query[256];		/* its query string, "" for none */
	bool post;
	char *body;			/* owned; body_len bytes received */
	size_t body_len;
	bool body_too_big;
	struct api_call *call;		/* an answer still being worked out */
	char token[64];			/* session token, cookie or Bearer */
	char peer[64];
	bool origin_ok;
	/* The answer, kept until the socket is writable. */
	bool answered;
	int status;
	char *answer;			/* owned JSON text */
	char set_cookie[256];
	int retry_after;
	char disposition[96];
	char content_type[48];		/* "" for application/json */
};

/* Per-connection state of the "ruche.v1" WebSocket protocol. */
struct ws_session {
	struct conn *conn;	/* owned; freed when the socket closes */
	struct lws *wsi;	/* borrowed from lws */
	/* On ws.c's list of sessions to write at the end of the pass. */
	struct ws_session *flush_prev, *flush_next;
	bool flush_queued;
	bool close_sent;	/* our close frame is out; awaiting theirs */
};

/*
 * Copies the session token of a request (the ruche_session cookie, else an
 * "Authorization: Bearer" header) into out; "" when there is none.
 */
void http_request_token(struct lws *wsi, char *out, size_t outlen);

/*
 * The address of the client of a request: the peer's, or, when the peer
 * is a --trusted-proxy, the last address of its X-Forwarded-For (the one
 * that proxy saw; the earlier ones are the client's word only).
 */
void http_client_address(struct server *srv, struct lws *wsi, char *out,
			 size_t outlen);

/* True when the request's Origin is absent, our own, or allowed. */
bool http_origin_allowed(struct server *srv, struct lws *wsi);

/*
 * Around one pass of the loop: ws_rx_pass_begin() before it, and
 * ws_rx_pass_more() after it says whether some client likely has more
 * waiting to be read (it sent two messages or more within one read, or
 * one cut short by the size of a read), for net.c to read on before the
 * turn's commit.
 */
void ws_rx_pass_begin(void);
bool ws_rx_pass_more(void);

/*
 * Writes, at the end of a pass, the frames queued for each connection
 * during it: one write per connection, without waiting to be told the
 * socket is writable (ws.c says why).
 */
void ws_flush_all(void);

int http_callback(struct lws *wsi, enum lws_callback_reasons reason,
		  void *user, void *in, size_t len);
int ws_callback(struct lws *wsi, enum lws_callback_reasons reason,
		void *user, void *in, size_t len);

#endif
