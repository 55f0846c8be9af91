/* ops_pairing.c - peer pairing of a hive's learners (pairing.h). */
#include <stdio.h>

#include "ruche/conn.h"
#include "ruche/err.h"
#include "ruche/ops.h"
#include "ruche/pairing.h"
#include "ruche/server.h"

static int64_t num(json_t *params, const char *key)
{
	return json_integer_value(json_object_get(params, key));
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

int op_pairing_get(struct conn *c, json_t *params, json_t **data,
		   struct proto_error *err)
{
	return pairing_get(c->srv, conn_actor(c), num(params, "hive_id"),
			   data);
}

int op_pairing_set(struct conn *c, json_t *params, json_t **data,
		   struct proto_error *err)
{
	char why[PAIRING_WHY_MAX] = "";

	return refusal(pairing_set(c->srv, conn_actor(c),
				   num(params, "hive_id"),
				   json_is_true(json_object_get(params,
								"enabled")),
				   (int)num(params, "every_days"),
				   num(params, "next_at"),
				   json_string_value(json_object_get(params,
								     "prompt")),
				   data, why),
		       why, err);
}

int op_pairing_run(struct conn *c, json_t *params, json_t **data,
		   struct proto_error *err)
{
	return pairing_run(c->srv, conn_actor(c), num(params, "hive_id"),
			   data);
}

int op_pairing_history(struct conn *c, json_t *params, json_t **data,
		       struct proto_error *err)
{
	return pairing_history(c->srv, conn_actor(c), num(params, "hive_id"),
			       (int)num(params, "limit"), data);
}
