/*
** mhd_lazy.h: libmicrohttpd, opened when an emulator starts (lazylib.h).
**
** The executable does not link libmicrohttpd (nor, through it, GnuTLS):
** mhd_lazy.c defines the MHD_* functions the emulator uses as hidden stubs that
** call into libmicrohttpd.so.12 once it is loaded. A new MHD_* call fails to link
** until the function is added to DG_MHD_FUNCTIONS and given a stub.
*/
#ifndef DG_MHD_LAZY_H
#define DG_MHD_LAZY_H

#include <stddef.h>

/* Every libmicrohttpd function the emulator calls (also read by cmake/shlibdeps_probe.c);
   MHD_start_daemon is served by MHD_start_daemon_va. */
#define DG_MHD_FUNCTIONS(X)                                                               \
  X(MHD_start_daemon_va) X(MHD_stop_daemon) X(MHD_suspend_connection)                     \
  X(MHD_resume_connection) X(MHD_create_response_from_buffer) X(MHD_create_response_from_fd) \
  X(MHD_create_response_from_callback) X(MHD_add_response_header)                         \
  X(MHD_get_connection_values) X(MHD_queue_response) X(MHD_destroy_response)           \
  X(MHD_lookup_connection_value) X(MHD_set_connection_option)

/* Loads libmicrohttpd. Returns 0, or -1 with the reason in err. Call before any MHD_*. */
int dg_mhd_load(char *err, size_t errlen);

#endif
