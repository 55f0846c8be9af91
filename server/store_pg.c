/*
 * store_pg.c - the PostgreSQL backend of store.h: the connection,
 * migrations, transactions, and the statement helpers of store_pg.h.
 *
 * Opened with a postgres:// address (--store).  Several Ruche nodes may
 * share one database, so the outer transaction of each node takes one
 * advisory lock at BEGIN: writes are applied one transaction at a time
 * across every node, as SQLite applies them on one, and what one node
 * commits (a message's id, an event's position) is in the order of the
 * commits.  docs/operations.md says what this costs and how a network of
 * hives would shard past it.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruche/err.h"
#include "ruche/log.h"
#include "store_pg.h"

/*
 * The advisory lock every transaction takes: Ruche's (7580) for the
 * schema it works in, so that databases in other schemas of the same
 * server (the tests' scratch schemas) do not wait for each other.
 */
#define PG_WRITE_LOCK \
	"SELECT pg_advisory_xact_lock(7580, hashtext(current_schema()))"

/*
 * A node that stops answering in a transaction holds the lock: after
 * this long idle PostgreSQL ends its session (and the lock), and one that
 * waits on the lock this long gives up with an error, never forever.
 */
#define PG_SESSION_SETUP \
	"SET synchronous_commit = on; " \
	"SET client_min_messages = warning; " \
	"SET idle_in_transaction_session_timeout = '15s'; " \
	"SET lock_timeout = '20s'"

/* Statement numbers, given on first use, the same in every store. */
static atomic_int next_num;

/* ---- Parameters ------------------------------------------------------ */

static void arg(struct pg_args *a, const char *v, int len, int format)
{
	if (a->n >= PG_MAX_ARGS) {
		/* A bug of the caller's: the statement fails to run. */
		log_error("store: more than %d parameters", PG_MAX_ARGS);
		a->n = PG_MAX_ARGS + 1;
		return;
	}
	a->value[a->n] = v;
	a->length[a->n] = len;
	a->format[a->n] = format;
	a->n++;
}

void pg_arg_i64(struct pg_args *a, int64_t v)
{
	if (a->n < PG_MAX_ARGS) {
		snprintf(a->num[a->n], sizeof(a->num[0]), "%lld",
			 (long long)v);
		arg(a, a->num[a->n], 0, 0);
	} else {
		arg(a, NULL, 0, 0);
	}
}

void pg_arg_id(struct pg_args *a, int64_t v)
{
	if (v)
		pg_arg_i64(a, v);
	else
		arg(a, NULL, 0, 0);
}

void pg_arg_bool(struct pg_args *a, bool v)
{
	arg(a, v ? "1" : "0", 0, 0);
}

void pg_arg_text(struct pg_args *a, const char *v)
{
	arg(a, v, 0, 0);
}

void pg_arg_bytes(struct pg_args *a, const void *v, int len)
{
	arg(a, v, len, 1);
}

void pg_arg_null(struct pg_args *a)
{
	arg(a, NULL, 0, 0);
}

void pg_arg_limit(struct pg_args *a, int limit)
{
	if (limit < 0)
		pg_arg_null(a);
	else
		pg_arg_i64(a, limit);
}

/* ---- Columns --------------------------------------------------------- */

int64_t pg_i64(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 :
	       strtoll(PQgetvalue(r, row, col), NULL, 10);
}

bool pg_bool(const PGresult *r, int row, int col)
{
	const char *v = PQgetvalue(r, row, col);

	if (PQgetisnull(r, row, col))
		return false;
	return v[0] == 't' || (v[0] != 'f' && strtoll(v, NULL, 10) != 0);
}

bool pg_null(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col);
}

void pg_text(const PGresult *r, int row, int col, char *out, size_t len)
{
	snprintf(out, len, "%s", PQgetvalue(r, row, col));
}

char *pg_strdup(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL :
	       strdup(PQgetvalue(r, row, col));
}

