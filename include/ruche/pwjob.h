/*
 * pwjob.h - checking and hashing passwords off the event loop.
 *
 * A pwjob verifies a password against a stored hash, hashes a new one, or
 * both (verify the old, then hash the new, as a password change does).
 * Embed struct pwjob first in a struct of your own, fill it, and call
 * pwjob_start(); `done` runs later on the event loop with the results,
 * and owns the job (it frees it).  The passwords are wiped once used.
 */
#ifndef RUCHE_PWJOB_H
#define RUCHE_PWJOB_H

#include <stdbool.h>

#include "ruche/auth.h"

struct server;

struct pwjob {
	struct server *srv;
	/* In: verify `password` against `stored` ("" for an unknown user,
	 * which still costs one hashing). */
	bool verify;
	char password[AUTH_PASSWORD_MAX + 1];
	char stored[AUTH_HASH_MAX];
	/* In: hash `new_password` into `new_hash` (only after a successful
	 * verify, when both are asked). */
	bool hash;
	char new_password[AUTH_PASSWORD_MAX + 1];
	/* Out. */
	bool verified;
	int rc;				/* 0, or RUCHE_EIO from hashing */
	char new_hash[AUTH_HASH_MAX];

	void (*done)(struct pwjob *job);
};

/*
 * Runs the job on the server's worker threads (or at once, on this thread,
 * when the server has none, as on the command line), then calls done on
 * the event loop.  Returns 0, or RUCHE_ENOMEM (done is then never called).
 */
int pwjob_start(struct pwjob *job);

#endif
