-- 0012: messages are indexed for search once per commit, not one by one.
--
-- FTS5 writes what it has gathered to disk at every statement savepoint,
-- and each INSERT INTO messages opens one: indexing a message from its
-- insert trigger therefore wrote a new index segment per message, about
-- half of the server's work per message sent.  A new message now only
-- puts its id in messages_fts_pending; the store indexes every pending
-- message in one statement just before the transaction commits (and
-- before a search, so that a search sees what its turn wrote), which
-- gives one segment per commit.  Search results are unchanged: a message
-- is searchable once it is committed, as before.
--
-- A message still pending has nothing in the index yet: an edit or a
-- removal of it must not ask FTS5 to take out what was never put in
-- (with external content that would corrupt the index).
CREATE TABLE messages_fts_pending (
	id INTEGER PRIMARY KEY
) STRICT;

DROP TRIGGER messages_fts_insert;
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
	INSERT INTO messages_fts_pending(id) VALUES (new.id);
END;

DROP TRIGGER messages_fts_update;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages
WHEN NOT EXISTS (SELECT 1 FROM messages_fts_pending WHERE id = old.id)
BEGIN
	INSERT INTO messages_fts(messages_fts, rowid, body)
		VALUES ('delete', old.id, old.body);
	INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body);
END;

DROP TRIGGER messages_fts_delete;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
	INSERT INTO messages_fts(messages_fts, rowid, body)
		SELECT 'delete', old.id, old.body
		WHERE NOT EXISTS (SELECT 1 FROM messages_fts_pending
				  WHERE id = old.id);
	DELETE FROM messages_fts_pending WHERE id = old.id;
END;
