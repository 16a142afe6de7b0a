/*
** multipart.c: the incremental multipart parser of multipart.h.
**
** States: PREAMBLE (looking for the first delimiter; bytes discarded) ->
** AFTER (just past a delimiter: "--" closes the body, otherwise blanks and a
** line end lead to HEADERS) -> HEADERS (lines until an empty one) -> BODY
** (bytes forwarded until the next delimiter) -> AFTER ... -> EPILOGUE.
** The delimiter is searched as "\n--boundary"; a '\r' right before the '\n' is
** held back and dropped with it, so CRLF and bare LF line ends both work. Since
** '\n' occurs only at the start of that pattern, a mismatch never needs to
** rescan held bytes: they are data, and the current byte is looked at again.
*/
#include "multipart.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum { S_PREAMBLE, S_AFTER, S_HEADERS, S_BODY, S_EPILOGUE, S_FAILED };

static int fail(dg_multipart *p, size_t at, const char *what) {
  /* parts counts begun parts: the one being read is the last (in BODY) or the next */
  size_t number = p->state == S_BODY ? p->parts : p->parts + 1;
  if (p->state != S_FAILED)
    snprintf(p->err, sizeof p->err, "malformed multipart body: %s (part %zu, byte %llu)",
             what, number, p->offset + at);
  p->state = S_FAILED;
  return -1;
}

/* A callback asked to stop: the caller keeps its own reason. */
static int stop(dg_multipart *p) {
  p->stopped = 1;
  p->state = S_FAILED;
  snprintf(p->err, sizeof p->err, "multipart parsing stopped by its consumer");
  return -1;
}

int dg_multipart_boundary(const char *ct, char *out, size_t outlen, char *err, size_t errlen) {
  while (*ct == ' ' || *ct == '\t') ct++;
  if (strncasecmp(ct, "multipart/", 10) != 0) {
    snprintf(err, errlen, "expected a multipart response");
    return -1;
  }
  for (const char *s = strchr(ct, ';'); s; s = strchr(s, ';')) {
    s++;
    while (*s == ' ' || *s == '\t') s++;
    if (strncasecmp(s, "boundary", 8) != 0) continue;
    const char *v = s + 8;
    while (*v == ' ' || *v == '\t') v++;
    if (*v != '=') continue;
    v++;
    while (*v == ' ' || *v == '\t') v++;
    size_t n;
    if (*v == '"') {
      v++;
      const char *q = strchr(v, '"');
      if (!q) {
        snprintf(err, errlen, "unterminated quoted boundary");
        return -1;
      }
      n = (size_t)(q - v);
    } else {
      n = strcspn(v, "; \t");
    }
    if (n == 0 || n > DG_MULTIPART_MAX_BOUNDARY || n >= outlen || memchr(v, '\r', n) ||
        memchr(v, '\n', n)) {
      snprintf(err, errlen, "unusable boundary (empty, too long or with a line break)");
      return -1;
    }
    memcpy(out, v, n);
    out[n] = '\0';
    return 0;
  }
  snprintf(err, errlen, "no boundary parameter");
  return -1;
}

int dg_multipart_init(dg_multipart *p, const char *boundary, const dg_multipart_callbacks *cb) {
  size_t n = strlen(boundary);
  memset(p, 0, offsetof(dg_multipart, headers));
  p->headers[0] = '\0';
  p->headers_len = p->line_start = 0;
  p->stopped = 0;
  p->err[0] = '\0';
  if (n == 0 || n > DG_MULTIPART_MAX_BOUNDARY) {
    p->state = S_FAILED;
    snprintf(p->err, sizeof p->err, "multipart boundary must have 1..%d bytes",
             DG_MULTIPART_MAX_BOUNDARY);
    return -1;
  }
  p->cb = *cb;
  memcpy(p->delim, "\n--", 3);
  memcpy(p->delim + 3, boundary, n);
  p->delim_len = n + 3;
  p->state = S_PREAMBLE;
  p->matched = 1; /* the body's start counts as a line start: "--boundary" may open it */
  return 0;
}

/* Forwards body bytes (the preamble's are dropped). */
static int emit(dg_multipart *p, const char *d, size_t n) {
  if (p->state != S_BODY || n == 0 || !p->cb.part_data) return 0;
  return p->cb.part_data(p->cb.ctx, d, n) ? stop(p) : 0;
}

/* The held '\r' and the matched delimiter prefix turned out to be data. */
static int flush_held(dg_multipart *p) {
  if (p->held_cr && emit(p, "\r", 1)) return -1;
  p->held_cr = 0;
  if (p->matched && emit(p, p->delim, p->matched)) return -1;
  p->matched = 0;
  return 0;
}

/*
** Scans d[*i..n) in PREAMBLE or BODY for the delimiter. Returns 1 when it was
** found (*i just past it), 0 when the chunk is used up, -1 on a stop.
*/
static int scan(dg_multipart *p, const char *d, size_t n, size_t *i) {
  size_t k = *i;
  while (k < n) {
    if (p->matched) {
      if (d[k] == p->delim[p->matched]) {
        k++;
        if (++p->matched == p->delim_len) {
          p->matched = 0;
          p->held_cr = 0;
          *i = k;
          return 1;
        }
        continue;
      }
      if (flush_held(p)) return -1;
      continue; /* look at d[k] again, as a possible start */
    }
    if (p->held_cr) {
      if (d[k] == '\n') {
        p->matched = 1;
        k++;
        continue;
      }
      if (emit(p, "\r", 1)) return -1;
      p->held_cr = 0;
    }
    const char *nl = memchr(d + k, '\n', n - k);
    size_t end = nl ? (size_t)(nl - d) : n, seg = end;
    if (seg > k && d[seg - 1] == '\r') {
      seg--;
      p->held_cr = 1;
    }
    if (emit(p, d + k, seg - k)) return -1;
    if (nl) {
      p->matched = 1;
      k = end + 1;
    } else {
      k = n;
    }
  }
  *i = k;
  return 0;
}

