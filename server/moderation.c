/* moderation.c - mentor actions, reports, the guard, retention, audit. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ruche/chat.h"
#include "ruche/conn.h"
#include "ruche/err.h"
#include "ruche/hives.h"
#include "ruche/jsonw.h"
#include "ruche/log.h"
#include "ruche/moderation.h"
#include "ruche/proto.h"
#include "ruche/server.h"
#include "ruche/utf8.h"

static int64_t now_ms(struct server *srv)
{
	return clock_wall_ms(srv->clock);
}

/* Leaves details for the refusal rc of the current request; data stolen. */
static int refuse(struct server *srv, int rc, json_t *data)
{
	json_decref(srv->err_detail);
	srv->err_detail = data;
	return rc;
}

/* A frame {"ev", "pos", "data"} around JSON text already encoded. */
static struct frame *event_frame(const char *kind, int64_t pos,
				 const char *text)
{
	int n = snprintf(NULL, 0, "{\"ev\":\"%s\",\"pos\":%lld,\"data\":%s}",
			 kind, (long long)pos, text);
	struct frame *f = frame_new((size_t)n);

	if (f)
		snprintf((char *)frame_payload(f), (size_t)n + 1,
			 "{\"ev\":\"%s\",\"pos\":%lld,\"data\":%s}", kind,
			 (long long)pos, text);
	return f;
}

/*
 * Stores an event in a hive's log and publishes it once committed, to
 * every member; with alt, the member leave_out gets alt instead, at the
 * same position (their own version of it).  data and alt are stolen.
 */
static int emit_to(struct server *srv, int64_t hive_id, const char *kind,
		   json_t *data, int64_t leave_out, json_t *alt)
{
	char *text, *alt_text;
	struct frame *f;
	int64_t pos;
	int rc;

	if (!alt)
		return server_emit(srv, hive_id, 0, kind, data);
	text = data ? json_dumps(data, JSON_COMPACT) : NULL;
	alt_text = json_dumps(alt, JSON_COMPACT);
	rc = text && alt_text ? 0 : RUCHE_ENOMEM;
	json_decref(data);
	json_decref(alt);
	if (!rc)
		rc = store_event_insert(srv->store, hive_id, 0, kind, text,
					now_ms(srv), &pos);
	if (!rc) {
		f = event_frame(kind, pos, text);
		if (f) {
			server_publish(srv, hive_id, 0,
				       alt_text ? -leave_out : 0, pos, f);
			frame_unref(f);
		}
		if (f && alt_text) {
			f = event_frame(kind, pos, alt_text);
			if (f) {
				server_publish(srv, 0, 0, leave_out, pos, f);
				frame_unref(f);
			}
		}
		rc = f ? 0 : RUCHE_ENOMEM;
	}
	free(text);
	free(alt_text);
	return rc;
}

static void emit_user(struct server *srv, int64_t user_id, const char *kind,
		      json_t *data)
{
	struct frame *f = proto_event(kind, -1, data);

	if (f) {
		server_publish(srv, 0, 0, user_id, 0, f);
		frame_unref(f);
	}
}

void mod_emit_moderators(struct server *srv, int64_t hive_id,
			 const char *kind, json_t *data)
{
	int64_t *ids = NULL, *p;
	size_t n = 0;
	struct frame *f = proto_event(kind, -1, data);

	if (!f)
		return;
	store_hive_mentors(srv->store, hive_id, &ids, &n);
	for (struct conn *c = srv->conns; c; c = c->next) {
		bool seen = false;

		if (!c->is_admin || !c->user_id)
			continue;
		for (size_t i = 0; i < n && !seen; i++)
			seen = ids[i] == c->user_id;
		if (seen || !(p = realloc(ids, (n + 1) * sizeof(*ids))))
			continue;
		ids = p;
		ids[n++] = c->user_id;
	}
	for (size_t i = 0; i < n; i++)
		server_publish(srv, 0, 0, ids[i], 0, f);
	free(ids);
	frame_unref(f);
}

/* ---- Audit --------------------------------------------------------------- */

/* Appends an audit entry; detail (stolen) may be NULL. */
static int audit(struct server *srv, int64_t hive_id, int64_t actor,
		 const char *action, int64_t target, int64_t message_id,
		 int64_t channel_id, const char *reason, json_t *detail)
{
	struct store_audit a = { .hive_id = hive_id, .actor_id = actor,
				 .target_user_id = target,
				 .message_id = message_id,
				 .channel_id = channel_id,
				 .created_at = now_ms(srv) };
	char *d = detail ? json_dumps(detail, JSON_COMPACT) : NULL;

	json_decref(detail);
	snprintf(a.action, sizeof(a.action), "%s", action);
	snprintf(a.reason, sizeof(a.reason), "%s", reason ? reason : "");
	snprintf(a.detail, sizeof(a.detail), "%s", d ? d : "{}");
	free(d);
	log_info("hive %lld: moderation %s by %lld on user %lld",
		 (long long)hive_id, action, (long long)actor,
		 (long long)target);
	return store_audit_insert(srv->store, &a);
}

static json_t *id_or_null(int64_t id)
{
	return id ? json_integer(id) : json_null();
}

static json_t *audit_json(const struct store_audit *a)
{
	json_t *detail = json_loads(a->detail, 0, NULL);

	return json_pack("{s:I, s:I, s:o, s:b, s:s, s:o, s:o, s:o, s:s, "
			 "s:o, s:I}",
			 "id", (json_int_t)a->id,
			 "hive_id", (json_int_t)a->hive_id,
			 "actor_id", id_or_null(a->actor_id),
			 "automatic", a->actor_id == 0,
			 "action", a->action,
			 "target_user_id", id_or_null(a->target_user_id),
			 "message_id", id_or_null(a->message_id),
			 "channel_id", id_or_null(a->channel_id),
			 "reason", a->reason,
			 "detail", detail ? detail : json_object(),
			 "created_at", (json_int_t)a->created_at);
}

/* ---- Who may act on whom ------------------------------------------------- */

/* Mentors of the hive and admins moderate it; a learner is refused, and
 * a hive the actor is not in does not exist for them. */
static int may_moderate(struct server *srv, struct actor who, int64_t hive_id)
{
	struct store_hive h;
	enum role r;
	int rc = store_hive_get(srv->store, hive_id, &h);

	if (rc)
		return rc;
	if (who.admin)
		return 0;
	r = hives_role(srv, hive_id, who.user_id);
	if (r == ROLE_MENTOR)
		return 0;
	return r == ROLE_NONE ? RUCHE_ENOTFOUND : RUCHE_EFORBIDDEN;
}

