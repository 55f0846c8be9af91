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

#endif
