/* dispatch.c - the table of operations and the path from request to reply. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruche/conn.h"
#include "ruche/dispatch.h"
#include "ruche/err.h"
#include "ruche/log.h"
#include "ruche/ops.h"
#include "ruche/server.h"
#include "ruche/utf8.h"

/* hello: who the server is and what it accepts. */
static int op_hello(struct conn *c, json_t *params, json_t **data,
		    struct proto_error *err)
{
	const struct config *cfg = c->srv->cfg;

	/* The request rate too, so that a client paces itself rather than
	 * be refused (docs/limits.md). */
	*data = json_pack("{s:s, s:s, s:i, s:b, s:{s:I, s:i, s:i}}",
			  "server", "ruche",
			  "version", RUCHE_VERSION,
			  "protocol", PROTO_VERSION,
			  "authenticated", c->user_id != 0,
			  "limits",
			  "max_message_bytes", (json_int_t)cfg->max_message_bytes,
			  "rate_per_conn", cfg->rate_per_conn,
			  "rate_burst", cfg->rate_burst);
	return *data ? 0 : RUCHE_ENOMEM;
}

/* ping: a round trip, with the server's clock. */
static int op_ping(struct conn *c, json_t *params, json_t **data,
		   struct proto_error *err)
{
	*data = json_pack("{s:I}", "time",
			  (json_int_t)clock_wall_ms(c->srv->clock));
	return *data ? 0 : RUCHE_ENOMEM;
}

/* Parameters, shared where operations take the same ones. */
#define ID_RANGE 1, (1LL << 53)		/* ids fit a JavaScript number */
#define HIVE_ID { "hive_id", PARAM_INT, true, ID_RANGE }

static const struct param_spec no_params[] = { { NULL } };
static const struct param_spec hello_params[] = {
	{ "client", PARAM_STRING, false, 0, 100 },
	{ NULL },
};
static const struct param_spec auth_params[] = {
	{ "token", PARAM_STRING, true, 1, 100 },
	{ NULL },
};
static const struct param_spec set_name_params[] = {
	{ "display_name", PARAM_STRING, true, 1, 200 },
	{ NULL },
};
static const struct param_spec set_password_params[] = {
	{ "old_password", PARAM_STRING, true, 1, 1024 },
	{ "new_password", PARAM_STRING, true, 1, 1024 },
	{ NULL },
};
static const struct param_spec password_params[] = {
	{ "password", PARAM_STRING, true, 1, 1024 },
	{ NULL },
};
static const struct param_spec hive_create_params[] = {
	{ "name", PARAM_STRING, true, 1, 200 },
	{ "description", PARAM_STRING, false, 0, 500 },
	{ "capacity", PARAM_INT, false, 1, 1000 },
	{ NULL },
};
static const struct param_spec hive_update_params[] = {
	HIVE_ID,
	{ "name", PARAM_STRING, false, 1, 200 },
	{ "description", PARAM_STRING, false, 0, 500 },
	{ "capacity", PARAM_INT, false, 1, 1000 },
	{ NULL },
};
static const struct param_spec hive_params[] = { HIVE_ID, { NULL } };
static const struct param_spec member_params[] = {
	HIVE_ID,
	{ "user_id", PARAM_INT, true, ID_RANGE },
	{ NULL },
};
static const struct param_spec add_member_params[] = {
	HIVE_ID,
	{ "user_id", PARAM_INT, false, ID_RANGE },
	{ "handle", PARAM_STRING, false, 1, 64 },
	{ "role", PARAM_STRING, true, 1, 20 },
	{ NULL },
};
static const struct param_spec set_role_params[] = {
	HIVE_ID,
	{ "user_id", PARAM_INT, true, ID_RANGE },
	{ "role", PARAM_STRING, true, 1, 20 },
	{ NULL },
};
static const struct param_spec supervision_params[] = {
	{ "hive_id", PARAM_INT, false, ID_RANGE },
	{ "from", PARAM_INT, true, 0, (1LL << 53) },
	{ "to", PARAM_INT, true, 1, (1LL << 53) },
	{ NULL },
};
static const struct param_spec invite_create_params[] = {
	HIVE_ID,
	{ "role", PARAM_STRING, true, 1, 20 },
	{ "max_uses", PARAM_INT, false, 1, 1000 },
	{ "expires_in_s", PARAM_INT, false, 60, 90 * 86400 },
	{ NULL },
};
static const struct param_spec invite_list_params[] = {
	{ "hive_id", PARAM_INT, false, ID_RANGE },
	{ NULL },
};
static const struct param_spec invite_id_params[] = {
	{ "invite_id", PARAM_INT, true, ID_RANGE },
	{ NULL },
};
static const struct param_spec invite_accept_params[] = {
	{ "code", PARAM_STRING, true, 1, 100 },
	{ "waitlist", PARAM_BOOL, false, 0, 0 },
	{ NULL },
};

