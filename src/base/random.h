/*
** random.h: bytes from the kernel's CSPRNG (getrandom(2)), for UUIDs and jitter
** seeds, so that nothing at start-up needs OpenSSL. No Lua.
*/
#ifndef DG_RANDOM_H
#define DG_RANDOM_H

#include <stddef.h>

/* Fills buf with n random bytes. Returns 0, or -1 when the kernel gave none. */
int dg_random_bytes(void *buf, size_t n);

#endif
