/* jsonw.c - compact JSON written straight into text (see jsonw.h). */
#include <stdlib.h>
#include <string.h>

#include "ruche/jsonw.h"

void jsonw_init(struct jsonw *w)
{
	memset(w, 0, sizeof(*w));
}

/* Room for n more bytes and the NUL. */
static bool room(struct jsonw *w, size_t n)
{
	size_t cap;
	char *p;

	if (w->failed)
		return false;
	if (w->cap - w->len > n)
		return true;
	cap = w->cap ? w->cap : 256;
	while (cap - w->len <= n)
		cap *= 2;
	p = realloc(w->buf, cap);
	if (!p) {
		w->failed = true;
		return false;
	}
	w->buf = p;
	w->cap = cap;
	return true;
}

void jsonw_raw(struct jsonw *w, const char *s, size_t n)
{
	if (!room(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

/* "{": after another object (an array's elements), a comma first. */
void jsonw_open(struct jsonw *w)
{
	if (w->len && w->buf[w->len - 1] == '}')
		jsonw_raw(w, ",{", 2);
	else
		jsonw_raw(w, "{", 1);
}

void jsonw_close(struct jsonw *w)
{
	jsonw_raw(w, "}", 1);
}

/* ,"key": -- no comma right after the object's "{". */
static void key(struct jsonw *w, const char *k)
{
	size_t n = strlen(k);

	if (!room(w, n + 4))
		return;
	if (w->len && w->buf[w->len - 1] != '{')
		w->buf[w->len++] = ',';
	w->buf[w->len++] = '"';
	memcpy(w->buf + w->len, k, n);
	w->len += n;
	w->buf[w->len++] = '"';
	w->buf[w->len++] = ':';
	w->buf[w->len] = '\0';
}

void jsonw_key(struct jsonw *w, const char *k)
{
	key(w, k);
}

void jsonw_array_open(struct jsonw *w)
{
	jsonw_raw(w, "[", 1);
}

void jsonw_array_close(struct jsonw *w)
{
	jsonw_raw(w, "]", 1);
}

void jsonw_int(struct jsonw *w, const char *k, int64_t v)
{
	char num[24], *p = num + sizeof(num);
	/* Digits from the right, of the magnitude as unsigned: INT64_MIN
	 * has no positive int64_t. */
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	key(w, k);
	jsonw_raw(w, p, (size_t)(num + sizeof(num) - p));
}

void jsonw_bool(struct jsonw *w, const char *k, bool v)
{
	key(w, k);
	if (v)
		jsonw_raw(w, "true", 4);
	else
		jsonw_raw(w, "false", 5);
}

/* The string with what JSON must escape escaped, as jansson does it. */
static void string(struct jsonw *w, const char *v)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)v;
	const unsigned char *run = s;

	jsonw_raw(w, "\"", 1);
	for (;; s++) {
		char esc[6] = "\\u00";
		size_t n = 2;

		if (*s >= 0x20 && *s != '"' && *s != '\\')
			continue;
		jsonw_raw(w, (const char *)run, (size_t)(s - run));
		if (!*s)
			break;
		switch (*s) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[4] = hex[*s >> 4];
			esc[5] = hex[*s & 15];
			n = 6;
		}
		jsonw_raw(w, esc, n);
		run = s + 1;
	}
	jsonw_raw(w, "\"", 1);
}

void jsonw_str(struct jsonw *w, const char *k, const char *v)
{
	key(w, k);
	string(w, v);
}

void jsonw_json(struct jsonw *w, const char *k, const char *json, size_t n)
{
	key(w, k);
	jsonw_raw(w, json, n);
}

char *jsonw_finish(struct jsonw *w, size_t *len)
{
	char *text = w->failed ? NULL : w->buf;

	if (!text)
		free(w->buf);
	else if (len)
		*len = w->len;
	jsonw_init(w);
	return text;
}
