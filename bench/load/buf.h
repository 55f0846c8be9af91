/*
 * buf.h - a growable byte buffer with a read offset.
 *
 * The bytes not yet consumed are p[off..len).  Appending grows the buffer;
 * consuming only moves off, and the space before off is reused when the
 * buffer is compacted (buf_reserve() does it when it needs room).
 */
#ifndef LOAD_BUF_H
#define LOAD_BUF_H

#include <stddef.h>

struct buf {
	char *p;	/* owned; NULL until the first append */
	size_t off;	/* first byte not yet consumed */
	size_t len;	/* end of the bytes held */
	size_t cap;	/* bytes allocated */
};

/* Bytes held and not consumed. */
static inline size_t buf_used(const struct buf *b)
{
	return b->len - b->off;
}

/* The first byte not consumed (valid until the next reserve or append). */
static inline char *buf_data(const struct buf *b)
{
	return b->p + b->off;
}

/* Makes room for `more` bytes after len.  0, or -1 when out of memory. */
int buf_reserve(struct buf *b, size_t more);

/* Appends n bytes.  0, or -1 when out of memory (then nothing changes). */
int buf_append(struct buf *b, const void *d, size_t n);

/* Drops the first n unconsumed bytes. */
void buf_consume(struct buf *b, size_t n);

/* Empties the buffer, keeping its memory. */
void buf_clear(struct buf *b);

/* Frees the memory.  The buffer is empty and reusable after. */
void buf_release(struct buf *b);

#endif
