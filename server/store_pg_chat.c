/*
 * store_pg_chat.c - PostgreSQL: channels, messages, reactions, read markers, the event log and search.
 *
 * Part of the PostgreSQL backend of store.h (store_pg.h says how its
 * files run statements); answers as store_sqlite.c does.  Search and the
 * positions of events rest on migration postgres/0002_search.sql.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruche/err.h"
#include "store_pg.h"

#define CHAN_COLS \
	"id, coalesce(hive_id, 0), kind, coalesce(name, ''), topic, " \
	"position, created_at, coalesce(archived_at, 0), slow_mode_s, locked"
#define MSG_COLS \
	"id, channel_id, author_id, body, coalesce(reply_to, 0), " \
	"coalesce(thread_id, 0), coalesce(nonce, ''), created_at, " \
	"coalesce(edited_at, 0), coalesce(deleted_at, 0), reply_count, " \
	"coalesce(last_reply_at, 0)"

/* The channels a user ($1) can read: their hives', their conversations. */
#define SEARCH_CHANNELS \
	"SELECT id FROM channels WHERE hive_id IN " \
	"(SELECT hive_id FROM memberships WHERE user_id = $1) " \
	"UNION ALL SELECT channel_id FROM channel_members WHERE user_id = $1"

/*
 * Inserts that SQLite refuses with a unique violation (RUCHE_EEXIST) do
 * nothing here on a conflict, and return no row: the same answer without
 * aborting the transaction.
 */
static struct pg_sql q_chan_insert = PG_SQL(
	"INSERT INTO channels(hive_id, kind, name, topic, position, "
	"created_at) VALUES ($1, $2, $3, $4, $5, $6) "
	"ON CONFLICT DO NOTHING RETURNING id");
static struct pg_sql q_chan_get = PG_SQL(
	"SELECT " CHAN_COLS " FROM channels WHERE id = $1");
static struct pg_sql q_chan_list = PG_SQL(
	"SELECT " CHAN_COLS " FROM channels WHERE hive_id = $1 "
	"ORDER BY position, id");
/* A new name may be taken (RUCHE_EEXIST). */
static struct pg_sql q_chan_update = PG_SQL_CONFLICT(
	"UPDATE channels SET name = $2, topic = $3, position = $4 "
	"WHERE id = $1");
static struct pg_sql q_chan_archive = PG_SQL(
	"UPDATE channels SET archived_at = $2 WHERE id = $1 "
	"AND archived_at IS NULL");
static struct pg_sql q_chan_next_pos = PG_SQL(
	"SELECT coalesce(max(position), -1) + 1 FROM channels "
	"WHERE hive_id = $1");
static struct pg_sql q_direct_add = PG_SQL(
	"INSERT INTO channel_members(channel_id, user_id) VALUES ($1, $2) "
	"ON CONFLICT DO NOTHING");
static struct pg_sql q_direct_members = PG_SQL(
	"SELECT user_id FROM channel_members WHERE channel_id = $1 "
	"ORDER BY user_id");
/* SQLite's GROUP BY walks channel_id in order: the first one wins. */
static struct pg_sql q_direct_find = PG_SQL(
	"SELECT channel_id FROM channel_members GROUP BY channel_id "
	"HAVING count(*) = $2::bigint AND "
	"count(*) FILTER (WHERE user_id = ANY ($1::bigint[])) = $2::bigint "
	"ORDER BY channel_id LIMIT 1");
static struct pg_sql q_direct_list = PG_SQL(
	"SELECT " CHAN_COLS " FROM channels WHERE id IN "
	"(SELECT channel_id FROM channel_members WHERE user_id = $1) "
	"ORDER BY id");

static struct pg_sql q_msg_insert = PG_SQL(
	"INSERT INTO messages(channel_id, author_id, body, reply_to, "
	"thread_id, nonce, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
	"ON CONFLICT DO NOTHING RETURNING id");
static struct pg_sql q_msg_get = PG_SQL(
	"SELECT " MSG_COLS " FROM messages WHERE id = $1");
