/*
 * store_ops.h - what each storage backend of store.h provides.
 *
 * Private to the store: store.c dispatches every store_*() call on a
 * struct store to its backend through these operations.  A backend
 * defines its own struct store, whose first member is the pointer to
 * its operations (store_sqlite.c, store_pg.c).  One line an operation:
 * STORE_OP(return type, name without "store_", parameters, arguments);
 * STORE_OP_VOID for those that return nothing.  Keep it in the order
 * and with the parameters of store.h.
 */
#ifndef RUCHE_STORE_OPS_H
#define RUCHE_STORE_OPS_H

#include "ruche/store.h"

#define STORE_OPS(STORE_OP, STORE_OP_VOID) \
	STORE_OP(int, set_sync, (struct store *st, bool full), (st, full)) \
	STORE_OP(int, schema_version, (struct store *st), (st)) \
	STORE_OP(int, begin, (struct store *st), (st)) \
	STORE_OP(int, commit, (struct store *st), (st)) \
	STORE_OP_VOID(rollback, (struct store *st), (st)) \
	STORE_OP(bool, in_transaction, (struct store *st), (st)) \
	STORE_OP(int, end, (struct store *st, int rc), (st, rc)) \
	STORE_OP(bool, changed_elsewhere, (struct store *st), (st)) \
	STORE_OP(int, search_index, (struct store *st), (st)) \
	STORE_OP(int, search_check, (struct store *st), (st)) \
	STORE_OP(int, test_fault, (struct store *st, enum store_fault fault), (st, fault)) \
	STORE_OP(int, user_insert, (struct store *st, struct store_user *u), (st, u)) \
	STORE_OP(int, user_get, (struct store *st, int64_t id, struct store_user *out), (st, id, out)) \
	STORE_OP(int, user_by_handle, (struct store *st, const char *handle, struct store_user *out), (st, handle, out)) \
	STORE_OP(int, user_set_name, (struct store *st, int64_t id, const char *name), (st, id, name)) \
	STORE_OP(int, user_set_password, (struct store *st, int64_t id, const char *hash), (st, id, hash)) \
	STORE_OP(int, user_set_admin, (struct store *st, int64_t id, bool admin), (st, id, admin)) \
	STORE_OP(int, admin_count, (struct store *st, int *n), (st, n)) \
	STORE_OP(int, user_erase, (struct store *st, int64_t id, int64_t now), (st, id, now)) \
	STORE_OP(int, session_insert, (struct store *st, int64_t user_id, const unsigned char digest[AUTH_DIGEST_LEN], int64_t now, int64_t expires_at, int64_t *id), (st, user_id, digest, now, expires_at, id)) \
	STORE_OP(int, session_by_digest, (struct store *st, const unsigned char digest[AUTH_DIGEST_LEN], struct store_session *out), (st, digest, out)) \
	STORE_OP(int, session_get, (struct store *st, int64_t id, struct store_session *out), (st, id, out)) \
	STORE_OP(int, session_touch, (struct store *st, int64_t id, int64_t now, int64_t expires_at), (st, id, now, expires_at)) \
	STORE_OP(int, session_delete, (struct store *st, int64_t id), (st, id)) \
	STORE_OP(int, session_delete_user, (struct store *st, int64_t user_id, int64_t except_id), (st, user_id, except_id)) \
	STORE_OP(int, session_list, (struct store *st, int64_t user_id, struct store_session **out, size_t *n), (st, user_id, out, n)) \
	STORE_OP(int, hive_insert, (struct store *st, struct store_hive *h), (st, h)) \
	STORE_OP(int, hive_get, (struct store *st, int64_t id, struct store_hive *out), (st, id, out)) \
	STORE_OP(int, hive_archived, (struct store *st, int64_t id, int64_t *archived_at), (st, id, archived_at)) \
	STORE_OP(int, hive_by_name, (struct store *st, const char *name, struct store_hive *out), (st, name, out)) \
	STORE_OP(int, hive_update, (struct store *st, const struct store_hive *h), (st, h)) \
	STORE_OP(int, hive_archive, (struct store *st, int64_t id, int64_t now), (st, id, now)) \
	STORE_OP(int, hive_list, (struct store *st, int64_t user_id, struct store_hive **out, size_t *n), (st, user_id, out, n)) \
	STORE_OP(int, member_role, (struct store *st, int64_t hive_id, int64_t user_id, enum role *out), (st, hive_id, user_id, out)) \
	STORE_OP(int, member_insert, (struct store *st, int64_t hive_id, int64_t user_id, enum role role, int64_t now), (st, hive_id, user_id, role, now)) \
	STORE_OP(int, member_delete, (struct store *st, int64_t hive_id, int64_t user_id), (st, hive_id, user_id)) \
	STORE_OP(int, member_set_role, (struct store *st, int64_t hive_id, int64_t user_id, enum role role), (st, hive_id, user_id, role)) \
	STORE_OP(int, member_list, (struct store *st, int64_t hive_id, struct store_member **out, size_t *n), (st, hive_id, out, n)) \
	STORE_OP(int, mentor_load, (struct store *st, int64_t user_id, int *learners), (st, user_id, learners)) \
	STORE_OP(int, hive_mentors, (struct store *st, int64_t hive_id, int64_t **ids, size_t *n), (st, hive_id, ids, n)) \
	STORE_OP(int, users_share_hive, (struct store *st, int64_t a, int64_t b, bool *out), (st, a, b, out)) \
	STORE_OP(int, invite_insert, (struct store *st, struct store_invite *inv, const unsigned char digest[AUTH_DIGEST_LEN]), (st, inv, digest)) \
	STORE_OP(int, invite_by_digest, (struct store *st, const unsigned char digest[AUTH_DIGEST_LEN], struct store_invite *out), (st, digest, out)) \
	STORE_OP(int, invite_get, (struct store *st, int64_t id, struct store_invite *out), (st, id, out)) \
	STORE_OP(int, invite_use, (struct store *st, int64_t id), (st, id)) \
	STORE_OP(int, invite_revoke, (struct store *st, int64_t id, int64_t now), (st, id, now)) \
	STORE_OP(int, invite_list, (struct store *st, int64_t hive_id, struct store_invite **out, size_t *n), (st, hive_id, out, n)) \
	STORE_OP(int, channel_insert, (struct store *st, struct store_channel *c), (st, c)) \
	STORE_OP(int, channel_get, (struct store *st, int64_t id, struct store_channel *out), (st, id, out)) \
	STORE_OP(int, channel_list, (struct store *st, int64_t hive_id, struct store_channel **out, size_t *n), (st, hive_id, out, n)) \
	STORE_OP(int, channel_update, (struct store *st, const struct store_channel *c), (st, c)) \
	STORE_OP(int, channel_archive, (struct store *st, int64_t id, int64_t now), (st, id, now)) \
	STORE_OP(int, channel_next_position, (struct store *st, int64_t hive_id, int *pos), (st, hive_id, pos)) \
	STORE_OP(int, direct_add_member, (struct store *st, int64_t channel_id, int64_t user_id), (st, channel_id, user_id)) \
	STORE_OP(int, direct_members, (struct store *st, int64_t channel_id, int64_t **ids, size_t *n), (st, channel_id, ids, n)) \
	STORE_OP(int, direct_find, (struct store *st, const int64_t *user_ids, size_t n, int64_t *channel_id), (st, user_ids, n, channel_id)) \
	STORE_OP(int, direct_list, (struct store *st, int64_t user_id, struct store_channel **out, size_t *n), (st, user_id, out, n)) \
	STORE_OP(int, msg_insert, (struct store *st, struct store_message *m), (st, m)) \
	STORE_OP(int, msg_get, (struct store *st, int64_t id, struct store_message *out), (st, id, out)) \
	STORE_OP(int, msg_by_nonce, (struct store *st, int64_t author_id, const char *nonce, struct store_message *out), (st, author_id, nonce, out)) \
	STORE_OP(int, msg_edit, (struct store *st, int64_t id, const char *body, int64_t now), (st, id, body, now)) \
	STORE_OP(int, msg_tombstone, (struct store *st, int64_t id, int64_t now), (st, id, now)) \
	STORE_OP(int, msg_thread_bump, (struct store *st, int64_t root_id, int64_t now), (st, root_id, now)) \
	STORE_OP(int, msg_page, (struct store *st, int64_t channel_id, int64_t thread_id, int64_t before_id, int64_t after_id, int limit, struct store_message **out, size_t *n), (st, channel_id, thread_id, before_id, after_id, limit, out, n)) \
	STORE_OP(int, msg_by_author, (struct store *st, int64_t author_id, struct store_message **out, size_t *n), (st, author_id, out, n)) \
	STORE_OP(int, reaction_add, (struct store *st, int64_t message_id, int64_t user_id, const char *emoji, int64_t now), (st, message_id, user_id, emoji, now)) \
	STORE_OP(int, reaction_remove, (struct store *st, int64_t message_id, int64_t user_id, const char *emoji), (st, message_id, user_id, emoji)) \
	STORE_OP(int, reaction_counts, (struct store *st, int64_t message_id, int64_t user_id, struct store_reaction_count **out, size_t *n), (st, message_id, user_id, out, n)) \
	STORE_OP(int, read_set, (struct store *st, int64_t user_id, int64_t channel_id, int64_t message_id), (st, user_id, channel_id, message_id)) \
	STORE_OP(int, read_get, (struct store *st, int64_t user_id, int64_t channel_id, int64_t *message_id), (st, user_id, channel_id, message_id)) \
	STORE_OP(int, thread_read_set, (struct store *st, int64_t user_id, int64_t thread_id, int64_t message_id), (st, user_id, thread_id, message_id)) \
	STORE_OP(int, thread_read_get, (struct store *st, int64_t user_id, int64_t thread_id, int64_t *message_id), (st, user_id, thread_id, message_id)) \
	STORE_OP(int, unread_count, (struct store *st, int64_t user_id, int64_t channel_id, int *n), (st, user_id, channel_id, n)) \
	STORE_OP(int, mention_insert, (struct store *st, int64_t user_id, int64_t message_id, int64_t channel_id), (st, user_id, message_id, channel_id)) \
	STORE_OP(int, unread_mentions, (struct store *st, int64_t user_id, int64_t channel_id, int *n), (st, user_id, channel_id, n)) \
	STORE_OP(int, event_insert, (struct store *st, int64_t hive_id, int64_t channel_id, const char *kind, const char *data, int64_t now, int64_t *pos), (st, hive_id, channel_id, kind, data, now, pos)) \
	STORE_OP(int, events_since, (struct store *st, int64_t user_id, int64_t since, int limit, struct store_event **out, size_t *n), (st, user_id, since, limit, out, n)) \
	STORE_OP(int, event_last, (struct store *st, int64_t *pos), (st, pos)) \
	STORE_OP(int, presence_put, (struct store *st, const char *node, int64_t user_id, enum store_presence status), (st, node, user_id, status)) \
	STORE_OP(int, presence_of, (struct store *st, int64_t user_id, enum store_presence *status), (st, user_id, status)) \
	STORE_OP(int, presence_renew, (struct store *st, const char *node), (st, node)) \
	STORE_OP(int, presence_expire, (struct store *st, int64_t **users, size_t *n), (st, users, n)) \
	STORE_OP(int, lease_take, (struct store *st, const char *name, const char *holder, int64_t ttl_ms, bool *held), (st, name, holder, ttl_ms, held)) \
	STORE_OP(int, events_after, (struct store *st, int64_t since, int limit, struct store_event **out, size_t *n), (st, since, limit, out, n)) \
	STORE_OP(int, event_erase_text, (struct store *st, int64_t message_id, int64_t author_id), (st, message_id, author_id)) \
	STORE_OP(int, event_first, (struct store *st, int64_t *pos), (st, pos)) \
	STORE_OP(int, event_prune, (struct store *st, int64_t before_ms, int *deleted), (st, before_ms, deleted)) \
	STORE_OP(int, search, (struct store *st, int64_t user_id, const char *words, int limit, struct store_hit **out, size_t *n), (st, user_id, words, limit, out, n)) \
	STORE_OP(int, waitlist_insert, (struct store *st, int64_t hive_id, int64_t user_id, int64_t now), (st, hive_id, user_id, now)) \
	STORE_OP(int, waitlist_delete, (struct store *st, int64_t hive_id, int64_t user_id), (st, hive_id, user_id)) \
	STORE_OP(int, waitlist_list, (struct store *st, int64_t hive_id, struct store_member **out, size_t *n), (st, hive_id, out, n)) \
	STORE_OP(int, waitlist_of_user, (struct store *st, int64_t user_id, int64_t **ids, size_t *n), (st, user_id, ids, n)) \
	STORE_OP(int, mute_set, (struct store *st, const struct store_mute *m), (st, m)) \
	STORE_OP(int, mute_get, (struct store *st, int64_t hive_id, int64_t user_id, struct store_mute *out), (st, hive_id, user_id, out)) \
	STORE_OP(int, mute_delete, (struct store *st, int64_t hive_id, int64_t user_id), (st, hive_id, user_id)) \
	STORE_OP(int, mute_due, (struct store *st, int64_t now, int limit, struct store_mute **out, size_t *n), (st, now, limit, out, n)) \
	STORE_OP(int, mute_list, (struct store *st, int64_t hive_id, int64_t now, struct store_mute **out, size_t *n), (st, hive_id, now, out, n)) \
	STORE_OP(int, ban_insert, (struct store *st, const struct store_ban *b), (st, b)) \
	STORE_OP(int, ban_delete, (struct store *st, int64_t hive_id, int64_t user_id), (st, hive_id, user_id)) \
	STORE_OP(int, ban_exists, (struct store *st, int64_t hive_id, int64_t user_id, bool *out), (st, hive_id, user_id, out)) \
	STORE_OP(int, ban_list, (struct store *st, int64_t hive_id, struct store_ban **out, size_t *n), (st, hive_id, out, n)) \
	STORE_OP(int, channel_set_moderation, (struct store *st, int64_t channel_id, int slow_mode_s, bool locked), (st, channel_id, slow_mode_s, locked)) \
	STORE_OP(int, msg_last_in_channel, (struct store *st, int64_t channel_id, int64_t author_id, int64_t *created_at), (st, channel_id, author_id, created_at)) \
	STORE_OP(int, msg_count_in_hive, (struct store *st, int64_t hive_id, int64_t author_id, int64_t since_ms, int *n), (st, hive_id, author_id, since_ms, n)) \
	STORE_OP(int, member_since, (struct store *st, int64_t hive_id, int64_t user_id, int64_t *since), (st, hive_id, user_id, since)) \
	STORE_OP(int, removal_insert, (struct store *st, const struct store_removal *r), (st, r)) \
	STORE_OP(int, removal_get, (struct store *st, int64_t message_id, struct store_removal *out), (st, message_id, out)) \
	STORE_OP(int, pin_insert, (struct store *st, const struct store_pin *p), (st, p)) \
	STORE_OP(int, pin_delete, (struct store *st, int64_t message_id), (st, message_id)) \
	STORE_OP(int, pin_list, (struct store *st, int64_t channel_id, struct store_pin **out, size_t *n), (st, channel_id, out, n)) \
	STORE_OP(int, report_insert, (struct store *st, struct store_report *r), (st, r)) \
	STORE_OP(int, report_get, (struct store *st, int64_t id, struct store_report *out), (st, id, out)) \
	STORE_OP(int, report_find, (struct store *st, int64_t message_id, int64_t reporter_id, struct store_report *out), (st, message_id, reporter_id, out)) \
	STORE_OP(int, report_list, (struct store *st, int64_t hive_id, const char *status, int64_t reporter_id, struct store_report **out, size_t *n), (st, hive_id, status, reporter_id, out, n)) \
	STORE_OP(int, report_resolve, (struct store *st, int64_t id, const char *status, int64_t by_id, const char *note, int64_t now), (st, id, status, by_id, note, now)) \
	STORE_OP(int, guard_get, (struct store *st, int64_t hive_id, struct store_guard *out), (st, hive_id, out)) \
	STORE_OP(int, guard_set, (struct store *st, int64_t hive_id, const struct store_guard *g), (st, hive_id, g)) \
	STORE_OP(int, retention_get, (struct store *st, int64_t hive_id, int *days), (st, hive_id, days)) \
	STORE_OP(int, retention_set, (struct store *st, int64_t hive_id, int days), (st, hive_id, days)) \
	STORE_OP(int, retention_hives, (struct store *st, int64_t **pairs, size_t *n), (st, pairs, n)) \
	STORE_OP(int, purge_batch, (struct store *st, int64_t hive_id, int64_t before_ms, int limit, int *deleted), (st, hive_id, before_ms, limit, deleted)) \
	STORE_OP(int, audit_insert, (struct store *st, struct store_audit *a), (st, a)) \
	STORE_OP(int, audit_list, (struct store *st, const struct store_audit_filter *f, struct store_audit **out, size_t *n), (st, f, out, n)) \
	STORE_OP(int, hive_stats, (struct store *st, int64_t hive_id, int64_t from, int64_t to, int64_t now, struct store_hive_stats *out), (st, hive_id, from, to, now, out)) \
	STORE_OP(int, hive_days, (struct store *st, int64_t hive_id, int64_t from, int64_t to, struct store_day_count **out, size_t *n), (st, hive_id, from, to, out, n)) \
	STORE_OP(int, mentor_stats, (struct store *st, int64_t hive_id, int64_t from, int64_t to, struct store_mentor_stats **out, size_t *n), (st, hive_id, from, to, out, n)) \
	STORE_OP(int, resolve_times, (struct store *st, int64_t hive_id, int64_t by_id, int64_t from, int64_t to, int64_t **out, size_t *n), (st, hive_id, by_id, from, to, out, n)) \
	STORE_OP(int, meetup_insert, (struct store *st, struct store_meetup *m), (st, m)) \
	STORE_OP(int, meetup_get, (struct store *st, int64_t id, struct store_meetup *out), (st, id, out)) \
	STORE_OP(int, meetup_upcoming, (struct store *st, int64_t hive_id, struct store_meetup **out, size_t *n), (st, hive_id, out, n)) \
	STORE_OP(int, meetup_remind_due, (struct store *st, int64_t now, int64_t ahead_ms, int bit, int limit, struct store_meetup **out, size_t *n), (st, now, ahead_ms, bit, limit, out, n)) \
	STORE_OP(int, meetup_set_state, (struct store *st, int64_t id, const char *state, int64_t ended_at), (st, id, state, ended_at)) \
	STORE_OP(int, meetup_set_reminded, (struct store *st, int64_t id, int reminded), (st, id, reminded)) \
	STORE_OP(int, rsvp_set, (struct store *st, int64_t meetup_id, int64_t user_id, const char *answer, int64_t now), (st, meetup_id, user_id, answer, now)) \
	STORE_OP(int, rsvp_get, (struct store *st, int64_t meetup_id, int64_t user_id, char *answer, size_t size), (st, meetup_id, user_id, answer, size)) \
	STORE_OP(int, rsvp_users, (struct store *st, int64_t meetup_id, const char *answer, int64_t **ids, size_t *n), (st, meetup_id, answer, ids, n)) \
	STORE_OP(int, script_insert, (struct store *st, struct store_script *s), (st, s)) \
	STORE_OP(int, script_update, (struct store *st, const struct store_script *s), (st, s)) \
	STORE_OP(int, script_get, (struct store *st, int64_t id, struct store_script *out), (st, id, out)) \
	STORE_OP(int, script_list, (struct store *st, int64_t hive_id, struct store_script **out, size_t *n), (st, hive_id, out, n)) \
	STORE_OP(int, script_delete, (struct store *st, int64_t id), (st, id)) \
	STORE_OP(int, meetup_due_start, (struct store *st, int64_t now, int limit, struct store_meetup **out, size_t *n), (st, now, limit, out, n)) \
	STORE_OP(int, meetup_by_channel, (struct store *st, int64_t channel_id, struct store_meetup *out), (st, channel_id, out)) \
	STORE_OP(int, meetup_live, (struct store *st, struct store_meetup **out, size_t *n), (st, out, n)) \
	STORE_OP(int, meetup_save_run, (struct store *st, const struct store_meetup *m), (st, m)) \
	STORE_OP(int, part_join, (struct store *st, int64_t meetup_id, int64_t user_id, int64_t now), (st, meetup_id, user_id, now)) \
	STORE_OP(int, part_leave, (struct store *st, int64_t meetup_id, int64_t user_id, int64_t now), (st, meetup_id, user_id, now)) \
	STORE_OP(int, part_present, (struct store *st, int64_t meetup_id, int64_t **ids, size_t *n), (st, meetup_id, ids, n)) \
	STORE_OP(int, turn_insert, (struct store *st, int64_t meetup_id, int step, int position, int64_t user_id), (st, meetup_id, step, position, user_id)) \
	STORE_OP(int, turn_list, (struct store *st, int64_t meetup_id, int step, struct store_turn **out, size_t *n), (st, meetup_id, step, out, n)) \
	STORE_OP(int, turn_done, (struct store *st, int64_t meetup_id, int step, int64_t user_id), (st, meetup_id, step, user_id)) \
	STORE_OP(int, turn_delete, (struct store *st, int64_t meetup_id, int step, int64_t user_id), (st, meetup_id, step, user_id)) \
	STORE_OP(int, group_insert, (struct store *st, int64_t meetup_id, int step, const struct store_group *g, int64_t now), (st, meetup_id, step, g, now)) \
	STORE_OP(int, group_list, (struct store *st, int64_t meetup_id, int step, struct store_group **out, size_t *n), (st, meetup_id, step, out, n)) \
	STORE_OP(int, group_recent, (struct store *st, int64_t since, int64_t **pairs, size_t *n), (st, since, pairs, n)) \
	STORE_OP(int, answer_set, (struct store *st, int64_t meetup_id, int step, int64_t user_id, const char *choices, int64_t now), (st, meetup_id, step, user_id, choices, now)) \
	STORE_OP(int, answer_list, (struct store *st, int64_t meetup_id, int step, char (**out)[STORE_CHOICES_BYTES], size_t *n), (st, meetup_id, step, out, n)) \
	STORE_OP(int, feedback_set, (struct store *st, int64_t meetup_id, int64_t user_id, int nps, const char *comment, int64_t now), (st, meetup_id, user_id, nps, comment, now)) \
	STORE_OP(int, feedback_stats, (struct store *st, int64_t meetup_id, struct store_nps *out), (st, meetup_id, out)) \
	STORE_OP(int, meetup_stats, (struct store *st, int64_t hive_id, int64_t from, int64_t to, struct store_meetup_stats *out), (st, hive_id, from, to, out)) \
	STORE_OP(int, mentor_meetup_stats, (struct store *st, int64_t user_id, int64_t hive_id, int64_t from, int64_t to, struct store_meetup_stats *out), (st, user_id, hive_id, from, to, out)) \
	STORE_OP(int, meetup_past, (struct store *st, int64_t hive_id, int64_t before, int limit, struct store_meetup **out, size_t *n), (st, hive_id, before, limit, out, n)) \
	STORE_OP(int, part_list, (struct store *st, int64_t meetup_id, struct store_part **out, size_t *n), (st, meetup_id, out, n)) \
	STORE_OP(int, feedback_list, (struct store *st, int64_t meetup_id, struct store_feedback **out, size_t *n), (st, meetup_id, out, n)) \
	STORE_OP(int, ics_set, (struct store *st, int64_t user_id, const unsigned char digest[AUTH_DIGEST_LEN], int64_t now), (st, user_id, digest, now)) \
	STORE_OP(int, ics_get, (struct store *st, int64_t user_id, int64_t *created_at), (st, user_id, created_at)) \
	STORE_OP(int, ics_user, (struct store *st, const unsigned char digest[AUTH_DIGEST_LEN], int64_t *user_id), (st, digest, user_id)) \
	STORE_OP(int, ics_meetups, (struct store *st, int64_t user_id, int64_t since, int limit, struct store_meetup **out, size_t *n), (st, user_id, since, limit, out, n)) \
	STORE_OP(int, sched_insert, (struct store *st, struct store_sched *x), (st, x)) \
	STORE_OP(int, sched_get, (struct store *st, int64_t id, struct store_sched *out), (st, id, out)) \
	STORE_OP(int, sched_list, (struct store *st, int64_t author_id, int limit, struct store_sched **out, size_t *n), (st, author_id, limit, out, n)) \
	STORE_OP(int, sched_update, (struct store *st, const struct store_sched *x), (st, x)) \
	STORE_OP(int, sched_delete, (struct store *st, int64_t id), (st, id)) \
	STORE_OP(int, sched_due, (struct store *st, int64_t now, int limit, struct store_sched **out, size_t *n), (st, now, limit, out, n)) \
	STORE_OP(int, reminder_insert, (struct store *st, struct store_reminder *x), (st, x)) \
	STORE_OP(int, reminder_get, (struct store *st, int64_t id, struct store_reminder *out), (st, id, out)) \
	STORE_OP(int, reminder_list, (struct store *st, int64_t user_id, int limit, struct store_reminder **out, size_t *n), (st, user_id, limit, out, n)) \
	STORE_OP(int, reminder_delete, (struct store *st, int64_t id), (st, id)) \
	STORE_OP(int, reminder_due, (struct store *st, int64_t now, int limit, struct store_reminder **out, size_t *n), (st, now, limit, out, n)) \
	STORE_OP(int, event_insert_user, (struct store *st, int64_t user_id, const char *kind, const char *data, int64_t now, int64_t *pos), (st, user_id, kind, data, now, pos)) \
	STORE_OP(int, pairing_get, (struct store *st, int64_t hive_id, struct store_pairing *out), (st, hive_id, out)) \
	STORE_OP(int, pairing_set, (struct store *st, const struct store_pairing *p), (st, p)) \
	STORE_OP(int, pairing_due, (struct store *st, int64_t now, int limit, struct store_pairing **out, size_t *n), (st, now, limit, out, n)) \
	STORE_OP(int, pairing_round_insert, (struct store *st, struct store_pairing_round *r), (st, r)) \
	STORE_OP(int, pairing_member_insert, (struct store *st, int64_t round_id, const struct store_pairing_member *m), (st, round_id, m)) \
	STORE_OP(int, pairing_rounds, (struct store *st, int64_t hive_id, int limit, struct store_pairing_round **out, size_t *n), (st, hive_id, limit, out, n)) \
	STORE_OP(int, pairing_members, (struct store *st, int64_t round_id, struct store_pairing_member **out, size_t *n), (st, round_id, out, n)) \
	STORE_OP(int, pairing_recent, (struct store *st, int64_t hive_id, int rounds, struct store_pairing_meet **out, size_t *n), (st, hive_id, rounds, out, n))

