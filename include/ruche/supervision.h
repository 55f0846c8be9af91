/*
 * supervision.h - how each hive and each mentor is doing, for admins.
 *
 * Admins supervise mentors without reading every line: over a period
 * they see, per hive, who took part, how much was said, which questions
 * in "help" waited a day without an answer, how reports were handled and
 * what moderation did; per mentor, what they did in their hives.  The
 * same report serves the protocol (supervision.report) and the command
 * line (ruche admin report).
 */
#ifndef RUCHE_SUPERVISION_H
#define RUCHE_SUPERVISION_H

#include <stdint.h>
#include <jansson.h>

#include "ruche/hives.h"

#define SUPERVISION_MAX_DAYS 366	/* longest period of one report */
#define DAY_MS (24LL * 60 * 60 * 1000)

/*
 * The report over [from, to) for one hive (hive_id) or every hive (0):
 * {from, to, hives: [...], mentors: [...]} as docs/protocol.md describes
 * for supervision.report.  Admins (and the operator) only: else
 * RUCHE_EFORBIDDEN; RUCHE_EINVAL for a period that is empty, reversed or
 * longer than SUPERVISION_MAX_DAYS; RUCHE_ENOTFOUND for no such hive.
 */
int supervision_report(struct server *srv, struct actor who, int64_t hive_id,
		       int64_t from, int64_t to, json_t **out);

/* The median of n sorted values, rounded down; -1 when n is 0. */
int64_t supervision_median(const int64_t *sorted, size_t n);

#endif
