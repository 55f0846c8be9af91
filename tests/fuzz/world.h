/*
 * world.h - a small Ruche world for the fuzz targets, without a socket.
 *
 * Every input starts from the same world, so that it replays the same way
 * on its own (a crash file reproduces it) and LeakSanitizer sees exactly
 * what one input left behind.  The world's store is built once, in memory;
 * each input runs inside a transaction on it that world_release() rolls
 * back (the grouped commits of the input become savepoints), with a new
 * struct server and a fake clock at a fixed time.  It holds:
 *
 *	user 1 "root"    admin of the instance, in no hive
 *	user 2 "mentor"  mentor of hive 1
 *	user 3 "ada"     learner of hive 1
 *	user 4 "bob"     learner of hive 1, connected and synced
 *	user 5 "eve"     no hive
 *	hive 1 "Hive", channels 1 general, 2 resources, 3 meetups
 *	hive 2 "Other" (capacity 1), ada its learner, channels 4..6
 *	messages 1..3 in general (a reply, a thread), 2 pinned and reported
 *	meetup 1 (1-2-4-all) in an hour; meetup 2 (troika-consulting,
 *	weekly) in a minute, ada going
 *
 * Every password is WORLD_PASSWORD, hashed at the lowest scrypt cost so
 * that an operation that checks one stays fast.
 */
#ifndef RUCHE_FUZZ_WORLD_H
#define RUCHE_FUZZ_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ruche/auth.h"
#include "ruche/clock.h"
#include "ruche/config.h"
#include "ruche/server.h"

#define WORLD_PASSWORD "correct horse battery"
#define WORLD_NOW 1800000000000LL	/* the fake clock's start, UTC ms */

enum world_user {
	WORLD_ROOT = 1,
	WORLD_MENTOR,
	WORLD_ADA,
	WORLD_BOB,
	WORLD_EVE,
};

struct world {
	struct config cfg;
	struct clock_fake clock;
	struct store *st;
	struct server srv;
	struct conn *bob;	/* a synced learner who receives events */
};

/* Once per process: quiet logs, cheap password hashes, the base world. */
void world_global_init(void);

/*
 * Starts an input's world.  fake_clock also makes clock.advance available,
 * as --fake-clock does.  Aborts on failure: a world that cannot be built
 * is a bug of the harness, not a finding.
 */
void world_init(struct world *w, bool fake_clock);

/* Frees the server and every connection still open, and rolls back what
 * the input stored; aborts if the transactions did not balance. */
void world_release(struct world *w);

/*
 * A new connection, authenticated as user (0: not authenticated) through
 * a real session, the way the auth operation does it.
 */
struct conn *world_conn(struct world *w, int64_t user);

/* A new session of user: its token, as /api/login would give it. */
void world_token(struct world *w, int64_t user,
		 char token[AUTH_TOKEN_LEN + 1]);

/* Runs one request as if it came from c and ends the turn. */
void world_send(struct world *w, struct conn *c, const char *json);

/* Empties every connection's queue, checking each frame is a JSON object. */
void world_drain(struct world *w);

#endif
