/*
 * cli.c - `ruche admin`: users, hives and invites from the command line.
 *
 * Each subcommand is a row of one table (its name, its function, its usage
 * text, the arguments and flags it takes).  One parser reads the words of
 * every subcommand against that row, so that flags behave the same
 * everywhere; the functions then only call the domain (accounts.h,
 * hives.h) as the operator and print what it returns.
 *
 * Output is for scripts: one line per item with tab-separated fields, or
 * one JSON document with --json.  Names and handles cannot hold a tab nor
 * a newline (auth_normalize_name() refuses control characters), so the
 * lines need no quoting.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "ruche/accounts.h"
#include "ruche/auth.h"
#include "ruche/cli.h"
#include "ruche/config.h"
#include "ruche/err.h"
#include "ruche/hives.h"
#include "ruche/log.h"
#include "ruche/server.h"
#include "ruche/store.h"
#include "ruche/supervision.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2

#define ADMIN_MAX_ARGS 2	/* most positional arguments of a subcommand */
#define ADMIN_DEFAULT_URL "http://127.0.0.1:8080"
#define MINUTE_MS (60LL * 1000)
#define HIVE_INVITE_TTL_MS (7 * 24 * 60 * MINUTE_MS)
#define ADMIN_INVITE_TTL_MS (24 * 60 * MINUTE_MS)

/* The flags, as bits: a subcommand lists those it accepts and needs. */
enum admin_opt {
	OPT_DB = 1 << 0,
	OPT_JSON = 1 << 1,
	OPT_HELP = 1 << 2,
	OPT_DISPLAY_NAME = 1 << 3,
	OPT_ADMIN = 1 << 4,
	OPT_PASSWORD_STDIN = 1 << 5,
	OPT_CAPACITY = 1 << 6,
	OPT_DESCRIPTION = 1 << 7,
	OPT_HIVE = 1 << 8,
	OPT_ROLE = 1 << 9,
	OPT_USES = 1 << 10,
	OPT_EXPIRES = 1 << 11,
	OPT_PUBLIC_URL = 1 << 12,
	OPT_DAYS = 1 << 13,
	OPT_UNTIL = 1 << 14,
};

/* Every subcommand takes these. */
#define OPT_COMMON (OPT_DB | OPT_JSON | OPT_HELP)

static const struct admin_flag {
	const char *name;	/* without the leading dashes */
	unsigned bit;		/* its enum admin_opt */
	const char *value;	/* what its value should be; NULL: none */
} admin_flags[] = {
	{ "db", OPT_DB, "a file path" },
	{ "store", OPT_DB, "a file path or a postgres:// address" },
	{ "json", OPT_JSON, NULL },
	{ "help", OPT_HELP, NULL },
	{ "display-name", OPT_DISPLAY_NAME, "a name" },
	{ "admin", OPT_ADMIN, NULL },
	{ "password-stdin", OPT_PASSWORD_STDIN, NULL },
	{ "capacity", OPT_CAPACITY, "a number of learners, 1 or more" },
	{ "description", OPT_DESCRIPTION, "a text" },
	{ "hive", OPT_HIVE, "a hive id or name" },
	{ "role", OPT_ROLE, "mentor or learner" },
	{ "uses", OPT_USES, "a number of uses, 1 or more" },
	{ "expires", OPT_EXPIRES, "a duration such as 7d, 12h or 30m" },
	{ "public-url", OPT_PUBLIC_URL, "an http:// or https:// URL" },
	{ "days", OPT_DAYS, "a number of days, 1 to 366" },
	{ "until", OPT_UNTIL, "a date as YYYY-MM-DD" },
};

#define NADMIN_FLAGS (sizeof(admin_flags) / sizeof(admin_flags[0]))

/* What the words after the subcommand asked for. */
struct admin_opts {
	unsigned given;			/* enum admin_opt bits seen */
	const char *args[ADMIN_MAX_ARGS]; /* positional; borrowed from argv */
	int nargs;			/* how many of args are set */
	const char *display_name;	/* --display-name; borrowed */
	const char *description;	/* --description; borrowed */
	const char *hive;		/* --hive, an id or a name; borrowed */
	enum role role;			/* --role */
	int capacity;			/* --capacity; 0: the default */
	int uses;			/* --uses */
	int64_t expires_ms;		/* --expires; 0: the default */
	int days;			/* --days; 0: the default */
	int64_t until_ms;		/* --until, end of that day; 0: now */
};

struct admin;

/* One subcommand: its row in the dispatch table. */
struct admin_cmd {
	const char *name;		/* the word after `ruche admin` */
	int (*run)(struct admin *a);	/* 0 or a RUCHE_E* code */
	const char *usage;		/* its --help text */
	int nargs;			/* positional arguments it needs */
	const char *argnames;		/* their names, for a usage error */
	unsigned flags;			/* enum admin_opt bits it accepts */
	unsigned required;		/* enum admin_opt bits it needs */
	unsigned together;		/* bits given all together or none */
};

