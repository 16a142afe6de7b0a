/*
** crypto_lazy.h: libcrypto (OpenSSL), opened when an emulator starts (lazylib.h).
**
** The executable does not link libcrypto: crypto_lazy.c defines the OpenSSL
** functions the emulator uses (HMAC-SHA256 for its session tokens) as hidden stubs
** that call into libcrypto.so.3 once it is loaded. A new OpenSSL call fails to link
** until the function is added to DG_CRYPTO_FUNCTIONS and given a stub.
*/
#ifndef DG_CRYPTO_LAZY_H
#define DG_CRYPTO_LAZY_H

#include <stddef.h>

/* Every libcrypto function the emulator calls (also read by cmake/shlibdeps_probe.c). */
#define DG_CRYPTO_FUNCTIONS(X) X(HMAC) X(EVP_sha256)

/* Loads libcrypto. Returns 0, or -1 with the reason in err. Call before any of them. */
int dg_crypto_load(char *err, size_t errlen);

#endif
