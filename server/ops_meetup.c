/* ops_meetup.c - meetups, RSVPs, scripts and templates over the protocol. */
#include <stdio.h>
#include <string.h>

#include "ruche/conn.h"
#include "ruche/err.h"
#include "ruche/meetups.h"
#include "ruche/ops.h"
#include "ruche/server.h"

static int64_t num(json_t *params, const char *key)
{
	return json_integer_value(json_object_get(params, key));
}

static const char *str(json_t *params, const char *key)
{
	return json_string_value(json_object_get(params, key));
}

/*
 * The reply to a refusal: an invalid script lists every problem, with
 * its path, in the message (as much as fits) and in error.errors; another
 * refusal says why when the domain said.
 */
static int refusal(struct conn *c, int rc, const struct meetup_errors *errs,
		   const char *why, struct proto_error *err)
{
	char line[300];
	json_t *list;
	size_t len;

	if (rc >= 0)
		return rc;
	if (errs->n) {
		err->code = ruche_err_code(RUCHE_EINVAL);
		len = (size_t)snprintf(err->message, sizeof(err->message),
				       "invalid script: %d problem%s",
				       errs->n, errs->n > 1 ? "s" : "");
		list = json_array();
		for (int i = 0; i < errs->n; i++) {
			meetup_error_line(errs, i, line, sizeof(line));
			if (len < sizeof(err->message))
				len += (size_t)snprintf(
					err->message + len,
					sizeof(err->message) - len, "%s %s",
					i ? ";" : ":", line);
			json_array_append_new(list, json_pack(
				"{s:s, s:s}", "path", errs->v[i].path,
				"message", errs->v[i].msg));
		}
		json_decref(c->srv->err_detail);
		c->srv->err_detail = json_pack("{s:o}", "errors", list);
		return RUCHE_EINVAL;
	}
	if (why[0]) {
		err->code = ruche_err_code(rc);
		snprintf(err->message, sizeof(err->message), "%s", why);
	}
	return rc;
}

int op_meetup_schedule(struct conn *c, json_t *params, json_t **data,
		       struct proto_error *err)
{
	struct meetup_source src = {
		.text = str(params, "script"),
		.template_id = str(params, "template_id"),
		.script_id = num(params, "script_id"),
	};
	struct meetup_errors errs;
	char why[MEETUP_WHY_MAX] = "";
	int rc;

	meetup_errors_init(&errs);
	rc = meetups_schedule(c->srv, conn_actor(c), num(params, "hive_id"),
			      &src, num(params, "start_at"),
			      str(params, "recurrence"),
			      (int)num(params, "cap"), &errs, why, data);
	rc = refusal(c, rc, &errs, why, err);
	meetup_errors_release(&errs);
	return rc;
}

int op_meetup_list(struct conn *c, json_t *params, json_t **data,
		   struct proto_error *err)
{
	return meetups_list(c->srv, conn_actor(c), num(params, "hive_id"),
			    json_is_true(json_object_get(params, "past")),
			    num(params, "before"), (int)num(params, "limit"),
			    data);
}

int op_meetup_results(struct conn *c, json_t *params, json_t **data,
		      struct proto_error *err)
{
	return meetups_results(c->srv, conn_actor(c),
			       num(params, "meetup_id"), data);
}

int op_meetup_get(struct conn *c, json_t *params, json_t **data,
		  struct proto_error *err)
{
	return meetups_get(c->srv, conn_actor(c), num(params, "meetup_id"),
			   data);
}

int op_meetup_cancel(struct conn *c, json_t *params, json_t **data,
		     struct proto_error *err)
{
	struct meetup_errors errs = { 0 };
	char why[MEETUP_WHY_MAX] = "";

	return refusal(c, meetups_cancel(c->srv, conn_actor(c),
					 num(params, "meetup_id"), why),
		       &errs, why, err);
}

int op_meetup_rsvp(struct conn *c, json_t *params, json_t **data,
		   struct proto_error *err)
{
	struct meetup_errors errs = { 0 };
	char why[MEETUP_WHY_MAX] = "";

	return refusal(c, meetups_rsvp(c->srv, conn_actor(c),
				       num(params, "meetup_id"),
				       str(params, "answer"), why, data),
		       &errs, why, err);
}

