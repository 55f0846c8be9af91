/*
 * store_pg_moderation.c - PostgreSQL: mutes, bans, removals, pins,
 * reports, guards, retention and the audit log.
 *
 * Part of the PostgreSQL backend of store.h (store_pg.h says how its
 * files run statements); answers as store_sqlite.c does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruche/err.h"
#include "store_pg.h"

#define MUTE_COLS \
	"hive_id, user_id, until, coalesce(by_id, 0), reason, created_at"
#define REPORT_COLS \
	"id, hive_id, channel_id, coalesce(message_id, 0), " \
	"coalesce(author_id, 0), coalesce(reporter_id, 0), reason, status, " \
	"created_at, coalesce(resolved_at, 0), coalesce(resolved_by, 0), note"

/*
 * Where SQLite breaks ties of an ORDER BY by the index it walks (the
 * primary key, or the rowid), the statements below name that order.
 */
static struct pg_sql q_mute_set = PG_SQL(
	"INSERT INTO mutes(hive_id, user_id, until, by_id, reason, "
	"created_at) VALUES ($1, $2, $3, $4, $5, $6) "
	"ON CONFLICT (hive_id, user_id) DO UPDATE SET "
	"until = excluded.until, by_id = excluded.by_id, "
	"reason = excluded.reason, created_at = excluded.created_at");
static struct pg_sql q_mute_get = PG_SQL(
	"SELECT " MUTE_COLS " FROM mutes WHERE hive_id = $1 "
	"AND user_id = $2");
static struct pg_sql q_mute_delete = PG_SQL(
	"DELETE FROM mutes WHERE hive_id = $1 AND user_id = $2");
/* SQLite gives ties in rowid (insertion) order; there is none here. */
static struct pg_sql q_mute_due = PG_SQL(
	"SELECT " MUTE_COLS " FROM mutes WHERE until <= $1 "
	"ORDER BY until, hive_id, user_id LIMIT $2");
static struct pg_sql q_mute_list = PG_SQL(
	"SELECT " MUTE_COLS " FROM mutes WHERE hive_id = $1 "
	"AND until > $2 ORDER BY until, user_id");
static struct pg_sql q_ban_insert = PG_SQL(
	"INSERT INTO bans(hive_id, user_id, by_id, reason, created_at) "
	"VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING");
static struct pg_sql q_ban_delete = PG_SQL(
	"DELETE FROM bans WHERE hive_id = $1 AND user_id = $2");
static struct pg_sql q_ban_exists = PG_SQL(
	"SELECT EXISTS (SELECT 1 FROM bans WHERE hive_id = $1 "
	"AND user_id = $2)");
static struct pg_sql q_ban_list = PG_SQL(
	"SELECT b.hive_id, b.user_id, u.handle, u.display_name, "
	"coalesce(b.by_id, 0), b.reason, b.created_at FROM bans b "
	"JOIN users u ON u.id = b.user_id WHERE b.hive_id = $1 "
	"ORDER BY b.created_at DESC, b.user_id");
static struct pg_sql q_chan_mod = PG_SQL(
	"UPDATE channels SET slow_mode_s = $2, locked = $3 WHERE id = $1");
static struct pg_sql q_msg_last_in_chan = PG_SQL(
	"SELECT coalesce(max(created_at), 0) FROM messages "
	"WHERE author_id = $2 AND channel_id = $1");
static struct pg_sql q_msg_count_in_hive = PG_SQL(
	"SELECT count(*) FROM messages m JOIN channels c "
	"ON c.id = m.channel_id WHERE m.author_id = $2 "
	"AND m.created_at >= $3 AND c.hive_id = $1");
static struct pg_sql q_member_since = PG_SQL(
	"SELECT joined_at FROM memberships WHERE hive_id = $1 "
	"AND user_id = $2");
/* SQLite's INSERT OR REPLACE: nothing refers to a removal's row. */
static struct pg_sql q_removal_insert = PG_SQL(
	"INSERT INTO message_removals(message_id, by_id, reason, "
	"removed_at) VALUES ($1, $2, $3, $4) "
	"ON CONFLICT (message_id) DO UPDATE SET by_id = excluded.by_id, "
	"reason = excluded.reason, removed_at = excluded.removed_at");
