/*
 * moderation.h - mentors keeping their hive a safe place to learn.
 *
 * Mentors act in their own hives, admins everywhere: remove a message,
 * mute a member for a while, kick or ban them, slow a channel down or
 * lock it (read-only for learners), pin messages.  Members report
 * messages to the hive's mentors.  A per-hive automatic guard refuses
 * blocked words and too many links from new members, and mutes a
 * learner who floods.  Admins set how long a hive keeps its messages.
 *
 * Every action, human or automatic, appends one entry to the audit log
 * (actor 0 = the server itself), which nothing edits.  A mentor never
 * acts on another mentor or an admin (RUCHE_EFORBIDDEN, nothing
 * changes); a hive the actor is not a member of is RUCHE_ENOTFOUND.
 *
 * Like chat.h, each change is stored with its event in one transaction
 * and the event is published after the commit.  Functions return 0 or a
 * RUCHE_E* code and change nothing when they fail (except the guard,
 * which records its refusal in the audit log: see mod_check_message()).
 */
#ifndef RUCHE_MODERATION_H
#define RUCHE_MODERATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "ruche/accounts.h"
#include "ruche/store.h"

struct server;

#define MOD_REASON_MAX 500		/* characters */
#define MOD_MUTE_MAX_S (30 * 86400)	/* longest mute */
#define MOD_SLOW_MAX_S 3600		/* longest slow mode */
#define MOD_WORDS_MAX 200		/* blocked words per hive */
#define MOD_WORD_MAX 64			/* characters per blocked word */
#define MOD_FLOOD_MUTE_DEFAULT_S 600	/* when flood_mute_seconds is 0 */
#define MOD_RETENTION_MAX_DAYS 3650
#define MOD_PURGE_BATCH 500		/* messages deleted per step */
#define MOD_AUDIT_PAGE_MAX 500

/* ---- Checks called by chat.c ------------------------------------------ */

/*
 * Whether who, of role in ch's hive, may post or react in ch at all:
 * RUCHE_EMUTED while muted in its hive, RUCHE_ECHANNEL_LOCKED in a locked
 * channel for a learner.  Direct conversations are not moderated.  A
 * refusal leaves its details (until) for the reply (server.h err_detail).
 */
int mod_check_post(struct server *srv, struct actor who,
		   const struct store_channel *ch, enum role role);

/*
 * Whether the text may be posted by who in ch: slow mode
 * (RUCHE_ESLOW_MODE with retry_after_ms), then the hive's guard for
 * learners: a blocked word (RUCHE_EBLOCKED_WORD), too many links from a
 * new member (RUCHE_ELINK_LIMIT), or a flood, which mutes them
 * (RUCHE_EMUTED).  Guard refusals write their audit entry (and the
 * flood's mute and its event) even though the message is refused.
 */
int mod_check_message(struct server *srv, struct actor who,
		      const struct store_channel *ch, enum role role,
		      const char *text);

/*
 * Whether who may edit their message in ch to text: not while muted, nor
 * in a locked channel (learners), and the guard's words and links apply
 * to the new text as to a new message (an edit is no way around them).
 */
int mod_check_edit(struct server *srv, struct actor who,
		   const struct store_channel *ch, const char *text);

/* Adds to a deleted message's open object in w, when a mentor removed
 * it, "removed_by_mentor" and, for its author (viewer), the reason. */
struct jsonw;
void mod_message_write(struct server *srv, struct jsonw *w,
		       const struct store_message *m, int64_t viewer);

/* True when user_id is banned from hive_id (invites refuse them). */
bool mod_banned(struct server *srv, int64_t hive_id, int64_t user_id);

/* ---- Mentor actions ----------------------------------------------------- */

/* reason may be NULL (none); each is at most MOD_REASON_MAX characters. */
int mod_delete(struct server *srv, struct actor who, int64_t message_id,
	       const char *reason);
int mod_mute(struct server *srv, struct actor who, int64_t hive_id,
	     int64_t user_id, int seconds, const char *reason, json_t **out);
int mod_unmute(struct server *srv, struct actor who, int64_t hive_id,
	       int64_t user_id);
/* Mutes running in a hive: {"mutes": [...]} (mentors and admins). */
int mod_mutes(struct server *srv, struct actor who, int64_t hive_id,
	      json_t **out);