/* Like may_moderate(), and the hive must be open for changes. */
static int may_change(struct server *srv, struct actor who, int64_t hive_id)
{
	struct store_hive h;
	int rc = may_moderate(srv, who, hive_id);

	if (!rc && !store_hive_get(srv->store, hive_id, &h) && h.archived_at)
		rc = RUCHE_EARCHIVED;
	return rc;
}

/* A mentor never acts on another mentor or an admin (nor anyone on
 * themselves); admins act on anyone else. */
static int may_target(struct server *srv, struct actor who, int64_t hive_id,
		      int64_t user_id)
{
	struct store_user u;
	int rc = store_user_get(srv->store, user_id, &u);

	if (rc)
		return rc;
	if (u.deleted)
		return RUCHE_ENOTFOUND;
	if (user_id == who.user_id)
		return RUCHE_EFORBIDDEN;
	if (who.admin)
		return 0;
	if (u.is_admin || hives_role(srv, hive_id, user_id) == ROLE_MENTOR)
		return RUCHE_EFORBIDDEN;
	return 0;
}


/* A reason: NULL or at most MOD_REASON_MAX characters. */
static int check_reason(const char *reason)
{
	size_t n = reason ? strlen(reason) : 0;

	if (n && (!utf8_valid(reason, n) ||
		  utf8_count(reason, n) > MOD_REASON_MAX ||
		  n >= STORE_REASON_BYTES))
		return RUCHE_EINVAL;
	return 0;
}

/* ---- Checks for chat.c -------------------------------------------------- */

int mod_check_post(struct server *srv, struct actor who,
		   const struct store_channel *ch, enum role role)
{
	struct store_mute m;

	if (ch->kind == CHANNEL_DIRECT)
		return 0;
	if (!store_mute_get(srv->store, ch->hive_id, who.user_id, &m) &&
	    m.until > now_ms(srv))
		return refuse(srv, RUCHE_EMUTED, json_pack(
			"{s:I}", "until", (json_int_t)m.until));
	if (ch->locked && role != ROLE_MENTOR && !who.admin)
		return RUCHE_ECHANNEL_LOCKED;
	return 0;
}

/* Mutes a member (by 0: the guard), with its audit entry and event. */
static int mute(struct server *srv, int64_t hive_id, int64_t user_id,
		int64_t by, int seconds, const char *action,
		const char *reason, json_t *detail, struct store_mute *out)
{
	struct store_mute m = { .hive_id = hive_id, .user_id = user_id,
				.by_id = by, .created_at = now_ms(srv) };
	int rc;

	m.until = m.created_at + (int64_t)seconds * 1000;
	snprintf(m.reason, sizeof(m.reason), "%s", reason ? reason : "");
	if (!detail)
		detail = json_object();
	json_object_set_new(detail, "seconds", json_integer(seconds));
	json_object_set_new(detail, "until", json_integer(m.until));
	rc = server_begin(srv);
	if (rc) {
		json_decref(detail);
		return rc;
	}
	rc = store_mute_set(srv->store, &m);
	if (!rc)
		rc = audit(srv, hive_id, by, action, user_id, 0, 0, reason,
			   json_incref(detail));
	if (!rc)
		rc = emit_to(srv, hive_id, "mod.muted", json_pack(
			"{s:I, s:I, s:I, s:b}", "hive_id", (json_int_t)hive_id,
			"user_id", (json_int_t)user_id, "until",
			(json_int_t)m.until, "automatic", by == 0), 0, NULL);
	json_decref(detail);
	rc = server_end(srv, rc);
	if (!rc && out)
		*out = m;
	return rc;
}

/* Parses a guard's blocked words into an array of borrowed strings. */
static const char **guard_words(json_t *arr, size_t *n)
{
	const char **w = malloc((json_array_size(arr) + 1) * sizeof(*w));
	size_t i;
	json_t *v;

	*n = 0;
	if (!w)
		return NULL;
	json_array_foreach(arr, i, v)
		if (json_is_string(v))
			w[(*n)++] = json_string_value(v);
	return w;
}

/*
 * The guard's rules for a learner's text (blocked words, links of new
 * members; the flood rule too when flood is true); see
 * mod_check_message().
 */
static int guard(struct server *srv, struct actor who,
		 const struct store_channel *ch, const char *text, bool flood)
{
	struct store_guard g;
	json_t *words;
	const char **w;
	size_t n = 0;
	int64_t now = now_ms(srv), since = 0;
	int rc = store_guard_get(srv->store, ch->hive_id, &g), hit = -1, count;

	if (rc)
		return rc;
	words = json_loads(g.blocked_words, 0, NULL);
	free(g.blocked_words);
	w = words ? guard_words(words, &n) : NULL;
	if (w)
		hit = mod_find_blocked(text, w, n);
	if (hit >= 0) {
		/* The word is recorded, never the text: nothing was posted. */
		rc = audit(srv, ch->hive_id, 0, "blocked_word", who.user_id, 0,
			   ch->id, NULL, json_pack("{s:s}", "word", w[hit]));
		free(w);
		json_decref(words);
		return rc ? rc : RUCHE_EBLOCKED_WORD;
	}
	free(w);
	json_decref(words);
	if (g.new_member_days > 0 &&
	    !store_member_since(srv->store, ch->hive_id, who.user_id, &since) &&
	    now - since < (int64_t)g.new_member_days * 86400 * 1000 &&
	    (count = mod_count_links(text)) > g.new_member_link_limit) {
		rc = audit(srv, ch->hive_id, 0, "link_limit", who.user_id, 0,
			   ch->id, NULL, json_pack("{s:i, s:i}", "links", count,
						   "limit",
						   g.new_member_link_limit));
		return rc ? rc : RUCHE_ELINK_LIMIT;
	}
	if (flood && g.flood_messages > 0 && g.flood_seconds > 0) {
		int secs = g.flood_mute_seconds > 0 ? g.flood_mute_seconds :
			   MOD_FLOOD_MUTE_DEFAULT_S;
		struct store_mute m;

		rc = store_msg_count_in_hive(srv->store, ch->hive_id,
					     who.user_id, now -
					     (int64_t)g.flood_seconds * 1000,
					     &count);
		if (rc || count < g.flood_messages)
			return rc;
		rc = mute(srv, ch->hive_id, who.user_id, 0, secs, "flood_mute",
			  NULL, json_pack("{s:i, s:i}", "messages", count + 1,
					  "within_seconds", g.flood_seconds),
			  &m);
		return rc ? rc : refuse(srv, RUCHE_EMUTED, json_pack(
			"{s:I}", "until", (json_int_t)m.until));
	}
	return 0;
}

