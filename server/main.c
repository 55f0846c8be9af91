/*
 * main.c - the `ruche` command: subcommands, their flags, and the wiring
 * of one server (config, clock, store, transport).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ruche/cli.h"
#include "ruche/config.h"
#include "ruche/hives.h"
#include "ruche/jobs.h"
#include "ruche/err.h"
#include "ruche/log.h"
#include "ruche/meetup_script.h"
#include "ruche/server.h"
#include "ruche/store.h"
#include "transport.h"

#define EXIT_USAGE 2

static const char usage[] =
"Usage: ruche COMMAND [options]\n"
"\n"
"Ruche is a chat server for mentor-led learning communities.\n"
"\n"
"Commands:\n"
"  serve       run the server (ruche serve --help)\n"
"  admin       manage users, hives and invites (ruche admin --help)\n"
"  script      check a meetup script (ruche script --help)\n"
"  backup      copy the database, safe while serving (ruche backup --help)\n"
"  restore     put a backup in place of the database (ruche restore --help)\n"
"  check       check the database (ruche check --help)\n"
"  optimize    merge the search index, server stopped (ruche optimize --help)\n"
"  version     print the version\n"
"  help        show this help\n";

static int usage_error(const char *cmd, const char *msg)
{
	fprintf(stderr, "ruche%s%s: %s (see ruche%s%s --help)\n",
		cmd ? " " : "", cmd ? cmd : "", msg, cmd ? " " : "",
		cmd ? cmd : "");
	return EXIT_USAGE;
}

#define SETUP_LINK_TTL_MS (24LL * 3600 * 1000)
#define HASH_THREADS 2

/*
 * With no admin yet, prints a one-time link that creates the first admin.
 * The code sits in the URL's fragment, which browsers never send to a
 * server, so it reaches no access log; only its hash is stored.
 */
static void print_first_admin_link(struct server *srv)
{
	struct store_invite inv;
	char code[AUTH_TOKEN_LEN + 1];
	int admins = 0;

	if (store_admin_count(srv->store, &admins) || admins > 0)
		return;
	if (invites_create(srv, ACTOR_OPERATOR, 0, ROLE_NONE, 1,
			   SETUP_LINK_TTL_MS, code, &inv)) {
		log_error("could not make a first-admin link");
		return;
	}
	printf("\nNo admin yet. Open this link within 24 hours to create the "
	       "first admin account\n(it works once; `ruche admin invite` "
	       "makes another):\n\n    %s/#/setup/%s\n\n", srv->base_url,
	       code);
}

static int cmd_serve(int argc, char **argv)
{
	struct config cfg;
	struct clock_fake fake;
	struct server srv;
	struct store *st;
	struct stat sb;
	char err[512];
	int rc;

	config_defaults(&cfg);
	if (config_from_env(&cfg, getenv, err, sizeof(err)) ||
	    config_from_args(&cfg, argc, argv, err, sizeof(err)))
		return usage_error("serve", err);
	if (cfg.show_help) {
		fputs(config_serve_usage, stdout);
		return 0;
	}
	if (stat(cfg.client_dir, &sb) || !S_ISDIR(sb.st_mode)) {
		snprintf(err, sizeof(err), "client folder '%.400s' not found",
			 cfg.client_dir);
		return usage_error("serve", err);
	}
	log_set_level(cfg.log_level);
	log_set_json(cfg.log_json);
	rc = store_open(cfg.db_path, &st, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "ruche serve: %s\n", err);
		return 1;
	}
	if (cfg.sync_normal && store_set_sync(st, false)) {
		fprintf(stderr, "ruche serve: cannot set --sync normal\n");
		store_close(st);
		return 1;
	}
	if (cfg.fake_clock) {
		/* Starts at the real time, then moves only by clock.advance. */
		clock_fake_init(&fake, clock_wall_ms(clock_system()));
		log_warn("--fake-clock: time moves only by clock.advance");
	}
	rc = server_init(&srv, &cfg, cfg.fake_clock ? &fake.clock :
			 clock_system(), st);
	if (!rc && cfg.fake_clock)
		srv.fake_clock = &fake;
	if (rc) {
		fprintf(stderr, "ruche serve: %s\n", ruche_strerror(rc));
		store_close(st);
		return 1;
	}
	if (!realpath(cfg.client_dir, srv.client_root)) {
		fprintf(stderr, "ruche serve: client folder not found\n");
		server_release(&srv);
		store_close(st);
		return 1;
	}
	rc = jobs_new(HASH_THREADS, &srv.jobs);
	if (rc) {
		fprintf(stderr, "ruche serve: cannot start worker threads\n");
		server_release(&srv);
		store_close(st);
		return 1;
	}
	srv.on_listen = print_first_admin_link;
	rc = net_run(&srv);
	/* Finish the password jobs under way before their server goes. */
	jobs_free(srv.jobs);
	srv.jobs = NULL;
	server_release(&srv);
	store_close(st);
	return rc;
}

