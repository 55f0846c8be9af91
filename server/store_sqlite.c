/*
 * store_sqlite.c - the SQLite backend of store.h.
 *
 * This is the only file that includes sqlite3.h.  It owns the connection
 * and (as the store grows) every prepared statement, prepared once and
 * finalized at close.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "ruche/err.h"
#include "ruche/log.h"
#include "ruche/store.h"

/*
 * Every statement the store runs, prepared once on first use (with
 * SQLITE_PREPARE_PERSISTENT) and finalized at close.
 */
enum stmt_id {
	S_BEGIN, S_COMMIT, S_ROLLBACK, S_SAVEPOINT, S_RELEASE, S_ROLLBACK_TO,
	S_USER_INSERT, S_USER_GET, S_USER_BY_HANDLE, S_USER_SET_NAME,
	S_USER_SET_PASSWORD, S_USER_SET_ADMIN, S_ADMIN_COUNT, S_USER_ERASE,
	S_SESSION_INSERT, S_SESSION_BY_DIGEST, S_SESSION_GET, S_SESSION_TOUCH,
	S_SESSION_DELETE, S_SESSION_DELETE_USER, S_SESSION_LIST,
	S_HIVE_INSERT, S_HIVE_GET, S_HIVE_BY_NAME, S_HIVE_UPDATE,
	S_HIVE_ARCHIVE, S_HIVE_LIST_ALL, S_HIVE_LIST_USER,
	S_MEMBER_ROLE, S_MEMBER_INSERT, S_MEMBER_DELETE, S_MEMBER_LIST,
	S_MEMBER_SET_ROLE,
	S_MEMBER_DELETE_USER, S_MENTOR_LOAD, S_HIVE_MENTORS, S_SHARE_HIVE,
	S_INVITE_INSERT, S_INVITE_BY_DIGEST, S_INVITE_GET, S_INVITE_USE,
	S_INVITE_REVOKE, S_INVITE_LIST_ALL, S_INVITE_LIST_HIVE,
	S_WAIT_INSERT, S_WAIT_DELETE, S_WAIT_LIST, S_WAIT_DELETE_USER,
	S_CHAN_INSERT, S_CHAN_GET, S_CHAN_LIST, S_CHAN_UPDATE, S_CHAN_ARCHIVE,
	S_CHAN_NEXT_POS, S_DIRECT_ADD, S_DIRECT_MEMBERS, S_DIRECT_FIND,
	S_DIRECT_LIST, S_MSG_INSERT, S_MSG_GET, S_MSG_BY_NONCE, S_MSG_EDIT,
	S_MSG_TOMBSTONE, S_MSG_THREAD_BUMP, S_MSG_BEFORE, S_MSG_AFTER,
	S_THREAD_BEFORE, S_THREAD_AFTER, S_REACT_ADD, S_REACT_REMOVE,
	S_REACT_COUNTS, S_READ_SET, S_READ_GET, S_UNREAD, S_EVENT_INSERT,
	S_USER_ERASE_TEXT, S_MSG_BY_AUTHOR, S_WAIT_OF_USER, S_EVENT_ERASE_MSG,
	S_EVENT_ERASE_AUTHOR,
	S_MENTION_INSERT, S_UNREAD_MENTIONS, S_THREAD_READ_SET,
	S_THREAD_READ_GET,
	S_EVENTS_SINCE, S_EVENT_LAST, S_EVENT_FIRST, S_EVENT_PRUNE, S_SEARCH,
	S_COUNT
};

#define HIVE_COLS \
	"h.id, h.name, h.description, h.capacity, h.created_at, " \
	"coalesce(h.archived_at, 0), " \
	"(SELECT count(*) FROM memberships m WHERE m.hive_id = h.id " \
	"AND m.role = 'learner'), " \
	"(SELECT count(*) FROM memberships m WHERE m.hive_id = h.id " \
	"AND m.role = 'mentor')"
#define USER_COLS \
	"id, handle, display_name, coalesce(pw_hash, ''), is_admin, " \
	"deleted_at IS NOT NULL, created_at"
#define INVITE_COLS \
	"id, kind = 'admin', coalesce(hive_id, 0), coalesce(role, ''), " \
	"max_uses, uses, expires_at, coalesce(revoked_at, 0), " \
	"coalesce(created_by, 0), created_at"

#define CHAN_COLS \
	"id, coalesce(hive_id, 0), kind, coalesce(name, ''), topic, " \
	"position, created_at, coalesce(archived_at, 0)"
#define MSG_COLS \
	"id, channel_id, author_id, body, coalesce(reply_to, 0), " \
	"coalesce(thread_id, 0), coalesce(nonce, ''), created_at, " \
	"coalesce(edited_at, 0), coalesce(deleted_at, 0), reply_count, " \
	"coalesce(last_reply_at, 0)"

