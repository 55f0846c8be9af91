/* Unit tests of the protocol envelope: parsing, parameters, encoding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "ruche/err.h"
#include "ruche/proto.h"
#include "ruche/utf8.h"

static int parse(const char *text, struct request *req, json_t **id,
		 struct proto_error *err)
{
	return proto_parse(text, strlen(text), req, id, err);
}

static void test_parse_ok(void **state)
{
	struct proto_error err = { 0 };
	struct request req;
	json_t *id;

	assert_int_equal(parse("{\"id\":7,\"op\":\"ping\"}", &req, &id, &err),
			 0);
	assert_string_equal(req.op, "ping");
	assert_int_equal(json_integer_value(req.id), 7);
	assert_null(id);
	proto_request_release(&req);

	assert_int_equal(parse("{\"op\":\"hello\",\"id\":\"a-1\"}", &req, &id,
			       &err), 0);
	assert_string_equal(json_string_value(req.id), "a-1");
	proto_request_release(&req);
}

/* Each bad frame gets its code, and the id when one could be read. */
static void test_parse_refusals(void **state)
{
	static const struct {
		const char *text;
		const char *code;
		bool has_id;
	} cases[] = {
		{ "{", PROTO_E_BAD_JSON, false },
		{ "", PROTO_E_BAD_JSON, false },
		{ "{\"id\":1,\"op\":\"ping\"} x", PROTO_E_BAD_JSON, false },
		{ "{\"id\":1,\"id\":2,\"op\":\"ping\"}", PROTO_E_BAD_JSON, false },
		{ "[1,2]", PROTO_E_BAD_REQUEST, false },
		{ "42", PROTO_E_BAD_REQUEST, false },
		{ "{\"op\":\"ping\"}", PROTO_E_BAD_REQUEST, false },
		{ "{\"id\":1.5,\"op\":\"ping\"}", PROTO_E_BAD_REQUEST, false },
		{ "{\"id\":{},\"op\":\"ping\"}", PROTO_E_BAD_REQUEST, false },
		{ "{\"id\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxxxxxxxxxxx\",\"op\":\"ping\"}", PROTO_E_BAD_REQUEST, false },
		{ "{\"id\":3}", PROTO_E_BAD_REQUEST, true },
		{ "{\"id\":3,\"op\":5}", PROTO_E_BAD_REQUEST, true },
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct proto_error err = { 0 };
		struct request req;
		json_t *id;

		assert_int_equal(parse(cases[i].text, &req, &id, &err),
				 RUCHE_EINVAL);
		assert_string_equal(err.code, cases[i].code);
		assert_true(err.message[0] != '\0');
		assert_null(req.root);
		if (cases[i].has_id) {
			assert_int_equal(json_integer_value(id), 3);
			json_decref(id);
		} else {
			assert_null(id);
		}
	}
}

static const struct param_spec specs[] = {
	{ "text", PARAM_STRING, true, 1, 4 },
	{ "n", PARAM_INT, false, 1, 10 },
	{ "flag", PARAM_BOOL, false, 0, 0 },
	{ "list", PARAM_ARRAY, false, 0, 2 },
	{ NULL },
};

static int check(const char *text, struct proto_error *err)
{
	json_t *o = json_loads(text, 0, NULL);
	int rc;

	assert_non_null(o);
	rc = proto_check_params(o, specs, err);
	json_decref(o);
	return rc;
}

static void test_params(void **state)
{
	struct proto_error err = { 0 };

	assert_int_equal(check("{\"id\":1,\"op\":\"x\",\"text\":\"abc\"}", &err),
			 0);
	/* Lengths count code points, not bytes: four accented letters fit. */
	assert_int_equal(check("{\"text\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\","
			       "\"n\":10,\"flag\":true,\"list\":[1]}", &err), 0);

	assert_int_equal(check("{\"n\":1}", &err), RUCHE_EINVAL);
	assert_string_equal(err.code, PROTO_E_INVALID_PARAM);
	assert_non_null(strstr(err.message, "\"text\" is required"));

	assert_int_equal(check("{\"text\":5}", &err), RUCHE_EINVAL);
	assert_non_null(strstr(err.message, "\"text\" must be a string"));

	assert_int_equal(check("{\"text\":\"\"}", &err), RUCHE_EINVAL);
	assert_int_equal(check("{\"text\":\"abcde\"}", &err), RUCHE_EINVAL);
	assert_int_equal(check("{\"text\":\"a\",\"n\":11}", &err), RUCHE_EINVAL);
	assert_int_equal(check("{\"text\":\"a\",\"n\":\"1\"}", &err),
			 RUCHE_EINVAL);
	assert_int_equal(check("{\"text\":\"a\",\"flag\":1}", &err),
			 RUCHE_EINVAL);
	assert_int_equal(check("{\"text\":\"a\",\"list\":[1,2,3]}", &err),
			 RUCHE_EINVAL);

	assert_int_equal(check("{\"text\":\"a\",\"other\":1}", &err),
			 RUCHE_EINVAL);
	assert_non_null(strstr(err.message, "unknown field \"other\""));
}

static void assert_frame(struct frame *f, const char *expect)
{
	assert_non_null(f);
	assert_int_equal(f->len, strlen(expect));
	assert_memory_equal(frame_payload(f), expect, f->len);
	frame_unref(f);
}

static void test_encode(void **state)
{
	json_t *id = json_integer(7);

	assert_frame(proto_reply_ok(id, json_pack("{s:i}", "a", 1)),
		     "{\"re\":7,\"ok\":true,\"data\":{\"a\":1}}");
	assert_frame(proto_reply_ok(id, NULL),
		     "{\"re\":7,\"ok\":true,\"data\":{}}");
	assert_frame(proto_reply_error(NULL, "bad_json", "no"),
		     "{\"re\":null,\"ok\":false,\"error\":"
		     "{\"code\":\"bad_json\",\"message\":\"no\"}}");
	assert_frame(proto_event("msg.created", 12, NULL),
		     "{\"ev\":\"msg.created\",\"pos\":12,\"data\":{}}");
	assert_frame(proto_event("typing", -1, json_pack("{s:i}", "u", 2)),
		     "{\"ev\":\"typing\",\"data\":{\"u\":2}}");
	json_decref(id);
}

static void test_frame_refs(void **state)
{
	struct frame *f = frame_from("abc", 3);

	assert_int_equal(f->refs, 1);
	assert_ptr_equal(frame_ref(f), f);
	assert_int_equal(f->refs, 2);
	frame_unref(f);
	assert_string_equal((char *)frame_payload(f), "abc");
	frame_unref(f);
	frame_unref(NULL);
}

static void test_utf8(void **state)
{
	static const struct {
		const char *s;
		bool ok;
	} cases[] = {
		{ "plain", true },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x9d", true },
		{ "\xc3", false },		/* truncated */
		{ "\xc0\xaf", false },		/* overlong '/' */
		{ "\xe0\x80\xaf", false },	/* overlong */
		{ "\xed\xa0\x80", false },	/* surrogate */
		{ "\xf4\x90\x80\x80", false },	/* above U+10FFFF */
		{ "\xff", false },
		{ "\x80", false },		/* lone continuation */
		{ "\xe2\x82", false },
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(utf8_valid(cases[i].s, strlen(cases[i].s)),
				 cases[i].ok);
	assert_int_equal(utf8_count("caf\xc3\xa9", 5), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_frame_refs),
		cmocka_unit_test(test_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
