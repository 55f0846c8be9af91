/*
 * store.h - Ruche's storage API.
 *
 * Domain code calls these typed functions and never sees SQL.  Two
 * backends implement them: SQLite (store_sqlite.c, the only file that
 * includes sqlite3.h) and PostgreSQL (store_pg*.c, the only ones that
 * include libpq-fe.h); store.c sends each call to the store's own.
 *
 * Thread rules: a struct store belongs to the thread that opened it (the
 * event loop).  Other threads open their own.
 */
#ifndef RUCHE_STORE_H
#define RUCHE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ruche/auth.h"

struct store;

/* A schema migration: the SQL that takes the database to version. */
struct store_migration {
	int version;		/* 1, 2, 3, ... without gaps */
	const char *name;	/* file name under schema/migrations/ */
	const char *sql;	/* one or more statements */
};

/* Ruche's own migrations, compiled in from schema/migrations/ (SQLite)
 * and schema/postgres/ (PostgreSQL). */
extern const struct store_migration store_migrations[];
extern const int store_nmigrations;
extern const struct store_migration store_pg_migrations[];
extern const int store_pg_nmigrations;

/*
 * Opens (creating it and its folder if needed) the database at path, in
 * WAL mode with foreign keys on and a busy timeout, and applies the
 * migrations it lacks, each in one transaction.  On success *out is the
 * store, to be closed with store_close(), and 0 is returned.  On failure
 * returns a negative code (RUCHE_ESCHEMA for a database newer than this
 * binary, RUCHE_EIO otherwise) with a one-line reason in err, and leaves the
 * database as it was before the failing migration.
 */
int store_open(const char *path, struct store **out, char *err, size_t errlen);

/*
 * Whether `where` names a PostgreSQL database (postgres://... or
 * postgresql://...): store_open() opens those with the PostgreSQL
 * backend, with its own migrations (schema/postgres/), and anything else
 * as an SQLite file.
 */
bool store_is_postgres(const char *where);

/*
 * Writes where (a path or an address) to out as logs and messages may
 * show it: a PostgreSQL address without its password.
 */
void store_where_shown(const char *where, char *out, size_t len);

/* The backend of an open store: "sqlite" or "postgres". */
const char *store_backend(struct store *st);

/* As store_open(), with a given list of migrations (tests use this). */
int store_open_with(const char *path, const struct store_migration *mig,
		    int nmig, struct store **out, char *err, size_t errlen);

/* Closes the store and frees it.  NULL is a no-op. */
void store_close(struct store *st);

/*
 * Durability of commits: full (the default) syncs the write-ahead log at
 * every commit, normal only at checkpoints.  0 or RUCHE_EIO.
 */
int store_set_sync(struct store *st, bool full);

/* The schema version of the open database (the last migration applied). */
int store_schema_version(struct store *st);

/*
 * Transactions.  Calls outside one commit on their own.  store_begin()
 * takes the write lock at once (BEGIN IMMEDIATE), so a transaction that
 * reads then writes never fails half-way on a lock.  Inside an open
 * transaction, begin/commit/rollback work on a savepoint instead, so
 * transactions nest.  Each returns 0 or RUCHE_EIO; or RUCHE_EROFS on a
 * read-only database, RUCHE_EFULL on a full disk.  A full disk makes
 * SQLite drop the whole transaction: from then on it only reads (writes
 * in it are undone), a savepoint and the commit fail with RUCHE_EFULL,
 * and the caller rolls back as after any failed commit.
 */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);
bool store_in_transaction(struct store *st);

/*
 * Whether the open transaction holds changes (any row written since it
 * began, even if a savepoint undid it).  A reply made while it holds none
 * read only what was committed before: it stays true even if the
 * transaction is then refused.  False outside a transaction, and for a
 * NULL store.
 */
bool store_dirty(struct store *st);

/*
 * Ends a transaction opened with store_begin() by the outcome of its body:
 * commits when rc is 0 (returning the commit's result), rolls back and
 * returns rc otherwise.
 */
int store_end(struct store *st, int rc);

/*
 * Whether anyone but this store committed to the database since the
 * last call: another process (`ruche admin`) or, on PostgreSQL, which
 * cannot tell, always.  True on the first call and when it cannot tell.
 * The server reads its sessions again only then (server_sweep_sessions).
 */
bool store_changed_elsewhere(struct store *st);

/*
 * Backup and check.  These work on database files, not on an open store,
 * and are safe while a server runs on the same file: in WAL mode a
 * reader sees one consistent snapshot and blocks no writer.  Each returns
 * 0 or a negative code with a one-line reason in err.
 */

/*
 * SQLite: pages of write-ahead log after which it is copied back into the
 * database (a checkpoint, in a thread of the store's own): 40 MiB of log
 * at most between two, beside the database file.
 */
#define STORE_CHECKPOINT_PAGES 10000

/*
 * Copies the database at src to dest, consistently (one snapshot, copied
 * a step at a time with the backup API, never started over however much
 * is written meanwhile), through a file beside dest that is checked and
 * then renamed over it: dest is the old file or the whole copy, never
 * half of one.  RUCHE_EEXIST when dest exists and !replace,
 * RUCHE_ENOTFOUND when src does not, RUCHE_EINVAL when dest is src,
 * RUCHE_EBUSY when a process has dest open (a database in use is never
 * replaced); RUCHE_EFULL when the copy does not fit.
 */
int store_backup(const char *src, const char *dest, bool replace, char *err,
		 size_t errlen);

/*
 * Puts a copy of the database at src in place of dest, the same way.
 * Refuses with RUCHE_EBUSY while a process (a server) has dest open, and
 * with RUCHE_EEXIST when dest exists and !replace, RUCHE_EINVAL when src
 * is dest.  The caller checks src
 * first (store_check_file()).  The old dest's write-ahead log goes with
 * it.
 */
int store_restore(const char *src, const char *dest, bool replace,
		  char *err, size_t errlen);

