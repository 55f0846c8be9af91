/* server.c - the server object: connections, shutdown and health. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruche/frame.h"
#include "ruche/log.h"
#include "ruche/proto.h"

#include "ruche/chat.h"
#include "ruche/cluster.h"
#include "ruche/conn.h"
#include "ruche/err.h"
#include "ruche/meetups.h"
#include "ruche/schedule.h"
#include "ruche/moderation.h"
#include "ruche/pairing.h"
#include "ruche/ratelimit.h"
#include "ruche/server.h"
#include "ruche/store.h"

/*
 * One hive's audience.  A slot, once given to a hive, keeps it and the
 * capacity of its array for the life of the server: hives are few, and
 * a conn that leaves can then always be put back without allocating,
 * which is what lets conn_subscribe() undo a half-done change.
 */
struct hive_subs {
	int64_t hive_id;	/* 0: a free slot */
	struct conn **conns;	/* owned: n used of cap */
	size_t n, cap;
};

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
	metrics_init(&srv->metrics);
	return 0;
}

void server_release(struct server *srv)
{
	server_flush(srv);
	while (srv->conns)
		conn_free(srv->conns);
	for (size_t i = 0; i < srv->subs_cap; i++)
		free(srv->subs[i].conns);
	free(srv->subs);
	srv->subs = NULL;
	srv->nsubs = srv->subs_cap = 0;
	free(srv->outbox);
	srv->outbox = NULL;
	ratelimit_free(srv->login_limit);
	srv->login_limit = NULL;
	json_decref(srv->err_detail);
	srv->err_detail = NULL;
	free(srv->reply_text);
	srv->reply_text = NULL;
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
	bool all = store_changed_elsewhere(srv->store) ||
		   srv->sessions_expire_at <= now;
	int64_t soonest = all ? INT64_MAX : srv->sessions_expire_at;

	for (struct conn *c = srv->conns; c; c = c->next) {
		struct store_session s;
		int rc;

		if (!c->session_id || c->close_code ||
		    (c->session_read && !all))
			continue;
		rc = store_session_get(srv->store, c->session_id, &s);
		/* A store that failed to answer is asked again next time. */
		c->session_read = !rc || rc == RUCHE_ENOTFOUND;
		if (rc == RUCHE_ENOTFOUND || (!rc && s.expires_at &&
					      s.expires_at <= now))
			conn_close(c, CONN_CLOSE_SESSION_ENDED, "session ended");
		else if (!rc && s.expires_at && s.expires_at < soonest)
			soonest = s.expires_at;
	}
	srv->sessions_expire_at = soonest;
}

#define PRUNE_EVERY_MS (3600 * 1000)

void server_housekeeping(struct server *srv)
{
	int64_t now = clock_mono_ms(srv->clock);
	bool runner;

	server_sweep_sessions(srv);
	/* The rest is the database's, done by one node of a cluster. */
	runner = cluster_runner(srv);
	cluster_housekeeping(srv, runner);
	if (!runner)
		return;
	if (!srv->last_prune_mono || now - srv->last_prune_mono >=
				     PRUNE_EVERY_MS) {
		srv->last_prune_mono = now ? now : 1;
		chat_prune_events(srv);
	}
	mod_housekeeping(srv, false);	/* mutes that end, retention */
	meetups_housekeeping(srv);	/* reminders, meetups' steps */
	schedule_housekeeping(srv);	/* scheduled posts, reminders */
	pairing_housekeeping(srv);	/* peer pairing rounds */
	/* New messages into the search index, a batch at a time. */
	if (store_search_index(srv->store))
		log_warn("messages could not be indexed for search yet");
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
	/* A read-only database refuses even to open a write transaction:
	 * the turn goes on without one, so that reads keep working and
	 * each write fails on its own, with storage_read_only. */
	if (rc == RUCHE_EROFS)
		rc = 0;
	return rc;
}

int server_begin(struct server *srv)
{
	int rc;

	if (srv->ntx == SERVER_MAX_NESTING)
		return RUCHE_EINVAL;
	rc = store_begin(srv->store);
	if (!rc)
		srv->tx_marks[srv->ntx++] = srv->nout;
	return rc;
}

