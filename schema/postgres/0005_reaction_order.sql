-- PostgreSQL 0005: reactions listed in the order they were first made.
--
-- A message's reactions are listed by their first use (docs/protocol.md,
-- msg.history); two made within the same millisecond kept no order of
-- their own.  SQLite breaks the tie by its rowid, which follows
-- insertion; this column does the same here.
ALTER TABLE reactions ADD COLUMN seq BIGINT GENERATED ALWAYS AS IDENTITY;