/* One run of `ruche admin`: what was asked and what it runs on. */
struct admin {
	const struct admin_cmd *cmd;	/* the subcommand */
	struct admin_opts opts;		/* its arguments and flags */
	struct config cfg;		/* --db, --public-url and the caps */
	struct store *store;		/* owned; closed at the end */
	struct server srv;		/* over store; jobs stays NULL */
	char why[256];			/* why it failed, for the error line */
};

/* The options every subcommand shares, for the usage texts. */
#define COMMON_HELP \
"  --store WHERE        the database: an SQLite file (default\n" \
"                       ./var/ruche.db) or postgres://USER@HOST/DB\n" \
"                       (RUCHE_STORE); --db PATH is the same (RUCHE_DB)\n" \
"  --json               print JSON instead of tab-separated lines\n" \
"  -h, --help           show this help\n"

static const char admin_usage[] =
"Usage: ruche admin COMMAND [arguments] [options]\n"
"\n"
"Manages users, hives and invites in the database directly, as the\n"
"operator.  It is safe to run while `ruche serve` uses the same database.\n"
"\n"
"Commands:\n"
"  create-user HANDLE       create an account (password on standard input)\n"
"  create-hive NAME         create a hive\n"
"  add-member HIVE HANDLE   add a user to a hive as mentor or learner\n"
"  invite                   make a hive invite link or a first-admin link\n"
"  list-hives               list every hive\n"
"  list-members HIVE        list the members of a hive\n"
"  reset-password HANDLE    set a new password and end all sessions\n"
"  report                   how each hive and mentor did over a period\n"
"\n"
"Options of every command:\n"
COMMON_HELP
"\n"
"`ruche admin COMMAND --help` describes a command.  Output is one line\n"
"per item with tab-separated fields, or JSON with --json.  Exit status:\n"
"0 on success, 1 when the operation fails (one line on standard error\n"
"ending with its error code in parentheses), 2 for a usage error.\n";

static const char create_user_usage[] =
"Usage: ruche admin create-user HANDLE --password-stdin [options]\n"
"\n"
"Creates an account.  HANDLE is 2 to 32 of a-z, 0-9, '_', '.' and '-'.\n"
"The password is the first line of standard input, which keeps it out of\n"
"the process list and the shell history; it needs 10 characters at least.\n"
"Prints the user id and the handle.\n"
"\n"
"Options:\n"
"  --display-name NAME  the name others see; default the handle\n"
"  --admin              make the account an admin\n"
"  --password-stdin     read the password from standard input (required)\n"
COMMON_HELP
"\n"
"Example:\n"
"  printf '%s\\n' \"$PASSWORD\" |\n"
"      ruche admin create-user ada --admin --password-stdin\n";

static const char create_hive_usage[] =
"Usage: ruche admin create-hive NAME [options]\n"
"\n"
"Creates a hive and prints its id.\n"
"\n"
"Options:\n"
"  --capacity N         most learners it holds; default 12, at most the\n"
"                       server's maximum (RUCHE_HIVE_MAX_CAPACITY, 30)\n"
"  --description TEXT   what the hive is about, 500 characters at most\n"
COMMON_HELP;

static const char add_member_usage[] =
"Usage: ruche admin add-member HIVE HANDLE --role mentor|learner [options]\n"
"\n"
"Adds a user to a hive.  HIVE is the hive's id or its name.  A learner\n"
"needs a free seat, and no mentor may pass their learner cap\n"
"(RUCHE_MENTOR_MAX_LEARNERS, 30).  Prints the hive id, the user id and\n"
"the role.\n"
"\n"
"Options:\n"
"  --role ROLE          mentor or learner (required)\n"
COMMON_HELP;

static const char invite_usage[] =
"Usage: ruche admin invite [--hive HIVE --role mentor|learner] [options]\n"
"\n"
"Makes an invite and prints its link.  With --hive, the link lets people\n"
"join that hive (its id or name) in that role; without, it is a link to\n"
"set up the first admin account.  The link holds a secret code, shown\n"
"only this once: pass it on privately.\n"
"\n"
"Options:\n"
"  --hive HIVE          the hive to invite to, by id or name\n"
"  --role ROLE          mentor or learner (with --hive)\n"
"  --uses N             how many people may use it; default 1\n"
"  --expires TIME       how long it lasts, in days (7d), hours (12h) or\n"
"                       minutes (30m); default 7d, or 24h without --hive\n"
"  --public-url URL     address people use to reach the server\n"
"                       (RUCHE_PUBLIC_URL) default " ADMIN_DEFAULT_URL "\n"
COMMON_HELP;

static const char list_hives_usage[] =
"Usage: ruche admin list-hives [options]\n"
"\n"
"Lists every hive, one per line: id, name, learners/capacity, mentors,\n"
"and whether it is archived (yes or no).\n"
"\n"
"Options:\n"
COMMON_HELP;