void pg_read_i64(const PGresult *r, int row, void *out)
{
	*(int64_t *)out = pg_i64(r, row, 0);
}

/* ---- Running statements ---------------------------------------------- */

/* The Ruche error for a failed result, logged. */
static int error_of(struct store *st, const PGresult *r)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(st->conn);
	int err = RUCHE_EIO;

	if (state && strcmp(state, "23505") == 0)
		return RUCHE_EEXIST;
	if (state && strncmp(state, "53", 2) == 0)	/* disk full, memory */
		err = RUCHE_EFULL;
	else if (state && strcmp(state, "25006") == 0)	/* read-only */
		err = RUCHE_EROFS;
	if (err == RUCHE_EIO)
		log_error("store: %s", msg);
	else
		log_warn("store: %s", msg);
	return err;
}

/* Prepares q on this connection if it is not yet. */
static int prepare(struct store *st, struct pg_sql *q)
{
	int num = __atomic_load_n(&q->num, __ATOMIC_ACQUIRE);
	char name[16];
	PGresult *r;

	if (!num) {
		/* Another thread may number it meanwhile: the first wins. */
		int want = atomic_fetch_add(&next_num, 1) + 1, none = 0;

		__atomic_compare_exchange_n(&q->num, &none, want, false,
					    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
		num = __atomic_load_n(&q->num, __ATOMIC_ACQUIRE);
	}
	if (num >= st->nprepared) {
		int n = num + 64;
		unsigned char *p = realloc(st->prepared, (size_t)n);

		if (!p)
			return RUCHE_ENOMEM;
		memset(p + st->nprepared, 0, (size_t)(n - st->nprepared));
		st->prepared = p;
		st->nprepared = n;
	}
	if (st->prepared[num])
		return 0;
	snprintf(name, sizeof(name), "r%d", num);
	r = PQprepare(st->conn, name, q->text, 0, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		log_error("store: cannot prepare %s: %s", q->text,
			  PQresultErrorMessage(r));
		PQclear(r);
		return RUCHE_EIO;
	}
	PQclear(r);
	st->prepared[num] = 1;
	return 0;
}

/* Runs a command of the connection's own (BEGIN, SAVEPOINT, ...). */
static int command(struct store *st, const char *sql)
{
	PGresult *r = PQexec(st->conn, sql);
	int rc = PQresultStatus(r) == PGRES_COMMAND_OK ||
		 PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : error_of(st, r);

	PQclear(r);
	return rc;
}

/*
 * Sets up a new session: the lock's timeouts, durability.  After a
 * reconnection too, when the statements must be prepared again.
 */
static int session_setup(struct store *st)
{
	if (st->prepared)
		memset(st->prepared, 0, (size_t)st->nprepared);
	return command(st, PG_SESSION_SETUP) ||
	       (st->sync_normal && command(st, "SET synchronous_commit = off")) ?
	       RUCHE_EIO : 0;
}

/*
 * A connection that PostgreSQL lost (its restart, a network cut) is made
 * again, between transactions only: a transaction open on it is gone,
 * and its caller hears so from the statement that fails.
 */
static int reconnect(struct store *st)
{
	if (PQstatus(st->conn) == CONNECTION_OK)
		return 0;
	if (st->depth)
		return RUCHE_EIO;
	PQreset(st->conn);
	if (PQstatus(st->conn) != CONNECTION_OK || session_setup(st)) {
		log_error("store: PostgreSQL is out of reach: %s",
			  PQerrorMessage(st->conn));
		return RUCHE_EIO;
	}
	log_warn("store: connected to PostgreSQL again");
	return 0;
}

/*
 * Runs q with a's parameters: its result, or NULL with *rc.  A failure
 * inside a transaction aborts it (lost) until the rollback to its depth.
 */
static PGresult *run_once(struct store *st, struct pg_sql *q,
			  struct pg_args *a, int *rc)
{
	char name[16];
	PGresult *r;
	bool guard = q->conflicts && st->depth;
	ExecStatusType status;

	*rc = 0;
	if (st->lost) {
		*rc = st->lost;
		return NULL;
	}
	if (a->n > PG_MAX_ARGS) {
		*rc = RUCHE_EINVAL;
		return NULL;
	}
	*rc = reconnect(st);
	if (!*rc)
		*rc = prepare(st, q);
	if (*rc)
		return NULL;
	if (guard && (*rc = command(st, "SAVEPOINT pg_conflict")))
		return NULL;
	snprintf(name, sizeof(name), "r%d",
		 __atomic_load_n(&q->num, __ATOMIC_ACQUIRE));
	r = PQexecPrepared(st->conn, name, a->n, a->value, a->length,
			   a->format, 0);
	status = PQresultStatus(r);
	if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
		const char *changed = PQcmdTuples(r);

		if (st->depth && changed[0] && strcmp(changed, "0") &&
		    strncmp(PQcmdStatus(r), "SELECT", 6))
			st->dirty = true;
		if (guard)
			*rc = command(st, "RELEASE pg_conflict");
		if (!*rc)
			return r;
		PQclear(r);
		return NULL;
	}
	*rc = error_of(st, r);
	PQclear(r);
	if (guard) {
		command(st, "ROLLBACK TO pg_conflict");
		command(st, "RELEASE pg_conflict");
		return NULL;
	}
	if (st->depth && PQtransactionStatus(st->conn) == PQTRANS_INERROR) {
		st->lost = *rc;
		st->lost_depth = st->depth;
	}
	return NULL;
}

