/* hives.c - hives, memberships, invites and waitlists: the community rules. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruche/chat.h"
#include "ruche/err.h"
#include "ruche/hives.h"
#include "ruche/log.h"
#include "ruche/moderation.h"
#include "ruche/proto.h"
#include "ruche/server.h"
#include "ruche/utf8.h"

static int64_t now_ms(struct server *srv)
{
	return clock_wall_ms(srv->clock);
}

json_t *hives_hive_json(const struct store_hive *h)
{
	return json_pack("{s:I, s:s, s:s, s:i, s:i, s:i, s:b, s:I, s:o}",
			 "id", (json_int_t)h->id, "name", h->name,
			 "description", h->description,
			 "capacity", h->capacity, "learners", h->learners,
			 "mentors", h->mentors, "archived", h->archived_at != 0,
			 "created_at", (json_int_t)h->created_at,
			 "retention_days", h->retention_days ?
			 json_integer(h->retention_days) : json_null());
}

static const char *invite_state(const struct store_invite *inv, int64_t now)
{
	if (inv->revoked_at)
		return "revoked";
	if (inv->expires_at <= now)
		return "expired";
	if (inv->uses >= inv->max_uses)
		return "used_up";
	return "active";
}

json_t *hives_invite_json(const struct store_invite *inv, int64_t now)
{
	json_t *o = json_pack("{s:I, s:s, s:i, s:i, s:I, s:s, s:I}",
			      "id", (json_int_t)inv->id,
			      "kind", inv->kind == INVITE_ADMIN ? "admin" : "hive",
			      "max_uses", inv->max_uses, "uses", inv->uses,
			      "expires_at", (json_int_t)inv->expires_at,
			      "state", invite_state(inv, now),
			      "created_at", (json_int_t)inv->created_at);

	if (o && inv->kind == INVITE_HIVE) {
		json_object_set_new(o, "hive_id", json_integer(inv->hive_id));
		json_object_set_new(o, "role", json_string(role_name(inv->role)));
	}
	return o;
}

enum role hives_role(struct server *srv, int64_t hive_id, int64_t user_id)
{
	enum role r = ROLE_NONE;

	if (user_id)
		store_member_role(srv->store, hive_id, user_id, &r);
	return r;
}

/* Checks a hive name (1-64 characters, trimmed) into out. */
static int clean_name(const char *name, char *out, size_t outlen)
{
	return auth_normalize_name(name, out, outlen);
}

static int check_description(const char *d)
{
	size_t n = strlen(d);

	if (!utf8_valid(d, n) || utf8_count(d, n) > HIVE_DESC_MAX ||
	    n >= STORE_DESC_BYTES)
		return RUCHE_EINVAL;
	return 0;
}

static int check_capacity(struct server *srv, int capacity)
{
	return capacity >= 1 && capacity <= srv->cfg->hive_max_capacity ?
	       0 : RUCHE_EINVAL;
}

int hives_limit_reached(struct server *srv, const char *limit, int max)
{
	json_decref(srv->err_detail);
	srv->err_detail = json_pack("{s:s, s:i}", "limit", limit, "max", max);
	return RUCHE_ELIMIT;
}

/* RUCHE_ELIMIT when the server holds --max-hives open hives already;
 * archived ones are read-only and do not count. */
static int check_max_hives(struct server *srv)
{
	struct store_hive *hives;
	size_t n, open = 0;
	int rc = store_hive_list(srv->store, 0, &hives, &n);

	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		open += !hives[i].archived_at;
	free(hives);
	if (open >= (size_t)srv->cfg->max_hives)
		return hives_limit_reached(srv, "hives", srv->cfg->max_hives);
	return 0;
}

