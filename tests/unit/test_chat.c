/*
 * Unit tests of chat without a socket: grouped commits (nothing leaves
 * before its commit), fan-out to a hive's synced connections, permissions
 * and refusals, idempotent sends, history paging and resume.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ruche/chat.h"
#include "ruche/conn.h"
#include "ruche/err.h"
#include "ruche/hives.h"
#include "ruche/server.h"
#include "ruche/store.h"
#include "support/store_where.h"

struct fixture {
	char dir[256];
	struct config cfg;
	struct clock_fake clock;
	struct store *st;
	struct server srv;
	int64_t hive, general, meetups;
	int64_t mentor, ada, bob, outsider;
	int64_t base;		/* the last event position after setup */
};

static void no_wake(void *arg)
{
}

static int64_t user(struct fixture *fx, const char *handle)
{
	struct store_user u;

	assert_int_equal(accounts_create(&fx->srv, handle, handle,
					 "scrypt$1$1$1$x$y", false, &u), 0);
	return u.id;
}

static int setup(void **state)
{
	struct fixture *fx = test_calloc(1, sizeof(*fx));
	const char *tmp = getenv("TMPDIR");
	struct store_channel *chans;
	struct store_hive h;
	char path[300], err[256];
	size_t n;

	snprintf(fx->dir, sizeof(fx->dir), "%s/ruche-chat-XXXXXX",
		 tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(fx->dir));
	test_store_where(fx->dir, "t.db", path, sizeof(path));
	assert_int_equal(store_open(path, &fx->st, err, sizeof(err)), 0);
	config_defaults(&fx->cfg);
	clock_fake_init(&fx->clock, 1800000000000);
	assert_int_equal(server_init(&fx->srv, &fx->cfg, &fx->clock.clock,
				     fx->st), 0);
	assert_int_equal(hives_create(&fx->srv, ACTOR_OPERATOR, "Hive", "", 0,
				      &h), 0);
	fx->hive = h.id;
	assert_int_equal(store_channel_list(fx->st, h.id, &chans, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(chans[0].name, "general");
	assert_string_equal(chans[2].name, "meetups");
	assert_int_equal(chans[2].kind, CHANNEL_ANNOUNCE);
	fx->general = chans[0].id;
	fx->meetups = chans[2].id;
	free(chans);
	fx->mentor = user(fx, "mentor");
	fx->ada = user(fx, "ada");
	fx->bob = user(fx, "bob");
	fx->outsider = user(fx, "outsider");
	assert_int_equal(hives_add_member(&fx->srv, ACTOR_OPERATOR, h.id,
					  fx->mentor, ROLE_MENTOR), 0);
	assert_int_equal(hives_add_member(&fx->srv, ACTOR_OPERATOR, h.id,
					  fx->ada, ROLE_LEARNER), 0);
	assert_int_equal(hives_add_member(&fx->srv, ACTOR_OPERATOR, h.id,
					  fx->bob, ROLE_LEARNER), 0);
	/* Joining a hive is an event (member.joined): tests count from here. */
	assert_int_equal(store_event_last(fx->st, &fx->base), 0);
	assert_int_equal(fx->base, 3);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[300];

	server_release(&fx->srv);
	store_close(fx->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	assert_int_equal(system(cmd), 0);
	test_free(fx);
	return 0;
}

static struct actor as(int64_t id)
{
	return (struct actor){ .user_id = id };
}

/* A connection of user id, synced from position since. */
static struct conn *online_raw(struct fixture *fx, int64_t id, int64_t since)
{
	struct conn *c = conn_new(&fx->srv, "t", no_wake, NULL);
	json_t *out = NULL;

	c->user_id = id;
	assert_int_equal(chat_sync(&fx->srv, c, since, &out), 0);
	json_decref(out);
	return c;
}

/* The same, with every queue emptied of the presence news it caused. */
static struct conn *online(struct fixture *fx, int64_t id, int64_t since)
{
	struct conn *c = online_raw(fx, id, since);

	for (struct conn *o = fx->srv.conns; o; o = o->next)
		while (conn_peek(o))
			conn_pop(o);
	return c;
}

static int queued(struct conn *c)
{
	return (int)c->out_count;
}

static bool next_has(struct conn *c, const char *needle)
{
	struct frame *f = conn_peek(c);
	bool found = f && strstr((char *)frame_payload(f), needle);

	conn_pop(c);
	return found;
}

/*
 * Work undone by its transaction takes its events with it: a message sent
 * inside a transaction that then fails is neither stored nor shown, while
 * what the turn did before it still goes out.
 */
static void test_undone_work_shows_nothing(void **state)
{
	struct fixture *fx = *state;
	struct conn *bob = online(fx, fx->bob, -1);
	json_t *msg = NULL;
	int64_t last;

	assert_int_equal(server_turn_begin(&fx->srv), 0);
	assert_int_equal(chat_send(&fx->srv, as(fx->ada), fx->general,
				   "kept", 0, 0, NULL, &msg), 0);
	json_decref(msg);
	assert_int_equal(server_begin(&fx->srv), 0);
	assert_int_equal(chat_send(&fx->srv, as(fx->ada), fx->general,
				   "undone", 0, 0, NULL, &msg), 0);
	json_decref(msg);
	assert_int_equal(server_end(&fx->srv, RUCHE_EINVAL), RUCHE_EINVAL);
	assert_int_equal(server_flush(&fx->srv), 0);
	assert_int_equal(queued(bob), 1);
	assert_true(next_has(bob, "\"text\":\"kept\""));
	assert_int_equal(store_event_last(fx->st, &last), 0);
	assert_int_equal(last, fx->base + 1);
	/* Balanced: a later transaction commits and is shown. */
	assert_int_equal(server_turn_begin(&fx->srv), 0);
	assert_int_equal(server_begin(&fx->srv), 0);
	assert_int_equal(chat_send(&fx->srv, as(fx->ada), fx->general,
				   "later", 0, 0, NULL, &msg), 0);
	json_decref(msg);
	assert_int_equal(server_end(&fx->srv, 0), 0);
	assert_int_equal(server_flush(&fx->srv), 0);
	assert_int_equal(queued(bob), 1);
	assert_true(next_has(bob, "\"text\":\"later\""));
	assert_int_equal(fx->srv.ntx, 0);
}

static void test_grouped_commit_holds_events(void **state)
{
	struct fixture *fx = *state;
	struct conn *ada = online(fx, fx->ada, -1);
	struct conn *bob = online(fx, fx->bob, -1);
	struct conn *out = online(fx, fx->outsider, -1);
	json_t *msg = NULL;

	assert_int_equal(server_turn_begin(&fx->srv), 0);
	assert_int_equal(chat_send(&fx->srv, as(fx->ada), fx->general,
				   "first", 0, 0, NULL, &msg), 0);
	json_decref(msg);
	assert_int_equal(chat_send(&fx->srv, as(fx->bob), fx->general,
				   "second", 0, 0, NULL, &msg), 0);
	json_decref(msg);
	/* Nothing is shown before the commit. */
	assert_int_equal(queued(ada), 0);
	assert_int_equal(queued(bob), 0);
	server_flush(&fx->srv);
	assert_false(store_in_transaction(fx->st));
	/* Then each member sees both, in order; the outsider nothing. */
	assert_int_equal(queued(ada), 2);
	assert_true(next_has(ada, "\"pos\":4,"));
	assert_true(next_has(ada, "\"text\":\"second\""));
	assert_int_equal(queued(bob), 2);
	assert_int_equal(queued(out), 0);
	/* The same frame bytes were shared, not encoded per recipient. */
	assert_ptr_equal(conn_peek(bob), bob->outq[bob->out_head]);
}

static void test_refusals(void **state)
{
	struct fixture *fx = *state;
	json_t *m = NULL;
	int64_t id;

	assert_int_equal(chat_send(&fx->srv, as(fx->ada), fx->meetups, "hi", 0,
				   0, NULL, &m), RUCHE_EREAD_ONLY);
	assert_int_equal(chat_send(&fx->srv, as(fx->mentor), fx->meetups,
				   "Meetup on Friday", 0, 0, NULL, &m), 0);
	json_decref(m);
	assert_int_equal(chat_send(&fx->srv, as(fx->outsider), fx->general,
				   "hi", 0, 0, NULL, &m), RUCHE_ENOTFOUND);
	assert_int_equal(chat_send(&fx->srv, as(fx->ada), fx->general, " \n ",
				   0, 0, NULL, &m), RUCHE_EEMPTY);
	assert_int_equal(chat_send(&fx->srv, as(fx->ada), 9999, "hi", 0, 0,
				   NULL, &m), RUCHE_ENOTFOUND);
	assert_int_equal(chat_send(&fx->srv, as(fx->ada), fx->general, "mine",
				   0, 0, NULL, &m), 0);
	id = json_integer_value(json_object_get(json_object_get(m, "message"),
						"id"));
	json_decref(m);
	assert_int_equal(chat_edit(&fx->srv, as(fx->bob), id, "theirs", &m),
			 RUCHE_EFORBIDDEN);
	assert_int_equal(chat_delete(&fx->srv, as(fx->bob), id),
			 RUCHE_EFORBIDDEN);
	assert_int_equal(chat_react(&fx->srv, as(fx->bob), id, "ok", true),
			 RUCHE_EBAD_EMOJI);
	assert_int_equal(chat_react(&fx->srv, as(fx->bob), id, "👍", true), 0);
	assert_int_equal(chat_react(&fx->srv, as(fx->bob), id, "👍", true),
			 RUCHE_EEXIST);
	assert_int_equal(chat_delete(&fx->srv, as(fx->ada), id), 0);
	assert_int_equal(chat_edit(&fx->srv, as(fx->ada), id, "again", &m),
			 RUCHE_EDELETED);
	assert_int_equal(chat_react(&fx->srv, as(fx->bob), id, "🎉", true),
			 RUCHE_EDELETED);
}

static void test_text_limit_counts_characters(void **state)
{
	struct fixture *fx = *state;
	char *text = malloc(CHAT_TEXT_MAX * 2 + 3);
	json_t *m = NULL;

	/* 4000 two-byte characters fit; 4001 do not. */
	for (int i = 0; i < CHAT_TEXT_MAX; i++)
		memcpy(text + 2 * i, "\xc3\xa9", 2);
	text[CHAT_TEXT_MAX * 2] = '\0';
	assert_int_equal(chat_send(&fx->srv, as(fx->ada), fx->general, text, 0,
				   0, NULL, &m), 0);
	json_decref(m);
	strcat(text, "\xc3\xa9");
	assert_int_equal(chat_send(&fx->srv, as(fx->ada), fx->general, text, 0,
				   0, NULL, &m), RUCHE_ETOOBIG);
	free(text);
}

/* chat_history(), its text read back (NULL on an error). */
static int history(struct fixture *fx, struct actor who, int64_t chan,
		   int64_t thread, int64_t before, int64_t after,
		   int64_t around, int limit, json_t **page)
{
	char *text = NULL;
	size_t len = 0;
	int rc = chat_history(&fx->srv, who, chan, thread, before, after,
			      around, limit, &text, &len);

	*page = NULL;
	if (!rc) {
		assert_int_equal(strlen(text), len);
		*page = json_loadb(text, len, 0, NULL);
		assert_non_null(*page);
	}
	free(text);
	return rc;
}

static void test_nonce_is_idempotent(void **state)
{
	struct fixture *fx = *state;
	json_t *a = NULL, *b = NULL, *page = NULL;

	assert_int_equal(chat_send(&fx->srv, as(fx->ada), fx->general, "once",
				   0, 0, "retry-1", &a), 0);
	assert_int_equal(chat_send(&fx->srv, as(fx->ada), fx->general, "once",
				   0, 0, "retry-1", &b), 0);
	assert_true(json_equal(a, b));
	assert_int_equal(history(fx, as(fx->bob), fx->general, 0, 0,
				 0, 0, 50, &page), 0);
	assert_int_equal(json_array_size(json_object_get(page, "messages")),
			 1);
	json_decref(a);
	json_decref(b);
	json_decref(page);
}

static int64_t send_n(struct fixture *fx, int n)
{
	char text[32];
	json_t *m = NULL;
	int64_t last = 0;

	for (int i = 1; i <= n; i++) {
		snprintf(text, sizeof(text), "message %d", i);
		assert_int_equal(chat_send(&fx->srv, as(fx->ada), fx->general,
					   text, 0, 0, NULL, &m), 0);
		last = json_integer_value(json_object_get(
			json_object_get(m, "message"), "id"));
		json_decref(m);
	}
	return last;
}

static void test_history_pages(void **state)
{
	struct fixture *fx = *state;
	json_t *page = NULL, *msgs;
	int64_t last = send_n(fx, 120), first_of_page;

	assert_int_equal(history(fx, as(fx->bob), fx->general, 0, 0,
				 0, 0, 50, &page), 0);
	msgs = json_object_get(page, "messages");
	assert_int_equal(json_array_size(msgs), 50);
	assert_true(json_is_true(json_object_get(page, "more_before")));
	/* Oldest first within the page, ending with the newest message. */
	assert_int_equal(json_integer_value(json_object_get(
		json_array_get(msgs, 49), "id")), last);
	first_of_page = json_integer_value(json_object_get(
		json_array_get(msgs, 0), "id"));
	json_decref(page);
	assert_int_equal(history(fx, as(fx->bob), fx->general, 0,
				 first_of_page, 0, 0, 100, &page), 0);
	assert_int_equal(json_array_size(json_object_get(page, "messages")),
			 70);
	assert_false(json_is_true(json_object_get(page, "more_before")));
	json_decref(page);
	/* Jump: centred on a message. */
	assert_int_equal(history(fx, as(fx->bob), fx->general, 0, 0,
				 0, 60, 10, &page), 0);
	msgs = json_object_get(page, "messages");
	assert_int_equal(json_array_size(msgs), 10);
	assert_int_equal(json_integer_value(json_object_get(
		json_array_get(msgs, 5), "id")), 60);
	json_decref(page);
	assert_int_equal(history(fx, as(fx->outsider), fx->general,
				 0, 0, 0, 0, 10, &page), RUCHE_ENOTFOUND);
}

static void test_resume_exactly_what_was_missed(void **state)
{
	struct fixture *fx = *state;
	struct conn *c;
	json_t *out = NULL;
	int64_t pos;

	send_n(fx, 3);
	assert_int_equal(store_event_last(fx->st, &pos), 0);
	send_n(fx, 5);
	c = conn_new(&fx->srv, "t", no_wake, NULL);
	c->user_id = fx->bob;
	assert_int_equal(chat_sync(&fx->srv, c, pos, &out), 0);
	assert_int_equal(json_array_size(json_object_get(out, "events")), 5);
	assert_false(json_is_true(json_object_get(out, "gap")));
	json_decref(out);
	while (conn_peek(c))	/* its own presence */
		conn_pop(c);
	/* Live from there on, and never twice. */
	send_n(fx, 1);
	assert_int_equal(queued(c), 1);
	/* A position this server never gave: reload. */
	assert_int_equal(chat_sync(&fx->srv, c, pos + 1000, &out), 0);
	assert_true(json_is_true(json_object_get(out, "gap")));
	json_decref(out);
}

/* Past the retention, a client is told to reload instead of replaying. */
static void test_pruned_events_mean_reload(void **state)
{
	struct fixture *fx = *state;
	struct conn *c;
	json_t *out = NULL;
	int64_t first, last;

	send_n(fx, 3);
	clock_fake_advance(&fx->clock, 31LL * 86400 * 1000);
	send_n(fx, 2);
	assert_int_equal(chat_prune_events(&fx->srv), 0);
	assert_int_equal(store_event_first(fx->st, &first), 0);
	assert_int_equal(store_event_last(fx->st, &last), 0);
	assert_int_equal(first, fx->base + 4);
	assert_int_equal(last, fx->base + 5);
	c = conn_new(&fx->srv, "t", no_wake, NULL);
	c->user_id = fx->bob;
	assert_int_equal(chat_sync(&fx->srv, c, fx->base + 1, &out), 0);
	assert_true(json_is_true(json_object_get(out, "gap")));
	json_decref(out);
	assert_int_equal(chat_sync(&fx->srv, c, fx->base + 3, &out), 0);
	assert_false(json_is_true(json_object_get(out, "gap")));
	assert_int_equal(json_array_size(json_object_get(out, "events")), 2);
	json_decref(out);
	/* Even with everything but the newest pruned, positions go on. */
	clock_fake_advance(&fx->clock, 31LL * 86400 * 1000);
	assert_int_equal(chat_prune_events(&fx->srv), 0);
	send_n(fx, 1);
	assert_int_equal(store_event_last(fx->st, &last), 0);
	assert_int_equal(last, fx->base + 6);
}

static void test_outsider_cannot_replay(void **state)
{
	struct fixture *fx = *state;
	struct conn *c;
	json_t *out = NULL;

	send_n(fx, 4);
	c = conn_new(&fx->srv, "t", no_wake, NULL);
	c->user_id = fx->outsider;
	assert_int_equal(chat_sync(&fx->srv, c, 0, &out), 0);
	assert_int_equal(json_array_size(json_object_get(out, "events")), 0);
	json_decref(out);
}

static void test_direct_conversations(void **state)
{
	struct fixture *fx = *state;
	int64_t ids[] = { fx->bob }, bad[] = { fx->outsider };
	json_t *a = NULL, *b = NULL, *m = NULL;
	struct conn *bob = online(fx, fx->bob, -1);
	struct conn *mentor = online(fx, fx->mentor, -1);
	int64_t ch;

	assert_int_equal(chat_direct_open(&fx->srv, as(fx->ada), bad, 1, &a),
			 RUCHE_ENOTFOUND);
	assert_int_equal(chat_direct_open(&fx->srv, as(fx->ada), ids, 1, &a),
			 0);
	ids[0] = fx->ada;
	assert_int_equal(chat_direct_open(&fx->srv, as(fx->bob), ids, 1, &b),
			 0);
	/* The same conversation, whoever opens it. */
	assert_true(json_equal(a, b));
	ch = json_integer_value(json_object_get(json_object_get(a, "channel"),
						"id"));
	while (conn_peek(bob))
		conn_pop(bob);
	assert_int_equal(chat_send(&fx->srv, as(fx->ada), ch, "psst", 0, 0,
				   NULL, &m), 0);
	json_decref(m);
	assert_int_equal(queued(bob), 1);
	assert_int_equal(queued(mentor), 0);
	assert_int_equal(chat_send(&fx->srv, as(fx->mentor), ch, "me too", 0,
				   0, NULL, &m), RUCHE_ENOTFOUND);
	json_decref(a);
	json_decref(b);
}

/* How many messages a search for query finds, as bob. */
static size_t found(struct fixture *fx, const char *query)
{
	json_t *res = NULL;
	size_t n;

	assert_int_equal(chat_search(&fx->srv, as(fx->bob), query, 10, &res),
			 0);
	n = json_array_size(json_object_get(res, "results"));
	json_decref(res);
	return n;
}

static int64_t sent(struct fixture *fx, const char *text)
{
	json_t *m = NULL;
	int64_t id;

	assert_int_equal(chat_send(&fx->srv, as(fx->ada), fx->general, text,
				   0, 0, NULL, &m), 0);
	id = json_integer_value(json_object_get(json_object_get(m, "message"),
						"id"));
	json_decref(m);
	return id;
}

/*
 * Messages are indexed for search once per commit (migration 0012).  A
 * search sees what its own turn wrote, and a message edited, deleted or
 * purged before its turn commits is indexed as it ends up, never as it
 * was: asking FTS5 to remove what it never had would corrupt the index.
 */
static void test_search_indexes_at_commit(void **state)
{
	struct fixture *fx = *state;
	json_t *m = NULL;
	int64_t edited, gone;

	assert_int_equal(server_turn_begin(&fx->srv), 0);
	edited = sent(fx, "alpha plan");
	assert_int_equal(found(fx, "alpha"), 1);	/* same turn */
	assert_int_equal(chat_edit(&fx->srv, as(fx->ada), edited,
				   "bravo plan", &m), 0);
	json_decref(m);
	gone = sent(fx, "charlie plan");
	assert_int_equal(chat_delete(&fx->srv, as(fx->ada), gone), 0);
	sent(fx, "delta plan");
	assert_int_equal(server_flush(&fx->srv), 0);
	assert_int_equal(found(fx, "alpha"), 0);
	assert_int_equal(found(fx, "bravo"), 1);
	assert_int_equal(found(fx, "charlie"), 0);
	assert_int_equal(found(fx, "plan"), 2);
	/* Indexed ones change as before, the index intact. */
	assert_int_equal(chat_edit(&fx->srv, as(fx->ada), edited,
				   "echo plan", &m), 0);
	json_decref(m);
	assert_int_equal(found(fx, "bravo"), 0);
	assert_int_equal(found(fx, "echo"), 1);
	assert_int_equal(chat_delete(&fx->srv, as(fx->ada), edited), 0);
	assert_int_equal(found(fx, "plan"), 1);
	/* A turn undone leaves nothing pending behind. */
	assert_int_equal(server_turn_begin(&fx->srv), 0);
	assert_int_equal(server_begin(&fx->srv), 0);
	sent(fx, "foxtrot plan");
	assert_int_equal(server_end(&fx->srv, RUCHE_EINVAL), RUCHE_EINVAL);
	assert_int_equal(server_flush(&fx->srv), 0);
	assert_int_equal(found(fx, "foxtrot"), 0);
	assert_int_equal(found(fx, "plan"), 1);
	assert_int_equal(store_search_check(fx->st), 0);
}

static void test_search(void **state)
{
	struct fixture *fx = *state;
	json_t *m = NULL, *res = NULL, *hits;

	assert_int_equal(chat_send(&fx->srv, as(fx->ada), fx->general,
				   "Where is the Café meetup?", 0, 0, NULL, &m),
			 0);
	json_decref(m);
	assert_int_equal(chat_send(&fx->srv, as(fx->ada), fx->general,
				   "The cafe is closed", 0, 0, NULL, &m), 0);
	json_decref(m);
	assert_int_equal(chat_search(&fx->srv, as(fx->bob), "cafe", 10, &res),
			 0);
	hits = json_object_get(res, "results");
	/* Accents do not matter; newest first; an excerpt marks the match. */
	assert_int_equal(json_array_size(hits), 2);
	assert_non_null(strstr(json_string_value(json_object_get(
		json_array_get(hits, 0), "excerpt")), "[cafe]"));
	json_decref(res);
	/* Operators are taken as words, not as FTS syntax. */
	assert_int_equal(chat_search(&fx->srv, as(fx->bob), "body:\"x OR",
				     10, &res), 0);
	json_decref(res);
	/* Quotes alone: each one doubled and quoted, more than twice
	 * what was typed. */
	assert_int_equal(chat_search(&fx->srv, as(fx->bob),
				     "\" \" \" \" \" \" \" \" \" \"", 10, &res),
			 0);
	json_decref(res);
	assert_int_equal(chat_search(&fx->srv, as(fx->outsider), "cafe", 10,
				     &res), 0);
	assert_int_equal(json_array_size(json_object_get(res, "results")), 0);
	json_decref(res);
}

/* Stores a message with text in channel ch, as author: its id. */
static int64_t stored(struct fixture *fx, int64_t ch, int64_t author,
		      const char *text)
{
	struct store_message m = { .channel_id = ch, .author_id = author,
				   .body = (char *)text,
				   .created_at = 1800000000000 };

	assert_int_equal(store_msg_insert(fx->st, &m), 0);
	return m.id;
}

/*
 * A second hive with the outsider as its learner, and a conversation of
 * bob's and the outsider's (*dm), in a transaction left open: returns
 * the new hive's first channel.
 */
static int64_t other_hive_and_dm(struct fixture *fx, struct store_channel *dm)
{
	struct store_hive h;
	struct store_channel *chans;
	int64_t other;
	size_t n;

	*dm = (struct store_channel){ .kind = CHANNEL_DIRECT,
				      .created_at = 1800000000000 };
	assert_int_equal(hives_create(&fx->srv, ACTOR_OPERATOR, "Other", "",
				      0, &h), 0);
	assert_int_equal(hives_add_member(&fx->srv, ACTOR_OPERATOR, h.id,
					  fx->outsider, ROLE_LEARNER), 0);
	assert_int_equal(store_channel_list(fx->st, h.id, &chans, &n), 0);
	other = chans[0].id;
	free(chans);
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_channel_insert(fx->st, dm), 0);
	assert_int_equal(store_direct_add_member(fx->st, dm->id, fx->bob), 0);
	assert_int_equal(store_direct_add_member(fx->st, dm->id,
						 fx->outsider), 0);
	return other;
}

/* The ids and channels of what a search finds, newest first. */
static size_t search_ids(struct fixture *fx, int64_t who, const char *q,
			 int limit, int64_t *ids, int64_t *chans)
{
	json_t *res = NULL, *hits;
	size_t n;

	assert_int_equal(chat_search(&fx->srv, as(who), q, limit, &res), 0);
	hits = json_object_get(res, "results");
	n = json_array_size(hits);
	for (size_t i = 0; i < n; i++) {
		json_t *h = json_array_get(hits, i);

		ids[i] = json_integer_value(json_object_get(h, "message_id"));
		chans[i] = json_integer_value(json_object_get(h,
							      "channel_id"));
	}
	json_decref(res);
	return n;
}

/*
 * A search checks who may read each match in one of two ways, by how many
 * messages the user can see against all of them (store_search()): bob
 * sees 300 of 306 (through each match's row), the outsider 6 (through
 * the set of their ids).  Both find only what they may read, newest
 * first, their conversation included, never a deleted message.
 */
static void test_search_either_way(void **state)
{
	struct fixture *fx = *state;
	struct store_channel dm;
	int64_t ids[20], in[20], last = 0, other, theirs[6], gone;

	other = other_hive_and_dm(fx, &dm);
	for (int i = 0; i < 300; i++) {
		last = stored(fx, fx->general, fx->ada, "common words here");
		if (i == 100)
			theirs[0] = stored(fx, other, fx->outsider,
					   "common in the other hive");
	}
	theirs[1] = stored(fx, other, fx->outsider, "common again");
	gone = stored(fx, other, fx->outsider, "common but deleted");
	theirs[2] = stored(fx, dm.id, fx->bob, "common between us");
	assert_int_equal(store_msg_tombstone(fx->st, gone, 1800000000001),
			 0);
	assert_int_equal(store_commit(fx->st), 0);

	/* Bob: the newest ten of his hive, then the conversation. */
	assert_int_equal(search_ids(fx, fx->bob, "common", 10, ids, in), 10);
	assert_int_equal(ids[0], theirs[2]);
	assert_int_equal(in[0], dm.id);
	for (int i = 1; i < 10; i++) {
		assert_int_equal(in[i], fx->general);
		assert_int_equal(ids[i], last - (i - 1));
	}
	/* The outsider: the other hive's and the conversation, no more. */
	assert_int_equal(search_ids(fx, fx->outsider, "comm", 10, ids, in),
			 3);
	assert_int_equal(ids[0], theirs[2]);
	assert_int_equal(ids[1], theirs[1]);
	assert_int_equal(in[1], other);
	assert_int_equal(ids[2], theirs[0]);
	assert_int_equal(in[2], other);
	/* Two words, every one required. */
	assert_int_equal(search_ids(fx, fx->outsider, "common hive", 10, ids,
				    in), 1);
	assert_int_equal(ids[0], theirs[0]);
	assert_int_equal(search_ids(fx, fx->bob, "common hive", 10, ids, in),
			 0);
}

/*
 * Searches as who through the store: the ids found, newest first, into
 * ids.  Every hit's excerpt marks a word of the query.
 */
static size_t search_found(struct fixture *fx, int64_t who, const char *q,
			   int limit, int64_t *ids)
{
	struct store_hit *hits;
	size_t n;

	assert_int_equal(store_search(fx->st, who, q, limit, &hits, &n), 0);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(strchr(hits[i].excerpt, '['));
		if (i)
			assert_true(hits[i].message_id <
				    hits[i - 1].message_id);
		ids[i] = hits[i].message_id;
	}
	store_hit_list_free(hits, n);
	return n;
}

/* Asserts that ids[0..n) are want[0..n). */
static void same_ids(const int64_t *ids, size_t n, const int64_t *want,
		     size_t nwant)
{
	assert_int_equal(n, nwant);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ids[i], want[i]);
}

