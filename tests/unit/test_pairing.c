/*
 * Unit tests of the peer pairing algorithm (pairing_make, pure): sizes of
 * groups for 2, 3, odd and even counts; rounds of 12 learners without a
 * repeat while one can be avoided; repeats only when none can be, then
 * the oldest; the same seed giving the same groups.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ruche/err.h"
#include "ruche/pairing.h"

#define MAXN 32
#define MAXMEETS 4096

/* The history of simulated rounds, as the store would give it. */
struct history {
	struct store_pairing_meet meets[MAXMEETS];
	size_t n;
	int rounds;
};

/* Group sizes of a result: every group has 2 people, except one trio
 * when n is odd. */
static void assert_sizes(const int *g, size_t n, int ngroups)
{
	int count[MAXN] = { 0 }, trios = 0;

	assert_int_equal(ngroups, (int)(n / 2));
	for (size_t i = 0; i < n; i++) {
		assert_true(g[i] >= 0 && g[i] < ngroups);
		count[g[i]]++;
	}
	for (int k = 0; k < ngroups; k++) {
		assert_true(count[k] == 2 || count[k] == 3);
		trios += count[k] == 3;
	}
	assert_int_equal(trios, (int)(n % 2));
}

/* How many times a and b met in the history's window. */
static int met(const struct history *h, int64_t a, int64_t b)
{
	int times = 0;

	if (a > b) {
		int64_t t = a;

		a = b;
		b = t;
	}
	for (size_t i = 0; i < h->n; i++)
		times += h->meets[i].a == a && h->meets[i].b == b &&
			 h->meets[i].age < PAIRING_RECENT_ROUNDS;
	return times;
}

/* Pairs of this result that met in the window, each time counted. */
static int repeats(const struct history *h, const int64_t *ids,
		   const int *g, size_t n)
{
	int r = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (g[i] == g[j])
				r += met(h, ids[i], ids[j]);
	return r;
}

/* Adds a round to the history: older rounds age by one. */
static void record(struct history *h, const int64_t *ids, const int *g,
		   size_t n)
{
	for (size_t i = 0; i < h->n; i++)
		h->meets[i].age++;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (g[i] == g[j]) {
				struct store_pairing_meet m = {
					.a = ids[i] < ids[j] ? ids[i] : ids[j],
					.b = ids[i] < ids[j] ? ids[j] : ids[i],
				};

				assert_true(h->n < MAXMEETS);
				h->meets[h->n++] = m;
			}
	h->rounds++;
}

/* One round over the history, checked for sizes; returns repeats. */
static int round_of(struct history *h, const int64_t *ids, size_t n,
		    uint64_t seed, int *g)
{
	int ng = pairing_make(ids, n, h->meets, h->n, seed, g), r;

	assert_sizes(g, n, ng);
	r = repeats(h, ids, g, n);
	record(h, ids, g, n);
	return r;
}

static void test_small_counts(void **state)
{
	const int64_t ids[] = { 11, 22, 33, 44, 55 };
	int g[5] = { -1, -1, -1, -1, -1 };

	(void)state;
	/* Nobody to pair. */
	assert_int_equal(pairing_make(ids, 0, NULL, 0, 1, g), 0);
	assert_int_equal(pairing_make(ids, 1, NULL, 0, 1, g), 0);
	/* Two: one pair. */
	assert_int_equal(pairing_make(ids, 2, NULL, 0, 1, g), 1);
	assert_true(g[0] == 0 && g[1] == 0);
	/* Three: one trio, not a pair and someone alone. */
	assert_int_equal(pairing_make(ids, 3, NULL, 0, 1, g), 1);
	assert_true(g[0] == 0 && g[1] == 0 && g[2] == 0);
	/* Five: a pair and a trio. */
	assert_sizes(g, 5, pairing_make(ids, 5, NULL, 0, 7, g));
}

static void test_twelve_without_repeats(void **state)
{
	static struct history h;
	int64_t ids[12];
	int g[12];

	(void)state;
	memset(&h, 0, sizeof(h));
	for (int i = 0; i < 12; i++)
		ids[i] = 100 + i * 7;
	/*
	 * After k rounds each learner has met k others; for k <= 5 the
	 * people they have not met are at least half of the rest, so a
	 * pairing without any repeat always exists, and must be found.
	 */
	for (int round = 0; round < 6; round++)
		assert_int_equal(round_of(&h, ids, 12, 1000 + round, g), 0);
}