#define CHANNEL_ID { "channel_id", PARAM_INT, true, ID_RANGE }
#define MESSAGE_ID { "message_id", PARAM_INT, true, ID_RANGE }

static const struct param_spec sync_params[] = {
	{ "since", PARAM_INT, false, 0, (1LL << 53) },
	{ NULL },
};
static const struct param_spec channel_create_params[] = {
	HIVE_ID,
	{ "name", PARAM_STRING, true, 1, 32 },
	{ "kind", PARAM_STRING, false, 1, 20 },
	{ "topic", PARAM_STRING, false, 0, 250 },
	{ NULL },
};
static const struct param_spec channel_update_params[] = {
	CHANNEL_ID,
	{ "name", PARAM_STRING, false, 1, 32 },
	{ "topic", PARAM_STRING, false, 0, 250 },
	{ "position", PARAM_INT, false, 0, 10000 },
	{ NULL },
};
static const struct param_spec channel_params[] = { CHANNEL_ID, { NULL } };
static const struct param_spec dm_open_params[] = {
	{ "user_ids", PARAM_ARRAY, true, 1, 7 },
	{ NULL },
};
static const struct param_spec msg_send_params[] = {
	CHANNEL_ID,
	{ "text", PARAM_STRING, true, 0, 100000 },
	{ "reply_to", PARAM_INT, false, ID_RANGE },
	{ "thread_id", PARAM_INT, false, ID_RANGE },
	{ "nonce", PARAM_STRING, false, 1, 64 },
	{ NULL },
};
static const struct param_spec msg_edit_params[] = {
	MESSAGE_ID,
	{ "text", PARAM_STRING, true, 0, 100000 },
	{ NULL },
};
static const struct param_spec message_params[] = { MESSAGE_ID, { NULL } };
static const struct param_spec msg_react_params[] = {
	MESSAGE_ID,
	{ "emoji", PARAM_STRING, true, 1, 16 },
	{ "on", PARAM_BOOL, false, 0, 0 },
	{ NULL },
};
static const struct param_spec msg_history_params[] = {
	CHANNEL_ID,
	{ "thread_id", PARAM_INT, false, ID_RANGE },
	{ "before", PARAM_INT, false, ID_RANGE },
	{ "after", PARAM_INT, false, 0, (1LL << 53) },
	{ "around", PARAM_INT, false, ID_RANGE },
	{ "limit", PARAM_INT, false, 1, 100 },
	{ NULL },
};
static const struct param_spec msg_search_params[] = {
	{ "query", PARAM_STRING, true, 1, 200 },
	{ "limit", PARAM_INT, false, 1, 100 },
	{ NULL },
};
static const struct param_spec read_mark_params[] = {
	CHANNEL_ID, MESSAGE_ID, { NULL },
};

static const struct param_spec presence_set_params[] = {
	{ "status", PARAM_STRING, true, 1, 10 },
	{ NULL },
};

/* Moderation (ops_mod.c). */
#define USER_ID { "user_id", PARAM_INT, true, ID_RANGE }
#define REASON { "reason", PARAM_STRING, false, 0, 500 }

