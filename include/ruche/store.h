/*
 * store.h - Ruche's storage API.
 *
 * Domain code calls these typed functions and never sees SQL, so that a
 * second backend (PostgreSQL) can implement this header later.  The
 * SQLite backend (store_sqlite.c) is the only file that includes sqlite3.h.
 *
 * Thread rules: a struct store belongs to the thread that opened it (the
 * event loop).  Other threads open their own.
 */
#ifndef RUCHE_STORE_H
#define RUCHE_STORE_H

#include <stddef.h>

struct store;

/* A schema migration: the SQL that takes the database to version. */
struct store_migration {
	int version;		/* 1, 2, 3, ... without gaps */
	const char *name;	/* file name under schema/migrations/ */
	const char *sql;	/* one or more statements */
};

/* Ruche's own migrations, compiled in from schema/migrations/. */
extern const struct store_migration store_migrations[];
extern const int store_nmigrations;

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

/* As store_open(), with a given list of migrations (tests use this). */
int store_open_with(const char *path, const struct store_migration *mig,
		    int nmig, struct store **out, char *err, size_t errlen);

/* Closes the store and frees it.  NULL is a no-op. */
void store_close(struct store *st);

/* The schema version of the open database (the last migration applied). */
int store_schema_version(struct store *st);

#endif
