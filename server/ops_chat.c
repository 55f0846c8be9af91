/* ops_chat.c - channels, messages, history and sync over the protocol. */
#include <stdio.h>
#include <string.h>

#include "ruche/chat.h"
#include "ruche/conn.h"
#include "ruche/err.h"
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

int op_sync(struct conn *c, json_t *params, json_t **data,
	    struct proto_error *err)
{
	json_t *since = json_object_get(params, "since");

	return chat_sync(c->srv, c, since ? json_integer_value(since) : -1,
			 data);
}

int op_channel_list(struct conn *c, json_t *params, json_t **data,
		    struct proto_error *err)
{
	json_t *list;
	int rc = chat_channels(c->srv, conn_actor(c), num(params, "hive_id"),
			       &list);

	if (!rc)
		*data = json_pack("{s:o}", "channels", list);
	return rc;
}

int op_channel_create(struct conn *c, json_t *params, json_t **data,
		      struct proto_error *err)
{
	const char *kind = str(params, "kind");
	enum channel_kind k = CHANNEL_CHAT;

	if (kind && strcmp(kind, "announce") == 0)
		k = CHANNEL_ANNOUNCE;
	else if (kind && strcmp(kind, "chat") != 0) {
		err->code = "invalid_param";
		snprintf(err->message, sizeof(err->message),
			 "\"kind\" must be \"chat\" or \"announce\"");
		return RUCHE_EINVAL;
	}
	return chat_channel_create(c->srv, conn_actor(c), num(params, "hive_id"),
				   str(params, "name"), k, str(params, "topic"),
				   data);
}

int op_channel_update(struct conn *c, json_t *params, json_t **data,
		      struct proto_error *err)
{
	json_t *pos = json_object_get(params, "position");

	return chat_channel_update(c->srv, conn_actor(c),
				   num(params, "channel_id"),
				   str(params, "name"), str(params, "topic"),
				   pos ? (int)json_integer_value(pos) : -1,
				   data);
}

int op_channel_archive(struct conn *c, json_t *params, json_t **data,
		       struct proto_error *err)
{
	return chat_channel_archive(c->srv, conn_actor(c),
				    num(params, "channel_id"));
}

int op_dm_open(struct conn *c, json_t *params, json_t **data,
	       struct proto_error *err)
{
	json_t *ids = json_object_get(params, "user_ids"), *v;
	int64_t others[CHAT_DIRECT_MAX];
	size_t i, n = 0;

	json_array_foreach(ids, i, v) {
		if (!json_is_integer(v) || n == CHAT_DIRECT_MAX - 1) {
			err->code = "invalid_param";
			snprintf(err->message, sizeof(err->message),
				 "\"user_ids\" must be 1 to %d user ids",
				 CHAT_DIRECT_MAX - 1);
			return RUCHE_EINVAL;
		}
		others[n++] = json_integer_value(v);
	}
	return chat_direct_open(c->srv, conn_actor(c), others, n, data);
}

int op_dm_list(struct conn *c, json_t *params, json_t **data,
	       struct proto_error *err)
{
	json_t *list;
	int rc = chat_direct_list(c->srv, conn_actor(c), &list);

	if (!rc)
		*data = json_pack("{s:o}", "channels", list);
	return rc;
}

int op_msg_send(struct conn *c, json_t *params, json_t **data,
		struct proto_error *err)
{
	struct server *srv = c->srv;

	*data = NULL;
	return chat_post(srv, conn_actor(c), num(params, "channel_id"),
			 str(params, "text"), num(params, "reply_to"),
			 num(params, "thread_id"), str(params, "nonce"),
			 &srv->reply_text, &srv->reply_len);
}

int op_msg_edit(struct conn *c, json_t *params, json_t **data,
		struct proto_error *err)
{
	return chat_edit(c->srv, conn_actor(c), num(params, "message_id"),
			 str(params, "text"), data);
}

int op_msg_delete(struct conn *c, json_t *params, json_t **data,
		  struct proto_error *err)
{
	return chat_delete(c->srv, conn_actor(c), num(params, "message_id"));
}

int op_msg_react(struct conn *c, json_t *params, json_t **data,
		 struct proto_error *err)
{
	json_t *on = json_object_get(params, "on");

	return chat_react(c->srv, conn_actor(c), num(params, "message_id"),
			  str(params, "emoji"), !on || json_is_true(on));
}

int op_msg_history(struct conn *c, json_t *params, json_t **data,
		   struct proto_error *err)
{
	struct server *srv = c->srv;

	*data = NULL;
	return chat_history(srv, conn_actor(c), num(params, "channel_id"),
			    num(params, "thread_id"), num(params, "before"),
			    num(params, "after"), num(params, "around"),
			    (int)num(params, "limit"), &srv->reply_text,
			    &srv->reply_len);
}

int op_msg_search(struct conn *c, json_t *params, json_t **data,
		  struct proto_error *err)
{
	return chat_search(c->srv, conn_actor(c), str(params, "query"),
			   (int)num(params, "limit"), data);
}

int op_read_mark(struct conn *c, json_t *params, json_t **data,
		 struct proto_error *err)
{
	return chat_mark_read(c->srv, conn_actor(c), num(params, "channel_id"),
			      num(params, "message_id"));
}

int op_typing(struct conn *c, json_t *params, json_t **data,
	      struct proto_error *err)
{
	return chat_typing(c->srv, conn_actor(c), num(params, "channel_id"));
}

int op_presence_list(struct conn *c, json_t *params, json_t **data,
		     struct proto_error *err)
{
	return chat_presence(c->srv, conn_actor(c), num(params, "hive_id"),
			     data);
}

int op_presence_set(struct conn *c, json_t *params, json_t **data,
		    struct proto_error *err)
{
	const char *status = str(params, "status");

	if (strcmp(status, "online") && strcmp(status, "away")) {
		err->code = "invalid_param";
		snprintf(err->message, sizeof(err->message),
			 "\"status\" must be \"online\" or \"away\"");
		return RUCHE_EINVAL;
	}
	return chat_set_away(c->srv, c, strcmp(status, "away") == 0);
}
