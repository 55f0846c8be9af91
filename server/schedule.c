/* schedule.c - messages scheduled for later, and reminders of messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruche/chat.h"
#include "ruche/err.h"
#include "ruche/frame.h"
#include "ruche/hives.h"
#include "ruche/log.h"
#include "ruche/proto.h"
#include "ruche/schedule.h"
#include "ruche/server.h"
#include "ruche/utf8.h"

/* Due items handled per housekeeping pass, of each kind. */
#define DUE_BATCH 50

static int64_t now_ms(struct server *srv)
{
	return clock_wall_ms(srv->clock);
}

static void say(char *why, const char *text)
{
	if (why)
		snprintf(why, SCHEDULE_WHY_MAX, "%s", text);
}

/*
 * Whether who can read the channel: a member of its hive (or an admin),
 * or of the direct conversation.  Another channel is not found.
 */
static int readable(struct server *srv, struct actor who,
		    const struct store_channel *ch, enum role *role)
{
	int64_t *members = NULL;
	size_t n = 0;
	bool in = false;
	int rc;

	*role = ROLE_NONE;
	if (ch->kind != CHANNEL_DIRECT) {
		*role = hives_role(srv, ch->hive_id, who.user_id);
		return *role != ROLE_NONE || who.admin ? 0 : RUCHE_ENOTFOUND;
	}
	rc = store_direct_members(srv->store, ch->id, &members, &n);
	for (size_t i = 0; !rc && i < n; i++)
		in = in || members[i] == who.user_id;
	free(members);
	return rc ? rc : in ? 0 : RUCHE_ENOTFOUND;
}

/*
 * The checks of chat_send() that do not depend on the moment: who may
 * post in the channel at all.  Mutes, locks, slow mode and the guard are
 * applied when the message is posted.
 */
static int may_post(struct server *srv, struct actor who, int64_t channel_id)
{
	struct store_channel ch;
	struct store_hive h;
	enum role role;
	int rc = store_channel_get(srv->store, channel_id, &ch);

	if (!rc)
		rc = readable(srv, who, &ch, &role);
	if (rc)
		return rc;
	if (ch.archived_at)
		return RUCHE_ECHANNEL_ARCHIVED;
	if (ch.kind == CHANNEL_DIRECT)
		return 0;
	if (!store_hive_get(srv->store, ch.hive_id, &h) && h.archived_at)
		return RUCHE_EARCHIVED;
	if (ch.kind == CHANNEL_ANNOUNCE && role != ROLE_MENTOR && !who.admin)
		return RUCHE_EREAD_ONLY;
	return 0;
}

static int check_text(const char *text, char *why)
{
	size_t len = strlen(text);
	bool blank = true;

	for (const char *p = text; *p && blank; p++)
		blank = strchr(" \t\r\n", *p) != NULL;
	if (blank)
		return RUCHE_EEMPTY;
	if (utf8_count(text, len) > CHAT_TEXT_MAX) {
		say(why, "text is at most 4000 characters");
		return RUCHE_ETOOBIG;
	}
	return 0;
}

static int check_at(struct server *srv, int64_t at, char *why)
{
	int64_t now = now_ms(srv);

	if (at <= now || at - now > SCHEDULE_AHEAD_MAX_MS) {
		say(why, "at must be in the future, at most a year ahead");
		return RUCHE_EINVAL;
	}
	return 0;
}

static int check_repeat(const char *repeat, char *why)
{
	if (!repeat || !strcmp(repeat, "none") || !strcmp(repeat, "weekly"))
		return 0;
	say(why, "repeat is none or weekly");
	return RUCHE_EINVAL;
}

static json_t *sched_json(const struct store_sched *x)
{
	return json_pack("{s:I, s:I, s:s, s:I, s:s, s:I}",
			 "id", (json_int_t)x->id,
			 "channel_id", (json_int_t)x->channel_id,
			 "text", x->text,
			 "at", (json_int_t)x->at,
			 "repeat", x->repeat,
			 "created_at", (json_int_t)x->created_at);
}

