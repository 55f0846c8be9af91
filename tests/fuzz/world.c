/* world.c - the fuzz targets' world: see world.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "ruche/accounts.h"
#include "ruche/auth.h"
#include "ruche/conn.h"
#include "ruche/frame.h"
#include "ruche/log.h"
#include "ruche/ops.h"
#include "ruche/store.h"
#include "world.h"

static char pw_hash[AUTH_HASH_MAX];

/* The base world, built once; each input runs inside a transaction on it
 * that world_release() rolls back. */
static struct store *base;

static void build(void);

static void die(const char *what)
{
	fprintf(stderr, "fuzz world: %s\n", what);
	abort();
}

void world_global_init(void)
{
	/* The lowest scrypt cost: operations that check a password then
	 * cost microseconds, and the fuzzer reaches past them. */
	struct auth_cost cost = { 1, 1, 1 };

	/* Store errors are findings too: keep those lines. */
	log_set_level(LOG_ERROR);
	if (auth_set_cost(&cost) || auth_hash_password(WORLD_PASSWORD,
						       pw_hash))
		die("cannot hash the password");
	build();
}

static void no_wake(void *arg)
{
	(void)arg;
}

static void user(struct world *w, const char *handle, bool admin)
{
	struct store_user u;

	if (accounts_create(&w->srv, handle, handle, pw_hash, admin, &u))
		die("cannot create a user");
}

void world_token(struct world *w, int64_t user,
		 char token[AUTH_TOKEN_LEN + 1])
{
	struct store_session s;

	if (accounts_session_open(&w->srv, user, token, &s))
		die("cannot open a session");
}

struct conn *world_conn(struct world *w, int64_t id)
{
	char token[AUTH_TOKEN_LEN + 1];
	struct conn *c = conn_new(&w->srv, "fuzz", no_wake, NULL);

	if (!c)
		die("out of memory");
	if (!id)
		return c;
	world_token(w, id, token);
	if (ops_authenticate(c, token))
		die("cannot authenticate");
	return c;
}

void world_drain(struct world *w)
{
	for (struct conn *c = w->srv.conns; c; c = c->next) {
		struct frame *f;

		while ((f = conn_peek(c))) {
			json_t *v = json_loadb((const char *)frame_payload(f),
					       f->len, 0, NULL);

			/* Whatever went in, what comes out is one JSON
			 * object per frame. */
			if (!json_is_object(v))
				die("a frame that is not a JSON object");
			json_decref(v);
			conn_pop(c);
		}
	}
}

void world_send(struct world *w, struct conn *c, const char *json)
{
	conn_receive(c, json, strlen(json), true, false);
	server_flush(&w->srv);
}

/* Runs a request of the setup, which must succeed. */
static void must(struct world *w, struct conn *c, const char *json)
{
	struct frame *f;
	json_t *v = NULL;

	world_send(w, c, json);
	/* Events may come first (presence): the reply is the one with re. */
	while ((f = conn_peek(c))) {
		v = json_loadb((const char *)frame_payload(f), f->len, 0,
			       NULL);
		if (json_object_get(v, "re"))
			break;
		json_decref(v);
		v = NULL;
		conn_pop(c);
	}
	if (!f)
		die("no reply in setup");
	if (!json_is_true(json_object_get(v, "ok"))) {
		fprintf(stderr, "%s\n-> %s\n", json, frame_payload(f));
		die("a request of the setup failed");
	}
	json_decref(v);
	world_drain(w);
}