static struct pg_sql q_msg_by_nonce = PG_SQL(
	"SELECT " MSG_COLS " FROM messages WHERE author_id = $1 "
	"AND nonce = $2");
static struct pg_sql q_msg_edit = PG_SQL(
	"UPDATE messages SET body = $2, edited_at = $3 WHERE id = $1 "
	"AND deleted_at IS NULL");
static struct pg_sql q_msg_tombstone = PG_SQL(
	"UPDATE messages SET body = '', deleted_at = $2 WHERE id = $1 "
	"AND deleted_at IS NULL");
static struct pg_sql q_msg_thread_bump = PG_SQL(
	"UPDATE messages SET reply_count = reply_count + 1, "
	"last_reply_at = $2 WHERE id = $1");
static struct pg_sql q_msg_before = PG_SQL(
	"SELECT " MSG_COLS " FROM messages WHERE channel_id = $1 "
	"AND thread_id IS NULL AND id < $2 ORDER BY id DESC LIMIT $3");
static struct pg_sql q_msg_after = PG_SQL(
	"SELECT " MSG_COLS " FROM messages WHERE channel_id = $1 "
	"AND thread_id IS NULL AND id > $2 ORDER BY id LIMIT $3");
static struct pg_sql q_thread_before = PG_SQL(
	"SELECT " MSG_COLS " FROM messages WHERE thread_id = $1 "
	"AND id < $2 ORDER BY id DESC LIMIT $3");
static struct pg_sql q_thread_after = PG_SQL(
	"SELECT " MSG_COLS " FROM messages WHERE thread_id = $1 "
	"AND id > $2 ORDER BY id LIMIT $3");
static struct pg_sql q_msg_by_author = PG_SQL(
	"SELECT " MSG_COLS " FROM messages WHERE author_id = $1 "
	"ORDER BY id");

static struct pg_sql q_react_add = PG_SQL(
	"INSERT INTO reactions(message_id, user_id, emoji, created_at) "
	"VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING");
static struct pg_sql q_react_remove = PG_SQL(
	"DELETE FROM reactions WHERE message_id = $1 AND user_id = $2 "
	"AND emoji = $3");
/* Ties (reactions of the same millisecond) in the order they were made
 * (seq, 0005), as SQLite's rowid gives them. */
static struct pg_sql q_react_counts = PG_SQL(
	"SELECT emoji, count(*), bool_or(user_id = $2) FROM reactions "
	"WHERE message_id = $1 GROUP BY emoji "
	"ORDER BY min(created_at), min(seq)");

static struct pg_sql q_read_set = PG_SQL(
	"INSERT INTO read_markers(user_id, channel_id, message_id) "
	"VALUES ($1, $2, $3) ON CONFLICT (user_id, channel_id) "
	"DO UPDATE SET message_id = "
	"GREATEST(read_markers.message_id, excluded.message_id)");
static struct pg_sql q_read_get = PG_SQL(
	"SELECT message_id FROM read_markers WHERE user_id = $1 "
	"AND channel_id = $2");
static struct pg_sql q_unread = PG_SQL(
	"SELECT count(*) FROM messages WHERE channel_id = $2 "
	"AND thread_id IS NULL AND deleted_at IS NULL AND author_id <> $1 "
	"AND id > coalesce((SELECT message_id FROM read_markers "
	"WHERE user_id = $1 AND channel_id = $2), 0)");
static struct pg_sql q_thread_read_set = PG_SQL(
	"INSERT INTO thread_reads(user_id, thread_id, message_id) "
	"VALUES ($1, $2, $3) ON CONFLICT (user_id, thread_id) "
	"DO UPDATE SET message_id = "
	"GREATEST(thread_reads.message_id, excluded.message_id)");
static struct pg_sql q_thread_read_get = PG_SQL(
	"SELECT message_id FROM thread_reads WHERE user_id = $1 "
	"AND thread_id = $2");
