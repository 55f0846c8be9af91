/* auth.c - scrypt password hashes, random tokens, handle and name rules. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ruche/auth.h"
#include "ruche/err.h"
#include "ruche/utf8.h"

#define SALT_LEN 16
#define KEY_LEN 32
#define SCRYPT_MAXMEM (256u << 20)

/*
 * The cost of new hashes.  Set once at start (tests lower it before any
 * thread runs), then only read, so the worker threads may share it.
 */
static struct auth_cost cost = { 15, 8, 3 };

int auth_set_cost(const struct auth_cost *c)
{
	if (c->log2_n < 1 || c->log2_n > 20 || c->r < 1 || c->p < 1)
		return RUCHE_EINVAL;
	cost = *c;
	return 0;
}

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding; out needs 4 * ceil(n / 3) + 1 bytes. */
static void b64_encode(const unsigned char *in, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
			     in[i + 2];

		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
		out[o++] = b64url[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = b64url[(v >> 6) & 63];
	}
	out[o] = '\0';
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64url, c) : NULL;

	return p ? (int)(p - b64url) : -1;
}

/* Decodes exactly n bytes from base64url text; 0 or RUCHE_EINVAL. */
static int b64_decode(const char *in, size_t inlen, unsigned char *out,
		      size_t n)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	if (inlen != (n * 8 + 5) / 6)
		return RUCHE_EINVAL;
	for (size_t i = 0; i < inlen; i++) {
		int v = b64_value(in[i]);

		if (v < 0)
			return RUCHE_EINVAL;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return o == n ? 0 : RUCHE_EINVAL;
}

static int scrypt(const char *password, const unsigned char *salt,
		  const struct auth_cost *c, unsigned char key[KEY_LEN])
{
	return EVP_PBE_scrypt(password, strlen(password), salt, SALT_LEN,
			      (uint64_t)1 << c->log2_n, (uint64_t)c->r,
			      (uint64_t)c->p, SCRYPT_MAXMEM, key, KEY_LEN) == 1
		       ? 0 : RUCHE_EIO;
}

int auth_hash_password(const char *password, char *out)
{
	unsigned char salt[SALT_LEN], key[KEY_LEN];
	char salt64[32], key64[48];
	struct auth_cost c = cost;

	if (RAND_bytes(salt, sizeof(salt)) != 1 ||
	    scrypt(password, salt, &c, key))
		return RUCHE_EIO;
	b64_encode(salt, sizeof(salt), salt64);
	b64_encode(key, sizeof(key), key64);
	snprintf(out, AUTH_HASH_MAX, "scrypt$%d$%d$%d$%s$%s", c.log2_n, c.r,
		 c.p, salt64, key64);
	OPENSSL_cleanse(key, sizeof(key));
	return 0;
}

/* Splits "scrypt$ln$r$p$salt$key"; 0 or RUCHE_EINVAL. */
static int parse_hash(const char *hash, struct auth_cost *c,
		      unsigned char salt[SALT_LEN], unsigned char key[KEY_LEN])
{
	char salt64[32], key64[48];
	int n = 0;

	if (sscanf(hash, "scrypt$%d$%d$%d$%31[^$]$%47s%n", &c->log2_n, &c->r,
		   &c->p, salt64, key64, &n) != 5 || hash[n] != '\0')
		return RUCHE_EINVAL;
	if (c->log2_n < 1 || c->log2_n > 20 || c->r < 1 || c->r > 32 ||
	    c->p < 1 || c->p > 16)
		return RUCHE_EINVAL;
	if (b64_decode(salt64, strlen(salt64), salt, SALT_LEN) ||
	    b64_decode(key64, strlen(key64), key, KEY_LEN))
		return RUCHE_EINVAL;
	return 0;
}

bool auth_verify_password(const char *password, const char *hash)
{
	unsigned char salt[SALT_LEN], want[KEY_LEN], got[KEY_LEN];
	struct auth_cost c = cost;
	bool known = hash && parse_hash(hash, &c, salt, want) == 0;
	bool same;

	if (!known) {
		/* Do the same work for nothing, so timing tells nothing. */
		memset(salt, 0, sizeof(salt));
		memset(want, 0xff, sizeof(want));
		c = cost;
	}
	if (scrypt(password, salt, &c, got))
		return false;
	same = CRYPTO_memcmp(got, want, KEY_LEN) == 0;
	OPENSSL_cleanse(got, sizeof(got));
	return known && same;
}

int auth_token_digest(const char *token, unsigned char digest[AUTH_DIGEST_LEN])
{
	unsigned int n = 0;

	return EVP_Digest(token, strlen(token), digest, &n, EVP_sha256(),
			  NULL) == 1 && n == AUTH_DIGEST_LEN ? 0 : RUCHE_EIO;
}

int auth_new_token(char out[AUTH_TOKEN_LEN + 1],
		   unsigned char digest[AUTH_DIGEST_LEN])
{
	unsigned char raw[32];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return RUCHE_EIO;
	b64_encode(raw, sizeof(raw), out);
	OPENSSL_cleanse(raw, sizeof(raw));
	return digest ? auth_token_digest(out, digest) : 0;
}

bool auth_token_wellformed(const char *token)
{
	size_t n = strlen(token);

	if (n != AUTH_TOKEN_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (b64_value(token[i]) < 0)
			return false;
	return true;
}

int auth_normalize_handle(const char *handle, char *out)
{
	size_t n = strlen(handle);

	if (n < AUTH_HANDLE_MIN || n > AUTH_HANDLE_MAX)
		return RUCHE_EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = (char)tolower((unsigned char)handle[i]);

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return RUCHE_EINVAL;
		out[i] = c;
	}
	out[n] = '\0';
	return 0;
}

/* True for a code point that is a control character (Cc) or a line or
 * paragraph separator, read from well-formed UTF-8 at p. */
static bool is_control(const unsigned char *p)
{
	if (p[0] < 0x20 || p[0] == 0x7f)
		return true;
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return true;		/* C1 controls */
	if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9))
		return true;		/* U+2028, U+2029 */
	return false;
}

int auth_normalize_name(const char *name, char *out, size_t outlen)
{
	const unsigned char *s = (const unsigned char *)name, *e;
	size_t n, chars;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen((const char *)s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	n = (size_t)(e - s);
	if (n == 0 || n >= outlen || !utf8_valid(s, n))
		return RUCHE_EINVAL;
	chars = utf8_count(s, n);
	if (chars > AUTH_NAME_MAX)
		return RUCHE_EINVAL;
	for (const unsigned char *p = s; p < e; p++)
		if ((*p & 0xc0) != 0x80 && is_control(p))
			return RUCHE_EINVAL;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

int auth_check_password(const char *password)
{
	size_t n = strlen(password);

	if (n > AUTH_PASSWORD_MAX || !utf8_valid(password, n) ||
	    utf8_count(password, n) < AUTH_PASSWORD_MIN)
		return RUCHE_EINVAL;
	return 0;
}
