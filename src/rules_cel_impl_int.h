/*
 * kavro - the CEL engine's insides, shared by its files alone: the value
 * model, the syntax tree the parser makes and the evaluator walks, the
 * scratch arena, and the functions each file offers the others.  The API
 * is rules_cel_int.h.
 */
#ifndef KAVRO_RULES_CEL_IMPL_INT_H
#define KAVRO_RULES_CEL_IMPL_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "rules_cel_int.h"

/* ---- values ---------------------------------------------------------- */

typedef enum kv_cel_kind_e {
  KV_CEL_NULL,
  KV_CEL_BOOL,
  KV_CEL_INT,
  KV_CEL_UINT,
  KV_CEL_DOUBLE,
  KV_CEL_STRING,
  KV_CEL_BYTES,
  KV_CEL_LIST,
  KV_CEL_MAP,
  KV_CEL_TIMESTAMP,
  KV_CEL_DURATION,
  KV_CEL_TYPE,
  KV_CEL_ERROR
} kv_cel_kind_t;

/* How a list or a map is held: built by the evaluation in the scratch,
 * read in place from an avro-c array, map or record, or a C string list. */
typedef enum kv_cel_rep_e {
  KV_CEL_REP_ARENA,
  KV_CEL_REP_AVRO,
  KV_CEL_REP_RECORD,
  KV_CEL_REP_CSTRS
} kv_cel_rep_t;

typedef struct kv_cel_val_s {
  uint8_t kind;  /* kv_cel_kind_t */
  uint8_t rep;   /* kv_cel_rep_t, for lists and maps */
  union {
    bool b;
    int64_t i;
    uint64_t u;
    double d;
    struct { const char *p; size_t n; } s;      /* string (UTF-8), bytes */
    struct { int64_t sec; int32_t nsec; } t;    /* timestamp, duration */
    struct { const struct kv_cel_val_s *v; size_t n; } list; /* ARENA */
    struct { const struct kv_cel_val_s *kv; size_t n; } map; /* ARENA:
                                                   key, value, key, ... */
    struct { const char *const *v; size_t n; } strs;         /* CSTRS */
    avro_value_t avro;                          /* AVRO, RECORD */
    int type;                                   /* a kv_cel_kind_t */
    const char *err;                            /* the message */
  } u;
} kv_cel_val_t;

/* Timestamps: years 0001 to 9999 (cel-spec).  Durations: as many
 * nanoseconds as an int64 holds (about 292 years), the range of cel-go's
 * time.Duration, which cel-spec's conformance cases hold implementations
 * to (the difference of 9999-12-31 and 0001-01-01 is an error). */
#define KV_CEL_TS_MIN (-62135596800LL)
#define KV_CEL_TS_MAX 253402300799LL
static inline bool kv_cel_duration_valid(int64_t sec, int64_t nsec) {
  __int128 ns = (__int128)sec * 1000000000 + nsec;
  return ns >= INT64_MIN && ns <= INT64_MAX;
}

static inline kv_cel_val_t kv_cel_err(const char *msg) {
  kv_cel_val_t v = {.kind = KV_CEL_ERROR};
  v.u.err = msg;
  return v;
}
static inline kv_cel_val_t kv_cel_bool(bool b) {
  kv_cel_val_t v = {.kind = KV_CEL_BOOL};
  v.u.b = b;
  return v;
}
static inline kv_cel_val_t kv_cel_int(int64_t i) {
  kv_cel_val_t v = {.kind = KV_CEL_INT};
  v.u.i = i;
  return v;
}
static inline kv_cel_val_t kv_cel_uint(uint64_t u) {
  kv_cel_val_t v = {.kind = KV_CEL_UINT};
  v.u.u = u;
  return v;
}
static inline kv_cel_val_t kv_cel_double(double d) {
  kv_cel_val_t v = {.kind = KV_CEL_DOUBLE};
  v.u.d = d;
  return v;
}
static inline kv_cel_val_t kv_cel_str(kv_cel_kind_t kind, const char *p,
                                      size_t n) {
  kv_cel_val_t v = {.kind = (uint8_t)kind};
  v.u.s.p = p;
  v.u.s.n = n;
  return v;
}
static inline kv_cel_val_t kv_cel_type(kv_cel_kind_t t) {
  kv_cel_val_t v = {.kind = KV_CEL_TYPE};
  v.u.type = (int)t;
  return v;
}
static inline kv_cel_val_t kv_cel_time(kv_cel_kind_t kind, int64_t sec,
                                       int32_t nsec) {
  kv_cel_val_t v = {.kind = (uint8_t)kind};
  v.u.t.sec = sec;
  v.u.t.nsec = nsec;
  return v;
}

