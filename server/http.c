/*
 * http.c - Ruche's HTTP side: the client's static files, GET /healthz, and
 * the vetting of WebSocket upgrades (path, subprotocol, Origin).
 */
#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdbool.h>

#include "ruche/api.h"
#include "ruche/files.h"
#include "ruche/log.h"
#include "ruche/proto.h"
#include "ruche/server.h"
#include "transport.h"

/*
 * Every response carries these.  The policy allows only Ruche's own
 * scripts, styles and socket: no inline code, no framing, no plugins.
 */
static const struct {
	const char *name;
	const char *value;
} security_headers[] = {
	{ "content-security-policy:",
	  "default-src 'none'; script-src 'self'; style-src 'self'; "
	  "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
	  "manifest-src 'self'; base-uri 'none'; form-action 'self'; "
	  "frame-ancestors 'none'" },
	{ "x-content-type-options:", "nosniff" },
	{ "x-frame-options:", "DENY" },
	{ "referrer-policy:", "no-referrer" },
	{ "cache-control:", "no-cache" },
};

/*
 * Over TLS, browsers are told to use nothing else for this host for two
 * years, so that a later visit typed as http:// cannot be intercepted.
 * Not sent over plain HTTP, where browsers ignore it anyway.  Subdomains
 * are left alone: they may be other services than Ruche.
 */
static const char hsts[] = "max-age=63072000";

static int add_security_headers(struct lws *wsi, unsigned char **p,
				unsigned char *end)
{
	if (lws_is_ssl(wsi) &&
	    lws_add_http_header_by_name(
		    wsi, (const unsigned char *)"strict-transport-security:",
		    (const unsigned char *)hsts, (int)strlen(hsts), p, end))
		return -1;
	for (unsigned i = 0;
	     i < sizeof(security_headers) / sizeof(security_headers[0]); i++) {
		const char *v = security_headers[i].value;

		if (lws_add_http_header_by_name(
			    wsi, (const unsigned char *)security_headers[i].name,
			    (const unsigned char *)v, (int)strlen(v), p, end))
			return -1;
	}
	return 0;
}

/* Writes the body of a response (whose headers are out) in one go. */
static int write_body(struct lws *wsi, const char *body, size_t len)
{
	unsigned char *out = malloc(LWS_PRE + len);
	int rc;

	if (!out)
		return -1;
	memcpy(out + LWS_PRE, body, len);
	rc = lws_write(wsi, out + LWS_PRE, len, LWS_WRITE_HTTP_FINAL);
	free(out);
	return rc < (int)len ? -1 : 0;
}

