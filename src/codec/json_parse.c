/*
** json_parse.c: the event-driven JSON parser of json_parse.h.
*/
#include "json_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *start, *p, *end;
  const dg_json_handler *h;
  void *ctx;
  dg_buf *scratch;
  char *err;
  size_t errlen;
  int depth;
} parser;

/* Writes "what at line L column C" (1-based, bytes) for the current position. */
static int fail(parser *d, const char *what) {
  int line = 1, col = 1;
  for (const char *q = d->start; q < d->p && q < d->end; q++) {
    if (*q == '\n') {
      line++;
      col = 1;
    } else {
      col++;
    }
  }
  if (d->p >= d->end)
    snprintf(d->err, d->errlen, "%s at end of input (line %d column %d)", what, line, col);
  else
    snprintf(d->err, d->errlen, "%s at line %d column %d", what, line, col);
  return -1;
}

/* A handler said stop: keep its reason if it gave one. */
static int stopped(parser *d) {
  if (d->errlen && d->err[0] == '\0') return fail(d, "stopped");
  return -1;
}

#define EMIT(call) do { if ((call) != 0) return stopped(d); } while (0)

static void skip_ws(parser *d) {
  while (d->p < d->end && (*d->p == ' ' || *d->p == '\t' || *d->p == '\n' || *d->p == '\r'))
    d->p++;
}

static int hex4(const char *p, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return -1;
  }
  *out = v;
  return 0;
}

