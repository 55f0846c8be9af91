/*
 * hives.h - hives, memberships, invites and waitlists.
 *
 * The community rules live here: who may create what, the learner
 * capacity of a hive, the learner load cap of mentors, invites and their
 * states, waitlists of full hives.  Each function checks that the actor
 * may act, changes nothing when it fails, and returns a RUCHE_E* code
 * whose protocol code (ruche_err_code) is what clients see.
 */
#ifndef RUCHE_HIVES_H
#define RUCHE_HIVES_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "ruche/accounts.h"
#include "ruche/store.h"

struct server;

#define HIVE_DEFAULT_CAPACITY 12
#define HIVE_NAME_MAX 64	/* characters */
#define HIVE_DESC_MAX 500	/* characters */
#define INVITE_MAX_USES 1000
#define INVITE_MIN_TTL_MS (60LL * 1000)
#define INVITE_MAX_TTL_MS (90LL * 86400 * 1000)

/*
 * Refuses the current request with RUCHE_ELIMIT, leaving {"limit": limit,
 * "max": max} in the error's details: limit names the server's cap
 * ("hives", "channels_per_hive", "members_per_hive"), max its value.
 * Returns RUCHE_ELIMIT.
 */
int hives_limit_reached(struct server *srv, const char *limit, int max);

/* Admin only.  capacity 0 means the default.  RUCHE_ELIMIT when the
 * server has --max-hives open hives already. */
int hives_create(struct server *srv, struct actor who, const char *name,
		 const char *description, int capacity, struct store_hive *out);

/* Admin only.  NULL name or description, or capacity 0, keeps that field. */
int hives_update(struct server *srv, struct actor who, int64_t hive_id,
		 const char *name, const char *description, int capacity,
		 struct store_hive *out);

/* Admin only.  An archived hive is read-only. */
int hives_archive(struct server *srv, struct actor who, int64_t hive_id);

/* The hives the actor sees: theirs, or all for an admin.  JSON array. */
int hives_list(struct server *srv, struct actor who, json_t **out);

/* A hive by id, else by name (a name may be all digits, like "2027"). */
int hives_find(struct server *srv, const char *id_or_name,
	       struct store_hive *out);

/* Members with roles and display names; members and admins only. */
int hives_members(struct server *srv, struct actor who, int64_t hive_id,
		  json_t **out);

/* The actor's role in a hive (ROLE_NONE when not a member). */
enum role hives_role(struct server *srv, int64_t hive_id, int64_t user_id);

/*
 * Admits user_id to a hive in role, checking capacity (RUCHE_EHIVE_FULL),
 * mentor load (RUCHE_EOVERLOADED) and the server's cap on members of a
 * hive (RUCHE_ELIMIT).  Admin only.
 */
int hives_add_member(struct server *srv, struct actor who, int64_t hive_id,
		     int64_t user_id, enum role role);

/*
 * Makes a member a learner or a mentor (admin only), with the seat and
 * load checks of hives_add_member; RUCHE_ENOT_MEMBER if they are not in.
 * Setting the role they have is a no-op.
 */
int hives_set_role(struct server *srv, struct actor who, int64_t hive_id,
		   int64_t user_id, enum role role);

/* Removes a member (admin), or the actor leaves (any member). */
int hives_remove_member(struct server *srv, struct actor who, int64_t hive_id,
			int64_t user_id);

/*
 * Creates an invite.  Admins invite to any hive in either role; mentors
 * invite learners to their hives.  hive_id 0 makes a first-admin link
 * (operator only).  Writes the code (shown once) and fills *out.
 */
int invites_create(struct server *srv, struct actor who, int64_t hive_id,
		   enum role role, int max_uses, int64_t ttl_ms,
		   char code[AUTH_TOKEN_LEN + 1], struct store_invite *out);

/* Invites of a hive (admins and its mentors), or all (admins, hive 0). */
int invites_list(struct server *srv, struct actor who, int64_t hive_id,
		 json_t **out);

/* Revokes an invite (admins, and mentors for their hives). */
int invites_revoke(struct server *srv, struct actor who, int64_t invite_id);

/*
 * Looks an invite code up and says whether it can still be used:
 * RUCHE_EINVITE_UNKNOWN, _EXPIRED, _REVOKED or _USED_UP otherwise.
 */
int invites_check(struct server *srv, const char *code,
		  struct store_invite *out);

/*
 * Uses an invite for user_id, in one transaction: a hive invite adds the
 * membership (or, when the hive is full and waitlist is true, a place on
 * its waitlist: *waitlisted is set); an admin invite makes user_id an
 * admin.  The user may have been created in the same transaction.
 */
int invites_use(struct server *srv, const struct store_invite *inv,
		int64_t user_id, bool waitlist, bool *waitlisted);

/* The waitlist of a hive (admins). */
int hives_waitlist(struct server *srv, struct actor who, int64_t hive_id,
		   json_t **out);

/* Admits a waitlisted learner to a hive (admins). */
int hives_admit(struct server *srv, struct actor who, int64_t hive_id,
		int64_t user_id);

/* JSON of a hive and of an invite, as the protocol shows them. */
json_t *hives_hive_json(const struct store_hive *h);

/* Tells the hive's members, live and on resume, of its new state: a
 * stored hive.updated event.  Inside the caller's transaction. */
int hives_announce(struct server *srv, int64_t hive_id);
json_t *hives_invite_json(const struct store_invite *inv, int64_t now);

#endif
