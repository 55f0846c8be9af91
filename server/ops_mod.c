/* ops_mod.c - moderation, reports, guard, retention and audit over the
 * protocol; and the test aids of --fake-clock, clock.advance and
 * storage.fault. */
#include <string.h>

#include "ruche/cluster.h"
#include "ruche/conn.h"
#include "ruche/err.h"
#include "ruche/moderation.h"
#include "ruche/ops.h"
#include "ruche/server.h"
#include "ruche/store.h"

#define CLOCK_ADVANCE_MAX_MS (31LL * 86400 * 1000)

static int64_t num(json_t *params, const char *key)
{
	return json_integer_value(json_object_get(params, key));
}

static const char *str(json_t *params, const char *key)
{
	return json_string_value(json_object_get(params, key));
}

int op_mod_delete(struct conn *c, json_t *params, json_t **data,
		  struct proto_error *err)
{
	return mod_delete(c->srv, conn_actor(c), num(params, "message_id"),
			  str(params, "reason"));
}

int op_mod_mute(struct conn *c, json_t *params, json_t **data,
		struct proto_error *err)
{
	return mod_mute(c->srv, conn_actor(c), num(params, "hive_id"),
			num(params, "user_id"), (int)num(params, "seconds"),
			str(params, "reason"), data);
}

int op_mod_unmute(struct conn *c, json_t *params, json_t **data,
		  struct proto_error *err)
{
	return mod_unmute(c->srv, conn_actor(c), num(params, "hive_id"),
			  num(params, "user_id"));
}

int op_mod_mutes(struct conn *c, json_t *params, json_t **data,
		 struct proto_error *err)
{
	return mod_mutes(c->srv, conn_actor(c), num(params, "hive_id"), data);
}

int op_mod_kick(struct conn *c, json_t *params, json_t **data,
		struct proto_error *err)
{
	return mod_kick(c->srv, conn_actor(c), num(params, "hive_id"),
			num(params, "user_id"), str(params, "reason"));
}

int op_mod_ban(struct conn *c, json_t *params, json_t **data,
	       struct proto_error *err)
{
	return mod_ban(c->srv, conn_actor(c), num(params, "hive_id"),
		       num(params, "user_id"), str(params, "reason"));
}

int op_mod_unban(struct conn *c, json_t *params, json_t **data,
		 struct proto_error *err)
{
	return mod_unban(c->srv, conn_actor(c), num(params, "hive_id"),
			 num(params, "user_id"));
}

int op_mod_bans(struct conn *c, json_t *params, json_t **data,
		struct proto_error *err)
{
	return mod_bans(c->srv, conn_actor(c), num(params, "hive_id"), data);
}

int op_mod_slow_mode(struct conn *c, json_t *params, json_t **data,
		     struct proto_error *err)
{
	return mod_channel(c->srv, conn_actor(c), num(params, "channel_id"),
			   (int)num(params, "seconds"), -1, data);
}

int op_mod_lock(struct conn *c, json_t *params, json_t **data,
		struct proto_error *err)
{
	return mod_channel(c->srv, conn_actor(c), num(params, "channel_id"),
			   -1, json_is_true(json_object_get(params, "locked")),
			   data);
}

int op_pin_add(struct conn *c, json_t *params, json_t **data,
	       struct proto_error *err)
{
	return mod_pin(c->srv, conn_actor(c), num(params, "message_id"), true);
}

int op_pin_remove(struct conn *c, json_t *params, json_t **data,
		  struct proto_error *err)
{
	return mod_pin(c->srv, conn_actor(c), num(params, "message_id"),
		       false);
}

int op_pin_list(struct conn *c, json_t *params, json_t **data,
		struct proto_error *err)
{
	return mod_pins(c->srv, conn_actor(c), num(params, "channel_id"), data);
}

int op_report_create(struct conn *c, json_t *params, json_t **data,
		     struct proto_error *err)
{
	return mod_report(c->srv, conn_actor(c), num(params, "message_id"),
			  str(params, "reason"), data);
}

int op_report_list(struct conn *c, json_t *params, json_t **data,
		   struct proto_error *err)
{
	return mod_reports(c->srv, conn_actor(c), num(params, "hive_id"),
			   str(params, "status"), data);
}

int op_report_resolve(struct conn *c, json_t *params, json_t **data,
		      struct proto_error *err)
{
	return mod_resolve(c->srv, conn_actor(c), num(params, "report_id"),
			   str(params, "outcome"), str(params, "note"), data);
}

int op_guard_get(struct conn *c, json_t *params, json_t **data,
		 struct proto_error *err)
{
	return mod_guard_get(c->srv, conn_actor(c), num(params, "hive_id"),
			     data);
}

int op_guard_set(struct conn *c, json_t *params, json_t **data,
		 struct proto_error *err)
{
	return mod_guard_set(c->srv, conn_actor(c), num(params, "hive_id"),
			     params, data);
}

int op_hive_set_retention(struct conn *c, json_t *params, json_t **data,
			  struct proto_error *err)
{
	return mod_set_retention(c->srv, conn_actor(c), num(params, "hive_id"),
				 (int)num(params, "days"), data);
}

int op_audit_list(struct conn *c, json_t *params, json_t **data,
		  struct proto_error *err)
{
	struct store_audit_filter f = {
		.hive_id = num(params, "hive_id"),
		.action = str(params, "action"),
		.actor_id = num(params, "actor_id"),
		.target_id = num(params, "target_id"),
		.since = num(params, "since"),
		.until = num(params, "until"),
		.before_id = num(params, "before_id"),
		.limit = (int)num(params, "limit"),
	};

	if (json_is_true(json_object_get(params, "automatic")))
		f.actor_id = -1;
	return mod_audit(c->srv, conn_actor(c), &f, data);
}

int op_clock_advance(struct conn *c, json_t *params, json_t **data,
		     struct proto_error *err)
{
	struct server *srv = c->srv;
	int64_t ms = num(params, "ms");

	if (!srv->fake_clock)
		return RUCHE_EFORBIDDEN;	/* dispatch hides it anyway */
	clock_fake_advance(srv->fake_clock, ms);
	/* What fell due runs now, as if that time had passed. */
	server_housekeeping(srv);
	if (cluster_runner(srv))
		mod_housekeeping(srv, true);
	*data = json_pack("{s:I}", "time",
			  (json_int_t)clock_wall_ms(srv->clock));
	return *data ? 0 : RUCHE_ENOMEM;
}

int op_storage_fault(struct conn *c, json_t *params, json_t **data,
		     struct proto_error *err)
{
	const char *fault = str(params, "fault");
	enum store_fault f;
	int rc;

	if (!c->srv->fake_clock)
		return RUCHE_EFORBIDDEN;	/* dispatch hides it anyway */
	if (strcmp(fault, "full") == 0)
		f = STORE_FAULT_FULL;
	else if (strcmp(fault, "read_only") == 0)
		f = STORE_FAULT_READ_ONLY;
	else if (strcmp(fault, "none") == 0)
		f = STORE_FAULT_NONE;
	else
		return RUCHE_EINVAL;
	rc = store_test_fault(c->srv->store, f);
	if (rc)
		return rc;
	*data = json_pack("{s:s}", "fault", fault);
	return *data ? 0 : RUCHE_ENOMEM;
}
