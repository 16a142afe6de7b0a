/*
** utf8.h: strict UTF-8 (RFC 3629). No Lua.
** A sequence is valid when it is the shortest form of a code point in
** U+0000..U+10FFFF that is not a surrogate: overlong forms ("\xc0\xaf" for '/'),
** surrogates, code points past U+10FFFF, stray continuation bytes and cut
** sequences are all invalid.
*/
#ifndef DG_UTF8_H
#define DG_UTF8_H

#include <stddef.h>

/*
** The length (1..4) of the valid sequence starting at s (n bytes available),
** with its code point in *cp (may be NULL); 0 when the bytes there are not one.
*/
size_t dg_utf8_seq(const char *s, size_t n, unsigned *cp);
/* True when all of s[0..n) is valid UTF-8. */
int dg_utf8_valid(const char *s, size_t n);

#endif
