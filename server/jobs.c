/* jobs.c - a small pool of worker threads with completions on the loop. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "ruche/err.h"
#include "ruche/jobs.h"

struct job {
	void (*work)(void *arg);
	void (*done)(void *arg);
	void *arg;
	struct job *next;
};

/* A FIFO of jobs. */
struct job_list {
	struct job *head, *tail;
};

struct jobs {
	pthread_mutex_t lock;
	pthread_cond_t cond;	/* signalled when queued grows or on stop */
	struct job_list queued;	/* waiting for a worker */
	struct job_list finished; /* waiting for jobs_drain() */
	bool stopping;
	void (*notify)(void *arg);
	void *notify_arg;
	int nthreads;
	pthread_t threads[];
};

static void list_push(struct job_list *l, struct job *j)
{
	j->next = NULL;
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
}

static struct job *list_take_all(struct job_list *l)
{
	struct job *all = l->head;

	l->head = l->tail = NULL;
	return all;
}

static void *worker(void *p)
{
	struct jobs *jobs = p;

	pthread_mutex_lock(&jobs->lock);
	for (;;) {
		struct job *j;

		while (!jobs->queued.head && !jobs->stopping)
			pthread_cond_wait(&jobs->cond, &jobs->lock);
		j = jobs->queued.head;
		if (!j)
			break;	/* stopping, and nothing left to do */
		jobs->queued.head = j->next;
		if (!jobs->queued.head)
			jobs->queued.tail = NULL;
		pthread_mutex_unlock(&jobs->lock);

		j->work(j->arg);

		pthread_mutex_lock(&jobs->lock);
		list_push(&jobs->finished, j);
		if (jobs->notify)
			jobs->notify(jobs->notify_arg);
	}
	pthread_mutex_unlock(&jobs->lock);
	return NULL;
}

int jobs_new(int nthreads, struct jobs **out)
{
	struct jobs *jobs = calloc(1, sizeof(*jobs) +
				   (size_t)nthreads * sizeof(pthread_t));

	*out = NULL;
	if (!jobs)
		return RUCHE_ENOMEM;
	pthread_mutex_init(&jobs->lock, NULL);
	pthread_cond_init(&jobs->cond, NULL);
	for (int i = 0; i < nthreads; i++) {
		if (pthread_create(&jobs->threads[i], NULL, worker, jobs)) {
			jobs_free(jobs);
			return RUCHE_EIO;
		}
		jobs->nthreads++;
	}
	*out = jobs;
	return 0;
}

void jobs_set_notify(struct jobs *jobs, void (*notify)(void *arg), void *arg)
{
	pthread_mutex_lock(&jobs->lock);
	jobs->notify = notify;
	jobs->notify_arg = arg;
	pthread_mutex_unlock(&jobs->lock);
}

int jobs_submit(struct jobs *jobs, void (*work)(void *arg),
		void (*done)(void *arg), void *arg)
{
	struct job *j = malloc(sizeof(*j));

	if (!j)
		return RUCHE_ENOMEM;
	j->work = work;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&jobs->lock);
	list_push(&jobs->queued, j);
	pthread_cond_signal(&jobs->cond);
	pthread_mutex_unlock(&jobs->lock);
	return 0;
}

void jobs_drain(struct jobs *jobs)
{
	struct job *j;

	pthread_mutex_lock(&jobs->lock);
	j = list_take_all(&jobs->finished);
	pthread_mutex_unlock(&jobs->lock);
	while (j) {
		struct job *next = j->next;

		j->done(j->arg);
		free(j);
		j = next;
	}
}

void jobs_free(struct jobs *jobs)
{
	if (!jobs)
		return;
	pthread_mutex_lock(&jobs->lock);
	jobs->stopping = true;
	jobs->notify = NULL;
	pthread_cond_broadcast(&jobs->cond);
	pthread_mutex_unlock(&jobs->lock);
	for (int i = 0; i < jobs->nthreads; i++)
		pthread_join(jobs->threads[i], NULL);
	jobs_drain(jobs);
	pthread_cond_destroy(&jobs->cond);
	pthread_mutex_destroy(&jobs->lock);
	free(jobs);
}
