/*
** utf8.c: strict UTF-8 decoding of one sequence (see utf8.h).
*/
#include "utf8.h"

size_t dg_utf8_seq(const char *s, size_t n, unsigned *cp) {
  if (n == 0) return 0;
  const unsigned char *p = (const unsigned char *)s;
  unsigned c = p[0], v;
  size_t len;
  unsigned min;
  if (c < 0x80) {
    if (cp) *cp = c;
    return 1;
  }
  if (c >= 0xC2 && c <= 0xDF) { len = 2; v = c & 0x1F; min = 0x80; }
  else if (c >= 0xE0 && c <= 0xEF) { len = 3; v = c & 0x0F; min = 0x800; }
  else if (c >= 0xF0 && c <= 0xF4) { len = 4; v = c & 0x07; min = 0x10000; }
  else return 0; /* a continuation byte, C0/C1 (always overlong), F5..FF */
  if (n < len) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    v = (v << 6) | (p[i] & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  if (cp) *cp = v;
  return len;
}

int dg_utf8_valid(const char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    size_t k = dg_utf8_seq(s + i, n - i, NULL);
    if (!k) return 0;
    i += k;
  }
  return 1;
}