static struct pg_sql q_removal_get = PG_SQL(
	"SELECT message_id, coalesce(by_id, 0), reason, removed_at "
	"FROM message_removals WHERE message_id = $1");
static struct pg_sql q_pin_insert = PG_SQL(
	"INSERT INTO pins(message_id, channel_id, by_id, pinned_at) "
	"VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING");
static struct pg_sql q_pin_delete = PG_SQL(
	"DELETE FROM pins WHERE message_id = $1");
/* A message its author deleted drops out of the pins. */
static struct pg_sql q_pin_list = PG_SQL(
	"SELECT p.message_id, p.channel_id, coalesce(p.by_id, 0), "
	"p.pinned_at FROM pins p "
	"JOIN messages m ON m.id = p.message_id "
	"WHERE p.channel_id = $1 AND m.deleted_at IS NULL "
	"ORDER BY p.pinned_at DESC, p.message_id DESC");
/*
 * A duplicate is looked for first: a refused insert would still use up
 * an id, where SQLite gives the next report the id that was free.
 */
static struct pg_sql q_report_insert = PG_SQL(
	"INSERT INTO reports(hive_id, channel_id, message_id, "
	"author_id, reporter_id, reason, created_at) "
	"SELECT $1, $2, $3::bigint, $4, $5::bigint, $6, $7 "
	"WHERE NOT EXISTS (SELECT 1 FROM reports WHERE message_id = $3 "
	"AND reporter_id = $5) "
	"ON CONFLICT DO NOTHING RETURNING id");
static struct pg_sql q_report_get = PG_SQL(
	"SELECT " REPORT_COLS " FROM reports WHERE id = $1");
static struct pg_sql q_report_find = PG_SQL(
	"SELECT " REPORT_COLS " FROM reports WHERE message_id = $1 "
	"AND reporter_id = $2");
static struct pg_sql q_report_list = PG_SQL(
	"SELECT " REPORT_COLS " FROM reports WHERE hive_id = $1 "
	"AND ($2::text IS NULL OR status = $2) "
	"AND ($3::bigint = 0 OR reporter_id = $3) "
	"ORDER BY id DESC LIMIT 500");
static struct pg_sql q_report_resolve = PG_SQL(
	"UPDATE reports SET status = $2, resolved_by = $3, note = $4, "
	"resolved_at = $5 WHERE id = $1 AND status = 'open'");
static struct pg_sql q_guard_get = PG_SQL(
	"SELECT blocked_words, new_member_link_limit, new_member_days, "
	"flood_messages, flood_seconds, flood_mute_seconds "
	"FROM hive_settings WHERE hive_id = $1");
static struct pg_sql q_guard_set = PG_SQL(
	"INSERT INTO hive_settings(hive_id, blocked_words, "
	"new_member_link_limit, new_member_days, flood_messages, "
	"flood_seconds, flood_mute_seconds) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7) "
	"ON CONFLICT (hive_id) DO UPDATE SET "
	"blocked_words = excluded.blocked_words, "
	"new_member_link_limit = excluded.new_member_link_limit, "
	"new_member_days = excluded.new_member_days, "
	"flood_messages = excluded.flood_messages, "
	"flood_seconds = excluded.flood_seconds, "
	"flood_mute_seconds = excluded.flood_mute_seconds");
static struct pg_sql q_retention_get = PG_SQL(
	"SELECT coalesce(retention_days, 0) FROM hive_settings "
	"WHERE hive_id = $1");
static struct pg_sql q_retention_set = PG_SQL(
	"INSERT INTO hive_settings(hive_id, retention_days) "
	"VALUES ($1, $2) ON CONFLICT (hive_id) DO UPDATE SET "
	"retention_days = excluded.retention_days");
static struct pg_sql q_retention_hives = PG_SQL(
	"SELECT hive_id, retention_days FROM hive_settings "
	"WHERE retention_days IS NOT NULL ORDER BY hive_id");
/*
 * The purge: a thread's messages go together, once its last reply is
 * old.  The ids picked travel as an array ($1, '{1,2,3}') where SQLite
 * hands a JSON array to json_each.
 */
