/* ratelimit.c - failure counters per key in a fixed window; token buckets. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ruche/ratelimit.h"

#define NBUCKETS 1024
#define MAX_ENTRIES 100000	/* past this, expired entries are swept */

struct entry {
	struct entry *next;
	int64_t window_start;	/* ms */
	int64_t window_ms;
	int failures;
	int pending;		/* attempts under way */
	char key[];
};

struct ratelimit {
	struct entry *buckets[NBUCKETS];
	size_t nentries;
};

static unsigned hash(const char *s)
{
	unsigned h = 2166136261u;	/* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % NBUCKETS;
}

struct ratelimit *ratelimit_new(void)
{
	return calloc(1, sizeof(struct ratelimit));
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	for (int i = 0; i < NBUCKETS; i++) {
		struct entry *e = rl->buckets[i];

		while (e) {
			struct entry *next = e->next;

			free(e);
			e = next;
		}
	}
	free(rl);
}

static struct entry **find(struct ratelimit *rl, const char *key)
{
	struct entry **p = &rl->buckets[hash(key)];

	while (*p && strcmp((*p)->key, key) != 0)
		p = &(*p)->next;
	return p;
}

static bool expired(const struct entry *e, int64_t now)
{
	return now - e->window_start >= e->window_ms;
}

/* Drops every entry whose window has ended. */
static void sweep(struct ratelimit *rl, int64_t now)
{
	for (int i = 0; i < NBUCKETS; i++) {
		struct entry **p = &rl->buckets[i];

		while (*p) {
			struct entry *e = *p;

			if (expired(e, now) && !e->pending) {
				*p = e->next;
				free(e);
				rl->nentries--;
			} else {
				p = &e->next;
			}
		}
	}
}

int ratelimit_wait(struct ratelimit *rl, const char *key, int limit,
		   int64_t window_ms, int64_t now_ms)
{
	struct entry *e = *find(rl, key);
	int failures;

	if (!e)
		return 0;
	failures = expired(e, now_ms) ? 0 : e->failures;
	if (failures + e->pending < limit)
		return 0;
	/* Blocked by attempts still under way: wait a moment for them. */
	if (failures < limit)
		return 1;
	return (int)((e->window_start + window_ms - now_ms + 999) / 1000);
}

/* The entry of key, made (with no failures yet) if needed; NULL if out
 * of memory. */
static struct entry *entry_for(struct ratelimit *rl, const char *key,
			       int64_t window_ms, int64_t now_ms)
{
	struct entry **p = find(rl, key), *e = *p;
	size_t klen;

	if (e) {
		if (expired(e, now_ms)) {
			e->window_start = now_ms;
			e->failures = 0;
		}
		return e;
	}
	if (rl->nentries >= MAX_ENTRIES) {
		sweep(rl, now_ms);
		p = find(rl, key);
	}
	klen = strlen(key);
	e = malloc(sizeof(*e) + klen + 1);
	if (!e)
		return NULL;
	memcpy(e->key, key, klen + 1);
	e->window_start = now_ms;
	e->window_ms = window_ms;
	e->failures = 0;
	e->pending = 0;
	e->next = NULL;
	*p = e;
	rl->nentries++;
	return e;
}

void ratelimit_fail(struct ratelimit *rl, const char *key, int64_t window_ms,
		    int64_t now_ms)
{
	struct entry *e = entry_for(rl, key, window_ms, now_ms);

	if (e)
		e->failures++;
}

void ratelimit_begin(struct ratelimit *rl, const char *key, int64_t window_ms,
		     int64_t now_ms)
{
	struct entry *e = entry_for(rl, key, window_ms, now_ms);

	if (e)
		e->pending++;
}

void ratelimit_end(struct ratelimit *rl, const char *key)
{
	struct entry *e = *find(rl, key);

	if (e && e->pending > 0)
		e->pending--;
}

void ratelimit_clear(struct ratelimit *rl, const char *key)
{
	struct entry **p = find(rl, key), *e = *p;

	if (!e)
		return;
	if (e->pending) {	/* others still under way: keep counting them */
		e->failures = 0;
		return;
	}
	*p = e->next;
	free(e);
	rl->nentries--;
}

/* The most thousandths of a token a bucket under rule holds. */
static int64_t tbucket_full(struct tbucket_rule rule)
{
	return (int64_t)(rule.burst > 0 ? rule.burst : 1) * 1000;
}

void tbucket_init(struct tbucket *b, struct tbucket_rule rule,
		  int64_t now_ms)
{
	b->milli = tbucket_full(rule);
	b->last_ms = now_ms;
}

int64_t tbucket_take(struct tbucket *b, struct tbucket_rule rule,
		     int64_t now_ms)
{
	int64_t full = tbucket_full(rule), rate = rule.rate;

	if (rate <= 0)
		return 0;
	/* rate tokens a second is rate thousandths a millisecond.  A gap
	 * of days cannot overflow: it is capped before it is multiplied. */
	if (now_ms > b->last_ms) {
		int64_t gap = now_ms - b->last_ms;

		if (gap > full / rate + 1)
			gap = full / rate + 1;
		b->milli += gap * rate;
		if (b->milli > full)
			b->milli = full;
		b->last_ms = now_ms;
	}
	/* A clock that went back (it should not) refills nothing until it
	 * is past last_ms again. */
	if (b->milli >= 1000) {
		b->milli -= 1000;
		return 0;
	}
	return (1000 - b->milli + rate - 1) / rate;
}