static const struct param_spec mod_delete_params[] = {
	MESSAGE_ID, REASON, { NULL },
};
static const struct param_spec mod_mute_params[] = {
	HIVE_ID, USER_ID,
	{ "seconds", PARAM_INT, true, 1, 30 * 86400 },
	REASON,
	{ NULL },
};
static const struct param_spec mod_member_params[] = {
	HIVE_ID, USER_ID, REASON, { NULL },
};
static const struct param_spec mod_slow_mode_params[] = {
	CHANNEL_ID,
	{ "seconds", PARAM_INT, true, 0, 3600 },
	{ NULL },
};
static const struct param_spec mod_lock_params[] = {
	CHANNEL_ID,
	{ "locked", PARAM_BOOL, true, 0, 0 },
	{ NULL },
};
static const struct param_spec report_create_params[] = {
	MESSAGE_ID,
	{ "reason", PARAM_STRING, true, 1, 500 },
	{ NULL },
};
static const struct param_spec report_list_params[] = {
	HIVE_ID,
	{ "status", PARAM_STRING, false, 1, 10 },
	{ NULL },
};
static const struct param_spec report_resolve_params[] = {
	{ "report_id", PARAM_INT, true, ID_RANGE },
	{ "outcome", PARAM_STRING, true, 1, 10 },
	{ "note", PARAM_STRING, false, 0, 500 },
	{ NULL },
};
static const struct param_spec guard_set_params[] = {
	HIVE_ID,
	{ "blocked_words", PARAM_ARRAY, false, 0, 200 },
	{ "new_member_link_limit", PARAM_INT, false, 0, 50 },
	{ "new_member_days", PARAM_INT, false, 0, 365 },
	{ "flood_messages", PARAM_INT, false, 0, 100 },
	{ "flood_seconds", PARAM_INT, false, 0, 3600 },
	{ "flood_mute_seconds", PARAM_INT, false, 0, 7 * 86400 },
	{ NULL },
};
static const struct param_spec set_retention_params[] = {
	HIVE_ID,
	{ "days", PARAM_INT, true, 0, 3650 },
	{ NULL },
};
static const struct param_spec audit_list_params[] = {
	HIVE_ID,
	{ "action", PARAM_STRING, false, 1, 31 },
	{ "actor_id", PARAM_INT, false, ID_RANGE },
	{ "automatic", PARAM_BOOL, false, 0, 0 },
	{ "target_id", PARAM_INT, false, ID_RANGE },
	{ "since", PARAM_INT, false, 0, (1LL << 53) },
	{ "until", PARAM_INT, false, 0, (1LL << 53) },
	{ "before_id", PARAM_INT, false, ID_RANGE },
	{ "limit", PARAM_INT, false, 1, 500 },
	{ NULL },
};
/* Scheduled messages and reminders (ops_schedule.c). */
#define SCHEDULE_ID { "schedule_id", PARAM_INT, true, ID_RANGE }
static const struct param_spec schedule_create_params[] = {
	CHANNEL_ID,
	{ "text", PARAM_STRING, true, 1, 100000 },
	{ "at", PARAM_INT, true, 1, (1LL << 53) },
	{ "repeat", PARAM_STRING, false, 1, 8 },
	{ NULL },
};
static const struct param_spec schedule_update_params[] = {
	SCHEDULE_ID,
	{ "text", PARAM_STRING, false, 1, 100000 },
	{ "at", PARAM_INT, false, 1, (1LL << 53) },
	{ "repeat", PARAM_STRING, false, 1, 8 },
	{ NULL },
};
static const struct param_spec schedule_params[] = { SCHEDULE_ID, { NULL } };
static const struct param_spec remind_create_params[] = {
	{ "message_id", PARAM_INT, true, ID_RANGE },
	{ "at", PARAM_INT, true, 1, (1LL << 53) },
	{ NULL },
};
static const struct param_spec remind_params[] = {
	{ "reminder_id", PARAM_INT, true, ID_RANGE },
	{ NULL },
};

/* Meetups (ops_meetup.c). */
#define MEETUP_ID { "meetup_id", PARAM_INT, true, ID_RANGE }

