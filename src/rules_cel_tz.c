/*
 * kavro - time zones for CEL's timestamp accessors (getHours('Europe/Paris')
 * ...): IANA zones read from the system's TZif files (RFC 8536) when a
 * rule is compiled, with the POSIX TZ rule of their footer for instants
 * past the last transition, and fixed offsets as cel-go reads them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_cel_impl_int.h"

/* A POSIX TZ transition rule: Jn, n or Mm.w.d, at @time local seconds. */
typedef struct tz_rule_s {
  char kind; /* 'J', 'D' (zero-based day) or 'M' */
  int day, week, month;
  int32_t time;
} tz_rule_t;

struct kv_cel_tz_s {
  size_t ntrans, ntypes;
  int64_t *trans;  /* transition instants, ascending */
  uint8_t *idx;    /* the type each transition starts */
  int32_t *utoff;  /* each type's offset from UTC, seconds */
  bool has_footer, has_dst;
  int32_t std_off, dst_off; /* east of UTC */
  tz_rule_t start, end;
};

/* Most bytes a TZif file may have (the largest in tzdata are ~4 KiB). */
#define TZIF_MAX (256 * 1024)

void kv_cel_tz_free(kv_cel_tz_t *tz) {
  if (!tz)
    return;
  free(tz->trans);
  free(tz->idx);
  free(tz->utoff);
  free(tz);
}

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

static int64_t be64(const unsigned char *p) {
  return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* ---- POSIX TZ strings ------------------------------------------------ */

static const char *tz_name(const char *p) {
  if (*p == '<') {
    const char *q = strchr(p, '>');
    return q ? q + 1 : NULL;
  }
  const char *q = p;
  while ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z'))
    q++;
  return q - p >= 3 ? q : NULL;
}

/* [+-]hh[:mm[:ss]] into *@secs; the text after it, NULL when malformed. */
static const char *tz_hms(const char *p, int32_t *secs, int max_hours) {
  int sign = 1;
  if (*p == '+' || *p == '-')
    sign = *p++ == '-' ? -1 : 1;
  int32_t parts[3] = {0, 0, 0};
  for (int i = 0; i < 3; i++) {
    if (*p < '0' || *p > '9')
      return i == 0 ? NULL : p;
    int v = 0, digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 3)
      v = v * 10 + (*p++ - '0'), digits++;
    parts[i] = v;
    if (i < 2 && *p != ':')
      break;
    if (i < 2)
      p++;
  }
  if (parts[0] > max_hours || parts[1] > 59 || parts[2] > 59)
    return NULL;
  *secs = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
  return p;
}

static const char *tz_rule(const char *p, tz_rule_t *r) {
  r->time = 7200; /* 02:00 unless given */
  if (*p == 'M') {
    r->kind = 'M';
    if (sscanf(p + 1, "%d.%d.%d", &r->month, &r->week, &r->day) != 3 ||
        r->month < 1 || r->month > 12 || r->week < 1 || r->week > 5 ||
        r->day < 0 || r->day > 6)
      return NULL;
    for (p++; (*p >= '0' && *p <= '9') || *p == '.'; p++)
      ;
  } else {
    r->kind = *p == 'J' ? 'J' : 'D';
    if (*p == 'J')
      p++;
    if (*p < '0' || *p > '9')
      return NULL;
    for (r->day = 0; *p >= '0' && *p <= '9'; p++)
      r->day = r->day * 10 + (*p - '0');
    if (r->day > 365 || (r->kind == 'J' && r->day < 1))
      return NULL;
  }
  if (*p == '/' && !(p = tz_hms(p + 1, &r->time, 167)))
    return NULL;
  return p;
}

