-- 0011: search that stays fast on a large history.
--
-- The last word of a search also matches the start of a word
-- (docs/protocol.md, msg.search).  Without a prefix index, FTS5 answers
-- such a word by merging the lists of every word that starts with it,
-- whole, before the first result: for "a" or "the" at 10 million
-- messages that is millions of entries and more than a second.  With the
-- prefixes of 1 to 4 characters indexed, those words read like any other
-- and the search stops at its limit; a longer prefix starts few enough
-- words to merge quickly.  The index is made again from the messages
-- (once, at this migration: minutes for millions of messages).
DROP TABLE messages_fts;
CREATE VIRTUAL TABLE messages_fts USING fts5(
	body, content = 'messages', content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3 4');
INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');

-- Search checks the channels of the hives a user belongs to.
CREATE INDEX channels_hive ON channels(hive_id);