static struct pg_sql q_mention_insert = PG_SQL(
	"INSERT INTO mentions(user_id, message_id, channel_id) "
	"VALUES ($1, $2, $3) ON CONFLICT DO NOTHING");
static struct pg_sql q_unread_mentions = PG_SQL(
	"SELECT count(*) FROM mentions n JOIN messages m "
	"ON m.id = n.message_id WHERE n.user_id = $1 "
	"AND n.channel_id = $2 AND m.deleted_at IS NULL "
	"AND n.message_id > CASE WHEN m.thread_id IS NULL "
	"THEN coalesce((SELECT message_id FROM read_markers "
	"WHERE user_id = $1 AND channel_id = $2), 0) "
	"ELSE coalesce((SELECT message_id FROM thread_reads "
	"WHERE user_id = $1 AND thread_id = m.thread_id), 0) END");

/* The position comes from event_positions (a trigger, 0002). */
static struct pg_sql q_event_insert = PG_SQL(
	"INSERT INTO events(hive_id, channel_id, kind, data, created_at) "
	"VALUES ($1, $2, $3, $4, $5) RETURNING pos");
static struct pg_sql q_events_since = PG_SQL(
	"SELECT pos, kind, data FROM events WHERE pos > $2 AND ("
	"hive_id IN (SELECT hive_id FROM memberships WHERE user_id = $1) "
	"OR channel_id IN (SELECT channel_id FROM channel_members "
	"WHERE user_id = $1) OR user_id = $1) ORDER BY pos LIMIT $3");
static struct pg_sql q_events_after = PG_SQL(
	"SELECT pos, kind, data, coalesce(hive_id, 0), "
	"coalesce(channel_id, 0), coalesce(user_id, 0) FROM events "
	"WHERE pos > $1 ORDER BY pos LIMIT $2");
/* The last position given, as SQLite's sqlite_sequence keeps it. */
static struct pg_sql q_event_last = PG_SQL(
	"SELECT coalesce((SELECT last FROM event_positions), 0)");
static struct pg_sql q_event_first = PG_SQL(
	"SELECT coalesce(min(pos), 0) FROM events");
static struct pg_sql q_event_prune = PG_SQL(
	"DELETE FROM events WHERE created_at < $1 "
	"AND pos < (SELECT max(pos) FROM events)");
/*
 * The data of events is JSON text: rewritten through jsonb, it comes
 * back with jsonb's spacing and key order (the same JSON to a reader).
 */
#define ERASE_TEXT \
	"UPDATE events SET data = jsonb_set(data::jsonb, " \
	"'{message,text}', '\"\"')::text " \
	"WHERE kind IN ('msg.created', 'msg.edited', 'remind') "
static struct pg_sql q_event_erase_msg = PG_SQL(
	ERASE_TEXT "AND data::jsonb #>> '{message,id}' = $1::bigint::text");
static struct pg_sql q_event_erase_author = PG_SQL(
	ERASE_TEXT "AND data::jsonb #>> '{message,author_id}' = "
	"$1::bigint::text");

/*
 * Search, newest first (0002 says how words are found).  The newest
 * `limit` matches the user may read come first, then only their excerpt
 * is made: ts_headline() marks the matched words in at most 16 of the
 * message's around them, as FTS5's snippet() does (one fragment: the
 * cover is widened on both sides); the body comes too, to tell where the
 * excerpt was cut (excerpt_of()).  PostgreSQL's planner picks how to
 * check who may read a match, which SQLite's store_search() chose itself.
 */
static struct pg_sql q_search = PG_SQL(
	"SELECT h.id, h.channel_id, h.author_id, h.created_at, "
	"ts_headline('ruche_search', h.body, h.q, "
	"'StartSel=[, StopSel=], MaxWords=16, MinWords=8, ShortWord=0, "
	"MaxFragments=1'), "
	"coalesce(h.thread_id, 0), h.body "
	"FROM (SELECT m.id, m.channel_id, m.author_id, m.created_at, "
	"m.body, m.thread_id, q.q FROM messages m, "
	"ruche_search_query($2::text[], $4::boolean) AS q(q) "
	"WHERE ruche_search_doc(m.body) @@ q.q AND m.deleted_at IS NULL "
	"AND m.channel_id IN (" SEARCH_CHANNELS ") "
	"ORDER BY m.id DESC LIMIT $3) h ORDER BY h.id DESC");
