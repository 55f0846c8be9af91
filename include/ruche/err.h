/*
 * err.h - Ruche's error codes.
 *
 * Every fallible function returns 0 on success or one of the negative
 * RUCHE_E* codes below; a failed call changes nothing.  ruche_strerror()
 * gives the text for people, and ruche_err_code() the stable protocol code
 * that clients see in {"error": {"code": ...}} (docs/protocol.md lists them).
 */
#ifndef RUCHE_ERR_H
#define RUCHE_ERR_H

enum ruche_err {
	RUCHE_OK = 0,
	RUCHE_ENOMEM = -1,	/* out of memory */
	RUCHE_EINVAL = -2,	/* an argument is malformed */
	RUCHE_EIO = -3,		/* the store or the file system failed */
	RUCHE_ENOTFOUND = -4,	/* no such thing, or not visible to the caller */
	RUCHE_EEXIST = -5,	/* it exists already */
	RUCHE_EFORBIDDEN = -6,	/* the caller may not do this */
	RUCHE_ETOOBIG = -7,	/* over a size limit */
	RUCHE_ESCHEMA = -8,	/* the database is newer than this binary */
	RUCHE_EUNAUTH = -9,	/* not logged in */
	RUCHE_EBUSY = -10,	/* try again later */
	/* Refusals of the community rules, each with its own protocol code. */
	RUCHE_EHIVE_FULL = -11,	/* the hive has no learner seat left */
	RUCHE_EOVERLOADED = -12, /* a mentor would pass their learner cap */
	RUCHE_EARCHIVED = -13,	/* the hive is archived: read-only */
	RUCHE_EINVITE_UNKNOWN = -14,
	RUCHE_EINVITE_EXPIRED = -15,
	RUCHE_EINVITE_REVOKED = -16,
	RUCHE_EINVITE_USED_UP = -17,
	RUCHE_EMEMBER = -18,	/* already a member */
	RUCHE_ECREDENTIALS = -19, /* wrong handle or password */
	RUCHE_ERATE = -20,	/* too many attempts: wait */
	RUCHE_EHANDLE_TAKEN = -21,
	RUCHE_ENOT_MEMBER = -22, /* not a member of that hive */
	RUCHE_EEMPTY = -23,	/* a message with no text */
	RUCHE_EREAD_ONLY = -24,	/* an announcement channel, for a learner */
	RUCHE_EBAD_EMOJI = -25,	/* a reaction that is not one emoji */
	RUCHE_EDELETED = -26,	/* the message was deleted */
	RUCHE_ECHANNEL_ARCHIVED = -27,
	/* Moderation (moderation.h). */
	RUCHE_EMUTED = -40,	/* muted in this hive for now */
	RUCHE_EBANNED = -41,	/* banned from this hive */
	RUCHE_ECHANNEL_LOCKED = -42, /* a locked channel, for a learner */
	RUCHE_ESLOW_MODE = -43,	/* slow mode: too soon after the last post */
	RUCHE_EBLOCKED_WORD = -44, /* the guard refuses a word of the text */
	RUCHE_ELINK_LIMIT = -45, /* the guard: too many links, new member */
	/* A cap of the server (--max-hives, ...; docs/limits.md). */
	RUCHE_ELIMIT = -60,
	/* Storage that refuses writes; reads still work. */
	RUCHE_EFULL = -50,	/* the disk (or the database's cap) is full */
	RUCHE_EROFS = -51,	/* the database is read-only */
};

/* Text for people, e.g. "out of memory".  Never NULL; static storage. */
const char *ruche_strerror(int err);

/* Stable protocol code, e.g. "not_found".  Never NULL; static storage. */
const char *ruche_err_code(int err);

#endif
