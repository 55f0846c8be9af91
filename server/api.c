/* api.c - login, logout, signup from invites, and the data export. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruche/accounts.h"
#include "ruche/api.h"
#include "ruche/err.h"
#include "ruche/hives.h"
#include "ruche/ics.h"
#include "ruche/log.h"
#include "ruche/moderation.h"
#include "ruche/pwjob.h"
#include "ruche/ratelimit.h"
#include "ruche/server.h"

/* The window of failed logins counted per account and per address
 * (--login-window; the counts are --login-fails-per-*). */
static int64_t login_window_ms(const struct server *srv)
{
	return (int64_t)srv->cfg->login_window_s * 1000;
}

struct api_call {
	api_reply_fn *reply;	/* NULL once cancelled */
	void *arg;
};

/* A login or signup waiting for its password job. */
struct api_job {
	struct pwjob pw;	/* first: the job is the struct */
	struct api_call *call;
	bool tls;
	bool signup;
	char account_key[64];	/* rate-limit keys */
	char address_key[80];
	int64_t user_id;	/* login: the user whose hash is checked */
	/* signup */
	struct store_invite invite;
	char handle[AUTH_HANDLE_MAX + 1];
	char name[STORE_NAME_BYTES];
	bool waitlist;
};

bool api_owns(const char *path)
{
	return strncmp(path, "/api/", 5) == 0 || strncmp(path, "/ics/", 5) == 0;
}

static void answer(api_reply_fn *reply, void *arg, int status, json_t *body,
		   const char *cookie, int retry_after)
{
	struct api_response resp = { .status = status, .body = body,
				     .retry_after = retry_after };

	if (cookie)
		snprintf(resp.set_cookie, sizeof(resp.set_cookie), "%s", cookie);
	reply(arg, &resp);
	json_decref(body);
}

static int http_status(int rc)
{
	switch (rc) {
	case RUCHE_EINVAL: return 400;
	case RUCHE_EUNAUTH: case RUCHE_ECREDENTIALS: return 401;
	case RUCHE_EFORBIDDEN: return 403;
	case RUCHE_ENOTFOUND: case RUCHE_EINVITE_UNKNOWN: return 404;
	case RUCHE_EHANDLE_TAKEN: case RUCHE_EMEMBER: case RUCHE_EEXIST:
	case RUCHE_EHIVE_FULL: case RUCHE_EOVERLOADED: case RUCHE_EARCHIVED:
	case RUCHE_ELIMIT:
		return 409;
	case RUCHE_EINVITE_EXPIRED: case RUCHE_EINVITE_REVOKED:
	case RUCHE_EINVITE_USED_UP: return 410;
	case RUCHE_ERATE: return 429;
	case RUCHE_EFULL: case RUCHE_EROFS: return 503;	/* for now */
	default: return 500;
	}
}

static json_t *error_body(const char *code, const char *message)
{
	return json_pack("{s:{s:s, s:s}}", "error", "code", code, "message",
			 message);
}

static void fail(api_reply_fn *reply, void *arg, int rc, const char *message)
{
	answer(reply, arg, http_status(rc),
	       error_body(ruche_err_code(rc),
			  message ? message : ruche_strerror(rc)),
	       NULL, 0);
}

static void session_cookie(char *out, size_t n, const char *token, long long
			   max_age, bool tls)
{
	snprintf(out, n, API_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; "
		 "Max-Age=%lld%s", token, max_age, tls ? "; Secure" : "");
}

/* Opens a session for a user and answers like a login. */
static void answer_session(struct server *srv, api_reply_fn *reply, void *arg,
			   int64_t user_id, bool tls, json_t *extra)
{
	char token[AUTH_TOKEN_LEN + 1], cookie[256];
	struct store_user u;
	json_t *body;
	int rc = store_user_get(srv->store, user_id, &u);

	if (!rc)
		rc = accounts_session_open(srv, user_id, token, NULL);
	if (rc) {
		json_decref(extra);
		fail(reply, arg, rc, NULL);
		return;
	}
	body = json_pack("{s:s, s:o}", "token", token, "user",
			 accounts_user_json(&u));
	if (extra) {
		json_object_update(body, extra);
		json_decref(extra);
	}
	session_cookie(cookie, sizeof(cookie), token, srv->cfg->session_ttl_s,
		       tls);
	answer(reply, arg, 200, body, cookie, 0);
}

