/*
** secrets.h: the keys the clients of one Lua state have used, and the scrub
** (base/scrub.h) against them that every error, error field and log line of
** that state goes through.
**
** The keys live in C memory owned by a userdata in the registry: no Lua value
** holds them, so nothing a script or the REPL can print shows them. They are
** kept after their session closes (a key stays a secret) and wiped when the
** state closes. Keys shorter than DG_SCRUB_MIN bytes are not recorded.
*/
#ifndef DG_SECRETS_H
#define DG_SECRETS_H

#include <lua.h>
#include <stddef.h>
#include "scrub.h"

/* Records key (copied). Raises only on out of memory. */
void dg_secrets_add(lua_State *L, const char *key);
/* How many keys are recorded (grows when a client uses a new one). */
size_t dg_secrets_count(lua_State *L);
/* True when s[0..n) holds any recorded key. */
int dg_secrets_holds(lua_State *L, const char *s, size_t n);
/* Pushes s[0..n) scrubbed (flags: DG_SCRUB_ONELINE or 0). */
void dg_secrets_push_scrubbed(lua_State *L, const char *s, size_t n, int flags);

/*
** Pushes s[0..n) scrubbed, then cut to at most max bytes at a character boundary
** (scrubbing first, so a cut never leaves part of a key).
*/
void dg_secrets_push_excerpt(lua_State *L, const char *s, size_t n, int flags, size_t max);

#endif
