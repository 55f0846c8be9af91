/* chat.c - channels, messages and the event log over the store. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruche/chat.h"
#include "ruche/conn.h"
#include "ruche/err.h"
#include "ruche/hives.h"
#include "ruche/jsonw.h"
#include "ruche/log.h"
#include "ruche/meetups.h"
#include "ruche/moderation.h"
#include "ruche/proto.h"
#include "ruche/server.h"
#include "ruche/utf8.h"

#define TOPIC_MAX 250		/* characters */

static int64_t now_ms(struct server *srv)
{
	return clock_wall_ms(srv->clock);
}

/* Stores an event and publishes it once committed; data is stolen. */
static int emit(struct server *srv, int64_t hive_id, int64_t channel_id,
		const char *kind, json_t *data)
{
	return server_emit(srv, hive_id, channel_id, kind, data);
}

/*
 * An ephemeral event (no position, never stored), to a hive's members or
 * a direct channel's, or to one user (user_id > 0); a negative user_id
 * leaves that user out of the audience.
 */
static void emit_ephemeral(struct server *srv, int64_t hive_id,
			   int64_t channel_id, int64_t user_id,
			   const char *kind, json_t *data)
{
	struct frame *f = proto_event(kind, -1, data);

	if (f) {
		server_publish(srv, hive_id, channel_id, user_id, 0, f);
		frame_unref(f);
	}
}

/* The channel's audience: (hive, 0) or (0, direct channel). */
static int64_t audience_hive(const struct store_channel *ch)
{
	return ch->kind == CHANNEL_DIRECT ? 0 : ch->hive_id;
}

static int64_t audience_channel(const struct store_channel *ch)
{
	return ch->kind == CHANNEL_DIRECT ? ch->id : 0;
}

/*
 * Loads a channel the actor may read, and their role in its hive.  A
 * channel they may not see is reported as not found.
 */
static int channel_for(struct server *srv, struct actor who,
		       int64_t channel_id, struct store_channel *ch,
		       enum role *role)
{
	int rc = store_channel_get(srv->store, channel_id, ch);

	*role = ROLE_NONE;
	if (rc)
		return rc;
	if (ch->kind == CHANNEL_DIRECT) {
		int64_t *members;
		size_t n;
		bool in = false;

		rc = store_direct_members(srv->store, ch->id, &members, &n);
		for (size_t i = 0; !rc && i < n; i++)
			in = in || members[i] == who.user_id;
		free(members);
		return rc ? rc : in ? 0 : RUCHE_ENOTFOUND;
	}
	*role = hives_role(srv, ch->hive_id, who.user_id);
	return *role != ROLE_NONE || who.admin ? 0 : RUCHE_ENOTFOUND;
}

/* RUCHE_EARCHIVED when the channel's hive is archived (read-only). */
static int hive_open(struct server *srv, const struct store_channel *ch)
{
	int64_t archived_at;

	if (ch->kind == CHANNEL_DIRECT)
		return 0;
	if (!store_hive_archived(srv->store, ch->hive_id, &archived_at) &&
	    archived_at)
		return RUCHE_EARCHIVED;
	return 0;
}

/* Whether the actor may post in a channel they can read. */
static int may_post(struct server *srv, struct actor who,
		    const struct store_channel *ch, enum role role)
{
	int rc;

	if (ch->archived_at)
		return RUCHE_ECHANNEL_ARCHIVED;
	if (ch->kind == CHANNEL_DIRECT)
		return 0;
	rc = hive_open(srv, ch);
	if (rc)
		return rc;
	if (ch->kind == CHANNEL_ANNOUNCE && role != ROLE_MENTOR && !who.admin)
		return RUCHE_EREAD_ONLY;
	rc = mod_check_post(srv, who, ch, role);	/* muted, locked */
	return rc ? rc : meetups_check_post(srv, who, ch, role); /* rounds */
}

/* Mentors of the channel's hive and admins manage channels. */
static int may_manage(struct server *srv, struct actor who, int64_t hive_id)
{
	if (who.admin || hives_role(srv, hive_id, who.user_id) == ROLE_MENTOR)
		return 0;
	return hives_role(srv, hive_id, who.user_id) == ROLE_NONE ?
	       RUCHE_ENOTFOUND : RUCHE_EFORBIDDEN;
}

static json_t *channel_json(const struct store_channel *c)
{
	json_t *o = json_pack("{s:I, s:s, s:s, s:i, s:b}",
			      "id", (json_int_t)c->id,
			      "kind", channel_kind_name(c->kind),
			      "topic", c->topic, "position", c->position,
			      "archived", c->archived_at != 0);

	if (o && c->kind != CHANNEL_DIRECT) {
		json_object_set_new(o, "hive_id", json_integer(c->hive_id));
		json_object_set_new(o, "name", json_string(c->name));
		json_object_set_new(o, "slow_mode_seconds",
				    json_integer(c->slow_mode_s));
		json_object_set_new(o, "locked", json_boolean(c->locked));
	}
	return o;
}

/* "reactions": the message's reactions, as user_id sees them (mine). */
static void write_reactions(struct server *srv, struct jsonw *w,
			    int64_t message_id, int64_t user_id)
{
	struct store_reaction_count *r = NULL;
	size_t n = 0;

	jsonw_key(w, "reactions");
	jsonw_array_open(w);
	if (!store_reaction_counts(srv->store, message_id, user_id, &r, &n)) {
		for (size_t i = 0; i < n; i++) {
			jsonw_open(w);
			jsonw_str(w, "emoji", r[i].emoji);
			jsonw_int(w, "count", r[i].count);
			jsonw_bool(w, "mine", r[i].mine);
			jsonw_close(w);
		}
		free(r);
	}
	jsonw_array_close(w);
}

