/*
** numfmt.c: number formatting (numfmt.h). Shortest round-trip digits come from
** x87 extended precision where that is exact, with a printf/strtod fallback.
*/
#include "numfmt.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const double dg_pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/*
** mant * 10^expo correctly rounded, for mant < 2^64 and |expo| <= 27, without
** strtod: exact when mant <= 2^53 and |expo| <= 22 (both operands exact, one
** rounding); else with x87 extended precision (64-bit significand, where
** mant and 10^|expo| are exact), whose one rounding is safe to round again to
** double unless it lands next to a double midpoint. Returns 0, or -1 when the
** caller must use strtod.
*/
#if DG_X87
const long double dg_pow10l_exact[] = {
  1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,  1e10L, 1e11L, 1e12L, 1e13L,
  1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L, 1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};
#endif

int dg_decimal_to_double(uint64_t mant, int expo, double *out) {
  if (mant <= (1ULL << 53) && expo >= -22 && expo <= 22) {
    double d = (double)mant;
    *out = expo < 0 ? d / dg_pow10_exact[-expo] : d * dg_pow10_exact[expo];
    return 0;
  }
#if DG_X87
  if (expo >= -27 && expo <= 27 && mant != 0) {
    long double r = expo < 0 ? (long double)mant / dg_pow10l_exact[-expo]
                             : (long double)mant * dg_pow10l_exact[expo];
    uint64_t sig; /* x87 extended: the explicit 64-bit significand comes first */
    memcpy(&sig, &r, sizeof sig);
    unsigned low = (unsigned)(sig & 0x7FF); /* the bits double drops */
    if (low >= 0x3FF && low <= 0x401) return -1;          /* next to a midpoint */
    *out = (double)r;
    return 0;
  }
#endif
  return -1;
}


size_t dg_fmt_int(int64_t v, char out[24]) {
  static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                              "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                              "8081828384858687888990919293949596979899";
  char tmp[24];
  size_t n = sizeof tmp;
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  while (u >= 100) { /* two digits at a time, from the right */
    unsigned d = (unsigned)(u % 100) * 2;
    u /= 100;
    tmp[--n] = pairs[d + 1];
    tmp[--n] = pairs[d];
  }
  if (u >= 10) {
    tmp[--n] = pairs[u * 2 + 1];
    tmp[--n] = pairs[u * 2];
  } else {
    tmp[--n] = (char)('0' + u);
  }
  size_t k = 0;
  if (v < 0) out[k++] = '-';
  memcpy(out + k, tmp + n, sizeof tmp - n);
  k += sizeof tmp - n;
  out[k] = '\0';
  return k;
}

/* Lays out digits (no dot) with decimal exponent decpt (x = 0.DIGITS * 10^decpt) as repr does. */
static size_t layout(int neg, const char *digits, int nd, int decpt, char out[32]) {
  size_t k = 0;
  if (neg) out[k++] = '-';
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out[k++] = '0';
      out[k++] = '.';
      for (int z = 0; z < -decpt; z++) out[k++] = '0';
      for (int j = 0; j < nd; j++) out[k++] = digits[j];
    } else {
      for (int j = 0; j < decpt; j++) out[k++] = j < nd ? digits[j] : '0';
      out[k++] = '.';
      if (nd > decpt)
        for (int j = decpt; j < nd; j++) out[k++] = digits[j];
      else
        out[k++] = '0';
    }
  } else {
    out[k++] = digits[0];
    if (nd > 1) {
      out[k++] = '.';
      for (int j = 1; j < nd; j++) out[k++] = digits[j];
    }
    int e = decpt - 1;
    out[k++] = 'e';
    out[k++] = e < 0 ? '-' : '+';
    if (e < 0) e = -e;
    if (e >= 100) out[k++] = (char)('0' + e / 100);
    out[k++] = (char)('0' + e / 10 % 10);
    out[k++] = (char)('0' + e % 10);
  }
  out[k] = '\0';
  return k;
}

/*
** Digits of "%.*e" output s (prec of them, kept in digits[0..prec)): *nd is the
** count without trailing zeros; returns decpt (x = 0.DIGITS * 10^decpt).
*/
static int sci_digits(const char *s, char *digits, int *nd, int prec) {
  int n = 0;
  const char *q = s;
  for (; *q && *q != 'e'; q++)
    if (*q >= '0' && *q <= '9' && n < prec) digits[n++] = *q;
  digits[n] = '\0';
  while (n > 1 && digits[n - 1] == '0') n--;
  *nd = n;
  return atoi(q + 1) + 1;
}