static const char *const sql_text[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_SAVEPOINT] = "SAVEPOINT nested",
	[S_RELEASE] = "RELEASE nested",
	[S_ROLLBACK_TO] = "ROLLBACK TO nested",
	[S_USER_INSERT] =
		"INSERT INTO users(handle, display_name, pw_hash, is_admin, "
		"created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_USER_GET] = "SELECT " USER_COLS " FROM users WHERE id = ?1",
	[S_USER_BY_HANDLE] =
		"SELECT " USER_COLS " FROM users WHERE handle = ?1",
	[S_USER_SET_NAME] = "UPDATE users SET display_name = ?2 WHERE id = ?1",
	[S_USER_SET_PASSWORD] = "UPDATE users SET pw_hash = ?2 WHERE id = ?1",
	[S_USER_SET_ADMIN] = "UPDATE users SET is_admin = ?2 WHERE id = ?1",
	[S_ADMIN_COUNT] =
		"SELECT count(*) FROM users WHERE is_admin AND deleted_at IS NULL",
	[S_USER_ERASE] =
		"UPDATE users SET handle = '~deleted-' || id, "
		"display_name = 'deleted user', pw_hash = NULL, is_admin = 0, "
		"deleted_at = ?2 WHERE id = ?1",
	[S_SESSION_INSERT] =
		"INSERT INTO sessions(user_id, token_hash, created_at, "
		"last_seen_at, expires_at) VALUES (?1, ?2, ?3, ?3, ?4)",
	[S_SESSION_BY_DIGEST] =
		"SELECT id, user_id, created_at, last_seen_at, expires_at "
		"FROM sessions WHERE token_hash = ?1",
	[S_SESSION_GET] =
		"SELECT id, user_id, created_at, last_seen_at, expires_at "
		"FROM sessions WHERE id = ?1",
	[S_SESSION_TOUCH] =
		"UPDATE sessions SET last_seen_at = ?2, expires_at = ?3 "
		"WHERE id = ?1",
	[S_SESSION_DELETE] = "DELETE FROM sessions WHERE id = ?1",
	[S_SESSION_DELETE_USER] =
		"DELETE FROM sessions WHERE user_id = ?1 AND id != ?2",
	[S_SESSION_LIST] =
		"SELECT id, user_id, created_at, last_seen_at, expires_at "
		"FROM sessions WHERE user_id = ?1 ORDER BY id",
	[S_HIVE_INSERT] =
		"INSERT INTO hives(name, description, capacity, created_at) "
		"VALUES (?1, ?2, ?3, ?4)",
	[S_HIVE_GET] = "SELECT " HIVE_COLS " FROM hives h WHERE h.id = ?1",
	[S_HIVE_BY_NAME] =
		"SELECT " HIVE_COLS " FROM hives h WHERE h.name = ?1",
	[S_HIVE_UPDATE] =
		"UPDATE hives SET name = ?2, description = ?3, capacity = ?4 "
		"WHERE id = ?1",
	[S_HIVE_ARCHIVE] =
		"UPDATE hives SET archived_at = ?2 WHERE id = ?1 "
		"AND archived_at IS NULL",
	[S_HIVE_LIST_ALL] = "SELECT " HIVE_COLS " FROM hives h ORDER BY h.name",
	[S_HIVE_LIST_USER] =
		"SELECT " HIVE_COLS " FROM hives h JOIN memberships me "
		"ON me.hive_id = h.id AND me.user_id = ?1 ORDER BY h.name",
	[S_MEMBER_ROLE] =
		"SELECT role FROM memberships WHERE hive_id = ?1 AND user_id = ?2",
	[S_MEMBER_INSERT] =
		"INSERT INTO memberships(hive_id, user_id, role, joined_at) "
		"VALUES (?1, ?2, ?3, ?4)",
	[S_MEMBER_DELETE] =
		"DELETE FROM memberships WHERE hive_id = ?1 AND user_id = ?2",
	[S_MEMBER_SET_ROLE] =
		"UPDATE memberships SET role = ?3 "
		"WHERE hive_id = ?1 AND user_id = ?2",
	[S_MEMBER_LIST] =
		"SELECT u.id, u.handle, u.display_name, m.role, m.joined_at "
		"FROM memberships m JOIN users u ON u.id = m.user_id "
		"WHERE m.hive_id = ?1 ORDER BY m.role DESC, u.display_name",
	[S_MEMBER_DELETE_USER] = "DELETE FROM memberships WHERE user_id = ?1",
	[S_MENTOR_LOAD] =
		"SELECT count(*) FROM memberships l JOIN memberships me "
		"ON me.hive_id = l.hive_id AND me.user_id = ?1 "
		"AND me.role = 'mentor' WHERE l.role = 'learner'",
	[S_HIVE_MENTORS] =
		"SELECT user_id FROM memberships WHERE hive_id = ?1 "
		"AND role = 'mentor' ORDER BY user_id",
	[S_SHARE_HIVE] =
		"SELECT EXISTS (SELECT 1 FROM memberships a JOIN memberships b "
		"ON a.hive_id = b.hive_id WHERE a.user_id = ?1 "
		"AND b.user_id = ?2)",
	[S_INVITE_INSERT] =
		"INSERT INTO invites(code_hash, kind, hive_id, role, max_uses, "
		"expires_at, created_by, created_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[S_INVITE_BY_DIGEST] =
		"SELECT " INVITE_COLS " FROM invites WHERE code_hash = ?1",
	[S_INVITE_GET] = "SELECT " INVITE_COLS " FROM invites WHERE id = ?1",
	[S_INVITE_USE] =
		"UPDATE invites SET uses = uses + 1 WHERE id = ?1 "
		"AND uses < max_uses",
	[S_INVITE_REVOKE] =
		"UPDATE invites SET revoked_at = ?2 WHERE id = ?1 "
		"AND revoked_at IS NULL",
	[S_INVITE_LIST_ALL] =
		"SELECT " INVITE_COLS " FROM invites ORDER BY id DESC",
	[S_INVITE_LIST_HIVE] =
		"SELECT " INVITE_COLS " FROM invites WHERE hive_id = ?1 "
		"ORDER BY id DESC",
	[S_WAIT_INSERT] =
		"INSERT OR IGNORE INTO waitlist(hive_id, user_id, created_at) "
		"VALUES (?1, ?2, ?3)",
	[S_WAIT_DELETE] =
		"DELETE FROM waitlist WHERE hive_id = ?1 AND user_id = ?2",
	[S_WAIT_LIST] =
		"SELECT u.id, u.handle, u.display_name, 'learner', w.created_at "
		"FROM waitlist w JOIN users u ON u.id = w.user_id "
		"WHERE w.hive_id = ?1 ORDER BY w.created_at, u.id",
	[S_WAIT_DELETE_USER] = "DELETE FROM waitlist WHERE user_id = ?1",
	[S_CHAN_INSERT] =
		"INSERT INTO channels(hive_id, kind, name, topic, position, "
		"created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_CHAN_GET] = "SELECT " CHAN_COLS " FROM channels WHERE id = ?1",
	[S_CHAN_LIST] =
		"SELECT " CHAN_COLS " FROM channels WHERE hive_id = ?1 "
		"ORDER BY position, id",
	[S_CHAN_UPDATE] =
		"UPDATE channels SET name = ?2, topic = ?3, position = ?4 "
		"WHERE id = ?1",
	[S_CHAN_ARCHIVE] =
		"UPDATE channels SET archived_at = ?2 WHERE id = ?1 "
		"AND archived_at IS NULL",
	[S_CHAN_NEXT_POS] =
		"SELECT coalesce(max(position), -1) + 1 FROM channels "
		"WHERE hive_id = ?1",
	[S_DIRECT_ADD] =
		"INSERT OR IGNORE INTO channel_members(channel_id, user_id) "
		"VALUES (?1, ?2)",
	[S_DIRECT_MEMBERS] =
		"SELECT user_id FROM channel_members WHERE channel_id = ?1 "
		"ORDER BY user_id",
	[S_DIRECT_FIND] =
		"SELECT channel_id FROM channel_members GROUP BY channel_id "
		"HAVING count(*) = ?2 AND sum(user_id IN "
		"(SELECT value FROM json_each(?1))) = ?2 LIMIT 1",
	[S_DIRECT_LIST] =
		"SELECT " CHAN_COLS " FROM channels WHERE id IN "
		"(SELECT channel_id FROM channel_members WHERE user_id = ?1) "
		"ORDER BY id",
	[S_MSG_INSERT] =
		"INSERT INTO messages(channel_id, author_id, body, reply_to, "
		"thread_id, nonce, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_MSG_GET] = "SELECT " MSG_COLS " FROM messages WHERE id = ?1",
	[S_MSG_BY_NONCE] =
		"SELECT " MSG_COLS " FROM messages WHERE author_id = ?1 "
		"AND nonce = ?2",
	[S_MSG_EDIT] =
		"UPDATE messages SET body = ?2, edited_at = ?3 WHERE id = ?1 "
		"AND deleted_at IS NULL",
	[S_MSG_TOMBSTONE] =
		"UPDATE messages SET body = '', deleted_at = ?2 WHERE id = ?1 "
		"AND deleted_at IS NULL",
	[S_MSG_THREAD_BUMP] =
		"UPDATE messages SET reply_count = reply_count + 1, "
		"last_reply_at = ?2 WHERE id = ?1",
	[S_MSG_BEFORE] =
		"SELECT " MSG_COLS " FROM messages WHERE channel_id = ?1 "
		"AND thread_id IS NULL AND id < ?2 ORDER BY id DESC LIMIT ?3",
	[S_MSG_AFTER] =
		"SELECT " MSG_COLS " FROM messages WHERE channel_id = ?1 "
		"AND thread_id IS NULL AND id > ?2 ORDER BY id LIMIT ?3",
	[S_THREAD_BEFORE] =
		"SELECT " MSG_COLS " FROM messages WHERE thread_id = ?1 "
		"AND id < ?2 ORDER BY id DESC LIMIT ?3",
	[S_THREAD_AFTER] =
		"SELECT " MSG_COLS " FROM messages WHERE thread_id = ?1 "
		"AND id > ?2 ORDER BY id LIMIT ?3",
	[S_REACT_ADD] =
		"INSERT INTO reactions(message_id, user_id, emoji, created_at) "
		"VALUES (?1, ?2, ?3, ?4)",
	[S_REACT_REMOVE] =
		"DELETE FROM reactions WHERE message_id = ?1 AND user_id = ?2 "
		"AND emoji = ?3",
	[S_REACT_COUNTS] =
		"SELECT emoji, count(*), max(user_id = ?2) FROM reactions "
		"WHERE message_id = ?1 GROUP BY emoji ORDER BY min(created_at)",
	[S_READ_SET] =
		"INSERT INTO read_markers(user_id, channel_id, message_id) "
		"VALUES (?1, ?2, ?3) ON CONFLICT (user_id, channel_id) "
		"DO UPDATE SET message_id = max(message_id, excluded.message_id)",
	[S_READ_GET] =
		"SELECT message_id FROM read_markers WHERE user_id = ?1 "
		"AND channel_id = ?2",
	[S_UNREAD] =
		"SELECT count(*) FROM messages WHERE channel_id = ?2 "
		"AND thread_id IS NULL AND deleted_at IS NULL AND author_id != ?1 "
		"AND id > coalesce((SELECT message_id FROM read_markers "
		"WHERE user_id = ?1 AND channel_id = ?2), 0)",
	[S_THREAD_READ_SET] =
		"INSERT INTO thread_reads(user_id, thread_id, message_id) "
		"VALUES (?1, ?2, ?3) ON CONFLICT (user_id, thread_id) "
		"DO UPDATE SET message_id = max(message_id, excluded.message_id)",
	[S_THREAD_READ_GET] =
		"SELECT message_id FROM thread_reads WHERE user_id = ?1 "
		"AND thread_id = ?2",
	[S_USER_ERASE_TEXT] =
		"UPDATE messages SET body = '' WHERE author_id = ?1 "
		"AND body != ''",
	[S_EVENT_ERASE_MSG] =
		"UPDATE events SET data = json_set(data, '$.message.text', '') "
		"WHERE kind IN ('msg.created', 'msg.edited') "
		"AND json_extract(data, '$.message.id') = ?1",
	[S_EVENT_ERASE_AUTHOR] =
		"UPDATE events SET data = json_set(data, '$.message.text', '') "
		"WHERE kind IN ('msg.created', 'msg.edited') "
		"AND json_extract(data, '$.message.author_id') = ?1",
	[S_MSG_BY_AUTHOR] =
		"SELECT " MSG_COLS " FROM messages WHERE author_id = ?1 "
		"ORDER BY id",
	[S_WAIT_OF_USER] =
		"SELECT hive_id FROM waitlist WHERE user_id = ?1 ORDER BY hive_id",
	[S_MENTION_INSERT] =
		"INSERT OR IGNORE INTO mentions(user_id, message_id, channel_id) "
		"VALUES (?1, ?2, ?3)",
	[S_UNREAD_MENTIONS] =
		"SELECT count(*) FROM mentions n JOIN messages m "
		"ON m.id = n.message_id WHERE n.user_id = ?1 "
		"AND n.channel_id = ?2 AND m.deleted_at IS NULL "
		"AND n.message_id > CASE WHEN m.thread_id IS NULL "
		"THEN coalesce((SELECT message_id FROM read_markers "
		"WHERE user_id = ?1 AND channel_id = ?2), 0) "
		"ELSE coalesce((SELECT message_id FROM thread_reads "
		"WHERE user_id = ?1 AND thread_id = m.thread_id), 0) END",
	[S_EVENT_INSERT] =
		"INSERT INTO events(hive_id, channel_id, kind, data, created_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_EVENTS_SINCE] =
		"SELECT pos, kind, data FROM events WHERE pos > ?2 AND ("
		"hive_id IN (SELECT hive_id FROM memberships WHERE user_id = ?1) "
		"OR channel_id IN (SELECT channel_id FROM channel_members "
		"WHERE user_id = ?1)) ORDER BY pos LIMIT ?3",
	[S_EVENT_LAST] =
		"SELECT coalesce((SELECT seq FROM sqlite_sequence "
		"WHERE name = 'events'), 0)",
	[S_EVENT_FIRST] = "SELECT coalesce(min(pos), 0) FROM events",
	[S_EVENT_PRUNE] =
		"DELETE FROM events WHERE created_at < ?1 "
		"AND pos < (SELECT max(pos) FROM events)",
	[S_SEARCH] =
		"SELECT m.id, m.channel_id, m.author_id, m.created_at, "
		"snippet(messages_fts, 0, '[', ']', '…', 16) "
		"FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid "
		"JOIN channels c ON c.id = m.channel_id "
		"WHERE messages_fts MATCH ?2 AND m.deleted_at IS NULL AND ("
		"c.hive_id IN (SELECT hive_id FROM memberships WHERE user_id = ?1) "
		"OR c.id IN (SELECT channel_id FROM channel_members "
		"WHERE user_id = ?1)) ORDER BY m.id DESC LIMIT ?3",
};

