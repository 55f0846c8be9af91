/*
 * meetups.h - scheduling scripted meetups in a hive: each hive's library of
 * scripts, meetups with their RSVPs, and the reminders before they start.
 *
 * Mentors of a hive (and admins) keep its library of scripts and schedule
 * meetups from a script of the library, a template shipped with Ruche
 * (meetup_script.h) or a script written for the occasion; a meetup keeps
 * its own copy of the script.  Members read the hive's meetups and answer
 * going, maybe or no; a meetup's cap limits how many may say going.
 *
 * Reminders: 24 hours and 15 minutes before a meetup starts, the server
 * posts a message in the hive's "meetups" channel and sends the event
 * meetup.reminder to each member who said going (stored for them alone:
 * schedule_emit_user(), so that someone offline gets it on resuming).
 * The message's author is the mentor who scheduled the meetup (the server
 * writes it on their behalf, once: a nonce makes a repeat a no-op); when
 * that account is gone or may no longer post there, only the events go
 * out.  A reminder whose time had already come when the meetup was
 * scheduled is not sent.
 *
 * Like chat.h, a change is stored with its event in one transaction and
 * published after the commit; a failed call changes nothing.  Functions
 * return 0 or a RUCHE_E* code: a hive the actor is not a member of (nor
 * an admin) is RUCHE_ENOTFOUND, a learner managing meetups
 * RUCHE_EFORBIDDEN, an archived hive RUCHE_EARCHIVED.
 */
#ifndef RUCHE_MEETUPS_H
#define RUCHE_MEETUPS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "ruche/accounts.h"
#include "ruche/meetup_script.h"
#include "ruche/store.h"

struct server;

#define MEETUP_REMIND_DAY_MS (24LL * 3600 * 1000)
#define MEETUP_REMIND_SOON_MS (15LL * 60 * 1000)
#define MEETUP_AHEAD_MAX_MS (366LL * 86400 * 1000) /* furthest start */
#define MEETUP_CAP_MAX 1000
#define MEETUP_SCRIPTS_MAX 200		/* scripts in a hive's library */
#define MEETUP_WHY_MAX 200		/* bytes of a refusal's text */

/* Where a meetup's script comes from: exactly one of the three. */
struct meetup_source {
	const char *text;		/* a script's JSON text, or NULL */
	const char *template_id;	/* a built-in template, or NULL */
	int64_t script_id;		/* a script of the library, or 0 */
};

/*
 * Schedules a meetup (mentors of the hive, admins) at start_at (UTC ms,
 * in the future and at most a year ahead), recurrence "none" (NULL),
 * "weekly" or "fortnightly", cap 0 (none) to MEETUP_CAP_MAX.  An invalid
 * script is RUCHE_EINVAL with every problem in errs; other refusals of an
 * argument are RUCHE_EINVAL with a reason in why (MEETUP_WHY_MAX bytes).
 * Emits meetup.scheduled; *out is the meetup's JSON.
 */
int meetups_schedule(struct server *srv, struct actor who, int64_t hive_id,
		     const struct meetup_source *src, int64_t start_at,
		     const char *recurrence, int cap,
		     struct meetup_errors *errs, char *why, json_t **out);

#define MEETUP_PAST_DEFAULT 20	/* past meetups per page */
#define MEETUP_PAST_MAX 100

/*
 * The hive's meetups not over yet, by start time: {"meetups": [...]}.
 * With past, those that are over (ended, missed, cancelled) and started
 * before `before` (0: any time), newest first, at most limit (0: the
 * default), and "more" when older ones remain.
 */
int meetups_list(struct server *srv, struct actor who, int64_t hive_id,
		 bool past, int64_t before, int limit, json_t **out);

/* One meetup with its script and the caller's RSVP: {"meetup": {...}};
 * under way, with "live": meetups_live_json() for the caller. */
int meetups_get(struct server *srv, struct actor who, int64_t meetup_id,
		json_t **out);

/*
 * A meetup's results, for the mentors of its hive and admins (a learner:
 * RUCHE_EFORBIDDEN): {meetup, attendance, polls, feedback} as
 * docs/protocol.md describes for meetup.results.  No-shows (said going,
 * never came) are counted once the meetup has ended.
 */
int meetups_results(struct server *srv, struct actor who, int64_t meetup_id,
		    json_t **out);

/* Cancels a scheduled meetup (mentors, admins); emits meetup.updated.
 * A meetup already under way or over is RUCHE_EINVAL (why says so). */
int meetups_cancel(struct server *srv, struct actor who, int64_t meetup_id,
		   char *why);

/*
 * The caller's answer (going, maybe, no) to a scheduled meetup of their
 * hive; emits meetup.rsvp with the counts.  Saying going to a meetup whose
 * cap is reached is RUCHE_EFORBIDDEN (why says so).
 */
int meetups_rsvp(struct server *srv, struct actor who, int64_t meetup_id,
		 const char *answer, char *why, json_t **out);

/* The library: a hive's scripts, {"scripts": [...]} (mentors, admins). */
int meetups_scripts(struct server *srv, struct actor who, int64_t hive_id,
		    json_t **out);

/* Saves a script into the library: new when script_id is 0, else
 * replaces that script of the hive.  errs as for meetups_schedule(). */
