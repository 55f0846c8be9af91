/*
 * Unit tests of meetup scripts: every validation rule with the path it
 * reports, several errors in one pass, the normalised JSON, and the
 * templates shipped with Ruche.
 *
 * Scripts are written with ' for " to stay readable; q() swaps them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ruche/err.h"
#include "ruche/meetup_script.h"

#ifndef RUCHE_TEMPLATES_DIR
#error "tests/CMakeLists.txt defines RUCHE_TEMPLATES_DIR"
#endif

#define ANNOUNCE "{'kind':'announce','title':'A','text':'Hello'," \
		 "'duration_s':60}"
#define OPEN "{'kind':'open','title':'O','text':'Talk','duration_s':300}"
#define ROUND "{'kind':'round','title':'R','text':'Turns','duration_s':600," \
	      "'turn_s':60}"
#define BREAKOUT "{'kind':'breakout','title':'B','text':'Pairs'," \
		 "'duration_s':120,'group_size':2,'prompt':'Say hi'}"
#define POLL "{'kind':'poll','title':'P','text':'Vote','duration_s':60," \
	     "'question':'Which?','options':['Yes','No']}"
#define FEEDBACK "{'kind':'feedback','title':'F','text':'Rate us'," \
		 "'duration_s':60,'question':'How likely?'}"
#define SCRIPT(steps) "{'title':'T','steps':[" steps "]}"

/* s with every ' turned into "; static storage, one at a time. */
static const char *q(const char *s)
{
	static char buf[1 << 16];
	size_t i;

	for (i = 0; s[i] && i + 1 < sizeof(buf); i++)
		buf[i] = s[i] == '\'' ? '"' : s[i];
	buf[i] = '\0';
	return buf;
}

static struct meetup_script *parse_ok(const char *json)
{
	struct meetup_errors errs;
	struct meetup_script *s = NULL;
	char line[512];
	int rc;

	meetup_errors_init(&errs);
	rc = meetup_script_parse(json, strlen(json), &s, &errs);
	for (int i = 0; i < errs.n; i++)
		print_error("unexpected: %s\n",
			    meetup_error_line(&errs, i, line, sizeof(line)));
	assert_int_equal(rc, 0);
	assert_int_equal(errs.n, 0);
	assert_non_null(s);
	meetup_errors_release(&errs);
	return s;
}

/*
 * Parses len bytes of json, which must be refused with exactly the error
 * lines given (NULL-terminated), in that order.
 */
static void refused_n(const char *json, size_t len, ...)
{
	struct meetup_errors errs;
	struct meetup_script *s = (void *)1;
	const char *want;
	char line[512];
	va_list ap;
	int i = 0, rc;

	meetup_errors_init(&errs);
	rc = meetup_script_parse(json, len, &s, &errs);
	assert_int_equal(rc, RUCHE_EINVAL);
	assert_null(s);
	va_start(ap, len);
	while ((want = va_arg(ap, const char *))) {
		if (i >= errs.n)
			fail_msg("missing error \"%s\"", want);
		assert_string_equal(meetup_error_line(&errs, i, line,
						      sizeof(line)), want);
		i++;
	}
	va_end(ap);
	if (i < errs.n)
		fail_msg("unexpected error \"%s\"",
			 meetup_error_line(&errs, i, line, sizeof(line)));
	meetup_errors_release(&errs);
}

/* Refused as not JSON: jansson's own words vary, the start does not. */
static void not_json(const char *json)
{
	struct meetup_errors errs;
	struct meetup_script *s;
	char line[512];

	meetup_errors_init(&errs);
	assert_int_equal(meetup_script_parse(json, strlen(json), &s, &errs),
			 RUCHE_EINVAL);
	assert_null(s);
	assert_int_equal(errs.n, 1);
	meetup_error_line(&errs, 0, line, sizeof(line));
	if (strncmp(line, "script: not JSON: ", 18) != 0)
		fail_msg("not \"script: not JSON: ...\": %s", line);
	meetup_errors_release(&errs);
}