static int cmd_version(int argc, char **argv)
{
	if (argc == 1 && (strcmp(argv[0], "--help") == 0 ||
			  strcmp(argv[0], "-h") == 0)) {
		puts("Usage: ruche version\n\nPrints the version of Ruche "
		     "and of its protocol.");
		return 0;
	}
	if (argc)
		return usage_error("version", "takes no arguments");
	printf("ruche %s (protocol %s)\n", RUCHE_VERSION, "ruche.v1");
	return 0;
}

static const char script_usage[] =
"Usage: ruche script check [--print] FILE\n"
"\n"
"Checks a meetup script (docs/meetups.md) as the server will when a mentor\n"
"saves it.  Valid, it prints \"ok\" and exits 0; with --print, it prints\n"
"the script in the normalised form Ruche stores (defaults filled in)\n"
"instead.  Invalid, it prints every error, one a line, as \"PATH: what is\n"
"wrong\" (e.g. \"steps[3].options: at least 2 options\") and exits 1.\n"
"A FILE of - reads standard input.  docs/meetups.md describes scripts.\n";

/*
 * Reads f into a new buffer, all of it or, when it is larger than max,
 * enough to tell.  NULL when reading fails.
 */
static char *read_all(FILE *f, size_t max, size_t *len)
{
	size_t cap = 8192, n = 0;
	char *buf = malloc(cap), *bigger;

	while (buf) {
		n += fread(buf + n, 1, cap - n, f);
		/* Past max, this is enough for the parser to refuse. */
		if (n < cap || cap > max)
			break;
		bigger = realloc(buf, cap * 2);
		if (!bigger)
			free(buf);
		buf = bigger;
		cap *= 2;
	}
	if (buf && ferror(f)) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static int script_check(const char *file, bool print)
{
	struct meetup_errors errs;
	struct meetup_script *s;
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
	char line[512], *text, *json;
	size_t len;
	int rc;

	if (!f) {
		fprintf(stderr, "ruche script: cannot read %.400s\n", file);
		return 1;
	}
	text = read_all(f, MEETUP_SCRIPT_MAX_BYTES, &len);
	if (f != stdin)
		fclose(f);
	if (!text) {
		fprintf(stderr, "ruche script: cannot read %.400s\n", file);
		return 1;
	}
	meetup_errors_init(&errs);
	rc = meetup_script_parse(text, len, &s, &errs);
	free(text);
	if (rc == 0) {
		json = print ? meetup_script_dumps(s) : NULL;
		puts(print ? (json ? json : "") : "ok");
		free(json);
		meetup_script_free(s);
		return print && !json ? 1 : 0;
	}
	for (int i = 0; i < errs.n; i++)
		puts(meetup_error_line(&errs, i, line, sizeof(line)));
	if (errs.truncated)
		printf("script: more errors than the %d shown\n",
		       MEETUP_ERRORS_MAX);
	if (rc == RUCHE_ENOMEM || errs.nomem)
		fprintf(stderr, "ruche script: %s\n", ruche_strerror(rc));
	meetup_errors_release(&errs);
	return 1;
}

static int cmd_script(int argc, char **argv)
{
	bool print = false;
	int i = 1;

	if (argc >= 1 && (strcmp(argv[0], "--help") == 0 ||
			  strcmp(argv[0], "-h") == 0)) {
		fputs(script_usage, stdout);
		return 0;
	}
	if (argc < 1 || strcmp(argv[0], "check") != 0)
		return usage_error("script", argc ? "unknown subcommand" :
				   "missing subcommand");
	if (i < argc && (strcmp(argv[i], "--help") == 0 ||
			 strcmp(argv[i], "-h") == 0)) {
		fputs(script_usage, stdout);
		return 0;
	}
	if (i < argc && strcmp(argv[i], "--print") == 0) {
		print = true;
		i++;
	}
	if (argc - i != 1)
		return usage_error("script", "check takes one FILE");
	return script_check(argv[i], print);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd || strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "-h") == 0) {
		fputs(usage, cmd ? stdout : stderr);
		return cmd ? 0 : EXIT_USAGE;
	}
	if (strcmp(cmd, "serve") == 0)
		return cmd_serve(argc - 2, argv + 2);
	if (strcmp(cmd, "admin") == 0)
		return cli_admin(argc - 2, argv + 2);
	if (strcmp(cmd, "script") == 0)
		return cmd_script(argc - 2, argv + 2);
	if (strcmp(cmd, "backup") == 0)
		return cli_backup(argc - 2, argv + 2);
	if (strcmp(cmd, "restore") == 0)
		return cli_restore(argc - 2, argv + 2);
	if (strcmp(cmd, "check") == 0)
		return cli_check(argc - 2, argv + 2);
	if (strcmp(cmd, "optimize") == 0)
		return cli_optimize(argc - 2, argv + 2);
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0)
		return cmd_version(argc - 2, argv + 2);
	fprintf(stderr, "ruche: unknown command '%.64s' (see ruche --help)\n",
		cmd);
	return EXIT_USAGE;
}
