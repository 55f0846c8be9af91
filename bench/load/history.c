/*
 * history.c - ruche-load's history mode: reading a large history.
 *
 * Clients log in as the readers of the users file (one line per channel
 * a reader can open; every line of one reader carries the same token)
 * and, without sync, send requests at a fixed total rate, in two phases
 * measured apart:
 *
 *  - page: msg.history, a page of 50 messages of one of the reader's
 *    channels, half of them the newest page and half the page before a
 *    message drawn at random in [1, --max-id] (scrolling back to any
 *    point of the history);
 *  - search: msg.search of one or two words of the vocabulary (--words,
 *    commonest first), drawn evenly on a log scale of their rank, so
 *    that common and rare words come up alike (hquery.h).
 *
 * A phase is open loop: every client has its own schedule, so a slow
 * answer shows as latency rather than as fewer requests.  The latency
 * runs from just before a request is written to when its answer is read.
 * Each phase prints one JSON line: "type":"history", "op":"page" or
 * "search", with p50/p99/p999/max, the count of answers and of errors,
 * and the server's and the generator's CPU over the window.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hquery.h"
#include "load.h"
#include "run.h"
#include "sys.h"

#define PAGE 50

/* A reader: the users-file lines (channels) of one token. */
struct reader {
	uint32_t first;		/* its first line */
	uint32_t *lines;	/* owned */
	size_t n;
};

static struct {
	struct reader *r;
	size_t n;
	uint32_t *reader_of;	/* per client */
	struct hq_words words;
	bool search;		/* the phase: search, else page */
} H;

static int find_readers(struct gen *g)
{
	H.r = calloc(g->nusers, sizeof(*H.r));
	if (!H.r)
		return -1;
	for (size_t i = 0; i < g->nusers; i++) {
		struct user *u = &g->users[i];
		size_t k;
		uint32_t *p;

		for (k = 0; k < H.n; k++)
			if (!strcmp(g->users[H.r[k].first].token, u->token))
				break;
		if (k == H.n)
			H.r[H.n++].first = (uint32_t)i;
		p = realloc(H.r[k].lines, (H.r[k].n + 1) * sizeof(*p));
		if (!p)
			return -1;
		p[H.r[k].n++] = (uint32_t)i;
		H.r[k].lines = p;
	}
	H.reader_of = calloc(g->ncl, sizeof(*H.reader_of));
	if (!H.reader_of)
		return -1;
	/* Clients go round the readers. */
	for (size_t i = 0; i < g->ncl; i++) {
		H.reader_of[i] = (uint32_t)(i % H.n);
		g->cl[i].user = H.r[i % H.n].first;
		g->cl[i].group = g->users[g->cl[i].user].group;
	}
	return 0;
}

/* Sends c's next request now: the schedule's callback (gen.fire). */
static int fire(struct gen *g, struct client *c, uint64_t now)
{
	const struct reader *r = &H.r[H.reader_of[c->idx]];
	const struct user *u = &g->users[r->lines[gen_rand(g) % r->n]];
	char req[1024];
	uint64_t ts;
	int len;

	(void)now;
	if (H.search) {
		const char *w[2];
		size_t nw = 1 + gen_rand(g) % 2;

		for (size_t i = 0; i < nw; i++)
			w[i] = H.words.w[hq_rank(gen_rand(g), H.words.n)];
		len = hq_search(req, sizeof(req), c->next_id++, w, nw, 20);
	} else {
		int64_t before = 0;

		if (g->o.max_id > 0 && gen_rand(g) % 2)
			before = 1 + (int64_t)(gen_rand(g) %
					       (uint64_t)g->o.max_id);
		len = hq_page(req, sizeof(req), c->next_id++, u->channel_id,
			      before, PAGE);
	}
	if (len < 0)
		return gen_fail(g, c, "request too long");
	ts = sys_mono_ns();
	if (c->ring) {
		if (c->ring_count == CLIENT_RING)
			return gen_fail(g, c, "%u requests unanswered",
					CLIENT_RING);
		c->ring[(c->ring_head + c->ring_count++) % CLIENT_RING] = ts;
	}
	c->inflight++;
	g->st.sent++;
	return gen_send_text(g, c, req, (size_t)len);
}

static uint64_t after(double secs)
{
	return sys_mono_ns() + (uint64_t)(secs * 1e9);
}

static bool all_set_up(struct gen *g)
{
	return g->next_open >= g->ncl && g->pending == 0 && g->nretry == 0;
}

static bool none_in_flight(struct gen *g)
{
	for (size_t i = 0; i < g->ncl; i++)
		if (g->cl[i].state == CL_READY && g->cl[i].inflight)
			return false;
	return true;
}