int mod_check_message(struct server *srv, struct actor who,
		      const struct store_channel *ch, enum role role,
		      const char *text)
{
	int64_t last = 0, wait;
	int rc;

	/* Mentors and admins are exempt from slow mode and the guard. */
	if (ch->kind == CHANNEL_DIRECT || role == ROLE_MENTOR || who.admin)
		return 0;
	if (ch->slow_mode_s > 0) {
		rc = store_msg_last_in_channel(srv->store, ch->id, who.user_id,
					       &last);
		if (rc)
			return rc;
		wait = last + (int64_t)ch->slow_mode_s * 1000 - now_ms(srv);
		if (last && wait > 0)
			return refuse(srv, RUCHE_ESLOW_MODE, json_pack(
				"{s:I}", "retry_after_ms", (json_int_t)wait));
	}
	return guard(srv, who, ch, text, true);
}

int mod_check_edit(struct server *srv, struct actor who,
		   const struct store_channel *ch, const char *text)
{
	enum role role = ch->kind == CHANNEL_DIRECT ? ROLE_NONE :
			 hives_role(srv, ch->hive_id, who.user_id);
	int rc = mod_check_post(srv, who, ch, role);

	if (rc || ch->kind == CHANNEL_DIRECT || role == ROLE_MENTOR ||
	    who.admin)
		return rc;
	return guard(srv, who, ch, text, false);
}

void mod_message_write(struct server *srv, struct jsonw *w,
		       const struct store_message *m, int64_t viewer)
{
	struct store_removal r;

	if (!m->deleted_at || store_removal_get(srv->store, m->id, &r))
		return;
	jsonw_bool(w, "removed_by_mentor", true);
	if (viewer == m->author_id)
		jsonw_str(w, "removal_reason", r.reason);
}

bool mod_banned(struct server *srv, int64_t hive_id, int64_t user_id)
{
	bool banned = false;

	store_ban_exists(srv->store, hive_id, user_id, &banned);
	return banned;
}

/* ---- Mentor actions ------------------------------------------------------ */

/* Loads a message of a hive channel, and checks the actor moderates it. */
static int moderated_message(struct server *srv, struct actor who,
			     int64_t message_id, struct store_message *m,
			     struct store_channel *ch)
{
	int rc = store_msg_get(srv->store, message_id, m);

	if (rc)
		return rc;
	rc = store_channel_get(srv->store, m->channel_id, ch);
	if (!rc && ch->kind == CHANNEL_DIRECT)
		rc = RUCHE_ENOTFOUND;	/* conversations: not moderated */
	if (!rc)
		rc = may_change(srv, who, ch->hive_id);
	if (rc)
		store_msg_release(m);
	return rc;
}

int mod_delete(struct server *srv, struct actor who, int64_t message_id,
	       const char *reason)
{
	struct store_removal r = { .message_id = message_id,
				   .by_id = who.user_id };
	struct store_message m;
	struct store_channel ch;
	int rc = check_reason(reason);

	if (rc)
		return rc;
	rc = moderated_message(srv, who, message_id, &m, &ch);
	if (rc)
		return rc;
	/* Another mentor's (or an admin's) words are not a mentor's to take. */
	if (m.author_id != who.user_id)
		rc = may_target(srv, who, ch.hive_id, m.author_id);
	if (!rc && m.deleted_at)
		rc = RUCHE_EDELETED;
	if (!rc)
		rc = server_begin(srv);
	if (rc) {
		store_msg_release(&m);
		return rc;
	}
	r.removed_at = now_ms(srv);
	snprintf(r.reason, sizeof(r.reason), "%s", reason ? reason : "");
	rc = store_msg_tombstone(srv->store, m.id, r.removed_at);
	if (!rc)
		rc = store_removal_insert(srv->store, &r);
	if (!rc)
		rc = store_event_erase_text(srv->store, m.id, 0);
	if (!rc)
		rc = store_pin_delete(srv->store, m.id) == RUCHE_EIO ?
		     RUCHE_EIO : 0;
	if (!rc)
		rc = audit(srv, ch.hive_id, who.user_id, "delete_message",
			   m.author_id, m.id, ch.id, reason, NULL);
	/* Everyone sees "removed by a mentor"; the author also the reason. */
	if (!rc)
		rc = emit_to(srv, ch.hive_id, "msg.deleted", json_pack(
			"{s:I, s:I, s:b}", "message_id", (json_int_t)m.id,
			"channel_id", (json_int_t)ch.id, "removed_by_mentor",
			1), m.author_id, json_pack(
			"{s:I, s:I, s:b, s:s}", "message_id", (json_int_t)m.id,
			"channel_id", (json_int_t)ch.id, "removed_by_mentor", 1,
			"reason", r.reason));
	store_msg_release(&m);
	return server_end(srv, rc);
}

/* Checks an action on a member of a hive (mute, kick). */
static int on_member(struct server *srv, struct actor who, int64_t hive_id,
		     int64_t user_id)
{
	int rc = may_change(srv, who, hive_id);

	if (!rc)
		rc = may_target(srv, who, hive_id, user_id);
	if (!rc && hives_role(srv, hive_id, user_id) == ROLE_NONE)
		rc = RUCHE_ENOT_MEMBER;
	return rc;
}

static json_t *mute_json(const struct store_mute *m, bool with_reason)
{
	json_t *o = json_pack("{s:I, s:I, s:I, s:o, s:b, s:I}",
			      "hive_id", (json_int_t)m->hive_id,
			      "user_id", (json_int_t)m->user_id,
			      "until", (json_int_t)m->until,
			      "by", id_or_null(m->by_id),
			      "automatic", m->by_id == 0,
			      "created_at", (json_int_t)m->created_at);

	if (o && with_reason)
		json_object_set_new(o, "reason", json_string(m->reason));
	return o;
}

