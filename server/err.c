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
