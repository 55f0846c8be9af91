/*
 * Unit tests of the store when storage refuses writes (a full disk, a
 * read-only database), and of its backup, restore and check of files.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "ruche/err.h"
#include "ruche/store.h"

struct fixture {
	char dir[256];
	char path[300];
	struct store *st;
};

static int setup(void **state)
{
	struct fixture *fx = test_calloc(1, sizeof(*fx));
	const char *tmp = getenv("TMPDIR");
	char err[256] = "";

	snprintf(fx->dir, sizeof(fx->dir), "%s/ruche-backup-XXXXXX",
		 tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/ruche.db", fx->dir);
	assert_int_equal(store_open(fx->path, &fx->st, err, sizeof(err)), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[400];

	store_close(fx->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	assert_int_equal(system(cmd), 0);
	test_free(fx);
	return 0;
}

/* Inserts the user handle (with a long name, to fill pages fast). */
static int add_user(struct store *st, const char *handle)
{
	struct store_user u = { 0 };

	snprintf(u.handle, sizeof(u.handle), "%s", handle);
	memset(u.name, 'n', 200);
	snprintf(u.pw_hash, sizeof(u.pw_hash), "x");
	u.created_at = 1;
	return store_user_insert(st, &u);
}

static bool has_user(struct store *st, const char *handle)
{
	struct store_user u;

	return store_user_by_handle(st, handle, &u) == 0;
}

/*
 * A full disk makes SQLite roll the whole transaction back by itself.
 * Nothing may then run outside a transaction (it would commit on its
 * own), reads go on, and the commit must fail with storage_full, not
 * pretend to succeed.
 */
static void test_full_loses_the_transaction(void **state)
{
	struct fixture *fx = *state;
	struct store *st = fx->st;
	char handle[32];
	int rc = 0, i;

	assert_int_equal(add_user(st, "kept"), 0);
	assert_int_equal(store_test_fault(st, STORE_FAULT_FULL), 0);
	assert_int_equal(store_begin(st), 0);
	assert_false(store_dirty(st));
	for (i = 0; i < 10000 && !rc; i++) {
		snprintf(handle, sizeof(handle), "u%d", i);
		rc = add_user(st, handle);
	}
	assert_int_equal(rc, RUCHE_EFULL);
	assert_true(i > 1);	/* the first ones fitted, in the same turn */
	/* Still inside (for the caller), in a transaction that holds
	 * nothing yet: reads work and see what was committed. */
	assert_true(store_in_transaction(st));
	assert_false(store_dirty(st));
	assert_true(has_user(st, "kept"));
	assert_false(has_user(st, "u0"));
	rc = add_user(st, "late");
	assert_true(rc == 0 || rc == RUCHE_EFULL);
	assert_int_equal(store_begin(st), RUCHE_EFULL);	/* a savepoint */
	assert_int_equal(store_commit(st), RUCHE_EFULL);
	store_rollback(st);
	assert_false(store_in_transaction(st));
	/* Nothing of it was stored: not the first users, not the late one. */
	assert_false(has_user(st, "u0"));
	assert_false(has_user(st, "late"));

	/* Space is back: writes work again on the same store. */
	assert_int_equal(store_test_fault(st, STORE_FAULT_NONE), 0);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(add_user(st, "u0"), 0);
	assert_int_equal(store_commit(st), 0);
	assert_true(has_user(st, "u0"));
}

/* Nested transactions lost at depth 2 unwind to nothing. */
static void test_full_in_a_savepoint(void **state)
{
	struct fixture *fx = *state;
	struct store *st = fx->st;
	char handle[32];
	int rc = 0;

	assert_int_equal(store_test_fault(st, STORE_FAULT_FULL), 0);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_begin(st), 0);
	for (int i = 0; i < 10000 && !rc; i++) {
		snprintf(handle, sizeof(handle), "s%d", i);
		rc = add_user(st, handle);
	}
	assert_int_equal(rc, RUCHE_EFULL);
	assert_int_equal(store_end(st, rc), RUCHE_EFULL);	/* inner */
	assert_true(store_in_transaction(st));
	assert_int_equal(store_commit(st), RUCHE_EFULL);	/* outer */
	store_rollback(st);
	assert_false(store_in_transaction(st));
	assert_int_equal(store_test_fault(st, STORE_FAULT_NONE), 0);
	assert_int_equal(add_user(st, "after"), 0);
	assert_true(has_user(st, "after"));
	assert_false(has_user(st, "s0"));
}

/* A read-only database: no transaction opens, each write is refused on
 * its own, reads work. */