static struct pg_sql q_purge_pick = PG_SQL(
	"SELECT m.id FROM messages m JOIN channels c "
	"ON c.id = m.channel_id WHERE c.hive_id = $1 "
	"AND m.created_at < $2 "
	"AND coalesce(m.last_reply_at, 0) < $2 "
	"AND (m.thread_id IS NULL OR "
	"(SELECT coalesce(r.last_reply_at, 0) "
	"FROM messages r WHERE r.id = m.thread_id) < $2) "
	"ORDER BY m.id DESC LIMIT $3");
static struct pg_sql q_purge_unquote = PG_SQL(
	"UPDATE messages SET reply_to = NULL "
	"WHERE reply_to = ANY ($1::bigint[])");
static struct pg_sql q_purge_unthread = PG_SQL(
	"UPDATE messages SET thread_id = NULL "
	"WHERE thread_id = ANY ($1::bigint[]) "
	"AND id <> ALL ($1::bigint[])");
/*
 * A reminder (remind, addressed to one user) holds a copy too.  The
 * event's JSON is rewritten in jsonb's own layout (spaces, keys in its
 * order) where SQLite's json_set keeps the order; readers parse it.
 */
static struct pg_sql q_purge_events = PG_SQL(
	"UPDATE events SET data = "
	"jsonb_set(data::jsonb, '{message,text}', '\"\"')::text "
	"WHERE (hive_id = $2 AND kind IN ('msg.created', 'msg.edited') "
	"OR user_id IS NOT NULL AND kind = 'remind') "
	"AND data::jsonb #> '{message,id}' IN "
	"(SELECT to_jsonb(i) FROM unnest($1::bigint[]) i)");
static struct pg_sql q_purge_delete = PG_SQL(
	"DELETE FROM messages WHERE id = ANY ($1::bigint[])");
static struct pg_sql q_audit_insert = PG_SQL(
	"INSERT INTO audit_log(hive_id, actor_id, action, "
	"target_user_id, message_id, channel_id, reason, detail, "
	"created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
	"RETURNING id");
static struct pg_sql q_audit_list = PG_SQL(
	"SELECT id, hive_id, coalesce(actor_id, 0), action, "
	"coalesce(target_user_id, 0), coalesce(message_id, 0), "
	"coalesce(channel_id, 0), reason, detail, created_at "
	"FROM audit_log WHERE hive_id = $1 "
	"AND ($2::text IS NULL OR action = $2) "
	"AND ($3::bigint = 0 OR coalesce(actor_id, -1) = $3) "
	"AND ($4::bigint = 0 OR target_user_id = $4) "
	"AND ($5::bigint = 0 OR created_at >= $5) "
	"AND ($6::bigint = 0 OR created_at < $6) "
	"AND ($7::bigint = 0 OR id < $7) ORDER BY id DESC LIMIT $8");

/* ---- Shared shapes --------------------------------------------------- */


/* Runs a statement keyed by ($1, $2), expected to change one row. */
static int pair_change(struct store *st, struct pg_sql *q, int64_t a,
		       int64_t b)
{
	struct pg_args args = { 0 };

	pg_arg_i64(&args, a);
	pg_arg_i64(&args, b);
	return pg_run(st, q, &args, true);
}

/* Runs a query of one integer keyed by $1 and $2 (and $3 when given). */
static int int_query(struct store *st, struct pg_sql *q, int64_t a,
		     int64_t b, const int64_t *c, int64_t *out)
{
	struct pg_args args = { 0 };

	pg_arg_i64(&args, a);
	pg_arg_i64(&args, b);
	if (c)
		pg_arg_i64(&args, *c);
	return pg_one(st, q, &args, pg_read_i64, out);
}

/* Lists rows of a query keyed by one id in $1. */
static int list_by(struct store *st, struct pg_sql *q, int64_t key,
		   size_t size, pg_read_fn *read, void **out, size_t *n)
{
	struct pg_args args = { 0 };

	pg_arg_i64(&args, key);
	return pg_list(st, q, &args, size, read, out, n);
}

/*
 * Runs an INSERT ... ON CONFLICT DO NOTHING: RUCHE_EEXIST when the row
 * was there already, as SQLite's plain INSERT answers.
 */
static int insert_new(struct store *st, struct pg_sql *q, struct pg_args *a)
{
	int rc;
	int64_t n = pg_run_count(st, q, a, &rc);

	if (!rc && n == 0)
		return RUCHE_EEXIST;
	return rc;
}

