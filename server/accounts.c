/* accounts.c - accounts and sessions over the store. */
#include <stdlib.h>
#include <string.h>

#include "ruche/accounts.h"
#include "ruche/err.h"
#include "ruche/hives.h"
#include "ruche/log.h"
#include "ruche/server.h"
#include "ruche/store.h"

/* A session's expiry slides forward at most this often, to spare writes. */
#define TOUCH_EVERY_MS (60 * 1000)

static int64_t now_ms(struct server *srv)
{
	return clock_wall_ms(srv->clock);
}

json_t *accounts_user_json(const struct store_user *u)
{
	return json_pack("{s:I, s:s, s:s, s:b}", "id", (json_int_t)u->id,
			 "handle", u->handle, "display_name", u->name,
			 "admin", u->is_admin);
}

int accounts_create(struct server *srv, const char *handle, const char *name,
		    const char *pw_hash, bool admin, struct store_user *out)
{
	struct store_user u = { 0 };
	int rc;

	if (auth_normalize_handle(handle, u.handle) ||
	    auth_normalize_name(name, u.name, sizeof(u.name)))
		return RUCHE_EINVAL;
	if (strlen(pw_hash) >= sizeof(u.pw_hash))
		return RUCHE_EINVAL;
	strcpy(u.pw_hash, pw_hash);
	u.is_admin = admin;
	u.created_at = now_ms(srv);
	rc = store_user_insert(srv->store, &u);
	if (rc == RUCHE_EEXIST)
		return RUCHE_EHANDLE_TAKEN;
	if (rc)
		return rc;
	log_info("account %lld created%s", (long long)u.id,
		 admin ? " (admin)" : "");
	if (out)
		*out = u;
	return 0;
}

int accounts_session_open(struct server *srv, int64_t user_id,
			  char token[AUTH_TOKEN_LEN + 1],
			  struct store_session *out)
{
	unsigned char digest[AUTH_DIGEST_LEN];
	int64_t now = now_ms(srv);
	struct store_session s = { 0 };
	int rc;

	rc = auth_new_token(token, digest);
	if (rc)
		return rc;
	s.user_id = user_id;
	s.created_at = s.last_seen_at = now;
	s.expires_at = now + srv->cfg->session_ttl_s * 1000;
	rc = store_session_insert(srv->store, user_id, digest, now,
				  s.expires_at, &s.id);
	if (rc)
		return rc;
	if (out)
		*out = s;
	return 0;
}

int accounts_session_check(struct server *srv, const char *token,
			   struct store_session *session,
			   struct store_user *user)
{
	unsigned char digest[AUTH_DIGEST_LEN];
	int64_t now = now_ms(srv);
	int rc;

	if (!token || !auth_token_wellformed(token) ||
	    auth_token_digest(token, digest))
		return RUCHE_EUNAUTH;
	rc = store_session_by_digest(srv->store, digest, session);
	if (rc)
		return rc == RUCHE_ENOTFOUND ? RUCHE_EUNAUTH : rc;
	if (session->expires_at <= now) {
		store_session_delete(srv->store, session->id);
		return RUCHE_EUNAUTH;
	}
	rc = store_user_get(srv->store, session->user_id, user);
	if (rc || user->deleted)
		return rc && rc != RUCHE_ENOTFOUND ? rc : RUCHE_EUNAUTH;
	if (now - session->last_seen_at >= TOUCH_EVERY_MS) {
		session->last_seen_at = now;
		session->expires_at = now + srv->cfg->session_ttl_s * 1000;
		store_session_touch(srv->store, session->id, now,
				    session->expires_at);
	}
	return 0;
}

int accounts_session_close(struct server *srv, int64_t session_id)
{
	int rc = store_session_delete(srv->store, session_id);

	if (!rc)
		server_close_session(srv, session_id);
	return rc;
}

int accounts_set_name(struct server *srv, int64_t user_id, const char *name)
{
	char clean[STORE_NAME_BYTES];

	struct store_hive *hives;
	size_t n;
	int rc;

	if (auth_normalize_name(name, clean, sizeof(clean)))
		return RUCHE_EINVAL;
	rc = server_begin(srv);
	if (rc)
		return rc;
	rc = store_user_set_name(srv->store, user_id, clean);
	if (!rc)
		rc = store_hive_list(srv->store, user_id, &hives, &n);
	if (rc)
		return server_end(srv, rc);
	/* Whoever shares a hive with them sees the new name at once. */
	for (size_t i = 0; !rc && i < n; i++)
		rc = server_emit(srv, hives[i].id, 0, "user.updated",
				 json_pack("{s:I, s:s}", "user_id",
					   (json_int_t)user_id,
					   "display_name", clean));
	free(hives);
	return server_end(srv, rc);
}