static const char list_members_usage[] =
"Usage: ruche admin list-members HIVE [options]\n"
"\n"
"Lists the members of a hive (its id or its name), one per line: user id,\n"
"handle, role and display name.\n"
"\n"
"Options:\n"
COMMON_HELP;

static const char reset_password_usage[] =
"Usage: ruche admin reset-password HANDLE --password-stdin [options]\n"
"\n"
"Sets a new password, read from the first line of standard input, and\n"
"ends every session of the user: they log in again.  Prints the user id\n"
"and the handle.\n"
"\n"
"Options:\n"
"  --password-stdin     read the password from standard input (required)\n"
COMMON_HELP;

static const char report_usage[] =
"Usage: ruche admin report [options]\n"
"\n"
"Supervision: how each hive and each mentor did over a period of whole\n"
"days (UTC).  One line per hive, then one per mentor, tab-separated:\n"
"\n"
"  hive  ID NAME LEARNERS ACTIVE MESSAGES QUESTIONS UNANSWERED\n"
"        REPORTS_OPENED REPORTS_RESOLVED RESOLVE_MEDIAN MOD_ACTIONS\n"
"        AUTO_ACTIONS MEETUPS ATTENDANCE NPS NO_SHOWS\n"
"  mentor ID NAME HIVES MESSAGES HELP_ANSWERS REPORTS_RESOLVED\n"
"        RESOLVE_MEDIAN MOD_ACTIONS MEETUPS_LED ATTENDANCE NO_SHOW_RATE\n"
"        NPS\n"
"\n"
"ACTIVE: learners who posted.  QUESTIONS: learners' new messages in the\n"
"channel named help; UNANSWERED: those nobody else answered (in their\n"
"thread or by quoting them) within 24 hours.  RESOLVE_MEDIAN: median time\n"
"a report stayed open, in seconds, or - when none was resolved.\n"
"MOD_ACTIONS and AUTO_ACTIONS: audit log entries by mentors and admins,\n"
"and by the automatic guard.  MEETUPS: meetups that ended; a mentor's\n"
"MEETUPS_LED: those they scheduled.  ATTENDANCE: of the members who said\n"
"going, the share who came; NO_SHOWS: those who said going and never\n"
"came (NO_SHOW_RATE: their share).  ATTENDANCE, NO_SHOW_RATE and NPS: -\n"
"until a meetup is held.  HIVES: the ids of the hives a mentor mentors,\n"
"comma-separated.\n"
"--json prints the document of the supervision.report operation.\n"
"\n"
"Options:\n"
"  --hive HIVE          only this hive (its id or its name)\n"
"  --days N             the length of the period; default 30\n"
"  --until DATE         its last day, YYYY-MM-DD; default today\n"
COMMON_HELP;

/* ---- Parsing the command line ---------------------------------------- */

static int parse_int(const char *s, long long min, long long max,
		     long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return RUCHE_EINVAL;
	*out = v;
	return 0;
}

/* "7d", "12h" or "30m" in milliseconds.  A bare number is refused: its
 * unit would be a guess. */
static int parse_duration(const char *s, int64_t *out_ms)
{
	static const struct {
		char unit;
		int64_t ms;
	} units[] = { { 'd', 24 * 60 * MINUTE_MS }, { 'h', 60 * MINUTE_MS },
		      { 'm', MINUTE_MS } };
	size_t len = strlen(s);
	char num[24];
	long long n;

	if (len < 2 || len > sizeof(num))
		return RUCHE_EINVAL;
	memcpy(num, s, len - 1);
	num[len - 1] = '\0';
	for (unsigned i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (s[len - 1] != units[i].unit)
			continue;
		if (parse_int(num, 1, INT64_MAX / units[i].ms, &n))
			return RUCHE_EINVAL;
		*out_ms = n * units[i].ms;
		return 0;
	}
	return RUCHE_EINVAL;
}

/*
 * "2026-11-26" as 00:00 UTC of that day, in ms.  Days from the civil date
 * by the usual March-based year, so no time zone enters.
 */
static int parse_date(const char *s, int64_t *out_ms)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
				     30, 31 };
	int y, m, d, n = 0;
	int64_t era, yoe, doy, doe;

	if (strlen(s) != 10 ||
	    sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 ||
	    y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1] ||
	    (m == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400))))
		return RUCHE_EINVAL;
	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	*out_ms = (era * 146097 + doe - 719468) * DAY_MS;
	return 0;
}

/* Copies a value into a fixed field of the config, refusing "" and
 * what would not fit rather than cutting it. */
static int set_field(char *dst, size_t size, const char *value)
{
	size_t n = strlen(value);

	if (!n || n >= size)
		return RUCHE_EINVAL;
	memcpy(dst, value, n + 1);
	return 0;
}