struct store {
	sqlite3 *db;		/* owned */
	int version;		/* schema version after migrations */
	sqlite3_stmt *stmts[S_COUNT]; /* owned; prepared on first use */
	int depth;		/* open transactions: 1 is BEGIN, more are
				   savepoints inside it */
};

#define BUSY_TIMEOUT_MS 5000

/* Creates the folders leading to path, like `mkdir -p $(dirname path)`. */
static int make_parent_dirs(const char *path)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return RUCHE_EINVAL;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0750) && errno != EEXIST)
			return RUCHE_EIO;
		*p = '/';
	}
	return 0;
}

static int exec(struct store *st, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(st->db));
	sqlite3_free(msg);
	return RUCHE_EIO;
}

/* The highest migration recorded in the database, or 0 for a new one. */
static int current_version(struct store *st, int *version)
{
	sqlite3_stmt *stmt;
	int rc;

	rc = sqlite3_prepare_v2(st->db,
				"SELECT coalesce(max(version), 0) "
				"FROM schema_migrations", -1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return RUCHE_EIO;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 0 : RUCHE_EIO;
}

static int record_version(struct store *st, const struct store_migration *m)
{
	sqlite3_stmt *stmt;
	int rc;

	rc = sqlite3_prepare_v2(st->db,
				"INSERT INTO schema_migrations"
				"(version, name, applied_at) "
				"VALUES (?1, ?2, unixepoch() * 1000)",
				-1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return RUCHE_EIO;
	sqlite3_bind_int(stmt, 1, m->version);
	sqlite3_bind_text(stmt, 2, m->name, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : RUCHE_EIO;
}

/* Applies one migration and records it, all or nothing. */
static int migrate_one(struct store *st, const struct store_migration *m,
		       char *err, size_t errlen)
{
	char why[256];

	if (exec(st, "BEGIN IMMEDIATE", err, errlen))
		return RUCHE_EIO;
	if (exec(st, m->sql, why, sizeof(why)) || record_version(st, m) ||
	    exec(st, "COMMIT", why, sizeof(why))) {
		snprintf(err, errlen, "migration %s failed: %s", m->name, why);
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return RUCHE_EIO;
	}
	log_info("applied schema migration %s", m->name);
	return 0;
}

static int migrate(struct store *st, const struct store_migration *mig,
		   int nmig, char *err, size_t errlen)
{
	int have, known = nmig ? mig[nmig - 1].version : 0;

	if (exec(st, "CREATE TABLE IF NOT EXISTS schema_migrations ("
		     " version INTEGER PRIMARY KEY,"
		     " name TEXT NOT NULL,"
		     " applied_at INTEGER NOT NULL)", err, errlen))
		return RUCHE_EIO;
	if (current_version(st, &have)) {
		snprintf(err, errlen, "cannot read the schema version: %s",
			 sqlite3_errmsg(st->db));
		return RUCHE_EIO;
	}
	if (have > known) {
		snprintf(err, errlen,
			 "the database has schema version %d but this ruche "
			 "only knows up to %d: run a newer ruche", have, known);
		return RUCHE_ESCHEMA;
	}
	for (int i = 0; i < nmig; i++) {
		if (mig[i].version <= have)
			continue;
		if (migrate_one(st, &mig[i], err, errlen))
			return RUCHE_EIO;
		have = mig[i].version;
	}
	st->version = have;
	return 0;
}

int store_open_with(const char *path, const struct store_migration *mig,
		    int nmig, struct store **out, char *err, size_t errlen)
{
	struct store *st;
	int rc;

	*out = NULL;
	if (make_parent_dirs(path)) {
		snprintf(err, errlen, "cannot create the folder of %s: %s",
			 path, strerror(errno));
		return RUCHE_EIO;
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return RUCHE_ENOMEM;
	rc = sqlite3_open_v2(path, &st->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path,
			 st->db ? sqlite3_errmsg(st->db) : "out of memory");
		rc = RUCHE_EIO;
		goto err;
	}
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(st->db, 1);
	rc = exec(st, "PRAGMA journal_mode = WAL;"
		      "PRAGMA synchronous = FULL;"
		      "PRAGMA foreign_keys = ON;", err, errlen);
	if (rc)
		goto err;
	rc = migrate(st, mig, nmig, err, errlen);
	if (rc)
		goto err;
	*out = st;
	return 0;
err:
	store_close(st);
	return rc;
}

int store_open(const char *path, struct store **out, char *err, size_t errlen)
{
	return store_open_with(path, store_migrations, store_nmigrations, out,
			       err, errlen);
}

void store_close(struct store *st)
{
	if (!st)
		return;
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->stmts[i]);
	sqlite3_close(st->db);
	free(st);
}

int store_set_sync(struct store *st, bool full)
{
	char err[128];

	return exec(st, full ? "PRAGMA synchronous = FULL" :
			       "PRAGMA synchronous = NORMAL", err, sizeof(err));
}

int store_schema_version(struct store *st)
{
	return st->version;
}

/* ---- Statements ------------------------------------------------------ */

/* The statement id, prepared (once) and ready to bind; NULL on failure. */
static sqlite3_stmt *stmt(struct store *st, enum stmt_id id)
{
	if (!st->stmts[id] &&
	    sqlite3_prepare_v3(st->db, sql_text[id], -1,
			       SQLITE_PREPARE_PERSISTENT, &st->stmts[id],
			       NULL) != SQLITE_OK) {
		log_error("store: cannot prepare statement %d: %s", (int)id,
			  sqlite3_errmsg(st->db));
		return NULL;
	}
	return st->stmts[id];
}

/* Maps the result of the last step to a Ruche error, and resets. */
static int finish(struct store *st, sqlite3_stmt *s, int rc)
{
	int ext = sqlite3_extended_errcode(st->db);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	if (ext == SQLITE_CONSTRAINT_UNIQUE ||
	    ext == SQLITE_CONSTRAINT_PRIMARYKEY)
		return RUCHE_EEXIST;
	log_error("store: %s", sqlite3_errmsg(st->db));
	return RUCHE_EIO;
}

/* Runs a statement that returns no rows; RUCHE_ENOTFOUND when it was
 * meant to change a row (must_change) and changed none. */
static int run(struct store *st, sqlite3_stmt *s, bool must_change)
{
	int rc = finish(st, s, sqlite3_step(s));

	if (!rc && must_change && sqlite3_changes(st->db) == 0)
		return RUCHE_ENOTFOUND;
	return rc;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

static void bind_digest(sqlite3_stmt *s, int i, const unsigned char *d)
{
	sqlite3_bind_blob(s, i, d, AUTH_DIGEST_LEN, SQLITE_STATIC);
}

static void col_text(sqlite3_stmt *s, int i, char *out, size_t outlen)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	snprintf(out, outlen, "%s", v ? (const char *)v : "");
}

/*
 * Steps a query and copies each row out with read_row into a growing
 * array of rows of size `size`.
 */
static int list(struct store *st, sqlite3_stmt *s, size_t size,
		void (*read_row)(sqlite3_stmt *s, void *row), void **out,
		size_t *n)
{
	char *rows = NULL;
	size_t count = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			char *p = realloc(rows, ncap * size);

			if (!p) {
				free(rows);
				finish(st, s, SQLITE_DONE);
				return RUCHE_ENOMEM;
			}
			rows = p;
			cap = ncap;
		}
		memset(rows + count * size, 0, size);
		read_row(s, rows + count * size);
		count++;
	}
	rc = finish(st, s, rc);
	if (rc) {
		free(rows);
		return rc;
	}
	*out = rows;
	*n = count;
	return 0;
}

