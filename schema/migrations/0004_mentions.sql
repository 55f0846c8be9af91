-- 0004: mentions, so that unread mention counts survive a reconnect.
CREATE TABLE mentions (
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
	channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
	PRIMARY KEY (user_id, message_id)
) STRICT;
CREATE INDEX mentions_channel ON mentions(user_id, channel_id, message_id);
