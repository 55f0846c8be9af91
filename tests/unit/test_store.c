/*
 * Unit tests of the store: opening, schema migrations, transactions.  Run
 * on SQLite (unit.test_store) and on PostgreSQL (unit-pg.test_store).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ruche/err.h"
#include "ruche/store.h"
#include "support/store_where.h"

struct fixture {
	char dir[256];
	char path[300];
};

static int setup(void **state)
{
	struct fixture *fx = test_calloc(1, sizeof(*fx));
	const char *tmp = getenv("TMPDIR");

	snprintf(fx->dir, sizeof(fx->dir), "%s/ruche-store-XXXXXX",
		 tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(fx->dir));
	/* A folder that does not exist yet: store_open must create it. */
	test_store_where(fx->dir, "sub/dir/test.db", fx->path,
			 sizeof(fx->path));
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	assert_int_equal(system(cmd), 0);
	test_free(fx);
	return 0;
}

static const struct store_migration two[] = {
	{ 1, "0001_a.sql", "CREATE TABLE a (x INTEGER);" },
	{ 2, "0002_b.sql", "CREATE TABLE b (y INTEGER); INSERT INTO a VALUES (1);" },
};

/* The migrations of the backend this run tests. */
static const struct store_migration *migrations(int *n)
{
	*n = test_store_is_pg() ? store_pg_nmigrations : store_nmigrations;
	return test_store_is_pg() ? store_pg_migrations : store_migrations;
}

static void test_real_migrations_apply(void **state)
{
	struct fixture *fx = *state;
	struct store *st;
	char err[256] = "";
	int n;
	const struct store_migration *mig = migrations(&n);

	assert_true(n >= 1);
	assert_int_equal(store_open(fx->path, &st, err, sizeof(err)), 0);
	assert_string_equal(store_backend(st),
			    test_store_is_pg() ? "postgres" : "sqlite");
	assert_int_equal(store_schema_version(st), mig[n - 1].version);
	store_close(st);
	/* Reopening applies nothing and keeps the version. */
	assert_int_equal(store_open(fx->path, &st, err, sizeof(err)), 0);
	assert_int_equal(store_schema_version(st), mig[n - 1].version);
	store_close(st);
	store_close(NULL);
}

static void test_migrations_numbered_without_gaps(void **state)
{
	int n;
	const struct store_migration *mig = migrations(&n);

	(void)state;
	for (int i = 0; i < n; i++)
		assert_int_equal(mig[i].version, i + 1);
}

static void test_incremental(void **state)
{
	struct fixture *fx = *state;
	struct store *st;
	char err[256] = "";

	assert_int_equal(store_open_with(fx->path, two, 1, &st, err,
					 sizeof(err)), 0);
	assert_int_equal(store_schema_version(st), 1);
	store_close(st);
	assert_int_equal(store_open_with(fx->path, two, 2, &st, err,
					 sizeof(err)), 0);
	assert_int_equal(store_schema_version(st), 2);
	store_close(st);
}

static void test_newer_database_refused(void **state)
{
	struct fixture *fx = *state;
	struct store *st;
	char err[256] = "";

	assert_int_equal(store_open_with(fx->path, two, 2, &st, err,
					 sizeof(err)), 0);
	store_close(st);
	assert_int_equal(store_open_with(fx->path, two, 1, &st, err,
					 sizeof(err)), RUCHE_ESCHEMA);
	assert_null(st);
	assert_non_null(strstr(err, "schema version 2"));
	assert_non_null(strstr(err, "newer"));
}

/* A failing migration leaves the database at the version before it. */
static void test_failed_migration_rolls_back(void **state)
{
	struct fixture *fx = *state;
	static const struct store_migration bad[] = {
		{ 1, "0001_a.sql", "CREATE TABLE a (x INTEGER);" },
		{ 2, "0002_bad.sql",
		  "CREATE TABLE half (z INTEGER); INSERT INTO nowhere VALUES (1);" },
	};
	struct store *st;
	char err[256] = "";

	assert_int_equal(store_open_with(fx->path, bad, 2, &st, err,
					 sizeof(err)), RUCHE_EIO);
	assert_null(st);
	assert_non_null(strstr(err, "0002_bad.sql"));
	assert_non_null(strstr(err, "nowhere"));
	/* Version 1 stayed; the half-made table of version 2 did not. */
	assert_int_equal(store_open_with(fx->path, bad, 1, &st, err,
					 sizeof(err)), 0);
	assert_int_equal(store_schema_version(st), 1);
	store_close(st);
	assert_int_equal(store_open_with(fx->path, two, 2, &st, err,
					 sizeof(err)), 0);
	store_close(st);
}