int hives_create(struct server *srv, struct actor who, const char *name,
		 const char *description, int capacity, struct store_hive *out)
{
	struct store_hive h = { 0 };
	int rc;

	if (!who.admin)
		return RUCHE_EFORBIDDEN;
	if (!capacity)
		capacity = HIVE_DEFAULT_CAPACITY < srv->cfg->hive_max_capacity ?
			   HIVE_DEFAULT_CAPACITY : srv->cfg->hive_max_capacity;
	if (clean_name(name, h.name, sizeof(h.name)) ||
	    check_description(description ? description : "") ||
	    check_capacity(srv, capacity))
		return RUCHE_EINVAL;
	snprintf(h.description, sizeof(h.description), "%s",
		 description ? description : "");
	h.capacity = capacity;
	h.created_at = now_ms(srv);
	rc = server_begin(srv);
	if (rc)
		return rc;
	rc = check_max_hives(srv);
	if (!rc)
		rc = store_hive_insert(srv->store, &h);
	if (!rc)
		rc = chat_create_defaults(srv, h.id);
	rc = server_end(srv, rc);
	if (rc)
		return rc;
	log_info("hive %lld created", (long long)h.id);
	if (out)
		*out = h;
	return 0;
}

/* Reads a hive an admin is about to change: it must not be archived. */
static int admin_edit(struct server *srv, struct actor who, int64_t hive_id,
		      struct store_hive *h)
{
	int rc;

	if (!who.admin)
		return RUCHE_EFORBIDDEN;
	rc = store_hive_get(srv->store, hive_id, h);
	if (rc)
		return rc;
	return h->archived_at ? RUCHE_EARCHIVED : 0;
}

int hives_announce(struct server *srv, int64_t hive_id)
{
	struct store_hive h;
	int rc = store_hive_get(srv->store, hive_id, &h);

	return rc ? rc : server_emit(srv, hive_id, 0, "hive.updated",
				     json_pack("{s:o}", "hive",
					       hives_hive_json(&h)));
}

int hives_update(struct server *srv, struct actor who, int64_t hive_id,
		 const char *name, const char *description, int capacity,
		 struct store_hive *out)
{
	struct store_hive h;
	int rc = admin_edit(srv, who, hive_id, &h);

	if (rc)
		return rc;
	if (name && clean_name(name, h.name, sizeof(h.name)))
		return RUCHE_EINVAL;
	if (description) {
		if (check_description(description))
			return RUCHE_EINVAL;
		snprintf(h.description, sizeof(h.description), "%s",
			 description);
	}
	if (capacity) {
		/* Lowering below the learners already in would strand them. */
		if (check_capacity(srv, capacity) || capacity < h.learners)
			return RUCHE_EINVAL;
		h.capacity = capacity;
	}
	rc = server_begin(srv);
	if (rc)
		return rc;
	rc = store_hive_update(srv->store, &h);
	if (!rc)
		rc = hives_announce(srv, hive_id);
	if (!rc && out)
		*out = h;
	return server_end(srv, rc);
}

int hives_archive(struct server *srv, struct actor who, int64_t hive_id)
{
	struct store_hive h;
	int rc = admin_edit(srv, who, hive_id, &h);

	if (rc || (rc = server_begin(srv)))
		return rc;
	rc = store_hive_archive(srv->store, hive_id, now_ms(srv));
	if (!rc)
		rc = hives_announce(srv, hive_id);
	return server_end(srv, rc);
}

int hives_find(struct server *srv, const char *id_or_name,
	       struct store_hive *out)
{
	char *end;
	long long id;

	int rc;

	errno = 0;
	id = strtoll(id_or_name, &end, 10);
	if (!errno && *id_or_name && !*end && id > 0) {
		rc = store_hive_get(srv->store, id, out);
		/* A hive may be named with digits only, like "2027". */
		if (rc != RUCHE_ENOTFOUND)
			return rc;
	}
	return store_hive_by_name(srv->store, id_or_name, out);
}

int hives_list(struct server *srv, struct actor who, json_t **out)
{
	struct store_hive *hives;
	size_t n;
	json_t *arr;
	int rc;

	rc = store_hive_list(srv->store, who.admin ? 0 : who.user_id, &hives,
			     &n);
	if (rc)
		return rc;
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		json_t *h = hives_hive_json(&hives[i]);
		struct store_mute mute;

		json_object_set_new(h, "role", json_string(role_name(
			hives_role(srv, hives[i].id, who.user_id))));
		/* A muted member's client says so from the start, not only
		 * at their first refused message. */
		if (who.user_id &&
		    !store_mute_get(srv->store, hives[i].id, who.user_id,
				    &mute) &&
		    mute.until > now_ms(srv))
			json_object_set_new(h, "muted_until",
					    json_integer(mute.until));
		json_array_append_new(arr, h);
	}
	free(hives);
	*out = arr;
	return arr ? 0 : RUCHE_ENOMEM;
}

