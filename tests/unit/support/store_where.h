/*
 * store_where.h - where a unit test's store is.
 *
 * ctest runs the store's unit tests twice: as unit.<name> on an SQLite
 * file, and as unit-pg.<name> with RUCHE_TEST_PG set to the address of a
 * scratch PostgreSQL database (scripts/pg-scratch.sh), where each store
 * a test opens is a new schema of its own.
 */
#ifndef RUCHE_TEST_STORE_WHERE_H
#define RUCHE_TEST_STORE_WHERE_H

#include <stdbool.h>
#include <stddef.h>

/* Whether this run is on PostgreSQL. */
bool test_store_is_pg(void);

/*
 * Writes to out the database a test opens: dir/file for SQLite, or a new
 * empty schema of RUCHE_TEST_PG's database (file is then only part of
 * its name).  Fails the test when the schema cannot be made.
 */
void test_store_where(const char *dir, const char *file, char *out,
		      size_t len);

/*
 * PostgreSQL only: ends the sessions of the connections that named
 * themselves `app` (application_name), as a restart of the server
 * would, and waits until they are gone.
 */
void test_store_pg_drop(const char *app);

#endif
