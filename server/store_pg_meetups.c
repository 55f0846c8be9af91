/*
 * store_pg_meetups.c - PostgreSQL: meetups, scripts, RSVPs, participants,
 * turns, groups, answers and feedback.
 *
 * Part of the PostgreSQL backend of store.h (store_pg.h says how its
 * files run statements); answers as store_sqlite.c does.
 *
 * Where SQLite read rows in rowid order, PostgreSQL has none:
 * meetup_participants keeps a seq identity column for it (who joined
 * first among those of the same millisecond).
 */
#include <stdlib.h>
#include <string.h>

#include "ruche/err.h"
#include "store_pg.h"

/* ---- Statements ------------------------------------------------------ */

static struct pg_sql q_meetup_insert = PG_SQL(
	"INSERT INTO meetups(hive_id, title, script, start_at, "
	"recurrence, cap, state, reminded, created_by, created_at) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, nullif($9::bigint, 0), "
	"$10) RETURNING id");
static struct pg_sql q_meetup_get = PG_SQL(
	"SELECT " PG_MEETUP_COLUMNS " FROM meetups WHERE id = $1");
static struct pg_sql q_meetup_upcoming = PG_SQL(
	"SELECT " PG_MEETUP_COLUMNS " FROM meetups WHERE hive_id = $1 "
	"AND state IN ('scheduled', 'running', 'paused') "
	"ORDER BY start_at, id");
static struct pg_sql q_meetup_remind_due = PG_SQL(
	"SELECT " PG_MEETUP_COLUMNS " FROM meetups WHERE state = 'scheduled' "
	"AND start_at > $1::bigint AND start_at <= $1::bigint + $2::bigint "
	"AND (reminded & $3::bigint) = 0 "
	"ORDER BY start_at, id LIMIT $4");
static struct pg_sql q_meetup_set_state = PG_SQL(
	"UPDATE meetups SET state = $2, "
	"ended_at = coalesce(nullif($3::bigint, 0), ended_at) WHERE id = $1");
static struct pg_sql q_meetup_set_reminded = PG_SQL(
	"UPDATE meetups SET reminded = $2 WHERE id = $1");
static struct pg_sql q_rsvp_set = PG_SQL(
	"INSERT INTO meetup_rsvps(meetup_id, user_id, answer, updated_at) "
	"VALUES ($1, $2, $3, $4) "
	"ON CONFLICT (meetup_id, user_id) DO UPDATE SET "
	"answer = excluded.answer, updated_at = excluded.updated_at");
static struct pg_sql q_rsvp_get = PG_SQL(
	"SELECT answer FROM meetup_rsvps WHERE meetup_id = $1 "
	"AND user_id = $2");
static struct pg_sql q_rsvp_users = PG_SQL(
	"SELECT user_id FROM meetup_rsvps WHERE meetup_id = $1 "
	"AND answer = $2 ORDER BY user_id");

#define SCRIPT_COLS "id, hive_id, title, script, coalesce(created_by, 0), " \
	"created_at, updated_at"

static struct pg_sql q_script_insert = PG_SQL(
	"INSERT INTO meetup_scripts(hive_id, title, script, "
	"created_by, created_at, updated_at) "
	"VALUES ($1, $2, $3, nullif($4::bigint, 0), $5, $5) RETURNING id");
static struct pg_sql q_script_update = PG_SQL(
	"UPDATE meetup_scripts SET title = $2, script = $3, "
	"updated_at = $4 WHERE id = $1");
static struct pg_sql q_script_get = PG_SQL(
	"SELECT " SCRIPT_COLS " FROM meetup_scripts WHERE id = $1");
/* SQLite's BINARY order of titles is C's, whatever the database's. */
static struct pg_sql q_script_list = PG_SQL(
	"SELECT " SCRIPT_COLS " FROM meetup_scripts WHERE hive_id = $1 "
	"ORDER BY title COLLATE \"C\", id");
static struct pg_sql q_script_delete = PG_SQL(
	"DELETE FROM meetup_scripts WHERE id = $1");

static struct pg_sql q_meetup_due_start = PG_SQL(
	"SELECT " PG_MEETUP_COLUMNS " FROM meetups WHERE state = 'scheduled' "
	"AND start_at <= $1 ORDER BY start_at, id LIMIT $2");
