/*
 * auth.h - passwords, tokens and the rules for handles and names.
 *
 * Passwords are hashed with scrypt (OpenSSL's EVP_PBE_scrypt) and a random
 * 16-byte salt per user; the parameters travel with the hash, so they can
 * be raised later without breaking old hashes:
 *
 *     scrypt$15$8$3$<salt, base64url>$<hash, base64url>
 *
 * (log2 N, r, p: OWASP's "N=2^15, r=8, p=3".)  Hashing takes tens of
 * milliseconds and 32 MiB on purpose: it runs on the worker threads of
 * jobs.h, never on the event loop.
 *
 * Session tokens, invite codes and feed secrets are 256-bit random values
 * written as 43 base64url characters.  Only their SHA-256 is stored.
 *
 * Thread rules: everything here is safe to call from any thread.
 */
#ifndef RUCHE_AUTH_H
#define RUCHE_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_HASH_MAX 160	/* longest encoded password hash, with NUL */
#define AUTH_TOKEN_LEN 43	/* base64url of 32 random bytes */
#define AUTH_DIGEST_LEN 32	/* SHA-256 */
#define AUTH_PASSWORD_MIN 10	/* characters */
#define AUTH_PASSWORD_MAX 1024	/* bytes; keeps hashing bounded */
#define AUTH_HANDLE_MIN 2
#define AUTH_HANDLE_MAX 32
#define AUTH_NAME_MAX 64	/* display name, in characters */

/* scrypt cost.  Tests may lower it (see auth_set_cost); nothing else may. */
struct auth_cost {
	int log2_n, r, p;
};

/*
 * Hashes password (NUL-terminated) with a new random salt into out
 * (AUTH_HASH_MAX bytes).  0, or RUCHE_EIO when OpenSSL fails.
 */
int auth_hash_password(const char *password, char *out);

/*
 * True when password matches the encoded hash.  The comparison is
 * constant-time; a malformed hash never matches.  A NULL hash still costs
 * one full hashing, so that a login for an unknown handle takes as long as
 * a wrong password.
 */
bool auth_verify_password(const char *password, const char *hash);

/* Sets the scrypt cost of new hashes (for tests).  Returns 0 or
 * RUCHE_EINVAL. */
int auth_set_cost(const struct auth_cost *cost);

/*
 * A new random token: AUTH_TOKEN_LEN base64url characters and a NUL in
 * out, and its SHA-256 in digest (may be NULL).  0 or RUCHE_EIO.
 */
int auth_new_token(char out[AUTH_TOKEN_LEN + 1],
		   unsigned char digest[AUTH_DIGEST_LEN]);

/* SHA-256 of a token as given by a client.  0 or RUCHE_EIO. */
int auth_token_digest(const char *token, unsigned char digest[AUTH_DIGEST_LEN]);

/* True for a string of the token's shape (43 base64url characters). */
bool auth_token_wellformed(const char *token);

/*
 * Lower-cases handle into out (AUTH_HANDLE_MAX + 1 bytes) and checks it:
 * 2 to 32 of a-z, 0-9, '_', '.', '-'.  0 or RUCHE_EINVAL.
 */
int auth_normalize_handle(const char *handle, char *out);

/*
 * Trims surrounding white space from a display name into out (outlen
 * bytes) and checks it: 1 to 64 characters, valid UTF-8, no control
 * characters.  0, or RUCHE_EINVAL (also when it does not fit in out).
 */
int auth_normalize_name(const char *name, char *out, size_t outlen);

/* Checks a new password: 10 characters at least, at most 1024 bytes. */
int auth_check_password(const char *password);

#endif