int server_end(struct server *srv, int rc)
{
	size_t mark;

	rc = store_end(srv->store, rc);
	if (!srv->ntx)
		return rc;
	mark = srv->tx_marks[--srv->ntx];
	if (!rc)
		return rc;
	/* Undone: what the body queued goes too. */
	for (size_t i = mark; i < srv->nout; i++) {
		frame_unref(srv->outbox[i].frame);
		json_decref(srv->outbox[i].req_id);
	}
	if (mark < srv->nout)
		srv->nout = mark;
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

/* The slot of hive_id, or the free slot where it would go. */
static size_t subs_slot(const struct hive_subs *t, size_t cap,
			int64_t hive_id)
{
	size_t mask = cap - 1;
	size_t i = (size_t)(((uint64_t)hive_id * 0x9E3779B97F4A7C15ull) >>
			    32) & mask;

	while (t[i].hive_id && t[i].hive_id != hive_id)
		i = (i + 1) & mask;
	return i;
}

static struct hive_subs *subs_find(const struct server *srv, int64_t hive_id)
{
	struct hive_subs *s;

	if (!srv->subs_cap || hive_id <= 0)
		return NULL;
	s = &srv->subs[subs_slot(srv->subs, srv->subs_cap, hive_id)];
	return s->hive_id ? s : NULL;
}

/* The slot of hive_id, made if needed; NULL when out of memory. */
static struct hive_subs *subs_get(struct server *srv, int64_t hive_id)
{
	struct hive_subs *s = subs_find(srv, hive_id);

	if (s)
		return s;
	/* Kept at most half full, so that probes stay short. */
	if ((srv->nsubs + 1) * 2 > srv->subs_cap) {
		size_t cap = srv->subs_cap ? srv->subs_cap * 2 : 64;
		struct hive_subs *t = calloc(cap, sizeof(*t));

		if (!t)
			return NULL;
		for (size_t i = 0; i < srv->subs_cap; i++)
			if (srv->subs[i].hive_id)
				t[subs_slot(t, cap, srv->subs[i].hive_id)] =
					srv->subs[i];
		free(srv->subs);
		srv->subs = t;
		srv->subs_cap = cap;
	}
	s = &srv->subs[subs_slot(srv->subs, srv->subs_cap, hive_id)];
	s->hive_id = hive_id;
	srv->nsubs++;
	return s;
}

/* Adds c to a hive's audience, once.  0 or RUCHE_ENOMEM. */
static int subs_add(struct server *srv, int64_t hive_id, struct conn *c)
{
	struct hive_subs *s;

	if (hive_id <= 0)
		return 0;	/* never the target of a hive event */
	s = subs_get(srv, hive_id);
	if (!s)
		return RUCHE_ENOMEM;
	for (size_t i = 0; i < s->n; i++)
		if (s->conns[i] == c)
			return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct conn **p = realloc(s->conns, cap * sizeof(*p));

		if (!p)
			return RUCHE_ENOMEM;
		s->conns = p;
		s->cap = cap;
	}
	s->conns[s->n++] = c;
	cluster_watch(srv, 'h', hive_id, true);
	return 0;
}

static void subs_del(struct server *srv, int64_t hive_id, struct conn *c)
{
	struct hive_subs *s = subs_find(srv, hive_id);

	for (size_t i = 0; s && i < s->n; i++)
		if (s->conns[i] == c) {
			s->conns[i] = s->conns[--s->n];
			cluster_watch(srv, 'h', hive_id, false);
			return;
		}
}

struct conn *const *server_hive_conns(const struct server *srv,
				      int64_t hive_id, size_t *n)
{
	struct hive_subs *s = subs_find(srv, hive_id);

	*n = s ? s->n : 0;
	return *n ? s->conns : NULL;
}

/* Forgets c's list of hives, freeing it unless it is the one in place. */
static void hives_drop(struct conn *c)
{
	if (c->hives != &c->hive_one)
		free(c->hives);
	c->hives = NULL;
	c->nhives = 0;
}

/*
 * Room for n hives, to become c's list: the place in c for one when the
 * current list does not use it, else a new array (NULL when out of
 * memory).  Nothing is written to it yet, so the current list still is
 * what it was.
 */
static int64_t *hives_room(struct conn *c, size_t n)
{
	if (n <= 1 && (c->hives != &c->hive_one || !c->nhives))
		return &c->hive_one;
	return malloc(n * sizeof(int64_t));
}

void server_unsubscribe(struct server *srv, struct conn *c)
{
	if (c->watched) {
		cluster_watch(srv, 'u', c->user_id, false);
		c->watched = false;
	}
	for (size_t i = 0; i < c->nhives; i++)
		subs_del(srv, c->hives[i], c);
	hives_drop(c);
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
	if (!conn_send(c, f))
		metrics_delivered(&c->srv->metrics, 1);
}

/*
 * Whether e goes to c: members are a direct channel's (n of them), and for
 * a hive's event c is one of the hive's audience.
 */
static bool event_for(const struct conn *c, const struct outbox_entry *e,
		      const int64_t *members, size_t n)
{
	bool to = false;

	/* Hive and conversation events start with sync; notices to one
	 * person (hive.removed, mention, read) reach every connection they
	 * have logged in. */
	if (!c->user_id ||
	    (!c->synced && (e->pos || e->hive_id || e->channel_id)))
		return false;
	if (e->user_id < 0 && c->user_id == -e->user_id)
		return false;	/* left out, e.g. the typist */
	if (e->hive_id)
		to = true;
	else if (e->channel_id)
		for (size_t i = 0; i < n && !to; i++)
			to = members[i] == c->user_id;
	else
		to = c->user_id == e->user_id;
	return to;
}