static void test_unopenable_path(void **state)
{
	struct store *st;
	char err[256] = "";

	(void)state;
	assert_int_not_equal(store_open("/proc/version/x/ruche.db", &st, err,
					sizeof(err)), 0);
	assert_null(st);
	assert_true(err[0] != '\0');
	/* A PostgreSQL server that is not there: said, in one line. */
	err[0] = '\0';
	assert_int_equal(store_open("postgresql://ruche@/ruche?host=/nowhere",
				    &st, err, sizeof(err)), RUCHE_EIO);
	assert_null(st);
	assert_non_null(strstr(err, "cannot connect to PostgreSQL"));
	assert_null(strchr(err, '\n'));
}

/* Transactions nest: an inner rollback undoes only the inner part. */
static void test_nested_transactions(void **state)
{
	struct fixture *fx = *state;
	struct store_user u = { .name = "Ada", .pw_hash = "h" }, got;
	struct store *st;
	char err[256] = "";

	assert_int_equal(store_open(fx->path, &st, err, sizeof(err)), 0);
	assert_int_equal(store_commit(st), RUCHE_EINVAL);
	assert_int_equal(store_begin(st), 0);
	assert_true(store_in_transaction(st));
	strcpy(u.handle, "outer");
	assert_int_equal(store_user_insert(st, &u), 0);
	assert_int_equal(store_begin(st), 0);
	strcpy(u.handle, "inner");
	assert_int_equal(store_user_insert(st, &u), 0);
	store_rollback(st);
	assert_true(store_in_transaction(st));
	assert_int_equal(store_begin(st), 0);
	strcpy(u.handle, "kept");
	assert_int_equal(store_user_insert(st, &u), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_commit(st), 0);
	assert_false(store_in_transaction(st));
	assert_int_equal(store_user_by_handle(st, "outer", &got), 0);
	assert_int_equal(store_user_by_handle(st, "kept", &got), 0);
	assert_int_equal(store_user_by_handle(st, "inner", &got),
			 RUCHE_ENOTFOUND);
	/* A duplicate handle is told apart from other failures. */
	strcpy(u.handle, "kept");
	assert_int_equal(store_user_insert(st, &u), RUCHE_EEXIST);
	store_close(st);
}

/*
 * A duplicate inside a transaction costs only its own statement: the
 * transaction goes on and commits the rest (PostgreSQL would give up the
 * whole transaction at the error; the backend keeps SQLite's behaviour).
 */
static void test_conflict_keeps_the_transaction(void **state)
{
	struct fixture *fx = *state;
	struct store_user u = { .name = "Ada", .pw_hash = "h" }, got;
	struct store *st;
	char err[256] = "";

	assert_int_equal(store_open(fx->path, &st, err, sizeof(err)), 0);
	strcpy(u.handle, "ada");
	assert_int_equal(store_user_insert(st, &u), 0);
	assert_int_equal(store_begin(st), 0);
	assert_false(store_dirty(st));
	strcpy(u.handle, "ben");
	assert_int_equal(store_user_insert(st, &u), 0);
	assert_true(store_dirty(st));
	strcpy(u.handle, "ada");
	assert_int_equal(store_user_insert(st, &u), RUCHE_EEXIST);
	strcpy(u.handle, "cleo");
	assert_int_equal(store_user_insert(st, &u), 0);
	assert_int_equal(store_commit(st), 0);
	assert_false(store_dirty(st));
	assert_int_equal(store_user_by_handle(st, "ben", &got), 0);
	assert_int_equal(store_user_by_handle(st, "cleo", &got), 0);
	store_close(st);
}

/* Two stores on one database (two nodes): each sees what the other
 * committed, and never what it has not. */