int mod_mute(struct server *srv, struct actor who, int64_t hive_id,
	     int64_t user_id, int seconds, const char *reason, json_t **out)
{
	struct store_mute m;
	int rc = check_reason(reason);

	if (!rc && (seconds < 1 || seconds > MOD_MUTE_MAX_S))
		rc = RUCHE_EINVAL;
	if (!rc)
		rc = on_member(srv, who, hive_id, user_id);
	if (!rc)
		rc = mute(srv, hive_id, user_id, who.user_id, seconds, "mute",
			  reason, NULL, &m);
	if (!rc)
		*out = json_pack("{s:o}", "mute", mute_json(&m, true));
	return rc;
}

/* Ends a mute (by 0: its time is over), with its event; audited when a
 * person ends it. */
static int unmute(struct server *srv, int64_t hive_id, int64_t user_id,
		  int64_t by)
{
	int rc = server_begin(srv);

	if (rc)
		return rc;
	rc = store_mute_delete(srv->store, hive_id, user_id);
	if (!rc && by)
		rc = audit(srv, hive_id, by, "unmute", user_id, 0, 0, NULL,
			   NULL);
	if (!rc)
		rc = emit_to(srv, hive_id, "mod.unmuted", json_pack(
			"{s:I, s:I, s:b}", "hive_id", (json_int_t)hive_id,
			"user_id", (json_int_t)user_id, "expired", by == 0),
			0, NULL);
	return server_end(srv, rc);
}

int mod_unmute(struct server *srv, struct actor who, int64_t hive_id,
	       int64_t user_id)
{
	struct store_mute m;
	int rc = may_change(srv, who, hive_id);

	if (!rc)
		rc = may_target(srv, who, hive_id, user_id);
	if (!rc)
		rc = store_mute_get(srv->store, hive_id, user_id, &m);
	if (rc == RUCHE_ENOTFOUND || (!rc && m.until <= now_ms(srv)))
		return RUCHE_ENOTFOUND;	/* not muted (any more) */
	return rc ? rc : unmute(srv, hive_id, user_id, who.user_id);
}

int mod_mutes(struct server *srv, struct actor who, int64_t hive_id,
	      json_t **out)
{
	struct store_mute *m;
	size_t n;
	json_t *arr;
	int rc = may_moderate(srv, who, hive_id);

	if (!rc)
		rc = store_mute_list(srv->store, hive_id, now_ms(srv), &m, &n);
	if (rc)
		return rc;
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, mute_json(&m[i], true));
	free(m);
	*out = json_pack("{s:o}", "mutes", arr);
	return *out ? 0 : RUCHE_ENOMEM;
}

/*
 * Takes a member out of a hive, banned or not.  The removal itself is
 * hives_remove_member()'s, with its events (member.left to the others,
 * hive.removed to the person's connections), as an admin's would be:
 * the rights were checked here.
 */
static int remove_member(struct server *srv, struct actor who,
			 int64_t hive_id, int64_t user_id, bool ban,
			 const char *reason)
{
	struct store_ban b = { .hive_id = hive_id, .user_id = user_id,
			       .by_id = who.user_id,
			       .created_at = now_ms(srv) };
	struct actor as = { .user_id = who.user_id, .admin = true };
	bool member = hives_role(srv, hive_id, user_id) != ROLE_NONE;
	int rc = server_begin(srv);

	if (rc)
		return rc;
	snprintf(b.reason, sizeof(b.reason), "%s", reason ? reason : "");
	if (ban)
		rc = store_ban_insert(srv->store, &b);
	if (!rc) {
		int m = store_mute_delete(srv->store, hive_id, user_id);

		rc = m == RUCHE_ENOTFOUND ? 0 : m;
	}
	if (!rc)
		rc = audit(srv, hive_id, who.user_id, ban ? "ban" : "kick",
			   user_id, 0, 0, reason,
			   json_pack("{s:b}", "was_member", member));
	/* Last: it tells the connections, which cannot be taken back. */
	if (!rc && member)
		rc = hives_remove_member(srv, as, hive_id, user_id);
	return server_end(srv, rc);
}

int mod_kick(struct server *srv, struct actor who, int64_t hive_id,
	     int64_t user_id, const char *reason)
{
	int rc = check_reason(reason);

	if (!rc)
		rc = on_member(srv, who, hive_id, user_id);
	return rc ? rc : remove_member(srv, who, hive_id, user_id, false,
				       reason);
}

int mod_ban(struct server *srv, struct actor who, int64_t hive_id,
	    int64_t user_id, const char *reason)
{
	int rc = check_reason(reason);

	/* A former member may be banned too, so that no invite brings
	 * them back. */
	if (!rc)
		rc = may_change(srv, who, hive_id);
	if (!rc)
		rc = may_target(srv, who, hive_id, user_id);
	if (!rc && mod_banned(srv, hive_id, user_id))
		rc = RUCHE_EBANNED;
	return rc ? rc : remove_member(srv, who, hive_id, user_id, true,
				       reason);
}

int mod_unban(struct server *srv, struct actor who, int64_t hive_id,
	      int64_t user_id)
{
	int rc = may_change(srv, who, hive_id);

	if (!rc)
		rc = may_target(srv, who, hive_id, user_id);
	if (!rc)
		rc = server_begin(srv);
	if (rc)
		return rc;
	rc = store_ban_delete(srv->store, hive_id, user_id);
	if (!rc)
		rc = audit(srv, hive_id, who.user_id, "unban", user_id, 0, 0,
			   NULL, NULL);
	return server_end(srv, rc);
}

int mod_bans(struct server *srv, struct actor who, int64_t hive_id,
	     json_t **out)
{
	struct store_ban *b;
	size_t n;
	json_t *arr;
	int rc = may_moderate(srv, who, hive_id);

	if (!rc)
		rc = store_ban_list(srv->store, hive_id, &b, &n);
	if (rc)
		return rc;
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, json_pack(
			"{s:I, s:s, s:s, s:o, s:s, s:I}",
			"user_id", (json_int_t)b[i].user_id,
			"handle", b[i].handle, "display_name", b[i].name,
			"by", id_or_null(b[i].by_id), "reason", b[i].reason,
			"created_at", (json_int_t)b[i].created_at));
	free(b);
	*out = json_pack("{s:o}", "bans", arr);
	return *out ? 0 : RUCHE_ENOMEM;
}