/* Members and admins may look into a hive; others learn nothing of it. */
static int may_see(struct server *srv, struct actor who, int64_t hive_id,
		   struct store_hive *h)
{
	int rc = store_hive_get(srv->store, hive_id, h);

	if (rc)
		return rc;
	if (!who.admin && hives_role(srv, hive_id, who.user_id) == ROLE_NONE)
		return RUCHE_ENOTFOUND;
	return 0;
}

static json_t *member_json(const struct store_member *m)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:I, s:b}", "user_id",
			 (json_int_t)m->user_id, "handle", m->handle,
			 "display_name", m->name, "role", role_name(m->role),
			 "since", (json_int_t)m->since, "admin", m->admin);
}

static json_t *members_json(const struct store_member *m, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, member_json(&m[i]));
	return arr;
}

/*
 * Membership changes are stored events: the hive's members see them live,
 * and a client that was away gets them when it resumes.
 */
static int announce_joined(struct server *srv, int64_t hive_id,
			   int64_t user_id, enum role role, int64_t since)
{
	struct store_member m = { .user_id = user_id, .role = role,
				  .since = since };
	struct store_user u;
	int rc = store_user_get(srv->store, user_id, &u);

	if (rc)
		return rc;
	snprintf(m.handle, sizeof(m.handle), "%s", u.handle);
	snprintf(m.name, sizeof(m.name), "%s", u.name);
	m.admin = u.is_admin;
	return server_emit(srv, hive_id, 0, "member.joined",
			   json_pack("{s:I, s:o}", "hive_id",
				     (json_int_t)hive_id, "member",
				     member_json(&m)));
}

int hives_members(struct server *srv, struct actor who, int64_t hive_id,
		  json_t **out)
{
	struct store_member *m;
	struct store_hive h;
	size_t n;
	int rc = may_see(srv, who, hive_id, &h);

	if (rc)
		return rc;
	rc = store_member_list(srv->store, hive_id, &m, &n);
	if (rc)
		return rc;
	*out = members_json(m, n);
	free(m);
	return *out ? 0 : RUCHE_ENOMEM;
}

/*
 * Admits user_id to hive h in role, inside the caller's transaction:
 * capacity and mentor load are checked against what is committed.
 */
static int admit(struct server *srv, const struct store_hive *h,
		 int64_t user_id, enum role role)
{
	int cap = srv->cfg->mentor_max_learners, load;
	enum role have;
	int rc;

	if (h->archived_at)
		return RUCHE_EARCHIVED;
	rc = store_member_role(srv->store, h->id, user_id, &have);
	if (rc)
		return rc;
	if (have != ROLE_NONE)
		return RUCHE_EMEMBER;
	/* A full hive says so first: the waitlist is its answer. */
	if (role == ROLE_LEARNER && h->learners >= h->capacity)
		return RUCHE_EHIVE_FULL;
	if (h->learners + h->mentors >= srv->cfg->max_members_per_hive)
		return hives_limit_reached(srv, "members_per_hive",
					   srv->cfg->max_members_per_hive);
	if (role == ROLE_LEARNER) {
		int64_t *mentors;
		size_t n;

		rc = store_hive_mentors(srv->store, h->id, &mentors, &n);
		for (size_t i = 0; !rc && i < n; i++) {
			rc = store_mentor_load(srv->store, mentors[i], &load);
			if (!rc && load + 1 > cap)
				rc = RUCHE_EOVERLOADED;
		}
		free(mentors);
	} else {
		rc = store_mentor_load(srv->store, user_id, &load);
		if (!rc && load + h->learners > cap)
			rc = RUCHE_EOVERLOADED;
	}
	if (!rc)
		rc = store_member_insert(srv->store, h->id, user_id, role,
					 now_ms(srv));
	if (!rc)
		server_user_joined(srv, user_id, h->id);
	if (!rc)
		rc = announce_joined(srv, h->id, user_id, role, now_ms(srv));
	if (!rc) {
		int w = store_waitlist_delete(srv->store, h->id, user_id);

		rc = w == RUCHE_ENOTFOUND ? 0 : w;
	}
	if (!rc) {
		log_info("hive %lld: user %lld joined as %s", (long long)h->id,
			 (long long)user_id, role_name(role));
	}
	return rc;
}