/*
 * Words rare and common, for a reader who sees few messages among many:
 * the store reads each channel they see from its own range of the index
 * (store_sqlite.c, sq_search()) and keeps the newest.  It finds what
 * they may read and nothing else, with accents and case, the last word
 * as a prefix, a word that is no word, a deleted message, a hive the
 * reader is not in, a conversation they are in, a limit reached, inside
 * a transaction that wrote, and on a database that takes no writes.
 */
static void test_search_words(void **state)
{
	struct fixture *fx = *state;
	struct store_channel dm;
	int64_t want[20], plain[20], ids[100], plans[130], other, cafe, fresh;
	size_t n, nwant = 0;
	json_t *m = NULL;
	char text[64];

	other = other_hive_and_dm(fx, &dm);
	/*
	 * The outsider sees ~150 of ~3,150 messages.  "the" is in 3,000 of
	 * them, "zephyr" in ~430.  Their 130 with "zephyr" hold "the" at
	 * i = 5, 21, ..., 117; the hive's 300 are not theirs.
	 */
	for (int i = 0; i < 3000; i++) {
		stored(fx, fx->general, fx->ada,
		       i % 10 ? "the filler" : "zephyr the filler");
		if (i % 23 == 0 && i / 23 < 130) {
			int k = i / 23;

			snprintf(text, sizeof(text), k % 16 == 5 ?
				 "zephyr and the plan %d" : "zephyr plan %d",
				 k);
			ids[0] = stored(fx, other, fx->outsider, text);
			plans[k] = ids[0];
			if (k % 16 == 5)
				want[7 - k / 16 + 3] = ids[0];
		}
	}
	/* Newer: 150 that "zeph" starts and "zephyr" does not. */
	for (int i = 0; i < 150; i++)
		stored(fx, other, fx->outsider, "zephir plan");
	/* Long enough for an excerpt of 16 words, with a word only the
	 * index's tokenizer folds ("ệ": remove_diacritics 2). */
	want[2] = stored(fx, other, fx->outsider,
			 "Việt zephyr then a long story of many words, one "
			 "two three four five six seven eight nine ten eleven "
			 "twelve thirteen fourteen and in the end the end");
	for (int i = 0; i < 20; i++)
		stored(fx, other, fx->outsider, "the other plan");
	cafe = stored(fx, other, fx->outsider, "Zéphyr met THE Café crowd");
	ids[0] = stored(fx, other, fx->outsider, "zephyr the deleted");
	assert_int_equal(store_msg_tombstone(fx->st, ids[0], 1800000000001),
			 0);
	want[0] = stored(fx, dm.id, fx->bob, "the zephyr between us");
	want[1] = cafe;
	nwant = 11;
	assert_int_equal(store_commit(fx->st), 0);
	/* The index checked with a message still waiting to be indexed
	 * (written outside a transaction): the check indexes it where a
	 * search would. */
	stored(fx, other, fx->outsider, "waiting to be indexed");
	assert_int_equal(store_search_check(fx->st), 0);

	/* Eleven: the conversation, the accented one, the long one, then
	 * eight of the hive's 130 with both words; none of the others. */
	n = search_found(fx, fx->outsider, "zephyr the", 20, ids);
	same_ids(ids, n, want, nwant);
	n = search_found(fx, fx->outsider, "ZÉPHYR the", 20, ids);
	same_ids(ids, n, want, nwant);
	/* The last word as a prefix, the rare one or the common one. */
	n = search_found(fx, fx->outsider, "the zeph", 20, ids);
	same_ids(ids, n, want, nwant);
	n = search_found(fx, fx->outsider, "zephyr th", 20, ids);
	same_ids(ids, n, want, nwant);
	/* A limit reached in one channel, and in both. */
	n = search_found(fx, fx->outsider, "zephyr the", 4, ids);
	same_ids(ids, n, want, 4);
	n = search_found(fx, fx->outsider, "zephyr the", 9, ids);
	same_ids(ids, n, want, 9);
	n = search_found(fx, fx->outsider, "viet zephyr", 9, ids);
	same_ids(ids, n, &want[2], 1);
	/* A last word longer than the index's prefixes ("zeph"): what the
	 * index gives is checked with the whole word, chunk after chunk,
	 * past the 150 newest that only start like it. */
	n = search_found(fx, fx->outsider, "plan zephyr", 20, ids);
	assert_int_equal(n, 20);
	for (int i = 0; i < 20; i++)
		assert_int_equal(ids[i], plans[129 - i]);
	n = search_found(fx, fx->outsider, "zephir", 100, ids);
	assert_int_equal(n, 100);
	/* More than a channel's chunk of 64, without the check. */
	n = search_found(fx, fx->outsider, "plan", 100, ids);
	assert_int_equal(n, 100);
	/* The 20 "the other plan", the long one without, 80 "zephir". */
	assert_int_equal(ids[20], ids[19] - 2);
	assert_int_equal(ids[99], ids[0] - 100);
	/* Accents and case, in the excerpt as written. */
	n = search_found(fx, fx->outsider, "cafe ZEPHYR", 20, ids);
	same_ids(ids, n, &cafe, 1);
	/* A word that gives FTS5 no token is left out; one that is
	 * nowhere leaves nothing. */
	if (!test_store_is_pg()) {
		n = search_found(fx, fx->outsider, "zephyr ? the", 20, ids);
		same_ids(ids, n, want, nwant);
	}
	n = search_found(fx, fx->outsider, "zephyr nowhere", 20, ids);
	assert_int_equal(n, 0);
	/* One word; a reader who sees most messages. */
	n = search_found(fx, fx->outsider, "zephyr", 20, ids);
	assert_int_equal(n, 20);
	/* A word whose first four characters are punctuation of more than
	 * ASCII: cut there it would give FTS5 no token, so it is not cut. */
	memcpy(plain, ids, sizeof(plain));
	n = search_found(fx, fx->outsider,
			 "\xc2\xab\xc2\xbb\xc2\xab\xc2\xbbzephyr", 20, ids);
	same_ids(ids, n, plain, 20);
	n = search_found(fx, fx->bob, "zephyr the", 5, ids);
	assert_int_equal(ids[0], want[0]);
	assert_int_equal(n, 5);

	/* Inside a transaction: a search writes nothing of it (a reply
	 * still leaves before the commit), and finds what it wrote. */
	assert_int_equal(store_begin(fx->st), 0);
	n = search_found(fx, fx->outsider, "zephyr the", 20, ids);
	same_ids(ids, n, want, nwant);
	assert_false(store_dirty(fx->st));
	fresh = stored(fx, other, fx->outsider, "fresh zephyr for the test");
	n = search_found(fx, fx->outsider, "zephyr the", 20, ids);
	assert_int_equal(n, nwant + 1);
	assert_int_equal(ids[0], fresh);
	same_ids(ids + 1, n - 1, want, nwant);
	store_rollback(fx->st);
	n = search_found(fx, fx->outsider, "zephyr the", 20, ids);
	same_ids(ids, n, want, nwant);
	assert_int_equal(store_search_check(fx->st), 0);

	/* A database that takes no writes: searches go on, the same. */
	assert_int_equal(store_test_fault(fx->st, STORE_FAULT_READ_ONLY), 0);
	n = search_found(fx, fx->outsider, "zephyr the", 20, ids);
	same_ids(ids, n, want, nwant);
	assert_int_equal(store_test_fault(fx->st, STORE_FAULT_NONE), 0);
	/* The same through chat_search(), excerpts marked, the long one
	 * cut. */
	assert_int_equal(chat_search(&fx->srv, as(fx->outsider), "cafe zeph",
				     10, &m), 0);
	assert_int_equal(json_array_size(json_object_get(m, "results")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(m, "results"), 0), "excerpt")),
		"[Zéphyr] met THE [Café] crowd");
	json_decref(m);
	assert_int_equal(chat_search(&fx->srv, as(fx->outsider), "viet zeph",
				     10, &m), 0);
	assert_int_equal(json_array_size(json_object_get(m, "results")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(m, "results"), 0), "excerpt")),
		"[Việt] [zephyr] then a long story of many words, one two "
		"three four five six seven…");
	json_decref(m);
}