#define refused(json, ...) do { \
	const char *j_ = q(json); \
	refused_n(j_, strlen(j_), __VA_ARGS__, NULL); \
} while (0)

static void test_defaults_filled_in(void **state)
{
	struct meetup_script *s = parse_ok(q(SCRIPT(ANNOUNCE "," OPEN ","
		ROUND "," BREAKOUT "," POLL "," FEEDBACK)));

	assert_string_equal(s->title, "T");
	assert_string_equal(s->description, "");
	assert_int_equal(s->nsteps, 6);
	assert_int_equal(s->total_s, 60 + 300 + 600 + 120 + 60 + 60);
	assert_int_equal(s->steps[0].kind, MEETUP_ANNOUNCE);
	assert_string_equal(s->steps[0].title, "A");
	assert_string_equal(s->steps[0].text, "Hello");
	assert_int_equal(s->steps[1].kind, MEETUP_OPEN);
	assert_int_equal(s->steps[1].duration_s, 300);
	assert_int_equal(s->steps[2].kind, MEETUP_ROUND);
	assert_int_equal(s->steps[2].round.turn_s, 60);
	assert_int_equal(s->steps[2].round.order, MEETUP_ORDER_RANDOM);
	assert_false(s->steps[2].round.speaker_only);
	assert_int_equal(meetup_round_capacity(&s->steps[2]), 10);
	assert_int_equal(meetup_round_capacity(&s->steps[1]), 0);
	assert_int_equal(s->steps[3].kind, MEETUP_BREAKOUT);
	assert_int_equal(s->steps[3].breakout.group_size, 2);
	assert_string_equal(s->steps[3].breakout.prompt, "Say hi");
	assert_true(s->steps[3].breakout.avoid_recent);
	assert_int_equal(s->steps[4].kind, MEETUP_POLL);
	assert_string_equal(s->steps[4].poll.question, "Which?");
	assert_int_equal(s->steps[4].poll.noptions, 2);
	assert_string_equal(s->steps[4].poll.options[0], "Yes");
	assert_string_equal(s->steps[4].poll.options[1], "No");
	assert_false(s->steps[4].poll.multiple);
	assert_int_equal(s->steps[4].poll.show_results, MEETUP_SHOW_AFTER);
	assert_int_equal(s->steps[5].kind, MEETUP_FEEDBACK);
	assert_string_equal(s->steps[5].feedback.question, "How likely?");
	assert_null(s->steps[5].feedback.comment_prompt);
	meetup_script_free(s);
	meetup_script_free(NULL);
}

static void test_every_field_given(void **state)
{
	struct meetup_script *s = parse_ok(q("{'title':'Full',"
		"'description':'Line one\\n\\tLine two',"
		"'steps':[{'kind':'round','title':'R','text':'a\\nb',"
		"'duration_s':600,'turn_s':90,'order':'alphabetical',"
		"'speaker_only':true},"
		"{'kind':'round','title':'R2','text':'x','duration_s':60,"
		"'turn_s':30,'order':'join'},"
		"{'kind':'breakout','title':'B','text':'x','duration_s':60,"
		"'group_size':8,'prompt':'p','avoid_recent':false},"
		"{'kind':'poll','title':'P','text':'x','duration_s':10,"
		"'question':'Q','options':['a','b','c','d','e','f','g','h',"
		"'i','j'],'multiple':true,'show_results':'live'},"
		"{'kind':'feedback','title':'F','text':'x','duration_s':3600,"
		"'question':'Q','comment_prompt':'Why?'}]}"));

	assert_string_equal(s->description, "Line one\n\tLine two");
	assert_int_equal(s->steps[0].round.order, MEETUP_ORDER_ALPHABETICAL);
	assert_true(s->steps[0].round.speaker_only);
	assert_int_equal(s->steps[1].round.order, MEETUP_ORDER_JOIN);
	assert_int_equal(meetup_round_capacity(&s->steps[1]), 2);
	assert_int_equal(s->steps[2].breakout.group_size, 8);
	assert_false(s->steps[2].breakout.avoid_recent);
	assert_int_equal(s->steps[3].poll.noptions, 10);
	assert_true(s->steps[3].poll.multiple);
	assert_int_equal(s->steps[3].poll.show_results, MEETUP_SHOW_LIVE);
	assert_string_equal(s->steps[4].feedback.comment_prompt, "Why?");
	assert_string_equal(meetup_step_kind_name(s->steps[2].kind),
			    "breakout");
	meetup_script_free(s);
}

