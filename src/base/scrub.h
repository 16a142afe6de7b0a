/*
** scrub.h: the one scrub every string goes through before it reaches an error
** (message and fields), a log line or a report shown to the user. No Lua.
**
** It guarantees of its output:
**   - no secret: each occurrence of any of the given secrets (those of at least
**     DG_SCRUB_MIN bytes) is replaced by "***";
**   - nothing a terminal would act on: C0 control bytes, DEL and the C1 controls
**     (U+0080..U+009F, as UTF-8) are written as \xNN per byte; with
**     DG_SCRUB_ONELINE also line feed, carriage return and tab (as \n, \r, \t),
**     so the result is one line; without it, \n, \r and \t are kept;
**   - valid UTF-8: every byte that does not start a valid sequence is \xNN.
** A backslash of the input is kept as it is. With DG_SCRUB_KEYS_ONLY only the
** secrets are replaced and every other byte is kept (for data handed to a
** script, such as the names in a sync report, rather than text to display).
*/
#ifndef DG_SCRUB_H
#define DG_SCRUB_H

#include <stddef.h>
#include "buf.h"

#define DG_SCRUB_MIN 4 /* shorter secrets are not scrubbed (they would mangle any text) */

enum { DG_SCRUB_ONELINE = 1, DG_SCRUB_KEYS_ONLY = 2 };

/*
** Appends the scrubbed s[0..n) to out. secrets: nsecrets NUL-terminated strings
** (may be NULL when nsecrets is 0). Returns 0, or -1 when memory ran out.
*/
int dg_scrub(dg_buf *out, const char *s, size_t n, const char *const *secrets, size_t nsecrets,
             int flags);
/* True when s[0..n) holds any of the secrets (of at least DG_SCRUB_MIN bytes). */
int dg_scrub_holds(const char *s, size_t n, const char *const *secrets, size_t nsecrets);

#endif
