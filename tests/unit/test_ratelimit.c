/* Unit tests of failure counting for login rate limits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "ruche/ratelimit.h"

#define WINDOW 60000

static void test_limit_and_window(void **state)
{
	struct ratelimit *rl = ratelimit_new();

	for (int i = 0; i < 3; i++) {
		assert_int_equal(ratelimit_wait(rl, "u:ada", 3, WINDOW, 1000),
				 0);
		ratelimit_fail(rl, "u:ada", WINDOW, 1000);
	}
	/* Third failure reached the limit: wait until the window ends. */
	assert_int_equal(ratelimit_wait(rl, "u:ada", 3, WINDOW, 1000), 60);
	assert_int_equal(ratelimit_wait(rl, "u:ada", 3, WINDOW, 31000), 30);
	assert_int_equal(ratelimit_wait(rl, "u:bob", 3, WINDOW, 1000), 0);
	assert_int_equal(ratelimit_wait(rl, "u:ada", 3, WINDOW, 61000), 0);
	/* A failure after the window starts a new one. */
	ratelimit_fail(rl, "u:ada", WINDOW, 61000);
	assert_int_equal(ratelimit_wait(rl, "u:ada", 1, WINDOW, 61000), 60);
	ratelimit_clear(rl, "u:ada");
	assert_int_equal(ratelimit_wait(rl, "u:ada", 1, WINDOW, 61000), 0);
	ratelimit_free(rl);
	ratelimit_free(NULL);
}

/* Attempts under way count, so parallel guesses cannot pass the limit. */
static void test_pending_attempts(void **state)
{
	struct ratelimit *rl = ratelimit_new();

	ratelimit_fail(rl, "u:eve", WINDOW, 0);
	ratelimit_begin(rl, "u:eve", WINDOW, 0);
	assert_int_equal(ratelimit_wait(rl, "u:eve", 3, WINDOW, 0), 0);
	ratelimit_begin(rl, "u:eve", WINDOW, 0);
	/* One failure and two under way reach 3: wait briefly, not a window. */
	assert_int_equal(ratelimit_wait(rl, "u:eve", 3, WINDOW, 0), 1);
	ratelimit_end(rl, "u:eve");
	ratelimit_fail(rl, "u:eve", WINDOW, 0);
	ratelimit_end(rl, "u:eve");
	ratelimit_fail(rl, "u:eve", WINDOW, 0);
	assert_int_equal(ratelimit_wait(rl, "u:eve", 3, WINDOW, 0), 60);
	/* A success while others are under way keeps counting those. */
	ratelimit_begin(rl, "u:eve", WINDOW, 0);
	ratelimit_clear(rl, "u:eve");
	assert_int_equal(ratelimit_wait(rl, "u:eve", 1, WINDOW, 0), 1);
	ratelimit_end(rl, "u:eve");
	assert_int_equal(ratelimit_wait(rl, "u:eve", 1, WINDOW, 0), 0);
	ratelimit_free(rl);
}

static void test_many_keys(void **state)
{
	struct ratelimit *rl = ratelimit_new();
	char key[32];

	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "ip:10.0.%d.%d", i / 256, i % 256);
		ratelimit_fail(rl, key, WINDOW, i);
	}
	snprintf(key, sizeof(key), "ip:10.0.%d.%d", 4999 / 256, 4999 % 256);
	assert_int_not_equal(ratelimit_wait(rl, key, 1, WINDOW, 5000), 0);
	ratelimit_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_and_window),
		cmocka_unit_test(test_pending_attempts),
		cmocka_unit_test(test_many_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
