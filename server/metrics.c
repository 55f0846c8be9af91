/* metrics.c - counters, histograms and the Prometheus text page. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ruche/conn.h"
#include "ruche/metrics.h"
#include "ruche/server.h"
#include "ruche/store.h"

/*
 * Upper bounds of the histograms' buckets (a last, unbounded "+Inf"
 * bucket follows).  Fixed, so that figures from two servers or two
 * releases add up.
 */
static const double batch_bounds[METRICS_BATCH_BUCKETS] = {
	1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024
};
static const double latency_bounds[METRICS_LATENCY_BUCKETS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
	0.01, 0.025, 0.05, 0.1, 0.25, 1
};

_Static_assert(METRICS_BATCH_BUCKETS < 16 && METRICS_LATENCY_BUCKETS < 16,
	       "struct metrics_hist holds 16 buckets, +Inf included");

uint64_t metrics_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void metrics_init(struct metrics *m)
{
	memset(m, 0, sizeof(*m));
	m->started_ns = metrics_now_ns();
}

/* Adds one to the counter labelled label (n chars of it), taking a free
 * slot for a new label, or "other" when the table is full. */
static void count(struct metrics_labelled *t, size_t cap, const char *label,
		  size_t n)
{
	struct metrics_labelled *other = NULL;

	if (n >= METRICS_LABEL_MAX)
		n = 0;		/* too long to be one of ours */
	/* The last slot is kept for "other". */
	for (size_t i = 0; n && i + 1 < cap; i++) {
		if (!t[i].label[0]) {
			memcpy(t[i].label, label, n);
			t[i].label[n] = '\0';
			t[i].n++;
			return;
		}
		if (strlen(t[i].label) == n && !memcmp(t[i].label, label, n)) {
			t[i].n++;
			return;
		}
	}
	/* Full, or an odd label: the last slot counts all of those. */
	other = &t[cap - 1];
	snprintf(other->label, sizeof(other->label), "other");
	other->n++;
}

void metrics_request(struct metrics *m, const char *op)
{
	const char *family = op ? op : "invalid";

	m->requests++;
	count(m->ops, METRICS_MAX_FAMILIES, family, strcspn(family, "."));
}

void metrics_error(struct metrics *m, const char *code)
{
	if (!code)
		code = "internal";
	count(m->errors, METRICS_MAX_CODES, code, strlen(code));
}

static void observe(struct metrics_hist *h, const double *bounds,
		    size_t nbounds, double v)
{
	size_t i = 0;

	while (i < nbounds && v > bounds[i])
		i++;
	h->bucket[i]++;
	h->count++;
	h->sum += v;
}

void metrics_commit(struct metrics *m, size_t batch, uint64_t ns, bool ok)
{
	if (!ok)
		m->commits_failed++;
	observe(&m->commit_batch, batch_bounds, METRICS_BATCH_BUCKETS,
		(double)batch);
	observe(&m->commit_seconds, latency_bounds, METRICS_LATENCY_BUCKETS,
		(double)ns / 1e9);
}

long metrics_rss_bytes(void)
{
	long pages = -1, size, rss;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &rss) == 2)
		pages = rss;
	fclose(f);
	return pages < 0 ? -1 : pages * sysconf(_SC_PAGESIZE);
}

bool metrics_token_ok(const char *expected, const char *given)
{
	size_t le, lg, n;
	unsigned char diff;

	if (!given || !expected || !expected[0])
		return false;
	le = strlen(expected);
	lg = strlen(given);
	n = le > lg ? le : lg;
	diff = le != lg;
	/* Every byte is looked at, whatever differs first. */
	for (size_t i = 0; i < n; i++) {
		unsigned char a = i < le ? (unsigned char)expected[i] : 0;
		unsigned char b = i < lg ? (unsigned char)given[i] : 0;

		diff |= a ^ b;
	}
	return diff == 0;
}

/* ---- The page ------------------------------------------------------------ */

struct page {
	char *buf;	/* owned, NUL-terminated; NULL once out of memory */
	size_t len, cap;
};

static void put(struct page *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct page *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->buf)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(p->buf + p->len, p->cap - p->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			free(p->buf);
			p->buf = NULL;
			return;
		}
		if ((size_t)n < p->cap - p->len) {
			p->len += (size_t)n;
			return;
		}
		char *b = realloc(p->buf, p->cap * 2 + (size_t)n);

		if (!b) {
			free(p->buf);
			p->buf = NULL;
			return;
		}
		p->buf = b;
		p->cap = p->cap * 2 + (size_t)n;
	}
}

