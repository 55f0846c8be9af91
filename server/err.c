/* err.c - texts and protocol codes of Ruche's error numbers. */
#include "ruche/err.h"

static const struct {
	int err;
	const char *code;
	const char *text;
} errors[] = {
	{ RUCHE_OK, "ok", "success" },
	{ RUCHE_ENOMEM, "internal", "out of memory" },
	{ RUCHE_EINVAL, "invalid_param", "invalid argument" },
	{ RUCHE_EIO, "internal", "storage failure" },
	{ RUCHE_ENOTFOUND, "not_found", "not found" },
	{ RUCHE_EEXIST, "already_exists", "already exists" },
	{ RUCHE_EFORBIDDEN, "forbidden", "not allowed" },
	{ RUCHE_ETOOBIG, "too_large", "too large" },
	{ RUCHE_ESCHEMA, "internal", "database schema is newer than this binary" },
	{ RUCHE_EUNAUTH, "unauthenticated", "not logged in" },
	{ RUCHE_EBUSY, "busy", "busy, try again later" },
	{ RUCHE_EHIVE_FULL, "hive_full", "this hive has no learner seat left" },
	{ RUCHE_EOVERLOADED, "mentor_overloaded",
	  "a mentor of this hive would have more learners than allowed" },
	{ RUCHE_EARCHIVED, "hive_archived", "this hive is archived" },
	{ RUCHE_EINVITE_UNKNOWN, "invite_not_found", "no such invite" },
	{ RUCHE_EINVITE_EXPIRED, "invite_expired", "this invite has expired" },
	{ RUCHE_EINVITE_REVOKED, "invite_revoked",
	  "this invite was revoked" },
	{ RUCHE_EINVITE_USED_UP, "invite_used_up",
	  "this invite has been used up" },
	{ RUCHE_EMEMBER, "already_member", "already a member of this hive" },
	{ RUCHE_ECREDENTIALS, "bad_credentials", "wrong handle or password" },
	{ RUCHE_ERATE, "rate_limited", "too many attempts, try again later" },
	{ RUCHE_EHANDLE_TAKEN, "handle_taken", "this handle is taken" },
	{ RUCHE_ENOT_MEMBER, "not_member", "not a member of this hive" },
	{ RUCHE_EEMPTY, "empty_text", "a message needs some text" },
	{ RUCHE_EREAD_ONLY, "read_only",
	  "only mentors post in this channel" },
	{ RUCHE_EBAD_EMOJI, "bad_emoji", "a reaction is one emoji" },
	{ RUCHE_EDELETED, "message_deleted", "this message was deleted" },
	{ RUCHE_ECHANNEL_ARCHIVED, "channel_archived",
	  "this channel is archived" },
	{ RUCHE_EMUTED, "muted", "you are muted in this hive for now" },
	{ RUCHE_EBANNED, "banned", "you are banned from this hive" },
	{ RUCHE_ECHANNEL_LOCKED, "channel_locked",
	  "this channel is locked: only mentors post in it" },
	{ RUCHE_ESLOW_MODE, "slow_mode",
	  "slow mode: wait before posting again here" },
	{ RUCHE_EBLOCKED_WORD, "blocked_word",
	  "this hive does not accept a word of this message" },
	{ RUCHE_ELINK_LIMIT, "link_limit",
	  "new members may not post this many links yet" },
	{ RUCHE_ELIMIT, "limit_reached",
	  "a limit of this server is reached" },
	{ RUCHE_EFULL, "storage_full",
	  "the server's storage is full: nothing was stored" },
	{ RUCHE_EROFS, "storage_read_only",
	  "the server's storage is read-only: nothing was stored" },
};

#define NERRORS (sizeof(errors) / sizeof(errors[0]))

const char *ruche_strerror(int err)
{
	for (unsigned i = 0; i < NERRORS; i++)
		if (errors[i].err == err)
			return errors[i].text;
	return "unknown error";
}

const char *ruche_err_code(int err)
{
	for (unsigned i = 0; i < NERRORS; i++)
		if (errors[i].err == err)
			return errors[i].code;
	return "internal";
}
