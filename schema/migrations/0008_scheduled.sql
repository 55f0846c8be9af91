-- 0008: what Ruche does later on a user's behalf, and the user's
-- calendar feed.
--
-- Times are milliseconds since the Unix epoch (UTC).

-- Each user's iCalendar feed (GET /ics/<token>.ics).  Calendar apps
-- cannot send a cookie, so the feed's secret is in its URL; as with
-- sessions only the SHA-256 of that secret is kept, so a copy of the
-- database does not open anyone's feed.  One feed per user: making a
-- new one replaces the row, and the old URL stops working.
CREATE TABLE ics_feeds (
	user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	token_hash BLOB NOT NULL UNIQUE,
	created_at INTEGER NOT NULL
) STRICT;

-- Messages a user scheduled for later in a channel (schedule.*).  At
-- time at, housekeeping posts text through the same checks as msg.send,
-- as its author; a weekly one then moves a week on, another is deleted.
CREATE TABLE scheduled_messages (
	id INTEGER PRIMARY KEY,
	author_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
	text TEXT NOT NULL,
	at INTEGER NOT NULL,
	repeat TEXT NOT NULL DEFAULT 'none'
		CHECK (repeat IN ('none', 'weekly')),
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX scheduled_messages_due ON scheduled_messages(at);
CREATE INDEX scheduled_messages_author
	ON scheduled_messages(author_id, at);

-- Reminders of a message (remind.*): at time at, the user gets a remind
-- event with the message, and the row goes.
CREATE TABLE reminders (
	id INTEGER PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
	at INTEGER NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX reminders_due ON reminders(at);
CREATE INDEX reminders_user ON reminders(user_id, at);
