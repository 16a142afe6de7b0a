/*
** curl_lazy.h: libcurl, opened when the first HTTP session is made (lazylib.h).
**
** The executable does not link libcurl: curl_lazy.c defines the libcurl functions
** the client uses as hidden stubs that call into libcurl.so.4 once it is loaded, so
** a run that never talks HTTP never maps libcurl, OpenSSL and their dependencies.
** Code keeps calling curl_* as usual; a new curl_* call fails to link until the
** function is added to DG_CURL_FUNCTIONS and given a stub.
*/
#ifndef DG_CURL_LAZY_H
#define DG_CURL_LAZY_H

#include <stddef.h>

/* Every libcurl function the client calls (also read by cmake/shlibdeps_probe.c). */
#define DG_CURL_FUNCTIONS(X)                                                              \
  X(curl_easy_init) X(curl_easy_cleanup) X(curl_easy_reset) X(curl_easy_perform)          \
  X(curl_easy_setopt) X(curl_easy_getinfo) X(curl_easy_strerror) X(curl_free)             \
  X(curl_slist_append) X(curl_slist_free_all) X(curl_getdate) X(curl_url)                 \
  X(curl_url_cleanup) X(curl_url_get) X(curl_url_set) X(curl_url_strerror)

/* Loads libcurl. Returns 0, or -1 with the reason in err. Call before any curl_*. */
int dg_curl_load(char *err, size_t errlen);
/* Whether libcurl has been loaded in this process. */
int dg_curl_loaded(void);

#endif