static void test_not_a_script(void **state)
{
	const char big_head[] = "{\"title\":\"";
	size_t big = MEETUP_SCRIPT_MAX_BYTES + 1;
	char *buf;

	not_json("");
	not_json("{\"title\":");
	not_json(q(SCRIPT(ANNOUNCE) "x"));
	refused("[1]", "script: must be a JSON object");
	refused("'a script'", "script: must be a JSON object");
	refused("{'title':'a','title':'b','steps':[" ANNOUNCE "]}",
		"script: not JSON: duplicate object key near '\"title\"' "
		"(line 1, column 20)");
	refused_n("{\"title\":\"\xC3\x28\"}", 13, "script: not valid UTF-8",
		  NULL);
	/* Too large is refused before it is parsed. */
	buf = malloc(big);
	assert_non_null(buf);
	memset(buf, ' ', big);
	memcpy(buf, big_head, sizeof(big_head) - 1);
	refused_n(buf, big, "script: larger than 1024 KiB", NULL);
	free(buf);
	refused("{}", "title: required", "steps: required");
	refused("{'title':'T','steps':[" ANNOUNCE "],'colour':'red',"
		"'x\\ny':1}", "colour: unknown field", "x?y: unknown field");
}

static void test_titles_and_texts(void **state)
{
	char json[4096], *p;

	refused("{'title':'','steps':[" ANNOUNCE "]}",
		"title: must not be empty");
	refused("{'title':7,'steps':[" ANNOUNCE "]}",
		"title: must be a string");
	refused("{'title':'a\\nb','steps':[" ANNOUNCE "]}",
		"title: must be one line, without control characters");
	refused("{'title':'\\u007f','steps':[" ANNOUNCE "]}",
		"title: must be one line, without control characters");
	/* White space is Unicode's, as the schema's \S sees it. */
	refused("{'title':' \\u00a0\\u3000\\u2003\\ufeff','steps':["
		ANNOUNCE "]}", "title: must not be only white space");
	/* Lengths count characters, not bytes: 100 x "é" is fine. */
	p = json + sprintf(json, "{\"title\":\"");
	for (int i = 0; i < MEETUP_TITLE_MAX; i++)
		p += sprintf(p, "\xC3\xA9");
	sprintf(p, "\",\"steps\":[%s]}", q(ANNOUNCE));
	meetup_script_free(parse_ok(json));
	p = json + sprintf(json, "{\"title\":\"");
	for (int i = 0; i <= MEETUP_TITLE_MAX; i++)
		p += sprintf(p, "\xC3\xA9");
	sprintf(p, "\",\"steps\":[%s]}", q(ANNOUNCE));
	refused_n(json, strlen(json),
		  "title: at most 100 characters (this has 101)", NULL);

	/* The description may be blank, holds lines and tabs, no more. */
	meetup_script_free(parse_ok(q("{'title':'T','description':'  ',"
				      "'steps':[" ANNOUNCE "]}")));
	refused("{'title':'T','description':'a\\u0001','steps':[" ANNOUNCE
		"]}", "description: control characters other than line "
		"breaks and tabs are not allowed");
	refused("{'title':'T','description':'a\\r\\nb','steps':[" ANNOUNCE
		"]}", "description: control characters other than line "
		"breaks and tabs are not allowed");
	refused("{'title':'T','description':null,'steps':[" ANNOUNCE "]}",
		"description: must be a string");
	p = json + sprintf(json, "{\"title\":\"T\",\"description\":\"");
	memset(p, 'd', MEETUP_DESC_MAX + 1);
	sprintf(p + MEETUP_DESC_MAX + 1, "\",\"steps\":[%s]}", q(ANNOUNCE));
	refused_n(json, strlen(json),
		  "description: at most 1000 characters (this has 1001)", NULL);

	/* A step's text: lines allowed, not blank, not too long. */
	refused(SCRIPT("{'kind':'open','title':' ','text':'\\n\\t',"
		       "'duration_s':60}"),
		"steps[0].title: must not be only white space",
		"steps[0].text: must not be only white space");
	refused(SCRIPT("{'kind':'open','title':'Open','text':'',"
		       "'duration_s':60}"),
		"steps[0].text: must not be empty");
	p = json + sprintf(json, "%s", q("{'title':'T','steps':[{'kind':"
					 "'open','title':'O','duration_s':60,"
					 "'text':'"));
	memset(p, 't', MEETUP_TEXT_MAX + 1);
	sprintf(p + MEETUP_TEXT_MAX + 1, "\"}]}");
	refused_n(json, strlen(json),
		  "steps[0].text: at most 1000 characters (this has 1001)",
		  NULL);
	refused(SCRIPT("{'kind':'open','duration_s':60}"),
		"steps[0].title: required", "steps[0].text: required");
}

