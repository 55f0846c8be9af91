/*
 * run.h - the workloads of ruche-load.
 *
 * Each takes a generator whose clients are made (main.c) and returns 0,
 * or -1 with the reason in g->why.  Results go to standard output, one
 * JSON object per line; progress goes to standard error.
 */
#ifndef LOAD_RUN_H
#define LOAD_RUN_H

#include "load.h"

/* Logs every user in over HTTP and writes them, tokens added, to
 * o.out_path. */
int run_login(struct gen *g);

/* Steps the per-member rate up until a step fails (open-loop fan-out). */
int run_cohort(struct gen *g);

/* Holds connections open and silent; reads the server's memory. */
int run_idle(struct gen *g);

/* Keeps o.window sends in flight per client; counts acknowledgements. */
int run_writes(struct gen *g);

/* Pages of history, then searches, at fixed rates (history.c). */
int run_history(struct gen *g);

#endif