/*
 * A message's members as the protocol shows them, into w's open object,
 * written directly (jsonw.h says why); the nonce, the author's own retry
 * key, only in replies to the author (with_nonce).  Every message the
 * server shows is written here.
 */
static void write_message_members(struct jsonw *w,
				  const struct store_message *m,
				  bool with_nonce)
{
	jsonw_int(w, "id", m->id);
	jsonw_int(w, "channel_id", m->channel_id);
	jsonw_int(w, "author_id", m->author_id);
	jsonw_str(w, "text", m->body);
	jsonw_int(w, "created_at", m->created_at);
	jsonw_bool(w, "deleted", m->deleted_at != 0);
	jsonw_int(w, "reply_count", m->reply_count);
	if (m->edited_at)
		jsonw_int(w, "edited_at", m->edited_at);
	if (m->reply_to)
		jsonw_int(w, "reply_to", m->reply_to);
	if (m->thread_id)
		jsonw_int(w, "thread_id", m->thread_id);
	if (m->last_reply_at)
		jsonw_int(w, "last_reply_at", m->last_reply_at);
	if (with_nonce && m->nonce[0])
		jsonw_str(w, "nonce", m->nonce);
}

/* {"message": ...} as JSON text: the data of msg.created and of the
 * reply to msg.send. */
static char *message_data_text(const struct store_message *m,
			       bool with_nonce, size_t *len)
{
	struct jsonw w;

	jsonw_init(&w);
	jsonw_open(&w);
	jsonw_raw(&w, "\"message\":", 10);
	jsonw_open(&w);
	write_message_members(&w, m, with_nonce);
	jsonw_close(&w);
	jsonw_close(&w);
	return jsonw_finish(&w, len);
}

/* The same, read back, for the replies and events built with jansson. */
static json_t *message_data_json(const struct store_message *m)
{
	size_t len;
	char *text = message_data_text(m, false, &len);
	json_t *o = text ? json_loadb(text, len, 0, NULL) : NULL;

	free(text);
	return o;
}

/* ---- Channels -------------------------------------------------------- */

/* Channel names read like handles: 1 to 32 of a-z, 0-9, '_' and '-'. */
static int clean_channel_name(const char *in, char *out, size_t outlen)
{
	size_t n = strlen(in);

	if (n < 1 || n > 32 || n >= outlen)
		return RUCHE_EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = (char)tolower((unsigned char)in[i]);

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return RUCHE_EINVAL;
		out[i] = c;
	}
	out[n] = '\0';
	return 0;
}

static int check_topic(const char *topic)
{
	size_t n = strlen(topic);

	return utf8_valid(topic, n) && utf8_count(topic, n) <= TOPIC_MAX &&
	       n < STORE_TOPIC_BYTES ? 0 : RUCHE_EINVAL;
}

static int insert_channel(struct server *srv, int64_t hive_id,
			  const char *name, enum channel_kind kind,
			  const char *topic, struct store_channel *c)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->hive_id = hive_id;
	c->kind = kind;
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->topic, sizeof(c->topic), "%s", topic ? topic : "");
	c->created_at = now_ms(srv);
	rc = store_channel_next_position(srv->store, hive_id, &c->position);
	if (!rc)
		rc = store_channel_insert(srv->store, c);
	return rc;
}

int chat_create_defaults(struct server *srv, int64_t hive_id)
{
	static const struct {
		const char *name;
		enum channel_kind kind;
		const char *topic;
	} defaults[] = {
		{ "general", CHANNEL_CHAT, "Everything about the hive" },
		{ "help", CHANNEL_CHAT, "Ask here: someone will answer" },
		{ "meetups", CHANNEL_ANNOUNCE, "Meetups and announcements" },
	};
	struct store_channel c;
	int rc = 0;

	for (unsigned i = 0; !rc && i < 3; i++)
		rc = insert_channel(srv, hive_id, defaults[i].name,
				    defaults[i].kind, defaults[i].topic, &c);
	return rc;
}

int chat_channels(struct server *srv, struct actor who, int64_t hive_id,
		  json_t **out)
{
	struct store_channel *list;
	size_t n;
	json_t *arr;
	int rc;

	if (!who.admin && hives_role(srv, hive_id, who.user_id) == ROLE_NONE)
		return RUCHE_ENOTFOUND;
	rc = store_channel_list(srv->store, hive_id, &list, &n);
	if (rc)
		return rc;
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		json_t *o = channel_json(&list[i]);
		int64_t read = 0;
		int unread = 0, mentioned = 0;

		store_read_get(srv->store, who.user_id, list[i].id, &read);
		store_unread_count(srv->store, who.user_id, list[i].id,
				   &unread);
		store_unread_mentions(srv->store, who.user_id, list[i].id,
				      &mentioned);
		json_object_set_new(o, "last_read_id", json_integer(read));
		json_object_set_new(o, "unread", json_integer(unread));
		json_object_set_new(o, "mentions", json_integer(mentioned));
		json_array_append_new(arr, o);
	}
	free(list);
	*out = arr;
	return arr ? 0 : RUCHE_ENOMEM;
}

/* RUCHE_ELIMIT when the hive has --max-channels-per-hive open channels;
 * archived ones are read-only and do not count. */
static int check_max_channels(struct server *srv, int64_t hive_id)
{
	int max = srv->cfg->max_channels_per_hive;
	struct store_channel *list;
	size_t n, open = 0;
	int rc = store_channel_list(srv->store, hive_id, &list, &n);

	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		open += !list[i].archived_at;
	free(list);
	return open >= (size_t)max ?
	       hives_limit_reached(srv, "channels_per_hive", max) : 0;
}

