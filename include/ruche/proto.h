/*
 * proto.h - Ruche's wire protocol: JSON frames to requests, replies and
 * events to JSON frames.  No sockets here; see docs/protocol.md.
 *
 * Request:  {"id": 7, "op": "msg.send", ...parameters}
 * Reply:    {"re": 7, "ok": true, "data": {...}}
 *           {"re": 7, "ok": false, "error": {"code": "...", "message": "..."}}
 * Event:    {"ev": "msg.created", "pos": 1234, "data": {...}}
 *
 * A frame that cannot be read as a request gets a reply with "re": null.
 */
#ifndef RUCHE_PROTO_H
#define RUCHE_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "ruche/frame.h"

#define PROTO_VERSION 1
#define PROTO_SUBPROTOCOL "ruche.v1"
#define PROTO_MAX_ID_LEN 64	/* longest string id accepted */

/* Error codes of the envelope itself (docs/protocol.md has them all). */
#define PROTO_E_BAD_JSON "bad_json"
#define PROTO_E_BAD_REQUEST "bad_request"
#define PROTO_E_UNKNOWN_OP "unknown_op"
#define PROTO_E_INVALID_PARAM "invalid_param"
#define PROTO_E_INTERNAL "internal"

/* Why a frame or a parameter was refused: a stable code and a sentence. */
struct proto_error {
	const char *code;	/* static string, e.g. PROTO_E_BAD_JSON */
	char message[200];	/* for people; never echoes user text */
};

/* The kinds of parameter an operation takes. */
enum param_type {
	PARAM_STRING,	/* min/max bound the length in code points */
	PARAM_INT,	/* min/max bound the value */
	PARAM_BOOL,
	PARAM_OBJECT,
	PARAM_ARRAY,	/* min/max bound the number of items */
};

/* One parameter of an operation; a table ends with a NULL name. */
struct param_spec {
	const char *name;
	enum param_type type;
	bool required;
	long long min, max;	/* inclusive; both 0 means unbounded */
};

/* A request as read off the wire. */
struct request {
	json_t *root;		/* the whole object; owned, free with proto_request_release() */
	json_t *id;		/* borrowed from root: an integer or a string */
	const char *op;		/* borrowed from root */
};

/*
 * Reads one text frame as a request envelope: a JSON object (duplicate keys
 * refused) with an "id" (integer or string of at most PROTO_MAX_ID_LEN
 * bytes) and an "op" string.  On success fills req and returns 0.  On
 * failure returns RUCHE_EINVAL, fills err, and sets *id_out to the request
 * id when one could be read (a new reference, or NULL), so the caller can
 * still answer it.
 */
int proto_parse(const char *text, size_t len, struct request *req,
		json_t **id_out, struct proto_error *err);

/* Frees what proto_parse() put in req.  Safe on a zeroed request. */
void proto_request_release(struct request *req);

/*
 * Checks the request's parameters against specs: types, presence and
 * limits, and no field the operation does not know.  0, or RUCHE_EINVAL
 * with err naming the field.
 */
int proto_check_params(json_t *root, const struct param_spec *specs,
		       struct proto_error *err);

/*
 * Encoders.  Each returns a new frame with one reference (NULL when out of
 * memory).  id may be NULL, which encodes as "re": null.  data is stolen
 * (its reference passes to the encoder, even on failure); NULL means {}.
 */
struct frame *proto_reply_ok(json_t *id, json_t *data);
/* The same with data as JSON text already (len bytes). */
struct frame *proto_reply_ok_text(json_t *id, const char *data, size_t len);
struct frame *proto_reply_error(json_t *id, const char *code,
				const char *message);
/* pos < 0 leaves "pos" out, for ephemeral events such as typing. */
struct frame *proto_event(const char *ev, int64_t pos, json_t *data);

/* Encodes any JSON value compactly into a new frame; see above. */
struct frame *proto_encode(json_t *value);

#endif
