/*
 * utf8.h - UTF-8 checks for text that arrives from the network.
 */
#ifndef RUCHE_UTF8_H
#define RUCHE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/*
 * True when s[0..len-1] is well-formed UTF-8 as RFC 3629 defines it: no
 * overlong forms, no surrogates, nothing above U+10FFFF.
 */
bool utf8_valid(const void *s, size_t len);

/* Number of code points in well-formed UTF-8 text s[0..len-1]. */
size_t utf8_count(const void *s, size_t len);

/*
 * Makes the NUL-terminated string s one line of well-formed UTF-8, in
 * place: each control character and each byte that does not belong to a
 * well-formed sequence becomes '?'.  For messages that quote what a peer
 * sent, such as the JSON reader's, which can cut a character in two.
 */
void utf8_tame(char *s);

#endif