int chat_channel_create(struct server *srv, struct actor who, int64_t hive_id,
			const char *name, enum channel_kind kind,
			const char *topic, json_t **out)
{
	char clean[STORE_NAME_BYTES];
	struct store_channel c;
	struct store_hive h;
	int rc = may_manage(srv, who, hive_id);

	if (rc)
		return rc;
	if (kind == CHANNEL_DIRECT || clean_channel_name(name, clean,
							 sizeof(clean)) ||
	    (topic && check_topic(topic)))
		return RUCHE_EINVAL;
	rc = store_hive_get(srv->store, hive_id, &h);
	if (rc)
		return rc;
	if (h.archived_at)
		return RUCHE_EARCHIVED;
	rc = server_begin(srv);
	if (rc)
		return rc;
	/* The server's own channels (a meetup's breakouts) are not capped:
	 * a meetup must not fail half-way for a cap meant for people. */
	if (who.user_id)
		rc = check_max_channels(srv, hive_id);
	if (!rc)
		rc = insert_channel(srv, hive_id, clean, kind, topic, &c);
	if (!rc)
		rc = emit(srv, hive_id, 0, "channel.created",
			  json_pack("{s:o}", "channel", channel_json(&c)));
	rc = server_end(srv, rc);
	if (!rc)
		*out = json_pack("{s:o}", "channel", channel_json(&c));
	return rc;
}

/* Loads a hive channel the actor manages and that is still open. */
static int managed_channel(struct server *srv, struct actor who,
			   int64_t channel_id, struct store_channel *c)
{
	enum role role;
	int rc = channel_for(srv, who, channel_id, c, &role);

	if (rc)
		return rc;
	if (c->kind == CHANNEL_DIRECT)
		return RUCHE_EFORBIDDEN;
	rc = may_manage(srv, who, c->hive_id);
	if (!rc)
		rc = hive_open(srv, c);
	if (rc)
		return rc;
	return c->archived_at ? RUCHE_ECHANNEL_ARCHIVED : 0;
}

/* Stores a channel's new state (fields, or archiving) and tells the hive. */
static int save_channel(struct server *srv, struct store_channel *c,
			bool archive)
{
	int rc = server_begin(srv);

	if (rc)
		return rc;
	if (archive) {
		c->archived_at = now_ms(srv);
		rc = store_channel_archive(srv->store, c->id, c->archived_at);
	} else {
		rc = store_channel_update(srv->store, c);
	}
	if (!rc)
		rc = emit(srv, c->hive_id, 0, "channel.updated",
			  json_pack("{s:o}", "channel", channel_json(c)));
	return server_end(srv, rc);
}

int chat_channel_update(struct server *srv, struct actor who,
			int64_t channel_id, const char *name,
			const char *topic, int position, json_t **out)
{
	struct store_channel c;
	int rc = managed_channel(srv, who, channel_id, &c);

	if (rc)
		return rc;
	if (name && clean_channel_name(name, c.name, sizeof(c.name)))
		return RUCHE_EINVAL;
	if (topic) {
		if (check_topic(topic))
			return RUCHE_EINVAL;
		snprintf(c.topic, sizeof(c.topic), "%s", topic);
	}
	if (position >= 0)
		c.position = position;
	rc = save_channel(srv, &c, false);
	if (!rc)
		*out = json_pack("{s:o}", "channel", channel_json(&c));
	return rc;
}

int chat_channel_archive(struct server *srv, struct actor who,
			 int64_t channel_id)
{
	struct store_channel c;
	int rc = managed_channel(srv, who, channel_id, &c);

	return rc ? rc : save_channel(srv, &c, true);
}

/* ---- Direct conversations -------------------------------------------- */

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static json_t *direct_json(struct server *srv, const struct store_channel *c)
{
	json_t *o = channel_json(c), *ids = json_array();
	int64_t *members = NULL;
	size_t n = 0;

	store_direct_members(srv->store, c->id, &members, &n);
	for (size_t i = 0; ids && i < n; i++)
		json_array_append_new(ids, json_integer(members[i]));
	free(members);
	json_object_set_new(o, "members", ids);
	return o;
}

int chat_direct_open(struct server *srv, struct actor who,
		     const int64_t *others, size_t n, json_t **out)
{
	int64_t ids[CHAT_DIRECT_MAX], id;
	struct store_channel c;
	size_t count = 0;
	int rc;

	if (n < 1 || n > CHAT_DIRECT_MAX - 1)
		return RUCHE_EINVAL;
	ids[count++] = who.user_id;
	for (size_t i = 0; i < n; i++) {
		bool dup = false, share = false;

		for (size_t j = 0; j < count; j++)
			dup = dup || ids[j] == others[i];
		if (dup)
			continue;
		/* Only people who share a hive with the caller. */
		rc = store_users_share_hive(srv->store, who.user_id,
					    others[i], &share);
		if (rc)
			return rc;
		if (!share)
			return RUCHE_ENOTFOUND;
		ids[count++] = others[i];
	}
	if (count < 2)
		return RUCHE_EINVAL;
	qsort(ids, count, sizeof(ids[0]), cmp_id);
	rc = store_direct_find(srv->store, ids, count, &id);
	if (!rc)
		rc = store_channel_get(srv->store, id, &c);
	if (rc == RUCHE_ENOTFOUND) {
		rc = server_begin(srv);
		if (rc)
			return rc;
		memset(&c, 0, sizeof(c));
		c.kind = CHANNEL_DIRECT;
		c.created_at = now_ms(srv);
		rc = store_channel_insert(srv->store, &c);
		for (size_t i = 0; !rc && i < count; i++)
			rc = store_direct_add_member(srv->store, c.id, ids[i]);
		if (!rc)
			rc = emit(srv, 0, c.id, "dm.created",
				  json_pack("{s:o}", "channel",
					    direct_json(srv, &c)));
		rc = server_end(srv, rc);
	}
	if (!rc)
		*out = json_pack("{s:o}", "channel", direct_json(srv, &c));
	return rc;
}

