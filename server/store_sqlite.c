/*
 * store_sqlite.c - the SQLite backend of store.h.
 *
 * This is the only file that includes sqlite3.h.  It owns the connection
 * and (as the store grows) every prepared statement, prepared once and
 * finalized at close.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>

#include "ruche/err.h"
#include "ruche/log.h"
#include "ruche/store.h"
#include "store_ops.h"

#define STORE_PREFIX(name) sq_##name
STORE_OPS(STORE_OP_DECLARE, STORE_OP_VOID_DECLARE)
static void sq_close(struct store *st);
static bool sq_dirty(struct store *st);

/*
 * Every statement the store runs, prepared once on first use (with
 * SQLITE_PREPARE_PERSISTENT) and finalized at close.
 */
enum stmt_id {
	S_BEGIN, S_COMMIT, S_ROLLBACK, S_SAVEPOINT, S_RELEASE, S_ROLLBACK_TO,
	S_SEARCH_INDEX, S_SEARCH_INDEXED, S_SEARCH_COUNT_PENDING,
	S_JOURNAL_MODE, S_DATA_VERSION,
	S_USER_INSERT, S_USER_GET, S_USER_BY_HANDLE, S_USER_SET_NAME,
	S_USER_SET_PASSWORD, S_USER_SET_ADMIN, S_ADMIN_COUNT, S_USER_ERASE,
	S_SESSION_INSERT, S_SESSION_BY_DIGEST, S_SESSION_GET, S_SESSION_TOUCH,
	S_SESSION_DELETE, S_SESSION_DELETE_USER, S_SESSION_LIST,
	S_HIVE_INSERT, S_HIVE_GET, S_HIVE_ARCHIVED, S_HIVE_BY_NAME,
	S_HIVE_UPDATE,
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
	S_EVENTS_SINCE, S_EVENTS_AFTER, S_EVENT_LAST, S_EVENT_FIRST,
	S_EVENT_PRUNE, S_SEARCH_SCOPE, S_SEARCH_IN,
	/* Moderation (the last section of this file). */
	S_MUTE_SET, S_MUTE_GET, S_MUTE_DELETE, S_MUTE_DUE, S_MUTE_LIST,
	S_BAN_INSERT, S_BAN_DELETE, S_BAN_EXISTS, S_BAN_LIST, S_CHAN_MOD,
	S_MSG_LAST_IN_CHAN, S_MSG_COUNT_IN_HIVE, S_MEMBER_SINCE,
	S_REMOVAL_INSERT, S_REMOVAL_GET, S_PIN_INSERT, S_PIN_DELETE,
	S_PIN_LIST, S_REPORT_INSERT, S_REPORT_GET, S_REPORT_FIND,
	S_REPORT_LIST, S_REPORT_RESOLVE, S_GUARD_GET, S_GUARD_SET,
	S_RETENTION_GET, S_RETENTION_SET, S_RETENTION_HIVES, S_PURGE_PICK,
	S_PURGE_UNQUOTE, S_PURGE_UNTHREAD, S_PURGE_EVENTS, S_PURGE_DELETE,
	S_AUDIT_INSERT, S_AUDIT_LIST,
	/* Supervision (the very last section). */
	S_SUP_HIVE, S_SUP_DAYS, S_SUP_MENTORS, S_SUP_RESOLVE_TIMES,
	/* Meetups (the section after supervision). */
	S_MEETUP_INSERT, S_MEETUP_GET, S_MEETUP_UPCOMING, S_MEETUP_REMIND_DUE,
	S_MEETUP_SET_STATE, S_MEETUP_SET_REMINDED, S_RSVP_SET, S_RSVP_GET,
	S_RSVP_USERS, S_SCRIPT_INSERT, S_SCRIPT_UPDATE, S_SCRIPT_GET,
	S_SCRIPT_LIST, S_SCRIPT_DELETE, S_MEETUP_DUE_START, S_MEETUP_LIVE,
	S_MEETUP_SAVE_RUN, S_PART_JOIN, S_PART_LEAVE, S_PART_PRESENT,
	S_TURN_INSERT, S_TURN_LIST, S_TURN_DONE, S_TURN_DELETE, S_GROUP_INSERT,
	S_GROUP_LIST, S_GROUP_RECENT, S_ANSWER_SET, S_ANSWER_LIST,
	S_FEEDBACK_SET, S_FEEDBACK_STATS, S_SUP_MEETUPS, S_MEETUP_BY_CHANNEL,
	S_MEETUP_PAST, S_PART_LIST, S_FEEDBACK_LIST, S_SUP_MENTOR_MEETUPS,
	/* Calendar feeds (the section after meetups). */
	S_ICS_SET, S_ICS_GET, S_ICS_USER, S_ICS_MEETUPS,
	/* Scheduled messages and reminders (after calendar feeds). */
	S_SCHED_INSERT, S_SCHED_GET, S_SCHED_LIST, S_SCHED_UPDATE,
	S_SCHED_DELETE, S_SCHED_DUE, S_REMIND_INSERT, S_REMIND_GET,
	S_REMIND_LIST, S_REMIND_DELETE, S_REMIND_DUE, S_EVENT_USER_INSERT,
	/* Peer pairing (after scheduled messages). */
	S_PAIRING_GET, S_PAIRING_SET, S_PAIRING_DUE, S_PAIRING_ROUND_INSERT,
	S_PAIRING_MEMBER_INSERT, S_PAIRING_ROUNDS, S_PAIRING_MEMBERS,
	S_PAIRING_RECENT,
	S_COUNT
};

#define HIVE_COLS \
	"h.id, h.name, h.description, h.capacity, h.created_at, " \
	"coalesce(h.archived_at, 0), " \
	"(SELECT count(*) FROM memberships m WHERE m.hive_id = h.id " \
	"AND m.role = 'learner'), " \
	"(SELECT count(*) FROM memberships m WHERE m.hive_id = h.id " \
	"AND m.role = 'mentor'), " \
	"coalesce((SELECT retention_days FROM hive_settings s " \
	"WHERE s.hive_id = h.id), 0)"
#define USER_COLS \
	"id, handle, display_name, coalesce(pw_hash, ''), is_admin, " \
	"deleted_at IS NOT NULL, created_at"
#define INVITE_COLS \
	"id, kind = 'admin', coalesce(hive_id, 0), coalesce(role, ''), " \
	"max_uses, uses, expires_at, coalesce(revoked_at, 0), " \
	"coalesce(created_by, 0), created_at"

#define CHAN_COLS \
	"id, coalesce(hive_id, 0), kind, coalesce(name, ''), topic, " \
	"position, created_at, coalesce(archived_at, 0), slow_mode_s, locked"
#define MUTE_COLS \
	"hive_id, user_id, until, coalesce(by_id, 0), reason, created_at"
#define REPORT_COLS \
	"id, hive_id, channel_id, coalesce(message_id, 0), " \
	"coalesce(author_id, 0), coalesce(reporter_id, 0), reason, status, " \
	"created_at, coalesce(resolved_at, 0), coalesce(resolved_by, 0), note"
#define MSG_COLS \
	"id, channel_id, author_id, body, coalesce(reply_to, 0), " \
	"coalesce(thread_id, 0), coalesce(nonce, ''), created_at, " \
	"coalesce(edited_at, 0), coalesce(deleted_at, 0), reply_count, " \
	"coalesce(last_reply_at, 0)"

/*
 * A message's place in the search index (migration 0013): its channel,
 * then its id, so that each channel is one range of the index.  The SQL
 * below and the migration's triggers compute the same.
 */
#define SEARCH_KEY_BITS 40
#define SEARCH_KEY_TEXT(chan, id) "((" chan ") << 40 | (" id "))"
#define SEARCH_ID_MASK ((INT64_C(1) << SEARCH_KEY_BITS) - 1)

static const char *const sql_text[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_SAVEPOINT] = "SAVEPOINT nested",
	[S_RELEASE] = "RELEASE nested",
	[S_ROLLBACK_TO] = "ROLLBACK TO nested",
	/* Messages are indexed for search in batches (0012). */
	[S_SEARCH_INDEX] =
		"INSERT INTO messages_fts(rowid, body) SELECT "
		SEARCH_KEY_TEXT("m.channel_id", "m.id") " AS key, m.body "
		"FROM messages_fts_pending p JOIN messages m ON m.id = p.id "
		"ORDER BY key",
	[S_SEARCH_INDEXED] = "DELETE FROM messages_fts_pending",
	[S_SEARCH_COUNT_PENDING] = "SELECT count(*) FROM messages_fts_pending",
	[S_JOURNAL_MODE] = "PRAGMA journal_mode",
	[S_DATA_VERSION] = "PRAGMA data_version",
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
	[S_HIVE_ARCHIVED] =
		"SELECT coalesce(archived_at, 0) FROM hives WHERE id = ?1",
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
		"SELECT u.id, u.handle, u.display_name, m.role, m.joined_at, "
		"u.is_admin FROM memberships m JOIN users u ON u.id = m.user_id "
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
		"SELECT u.id, u.handle, u.display_name, 'learner', w.created_at, "
		"u.is_admin FROM waitlist w JOIN users u ON u.id = w.user_id "
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
		"WHERE message_id = ?1 GROUP BY emoji "
		"ORDER BY min(created_at), min(rowid)",
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
		"WHERE kind IN ('msg.created', 'msg.edited', 'remind') "
		"AND json_extract(data, '$.message.id') = ?1",
	[S_EVENT_ERASE_AUTHOR] =
		"UPDATE events SET data = json_set(data, '$.message.text', '') "
		"WHERE kind IN ('msg.created', 'msg.edited', 'remind') "
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
		"WHERE user_id = ?1) OR user_id = ?1) ORDER BY pos LIMIT ?3",
	[S_EVENTS_AFTER] =
		"SELECT pos, kind, data, coalesce(hive_id, 0), "
		"coalesce(channel_id, 0), coalesce(user_id, 0) FROM events "
		"WHERE pos > ?1 ORDER BY pos LIMIT ?2",
	[S_EVENT_LAST] =
		"SELECT coalesce((SELECT seq FROM sqlite_sequence "
		"WHERE name = 'events'), 0)",
	[S_EVENT_FIRST] = "SELECT coalesce(min(pos), 0) FROM events",
	[S_EVENT_PRUNE] =
		"DELETE FROM events WHERE created_at < ?1 "
		"AND pos < (SELECT max(pos) FROM events)",
	/*
	 * Search (sq_search()): the channels a user (?1) can read, their
	 * hives' and their conversations', each with the id of its newest
	 * message, the latest first; then, for each, the newest
	 * matches of ?1 between the keys ?2 and ?3 (one channel, ?4, with
	 * ids above a bound), at most ?5, each with its text for the
	 * excerpt.  The index gives them newest first and the query stops at
	 * the limit.  CROSS JOIN keeps the index as the outer loop; the
	 * channel is checked on the message's row too, so that only what
	 * the reader may see is ever returned, whatever the index holds.
	 */
	[S_SEARCH_SCOPE] =
		"SELECT s.id, (SELECT coalesce(max(id), 0) FROM messages "
		"WHERE channel_id = s.id) AS last FROM "
		"(SELECT id FROM channels WHERE hive_id IN "
		"(SELECT hive_id FROM memberships WHERE user_id = ?1) "
		"UNION SELECT channel_id FROM channel_members "
		"WHERE user_id = ?1) AS s ORDER BY last DESC",
	[S_SEARCH_IN] =
		"SELECT m.id, m.channel_id, m.author_id, m.created_at, m.body, "
		"coalesce(m.thread_id, 0) "
		/* The id is the key's low 40 bits (SEARCH_ID_MASK). */
		"FROM messages_fts CROSS JOIN messages m "
		"ON m.id = messages_fts.rowid & 1099511627775 "
		"WHERE messages_fts MATCH ?1 "
		"AND messages_fts.rowid BETWEEN ?2 AND ?3 "
		"AND m.channel_id = ?4 AND m.deleted_at IS NULL "
		"ORDER BY messages_fts.rowid DESC LIMIT ?5",
	/* Moderation */
	[S_MUTE_SET] =
		"INSERT INTO mutes(hive_id, user_id, until, by_id, reason, "
		"created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
		"ON CONFLICT (hive_id, user_id) DO UPDATE SET "
		"until = excluded.until, by_id = excluded.by_id, "
		"reason = excluded.reason, created_at = excluded.created_at",
	[S_MUTE_GET] =
		"SELECT " MUTE_COLS " FROM mutes WHERE hive_id = ?1 "
		"AND user_id = ?2",
	[S_MUTE_DELETE] =
		"DELETE FROM mutes WHERE hive_id = ?1 AND user_id = ?2",
	[S_MUTE_DUE] =
		"SELECT " MUTE_COLS " FROM mutes WHERE until <= ?1 "
		"ORDER BY until LIMIT ?2",
	[S_MUTE_LIST] =
		"SELECT " MUTE_COLS " FROM mutes WHERE hive_id = ?1 "
		"AND until > ?2 ORDER BY until",
	[S_BAN_INSERT] =
		"INSERT INTO bans(hive_id, user_id, by_id, reason, created_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_BAN_DELETE] = "DELETE FROM bans WHERE hive_id = ?1 AND user_id = ?2",
	[S_BAN_EXISTS] =
		"SELECT EXISTS (SELECT 1 FROM bans WHERE hive_id = ?1 "
		"AND user_id = ?2)",
	[S_BAN_LIST] =
		"SELECT b.hive_id, b.user_id, u.handle, u.display_name, "
		"coalesce(b.by_id, 0), b.reason, b.created_at FROM bans b "
		"JOIN users u ON u.id = b.user_id WHERE b.hive_id = ?1 "
		"ORDER BY b.created_at DESC",
	[S_CHAN_MOD] =
		"UPDATE channels SET slow_mode_s = ?2, locked = ?3 "
		"WHERE id = ?1",
	[S_MSG_LAST_IN_CHAN] =
		"SELECT coalesce(max(created_at), 0) FROM messages "
		"WHERE author_id = ?2 AND channel_id = ?1",
	[S_MSG_COUNT_IN_HIVE] =
		"SELECT count(*) FROM messages m JOIN channels c "
		"ON c.id = m.channel_id WHERE m.author_id = ?2 "
		"AND m.created_at >= ?3 AND c.hive_id = ?1",
	[S_MEMBER_SINCE] =
		"SELECT joined_at FROM memberships WHERE hive_id = ?1 "
		"AND user_id = ?2",
	[S_REMOVAL_INSERT] =
		"INSERT OR REPLACE INTO message_removals(message_id, by_id, "
		"reason, removed_at) VALUES (?1, ?2, ?3, ?4)",
	[S_REMOVAL_GET] =
		"SELECT message_id, coalesce(by_id, 0), reason, removed_at "
		"FROM message_removals WHERE message_id = ?1",
	[S_PIN_INSERT] =
		"INSERT INTO pins(message_id, channel_id, by_id, pinned_at) "
		"VALUES (?1, ?2, ?3, ?4)",
	[S_PIN_DELETE] = "DELETE FROM pins WHERE message_id = ?1",
	/* A message its author deleted drops out of the pins. */
	[S_PIN_LIST] =
		"SELECT p.message_id, p.channel_id, coalesce(p.by_id, 0), "
		"p.pinned_at FROM pins p "
		"JOIN messages m ON m.id = p.message_id "
		"WHERE p.channel_id = ?1 AND m.deleted_at IS NULL "
		"ORDER BY p.pinned_at DESC, p.message_id DESC",
	[S_REPORT_INSERT] =
		"INSERT INTO reports(hive_id, channel_id, message_id, "
		"author_id, reporter_id, reason, created_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_REPORT_GET] = "SELECT " REPORT_COLS " FROM reports WHERE id = ?1",
	[S_REPORT_FIND] =
		"SELECT " REPORT_COLS " FROM reports WHERE message_id = ?1 "
		"AND reporter_id = ?2",
	[S_REPORT_LIST] =
		"SELECT " REPORT_COLS " FROM reports WHERE hive_id = ?1 "
		"AND (?2 IS NULL OR status = ?2) "
		"AND (?3 = 0 OR reporter_id = ?3) ORDER BY id DESC LIMIT 500",
	[S_REPORT_RESOLVE] =
		"UPDATE reports SET status = ?2, resolved_by = ?3, note = ?4, "
		"resolved_at = ?5 WHERE id = ?1 AND status = 'open'",
	[S_GUARD_GET] =
		"SELECT blocked_words, new_member_link_limit, new_member_days, "
		"flood_messages, flood_seconds, flood_mute_seconds "
		"FROM hive_settings WHERE hive_id = ?1",
	[S_GUARD_SET] =
		"INSERT INTO hive_settings(hive_id, blocked_words, "
		"new_member_link_limit, new_member_days, flood_messages, "
		"flood_seconds, flood_mute_seconds) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
		"ON CONFLICT (hive_id) DO UPDATE SET "
		"blocked_words = excluded.blocked_words, "
		"new_member_link_limit = excluded.new_member_link_limit, "
		"new_member_days = excluded.new_member_days, "
		"flood_messages = excluded.flood_messages, "
		"flood_seconds = excluded.flood_seconds, "
		"flood_mute_seconds = excluded.flood_mute_seconds",
	[S_RETENTION_GET] =
		"SELECT coalesce(retention_days, 0) FROM hive_settings "
		"WHERE hive_id = ?1",
	[S_RETENTION_SET] =
		"INSERT INTO hive_settings(hive_id, retention_days) "
		"VALUES (?1, ?2) ON CONFLICT (hive_id) DO UPDATE SET "
		"retention_days = excluded.retention_days",
	[S_RETENTION_HIVES] =
		"SELECT hive_id, retention_days FROM hive_settings "
		"WHERE retention_days IS NOT NULL ORDER BY hive_id",
	/* A thread's messages go together, once its last reply is old. */
	[S_PURGE_PICK] =
		"SELECT m.id FROM messages m JOIN channels c "
		"ON c.id = m.channel_id WHERE c.hive_id = ?1 "
		"AND m.created_at < ?2 "
		"AND coalesce(m.last_reply_at, 0) < ?2 "
		"AND (m.thread_id IS NULL OR "
		"(SELECT coalesce(r.last_reply_at, 0) "
		"FROM messages r WHERE r.id = m.thread_id) < ?2) "
		"ORDER BY m.id DESC LIMIT ?3",
	[S_PURGE_UNQUOTE] =
		"UPDATE messages SET reply_to = NULL WHERE reply_to IN "
		"(SELECT value FROM json_each(?1))",
	[S_PURGE_UNTHREAD] =
		"UPDATE messages SET thread_id = NULL WHERE thread_id IN "
		"(SELECT value FROM json_each(?1)) AND id NOT IN "
		"(SELECT value FROM json_each(?1))",
	/* A reminder (remind, addressed to one user) holds a copy too. */
	[S_PURGE_EVENTS] =
		"UPDATE events SET data = json_set(data, '$.message.text', '') "
		"WHERE (hive_id = ?2 AND kind IN ('msg.created', 'msg.edited') "
		"OR user_id IS NOT NULL AND kind = 'remind') "
		"AND json_extract(data, '$.message.id') IN "
		"(SELECT value FROM json_each(?1))",
	[S_PURGE_DELETE] =
		"DELETE FROM messages WHERE id IN "
		"(SELECT value FROM json_each(?1))",
	[S_AUDIT_INSERT] =
		"INSERT INTO audit_log(hive_id, actor_id, action, "
		"target_user_id, message_id, channel_id, reason, detail, "
		"created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[S_AUDIT_LIST] =
		"SELECT id, hive_id, coalesce(actor_id, 0), action, "
		"coalesce(target_user_id, 0), coalesce(message_id, 0), "
		"coalesce(channel_id, 0), reason, detail, created_at "
		"FROM audit_log WHERE hive_id = ?1 "
		"AND (?2 IS NULL OR action = ?2) "
		"AND (?3 = 0 OR coalesce(actor_id, -1) = ?3) "
		"AND (?4 = 0 OR target_user_id = ?4) "
		"AND (?5 = 0 OR created_at >= ?5) "
		"AND (?6 = 0 OR created_at < ?6) "
		"AND (?7 = 0 OR id < ?7) ORDER BY id DESC LIMIT ?8",
	/*
	 * Supervision figures of hive ?1 over [?2, ?3); ?4 is now.  A
	 * question is a learner's message in the hive's channel named help,
	 * neither in a thread nor quoting another; it counts as unanswered
	 * once a day has
	 * gone by without someone else answering it in its thread or
	 * quoting it.
	 */
	[S_SUP_HIVE] =
		"WITH hm AS (SELECT m.* FROM messages m "
		"JOIN channels c ON c.id = m.channel_id "
		"WHERE c.hive_id = ?1 AND m.created_at >= ?2 "
		"AND m.created_at < ?3), "
		"q AS (SELECT m.* FROM hm m JOIN channels c "
		"ON c.id = m.channel_id AND c.name = 'help' COLLATE NOCASE "
		"JOIN memberships ms ON ms.hive_id = ?1 "
		"AND ms.user_id = m.author_id AND ms.role = 'learner' "
		"WHERE m.thread_id IS NULL AND m.reply_to IS NULL) "
		"SELECT (SELECT count(DISTINCT m.author_id) FROM hm m "
		"JOIN memberships ms ON ms.hive_id = ?1 "
		"AND ms.user_id = m.author_id AND ms.role = 'learner'), "
		"(SELECT count(*) FROM hm), (SELECT count(*) FROM q), "
		"(SELECT count(*) FROM q WHERE q.created_at <= ?4 - 86400000 "
		"AND NOT EXISTS (SELECT 1 FROM messages r "
		"WHERE r.channel_id = q.channel_id "
		"AND (r.thread_id = q.id OR r.reply_to = q.id) "
		"AND r.author_id <> q.author_id "
		"AND r.created_at <= q.created_at + 86400000)), "
		"(SELECT count(*) FROM reports WHERE hive_id = ?1 "
		"AND created_at >= ?2 AND created_at < ?3), "
		"(SELECT count(*) FROM reports WHERE hive_id = ?1 "
		"AND resolved_at >= ?2 AND resolved_at < ?3), "
		"(SELECT count(*) FROM audit_log WHERE hive_id = ?1 "
		"AND actor_id IS NOT NULL AND created_at >= ?2 "
		"AND created_at < ?3), "
		"(SELECT count(*) FROM audit_log WHERE hive_id = ?1 "
		"AND actor_id IS NULL AND created_at >= ?2 AND created_at < ?3)",
	/* Messages per UTC day of hive ?1 over [?2, ?3). */
	[S_SUP_DAYS] =
		"SELECT m.created_at / 86400000 * 86400000 AS day, count(*) "
		"FROM messages m JOIN channels c ON c.id = m.channel_id "
		"WHERE c.hive_id = ?1 AND m.created_at >= ?2 "
		"AND m.created_at < ?3 GROUP BY day ORDER BY day",
	/* The mentors of hive ?1 (0: of every hive), with what they did in
	 * their hives over [?2, ?3). */
	[S_SUP_MENTORS] =
		"WITH mh AS (SELECT user_id, hive_id FROM memberships "
		"WHERE role = 'mentor' AND (?1 = 0 OR hive_id = ?1)) "
		"SELECT u.id, u.display_name, "
		"(SELECT count(*) FROM messages m JOIN channels c "
		"ON c.id = m.channel_id JOIN mh ON mh.user_id = u.id "
		"AND mh.hive_id = c.hive_id WHERE m.author_id = u.id "
		"AND m.created_at >= ?2 AND m.created_at < ?3), "
		"(SELECT count(*) FROM messages r JOIN messages q "
		"ON q.id = coalesce(r.thread_id, r.reply_to) "
		"JOIN channels c ON c.id = r.channel_id "
		"AND c.name = 'help' COLLATE NOCASE "
		"JOIN mh ON mh.user_id = u.id AND mh.hive_id = c.hive_id "
		"WHERE r.author_id = u.id AND q.author_id <> u.id "
		"AND r.created_at >= ?2 AND r.created_at < ?3), "
		"(SELECT count(*) FROM reports WHERE resolved_by = u.id "
		"AND (?1 = 0 OR hive_id = ?1) AND resolved_at >= ?2 "
		"AND resolved_at < ?3), "
		"(SELECT count(*) FROM audit_log WHERE actor_id = u.id "
		"AND (?1 = 0 OR hive_id = ?1) AND created_at >= ?2 "
		"AND created_at < ?3), "
		"(SELECT group_concat(hive_id) FROM mh WHERE user_id = u.id) "
		"FROM users u WHERE u.id IN (SELECT user_id FROM mh) "
		"ORDER BY u.display_name, u.id",
	/* How long reports of hive ?1 (0: any) resolved by ?4 (0: anyone)
	 * over [?2, ?3) stayed open, shortest first. */
	[S_SUP_RESOLVE_TIMES] =
		"SELECT resolved_at - created_at FROM reports "
		"WHERE (?1 = 0 OR hive_id = ?1) AND (?4 = 0 OR resolved_by = ?4) "
		"AND resolved_at >= ?2 AND resolved_at < ?3 ORDER BY 1",

	/* Meetups: a meetup's columns, with its RSVP counts. */