/* The index is built and in use (a failed CREATE INDEX leaves it not). */
static struct pg_sql q_search_check = PG_SQL(
	"SELECT count(*) FROM pg_index WHERE indisvalid AND indisready "
	"AND indexrelid = to_regclass('messages_search')");

/* ---- Shapes ------------------------------------------------------------ */


/* A query of one number with up to two keys (a NULL b: only a). */
static int one_i64(struct store *st, struct pg_sql *q, int64_t a,
		   const int64_t *b, int64_t *out)
{
	struct pg_args args = { 0 };

	pg_arg_i64(&args, a);
	if (b)
		pg_arg_i64(&args, *b);
	return pg_one(st, q, &args, pg_read_i64, out);
}

static int one_int(struct store *st, struct pg_sql *q, int64_t a, int64_t b,
		   int *n)
{
	int64_t v = 0;
	int rc = one_i64(st, q, a, &b, &v);

	*n = (int)v;
	return rc;
}

/* A statement keyed by a and b, that must change a row when must. */
static int run2(struct store *st, struct pg_sql *q, int64_t a, int64_t b,
		bool must)
{
	struct pg_args args = { 0 };

	pg_arg_i64(&args, a);
	pg_arg_i64(&args, b);
	return pg_run(st, q, &args, must);
}

static int list_by(struct store *st, struct pg_sql *q, int64_t key,
		   size_t size, pg_read_fn *read, void **out, size_t *n)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, key);
	return pg_list(st, q, &a, size, read, out, n);
}

/* ---- Channels ---------------------------------------------------------- */

static void read_channel(const PGresult *r, int row, void *out)
{
	struct store_channel *c = out;

	c->id = pg_i64(r, row, 0);
	c->hive_id = pg_i64(r, row, 1);
	c->kind = store_kind_parse(PQgetvalue(r, row, 2));
	pg_text(r, row, 3, c->name, sizeof(c->name));
	pg_text(r, row, 4, c->topic, sizeof(c->topic));
	c->position = (int)pg_i64(r, row, 5);
	c->created_at = pg_i64(r, row, 6);
	c->archived_at = pg_i64(r, row, 7);
	c->slow_mode_s = (int)pg_i64(r, row, 8);
	c->locked = pg_i64(r, row, 9) != 0;
}

int pgs_channel_insert(struct store *st, struct store_channel *c)
{
	struct pg_args a = { 0 };
	int rc;

	pg_arg_id(&a, c->hive_id);
	pg_arg_text(&a, channel_kind_name(c->kind));
	pg_arg_text(&a, c->kind != CHANNEL_DIRECT ? c->name : NULL);
	pg_arg_text(&a, c->topic);
	pg_arg_i64(&a, c->position);
	pg_arg_i64(&a, c->created_at);
	rc = pg_one(st, &q_chan_insert, &a, pg_read_i64, &c->id);
	return rc == RUCHE_ENOTFOUND ? RUCHE_EEXIST : rc;
}

int pgs_channel_get(struct store *st, int64_t id, struct store_channel *out)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, id);
	return pg_one(st, &q_chan_get, &a, read_channel, out);
}

int pgs_channel_list(struct store *st, int64_t hive_id,
		     struct store_channel **out, size_t *n)
{
	return list_by(st, &q_chan_list, hive_id, sizeof(**out),
		       read_channel, (void **)out, n);
}

int pgs_channel_update(struct store *st, const struct store_channel *c)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, c->id);
	pg_arg_text(&a, c->name);
	pg_arg_text(&a, c->topic);
	pg_arg_i64(&a, c->position);
	return pg_run(st, &q_chan_update, &a, true);
}