/* ---- Mutes and bans -------------------------------------------------- */

static void read_mute(const PGresult *r, int row, void *out)
{
	struct store_mute *m = out;

	m->hive_id = pg_i64(r, row, 0);
	m->user_id = pg_i64(r, row, 1);
	m->until = pg_i64(r, row, 2);
	m->by_id = pg_i64(r, row, 3);
	pg_text(r, row, 4, m->reason, sizeof(m->reason));
	m->created_at = pg_i64(r, row, 5);
}

int pgs_mute_set(struct store *st, const struct store_mute *m)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, m->hive_id);
	pg_arg_i64(&a, m->user_id);
	pg_arg_i64(&a, m->until);
	pg_arg_id(&a, m->by_id);
	pg_arg_text(&a, m->reason);
	pg_arg_i64(&a, m->created_at);
	return pg_run(st, &q_mute_set, &a, false);
}

int pgs_mute_get(struct store *st, int64_t hive_id, int64_t user_id,
		 struct store_mute *out)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, hive_id);
	pg_arg_i64(&a, user_id);
	return pg_one(st, &q_mute_get, &a, read_mute, out);
}

int pgs_mute_delete(struct store *st, int64_t hive_id, int64_t user_id)
{
	return pair_change(st, &q_mute_delete, hive_id, user_id);
}

int pgs_mute_due(struct store *st, int64_t now, int limit,
		 struct store_mute **out, size_t *n)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, now);
	pg_arg_limit(&a, limit);
	return pg_list(st, &q_mute_due, &a, sizeof(**out), read_mute,
		       (void **)out, n);
}

int pgs_mute_list(struct store *st, int64_t hive_id, int64_t now,
		  struct store_mute **out, size_t *n)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, hive_id);
	pg_arg_i64(&a, now);
	return pg_list(st, &q_mute_list, &a, sizeof(**out), read_mute,
		       (void **)out, n);
}

int pgs_ban_insert(struct store *st, const struct store_ban *b)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, b->hive_id);
	pg_arg_i64(&a, b->user_id);
	pg_arg_id(&a, b->by_id);
	pg_arg_text(&a, b->reason);
	pg_arg_i64(&a, b->created_at);
	return insert_new(st, &q_ban_insert, &a);
}

int pgs_ban_delete(struct store *st, int64_t hive_id, int64_t user_id)
{
	return pair_change(st, &q_ban_delete, hive_id, user_id);
}

static void read_bool(const PGresult *r, int row, void *out)
{
	*(bool *)out = pg_bool(r, row, 0);
}

int pgs_ban_exists(struct store *st, int64_t hive_id, int64_t user_id,
		   bool *out)
{
	struct pg_args a = { 0 };

	*out = false;
	pg_arg_i64(&a, hive_id);
	pg_arg_i64(&a, user_id);
	return pg_one(st, &q_ban_exists, &a, read_bool, out);
}

static void read_ban(const PGresult *r, int row, void *out)
{
	struct store_ban *b = out;

	b->hive_id = pg_i64(r, row, 0);
	b->user_id = pg_i64(r, row, 1);
	pg_text(r, row, 2, b->handle, sizeof(b->handle));
	pg_text(r, row, 3, b->name, sizeof(b->name));
	b->by_id = pg_i64(r, row, 4);
	pg_text(r, row, 5, b->reason, sizeof(b->reason));
	b->created_at = pg_i64(r, row, 6);
}

int pgs_ban_list(struct store *st, int64_t hive_id, struct store_ban **out,
		 size_t *n)
{
	return list_by(st, &q_ban_list, hive_id, sizeof(**out), read_ban,
		       (void **)out, n);
}

/* ---- Channels, pace and membership ----------------------------------- */

int pgs_channel_set_moderation(struct store *st, int64_t channel_id,
			       int slow_mode_s, bool locked)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, channel_id);
	pg_arg_i64(&a, slow_mode_s);
	pg_arg_bool(&a, locked);
	return pg_run(st, &q_chan_mod, &a, true);
}