int meetups_script_save(struct server *srv, struct actor who, int64_t hive_id,
			int64_t script_id, const char *text,
			struct meetup_errors *errs, char *why, json_t **out);

int meetups_script_delete(struct server *srv, struct actor who,
			  int64_t hive_id, int64_t script_id);

/* The templates shipped with Ruche: {"templates": [...]}; NULL: no memory. */
json_t *meetups_templates(void);

/*
 * Sends the reminders that are due and moves the runner on (below).
 * Called by server_housekeeping() (and so after clock.advance); cheap
 * when nothing is due.
 */
void meetups_housekeeping(struct server *srv);

/* For the runner: a meetup's JSON (with its script when full), and a post
 * in channel_id on behalf of the mentor who scheduled it (once per
 * nonce).  0 or the refusal (logged). */
json_t *meetups_meetup_json(const struct store_meetup *m, bool full);
int meetups_post(struct server *srv, const struct store_meetup *m,
		 int64_t channel_id, const char *text, const char *nonce);

/* ---- The runner (meetup_runner.c) --------------------------------------
 *
 * At its start time the server opens the meetup's channel (meetup-ID in
 * the hive) and plays the script: each step is posted there (by the
 * mentor who scheduled the meetup, on their behalf) and announced with
 * the stored event meetup.step.  All its state is stored: the current
 * step and when it ends, the speaking order of a round, the groups of a
 * breakout, answers and feedback.  Steps follow each other from the
 * stored end times, so after a restart the meetup goes on at the right
 * step with the right time left.  A meetup whose start passed more than
 * its whole planned duration ago (the server was down) is marked missed
 * and not run.  When a recurring meetup ends (or is missed) the next
 * occurrence is scheduled.
 *
 * Rounds: the order (random, alphabetical or join order) is fixed when
 * the step starts, from the participants present; each speaker has a
 * full turn (meetup.turn); a late joiner speaks last, a leaver who has
 * not spoken is taken out.  With speaker_only, only the speaker, the
 * hive's mentors and admins may post in the meetup's channel.
 * Breakouts: groups of group_size among those present, avoiding people
 * grouped together in the last MEETUP_RECENT_MS, the ones left over
 * joining other groups; each group talks in a direct conversation
 * (meetup.breakout says which); everyone is back in the meetup's
 * channel at the next step.  Late joiners wait for the next step.
 */

#define MEETUP_RECENT_MS (30LL * 86400 * 1000)

enum meetup_control {
	MEETUP_CTL_START,	/* now, before its start time */
	MEETUP_CTL_PAUSE,
	MEETUP_CTL_RESUME,
	MEETUP_CTL_SKIP,	/* to the next step */
	MEETUP_CTL_EXTEND,	/* the current step, by seconds */
	MEETUP_CTL_END,
};

/* Plays the meetups whose time has come.  Inside a turn (the caller's). */
void meetups_tick(struct server *srv);

/*
 * Where a meetup under way is, for someone who comes in the middle:
 * {step (as meetup.step), turn (a round's current speaker), my_group
 * (user_id's breakout group), participants}; NULL when it is not under
 * way or out of memory.  New reference.
 */
json_t *meetups_live_json(struct server *srv, const struct store_meetup *m,
			  int64_t user_id);

/* The results of every poll step of m, as meetup.poll_results; NULL:
 * no memory or no script. */
json_t *meetups_polls_json(struct server *srv, const struct store_meetup *m);

/* The mentor's controls (mentors of the hive, admins).  A control that
 * does not fit the meetup's state is RUCHE_EINVAL with why. */
int meetups_control(struct server *srv, struct actor who, int64_t meetup_id,
		    enum meetup_control ctl, int seconds, char *why,
		    json_t **out);

/* A member joins or leaves a started meetup.  Emits
 * meetup.participants. */
int meetups_join(struct server *srv, struct actor who, int64_t meetup_id,
		 char *why, json_t **out);
int meetups_leave(struct server *srv, struct actor who, int64_t meetup_id,
		  char *why);

/* A participant's answer to the current poll step: option indexes. */
int meetups_answer(struct server *srv, struct actor who, int64_t meetup_id,
		   int step, const json_t *choices, char *why);

/* A participant's feedback during the feedback step: nps 0-10. */
int meetups_feedback(struct server *srv, struct actor who, int64_t meetup_id,
		     int nps, const char *comment, char *why);

/*
 * Called by chat.c before a post or reaction in a hive channel: in a
 * meetup's channel during a speaker_only round, only the speaker (and
 * mentors, admins) may post: RUCHE_EFORBIDDEN with speaker_id in the
 * reply's details.
 */
int meetups_check_post(struct server *srv, struct actor who,
		       const struct store_channel *ch, enum role role);

/*
 * Splits n people (ids) into groups of size (the ones left over join the
 * first groups), keeping apart those listed in recent (npairs pairs of
 * ids, 2 * npairs values, both ways, once per time they met) when it can,
 * the most often met first.  group_of[i] receives the group of
 * ids[i], 0-based; returns the number of groups.  Pure: no store.
 */
int meetup_groups_make(const int64_t *ids, size_t n, int size,
		       const int64_t *recent, size_t npairs, int *group_of);

#endif
