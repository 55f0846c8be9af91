-- 0009: peer pairing - each hive's pairing settings, and the rounds the
-- server ran, with who was paired with whom (pairing.h).
--
-- Times are milliseconds since the Unix epoch (UTC).

-- A hive's regular peer pairing, set by its mentors.  next_at is the
-- next round's time; after a round it moves on by every_days, past the
-- present, so a round missed while the server was down runs once.
-- prompt is the mentor's opening prompt, '' for Ruche's default one.
-- Prompts are posted on behalf of updated_by (the mentor who last set
-- pairing), as the meetup runner posts for the mentor who scheduled.
CREATE TABLE pairing_settings (
	hive_id INTEGER PRIMARY KEY REFERENCES hives(id) ON DELETE CASCADE,
	enabled INTEGER NOT NULL DEFAULT 0,
	every_days INTEGER NOT NULL DEFAULT 7 CHECK (every_days IN (7, 14)),
	next_at INTEGER,			-- NULL: none set yet
	prompt TEXT NOT NULL DEFAULT '',
	updated_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
	updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX pairing_settings_due ON pairing_settings(next_at)
	WHERE enabled;

-- One round: paired, or skipped with a reason (fewer than two
-- learners).  due_at is the scheduled time the round was for, NULL for
-- a round run by hand; it is unique per hive, so a round is never run
-- twice for one time, whatever happens between.
CREATE TABLE pairing_rounds (
	id INTEGER PRIMARY KEY,
	hive_id INTEGER NOT NULL REFERENCES hives(id) ON DELETE CASCADE,
	due_at INTEGER,
	ran_at INTEGER NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('paired', 'skipped')),
	reason TEXT NOT NULL DEFAULT '',
	run_by INTEGER REFERENCES users(id) ON DELETE SET NULL
) STRICT;
CREATE UNIQUE INDEX pairing_rounds_due ON pairing_rounds(hive_id, due_at)
	WHERE due_at IS NOT NULL;
CREATE INDEX pairing_rounds_hive ON pairing_rounds(hive_id, id);

-- Who was in which pair (or trio) of a round, and their conversation.
-- Also the history that keeps recent partners apart.
CREATE TABLE pairing_members (
	round_id INTEGER NOT NULL REFERENCES pairing_rounds(id)
		ON DELETE CASCADE,
	group_no INTEGER NOT NULL,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	channel_id INTEGER REFERENCES channels(id) ON DELETE SET NULL,
	PRIMARY KEY (round_id, user_id)
) STRICT;