static void test_steps_list(void **state)
{
	char json[8192], *p;

	refused("{'title':'T','steps':{}}", "steps: must be an array");
	refused("{'title':'T','steps':[]}", "steps: at least 1 step");
	refused(SCRIPT("7," ANNOUNCE ",'x'"), "steps[0]: must be an object",
		"steps[2]: must be an object");
	/* 50 steps are fine, 51 are not. */
	p = json + sprintf(json, "{\"title\":\"T\",\"steps\":[");
	for (int i = 0; i < MEETUP_STEPS_MAX; i++)
		p += sprintf(p, "%s%s", i ? "," : "", q(ANNOUNCE));
	sprintf(p, "]}");
	meetup_script_free(parse_ok(json));
	sprintf(p, ",%s]}", q(ANNOUNCE));
	refused_n(json, strlen(json), "steps: at most 50 steps (this has 51)",
		  NULL);
	/* Steps past the 50th are still checked. */
	sprintf(p, ",%s]}", q("{'kind':'announce'}"));
	refused_n(json, strlen(json), "steps: at most 50 steps (this has 51)",
		  "steps[50].title: required", "steps[50].text: required",
		  "steps[50].duration_s: required", NULL);
}

static void test_kinds(void **state)
{
	refused(SCRIPT("{'title':'X','text':'x','duration_s':60}"),
		"steps[0].kind: required");
	refused(SCRIPT("{'kind':'debate','title':'X','text':'x',"
		       "'duration_s':60}"),
		"steps[0].kind: unknown kind \"debate\" (one of announce, "
		"open, round, breakout, poll or feedback)");
	refused(SCRIPT("{'kind':3,'title':'X','text':'x','duration_s':60}"),
		"steps[0].kind: must be announce, open, round, breakout, "
		"poll or feedback");
	/* Another kind's field is named as such; an unknown one too. */
	refused(SCRIPT("{'kind':'open','title':'X','text':'x',"
		       "'duration_s':60,'turn_s':30,'prompt':'p','mood':1}"),
		"steps[0].turn_s: not allowed in an open step",
		"steps[0].prompt: not allowed in an open step",
		"steps[0].mood: unknown field");
	refused(SCRIPT("{'kind':'poll','title':'P','text':'x','duration_s':60,"
		       "'question':'Q','options':['a','b'],"
		       "'group_size':2}"),
		"steps[0].group_size: not allowed in a poll step");
	/* With no kind known, fields of a kind may be the author's aim. */
	refused(SCRIPT("{'kind':'pol','title':'P','text':'x','duration_s':60,"
		       "'question':'Q','options':[],'mood':1}"),
		"steps[0].kind: unknown kind \"pol\" (one of announce, open, "
		"round, breakout, poll or feedback)",
		"steps[0].mood: unknown field");
}