/*
 * Merges the search index of the SQLite database at path into one piece
 * (FTS5 segment), after indexing the messages still waiting: a database
 * grown message by message has its index in many pieces, and a search
 * reads each.  Takes the database to itself for as long (minutes for
 * millions of messages) and refuses with RUCHE_EBUSY while a process has
 * it open; RUCHE_EINVAL for PostgreSQL, a file that is not Ruche's or a
 * schema version other than this binary's newest, RUCHE_ENOTFOUND when
 * there is no database, RUCHE_EFULL when the disk is full (nothing
 * changes then).  The pieces before and after go to *before and *after.
 */
int store_optimize_search(const char *path, int *before, int *after,
			  char *err, size_t errlen);

/* What store_check_file() found. */
struct store_check {
	int problems;	/* 0: the database is sound */
	int version;	/* its schema version (0 if unreadable) */
	int known;	/* the newest version this binary knows */
};

/*
 * Checks the database at path: SQLite's integrity check, its foreign
 * keys, and a schema version this binary knows.  Calls say() once per
 * line of the report (problem true for each thing wrong), fills out and
 * returns 0 when the check ran, whatever it found; a file that is not a
 * database, or is damaged past reading, is problems, not an error.
 * RUCHE_ENOTFOUND or RUCHE_EIO when the file cannot be opened at all.
 */
int store_check_file(const char *path, struct store_check *out,
		     void (*say)(void *arg, bool problem, const char *line),
		     void *arg, char *err, size_t errlen);

/*
 * A new message is indexed for search in a batch with others (migration
 * 0012): at a commit once enough wait, before any search, or when this is
 * called (housekeeping).  Inside the open transaction if there is one,
 * else in its own.
 */
int store_search_index(struct store *st);

/* 0 when the search index holds exactly the committed messages' text. */
int store_search_check(struct store *st);

/*
 * For tests only (the operation storage.fault of --fake-clock): makes the
 * open database refuse writes as a full disk does (SQLITE_FULL once the
 * file would grow) or as a read-only one does, or lifts that.  0 or
 * RUCHE_EIO.
 */
enum store_fault {
	STORE_FAULT_NONE,
	STORE_FAULT_FULL,
	STORE_FAULT_READ_ONLY,
};
int store_test_fault(struct store *st, enum store_fault fault);

/*
 * Row types.  Lists come back as arrays the caller frees with free().
 * Getters return RUCHE_ENOTFOUND when there is no such row; inserts and
 * updates return RUCHE_EEXIST when a unique name is taken; everything
 * returns RUCHE_EIO when SQLite fails.  Times are milliseconds since the
 * epoch.
 */

#define STORE_NAME_BYTES (AUTH_NAME_MAX * 4 + 1)	/* 64 characters */
#define STORE_DESC_BYTES (500 * 4 + 1)			/* 500 characters */

enum role { ROLE_NONE = 0, ROLE_LEARNER = 1, ROLE_MENTOR = 2 };

/* "learner" or "mentor" (or "none"); and back, ROLE_NONE if neither. */
const char *role_name(enum role r);
enum role role_parse(const char *s);

struct store_user {
	int64_t id;
	char handle[AUTH_HANDLE_MAX + 1];	/* lower case */
	char name[STORE_NAME_BYTES];		/* display name */
	char pw_hash[AUTH_HASH_MAX];		/* "" once deleted */
	bool is_admin;
	bool deleted;
	int64_t created_at;
};

struct store_session {
	int64_t id;
	int64_t user_id;
	int64_t created_at, last_seen_at, expires_at;
};

struct store_hive {
	int64_t id;
	char name[STORE_NAME_BYTES];
	char description[STORE_DESC_BYTES];
	int capacity;			/* most learners */
	int64_t created_at;
	int64_t archived_at;		/* 0 while active */
	int learners, mentors;		/* current members, read-only */
	int retention_days;		/* read-only here; 0: keep forever */
};

struct store_member {
	int64_t user_id;
	char handle[AUTH_HANDLE_MAX + 1];
	char name[STORE_NAME_BYTES];
	enum role role;
	int64_t since;			/* joined (or waitlisted) at */
	bool admin;			/* also an admin of the instance */
};

/* What an invite admits: a hive role, or (no hive) the first admin. */
enum invite_kind { INVITE_HIVE = 0, INVITE_ADMIN = 1 };

struct store_invite {
	int64_t id;
	enum invite_kind kind;
	int64_t hive_id;		/* 0 for INVITE_ADMIN */
	enum role role;			/* ROLE_NONE for INVITE_ADMIN */
	int max_uses, uses;
	int64_t expires_at;
	int64_t revoked_at;		/* 0 unless revoked */
	int64_t created_by;		/* 0 when made from the command line */
	int64_t created_at;
};

/* Users.  store_user_insert() sets u->id. */
int store_user_insert(struct store *st, struct store_user *u);
int store_user_get(struct store *st, int64_t id, struct store_user *out);
int store_user_by_handle(struct store *st, const char *handle,
			 struct store_user *out);
int store_user_set_name(struct store *st, int64_t id, const char *name);
int store_user_set_password(struct store *st, int64_t id, const char *hash);
int store_user_set_admin(struct store *st, int64_t id, bool admin);
int store_admin_count(struct store *st, int *n);
/* Erases a user: sessions, memberships and waitlist places go, the text
 * of their messages is erased, and the row stays (messages keep pointing
 * at it) as "deleted user", with a handle ("~deleted-ID") that no one can
 * sign up with. */
int store_user_erase(struct store *st, int64_t id, int64_t now);

/* Sessions, found by the SHA-256 of their token. */
int store_session_insert(struct store *st, int64_t user_id,
			 const unsigned char digest[AUTH_DIGEST_LEN],
			 int64_t now, int64_t expires_at, int64_t *id);
int store_session_by_digest(struct store *st,
			    const unsigned char digest[AUTH_DIGEST_LEN],
			    struct store_session *out);