int hives_add_member(struct server *srv, struct actor who, int64_t hive_id,
		     int64_t user_id, enum role role)
{
	struct store_hive h;
	struct store_user u;
	int rc;

	if (!who.admin)
		return RUCHE_EFORBIDDEN;
	if (role == ROLE_NONE)
		return RUCHE_EINVAL;
	rc = server_begin(srv);
	if (rc)
		return rc;
	rc = store_hive_get(srv->store, hive_id, &h);
	if (!rc)
		rc = store_user_get(srv->store, user_id, &u);
	if (!rc && u.deleted)
		rc = RUCHE_ENOTFOUND;
	if (!rc)
		rc = admit(srv, &h, user_id, role);
	return server_end(srv, rc);
}

int hives_remove_member(struct server *srv, struct actor who, int64_t hive_id,
			int64_t user_id)
{
	struct frame *f;
	int rc;

	if (who.user_id != user_id && !who.admin)
		return RUCHE_EFORBIDDEN;
	rc = server_begin(srv);
	if (rc)
		return rc;
	rc = store_member_delete(srv->store, hive_id, user_id);
	if (rc == RUCHE_ENOTFOUND)
		rc = RUCHE_ENOT_MEMBER;
	if (!rc)
		rc = server_emit(srv, hive_id, 0, "member.left",
				 json_pack("{s:I, s:I}", "hive_id",
					   (json_int_t)hive_id, "user_id",
					   (json_int_t)user_id));
	rc = server_end(srv, rc);
	if (rc)
		return rc;
	log_info("hive %lld: user %lld left", (long long)hive_id,
		 (long long)user_id);
	server_user_left(srv, user_id, hive_id);
	/* Their open connections learn it at once, not at their next login. */
	f = proto_event("hive.removed", -1,
			json_pack("{s:I}", "hive_id", (json_int_t)hive_id));
	if (f) {
		server_send_user(srv, user_id, f);
		frame_unref(f);
	}
	return 0;
}

/*
 * Seats are checked as admit() does: a learner who becomes a mentor frees
 * a seat but takes on the hive's learners; a mentor who becomes a learner
 * needs a free seat and room in every mentor's load.
 */
static int role_fits(struct server *srv, const struct store_hive *h,
		     int64_t user_id, enum role role)
{
	int cap = srv->cfg->mentor_max_learners, load;
	int64_t *mentors;
	size_t n;
	int rc;

	if (role == ROLE_MENTOR) {
		rc = store_mentor_load(srv->store, user_id, &load);
		return !rc && load + h->learners - 1 > cap ?
		       RUCHE_EOVERLOADED : rc;
	}
	if (h->learners >= h->capacity)
		return RUCHE_EHIVE_FULL;
	rc = store_hive_mentors(srv->store, h->id, &mentors, &n);
	for (size_t i = 0; !rc && i < n; i++) {
		if (mentors[i] == user_id)
			continue;	/* no longer a mentor here */
		rc = store_mentor_load(srv->store, mentors[i], &load);
		if (!rc && load + 1 > cap)
			rc = RUCHE_EOVERLOADED;
	}
	free(mentors);
	return rc;
}