/* The channel as chat shows it (chat.c's channel JSON, plus ours). */
static json_t *channel_json(const struct store_channel *c)
{
	return json_pack("{s:I, s:s, s:s, s:i, s:b, s:I, s:s, s:i, s:b}",
			 "id", (json_int_t)c->id,
			 "kind", channel_kind_name(c->kind),
			 "topic", c->topic, "position", c->position,
			 "archived", c->archived_at != 0,
			 "hive_id", (json_int_t)c->hive_id, "name", c->name,
			 "slow_mode_seconds", c->slow_mode_s,
			 "locked", c->locked);
}

int mod_channel(struct server *srv, struct actor who, int64_t channel_id,
		int slow_s, int locked, json_t **out)
{
	struct store_channel c;
	int rc = store_channel_get(srv->store, channel_id, &c);

	if (!rc && c.kind == CHANNEL_DIRECT)
		rc = RUCHE_ENOTFOUND;
	if (!rc)
		rc = may_change(srv, who, c.hive_id);
	if (!rc && c.archived_at)
		rc = RUCHE_ECHANNEL_ARCHIVED;
	if (!rc && slow_s > MOD_SLOW_MAX_S)
		rc = RUCHE_EINVAL;
	if (!rc)
		rc = server_begin(srv);
	if (rc)
		return rc;
	if (slow_s >= 0 && slow_s != c.slow_mode_s) {
		c.slow_mode_s = slow_s;
		rc = audit(srv, c.hive_id, who.user_id, "slow_mode", 0, 0, c.id,
			   NULL, json_pack("{s:i}", "seconds", slow_s));
	}
	if (!rc && locked >= 0 && (locked != 0) != c.locked) {
		c.locked = locked != 0;
		rc = audit(srv, c.hive_id, who.user_id,
			   c.locked ? "lock" : "unlock", 0, 0, c.id, NULL,
			   NULL);
	}
	if (!rc)
		rc = store_channel_set_moderation(srv->store, c.id,
						  c.slow_mode_s, c.locked);
	if (!rc)
		rc = emit_to(srv, c.hive_id, "channel.updated",
			     json_pack("{s:o}", "channel", channel_json(&c)),
			     0, NULL);
	rc = server_end(srv, rc);
	if (!rc)
		*out = json_pack("{s:o}", "channel", channel_json(&c));
	return rc;
}

static json_t *pin_json(const struct store_pin *p)
{
	return json_pack("{s:I, s:I, s:o, s:I}",
			 "message_id", (json_int_t)p->message_id,
			 "channel_id", (json_int_t)p->channel_id,
			 "by", id_or_null(p->by_id),
			 "pinned_at", (json_int_t)p->pinned_at);
}

int mod_pin(struct server *srv, struct actor who, int64_t message_id,
	    bool on)
{
	struct store_pin p = { .message_id = message_id, .by_id = who.user_id };
	struct store_message m;
	struct store_channel ch;
	int rc = moderated_message(srv, who, message_id, &m, &ch);

	if (rc)
		return rc;
	store_msg_release(&m);
	if (on && m.deleted_at)
		return RUCHE_EDELETED;
	p.channel_id = ch.id;
	p.pinned_at = now_ms(srv);
	rc = server_begin(srv);
	if (rc)
		return rc;
	rc = on ? store_pin_insert(srv->store, &p) :
		  store_pin_delete(srv->store, message_id);
	if (!rc)
		rc = audit(srv, ch.hive_id, who.user_id, on ? "pin" : "unpin",
			   m.author_id, message_id, ch.id, NULL, NULL);
	if (!rc && on)
		rc = emit_to(srv, ch.hive_id, "pin.added",
			     json_pack("{s:o}", "pin", pin_json(&p)), 0, NULL);
	else if (!rc)
		rc = emit_to(srv, ch.hive_id, "pin.removed", json_pack(
			"{s:I, s:I}", "message_id", (json_int_t)message_id,
			"channel_id", (json_int_t)ch.id), 0, NULL);
	return server_end(srv, rc);
}

int mod_pins(struct server *srv, struct actor who, int64_t channel_id,
	     json_t **out)
{
	struct store_channel ch;
	struct store_pin *p;
	size_t n;
	json_t *arr;
	int rc = store_channel_get(srv->store, channel_id, &ch);

	if (!rc && (ch.kind == CHANNEL_DIRECT ||
		    (!who.admin && hives_role(srv, ch.hive_id, who.user_id) ==
				   ROLE_NONE)))
		rc = RUCHE_ENOTFOUND;
	if (!rc)
		rc = store_pin_list(srv->store, channel_id, &p, &n);
	if (rc)
		return rc;
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		json_t *o = pin_json(&p[i]);
		json_t *m = chat_message_json(srv, p[i].message_id,
					      who.user_id);

		/* The list shows the messages themselves: one request, not
		 * one per pin. */
		if (o && m)
			json_object_set_new(o, "message", m);
		else
			json_decref(m);
		json_array_append_new(arr, o);
	}
	free(p);
	*out = json_pack("{s:o}", "pins", arr);
	return *out ? 0 : RUCHE_ENOMEM;
}

/* ---- Reports ------------------------------------------------------------- */

/* A report as mentors see it; for its reporter (full false) without the
 * note of the resolution nor who resolved it. */
static json_t *report_json(const struct store_report *r, bool full)
{
	json_t *o = json_pack("{s:I, s:I, s:I, s:o, s:s, s:s, s:I}",
			      "id", (json_int_t)r->id,
			      "hive_id", (json_int_t)r->hive_id,
			      "channel_id", (json_int_t)r->channel_id,
			      "message_id", id_or_null(r->message_id),
			      "reason", r->reason,
			      "status", full || !strcmp(r->status, "open") ?
					r->status : "handled",
			      "created_at", (json_int_t)r->created_at);

	if (!o)
		return NULL;
	if (r->resolved_at)
		json_object_set_new(o, "resolved_at",
				    json_integer(r->resolved_at));
	if (full) {
		json_object_set_new(o, "author_id", id_or_null(r->author_id));
		json_object_set_new(o, "reporter_id",
				    id_or_null(r->reporter_id));
		if (r->resolved_at) {
			json_object_set_new(o, "resolved_by",
					    id_or_null(r->resolved_by));
			json_object_set_new(o, "note", json_string(r->note));
		}
	}
	return o;
}