static void test_durations(void **state)
{
	struct meetup_script *s;

	refused(SCRIPT("{'kind':'open','title':'X','text':'x'}"),
		"steps[0].duration_s: required");
	refused(SCRIPT("{'kind':'open','title':'X','text':'x',"
		       "'duration_s':9}"),
		"steps[0].duration_s: at least 10 seconds");
	refused(SCRIPT("{'kind':'open','title':'X','text':'x',"
		       "'duration_s':3601}"),
		"steps[0].duration_s: at most 3600 seconds");
	refused(SCRIPT("{'kind':'open','title':'X','text':'x',"
		       "'duration_s':90.5}"),
		"steps[0].duration_s: must be an integer");
	refused(SCRIPT("{'kind':'open','title':'X','text':'x',"
		       "'duration_s':'60'}"),
		"steps[0].duration_s: must be an integer");
	refused(SCRIPT("{'kind':'open','title':'X','text':'x',"
		       "'duration_s':1e300}"),
		"steps[0].duration_s: at most 3600 seconds");
	refused(SCRIPT("{'kind':'open','title':'X','text':'x',"
		       "'duration_s':-99999999999999999}"),
		"steps[0].duration_s: at least 10 seconds");
	/* 60.0 is an integer, as JSON Schema sees it. */
	s = parse_ok(q(SCRIPT("{'kind':'open','title':'X','text':'x',"
			      "'duration_s':60.0}")));
	assert_int_equal(s->steps[0].duration_s, 60);
	meetup_script_free(s);
	/* Breakouts take a minute at least. */
	refused(SCRIPT("{'kind':'breakout','title':'B','text':'x',"
		       "'duration_s':59,'group_size':2,'prompt':'p'}"),
		"steps[0].duration_s: a breakout lasts at least 60 seconds");
	/* Four hours in all at most. */
	meetup_script_free(parse_ok(q(SCRIPT(
		"{'kind':'open','title':'X','text':'x','duration_s':3600},"
		"{'kind':'open','title':'X','text':'x','duration_s':3600},"
		"{'kind':'open','title':'X','text':'x','duration_s':3600},"
		"{'kind':'open','title':'X','text':'x','duration_s':3600}"))));
	refused(SCRIPT(
		"{'kind':'open','title':'X','text':'x','duration_s':3600},"
		"{'kind':'open','title':'X','text':'x','duration_s':3600},"
		"{'kind':'open','title':'X','text':'x','duration_s':3600},"
		"{'kind':'open','title':'X','text':'x','duration_s':3600},"
		"{'kind':'open','title':'X','text':'x','duration_s':10}"),
		"steps: the steps last 240 min 10 s in all; at most 4 hours");
}

static void test_round(void **state)
{
	refused(SCRIPT("{'kind':'round','title':'R','text':'x',"
		       "'duration_s':600}"),
		"steps[0].turn_s: required");
	refused(SCRIPT("{'kind':'round','title':'R','text':'x',"
		       "'duration_s':600,'turn_s':9,'order':'height',"
		       "'speaker_only':'yes'}"),
		"steps[0].turn_s: at least 10 seconds",
		"steps[0].order: unknown order \"height\" (one of random, "
		"alphabetical or join)",
		"steps[0].speaker_only: must be true or false");
	refused(SCRIPT("{'kind':'round','title':'R','text':'x',"
		       "'duration_s':3600,'turn_s':601,'order':null}"),
		"steps[0].turn_s: at most 600 seconds",
		"steps[0].order: must be random, alphabetical or join");
	/* The plan holds two turns at least. */
	refused(SCRIPT("{'kind':'round','title':'R','text':'x',"
		       "'duration_s':119,'turn_s':60}"),
		"steps[0].duration_s: a round holds at least two turns: at "
		"least 120 seconds for turns of 60");
	meetup_script_free(parse_ok(q(SCRIPT(
		"{'kind':'round','title':'R','text':'x','duration_s':120,"
		"'turn_s':60}"))));
}

