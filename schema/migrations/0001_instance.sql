-- 0001: the instance itself.
--
-- Settings that belong to this Ruche instance rather than to a hive or a
-- user, one row each.
CREATE TABLE instance (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;

INSERT INTO instance(key, value)
VALUES ('created_at', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
