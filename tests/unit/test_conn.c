/*
 * Unit tests of a connection without a socket: fragments, limits, the
 * outbound queue and dispatch of hello and ping.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "ruche/config.h"
#include "ruche/conn.h"
#include "ruche/dispatch.h"
#include "ruche/err.h"
#include "ruche/server.h"

struct fixture {
	struct config cfg;
	struct clock_fake clock;
	struct server srv;
	struct conn *conn;
	int wakes;
};

static void count_wake(void *arg)
{
	((struct fixture *)arg)->wakes++;
}

static int setup(void **state)
{
	struct fixture *fx = test_calloc(1, sizeof(*fx));

	config_defaults(&fx->cfg);
	snprintf(fx->cfg.client_dir, sizeof(fx->cfg.client_dir), ".");
	fx->cfg.max_message_bytes = 1024;
	clock_fake_init(&fx->clock, 1700000000000);
	assert_int_equal(server_init(&fx->srv, &fx->cfg, &fx->clock.clock,
				     NULL), 0);
	fx->conn = conn_new(&fx->srv, "test", count_wake, fx);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	server_release(&fx->srv);
	assert_int_equal(fx->srv.nconns, 0);
	test_free(fx);
	return 0;
}

static int feed(struct conn *c, const char *s, bool final)
{
	return conn_receive(c, s, strlen(s), final, false);
}

/* Pops the next queued frame, checks it holds expect, frees it. */
static void expect_out(struct conn *c, const char *expect)
{
	struct frame *f = conn_peek(c);

	assert_non_null(f);
	assert_string_equal((char *)frame_payload(f), expect);
	conn_pop(c);
}

static void test_hello_ping(void **state)
{
	struct fixture *fx = *state;
	char want[256];

	assert_int_equal(feed(fx->conn, "{\"id\":1,\"op\":\"hello\"}", true), 0);
	snprintf(want, sizeof(want),
		 "{\"re\":1,\"ok\":true,\"data\":{\"server\":\"ruche\","
		 "\"version\":\"%s\",\"protocol\":1,\"authenticated\":false,"
		 "\"limits\":"
		 "{\"max_message_bytes\":1024,\"rate_per_conn\":20,"
		 "\"rate_burst\":40}}}", RUCHE_VERSION);
	expect_out(fx->conn, want);
	assert_int_equal(fx->wakes, 1);

	assert_int_equal(feed(fx->conn, "{\"id\":\"p\",\"op\":\"ping\"}", true),
			 0);
	expect_out(fx->conn,
		   "{\"re\":\"p\",\"ok\":true,\"data\":{\"time\":1700000000000}}");
	assert_null(conn_peek(fx->conn));
}

/* Exactly one reply per frame, whatever is wrong with it. */
static void test_errors_keep_connection(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(feed(fx->conn, "nope", true), 0);
	assert_non_null(strstr((char *)frame_payload(conn_peek(fx->conn)),
			       "\"re\":null,\"ok\":false,\"error\":{\"code\":"
			       "\"bad_json\""));
	conn_pop(fx->conn);
	assert_int_equal(feed(fx->conn, "{\"id\":2,\"op\":\"fly\"}", true), 0);
	assert_non_null(strstr((char *)frame_payload(conn_peek(fx->conn)),
			       "\"re\":2,\"ok\":false,\"error\":{\"code\":"
			       "\"unknown_op\""));
	conn_pop(fx->conn);
	assert_int_equal(feed(fx->conn, "{\"id\":3,\"op\":\"ping\",\"x\":1}",
			      true), 0);
	assert_non_null(strstr((char *)frame_payload(conn_peek(fx->conn)),
			       "\"code\":\"invalid_param\""));
	conn_pop(fx->conn);
	assert_int_equal(feed(fx->conn, "{\"id\":4,\"op\":\"hello\","
			      "\"client\":7}", true), 0);
	assert_non_null(strstr((char *)frame_payload(conn_peek(fx->conn)),
			       "\"code\":\"invalid_param\""));
	conn_pop(fx->conn);
	assert_int_equal(fx->conn->close_code, 0);
	assert_null(conn_peek(fx->conn));
}

