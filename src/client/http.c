/*
** http.c: the client session over libcurl (see http.h).
**
** One dg_http_perform call = up to 1 + retries attempts; one attempt = one
** request plus the redirects it leads to, which are followed here (not by
** libcurl) so that Authorization is only ever sent to the base URL's own
** scheme, host and port. Callbacks touch only the C state of the call (a
** "datagrok.HttpCall" userdata, so a memory error later cannot leak it); every
** Lua value (errors, JSON) is made after curl_easy_perform has returned.
*/
#define _GNU_SOURCE /* memmem */
#include "http.h"
#include "progress.h"
#include "clock.h"
#include "curl_lazy.h"
#include "random.h"
#include "userdata.h"
#include "error.h"
#include "json.h"
#include "log.h"
#include "secrets.h"
#include "signals.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <lauxlib.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#define SESSION_MT "datagrok.Session"
#define RESPONSE_MT "datagrok.HttpResponse"
#define CALL_MT "datagrok.HttpCall"

#define HOLD_MAX (64 * 1024)       /* 2xx bytes held back from a sink while looking for an ApiError */
#define ERROR_BODY_MAX (64 * 1024) /* bytes of an error body kept for its message */
#define EXCERPT_MAX 500            /* bytes of a body quoted in an Error */
#define PLAIN_MESSAGE_MAX 200      /* a non-JSON error body this short is the message */
#define MAX_REDIRECTS 10
/* A compressed answer may inflate to INFLATE_FREE bytes, then to at most INFLATE_RATIO
   times the bytes that came over the wire (deflate alone reaches about 1030:1). */
#define INFLATE_FREE (16L * 1024 * 1024)
#define INFLATE_RATIO 200
#define TRANSFER_BUFFER (512L * 1024) /* libcurl buffers for bulk transfers (default 16/64 KiB) */
#define BACKOFF_BASE 0.5           /* seconds before the first retry (before jitter) */

#define DEFAULT_TIMEOUT 60.0
#define DEFAULT_CONNECT_TIMEOUT 10.0
#define DEFAULT_LOW_SPEED_TIME 30.0
#define DEFAULT_MAX_BACKOFF 30.0
#define DEFAULT_RETRIES 3

struct dg_session {
  CURL *curl;            /* the reusable handle; NULL while closed */
  char *base_url;        /* as given, trailing '/' stripped: requests go here */
  char *display_url;     /* base_url without user:password, for logs and errors */
  char *origin;          /* "scheme://host:port" (lower case) of base_url */
  char *auth_header;     /* "Authorization: <value>", or NULL for none */
  char *secret;          /* the key (authorization without a "Bearer " prefix), also recorded in secrets.h */
  char *ca_file;
  char *plain_host;      /* the host when base_url is plain http:// to a non-loopback host */
  int allow_http;        /* secrets may go to plain_host anyway */
  long timeout_ms, connect_timeout_ms, low_speed_time;
  double max_backoff;
  int retries;
  int progress;           /* progress lines allowed (progress.h) */
  unsigned long long rng; /* jitter only, not a secret */
  char errbuf[CURL_ERROR_SIZE];
};

/* ------------------------------------------------------------------ */
/* URLs                                                                */
/* ------------------------------------------------------------------ */

static char *dup_lower(const char *s) {
  char *d = strdup(s);
  if (d)
    for (char *p = d; *p; p++) *p = (char)tolower((unsigned char)*p);
  return d;
}

/*
** Parses url; on success sets *origin ("scheme://host:port", lower case) and,
** when wanted, *display (the URL without user and password, trailing '/'
** stripped) and *host / *scheme (malloc'd). Returns 0, or -1 with *why set.
*/
static int url_parts(const char *url, char **origin, char **display, char **host, char **scheme,
                     const char **why) {
  CURLU *u = curl_url();
  char *sch = NULL, *h = NULL, *port = NULL, *full = NULL;
  int rc = -1;
  *why = "out of memory";
  if (!u) return -1;
  CURLUcode e = curl_url_set(u, CURLUPART_URL, url, 0);
  if (e) { *why = curl_url_strerror(e); goto done; }
  if (curl_url_get(u, CURLUPART_SCHEME, &sch, 0) || curl_url_get(u, CURLUPART_HOST, &h, 0) ||
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT)) {
    *why = "the URL needs a scheme, a host and a port";
    goto done;
  }
  if (strcasecmp(sch, "http") != 0 && strcasecmp(sch, "https") != 0) {
    *why = "only http:// and https:// URLs are supported";
    goto done;
  }
  size_t n = strlen(sch) + strlen(h) + strlen(port) + 5;
  char *o = malloc(n);
  if (!o) goto done;
  snprintf(o, n, "%s://%s:%s", sch, h, port);
  for (char *p = o; *p; p++) *p = (char)tolower((unsigned char)*p);
  if (display) {
    curl_url_set(u, CURLUPART_USER, NULL, 0);
    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
    if (curl_url_get(u, CURLUPART_URL, &full, 0) || !(*display = strdup(full))) {
      free(o);
      goto done;
    }
    size_t len = strlen(*display);
    while (len > 0 && (*display)[len - 1] == '/') (*display)[--len] = '\0';
  }
  if (host && !(*host = dup_lower(h))) goto fail_host;
  if (scheme && !(*scheme = dup_lower(sch))) goto fail_scheme;
  *origin = o;
  rc = 0;
  goto done;
fail_scheme:
  if (host) { free(*host); *host = NULL; }
fail_host:
  if (display) { free(*display); *display = NULL; }
  free(o);
done:
  curl_free(sch);
  curl_free(h);
  curl_free(port);
  curl_free(full);
  curl_url_cleanup(u);
  return rc;
}

/* True for localhost, *.localhost, 127.0.0.0/8, ::1 and ::ffff:127.x.x.x. */
static int is_loopback(const char *host) {
  char buf[64];
  size_t n = strlen(host);
  if (strcmp(host, "localhost") == 0) return 1;
  if (n > 10 && strcmp(host + n - 10, ".localhost") == 0) return 1;
  if (n >= sizeof buf) return 0;
  if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
    memcpy(buf, host + 1, n - 2);
    buf[n - 2] = '\0';
  } else {
    memcpy(buf, host, n + 1);
  }
  struct in_addr a4;
  struct in6_addr a6;
  if (inet_pton(AF_INET, buf, &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
  if (inet_pton(AF_INET6, buf, &a6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&a6)) return 1;
    return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
  }
  return 0;
}

/* Characters kept as they are in a path segment (RFC 3986 pchar minus ':' and '%'). */
static int path_safe(unsigned char c) {
  return isalnum(c) || strchr("-._~!$&'()*+,;=@", c) != NULL;
}

