/* clock.c - the system clock, and a fake one for tests. */
#include <time.h>

#include "ruche/clock.h"

static int64_t ts_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t system_wall_ms(struct clock *clk)
{
	(void)clk;
	return ts_ms(CLOCK_REALTIME);
}

static int64_t system_mono_ms(struct clock *clk)
{
	(void)clk;
	return ts_ms(CLOCK_MONOTONIC);
}

struct clock *clock_system(void)
{
	static struct clock sys = { system_wall_ms, system_mono_ms };

	return &sys;
}

static int64_t fake_wall_ms(struct clock *clk)
{
	return ((struct clock_fake *)clk)->wall;
}

static int64_t fake_mono_ms(struct clock *clk)
{
	return ((struct clock_fake *)clk)->mono;
}

void clock_fake_init(struct clock_fake *fake, int64_t wall_ms)
{
	fake->clock.wall_ms = fake_wall_ms;
	fake->clock.mono_ms = fake_mono_ms;
	fake->wall = wall_ms;
	fake->mono = 0;
}

void clock_fake_advance(struct clock_fake *fake, int64_t ms)
{
	fake->wall += ms;
	fake->mono += ms;
}