#define MEETUP_COLS "id, hive_id, title, script, start_at, recurrence, " \
	"cap, state, step, coalesce(step_started_at, 0), " \
	"coalesce(step_ends_at, 0), coalesce(paused_left_ms, 0), " \
	"coalesce(channel_id, 0), reminded, coalesce(created_by, 0), " \
	"created_at, coalesce(started_at, 0), coalesce(ended_at, 0), " \
	RSVP_COUNT("going") ", " RSVP_COUNT("maybe") ", " RSVP_COUNT("no")
#define RSVP_COUNT(a) "(SELECT count(*) FROM meetup_rsvps r " \
	"WHERE r.meetup_id = meetups.id AND r.answer = '" a "')"
	[S_MEETUP_INSERT] =
		"INSERT INTO meetups(hive_id, title, script, start_at, "
		"recurrence, cap, state, reminded, created_by, created_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, nullif(?9, 0), ?10)",
	[S_MEETUP_GET] =
		"SELECT " MEETUP_COLS " FROM meetups WHERE id = ?1",
	[S_MEETUP_UPCOMING] =
		"SELECT " MEETUP_COLS " FROM meetups WHERE hive_id = ?1 "
		"AND state IN ('scheduled', 'running', 'paused') "
		"ORDER BY start_at, id",
	[S_MEETUP_REMIND_DUE] =
		"SELECT " MEETUP_COLS " FROM meetups WHERE state = 'scheduled' "
		"AND start_at > ?1 AND start_at <= ?1 + ?2 "
		"AND (reminded & ?3) = 0 "
		"ORDER BY start_at, id LIMIT ?4",
	[S_MEETUP_SET_STATE] =
		"UPDATE meetups SET state = ?2, "
		"ended_at = coalesce(nullif(?3, 0), ended_at) WHERE id = ?1",
	[S_MEETUP_SET_REMINDED] =
		"UPDATE meetups SET reminded = ?2 WHERE id = ?1",
	[S_RSVP_SET] =
		"INSERT INTO meetup_rsvps(meetup_id, user_id, answer, "
		"updated_at) VALUES (?1, ?2, ?3, ?4) "
		"ON CONFLICT (meetup_id, user_id) DO UPDATE SET "
		"answer = excluded.answer, updated_at = excluded.updated_at",
	[S_RSVP_GET] =
		"SELECT answer FROM meetup_rsvps WHERE meetup_id = ?1 "
		"AND user_id = ?2",
	[S_RSVP_USERS] =
		"SELECT user_id FROM meetup_rsvps WHERE meetup_id = ?1 "
		"AND answer = ?2 ORDER BY user_id",
	[S_SCRIPT_INSERT] =
		"INSERT INTO meetup_scripts(hive_id, title, script, "
		"created_by, created_at, updated_at) "
		"VALUES (?1, ?2, ?3, nullif(?4, 0), ?5, ?5)",
	[S_SCRIPT_UPDATE] =
		"UPDATE meetup_scripts SET title = ?2, script = ?3, "
		"updated_at = ?4 WHERE id = ?1",
	[S_SCRIPT_GET] =
		"SELECT id, hive_id, title, script, coalesce(created_by, 0), "
		"created_at, updated_at FROM meetup_scripts WHERE id = ?1",
	[S_SCRIPT_LIST] =
		"SELECT id, hive_id, title, script, coalesce(created_by, 0), "
		"created_at, updated_at FROM meetup_scripts WHERE hive_id = ?1 "
		"ORDER BY title, id",
	[S_SCRIPT_DELETE] =
		"DELETE FROM meetup_scripts WHERE id = ?1",
	[S_MEETUP_DUE_START] =
		"SELECT " MEETUP_COLS " FROM meetups WHERE state = 'scheduled' "
		"AND start_at <= ?1 ORDER BY start_at, id LIMIT ?2",
	[S_MEETUP_BY_CHANNEL] =
		"SELECT " MEETUP_COLS " FROM meetups WHERE channel_id = ?1",
	[S_MEETUP_LIVE] =
		"SELECT " MEETUP_COLS " FROM meetups "
		"WHERE state IN ('running', 'paused') ORDER BY id",
	[S_MEETUP_SAVE_RUN] =
		"UPDATE meetups SET state = ?2, step = ?3, "
		"step_started_at = nullif(?4, 0), "
		"step_ends_at = nullif(?5, 0), "
		"paused_left_ms = nullif(?6, 0), channel_id = nullif(?7, 0), "
		"started_at = nullif(?8, 0), ended_at = nullif(?9, 0) "
		"WHERE id = ?1",
	[S_PART_JOIN] =
		"INSERT INTO meetup_participants(meetup_id, user_id, "
		"joined_at) VALUES (?1, ?2, ?3) ON CONFLICT (meetup_id, user_id) "
		"DO UPDATE SET left_at = NULL",
	[S_PART_LEAVE] =
		"UPDATE meetup_participants SET left_at = ?3 "
		"WHERE meetup_id = ?1 AND user_id = ?2 AND left_at IS NULL",
	[S_PART_PRESENT] =
		"SELECT user_id FROM meetup_participants WHERE meetup_id = ?1 "
		"AND left_at IS NULL ORDER BY joined_at, rowid",
	[S_TURN_INSERT] =
		"INSERT INTO meetup_turns(meetup_id, step, position, user_id) "
		"VALUES (?1, ?2, ?3, ?4)",
	[S_TURN_LIST] =
		"SELECT user_id, done, position FROM meetup_turns "
		"WHERE meetup_id = ?1 "
		"AND step = ?2 ORDER BY position",
	[S_TURN_DONE] =
		"UPDATE meetup_turns SET done = 1 WHERE meetup_id = ?1 "
		"AND step = ?2 AND user_id = ?3",
	[S_TURN_DELETE] =
		"DELETE FROM meetup_turns WHERE meetup_id = ?1 AND step = ?2 "
		"AND user_id = ?3 AND done = 0",
	[S_GROUP_INSERT] =
		"INSERT INTO meetup_groups(meetup_id, step, group_no, user_id, "
		"channel_id, created_at) "
		"VALUES (?1, ?2, ?3, ?4, nullif(?5, 0), ?6) "
		"ON CONFLICT (meetup_id, step, user_id) DO UPDATE SET "
		"group_no = excluded.group_no, "
		"channel_id = excluded.channel_id",
	[S_GROUP_LIST] =
		"SELECT group_no, user_id, coalesce(channel_id, 0) "
		"FROM meetup_groups WHERE meetup_id = ?1 AND step = ?2 "
		"ORDER BY group_no, user_id",
	[S_GROUP_RECENT] =
		"SELECT a.user_id, b.user_id FROM meetup_groups a "
		"JOIN meetup_groups b ON b.meetup_id = a.meetup_id "
		"AND b.step = a.step AND b.group_no = a.group_no "
		"AND b.user_id <> a.user_id WHERE a.created_at >= ?1",
	[S_ANSWER_SET] =
		"INSERT INTO meetup_answers(meetup_id, step, user_id, choices, "
		"answered_at) VALUES (?1, ?2, ?3, ?4, ?5) "
		"ON CONFLICT (meetup_id, step, user_id) DO UPDATE SET "
		"choices = excluded.choices, answered_at = excluded.answered_at",
	[S_ANSWER_LIST] =
		"SELECT choices FROM meetup_answers WHERE meetup_id = ?1 "
		"AND step = ?2",
	[S_FEEDBACK_SET] =
		"INSERT INTO meetup_feedback(meetup_id, user_id, nps, comment, "
		"created_at) VALUES (?1, ?2, ?3, ?4, ?5) "
		"ON CONFLICT (meetup_id, user_id) DO UPDATE SET "
		"nps = excluded.nps, comment = excluded.comment",
	[S_FEEDBACK_STATS] =
		"SELECT count(*), coalesce(sum(nps >= 9), 0), "
		"coalesce(sum(nps <= 6), 0), coalesce(sum(nps), 0) "
		"FROM meetup_feedback WHERE meetup_id = ?1",
	/* Meetups of hive ?1 ended over [?2, ?3): how many, how many said
	 * going, how many of those came, and the NPS answers. */
	[S_SUP_MEETUPS] =
		"WITH m AS (SELECT id FROM meetups WHERE hive_id = ?1 "
		"AND state = 'ended' AND ended_at >= ?2 AND ended_at < ?3) "
		"SELECT (SELECT count(*) FROM m), "
		"(SELECT count(*) FROM meetup_rsvps r JOIN m ON m.id = "
		"r.meetup_id WHERE r.answer = 'going'), "
		"(SELECT count(*) FROM meetup_rsvps r JOIN m ON m.id = "
		"r.meetup_id JOIN meetup_participants p ON p.meetup_id = "
		"r.meetup_id AND p.user_id = r.user_id WHERE r.answer = 'going'), "
		"(SELECT count(*) FROM meetup_feedback f JOIN m ON m.id = "
		"f.meetup_id), "
		"(SELECT count(*) FROM meetup_feedback f JOIN m ON m.id = "
		"f.meetup_id WHERE f.nps >= 9), "
		"(SELECT count(*) FROM meetup_feedback f JOIN m ON m.id = "
		"f.meetup_id WHERE f.nps <= 6)",
	/* The same figures for the meetups that user ?1 scheduled (and so
	 * led: the runner speaks in their name), in hive ?4 or any (0). */
	[S_SUP_MENTOR_MEETUPS] =
		"WITH m AS (SELECT id FROM meetups WHERE created_by = ?1 "
		"AND (?4 = 0 OR hive_id = ?4) "
		"AND state = 'ended' AND ended_at >= ?2 AND ended_at < ?3) "
		"SELECT (SELECT count(*) FROM m), "
		"(SELECT count(*) FROM meetup_rsvps r JOIN m ON m.id = "
		"r.meetup_id WHERE r.answer = 'going'), "
		"(SELECT count(*) FROM meetup_rsvps r JOIN m ON m.id = "
		"r.meetup_id JOIN meetup_participants p ON p.meetup_id = "
		"r.meetup_id AND p.user_id = r.user_id "
		"WHERE r.answer = 'going'), "
		"(SELECT count(*) FROM meetup_feedback f JOIN m ON m.id = "
		"f.meetup_id), "
		"(SELECT count(*) FROM meetup_feedback f JOIN m ON m.id = "
		"f.meetup_id WHERE f.nps >= 9), "
		"(SELECT count(*) FROM meetup_feedback f JOIN m ON m.id = "
		"f.meetup_id WHERE f.nps <= 6)",
	/* The meetups of hive ?1 that are over, starting before ?2, newest
	 * first, at most ?3. */
	[S_MEETUP_PAST] =
		"SELECT " MEETUP_COLS " FROM meetups WHERE hive_id = ?1 "
		"AND state IN ('ended', 'missed', 'cancelled') "
		"AND start_at < ?2 ORDER BY start_at DESC, id DESC LIMIT ?3",
	[S_PART_LIST] =
		"SELECT user_id, joined_at, coalesce(left_at, 0) "
		"FROM meetup_participants WHERE meetup_id = ?1 "
		"ORDER BY joined_at, rowid",
	[S_FEEDBACK_LIST] =
		"SELECT user_id, nps, comment, created_at FROM meetup_feedback "
		"WHERE meetup_id = ?1 ORDER BY created_at, user_id",

	/* Calendar feeds: one per user, replaced when made anew. */
	[S_ICS_SET] =
		"INSERT INTO ics_feeds(user_id, token_hash, created_at) "
		"VALUES (?1, ?2, ?3) ON CONFLICT (user_id) DO UPDATE SET "
		"token_hash = excluded.token_hash, "
		"created_at = excluded.created_at",
	[S_ICS_GET] =
		"SELECT created_at FROM ics_feeds WHERE user_id = ?1",
	[S_ICS_USER] =
		"SELECT user_id FROM ics_feeds WHERE token_hash = ?1",
	/* The meetups of user ?1's hives starting from ?2 on, at most ?3. */
	[S_ICS_MEETUPS] =
		"SELECT " MEETUP_COLS " FROM meetups WHERE hive_id IN "
		"(SELECT hive_id FROM memberships WHERE user_id = ?1) "
		"AND start_at >= ?2 ORDER BY start_at, id LIMIT ?3",

	/* Scheduled messages and reminders. */
#define SCHED_COLS "id, author_id, channel_id, text, at, repeat, created_at"
	[S_SCHED_INSERT] =
		"INSERT INTO scheduled_messages(author_id, channel_id, text, "
		"at, repeat, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_SCHED_GET] =
		"SELECT " SCHED_COLS " FROM scheduled_messages WHERE id = ?1",
	[S_SCHED_LIST] =
		"SELECT " SCHED_COLS " FROM scheduled_messages "
		"WHERE author_id = ?1 ORDER BY at, id LIMIT ?2",
	[S_SCHED_UPDATE] =
		"UPDATE scheduled_messages SET text = ?2, at = ?3, repeat = ?4 "
		"WHERE id = ?1",
	[S_SCHED_DELETE] =
		"DELETE FROM scheduled_messages WHERE id = ?1",
	[S_SCHED_DUE] =
		"SELECT " SCHED_COLS " FROM scheduled_messages WHERE at <= ?1 "
		"ORDER BY at, id LIMIT ?2",