static void add_escaped(dg_buf *b, unsigned char c) {
  static const char hex[] = "0123456789ABCDEF";
  char e[3] = {'%', hex[c >> 4], hex[c & 15]};
  dg_buf_add(b, e, 3);
}

void dg_http_add_name(dg_buf *path, const char *name, int keep_slash) {
  for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
    unsigned char c = *p == ':' ? '.' : *p;
    if (path_safe(c) || (keep_slash && c == '/')) dg_buf_addc(path, (char)c);
    else add_escaped(path, c);
  }
}

void dg_http_add_query(dg_buf *query, const char *key, const char *value) {
  if (query->len) dg_buf_addc(query, '&');
  dg_buf_adds(query, key);
  dg_buf_addc(query, '=');
  for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
    if (isalnum(*p) || strchr("-._~", *p)) dg_buf_addc(query, (char)*p);
    else add_escaped(query, *p);
  }
}

/* ------------------------------------------------------------------ */
/* The session userdata                                                */
/* ------------------------------------------------------------------ */

/* Frees a string that held a secret, wiping it first. */
static void free_secret(char *p) {
  if (!p) return;
  memset(p, 0, strlen(p));
  free(p);
}

void dg_session_close(dg_session *s) {
  if (s->curl) curl_easy_cleanup(s->curl);
  s->curl = NULL;
  free(s->base_url);
  free(s->display_url);
  free(s->origin);
  free_secret(s->auth_header);
  free_secret(s->secret);
  free(s->ca_file);
  free(s->plain_host);
  s->base_url = s->display_url = s->origin = s->auth_header = s->secret = s->ca_file = NULL;
  s->plain_host = NULL;
}

const char *dg_session_display_url(const dg_session *s) { return s->curl ? s->display_url : NULL; }

static int session_gc(lua_State *L) {
  dg_session_close(luaL_checkudata(L, 1, SESSION_MT));
  return 0;
}

/* tostring(session) -> "datagrok.Session<https://host/api>" (never the key) */
static int session_tostring(lua_State *L) {
  dg_session *s = luaL_checkudata(L, 1, SESSION_MT);
  lua_pushfstring(L, "datagrok.Session<%s>", s->curl ? s->display_url : "closed");
  return 1;
}

void dg_session_push_metatable(lua_State *L) {
  if (dg_userdata_metatable(L, SESSION_MT, session_gc)) {
    lua_pushcfunction(L, session_tostring);
    lua_setfield(L, -2, "__tostring");
  }
}

dg_session *dg_session_check(lua_State *L, int idx) {
  dg_session *s = luaL_checkudata(L, idx, SESSION_MT);
  if (!s->curl) luaL_argerror(L, idx, "the session is closed");
  return s;
}

static long to_ms(double seconds, double dflt) {
  if (!(seconds > 0)) seconds = dflt;
  return seconds * 1000.0 > 2147483647.0 ? 2147483647L : (long)(seconds * 1000.0);
}

/* Pushes a CONFIG Error, closes the half-made session and returns -1. */
static int open_failed(lua_State *L, dg_session *s, const char *code, const char *fmt,
                       const char *arg) {
  dg_session_close(s);
  dg_error_push(L, code, fmt, arg);
  return -1;
}

int dg_session_check_secret_transport(lua_State *L, const dg_session *s) {
  if (!s->plain_host || s->allow_http) return 0;
  dg_error_push(L, "CONFIG",
                "refusing to send the API key over plain http:// to %s; use https://, "
                "or allow_http = true to accept the risk",
                s->plain_host);
  return -1;
}

void dg_session_note_key(lua_State *L, const char *authorization) {
  if (!authorization) return;
  const char *key = strncasecmp(authorization, "Bearer ", 7) == 0 ? authorization + 7 : authorization;
  while (*key == ' ') key++;
  dg_secrets_add(L, key);
}

int dg_session_set_authorization(lua_State *L, dg_session *s, const char *authorization) {
  const char *auth = authorization && *authorization ? authorization : NULL;
  dg_session_note_key(L, auth); /* first: even a refused key is a secret from now on */
  if (auth && strpbrk(auth, "\r\n")) {
    dg_error_push(L, "CONFIG", "the API key contains a line break");
    return -1;
  }
  if (auth && dg_session_check_secret_transport(L, s) != 0) return -1;
  char *header = NULL, *secret = NULL;
  if (auth) {
    size_t an = strlen(auth) + sizeof "Authorization: ";
    const char *key = strncasecmp(auth, "Bearer ", 7) == 0 ? auth + 7 : auth;
    while (*key == ' ') key++;
    if (!(header = malloc(an)) || !(secret = strdup(key))) {
      free(header);
      dg_error_push(L, "OUT_OF_MEMORY", "out of memory");
      return -1;
    }
    snprintf(header, an, "Authorization: %s", auth);
  }
  free_secret(s->auth_header);
  free_secret(s->secret);
  s->auth_header = header;
  s->secret = secret;
  return 0;
}

int dg_session_new(lua_State *L, const dg_session_options *o) {
  dg_session *s = lua_newuserdatauv(L, sizeof *s, 0);
  memset(s, 0, sizeof *s); /* born closed: every pointer NULL */
  dg_session_push_metatable(L);
  lua_setmetatable(L, -2);

  char why_load[512]; /* the first session opens libcurl (curl_lazy.h) */
  if (dg_curl_load(why_load, sizeof why_load) != 0)
    return open_failed(L, s, "CONFIG", "%s", why_load);
  dg_session_note_key(L, o->authorization && *o->authorization ? o->authorization : NULL);
  if (!o->base_url || !*o->base_url) return open_failed(L, s, "CONFIG", "no server URL given%s", "");
  if (!(s->base_url = strdup(o->base_url))) return open_failed(L, s, "OUT_OF_MEMORY", "out of memory%s", "");
  size_t n = strlen(s->base_url);
  while (n > 0 && s->base_url[n - 1] == '/') s->base_url[--n] = '\0';

  char *host = NULL, *scheme = NULL;
  const char *why;
  if (url_parts(s->base_url, &s->origin, &s->display_url, &host, &scheme, &why) != 0) {
    char msg[256];
    snprintf(msg, sizeof msg, "%s", why);
    return open_failed(L, s, "CONFIG", "bad server URL: %s", msg);
  }
  int plain_remote = strcmp(scheme, "http") == 0 && !is_loopback(host);
  free(scheme);
  if (plain_remote) s->plain_host = host;
  else free(host);
  s->allow_http = o->allow_http;
  if (dg_session_set_authorization(L, s, o->authorization) != 0) {
    dg_session_close(s);
    return -1;
  }
  if (o->ca_file && *o->ca_file && !(s->ca_file = strdup(o->ca_file)))
    return open_failed(L, s, "OUT_OF_MEMORY", "out of memory%s", "");
  s->timeout_ms = to_ms(o->timeout, DEFAULT_TIMEOUT);
  s->connect_timeout_ms = to_ms(o->connect_timeout, DEFAULT_CONNECT_TIMEOUT);
  s->low_speed_time = (to_ms(o->low_speed_time, DEFAULT_LOW_SPEED_TIME) + 999) / 1000;
  s->max_backoff = o->max_backoff > 0 ? o->max_backoff : DEFAULT_MAX_BACKOFF;
  s->retries = o->retries >= 0 ? o->retries : DEFAULT_RETRIES;
  s->progress = !o->no_progress;
  if (dg_random_bytes(&s->rng, sizeof s->rng) != 0 || s->rng == 0)
    s->rng = (unsigned long long)time(NULL) * 2654435761ULL + 1;
  if (!(s->curl = curl_easy_init()))
    return open_failed(L, s, "CONFIG", "cannot create an HTTP handle%s", "");
  return 0;
}

