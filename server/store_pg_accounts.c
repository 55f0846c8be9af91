/*
 * store_pg_accounts.c - PostgreSQL: users, sessions, hives, memberships, invites and waitlists.
 *
 * Part of the PostgreSQL backend of store.h (store_pg.h says how its
 * files run statements); answers as store_sqlite.c does.
 *
 * Inserts that may meet a unique constraint as normal work (a handle or
 * a hive name taken, a member already in) say ON CONFLICT DO NOTHING and
 * answer RUCHE_EEXIST when they wrote no row, as SQLite's do from the
 * constraint: the transaction around them goes on.  A conflict still
 * takes a number from an identity column, so users and hives, whose
 * duplicates are common (a handle taken), look first (NOT EXISTS) and
 * leave no gap in the ids, as SQLite leaves none.
 */
#include <stdlib.h>
#include <string.h>

#include "ruche/err.h"
#include "store_pg.h"

#define USER_COLS \
	"id, handle, display_name, coalesce(pw_hash, ''), is_admin, " \
	"deleted_at IS NOT NULL, created_at"
#define SESSION_COLS "id, user_id, created_at, last_seen_at, expires_at"
#define HIVE_COLS \
	"h.id, h.name, h.description, h.capacity, h.created_at, " \
	"coalesce(h.archived_at, 0), " \
	"(SELECT count(*) FROM memberships m WHERE m.hive_id = h.id " \
	"AND m.role = 'learner'), " \
	"(SELECT count(*) FROM memberships m WHERE m.hive_id = h.id " \
	"AND m.role = 'mentor'), " \
	"coalesce((SELECT retention_days FROM hive_settings s " \
	"WHERE s.hive_id = h.id), 0)"
#define INVITE_COLS \
	"id, kind = 'admin', coalesce(hive_id, 0), coalesce(role, ''), " \
	"max_uses, uses, expires_at, coalesce(revoked_at, 0), " \
	"coalesce(created_by, 0), created_at"
#define MEMBER_COLS "u.id, u.handle, u.display_name"

/*
 * SQLite's NOCASE order: ASCII letters folded to lower case, then bytes.
 * The nocase ICU collation of the schema compares alike for equality but
 * orders punctuation and other scripts its own way ("a-b" after "a_b").
 */
#define NOCASE_ORDER(col) \
	"translate(" col ", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', " \
	"'abcdefghijklmnopqrstuvwxyz') COLLATE \"C\""

/* ---- Shared shapes ---------------------------------------------------- */


/* Runs q keyed by one id in $1. */
static int run_by(struct store *st, struct pg_sql *q, int64_t key,
		  bool must_change)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, key);
	return pg_run(st, q, &a, must_change);
}

/* Runs an UPDATE keyed by $1 with one text or integer value in $2. */
static int update_text(struct store *st, struct pg_sql *q, int64_t key,
		       const char *v)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, key);
	pg_arg_text(&a, v);
	return pg_run(st, q, &a, true);
}

static int update_int(struct store *st, struct pg_sql *q, int64_t key,
		      int64_t v)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, key);
	pg_arg_i64(&a, v);
	return pg_run(st, q, &a, true);
}

/* Runs q keyed by ($1, $2), expected to change one row. */
static int pair_change(struct store *st, struct pg_sql *q, int64_t a1,
		       int64_t a2)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, a1);
	pg_arg_i64(&a, a2);
	return pg_run(st, q, &a, true);
}

/* Reads the one row of q keyed by one id in $1. */
static int one_by(struct store *st, struct pg_sql *q, int64_t key,
		  pg_read_fn *read, void *out)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, key);
	return pg_one(st, q, &a, read, out);
}

/* Lists the rows of q keyed by one id in $1. */
static int list_by(struct store *st, struct pg_sql *q, int64_t key,
		   size_t size, pg_read_fn *read, void **out, size_t *n)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, key);
	return pg_list(st, q, &a, size, read, out, n);
}