/* The footer "STD offset [DST [offset][,start[/time],end[/time]]]". */
static bool tz_footer(kv_cel_tz_t *tz, const char *s) {
  int32_t off;
  const char *p = tz_name(s);
  if (!p || !(p = tz_hms(p, &off, 24)))
    return false;
  tz->std_off = -off; /* POSIX counts west of UTC */
  tz->has_footer = true;
  if (!*p)
    return true;
  if (!(p = tz_name(p)))
    return false;
  tz->has_dst = true;
  tz->dst_off = tz->std_off + 3600;
  if (*p && *p != ',') {
    if (!(p = tz_hms(p, &off, 24)))
      return false;
    tz->dst_off = -off;
  }
  /* Without rules POSIX leaves the dates to the implementation. */
  if (*p != ',' || !(p = tz_rule(p + 1, &tz->start)) || *p != ',' ||
      !(p = tz_rule(p + 1, &tz->end)))
    return false;
  return *p == '\0';
}

/* Days since the epoch of rule @r's day in @year. */
static int64_t rule_day(const tz_rule_t *r, int64_t year) {
  bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
  int64_t jan1 = kv_cel_days_from_civil(year, 1, 1);
  if (r->kind == 'J')
    return jan1 + r->day - 1 + (leap && r->day >= 60);
  if (r->kind == 'D')
    return jan1 + r->day;
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int64_t first = kv_cel_days_from_civil(year, r->month, 1);
  int wd = (int)(((first % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
  int day = 1 + (r->day - wd + 7) % 7 + (r->week - 1) * 7;
  int last = mdays[r->month - 1] + (r->month == 2 && leap);
  while (day > last)
    day -= 7;
  return first + day - 1;
}

static int32_t footer_offset(const kv_cel_tz_t *tz, int64_t t) {
  if (!tz->has_dst)
    return tz->std_off;
  int64_t y, local = t + tz->std_off, days = local / 86400;
  int m, d;
  if (local % 86400 < 0)
    days--;
  kv_cel_civil_from_days(days, &y, &m, &d);
  /* Start is in standard time, end in daylight time. */
  int64_t start = rule_day(&tz->start, y) * 86400 + tz->start.time -
                  tz->std_off;
  int64_t end = rule_day(&tz->end, y) * 86400 + tz->end.time - tz->dst_off;
  bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
  return dst ? tz->dst_off : tz->std_off;
}

int32_t kv_cel_tz_offset(const kv_cel_tz_t *tz, int64_t t) {
  if (tz->ntrans == 0 || t < tz->trans[0])
    return tz->has_footer && tz->ntrans == 0 ? footer_offset(tz, t)
                                             : tz->utoff[0];
  if (t >= tz->trans[tz->ntrans - 1] && tz->has_footer)
    return footer_offset(tz, t);
  size_t lo = 0, hi = tz->ntrans; /* the last transition at or before t */
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (tz->trans[mid] <= t)
      lo = mid;
    else
      hi = mid;
  }
  return tz->utoff[tz->idx[lo]];
}

/* ---- TZif ------------------------------------------------------------ */

/* Read the version 2+ data block of @buf (@n bytes). */
static bool tzif_parse(kv_cel_tz_t *tz, const unsigned char *buf, size_t n) {
  if (n < 44 || memcmp(buf, "TZif", 4) != 0 || buf[4] < '2')
    return false;
  /* Skip the version 1 block: its counts, then 4-byte times. */
  uint32_t c[6];
  for (int i = 0; i < 6; i++)
    c[i] = be32(buf + 20 + 4 * i);
  uint64_t skip = 44 + (uint64_t)c[3] * 5 + (uint64_t)c[4] * 6 + c[5] +
                  (uint64_t)c[2] * 8 + c[1] + c[0];
  if (skip + 44 > n || memcmp(buf + skip, "TZif", 4) != 0)
    return false;
  const unsigned char *h = buf + skip;
  for (int i = 0; i < 6; i++)
    c[i] = be32(h + 20 + 4 * i);
  uint32_t isut = c[0], isstd = c[1], leap = c[2], timecnt = c[3],
           typecnt = c[4], charcnt = c[5];
  uint64_t data = (uint64_t)timecnt * 9 + (uint64_t)typecnt * 6 + charcnt +
                  (uint64_t)leap * 12 + isstd + isut;
  if (typecnt == 0 || typecnt > 256 || skip + 44 + data > n)
    return false;
  const unsigned char *p = h + 44;
  tz->ntrans = timecnt;
  tz->ntypes = typecnt;
  tz->trans = malloc((timecnt ? timecnt : 1) * sizeof *tz->trans);
  tz->idx = malloc(timecnt ? timecnt : 1);
  tz->utoff = malloc(typecnt * sizeof *tz->utoff);
  if (!tz->trans || !tz->idx || !tz->utoff)
    return false;
  for (uint32_t i = 0; i < timecnt; i++) {
    tz->trans[i] = be64(p + 8 * i);
    if (i && tz->trans[i] <= tz->trans[i - 1])
      return false;
  }
  p += (size_t)timecnt * 8;
  for (uint32_t i = 0; i < timecnt; i++)
    if ((tz->idx[i] = p[i]) >= typecnt)
      return false;
  p += timecnt;
  for (uint32_t i = 0; i < typecnt; i++) {
    int32_t off = (int32_t)be32(p + 6 * i);
    if (off < -89999 || off > 93599)
      return false;
    tz->utoff[i] = off;
  }
  /* The footer: "\nTZ\n" after the data, when there is one. */
  const unsigned char *f = h + 44 + data, *end = buf + n;
  if (f < end && *f == '\n') {
    const unsigned char *nl = memchr(f + 1, '\n', (size_t)(end - f - 1));
    char rule[128];
    size_t len = nl ? (size_t)(nl - f - 1) : 0;
    if (!nl || len >= sizeof rule)
      return false;
    memcpy(rule, f + 1, len);
    rule[len] = '\0';
    if (len && !tz_footer(tz, rule))
      return false;
  }
  return true;
}

/* A zone name as tzdata spells them: no way out of its directory. */
static bool tz_name_ok(const char *name, size_t n) {
  if (n == 0 || n > 64 || name[0] == '/' || name[0] == '.')
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
          (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '+' ||
          c == '/' || (c == '.' && name[i - 1] != '.' && name[i - 1] != '/')))
      return false;
  }
  return true;
}