/* ------------------------------------------------------------------ */
/* Responses                                                           */
/* ------------------------------------------------------------------ */

void dg_response_init(dg_response *r) {
  memset(r, 0, sizeof *r);
  dg_buf_init(&r->body);
  dg_buf_init(&r->url);
}

void dg_response_free(dg_response *r) {
  dg_buf_free(&r->body);
  dg_buf_free(&r->url);
}

static int response_gc(lua_State *L) {
  dg_response_free(luaL_checkudata(L, 1, RESPONSE_MT));
  return 0;
}

dg_response *dg_response_newud(lua_State *L) {
  dg_response *r = lua_newuserdatauv(L, sizeof *r, 0);
  dg_response_init(r);
  dg_userdata_set_metatable(L, RESPONSE_MT, response_gc);
  return r;
}

/* ------------------------------------------------------------------ */
/* One call: the state the curl callbacks see                          */
/* ------------------------------------------------------------------ */

enum { BODY_UNDECIDED, BODY_DISCARD, BODY_ERROR, BODY_KEEP, BODY_HOLD, BODY_STREAM };

typedef struct http_call {
  dg_session *s;
  const dg_request *rq;
  dg_response *rsp;
  struct curl_slist *headers;
  dg_buf url;      /* the URL of the current hop (may carry credentials: never shown) */
  dg_buf scratch;  /* header lines being built */
  /* per response (reset by each status line) */
  long status;
  char content_type[DG_CONTENT_TYPE_MAX];
  int api_error;      /* an `api-error` header was present */
  double retry_after; /* seconds, or -1 */
  int has_location;
  int encoded;        /* a Content-Encoding other than identity: bytes are inflated */
  int mode;           /* BODY_* */
  size_t bytes;       /* body bytes received (after decoding) */
  curl_off_t wire;    /* the body's bytes on the wire when the inflation cap fired */
  /* per attempt */
  int begun;          /* sink->begin called */
  int sink_failed, source_failed, oom;
  dg_progress progress; /* the line of a request with a progress label */
  uint64_t moved;       /* bytes of the body that counts (sent for uploads), this attempt */
  int bomb;           /* the inflation cap stopped the transfer */
} http_call;

static void call_free(http_call *c) {
  curl_slist_free_all(c->headers);
  c->headers = NULL;
  dg_buf_free(&c->url);
  dg_buf_free(&c->scratch);
}

static int call_gc(lua_State *L) {
  call_free(luaL_checkudata(L, 1, CALL_MT));
  return 0;
}

static http_call *call_new(lua_State *L) {
  http_call *c = lua_newuserdatauv(L, sizeof *c, 0);
  memset(c, 0, sizeof *c);
  dg_userdata_set_metatable(L, CALL_MT, call_gc);
  return c;
}

static int is_2xx(long status) { return status >= 200 && status < 300; }
static int is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* Copies a header value (after "name:") trimmed into out; a value that does not fit is left empty, never cut. */
static void header_value(const char *line, size_t n, size_t name_len, char *out, size_t outlen) {
  const char *v = line + name_len, *end = line + n;
  while (v < end && (*v == ' ' || *v == '\t')) v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t')) end--;
  size_t len = (size_t)(end - v);
  if (len >= outlen) len = 0;
  memcpy(out, v, len);
  out[len] = '\0';
}

static int header_is(const char *line, size_t n, const char *name) {
  size_t k = strlen(name);
  return n > k && strncasecmp(line, name, k) == 0;
}

/* Retry-After: delay-seconds or an HTTP date; -1 when unreadable. */
static double parse_retry_after(const char *v) {
  if (*v >= '0' && *v <= '9') {
    char *end;
    double d = strtod(v, &end);
    return *end == '\0' ? d : -1;
  }
  time_t t = curl_getdate(v, NULL);
  if (t == (time_t)-1) return -1;
  double d = difftime(t, time(NULL));
  return d > 0 ? d : 0;
}

/* Forgets what the headers of the previous response (a redirect, a 1xx) said. */
static void reset_response(http_call *c) {
  c->status = 0;
  c->content_type[0] = '\0';
  c->api_error = 0;
  c->retry_after = -1;
  c->has_location = 0;
  c->encoded = 0;
  c->mode = BODY_UNDECIDED;
  c->bytes = 0;
}

static size_t on_header(char *line, size_t size, size_t nitems, void *ud) {
  http_call *c = ud;
  size_t n = size * nitems;
  char v[128];
  if (n > 5 && strncmp(line, "HTTP/", 5) == 0) { /* a new response (1xx, or the final one) */
    const char *sp = memchr(line, ' ', n);
    reset_response(c);
    c->status = sp ? strtol(sp + 1, NULL, 10) : 0;
  } else if (header_is(line, n, "content-encoding:")) {
    header_value(line, n, 17, v, sizeof v);
    c->encoded = v[0] && strcasecmp(v, "identity") != 0;
  } else if (header_is(line, n, "content-type:")) {
    header_value(line, n, 13, c->content_type, sizeof c->content_type);
  } else if (header_is(line, n, "api-error:")) {
    c->api_error = 1;
  } else if (header_is(line, n, "retry-after:")) {
    header_value(line, n, 12, v, sizeof v);
    c->retry_after = parse_retry_after(v);
  } else if (header_is(line, n, "location:")) {
    c->has_location = 1;
  }
  return n;
}

/* Starts delivering to the sink (once per attempt). Returns 0 or -1 (sink refused). */
static int sink_begin(http_call *c) {
  if (c->begun) return 0;
  c->begun = 1;
  dg_sink *k = c->rq->sink;
  if (k->begin && k->begin(k->ctx, c->status, c->content_type) != 0) {
    c->sink_failed = 1;
    return -1;
  }
  return 0;
}

/* Hands the held bytes to the sink and streams from now on. Returns 0 or -1. */
static int flush_held(http_call *c) {
  dg_buf *held = &c->rsp->body;
  c->mode = BODY_STREAM;
  if (sink_begin(c)) return -1;
  if (held->len && c->rq->sink->write(c->rq->sink->ctx, held->data, held->len) != 0) {
    c->sink_failed = 1;
    return -1;
  }
  dg_buf_reset(held);
  return 0;
}