/* Steps a query expected to return one row, read with read_row. */
static int one(struct store *st, sqlite3_stmt *s,
	       void (*read_row)(sqlite3_stmt *s, void *row), void *out)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		read_row(s, out);
	if (finish(st, s, rc))
		return RUCHE_EIO;
	return rc == SQLITE_ROW ? 0 : RUCHE_ENOTFOUND;
}

static void read_int(sqlite3_stmt *s, void *row)
{
	*(int64_t *)row = sqlite3_column_int64(s, 0);
}

/*
 * Transactions nest: inside an open one, store_begin() makes a savepoint,
 * so a domain function that needs all-or-nothing works the same whether
 * its caller (the event loop's grouped commit) has a transaction open or
 * not.
 */
int store_begin(struct store *st)
{
	sqlite3_stmt *s = stmt(st, st->depth ? S_SAVEPOINT : S_BEGIN);
	int rc = s ? run(st, s, false) : RUCHE_EIO;

	if (!rc)
		st->depth++;
	return rc;
}

int store_commit(struct store *st)
{
	sqlite3_stmt *s;
	int rc;

	if (!st->depth)
		return RUCHE_EINVAL;
	s = stmt(st, st->depth > 1 ? S_RELEASE : S_COMMIT);
	rc = s ? run(st, s, false) : RUCHE_EIO;
	if (!rc)
		st->depth--;
	return rc;
}

void store_rollback(struct store *st)
{
	if (!st->depth)
		return;
	if (st->depth > 1) {
		sqlite3_stmt *to = stmt(st, S_ROLLBACK_TO);
		sqlite3_stmt *rel = stmt(st, S_RELEASE);

		if (to && rel) {
			run(st, to, false);
			run(st, rel, false);
		}
	} else if (sqlite3_get_autocommit(st->db) == 0) {
		sqlite3_stmt *s = stmt(st, S_ROLLBACK);

		if (s)
			run(st, s, false);
	}
	st->depth--;
}

bool store_in_transaction(struct store *st)
{
	return st->depth > 0;
}

int store_end(struct store *st, int rc)
{
	if (!rc)
		rc = store_commit(st);
	if (rc)
		store_rollback(st);
	return rc;
}

const char *role_name(enum role r)
{
	return r == ROLE_MENTOR ? "mentor" : r == ROLE_LEARNER ? "learner" :
	       "none";
}

enum role role_parse(const char *s)
{
	if (s && strcmp(s, "mentor") == 0)
		return ROLE_MENTOR;
	if (s && strcmp(s, "learner") == 0)
		return ROLE_LEARNER;
	return ROLE_NONE;
}

/* ---- Users ----------------------------------------------------------- */

static void read_user(sqlite3_stmt *s, void *row)
{
	struct store_user *u = row;

	u->id = sqlite3_column_int64(s, 0);
	col_text(s, 1, u->handle, sizeof(u->handle));
	col_text(s, 2, u->name, sizeof(u->name));
	col_text(s, 3, u->pw_hash, sizeof(u->pw_hash));
	u->is_admin = sqlite3_column_int(s, 4) != 0;
	u->deleted = sqlite3_column_int(s, 5) != 0;
	u->created_at = sqlite3_column_int64(s, 6);
}