int pgs_channel_archive(struct store *st, int64_t id, int64_t now)
{
	return run2(st, &q_chan_archive, id, now, true);
}

int pgs_channel_next_position(struct store *st, int64_t hive_id, int *pos)
{
	int64_t v = 0;
	int rc = one_i64(st, &q_chan_next_pos, hive_id, NULL, &v);

	*pos = (int)v;
	return rc;
}

int pgs_direct_add_member(struct store *st, int64_t channel_id,
			  int64_t user_id)
{
	return run2(st, &q_direct_add, channel_id, user_id, false);
}

int pgs_direct_members(struct store *st, int64_t channel_id, int64_t **ids,
		       size_t *n)
{
	return list_by(st, &q_direct_members, channel_id, sizeof(**ids),
		       pg_read_i64, (void **)ids, n);
}

int pgs_direct_find(struct store *st, const int64_t *user_ids, size_t n,
		    int64_t *channel_id)
{
	struct pg_args a = { 0 };
	char ids[16 * 24 + 4];
	size_t len = 0;

	if (n > 16)
		return RUCHE_EIO;
	ids[len++] = '{';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(ids + len, sizeof(ids) - len,
					"%s%lld", i ? "," : "",
					(long long)user_ids[i]);
	snprintf(ids + len, sizeof(ids) - len, "}");
	pg_arg_text(&a, ids);
	pg_arg_i64(&a, (int64_t)n);
	return pg_one(st, &q_direct_find, &a, pg_read_i64, channel_id);
}

int pgs_direct_list(struct store *st, int64_t user_id,
		    struct store_channel **out, size_t *n)
{
	return list_by(st, &q_direct_list, user_id, sizeof(**out),
		       read_channel, (void **)out, n);
}

/* ---- Messages ---------------------------------------------------------- */

static void read_message(const PGresult *r, int row, void *out)
{
	struct store_message *m = out;

	m->id = pg_i64(r, row, 0);
	m->channel_id = pg_i64(r, row, 1);
	m->author_id = pg_i64(r, row, 2);
	m->body = strdup(PQgetvalue(r, row, 3));
	m->reply_to = pg_i64(r, row, 4);
	m->thread_id = pg_i64(r, row, 5);
	pg_text(r, row, 6, m->nonce, sizeof(m->nonce));
	m->created_at = pg_i64(r, row, 7);
	m->edited_at = pg_i64(r, row, 8);
	m->deleted_at = pg_i64(r, row, 9);
	m->reply_count = (int)pg_i64(r, row, 10);
	m->last_reply_at = pg_i64(r, row, 11);
}

int pgs_msg_insert(struct store *st, struct store_message *m)
{
	struct pg_args a = { 0 };
	int rc;

	pg_arg_i64(&a, m->channel_id);
	pg_arg_i64(&a, m->author_id);
	pg_arg_text(&a, m->body);
	pg_arg_id(&a, m->reply_to);
	pg_arg_id(&a, m->thread_id);
	pg_arg_text(&a, m->nonce[0] ? m->nonce : NULL);
	pg_arg_i64(&a, m->created_at);
	rc = pg_one(st, &q_msg_insert, &a, pg_read_i64, &m->id);
	return rc == RUCHE_ENOTFOUND ? RUCHE_EEXIST : rc;
}

int pgs_msg_get(struct store *st, int64_t id, struct store_message *out)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, id);
	return pg_one(st, &q_msg_get, &a, read_message, out);
}

int pgs_msg_by_nonce(struct store *st, int64_t author_id, const char *nonce,
		     struct store_message *out)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, author_id);
	pg_arg_text(&a, nonce);
	return pg_one(st, &q_msg_by_nonce, &a, read_message, out);
}

int pgs_msg_edit(struct store *st, int64_t id, const char *body, int64_t now)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, id);
	pg_arg_text(&a, body);
	pg_arg_i64(&a, now);
	return pg_run(st, &q_msg_edit, &a, true);
}

