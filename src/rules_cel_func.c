/*
 * kavro - CEL's standard functions: size, the type conversions, the string
 * functions with matches() (RE2 syntax, matched by PCRE2 after a check
 * that the pattern means the same to both), timestamps and durations.
 * Number and time texts follow cel-go, the reference implementation the
 * conformance suite is written against.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_cel_impl_int.h"

#define NS 1000000000LL

/* ---- UTF-8 ----------------------------------------------------------- */

/* The length of the sequence at @p (0 when malformed). */
static size_t utf8_seq(const unsigned char *p, size_t n) {
  if (p[0] < 0x80)
    return 1;
  size_t len = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;
  if (!len || len > n || p[0] > 0xF4)
    return 0;
  for (size_t i = 1; i < len; i++)
    if ((p[i] & 0xC0) != 0x80)
      return 0;
  if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0) ||
      (p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90))
    return 0; /* overlong, surrogate, past U+10FFFF */
  return len;
}

bool kv_cel_utf8_valid(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    size_t len = utf8_seq(p + i, n - i);
    if (!len)
      return false;
    i += len;
  }
  return true;
}

static size_t code_points(const char *s, size_t n) {
  size_t count = 0;
  for (size_t i = 0; i < n; i++)
    count += ((unsigned char)s[i] & 0xC0) != 0x80;
  return count;
}

/* ---- texts ----------------------------------------------------------- */

static kv_cel_val_t text(kv_cel_scratch_t *s, const char *buf, size_t n) {
  char *p = kv_cel_alloc(s, n + 1);
  if (!p)
    return kv_cel_err("out of scratch memory");
  memcpy(p, buf, n + 1);
  return kv_cel_str(KV_CEL_STRING, p, n);
}

/* A double as Go's strconv.FormatFloat(d, 'g', -1, 64) writes it. */
static size_t format_double(double d, char *out, size_t size) {
  if (isnan(d))
    return (size_t)snprintf(out, size, "NaN");
  if (isinf(d))
    return (size_t)snprintf(out, size, d > 0 ? "+Inf" : "-Inf");
  if (d == 0)
    return (size_t)snprintf(out, size, signbit(d) ? "-0" : "0");
  char e[40];
  int prec;
  for (prec = 0; prec < 17; prec++) { /* the shortest that reads back */
    snprintf(e, sizeof e, "%.*e", prec, d);
    if (strtod(e, NULL) == d)
      break;
  }
  char *exp_at = strchr(e, 'e');
  int exp = atoi(exp_at + 1);
  if (exp < -4 || exp >= 21) {
    /* Mantissa as %e gives it, the exponent with at least two digits. */
    *exp_at = '\0';
    return (size_t)snprintf(out, size, "%se%c%02d", e, exp < 0 ? '-' : '+',
                            abs(exp));
  }
  int decimals = prec - exp;
  return (size_t)snprintf(out, size, "%.*f", decimals > 0 ? decimals : 0, d);
}

/* Seconds and nanoseconds as "1.5" (no trailing zeros), sign included. */
static size_t format_seconds(int64_t sec, int32_t nsec, char *out,
                             size_t size) {
  bool neg = sec < 0;
  uint64_t s = neg ? (uint64_t)-(sec + (nsec > 0)) : (uint64_t)sec;
  int64_t n = neg && nsec > 0 ? NS - nsec : nsec;
  size_t len = (size_t)snprintf(out, size, "%s%llu", neg && (s || n) ? "-" : "",
                                (unsigned long long)s);
  if (n) {
    char frac[16];
    int flen = snprintf(frac, sizeof frac, "%09lld", (long long)n);
    while (flen > 0 && frac[flen - 1] == '0')
      frac[--flen] = '\0';
    len += (size_t)snprintf(out + len, size - len, ".%s", frac);
  }
  return len;
}

/* ---- civil time ------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
int64_t kv_cel_days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void kv_cel_civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

static int digits(const char *p, int n) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9')
      return -1;
    v = v * 10 + (p[i] - '0');
  }
  return v;
}

/* An RFC 3339 offset as Go's time.Parse(time.RFC3339) reads it: "Z" or
 * "+hh:mm", "-hh:mm" (hours up to 24), in seconds. */