static void test_breakout(void **state)
{
	refused(SCRIPT("{'kind':'breakout','title':'B','text':'x',"
		       "'duration_s':60}"),
		"steps[0].group_size: required", "steps[0].prompt: required");
	refused(SCRIPT("{'kind':'breakout','title':'B','text':'x',"
		       "'duration_s':60,'group_size':1,'prompt':'',"
		       "'avoid_recent':0}"),
		"steps[0].group_size: at least 2 people",
		"steps[0].prompt: must not be empty",
		"steps[0].avoid_recent: must be true or false");
	refused(SCRIPT("{'kind':'breakout','title':'B','text':'x',"
		       "'duration_s':60,'group_size':9,'prompt':'p\\u0007'}"),
		"steps[0].group_size: at most 8 people",
		"steps[0].prompt: control characters other than line breaks "
		"and tabs are not allowed");
}

static void test_poll(void **state)
{
	char json[4096], *p;

	refused(SCRIPT("{'kind':'poll','title':'P','text':'x',"
		       "'duration_s':60}"),
		"steps[0].question: required", "steps[0].options: required");
	refused(SCRIPT("{'kind':'poll','title':'P','text':'x',"
		       "'duration_s':60,'question':'Q','options':['a']}"),
		"steps[0].options: at least 2 options");
	refused(SCRIPT("{'kind':'poll','title':'P','text':'x',"
		       "'duration_s':60,'question':'Q','options':'a,b'}"),
		"steps[0].options: must be an array of strings");
	refused(SCRIPT("{'kind':'poll','title':'P','text':'x',"
		       "'duration_s':60,'question':'Q','options':['1','2','3',"
		       "'4','5','6','7','8','9','10','11']}"),
		"steps[0].options: at most 10 options (this has 11)");
	refused(SCRIPT("{'kind':'poll','title':'P','text':'x',"
		       "'duration_s':60,'question':'Q\\nR',"
		       "'options':['Yes','No','Yes',2,'  ','No'],"
		       "'multiple':'no','show_results':'never'}"),
		"steps[0].question: must be one line, without control "
		"characters",
		"steps[0].options[2]: the same as an earlier option",
		"steps[0].options[3]: must be a string",
		"steps[0].options[4]: must not be only white space",
		"steps[0].options[5]: the same as an earlier option",
		"steps[0].multiple: must be true or false",
		"steps[0].show_results: unknown value \"never\" (one of after "
		"or live)");
	/* Options differ when their text differs at all. */
	meetup_script_free(parse_ok(q(SCRIPT(
		"{'kind':'poll','title':'P','text':'x','duration_s':60,"
		"'question':'Q','options':['Yes','yes','Yes ']}"))));
	p = json + sprintf(json, "%s", q("{'title':'T','steps':[{'kind':"
		"'poll','title':'P','text':'x','duration_s':60,'question':'Q',"
		"'options':['a','"));
	memset(p, 'o', MEETUP_OPTION_MAX + 1);
	sprintf(p + MEETUP_OPTION_MAX + 1, "\"]}]}");
	refused_n(json, strlen(json), "steps[0].options[1]: at most 100 "
		  "characters (this has 101)", NULL);
	p = json + sprintf(json, "%s", q("{'title':'T','steps':[{'kind':"
		"'poll','title':'P','text':'x','duration_s':60,"
		"'options':['a','b'],'question':'"));
	memset(p, 'q', MEETUP_QUESTION_MAX + 1);
	sprintf(p + MEETUP_QUESTION_MAX + 1, "\"}]}");
	refused_n(json, strlen(json), "steps[0].question: at most 300 "
		  "characters (this has 301)", NULL);
}

static void test_feedback(void **state)
{
	refused(SCRIPT("{'kind':'feedback','title':'F','text':'x',"
		       "'duration_s':60,'comment_prompt':''}"),
		"steps[0].question: required",
		"steps[0].comment_prompt: must not be empty");
	refused(SCRIPT(FEEDBACK "," ANNOUNCE "," FEEDBACK "," FEEDBACK),
		"steps[2].kind: a script has at most one feedback step",
		"steps[3].kind: a script has at most one feedback step");
	/* Feedback need not close the script. */
	meetup_script_free(parse_ok(q(SCRIPT(FEEDBACK "," OPEN))));
}

