/*
 * schedule.h - messages scheduled for later, and reminders of messages.
 *
 * Anyone may schedule a message of their own in a channel they may post
 * in (announcement channels: mentors and admins), once or weekly, and ask
 * to be reminded of any message they can read.  Both are stored, so they
 * survive a restart; schedule_housekeeping() posts and fires what is due.
 *
 * A scheduled message is posted with chat_send() as its author at its
 * time, so every rule of posting (mute, lock, slow mode, the guard, a
 * channel or hive archived since) is applied then, not when it was
 * scheduled.  A post refused then is dropped (a weekly one moves on to
 * the next week) and its author gets a schedule.failed event saying why.
 * A weekly one missed while the server was down is posted once, late,
 * and then moves on to its next time in the future.
 *
 * Events to one user (remind, schedule.failed) are stored in the event
 * log addressed to that user: a user with no connection open at that
 * time gets them when they resume with sync (and the reminder is gone
 * from remind.list all the same).
 *
 * Functions return 0 or a negative RUCHE_E code and change nothing on
 * failure; *out is a new JSON reference on success.  why (when given)
 * receives a reason for people on RUCHE_EINVAL.
 */
#ifndef RUCHE_SCHEDULE_H
#define RUCHE_SCHEDULE_H

#include <stdint.h>
#include <jansson.h>

#include "ruche/accounts.h"

struct server;

#define SCHEDULE_MAX 100		/* pending per user, of each kind */
#define SCHEDULE_AHEAD_MAX_MS (366LL * 24 * 60 * 60 * 1000)
#define SCHEDULE_WEEK_MS (7LL * 24 * 60 * 60 * 1000)
#define SCHEDULE_WHY_MAX 160

/* repeat: NULL or "none", or "weekly".  at: in the future, within a
 * year.  Answers {"scheduled": {...}}. */
int schedule_create(struct server *srv, struct actor who, int64_t channel_id,
		    const char *text, int64_t at, const char *repeat,
		    json_t **out, char why[SCHEDULE_WHY_MAX]);
/* The caller's pending scheduled messages, by time. */
int schedule_list(struct server *srv, struct actor who, json_t **out);
/* Changes what is given (text NULL, at 0, repeat NULL: kept).  Only the
 * author; another's is RUCHE_ENOTFOUND. */
int schedule_update(struct server *srv, struct actor who, int64_t id,
		    const char *text, int64_t at, const char *repeat,
		    json_t **out, char why[SCHEDULE_WHY_MAX]);
int schedule_cancel(struct server *srv, struct actor who, int64_t id);

/* A reminder of a message the caller can read, at a future time.
 * Answers {"reminder": {...}}. */
int remind_create(struct server *srv, struct actor who, int64_t message_id,
		  int64_t at, json_t **out, char why[SCHEDULE_WHY_MAX]);
int remind_list(struct server *srv, struct actor who, json_t **out);
int remind_cancel(struct server *srv, struct actor who, int64_t id);

/*
 * Stores an event addressed to user_id alone in the event log, and
 * publishes it to their synced connections once committed; sync replays
 * it to them later.  data is stolen.  Call inside a transaction.  0 or
 * a RUCHE_E code (logged).
 */
int schedule_emit_user(struct server *srv, int64_t user_id,
		       const char *kind, json_t *data);

/* Posts the scheduled messages and fires the reminders that are due.
 * Called by server_housekeeping(); cheap when nothing is due. */
void schedule_housekeeping(struct server *srv);

#endif