/*
 * A message's reactions come in the order they were first made, two of
 * the same millisecond too (the second's emoji sorting first, so that
 * neither the time nor the emoji orders them).
 */
static void test_reactions_in_order_made(void **state)
{
	struct fixture *fx = *state;
	const char *const made[] = { "\xf0\x9f\x87\xab\xf0\x9f\x87\xb7",
				     "1\xef\xb8\x8f\xe2\x83\xa3", "a",
				     "\xe2\x9d\xa4" };
	int64_t id = stored(fx, fx->general, fx->ada, "react to me");
	struct store_reaction_count *r;
	size_t n;

	for (int i = 0; i < 4; i++)
		assert_int_equal(store_reaction_add(fx->st, id, fx->bob,
						    made[i], 1800000000000 +
						    (i == 3)), 0);
	assert_int_equal(store_reaction_add(fx->st, id, fx->ada, made[1],
					    1800000000000), 0);
	assert_int_equal(store_reaction_counts(fx->st, id, fx->ada, &r, &n),
			 0);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(r[i].emoji, made[i]);
	assert_int_equal(r[1].count, 2);
	assert_true(r[1].mine);
	assert_false(r[0].mine);
	free(r);
}

static void test_emoji(void **state)
{
	static const char *const yes[] = {
		"👍", "❤️", "🎉", "👍🏽", "👩‍💻", "🇫🇷", "1️⃣", "☕", "👨‍👩‍👧",
	};
	static const char *const no[] = {
		"", "a", "ok", "👍👍", "👍 ", "<b>", "1", "🇫", "🇫🇷🇫🇷",
	};

	for (unsigned i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(chat_is_emoji(yes[i]));
	for (unsigned i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(chat_is_emoji(no[i]));
}

static void test_channel_management(void **state)
{
	struct fixture *fx = *state;
	json_t *out = NULL;

	assert_int_equal(chat_channel_create(&fx->srv, as(fx->ada), fx->hive,
					     "random", CHANNEL_CHAT, "", &out),
			 RUCHE_EFORBIDDEN);
	assert_int_equal(chat_channel_create(&fx->srv, as(fx->outsider),
					     fx->hive, "random", CHANNEL_CHAT,
					     "", &out), RUCHE_ENOTFOUND);
	assert_int_equal(chat_channel_create(&fx->srv, as(fx->mentor),
					     fx->hive, "General", CHANNEL_CHAT,
					     "", &out), RUCHE_EEXIST);
	assert_int_equal(chat_channel_create(&fx->srv, as(fx->mentor),
					     fx->hive, "no spaces", CHANNEL_CHAT,
					     "", &out), RUCHE_EINVAL);
	assert_int_equal(chat_channel_create(&fx->srv, as(fx->mentor),
					     fx->hive, "Projects", CHANNEL_CHAT,
					     "Show what you build", &out), 0);
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(out, "channel"), "name")), "projects");
	json_decref(out);
	assert_int_equal(chat_channel_update(&fx->srv, as(fx->ada), fx->general,
					     "x", NULL, -1, &out),
			 RUCHE_EFORBIDDEN);
	assert_int_equal(chat_channel_update(&fx->srv, as(fx->mentor),
					     fx->general, NULL, "New topic", 5,
					     &out), 0);
	json_decref(out);
	assert_int_equal(chat_channel_archive(&fx->srv, as(fx->mentor),
					      fx->general), 0);
	assert_int_equal(chat_send(&fx->srv, as(fx->ada), fx->general, "hi", 0,
				   0, NULL, &out), RUCHE_ECHANNEL_ARCHIVED);
}

