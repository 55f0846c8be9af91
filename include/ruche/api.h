/*
 * api.h - Ruche's small HTTP API, without the HTTP.
 *
 *   POST /api/login     {"handle", "password"}  -> {"token", "user"} + cookie
 *   POST /api/logout    (cookie or Bearer)      -> {} and the cookie cleared
 *   POST /api/invite    {"code"}                -> what the invite admits
 *   POST /api/signup    {"code", "handle", "display_name", "password",
 *                        "waitlist"?}           -> as login, plus "waitlisted"
 *   GET  /api/me/export (cookie or Bearer)      -> everything about the user
 *   GET  /api/hives/ID/audit?format=csv|json&... -> a hive's audit log
 *
 * http.c turns a request into a struct api_request and writes the struct
 * api_response back; the logic lives here so that it is tested and read
 * apart from libwebsockets.  Logins and signups hash passwords on the
 * worker threads, so their answer comes later, through the reply callback
 * on the event loop.
 */
#ifndef RUCHE_API_H
#define RUCHE_API_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "ruche/auth.h"

struct server;

#define API_MAX_BODY 16384	/* bytes of request body accepted */
#define API_COOKIE "ruche_session"

struct api_request {
	const char *method;	/* "GET", "POST" */
	const char *path;	/* "/api/login" */
	const char *query;	/* "a=1&b=2" (without '?'), or NULL */
	const char *body;	/* NULL or body_len bytes (not NUL-terminated) */
	size_t body_len;
	const char *token;	/* from the cookie or a Bearer header, or NULL */
	const char *peer;	/* the client's address, for rate limits */
	bool origin_ok;		/* Origin absent, our own or allowed */
	bool tls;		/* the request came over TLS */
};

struct api_response {
	int status;			/* HTTP status */
	json_t *body;			/* owned by the api: valid during reply */
	char set_cookie[256];		/* "" for none */
	int retry_after;		/* seconds; 0 for none */
	const char *disposition;	/* Content-Disposition, or NULL */
	/* A body that is not JSON (body NULL): its text, owned by the
	 * api and valid during reply, and its Content-Type. */
	const char *text;
	const char *content_type;
};

/* Called once with the answer.  resp is valid only during the call. */
typedef void api_reply_fn(void *arg, const struct api_response *resp);

/* A request whose answer is still being worked out. */
struct api_call;

/*
 * Handles req.  Either answers at once (calls reply before returning, and
 * returns NULL) or returns a call that will answer later; if the client
 * goes away first, pass the call to api_cancel() and reply is never
 * called.  req need not outlive this call.
 */
struct api_call *api_handle(struct server *srv, const struct api_request *req,
			    api_reply_fn *reply, void *arg);

/* Forgets the client of a pending call; the work itself completes. */
void api_cancel(struct api_call *call);

/* True when path is one of the API's (so 404s are JSON). */
bool api_owns(const char *path);

#endif