int mod_report(struct server *srv, struct actor who, int64_t message_id,
	       const char *reason, json_t **out)
{
	struct store_report r = { .reporter_id = who.user_id };
	struct store_message m;
	struct store_channel ch;
	size_t len = strlen(reason);
	int rc = store_msg_get(srv->store, message_id, &m);

	if (rc)
		return rc;
	store_msg_release(&m);
	rc = store_channel_get(srv->store, m.channel_id, &ch);
	/* Only what the reporter reads, in a hive: conversations have no
	 * mentor to tell. */
	if (!rc && (ch.kind == CHANNEL_DIRECT ||
		    (!who.admin && hives_role(srv, ch.hive_id, who.user_id) ==
				   ROLE_NONE)))
		rc = RUCHE_ENOTFOUND;
	if (rc)
		return rc;
	if (!store_report_find(srv->store, message_id, who.user_id, &r)) {
		*out = json_pack("{s:o}", "report", report_json(&r, false));
		return 0;
	}
	if (m.deleted_at)
		return RUCHE_EDELETED;
	if (!len || check_reason(reason))
		return RUCHE_EINVAL;
	r.hive_id = ch.hive_id;
	r.channel_id = ch.id;
	r.message_id = m.id;
	r.author_id = m.author_id;
	r.created_at = now_ms(srv);
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	rc = store_report_insert(srv->store, &r);
	if (rc)
		return rc;
	mod_emit_moderators(srv, ch.hive_id, "report.created",
			json_pack("{s:o}", "report", report_json(&r, true)));
	*out = json_pack("{s:o}", "report", report_json(&r, false));
	return 0;
}

int mod_reports(struct server *srv, struct actor who, int64_t hive_id,
		const char *status, json_t **out)
{
	struct store_report *r;
	size_t n;
	json_t *arr;
	int rc = may_moderate(srv, who, hive_id);
	bool full = !rc;

	/* A learner sees their own reports, never who else reported. */
	if (rc == RUCHE_EFORBIDDEN)
		rc = 0;
	if (!rc && status && strcmp(status, "open") &&
	    strcmp(status, "dismissed") && strcmp(status, "actioned"))
		rc = RUCHE_EINVAL;
	if (!rc)
		rc = store_report_list(srv->store, hive_id, status,
				       full ? 0 : who.user_id, &r, &n);
	if (rc)
		return rc;
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, report_json(&r[i], full));
	free(r);
	*out = json_pack("{s:o}", "reports", arr);
	return *out ? 0 : RUCHE_ENOMEM;
}

int mod_resolve(struct server *srv, struct actor who, int64_t report_id,
		const char *outcome, const char *note, json_t **out)
{
	struct store_report r;
	int rc = store_report_get(srv->store, report_id, &r);

	if (!rc)
		rc = may_change(srv, who, r.hive_id);
	if (rc)
		return rc;
	if ((strcmp(outcome, "dismissed") && strcmp(outcome, "actioned")) ||
	    check_reason(note))
		return RUCHE_EINVAL;
	if (strcmp(r.status, "open"))
		return RUCHE_EEXIST;
	rc = server_begin(srv);
	if (rc)
		return rc;
	r.resolved_at = now_ms(srv);
	r.resolved_by = who.user_id;
	snprintf(r.status, sizeof(r.status), "%s", outcome);
	snprintf(r.note, sizeof(r.note), "%s", note ? note : "");
	rc = store_report_resolve(srv->store, r.id, r.status, who.user_id,
				  r.note, r.resolved_at);
	if (!rc)
		rc = audit(srv, r.hive_id, who.user_id, "resolve_report",
			   r.author_id, r.message_id, r.channel_id, note,
			   json_pack("{s:I, s:s}", "report_id",
				     (json_int_t)r.id, "outcome", outcome));
	rc = server_end(srv, rc);
	if (rc)
		return rc;
	mod_emit_moderators(srv, r.hive_id, "report.resolved",
			json_pack("{s:o}", "report", report_json(&r, true)));
	/* The reporter learns it was handled, not how. */
	if (r.reporter_id)
		emit_user(srv, r.reporter_id, "report.handled", json_pack(
			"{s:I, s:I}", "report_id", (json_int_t)r.id,
			"hive_id", (json_int_t)r.hive_id));
	*out = json_pack("{s:o}", "report", report_json(&r, true));
	return 0;
}

/* ---- Guard and retention ------------------------------------------------- */

static json_t *guard_json(const struct store_guard *g)
{
	json_t *words = json_loads(g->blocked_words, 0, NULL);

	return json_pack("{s:o, s:i, s:i, s:i, s:i, s:i}",
			 "blocked_words", words ? words : json_array(),
			 "new_member_link_limit", g->new_member_link_limit,
			 "new_member_days", g->new_member_days,
			 "flood_messages", g->flood_messages,
			 "flood_seconds", g->flood_seconds,
			 "flood_mute_seconds", g->flood_mute_seconds);
}

int mod_guard_get(struct server *srv, struct actor who, int64_t hive_id,
		  json_t **out)
{
	struct store_guard g;
	int rc = may_moderate(srv, who, hive_id);

	if (!rc)
		rc = store_guard_get(srv->store, hive_id, &g);
	if (rc)
		return rc;
	*out = json_pack("{s:o}", "guard", guard_json(&g));
	free(g.blocked_words);
	return *out ? 0 : RUCHE_ENOMEM;
}

/* Blocked words: strings of 1 to MOD_WORD_MAX characters, kept trimmed
 * and in lower case (matching ignores case), without duplicates. */
static json_t *clean_words(json_t *in)
{
	json_t *out = json_array(), *v;
	size_t i;

	json_array_foreach(in, i, v) {
		const char *s = json_string_value(v);
		size_t n, k;
		char *w;
		json_t *x;
		bool dup = false;

		if (!s)
			goto bad;
		while (isspace((unsigned char)*s))
			s++;
		n = strlen(s);
		while (n && isspace((unsigned char)s[n - 1]))
			n--;
		if (!n || !utf8_valid(s, n) || utf8_count(s, n) > MOD_WORD_MAX)
			goto bad;
		w = strndup(s, n);
		if (!w)
			goto bad;
		for (size_t j = 0; j < n; j++)
			w[j] = (char)tolower((unsigned char)w[j]);
		json_array_foreach(out, k, x)
			dup = dup || strcmp(json_string_value(x), w) == 0;
		if (!dup)
			json_array_append_new(out, json_string(w));
		free(w);
	}
	return out;
bad:
	json_decref(out);
	return NULL;
}

