/*
 * Unit tests of meetups: grouping people for breakouts (pure), then the
 * runner over a temporary store and a fake clock: a whole 1-2-4-All
 * (about 15 minutes) played in milliseconds with the right steps and
 * groups, pairs that avoid recent partners, and a missed meetup; what
 * someone opening a meetup in the middle is told (its live state, paused
 * too), and its results: attendance, no-shows once it has ended, NPS.
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
#include "ruche/hives.h"
#include "ruche/meetups.h"
#include "ruche/server.h"
#include "ruche/store.h"
#include "support/store_where.h"

/* Whether two people of ids ended in the same group. */
static bool together(const int64_t *ids, const int *g, size_t n, int64_t a,
		     int64_t b)
{
	int ga = -1, gb = -2;

	for (size_t i = 0; i < n; i++) {
		if (ids[i] == a)
			ga = g[i];
		if (ids[i] == b)
			gb = g[i];
	}
	return ga == gb;
}

static void test_groups_sizes(void **state)
{
	const int64_t ids[] = { 1, 2, 3, 4, 5, 6, 7 };
	int g[7], count[7];

	(void)state;
	/* An odd one out makes a trio. */
	assert_int_equal(meetup_groups_make(ids, 3, 2, NULL, 0, g), 1);
	assert_true(g[0] == 0 && g[1] == 0 && g[2] == 0);
	/* Five in pairs: a pair and a trio. */
	assert_int_equal(meetup_groups_make(ids, 5, 2, NULL, 0, g), 2);
	memset(count, 0, sizeof(count));
	for (int i = 0; i < 5; i++)
		count[g[i]]++;
	assert_true((count[0] == 3 && count[1] == 2) ||
		    (count[0] == 2 && count[1] == 3));
	/* Seven in fours: nobody alone, one group. */
	assert_int_equal(meetup_groups_make(ids, 7, 4, NULL, 0, g), 1);
	/* One person: a group of one. */
	assert_int_equal(meetup_groups_make(ids, 1, 2, NULL, 0, g), 1);
	assert_int_equal(g[0], 0);
}

static void test_groups_avoid_recent(void **state)
{
	const int64_t ids[] = { 1, 2, 3, 4, 5, 6 };
	/* 1-2, 3-4 and 5-6 were just paired: all three are split. */
	const int64_t recent[] = { 1, 2, 2, 1, 3, 4, 4, 3, 5, 6, 6, 5 };
	int g[6];

	(void)state;
	assert_int_equal(meetup_groups_make(ids, 6, 2, recent, 6, g), 3);
	assert_false(together(ids, g, 6, 1, 2));
	assert_false(together(ids, g, 6, 3, 4));
	assert_false(together(ids, g, 6, 5, 6));
	/* Without history the first pairs are the first people. */
	assert_int_equal(meetup_groups_make(ids, 6, 2, NULL, 0, g), 3);
}

/* ---- The runner over a store ----------------------------------------- */

struct fixture {
	char dir[256];
	struct config cfg;
	struct clock_fake clock;
	struct store *st;
	struct server srv;
	int64_t hive, mentor, learners[4];
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
	const char *names[] = { "ann", "ben", "cat", "dan" };
	struct store_hive h;
	char path[300], err[256];