/* With the message's channel, 0 once the message is gone. */
#define REMIND_COLS "r.id, r.user_id, r.message_id, r.at, r.created_at, " \
	"COALESCE((SELECT channel_id FROM messages WHERE id = r.message_id), 0)"
	[S_REMIND_INSERT] =
		"INSERT INTO reminders(user_id, message_id, at, created_at) "
		"VALUES (?1, ?2, ?3, ?4)",
	[S_REMIND_GET] =
		"SELECT " REMIND_COLS " FROM reminders r WHERE id = ?1",
	[S_REMIND_LIST] =
		"SELECT " REMIND_COLS " FROM reminders r WHERE user_id = ?1 "
		"ORDER BY at, id LIMIT ?2",
	[S_REMIND_DELETE] =
		"DELETE FROM reminders WHERE id = ?1",
	[S_REMIND_DUE] =
		"SELECT " REMIND_COLS " FROM reminders r WHERE at <= ?1 "
		"ORDER BY at, id LIMIT ?2",
	/* An event of the log addressed to one user (0010). */
	[S_EVENT_USER_INSERT] =
		"INSERT INTO events(user_id, kind, data, created_at) "
		"VALUES (?1, ?2, ?3, ?4)",
	/* Peer pairing (pairing.h). */
#define PAIRING_COLS \
	"hive_id, enabled, every_days, coalesce(next_at, 0), prompt, " \
	"coalesce(updated_by, 0), updated_at"
	[S_PAIRING_GET] =
		"SELECT " PAIRING_COLS " FROM pairing_settings "
		"WHERE hive_id = ?1",
	[S_PAIRING_SET] =
		"INSERT INTO pairing_settings(hive_id, enabled, every_days, "
		"next_at, prompt, updated_by, updated_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
		"ON CONFLICT (hive_id) DO UPDATE SET "
		"enabled = excluded.enabled, every_days = excluded.every_days, "
		"next_at = excluded.next_at, prompt = excluded.prompt, "
		"updated_by = excluded.updated_by, "
		"updated_at = excluded.updated_at",
	[S_PAIRING_DUE] =
		"SELECT " PAIRING_COLS " FROM pairing_settings "
		"WHERE enabled AND next_at <= ?1 ORDER BY next_at, hive_id "
		"LIMIT ?2",
#define PAIRING_ROUND_COLS \
	"id, hive_id, coalesce(due_at, 0), ran_at, status, reason, " \
	"coalesce(run_by, 0)"
	[S_PAIRING_ROUND_INSERT] =
		"INSERT INTO pairing_rounds(hive_id, due_at, ran_at, status, "
		"reason, run_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_PAIRING_MEMBER_INSERT] =
		"INSERT INTO pairing_members(round_id, group_no, user_id, "
		"channel_id) VALUES (?1, ?2, ?3, ?4)",
	[S_PAIRING_ROUNDS] =
		"SELECT " PAIRING_ROUND_COLS " FROM pairing_rounds "
		"WHERE hive_id = ?1 ORDER BY id DESC LIMIT ?2",
	[S_PAIRING_MEMBERS] =
		"SELECT group_no, user_id, coalesce(channel_id, 0) "
		"FROM pairing_members WHERE round_id = ?1 "
		"ORDER BY group_no, user_id",
	/* Pairs of the same group in hive ?1's last ?2 paired rounds, with
	 * the round's age (0: the latest). */
	[S_PAIRING_RECENT] =
		"WITH r AS (SELECT id, row_number() OVER (ORDER BY id DESC) - 1 "
		"AS age FROM pairing_rounds WHERE hive_id = ?1 "
		"AND status = 'paired' ORDER BY id DESC LIMIT ?2) "
		"SELECT a.user_id, b.user_id, r.age FROM r "
		"JOIN pairing_members a ON a.round_id = r.id "
		"JOIN pairing_members b ON b.round_id = r.id "
		"AND b.group_no = a.group_no AND a.user_id < b.user_id",
};

struct store {
	const struct store_ops *ops;	/* first: &store_sqlite_ops */
	sqlite3 *db;		/* owned */
	int version;		/* schema version after migrations */
	sqlite3_stmt *stmts[S_COUNT]; /* owned; prepared on first use */
	int depth;		/* open transactions: 1 is BEGIN, more are
				   savepoints inside it */
	/*
	 * The error that made SQLite roll back the open transaction by
	 * itself (a full disk does, for most statements), or 0.  A new
	 * transaction takes its place at once, so that what runs next
	 * cannot commit on its own and reads still work; no savepoint
	 * opens in it, and the commit fails with this error: the turn's
	 * changes are refused and their replies say why.
	 */
	int lost;
	/* sqlite3_total_changes64() when the transaction began: more now
	 * means it holds changes (sq_dirty()). */
	sqlite3_int64 changes_at_begin;
	/* Messages that may wait in messages_fts_pending (0012), and
	 * whether the open transaction indexed some: undone, they wait
	 * again. */
	unsigned unindexed;
	bool indexed_in_tx;
	/* Where search excerpts are made (excerpts()): a
	 * database in memory of its own, its table and statements; NULL
	 * when it could not be made. */
	struct excerpter *excerpter;
	struct checkpointer *ckpt;	/* owned; NULL: SQLite's own */
	/* PRAGMA data_version at the last sq_changed_elsewhere(); -1
	 * before the first. */
	int64_t data_version;
};

/*
 * Checkpoints in a thread of their own.  SQLite copies the write-ahead
 * log back into the database (a checkpoint, with its fsync) every 1,000
 * pages or so, by default inside the commit that crossed the line: under
 * a steady flow of messages that was a pause of tens of milliseconds
 * twice a second on the event loop, the worst of Ruche's latency.  The
 * store's commits only tell this thread, which checkpoints on its own
 * connection; a passive checkpoint never holds up the writer, and the
 * next commit after a complete one starts the log from its beginning, so
 * it does not grow.
 *
 * The log is copied every STORE_CHECKPOINT_PAGES pages rather than
 * SQLite's 1,000: each checkpoint writes every page the log changed
 * once, however many commits changed it, and a flow of messages changes
 * the same few pages (the tables' last pages, each channel's and each
 * hive's part of the indexes) commit after commit.  At 10,000 (a log of
 * 40 MiB at most, between checkpoints) the server spent 3-5 % less CPU
 * per message delivered than at 1,000 (docs/performance.md); 30,000
 * saved nothing more.
 */
struct checkpointer {
	sqlite3 *db;		/* owned: the thread's own connection */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool due, stop;		/* under lock */
};

#define BUSY_TIMEOUT_MS 5000

/* Between tries of a checkpoint that could not copy the whole log. */
#define CHECKPOINT_RETRY_MS 20

static void *checkpoint_main(void *arg)
{
	struct checkpointer *ck = arg;

	pthread_mutex_lock(&ck->lock);
	for (;;) {
		int log = 0, done = 0;

		while (!ck->due && !ck->stop)
			pthread_cond_wait(&ck->wake, &ck->lock);
		if (ck->stop)
			break;
		ck->due = false;
		pthread_mutex_unlock(&ck->lock);
		/* The commit that made it due may still hold the log: what
		 * is left is copied on a later try, so that the log can
		 * start again from its beginning. */
		if (sqlite3_wal_checkpoint_v2(ck->db, NULL,
					      SQLITE_CHECKPOINT_PASSIVE, &log,
					      &done) == SQLITE_OK &&
		    done < log)
			usleep(CHECKPOINT_RETRY_MS * 1000);
		pthread_mutex_lock(&ck->lock);
		if (done < log)
			ck->due = true;
	}
	pthread_mutex_unlock(&ck->lock);
	return NULL;
}

/* After each commit, with the pages in the log (sqlite3_wal_hook()). */
static int checkpoint_hook(void *arg, sqlite3 *db, const char *name,
			   int pages)
{
	struct checkpointer *ck = arg;

	(void)db;
	(void)name;
	if (pages >= STORE_CHECKPOINT_PAGES) {
		pthread_mutex_lock(&ck->lock);
		ck->due = true;
		pthread_cond_signal(&ck->wake);
		pthread_mutex_unlock(&ck->lock);
	}
	return SQLITE_OK;
}

static void checkpointer_free(struct checkpointer *ck)
{
	pthread_mutex_lock(&ck->lock);
	ck->stop = true;
	pthread_cond_signal(&ck->wake);
	pthread_mutex_unlock(&ck->lock);
	pthread_join(ck->thread, NULL);
	pthread_cond_destroy(&ck->wake);
	pthread_mutex_destroy(&ck->lock);
	sqlite3_close(ck->db);
	free(ck);
}

/*
 * Starts the checkpoint thread of a database in WAL mode at path; when it
 * cannot, SQLite goes on checkpointing inside commits, as it does by
 * default.
 */
static void checkpointer_start(struct store *st, const char *path)
{
	struct checkpointer *ck = calloc(1, sizeof(*ck));

	if (!ck)
		return;
	if (sqlite3_open_v2(path, &ck->db, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		sqlite3_close(ck->db);
		free(ck);
		return;
	}
	sqlite3_busy_timeout(ck->db, BUSY_TIMEOUT_MS);
	/* A connection learns that the database is in WAL mode when it
	 * first reads it; until then it would not checkpoint. */
	if (sqlite3_exec(ck->db, "SELECT count(*) FROM sqlite_schema", NULL,
			 NULL, NULL) != SQLITE_OK) {
		sqlite3_close(ck->db);
		free(ck);
		return;
	}
	pthread_mutex_init(&ck->lock, NULL);
	pthread_cond_init(&ck->wake, NULL);
	if (pthread_create(&ck->thread, NULL, checkpoint_main, ck)) {
		pthread_cond_destroy(&ck->wake);
		pthread_mutex_destroy(&ck->lock);
		sqlite3_close(ck->db);
		free(ck);
		return;
	}
	st->ckpt = ck;
	sqlite3_wal_hook(st->db, checkpoint_hook, ck);
}

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
	if (store_schema_newer(have, known, err, errlen))
		return RUCHE_ESCHEMA;
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

static unsigned count_pending(struct store *st);
static bool in_wal_mode(struct store *st);

struct excerpter;
static struct excerpter *excerpter_new(void);
static void excerpter_free(struct excerpter *ex);

int sqlite_store_open(const char *path, const struct store_migration *mig,
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
	st->ops = &store_sqlite_ops;
	st->data_version = -1;
	/* SQLite's count of its memory takes a global mutex on every
	 * allocation, and nothing reads it.  Only possible before SQLite's
	 * first use: later opens are refused it, harmlessly. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
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
	st->excerpter = excerpter_new();
	st->unindexed = count_pending(st);
	if (in_wal_mode(st))
		checkpointer_start(st, path);
	*out = st;
	return 0;
err:
	sq_close(st);
	return rc;
}

static void sq_close(struct store *st)
{
	if (!st)
		return;
	/* First: the store's connection, closed last, folds the log in. */
	if (st->ckpt)
		checkpointer_free(st->ckpt);
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->stmts[i]);
	sqlite3_close(st->db);
	excerpter_free(st->excerpter);
	free(st);
}

static int sq_set_sync(struct store *st, bool full)
{
	char err[128];

	return exec(st, full ? "PRAGMA synchronous = FULL" :
			       "PRAGMA synchronous = NORMAL", err, sizeof(err));
}

static int sq_schema_version(struct store *st)
{
	return st->version;
}

/* ---- Backup and check ------------------------------------------------ */

/*
 * These work on database files rather than on an open store, beside a
 * server that may be running on the same file: WAL lets one process read
 * a consistent snapshot while another writes.
 */

#define BACKUP_STEP_PAGES 256	/* 1 MiB of 4 KiB pages per step */
#define BACKUP_BUSY_TRIES 1000	/* of 10 ms: ten seconds */

/* Opens a database file as it is, without migrating it.  NULL, with the
 * reason in err, on failure. */
static sqlite3 *open_file(const char *path, int flags, char *err,
			  size_t errlen)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path,
			 db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(db, 1);
	return db;
}

static bool file_exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

/* Whether a and b name the same file (so a copy would replace itself). */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Makes a rename in the folder of path survive a power cut. */
static void sync_parent(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	fd = open(dir, O_RDONLY);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/*
 * Copies the database of src, page by page, into a new file at path.
 * The caller holds a read transaction on src, so every step reads the
 * same snapshot: the copy is consistent, and it never starts over when
 * someone writes meanwhile (as the backup API does between steps
 * otherwise).  In WAL mode that read blocks no writer.
 */
static int copy_to(sqlite3 *src, const char *path, char *err, size_t errlen)
{
	sqlite3 *dst;
	sqlite3_backup *b;
	int rc, tries = 0;

	unlink(path);	/* a copy left by an interrupted run */
	dst = open_file(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, err,
			errlen);
	if (!dst)
		return RUCHE_EIO;
	b = sqlite3_backup_init(dst, "main", src, "main");
	if (!b) {
		snprintf(err, errlen, "cannot copy: %s", sqlite3_errmsg(dst));
		sqlite3_close(dst);
		unlink(path);
		return RUCHE_EIO;
	}
	do {
		rc = sqlite3_backup_step(b, BACKUP_STEP_PAGES);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(10);
	} while (rc == SQLITE_OK || ((rc == SQLITE_BUSY ||
		 rc == SQLITE_LOCKED) && ++tries < BACKUP_BUSY_TRIES));
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "cannot copy: %s", sqlite3_errstr(rc));
		sqlite3_close(dst);
		unlink(path);
		return (rc & 0xff) == SQLITE_FULL ? RUCHE_EFULL : RUCHE_EIO;
	}
	if (sqlite3_close(dst) != SQLITE_OK) {
		snprintf(err, errlen, "cannot close the copy");
		unlink(path);
		return RUCHE_EIO;
	}
	return 0;
}

/* Runs one statement of no interest but its success. */
static int exec_db(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return RUCHE_EIO;
}

/* Whether the file at path passes SQLite's quick check. */
static int quick_check(const char *path, char *err, size_t errlen)
{
	/* Read-write: the copy is in WAL mode, and only a connection that
	 * may write removes the -wal and -shm files it makes on close. */
	sqlite3 *db = open_file(path, SQLITE_OPEN_READWRITE, err, errlen);
	sqlite3_stmt *s = NULL;
	const unsigned char *v;
	int rc = RUCHE_EIO;

	if (!db)
		return RUCHE_EIO;
	if (sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &s, NULL) ==
	    SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
		v = sqlite3_column_text(s, 0);
		if (v && strcmp((const char *)v, "ok") == 0)
			rc = 0;
		else
			snprintf(err, errlen, "the copy fails its check: %s",
				 v ? (const char *)v : "?");
	} else {
		snprintf(err, errlen, "the copy fails its check: %s",
			 sqlite3_errmsg(db));
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc;
}

/* Copies src (pinned to one snapshot) to dest through a file beside it,
 * checked, then renamed over dest. */
static int copy_atomically(sqlite3 *src, const char *dest,
			   int (*before_rename)(const char *dest, char *err,
						size_t errlen),
			   char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	int rc;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", dest, (long)getpid()) >=
	    (int)sizeof(tmp)) {
		snprintf(err, errlen, "the path is too long");
		return RUCHE_EINVAL;
	}
	rc = copy_to(src, tmp, err, errlen);
	if (!rc)
		rc = quick_check(tmp, err, errlen);
	if (!rc && before_rename)
		rc = before_rename(dest, err, errlen);
	if (!rc && rename(tmp, dest)) {
		snprintf(err, errlen, "cannot rename the copy to %s: %s", dest,
			 strerror(errno));
		rc = RUCHE_EIO;
	}
	if (rc) {
		unlink(tmp);
		return rc;
	}
	sync_parent(dest);
	return 0;
}

static int check_unused(const char *dest, char *err, size_t errlen);

/* Opens src and starts the read transaction that pins its snapshot. */
static sqlite3 *open_snapshot(const char *src, char *err, size_t errlen)
{
	sqlite3 *db = open_file(src, SQLITE_OPEN_READWRITE, err, errlen);

	if (db && exec_db(db, "BEGIN; SELECT count(*) FROM sqlite_schema",
			  err, errlen)) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "cannot read %s: %s", src, why);
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

int store_backup(const char *src, const char *dest, bool replace, char *err,
		 size_t errlen)
{
	sqlite3 *db;
	int rc;

	if (!replace && file_exists(dest)) {
		snprintf(err, errlen, "%s exists", dest);
		return RUCHE_EEXIST;
	}
	if (!file_exists(src)) {
		snprintf(err, errlen, "%s: no such database", src);
		return RUCHE_ENOTFOUND;
	}
	if (same_file(src, dest)) {
		snprintf(err, errlen, "%s is the database itself", dest);
		return RUCHE_EINVAL;
	}
	if (make_parent_dirs(dest)) {
		snprintf(err, errlen, "cannot create the folder of %s", dest);
		return RUCHE_EIO;
	}
	db = open_snapshot(src, err, errlen);
	if (!db)
		return RUCHE_EIO;
	/* Nor does a backup replace a database in use. */
	rc = copy_atomically(db, dest, check_unused, err, errlen);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

/*
 * Opens an exclusive transaction on db, kept by this connection until it
 * closes; RUCHE_EBUSY when another process has the database open.  Every
 * connection to a WAL database holds a shared lock on its file for as
 * long as it is open, so an exclusive lock taken at once (no waiting)
 * proves that no server uses it.  Closing, as its last user, folds its
 * write-ahead log in and removes it.
 */
static int lock_alone(sqlite3 *db, const char *path, char *err,
		      size_t errlen)
{
	int rc;

	sqlite3_busy_timeout(db, 0);
	rc = sqlite3_exec(db, "PRAGMA locking_mode = EXCLUSIVE; "
			  "BEGIN EXCLUSIVE", NULL, NULL, NULL);
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
		snprintf(err, errlen, "%s is in use (is a server running on "
			 "it?): stop it first", path);
		return RUCHE_EBUSY;
	}
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		return RUCHE_EIO;
	}
	return 0;
}

/* RUCHE_EBUSY when a process has the database open (lock_alone()). */
static int in_use(const char *path, char *err, size_t errlen)
{
	sqlite3 *db = open_file(path, SQLITE_OPEN_READWRITE, err, errlen);
	int rc;

	if (!db)
		return RUCHE_EIO;
	rc = lock_alone(db, path, err, errlen);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	/* Another error (a damaged file) is no sign of a user. */
	return rc == RUCHE_EBUSY ? rc : 0;
}

/* Refuses to replace a database that a process has open. */
static int check_unused(const char *dest, char *err, size_t errlen)
{
	char wal[PATH_MAX], shm[PATH_MAX];
	int rc = file_exists(dest) ? in_use(dest, err, errlen) : 0;

	/* A damaged file, the very reason to restore, goes too. */
	if (rc)
		return rc;
	/* What an old database left would be read as the new one's. */
	snprintf(wal, sizeof(wal), "%s-wal", dest);
	snprintf(shm, sizeof(shm), "%s-shm", dest);
	if ((unlink(wal) && errno != ENOENT) ||
	    (unlink(shm) && errno != ENOENT)) {
		snprintf(err, errlen, "cannot remove the old %s-wal", dest);
		return RUCHE_EIO;
	}
	return 0;
}

