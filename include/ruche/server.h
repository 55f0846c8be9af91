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
#include "ruche/metrics.h"

struct conn;
struct frame;
struct jobs;
struct ratelimit;
struct store;

/* How deep server_begin() transactions nest. */
#define SERVER_MAX_NESTING 16

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
	/*
	 * Who gets a hive's events: per hive id, the connections whose
	 * `hives` list holds it, so that routing an event costs its
	 * audience rather than a scan of every connection.  An
	 * open-addressing table of subs_cap slots (a power of two), nsubs
	 * of them used; kept by conn_subscribe(), server_user_joined(),
	 * server_user_left() and server_unsubscribe().
	 */
	struct hive_subs *subs;		/* owned */
	size_t nsubs, subs_cap;

	bool stopping;			/* shutdown has begun */
	int64_t last_prune_mono;	/* when old events were last pruned */
	/* The soonest expiry of the sessions the sweep read, INT64_MAX
	 * when none (server_sweep_sessions). */
	int64_t sessions_expire_at;
	int64_t last_purge_mono;	/* when retention last purged */
	/* The test clock of --fake-clock (clock is then &fake_clock->clock),
	 * or NULL; clock.advance moves it. */
	struct clock_fake *fake_clock;
	/*
	 * Details of the current request's refusal (json_t *, owned), e.g.
	 * {"until": ...} for "muted": dispatch adds them to the error object
	 * of the reply, then drops them.
	 */
	json_t *err_detail;
	/*
	 * The current request's reply data as JSON text already (char *,
	 * owned, reply_len bytes), e.g. {"message": ...} for msg.send:
	 * dispatch replies with it instead of the handler's json_t, then
	 * drops it.  Spares encoding what the event encoded just before.
	 */
	char *reply_text;
	size_t reply_len;

	/*
	 * Grouped commits.  The first request of an event-loop turn that
	 * may write opens one transaction; replies and events of the turn
	 * wait in the outbox, and server_flush() commits once and only then
	 * lets them out: acknowledged means stored, and a burst of messages
	 * costs one sync, not one each.
	 */
	bool turn_open;
	struct outbox_entry *outbox;	/* owned */
	size_t nout, out_cap;
	/* Where the outbox stood at each open server_begin(). */
	size_t tx_marks[SERVER_MAX_NESTING];
	int ntx;

	struct metrics metrics;		/* what GET /metrics shows */
	/* A node of a cluster (cluster.h): owned; NULL for a lone node. */
	struct cluster *cluster;
};

