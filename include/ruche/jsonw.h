/*
 * jsonw.h - compact JSON written straight into text.
 *
 * For the few objects on the path of every chat message (the message
 * itself, in its event and in the reply to its sender), building a
 * jansson tree only to dump it again cost more than storing the message;
 * for a page of history, a third of the server's work.
 * A writer appends members one by one to a growing buffer instead; its
 * output is what json_dumps(..., JSON_COMPACT) gives for the same members
 * in the same order.
 *
 * Errors stick: once out of memory every call does nothing and
 * jsonw_finish() returns NULL, so a caller checks once, at the end.
 */
#ifndef RUCHE_JSONW_H
#define RUCHE_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jsonw {
	char *buf;	/* owned until jsonw_finish(); NUL-terminated */
	size_t len, cap;
	bool failed;	/* out of memory: the text is lost */
};

void jsonw_init(struct jsonw *w);

/* Appends s[0..n-1] as it is: JSON the caller vouches for. */
void jsonw_raw(struct jsonw *w, const char *s, size_t n);

/* "{" and "}"; members are separated by commas as they come, and so
 * are objects one after the other in an array. */
void jsonw_open(struct jsonw *w);
void jsonw_close(struct jsonw *w);

/* An array of objects: "[", the objects, "]".  jsonw_key() starts the
 * member that holds it. */
void jsonw_key(struct jsonw *w, const char *key);
void jsonw_array_open(struct jsonw *w);
void jsonw_array_close(struct jsonw *w);

/* A member "key": value of an open object; key is plain ASCII. */
void jsonw_int(struct jsonw *w, const char *key, int64_t v);
void jsonw_bool(struct jsonw *w, const char *key, bool v);
/* v is valid UTF-8 (Ruche checks text as it comes in). */
void jsonw_str(struct jsonw *w, const char *key, const char *v);
/* A member whose value is JSON text already (json, n bytes). */
void jsonw_json(struct jsonw *w, const char *key, const char *json,
		size_t n);

/* The text, owned by the caller (free()), and its length; NULL when out
 * of memory.  The writer is empty again either way. */
char *jsonw_finish(struct jsonw *w, size_t *len);

#endif
