/*
** longopt.c: the long-option matcher of longopt.h.
*/
#include "longopt.h"

#include <string.h>

int dg_longopt_match(const dg_longopt *opts, int argc, char **argv, int *i, const char **value) {
  const char *a = argv[*i];
  const char *eq = strchr(a, '=');
  size_t n = eq ? (size_t)(eq - a) : strlen(a);
  *value = NULL;
  for (const dg_longopt *o = opts; o->name; o++) {
    if (strlen(o->name) != n || strncmp(a, o->name, n) != 0) continue;
    if (!o->has_value) {
      if (eq) return DG_LONGOPT_EXTRA;
      return o->id;
    }
    if (eq) {
      *value = eq + 1;
    } else {
      if (*i + 1 >= argc) return DG_LONGOPT_MISSING;
      *value = argv[++*i];
    }
    return o->id;
  }
  return DG_LONGOPT_UNKNOWN;
}
