/* Unit tests of the worker pool: work off the loop, completions on it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
#include <cmocka.h>

#include "ruche/jobs.h"

struct item {
	pthread_t worker;	/* the thread that ran work */
	int value;
	int *done_count;
};

static atomic_int notified;

static void notify(void *arg)
{
	atomic_fetch_add(&notified, 1);
}

static void work(void *arg)
{
	struct item *it = arg;

	it->worker = pthread_self();
	it->value *= 2;
}

static void done(void *arg)
{
	struct item *it = arg;

	(*it->done_count)++;
}

static void test_runs_off_loop_completes_on_loop(void **state)
{
	struct jobs *jobs;
	struct item items[20];
	int done_count = 0;

	assert_int_equal(jobs_new(2, &jobs), 0);
	jobs_set_notify(jobs, notify, NULL);
	for (int i = 0; i < 20; i++) {
		items[i] = (struct item){ .value = i, .done_count = &done_count };
		assert_int_equal(jobs_submit(jobs, work, done, &items[i]), 0);
	}
	/* done only ever runs inside jobs_drain(), on this thread. */
	for (int tries = 0; done_count < 20 && tries < 1000; tries++) {
		usleep(1000);
		jobs_drain(jobs);
	}
	assert_int_equal(done_count, 20);
	assert_true(atomic_load(&notified) >= 1);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(items[i].value, i * 2);
		assert_false(pthread_equal(items[i].worker, pthread_self()));
	}
	jobs_free(jobs);
	jobs_free(NULL);
}

/* Freeing the pool finishes queued work and runs every completion. */
static void test_free_completes_everything(void **state)
{
	struct jobs *jobs;
	struct item items[50];
	int done_count = 0;

	assert_int_equal(jobs_new(1, &jobs), 0);
	for (int i = 0; i < 50; i++) {
		items[i] = (struct item){ .value = 1, .done_count = &done_count };
		jobs_submit(jobs, work, done, &items[i]);
	}
	jobs_free(jobs);
	assert_int_equal(done_count, 50);
	for (int i = 0; i < 50; i++)
		assert_int_equal(items[i].value, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runs_off_loop_completes_on_loop),
		cmocka_unit_test(test_free_completes_everything),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