int pgs_msg_last_in_channel(struct store *st, int64_t channel_id,
			    int64_t author_id, int64_t *created_at)
{
	return int_query(st, &q_msg_last_in_chan, channel_id, author_id, NULL,
			 created_at);
}

int pgs_msg_count_in_hive(struct store *st, int64_t hive_id,
			  int64_t author_id, int64_t since_ms, int *n)
{
	int64_t v = 0;
	int rc = int_query(st, &q_msg_count_in_hive, hive_id, author_id,
			   &since_ms, &v);

	*n = (int)v;
	return rc;
}

int pgs_member_since(struct store *st, int64_t hive_id, int64_t user_id,
		     int64_t *since)
{
	return int_query(st, &q_member_since, hive_id, user_id, NULL, since);
}

/* ---- Removals and pins ----------------------------------------------- */

int pgs_removal_insert(struct store *st, const struct store_removal *r)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, r->message_id);
	pg_arg_id(&a, r->by_id);
	pg_arg_text(&a, r->reason);
	pg_arg_i64(&a, r->removed_at);
	return pg_run(st, &q_removal_insert, &a, false);
}

static void read_removal(const PGresult *r, int row, void *out)
{
	struct store_removal *m = out;

	m->message_id = pg_i64(r, row, 0);
	m->by_id = pg_i64(r, row, 1);
	pg_text(r, row, 2, m->reason, sizeof(m->reason));
	m->removed_at = pg_i64(r, row, 3);
}

int pgs_removal_get(struct store *st, int64_t message_id,
		    struct store_removal *out)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, message_id);
	return pg_one(st, &q_removal_get, &a, read_removal, out);
}

int pgs_pin_insert(struct store *st, const struct store_pin *p)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, p->message_id);
	pg_arg_i64(&a, p->channel_id);
	pg_arg_id(&a, p->by_id);
	pg_arg_i64(&a, p->pinned_at);
	return insert_new(st, &q_pin_insert, &a);
}

int pgs_pin_delete(struct store *st, int64_t message_id)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, message_id);
	return pg_run(st, &q_pin_delete, &a, true);
}

static void read_pin(const PGresult *r, int row, void *out)
{
	struct store_pin *p = out;

	p->message_id = pg_i64(r, row, 0);
	p->channel_id = pg_i64(r, row, 1);
	p->by_id = pg_i64(r, row, 2);
	p->pinned_at = pg_i64(r, row, 3);
}

int pgs_pin_list(struct store *st, int64_t channel_id,
		 struct store_pin **out, size_t *n)
{
	return list_by(st, &q_pin_list, channel_id, sizeof(**out), read_pin,
		       (void **)out, n);
}

/* ---- Reports --------------------------------------------------------- */

static void read_report(const PGresult *r, int row, void *out)
{
	struct store_report *p = out;

	p->id = pg_i64(r, row, 0);
	p->hive_id = pg_i64(r, row, 1);
	p->channel_id = pg_i64(r, row, 2);
	p->message_id = pg_i64(r, row, 3);
	p->author_id = pg_i64(r, row, 4);
	p->reporter_id = pg_i64(r, row, 5);
	pg_text(r, row, 6, p->reason, sizeof(p->reason));
	pg_text(r, row, 7, p->status, sizeof(p->status));
	p->created_at = pg_i64(r, row, 8);
	p->resolved_at = pg_i64(r, row, 9);
	p->resolved_by = pg_i64(r, row, 10);
	pg_text(r, row, 11, p->note, sizeof(p->note));
}

int pgs_report_insert(struct store *st, struct store_report *r)
{
	struct pg_args a = { 0 };
	PGresult *res;
	int rc;

	pg_arg_i64(&a, r->hive_id);
	pg_arg_i64(&a, r->channel_id);
	pg_arg_i64(&a, r->message_id);
	pg_arg_id(&a, r->author_id);
	pg_arg_i64(&a, r->reporter_id);
	pg_arg_text(&a, r->reason);
	pg_arg_i64(&a, r->created_at);
	res = pg_query(st, &q_report_insert, &a, &rc);
	if (!res)
		return rc;
	if (PQntuples(res) == 0) {
		rc = RUCHE_EEXIST;	/* this reporter's, already */
	} else {
		r->id = pg_i64(res, 0, 0);
		snprintf(r->status, sizeof(r->status), "open");
	}
	PQclear(res);
	return rc;
}