static void test_fragments(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(feed(fx->conn, "{\"id\":5,", false), 0);
	assert_int_equal(feed(fx->conn, "\"op\":", false), 0);
	assert_null(conn_peek(fx->conn));
	assert_int_equal(feed(fx->conn, "\"ping\"}", true), 0);
	assert_non_null(strstr((char *)frame_payload(conn_peek(fx->conn)),
			       "\"re\":5,\"ok\":true"));
	conn_pop(fx->conn);
}

/* The limit counts across fragments and nothing past it is buffered. */
static void test_too_big(void **state)
{
	struct fixture *fx = *state;
	char chunk[600];

	memset(chunk, ' ', sizeof(chunk));
	assert_int_equal(conn_receive(fx->conn, chunk, sizeof(chunk), false,
				      false), 0);
	assert_int_equal(conn_receive(fx->conn, chunk, sizeof(chunk), false,
				      false), CONN_CLOSE_TOO_BIG);
	assert_true(fx->conn->rx_cap <= 1024);
	assert_int_equal(fx->conn->close_code, CONN_CLOSE_TOO_BIG);
}

static void test_exactly_at_limit(void **state)
{
	struct fixture *fx = *state;
	char msg[1024];
	int n = snprintf(msg, sizeof(msg), "{\"id\":1,\"op\":\"ping\"}");

	memset(msg + n, ' ', sizeof(msg) - (size_t)n);
	assert_int_equal(conn_receive(fx->conn, msg, sizeof(msg), true, false),
			 0);
	assert_non_null(conn_peek(fx->conn));
	conn_pop(fx->conn);
}

static void test_bad_utf8_and_binary(void **state)
{
	struct fixture *fx = *state;
	struct conn *other = conn_new(&fx->srv, "test", count_wake, fx);

	/* A character split across fragments is fine... */
	assert_int_equal(feed(fx->conn, "{\"id\":1,\"op\":\"hello\",\"client\":"
			      "\"caf\xc3", false), 0);
	assert_int_equal(feed(fx->conn, "\xa9\"}", true), 0);
	conn_pop(fx->conn);
	/* ...but a broken one closes with 1007. */
	assert_int_equal(feed(fx->conn, "{\"id\":1,\"op\":\"\xc3(\"}", true),
			 CONN_CLOSE_BAD_DATA);
	assert_null(conn_peek(fx->conn));

	assert_int_equal(conn_receive(other, "\x01\x02", 2, true, true),
			 CONN_CLOSE_UNSUPPORTED);
	assert_null(conn_peek(other));
	conn_free(other);
}

static void test_slow_consumer_cut_off(void **state)
{
	struct fixture *fx = *state;
	struct frame *f = frame_from("{}", 2);
	int rc = 0, sent = 0;

	while (!rc) {
		rc = conn_send(fx->conn, f);
		sent++;
	}
	frame_unref(f);
	assert_int_equal(rc, RUCHE_EBUSY);
	assert_int_equal(sent, CONN_OUTQ_MAX_FRAMES + 1);
	assert_int_equal(fx->conn->close_code, CONN_CLOSE_SLOW);
	/* The queue is dropped at once: memory does not wait for the peer. */
	assert_int_equal(fx->conn->out_count, 0);
	assert_int_equal(fx->conn->out_bytes, 0);
}

static void test_queue_bytes_bound(void **state)
{
	struct fixture *fx = *state;
	struct frame *big;

	/* --max-outq-bytes is read when a frame is queued. */
	fx->cfg.max_outq_bytes = 8192;
	big = frame_new(4096);

	assert_int_equal(conn_send(fx->conn, big), 0);
	assert_int_equal(conn_send(fx->conn, big), 0);
	assert_int_not_equal(conn_send(fx->conn, big), 0);
	assert_int_equal(fx->conn->close_code, CONN_CLOSE_SLOW);
	assert_int_equal(big->refs, 1);
	frame_unref(big);
}

