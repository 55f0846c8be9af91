/*
 * dispatch.h - from a request to its handler, and the reply back.
 *
 * One table (in dispatch.c) lists every operation: its name, handler, who
 * may call it and its parameters.  dispatch validates the envelope and the
 * parameters against that table before a handler runs, so a handler
 * receives arguments that are already valid, and answers exactly once.
 */
#ifndef RUCHE_DISPATCH_H
#define RUCHE_DISPATCH_H

#include <stddef.h>
#include <jansson.h>

#include "ruche/proto.h"

struct conn;
struct server;

/* Who may call an operation, checked before its handler runs. */
enum op_access {
	OP_PUBLIC,	/* anyone, before authenticating too */
	OP_USER,	/* an authenticated user (hive roles: the handler) */
	OP_ADMIN,	/* an admin */
};

/*
 * A handler returns 0 with *data set (NULL means {}), a negative RUCHE_E*
 * code (err->code may name a more precise protocol code), or OP_LATER
 * after dispatch_defer(): it will answer later with dispatch_answer().
 */
#define OP_LATER 1

typedef int op_handler(struct conn *c, json_t *params, json_t **data,
		       struct proto_error *err);

/* An operation of the protocol, as listed in the table. */
struct op_def {
	const char *name;		/* e.g. "hello" */
	op_handler *handler;
	const struct param_spec *params; /* NULL-terminated list */
	enum op_access access;
};

/* A reply owed to a request whose handler returned OP_LATER. */
struct pending;

/*
 * From inside a handler: keeps what is needed to answer the current
 * request later, even if the connection has gone by then.  NULL when out
 * of memory (the handler then fails with RUCHE_ENOMEM).
 */
struct pending *dispatch_defer(struct conn *c);

/*
 * Answers a deferred request (if its connection is still open) with data
 * (stolen; NULL means {}) when rc is 0, or the error rc.  Frees p.
 */
void dispatch_answer(struct server *srv, struct pending *p, int rc,
		     json_t *data);

/* The connection a deferred request came from, or NULL if it has gone. */
struct conn *dispatch_pending_conn(struct server *srv, struct pending *p);

/*
 * Handles one complete text message from c: parses it, checks it, runs the
 * handler and queues exactly one reply on c.  The text is valid UTF-8.
 */
void dispatch_message(struct conn *c, const char *text, size_t len);

/* The operation named op, or NULL. */
const struct op_def *dispatch_find(const char *op);

/* Every operation, for docs and schema checks; ends with a NULL name. */
extern const struct op_def dispatch_ops[];

#endif