/*
 * Runs an INSERT ... ON CONFLICT DO NOTHING RETURNING id: the new id,
 * or RUCHE_EEXIST when a unique constraint kept the row out.
 */
static int insert_id(struct store *st, struct pg_sql *q, struct pg_args *a,
		     int64_t *id)
{
	int64_t v = 0;
	int rc = pg_one(st, q, a, pg_read_i64, &v);

	if (rc == RUCHE_ENOTFOUND)
		return RUCHE_EEXIST;
	if (!rc && id)
		*id = v;
	return rc;
}

/* ---- Users ----------------------------------------------------------- */

static struct pg_sql q_user_insert = PG_SQL(
	"INSERT INTO users(handle, display_name, pw_hash, is_admin, "
	"created_at) SELECT $1::text, $2, $3, $4, $5 WHERE NOT EXISTS "
	"(SELECT 1 FROM users WHERE handle = $1) "
	"ON CONFLICT DO NOTHING RETURNING id");
static struct pg_sql q_user_get = PG_SQL(
	"SELECT " USER_COLS " FROM users WHERE id = $1");
static struct pg_sql q_user_by_handle = PG_SQL(
	"SELECT " USER_COLS " FROM users WHERE handle = $1");
static struct pg_sql q_user_set_name = PG_SQL(
	"UPDATE users SET display_name = $2 WHERE id = $1");
static struct pg_sql q_user_set_password = PG_SQL(
	"UPDATE users SET pw_hash = $2 WHERE id = $1");
static struct pg_sql q_user_set_admin = PG_SQL(
	"UPDATE users SET is_admin = $2 WHERE id = $1");
static struct pg_sql q_admin_count = PG_SQL(
	"SELECT count(*) FROM users WHERE is_admin <> 0 "
	"AND deleted_at IS NULL");
static struct pg_sql q_user_erase = PG_SQL(
	"UPDATE users SET handle = '~deleted-' || id::text, "
	"display_name = 'deleted user', pw_hash = NULL, is_admin = 0, "
	"deleted_at = $2 WHERE id = $1");
static struct pg_sql q_user_erase_text = PG_SQL(
	"UPDATE messages SET body = '' WHERE author_id = $1 AND body <> ''");
static struct pg_sql q_member_delete_user = PG_SQL(
	"DELETE FROM memberships WHERE user_id = $1");
static struct pg_sql q_wait_delete_user = PG_SQL(
	"DELETE FROM waitlist WHERE user_id = $1");

static void read_user(const PGresult *r, int row, void *out)
{
	struct store_user *u = out;

	u->id = pg_i64(r, row, 0);
	pg_text(r, row, 1, u->handle, sizeof(u->handle));
	pg_text(r, row, 2, u->name, sizeof(u->name));
	pg_text(r, row, 3, u->pw_hash, sizeof(u->pw_hash));
	u->is_admin = pg_bool(r, row, 4);
	u->deleted = pg_bool(r, row, 5);
	u->created_at = pg_i64(r, row, 6);
}

int pgs_user_insert(struct store *st, struct store_user *u)
{
	struct pg_args a = { 0 };

	pg_arg_text(&a, u->handle);
	pg_arg_text(&a, u->name);
	pg_arg_text(&a, u->pw_hash);
	pg_arg_bool(&a, u->is_admin);
	pg_arg_i64(&a, u->created_at);
	return insert_id(st, &q_user_insert, &a, &u->id);
}

int pgs_user_get(struct store *st, int64_t id, struct store_user *out)
{
	return one_by(st, &q_user_get, id, read_user, out);
}

int pgs_user_by_handle(struct store *st, const char *handle,
		       struct store_user *out)
{
	struct pg_args a = { 0 };

	pg_arg_text(&a, handle);
	return pg_one(st, &q_user_by_handle, &a, read_user, out);
}

int pgs_user_set_name(struct store *st, int64_t id, const char *name)
{
	return update_text(st, &q_user_set_name, id, name);
}