/* Reads the request body as a JSON object; NULL (after answering) if not. */
static json_t *read_body(const struct api_request *req, api_reply_fn *reply,
			 void *arg)
{
	json_t *o = req->body ? json_loadb(req->body, req->body_len,
					   JSON_REJECT_DUPLICATES, NULL) : NULL;

	if (!json_is_object(o)) {
		json_decref(o);
		answer(reply, arg, 400, error_body("bad_json",
			"the body must be a JSON object"), NULL, 0);
		return NULL;
	}
	return o;
}

/* A string field of a body, or NULL (after answering) when missing. */
static const char *field(json_t *body, const char *key, api_reply_fn *reply,
			 void *arg)
{
	const char *v = json_string_value(json_object_get(body, key));
	char msg[80];

	if (!v) {
		snprintf(msg, sizeof(msg), "\"%s\" must be a string", key);
		answer(reply, arg, 400, error_body("invalid_param", msg), NULL,
		       0);
	}
	return v;
}

static struct api_call *start(struct api_job *job, api_reply_fn *reply,
			      void *arg)
{
	struct api_call *call = malloc(sizeof(*call));
	bool later = job->pw.srv->jobs != NULL;

	/* Ready before the job starts: without worker threads it is done,
	 * and the call answered and freed, when pwjob_start() returns. */
	if (call) {
		call->reply = reply;
		call->arg = arg;
	}
	job->call = call;
	if (!call || pwjob_start(&job->pw)) {
		free(call);
		free(job);
		fail(reply, arg, RUCHE_ENOMEM, NULL);
		return NULL;
	}
	return later ? call : NULL;
}

static void login_done(struct pwjob *pw)
{
	struct api_job *job = (struct api_job *)pw;
	struct server *srv = pw->srv;
	struct api_call *call = job->call;
	int64_t now = clock_wall_ms(srv->clock);

	ratelimit_end(srv->login_limit, job->account_key);
	ratelimit_end(srv->login_limit, job->address_key);
	if (!pw->verified) {
		ratelimit_fail(srv->login_limit, job->account_key,
			       login_window_ms(srv), now);
		ratelimit_fail(srv->login_limit, job->address_key,
			       login_window_ms(srv), now);
		log_info("login refused (%s)", pw->rc ? "error" : "bad credentials");
		if (call->reply)
			fail(call->reply, call->arg, RUCHE_ECREDENTIALS, NULL);
	} else {
		ratelimit_clear(srv->login_limit, job->account_key);
		log_info("user %lld logged in", (long long)job->user_id);
		if (call->reply)
			answer_session(srv, call->reply, call->arg,
				       job->user_id, job->tls, NULL);
	}
	free(call);
	free(job);
}

/* Seconds before this account or address may try again, or 0. */
static int login_wait(struct server *srv, const char *account_key,
		      const char *address_key)
{
	int64_t now = clock_wall_ms(srv->clock), window = login_window_ms(srv);
	int a = ratelimit_wait(srv->login_limit, account_key,
			       srv->cfg->login_fails_account, window, now);
	int b = ratelimit_wait(srv->login_limit, address_key,
			       srv->cfg->login_fails_address, window, now);

	return a > b ? a : b;
}

static struct api_call *login(struct server *srv,
			      const struct api_request *req,
			      api_reply_fn *reply, void *arg)
{
	json_t *body = read_body(req, reply, arg);
	const char *handle, *password;
	struct store_user u = { 0 };
	char norm[AUTH_HANDLE_MAX + 1] = "";
	char account_key[64], address_key[80];
	struct api_call *call;
	struct api_job *job;
	int wait;

	if (!body)
		return NULL;
	handle = field(body, "handle", reply, arg);
	password = handle ? field(body, "password", reply, arg) : NULL;
	if (!password) {
		json_decref(body);
		return NULL;
	}
	/* No account can have a longer password (sign-up refuses them):
	 * wrong for every handle alike, without hashing a prefix of it. */
	if (strlen(password) > AUTH_PASSWORD_MAX) {
		json_decref(body);
		fail(reply, arg, RUCHE_ECREDENTIALS, NULL);
		return NULL;
	}
	job = calloc(1, sizeof(*job));
	if (!job) {
		json_decref(body);
		fail(reply, arg, RUCHE_ENOMEM, NULL);
		return NULL;
	}
	/* An unknown or malformed handle is checked like a wrong password. */
	if (!auth_normalize_handle(handle, norm))
		store_user_by_handle(srv->store, norm, &u);
	snprintf(job->account_key, sizeof(job->account_key), "u:%s",
		 norm[0] ? norm : "?");
	snprintf(job->address_key, sizeof(job->address_key), "ip:%s",
		 req->peer ? req->peer : "?");
	/* start() frees the job when it fails: keep the keys. */
	memcpy(account_key, job->account_key, sizeof(account_key));
	memcpy(address_key, job->address_key, sizeof(address_key));
	wait = login_wait(srv, job->account_key, job->address_key);
	if (wait) {
		json_decref(body);
		free(job);
		answer(reply, arg, 429, error_body("rate_limited",
			"too many failed logins, try again later"), NULL, wait);
		return NULL;
	}
	job->pw.srv = srv;
	job->pw.verify = true;
	snprintf(job->pw.password, sizeof(job->pw.password), "%s", password);
	if (!u.deleted)
		snprintf(job->pw.stored, sizeof(job->pw.stored), "%s",
			 u.pw_hash);
	job->pw.done = login_done;
	job->user_id = u.id;
	job->tls = req->tls;
	json_decref(body);
	/* Attempts under way count against the limit until they end, so a
	 * burst of parallel guesses cannot outrun it. */
	ratelimit_begin(srv->login_limit, job->account_key,
			login_window_ms(srv), clock_wall_ms(srv->clock));
	ratelimit_begin(srv->login_limit, job->address_key,
			login_window_ms(srv), clock_wall_ms(srv->clock));
	call = start(job, reply, arg);
	if (!call) {
		ratelimit_end(srv->login_limit, account_key);
		ratelimit_end(srv->login_limit, address_key);
	}
	return call;
}

