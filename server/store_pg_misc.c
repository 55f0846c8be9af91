/*
 * store_pg_misc.c - PostgreSQL: supervision, pairing, calendar feeds,
 * scheduled messages, reminders and events for one user.
 *
 * Part of the PostgreSQL backend of store.h (store_pg.h says how its
 * files run statements); answers as store_sqlite.c does.
 */
#include <stdlib.h>
#include <string.h>

#include "ruche/err.h"
#include "store_pg.h"

/* ---- Supervision ----------------------------------------------------- */

/*
 * As in SQLite: a question is a learner's message in the hive's channel
 * named help, neither in a thread nor quoting another; it counts as
 * unanswered once a day has gone by without someone else answering it
 * in its thread or quoting it.  $1 hive, [$2, $3), $4 now.
 */
static struct pg_sql q_sup_hive = PG_SQL(
	"WITH hm AS (SELECT m.* FROM messages m "
	"JOIN channels c ON c.id = m.channel_id "
	"WHERE c.hive_id = $1 AND m.created_at >= $2 "
	"AND m.created_at < $3), "
	"q AS (SELECT m.* FROM hm m JOIN channels c "
	"ON c.id = m.channel_id AND c.name = 'help' COLLATE nocase "
	"JOIN memberships ms ON ms.hive_id = $1 "
	"AND ms.user_id = m.author_id AND ms.role = 'learner' "
	"WHERE m.thread_id IS NULL AND m.reply_to IS NULL) "
	"SELECT (SELECT count(DISTINCT m.author_id) FROM hm m "
	"JOIN memberships ms ON ms.hive_id = $1 "
	"AND ms.user_id = m.author_id AND ms.role = 'learner'), "
	"(SELECT count(*) FROM hm), (SELECT count(*) FROM q), "
	"(SELECT count(*) FROM q WHERE q.created_at <= $4::bigint - 86400000 "
	"AND NOT EXISTS (SELECT 1 FROM messages r "
	"WHERE r.channel_id = q.channel_id "
	"AND (r.thread_id = q.id OR r.reply_to = q.id) "
	"AND r.author_id <> q.author_id "
	"AND r.created_at <= q.created_at + 86400000)), "
	"(SELECT count(*) FROM reports WHERE hive_id = $1 "
	"AND created_at >= $2 AND created_at < $3), "
	"(SELECT count(*) FROM reports WHERE hive_id = $1 "
	"AND resolved_at >= $2 AND resolved_at < $3), "
	"(SELECT count(*) FROM audit_log WHERE hive_id = $1 "
	"AND actor_id IS NOT NULL AND created_at >= $2 "
	"AND created_at < $3), "
	"(SELECT count(*) FROM audit_log WHERE hive_id = $1 "
	"AND actor_id IS NULL AND created_at >= $2 AND created_at < $3)");

/* Messages per UTC day (bigint division truncates as SQLite's does). */
static struct pg_sql q_sup_days = PG_SQL(
	"SELECT m.created_at / 86400000 * 86400000 AS day, count(*) "
	"FROM messages m JOIN channels c ON c.id = m.channel_id "
	"WHERE c.hive_id = $1 AND m.created_at >= $2 "
	"AND m.created_at < $3 GROUP BY day ORDER BY day");

/*
 * The mentors of hive $1 (0: of every hive), with what they did in their
 * hives over [$2, $3).  A mentor's hives come by id (SQLite reads them
 * through an index on (user_id, hive_id)); names sort by their bytes, as
 * SQLite's BINARY does.
 */
