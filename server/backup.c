/*
 * backup.c - `ruche backup`, `ruche restore`, `ruche check` and `ruche
 * optimize`: the database file's safety net and upkeep, for operators.
 *
 * The work is the store's (store_backup(), store_restore(),
 * store_check_file(), store_optimize_search()); this file reads the
 * command line, prints the report and picks the exit status: 0 done, 1
 * failed, 2 a usage error.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ruche/cli.h"
#include "ruche/config.h"
#include "ruche/err.h"
#include "ruche/log.h"
#include "ruche/store.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2

static const char backup_usage[] =
"Usage: ruche backup [--db PATH] [--force] DEST\n"
"\n"
"Copies the database to DEST, consistently, while the server keeps\n"
"running and writing: the copy is the database as it was when the backup\n"
"began, whatever is written meanwhile, and the server is never blocked.\n"
"The copy is made beside DEST, checked, then renamed to DEST, so DEST is\n"
"never half written.\n"
"\n"
"Options:\n"
"  --db PATH   the database (RUCHE_DB), default ./var/ruche.db\n"
"  --force     replace DEST if it exists (refused otherwise)\n"
"  --help      show this help\n";

static const char restore_usage[] =
"Usage: ruche restore SRC [--db PATH] [--force]\n"
"\n"
"Puts the backup SRC in place of the database.  SRC is checked first (as\n"
"`ruche check` does) and refused if it fails.  Stop the server first:\n"
"restore refuses while a process has the database open.  The copy is\n"
"made beside the database, then renamed over it, so the database is\n"
"either the old one or the whole backup, never a mix.\n"
"\n"
"Options:\n"
"  --db PATH   the database to replace (RUCHE_DB), default ./var/ruche.db\n"
"  --force     replace an existing database (refused otherwise)\n"
"  --help      show this help\n";

static const char check_usage[] =
"Usage: ruche check [--db PATH]\n"
"\n"
"Checks the database: SQLite's integrity check (every page and index),\n"
"its foreign keys, that the search index holds exactly the messages\n"
"(only while no server uses the database: that check would hold up its\n"
"writes), and a schema version this ruche knows.  Safe while the\n"
"server runs.  Prints one line per check and \"ok\", exit status 0;\n"
"or every problem found and \"FAILED\", exit status 1.  Restore a backup\n"
"(ruche restore) when it fails.\n"
"\n"
"Options:\n"
"  --db PATH   the database (RUCHE_DB), default ./var/ruche.db\n"
"  --help      show this help\n";

static const char optimize_usage[] =
"Usage: ruche optimize [--db PATH]\n"
"\n"
"Merges the search index into one piece, as an upgrade to this version\n"
"left it.  A database that grew message by message keeps its index in\n"
"pieces, and every search reads each one: at 10 million messages, with\n"
"the 22 pieces such growth left, searches took two to three times as long\n"
"(docs/performance.md).  Stop the server first: optimize refuses while a\n"
"process has the database open, as it rewrites the whole index (a minute\n"
"and a half for 10 million messages) and needs free disk space the size\n"
"of the index meanwhile.  Prints the pieces before and after.\n"
"\n"
"Options:\n"
"  --db PATH   the database (RUCHE_DB), default ./var/ruche.db\n"
"  --help      show this help\n";

/* What the commands read from their command line. */
struct opts {
	char db[1024];		/* --db, or RUCHE_DB, or the default */
	const char *arg;	/* the one positional argument, or NULL */
	bool force;
	bool help;
};

static int usage_error(const char *cmd, const char *msg)
{
	fprintf(stderr, "ruche %s: %s (see ruche %s --help)\n", cmd, msg,
		cmd);
	return EXIT_USAGE;
}

/*
 * Reads [--db PATH] [--force] [--help] and at most one positional
 * argument.  The database path defaults as for `ruche serve`.  0, or an
 * exit status after saying what is wrong.
 */
static int parse(const char *cmd, int argc, char **argv, bool force_ok,
		 struct opts *o)
{
	struct config cfg;
	char err[512];

	memset(o, 0, sizeof(*o));
	config_defaults(&cfg);
	if (config_from_env(&cfg, getenv, err, sizeof(err)))
		return usage_error(cmd, err);
	snprintf(o->db, sizeof(o->db), "%s", cfg.db_path);
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			o->help = true;
		} else if (force_ok && strcmp(a, "--force") == 0) {
			o->force = true;
		} else if (strcmp(a, "--db") == 0 ||
			   strncmp(a, "--db=", 5) == 0) {
			const char *v = a[4] == '=' ? a + 5 :
					i + 1 < argc ? argv[++i] : NULL;

			if (!v || !*v)
				return usage_error(cmd, "--db needs a path");
			if (strlen(v) >= sizeof(o->db))
				return usage_error(cmd, "--db: path too long");
			snprintf(o->db, sizeof(o->db), "%s", v);
		} else if (a[0] == '-' && a[1]) {
			snprintf(err, sizeof(err), "unknown option '%.64s'",
				 a);
			return usage_error(cmd, err);
		} else if (o->arg) {
			return usage_error(cmd, "too many arguments");
		} else {
			o->arg = a;
		}
	}
	/* RUCHE_STORE or RUCHE_DB may name the cluster's PostgreSQL. */
	if (!o->help && store_is_postgres(o->db))
		return usage_error(cmd, "works on SQLite files; PostgreSQL has "
				   "its own tools, pg_dump and pg_restore "
				   "(docs/operations.md)");
	return 0;
}