int pgs_user_set_password(struct store *st, int64_t id, const char *hash)
{
	return update_text(st, &q_user_set_password, id, hash);
}

int pgs_user_set_admin(struct store *st, int64_t id, bool admin)
{
	return update_int(st, &q_user_set_admin, id, admin);
}

int pgs_admin_count(struct store *st, int *n)
{
	struct pg_args a = { 0 };
	int64_t v = 0;
	int rc = pg_one(st, &q_admin_count, &a, pg_read_i64, &v);

	*n = (int)v;
	return rc;
}

int pgs_user_erase(struct store *st, int64_t id, int64_t now)
{
	int rc = pgs_begin(st);

	if (rc)
		return rc;
	rc = update_int(st, &q_user_erase, id, now);
	if (!rc)
		rc = pgs_session_delete_user(st, id, 0);
	if (!rc)
		rc = run_by(st, &q_member_delete_user, id, false);
	if (!rc)
		rc = run_by(st, &q_wait_delete_user, id, false);
	if (!rc)
		rc = run_by(st, &q_user_erase_text, id, false);
	if (!rc)
		rc = pgs_event_erase_text(st, 0, id);
	return pgs_end(st, rc);
}

/* ---- Sessions -------------------------------------------------------- */

static struct pg_sql q_session_insert = PG_SQL(
	"INSERT INTO sessions(user_id, token_hash, created_at, "
	"last_seen_at, expires_at) VALUES ($1, $2, $3, $3, $4) "
	"ON CONFLICT DO NOTHING RETURNING id");
static struct pg_sql q_session_by_digest = PG_SQL(
	"SELECT " SESSION_COLS " FROM sessions WHERE token_hash = $1");
static struct pg_sql q_session_get = PG_SQL(
	"SELECT " SESSION_COLS " FROM sessions WHERE id = $1");
static struct pg_sql q_session_touch = PG_SQL(
	"UPDATE sessions SET last_seen_at = $2, expires_at = $3 "
	"WHERE id = $1");
static struct pg_sql q_session_delete = PG_SQL(
	"DELETE FROM sessions WHERE id = $1");
static struct pg_sql q_session_delete_user = PG_SQL(
	"DELETE FROM sessions WHERE user_id = $1 AND id <> $2");
static struct pg_sql q_session_list = PG_SQL(
	"SELECT " SESSION_COLS " FROM sessions WHERE user_id = $1 "
	"ORDER BY id");

static void read_session(const PGresult *r, int row, void *out)
{
	struct store_session *se = out;

	se->id = pg_i64(r, row, 0);
	se->user_id = pg_i64(r, row, 1);
	se->created_at = pg_i64(r, row, 2);
	se->last_seen_at = pg_i64(r, row, 3);
	se->expires_at = pg_i64(r, row, 4);
}

int pgs_session_insert(struct store *st, int64_t user_id,
		       const unsigned char digest[AUTH_DIGEST_LEN],
		       int64_t now, int64_t expires_at, int64_t *id)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, user_id);
	pg_arg_bytes(&a, digest, AUTH_DIGEST_LEN);
	pg_arg_i64(&a, now);
	pg_arg_i64(&a, expires_at);
	return insert_id(st, &q_session_insert, &a, id);
}

int pgs_session_by_digest(struct store *st,
			  const unsigned char digest[AUTH_DIGEST_LEN],
			  struct store_session *out)
{
	struct pg_args a = { 0 };

	pg_arg_bytes(&a, digest, AUTH_DIGEST_LEN);
	return pg_one(st, &q_session_by_digest, &a, read_session, out);
}

int pgs_session_get(struct store *st, int64_t id, struct store_session *out)
{
	return one_by(st, &q_session_get, id, read_session, out);
}

int pgs_session_touch(struct store *st, int64_t id, int64_t now,
		      int64_t expires_at)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, id);
	pg_arg_i64(&a, now);
	pg_arg_i64(&a, expires_at);
	return pg_run(st, &q_session_touch, &a, true);
}