static bool rfc3339_offset(const char *p, size_t n, int64_t *off) {
  if (n == 1 && *p == 'Z') {
    *off = 0;
    return true;
  }
  if (n != 6 || (p[0] != '+' && p[0] != '-') || p[3] != ':')
    return false;
  int h = digits(p + 1, 2), m = digits(p + 4, 2);
  if (h < 0 || m < 0 || h > 24 || m > 59)
    return false;
  *off = (h * 3600 + m * 60) * (p[0] == '-' ? -1 : 1);
  return true;
}

/* RFC 3339 as Go's time.Parse(time.RFC3339) reads it, which cel-go uses:
 * 2006-01-02T15:04:05[.999999999](Z|+07:00), a fraction after '.' or ','
 * of any length (truncated to nanoseconds), upper-case T and Z. */
static kv_cel_val_t parse_timestamp(const char *p, size_t n) {
  if (n < 20 || p[4] != '-' || p[7] != '-' || p[10] != 'T' ||
      p[13] != ':' || p[16] != ':')
    return kv_cel_err("timestamp: not an RFC 3339 time");
  int y = digits(p, 4), mo = digits(p + 5, 2), d = digits(p + 8, 2);
  int h = digits(p + 11, 2), mi = digits(p + 14, 2), s = digits(p + 17, 2);
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h < 0 ||
      h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59 ||
      (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 || y % 400 == 0))))
    return kv_cel_err("timestamp: not an RFC 3339 time");
  size_t i = 19;
  int64_t nsec = 0;
  if (i < n && (p[i] == '.' || p[i] == ',')) {
    int nd = 0;
    for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++, nd++)
      if (nd < 9)
        nsec = nsec * 10 + (p[i] - '0');
    if (nd == 0)
      return kv_cel_err("timestamp: not an RFC 3339 time");
    for (; nd < 9; nd++)
      nsec *= 10;
  }
  int64_t off;
  if (!rfc3339_offset(p + i, n - i, &off))
    return kv_cel_err("timestamp: not an RFC 3339 time");
  int64_t sec = kv_cel_days_from_civil(y, mo, d) * 86400 + h * 3600 +
                mi * 60 + s - off;
  if (sec < KV_CEL_TS_MIN || sec > KV_CEL_TS_MAX)
    return kv_cel_err("timestamp out of range");
  return kv_cel_time(KV_CEL_TIMESTAMP, sec, (int32_t)nsec);
}

static size_t format_timestamp(const kv_cel_val_t *t, char *out,
                               size_t size) {
  int64_t days = t->u.t.sec / 86400, rem = t->u.t.sec % 86400, y;
  if (rem < 0)
    rem += 86400, days--;
  int m, d;
  kv_cel_civil_from_days(days, &y, &m, &d);
  size_t len = (size_t)snprintf(out, size, "%04lld-%02d-%02dT%02d:%02d:%02d",
                                (long long)y, m, d, (int)(rem / 3600),
                                (int)(rem / 60 % 60), (int)(rem % 60));
  if (t->u.t.nsec) {
    char frac[16];
    int flen = snprintf(frac, sizeof frac, "%09d", (int)t->u.t.nsec);
    while (frac[flen - 1] == '0')
      frac[--flen] = '\0';
    len += (size_t)snprintf(out + len, size - len, ".%s", frac);
  }
  return len + (size_t)snprintf(out + len, size - len, "Z");
}