int store_restore(const char *src, const char *dest, bool replace,
		  char *err, size_t errlen)
{
	sqlite3 *db;
	int rc;

	if (!replace && file_exists(dest)) {
		snprintf(err, errlen, "%s exists (--force replaces it)", dest);
		return RUCHE_EEXIST;
	}
	if (!file_exists(src)) {
		snprintf(err, errlen, "%s: no such file", src);
		return RUCHE_ENOTFOUND;
	}
	if (same_file(src, dest)) {
		snprintf(err, errlen, "%s is the database itself", src);
		return RUCHE_EINVAL;
	}
	rc = make_parent_dirs(dest);
	if (rc) {
		snprintf(err, errlen, "cannot create the folder of %s", dest);
		return rc;
	}
	db = open_snapshot(src, err, errlen);
	if (!db)
		return RUCHE_EIO;
	rc = copy_atomically(db, dest, check_unused, err, errlen);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

/* Runs a check pragma; every row but a lone "ok" is a problem. */
static void check_rows(sqlite3 *db, const char *sql, const char *what,
		       struct store_check *out,
		       void (*say)(void *arg, bool problem, const char *line),
		       void *arg)
{
	sqlite3_stmt *s = NULL;
	char line[600];
	int rc, rows = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		snprintf(line, sizeof(line), "%s: cannot run: %s", what,
			 sqlite3_errmsg(db));
		out->problems++;
		say(arg, true, line);
		return;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(s, 0);
		int n = sqlite3_column_count(s);

		if (n == 1 && v && strcmp(v, "ok") == 0)
			continue;
		rows++;
		out->problems++;
		if (n == 1)	/* integrity_check: one sentence a row */
			snprintf(line, sizeof(line), "%s: %s", what,
				 v ? v : "?");
		else		/* foreign_key_check: table, rowid, parent */
			snprintf(line, sizeof(line),
				 "%s: row %lld of %s refers to a missing row "
				 "of %s", what, sqlite3_column_int64(s, 1),
				 v ? v : "?", sqlite3_column_text(s, 2) ?
				 (const char *)sqlite3_column_text(s, 2) :
				 "?");
		say(arg, true, line);
	}
	if (rc != SQLITE_DONE) {
		snprintf(line, sizeof(line), "%s: %s", what,
			 sqlite3_errmsg(db));
		out->problems++;
		say(arg, true, line);
	} else if (!rows) {
		snprintf(line, sizeof(line), "%s: ok", what);
		say(arg, false, line);
	}
	sqlite3_finalize(s);
}

/* Whether the search index places messages by channel (0013). */
static bool keyed_by_channel(sqlite3 *db)
{
	sqlite3_stmt *s = NULL;
	bool keyed = sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_schema "
					"WHERE name = 'messages_fts_source'",
					-1, &s, NULL) == SQLITE_OK &&
		     sqlite3_step(s) == SQLITE_ROW;

	sqlite3_finalize(s);
	return keyed;
}

/*
 * Whether the search index holds exactly the messages' text: FTS5 checks
 * its index, and with rank 1 that it matches the messages.  Messages that
 * wait to be indexed (0012) are indexed first, inside a savepoint that is
 * then undone, so that nothing is written.  An SQLite result code.
 */
