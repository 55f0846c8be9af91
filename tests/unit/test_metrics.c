/* Unit tests of the metrics module: counting, histograms, the page, the
 * token comparison. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ruche/metrics.h"

/* The value of the sample line that starts with prefix, or -1. */
static double sample(const char *page, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *p = page; p && *p;
	     p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (strncmp(p, prefix, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	return -1;
}

static void test_requests_by_family(void **state)
{
	struct metrics m;
	struct metrics_gauges g = { 0 };
	size_t len;
	char *page;

	metrics_init(&m);
	metrics_request(&m, "msg.send");
	metrics_request(&m, "msg.edit");
	metrics_request(&m, "auth");
	metrics_request(&m, NULL);
	assert_int_equal(m.requests, 4);
	page = metrics_render(&m, &g, &len);
	assert_non_null(page);
	assert_int_equal(strlen(page), len);
	assert_true(sample(page, "ruche_requests_total{op=\"msg\"}") == 2);
	assert_true(sample(page, "ruche_requests_total{op=\"auth\"}") == 1);
	assert_true(sample(page, "ruche_requests_total{op=\"invalid\"}") == 1);
	free(page);
}

/* However many labels clients could cause, the table stays bounded:
 * past it, everything is "other". */
static void test_labels_are_bounded(void **state)
{
	struct metrics m;
	char code[32];

	metrics_init(&m);
	for (int i = 0; i < 3 * METRICS_MAX_CODES; i++) {
		snprintf(code, sizeof(code), "code_%d", i);
		metrics_error(&m, code);
	}
	metrics_error(&m, "code_0");
	assert_string_equal(m.errors[0].label, "code_0");
	assert_int_equal(m.errors[0].n, 2);
	assert_string_equal(m.errors[METRICS_MAX_CODES - 1].label, "other");
	assert_int_equal(m.errors[METRICS_MAX_CODES - 1].n,
			 3 * METRICS_MAX_CODES - (METRICS_MAX_CODES - 1));
	/* A label too long to be one of ours is "other" too. */
	metrics_error(&m, "a-label-far-too-long-to-be-an-error-code-of-ruche");
	assert_int_equal(m.errors[METRICS_MAX_CODES - 1].n,
			 3 * METRICS_MAX_CODES - (METRICS_MAX_CODES - 1) + 1);
}

static void test_histograms(void **state)
{
	struct metrics m;
	struct metrics_gauges g = { .conns = 3, .conns_auth = 2,
				    .outq_bytes = 10, .outq_max_bytes = 7,
				    .rss_bytes = 4096, .uptime_s = 1.5 };
	size_t len;
	char *page;

	metrics_init(&m);
	metrics_commit(&m, 1, 50000, true);	/* 50 us */
	metrics_commit(&m, 3, 2000000, true);	/* 2 ms */
	metrics_commit(&m, 5000, 3000000000u, false); /* 3 s, failed */
	page = metrics_render(&m, &g, &len);
	assert_non_null(page);
	assert_true(sample(page, "ruche_commit_batch_size_bucket{le=\"1\"}") == 1);
	assert_true(sample(page, "ruche_commit_batch_size_bucket{le=\"4\"}") == 2);
	assert_true(sample(page, "ruche_commit_batch_size_bucket{le=\"1024\"}") == 2);
	assert_true(sample(page, "ruche_commit_batch_size_bucket{le=\"+Inf\"}") == 3);
	assert_true(sample(page, "ruche_commit_batch_size_count") == 3);
	assert_true(sample(page, "ruche_commit_batch_size_sum") == 5004);
#define LAT "ruche_commit_duration_seconds_bucket"
	assert_true(sample(page, LAT "{le=\"0.0001\"}") == 1);
	assert_true(sample(page, LAT "{le=\"0.0025\"}") == 2);
	assert_true(sample(page, LAT "{le=\"1\"}") == 2);
	assert_true(sample(page, LAT "{le=\"+Inf\"}") == 3);
#undef LAT
	assert_true(sample(page, "ruche_commits_failed_total") == 1);
	assert_true(sample(page, "ruche_connections") == 3);
	assert_true(sample(page, "ruche_connections_authenticated") == 2);
	assert_true(sample(page, "ruche_outbound_queue_max_bytes") == 7);
	assert_true(sample(page, "process_resident_memory_bytes") == 4096);
	assert_non_null(strstr(page, "# TYPE ruche_commit_duration_seconds "
				     "histogram\n"));
	free(page);
}

static void test_token(void **state)
{
	assert_true(metrics_token_ok("0123456789abcdef", "0123456789abcdef"));
	assert_false(metrics_token_ok("0123456789abcdef", "0123456789abcdeF"));
	assert_false(metrics_token_ok("0123456789abcdef", "0123456789abcde"));
	assert_false(metrics_token_ok("0123456789abcdef", "0123456789abcdef0"));
	assert_false(metrics_token_ok("0123456789abcdef", ""));
	assert_false(metrics_token_ok("0123456789abcdef", NULL));
	/* No token configured opens nothing, not even to an empty one. */
	assert_false(metrics_token_ok("", ""));
}

static void test_rss(void **state)
{
	assert_true(metrics_rss_bytes() > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests_by_family),
		cmocka_unit_test(test_labels_are_bounded),
		cmocka_unit_test(test_histograms),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_rss),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