static void test_two_stores_one_database(void **state)
{
	struct fixture *fx = *state;
	struct store_user u = { .name = "Ada", .pw_hash = "h" }, got;
	struct store *a, *b;
	char err[256] = "";

	assert_int_equal(store_open(fx->path, &a, err, sizeof(err)), 0);
	assert_int_equal(store_open(fx->path, &b, err, sizeof(err)), 0);
	strcpy(u.handle, "ada");
	assert_int_equal(store_user_insert(a, &u), 0);
	assert_int_equal(store_user_by_handle(b, "ada", &got), 0);
	assert_int_equal(got.id, u.id);
	assert_int_equal(store_begin(a), 0);
	strcpy(u.handle, "ben");
	assert_int_equal(store_user_insert(a, &u), 0);
	assert_int_equal(store_user_by_handle(b, "ben", &got),
			 RUCHE_ENOTFOUND);
	store_rollback(a);
	assert_int_equal(store_user_by_handle(a, "ben", &got),
			 RUCHE_ENOTFOUND);
	store_close(a);
	store_close(b);
}

/*
 * PostgreSQL drops the store's connection (a restart): the next read
 * and the next transaction work on a new one, with the statements
 * prepared again.  Run on PostgreSQL only: SQLite has no connection to
 * lose.
 */
static void test_pg_connection_dropped(void **state)
{
	struct fixture *fx = *state;
	struct store_user u = { .name = "Ada", .pw_hash = "h" }, got;
	char where[512], err[256] = "";
	struct store *st;

	snprintf(where, sizeof(where), "%s&application_name=ruche_dropped",
		 fx->path);
	assert_int_equal(store_open(where, &st, err, sizeof(err)), 0);
	strcpy(u.handle, "ada");
	assert_int_equal(store_user_insert(st, &u), 0);
	assert_int_equal(store_user_by_handle(st, "ada", &got), 0);
	test_store_pg_drop("ruche_dropped");
	assert_int_equal(store_user_by_handle(st, "ada", &got), 0);
	assert_int_equal(got.id, u.id);
	test_store_pg_drop("ruche_dropped");
	assert_int_equal(store_begin(st), 0);
	strcpy(u.handle, "ben");
	assert_int_equal(store_user_insert(st, &u), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_user_by_handle(st, "ben", &got), 0);
	store_close(st);
}

/* Logs and messages show where the database is, never its password. */
static void test_where_shown_hides_passwords(void **state)
{
	static const char *const cases[][2] = {
		{ "./var/ruche.db", "./var/ruche.db" },
		{ "postgres://ruche@db.example.org/ruche",
		  "postgres://ruche@db.example.org/ruche" },
		{ "postgres://ruche:s3cret@db.example.org:5433/ruche",
		  "postgres://ruche:***@db.example.org:5433/ruche" },
		{ "postgresql://u:p%40ss@h/db?sslmode=require&password=x2",
		  "postgresql://u:***@h/db?sslmode=require&password=***" },
		{ "postgresql:///ruche?password=abc&host=/run/pg",
		  "postgresql:///ruche?password=***&host=/run/pg" },
	};
	char out[128], small[16];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		store_where_shown(cases[i][0], out, sizeof(out));
		assert_string_equal(out, cases[i][1]);
	}
	/* Cut short, still without the secret. */
	store_where_shown("postgres://ruche:s3cret@h/db", small,
			  sizeof(small));
	assert_null(strstr(small, "s3c"));
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_real_migrations_apply,
						setup, teardown),
		cmocka_unit_test(test_migrations_numbered_without_gaps),
		cmocka_unit_test_setup_teardown(test_incremental, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_newer_database_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_migration_rolls_back,
						setup, teardown),
		cmocka_unit_test(test_unopenable_path),
		cmocka_unit_test_setup_teardown(test_nested_transactions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_conflict_keeps_the_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_stores_one_database,
						setup, teardown),
		cmocka_unit_test(test_where_shown_hides_passwords),
	};
	const struct CMUnitTest pg_tests[] = {
		cmocka_unit_test_setup_teardown(test_pg_connection_dropped,
						setup, teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	if (test_store_is_pg())
		failed += cmocka_run_group_tests(pg_tests, NULL, NULL);
	return failed;
}