int pgs_session_delete(struct store *st, int64_t id)
{
	return run_by(st, &q_session_delete, id, false);
}

int pgs_session_delete_user(struct store *st, int64_t user_id,
			    int64_t except_id)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, user_id);
	pg_arg_i64(&a, except_id);
	return pg_run(st, &q_session_delete_user, &a, false);
}

int pgs_session_list(struct store *st, int64_t user_id,
		     struct store_session **out, size_t *n)
{
	return list_by(st, &q_session_list, user_id, sizeof(**out),
		       read_session, (void **)out, n);
}

/* ---- Hives and memberships ------------------------------------------- */

static struct pg_sql q_hive_insert = PG_SQL(
	"INSERT INTO hives(name, description, capacity, created_at) "
	"SELECT $1::text, $2, $3, $4 WHERE NOT EXISTS "
	"(SELECT 1 FROM hives WHERE name = $1) "
	"ON CONFLICT DO NOTHING RETURNING id");
static struct pg_sql q_hive_get = PG_SQL(
	"SELECT " HIVE_COLS " FROM hives h WHERE h.id = $1");
static struct pg_sql q_hive_archived = PG_SQL(
	"SELECT coalesce(archived_at, 0) FROM hives WHERE id = $1");
static struct pg_sql q_hive_by_name = PG_SQL(
	"SELECT " HIVE_COLS " FROM hives h WHERE h.name = $1");
/* A rename onto another hive's name is RUCHE_EEXIST, as in SQLite. */
static struct pg_sql q_hive_update = PG_SQL_CONFLICT(
	"UPDATE hives SET name = $2, description = $3, capacity = $4 "
	"WHERE id = $1");
static struct pg_sql q_hive_archive = PG_SQL(
	"UPDATE hives SET archived_at = $2 WHERE id = $1 "
	"AND archived_at IS NULL");
static struct pg_sql q_hive_list_all = PG_SQL(
	"SELECT " HIVE_COLS " FROM hives h ORDER BY " NOCASE_ORDER("h.name"));
static struct pg_sql q_hive_list_user = PG_SQL(
	"SELECT " HIVE_COLS " FROM hives h JOIN memberships me "
	"ON me.hive_id = h.id AND me.user_id = $1 "
	"ORDER BY " NOCASE_ORDER("h.name"));
static struct pg_sql q_member_role = PG_SQL(
	"SELECT role FROM memberships WHERE hive_id = $1 AND user_id = $2");
static struct pg_sql q_member_insert = PG_SQL(
	"INSERT INTO memberships(hive_id, user_id, role, joined_at) "
	"VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING");
static struct pg_sql q_member_delete = PG_SQL(
	"DELETE FROM memberships WHERE hive_id = $1 AND user_id = $2");
static struct pg_sql q_member_set_role = PG_SQL(
	"UPDATE memberships SET role = $3 WHERE hive_id = $1 AND user_id = $2");
/*
 * SQLite sorts display names as bytes and, among equal ones, keeps the
 * order it read them in (by user id): "C" and the last key say so here.
 */
static struct pg_sql q_member_list = PG_SQL(
	"SELECT " MEMBER_COLS ", m.role, m.joined_at, u.is_admin "
	"FROM memberships m JOIN users u ON u.id = m.user_id "
	"WHERE m.hive_id = $1 "
	"ORDER BY m.role DESC, u.display_name COLLATE \"C\", u.id");
static struct pg_sql q_mentor_load = PG_SQL(
	"SELECT count(*) FROM memberships l JOIN memberships me "
	"ON me.hive_id = l.hive_id AND me.user_id = $1 "
	"AND me.role = 'mentor' WHERE l.role = 'learner'");
static struct pg_sql q_hive_mentors = PG_SQL(
	"SELECT user_id FROM memberships WHERE hive_id = $1 "
	"AND role = 'mentor' ORDER BY user_id");