/* Stores the value of one flag.  RUCHE_EINVAL for a bad value. */
static int admin_set(struct admin *a, unsigned bit, const char *value)
{
	struct admin_opts *o = &a->opts;
	long long n;

	switch (bit) {
	case OPT_DB:
		return set_field(a->cfg.db_path, sizeof(a->cfg.db_path), value);
	case OPT_PUBLIC_URL:
		if (strncmp(value, "http://", 7) &&
		    strncmp(value, "https://", 8))
			return RUCHE_EINVAL;
		return set_field(a->cfg.public_url, sizeof(a->cfg.public_url),
				 value);
	case OPT_DISPLAY_NAME:
		o->display_name = value;
		return 0;
	case OPT_DESCRIPTION:
		o->description = value;
		return 0;
	case OPT_HIVE:
		o->hive = value;
		return *value ? 0 : RUCHE_EINVAL;
	case OPT_ROLE:
		o->role = role_parse(value);
		return o->role == ROLE_NONE ? RUCHE_EINVAL : 0;
	case OPT_CAPACITY:
		if (parse_int(value, 1, INT_MAX, &n))
			return RUCHE_EINVAL;
		o->capacity = (int)n;
		return 0;
	case OPT_USES:
		if (parse_int(value, 1, INT_MAX, &n))
			return RUCHE_EINVAL;
		o->uses = (int)n;
		return 0;
	case OPT_EXPIRES:
		return parse_duration(value, &o->expires_ms);
	case OPT_DAYS:
		if (parse_int(value, 1, SUPERVISION_MAX_DAYS, &n))
			return RUCHE_EINVAL;
		o->days = (int)n;
		return 0;
	case OPT_UNTIL:
		if (parse_date(value, &o->until_ms))
			return RUCHE_EINVAL;
		o->until_ms += DAY_MS;	/* the day itself is in */
		return 0;
	}
	return 0;	/* a flag without a value: its bit says it all */
}

static const struct admin_flag *find_flag(const char *name, size_t len)
{
	for (unsigned i = 0; i < NADMIN_FLAGS; i++)
		if (strlen(admin_flags[i].name) == len &&
		    strncmp(admin_flags[i].name, name, len) == 0)
			return &admin_flags[i];
	return NULL;
}

/* Names the flags that were to come together: "--hive and --role". */
static int together_error(unsigned bits, char *err, size_t errlen)
{
	size_t len = 0;

	err[0] = '\0';
	for (unsigned i = 0; i < NADMIN_FLAGS && len < errlen; i++) {
		if (!(bits & admin_flags[i].bit))
			continue;
		bits &= ~admin_flags[i].bit;
		len += (size_t)snprintf(err + len, errlen - len, "%s--%s",
					len ? (bits ? ", " : " and ") : "",
					admin_flags[i].name);
	}
	if (len < errlen)
		snprintf(err + len, errlen - len, " go together");
	return RUCHE_EINVAL;
}

/*
 * Reads the words after the subcommand into a->opts and a->cfg: flags as
 * "--name value" or "--name=value", "-h", positional arguments, and "--"
 * to end the flags (for a handle that starts with a dash).  On a usage
 * error writes a one-line reason into err and returns RUCHE_EINVAL.
 */
static int admin_parse(struct admin *a, int argc, char **argv, char *err,
		       size_t errlen)
{
	const struct admin_cmd *cmd = a->cmd;
	struct admin_opts *o = &a->opts;
	bool flags_done = false;
	unsigned missing;

	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *eq, *value = NULL;
		const struct admin_flag *f;
		size_t len;

		if (flags_done || arg[0] != '-' || !arg[1]) {
			if (o->nargs >= cmd->nargs) {
				snprintf(err, errlen,
					 "unexpected argument '%.64s'", arg);
				return RUCHE_EINVAL;
			}
			o->args[o->nargs++] = arg;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			flags_done = true;
			continue;
		}
		if (strcmp(arg, "-h") == 0)
			arg = "--help";
		eq = strchr(arg, '=');
		len = eq ? (size_t)(eq - arg) - 2 : strlen(arg) - 2;
		f = strncmp(arg, "--", 2) ? NULL : find_flag(arg + 2, len);
		if (!f || !((cmd->flags | OPT_COMMON) & f->bit)) {
			len = eq ? (size_t)(eq - arg) : strlen(arg);
			snprintf(err, errlen, "unknown option '%.*s'",
				 len < 64 ? (int)len : 64, arg);
			return RUCHE_EINVAL;
		}
		if (f->value) {
			if (eq)
				value = eq + 1;
			else if (i + 1 < argc)
				value = argv[++i];
			if (!value) {
				snprintf(err, errlen, "option '--%s' needs a "
					 "value", f->name);
				return RUCHE_EINVAL;
			}
			if (admin_set(a, f->bit, value)) {
				snprintf(err, errlen,
					 "bad value '%.64s' for --%s (%s)",
					 value, f->name, f->value);
				return RUCHE_EINVAL;
			}
		} else if (eq) {
			snprintf(err, errlen, "option '--%s' takes no value",
				 f->name);
			return RUCHE_EINVAL;
		}
		o->given |= f->bit;
	}
	/* Help needs nothing else: `create-user --help` must not ask for a
	 * handle. */
	if (o->given & OPT_HELP)
		return 0;
	if (o->nargs < cmd->nargs) {
		snprintf(err, errlen, "missing argument: %s needs %s",
			 cmd->name, cmd->argnames);
		return RUCHE_EINVAL;
	}
	missing = cmd->required & ~o->given;
	for (unsigned i = 0; missing && i < NADMIN_FLAGS; i++) {
		if (missing & admin_flags[i].bit) {
			snprintf(err, errlen, "option '--%s' is required",
				 admin_flags[i].name);
			return RUCHE_EINVAL;
		}
	}
	if ((o->given & cmd->together) &&
	    (o->given & cmd->together) != cmd->together)
		return together_error(cmd->together, err, errlen);
	return 0;
}