static json_t *reminder_json(const struct store_reminder *x)
{
	json_t *o = json_pack("{s:I, s:I, s:I, s:I}",
			      "id", (json_int_t)x->id,
			      "message_id", (json_int_t)x->message_id,
			      "at", (json_int_t)x->at,
			      "created_at", (json_int_t)x->created_at);

	/* Where to find the message, while it is there. */
	if (o && x->channel_id &&
	    json_object_set_new(o, "channel_id",
				json_integer(x->channel_id))) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

/* {key: o}, or RUCHE_ENOMEM when o or the pack is NULL. */
static int wrap(const char *key, json_t *o, json_t **out)
{
	*out = o ? json_pack("{s:o}", key, o) : NULL;
	return *out ? 0 : RUCHE_ENOMEM;
}

int schedule_create(struct server *srv, struct actor who, int64_t channel_id,
		    const char *text, int64_t at, const char *repeat,
		    json_t **out, char why[SCHEDULE_WHY_MAX])
{
	struct store_sched x = { 0 }, *v = NULL;
	size_t n = 0;
	int rc = may_post(srv, who, channel_id);

	if (!rc)
		rc = check_text(text, why);
	if (!rc)
		rc = check_at(srv, at, why);
	if (!rc)
		rc = check_repeat(repeat, why);
	if (!rc)
		rc = store_sched_list(srv->store, who.user_id,
				      SCHEDULE_MAX, &v, &n);
	store_sched_list_free(v, n);
	if (!rc && n >= SCHEDULE_MAX) {
		say(why, "at most 100 scheduled messages at a time");
		rc = RUCHE_ETOOBIG;
	}
	if (rc)
		return rc;
	x.author_id = who.user_id;
	x.channel_id = channel_id;
	x.text = (char *)text;
	x.at = at;
	snprintf(x.repeat, sizeof(x.repeat), "%s", repeat ? repeat : "none");
	x.created_at = now_ms(srv);
	rc = store_sched_insert(srv->store, &x);
	return rc ? rc : wrap("scheduled", sched_json(&x), out);
}

int schedule_list(struct server *srv, struct actor who, json_t **out)
{
	struct store_sched *v = NULL;
	size_t n = 0;
	json_t *arr;
	int rc = store_sched_list(srv->store, who.user_id, SCHEDULE_MAX,
				  &v, &n);

	if (rc)
		return rc;
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, sched_json(&v[i]))) {
			json_decref(arr);
			arr = NULL;
		}
	store_sched_list_free(v, n);
	return wrap("scheduled", arr, out);
}

/* The caller's own scheduled message (another's is not found). */
static int own_sched(struct server *srv, struct actor who, int64_t id,
		     struct store_sched *x)
{
	int rc = store_sched_get(srv->store, id, x);

	if (!rc && x->author_id != who.user_id) {
		store_sched_release(x);
		rc = RUCHE_ENOTFOUND;
	}
	return rc;
}

int schedule_update(struct server *srv, struct actor who, int64_t id,
		    const char *text, int64_t at, const char *repeat,
		    json_t **out, char why[SCHEDULE_WHY_MAX])
{
	struct store_sched x;
	char *old;
	int rc = own_sched(srv, who, id, &x);

	if (rc)
		return rc;
	if (text)
		rc = check_text(text, why);
	if (!rc && at)
		rc = check_at(srv, at, why);
	if (!rc)
		rc = check_repeat(repeat, why);
	if (rc) {
		store_sched_release(&x);
		return rc;
	}
	old = x.text;
	if (text)
		x.text = (char *)text;
	if (at)
		x.at = at;
	if (repeat)
		snprintf(x.repeat, sizeof(x.repeat), "%s", repeat);
	rc = store_sched_update(srv->store, &x);
	if (!rc)
		rc = wrap("scheduled", sched_json(&x), out);
	x.text = old;
	store_sched_release(&x);
	return rc;
}

int schedule_cancel(struct server *srv, struct actor who, int64_t id)
{
	struct store_sched x;
	int rc = own_sched(srv, who, id, &x);

	if (rc)
		return rc;
	store_sched_release(&x);
	return store_sched_delete(srv->store, id);
}

/* Whether who can read message_id (a deleted message is gone). */
static int message_readable(struct server *srv, struct actor who,
			    int64_t message_id)
{
	struct store_message m = { 0 };
	struct store_channel ch;
	enum role role;
	int rc = store_msg_get(srv->store, message_id, &m);

	if (!rc && m.deleted_at)
		rc = RUCHE_ENOTFOUND;
	if (!rc)
		rc = store_channel_get(srv->store, m.channel_id, &ch);
	if (!rc)
		rc = readable(srv, who, &ch, &role);
	store_msg_release(&m);
	return rc;
}

int remind_create(struct server *srv, struct actor who, int64_t message_id,
		  int64_t at, json_t **out, char why[SCHEDULE_WHY_MAX])
{
	struct store_reminder x = { 0 }, *v = NULL;
	size_t n = 0;
	int rc = message_readable(srv, who, message_id);

	if (!rc)
		rc = check_at(srv, at, why);
	if (!rc)
		rc = store_reminder_list(srv->store, who.user_id,
					 SCHEDULE_MAX, &v, &n);
	free(v);
	if (!rc && n >= SCHEDULE_MAX) {
		say(why, "at most 100 reminders at a time");
		rc = RUCHE_ETOOBIG;
	}
	if (rc)
		return rc;
	x.user_id = who.user_id;
	x.message_id = message_id;
	x.at = at;
	x.created_at = now_ms(srv);
	rc = store_reminder_insert(srv->store, &x);
	if (!rc)
		rc = store_reminder_get(srv->store, x.id, &x);
	return rc ? rc : wrap("reminder", reminder_json(&x), out);
}

int remind_list(struct server *srv, struct actor who, json_t **out)
{
	struct store_reminder *v = NULL;
	size_t n = 0;
	json_t *arr;
	int rc = store_reminder_list(srv->store, who.user_id, SCHEDULE_MAX,
				     &v, &n);

	if (rc)
		return rc;
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, reminder_json(&v[i]))) {
			json_decref(arr);
			arr = NULL;
		}
	free(v);
	return wrap("reminders", arr, out);
}

