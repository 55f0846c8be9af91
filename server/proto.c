/* proto.c - the JSON envelope of Ruche's protocol. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruche/err.h"
#include "ruche/jsonw.h"
#include "ruche/proto.h"
#include "ruche/utf8.h"

static int fail(struct proto_error *err, const char *code, const char *msg)
{
	err->code = code;
	snprintf(err->message, sizeof(err->message), "%s", msg);
	return RUCHE_EINVAL;
}

static bool id_valid(json_t *id)
{
	if (json_is_integer(id))
		return true;
	return json_is_string(id) && json_string_length(id) <= PROTO_MAX_ID_LEN;
}

int proto_parse(const char *text, size_t len, struct request *req,
		json_t **id_out, struct proto_error *err)
{
	json_error_t jerr;
	json_t *root, *id, *op;

	memset(req, 0, sizeof(*req));
	*id_out = NULL;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
			  &jerr);
	if (!root) {
		/* The reader quotes the text near the error and may cut a
		 * character in two: a message that is not UTF-8 could not
		 * be encoded, and the peer would get no reply. */
		utf8_tame(jerr.text);
		err->code = PROTO_E_BAD_JSON;
		snprintf(err->message, sizeof(err->message),
			 "not valid JSON: %s at character %d", jerr.text,
			 jerr.position);
		return RUCHE_EINVAL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		return fail(err, PROTO_E_BAD_REQUEST,
			    "a request must be a JSON object");
	}
	id = json_object_get(root, "id");
	if (!id || !id_valid(id)) {
		json_decref(root);
		return fail(err, PROTO_E_BAD_REQUEST, id ?
			    "\"id\" must be an integer or a short string" :
			    "a request needs an \"id\"");
	}
	op = json_object_get(root, "op");
	if (!json_is_string(op)) {
		*id_out = json_incref(id);
		json_decref(root);
		return fail(err, PROTO_E_BAD_REQUEST, op ?
			    "\"op\" must be a string" :
			    "a request needs an \"op\"");
	}
	req->root = root;
	req->id = id;
	req->op = json_string_value(op);
	return 0;
}

void proto_request_release(struct request *req)
{
	json_decref(req->root);
	memset(req, 0, sizeof(*req));
}

static const char *type_name(enum param_type t)
{
	switch (t) {
	case PARAM_STRING: return "a string";
	case PARAM_INT: return "an integer";
	case PARAM_BOOL: return "a boolean";
	case PARAM_OBJECT: return "an object";
	case PARAM_ARRAY: return "an array";
	}
	return "?";
}

static bool type_ok(json_t *v, enum param_type t)
{
	switch (t) {
	case PARAM_STRING: return json_is_string(v);
	case PARAM_INT: return json_is_integer(v);
	case PARAM_BOOL: return json_is_boolean(v);
	case PARAM_OBJECT: return json_is_object(v);
	case PARAM_ARRAY: return json_is_array(v);
	}
	return false;
}

/* The measure that min/max bound for a value of type t. */
static long long measure(json_t *v, enum param_type t)
{
	switch (t) {
	case PARAM_STRING:
		return (long long)utf8_count(json_string_value(v),
					     json_string_length(v));
	case PARAM_INT: return json_integer_value(v);
	case PARAM_ARRAY: return (long long)json_array_size(v);
	default: return 0;
	}
}

static int check_one(json_t *v, const struct param_spec *p,
		     struct proto_error *err)
{
	long long m;

	err->code = PROTO_E_INVALID_PARAM;
	if (!type_ok(v, p->type)) {
		snprintf(err->message, sizeof(err->message),
			 "\"%s\" must be %s", p->name, type_name(p->type));
		return RUCHE_EINVAL;
	}
	if (p->min == 0 && p->max == 0)
		return 0;
	m = measure(v, p->type);
	if (m >= p->min && m <= p->max)
		return 0;
	switch (p->type) {
	case PARAM_STRING:
		snprintf(err->message, sizeof(err->message),
			 "\"%s\" must be %lld to %lld characters long",
			 p->name, p->min, p->max);
		break;
	case PARAM_ARRAY:
		snprintf(err->message, sizeof(err->message),
			 "\"%s\" must have %lld to %lld items", p->name,
			 p->min, p->max);
		break;
	default:
		snprintf(err->message, sizeof(err->message),
			 "\"%s\" must be between %lld and %lld", p->name,
			 p->min, p->max);
	}
	return RUCHE_EINVAL;
}