int mod_guard_set(struct server *srv, struct actor who, int64_t hive_id,
		  json_t *params, json_t **out)
{
	static const struct {
		const char *name;
		size_t off;
	} ints[] = {
		{ "new_member_link_limit",
		  offsetof(struct store_guard, new_member_link_limit) },
		{ "new_member_days",
		  offsetof(struct store_guard, new_member_days) },
		{ "flood_messages",
		  offsetof(struct store_guard, flood_messages) },
		{ "flood_seconds",
		  offsetof(struct store_guard, flood_seconds) },
		{ "flood_mute_seconds",
		  offsetof(struct store_guard, flood_mute_seconds) },
	};
	json_t *words = json_object_get(params, "blocked_words"), *clean;
	struct store_guard g;
	int rc = may_change(srv, who, hive_id);

	if (!rc)
		rc = store_guard_get(srv->store, hive_id, &g);
	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		json_t *v = json_object_get(params, ints[i].name);

		if (v)
			*(int *)((char *)&g + ints[i].off) =
				(int)json_integer_value(v);
	}
	if (words) {
		clean = clean_words(words);
		if (!clean) {
			free(g.blocked_words);
			return RUCHE_EINVAL;
		}
		free(g.blocked_words);
		g.blocked_words = json_dumps(clean, JSON_COMPACT);
		json_decref(clean);
		if (!g.blocked_words)
			return RUCHE_ENOMEM;
	}
	rc = server_begin(srv);
	if (!rc) {
		rc = store_guard_set(srv->store, hive_id, &g);
		/* The words themselves stay out of the log: the guard shows
		 * them to mentors, the log says that they changed. */
		if (!rc)
			rc = audit(srv, hive_id, who.user_id, "guard_set", 0, 0,
				   0, NULL, NULL);
		rc = server_end(srv, rc);
	}
	if (!rc)
		*out = json_pack("{s:o}", "guard", guard_json(&g));
	free(g.blocked_words);
	return rc;
}

int mod_set_retention(struct server *srv, struct actor who, int64_t hive_id,
		      int days, json_t **out)
{
	struct store_hive h;
	int rc;

	if (!who.admin)
		return RUCHE_EFORBIDDEN;
	if (days < 0 || days > MOD_RETENTION_MAX_DAYS)
		return RUCHE_EINVAL;
	rc = store_hive_get(srv->store, hive_id, &h);
	if (!rc)
		rc = server_begin(srv);
	if (rc)
		return rc;
	rc = store_retention_set(srv->store, hive_id, days);
	if (!rc)
		rc = audit(srv, hive_id, who.user_id, "retention_set", 0, 0, 0,
			   NULL, json_pack("{s:o}", "days",
					   days ? json_integer(days) :
						  json_null()));
	if (!rc)	/* members' clients show the hive's new retention */
		rc = hives_announce(srv, hive_id);
	rc = server_end(srv, rc);
	if (!rc)
		*out = json_pack("{s:I, s:o}", "hive_id", (json_int_t)hive_id,
				 "retention_days",
				 days ? json_integer(days) : json_null());
	return rc;
}

/* ---- Audit log ----------------------------------------------------------- */

int mod_audit(struct server *srv, struct actor who,
	      const struct store_audit_filter *f, json_t **out)
{
	struct store_audit_filter page = *f;
	struct store_audit *a;
	size_t n;
	bool more;
	json_t *arr;
	int rc = may_moderate(srv, who, f->hive_id);

	if (rc)
		return rc;
	if (page.limit < 1 || page.limit > MOD_AUDIT_PAGE_MAX)
		page.limit = page.limit < 1 ? 100 : MOD_AUDIT_PAGE_MAX;
	page.limit++;
	rc = store_audit_list(srv->store, &page, &a, &n);
	if (rc)
		return rc;
	more = n == (size_t)page.limit;
	if (more)
		n--;
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, audit_json(&a[i]));
	free(a);
	*out = json_pack("{s:o, s:b}", "entries", arr, "more", more);
	return *out ? 0 : RUCHE_ENOMEM;
}

int mod_csv_field(char **buf, size_t *len, size_t *cap, const char *field)
{
	size_t n = strlen(field);
	bool quote = strpbrk(field, ",\"\r\n") != NULL;
	bool guard = strchr("=+-@\t\r", field[0]) && field[0];
	char *p;

	/* Each quote doubles; plus quotes, guard, separator and NUL. */
	if (*len + 2 * n + 6 > *cap) {
		size_t ncap = (*cap ? *cap * 2 : 256) + 2 * n + 6;

		p = realloc(*buf, ncap);
		if (!p)
			return RUCHE_ENOMEM;
		*buf = p;
		*cap = ncap;
	}
	p = *buf + *len;
	if (quote)
		*p++ = '"';
	if (guard)
		*p++ = '\'';
	for (const char *s = field; *s; s++) {
		if (*s == '"')
			*p++ = '"';
		*p++ = *s;
	}
	if (quote)
		*p++ = '"';
	*p = '\0';
	*len = (size_t)(p - *buf);
	return 0;
}

/* Appends s as it is (separators: mod_csv_field would quote them). */
static int csv_raw(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s);
	char *p;

	if (*len + n + 1 > *cap) {
		p = realloc(*buf, *cap * 2 + n + 1);
		if (!p)
			return RUCHE_ENOMEM;
		*buf = p;
		*cap = *cap * 2 + n + 1;
	}
	memcpy(*buf + *len, s, n + 1);
	*len += n;
	return 0;
}

static int csv_row(char **buf, size_t *len, size_t *cap,
		   const char *const *fields, size_t n)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < n; i++) {
		rc = mod_csv_field(buf, len, cap, fields[i]);
		if (!rc)
			rc = csv_raw(buf, len, cap, i + 1 < n ? "," : "\r\n");
	}
	return rc;
}

static void num_or_empty(char *out, size_t n, int64_t v)
{
	if (v)
		snprintf(out, n, "%lld", (long long)v);
	else
		out[0] = '\0';
}