/*
 * How far the others have read a conversation, for "Seen" after a reload:
 * [{user_id, message_id}] of the members but the caller who read any of
 * it.  The same pairs as the read events that move them.
 */
static json_t *direct_reads(struct server *srv, struct actor who,
			    int64_t channel_id, json_t *direct)
{
	json_t *arr = json_array(), *id;
	size_t i;

	json_array_foreach(json_object_get(direct, "members"), i, id) {
		int64_t user = json_integer_value(id), last = 0;

		if (user == who.user_id ||
		    store_read_get(srv->store, user, channel_id, &last) ||
		    !last)
			continue;
		json_array_append_new(arr, json_pack("{s:I, s:I}", "user_id",
						     (json_int_t)user,
						     "message_id",
						     (json_int_t)last));
	}
	return arr;
}

int chat_direct_list(struct server *srv, struct actor who, json_t **out)
{
	struct store_channel *list;
	size_t n;
	json_t *arr;
	int rc = store_direct_list(srv->store, who.user_id, &list, &n);

	if (rc)
		return rc;
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		json_t *o = direct_json(srv, &list[i]);
		int unread = 0;

		store_unread_count(srv->store, who.user_id, list[i].id,
				   &unread);
		json_object_set_new(o, "unread", json_integer(unread));
		json_object_set_new(o, "reads",
				    direct_reads(srv, who, list[i].id, o));
		json_array_append_new(arr, o);
	}
	free(list);
	*out = arr;
	return arr ? 0 : RUCHE_ENOMEM;
}

/* ---- Messages -------------------------------------------------------- */