static struct pg_sql q_share_hive = PG_SQL(
	"SELECT EXISTS (SELECT 1 FROM memberships a JOIN memberships b "
	"ON a.hive_id = b.hive_id WHERE a.user_id = $1 AND b.user_id = $2)");

static void read_hive(const PGresult *r, int row, void *out)
{
	struct store_hive *h = out;

	h->id = pg_i64(r, row, 0);
	pg_text(r, row, 1, h->name, sizeof(h->name));
	pg_text(r, row, 2, h->description, sizeof(h->description));
	h->capacity = (int)pg_i64(r, row, 3);
	h->created_at = pg_i64(r, row, 4);
	h->archived_at = pg_i64(r, row, 5);
	h->learners = (int)pg_i64(r, row, 6);
	h->mentors = (int)pg_i64(r, row, 7);
	h->retention_days = (int)pg_i64(r, row, 8);
}

int pgs_hive_insert(struct store *st, struct store_hive *h)
{
	struct pg_args a = { 0 };

	pg_arg_text(&a, h->name);
	pg_arg_text(&a, h->description);
	pg_arg_i64(&a, h->capacity);
	pg_arg_i64(&a, h->created_at);
	return insert_id(st, &q_hive_insert, &a, &h->id);
}

int pgs_hive_get(struct store *st, int64_t id, struct store_hive *out)
{
	return one_by(st, &q_hive_get, id, read_hive, out);
}

int pgs_hive_archived(struct store *st, int64_t id, int64_t *archived_at)
{
	return one_by(st, &q_hive_archived, id, pg_read_i64, archived_at);
}

int pgs_hive_by_name(struct store *st, const char *name,
		     struct store_hive *out)
{
	struct pg_args a = { 0 };

	pg_arg_text(&a, name);
	return pg_one(st, &q_hive_by_name, &a, read_hive, out);
}

int pgs_hive_update(struct store *st, const struct store_hive *h)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, h->id);
	pg_arg_text(&a, h->name);
	pg_arg_text(&a, h->description);
	pg_arg_i64(&a, h->capacity);
	return pg_run(st, &q_hive_update, &a, true);
}

int pgs_hive_archive(struct store *st, int64_t id, int64_t now)
{
	return update_int(st, &q_hive_archive, id, now);
}

int pgs_hive_list(struct store *st, int64_t user_id,
		  struct store_hive **out, size_t *n)
{
	struct pg_args a = { 0 };

	if (!user_id)
		return pg_list(st, &q_hive_list_all, &a, sizeof(**out),
			       read_hive, (void **)out, n);
	return list_by(st, &q_hive_list_user, user_id, sizeof(**out),
		       read_hive, (void **)out, n);
}

static void read_role(const PGresult *r, int row, void *out)
{
	*(enum role *)out = role_parse(PQgetvalue(r, row, 0));
}

int pgs_member_role(struct store *st, int64_t hive_id, int64_t user_id,
		    enum role *out)
{
	struct pg_args a = { 0 };
	int rc;

	pg_arg_i64(&a, hive_id);
	pg_arg_i64(&a, user_id);
	*out = ROLE_NONE;
	rc = pg_one(st, &q_member_role, &a, read_role, out);
	return rc == RUCHE_ENOTFOUND ? 0 : rc;
}

int pgs_member_insert(struct store *st, int64_t hive_id, int64_t user_id,
		      enum role role, int64_t now)
{
	struct pg_args a = { 0 };
	int64_t n;
	int rc;

	pg_arg_i64(&a, hive_id);
	pg_arg_i64(&a, user_id);
	pg_arg_text(&a, role_name(role));
	pg_arg_i64(&a, now);
	n = pg_run_count(st, &q_member_insert, &a, &rc);
	if (!rc && n == 0)
		return RUCHE_EEXIST;
	return rc;
}

