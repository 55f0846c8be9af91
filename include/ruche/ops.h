/*
 * ops.h - the handlers of the protocol's operations.
 *
 * dispatch.c lists them in its table with their parameters and access;
 * each handler is a thin layer from JSON parameters to a domain call
 * (accounts.h, hives.h) and from its result back to JSON.
 */
#ifndef RUCHE_OPS_H
#define RUCHE_OPS_H

#include "ruche/accounts.h"
#include "ruche/dispatch.h"

struct conn;

/* The actor behind a connection. */
struct actor conn_actor(const struct conn *c);

/* Authenticates a connection with a session token (cookie or "auth"). */
int ops_authenticate(struct conn *c, const char *token);

op_handler op_auth, op_account_me, op_account_set_name,
	op_account_set_password, op_account_delete, op_account_export;
op_handler op_hive_create, op_hive_update, op_hive_archive, op_hive_list,
	op_hive_members, op_hive_add_member, op_hive_remove_member,
	op_hive_leave, op_hive_waitlist, op_hive_admit, op_hive_set_role,
	op_supervision_report;
op_handler op_invite_create, op_invite_list, op_invite_revoke,
	op_invite_accept;
op_handler op_sync, op_channel_list, op_channel_create, op_channel_update,
	op_channel_archive, op_dm_open, op_dm_list, op_msg_send, op_msg_edit,
	op_msg_delete, op_msg_react, op_msg_history, op_msg_search,
	op_read_mark, op_typing, op_presence_list, op_presence_set;
op_handler op_mod_delete, op_mod_mute, op_mod_unmute, op_mod_mutes,
	op_mod_kick, op_mod_ban, op_mod_unban, op_mod_bans, op_mod_slow_mode,
	op_mod_lock, op_pin_add, op_pin_remove, op_pin_list, op_report_create,
	op_report_list, op_report_resolve, op_guard_get, op_guard_set,
	op_hive_set_retention, op_audit_list;
op_handler op_meetup_schedule, op_meetup_list, op_meetup_get,
	op_meetup_cancel, op_meetup_rsvp, op_script_list, op_script_save,
	op_script_delete, op_template_list, op_meetup_start, op_meetup_pause,
	op_meetup_resume, op_meetup_skip, op_meetup_extend, op_meetup_end,
	op_meetup_join, op_meetup_leave, op_meetup_answer, op_meetup_feedback,
	op_meetup_results;
op_handler op_ics_url, op_ics_revoke, op_schedule_create, op_schedule_list,
	op_schedule_update, op_schedule_cancel, op_remind_create,
	op_remind_list, op_remind_cancel;
op_handler op_pairing_get, op_pairing_set, op_pairing_run,
	op_pairing_history;
/* The test clock and storage faults (ruche serve --fake-clock only). */
op_handler op_clock_advance;
op_handler op_storage_fault;

#endif