/* Trims white space around text into a new string; NULL if out of memory. */
static char *trimmed(const char *text)
{
	const char *s = text, *e = text + strlen(text);
	char *out;

	while (*s && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	out = malloc((size_t)(e - s) + 1);
	if (out) {
		memcpy(out, s, (size_t)(e - s));
		out[e - s] = '\0';
	}
	return out;
}

static int check_text(const char *text)
{
	size_t n = strlen(text);

	if (n == 0)
		return RUCHE_EEMPTY;
	if (!utf8_valid(text, n))
		return RUCHE_EINVAL;
	return utf8_count(text, n) > CHAT_TEXT_MAX ? RUCHE_ETOOBIG : 0;
}

/* True when user_id may read channel ch (a mention must not leak). */
static bool can_read(struct server *srv, const struct store_channel *ch,
		     int64_t user_id)
{
	int64_t *members;
	size_t n;
	bool in = false;

	if (ch->kind != CHANNEL_DIRECT)
		return hives_role(srv, ch->hive_id, user_id) != ROLE_NONE;
	if (store_direct_members(srv->store, ch->id, &members, &n))
		return false;
	for (size_t i = 0; i < n; i++)
		in = in || members[i] == user_id;
	free(members);
	return in;
}

/* Records a mention of every member of the hive but the author. */
static void mention_hive(struct server *srv, struct actor who,
			 const struct store_channel *ch,
			 const struct store_message *m)
{
	struct store_member *members;
	size_t n;

	if (store_member_list(srv->store, ch->hive_id, &members, &n))
		return;
	for (size_t i = 0; i < n; i++)
		if (members[i].user_id != who.user_id)
			store_mention_insert(srv->store, members[i].user_id,
					     m->id, ch->id);
	free(members);
}

/*
 * Sends a mention event to each member named with @handle, and to every
 * member for @hive from a mentor, and records each mention so that unread
 * mention counts survive a reconnect.  Ephemeral: the message itself, stored,
 * carries the text that names them.
 */
static void mentions(struct server *srv, struct actor who,
		     const struct store_channel *ch, enum role role,
		     const struct store_message *m)
{
	const char *p = m->body;
	json_t *data;

	while ((p = strchr(p, '@'))) {
		char handle[AUTH_HANDLE_MAX + 1];
		size_t n = 0;
		struct store_user u;

		p++;
		while (n < AUTH_HANDLE_MAX &&
		       (isalnum((unsigned char)p[n]) || p[n] == '_' ||
			p[n] == '.' || p[n] == '-'))
			n++;
		while (n && p[n - 1] == '.')
			n--;	/* a sentence's full stop */
		if (n < AUTH_HANDLE_MIN)
			continue;
		memcpy(handle, p, n);
		handle[n] = '\0';
		for (size_t i = 0; i < n; i++)
			handle[i] = (char)tolower((unsigned char)handle[i]);
		data = json_pack("{s:I, s:I, s:I}", "message_id",
				 (json_int_t)m->id, "channel_id",
				 (json_int_t)ch->id, "by",
				 (json_int_t)who.user_id);
		if (strcmp(handle, "hive") == 0 && ch->kind != CHANNEL_DIRECT &&
		    (role == ROLE_MENTOR || who.admin)) {
			mention_hive(srv, who, ch, m);
			emit_ephemeral(srv, ch->hive_id, 0, -who.user_id,
				       "mention", data);
		} else if (!store_user_by_handle(srv->store, handle, &u) &&
			   u.id != who.user_id && can_read(srv, ch, u.id)) {
			store_mention_insert(srv->store, u.id, m->id, ch->id);
			emit_ephemeral(srv, 0, 0, u.id, "mention", data);
		} else {
			json_decref(data);
		}
		p += n;
	}
}

int chat_post(struct server *srv, struct actor who, int64_t channel_id,
	      const char *text, int64_t reply_to, int64_t thread_id,
	      const char *nonce, char **out, size_t *len)
{
	struct store_message m = { 0 }, other = { 0 };
	struct store_channel ch;
	enum role role;
	char *event;
	size_t n;
	int rc;

	*out = NULL;
	/* A retried send: the stored message again, nothing new. */
	if (nonce && nonce[0] &&
	    !store_msg_by_nonce(srv->store, who.user_id, nonce, &m)) {
		*out = message_data_text(&m, true, len);
		store_msg_release(&m);
		return *out ? 0 : RUCHE_ENOMEM;
	}
	rc = channel_for(srv, who, channel_id, &ch, &role);
	if (!rc)
		rc = may_post(srv, who, &ch, role);
	if (rc)
		return rc;
	m.body = trimmed(text);
	if (!m.body)
		return RUCHE_ENOMEM;
	rc = check_text(m.body);
	if (!rc)	/* slow mode and the hive's guard */
		rc = mod_check_message(srv, who, &ch, role, m.body);
	/* Quoted and thread messages live in the same channel. */
	if (!rc && (reply_to || thread_id)) {
		rc = store_msg_get(srv->store, thread_id ? thread_id : reply_to,
				   &other);
		if (!rc && other.channel_id != channel_id)
			rc = RUCHE_ENOTFOUND;
		if (!rc && thread_id && other.thread_id)
			thread_id = other.thread_id;	/* one level */
		store_msg_release(&other);
		if (!rc && reply_to && thread_id) {
			rc = store_msg_get(srv->store, reply_to, &other);
			if (!rc && other.channel_id != channel_id)
				rc = RUCHE_ENOTFOUND;
			store_msg_release(&other);
		}
	}
	if (rc) {
		store_msg_release(&m);
		return rc;
	}
	m.channel_id = channel_id;
	m.author_id = who.user_id;
	m.reply_to = reply_to;
	m.thread_id = thread_id;
	snprintf(m.nonce, sizeof(m.nonce), "%s", nonce ? nonce : "");
	m.created_at = now_ms(srv);
	rc = server_begin(srv);
	if (!rc) {
		rc = store_msg_insert(srv->store, &m);
		if (!rc && thread_id)
			rc = store_msg_thread_bump(srv->store, thread_id,
						   m.created_at);
		event = rc ? NULL : message_data_text(&m, false, &n);
		if (!rc && !event)
			rc = RUCHE_ENOMEM;
		if (!rc)
			rc = server_emit_text(srv, audience_hive(&ch),
					      audience_channel(&ch),
					      "msg.created", event, n);
		free(event);
		if (!rc && thread_id)
			rc = emit(srv, audience_hive(&ch),
				  audience_channel(&ch), "thread.updated",
				  json_pack("{s:I, s:I}", "message_id",
					    (json_int_t)thread_id,
					    "last_reply_at",
					    (json_int_t)m.created_at));
		if (!rc)
			mentions(srv, who, &ch, role, &m);
		rc = server_end(srv, rc);
	}
	if (!rc) {
		*out = message_data_text(&m, true, len);
		rc = *out ? 0 : RUCHE_ENOMEM;
	}
	store_msg_release(&m);
	return rc;
}

int chat_send(struct server *srv, struct actor who, int64_t channel_id,
	      const char *text, int64_t reply_to, int64_t thread_id,
	      const char *nonce, json_t **out)
{
	char *reply;
	size_t len;
	int rc = chat_post(srv, who, channel_id, text, reply_to, thread_id,
			   nonce, &reply, &len);

	if (!rc) {
		*out = json_loadb(reply, len, 0, NULL);
		rc = *out ? 0 : RUCHE_ENOMEM;
	}
	free(reply);
	return rc;
}

/* Loads a message the actor wrote and may still change. */
static int own_message(struct server *srv, struct actor who,
		       int64_t message_id, struct store_message *m,
		       struct store_channel *ch)
{
	enum role role;
	int rc = store_msg_get(srv->store, message_id, m);

	if (rc)
		return rc;
	rc = channel_for(srv, who, m->channel_id, ch, &role);
	if (!rc && m->author_id != who.user_id)
		rc = RUCHE_EFORBIDDEN;
	if (!rc && m->deleted_at)
		rc = RUCHE_EDELETED;
	if (!rc && ch->archived_at)
		rc = RUCHE_ECHANNEL_ARCHIVED;
	if (!rc)
		rc = hive_open(srv, ch);
	if (rc)
		store_msg_release(m);
	return rc;
}

int chat_edit(struct server *srv, struct actor who, int64_t message_id,
	      const char *text, json_t **out)
{
	struct store_message m;
	struct store_channel ch;
	char *body;
	int rc = own_message(srv, who, message_id, &m, &ch);

	if (rc)
		return rc;
	body = trimmed(text);
	rc = body ? check_text(body) : RUCHE_ENOMEM;
	if (!rc)	/* muted, locked, the hive's guard */
		rc = mod_check_edit(srv, who, &ch, body);
	if (!rc)
		rc = server_begin(srv);
	if (!rc) {
		free(m.body);
		m.body = body;
		body = NULL;
		m.edited_at = now_ms(srv);
		rc = store_msg_edit(srv->store, m.id, m.body, m.edited_at);
		if (!rc)
			rc = emit(srv, audience_hive(&ch), audience_channel(&ch),
				  "msg.edited", message_data_json(&m));
		rc = server_end(srv, rc);
	}
	if (!rc)
		*out = message_data_json(&m);
	free(body);
	store_msg_release(&m);
	return rc;
}

int chat_delete(struct server *srv, struct actor who, int64_t message_id)
{
	struct store_message m;
	struct store_channel ch;
	int rc = own_message(srv, who, message_id, &m, &ch);

	if (rc)
		return rc;
	rc = server_begin(srv);
	if (!rc) {
		rc = store_msg_tombstone(srv->store, m.id, now_ms(srv));
		/* The log must not keep what the author took back. */
		if (!rc)
			rc = store_event_erase_text(srv->store, m.id, 0);
		if (!rc)
			rc = emit(srv, audience_hive(&ch), audience_channel(&ch),
				  "msg.deleted",
				  json_pack("{s:I, s:I}", "message_id",
					    (json_int_t)m.id, "channel_id",
					    (json_int_t)m.channel_id));
		rc = server_end(srv, rc);
	}
	store_msg_release(&m);
	return rc;
}

/* Decodes one code point of well-formed UTF-8 at *p and advances. */
static unsigned next_cp(const unsigned char **p)
{
	const unsigned char *s = *p;
	unsigned c = s[0];
	int n = c < 0x80 ? 0 : c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;

	if (n)
		c &= 0x3f >> n;
	for (int i = 1; i <= n; i++)
		c = c << 6 | (s[i] & 0x3f);
	*p = s + n + 1;
	return c;
}

static bool emoji_base(unsigned c)
{
	return (c >= 0x1F000 && c <= 0x1FAFF) || (c >= 0x2600 && c <= 0x27BF) ||
	       (c >= 0x2B00 && c <= 0x2BFF) || (c >= 0x2190 && c <= 0x21FF) ||
	       (c >= 0x2300 && c <= 0x23FF) || (c >= 0x25A0 && c <= 0x25FF) ||
	       c == 0x00A9 || c == 0x00AE || c == 0x203C || c == 0x2049 ||
	       c == 0x2122 || c == 0x2139 || c == 0x3030 || c == 0x303D ||
	       c == 0x3297 || c == 0x3299 || c == 0x2934 || c == 0x2935;
}

bool chat_is_emoji(const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t len = strlen(text);
	int clusters = 0, cps = 0;
	bool joined = false, keycap_base = false, ri_open = false;

	if (len == 0 || len > 64 || !utf8_valid(text, len))
		return false;
	while (*p) {
		unsigned c = next_cp(&p);

		if (++cps > 16)
			return false;
		if (c == 0x200D) {		/* zero-width joiner */
			joined = true;
			continue;
		}
		if (c == 0xFE0F || (c >= 0x1F3FB && c <= 0x1F3FF) ||
		    (c >= 0xE0020 && c <= 0xE007F))
			continue;		/* modifiers and tags */
		if (c == 0x20E3 && keycap_base) /* keycap: 1️⃣ */
			continue;
		if ((c >= '0' && c <= '9') || c == '#' || c == '*') {
			keycap_base = true;
			clusters++;
			continue;
		}
		if (!emoji_base(c))
			return false;
		/* Two regional indicators make one flag. */
		if (c >= 0x1F1E6 && c <= 0x1F1FF) {
			if (ri_open) {
				ri_open = false;
				continue;
			}
			ri_open = true;
		}
		if (!joined)
			clusters++;
		joined = false;
	}
	if ((keycap_base && cps < 2) || ri_open)
		return false;		/* a bare digit, half a flag */
	return clusters == 1;
}

int chat_react(struct server *srv, struct actor who, int64_t message_id,
	       const char *emoji, bool on)
{
	struct store_reaction_count *counts = NULL;
	struct store_message m;
	struct store_channel ch;
	enum role role;
	size_t n = 0;
	int count = 0, rc;

	if (!chat_is_emoji(emoji))
		return RUCHE_EBAD_EMOJI;
	rc = store_msg_get(srv->store, message_id, &m);
	if (rc)
		return rc;
	store_msg_release(&m);
	rc = channel_for(srv, who, m.channel_id, &ch, &role);
	if (!rc && m.deleted_at)
		rc = RUCHE_EDELETED;
	if (!rc && ch.archived_at)
		rc = RUCHE_ECHANNEL_ARCHIVED;
	if (!rc)
		rc = hive_open(srv, &ch);
	if (!rc)
		rc = mod_check_post(srv, who, &ch, role); /* muted, locked */
	if (rc)
		return rc;
	rc = server_begin(srv);
	if (rc)
		return rc;
	rc = on ? store_reaction_add(srv->store, m.id, who.user_id, emoji,
				     now_ms(srv)) :
		  store_reaction_remove(srv->store, m.id, who.user_id, emoji);
	if (!rc)
		rc = store_reaction_counts(srv->store, m.id, who.user_id,
					   &counts, &n);
	for (size_t i = 0; !rc && i < n; i++)
		if (strcmp(counts[i].emoji, emoji) == 0)
			count = counts[i].count;
	free(counts);
	if (!rc)
		rc = emit(srv, audience_hive(&ch), audience_channel(&ch),
			  on ? "reaction.added" : "reaction.removed",
			  json_pack("{s:I, s:I, s:I, s:s, s:i}", "message_id",
				    (json_int_t)m.id, "channel_id",
				    (json_int_t)m.channel_id, "user_id",
				    (json_int_t)who.user_id, "emoji", emoji,
				    "count", count));
	return server_end(srv, rc);
}

/* ---- History, search, read state ------------------------------------- */

/*
 * Messages as history shows them to user_id, into w's open array, in
 * the given order or reversed: each with its reactions, what moderation
 * adds, and where user_id last read its thread.
 */
static void write_messages(struct server *srv, struct jsonw *w,
			   const struct store_message *m, size_t n,
			   bool reverse, int64_t user_id)
{
	for (size_t k = 0; k < n; k++) {
		const struct store_message *x = &m[reverse ? n - 1 - k : k];

		jsonw_open(w);
		write_message_members(w, x, false);
		write_reactions(srv, w, x->id, user_id);
		mod_message_write(srv, w, x, user_id);
		if (x->reply_count) {
			int64_t read = 0;

			store_thread_read_get(srv->store, user_id, x->id,
					      &read);
			jsonw_int(w, "thread_last_read_id", read);
		}
		jsonw_close(w);
	}
}

json_t *chat_message_json(struct server *srv, int64_t message_id,
			  int64_t user_id)
{
	struct store_message m;
	struct jsonw w;
	json_t *o = NULL;
	char *text;
	size_t len;

	if (store_msg_get(srv->store, message_id, &m))
		return NULL;
	jsonw_init(&w);
	write_messages(srv, &w, &m, 1, false, user_id);
	store_msg_release(&m);
	text = jsonw_finish(&w, &len);
	if (text)
		o = json_loadb(text, len, 0, NULL);
	free(text);
	return o;
}

int chat_history(struct server *srv, struct actor who, int64_t channel_id,
		 int64_t thread_id, int64_t before_id, int64_t after_id,
		 int64_t around_id, int limit, char **out, size_t *len)
{
	struct store_message *older = NULL, *newer = NULL;
	size_t nolder = 0, nnewer = 0;
	struct store_channel ch;
	enum role role;
	bool more_before = false, more_after = false;
	struct jsonw w;
	int rc = channel_for(srv, who, channel_id, &ch, &role);

	*out = NULL;
	if (rc)
		return rc;
	if (thread_id) {
		/* A thread is read through its own channel only. */
		struct store_message root = { 0 };

		rc = store_msg_get(srv->store, thread_id, &root);
		store_msg_release(&root);
		if (rc || root.channel_id != channel_id)
			return rc && rc != RUCHE_ENOTFOUND ? rc :
			       RUCHE_ENOTFOUND;
	}
	if (limit < 1 || limit > CHAT_PAGE_MAX)
		limit = limit < 1 ? 50 : CHAT_PAGE_MAX;
	if (around_id) {
		/* The message and half the page before it, the rest after. */
		size_t nb = (size_t)limit / 2 + 1, na = (size_t)limit - nb;

		rc = store_msg_page(srv->store, channel_id, thread_id,
				    around_id + 1, 0, (int)nb + 1, &older,
				    &nolder);
		if (!rc && na)
			rc = store_msg_page(srv->store, channel_id, thread_id,
					    0, around_id, (int)na + 1, &newer,
					    &nnewer);
		more_before = nolder > nb;
		if (more_before)
			nolder--;
		more_after = nnewer > na;
		if (more_after)
			nnewer--;
	} else if (before_id || !after_id) {
		rc = store_msg_page(srv->store, channel_id, thread_id,
				    before_id ? before_id : INT64_MAX, 0,
				    limit + 1, &older, &nolder);
		more_before = nolder > (size_t)limit;
		if (more_before)
			nolder--;
	} else {
		rc = store_msg_page(srv->store, channel_id, thread_id, 0,
				    after_id, limit + 1, &newer, &nnewer);
		more_after = nnewer > (size_t)limit;
		if (more_after)
			nnewer--;
	}
	if (!rc) {
		jsonw_init(&w);
		jsonw_open(&w);
		jsonw_key(&w, "messages");
		jsonw_array_open(&w);
		write_messages(srv, &w, older, nolder, true, who.user_id);
		write_messages(srv, &w, newer, nnewer, false, who.user_id);
		jsonw_array_close(&w);
		jsonw_bool(&w, "more_before", more_before);
		jsonw_bool(&w, "more_after", more_after);
		jsonw_close(&w);
		*out = jsonw_finish(&w, len);
	}
	/* Free what was counted off, too. */
	store_msg_list_free(older, nolder + (more_before ? 1 : 0));
	store_msg_list_free(newer, nnewer + (more_after ? 1 : 0));
	if (rc)
		return rc;
	return *out ? 0 : RUCHE_ENOMEM;
}

/* Whether q holds a word (anything but spaces). */
static bool has_words(const char *q)
{
	for (; *q; q++)
		if (!isspace((unsigned char)*q))
			return true;
	return false;
}

int chat_search(struct server *srv, struct actor who, const char *query,
		int limit, json_t **out)
{
	struct store_hit *hits;
	size_t n;
	json_t *arr;
	int rc;

	if (!has_words(query))
		return RUCHE_EEMPTY;
	if (limit < 1 || limit > CHAT_PAGE_MAX)
		limit = limit < 1 ? 20 : CHAT_PAGE_MAX;
	rc = store_search(srv->store, who.user_id, query, limit, &hits, &n);
	if (rc)
		return rc;
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:s}",
				      "message_id",
				      (json_int_t)hits[i].message_id,
				      "channel_id",
				      (json_int_t)hits[i].channel_id,
				      "author_id",
				      (json_int_t)hits[i].author_id,
				      "created_at",
				      (json_int_t)hits[i].created_at,
				      "excerpt", hits[i].excerpt);

		/* A reply in a thread opens in its thread. */
		if (o && hits[i].thread_id)
			json_object_set_new(o, "thread_id",
					    json_integer(hits[i].thread_id));
		json_array_append_new(arr, o);
	}
	store_hit_list_free(hits, n);
	*out = json_pack("{s:o}", "results", arr);
	return *out ? 0 : RUCHE_ENOMEM;
}