static int json_start(unsigned char ch) { return ch == '{' || ch == '"'; }
static int json_space(unsigned char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n'; }

static void decide_mode(http_call *c, const char *data, size_t n) {
  if (is_redirect(c->status) && c->has_location) c->mode = BODY_DISCARD;
  else if (!is_2xx(c->status) || c->api_error) c->mode = BODY_ERROR;
  else if (!c->rq->sink) c->mode = BODY_KEEP;
  else if (n && (json_start((unsigned char)data[0]) || json_space((unsigned char)data[0])))
    c->mode = BODY_HOLD; /* may be an ApiError: keep it from the sink until we know */
  else c->mode = BODY_STREAM;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *ud) {
  http_call *c = ud;
  size_t n = size * nmemb;
  dg_buf *body = &c->rsp->body;
  if (c->mode == BODY_UNDECIDED) decide_mode(c, data, n);
  c->bytes += n;
  if (c->encoded && c->bytes > (size_t)INFLATE_FREE) {
    curl_off_t wire = 0; /* libcurl counts the body as it came, before decoding */
    if (curl_easy_getinfo(c->s->curl, CURLINFO_SIZE_DOWNLOAD_T, &wire) == CURLE_OK &&
        (double)c->bytes > (double)wire * INFLATE_RATIO) {
      c->bomb = 1;
      c->wire = wire;
      return 0;
    }
  }
  switch (c->mode) {
    case BODY_DISCARD:
      return n;
    case BODY_ERROR:
      if (body->len < ERROR_BODY_MAX) {
        size_t k = ERROR_BODY_MAX - body->len;
        dg_buf_add(body, data, n < k ? n : k);
      }
      return n;
    case BODY_KEEP:
      if (dg_buf_add(body, data, n)) { c->oom = 1; return 0; }
      return n;
    case BODY_HOLD: {
      if (dg_buf_add(body, data, n)) { c->oom = 1; return 0; }
      size_t i = 0;
      while (i < body->len && json_space((unsigned char)body->data[i])) i++;
      int not_json = i < body->len && !json_start((unsigned char)body->data[i]);
      if ((not_json || body->len >= HOLD_MAX) && flush_held(c)) return 0;
      return n;
    }
    default: /* BODY_STREAM */
      if (sink_begin(c)) return 0;
      if (c->rq->sink->write(c->rq->sink->ctx, data, n) != 0) {
        c->sink_failed = 1;
        return 0;
      }
      return n;
  }
}

static size_t on_read(char *buf, size_t size, size_t nitems, void *ud) {
  http_call *c = ud;
  dg_source *src = c->rq->source;
  size_t got = src->read(src->ctx, buf, size * nitems);
  if (got == (size_t)-1) {
    c->source_failed = 1;
    return CURL_READFUNC_ABORT;
  }
  return got;
}

/* libcurl's progress callback: Ctrl-C, and the progress line (C only, see progress.h). */
static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un) {
  http_call *c = ud;
  if (c->rq->progress) {
    int up = c->rq->source != NULL || c->rq->body != NULL;
    curl_off_t done = up ? un : dn, total = up ? ut : dt;
    c->moved = done > 0 ? (uint64_t)done : 0;
    dg_progress_update(&c->progress, c->moved, total > 0 ? (uint64_t)total : 0);
  }
  return dg_interrupted ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* Attempts                                                            */
/* ------------------------------------------------------------------ */

static int add_header(http_call *c, const char *line) {
  struct curl_slist *l = curl_slist_append(c->headers, line);
  if (!l) return -1;
  c->headers = l;
  return 0;
}

/* Configures the handle for one hop. Returns CURLE_OK or the first failure. */
static CURLcode setup_hop(http_call *c, const char *method, int with_body, int send_auth) {
  dg_session *s = c->s;
  const dg_request *rq = c->rq;
  CURL *h = s->curl;
  CURLcode e = CURLE_OK;
#define SET(opt, val) do { if (e == CURLE_OK) e = curl_easy_setopt(h, opt, val); } while (0)

  curl_easy_reset(h); /* keeps the connection cache: keep-alive survives */
  curl_slist_free_all(c->headers);
  c->headers = NULL;
  if (send_auth && s->auth_header && add_header(c, s->auth_header)) return CURLE_OUT_OF_MEMORY;
  if (rq->content_type && with_body >= 0) {
    dg_buf_reset(&c->scratch);
    dg_buf_printf(&c->scratch, "Content-Type: %s", rq->content_type);
    if (c->scratch.failed || add_header(c, c->scratch.data)) return CURLE_OUT_OF_MEMORY;
  }
  if (add_header(c, "Expect:")) return CURLE_OUT_OF_MEMORY; /* no 100-continue round trip */
  if (with_body > 0 && rq->source && rq->source->length < 0 &&
      add_header(c, "Transfer-Encoding: chunked"))
    return CURLE_OUT_OF_MEMORY;

  s->errbuf[0] = '\0';
  SET(CURLOPT_ERRORBUFFER, s->errbuf);
  SET(CURLOPT_URL, c->url.data);
  SET(CURLOPT_HTTPHEADER, c->headers);
  SET(CURLOPT_USERAGENT, "datagrok/" DATAGROK_VERSION);
  SET(CURLOPT_PROTOCOLS_STR, "http,https");
  SET(CURLOPT_FOLLOWLOCATION, 0L);
  SET(CURLOPT_UNRESTRICTED_AUTH, 0L);
  SET(CURLOPT_NOSIGNAL, 1L);
  SET(CURLOPT_ACCEPT_ENCODING, "");
  SET(CURLOPT_CONNECTTIMEOUT_MS, s->connect_timeout_ms);
  if (!rq->transfer) SET(CURLOPT_TIMEOUT_MS, s->timeout_ms);
  if (rq->transfer) {
    /* Bulk bodies move in 512 KiB pieces instead of libcurl's 16/64 KiB: fewer
       callbacks, reads and writes per byte (1 GiB to disk: 1.5 x -> 1.1 x curl -o). */
    SET(CURLOPT_BUFFERSIZE, TRANSFER_BUFFER);
    SET(CURLOPT_UPLOAD_BUFFERSIZE, TRANSFER_BUFFER);
  }
  SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
  SET(CURLOPT_LOW_SPEED_TIME, s->low_speed_time);
  SET(CURLOPT_SSL_VERIFYPEER, 1L);
  SET(CURLOPT_SSL_VERIFYHOST, 2L);
  if (s->ca_file) SET(CURLOPT_CAINFO, s->ca_file);
  SET(CURLOPT_HEADERFUNCTION, on_header);
  SET(CURLOPT_HEADERDATA, c);
  SET(CURLOPT_WRITEFUNCTION, on_write);
  SET(CURLOPT_WRITEDATA, c);
  SET(CURLOPT_XFERINFOFUNCTION, on_progress);
  SET(CURLOPT_XFERINFODATA, c);
  SET(CURLOPT_NOPROGRESS, 0L);
  /* libcurl silently resends a request once when a reused connection dies before
     any answer; for a call that must never run twice, use a fresh connection. */
  if (!rq->idempotent) SET(CURLOPT_FRESH_CONNECT, 1L);

  if (strcmp(method, "GET") == 0) {
    SET(CURLOPT_HTTPGET, 1L);
  } else if (strcmp(method, "HEAD") == 0) {
    SET(CURLOPT_NOBODY, 1L);
  } else if (with_body > 0 && rq->source) {
    SET(CURLOPT_POST, 1L);
    SET(CURLOPT_READFUNCTION, on_read);
    SET(CURLOPT_READDATA, c);
    if (rq->source->length >= 0) SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->source->length);
    if (strcmp(method, "POST") != 0) SET(CURLOPT_CUSTOMREQUEST, method);
  } else if (strcmp(method, "POST") == 0 || (with_body > 0 && rq->body)) {
    int has = with_body > 0 && rq->body;
    SET(CURLOPT_POST, 1L);
    SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(has ? rq->body_len : 0));
    SET(CURLOPT_POSTFIELDS, has ? rq->body : "");
    if (strcmp(method, "POST") != 0) SET(CURLOPT_CUSTOMREQUEST, method);
  } else {
    SET(CURLOPT_CUSTOMREQUEST, method);
  }