	snprintf(fx->dir, sizeof(fx->dir), "%s/ruche-meet-XXXXXX",
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
	fx->mentor = user(fx, "mira", ROLE_MENTOR);
	for (int i = 0; i < 4; i++)
		fx->learners[i] = user(fx, names[i], ROLE_LEARNER);
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

/* Schedules a template start_in ms from now; returns the meetup's id. */
static int64_t schedule(struct fixture *fx, const char *template_id,
			int64_t start_in)
{
	struct meetup_source src = { .template_id = template_id };
	struct meetup_errors errs;
	char why[MEETUP_WHY_MAX] = "";
	int64_t at = clock_wall_ms(&fx->clock.clock) + start_in;
	json_t *out = NULL;
	int64_t id;

	meetup_errors_init(&errs);
	assert_int_equal(meetups_schedule(&fx->srv, as(fx->mentor), fx->hive,
					  &src, at, NULL, 0, &errs, why, &out),
			 0);
	meetup_errors_release(&errs);
	id = json_integer_value(json_object_get(json_object_get(out, "meetup"),
						"id"));
	json_decref(out);
	return id;
}

static void tick(struct fixture *fx, int64_t ms)
{
	clock_fake_advance(&fx->clock, ms);
	meetups_housekeeping(&fx->srv);
}

static void get(struct fixture *fx, int64_t id, struct store_meetup *m)
{
	assert_int_equal(store_meetup_get(fx->st, id, m), 0);
	store_meetup_release(m);	/* the fields stay */
}

/* The groups of a step: their number, and each one's size in sizes. */
static int groups(struct fixture *fx, int64_t id, int step, int *sizes)
{
	struct store_group *g;
	size_t n;
	int ngroups = 0;

	assert_int_equal(store_group_list(fx->st, id, step, &g, &n), 0);
	for (size_t i = 0; i < n; i++) {
		if (g[i].group_no + 1 > ngroups)
			ngroups = g[i].group_no + 1;
		sizes[g[i].group_no]++;
		/* Each group of two or more talks in its conversation. */
		assert_true(g[i].channel_id > 0);
	}
	free(g);
	return ngroups;
}

static void join_all(struct fixture *fx, int64_t id, int n)
{
	char why[MEETUP_WHY_MAX];
	json_t *out = NULL;

	for (int i = 0; i < n; i++) {
		assert_int_equal(meetups_join(&fx->srv, as(fx->learners[i]),
					      id, why, &out), 0);
		json_decref(out);
	}
}

static void test_one_two_four_all(void **state)
{
	struct fixture *fx = *state;
	int64_t id = schedule(fx, "1-2-4-all", 3600 * 1000);
	struct store_meetup m;
	int sizes[4] = { 0 };

	tick(fx, 3600 * 1000 - 1);
	get(fx, id, &m);
	assert_string_equal(m.state, "scheduled");
	tick(fx, 1);
	get(fx, id, &m);
	assert_string_equal(m.state, "running");
	assert_int_equal(m.step, 0);
	assert_true(m.channel_id > 0);
	join_all(fx, id, 4);
	tick(fx, 60 * 1000);
	get(fx, id, &m);
	assert_int_equal(m.step, 1);
	/* 2 - in pairs: two pairs, each in its own conversation. */
	tick(fx, 60 * 1000);
	get(fx, id, &m);
	assert_int_equal(m.step, 2);
	assert_int_equal(groups(fx, id, 2, sizes), 2);
	assert_true(sizes[0] == 2 && sizes[1] == 2);
	/* 4 - in fours: everyone together. */
	tick(fx, 120 * 1000);
	get(fx, id, &m);
	assert_int_equal(m.step, 3);
	memset(sizes, 0, sizeof(sizes));
	assert_int_equal(groups(fx, id, 3, sizes), 1);
	assert_int_equal(sizes[0], 4);
	/* A jump over the rest: every step passes, then the end. */
	tick(fx, 240 * 1000 + 300 * 1000);
	get(fx, id, &m);
	assert_int_equal(m.step, 5);
	tick(fx, 90 * 1000);
	get(fx, id, &m);
	assert_string_equal(m.state, "ended");
	assert_int_equal(m.ended_at, m.started_at + 870 * 1000);
}

static void test_pairs_avoid_last_week(void **state)
{
	struct fixture *fx = *state;
	int64_t first = schedule(fx, "1-2-4-all", 60 * 1000), second;
	struct store_group *a, *b;
	size_t na, nb;

	tick(fx, 60 * 1000);
	join_all(fx, first, 4);
	tick(fx, 120 * 1000);
	assert_int_equal(store_group_list(fx->st, first, 2, &a, &na), 0);
	assert_int_equal(na, 4);
	tick(fx, 86400 * 1000);
	second = schedule(fx, "1-2-4-all", 60 * 1000);
	tick(fx, 60 * 1000);
	join_all(fx, second, 4);
	tick(fx, 120 * 1000);
	assert_int_equal(store_group_list(fx->st, second, 2, &b, &nb), 0);
	assert_int_equal(nb, 4);
	/* Nobody has the partner they had last time. */
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < na; j++) {
			int64_t x = a[i].user_id, y = a[j].user_id;
			int gx = -1, gy = -2;

			if (i == j || a[i].group_no != a[j].group_no)
				continue;
			for (size_t k = 0; k < nb; k++) {
				if (b[k].user_id == x)
					gx = b[k].group_no;
				if (b[k].user_id == y)
					gy = b[k].group_no;
			}
			assert_int_not_equal(gx, gy);
		}
	free(a);
	free(b);
}

static void test_missed_while_down(void **state)
{
	struct fixture *fx = *state;
	int64_t late = schedule(fx, "weekly-check-in", 60 * 1000);
	int64_t gone = schedule(fx, "1-2-4-all", 60 * 1000);
	struct store_meetup m;

	/* 1-2-4-All lasts 870 s, the check-in longer: one jump of 900 s
	 * misses the first only. */
	tick(fx, 60 * 1000 + 900 * 1000);
	get(fx, gone, &m);
	assert_string_equal(m.state, "missed");
	assert_int_equal(m.channel_id, 0);
	/* The other was run from its start time, not missed: with nobody
	 * there its rounds were short, and it is over already. */
	get(fx, late, &m);
	assert_string_equal(m.state, "ended");
	assert_true(m.channel_id > 0);
	assert_int_equal(m.started_at, m.start_at);
}

/* A round of two 20-second turns (speaker_only), then feedback. */
static const char ROUND_SCRIPT[] =
	"{\"title\": \"Round\", \"steps\": ["
	"{\"kind\": \"round\", \"title\": \"R\", \"text\": \"Speak\", "
	"\"duration_s\": 40, \"turn_s\": 20, \"order\": \"join\", "
	"\"speaker_only\": true}, "
	"{\"kind\": \"feedback\", \"title\": \"F\", \"text\": \"Tell\", "
	"\"duration_s\": 60, \"question\": \"Recommend it?\"}]}";

static json_t *live_of(struct fixture *fx, int64_t id, int64_t user_id)
{
	json_t *out = NULL, *live;

	assert_int_equal(meetups_get(&fx->srv, as(user_id), id, &out), 0);
	live = json_incref(json_object_get(json_object_get(out, "meetup"),
					   "live"));
	json_decref(out);
	return live;
}

static void test_live_and_results(void **state)
{
	struct fixture *fx = *state;
	struct meetup_source src = { .text = ROUND_SCRIPT };
	struct meetup_errors errs;
	struct store_meetup_stats ms;
	char why[MEETUP_WHY_MAX] = "";
	int64_t t0 = clock_wall_ms(&fx->clock.clock), id;
	json_t *out = NULL, *live, *att, *fb;

	meetup_errors_init(&errs);
	assert_int_equal(meetups_schedule(&fx->srv, as(fx->mentor), fx->hive,
					  &src, t0 + 60000, NULL, 0, &errs,
					  why, &out), 0);
	meetup_errors_release(&errs);
	id = json_integer_value(json_object_get(json_object_get(out, "meetup"),
						"id"));
	json_decref(out);
	/* ann, ben and cat say going; cat never comes, dan comes unasked. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(meetups_rsvp(&fx->srv, as(fx->learners[i]),
					      id, "going", why, &out), 0);
		json_decref(out);
	}
	assert_null(live_of(fx, id, fx->learners[0]));	/* not under way */
	tick(fx, 60000);
	for (int i = 0; i < 4; i += i == 1 ? 2 : 1) {
		assert_int_equal(meetups_join(&fx->srv, as(fx->learners[i]),
					      id, why, &out), 0);
		json_decref(out);
	}
	/* On to the feedback: one who comes now sees that step. */
	assert_int_equal(meetups_control(&fx->srv, as(fx->mentor), id,
					 MEETUP_CTL_SKIP, 0, why, &out), 0);
	json_decref(out);
	assert_int_equal(meetups_control(&fx->srv, as(fx->mentor), id,
					 MEETUP_CTL_START, 0, why, &out),
			 RUCHE_EINVAL);
	live = live_of(fx, id, fx->learners[3]);
	assert_non_null(live);
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(live, "step"), "kind")), "feedback");
	json_decref(live);
	/* Results so far: nobody is a no-show before the end. */
	assert_int_equal(meetups_results(&fx->srv, as(fx->mentor), id, &out),
			 0);
	att = json_object_get(out, "attendance");
	assert_int_equal(json_integer_value(json_object_get(att, "going")), 3);
	assert_int_equal(json_integer_value(json_object_get(att, "came")), 3);
	assert_int_equal(json_integer_value(json_object_get(att,
							    "no_shows")), 0);
	json_decref(out);
	assert_int_equal(meetups_feedback(&fx->srv, as(fx->learners[0]), id,
					  10, "Good", why), 0);
	assert_int_equal(meetups_feedback(&fx->srv, as(fx->learners[1]), id,
					  5, "", why), 0);
	tick(fx, 60000);

	assert_int_equal(meetups_results(&fx->srv, as(fx->learners[0]), id,
					 &out), RUCHE_EFORBIDDEN);
	assert_int_equal(meetups_results(&fx->srv, as(fx->mentor), id, &out),
			 0);
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(out, "meetup"), "state")), "ended");
	att = json_object_get(out, "attendance");
	assert_int_equal(json_integer_value(json_object_get(att,
							    "came_going")), 2);
	assert_int_equal(json_integer_value(json_object_get(att,
							    "no_shows")), 1);
	assert_int_equal(json_integer_value(json_array_get(
		json_object_get(att, "no_show_ids"), 0)), fx->learners[2]);
	assert_true(json_real_value(json_object_get(att, "rate")) > 0.66 &&
		    json_real_value(json_object_get(att, "rate")) < 0.67);
	fb = json_object_get(out, "feedback");
	assert_int_equal(json_integer_value(json_object_get(fb, "answers")), 2);
	assert_int_equal(json_integer_value(json_object_get(fb, "passives")),
			 0);
	assert_true(json_real_value(json_object_get(fb, "nps")) == 0.0);
	assert_true(json_real_value(json_object_get(fb, "average")) == 7.5);
	assert_int_equal(json_integer_value(json_array_get(
		json_object_get(fb, "scores"), 10)), 1);
	/* Only the comments given, without their authors. */
	assert_int_equal(json_array_size(json_object_get(fb, "comments")), 1);
	assert_string_equal(json_string_value(json_array_get(
		json_object_get(fb, "comments"), 0)), "Good");
	json_decref(out);

	/* The mentor who scheduled it led it. */
	assert_int_equal(store_mentor_meetup_stats(fx->st, fx->mentor, 0, t0,
						   t0 + 86400000, &ms), 0);
	assert_int_equal(ms.held, 1);
	assert_int_equal(ms.going, 3);
	assert_int_equal(ms.attended, 2);
	assert_int_equal(store_mentor_meetup_stats(fx->st, fx->learners[0], 0,
						   t0, t0 + 86400000, &ms), 0);
	assert_int_equal(ms.held, 0);
}

