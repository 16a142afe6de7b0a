/*
** strmap.c: the insertion-ordered string map of strmap.h (FNV-1a hashing,
** linear probing, load factor at most 1/2).
*/
#include "strmap.h"

#include <stdlib.h>
#include <string.h>

static uint32_t hash_bytes(const char *s, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

void dg_strmap_free(dg_strmap *m) {
  for (size_t i = 0; i < m->n; i++) {
    free(m->v[i].key);
    free(m->v[i].val);
  }
  free(m->v);
  free(m->slots);
  memset(m, 0, sizeof *m);
}

dg_strmap_entry *dg_strmap_get(const dg_strmap *m, const char *k, size_t klen) {
  if (!m->nslots) return NULL;
  for (size_t i = hash_bytes(k, klen) & (m->nslots - 1);; i = (i + 1) & (m->nslots - 1)) {
    uint32_t s = m->slots[i];
    if (!s) return NULL;
    dg_strmap_entry *e = &m->v[s - 1];
    if (e->alive && e->klen == klen && memcmp(e->key, k, klen) == 0) return e;
  }
}

/* Rebuilds the slot table with nslots slots (a power of two), dropping tombstones. */
static int rehash(dg_strmap *m, size_t nslots) {
  uint32_t *slots = calloc(nslots, sizeof *slots);
  if (!slots) return -1;
  for (size_t j = 0; j < m->n; j++) {
    if (!m->v[j].alive) continue;
    size_t i = hash_bytes(m->v[j].key, m->v[j].klen) & (nslots - 1);
    while (slots[i]) i = (i + 1) & (nslots - 1);
    slots[i] = (uint32_t)(j + 1);
  }
  free(m->slots);
  m->slots = slots;
  m->nslots = nslots;
  return 0;
}

dg_strmap_entry *dg_strmap_set(dg_strmap *m, const char *k, size_t klen, const char *val) {
  dg_strmap_entry *e = dg_strmap_get(m, k, klen);
  char *v = NULL;
  if (val && !(v = strdup(val))) return NULL;
  if (e) {
    free(e->val);
    e->val = v;
    return e;
  }
  if (m->n >= UINT32_MAX - 1) goto oom;
  if ((m->n + 1) * 2 > m->nslots && rehash(m, m->nslots ? m->nslots * 2 : 64)) goto oom;
  if (m->n == m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 32;
    dg_strmap_entry *nv = realloc(m->v, cap * sizeof *nv);
    if (!nv) goto oom;
    m->v = nv;
    m->cap = cap;
  }
  char *key = malloc(klen + 1);
  if (!key) goto oom;
  memcpy(key, k, klen);
  key[klen] = '\0';
  e = &m->v[m->n];
  *e = (dg_strmap_entry){key, v, klen, 0, 1};
  size_t i = hash_bytes(k, klen) & (m->nslots - 1);
  while (m->slots[i]) i = (i + 1) & (m->nslots - 1);
  m->slots[i] = (uint32_t)(m->n + 1);
  m->n++;
  m->live++;
  return e;
oom:
  free(v);
  return NULL;
}

void dg_strmap_del(dg_strmap *m, const char *k, size_t klen) {
  dg_strmap_entry *e = dg_strmap_get(m, k, klen);
  if (!e) return;
  e->alive = 0;
  m->live--;
}
