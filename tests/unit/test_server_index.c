/*
 * Unit tests of the per-hive subscriber index: it follows every change of
 * a connection's hives (sync, joining, leaving, going away), and a hive's
 * event reaches exactly the synced connections of its audience, once,
 * whatever the number of other connections.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ruche/conn.h"
#include "ruche/frame.h"
#include "ruche/server.h"

struct fixture {
	struct config cfg;
	struct clock_fake clock;
	struct server srv;
};

static void no_wake(void *arg)
{
	(void)arg;
}

static int setup(void **state)
{
	struct fixture *fx = test_calloc(1, sizeof(*fx));

	config_defaults(&fx->cfg);
	clock_fake_init(&fx->clock, 1800000000000);
	assert_int_equal(server_init(&fx->srv, &fx->cfg, &fx->clock.clock,
				     NULL), 0);
	/* No store here: a closing conn must not publish presence news,
	 * which would look up its user's hives. */
	fx->srv.stopping = true;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	server_release(&fx->srv);
	test_free(fx);
	return 0;
}

/* A conn of user, subscribed to n hives (synced), or not synced at all. */
static struct conn *conn_of(struct fixture *fx, int64_t user,
			    const int64_t *hives, size_t n, bool sync)
{
	struct conn *c = conn_new(&fx->srv, "t", no_wake, NULL);

	assert_non_null(c);
	c->user_id = user;
	if (sync)
		assert_int_equal(conn_subscribe(c, hives, n), 0);
	return c;
}

/* Whether c is in hive's audience, and how many conns that has. */
static bool in_audience(struct fixture *fx, int64_t hive, struct conn *c,
			size_t *count)
{
	size_t n;
	struct conn *const *v = server_hive_conns(&fx->srv, hive, &n);
	bool found = false;

	for (size_t i = 0; i < n; i++)
		found |= v[i] == c;
	if (count)
		*count = n;
	return found;
}

static struct frame *text_frame(const char *s)
{
	struct frame *f = frame_from(s, strlen(s));

	assert_non_null(f);
	return f;
}

static void drain(struct fixture *fx)
{
	for (struct conn *c = fx->srv.conns; c; c = c->next)
		while (conn_peek(c))
			conn_pop(c);
}

static void test_index_follows_subscriptions(void **state)
{
	struct fixture *fx = *state;
	const int64_t ab[] = { 1, 2 }, b[] = { 2 }, c3[] = { 3 };
	struct conn *ada = conn_of(fx, 10, ab, 2, true);
	struct conn *bob = conn_of(fx, 20, b, 1, true);
	struct conn *cat = conn_of(fx, 30, NULL, 0, false);
	size_t n;

	assert_true(in_audience(fx, 1, ada, &n));
	assert_int_equal(n, 1);
	assert_true(in_audience(fx, 2, ada, &n));
	assert_true(in_audience(fx, 2, bob, NULL));
	assert_int_equal(n, 2);
	assert_null(server_hive_conns(&fx->srv, 3, &n));
	assert_int_equal(n, 0);

	/* A new sync replaces the hives, it does not add to them. */
	assert_int_equal(conn_subscribe(ada, c3, 1), 0);
	assert_false(in_audience(fx, 1, ada, &n));
	assert_int_equal(n, 0);
	assert_false(in_audience(fx, 2, ada, &n));
	assert_int_equal(n, 1);
	assert_true(in_audience(fx, 3, ada, &n));

	/* Joining adds the user's synced conns once, not the others. */
	server_user_joined(&fx->srv, 20, 3);
	server_user_joined(&fx->srv, 20, 3);
	server_user_joined(&fx->srv, 30, 3);
	assert_true(in_audience(fx, 3, bob, &n));
	assert_false(in_audience(fx, 3, cat, NULL));
	assert_int_equal(n, 2);
	assert_int_equal(bob->nhives, 2);

	/* Leaving takes them out, and only from that hive. */
	server_user_left(&fx->srv, 10, 3);
	assert_false(in_audience(fx, 3, ada, &n));
	assert_int_equal(n, 1);
	assert_int_equal(ada->nhives, 0);

	/* A conn going away leaves every audience it was in. */
	conn_free(bob);
	assert_false(in_audience(fx, 2, bob, &n));
	assert_int_equal(n, 0);
	assert_false(in_audience(fx, 3, bob, &n));
	assert_int_equal(n, 0);
	conn_free(cat);
	conn_free(ada);
}

/*
 * One hive is kept in the conn itself, more in an array: the list moves
 * between the two as a person joins, leaves and syncs again, and stays
 * right (ASan sees any slip in who frees what).
 */