int pgs_member_delete(struct store *st, int64_t hive_id, int64_t user_id)
{
	return pair_change(st, &q_member_delete, hive_id, user_id);
}

int pgs_member_set_role(struct store *st, int64_t hive_id, int64_t user_id,
			enum role role)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, hive_id);
	pg_arg_i64(&a, user_id);
	pg_arg_text(&a, role_name(role));
	return pg_run(st, &q_member_set_role, &a, true);
}

static void read_member(const PGresult *r, int row, void *out)
{
	struct store_member *m = out;

	m->user_id = pg_i64(r, row, 0);
	pg_text(r, row, 1, m->handle, sizeof(m->handle));
	pg_text(r, row, 2, m->name, sizeof(m->name));
	m->role = role_parse(PQgetvalue(r, row, 3));
	m->since = pg_i64(r, row, 4);
	m->admin = pg_bool(r, row, 5);
}

int pgs_member_list(struct store *st, int64_t hive_id,
		    struct store_member **out, size_t *n)
{
	return list_by(st, &q_member_list, hive_id, sizeof(**out),
		       read_member, (void **)out, n);
}

int pgs_mentor_load(struct store *st, int64_t user_id, int *learners)
{
	int64_t v = 0;
	int rc = one_by(st, &q_mentor_load, user_id, pg_read_i64, &v);

	*learners = (int)v;
	return rc;
}

int pgs_hive_mentors(struct store *st, int64_t hive_id, int64_t **ids,
		     size_t *n)
{
	return list_by(st, &q_hive_mentors, hive_id, sizeof(**ids), pg_read_i64,
		       (void **)ids, n);
}

static void read_bool(const PGresult *r, int row, void *out)
{
	*(bool *)out = pg_bool(r, row, 0);
}

int pgs_users_share_hive(struct store *st, int64_t a1, int64_t a2, bool *out)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, a1);
	pg_arg_i64(&a, a2);
	*out = false;
	return pg_one(st, &q_share_hive, &a, read_bool, out);
}

/* ---- Invites and waitlists ------------------------------------------- */

static struct pg_sql q_invite_insert = PG_SQL(
	"INSERT INTO invites(code_hash, kind, hive_id, role, max_uses, "
	"expires_at, created_by, created_at) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
	"ON CONFLICT DO NOTHING RETURNING id");
static struct pg_sql q_invite_by_digest = PG_SQL(
	"SELECT " INVITE_COLS " FROM invites WHERE code_hash = $1");
static struct pg_sql q_invite_get = PG_SQL(
	"SELECT " INVITE_COLS " FROM invites WHERE id = $1");
static struct pg_sql q_invite_use = PG_SQL(
	"UPDATE invites SET uses = uses + 1 WHERE id = $1 "
	"AND uses < max_uses");
static struct pg_sql q_invite_revoke = PG_SQL(
	"UPDATE invites SET revoked_at = $2 WHERE id = $1 "
	"AND revoked_at IS NULL");
static struct pg_sql q_invite_list_all = PG_SQL(
	"SELECT " INVITE_COLS " FROM invites ORDER BY id DESC");
static struct pg_sql q_invite_list_hive = PG_SQL(
	"SELECT " INVITE_COLS " FROM invites WHERE hive_id = $1 "
	"ORDER BY id DESC");
static struct pg_sql q_wait_insert = PG_SQL(
	"INSERT INTO waitlist(hive_id, user_id, created_at) "
	"VALUES ($1, $2, $3) ON CONFLICT DO NOTHING");
static struct pg_sql q_wait_delete = PG_SQL(
	"DELETE FROM waitlist WHERE hive_id = $1 AND user_id = $2");
static struct pg_sql q_wait_list = PG_SQL(
	"SELECT " MEMBER_COLS ", 'learner', w.created_at, u.is_admin "
	"FROM waitlist w JOIN users u ON u.id = w.user_id "
	"WHERE w.hive_id = $1 ORDER BY w.created_at, u.id");