#undef SET
  return e;
}

/* Resets the per-attempt and per-response state. */
static void reset_attempt(http_call *c) {
  reset_response(c);
  c->begun = c->sink_failed = c->source_failed = c->oom = c->bomb = 0;
  dg_buf_reset(&c->rsp->body);
}

/*
** One attempt: the request and the redirects it leads to. Returns the CURLcode
** of the last transfer (CURLE_TOO_MANY_REDIRECTS past MAX_REDIRECTS).
*/
static CURLcode run_attempt(lua_State *L, http_call *c, int log) {
  const dg_request *rq = c->rq;
  const char *method = rq->method;
  int with_body = 1, send_auth = 1;
  for (int hop = 0;; hop++) {
    reset_attempt(c);
    CURLcode e = setup_hop(c, method, with_body, send_auth);
    if (e == CURLE_OK) e = curl_easy_perform(c->s->curl);
    if (e != CURLE_OK || !is_redirect(c->status) || !c->has_location) return e;
    if (hop == MAX_REDIRECTS) return CURLE_TOO_MANY_REDIRECTS;
    char *target = NULL;
    if (curl_easy_getinfo(c->s->curl, CURLINFO_REDIRECT_URL, &target) != CURLE_OK || !target)
      return CURLE_OK; /* unusable Location: the 3xx is the answer */
    char *origin = NULL, *display = NULL; /* display: the target without credentials */
    const char *why;
    if (url_parts(target, &origin, &display, NULL, NULL, &why) != 0) return CURLE_OK;
    send_auth = strcmp(origin, c->s->origin) == 0; /* only to the base URL's scheme+host+port */
    free(origin);
    for (const char *const *p = rq->secrets; p && *p; p++) {
      if (**p && strstr(display, *p)) {
        free(display); /* a target holding one of the request's secrets is not shown */
        if (!(display = strdup("(a URL holding a secret)"))) return CURLE_OUT_OF_MEMORY;
        break;
      }
    }
    if (log)
      dg_log(L, DG_LOG_DEBUG, "http", "redirect %ld to %s%s", c->status, display,
             send_auth ? "" : " (Authorization not sent: another host)");
    dg_buf_reset(&c->rsp->url); /* logs and errors name the URL that answered */
    int oom = dg_buf_adds(&c->rsp->url, display);
    free(display);
    dg_buf_reset(&c->url);
    if (oom || dg_buf_adds(&c->url, target)) return CURLE_OUT_OF_MEMORY;
    if (c->status == 303 || ((c->status == 301 || c->status == 302) &&
                             strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)) {
      method = "GET";
      with_body = -1; /* no body and no Content-Type */
    } else if (with_body > 0 && rq->source && rq->source->rewind(rq->source->ctx) != 0) {
      c->source_failed = 1;
      return CURLE_READ_ERROR;
    }
  }
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

/*
** Pushes str[0..n) through the state's scrub (secrets.h), which knows the
** session's key; the request's own secrets (rq->secrets) are recorded there
** first. flags: DG_SCRUB_ONELINE, or 0 for a body.
*/
static void push_scrubbed(lua_State *L, const dg_session *s, const dg_request *rq, const char *str,
                          size_t n, int flags) {
  (void)s;
  for (const char *const *p = rq->secrets; p && *p; p++) dg_secrets_add(L, *p);
  dg_secrets_push_scrubbed(L, str, n, flags);
}

/* Sets err.key to the scrubbed str[0..n); the Error is on top. */
static void set_scrubbed(lua_State *L, const dg_session *s, const dg_request *rq, const char *key,
                         const char *str, size_t n, int flags) {
  push_scrubbed(L, s, rq, str, n, flags);
  lua_setfield(L, -2, key);
}

/*
** Sets err.body (the Error is on top) to the body scrubbed (secrets.h), then cut
** to EXCERPT_MAX bytes at a character boundary.
*/
static void set_body_excerpt(lua_State *L, const dg_session *s, const dg_request *rq,
                             const dg_buf *body) {
  if (!body->len) return;
  for (const char *const *p = rq->secrets; p && *p; p++) dg_secrets_add(L, *p);
  (void)s;
  dg_secrets_push_excerpt(L, body->data, body->len, 0, EXCERPT_MAX);
  lua_setfield(L, -2, "body");
}

/* Pushes a new Error with the call's method, url, status, attempts and body excerpt. */
static void push_call_error(lua_State *L, http_call *c, const char *code, const char *msg) {
  dg_response *rsp = c->rsp;
  dg_error_push(L, code, "%s", "");
  set_scrubbed(L, c->s, c->rq, "message", msg, strlen(msg), DG_SCRUB_ONELINE);
  dg_error_setstr(L, "method", c->rq->method);
  const char *url = rsp->url.data ? rsp->url.data : c->s->display_url;
  set_scrubbed(L, c->s, c->rq, "url", url, strlen(url), DG_SCRUB_ONELINE);
  if (c->status > 0) dg_error_setint(L, "status", c->status);
  dg_error_setint(L, "attempts", rsp->attempts);
  if (c->mode == BODY_ERROR || c->mode == BODY_KEEP || c->mode == BODY_HOLD)
    set_body_excerpt(L, c->s, c->rq, &rsp->body);
}

/* True when t (at idx) is an ApiError object. */
static int is_api_error_object(lua_State *L, int idx) {
  if (!lua_istable(L, idx)) return 0;
  lua_getfield(L, idx, "#type");
  int yes = lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), "ApiError") == 0;
  lua_pop(L, 1);
  return yes;
}