static void schedule_all(struct gen *g, double rate)
{
	uint64_t now = sys_mono_ns();

	/* rate is for all clients together. */
	g->interval_ns = rate > 0 ? (uint64_t)(1e9 * (double)g->ncl / rate) :
				    0;
	for (size_t i = 0; i < g->ncl; i++)
		net_schedule(g, &g->cl[i], now);
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

/* One phase: warm, measure, drain; prints its line.  0, or -1. */
static int phase(struct gen *g, bool search, double rate)
{
	struct sys_sample a, b;
	struct sys_window w;
	const struct hist *h = &g->st.ack;
	long rss;

	H.search = search;
	g->counting = false;
	schedule_all(g, rate);
	if (net_run(g, after(g->o.warm_s), NULL))
		return -1;
	memset(&g->st, 0, sizeof(g->st));
	g->counting = true;
	sys_sample(&a, g->o.server_pid);
	if (net_run(g, after(g->o.measure_s), NULL))
		return -1;
	sys_sample(&b, g->o.server_pid);
	sys_window(&a, &b, &w);
	rss = g->o.server_pid ? sys_rss_kb(g->o.server_pid) : -1;
	schedule_all(g, 0);
	/* What was sent in the window is answered in the drain. */
	if (net_run(g, after(g->o.drain_s), none_in_flight))
		return -1;
	g->counting = false;
	printf("{\"type\":\"history\",\"kind\":\"%s\",", g->kind->name);
	if (g->o.label)
		printf("\"label\":\"%s\",", g->o.label);
	printf("\"op\":\"%s\",\"clients\":%zu,\"readers\":%zu,"
	       "\"rate\":%.1f,\"sent\":%llu,\"answered\":%llu,"
	       "\"errors\":%llu,\"error\":\"%s\",\"answers_per_s\":%.1f,"
	       "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,"
	       "\"max_ms\":%.3f,\"count\":%llu,\"seconds\":%.3f,"
	       "\"server_cpu_pct\":%.1f,\"gen_cpu_pct\":%.1f,"
	       "\"machine_busy_pct\":%.1f,\"steal_pct\":%.1f,"
	       "\"server_rss_kb\":%ld,\"lost\":%llu}\n",
	       search ? "search" : "page", g->ncl, H.n, rate,
	       (unsigned long long)g->st.sent,
	       (unsigned long long)g->st.acks_ok,
	       (unsigned long long)g->st.acks_err, g->st.ack_error,
	       (double)g->st.acks_ok / w.seconds,
	       ms(hist_quantile(h, 0.5)), ms(hist_quantile(h, 0.99)),
	       ms(hist_quantile(h, 0.999)), ms(h->max),
	       (unsigned long long)h->count, w.seconds, w.server_cpu_pct,
	       w.self_cpu_pct, w.machine_busy_pct, w.steal_pct, rss,
	       (unsigned long long)g->st.lost);
	fflush(stdout);
	fprintf(stderr,
		"ruche-load: history %s at %.0f/s: %llu answers, %llu "
		"errors, p50 %.2f p99 %.2f max %.2f ms, server %.0f %%, "
		"generator %.0f %%, machine %.0f %%\n",
		search ? "search" : "page", rate,
		(unsigned long long)g->st.acks_ok,
		(unsigned long long)g->st.acks_err, ms(hist_quantile(h, 0.5)),
		ms(hist_quantile(h, 0.99)), ms(h->max), w.server_cpu_pct,
		w.self_cpu_pct, w.machine_busy_pct);
	if (g->st.acks_err || g->nlost) {
		snprintf(g->why, sizeof(g->why), "%s: %llu errors (%s), "
			 "%zu connections lost", search ? "search" : "page",
			 (unsigned long long)g->st.acks_err, g->st.ack_error,
			 g->nlost);
		return -1;
	}
	return 0;
}

int run_history(struct gen *g)
{
	int rc = -1;

	if (g->o.search_rate > 0 &&
	    hq_words_load(&H.words, g->o.words_path ? g->o.words_path : "")) {
		snprintf(g->why, sizeof(g->why),
			 "search needs --words FILE, one word a line");
		return -1;
	}
	if (find_readers(g))
		goto out;
	g->fire = fire;
	{
		struct sys_window w;
		struct sys_sample a, b;

		sys_sample(&a, g->o.server_pid);
		net_ramp_start(g);
		if (net_run(g, UINT64_MAX, all_set_up))
			goto out;
		sys_sample(&b, g->o.server_pid);
		sys_window(&a, &b, &w);
		if (g->nfailed) {
			fprintf(stderr, "ruche-load: %zu of %zu connections "
					"failed: %s\n", g->nfailed, g->ncl,
				g->why);
			goto out;
		}
		fprintf(stderr, "ruche-load: %zu clients of %zu readers set "
				"up in %.1f s\n", g->ncl, H.n, w.seconds);
	}
	rc = 0;
	if (g->o.page_rate > 0)
		rc = phase(g, false, g->o.page_rate);
	if (!rc && g->o.search_rate > 0)
		rc = phase(g, true, g->o.search_rate);
out:
	for (size_t i = 0; i < H.n; i++)
		free(H.r[i].lines);
	free(H.r);
	free(H.reader_of);
	hq_words_free(&H.words);
	memset(&H, 0, sizeof(H));
	return rc;
}