/* Writes a whole response: status, headers and a small body. */
static int write_response(struct lws *wsi, unsigned status, const char *ctype,
			  const char *body, size_t len)
{
	unsigned char hdr[LWS_PRE + 2048], *start = hdr + LWS_PRE, *p = start;
	unsigned char *end = hdr + sizeof(hdr) - 1;

	if (lws_add_http_common_headers(wsi, status, ctype, len, &p, end) ||
	    add_security_headers(wsi, &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	return len ? write_body(wsi, body, len) : 0;
}

/* Answers and ends the HTTP transaction (keeping the connection alive). */
static int respond(struct lws *wsi, unsigned status, const char *ctype,
		   const char *body)
{
	if (write_response(wsi, status, ctype, body, strlen(body)))
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int respond_error(struct lws *wsi, unsigned status, const char *code,
			 const char *message)
{
	char body[512];

	snprintf(body, sizeof(body),
		 "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}\n", code,
		 message);
	return respond(wsi, status, "application/json", body);
}

static int serve_health(struct server *srv, struct lws *wsi)
{
	json_t *h = server_health(srv);
	char *body = h ? json_dumps(h, JSON_COMPACT) : NULL;
	int rc;

	json_decref(h);
	if (!body)
		return respond_error(wsi, 500, "internal", "out of memory");
	rc = respond(wsi, 200, "application/json", body);
	free(body);
	return rc;
}

/* 401 for /metrics, saying which scheme it takes (RFC 6750). */
static int refuse_metrics(struct lws *wsi)
{
	static const char body[] = "{\"error\":{\"code\":\"unauthenticated\","
		"\"message\":\"a valid metrics token is required\"}}\n";
	static const char scheme[] = "Bearer realm=\"ruche-metrics\"";
	unsigned char hdr[LWS_PRE + 2048], *start = hdr + LWS_PRE, *p = start;
	unsigned char *end = hdr + sizeof(hdr) - 1;

	if (lws_add_http_common_headers(wsi, 401, "application/json",
					sizeof(body) - 1, &p, end) ||
	    add_security_headers(wsi, &p, end) ||
	    lws_add_http_header_by_name(
		    wsi, (const unsigned char *)"www-authenticate:",
		    (const unsigned char *)scheme, (int)strlen(scheme), &p,
		    end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end) ||
	    write_body(wsi, body, sizeof(body) - 1))
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/*
 * GET /metrics: only when the operator set a token (404 otherwise, as for
 * any page that is not there), and only to a request that carries it as
 * "Authorization: Bearer TOKEN" (401).  The token is compared in constant
 * time and never logged.
 */
static int serve_metrics(struct server *srv, struct lws *wsi)
{
	char auth[512] = "";
	size_t len;
	char *body;
	int rc;

	if (!srv->cfg->metrics_token[0])
		return respond_error(wsi, 404, "not_found", "no such page");
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION) <= 0 ||
	    lws_hdr_copy(wsi, auth, sizeof(auth),
			 WSI_TOKEN_HTTP_AUTHORIZATION) < 0 ||
	    strncasecmp(auth, "Bearer ", 7) != 0 ||
	    !metrics_token_ok(srv->cfg->metrics_token, auth + 7)) {
		explicit_bzero(auth, sizeof(auth));
		return refuse_metrics(wsi);
	}
	explicit_bzero(auth, sizeof(auth));
	body = metrics_server_text(srv, &len);
	if (!body)
		return respond_error(wsi, 500, "internal", "out of memory");
	rc = write_response(wsi, 200, "text/plain; version=0.0.4; charset=utf-8",
			    body, len);
	free(body);
	if (rc)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int serve_file(struct server *srv, struct lws *wsi, const char *uri)
{
	unsigned char hdr[1024], *p = hdr, *end = hdr + sizeof(hdr);
	char path[PATH_MAX];
	int n;

	if (files_resolve(srv->client_root, uri, path, sizeof(path)))
		return respond_error(wsi, 404, "not_found", "no such page");
	if (add_security_headers(wsi, &p, end))
		return -1;
	n = lws_serve_http_file(wsi, path, files_mime(path), (char *)hdr,
				(int)(p - hdr));
	/* < 0: failed; > 0: done already; 0: lws streams the file. */
	if (n < 0)
		return -1;
	if (n > 0 && lws_http_transaction_completed(wsi))
		return -1;
	return 0;
}

/* Frees what one API transaction held, ready for the next. */
static void api_reset(struct http_session *hs)
{
	api_cancel(hs->call);
	free(hs->body);
	free(hs->answer);
	memset(hs, 0, sizeof(*hs));
}

/* api_reply_fn: keeps the answer and asks for the socket to be writable. */
static void api_answered(void *arg, const struct api_response *resp)
{
	struct http_session *hs = arg;

	hs->call = NULL;
	hs->answered = true;
	hs->status = resp->status;
	hs->answer = resp->text ? strdup(resp->text) : resp->body ?
		     json_dumps(resp->body, JSON_COMPACT) : NULL;
	snprintf(hs->content_type, sizeof(hs->content_type), "%s",
		 resp->content_type ? resp->content_type : "");
	snprintf(hs->set_cookie, sizeof(hs->set_cookie), "%s",
		 resp->set_cookie);
	hs->retry_after = resp->retry_after;
	snprintf(hs->disposition, sizeof(hs->disposition), "%s",
		 resp->disposition ? resp->disposition : "");
	lws_callback_on_writable(hs->wsi);
}

static int add_header(struct lws *wsi, const char *name, const char *value,
		      unsigned char **p, unsigned char *end)
{
	return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
					   (const unsigned char *)value,
					   (int)strlen(value), p, end);
}

/* Writes the kept API answer and ends the transaction. */
static int api_write(struct http_session *hs)
{
	unsigned char hdr[LWS_PRE + 2048], *start = hdr + LWS_PRE, *p = start;
	unsigned char *end = hdr + sizeof(hdr) - 1;
	struct lws *wsi = hs->wsi;
	const char *body = hs->answer ? hs->answer : "{}";
	size_t len = strlen(body);
	char retry[16];
	int rc;

	if (lws_add_http_common_headers(wsi, (unsigned)hs->status,
					hs->content_type[0] ? hs->content_type :
					"application/json", len, &p, end) ||
	    add_security_headers(wsi, &p, end) ||
	    (hs->set_cookie[0] &&
	     add_header(wsi, "set-cookie:", hs->set_cookie, &p, end)) ||
	    (hs->disposition[0] &&
	     add_header(wsi, "content-disposition:", hs->disposition, &p,
			end)))
		return -1;
	if (hs->retry_after) {
		snprintf(retry, sizeof(retry), "%d", hs->retry_after);
		if (add_header(wsi, "retry-after:", retry, &p, end))
			return -1;
	}
	if (lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	rc = write_body(wsi, body, len);
	api_reset(hs);
	hs->wsi = wsi;
	if (rc)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* Runs the API on the request gathered so far. */
static void api_run(struct server *srv, struct http_session *hs)
{
	struct api_request req = {
		.method = hs->post ? "POST" : "GET",
		.path = hs->path,
		.query = hs->query[0] ? hs->query : NULL,
		.body = hs->body,
		.body_len = hs->body_len,
		.token = hs->token[0] ? hs->token : NULL,
		.peer = hs->peer,
		.origin_ok = hs->origin_ok,
		.tls = lws_is_ssl(hs->wsi) != 0,
	};

	if (hs->body_too_big) {
		struct api_response resp = { .status = 413 };

		resp.body = json_pack("{s:{s:s, s:s}}", "error", "code",
				      "too_large", "message",
				      "the request body is too large");
		api_answered(hs, &resp);
		json_decref(resp.body);
		return;
	}
	hs->call = api_handle(srv, &req, api_answered, hs);
}

static void cookie_value(const char *cookies, const char *name, char *out,
			 size_t outlen)
{
	size_t nlen = strlen(name);

	for (const char *p = cookies; *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			size_t n = strcspn(p + nlen + 1, ";");

			if (n < outlen) {
				memcpy(out, p + nlen + 1, n);
				out[n] = '\0';
			}
			return;
		}
		p += strcspn(p, ";");
	}
}

void http_client_address(struct server *srv, struct lws *wsi, char *out,
			 size_t outlen)
{
	char fwd[512], *last, *end;
	unsigned char bin[sizeof(struct in6_addr)];
	int trusted = 0;

	lws_get_peer_simple(wsi, out, outlen);
	for (int i = 0; i < srv->cfg->ntrusted_proxies; i++)
		trusted |= !strcmp(out, srv->cfg->trusted_proxies[i]);
	if (!trusted ||
	    lws_hdr_total_length(wsi, WSI_TOKEN_X_FORWARDED_FOR) <= 0 ||
	    lws_hdr_copy(wsi, fwd, sizeof(fwd),
			 WSI_TOKEN_X_FORWARDED_FOR) <= 0)
		return;
	last = strrchr(fwd, ',');
	last = last ? last + 1 : fwd;
	while (*last == ' ' || *last == '\t')
		last++;
	end = last + strlen(last);
	while (end > last && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	/* Only an address: anything else is not what a proxy writes. */
	if ((inet_pton(AF_INET, last, bin) == 1 ||
	     inet_pton(AF_INET6, last, bin) == 1) && strlen(last) < outlen)
		snprintf(out, outlen, "%s", last);
}

void http_request_token(struct lws *wsi, char *out, size_t outlen)
{
	char buf[1024];

	out[0] = '\0';
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_COOKIE) > 0 &&
	    lws_hdr_copy(wsi, buf, sizeof(buf), WSI_TOKEN_HTTP_COOKIE) > 0)
		cookie_value(buf, API_COOKIE, out, outlen);
	if (!out[0] &&
	    lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION) > 0 &&
	    lws_hdr_copy(wsi, buf, sizeof(buf),
			 WSI_TOKEN_HTTP_AUTHORIZATION) > 0 &&
	    strncasecmp(buf, "Bearer ", 7) == 0)
		snprintf(out, outlen, "%s", buf + 7);
}

static int api_begin(struct server *srv, struct http_session *hs,
		     struct lws *wsi, const char *uri, bool post)
{
	api_reset(hs);
	hs->wsi = wsi;
	hs->post = post;
	snprintf(hs->path, sizeof(hs->path), "%s", uri);
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS) > 0 &&
	    lws_hdr_copy(wsi, hs->query, sizeof(hs->query),
			 WSI_TOKEN_HTTP_URI_ARGS) < 0)
		hs->query[0] = '\0';
	http_request_token(wsi, hs->token, sizeof(hs->token));
	http_client_address(srv, wsi, hs->peer, sizeof(hs->peer));
	hs->origin_ok = http_origin_allowed(srv, wsi);
	/* A POST answers once its body is in; one that announces no body
	 * (no Content-Length, not chunked) has an empty one. */
	if (!post ||
	    (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0 &&
	     lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) <= 0))
		api_run(srv, hs);
	return 0;
}