/* ---- Helpers of the subcommands -------------------------------------- */

/* Prints a JSON document on one line and drops the reference. */
static int print_json(json_t *doc)
{
	int rc;

	if (!doc)
		return RUCHE_ENOMEM;
	rc = json_dumpf(doc, stdout, JSON_COMPACT) ? RUCHE_ENOMEM : 0;
	json_decref(doc);
	if (!rc)
		putchar('\n');
	return rc;
}

static bool want_json(const struct admin *a)
{
	return a->opts.given & OPT_JSON;
}

/* A hive by id or by name, naming it in the error line when missing. */
static int find_hive(struct admin *a, const char *id_or_name,
		     struct store_hive *out)
{
	int rc = hives_find(&a->srv, id_or_name, out);

	if (rc == RUCHE_ENOTFOUND)
		snprintf(a->why, sizeof(a->why), "hive '%.64s'", id_or_name);
	return rc;
}

/* A live (not erased) account by handle, in any case. */
static int find_user(struct admin *a, const char *handle,
		     struct store_user *out)
{
	char norm[AUTH_HANDLE_MAX + 1];
	int rc = auth_normalize_handle(handle, norm) ? RUCHE_ENOTFOUND : 0;

	if (!rc)
		rc = store_user_by_handle(a->store, norm, out);
	if (!rc && out->deleted)
		rc = RUCHE_ENOTFOUND;
	if (rc == RUCHE_ENOTFOUND)
		snprintf(a->why, sizeof(a->why), "user '%.64s'", handle);
	return rc;
}

/*
 * Reads the password from the first line of standard input (without its
 * line end), checks it and hashes it into hash.  Standard input is made
 * unbuffered first, so that no copy of the password stays in a stdio
 * buffer we cannot wipe, and nothing past the first line is consumed.
 */
static int read_password_hash(struct admin *a, char hash[AUTH_HASH_MAX])
{
	/* Room for one byte too many, so that a longer line is refused
	 * rather than cut to a password its owner never typed. */
	char pw[AUTH_PASSWORD_MAX + 3];
	size_t n;
	int rc;

	setvbuf(stdin, NULL, _IONBF, 0);
	if (!fgets(pw, sizeof(pw), stdin))
		pw[0] = '\0';
	n = strlen(pw);
	if (n && pw[n - 1] == '\n')
		pw[--n] = '\0';
	if (n && pw[n - 1] == '\r')
		pw[--n] = '\0';
	rc = auth_check_password(pw);
	if (rc)
		snprintf(a->why, sizeof(a->why),
			 "the password on standard input needs %d characters "
			 "at least and %d bytes at most",
			 AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX);
	else
		rc = auth_hash_password(pw, hash);
	OPENSSL_cleanse(pw, sizeof(pw));
	return rc;
}

static int print_user(struct admin *a, const struct store_user *u)
{
	if (want_json(a))
		return print_json(accounts_user_json(u));
	printf("%lld\t%s\n", (long long)u->id, u->handle);
	return 0;
}

/* ---- The subcommands ------------------------------------------------- */