/* Whether the connection was found dead outside a transaction. */
static bool dropped(struct store *st)
{
	return !st->depth && PQstatus(st->conn) == CONNECTION_BAD;
}

PGresult *pg_query(struct store *st, struct pg_sql *q, struct pg_args *a,
		   int *rc)
{
	PGresult *r = run_once(st, q, a, rc);

	/* A connection PostgreSQL dropped (a restart) shows only when used.
	 * A read runs again on a new one; a write is not repeated, for it
	 * may have been applied before the answer was lost. */
	if (!r && dropped(st) && strncmp(q->text, "SELECT", 6) == 0)
		r = run_once(st, q, a, rc);
	return r;
}

int64_t pg_run_count(struct store *st, struct pg_sql *q, struct pg_args *a,
		     int *rc)
{
	PGresult *r = pg_query(st, q, a, rc);
	int64_t n;

	if (!r)
		return -1;
	n = strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return n;
}

int pg_run(struct store *st, struct pg_sql *q, struct pg_args *a,
	   bool must_change)
{
	int rc;
	int64_t n = pg_run_count(st, q, a, &rc);

	if (!rc && must_change && n == 0)
		return RUCHE_ENOTFOUND;
	return rc;
}

int pg_one(struct store *st, struct pg_sql *q, struct pg_args *a,
	   pg_read_fn *read, void *out)
{
	int rc;
	PGresult *r = pg_query(st, q, a, &rc);

	if (!r)
		return rc;
	rc = PQntuples(r) > 0 ? 0 : RUCHE_ENOTFOUND;
	if (!rc)
		read(r, 0, out);
	PQclear(r);
	return rc;
}

int pg_list(struct store *st, struct pg_sql *q, struct pg_args *a,
	    size_t size, pg_read_fn *read, void **out, size_t *n)
{
	int rc, rows;
	PGresult *r = pg_query(st, q, a, &rc);
	char *v;

	*out = NULL;
	*n = 0;
	if (!r)
		return rc;
	rows = PQntuples(r);
	if (rows) {
		v = calloc((size_t)rows, size);
		if (!v) {
			PQclear(r);
			return RUCHE_ENOMEM;
		}
		for (int i = 0; i < rows; i++)
			read(r, i, v + (size_t)i * size);
		*out = v;
		*n = (size_t)rows;
	}
	PQclear(r);
	return 0;
}

/* ---- Opening and migrations ------------------------------------------ */

