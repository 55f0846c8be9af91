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
struct frame;
struct jobs;
struct ratelimit;
struct store;

struct server {
	const struct config *cfg;	/* borrowed */
	struct clock *clock;		/* borrowed */
	struct store *store;		/* borrowed */
	struct jobs *jobs;		/* borrowed; NULL: hash on the caller */
	struct ratelimit *login_limit;	/* owned: failed logins */
	char client_root[PATH_MAX];	/* real path of the client folder */
	char base_url[600];		/* how people reach us, no final / */
	/* Called once listening (base_url is known), e.g. to print links. */
	void (*on_listen)(struct server *srv);
	int64_t started_mono;		/* clock_mono_ms() at start */

	struct conn *conns;		/* every open connection */
	size_t nconns;
	uint64_t next_conn_id;

	bool stopping;			/* shutdown has begun */
};

/*
 * Sets up srv.  cfg, clk and st are borrowed and must outlive it.  Returns
 * 0 or RUCHE_ENOMEM.  (The transport fills client_root.)
 */
int server_init(struct server *srv, const struct config *cfg,
		struct clock *clk, struct store *st);

/* Frees what the server owns (every remaining conn).  The store is not
 * closed: it belongs to the caller. */
void server_release(struct server *srv);

/* Starts a clean shutdown: every connection is asked to close with 1001. */
void server_begin_shutdown(struct server *srv);

/* The open connection with this id, or NULL. */
struct conn *server_conn(struct server *srv, uint64_t conn_id);

/* Closes every connection of a session with CONN_CLOSE_SESSION_ENDED. */
void server_close_session(struct server *srv, int64_t session_id);

/* Closes every connection of a user but those of keep_session. */
void server_close_user(struct server *srv, int64_t user_id,
		       int64_t keep_session);

/*
 * Closes the connections whose session has ended behind the server's back
 * (expired, or revoked by `ruche admin` on the same database).  The
 * transport calls it every SERVER_SWEEP_MS.
 */
#define SERVER_SWEEP_MS 2000
void server_sweep_sessions(struct server *srv);

/* Queues a frame to every connection of a user. */
void server_send_user(struct server *srv, int64_t user_id, struct frame *f);

/* The body of GET /healthz: status, version, uptime, connections.  New
 * reference, or NULL when out of memory. */
json_t *server_health(struct server *srv);

#endif