int remind_cancel(struct server *srv, struct actor who, int64_t id)
{
	struct store_reminder x;
	int rc = store_reminder_get(srv->store, id, &x);

	if (!rc && x.user_id != who.user_id)
		rc = RUCHE_ENOTFOUND;
	return rc ? rc : store_reminder_delete(srv->store, id);
}

int schedule_emit_user(struct server *srv, int64_t user_id,
		       const char *kind, json_t *data)
{
	char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
	struct frame *f = NULL;
	int64_t pos;
	int rc, n;

	json_decref(data);
	if (!text)
		return RUCHE_ENOMEM;
	rc = store_event_insert_user(srv->store, user_id, kind, text,
				     now_ms(srv), &pos);
	if (!rc) {
		n = snprintf(NULL, 0, "{\"ev\":\"%s\",\"pos\":%lld,"
			     "\"data\":%s}", kind, (long long)pos, text);
		f = frame_new((size_t)n);
		if (f) {
			snprintf((char *)frame_payload(f), (size_t)n + 1,
				 "{\"ev\":\"%s\",\"pos\":%lld,\"data\":%s}",
				 kind, (long long)pos, text);
			server_publish(srv, 0, 0, user_id, pos, f);
			frame_unref(f);
		} else {
			rc = RUCHE_ENOMEM;
		}
	}
	free(text);
	if (rc)
		log_error("%s for user %lld not stored: %s", kind,
			  (long long)user_id, ruche_strerror(rc));
	return rc;
}

/* A stored event to one user (named emit so that the protocol checks
 * find the events of this file). */
static int emit(struct server *srv, int64_t user_id, const char *kind,
		json_t *data)
{
	return schedule_emit_user(srv, user_id, kind, data);
}

/*
 * Posts one due message as its author, then moves a weekly one to its
 * next time in the future or deletes another.  The nonce names this
 * occurrence, so a post that was stored before a crash is not posted
 * twice.
 */
static void post_due(struct server *srv, const struct store_sched *x,
		     int64_t now)
{
	struct store_user u;
	struct store_sched next = *x;
	char nonce[65];
	json_t *out = NULL;
	int rc = store_user_get(srv->store, x->author_id, &u);

	snprintf(nonce, sizeof(nonce), "schedule-%lld-%lld",
		 (long long)x->id, (long long)x->at);
	if (!rc)
		rc = chat_send(srv, (struct actor){ .user_id = x->author_id,
						    .admin = u.is_admin },
			       x->channel_id, x->text, 0, 0, nonce, &out);
	json_decref(out);
	if (rc)
		emit(srv, x->author_id, "schedule.failed",
		     json_pack("{s:I, s:I, s:s, s:s, s:s}",
			       "schedule_id", (json_int_t)x->id,
			       "channel_id", (json_int_t)x->channel_id,
			       "text", x->text,
			       "code", ruche_err_code(rc),
			       "message", ruche_strerror(rc)));
	if (strcmp(x->repeat, "weekly") == 0) {
		while (next.at <= now)
			next.at += SCHEDULE_WEEK_MS;
		rc = store_sched_update(srv->store, &next);
	} else {
		rc = store_sched_delete(srv->store, x->id);
	}
	if (rc)
		log_error("scheduled message %lld: %s", (long long)x->id,
			  ruche_strerror(rc));
}

static void fire_due(struct server *srv, const struct store_reminder *x)
{
	struct actor who = { .user_id = x->user_id };
	struct store_user u;
	json_t *msg = NULL;

	/* Someone who can no longer read the message is not shown it. */
	if (!store_user_get(srv->store, x->user_id, &u)) {
		who.admin = u.is_admin;
		if (!message_readable(srv, who, x->message_id))
			msg = chat_message_json(srv, x->message_id,
						x->user_id);
	}
	if (msg)
		emit(srv, x->user_id, "remind",
		     json_pack("{s:I, s:I, s:o}",
			       "reminder_id", (json_int_t)x->id,
			       "at", (json_int_t)x->at,
			       "message", msg));
	if (store_reminder_delete(srv->store, x->id))
		log_error("reminder %lld could not be deleted",
			  (long long)x->id);
}

void schedule_housekeeping(struct server *srv)
{
	struct store_sched *v = NULL;
	struct store_reminder *r = NULL;
	int64_t now = now_ms(srv);
	size_t n = 0, nr = 0;

	/* Read first: most passes have nothing to do and write nothing. */
	if (store_sched_due(srv->store, now, DUE_BATCH, &v, &n))
		n = 0;
	if (store_reminder_due(srv->store, now, DUE_BATCH, &r, &nr))
		nr = 0;
	/* In a turn, like a request: the events stored for their users
	 * leave once committed, with what they report. */
	if ((n || nr) && !server_turn_begin(srv)) {
		for (size_t i = 0; i < n; i++)
			post_due(srv, &v[i], now);
		for (size_t i = 0; i < nr; i++)
			fire_due(srv, &r[i]);
		server_flush(srv);
	}
	store_sched_list_free(v, n);
	free(r);
}