/* Several connections of one user count once; away when all are away. */
static void test_presence(void **state)
{
	struct fixture *fx = *state;
	struct conn *bob = online(fx, fx->bob, -1);
	struct conn *ada1, *ada2;
	json_t *list = NULL;

	assert_string_equal(server_presence(&fx->srv, fx->ada), "offline");
	ada1 = online_raw(fx, fx->ada, -1);
	assert_true(next_has(bob, "\"status\":\"online\""));
	ada2 = online_raw(fx, fx->ada, -1);
	assert_int_equal(queued(bob), 0);
	assert_int_equal(chat_set_away(&fx->srv, ada1, true), 0);
	assert_int_equal(queued(bob), 0);
	assert_int_equal(chat_set_away(&fx->srv, ada2, true), 0);
	assert_true(next_has(bob, "\"status\":\"away\""));
	conn_free(ada1);
	assert_int_equal(queued(bob), 0);
	assert_int_equal(chat_presence(&fx->srv, as(fx->bob), fx->hive, &list),
			 0);
	for (size_t i = 0; i < 3; i++) {
		json_t *p = json_array_get(json_object_get(list, "presence"), i);

		if (json_integer_value(json_object_get(p, "user_id")) == fx->ada)
			assert_string_equal(json_string_value(
				json_object_get(p, "status")), "away");
	}
	json_decref(list);
	conn_free(ada2);
	assert_true(next_has(bob, "\"status\":\"offline\""));
	assert_string_equal(server_presence(&fx->srv, fx->ada), "offline");
	assert_int_equal(chat_presence(&fx->srv, as(fx->outsider), fx->hive,
				       &list), RUCHE_ENOTFOUND);
}

