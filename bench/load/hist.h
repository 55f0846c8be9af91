/*
 * hist.h - a log-bucketed histogram of durations in nanoseconds.
 *
 * Each power of two is split into HIST_SUB buckets, so a value is known
 * to within 1/HIST_SUB of itself (6 %); a percentile is reported as the
 * middle of its bucket, which halves that.  Counting is one increment, so
 * it costs nothing on the hot path, and two histograms add up.
 */
#ifndef LOAD_HIST_H
#define LOAD_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 4
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_BUCKETS ((64u - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist {
	uint64_t count;			/* values recorded */
	uint64_t max;			/* largest value, exact */
	uint64_t b[HIST_BUCKETS];	/* counts per bucket */
};

/* Empties h. */
void hist_reset(struct hist *h);

/* Records one value. */
void hist_add(struct hist *h, uint64_t v);

/* Adds every value of src to dst. */
void hist_merge(struct hist *dst, const struct hist *src);

/* The value under which a fraction q (0..1) of values lie; 0 when empty. */
uint64_t hist_quantile(const struct hist *h, double q);

#endif