int pgs_report_get(struct store *st, int64_t id, struct store_report *out)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, id);
	return pg_one(st, &q_report_get, &a, read_report, out);
}

int pgs_report_find(struct store *st, int64_t message_id,
		    int64_t reporter_id, struct store_report *out)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, message_id);
	pg_arg_i64(&a, reporter_id);
	return pg_one(st, &q_report_find, &a, read_report, out);
}

int pgs_report_list(struct store *st, int64_t hive_id, const char *status,
		    int64_t reporter_id, struct store_report **out,
		    size_t *n)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, hive_id);
	pg_arg_text(&a, status);
	pg_arg_i64(&a, reporter_id);
	return pg_list(st, &q_report_list, &a, sizeof(**out), read_report,
		       (void **)out, n);
}

int pgs_report_resolve(struct store *st, int64_t id, const char *status,
		       int64_t by_id, const char *note, int64_t now)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, id);
	pg_arg_text(&a, status);
	pg_arg_id(&a, by_id);
	pg_arg_text(&a, note);
	pg_arg_i64(&a, now);
	return pg_run(st, &q_report_resolve, &a, true);
}

/* ---- Guard and retention --------------------------------------------- */

static void read_guard(const PGresult *r, int row, void *out)
{
	struct store_guard *g = out;

	g->blocked_words = strdup(pg_null(r, row, 0) ? "[]" :
				  PQgetvalue(r, row, 0));
	g->new_member_link_limit = (int)pg_i64(r, row, 1);
	g->new_member_days = (int)pg_i64(r, row, 2);
	g->flood_messages = (int)pg_i64(r, row, 3);
	g->flood_seconds = (int)pg_i64(r, row, 4);
	g->flood_mute_seconds = (int)pg_i64(r, row, 5);
}

int pgs_guard_get(struct store *st, int64_t hive_id, struct store_guard *out)
{
	struct pg_args a = { 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	pg_arg_i64(&a, hive_id);
	rc = pg_one(st, &q_guard_get, &a, read_guard, out);
	if (rc == RUCHE_ENOTFOUND) {
		out->blocked_words = strdup("[]");
		rc = 0;
	}
	if (!rc && !out->blocked_words)
		rc = RUCHE_ENOMEM;
	return rc;
}

int pgs_guard_set(struct store *st, int64_t hive_id,
		  const struct store_guard *g)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, hive_id);
	pg_arg_text(&a, g->blocked_words);
	pg_arg_i64(&a, g->new_member_link_limit);
	pg_arg_i64(&a, g->new_member_days);
	pg_arg_i64(&a, g->flood_messages);
	pg_arg_i64(&a, g->flood_seconds);
	pg_arg_i64(&a, g->flood_mute_seconds);
	return pg_run(st, &q_guard_set, &a, false);
}

int pgs_retention_get(struct store *st, int64_t hive_id, int *days)
{
	struct pg_args a = { 0 };
	int64_t v = 0;
	int rc;

	pg_arg_i64(&a, hive_id);
	rc = pg_one(st, &q_retention_get, &a, pg_read_i64, &v);
	*days = (int)v;
	return rc == RUCHE_ENOTFOUND ? 0 : rc;
}

int pgs_retention_set(struct store *st, int64_t hive_id, int days)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, hive_id);
	if (days > 0)
		pg_arg_i64(&a, days);
	else
		pg_arg_null(&a);
	return pg_run(st, &q_retention_set, &a, false);
}

static void read_pair(const PGresult *r, int row, void *out)
{
	int64_t *p = out;

	p[0] = pg_i64(r, row, 0);
	p[1] = pg_i64(r, row, 1);
}

int pgs_retention_hives(struct store *st, int64_t **pairs, size_t *n)
{
	struct pg_args a = { 0 };

	return pg_list(st, &q_retention_hives, &a, 2 * sizeof(**pairs),
		       read_pair, (void **)pairs, n);
}

/* ---- Purge ----------------------------------------------------------- */

/*
 * Runs a purge step over the array of ids in $1 (and the hive in $2 when
 * hive is given): the rows it changed, or -1 with *rc.
 */