static struct pg_sql q_sup_mentors = PG_SQL(
	"WITH mh AS (SELECT user_id, hive_id FROM memberships "
	"WHERE role = 'mentor' AND ($1::bigint = 0 OR hive_id = $1)) "
	"SELECT u.id, u.display_name, "
	"(SELECT count(*) FROM messages m JOIN channels c "
	"ON c.id = m.channel_id JOIN mh ON mh.user_id = u.id "
	"AND mh.hive_id = c.hive_id WHERE m.author_id = u.id "
	"AND m.created_at >= $2 AND m.created_at < $3), "
	"(SELECT count(*) FROM messages r JOIN messages q "
	"ON q.id = coalesce(r.thread_id, r.reply_to) "
	"JOIN channels c ON c.id = r.channel_id "
	"AND c.name = 'help' COLLATE nocase "
	"JOIN mh ON mh.user_id = u.id AND mh.hive_id = c.hive_id "
	"WHERE r.author_id = u.id AND q.author_id <> u.id "
	"AND r.created_at >= $2 AND r.created_at < $3), "
	"(SELECT count(*) FROM reports WHERE resolved_by = u.id "
	"AND ($1 = 0 OR hive_id = $1) AND resolved_at >= $2 "
	"AND resolved_at < $3), "
	"(SELECT count(*) FROM audit_log WHERE actor_id = u.id "
	"AND ($1 = 0 OR hive_id = $1) AND created_at >= $2 "
	"AND created_at < $3), "
	"(SELECT string_agg(hive_id::text, ',' ORDER BY hive_id) "
	"FROM mh WHERE user_id = u.id) "
	"FROM users u WHERE u.id IN (SELECT user_id FROM mh) "
	"ORDER BY u.display_name COLLATE \"C\", u.id");

/* How long reports of hive $1 (0: any) resolved by $4 (0: anyone) over
 * [$2, $3) stayed open, shortest first. */
static struct pg_sql q_sup_resolve_times = PG_SQL(
	"SELECT resolved_at - created_at FROM reports "
	"WHERE ($1::bigint = 0 OR hive_id = $1) "
	"AND ($4::bigint = 0 OR resolved_by = $4) "
	"AND resolved_at >= $2 AND resolved_at < $3 ORDER BY 1");

/* Binds ($1 key, $2 from, $3 to) of a supervision statement. */
static void sup_args(struct pg_args *a, int64_t key, int64_t from,
		     int64_t to)
{
	pg_arg_i64(a, key);
	pg_arg_i64(a, from);
	pg_arg_i64(a, to);
}

static void read_hive_stats(const PGresult *r, int row, void *out)
{
	struct store_hive_stats *h = out;
	int64_t *f[] = { &h->active_learners, &h->messages,
			 &h->help_questions, &h->help_unanswered,
			 &h->reports_opened, &h->reports_resolved,
			 &h->mod_actions, &h->auto_actions };

	for (int i = 0; i < (int)(sizeof(f) / sizeof(f[0])); i++)
		*f[i] = pg_i64(r, row, i);
}

int pgs_hive_stats(struct store *st, int64_t hive_id, int64_t from,
		   int64_t to, int64_t now, struct store_hive_stats *out)
{
	struct pg_args a = { 0 };

	sup_args(&a, hive_id, from, to);
	pg_arg_i64(&a, now);
	memset(out, 0, sizeof(*out));
	return pg_one(st, &q_sup_hive, &a, read_hive_stats, out);
}

static void read_day(const PGresult *r, int row, void *out)
{
	struct store_day_count *d = out;

	d->day = pg_i64(r, row, 0);
	d->count = pg_i64(r, row, 1);
}

int pgs_hive_days(struct store *st, int64_t hive_id, int64_t from,
		  int64_t to, struct store_day_count **out, size_t *n)
{
	struct pg_args a = { 0 };

	sup_args(&a, hive_id, from, to);
	return pg_list(st, &q_sup_days, &a, sizeof(**out), read_day,
		       (void **)out, n);
}

static void read_mentor_stats(const PGresult *r, int row, void *out)
{
	struct store_mentor_stats *m = out;
	const char *hives = PQgetvalue(r, row, 6);

	m->user_id = pg_i64(r, row, 0);
	pg_text(r, row, 1, m->name, sizeof(m->name));
	m->messages = pg_i64(r, row, 2);
	m->help_answers = pg_i64(r, row, 3);
	m->reports_resolved = pg_i64(r, row, 4);
	m->mod_actions = pg_i64(r, row, 5);
	/* string_agg of ids: "3,7,12". */
	while (*hives && m->nhives < STORE_MENTOR_HIVES) {
		char *end;

		m->hive_ids[m->nhives++] = strtoll(hives, &end, 10);
		if (*end != ',')
			break;
		hives = end + 1;
	}
}

