/*
 * meetup_script.c - meetup scripts: validation that reports every error,
 * the normalised JSON, and the list of built-in templates.
 *
 * The rules are those of schema/meetup-script.schema.json; the Node test
 * tests/integration/meetup-scripts.test.mjs checks that both refuse the same
 * scripts.  Validation goes on after an error so that one pass reports all
 * of them; a field is copied into the script only when it is valid, and the
 * script is handed out only when nothing was wrong.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruche/err.h"
#include "ruche/meetup_script.h"
#include "ruche/utf8.h"

/* Generated from schema/templates by cmake/embed_templates.cmake. */
extern const struct meetup_template meetup_template_table[];
extern const size_t meetup_template_count;

#define PATH_MAX_LEN 96	/* "steps[49].options[9]", or a quoted key */
#define QUOTE_MAX 40		/* bytes of a bad value in a message */

static const char *const kind_names[] = {
	[MEETUP_ANNOUNCE] = "announce", [MEETUP_OPEN] = "open",
	[MEETUP_ROUND] = "round", [MEETUP_BREAKOUT] = "breakout",
	[MEETUP_POLL] = "poll", [MEETUP_FEEDBACK] = "feedback",
};
#define NKINDS ((int)(sizeof(kind_names) / sizeof(kind_names[0])))

static const char *const order_names[] = {
	[MEETUP_ORDER_RANDOM] = "random",
	[MEETUP_ORDER_ALPHABETICAL] = "alphabetical",
	[MEETUP_ORDER_JOIN] = "join",
};

static const char *const show_names[] = {
	[MEETUP_SHOW_AFTER] = "after", [MEETUP_SHOW_LIVE] = "live",
};

/* The fields every step has, then those of each kind. */
static const char *const common_fields[] = {
	"kind", "title", "text", "duration_s", NULL
};
static const char *const round_fields[] = {
	"turn_s", "order", "speaker_only", NULL
};
static const char *const breakout_fields[] = {
	"group_size", "prompt", "avoid_recent", NULL
};
static const char *const poll_fields[] = {
	"question", "options", "multiple", "show_results", NULL
};
static const char *const feedback_fields[] = {
	"question", "comment_prompt", NULL
};
static const char *const *const kind_fields[] = {
	[MEETUP_ANNOUNCE] = NULL, [MEETUP_OPEN] = NULL,
	[MEETUP_ROUND] = round_fields, [MEETUP_BREAKOUT] = breakout_fields,
	[MEETUP_POLL] = poll_fields, [MEETUP_FEEDBACK] = feedback_fields,
};
static const char *const script_fields[] = {
	"title", "description", "steps", NULL
};

/* One validation: where errors go, and whether memory ran out. */
struct check {
	struct meetup_errors *errs;
	int nerrors;		/* found, kept or not */
	bool nomem;
};

void meetup_errors_init(struct meetup_errors *errs)
{
	memset(errs, 0, sizeof(*errs));
}

void meetup_errors_release(struct meetup_errors *errs)
{
	if (!errs)
		return;
	for (int i = 0; i < errs->n; i++) {
		free(errs->v[i].path);
		free(errs->v[i].msg);
	}
	free(errs->v);
	meetup_errors_init(errs);
}

const char *meetup_error_line(const struct meetup_errors *errs, int i,
			      char *buf, size_t size)
{
	const struct meetup_error *e = &errs->v[i];

	snprintf(buf, size, "%s: %s", e->path[0] ? e->path : "script",
		 e->msg);
	return buf;
}

static void add_error(struct check *c, const char *path, const char *fmt,
		      ...) __attribute__((format(printf, 3, 4)));