/* A round's turn as meetup.get tells it, running and paused. */
static void test_live_round(void **state)
{
	struct fixture *fx = *state;
	struct meetup_source src = { .text = ROUND_SCRIPT };
	struct meetup_errors errs;
	char why[MEETUP_WHY_MAX] = "";
	int64_t t0 = clock_wall_ms(&fx->clock.clock), id;
	json_t *out = NULL, *live, *turn, *step;

	meetup_errors_init(&errs);
	assert_int_equal(meetups_schedule(&fx->srv, as(fx->mentor), fx->hive,
					  &src, t0 + 60000, NULL, 0, &errs,
					  why, &out), 0);
	meetup_errors_release(&errs);
	id = json_integer_value(json_object_get(json_object_get(out, "meetup"),
						"id"));
	json_decref(out);
	/* Started by hand; ann then ben join and speak in that order. */
	assert_int_equal(meetups_control(&fx->srv, as(fx->mentor), id,
					 MEETUP_CTL_START, 0, why, &out), 0);
	json_decref(out);
	join_all(fx, id, 2);
	tick(fx, 20000);	/* ben has the floor now */
	live = live_of(fx, id, fx->learners[1]);
	step = json_object_get(live, "step");
	assert_string_equal(json_string_value(json_object_get(step, "kind")),
			    "round");
	assert_true(json_is_true(json_object_get(step, "speaker_only")));
	assert_int_equal(json_integer_value(json_object_get(step, "turn_s")),
			 20);
	turn = json_object_get(live, "turn");
	assert_non_null(turn);
	assert_int_equal(json_integer_value(json_object_get(turn, "user_id")),
			 fx->learners[1]);
	assert_int_equal(json_integer_value(json_object_get(turn, "position")),
			 1);
	assert_non_null(json_object_get(turn, "ends_at"));
	assert_int_equal(json_array_size(json_object_get(live,
							 "participants")), 2);
	json_decref(live);
	/* Paused, the turn has no end; the meetup says the time left. */
	assert_int_equal(meetups_control(&fx->srv, as(fx->mentor), id,
					 MEETUP_CTL_PAUSE, 0, why, &out), 0);
	assert_non_null(json_object_get(json_object_get(out, "meetup"),
					"paused_left_ms"));
	assert_null(json_object_get(json_object_get(out, "meetup"),
				    "step_ends_at"));
	json_decref(out);
	live = live_of(fx, id, fx->learners[0]);
	turn = json_object_get(live, "turn");
	assert_non_null(turn);
	assert_null(json_object_get(turn, "ends_at"));
	json_decref(live);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_groups_sizes),
		cmocka_unit_test(test_groups_avoid_recent),
		T(test_one_two_four_all),
		T(test_pairs_avoid_last_week),
		T(test_missed_while_down),
		T(test_live_and_results),
		T(test_live_round),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