/* Errors from all over one script, each with its path, in one pass. */
static void test_many_errors_at_once(void **state)
{
	refused("{'title':'  ','colour':'red','steps':["
		"{'kind':'debate','title':'x','text':'y','duration_s':5},"
		"{'kind':'poll','title':'P','text':'t','duration_s':60,"
		"'question':'q','options':['a'],'turn_s':30},"
		"{'kind':'round','title':'R','text':'t','duration_s':60,"
		"'turn_s':60,'order':'height'}," FEEDBACK ","
		"{'kind':'feedback','title':'F','text':'t',"
		"'duration_s':3600.5,'question':'q\\nx'},7]}",
		"title: must not be only white space",
		"steps[0].kind: unknown kind \"debate\" (one of announce, "
		"open, round, breakout, poll or feedback)",
		"steps[0].duration_s: at least 10 seconds",
		"steps[1].options: at least 2 options",
		"steps[1].turn_s: not allowed in a poll step",
		"steps[2].order: unknown order \"height\" (one of random, "
		"alphabetical or join)",
		"steps[2].duration_s: a round holds at least two turns: at "
		"least 120 seconds for turns of 60",
		"steps[4].duration_s: must be an integer",
		"steps[4].question: must be one line, without control "
		"characters",
		"steps[4].kind: a script has at most one feedback step",
		"steps[5]: must be an object",
		"colour: unknown field");
}

/* A script with thousands of mistakes keeps MEETUP_ERRORS_MAX of them. */
static void test_errors_capped(void **state)
{
	static char json[1 << 16];
	struct meetup_errors errs;
	struct meetup_script *s;
	char *p = json + sprintf(json, "{\"title\":\"T\",\"steps\":[");

	for (int i = 0; i < 300; i++)
		p += sprintf(p, "%s{}", i ? "," : "");
	sprintf(p, "]}");
	meetup_errors_init(&errs);
	assert_int_equal(meetup_script_parse(json, strlen(json), &s, &errs),
			 RUCHE_EINVAL);
	assert_null(s);
	assert_int_equal(errs.n, MEETUP_ERRORS_MAX);
	assert_true(errs.truncated);
	meetup_errors_release(&errs);
	assert_int_equal(errs.n, 0);
	meetup_errors_release(NULL);
}

/* Parses json, normalises it, and checks the normalised form is stable. */
static char *round_trip(const char *json)
{
	struct meetup_script *s = parse_ok(json), *again;
	char *once, *twice;

	once = meetup_script_dumps(s);
	assert_non_null(once);
	again = parse_ok(once);
	twice = meetup_script_dumps(again);
	assert_string_equal(once, twice);
	assert_int_equal(again->total_s, s->total_s);
	meetup_script_free(s);
	meetup_script_free(again);
	free(twice);
	return once;
}

/* Text survives the round trip as it was: lines, tabs, any script. */
static void test_round_trip_text(void **state)
{
	struct meetup_script *s;
	char *out = round_trip(q("{'title':'Caf\\u00e9 \\u2615',"
		"'description':'Two\\n\\tlines','steps':[" OPEN "]}"));

	s = parse_ok(out);
	assert_string_equal(s->title, "Caf\xC3\xA9 \xE2\x98\x95");
	assert_string_equal(s->description, "Two\n\tlines");
	meetup_script_free(s);
	free(out);
}

static void test_normalised_form(void **state)
{
	char *out = round_trip(q("{'steps':[" POLL "," ROUND "," BREAKOUT ","
		"{'question':'Q','kind':'feedback','title':'F','text':'x',"
		"'duration_s':60,'comment_prompt':'Why?'}],"
		"'title':'Tidy \\u00e9'}"));

	/* Keys in a fixed order, defaults filled, UTF-8 kept as it is. */
	assert_string_equal(out, q("{'title':'Tidy \xC3\xA9','description':'',"
		"'steps':[{'kind':'poll','title':'P','text':'Vote',"
		"'duration_s':60,'question':'Which?','options':['Yes','No'],"
		"'multiple':false,'show_results':'after'},"
		"{'kind':'round','title':'R','text':'Turns','duration_s':600,"
		"'turn_s':60,'order':'random','speaker_only':false},"
		"{'kind':'breakout','title':'B','text':'Pairs',"
		"'duration_s':120,"
		"'group_size':2,'prompt':'Say hi','avoid_recent':true},"
		"{'kind':'feedback','title':'F','text':'x','duration_s':60,"
		"'question':'Q','comment_prompt':'Why?'}]}"));
	free(out);
}