static void test_hive_list_in_place(void **state)
{
	struct fixture *fx = *state;
	const int64_t one[] = { 4 }, two[] = { 5, 6 }, other[] = { 8 };
	struct conn *c = conn_of(fx, 40, one, 1, true);

	assert_ptr_equal(c->hives, &c->hive_one);
	/* Syncing again with one hive while the place holds the old one. */
	assert_int_equal(conn_subscribe(c, other, 1), 0);
	assert_int_equal(c->nhives, 1);
	assert_int_equal(c->hives[0], 8);
	assert_true(in_audience(fx, 8, c, NULL));
	assert_false(in_audience(fx, 4, c, NULL));
	server_user_joined(&fx->srv, 40, 9);
	assert_int_equal(c->nhives, 2);
	assert_true(c->hives != &c->hive_one);
	assert_int_equal(c->hives[0], 8);
	assert_int_equal(c->hives[1], 9);
	server_user_left(&fx->srv, 40, 8);
	server_user_left(&fx->srv, 40, 9);
	assert_int_equal(c->nhives, 0);
	server_user_joined(&fx->srv, 40, 4);
	assert_ptr_equal(c->hives, &c->hive_one);
	assert_int_equal(c->hives[0], 4);
	assert_true(in_audience(fx, 4, c, NULL));
	assert_int_equal(conn_subscribe(c, two, 2), 0);
	assert_int_equal(c->nhives, 2);
	assert_int_equal(c->hives[1], 6);
	assert_false(in_audience(fx, 4, c, NULL));
	assert_int_equal(conn_subscribe(c, one, 1), 0);
	assert_ptr_equal(c->hives, &c->hive_one);
	assert_true(in_audience(fx, 4, c, NULL));
	assert_false(in_audience(fx, 5, c, NULL));
	assert_int_equal(conn_subscribe(c, NULL, 0), 0);
	assert_int_equal(c->nhives, 0);
	assert_false(in_audience(fx, 4, c, NULL));
	conn_free(c);
}

static void test_event_reaches_audience_only(void **state)
{
	struct fixture *fx = *state;
	enum { HIVES = 200, PER_HIVE = 13 };
	struct conn *conns[HIVES][PER_HIVE];
	struct conn *resuming, *anon, *dup;
	const int64_t h7[] = { 7 }, twice[] = { 7, 7 };
	struct frame *f = text_frame("{\"ev\":\"msg.created\"}");

	for (int h = 0; h < HIVES; h++)
		for (int m = 0; m < PER_HIVE; m++) {
			int64_t hive = h + 1;

			conns[h][m] = conn_of(fx, 1000 * hive + m, &hive, 1,
					      true);
		}
	/* Subscribed to hive 7 but still replaying (sync with more). */
	resuming = conn_of(fx, 99, h7, 1, true);
	resuming->synced = false;
	/* Not logged in. */
	anon = conn_of(fx, 0, h7, 1, true);
	/* A list with the same hive twice. */
	dup = conn_of(fx, 98, twice, 2, true);

	server_publish(&fx->srv, 7, 0, 0, 41, f);
	for (int h = 0; h < HIVES; h++)
		for (int m = 0; m < PER_HIVE; m++)
			assert_int_equal(conns[h][m]->out_count, h == 6);
	assert_int_equal(resuming->out_count, 0);
	assert_int_equal(anon->out_count, 0);
	assert_int_equal(dup->out_count, 1);

	/* A position is sent once, even published again. */
	server_publish(&fx->srv, 7, 0, 0, 41, f);
	assert_int_equal(conns[6][0]->out_count, 1);

	/* An ephemeral event leaves out its author, e.g. the typist. */
	drain(fx);
	server_publish(&fx->srv, 7, 0, -7003, 0, f);
	for (int m = 0; m < PER_HIVE; m++)
		assert_int_equal(conns[6][m]->out_count, m != 3);
	assert_int_equal(conns[5][3]->out_count, 0);
	assert_int_equal(dup->out_count, 1);
	assert_int_equal(resuming->out_count, 0);

	/* A notice to one person reaches their conns, synced or not. */
	drain(fx);
	server_send_user(&fx->srv, 99, f);
	assert_int_equal(resuming->out_count, 1);
	assert_int_equal(conns[6][0]->out_count, 0);

	/* The same frame is shared, not copied per recipient. */
	assert_ptr_equal(conn_peek(resuming), f);
	frame_unref(f);
}

static void test_many_hives(void **state)
{
	struct fixture *fx = *state;
	enum { N = 3000 };
	int64_t *ids = malloc(N * sizeof(*ids));
	struct conn *admin, *one;
	size_t n;

	assert_non_null(ids);
	for (int i = 0; i < N; i++)
		ids[i] = (int64_t)i * 97 + 1;	/* sparse ids, many probes */
	admin = conn_of(fx, 1, ids, N, true);
	one = conn_of(fx, 2, &ids[N - 1], 1, true);
	for (int i = 0; i < N; i++) {
		assert_true(in_audience(fx, ids[i], admin, &n));
		assert_int_equal(n, i == N - 1 ? 2 : 1);
	}
	assert_null(server_hive_conns(&fx->srv, 2, &n));
	conn_free(admin);
	for (int i = 0; i < N; i++)
		assert_false(in_audience(fx, ids[i], admin, NULL));
	assert_true(in_audience(fx, ids[N - 1], one, &n));
	assert_int_equal(n, 1);
	free(ids);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_index_follows_subscriptions),
		T(test_hive_list_in_place),
		T(test_event_reaches_audience_only),
		T(test_many_hives),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