/* Go's time.ParseDuration: [-+]? (decimal unit)+ with h m s ms us ns. */
static kv_cel_val_t parse_duration(const char *p, size_t n) {
  static const struct {
    const char *unit;
    int64_t ns;
  } units[] = {{"ns", 1},        {"us", 1000},       {"\xc2\xb5s", 1000},
               {"\xce\xbcs", 1000}, {"ms", 1000000},  {"s", NS},
               {"m", 60 * NS},   {"h", 3600 * NS},   {NULL, 0}};
  const char *end = p + n;
  bool neg = false;
  if (p < end && (*p == '-' || *p == '+'))
    neg = *p++ == '-';
  if (end - p == 1 && *p == '0')
    return kv_cel_time(KV_CEL_DURATION, 0, 0);
  if (p == end)
    return kv_cel_err("duration: invalid text");
  __int128 total = 0;
  while (p < end) {
    __int128 whole = 0, frac = 0, scale = 1;
    const char *start = p;
    /* Bounded so that no product below overflows: a whole part past
     * 2^64 is out of range whatever its unit, and digits past the 18th
     * of a fraction are below a nanosecond of any unit. */
    for (; p < end && *p >= '0' && *p <= '9'; p++)
      if ((whole = whole * 10 + (*p - '0')) > (__int128)1 << 64)
        return kv_cel_err("duration out of range");
    bool had_whole = p > start;
    if (p < end && *p == '.')
      for (p++; p < end && *p >= '0' && *p <= '9'; p++)
        if (scale < 1000000000000000000LL)
          frac = frac * 10 + (*p - '0'), scale *= 10;
    if (!had_whole && scale == 1)
      return kv_cel_err("duration: invalid text");
    int u;
    size_t ulen = 0;
    for (u = 0; units[u].unit; u++) {
      ulen = strlen(units[u].unit);
      if ((size_t)(end - p) >= ulen && memcmp(p, units[u].unit, ulen) == 0 &&
          !(ulen == 1 && *p == 'm' && p + 1 < end && p[1] == 's'))
        break;
    }
    if (!units[u].unit)
      return kv_cel_err("duration: missing or unknown unit");
    p += ulen;
    total += whole * units[u].ns + frac * units[u].ns / scale;
    if (total > (__int128)INT64_MAX + 1)
      return kv_cel_err("duration out of range");
  }
  if (neg)
    total = -total;
  int64_t sec = (int64_t)(total / NS), nsec = (int64_t)(total % NS);
  if (nsec < 0)
    nsec += NS, sec--;
  if (!kv_cel_duration_valid(sec, nsec))
    return kv_cel_err("duration out of range");
  return kv_cel_time(KV_CEL_DURATION, sec, (int32_t)nsec);
}

/* ---- conversions ----------------------------------------------------- */

/* A whole decimal number, sign allowed: all of @p or nothing. */
static bool parse_integer(const char *p, size_t n, bool is_signed,
                          int64_t *i, uint64_t *u) {
  char buf[32];
  if (n == 0 || n >= sizeof buf)
    return false;
  memcpy(buf, p, n);
  buf[n] = '\0';
  for (size_t k = 0; k < n; k++)
    if (!((buf[k] >= '0' && buf[k] <= '9') ||
          (k == 0 && (buf[k] == '-' || (buf[k] == '+' && is_signed)))))
      return false;
  char *end;
  errno = 0;
  if (is_signed)
    *i = strtoll(buf, &end, 10);
  else if (buf[0] == '-')
    return false;
  else
    *u = strtoull(buf, &end, 10);
  return errno == 0 && *end == '\0';
}

static kv_cel_val_t to_int(const kv_cel_val_t *a) {
  int64_t i;
  switch (a->kind) {
  case KV_CEL_INT: return *a;
  case KV_CEL_UINT:
    return a->u.u > INT64_MAX ? kv_cel_err("int range error")
                              : kv_cel_int((int64_t)a->u.u);
  case KV_CEL_DOUBLE:
    /* Both ends exclusive: (double)INT64_MAX is 2^63, past the range. */
    if (!(a->u.d > -9223372036854775808.0 && a->u.d < 9223372036854775808.0))
      return kv_cel_err("int range error");
    return kv_cel_int((int64_t)a->u.d);
  case KV_CEL_STRING:
    return parse_integer(a->u.s.p, a->u.s.n, true, &i, NULL)
               ? kv_cel_int(i)
               : kv_cel_err("int: invalid integer text");
  case KV_CEL_TIMESTAMP: return kv_cel_int(a->u.t.sec);
  default: return kv_cel_err(KV_CEL_NO_OVERLOAD);
  }
}