int pgs_mentor_stats(struct store *st, int64_t hive_id, int64_t from,
		     int64_t to, struct store_mentor_stats **out, size_t *n)
{
	struct pg_args a = { 0 };

	sup_args(&a, hive_id, from, to);
	return pg_list(st, &q_sup_mentors, &a, sizeof(**out),
		       read_mentor_stats, (void **)out, n);
}

int pgs_resolve_times(struct store *st, int64_t hive_id, int64_t by_id,
		      int64_t from, int64_t to, int64_t **out, size_t *n)
{
	struct pg_args a = { 0 };

	sup_args(&a, hive_id, from, to);
	pg_arg_i64(&a, by_id);
	return pg_list(st, &q_sup_resolve_times, &a, sizeof(**out), pg_read_i64,
		       (void **)out, n);
}

/* ---- Calendar feeds -------------------------------------------------- */

/* One feed a user, replaced when made anew. */
static struct pg_sql q_ics_set = PG_SQL(
	"INSERT INTO ics_feeds(user_id, token_hash, created_at) "
	"VALUES ($1, $2, $3) ON CONFLICT (user_id) DO UPDATE SET "
	"token_hash = excluded.token_hash, "
	"created_at = excluded.created_at");
static struct pg_sql q_ics_get = PG_SQL(
	"SELECT created_at FROM ics_feeds WHERE user_id = $1");
static struct pg_sql q_ics_user = PG_SQL(
	"SELECT user_id FROM ics_feeds WHERE token_hash = $1");
/* The meetups of user $1's hives starting from $2 on, at most $3. */
static struct pg_sql q_ics_meetups = PG_SQL(
	"SELECT " PG_MEETUP_COLUMNS " FROM meetups WHERE hive_id IN "
	"(SELECT hive_id FROM memberships WHERE user_id = $1) "
	"AND start_at >= $2 ORDER BY start_at, id LIMIT $3::bigint");

int pgs_ics_set(struct store *st, int64_t user_id,
		const unsigned char digest[AUTH_DIGEST_LEN], int64_t now)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, user_id);
	pg_arg_bytes(&a, digest, AUTH_DIGEST_LEN);
	pg_arg_i64(&a, now);
	return pg_run(st, &q_ics_set, &a, true);
}

int pgs_ics_get(struct store *st, int64_t user_id, int64_t *created_at)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, user_id);
	return pg_one(st, &q_ics_get, &a, pg_read_i64, created_at);
}

int pgs_ics_user(struct store *st,
		 const unsigned char digest[AUTH_DIGEST_LEN], int64_t *user_id)
{
	struct pg_args a = { 0 };

	pg_arg_bytes(&a, digest, AUTH_DIGEST_LEN);
	return pg_one(st, &q_ics_user, &a, pg_read_i64, user_id);
}

int pgs_ics_meetups(struct store *st, int64_t user_id, int64_t since,
		    int limit, struct store_meetup **out, size_t *n)
{
	struct pg_args a = { 0 };
	int rc;

	pg_arg_i64(&a, user_id);
	pg_arg_i64(&a, since);
	pg_arg_limit(&a, limit);
	rc = pg_list(st, &q_ics_meetups, &a, sizeof(**out), pg_read_meetup,
		     (void **)out, n);
	/* A script that could not be copied (out of memory) fails all. */
	for (size_t i = 0; !rc && i < *n; i++)
		if (!(*out)[i].script) {
			store_meetup_list_free(*out, *n);
			*out = NULL;
			*n = 0;
			rc = RUCHE_ENOMEM;
		}
	return rc;
}

/* ---- Scheduled messages and reminders -------------------------------- */