int store_session_get(struct store *st, int64_t id, struct store_session *out);
int store_session_touch(struct store *st, int64_t id, int64_t now,
			int64_t expires_at);
int store_session_delete(struct store *st, int64_t id);
/* Deletes every session of user_id but except_id (0: all). */
int store_session_delete_user(struct store *st, int64_t user_id,
			      int64_t except_id);
int store_session_list(struct store *st, int64_t user_id,
		       struct store_session **out, size_t *n);

/* Hives.  store_hive_insert() sets h->id; update writes name,
 * description and capacity. */
int store_hive_insert(struct store *st, struct store_hive *h);
int store_hive_get(struct store *st, int64_t id, struct store_hive *out);
/* A hive's archived_at (0: open) alone, cheaper than store_hive_get(). */
int store_hive_archived(struct store *st, int64_t id, int64_t *archived_at);
int store_hive_by_name(struct store *st, const char *name,
		       struct store_hive *out);
int store_hive_update(struct store *st, const struct store_hive *h);
int store_hive_archive(struct store *st, int64_t id, int64_t now);
/* Hives user_id belongs to, or every hive when user_id is 0. */
int store_hive_list(struct store *st, int64_t user_id,
		    struct store_hive **out, size_t *n);

/* Memberships. */
int store_member_role(struct store *st, int64_t hive_id, int64_t user_id,
		      enum role *out);
int store_member_insert(struct store *st, int64_t hive_id, int64_t user_id,
			enum role role, int64_t now);
int store_member_delete(struct store *st, int64_t hive_id, int64_t user_id);
/* Changes a member's role; RUCHE_ENOTFOUND if they are not a member. */
int store_member_set_role(struct store *st, int64_t hive_id,
			  int64_t user_id, enum role role);
int store_member_list(struct store *st, int64_t hive_id,
		      struct store_member **out, size_t *n);
/* Learner seats taken in all the hives user_id mentors. */
int store_mentor_load(struct store *st, int64_t user_id, int *learners);
/* Ids of the mentors of a hive. */
int store_hive_mentors(struct store *st, int64_t hive_id, int64_t **ids,
		       size_t *n);
/* True when users a and b are members of one hive at least. */
int store_users_share_hive(struct store *st, int64_t a, int64_t b,
			   bool *out);

/* Invites, found by the SHA-256 of their code.  Insert sets inv->id. */
int store_invite_insert(struct store *st, struct store_invite *inv,
			const unsigned char digest[AUTH_DIGEST_LEN]);
int store_invite_by_digest(struct store *st,
			   const unsigned char digest[AUTH_DIGEST_LEN],
			   struct store_invite *out);
int store_invite_get(struct store *st, int64_t id, struct store_invite *out);
int store_invite_use(struct store *st, int64_t id);
int store_invite_revoke(struct store *st, int64_t id, int64_t now);
/* Invites of a hive, or every invite when hive_id is 0. */
int store_invite_list(struct store *st, int64_t hive_id,
		      struct store_invite **out, size_t *n);

/* ---- Chat ------------------------------------------------------------ */

#define STORE_TOPIC_BYTES (250 * 4 + 1)		/* 250 characters */

enum channel_kind { CHANNEL_CHAT = 0, CHANNEL_ANNOUNCE, CHANNEL_DIRECT };

const char *channel_kind_name(enum channel_kind k);

struct store_channel {
	int64_t id;
	int64_t hive_id;		/* 0 for a direct conversation */
	enum channel_kind kind;
	char name[STORE_NAME_BYTES];	/* "" for a direct conversation */
	char topic[STORE_TOPIC_BYTES];
	int position;			/* order in the hive's list */
	int64_t created_at;
	int64_t archived_at;		/* 0 while active */
	int slow_mode_s;		/* seconds between a learner's posts */
	bool locked;			/* read-only for learners */
};

/* A message; body is owned (free with store_msg_release). */
struct store_message {
	int64_t id;
	int64_t channel_id;
	int64_t author_id;
	char *body;			/* "" once deleted */
	int64_t reply_to;		/* 0: none */
	int64_t thread_id;		/* 0: not in a thread */
	char nonce[65];
	int64_t created_at, edited_at, deleted_at;
	int reply_count;
	int64_t last_reply_at;
};

struct store_reaction_count {
	char emoji[64];
	int count;
	bool mine;			/* the asking user reacted so */
};

struct store_event {
	int64_t pos;
	char kind[48];
	char *data;			/* owned JSON text */
	/* Its audience (store_events_after() only; 0: none): a hive's
	 * members, a direct channel's, or one user. */
	int64_t hive_id, channel_id, user_id;
};

struct store_hit {
	int64_t message_id, channel_id, author_id, created_at;
	int64_t thread_id;		/* its thread's root; 0: none */
	char *excerpt;			/* owned; matches marked with [ ] */
};

int store_channel_insert(struct store *st, struct store_channel *c);
int store_channel_get(struct store *st, int64_t id, struct store_channel *out);
/* A hive's channels in their order (archived ones included). */
int store_channel_list(struct store *st, int64_t hive_id,
		       struct store_channel **out, size_t *n);
/* Writes name, topic and position. */
int store_channel_update(struct store *st, const struct store_channel *c);
int store_channel_archive(struct store *st, int64_t id, int64_t now);
int store_channel_next_position(struct store *st, int64_t hive_id, int *pos);

/* Direct conversations: members, and the one with exactly these members. */
int store_direct_add_member(struct store *st, int64_t channel_id,
			    int64_t user_id);
int store_direct_members(struct store *st, int64_t channel_id, int64_t **ids,
			 size_t *n);
int store_direct_find(struct store *st, const int64_t *user_ids, size_t n,
		      int64_t *channel_id);
int store_direct_list(struct store *st, int64_t user_id,
		      struct store_channel **out, size_t *n);

/* Messages.  Insert sets m->id; RUCHE_EEXIST when (author, nonce) is
 * taken. */
