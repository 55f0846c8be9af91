/*
 * hquery.c - the requests of ruche-load's history mode (hquery.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hquery.h"

int hq_words_parse(struct hq_words *words, const char *p, size_t n)
{
	size_t cap = 0;
	char *o;

	memset(words, 0, sizeof(*words));
	words->text = malloc(n + 1);
	if (!words->text)
		return -1;
	o = words->text;
	for (size_t i = 0; i < n;) {
		size_t e = i, len;

		while (e < n && p[e] != '\n')
			e++;
		len = e - i;
		if (len && p[i + len - 1] == '\r')
			len--;
		if (len && p[i] != '#') {
			if (words->n == cap) {
				const char **nw;

				cap = cap ? cap * 2 : 1024;
				nw = realloc(words->w, cap * sizeof(*nw));
				if (!nw) {
					hq_words_free(words);
					return -1;
				}
				words->w = nw;
			}
			memcpy(o, p + i, len);
			o[len] = '\0';
			words->w[words->n++] = o;
			o += len + 1;
		}
		i = e + 1;
	}
	if (!words->n) {
		hq_words_free(words);
		return -1;
	}
	return 0;
}

int hq_words_load(struct hq_words *words, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;
	int rc = -1;

	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (p = malloc((size_t)n)) &&
	    fread(p, 1, (size_t)n, f) == (size_t)n)
		rc = hq_words_parse(words, p, (size_t)n);
	free(p);
	fclose(f);
	return rc;
}

void hq_words_free(struct hq_words *words)
{
	free(words->text);
	free(words->w);
	memset(words, 0, sizeof(*words));
}

size_t hq_rank(uint64_t r, size_t n)
{
	/* 53 random bits: u in [0, 1). */
	double u = (double)(r >> 11) / 9007199254740992.0;
	size_t k;

	if (n < 2)
		return 0;
	k = (size_t)exp(u * log((double)n + 1)) - 1;
	return k < n ? k : n - 1;
}

int hq_page(char *out, size_t outlen, int64_t id, int64_t channel_id,
	    int64_t before, int limit)
{
	int len;

	if (before > 0)
		len = snprintf(out, outlen,
			       "{\"id\":%lld,\"op\":\"msg.history\","
			       "\"channel_id\":%lld,\"before\":%lld,"
			       "\"limit\":%d}", (long long)id,
			       (long long)channel_id, (long long)before, limit);
	else
		len = snprintf(out, outlen,
			       "{\"id\":%lld,\"op\":\"msg.history\","
			       "\"channel_id\":%lld,\"limit\":%d}",
			       (long long)id, (long long)channel_id, limit);
	return len < 0 || (size_t)len >= outlen ? -1 : len;
}

int hq_search(char *out, size_t outlen, int64_t id, const char *const *w,
	      size_t nw, int limit)
{
	size_t o;
	int len = snprintf(out, outlen,
			   "{\"id\":%lld,\"op\":\"msg.search\",\"query\":\"",
			   (long long)id);

	if (len < 0 || (size_t)len >= outlen)
		return -1;
	o = (size_t)len;
	for (size_t i = 0; i < nw; i++) {
		if (i) {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = ' ';
		}
		for (const unsigned char *s = (const unsigned char *)w[i]; *s;
		     s++) {
			if (o + 7 >= outlen)
				return -1;
			if (*s == '"' || *s == '\\') {
				out[o++] = '\\';
				out[o++] = (char)*s;
			} else if (*s < 0x20) {
				o += (size_t)snprintf(out + o, outlen - o,
						      "\\u%04x", *s);
			} else {
				out[o++] = (char)*s;
			}
		}
	}
	len = snprintf(out + o, outlen - o, "\",\"limit\":%d}", limit);
	if (len < 0 || (size_t)len >= outlen - o)
		return -1;
	return (int)(o + (size_t)len);
}