static void logout(struct server *srv, const struct api_request *req,
		   api_reply_fn *reply, void *arg)
{
	struct store_session session;
	struct store_user user;
	char cookie[256];
	int rc = accounts_session_check(srv, req->token, &session, &user);

	if (rc) {
		fail(reply, arg, rc, NULL);
		return;
	}
	rc = accounts_session_close(srv, session.id);
	if (rc) {
		fail(reply, arg, rc, NULL);
		return;
	}
	log_info("user %lld logged out", (long long)user.id);
	session_cookie(cookie, sizeof(cookie), "", 0, req->tls);
	answer(reply, arg, 200, json_object(), cookie, 0);
}

/* What an invite admits, for the page that accepts it. */
static void invite_info(struct server *srv, const struct api_request *req,
			api_reply_fn *reply, void *arg)
{
	json_t *body = read_body(req, reply, arg), *out;
	struct store_invite inv;
	struct store_hive h;
	const char *code;
	int rc;

	if (!body)
		return;
	code = field(body, "code", reply, arg);
	if (!code) {
		json_decref(body);
		return;
	}
	rc = invites_check(srv, code, &inv);
	json_decref(body);
	if (rc) {
		fail(reply, arg, rc, NULL);
		return;
	}
	out = json_pack("{s:s}", "kind",
			inv.kind == INVITE_ADMIN ? "admin" : "hive");
	if (inv.kind == INVITE_HIVE && !store_hive_get(srv->store, inv.hive_id,
						       &h)) {
		json_object_set_new(out, "role",
				    json_string(role_name(inv.role)));
		json_object_set_new(out, "hive", json_pack(
			"{s:I, s:s, s:s, s:b}", "id", (json_int_t)h.id, "name",
			h.name, "description", h.description, "full",
			h.learners >= h.capacity));
	}
	answer(reply, arg, 200, out, NULL, 0);
}

static void signup_done(struct pwjob *pw)
{
	struct api_job *job = (struct api_job *)pw;
	struct server *srv = pw->srv;
	struct api_call *call = job->call;
	struct store_invite inv;
	struct store_user u;
	bool waitlisted = false;
	int rc = pw->rc;

	/* The invite is checked again: it may have changed meanwhile.  The
	 * work joins the loop's grouped commit, flushed here, so that the
	 * hive hears of its new member only once they are stored. */
	if (!rc)
		rc = server_turn_begin(srv);
	if (!rc)
		rc = server_begin(srv);
	if (!rc) {
		rc = store_invite_get(srv->store, job->invite.id, &inv);
		if (!rc && inv.revoked_at)
			rc = RUCHE_EINVITE_REVOKED;
		if (!rc)
			rc = accounts_create(srv, job->handle, job->name,
					     pw->new_hash, false, &u);
		if (!rc)
			rc = invites_use(srv, &inv, u.id, job->waitlist,
					 &waitlisted);
		rc = server_end(srv, rc);
		if (server_flush(srv) && !rc)
			rc = RUCHE_EIO;
	}
	if (call->reply) {
		if (rc)
			fail(call->reply, call->arg, rc, NULL);
		else
			answer_session(srv, call->reply, call->arg, u.id,
				       job->tls, json_pack("{s:b}",
				       "waitlisted", waitlisted));
	}
	free(call);
	free(job);
}