static const struct param_spec meetup_schedule_params[] = {
	HIVE_ID,
	{ "script", PARAM_STRING, false, 1, 1 << 20 },
	{ "template_id", PARAM_STRING, false, 1, 64 },
	{ "script_id", PARAM_INT, false, ID_RANGE },
	{ "start_at", PARAM_INT, true, 0, (1LL << 53) },
	{ "recurrence", PARAM_STRING, false, 1, 11 },
	{ "cap", PARAM_INT, false, 0, 1000 },
	{ NULL },
};
static const struct param_spec meetup_params[] = { MEETUP_ID, { NULL } };
static const struct param_spec meetup_list_params[] = {
	HIVE_ID,
	{ "past", PARAM_BOOL, false, 0, 0 },
	{ "before", PARAM_INT, false, 1, (1LL << 53) },
	{ "limit", PARAM_INT, false, 1, 100 },
	{ NULL },
};
static const struct param_spec meetup_rsvp_params[] = {
	MEETUP_ID,
	{ "answer", PARAM_STRING, true, 1, 5 },
	{ NULL },
};
static const struct param_spec meetup_extend_params[] = {
	MEETUP_ID,
	{ "seconds", PARAM_INT, true, 1, 3600 },
	{ NULL },
};
static const struct param_spec meetup_answer_params[] = {
	MEETUP_ID,
	{ "step", PARAM_INT, true, 0, 49 },
	{ "choices", PARAM_ARRAY, true, 1, 10 },
	{ NULL },
};
static const struct param_spec meetup_feedback_params[] = {
	MEETUP_ID,
	{ "nps", PARAM_INT, true, 0, 10 },
	{ "comment", PARAM_STRING, false, 0, 1000 },
	{ NULL },
};
static const struct param_spec script_save_params[] = {
	HIVE_ID,
	{ "script_id", PARAM_INT, false, ID_RANGE },
	{ "script", PARAM_STRING, true, 1, 1 << 20 },
	{ NULL },
};
static const struct param_spec script_delete_params[] = {
	HIVE_ID,
	{ "script_id", PARAM_INT, true, ID_RANGE },
	{ NULL },
};
/* Peer pairing (ops_pairing.c). */
static const struct param_spec pairing_set_params[] = {
	HIVE_ID,
	{ "enabled", PARAM_BOOL, true, 0, 0 },
	{ "every_days", PARAM_INT, false, 7, 14 },
	{ "next_at", PARAM_INT, false, 1, (1LL << 53) },
	{ "prompt", PARAM_STRING, false, 0, 2000 },
	{ NULL },
};
static const struct param_spec pairing_history_params[] = {
	HIVE_ID,
	{ "limit", PARAM_INT, false, 1, 100 },
	{ NULL },
};
static const struct param_spec clock_advance_params[] = {
	{ "ms", PARAM_INT, true, 1, 31LL * 86400 * 1000 },
	{ NULL },
};
static const struct param_spec storage_fault_params[] = {
	{ "fault", PARAM_STRING, true, 1, 16 },	/* full, read_only, none */
	{ NULL },
};

