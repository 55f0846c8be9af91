-- 0007: scheduled, scripted meetups - each hive's library of scripts,
-- meetups and their RSVPs, and what the runner keeps while it plays a
-- script (participants, speaking order, breakout groups, poll answers,
-- feedback), so that a restart resumes where it was.
--
-- Times are milliseconds since the Unix epoch (UTC).  Scripts are stored
-- as the normalised JSON of meetup_script_to_json() (docs/meetups.md).

-- A hive's library of scripts, kept by its mentors.
CREATE TABLE meetup_scripts (
	id INTEGER PRIMARY KEY,
	hive_id INTEGER NOT NULL REFERENCES hives(id) ON DELETE CASCADE,
	title TEXT NOT NULL,
	script TEXT NOT NULL,
	created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX meetup_scripts_hive ON meetup_scripts(hive_id, title);

-- A meetup holds its own copy of the script, so that editing or deleting
-- a library script never changes a meetup already scheduled.  A
-- recurring meetup is one row per occurrence: the next one is made when
-- one ends.  step is the index of the current step (-1 before the start);
-- step_ends_at is when it ends while running, and paused_left_ms the time
-- it had left when paused.  reminded: 1 once the 24-hour reminder was
-- sent (or was not due), 2 the 15-minute one.
CREATE TABLE meetups (
	id INTEGER PRIMARY KEY,
	hive_id INTEGER NOT NULL REFERENCES hives(id) ON DELETE CASCADE,
	title TEXT NOT NULL,
	script TEXT NOT NULL,
	start_at INTEGER NOT NULL,
	recurrence TEXT NOT NULL DEFAULT 'none'
		CHECK (recurrence IN ('none', 'weekly', 'fortnightly')),
	cap INTEGER NOT NULL DEFAULT 0,		-- 0: no cap
	state TEXT NOT NULL DEFAULT 'scheduled'
		CHECK (state IN ('scheduled', 'running', 'paused', 'ended',
				 'missed', 'cancelled')),
	step INTEGER NOT NULL DEFAULT -1,
	step_started_at INTEGER,
	step_ends_at INTEGER,
	paused_left_ms INTEGER,
	channel_id INTEGER REFERENCES channels(id) ON DELETE SET NULL,
	reminded INTEGER NOT NULL DEFAULT 0,
	created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
	created_at INTEGER NOT NULL,
	started_at INTEGER,
	ended_at INTEGER
) STRICT;
CREATE INDEX meetups_hive ON meetups(hive_id, start_at);
CREATE INDEX meetups_state ON meetups(state, start_at);
-- Posting in a channel asks whether it is a meetup's (speaker_only).
CREATE INDEX meetups_channel ON meetups(channel_id)
	WHERE channel_id IS NOT NULL;

CREATE TABLE meetup_rsvps (
	meetup_id INTEGER NOT NULL REFERENCES meetups(id) ON DELETE CASCADE,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	answer TEXT NOT NULL CHECK (answer IN ('going', 'maybe', 'no')),
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (meetup_id, user_id)
) STRICT;

-- Who came, in the order they joined (attendance for supervision).
CREATE TABLE meetup_participants (
	meetup_id INTEGER NOT NULL REFERENCES meetups(id) ON DELETE CASCADE,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	joined_at INTEGER NOT NULL,
	left_at INTEGER,			-- NULL: still there
	PRIMARY KEY (meetup_id, user_id)
) STRICT;

-- The speaking order of a round step; done once their turn has passed.
CREATE TABLE meetup_turns (
	meetup_id INTEGER NOT NULL REFERENCES meetups(id) ON DELETE CASCADE,
	step INTEGER NOT NULL,
	position INTEGER NOT NULL,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	done INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (meetup_id, step, position)
) STRICT;

-- The groups of a breakout step, each in its own temporary channel.
-- Also the history that pairing reads to avoid regrouping recent partners.
CREATE TABLE meetup_groups (
	meetup_id INTEGER NOT NULL REFERENCES meetups(id) ON DELETE CASCADE,
	step INTEGER NOT NULL,
	group_no INTEGER NOT NULL,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	channel_id INTEGER REFERENCES channels(id) ON DELETE SET NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (meetup_id, step, user_id)
) STRICT;
CREATE INDEX meetup_groups_user ON meetup_groups(user_id, created_at);

-- A participant's answer to a poll step: the chosen options' indexes, as
-- a JSON array.
CREATE TABLE meetup_answers (
	meetup_id INTEGER NOT NULL REFERENCES meetups(id) ON DELETE CASCADE,
	step INTEGER NOT NULL,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	choices TEXT NOT NULL,
	answered_at INTEGER NOT NULL,
	PRIMARY KEY (meetup_id, step, user_id)
) STRICT;

-- The feedback step: one NPS score (0-10) and comment per participant.
CREATE TABLE meetup_feedback (
	meetup_id INTEGER NOT NULL REFERENCES meetups(id) ON DELETE CASCADE,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	nps INTEGER NOT NULL CHECK (nps BETWEEN 0 AND 10),
	comment TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	PRIMARY KEY (meetup_id, user_id)
) STRICT;
