/* utf8.c - strict UTF-8 validation (RFC 3629). */
#include <string.h>

#include "ruche/utf8.h"

bool utf8_valid(const void *s, size_t len)
{
	const unsigned char *p = s, *end = p + len;

	while (p < end) {
		unsigned char c = *p;
		size_t n;
		unsigned lo = 0x80, hi = 0xBF;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			if (c == 0xE0)
				lo = 0xA0;	/* no overlong forms */
			else if (c == 0xED)
				hi = 0x9F;	/* no surrogates */
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			if (c == 0xF0)
				lo = 0x90;	/* no overlong forms */
			else if (c == 0xF4)
				hi = 0x8F;	/* nothing past U+10FFFF */
		} else {
			return false;
		}
		if ((size_t)(end - p) <= n)
			return false;
		if (p[1] < lo || p[1] > hi)
			return false;
		for (size_t i = 2; i <= n; i++)
			if ((p[i] & 0xC0) != 0x80)
				return false;
		p += n + 1;
	}
	return true;
}

void utf8_tame(char *s)
{
	size_t len = strlen(s);

	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		size_t n = 1;

		if (c >= 0x80) {
			/* The longest well-formed sequence here, if any. */
			for (n = 2; n <= 4 && i + n <= len; n++)
				if (utf8_valid(s + i, n))
					break;
			if (n > 4 || i + n > len) {
				s[i] = '?';
				n = 1;
			}
		} else if (c < 0x20 || c == 0x7F) {
			s[i] = '?';
		}
		i += n;
	}
}

size_t utf8_count(const void *s, size_t len)
{
	const unsigned char *p = s;
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if ((p[i] & 0xC0) != 0x80)
			n++;
	return n;
}
