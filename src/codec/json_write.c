/*
** json_write.c: the JSON string escaper of json_write.h.
*/
#include "json_write.h"

int dg_json_write_string(dg_buf *b, const char *s, size_t n, int ascii) {
  static const char hexd[] = "0123456789abcdef";
  dg_buf_addc(b, '"');
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    /* copy the longest run that needs no escaping in one go */
    while (j < n) {
      unsigned char c = (unsigned char)s[j];
      if (c < 0x20 || c == '"' || c == '\\' || (c >= 0x80 && ascii)) break;
      j++;
    }
    dg_buf_add(b, s + i, j - i);
    if (j >= n) break;
    unsigned char c = (unsigned char)s[j];
    i = j + 1;
    switch (c) {
      case '"': dg_buf_add(b, "\\\"", 2); continue;
      case '\\': dg_buf_add(b, "\\\\", 2); continue;
      case '\n': dg_buf_add(b, "\\n", 2); continue;
      case '\r': dg_buf_add(b, "\\r", 2); continue;
      case '\t': dg_buf_add(b, "\\t", 2); continue;
      case '\b': dg_buf_add(b, "\\b", 2); continue;
      case '\f': dg_buf_add(b, "\\f", 2); continue;
      default: break;
    }
    unsigned cp = c;
    if (c >= 0x80) {
      /* decode one UTF-8 sequence; a malformed byte becomes U+FFFD */
      int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : -1;
      cp = 0xFFFD;
      if (extra > 0 && i + (size_t)extra <= n) {
        unsigned v = c & (0x3F >> extra);
        int ok = 1;
        for (int k = 0; k < extra; k++) {
          unsigned char cc = (unsigned char)s[i + (size_t)k];
          if ((cc & 0xC0) != 0x80) { ok = 0; break; }
          v = (v << 6) | (cc & 0x3F);
        }
        if (ok) { cp = v; i += (size_t)extra; }
      }
    }
    char u[13];
    if (cp >= 0x10000) {
      unsigned v = cp - 0x10000, hi = 0xD800 + (v >> 10), lo = 0xDC00 + (v & 0x3FF);
      u[0] = '\\'; u[1] = 'u'; u[2] = hexd[hi >> 12]; u[3] = hexd[(hi >> 8) & 15];
      u[4] = hexd[(hi >> 4) & 15]; u[5] = hexd[hi & 15];
      u[6] = '\\'; u[7] = 'u'; u[8] = hexd[lo >> 12]; u[9] = hexd[(lo >> 8) & 15];
      u[10] = hexd[(lo >> 4) & 15]; u[11] = hexd[lo & 15];
      dg_buf_add(b, u, 12);
    } else {
      u[0] = '\\'; u[1] = 'u'; u[2] = hexd[cp >> 12]; u[3] = hexd[(cp >> 8) & 15];
      u[4] = hexd[(cp >> 4) & 15]; u[5] = hexd[cp & 15];
      dg_buf_add(b, u, 6);
    }
  }
  dg_buf_addc(b, '"');
  return b->failed ? -1 : 0;
}