static void test_read_only(void **state)
{
	struct fixture *fx = *state;
	struct store *st = fx->st;

	assert_int_equal(add_user(st, "before"), 0);
	assert_int_equal(store_test_fault(st, STORE_FAULT_READ_ONLY), 0);
	assert_int_equal(store_begin(st), RUCHE_EROFS);
	assert_false(store_in_transaction(st));
	assert_int_equal(add_user(st, "refused"), RUCHE_EROFS);
	assert_true(has_user(st, "before"));
	assert_false(has_user(st, "refused"));
	assert_int_equal(store_test_fault(st, STORE_FAULT_NONE), 0);
	assert_int_equal(add_user(st, "refused"), 0);
	assert_string_equal(ruche_err_code(RUCHE_EFULL), "storage_full");
	assert_string_equal(ruche_err_code(RUCHE_EROFS), "storage_read_only");
}

static int lines, problem_lines;

static void count(void *arg, bool problem, const char *line)
{
	lines++;
	problem_lines += problem;
}

/* A backup of an open store while a transaction is open on it: the copy
 * has what was committed, and checks sound; restore puts it back. */
static void test_backup_restore_check(void **state)
{
	struct fixture *fx = *state;
	struct store_check res;
	char copy[400], back[400], err[512] = "";
	struct store *st2;

	snprintf(copy, sizeof(copy), "%s/copy.db", fx->dir);
	snprintf(back, sizeof(back), "%s/sub/back.db", fx->dir);
	assert_int_equal(add_user(fx->st, "kept"), 0);
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(add_user(fx->st, "uncommitted"), 0);
	assert_int_equal(store_backup(fx->path, copy, false, err, sizeof(err)),
			 0);
	store_rollback(fx->st);
	assert_int_equal(store_backup(fx->path, copy, false, err, sizeof(err)),
			 RUCHE_EEXIST);
	assert_int_equal(store_backup(fx->path, copy, true, err, sizeof(err)),
			 0);

	lines = problem_lines = 0;
	assert_int_equal(store_check_file(copy, &res, count, NULL, err,
					  sizeof(err)), 0);
	assert_int_equal(res.problems, 0);
	assert_int_equal(problem_lines, 0);
	/* integrity, foreign keys, search index, version */
	assert_int_equal(lines, 4);
	assert_int_equal(res.version, res.known);

	assert_int_equal(store_restore(copy, back, false, err, sizeof(err)), 0);
	assert_int_equal(store_restore(copy, back, false, err, sizeof(err)),
			 RUCHE_EEXIST);
	/* The store has the live database open: restore refuses it. */
	assert_int_equal(store_restore(copy, fx->path, true, err, sizeof(err)),
			 RUCHE_EBUSY);
	assert_non_null(strstr(err, "in use"));
	assert_int_equal(store_backup(copy, fx->path, true, err, sizeof(err)),
			 RUCHE_EBUSY);
	assert_int_equal(store_backup(fx->path, fx->path, true, err,
				      sizeof(err)), RUCHE_EINVAL);
	assert_true(has_user(fx->st, "kept"));
	assert_int_equal(store_open(back, &st2, err, sizeof(err)), 0);
	assert_true(has_user(st2, "kept"));
	assert_false(has_user(st2, "uncommitted"));
	store_close(st2);
	assert_int_equal(store_check_file("/nonexistent/ruche.db", &res, count,
					  NULL, err, sizeof(err)),
			 RUCHE_ENOTFOUND);
}

static long file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) ? 0 : (long)sb.st_size;
}

/*
 * Whether the database file grew from before and then stayed the same
 * for a while: the checkpoint thread copied the log and is done.
 */
static bool copied(const char *path, long before)
{
	long last = before;
	int still = 0;

	for (int ms = 0; ms < 20000 && still < 10; ms += 20) {
		long now = file_size(path);

		still = now > before && now == last ? still + 1 : 0;
		last = now;
		usleep(20000);
	}
	return still >= 10;
}

/*
 * Checkpoints run in a thread of their own, not inside commits: the log
 * is still copied back into the database as it passes
 * STORE_CHECKPOINT_PAGES, and starts again from its beginning, so it
 * does not grow without end.
 */
