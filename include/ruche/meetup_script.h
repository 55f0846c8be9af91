/*
 * meetup_script.h - meetup scripts: parsing, validation, normalised JSON,
 * and the templates shipped with Ruche.
 *
 * A meetup script is JSON (schema/meetup-script.schema.json, described in
 * docs/meetups.md): a title, a description and 1 to 50 timed steps that the
 * meetup runner plays in order.  meetup_script_parse() checks a script
 * against every rule of the schema, plus the two the schema cannot express
 * (the 4-hour total and a round holding at least two turns), and reports
 * every error it finds, each with the path of the field, so that a mentor
 * fixes a script in one go:
 *
 *	steps[3].options: at least 2 options
 *	steps[0].kind: unknown kind "debate"
 *
 * A valid script becomes a struct meetup_script whose strings it owns;
 * defaults are filled in, so its users never see a missing field.
 * meetup_script_to_json() writes it back in the normalised form that Ruche
 * stores: every field present, in a fixed order.
 *
 * Nothing here touches the store, the clock or the network.
 */
#ifndef RUCHE_MEETUP_SCRIPT_H
#define RUCHE_MEETUP_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* Limits, in characters (code points) for text, seconds for times. */
#define MEETUP_TITLE_MAX 100		/* the script's title */
#define MEETUP_DESC_MAX 1000		/* the script's description */
#define MEETUP_STEPS_MAX 50
#define MEETUP_STEP_TITLE_MAX 80
#define MEETUP_TEXT_MAX 1000		/* a step's text, a prompt */
#define MEETUP_QUESTION_MAX 300		/* poll and feedback questions */
#define MEETUP_OPTION_MAX 100		/* one poll option */
#define MEETUP_OPTIONS_MIN 2
#define MEETUP_OPTIONS_MAX 10
#define MEETUP_DURATION_MIN 10		/* any step */
#define MEETUP_BREAKOUT_MIN 60		/* time to move into groups */
#define MEETUP_DURATION_MAX 3600	/* one step: an hour */
#define MEETUP_TOTAL_MAX 14400		/* all steps: four hours */
#define MEETUP_TURN_MIN 10
#define MEETUP_TURN_MAX 600
#define MEETUP_GROUP_MIN 2		/* pairs */
#define MEETUP_GROUP_MAX 8
#define MEETUP_SCRIPT_MAX_BYTES (1024 * 1024)	/* the JSON text */
#define MEETUP_ERRORS_MAX 200		/* errors kept; see truncated */

enum meetup_step_kind {
	MEETUP_ANNOUNCE,	/* post the text to everyone */
	MEETUP_OPEN,		/* free discussion */
	MEETUP_ROUND,		/* each participant speaks in turn */
	MEETUP_BREAKOUT,	/* groups in temporary channels, then back */
	MEETUP_POLL,		/* a question with options */
	MEETUP_FEEDBACK,	/* the NPS question and a comment */
};

/* The order of speakers in a round. */
enum meetup_order {
	MEETUP_ORDER_RANDOM,	  /* shuffled when the step starts */
	MEETUP_ORDER_ALPHABETICAL, /* by display name */
	MEETUP_ORDER_JOIN,	  /* the order people joined the meetup */
};

/* When a poll's results are shown to the participants. */
enum meetup_show {
	MEETUP_SHOW_AFTER,	/* when the step ends */
	MEETUP_SHOW_LIVE,	/* as answers arrive */
};

struct meetup_round {
	int turn_s;		/* seconds each speaker has */
	enum meetup_order order;
	bool speaker_only;	/* only the speaker may post */
};

struct meetup_breakout {
	int group_size;		/* people per group, 2..8; 2 = pairs */
	char *prompt;		/* posted in each group's channel */
	bool avoid_recent;	/* avoid regrouping recent partners */
};

struct meetup_poll {
	char *question;
	char **options;		/* noptions distinct strings */
	int noptions;
	bool multiple;		/* several options may be chosen */
	enum meetup_show show_results;
};

struct meetup_feedback {
	char *question;		/* answered 0 to 10 */
	char *comment_prompt;	/* NULL when no comment is asked */
};