int pgs_msg_tombstone(struct store *st, int64_t id, int64_t now)
{
	return run2(st, &q_msg_tombstone, id, now, true);
}

int pgs_msg_thread_bump(struct store *st, int64_t root_id, int64_t now)
{
	return run2(st, &q_msg_thread_bump, root_id, now, true);
}

int pgs_msg_page(struct store *st, int64_t channel_id, int64_t thread_id,
		 int64_t before_id, int64_t after_id, int limit,
		 struct store_message **out, size_t *n)
{
	struct pg_sql *q = thread_id ?
		(before_id ? &q_thread_before : &q_thread_after) :
		(before_id ? &q_msg_before : &q_msg_after);
	struct pg_args a = { 0 };

	pg_arg_i64(&a, thread_id ? thread_id : channel_id);
	pg_arg_i64(&a, before_id ? before_id : after_id);
	pg_arg_i64(&a, limit);
	return pg_list(st, q, &a, sizeof(**out), read_message, (void **)out,
		       n);
}

int pgs_msg_by_author(struct store *st, int64_t author_id,
		      struct store_message **out, size_t *n)
{
	return list_by(st, &q_msg_by_author, author_id, sizeof(**out),
		       read_message, (void **)out, n);
}

/* ---- Reactions, read markers, mentions ---------------------------------- */

int pgs_reaction_add(struct store *st, int64_t message_id, int64_t user_id,
		     const char *emoji, int64_t now)
{
	struct pg_args a = { 0 };
	int64_t added;
	int rc;

	pg_arg_i64(&a, message_id);
	pg_arg_i64(&a, user_id);
	pg_arg_text(&a, emoji);
	pg_arg_i64(&a, now);
	added = pg_run_count(st, &q_react_add, &a, &rc);
	if (rc)
		return rc;
	return added ? 0 : RUCHE_EEXIST;
}

int pgs_reaction_remove(struct store *st, int64_t message_id,
			int64_t user_id, const char *emoji)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, message_id);
	pg_arg_i64(&a, user_id);
	pg_arg_text(&a, emoji);
	return pg_run(st, &q_react_remove, &a, true);
}

static void read_reaction(const PGresult *r, int row, void *out)
{
	struct store_reaction_count *c = out;

	pg_text(r, row, 0, c->emoji, sizeof(c->emoji));
	c->count = (int)pg_i64(r, row, 1);
	c->mine = pg_bool(r, row, 2);
}

int pgs_reaction_counts(struct store *st, int64_t message_id,
			int64_t user_id, struct store_reaction_count **out,
			size_t *n)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, message_id);
	pg_arg_i64(&a, user_id);
	return pg_list(st, &q_react_counts, &a, sizeof(**out), read_reaction,
		       (void **)out, n);
}

/* Moves a read marker (channel or thread) forward. */
static int marker_set(struct store *st, struct pg_sql *q, int64_t user_id,
		      int64_t key, int64_t message_id)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, user_id);
	pg_arg_i64(&a, key);
	pg_arg_i64(&a, message_id);
	return pg_run(st, q, &a, false);
}

/* A read marker, 0 when there is none. */
static int marker_get(struct store *st, struct pg_sql *q, int64_t user_id,
		      int64_t key, int64_t *message_id)
{
	int rc;

	*message_id = 0;
	rc = one_i64(st, q, user_id, &key, message_id);
	return rc == RUCHE_ENOTFOUND ? 0 : rc;
}

int pgs_read_set(struct store *st, int64_t user_id, int64_t channel_id,
		 int64_t message_id)
{
	return marker_set(st, &q_read_set, user_id, channel_id, message_id);
}

int pgs_read_get(struct store *st, int64_t user_id, int64_t channel_id,
		 int64_t *message_id)
{
	return marker_get(st, &q_read_get, user_id, channel_id, message_id);
}

