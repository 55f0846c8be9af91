/* server.c - the server object: connections, shutdown and health. */
#include <stdlib.h>
#include <string.h>

#include "ruche/conn.h"
#include "ruche/err.h"
#include "ruche/server.h"

int server_init(struct server *srv, const struct config *cfg,
		struct clock *clk, struct store *st)
{
	memset(srv, 0, sizeof(*srv));
	if (!realpath(cfg->client_dir, srv->client_root))
		return RUCHE_ENOTFOUND;
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