static json_t *general_of(json_t *list)
{
	return json_array_get(list, 0);	/* general comes first */
}

/* Unread and mention counts, stored so they survive a reconnect. */
static void test_unread_and_mentions(void **state)
{
	struct fixture *fx = *state;
	struct conn *bob = online(fx, fx->bob, -1);
	json_t *m = NULL, *list = NULL, *chans = NULL;
	int64_t id;

	assert_int_equal(chat_send(&fx->srv, as(fx->ada), fx->general,
				   "hello @Bob and @nobody", 0, 0, NULL, &m), 0);
	id = json_integer_value(json_object_get(json_object_get(m, "message"),
						"id"));
	json_decref(m);
	assert_true(next_has(bob, "msg.created"));
	assert_true(next_has(bob, "\"ev\":\"mention\""));
	assert_int_equal(chat_send(&fx->srv, as(fx->ada), fx->general,
				   "no mention", 0, 0, NULL, &m), 0);
	json_decref(m);
	assert_int_equal(chat_channels(&fx->srv, as(fx->bob), fx->hive, &list),
			 0);
	chans = general_of(list);
	assert_int_equal(json_integer_value(json_object_get(chans, "unread")),
			 2);
	assert_int_equal(json_integer_value(json_object_get(chans,
							    "mentions")), 1);
	json_decref(list);
	assert_int_equal(chat_mark_read(&fx->srv, as(fx->bob), fx->general,
					id), 0);
	assert_int_equal(chat_channels(&fx->srv, as(fx->bob), fx->hive, &list),
			 0);
	chans = general_of(list);
	assert_int_equal(json_integer_value(json_object_get(chans, "unread")),
			 1);
	assert_int_equal(json_integer_value(json_object_get(chans,
							    "mentions")), 0);
	json_decref(list);
	/* The author's own messages are never unread for them. */
	assert_int_equal(chat_channels(&fx->srv, as(fx->ada), fx->hive, &list),
			 0);
	assert_int_equal(json_integer_value(json_object_get(general_of(list),
							    "unread")), 0);
	json_decref(list);
}

