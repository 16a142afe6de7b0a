/*
** lazylib.c: libraries opened on first use (lazylib.h).
*/
#include "lazylib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

int dg_lazylib_loaded(dg_lazylib *lib) {
  return __atomic_load_n(&lib->loaded, __ATOMIC_ACQUIRE);
}

int dg_lazylib_load(dg_lazylib *lib, char *err, size_t errlen) {
  if (dg_lazylib_loaded(lib)) return 0;
  int rc = 0;
  pthread_mutex_lock(&load_lock);
  if (!__atomic_load_n(&lib->loaded, __ATOMIC_RELAXED)) { /* set under this lock only */
    void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      const char *why = dlerror();
      snprintf(err, errlen, "cannot load %s: %s", lib->soname, why ? why : "unknown error");
      rc = -1;
    }
    for (size_t i = 0; rc == 0 && lib->names[i]; i++) {
      void *p = dlsym(h, lib->names[i]);
      if (!p) {
        snprintf(err, errlen, "cannot load %s: it has no %s", lib->soname, lib->names[i]);
        rc = -1;
        break;
      }
      /* POSIX guarantees a dlsym'd function pointer survives the trip through void * */
      memcpy(&lib->fns[i], &p, sizeof p);
    }
    if (rc == 0) __atomic_store_n(&lib->loaded, 1, __ATOMIC_RELEASE);
    else if (h) dlclose(h);
  }
  pthread_mutex_unlock(&load_lock);
  return rc;
}

dg_lazyfn dg_lazylib_sym(dg_lazylib *lib, size_t i) {
  if (!dg_lazylib_loaded(lib)) {
    char err[512];
    if (dg_lazylib_load(lib, err, sizeof err) != 0) {
      fprintf(stderr, "datagrok: %s\n", err);
      abort();
    }
  }
  return lib->fns[i];
}