int chat_mark_read(struct server *srv, struct actor who, int64_t channel_id,
		   int64_t message_id)
{
	struct store_channel ch;
	struct store_message m;
	enum role role;
	json_t *data;
	int rc = channel_for(srv, who, channel_id, &ch, &role);

	if (rc)
		return rc;
	rc = store_msg_get(srv->store, message_id, &m);
	if (rc)
		return rc;
	store_msg_release(&m);
	if (m.channel_id != channel_id)
		return RUCHE_ENOTFOUND;
	/* Inside a thread, the thread's own marker moves. */
	rc = m.thread_id ? store_thread_read_set(srv->store, who.user_id,
						 m.thread_id, message_id) :
			   store_read_set(srv->store, who.user_id, channel_id,
					  message_id);
	if (rc)
		return rc;
	data = json_pack("{s:I, s:I, s:I}", "channel_id",
			 (json_int_t)channel_id, "user_id",
			 (json_int_t)who.user_id, "message_id",
			 (json_int_t)message_id);
	/* Read receipts in direct conversations; elsewhere the reader's own
	 * other devices update their unread counts. */
	if (ch.kind == CHANNEL_DIRECT)
		emit_ephemeral(srv, 0, ch.id, 0, "read", data);
	else
		emit_ephemeral(srv, 0, 0, who.user_id, "read", data);
	return 0;
}