/*
** Decodes body as JSON; a JSON string holding JSON is decoded once more.
** Pushes the value and returns 1, or pushes nothing and returns 0.
*/
static int push_body_json(lua_State *L, const char *body, size_t len) {
  char err[160];
  size_t i = 0;
  while (i < len && json_space((unsigned char)body[i])) i++;
  if (i == len || !json_start((unsigned char)body[i])) return 0;
  if (dg_json_decode(L, body, len, err, sizeof err) != 0) return 0;
  if (lua_type(L, -1) == LUA_TSTRING) {
    size_t sl;
    const char *str = lua_tolstring(L, -1, &sl);
    if (sl && json_start((unsigned char)str[0]) && dg_json_decode(L, str, sl, err, sizeof err) == 0) {
      if (lua_istable(L, -1)) lua_remove(L, -2);
      else lua_pop(L, 1);
    }
  }
  return 1;
}

/* True when body is a JSON ApiError (an object, or a JSON string holding one). */
static int body_is_api_error(lua_State *L, const char *body, size_t len) {
  if (len == 0 || !memmem(body, len, "ApiError", 8)) return 0;
  if (!push_body_json(L, body, len)) return 0;
  int yes = is_api_error_object(L, -1);
  lua_pop(L, 1);
  return yes;
}

/*
** Pushes the server's message from an error body: a JSON object's `message`
** (with `innerMessage`) or `error`, or a short non-HTML text; nil when none.
** Sets *api_code from an `errorCode` integer.
*/
static void push_server_message(lua_State *L, const char *body, size_t len, lua_Integer *api_code,
                                int *found) {
  *found = 0;
  if (push_body_json(L, body, len)) {
    if (lua_istable(L, -1)) {
      int t = lua_gettop(L);
      lua_getfield(L, t, "errorCode");
      if (lua_isinteger(L, -1)) *api_code = lua_tointeger(L, -1);
      lua_pop(L, 1);
      const char *keys[] = {"message", "error", "errorMessage", NULL};
      for (int k = 0; keys[k] && !*found; k++) {
        if (lua_getfield(L, t, keys[k]) == LUA_TSTRING && lua_rawlen(L, -1) > 0) *found = 1;
        else lua_pop(L, 1);
      }
      if (*found && lua_getfield(L, t, "innerMessage") == LUA_TSTRING && lua_rawlen(L, -1) > 0 &&
          !lua_rawequal(L, -1, -2)) {
        lua_pushfstring(L, "%s (%s)", lua_tostring(L, -2), lua_tostring(L, -1));
        lua_replace(L, -3);
      }
      if (*found) lua_pop(L, 1); /* innerMessage */
      if (*found) {
        lua_remove(L, t);
        return;
      }
      lua_settop(L, t - 1);
    } else if (lua_type(L, -1) == LUA_TSTRING && lua_rawlen(L, -1) > 0 &&
               lua_rawlen(L, -1) <= PLAIN_MESSAGE_MAX) {
      *found = 1;
      return;
    } else {
      lua_pop(L, 1);
    }
  }
  size_t i = 0;
  while (i < len && json_space((unsigned char)body[i])) i++;
  while (len > i && json_space((unsigned char)body[len - 1])) len--;
  if (len > i && len - i <= PLAIN_MESSAGE_MAX && body[i] != '<' && body[i] != '{') {
    lua_pushlstring(L, body + i, len - i);
    *found = 1;
    return;
  }
  lua_pushnil(L);
}

/*
** Pushes the Error for a finished response that is an error (code HTTP_<status>
** or API_ERROR); `note` (may be NULL) is appended to the message.
*/
static void push_response_error(lua_State *L, http_call *c, const char *code, const char *fallback,
                                 const char *note) {
  dg_buf *b = &c->rsp->body;
  lua_Integer api_code = 0;
  int found;
  push_server_message(L, b->data ? b->data : "", b->len, &api_code, &found);
  if (!found) {
    lua_pop(L, 1);
    if (fallback) lua_pushstring(L, fallback);
    else lua_pushfstring(L, "HTTP %d", (int)c->status);
  }
  if (note) {
    lua_pushstring(L, note);
    lua_concat(L, 2);
  }
  char codebuf[32];
  if (!code) {
    snprintf(codebuf, sizeof codebuf, "HTTP_%ld", c->status);
    code = codebuf;
  }
  push_call_error(L, c, code, lua_tostring(L, -1));
  if (api_code) dg_error_setint(L, "api_code", api_code);
  lua_remove(L, -2); /* the message string */
}

/* The Error code for a failed transfer; *retry tells whether it is transient. */
static const char *curl_failure_code(CURLcode e, int *retry) {
  *retry = 0;
  switch (e) {
    case CURLE_OPERATION_TIMEDOUT:
      *retry = 1;
      return "TIMEOUT";
    case CURLE_COULDNT_RESOLVE_PROXY: case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR: case CURLE_RECV_ERROR: case CURLE_GOT_NOTHING: case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2: case CURLE_HTTP2_STREAM:
      *retry = 1;
      return "CONNECT";
    case CURLE_SSL_CONNECT_ERROR: case CURLE_PEER_FAILED_VERIFICATION: case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER: case CURLE_SSL_CACERT_BADFILE: case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED: case CURLE_SSL_ENGINE_INITFAILED: case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE: case CURLE_SSL_ISSUER_ERROR: case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS: case CURLE_SSL_CLIENTCERT: case CURLE_USE_SSL_FAILED:
      return "TLS";
    case CURLE_URL_MALFORMAT:
      return "CONFIG";
    /* CURLE_UNSUPPORTED_PROTOCOL: the URLs are checked before any request, so it
       is the answer: an HTTP/0.9 reply (no status line) -> PROTOCOL, below */
    case CURLE_OUT_OF_MEMORY:
      return "IO";
    default:
      return "PROTOCOL";
  }
}

/* Says why the CA file at path cannot be used: a system error, a directory, or no certificate. */
static void ca_file_problem(const char *path, char *out, size_t n) {
  struct stat st;
  FILE *f = NULL;
  if (stat(path, &st) != 0 || (!S_ISDIR(st.st_mode) && !(f = fopen(path, "r"))))
    snprintf(out, n, "%s", strerror(errno));
  else if (S_ISDIR(st.st_mode))
    snprintf(out, n, "a directory, not a file of PEM certificates");
  else
    snprintf(out, n, "no PEM certificate could be read from it");
  if (f) fclose(f);
}