int pgs_thread_read_set(struct store *st, int64_t user_id, int64_t thread_id,
			int64_t message_id)
{
	return marker_set(st, &q_thread_read_set, user_id, thread_id,
			  message_id);
}

int pgs_thread_read_get(struct store *st, int64_t user_id, int64_t thread_id,
			int64_t *message_id)
{
	return marker_get(st, &q_thread_read_get, user_id, thread_id,
			  message_id);
}

int pgs_unread_count(struct store *st, int64_t user_id, int64_t channel_id,
		     int *n)
{
	return one_int(st, &q_unread, user_id, channel_id, n);
}

int pgs_mention_insert(struct store *st, int64_t user_id, int64_t message_id,
		       int64_t channel_id)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, user_id);
	pg_arg_i64(&a, message_id);
	pg_arg_i64(&a, channel_id);
	return pg_run(st, &q_mention_insert, &a, false);
}

int pgs_unread_mentions(struct store *st, int64_t user_id,
			int64_t channel_id, int *n)
{
	return one_int(st, &q_unread_mentions, user_id, channel_id, n);
}

/* ---- The event log ----------------------------------------------------- */

int pgs_event_insert(struct store *st, int64_t hive_id, int64_t channel_id,
		     const char *kind, const char *data, int64_t now,
		     int64_t *pos)
{
	struct pg_args a = { 0 };

	pg_arg_id(&a, hive_id);
	pg_arg_id(&a, channel_id);
	pg_arg_text(&a, kind);
	pg_arg_text(&a, data);
	pg_arg_i64(&a, now);
	return pg_one(st, &q_event_insert, &a, pg_read_i64, pos);
}

static void read_event(const PGresult *r, int row, void *out)
{
	struct store_event *e = out;

	e->pos = pg_i64(r, row, 0);
	pg_text(r, row, 1, e->kind, sizeof(e->kind));
	e->data = strdup(pg_null(r, row, 2) ? "{}" : PQgetvalue(r, row, 2));
}

int pgs_events_since(struct store *st, int64_t user_id, int64_t since,
		     int limit, struct store_event **out, size_t *n)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, user_id);
	pg_arg_i64(&a, since);
	pg_arg_i64(&a, limit);
	return pg_list(st, &q_events_since, &a, sizeof(**out), read_event,
		       (void **)out, n);
}

/* An event with its audience (q_events_after). */
static void read_event_to(const PGresult *r, int row, void *out)
{
	struct store_event *e = out;

	read_event(r, row, out);
	e->hive_id = pg_i64(r, row, 3);
	e->channel_id = pg_i64(r, row, 4);
	e->user_id = pg_i64(r, row, 5);
}

int pgs_events_after(struct store *st, int64_t since, int limit,
		     struct store_event **out, size_t *n)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, since);
	pg_arg_i64(&a, limit);
	return pg_list(st, &q_events_after, &a, sizeof(**out), read_event_to,
		       (void **)out, n);
}

int pgs_event_last(struct store *st, int64_t *pos)
{
	struct pg_args a = { 0 };

	return pg_one(st, &q_event_last, &a, pg_read_i64, pos);
}

int pgs_event_erase_text(struct store *st, int64_t message_id,
			 int64_t author_id)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, message_id ? message_id : author_id);
	return pg_run(st, message_id ? &q_event_erase_msg :
				       &q_event_erase_author, &a, false);
}

int pgs_event_first(struct store *st, int64_t *pos)
{
	struct pg_args a = { 0 };

	return pg_one(st, &q_event_first, &a, pg_read_i64, pos);
}

int pgs_event_prune(struct store *st, int64_t before_ms, int *deleted)
{
	struct pg_args a = { 0 };
	int64_t n;
	int rc;

	pg_arg_i64(&a, before_ms);
	n = pg_run_count(st, &q_event_prune, &a, &rc);
	*deleted = rc ? 0 : (int)n;
	return rc;
}

/* ---- Search ------------------------------------------------------------ */