/* The first by id, as SQLite's walk of the channel_id index gives. */
static struct pg_sql q_meetup_by_channel = PG_SQL(
	"SELECT " PG_MEETUP_COLUMNS " FROM meetups WHERE channel_id = $1 "
	"ORDER BY id LIMIT 1");
static struct pg_sql q_meetup_live = PG_SQL(
	"SELECT " PG_MEETUP_COLUMNS " FROM meetups "
	"WHERE state IN ('running', 'paused') ORDER BY id");
static struct pg_sql q_meetup_save_run = PG_SQL(
	"UPDATE meetups SET state = $2, step = $3, "
	"step_started_at = nullif($4::bigint, 0), "
	"step_ends_at = nullif($5::bigint, 0), "
	"paused_left_ms = nullif($6::bigint, 0), "
	"channel_id = nullif($7::bigint, 0), "
	"started_at = nullif($8::bigint, 0), "
	"ended_at = nullif($9::bigint, 0) "
	"WHERE id = $1");

static struct pg_sql q_part_join = PG_SQL(
	"INSERT INTO meetup_participants(meetup_id, user_id, joined_at) "
	"VALUES ($1, $2, $3) ON CONFLICT (meetup_id, user_id) "
	"DO UPDATE SET left_at = NULL");
static struct pg_sql q_part_leave = PG_SQL(
	"UPDATE meetup_participants SET left_at = $3 "
	"WHERE meetup_id = $1 AND user_id = $2 AND left_at IS NULL");
static struct pg_sql q_part_present = PG_SQL(
	"SELECT user_id FROM meetup_participants WHERE meetup_id = $1 "
	"AND left_at IS NULL ORDER BY joined_at, seq");
static struct pg_sql q_part_list = PG_SQL(
	"SELECT user_id, joined_at, coalesce(left_at, 0) "
	"FROM meetup_participants WHERE meetup_id = $1 "
	"ORDER BY joined_at, seq");

/*
 * A position taken is RUCHE_EEXIST, as SQLite's failed insert: counted
 * here rather than raised, which would abort the whole transaction.
 */
static struct pg_sql q_turn_insert = PG_SQL(
	"INSERT INTO meetup_turns(meetup_id, step, position, user_id) "
	"VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING");
static struct pg_sql q_turn_list = PG_SQL(
	"SELECT user_id, done, position FROM meetup_turns "
	"WHERE meetup_id = $1 AND step = $2 ORDER BY position");
static struct pg_sql q_turn_done = PG_SQL(
	"UPDATE meetup_turns SET done = 1 WHERE meetup_id = $1 "
	"AND step = $2 AND user_id = $3");
static struct pg_sql q_turn_delete = PG_SQL(
	"DELETE FROM meetup_turns WHERE meetup_id = $1 AND step = $2 "
	"AND user_id = $3 AND done = 0");

static struct pg_sql q_group_insert = PG_SQL(
	"INSERT INTO meetup_groups(meetup_id, step, group_no, user_id, "
	"channel_id, created_at) "
	"VALUES ($1, $2, $3, $4, nullif($5::bigint, 0), $6) "
	"ON CONFLICT (meetup_id, step, user_id) DO UPDATE SET "
	"group_no = excluded.group_no, channel_id = excluded.channel_id");
static struct pg_sql q_group_list = PG_SQL(
	"SELECT group_no, user_id, coalesce(channel_id, 0) "
	"FROM meetup_groups WHERE meetup_id = $1 AND step = $2 "
	"ORDER BY group_no, user_id");
/* SQLite gives a's rows in rowid order; the caller only counts pairs. */
static struct pg_sql q_group_recent = PG_SQL(
	"SELECT a.user_id, b.user_id FROM meetup_groups a "
	"JOIN meetup_groups b ON b.meetup_id = a.meetup_id "
	"AND b.step = a.step AND b.group_no = a.group_no "
	"AND b.user_id <> a.user_id WHERE a.created_at >= $1 "
	"ORDER BY a.meetup_id, a.step, a.user_id, b.user_id");

static struct pg_sql q_answer_set = PG_SQL(
	"INSERT INTO meetup_answers(meetup_id, step, user_id, choices, "
	"answered_at) VALUES ($1, $2, $3, $4, $5) "
	"ON CONFLICT (meetup_id, step, user_id) DO UPDATE SET "
	"choices = excluded.choices, answered_at = excluded.answered_at");
