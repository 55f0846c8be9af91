-- 0006: mentor moderation - mutes, bans, pins, channel locks and slow
-- mode, reports, the automatic guard, retention, and the audit log.
--
-- Times are milliseconds since the Unix epoch (UTC).  A NULL actor is the
-- server itself (the automatic guard, the retention purge).

-- Slow mode (seconds between two messages of a learner, 0: off) and lock
-- (read-only for learners) of a hive channel.
ALTER TABLE channels ADD COLUMN slow_mode_s INTEGER NOT NULL DEFAULT 0;
ALTER TABLE channels ADD COLUMN locked INTEGER NOT NULL DEFAULT 0;

-- Flood checks and slow mode count a person's recent messages.
CREATE INDEX messages_author ON messages(author_id, created_at);

-- A timed mute: the member reads but neither posts nor reacts until
-- `until`.  The row goes when the mute ends (by itself or by unmute).
CREATE TABLE mutes (
	hive_id INTEGER NOT NULL REFERENCES hives(id) ON DELETE CASCADE,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	until INTEGER NOT NULL,
	by_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
	reason TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	PRIMARY KEY (hive_id, user_id)
) STRICT;
CREATE INDEX mutes_until ON mutes(until);

-- Banned from a hive: no invite of that hive admits them.
CREATE TABLE bans (
	hive_id INTEGER NOT NULL REFERENCES hives(id) ON DELETE CASCADE,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	by_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
	reason TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	PRIMARY KEY (hive_id, user_id)
) STRICT;

-- A message removed by a mentor: who, why (shown to its author only).
CREATE TABLE message_removals (
	message_id INTEGER PRIMARY KEY
		REFERENCES messages(id) ON DELETE CASCADE,
	by_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
	reason TEXT NOT NULL DEFAULT '',
	removed_at INTEGER NOT NULL
) STRICT;

CREATE TABLE pins (
	message_id INTEGER PRIMARY KEY
		REFERENCES messages(id) ON DELETE CASCADE,
	channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
	by_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
	pinned_at INTEGER NOT NULL
) STRICT;
CREATE INDEX pins_channel ON pins(channel_id, pinned_at);

-- Reports of messages to the hive's mentors.  One per message and
-- reporter; the message may be purged later (message_id NULL), the
-- report stays for supervision.
CREATE TABLE reports (
	id INTEGER PRIMARY KEY,
	hive_id INTEGER NOT NULL REFERENCES hives(id) ON DELETE CASCADE,
	channel_id INTEGER NOT NULL,
	message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,
	author_id INTEGER,			-- who wrote the message
	reporter_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
	reason TEXT NOT NULL,
	status TEXT NOT NULL DEFAULT 'open'
		CHECK (status IN ('open', 'dismissed', 'actioned')),
	created_at INTEGER NOT NULL,
	resolved_at INTEGER,
	resolved_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
	note TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE UNIQUE INDEX reports_once ON reports(message_id, reporter_id);
CREATE INDEX reports_hive ON reports(hive_id, status, id);

-- Per-hive settings of moderation: the automatic guard (0: a rule is
-- off) and the message retention (NULL: keep forever).
CREATE TABLE hive_settings (
	hive_id INTEGER PRIMARY KEY REFERENCES hives(id) ON DELETE CASCADE,
	blocked_words TEXT NOT NULL DEFAULT '[]',	-- JSON array
	new_member_link_limit INTEGER NOT NULL DEFAULT 0,
	new_member_days INTEGER NOT NULL DEFAULT 0,
	flood_messages INTEGER NOT NULL DEFAULT 0,
	flood_seconds INTEGER NOT NULL DEFAULT 0,
	flood_mute_seconds INTEGER NOT NULL DEFAULT 0,
	retention_days INTEGER
) STRICT;

-- Every moderation action, human or automatic.  Append-only: no
-- operation edits it, and the triggers below refuse any UPDATE or
-- DELETE.  No foreign keys, so that nothing cascades into it.
CREATE TABLE audit_log (
	id INTEGER PRIMARY KEY,
	hive_id INTEGER NOT NULL,
	actor_id INTEGER,			-- NULL: automatic
	action TEXT NOT NULL,
	target_user_id INTEGER,
	message_id INTEGER,
	channel_id INTEGER,
	reason TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT '{}',	-- JSON object
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX audit_hive ON audit_log(hive_id, id);
CREATE INDEX audit_time ON audit_log(created_at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
	SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
	SELECT RAISE(ABORT, 'audit_log is append-only');
END;