static void put_utf8(dg_buf *b, unsigned cp) {
  char s[4];
  size_t n;
  if (cp < 0x80) {
    s[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    s[0] = (char)(0xC0 | (cp >> 6));
    s[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    s[0] = (char)(0xE0 | (cp >> 12));
    s[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    s[2] = (char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    s[0] = (char)(0xF0 | (cp >> 18));
    s[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    s[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    s[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  dg_buf_add(b, s, n);
}

/*
** Reads the string at d->p (on its opening quote) and reports it through
** string(), or key() when is_key.
*/
static int read_string(parser *d, int is_key) {
  int (*emit)(void *, const char *, size_t) = is_key ? d->h->key : d->h->string;
  const char *p = ++d->p;
  /* fast path: no escapes */
  while (p < d->end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20) p++;
  if (p < d->end && *p == '"') {
    const char *s = d->p;
    d->p = p + 1;
    EMIT(emit(d->ctx, s, (size_t)(p - s)));
    return 0;
  }
  dg_buf *b = d->scratch;
  dg_buf_reset(b);
  dg_buf_add(b, d->p, (size_t)(p - d->p));
  d->p = p;
  while (d->p < d->end) {
    unsigned char c = (unsigned char)*d->p;
    if (c == '"') {
      if (b->failed) return fail(d, "out of memory");
      d->p++;
      EMIT(emit(d->ctx, b->data ? b->data : "", b->len));
      return 0;
    }
    if (c < 0x20) return fail(d, "control character in string");
    if (c != '\\') {
      dg_buf_addc(b, (char)c);
      d->p++;
      continue;
    }
    if (d->end - d->p < 2) break;
    char e = d->p[1];
    d->p += 2;
    switch (e) {
      case '"': dg_buf_addc(b, '"'); break;
      case '\\': dg_buf_addc(b, '\\'); break;
      case '/': dg_buf_addc(b, '/'); break;
      case 'b': dg_buf_addc(b, '\b'); break;
      case 'f': dg_buf_addc(b, '\f'); break;
      case 'n': dg_buf_addc(b, '\n'); break;
      case 'r': dg_buf_addc(b, '\r'); break;
      case 't': dg_buf_addc(b, '\t'); break;
      case 'u': {
        unsigned cp, lo;
        if (d->end - d->p < 4 || hex4(d->p, &cp)) {
          d->p -= 2;
          return fail(d, "bad \\u escape");
        }
        d->p += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF && d->end - d->p >= 6 && d->p[0] == '\\' &&
            d->p[1] == 'u' && hex4(d->p + 2, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          d->p += 6;
        } else if (cp >= 0xD800 && cp <= 0xDFFF) {
          cp = 0xFFFD; /* a lone surrogate cannot be UTF-8 */
        }
        put_utf8(b, cp);
        break;
      }
      default:
        d->p -= 2;
        return fail(d, "bad escape in string");
    }
  }
  return fail(d, "unterminated string");
}

static int is_digit(const parser *d, const char *p) { return p < d->end && *p >= '0' && *p <= '9'; }

static int read_number(parser *d) {
  const char *p = d->p, *s = p;
  int is_float = 0;
  if (p < d->end && *p == '-') p++;
  if (!is_digit(d, p)) return fail(d, "bad number");
  if (*p == '0') p++;
  else while (is_digit(d, p)) p++;
  if (p < d->end && *p == '.') {
    is_float = 1;
    p++;
    if (!is_digit(d, p)) {
      d->p = p;
      return fail(d, "bad number");
    }
    while (is_digit(d, p)) p++;
  }
  if (p < d->end && (*p == 'e' || *p == 'E')) {
    is_float = 1;
    p++;
    if (p < d->end && (*p == '+' || *p == '-')) p++;
    if (!is_digit(d, p)) {
      d->p = p;
      return fail(d, "bad number");
    }
    while (is_digit(d, p)) p++;
  }
  d->p = p;
  if (!is_float) {
    /* exact 64-bit integer when it fits; a double otherwise */
    int neg = *s == '-';
    uint64_t v = 0;
    int overflow = 0;
    for (const char *q = s + neg; q < p; q++) {
      unsigned digit = (unsigned)(*q - '0');
      if (v > (UINT64_MAX - digit) / 10) {
        overflow = 1;
        break;
      }
      v = v * 10 + digit;
    }
    if (!overflow && ((!neg && v <= (uint64_t)INT64_MAX) || (neg && v <= (uint64_t)INT64_MAX + 1))) {
      EMIT(d->h->integer(d->ctx, neg ? (int64_t)(0 - v) : (int64_t)v));
      return 0;
    }
  }
  /* strtod needs a terminated copy: the input may continue with digits */
  dg_buf *b = d->scratch;
  dg_buf_reset(b);
  if (dg_buf_add(b, s, (size_t)(p - s))) return fail(d, "out of memory");
  EMIT(d->h->number(d->ctx, strtod(b->data, NULL)));
  return 0;
}

static int read_value(parser *d);

static int read_array(parser *d) {
  d->p++;
  EMIT(d->h->begin_array(d->ctx));
  skip_ws(d);
  if (d->p < d->end && *d->p == ']') {
    d->p++;
    EMIT(d->h->end_array(d->ctx));
    return 0;
  }
  for (size_t i = 1;; i++) {
    if (read_value(d)) return -1;
    EMIT(d->h->item(d->ctx, i));
    skip_ws(d);
    if (d->p < d->end && *d->p == ',') {
      d->p++;
      continue;
    }
    if (d->p < d->end && *d->p == ']') {
      d->p++;
      EMIT(d->h->end_array(d->ctx));
      return 0;
    }
    return fail(d, "expected ',' or ']' in array");
  }
}

static int read_object(parser *d) {
  d->p++;
  EMIT(d->h->begin_object(d->ctx));
  skip_ws(d);
  if (d->p < d->end && *d->p == '}') {
    d->p++;
    EMIT(d->h->end_object(d->ctx));
    return 0;
  }
  for (;;) {
    skip_ws(d);
    if (d->p >= d->end || *d->p != '"') return fail(d, "expected a string key in object");
    if (read_string(d, 1)) return -1;
    skip_ws(d);
    if (d->p >= d->end || *d->p != ':') return fail(d, "expected ':' in object");
    d->p++;
    if (read_value(d)) return -1;
    EMIT(d->h->member(d->ctx));
    skip_ws(d);
    if (d->p < d->end && *d->p == ',') {
      d->p++;
      continue;
    }
    if (d->p < d->end && *d->p == '}') {
      d->p++;
      EMIT(d->h->end_object(d->ctx));
      return 0;
    }
    return fail(d, "expected ',' or '}' in object");
  }
}

static int literal(parser *d, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(d->end - d->p) < n || memcmp(d->p, word, n) != 0)
    return fail(d, "unexpected character");
  d->p += n;
  return 0;
}

static int read_value(parser *d) {
  skip_ws(d);
  if (d->p >= d->end) return fail(d, "unexpected end of input");
  if (++d->depth > DG_JSON_MAX_DEPTH) return fail(d, "nested too deeply");
  int rc;
  switch (*d->p) {
    case '{': rc = read_object(d); break;
    case '[': rc = read_array(d); break;
    case '"': rc = read_string(d, 0); break;
    case 't':
      rc = literal(d, "true");
      if (!rc && d->h->boolean(d->ctx, 1)) rc = stopped(d);
      break;
    case 'f':
      rc = literal(d, "false");
      if (!rc && d->h->boolean(d->ctx, 0)) rc = stopped(d);
      break;
    case 'n':
      rc = literal(d, "null");
      if (!rc && d->h->null_value(d->ctx)) rc = stopped(d);
      break;
    default:
      if (*d->p == '-' || (*d->p >= '0' && *d->p <= '9')) rc = read_number(d);
      else rc = fail(d, "unexpected character");
  }
  d->depth--;
  return rc;
}

int dg_json_parse(const char *s, size_t len, const dg_json_handler *h, void *ctx,
                  dg_buf *scratch, char *err, size_t errlen) {
  parser d = {s, s, s + len, h, ctx, scratch, err, errlen, 0};
  if (errlen) err[0] = '\0';
  /* a UTF-8 byte order mark is tolerated */
  if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) d.p += 3;
  if (read_value(&d)) return -1;
  skip_ws(&d);
  if (d.p != d.end) return fail(&d, "trailing characters after the JSON value");
  return 0;
}
