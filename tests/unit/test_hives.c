/*
 * Unit tests of the community rules: hives, roles, capacity, mentor load,
 * invites and waitlists, with a fake clock and a temporary database.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ruche/accounts.h"
#include "ruche/chat.h"
#include "ruche/conn.h"
#include "ruche/err.h"
#include "ruche/hives.h"
#include "ruche/server.h"
#include "ruche/store.h"
#include "support/store_where.h"

struct fixture {
	char dir[256];
	char path[300];		/* the database, for a second store */
	struct config cfg;
	struct clock_fake clock;
	struct store *st;
	struct server srv;
	struct actor admin;
};

static int setup(void **state)
{
	struct fixture *fx = test_calloc(1, sizeof(*fx));
	const char *tmp = getenv("TMPDIR");
	char err[256];

	snprintf(fx->dir, sizeof(fx->dir), "%s/ruche-hives-XXXXXX",
		 tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(fx->dir));
	test_store_where(fx->dir, "t.db", fx->path, sizeof(fx->path));
	assert_int_equal(store_open(fx->path, &fx->st, err, sizeof(err)), 0);
	config_defaults(&fx->cfg);
	clock_fake_init(&fx->clock, 1800000000000);
	assert_int_equal(server_init(&fx->srv, &fx->cfg, &fx->clock.clock,
				     fx->st), 0);
	fx->admin = ACTOR_OPERATOR;
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

static int64_t user(struct fixture *fx, const char *handle)
{
	struct store_user u;

	assert_int_equal(accounts_create(&fx->srv, handle, handle,
					 "scrypt$1$1$1$x$y", false, &u), 0);
	return u.id;
}

static int64_t hive(struct fixture *fx, const char *name, int capacity)
{
	struct store_hive h;

	assert_int_equal(hives_create(&fx->srv, fx->admin, name, "", capacity,
				      &h), 0);
	return h.id;
}

static struct actor as(int64_t id)
{
	return (struct actor){ .user_id = id, .admin = false };
}

static void test_only_admins_create_hives(void **state)
{
	struct fixture *fx = *state;
	int64_t ada = user(fx, "ada");
	struct store_hive h;

	assert_int_equal(hives_create(&fx->srv, as(ada), "Mine", "", 0, &h),
			 RUCHE_EFORBIDDEN);
	assert_int_equal(hives_create(&fx->srv, fx->admin, "Alpha", "First",
				      0, &h), 0);
	assert_int_equal(h.capacity, HIVE_DEFAULT_CAPACITY);
	assert_int_equal(hives_create(&fx->srv, fx->admin, "ALPHA", "", 0,
				      &h), RUCHE_EEXIST);
	assert_int_equal(hives_create(&fx->srv, fx->admin, "Big", "", 31, &h),
			 RUCHE_EINVAL);
	assert_int_equal(hives_create(&fx->srv, fx->admin, " ", "", 0, &h),
			 RUCHE_EINVAL);
	assert_int_equal(hives_update(&fx->srv, as(ada), 1, "New", NULL, 0,
				      NULL), RUCHE_EFORBIDDEN);
	assert_int_equal(hives_archive(&fx->srv, as(ada), 1),
			 RUCHE_EFORBIDDEN);
}

static void test_capacity(void **state)
{
	struct fixture *fx = *state;
	int64_t h = hive(fx, "Small", 2);
	int64_t a = user(fx, "aa"), b = user(fx, "bb"), c = user(fx, "cc");
	struct store_hive got;

	assert_int_equal(hives_add_member(&fx->srv, fx->admin, h, a,
					  ROLE_LEARNER), 0);
	assert_int_equal(hives_add_member(&fx->srv, fx->admin, h, b,
					  ROLE_LEARNER), 0);
	assert_int_equal(hives_add_member(&fx->srv, fx->admin, h, c,
					  ROLE_LEARNER), RUCHE_EHIVE_FULL);
	assert_int_equal(hives_add_member(&fx->srv, fx->admin, h, a,
					  ROLE_MENTOR), RUCHE_EMEMBER);
	/* Nothing changed by the refusals. */
	assert_int_equal(store_hive_get(fx->st, h, &got), 0);
	assert_int_equal(got.learners, 2);
	assert_int_equal(hives_role(&fx->srv, h, c), ROLE_NONE);
	/* Mentors do not take learner seats. */
	assert_int_equal(hives_add_member(&fx->srv, fx->admin, h, c,
					  ROLE_MENTOR), 0);
	/* Capacity cannot drop below the learners already in. */
	assert_int_equal(hives_update(&fx->srv, fx->admin, h, NULL, NULL, 1,
				      NULL), RUCHE_EINVAL);
}

static void test_mentor_load(void **state)
{
	struct fixture *fx = *state;
	int64_t h1 = hive(fx, "One", 3), h2 = hive(fx, "Two", 3);
	int64_t m = user(fx, "mentor"), l[6];
	char name[8];

	fx->cfg.mentor_max_learners = 4;
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "l%d", i);
		l[i] = user(fx, name);
	}
	assert_int_equal(hives_add_member(&fx->srv, fx->admin, h1, m,
					  ROLE_MENTOR), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(hives_add_member(&fx->srv, fx->admin, h1,
						  l[i], ROLE_LEARNER), 0);
	assert_int_equal(hives_add_member(&fx->srv, fx->admin, h2, l[3],
					  ROLE_LEARNER), 0);
	assert_int_equal(hives_add_member(&fx->srv, fx->admin, h2, l[4],
					  ROLE_LEARNER), 0);
	/* 3 + 2 learners would pass the cap of 4. */
	assert_int_equal(hives_add_member(&fx->srv, fx->admin, h2, m,
					  ROLE_MENTOR), RUCHE_EOVERLOADED);
	assert_int_equal(hives_remove_member(&fx->srv, fx->admin, h2, l[4]),
			 0);
	assert_int_equal(hives_add_member(&fx->srv, fx->admin, h2, m,
					  ROLE_MENTOR), 0);
	/* At 4, one more learner in either hive breaks the cap. */
	assert_int_equal(hives_add_member(&fx->srv, fx->admin, h2, l[5],
					  ROLE_LEARNER), RUCHE_EOVERLOADED);
}

