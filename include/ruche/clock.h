/*
 * clock.h - where Ruche reads the time.
 *
 * Everything that depends on time (expiries, mutes, meetup timers, uptime)
 * reads it through a struct clock passed in from main(), so that tests can
 * run a 45-minute meetup in milliseconds with a fake clock.
 */
#ifndef RUCHE_CLOCK_H
#define RUCHE_CLOCK_H

#include <stdint.h>

struct clock {
	/* Wall-clock time in milliseconds since the Unix epoch (UTC). */
	int64_t (*wall_ms)(struct clock *clk);
	/* Monotonic milliseconds from an arbitrary origin; never goes back. */
	int64_t (*mono_ms)(struct clock *clk);
};

/* The operating system's clocks.  Static storage; never freed. */
struct clock *clock_system(void);

/* A clock that only moves when a test moves it. */
struct clock_fake {
	struct clock clock;	/* first, so &fake->clock is the clock */
	int64_t wall;		/* current wall time in ms */
	int64_t mono;		/* current monotonic time in ms */
};

/* Sets up a fake clock at the given wall time, monotonic time 0. */
void clock_fake_init(struct clock_fake *fake, int64_t wall_ms);

/* Moves a fake clock forward by ms on both of its scales. */
void clock_fake_advance(struct clock_fake *fake, int64_t ms);

static inline int64_t clock_wall_ms(struct clock *clk)
{
	return clk->wall_ms(clk);
}

static inline int64_t clock_mono_ms(struct clock *clk)
{
	return clk->mono_ms(clk);
}

#endif
