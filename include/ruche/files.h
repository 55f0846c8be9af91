/*
 * files.h - which file under the client folder a URL path names.
 *
 * Kept apart from the HTTP transport so that the rules that keep requests
 * inside the folder are unit-tested: no "..", no encoded dots, no symlink
 * out of the folder, no directories (so no listings), no hidden files.
 */
#ifndef RUCHE_FILES_H
#define RUCHE_FILES_H

#include <stddef.h>

/*
 * Maps the URL path uri (as the HTTP layer decoded it, starting with "/")
 * to a regular file under root, which must be a real path (see
 * realpath(3)).  "/" and paths ending in "/" mean their index.html.
 * Writes the file's real path into out and returns 0, or returns
 * RUCHE_ENOTFOUND for anything missing, outside root, hidden or not a
 * regular file, and RUCHE_ETOOBIG when out is too small.
 */
int files_resolve(const char *root, const char *uri, char *out, size_t outlen);

/* The Content-Type for a file name, by extension.  Never NULL. */
const char *files_mime(const char *path);

#endif