static void test_visibility(void **state)
{
	struct fixture *fx = *state;
	int64_t h1 = hive(fx, "Mine", 0), h2 = hive(fx, "Theirs", 0);
	int64_t ada = user(fx, "ada");
	json_t *list;

	assert_int_equal(hives_add_member(&fx->srv, fx->admin, h1, ada,
					  ROLE_LEARNER), 0);
	assert_int_equal(hives_list(&fx->srv, as(ada), &list), 0);
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(list, 0), "name")), "Mine");
	json_decref(list);
	assert_int_equal(hives_members(&fx->srv, as(ada), h1, &list), 0);
	assert_int_equal(json_array_size(list), 1);
	json_decref(list);
	/* Another hive is as good as absent. */
	assert_int_equal(hives_members(&fx->srv, as(ada), h2, &list),
			 RUCHE_ENOTFOUND);
	assert_int_equal(hives_list(&fx->srv, fx->admin, &list), 0);
	assert_int_equal(json_array_size(list), 2);
	json_decref(list);
}

static void test_invites(void **state)
{
	struct fixture *fx = *state;
	int64_t h = hive(fx, "Inv", 0), mentor = user(fx, "mentor");
	int64_t learner = user(fx, "learner"), other = user(fx, "other");
	char code[AUTH_TOKEN_LEN + 1], code2[AUTH_TOKEN_LEN + 1];
	struct store_invite inv;
	bool waitlisted;

	assert_int_equal(hives_add_member(&fx->srv, fx->admin, h, mentor,
					  ROLE_MENTOR), 0);
	assert_int_equal(hives_add_member(&fx->srv, fx->admin, h, learner,
					  ROLE_LEARNER), 0);
	/* Learners invite no one; mentors invite learners, not mentors. */
	assert_int_equal(invites_create(&fx->srv, as(learner), h, ROLE_LEARNER,
					1, 60000, code, &inv), RUCHE_EFORBIDDEN);
	assert_int_equal(invites_create(&fx->srv, as(mentor), h, ROLE_MENTOR,
					1, 60000, code, &inv), RUCHE_EFORBIDDEN);
	assert_int_equal(invites_create(&fx->srv, as(other), h, ROLE_LEARNER,
					1, 60000, code, &inv), RUCHE_ENOTFOUND);
	assert_int_equal(invites_create(&fx->srv, as(mentor), 0, ROLE_NONE, 1,
					60000, code, &inv), RUCHE_EFORBIDDEN);
	assert_int_equal(invites_create(&fx->srv, as(mentor), h, ROLE_LEARNER,
					1, 3600000, code, &inv), 0);

	assert_int_equal(invites_check(&fx->srv, code, &inv), 0);
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(invites_use(&fx->srv, &inv, other, false,
				     &waitlisted), 0);
	assert_int_equal(store_commit(fx->st), 0);
	assert_int_equal(hives_role(&fx->srv, h, other), ROLE_LEARNER);
	assert_int_equal(invites_check(&fx->srv, code, &inv),
			 RUCHE_EINVITE_USED_UP);

	assert_int_equal(invites_create(&fx->srv, fx->admin, h, ROLE_LEARNER,
					5, 3600000, code2, &inv), 0);
	assert_int_equal(invites_revoke(&fx->srv, as(learner), inv.id),
			 RUCHE_EFORBIDDEN);
	assert_int_equal(invites_revoke(&fx->srv, as(mentor), inv.id), 0);
	assert_int_equal(invites_check(&fx->srv, code2, &inv),
			 RUCHE_EINVITE_REVOKED);

	assert_int_equal(invites_create(&fx->srv, fx->admin, h, ROLE_LEARNER,
					5, 3600000, code2, &inv), 0);
	clock_fake_advance(&fx->clock, 3600000);
	assert_int_equal(invites_check(&fx->srv, code2, &inv),
			 RUCHE_EINVITE_EXPIRED);
	assert_int_equal(invites_check(&fx->srv, "nope", &inv),
			 RUCHE_EINVITE_UNKNOWN);
	code2[0] = code2[0] == 'A' ? 'B' : 'A';
	assert_int_equal(invites_check(&fx->srv, code2, &inv),
			 RUCHE_EINVITE_UNKNOWN);
}