/* Pushes the Error for a transfer that failed in libcurl (or in our callbacks). */
static void push_transfer_error(lua_State *L, http_call *c, CURLcode e, const char *note) {
  if (c->sink_failed) {
    push_call_error(L, c, "IO", "the response receiver stopped the transfer");
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "sink_aborted");
    return;
  }
  if (c->source_failed) {
    push_call_error(L, c, "IO", "the request body could not be read");
    return;
  }
  if (c->bomb) {
    char msg[200];
    snprintf(msg, sizeof msg, "the compressed answer inflates too far: %zu bytes from %lld on the "
             "wire (more than %d times, past %ld MiB); refused", c->bytes, (long long)c->wire,
             INFLATE_RATIO, INFLATE_FREE >> 20);
    push_call_error(L, c, "PROTOCOL", msg);
    return;
  }
  if (e == CURLE_OUT_OF_MEMORY && !c->oom) {
    /* not our allocation: libcurl refuses a header line past its limit this way */
    push_call_error(L, c, "PROTOCOL", "the server's answer could not be read: a header too large "
                    "(libcurl's limit is 100 KB), or memory ran out");
    return;
  }
  if (c->oom) e = CURLE_OUT_OF_MEMORY;
  int retry;
  const char *code = curl_failure_code(e, &retry);
  const char *what = c->s->errbuf[0] ? c->s->errbuf : curl_easy_strerror(e);
  lua_pushstring(L, what);
  if (e == CURLE_SSL_CACERT_BADFILE && c->s->ca_file) {
    char why[160];
    ca_file_problem(c->s->ca_file, why, sizeof why);
    lua_pushfstring(L, " (ca_file: %s)", why);
    lua_concat(L, 2);
  }
  if (note) {
    lua_pushstring(L, note);
    lua_concat(L, 2);
  }
  long status = c->status;
  c->status = 0; /* a partial response's status is not the outcome */
  push_call_error(L, c, code, lua_tostring(L, -1));
  c->status = status;
  lua_remove(L, -2);
}

/* INTERRUPTED: the SIGINT is consumed here (its hook would re-raise in the error handler). */
static void push_interrupted(lua_State *L, http_call *c) {
  dg_signals_consume(L);
  c->status = 0;
  push_call_error(L, c, "INTERRUPTED", "interrupted");
}

/* Sleeps, waking every 50 ms to look for SIGINT. Returns 0, or -1 when interrupted. */
static int sleep_interruptible(double seconds) {
  double end = dg_clock_seconds() + seconds;
  for (;;) {
    if (dg_interrupted) return -1;
    double left = end - dg_clock_seconds();
    if (left <= 0) return 0;
    if (left > 0.05) left = 0.05;
    struct timespec ts = {0, (long)(left * 1e9)};
    nanosleep(&ts, NULL);
  }
}

/* The capped exponential backoff before retry number `attempt` (1-based), with jitter. */
static double backoff(dg_session *s, int attempt) {
  double d = BACKOFF_BASE;
  for (int i = 1; i < attempt && d < s->max_backoff; i++) d *= 2;
  if (d > s->max_backoff) d = s->max_backoff;
  s->rng ^= s->rng << 13; /* xorshift64 */
  s->rng ^= s->rng >> 7;
  s->rng ^= s->rng << 17;
  double u = (double)(s->rng >> 11) / 9007199254740992.0; /* [0, 1) */
  return d * (0.5 + 0.5 * u);
}

/*
** Completes a 2xx response: an ApiError body is an error (pushed, -1); else a
** held body goes to the sink, and an empty body still begins it.
*/
static int finish_success(lua_State *L, http_call *c) {
  dg_buf *b = &c->rsp->body;
  if (c->mode == BODY_KEEP || c->mode == BODY_HOLD) {
    if (body_is_api_error(L, b->data, b->len)) {
      push_response_error(L, c, "API_ERROR", "the server reported an error", NULL);
      return -1;
    }
  }
  if (c->rq->sink) {
    if ((c->mode == BODY_HOLD && flush_held(c)) || sink_begin(c)) {
      push_transfer_error(L, c, CURLE_WRITE_ERROR, NULL);
      return -1;
    }
  }
  return 0;
}

/* Points the call at the request's own URL (c->url) and display URL (rsp->url) again. */
static void start_urls(http_call *c) {
  const dg_request *rq = c->rq;
  const char *path = rq->path ? rq->path : "";
  const char *slash = path[0] == '/' ? "" : "/";
  const char *q = rq->query && *rq->query ? "?" : "";
  const char *query = rq->query ? rq->query : "";
  dg_buf_reset(&c->url);
  dg_buf_printf(&c->url, "%s%s%s%s%s", c->s->base_url, slash, path, q, query);
  const char *shown = rq->display_path ? rq->display_path : path;
  dg_buf_reset(&c->rsp->url);
  dg_buf_printf(&c->rsp->url, "%s%s%s%s%s", c->s->display_url, shown[0] == '/' ? "" : "/", shown, q,
                query);
}