const struct op_def dispatch_ops[] = {
	{ "hello", op_hello, hello_params, OP_PUBLIC },
	{ "ping", op_ping, no_params, OP_PUBLIC },
	{ "auth", op_auth, auth_params, OP_PUBLIC },
	{ "account.me", op_account_me, no_params, OP_USER },
	{ "account.set_name", op_account_set_name, set_name_params, OP_USER },
	{ "account.set_password", op_account_set_password,
	  set_password_params, OP_USER },
	{ "account.delete", op_account_delete, password_params, OP_USER },
	{ "account.export", op_account_export, no_params, OP_USER },
	{ "hive.create", op_hive_create, hive_create_params, OP_ADMIN },
	{ "hive.update", op_hive_update, hive_update_params, OP_ADMIN },
	{ "hive.archive", op_hive_archive, hive_params, OP_ADMIN },
	{ "hive.list", op_hive_list, no_params, OP_USER },
	{ "hive.members", op_hive_members, hive_params, OP_USER },
	{ "hive.add_member", op_hive_add_member, add_member_params, OP_ADMIN },
	{ "hive.remove_member", op_hive_remove_member, member_params,
	  OP_ADMIN },
	{ "hive.set_role", op_hive_set_role, set_role_params, OP_ADMIN },
	{ "hive.leave", op_hive_leave, hive_params, OP_USER },
	{ "supervision.report", op_supervision_report, supervision_params,
	  OP_ADMIN },
	{ "hive.waitlist", op_hive_waitlist, hive_params, OP_ADMIN },
	{ "hive.admit", op_hive_admit, member_params, OP_ADMIN },
	{ "invite.create", op_invite_create, invite_create_params, OP_USER },
	{ "invite.list", op_invite_list, invite_list_params, OP_USER },
	{ "invite.revoke", op_invite_revoke, invite_id_params, OP_USER },
	{ "invite.accept", op_invite_accept, invite_accept_params, OP_USER },
	{ "sync", op_sync, sync_params, OP_USER },
	{ "channel.list", op_channel_list, hive_params, OP_USER },
	{ "channel.create", op_channel_create, channel_create_params, OP_USER },
	{ "channel.update", op_channel_update, channel_update_params, OP_USER },
	{ "channel.archive", op_channel_archive, channel_params, OP_USER },
	{ "dm.open", op_dm_open, dm_open_params, OP_USER },
	{ "dm.list", op_dm_list, no_params, OP_USER },
	{ "msg.send", op_msg_send, msg_send_params, OP_USER },
	{ "msg.edit", op_msg_edit, msg_edit_params, OP_USER },
	{ "msg.delete", op_msg_delete, message_params, OP_USER },
	{ "msg.react", op_msg_react, msg_react_params, OP_USER },
	{ "msg.history", op_msg_history, msg_history_params, OP_USER },
	{ "msg.search", op_msg_search, msg_search_params, OP_USER },
	{ "read.mark", op_read_mark, read_mark_params, OP_USER },
	{ "typing", op_typing, channel_params, OP_USER },
	{ "presence.list", op_presence_list, hive_params, OP_USER },
	{ "presence.set", op_presence_set, presence_set_params, OP_USER },
	{ "mod.delete", op_mod_delete, mod_delete_params, OP_USER },
	{ "mod.mute", op_mod_mute, mod_mute_params, OP_USER },
	{ "mod.unmute", op_mod_unmute, member_params, OP_USER },
	{ "mod.mutes", op_mod_mutes, hive_params, OP_USER },
	{ "mod.kick", op_mod_kick, mod_member_params, OP_USER },
	{ "mod.ban", op_mod_ban, mod_member_params, OP_USER },
	{ "mod.unban", op_mod_unban, member_params, OP_USER },
	{ "mod.bans", op_mod_bans, hive_params, OP_USER },
	{ "mod.slow_mode", op_mod_slow_mode, mod_slow_mode_params, OP_USER },
	{ "mod.lock", op_mod_lock, mod_lock_params, OP_USER },
	{ "pin.add", op_pin_add, message_params, OP_USER },
	{ "pin.remove", op_pin_remove, message_params, OP_USER },
	{ "pin.list", op_pin_list, channel_params, OP_USER },
	{ "report.create", op_report_create, report_create_params, OP_USER },
	{ "report.list", op_report_list, report_list_params, OP_USER },
	{ "report.resolve", op_report_resolve, report_resolve_params,
	  OP_USER },
	{ "guard.get", op_guard_get, hive_params, OP_USER },
	{ "guard.set", op_guard_set, guard_set_params, OP_USER },
	{ "hive.set_retention", op_hive_set_retention, set_retention_params,
	  OP_ADMIN },
	{ "audit.list", op_audit_list, audit_list_params, OP_USER },
	{ "meetup.schedule", op_meetup_schedule, meetup_schedule_params,
	  OP_USER },
	{ "meetup.list", op_meetup_list, meetup_list_params, OP_USER },
	{ "meetup.get", op_meetup_get, meetup_params, OP_USER },
	{ "meetup.cancel", op_meetup_cancel, meetup_params, OP_USER },
	{ "meetup.rsvp", op_meetup_rsvp, meetup_rsvp_params, OP_USER },
	{ "meetup.start", op_meetup_start, meetup_params, OP_USER },
	{ "meetup.pause", op_meetup_pause, meetup_params, OP_USER },
	{ "meetup.resume", op_meetup_resume, meetup_params, OP_USER },
	{ "meetup.skip", op_meetup_skip, meetup_params, OP_USER },
	{ "meetup.extend", op_meetup_extend, meetup_extend_params, OP_USER },
	{ "meetup.end", op_meetup_end, meetup_params, OP_USER },
	{ "meetup.join", op_meetup_join, meetup_params, OP_USER },
	{ "meetup.leave", op_meetup_leave, meetup_params, OP_USER },
	{ "meetup.results", op_meetup_results, meetup_params, OP_USER },
	{ "meetup.answer", op_meetup_answer, meetup_answer_params, OP_USER },
	{ "meetup.feedback", op_meetup_feedback, meetup_feedback_params,
	  OP_USER },
	{ "ics.url", op_ics_url, no_params, OP_USER },
	{ "ics.revoke", op_ics_revoke, no_params, OP_USER },
	{ "schedule.create", op_schedule_create, schedule_create_params,
	  OP_USER },
	{ "schedule.list", op_schedule_list, no_params, OP_USER },
	{ "schedule.update", op_schedule_update, schedule_update_params,
	  OP_USER },
	{ "schedule.cancel", op_schedule_cancel, schedule_params, OP_USER },
	{ "remind.create", op_remind_create, remind_create_params, OP_USER },
	{ "remind.list", op_remind_list, no_params, OP_USER },
	{ "remind.cancel", op_remind_cancel, remind_params, OP_USER },
	{ "script.list", op_script_list, hive_params, OP_USER },
	{ "script.save", op_script_save, script_save_params, OP_USER },
	{ "script.delete", op_script_delete, script_delete_params, OP_USER },
	{ "template.list", op_template_list, no_params, OP_USER },
	{ "pairing.get", op_pairing_get, hive_params, OP_USER },
	{ "pairing.set", op_pairing_set, pairing_set_params, OP_USER },
	{ "pairing.run", op_pairing_run, hive_params, OP_USER },
	{ "pairing.history", op_pairing_history, pairing_history_params,
	  OP_USER },
	{ NULL },
};

