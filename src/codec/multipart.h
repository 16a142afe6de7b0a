/*
** multipart.h: an incremental parser for multipart bodies (any multipart/ subtype) (RFC 2046).
**
** The body is fed chunk by chunk as it arrives (from an HTTP sink); a part's
** body is handed to the caller in pieces and never buffered whole. Only the
** part headers are kept (at most DG_MULTIPART_MAX_HEADERS bytes per part).
** Delimiters are "CRLF--boundary"; a bare LF before "--boundary" is tolerated.
** The preamble and the epilogue are ignored. Pure C: no Lua, safe to run
** inside a libcurl callback.
*/
#ifndef DG_MULTIPART_H
#define DG_MULTIPART_H

#include <stddef.h>

#define DG_MULTIPART_MAX_BOUNDARY 200
#define DG_MULTIPART_MAX_HEADERS 16384

/* The part being parsed, as seen by the callbacks (valid until part_end returns). */
typedef struct dg_multipart_part {
  size_t index;           /* 0-based position in the body */
  const char *headers;    /* raw header block: "Name: value\n" lines, NUL-terminated */
  size_t headers_len;
} dg_multipart_part;

typedef struct dg_multipart_callbacks {
  /* A part's headers are complete. Return 0, or nonzero to stop the parser. */
  int (*part_begin)(void *ctx, const dg_multipart_part *part);
  /* Body bytes of the current part (any number of calls, possibly zero). */
  int (*part_data)(void *ctx, const char *data, size_t n);
  /* The current part ended with its delimiter. */
  int (*part_end)(void *ctx);
  void *ctx;
} dg_multipart_callbacks;

typedef struct dg_multipart {
  dg_multipart_callbacks cb;
  char delim[DG_MULTIPART_MAX_BOUNDARY + 4]; /* "\n--" + boundary */
  size_t delim_len;
  int state;              /* see multipart.c */
  size_t matched;         /* bytes of delim matched so far */
  int held_cr;            /* a '\r' that may belong to the next delimiter */
  int dashes;             /* '-' seen right after a boundary */
  size_t parts;           /* parts begun so far */
  unsigned long long offset; /* bytes consumed so far (for error messages) */
  char headers[DG_MULTIPART_MAX_HEADERS + 1];
  size_t headers_len;
  size_t line_start;      /* where the header line being read starts */
  int stopped;            /* a callback asked to stop */
  char err[256];          /* the reason of the last failure */
} dg_multipart;

/*
** Extracts the boundary parameter of a Content-Type value ("multipart/mixed;
** boundary=xyz" or boundary="x y z"; the parameter name is case-insensitive).
** Returns 0, or -1 with a message in err when the type is not multipart/ or has
** no usable boundary.
*/
int dg_multipart_boundary(const char *content_type, char *out, size_t outlen,
                          char *err, size_t errlen);

/* Resets p for a new body with this boundary (at most DG_MULTIPART_MAX_BOUNDARY bytes). */
int dg_multipart_init(dg_multipart *p, const char *boundary, const dg_multipart_callbacks *cb);

/*
** Feeds n bytes. Returns 0, or -1 when the body is malformed (p->err says what
** and at which byte offset) or a callback returned nonzero (p->stopped is set).
** After a failure every further call fails the same way.
*/
int dg_multipart_feed(dg_multipart *p, const char *data, size_t n);

/*
** The body ended. Returns 0 when it was complete (closing delimiter seen, or an
** empty body: zero parts), -1 with p->err naming the truncated part otherwise.
*/
int dg_multipart_finish(dg_multipart *p);

/* Number of parts whose headers were complete. */
size_t dg_multipart_count(const dg_multipart *p);

/*
** Looks up a header of the part (name case-insensitive); returns a pointer to
** its value (leading/trailing blanks trimmed) and its length, or NULL.
*/
const char *dg_multipart_header(const dg_multipart_part *part, const char *name, size_t *len);

/*
** The part's file name as the Python client derives it: everything after the
** first "filename=" of Content-Disposition, with '"' stripped at both ends;
** "part_<index>" when there is none. Writes at most outlen-1 bytes plus NUL and
** returns the full length (so a result >= outlen means it was cut; the name may
** contain NUL bytes, which the caller must refuse).
*/
size_t dg_multipart_filename(const dg_multipart_part *part, char *out, size_t outlen);

#endif