struct store_ops {
	const char *name;	/* "sqlite", "postgres" */
	void (*close)(struct store *st);	/* never given NULL */
	bool (*dirty)(struct store *st);	/* never given NULL */
#define STORE_OP_FIELD(ret, name, params, args) ret (*name) params;
#define STORE_OP_VOID_FIELD(name, params, args) void (*name) params;
	STORE_OPS(STORE_OP_FIELD, STORE_OP_VOID_FIELD)
#undef STORE_OP_FIELD
#undef STORE_OP_VOID_FIELD
};

/*
 * Declares a backend's functions, prefix_name for each operation, static
 * (at the top of the backend's file) or extern (for a backend in several
 * files), and fills its table (at the end).
 * The backend defines STORE_PREFIX(name) first.
 */
#define STORE_OP_DECLARE(ret, name, params, args) static ret STORE_PREFIX(name) params;
#define STORE_OP_VOID_DECLARE(name, params, args) static void STORE_PREFIX(name) params;
#define STORE_OP_EXTERN(ret, name, params, args) ret STORE_PREFIX(name) params;
#define STORE_OP_VOID_EXTERN(name, params, args) void STORE_PREFIX(name) params;
#define STORE_OP_ENTRY(ret, name, params, args) .name = STORE_PREFIX(name),
#define STORE_OP_VOID_ENTRY(name, params, args) .name = STORE_PREFIX(name),

/* The backends, for store.c. */
extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops;

int sqlite_store_open(const char *path, const struct store_migration *mig,
		      int nmig, struct store **out, char *err, size_t errlen);
int pg_store_open(const char *url, const struct store_migration *mig,
		  int nmig, struct store **out, char *err, size_t errlen);

/*
 * The next word of what a person typed for a search (*q moves past it):
 * its start and *len, or NULL when no word is left.  Words are split at
 * spaces; each backend makes its own query of them.
 */
const char *store_next_word(const char **q, size_t *len);

/*
 * Whether a database at schema version `have` is newer than this binary,
 * which knows up to `known`: then err says so, for both backends alike.
 */
bool store_schema_newer(int have, int known, char *err, size_t errlen);

/* The kind named s ("chat", "announce", "direct"); chat for others. */
enum channel_kind store_kind_parse(const char *s);


#endif
