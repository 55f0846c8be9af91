/* test_supervision.c - the pure parts of the supervision report. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "ruche/supervision.h"

static void test_median(void **state)
{
	static const int64_t one[] = { 7 };
	static const int64_t odd[] = { 1, 5, 9 };
	static const int64_t even[] = { 1000, 3000, 4000, 3600000 };
	static const int64_t big[] = { INT64_MAX - 2, INT64_MAX };

	(void)state;
	assert_int_equal(supervision_median(NULL, 0), -1);
	assert_int_equal(supervision_median(one, 1), 7);
	assert_int_equal(supervision_median(odd, 3), 5);
	/* Between the two middle values, rounded down. */
	assert_int_equal(supervision_median(even, 4), 3500);
	/* Without overflowing on the sum of two large values. */
	assert_int_equal(supervision_median(big, 2), INT64_MAX - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_median),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