static int check_search(sqlite3 *db)
{
	int rc = sqlite3_exec(db, "SAVEPOINT search_check", NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return rc;
	/* Before 0012 every message is indexed as it is written; before
	 * 0013 a message's place in the index is its id. */
	if (sqlite3_table_column_metadata(db, NULL, "messages_fts_pending",
					  "id", NULL, NULL, NULL, NULL,
					  NULL) == SQLITE_OK)
		rc = sqlite3_exec(db, keyed_by_channel(db) ?
				  "INSERT INTO messages_fts(rowid, body) SELECT "
				  SEARCH_KEY_TEXT("m.channel_id", "m.id")
				  " AS key, m.body FROM messages_fts_pending p "
				  "JOIN messages m ON m.id = p.id "
				  "ORDER BY key" :
				  "INSERT INTO messages_fts(rowid, body) "
				  "SELECT m.id, m.body "
				  "FROM messages_fts_pending p "
				  "JOIN messages m ON m.id = p.id", NULL, NULL,
				  NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db,
				  "INSERT INTO messages_fts(messages_fts, rank) "
				  "VALUES ('integrity-check', 1)", NULL, NULL,
				  NULL);
	sqlite3_exec(db, "ROLLBACK TO search_check; RELEASE search_check",
		     NULL, NULL, NULL);
	return rc;
}

static int sq_search_check(struct store *st)
{
	return check_search(st->db) == SQLITE_OK ? 0 : RUCHE_EIO;
}

/* The schema version of a database opened with open_file(), or -1. */
static int file_version(sqlite3 *db)
{
	sqlite3_stmt *s = NULL;
	int v = -1;

	if (sqlite3_prepare_v2(db, "SELECT coalesce(max(version), 0) FROM "
			       "schema_migrations", -1, &s, NULL) ==
	    SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

int store_check_file(const char *path, struct store_check *out,
		     void (*say)(void *arg, bool problem, const char *line),
		     void *arg, char *err, size_t errlen)
{
	int known = store_migrations[store_nmigrations - 1].version;
	char line[600];
	sqlite3 *db;
	bool busy;
	int rc;

	memset(out, 0, sizeof(*out));
	out->known = known;
	if (!file_exists(path)) {
		snprintf(err, errlen, "%s: no such database", path);
		return RUCHE_ENOTFOUND;
	}
	/* The search index is checked with the database to itself: the
	 * check takes the write lock, for as long as it reads the whole
	 * index, and a server would wait for it. */
	busy = in_use(path, line, sizeof(line)) == RUCHE_EBUSY;
	/* Read-write so that a WAL file is read as a server left it; no
	 * write is made. */
	db = open_file(path, SQLITE_OPEN_READWRITE, err, errlen);
	if (!db)
		return RUCHE_EIO;
	check_rows(db, "PRAGMA integrity_check(100)", "integrity", out, say, arg);
	check_rows(db, "PRAGMA foreign_key_check", "foreign keys", out, say,
		   arg);
	rc = busy ? SQLITE_OK : check_search(db);
	if (busy) {
		snprintf(line, sizeof(line), "search index: not checked "
			 "while a server uses the database");
	} else if (rc != SQLITE_OK) {
		snprintf(line, sizeof(line), "search index: %s",
			 sqlite3_errstr(rc));
		out->problems++;
	} else {
		snprintf(line, sizeof(line), "search index: ok");
	}
	say(arg, rc != SQLITE_OK, line);
	out->version = file_version(db);
	if (out->version >= 0) {
		snprintf(line, sizeof(line),
			 "schema version: %d (this ruche knows up to %d%s)",
			 out->version, known, out->version > known ?
			 ": run a newer ruche" : out->version < known ?
			 "; the next start migrates it" : "");
		if (out->version > known)
			out->problems++;
		say(arg, out->version > known, line);
	} else {
		snprintf(line, sizeof(line),
			 "schema version: cannot read (%s): not a Ruche "
			 "database?", sqlite3_errmsg(db));
		out->problems++;
		say(arg, true, line);
		out->version = 0;
	}
	sqlite3_close(db);
	return 0;
}

/* The pieces (FTS5 segments) of the search index, or -1. */
static int search_segments(sqlite3 *db)
{
	sqlite3_stmt *s = NULL;
	int n = -1;

	if (sqlite3_prepare_v2(db, "SELECT count(DISTINCT segid) FROM "
			       "messages_fts_idx", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n;
}

/* What went wrong on db, in err: RUCHE_EFULL for a full disk. */
static int file_error(sqlite3 *db, const char *path, char *err,
		      size_t errlen)
{
	snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
	return (sqlite3_errcode(db) & 0xff) == SQLITE_FULL ? RUCHE_EFULL :
							      RUCHE_EIO;
}

int store_optimize_search(const char *path, int *before, int *after,
			  char *err, size_t errlen)
{
	const char *steps[] = {
		sql_text[S_SEARCH_INDEX], sql_text[S_SEARCH_INDEXED],
		"INSERT INTO messages_fts(messages_fts) VALUES ('optimize')",
	};
	int known = store_migrations[store_nmigrations - 1].version;
	sqlite3 *db;
	int rc, version;

	*before = *after = 0;
	if (store_is_postgres(path)) {
		snprintf(err, errlen, "PostgreSQL keeps its own search index: "
			 "nothing to optimize");
		return RUCHE_EINVAL;
	}
	if (!file_exists(path)) {
		snprintf(err, errlen, "%s: no such database", path);
		return RUCHE_ENOTFOUND;
	}
	db = open_file(path, SQLITE_OPEN_READWRITE, err, errlen);
	if (!db)
		return RUCHE_EIO;
	/* Alone on it until the end: a server would wait for the write
	 * lock for as long as the index is rewritten. */
	rc = lock_alone(db, path, err, errlen);
	version = rc ? 0 : file_version(db);
	if (!rc && version < 0) {
		snprintf(err, errlen, "%s has no schema version: not a Ruche "
			 "database?", path);
		rc = RUCHE_EINVAL;
	} else if (!rc && version != known) {
		snprintf(err, errlen, "%s has schema version %d, this ruche "
			 "%d: %s", path, version, known, version > known ?
			 "run a newer ruche" : "start the server on it once, "
			 "to migrate it, then optimize");
		rc = RUCHE_EINVAL;
	}
	if (!rc)
		*before = search_segments(db);
	/* The messages still waiting go in first, in the same piece. */
	for (size_t i = 0; !rc && i < sizeof(steps) / sizeof(steps[0]); i++)
		if (sqlite3_exec(db, steps[i], NULL, NULL, NULL) != SQLITE_OK)
			rc = file_error(db, path, err, errlen);
	if (!rc)
		*after = search_segments(db);
	if (!rc && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = file_error(db, path, err, errlen);
	if (rc)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static int sq_test_fault(struct store *st, enum store_fault fault)
{
	char err[256];
	const char *sql =
		fault == STORE_FAULT_FULL ?
			/* Clamped to the pages in use: no page more. */
			"PRAGMA max_page_count = 1" :
		fault == STORE_FAULT_READ_ONLY ? "PRAGMA query_only = 1" :
		"PRAGMA query_only = 0; "
		"PRAGMA max_page_count = 1073741823";

	return exec(st, sql, err, sizeof(err));
}

/* ---- Statements ------------------------------------------------------ */

/* The statement id, prepared (once) and ready to bind; NULL on failure. */
static sqlite3_stmt *stmt(struct store *st, enum stmt_id id)
{
	/* Outside a transaction, after one was lost, a write of the turn
	 * would stand on its own. */
	if (st->lost && sqlite3_get_autocommit(st->db))
		return NULL;
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

	int err;

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	if (ext == SQLITE_CONSTRAINT_UNIQUE ||
	    ext == SQLITE_CONSTRAINT_PRIMARYKEY)
		return RUCHE_EEXIST;
	/* Storage that takes no more writes is no bug of Ruche's: clients
	 * get to know (storage_full, storage_read_only), reads go on. */
	if ((ext & 0xff) == SQLITE_FULL)
		err = RUCHE_EFULL;
	else if ((ext & 0xff) == SQLITE_READONLY)
		err = RUCHE_EROFS;
	else
		err = RUCHE_EIO;
	if (st->depth && !st->lost && sqlite3_get_autocommit(st->db)) {
		st->lost = err;
		log_error("store: %s; the transaction was rolled back",
			  sqlite3_errmsg(st->db));
		if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL,
				 NULL) == SQLITE_OK)
			st->changes_at_begin = sqlite3_total_changes64(st->db);
	} else if (err == RUCHE_EIO) {
		log_error("store: %s", sqlite3_errmsg(st->db));
	} else {
		log_warn("store: %s", sqlite3_errmsg(st->db));
	}
	return err;
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

/* Whether the database keeps a write-ahead log (not one in memory). */
static bool in_wal_mode(struct store *st)
{
	sqlite3_stmt *s = stmt(st, S_JOURNAL_MODE);
	bool wal = false;

	if (s && sqlite3_step(s) == SQLITE_ROW)
		wal = sqlite3_stricmp((const char *)sqlite3_column_text(s, 0),
				      "wal") == 0;
	sqlite3_reset(s);
	return wal;
}

/* How many messages wait to be indexed for search. */
static unsigned count_pending(struct store *st)
{
	sqlite3_stmt *s;
	int64_t n = 0;

	if (sqlite3_table_column_metadata(st->db, NULL, "messages_fts_pending",
					  "id", NULL, NULL, NULL, NULL,
					  NULL) != SQLITE_OK)
		return 0;	/* a schema before 0012 */
	s = stmt(st, S_SEARCH_COUNT_PENDING);
	if (!s || one(st, s, read_int, &n))
		return 1;	/* unknown: try */
	return n > UINT_MAX ? UINT_MAX : (unsigned)n;
}

/*
 * Transactions nest: inside an open one, sq_begin() makes a savepoint,
 * so a domain function that needs all-or-nothing works the same whether
 * its caller (the event loop's grouped commit) has a transaction open or
 * not.
 */
static int sq_begin(struct store *st)
{
	sqlite3_stmt *s = st->lost ? NULL :
			  stmt(st, st->depth ? S_SAVEPOINT : S_BEGIN);
	int rc = s ? run(st, s, false) : st->lost ? st->lost : RUCHE_EIO;

	if (!rc && st->depth++ == 0)
		st->changes_at_begin = sqlite3_total_changes64(st->db);
	return rc;
}

static bool sq_dirty(struct store *st)
{
	return st && st->depth &&
	       sqlite3_total_changes64(st->db) != st->changes_at_begin;
}

/*
 * Messages wait this many at most (or until the next search or
 * housekeeping pass) to be indexed together.
 */
#define STORE_INDEX_BATCH 256

/*
 * Indexes for search the messages written since the last time, in one
 * statement: one FTS5 segment for all of them instead of one each
 * (migration 0012 says why).
 */
static int index_pending(struct store *st)
{
	sqlite3_stmt *index = stmt(st, S_SEARCH_INDEX);
	sqlite3_stmt *done = stmt(st, S_SEARCH_INDEXED);
	int rc;

	if (!index || !done)
		return RUCHE_EIO;
	rc = run(st, index, false);
	if (!rc)
		rc = run(st, done, false);
	if (!rc) {
		st->unindexed = 0;
		st->indexed_in_tx = true;
	}
	return rc;
}

static int sq_search_index(struct store *st)
{
	int rc;

	if (!st->unindexed || st->lost)
		return 0;
	if (st->depth)
		return index_pending(st);
	rc = sq_begin(st);
	if (!rc)
		rc = sq_end(st, index_pending(st));
	return rc;
}

/* A transaction that indexed messages is undone: they wait again. */
static void unindex_undone(struct store *st)
{
	if (st->indexed_in_tx && !st->unindexed)
		st->unindexed = 1;
	if (st->depth == 1)
		st->indexed_in_tx = false;
}

static int sq_commit(struct store *st)
{
	sqlite3_stmt *s;
	int rc = 0;

	if (!st->depth)
		return RUCHE_EINVAL;
	/* Nothing of a lost transaction is left to commit; the caller
	 * rolls back, as after any failed commit. */
	if (st->lost)
		return st->lost;
	/* Enough waiting: index them with this commit. */
	if (st->depth == 1 && st->unindexed >= STORE_INDEX_BATCH)
		rc = index_pending(st);
	s = rc ? NULL : stmt(st, st->depth > 1 ? S_RELEASE : S_COMMIT);
	if (!rc)
		rc = s ? run(st, s, false) : RUCHE_EIO;
	if (!rc && --st->depth == 0)
		st->indexed_in_tx = false;
	return rc;
}

static void sq_rollback(struct store *st)
{
	if (!st->depth)
		return;
	unindex_undone(st);
	if (st->lost) {
		/* SQLite rolled it all back already, savepoints included;
		 * what is left is the transaction that took its place. */
		if (--st->depth == 0) {
			if (!sqlite3_get_autocommit(st->db))
				sqlite3_exec(st->db, "ROLLBACK", NULL, NULL,
					     NULL);
			st->lost = 0;
		}
		return;
	}
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

static bool sq_in_transaction(struct store *st)
{
	return st->depth > 0;
}

/*
 * PRAGMA data_version moves when another connection commits: another
 * process (`ruche admin`, the sqlite3 shell) or a thread with a
 * connection of its own, never this connection's own commits.
 */
static bool sq_changed_elsewhere(struct store *st)
{
	sqlite3_stmt *s = stmt(st, S_DATA_VERSION);
	int64_t v = -1;

	if (!s || one(st, s, read_int, &v))
		return true;	/* cannot tell: as if it had */
	if (v == st->data_version)
		return false;
	st->data_version = v;
	return true;
}

static int sq_end(struct store *st, int rc)
{
	if (!rc)
		rc = sq_commit(st);
	if (rc)
		sq_rollback(st);
	return rc;
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

static int sq_user_insert(struct store *st, struct store_user *u)
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

static int sq_user_get(struct store *st, int64_t id, struct store_user *out)
{
	sqlite3_stmt *s = stmt(st, S_USER_GET);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	return one(st, s, read_user, out);
}

static int sq_user_by_handle(struct store *st, const char *handle,
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

static int sq_user_set_name(struct store *st, int64_t id, const char *name)
{
	return update_text(st, S_USER_SET_NAME, id, name);
}

static int sq_user_set_password(struct store *st, int64_t id, const char *hash)
{
	return update_text(st, S_USER_SET_PASSWORD, id, hash);
}

static int sq_user_set_admin(struct store *st, int64_t id, bool admin)
{
	return update_int(st, S_USER_SET_ADMIN, id, admin);
}

static int sq_admin_count(struct store *st, int *n)
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

static int sq_user_erase(struct store *st, int64_t id, int64_t now)
{
	int rc = sq_begin(st);

	if (rc)
		return rc;
	rc = update_int(st, S_USER_ERASE, id, now);
	if (!rc)
		rc = sq_session_delete_user(st, id, 0);
	if (!rc)
		rc = delete_by(st, S_MEMBER_DELETE_USER, id);
	if (!rc)
		rc = delete_by(st, S_WAIT_DELETE_USER, id);
	if (!rc)
		rc = delete_by(st, S_USER_ERASE_TEXT, id);
	if (!rc)
		rc = sq_event_erase_text(st, 0, id);
	if (!rc)
		rc = sq_commit(st);
	if (rc)
		sq_rollback(st);
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

static int sq_session_insert(struct store *st, int64_t user_id,
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

static int sq_session_by_digest(struct store *st,
			    const unsigned char digest[AUTH_DIGEST_LEN],
			    struct store_session *out)
{
	sqlite3_stmt *s = stmt(st, S_SESSION_BY_DIGEST);

	if (!s)
		return RUCHE_EIO;
	bind_digest(s, 1, digest);
	return one(st, s, read_session, out);
}

static int sq_session_get(struct store *st, int64_t id, struct store_session *out)
{
	sqlite3_stmt *s = stmt(st, S_SESSION_GET);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	return one(st, s, read_session, out);
}

static int sq_session_touch(struct store *st, int64_t id, int64_t now,
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

static int sq_session_delete(struct store *st, int64_t id)
{
	return delete_by(st, S_SESSION_DELETE, id);
}

static int sq_session_delete_user(struct store *st, int64_t user_id,
			      int64_t except_id)
{
	sqlite3_stmt *s = stmt(st, S_SESSION_DELETE_USER);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_int64(s, 2, except_id);
	return run(st, s, false);
}

static int sq_session_list(struct store *st, int64_t user_id,
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
	h->retention_days = sqlite3_column_int(s, 8);
}

static int sq_hive_insert(struct store *st, struct store_hive *h)
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

static int sq_hive_get(struct store *st, int64_t id, struct store_hive *out)
{
	sqlite3_stmt *s = stmt(st, S_HIVE_GET);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	return one(st, s, read_hive, out);
}

static int sq_hive_archived(struct store *st, int64_t id, int64_t *archived_at)
{
	sqlite3_stmt *s = stmt(st, S_HIVE_ARCHIVED);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	return one(st, s, read_int, archived_at);
}

static int sq_hive_by_name(struct store *st, const char *name,
		       struct store_hive *out)
{
	sqlite3_stmt *s = stmt(st, S_HIVE_BY_NAME);

	if (!s)
		return RUCHE_EIO;
	bind_text(s, 1, name);
	return one(st, s, read_hive, out);
}

static int sq_hive_update(struct store *st, const struct store_hive *h)
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

static int sq_hive_archive(struct store *st, int64_t id, int64_t now)
{
	return update_int(st, S_HIVE_ARCHIVE, id, now);
}

static int sq_hive_list(struct store *st, int64_t user_id,
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

static int sq_member_role(struct store *st, int64_t hive_id, int64_t user_id,
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

static int sq_member_insert(struct store *st, int64_t hive_id, int64_t user_id,
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

static int sq_member_delete(struct store *st, int64_t hive_id, int64_t user_id)
{
	return pair_change(st, S_MEMBER_DELETE, hive_id, user_id);
}

static int sq_member_set_role(struct store *st, int64_t hive_id,
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
	m->admin = sqlite3_column_int(s, 5) != 0;
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

static int sq_member_list(struct store *st, int64_t hive_id,
		      struct store_member **out, size_t *n)
{
	return list_by(st, S_MEMBER_LIST, hive_id, sizeof(**out), read_member,
		       (void **)out, n);
}

static int sq_mentor_load(struct store *st, int64_t user_id, int *learners)
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

static int sq_hive_mentors(struct store *st, int64_t hive_id, int64_t **ids,
		       size_t *n)
{
	return list_by(st, S_HIVE_MENTORS, hive_id, sizeof(**ids), read_int,
		       (void **)ids, n);
}

static int sq_users_share_hive(struct store *st, int64_t a, int64_t b, bool *out)
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

static int sq_invite_insert(struct store *st, struct store_invite *inv,
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

static int sq_invite_by_digest(struct store *st,
			   const unsigned char digest[AUTH_DIGEST_LEN],
			   struct store_invite *out)
{
	sqlite3_stmt *s = stmt(st, S_INVITE_BY_DIGEST);

	if (!s)
		return RUCHE_EIO;
	bind_digest(s, 1, digest);
	return one(st, s, read_invite, out);
}

static int sq_invite_get(struct store *st, int64_t id, struct store_invite *out)
{
	sqlite3_stmt *s = stmt(st, S_INVITE_GET);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	return one(st, s, read_invite, out);
}

static int sq_invite_use(struct store *st, int64_t id)
{
	sqlite3_stmt *s = stmt(st, S_INVITE_USE);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	return run(st, s, true);
}

static int sq_invite_revoke(struct store *st, int64_t id, int64_t now)
{
	return update_int(st, S_INVITE_REVOKE, id, now);
}

static int sq_invite_list(struct store *st, int64_t hive_id,
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

static int sq_waitlist_insert(struct store *st, int64_t hive_id, int64_t user_id,
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

static int sq_waitlist_delete(struct store *st, int64_t hive_id, int64_t user_id)
{
	return pair_change(st, S_WAIT_DELETE, hive_id, user_id);
}

static int sq_waitlist_list(struct store *st, int64_t hive_id,
			struct store_member **out, size_t *n)
{
	return list_by(st, S_WAIT_LIST, hive_id, sizeof(**out), read_member,
		       (void **)out, n);
}

/* ---- Chat ------------------------------------------------------------ */

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
	c->kind = store_kind_parse((const char *)sqlite3_column_text(s, 2));
	col_text(s, 3, c->name, sizeof(c->name));
	col_text(s, 4, c->topic, sizeof(c->topic));
	c->position = sqlite3_column_int(s, 5);
	c->created_at = sqlite3_column_int64(s, 6);
	c->archived_at = sqlite3_column_int64(s, 7);
	c->slow_mode_s = sqlite3_column_int(s, 8);
	c->locked = sqlite3_column_int(s, 9) != 0;
}

static int sq_channel_insert(struct store *st, struct store_channel *c)
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

static int sq_channel_get(struct store *st, int64_t id, struct store_channel *out)
{
	sqlite3_stmt *s = stmt(st, S_CHAN_GET);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	return one(st, s, read_channel, out);
}

static int sq_channel_list(struct store *st, int64_t hive_id,
		       struct store_channel **out, size_t *n)
{
	return list_by(st, S_CHAN_LIST, hive_id, sizeof(**out), read_channel,
		       (void **)out, n);
}

static int sq_channel_update(struct store *st, const struct store_channel *c)
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

static int sq_channel_archive(struct store *st, int64_t id, int64_t now)
{
	return update_int(st, S_CHAN_ARCHIVE, id, now);
}

static int sq_channel_next_position(struct store *st, int64_t hive_id, int *pos)
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

static int sq_direct_add_member(struct store *st, int64_t channel_id,
			    int64_t user_id)
{
	sqlite3_stmt *s = stmt(st, S_DIRECT_ADD);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, channel_id);
	sqlite3_bind_int64(s, 2, user_id);
	return run(st, s, false);
}

static int sq_direct_members(struct store *st, int64_t channel_id, int64_t **ids,
			 size_t *n)
{
	return list_by(st, S_DIRECT_MEMBERS, channel_id, sizeof(**ids),
		       read_int, (void **)ids, n);
}

static int sq_direct_find(struct store *st, const int64_t *user_ids, size_t n,
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

static int sq_direct_list(struct store *st, int64_t user_id,
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



static int sq_msg_insert(struct store *st, struct store_message *m)
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
	st->unindexed++;	/* its trigger made it pending */
	rc = run(st, s, false);
	if (!rc)
		m->id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

static int sq_msg_get(struct store *st, int64_t id, struct store_message *out)
{
	sqlite3_stmt *s = stmt(st, S_MSG_GET);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	return one(st, s, read_message, out);
}

static int sq_msg_by_nonce(struct store *st, int64_t author_id, const char *nonce,
		       struct store_message *out)
{
	sqlite3_stmt *s = stmt(st, S_MSG_BY_NONCE);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, author_id);
	bind_text(s, 2, nonce);
	return one(st, s, read_message, out);
}

static int sq_msg_edit(struct store *st, int64_t id, const char *body,
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

static int sq_msg_tombstone(struct store *st, int64_t id, int64_t now)
{
	return update_int(st, S_MSG_TOMBSTONE, id, now);
}

static int sq_msg_thread_bump(struct store *st, int64_t root_id, int64_t now)
{
	return update_int(st, S_MSG_THREAD_BUMP, root_id, now);
}

static int sq_msg_page(struct store *st, int64_t channel_id, int64_t thread_id,
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

static int sq_reaction_add(struct store *st, int64_t message_id, int64_t user_id,
		       const char *emoji, int64_t now)
{
	return reaction_change(st, S_REACT_ADD, message_id, user_id, emoji,
			       now);
}

static int sq_reaction_remove(struct store *st, int64_t message_id,
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

static int sq_reaction_counts(struct store *st, int64_t message_id,
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

static int sq_thread_read_set(struct store *st, int64_t user_id,
			  int64_t thread_id, int64_t message_id)
{
	return marker_set(st, S_THREAD_READ_SET, user_id, thread_id,
			  message_id);
}

static int sq_thread_read_get(struct store *st, int64_t user_id,
			  int64_t thread_id, int64_t *message_id)
{
	return marker_get(st, S_THREAD_READ_GET, user_id, thread_id,
			  message_id);
}

static int sq_read_set(struct store *st, int64_t user_id, int64_t channel_id,
		   int64_t message_id)
{
	return marker_set(st, S_READ_SET, user_id, channel_id, message_id);
}

static int sq_read_get(struct store *st, int64_t user_id, int64_t channel_id,
		   int64_t *message_id)
{
	return marker_get(st, S_READ_GET, user_id, channel_id, message_id);
}

static int sq_unread_count(struct store *st, int64_t user_id, int64_t channel_id,
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

static int sq_mention_insert(struct store *st, int64_t user_id,
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

static int sq_unread_mentions(struct store *st, int64_t user_id,
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

static int sq_event_insert(struct store *st, int64_t hive_id, int64_t channel_id,
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

static int sq_events_since(struct store *st, int64_t user_id, int64_t since,
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

/* An event with its audience (S_EVENTS_AFTER). */
static void read_event_to(sqlite3_stmt *s, void *row)
{
	struct store_event *e = row;

	read_event(s, row);
	e->hive_id = sqlite3_column_int64(s, 3);
	e->channel_id = sqlite3_column_int64(s, 4);
	e->user_id = sqlite3_column_int64(s, 5);
}

static int sq_events_after(struct store *st, int64_t since, int limit,
			   struct store_event **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_EVENTS_AFTER);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, since);
	sqlite3_bind_int(s, 2, limit);
	return list(st, s, sizeof(**out), read_event_to, (void **)out, n);
}

/*
 * One node works on an SQLite database: it counts its own connections
 * (server.c), and presence is never asked of the store.
 */
static int sq_presence_put(struct store *st, const char *node,
			   int64_t user_id, enum store_presence status)
{
	(void)st;
	(void)node;
	(void)user_id;
	(void)status;
	return 0;
}

static int sq_presence_of(struct store *st, int64_t user_id,
			  enum store_presence *status)
{
	(void)st;
	(void)user_id;
	*status = STORE_PRESENCE_OFFLINE;
	return 0;
}

static int sq_presence_renew(struct store *st, const char *node)
{
	(void)st;
	(void)node;
	return 0;
}

static int sq_presence_expire(struct store *st, int64_t **users, size_t *n)
{
	(void)st;
	*users = NULL;
	*n = 0;
	return 0;
}

/* One node works on an SQLite database: the lease is always its own. */
static int sq_lease_take(struct store *st, const char *name,
			 const char *holder, int64_t ttl_ms, bool *held)
{
	(void)st;
	(void)name;
	(void)holder;
	(void)ttl_ms;
	*held = true;
	return 0;
}

static int sq_event_last(struct store *st, int64_t *pos)
{
	sqlite3_stmt *s = stmt(st, S_EVENT_LAST);

	if (!s)
		return RUCHE_EIO;
	return one(st, s, read_int, pos);
}

static int sq_event_first(struct store *st, int64_t *pos)
{
	sqlite3_stmt *s = stmt(st, S_EVENT_FIRST);

	if (!s)
		return RUCHE_EIO;
	return one(st, s, read_int, pos);
}

static int sq_event_prune(struct store *st, int64_t before_ms, int *deleted)
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


/*
 * Writes to o one word of what a person typed as an FTS5 term: quoted
 * (so no operator or column filter sneaks in), as a prefix when it is the
 * last word.  o needs room for len x 2 + 3 bytes; returns where it ends.
 */
static char *fts_term(char *o, const char *w, size_t len, bool last)
{
	*o++ = '"';
	for (size_t i = 0; i < len; i++) {
		if (w[i] == '"')
			*o++ = '"';
		*o++ = w[i];
	}
	*o++ = '"';
	if (last)
		*o++ = '*';
	return o;
}

/*
 * The longest last word that the index answers from its prefixes
 * (migration 0011: prefixes of 1 to 4 characters).  For a longer one,
 * FTS5 merges, whole, the lists of every word it starts, in each
 * channel's query: 10-50 ms each for a common word such as "thank" (which
 * starts "thanks") at 10 million messages.  A search cuts such a word to
 * its first characters for the index, which then finds a few more
 * messages than the search asks for, and checks those with the whole
 * word (search_channel()).
 */
#define SEARCH_PREFIX_MAX 4

/*
 * The bytes of w (len bytes) up to SEARCH_PREFIX_MAX characters of
 * UTF-8, not counting leading punctuation or spaces of ASCII (which make
 * no token); len when w is no longer.
 */
static size_t prefix_cut(const char *w, size_t len)
{
	size_t i = 0, chars = 0;

	while (i < len && (unsigned char)w[i] < 0x80 &&
	       !isalnum((unsigned char)w[i]))
		i++;
	for (; i < len; i++)
		if (((unsigned char)w[i] & 0xc0) != 0x80 &&
		    chars++ == SEARCH_PREFIX_MAX)
			return i;
	return len;
}

/*
 * Turns what a person typed into an FTS5 query: each word a term, all of
 * them required, the last one as a prefix; with cut, the last word cut
 * by prefix_cut() (*was_cut says whether it was).  NULL when out of
 * memory, or for no word.
 */
static char *fts_query(const char *q, bool cut, bool *was_cut)
{
	/* Each byte once, a quote twice, and 3 more a word (its quotes and
	 * a space or the star): a word is a byte and a space at the least,
	 * so 3 x the length and a little cover a query of quotes alone. */
	char *out = malloc(strlen(q) * 3 + 4), *o = out;
	const char *w, *next;
	size_t len, next_len;

	if (was_cut)
		*was_cut = false;
	if (!out)
		return NULL;
	w = store_next_word(&q, &len);
	if (!w) {
		free(out);
		return NULL;
	}
	for (; w; w = next, len = next_len) {
		next = store_next_word(&q, &next_len);
		if (!next && cut) {
			size_t keep = prefix_cut(w, len);

			*was_cut = keep < len;
			len = keep;
		}
		o = fts_term(o, w, len, !next);
		if (next)
			*o++ = ' ';
	}
	*o = '\0';
	return out;
}

/*
 * Where a search makes its excerpts, and checks the messages found with
 * a cut word (SEARCH_PREFIX_MAX): a database in memory, with a connection
 * of its own, so that nothing of it touches the store's transactions,
 * its changes or its read-only state.  Its table's tokenizer is
 * messages_fts's (migrations 0011, 0013): the two must stay the same, or
 * an excerpt would not mark the words that were found.
 */
struct excerpter {
	sqlite3 *db;
	sqlite3_stmt *put, *match;
};

static void excerpter_free(struct excerpter *ex)
{
	if (!ex)
		return;
	sqlite3_finalize(ex->put);
	sqlite3_finalize(ex->match);
	sqlite3_close(ex->db);
	free(ex);
}

/* NULL when out of memory (logged: searches then fail). */
static struct excerpter *excerpter_new(void)
{
	struct excerpter *ex = calloc(1, sizeof(*ex));

	if (ex &&
	    sqlite3_open_v2(":memory:", &ex->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK &&
	    sqlite3_exec(ex->db, "CREATE VIRTUAL TABLE hits USING fts5("
			 "body, tokenize = 'unicode61 remove_diacritics 2')",
			 NULL, NULL, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v3(ex->db,
			       "INSERT INTO hits(rowid, body) VALUES (?1, ?2)",
			       -1, SQLITE_PREPARE_PERSISTENT, &ex->put,
			       NULL) == SQLITE_OK &&
	    sqlite3_prepare_v3(ex->db,
			       "SELECT rowid, snippet(hits, 0, '[', ']', '…', "
			       "16) FROM hits WHERE hits MATCH ?1",
			       -1, SQLITE_PREPARE_PERSISTENT, &ex->match,
			       NULL) == SQLITE_OK)
		return ex;
	log_error("store: no database for search excerpts: %s",
		  ex && ex->db ? sqlite3_errmsg(ex->db) : "out of memory");
	excerpter_free(ex);
	return NULL;
}

/* What a search keeps of a message it found: the hit (its excerpt NULL
 * until made), and its text until then. */
struct search_found {
	struct store_hit hit;
	char *body;
};

static void found_free(struct search_found *f)
{
	free(f->body);
	free(f->hit.excerpt);
}

/*
 * Marks query's words in each message of f[0..n) that has no excerpt
 * yet, with FTS5's snippet(): they go into the excerpter's table and come
 * out again (a transaction rolled back).  A message that query does not
 * match is left without one.  0, or a Ruche error.
 */
static int excerpts(struct excerpter *ex, const char *query,
		    struct search_found *f, size_t n)
{
	int rc = SQLITE_DONE;

	if (!ex || sqlite3_exec(ex->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return RUCHE_EIO;
	for (size_t i = 0; i < n && rc == SQLITE_DONE; i++) {
		if (f[i].hit.excerpt)
			continue;
		sqlite3_bind_int64(ex->put, 1, f[i].hit.message_id);
		bind_text(ex->put, 2, f[i].body);
		rc = sqlite3_step(ex->put);
		sqlite3_reset(ex->put);
	}
	sqlite3_clear_bindings(ex->put);
	if (rc == SQLITE_DONE) {
		bind_text(ex->match, 1, query);
		while ((rc = sqlite3_step(ex->match)) == SQLITE_ROW) {
			int64_t id = sqlite3_column_int64(ex->match, 0);
			const unsigned char *t = sqlite3_column_text(ex->match,
								     1);

			for (size_t i = 0; i < n; i++) {
				struct store_hit *h = &f[i].hit;

				if (h->message_id != id || h->excerpt)
					continue;
				h->excerpt = strdup(t ? (const char *)t : "");
				if (!h->excerpt)
					rc = SQLITE_NOMEM;
				break;
			}
			if (rc == SQLITE_NOMEM)
				break;
		}
		sqlite3_reset(ex->match);
		sqlite3_clear_bindings(ex->match);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_NOMEM)
		log_error("store: search excerpts: %s", sqlite3_errmsg(ex->db));
	sqlite3_exec(ex->db, "ROLLBACK", NULL, NULL, NULL);
	return rc == SQLITE_DONE ? 0 :
	       rc == SQLITE_NOMEM ? RUCHE_ENOMEM : RUCHE_EIO;
}

/*
 * Whether the last of words, cut by prefix_cut(), still gives FTS5 a
 * token: a cut part of punctuation alone ("«»«»" of "«»«»zephyr") gives
 * none, and FTS5 would then leave the word out of the index's query.
 * The excerpter answers, with the same tokenizer: the cut part, as a
 * message, must match itself as a prefix.
 */
static bool cut_gives_token(struct excerpter *ex, const char *words)
{
	struct search_found f = { 0 };
	const char *w = NULL, *next;
	size_t len = 0, next_len;
	char *term;
	bool gives;

	while ((next = store_next_word(&words, &next_len))) {
		w = next;
		len = next_len;
	}
	if (!w)
		return false;
	len = prefix_cut(w, len);
	term = malloc(len * 2 + 4);
	f.body = strndup(w, len);
	if (term && f.body)
		*fts_term(term, w, len, true) = '\0';
	gives = term && f.body && excerpts(ex, term, &f, 1) == 0 &&
		f.hit.excerpt;
	found_free(&f);
	free(term);
	return gives;
}

/* A search: its query for the index, and, when that query's last word
 * was cut, the whole one that each message found is checked with. */
struct search_query {
	char *index, *whole;
	bool cut;
};

/* The newest `limit` matches found so far, newest first. */
struct search_set {
	struct search_found *f;
	size_t n, limit;
};

/* The id a message must be above to enter the set. */
static int64_t search_bound(const struct search_set *set)
{
	return set->n == set->limit ? set->f[set->n - 1].hit.message_id : 0;
}

/*
 * Takes f into the set at its place, newest first, leaving out the oldest
 * when the set is full; f is freed instead when it is older than all of a
 * full set.
 */
static void search_keep(struct search_set *set, struct search_found *f)
{
	size_t at;

	if (f->hit.message_id <= search_bound(set)) {
		found_free(f);
		return;
	}
	if (set->n == set->limit)
		found_free(&set->f[--set->n]);
	for (at = set->n;
	     at > 0 && set->f[at - 1].hit.message_id < f->hit.message_id;
	     at--)
		;
	memmove(&set->f[at + 1], &set->f[at], (set->n - at) * sizeof(*f));
	set->f[at] = *f;
	set->n++;
}

/* Messages of a channel read from the index at a time. */
#define SEARCH_CHUNK 64

/*
 * Up to `want` (at most SEARCH_CHUNK) of the newest matches of the index
 * query in one channel, with ids from `from` to `to`, into cand; *n says
 * how many.  0, or a Ruche error.
 */
static int search_read(struct store *st, const char *query, int64_t chan,
		       int64_t from, int64_t to, size_t want,
		       struct search_found *cand, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_SEARCH_IN);
	int rc;

	*n = 0;
	if (!s)
		return RUCHE_EIO;
	bind_text(s, 1, query);
	sqlite3_bind_int64(s, 2, chan << SEARCH_KEY_BITS | from);
	sqlite3_bind_int64(s, 3, chan << SEARCH_KEY_BITS | to);
	sqlite3_bind_int64(s, 4, chan);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)want);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *text = sqlite3_column_text(s, 4);
		struct search_found *f = &cand[*n];

		*f = (struct search_found){
			.hit = {
				.message_id = sqlite3_column_int64(s, 0),
				.channel_id = sqlite3_column_int64(s, 1),
				.author_id = sqlite3_column_int64(s, 2),
				.created_at = sqlite3_column_int64(s, 3),
				.thread_id = sqlite3_column_int64(s, 5),
			},
			.body = strdup(text ? (const char *)text : ""),
		};
		if (!f->body) {
			finish(st, s, SQLITE_DONE);
			return RUCHE_ENOMEM;
		}
		++*n;
	}
	return finish(st, s, rc);
}

/*
 * The newest matches of a search in one channel that enter the set: all
 * of them while it has room, then only those newer than its oldest.
 * Given the channel's range of keys, FTS5 reads only the channel's part
 * of each word's list.  With a cut word, each message the index gives is
 * checked with the whole word (its excerpt made on the way), and the
 * channel read on until enough pass.  0, or a Ruche error.
 */
static int search_channel(struct store *st, const struct search_query *q,
			  int64_t chan, struct search_set *set)
{
	struct search_found cand[SEARCH_CHUNK];
	int64_t to = SEARCH_ID_MASK;
	/* Without a check, no more than the set holds can enter it. */
	size_t want = q->cut || set->limit > SEARCH_CHUNK ? SEARCH_CHUNK :
							    set->limit;
	size_t n = want, i;
	int rc = 0;

	/* Keys are 63 bits: no channel beyond has any (0013's triggers). */
	if (chan <= 0 || chan >= INT64_C(1) << (63 - SEARCH_KEY_BITS))
		return 0;
	while (!rc && n == want && search_bound(set) < to) {
		rc = search_read(st, q->index, chan, search_bound(set) + 1, to,
				 want, cand, &n);
		if (!rc && n && q->cut)
			rc = excerpts(st->excerpter, q->whole, cand, n);
		for (i = 0; i < n; i++) {
			if (!rc && (!q->cut || cand[i].hit.excerpt))
				search_keep(set, &cand[i]);
			else
				found_free(&cand[i]);
		}
		if (n)
			to = cand[n - 1].hit.message_id - 1;
	}
	return rc;
}

/* A channel a search reads, and the id of its newest message. */
struct search_scope {
	int64_t channel_id, last;
};

static void read_scope(sqlite3_stmt *s, void *row)
{
	struct search_scope *c = row;

	c->channel_id = sqlite3_column_int64(s, 0);
	c->last = sqlite3_column_int64(s, 1);
}

/*
 * Search, newest first, among what the user may read: the newest matches
 * of each channel they see, from the channel's own range of the index
 * (migration 0013), merged.  Each channel after the set is full asks
 * only for what is newer than its oldest, and the channels are read the
 * most recently written first: once the set is full of messages newer
 * than the next channel's newest, the search is done, however many quiet
 * channels are left.
 */
static int sq_search(struct store *st, int64_t user_id, const char *words,
		     int limit, struct store_hit **out, size_t *n)
{
	struct search_set set = { .limit = limit > 0 ? (size_t)limit : 0 };
	struct search_query q = { 0 };
	struct search_scope *chans = NULL;
	size_t nchans = 0, i;
	int rc;

	*out = NULL;
	*n = 0;
	/* Everything committed is found, and what this turn wrote.  Should
	 * indexing fail (a full disk), the search still answers from what
	 * is indexed. */
	sq_search_index(st);
	q.whole = fts_query(words, false, NULL);
	q.index = fts_query(words, true, &q.cut);
	if (q.cut && !cut_gives_token(st->excerpter, words)) {
		free(q.index);
		q.index = fts_query(words, false, &q.cut);
	}
	if (!q.whole || !q.index) {
		free(q.whole);
		free(q.index);
		/* No word: nothing matches. */
		return words[strspn(words, " \t\n\v\f\r")] ? RUCHE_ENOMEM : 0;
	}
	rc = list_by(st, S_SEARCH_SCOPE, user_id, sizeof(*chans), read_scope,
		     (void **)&chans, &nchans);
	if (!rc && set.limit) {
		set.f = calloc(set.limit, sizeof(*set.f));
		if (!set.f)
			rc = RUCHE_ENOMEM;
	}
	for (i = 0; !rc && set.f && i < nchans &&
		    chans[i].last > search_bound(&set); i++)
		rc = search_channel(st, &q, chans[i].channel_id, &set);
	/* With a cut word, each has its excerpt already. */
	if (!rc && set.n && !q.cut)
		rc = excerpts(st->excerpter, q.whole, set.f, set.n);
	/* Each matched again for its excerpt; an excerpt of nothing were
	 * one not to. */
	for (i = 0; !rc && i < set.n; i++)
		if (!set.f[i].hit.excerpt &&
		    !(set.f[i].hit.excerpt = strdup("")))
			rc = RUCHE_ENOMEM;
	if (!rc && set.n && !(*out = malloc(set.n * sizeof(**out))))
		rc = RUCHE_ENOMEM;
	for (i = 0; i < set.n; i++) {
		free(set.f[i].body);
		if (rc)
			free(set.f[i].hit.excerpt);
		else
			(*out)[i] = set.f[i].hit;
	}
	*n = rc ? 0 : set.n;
	free(set.f);
	free(chans);
	free(q.index);
	free(q.whole);
	return rc;
}

static int sq_msg_by_author(struct store *st, int64_t author_id,
			struct store_message **out, size_t *n)
{
	return list_by(st, S_MSG_BY_AUTHOR, author_id, sizeof(**out),
		       read_message, (void **)out, n);
}

static int sq_waitlist_of_user(struct store *st, int64_t user_id, int64_t **ids,
			   size_t *n)
{
	return list_by(st, S_WAIT_OF_USER, user_id, sizeof(**ids), read_int,
		       (void **)ids, n);
}

static int sq_event_erase_text(struct store *st, int64_t message_id,
			   int64_t author_id)
{
	return message_id ? delete_by(st, S_EVENT_ERASE_MSG, message_id) :
			    delete_by(st, S_EVENT_ERASE_AUTHOR, author_id);
}

/* ---- Moderation ------------------------------------------------------ */

static void read_mute(sqlite3_stmt *s, void *row)
{
	struct store_mute *m = row;

	m->hive_id = sqlite3_column_int64(s, 0);
	m->user_id = sqlite3_column_int64(s, 1);
	m->until = sqlite3_column_int64(s, 2);
	m->by_id = sqlite3_column_int64(s, 3);
	col_text(s, 4, m->reason, sizeof(m->reason));
	m->created_at = sqlite3_column_int64(s, 5);
}

static int sq_mute_set(struct store *st, const struct store_mute *m)
{
	sqlite3_stmt *s = stmt(st, S_MUTE_SET);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, m->hive_id);
	sqlite3_bind_int64(s, 2, m->user_id);
	sqlite3_bind_int64(s, 3, m->until);
	bind_id(s, 4, m->by_id);
	bind_text(s, 5, m->reason);
	sqlite3_bind_int64(s, 6, m->created_at);
	return run(st, s, false);
}

static int sq_mute_get(struct store *st, int64_t hive_id, int64_t user_id,
		   struct store_mute *out)
{
	sqlite3_stmt *s = stmt(st, S_MUTE_GET);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, hive_id);
	sqlite3_bind_int64(s, 2, user_id);
	return one(st, s, read_mute, out);
}

static int sq_mute_delete(struct store *st, int64_t hive_id, int64_t user_id)
{
	return pair_change(st, S_MUTE_DELETE, hive_id, user_id);
}

static int sq_mute_due(struct store *st, int64_t now, int limit,
		   struct store_mute **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_MUTE_DUE);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int(s, 2, limit);
	return list(st, s, sizeof(**out), read_mute, (void **)out, n);
}

static int sq_mute_list(struct store *st, int64_t hive_id, int64_t now,
		    struct store_mute **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_MUTE_LIST);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, hive_id);
	sqlite3_bind_int64(s, 2, now);
	return list(st, s, sizeof(**out), read_mute, (void **)out, n);
}

static int sq_ban_insert(struct store *st, const struct store_ban *b)
{
	sqlite3_stmt *s = stmt(st, S_BAN_INSERT);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, b->hive_id);
	sqlite3_bind_int64(s, 2, b->user_id);
	bind_id(s, 3, b->by_id);
	bind_text(s, 4, b->reason);
	sqlite3_bind_int64(s, 5, b->created_at);
	return run(st, s, false);
}

static int sq_ban_delete(struct store *st, int64_t hive_id, int64_t user_id)
{
	return pair_change(st, S_BAN_DELETE, hive_id, user_id);
}

static int sq_ban_exists(struct store *st, int64_t hive_id, int64_t user_id,
		     bool *out)
{
	sqlite3_stmt *s = stmt(st, S_BAN_EXISTS);
	int64_t v = 0;
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, hive_id);
	sqlite3_bind_int64(s, 2, user_id);
	rc = one(st, s, read_int, &v);
	*out = v != 0;
	return rc;
}

static void read_ban(sqlite3_stmt *s, void *row)
{
	struct store_ban *b = row;

	b->hive_id = sqlite3_column_int64(s, 0);
	b->user_id = sqlite3_column_int64(s, 1);
	col_text(s, 2, b->handle, sizeof(b->handle));
	col_text(s, 3, b->name, sizeof(b->name));
	b->by_id = sqlite3_column_int64(s, 4);
	col_text(s, 5, b->reason, sizeof(b->reason));
	b->created_at = sqlite3_column_int64(s, 6);
}

static int sq_ban_list(struct store *st, int64_t hive_id, struct store_ban **out,
		   size_t *n)
{
	return list_by(st, S_BAN_LIST, hive_id, sizeof(**out), read_ban,
		       (void **)out, n);
}

static int sq_channel_set_moderation(struct store *st, int64_t channel_id,
				 int slow_mode_s, bool locked)
{
	sqlite3_stmt *s = stmt(st, S_CHAN_MOD);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, channel_id);
	sqlite3_bind_int(s, 2, slow_mode_s);
	sqlite3_bind_int(s, 3, locked);
	return run(st, s, true);
}

/* Runs a query of one integer keyed by ?1 and ?2 (and ?3 when given). */
static int int_query(struct store *st, enum stmt_id id, int64_t a, int64_t b,
		     const int64_t *c, int64_t *out)
{
	sqlite3_stmt *s = stmt(st, id);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, a);
	sqlite3_bind_int64(s, 2, b);
	if (c)
		sqlite3_bind_int64(s, 3, *c);
	return one(st, s, read_int, out);
}

static int sq_msg_last_in_channel(struct store *st, int64_t channel_id,
			      int64_t author_id, int64_t *created_at)
{
	return int_query(st, S_MSG_LAST_IN_CHAN, channel_id, author_id, NULL,
			 created_at);
}

static int sq_msg_count_in_hive(struct store *st, int64_t hive_id,
			    int64_t author_id, int64_t since_ms, int *n)
{
	int64_t v = 0;
	int rc = int_query(st, S_MSG_COUNT_IN_HIVE, hive_id, author_id,
			   &since_ms, &v);

	*n = (int)v;
	return rc;
}

static int sq_member_since(struct store *st, int64_t hive_id, int64_t user_id,
		       int64_t *since)
{
	return int_query(st, S_MEMBER_SINCE, hive_id, user_id, NULL, since);
}

static int sq_removal_insert(struct store *st, const struct store_removal *r)
{
	sqlite3_stmt *s = stmt(st, S_REMOVAL_INSERT);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, r->message_id);
	bind_id(s, 2, r->by_id);
	bind_text(s, 3, r->reason);
	sqlite3_bind_int64(s, 4, r->removed_at);
	return run(st, s, false);
}

static void read_removal(sqlite3_stmt *s, void *row)
{
	struct store_removal *r = row;

	r->message_id = sqlite3_column_int64(s, 0);
	r->by_id = sqlite3_column_int64(s, 1);
	col_text(s, 2, r->reason, sizeof(r->reason));
	r->removed_at = sqlite3_column_int64(s, 3);
}

static int sq_removal_get(struct store *st, int64_t message_id,
		      struct store_removal *out)
{
	sqlite3_stmt *s = stmt(st, S_REMOVAL_GET);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, message_id);
	return one(st, s, read_removal, out);
}

static int sq_pin_insert(struct store *st, const struct store_pin *p)
{
	sqlite3_stmt *s = stmt(st, S_PIN_INSERT);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, p->message_id);
	sqlite3_bind_int64(s, 2, p->channel_id);
	bind_id(s, 3, p->by_id);
	sqlite3_bind_int64(s, 4, p->pinned_at);
	return run(st, s, false);
}

static int sq_pin_delete(struct store *st, int64_t message_id)
{
	sqlite3_stmt *s = stmt(st, S_PIN_DELETE);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, message_id);
	return run(st, s, true);
}

static void read_pin(sqlite3_stmt *s, void *row)
{
	struct store_pin *p = row;

	p->message_id = sqlite3_column_int64(s, 0);
	p->channel_id = sqlite3_column_int64(s, 1);
	p->by_id = sqlite3_column_int64(s, 2);
	p->pinned_at = sqlite3_column_int64(s, 3);
}

static int sq_pin_list(struct store *st, int64_t channel_id,
		   struct store_pin **out, size_t *n)
{
	return list_by(st, S_PIN_LIST, channel_id, sizeof(**out), read_pin,
		       (void **)out, n);
}

static void read_report(sqlite3_stmt *s, void *row)
{
	struct store_report *r = row;

	r->id = sqlite3_column_int64(s, 0);
	r->hive_id = sqlite3_column_int64(s, 1);
	r->channel_id = sqlite3_column_int64(s, 2);
	r->message_id = sqlite3_column_int64(s, 3);
	r->author_id = sqlite3_column_int64(s, 4);
	r->reporter_id = sqlite3_column_int64(s, 5);
	col_text(s, 6, r->reason, sizeof(r->reason));
	col_text(s, 7, r->status, sizeof(r->status));
	r->created_at = sqlite3_column_int64(s, 8);
	r->resolved_at = sqlite3_column_int64(s, 9);
	r->resolved_by = sqlite3_column_int64(s, 10);
	col_text(s, 11, r->note, sizeof(r->note));
}

static int sq_report_insert(struct store *st, struct store_report *r)
{
	sqlite3_stmt *s = stmt(st, S_REPORT_INSERT);
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, r->hive_id);
	sqlite3_bind_int64(s, 2, r->channel_id);
	sqlite3_bind_int64(s, 3, r->message_id);
	bind_id(s, 4, r->author_id);
	sqlite3_bind_int64(s, 5, r->reporter_id);
	bind_text(s, 6, r->reason);
	sqlite3_bind_int64(s, 7, r->created_at);
	rc = run(st, s, false);
	if (!rc) {
		r->id = sqlite3_last_insert_rowid(st->db);
		snprintf(r->status, sizeof(r->status), "open");
	}
	return rc;
}

static int sq_report_get(struct store *st, int64_t id, struct store_report *out)
{
	sqlite3_stmt *s = stmt(st, S_REPORT_GET);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	return one(st, s, read_report, out);
}

static int sq_report_find(struct store *st, int64_t message_id,
		      int64_t reporter_id, struct store_report *out)
{
	sqlite3_stmt *s = stmt(st, S_REPORT_FIND);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, message_id);
	sqlite3_bind_int64(s, 2, reporter_id);
	return one(st, s, read_report, out);
}

static int sq_report_list(struct store *st, int64_t hive_id, const char *status,
		      int64_t reporter_id, struct store_report **out,
		      size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_REPORT_LIST);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, hive_id);
	if (status)
		bind_text(s, 2, status);
	sqlite3_bind_int64(s, 3, reporter_id);
	return list(st, s, sizeof(**out), read_report, (void **)out, n);
}

static int sq_report_resolve(struct store *st, int64_t id, const char *status,
			 int64_t by_id, const char *note, int64_t now)
{
	sqlite3_stmt *s = stmt(st, S_REPORT_RESOLVE);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, status);
	bind_id(s, 3, by_id);
	bind_text(s, 4, note);
	sqlite3_bind_int64(s, 5, now);
	return run(st, s, true);
}

static void read_guard(sqlite3_stmt *s, void *row)
{
	struct store_guard *g = row;
	const unsigned char *words = sqlite3_column_text(s, 0);

	g->blocked_words = strdup(words ? (const char *)words : "[]");
	g->new_member_link_limit = sqlite3_column_int(s, 1);
	g->new_member_days = sqlite3_column_int(s, 2);
	g->flood_messages = sqlite3_column_int(s, 3);
	g->flood_seconds = sqlite3_column_int(s, 4);
	g->flood_mute_seconds = sqlite3_column_int(s, 5);
}

static int sq_guard_get(struct store *st, int64_t hive_id,
		    struct store_guard *out)
{
	sqlite3_stmt *s = stmt(st, S_GUARD_GET);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, hive_id);
	rc = one(st, s, read_guard, out);
	if (rc == RUCHE_ENOTFOUND) {
		out->blocked_words = strdup("[]");
		rc = 0;
	}
	if (!rc && !out->blocked_words)
		rc = RUCHE_ENOMEM;
	return rc;
}

static int sq_guard_set(struct store *st, int64_t hive_id,
		    const struct store_guard *g)
{
	sqlite3_stmt *s = stmt(st, S_GUARD_SET);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, hive_id);
	bind_text(s, 2, g->blocked_words);
	sqlite3_bind_int(s, 3, g->new_member_link_limit);
	sqlite3_bind_int(s, 4, g->new_member_days);
	sqlite3_bind_int(s, 5, g->flood_messages);
	sqlite3_bind_int(s, 6, g->flood_seconds);
	sqlite3_bind_int(s, 7, g->flood_mute_seconds);
	return run(st, s, false);
}

static int sq_retention_get(struct store *st, int64_t hive_id, int *days)
{
	sqlite3_stmt *s = stmt(st, S_RETENTION_GET);
	int64_t v = 0;
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, hive_id);
	rc = one(st, s, read_int, &v);
	*days = (int)v;
	return rc == RUCHE_ENOTFOUND ? 0 : rc;
}

static int sq_retention_set(struct store *st, int64_t hive_id, int days)
{
	sqlite3_stmt *s = stmt(st, S_RETENTION_SET);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, hive_id);
	if (days > 0)
		sqlite3_bind_int(s, 2, days);
	else
		sqlite3_bind_null(s, 2);
	return run(st, s, false);
}

static void read_pair(sqlite3_stmt *s, void *row)
{
	int64_t *p = row;

	p[0] = sqlite3_column_int64(s, 0);
	p[1] = sqlite3_column_int64(s, 1);
}

static int sq_retention_hives(struct store *st, int64_t **pairs, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_RETENTION_HIVES);

	if (!s)
		return RUCHE_EIO;
	return list(st, s, 2 * sizeof(**pairs), read_pair, (void **)pairs, n);
}

/* Runs a purge step over the JSON array of ids in ?1 (and hive in ?2). */
static int purge_step(struct store *st, enum stmt_id id, const char *ids,
		      int64_t hive_id)
{
	sqlite3_stmt *s = stmt(st, id);

	if (!s)
		return RUCHE_EIO;
	bind_text(s, 1, ids);
	if (hive_id)
		sqlite3_bind_int64(s, 2, hive_id);
	return run(st, s, false);
}

static int sq_purge_batch(struct store *st, int64_t hive_id, int64_t before_ms,
		      int limit, int *deleted)
{
	sqlite3_stmt *s = stmt(st, S_PURGE_PICK);
	int64_t *ids = NULL;
	size_t n = 0, len = 0;
	char *json;
	int rc;

	*deleted = 0;
	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, hive_id);
	sqlite3_bind_int64(s, 2, before_ms);
	sqlite3_bind_int(s, 3, limit);
	rc = list(st, s, sizeof(*ids), read_int, (void **)&ids, &n);
	if (rc || !n) {
		free(ids);
		return rc;
	}
	json = malloc(n * 21 + 3);
	if (!json) {
		free(ids);
		return RUCHE_ENOMEM;
	}
	json[len++] = '[';
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(json + len, "%s%lld", i ? "," : "",
				       (long long)ids[i]);
	json[len++] = ']';
	json[len] = '\0';
	free(ids);
	/* Quotes and thread replies that stay lose their link first: the
	 * foreign keys would refuse the delete otherwise. */
	rc = sq_begin(st);
	if (!rc)
		rc = purge_step(st, S_PURGE_UNQUOTE, json, 0);
	if (!rc)
		rc = purge_step(st, S_PURGE_UNTHREAD, json, 0);
	if (!rc)
		rc = purge_step(st, S_PURGE_EVENTS, json, hive_id);
	if (!rc)
		rc = purge_step(st, S_PURGE_DELETE, json, 0);
	if (!rc)
		*deleted = sqlite3_changes(st->db);
	free(json);
	rc = sq_end(st, rc);
	if (rc)
		*deleted = 0;
	return rc;
}

static int sq_audit_insert(struct store *st, struct store_audit *a)
{
	sqlite3_stmt *s = stmt(st, S_AUDIT_INSERT);
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, a->hive_id);
	bind_id(s, 2, a->actor_id);
	bind_text(s, 3, a->action);
	bind_id(s, 4, a->target_user_id);
	bind_id(s, 5, a->message_id);
	bind_id(s, 6, a->channel_id);
	bind_text(s, 7, a->reason);
	bind_text(s, 8, a->detail[0] ? a->detail : "{}");
	sqlite3_bind_int64(s, 9, a->created_at);
	rc = run(st, s, false);
	if (!rc)
		a->id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

static void read_audit(sqlite3_stmt *s, void *row)
{
	struct store_audit *a = row;

	a->id = sqlite3_column_int64(s, 0);
	a->hive_id = sqlite3_column_int64(s, 1);
	a->actor_id = sqlite3_column_int64(s, 2);
	col_text(s, 3, a->action, sizeof(a->action));
	a->target_user_id = sqlite3_column_int64(s, 4);
	a->message_id = sqlite3_column_int64(s, 5);
	a->channel_id = sqlite3_column_int64(s, 6);
	col_text(s, 7, a->reason, sizeof(a->reason));
	col_text(s, 8, a->detail, sizeof(a->detail));
	a->created_at = sqlite3_column_int64(s, 9);
}

static int sq_audit_list(struct store *st, const struct store_audit_filter *f,
		     struct store_audit **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_AUDIT_LIST);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, f->hive_id);
	if (f->action)
		bind_text(s, 2, f->action);
	sqlite3_bind_int64(s, 3, f->actor_id);
	sqlite3_bind_int64(s, 4, f->target_id);
	sqlite3_bind_int64(s, 5, f->since);
	sqlite3_bind_int64(s, 6, f->until);
	sqlite3_bind_int64(s, 7, f->before_id);
	sqlite3_bind_int(s, 8, f->limit > 0 ? f->limit : 100);
	return list(st, s, sizeof(**out), read_audit, (void **)out, n);
}

