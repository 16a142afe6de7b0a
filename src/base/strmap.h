/*
** strmap.h: an insertion-ordered map from byte strings to C strings, with a
** counter per entry. No Lua: usable inside libcurl callbacks. Keys may hold
** NUL bytes (their length is explicit); the map owns copies of keys and values.
** Lookups, inserts and deletes are O(1) on average.
*/
#ifndef DG_STRMAP_H
#define DG_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct dg_strmap_entry {
  char *key;   /* klen bytes + a NUL */
  char *val;   /* NULL when set without a value */
  size_t klen;
  size_t count; /* free for the caller (0 when inserted) */
  int alive;    /* 0 once deleted: iterate entries [0, n) and skip dead ones */
} dg_strmap_entry;

typedef struct dg_strmap {
  dg_strmap_entry *v; /* entries in insertion order, dead ones included */
  size_t n, cap, live;
  uint32_t *slots;    /* open addressing: entry index + 1, 0 = empty */
  size_t nslots;
} dg_strmap;

/* An empty map is all zeros: dg_strmap m = {0}. */
void dg_strmap_free(dg_strmap *m);
/* The live entry for key, or NULL. */
dg_strmap_entry *dg_strmap_get(const dg_strmap *m, const char *k, size_t klen);
/*
** Sets key to a copy of val (NULL allowed). An existing key keeps its place and
** its count; a new one goes last. Returns the entry, or NULL when memory ran out
** (the map is unchanged).
*/
dg_strmap_entry *dg_strmap_set(dg_strmap *m, const char *k, size_t klen, const char *val);
/* Removes key, if present (its slot stays as a tombstone until the map grows). */
void dg_strmap_del(dg_strmap *m, const char *k, size_t klen);

#endif
