/*
 * fuzz_http - the text the browser client's other server-side counterpart
 * reads and writes, besides the WebSocket protocol: the HTTP API (api.h:
 * login, logout, invite, signup, export, the audit log as CSV or JSON, the
 * iCalendar feed's path), the mapping of URL paths to files of the client
 * folder (files.h), and the iCalendar text made from meetup titles (ics.h).
 *
 * Input: a byte that picks what is fuzzed, then fields separated by 0x1e.
 *
 *	kind % 8 = 0..3  an API request (method, path, query, body) with the
 *	                 session of nobody, ada, mentor or root
 *	         = 4     files_resolve(client folder, field 0)
 *	         = 5     ics_escape() then ics_fold() of field 0
 *	         = 6     an API request from another site (Origin refused)
 *	         = 7     an API request over TLS with ada's session
 *
 * Beyond the sanitizers: every request is answered exactly once with a
 * real status, a JSON object or a text body, and no header value holds a
 * line break; a file found is a real path inside the folder, not hidden;
 * escaped text holds no bare line break or separator, and folded lines
 * are CRLF-terminated, at most 75 octets, never cut inside a UTF-8
 * sequence, and unfold to the line they came from.
 *
 * The world has no worker threads (srv.jobs is NULL), so logins and
 * sign-ups hash on the caller and answer before api_handle() returns.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruche/api.h"
#include "ruche/err.h"
#include "ruche/files.h"
#include "ruche/ics.h"
#include "ruche/utf8.h"
#include "world.h"

#define SEPARATOR 0x1e
#define NFIELDS 4

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char client_root[PATH_MAX];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	world_global_init();
	if (!realpath(RUCHE_CLIENT_DIR, client_root)) {
		perror(RUCHE_CLIENT_DIR);
		abort();
	}
	return 0;
}

static void fail(const char *why)
{
	fprintf(stderr, "http: %s\n", why);
	abort();
}

/* Splits data into NUL-terminated copies of up to NFIELDS fields. */
static void split(const uint8_t *data, size_t size, char *f[NFIELDS],
		  size_t len[NFIELDS])
{
	const uint8_t *p = data, *end = data + size;

	for (int i = 0; i < NFIELDS; i++) {
		const uint8_t *sep = p < end ?
			memchr(p, SEPARATOR, (size_t)(end - p)) : NULL;
		size_t n = p < end ? (size_t)((sep ? sep : end) - p) : 0;

		f[i] = malloc(n + 1);
		if (!f[i])
			abort();
		memcpy(f[i], p, n);
		f[i][n] = '\0';
		len[i] = n;
		p = sep ? sep + 1 : end;
	}
}

static bool has_break(const char *s)
{
	return s && strpbrk(s, "\r\n");
}

static void on_reply(void *arg, const struct api_response *resp)
{
	int *answers = arg;

	(*answers)++;
	if (resp->status < 100 || resp->status > 599)
		fail("a status that is not HTTP");
	if (!resp->body == !resp->text)
		fail("a body that is neither JSON nor text, or both");
	if (resp->body && !json_is_object(resp->body) &&
	    !json_is_array(resp->body))
		fail("a JSON body that is not an object or an array");
	if (resp->text && !resp->content_type)
		fail("a text body without a Content-Type");
	if (has_break(resp->set_cookie) || has_break(resp->disposition) ||
	    has_break(resp->content_type))
		fail("a line break in a header value");
	if (resp->retry_after < 0)
		fail("a negative Retry-After");
}

static void fuzz_api(const uint8_t *data, size_t size, int64_t user,
		     bool origin_ok, bool tls)
{
	static const char *const methods[] = { "GET", "POST" };
	char *f[NFIELDS], token[AUTH_TOKEN_LEN + 1];
	size_t len[NFIELDS];
	struct api_request req = { 0 };
	struct world w;
	int answers = 0;

	split(data, size, f, len);
	world_init(&w, false);
	if (user)
		world_token(&w, user, token);
	/* A method the HTTP layer would pass on: the fuzzer's, when short. */
	req.method = len[0] && len[0] < 8 ? f[0] : methods[size & 1];
	req.path = f[1][0] == '/' ? f[1] : "/api/login";
	req.query = len[2] ? f[2] : NULL;
	req.body = f[3];
	req.body_len = len[3] > API_MAX_BODY ? API_MAX_BODY : len[3];
	req.token = user ? token : NULL;
	req.peer = "192.0.2.1";
	req.origin_ok = origin_ok;
	req.tls = tls;
	/* Without worker threads the answer comes before the return, and
	 * the call it returns is already spent: not ours to touch. */
	(void)api_handle(&w.srv, &req, on_reply, &answers);
	if (answers != 1)
		fail("a request not answered exactly once");
	world_drain(&w);
	world_release(&w);
	for (int i = 0; i < NFIELDS; i++)
		free(f[i]);
}