static int admin_create_user(struct admin *a)
{
	const struct admin_opts *o = &a->opts;
	const char *handle = o->args[0];
	const char *name = o->display_name ? o->display_name : handle;
	char norm[AUTH_HANDLE_MAX + 1], hash[AUTH_HASH_MAX];
	char *clean = malloc(strlen(name) + 1);
	struct store_user u;
	int rc = clean ? 0 : RUCHE_ENOMEM;

	/* accounts_create() checks these too; checking first spares the
	 * operator a password hashing that could only be thrown away, and
	 * says which field is wrong. */
	if (!rc && auth_normalize_handle(handle, norm)) {
		rc = RUCHE_EINVAL;
		snprintf(a->why, sizeof(a->why),
			 "a handle is %d to %d of a-z, 0-9, '_', '.' and '-'",
			 AUTH_HANDLE_MIN, AUTH_HANDLE_MAX);
	}
	if (!rc && auth_normalize_name(name, clean, strlen(name) + 1)) {
		rc = RUCHE_EINVAL;
		snprintf(a->why, sizeof(a->why),
			 "a display name is 1 to %d characters, without "
			 "control characters",
			 AUTH_NAME_MAX);
	}
	free(clean);
	if (!rc)
		rc = read_password_hash(a, hash);
	if (!rc)
		rc = accounts_create(&a->srv, handle, name, hash,
				     o->given & OPT_ADMIN, &u);
	if (rc)
		return rc;
	return print_user(a, &u);
}

static int admin_create_hive(struct admin *a)
{
	const struct admin_opts *o = &a->opts;
	struct store_hive h;
	int rc;

	rc = hives_create(&a->srv, ACTOR_OPERATOR, o->args[0], o->description,
			  o->capacity, &h);
	if (rc == RUCHE_EINVAL)
		snprintf(a->why, sizeof(a->why),
			 "a hive has a name of 1 to %d characters (no control "
			 "characters), a description of at most %d and a "
			 "capacity of 1 to %d",
			 HIVE_NAME_MAX, HIVE_DESC_MAX,
			 a->cfg.hive_max_capacity);
	if (rc)
		return rc;
	if (want_json(a))
		return print_json(hives_hive_json(&h));
	printf("%lld\n", (long long)h.id);
	return 0;
}

static int admin_add_member(struct admin *a)
{
	const struct admin_opts *o = &a->opts;
	struct store_hive h;
	struct store_user u;
	int rc;

	rc = find_hive(a, o->args[0], &h);
	if (!rc)
		rc = find_user(a, o->args[1], &u);
	if (!rc)
		rc = hives_add_member(&a->srv, ACTOR_OPERATOR, h.id, u.id,
				      o->role);
	if (rc)
		return rc;
	if (want_json(a))
		return print_json(json_pack("{s:I, s:I, s:s, s:s}", "hive_id",
					    (json_int_t)h.id, "user_id",
					    (json_int_t)u.id, "handle",
					    u.handle, "role",
					    role_name(o->role)));
	printf("%lld\t%lld\t%s\n", (long long)h.id, (long long)u.id,
	       role_name(o->role));
	return 0;
}

static int admin_invite(struct admin *a)
{
	const struct admin_opts *o = &a->opts;
	const char *base = a->cfg.public_url[0] ? a->cfg.public_url :
						  ADMIN_DEFAULT_URL;
	size_t baselen = strlen(base);
	char code[AUTH_TOKEN_LEN + 1];
	char url[sizeof(a->cfg.public_url) + AUTH_TOKEN_LEN + 16];
	struct store_invite inv;
	struct store_hive h = { 0 };
	int64_t ttl = o->expires_ms;
	int rc = 0;

	if (o->hive)
		rc = find_hive(a, o->hive, &h);
	if (rc)
		return rc;
	if (!ttl)
		ttl = o->hive ? HIVE_INVITE_TTL_MS : ADMIN_INVITE_TTL_MS;
	rc = invites_create(&a->srv, ACTOR_OPERATOR, h.id, o->role,
			    o->uses ? o->uses : 1, ttl, code, &inv);
	if (rc == RUCHE_EINVAL)
		snprintf(a->why, sizeof(a->why),
			 "--uses or --expires is out of range");
	if (rc)
		return rc;
	while (baselen && base[baselen - 1] == '/')
		baselen--;
	snprintf(url, sizeof(url), "%.*s/#/%s/%s", (int)baselen, base,
		 o->hive ? "invite" : "setup", code);
	/* The code goes to standard output only, inside the link: never to
	 * the log, never to standard error. */
	if (want_json(a)) {
		json_t *doc = hives_invite_json(&inv, clock_wall_ms(
							      a->srv.clock));

		if (doc)
			json_object_set_new(doc, "url", json_string(url));
		rc = print_json(doc);
	} else {
		printf("%s\n", url);
	}
	OPENSSL_cleanse(code, sizeof(code));
	OPENSSL_cleanse(url, sizeof(url));
	return rc;
}

static int admin_list_hives(struct admin *a)
{
	json_t *hives, *h;
	size_t i;
	int rc = hives_list(&a->srv, ACTOR_OPERATOR, &hives);

	if (rc)
		return rc;
	/* The operator is no member: their "role" in each hive says
	 * nothing. */
	json_array_foreach(hives, i, h)
		json_object_del(h, "role");
	if (want_json(a))
		return print_json(hives);
	json_array_foreach(hives, i, h)
		printf("%lld\t%s\t%lld/%lld\t%lld\t%s\n",
		       (long long)json_integer_value(json_object_get(h, "id")),
		       json_string_value(json_object_get(h, "name")),
		       (long long)json_integer_value(
			       json_object_get(h, "learners")),
		       (long long)json_integer_value(
			       json_object_get(h, "capacity")),
		       (long long)json_integer_value(
			       json_object_get(h, "mentors")),
		       json_is_true(json_object_get(h, "archived")) ? "yes" :
								      "no");
	json_decref(hives);
	return 0;
}