int store_user_insert(struct store *st, struct store_user *u)
{
	sqlite3_stmt *s = stmt(st, S_USER_INSERT);
	int rc;

	if (!s)
		return RUCHE_EIO;
	bind_text(s, 1, u->handle);
	bind_text(s, 2, u->name);
	bind_text(s, 3, u->pw_hash);
	sqlite3_bind_int(s, 4, u->is_admin);
	sqlite3_bind_int64(s, 5, u->created_at);
	rc = run(st, s, false);
	if (!rc)
		u->id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int store_user_get(struct store *st, int64_t id, struct store_user *out)
{
	sqlite3_stmt *s = stmt(st, S_USER_GET);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	return one(st, s, read_user, out);
}

int store_user_by_handle(struct store *st, const char *handle,
			 struct store_user *out)
{
	sqlite3_stmt *s = stmt(st, S_USER_BY_HANDLE);

	if (!s)
		return RUCHE_EIO;
	bind_text(s, 1, handle);
	return one(st, s, read_user, out);
}

/* Runs an UPDATE keyed by ?1 with one text or integer value in ?2. */
static int update_text(struct store *st, enum stmt_id id, int64_t key,
		       const char *v)
{
	sqlite3_stmt *s = stmt(st, id);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, key);
	bind_text(s, 2, v);
	return run(st, s, true);
}

static int update_int(struct store *st, enum stmt_id id, int64_t key,
		      int64_t v)
{
	sqlite3_stmt *s = stmt(st, id);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, key);
	sqlite3_bind_int64(s, 2, v);
	return run(st, s, true);
}

int store_user_set_name(struct store *st, int64_t id, const char *name)
{
	return update_text(st, S_USER_SET_NAME, id, name);
}

int store_user_set_password(struct store *st, int64_t id, const char *hash)
{
	return update_text(st, S_USER_SET_PASSWORD, id, hash);
}

int store_user_set_admin(struct store *st, int64_t id, bool admin)
{
	return update_int(st, S_USER_SET_ADMIN, id, admin);
}

int store_admin_count(struct store *st, int *n)
{
	sqlite3_stmt *s = stmt(st, S_ADMIN_COUNT);
	int64_t v = 0;
	int rc;

	if (!s)
		return RUCHE_EIO;
	rc = one(st, s, read_int, &v);
	*n = (int)v;
	return rc;
}

/* Runs a DELETE keyed by one id in ?1. */
static int delete_by(struct store *st, enum stmt_id id, int64_t key)
{
	sqlite3_stmt *s = stmt(st, id);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, key);
	return run(st, s, false);
}

int store_user_erase(struct store *st, int64_t id, int64_t now)
{
	int rc = store_begin(st);

	if (rc)
		return rc;
	rc = update_int(st, S_USER_ERASE, id, now);
	if (!rc)
		rc = store_session_delete_user(st, id, 0);
	if (!rc)
		rc = delete_by(st, S_MEMBER_DELETE_USER, id);
	if (!rc)
		rc = delete_by(st, S_WAIT_DELETE_USER, id);
	if (!rc)
		rc = delete_by(st, S_USER_ERASE_TEXT, id);
	if (!rc)
		rc = store_event_erase_text(st, 0, id);
	if (!rc)
		rc = store_commit(st);
	if (rc)
		store_rollback(st);
	return rc;
}

/* ---- Sessions -------------------------------------------------------- */

static void read_session(sqlite3_stmt *s, void *row)
{
	struct store_session *se = row;

	se->id = sqlite3_column_int64(s, 0);
	se->user_id = sqlite3_column_int64(s, 1);
	se->created_at = sqlite3_column_int64(s, 2);
	se->last_seen_at = sqlite3_column_int64(s, 3);
	se->expires_at = sqlite3_column_int64(s, 4);
}

int store_session_insert(struct store *st, int64_t user_id,
			 const unsigned char digest[AUTH_DIGEST_LEN],
			 int64_t now, int64_t expires_at, int64_t *id)
{
	sqlite3_stmt *s = stmt(st, S_SESSION_INSERT);
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, user_id);
	bind_digest(s, 2, digest);
	sqlite3_bind_int64(s, 3, now);
	sqlite3_bind_int64(s, 4, expires_at);
	rc = run(st, s, false);
	if (!rc && id)
		*id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int store_session_by_digest(struct store *st,
			    const unsigned char digest[AUTH_DIGEST_LEN],
			    struct store_session *out)
{
	sqlite3_stmt *s = stmt(st, S_SESSION_BY_DIGEST);

	if (!s)
		return RUCHE_EIO;
	bind_digest(s, 1, digest);
	return one(st, s, read_session, out);
}

int store_session_get(struct store *st, int64_t id, struct store_session *out)
{
	sqlite3_stmt *s = stmt(st, S_SESSION_GET);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	return one(st, s, read_session, out);
}

int store_session_touch(struct store *st, int64_t id, int64_t now,
			int64_t expires_at)
{
	sqlite3_stmt *s = stmt(st, S_SESSION_TOUCH);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, expires_at);
	return run(st, s, true);
}

int store_session_delete(struct store *st, int64_t id)
{
	return delete_by(st, S_SESSION_DELETE, id);
}

int store_session_delete_user(struct store *st, int64_t user_id,
			      int64_t except_id)
{
	sqlite3_stmt *s = stmt(st, S_SESSION_DELETE_USER);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_int64(s, 2, except_id);
	return run(st, s, false);
}

int store_session_list(struct store *st, int64_t user_id,
		       struct store_session **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_SESSION_LIST);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, user_id);
	return list(st, s, sizeof(**out), read_session, (void **)out, n);
}

/* ---- Hives and memberships ------------------------------------------- */

static void read_hive(sqlite3_stmt *s, void *row)
{
	struct store_hive *h = row;

	h->id = sqlite3_column_int64(s, 0);
	col_text(s, 1, h->name, sizeof(h->name));
	col_text(s, 2, h->description, sizeof(h->description));
	h->capacity = sqlite3_column_int(s, 3);
	h->created_at = sqlite3_column_int64(s, 4);
	h->archived_at = sqlite3_column_int64(s, 5);
	h->learners = sqlite3_column_int(s, 6);
	h->mentors = sqlite3_column_int(s, 7);
}

int store_hive_insert(struct store *st, struct store_hive *h)
{
	sqlite3_stmt *s = stmt(st, S_HIVE_INSERT);
	int rc;

	if (!s)
		return RUCHE_EIO;
	bind_text(s, 1, h->name);
	bind_text(s, 2, h->description);
	sqlite3_bind_int(s, 3, h->capacity);
	sqlite3_bind_int64(s, 4, h->created_at);
	rc = run(st, s, false);
	if (!rc)
		h->id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int store_hive_get(struct store *st, int64_t id, struct store_hive *out)
{
	sqlite3_stmt *s = stmt(st, S_HIVE_GET);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	return one(st, s, read_hive, out);
}

int store_hive_by_name(struct store *st, const char *name,
		       struct store_hive *out)
{
	sqlite3_stmt *s = stmt(st, S_HIVE_BY_NAME);

	if (!s)
		return RUCHE_EIO;
	bind_text(s, 1, name);
	return one(st, s, read_hive, out);
}

int store_hive_update(struct store *st, const struct store_hive *h)
{
	sqlite3_stmt *s = stmt(st, S_HIVE_UPDATE);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, h->id);
	bind_text(s, 2, h->name);
	bind_text(s, 3, h->description);
	sqlite3_bind_int(s, 4, h->capacity);
	return run(st, s, true);
}

int store_hive_archive(struct store *st, int64_t id, int64_t now)
{
	return update_int(st, S_HIVE_ARCHIVE, id, now);
}

int store_hive_list(struct store *st, int64_t user_id,
		    struct store_hive **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, user_id ? S_HIVE_LIST_USER :
					     S_HIVE_LIST_ALL);

	if (!s)
		return RUCHE_EIO;
	if (user_id)
		sqlite3_bind_int64(s, 1, user_id);
	return list(st, s, sizeof(**out), read_hive, (void **)out, n);
}

