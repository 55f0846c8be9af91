/*
 * main.c - the `ruche` command: subcommands, their flags, and the wiring
 * of one server (config, clock, store, transport).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ruche/config.h"
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
"  version     print the version\n"
"  help        show this help\n";

static int usage_error(const char *cmd, const char *msg)
{
	fprintf(stderr, "ruche%s%s: %s (see ruche%s%s --help)\n",
		cmd ? " " : "", cmd ? cmd : "", msg, cmd ? " " : "",
		cmd ? cmd : "");
	return EXIT_USAGE;
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
	rc = server_init(&srv, &cfg, clock_system(), st);
	if (rc) {
		fprintf(stderr, "ruche serve: %s\n", ruche_strerror(rc));
		store_close(st);
		return 1;
	}
	rc = net_run(&srv);
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
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0)
		return cmd_version(argc - 2, argv + 2);
	fprintf(stderr, "ruche: unknown command '%.64s' (see ruche --help)\n",
		cmd);
	return EXIT_USAGE;
}
