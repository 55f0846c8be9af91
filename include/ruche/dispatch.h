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

/* An operation of the protocol, as listed in the table. */
struct op_def {
	const char *name;		/* e.g. "hello" */
	int (*handler)(struct conn *c, json_t *params, json_t **data,
		       struct proto_error *err);
	const struct param_spec *params; /* NULL-terminated list */
};

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