/* ---- Supervision ----------------------------------------------------- */

/* Binds (?1 key, ?2 from, ?3 to) of a supervision statement. */
static sqlite3_stmt *sup_stmt(struct store *st, enum stmt_id id,
			      int64_t key, int64_t from, int64_t to)
{
	sqlite3_stmt *s = stmt(st, id);

	if (s) {
		sqlite3_bind_int64(s, 1, key);
		sqlite3_bind_int64(s, 2, from);
		sqlite3_bind_int64(s, 3, to);
	}
	return s;
}

static void read_hive_stats(sqlite3_stmt *s, void *row)
{
	struct store_hive_stats *h = row;
	int64_t *f[] = { &h->active_learners, &h->messages,
			 &h->help_questions, &h->help_unanswered,
			 &h->reports_opened, &h->reports_resolved,
			 &h->mod_actions, &h->auto_actions };

	for (int i = 0; i < (int)(sizeof(f) / sizeof(f[0])); i++)
		*f[i] = sqlite3_column_int64(s, i);
}

static int sq_hive_stats(struct store *st, int64_t hive_id, int64_t from,
		     int64_t to, int64_t now, struct store_hive_stats *out)
{
	sqlite3_stmt *s = sup_stmt(st, S_SUP_HIVE, hive_id, from, to);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 4, now);
	memset(out, 0, sizeof(*out));
	return one(st, s, read_hive_stats, out);
}

