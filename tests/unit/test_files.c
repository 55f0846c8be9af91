/* Unit tests of static file resolution: nothing outside the client folder. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "ruche/err.h"
#include "ruche/files.h"

static char base[PATH_MAX], root[PATH_MAX + 16];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	char p[PATH_MAX + 64], made[PATH_MAX];

	snprintf(made, sizeof(made), "%s/ruche-files-XXXXXX", tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(made));
	assert_non_null(realpath(made, base));
	snprintf(root, sizeof(root), "%s/client", base);
	assert_int_equal(mkdir(root, 0755), 0);
	snprintf(p, sizeof(p), "%s/index.html", root);
	write_file(p, "<!doctype html>");
	snprintf(p, sizeof(p), "%s/js", root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/js/app.js", root);
	write_file(p, "export {}");
	snprintf(p, sizeof(p), "%s/.secret", root);
	write_file(p, "hidden");
	snprintf(p, sizeof(p), "%s/outside.txt", base);
	write_file(p, "outside");
	snprintf(p, sizeof(p), "%s/escape.txt", root);
	assert_int_equal(symlink("../outside.txt", p), 0);
	snprintf(p, sizeof(p), "%s/inside-link.js", root);
	assert_int_equal(symlink("js/app.js", p), 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void expect_file(const char *uri, const char *rel)
{
	char out[PATH_MAX], want[PATH_MAX + 64];

	assert_int_equal(files_resolve(root, uri, out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "%s/%s", root, rel);
	assert_string_equal(out, want);
}

static void test_serves_files(void **state)
{
	expect_file("/", "index.html");
	expect_file("/index.html", "index.html");
	expect_file("/js/app.js", "js/app.js");
	expect_file("//js//app.js", "js/app.js");
	/* A symlink that stays inside is followed. */
	expect_file("/inside-link.js", "js/app.js");
}

static void test_refuses_escapes(void **state)
{
	static const char *const bad[] = {
		"/../outside.txt", "/js/../../outside.txt", "/..", "/js/..",
		"/./index.html", "/escape.txt", "/.secret", "/js", "/js/",
		"/missing.html", "/%2e%2e/outside.txt", "/..%2foutside.txt",
		"/js\\..\\..\\outside.txt", "index.html", "/index.html/",
	};
	char out[PATH_MAX];

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(files_resolve(root, bad[i], out, sizeof(out)),
				 RUCHE_ENOTFOUND);
}

static void test_small_buffer(void **state)
{
	char out[8];

	assert_int_equal(files_resolve(root, "/index.html", out, sizeof(out)),
			 RUCHE_ETOOBIG);
}

static void test_mime(void **state)
{
	assert_string_equal(files_mime("/a/index.html"),
			    "text/html; charset=utf-8");
	assert_string_equal(files_mime("app.js"),
			    "text/javascript; charset=utf-8");
	assert_string_equal(files_mime("x.css"), "text/css; charset=utf-8");
	assert_string_equal(files_mime("icon.svg"), "image/svg+xml");
	assert_string_equal(files_mime("en.json"), "application/json");
	assert_string_equal(files_mime("README"), "application/octet-stream");
	assert_string_equal(files_mime("a.d/README"),
			    "application/octet-stream");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_serves_files),
		cmocka_unit_test(test_refuses_escapes),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_mime),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
