/*
** multipart_fuzz.c: libFuzzer target for the multipart parser (src/codec/multipart.c).
** Input layout: byte 0 picks the chunk size (1..256), then a Content-Type line
** ending in '\n', then the body. The body is fed in chunks; the callbacks check
** the parser's invariants (part indexes increase, data only inside a part).
** Built by tests/fuzz/run (CC=clang, -DDATAGROK_FUZZ=ON), linking only the base
** and codec libraries; then: build-fuzz/multipart_fuzz -max_len=4096 CORPUS_DIR
*/
#include "multipart.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  int in_part;
  size_t next_index, bytes;
} fuzz_state;

static int on_begin(void *ctx, const dg_multipart_part *part) {
  fuzz_state *s = ctx;
  if (s->in_part || part->index != s->next_index) abort();
  s->in_part = 1;
  s->next_index++;
  char name[64];
  size_t len;
  dg_multipart_filename(part, name, sizeof name);
  dg_multipart_header(part, "X-File-Status", &len);
  return 0;
}

static int on_data(void *ctx, const char *d, size_t n) {
  fuzz_state *s = ctx;
  if (!s->in_part || n == 0) abort();
  s->bytes += n;
  (void)d;
  return 0;
}

static int on_end(void *ctx) {
  fuzz_state *s = ctx;
  if (!s->in_part) abort();
  s->in_part = 0;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  size_t chunk = (size_t)data[0] + 1;
  const char *rest = (const char *)data + 1;
  size_t len = size - 1;
  const char *nl = memchr(rest, '\n', len);
  if (!nl) return 0;
  char ct[512];
  size_t ctlen = (size_t)(nl - rest);
  if (ctlen >= sizeof ct) return 0;
  memcpy(ct, rest, ctlen);
  ct[ctlen] = '\0';
  char boundary[DG_MULTIPART_MAX_BOUNDARY + 1], err[256];
  if (dg_multipart_boundary(ct, boundary, sizeof boundary, err, sizeof err)) return 0;
  static dg_multipart p; /* large: keep it off the stack */
  fuzz_state st = {0, 0, 0};
  dg_multipart_callbacks cb = {on_begin, on_data, on_end, &st};
  if (dg_multipart_init(&p, boundary, &cb)) return 0;
  const char *body = nl + 1;
  size_t blen = len - ctlen - 1;
  int rc = 0;
  for (size_t off = 0; off < blen && rc == 0; off += chunk)
    rc = dg_multipart_feed(&p, body + off, blen - off < chunk ? blen - off : chunk);
  if (rc == 0) rc = dg_multipart_finish(&p);
  if (rc == 0 && st.in_part) abort(); /* a complete body never ends inside a part */
  if (dg_multipart_count(&p) != st.next_index) abort();
  return 0;
}