static struct api_call *signup(struct server *srv,
			       const struct api_request *req,
			       api_reply_fn *reply, void *arg)
{
	json_t *body = read_body(req, reply, arg);
	const char *code = NULL, *handle = NULL, *name = NULL, *password = NULL;
	struct api_job *job = NULL;
	struct store_user taken;
	int rc;

	if (!body)
		return NULL;
	if (!(code = field(body, "code", reply, arg)) ||
	    !(handle = field(body, "handle", reply, arg)) ||
	    !(name = field(body, "display_name", reply, arg)) ||
	    !(password = field(body, "password", reply, arg)))
		goto done;
	job = calloc(1, sizeof(*job));
	if (!job) {
		fail(reply, arg, RUCHE_ENOMEM, NULL);
		goto done;
	}
	rc = invites_check(srv, code, &job->invite);
	if (rc) {
		fail(reply, arg, rc, NULL);
		goto done;
	}
	if (auth_normalize_handle(handle, job->handle)) {
		fail(reply, arg, RUCHE_EINVAL, "a handle is 2 to 32 of a-z, "
		     "0-9, '_', '.' and '-'");
		goto done;
	}
	if (auth_normalize_name(name, job->name, sizeof(job->name))) {
		fail(reply, arg, RUCHE_EINVAL, "a display name is 1 to 64 "
		     "characters, without control characters");
		goto done;
	}
	if (auth_check_password(password)) {
		fail(reply, arg, RUCHE_EINVAL, "a password has at least 10 "
		     "characters");
		goto done;
	}
	/* Say so now rather than after the slow hashing. */
	if (!store_user_by_handle(srv->store, job->handle, &taken)) {
		fail(reply, arg, RUCHE_EHANDLE_TAKEN, NULL);
		goto done;
	}
	job->waitlist = json_is_true(json_object_get(body, "waitlist"));
	job->pw.srv = srv;
	job->pw.hash = true;
	snprintf(job->pw.new_password, sizeof(job->pw.new_password), "%s",
		 password);
	job->pw.done = signup_done;
	job->tls = req->tls;
	job->signup = true;
	json_decref(body);
	return start(job, reply, arg);
done:
	free(job);
	json_decref(body);
	return NULL;
}

static void export(struct server *srv, const struct api_request *req,
		   api_reply_fn *reply, void *arg)
{
	struct store_session session;
	struct store_user user;
	struct api_response resp = { .status = 200 };
	int rc = accounts_session_check(srv, req->token, &session, &user);

	if (!rc)
		rc = accounts_export(srv, user.id, &resp.body);
	if (rc) {
		fail(reply, arg, rc, NULL);
		return;
	}
	resp.disposition = "attachment; filename=\"ruche-export.json\"";
	reply(arg, &resp);
	json_decref(resp.body);
}

/*
 * Reads the audit export's query: format=csv|json and the filters of
 * audit.list (action, actor_id, automatic=1, target_id, since, until).
 * 0, or RUCHE_EINVAL for an unknown key or a bad value.
 */
static int audit_query(const char *query, struct store_audit_filter *f,
		       bool *csv, char *action, size_t action_len)
{
	char buf[256], *save = NULL;

	*csv = false;
	if (!query)
		return 0;
	snprintf(buf, sizeof(buf), "%s", query);
	/* libwebsockets hands the arguments decoded and joined by ','
	 * (none of our values has one); '&' is taken too. */
	for (char *kv = strtok_r(buf, "&,", &save); kv;
	     kv = strtok_r(NULL, "&,", &save)) {
		char *v = strchr(kv, '='), *end;
		long long n;

		if (!v)
			return RUCHE_EINVAL;
		*v++ = '\0';
		if (strcmp(kv, "format") == 0) {
			if (strcmp(v, "csv") && strcmp(v, "json"))
				return RUCHE_EINVAL;
			*csv = strcmp(v, "csv") == 0;
			continue;
		}
		if (strcmp(kv, "action") == 0) {
			if (!*v || strlen(v) >= action_len)
				return RUCHE_EINVAL;
			snprintf(action, action_len, "%s", v);
			f->action = action;
			continue;
		}
		if (strcmp(kv, "automatic") == 0) {
			if (strcmp(v, "1") && strcmp(v, "true"))
				return RUCHE_EINVAL;
			f->actor_id = -1;
			continue;
		}
		n = strtoll(v, &end, 10);
		if (!*v || *end || n < 0 || n > (1LL << 53))
			return RUCHE_EINVAL;
		if (strcmp(kv, "actor_id") == 0 && n > 0)
			f->actor_id = n;
		else if (strcmp(kv, "target_id") == 0 && n > 0)
			f->target_id = n;
		else if (strcmp(kv, "since") == 0)
			f->since = n;
		else if (strcmp(kv, "until") == 0)
			f->until = n;
		else
			return RUCHE_EINVAL;
	}
	return 0;
}