/* Builds the base world into base (see world.h). */
static void build(void)
{
	char err[256];
	struct world b, *w = &b;
	struct conn *root, *mentor, *ada;

	memset(w, 0, sizeof(*w));
	config_defaults(&w->cfg);
	clock_fake_init(&w->clock, WORLD_NOW);
	if (store_open(":memory:", &base, err, sizeof(err)))
		die(err);
	w->st = base;
	if (server_init(&w->srv, &w->cfg, &w->clock.clock, w->st))
		die("cannot start the server");
	user(w, "root", true);
	user(w, "mentor", false);
	user(w, "ada", false);
	user(w, "bob", false);
	user(w, "eve", false);

	root = world_conn(w, WORLD_ROOT);
	must(w, root, "{\"id\":1,\"op\":\"hive.create\",\"name\":\"Hive\"}");
	must(w, root, "{\"id\":2,\"op\":\"hive.add_member\",\"hive_id\":1,"
		      "\"user_id\":2,\"role\":\"mentor\"}");
	must(w, root, "{\"id\":3,\"op\":\"hive.add_member\",\"hive_id\":1,"
		      "\"user_id\":3,\"role\":\"learner\"}");
	must(w, root, "{\"id\":4,\"op\":\"hive.add_member\",\"hive_id\":1,"
		      "\"user_id\":4,\"role\":\"learner\"}");
	must(w, root, "{\"id\":5,\"op\":\"hive.create\",\"name\":\"Other\","
		      "\"capacity\":1}");
	must(w, root, "{\"id\":6,\"op\":\"hive.add_member\",\"hive_id\":2,"
		      "\"user_id\":3,\"role\":\"learner\"}");
	conn_free(root);

	mentor = world_conn(w, WORLD_MENTOR);
	ada = world_conn(w, WORLD_ADA);
	must(w, ada, "{\"id\":1,\"op\":\"msg.send\",\"channel_id\":1,"
		     "\"text\":\"Hello, hive!\"}");
	must(w, mentor, "{\"id\":1,\"op\":\"msg.send\",\"channel_id\":1,"
			"\"text\":\"Welcome, see https://example.org\","
			"\"reply_to\":1}");
	must(w, ada, "{\"id\":2,\"op\":\"msg.send\",\"channel_id\":1,"
		     "\"text\":\"A thread\",\"thread_id\":1}");
	must(w, mentor, "{\"id\":2,\"op\":\"pin.add\",\"message_id\":2}");
	must(w, ada, "{\"id\":3,\"op\":\"report.create\",\"message_id\":2,"
		     "\"reason\":\"spam\"}");
	must(w, mentor, "{\"id\":3,\"op\":\"meetup.schedule\",\"hive_id\":1,"
			"\"template_id\":\"1-2-4-all\","
			"\"start_at\":1800003600000}");
	must(w, mentor, "{\"id\":4,\"op\":\"meetup.schedule\",\"hive_id\":1,"
			"\"template_id\":\"troika-consulting\","
			"\"start_at\":1800000060000,\"recurrence\":\"weekly\"}");
	must(w, ada, "{\"id\":4,\"op\":\"meetup.rsvp\",\"meetup_id\":2,"
		     "\"answer\":\"going\"}");
	conn_free(mentor);
	conn_free(ada);
	server_release(&w->srv);
}

void world_init(struct world *w, bool fake_clock)
{
	memset(w, 0, sizeof(*w));
	config_defaults(&w->cfg);
	w->cfg.fake_clock = fake_clock;
	clock_fake_init(&w->clock, WORLD_NOW);
	w->st = base;
	/* Everything the input does is undone by world_release(). */
	if (store_begin(w->st))
		die("cannot open the input's transaction");
	if (server_init(&w->srv, &w->cfg, &w->clock.clock, w->st))
		die("cannot start the server");
	if (fake_clock)
		w->srv.fake_clock = &w->clock;
	/* Bob listens, so events fan out to someone. */
	w->bob = world_conn(w, WORLD_BOB);
	must(w, w->bob, "{\"id\":1,\"op\":\"sync\"}");
}

void world_release(struct world *w)
{
	server_release(&w->srv);
	/* A commit the code did not begin would have ended the input's
	 * transaction early, and its changes would stay for the next. */
	if (!store_in_transaction(w->st))
		die("unbalanced transactions: the input's was committed");
	store_rollback(w->st);
	if (store_in_transaction(w->st))
		die("unbalanced transactions: one was left open");
	/* storage.fault (fake clock) sets pragmas no rollback undoes. */
	if (store_test_fault(w->st, STORE_FAULT_NONE))
		die("cannot lift a storage fault");
}