static void read_day(sqlite3_stmt *s, void *row)
{
	struct store_day_count *d = row;

	d->day = sqlite3_column_int64(s, 0);
	d->count = sqlite3_column_int64(s, 1);
}

static int sq_hive_days(struct store *st, int64_t hive_id, int64_t from,
		    int64_t to, struct store_day_count **out, size_t *n)
{
	sqlite3_stmt *s = sup_stmt(st, S_SUP_DAYS, hive_id, from, to);

	return s ? list(st, s, sizeof(**out), read_day, (void **)out, n) :
		   RUCHE_EIO;
}

static void read_mentor_stats(sqlite3_stmt *s, void *row)
{
	struct store_mentor_stats *m = row;
	const char *hives = (const char *)sqlite3_column_text(s, 6);

	m->user_id = sqlite3_column_int64(s, 0);
	col_text(s, 1, m->name, sizeof(m->name));
	m->messages = sqlite3_column_int64(s, 2);
	m->help_answers = sqlite3_column_int64(s, 3);
	m->reports_resolved = sqlite3_column_int64(s, 4);
	m->mod_actions = sqlite3_column_int64(s, 5);
	/* group_concat of ids: "3,7,12". */
	while (hives && *hives && m->nhives < STORE_MENTOR_HIVES) {
		char *end;

		m->hive_ids[m->nhives++] = strtoll(hives, &end, 10);
		if (*end != ',')
			break;
		hives = end + 1;
	}
}

static int sq_mentor_stats(struct store *st, int64_t hive_id, int64_t from,
		       int64_t to, struct store_mentor_stats **out, size_t *n)
{
	sqlite3_stmt *s = sup_stmt(st, S_SUP_MENTORS, hive_id, from, to);

	return s ? list(st, s, sizeof(**out), read_mentor_stats,
			(void **)out, n) : RUCHE_EIO;
}

static int sq_resolve_times(struct store *st, int64_t hive_id, int64_t by_id,
			int64_t from, int64_t to, int64_t **out, size_t *n)
{
	sqlite3_stmt *s = sup_stmt(st, S_SUP_RESOLVE_TIMES, hive_id, from, to);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 4, by_id);
	return list(st, s, sizeof(**out), read_int, (void **)out, n);
}

/* ---- Meetups ----------------------------------------------------------- */

/* A copy of column i as a new string; NULL when NULL or out of memory. */
static char *col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	return v ? strdup((const char *)v) : NULL;
}

static void read_meetup(sqlite3_stmt *s, void *row)
{
	struct store_meetup *m = row;

	m->id = sqlite3_column_int64(s, 0);
	m->hive_id = sqlite3_column_int64(s, 1);
	col_text(s, 2, m->title, sizeof(m->title));
	m->script = col_dup(s, 3);
	m->start_at = sqlite3_column_int64(s, 4);
	col_text(s, 5, m->recurrence, sizeof(m->recurrence));
	m->cap = sqlite3_column_int(s, 6);
	col_text(s, 7, m->state, sizeof(m->state));
	m->step = sqlite3_column_int(s, 8);
	m->step_started_at = sqlite3_column_int64(s, 9);
	m->step_ends_at = sqlite3_column_int64(s, 10);
	m->paused_left_ms = sqlite3_column_int64(s, 11);
	m->channel_id = sqlite3_column_int64(s, 12);
	m->reminded = sqlite3_column_int(s, 13);
	m->created_by = sqlite3_column_int64(s, 14);
	m->created_at = sqlite3_column_int64(s, 15);
	m->started_at = sqlite3_column_int64(s, 16);
	m->ended_at = sqlite3_column_int64(s, 17);
	m->going = sqlite3_column_int64(s, 18);
	m->maybe = sqlite3_column_int64(s, 19);
	m->no = sqlite3_column_int64(s, 20);
}



/* Checks every meetup of a list got its script (strdup may fail). */
static int meetups_whole(int rc, struct store_meetup **out, size_t *n)
{
	for (size_t i = 0; !rc && i < *n; i++)
		if (!(*out)[i].script) {
			store_meetup_list_free(*out, *n);
			*out = NULL;
			*n = 0;
			return RUCHE_ENOMEM;
		}
	return rc;
}

static int sq_meetup_insert(struct store *st, struct store_meetup *m)
{
	sqlite3_stmt *s = stmt(st, S_MEETUP_INSERT);
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, m->hive_id);
	bind_text(s, 2, m->title);
	bind_text(s, 3, m->script);
	sqlite3_bind_int64(s, 4, m->start_at);
	bind_text(s, 5, m->recurrence);
	sqlite3_bind_int(s, 6, m->cap);
	bind_text(s, 7, m->state[0] ? m->state : "scheduled");
	sqlite3_bind_int(s, 8, m->reminded);
	sqlite3_bind_int64(s, 9, m->created_by);
	sqlite3_bind_int64(s, 10, m->created_at);
	rc = run(st, s, false);
	if (!rc)
		m->id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

static int sq_meetup_get(struct store *st, int64_t id, struct store_meetup *out)
{
	sqlite3_stmt *s = stmt(st, S_MEETUP_GET);
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	memset(out, 0, sizeof(*out));
	rc = one(st, s, read_meetup, out);
	if (!rc && !out->script)
		rc = RUCHE_ENOMEM;
	if (rc)
		store_meetup_release(out);
	return rc;
}

static int sq_meetup_upcoming(struct store *st, int64_t hive_id,
			  struct store_meetup **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_MEETUP_UPCOMING);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, hive_id);
	return meetups_whole(list(st, s, sizeof(**out), read_meetup,
				  (void **)out, n), out, n);
}

static int sq_meetup_remind_due(struct store *st, int64_t now, int64_t ahead_ms,
			    int bit, int limit, struct store_meetup **out,
			    size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_MEETUP_REMIND_DUE);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, ahead_ms);
	sqlite3_bind_int(s, 3, bit);
	sqlite3_bind_int(s, 4, limit);
	return meetups_whole(list(st, s, sizeof(**out), read_meetup,
				  (void **)out, n), out, n);
}

static int sq_meetup_set_state(struct store *st, int64_t id, const char *state,
			   int64_t ended_at)
{
	sqlite3_stmt *s = stmt(st, S_MEETUP_SET_STATE);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, state);
	sqlite3_bind_int64(s, 3, ended_at);
	return run(st, s, true);
}

static int sq_meetup_set_reminded(struct store *st, int64_t id, int reminded)
{
	sqlite3_stmt *s = stmt(st, S_MEETUP_SET_REMINDED);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, reminded);
	return run(st, s, true);
}

static int sq_rsvp_set(struct store *st, int64_t meetup_id, int64_t user_id,
		   const char *answer, int64_t now)
{
	sqlite3_stmt *s = stmt(st, S_RSVP_SET);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, meetup_id);
	sqlite3_bind_int64(s, 2, user_id);
	bind_text(s, 3, answer);
	sqlite3_bind_int64(s, 4, now);
	return run(st, s, false);
}

static int sq_rsvp_get(struct store *st, int64_t meetup_id, int64_t user_id,
		   char *answer, size_t size)
{
	sqlite3_stmt *s = stmt(st, S_RSVP_GET);
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, meetup_id);
	sqlite3_bind_int64(s, 2, user_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		col_text(s, 0, answer, size);
	if (finish(st, s, rc))
		return RUCHE_EIO;
	return rc == SQLITE_ROW ? 0 : RUCHE_ENOTFOUND;
}

static int sq_rsvp_users(struct store *st, int64_t meetup_id, const char *answer,
		     int64_t **ids, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_RSVP_USERS);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, meetup_id);
	bind_text(s, 2, answer);
	return list(st, s, sizeof(**ids), read_int, (void **)ids, n);
}

static void read_script(sqlite3_stmt *s, void *row)
{
	struct store_script *x = row;

	x->id = sqlite3_column_int64(s, 0);
	x->hive_id = sqlite3_column_int64(s, 1);
	col_text(s, 2, x->title, sizeof(x->title));
	x->script = col_dup(s, 3);
	x->created_by = sqlite3_column_int64(s, 4);
	x->created_at = sqlite3_column_int64(s, 5);
	x->updated_at = sqlite3_column_int64(s, 6);
}

static int sq_script_insert(struct store *st, struct store_script *x)
{
	sqlite3_stmt *s = stmt(st, S_SCRIPT_INSERT);
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, x->hive_id);
	bind_text(s, 2, x->title);
	bind_text(s, 3, x->script);
	sqlite3_bind_int64(s, 4, x->created_by);
	sqlite3_bind_int64(s, 5, x->created_at);
	rc = run(st, s, false);
	if (!rc) {
		x->id = sqlite3_last_insert_rowid(st->db);
		x->updated_at = x->created_at;
	}
	return rc;
}

static int sq_script_update(struct store *st, const struct store_script *x)
{
	sqlite3_stmt *s = stmt(st, S_SCRIPT_UPDATE);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, x->id);
	bind_text(s, 2, x->title);
	bind_text(s, 3, x->script);
	sqlite3_bind_int64(s, 4, x->updated_at);
	return run(st, s, true);
}

static int sq_script_get(struct store *st, int64_t id, struct store_script *out)
{
	sqlite3_stmt *s = stmt(st, S_SCRIPT_GET);
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	memset(out, 0, sizeof(*out));
	rc = one(st, s, read_script, out);
	if (!rc && !out->script)
		rc = RUCHE_ENOMEM;
	if (rc)
		store_script_release(out);
	return rc;
}

static int sq_script_list(struct store *st, int64_t hive_id,
		      struct store_script **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_SCRIPT_LIST);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, hive_id);
	return list(st, s, sizeof(**out), read_script, (void **)out, n);
}

static int sq_script_delete(struct store *st, int64_t id)
{
	sqlite3_stmt *s = stmt(st, S_SCRIPT_DELETE);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	return run(st, s, true);
}


static int sq_meetup_due_start(struct store *st, int64_t now, int limit,
			   struct store_meetup **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_MEETUP_DUE_START);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int(s, 2, limit);
	return meetups_whole(list(st, s, sizeof(**out), read_meetup,
				  (void **)out, n), out, n);
}

static int sq_meetup_by_channel(struct store *st, int64_t channel_id,
			    struct store_meetup *out)
{
	sqlite3_stmt *s = stmt(st, S_MEETUP_BY_CHANNEL);
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, channel_id);
	memset(out, 0, sizeof(*out));
	rc = one(st, s, read_meetup, out);
	if (!rc && !out->script)
		rc = RUCHE_ENOMEM;
	if (rc)
		store_meetup_release(out);
	return rc;
}

static int sq_meetup_live(struct store *st, struct store_meetup **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_MEETUP_LIVE);

	if (!s)
		return RUCHE_EIO;
	return meetups_whole(list(st, s, sizeof(**out), read_meetup,
				  (void **)out, n), out, n);
}

static int sq_meetup_save_run(struct store *st, const struct store_meetup *m)
{
	sqlite3_stmt *s = stmt(st, S_MEETUP_SAVE_RUN);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, m->id);
	bind_text(s, 2, m->state);
	sqlite3_bind_int(s, 3, m->step);
	sqlite3_bind_int64(s, 4, m->step_started_at);
	sqlite3_bind_int64(s, 5, m->step_ends_at);
	sqlite3_bind_int64(s, 6, m->paused_left_ms);
	sqlite3_bind_int64(s, 7, m->channel_id);
	sqlite3_bind_int64(s, 8, m->started_at);
	sqlite3_bind_int64(s, 9, m->ended_at);
	return run(st, s, true);
}

/* Binds (?1 meetup, ?2 second key, ?3 third key) and runs. */
static int run3(struct store *st, enum stmt_id id, int64_t a, int64_t b,
		int64_t c, bool must_change)
{
	sqlite3_stmt *s = stmt(st, id);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, a);
	sqlite3_bind_int64(s, 2, b);
	sqlite3_bind_int64(s, 3, c);
	return run(st, s, must_change);
}

static int sq_part_join(struct store *st, int64_t meetup_id, int64_t user_id,
		    int64_t now)
{
	return run3(st, S_PART_JOIN, meetup_id, user_id, now, false);
}

static int sq_part_leave(struct store *st, int64_t meetup_id, int64_t user_id,
		     int64_t now)
{
	return run3(st, S_PART_LEAVE, meetup_id, user_id, now, true);
}

static int sq_part_present(struct store *st, int64_t meetup_id, int64_t **ids,
		       size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_PART_PRESENT);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, meetup_id);
	return list(st, s, sizeof(**ids), read_int, (void **)ids, n);
}

static int sq_turn_insert(struct store *st, int64_t meetup_id, int step,
		      int position, int64_t user_id)
{
	sqlite3_stmt *s = stmt(st, S_TURN_INSERT);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, meetup_id);
	sqlite3_bind_int(s, 2, step);
	sqlite3_bind_int(s, 3, position);
	sqlite3_bind_int64(s, 4, user_id);
	return run(st, s, false);
}