int hives_set_role(struct server *srv, struct actor who, int64_t hive_id,
		   int64_t user_id, enum role role)
{
	struct store_hive h;
	enum role have = ROLE_NONE;
	int rc;

	if (!who.admin)
		return RUCHE_EFORBIDDEN;
	if (role != ROLE_LEARNER && role != ROLE_MENTOR)
		return RUCHE_EINVAL;
	rc = server_begin(srv);
	if (rc)
		return rc;
	rc = admin_edit(srv, who, hive_id, &h);
	if (!rc)
		rc = store_member_role(srv->store, hive_id, user_id, &have);
	if (!rc && have == ROLE_NONE)
		rc = RUCHE_ENOT_MEMBER;
	if (!rc && have != role) {
		rc = role_fits(srv, &h, user_id, role);
		if (!rc)
			rc = store_member_set_role(srv->store, hive_id, user_id,
						   role);
		if (!rc)
			rc = server_emit(srv, hive_id, 0, "member.updated",
					 json_pack("{s:I, s:I, s:s}", "hive_id",
						   (json_int_t)hive_id,
						   "user_id",
						   (json_int_t)user_id,
						   "role", role_name(role)));
		if (!rc)
			log_info("hive %lld: user %lld is now %s",
				 (long long)hive_id, (long long)user_id,
				 role_name(role));
	}
	return server_end(srv, rc);
}

int invites_create(struct server *srv, struct actor who, int64_t hive_id,
		   enum role role, int max_uses, int64_t ttl_ms,
		   char code[AUTH_TOKEN_LEN + 1], struct store_invite *out)
{
	unsigned char digest[AUTH_DIGEST_LEN];
	struct store_invite inv = { 0 };
	struct store_hive h;
	int rc;

	if (max_uses < 1 || max_uses > INVITE_MAX_USES ||
	    ttl_ms < INVITE_MIN_TTL_MS || ttl_ms > INVITE_MAX_TTL_MS)
		return RUCHE_EINVAL;
	if (hive_id == 0) {
		/* First-admin links come from the operator's command line. */
		if (who.user_id || !who.admin)
			return RUCHE_EFORBIDDEN;
		inv.kind = INVITE_ADMIN;
	} else {
		if (role == ROLE_NONE)
			return RUCHE_EINVAL;
		rc = may_see(srv, who, hive_id, &h);
		if (rc)
			return rc;
		if (!who.admin &&
		    (hives_role(srv, hive_id, who.user_id) != ROLE_MENTOR ||
		     role != ROLE_LEARNER))
			return RUCHE_EFORBIDDEN;
		if (h.archived_at)
			return RUCHE_EARCHIVED;
		inv.kind = INVITE_HIVE;
		inv.hive_id = hive_id;
		inv.role = role;
	}
	rc = auth_new_token(code, digest);
	if (rc)
		return rc;
	inv.max_uses = max_uses;
	inv.created_at = now_ms(srv);
	inv.expires_at = inv.created_at + ttl_ms;
	inv.created_by = who.user_id;
	rc = store_invite_insert(srv->store, &inv, digest);
	if (rc)
		return rc;
	log_info("invite %lld created", (long long)inv.id);
	if (out)
		*out = inv;
	return 0;
}

/* Admins manage every invite; mentors those of their hives. */
static int may_manage_invites(struct server *srv, struct actor who,
			      int64_t hive_id)
{
	if (who.admin)
		return 0;
	if (hive_id && hives_role(srv, hive_id, who.user_id) == ROLE_MENTOR)
		return 0;
	return RUCHE_EFORBIDDEN;
}

int invites_list(struct server *srv, struct actor who, int64_t hive_id,
		 json_t **out)
{
	struct store_invite *inv;
	int64_t now = now_ms(srv);
	size_t n;
	json_t *arr;
	int rc = may_manage_invites(srv, who, hive_id);

	if (rc)
		return rc;
	rc = store_invite_list(srv->store, hive_id, &inv, &n);
	if (rc)
		return rc;
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, hives_invite_json(&inv[i], now));
	free(inv);
	*out = arr;
	return arr ? 0 : RUCHE_ENOMEM;
}