/* GET /api/hives/ID/audit: the hive's audit log as a CSV or JSON file,
 * for its mentors and admins. */
static void audit_export(struct server *srv, const struct api_request *req,
			 long long hive_id, api_reply_fn *reply, void *arg)
{
	struct store_audit_filter f = { .hive_id = hive_id };
	struct store_session session;
	struct store_user user;
	struct api_response resp = { .status = 200 };
	char action[32], *text = NULL;
	bool csv;
	int rc = accounts_session_check(srv, req->token, &session, &user);

	if (!rc && audit_query(req->query, &f, &csv, action, sizeof(action)))
		rc = RUCHE_EINVAL;
	if (!rc)
		rc = mod_audit_export(srv, (struct actor){ .user_id = user.id,
							    .admin =
							    user.is_admin },
				      &f, csv, &text);
	if (rc) {
		fail(reply, arg, rc, NULL);
		return;
	}
	resp.text = text;
	resp.content_type = csv ? "text/csv; charset=utf-8" :
			    "application/json";
	resp.disposition = csv ?
		"attachment; filename=\"ruche-audit.csv\"" :
		"attachment; filename=\"ruche-audit.json\"";
	reply(arg, &resp);
	free(text);
}

/*
 * GET /ics/TOKEN.ics: a user's calendar feed.  Calendar apps send no
 * cookie, so the secret is the URL itself (ics.h); it only reads the
 * user's meetups.  An unknown or revoked token is a plain 404, and the
 * path is never logged.
 */
static void ics(struct server *srv, const char *path, api_reply_fn *reply,
		void *arg)
{
	struct api_response resp = { .status = 200 };
	char token[AUTH_TOKEN_LEN + 1];
	const char *name = path + 5;
	size_t len = strlen(name);
	char *text = NULL;
	int rc = RUCHE_ENOTFOUND;

	if (len == AUTH_TOKEN_LEN + 4 && strcmp(name + AUTH_TOKEN_LEN,
						".ics") == 0) {
		snprintf(token, sizeof(token), "%.*s", AUTH_TOKEN_LEN, name);
		rc = ics_feed(srv, token, &text);
	}
	if (rc) {
		fail(reply, arg, rc, rc == RUCHE_ENOTFOUND ? "no such feed" :
		     NULL);
		return;
	}
	resp.text = text;
	resp.content_type = "text/calendar; charset=utf-8";
	resp.disposition = "inline; filename=\"ruche.ics\"";
	reply(arg, &resp);
	free(text);
}

struct api_call *api_handle(struct server *srv, const struct api_request *req,
			    api_reply_fn *reply, void *arg)
{
	long long hive_id = 0;
	int used = 0;

	bool post = strcmp(req->method, "POST") == 0;
	const char *p = req->path;

	/* Cross-site requests are refused before anything else. */
	if (!req->origin_ok) {
		answer(reply, arg, 403, error_body("forbidden",
			"cross-site request refused"), NULL, 0);
		return NULL;
	}
	if (!post && strncmp(p, "/ics/", 5) == 0) {
		ics(srv, p, reply, arg);
		return NULL;
	}
	if (post && strcmp(p, "/api/login") == 0)
		return login(srv, req, reply, arg);
	if (post && strcmp(p, "/api/signup") == 0)
		return signup(srv, req, reply, arg);
	if (post && strcmp(p, "/api/logout") == 0)
		logout(srv, req, reply, arg);
	else if (post && strcmp(p, "/api/invite") == 0)
		invite_info(srv, req, reply, arg);
	else if (!post && strcmp(p, "/api/me/export") == 0)
		export(srv, req, reply, arg);
	else if (!post && sscanf(p, "/api/hives/%lld/audit%n", &hive_id,
				 &used) == 1 && used && !p[used] && hive_id > 0)
		audit_export(srv, req, hive_id, reply, arg);
	else
		answer(reply, arg, 404, error_body("not_found",
			"no such API endpoint"), NULL, 0);
	return NULL;
}

void api_cancel(struct api_call *call)
{
	if (call)
		call->reply = NULL;
}
