/*
** emulator_token.c: "datagrok.emulator.token", the binding of login tokens to the key
** that issued them. A token's record keeps mac(key, token) = HMAC-SHA256 keyed by the
** emulator's key over the token, in hex; a token is accepted only while the emulator
** runs with the same key, so a restart with a new --key revokes every older token.
** The record never holds the key itself, and the MAC does not reveal it.
*/
#include "emulator.h"

#include <lauxlib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* token.mac(key, token) -> 64 lower-case hex digits. */
static int l_mac(lua_State *L) {
  size_t kn, tn;
  const char *key = luaL_checklstring(L, 1, &kn);
  const char *tok = luaL_checklstring(L, 2, &tn);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdn = 0;
  if (!HMAC(EVP_sha256(), key, (int)kn, (const unsigned char *)tok, tn, md, &mdn))
    return luaL_error(L, "HMAC-SHA256 failed");
  char hex[2 * EVP_MAX_MD_SIZE + 1];
  static const char digits[] = "0123456789abcdef";
  for (unsigned int i = 0; i < mdn; i++) {
    hex[2 * i] = digits[md[i] >> 4];
    hex[2 * i + 1] = digits[md[i] & 15];
  }
  lua_pushlstring(L, hex, 2 * (size_t)mdn);
  return 1;
}

int luaopen_datagrok_emulator_token(lua_State *L) {
  static const luaL_Reg funcs[] = {{"mac", l_mac}, {NULL, NULL}};
  luaL_newlib(L, funcs);
  return 1;
}
