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
** sink restarts cleanly: it is called when the first body byte of a 2xx answer
** is delivered, or once the transfer ends for an empty 2xx answer (204). An
** error response (non-2xx, `api-error` header) never reaches the sink: it is
** collected in memory for the error message. A 2xx body that starts like JSON
** ('{', '"' or white space) is held back until it is known not to be a JSON
** ApiError (the whole body, when it ends within 64 KiB) or passes 64 KiB: so an
** ApiError never reaches the sink either. Redirects are followed inside one
** attempt; their bodies are discarded.
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
  /* NULL-terminated strings the request carries that must never be shown (a
     connection's password ...): replaced by "***" in an Error's message and body,
     like the key. NULL for none; strings shorter than 4 bytes are not scrubbed. */
  const char *const *secrets;
  const char *display_path; /* what logs and errors show instead of path (a path holding a
                               secret), or NULL */
  const char *progress;     /* label of its progress line on a terminal (progress.h), or NULL */
  int expect;               /* the JSON answer's shape (DG_EXPECT_*) for dg_http_call_json */
} dg_request;

/* What a JSON call's 2xx answer must be; anything else raises PROTOCOL naming what came. */
enum {
  DG_EXPECT_ANY = 0,   /* any JSON value, or an empty body (nil) */
  DG_EXPECT_OBJECT,    /* a JSON object: not an array, a scalar, null or an empty body */
  DG_EXPECT_ARRAY,     /* a JSON array */
  DG_EXPECT_OBJECTS    /* a JSON array whose items are all objects (a list of entities) */
};

/* A Content-Type is kept whole up to this size (multipart boundaries sit at its end);
   a longer one is read as empty (no type), never cut. */
#define DG_CONTENT_TYPE_MAX 1024

typedef struct dg_response {
  long status;
  char content_type[DG_CONTENT_TYPE_MAX];
  dg_buf body;              /* the body when the request had no sink (or an error body) */
  double seconds;           /* wall time of the whole call, retries included */
  int attempts;
  dg_buf url;               /* the request URL as shown in logs and errors (no credentials) */
} dg_response;

void dg_response_init(dg_response *r);
void dg_response_free(dg_response *r);
/*
** Pushes a userdata ("datagrok.HttpResponse") holding an initialised dg_response
** that its __gc/__close frees: for callers that raise while holding a response.
*/
dg_response *dg_response_newud(lua_State *L);

/*
** Performs rq on the session. Returns 0 on success (2xx and no error shape).
** On failure returns -1 and pushes a datagrok.Error (code HTTP_<status>,
** API_ERROR, TIMEOUT, CONNECT, TLS, PROTOCOL, IO, INTERRUPTED; fields status,
** method, url, body excerpt, attempts); the caller frees its own temporaries
** and then calls lua_error. Never raises itself (no longjmp over curl frames),
** except for memory errors before the transfer starts.
** When a sink's begin/write returns -1 the Error is {code="IO", sink_aborted=true,
** message="the response receiver stopped the transfer"}: the caller, whose ctx
** knows the reason, pops it and pushes its own.
*/
int dg_http_perform(lua_State *L, dg_session *s, const dg_request *rq, dg_response *rsp);

/*
** Performs rq (which must have no sink) and pushes the decoded JSON body (nil
** for an empty body). Raises the datagrok.Error on failure; the caller must own
** no C temporaries (keep buffers in dg_buf_newud userdata).
*/
int dg_http_call_json(lua_State *L, dg_session *s, const dg_request *rq);
/* Performs rq (no sink), discarding the body; raises the datagrok.Error on failure. */
void dg_http_call(lua_State *L, dg_session *s, const dg_request *rq);

/*
** Decodes rsp->body as JSON and pushes it; an empty body (204) pushes nil.
** Returns 0, or -1 with a PROTOCOL Error pushed: the JSON is broken (naming
** where), or it is not of the shape rq->expect asks for (naming what came).
*/
int dg_http_push_json(lua_State *L, dg_session *s, const dg_request *rq, dg_response *rsp);

/*
** Appends one entity name to a path: ':' becomes '.', as the Python client does,
** and characters outside the URL-safe set are %-escaped ('/' kept when keep_slash).
*/
void dg_http_add_name(dg_buf *path, const char *name, int keep_slash);
/* Appends key=value (value %-escaped) to a query, with '&' between pairs. */
void dg_http_add_query(dg_buf *query, const char *key, const char *value);

/* The session at idx (raises a usage error when it is not one or is closed). */
dg_session *dg_session_check(lua_State *L, int idx);

/* Transport options of a session (times in seconds; 0 or less: the default). */
typedef struct dg_session_options {
  const char *base_url;       /* required: "https://host/api" (trailing '/' stripped) */
  const char *authorization;  /* the Authorization value, sent verbatim, or NULL */
  const char *ca_file;        /* extra CA bundle (CURLOPT_CAINFO), or NULL */
  double timeout;             /* whole request, non-transfer requests (default 60) */
  double connect_timeout;     /* default 10 */
  double low_speed_time;      /* abort when under 1 B/s this long (default 30) */
  double max_backoff;         /* cap of one retry wait and of Retry-After (default 30) */
  int retries;                /* extra attempts for idempotent requests; <0: default 3 */
  int allow_http;             /* permit sending the key over http:// to a non-loopback host */
  int no_progress;            /* never draw progress lines (the `progress = false` option) */
} dg_session_options;

/*
** Records the key of an Authorization value (without a "Bearer " prefix) in the
** state's secrets (binding/secrets.h): from then on it is scrubbed from every
** error and log line, and the REPL keeps lines holding it out of its history.
** dg_session_new calls it first; the facade calls it before checking arguments.
*/
void dg_session_note_key(lua_State *L, const char *authorization);
/*
** Pushes a new "datagrok.Session" userdata: born closed, then opened with o.
** Returns 0, or -1 with an Error pushed above the (closed) session: CONFIG for
** a bad URL, a key over plain http:// to another host, or a key with a line break.
*/
int dg_session_new(lua_State *L, const dg_session_options *o);
/*
** Pushes the "datagrok.Session" metatable (__gc, __close, __tostring, __name),
** creating it on first use; client.c adds the __index of operation methods.
*/
void dg_session_push_metatable(lua_State *L);
/*
** Replaces the session's Authorization value (NULL: none), with the checks of
** dg_session_new: a line break, or plain http:// to a non-loopback host without
** allow_http, leaves the session as it was and returns -1 with a CONFIG Error
** pushed. Returns 0 otherwise. The old value is wiped from memory.
*/
int dg_session_set_authorization(lua_State *L, dg_session *s, const char *authorization);
/*
** 0 when a secret may be sent to this session's server: https, a loopback host,
** or allow_http. Otherwise -1 with a CONFIG Error pushed naming the host.
*/
int dg_session_check_secret_transport(lua_State *L, const dg_session *s);
/* Releases the session's handle and strings; idempotent (its __gc and __close). */
void dg_session_close(dg_session *s);
/* The base URL without credentials, or NULL for a closed session. */
const char *dg_session_display_url(const dg_session *s);
/* Whether the session may draw progress lines (they still need a terminal). */
int dg_session_progress(const dg_session *s);

#endif
