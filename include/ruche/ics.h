/*
 * ics.h - each user's iCalendar feed of meetups (RFC 5545).
 *
 * Calendar apps fetch a feed on their own, without Ruche's cookie, so the
 * feed's URL carries its secret: GET /ics/<token>.ics, where token is 32
 * random bytes in base64url (auth.h).  This is the one place where Ruche
 * puts a secret in a URL; the feed only reads the meetups of the user's
 * hives and opens nothing else.  Only the token's SHA-256 is stored, so
 * the full URL is shown once, when it is made: ics_new_url() makes a new
 * one and the previous URL stops working at once.
 *
 * The text is built apart from the server (ics_render()) so that the
 * escaping and the line folding are unit-tested.
 */
#ifndef RUCHE_ICS_H
#define RUCHE_ICS_H

#include <stddef.h>
#include <stdint.h>

#include "ruche/auth.h"
#include "ruche/store.h"

struct server;

/* How far back a feed goes (meetups that started within it are kept so
 * that a calendar shows what just happened), and how many it holds. */
#define ICS_PAST_MS (30LL * 24 * 60 * 60 * 1000)
#define ICS_MAX_EVENTS 500
/* Room for a feed's path, "/ics/<token>.ics", and its NUL. */
#define ICS_PATH_MAX (5 + AUTH_TOKEN_LEN + 4 + 1)

/*
 * A TEXT value of RFC 5545 section 3.3.11: backslash, comma, semicolon
 * escaped with a backslash, a newline written "\n", a CR dropped.  The
 * caller frees the result with free(); NULL when out of memory.
 */
char *ics_escape(const char *text);

/*
 * One content line folded at 75 octets (section 3.1): each continuation
 * starts with a space, a UTF-8 sequence is never cut, and every line,
 * the last too, ends with CRLF.  line has no line break.  The caller
 * frees the result; NULL when out of memory.
 */
char *ics_fold(const char *line);

/*
 * A VCALENDAR with one VEVENT per meetup in v[0..n): UID meetup-ID@host,
 * DTSTAMP now, DTSTART and DTEND in UTC (DTEND from the script's planned
 * length), SUMMARY, DESCRIPTION, an RRULE for a weekly or fortnightly
 * meetup still to come, and STATUS:CANCELLED for a cancelled one.
 * 0 and *out (caller frees), or RUCHE_ENOMEM.
 */
int ics_render(const struct store_meetup *v, size_t n, const char *host,
	       int64_t now, char **out);

/*
 * Makes user_id's feed anew: writes its path ("/ics/<token>.ics") into
 * path and stores the token's digest, replacing the previous feed.
 * 0, or RUCHE_EIO.
 */
int ics_new_url(struct server *srv, int64_t user_id,
		char path[ICS_PATH_MAX]);

/*
 * The feed that token (as found in the path, without ".ics") opens, as
 * text/calendar in *out (caller frees).  RUCHE_ENOTFOUND for a token of
 * the wrong shape or one that opens no feed (revoked, never made);
 * RUCHE_EIO, RUCHE_ENOMEM.
 */
int ics_feed(struct server *srv, const char *token, char **out);

#endif