int chat_typing(struct server *srv, struct actor who, int64_t channel_id)
{
	struct store_channel ch;
	enum role role;
	int rc = channel_for(srv, who, channel_id, &ch, &role);

	if (!rc)
		rc = may_post(srv, who, &ch, role);
	if (rc)
		return rc;
	emit_ephemeral(srv, audience_hive(&ch), audience_channel(&ch),
		       -who.user_id, "typing", json_pack("{s:I, s:I, s:i}", "channel_id",
					   (json_int_t)channel_id, "user_id",
					   (json_int_t)who.user_id,
					   "expires_in_ms", CHAT_TYPING_MS));
	return 0;
}

struct subscription {
	const int64_t *hives;
	size_t n;
	int rc;
};

static void subscribe(struct conn *c, void *arg)
{
	struct subscription *sub = arg;

	sub->rc = conn_subscribe(c, sub->hives, sub->n);
}

static void set_away(struct conn *c, void *arg)
{
	c->away = *(bool *)arg;
}

int chat_set_away(struct server *srv, struct conn *c, bool away)
{
	server_presence_update(srv, c, set_away, &away);
	return 0;
}

int chat_presence(struct server *srv, struct actor who, int64_t hive_id,
		  json_t **out)
{
	struct store_member *m;
	size_t n;
	json_t *arr;
	int rc;

	if (!who.admin && hives_role(srv, hive_id, who.user_id) == ROLE_NONE)
		return RUCHE_ENOTFOUND;
	rc = store_member_list(srv->store, hive_id, &m, &n);
	if (rc)
		return rc;
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, json_pack(
			"{s:I, s:s}", "user_id", (json_int_t)m[i].user_id,
			"status", server_presence(srv, m[i].user_id)));
	free(m);
	*out = json_pack("{s:o}", "presence", arr);
	return *out ? 0 : RUCHE_ENOMEM;
}