/* A conn made after the fixture's config was changed (limits are read
 * when a conn opens). */
static struct conn *new_conn(struct fixture *fx)
{
	return conn_new(&fx->srv, "10.0.0.1", count_wake, fx);
}

/* Over the rate, a request gets rate_limited with the wait, and the next
 * one on time goes through. */
static void test_rate_limited(void **state)
{
	struct fixture *fx = *state;
	struct conn *c;
	const char *out;

	fx->cfg.rate_per_conn = 2;
	fx->cfg.rate_burst = 3;
	c = new_conn(fx);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(feed(c, "{\"id\":1,\"op\":\"ping\"}", true),
				 0);
		assert_non_null(strstr((char *)frame_payload(conn_peek(c)),
				       "\"ok\":true"));
		conn_pop(c);
	}
	assert_int_equal(feed(c, "{\"id\":\"x\",\"op\":\"ping\"}", true), 0);
	out = (char *)frame_payload(conn_peek(c));
	assert_non_null(strstr(out, "\"re\":\"x\",\"ok\":false"));
	assert_non_null(strstr(out, "\"code\":\"rate_limited\""));
	assert_non_null(strstr(out, "\"retry_after_ms\":500"));
	conn_pop(c);
	/* Even a frame that is not a request is answered, with re null. */
	assert_int_equal(feed(c, "nope", true), 0);
	out = (char *)frame_payload(conn_peek(c));
	assert_non_null(strstr(out, "\"re\":null"));
	assert_non_null(strstr(out, "\"code\":\"rate_limited\""));
	conn_pop(c);
	clock_fake_advance(&fx->clock, 500);
	assert_int_equal(feed(c, "{\"id\":2,\"op\":\"ping\"}", true), 0);
	assert_non_null(strstr((char *)frame_payload(conn_peek(c)),
			       "\"re\":2,\"ok\":true"));
	conn_pop(c);
	assert_int_equal(c->close_code, 0);
	conn_free(c);
}

/* A client that ignores the refusals is closed with 1008; a rate of 0
 * refuses nothing. */
static void test_rate_abuse_closes(void **state)
{
	struct fixture *fx = *state;
	struct conn *c, *free_rein;
	int refused = 0;

	fx->cfg.rate_per_conn = 1;
	fx->cfg.rate_burst = 1;
	c = new_conn(fx);
	for (int i = 0; i < 1000 && !c->close_code; i++) {
		feed(c, "{\"id\":1,\"op\":\"ping\"}", true);
		if (conn_peek(c) && strstr((char *)frame_payload(conn_peek(c)),
					   "rate_limited"))
			refused++;
		while (conn_peek(c))
			conn_pop(c);
	}
	assert_int_equal(c->close_code, CONN_CLOSE_POLICY);
	/* 1 s of rate times CONN_ABUSE_SECONDS refusals, and the one that
	 * ran out (its reply is dropped: the conn is closing). */
	assert_int_equal(refused, CONN_ABUSE_SECONDS);
	conn_free(c);

	fx->cfg.rate_per_conn = 0;
	free_rein = new_conn(fx);
	for (int i = 0; i < 1000; i++) {
		feed(free_rein, "{\"id\":1,\"op\":\"ping\"}", true);
		assert_non_null(strstr((char *)frame_payload(
			conn_peek(free_rein)), "\"ok\":true"));
		conn_pop(free_rein);
	}
	conn_free(free_rein);
}

/* Silent half the idle timeout: a ping; silent all of it: closed.  Any
 * frame or pong resets the silence. */