kv_cel_tz_t *kv_cel_tz_load(const char *name, size_t n) {
  if (!tz_name_ok(name, n) || (n == 5 && memcmp(name, "Local", 5) == 0))
    return NULL;
  const char *dir = getenv("TZDIR");
  char path[512];
  snprintf(path, sizeof path, "%s/%.*s",
           dir && *dir ? dir : "/usr/share/zoneinfo", (int)n, name);
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  unsigned char *buf = malloc(TZIF_MAX);
  size_t got = buf ? fread(buf, 1, TZIF_MAX, f) : 0;
  fclose(f);
  kv_cel_tz_t *tz = buf ? calloc(1, sizeof *tz) : NULL;
  if (tz && (got == TZIF_MAX || !tzif_parse(tz, buf, got))) {
    kv_cel_tz_free(tz);
    tz = NULL;
  }
  free(buf);
  return tz;
}

bool kv_cel_tz_fixed(const char *p, size_t n, int64_t *off) {
  /* cel-go: "UTC" (and "", which Go's LoadLocation reads as UTC), or
   * [+-]hh:mm with the sign optional. */
  if (n == 0 || (n == 3 && memcmp(p, "UTC", 3) == 0)) {
    *off = 0;
    return true;
  }
  const char *colon = memchr(p, ':', n);
  if (!colon)
    return false;
  size_t sign = (*p == '+' || *p == '-');
  size_t hd = (size_t)(colon - p) - sign, md = n - (size_t)(colon - p) - 1;
  if (hd < 1 || hd > 2 || md != 2)
    return false;
  int h = 0, m = 0;
  for (size_t i = sign; i < sign + hd; i++) {
    if (p[i] < '0' || p[i] > '9')
      return false;
    h = h * 10 + (p[i] - '0');
  }
  for (size_t i = 1; i <= 2; i++) {
    if (colon[i] < '0' || colon[i] > '9')
      return false;
    m = m * 10 + (colon[i] - '0');
  }
  if (h > 23 || m > 59)
    return false;
  *off = (h * 3600 + m * 60) * (*p == '-' ? -1 : 1);
  return true;
}
