/*
 * server.h - the one object that holds a running Ruche together.
 *
 * main() makes one struct server and passes it down; the transport hands it
 * back to callbacks through libwebsockets' user pointers.  There is no
 * global server: tests build their own with a fake clock and a temporary
 * store.
 */
#ifndef RUCHE_SERVER_H
#define RUCHE_SERVER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "ruche/clock.h"
#include "ruche/config.h"

struct conn;
struct store;

struct server {
	const struct config *cfg;	/* borrowed */
	struct clock *clock;		/* borrowed */
	struct store *store;		/* borrowed */
	char client_root[PATH_MAX];	/* real path of the client folder */
	int64_t started_mono;		/* clock_mono_ms() at start */

	struct conn *conns;		/* every open connection */
	size_t nconns;
	uint64_t next_conn_id;

	bool stopping;			/* shutdown has begun */
};

/*
 * Sets up srv.  cfg, clk and st are borrowed and must outlive it.  Returns
 * 0, or RUCHE_ENOTFOUND when the client folder does not exist.
 */
int server_init(struct server *srv, const struct config *cfg,
		struct clock *clk, struct store *st);

/* Frees what the server owns (every remaining conn).  The store is not
 * closed: it belongs to the caller. */
void server_release(struct server *srv);

/* Starts a clean shutdown: every connection is asked to close with 1001. */
void server_begin_shutdown(struct server *srv);

/* The body of GET /healthz: status, version, uptime, connections.  New
 * reference, or NULL when out of memory. */
json_t *server_health(struct server *srv);

#endif