static kv_cel_val_t to_uint(const kv_cel_val_t *a) {
  uint64_t u;
  switch (a->kind) {
  case KV_CEL_UINT: return *a;
  case KV_CEL_INT:
    return a->u.i < 0 ? kv_cel_err("uint range error")
                      : kv_cel_uint((uint64_t)a->u.i);
  case KV_CEL_DOUBLE:
    if (!(a->u.d > -1.0 && a->u.d < 18446744073709551616.0))
      return kv_cel_err("uint range error");
    return kv_cel_uint((uint64_t)a->u.d);
  case KV_CEL_STRING:
    return parse_integer(a->u.s.p, a->u.s.n, false, NULL, &u)
               ? kv_cel_uint(u)
               : kv_cel_err("uint: invalid integer text");
  default: return kv_cel_err(KV_CEL_NO_OVERLOAD);
  }
}

static kv_cel_val_t to_double(const kv_cel_val_t *a) {
  switch (a->kind) {
  case KV_CEL_DOUBLE: return *a;
  case KV_CEL_INT: return kv_cel_double((double)a->u.i);
  case KV_CEL_UINT: return kv_cel_double((double)a->u.u);
  case KV_CEL_STRING: {
    char buf[64];
    if (a->u.s.n == 0 || a->u.s.n >= sizeof buf)
      return kv_cel_err("double: invalid number text");
    memcpy(buf, a->u.s.p, a->u.s.n);
    buf[a->u.s.n] = '\0';
    /* strtod reads what Go's strconv.ParseFloat reads ("inf", "NaN",
     * hexadecimal floats) and more, which is refused: blanks, "nan(...)",
     * a hexadecimal float without its p exponent. */
    char *end;
    bool hex = strpbrk(buf, "xX") != NULL;
    if (isspace((unsigned char)buf[0]) || strchr(buf, '(') ||
        (hex && !strpbrk(buf, "pP")))
      return kv_cel_err("double: invalid number text");
    double d = strtod(buf, &end);
    if (*end)
      return kv_cel_err("double: invalid number text");
    return kv_cel_double(d);
  }
  default: return kv_cel_err(KV_CEL_NO_OVERLOAD);
  }
}

kv_cel_val_t kv_cel_to_string(kv_cel_scratch_t *s, const kv_cel_val_t *a) {
  char buf[64];
  size_t n;
  switch (a->kind) {
  case KV_CEL_STRING: return *a;
  case KV_CEL_BOOL: return kv_cel_str(KV_CEL_STRING, a->u.b ? "true" : "false",
                                      a->u.b ? 4 : 5);
  case KV_CEL_INT: n = (size_t)snprintf(buf, sizeof buf, "%lld",
                                       (long long)a->u.i); break;
  case KV_CEL_UINT: n = (size_t)snprintf(buf, sizeof buf, "%llu",
                                        (unsigned long long)a->u.u); break;
  case KV_CEL_DOUBLE: n = format_double(a->u.d, buf, sizeof buf); break;
  case KV_CEL_BYTES:
    if (!kv_cel_utf8_valid(a->u.s.p, a->u.s.n))
      return kv_cel_err("string: bytes are not valid UTF-8");
    return kv_cel_str(KV_CEL_STRING, a->u.s.p, a->u.s.n);
  case KV_CEL_TIMESTAMP: n = format_timestamp(a, buf, sizeof buf); break;
  case KV_CEL_DURATION:
    n = format_seconds(a->u.t.sec, a->u.t.nsec, buf, sizeof buf - 1);
    buf[n++] = 's';
    buf[n] = '\0';
    break;
  default: return kv_cel_err(KV_CEL_NO_OVERLOAD);
  }
  return text(s, buf, n);
}

static kv_cel_val_t to_bool(const kv_cel_val_t *a) {
  static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True",
                                    NULL};
  static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False",
                                   NULL};
  if (a->kind == KV_CEL_BOOL)
    return *a;
  if (a->kind != KV_CEL_STRING)
    return kv_cel_err(KV_CEL_NO_OVERLOAD);
  for (int i = 0; yes[i]; i++) {
    if (strlen(yes[i]) == a->u.s.n && !memcmp(yes[i], a->u.s.p, a->u.s.n))
      return kv_cel_bool(true);
    if (strlen(no[i]) == a->u.s.n && !memcmp(no[i], a->u.s.p, a->u.s.n))
      return kv_cel_bool(false);
  }
  return kv_cel_err("bool: invalid text");
}

static kv_cel_val_t type_of(const kv_cel_val_t *a) {
  return kv_cel_type((kv_cel_kind_t)a->kind);
}

