/*
** crypto_lazy.c: libcrypto opened on first use (crypto_lazy.h). Each stub has the
** prototype of the OpenSSL header and forwards to the loaded function; hidden, so
** the library's own calls between its functions never land here.
*/
#include <stddef.h>
#pragma GCC visibility push(hidden)
#include <openssl/evp.h>
#include <openssl/hmac.h>
#pragma GCC visibility pop
#include "crypto_lazy.h"
#include "lazylib.h"

#define NAME(f) #f,
#define SLOT(f) SLOT_##f,
enum { DG_CRYPTO_FUNCTIONS(SLOT) NSLOTS };
static const char *const names[] = {DG_CRYPTO_FUNCTIONS(NAME) NULL};
static dg_lazyfn fns[NSLOTS];
static dg_lazylib crypto_lib = {"libcrypto.so.3", names, fns, 0};

int dg_crypto_load(char *err, size_t errlen) { return dg_lazylib_load(&crypto_lib, err, errlen); }

/* The loaded function f, as a pointer of f's own type. */
#define REAL(f) ((__typeof__(&f))dg_lazylib_sym(&crypto_lib, SLOT_##f))

unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len, const unsigned char *data,
                    size_t data_len, unsigned char *md, unsigned int *md_len) {
  return REAL(HMAC)(evp_md, key, key_len, data, data_len, md, md_len);
}
const EVP_MD *EVP_sha256(void) { return REAL(EVP_sha256)(); }