/* One step.  Only the member of the union named by kind is set. */
struct meetup_step {
	enum meetup_step_kind kind;
	char *title;		/* the step banner */
	char *text;		/* posted when the step starts */
	int duration_s;		/* planned length */
	union {
		struct meetup_round round;
		struct meetup_breakout breakout;
		struct meetup_poll poll;
		struct meetup_feedback feedback;
	};
};

/* A valid script.  Every string is owned, valid UTF-8, never NULL unless
 * its comment says so. */
struct meetup_script {
	char *title;
	char *description;	/* "" when none */
	struct meetup_step *steps;
	int nsteps;		/* 1..MEETUP_STEPS_MAX */
	int total_s;		/* sum of the steps' planned durations */
};

/* One problem found in a script. */
struct meetup_error {
	char *path;		/* e.g. "steps[3].options"; "": the script */
	char *msg;		/* e.g. "at least 2 options" */
};

/*
 * The problems found by one parse, in a stable order: the script's fields
 * and each step's in the order of docs/meetups.md, rules across steps after
 * the steps, unknown fields last.  Embedded: initialise with
 * meetup_errors_init(), release with meetup_errors_release().
 */
struct meetup_errors {
	struct meetup_error *v;
	int n;
	int cap;
	bool truncated;		/* more than MEETUP_ERRORS_MAX found */
	bool nomem;		/* an error could not be recorded */
};

void meetup_errors_init(struct meetup_errors *errs);
/* Frees every error; errs is empty and reusable after.  NULL is a no-op. */
void meetup_errors_release(struct meetup_errors *errs);

/*
 * Writes error i as one line, "path: message" ("script: message" for an
 * error about the whole script), into buf (size bytes, truncated to fit).
 * Returns buf.
 */
const char *meetup_error_line(const struct meetup_errors *errs, int i,
			      char *buf, size_t size);

/*
 * Parses and validates the JSON text json[0..len-1].  On success *out is a
 * new script (free with meetup_script_free()) and errs is left empty.
 * Returns:
 *  0             valid;
 *  RUCHE_EINVAL  invalid (or not JSON, not UTF-8, too large): *out is NULL
 *                and errs holds every problem found;
 *  RUCHE_ENOMEM  out of memory: *out is NULL.
 * errs must have been initialised; errors are appended to it.
 */
int meetup_script_parse(const char *json, size_t len,
			struct meetup_script **out, struct meetup_errors *errs);

/* The same for a script that is already a JSON value (borrowed). */
int meetup_script_from_json(const json_t *root, struct meetup_script **out,
			    struct meetup_errors *errs);

/* Frees s and everything it owns.  NULL is a no-op. */
void meetup_script_free(struct meetup_script *s);

/*
 * The normalised JSON of s: every field of its step's kind present, the
 * defaults filled in, keys in the order of docs/meetups.md, comment_prompt
 * left out when NULL.  A new reference (json_decref()), or NULL when out of
 * memory.  Parsing it gives back the same script.
 */
json_t *meetup_script_to_json(const struct meetup_script *s);

/* The same as compact text; caller frees with free().  NULL: no memory. */
char *meetup_script_dumps(const struct meetup_script *s);

/* The name of a kind, e.g. "breakout". */
const char *meetup_step_kind_name(enum meetup_step_kind kind);

/*
 * How many participants a round's plan holds: duration_s / turn_s.  The
 * runner gives everyone present a full turn, so with more people than
 * this the step runs longer than planned, and with fewer it ends early;
 * scheduling compares it with a meetup's cap on participants.
 */
int meetup_round_capacity(const struct meetup_step *step);

/* A script shipped with Ruche (schema/templates/ID.json, built in). */
struct meetup_template {
	const char *id;		/* the file name without .json */
	const char *title;	/* the script's title */
	const char *json;	/* the script as written, NUL-terminated */
};

/*
 * The built-in templates, sorted by id; *n receives their number.  Static
 * storage: valid for the life of the process.
 */
const struct meetup_template *meetup_templates(size_t *n);

/* The template with that id, or NULL. */
const struct meetup_template *meetup_template_find(const char *id);

#endif
