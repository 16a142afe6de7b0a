/*
** shlibdeps_probe.c: not part of datagrok. The executable opens libcurl,
** libmicrohttpd and libcrypto on first use (dlopen), so dpkg-shlibdeps cannot see them in it;
** this program links both and references exactly the functions datagrok resolves
** from them, so that dpkg-shlibdeps run on it (cmake/cpack_project.cmake) gives
** the package's Depends for those libraries, with the versions their symbols need.
** It is built, never installed or run.
*/
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "crypto_lazy.h"
#include "curl_lazy.h"
#include "mhd_lazy.h"

#define ADDRESS(f) (void (*)(void)) & f,

int main(void) {
  static void (*volatile used[])(void) = {DG_CURL_FUNCTIONS(ADDRESS) DG_MHD_FUNCTIONS(ADDRESS)
                                          DG_CRYPTO_FUNCTIONS(ADDRESS)};
  return used[0] == 0;
}
