/*
 * http.c - Ruche's HTTP side: the client's static files, GET /healthz, and
 * the vetting of WebSocket upgrades (path, subprotocol, Origin).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

static int add_security_headers(struct lws *wsi, unsigned char **p,
				unsigned char *end)
{
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

/* Writes a whole response: status, headers and a small body. */
static int write_response(struct lws *wsi, unsigned status, const char *ctype,
			  const char *body, size_t len)
{
	unsigned char hdr[LWS_PRE + 2048], *start = hdr + LWS_PRE, *p = start;
	unsigned char *end = hdr + sizeof(hdr) - 1;
	unsigned char *out;
	int rc;

	if (lws_add_http_common_headers(wsi, status, ctype, len, &p, end) ||
	    add_security_headers(wsi, &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	if (!len)
		return 0;
	out = malloc(LWS_PRE + len);
	if (!out)
		return -1;
	memcpy(out + LWS_PRE, body, len);
	rc = lws_write(wsi, out + LWS_PRE, len, LWS_WRITE_HTTP_FINAL);
	free(out);
	return rc < (int)len ? -1 : 0;
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

static int http_request(struct server *srv, struct lws *wsi, const char *uri)
{
	if (!lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI))
		return respond_error(wsi, 405, "method_not_allowed",
				     "only GET is served here");
	if (strcmp(uri, "/healthz") == 0)
		return serve_health(srv, wsi);
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
static bool origin_allowed(struct server *srv, struct lws *wsi)
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
	else if (!origin_allowed(srv, wsi))
		rc = write_response(wsi, 403, "text/plain",
				    "origin not allowed\n", 19);
	else
		return 0;
	log_info("refused a WebSocket upgrade to %s", uri);
	return rc ? -1 : 1;
}

int http_callback(struct lws *wsi, enum lws_callback_reasons reason,
		  void *user, void *in, size_t len)
{
	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return http_request(net_server(wsi), wsi, in);
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
