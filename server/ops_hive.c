/* ops_hive.c - hives, members, invites and waitlists over the protocol. */
#include <string.h>

#include "ruche/conn.h"
#include "ruche/err.h"
#include "ruche/hives.h"
#include "ruche/ops.h"
#include "ruche/server.h"
#include "ruche/supervision.h"

#define INVITE_DEFAULT_TTL_S (7 * 86400)

static int64_t num(json_t *params, const char *key)
{
	return json_integer_value(json_object_get(params, key));
}

static const char *str(json_t *params, const char *key)
{
	return json_string_value(json_object_get(params, key));
}

static int hive_reply(struct server *srv, int64_t hive_id, json_t **data)
{
	struct store_hive h;
	int rc = store_hive_get(srv->store, hive_id, &h);

	if (!rc)
		*data = json_pack("{s:o}", "hive", hives_hive_json(&h));
	return rc;
}

int op_hive_create(struct conn *c, json_t *params, json_t **data,
		   struct proto_error *err)
{
	struct store_hive h;
	int rc = hives_create(c->srv, conn_actor(c), str(params, "name"),
			      str(params, "description"),
			      (int)num(params, "capacity"), &h);

	return rc ? rc : hive_reply(c->srv, h.id, data);
}

int op_hive_update(struct conn *c, json_t *params, json_t **data,
		   struct proto_error *err)
{
	int64_t id = num(params, "hive_id");
	int rc = hives_update(c->srv, conn_actor(c), id, str(params, "name"),
			      str(params, "description"),
			      (int)num(params, "capacity"), NULL);

	return rc ? rc : hive_reply(c->srv, id, data);
}

int op_hive_archive(struct conn *c, json_t *params, json_t **data,
		    struct proto_error *err)
{
	int64_t id = num(params, "hive_id");
	int rc = hives_archive(c->srv, conn_actor(c), id);

	return rc ? rc : hive_reply(c->srv, id, data);
}

int op_hive_list(struct conn *c, json_t *params, json_t **data,
		 struct proto_error *err)
{
	json_t *hives;
	int rc = hives_list(c->srv, conn_actor(c), &hives);

	if (!rc)
		*data = json_pack("{s:o}", "hives", hives);
	return rc;
}

int op_hive_members(struct conn *c, json_t *params, json_t **data,
		    struct proto_error *err)
{
	json_t *members;
	int rc = hives_members(c->srv, conn_actor(c), num(params, "hive_id"),
			       &members);

	if (!rc)
		*data = json_pack("{s:o}", "members", members);
	return rc;
}

int op_hive_add_member(struct conn *c, json_t *params, json_t **data,
		       struct proto_error *err)
{
	enum role role = role_parse(str(params, "role"));
	int64_t user_id = num(params, "user_id");
	const char *handle = str(params, "handle");

	if (role == ROLE_NONE || !user_id == !handle) {
		err->code = "invalid_param";
		snprintf(err->message, sizeof(err->message),
			 role == ROLE_NONE ?
			 "\"role\" must be \"mentor\" or \"learner\"" :
			 "give exactly one of \"user_id\" and \"handle\"");
		return RUCHE_EINVAL;
	}
	if (handle) {
		struct store_user u;
		char h[AUTH_HANDLE_MAX + 1];
		int rc = auth_normalize_handle(handle, h) ? RUCHE_ENOTFOUND :
			 store_user_by_handle(c->srv->store, h, &u);

		if (rc)
			return rc;
		user_id = u.id;
	}
	return hives_add_member(c->srv, conn_actor(c), num(params, "hive_id"),
				user_id, role);
}

int op_hive_set_role(struct conn *c, json_t *params, json_t **data,
		     struct proto_error *err)
{
	enum role role = role_parse(str(params, "role"));

	if (role == ROLE_NONE) {
		err->code = "invalid_param";
		snprintf(err->message, sizeof(err->message),
			 "\"role\" must be \"mentor\" or \"learner\"");
		return RUCHE_EINVAL;
	}
	return hives_set_role(c->srv, conn_actor(c), num(params, "hive_id"),
			      num(params, "user_id"), role);
}

