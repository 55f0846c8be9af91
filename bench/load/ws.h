/*
 * ws.h - the client side of WebSocket (RFC 6455), bytes only.
 *
 * Builds the upgrade request and checks the server's answer, writes
 * masked client frames and reads the server's unmasked ones.  No socket
 * here: the caller owns the buffers and the I/O.
 */
#ifndef LOAD_WS_H
#define LOAD_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum ws_opcode {
	WS_CONT = 0x0,
	WS_TEXT = 0x1,
	WS_BINARY = 0x2,
	WS_CLOSE = 0x8,
	WS_PING = 0x9,
	WS_PONG = 0xa,
};

/* The largest frame or message the generator accepts from a server. */
#define WS_MAX_MESSAGE (16u << 20)

/* A random Sec-WebSocket-Key (24 characters and a NUL) from 16 bytes. */
void ws_make_key(char key[25], const unsigned char random16[16]);

/*
 * Appends the upgrade request for path on host (HOST:PORT), offering
 * subprotocol unless it is NULL.  0, or -1 when out of memory.
 */
int ws_request(struct buf *out, const char *host, const char *path,
	       const char *key, const char *subprotocol);

/*
 * Reads the server's answer to the upgrade at the start of p[0..n).
 * Returns the length of the answer (its headers) once it is whole and is
 * a 101 with the right Sec-WebSocket-Accept (and subprotocol, if one was
 * offered); 0 while incomplete; -1 when refused or wrong, with a reason
 * in why.
 */
long ws_response(const char *p, size_t n, const char *key,
		 const char *subprotocol, char *why, size_t whylen);

/*
 * Appends one masked frame.  fin is false for every fragment of a message
 * but the last; opcode is WS_CONT for fragments after the first.  0, or -1
 * when out of memory.
 */
int ws_frame(struct buf *out, unsigned opcode, bool fin, const void *payload,
	     size_t n, uint32_t mask);

/* The head of a frame from the server. */
struct ws_head {
	unsigned opcode;	/* enum ws_opcode */
	bool fin;		/* last frame of its message */
	size_t head_len;	/* bytes before the payload */
	uint64_t len;		/* payload bytes */
};

/*
 * Reads a frame head at p[0..n).  1 when the whole frame (head and
 * payload) is there, 0 when more bytes are needed, -1 when the frame is
 * invalid (masked, reserved bits, a control frame over 125 bytes, or
 * longer than WS_MAX_MESSAGE).
 */
int ws_parse(const unsigned char *p, size_t n, struct ws_head *h);

/* base64 of n bytes into out (4 * ceil(n / 3) + 1 bytes). */
void ws_base64(const unsigned char *in, size_t n, char *out);

#endif
