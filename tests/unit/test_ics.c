/*
 * Unit tests of the iCalendar feed's text (RFC 5545): TEXT escaping, line
 * folding at 75 octets without cutting a UTF-8 character, and the events
 * of ics_render() for plain, recurring and cancelled meetups.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ruche/ics.h"

static void test_escape(void **state)
{
	char *s = ics_escape("a\\b,c;d\ne\r\nf");

	assert_string_equal(s, "a\\\\b\\,c\\;d\\ne\\nf");
	free(s);
	s = ics_escape("");
	assert_string_equal(s, "");
	free(s);
}

/* Every physical line of text is at most 75 octets and ends in CRLF;
 * unfolded (CRLF + space removed) it gives back want. */
static void assert_folded(const char *text, const char *want)
{
	char *joined = malloc(strlen(text) + 1), *o = joined;
	const char *p = text;

	while (*p) {
		const char *eol = strstr(p, "\r\n");

		assert_non_null(eol);
		assert_true(eol - p <= 75);
		memcpy(o, p, (size_t)(eol - p));
		o += eol - p;
		p = eol + 2;
		if (*p == ' ')
			p++;	/* a continuation */
		else
			assert_int_equal(*p, '\0');
	}
	*o = '\0';
	assert_string_equal(joined, want);
	free(joined);
}

static void test_fold(void **state)
{
	char line[400];
	char *s;

	s = ics_fold("SUMMARY:short");
	assert_string_equal(s, "SUMMARY:short\r\n");
	free(s);

	/* Exactly 75 octets: one line; 76: two. */
	memset(line, 'x', 75);
	line[75] = '\0';
	s = ics_fold(line);
	assert_int_equal(strlen(s), 77);
	free(s);
	line[75] = 'y';
	line[76] = '\0';
	s = ics_fold(line);
	assert_string_equal(s + 75, "\r\n y\r\n");
	free(s);

	/* A two-octet character straddling octet 75 moves to the next line
	 * whole. */
	memset(line, 'x', 74);
	strcpy(line + 74, "\xc3\xa9" "end");
	s = ics_fold(line);
	assert_memory_equal(s + 74, "\r\n \xc3\xa9" "end\r\n", 10);
	assert_folded(s, line);
	free(s);

	/* A long line of three-octet characters. */
	line[0] = '\0';
	strcat(line, "DESCRIPTION:");
	for (int i = 0; i < 100; i++)
		strcat(line, "\xe2\x80\x93");
	s = ics_fold(line);
	assert_folded(s, line);
	for (const char *p = s; (p = strstr(p, "\r\n ")); p += 3)
		assert_int_not_equal((unsigned char)p[3] & 0xC0, 0x80);
	free(s);
}

static struct store_meetup meetup(int64_t id, const char *title,
				  const char *recurrence, const char *state)
{
	struct store_meetup m = { .id = id, .start_at = 1767261600000LL };

	snprintf(m.title, sizeof(m.title), "%s", title);
	snprintf(m.recurrence, sizeof(m.recurrence), "%s", recurrence);
	snprintf(m.state, sizeof(m.state), "%s", state);
	m.script = (char *)"{\"title\": \"T\", "
		"\"description\": \"Pairs, then all; go\", "
		"\"steps\": [{\"kind\": \"open\", \"title\": \"Talk\", "
		"\"text\": \"Go\", \"duration_s\": 2700}]}";
	return m;
}

/* line (whole lines, with their CRLFs) is somewhere in cal. */
static void assert_has(const char *cal, const char *line)
{
	if (!strstr(cal, line))
		fail_msg("no \"%s\" in:\n%s", line, cal);
}

static void test_render(void **state)
{
	struct store_meetup v[3] = {
		meetup(7, "Tea, cake; chat", "weekly", "scheduled"),
		meetup(8, "Old", "fortnightly", "ended"),
		meetup(9, "Off", "fortnightly", "cancelled"),
	};
	char *cal = NULL;
	const char *e8, *e9;

	v[2].start_at += 14LL * 24 * 3600 * 1000;
	assert_int_equal(ics_render(v, 3, "ruche.example", 1767225600000LL,
				    &cal), 0);
	assert_true(strncmp(cal, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n",
			    30) == 0);
	assert_has(cal, "END:VCALENDAR\r\n");
	assert_has(cal, "UID:meetup-7@ruche.example\r\n");
	assert_has(cal, "DTSTAMP:20260101T000000Z\r\n");
	assert_has(cal, "DTSTART:20260101T100000Z\r\n"
			"DTEND:20260101T104500Z\r\n");
	assert_has(cal, "SUMMARY:Tea\\, cake\\; chat\r\n");
	assert_has(cal, "DESCRIPTION:Pairs\\, then all\\; go\r\n");
	assert_has(cal, "RRULE:FREQ=WEEKLY;INTERVAL=1\r\nSTATUS:CONFIRMED\r\n");

	/* An ended or cancelled occurrence carries no rule. */
	e8 = strstr(cal, "UID:meetup-8@");
	e9 = strstr(cal, "UID:meetup-9@");
	assert_non_null(e8);
	assert_non_null(e9);
	assert_null(strstr(e8, "INTERVAL=2"));
	assert_has(e9, "DTSTART:20260115T100000Z\r\n");
	assert_has(e9, "STATUS:CANCELLED\r\nEND:VEVENT\r\n");
	assert_has(e8, "STATUS:CONFIRMED\r\nEND:VEVENT\r\n");
	free(cal);

	/* An empty feed is still a calendar. */
	assert_int_equal(ics_render(NULL, 0, "h", 0, &cal), 0);
	assert_has(cal, "BEGIN:VCALENDAR\r\n");
	assert_null(strstr(cal, "VEVENT"));
	free(cal);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_render),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