int dg_http_perform(lua_State *L, dg_session *s, const dg_request *rq, dg_response *rsp) {
  http_call *c = call_new(L);
  int cidx = lua_gettop(L);
  c->s = s;
  c->rq = rq;
  c->rsp = rsp;
  rsp->status = 0;
  rsp->content_type[0] = '\0';
  rsp->attempts = 0;
  dg_buf_reset(&rsp->body);
  start_urls(c);
  dg_progress_begin(&c->progress, rq->progress, rq->progress && s->progress);

  int log = dg_log_enabled(L, DG_LOG_DEBUG);
  int max_attempts = rq->idempotent ? s->retries + 1 : 1;
  double t0 = dg_clock_seconds();
  int rc = -1;
  if (rq->source && rq->source->rewind(rq->source->ctx) != 0) {
    rsp->attempts = 1;
    push_call_error(L, c, "IO", "the request body could not be read");
    goto done;
  }
  for (int attempt = 1;; attempt++) {
    rsp->attempts = attempt;
    start_urls(c);
    if (c->url.failed || rsp->url.failed) {
      push_call_error(L, c, "IO", "out of memory");
      break;
    }
    double ta = dg_clock_seconds();
    CURLcode e = run_attempt(L, c, log);
    double ms = (dg_clock_seconds() - ta) * 1000.0;
    rsp->status = c->status;
    memcpy(rsp->content_type, c->content_type, sizeof rsp->content_type);
    if (dg_interrupted || e == CURLE_ABORTED_BY_CALLBACK) {
      if (dg_interrupted || !(c->sink_failed || c->source_failed)) {
        push_interrupted(L, c);
        break;
      }
    }
    int retry = 0;
    char note[200];
    note[0] = '\0';
    if (e == CURLE_OK) {
      if (log)
        dg_log(L, DG_LOG_DEBUG, "http", "%s %s -> %ld %zu B %.1f ms", rq->method, rsp->url.data,
               c->status, c->bytes, ms);
      if (is_2xx(c->status) && !c->api_error) {
        rc = finish_success(L, c);
        break;
      }
      if (is_2xx(c->status)) { /* the `api-error` header */
        int api = body_is_api_error(L, rsp->body.data, rsp->body.len);
        push_response_error(L, c, "API_ERROR",
                            api ? "the server reported an error" : "Something went wrong during request",
                            NULL);
        break;
      }
      retry = c->status == 429 || c->status == 502 || c->status == 503 || c->status == 504;
    } else {
      int transient;
      curl_failure_code(c->oom ? CURLE_OUT_OF_MEMORY : e, &transient);
      retry = transient && !c->sink_failed && !c->source_failed;
      if (log)
        dg_log(L, DG_LOG_DEBUG, "http", "%s %s -> failed: %s (%.1f ms)", rq->method, rsp->url.data,
               s->errbuf[0] ? s->errbuf : curl_easy_strerror(e), ms);
    }
    double wait = retry && c->retry_after >= 0 && e == CURLE_OK ? c->retry_after : -1;
    if (retry && wait > s->max_backoff) {
      snprintf(note, sizeof note,
               " (gave up: the server asked to retry after %.0f s, beyond the %.0f s cap)", wait,
               s->max_backoff);
      retry = 0;
    } else if (retry && attempt >= max_attempts) {
      if (max_attempts > 1) snprintf(note, sizeof note, " (gave up after %d attempts)", attempt);
      retry = 0;
    }
    if (retry && rq->source && rq->source->rewind(rq->source->ctx) != 0) retry = 0;
    if (!retry) {
      if (e == CURLE_OK) push_response_error(L, c, NULL, NULL, note[0] ? note : NULL);
      else push_transfer_error(L, c, e, note[0] ? note : NULL);
      break;
    }
    if (wait < 0) wait = backoff(s, attempt);
    if (log) {
      char why[96];
      if (e != CURLE_OK) snprintf(why, sizeof why, "%s", curl_easy_strerror(e));
      else if (c->retry_after >= 0) snprintf(why, sizeof why, "HTTP %ld, Retry-After %.0f s", c->status, c->retry_after);
      else snprintf(why, sizeof why, "HTTP %ld", c->status);
      dg_log(L, DG_LOG_DEBUG, "http", "retry %d/%d in %.2f s after %s", attempt, max_attempts - 1,
             wait, why);
    }
    if (sleep_interruptible(wait)) {
      push_interrupted(L, c);
      break;
    }
  }
done:
  rsp->seconds = dg_clock_seconds() - t0;
  dg_progress_end(&c->progress, c->moved);
  call_free(c);
  lua_remove(L, cidx); /* the Error, if any, stays on top */
  return rc;
}

/* What the value on top is, as a PROTOCOL message names it. */
static const char *json_kind(lua_State *L) {
  switch (lua_type(L, -1)) {
    case LUA_TNIL: return "an empty body";
    case LUA_TBOOLEAN: return "a boolean";
    case LUA_TNUMBER: return "a number";
    case LUA_TSTRING: return "a string";
    case LUA_TTABLE: {
      int array = 0;
      if (lua_getmetatable(L, -1)) {
        dg_json_push_array_mt(L);
        array = lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
      }
      return array ? "an array" : "an object";
    }
    default: return dg_json_is_null(L, -1) ? "null" : "another value";
  }
}

/* Pushes a PROTOCOL Error about the answer to rq, with its status and body excerpt. */
static void push_answer_error(lua_State *L, dg_session *s, const dg_request *rq, dg_response *rsp,
                              const char *msg) {
  dg_error_push(L, "PROTOCOL", "%s", msg);
  dg_error_setstr(L, "method", rq->method);
  set_scrubbed(L, s, rq, "url", rsp->url.data ? rsp->url.data : "", rsp->url.data ? rsp->url.len : 0,
               DG_SCRUB_ONELINE);
  if (rsp->status) dg_error_setint(L, "status", rsp->status);
  set_body_excerpt(L, s, rq, &rsp->body);
}

int dg_http_push_json(lua_State *L, dg_session *s, const dg_request *rq, dg_response *rsp) {
  char err[200], msg[DG_CONTENT_TYPE_MAX + 200];
  if (rsp->body.len == 0) {
    lua_pushnil(L);
  } else if (dg_json_decode(L, rsp->body.data, rsp->body.len, err, sizeof err) != 0) {
    snprintf(msg, sizeof msg, "the server's answer is not valid JSON: %s", err);
    push_answer_error(L, s, rq, rsp, msg);
    return -1;
  }
  if (rq->expect == DG_EXPECT_ANY) return 0;
  const char *kind = json_kind(L);
  const char *want = rq->expect == DG_EXPECT_OBJECT ? "an object" : "an array";
  char what[96];
  snprintf(what, sizeof what, "%s", kind);
  int ok = strcmp(kind, want) == 0;
  if (ok && rq->expect == DG_EXPECT_OBJECTS) { /* every item an object */
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    for (lua_Integer i = 1; ok && i <= n; i++) {
      lua_rawgeti(L, -1, i);
      const char *item = json_kind(L);
      if (strcmp(item, "an object") != 0) {
        snprintf(what, sizeof what, "an array holding %s (item %lld)", item, (long long)i);
        ok = 0;
      }
      lua_pop(L, 1);
    }
  }
  if (ok) return 0;
  lua_pop(L, 1);
  snprintf(msg, sizeof msg, "the server's answer is %s where a JSON %s was expected%s%s%s", what,
           rq->expect == DG_EXPECT_OBJECT ? "object" :
           rq->expect == DG_EXPECT_OBJECTS ? "array of objects" : "array",
           rsp->content_type[0] ? " (Content-Type '" : "", rsp->content_type,
           rsp->content_type[0] ? "')" : "");
  push_answer_error(L, s, rq, rsp, msg);
  return -1;
}

int dg_http_call_json(lua_State *L, dg_session *s, const dg_request *rq) {
  dg_response *rsp = dg_response_newud(L);
  if (dg_http_perform(L, s, rq, rsp) != 0 || dg_http_push_json(L, s, rq, rsp) != 0) {
    dg_response_free(rsp);
    return lua_error(L);
  }
  dg_response_free(rsp);
  lua_remove(L, -2); /* the response userdata */
  return 1;
}

void dg_http_call(lua_State *L, dg_session *s, const dg_request *rq) {
  dg_response *rsp = dg_response_newud(L);
  if (dg_http_perform(L, s, rq, rsp) != 0) {
    dg_response_free(rsp);
    lua_error(L);
  }
  dg_response_free(rsp);
  lua_pop(L, 1);
}

int dg_session_progress(const dg_session *s) { return s->progress; }
