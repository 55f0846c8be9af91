/*
 * jscan.c - reading a few fields out of JSON text without parsing it.
 *
 * The generator reads tens of thousands of server messages a second on a
 * machine it shares with the server; a full JSON parse of each would cost
 * the server CPU time it needs.  The shapes are known (docs/protocol.md
 * for Ruche), so looking for a key is enough.
 */
#include <string.h>

#include "load.h"

static const char *find_key(const char *p, size_t n, const char *key)
{
	char pat[64];
	size_t kl = strlen(key);
	const char *at;

	if (kl + 3 > sizeof(pat))
		return NULL;
	pat[0] = '"';
	memcpy(pat + 1, key, kl);
	pat[kl + 1] = '"';
	pat[kl + 2] = ':';
	at = memmem(p, n, pat, kl + 3);
	return at ? at + kl + 3 : NULL;
}

int js_int(const char *p, size_t n, const char *key, int64_t *v)
{
	const char *s = find_key(p, n, key), *end = p + n;
	bool neg = false;
	int64_t x = 0;

	if (!s)
		return -1;
	while (s < end && *s == ' ')
		s++;
	if (s < end && *s == '-') {
		neg = true;
		s++;
	}
	if (s >= end || *s < '0' || *s > '9')
		return -1;
	while (s < end && *s >= '0' && *s <= '9')
		x = x * 10 + (*s++ - '0');
	*v = neg ? -x : x;
	return 0;
}

int js_str(const char *p, size_t n, const char *key, const char **s,
	   size_t *sn)
{
	const char *v = find_key(p, n, key), *end = p + n, *q;

	if (!v)
		return -1;
	while (v < end && *v == ' ')
		v++;
	if (v >= end || *v != '"')
		return -1;
	v++;
	for (q = v; q < end && *q != '"'; q++)
		if (*q == '\\')
			q++;
	if (q >= end)
		return -1;
	*s = v;
	*sn = (size_t)(q - v);
	return 0;
}

bool js_has(const char *p, size_t n, const char *needle)
{
	return memmem(p, n, needle, strlen(needle)) != NULL;
}