static void test_odd_makes_one_trio(void **state)
{
	static struct history h;
	int64_t ids[13];
	int g[13];

	(void)state;
	memset(&h, 0, sizeof(h));
	for (int i = 0; i < 13; i++)
		ids[i] = i + 1;
	/* Five pairs and a trio each round (round_of checks the sizes),
	 * and still nobody meets anyone twice. */
	for (int round = 0; round < 5; round++)
		assert_int_equal(round_of(&h, ids, 13, 5 + round, g), 0);
}

static void test_repeats_only_when_unavoidable(void **state)
{
	static struct history h;
	const int64_t ids[] = { 1, 2, 3, 4 };
	int g[4], first[4];

	(void)state;
	memset(&h, 0, sizeof(h));
	/* Four people have three distinct pairings: no repeat in them. */
	assert_int_equal(round_of(&h, ids, 4, 1, first), 0);
	assert_int_equal(round_of(&h, ids, 4, 2, g), 0);
	assert_int_equal(round_of(&h, ids, 4, 3, g), 0);
	/* The fourth must repeat two pairs, and takes those who met
	 * longest ago: the first round's pairs again. */
	assert_int_equal(pairing_make(ids, 4, h.meets, h.n, 4, g), 2);
	assert_int_equal(repeats(&h, ids, g, 4), 2);
	for (int i = 0; i < 4; i++)
		for (int j = i + 1; j < 4; j++)
			assert_int_equal(g[i] == g[j], first[i] == first[j]);
}

static void test_two_learners_always_together(void **state)
{
	static struct history h;
	const int64_t ids[] = { 8, 9 };
	int g[2];

	(void)state;
	memset(&h, 0, sizeof(h));
	assert_int_equal(round_of(&h, ids, 2, 1, g), 0);
	/* Unavoidable: the only pair there is. */
	assert_int_equal(round_of(&h, ids, 2, 2, g), 1);
	assert_true(g[0] == g[1]);
}

static void test_same_seed_same_groups(void **state)
{
	int64_t ids[12];
	int a[12], b[12], c[12];
	bool differ = false;

	(void)state;
	for (int i = 0; i < 12; i++)
		ids[i] = 40 + i;
	pairing_make(ids, 12, NULL, 0, 42, a);
	pairing_make(ids, 12, NULL, 0, 42, b);
	assert_memory_equal(a, b, sizeof(a));
	/* Another seed picks other pairs among equal ones. */
	for (uint64_t seed = 43; seed < 53 && !differ; seed++) {
		pairing_make(ids, 12, NULL, 0, seed, c);
		for (int i = 0; i < 12; i++)
			for (int j = i + 1; j < 12; j++)
				differ = differ ||
					 (a[i] == a[j]) != (c[i] == c[j]);
	}
	assert_true(differ);
}

static void test_many_rounds_of_an_odd_hive(void **state)
{
	static struct history h;
	int64_t ids[13];
	int g[13], total = 0;

	(void)state;
	memset(&h, 0, sizeof(h));
	for (int i = 0; i < 13; i++)
		ids[i] = 500 + i;
	/* Long past the first rounds every round still has the right
	 * groups, and repeats stay rare (fewer than one a round): a
	 * learner meets at most 2 people a round, so the last 8 rounds
	 * leave several of the 12 others free for each. */
	for (int round = 0; round < 16; round++)
		total += round_of(&h, ids, 13, 900 + round, g);
	assert_true(total < 16);
}

static void test_large_hive_is_bounded(void **state)
{
	enum { N = 301 };
	int64_t *ids = calloc(N, sizeof(*ids));
	int *g = calloc(N, sizeof(*g));
	int ng, count[N / 2] = { 0 };

	(void)state;
	assert_non_null(ids);
	assert_non_null(g);
	for (int i = 0; i < N; i++)
		ids[i] = i + 1;
	/* A very large hive still gets groups of two and one trio. */
	ng = pairing_make(ids, N, NULL, 0, 3, g);
	assert_int_equal(ng, N / 2);
	for (int i = 0; i < N; i++)
		count[g[i]]++;
	for (int k = 0, trios = 0; k < ng; k++) {
		assert_true(count[k] == 2 || count[k] == 3);
		trios += count[k] == 3;
		if (k == ng - 1)
			assert_int_equal(trios, 1);
	}
	free(ids);
	free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_counts),
		cmocka_unit_test(test_twelve_without_repeats),
		cmocka_unit_test(test_odd_makes_one_trio),
		cmocka_unit_test(test_repeats_only_when_unavoidable),
		cmocka_unit_test(test_two_learners_always_together),
		cmocka_unit_test(test_same_seed_same_groups),
		cmocka_unit_test(test_many_rounds_of_an_odd_hive),
		cmocka_unit_test(test_large_hive_is_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