static void test_checkpoints_bound_the_log(void **state)
{
	struct fixture *fx = *state;
	/* A user of this test is ~230 bytes, with its handle's index
	 * entry: 20 of them fill more than a page. */
	const int users = STORE_CHECKPOINT_PAGES * 20;
	char wal[320], handle[32];
	long db0 = file_size(fx->path);

	snprintf(wal, sizeof(wal), "%s-wal", fx->path);
	for (int round = 0; round < 4; round++) {
		long before = file_size(fx->path);

		/* Over STORE_CHECKPOINT_PAGES pages of the log per round:
		 * each commit makes a checkpoint due, and the thread makes
		 * it. */
		assert_int_equal(store_begin(fx->st), 0);
		for (int i = 0; i < users; i++) {
			snprintf(handle, sizeof(handle), "u%d-%d", round, i);
			assert_int_equal(add_user(fx->st, handle), 0);
		}
		assert_int_equal(store_end(fx->st, 0), 0);
		assert_true(copied(fx->path, before));
	}
	assert_true(file_size(fx->path) >
		    db0 + 4L * STORE_CHECKPOINT_PAGES * 4096);
	/* Four rounds wrote over 4 * STORE_CHECKPOINT_PAGES pages to the
	 * log, which started again from its beginning after each
	 * checkpoint: its file is the size of the longest stretch between
	 * two (SQLite does not shrink it), a round or two. */
	assert_true(file_size(wal) < 3L * STORE_CHECKPOINT_PAGES * 4096);
}

/*
 * A database from before messages waited to be indexed (0012) checks
 * sound: every message of it is in the search index already.
 */
static void test_check_older_schema(void **state)
{
	struct fixture *fx = *state;
	struct store_check res;
	struct store *old;
	char path[400], err[512] = "";
	int n = 0;

	while (n < store_nmigrations && store_migrations[n].version < 12)
		n++;
	snprintf(path, sizeof(path), "%s/old.db", fx->dir);
	assert_int_equal(store_open_with(path, store_migrations, n, &old, err,
					 sizeof(err)), 0);
	store_close(old);
	lines = problem_lines = 0;
	assert_int_equal(store_check_file(path, &res, count, NULL, err,
					  sizeof(err)), 0);
	assert_int_equal(problem_lines, 0);
	assert_int_equal(res.problems, 0);
	assert_int_equal(res.version, 11);
}

/* A message of channel c by author a, written as msg.send does. */
static int64_t message(struct store *st, int64_t c, int64_t a,
		       const char *body)
{
	struct store_message m = { .channel_id = c, .author_id = a,
				   .body = (char *)body,
				   .created_at = 1800000000000 };

	assert_int_equal(store_msg_insert(st, &m), 0);
	return m.id;
}

/* A learner, *u, in a hive of two chat channels, c[0] and c[1]. */
static void learner_hive(struct store *st, struct store_user *u,
			 struct store_channel c[2])
{
	struct store_hive h = { .capacity = 12, .created_at = 1 };

	assert_int_equal(add_user(st, "learner"), 0);
	assert_int_equal(store_user_by_handle(st, "learner", u), 0);
	snprintf(h.name, sizeof(h.name), "Hive");
	assert_int_equal(store_hive_insert(st, &h), 0);
	assert_int_equal(store_member_insert(st, h.id, u->id, ROLE_LEARNER, 1),
			 0);
	for (int i = 0; i < 2; i++) {
		c[i] = (struct store_channel){ .hive_id = h.id,
					       .kind = CHANNEL_CHAT,
					       .position = i, .created_at = 1 };
		snprintf(c[i].name, sizeof(c[i].name), "chan-%d", i);
		assert_int_equal(store_channel_insert(st, &c[i]), 0);
	}
}

/* The ids a search as who finds, newest first, into ids. */
static size_t found(struct store *st, int64_t who, const char *q,
		    int64_t *ids)
{
	struct store_hit *hits;
	size_t n;

	assert_int_equal(store_search(st, who, q, 50, &hits, &n), 0);
	for (size_t i = 0; i < n; i++)
		ids[i] = hits[i].message_id;
	store_hit_list_free(hits, n);
	return n;
}

/*
 * A database from before search read channel by channel (0013) is
 * migrated with its messages searchable: the index made again under the
 * new keys, those that waited to be indexed included, edits and
 * deletions kept, the result checks sound.
 */
