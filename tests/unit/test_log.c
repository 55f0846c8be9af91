/* Unit tests of the log's JSON lines: what log_json_escape() makes of
 * text that would break a JSON string. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "ruche/log.h"

static void test_escapes(void **state)
{
	char out[128];

	assert_string_equal(log_json_escape("plain text", out, sizeof(out)),
			    "plain text");
	assert_string_equal(log_json_escape("a \"quoted\" \\ path", out,
					    sizeof(out)),
			    "a \\\"quoted\\\" \\\\ path");
	assert_string_equal(log_json_escape("two\nlines\tand\r", out,
					    sizeof(out)),
			    "two\\nlines\\tand\\r");
	assert_string_equal(log_json_escape("bell\x07 del\x7f", out,
					    sizeof(out)),
			    "bell\\u0007 del\\u007f");
	/* UTF-8 passes as it is. */
	assert_string_equal(log_json_escape("ruche \xc3\xa9t\xc3\xa9", out,
					    sizeof(out)),
			    "ruche \xc3\xa9t\xc3\xa9");
}

/* A line too long for the buffer is cut, never in the middle of an
 * escape or of a character. */
static void test_cuts(void **state)
{
	char out[8];

	assert_string_equal(log_json_escape("abcdefghij", out, sizeof(out)),
			    "abcdefg");
	assert_string_equal(log_json_escape("abcdef\"x", out, sizeof(out)),
			    "abcdef");
	assert_string_equal(log_json_escape("abcde\xc3\xa9xyz", out,
					    sizeof(out)), "abcde\xc3\xa9");
	assert_string_equal(log_json_escape("abcdef\xc3\xa9xyz", out,
					    sizeof(out)), "abcdef");
	assert_string_equal(log_json_escape("abcd\xe2\x82\xacxyz", out,
					    sizeof(out)), "abcd\xe2\x82\xac");
	assert_string_equal(log_json_escape("abcde\xe2\x82\xacxyz", out,
					    sizeof(out)), "abcde");
	assert_string_equal(log_json_escape("abcd\x01", out, sizeof(out)),
			    "abcd");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_cuts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
