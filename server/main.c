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
	rc = server_init(&srv, &cfg, clock_system(), st);
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
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0)
		return cmd_version(argc - 2, argv + 2);
	fprintf(stderr, "ruche: unknown command '%.64s' (see ruche --help)\n",
		cmd);
	return EXIT_USAGE;
}