/* ---- strings and regular expressions --------------------------------- */

static bool has_sub(const kv_cel_val_t *h, const kv_cel_val_t *n,
                    kv_cel_fn_t fn) {
  if (n->u.s.n > h->u.s.n)
    return false;
  if (fn == KV_CEL_F_STARTS)
    return memcmp(h->u.s.p, n->u.s.p, n->u.s.n) == 0;
  if (fn == KV_CEL_F_ENDS)
    return memcmp(h->u.s.p + h->u.s.n - n->u.s.n, n->u.s.p, n->u.s.n) == 0;
  if (n->u.s.n == 0)
    return true;
  for (size_t i = 0; i + n->u.s.n <= h->u.s.n; i++)
    if (memcmp(h->u.s.p + i, n->u.s.p, n->u.s.n) == 0)
      return true;
  return false;
}

/*
 * RE2 (the syntax cel-spec prescribes for matches()) and PCRE2 (the
 * library that runs it) agree on most of a pattern, not all of it.  The
 * pattern is read here as RE2 reads it: what RE2 refuses, or PCRE2 reads
 * otherwise, is refused; \s and \S, whose class RE2 draws without the
 * vertical tab, are written out as RE2's class for PCRE2.
 */

/* Escapes both read alike outside a class (after the backslash); \Q and
 * \E are handled apart. */
static const char re2_escapes[] = "afnrtdDwWbBAzpPx0";
/* ... and inside a class. */
static const char re2_class_escapes[] = "afnrtdDwWpPx0";

static void emit(char *out, size_t *o, const char *text, size_t n) {
  memcpy(out + *o, text, n);
  *o += n;
}

/* A repetition count {n}, {n,} or {n,m} at @p (after the brace): its end
 * (after the closing brace), NULL when it is none RE2 reads as one. */
static const char *repeat_count(const char *p, const char *end, bool *bad) {
  long lo = -1, hi = -1;
  const char *q = p;
  for (; q < end && *q >= '0' && *q <= '9'; q++)
    lo = (lo < 0 ? 0 : lo) * 10 + (*q - '0'), lo = lo > 100000 ? 100000 : lo;
  if (q < end && *q == ',') {
    if (lo < 0) { /* {,n}: literal in RE2 and in PCRE2 < 10.43 only */
      *bad = true;
      return NULL;
    }
    for (q++; q < end && *q >= '0' && *q <= '9'; q++)
      hi = (hi < 0 ? 0 : hi) * 10 + (*q - '0'), hi = hi > 100000 ? 100000 : hi;
  } else {
    hi = lo;
  }
  if (lo < 0 || q >= end || *q != '}')
    return NULL;
  if (lo > 1000 || hi > 1000)
    *bad = true; /* RE2's limit */
  return q + 1;
}

/* Translate @pat into @out (room for 12 bytes per pattern byte); the
 * construct RE2 would refuse or read otherwise, NULL when none. */