static int csv_entry(char **buf, size_t *len, size_t *cap,
		     const struct store_audit *a)
{
	char id[24], hive[24], actor[24], target[24], msg[24], chan[24],
	     at[24];
	const char *fields[] = { id, at, hive, actor, a->actor_id ? "no" :
				 "yes", a->action, target, msg, chan,
				 a->reason, a->detail };

	snprintf(id, sizeof(id), "%lld", (long long)a->id);
	snprintf(hive, sizeof(hive), "%lld", (long long)a->hive_id);
	snprintf(at, sizeof(at), "%lld", (long long)a->created_at);
	num_or_empty(actor, sizeof(actor), a->actor_id);
	num_or_empty(target, sizeof(target), a->target_user_id);
	num_or_empty(msg, sizeof(msg), a->message_id);
	num_or_empty(chan, sizeof(chan), a->channel_id);
	return csv_row(buf, len, cap, fields, 11);
}

int mod_audit_export(struct server *srv, struct actor who,
		     const struct store_audit_filter *f, bool csv,
		     char **out)
{
	static const char *const header[] = {
		"id", "created_at", "hive_id", "actor_id", "automatic",
		"action", "target_user_id", "message_id", "channel_id",
		"reason", "detail",
	};
	struct store_audit_filter page = *f;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	json_t *arr = csv ? NULL : json_array();
	int rc = may_moderate(srv, who, f->hive_id);

	if (!rc && !csv && !arr)
		rc = RUCHE_ENOMEM;
	if (!rc && csv)
		rc = csv_row(&buf, &len, &cap, header, 11);
	/* Page through the log, so that no one query holds it all. */
	page.limit = MOD_AUDIT_PAGE_MAX;
	while (!rc) {
		struct store_audit *a;
		size_t n;

		rc = store_audit_list(srv->store, &page, &a, &n);
		for (size_t i = 0; !rc && i < n; i++) {
			if (csv)
				rc = csv_entry(&buf, &len, &cap, &a[i]);
			else
				rc = json_array_append_new(arr,
					audit_json(&a[i])) ? RUCHE_ENOMEM : 0;
		}
		if (n)
			page.before_id = a[n - 1].id;
		free(a);
		if (n < (size_t)page.limit)
			break;
	}
	if (!rc && !csv) {
		buf = json_dumps(arr, JSON_COMPACT);
		rc = buf ? 0 : RUCHE_ENOMEM;
	}
	json_decref(arr);
	if (!rc && csv && !buf)
		buf = strdup("");
	if (rc || !buf) {
		free(buf);
		return rc ? rc : RUCHE_ENOMEM;
	}
	*out = buf;
	return 0;
}

/* ---- Housekeeping -------------------------------------------------------- */

/* Ends the mutes whose time is over, each with its event. */
static void end_mutes(struct server *srv, const struct store_mute *m,
		      size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (unmute(srv, m[i].hive_id, m[i].user_id, 0))
			log_error("hive %lld: cannot end the mute of %lld",
				  (long long)m[i].hive_id,
				  (long long)m[i].user_id);
}

/* One batch of each hive's purge, audited with its count. */
static void purge(struct server *srv)
{
	int64_t *pairs, now = now_ms(srv);
	size_t n;

	if (store_retention_hives(srv->store, &pairs, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		int64_t hive = pairs[2 * i], days = pairs[2 * i + 1];
		int64_t before = now - days * 86400 * 1000;
		int deleted = 0;
		int rc = server_begin(srv);

		if (!rc)
			rc = store_purge_batch(srv->store, hive, before,
					       MOD_PURGE_BATCH, &deleted);
		if (!rc && deleted)
			rc = audit(srv, hive, 0, "retention_purge", 0, 0, 0,
				   NULL, json_pack("{s:i, s:I, s:I}",
						   "messages", deleted,
						   "days", (json_int_t)days,
						   "before",
						   (json_int_t)before));
		rc = server_end(srv, rc);
		if (rc)
			log_error("hive %lld: retention purge failed: %s",
				  (long long)hive, ruche_strerror(rc));
		else if (deleted)
			log_info("hive %lld: purged %d messages older than "
				 "%lld days", (long long)hive, deleted,
				 (long long)days);
		/* More to do: come back at the next pass, soon. */
		if (!rc && deleted == MOD_PURGE_BATCH)
			srv->last_purge_mono = 0;
	}
	free(pairs);
}

void mod_housekeeping(struct server *srv, bool force)
{
	int64_t mono = clock_mono_ms(srv->clock);
	struct store_mute *due = NULL;
	size_t ndue = 0;
	bool purge_due;

	if (!srv->store)
		return;
	purge_due = force || !srv->last_purge_mono ||
		    mono - srv->last_purge_mono >= MOD_PURGE_EVERY_MS;
	/* Most passes have nothing to do: they take no write lock. */
	if ((store_mute_due(srv->store, now_ms(srv), 100, &due, &ndue) ||
	     !ndue) && !purge_due) {
		free(due);
		return;
	}
	if (server_turn_begin(srv)) {
		free(due);
		return;
	}
	end_mutes(srv, due, ndue);
	free(due);
	if (purge_due) {
		srv->last_purge_mono = mono ? mono : 1;
		purge(srv);
	}
	/* Events go out once committed, like a request's. */
	server_flush(srv);
}

/* ---- Pure helpers -------------------------------------------------------- */

static bool word_byte(unsigned char c)
{
	return isalnum(c) || c >= 0x80;
}

int mod_find_blocked(const char *text, const char *const *words, size_t n)
{
	size_t tlen = strlen(text);

	for (size_t w = 0; w < n; w++) {
		size_t wlen = strlen(words[w]);

		if (!wlen || wlen > tlen)
			continue;
		for (size_t i = 0; i + wlen <= tlen; i++) {
			const unsigned char *t = (const unsigned char *)text;

			if (i && word_byte(t[i - 1]) &&
			    word_byte((unsigned char)words[w][0]))
				continue;
			if (strncasecmp(text + i, words[w], wlen) != 0)
				continue;
			if (t[i + wlen] && word_byte(t[i + wlen]) &&
			    word_byte((unsigned char)words[w][wlen - 1]))
				continue;
			return (int)w;
		}
	}
	return -1;
}

int mod_count_links(const char *text)
{
	int n = 0;

	for (const char *p = text; *p; p++) {
		/* A link starts a word: after a space, a bracket or a quote
		 * (not inside another link's path). */
		if (p > text && !isspace((unsigned char)p[-1]) &&
		    !strchr("([<\"'", p[-1]))
			continue;
		if (!strncasecmp(p, "http://", 7) ||
		    !strncasecmp(p, "https://", 8) ||
		    !strncasecmp(p, "www.", 4))
			n++;
	}
	return n;
}
