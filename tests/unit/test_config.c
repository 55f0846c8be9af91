/* Unit tests of `ruche serve` settings: defaults, environment, flags. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "ruche/config.h"
#include "ruche/err.h"

static const char *const *fake_env;

static char *getenv_fake(const char *name)
{
	size_t n = strlen(name);

	for (const char *const *e = fake_env; e && *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return (char *)*e + n + 1;
	return NULL;
}

static int args(struct config *cfg, char *err, int argc, ...)
{
	char *argv[16];
	va_list ap;

	va_start(ap, argc);
	for (int i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	return config_from_args(cfg, argc, argv, err, 200);
}

static void test_defaults(void **state)
{
	struct config cfg;

	config_defaults(&cfg);
	assert_string_equal(cfg.listen_host, "127.0.0.1");
	assert_int_equal(cfg.listen_port, 8080);
	assert_string_equal(cfg.db_path, "./var/ruche.db");
	assert_int_equal(cfg.log_level, LOG_INFO);
	assert_int_equal(cfg.max_message_bytes, 65536);
}

static void test_env_then_flags(void **state)
{
	static const char *const env[] = {
		"RUCHE_LISTEN=0.0.0.0:9000", "RUCHE_DB=/tmp/a.db",
		"RUCHE_LOG_LEVEL=debug",
		"RUCHE_ALLOW_ORIGIN=https://a.example, https://b.example",
		NULL,
	};
	struct config cfg;
	char err[200];

	config_defaults(&cfg);
	fake_env = env;
	assert_int_equal(config_from_env(&cfg, getenv_fake, err, sizeof(err)),
			 0);
	assert_string_equal(cfg.listen_host, "0.0.0.0");
	assert_int_equal(cfg.listen_port, 9000);
	assert_string_equal(cfg.db_path, "/tmp/a.db");
	assert_int_equal(cfg.log_level, LOG_DEBUG);
	assert_int_equal(cfg.nallow_origins, 2);
	assert_string_equal(cfg.allow_origins[1], "https://b.example");

	/* A flag wins over the environment. */
	assert_int_equal(args(&cfg, err, 3, "--listen", "[::1]:0",
			      "--db=/tmp/b.db"), 0);
	assert_string_equal(cfg.listen_host, "::1");
	assert_int_equal(cfg.listen_port, 0);
	assert_string_equal(cfg.db_path, "/tmp/b.db");
	assert_false(cfg.sync_normal);
	assert_int_equal(args(&cfg, err, 1, "--sync=normal"), 0);
	assert_true(cfg.sync_normal);
}

static void test_bad_env(void **state)
{
	static const char *const env[] = { "RUCHE_MAX_MESSAGE_BYTES=lots",
					   NULL };
	struct config cfg;
	char err[200] = "";

	config_defaults(&cfg);
	fake_env = env;
	assert_int_equal(config_from_env(&cfg, getenv_fake, err, sizeof(err)),
			 RUCHE_EINVAL);
	assert_string_equal(err, "bad value for RUCHE_MAX_MESSAGE_BYTES");
}

static void test_flag_refusals(void **state)
{
	struct config cfg;
	char err[200];

	config_defaults(&cfg);
	assert_int_equal(args(&cfg, err, 1, "--bogus"), RUCHE_EINVAL);
	assert_string_equal(err, "unknown option '--bogus'");
	assert_int_equal(args(&cfg, err, 1, "--db"), RUCHE_EINVAL);
	assert_string_equal(err, "option '--db' needs a value");
	assert_int_equal(args(&cfg, err, 2, "--listen", "localhost"),
			 RUCHE_EINVAL);
	assert_string_equal(err, "bad value 'localhost' for --listen");
	assert_int_equal(args(&cfg, err, 2, "--listen", "h:70000"),
			 RUCHE_EINVAL);
	assert_int_equal(args(&cfg, err, 2, "--listen", ":80"), RUCHE_EINVAL);
	assert_int_equal(args(&cfg, err, 2, "--listen", "::1:80"),
			 RUCHE_EINVAL);
	assert_int_equal(args(&cfg, err, 2, "--log-level", "loud"),
			 RUCHE_EINVAL);
	assert_int_equal(args(&cfg, err, 2, "--max-message-bytes", "12"),
			 RUCHE_EINVAL);
	assert_int_equal(args(&cfg, err, 2, "--allow-origin", "evil.example"),
			 RUCHE_EINVAL);
	assert_int_equal(args(&cfg, err, 2, "--sync", "sometimes"),
			 RUCHE_EINVAL);
	assert_int_equal(args(&cfg, err, 1, "stray"), RUCHE_EINVAL);
	assert_string_equal(err, "unexpected argument 'stray'");
	/* Nothing of the refused values stuck. */
	assert_int_equal(cfg.listen_port, 8080);
	assert_int_equal(cfg.log_level, LOG_INFO);
}

