/*
** numfmt.h: the one number formatter of the project, shared by the CSV writer,
** the JSON encoder and the REPL printer. No Lua.
**
** Floats are written as Python's repr writes them (the shortest text that reads
** back to the same double): 0.1, 3.0, 1e-300, 5e-324, 1e+16, 1000000000000000.0,
** inf, -inf, nan. Integers are exact decimal int64.
*/
#ifndef DG_NUMFMT_H
#define DG_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

/* x87 extended precision (64-bit significand stored first): exact fast float paths */
#include <float.h>
#if LDBL_MANT_DIG == 64 && (defined(__x86_64__) || defined(__i386__))
#define DG_X87 1
#else
#define DG_X87 0
#endif

/* 10^0 .. 10^22, each exactly representable as a double. */
extern const double dg_pow10_exact[23];
#if DG_X87
/* 10^0 .. 10^27, each exact in x87 extended precision. */
extern const long double dg_pow10l_exact[28];
#endif

/*
** mant * 10^expo correctly rounded, when that can be done without strtod.
** Returns 0 with *out set, or -1 when the caller must fall back to strtod.
*/
int dg_decimal_to_double(uint64_t mant, int expo, double *out);

/* Writes Python's repr of x to out (NUL-terminated); returns the length. */
size_t dg_fmt_double(double x, char out[32]);
/* Writes the decimal text of v to out (NUL-terminated); returns the length. */
size_t dg_fmt_int(int64_t v, char out[24]);

#endif