static void read_role(sqlite3_stmt *s, void *row)
{
	*(enum role *)row = role_parse((const char *)sqlite3_column_text(s, 0));
}

int store_member_role(struct store *st, int64_t hive_id, int64_t user_id,
		      enum role *out)
{
	sqlite3_stmt *s = stmt(st, S_MEMBER_ROLE);
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, hive_id);
	sqlite3_bind_int64(s, 2, user_id);
	*out = ROLE_NONE;
	rc = one(st, s, read_role, out);
	return rc == RUCHE_ENOTFOUND ? 0 : rc;
}

/* Writes a membership row: (hive ?1, user ?2, role ?3[, since ?4]). */
static int member_write(struct store *st, enum stmt_id id, int64_t hive_id,
			int64_t user_id, enum role role, int64_t now)
{
	sqlite3_stmt *s = stmt(st, id);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, hive_id);
	sqlite3_bind_int64(s, 2, user_id);
	bind_text(s, 3, role_name(role));
	if (id == S_MEMBER_INSERT)
		sqlite3_bind_int64(s, 4, now);
	return run(st, s, id != S_MEMBER_INSERT);
}

int store_member_insert(struct store *st, int64_t hive_id, int64_t user_id,
			enum role role, int64_t now)
{
	return member_write(st, S_MEMBER_INSERT, hive_id, user_id, role, now);
}

/* Runs a statement keyed by (?1, ?2), expected to change one row. */
static int pair_change(struct store *st, enum stmt_id id, int64_t a,
		       int64_t b)
{
	sqlite3_stmt *s = stmt(st, id);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, a);
	sqlite3_bind_int64(s, 2, b);
	return run(st, s, true);
}

int store_member_delete(struct store *st, int64_t hive_id, int64_t user_id)
{
	return pair_change(st, S_MEMBER_DELETE, hive_id, user_id);
}

int store_member_set_role(struct store *st, int64_t hive_id,
			  int64_t user_id, enum role role)
{
	return member_write(st, S_MEMBER_SET_ROLE, hive_id, user_id, role, 0);
}

static void read_member(sqlite3_stmt *s, void *row)
{
	struct store_member *m = row;

	m->user_id = sqlite3_column_int64(s, 0);
	col_text(s, 1, m->handle, sizeof(m->handle));
	col_text(s, 2, m->name, sizeof(m->name));
	m->role = role_parse((const char *)sqlite3_column_text(s, 3));
	m->since = sqlite3_column_int64(s, 4);
}

/* Lists rows of a query keyed by one id in ?1. */
static int list_by(struct store *st, enum stmt_id id, int64_t key,
		   size_t size, void (*read_row)(sqlite3_stmt *, void *),
		   void **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, id);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, key);
	return list(st, s, size, read_row, out, n);
}

int store_member_list(struct store *st, int64_t hive_id,
		      struct store_member **out, size_t *n)
{
	return list_by(st, S_MEMBER_LIST, hive_id, sizeof(**out), read_member,
		       (void **)out, n);
}

int store_mentor_load(struct store *st, int64_t user_id, int *learners)
{
	sqlite3_stmt *s = stmt(st, S_MENTOR_LOAD);
	int64_t v = 0;
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, user_id);
	rc = one(st, s, read_int, &v);
	*learners = (int)v;
	return rc;
}

int store_hive_mentors(struct store *st, int64_t hive_id, int64_t **ids,
		       size_t *n)
{
	return list_by(st, S_HIVE_MENTORS, hive_id, sizeof(**ids), read_int,
		       (void **)ids, n);
}

int store_users_share_hive(struct store *st, int64_t a, int64_t b, bool *out)
{
	sqlite3_stmt *s = stmt(st, S_SHARE_HIVE);
	int64_t v = 0;
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, a);
	sqlite3_bind_int64(s, 2, b);
	rc = one(st, s, read_int, &v);
	*out = v != 0;
	return rc;
}

/* ---- Invites and waitlists ------------------------------------------- */

static void read_invite(sqlite3_stmt *s, void *row)
{
	struct store_invite *inv = row;

	inv->id = sqlite3_column_int64(s, 0);
	inv->kind = sqlite3_column_int(s, 1) ? INVITE_ADMIN : INVITE_HIVE;
	inv->hive_id = sqlite3_column_int64(s, 2);
	inv->role = role_parse((const char *)sqlite3_column_text(s, 3));
	inv->max_uses = sqlite3_column_int(s, 4);
	inv->uses = sqlite3_column_int(s, 5);
	inv->expires_at = sqlite3_column_int64(s, 6);
	inv->revoked_at = sqlite3_column_int64(s, 7);
	inv->created_by = sqlite3_column_int64(s, 8);
	inv->created_at = sqlite3_column_int64(s, 9);
}

int store_invite_insert(struct store *st, struct store_invite *inv,
			const unsigned char digest[AUTH_DIGEST_LEN])
{
	sqlite3_stmt *s = stmt(st, S_INVITE_INSERT);
	bool admin = inv->kind == INVITE_ADMIN;
	int rc;

	if (!s)
		return RUCHE_EIO;
	bind_digest(s, 1, digest);
	bind_text(s, 2, admin ? "admin" : "hive");
	if (!admin) {
		sqlite3_bind_int64(s, 3, inv->hive_id);
		bind_text(s, 4, role_name(inv->role));
	}
	sqlite3_bind_int(s, 5, inv->max_uses);
	sqlite3_bind_int64(s, 6, inv->expires_at);
	if (inv->created_by)
		sqlite3_bind_int64(s, 7, inv->created_by);
	sqlite3_bind_int64(s, 8, inv->created_at);
	rc = run(st, s, false);
	if (!rc)
		inv->id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int store_invite_by_digest(struct store *st,
			   const unsigned char digest[AUTH_DIGEST_LEN],
			   struct store_invite *out)
{
	sqlite3_stmt *s = stmt(st, S_INVITE_BY_DIGEST);

	if (!s)
		return RUCHE_EIO;
	bind_digest(s, 1, digest);
	return one(st, s, read_invite, out);
}

int store_invite_get(struct store *st, int64_t id, struct store_invite *out)
{
	sqlite3_stmt *s = stmt(st, S_INVITE_GET);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	return one(st, s, read_invite, out);
}

int store_invite_use(struct store *st, int64_t id)
{
	sqlite3_stmt *s = stmt(st, S_INVITE_USE);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	return run(st, s, true);
}

int store_invite_revoke(struct store *st, int64_t id, int64_t now)
{
	return update_int(st, S_INVITE_REVOKE, id, now);
}

int store_invite_list(struct store *st, int64_t hive_id,
		      struct store_invite **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, hive_id ? S_INVITE_LIST_HIVE :
					     S_INVITE_LIST_ALL);

	if (!s)
		return RUCHE_EIO;
	if (hive_id)
		sqlite3_bind_int64(s, 1, hive_id);
	return list(st, s, sizeof(**out), read_invite, (void **)out, n);
}

int store_waitlist_insert(struct store *st, int64_t hive_id, int64_t user_id,
			  int64_t now)
{
	sqlite3_stmt *s = stmt(st, S_WAIT_INSERT);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, hive_id);
	sqlite3_bind_int64(s, 2, user_id);
	sqlite3_bind_int64(s, 3, now);
	return run(st, s, false);
}

int store_waitlist_delete(struct store *st, int64_t hive_id, int64_t user_id)
{
	return pair_change(st, S_WAIT_DELETE, hive_id, user_id);
}

int store_waitlist_list(struct store *st, int64_t hive_id,
			struct store_member **out, size_t *n)
{
	return list_by(st, S_WAIT_LIST, hive_id, sizeof(**out), read_member,
		       (void **)out, n);
}

/* ---- Chat ------------------------------------------------------------ */

static const char *const kind_names[] = { "chat", "announce", "direct" };

