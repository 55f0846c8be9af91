/*
 * chat.h - channels, messages, reactions, threads, read markers, search,
 * and the event log that lets clients resume without gaps.
 *
 * Every change writes its event to the log (store_event_insert) in the
 * same transaction, then publishes it through the server, which holds it
 * until the commit: others see nothing that is not stored.  Each event's
 * frame is encoded once, from the stored JSON, and shared by every
 * recipient.
 *
 * Who may do what: members of a hive read and post in its channels, but
 * only mentors (and admins) post in announcement channels and manage
 * channels; the author edits and deletes a message; direct conversations
 * are between two to eight people who share a hive.
 */
#ifndef RUCHE_CHAT_H
#define RUCHE_CHAT_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "ruche/accounts.h"
#include "ruche/store.h"

struct conn;
struct server;

#define CHAT_TEXT_MAX 4000	/* characters, after trimming */
#define CHAT_PAGE_MAX 100	/* messages per history page */
#define CHAT_DIRECT_MAX 8	/* people in a direct conversation */
#define CHAT_SYNC_MAX 1000	/* events replayed per sync call */
#define CHAT_SYNC_MAX_BYTES (1u << 20)	/* and their size, at most */
#define CHAT_TYPING_MS 6000	/* a typing mark lasts this long unless renewed */

/* Makes a new hive's channels: general, help and meetups (announcements). */
int chat_create_defaults(struct server *srv, int64_t hive_id);

/* A hive's channels, with the caller's unread counts. */
int chat_channels(struct server *srv, struct actor who, int64_t hive_id,
		  json_t **out);

/* Mentors of the hive and admins.  kind: CHANNEL_CHAT or _ANNOUNCE.
 * RUCHE_ELIMIT when the hive has --max-channels-per-hive open channels
 * (not for ACTOR_OPERATOR: the server's own meetup channels). */
int chat_channel_create(struct server *srv, struct actor who, int64_t hive_id,
			const char *name, enum channel_kind kind,
			const char *topic, json_t **out);
/* NULL name or topic, or position < 0, keeps that field. */
int chat_channel_update(struct server *srv, struct actor who,
			int64_t channel_id, const char *name,
			const char *topic, int position, json_t **out);
int chat_channel_archive(struct server *srv, struct actor who,
			 int64_t channel_id);

/* Opens (or finds) the direct conversation of the caller and others. */
int chat_direct_open(struct server *srv, struct actor who,
		     const int64_t *others, size_t n, json_t **out);
int chat_direct_list(struct server *srv, struct actor who, json_t **out);

/*
 * Posts a message.  text is trimmed; reply_to (0: none) quotes a message
 * of the same channel; thread_id (0: none) posts it in the thread under
 * that message.  A nonce already used by this author returns the stored
 * message again, and changes nothing.
 */
int chat_send(struct server *srv, struct actor who, int64_t channel_id,
	      const char *text, int64_t reply_to, int64_t thread_id,
	      const char *nonce, json_t **out);
/*
 * The same, for msg.send: what the sender is answered, {"message": ...},
 * comes as JSON text (*out, owned, *len bytes), built from the text of
 * the event that carries the message to the channel.
 */
int chat_post(struct server *srv, struct actor who, int64_t channel_id,
	      const char *text, int64_t reply_to, int64_t thread_id,
	      const char *nonce, char **out, size_t *len);
int chat_edit(struct server *srv, struct actor who, int64_t message_id,
	      const char *text, json_t **out);
int chat_delete(struct server *srv, struct actor who, int64_t message_id);
int chat_react(struct server *srv, struct actor who, int64_t message_id,
	       const char *emoji, bool on);

/*
 * One message as msg.history shows it to user_id (reactions, removal by a
 * mentor, thread marker), for a view that lists messages by id, e.g. the
 * pins of a channel.  New reference, or NULL when there is no such message.
 * The caller checks that user_id may read it.
 */
json_t *chat_message_json(struct server *srv, int64_t message_id,
			  int64_t user_id);

/*
 * A page of history: before_id > 0 pages back, after_id pages forward
 * (after_id 0 and before_id 0: the newest page), around_id centres on a
 * message (jump).  thread_id lists a thread instead.  The reply's data
 * as JSON text (*out, *len; the caller frees it), written directly: a
 * page is the most read reply there is.
 */
int chat_history(struct server *srv, struct actor who, int64_t channel_id,
		 int64_t thread_id, int64_t before_id, int64_t after_id,
		 int64_t around_id, int limit, char **out, size_t *len);

/* Full-text search in the caller's hives and conversations. */
int chat_search(struct server *srv, struct actor who, const char *query,
		int limit, json_t **out);

/*
 * Moves the caller's read marker forward: the channel's, or for a message
 * in a thread the thread's (history shows it on the thread's first
 * message as thread_last_read_id).  In a direct conversation the others
 * get a read receipt.
 */
int chat_mark_read(struct server *srv, struct actor who, int64_t channel_id,
		   int64_t message_id);

/* Typing in a channel: an ephemeral event to the others. */
int chat_typing(struct server *srv, struct actor who, int64_t channel_id);

/*
 * Starts live events on c and replays what it missed after since (when
 * since >= 0): the reply says the last position and whether it must
 * reload history (a gap: since is unknown to this server).
 */
int chat_sync(struct server *srv, struct conn *c, int64_t since,
	      json_t **out);

/* Presence of a hive's members; and the caller saying they are away. */
int chat_presence(struct server *srv, struct actor who, int64_t hive_id,
		  json_t **out);
int chat_set_away(struct server *srv, struct conn *c, bool away);

/*
 * Drops events older than --event-retention-days: a client away longer
 * than that gets "gap" from sync and reloads history.  Messages stay.
 */
int chat_prune_events(struct server *srv);

/* True when text is a single emoji (one grapheme of emoji characters). */
bool chat_is_emoji(const char *text);

#endif
