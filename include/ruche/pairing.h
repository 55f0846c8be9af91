/*
 * pairing.h - regular peer pairing of a hive's learners.
 *
 * Learners need each other, mostly to escape loneliness: a mentor turns
 * on peer pairing in a hive, and every week (or fortnight) the server
 * puts its learners two by two into direct conversations with an
 * opening prompt.  Mentors of the hive (and admins) set it and read the
 * history of rounds; learners find their partner in their DMs.
 *
 * A round pairs the hive's learners (not mentors; banned or departed
 * people are no longer members; muted learners are paired all the same),
 * keeping apart those who met in the hive's last PAIRING_RECENT_ROUNDS
 * rounds when it can, and when it cannot, choosing the pairing with the
 * fewest and oldest repeats.  With an odd number one learner joins a
 * pair as a trio.  Each group talks in its members' direct conversation
 * (chat_direct_open: the one they already have, or a new one), where the
 * prompt is posted on behalf of the mentor who last set pairing, as the
 * meetup runner posts for the mentor who scheduled a meetup.  A hive
 * with fewer than two learners gets a round marked skipped, with why.
 *
 * All of it is stored.  The next round's time moves on by the cadence
 * in the same transaction as the round, and a hive has one round per
 * scheduled time at most, so a restart neither loses nor doubles a round;
 * rounds missed while the server was down run once, not once per missed
 * week.
 *
 * Functions return 0 or a negative RUCHE_E code and change nothing on
 * failure; *out is a new JSON reference on success.  why (when given)
 * receives a reason for people on RUCHE_EINVAL.
 */
#ifndef RUCHE_PAIRING_H
#define RUCHE_PAIRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "ruche/accounts.h"
#include "ruche/store.h"

struct server;

#define PAIRING_RECENT_ROUNDS 8		/* rounds whose pairs are avoided */
#define PAIRING_DAY_MS (24LL * 60 * 60 * 1000)
#define PAIRING_PROMPT_MAX 2000		/* characters */
#define PAIRING_HISTORY_MAX 100		/* rounds per history call */
#define PAIRING_WHY_MAX 160

/* The prompt posted when the mentor wrote none. */
extern const char pairing_default_prompt[];

/* The hive's settings: {"pairing": {...}}.  Members and admins. */
int pairing_get(struct server *srv, struct actor who, int64_t hive_id,
		json_t **out);

/*
 * Mentors of the hive and admins.  every_days: 0 keeps it (7 the first
 * time), else 7 or 14.  next_at: 0 keeps it (when turning on with none,
 * the next Monday at 09:00 UTC), else a future time within a year.
 * prompt: NULL keeps it, "" goes back to the default one.  Mentors of
 * the hive and connected admins get pairing.updated.
 */
int pairing_set(struct server *srv, struct actor who, int64_t hive_id,
		bool enabled, int every_days, int64_t next_at,
		const char *prompt, json_t **out,
		char why[PAIRING_WHY_MAX]);

/* Runs a round now, whether pairing is on or not; the next scheduled
 * round keeps its time.  {"round": {...}}.  Mentors and admins. */
int pairing_run(struct server *srv, struct actor who, int64_t hive_id,
		json_t **out);

/* The hive's rounds, newest first: {"rounds": [...]}.  limit 0: 20.
 * Mentors and admins. */
int pairing_history(struct server *srv, struct actor who, int64_t hive_id,
		    int limit, json_t **out);

/* Runs the rounds whose time has come.  Called by server_housekeeping()
 * (and so after clock.advance); cheap when nothing is due. */
void pairing_housekeeping(struct server *srv);

/*
 * The algorithm, pure: splits n people (ids) into n / 2 groups, pairs
 * and, when n is odd, one trio, putting group_of[i] (0-based) for
 * ids[i].  recent lists who met in the last rounds (age 0: the latest);
 * a meeting costs more the more recent it is, and the grouping with the
 * lowest total is chosen (exactly for a hive's usual size; for large n
 * the best found within a bounded search).  seed picks among equal
 * groupings: the same input and seed give the same groups.  Returns the
 * number of groups (0 when n < 2) or RUCHE_ENOMEM.
 */
int pairing_make(const int64_t *ids, size_t n,
		 const struct store_pairing_meet *recent, size_t nrecent,
		 uint64_t seed, int *group_of);

#endif
