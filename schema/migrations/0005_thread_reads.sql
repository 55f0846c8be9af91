-- 0005: how far each person has read in each thread.
CREATE TABLE thread_reads (
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	thread_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
	message_id INTEGER NOT NULL,
	PRIMARY KEY (user_id, thread_id)
) STRICT;