int store_msg_insert(struct store *st, struct store_message *m);
int store_msg_get(struct store *st, int64_t id, struct store_message *out);
int store_msg_by_nonce(struct store *st, int64_t author_id, const char *nonce,
		       struct store_message *out);
int store_msg_edit(struct store *st, int64_t id, const char *body,
		   int64_t now);
int store_msg_tombstone(struct store *st, int64_t id, int64_t now);
int store_msg_thread_bump(struct store *st, int64_t root_id, int64_t now);
/*
 * A page of a channel's history (thread_id 0) or of a thread: before_id
 * > 0 gives the limit messages before it, newest first; otherwise those
 * after after_id, oldest first.
 */
int store_msg_page(struct store *st, int64_t channel_id, int64_t thread_id,
		   int64_t before_id, int64_t after_id, int limit,
		   struct store_message **out, size_t *n);
void store_msg_release(struct store_message *m);
/* Every message a user wrote, oldest first (for their data export). */
int store_msg_by_author(struct store *st, int64_t author_id,
			struct store_message **out, size_t *n);
void store_msg_list_free(struct store_message *list, size_t n);

int store_reaction_add(struct store *st, int64_t message_id, int64_t user_id,
		       const char *emoji, int64_t now);
int store_reaction_remove(struct store *st, int64_t message_id,
			  int64_t user_id, const char *emoji);
int store_reaction_counts(struct store *st, int64_t message_id,
			  int64_t user_id, struct store_reaction_count **out,
			  size_t *n);

/* Read markers only move forward. */
int store_read_set(struct store *st, int64_t user_id, int64_t channel_id,
		   int64_t message_id);
int store_read_get(struct store *st, int64_t user_id, int64_t channel_id,
		   int64_t *message_id);
/* Read markers inside threads, keyed by the thread's first message. */
int store_thread_read_set(struct store *st, int64_t user_id,
			  int64_t thread_id, int64_t message_id);
int store_thread_read_get(struct store *st, int64_t user_id,
			  int64_t thread_id, int64_t *message_id);

/* Messages after the user's marker in a channel, not their own. */
int store_unread_count(struct store *st, int64_t user_id, int64_t channel_id,
		       int *n);

/* Mentions of a user in a message; unread ones count past the marker. */
int store_mention_insert(struct store *st, int64_t user_id,
			 int64_t message_id, int64_t channel_id);
int store_unread_mentions(struct store *st, int64_t user_id,
			  int64_t channel_id, int *n);

/* The event log.  Insert sets *pos. */
int store_event_insert(struct store *st, int64_t hive_id, int64_t channel_id,
		       const char *kind, const char *data, int64_t now,
		       int64_t *pos);
/* Events after since visible to user_id (their hives, their direct
 * channels, and those addressed to them), oldest first, at most limit. */
int store_events_since(struct store *st, int64_t user_id, int64_t since,
		       int limit, struct store_event **out, size_t *n);
int store_event_last(struct store *st, int64_t *pos);
/*
 * Every event after since, whoever it is for, oldest first, at most
 * limit, each with its audience: what a node of a cluster delivers to
 * its own clients of what every node stored (cluster.c).
 */
int store_events_after(struct store *st, int64_t since, int limit,
		       struct store_event **out, size_t *n);
/*
 * Erases the text of messages in the stored events that carry it
 * (msg.created, msg.edited, and remind, a user's reminder of it): of one
 * message (message_id), or of every
 * message of an author (author_id), so that a replay never brings back a
 * deleted message or an erased account's words.
 */
int store_event_erase_text(struct store *st, int64_t message_id,
			   int64_t author_id);

/*
 * Takes or renews the lease `name` for holder, for ttl_ms from now, if
 * nobody else holds it: *held says whether holder has it now.  Several
 * nodes of a cluster share PostgreSQL, and one of them (the lease's
 * holder) runs what runs on a timer.  On SQLite, a node alone, it is
 * always held.
 */
int store_lease_take(struct store *st, const char *name, const char *holder,
		     int64_t ttl_ms, bool *held);

/*
 * Presence across the nodes of a cluster (PostgreSQL; on SQLite, one
 * node alone, the server counts its own connections and these are not
 * called).  A node says how it sees a person: STORE_PRESENCE_OFFLINE
 * (none of its connections is theirs), _AWAY or _ONLINE, valid for
 * STORE_PRESENCE_TTL_MS unless renewed; a person's status is the best
 * any node says.  store_presence_expire() forgets what lapsed (a node
 * that died) and hands back whose it was (free() *users).
 */
enum store_presence {
	STORE_PRESENCE_OFFLINE, STORE_PRESENCE_AWAY, STORE_PRESENCE_ONLINE,
};
#define STORE_PRESENCE_TTL_MS 20000
int store_presence_put(struct store *st, const char *node, int64_t user_id,
		       enum store_presence status);
int store_presence_of(struct store *st, int64_t user_id,
		      enum store_presence *status);
int store_presence_renew(struct store *st, const char *node);
int store_presence_expire(struct store *st, int64_t **users, size_t *n);

/* The oldest position still kept (0 when the log is empty). */
int store_event_first(struct store *st, int64_t *pos);
/* Drops events created before before_ms, but never the newest one. */
int store_event_prune(struct store *st, int64_t before_ms, int *deleted);
void store_event_list_free(struct store_event *list, size_t n);

/*
 * Full-text search in what user_id can see, newest first: the messages
 * that hold every word of `words` (as a person typed them, split at
 * spaces; the last one may be the start of a word).  Each backend makes
 * its own query of them: nothing in them is an operator.
 */
int store_search(struct store *st, int64_t user_id, const char *words,
		 int limit, struct store_hit **out, size_t *n);
void store_hit_list_free(struct store_hit *list, size_t n);

/* Waitlists of full hives. */
int store_waitlist_insert(struct store *st, int64_t hive_id, int64_t user_id,
			  int64_t now);