static struct pg_sql q_wait_of_user = PG_SQL(
	"SELECT hive_id FROM waitlist WHERE user_id = $1 ORDER BY hive_id");

static void read_invite(const PGresult *r, int row, void *out)
{
	struct store_invite *inv = out;

	inv->id = pg_i64(r, row, 0);
	inv->kind = pg_bool(r, row, 1) ? INVITE_ADMIN : INVITE_HIVE;
	inv->hive_id = pg_i64(r, row, 2);
	inv->role = role_parse(PQgetvalue(r, row, 3));
	inv->max_uses = (int)pg_i64(r, row, 4);
	inv->uses = (int)pg_i64(r, row, 5);
	inv->expires_at = pg_i64(r, row, 6);
	inv->revoked_at = pg_i64(r, row, 7);
	inv->created_by = pg_i64(r, row, 8);
	inv->created_at = pg_i64(r, row, 9);
}

int pgs_invite_insert(struct store *st, struct store_invite *inv,
		      const unsigned char digest[AUTH_DIGEST_LEN])
{
	struct pg_args a = { 0 };
	bool admin = inv->kind == INVITE_ADMIN;

	pg_arg_bytes(&a, digest, AUTH_DIGEST_LEN);
	pg_arg_text(&a, admin ? "admin" : "hive");
	pg_arg_id(&a, admin ? 0 : inv->hive_id);
	pg_arg_text(&a, admin ? NULL : role_name(inv->role));
	pg_arg_i64(&a, inv->max_uses);
	pg_arg_i64(&a, inv->expires_at);
	pg_arg_id(&a, inv->created_by);
	pg_arg_i64(&a, inv->created_at);
	return insert_id(st, &q_invite_insert, &a, &inv->id);
}

int pgs_invite_by_digest(struct store *st,
			 const unsigned char digest[AUTH_DIGEST_LEN],
			 struct store_invite *out)
{
	struct pg_args a = { 0 };

	pg_arg_bytes(&a, digest, AUTH_DIGEST_LEN);
	return pg_one(st, &q_invite_by_digest, &a, read_invite, out);
}

int pgs_invite_get(struct store *st, int64_t id, struct store_invite *out)
{
	return one_by(st, &q_invite_get, id, read_invite, out);
}

int pgs_invite_use(struct store *st, int64_t id)
{
	return run_by(st, &q_invite_use, id, true);
}

int pgs_invite_revoke(struct store *st, int64_t id, int64_t now)
{
	return update_int(st, &q_invite_revoke, id, now);
}

int pgs_invite_list(struct store *st, int64_t hive_id,
		    struct store_invite **out, size_t *n)
{
	struct pg_args a = { 0 };

	if (!hive_id)
		return pg_list(st, &q_invite_list_all, &a, sizeof(**out),
			       read_invite, (void **)out, n);
	return list_by(st, &q_invite_list_hive, hive_id, sizeof(**out),
		       read_invite, (void **)out, n);
}

int pgs_waitlist_insert(struct store *st, int64_t hive_id, int64_t user_id,
			int64_t now)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, hive_id);
	pg_arg_i64(&a, user_id);
	pg_arg_i64(&a, now);
	return pg_run(st, &q_wait_insert, &a, false);
}

int pgs_waitlist_delete(struct store *st, int64_t hive_id, int64_t user_id)
{
	return pair_change(st, &q_wait_delete, hive_id, user_id);
}

int pgs_waitlist_list(struct store *st, int64_t hive_id,
		      struct store_member **out, size_t *n)
{
	return list_by(st, &q_wait_list, hive_id, sizeof(**out), read_member,
		       (void **)out, n);
}

int pgs_waitlist_of_user(struct store *st, int64_t user_id, int64_t **ids,
			 size_t *n)
{
	return list_by(st, &q_wait_of_user, user_id, sizeof(**ids), pg_read_i64,
		       (void **)ids, n);
}
