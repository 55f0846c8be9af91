/*
 * fuzz_dispatch - the protocol decoder and the dispatcher, fed the way the
 * transport feeds them: each message goes through conn_receive() as one
 * complete WebSocket text message, then the turn ends (server_flush), as
 * after a pass of the event loop.
 *
 * Input: one byte of setup, then up to MAX_MESSAGES messages separated by
 * 0x1E (the record separator of JSON text sequences, RFC 7464), so that
 * the fuzzer can build sequences: schedule a meetup, start it, answer it.
 *
 *	setup & 3:  who sends: 0 nobody (not authenticated), 1 ada (learner),
 *	            2 mentor (mentor of hive 1), 3 root (admin)
 *	setup & 4:  the server runs with a fake clock, so clock.advance
 *	            exists and moves meetups, mutes and schedules forward
 *
 * A message whose first byte is 0x00 to 0x04 (never the start of JSON)
 * switches the sender for the rest of the input, that byte left out:
 * 0 to 3 as above, each with a connection of its own, 4 bob (synced from
 * the start).  So one input can have the mentor start a meetup, ada join
 * it and answer, and bob see it all.
 *
 * Beyond the sanitizers, it checks what the protocol promises: every frame
 * out is a JSON object, each request gets exactly one reply while the
 * connection stays open, and every refusal has a code and a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "ruche/conn.h"
#include "ruche/frame.h"
#include "world.h"

#define MAX_MESSAGES 16
#define SEPARATOR 0x1e

#define NSENDERS 5

static const int64_t senders[] = { 0, WORLD_ADA, WORLD_MENTOR, WORLD_ROOT,
				   WORLD_BOB };

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	world_global_init();
	return 0;
}

/* Replies ("re") queued on c; every frame must be a JSON object. */
static int replies(struct conn *c)
{
	int n = 0;

	for (size_t i = 0; i < c->out_count; i++) {
		struct frame *f = c->outq[(c->out_head + i) % c->out_cap];
		json_t *v = json_loadb((const char *)frame_payload(f), f->len,
				       0, NULL);

		if (!json_is_object(v)) {
			fprintf(stderr, "not a JSON object: %.*s\n",
				(int)f->len, frame_payload(f));
			abort();
		}
		if (json_object_get(v, "re"))
			n++;
		if (json_is_false(json_object_get(v, "ok"))) {
			json_t *e = json_object_get(v, "error");

			/* A refusal always says why, for programs and people. */
			if (!json_is_string(json_object_get(e, "code")) ||
			    !json_is_string(json_object_get(e, "message"))) {
				fprintf(stderr, "an error without code or "
					"message: %.*s\n", (int)f->len,
					frame_payload(f));
				abort();
			}
		}
		json_decref(v);
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct world w;
	struct conn *conns[NSENDERS] = { NULL }, *c;
	const uint8_t *p, *end = data + size;
	int nmsg = 0;

	if (size < 1)
		return 0;
	world_init(&w, data[0] & 4);
	/* Every sender's session now: after storage.fault, opening one
	 * would fail. */
	for (int i = 0; i < NSENDERS - 1; i++)
		conns[i] = world_conn(&w, senders[i]);
	conns[4] = w.bob;
	c = conns[data[0] & 3];
	for (p = data + 1; p <= end && nmsg < MAX_MESSAGES; nmsg++) {
		const uint8_t *sep = memchr(p, SEPARATOR, (size_t)(end - p));
		size_t len = (size_t)((sep ? sep : end) - p);
		int rc;

		if (len && *p < NSENDERS) {
			c = conns[*p];
			p++;
			len--;
		}
		rc = conn_receive(c, p, len, true, false);
		server_flush(&w.srv);
		/* Memory does not run out here: such a close hides a reply
		 * that could not be encoded. */
		if (c->close_code == CONN_CLOSE_GOING_AWAY) {
			fprintf(stderr, "message %d: closed: %s\n", nmsg,
				c->close_reason);
			abort();
		}
		if (rc || c->close_code) {
			/* The transport hangs up: nothing more is read. */
			break;
		}
		if (replies(c) != 1) {
			fprintf(stderr, "message %d got %d replies\n", nmsg,
				replies(c));
			abort();
		}
		world_drain(&w);
		if (!sep)
			break;
		p = sep + 1;
	}
	world_drain(&w);
	world_release(&w);
	return 0;
}