int store_waitlist_delete(struct store *st, int64_t hive_id, int64_t user_id);
int store_waitlist_list(struct store *st, int64_t hive_id,
			struct store_member **out, size_t *n);
/* The hives whose waitlist a user is on. */
int store_waitlist_of_user(struct store *st, int64_t user_id, int64_t **ids,
			   size_t *n);

/* ---- Moderation ------------------------------------------------------ */

/*
 * Mentor moderation (moderation.h): mutes, bans, removals, pins, channel
 * slow mode and lock, reports, the automatic guard, retention and the
 * append-only audit log.  A by_id or actor_id of 0 is the server itself
 * (stored as NULL).
 */

#define STORE_REASON_BYTES (500 * 4 + 1)	/* 500 characters */

struct store_mute {
	int64_t hive_id, user_id;
	int64_t until;			/* when it ends by itself */
	int64_t by_id;			/* 0: the automatic guard */
	char reason[STORE_REASON_BYTES];
	int64_t created_at;
};

struct store_ban {
	int64_t hive_id, user_id;
	char handle[AUTH_HANDLE_MAX + 1];
	char name[STORE_NAME_BYTES];
	int64_t by_id;
	char reason[STORE_REASON_BYTES];
	int64_t created_at;
};

struct store_removal {
	int64_t message_id, by_id;
	char reason[STORE_REASON_BYTES];
	int64_t removed_at;
};

struct store_pin {
	int64_t message_id, channel_id, by_id, pinned_at;
};

struct store_report {
	int64_t id, hive_id, channel_id;
	int64_t message_id;		/* 0 once the message is purged */
	int64_t author_id;		/* who wrote the message */
	int64_t reporter_id;
	char reason[STORE_REASON_BYTES];
	char status[12];		/* open, dismissed, actioned */
	int64_t created_at;
	int64_t resolved_at, resolved_by;	/* 0 while open */
	char note[STORE_REASON_BYTES];
};

/* A hive's guard; every number 0 turns its rule off. */
struct store_guard {
	char *blocked_words;		/* owned JSON array of strings */
	int new_member_link_limit;	/* most links per post, when new */
	int new_member_days;		/* "new": joined fewer days ago */
	int flood_messages, flood_seconds, flood_mute_seconds;
};

struct store_audit {
	int64_t id, hive_id;
	int64_t actor_id;		/* 0: automatic */
	char action[32];
	int64_t target_user_id, message_id, channel_id;	/* 0: none */
	char reason[STORE_REASON_BYTES];
	char detail[512];		/* JSON object */
	int64_t created_at;
};

/* Which audit entries to list: 0 or NULL leaves a filter out; actor_id
 * -1 selects automatic actions. */
struct store_audit_filter {
	int64_t hive_id;
	const char *action;
	int64_t actor_id, target_id, since, until, before_id;
	int limit;
};

/* Sets (or replaces) a member's mute. */
int store_mute_set(struct store *st, const struct store_mute *m);
int store_mute_get(struct store *st, int64_t hive_id, int64_t user_id,
		   struct store_mute *out);
/* RUCHE_ENOTFOUND when there was none. */
int store_mute_delete(struct store *st, int64_t hive_id, int64_t user_id);
/* Mutes whose time is over at now, at most limit. */
int store_mute_due(struct store *st, int64_t now, int limit,
		   struct store_mute **out, size_t *n);
/* Mutes still running in a hive. */
int store_mute_list(struct store *st, int64_t hive_id, int64_t now,
		    struct store_mute **out, size_t *n);

/* RUCHE_EEXIST when already banned; delete: RUCHE_ENOTFOUND if not. */
int store_ban_insert(struct store *st, const struct store_ban *b);
int store_ban_delete(struct store *st, int64_t hive_id, int64_t user_id);
int store_ban_exists(struct store *st, int64_t hive_id, int64_t user_id,
		     bool *out);
int store_ban_list(struct store *st, int64_t hive_id, struct store_ban **out,
		   size_t *n);

/* Writes a hive channel's slow mode and lock. */
int store_channel_set_moderation(struct store *st, int64_t channel_id,
				 int slow_mode_s, bool locked);
/* When author last posted in a channel (0: never). */
int store_msg_last_in_channel(struct store *st, int64_t channel_id,
			      int64_t author_id, int64_t *created_at);
/* Messages author posted in a hive's channels since since_ms. */
int store_msg_count_in_hive(struct store *st, int64_t hive_id,
			    int64_t author_id, int64_t since_ms, int *n);
/* When a member joined a hive; RUCHE_ENOTFOUND if not a member. */
int store_member_since(struct store *st, int64_t hive_id, int64_t user_id,
		       int64_t *since);

int store_removal_insert(struct store *st, const struct store_removal *r);
int store_removal_get(struct store *st, int64_t message_id,
		      struct store_removal *out);

/* RUCHE_EEXIST when pinned already; delete: RUCHE_ENOTFOUND if not. */
int store_pin_insert(struct store *st, const struct store_pin *p);
int store_pin_delete(struct store *st, int64_t message_id);
/* A channel's pins, newest first. */
int store_pin_list(struct store *st, int64_t channel_id,
		   struct store_pin **out, size_t *n);

/* Sets r->id; RUCHE_EEXIST when this reporter reported it already. */
int store_report_insert(struct store *st, struct store_report *r);
int store_report_get(struct store *st, int64_t id, struct store_report *out);
int store_report_find(struct store *st, int64_t message_id,
		      int64_t reporter_id, struct store_report *out);
/* A hive's reports, newest first; status NULL: all.  reporter_id > 0:
 * only theirs. */
int store_report_list(struct store *st, int64_t hive_id, const char *status,
		      int64_t reporter_id, struct store_report **out,
		      size_t *n);
/* Closes an open report; RUCHE_ENOTFOUND when it is not open. */
int store_report_resolve(struct store *st, int64_t id, const char *status,
			 int64_t by_id, const char *note, int64_t now);

/* A hive's guard (all rules off when never set); free g->blocked_words. */
int store_guard_get(struct store *st, int64_t hive_id,
		    struct store_guard *out);