int chat_sync(struct server *srv, struct conn *c, int64_t since,
	      json_t **out)
{
	struct subscription sub;
	struct store_hive *hives;
	struct store_event *ev = NULL;
	size_t nh, n = 0, total = 0;
	int64_t last = 0, first = 0, *ids;
	bool gap = false, more = false;
	json_t *arr;
	int rc = store_hive_list(srv->store, c->user_id, &hives, &nh);

	if (rc)
		return rc;
	ids = malloc((nh ? nh : 1) * sizeof(*ids));
	for (size_t i = 0; ids && i < nh; i++)
		ids[i] = hives[i].id;
	free(hives);
	if (!ids)
		return RUCHE_ENOMEM;
	rc = store_event_last(srv->store, &last);
	if (!rc)
		rc = store_event_first(srv->store, &first);
	/* A position this server never gave, or one whose successors were
	 * pruned: the client must reload history instead. */
	if (!rc && (since > last || (since >= 0 && first && since < first - 1)))
		gap = true;
	if (!rc && since >= 0 && !gap)
		rc = store_events_since(srv->store, c->user_id, since,
					CHAT_SYNC_MAX + 1, &ev, &n);
	if (rc) {
		free(ids);
		return rc;
	}
	total = n;
	more = n > CHAT_SYNC_MAX;
	if (more)
		n--;
	/* Pages are bounded in bytes too: a page must fit the connection's
	 * outbound queue, or a client resuming past big messages would be
	 * cut off again and again. */
	for (size_t i = 0, bytes = 0; i < n; i++) {
		bytes += strlen(ev[i].data) + 64;
		if (bytes > CHAT_SYNC_MAX_BYTES && i > 0) {
			n = i;
			more = true;
			break;
		}
	}
	sub = (struct subscription){ ids, nh, 0 };
	server_presence_update(srv, c, subscribe, &sub);
	rc = sub.rc;
	free(ids);
	arr = json_array();
	for (size_t i = 0; !rc && arr && i < n; i++)
		json_array_append_new(arr, json_pack(
			"{s:s, s:I, s:o}", "ev", ev[i].kind, "pos",
			(json_int_t)ev[i].pos, "data",
			json_loads(ev[i].data, 0, NULL)));
	/* Live events start after what was replayed; with more to come,
	 * they wait until the client has caught up.  (In a cluster another
	 * node may have committed between the two reads: what was replayed
	 * is not sent again live.) */
	if (n && ev[n - 1].pos > last)
		last = ev[n - 1].pos;
	c->last_pos = more ? ev[n - 1].pos : last;
	c->synced = !more;
	store_event_list_free(ev, total);
	if (rc)
		return rc;
	*out = json_pack("{s:o, s:I, s:b, s:b}", "events", arr, "pos",
			 (json_int_t)c->last_pos, "more", more, "gap", gap);
	return *out ? 0 : RUCHE_ENOMEM;
}

int chat_prune_events(struct server *srv)
{
	int64_t keep_ms = srv->cfg->event_retention_days * 86400LL * 1000;
	int deleted = 0;
	int rc = store_event_prune(srv->store, now_ms(srv) - keep_ms,
				   &deleted);

	if (!rc && deleted)
		log_info("pruned %d events older than %d days", deleted,
			 srv->cfg->event_retention_days);
	return rc;
}