static void fuzz_files(const char *uri)
{
	char out[PATH_MAX], real[PATH_MAX];
	size_t n = strlen(client_root);
	int rc = files_resolve(client_root, uri, out, sizeof(out));

	if (rc == RUCHE_ENOTFOUND || rc == RUCHE_ETOOBIG)
		return;
	if (rc)
		fail("files_resolve: an unexpected return code");
	if (strncmp(out, client_root, n) || out[n] != '/')
		fail("a file outside the client folder");
	if (!realpath(out, real) || strcmp(real, out))
		fail("a file that is not its own real path");
	if (strstr(out + n, "/."))
		fail("a hidden file");
}

/* Checks that ics_escape() left no bare break or separator. */
static void check_escaped(const char *e)
{
	for (const char *p = e; *p; p++) {
		if (*p == '\\') {
			p++;
			if (!*p || !strchr("\\,;n", *p))
				fail("ics: a backslash escaping nothing");
		} else if (*p == ',' || *p == ';' || *p == '\n' ||
			   *p == '\r') {
			fail("ics: a separator or line break not escaped");
		}
	}
}

static void check_folded(const char *line, const char *folded)
{
	size_t n = strlen(line);
	char *unfolded = malloc(n + 1);
	size_t u = 0;
	const char *p = folded;
	bool first = true;

	if (!unfolded)
		abort();
	while (*p) {
		const char *crlf = strstr(p, "\r\n");
		size_t len;

		if (!crlf)
			fail("ics: a line not ended by CRLF");
		len = (size_t)(crlf - p);
		if (len > 75)
			fail("ics: a line over 75 octets");
		if (!utf8_valid(p, len))
			fail("ics: a folded line cuts a UTF-8 sequence");
		if (!first) {
			if (*p != ' ')
				fail("ics: a continuation without a space");
			p++;
			len--;
		}
		if (u + len > n)
			fail("ics: folding added text");
		memcpy(unfolded + u, p, len);
		u += len;
		p = crlf + 2;
		first = false;
	}
	if (u != n || memcmp(unfolded, line, n))
		fail("ics: unfolding does not give the line back");
	free(unfolded);
}

static void fuzz_ics(const char *text, size_t len)
{
	char *e, *line, *folded;

	/* Meetup titles are valid UTF-8 without NUL: so is the input. */
	if (strlen(text) != len || !utf8_valid(text, len))
		return;
	e = ics_escape(text);
	if (!e)
		return;
	check_escaped(e);
	line = malloc(strlen(e) + 9);
	if (!line)
		abort();
	strcpy(line, "SUMMARY:");
	strcat(line, e);
	folded = ics_fold(line);
	if (folded)
		check_folded(line, folded);
	free(folded);
	free(line);
	free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t users[] = { 0, WORLD_ADA, WORLD_MENTOR,
					 WORLD_ROOT };
	char *f[NFIELDS];
	size_t len[NFIELDS];
	int kind;

	if (size < 1)
		return 0;
	kind = data[0] % 8;
	data++;
	size--;
	if (kind < 4) {
		fuzz_api(data, size, users[kind], true, false);
		return 0;
	}
	if (kind == 6 || kind == 7) {
		fuzz_api(data, size, kind == 7 ? WORLD_ADA : 0, kind == 7,
			 kind == 7);
		return 0;
	}
	split(data, size, f, len);
	if (kind == 4)
		fuzz_files(f[0]);
	else
		fuzz_ics(f[0], len[0]);
	for (int i = 0; i < NFIELDS; i++)
		free(f[i]);
	return 0;
}
