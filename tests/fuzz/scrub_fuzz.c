/*
** scrub_fuzz.c: libFuzzer target for the scrub every shown string goes through
** (src/base/scrub.c) and the strict UTF-8 decoder it uses (src/base/utf8.c).
** It links only the base and codec libraries: no Lua.
** Input: the first byte picks a secret length (0..15), taken from the next bytes
** mapped to 'A'..'Z' (escapes only ever write backslashes, lower-case letters
** and digits, so an upper-case secret in the output can only come from the
** input); the rest is the text. Checks, for both modes: the output is valid
** UTF-8 and holds no C0 control, DEL or C1 control (one-line mode: not even a
** line break or tab); a secret of at least DG_SCRUB_MIN bytes never appears in
** the output, and dg_scrub_holds agrees with whether the text held it; text
** without secrets, controls or invalid bytes comes out unchanged.
*/
#include "scrub.h"
#include "utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int has_sub(const char *s, size_t n, const char *sub, size_t k) {
  if (k == 0 || k > n) return 0;
  for (size_t i = 0; i + k <= n; i++)
    if (memcmp(s + i, sub, k) == 0) return 1;
  return 0;
}

/* True when s[0..n) has nothing the scrub changes (secrets aside). */
static int plain(const char *s, size_t n, int oneline) {
  for (size_t i = 0; i < n;) {
    unsigned cp;
    size_t k = dg_utf8_seq(s + i, n - i, &cp);
    if (!k || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) return 0;
    if (cp < 0x20 && (oneline || (cp != '\n' && cp != '\r' && cp != '\t'))) return 0;
    i += k;
  }
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t k = data[0] % 16;
  if (size < 1 + k) return 0;
  char secret[17];
  for (size_t i = 0; i < k; i++) secret[i] = (char)('A' + data[1 + i] % 26);
  secret[k] = '\0';
  const char *text = (const char *)data + 1 + k;
  size_t n = size - 1 - k;
  const char *secrets[1] = {secret};
  int counted = k >= DG_SCRUB_MIN;
  if (dg_scrub_holds(text, n, secrets, 1) != (counted && has_sub(text, n, secret, k))) abort();
  for (int mode = 0; mode < 2; mode++) {
    int flags = mode ? DG_SCRUB_ONELINE : 0;
    dg_buf out;
    dg_buf_init(&out);
    if (dg_scrub(&out, text, n, secrets, 1, flags)) abort();
    const char *o = out.data ? out.data : "";
    if (!dg_utf8_valid(o, out.len)) abort();
    if (!plain(o, out.len, mode)) abort();
    if (counted && has_sub(o, out.len, secret, k)) abort();
    if (!has_sub(text, n, secret, counted ? k : 0) && plain(text, n, mode) &&
        (out.len != n || memcmp(o, text, n) != 0))
      abort();
    dg_buf_free(&out);
  }
  return 0;
}
