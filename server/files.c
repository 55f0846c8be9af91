/* files.c - URL paths to files under the client folder, safely. */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ruche/err.h"
#include "ruche/files.h"

/*
 * True when the path has no segment that is empty of meaning or hidden:
 * "..", ".", or anything starting with a dot (".git", ".env").  The HTTP
 * layer has already decoded %2e, so encoded dots arrive here as dots.
 */
static bool segments_ok(const char *uri)
{
	const char *p = uri;

	while (*p) {
		while (*p == '/')
			p++;
		if (*p == '.')
			return false;
		while (*p && *p != '/')
			p++;
	}
	return true;
}

int files_resolve(const char *root, const char *uri, char *out, size_t outlen)
{
	char joined[PATH_MAX], real[PATH_MAX];
	size_t rootlen = strlen(root), n;
	struct stat st;

	if (uri[0] != '/' || strchr(uri, '\\') || strchr(uri, '%') ||
	    !segments_ok(uri))
		return RUCHE_ENOTFOUND;
	n = (size_t)snprintf(joined, sizeof(joined), "%s%s%s", root, uri,
			     uri[strlen(uri) - 1] == '/' ? "index.html" : "");
	if (n >= sizeof(joined))
		return RUCHE_ENOTFOUND;
	/* realpath() follows symlinks: what it names must still be inside. */
	if (!realpath(joined, real))
		return RUCHE_ENOTFOUND;
	if (strncmp(real, root, rootlen) != 0 || real[rootlen] != '/')
		return RUCHE_ENOTFOUND;
	if (stat(real, &st) || !S_ISREG(st.st_mode))
		return RUCHE_ENOTFOUND;
	if (strlen(real) >= outlen)
		return RUCHE_ETOOBIG;
	memcpy(out, real, strlen(real) + 1);
	return 0;
}

static const struct {
	const char *ext;
	const char *mime;
} mimes[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".woff2", "font/woff2" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".webmanifest", "application/manifest+json" },
};

const char *files_mime(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (dot && !strchr(dot, '/'))
		for (unsigned i = 0; i < sizeof(mimes) / sizeof(mimes[0]); i++)
			if (strcmp(dot, mimes[i].ext) == 0)
				return mimes[i].mime;
	return "application/octet-stream";
}