int store_guard_set(struct store *st, int64_t hive_id,
		    const struct store_guard *g);
/* Retention in days, 0 for keep forever. */
int store_retention_get(struct store *st, int64_t hive_id, int *days);
int store_retention_set(struct store *st, int64_t hive_id, int days);
/* Hives with a retention: pairs of (hive id, days) in ids[2 * i]. */
int store_retention_hives(struct store *st, int64_t **pairs, size_t *n);
/*
 * Deletes up to limit messages of a hive created before before_ms, with
 * their reactions, mentions, pins, search rows and text in the event log
 * (a thread goes once its last reply is old).  *deleted says how many.
 */
int store_purge_batch(struct store *st, int64_t hive_id, int64_t before_ms,
		      int limit, int *deleted);

/* Appends to the audit log; sets a->id. */
int store_audit_insert(struct store *st, struct store_audit *a);
/* Entries matching f, newest first. */
int store_audit_list(struct store *st, const struct store_audit_filter *f,
		     struct store_audit **out, size_t *n);

/* ---- Supervision: what an admin reads of each hive and mentor ---- */

/* A hive's figures over a period. */
struct store_hive_stats {
	int64_t active_learners;	/* learners who posted */
	int64_t messages;		/* posted in its channels */
	int64_t help_questions;		/* learners' new topics in "help" */
	int64_t help_unanswered;	/* of those, none answered in 24 h */
	int64_t reports_opened, reports_resolved;
	int64_t mod_actions;		/* audit entries by a person */
	int64_t auto_actions;		/* audit entries of the server */
};

struct store_day_count {
	int64_t day;			/* 00:00 UTC, in ms */
	int64_t count;
};

#define STORE_MENTOR_HIVES 32		/* hive ids kept per mentor */

/* A mentor's work over a period, in the hives they mentor. */
struct store_mentor_stats {
	int64_t user_id;
	char name[STORE_NAME_BYTES];
	int64_t messages;
	int64_t help_answers;		/* replies to others in "help" */
	int64_t reports_resolved;
	int64_t mod_actions;
	int64_t hive_ids[STORE_MENTOR_HIVES];
	int nhives;
};

/* Figures of hive_id over [from, to); now decides which questions have
 * waited a day. */
int store_hive_stats(struct store *st, int64_t hive_id, int64_t from,
		     int64_t to, int64_t now, struct store_hive_stats *out);
/* Messages per day of hive_id over [from, to), days without any left out. */
int store_hive_days(struct store *st, int64_t hive_id, int64_t from,
		    int64_t to, struct store_day_count **out, size_t *n);
/* The mentors of hive_id (0: of every hive), by name. */
int store_mentor_stats(struct store *st, int64_t hive_id, int64_t from,
		       int64_t to, struct store_mentor_stats **out, size_t *n);
/* How long each report resolved over [from, to) stayed open, in ms,
 * shortest first; hive_id and by_id 0 for any. */
int store_resolve_times(struct store *st, int64_t hive_id, int64_t by_id,
			int64_t from, int64_t to, int64_t **out, size_t *n);

/* ---- Meetups: scripts, scheduling, RSVPs (meetups.h) ---------------- */

#define STORE_MEETUP_TITLE_BYTES (100 * 4 + 1)	/* 100 characters */

/* A script of a hive's library. */
struct store_script {
	int64_t id, hive_id;
	char title[STORE_MEETUP_TITLE_BYTES];
	char *script;			/* owned normalised JSON */
	int64_t created_by;		/* 0: account gone */
	int64_t created_at, updated_at;
};

/* One meetup (one occurrence of a recurring one). */
struct store_meetup {
	int64_t id, hive_id;
	char title[STORE_MEETUP_TITLE_BYTES];
	char *script;			/* owned normalised JSON */
	int64_t start_at;
	char recurrence[16];		/* none, weekly, fortnightly */
	int cap;			/* 0: no cap */
	char state[16];			/* scheduled, running, ... */
	int step;			/* -1 before the start */
	int64_t step_started_at, step_ends_at, paused_left_ms; /* 0: none */
	int64_t channel_id;		/* 0: none yet */
	int reminded;			/* 1: 24 h sent, 2: 15 min sent */
	int64_t created_by;		/* 0: account gone */
	int64_t created_at, started_at, ended_at;
	int64_t going, maybe, no;	/* RSVP counts (read only) */
};

/* Frees what m owns; m itself is not freed.  NULL is a no-op. */
void store_meetup_release(struct store_meetup *m);
/* Frees an array of n meetups from a list call. */
void store_meetup_list_free(struct store_meetup *v, size_t n);

/* Inserts m (id ignored) and sets m->id. */
int store_meetup_insert(struct store *st, struct store_meetup *m);
int store_meetup_get(struct store *st, int64_t id, struct store_meetup *out);
/* The meetups of a hive not yet over (scheduled, running, paused), by
 * start time. */
int store_meetup_upcoming(struct store *st, int64_t hive_id,
			  struct store_meetup **out, size_t *n);
/* Scheduled meetups that start after now but at most ahead_ms later and
 * whose reminder flag bit is not set yet, by start time, at most limit. */
int store_meetup_remind_due(struct store *st, int64_t now, int64_t ahead_ms,
			    int bit, int limit, struct store_meetup **out,
			    size_t *n);
int store_meetup_set_state(struct store *st, int64_t id, const char *state,
			   int64_t ended_at);
int store_meetup_set_reminded(struct store *st, int64_t id, int reminded);

/* RSVPs.  answer: going, maybe or no. */
int store_rsvp_set(struct store *st, int64_t meetup_id, int64_t user_id,
		   const char *answer, int64_t now);
/* The caller's answer into answer (size bytes), RUCHE_ENOTFOUND if none. */
int store_rsvp_get(struct store *st, int64_t meetup_id, int64_t user_id,
		   char *answer, size_t size);