static const char *re2_translate(const char *pat, size_t n, char *out,
                                 size_t *out_len) {
  const char *p = pat, *end = pat + n;
  bool in_class = false, quantified = false;
  size_t o = 0;
  while (p < end) {
    bool was_quantified = quantified;
    quantified = false;
    const char *start = p;
    char c = *p++;
    if (c == '\\') {
      char e = p < end ? *p++ : '\0';
      if (e == 'Q') { /* literal up to \E */
        const char *q = p;
        while (q < end && !(q[0] == '\\' && q + 1 < end && q[1] == 'E'))
          q++;
        emit(out, &o, start, (size_t)(q - start));
        if (q < end)
          emit(out, &o, "\\E", 2), q += 2;
        p = q;
        continue;
      }
      if (e == 's' || e == 'S') {
        if (in_class && e == 'S')
          return "\\S inside a character class";
        const char *cls = in_class ? "\\t\\n\\f\\r " :
                          e == 's' ? "[\\t\\n\\f\\r ]" : "[^\\t\\n\\f\\r ]";
        emit(out, &o, cls, strlen(cls));
        continue;
      }
      if (e >= '1' && e <= '9')
        return "backreferences";
      if (e == '\0')
        return "a trailing backslash";
      if (e == 'x' && !(p < end && (isxdigit((unsigned char)*p) || *p == '{')))
        return "\\x without hexadecimal digits";
      if (((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z')) &&
          !strchr(in_class ? re2_class_escapes : re2_escapes, e))
        return "an escape RE2 does not have or reads otherwise (\\C \\G "
               "\\K \\Z \\R \\X \\N \\h \\v \\e \\c \\g \\k \\E, \\b in a "
               "class, ...)";
      emit(out, &o, start, (size_t)(p - start));
      continue;
    }
    if (in_class) {
      if (c == '[' && p < end && *p == ':') { /* [:alpha:] */
        const char *q = p + 1;
        while (q < end && *q >= 'a' && *q <= 'z')
          q++;
        if (q + 1 < end && q[0] == ':' && q[1] == ']')
          p = q + 2;
      } else if (c == ']') {
        in_class = false;
      }
      emit(out, &o, start, (size_t)(p - start));
      continue;
    }
    if (c == '[') {
      in_class = true;
      if (p < end && *p == '^')
        p++;
      if (p < end && *p == ']')
        p++; /* a leading ] is literal */
    } else if (c == '(' && p < end && *p == '*') {
      return "backtracking verbs";
    } else if (c == '(' && p < end && *p == '?') {
      const char *q = p + 1;
      if (q < end && *q == 'P' && q + 1 < end && q[1] == '<')
        q += 2;
      else if (q < end && *q == '<' && q + 1 < end && q[1] != '=' &&
               q[1] != '!')
        q += 1;
      if (q > p + 1) { /* a named group: (?P<name> or (?<name> */
        while (q < end && (isalnum((unsigned char)*q) || *q == '_'))
          q++;
        if (q >= end || *q != '>')
          return "a malformed group name";
        p = q + 1;
      } else { /* (?:, (?flags) and (?flags: with RE2's flags */
        while (q < end && *q && strchr("imsU-", *q))
          q++;
        if (q >= end || (*q != ':' && *q != ')') || (q == p + 1 && *q == ')'))
          return "lookaround, atomic groups, conditionals, recursion, "
                 "comments, callouts or flags RE2 does not have";
        p = q + 1;
      }
    } else if (c == '*' || c == '+' || c == '?') {
      if (was_quantified && c != '?')
        return "possessive or repeated quantifiers";
      quantified = !(was_quantified && c == '?');
    } else if (c == '{') {
      bool bad = false;
      const char *q = repeat_count(p, end, &bad);
      if (bad)
        return "a repetition count RE2 refuses ({,n} or more than 1000)";
      if (q) {
        if (was_quantified)
          return "possessive or repeated quantifiers";
        p = q;
        quantified = true;
      } else {
        emit(out, &o, "\\{", 2); /* RE2: a brace that starts no count */
        continue;
      }
    }
    emit(out, &o, start, (size_t)(p - start));
  }
  out[o] = '\0';
  *out_len = o;
  return NULL;
}

pcre2_code *kv_cel_regex_compile(const char *pat, size_t n,
                                 pcre2_general_context *gctx, char *buf,
                                 char *why, size_t why_size) {
  size_t len = 0;
  const char *bad = re2_translate(pat, n, buf, &len);
  if (bad) {
    snprintf(why, why_size, "regular expression uses %s, which RE2 does not "
             "accept or reads otherwise", bad);
    return NULL;
  }
  /* RE2's defaults: UTF-8, $ only at the very end, lines end at \n. */
  pcre2_compile_context *cctx = pcre2_compile_context_create(gctx);
  if (!cctx) {
    snprintf(why, why_size, "out of memory");
    return NULL;
  }
  pcre2_set_newline(cctx, PCRE2_NEWLINE_LF);
  int code;
  PCRE2_SIZE off;
  pcre2_code *re = pcre2_compile(
      (PCRE2_SPTR)buf, len,
      PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C, &code, &off,
      cctx);
  pcre2_compile_context_free(cctx);
  if (!re) {
    char msg[120];
    pcre2_get_error_message(code, (PCRE2_UCHAR *)msg, sizeof msg);
    snprintf(why, why_size, "invalid regular expression: %s", msg);
  }
  return re;
}

static kv_cel_val_t matches(kv_cel_scratch_t *s, const kv_cel_node_t *node,
                            const kv_cel_val_t *str,
                            const kv_cel_val_t *pat) {
  const pcre2_code *re = node->re;
  if (!re) {
    char *why = kv_cel_alloc(s, 200);
    char *buf = kv_cel_alloc(s, pat->u.s.n * 12 + 1);
    if (!why || !buf)
      return kv_cel_err("out of scratch memory");
    re = kv_cel_regex_compile(pat->u.s.p, pat->u.s.n, kv_cel_scratch_pcre2(s),
                              buf, why, 200);
    if (!re)
      return kv_cel_err(why);
  }
  /* Every CEL string is valid UTF-8 (checked where it came from), so
   * PCRE2 need not check the subject again; the JIT entry skips the
   * interpreter's set-up. */
  pcre2_match_data *md = kv_cel_scratch_match_data(s);
  pcre2_match_context *mc = kv_cel_scratch_match_context(s);
  PCRE2_SPTR subject = (PCRE2_SPTR)str->u.s.p;
  int rc = node->re && node->jit
               ? pcre2_jit_match(re, subject, str->u.s.n, 0, 0, md, mc)
               : pcre2_match(re, subject, str->u.s.n, 0, PCRE2_NO_UTF_CHECK,
                             md, mc);
  /* JIT code runs on a small stack of its own; a match too deep for it
   * goes again through the interpreter, whose bounds are the scratch's. */
  if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
    rc = pcre2_match(re, subject, str->u.s.n, 0,
                     PCRE2_NO_JIT | PCRE2_NO_UTF_CHECK, md, mc);
  if (rc >= 0) /* 0: matched, offsets not all kept */
    return kv_cel_bool(true);
  if (rc == PCRE2_ERROR_NOMATCH)
    return kv_cel_bool(false);
  if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT)
    return kv_cel_err("matches: the match takes too many steps (PCRE2 "
                      "backtracks where RE2 would not)");
  return kv_cel_err("matches: the regular expression could not be matched");
}

/* ---- time accessors -------------------------------------------------- */

static kv_cel_val_t time_part(const kv_cel_node_t *node,
                              const kv_cel_val_t *t,
                              const kv_cel_val_t *tz) {
  kv_cel_fn_t fn = (kv_cel_fn_t)node->fn;
  if (t->kind == KV_CEL_DURATION) {
    if (tz)
      return kv_cel_err(KV_CEL_NO_OVERLOAD);
    /* Proto's convention: nanoseconds take the seconds' sign. */
    int64_t sec = t->u.t.sec, nsec = t->u.t.nsec;
    if (sec < 0 && nsec > 0)
      sec++, nsec -= NS;
    switch (fn) {
    case KV_CEL_F_HOURS: return kv_cel_int(sec / 3600);
    case KV_CEL_F_MINUTES: return kv_cel_int(sec / 60);
    case KV_CEL_F_SECONDS: return kv_cel_int(sec);
    case KV_CEL_F_MILLIS: return kv_cel_int(nsec / 1000000);
    default: return kv_cel_err(KV_CEL_NO_OVERLOAD);
    }
  }
  if (t->kind != KV_CEL_TIMESTAMP || (tz && tz->kind != KV_CEL_STRING))
    return kv_cel_err(KV_CEL_NO_OVERLOAD);
  int64_t off = 0;
  if (node->tz) /* a constant zone name, read when compiled */
    off = kv_cel_tz_offset(node->tz, t->u.t.sec);
  else if (tz && !kv_cel_tz_fixed(tz->u.s.p, tz->u.s.n, &off))
    return kv_cel_err("time zone: a zone name must be a constant; computed "
                      "zones may only be fixed offsets (+05:30)");
  int64_t local = t->u.t.sec + off, days = local / 86400, rem = local % 86400;
  if (rem < 0)
    rem += 86400, days--;
  int64_t y;
  int m, d;
  kv_cel_civil_from_days(days, &y, &m, &d);
  switch (fn) {
  case KV_CEL_F_FULLYEAR: return kv_cel_int(y);
  case KV_CEL_F_MONTH: return kv_cel_int(m - 1);
  case KV_CEL_F_DATE: return kv_cel_int(d);
  case KV_CEL_F_DAYOFMONTH: return kv_cel_int(d - 1);
  case KV_CEL_F_DAYOFWEEK: /* 1970-01-01 was a Thursday */
    return kv_cel_int(((days % 7) + 11) % 7);
  case KV_CEL_F_DAYOFYEAR:
    return kv_cel_int(days - kv_cel_days_from_civil(y, 1, 1));
  case KV_CEL_F_HOURS: return kv_cel_int(rem / 3600);
  case KV_CEL_F_MINUTES: return kv_cel_int(rem / 60 % 60);
  case KV_CEL_F_SECONDS: return kv_cel_int(rem % 60);
  default: return kv_cel_int(t->u.t.nsec / 1000000);
  }
}

/* ---- dispatch -------------------------------------------------------- */

static kv_cel_val_t size_of(const kv_cel_val_t *a) {
  switch (a->kind) {
  case KV_CEL_STRING: return kv_cel_int((int64_t)code_points(a->u.s.p,
                                                             a->u.s.n));
  case KV_CEL_BYTES: return kv_cel_int((int64_t)a->u.s.n);
  case KV_CEL_LIST: return kv_cel_int((int64_t)kv_cel_list_size(a));
  case KV_CEL_MAP: return kv_cel_int((int64_t)kv_cel_map_size(a));
  default: return kv_cel_err(KV_CEL_NO_OVERLOAD);
  }
}

kv_cel_val_t kv_cel_call(kv_cel_scratch_t *s, const kv_cel_node_t *node,
                         const kv_cel_val_t *args, size_t nargs) {
  const kv_cel_val_t *a = &args[0];
  kv_cel_fn_t fn = (kv_cel_fn_t)node->fn;
  switch (fn) {
  case KV_CEL_F_SIZE: return size_of(a);
  case KV_CEL_F_INT: return to_int(a);
  case KV_CEL_F_UINT: return to_uint(a);
  case KV_CEL_F_DOUBLE: return to_double(a);
  case KV_CEL_F_STRING: return kv_cel_to_string(s, a);
  case KV_CEL_F_BOOL: return to_bool(a);
  case KV_CEL_F_TYPE: return type_of(a);
  case KV_CEL_F_DYN: return *a;
  case KV_CEL_F_BYTES:
    return a->kind == KV_CEL_BYTES || a->kind == KV_CEL_STRING
               ? kv_cel_str(KV_CEL_BYTES, a->u.s.p, a->u.s.n)
               : kv_cel_err(KV_CEL_NO_OVERLOAD);
  case KV_CEL_F_TIMESTAMP:
    if (a->kind == KV_CEL_TIMESTAMP)
      return *a;
    if (a->kind == KV_CEL_INT)
      return a->u.i < KV_CEL_TS_MIN || a->u.i > KV_CEL_TS_MAX
                 ? kv_cel_err("timestamp out of range")
                 : kv_cel_time(KV_CEL_TIMESTAMP, a->u.i, 0);
    return a->kind == KV_CEL_STRING ? parse_timestamp(a->u.s.p, a->u.s.n)
                                    : kv_cel_err(KV_CEL_NO_OVERLOAD);
  case KV_CEL_F_DURATION:
    if (a->kind == KV_CEL_DURATION)
      return *a;
    return a->kind == KV_CEL_STRING ? parse_duration(a->u.s.p, a->u.s.n)
                                    : kv_cel_err(KV_CEL_NO_OVERLOAD);
  case KV_CEL_F_CONTAINS:
  case KV_CEL_F_STARTS:
  case KV_CEL_F_ENDS:
  case KV_CEL_F_MATCHES:
    if (a->kind != KV_CEL_STRING || args[1].kind != KV_CEL_STRING)
      return kv_cel_err(KV_CEL_NO_OVERLOAD);
    return fn == KV_CEL_F_MATCHES ? matches(s, node, a, &args[1])
                                  : kv_cel_bool(has_sub(a, &args[1], fn));
  default:
    if (fn < KV_CEL_F_FULLYEAR)
      return kv_cel_strings_call(s, fn, args, nargs);
    return time_part(node, a, nargs > 1 ? &args[1] : NULL);
  }
}