static int admin_list_members(struct admin *a)
{
	struct store_hive h;
	json_t *members, *m;
	size_t i;
	int rc;

	rc = find_hive(a, a->opts.args[0], &h);
	if (!rc)
		rc = hives_members(&a->srv, ACTOR_OPERATOR, h.id, &members);
	if (rc)
		return rc;
	if (want_json(a))
		return print_json(members);
	json_array_foreach(members, i, m)
		printf("%lld\t%s\t%s\t%s\n",
		       (long long)json_integer_value(
			       json_object_get(m, "user_id")),
		       json_string_value(json_object_get(m, "handle")),
		       json_string_value(json_object_get(m, "role")),
		       json_string_value(json_object_get(m, "display_name")));
	json_decref(members);
	return 0;
}

static int admin_reset_password(struct admin *a)
{
	char hash[AUTH_HASH_MAX];
	struct store_user u;
	int rc;

	rc = find_user(a, a->opts.args[0], &u);
	if (!rc)
		rc = read_password_hash(a, hash);
	/* keep_session 0: an operator resets a password when an account is
	 * lost or stolen, so no session of it may survive. */
	if (!rc)
		rc = accounts_set_password(&a->srv, u.id, hash, 0);
	if (rc)
		return rc;
	return print_user(a, &u);
}

/* A figure of the report, or "-" for JSON null. */
static void print_figure(json_t *v, const char *end)
{
	if (json_is_integer(v))
		printf("%lld%s", (long long)json_integer_value(v), end);
	else if (json_is_real(v))
		printf("%.2f%s", json_real_value(v), end);
	else
		printf("-%s", end);
}

static void print_figures(json_t *o, const char *const *keys)
{
	for (; *keys; keys++) {
		json_t *v = json_object_get(o, *keys);

		/* Seconds are enough for a time to resolve. */
		if (strcmp(*keys, "resolve_median_ms") == 0 &&
		    json_is_integer(v))
			printf("%lld", (long long)json_integer_value(v) / 1000);
		else
			print_figure(v, "");
		putchar(keys[1] ? '\t' : '\n');
	}
}

static int admin_report(struct admin *a)
{
	static const char *const hive_keys[] = {
		"learners", "active_learners", "messages", "help_questions",
		"help_unanswered", "reports_opened", "reports_resolved",
		"resolve_median_ms", "mod_actions", "auto_actions",
		"meetups_held", "meetup_attendance", "nps", "meetup_no_shows",
		NULL };
	static const char *const mentor_keys[] = {
		"messages", "help_answers", "reports_resolved",
		"resolve_median_ms", "mod_actions", "meetups_led",
		"meetup_attendance", "meetup_no_show_rate", "nps", NULL };
	int64_t to = a->opts.until_ms, now = clock_wall_ms(a->srv.clock);
	int days = a->opts.days ? a->opts.days : 30;
	struct store_hive h = { 0 };
	json_t *doc, *x, *id;
	size_t i, k;
	int rc = 0;

	/* The period ends with today (or --until) included. */
	if (!to)
		to = now - now % DAY_MS + DAY_MS;
	if (a->opts.hive)
		rc = find_hive(a, a->opts.hive, &h);
	if (!rc)
		rc = supervision_report(&a->srv, ACTOR_OPERATOR, h.id,
					to - days * DAY_MS, to, &doc);
	if (rc)
		return rc;
	if (want_json(a))
		return print_json(doc);
	json_array_foreach(json_object_get(doc, "hives"), i, x) {
		printf("hive\t%lld\t%s\t",
		       (long long)json_integer_value(json_object_get(x,
							"hive_id")),
		       json_string_value(json_object_get(x, "name")));
		print_figures(x, hive_keys);
	}
	json_array_foreach(json_object_get(doc, "mentors"), i, x) {
		printf("mentor\t%lld\t%s\t",
		       (long long)json_integer_value(json_object_get(x,
							"user_id")),
		       json_string_value(json_object_get(x, "display_name")));
		json_array_foreach(json_object_get(x, "hive_ids"), k, id)
			printf("%s%lld", k ? "," : "",
			       (long long)json_integer_value(id));
		putchar('\t');
		print_figures(x, mentor_keys);
	}
	json_decref(doc);
	return 0;
}