/* By user, as SQLite's walk of the primary key gives. */
static struct pg_sql q_answer_list = PG_SQL(
	"SELECT choices FROM meetup_answers WHERE meetup_id = $1 "
	"AND step = $2 ORDER BY user_id");

static struct pg_sql q_feedback_set = PG_SQL(
	"INSERT INTO meetup_feedback(meetup_id, user_id, nps, comment, "
	"created_at) VALUES ($1, $2, $3, $4, $5) "
	"ON CONFLICT (meetup_id, user_id) DO UPDATE SET "
	"nps = excluded.nps, comment = excluded.comment");
static struct pg_sql q_feedback_stats = PG_SQL(
	"SELECT count(*), count(*) FILTER (WHERE nps >= 9), "
	"count(*) FILTER (WHERE nps <= 6), coalesce(sum(nps), 0)::bigint "
	"FROM meetup_feedback WHERE meetup_id = $1");
static struct pg_sql q_feedback_list = PG_SQL(
	"SELECT user_id, nps, comment, created_at FROM meetup_feedback "
	"WHERE meetup_id = $1 ORDER BY created_at, user_id");

/* The figures of the meetups of m: how many, how many said going, how
 * many of those came, and the NPS answers. */
#define MEETUP_STATS \
	"SELECT (SELECT count(*) FROM m), " \
	"(SELECT count(*) FROM meetup_rsvps r JOIN m ON m.id = " \
	"r.meetup_id WHERE r.answer = 'going'), " \
	"(SELECT count(*) FROM meetup_rsvps r JOIN m ON m.id = " \
	"r.meetup_id JOIN meetup_participants p ON p.meetup_id = " \
	"r.meetup_id AND p.user_id = r.user_id WHERE r.answer = 'going'), " \
	"(SELECT count(*) FROM meetup_feedback f JOIN m ON m.id = " \
	"f.meetup_id), " \
	"(SELECT count(*) FROM meetup_feedback f JOIN m ON m.id = " \
	"f.meetup_id WHERE f.nps >= 9), " \
	"(SELECT count(*) FROM meetup_feedback f JOIN m ON m.id = " \
	"f.meetup_id WHERE f.nps <= 6)"

/* Meetups of hive $1 ended over [$2, $3). */
static struct pg_sql q_meetup_stats = PG_SQL(
	"WITH m AS (SELECT id FROM meetups WHERE hive_id = $1 "
	"AND state = 'ended' AND ended_at >= $2 AND ended_at < $3) "
	MEETUP_STATS);
/* The meetups that user $1 scheduled (and so led: the runner speaks in
 * their name), in hive $4 or any (0). */
static struct pg_sql q_mentor_meetup_stats = PG_SQL(
	"WITH m AS (SELECT id FROM meetups WHERE created_by = $1 "
	"AND ($4::bigint = 0 OR hive_id = $4) "
	"AND state = 'ended' AND ended_at >= $2 AND ended_at < $3) "
	MEETUP_STATS);
/* The meetups of hive $1 that are over, starting before $2, newest
 * first, at most $3. */
static struct pg_sql q_meetup_past = PG_SQL(
	"SELECT " PG_MEETUP_COLUMNS " FROM meetups WHERE hive_id = $1 "
	"AND state IN ('ended', 'missed', 'cancelled') "
	"AND start_at < $2 ORDER BY start_at DESC, id DESC LIMIT $3");

/* ---- Helpers --------------------------------------------------------- */

void pg_read_meetup(const PGresult *r, int row, void *out)
{
	struct store_meetup *m = out;

	m->id = pg_i64(r, row, 0);
	m->hive_id = pg_i64(r, row, 1);
	pg_text(r, row, 2, m->title, sizeof(m->title));
	m->script = pg_strdup(r, row, 3);
	m->start_at = pg_i64(r, row, 4);
	pg_text(r, row, 5, m->recurrence, sizeof(m->recurrence));
	m->cap = (int)pg_i64(r, row, 6);
	pg_text(r, row, 7, m->state, sizeof(m->state));
	m->step = (int)pg_i64(r, row, 8);
	m->step_started_at = pg_i64(r, row, 9);
	m->step_ends_at = pg_i64(r, row, 10);
	m->paused_left_ms = pg_i64(r, row, 11);
	m->channel_id = pg_i64(r, row, 12);
	m->reminded = (int)pg_i64(r, row, 13);
	m->created_by = pg_i64(r, row, 14);
	m->created_at = pg_i64(r, row, 15);
	m->started_at = pg_i64(r, row, 16);
	m->ended_at = pg_i64(r, row, 17);
	m->going = pg_i64(r, row, 18);
	m->maybe = pg_i64(r, row, 19);
	m->no = pg_i64(r, row, 20);
}

