/*
 * jobs.h - slow work off the event loop.
 *
 * Password hashing is slow on purpose, so it runs on a few worker threads.
 * A job is two functions: `work` runs on a worker and must touch nothing
 * but its argument; `done` then runs on the event loop, from
 * jobs_drain(), and may use the server.  After a job finishes, the pool
 * calls `notify` (from the worker) so the loop wakes up and drains; the
 * transport sets it to lws_cancel_service(), tests to a counter.
 *
 * Thread rules: jobs_submit(), jobs_drain() and jobs_free() are for the
 * loop thread only.
 */
#ifndef RUCHE_JOBS_H
#define RUCHE_JOBS_H

struct jobs;

/*
 * A pool of nthreads workers.  0 and *out, or RUCHE_ENOMEM / RUCHE_EIO
 * when threads cannot be made.
 */
int jobs_new(int nthreads, struct jobs **out);

/* Sets what wakes the loop when a job is done.  notify may be NULL. */
void jobs_set_notify(struct jobs *jobs, void (*notify)(void *arg), void *arg);

/*
 * Queues a job.  0, or RUCHE_ENOMEM (then neither function is ever
 * called and arg stays the caller's).
 */
int jobs_submit(struct jobs *jobs, void (*work)(void *arg),
		void (*done)(void *arg), void *arg);

/* Runs the `done` of every finished job, in order of completion. */
void jobs_drain(struct jobs *jobs);

/*
 * Stops the workers after the jobs already queued, runs every remaining
 * `done`, and frees the pool.  NULL is a no-op.
 */
void jobs_free(struct jobs *jobs);

#endif