static void deliver_event(struct server *srv, const struct outbox_entry *e)
{
	int64_t *members = NULL;
	size_t n = 0;

	/* A hive's event goes to its audience only: the index holds every
	 * conn that could take it, and event_for() still decides. */
	if (e->hive_id) {
		struct hive_subs *s = subs_find(srv, e->hive_id);

		for (size_t i = 0; s && i < s->n; i++)
			if (event_for(s->conns[i], e, NULL, 0))
				deliver(s->conns[i], e->pos, e->frame);
		return;
	}
	if (e->channel_id &&
	    store_direct_members(srv->store, e->channel_id, &members, &n))
		return;
	for (struct conn *c = srv->conns; c; c = c->next)
		if (event_for(c, e, members, n))
			deliver(c, e->pos, e->frame);
	free(members);
}

void server_reply(struct server *srv, struct conn *c, struct frame *f,
		  void *req_id)
{
	struct outbox_entry e = { .conn = c, .frame = f, .req_id = req_id,
				  .clean = !store_dirty(srv->store) };

	if (!srv->turn_open || outbox_add(srv, &e))
		conn_send(c, f);
}

void server_publish(struct server *srv, int64_t hive_id, int64_t channel_id,
		    int64_t user_id, int64_t pos, struct frame *f)
{
	struct outbox_entry e = { .frame = f, .hive_id = hive_id,
				  .channel_id = channel_id,
				  .user_id = user_id, .pos = pos };

	/* A node of a cluster delivers stored events as it reads them back,
	 * in the order of every node's commits (cluster.h): here it only
	 * notes whose bell to ring. */
	if (srv->cluster && pos) {
		cluster_event(srv, &e);
		cluster_catch_up(srv);	/* at once, outside a turn */
		return;
	}
	if (!srv->turn_open || outbox_add(srv, &e)) {
		deliver_event(srv, &e);
		cluster_event(srv, &e);
	}
}

void server_deliver(struct server *srv, int64_t hive_id, int64_t channel_id,
		    int64_t user_id, int64_t pos, struct frame *f)
{
	struct outbox_entry e = { .frame = f, .hive_id = hive_id,
				  .channel_id = channel_id,
				  .user_id = user_id, .pos = pos };

	deliver_event(srv, &e);
}

int server_emit_text(struct server *srv, int64_t hive_id, int64_t channel_id,
		     const char *kind, const char *text, size_t len)
{
	char head[96];
	struct frame *f;
	int64_t pos;
	int rc, n;

	rc = store_event_insert(srv->store, hive_id, channel_id, kind, text,
				clock_wall_ms(srv->clock), &pos);
	if (rc)
		return rc;
	/* The stored text goes into the frame as it is: encoded once. */
	n = snprintf(head, sizeof(head), "{\"ev\":\"%s\",\"pos\":%lld,"
		     "\"data\":", kind, (long long)pos);
	f = n > 0 && (size_t)n < sizeof(head) ?
	    frame_new((size_t)n + len + 1) : NULL;
	if (!f)
		return RUCHE_ENOMEM;
	memcpy(frame_payload(f), head, (size_t)n);
	memcpy(frame_payload(f) + n, text, len);
	frame_payload(f)[(size_t)n + len] = '}';
	server_publish(srv, hive_id, channel_id, 0, pos, f);
	frame_unref(f);
	return 0;
}

int server_emit(struct server *srv, int64_t hive_id, int64_t channel_id,
		const char *kind, json_t *data)
{
	char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
	int rc;

	json_decref(data);
	if (!text)
		return RUCHE_ENOMEM;
	rc = server_emit_text(srv, hive_id, channel_id, kind, text,
			      strlen(text));
	free(text);
	return rc;
}