/* One meetup of q, its script copied (strdup may fail). */
static int meetup_one(struct store *st, struct pg_sql *q, struct pg_args *a,
		      struct store_meetup *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = pg_one(st, q, a, pg_read_meetup, out);
	if (!rc && !out->script)
		rc = RUCHE_ENOMEM;
	if (rc)
		store_meetup_release(out);
	return rc;
}

/* The meetups of q, every one with its script (strdup may fail). */
static int meetup_list(struct store *st, struct pg_sql *q, struct pg_args *a,
		       struct store_meetup **out, size_t *n)
{
	int rc = pg_list(st, q, a, sizeof(**out), pg_read_meetup, (void **)out,
			 n);

	for (size_t i = 0; !rc && i < *n; i++)
		if (!(*out)[i].script) {
			store_meetup_list_free(*out, *n);
			*out = NULL;
			*n = 0;
			return RUCHE_ENOMEM;
		}
	return rc;
}

/* Runs q with ($1 meetup, $2 second key, $3 third key). */
static int run3(struct store *st, struct pg_sql *q, int64_t x, int64_t y,
		int64_t z, bool must_change)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, x);
	pg_arg_i64(&a, y);
	pg_arg_i64(&a, z);
	return pg_run(st, q, &a, must_change);
}

/* The id an INSERT ... RETURNING id gave. */
static int insert_id(struct store *st, struct pg_sql *q, struct pg_args *a,
		     int64_t *id)
{
	return pg_one(st, q, a, pg_read_i64, id);
}

/* ---- Meetups and RSVPs ----------------------------------------------- */

int pgs_meetup_insert(struct store *st, struct store_meetup *m)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, m->hive_id);
	pg_arg_text(&a, m->title);
	pg_arg_text(&a, m->script);
	pg_arg_i64(&a, m->start_at);
	pg_arg_text(&a, m->recurrence);
	pg_arg_i64(&a, m->cap);
	pg_arg_text(&a, m->state[0] ? m->state : "scheduled");
	pg_arg_i64(&a, m->reminded);
	pg_arg_i64(&a, m->created_by);
	pg_arg_i64(&a, m->created_at);
	return insert_id(st, &q_meetup_insert, &a, &m->id);
}

int pgs_meetup_get(struct store *st, int64_t id, struct store_meetup *out)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, id);
	return meetup_one(st, &q_meetup_get, &a, out);
}

int pgs_meetup_upcoming(struct store *st, int64_t hive_id,
			struct store_meetup **out, size_t *n)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, hive_id);
	return meetup_list(st, &q_meetup_upcoming, &a, out, n);
}

int pgs_meetup_remind_due(struct store *st, int64_t now, int64_t ahead_ms,
			  int bit, int limit, struct store_meetup **out,
			  size_t *n)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, now);
	pg_arg_i64(&a, ahead_ms);
	pg_arg_i64(&a, bit);
	pg_arg_limit(&a, limit);
	return meetup_list(st, &q_meetup_remind_due, &a, out, n);
}

int pgs_meetup_set_state(struct store *st, int64_t id, const char *state,
			 int64_t ended_at)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, id);
	pg_arg_text(&a, state);
	pg_arg_i64(&a, ended_at);
	return pg_run(st, &q_meetup_set_state, &a, true);
}

int pgs_meetup_set_reminded(struct store *st, int64_t id, int reminded)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, id);
	pg_arg_i64(&a, reminded);
	return pg_run(st, &q_meetup_set_reminded, &a, true);
}

int pgs_rsvp_set(struct store *st, int64_t meetup_id, int64_t user_id,
		 const char *answer, int64_t now)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, meetup_id);
	pg_arg_i64(&a, user_id);
	pg_arg_text(&a, answer);
	pg_arg_i64(&a, now);
	return pg_run(st, &q_rsvp_set, &a, false);
}