static void test_waitlist(void **state)
{
	struct fixture *fx = *state;
	int64_t h = hive(fx, "Full", 1), a = user(fx, "aa"), b = user(fx, "bb");
	char code[AUTH_TOKEN_LEN + 1];
	struct store_invite inv;
	bool waitlisted;
	json_t *list;

	assert_int_equal(hives_add_member(&fx->srv, fx->admin, h, a,
					  ROLE_LEARNER), 0);
	assert_int_equal(invites_create(&fx->srv, fx->admin, h, ROLE_LEARNER,
					2, 3600000, code, &inv), 0);
	/* Without asking for the waitlist, a full hive refuses. */
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(invites_use(&fx->srv, &inv, b, false, &waitlisted),
			 RUCHE_EHIVE_FULL);
	store_rollback(fx->st);
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(invites_use(&fx->srv, &inv, b, true, &waitlisted), 0);
	assert_int_equal(store_commit(fx->st), 0);
	assert_true(waitlisted);
	assert_int_equal(hives_role(&fx->srv, h, b), ROLE_NONE);
	assert_int_equal(hives_waitlist(&fx->srv, as(a), h, &list),
			 RUCHE_EFORBIDDEN);
	assert_int_equal(hives_waitlist(&fx->srv, fx->admin, h, &list), 0);
	assert_int_equal(json_array_size(list), 1);
	json_decref(list);
	/* No seat yet; then a seat frees and the admin admits. */
	assert_int_equal(hives_admit(&fx->srv, fx->admin, h, b),
			 RUCHE_EHIVE_FULL);
	assert_int_equal(hives_remove_member(&fx->srv, as(a), h, a), 0);
	assert_int_equal(hives_admit(&fx->srv, fx->admin, h, a),
			 RUCHE_ENOTFOUND);
	assert_int_equal(hives_admit(&fx->srv, fx->admin, h, b), 0);
	assert_int_equal(hives_role(&fx->srv, h, b), ROLE_LEARNER);
	assert_int_equal(hives_waitlist(&fx->srv, fx->admin, h, &list), 0);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
}

static void test_archived_is_read_only(void **state)
{
	struct fixture *fx = *state;
	int64_t h = hive(fx, "Old", 0), a = user(fx, "aa");
	char code[AUTH_TOKEN_LEN + 1];
	struct store_invite inv;
	json_t *list;

	assert_int_equal(hives_archive(&fx->srv, fx->admin, h), 0);
	assert_int_equal(hives_add_member(&fx->srv, fx->admin, h, a,
					  ROLE_LEARNER), RUCHE_EARCHIVED);
	assert_int_equal(invites_create(&fx->srv, fx->admin, h, ROLE_LEARNER,
					1, 60000, code, &inv), RUCHE_EARCHIVED);
	assert_int_equal(hives_update(&fx->srv, fx->admin, h, "New", NULL, 0,
				      NULL), RUCHE_EARCHIVED);
	assert_int_equal(hives_members(&fx->srv, fx->admin, h, &list), 0);
	json_decref(list);
}