/* Prints a line of the check's report on stdout. */
static void say(void *arg, bool problem, const char *line)
{
	printf("%s%s\n", problem ? "problem: " : "", line);
}

/* Prints only the problems, on stderr (restore's check of its source). */
static void say_problem(void *arg, bool problem, const char *line)
{
	if (problem)
		fprintf(stderr, "problem: %s\n", line);
}

/* Checks path, printing the report: all of it on stdout, or (quiet) its
 * problems on stderr.  0 sound, 1 not (or not readable at all). */
static int check(const char *cmd, const char *path, bool quiet)
{
	FILE *out = quiet ? stderr : stdout;
	struct store_check res;
	char err[512];
	int rc;

	rc = store_check_file(path, &res, quiet ? say_problem : say, NULL, err,
			      sizeof(err));
	if (rc) {
		fprintf(stderr, "ruche %s: %s (%s)\n", cmd, err,
			ruche_err_code(rc));
		return EXIT_FAIL;
	}
	if (res.problems) {
		fprintf(out, "FAILED: %d problem%s in %s\n", res.problems,
			res.problems == 1 ? "" : "s", path);
		return EXIT_FAIL;
	}
	if (!quiet)
		fprintf(out, "ok\n");
	return 0;
}

/* The one line of a failed operation: scripts read the code at its end. */
static int failure(const char *cmd, int rc, const char *why)
{
	fprintf(stderr, "ruche %s: %s (%s)\n", cmd, why, ruche_err_code(rc));
	return EXIT_FAIL;
}

int cli_backup(int argc, char **argv)
{
	struct opts o;
	struct stat sb;
	char err[1024];
	int rc;

	rc = parse("backup", argc, argv, true, &o);
	if (rc)
		return rc;
	if (o.help) {
		fputs(backup_usage, stdout);
		return 0;
	}
	if (!o.arg)
		return usage_error("backup", "missing DEST");
	rc = store_backup(o.db, o.arg, o.force, err, sizeof(err));
	if (rc)
		return failure("backup", rc, err);
	if (stat(o.arg, &sb))
		return failure("backup", RUCHE_EIO, "the copy is gone");
	printf("backed up %s to %s (%lld bytes)\n", o.db, o.arg,
	       (long long)sb.st_size);
	return 0;
}

int cli_restore(int argc, char **argv)
{
	struct opts o;
	char err[1024];
	int rc;

	rc = parse("restore", argc, argv, true, &o);
	if (rc)
		return rc;
	if (o.help) {
		fputs(restore_usage, stdout);
		return 0;
	}
	if (!o.arg)
		return usage_error("restore", "missing SRC");
	/* A damaged backup would replace a database that may be sound. */
	if (check("restore", o.arg, true)) {
		fprintf(stderr, "ruche restore: %s fails its check: nothing "
			"was changed\n", o.arg);
		return EXIT_FAIL;
	}
	rc = store_restore(o.arg, o.db, o.force, err, sizeof(err));
	if (rc)
		return failure("restore", rc, err);
	printf("restored %s to %s\n", o.arg, o.db);
	return 0;
}

int cli_check(int argc, char **argv)
{
	struct opts o;
	int rc;

	rc = parse("check", argc, argv, false, &o);
	if (rc)
		return rc;
	if (o.help) {
		fputs(check_usage, stdout);
		return 0;
	}
	if (o.arg)
		return usage_error("check", "takes no arguments but --db");
	rc = check("check", o.db, false);
	if (fflush(stdout) || ferror(stdout))
		return EXIT_FAIL;
	return rc;
}

int cli_optimize(int argc, char **argv)
{
	struct opts o;
	char err[1024];
	int rc, before, after;

	rc = parse("optimize", argc, argv, false, &o);
	if (rc)
		return rc;
	if (o.help) {
		fputs(optimize_usage, stdout);
		return 0;
	}
	if (o.arg)
		return usage_error("optimize", "takes no arguments but --db");
	rc = store_optimize_search(o.db, &before, &after, err, sizeof(err));
	if (rc)
		return failure("optimize", rc, err);
	printf("optimized the search index of %s: %d piece%s, now %d\n", o.db,
	       before, before == 1 ? "" : "s", after);
	return 0;
}