int server_flush(struct server *srv)
{
	uint64_t t0;
	size_t replies = 0;
	int rc = 0;

	if (!srv->turn_open)
		return 0;
	srv->turn_open = false;
	t0 = metrics_now_ns();
	rc = store_commit(srv->store);
	for (size_t i = 0; i < srv->nout; i++)
		replies += srv->outbox[i].req_id != NULL;
	metrics_commit(&srv->metrics, replies, metrics_now_ns() - t0, !rc);
	if (rc) {
		log_error("grouped commit failed: %s; %zu replies and "
			  "events of the turn held back", ruche_strerror(rc),
			  srv->nout);
		store_rollback(srv->store);
	}
	for (size_t i = 0; i < srv->nout; i++) {
		struct outbox_entry *e = &srv->outbox[i];

		if (e->close_code) {
			continue;	/* after everything else, below */
		} else if (!rc && !e->conn) {
			deliver_event(srv, e);
			cluster_event(srv, e);
		} else if (e->conn && e->req_id && rc && e->clean) {
			/* It read only what was committed before the turn:
			 * true still.  Reads go on when writes cannot. */
			conn_send(e->conn, e->frame);
		} else if (e->conn && e->req_id && rc) {
			struct frame *err;

			/* storage_full or storage_read_only tell the client
			 * to wait, not that the server is broken. */
			metrics_error(&srv->metrics, ruche_err_code(rc));
			err = proto_reply_error(
				e->req_id, ruche_err_code(rc),
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
	cluster_catch_up(srv);
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

/* How this node's own connections show a person. */
static enum store_presence local_presence(struct server *srv, int64_t user_id)
{
	enum store_presence status = STORE_PRESENCE_OFFLINE;

	for (struct conn *c = srv->conns; c; c = c->next) {
		if (c->user_id != user_id || !c->synced)
			continue;
		if (!c->away)
			return STORE_PRESENCE_ONLINE;
		status = STORE_PRESENCE_AWAY;
	}
	return status;
}

static const char *const presence_names[] = { "offline", "away", "online" };

const char *server_presence(struct server *srv, int64_t user_id)
{
	/* A cluster's nodes each say how they see the person: the best. */
	return presence_names[srv->cluster ?
			      cluster_presence(srv, user_id) :
			      local_presence(srv, user_id)];
}

void server_presence_publish(struct server *srv, int64_t user_id,
			     const char *status)
{
	struct store_hive *hives;
	size_t n;

	if (store_hive_list(srv->store, user_id, &hives, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		struct frame *f = proto_event("presence", -1, json_pack(
			"{s:I, s:s}", "user_id", (json_int_t)user_id,
			"status", status));

		if (f) {
			server_publish(srv, hives[i].id, 0, 0, 0, f);
			frame_unref(f);
		}
	}
	free(hives);
}

void server_presence_update(struct server *srv, struct conn *c,
			    void (*fn)(struct conn *c, void *arg), void *arg)
{
	int64_t user = c->user_id;
	const char *before = user ? server_presence(srv, user) : NULL;
	const char *after;

	fn(c, arg);
	/* A node shutting down tells nobody of its own closing connections,
	 * but a cluster's other nodes must hear who is gone. */
	if (!user || (srv->stopping && !srv->cluster))
		return;
	if (srv->cluster)
		cluster_presence_put(srv, user, local_presence(srv, user));
	after = server_presence(srv, user);
	if (strcmp(before, after))
		server_presence_publish(srv, user, after);
}

int conn_subscribe(struct conn *c, const int64_t *hives, size_t n)
{
	/* The place in c may hold the old list: it is written only once
	 * the old list is no longer needed. */
	int64_t *copy = n > 1 ? malloc(n * sizeof(*copy)) :
			n ? &c->hive_one : NULL;
	size_t added = 0;

	if (n && !copy)
		return RUCHE_ENOMEM;
	for (size_t i = 0; i < c->nhives; i++)
		subs_del(c->srv, c->hives[i], c);
	while (added < n && !subs_add(c->srv, hives[added], c))
		added++;
	if (added < n) {
		/* Back to the old audience: its slots kept their room. */
		for (size_t i = 0; i < added; i++)
			subs_del(c->srv, hives[i], c);
		for (size_t i = 0; i < c->nhives; i++)
			subs_add(c->srv, c->hives[i], c);
		if (copy != &c->hive_one)
			free(copy);
		return RUCHE_ENOMEM;
	}
	if (n)
		memcpy(copy, hives, n * sizeof(*copy));
	if (c->hives != copy)
		hives_drop(c);
	c->hives = copy;
	c->nhives = (uint32_t)n;
	c->synced = true;
	if (!c->watched) {
		cluster_watch(c->srv, 'u', c->user_id, true);
		c->watched = true;
	}
	return 0;
}

void server_user_joined(struct server *srv, int64_t user_id, int64_t hive_id)
{
	for (struct conn *c = srv->conns; c; c = c->next) {
		int64_t *p;
		uint32_t n;

		if (c->user_id != user_id || !c->synced ||
		    conn_in_hive(c, hive_id))
			continue;
		p = hives_room(c, c->nhives + 1);
		if (!p)
			continue;
		if (subs_add(srv, hive_id, c)) {
			if (p != &c->hive_one)
				free(p);
			continue;
		}
		if (c->nhives)
			memcpy(p, c->hives, c->nhives * sizeof(*p));
		p[c->nhives] = hive_id;
		n = c->nhives + 1;
		hives_drop(c);
		c->hives = p;
		c->nhives = n;
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
		subs_del(srv, hive_id, c);
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
