-- PostgreSQL 0004: who is online, across the nodes of a cluster.
--
-- A node keeps one row per person it has connected (away: every one of
-- its connections of that person says so), and renews its rows' `until`
-- every few seconds; a person's status is the best of the rows still
-- valid (online before away), offline when none is.  A node that dies
-- stops renewing: its rows lapse, and the runner tells the hives
-- (cluster.c).  Times are the database's clock, in milliseconds.
CREATE TABLE presence (
	user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	node TEXT NOT NULL,
	away BIGINT NOT NULL DEFAULT 0,
	until BIGINT NOT NULL,
	PRIMARY KEY (user_id, node)
);
CREATE INDEX presence_node ON presence(node);
CREATE INDEX presence_until ON presence(until);