const char *channel_kind_name(enum channel_kind k)
{
	return kind_names[k];
}

static enum channel_kind kind_parse(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (s && strcmp(s, kind_names[i]) == 0)
			return (enum channel_kind)i;
	return CHANNEL_CHAT;
}

/* Binds an id, or NULL for 0. */
static void bind_id(sqlite3_stmt *s, int i, int64_t id)
{
	if (id)
		sqlite3_bind_int64(s, i, id);
	else
		sqlite3_bind_null(s, i);
}

static void read_channel(sqlite3_stmt *s, void *row)
{
	struct store_channel *c = row;

	c->id = sqlite3_column_int64(s, 0);
	c->hive_id = sqlite3_column_int64(s, 1);
	c->kind = kind_parse((const char *)sqlite3_column_text(s, 2));
	col_text(s, 3, c->name, sizeof(c->name));
	col_text(s, 4, c->topic, sizeof(c->topic));
	c->position = sqlite3_column_int(s, 5);
	c->created_at = sqlite3_column_int64(s, 6);
	c->archived_at = sqlite3_column_int64(s, 7);
}

int store_channel_insert(struct store *st, struct store_channel *c)
{
	sqlite3_stmt *s = stmt(st, S_CHAN_INSERT);
	int rc;

	if (!s)
		return RUCHE_EIO;
	bind_id(s, 1, c->hive_id);
	bind_text(s, 2, channel_kind_name(c->kind));
	if (c->kind != CHANNEL_DIRECT)
		bind_text(s, 3, c->name);
	bind_text(s, 4, c->topic);
	sqlite3_bind_int(s, 5, c->position);
	sqlite3_bind_int64(s, 6, c->created_at);
	rc = run(st, s, false);
	if (!rc)
		c->id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int store_channel_get(struct store *st, int64_t id, struct store_channel *out)
{
	sqlite3_stmt *s = stmt(st, S_CHAN_GET);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	return one(st, s, read_channel, out);
}

int store_channel_list(struct store *st, int64_t hive_id,
		       struct store_channel **out, size_t *n)
{
	return list_by(st, S_CHAN_LIST, hive_id, sizeof(**out), read_channel,
		       (void **)out, n);
}

int store_channel_update(struct store *st, const struct store_channel *c)
{
	sqlite3_stmt *s = stmt(st, S_CHAN_UPDATE);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, c->id);
	bind_text(s, 2, c->name);
	bind_text(s, 3, c->topic);
	sqlite3_bind_int(s, 4, c->position);
	return run(st, s, true);
}

int store_channel_archive(struct store *st, int64_t id, int64_t now)
{
	return update_int(st, S_CHAN_ARCHIVE, id, now);
}

int store_channel_next_position(struct store *st, int64_t hive_id, int *pos)
{
	sqlite3_stmt *s = stmt(st, S_CHAN_NEXT_POS);
	int64_t v = 0;
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, hive_id);
	rc = one(st, s, read_int, &v);
	*pos = (int)v;
	return rc;
}

int store_direct_add_member(struct store *st, int64_t channel_id,
			    int64_t user_id)
{
	sqlite3_stmt *s = stmt(st, S_DIRECT_ADD);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, channel_id);
	sqlite3_bind_int64(s, 2, user_id);
	return run(st, s, false);
}

int store_direct_members(struct store *st, int64_t channel_id, int64_t **ids,
			 size_t *n)
{
	return list_by(st, S_DIRECT_MEMBERS, channel_id, sizeof(**ids),
		       read_int, (void **)ids, n);
}

int store_direct_find(struct store *st, const int64_t *user_ids, size_t n,
		      int64_t *channel_id)
{
	sqlite3_stmt *s = stmt(st, S_DIRECT_FIND);
	char json[16 * 24 + 4];
	size_t len = 0;

	if (!s || n > 16)
		return RUCHE_EIO;
	json[len++] = '[';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(json + len, sizeof(json) - len,
					"%s%lld", i ? "," : "",
					(long long)user_ids[i]);
	snprintf(json + len, sizeof(json) - len, "]");
	sqlite3_bind_text(s, 1, json, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, (int64_t)n);
	return one(st, s, read_int, channel_id);
}

int store_direct_list(struct store *st, int64_t user_id,
		      struct store_channel **out, size_t *n)
{
	return list_by(st, S_DIRECT_LIST, user_id, sizeof(**out), read_channel,
		       (void **)out, n);
}

static void read_message(sqlite3_stmt *s, void *row)
{
	struct store_message *m = row;
	const unsigned char *body = sqlite3_column_text(s, 3);

	m->id = sqlite3_column_int64(s, 0);
	m->channel_id = sqlite3_column_int64(s, 1);
	m->author_id = sqlite3_column_int64(s, 2);
	m->body = strdup(body ? (const char *)body : "");
	m->reply_to = sqlite3_column_int64(s, 4);
	m->thread_id = sqlite3_column_int64(s, 5);
	col_text(s, 6, m->nonce, sizeof(m->nonce));
	m->created_at = sqlite3_column_int64(s, 7);
	m->edited_at = sqlite3_column_int64(s, 8);
	m->deleted_at = sqlite3_column_int64(s, 9);
	m->reply_count = sqlite3_column_int(s, 10);
	m->last_reply_at = sqlite3_column_int64(s, 11);
}

void store_msg_release(struct store_message *m)
{
	if (m) {
		free(m->body);
		m->body = NULL;
	}
}

void store_msg_list_free(struct store_message *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i].body);
	free(list);
}

int store_msg_insert(struct store *st, struct store_message *m)
{
	sqlite3_stmt *s = stmt(st, S_MSG_INSERT);
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, m->channel_id);
	sqlite3_bind_int64(s, 2, m->author_id);
	bind_text(s, 3, m->body);
	bind_id(s, 4, m->reply_to);
	bind_id(s, 5, m->thread_id);
	if (m->nonce[0])
		bind_text(s, 6, m->nonce);
	sqlite3_bind_int64(s, 7, m->created_at);
	rc = run(st, s, false);
	if (!rc)
		m->id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int store_msg_get(struct store *st, int64_t id, struct store_message *out)
{
	sqlite3_stmt *s = stmt(st, S_MSG_GET);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	return one(st, s, read_message, out);
}

int store_msg_by_nonce(struct store *st, int64_t author_id, const char *nonce,
		       struct store_message *out)
{
	sqlite3_stmt *s = stmt(st, S_MSG_BY_NONCE);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, author_id);
	bind_text(s, 2, nonce);
	return one(st, s, read_message, out);
}

int store_msg_edit(struct store *st, int64_t id, const char *body,
		   int64_t now)
{
	sqlite3_stmt *s = stmt(st, S_MSG_EDIT);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, body);
	sqlite3_bind_int64(s, 3, now);
	return run(st, s, true);
}

int store_msg_tombstone(struct store *st, int64_t id, int64_t now)
{
	return update_int(st, S_MSG_TOMBSTONE, id, now);
}

int store_msg_thread_bump(struct store *st, int64_t root_id, int64_t now)
{
	return update_int(st, S_MSG_THREAD_BUMP, root_id, now);
}

int store_msg_page(struct store *st, int64_t channel_id, int64_t thread_id,
		   int64_t before_id, int64_t after_id, int limit,
		   struct store_message **out, size_t *n)
{
	enum stmt_id id = thread_id ?
		(before_id ? S_THREAD_BEFORE : S_THREAD_AFTER) :
		(before_id ? S_MSG_BEFORE : S_MSG_AFTER);
	sqlite3_stmt *s = stmt(st, id);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, thread_id ? thread_id : channel_id);
	sqlite3_bind_int64(s, 2, before_id ? before_id : after_id);
	sqlite3_bind_int(s, 3, limit);
	return list(st, s, sizeof(**out), read_message, (void **)out, n);
}

