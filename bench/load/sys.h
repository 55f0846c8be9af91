/*
 * sys.h - clocks and what /proc says about CPU time and memory.
 *
 * Every figure the generator prints is measured over a window: take a
 * struct sys_sample at its start and at its end, then sys_window() turns
 * the two into percentages.  CPU percentages are of one core (a process
 * using both cores of this machine fully shows 200 %); the machine's busy
 * share is of all cores (100 % is every core busy), and counts the time
 * the hypervisor stole (steal) as busy: it was not ours to use.
 */
#ifndef LOAD_SYS_H
#define LOAD_SYS_H

#include <stdint.h>
#include <sys/types.h>

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t sys_mono_ns(void);

/* What one moment looks like. */
struct sys_sample {
	uint64_t mono_ns;	/* when */
	uint64_t self_ns;	/* CPU time of this process */
	uint64_t server_ticks;	/* the server's utime + stime */
	int server_ok;		/* 1 when server_ticks could be read */
	uint64_t busy_ticks;	/* all cores: ticks not idle nor iowait */
	uint64_t total_ticks;	/* all cores: every tick */
	uint64_t steal_ticks;	/* all cores: taken by the hypervisor */
};

/* What happened between two samples. */
struct sys_window {
	double seconds;		/* wall time */
	double self_cpu_pct;	/* this process, % of one core */
	double server_cpu_pct;	/* % of one core; -1: unknown */
	double machine_busy_pct; /* all cores, % of the machine */
	double steal_pct;	/* all cores: share the hypervisor took */
};

/* Reads now; server_pid 0 means no server to watch. */
void sys_sample(struct sys_sample *s, pid_t server_pid);

/* The window from a to b. */
void sys_window(const struct sys_sample *a, const struct sys_sample *b,
		struct sys_window *w);

/* VmRSS of a process in KiB, or -1 when it cannot be read. */
long sys_rss_kb(pid_t pid);

/* Raises the open-file limit to its hard limit; returns the new limit. */
long sys_raise_nofile(void);

#endif