int pgs_rsvp_get(struct store *st, int64_t meetup_id, int64_t user_id,
		 char *answer, size_t size)
{
	struct pg_args a = { 0 };
	PGresult *r;
	int rc;

	pg_arg_i64(&a, meetup_id);
	pg_arg_i64(&a, user_id);
	r = pg_query(st, &q_rsvp_get, &a, &rc);
	if (!r)
		return rc;
	rc = PQntuples(r) > 0 ? 0 : RUCHE_ENOTFOUND;
	if (!rc)
		pg_text(r, 0, 0, answer, size);
	PQclear(r);
	return rc;
}

int pgs_rsvp_users(struct store *st, int64_t meetup_id, const char *answer,
		   int64_t **ids, size_t *n)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, meetup_id);
	pg_arg_text(&a, answer);
	return pg_list(st, &q_rsvp_users, &a, sizeof(**ids), pg_read_i64,
		       (void **)ids, n);
}

/* ---- The library of scripts ------------------------------------------ */

static void read_script(const PGresult *r, int row, void *out)
{
	struct store_script *x = out;

	x->id = pg_i64(r, row, 0);
	x->hive_id = pg_i64(r, row, 1);
	pg_text(r, row, 2, x->title, sizeof(x->title));
	x->script = pg_strdup(r, row, 3);
	x->created_by = pg_i64(r, row, 4);
	x->created_at = pg_i64(r, row, 5);
	x->updated_at = pg_i64(r, row, 6);
}

int pgs_script_insert(struct store *st, struct store_script *s)
{
	struct pg_args a = { 0 };
	int rc;

	pg_arg_i64(&a, s->hive_id);
	pg_arg_text(&a, s->title);
	pg_arg_text(&a, s->script);
	pg_arg_i64(&a, s->created_by);
	pg_arg_i64(&a, s->created_at);
	rc = insert_id(st, &q_script_insert, &a, &s->id);
	if (!rc)
		s->updated_at = s->created_at;
	return rc;
}

int pgs_script_update(struct store *st, const struct store_script *s)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, s->id);
	pg_arg_text(&a, s->title);
	pg_arg_text(&a, s->script);
	pg_arg_i64(&a, s->updated_at);
	return pg_run(st, &q_script_update, &a, true);
}

int pgs_script_get(struct store *st, int64_t id, struct store_script *out)
{
	struct pg_args a = { 0 };
	int rc;

	pg_arg_i64(&a, id);
	memset(out, 0, sizeof(*out));
	rc = pg_one(st, &q_script_get, &a, read_script, out);
	if (!rc && !out->script)
		rc = RUCHE_ENOMEM;
	if (rc)
		store_script_release(out);
	return rc;
}

int pgs_script_list(struct store *st, int64_t hive_id,
		    struct store_script **out, size_t *n)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, hive_id);
	return pg_list(st, &q_script_list, &a, sizeof(**out), read_script,
		       (void **)out, n);
}

int pgs_script_delete(struct store *st, int64_t id)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, id);
	return pg_run(st, &q_script_delete, &a, true);
}

/* ---- The runner's state ---------------------------------------------- */

int pgs_meetup_due_start(struct store *st, int64_t now, int limit,
			 struct store_meetup **out, size_t *n)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, now);
	pg_arg_limit(&a, limit);
	return meetup_list(st, &q_meetup_due_start, &a, out, n);
}

int pgs_meetup_by_channel(struct store *st, int64_t channel_id,
			  struct store_meetup *out)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, channel_id);
	return meetup_one(st, &q_meetup_by_channel, &a, out);
}

int pgs_meetup_live(struct store *st, struct store_meetup **out, size_t *n)
{
	struct pg_args a = { 0 };

	return meetup_list(st, &q_meetup_live, &a, out, n);
}

int pgs_meetup_save_run(struct store *st, const struct store_meetup *m)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, m->id);
	pg_arg_text(&a, m->state);
	pg_arg_i64(&a, m->step);
	pg_arg_i64(&a, m->step_started_at);
	pg_arg_i64(&a, m->step_ends_at);
	pg_arg_i64(&a, m->paused_left_ms);
	pg_arg_i64(&a, m->channel_id);
	pg_arg_i64(&a, m->started_at);
	pg_arg_i64(&a, m->ended_at);
	return pg_run(st, &q_meetup_save_run, &a, true);
}

