/* server.c - the server object: connections, shutdown and health. */
#include <stdlib.h>
#include <string.h>

#include "ruche/conn.h"
#include "ruche/err.h"
#include "ruche/ratelimit.h"
#include "ruche/server.h"
#include "ruche/store.h"

int server_init(struct server *srv, const struct config *cfg,
		struct clock *clk, struct store *st)
{
	memset(srv, 0, sizeof(*srv));
	srv->login_limit = ratelimit_new();
	if (!srv->login_limit)
		return RUCHE_ENOMEM;
	srv->cfg = cfg;
	srv->clock = clk;
	srv->store = st;
	srv->started_mono = clock_mono_ms(clk);
	return 0;
}

void server_release(struct server *srv)
{
	while (srv->conns)
		conn_free(srv->conns);
	ratelimit_free(srv->login_limit);
	srv->login_limit = NULL;
}

struct conn *server_conn(struct server *srv, uint64_t conn_id)
{
	for (struct conn *c = srv->conns; c; c = c->next)
		if (c->id == conn_id)
			return c;
	return NULL;
}

void server_close_session(struct server *srv, int64_t session_id)
{
	for (struct conn *c = srv->conns; c; c = c->next)
		if (c->session_id == session_id)
			conn_close(c, CONN_CLOSE_SESSION_ENDED, "session ended");
}

void server_close_user(struct server *srv, int64_t user_id,
		       int64_t keep_session)
{
	for (struct conn *c = srv->conns; c; c = c->next)
		if (c->user_id == user_id && c->session_id != keep_session)
			conn_close(c, CONN_CLOSE_SESSION_ENDED, "session ended");
}

void server_sweep_sessions(struct server *srv)
{
	int64_t now = clock_wall_ms(srv->clock);

	for (struct conn *c = srv->conns; c; c = c->next) {
		struct store_session s;

		if (!c->session_id || c->close_code)
			continue;
		if (store_session_get(srv->store, c->session_id, &s) ==
		    RUCHE_ENOTFOUND || (s.expires_at && s.expires_at <= now))
			conn_close(c, CONN_CLOSE_SESSION_ENDED, "session ended");
	}
}

void server_send_user(struct server *srv, int64_t user_id, struct frame *f)
{
	for (struct conn *c = srv->conns; c; c = c->next)
		if (c->user_id == user_id)
			conn_send(c, f);
}

void server_begin_shutdown(struct server *srv)
{
	if (srv->stopping)
		return;
	srv->stopping = true;
	for (struct conn *c = srv->conns; c; c = c->next)
		conn_close(c, CONN_CLOSE_GOING_AWAY, "server shutting down");
}

json_t *server_health(struct server *srv)
{
	int64_t up = clock_mono_ms(srv->clock) - srv->started_mono;

	return json_pack("{s:s, s:s, s:I, s:I}",
			 "status", srv->stopping ? "stopping" : "ok",
			 "version", RUCHE_VERSION,
			 "uptime_s", (json_int_t)(up / 1000),
			 "connections", (json_int_t)srv->nconns);
}