static void test_idle_timeout(void **state)
{
	struct fixture *fx = *state;
	struct conn *c;
	int wakes;

	fx->cfg.idle_timeout_s = 10;
	fx->cfg.auth_timeout_s = 0;
	c = new_conn(fx);
	wakes = fx->wakes;
	clock_fake_advance(&fx->clock, 4999);
	conn_tick(c, conn_now_ms(c));
	assert_false(c->ping_due);
	clock_fake_advance(&fx->clock, 1);
	conn_tick(c, conn_now_ms(c));
	assert_true(c->ping_due);
	assert_int_equal(fx->wakes, wakes + 1);
	c->ping_due = false;		/* the transport sent it */
	conn_tick(c, conn_now_ms(c));
	assert_false(c->ping_due);	/* one ping per silence */
	clock_fake_advance(&fx->clock, 3000);
	conn_pong(c);
	clock_fake_advance(&fx->clock, 9999);
	conn_tick(c, conn_now_ms(c));
	assert_int_equal(c->close_code, 0);
	feed(c, "{\"id\":1,\"op\":\"ping\"}", true);
	conn_pop(c);
	clock_fake_advance(&fx->clock, 9999);
	conn_tick(c, conn_now_ms(c));
	assert_int_equal(c->close_code, 0);
	clock_fake_advance(&fx->clock, 1);
	conn_tick(c, conn_now_ms(c));
	assert_int_equal(c->close_code, CONN_CLOSE_TIMEOUT);
	assert_string_equal(c->close_reason, "idle");
	conn_free(c);
}

/* A socket that does not log in within the auth timeout is closed; one
 * that did is not. */
static void test_auth_timeout(void **state)
{
	struct fixture *fx = *state;
	struct conn *anon, *user;

	fx->cfg.idle_timeout_s = 0;
	fx->cfg.auth_timeout_s = 5;
	anon = new_conn(fx);
	user = new_conn(fx);
	user->user_id = 42;
	assert_int_equal(conn_count_peer(&fx->srv, "10.0.0.1"), 2);
	assert_int_equal(conn_count_peer(&fx->srv, "10.0.0.2"), 0);
	clock_fake_advance(&fx->clock, 4999);
	conn_tick(anon, conn_now_ms(anon));
	conn_tick(user, conn_now_ms(user));
	assert_int_equal(anon->close_code, 0);
	clock_fake_advance(&fx->clock, 1);
	conn_tick(anon, conn_now_ms(anon));
	conn_tick(user, conn_now_ms(user));
	assert_int_equal(anon->close_code, CONN_CLOSE_TIMEOUT);
	assert_int_equal(user->close_code, 0);
	user->user_id = 0;	/* conn_free() would update its presence */
	conn_free(anon);
	conn_free(user);
}

/*
 * A connection keeps its address as 16 bytes: the same address counts
 * the same whichever way it was written, prints as it came for IPv4, and
 * a transport that gave no address counts for nobody.
 */
static void test_peer_addresses(void **state)
{
	struct fixture *fx = *state;
	struct conn *v4 = conn_new(&fx->srv, "192.0.2.7", count_wake, fx);
	struct conn *v6 = conn_new(&fx->srv, "2001:db8::1", count_wake, fx);
	struct conn *mapped = conn_new(&fx->srv, "::ffff:192.0.2.7",
				       count_wake, fx);
	struct conn *none = conn_new(&fx->srv, NULL, count_wake, fx);
	struct conn *junk = conn_new(&fx->srv, "192.0.2.7; drop", count_wake,
				     fx);
	char text[CONN_PEER_TEXT];

	assert_string_equal(conn_peer(v4, text), "192.0.2.7");
	assert_string_equal(conn_peer(mapped, text), "192.0.2.7");
	assert_string_equal(conn_peer(v6, text), "2001:db8::1");
	assert_string_equal(conn_peer(none, text), "?");
	assert_string_equal(conn_peer(junk, text), "?");
	assert_int_equal(conn_count_peer(&fx->srv, "192.0.2.7"), 2);
	assert_int_equal(conn_count_peer(&fx->srv, "::ffff:192.0.2.7"), 2);
	assert_int_equal(conn_count_peer(&fx->srv, "2001:0db8:0::1"), 1);
	assert_int_equal(conn_count_peer(&fx->srv, "192.0.2.8"), 0);
	assert_int_equal(conn_count_peer(&fx->srv, "?"), 0);
	conn_free(junk);
	conn_free(none);
	conn_free(mapped);
	conn_free(v6);
	conn_free(v4);
}