int pgs_part_join(struct store *st, int64_t meetup_id, int64_t user_id,
		  int64_t now)
{
	return run3(st, &q_part_join, meetup_id, user_id, now, false);
}

int pgs_part_leave(struct store *st, int64_t meetup_id, int64_t user_id,
		   int64_t now)
{
	return run3(st, &q_part_leave, meetup_id, user_id, now, true);
}

int pgs_part_present(struct store *st, int64_t meetup_id, int64_t **ids,
		     size_t *n)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, meetup_id);
	return pg_list(st, &q_part_present, &a, sizeof(**ids), pg_read_i64,
		       (void **)ids, n);
}

int pgs_turn_insert(struct store *st, int64_t meetup_id, int step,
		    int position, int64_t user_id)
{
	struct pg_args a = { 0 };
	int64_t changed;
	int rc;

	pg_arg_i64(&a, meetup_id);
	pg_arg_i64(&a, step);
	pg_arg_i64(&a, position);
	pg_arg_i64(&a, user_id);
	changed = pg_run_count(st, &q_turn_insert, &a, &rc);
	if (!rc && changed == 0)
		rc = RUCHE_EEXIST;
	return rc;
}

static void read_turn(const PGresult *r, int row, void *out)
{
	struct store_turn *t = out;

	t->user_id = pg_i64(r, row, 0);
	t->done = pg_i64(r, row, 1) != 0;
	t->position = (int)pg_i64(r, row, 2);
}

int pgs_turn_list(struct store *st, int64_t meetup_id, int step,
		  struct store_turn **out, size_t *n)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, meetup_id);
	pg_arg_i64(&a, step);
	return pg_list(st, &q_turn_list, &a, sizeof(**out), read_turn,
		       (void **)out, n);
}

int pgs_turn_done(struct store *st, int64_t meetup_id, int step,
		  int64_t user_id)
{
	return run3(st, &q_turn_done, meetup_id, step, user_id, false);
}

int pgs_turn_delete(struct store *st, int64_t meetup_id, int step,
		    int64_t user_id)
{
	return run3(st, &q_turn_delete, meetup_id, step, user_id, true);
}

int pgs_group_insert(struct store *st, int64_t meetup_id, int step,
		     const struct store_group *g, int64_t now)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, meetup_id);
	pg_arg_i64(&a, step);
	pg_arg_i64(&a, g->group_no);
	pg_arg_i64(&a, g->user_id);
	pg_arg_i64(&a, g->channel_id);
	pg_arg_i64(&a, now);
	return pg_run(st, &q_group_insert, &a, false);
}

static void read_group(const PGresult *r, int row, void *out)
{
	struct store_group *g = out;

	g->group_no = (int)pg_i64(r, row, 0);
	g->user_id = pg_i64(r, row, 1);
	g->channel_id = pg_i64(r, row, 2);
}

int pgs_group_list(struct store *st, int64_t meetup_id, int step,
		   struct store_group **out, size_t *n)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, meetup_id);
	pg_arg_i64(&a, step);
	return pg_list(st, &q_group_list, &a, sizeof(**out), read_group,
		       (void **)out, n);
}

static void read_pair(const PGresult *r, int row, void *out)
{
	int64_t *p = out;

	p[0] = pg_i64(r, row, 0);
	p[1] = pg_i64(r, row, 1);
}

int pgs_group_recent(struct store *st, int64_t since, int64_t **pairs,
		     size_t *n)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, since);
	return pg_list(st, &q_group_recent, &a, 2 * sizeof(**pairs),
		       read_pair, (void **)pairs, n);
}

int pgs_answer_set(struct store *st, int64_t meetup_id, int step,
		   int64_t user_id, const char *choices, int64_t now)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, meetup_id);
	pg_arg_i64(&a, step);
	pg_arg_i64(&a, user_id);
	pg_arg_text(&a, choices);
	pg_arg_i64(&a, now);
	return pg_run(st, &q_answer_set, &a, false);
}

static void read_choices(const PGresult *r, int row, void *out)
{
	pg_text(r, row, 0, out, STORE_CHOICES_BYTES);
}

int pgs_answer_list(struct store *st, int64_t meetup_id, int step,
		    char (**out)[STORE_CHOICES_BYTES], size_t *n)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, meetup_id);
	pg_arg_i64(&a, step);
	return pg_list(st, &q_answer_list, &a, STORE_CHOICES_BYTES,
		       read_choices, (void **)out, n);
}