int invites_revoke(struct server *srv, struct actor who, int64_t invite_id)
{
	struct store_invite inv;
	int rc = store_invite_get(srv->store, invite_id, &inv);

	if (rc)
		return rc;
	if (may_manage_invites(srv, who, inv.hive_id))
		return who.admin || hives_role(srv, inv.hive_id, who.user_id) ?
		       RUCHE_EFORBIDDEN : RUCHE_ENOTFOUND;
	if (inv.revoked_at)
		return RUCHE_EINVITE_REVOKED;
	return store_invite_revoke(srv->store, invite_id, now_ms(srv));
}

int invites_check(struct server *srv, const char *code,
		  struct store_invite *out)
{
	unsigned char digest[AUTH_DIGEST_LEN];
	int64_t now = now_ms(srv);
	int rc;

	if (!auth_token_wellformed(code) || auth_token_digest(code, digest))
		return RUCHE_EINVITE_UNKNOWN;
	rc = store_invite_by_digest(srv->store, digest, out);
	if (rc)
		return rc == RUCHE_ENOTFOUND ? RUCHE_EINVITE_UNKNOWN : rc;
	if (out->revoked_at)
		return RUCHE_EINVITE_REVOKED;
	if (out->expires_at <= now)
		return RUCHE_EINVITE_EXPIRED;
	if (out->uses >= out->max_uses)
		return RUCHE_EINVITE_USED_UP;
	return 0;
}

int invites_use(struct server *srv, const struct store_invite *inv,
		int64_t user_id, bool waitlist, bool *waitlisted)
{
	struct store_hive h;
	int rc;

	*waitlisted = false;
	if (inv->kind == INVITE_ADMIN) {
		rc = store_invite_use(srv->store, inv->id);
		if (rc)
			return rc == RUCHE_ENOTFOUND ? RUCHE_EINVITE_USED_UP : rc;
		return store_user_set_admin(srv->store, user_id, true);
	}
	rc = store_hive_get(srv->store, inv->hive_id, &h);
	if (rc)
		return rc == RUCHE_ENOTFOUND ? RUCHE_EINVITE_UNKNOWN : rc;
	/* No invite of a hive admits someone its mentors banned. */
	if (mod_banned(srv, h.id, user_id))
		return RUCHE_EBANNED;
	rc = admit(srv, &h, user_id, inv->role);
	if (rc == RUCHE_EHIVE_FULL && waitlist && inv->role == ROLE_LEARNER) {
		rc = store_waitlist_insert(srv->store, h.id, user_id,
					   now_ms(srv));
		if (!rc)
			*waitlisted = true;
	}
	if (!rc) {
		rc = store_invite_use(srv->store, inv->id);
		if (rc == RUCHE_ENOTFOUND)
			rc = RUCHE_EINVITE_USED_UP;
	}
	return rc;
}

int hives_waitlist(struct server *srv, struct actor who, int64_t hive_id,
		   json_t **out)
{
	struct store_member *m;
	struct store_hive h;
	size_t n;
	int rc;

	if (!who.admin)
		return RUCHE_EFORBIDDEN;
	rc = store_hive_get(srv->store, hive_id, &h);
	if (rc)
		return rc;
	rc = store_waitlist_list(srv->store, hive_id, &m, &n);
	if (rc)
		return rc;
	*out = members_json(m, n);
	free(m);
	return *out ? 0 : RUCHE_ENOMEM;
}

int hives_admit(struct server *srv, struct actor who, int64_t hive_id,
		int64_t user_id)
{
	struct store_member *m;
	struct store_hive h;
	bool waiting = false;
	size_t n;
	int rc;

	if (!who.admin)
		return RUCHE_EFORBIDDEN;
	rc = server_begin(srv);
	if (rc)
		return rc;
	rc = store_hive_get(srv->store, hive_id, &h);
	if (!rc)
		rc = store_waitlist_list(srv->store, hive_id, &m, &n);
	if (!rc) {
		for (size_t i = 0; i < n; i++)
			waiting = waiting || m[i].user_id == user_id;
		free(m);
		rc = waiting ? admit(srv, &h, user_id, ROLE_LEARNER) :
			       RUCHE_ENOTFOUND;
	}
	return server_end(srv, rc);
}