#define SCHED_COLS "id, author_id, channel_id, text, at, repeat, created_at"
static struct pg_sql q_sched_insert = PG_SQL(
	"INSERT INTO scheduled_messages(author_id, channel_id, text, "
	"at, repeat, created_at) VALUES ($1, $2, $3, $4, $5, $6) "
	"RETURNING id");
static struct pg_sql q_sched_get = PG_SQL(
	"SELECT " SCHED_COLS " FROM scheduled_messages WHERE id = $1");
static struct pg_sql q_sched_list = PG_SQL(
	"SELECT " SCHED_COLS " FROM scheduled_messages "
	"WHERE author_id = $1 ORDER BY at, id LIMIT $2::bigint");
static struct pg_sql q_sched_update = PG_SQL(
	"UPDATE scheduled_messages SET text = $2, at = $3, repeat = $4 "
	"WHERE id = $1");
static struct pg_sql q_sched_delete = PG_SQL(
	"DELETE FROM scheduled_messages WHERE id = $1");
static struct pg_sql q_sched_due = PG_SQL(
	"SELECT " SCHED_COLS " FROM scheduled_messages WHERE at <= $1 "
	"ORDER BY at, id LIMIT $2::bigint");

/* With the message's channel, 0 once the message is gone. */
#define REMIND_COLS "r.id, r.user_id, r.message_id, r.at, r.created_at, " \
	"coalesce((SELECT channel_id FROM messages WHERE id = r.message_id), 0)"
static struct pg_sql q_remind_insert = PG_SQL(
	"INSERT INTO reminders(user_id, message_id, at, created_at) "
	"VALUES ($1, $2, $3, $4) RETURNING id");
static struct pg_sql q_remind_get = PG_SQL(
	"SELECT " REMIND_COLS " FROM reminders r WHERE id = $1");
static struct pg_sql q_remind_list = PG_SQL(
	"SELECT " REMIND_COLS " FROM reminders r WHERE user_id = $1 "
	"ORDER BY at, id LIMIT $2::bigint");
static struct pg_sql q_remind_delete = PG_SQL(
	"DELETE FROM reminders WHERE id = $1");
static struct pg_sql q_remind_due = PG_SQL(
	"SELECT " REMIND_COLS " FROM reminders r WHERE at <= $1 "
	"ORDER BY at, id LIMIT $2::bigint");

/* An event of the log addressed to one user (0010); its position comes
 * from event_positions (a trigger, postgres/0002). */
static struct pg_sql q_event_user_insert = PG_SQL(
	"INSERT INTO events(user_id, kind, data, created_at) "
	"VALUES ($1, $2, $3, $4) RETURNING pos");

static void read_sched(const PGresult *r, int row, void *out)
{
	struct store_sched *x = out;

	x->id = pg_i64(r, row, 0);
	x->author_id = pg_i64(r, row, 1);
	x->channel_id = pg_i64(r, row, 2);
	x->text = pg_strdup(r, row, 3);
	x->at = pg_i64(r, row, 4);
	pg_text(r, row, 5, x->repeat, sizeof(x->repeat));
	x->created_at = pg_i64(r, row, 6);
}

/* A list of a query of scheduled messages; a row whose text could not
 * be copied (out of memory) fails the call. */
static int sched_list(struct store *st, struct pg_sql *q, int64_t key,
		      int limit, struct store_sched **out, size_t *n)
{
	struct pg_args a = { 0 };
	int rc;

	pg_arg_i64(&a, key);
	pg_arg_limit(&a, limit);
	rc = pg_list(st, q, &a, sizeof(**out), read_sched, (void **)out, n);
	for (size_t i = 0; !rc && i < *n; i++)
		if (!(*out)[i].text) {
			store_sched_list_free(*out, *n);
			*out = NULL;
			*n = 0;
			rc = RUCHE_ENOMEM;
		}
	return rc;
}

int pgs_sched_insert(struct store *st, struct store_sched *x)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, x->author_id);
	pg_arg_i64(&a, x->channel_id);
	pg_arg_text(&a, x->text);
	pg_arg_i64(&a, x->at);
	pg_arg_text(&a, x->repeat);
	pg_arg_i64(&a, x->created_at);
	return pg_one(st, &q_sched_insert, &a, pg_read_i64, &x->id);
}

