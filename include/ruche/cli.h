/*
 * cli.h - the `ruche admin` subcommands.
 *
 * They act on the database directly, through the same domain functions
 * as the server (accounts.h, hives.h), as the operator (ACTOR_OPERATOR).
 * SQLite's WAL mode and busy timeout make that safe while a server runs
 * on the same file.
 */
#ifndef RUCHE_CLI_H
#define RUCHE_CLI_H

/* Runs `ruche admin ARGS...`; argv[0] is the subcommand.  Returns the
 * process exit status: 0, 1 on failure, 2 on a usage error. */
int cli_admin(int argc, char **argv);

/*
 * `ruche backup`, `ruche restore`, `ruche check` and `ruche optimize`
 * (backup.c): a consistent copy of the database while a server runs, its
 * return in place of the database, an integrity check, and the search
 * index merged into one piece.  argv[0] is the first word after the
 * command.  Each returns the process exit status: 0, 1 on failure (a
 * check that finds problems), 2 on a usage error.
 */
int cli_backup(int argc, char **argv);
int cli_restore(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_optimize(int argc, char **argv);

#endif
