-- 0013: a search reads only the channels its reader may see.
--
-- Until now the search index gave each message its id as its place, so
-- the messages of one hive were spread over the whole of every word's
-- list.  A learner sees one hive among hundreds: for two common words
-- ("have thank"), FTS5 walked both lists, millions of entries, to find
-- the few dozen the learner may read (100-350 ms at 10 million
-- messages).  Now a message's place in the index is its channel, then
-- its id:
--
--     key = channel_id << 40 | id
--
-- so each channel is one contiguous range of every list, and a search
-- asks for the newest matches of each channel its reader sees (FTS5
-- seeks to the range through its doclist index), then keeps the newest
-- of them all.  Channel ids stay below 2^23 and message ids below 2^40
-- (the triggers below refuse more), so a key is a positive 63-bit
-- integer.
--
-- The index takes its text through a view that gives each message its
-- key.  FTS5 reads that view only to check the index (`ruche check`) and
-- never during a search: excerpts are made by the store on the few
-- messages found (store_sqlite.c, excerpts()).  The index is made
-- again from the messages, in key order so that FTS5 writes each word's
-- list once (minutes for millions of messages).
DROP TABLE messages_fts;
CREATE VIEW messages_fts_source AS
	SELECT (channel_id << 40) | id AS key, body FROM messages;
CREATE VIRTUAL TABLE messages_fts USING fts5(
	body, content = 'messages_fts_source', content_rowid = 'key',
	tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3 4');
INSERT INTO messages_fts(rowid, body)
	SELECT (channel_id << 40) | id, body FROM messages
	ORDER BY channel_id, id;
DELETE FROM messages_fts_pending;
-- One segment: a search of one channel seeks each word once, not once
-- per segment (14 after a load of 10 million messages: 3-5 times the
-- time).  New messages then add small segments that FTS5 merges as
-- they come.
INSERT INTO messages_fts(messages_fts) VALUES ('optimize');

DROP TRIGGER messages_fts_insert;
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
	SELECT RAISE(ABORT, 'message ids must stay below 2^40 (search keys)')
		WHERE new.id >= 1099511627776;
	INSERT INTO messages_fts_pending(id) VALUES (new.id);
END;

DROP TRIGGER messages_fts_update;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body, channel_id
ON messages
WHEN NOT EXISTS (SELECT 1 FROM messages_fts_pending WHERE id = old.id)
BEGIN
	INSERT INTO messages_fts(messages_fts, rowid, body)
		VALUES ('delete', (old.channel_id << 40) | old.id, old.body);
	INSERT INTO messages_fts(rowid, body)
		VALUES ((new.channel_id << 40) | new.id, new.body);
END;

DROP TRIGGER messages_fts_delete;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
	INSERT INTO messages_fts(messages_fts, rowid, body)
		SELECT 'delete', (old.channel_id << 40) | old.id, old.body
		WHERE NOT EXISTS (SELECT 1 FROM messages_fts_pending
				  WHERE id = old.id);
	DELETE FROM messages_fts_pending WHERE id = old.id;
END;

CREATE TRIGGER channels_key_bound AFTER INSERT ON channels
WHEN new.id >= 8388608
BEGIN
	SELECT RAISE(ABORT, 'channel ids must stay below 2^23 (search keys)');
END;