static void read_turn(sqlite3_stmt *s, void *row)
{
	struct store_turn *t = row;

	t->user_id = sqlite3_column_int64(s, 0);
	t->done = sqlite3_column_int(s, 1) != 0;
	t->position = sqlite3_column_int(s, 2);
}

static int sq_turn_list(struct store *st, int64_t meetup_id, int step,
		    struct store_turn **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_TURN_LIST);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, meetup_id);
	sqlite3_bind_int(s, 2, step);
	return list(st, s, sizeof(**out), read_turn, (void **)out, n);
}

static int sq_turn_done(struct store *st, int64_t meetup_id, int step,
		    int64_t user_id)
{
	return run3(st, S_TURN_DONE, meetup_id, step, user_id, false);
}

static int sq_turn_delete(struct store *st, int64_t meetup_id, int step,
		      int64_t user_id)
{
	return run3(st, S_TURN_DELETE, meetup_id, step, user_id, true);
}

static int sq_group_insert(struct store *st, int64_t meetup_id, int step,
		       const struct store_group *g, int64_t now)
{
	sqlite3_stmt *s = stmt(st, S_GROUP_INSERT);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, meetup_id);
	sqlite3_bind_int(s, 2, step);
	sqlite3_bind_int(s, 3, g->group_no);
	sqlite3_bind_int64(s, 4, g->user_id);
	sqlite3_bind_int64(s, 5, g->channel_id);
	sqlite3_bind_int64(s, 6, now);
	return run(st, s, false);
}

static void read_group(sqlite3_stmt *s, void *row)
{
	struct store_group *g = row;

	g->group_no = sqlite3_column_int(s, 0);
	g->user_id = sqlite3_column_int64(s, 1);
	g->channel_id = sqlite3_column_int64(s, 2);
}

static int sq_group_list(struct store *st, int64_t meetup_id, int step,
		     struct store_group **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_GROUP_LIST);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, meetup_id);
	sqlite3_bind_int(s, 2, step);
	return list(st, s, sizeof(**out), read_group, (void **)out, n);
}

static void read_meetup_pair(sqlite3_stmt *s, void *row)
{
	int64_t *p = row;

	p[0] = sqlite3_column_int64(s, 0);
	p[1] = sqlite3_column_int64(s, 1);
}

static int sq_group_recent(struct store *st, int64_t since, int64_t **pairs,
		       size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_GROUP_RECENT);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, since);
	return list(st, s, 2 * sizeof(**pairs), read_meetup_pair, (void **)pairs,
		    n);
}

static int sq_answer_set(struct store *st, int64_t meetup_id, int step,
		     int64_t user_id, const char *choices, int64_t now)
{
	sqlite3_stmt *s = stmt(st, S_ANSWER_SET);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, meetup_id);
	sqlite3_bind_int(s, 2, step);
	sqlite3_bind_int64(s, 3, user_id);
	bind_text(s, 4, choices);
	sqlite3_bind_int64(s, 5, now);
	return run(st, s, false);
}

static void read_choices(sqlite3_stmt *s, void *row)
{
	col_text(s, 0, row, STORE_CHOICES_BYTES);
}

static int sq_answer_list(struct store *st, int64_t meetup_id, int step,
		      char (**out)[STORE_CHOICES_BYTES], size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_ANSWER_LIST);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, meetup_id);
	sqlite3_bind_int(s, 2, step);
	return list(st, s, STORE_CHOICES_BYTES, read_choices, (void **)out,
		    n);
}

static int sq_feedback_set(struct store *st, int64_t meetup_id, int64_t user_id,
		       int nps, const char *comment, int64_t now)
{
	sqlite3_stmt *s = stmt(st, S_FEEDBACK_SET);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, meetup_id);
	sqlite3_bind_int64(s, 2, user_id);
	sqlite3_bind_int(s, 3, nps);
	bind_text(s, 4, comment ? comment : "");
	sqlite3_bind_int64(s, 5, now);
	return run(st, s, false);
}

static void read_nps(sqlite3_stmt *s, void *row)
{
	struct store_nps *x = row;

	x->answers = sqlite3_column_int64(s, 0);
	x->promoters = sqlite3_column_int64(s, 1);
	x->detractors = sqlite3_column_int64(s, 2);
	x->sum = sqlite3_column_int64(s, 3);
}

static int sq_feedback_stats(struct store *st, int64_t meetup_id,
			 struct store_nps *out)
{
	sqlite3_stmt *s = stmt(st, S_FEEDBACK_STATS);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, meetup_id);
	memset(out, 0, sizeof(*out));
	return one(st, s, read_nps, out);
}

static void read_meetup_stats(sqlite3_stmt *s, void *row)
{
	struct store_meetup_stats *x = row;

	x->held = sqlite3_column_int64(s, 0);
	x->going = sqlite3_column_int64(s, 1);
	x->attended = sqlite3_column_int64(s, 2);
	x->nps.answers = sqlite3_column_int64(s, 3);
	x->nps.promoters = sqlite3_column_int64(s, 4);
	x->nps.detractors = sqlite3_column_int64(s, 5);
}

static int sq_meetup_stats(struct store *st, int64_t hive_id, int64_t from,
		       int64_t to, struct store_meetup_stats *out)
{
	sqlite3_stmt *s = stmt(st, S_SUP_MEETUPS);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, hive_id);
	sqlite3_bind_int64(s, 2, from);
	sqlite3_bind_int64(s, 3, to);
	memset(out, 0, sizeof(*out));
	return one(st, s, read_meetup_stats, out);
}

static int sq_mentor_meetup_stats(struct store *st, int64_t user_id,
			      int64_t hive_id, int64_t from, int64_t to,
			      struct store_meetup_stats *out)
{
	sqlite3_stmt *s = stmt(st, S_SUP_MENTOR_MEETUPS);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_int64(s, 2, from);
	sqlite3_bind_int64(s, 3, to);
	sqlite3_bind_int64(s, 4, hive_id);
	memset(out, 0, sizeof(*out));
	return one(st, s, read_meetup_stats, out);
}

static int sq_meetup_past(struct store *st, int64_t hive_id, int64_t before,
		      int limit, struct store_meetup **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_MEETUP_PAST);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, hive_id);
	sqlite3_bind_int64(s, 2, before);
	sqlite3_bind_int(s, 3, limit);
	return meetups_whole(list(st, s, sizeof(**out), read_meetup,
				  (void **)out, n), out, n);
}

static void read_part(sqlite3_stmt *s, void *row)
{
	struct store_part *p = row;

	p->user_id = sqlite3_column_int64(s, 0);
	p->joined_at = sqlite3_column_int64(s, 1);
	p->left_at = sqlite3_column_int64(s, 2);
}

static int sq_part_list(struct store *st, int64_t meetup_id,
		    struct store_part **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_PART_LIST);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, meetup_id);
	return list(st, s, sizeof(**out), read_part, (void **)out, n);
}

static void read_feedback(sqlite3_stmt *s, void *row)
{
	struct store_feedback *f = row;
	const unsigned char *c = sqlite3_column_text(s, 2);

	f->user_id = sqlite3_column_int64(s, 0);
	f->nps = sqlite3_column_int(s, 1);
	f->comment = strdup(c ? (const char *)c : "");
	f->created_at = sqlite3_column_int64(s, 3);
}


static int sq_feedback_list(struct store *st, int64_t meetup_id,
			struct store_feedback **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_FEEDBACK_LIST);
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, meetup_id);
	rc = list(st, s, sizeof(**out), read_feedback, (void **)out, n);
	for (size_t i = 0; !rc && i < *n; i++)
		if (!(*out)[i].comment) {
			store_feedback_list_free(*out, *n);
			*out = NULL;
			*n = 0;
			rc = RUCHE_ENOMEM;
		}
	return rc;
}

/* Calendar feeds. */

static int sq_ics_set(struct store *st, int64_t user_id,
		  const unsigned char digest[AUTH_DIGEST_LEN], int64_t now)
{
	sqlite3_stmt *s = stmt(st, S_ICS_SET);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, user_id);
	bind_digest(s, 2, digest);
	sqlite3_bind_int64(s, 3, now);
	return run(st, s, true);
}

static int sq_ics_get(struct store *st, int64_t user_id, int64_t *created_at)
{
	sqlite3_stmt *s = stmt(st, S_ICS_GET);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, user_id);
	return one(st, s, read_int, created_at);
}

static int sq_ics_user(struct store *st,
		   const unsigned char digest[AUTH_DIGEST_LEN],
		   int64_t *user_id)
{
	sqlite3_stmt *s = stmt(st, S_ICS_USER);

	if (!s)
		return RUCHE_EIO;
	bind_digest(s, 1, digest);
	return one(st, s, read_int, user_id);
}

static int sq_ics_meetups(struct store *st, int64_t user_id, int64_t since,
		      int limit, struct store_meetup **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_ICS_MEETUPS);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_int64(s, 2, since);
	sqlite3_bind_int(s, 3, limit);
	return meetups_whole(list(st, s, sizeof(**out), read_meetup,
				  (void **)out, n), out, n);
}

/* Scheduled messages and reminders. */



static void read_sched(sqlite3_stmt *s, void *row)
{
	struct store_sched *x = row;
	const unsigned char *t = sqlite3_column_text(s, 3);

	x->id = sqlite3_column_int64(s, 0);
	x->author_id = sqlite3_column_int64(s, 1);
	x->channel_id = sqlite3_column_int64(s, 2);
	x->text = t ? strdup((const char *)t) : NULL;
	x->at = sqlite3_column_int64(s, 4);
	col_text(s, 5, x->repeat, sizeof(x->repeat));
	x->created_at = sqlite3_column_int64(s, 6);
}

/* A row whose text could not be copied (out of memory) fails the call. */
static int scheds_whole(int rc, struct store_sched **out, size_t *n)
{
	for (size_t i = 0; !rc && i < *n; i++)
		if (!(*out)[i].text) {
			store_sched_list_free(*out, *n);
			*out = NULL;
			*n = 0;
			return RUCHE_ENOMEM;
		}
	return rc;
}

static int sq_sched_insert(struct store *st, struct store_sched *x)
{
	sqlite3_stmt *s = stmt(st, S_SCHED_INSERT);
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, x->author_id);
	sqlite3_bind_int64(s, 2, x->channel_id);
	bind_text(s, 3, x->text);
	sqlite3_bind_int64(s, 4, x->at);
	bind_text(s, 5, x->repeat);
	sqlite3_bind_int64(s, 6, x->created_at);
	rc = run(st, s, true);
	if (!rc)
		x->id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

static int sq_sched_get(struct store *st, int64_t id, struct store_sched *out)
{
	sqlite3_stmt *s = stmt(st, S_SCHED_GET);
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	memset(out, 0, sizeof(*out));
	rc = one(st, s, read_sched, out);
	if (!rc && !out->text)
		rc = RUCHE_ENOMEM;
	return rc;
}

static int sq_sched_list(struct store *st, int64_t author_id, int limit,
		     struct store_sched **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_SCHED_LIST);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, author_id);
	sqlite3_bind_int(s, 2, limit);
	return scheds_whole(list(st, s, sizeof(**out), read_sched,
				 (void **)out, n), out, n);
}

static int sq_sched_update(struct store *st, const struct store_sched *x)
{
	sqlite3_stmt *s = stmt(st, S_SCHED_UPDATE);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, x->id);
	bind_text(s, 2, x->text);
	sqlite3_bind_int64(s, 3, x->at);
	bind_text(s, 4, x->repeat);
	return run(st, s, true);
}

static int sq_sched_delete(struct store *st, int64_t id)
{
	sqlite3_stmt *s = stmt(st, S_SCHED_DELETE);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	return run(st, s, true);
}

static int sq_sched_due(struct store *st, int64_t now, int limit,
		    struct store_sched **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_SCHED_DUE);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int(s, 2, limit);
	return scheds_whole(list(st, s, sizeof(**out), read_sched,
				 (void **)out, n), out, n);
}

static void read_reminder(sqlite3_stmt *s, void *row)
{
	struct store_reminder *x = row;

	x->id = sqlite3_column_int64(s, 0);
	x->user_id = sqlite3_column_int64(s, 1);
	x->message_id = sqlite3_column_int64(s, 2);
	x->at = sqlite3_column_int64(s, 3);
	x->created_at = sqlite3_column_int64(s, 4);
	x->channel_id = sqlite3_column_int64(s, 5);
}

static int sq_reminder_insert(struct store *st, struct store_reminder *x)
{
	sqlite3_stmt *s = stmt(st, S_REMIND_INSERT);
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, x->user_id);
	sqlite3_bind_int64(s, 2, x->message_id);
	sqlite3_bind_int64(s, 3, x->at);
	sqlite3_bind_int64(s, 4, x->created_at);
	rc = run(st, s, true);
	if (!rc)
		x->id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

static int sq_reminder_get(struct store *st, int64_t id,
		       struct store_reminder *out)
{
	sqlite3_stmt *s = stmt(st, S_REMIND_GET);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	return one(st, s, read_reminder, out);
}

static int sq_reminder_list(struct store *st, int64_t user_id, int limit,
			struct store_reminder **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_REMIND_LIST);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_int(s, 2, limit);
	return list(st, s, sizeof(**out), read_reminder, (void **)out, n);
}

static int sq_reminder_delete(struct store *st, int64_t id)
{
	sqlite3_stmt *s = stmt(st, S_REMIND_DELETE);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, id);
	return run(st, s, true);
}

static int sq_reminder_due(struct store *st, int64_t now, int limit,
		       struct store_reminder **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_REMIND_DUE);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int(s, 2, limit);
	return list(st, s, sizeof(**out), read_reminder, (void **)out, n);
}

static int sq_event_insert_user(struct store *st, int64_t user_id,
			    const char *kind, const char *data, int64_t now,
			    int64_t *pos)
{
	sqlite3_stmt *s = stmt(st, S_EVENT_USER_INSERT);
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, user_id);
	bind_text(s, 2, kind);
	bind_text(s, 3, data);
	sqlite3_bind_int64(s, 4, now);
	rc = run(st, s, false);
	if (!rc)
		*pos = sqlite3_last_insert_rowid(st->db);
	return rc;
}

/* ---- Pairing ------------------------------------------------------------ */



static void read_pairing(sqlite3_stmt *s, void *row)
{
	struct store_pairing *p = row;
	const unsigned char *t = sqlite3_column_text(s, 4);

	p->hive_id = sqlite3_column_int64(s, 0);
	p->enabled = sqlite3_column_int(s, 1) != 0;
	p->every_days = sqlite3_column_int(s, 2);
	p->next_at = sqlite3_column_int64(s, 3);
	p->prompt = strdup(t ? (const char *)t : "");
	p->updated_by = sqlite3_column_int64(s, 5);
	p->updated_at = sqlite3_column_int64(s, 6);
}

static int sq_pairing_get(struct store *st, int64_t hive_id,
		      struct store_pairing *out)
{
	sqlite3_stmt *s = stmt(st, S_PAIRING_GET);
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, hive_id);
	memset(out, 0, sizeof(*out));
	rc = one(st, s, read_pairing, out);
	if (!rc && !out->prompt)
		rc = RUCHE_ENOMEM;
	return rc;
}

static int sq_pairing_set(struct store *st, const struct store_pairing *p)
{
	sqlite3_stmt *s = stmt(st, S_PAIRING_SET);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, p->hive_id);
	sqlite3_bind_int(s, 2, p->enabled);
	sqlite3_bind_int(s, 3, p->every_days);
	bind_id(s, 4, p->next_at);
	bind_text(s, 5, p->prompt ? p->prompt : "");
	bind_id(s, 6, p->updated_by);
	sqlite3_bind_int64(s, 7, p->updated_at);
	return run(st, s, true);
}

static int sq_pairing_due(struct store *st, int64_t now, int limit,
		      struct store_pairing **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_PAIRING_DUE);
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int(s, 2, limit);
	rc = list(st, s, sizeof(**out), read_pairing, (void **)out, n);
	for (size_t i = 0; !rc && i < *n; i++)
		if (!(*out)[i].prompt) {
			store_pairing_list_free(*out, *n);
			*out = NULL;
			*n = 0;
			rc = RUCHE_ENOMEM;
		}
	return rc;
}

static int sq_pairing_round_insert(struct store *st,
			       struct store_pairing_round *r)
{
	sqlite3_stmt *s = stmt(st, S_PAIRING_ROUND_INSERT);
	int rc;

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, r->hive_id);
	bind_id(s, 2, r->due_at);
	sqlite3_bind_int64(s, 3, r->ran_at);
	bind_text(s, 4, r->status);
	bind_text(s, 5, r->reason);
	bind_id(s, 6, r->run_by);
	rc = run(st, s, true);
	if (!rc)
		r->id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

static int sq_pairing_member_insert(struct store *st, int64_t round_id,
				const struct store_pairing_member *m)
{
	sqlite3_stmt *s = stmt(st, S_PAIRING_MEMBER_INSERT);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, round_id);
	sqlite3_bind_int(s, 2, m->group_no);
	sqlite3_bind_int64(s, 3, m->user_id);
	bind_id(s, 4, m->channel_id);
	return run(st, s, true);
}

static void read_pairing_round(sqlite3_stmt *s, void *row)
{
	struct store_pairing_round *r = row;

	r->id = sqlite3_column_int64(s, 0);
	r->hive_id = sqlite3_column_int64(s, 1);
	r->due_at = sqlite3_column_int64(s, 2);
	r->ran_at = sqlite3_column_int64(s, 3);
	col_text(s, 4, r->status, sizeof(r->status));
	col_text(s, 5, r->reason, sizeof(r->reason));
	r->run_by = sqlite3_column_int64(s, 6);
}

static int sq_pairing_rounds(struct store *st, int64_t hive_id, int limit,
			 struct store_pairing_round **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_PAIRING_ROUNDS);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, hive_id);
	sqlite3_bind_int(s, 2, limit);
	return list(st, s, sizeof(**out), read_pairing_round, (void **)out,
		    n);
}

static void read_pairing_member(sqlite3_stmt *s, void *row)
{
	struct store_pairing_member *m = row;

	m->group_no = sqlite3_column_int(s, 0);
	m->user_id = sqlite3_column_int64(s, 1);
	m->channel_id = sqlite3_column_int64(s, 2);
}

static int sq_pairing_members(struct store *st, int64_t round_id,
			  struct store_pairing_member **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_PAIRING_MEMBERS);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, round_id);
	return list(st, s, sizeof(**out), read_pairing_member, (void **)out,
		    n);
}

static void read_pairing_meet(sqlite3_stmt *s, void *row)
{
	struct store_pairing_meet *m = row;

	m->a = sqlite3_column_int64(s, 0);
	m->b = sqlite3_column_int64(s, 1);
	m->age = sqlite3_column_int(s, 2);
}

static int sq_pairing_recent(struct store *st, int64_t hive_id, int rounds,
			 struct store_pairing_meet **out, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_PAIRING_RECENT);

	if (!s)
		return RUCHE_EIO;
	sqlite3_bind_int64(s, 1, hive_id);
	sqlite3_bind_int(s, 2, rounds);
	return list(st, s, sizeof(**out), read_pairing_meet, (void **)out, n);
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.close = sq_close,
	.dirty = sq_dirty,
	STORE_OPS(STORE_OP_ENTRY, STORE_OP_VOID_ENTRY)
};
