/* ws.c - the client side of WebSocket (RFC 6455), bytes only. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <openssl/evp.h>

#include "ws.h"

static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

void ws_base64(const unsigned char *in, size_t n, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789+/";
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
			     in[i + 2];

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = tab[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
}

void ws_make_key(char key[25], const unsigned char random16[16])
{
	ws_base64(random16, 16, key);
}

int ws_request(struct buf *out, const char *host, const char *path,
	       const char *key, const char *subprotocol)
{
	char req[512];
	int n = snprintf(req, sizeof(req),
			 "GET %s HTTP/1.1\r\n"
			 "Host: %s\r\n"
			 "Upgrade: websocket\r\n"
			 "Connection: Upgrade\r\n"
			 "Sec-WebSocket-Key: %s\r\n"
			 "Sec-WebSocket-Version: 13\r\n"
			 "%s%s%s"
			 "\r\n",
			 path, host, key,
			 subprotocol ? "Sec-WebSocket-Protocol: " : "",
			 subprotocol ? subprotocol : "",
			 subprotocol ? "\r\n" : "");

	if (n < 0 || (size_t)n >= sizeof(req))
		return -1;
	return buf_append(out, req, (size_t)n);
}

/* The value of header name in the head p[0..n), trimmed; NULL if absent. */
static const char *header(const char *p, size_t n, const char *name,
			  size_t *vlen)
{
	size_t nl = strlen(name);
	const char *line = memchr(p, '\n', n);

	while (line && (size_t)(line + 1 - p) < n) {
		const char *start = line + 1;
		const char *end = memchr(start, '\n', n - (size_t)(start - p));

		if (!end)
			break;
		if ((size_t)(end - start) > nl && start[nl] == ':' &&
		    strncasecmp(start, name, nl) == 0) {
			const char *v = start + nl + 1;

			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			*vlen = (size_t)(end - v);
			while (*vlen && (v[*vlen - 1] == '\r' ||
					 v[*vlen - 1] == ' '))
				(*vlen)--;
			return v;
		}
		line = end;
	}
	return NULL;
}

long ws_response(const char *p, size_t n, const char *key,
		 const char *subprotocol, char *why, size_t whylen)
{
	const char *end = NULL, *v;
	unsigned char sha[EVP_MAX_MD_SIZE];
	char cat[128], want[64];
	unsigned shalen = 0;
	size_t vlen, hlen;

	for (size_t i = 3; i < n; i++)
		if (p[i] == '\n' && p[i - 1] == '\r' && p[i - 2] == '\n' &&
		    p[i - 3] == '\r') {
			end = p + i + 1;
			break;
		}
	if (!end) {
		if (n > 8192) {
			snprintf(why, whylen, "upgrade answer too long");
			return -1;
		}
		return 0;
	}
	hlen = (size_t)(end - p);
	if (hlen < 12 || strncmp(p, "HTTP/1.1 101", 12) != 0) {
		const char *eol = memchr(p, '\r', hlen);

		snprintf(why, whylen, "upgrade refused: %.*s",
			 (int)(eol ? eol - p : 40), p);
		return -1;
	}
	snprintf(cat, sizeof(cat), "%s%s", key, ws_guid);
	if (!EVP_Digest(cat, strlen(cat), sha, &shalen, EVP_sha1(), NULL)) {
		snprintf(why, whylen, "no SHA-1");
		return -1;
	}
	ws_base64(sha, shalen, want);
	v = header(p, hlen, "Sec-WebSocket-Accept", &vlen);
	if (!v || vlen != strlen(want) || memcmp(v, want, vlen) != 0) {
		snprintf(why, whylen, "wrong Sec-WebSocket-Accept");
		return -1;
	}
	if (subprotocol) {
		v = header(p, hlen, "Sec-WebSocket-Protocol", &vlen);
		if (!v || vlen != strlen(subprotocol) ||
		    memcmp(v, subprotocol, vlen) != 0) {
			snprintf(why, whylen, "subprotocol %s not selected",
				 subprotocol);
			return -1;
		}
	}
	return (long)hlen;
}

int ws_frame(struct buf *out, unsigned opcode, bool fin, const void *payload,
	     size_t n, uint32_t mask)
{
	unsigned char *h, *d;
	const unsigned char *s = payload;
	unsigned char m[4];
	size_t hl = n < 126 ? 2 : n < 65536 ? 4 : 10;

	if (buf_reserve(out, hl + 4 + n))
		return -1;
	h = (unsigned char *)out->p + out->len;
	h[0] = (unsigned char)((fin ? 0x80 : 0) | (opcode & 0xf));
	if (n < 126) {
		h[1] = (unsigned char)(0x80 | n);
	} else if (n < 65536) {
		h[1] = 0x80 | 126;
		h[2] = (unsigned char)(n >> 8);
		h[3] = (unsigned char)n;
	} else {
		h[1] = 0x80 | 127;
		for (int i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
	}
	memcpy(m, &mask, 4);
	memcpy(h + hl, m, 4);
	d = h + hl + 4;
	for (size_t i = 0; i < n; i++)
		d[i] = s[i] ^ m[i & 3];
	out->len += hl + 4 + n;
	return 0;
}

int ws_parse(const unsigned char *p, size_t n, struct ws_head *h)
{
	uint64_t len;
	size_t hl = 2;

	if (n < 2)
		return 0;
	if (p[0] & 0x70 || p[1] & 0x80)
		return -1;	/* reserved bits, or a masked server frame */
	h->fin = p[0] & 0x80;
	h->opcode = p[0] & 0x0f;
	len = p[1] & 0x7f;
	if (len == 126) {
		if (n < 4)
			return 0;
		len = (uint64_t)p[2] << 8 | p[3];
		hl = 4;
	} else if (len == 127) {
		if (n < 10)
			return 0;
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | p[2 + i];
		hl = 10;
	}
	if (h->opcode >= 0x8 && (len > 125 || !h->fin))
		return -1;
	if (len > WS_MAX_MESSAGE)
		return -1;
	h->head_len = hl;
	h->len = len;
	return n - hl >= len ? 1 : 0;
}