static int reaction_change(struct store *st, enum stmt_id id,
			   int64_t message_id, int64_t user_id,
			   const char *emoji, int64_t now)
{
	sqlite3_stmt *s = stmt(st, id);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, message_id);
	sqlite3_bind_int64(s, 2, user_id);
	bind_text(s, 3, emoji);
	if (id == S_REACT_ADD)
		sqlite3_bind_int64(s, 4, now);
	return run(st, s, id == S_REACT_REMOVE);
}

int store_reaction_add(struct store *st, int64_t message_id, int64_t user_id,
		       const char *emoji, int64_t now)
{
	return reaction_change(st, S_REACT_ADD, message_id, user_id, emoji,
			       now);
}

int store_reaction_remove(struct store *st, int64_t message_id,
			  int64_t user_id, const char *emoji)
{
	return reaction_change(st, S_REACT_REMOVE, message_id, user_id, emoji,
			       0);
}

static void read_reaction(sqlite3_stmt *s, void *row)
{
	struct store_reaction_count *r = row;

	col_text(s, 0, r->emoji, sizeof(r->emoji));
	r->count = sqlite3_column_int(s, 1);
	r->mine = sqlite3_column_int(s, 2) != 0;
}

int store_reaction_counts(struct store *st, int64_t message_id,
			  int64_t user_id, struct store_reaction_count **out,
			  size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_REACT_COUNTS);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, message_id);
	sqlite3_bind_int64(s, 2, user_id);
	return list(st, s, sizeof(**out), read_reaction, (void **)out, n);
}

/* Moves a read marker (channel or thread) forward. */
static int marker_set(struct store *st, enum stmt_id id, int64_t user_id,
		      int64_t key, int64_t message_id)
{
	sqlite3_stmt *s = stmt(st, id);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_int64(s, 2, key);
	sqlite3_bind_int64(s, 3, message_id);
	return run(st, s, false);
}

static int marker_get(struct store *st, enum stmt_id id, int64_t user_id,
		      int64_t key, int64_t *message_id)
{
	sqlite3_stmt *s = stmt(st, id);
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_int64(s, 2, key);
	*message_id = 0;
	rc = one(st, s, read_int, message_id);
	return rc == RUCHE_ENOTFOUND ? 0 : rc;
}

int store_thread_read_set(struct store *st, int64_t user_id,
			  int64_t thread_id, int64_t message_id)
{
	return marker_set(st, S_THREAD_READ_SET, user_id, thread_id,
			  message_id);
}

int store_thread_read_get(struct store *st, int64_t user_id,
			  int64_t thread_id, int64_t *message_id)
{
	return marker_get(st, S_THREAD_READ_GET, user_id, thread_id,
			  message_id);
}

int store_read_set(struct store *st, int64_t user_id, int64_t channel_id,
		   int64_t message_id)
{
	return marker_set(st, S_READ_SET, user_id, channel_id, message_id);
}

int store_read_get(struct store *st, int64_t user_id, int64_t channel_id,
		   int64_t *message_id)
{
	return marker_get(st, S_READ_GET, user_id, channel_id, message_id);
}

int store_unread_count(struct store *st, int64_t user_id, int64_t channel_id,
		       int *n)
{
	sqlite3_stmt *s = stmt(st, S_UNREAD);
	int64_t v = 0;
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_int64(s, 2, channel_id);
	rc = one(st, s, read_int, &v);
	*n = (int)v;
	return rc;
}

int store_mention_insert(struct store *st, int64_t user_id,
			 int64_t message_id, int64_t channel_id)
{
	sqlite3_stmt *s = stmt(st, S_MENTION_INSERT);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_int64(s, 2, message_id);
	sqlite3_bind_int64(s, 3, channel_id);
	return run(st, s, false);
}

int store_unread_mentions(struct store *st, int64_t user_id,
			  int64_t channel_id, int *n)
{
	sqlite3_stmt *s = stmt(st, S_UNREAD_MENTIONS);
	int64_t v = 0;
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_int64(s, 2, channel_id);
	rc = one(st, s, read_int, &v);
	*n = (int)v;
	return rc;
}

int store_event_insert(struct store *st, int64_t hive_id, int64_t channel_id,
		       const char *kind, const char *data, int64_t now,
		       int64_t *pos)
{
	sqlite3_stmt *s = stmt(st, S_EVENT_INSERT);
	int rc;

	if (!s)
		return RUCHE_EIO;
	bind_id(s, 1, hive_id);
	bind_id(s, 2, channel_id);
	bind_text(s, 3, kind);
	bind_text(s, 4, data);
	sqlite3_bind_int64(s, 5, now);
	rc = run(st, s, false);
	if (!rc)
		*pos = sqlite3_last_insert_rowid(st->db);
	return rc;
}

static void read_event(sqlite3_stmt *s, void *row)
{
	struct store_event *e = row;
	const unsigned char *data = sqlite3_column_text(s, 2);

	e->pos = sqlite3_column_int64(s, 0);
	col_text(s, 1, e->kind, sizeof(e->kind));
	e->data = strdup(data ? (const char *)data : "{}");
}

int store_events_since(struct store *st, int64_t user_id, int64_t since,
		       int limit, struct store_event **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_EVENTS_SINCE);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_int64(s, 2, since);
	sqlite3_bind_int(s, 3, limit);
	return list(st, s, sizeof(**out), read_event, (void **)out, n);
}

int store_event_last(struct store *st, int64_t *pos)
{
	sqlite3_stmt *s = stmt(st, S_EVENT_LAST);

	if (!s)
		return RUCHE_EIO;
	return one(st, s, read_int, pos);
}

int store_event_first(struct store *st, int64_t *pos)
{
	sqlite3_stmt *s = stmt(st, S_EVENT_FIRST);

	if (!s)
		return RUCHE_EIO;
	return one(st, s, read_int, pos);
}

int store_event_prune(struct store *st, int64_t before_ms, int *deleted)
{
	sqlite3_stmt *s = stmt(st, S_EVENT_PRUNE);
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, before_ms);
	rc = run(st, s, false);
	*deleted = rc ? 0 : sqlite3_changes(st->db);
	return rc;
}

void store_event_list_free(struct store_event *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i].data);
	free(list);
}

static void read_hit(sqlite3_stmt *s, void *row)
{
	struct store_hit *h = row;
	const unsigned char *ex = sqlite3_column_text(s, 4);

	h->message_id = sqlite3_column_int64(s, 0);
	h->channel_id = sqlite3_column_int64(s, 1);
	h->author_id = sqlite3_column_int64(s, 2);
	h->created_at = sqlite3_column_int64(s, 3);
	h->excerpt = strdup(ex ? (const char *)ex : "");
}

int store_search(struct store *st, int64_t user_id, const char *query,
		 int limit, struct store_hit **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_SEARCH);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, user_id);
	bind_text(s, 2, query);
	sqlite3_bind_int(s, 3, limit);
	return list(st, s, sizeof(**out), read_hit, (void **)out, n);
}

void store_hit_list_free(struct store_hit *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i].excerpt);
	free(list);
}

int store_msg_by_author(struct store *st, int64_t author_id,
			struct store_message **out, size_t *n)
{
	return list_by(st, S_MSG_BY_AUTHOR, author_id, sizeof(**out),
		       read_message, (void **)out, n);
}

int store_waitlist_of_user(struct store *st, int64_t user_id, int64_t **ids,
			   size_t *n)
{
	return list_by(st, S_WAIT_OF_USER, user_id, sizeof(**ids), read_int,
		       (void **)ids, n);
}

int store_event_erase_text(struct store *st, int64_t message_id,
			   int64_t author_id)
{
	return message_id ? delete_by(st, S_EVENT_ERASE_MSG, message_id) :
			    delete_by(st, S_EVENT_ERASE_AUTHOR, author_id);
}
