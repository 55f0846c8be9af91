/* ops_account.c - authentication and the user's own account. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruche/conn.h"
#include "ruche/err.h"
#include "ruche/hives.h"
#include "ruche/log.h"
#include "ruche/ops.h"
#include "ruche/pwjob.h"
#include "ruche/server.h"

static const char *str(json_t *params, const char *key)
{
	return json_string_value(json_object_get(params, key));
}

struct actor conn_actor(const struct conn *c)
{
	return (struct actor){ .user_id = c->user_id, .admin = c->is_admin };
}

int ops_authenticate(struct conn *c, const char *token)
{
	struct store_session session;
	struct store_user user;
	int rc = accounts_session_check(c->srv, token, &session, &user);

	if (rc)
		return rc;
	c->user_id = user.id;
	c->session_id = session.id;
	c->session_read = false;	/* for the session sweep to read */
	c->is_admin = user.is_admin;
	log_debug("conn %llu: user %lld", (unsigned long long)c->id,
		  (long long)user.id);
	return 0;
}

/* The user behind a connection and their hives. */
static int me_json(struct conn *c, json_t **out)
{
	struct store_user u;
	json_t *hives;
	int rc = store_user_get(c->srv->store, c->user_id, &u);

	if (rc)
		return rc;
	rc = hives_list(c->srv, (struct actor){ c->user_id, false }, &hives);
	if (rc)
		return rc;
	*out = json_pack("{s:o, s:o}", "user", accounts_user_json(&u),
			 "hives", hives);
	return *out ? 0 : RUCHE_ENOMEM;
}

int op_auth(struct conn *c, json_t *params, json_t **data,
	    struct proto_error *err)
{
	int rc;

	if (c->user_id)
		return RUCHE_EEXIST;
	rc = ops_authenticate(c, str(params, "token"));
	if (rc)
		return rc;
	return me_json(c, data);
}

int op_account_me(struct conn *c, json_t *params, json_t **data,
		  struct proto_error *err)
{
	return me_json(c, data);
}

int op_account_set_name(struct conn *c, json_t *params, json_t **data,
			struct proto_error *err)
{
	struct store_user u;
	int rc = accounts_set_name(c->srv, c->user_id,
				   str(params, "display_name"));

	if (!rc)
		rc = store_user_get(c->srv->store, c->user_id, &u);
	if (!rc)
		*data = json_pack("{s:o}", "user", accounts_user_json(&u));
	return rc;
}

/* A password operation waiting for its worker. */
struct account_job {
	struct pwjob pw;	/* first: the job is the struct */
	struct pending *reply;
	int64_t user_id;
	int64_t session_id;
	bool delete;		/* account.delete rather than set_password */
};

static void account_job_done(struct pwjob *pw)
{
	struct account_job *job = (struct account_job *)pw;
	struct server *srv = pw->srv;
	int rc = pw->rc;

	if (!rc && !pw->verified)
		rc = RUCHE_ECREDENTIALS;
	/* In a turn of its own, the connections this closes get the reply
	 * first: the outbox lets closes out last (see server_flush). */
	if (!rc)
		rc = server_turn_begin(srv);
	if (!rc && job->delete)
		rc = accounts_delete(srv, job->user_id);
	else if (!rc)
		rc = accounts_set_password(srv, job->user_id, pw->new_hash,
					   job->session_id);
	dispatch_answer(srv, job->reply, rc, NULL);
	free(job);
}

/* Starts a password check (and maybe a new hash) for the caller. */
static int start_account_job(struct conn *c, const char *password,
			     const char *new_password, bool delete,
			     struct proto_error *err)
{
	struct account_job *job;
	struct store_user u;
	int rc = store_user_get(c->srv->store, c->user_id, &u);

	if (rc)
		return rc;
	/* No account has a longer password: do not even hash a prefix. */
	if (strlen(password) > AUTH_PASSWORD_MAX)
		return RUCHE_ECREDENTIALS;
	if (new_password && auth_check_password(new_password)) {
		err->code = "invalid_param";
		snprintf(err->message, sizeof(err->message),
			 "a password has at least %d characters",
			 AUTH_PASSWORD_MIN);
		return RUCHE_EINVAL;
	}
	job = calloc(1, sizeof(*job));
	if (!job)
		return RUCHE_ENOMEM;
	job->pw.srv = c->srv;
	job->pw.verify = true;
	snprintf(job->pw.password, sizeof(job->pw.password), "%s", password);
	snprintf(job->pw.stored, sizeof(job->pw.stored), "%s", u.pw_hash);
	if (new_password) {
		job->pw.hash = true;
		snprintf(job->pw.new_password, sizeof(job->pw.new_password),
			 "%s", new_password);
	}
	job->pw.done = account_job_done;
	job->user_id = c->user_id;
	job->session_id = c->session_id;
	job->delete = delete;
	job->reply = dispatch_defer(c);
	if (!job->reply || pwjob_start(&job->pw)) {
		free(job->reply);
		free(job);
		return RUCHE_ENOMEM;
	}
	return OP_LATER;
}

int op_account_set_password(struct conn *c, json_t *params, json_t **data,
			    struct proto_error *err)
{
	return start_account_job(c, str(params, "old_password"),
				 str(params, "new_password"), false, err);
}

int op_account_delete(struct conn *c, json_t *params, json_t **data,
		      struct proto_error *err)
{
	return start_account_job(c, str(params, "password"), NULL, true, err);
}

int op_account_export(struct conn *c, json_t *params, json_t **data,
		      struct proto_error *err)
{
	return accounts_export(c->srv, c->user_id, data);
}
