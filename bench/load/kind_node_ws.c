/*
 * kind_node_ws.c - the generator speaking to the node_ws peer
 * (bench/peers/node-ws-server.mjs): a do-it-yourself room broadcast
 * server with no accounts and no storage.
 *
 * A client joins its room with {"room":R} and is ready at {"joined":R}; a
 * chat message is {"room":R,"text":"..."}, which the server sends to every
 * member of the room, the sender included (as Ruche does), and does not
 * answer otherwise.
 */
#include <stdio.h>
#include <string.h>

#include "load.h"

static int node_open(struct gen *g, struct client *c)
{
	char req[64];
	int n = snprintf(req, sizeof(req), "{\"room\":%lld}",
			 (long long)gen_user(g, c)->hive_id);

	return gen_send_text(g, c, req, (size_t)n);
}

static int node_text(struct gen *g, struct client *c, const char *p,
		     size_t n)
{
	const char *t;
	size_t tl;

	if (!js_str(p, n, "text", &t, &tl)) {
		gen_message(g, c, t, tl);
		return 0;
	}
	if (js_has(p, n < 16 ? n : 16, "\"joined\"")) {
		gen_ready(g, c);
		return 0;
	}
	return gen_fail(g, c, "unexpected message: %.*s",
			(int)(n > 120 ? 120 : n), p);
}

static int node_send(struct gen *g, struct client *c, const char *text,
		     size_t n)
{
	char req[4200];
	int len = snprintf(req, sizeof(req),
			   "{\"room\":%lld,\"text\":\"%.*s\"}",
			   (long long)gen_user(g, c)->hive_id, (int)n, text);

	if (len < 0 || (size_t)len >= sizeof(req))
		return gen_fail(g, c, "message too long");
	return gen_send_text(g, c, req, (size_t)len);
}

const struct kind kind_node_ws = {
	.name = "node_ws",
	.path = "/",
	.subprotocol = NULL,
	.needs_login = false,
	.acks = false,
	.open = node_open,
	.text = node_text,
	.send = node_send,
};