/* The text of file dir/name, or NULL. */
static char *read_file(const char *dir, const char *name)
{
	char path[1024], *buf;
	long len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/*
 * Every file in schema/templates is built in, under its name, with its
 * exact text; each is a valid script that closes with feedback.
 */
static void test_templates(void **state)
{
	const struct meetup_template *t;
	const char *want[] = {
		"1-2-4-all", "icebreaker-round", "impromptu-networking",
		"retrospective", "troika-consulting", "weekly-check-in",
	};
	size_t n, nfiles = 0;
	struct dirent *de;
	DIR *d;

	t = meetup_templates(&n);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++) {
		struct meetup_script *s;
		char name[128], *file, *norm;

		assert_string_equal(t[i].id, want[i]);
		assert_ptr_equal(meetup_template_find(t[i].id), &t[i]);
		snprintf(name, sizeof(name), "%s.json", t[i].id);
		file = read_file(RUCHE_TEMPLATES_DIR, name);
		assert_non_null(file);
		assert_string_equal(t[i].json, file);
		free(file);
		s = parse_ok(t[i].json);
		assert_string_equal(s->title, t[i].title);
		assert_true(s->description[0] != '\0');
		assert_int_equal(s->steps[s->nsteps - 1].kind,
				 MEETUP_FEEDBACK);
		assert_non_null(
			s->steps[s->nsteps - 1].feedback.comment_prompt);
		meetup_script_free(s);
		norm = round_trip(t[i].json);
		free(norm);
	}
	assert_null(meetup_template_find("debate"));
	d = opendir(RUCHE_TEMPLATES_DIR);
	assert_non_null(d);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (len > 5 && strcmp(de->d_name + len - 5, ".json") == 0)
			nfiles++;
	}
	closedir(d);
	assert_int_equal(nfiles, n);
}

/* 1-2-4-All keeps its timing: 1, 2 and 4 minutes, then 5 all together. */
static void test_template_1_2_4_all(void **state)
{
	const struct meetup_template *t = meetup_template_find("1-2-4-all");
	struct meetup_script *s;

	assert_non_null(t);
	s = parse_ok(t->json);
	assert_int_equal(s->nsteps, 6);
	assert_int_equal(s->steps[1].kind, MEETUP_ANNOUNCE);
	assert_int_equal(s->steps[1].duration_s, 60);
	assert_int_equal(s->steps[2].kind, MEETUP_BREAKOUT);
	assert_int_equal(s->steps[2].breakout.group_size, 2);
	assert_int_equal(s->steps[2].duration_s, 120);
	assert_int_equal(s->steps[3].kind, MEETUP_BREAKOUT);
	assert_int_equal(s->steps[3].breakout.group_size, 4);
	assert_int_equal(s->steps[3].duration_s, 240);
	assert_int_equal(s->steps[4].kind, MEETUP_OPEN);
	assert_int_equal(s->steps[4].duration_s, 300);
	meetup_script_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_filled_in),
		cmocka_unit_test(test_every_field_given),
		cmocka_unit_test(test_not_a_script),
		cmocka_unit_test(test_titles_and_texts),
		cmocka_unit_test(test_steps_list),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_round),
		cmocka_unit_test(test_breakout),
		cmocka_unit_test(test_poll),
		cmocka_unit_test(test_feedback),
		cmocka_unit_test(test_many_errors_at_once),
		cmocka_unit_test(test_errors_capped),
		cmocka_unit_test(test_round_trip_text),
		cmocka_unit_test(test_normalised_form),
		cmocka_unit_test(test_templates),
		cmocka_unit_test(test_template_1_2_4_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