int pgs_sched_get(struct store *st, int64_t id, struct store_sched *out)
{
	struct pg_args a = { 0 };
	int rc;

	pg_arg_i64(&a, id);
	memset(out, 0, sizeof(*out));
	rc = pg_one(st, &q_sched_get, &a, read_sched, out);
	if (!rc && !out->text)
		rc = RUCHE_ENOMEM;
	return rc;
}

int pgs_sched_list(struct store *st, int64_t author_id, int limit,
		   struct store_sched **out, size_t *n)
{
	return sched_list(st, &q_sched_list, author_id, limit, out, n);
}

int pgs_sched_update(struct store *st, const struct store_sched *x)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, x->id);
	pg_arg_text(&a, x->text);
	pg_arg_i64(&a, x->at);
	pg_arg_text(&a, x->repeat);
	return pg_run(st, &q_sched_update, &a, true);
}

int pgs_sched_delete(struct store *st, int64_t id)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, id);
	return pg_run(st, &q_sched_delete, &a, true);
}

int pgs_sched_due(struct store *st, int64_t now, int limit,
		  struct store_sched **out, size_t *n)
{
	return sched_list(st, &q_sched_due, now, limit, out, n);
}

static void read_reminder(const PGresult *r, int row, void *out)
{
	struct store_reminder *x = out;

	x->id = pg_i64(r, row, 0);
	x->user_id = pg_i64(r, row, 1);
	x->message_id = pg_i64(r, row, 2);
	x->at = pg_i64(r, row, 3);
	x->created_at = pg_i64(r, row, 4);
	x->channel_id = pg_i64(r, row, 5);
}

static int reminder_list(struct store *st, struct pg_sql *q, int64_t key,
			 int limit, struct store_reminder **out, size_t *n)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, key);
	pg_arg_limit(&a, limit);
	return pg_list(st, q, &a, sizeof(**out), read_reminder, (void **)out,
		       n);
}

int pgs_reminder_insert(struct store *st, struct store_reminder *x)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, x->user_id);
	pg_arg_i64(&a, x->message_id);
	pg_arg_i64(&a, x->at);
	pg_arg_i64(&a, x->created_at);
	return pg_one(st, &q_remind_insert, &a, pg_read_i64, &x->id);
}

int pgs_reminder_get(struct store *st, int64_t id, struct store_reminder *out)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, id);
	return pg_one(st, &q_remind_get, &a, read_reminder, out);
}

int pgs_reminder_list(struct store *st, int64_t user_id, int limit,
		      struct store_reminder **out, size_t *n)
{
	return reminder_list(st, &q_remind_list, user_id, limit, out, n);
}

int pgs_reminder_delete(struct store *st, int64_t id)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, id);
	return pg_run(st, &q_remind_delete, &a, true);
}

int pgs_reminder_due(struct store *st, int64_t now, int limit,
		     struct store_reminder **out, size_t *n)
{
	return reminder_list(st, &q_remind_due, now, limit, out, n);
}

int pgs_event_insert_user(struct store *st, int64_t user_id,
			  const char *kind, const char *data, int64_t now,
			  int64_t *pos)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, user_id);
	pg_arg_text(&a, kind);
	pg_arg_text(&a, data);
	pg_arg_i64(&a, now);
	return pg_one(st, &q_event_user_insert, &a, pg_read_i64, pos);
}

/* ---- Pairing --------------------------------------------------------- */

#define PAIRING_COLS \
	"hive_id, enabled, every_days, coalesce(next_at, 0), prompt, " \
	"coalesce(updated_by, 0), updated_at"
static struct pg_sql q_pairing_get = PG_SQL(
	"SELECT " PAIRING_COLS " FROM pairing_settings WHERE hive_id = $1");