/*
 * Operations that exist only on a server started with --fake-clock, for
 * tests; elsewhere they are unknown.  Outside dispatch_ops, so that the
 * protocol's schema and docs (which list dispatch_ops) need not have them.
 */
static const struct op_def test_ops[] = {
	{ "clock.advance", op_clock_advance, clock_advance_params, OP_ADMIN },
	{ "storage.fault", op_storage_fault, storage_fault_params, OP_ADMIN },
	{ NULL },
};

const struct op_def *dispatch_find(const char *op)
{
	for (const struct op_def *d = dispatch_ops; d->name; d++)
		if (strcmp(d->name, op) == 0)
			return d;
	return NULL;
}

static void send_reply(struct conn *c, struct frame *f)
{
	if (!f) {
		log_error("conn %llu: out of memory encoding a reply",
			  (unsigned long long)c->id);
		conn_close(c, CONN_CLOSE_GOING_AWAY, "out of memory");
		return;
	}
	conn_send(c, f);
	frame_unref(f);
}

struct pending {
	uint64_t conn_id;	/* the connection may be gone when answering */
	json_t *id;		/* the request id, owned */
};

struct pending *dispatch_defer(struct conn *c)
{
	struct pending *p = malloc(sizeof(*p));

	if (!p)
		return NULL;
	p->conn_id = c->id;
	p->id = json_incref(c->req_id);
	return p;
}

struct conn *dispatch_pending_conn(struct server *srv, struct pending *p)
{
	return server_conn(srv, p->conn_id);
}

static void reply_rc(struct conn *c, json_t *id, int rc, json_t *data,
		     struct proto_error *err)
{
	struct frame *f;

	if (!rc) {
		struct server *srv = c->srv;

		if (srv->reply_text) {
			json_decref(data);
			f = proto_reply_ok_text(id, srv->reply_text,
						srv->reply_len);
		} else {
			f = proto_reply_ok(id, data);
		}

		/* A success waits for the turn's commit to be acknowledged. */
		if (f) {
			server_reply(c->srv, c, f, id);
			frame_unref(f);
		} else {
			send_reply(c, f);
		}
		return;
	}
	json_decref(data);
	if (!err->code) {
		err->code = ruche_err_code(rc);
		snprintf(err->message, sizeof(err->message), "%s",
			 ruche_strerror(rc));
	}
	metrics_error(&c->srv->metrics, err->code);
	/* Messages quote what the client sent, cut to fit at any byte
	 * (%.40s, a full buffer): a character cut in two would make the
	 * reply impossible to encode, and the client would get none. */
	utf8_tame(err->message);
	f = proto_reply_error(id, err->code, err->message);
	/* Through the outbox too, so replies keep the order of requests. */
	if (f) {
		server_reply(c->srv, c, f, id);
		frame_unref(f);
	} else {
		send_reply(c, f);
	}
}

/*
 * An error reply whose error object also carries the details the domain
 * left in srv->err_detail, e.g. {"code": "muted", "message": ...,
 * "until": ...}.
 */
static void reply_detail(struct conn *c, json_t *id, int rc,
			 struct proto_error *err)
{
	json_t *error = json_deep_copy(c->srv->err_detail), *msg;
	struct frame *f;

	if (!err->code) {
		err->code = ruche_err_code(rc);
		snprintf(err->message, sizeof(err->message), "%s",
			 ruche_strerror(rc));
	}
	metrics_error(&c->srv->metrics, err->code);
	/* As in reply_rc(): without it, a cut character lost the message. */
	utf8_tame(err->message);
	json_object_set_new(error, "code", json_string(err->code));
	json_object_set_new(error, "message", json_string(err->message));
	msg = json_pack("{s:O, s:b, s:o}", "re", id, "ok", 0, "error", error);
	f = msg ? proto_encode(msg) : NULL;
	json_decref(msg);
	if (f) {
		server_reply(c->srv, c, f, id);
		frame_unref(f);
	} else {
		send_reply(c, f);
	}
}

