/* Unit tests of passwords, tokens and the rules for handles and names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "ruche/auth.h"
#include "ruche/err.h"

static void test_hash_and_verify(void **state)
{
	char h1[AUTH_HASH_MAX], h2[AUTH_HASH_MAX];

	assert_int_equal(auth_hash_password("correct horse battery", h1), 0);
	assert_int_equal(auth_hash_password("correct horse battery", h2), 0);
	/* Salted: the same password never hashes the same twice. */
	assert_string_not_equal(h1, h2);
	/* The parameters travel with the hash; the password does not. */
	assert_memory_equal(h1, "scrypt$15$8$3$", 14);
	assert_null(strstr(h1, "horse"));
	assert_true(auth_verify_password("correct horse battery", h1));
	assert_true(auth_verify_password("correct horse battery", h2));
	assert_false(auth_verify_password("correct horse batterY", h1));
	assert_false(auth_verify_password("", h1));
	assert_false(auth_verify_password("correct horse battery", NULL));
	assert_false(auth_verify_password("x", "scrypt$15$8$3$abc$def"));
	assert_false(auth_verify_password("x", "plain"));
}

/* A hash made with other parameters still verifies after a change. */
static void test_old_parameters_still_verify(void **state)
{
	struct auth_cost cheap = { 10, 8, 1 }, normal = { 15, 8, 3 };
	char h[AUTH_HASH_MAX];

	assert_int_equal(auth_set_cost(&cheap), 0);
	assert_int_equal(auth_hash_password("a long password", h), 0);
	assert_memory_equal(h, "scrypt$10$8$1$", 14);
	assert_int_equal(auth_set_cost(&normal), 0);
	assert_true(auth_verify_password("a long password", h));
	assert_int_equal(auth_set_cost(&(struct auth_cost){ 0, 8, 1 }),
			 RUCHE_EINVAL);
}

static void test_tokens(void **state)
{
	char a[AUTH_TOKEN_LEN + 1], b[AUTH_TOKEN_LEN + 1];
	unsigned char da[AUTH_DIGEST_LEN], check[AUTH_DIGEST_LEN];

	assert_int_equal(auth_new_token(a, da), 0);
	assert_int_equal(auth_new_token(b, NULL), 0);
	assert_int_equal(strlen(a), AUTH_TOKEN_LEN);
	assert_string_not_equal(a, b);
	assert_true(auth_token_wellformed(a));
	assert_int_equal(auth_token_digest(a, check), 0);
	assert_memory_equal(da, check, AUTH_DIGEST_LEN);
	assert_false(auth_token_wellformed("short"));
	assert_false(auth_token_wellformed(
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa+"));
}

static void test_handles(void **state)
{
	char out[AUTH_HANDLE_MAX + 1];

	assert_int_equal(auth_normalize_handle("Marie.Curie_1-x", out), 0);
	assert_string_equal(out, "marie.curie_1-x");
	assert_int_equal(auth_normalize_handle("ab", out), 0);
	assert_int_equal(auth_normalize_handle("a", out), RUCHE_EINVAL);
	assert_int_equal(auth_normalize_handle(
		"abcdefghijklmnopqrstuvwxyz0123456", out), RUCHE_EINVAL);
	assert_int_equal(auth_normalize_handle("with space", out),
			 RUCHE_EINVAL);
	assert_int_equal(auth_normalize_handle("caf\xc3\xa9", out),
			 RUCHE_EINVAL);
	assert_int_equal(auth_normalize_handle("a@b", out), RUCHE_EINVAL);
}

static void test_names(void **state)
{
	char out[300];

	assert_int_equal(auth_normalize_name("  Zoé Ørsted \t", out,
					     sizeof(out)), 0);
	assert_string_equal(out, "Zoé Ørsted");
	assert_int_equal(auth_normalize_name("李小龍", out, sizeof(out)), 0);
	assert_int_equal(auth_normalize_name("   ", out, sizeof(out)),
			 RUCHE_EINVAL);
	assert_int_equal(auth_normalize_name("a\nb", out, sizeof(out)),
			 RUCHE_EINVAL);
	assert_int_equal(auth_normalize_name("a\xc2\x85" "b", out,
					     sizeof(out)), RUCHE_EINVAL);
	assert_int_equal(auth_normalize_name("bad \xff", out, sizeof(out)),
			 RUCHE_EINVAL);
	/* 64 characters fit, 65 do not, counted as characters not bytes. */
	assert_int_equal(auth_normalize_name(
		"éééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé",
		out, sizeof(out)), 0);
	assert_int_equal(auth_normalize_name(
		"ééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé",
		out, sizeof(out)), RUCHE_EINVAL);
}

static void test_passwords(void **state)
{
	assert_int_equal(auth_check_password("0123456789"), 0);
	assert_int_equal(auth_check_password("012345678"), RUCHE_EINVAL);
	/* Ten characters, not ten bytes. */
	assert_int_equal(auth_check_password("ééééé"), RUCHE_EINVAL);
	assert_int_equal(auth_check_password("éééééééééé"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_and_verify),
		cmocka_unit_test(test_old_parameters_still_verify),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_handles),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_passwords),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