static void test_leave_and_remove(void **state)
{
	struct fixture *fx = *state;
	int64_t h = hive(fx, "Leave", 0), a = user(fx, "aa"), b = user(fx, "bb");

	assert_int_equal(hives_add_member(&fx->srv, fx->admin, h, a,
					  ROLE_LEARNER), 0);
	assert_int_equal(hives_add_member(&fx->srv, fx->admin, h, b,
					  ROLE_LEARNER), 0);
	assert_int_equal(hives_remove_member(&fx->srv, as(a), h, b),
			 RUCHE_EFORBIDDEN);
	assert_int_equal(hives_role(&fx->srv, h, b), ROLE_LEARNER);
	assert_int_equal(hives_remove_member(&fx->srv, as(a), h, a), 0);
	assert_int_equal(hives_remove_member(&fx->srv, as(a), h, a),
			 RUCHE_ENOT_MEMBER);
	assert_int_equal(hives_remove_member(&fx->srv, fx->admin, h, b), 0);
}

static int wakes;

static void count_wake(void *arg)
{
	wakes++;
}

/* Sessions: sliding expiry, and closing one closes its connections. */
static void test_sessions(void **state)
{
	struct fixture *fx = *state;
	int64_t a = user(fx, "aa");
	char token[AUTH_TOKEN_LEN + 1], other[AUTH_TOKEN_LEN + 1];
	struct store_session s, s2, got;
	struct store_user u;
	struct conn *c1, *c2;

	assert_int_equal(accounts_session_open(&fx->srv, a, token, &s), 0);
	assert_int_equal(accounts_session_open(&fx->srv, a, other, &s2), 0);
	assert_int_equal(accounts_session_check(&fx->srv, token, &got, &u), 0);
	assert_int_equal(got.id, s.id);
	assert_int_equal(u.id, a);
	/* Used after 20 days, a 30-day session is good for 30 more. */
	clock_fake_advance(&fx->clock, 20LL * 86400 * 1000);
	assert_int_equal(accounts_session_check(&fx->srv, token, &got, &u), 0);
	clock_fake_advance(&fx->clock, 20LL * 86400 * 1000);
	assert_int_equal(accounts_session_check(&fx->srv, token, &got, &u), 0);
	/* The other one was not used for 40 days: gone. */
	assert_int_equal(accounts_session_check(&fx->srv, other, &got, &u),
			 RUCHE_EUNAUTH);
	assert_int_equal(accounts_session_check(&fx->srv, "garbage", &got,
						&u), RUCHE_EUNAUTH);

	c1 = conn_new(&fx->srv, "t", count_wake, NULL);
	c2 = conn_new(&fx->srv, "t", count_wake, NULL);
	c1->user_id = c2->user_id = a;
	c1->session_id = s.id;
	c2->session_id = 999;
	assert_int_equal(accounts_session_close(&fx->srv, s.id), 0);
	assert_int_equal(c1->close_code, CONN_CLOSE_SESSION_ENDED);
	assert_int_equal(c2->close_code, 0);
	assert_int_equal(accounts_session_check(&fx->srv, token, &got, &u),
			 RUCHE_EUNAUTH);
	/* A password change ends the user's other sessions and sockets. */
	assert_int_equal(accounts_set_password(&fx->srv, a, "scrypt$1$1$1$p$q",
					       s.id), 0);
	assert_int_equal(c2->close_code, CONN_CLOSE_SESSION_ENDED);
}

/* A session revoked behind the server's back (by the command line, with a
 * store of its own) is noticed by the sweep, which closes its
 * connections. */