static void family(struct page *p, const char *name, const char *type,
		   const char *help)
{
	put(p, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value as the format wants it: \, " and newline escaped.  Ours
 * come from fixed sets, but the page must stay readable whatever. */
static void put_label(struct page *p, const char *v)
{
	char esc[2 * METRICS_LABEL_MAX + 1];
	size_t j = 0;

	for (size_t i = 0; v[i] && j + 2 < sizeof(esc); i++) {
		if (v[i] == '\\' || v[i] == '"' || v[i] == '\n')
			esc[j++] = '\\';
		esc[j++] = v[i] == '\n' ? 'n' : v[i];
	}
	esc[j] = '\0';
	put(p, "\"%s\"", esc);
}

static void labelled(struct page *p, const char *name, const char *label,
		     const struct metrics_labelled *t, size_t cap)
{
	for (size_t i = 0; i < cap; i++) {
		if (!t[i].label[0])
			continue;
		put(p, "%s{%s=", name, label);
		put_label(p, t[i].label);
		put(p, "} %llu\n", (unsigned long long)t[i].n);
	}
}

static void hist(struct page *p, const char *name,
		 const struct metrics_hist *h, const double *bounds,
		 size_t nbounds)
{
	uint64_t cum = 0;

	for (size_t i = 0; i < nbounds; i++) {
		cum += h->bucket[i];
		put(p, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[i],
		    (unsigned long long)cum);
	}
	cum += h->bucket[nbounds];
	put(p, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
	put(p, "%s_sum %.9g\n%s_count %llu\n", name, h->sum, name,
	    (unsigned long long)h->count);
}

static void gauge(struct page *p, const char *name, const char *help,
		  double v)
{
	family(p, name, "gauge", help);
	put(p, "%s %.17g\n", name, v);
}

char *metrics_render(const struct metrics *m, const struct metrics_gauges *g,
		     size_t *len)
{
	struct page p = { .buf = malloc(8192), .cap = 8192 };

	if (!p.buf)
		return NULL;
	p.buf[0] = '\0';
	family(&p, "ruche_info", "gauge", "Ruche's version, as a label.");
	put(&p, "ruche_info{version=\"%s\"} 1\n", RUCHE_VERSION);
	gauge(&p, "ruche_uptime_seconds", "Seconds since the server started.",
	      g->uptime_s);
	gauge(&p, "process_resident_memory_bytes",
	      "Resident memory of the server process in bytes.",
	      (double)g->rss_bytes);
	gauge(&p, "ruche_connections", "Open WebSocket connections.",
	      (double)g->conns);
	gauge(&p, "ruche_connections_authenticated",
	      "Open WebSocket connections that have logged in.",
	      (double)g->conns_auth);
	gauge(&p, "ruche_outbound_queue_bytes",
	      "Bytes queued to go out, over every connection.",
	      (double)g->outq_bytes);
	gauge(&p, "ruche_outbound_queue_max_bytes",
	      "Bytes queued for the most behind connection.",
	      (double)g->outq_max_bytes);
	gauge(&p, "ruche_outbound_queue_frames",
	      "Frames queued to go out, over every connection.",
	      (double)g->outq_frames);
	gauge(&p, "ruche_meetups_running",
	      "Meetups going through their steps now.",
	      (double)g->meetups_running);
	gauge(&p, "ruche_meetups_paused", "Meetups a mentor has paused.",
	      (double)g->meetups_paused);

	family(&p, "ruche_requests_total", "counter",
	       "Requests read, by operation family (invalid: not a known "
	       "operation).");
	labelled(&p, "ruche_requests_total", "op", m->ops,
		 METRICS_MAX_FAMILIES);
	family(&p, "ruche_errors_total", "counter",
	       "Error replies, by protocol error code.");
	labelled(&p, "ruche_errors_total", "code", m->errors,
		 METRICS_MAX_CODES);
	family(&p, "ruche_events_delivered_total", "counter",
	       "Event frames queued to connections.");
	put(&p, "ruche_events_delivered_total %llu\n",
	    (unsigned long long)m->events_delivered);
	family(&p, "ruche_commits_failed_total", "counter",
	       "Grouped commits that failed (their replies became errors).");
	put(&p, "ruche_commits_failed_total %llu\n",
	    (unsigned long long)m->commits_failed);
	family(&p, "ruche_commit_batch_size", "histogram",
	       "Replies released by one grouped commit.");
	hist(&p, "ruche_commit_batch_size", &m->commit_batch, batch_bounds,
	     METRICS_BATCH_BUCKETS);
	family(&p, "ruche_commit_duration_seconds", "histogram",
	       "Time one grouped commit took, the sync to disk included.");
	hist(&p, "ruche_commit_duration_seconds", &m->commit_seconds,
	     latency_bounds, METRICS_LATENCY_BUCKETS);
	if (p.buf)
		*len = p.len;
	return p.buf;
}

char *metrics_server_text(struct server *srv, size_t *len)
{
	struct metrics_gauges g = { 0 };
	struct store_meetup *v = NULL;
	size_t n = 0;

	for (const struct conn *c = srv->conns; c; c = c->next) {
		g.conns++;
		if (c->user_id)
			g.conns_auth++;
		g.outq_bytes += c->out_bytes;
		g.outq_frames += c->out_count;
		if (c->out_bytes > g.outq_max_bytes)
			g.outq_max_bytes = c->out_bytes;
	}
	if (!store_meetup_live(srv->store, &v, &n))
		for (size_t i = 0; i < n; i++) {
			if (!strcmp(v[i].state, "running"))
				g.meetups_running++;
			else if (!strcmp(v[i].state, "paused"))
				g.meetups_paused++;
		}
	store_meetup_list_free(v, n);
	g.rss_bytes = metrics_rss_bytes();
	g.uptime_s = (double)(metrics_now_ns() - srv->metrics.started_ns) /
		     1e9;
	return metrics_render(&srv->metrics, &g, len);
}
