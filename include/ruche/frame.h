/*
 * frame.h - an encoded outbound message, shared by every recipient.
 *
 * A reply or an event is encoded to JSON once into a frame; the same frame
 * is then queued to every connection that should see it, each queue holding
 * a reference.  The bytes are immutable once built.
 *
 * FRAME_PRE bytes of head room sit before the payload so that the transport
 * can write its WebSocket header in place without copying (ws.c checks that
 * this is at least libwebsockets' LWS_PRE).
 */
#ifndef RUCHE_FRAME_H
#define RUCHE_FRAME_H

#include <stddef.h>

#define FRAME_PRE 16

struct frame {
	unsigned refs;		/* references held; freed when it drops to 0 */
	size_t len;		/* payload bytes, not counting the NUL */
	unsigned char data[];	/* FRAME_PRE head room, payload, NUL */
};

/*
 * A frame with room for len payload bytes (left uninitialised but for the
 * trailing NUL) and one reference, owned by the caller.  NULL when out of
 * memory.
 */
struct frame *frame_new(size_t len);

/* A frame holding a copy of s[0..len-1]; as frame_new(). */
struct frame *frame_from(const char *s, size_t len);

/*
 * Appends s[0..n-1] to *fp, a frame still being built (one reference, its
 * payload room *cap bytes), moving it to a larger block when it is full.
 * 0, or -1 when out of memory (*fp is then unchanged and still owned).
 */
int frame_append(struct frame **fp, size_t *cap, const void *s, size_t n);

/* Takes one more reference; returns f. */
struct frame *frame_ref(struct frame *f);

/* Drops one reference, freeing the frame with the last.  NULL is a no-op. */
void frame_unref(struct frame *f);

static inline unsigned char *frame_payload(struct frame *f)
{
	return f->data + FRAME_PRE;
}

#endif
