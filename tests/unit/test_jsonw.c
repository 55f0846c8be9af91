/* test_jsonw.c - the JSON writer gives what jansson gives. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "ruche/jsonw.h"

/* Both writers, the same members: the same text, byte for byte. */
static void same_as_jansson(const char *text, int64_t num, bool flag)
{
	json_t *o = json_pack("{s:I, s:s, s:b, s:{}}", "n", (json_int_t)num,
			      "text", text, "flag", flag, "empty");
	char *want, *got;
	struct jsonw w;
	size_t len;

	assert_non_null(o);
	want = json_dumps(o, JSON_COMPACT);
	jsonw_init(&w);
	jsonw_open(&w);
	jsonw_int(&w, "n", num);
	jsonw_str(&w, "text", text);
	jsonw_bool(&w, "flag", flag);
	jsonw_json(&w, "empty", "{}", 2);
	jsonw_close(&w);
	got = jsonw_finish(&w, &len);
	assert_non_null(got);
	assert_string_equal(got, want);
	assert_int_equal(len, strlen(want));
	free(got);
	free(want);
	json_decref(o);
}

static void test_matches_jansson(void **state)
{
	char controls[32];

	(void)state;
	same_as_jansson("", 0, false);
	same_as_jansson("plain words", 1, true);
	same_as_jansson("\"quoted\" \\ back\\slash / slash", -42, true);
	same_as_jansson("line\nbreak\ttab\rreturn\bback\fform", INT64_MAX,
			false);
	same_as_jansson("Café, ünïcödé, 日本語, 🐝", INT64_MIN, true);
	for (int i = 1; i < 32; i++)
		controls[i - 1] = (char)i;
	controls[31] = '\0';
	same_as_jansson(controls, 7, true);
	same_as_jansson("\x7f del stays", 8, false);
}

/* Text that jansson reads back to what was written, members in order. */
static void test_reads_back(void **state)
{
	struct jsonw w;
	json_t *o;
	char *text;
	size_t len;

	(void)state;
	jsonw_init(&w);
	jsonw_open(&w);
	jsonw_raw(&w, "\"inner\":", 8);
	jsonw_open(&w);
	jsonw_int(&w, "a", 1);
	jsonw_close(&w);
	jsonw_str(&w, "b", "x\"y");
	jsonw_close(&w);
	text = jsonw_finish(&w, &len);
	assert_string_equal(text, "{\"inner\":{\"a\":1},\"b\":\"x\\\"y\"}");
	o = json_loadb(text, len, 0, NULL);
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(
		json_object_get(o, "inner"), "a")), 1);
	assert_string_equal(json_string_value(json_object_get(o, "b")),
			    "x\"y");
	json_decref(o);
	free(text);
}

/* Arrays of objects, empty or not, inside objects: as jansson. */
static void test_arrays(void **state)
{
	json_t *o = json_pack("{s:[{s:i},{s:i, s:[]}], s:[], s:b}", "list",
			      "a", 1, "b", 2, "inner", "none", "after", 1);
	char *want = json_dumps(o, JSON_COMPACT), *got;
	struct jsonw w;

	(void)state;
	jsonw_init(&w);
	jsonw_open(&w);
	jsonw_key(&w, "list");
	jsonw_array_open(&w);
	jsonw_open(&w);
	jsonw_int(&w, "a", 1);
	jsonw_close(&w);
	jsonw_open(&w);
	jsonw_int(&w, "b", 2);
	jsonw_key(&w, "inner");
	jsonw_array_open(&w);
	jsonw_array_close(&w);
	jsonw_close(&w);
	jsonw_array_close(&w);
	jsonw_key(&w, "none");
	jsonw_array_open(&w);
	jsonw_array_close(&w);
	jsonw_bool(&w, "after", true);
	jsonw_close(&w);
	got = jsonw_finish(&w, NULL);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
	free(want);
	json_decref(o);
}

/* A long text grows the buffer as many times as it needs. */
static void test_grows(void **state)
{
	char *big = malloc(100001);
	struct jsonw w;
	char *text;
	size_t len;

	(void)state;
	assert_non_null(big);
	memset(big, 'a', 100000);
	big[100000] = '\0';
	big[500] = '\n';
	jsonw_init(&w);
	jsonw_open(&w);
	jsonw_str(&w, "t", big);
	jsonw_close(&w);
	text = jsonw_finish(&w, &len);
	assert_non_null(text);
	assert_int_equal(len, 100000 + 1 + 8);	/* {"t":"…"} and \n as \\n */
	assert_memory_equal(text + 506, "\\na", 3);
	free(text);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_jansson),
		cmocka_unit_test(test_reads_back),
		cmocka_unit_test(test_grows),
		cmocka_unit_test(test_arrays),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