/* Nothing waits to be indexed: PostgreSQL indexes each write. */
int pgs_search_index(struct store *st)
{
	(void)st;
	return 0;
}

/*
 * PostgreSQL keeps the index in step with the messages by itself; what
 * can be wrong is an index left unusable.
 */
int pgs_search_check(struct store *st)
{
	struct pg_args a = { 0 };
	int64_t ok = 0;
	int rc = pg_one(st, &q_search_check, &a, pg_read_i64, &ok);

	if (rc)
		return rc;
	return ok ? 0 : RUCHE_EIO;
}

/*
 * What a person typed, as an array literal of its words (split at
 * spaces) for ruche_search_query(): every word required, each as a
 * phrase of the tokens in it, the last one as a prefix.
 */
static char *search_words(const char *q)
{
	/* Each byte once, a quote or backslash twice, and 3 more a word
	 * (its quotes and a comma), with the braces: a word is a byte and a
	 * space at the least, so 3 x the length and 4 cover a query of
	 * quotes alone. */
	char *out = malloc(strlen(q) * 3 + 4), *o = out;
	const char *w;
	size_t len;
	bool any = false;

	if (!out)
		return NULL;
	*o++ = '{';
	while ((w = store_next_word(&q, &len))) {
		if (any)
			*o++ = ',';
		*o++ = '"';
		for (size_t i = 0; i < len; i++) {
			if (w[i] == '"' || w[i] == '\\')
				*o++ = '\\';
			*o++ = w[i];
		}
		*o++ = '"';
		any = true;
	}
	*o++ = '}';
	*o = '\0';
	return out;
}

/* Whether s[0..n) holds a letter or digit (any non-ASCII byte counts). */
static bool has_word(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80 || isalnum((unsigned char)s[i]))
			return true;
	return false;
}

/* s without its brackets (the marks), in a new string. */
static char *unmarked(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		return NULL;
	for (; *s; s++)
		if (*s != '[' && *s != ']')
			*o++ = *s;
	*o = '\0';
	return out;
}

/*
 * The excerpt of a hit: the headline, with "…" where it leaves words of
 * the message out before or after it, as FTS5's snippet() does.  Marks
 * are left out of both to compare them (the body may have brackets).
 */
static char *excerpt_of(const char *headline, const char *body)
{
	char *h = unmarked(headline), *b = unmarked(body), *at, *out = NULL;
	bool before = false, after = false;

	if (h && b && (at = strstr(b, h))) {
		size_t start = (size_t)(at - b), end = start + strlen(h);

		before = has_word(b, start);
		after = has_word(b + end, strlen(b + end));
	}
	if (h && b) {
		size_t len = strlen(headline) + 8;

		out = malloc(len);
		if (out)
			snprintf(out, len, "%s%s%s", before ? "…" : "",
				 headline, after ? "…" : "");
	}
	free(h);
	free(b);
	return out;
}

static void read_hit(const PGresult *r, int row, void *out)
{
	struct store_hit *h = out;

	h->message_id = pg_i64(r, row, 0);
	h->channel_id = pg_i64(r, row, 1);
	h->author_id = pg_i64(r, row, 2);
	h->created_at = pg_i64(r, row, 3);
	h->thread_id = pg_i64(r, row, 5);
	h->excerpt = excerpt_of(PQgetvalue(r, row, 4), PQgetvalue(r, row, 6));
}

int pgs_search(struct store *st, int64_t user_id, const char *query,
	       int limit, struct store_hit **out, size_t *n)
{
	struct pg_args a = { 0 };
	char *words = search_words(query);
	int rc;

	*out = NULL;
	*n = 0;
	if (!words)
		return RUCHE_ENOMEM;
	pg_arg_i64(&a, user_id);
	pg_arg_text(&a, words);
	pg_arg_i64(&a, limit);
	pg_arg_bool(&a, true);	/* the last word as a prefix */
	rc = pg_list(st, &q_search, &a, sizeof(**out), read_hit, (void **)out,
		     n);
	free(words);
	return rc;
}