static void test_sweep_closes_revoked_sessions(void **state)
{
	struct fixture *fx = *state;
	int64_t a = user(fx, "aa");
	char token[AUTH_TOKEN_LEN + 1], err[256];
	struct store_session s, keep;
	struct store *cli;
	struct conn *c1, *c2;

	assert_int_equal(accounts_session_open(&fx->srv, a, token, &s), 0);
	assert_int_equal(accounts_session_open(&fx->srv, a, token, &keep), 0);
	c1 = conn_new(&fx->srv, "t", count_wake, NULL);
	c2 = conn_new(&fx->srv, "t", count_wake, NULL);
	c1->user_id = c2->user_id = a;
	c1->session_id = s.id;
	c2->session_id = keep.id;
	server_sweep_sessions(&fx->srv);
	assert_int_equal(c1->close_code, 0);
	assert_int_equal(store_open(fx->path, &cli, err, sizeof(err)), 0);
	assert_int_equal(store_session_delete(cli, s.id), 0);
	store_close(cli);
	server_sweep_sessions(&fx->srv);
	assert_int_equal(c1->close_code, CONN_CLOSE_SESSION_ENDED);
	assert_int_equal(c2->close_code, 0);
}

/*
 * An idle sweep reads no session: what this process ends, it closes at
 * once (server_close_session()), so the sweep reads a connection's
 * session when it is new, when the soonest expiry it read comes, or when
 * another process wrote.  PostgreSQL cannot tell the last, and reads
 * every time.
 */
static void test_sweep_reads_at_expiry(void **state)
{
	struct fixture *fx = *state;
	int64_t a = user(fx, "ab"), ttl = fx->cfg.session_ttl_s * 1000;
	char token[AUTH_TOKEN_LEN + 1];
	struct store_session s1, s2;
	struct conn *c1, *c2;

	assert_int_equal(accounts_session_open(&fx->srv, a, token, &s1), 0);
	c1 = conn_new(&fx->srv, "t", count_wake, NULL);
	c1->user_id = a;
	c1->session_id = s1.id;
	server_sweep_sessions(&fx->srv);
	assert_int_equal(c1->close_code, 0);
	assert_int_equal(fx->srv.sessions_expire_at, s1.expires_at);

	/* A later connection with a session that ends sooner is read on
	 * the next sweep, and its expiry becomes the soonest. */
	clock_fake_advance(&fx->clock, 1000);
	assert_int_equal(accounts_session_open(&fx->srv, a, token, &s2), 0);
	assert_int_equal(store_session_touch(fx->st, s2.id, s2.created_at,
					     s2.expires_at - ttl / 2), 0);
	c2 = conn_new(&fx->srv, "t", count_wake, NULL);
	c2->user_id = a;
	c2->session_id = s2.id;
	server_sweep_sessions(&fx->srv);
	assert_int_equal(c2->close_code, 0);
	assert_int_equal(fx->srv.sessions_expire_at, s2.expires_at - ttl / 2);

	/* Behind the sweep's back in this very process (no path of the
	 * server does this): an idle sweep does not notice on SQLite. */
	assert_int_equal(store_session_delete(fx->st, s1.id), 0);
	server_sweep_sessions(&fx->srv);
	assert_int_equal(c1->close_code, test_store_is_pg() ?
			 CONN_CLOSE_SESSION_ENDED : 0);

	/* Its expiry comes: every session is read again, so c1's end is
	 * seen too, and c2's closes. */
	clock_fake_advance(&fx->clock, ttl / 2);
	server_sweep_sessions(&fx->srv);
	assert_int_equal(c1->close_code, CONN_CLOSE_SESSION_ENDED);
	assert_int_equal(c2->close_code, CONN_CLOSE_SESSION_ENDED);
	assert_int_equal(fx->srv.sessions_expire_at, INT64_MAX);
}

static void test_delete_account(void **state)
{
	struct fixture *fx = *state;
	int64_t h = hive(fx, "Del", 0), a = user(fx, "gone"), msg_id;
	struct store_channel *chans;
	struct store_message m;
	size_t nchans;
	json_t *msg = NULL;
	char token[AUTH_TOKEN_LEN + 1];
	struct store_session s;
	struct store_user u;
	json_t *doc;

	assert_int_equal(hives_add_member(&fx->srv, fx->admin, h, a,
					  ROLE_LEARNER), 0);
	assert_int_equal(accounts_session_open(&fx->srv, a, token, &s), 0);
	assert_int_equal(store_channel_list(fx->st, h, &chans, &nchans), 0);
	assert_int_equal(chat_send(&fx->srv, (struct actor){ a, false },
				   chans[0].id, "my words", 0, 0, NULL, &msg), 0);
	msg_id = json_integer_value(json_object_get(json_object_get(msg,
						    "message"), "id"));
	json_decref(msg);
	free(chans);
	assert_int_equal(accounts_export(&fx->srv, a, &doc), 0);
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(doc, "user"), "handle")), "gone");
	assert_int_equal(json_array_size(json_object_get(doc, "hives")), 1);
	assert_int_equal(json_array_size(json_object_get(doc, "sessions")), 1);
	assert_int_equal(json_array_size(json_object_get(doc, "messages")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(doc, "messages"), 0), "text")), "my words");
	json_decref(doc);

	assert_int_equal(accounts_delete(&fx->srv, a), 0);
	assert_int_equal(accounts_session_check(&fx->srv, token, &s, &u),
			 RUCHE_EUNAUTH);
	assert_int_equal(store_user_get(fx->st, a, &u), 0);
	assert_true(u.deleted);
	assert_string_equal(u.name, "deleted user");
	assert_string_equal(u.pw_hash, "");
	assert_int_equal(hives_role(&fx->srv, h, a), ROLE_NONE);
	/* The message stays, its text erased. */
	assert_int_equal(store_msg_get(fx->st, msg_id, &m), 0);
	assert_string_equal(m.body, "");
	assert_int_equal(m.author_id, a);
	store_msg_release(&m);
	/* The handle is free again. */
	user(fx, "gone");
}

