/* buf.c - a growable byte buffer with a read offset. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"

int buf_reserve(struct buf *b, size_t more)
{
	size_t used = buf_used(b);
	size_t cap;
	char *p;

	if (b->cap - b->len >= more)
		return 0;
	/* Reuse the consumed space first: it is cheaper than growing. */
	if (b->off && b->cap - used >= more) {
		memmove(b->p, b->p + b->off, used);
		b->off = 0;
		b->len = used;
		return 0;
	}
	cap = b->cap ? b->cap : 256;
	while (cap - used < more)
		cap *= 2;
	p = malloc(cap);
	if (!p)
		return -1;
	if (used)
		memcpy(p, b->p + b->off, used);
	free(b->p);
	b->p = p;
	b->cap = cap;
	b->off = 0;
	b->len = used;
	return 0;
}

int buf_append(struct buf *b, const void *d, size_t n)
{
	if (buf_reserve(b, n))
		return -1;
	memcpy(b->p + b->len, d, n);
	b->len += n;
	return 0;
}

void buf_consume(struct buf *b, size_t n)
{
	b->off += n;
	if (b->off >= b->len)
		b->off = b->len = 0;
}

void buf_clear(struct buf *b)
{
	b->off = b->len = 0;
}

void buf_release(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->off = b->len = b->cap = 0;
}
