/*
 * Unit tests of moderation: the guard's matching and the audit log's CSV
 * cells (pure), then the domain over a temporary store and a fake clock:
 * a mute that ends by itself, who may act on whom, the flood rule and
 * the retention purge in batches.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ruche/chat.h"
#include "ruche/err.h"
#include "ruche/hives.h"
#include "ruche/moderation.h"
#include "ruche/server.h"
#include "ruche/store.h"
#include "support/store_where.h"

static void test_blocked_whole_words(void **state)
{
	const char *words[] = { "darn", "bad phrase", "café" };

	assert_int_equal(mod_find_blocked("this is DARN annoying", words, 3),
			 0);
	assert_int_equal(mod_find_blocked("darn", words, 3), 0);
	assert_int_equal(mod_find_blocked("(darn!)", words, 3), 0);
	/* Inside a longer word it is another word. */
	assert_int_equal(mod_find_blocked("darned socks", words, 3), -1);
	assert_int_equal(mod_find_blocked("undarn", words, 3), -1);
	assert_int_equal(mod_find_blocked("what a Bad Phrase.", words, 3), 1);
	assert_int_equal(mod_find_blocked("bad phrases", words, 3), -1);
	/* Bytes of other scripts count as letters around a word. */
	assert_int_equal(mod_find_blocked("un café noir", words, 3), 2);
	assert_int_equal(mod_find_blocked("écafé", words, 3), -1);
	assert_int_equal(mod_find_blocked("darné", words, 3), -1);
	assert_int_equal(mod_find_blocked("", words, 3), -1);
	assert_int_equal(mod_find_blocked("darn", words, 0), -1);
}

static void test_count_links(void **state)
{
	assert_int_equal(mod_count_links("no links here"), 0);
	assert_int_equal(mod_count_links("see https://a.org and www.b.com"), 2);
	assert_int_equal(mod_count_links("HTTP://A.ORG"), 1);
	assert_int_equal(mod_count_links("http://a.org/http://b"), 1);
	assert_int_equal(mod_count_links("nowww.example"), 0);
	assert_int_equal(mod_count_links("(www.a.b) http://c"), 2);
}

/* One CSV cell, through mod_csv_field(). */
static char *cell(const char *in)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;

	assert_int_equal(mod_csv_field(&buf, &len, &cap, in), 0);
	return buf;
}

static void test_csv_fields(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "plain" },
		{ "", "" },
		{ "a,b", "\"a,b\"" },
		{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
		{ "two\nlines", "\"two\nlines\"" },
		/* Formulas are defused with a leading quote. */
		{ "=1+2", "'=1+2" },
		{ "+33 6", "'+33 6" },
		{ "-1", "'-1" },
		{ "@SUM(A1)", "'@SUM(A1)" },
		{ "=HYPERLINK(\"x\"),y", "\"'=HYPERLINK(\"\"x\"\"),y\"" },
		{ "a=b", "a=b" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = cell(cases[i].in);

		assert_string_equal(got, cases[i].out);
		free(got);
	}
}

static void test_csv_grows(void **state)
{
	char *buf = NULL, big[3000];
	size_t len = 0, cap = 0;

	memset(big, '"', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 50; i++)
		assert_int_equal(mod_csv_field(&buf, &len, &cap, big), 0);
	/* Each cell: quoted, every quote doubled. */
	assert_int_equal(len, 50 * (2 * (sizeof(big) - 1) + 2));
	assert_int_equal(strlen(buf), len);
	free(buf);
}

/* ---- The domain over a store ------------------------------------------ */

struct fixture {
	char dir[256];
	struct config cfg;
	struct clock_fake clock;
	struct store *st;
	struct server srv;
	int64_t hive, general;
	int64_t mentor, mentor2, ada;
};

static int64_t user(struct fixture *fx, const char *handle, enum role role)
{
	struct store_user u;

	assert_int_equal(accounts_create(&fx->srv, handle, handle,
					 "scrypt$1$1$1$x$y", false, &u), 0);
	assert_int_equal(hives_add_member(&fx->srv, ACTOR_OPERATOR, fx->hive,
					  u.id, role), 0);
	return u.id;
}