/* The users who answered answer, by id; caller frees *ids. */
int store_rsvp_users(struct store *st, int64_t meetup_id, const char *answer,
		     int64_t **ids, size_t *n);

/* The library.  Insert sets s->id; update changes title and script. */
int store_script_insert(struct store *st, struct store_script *s);
int store_script_update(struct store *st, const struct store_script *s);
/* One script, with its text (free with store_script_release()). */
int store_script_get(struct store *st, int64_t id, struct store_script *out);
/* A hive's scripts by title, with their text (release each). */
int store_script_list(struct store *st, int64_t hive_id,
		      struct store_script **out, size_t *n);
int store_script_delete(struct store *st, int64_t id);
void store_script_release(struct store_script *s);

/* The runner's state (meetup_runner.c). */

/* Scheduled meetups whose start time has come, by start, at most limit. */
int store_meetup_due_start(struct store *st, int64_t now, int limit,
			   struct store_meetup **out, size_t *n);
/* The meetup whose channel that is, RUCHE_ENOTFOUND if none. */
int store_meetup_by_channel(struct store *st, int64_t channel_id,
			    struct store_meetup *out);
/* Running and paused meetups. */
int store_meetup_live(struct store *st, struct store_meetup **out, size_t *n);
/* Writes state, step, step_started_at, step_ends_at, paused_left_ms,
 * channel_id, started_at and ended_at (0: NULL). */
int store_meetup_save_run(struct store *st, const struct store_meetup *m);

/* Participants: joining again after leaving keeps the first joined_at. */
int store_part_join(struct store *st, int64_t meetup_id, int64_t user_id,
		    int64_t now);
/* RUCHE_ENOTFOUND when they were not there. */
int store_part_leave(struct store *st, int64_t meetup_id, int64_t user_id,
		     int64_t now);
/* Those present, in the order they (first) joined; caller frees *ids. */
int store_part_present(struct store *st, int64_t meetup_id, int64_t **ids,
		       size_t *n);

/* One turn of a round: done once announced. */
struct store_turn {
	int64_t user_id;
	bool done;
	int position;			/* order key, unique in the step */
};

int store_turn_insert(struct store *st, int64_t meetup_id, int step,
		      int position, int64_t user_id);
/* The turns of a step, in speaking order; caller frees *out. */
int store_turn_list(struct store *st, int64_t meetup_id, int step,
		    struct store_turn **out, size_t *n);
int store_turn_done(struct store *st, int64_t meetup_id, int step,
		    int64_t user_id);
/* Removes a turn not yet announced; RUCHE_ENOTFOUND if none. */
int store_turn_delete(struct store *st, int64_t meetup_id, int step,
		      int64_t user_id);

/* One member of a breakout group. */
struct store_group {
	int group_no;
	int64_t user_id;
	int64_t channel_id;		/* the group's conversation */
};

/* Puts a user in a group (again: moves them). */
int store_group_insert(struct store *st, int64_t meetup_id, int step,
		       const struct store_group *g, int64_t now);
int store_group_list(struct store *st, int64_t meetup_id, int step,
		     struct store_group **out, size_t *n);
/* Pairs (a, b) of users grouped together since then, both ways, once per
 * time they were: *pairs holds 2 * n ids; caller frees. */
int store_group_recent(struct store *st, int64_t since, int64_t **pairs,
		       size_t *n);

/* A poll answer: a JSON array of option indexes. */
#define STORE_CHOICES_BYTES 64

int store_answer_set(struct store *st, int64_t meetup_id, int step,
		     int64_t user_id, const char *choices, int64_t now);
/* The answers (JSON arrays) to a poll step; caller frees *out. */
int store_answer_list(struct store *st, int64_t meetup_id, int step,
		      char (**out)[STORE_CHOICES_BYTES], size_t *n);

struct store_nps {
	int64_t answers, promoters, detractors;	/* 9-10, 0-6 */
	int64_t sum;
};

int store_feedback_set(struct store *st, int64_t meetup_id, int64_t user_id,
		       int nps, const char *comment, int64_t now);
int store_feedback_stats(struct store *st, int64_t meetup_id,
			 struct store_nps *out);

/* A hive's meetups ended over [from, to), for supervision. */
struct store_meetup_stats {
	int64_t held;			/* meetups ended */
	int64_t going;			/* RSVPs going to them */
	int64_t attended;		/* of those, who joined */
	struct store_nps nps;		/* sum not filled */
};

int store_meetup_stats(struct store *st, int64_t hive_id, int64_t from,
		       int64_t to, struct store_meetup_stats *out);
/* The same for the meetups user_id scheduled (and so led), in hive_id
 * (0: any hive). */
int store_mentor_meetup_stats(struct store *st, int64_t user_id,
			      int64_t hive_id, int64_t from, int64_t to,
			      struct store_meetup_stats *out);

/* Results of one meetup (meetup.results). */

/* The meetups of a hive that are over (ended, missed, cancelled) and
 * started before `before`, newest first, at most limit. */
int store_meetup_past(struct store *st, int64_t hive_id, int64_t before,
		      int limit, struct store_meetup **out, size_t *n);

/* Everyone who joined a meetup, present or gone. */
struct store_part {
	int64_t user_id;
	int64_t joined_at;		/* the first time they joined */
	int64_t left_at;		/* 0: still there (or at the end) */
};

/* In the order they joined; caller frees *out. */
int store_part_list(struct store *st, int64_t meetup_id,
		    struct store_part **out, size_t *n);

struct store_feedback {
	int64_t user_id;
	int nps;			/* 0-10 */
	char *comment;			/* owned; "" for none */
	int64_t created_at;
};

/* The feedback of a meetup, oldest first; free with
 * store_feedback_list_free() (NULL is a no-op). */
int store_feedback_list(struct store *st, int64_t meetup_id,
			struct store_feedback **out, size_t *n);
void store_feedback_list_free(struct store_feedback *v, size_t n);

