/* frame.c - reference-counted encoded frames. */
#include <stdlib.h>
#include <string.h>

#include "ruche/frame.h"

struct frame *frame_new(size_t len)
{
	struct frame *f = malloc(sizeof(*f) + FRAME_PRE + len + 1);

	if (!f)
		return NULL;
	f->refs = 1;
	f->len = len;
	f->data[FRAME_PRE + len] = '\0';
	return f;
}

struct frame *frame_from(const char *s, size_t len)
{
	struct frame *f = frame_new(len);

	if (f)
		memcpy(frame_payload(f), s, len);
	return f;
}

int frame_append(struct frame **fp, size_t *cap, const void *s, size_t n)
{
	struct frame *f = *fp;

	if (n > *cap - f->len) {
		size_t want = f->len + n, room = *cap * 2 > want ? *cap * 2 :
								  want;

		f = realloc(f, sizeof(*f) + FRAME_PRE + room + 1);
		if (!f)
			return -1;
		*fp = f;
		*cap = room;
	}
	memcpy(frame_payload(f) + f->len, s, n);
	f->len += n;
	frame_payload(f)[f->len] = '\0';
	return 0;
}

struct frame *frame_ref(struct frame *f)
{
	f->refs++;
	return f;
}

void frame_unref(struct frame *f)
{
	if (f && --f->refs == 0)
		free(f);
}