int op_script_list(struct conn *c, json_t *params, json_t **data,
		   struct proto_error *err)
{
	return meetups_scripts(c->srv, conn_actor(c), num(params, "hive_id"),
			       data);
}

int op_script_save(struct conn *c, json_t *params, json_t **data,
		   struct proto_error *err)
{
	struct meetup_errors errs;
	char why[MEETUP_WHY_MAX] = "";
	int rc;

	meetup_errors_init(&errs);
	rc = meetups_script_save(c->srv, conn_actor(c),
				 num(params, "hive_id"),
				 num(params, "script_id"),
				 str(params, "script"), &errs, why, data);
	rc = refusal(c, rc, &errs, why, err);
	meetup_errors_release(&errs);
	return rc;
}

int op_script_delete(struct conn *c, json_t *params, json_t **data,
		     struct proto_error *err)
{
	return meetups_script_delete(c->srv, conn_actor(c),
				     num(params, "hive_id"),
				     num(params, "script_id"));
}

int op_template_list(struct conn *c, json_t *params, json_t **data,
		     struct proto_error *err)
{
	*data = meetups_templates();
	return *data ? 0 : RUCHE_ENOMEM;
}

/* The mentor's controls: the meetup's state after the change. */
static int control(struct conn *c, json_t *params, json_t **data,
		   struct proto_error *err, enum meetup_control ctl)
{
	struct meetup_errors errs = { 0 };
	char why[MEETUP_WHY_MAX] = "";

	return refusal(c, meetups_control(c->srv, conn_actor(c),
					  num(params, "meetup_id"), ctl,
					  (int)num(params, "seconds"), why,
					  data),
		       &errs, why, err);
}

int op_meetup_start(struct conn *c, json_t *params, json_t **data,
		    struct proto_error *err)
{
	return control(c, params, data, err, MEETUP_CTL_START);
}

int op_meetup_pause(struct conn *c, json_t *params, json_t **data,
		    struct proto_error *err)
{
	return control(c, params, data, err, MEETUP_CTL_PAUSE);
}

int op_meetup_resume(struct conn *c, json_t *params, json_t **data,
		     struct proto_error *err)
{
	return control(c, params, data, err, MEETUP_CTL_RESUME);
}

int op_meetup_skip(struct conn *c, json_t *params, json_t **data,
		   struct proto_error *err)
{
	return control(c, params, data, err, MEETUP_CTL_SKIP);
}

int op_meetup_extend(struct conn *c, json_t *params, json_t **data,
		     struct proto_error *err)
{
	return control(c, params, data, err, MEETUP_CTL_EXTEND);
}

int op_meetup_end(struct conn *c, json_t *params, json_t **data,
		  struct proto_error *err)
{
	return control(c, params, data, err, MEETUP_CTL_END);
}

int op_meetup_join(struct conn *c, json_t *params, json_t **data,
		   struct proto_error *err)
{
	struct meetup_errors errs = { 0 };
	char why[MEETUP_WHY_MAX] = "";

	return refusal(c, meetups_join(c->srv, conn_actor(c),
				       num(params, "meetup_id"), why, data),
		       &errs, why, err);
}

int op_meetup_leave(struct conn *c, json_t *params, json_t **data,
		    struct proto_error *err)
{
	struct meetup_errors errs = { 0 };
	char why[MEETUP_WHY_MAX] = "";

	return refusal(c, meetups_leave(c->srv, conn_actor(c),
					num(params, "meetup_id"), why),
		       &errs, why, err);
}

int op_meetup_answer(struct conn *c, json_t *params, json_t **data,
		     struct proto_error *err)
{
	struct meetup_errors errs = { 0 };
	char why[MEETUP_WHY_MAX] = "";

	return refusal(c, meetups_answer(c->srv, conn_actor(c),
					 num(params, "meetup_id"),
					 (int)num(params, "step"),
					 json_object_get(params, "choices"),
					 why),
		       &errs, why, err);
}

int op_meetup_feedback(struct conn *c, json_t *params, json_t **data,
		       struct proto_error *err)
{
	struct meetup_errors errs = { 0 };
	char why[MEETUP_WHY_MAX] = "";

	return refusal(c, meetups_feedback(c->srv, conn_actor(c),
					   num(params, "meetup_id"),
					   (int)num(params, "nps"),
					   str(params, "comment"), why),
		       &errs, why, err);
}