int op_supervision_report(struct conn *c, json_t *params, json_t **data,
			  struct proto_error *err)
{
	return supervision_report(c->srv, conn_actor(c), num(params, "hive_id"),
				  num(params, "from"), num(params, "to"), data);
}

int op_hive_remove_member(struct conn *c, json_t *params, json_t **data,
			  struct proto_error *err)
{
	return hives_remove_member(c->srv, conn_actor(c),
				   num(params, "hive_id"),
				   num(params, "user_id"));
}

int op_hive_leave(struct conn *c, json_t *params, json_t **data,
		  struct proto_error *err)
{
	return hives_remove_member(c->srv, conn_actor(c),
				   num(params, "hive_id"), c->user_id);
}

int op_hive_waitlist(struct conn *c, json_t *params, json_t **data,
		     struct proto_error *err)
{
	json_t *list;
	int rc = hives_waitlist(c->srv, conn_actor(c), num(params, "hive_id"),
				&list);

	if (!rc)
		*data = json_pack("{s:o}", "waitlist", list);
	return rc;
}

int op_hive_admit(struct conn *c, json_t *params, json_t **data,
		  struct proto_error *err)
{
	return hives_admit(c->srv, conn_actor(c), num(params, "hive_id"),
			   num(params, "user_id"));
}

int op_invite_create(struct conn *c, json_t *params, json_t **data,
		     struct proto_error *err)
{
	struct store_invite inv;
	char code[AUTH_TOKEN_LEN + 1];
	enum role role = role_parse(str(params, "role"));
	json_t *uses = json_object_get(params, "max_uses");
	json_t *ttl = json_object_get(params, "expires_in_s");
	int rc;

	if (role == ROLE_NONE) {
		err->code = "invalid_param";
		snprintf(err->message, sizeof(err->message),
			 "\"role\" must be \"mentor\" or \"learner\"");
		return RUCHE_EINVAL;
	}
	rc = invites_create(c->srv, conn_actor(c), num(params, "hive_id"),
			    role, uses ? (int)json_integer_value(uses) : 1,
			    (ttl ? json_integer_value(ttl) :
			     INVITE_DEFAULT_TTL_S) * 1000, code, &inv);
	if (rc)
		return rc;
	/* The code is shown to its creator once; only its hash is kept. */
	*data = json_pack("{s:o, s:s}", "invite",
			  hives_invite_json(&inv, clock_wall_ms(c->srv->clock)),
			  "code", code);
	return *data ? 0 : RUCHE_ENOMEM;
}

int op_invite_list(struct conn *c, json_t *params, json_t **data,
		   struct proto_error *err)
{
	json_t *list;
	int rc = invites_list(c->srv, conn_actor(c), num(params, "hive_id"),
			      &list);

	if (!rc)
		*data = json_pack("{s:o}", "invites", list);
	return rc;
}

int op_invite_revoke(struct conn *c, json_t *params, json_t **data,
		     struct proto_error *err)
{
	return invites_revoke(c->srv, conn_actor(c), num(params, "invite_id"));
}

int op_invite_accept(struct conn *c, json_t *params, json_t **data,
		     struct proto_error *err)
{
	struct store_invite inv;
	bool waitlisted = false;
	int rc = invites_check(c->srv, str(params, "code"), &inv);

	if (rc)
		return rc;
	/* Admin links make new accounts only (see POST /api/signup). */
	if (inv.kind != INVITE_HIVE)
		return RUCHE_EFORBIDDEN;
	rc = server_begin(c->srv);
	if (rc)
		return rc;
	rc = invites_use(c->srv, &inv, c->user_id,
			 json_is_true(json_object_get(params, "waitlist")),
			 &waitlisted);
	rc = rc ? rc : store_commit(c->srv->store);
	if (rc) {
		store_rollback(c->srv->store);
		return rc;
	}
	*data = json_pack("{s:I, s:s, s:b}", "hive_id", (json_int_t)inv.hive_id,
			  "role", role_name(inv.role), "waitlisted", waitlisted);
	return *data ? 0 : RUCHE_ENOMEM;
}