static void test_search_keys_migrated(void **state)
{
	struct fixture *fx = *state;
	struct store_channel c[2];
	struct store_user u;
	struct store *old;
	int64_t ids[50], alpha[4], edited, gone;
	char path[400], err[512] = "";
	int n = 0;

	while (n < store_nmigrations && store_migrations[n].version < 13)
		n++;
	snprintf(path, sizeof(path), "%s/old.db", fx->dir);
	assert_int_equal(store_open_with(path, store_migrations, n, &old, err,
					 sizeof(err)), 0);
	learner_hive(old, &u, c);
	/* 300 in one transaction are indexed at its commit; the last two
	 * outside one still wait. */
	assert_int_equal(store_begin(old), 0);
	alpha[3] = message(old, c[0].id, u.id, "alpha in the first");
	for (int i = 0; i < 300; i++)
		message(old, c[i % 2].id, u.id, "filler words");
	edited = message(old, c[1].id, u.id, "beta before its edit");
	gone = message(old, c[0].id, u.id, "alpha to be deleted");
	alpha[2] = message(old, c[1].id, u.id, "alpha in the second");
	assert_int_equal(store_end(old, 0), 0);
	assert_int_equal(store_msg_edit(old, edited, "alpha after its edit",
					1800000000001), 0);
	assert_int_equal(store_msg_tombstone(old, gone, 1800000000001), 0);
	alpha[1] = message(old, c[1].id, u.id, "waiting alpha");
	alpha[0] = message(old, c[0].id, u.id, "alpha waiting too");
	store_close(old);

	assert_int_equal(store_open(path, &old, err, sizeof(err)), 0);
	assert_int_equal(found(old, u.id, "alpha", ids), 5);
	assert_int_equal(ids[0], alpha[0]);
	assert_int_equal(ids[1], alpha[1]);
	assert_int_equal(ids[2], alpha[2]);
	assert_int_equal(ids[3], edited);
	assert_int_equal(ids[4], alpha[3]);
	assert_int_equal(found(old, u.id, "before", ids), 0);
	assert_int_equal(found(old, u.id, "filler", ids), 50);
	assert_int_equal(store_search_check(old), 0);
	store_close(old);
}

/*
 * `ruche optimize`: a search index written batch by batch (a segment for
 * each search that found messages waiting) is merged into one piece,
 * the messages still waiting included; searches find what they found.
 * Refused while the database is open, on an older schema, for
 * PostgreSQL and for no database at all.
 */
static void test_optimize_search(void **state)
{
	struct fixture *fx = *state;
	struct store_channel c[2];
	struct store_user u;
	struct store *old;
	int64_t ids[50], last = 0;
	char path[400], err[512] = "";
	int before = -1, after = -1, n = 0;

	learner_hive(fx->st, &u, c);
	/* Each search indexes what waits: a piece each round. */
	for (int round = 0; round < 6; round++) {
		message(fx->st, c[round % 2].id, u.id, "alpha of a round");
		message(fx->st, c[0].id, u.id, "filler words");
		assert_int_equal(found(fx->st, u.id, "alpha", ids),
				 (size_t)round + 1);
	}
	last = message(fx->st, c[1].id, u.id, "alpha still waiting");

	assert_int_equal(store_optimize_search(fx->path, &before, &after, err,
					       sizeof(err)), RUCHE_EBUSY);
	assert_non_null(strstr(err, "in use"));
	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(store_optimize_search(fx->path, &before, &after, err,
					       sizeof(err)), 0);
	assert_true(before >= 4);
	assert_int_equal(after, 1);

	assert_int_equal(store_open(fx->path, &fx->st, err, sizeof(err)), 0);
	assert_int_equal(found(fx->st, u.id, "alpha", ids), 7);
	assert_int_equal(ids[0], last);
	assert_int_equal(found(fx->st, u.id, "filler", ids), 6);
	assert_int_equal(store_search_check(fx->st), 0);

	/* A database this ruche has not migrated yet is left alone. */
	while (n < store_nmigrations &&
	       store_migrations[n].version < store_migrations[
			store_nmigrations - 1].version)
		n++;
	snprintf(path, sizeof(path), "%s/old.db", fx->dir);
	assert_int_equal(store_open_with(path, store_migrations, n, &old, err,
					 sizeof(err)), 0);
	store_close(old);
	assert_int_equal(store_optimize_search(path, &before, &after, err,
					       sizeof(err)), RUCHE_EINVAL);
	assert_non_null(strstr(err, "migrate it"));
	snprintf(path, sizeof(path), "%s/none.db", fx->dir);
	assert_int_equal(store_optimize_search(path, &before, &after, err,
					       sizeof(err)), RUCHE_ENOTFOUND);
	assert_int_equal(store_optimize_search("postgres://localhost/ruche",
					       &before, &after, err,
					       sizeof(err)), RUCHE_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_loses_the_transaction,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_in_a_savepoint,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_backup_restore_check,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_older_schema,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_optimize_search, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_search_keys_migrated,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoints_bound_the_log,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
