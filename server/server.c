/* server.c - the server object: connections, shutdown and health. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruche/frame.h"
#include "ruche/log.h"
#include "ruche/proto.h"

#include "ruche/chat.h"
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
	server_flush(srv);
	while (srv->conns)
		conn_free(srv->conns);
	free(srv->outbox);
	srv->outbox = NULL;
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

static int outbox_add(struct server *srv, const struct outbox_entry *e);

/* Closes c for an ended session, after the turn's commit if one is open. */
static void close_ended(struct server *srv, struct conn *c)
{
	struct outbox_entry e = { .conn = c,
				  .close_code = CONN_CLOSE_SESSION_ENDED };

	if (!srv->turn_open || outbox_add(srv, &e))
		conn_close(c, CONN_CLOSE_SESSION_ENDED, "session ended");
}

void server_close_session(struct server *srv, int64_t session_id)
{
	for (struct conn *c = srv->conns; c; c = c->next)
		if (c->session_id == session_id)
			close_ended(srv, c);
}

void server_close_user(struct server *srv, int64_t user_id,
		       int64_t keep_session)
{
	for (struct conn *c = srv->conns; c; c = c->next)
		if (c->user_id == user_id && c->session_id != keep_session)
			close_ended(srv, c);
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

#define PRUNE_EVERY_MS (3600 * 1000)

void server_housekeeping(struct server *srv)
{
	int64_t now = clock_mono_ms(srv->clock);

	server_sweep_sessions(srv);
	if (!srv->last_prune_mono || now - srv->last_prune_mono >=
				     PRUNE_EVERY_MS) {
		srv->last_prune_mono = now ? now : 1;
		chat_prune_events(srv);
	}
}

void server_send_user(struct server *srv, int64_t user_id, struct frame *f)
{
	server_publish(srv, 0, 0, user_id, 0, f);
}

int server_turn_begin(struct server *srv)
{
	int rc;

	if (srv->turn_open || !srv->store)
		return 0;
	rc = store_begin(srv->store);
	if (!rc)
		srv->turn_open = true;
	return rc;
}

static int outbox_add(struct server *srv, const struct outbox_entry *e)
{
	if (srv->nout == srv->out_cap) {
		size_t cap = srv->out_cap ? srv->out_cap * 2 : 64;
		struct outbox_entry *p = realloc(srv->outbox, cap * sizeof(*p));

		if (!p)
			return RUCHE_ENOMEM;
		srv->outbox = p;
		srv->out_cap = cap;
	}
	srv->outbox[srv->nout] = *e;
	if (e->frame)
		frame_ref(e->frame);
	json_incref(e->req_id);
	srv->nout++;
	return 0;
}

static bool conn_in_hive(const struct conn *c, int64_t hive_id)
{
	for (size_t i = 0; i < c->nhives; i++)
		if (c->hives[i] == hive_id)
			return true;
	return false;
}

/* Sends an event to one conn, at most once per position. */
static void deliver(struct conn *c, int64_t pos, struct frame *f)
{
	if (pos) {
		if (pos <= c->last_pos)
			return;
		c->last_pos = pos;
	}
	conn_send(c, f);
}

static void deliver_event(struct server *srv, const struct outbox_entry *e)
{
	int64_t *members = NULL;
	size_t n = 0;

	if (e->channel_id &&
	    store_direct_members(srv->store, e->channel_id, &members, &n))
		return;
	for (struct conn *c = srv->conns; c; c = c->next) {
		bool to = false;

		/* Hive and conversation events start with sync; notices to
		 * one person (hive.removed, mention, read) reach every
		 * connection they have logged in. */
		if (!c->user_id ||
		    (!c->synced && (e->pos || e->hive_id || e->channel_id)))
			continue;
		if (e->user_id < 0 && c->user_id == -e->user_id)
			continue;	/* left out, e.g. the typist */
		if (e->hive_id)
			to = conn_in_hive(c, e->hive_id);
		else if (e->channel_id)
			for (size_t i = 0; i < n && !to; i++)
				to = members[i] == c->user_id;
		else
			to = c->user_id == e->user_id;
		if (to)
			deliver(c, e->pos, e->frame);
	}
	free(members);
}

void server_reply(struct server *srv, struct conn *c, struct frame *f,
		  void *req_id)
{
	struct outbox_entry e = { .conn = c, .frame = f, .req_id = req_id };

	if (!srv->turn_open || outbox_add(srv, &e))
		conn_send(c, f);
}

void server_publish(struct server *srv, int64_t hive_id, int64_t channel_id,
		    int64_t user_id, int64_t pos, struct frame *f)
{
	struct outbox_entry e = { .frame = f, .hive_id = hive_id,
				  .channel_id = channel_id,
				  .user_id = user_id, .pos = pos };

	if (!srv->turn_open || outbox_add(srv, &e))
		deliver_event(srv, &e);
}

int server_emit(struct server *srv, int64_t hive_id, int64_t channel_id,
		const char *kind, json_t *data)
{
	char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
	struct frame *f;
	int64_t pos;
	int rc, n;

	json_decref(data);
	if (!text)
		return RUCHE_ENOMEM;
	rc = store_event_insert(srv->store, hive_id, channel_id, kind, text,
				clock_wall_ms(srv->clock), &pos);
	if (rc) {
		free(text);
		return rc;
	}
	n = snprintf(NULL, 0, "{\"ev\":\"%s\",\"pos\":%lld,\"data\":%s}",
		     kind, (long long)pos, text);
	f = frame_new((size_t)n);
	if (f) {
		snprintf((char *)frame_payload(f), (size_t)n + 1,
			 "{\"ev\":\"%s\",\"pos\":%lld,\"data\":%s}", kind,
			 (long long)pos, text);
		server_publish(srv, hive_id, channel_id, 0, pos, f);
		frame_unref(f);
	}
	free(text);
	return f ? 0 : RUCHE_ENOMEM;
}

int server_flush(struct server *srv)
{
	int rc = 0;

	if (!srv->turn_open)
		return 0;
	srv->turn_open = false;
	rc = store_commit(srv->store);
	if (rc) {
		log_error("grouped commit failed: %s; %zu replies refused",
			  ruche_strerror(rc), srv->nout);
		store_rollback(srv->store);
	}
	for (size_t i = 0; i < srv->nout; i++) {
		struct outbox_entry *e = &srv->outbox[i];

		if (e->close_code) {
			continue;	/* after everything else, below */
		} else if (!rc && !e->conn) {
			deliver_event(srv, e);
		} else if (e->conn && e->req_id && rc) {
			struct frame *err = proto_reply_error(
				e->req_id, "internal",
				"the change could not be stored");

			if (err) {
				conn_send(e->conn, err);
				frame_unref(err);
			}
		} else if (e->conn && !rc) {
			conn_send(e->conn, e->frame);
		}
	}
	/* Closes last: a connection closed for an ended session still gets
	 * the replies and events of the turn, the reply to account.delete
	 * among them.  A close for a change that was not stored is void. */
	for (size_t i = 0; i < srv->nout; i++) {
		struct outbox_entry *e = &srv->outbox[i];

		if (e->close_code && e->conn && !rc)
			conn_close(e->conn, e->close_code, "session ended");
		frame_unref(e->frame);
		json_decref(e->req_id);
	}
	srv->nout = 0;
	return rc;
}

void server_forget_conn(struct server *srv, struct conn *c)
{
	for (size_t i = 0; i < srv->nout; i++)
		if (srv->outbox[i].conn == c) {
			srv->outbox[i].conn = NULL;
			/* Neither a reply nor an event any more: skip it. */
			srv->outbox[i].hive_id = srv->outbox[i].channel_id = 0;
			srv->outbox[i].user_id = 0;
		}
}

const char *server_presence(struct server *srv, int64_t user_id)
{
	const char *status = "offline";

	for (struct conn *c = srv->conns; c; c = c->next) {
		if (c->user_id != user_id || !c->synced)
			continue;
		if (!c->away)
			return "online";
		status = "away";
	}
	return status;
}

void server_presence_update(struct server *srv, struct conn *c,
			    void (*fn)(struct conn *c, void *arg), void *arg)
{
	int64_t user = c->user_id;
	const char *before = user ? server_presence(srv, user) : NULL;
	const char *after;
	struct store_hive *hives;
	size_t n;

	fn(c, arg);
	if (!user || srv->stopping)
		return;
	after = server_presence(srv, user);
	if (strcmp(before, after) == 0 ||
	    store_hive_list(srv->store, user, &hives, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		struct frame *f = proto_event("presence", -1, json_pack(
			"{s:I, s:s}", "user_id", (json_int_t)user, "status",
			after));

		if (f) {
			server_publish(srv, hives[i].id, 0, 0, 0, f);
			frame_unref(f);
		}
	}
	free(hives);
}

int conn_subscribe(struct conn *c, const int64_t *hives, size_t n)
{
	int64_t *copy = n ? malloc(n * sizeof(*copy)) : NULL;

	if (n && !copy)
		return RUCHE_ENOMEM;
	if (n)
		memcpy(copy, hives, n * sizeof(*copy));
	free(c->hives);
	c->hives = copy;
	c->nhives = n;
	c->synced = true;
	return 0;
}

void server_user_joined(struct server *srv, int64_t user_id, int64_t hive_id)
{
	for (struct conn *c = srv->conns; c; c = c->next) {
		int64_t *p;

		if (c->user_id != user_id || !c->synced ||
		    conn_in_hive(c, hive_id))
			continue;
		p = realloc(c->hives, (c->nhives + 1) * sizeof(*p));
		if (!p)
			continue;
		p[c->nhives++] = hive_id;
		c->hives = p;
	}
}

void server_user_left(struct server *srv, int64_t user_id, int64_t hive_id)
{
	for (struct conn *c = srv->conns; c; c = c->next) {
		if (c->user_id != user_id)
			continue;
		for (size_t i = 0; i < c->nhives; i++)
			if (c->hives[i] == hive_id)
				c->hives[i--] = c->hives[--c->nhives];
	}
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
