/*
 * ratelimit.h - counting failures per key in a fixed window, and token
 * buckets.
 *
 * Failed logins are counted per account and per address; past the limit,
 * further attempts are refused until the window ends, without even
 * checking the password.  Counts live in memory: a restart forgets them,
 * which costs an attacker a restart they cannot cause.
 *
 * Thread rules: event-loop thread only.
 */
#ifndef RUCHE_RATELIMIT_H
#define RUCHE_RATELIMIT_H

#include <stdint.h>

struct ratelimit;

/* An empty table, or NULL when out of memory.  Free with ratelimit_free(). */
struct ratelimit *ratelimit_new(void);
void ratelimit_free(struct ratelimit *rl);

/*
 * Seconds to wait before key may try again, given at most `limit`
 * failures per window of window_ms; 0 when it may try now.
 */
int ratelimit_wait(struct ratelimit *rl, const char *key, int limit,
		   int64_t window_ms, int64_t now_ms);

/*
 * Counts an attempt under way for key: until ratelimit_end(), it weighs
 * like a failure in ratelimit_wait(), so parallel attempts cannot pass
 * the limit before the first of them fails.
 */
void ratelimit_begin(struct ratelimit *rl, const char *key, int64_t window_ms,
		     int64_t now_ms);
void ratelimit_end(struct ratelimit *rl, const char *key);

/* Counts one failure of key at now_ms. */
void ratelimit_fail(struct ratelimit *rl, const char *key, int64_t window_ms,
		    int64_t now_ms);

/* Forgets key (after a success). */
void ratelimit_clear(struct ratelimit *rl, const char *key);

/*
 * A token bucket: `rate` tokens a second flow in, up to `burst` held; each
 * request takes one.  It lets a client bunch up to `burst` requests (a
 * reconnect that loads several channels) and holds it to `rate` over
 * time.  Plain data, embedded in its owner (a connection); the rule is
 * kept once by the owner's owner (every connection has the same), and
 * time is passed in, so tests drive it with any clock.
 */
struct tbucket_rule {
	int rate;		/* tokens a second; 0 or less: no limit */
	int burst;		/* most tokens held (whole tokens), at least 1 */
};

struct tbucket {
	int64_t milli;		/* tokens held, in thousandths */
	int64_t last_ms;	/* when milli was last topped up */
};

/* Sets b up full under rule, at now_ms. */
void tbucket_init(struct tbucket *b, struct tbucket_rule rule,
		  int64_t now_ms);

/*
 * Takes one token: returns 0 when there was one, else the milliseconds
 * until there will be (at least 1), and takes nothing.  rule is the one
 * b was set up with.
 */
int64_t tbucket_take(struct tbucket *b, struct tbucket_rule rule,
		     int64_t now_ms);

#endif
