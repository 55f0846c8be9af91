/*
 * run.c - the workloads of ruche-load, and the results they print.
 *
 * Each workload sets its connections up through the ramp, then measures
 * over windows: a warm-up that is not counted, a measured window, and for
 * messages a drain during which the last deliveries may still arrive.
 * Every result is one JSON object on a line of standard output, with the
 * CPU of the server and of the generator and the machine's busy share
 * over the same window: on a machine whose cores the server and the
 * generator share, a figure means little without them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "load.h"
#include "run.h"
#include "sys.h"

#define NS 1000000000ull

/* ---- One JSON object per line ---------------------------------------- */

struct jout {
	bool first;	/* no field written yet */
};

static void jo_key(struct jout *j, const char *k)
{
	printf("%s\"%s\":", j->first ? "{" : ",", k);
	j->first = false;
}

static void jo_num(struct jout *j, const char *k, double v)
{
	jo_key(j, k);
	if (v == (double)(long long)v && v > -1e15 && v < 1e15)
		printf("%lld", (long long)v);
	else
		printf("%.4f", v);
}

static void jo_str(struct jout *j, const char *k, const char *s)
{
	jo_key(j, k);
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void jo_bool(struct jout *j, const char *k, bool v)
{
	jo_key(j, k);
	fputs(v ? "true" : "false", stdout);
}

static void jo_end(struct jout *j)
{
	fputs(j->first ? "{}\n" : "}\n", stdout);
	fflush(stdout);
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

/* The fields every result has: what ran and on what. */
static void jo_head(struct jout *j, struct gen *g, const char *type)
{
	j->first = true;
	jo_str(j, "type", type);
	jo_str(j, "kind", g->kind->name);
	if (g->o.label)
		jo_str(j, "label", g->o.label);
	jo_num(j, "clients", (double)g->ncl);
	jo_num(j, "groups", g->ngroups);
}

/*
 * The share of the machine that neither the server nor the generator used:
 * other work, or the hypervisor's steal.  A window where it is high says
 * little about the server.
 */
static double other_pct(const struct sys_window *w)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	double ours = (w->server_cpu_pct > 0 ? w->server_cpu_pct : 0) +
		      w->self_cpu_pct;

	if (ncpu < 1)
		ncpu = 1;
	return w->machine_busy_pct - ours / (double)ncpu;
}

/* The window's CPU, and the server's memory at its end (rss_kb). */
static void jo_window(struct jout *j, const struct sys_window *w,
		      long rss_kb)
{
	jo_num(j, "seconds", w->seconds);
	jo_num(j, "server_cpu_pct", w->server_cpu_pct);
	jo_num(j, "gen_cpu_pct", w->self_cpu_pct);
	jo_num(j, "machine_busy_pct", w->machine_busy_pct);
	jo_num(j, "steal_pct", w->steal_pct);
	jo_num(j, "other_pct", other_pct(w));
	jo_num(j, "server_rss_kb", (double)rss_kb);
}

static long server_rss(struct gen *g)
{
	return g->o.server_pid ? sys_rss_kb(g->o.server_pid) : -1;
}

static void jo_hist(struct jout *j, const char *prefix, const struct hist *h)
{
	char k[48];

	snprintf(k, sizeof(k), "%sp50_ms", prefix);
	jo_num(j, k, ms(hist_quantile(h, 0.50)));
	snprintf(k, sizeof(k), "%sp99_ms", prefix);
	jo_num(j, k, ms(hist_quantile(h, 0.99)));
	snprintf(k, sizeof(k), "%sp999_ms", prefix);
	jo_num(j, k, ms(hist_quantile(h, 0.999)));
	snprintf(k, sizeof(k), "%smax_ms", prefix);
	jo_num(j, k, ms(h->max));
}

/* ---- Setting up ------------------------------------------------------- */

static bool all_set_up(struct gen *g)
{
	return g->next_open >= g->ncl && g->pending == 0 && g->nretry == 0;
}

/* Opens every client through the ramp; 0 once all are ready. */
static int setup(struct gen *g, struct sys_window *w)
{
	struct sys_sample a, b;

	sys_sample(&a, g->o.server_pid);
	net_ramp_start(g);
	if (net_run(g, UINT64_MAX, all_set_up))
		return -1;
	sys_sample(&b, g->o.server_pid);
	sys_window(&a, &b, w);
	if (g->nfailed) {
		fprintf(stderr,
			"ruche-load: %zu of %zu connections failed: %s\n",
			g->nfailed, g->ncl, g->why);
		return -1;
	}
	fprintf(stderr,
		"ruche-load: %zu %s clients set up in %.1f s "
		"(server %.0f %%, generator %.0f %%, machine %.0f %%)\n",
		g->ncl, g->kind->name, w->seconds, w->server_cpu_pct,
		w->self_cpu_pct, w->machine_busy_pct);
	return 0;
}

static void reset_stats(struct gen *g)
{
	memset(&g->st, 0, sizeof(g->st));
}

static uint64_t after(double secs)
{
	return sys_mono_ns() + (uint64_t)(secs * 1e9);
}

/* ---- login ------------------------------------------------------------ */

static bool logins_done(struct gen *g)
{
	return all_set_up(g);
}

int run_login(struct gen *g)
{
	struct sys_sample a, b;
	struct sys_window w;
	struct jout j;
	FILE *f;

	sys_sample(&a, g->o.server_pid);
	net_ramp_start(g);
	if (net_run(g, UINT64_MAX, logins_done))
		return -1;
	sys_sample(&b, g->o.server_pid);
	sys_window(&a, &b, &w);
	if (g->nfailed) {
		fprintf(stderr, "ruche-load: %zu of %zu logins failed: %s\n",
			g->nfailed, g->ncl, g->why);
		return -1;
	}
	f = fopen(g->o.out_path, "w");
	if (!f) {
		perror(g->o.out_path);
		return -1;
	}
	for (size_t i = 0; i < g->nusers; i++) {
		struct user *u = &g->users[i];

		fprintf(f, "%s\t%lld\t%lld\t%s\n", u->handle,
			(long long)u->hive_id, (long long)u->channel_id,
			u->token);
	}
	if (fclose(f)) {
		perror(g->o.out_path);
		return -1;
	}
	jo_head(&j, g, "login");
	jo_num(&j, "logins", (double)g->ndone);
	jo_num(&j, "logins_per_s", (double)g->ndone / w.seconds);
	jo_hist(&j, "login_", &g->st.ack);
	jo_window(&j, &w, server_rss(g));
	jo_end(&j);
	return 0;
}

/* ---- cohort: open-loop fan-out, stepping the rate up ------------------ */

static bool drained(struct gen *g)
{
	return g->st.delivered >= g->st.expected;
}

static void schedule_all(struct gen *g, double rate)
{
	uint64_t now = sys_mono_ns();

	g->interval_ns = rate > 0 ? (uint64_t)(1e9 / rate) : 0;
	for (size_t i = 0; i < g->ncl; i++)
		net_schedule(g, &g->cl[i], now);
}

int run_cohort(struct gen *g)
{
	struct sys_window w, wd;
	double best_rate = 0, best_dps = 0, rates[64], last_pass = 0;
	int best = -1, nrates = g->o.nrates, retries = g->o.retries;
	bool refined = false;
	struct jout j;

	memcpy(rates, g->o.rates, sizeof(g->o.rates));
	if (setup(g, &w))
		return -1;
	for (int i = 0; i < nrates; i++) {
		double rate = rates[i], delivery, p99, dps, rps, cpu_us;
		struct sys_sample a, b;
		long rss;
		bool pass, noisy, retry;
		char why[128] = "";

		g->tag = 0;
		schedule_all(g, rate);
		if (net_run(g, after(g->o.warm_s), NULL))
			return -1;
		reset_stats(g);
		g->tag = (uint32_t)i + 1;
		g->counting = true;
		g->measuring = true;
		sys_sample(&a, g->o.server_pid);
		if (net_run(g, after(g->o.measure_s), NULL))
			return -1;
		sys_sample(&b, g->o.server_pid);
		sys_window(&a, &b, &w);
		rss = server_rss(g);
		schedule_all(g, 0);
		/* The window is over; what it sent may still arrive. */
		if (net_run(g, after(g->o.drain_s), drained))
			return -1;
		g->counting = false;
		g->measuring = false;
		sys_sample(&b, g->o.server_pid);
		sys_window(&a, &b, &wd);

		delivery = g->st.expected ? (double)g->st.delivered /
						    (double)g->st.expected : 0;
		p99 = ms(hist_quantile(&g->st.lat, 0.99));
		dps = (double)g->st.delivered / w.seconds;
		/*
		 * CPU per delivery: the server's CPU time from the start of
		 * the window to the end of the drain, over every delivery
		 * read in that time.  While the server keeps up this is its
		 * CPU % x 10,000 / deliveries per second; when it falls
		 * behind, it still counts all the work done and all the CPU
		 * it took, as long as it caught up during the drain.
		 */
		rps = (double)g->st.received / wd.seconds;
		cpu_us = rps > 0 && wd.server_cpu_pct >= 0 ?
				 wd.server_cpu_pct * 1e4 / rps : -1;
		pass = g->st.expected > 0 && delivery >= g->o.delivery_min &&
		       p99 <= g->o.p99_limit_ms;
		if (!g->st.expected)
			snprintf(why, sizeof(why), "nothing sent");
		else if (delivery < g->o.delivery_min)
			snprintf(why, sizeof(why), "delivered %.2f %%",
				 100 * delivery);
		else if (!pass)
			snprintf(why, sizeof(why), "p99 %.1f ms", p99);
		/* A step that failed while other work took much of the
		 * machine is run again: it may be the neighbours' fault. */
		noisy = other_pct(&w) > g->o.noise_max;
		retry = !pass && noisy && retries > 0;

		jo_head(&j, g, "step");
		jo_window(&j, &w, rss);
		jo_num(&j, "step", i + 1);
		jo_num(&j, "rate", rate);
		jo_num(&j, "sent", (double)g->st.sent);
		jo_num(&j, "expected", (double)g->st.expected);
		jo_num(&j, "delivered", (double)g->st.delivered);
		jo_num(&j, "delivery", delivery);
		jo_num(&j, "offered_per_s", (double)g->st.expected / w.seconds);
		jo_num(&j, "delivered_per_s", dps);
		jo_num(&j, "sent_per_s", (double)g->st.sent / w.seconds);
		jo_num(&j, "received_per_s", rps);
		jo_bool(&j, "caught_up", g->st.delivered >= g->st.expected);
		jo_num(&j, "drain_seconds", wd.seconds - w.seconds);
		jo_num(&j, "self", (double)g->st.self);
		jo_num(&j, "late", (double)g->st.late);
		jo_num(&j, "lost", (double)g->st.lost);
		jo_num(&j, "acks_ok", (double)g->st.acks_ok);
		jo_num(&j, "acks_err", (double)g->st.acks_err);
		if (g->st.ack_error[0])
			jo_str(&j, "ack_error", g->st.ack_error);
		jo_num(&j, "fragmented", (double)g->st.fragmented);
		jo_num(&j, "pings", (double)g->st.pings);
		jo_num(&j, "pongs", (double)g->st.pongs);
		jo_hist(&j, "", &g->st.lat);
		if (g->kind->acks)
			jo_hist(&j, "ack_", &g->st.ack);
		jo_num(&j, "lag_p99_ms", ms(hist_quantile(&g->st.lag, 0.99)));
		jo_num(&j, "cpu_us_per_delivery", cpu_us);
		jo_bool(&j, "pass", pass);
		jo_bool(&j, "noisy", noisy);
		jo_bool(&j, "retried", retry);
		if (why[0])
			jo_str(&j, "why", why);
		jo_end(&j);
		fprintf(stderr,
			"ruche-load: %s step %d rate %g/s: %.0f deliveries/s "
			"(%.2f %%), p50 %.2f p99 %.2f p999 %.2f ms, server "
			"%.0f %%, generator %.0f %%, machine %.0f %%%s%s\n",
			g->kind->name, i + 1, rate, dps, 100 * delivery,
			ms(hist_quantile(&g->st.lat, 0.5)), p99,
			ms(hist_quantile(&g->st.lat, 0.999)),
			w.server_cpu_pct, w.self_cpu_pct,
			w.machine_busy_pct, pass ? "" : " FAIL: ", why);
		if (retry) {
			fprintf(stderr,
				"ruche-load: other work took %.0f %% of the "
				"machine: step again\n",
				other_pct(&w));
			retries--;
			i--;
			continue;
		}
		retries = g->o.retries;
		if (pass && dps > best_dps) {
			best = i;
			best_rate = rate;
			best_dps = dps;
		}
		if (pass) {
			last_pass = rate;
			continue;
		}
		if (g->o.keep_going)
			continue;
		/* Between the last rate that passed and this one, try a few
		 * more: doubling steps alone only tell within a factor 2. */
		if (g->o.refine && !refined && last_pass > 0 &&
		    rate > last_pass) {
			refined = true;
			nrates = i + 1;
			for (int k = 1; k <= g->o.refine && nrates < 64; k++)
				rates[nrates++] = last_pass +
						  (rate - last_pass) * k /
							  (g->o.refine + 1);
			continue;
		}
		break;
	}
	jo_head(&j, g, "cohort");
	jo_num(&j, "best_step", best + 1);
	jo_num(&j, "best_rate", best_rate);
	jo_num(&j, "best_delivered_per_s", best_dps);
	jo_end(&j);
	return 0;
}

/* ---- idle: connections that only wait --------------------------------- */

int run_idle(struct gen *g)
{
	struct sys_sample a, b;
	struct sys_window setup_w, w;
	long rss0 = server_rss(g), rss1;
	struct jout j;

	if (setup(g, &setup_w))
		return -1;
	if (net_run(g, after(g->o.settle_s), NULL))
		return -1;
	reset_stats(g);
	sys_sample(&a, g->o.server_pid);
	if (net_run(g, after(g->o.measure_s), NULL))
		return -1;
	sys_sample(&b, g->o.server_pid);
	sys_window(&a, &b, &w);
	rss1 = server_rss(g);
	jo_head(&j, g, "idle");
	jo_num(&j, "conns", (double)g->nready);
	jo_num(&j, "setup_seconds", setup_w.seconds);
	jo_num(&j, "setup_server_cpu_pct", setup_w.server_cpu_pct);
	jo_num(&j, "setup_gen_cpu_pct", setup_w.self_cpu_pct);
	jo_num(&j, "setup_machine_busy_pct", setup_w.machine_busy_pct);
	jo_num(&j, "rss_before_kb", (double)rss0);
	jo_num(&j, "rss_after_kb", (double)rss1);
	jo_num(&j, "rss_per_conn_bytes",
	       g->nready ? (double)(rss1 - rss0) * 1024.0 / (double)g->nready
			 : -1);
	jo_num(&j, "lost", (double)g->st.lost);
	jo_num(&j, "pings", (double)g->st.pings);
	jo_num(&j, "pongs", (double)g->st.pongs);
	jo_window(&j, &w, rss1);
	jo_end(&j);
	fprintf(stderr,
		"ruche-load: %s idle: %zu connections, RSS %ld -> %ld KiB "
		"(%.0f bytes each), server %.1f %% while idle\n",
		g->kind->name, g->nready, rss0, rss1,
		g->nready ? (double)(rss1 - rss0) * 1024.0 / (double)g->nready
			  : 0,
		w.server_cpu_pct);
	return 0;
}

/* ---- writes: pipelined sends, counting acknowledgements --------------- */

static bool none_in_flight(struct gen *g)
{
	for (size_t i = 0; i < g->ncl; i++)
		if (g->cl[i].state == CL_READY && g->cl[i].inflight)
			return false;
	return true;
}

int run_writes(struct gen *g)
{
	struct sys_sample a, b;
	struct sys_window w;
	uint64_t now;
	struct jout j;

	if (setup(g, &w))
		return -1;
	g->tag = 0;
	g->pipeline = g->o.window;
	now = sys_mono_ns();
	for (size_t i = 0; i < g->ncl; i++)
		for (int k = 0; k < g->o.window; k++)
			if (g->cl[i].state == CL_READY)
				net_send_chat(g, &g->cl[i], now);
	if (net_run(g, after(g->o.warm_s), NULL))
		return -1;
	reset_stats(g);
	g->counting = true;
	sys_sample(&a, g->o.server_pid);
	if (net_run(g, after(g->o.measure_s), NULL))
		return -1;
	sys_sample(&b, g->o.server_pid);
	sys_window(&a, &b, &w);
	g->counting = false;
	g->pipeline = 0;
	jo_head(&j, g, "writes");
	jo_num(&j, "window", g->o.window);
	jo_num(&j, "acks_ok", (double)g->st.acks_ok);
	jo_num(&j, "acks_err", (double)g->st.acks_err);
	if (g->st.ack_error[0])
		jo_str(&j, "ack_error", g->st.ack_error);
	jo_num(&j, "acks_per_s", (double)g->st.acks_ok / w.seconds);
	jo_hist(&j, "ack_", &g->st.ack);
	jo_num(&j, "lost", (double)g->st.lost);
	jo_window(&j, &w, server_rss(g));
	jo_end(&j);
	fprintf(stderr,
		"ruche-load: writes, %zu clients x %d in flight: %.0f acks/s, "
		"p50 %.2f p99 %.2f ms, server %.0f %%, generator %.0f %%, "
		"machine %.0f %%\n",
		g->ncl, g->o.window, (double)g->st.acks_ok / w.seconds,
		ms(hist_quantile(&g->st.ack, 0.5)),
		ms(hist_quantile(&g->st.ack, 0.99)), w.server_cpu_pct,
		w.self_cpu_pct, w.machine_busy_pct);
	return net_run(g, after(g->o.drain_s), none_in_flight);
}