static const struct admin_cmd admin_cmds[] = {
	{ "create-user", admin_create_user, create_user_usage, 1, "HANDLE",
	  OPT_DISPLAY_NAME | OPT_ADMIN | OPT_PASSWORD_STDIN,
	  OPT_PASSWORD_STDIN, 0 },
	{ "create-hive", admin_create_hive, create_hive_usage, 1, "NAME",
	  OPT_CAPACITY | OPT_DESCRIPTION, 0, 0 },
	{ "add-member", admin_add_member, add_member_usage, 2, "HIVE HANDLE",
	  OPT_ROLE, OPT_ROLE, 0 },
	{ "invite", admin_invite, invite_usage, 0, "",
	  OPT_HIVE | OPT_ROLE | OPT_USES | OPT_EXPIRES | OPT_PUBLIC_URL, 0,
	  OPT_HIVE | OPT_ROLE },
	{ "list-hives", admin_list_hives, list_hives_usage, 0, "", 0, 0, 0 },
	{ "list-members", admin_list_members, list_members_usage, 1, "HIVE",
	  0, 0, 0 },
	{ "reset-password", admin_reset_password, reset_password_usage, 1,
	  "HANDLE", OPT_PASSWORD_STDIN, OPT_PASSWORD_STDIN, 0 },
	{ "report", admin_report, report_usage, 0, "",
	  OPT_HIVE | OPT_DAYS | OPT_UNTIL, 0, 0 },
};

#define NADMIN_CMDS (sizeof(admin_cmds) / sizeof(admin_cmds[0]))

/* ---- The entry point ------------------------------------------------- */

static int usage_error(const char *cmd, const char *msg)
{
	fprintf(stderr, "ruche admin%s%s: %s (see ruche admin%s%s --help)\n",
		cmd ? " " : "", cmd ? cmd : "", msg, cmd ? " " : "",
		cmd ? cmd : "");
	return EXIT_USAGE;
}

/* The one line of a failed operation: scripts read the code at its end. */
static int failure(const struct admin *a, int rc)
{
	fprintf(stderr, "ruche admin %s: %s%s%s (%s)\n", a->cmd->name,
		ruche_strerror(rc), a->why[0] ? ": " : "", a->why,
		ruche_err_code(rc));
	return EXIT_FAIL;
}

static const struct admin_cmd *find_cmd(const char *name)
{
	for (unsigned i = 0; i < NADMIN_CMDS; i++)
		if (strcmp(admin_cmds[i].name, name) == 0)
			return &admin_cmds[i];
	return NULL;
}

/* Opens the store and the server over it, runs the subcommand, closes. */
static int admin_run(struct admin *a)
{
	char err[512];
	int rc;

	rc = store_open(a->cfg.db_path, &a->store, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "ruche admin %s: %s (%s)\n", a->cmd->name, err,
			ruche_err_code(rc));
		return EXIT_FAIL;
	}
	rc = server_init(&a->srv, &a->cfg, clock_system(), a->store);
	if (rc) {
		store_close(a->store);
		return failure(a, rc);
	}
	rc = a->cmd->run(a);
	server_release(&a->srv);
	store_close(a->store);
	if (rc)
		return failure(a, rc);
	/* A script must not take a cut-off output (a full disk, a closed
	 * pipe) for a success. */
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "ruche admin %s: cannot write the output\n",
			a->cmd->name);
		return EXIT_FAIL;
	}
	return 0;
}

int cli_admin(int argc, char **argv)
{
	struct admin *a;
	char err[512];
	int rc;

	if (argc < 1) {
		fputs(admin_usage, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0 ||
	    strcmp(argv[0], "help") == 0) {
		fputs(admin_usage, stdout);
		return 0;
	}
	if (!find_cmd(argv[0])) {
		snprintf(err, sizeof(err), "unknown command '%.64s'", argv[0]);
		return usage_error(NULL, err);
	}
	/* struct admin holds a config and a server: several kilobytes,
	 * better on the heap than on the stack. */
	a = calloc(1, sizeof(*a));
	if (!a) {
		fprintf(stderr, "ruche admin: %s\n",
			ruche_strerror(RUCHE_ENOMEM));
		return EXIT_FAIL;
	}
	a->cmd = find_cmd(argv[0]);
	/* The same RUCHE_* variables as `ruche serve`: the command then
	 * finds the server's database and applies the server's caps. */
	config_defaults(&a->cfg);
	rc = config_from_env(&a->cfg, getenv, err, sizeof(err));
	if (!rc)
		rc = admin_parse(a, argc - 1, argv + 1, err, sizeof(err));
	if (rc) {
		rc = usage_error(a->cmd->name, err);
	} else if (a->opts.given & OPT_HELP) {
		fputs(a->cmd->usage, stdout);
	} else {
		/* The domain's info lines (ids of what was created) belong in
		 * the server's log; here the output already says it all.
		 * RUCHE_LOG_LEVEL still turns them on. */
		log_set_level(getenv("RUCHE_LOG_LEVEL") ? a->cfg.log_level :
							  LOG_WARN);
		rc = admin_run(a);
	}
	free(a);
	return rc;
}
