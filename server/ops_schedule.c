/* ops_schedule.c - the calendar feed, scheduled messages and reminders
 * (ics.h, schedule.h). */
#include <stdio.h>

#include "ruche/conn.h"
#include "ruche/err.h"
#include "ruche/ics.h"
#include "ruche/ops.h"
#include "ruche/schedule.h"
#include "ruche/server.h"

/* {url, created_at}: url is the whole feed URL when path is given. */
static int feed_reply(struct conn *c, const char *path, json_t **data)
{
	int64_t created_at = 0;
	char url[sizeof(c->srv->base_url) + ICS_PATH_MAX];
	int rc = store_ics_get(c->srv->store, conn_actor(c).user_id,
			       &created_at);

	if (rc == RUCHE_ENOTFOUND)
		created_at = 0;
	else if (rc)
		return rc;
	if (path)
		snprintf(url, sizeof(url), "%s%s", c->srv->base_url, path);
	*data = json_pack("{s:o,s:o}",
			  "url", path ? json_string(url) : json_null(),
			  "created_at", created_at ?
			  json_integer(created_at) : json_null());
	return *data ? 0 : RUCHE_ENOMEM;
}

/*
 * The caller's feed.  Only the digest of its secret is kept, so an
 * existing feed's URL cannot be shown again: the first call makes the
 * feed and answers its URL, later ones answer url null with the date it
 * was made (ics.revoke gives a new URL).
 */
int op_ics_url(struct conn *c, json_t *params, json_t **data,
	       struct proto_error *err)
{
	char path[ICS_PATH_MAX];
	int64_t created_at;
	int rc = store_ics_get(c->srv->store, conn_actor(c).user_id,
			       &created_at);

	if (rc == RUCHE_ENOTFOUND) {
		rc = ics_new_url(c->srv, conn_actor(c).user_id, path);
		return rc ? rc : feed_reply(c, path, data);
	}
	return rc ? rc : feed_reply(c, NULL, data);
}

/* A new feed URL; the previous one stops working at once. */
int op_ics_revoke(struct conn *c, json_t *params, json_t **data,
		  struct proto_error *err)
{
	char path[ICS_PATH_MAX];
	int rc = ics_new_url(c->srv, conn_actor(c).user_id, path);

	return rc ? rc : feed_reply(c, path, data);
}

static int64_t num(json_t *params, const char *key)
{
	return json_integer_value(json_object_get(params, key));
}

static const char *str(json_t *params, const char *key)
{
	return json_string_value(json_object_get(params, key));
}

/* A refusal with the domain's reason, when it gave one. */
static int refusal(int rc, const char *why, struct proto_error *err)
{
	if (rc < 0 && why[0]) {
		err->code = ruche_err_code(rc);
		snprintf(err->message, sizeof(err->message), "%s", why);
	}
	return rc;
}

int op_schedule_create(struct conn *c, json_t *params, json_t **data,
		       struct proto_error *err)
{
	char why[SCHEDULE_WHY_MAX] = "";

	return refusal(schedule_create(c->srv, conn_actor(c),
				       num(params, "channel_id"),
				       str(params, "text"), num(params, "at"),
				       str(params, "repeat"), data, why),
		       why, err);
}

int op_schedule_list(struct conn *c, json_t *params, json_t **data,
		     struct proto_error *err)
{
	return schedule_list(c->srv, conn_actor(c), data);
}

int op_schedule_update(struct conn *c, json_t *params, json_t **data,
		       struct proto_error *err)
{
	char why[SCHEDULE_WHY_MAX] = "";

	return refusal(schedule_update(c->srv, conn_actor(c),
				       num(params, "schedule_id"),
				       str(params, "text"), num(params, "at"),
				       str(params, "repeat"), data, why),
		       why, err);
}

int op_schedule_cancel(struct conn *c, json_t *params, json_t **data,
		       struct proto_error *err)
{
	int rc = schedule_cancel(c->srv, conn_actor(c),
				 num(params, "schedule_id"));

	if (!rc)
		*data = json_object();
	return rc ? rc : *data ? 0 : RUCHE_ENOMEM;
}

int op_remind_create(struct conn *c, json_t *params, json_t **data,
		     struct proto_error *err)
{
	char why[SCHEDULE_WHY_MAX] = "";

	return refusal(remind_create(c->srv, conn_actor(c),
				     num(params, "message_id"),
				     num(params, "at"), data, why),
		       why, err);
}

int op_remind_list(struct conn *c, json_t *params, json_t **data,
		   struct proto_error *err)
{
	return remind_list(c->srv, conn_actor(c), data);
}

int op_remind_cancel(struct conn *c, json_t *params, json_t **data,
		     struct proto_error *err)
{
	int rc = remind_cancel(c->srv, conn_actor(c),
			       num(params, "reminder_id"));

	if (!rc)
		*data = json_object();
	return rc ? rc : *data ? 0 : RUCHE_ENOMEM;
}
