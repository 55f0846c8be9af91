/*
 * conn.h - one client connection, as the protocol sees it.
 *
 * A conn assembles inbound WebSocket messages from their fragments, hands
 * each complete message to dispatch, and keeps the bounded queue of frames
 * waiting to go out.  It knows nothing of sockets: the transport (ws.c)
 * feeds it bytes and drains its queue when the socket is writable, and
 * sets `wake` so the conn can ask for that.  Tests set `wake` to a counter
 * and read the queue directly.
 *
 * Thread rules: event-loop thread only.
 */
#ifndef RUCHE_CONN_H
#define RUCHE_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ruche/frame.h"
#include "ruche/ratelimit.h"

struct server;

/* WebSocket close codes Ruche uses (RFC 6455 section 7.4, and 4000+). */
enum conn_close {
	CONN_CLOSE_GOING_AWAY = 1001,	/* the server is shutting down */
	CONN_CLOSE_UNSUPPORTED = 1003,	/* a binary frame */
	CONN_CLOSE_BAD_DATA = 1007,	/* text that is not UTF-8 */
	CONN_CLOSE_POLICY = 1008,	/* far over the request rate */
	CONN_CLOSE_TOO_BIG = 1009,	/* a message over the size limit */
	CONN_CLOSE_TRY_LATER = 1013,	/* too many connections from the
					   address: try again later */
	CONN_CLOSE_SESSION_ENDED = 4001, /* logged out, password changed,
					    account deleted: log in again */
	CONN_CLOSE_TIMEOUT = 4002,	/* silent past the idle timeout, or
					   not logged in within the auth
					   timeout */
	CONN_CLOSE_SLOW = 4008,		/* outbound queue overflowed: resume */
};

struct conn {
	struct server *srv;	/* borrowed; outlives the conn */
	uint64_t id;		/* unique for the life of the process */

	/* The transport's "call me when you can write", and its argument. */
	void (*wake)(void *arg);
	void *wake_arg;

	/*
	 * Every open connection pays for each byte below, so counts are 32
	 * bits or fewer (a message is at most 16 MiB, a queue at most 1 GiB
	 * and CONN_OUTQ_MAX_FRAMES frames: config.c), the flags are bits,
	 * and the rate limits' rules are the server's (conn.c).
	 */

	/* Inbound message being assembled across fragments. */
	char *rx;		/* owned; rx_len bytes used of rx_cap */
	uint32_t rx_len, rx_cap;

	/* Outbound queue: a ring of frame references. */
	struct frame **outq;	/* owned array of out_cap slots */
	uint32_t out_count;	/* frames queued */
	uint32_t out_bytes;	/* payload bytes queued */

	/* The id of the request being handled (borrowed), for deferring. */
	void *req_id;

	/* Who is on the other end: 0 until authenticated. */
	int64_t user_id;
	int64_t session_id;

	/* Live events, once the client has synced ("sync"). */
	int64_t last_pos;	/* position of the last event it was sent */
	/* The hives whose events it gets: &hive_one when there is one (most
	 * people are in one hive), else an owned array. */
	int64_t *hives;
	int64_t hive_one;
	uint32_t nhives;

	/* Close requested: sent once the queue drains.  0 when open.  The
	 * reason is a string literal (conn_close), not a copy. */
	int close_code;
	const char *close_reason;

	/* Limits (docs/limits.md), in conn_now_ms() time. */
	struct tbucket rate;	/* requests it may make */
	struct tbucket abuse;	/* refusals tolerated before a 1008 */
	int64_t opened_ms;	/* when it opened */
	int64_t last_rx_ms;	/* when the peer last sent anything */

	struct conn *prev, *next; /* the server's list of connections */

	/* The remote address, for log lines and --max-conns-per-ip: its 16
	 * bytes (IPv4 as ::ffff:a.b.c.d), not its text; see conn_peer(). */
	unsigned char peer[16];

	uint16_t out_head;	/* the outbound queue's oldest frame */
	uint16_t out_cap;	/* its slots, at most CONN_OUTQ_MAX_FRAMES */

	bool peer_known : 1;	/* false: the transport gave no address */