#if DG_X87
/*
** The shortest digits of a normal double a > 0 (15 to 17 of them) without
** printf: for p = 15, 16, 17 the p-digit rounding n of a comes from a * 10^s in
** extended precision (one rounding, error under 0.006 for a 17-digit n, so a
** fraction that is not that close to .5 rounds right) and is kept when n * 10^-s
** reads back as a (decimal_to_double). Fills digits (NUL-terminated, trailing
** zeros stripped), *nd and *decpt; returns -1 when the caller must use printf.
*/
static int shortest_digits(double a, char *digits, int *nd, int *decpt) {
  int e2;
  frexp(a, &e2);
  /* a is in [2^(e2-1), 2^e2): floor(log10(a)) is e10 or e10 + 1 */
  int e10 = (int)floor((e2 - 1) * 0.30102999566398120);
  if (16 - e10 < -27 || 16 - e10 > 27) return -1;
  long double y17 = 16 - e10 < 0 ? (long double)a / dg_pow10l_exact[e10 - 16]
                                 : (long double)a * dg_pow10l_exact[16 - e10];
  if (y17 >= 1e17L) e10++;
  uint64_t bits;
  memcpy(&bits, &a, sizeof bits);
  int pow2 = (bits & ((1ULL << 52) - 1)) == 0;
  for (int prec = 15; prec <= 17; prec++) {
    int sc = prec - 1 - e10; /* n = a * 10^sc has prec digits */
    if (sc < -27 || sc > 27) return -1;
    long double y = sc < 0 ? (long double)a / dg_pow10l_exact[-sc] : (long double)a * dg_pow10l_exact[sc];
    if (y < (long double)dg_pow10_exact[prec - 1] || y >= (long double)dg_pow10_exact[prec])
      return -1; /* not prec digits (a rounding at the edge): leave it to printf */
    uint64_t n = (uint64_t)y; /* y > 0: truncation is floor */
    long double frac = y - (long double)n;
    if (frac > 0.49L && frac < 0.51L) return -1;
    n += frac > 0.5L;
    for (int up = 0; up <= pow2; up++) {
      uint64_t cand = n + (uint64_t)up; /* at a power of two the next decimal up may read back */
      double back;
      if (dg_decimal_to_double(cand, -sc, &back) < 0) return -1;
      if (back == a) {
        char tmp[24];
        size_t len = dg_fmt_int((int64_t)cand, tmp);
        int k = (int)len;
        while (k > 1 && tmp[k - 1] == '0') k--;
        memcpy(digits, tmp, (size_t)k);
        digits[k] = '\0';
        *nd = k;
        *decpt = (int)len - sc;
        return 0;
      }
    }
  }
  return -1;
}
#endif

/*
** The shortest decimal of a (1e-4 <= a < 1e15) with k fractional digits, for
** the first k in kmin..kmax where one reads back (m / 10^k == a is an exact test
** while m < 2^53). Writes it laid out as repr does and returns the length, or 0.
*/
static size_t fixed_digits(int neg, double a, int kmin, int kmax, char out[32]) {
  for (int k = kmin; k <= kmax; k++) {
    double scaled = a * dg_pow10_exact[k];
    if (scaled >= 9007199254740992.0) break;
    double m = nearbyint(scaled);
    if (m / dg_pow10_exact[k] == a) {
      char md[24];
      size_t len = dg_fmt_int((int64_t)m, md);
      /* md holds the digits of m (m >= 1 since a > 0); the value is m * 10^-k */
      int nd = (int)len;
      while (nd > 1 && md[nd - 1] == '0') nd--;
      return layout(neg, md, nd, (int)len - k, out);
    }
  }
  return 0;
}

size_t dg_fmt_double(double x, char out[32]) {
  if (isnan(x)) { memcpy(out, "nan", 4); return 3; }
  if (isinf(x)) {
    if (x < 0) { memcpy(out, "-inf", 5); return 4; }
    memcpy(out, "inf", 4);
    return 3;
  }
  int neg = signbit(x) != 0;
  double a = neg ? -x : x;
  if (a == 0) {
    if (neg) { memcpy(out, "-0.0", 5); return 4; }
    memcpy(out, "0.0", 4);
    return 3;
  }
  char digits[32];
  int nd0, decpt0;
  size_t len;
  /* a decimal with at most 3 fractional digits (prices, measures): plain doubles */
  if (a >= 1e-4 && a < 1e15 && (len = fixed_digits(neg, a, 0, 3, out)) > 0) return len;
#if DG_X87
  if (a >= 2.2250738585072014e-308 && shortest_digits(a, digits, &nd0, &decpt0) == 0)
    return layout(neg, digits, nd0, decpt0, out);
#endif
  if (a >= 1e-4 && a < 1e15 && (len = fixed_digits(neg, a, 4, 19, out)) > 0) return len;
  /* general path: the fewest digits that read back (15 to 17 for normal numbers) */
  int start = a < 2.2250738585072014e-308 ? 1 : 15;
  uint64_t bits;
  memcpy(&bits, &a, sizeof bits);
  int pow2 = (bits & ((1ULL << 52) - 1)) == 0;
  for (int prec = start; prec <= 17; prec++) {
    char s[40];
    int nd;
    snprintf(s, sizeof s, "%.*e", prec - 1, a);
    int decpt = sci_digits(s, digits, &nd, prec);
    if (strtod(s, NULL) == a) return layout(neg, digits, nd, decpt, out);
    if (pow2) {
      /* at a power of two the gap below is half the gap above: the decimal one
         unit above the nearest may read back while the nearest does not */
      int j = prec - 1;
      while (j >= 0 && digits[j] == '9') digits[j--] = '0';
      if (j < 0) {
        digits[0] = '1';
        decpt++;
      } else {
        digits[j]++;
      }
      snprintf(s, sizeof s, "0.%.*se%d", prec, digits, decpt);
      if (strtod(s, NULL) == a) {
        nd = prec;
        while (nd > 1 && digits[nd - 1] == '0') nd--;
        return layout(neg, digits, nd, decpt, out);
      }
    }
  }
  return 0; /* not reached: 17 digits always read back */
}