static void test_shutdown_closes_all(void **state)
{
	struct fixture *fx = *state;
	struct conn *other = conn_new(&fx->srv, "test", count_wake, fx);

	assert_int_equal(fx->srv.nconns, 2);
	server_begin_shutdown(&fx->srv);
	assert_int_equal(fx->conn->close_code, CONN_CLOSE_GOING_AWAY);
	assert_int_equal(other->close_code, CONN_CLOSE_GOING_AWAY);
	conn_free(other);
	assert_int_equal(fx->srv.nconns, 1);
}

static void test_queue_wraps(void **state)
{
	struct fixture *fx = *state;
	char buf[8];

	/* Push and pop across the ring's growth and wrap-around. */
	for (int round = 0; round < 50; round++) {
		for (int i = 0; i < 5; i++) {
			struct frame *f;

			snprintf(buf, sizeof(buf), "%d.%d", round, i);
			f = frame_from(buf, strlen(buf));
			assert_int_equal(conn_send(fx->conn, f), 0);
			frame_unref(f);
		}
		for (int i = 0; i < 4; i++)
			conn_pop(fx->conn);
	}
	assert_int_equal(fx->conn->out_count, 50);
	assert_string_equal((char *)frame_payload(conn_peek(fx->conn)), "40.0");
}

/*
 * An idle connection keeps no buffer: a message that came whole is read
 * in place, one pieced together leaves nothing behind, and a drained
 * queue gives its ring back.  Thousands of idle connections are what a
 * server mostly holds.
 */
static void test_idle_holds_nothing(void **state)
{
	struct fixture *fx = *state;
	struct conn *c = fx->conn;
	struct frame *f;

	assert_int_equal(feed(c, "{\"id\":1,\"op\":\"ping\"}", true), 0);
	assert_null(c->rx);
	assert_int_equal(c->rx_cap, 0);
	assert_int_equal(c->out_count, 1);
	conn_pop(c);
	assert_null(c->outq);
	assert_int_equal(c->out_cap, 0);

	assert_int_equal(feed(c, "{\"id\":2,", false), 0);
	assert_non_null(c->rx);
	assert_int_equal(feed(c, "\"op\":\"ping\"}", true), 0);
	assert_null(c->rx);
	assert_int_equal(c->rx_len, 0);
	assert_int_equal(c->rx_cap, 0);
	assert_non_null(strstr((char *)frame_payload(conn_peek(c)),
			       "\"re\":2,\"ok\":true"));
	conn_pop(c);
	assert_null(c->outq);

	/* Empty fragments around a whole message buffer nothing either. */
	assert_int_equal(conn_receive(c, NULL, 0, false, false), 0);
	assert_int_equal(feed(c, "{\"id\":3,\"op\":\"ping\"}", true), 0);
	assert_null(c->rx);
	conn_pop(c);

	/* A queue refilled after draining keeps its order. */
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 10; i++) {
			char buf[8];

			snprintf(buf, sizeof(buf), "%d", i);
			f = frame_from(buf, strlen(buf));
			assert_int_equal(conn_send(c, f), 0);
			frame_unref(f);
		}
		for (int i = 0; i < 10; i++) {
			char buf[8];

			snprintf(buf, sizeof(buf), "%d", i);
			expect_out(c, buf);
		}
		assert_null(c->outq);
		assert_int_equal(c->out_bytes, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hello_ping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_keep_connection,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_fragments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exactly_at_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_utf8_and_binary, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_slow_consumer_cut_off,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_bytes_bound, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_peer_addresses, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_closes_all, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_queue_wraps, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rate_limited, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rate_abuse_closes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_idle_timeout, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_auth_timeout, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_idle_holds_nothing, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