int proto_check_params(json_t *root, const struct param_spec *specs,
		       struct proto_error *err)
{
	const char *key;
	json_t *v;

	json_object_foreach(root, key, v) {
		const struct param_spec *p;

		if (strcmp(key, "id") == 0 || strcmp(key, "op") == 0)
			continue;
		for (p = specs; p && p->name; p++)
			if (strcmp(p->name, key) == 0)
				break;
		if (!p || !p->name) {
			err->code = PROTO_E_INVALID_PARAM;
			snprintf(err->message, sizeof(err->message),
				 "unknown field \"%.40s\"", key);
			return RUCHE_EINVAL;
		}
		if (check_one(v, p, err))
			return RUCHE_EINVAL;
	}
	for (const struct param_spec *p = specs; p && p->name; p++) {
		if (p->required && !json_object_get(root, p->name)) {
			err->code = PROTO_E_INVALID_PARAM;
			snprintf(err->message, sizeof(err->message),
				 "\"%s\" is required", p->name);
			return RUCHE_EINVAL;
		}
	}
	return 0;
}

/* Where json_dump_callback() writes: a frame that grows. */
struct frame_writer {
	struct frame *f;
	size_t cap;
};

static int write_frame(const char *s, size_t n, void *data)
{
	struct frame_writer *w = data;

	return frame_append(&w->f, &w->cap, s, n);
}

/* Most replies and events fit: one allocation, one pass over value. */
#define ENCODE_GUESS 512

struct frame *proto_encode(json_t *value)
{
	struct frame_writer w = { frame_new(ENCODE_GUESS), ENCODE_GUESS };

	if (!w.f)
		return NULL;
	w.f->len = 0;
	if (json_dump_callback(value, write_frame, &w, JSON_COMPACT) ||
	    w.f->len == 0) {
		frame_unref(w.f);
		return NULL;
	}
	return w.f;
}

/* Builds {"re": id, "ok": ok, key: val} and encodes it; val is stolen. */
static struct frame *reply(json_t *id, bool ok, const char *key, json_t *val)
{
	json_t *o = json_object();
	struct frame *f = NULL;

	if (o && val &&
	    !json_object_set(o, "re", id ? id : json_null()) &&
	    !json_object_set_new(o, "ok", json_boolean(ok)) &&
	    !json_object_set(o, key, val))
		f = proto_encode(o);
	json_decref(val);
	json_decref(o);
	return f;
}

struct frame *proto_reply_ok(json_t *id, json_t *data)
{
	return reply(id, true, "data", data ? data : json_object());
}

struct frame *proto_reply_ok_text(json_t *id, const char *data, size_t len)
{
	char *re = json_dumps(id ? id : json_null(),
			      JSON_COMPACT | JSON_ENCODE_ANY);
	struct frame *f = NULL;
	struct jsonw w;
	char *text;
	size_t n;

	if (!re)
		return NULL;
	jsonw_init(&w);
	jsonw_open(&w);
	jsonw_json(&w, "re", re, strlen(re));
	jsonw_bool(&w, "ok", true);
	jsonw_json(&w, "data", data, len);
	jsonw_close(&w);
	text = jsonw_finish(&w, &n);
	if (text)
		f = frame_from(text, n);
	free(text);
	free(re);
	return f;
}

struct frame *proto_reply_error(json_t *id, const char *code,
				const char *message)
{
	return reply(id, false, "error",
		     json_pack("{s:s, s:s}", "code", code, "message", message));
}

struct frame *proto_event(const char *ev, int64_t pos, json_t *data)
{
	json_t *o = json_object();
	struct frame *f = NULL;

	if (!data)
		data = json_object();
	if (o && data && !json_object_set_new(o, "ev", json_string(ev)) &&
	    (pos < 0 || !json_object_set_new(o, "pos", json_integer(pos))) &&
	    !json_object_set(o, "data", data))
		f = proto_encode(o);
	json_decref(data);
	json_decref(o);
	return f;
}
