/*
** http.h: the client session over libcurl ("datagrok.Session").
**
** One session owns one reusable CURL easy handle (connection keep-alive across
** calls), the base URL, the Authorization value (never logged or shown) and the
** transport options (timeouts, retries, ca_file, allow_http). Every client
** operation (tables.c, files.c, groups.c, sync.c, ...) builds a dg_request and
** calls dg_http_perform, which owns: URL building, headers, retries with capped
** exponential backoff + jitter + Retry-After (idempotent requests only), the
** three error shapes (4xx/5xx, `api-error` header, 200 with an ApiError body),
** debug tracing with the key redacted, SIGINT, and streaming bodies.
**
** Bodies stream: a response goes to a dg_sink as it arrives (CSV parser,
** multipart parser, temporary file) or, without a sink, into response->body.
** Before each attempt (the first and every retry) sink->begin is called, so a
** sink restarts cleanly. An error response (non-2xx, `api-error` header, or a
** JSON ApiError while the sink does not take JSON) never reaches the sink: it
** is collected in memory for the error message.
*/
#ifndef DG_HTTP_H
#define DG_HTTP_H

#include <lua.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"

typedef struct dg_session dg_session;

typedef struct dg_sink {
  /* New attempt: status and Content-Type (may be ""). Return 0, or -1 to abort. */
  int (*begin)(void *ctx, long status, const char *content_type);
  /* Body bytes. Return 0, or -1 to abort the transfer (ctx keeps the reason). */
  int (*write)(void *ctx, const char *data, size_t n);
  void *ctx;
} dg_sink;

typedef struct dg_source {
  /* Back to the first byte, before every attempt. Return 0, or -1 (no retry). */
  int (*rewind)(void *ctx);
  /* Up to n bytes into buf; returns the count, 0 at the end, or (size_t)-1 on error. */
  size_t (*read)(void *ctx, char *buf, size_t n);
  void *ctx;
  int64_t length; /* total bytes, or -1 when unknown (chunked upload) */
} dg_source;

typedef struct dg_request {
  const char *method;       /* "GET", "POST", "DELETE" */
  const char *path;         /* below the base URL, escaped: "/public/v1/tables/Demo.demog" */
  const char *query;        /* "recursive=true&ext=csv" (encoded), or NULL */
  const char *content_type; /* request Content-Type, or NULL for none */
  const char *body;         /* in-memory request body (body_len bytes), or NULL */
  size_t body_len;
  dg_source *source;        /* streamed request body instead of `body`, or NULL */
  dg_sink *sink;            /* where a successful response body goes; NULL: response->body */
  int idempotent;           /* may be retried (GET, DELETE, sync POST, replace-uploads) */
  int transfer;             /* a bulk transfer: no overall timeout, only low-speed abort */
} dg_request;

typedef struct dg_response {
  long status;
  char content_type[128];
  dg_buf body;              /* the body when the request had no sink (or an error body) */
  double seconds;           /* wall time of the whole call, retries included */
  int attempts;
} dg_response;

void dg_response_init(dg_response *r);
void dg_response_free(dg_response *r);

/*
** Performs rq on the session. Returns 0 on success (2xx and no error shape).
** On failure returns -1 and pushes a datagrok.Error (code HTTP_<status>,
** API_ERROR, TIMEOUT, CONNECT, TLS, PROTOCOL, IO, INTERRUPTED; fields status,
** method, url, body excerpt, attempts); the caller frees its own temporaries
** and then calls lua_error. Never raises itself (no longjmp over curl frames),
** except for memory errors before the transfer starts.
*/
int dg_http_perform(lua_State *L, dg_session *s, const dg_request *rq, dg_response *rsp);

/*
** Decodes rsp->body as JSON and pushes it; an empty body (204) pushes nil.
** Returns 0, or -1 with a PROTOCOL Error pushed (naming where the JSON broke).
*/
int dg_http_push_json(lua_State *L, const dg_request *rq, dg_response *rsp);

/*
** Appends one entity name to a path: ':' becomes '.', as the Python client does,
** and characters outside the URL-safe set are %-escaped ('/' kept when keep_slash).
*/
void dg_http_add_name(dg_buf *path, const char *name, int keep_slash);
/* Appends key=value (value %-escaped) to a query, with '&' between pairs. */
void dg_http_add_query(dg_buf *query, const char *key, const char *value);

/* The session at idx (raises a usage error when it is not one or is closed). */
dg_session *dg_session_check(lua_State *L, int idx);

#endif
