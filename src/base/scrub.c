/*
** scrub.c: secrets, control characters and invalid UTF-8 out of shown text
** (see scrub.h).
*/
#include "scrub.h"
#include "utf8.h"

#include <string.h>

/* The length of the secret that starts at s (n bytes left), or 0. */
static size_t secret_at(const char *s, size_t n, const char *const *secrets, size_t nsecrets) {
  for (size_t k = 0; k < nsecrets; k++) {
    if (!secrets[k] || secrets[k][0] != s[0]) continue; /* the common case, without a strlen */
    size_t len = strlen(secrets[k]);
    if (len >= DG_SCRUB_MIN && len <= n && memcmp(s, secrets[k], len) == 0) return len;
  }
  return 0;
}

static void add_hex(dg_buf *out, unsigned char c) {
  static const char hex[] = "0123456789abcdef";
  char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
  dg_buf_add(out, e, 4);
}

int dg_scrub(dg_buf *out, const char *s, size_t n, const char *const *secrets, size_t nsecrets,
             int flags) {
  size_t i = 0;
  while (i < n) {
    size_t sl = nsecrets ? secret_at(s + i, n - i, secrets, nsecrets) : 0;
    if (sl) {
      dg_buf_add(out, "***", 3);
      i += sl;
      continue;
    }
    unsigned char c = (unsigned char)s[i];
    if (flags & DG_SCRUB_KEYS_ONLY) {
      dg_buf_addc(out, (char)c);
      i++;
      continue;
    }
    if (c == '\n' || c == '\r' || c == '\t') {
      if (flags & DG_SCRUB_ONELINE) dg_buf_add(out, c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\t", 2);
      else dg_buf_addc(out, (char)c);
      i++;
      continue;
    }
    if (c < 0x20 || c == 0x7F) {
      add_hex(out, c);
      i++;
      continue;
    }
    if (c < 0x80) {
      dg_buf_addc(out, (char)c);
      i++;
      continue;
    }
    unsigned cp;
    size_t k = dg_utf8_seq(s + i, n - i, &cp);
    if (k == 0) {
      add_hex(out, c);
      i++;
    } else if (cp >= 0x80 && cp <= 0x9F) {
      for (size_t j = 0; j < k; j++) add_hex(out, (unsigned char)s[i + j]);
      i += k;
    } else {
      dg_buf_add(out, s + i, k);
      i += k;
    }
  }
  return out->failed ? -1 : 0;
}

int dg_scrub_holds(const char *s, size_t n, const char *const *secrets, size_t nsecrets) {
  for (size_t k = 0; k < nsecrets; k++) {
    size_t len = secrets[k] ? strlen(secrets[k]) : 0;
    if (len < DG_SCRUB_MIN || len > n) continue;
    for (size_t i = 0; i + len <= n; i++)
      if (s[i] == secrets[k][0] && memcmp(s + i, secrets[k], len) == 0) return 1;
  }
  return 0;
}