static void add_error(struct check *c, const char *path, const char *fmt,
		      ...)
{
	struct meetup_errors *errs = c->errs;
	char msg[256];
	va_list ap;

	c->nerrors++;
	if (errs->n >= MEETUP_ERRORS_MAX) {
		errs->truncated = true;
		return;
	}
	if (errs->n == errs->cap) {
		int cap = errs->cap ? errs->cap * 2 : 8;
		struct meetup_error *v = realloc(errs->v, (size_t)cap *
						 sizeof(*v));

		if (!v) {
			errs->nomem = c->nomem = true;
			return;
		}
		errs->v = v;
		errs->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	errs->v[errs->n].path = strdup(path);
	errs->v[errs->n].msg = strdup(msg);
	if (!errs->v[errs->n].path || !errs->v[errs->n].msg) {
		free(errs->v[errs->n].path);
		free(errs->v[errs->n].msg);
		errs->nomem = c->nomem = true;
		return;
	}
	errs->n++;
}

static const char *quote(const char *s, char *out, size_t size);

/* A path too long for a message line ends with "..." where it was cut. */
static void mark_cut(char *out, int n)
{
	if (n < 0 || n >= PATH_MAX_LEN)
		memcpy(out + PATH_MAX_LEN - 4, "...", 4);
}

/* path + "." + key, or key alone at the top; an odd key is tamed. */
static void join_key(char *out, const char *path, const char *key)
{
	char q[QUOTE_MAX + 8];

	mark_cut(out, snprintf(out, PATH_MAX_LEN, "%s%s%s", path,
			       path[0] ? "." : "", quote(key, q, sizeof(q))));
}

static void join_index(char *out, const char *path, size_t i)
{
	mark_cut(out, snprintf(out, PATH_MAX_LEN, "%s[%zu]", path, i));
}

/*
 * Quotes a bad value for a message: at most QUOTE_MAX bytes, cut on a
 * character boundary, control characters shown as '?', so that a message
 * stays one short line.
 */
static const char *quote(const char *s, char *out, size_t size)
{
	size_t n = 0, len = strlen(s);
	bool cut = len > QUOTE_MAX;

	if (cut) {
		len = QUOTE_MAX;
		while (len && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--;
	}
	for (size_t i = 0; i < len && n + 4 < size; i++) {
		unsigned char ch = (unsigned char)s[i];

		out[n++] = ch < 0x20 || ch == 0x7F || ch == '"' ? '?' :
			   (char)ch;
	}
	if (cut && n + 4 < size) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
	return out;
}

/* Decodes the code point at *p (well-formed UTF-8) and moves past it. */
static uint32_t next_cp(const unsigned char **p)
{
	const unsigned char *s = *p;
	uint32_t cp;
	int n;

	if (s[0] < 0x80) {
		*p = s + 1;
		return s[0];
	}
	if (s[0] < 0xE0) {
		cp = s[0] & 0x1F;
		n = 1;
	} else if (s[0] < 0xF0) {
		cp = s[0] & 0x0F;
		n = 2;
	} else {
		cp = s[0] & 0x07;
		n = 3;
	}
	for (int i = 1; i <= n; i++)
		cp = (cp << 6) | (s[i] & 0x3F);
	*p = s + n + 1;
	return cp;
}

/*
 * White space as JavaScript's \s sees it, since the schema's "\S" pattern
 * is what clients check: Unicode spaces, line terminators and the BOM.
 */
static bool is_space(uint32_t cp)
{
	switch (cp) {
	case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20:
	case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F:
	case 0x205F: case 0x3000: case 0xFEFF:
		return true;
	default:
		return cp >= 0x2000 && cp <= 0x200A;
	}
}

enum text_rule {
	TEXT_LINE,	/* one line, not blank: titles, questions, options */
	TEXT_BLOCK,	/* line breaks and tabs allowed, not blank */
	TEXT_FREE,	/* like TEXT_BLOCK, may be empty or blank */
};

/*
 * Checks a string field against rule and max (characters) and returns a
 * copy, or NULL after recording each thing wrong with it (or when memory
 * ran out, which c->nomem tells).
 */
static char *check_text(struct check *c, const char *path, const json_t *v,
			enum text_rule rule, size_t max)
{
	const unsigned char *p, *end;
	bool control = false, blank = true;
	const char *s;
	size_t len, count;
	char *copy;
	int before = c->nerrors;

	if (!json_is_string(v)) {
		add_error(c, path, "must be a string");
		return NULL;
	}
	s = json_string_value(v);
	len = json_string_length(v);
	if (!utf8_valid(s, len)) {
		add_error(c, path, "not valid UTF-8");
		return NULL;
	}
	if (memchr(s, '\0', len)) {
		add_error(c, path, "must not hold a NUL character");
		return NULL;
	}
	p = (const unsigned char *)s;
	end = p + len;
	while (p < end) {
		uint32_t cp = next_cp(&p);

		if (cp < 0x20 || cp == 0x7F)
			if (rule == TEXT_LINE || (cp != '\n' && cp != '\t'))
				control = true;
		if (!is_space(cp))
			blank = false;
	}
	count = utf8_count(s, len);
	if (len == 0 && rule != TEXT_FREE)
		add_error(c, path, "must not be empty");
	else if (blank && rule != TEXT_FREE)
		add_error(c, path, "must not be only white space");
	if (control)
		add_error(c, path, rule == TEXT_LINE ?
			  "must be one line, without control characters" :
			  "control characters other than line breaks and "
			  "tabs are not allowed");
	if (count > max)
		add_error(c, path, "at most %zu characters (this has %zu)",
			  max, count);
	if (c->nerrors != before)
		return NULL;
	copy = strdup(s);
	if (!copy)
		c->nomem = true;
	return copy;
}

/* Checks an integer in [min, max] into *out; false after an error. */
static bool check_int(struct check *c, const char *path, const json_t *v,
		      int min, int max, const char *unit, int *out)
{
	double d;

	/*
	 * 60.0 is an integer to the schema too; a real that large has no
	 * fraction, and is kept from the cast, which would overflow.
	 */
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		d = i < INT32_MIN ? INT32_MIN : i > INT32_MAX ? INT32_MAX :
		    (double)i;
	} else if (json_is_real(v) && (fabs(json_real_value(v)) > 1e15 ||
		   json_real_value(v) ==
		   (double)(int64_t)json_real_value(v))) {
		d = json_real_value(v);
	} else {
		add_error(c, path, "must be an integer");
		return false;
	}
	if (d < min) {
		add_error(c, path, "at least %d%s", min, unit);
		return false;
	}
	if (d > max) {
		add_error(c, path, "at most %d%s", max, unit);
		return false;
	}
	*out = (int)d;
	return true;
}

static bool check_bool(struct check *c, const char *path, const json_t *v,
		       bool *out)
{
	if (!json_is_boolean(v)) {
		add_error(c, path, "must be true or false");
		return false;
	}
	*out = json_is_true(v);
	return true;
}

/* "a, b or c" for a message. */
static void list_names(const char *const *names, int n, char *out,
		       size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (int i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%s",
					i == 0 ? "" : i == n - 1 ? " or " :
					", ", names[i]);
}

/* Checks a value that must be one of names into *out. */
static bool check_enum(struct check *c, const char *path, const json_t *v,
		       const char *what, const char *const *names, int n,
		       int *out)
{
	char list[128], q[QUOTE_MAX + 8];

	list_names(names, n, list, sizeof(list));
	if (!json_is_string(v)) {
		add_error(c, path, "must be %s", list);
		return false;
	}
	for (int i = 0; i < n; i++) {
		if (strcmp(json_string_value(v), names[i]) == 0) {
			*out = i;
			return true;
		}
	}
	add_error(c, path, "unknown %s \"%s\" (one of %s)", what,
		  quote(json_string_value(v), q, sizeof(q)), list);
	return false;
}

static bool in_list(const char *const *list, const char *key)
{
	for (; list && *list; list++)
		if (strcmp(*list, key) == 0)
			return true;
	return false;
}

/* The kind whose own fields include key, or -1. */
static int kind_of_field(const char *key)
{
	for (int k = 0; k < NKINDS; k++)
		if (in_list(kind_fields[k], key))
			return k;
	return -1;
}

/* A required field: NULL after recording that it is missing. */
static const json_t *need(struct check *c, const char *path,
			  const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	char p[PATH_MAX_LEN];

	if (!v) {
		join_key(p, path, key);
		add_error(c, p, "required");
	}
	return v;
}

static void step_release(struct meetup_step *st)
{
	free(st->title);
	free(st->text);
	switch (st->kind) {
	case MEETUP_BREAKOUT:
		free(st->breakout.prompt);
		break;
	case MEETUP_POLL:
		free(st->poll.question);
		for (int i = 0; i < st->poll.noptions; i++)
			free(st->poll.options[i]);
		free(st->poll.options);
		break;
	case MEETUP_FEEDBACK:
		free(st->feedback.question);
		free(st->feedback.comment_prompt);
		break;
	default:
		break;
	}
	memset(st, 0, sizeof(*st));
}

static void check_round(struct check *c, const char *path, const json_t *o,
			struct meetup_step *st)
{
	char p[PATH_MAX_LEN];
	const json_t *v;
	int order;

	st->round.order = MEETUP_ORDER_RANDOM;
	if ((v = need(c, path, o, "turn_s"))) {
		join_key(p, path, "turn_s");
		check_int(c, p, v, MEETUP_TURN_MIN, MEETUP_TURN_MAX,
			  " seconds", &st->round.turn_s);
	}
	if ((v = json_object_get(o, "order"))) {
		join_key(p, path, "order");
		if (check_enum(c, p, v, "order", order_names, 3, &order))
			st->round.order = (enum meetup_order)order;
	}
	if ((v = json_object_get(o, "speaker_only"))) {
		join_key(p, path, "speaker_only");
		check_bool(c, p, v, &st->round.speaker_only);
	}
}

static void check_breakout(struct check *c, const char *path,
			   const json_t *o, struct meetup_step *st)
{
	char p[PATH_MAX_LEN];
	const json_t *v;

	st->breakout.avoid_recent = true;
	if ((v = need(c, path, o, "group_size"))) {
		join_key(p, path, "group_size");
		check_int(c, p, v, MEETUP_GROUP_MIN, MEETUP_GROUP_MAX,
			  " people", &st->breakout.group_size);
	}
	if ((v = need(c, path, o, "prompt"))) {
		join_key(p, path, "prompt");
		st->breakout.prompt = check_text(c, p, v, TEXT_BLOCK,
						 MEETUP_TEXT_MAX);
	}
	if ((v = json_object_get(o, "avoid_recent"))) {
		join_key(p, path, "avoid_recent");
		check_bool(c, p, v, &st->breakout.avoid_recent);
	}
}

static void check_options(struct check *c, const char *path,
			  const json_t *v, struct meetup_poll *poll)
{
	size_t n = json_array_size(v);
	char p[PATH_MAX_LEN];

	if (!json_is_array(v)) {
		add_error(c, path, "must be an array of strings");
		return;
	}
	if (n < MEETUP_OPTIONS_MIN)
		add_error(c, path, "at least %d options", MEETUP_OPTIONS_MIN);
	if (n > MEETUP_OPTIONS_MAX)
		add_error(c, path, "at most %d options (this has %zu)",
			  MEETUP_OPTIONS_MAX, n);
	if (n > MEETUP_OPTIONS_MAX)
		n = MEETUP_OPTIONS_MAX;	/* the rest is not looked at */
	poll->options = calloc(n ? n : 1, sizeof(char *));
	if (!poll->options) {
		c->nomem = true;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *o = json_array_get(v, i);
		char *s;

		join_index(p, path, i);
		s = check_text(c, p, o, TEXT_LINE, MEETUP_OPTION_MAX);
		for (int j = 0; s && j < poll->noptions; j++) {
			if (strcmp(poll->options[j], s) == 0) {
				add_error(c, p, "the same as an earlier "
					  "option");
				free(s);
				s = NULL;
			}
		}
		if (s)
			poll->options[poll->noptions++] = s;
	}
}

static void check_poll(struct check *c, const char *path, const json_t *o,
		       struct meetup_step *st)
{
	char p[PATH_MAX_LEN];
	const json_t *v;
	int show;

	st->poll.show_results = MEETUP_SHOW_AFTER;
	if ((v = need(c, path, o, "question"))) {
		join_key(p, path, "question");
		st->poll.question = check_text(c, p, v, TEXT_LINE,
					       MEETUP_QUESTION_MAX);
	}
	if ((v = need(c, path, o, "options"))) {
		join_key(p, path, "options");
		check_options(c, p, v, &st->poll);
	}
	if ((v = json_object_get(o, "multiple"))) {
		join_key(p, path, "multiple");
		check_bool(c, p, v, &st->poll.multiple);
	}
	if ((v = json_object_get(o, "show_results"))) {
		join_key(p, path, "show_results");
		if (check_enum(c, p, v, "value", show_names, 2, &show))
			st->poll.show_results = (enum meetup_show)show;
	}
}

static void check_feedback(struct check *c, const char *path,
			   const json_t *o, struct meetup_step *st)
{
	char p[PATH_MAX_LEN];
	const json_t *v;

	if ((v = need(c, path, o, "question"))) {
		join_key(p, path, "question");
		st->feedback.question = check_text(c, p, v, TEXT_LINE,
						   MEETUP_QUESTION_MAX);
	}
	if ((v = json_object_get(o, "comment_prompt"))) {
		join_key(p, path, "comment_prompt");
		st->feedback.comment_prompt = check_text(c, p, v, TEXT_LINE,
							 MEETUP_QUESTION_MAX);
	}
}

/*
 * Checks step i into st.  *kind receives the step's kind, or -1 when it
 * has none that Ruche knows; st->duration_s is 0 unless it was valid.
 */
static void check_step(struct check *c, size_t i, const json_t *o,
		       struct meetup_step *st, int *kind)
{
	char path[PATH_MAX_LEN], p[PATH_MAX_LEN];
	const char *key;
	const json_t *v;
	int k = -1;

	*kind = -1;
	join_index(path, "steps", i);
	if (!json_is_object(o)) {
		add_error(c, path, "must be an object");
		return;
	}
	if ((v = need(c, path, o, "kind"))) {
		join_key(p, path, "kind");
		check_enum(c, p, v, "kind", kind_names, NKINDS, &k);
	}
	if ((v = need(c, path, o, "title"))) {
		join_key(p, path, "title");
		st->title = check_text(c, p, v, TEXT_LINE,
				       MEETUP_STEP_TITLE_MAX);
	}
	if ((v = need(c, path, o, "text"))) {
		join_key(p, path, "text");
		st->text = check_text(c, p, v, TEXT_BLOCK, MEETUP_TEXT_MAX);
	}
	if ((v = need(c, path, o, "duration_s"))) {
		join_key(p, path, "duration_s");
		check_int(c, p, v, MEETUP_DURATION_MIN, MEETUP_DURATION_MAX,
			  " seconds", &st->duration_s);
		if (k == MEETUP_BREAKOUT && st->duration_s &&
		    st->duration_s < MEETUP_BREAKOUT_MIN) {
			add_error(c, p, "a breakout lasts at least %d seconds",
				  MEETUP_BREAKOUT_MIN);
			st->duration_s = 0;
		}
	}
	if (k < 0)
		st->kind = MEETUP_ANNOUNCE;	/* owns no more strings */
	else
		st->kind = (enum meetup_step_kind)k;
	switch (k) {
	case MEETUP_ROUND:
		check_round(c, path, o, st);
		/* A plan that holds one speaker is no round. */
		if (st->duration_s && st->round.turn_s &&
		    st->duration_s < 2 * st->round.turn_s) {
			join_key(p, path, "duration_s");
			add_error(c, p, "a round holds at least two turns: at "
				  "least %d seconds for turns of %d",
				  2 * st->round.turn_s, st->round.turn_s);
		}
		break;
	case MEETUP_BREAKOUT:
		check_breakout(c, path, o, st);
		break;
	case MEETUP_POLL:
		check_poll(c, path, o, st);
		break;
	case MEETUP_FEEDBACK:
		check_feedback(c, path, o, st);
		break;
	default:
		break;
	}
	json_object_foreach((json_t *)o, key, v) {
		int owner;

		if (in_list(common_fields, key) ||
		    (k >= 0 && in_list(kind_fields[k], key)))
			continue;
		owner = kind_of_field(key);
		/* Without a known kind, another kind's field may be right. */
		if (owner >= 0 && k < 0)
			continue;
		join_key(p, path, key);
		if (owner >= 0)
			add_error(c, p, "not allowed in a%s %s step",
				  k == MEETUP_ANNOUNCE || k == MEETUP_OPEN ?
				  "n" : "", kind_names[k]);
		else
			add_error(c, p, "unknown field");
	}
	*kind = k;
}

static void check_steps(struct check *c, const json_t *v,
			struct meetup_script *s)
{
	size_t n = json_array_size(v);
	int nfeedback = 0, total = 0;

	if (!json_is_array(v)) {
		add_error(c, "steps", "must be an array");
		return;
	}
	if (n == 0)
		add_error(c, "steps", "at least 1 step");
	if (n > MEETUP_STEPS_MAX)
		add_error(c, "steps", "at most %d steps (this has %zu)",
			  MEETUP_STEPS_MAX, n);
	s->steps = calloc(n > MEETUP_STEPS_MAX ? MEETUP_STEPS_MAX :
			  n ? n : 1, sizeof(*s->steps));
	if (!s->steps) {
		c->nomem = true;
		return;
	}
	for (size_t i = 0; i < n && !c->nomem; i++) {
		struct meetup_step spare = { 0 };
		struct meetup_step *st = i < MEETUP_STEPS_MAX ?
					 &s->steps[s->nsteps++] : &spare;
		char step[PATH_MAX_LEN], path[PATH_MAX_LEN];
		int kind;

		check_step(c, i, json_array_get(v, i), st, &kind);
		if (kind == MEETUP_FEEDBACK && ++nfeedback > 1) {
			join_index(step, "steps", i);
			join_key(path, step, "kind");
			add_error(c, path, "a script has at most one feedback "
				  "step");
		}
		total += st->duration_s;
		step_release(&spare);
	}
	s->total_s = total;
	if (total > MEETUP_TOTAL_MAX)
		add_error(c, "steps", "the steps last %d min %02d s in all; "
			  "at most %d hours", total / 60, total % 60,
			  MEETUP_TOTAL_MAX / 3600);
}

int meetup_script_from_json(const json_t *root, struct meetup_script **out,
			    struct meetup_errors *errs)
{
	struct check c = { .errs = errs };
	struct meetup_script *s;
	const json_t *v;
	const char *key;

	*out = NULL;
	if (!json_is_object(root)) {
		add_error(&c, "", "must be a JSON object");
		return c.nomem ? RUCHE_ENOMEM : RUCHE_EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return RUCHE_ENOMEM;
	if ((v = need(&c, "", root, "title")))
		s->title = check_text(&c, "title", v, TEXT_LINE,
				      MEETUP_TITLE_MAX);
	if ((v = json_object_get(root, "description")))
		s->description = check_text(&c, "description", v, TEXT_FREE,
					    MEETUP_DESC_MAX);
	else if (!(s->description = strdup("")))
		c.nomem = true;
	if ((v = need(&c, "", root, "steps")))
		check_steps(&c, v, s);
	json_object_foreach((json_t *)root, key, v) {
		char p[PATH_MAX_LEN];

		if (!in_list(script_fields, key)) {
			join_key(p, "", key);
			add_error(&c, p, "unknown field");
		}
	}
	if (c.nomem || c.nerrors) {
		meetup_script_free(s);
		return c.nomem ? RUCHE_ENOMEM : RUCHE_EINVAL;
	}
	*out = s;
	return 0;
}

int meetup_script_parse(const char *json, size_t len,
			struct meetup_script **out, struct meetup_errors *errs)
{
	struct check c = { .errs = errs };
	json_error_t jerr;
	json_t *root;
	int rc;

	*out = NULL;
	if (len > MEETUP_SCRIPT_MAX_BYTES) {
		add_error(&c, "", "larger than %d KiB",
			  MEETUP_SCRIPT_MAX_BYTES / 1024);
		return c.nomem ? RUCHE_ENOMEM : RUCHE_EINVAL;
	}
	if (!utf8_valid(json, len)) {
		add_error(&c, "", "not valid UTF-8");
		return c.nomem ? RUCHE_ENOMEM : RUCHE_EINVAL;
	}
	/* A key given twice would mean two things to two readers. */
	root = json_loadb(json, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
			  &jerr);
	if (!root) {
		/* The reader's message quotes the text near the error, line
		 * breaks and cut characters included: tamed, the error
		 * stays one line of UTF-8. */
		utf8_tame(jerr.text);
		add_error(&c, "", "not JSON: %s (line %d, column %d)",
			  jerr.text, jerr.line, jerr.column);
		return c.nomem ? RUCHE_ENOMEM : RUCHE_EINVAL;
	}
	rc = meetup_script_from_json(root, out, errs);
	json_decref(root);
	return rc;
}

void meetup_script_free(struct meetup_script *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nsteps; i++)
		step_release(&s->steps[i]);
	free(s->steps);
	free(s->title);
	free(s->description);
	free(s);
}

/* Adds key: value to obj, taking value; false when out of memory. */
static bool put(json_t *obj, const char *key, json_t *value)
{
	return value && json_object_set_new(obj, key, value) == 0;
}

static json_t *step_to_json(const struct meetup_step *st)
{
	json_t *o = json_object(), *opts;
	bool ok;

	if (!o)
		return NULL;
	ok = put(o, "kind", json_string(kind_names[st->kind])) &&
	     put(o, "title", json_string(st->title)) &&
	     put(o, "text", json_string(st->text)) &&
	     put(o, "duration_s", json_integer(st->duration_s));
	switch (st->kind) {
	case MEETUP_ROUND:
		ok = ok && put(o, "turn_s", json_integer(st->round.turn_s)) &&
		     put(o, "order",
			 json_string(order_names[st->round.order])) &&
		     put(o, "speaker_only",
			 json_boolean(st->round.speaker_only));
		break;
	case MEETUP_BREAKOUT:
		ok = ok && put(o, "group_size",
			       json_integer(st->breakout.group_size)) &&
		     put(o, "prompt", json_string(st->breakout.prompt)) &&
		     put(o, "avoid_recent",
			 json_boolean(st->breakout.avoid_recent));
		break;
	case MEETUP_POLL:
		opts = json_array();
		for (int i = 0; opts && i < st->poll.noptions; i++) {
			if (json_array_append_new(opts,
				json_string(st->poll.options[i]))) {
				json_decref(opts);
				opts = NULL;
			}
		}
		ok = ok && put(o, "question", json_string(st->poll.question));
		/* put() takes opts whether it succeeds or not. */
		if (ok)
			ok = put(o, "options", opts);
		else
			json_decref(opts);
		ok = ok && put(o, "multiple",
			       json_boolean(st->poll.multiple)) &&
		     put(o, "show_results",
			 json_string(show_names[st->poll.show_results]));
		break;
	case MEETUP_FEEDBACK:
		ok = ok && put(o, "question",
			       json_string(st->feedback.question));
		if (st->feedback.comment_prompt)
			ok = ok && put(o, "comment_prompt", json_string(
					st->feedback.comment_prompt));
		break;
	default:
		break;
	}
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *meetup_script_to_json(const struct meetup_script *s)
{
	json_t *o = json_object(), *steps = json_array();

	if (!o || !steps)
		goto err;
	for (int i = 0; i < s->nsteps; i++)
		if (json_array_append_new(steps, step_to_json(&s->steps[i])))
			goto err;
	if (!put(o, "title", json_string(s->title)) ||
	    !put(o, "description", json_string(s->description)))
		goto err;
	if (json_object_set_new(o, "steps", steps))
		goto err_steps_gone;
	return o;
err:
	json_decref(steps);
err_steps_gone:
	json_decref(o);
	return NULL;
}

char *meetup_script_dumps(const struct meetup_script *s)
{
	json_t *o = meetup_script_to_json(s);
	char *text;

	if (!o)
		return NULL;
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

const char *meetup_step_kind_name(enum meetup_step_kind kind)
{
	return (int)kind >= 0 && (int)kind < NKINDS ? kind_names[kind] : "?";
}

int meetup_round_capacity(const struct meetup_step *step)
{
	if (step->kind != MEETUP_ROUND || step->round.turn_s <= 0)
		return 0;
	return step->duration_s / step->round.turn_s;
}

const struct meetup_template *meetup_templates(size_t *n)
{
	*n = meetup_template_count;
	return meetup_template_table;
}

const struct meetup_template *meetup_template_find(const char *id)
{
	for (size_t i = 0; i < meetup_template_count; i++)
		if (strcmp(meetup_template_table[i].id, id) == 0)
			return &meetup_template_table[i];
	return NULL;
}
