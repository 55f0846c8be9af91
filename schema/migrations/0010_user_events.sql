-- 0010: stored events addressed to one user.
--
-- Some events concern one person only and must not be missed when they
-- are offline at that moment: the reminder of a message (remind), a
-- scheduled message refused at its time (schedule.failed) and the
-- reminder of a meetup they said going to (meetup.reminder).  They go
-- into the one event log like every stored event, with user_id set
-- (hive_id and channel_id NULL), so that sync replays them to that user
-- and nobody else; they are pruned with the rest of the log.
ALTER TABLE events ADD COLUMN user_id INTEGER
	REFERENCES users(id) ON DELETE CASCADE;
CREATE INDEX events_user ON events(user_id, pos) WHERE user_id IS NOT NULL;
