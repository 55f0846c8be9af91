/*
 * kind_ruche.c - the generator speaking Ruche's protocol (ruche.v1).
 *
 * A client logs in with the token its user got from POST /api/login
 * ({"id":1,"op":"auth"}), starts live events ({"id":2,"op":"sync"}) unless
 * the workload only writes, and the first client of each hive checks with
 * channel.list that the hive's "general" channel is the one the users file
 * says.  Chat messages go out as msg.send (ids from 100 up) and come back
 * as msg.created events, to every member including the sender.
 */
#include <stdio.h>
#include <string.h>

#include "load.h"

enum {
	ID_AUTH = 1,
	ID_SYNC = 2,
	ID_LIST = 3,
	ID_FIRST_SEND = 100,
};

static int request(struct gen *g, struct client *c, const char *req)
{
	return gen_send_text(g, c, req, strlen(req));
}

static int ruche_open(struct gen *g, struct client *c)
{
	struct user *u = gen_user(g, c);
	char req[160];

	if (!u->token[0])
		return gen_fail(g, c, "user %s has no token", u->handle);
	c->next_id = ID_FIRST_SEND;
	snprintf(req, sizeof(req),
		 "{\"id\":%d,\"op\":\"auth\",\"token\":\"%s\"}", ID_AUTH,
		 u->token);
	return request(g, c, req);
}

/* Checks channel.list's answer: "general" must be the user's channel. */
static int check_general(struct gen *g, struct client *c, const char *p,
			 size_t n)
{
	const char *name = memmem(p, n, "\"name\":\"general\"", 16), *obj;
	int64_t id = -1;

	if (!name)
		return gen_fail(g, c, "hive %lld has no general channel",
				(long long)gen_user(g, c)->hive_id);
	for (obj = name; obj > p && *obj != '{'; obj--)
		;
	js_int(obj, (size_t)(name - obj), "id", &id);
	if (id != gen_user(g, c)->channel_id)
		return gen_fail(g, c,
				"hive %lld: general is channel %lld, not %lld",
				(long long)gen_user(g, c)->hive_id,
				(long long)id,
				(long long)gen_user(g, c)->channel_id);
	gen_ready(g, c);
	return 0;
}

static int ruche_reply(struct gen *g, struct client *c, int64_t id,
		       const char *p, size_t n)
{
	bool ok = js_has(p, n < 48 ? n : 48, "\"ok\":true");
	const char *code = NULL;
	size_t codelen = 0;

	if (!ok)
		js_str(p, n, "code", &code, &codelen);
	if (id >= ID_FIRST_SEND) {
		gen_ack(g, c, ok, code, codelen);
		return 0;
	}
	if (!ok)
		return gen_fail(g, c, "request %lld refused: %.*s",
				(long long)id, (int)codelen,
				code ? code : "?");
	switch (id) {
	case ID_AUTH:
		if (g->live)
			return request(g, c, "{\"id\":2,\"op\":\"sync\"}");
		gen_ready(g, c);
		return 0;
	case ID_SYNC:
		if (c->leader) {
			char req[128];
			int len = snprintf(req, sizeof(req),
					   "{\"id\":%d,\"op\":\"channel.list\","
					   "\"hive_id\":%lld}", ID_LIST,
					   (long long)gen_user(g, c)->hive_id);

			return gen_send_text(g, c, req, (size_t)len);
		}
		gen_ready(g, c);
		return 0;
	case ID_LIST:
		return check_general(g, c, p, n);
	default:
		return gen_fail(g, c, "an answer to request %lld, never sent",
				(long long)id);
	}
}

static int ruche_text(struct gen *g, struct client *c, const char *p,
		      size_t n)
{
	int64_t id;

	/* Events start with "ev" (the server writes keys in a fixed order);
	 * anything else is looked at more closely. */
	if (n > 6 && memcmp(p, "{\"ev\":", 6) == 0) {
		const char *t;
		size_t tl;

		if (n > 19 && memcmp(p + 6, "\"msg.created\"", 13) == 0 &&
		    !js_str(p, n, "text", &t, &tl))
			gen_message(g, c, t, tl);
		return 0;
	}
	if (!js_int(p, n < 32 ? n : 32, "re", &id))
		return ruche_reply(g, c, id, p, n);
	if (js_has(p, n, "\"ev\":\"msg.created\"")) {
		const char *t;
		size_t tl;

		if (!js_str(p, n, "text", &t, &tl))
			gen_message(g, c, t, tl);
		return 0;
	}
	if (js_has(p, n < 32 ? n : 32, "\"ev\":"))
		return 0;
	return gen_fail(g, c, "unexpected message: %.*s",
			(int)(n > 120 ? 120 : n), p);
}

static int ruche_send(struct gen *g, struct client *c, const char *text,
		      size_t n)
{
	char req[4200];
	int len = snprintf(req, sizeof(req),
			   "{\"id\":%lld,\"op\":\"msg.send\","
			   "\"channel_id\":%lld,\"text\":\"%.*s\"}",
			   (long long)c->next_id++,
			   (long long)gen_user(g, c)->channel_id, (int)n, text);

	if (len < 0 || (size_t)len >= sizeof(req))
		return gen_fail(g, c, "message too long");
	return gen_send_text(g, c, req, (size_t)len);
}

const struct kind kind_ruche = {
	.name = "ruche",
	.path = "/ws",
	.subprotocol = "ruche.v1",
	.needs_login = true,
	.acks = true,
	.open = ruche_open,
	.text = ruche_text,
	.send = ruche_send,
};