/* Something waiting in the outbox for the turn's commit. */
struct outbox_entry {
	struct conn *conn;	/* a reply or a private event: its conn */
	struct frame *frame;	/* owned reference */
	void *req_id;		/* json_t * of a reply's request, owned */
	int64_t hive_id;	/* an event for a hive's members */
	int64_t channel_id;	/* an event for a direct channel's members */
	int64_t user_id;	/* an event for one user's connections; with
				   hive_id or channel_id, -id leaves one out */
	int64_t pos;		/* the event's position, 0 if none */
	int close_code;		/* a close of conn, after what precedes it */
	bool clean;		/* a reply made before the turn changed
				   anything: it holds for a failed commit */
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

/*
 * Closes every connection of a session with CONN_CLOSE_SESSION_ENDED.
 * Like replies, these closes wait for the turn's commit, so that a reply
 * queued before them (to account.delete, say) still goes out first, and
 * nothing is closed for a change that was not stored.
 */
void server_close_session(struct server *srv, int64_t session_id);

/* Closes every connection of a user but those of keep_session. */
void server_close_user(struct server *srv, int64_t user_id,
		       int64_t keep_session);

/*
 * Closes the connections whose session has ended behind the server's back
 * (expired, or revoked by `ruche admin` on the same database).  The
 * transport calls it every SERVER_SWEEP_MS.  It reads a connection's
 * session from the store when the connection is new to it, and every
 * connection's only when the soonest expiry it read has come or someone
 * else wrote to the database (store_changed_elsewhere()): an idle server
 * on SQLite reads nothing (PostgreSQL cannot tell, and reads them all).
 */
#define SERVER_SWEEP_MS 2000
void server_sweep_sessions(struct server *srv);

/* Periodic work: the session sweep, and hourly pruning of old events. */
void server_housekeeping(struct server *srv);

/*
 * Opens the turn's transaction, if it is not open yet.  0 or RUCHE_EIO.
 * On a read-only database it returns 0 with no transaction open: the
 * turn's reads work, and its writes fail one by one with RUCHE_EROFS.
 */
int server_turn_begin(struct server *srv);

/*
 * A transaction of domain code: store_begin()/store_end() that also owns
 * what the body queued in the outbox.  When server_end() rolls back, the
 * replies and events queued since server_begin() are dropped with the
 * writes, so nobody is told of a change that was not stored.  They nest
 * like store transactions, at most SERVER_MAX_NESTING deep.
 */
int server_begin(struct server *srv);
int server_end(struct server *srv, int rc);

/*
 * Ends the turn: commits, then sends what waited in the outbox.  If the
 * commit fails, the replies become errors with the commit's code
 * ("internal", or "storage_full" when the disk is full) and the events
 * are dropped (they were never stored).  Called by the transport after each
 * pass of the event loop; a no-op when no turn is open.  Returns the
 * commit's result.
 */
int server_flush(struct server *srv);

/* Sends a reply to c now, or after the turn's commit.  req_id is the
 * request's id (json_t *, borrowed). */
void server_reply(struct server *srv, struct conn *c, struct frame *f,
		  void *req_id);

/*
 * Publishes a stored event (pos > 0) or an ephemeral one (pos 0) to the
 * members of a hive, or of a direct channel (user_id -id then leaves that
 * user out), or to one user (user_id > 0): now, or after the turn's
 * commit.  Connections that have not synced, or have
 * already been sent this position, are skipped.
 */
void server_publish(struct server *srv, int64_t hive_id, int64_t channel_id,
		    int64_t user_id, int64_t pos, struct frame *f);

/*
 * Delivers an event to this node's connections at once, as
 * server_publish() would after the commit: for the events of other nodes
 * (cluster.c), never published again.
 */
void server_deliver(struct server *srv, int64_t hive_id, int64_t channel_id,
		    int64_t user_id, int64_t pos, struct frame *f);

/*
 * Stores an event in the event log, so that a client resuming after a
 * disconnection gets it, and publishes it once committed: to a hive's
 * members (channel_id 0) or a direct channel's (hive_id 0).  The frame is
 * built around the stored JSON text, so the event is encoded once for the
 * log and every recipient.  data is stolen.  Call inside a transaction.
 */
int server_emit(struct server *srv, int64_t hive_id, int64_t channel_id,
		const char *kind, json_t *data);
/* The same with data as JSON text already (len bytes, not taken). */
int server_emit_text(struct server *srv, int64_t hive_id, int64_t channel_id,
		     const char *kind, const char *text, size_t len);

/* Subscribes the user's synced connections to a hive's events, or not. */
void server_user_joined(struct server *srv, int64_t user_id, int64_t hive_id);
void server_user_left(struct server *srv, int64_t user_id, int64_t hive_id);

/*
 * Starts a conn's live events: the hives whose events it gets (copied)
 * replace those it had.  0, or RUCHE_ENOMEM and nothing changed.
 */
int conn_subscribe(struct conn *c, const int64_t *hives, size_t n);

/* Takes a conn out of every hive's audience (it is going away). */
void server_unsubscribe(struct server *srv, struct conn *c);

/*
 * The connections subscribed to a hive's events, in no particular order,
 * synced or not: n of them, borrowed, valid until the next subscription
 * change.  NULL with *n 0 when there are none.
 */
struct conn *const *server_hive_conns(const struct server *srv,
				      int64_t hive_id, size_t *n);

/*
 * Presence: "online" when one of the user's synced connections is not
 * away, "away" when all are, "offline" with none.  Changes are published
 * (ephemeral "presence" events) to the members of the user's hives.
 */
const char *server_presence(struct server *srv, int64_t user_id);

/* Runs fn, which changes the state of c, and publishes the user's new
 * presence if it changed. */
void server_presence_update(struct server *srv, struct conn *c,
			    void (*fn)(struct conn *c, void *arg), void *arg);

/* Tells a person's hives their status ("online", "away", "offline"). */
void server_presence_publish(struct server *srv, int64_t user_id,
			     const char *status);

/* Forgets a conn's outbox entries (it is going away). */
void server_forget_conn(struct server *srv, struct conn *c);

/* Queues a frame to every connection of a user. */
void server_send_user(struct server *srv, int64_t user_id, struct frame *f);

/* The body of GET /healthz: status, version, uptime, connections.  New
 * reference, or NULL when out of memory. */
json_t *server_health(struct server *srv);

#endif
