/*
** lazylib.h: a shared library opened on first use (dlopen) instead of at start-up.
**
** A script that never talks HTTP should not pay for mapping and relocating libcurl,
** OpenSSL, GnuTLS and their ~30 dependencies (most of `datagrok -e ''`'s start-up).
** A layer that wants a library lazily keeps one static dg_lazylib naming it and the
** functions it uses, and defines stubs with the library's own names (hidden, so the
** executable neither exports them nor preempts the library's internal calls) that
** call through dg_lazylib_sym. Loading is idempotent and thread-safe; a loaded
** library stays for the life of the process. No Lua.
*/
#ifndef DG_LAZYLIB_H
#define DG_LAZYLIB_H

#include <stddef.h>

typedef void (*dg_lazyfn)(void);

typedef struct dg_lazylib {
  const char *soname;        /* "libcurl.so.4" */
  const char *const *names;  /* the functions used, NULL-terminated */
  dg_lazyfn *fns;            /* one slot per name, filled by the load */
  int loaded;                /* read and written atomically */
} dg_lazylib;

/*
** Opens the library and resolves every name. Returns 0, or -1 with a message in
** err ("cannot load libcurl.so.4: ..." / "... has no curl_url") when it or a
** function is missing; a failed load may be retried.
*/
int dg_lazylib_load(dg_lazylib *lib, char *err, size_t errlen);
/* Whether the library has been loaded (for tests and start-up measurements). */
int dg_lazylib_loaded(dg_lazylib *lib);
/*
** The i-th function, loading the library first if needed. A caller is expected to
** have loaded it with dg_lazylib_load (reporting a failure properly); if that
** contract is broken and the load fails, the process aborts with the message.
*/
dg_lazyfn dg_lazylib_sym(dg_lazylib *lib, size_t i);

#endif