/*
 * Calendar feeds (ics.h): one per user, known by the SHA-256 of its
 * secret.  store_ics_set() makes or replaces the user's feed;
 * store_ics_get() tells when it was made (RUCHE_ENOTFOUND for none).
 * store_ics_user() finds whose feed a digest opens (RUCHE_ENOTFOUND for
 * none).  store_ics_meetups() lists the meetups, in every state, of the
 * hives the user belongs to that start at since or later, by start time,
 * at most limit (free with store_meetup_list_free()).
 */
int store_ics_set(struct store *st, int64_t user_id,
		  const unsigned char digest[AUTH_DIGEST_LEN], int64_t now);
int store_ics_get(struct store *st, int64_t user_id, int64_t *created_at);
int store_ics_user(struct store *st,
		   const unsigned char digest[AUTH_DIGEST_LEN],
		   int64_t *user_id);
int store_ics_meetups(struct store *st, int64_t user_id, int64_t since,
		      int limit, struct store_meetup **out, size_t *n);

/*
 * Scheduled messages and reminders (schedule.h).  Lists are by time, at
 * most limit rows.  Insert sets ->id; update changes text, at and repeat;
 * get, update and delete answer RUCHE_ENOTFOUND for no such row.
 */
struct store_sched {
	int64_t id, author_id, channel_id;
	char *text;			/* owned */
	int64_t at;			/* when it is posted next */
	char repeat[8];			/* none, weekly */
	int64_t created_at;
};

/* Frees what x owns; x itself is not freed.  NULL is a no-op. */
void store_sched_release(struct store_sched *x);
/* Frees an array of n from a list call. */
void store_sched_list_free(struct store_sched *v, size_t n);
int store_sched_insert(struct store *st, struct store_sched *x);
int store_sched_get(struct store *st, int64_t id, struct store_sched *out);
int store_sched_list(struct store *st, int64_t author_id, int limit,
		     struct store_sched **out, size_t *n);
int store_sched_update(struct store *st, const struct store_sched *x);
int store_sched_delete(struct store *st, int64_t id);
/* Those whose time is at or before now. */
int store_sched_due(struct store *st, int64_t now, int limit,
		    struct store_sched **out, size_t *n);

struct store_reminder {
	int64_t id, user_id, message_id;
	int64_t at, created_at;
	int64_t channel_id;	/* the message's; 0 once it is gone (read) */
};

int store_reminder_insert(struct store *st, struct store_reminder *x);
int store_reminder_get(struct store *st, int64_t id,
		       struct store_reminder *out);
/* A user's reminders; caller frees *out with free(). */
int store_reminder_list(struct store *st, int64_t user_id, int limit,
			struct store_reminder **out, size_t *n);
int store_reminder_delete(struct store *st, int64_t id);
/* Those whose time is at or before now; caller frees *out. */
int store_reminder_due(struct store *st, int64_t now, int limit,
		       struct store_reminder **out, size_t *n);

/*
 * An event of the log addressed to one user only (remind,
 * schedule.failed, meetup.reminder): store_events_since() replays it to
 * that user.  *pos receives its position.
 */
int store_event_insert_user(struct store *st, int64_t user_id,
			    const char *kind, const char *data, int64_t now,
			    int64_t *pos);

/* ---- Pairing: regular peer pairing of a hive's learners (pairing.h) -- */

/* A hive's pairing settings. */
struct store_pairing {
	int64_t hive_id;
	bool enabled;
	int every_days;			/* 7 or 14 */
	int64_t next_at;		/* the next round; 0: none set */
	char *prompt;			/* owned; "" for the default one */
	int64_t updated_by;		/* 0: account gone */
	int64_t updated_at;
};

/* A round the server ran. */
struct store_pairing_round {
	int64_t id, hive_id;
	int64_t due_at;			/* the time it was for; 0: by hand */
	int64_t ran_at;
	char status[16];		/* paired, skipped */
	char reason[200];		/* why skipped; "" when paired */
	int64_t run_by;			/* who ran it by hand; 0: the server */
};

/* One learner of a round's group (pair or trio). */
struct store_pairing_member {
	int group_no;
	int64_t user_id;
	int64_t channel_id;		/* the group's conversation; 0: gone */
};

/* Two learners grouped together in one of the last rounds: age 0 is the
 * hive's latest paired round. */
struct store_pairing_meet {
	int64_t a, b;			/* a < b */
	int age;
};

/* Frees what p owns; p itself is not freed.  NULL is a no-op. */
void store_pairing_release(struct store_pairing *p);
void store_pairing_list_free(struct store_pairing *v, size_t n);
/* RUCHE_ENOTFOUND when the hive never had settings. */
int store_pairing_get(struct store *st, int64_t hive_id,
		      struct store_pairing *out);
/* Inserts or replaces the hive's settings. */
int store_pairing_set(struct store *st, const struct store_pairing *p);
/* Enabled settings whose next_at is at or before now, by time, at most
 * limit (free with store_pairing_list_free()). */
int store_pairing_due(struct store *st, int64_t now, int limit,
		      struct store_pairing **out, size_t *n);
/* Sets r->id; RUCHE_EEXIST when the hive already has a round for
 * r->due_at. */
int store_pairing_round_insert(struct store *st,
			       struct store_pairing_round *r);
int store_pairing_member_insert(struct store *st, int64_t round_id,
				const struct store_pairing_member *m);
/* A hive's rounds, newest first, at most limit; caller frees *out. */
int store_pairing_rounds(struct store *st, int64_t hive_id, int limit,
			 struct store_pairing_round **out, size_t *n);
/* The groups of a round, by group then user; caller frees *out. */
int store_pairing_members(struct store *st, int64_t round_id,
			  struct store_pairing_member **out, size_t *n);
/* Who met whom in the hive's last `rounds` paired rounds, once per
 * time; caller frees *out. */
int store_pairing_recent(struct store *st, int64_t hive_id, int rounds,
			 struct store_pairing_meet **out, size_t *n);

#endif
