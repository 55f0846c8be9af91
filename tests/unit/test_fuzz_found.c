/*
 * What fuzzing found (tests/fuzz/README.md), each as the unit test that
 * would have caught it; the inputs themselves are replayed from
 * tests/fuzz/regressions/ by the fuzz build.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ruche/accounts.h"
#include "ruche/api.h"
#include "ruche/auth.h"
#include "ruche/conn.h"
#include "ruche/err.h"
#include "ruche/frame.h"
#include "ruche/meetup_script.h"
#include "ruche/proto.h"
#include "ruche/server.h"
#include "ruche/store.h"
#include "ruche/utf8.h"

static void test_utf8_tame(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "plain" },
		{ "caf\xc3\xa9 \xf0\x9f\x90\x9d", "caf\xc3\xa9 \xf0\x9f\x90\x9d" },
		{ "a\nb\rc\td\x7f", "a?b?c?d?" },
		{ "cut \xc7", "cut ?" },
		{ "cut \xe2\x82", "cut ??" },
		{ "\xc0\xaf \xed\xa0\x80", "?? ???" },
		{ "\xc3(", "?(" },
		{ "", "" },
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[64];

		snprintf(buf, sizeof(buf), "%s", cases[i].in);
		utf8_tame(buf);
		assert_string_equal(buf, cases[i].out);
		assert_true(utf8_valid(buf, strlen(buf)));
	}
}

/*
 * The JSON reader quotes the text near an error and cut "\u19" + U+01E2 in
 * two: the bad_json message was not UTF-8, the reply could not be encoded,
 * and the connection was closed as if memory had run out.
 */
static void no_wake(void *arg)
{
}

static void test_bad_json_cut_character(void **state)
{
	static const char text[] = "{\"id\":1,\"op\":\"\\u19\xc7\xa2\"}";
	struct proto_error err = { 0 };
	struct request req;
	struct config cfg;
	struct clock_fake clk;
	struct server srv;
	struct conn *c;
	struct frame *f;
	json_t *id = NULL;

	assert_int_equal(proto_parse(text, strlen(text), &req, &id, &err),
			 RUCHE_EINVAL);
	assert_string_equal(err.code, PROTO_E_BAD_JSON);
	assert_true(utf8_valid(err.message, strlen(err.message)));
	f = proto_reply_error(id, err.code, err.message);
	assert_non_null(f);
	frame_unref(f);
	json_decref(id);

	/* Through a connection: an answer, and the connection stays open. */
	config_defaults(&cfg);
	clock_fake_init(&clk, 1800000000000);
	assert_int_equal(server_init(&srv, &cfg, &clk.clock, NULL), 0);
	c = conn_new(&srv, "t", no_wake, NULL);
	assert_int_equal(conn_receive(c, text, strlen(text), true, false), 0);
	assert_int_equal(c->close_code, 0);
	f = conn_peek(c);
	assert_non_null(f);
	assert_non_null(strstr((char *)frame_payload(f),
			       "\"code\":\"bad_json\""));
	srv.stopping = true;
	server_release(&srv);
}

/*
 * An unknown operation or field is named in the error, cut at 40 bytes:
 * the cut fell inside a character, and the connection was closed.
 */
static void test_unknown_name_cut_character(void **state)
{
	static const char *const texts[] = {
		"{\"id\":1,\"op\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"\xf0\x9f\x91\x8d\"}",
		"{\"id\":1,\"op\":\"ping\",\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxx\xf0\x9f\x91\x8d\":1}",
	};
	struct config cfg;
	struct clock_fake clk;
	struct server srv;

	config_defaults(&cfg);
	clock_fake_init(&clk, 1800000000000);
	assert_int_equal(server_init(&srv, &cfg, &clk.clock, NULL), 0);
	for (unsigned i = 0; i < 2; i++) {
		struct conn *c = conn_new(&srv, "t", no_wake, NULL);
		struct frame *f;

		assert_int_equal(conn_receive(c, texts[i], strlen(texts[i]),
					      true, false), 0);
		server_flush(&srv);
		assert_int_equal(c->close_code, 0);
		f = conn_peek(c);
		assert_non_null(f);
		assert_non_null(strstr((char *)frame_payload(f),
				       i ? "invalid_param" : "unknown_op"));
		assert_true(utf8_valid(frame_payload(f), f->len));
	}
	srv.stopping = true;
	server_release(&srv);
}

/* The same reader's message in a script's error, with a line break. */
static void test_script_error_one_line(void **state)
{
	static const char *const scripts[] = {
		"{\"title\": \" \\u20\n\"}",
		"{\"title\": \"\\u19\xc7\xa2 \"}",
	};

	for (unsigned i = 0; i < 2; i++) {
		struct meetup_errors errs;
		struct meetup_script *s = NULL;
		char line[512];

		meetup_errors_init(&errs);
		assert_int_equal(meetup_script_parse(scripts[i],
						     strlen(scripts[i]), &s,
						     &errs), RUCHE_EINVAL);
		assert_int_equal(errs.n, 1);
		meetup_error_line(&errs, 0, line, sizeof(line));
		assert_null(strpbrk(line, "\r\n"));
		assert_true(utf8_valid(line, strlen(line)));
		meetup_errors_release(&errs);
	}
}

/*
 * Without worker threads (srv.jobs NULL) a login hashes on the caller: the
 * call was used after the job had freed it, and its reply function read
 * before it was set.  Now it answers once, before api_handle() returns.
 */
static void count_reply(void *arg, const struct api_response *resp)
{
	int *status = arg;

	assert_int_equal(*status, 0);
	*status = resp->status;
}

static void test_login_without_workers(void **state)
{
	static const char body[] =
		"{\"handle\":\"ada\",\"password\":\"correct horse battery\"}";
	struct auth_cost cost = { 1, 1, 1 };
	char pw[AUTH_HASH_MAX], err[256];
	struct api_request req = {
		.method = "POST", .path = "/api/login", .body = body,
		.body_len = sizeof(body) - 1, .peer = "192.0.2.1",
		.origin_ok = true,
	};
	struct store_user u;
	struct config cfg;
	struct clock_fake clk;
	struct store *st;
	struct server srv;
	int status = 0;

	assert_int_equal(auth_set_cost(&cost), 0);
	assert_int_equal(auth_hash_password("correct horse battery", pw), 0);
	assert_int_equal(store_open(":memory:", &st, err, sizeof(err)), 0);
	config_defaults(&cfg);
	clock_fake_init(&clk, 1800000000000);
	assert_int_equal(server_init(&srv, &cfg, &clk.clock, st), 0);
	assert_int_equal(accounts_create(&srv, "ada", "Ada", pw, false, &u),
			 0);
	assert_null(api_handle(&srv, &req, count_reply, &status));
	assert_int_equal(status, 200);

	/* A wrong password: answered once too. */
	req.body = "{\"handle\":\"ada\",\"password\":\"not the password\"}";
	req.body_len = strlen(req.body);
	status = 0;
	assert_null(api_handle(&srv, &req, count_reply, &status));
	assert_int_equal(status, 401);
	server_release(&srv);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_tame),
		cmocka_unit_test(test_bad_json_cut_character),
		cmocka_unit_test(test_unknown_name_cut_character),
		cmocka_unit_test(test_script_error_one_line),
		cmocka_unit_test(test_login_without_workers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
