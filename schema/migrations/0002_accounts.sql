-- 0002: people, sessions, hives, memberships, invites and waitlists.
--
-- Times are milliseconds since the Unix epoch (UTC).  Secrets (session
-- tokens, invite codes) are stored only as their SHA-256.

CREATE TABLE users (
	id INTEGER PRIMARY KEY,
	handle TEXT NOT NULL UNIQUE,		-- lower case, a-z0-9_.-
	display_name TEXT NOT NULL,
	pw_hash TEXT,				-- scrypt$..., NULL once deleted
	is_admin INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	deleted_at INTEGER
) STRICT;

CREATE TABLE sessions (
	id INTEGER PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	token_hash BLOB NOT NULL UNIQUE,
	created_at INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE hives (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE COLLATE NOCASE,
	description TEXT NOT NULL DEFAULT '',
	capacity INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	archived_at INTEGER
) STRICT;

CREATE TABLE memberships (
	hive_id INTEGER NOT NULL REFERENCES hives(id) ON DELETE CASCADE,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	role TEXT NOT NULL CHECK (role IN ('learner', 'mentor')),
	joined_at INTEGER NOT NULL,
	PRIMARY KEY (hive_id, user_id)
) STRICT;
CREATE INDEX memberships_user ON memberships(user_id);

-- A hive invite admits up to max_uses people to hive_id in role; an admin
-- invite (hive_id NULL) creates the first admin account.
CREATE TABLE invites (
	id INTEGER PRIMARY KEY,
	code_hash BLOB NOT NULL UNIQUE,
	kind TEXT NOT NULL CHECK (kind IN ('hive', 'admin')),
	hive_id INTEGER REFERENCES hives(id) ON DELETE CASCADE,
	role TEXT CHECK (role IN ('learner', 'mentor')),
	max_uses INTEGER NOT NULL,
	uses INTEGER NOT NULL DEFAULT 0,
	expires_at INTEGER NOT NULL,
	revoked_at INTEGER,
	created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
	created_at INTEGER NOT NULL,
	CHECK ((kind = 'hive') = (hive_id IS NOT NULL AND role IS NOT NULL))
) STRICT;
CREATE INDEX invites_hive ON invites(hive_id);

CREATE TABLE waitlist (
	hive_id INTEGER NOT NULL REFERENCES hives(id) ON DELETE CASCADE,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (hive_id, user_id)
) STRICT;
