/*
 * store_pg.h - what the files of the PostgreSQL backend share.
 *
 * Private to store_pg*.c, the only files that include libpq-fe.h.  The
 * backend answers every call of store.h as the SQLite one does (same
 * rows, same error codes); store_pg.c holds the connection, migrations
 * and transactions, and the helpers below that every area's file
 * (store_pg_accounts.c, store_pg_chat.c, ...) runs its statements with.
 *
 * Every statement is a named prepared statement, prepared on a
 * connection the first time it runs there: declare each one once, at
 * file scope, with PG_SQL:
 *
 *	static struct pg_sql q_user_get = PG_SQL(
 *		"SELECT id, handle FROM users WHERE id = $1");
 *
 * then bind its parameters and run it:
 *
 *	struct pg_args a = { 0 };
 *	pg_arg_i64(&a, id);
 *	return pg_one(st, &q_user_get, &a, read_user, out);
 *
 * PostgreSQL gives up the whole transaction at a statement's error, where
 * SQLite fails only the statement.  A statement that may break a unique
 * constraint as part of normal work (an insert whose duplicate the caller
 * answers with RUCHE_EEXIST) is declared with PG_SQL_CONFLICT: it runs
 * inside a savepoint of its own, so that the conflict costs only the
 * statement, as in SQLite, and returns RUCHE_EEXIST.  Better still, write
 * such inserts with ON CONFLICT DO NOTHING and look at the rows changed.
 */
#ifndef RUCHE_STORE_PG_H
#define RUCHE_STORE_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>

#include "ruche/store.h"
#include "store_ops.h"

struct store {
	const struct store_ops *ops;	/* first: &store_pg_ops */
	PGconn *conn;			/* owned */
	int version;		/* schema version after migrations */
	int depth;		/* open transactions: 1 is BEGIN, more are
				   savepoints inside it */
	/*
	 * The error that aborted the open transaction at depth lost_depth,
	 * or 0.  PostgreSQL runs nothing more in it until it is rolled back
	 * to that depth: statements until then fail with this error.
	 */
	int lost, lost_depth;
	bool dirty;		/* a row written since the transaction began */
	bool sync_normal;	/* --sync normal: asked for, kept on reconnect */
	unsigned char *prepared; /* by statement number: prepared here? */
	int nprepared;
};

/* Every operation, pgs_name, defined in one of the backend's files. */
#define STORE_PREFIX(name) pgs_##name
STORE_OPS(STORE_OP_EXTERN, STORE_OP_VOID_EXTERN)
void pgs_close(struct store *st);
bool pgs_dirty(struct store *st);

/* A statement of the backend (see above).  num is given on first use. */
struct pg_sql {
	const char *text;	/* with $1, $2, ... parameters */
	bool conflicts;		/* may break a unique constraint */
	int num;		/* 0 until first use */
};

#define PG_SQL(text) { (text), false, 0 }
#define PG_SQL_CONFLICT(text) { (text), true, 0 }

/* The parameters of one statement, in order ($1, $2, ...). */
#define PG_MAX_ARGS 16

struct pg_args {
	int n;
	const char *value[PG_MAX_ARGS];
	int length[PG_MAX_ARGS];
	int format[PG_MAX_ARGS];	/* 0 text, 1 binary */
	char num[PG_MAX_ARGS][24];	/* numbers, written as text */
};

void pg_arg_i64(struct pg_args *a, int64_t v);
/* An id, or NULL for 0 (as the SQLite backend's bind_id()). */
void pg_arg_id(struct pg_args *a, int64_t v);
void pg_arg_bool(struct pg_args *a, bool v);	/* as 0 or 1 */
/* Text, or NULL for a NULL pointer.  Not copied: keep it until run. */
void pg_arg_text(struct pg_args *a, const char *v);
/* Bytes (a BYTEA), not copied. */
void pg_arg_bytes(struct pg_args *a, const void *v, int len);
void pg_arg_null(struct pg_args *a);
/* A LIMIT: SQLite reads a negative one as none; PostgreSQL refuses it,
 * and reads NULL as none. */
void pg_arg_limit(struct pg_args *a, int limit);

/*
 * Runs a statement that returns no rows needed.  RUCHE_ENOTFOUND when it
 * was meant to change a row (must_change) and changed none;
 * RUCHE_EEXIST for a PG_SQL_CONFLICT statement that broke a unique
 * constraint; RUCHE_EIO (or RUCHE_EROFS, RUCHE_EFULL) otherwise.
 */
int pg_run(struct store *st, struct pg_sql *q, struct pg_args *a,
	   bool must_change);

/* The number of rows the statement changed; -1 on an error (in *rc). */
int64_t pg_run_count(struct store *st, struct pg_sql *q, struct pg_args *a,
		     int *rc);

/* A row reader: copies row `row` of r into out. */
typedef void pg_read_fn(const PGresult *r, int row, void *out);

/* Runs a query expected to return one row: 0, or RUCHE_ENOTFOUND. */
int pg_one(struct store *st, struct pg_sql *q, struct pg_args *a,
	   pg_read_fn *read, void *out);

/*
 * Runs a query and reads every row into a new array of rows of `size`
 * bytes each (zeroed first): *out (free() it, or the area's list_free)
 * and *n; *out is NULL when there is no row.
 */
int pg_list(struct store *st, struct pg_sql *q, struct pg_args *a,
	    size_t size, pg_read_fn *read, void **out, size_t *n);

/*
 * Runs a query and hands back its result (PQclear() it), or NULL with
 * *rc set.  For reads that do not fit pg_one/pg_list.
 */
PGresult *pg_query(struct store *st, struct pg_sql *q, struct pg_args *a,
		   int *rc);

/* A row reader for one integer column: out is an int64_t. */
void pg_read_i64(const PGresult *r, int row, void *out);

/*
 * A meetup row (struct store_meetup, its script copied): the columns of
 * PG_MEETUP_COLUMNS, for every query that returns meetups.
 */
#define PG_MEETUP_COLUMNS "id, hive_id, title, script, start_at, " \
	"recurrence, cap, state, step, coalesce(step_started_at, 0), " \
	"coalesce(step_ends_at, 0), coalesce(paused_left_ms, 0), " \
	"coalesce(channel_id, 0), reminded, coalesce(created_by, 0), " \
	"created_at, coalesce(started_at, 0), coalesce(ended_at, 0), " \
	PG_RSVP_COUNT("going") ", " PG_RSVP_COUNT("maybe") ", " \
	PG_RSVP_COUNT("no")
#define PG_RSVP_COUNT(a) "(SELECT count(*) FROM meetup_rsvps r " \
	"WHERE r.meetup_id = meetups.id AND r.answer = '" a "')"
void pg_read_meetup(const PGresult *r, int row, void *out);

/* Column readers.  NULL reads as 0, false, "" (or NULL for pg_strdup). */
int64_t pg_i64(const PGresult *r, int row, int col);
bool pg_bool(const PGresult *r, int row, int col);
bool pg_null(const PGresult *r, int row, int col);
void pg_text(const PGresult *r, int row, int col, char *out, size_t len);
char *pg_strdup(const PGresult *r, int row, int col);

#endif