static int setup(void **state)
{
	struct fixture *fx = test_calloc(1, sizeof(*fx));
	const char *tmp = getenv("TMPDIR");
	struct store_channel *chans;
	struct store_hive h;
	char path[300], err[256];
	size_t n;

	snprintf(fx->dir, sizeof(fx->dir), "%s/ruche-mod-XXXXXX",
		 tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(fx->dir));
	test_store_where(fx->dir, "t.db", path, sizeof(path));
	assert_int_equal(store_open(path, &fx->st, err, sizeof(err)), 0);
	config_defaults(&fx->cfg);
	clock_fake_init(&fx->clock, 1800000000000);
	assert_int_equal(server_init(&fx->srv, &fx->cfg, &fx->clock.clock,
				     fx->st), 0);
	assert_int_equal(hives_create(&fx->srv, ACTOR_OPERATOR, "Hive", "", 0,
				      &h), 0);
	fx->hive = h.id;
	assert_int_equal(store_channel_list(fx->st, h.id, &chans, &n), 0);
	fx->general = chans[0].id;
	free(chans);
	fx->mentor = user(fx, "mentor", ROLE_MENTOR);
	fx->mentor2 = user(fx, "mentor2", ROLE_MENTOR);
	fx->ada = user(fx, "ada", ROLE_LEARNER);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[300];

	server_release(&fx->srv);
	store_close(fx->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	assert_int_equal(system(cmd), 0);
	test_free(fx);
	return 0;
}

static struct actor as(int64_t id)
{
	return (struct actor){ .user_id = id };
}

static int say(struct fixture *fx, int64_t who, const char *text)
{
	json_t *out = NULL;
	int rc = chat_send(&fx->srv, as(who), fx->general, text, 0, 0, NULL,
			   &out);

	json_decref(out);
	return rc;
}

/* How many audit entries of the hive have this action (NULL: all). */
static size_t audited(struct fixture *fx, const char *action)
{
	struct store_audit_filter f = { .hive_id = fx->hive, .action = action,
					.limit = 500 };
	struct store_audit *a;
	size_t n;

	assert_int_equal(store_audit_list(fx->st, &f, &a, &n), 0);
	free(a);
	return n;
}

static void test_mute_ends_by_itself(void **state)
{
	struct fixture *fx = *state;
	struct store_mute m;
	json_t *out = NULL, *until;

	assert_int_equal(mod_mute(&fx->srv, as(fx->mentor), fx->hive, fx->ada,
				  60, "calm down", &out), 0);
	json_decref(out);
	assert_int_equal(say(fx, fx->ada, "hello"), RUCHE_EMUTED);
	/* The refusal leaves its details for the reply. */
	until = json_object_get(fx->srv.err_detail, "until");
	assert_int_equal(json_integer_value(until),
			 1800000000000 + 60 * 1000);
	clock_fake_advance(&fx->clock, 59 * 1000);
	mod_housekeeping(&fx->srv, false);
	assert_int_equal(store_mute_get(fx->st, fx->hive, fx->ada, &m), 0);
	assert_int_equal(say(fx, fx->ada, "hello"), RUCHE_EMUTED);
	clock_fake_advance(&fx->clock, 1000);
	/* Over by the clock already, before the timer runs. */
	assert_int_equal(say(fx, fx->ada, "free"), 0);
	mod_housekeeping(&fx->srv, false);
	assert_int_equal(store_mute_get(fx->st, fx->hive, fx->ada, &m),
			 RUCHE_ENOTFOUND);
	assert_int_equal(audited(fx, "mute"), 1);
	assert_int_equal(audited(fx, "unmute"), 0);	/* nobody acted */
}

static void test_who_acts_on_whom(void **state)
{
	struct fixture *fx = *state;
	json_t *out = NULL;

	assert_int_equal(mod_mute(&fx->srv, as(fx->mentor), fx->hive,
				  fx->mentor2, 60, NULL, &out),
			 RUCHE_EFORBIDDEN);
	assert_int_equal(mod_kick(&fx->srv, as(fx->mentor), fx->hive,
				  fx->mentor2, NULL), RUCHE_EFORBIDDEN);
	assert_int_equal(mod_mute(&fx->srv, as(fx->ada), fx->hive, fx->mentor,
				  60, NULL, &out), RUCHE_EFORBIDDEN);
	assert_int_equal(mod_mute(&fx->srv, as(fx->mentor), fx->hive,
				  fx->mentor, 60, NULL, &out),
			 RUCHE_EFORBIDDEN);
	assert_int_equal(hives_role(&fx->srv, fx->hive, fx->mentor2),
			 ROLE_MENTOR);
	assert_int_equal(audited(fx, NULL), 0);
	/* An admin may. */
	assert_int_equal(mod_kick(&fx->srv, ACTOR_OPERATOR, fx->hive,
				  fx->mentor2, "test"), 0);
	assert_int_equal(hives_role(&fx->srv, fx->hive, fx->mentor2),
			 ROLE_NONE);
	assert_int_equal(audited(fx, "kick"), 1);
}

static void test_flood_mutes(void **state)
{
	struct fixture *fx = *state;
	struct store_guard g = { .blocked_words = "[]", .flood_messages = 2,
				 .flood_seconds = 10,
				 .flood_mute_seconds = 30 };
	struct store_mute m;

	assert_int_equal(store_guard_set(fx->st, fx->hive, &g), 0);
	assert_int_equal(say(fx, fx->ada, "one"), 0);
	assert_int_equal(say(fx, fx->ada, "two"), 0);
	assert_int_equal(say(fx, fx->mentor, "mentors are exempt"), 0);
	assert_int_equal(say(fx, fx->mentor, "so exempt"), 0);
	assert_int_equal(say(fx, fx->ada, "three"), RUCHE_EMUTED);
	assert_int_equal(store_mute_get(fx->st, fx->hive, fx->ada, &m), 0);
	assert_int_equal(m.by_id, 0);
	assert_int_equal(m.until, 1800000000000 + 30 * 1000);
	assert_int_equal(audited(fx, "flood_mute"), 1);
	/* The window slides: later, two more are fine again. */
	clock_fake_advance(&fx->clock, 31 * 1000);
	assert_int_equal(say(fx, fx->ada, "four"), 0);
}

static void test_purge_in_batches(void **state)
{
	struct fixture *fx = *state;
	int deleted = -1;

	for (int i = 0; i < 5; i++)
		assert_int_equal(say(fx, fx->ada, "old"), 0);
	clock_fake_advance(&fx->clock, 2 * 86400 * 1000LL);
	assert_int_equal(say(fx, fx->ada, "new"), 0);
	assert_int_equal(store_purge_batch(fx->st, fx->hive, 1800000000001, 2,
					   &deleted), 0);
	assert_int_equal(deleted, 2);
	assert_int_equal(store_purge_batch(fx->st, fx->hive, 1800000000001, 2,
					   &deleted), 0);
	assert_int_equal(deleted, 2);
	assert_int_equal(store_purge_batch(fx->st, fx->hive, 1800000000001, 2,
					   &deleted), 0);
	assert_int_equal(deleted, 1);
	assert_int_equal(store_purge_batch(fx->st, fx->hive, 1800000000001, 2,
					   &deleted), 0);
	assert_int_equal(deleted, 0);
	/* Through housekeeping, audited with its count. */
	assert_int_equal(store_retention_set(fx->st, fx->hive, 1), 0);
	mod_housekeeping(&fx->srv, true);
	/* The message left is newer than a day: kept. */
	assert_int_equal(audited(fx, "retention_purge"), 0);
	clock_fake_advance(&fx->clock, 86400 * 1000LL + 1);
	mod_housekeeping(&fx->srv, true);
	assert_int_equal(audited(fx, "retention_purge"), 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocked_whole_words),
		cmocka_unit_test(test_count_links),
		cmocka_unit_test(test_csv_fields),
		cmocka_unit_test(test_csv_grows),
		T(test_mute_ends_by_itself),
		T(test_who_acts_on_whom),
		T(test_flood_mutes),
		T(test_purge_in_batches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
