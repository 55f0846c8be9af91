/* ics.c - each user's iCalendar feed of meetups (RFC 5545). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ruche/err.h"
#include "ruche/ics.h"
#include "ruche/meetup_script.h"
#include "ruche/server.h"

/* Octets on one folded line, not counting its CRLF (section 3.1). */
#define FOLD_AT 75
/* A meetup whose script cannot be read still gets an hour. */
#define DEFAULT_LENGTH_MS (60LL * 60 * 1000)

/* A growing text; oom sticks once an allocation failed. */
struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Hands the text over (caller frees), or NULL and frees it when short of
 * memory. */
static char *buf_take(struct buf *b)
{
	if (b->oom || !b->p) {
		free(b->p);
		return b->oom ? NULL : strdup("");
	}
	return b->p;
}

char *ics_escape(const char *text)
{
	struct buf b = { 0 };

	for (const char *s = text; *s; s++) {
		switch (*s) {
		case '\\': buf_add(&b, "\\\\", 2); break;
		case ',': buf_add(&b, "\\,", 2); break;
		case ';': buf_add(&b, "\\;", 2); break;
		case '\n': buf_add(&b, "\\n", 2); break;
		case '\r': break;
		default: buf_add(&b, s, 1); break;
		}
	}
	return buf_take(&b);
}

/* Appends line folded, with its CRLF. */
static void add_folded(struct buf *b, const char *line)
{
	size_t n = strlen(line), room = FOLD_AT;

	while (n > room) {
		size_t cut = room;

		/* Never between a UTF-8 lead octet and its continuations. */
		while (cut > 0 && ((unsigned char)line[cut] & 0xC0) == 0x80)
			cut--;
		buf_add(b, line, cut);
		buf_add(b, "\r\n ", 3);
		line += cut;
		n -= cut;
		room = FOLD_AT - 1;	/* the leading space counts */
	}
	buf_add(b, line, n);
	buf_add(b, "\r\n", 2);
}

char *ics_fold(const char *line)
{
	struct buf b = { 0 };

	add_folded(&b, line);
	return buf_take(&b);
}

/* Adds "NAME:value" (value already escaped or not TEXT), folded. */
static void add_line(struct buf *b, const char *fmt, ...)
{
	char *line;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	line = n < 0 ? NULL : malloc((size_t)n + 1);
	if (!line) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(line, (size_t)n + 1, fmt, ap);
	va_end(ap);
	add_folded(b, line);
	free(line);
}

/* Adds "NAME:text" with text escaped. */
static void add_text(struct buf *b, const char *name, const char *text)
{
	char *v = ics_escape(text);

	if (!v) {
		b->oom = true;
		return;
	}
	add_line(b, "%s:%s", name, v);
	free(v);
}

/* A UTC date-time: 20260312T180000Z. */
static void utc(int64_t ms, char out[17])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) ||
	    !strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm))
		snprintf(out, 17, "19700101T000000Z");
}

static void add_event(struct buf *b, const struct store_meetup *m,
		      const char *host, const char *stamp)
{
	struct meetup_errors errs;
	struct meetup_script *sc = NULL;
	int64_t length = DEFAULT_LENGTH_MS;
	char start[17], end[17];
	bool over = strcmp(m->state, "ended") == 0 ||
		    strcmp(m->state, "missed") == 0 ||
		    strcmp(m->state, "cancelled") == 0;

	meetup_errors_init(&errs);
	if (!meetup_script_parse(m->script, strlen(m->script), &sc, &errs))
		length = (int64_t)sc->total_s * 1000;
	meetup_errors_release(&errs);
	utc(m->start_at, start);
	utc(m->start_at + length, end);

	add_line(b, "BEGIN:VEVENT");
	add_line(b, "UID:meetup-%lld@%s", (long long)m->id, host);
	add_line(b, "DTSTAMP:%s", stamp);
	add_line(b, "DTSTART:%s", start);
	add_line(b, "DTEND:%s", end);
	add_text(b, "SUMMARY", m->title);
	if (sc && sc->description[0])
		add_text(b, "DESCRIPTION", sc->description);
	/* Each occurrence of a series is its own meetup; only the one still
	 * to come carries the rule, so that past ones are not shown twice. */
	if (!over && strcmp(m->recurrence, "weekly") == 0)
		add_line(b, "RRULE:FREQ=WEEKLY;INTERVAL=1");
	else if (!over && strcmp(m->recurrence, "fortnightly") == 0)
		add_line(b, "RRULE:FREQ=WEEKLY;INTERVAL=2");
	if (strcmp(m->state, "cancelled") == 0)
		add_line(b, "STATUS:CANCELLED");
	else
		add_line(b, "STATUS:CONFIRMED");
	add_line(b, "END:VEVENT");
	meetup_script_free(sc);
}