/* The limits: their defaults, the environment, then flags over it, and
 * their bounds (0 turns off only those that say so). */
static void test_limits(void **state)
{
	static const char *const env[] = {
		"RUCHE_RATE_PER_CONN=5", "RUCHE_MAX_CONNS_PER_IP=0",
		"RUCHE_IDLE_TIMEOUT=60", NULL,
	};
	struct config cfg;
	char err[200];

	config_defaults(&cfg);
	assert_int_equal(cfg.rate_per_conn, 20);
	assert_int_equal(cfg.rate_burst, 40);
	assert_int_equal(cfg.max_conns_per_ip, 256);
	assert_int_equal(cfg.login_fails_account, 5);
	assert_int_equal(cfg.login_fails_address, 30);
	assert_int_equal(cfg.login_window_s, 900);
	assert_int_equal(cfg.handshake_timeout_s, 10);
	assert_int_equal(cfg.auth_timeout_s, 30);
	assert_int_equal(cfg.idle_timeout_s, 120);
	assert_int_equal(cfg.max_outq_bytes, 4u << 20);
	assert_int_equal(cfg.max_hives, 1000);
	assert_int_equal(cfg.max_channels_per_hive, 50);
	assert_int_equal(cfg.max_members_per_hive, 100);

	fake_env = env;
	assert_int_equal(config_from_env(&cfg, getenv_fake, err, sizeof(err)),
			 0);
	fake_env = NULL;
	assert_int_equal(cfg.rate_per_conn, 5);
	assert_int_equal(cfg.max_conns_per_ip, 0);
	assert_int_equal(args(&cfg, err, 5, "--rate-per-conn", "7",
			      "--max-outq-bytes=65536", "--max-hives", "3"), 0);
	assert_int_equal(cfg.rate_per_conn, 7);
	assert_int_equal(cfg.max_outq_bytes, 65536);
	assert_int_equal(cfg.max_hives, 3);
	assert_int_equal(cfg.idle_timeout_s, 60);

	assert_int_equal(args(&cfg, err, 2, "--rate-burst", "0"),
			 RUCHE_EINVAL);
	assert_non_null(strstr(err, "--rate-burst"));
	assert_int_equal(args(&cfg, err, 2, "--max-hives", "0"), RUCHE_EINVAL);
	assert_int_equal(args(&cfg, err, 2, "--handshake-timeout", "0"),
			 RUCHE_EINVAL);
	assert_int_equal(args(&cfg, err, 2, "--max-outq-bytes", "4095"),
			 RUCHE_EINVAL);
	assert_int_equal(args(&cfg, err, 2, "--login-window", "1d"),
			 RUCHE_EINVAL);
	/* A refused value leaves the setting as it was. */
	assert_int_equal(cfg.max_hives, 3);
}

static void test_help(void **state)
{
	struct config cfg;
	char err[200];

	config_defaults(&cfg);
	assert_int_equal(args(&cfg, err, 1, "--help"), 0);
	assert_true(cfg.show_help);
	assert_non_null(strstr(config_serve_usage, "RUCHE_LISTEN"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_env_then_flags),
		cmocka_unit_test(test_bad_env),
		cmocka_unit_test(test_flag_refusals),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_help),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
