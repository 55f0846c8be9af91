-- 0002: what the chat area needs beyond the tables of 0001: full-text
-- search of messages, and event positions given as SQLite gives them.

-- ---- Search ---------------------------------------------------------------
--
-- SQLite searches with FTS5 (unicode61, diacritics removed): a token is a
-- run of letters and digits, folded to lower case without its accents.
-- Here the same words go into a tsvector: every other character becomes a
-- space first (so that "example.com" or "bob@x.org" are words, not one
-- host or address token as PostgreSQL's parser would make them), and the
-- configuration ruche_search is simple (no stop words, no stemming) with
-- unaccent before it.  The index is on that expression; PostgreSQL keeps
-- it up to date at each write, so nothing waits to be indexed.

-- The extension may be installed already, in another schema: find it.
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE TEXT SEARCH CONFIGURATION ruche_search (COPY = pg_catalog.simple);

DO $$
BEGIN
	EXECUTE format('ALTER TEXT SEARCH CONFIGURATION ruche_search '
		'ALTER MAPPING FOR word, numword, hword, hword_part, numhword, '
		'hword_numpart WITH %s.unaccent, pg_catalog.simple',
		(SELECT extnamespace::regnamespace::text FROM pg_extension
		 WHERE extname = 'unaccent'));
END
$$;

-- The words of a text, as searched.  Immutable: to_tsvector with a named
-- configuration is, and so is regexp_replace.
CREATE FUNCTION ruche_search_doc(body TEXT) RETURNS tsvector
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN to_tsvector('ruche_search'::regconfig,
			   regexp_replace(body, '[^[:alnum:]]+', ' ', 'g'));

-- The query for what a person typed, split into phrases as FTS5 would
-- (store_pg_chat.c reads the FTS5 query of chat.c): every phrase
-- required, its words in a row, the last word of the last one also as a
-- prefix when last_prefix.  Phrases without a word are left out.
CREATE FUNCTION ruche_search_query(phrases TEXT[], last_prefix BOOLEAN)
	RETURNS tsquery
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN (SELECT coalesce(string_agg('(' || q ||
		CASE WHEN n = cardinality(phrases) AND last_prefix
		THEN ':*' ELSE '' END || ')', ' & ' ORDER BY n), '')::tsquery
		FROM (SELECT n, phraseto_tsquery('ruche_search'::regconfig,
			regexp_replace(p, '[^[:alnum:]]+', ' ', 'g'))::text AS q
			FROM unnest(phrases) WITH ORDINALITY AS w(p, n)) AS w
		WHERE q <> '');

CREATE INDEX messages_search ON messages USING gin (ruche_search_doc(body));

-- ---- Event positions ------------------------------------------------------
--
-- SQLite gives events their position with AUTOINCREMENT: the highest ever
-- given plus one, undone with the transaction that took it, so positions
-- have no holes and store_event_last() is the last one committed.  An
-- identity column takes its values outside transactions (one undone is
-- lost for good); so every event takes its position from this row
-- instead, whoever inserts it.  Writers take turns on the row.
CREATE TABLE event_positions (
	last BIGINT NOT NULL
);
INSERT INTO event_positions(last) SELECT coalesce(max(pos), 0) FROM events;

CREATE FUNCTION events_next_pos() RETURNS trigger
	LANGUAGE plpgsql AS $$
BEGIN
	UPDATE event_positions SET last = last + 1 RETURNING last
		INTO NEW.pos;
	RETURN NEW;
END
$$;

CREATE TRIGGER events_pos BEFORE INSERT ON events
	FOR EACH ROW EXECUTE FUNCTION events_next_pos();