#define KV_CEL_NO_OVERLOAD "no such overload"

/* ---- scratch --------------------------------------------------------- */

/* @size bytes, aligned for any value, from @scratch; NULL past its bound
 * or when the system has no memory (the evaluation then fails). */
void *kv_cel_alloc(kv_cel_scratch_t *scratch, size_t size);
/* Start a new evaluation: everything allocated before is given back. */
void kv_cel_scratch_reset(kv_cel_scratch_t *scratch);
/* The scratch's match data, its match context (the limits below) and its
 * PCRE2 context allocating from it. */
pcre2_match_data *kv_cel_scratch_match_data(kv_cel_scratch_t *scratch);
pcre2_match_context *kv_cel_scratch_match_context(kv_cel_scratch_t *scratch);
pcre2_general_context *kv_cel_scratch_pcre2(kv_cel_scratch_t *scratch);
/* How many backtracking steps one matches() may take. */
#define KV_CEL_MATCH_LIMIT 10000000
/* A printf-formatted error message in @scratch (a fixed one if none). */
kv_cel_val_t kv_cel_errf(kv_cel_scratch_t *scratch, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- syntax tree ----------------------------------------------------- */

typedef enum kv_cel_node_kind_e {
  KV_CEL_N_CONST,  /* .val */
  KV_CEL_N_GLOBAL, /* variable .slot of the declared ones */
  KV_CEL_N_LOCAL,  /* comprehension variable .slot */
  KV_CEL_N_SELECT, /* args[0].name; .test_only for has() */
  KV_CEL_N_INDEX,  /* args[0][args[1]] */
  KV_CEL_N_CALL,   /* .fn(args...), a method's receiver args[0] */
  KV_CEL_N_LIST,   /* [args...] */
  KV_CEL_N_MAP,    /* {args[0]: args[1], ...} */
  KV_CEL_N_AND,
  KV_CEL_N_OR,
  KV_CEL_N_COND,   /* args[0] ? args[1] : args[2] */
  KV_CEL_N_COMP    /* .macro over args[0], variable .slot: args[1]
                      (predicate or transform), args[2] (map's filter) */
} kv_cel_node_kind_t;

typedef enum kv_cel_macro_e {
  KV_CEL_M_ALL,
  KV_CEL_M_EXISTS,
  KV_CEL_M_EXISTS_ONE,
  KV_CEL_M_MAP,
  KV_CEL_M_FILTER
} kv_cel_macro_t;

/* Functions and operators, resolved when compiled. */
typedef enum kv_cel_fn_e {
  KV_CEL_F_ADD, KV_CEL_F_SUB, KV_CEL_F_MUL, KV_CEL_F_DIV, KV_CEL_F_MOD,
  KV_CEL_F_NEG, KV_CEL_F_NOT,
  KV_CEL_F_EQ, KV_CEL_F_NE, KV_CEL_F_LT, KV_CEL_F_LE, KV_CEL_F_GT,
  KV_CEL_F_GE, KV_CEL_F_IN,
  KV_CEL_F_SIZE, KV_CEL_F_INT, KV_CEL_F_UINT, KV_CEL_F_DOUBLE,
  KV_CEL_F_STRING, KV_CEL_F_BYTES, KV_CEL_F_BOOL, KV_CEL_F_TYPE,
  KV_CEL_F_DYN, KV_CEL_F_TIMESTAMP, KV_CEL_F_DURATION,
  KV_CEL_F_CONTAINS, KV_CEL_F_STARTS, KV_CEL_F_ENDS, KV_CEL_F_MATCHES,
  /* the strings extension (rules_cel_strings.c) */
  KV_CEL_F_CHARAT, KV_CEL_F_INDEXOF, KV_CEL_F_LASTINDEXOF,
  KV_CEL_F_LOWERASCII, KV_CEL_F_UPPERASCII, KV_CEL_F_REPLACE,
  KV_CEL_F_SPLIT, KV_CEL_F_SUBSTRING, KV_CEL_F_TRIM, KV_CEL_F_JOIN,
  KV_CEL_F_REVERSE, KV_CEL_F_QUOTE, KV_CEL_F_FORMAT,
  /* the time accessors, last: kv_cel_call's default */
  KV_CEL_F_FULLYEAR, KV_CEL_F_MONTH, KV_CEL_F_DATE, KV_CEL_F_DAYOFMONTH,
  KV_CEL_F_DAYOFWEEK, KV_CEL_F_DAYOFYEAR, KV_CEL_F_HOURS,
  KV_CEL_F_MINUTES, KV_CEL_F_SECONDS, KV_CEL_F_MILLIS
} kv_cel_fn_t;

typedef struct kv_cel_node_s {
  uint8_t kind;      /* kv_cel_node_kind_t */
  uint8_t fn;        /* kv_cel_fn_t, for calls */
  uint8_t macro;     /* kv_cel_macro_t, for comprehensions */
  bool test_only;    /* has() */
  bool method;       /* a call in receiver style (while parsing) */
  int height;        /* of the subtree, bounded by KV_CEL_MAX_DEPTH */
  int slot;          /* variable index */
  int pos;           /* byte offset in the expression */
  size_t nargs;
  struct kv_cel_node_s **args;
  const char *name;  /* selected field (NUL-terminated, owned) */
  size_t name_len;
  kv_cel_val_t val;  /* constants (strings owned by the node) */
  pcre2_code *re;    /* a constant pattern of matches() */
  bool jit;          /* ... compiled to machine code */
  struct kv_cel_tz_s *tz; /* a constant IANA zone of an accessor */
} kv_cel_node_t;

struct kv_cel_program_s {
  kv_cel_node_t *root;
  char **vars;
  size_t nvars;
  int nlocals; /* comprehension variables in use at once, at most */
  uint64_t used; /* bit i: the expression reads variable i (63: i >= 63) */
};

/* ---- lexer (rules_cel_lex.c) ----------------------------------------- */

typedef enum kv_cel_tok_e {
  KV_CEL_T_EOF, KV_CEL_T_IDENT, KV_CEL_T_INT, KV_CEL_T_UINT,
  KV_CEL_T_DOUBLE, KV_CEL_T_STRING, KV_CEL_T_BYTES,
  KV_CEL_T_PUNCT /* .text[0 .. len-1]: an operator or punctuation */
} kv_cel_tok_t;

typedef struct kv_cel_token_s {
  kv_cel_tok_t kind;
  int pos;            /* byte offset */
  const char *text;   /* into the expression */
  size_t len;
  uint64_t u;         /* INT (magnitude, the sign is the parser's), UINT */
  double d;           /* DOUBLE */
  char *str;          /* STRING, BYTES: decoded, malloc'd, owned by the
                         token until the parser takes it */
  size_t str_len;
} kv_cel_token_t;

typedef struct kv_cel_lexer_s {
  const char *src;
  size_t len, at;
  kavro_error_t *error;
} kv_cel_lexer_t;

/* The next token; KAVRO_ERR_INVALID_ARG (with the column) on a malformed
 * one. */
kavro_err_t kv_cel_lex(kv_cel_lexer_t *lx, kv_cel_token_t *tok);
/* Set @error to a fault of @code at byte @pos of @src. */
kavro_err_t kv_cel_fail(kavro_error_t *error, kavro_err_t code,
                        const char *src, int pos, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* ---- values (rules_cel_value.c) -------------------------------------- */

/* An avro-c value as CEL sees it (rules_cel_int.h); containers in place. */
kv_cel_val_t kv_cel_from_avro(kv_cel_scratch_t *s, const avro_value_t *av);
/* The field @name of @record (an avro-c record) into *@out, false when it
 * has none; @node (the select that asks, constant for a program) keys
 * the scratch's cache of field indexes. */
bool kv_cel_record_field(kv_cel_scratch_t *s, const void *node,
                         const avro_value_t *record, const char *name,
                         kv_cel_val_t *out);
/* Lists and maps, whatever holds them. */
size_t kv_cel_list_size(const kv_cel_val_t *list);
kv_cel_val_t kv_cel_list_get(kv_cel_scratch_t *s, const kv_cel_val_t *list,
                             size_t i);
size_t kv_cel_map_size(const kv_cel_val_t *map);
/* The @i-th key (iteration order) of @map. */
kv_cel_val_t kv_cel_map_key(kv_cel_scratch_t *s, const kv_cel_val_t *map,
                            size_t i);
/* *@out = @map[@key]; false when absent (or @key no valid key kind). */
bool kv_cel_map_find(kv_cel_scratch_t *s, const kv_cel_val_t *map,
                     const kv_cel_val_t *key, kv_cel_val_t *out);
/* Heterogeneous equality (never an error: 1 == 1u == 1.0). */
bool kv_cel_equal(kv_cel_scratch_t *s, const kv_cel_val_t *a,
                  const kv_cel_val_t *b);
/* Ordering: -1, 0, 1; 2 when unordered (NaN); 3 for no such overload. */
int kv_cel_compare(const kv_cel_val_t *a, const kv_cel_val_t *b);
/* Whether @v may be a map key (int, uint, bool, string). */
bool kv_cel_key_kind(const kv_cel_val_t *v);
/* The name of a type ("int", "google.protobuf.Timestamp", ...). */
const char *kv_cel_type_name(int type);
/* Write @v into @dst (rules_cel_int.h, kv_cel_eval_to_avro). */
kavro_err_t kv_cel_to_avro(kv_cel_scratch_t *s, const kv_cel_val_t *v,
                           avro_value_t *dst, kavro_error_t *error);
/* Write @v into @dst, a value of @node's type (rules_cel_int.h,
 * kv_cel_eval_to_message). */
struct kv_node_s;
kavro_err_t kv_cel_to_message(kv_cel_scratch_t *s, const kv_cel_val_t *v,
                              const struct kv_node_s *node, avro_value_t *dst,
                              kavro_error_t *error);

/* ---- functions (rules_cel_func.c) ------------------------------------ */

/* @fn applied to @args (none an error; a receiver is args[0]). */
kv_cel_val_t kv_cel_call(kv_cel_scratch_t *s, const kv_cel_node_t *node,
                         const kv_cel_val_t *args, size_t nargs);
/* CEL's string(@a): a scalar's text (cel-go's), an error for the rest. */
kv_cel_val_t kv_cel_to_string(kv_cel_scratch_t *s, const kv_cel_val_t *a);
/* A function of the strings extension (KV_CEL_F_CHARAT .. KV_CEL_F_FORMAT)
 * applied to @args (rules_cel_strings.c). */
kv_cel_val_t kv_cel_strings_call(kv_cel_scratch_t *s, kv_cel_fn_t fn,
                                 const kv_cel_val_t *args, size_t nargs);
/* Compile @pat (@n bytes) as RE2 reads it, with @gctx's allocator (NULL:
 * malloc), through @buf (room for 12 * @n + 1 bytes: the pattern as PCRE2
 * is given it); NULL with @why set when RE2 would refuse it or PCRE2 read
 * it otherwise. */
pcre2_code *kv_cel_regex_compile(const char *pat, size_t n,
                                 pcre2_general_context *gctx, char *buf,
                                 char *why, size_t why_size);
/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t kv_cel_days_from_civil(int64_t y, int m, int d);
void kv_cel_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

/* ---- time zones (rules_cel_tz.c) ------------------------------------- */

typedef struct kv_cel_tz_s kv_cel_tz_t;
/* IANA zone @name (@n bytes) from the zoneinfo directory ($TZDIR, else
 * /usr/share/zoneinfo); NULL when there is no such zone or its file is
 * not one this reader trusts. */
kv_cel_tz_t *kv_cel_tz_load(const char *name, size_t n);
void kv_cel_tz_free(kv_cel_tz_t *tz);
/* The offset east of UTC, in seconds, of @tz at instant @t. */
int32_t kv_cel_tz_offset(const kv_cel_tz_t *tz, int64_t t);
/* A fixed zone as cel-go reads one: "UTC", or [+-]hh:mm (sign optional);
 * false when @p is none. */
bool kv_cel_tz_fixed(const char *p, size_t n, int64_t *off);
/* Valid UTF-8? */
bool kv_cel_utf8_valid(const char *p, size_t n);

/* ---- evaluation (rules_cel_eval.c) ----------------------------------- */

/* Evaluate @program into *@out (an error value is a result, not a
 * failure); KAVRO_ERR_LIMIT or KAVRO_ERR_NOMEM when the scratch could not
 * give the evaluation its memory.  The result lives until @scratch's next
 * evaluation. */
kavro_err_t kv_cel_eval_value(const kv_cel_program_t *program,
                              kv_cel_scratch_t *scratch,
                              const kv_cel_binding_t *bindings,
                              kv_cel_val_t *out, kavro_error_t *error);

#endif /* KAVRO_RULES_CEL_IMPL_INT_H */