int ics_render(const struct store_meetup *v, size_t n, const char *host,
	       int64_t now, char **out)
{
	struct buf b = { 0 };
	char stamp[17];

	utc(now, stamp);
	add_line(&b, "BEGIN:VCALENDAR");
	add_line(&b, "VERSION:2.0");
	add_line(&b, "PRODID:-//Ruche//Ruche %s//EN", RUCHE_VERSION);
	add_line(&b, "CALSCALE:GREGORIAN");
	add_line(&b, "METHOD:PUBLISH");
	add_line(&b, "X-WR-CALNAME:Ruche");
	for (size_t i = 0; i < n; i++)
		add_event(&b, &v[i], host, stamp);
	add_line(&b, "END:VCALENDAR");
	*out = buf_take(&b);
	return *out ? 0 : RUCHE_ENOMEM;
}

int ics_new_url(struct server *srv, int64_t user_id,
		char path[ICS_PATH_MAX])
{
	unsigned char digest[AUTH_DIGEST_LEN];
	char token[AUTH_TOKEN_LEN + 1];
	int rc = auth_new_token(token, digest);

	if (!rc)
		rc = store_ics_set(srv->store, user_id, digest,
				   clock_wall_ms(srv->clock));
	if (!rc)
		snprintf(path, ICS_PATH_MAX, "/ics/%s.ics", token);
	memset(token, 0, sizeof(token));
	return rc;
}

/* The host part of base_url ("https://ruche.example:8443/x" gives
 * "ruche.example"), for the events' UIDs. */
static void host_of(const char *base_url, char *out, size_t n)
{
	const char *s = strstr(base_url, "://");
	size_t len;

	s = s ? s + 3 : base_url;
	if (*s == '[') {	/* an IPv6 address keeps its brackets */
		len = strcspn(s, "]");
		len += s[len] == ']';
	} else {
		len = strcspn(s, ":/");
	}
	if (!len) {
		snprintf(out, n, "ruche");
		return;
	}
	snprintf(out, n, "%.*s", (int)len, s);
}

int ics_feed(struct server *srv, const char *token, char **out)
{
	unsigned char digest[AUTH_DIGEST_LEN];
	struct store_meetup *v = NULL;
	int64_t user_id = 0, now = clock_wall_ms(srv->clock);
	char host[256];
	size_t n = 0;
	int rc;

	*out = NULL;
	if (!auth_token_wellformed(token))
		return RUCHE_ENOTFOUND;
	rc = auth_token_digest(token, digest);
	if (!rc)
		rc = store_ics_user(srv->store, digest, &user_id);
	if (!rc)
		rc = store_ics_meetups(srv->store, user_id, now - ICS_PAST_MS,
				       ICS_MAX_EVENTS, &v, &n);
	if (rc)
		return rc;
	host_of(srv->base_url, host, sizeof(host));
	rc = ics_render(v, n, host, now, out);
	store_meetup_list_free(v, n);
	return rc;
}
