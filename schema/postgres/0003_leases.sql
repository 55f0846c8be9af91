-- PostgreSQL 0003: leases, so that exactly one node of a cluster runs
-- what runs on a timer (meetups, reminders, scheduled messages, pairing
-- rounds, mutes that end, retention).  A node holds the lease named
-- 'runner' while it renews it; the others take it once it has lapsed,
-- a few seconds after its holder stopped (cluster.c).  Times are the
-- database's own clock, in milliseconds, so that nodes need not agree.
CREATE TABLE leases (
	name TEXT PRIMARY KEY,
	holder TEXT NOT NULL,
	until BIGINT NOT NULL
);