	bool is_admin : 1;
	bool synced : 1;	/* sent live events (it said "sync") */
	bool watched : 1;	/* its person's bus topic counts it */
	bool away : 1;		/* the client said its person is away */
	bool pinged : 1;	/* a ping went out since last_rx_ms */
	bool ping_due : 1;	/* the transport should send a ping */
	bool session_read : 1;	/* the session sweep read its session */
};

/* Limits of the outbound queue, past which a consumer is cut off; the
 * bytes are the server's --max-outq-bytes. */
#define CONN_OUTQ_MAX_FRAMES 4096
_Static_assert(CONN_OUTQ_MAX_FRAMES <= UINT16_MAX,
	       "struct conn counts its queue's slots in 16 bits");

/* The most bytes of a close reason that fit in a close frame (RFC 6455:
 * 125 bytes of payload, two of them the code). */
#define CONN_CLOSE_REASON_MAX 123

/*
 * Refusals past the rate a connection may pile up, in seconds of its rate
 * (refilled at the rate): a client ten times over the rate for ten
 * seconds runs out, and is closed with CONN_CLOSE_POLICY.
 */
#define CONN_ABUSE_SECONDS 80

/*
 * A new connection registered with srv, or NULL when out of memory.  wake
 * is called (with wake_arg) whenever the conn has something to send.
 * Free with conn_free().
 */
struct conn *conn_new(struct server *srv, const char *peer,
		      void (*wake)(void *arg), void *wake_arg);

/* Unregisters and frees the conn and every frame it still holds.  NULL ok. */
void conn_free(struct conn *c);

/*
 * Feeds the next piece of an inbound WebSocket message; final marks its
 * last piece, and binary is true for a binary message.  A complete
 * message is dispatched at once.  Returns 0 to keep going, or a close
 * code (enum conn_close) when the peer must be cut off: binary data, a
 * message over the limit (never buffering past it), or text that is not
 * UTF-8.
 */
int conn_receive(struct conn *c, const void *in, size_t len, bool final,
		 bool binary);

/*
 * Queues a frame for sending, taking a new reference to it.  When the
 * queue is past its limits the frame is not queued, the conn is set to
 * close with CONN_CLOSE_SLOW and RUCHE_EBUSY is returned.  Frames queued
 * after a close was requested are dropped silently.
 */
int conn_send(struct conn *c, struct frame *f);

/* The oldest queued frame (borrowed), or NULL when the queue is empty. */
struct frame *conn_peek(struct conn *c);

/* Drops the oldest queued frame after the transport has written it. */
void conn_pop(struct conn *c);

/*
 * Asks for the connection to close with code and reason once what is
 * queued has gone out.  The first request wins.  reason must outlive the
 * conn (a string literal), and the transport sends at most
 * CONN_CLOSE_REASON_MAX bytes of it.
 */
void conn_close(struct conn *c, int code, const char *reason);

/*
 * The time the connection limits run on, in monotonic ms: the server's
 * clock, except under --fake-clock, whose time stands still for the
 * protocol's sake; a bucket that never refilled would refuse a test's
 * requests for good.
 */
int64_t conn_now_ms(const struct conn *c);

/*
 * Counts one request against the connection's rate.  0 when it may go
 * on; else RUCHE_ERATE with *retry_ms the wait before a request would
 * pass, and, when the client keeps far over the rate, the connection is
 * also set to close with CONN_CLOSE_POLICY.
 */
int conn_rate_take(struct conn *c, int64_t *retry_ms);

/* The peer answered a ping: it is alive. */
void conn_pong(struct conn *c);

/*
 * Checks the connection's timeouts at now_ms (conn_now_ms() time): closes
 * it with CONN_CLOSE_TIMEOUT when it has not logged in within the auth
 * timeout, or has been silent for the idle timeout; half-way through the
 * silence, sets ping_due and wakes the transport, so a live client can
 * prove it is there.  The transport calls it about every second.
 */
void conn_tick(struct conn *c, int64_t now_ms);

/* Open connections from peer (an address), for --max-conns-per-ip. */
size_t conn_count_peer(const struct server *srv, const char *peer);

/* The remote address of c as text ("?" when unknown), in buf. */
#define CONN_PEER_TEXT 46	/* INET6_ADDRSTRLEN */
const char *conn_peer(const struct conn *c, char buf[CONN_PEER_TEXT]);

#endif