static int api_body(struct http_session *hs, const void *in, size_t len)
{
	char *p;

	if (!len)
		return 0;
	if (hs->body_too_big || hs->body_len + len > API_MAX_BODY) {
		hs->body_too_big = true;
		return 0;
	}
	p = realloc(hs->body, hs->body_len + len);
	if (!p)
		return -1;
	memcpy(p + hs->body_len, in, len);
	hs->body = p;
	hs->body_len += len;
	return 0;
}

static int http_request(struct server *srv, struct http_session *hs,
			struct lws *wsi, const char *uri)
{
	bool get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
	bool post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;

	if (api_owns(uri) && (get || post))
		return api_begin(srv, hs, wsi, uri, post);
	if (!get)
		return respond_error(wsi, 405, "method_not_allowed",
				     "only GET is served here");
	if (strcmp(uri, "/healthz") == 0)
		return serve_health(srv, wsi);
	if (strcmp(uri, "/metrics") == 0)
		return serve_metrics(srv, wsi);
	if (strcmp(uri, "/ws") == 0)
		return respond_error(wsi, 426, "upgrade_required",
				     "/ws speaks WebSocket (ruche.v1)");
	return serve_file(srv, wsi, uri);
}

/* True when the comma-separated header value lists token. */
static bool header_lists(const char *value, const char *token)
{
	size_t tlen = strlen(token);

	for (const char *p = value; *p;) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (strncmp(p, token, tlen) == 0 &&
		    (p[tlen] == '\0' || p[tlen] == ',' || p[tlen] == ' '))
			return true;
		while (*p && *p != ',')
			p++;
	}
	return false;
}