static void quiet_notices(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* The highest migration applied, or -1 when it cannot be read. */
static int current_version(struct store *st)
{
	PGresult *r = PQexec(st->conn, "SELECT coalesce(max(version), 0) "
				       "FROM schema_migrations");
	int v = PQresultStatus(r) == PGRES_TUPLES_OK ? (int)pg_i64(r, 0, 0) :
						       -1;

	PQclear(r);
	return v;
}

/*
 * Applies one migration and records it, all or nothing, unless another
 * node did meanwhile: nodes starting together take turns on the lock.
 * 0, or RUCHE_EIO with err.
 */
static int migrate_one(struct store *st, const struct store_migration *m,
		       char *err, size_t errlen)
{
	char version[24];
	const char *params[2] = { version, m->name };
	PGresult *r;
	int have;

	if (command(st, "BEGIN; " PG_WRITE_LOCK)) {
		snprintf(err, errlen, "migration %s failed: %s", m->name,
			 PQerrorMessage(st->conn));
		goto fail;
	}
	have = current_version(st);
	if (have >= m->version)
		return command(st, "COMMIT") ? RUCHE_EIO : 0;
	r = PQexec(st->conn, m->sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "migration %s failed: %s", m->name,
			 PQresultErrorMessage(r));
		PQclear(r);
		goto fail;
	}
	PQclear(r);
	snprintf(version, sizeof(version), "%d", m->version);
	r = PQexecParams(st->conn, "INSERT INTO schema_migrations"
				   "(version, name, applied_at) VALUES ($1, $2, "
				   "(extract(epoch FROM now()) * 1000)::bigint)",
			 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		snprintf(err, errlen, "migration %s failed: %s", m->name,
			 PQresultErrorMessage(r));
		PQclear(r);
		goto fail;
	}
	PQclear(r);
	if (command(st, "COMMIT")) {
		snprintf(err, errlen, "migration %s failed: %s", m->name,
			 PQerrorMessage(st->conn));
		goto fail;
	}
	log_info("applied schema migration postgres/%s", m->name);
	return 0;
fail:
	err[strcspn(err, "\n")] = '\0';
	if (PQtransactionStatus(st->conn) != PQTRANS_IDLE)
		command(st, "ROLLBACK");
	return RUCHE_EIO;
}