static struct pg_sql q_pairing_set = PG_SQL(
	"INSERT INTO pairing_settings(hive_id, enabled, every_days, "
	"next_at, prompt, updated_by, updated_at) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7) "
	"ON CONFLICT (hive_id) DO UPDATE SET "
	"enabled = excluded.enabled, every_days = excluded.every_days, "
	"next_at = excluded.next_at, prompt = excluded.prompt, "
	"updated_by = excluded.updated_by, "
	"updated_at = excluded.updated_at");
static struct pg_sql q_pairing_due = PG_SQL(
	"SELECT " PAIRING_COLS " FROM pairing_settings "
	"WHERE enabled <> 0 AND next_at <= $1 ORDER BY next_at, hive_id "
	"LIMIT $2::bigint");

#define PAIRING_ROUND_COLS \
	"id, hive_id, coalesce(due_at, 0), ran_at, status, reason, " \
	"coalesce(run_by, 0)"
/*
 * A second round for the same due time breaks pairing_rounds_due: the
 * caller takes that RUCHE_EEXIST as the round being done already.  It is
 * looked for first, so that the refused insert takes no id from the
 * sequence (SQLite's next id stays the same); the constraint still
 * decides between two nodes racing.
 */
static struct pg_sql q_pairing_round_insert = PG_SQL_CONFLICT(
	"INSERT INTO pairing_rounds(hive_id, due_at, ran_at, status, "
	"reason, run_by) SELECT $1::bigint, $2::bigint, $3::bigint, "
	"$4::text, $5::text, $6::bigint WHERE NOT EXISTS (SELECT 1 "
	"FROM pairing_rounds WHERE hive_id = $1 AND due_at = $2) "
	"RETURNING id");
static struct pg_sql q_pairing_member_insert = PG_SQL(
	"INSERT INTO pairing_members(round_id, group_no, user_id, "
	"channel_id) VALUES ($1, $2, $3, $4)");
static struct pg_sql q_pairing_rounds = PG_SQL(
	"SELECT " PAIRING_ROUND_COLS " FROM pairing_rounds "
	"WHERE hive_id = $1 ORDER BY id DESC LIMIT $2::bigint");
static struct pg_sql q_pairing_members = PG_SQL(
	"SELECT group_no, user_id, coalesce(channel_id, 0) "
	"FROM pairing_members WHERE round_id = $1 "
	"ORDER BY group_no, user_id");
/* Pairs of the same group in hive $1's last $2 paired rounds, with the
 * round's age (0: the latest); in the order of SQLite's plan. */
static struct pg_sql q_pairing_recent = PG_SQL(
	"WITH r AS (SELECT id, row_number() OVER (ORDER BY id DESC) - 1 "
	"AS age FROM pairing_rounds WHERE hive_id = $1 "
	"AND status = 'paired' ORDER BY id DESC LIMIT $2::bigint) "
	"SELECT a.user_id, b.user_id, r.age FROM r "
	"JOIN pairing_members a ON a.round_id = r.id "
	"JOIN pairing_members b ON b.round_id = r.id "
	"AND b.group_no = a.group_no AND a.user_id < b.user_id "
	"ORDER BY r.age, a.user_id, b.user_id");

static void read_pairing(const PGresult *r, int row, void *out)
{
	struct store_pairing *p = out;

	p->hive_id = pg_i64(r, row, 0);
	p->enabled = pg_bool(r, row, 1);
	p->every_days = (int)pg_i64(r, row, 2);
	p->next_at = pg_i64(r, row, 3);
	p->prompt = strdup(PQgetvalue(r, row, 4));	/* "" for NULL */
	p->updated_by = pg_i64(r, row, 5);
	p->updated_at = pg_i64(r, row, 6);
}

int pgs_pairing_get(struct store *st, int64_t hive_id,
		    struct store_pairing *out)
{
	struct pg_args a = { 0 };
	int rc;

	pg_arg_i64(&a, hive_id);
	memset(out, 0, sizeof(*out));
	rc = pg_one(st, &q_pairing_get, &a, read_pairing, out);
	if (!rc && !out->prompt)
		rc = RUCHE_ENOMEM;
	return rc;
}