void dispatch_answer(struct server *srv, struct pending *p, int rc,
		     json_t *data)
{
	struct conn *c = server_conn(srv, p->conn_id);
	struct proto_error err = { 0 };

	if (c)
		reply_rc(c, p->id, rc, data, &err);
	else
		json_decref(data);
	json_decref(p->id);
	free(p);
}

/* Checks the caller may run def at all; hive roles are the handler's. */
static int check_access(struct conn *c, const struct op_def *def)
{
	if (def->access == OP_PUBLIC)
		return 0;
	if (!c->user_id)
		return RUCHE_EUNAUTH;
	if (def->access == OP_ADMIN && !c->is_admin)
		return RUCHE_EFORBIDDEN;
	return 0;
}

/*
 * Answers a request over the connection's rate with rate_limited and the
 * wait in retry_after_ms.  It is read only for its id (a frame without
 * one gets "re": null): refusing costs less than running it.
 */
static void refuse_rate(struct conn *c, const char *text, size_t len,
			int64_t retry_ms)
{
	struct proto_error err = { .code = "rate_limited" };
	struct request req = { 0 };
	json_t *id = NULL;

	if (!proto_parse(text, len, &req, &id, &err))
		id = json_incref(req.id);
	err.code = "rate_limited";
	snprintf(err.message, sizeof(err.message),
		 "too many requests: wait before the next one");
	json_decref(c->srv->err_detail);
	c->srv->err_detail = json_pack("{s:I}", "retry_after_ms",
				       (json_int_t)retry_ms);
	reply_detail(c, id ? id : json_null(), RUCHE_ERATE, &err);
	json_decref(c->srv->err_detail);
	c->srv->err_detail = NULL;
	json_decref(id);
	proto_request_release(&req);
}

void dispatch_message(struct conn *c, const char *text, size_t len)
{
	struct proto_error err = { 0 };
	struct request req;
	const struct op_def *def;
	json_t *id = NULL, *data = NULL;
	int64_t retry_ms;
	int rc;

	if (conn_rate_take(c, &retry_ms)) {
		refuse_rate(c, text, len, retry_ms);
		return;
	}
	if (proto_parse(text, len, &req, &id, &err)) {
		metrics_request(&c->srv->metrics, NULL);
		metrics_error(&c->srv->metrics, err.code);
		send_reply(c, proto_reply_error(id, err.code, err.message));
		json_decref(id);
		return;
	}
	def = dispatch_find(req.op);
	for (const struct op_def *t = test_ops;
	     !def && c->srv->fake_clock && t->name; t++)
		if (strcmp(t->name, req.op) == 0)
			def = t;
	metrics_request(&c->srv->metrics, def ? def->name : NULL);
	if (!def) {
		snprintf(err.message, sizeof(err.message),
			 "unknown operation \"%.40s\"", req.op);
		err.code = PROTO_E_UNKNOWN_OP;
		reply_rc(c, req.id, RUCHE_EINVAL, NULL, &err);
		goto out;
	}
	/* Who may call comes before what they sent: before logging in,
	 * every operation but hello, ping and auth is "unauthenticated". */
	rc = check_access(c, def);
	if (!rc && proto_check_params(req.root, def->params, &err)) {
		reply_rc(c, req.id, RUCHE_EINVAL, NULL, &err);
		goto out;
	}
	memset(&err, 0, sizeof(err));
	/* Authenticated requests may write: they join the grouped commit. */
	if (!rc && def->access != OP_PUBLIC)
		rc = server_turn_begin(c->srv);
	if (!rc) {
		json_decref(c->srv->err_detail);
		c->srv->err_detail = NULL;
		c->req_id = req.id;
		rc = def->handler(c, req.root, &data, &err);
		c->req_id = NULL;
	}
	if (rc < 0 && c->srv->err_detail) {
		json_decref(data);
		reply_detail(c, req.id, rc, &err);
	}
	else if (rc != OP_LATER)
		reply_rc(c, req.id, rc, data, &err);
	json_decref(c->srv->err_detail);
	c->srv->err_detail = NULL;
	free(c->srv->reply_text);
	c->srv->reply_text = NULL;
out:
	proto_request_release(&req);
}