static void test_thread_read_state(void **state)
{
	struct fixture *fx = *state;
	json_t *m = NULL, *page = NULL, *root_json;
	int64_t root, reply;

	assert_int_equal(chat_send(&fx->srv, as(fx->ada), fx->general,
				   "Question?", 0, 0, NULL, &m), 0);
	root = json_integer_value(json_object_get(json_object_get(m,
						  "message"), "id"));
	json_decref(m);
	assert_int_equal(chat_send(&fx->srv, as(fx->mentor), fx->general,
				   "Answer", 0, root, NULL, &m), 0);
	reply = json_integer_value(json_object_get(json_object_get(m,
						   "message"), "id"));
	json_decref(m);
	assert_int_equal(chat_mark_read(&fx->srv, as(fx->ada), fx->general,
					reply), 0);
	assert_int_equal(history(fx, as(fx->ada), fx->general, 0, 0,
				 0, 0, 10, &page), 0);
	/* The thread's reply is not in the channel's page, its root is. */
	assert_int_equal(json_array_size(json_object_get(page, "messages")),
			 1);
	root_json = json_array_get(json_object_get(page, "messages"), 0);
	assert_int_equal(json_integer_value(json_object_get(root_json,
							    "reply_count")), 1);
	assert_int_equal(json_integer_value(json_object_get(root_json,
			 "thread_last_read_id")), reply);
	json_decref(page);
	assert_int_equal(history(fx, as(fx->ada), fx->general, root,
				 0, 0, 0, 10, &page), 0);
	assert_int_equal(json_array_size(json_object_get(page, "messages")),
			 1);
	json_decref(page);
}

