/* sys.c - clocks and what /proc says about CPU time and memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include "sys.h"

uint64_t sys_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t self_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* utime + stime of pid from /proc/PID/stat.  0, or -1. */
static int proc_ticks(pid_t pid, uint64_t *ticks)
{
	char path[64], line[1024], *p;
	unsigned long long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = '\0';
	/* The command name may hold spaces and parentheses: skip past the
	 * last ')', then fields 3.. follow; utime and stime are 14 and 15. */
	p = strrchr(line, ')');
	if (!p)
		return -1;
	if (sscanf(p + 1,
		   " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
		   &ut, &st) != 2)
		return -1;
	*ticks = ut + st;
	return 0;
}

static void machine_ticks(uint64_t *busy, uint64_t *total, uint64_t *steal)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");

	*busy = *total = *steal = 0;
	if (!f)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8) {
		for (int i = 0; i < 8; i++)
			*total += v[i];
		/* idle and iowait are the two kinds of not working. */
		*busy = *total - v[3] - v[4];
		*steal = v[7];
	}
	fclose(f);
}

void sys_sample(struct sys_sample *s, pid_t server_pid)
{
	memset(s, 0, sizeof(*s));
	s->mono_ns = sys_mono_ns();
	s->self_ns = self_cpu_ns();
	if (server_pid > 0)
		s->server_ok = proc_ticks(server_pid, &s->server_ticks) == 0;
	machine_ticks(&s->busy_ticks, &s->total_ticks, &s->steal_ticks);
}

void sys_window(const struct sys_sample *a, const struct sys_sample *b,
		struct sys_window *w)
{
	double secs = (double)(b->mono_ns - a->mono_ns) / 1e9;
	double hz = (double)sysconf(_SC_CLK_TCK);
	uint64_t total = b->total_ticks - a->total_ticks;

	memset(w, 0, sizeof(*w));
	w->seconds = secs;
	if (secs <= 0)
		return;
	w->self_cpu_pct = 100.0 * (double)(b->self_ns - a->self_ns) / 1e9 /
			  secs;
	w->server_cpu_pct = -1;
	if (a->server_ok && b->server_ok) {
		uint64_t t = b->server_ticks - a->server_ticks;

		w->server_cpu_pct = 100.0 * (double)t / hz / secs;
	}
	if (total) {
		w->machine_busy_pct = 100.0 *
				      (double)(b->busy_ticks - a->busy_ticks) /
				      (double)total;
		w->steal_pct = 100.0 *
			       (double)(b->steal_ticks - a->steal_ticks) /
			       (double)total;
	}
}

long sys_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

long sys_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	getrlimit(RLIMIT_NOFILE, &rl);
	return (long)rl.rlim_cur;
}
