/* Unit tests of the SQLite store: opening and schema migrations. */
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
	snprintf(fx->path, sizeof(fx->path), "%s/sub/dir/test.db", fx->dir);
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

static void test_real_migrations_apply(void **state)
{
	struct fixture *fx = *state;
	struct store *st;
	char err[256] = "";

	assert_true(store_nmigrations >= 1);
	assert_int_equal(store_open(fx->path, &st, err, sizeof(err)), 0);
	assert_int_equal(store_schema_version(st),
			 store_migrations[store_nmigrations - 1].version);
	store_close(st);
	/* Reopening applies nothing and keeps the version. */
	assert_int_equal(store_open(fx->path, &st, err, sizeof(err)), 0);
	assert_int_equal(store_schema_version(st),
			 store_migrations[store_nmigrations - 1].version);
	store_close(st);
	store_close(NULL);
}

static void test_migrations_numbered_without_gaps(void **state)
{
	for (int i = 0; i < store_nmigrations; i++)
		assert_int_equal(store_migrations[i].version, i + 1);
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

	assert_int_not_equal(store_open("/proc/version/x/ruche.db", &st, err,
					sizeof(err)), 0);
	assert_null(st);
	assert_true(err[0] != '\0');
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
