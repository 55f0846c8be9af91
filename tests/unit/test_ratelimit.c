/* Unit tests of failure counting for login rate limits, and of the token
 * bucket that limits requests per connection. */
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

/* A full bucket lets a burst through, then holds the client to the rate. */
static void test_bucket_burst_then_rate(void **state)
{
	struct tbucket b;
	struct tbucket_rule r;
	int64_t t = 5000;

	r = (struct tbucket_rule){ 20, 40 };
	tbucket_init(&b, r, t);
	for (int i = 0; i < 40; i++)
		assert_int_equal(tbucket_take(&b, r, t), 0);
	/* Empty: the next token is 1000 / 20 = 50 ms away. */
	assert_int_equal(tbucket_take(&b, r, t), 50);
	assert_int_equal(tbucket_take(&b, r, t + 20), 30);
	assert_int_equal(tbucket_take(&b, r, t + 50), 0);
	assert_int_equal(tbucket_take(&b, r, t + 50), 50);
	/* One second of sending at the rate is all let through... */
	for (int i = 1; i <= 20; i++)
		assert_int_equal(tbucket_take(&b, r, t + 50 + i * 50), 0);
	/* ...and twice the rate for a second is refused half the time. */
	t += 1050;
	int refused = 0;

	for (int i = 1; i <= 40; i++)
		refused += tbucket_take(&b, r, t + i * 25) != 0;
	assert_int_equal(refused, 20);
}

/* Idle time refills up to the burst, never past it, however long. */
static void test_bucket_refill_caps(void **state)
{
	struct tbucket b;
	struct tbucket_rule r;

	r = (struct tbucket_rule){ 3, 5 };
	tbucket_init(&b, r, 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(tbucket_take(&b, r, 0), 0);
	assert_true(tbucket_take(&b, r, 0) > 0);
	/* A week later: 5 tokens, not 3 * 604800. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(tbucket_take(&b, r, 604800000LL), 0);
	assert_int_equal(tbucket_take(&b, r, 604800000LL), 334);
	/* A rate that does not divide 1000: rounded up, never 0 early. */
	assert_int_equal(tbucket_take(&b, r, 604800000LL + 333), 1);
	assert_int_equal(tbucket_take(&b, r, 604800000LL + 334), 0);
}

/* A clock that goes back refills nothing; rate 0 is no limit at all. */
static void test_bucket_clock_back_and_off(void **state)
{
	struct tbucket b;
	struct tbucket_rule r;

	r = (struct tbucket_rule){ 10, 1 };
	tbucket_init(&b, r, 10000);
	assert_int_equal(tbucket_take(&b, r, 10000), 0);
	assert_int_equal(tbucket_take(&b, r, 9000), 100);
	/* Back at 10000 + 50 ms: half a token, not 1050 ms worth. */
	assert_int_equal(tbucket_take(&b, r, 10050), 50);
	assert_int_equal(tbucket_take(&b, r, 10100), 0);

	r = (struct tbucket_rule){ 0, 1 };
	tbucket_init(&b, r, 0);
	for (int i = 0; i < 100000; i++)
		assert_int_equal(tbucket_take(&b, r, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_and_window),
		cmocka_unit_test(test_pending_attempts),
		cmocka_unit_test(test_many_keys),
		cmocka_unit_test(test_bucket_burst_then_rate),
		cmocka_unit_test(test_bucket_refill_caps),
		cmocka_unit_test(test_bucket_clock_back_and_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
