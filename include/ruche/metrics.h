/*
 * metrics.h - the figures an operator watches, for GET /metrics.
 *
 * A struct metrics lives inside struct server.  Dispatch counts requests
 * and refusals, the server counts events delivered and times its grouped
 * commits; the instantaneous figures (connections, outbound queues,
 * meetups, memory) are read when the page is asked for, so that they cost
 * nothing in between.  metrics_render() writes the Prometheus text
 * exposition format (version 0.0.4): one "# HELP" and one "# TYPE" line
 * per family, then its samples.
 *
 * Labels come from fixed sets (operation families of the op table, error
 * codes of the protocol), and the tables are bounded: a label past the
 * bound is counted under "other", so no client can grow the page.
 *
 * Timings use the real monotonic clock, not the server's clock: a test
 * clock that stands still must not hide how long a commit took.
 *
 * Thread rules: event-loop thread only, like the server that holds it.
 */
#ifndef RUCHE_METRICS_H
#define RUCHE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct server;

#define METRICS_MAX_FAMILIES 32	/* operation families counted apart */
#define METRICS_MAX_CODES 64	/* error codes counted apart */
#define METRICS_LABEL_MAX 32	/* longest label value kept */
#define METRICS_BATCH_BUCKETS 11 /* commit batch size histogram */
#define METRICS_LATENCY_BUCKETS 12 /* commit latency histogram */

/* A histogram with fixed upper bounds (the bounds live in metrics.c). */
struct metrics_hist {
	uint64_t bucket[16];	/* counts per bucket, not cumulative */
	uint64_t count;		/* observations */
	double sum;		/* their sum */
};

/* A counter with one label value, e.g. {op="msg"} or {code="muted"}. */
struct metrics_labelled {
	char label[METRICS_LABEL_MAX];	/* "" for a free slot */
	uint64_t n;
};

struct metrics {
	uint64_t started_ns;		/* metrics_now_ns() at init */
	uint64_t requests;		/* every request read, valid or not */
	struct metrics_labelled ops[METRICS_MAX_FAMILIES];
	struct metrics_labelled errors[METRICS_MAX_CODES];
	uint64_t events_delivered;	/* event frames queued to a conn */
	uint64_t commits_failed;	/* grouped commits that failed */
	struct metrics_hist commit_batch;	/* replies waiting per commit */
	struct metrics_hist commit_seconds;	/* time store_commit() took */
};

/* The figures read when the page is asked for. */
struct metrics_gauges {
	size_t conns;			/* open WebSocket connections */
	size_t conns_auth;		/* ... of which authenticated */
	size_t outq_bytes;		/* bytes queued to go out, in all */
	size_t outq_max_bytes;		/* most queued for one connection */
	size_t outq_frames;		/* frames queued, in all */
	size_t meetups_running;		/* meetups in their steps */
	size_t meetups_paused;		/* meetups a mentor paused */
	long rss_bytes;			/* resident memory, -1 if unknown */
	double uptime_s;		/* seconds since metrics_init() */
};

/* Zeroes m and starts its uptime. */
void metrics_init(struct metrics *m);

/* The real monotonic clock, in nanoseconds. */
uint64_t metrics_now_ns(void);

/*
 * Counts one request that dispatch reads (one refused for the connection's
 * rate is only an error).  op is the name of a known operation ("msg.send"),
 * counted under its family ("msg"); NULL counts it as "invalid" (a frame
 * that is no request, or an unknown operation: never the client's text).
 */
void metrics_request(struct metrics *m, const char *op);

/* Counts one error reply with this protocol code (a static string). */
void metrics_error(struct metrics *m, const char *code);

/* Counts n event frames queued to connections. */
static inline void metrics_delivered(struct metrics *m, uint64_t n)
{
	m->events_delivered += n;
}

/* Records one grouped commit: replies it released, how long it took. */
void metrics_commit(struct metrics *m, size_t batch, uint64_t ns, bool ok);

/* This process's resident memory in bytes (/proc/self/statm), or -1. */
long metrics_rss_bytes(void);

/*
 * Whether given equals expected, in time that depends only on their
 * lengths' maximum, not on where they differ.  NULL given is false.
 */
bool metrics_token_ok(const char *expected, const char *given);

/*
 * The page, in the text exposition format: malloc'd, NUL-terminated, its
 * length in *len; the caller frees it.  NULL when out of memory.
 */
char *metrics_render(const struct metrics *m, const struct metrics_gauges *g,
		     size_t *len);

/* Reads the gauges of a running server and renders its page, as above. */
char *metrics_server_text(struct server *srv, size_t *len);

#endif
