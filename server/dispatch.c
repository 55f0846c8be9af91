/* dispatch.c - the table of operations and the path from request to reply. */
#include <stdio.h>
#include <string.h>

#include "ruche/conn.h"
#include "ruche/dispatch.h"
#include "ruche/err.h"
#include "ruche/log.h"
#include "ruche/server.h"

/* hello: who the server is and what it accepts. */
static int op_hello(struct conn *c, json_t *params, json_t **data,
		    struct proto_error *err)
{
	const struct config *cfg = c->srv->cfg;

	*data = json_pack("{s:s, s:s, s:i, s:{s:I}}",
			  "server", "ruche",
			  "version", RUCHE_VERSION,
			  "protocol", PROTO_VERSION,
			  "limits",
			  "max_message_bytes", (json_int_t)cfg->max_message_bytes);
	return *data ? 0 : RUCHE_ENOMEM;
}

/* ping: a round trip, with the server's clock. */
static int op_ping(struct conn *c, json_t *params, json_t **data,
		   struct proto_error *err)
{
	*data = json_pack("{s:I}", "time",
			  (json_int_t)clock_wall_ms(c->srv->clock));
	return *data ? 0 : RUCHE_ENOMEM;
}

static const struct param_spec hello_params[] = {
	{ "client", PARAM_STRING, false, 0, 100 },
	{ NULL },
};

static const struct param_spec no_params[] = {
	{ NULL },
};

const struct op_def dispatch_ops[] = {
	{ "hello", op_hello, hello_params },
	{ "ping", op_ping, no_params },
	{ NULL },
};

const struct op_def *dispatch_find(const char *op)
{
	for (const struct op_def *d = dispatch_ops; d->name; d++)
		if (strcmp(d->name, op) == 0)
			return d;
	return NULL;
}

static void send_reply(struct conn *c, struct frame *f)
{
	if (!f) {
		log_error("conn %llu: out of memory encoding a reply",
			  (unsigned long long)c->id);
		conn_close(c, CONN_CLOSE_GOING_AWAY, "out of memory");
		return;
	}
	conn_send(c, f);
	frame_unref(f);
}

void dispatch_message(struct conn *c, const char *text, size_t len)
{
	struct proto_error err = { 0 };
	struct request req;
	const struct op_def *def;
	json_t *id = NULL, *data = NULL;
	int rc;

	if (proto_parse(text, len, &req, &id, &err)) {
		send_reply(c, proto_reply_error(id, err.code, err.message));
		json_decref(id);
		return;
	}
	def = dispatch_find(req.op);
	if (!def) {
		snprintf(err.message, sizeof(err.message),
			 "unknown operation \"%.40s\"", req.op);
		send_reply(c, proto_reply_error(req.id, PROTO_E_UNKNOWN_OP,
						err.message));
		goto out;
	}
	if (proto_check_params(req.root, def->params, &err)) {
		send_reply(c, proto_reply_error(req.id, err.code, err.message));
		goto out;
	}
	rc = def->handler(c, req.root, &data, &err);
	if (rc) {
		if (!err.code) {
			err.code = ruche_err_code(rc);
			snprintf(err.message, sizeof(err.message), "%s",
				 ruche_strerror(rc));
		}
		json_decref(data);
		send_reply(c, proto_reply_error(req.id, err.code, err.message));
		goto out;
	}
	send_reply(c, proto_reply_ok(req.id, data));
out:
	proto_request_release(&req);
}
