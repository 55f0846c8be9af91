/*
 * accounts.h - people and their sessions.
 *
 * Domain logic over the store and the clock, with no sockets: the HTTP
 * API, the WebSocket operations and `ruche admin` all call these.
 * Password hashing itself is the caller's (it runs on a worker thread, see
 * jobs.h); these functions take hashes that are already made.
 */
#ifndef RUCHE_ACCOUNTS_H
#define RUCHE_ACCOUNTS_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "ruche/auth.h"
#include "ruche/store.h"

struct server;

/* Who is asking: every domain operation checks what they may do. */
struct actor {
	int64_t user_id;	/* 0: nobody (the command line acts as admin) */
	bool admin;
};

/* The command line's actor: an admin that is no user. */
#define ACTOR_OPERATOR ((struct actor){ .user_id = 0, .admin = true })

/*
 * Creates an account from a handle, a display name and a password hash.
 * Checks and normalises handle and name (RUCHE_EINVAL) and refuses a taken
 * handle (RUCHE_EHANDLE_TAKEN).  Fills *out.
 */
int accounts_create(struct server *srv, const char *handle, const char *name,
		    const char *pw_hash, bool admin, struct store_user *out);

/*
 * Opens a session for user_id: writes its token (never stored, give it to
 * the client once) and fills *out.
 */
int accounts_session_open(struct server *srv, int64_t user_id,
			  char token[AUTH_TOKEN_LEN + 1],
			  struct store_session *out);

/*
 * Finds the live session of a token and its user, sliding its expiry.
 * RUCHE_EUNAUTH for a malformed, unknown or expired token or a deleted
 * user.
 */
int accounts_session_check(struct server *srv, const char *token,
			   struct store_session *session,
			   struct store_user *user);

/* Ends a session and closes the connections that used it. */
int accounts_session_close(struct server *srv, int64_t session_id);

/* Sets a user's display name (checked and trimmed). */
int accounts_set_name(struct server *srv, int64_t user_id, const char *name);

/*
 * Sets a new password hash and ends every other session of the user
 * (keep_session stays; 0 ends them all), closing their connections.
 */
int accounts_set_password(struct server *srv, int64_t user_id,
			  const char *pw_hash, int64_t keep_session);

/* Everything Ruche holds about a user, as JSON (new reference): account,
 * sessions, hives, waitlists, invites they made, every message they wrote. */
int accounts_export(struct server *srv, int64_t user_id, json_t **out);

/* Erases an account: sessions and memberships go, the text of their
 * messages is erased (the messages stay, from "deleted user"); its
 * connections are closed. */
int accounts_delete(struct server *srv, int64_t user_id);

/* A user as the protocol shows it: id, handle, display_name, admin. */
json_t *accounts_user_json(const struct store_user *u);

#endif