/* The detail a limit_reached refusal left for the reply, then cleared. */
static void expect_limit(struct fixture *fx, const char *limit, int max)
{
	json_t *d = fx->srv.err_detail;

	assert_non_null(d);
	assert_string_equal(json_string_value(json_object_get(d, "limit")),
			    limit);
	assert_int_equal(json_integer_value(json_object_get(d, "max")), max);
	json_decref(d);
	fx->srv.err_detail = NULL;
}

/* The server's caps: open hives, open channels of a hive (people only),
 * members of a hive; each refusal changes nothing. */
static void test_server_caps(void **state)
{
	struct fixture *fx = *state;
	struct actor root = { .user_id = user(fx, "root"), .admin = true };
	struct store_hive h, *all;
	int64_t a, b, l2;
	size_t n;
	json_t *out = NULL;

	fx->cfg.max_hives = 2;
	fx->cfg.max_channels_per_hive = 4;
	fx->cfg.max_members_per_hive = 2;
	a = hive(fx, "A", 12);
	b = hive(fx, "B", 12);
	assert_int_equal(hives_create(&fx->srv, fx->admin, "C", "", 0, &h),
			 RUCHE_ELIMIT);
	expect_limit(fx, "hives", 2);
	assert_int_equal(store_hive_list(fx->st, 0, &all, &n), 0);
	assert_int_equal(n, 2);
	free(all);
	assert_int_equal(hives_archive(&fx->srv, fx->admin, b), 0);
	hive(fx, "C", 12);

	/* A new hive has 3 channels: one more, then no more for people. */
	assert_int_equal(chat_channel_create(&fx->srv, root, a, "four",
					     CHANNEL_CHAT, NULL, &out), 0);
	json_decref(out);
	out = NULL;
	assert_int_equal(chat_channel_create(&fx->srv, root, a, "five",
					     CHANNEL_CHAT, NULL, &out),
			 RUCHE_ELIMIT);
	assert_null(out);
	expect_limit(fx, "channels_per_hive", 4);
	/* The server's own (a meetup's breakouts) still open. */
	assert_int_equal(chat_channel_create(&fx->srv, ACTOR_OPERATOR, a,
					     "breakout", CHANNEL_CHAT, NULL,
					     &out), 0);
	json_decref(out);

	assert_int_equal(hives_add_member(&fx->srv, fx->admin, a,
					  user(fx, "m1"), ROLE_MENTOR), 0);
	assert_int_equal(hives_add_member(&fx->srv, fx->admin, a,
					  user(fx, "l1"), ROLE_LEARNER), 0);
	l2 = user(fx, "l2");
	assert_int_equal(hives_add_member(&fx->srv, fx->admin, a, l2,
					  ROLE_LEARNER), RUCHE_ELIMIT);
	expect_limit(fx, "members_per_hive", 2);
	assert_int_equal(hives_role(&fx->srv, a, l2), ROLE_NONE);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_only_admins_create_hives),
		T(test_capacity),
		T(test_mentor_load),
		T(test_visibility),
		T(test_invites),
		T(test_waitlist),
		T(test_archived_is_read_only),
		T(test_leave_and_remove),
		T(test_sessions),
		T(test_sweep_reads_at_expiry),
		T(test_sweep_closes_revoked_sessions),
		T(test_delete_account),
		T(test_server_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
