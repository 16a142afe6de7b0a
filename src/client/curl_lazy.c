/*
** curl_lazy.c: libcurl opened on first use (curl_lazy.h). Each stub has the
** prototype of curl.h and forwards to the loaded function; the stubs are hidden,
** so libcurl's own calls between its functions never land here.
*/
#define CURL_DISABLE_TYPECHECK /* the stubs define curl_easy_setopt itself */
#pragma GCC visibility push(hidden)
#include <curl/curl.h>
#pragma GCC visibility pop
#include "curl_lazy.h"
#include "lazylib.h"

#include <stdarg.h>

#define NAME(f) #f,
#define SLOT(f) SLOT_##f,
enum { DG_CURL_FUNCTIONS(SLOT) NSLOTS };
static const char *const names[] = {DG_CURL_FUNCTIONS(NAME) NULL};
static dg_lazyfn fns[NSLOTS];
static dg_lazylib curl_lib = {"libcurl.so.4", names, fns, 0};

int dg_curl_load(char *err, size_t errlen) { return dg_lazylib_load(&curl_lib, err, errlen); }
int dg_curl_loaded(void) { return dg_lazylib_loaded(&curl_lib); }

/* The loaded function f, as a pointer of f's own type. */
#define REAL(f) ((__typeof__(&f))dg_lazylib_sym(&curl_lib, SLOT_##f))

CURL *curl_easy_init(void) { return REAL(curl_easy_init)(); }
void curl_easy_cleanup(CURL *c) { REAL(curl_easy_cleanup)(c); }
void curl_easy_reset(CURL *c) { REAL(curl_easy_reset)(c); }
CURLcode curl_easy_perform(CURL *c) { return REAL(curl_easy_perform)(c); }
const char *curl_easy_strerror(CURLcode e) { return REAL(curl_easy_strerror)(e); }
void curl_free(void *p) { REAL(curl_free)(p); }
struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s) {
  return REAL(curl_slist_append)(l, s);
}
void curl_slist_free_all(struct curl_slist *l) { REAL(curl_slist_free_all)(l); }
time_t curl_getdate(const char *p, const time_t *unused) { return REAL(curl_getdate)(p, unused); }
CURLU *curl_url(void) { return REAL(curl_url)(); }
void curl_url_cleanup(CURLU *u) { REAL(curl_url_cleanup)(u); }
CURLUcode curl_url_get(CURLU *u, CURLUPart what, char **part, unsigned int flags) {
  return REAL(curl_url_get)(u, what, part, flags);
}
CURLUcode curl_url_set(CURLU *u, CURLUPart what, const char *part, unsigned int flags) {
  return REAL(curl_url_set)(u, what, part, flags);
}
const char *curl_url_strerror(CURLUcode e) { return REAL(curl_url_strerror)(e); }

/* The one variadic argument, passed on with the type the option's number range says. */
CURLcode curl_easy_setopt(CURL *c, CURLoption option, ...) {
  va_list ap;
  va_start(ap, option);
  CURLcode rc;
  if (option < CURLOPTTYPE_OBJECTPOINT) {
    long v = va_arg(ap, long);
    rc = REAL(curl_easy_setopt)(c, option, v);
  } else if (option >= CURLOPTTYPE_FUNCTIONPOINT && option < CURLOPTTYPE_OFF_T) {
    /* a callback: any function pointer type is passed alike on the ABIs libcurl runs on */
    dg_lazyfn v = va_arg(ap, dg_lazyfn);
    rc = REAL(curl_easy_setopt)(c, option, v);
  } else if (option < CURLOPTTYPE_FUNCTIONPOINT || option >= CURLOPTTYPE_BLOB) {
    /* object, string, list and callback-data pointers, blobs */
    void *v = va_arg(ap, void *);
    rc = REAL(curl_easy_setopt)(c, option, v);
  } else {
    curl_off_t v = va_arg(ap, curl_off_t);
    rc = REAL(curl_easy_setopt)(c, option, v);
  }
  va_end(ap);
  return rc;
}

/* Every CURLINFO takes one pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *c, CURLINFO info, ...) {
  va_list ap;
  va_start(ap, info);
  void *where = va_arg(ap, void *);
  va_end(ap);
  return REAL(curl_easy_getinfo)(c, info, where);
}