/* ---- Feedback and figures -------------------------------------------- */

int pgs_feedback_set(struct store *st, int64_t meetup_id, int64_t user_id,
		     int nps, const char *comment, int64_t now)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, meetup_id);
	pg_arg_i64(&a, user_id);
	pg_arg_i64(&a, nps);
	pg_arg_text(&a, comment ? comment : "");
	pg_arg_i64(&a, now);
	return pg_run(st, &q_feedback_set, &a, false);
}

static void read_nps(const PGresult *r, int row, void *out)
{
	struct store_nps *x = out;

	x->answers = pg_i64(r, row, 0);
	x->promoters = pg_i64(r, row, 1);
	x->detractors = pg_i64(r, row, 2);
	x->sum = pg_i64(r, row, 3);
}

int pgs_feedback_stats(struct store *st, int64_t meetup_id,
		       struct store_nps *out)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, meetup_id);
	memset(out, 0, sizeof(*out));
	return pg_one(st, &q_feedback_stats, &a, read_nps, out);
}

static void read_meetup_stats(const PGresult *r, int row, void *out)
{
	struct store_meetup_stats *x = out;

	x->held = pg_i64(r, row, 0);
	x->going = pg_i64(r, row, 1);
	x->attended = pg_i64(r, row, 2);
	x->nps.answers = pg_i64(r, row, 3);
	x->nps.promoters = pg_i64(r, row, 4);
	x->nps.detractors = pg_i64(r, row, 5);
}

int pgs_meetup_stats(struct store *st, int64_t hive_id, int64_t from,
		     int64_t to, struct store_meetup_stats *out)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, hive_id);
	pg_arg_i64(&a, from);
	pg_arg_i64(&a, to);
	memset(out, 0, sizeof(*out));
	return pg_one(st, &q_meetup_stats, &a, read_meetup_stats, out);
}

int pgs_mentor_meetup_stats(struct store *st, int64_t user_id,
			    int64_t hive_id, int64_t from, int64_t to,
			    struct store_meetup_stats *out)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, user_id);
	pg_arg_i64(&a, from);
	pg_arg_i64(&a, to);
	pg_arg_i64(&a, hive_id);
	memset(out, 0, sizeof(*out));
	return pg_one(st, &q_mentor_meetup_stats, &a, read_meetup_stats, out);
}

/* ---- Results of one meetup ------------------------------------------- */

int pgs_meetup_past(struct store *st, int64_t hive_id, int64_t before,
		    int limit, struct store_meetup **out, size_t *n)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, hive_id);
	pg_arg_i64(&a, before);
	pg_arg_limit(&a, limit);
	return meetup_list(st, &q_meetup_past, &a, out, n);
}

static void read_part(const PGresult *r, int row, void *out)
{
	struct store_part *p = out;

	p->user_id = pg_i64(r, row, 0);
	p->joined_at = pg_i64(r, row, 1);
	p->left_at = pg_i64(r, row, 2);
}

int pgs_part_list(struct store *st, int64_t meetup_id,
		  struct store_part **out, size_t *n)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, meetup_id);
	return pg_list(st, &q_part_list, &a, sizeof(**out), read_part,
		       (void **)out, n);
}

static void read_feedback(const PGresult *r, int row, void *out)
{
	struct store_feedback *f = out;

	f->user_id = pg_i64(r, row, 0);
	f->nps = (int)pg_i64(r, row, 1);
	f->comment = strdup(PQgetvalue(r, row, 2));	/* "" for NULL */
	f->created_at = pg_i64(r, row, 3);
}

int pgs_feedback_list(struct store *st, int64_t meetup_id,
		      struct store_feedback **out, size_t *n)
{
	struct pg_args a = { 0 };
	int rc;

	pg_arg_i64(&a, meetup_id);
	rc = pg_list(st, &q_feedback_list, &a, sizeof(**out), read_feedback,
		     (void **)out, n);
	for (size_t i = 0; !rc && i < *n; i++)
		if (!(*out)[i].comment) {
			store_feedback_list_free(*out, *n);
			*out = NULL;
			*n = 0;
			rc = RUCHE_ENOMEM;
		}
	return rc;
}