/* Regressions: a missing thread crashed history; the log kept deleted
 * text; an archived hive still took edits and reactions. */
static void test_regressions(void **state)
{
	struct fixture *fx = *state;
	struct store_event *ev;
	json_t *m = NULL, *page = NULL;
	size_t n;
	int64_t id;

	assert_int_equal(history(fx, as(fx->ada), fx->general,
				 999999, 0, 0, 0, 10, &page),
			 RUCHE_ENOTFOUND);
	assert_int_equal(chat_send(&fx->srv, as(fx->ada), fx->general,
				   "a secret I regret", 0, 0, NULL, &m), 0);
	id = json_integer_value(json_object_get(json_object_get(m, "message"),
						"id"));
	json_decref(m);
	assert_int_equal(chat_edit(&fx->srv, as(fx->ada), id, "still secret",
				   &m), 0);
	json_decref(m);
	assert_int_equal(chat_delete(&fx->srv, as(fx->ada), id), 0);
	assert_int_equal(store_events_since(fx->st, fx->bob, fx->base, 100,
					    &ev, &n), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_null(strstr(ev[i].data, "secret"));
	store_event_list_free(ev, n);

	assert_int_equal(chat_send(&fx->srv, as(fx->ada), fx->general,
				   "before the archive", 0, 0, NULL, &m), 0);
	id = json_integer_value(json_object_get(json_object_get(m, "message"),
						"id"));
	json_decref(m);
	assert_int_equal(hives_archive(&fx->srv, ACTOR_OPERATOR, fx->hive), 0);
	assert_int_equal(chat_edit(&fx->srv, as(fx->ada), id, "after", &m),
			 RUCHE_EARCHIVED);
	assert_int_equal(chat_delete(&fx->srv, as(fx->ada), id),
			 RUCHE_EARCHIVED);
	assert_int_equal(chat_react(&fx->srv, as(fx->bob), id, "👍", true),
			 RUCHE_EARCHIVED);
	assert_int_equal(chat_channel_update(&fx->srv, as(fx->mentor),
					     fx->general, NULL, "x", -1, &m),
			 RUCHE_EARCHIVED);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_undone_work_shows_nothing),
		T(test_grouped_commit_holds_events),
		T(test_refusals),
		T(test_text_limit_counts_characters),
		T(test_nonce_is_idempotent),
		T(test_history_pages),
		T(test_resume_exactly_what_was_missed),
		T(test_pruned_events_mean_reload),
		T(test_outsider_cannot_replay),
		T(test_direct_conversations),
		T(test_search),
		T(test_search_either_way),
		T(test_search_words),
		T(test_search_indexes_at_commit),
		T(test_reactions_in_order_made),
		T(test_emoji),
		T(test_channel_management),
		T(test_presence),
		T(test_unread_and_mentions),
		T(test_thread_read_state),
		T(test_regressions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