int mod_kick(struct server *srv, struct actor who, int64_t hive_id,
	     int64_t user_id, const char *reason);
int mod_ban(struct server *srv, struct actor who, int64_t hive_id,
	    int64_t user_id, const char *reason);
int mod_unban(struct server *srv, struct actor who, int64_t hive_id,
	      int64_t user_id);
int mod_bans(struct server *srv, struct actor who, int64_t hive_id,
	     json_t **out);
/* slow_s < 0 or locked < 0 keeps that setting.  *out: {"channel"}. */
int mod_channel(struct server *srv, struct actor who, int64_t channel_id,
		int slow_s, int locked, json_t **out);
int mod_pin(struct server *srv, struct actor who, int64_t message_id,
	    bool on);
/* Pins of a channel, for anyone who reads it: {"pins": [...]}. */
int mod_pins(struct server *srv, struct actor who, int64_t channel_id,
	     json_t **out);

/* ---- Reports ------------------------------------------------------------ */

/* Any member who reads the message; again by the same person: the same
 * report, nothing new.  *out: {"report"}. */
int mod_report(struct server *srv, struct actor who, int64_t message_id,
	       const char *reason, json_t **out);
/* A hive's reports for its mentors and admins; a learner's own ones for
 * them.  status NULL: all.  *out: {"reports": [...]}. */
int mod_reports(struct server *srv, struct actor who, int64_t hive_id,
		const char *status, json_t **out);
/* outcome "dismissed" or "actioned".  *out: {"report"}. */
int mod_resolve(struct server *srv, struct actor who, int64_t report_id,
		const char *outcome, const char *note, json_t **out);

/* ---- Guard, retention, audit ------------------------------------------ */

/* {"guard": {...}} for the hive's mentors and admins. */
int mod_guard_get(struct server *srv, struct actor who, int64_t hive_id,
		  json_t **out);
/* Changes the fields present in params (validated by the op table). */
int mod_guard_set(struct server *srv, struct actor who, int64_t hive_id,
		  json_t *params, json_t **out);
/* Admins only.  days 0: keep forever. */
int mod_set_retention(struct server *srv, struct actor who, int64_t hive_id,
		      int days, json_t **out);

/* Entries of a hive's audit log (mentors and admins): {"entries", "more"}. */
int mod_audit(struct server *srv, struct actor who,
	      const struct store_audit_filter *f, json_t **out);
/*
 * The whole filtered log as a file: CSV (csv true) or a JSON array, in
 * *out (caller frees).  Same access as mod_audit().
 */
int mod_audit_export(struct server *srv, struct actor who,
		     const struct store_audit_filter *f, bool csv,
		     char **out);

/*
 * Periodic work: ends the mutes that are over (with their event) and,
 * at most every MOD_PURGE_EVERY_MS unless force, purges messages past
 * their hive's retention, one batch per hive.
 */
#define MOD_PURGE_EVERY_MS (60 * 1000)
void mod_housekeeping(struct server *srv, bool force);

/* ---- Pure helpers (unit-tested) --------------------------------------- */

/*
 * The index of the first of words[0..n-1] found in text as a whole word
 * or phrase, ignoring ASCII case, or -1.  A word boundary is any byte
 * that is not an ASCII letter or digit nor part of a multi-byte
 * character.
 */
int mod_find_blocked(const char *text, const char *const *words, size_t n);

/* Links in text: http://, https:// and www. at the start of the text
 * or after a space, a bracket or a quote. */
int mod_count_links(const char *text);

/*
 * Appends one CSV field to buf (quoted when it holds a comma, a quote
 * or a line break; a cell starting with = + - @, a tab or a carriage
 * return gets a leading ' so that spreadsheets do not run it).  buf is a
 * growing malloc'd string with *len and *cap; returns 0 or RUCHE_ENOMEM.
 */
int mod_csv_field(char **buf, size_t *len, size_t *cap, const char *field);

/*
 * An ephemeral event to the hive's mentors and every connected admin
 * (reports, peer pairing): those who look after the hive.  data is
 * taken.
 */
void mod_emit_moderators(struct server *srv, int64_t hive_id,
			 const char *kind, json_t *data);

#endif