static int migrate(struct store *st, const struct store_migration *mig,
		   int nmig, char *err, size_t errlen)
{
	int have, known = nmig ? mig[nmig - 1].version : 0;

	/* Under the lock: nodes starting together make it once. */
	if (command(st, "BEGIN; " PG_WRITE_LOCK "; "
			"CREATE TABLE IF NOT EXISTS schema_migrations ("
			" version BIGINT PRIMARY KEY,"
			" name TEXT NOT NULL,"
			" applied_at BIGINT NOT NULL); COMMIT") ||
	    (have = current_version(st)) < 0) {
		if (PQtransactionStatus(st->conn) != PQTRANS_IDLE)
			command(st, "ROLLBACK");
		snprintf(err, errlen, "cannot read the schema version: %s",
			 PQerrorMessage(st->conn));
		err[strcspn(err, "\n")] = '\0';
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

int pg_store_open(const char *url, const struct store_migration *mig,
		  int nmig, struct store **out, char *err, size_t errlen)
{
	struct store *st;
	int rc;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return RUCHE_ENOMEM;
	st->ops = &store_pg_ops;
	st->conn = PQconnectdb(url);
	if (!st->conn || PQstatus(st->conn) != CONNECTION_OK) {
		/* libpq's message names the server, never the password. */
		snprintf(err, errlen, "cannot connect to PostgreSQL: %s",
			 st->conn ? PQerrorMessage(st->conn) : "out of memory");
		err[strcspn(err, "\n")] = '\0';
		rc = RUCHE_EIO;
		goto fail;
	}
	PQsetNoticeProcessor(st->conn, quiet_notices, NULL);
	rc = session_setup(st);
	if (rc) {
		snprintf(err, errlen, "cannot set up the session: %s",
			 PQerrorMessage(st->conn));
		goto fail;
	}
	rc = migrate(st, mig, nmig, err, errlen);
	if (rc)
		goto fail;
	*out = st;
	return 0;
fail:
	pgs_close(st);
	return rc;
}

void pgs_close(struct store *st)
{
	PQfinish(st->conn);
	free(st->prepared);
	free(st);
}

bool pgs_dirty(struct store *st)
{
	return st->depth && st->dirty;
}

/*
 * Durability: full waits for the commit to be flushed on the server,
 * normal lets PostgreSQL acknowledge before (it still never corrupts).
 */
int pgs_set_sync(struct store *st, bool full)
{
	st->sync_normal = !full;
	return command(st, full ? "SET synchronous_commit = on" :
				  "SET synchronous_commit = off");
}

int pgs_schema_version(struct store *st)
{
	return st->version;
}

/* ---- Transactions ---------------------------------------------------- */

int pgs_begin(struct store *st)
{
	int rc;

	if (st->lost)
		return st->lost;
	rc = reconnect(st);
	if (rc)
		return rc;
	if (st->depth)
		rc = command(st, "SAVEPOINT s");
	else
		rc = command(st, "BEGIN; " PG_WRITE_LOCK);
	/* BEGIN on a connection dropped meanwhile: again on a new one. */
	if (rc && dropped(st) && !(rc = reconnect(st)))
		rc = command(st, "BEGIN; " PG_WRITE_LOCK);
	if (rc) {
		if (!st->depth &&
		    PQtransactionStatus(st->conn) != PQTRANS_IDLE)
			command(st, "ROLLBACK");
		return rc;
	}
	if (st->depth++ == 0)
		st->dirty = false;
	return 0;
}

int pgs_commit(struct store *st)
{
	int rc;

	if (!st->depth)
		return RUCHE_EINVAL;
	/* Nothing of a lost transaction is left to commit; the caller
	 * rolls back, as after any failed commit. */
	if (st->lost)
		return st->lost;
	rc = command(st, st->depth > 1 ? "RELEASE s" : "COMMIT");
	if (rc) {
		if (st->depth == 1 &&
		    PQtransactionStatus(st->conn) == PQTRANS_IDLE) {
			/* The commit failed and ended the transaction. */
			st->lost = rc;
			st->lost_depth = 1;
		}
		return rc;
	}
	st->depth--;
	return 0;
}

void pgs_rollback(struct store *st)
{
	if (!st->depth)
		return;
	if (st->depth > 1) {
		command(st, "ROLLBACK TO s");
		command(st, "RELEASE s");
	} else if (PQtransactionStatus(st->conn) != PQTRANS_IDLE) {
		command(st, "ROLLBACK");
	}
	if (st->lost && st->depth <= st->lost_depth) {
		st->lost = 0;
		st->lost_depth = 0;
	}
	st->depth--;
}

bool pgs_in_transaction(struct store *st)
{
	return st->depth > 0;
}

/* Other nodes write all the time, and nothing cheap says what: yes. */
bool pgs_changed_elsewhere(struct store *st)
{
	(void)st;
	return true;
}

int pgs_end(struct store *st, int rc)
{
	if (!rc)
		rc = pgs_commit(st);
	if (rc)
		pgs_rollback(st);
	return rc;
}

/* ---- Leases ---------------------------------------------------------- */

#define PG_NOW_MS "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"

/* Taken when free, lapsed or already the holder's; renewed then. */
static struct pg_sql q_lease_take = PG_SQL(
	"INSERT INTO leases(name, holder, until) "
	"VALUES ($1, $2, " PG_NOW_MS " + $3::bigint) "
	"ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
	"until = excluded.until "
	"WHERE leases.holder = excluded.holder OR leases.until < " PG_NOW_MS
	" RETURNING holder");

int pgs_lease_take(struct store *st, const char *name, const char *holder,
		   int64_t ttl_ms, bool *held)
{
	struct pg_args a = { 0 };
	int rc;
	int64_t n;

	pg_arg_text(&a, name);
	pg_arg_text(&a, holder);
	pg_arg_i64(&a, ttl_ms);
	n = pg_run_count(st, &q_lease_take, &a, &rc);
	*held = !rc && n == 1;
	return rc;
}

/* ---- Presence across nodes ------------------------------------------ */

#define PG_TEXT(x) #x
#define PG_NUMBER(x) PG_TEXT(x)
#define PG_PRESENCE_UNTIL PG_NOW_MS " + " PG_NUMBER(STORE_PRESENCE_TTL_MS)

static struct pg_sql q_presence_put = PG_SQL(
	"INSERT INTO presence(user_id, node, away, until) "
	"VALUES ($1, $2, $3, " PG_PRESENCE_UNTIL ") "
	"ON CONFLICT (user_id, node) DO UPDATE SET away = excluded.away, "
	"until = excluded.until");
static struct pg_sql q_presence_gone = PG_SQL(
	"DELETE FROM presence WHERE user_id = $1 AND node = $2");
/* 0 offline, 1 away, 2 online: the best of the rows still valid. */
static struct pg_sql q_presence_of = PG_SQL(
	"SELECT coalesce(max(CASE WHEN away <> 0 THEN 1 ELSE 2 END), 0) "
	"FROM presence WHERE user_id = $1 AND until >= " PG_NOW_MS);
static struct pg_sql q_presence_renew = PG_SQL(
	"UPDATE presence SET until = " PG_PRESENCE_UNTIL " WHERE node = $1");
static struct pg_sql q_presence_expire = PG_SQL(
	"DELETE FROM presence WHERE until < " PG_NOW_MS " RETURNING user_id");

int pgs_presence_put(struct store *st, const char *node, int64_t user_id,
		     enum store_presence status)
{
	struct pg_args a = { 0 };

	pg_arg_i64(&a, user_id);
	pg_arg_text(&a, node);
	if (status == STORE_PRESENCE_OFFLINE)
		return pg_run(st, &q_presence_gone, &a, false);
	pg_arg_bool(&a, status == STORE_PRESENCE_AWAY);
	return pg_run(st, &q_presence_put, &a, false);
}

int pgs_presence_of(struct store *st, int64_t user_id,
		    enum store_presence *status)
{
	struct pg_args a = { 0 };
	int64_t v = 0;
	int rc;

	pg_arg_i64(&a, user_id);
	rc = pg_one(st, &q_presence_of, &a, pg_read_i64, &v);
	*status = v == 2 ? STORE_PRESENCE_ONLINE : v == 1 ?
		  STORE_PRESENCE_AWAY : STORE_PRESENCE_OFFLINE;
	return rc;
}

int pgs_presence_renew(struct store *st, const char *node)
{
	struct pg_args a = { 0 };

	pg_arg_text(&a, node);
	return pg_run(st, &q_presence_renew, &a, false);
}

int pgs_presence_expire(struct store *st, int64_t **users, size_t *n)
{
	struct pg_args a = { 0 };

	return pg_list(st, &q_presence_expire, &a, sizeof(**users),
		       pg_read_i64, (void **)users, n);
}

/*
 * Faults for tests: a read-only database is PostgreSQL's own
 * (default_transaction_read_only, for the transactions that start
 * next); a full disk cannot be made from a session, and is refused.
 */
int pgs_test_fault(struct store *st, enum store_fault fault)
{
	if (fault == STORE_FAULT_FULL)
		return RUCHE_EINVAL;
	return command(st, fault == STORE_FAULT_READ_ONLY ?
			       "SET default_transaction_read_only = on" :
			       "SET default_transaction_read_only = off");
}

const struct store_ops store_pg_ops = {
	.name = "postgres",
	.close = pgs_close,
	.dirty = pgs_dirty,
	STORE_OPS(STORE_OP_ENTRY, STORE_OP_VOID_ENTRY)
};