/*
 * Browsers always send Origin on a WebSocket upgrade; it must be this
 * server's own (scheme and Host) or one the operator allowed.  Clients
 * that are not browsers send none, and cannot be used for cross-site
 * hijacking, so they pass.
 */
bool http_origin_allowed(struct server *srv, struct lws *wsi)
{
	char origin[256], host[256], own[300];

	if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) <= 0)
		return true;
	if (lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN) < 0 ||
	    lws_hdr_copy(wsi, host, sizeof(host), WSI_TOKEN_HOST) < 0)
		return false;
	snprintf(own, sizeof(own), "%s://%s",
		 lws_is_ssl(wsi) ? "https" : "http", host);
	if (strcasecmp(origin, own) == 0)
		return true;
	for (int i = 0; i < srv->cfg->nallow_origins; i++)
		if (strcasecmp(origin, srv->cfg->allow_origins[i]) == 0)
			return true;
	return false;
}

/* Returns 0 to let the upgrade go on, 1 after answering a refusal. */
static int confirm_upgrade(struct server *srv, struct lws *wsi)
{
	char uri[64] = "", proto[256] = "";
	int rc;

	lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI);
	lws_hdr_copy(wsi, proto, sizeof(proto), WSI_TOKEN_PROTOCOL);
	if (strcmp(uri, "/ws") != 0)
		rc = write_response(wsi, 404, "text/plain", "no such socket\n",
				    15);
	else if (!header_lists(proto, PROTO_SUBPROTOCOL) ||
		 header_lists(proto, "http"))
		rc = write_response(wsi, 400, "text/plain",
				    "subprotocol ruche.v1 required\n", 30);
	else if (srv->stopping)
		rc = write_response(wsi, 503, "text/plain",
				    "shutting down\n", 14);
	else if (!http_origin_allowed(srv, wsi))
		rc = write_response(wsi, 403, "text/plain",
				    "origin not allowed\n", 19);
	else
		return 0;
	/* Not the path: one may carry a secret (an iCalendar feed's). */
	log_info("refused a WebSocket upgrade%s",
		 strcmp(uri, "/ws") ? " to another path than /ws" : "");
	return rc ? -1 : 1;
}

int http_callback(struct lws *wsi, enum lws_callback_reasons reason,
		  void *user, void *in, size_t len)
{
	struct http_session *hs = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return http_request(net_server(wsi), hs, wsi, in);
	case LWS_CALLBACK_HTTP_BODY:
		return api_body(hs, in, len);
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		api_run(net_server(wsi), hs);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return hs && hs->answered ? api_write(hs) : 0;
	case LWS_CALLBACK_CLOSED_HTTP:
		if (hs)
			api_reset(hs);
		break;
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return confirm_upgrade(net_server(wsi), wsi);
	case LWS_CALLBACK_HTTP_FILE_COMPLETION:
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		net_woken(net_server(wsi));
		break;
	default:
		break;
	}
	return 0;
}