/* A complete header line is headers[line_start..headers_len) without its '\n'. */
static int header_line_done(dg_multipart *p, size_t at) {
  size_t len = p->headers_len - p->line_start;
  const char *line = p->headers + p->line_start;
  if (len > 0 && line[len - 1] == '\r') len--;
  if (len == 0) { /* the empty line: headers complete */
    p->headers_len = p->line_start;
    p->headers[p->headers_len] = '\0';
    p->state = S_BODY;
    p->matched = 0;
    p->held_cr = 0;
    dg_multipart_part part = {p->parts, p->headers, p->headers_len};
    p->parts++;
    if (p->cb.part_begin && p->cb.part_begin(p->cb.ctx, &part)) return stop(p);
    return 0;
  }
  if (line[0] != ' ' && line[0] != '\t' && !memchr(line, ':', len))
    return fail(p, at, "part header line without ':'");
  p->headers[p->headers_len++] = '\n';
  p->line_start = p->headers_len;
  return 0;
}

int dg_multipart_feed(dg_multipart *p, const char *d, size_t n) {
  size_t i = 0;
  if (p->state == S_FAILED) return -1;
  while (i < n) {
    switch (p->state) {
    case S_PREAMBLE:
    case S_BODY: {
      int was_body = p->state == S_BODY;
      int r = scan(p, d, n, &i);
      if (r < 0) return -1;
      if (r == 1) {
        p->state = S_AFTER;
        p->dashes = 0;
        if (was_body && p->cb.part_end && p->cb.part_end(p->cb.ctx)) return stop(p);
      }
      break;
    }
    case S_AFTER: {
      char c = d[i];
      if (c == '-') {
        if (++p->dashes == 2) p->state = S_EPILOGUE;
      } else if (p->dashes) {
        return fail(p, i, "a single '-' after a boundary");
      } else if (c == '\n') {
        p->state = S_HEADERS;
        p->headers_len = p->line_start = 0;
      } else if (c != ' ' && c != '\t' && c != '\r') {
        return fail(p, i, "unexpected text after a boundary");
      }
      i++;
      break;
    }
    case S_HEADERS: {
      char c = d[i];
      if (c == '\n') {
        if (header_line_done(p, i)) return -1;
      } else {
        if (p->headers_len >= DG_MULTIPART_MAX_HEADERS)
          return fail(p, i, "part headers longer than 16384 bytes");
        p->headers[p->headers_len++] = c;
      }
      i++;
      break;
    }
    case S_EPILOGUE:
      i = n;
      break;
    default:
      return -1;
    }
  }
  p->offset += n;
  return 0;
}

int dg_multipart_finish(dg_multipart *p) {
  switch (p->state) {
  case S_EPILOGUE: return 0;
  case S_FAILED: return -1;
  case S_PREAMBLE:
    if (p->offset == 0) return 0;
    return fail(p, 0, "no boundary delimiter in the whole body");
  case S_HEADERS: return fail(p, 0, "body truncated inside part headers");
  case S_BODY: return fail(p, 0, "body truncated inside a part (no closing delimiter)");
  default: return fail(p, 0, "body truncated after a delimiter (no closing '--')");
  }
}

size_t dg_multipart_count(const dg_multipart *p) {
  return p->parts;
}

const char *dg_multipart_header(const dg_multipart_part *part, const char *name, size_t *len) {
  size_t nlen = strlen(name);
  const char *s = part->headers, *end = s + part->headers_len;
  while (s < end) {
    const char *eol = memchr(s, '\n', (size_t)(end - s));
    if (!eol) eol = end;
    const char *colon = memchr(s, ':', (size_t)(eol - s));
    if (colon) {
      const char *ne = colon;
      while (ne > s && (ne[-1] == ' ' || ne[-1] == '\t')) ne--;
      if ((size_t)(ne - s) == nlen && strncasecmp(s, name, nlen) == 0) {
        const char *v = colon + 1, *ve = eol;
        while (v < ve && (*v == ' ' || *v == '\t')) v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r')) ve--;
        *len = (size_t)(ve - v);
        return v;
      }
    }
    s = eol + 1;
  }
  return NULL;
}

size_t dg_multipart_filename(const dg_multipart_part *part, char *out, size_t outlen) {
  size_t len = 0;
  const char *cd = dg_multipart_header(part, "Content-Disposition", &len);
  const char *key = "filename=";
  const char *v = NULL;
  for (size_t k = 0; cd && k + 9 <= len; k++)
    if (memcmp(cd + k, key, 9) == 0) {
      v = cd + k + 9;
      len -= k + 9;
      break;
    }
  if (!v) {
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "part_%zu", part->index);
    if (outlen) snprintf(out, outlen, "%s", tmp);
    return (size_t)n;
  }
  while (len > 0 && v[0] == '"') v++, len--;
  while (len > 0 && v[len - 1] == '"') len--;
  if (outlen) {
    size_t c = len < outlen - 1 ? len : outlen - 1;
    memcpy(out, v, c);
    out[c] = '\0';
  }
  return len;
}
