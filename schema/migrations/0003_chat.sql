-- 0003: channels, messages, reactions, read markers, and the event log
-- that lets a client resume without gaps.

-- A hive's channels, and direct conversations (hive_id NULL) between two
-- to eight people, whose members are listed in channel_members.
CREATE TABLE channels (
	id INTEGER PRIMARY KEY,
	hive_id INTEGER REFERENCES hives(id) ON DELETE CASCADE,
	kind TEXT NOT NULL CHECK (kind IN ('chat', 'announce', 'direct')),
	name TEXT,
	topic TEXT NOT NULL DEFAULT '',
	position INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	archived_at INTEGER,
	CHECK ((kind = 'direct') = (hive_id IS NULL AND name IS NULL))
) STRICT;
CREATE UNIQUE INDEX channels_name ON channels(hive_id, name COLLATE NOCASE)
	WHERE name IS NOT NULL;

CREATE TABLE channel_members (
	channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	PRIMARY KEY (channel_id, user_id)
) STRICT;
CREATE INDEX channel_members_user ON channel_members(user_id);

-- Message ids grow with time: history order is id order.  A deleted
-- message keeps its row (a tombstone) with its body erased.
CREATE TABLE messages (
	id INTEGER PRIMARY KEY,
	channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
	author_id INTEGER NOT NULL REFERENCES users(id),
	body TEXT NOT NULL,
	reply_to INTEGER REFERENCES messages(id),
	thread_id INTEGER REFERENCES messages(id),	-- root of its thread
	nonce TEXT,					-- the client's retry key
	created_at INTEGER NOT NULL,
	edited_at INTEGER,
	deleted_at INTEGER,
	reply_count INTEGER NOT NULL DEFAULT 0,		-- for thread roots
	last_reply_at INTEGER
) STRICT;
CREATE INDEX messages_channel ON messages(channel_id, id);
CREATE INDEX messages_thread ON messages(thread_id, id)
	WHERE thread_id IS NOT NULL;
CREATE UNIQUE INDEX messages_nonce ON messages(author_id, nonce)
	WHERE nonce IS NOT NULL;

CREATE TABLE reactions (
	message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	emoji TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (message_id, emoji, user_id)
) STRICT;

CREATE TABLE read_markers (
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
	message_id INTEGER NOT NULL,
	PRIMARY KEY (user_id, channel_id)
) STRICT;

-- Every stored event, in order: pos is its position.  Its audience is the
-- members of hive_id, or of the direct channel channel_id.  Old events
-- are pruned; AUTOINCREMENT keeps positions from ever being given twice.
CREATE TABLE events (
	pos INTEGER PRIMARY KEY AUTOINCREMENT,
	hive_id INTEGER,
	channel_id INTEGER,
	kind TEXT NOT NULL,
	data TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX events_hive ON events(hive_id, pos) WHERE hive_id IS NOT NULL;
CREATE INDEX events_time ON events(created_at);

-- Full-text search over message bodies (newest first is by rowid).
CREATE VIRTUAL TABLE messages_fts USING fts5(
	body, content = 'messages', content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
	INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
	INSERT INTO messages_fts(messages_fts, rowid, body)
		VALUES ('delete', old.id, old.body);
	INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
	INSERT INTO messages_fts(messages_fts, rowid, body)
		VALUES ('delete', old.id, old.body);
END;
