/*
** mhd_lazy.c: libmicrohttpd opened on first use (mhd_lazy.h). Each stub has the
** prototype of microhttpd.h and forwards to the loaded function; hidden, so the
** library's own calls between its functions never land here.
*/
#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#pragma GCC visibility push(hidden)
#include <microhttpd.h>
#pragma GCC visibility pop
#include "lazylib.h"
#include "mhd_lazy.h"

#define NAME(f) #f,
#define SLOT(f) SLOT_##f,
enum { DG_MHD_FUNCTIONS(SLOT) NSLOTS };
static const char *const names[] = {DG_MHD_FUNCTIONS(NAME) NULL};
static dg_lazyfn fns[NSLOTS];
static dg_lazylib mhd_lib = {"libmicrohttpd.so.12", names, fns, 0};

int dg_mhd_load(char *err, size_t errlen) { return dg_lazylib_load(&mhd_lib, err, errlen); }

/* The loaded function f, as a pointer of f's own type. */
#define REAL(f) ((__typeof__(&f))dg_lazylib_sym(&mhd_lib, SLOT_##f))

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
                                    void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...) {
  va_list ap;
  va_start(ap, dh_cls);
  struct MHD_Daemon *d = REAL(MHD_start_daemon_va)(flags, port, apc, apc_cls, dh, dh_cls, ap);
  va_end(ap);
  return d;
}
void MHD_stop_daemon(struct MHD_Daemon *d) { REAL(MHD_stop_daemon)(d); }
void MHD_suspend_connection(struct MHD_Connection *c) { REAL(MHD_suspend_connection)(c); }
void MHD_resume_connection(struct MHD_Connection *c) { REAL(MHD_resume_connection)(c); }
struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer,
                                                     enum MHD_ResponseMemoryMode mode) {
  return REAL(MHD_create_response_from_buffer)(size, buffer, mode);
}
struct MHD_Response *MHD_create_response_from_fd(size_t size, int fd) {
  return REAL(MHD_create_response_from_fd)(size, fd);
}
struct MHD_Response *MHD_create_response_from_callback(uint64_t size, size_t block_size,
                                                       MHD_ContentReaderCallback crc, void *crc_cls,
                                                       MHD_ContentReaderFreeCallback crfc) {
  return REAL(MHD_create_response_from_callback)(size, block_size, crc, crc_cls, crfc);
}
enum MHD_Result MHD_add_response_header(struct MHD_Response *r, const char *header,
                                        const char *content) {
  return REAL(MHD_add_response_header)(r, header, content);
}
int MHD_get_connection_values(struct MHD_Connection *c, enum MHD_ValueKind kind,
                              MHD_KeyValueIterator it, void *it_cls) {
  return REAL(MHD_get_connection_values)(c, kind, it, it_cls);
}
enum MHD_Result MHD_queue_response(struct MHD_Connection *c, unsigned int status_code,
                                   struct MHD_Response *r) {
  return REAL(MHD_queue_response)(c, status_code, r);
}
void MHD_destroy_response(struct MHD_Response *r) { REAL(MHD_destroy_response)(r); }
const char *MHD_lookup_connection_value(struct MHD_Connection *c, enum MHD_ValueKind kind,
                                        const char *key) {
  return REAL(MHD_lookup_connection_value)(c, kind, key);
}
/* The one option libmicrohttpd has (MHD_CONNECTION_OPTION_TIMEOUT) takes an unsigned int. */
enum MHD_Result MHD_set_connection_option(struct MHD_Connection *c,
                                          enum MHD_CONNECTION_OPTION option, ...) {
  va_list ap;
  va_start(ap, option);
  unsigned int v = va_arg(ap, unsigned int);
  va_end(ap);
  return REAL(MHD_set_connection_option)(c, option, v);
}