int accounts_set_password(struct server *srv, int64_t user_id,
			  const char *pw_hash, int64_t keep_session)
{
	struct store_user u;
	int rc = server_begin(srv);

	if (rc)
		return rc;
	rc = store_user_get(srv->store, user_id, &u);
	if (!rc && u.deleted)
		rc = RUCHE_ENOTFOUND;	/* an erased account stays erased */
	if (!rc)
		rc = store_user_set_password(srv->store, user_id, pw_hash);
	if (!rc)
		rc = store_session_delete_user(srv->store, user_id,
					       keep_session);
	if (!rc)
		rc = store_commit(srv->store);
	if (rc) {
		store_rollback(srv->store);
		return rc;
	}
	server_close_user(srv, user_id, keep_session);
	log_info("account %lld: password changed, other sessions ended",
		 (long long)user_id);
	return 0;
}

/* The rest of an export: waitlists, invites made, and every message. */
static int export_rest(struct server *srv, int64_t user_id, json_t *doc)
{
	struct store_invite *inv = NULL;
	struct store_message *msgs = NULL;
	int64_t *wait = NULL, now = now_ms(srv);
	size_t n = 0;
	json_t *arr;
	int rc = store_waitlist_of_user(srv->store, user_id, &wait, &n);

	arr = json_array();
	for (size_t i = 0; !rc && i < n; i++)
		json_array_append_new(arr, json_integer(wait[i]));
	free(wait);
	json_object_set_new(doc, "waitlists", arr);
	if (!rc)
		rc = store_invite_list(srv->store, 0, &inv, &n);
	arr = json_array();
	for (size_t i = 0; !rc && i < n; i++)
		if (inv[i].created_by == user_id)
			json_array_append_new(arr, hives_invite_json(&inv[i],
								     now));
	free(inv);
	json_object_set_new(doc, "invites_created", arr);
	if (!rc)
		rc = store_msg_by_author(srv->store, user_id, &msgs, &n);
	arr = json_array();
	for (size_t i = 0; !rc && i < n; i++) {
		json_t *m = json_pack("{s:I, s:I, s:s, s:I, s:b}", "id",
				      (json_int_t)msgs[i].id, "channel_id",
				      (json_int_t)msgs[i].channel_id, "text",
				      msgs[i].body, "created_at",
				      (json_int_t)msgs[i].created_at,
				      "deleted", msgs[i].deleted_at != 0);

		if (msgs[i].edited_at)
			json_object_set_new(m, "edited_at",
					    json_integer(msgs[i].edited_at));
		json_array_append_new(arr, m);
	}
	if (!rc)
		store_msg_list_free(msgs, n);
	json_object_set_new(doc, "messages", arr);
	return rc;
}

int accounts_export(struct server *srv, int64_t user_id, json_t **out)
{
	struct store_session *sessions = NULL;
	struct store_user u;
	size_t nsessions = 0;
	json_t *doc, *hives = NULL, *arr;
	/* As a plain member: the hives they belong to, even for an admin. */
	struct actor me = { user_id, false };
	int rc;

	rc = store_user_get(srv->store, user_id, &u);
	if (rc)
		return rc;
	rc = store_session_list(srv->store, user_id, &sessions, &nsessions);
	if (rc)
		return rc;
	doc = json_pack("{s:s, s:I, s:o, s:[]}", "format", "ruche-export/1",
			"exported_at", (json_int_t)now_ms(srv), "user",
			accounts_user_json(&u), "sessions");
	if (!doc) {
		free(sessions);
		return RUCHE_ENOMEM;
	}
	json_object_set_new(json_object_get(doc, "user"), "created_at",
			    json_integer(u.created_at));
	arr = json_object_get(doc, "sessions");
	for (size_t i = 0; i < nsessions; i++)
		json_array_append_new(arr, json_pack(
			"{s:I, s:I, s:I}", "created_at",
			(json_int_t)sessions[i].created_at, "last_seen_at",
			(json_int_t)sessions[i].last_seen_at, "expires_at",
			(json_int_t)sessions[i].expires_at));
	free(sessions);
	rc = hives_list(srv, me, &hives);
	if (!rc)
		json_object_set_new(doc, "hives", hives);
	if (!rc)
		rc = export_rest(srv, user_id, doc);
	if (rc) {
		json_decref(doc);
		return rc;
	}
	*out = doc;
	return 0;
}

int accounts_delete(struct server *srv, int64_t user_id)
{
	struct store_hive *hives;
	size_t n;
	int rc = server_begin(srv);

	if (rc)
		return rc;
	rc = store_hive_list(srv->store, user_id, &hives, &n);
	if (rc)
		return server_end(srv, rc);
	rc = store_user_erase(srv->store, user_id, now_ms(srv));
	/* Their hives' member lists drop them, live and on resume. */
	for (size_t i = 0; !rc && i < n; i++)
		rc = server_emit(srv, hives[i].id, 0, "member.left",
				 json_pack("{s:I, s:I}", "hive_id",
					   (json_int_t)hives[i].id,
					   "user_id", (json_int_t)user_id));
	free(hives);
	rc = server_end(srv, rc);
	if (rc)
		return rc;
	server_close_user(srv, user_id, 0);
	log_info("account %lld deleted", (long long)user_id);
	return 0;
}