int pgs_pairing_set(struct store *st, const struct store_pairing *p)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, p->hive_id);
	pg_arg_bool(&a, p->enabled);
	pg_arg_i64(&a, p->every_days);
	pg_arg_id(&a, p->next_at);
	pg_arg_text(&a, p->prompt ? p->prompt : "");
	pg_arg_id(&a, p->updated_by);
	pg_arg_i64(&a, p->updated_at);
	return pg_run(st, &q_pairing_set, &a, true);
}

int pgs_pairing_due(struct store *st, int64_t now, int limit,
		    struct store_pairing **out, size_t *n)
{
	struct pg_args a = { 0 };
	int rc;

	pg_arg_i64(&a, now);
	pg_arg_limit(&a, limit);
	rc = pg_list(st, &q_pairing_due, &a, sizeof(**out), read_pairing,
		     (void **)out, n);
	for (size_t i = 0; !rc && i < *n; i++)
		if (!(*out)[i].prompt) {
			store_pairing_list_free(*out, *n);
			*out = NULL;
			*n = 0;
			rc = RUCHE_ENOMEM;
		}
	return rc;
}

int pgs_pairing_round_insert(struct store *st, struct store_pairing_round *r)
{
	struct pg_args a = { 0 };
	int rc;

	pg_arg_i64(&a, r->hive_id);
	pg_arg_id(&a, r->due_at);
	pg_arg_i64(&a, r->ran_at);
	pg_arg_text(&a, r->status);
	pg_arg_text(&a, r->reason);
	pg_arg_id(&a, r->run_by);
	rc = pg_one(st, &q_pairing_round_insert, &a, pg_read_i64, &r->id);
	return rc == RUCHE_ENOTFOUND ? RUCHE_EEXIST : rc;
}

int pgs_pairing_member_insert(struct store *st, int64_t round_id,
			      const struct store_pairing_member *m)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, round_id);
	pg_arg_i64(&a, m->group_no);
	pg_arg_i64(&a, m->user_id);
	pg_arg_id(&a, m->channel_id);
	return pg_run(st, &q_pairing_member_insert, &a, true);
}

static void read_pairing_round(const PGresult *res, int row, void *out)
{
	struct store_pairing_round *r = out;

	r->id = pg_i64(res, row, 0);
	r->hive_id = pg_i64(res, row, 1);
	r->due_at = pg_i64(res, row, 2);
	r->ran_at = pg_i64(res, row, 3);
	pg_text(res, row, 4, r->status, sizeof(r->status));
	pg_text(res, row, 5, r->reason, sizeof(r->reason));
	r->run_by = pg_i64(res, row, 6);
}

int pgs_pairing_rounds(struct store *st, int64_t hive_id, int limit,
		       struct store_pairing_round **out, size_t *n)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, hive_id);
	pg_arg_limit(&a, limit);
	return pg_list(st, &q_pairing_rounds, &a, sizeof(**out),
		       read_pairing_round, (void **)out, n);
}

static void read_pairing_member(const PGresult *r, int row, void *out)
{
	struct store_pairing_member *m = out;

	m->group_no = (int)pg_i64(r, row, 0);
	m->user_id = pg_i64(r, row, 1);
	m->channel_id = pg_i64(r, row, 2);
}

int pgs_pairing_members(struct store *st, int64_t round_id,
			struct store_pairing_member **out, size_t *n)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, round_id);
	return pg_list(st, &q_pairing_members, &a, sizeof(**out),
		       read_pairing_member, (void **)out, n);
}

static void read_pairing_meet(const PGresult *r, int row, void *out)
{
	struct store_pairing_meet *m = out;

	m->a = pg_i64(r, row, 0);
	m->b = pg_i64(r, row, 1);
	m->age = (int)pg_i64(r, row, 2);
}

int pgs_pairing_recent(struct store *st, int64_t hive_id, int rounds,
		       struct store_pairing_meet **out, size_t *n)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, hive_id);
	pg_arg_limit(&a, rounds);
	return pg_list(st, &q_pairing_recent, &a, sizeof(**out),
		       read_pairing_meet, (void **)out, n);
}
