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

struct store {
	sqlite3 *db;		/* owned */
	int version;		/* schema version after migrations */
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
	sqlite3_close(st->db);
	free(st);
}

int store_schema_version(struct store *st)
{
	return st->version;
}