static int64_t purge_step(struct store *st, struct pg_sql *q,
			  const char *ids, const int64_t *hive, int *rc)
{
	struct pg_args a = { 0 };

	pg_arg_text(&a, ids);
	if (hive)
		pg_arg_id(&a, *hive);
	return pg_run_count(st, q, &a, rc);
}

/* The ids as an array literal, {1,2,3}; NULL when out of memory. */
static char *id_array(const int64_t *ids, size_t n)
{
	char *s = malloc(n * 21 + 3);
	size_t len = 0;

	if (!s)
		return NULL;
	s[len++] = '{';
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(s + len, "%s%lld", i ? "," : "",
				       (long long)ids[i]);
	s[len++] = '}';
	s[len] = '\0';
	return s;
}

int pgs_purge_batch(struct store *st, int64_t hive_id, int64_t before_ms,
		    int limit, int *deleted)
{
	struct pg_args a = { 0 };
	int64_t *ids = NULL, gone = 0;
	size_t n = 0;
	char *arr;
	int rc;

	*deleted = 0;
	pg_arg_i64(&a, hive_id);
	pg_arg_i64(&a, before_ms);
	pg_arg_limit(&a, limit);
	rc = pg_list(st, &q_purge_pick, &a, sizeof(*ids), pg_read_i64,
		     (void **)&ids, &n);
	if (rc || !n) {
		free(ids);
		return rc;
	}
	arr = id_array(ids, n);
	free(ids);
	if (!arr)
		return RUCHE_ENOMEM;
	/* Quotes and thread replies that stay lose their link first: the
	 * foreign keys would refuse the delete otherwise. */
	rc = pgs_begin(st);
	if (!rc)
		purge_step(st, &q_purge_unquote, arr, NULL, &rc);
	if (!rc)
		purge_step(st, &q_purge_unthread, arr, NULL, &rc);
	if (!rc)
		purge_step(st, &q_purge_events, arr, &hive_id, &rc);
	if (!rc)
		gone = purge_step(st, &q_purge_delete, arr, NULL, &rc);
	free(arr);
	rc = pgs_end(st, rc);
	if (!rc)
		*deleted = (int)gone;
	return rc;
}

/* ---- Audit log ------------------------------------------------------- */

int pgs_audit_insert(struct store *st, struct store_audit *a)
{
	struct pg_args args = { 0 };
	int64_t id = 0;
	int rc;

	pg_arg_i64(&args, a->hive_id);
	pg_arg_id(&args, a->actor_id);
	pg_arg_text(&args, a->action);
	pg_arg_id(&args, a->target_user_id);
	pg_arg_id(&args, a->message_id);
	pg_arg_id(&args, a->channel_id);
	pg_arg_text(&args, a->reason);
	pg_arg_text(&args, a->detail[0] ? a->detail : "{}");
	pg_arg_i64(&args, a->created_at);
	rc = pg_one(st, &q_audit_insert, &args, pg_read_i64, &id);
	if (!rc)
		a->id = id;
	return rc;
}

static void read_audit(const PGresult *r, int row, void *out)
{
	struct store_audit *a = out;

	a->id = pg_i64(r, row, 0);
	a->hive_id = pg_i64(r, row, 1);
	a->actor_id = pg_i64(r, row, 2);
	pg_text(r, row, 3, a->action, sizeof(a->action));
	a->target_user_id = pg_i64(r, row, 4);
	a->message_id = pg_i64(r, row, 5);
	a->channel_id = pg_i64(r, row, 6);
	pg_text(r, row, 7, a->reason, sizeof(a->reason));
	pg_text(r, row, 8, a->detail, sizeof(a->detail));
	a->created_at = pg_i64(r, row, 9);
}

int pgs_audit_list(struct store *st, const struct store_audit_filter *f,
		   struct store_audit **out, size_t *n)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, f->hive_id);
	pg_arg_text(&a, f->action);
	pg_arg_i64(&a, f->actor_id);
	pg_arg_i64(&a, f->target_id);
	pg_arg_i64(&a, f->since);
	pg_arg_i64(&a, f->until);
	pg_arg_i64(&a, f->before_id);
	pg_arg_i64(&a, f->limit > 0 ? f->limit : 100);
	return pg_list(st, &q_audit_list, &a, sizeof(**out), read_audit,
		       (void **)out, n);
}
