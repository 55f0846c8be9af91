/*
 * store.c - what every storage backend of store.h shares.
 *
 * store_open() picks the backend from where the database is: a
 * postgres:// (or postgresql://) address opens PostgreSQL (store_pg.c),
 * anything else is an SQLite file (store_sqlite.c).  Every other call on
 * a struct store goes to its backend's operations (store_ops.h).  The
 * rest of this file frees what the store hands out, the same for both.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruche/err.h"
#include "ruche/store.h"
#include "store_ops.h"

bool store_is_postgres(const char *where)
{
	return where && (strncmp(where, "postgres://", 11) == 0 ||
			 strncmp(where, "postgresql://", 13) == 0);
}

int store_open_with(const char *path, const struct store_migration *mig,
		    int nmig, struct store **out, char *err, size_t errlen)
{
	if (store_is_postgres(path))
		return pg_store_open(path, mig, nmig, out, err, errlen);
	return sqlite_store_open(path, mig, nmig, out, err, errlen);
}

int store_open(const char *path, struct store **out, char *err, size_t errlen)
{
	if (store_is_postgres(path))
		return pg_store_open(path, store_pg_migrations,
				     store_pg_nmigrations, out, err, errlen);
	return sqlite_store_open(path, store_migrations, store_nmigrations,
				 out, err, errlen);
}

/* Appends n bytes of s to out (len bytes, *o used), cutting at the end. */
static void put(char *out, size_t len, size_t *o, const char *s, size_t n)
{
	if (*o + n >= len)
		n = len - 1 - *o;
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
}

void store_where_shown(const char *where, char *out, size_t len)
{
	const char *auth, *p;
	size_t o = 0, n;

	if (!len)
		return;
	out[0] = '\0';
	if (!store_is_postgres(where)) {
		put(out, len, &o, where, strlen(where));
		return;
	}
	/* postgres://user:secret@host/db: the user, not the secret. */
	auth = strstr(where, "://") + 3;
	n = strcspn(auth, "/?");
	p = memchr(auth, '@', n);
	put(out, len, &o, where, (size_t)(auth - where));
	if (p && memchr(auth, ':', (size_t)(p - auth))) {
		put(out, len, &o, auth, strcspn(auth, ":"));
		put(out, len, &o, ":***", 4);
		auth = p;
		n = strcspn(auth, "/?");
	}
	put(out, len, &o, auth, n);
	/* ...?password=secret&...: the same. */
	for (p = auth + n; *p; ) {
		n = 1 + strcspn(p + 1, "?&");
		if (strncmp(p + 1, "password=", 9) == 0) {
			put(out, len, &o, p, 10);
			put(out, len, &o, "***", 3);
		} else {
			put(out, len, &o, p, n);
		}
		p += n;
	}
}

bool store_schema_newer(int have, int known, char *err, size_t errlen)
{
	if (have <= known)
		return false;
	snprintf(err, errlen, "the database has schema version %d but this "
		 "ruche only knows up to %d: run a newer ruche", have, known);
	return true;
}

const char *store_next_word(const char **q, size_t *len)
{
	const char *w = *q;

	while (*w && isspace((unsigned char)*w))
		w++;
	*len = 0;
	while (w[*len] && !isspace((unsigned char)w[*len]))
		(*len)++;
	*q = w + *len;
	return *len ? w : NULL;
}

/* A backend's struct store begins with its operations. */
static const struct store_ops *ops(struct store *st)
{
	return *(const struct store_ops *const *)st;
}

const char *store_backend(struct store *st)
{
	return ops(st)->name;
}

void store_close(struct store *st)
{
	if (st)
		ops(st)->close(st);
}

bool store_dirty(struct store *st)
{
	return st && ops(st)->dirty(st);
}

#define DISPATCH(ret, name, params, args) \
	ret store_##name params { return ops(st)->name args; }
#define DISPATCH_VOID(name, params, args) \
	void store_##name params { ops(st)->name args; }
STORE_OPS(DISPATCH, DISPATCH_VOID)

const char *role_name(enum role r)
{
	return r == ROLE_MENTOR ? "mentor" : r == ROLE_LEARNER ? "learner" :
	       "none";
}

enum role role_parse(const char *s)
{
	if (s && strcmp(s, "mentor") == 0)
		return ROLE_MENTOR;
	if (s && strcmp(s, "learner") == 0)
		return ROLE_LEARNER;
	return ROLE_NONE;
}

static const char *const kind_names[] = { "chat", "announce", "direct" };

const char *channel_kind_name(enum channel_kind k)
{
	return kind_names[k];
}

enum channel_kind store_kind_parse(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (s && strcmp(s, kind_names[i]) == 0)
			return (enum channel_kind)i;
	return CHANNEL_CHAT;
}

void store_msg_release(struct store_message *m)
{
	if (m) {
		free(m->body);
		m->body = NULL;
	}
}

void store_msg_list_free(struct store_message *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i].body);
	free(list);
}

void store_event_list_free(struct store_event *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i].data);
	free(list);
}

void store_hit_list_free(struct store_hit *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i].excerpt);
	free(list);
}

void store_meetup_release(struct store_meetup *m)
{
	if (!m)
		return;
	free(m->script);
	m->script = NULL;
}

void store_meetup_list_free(struct store_meetup *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		store_meetup_release(&v[i]);
	free(v);
}

void store_script_release(struct store_script *x)
{
	if (!x)
		return;
	free(x->script);
	x->script = NULL;
}

void store_feedback_list_free(struct store_feedback *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].comment);
	free(v);
}

void store_sched_release(struct store_sched *x)
{
	if (x) {
		free(x->text);
		x->text = NULL;
	}
}

void store_sched_list_free(struct store_sched *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		store_sched_release(&v[i]);
	free(v);
}

void store_pairing_release(struct store_pairing *p)
{
	if (p) {
		free(p->prompt);
		p->prompt = NULL;
	}
}

void store_pairing_list_free(struct store_pairing *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		store_pairing_release(&v[i]);
	free(v);
}
