/*
 * kavro - the CEL engine of data contract rules (CEL and CEL_FIELD).
 *
 * A CEL expression (google/cel-spec, doc/langdef.md) is compiled once per
 * rule and schema into an immutable program, then evaluated per message
 * with its variables bound to avro-c values, C strings or lists of C
 * strings.  What the engine implements it implements exactly as the
 * specification says; anything else it refuses when the expression is
 * compiled (KAVRO_ERR_UNSUPPORTED naming the construct), so that a rule it
 * accepts never yields a verdict another CEL implementation would not.
 *
 * Implemented: every literal (int, uint, double, string and bytes with raw,
 * triple-quoted and escaped forms, bool, null), lists, maps, every
 * operator with its precedence, `?:`, `&&` and `||` with CEL's
 * commutative error absorption, int64/uint64 arithmetic that errors on
 * overflow and on division or modulo by zero, heterogeneous equality
 * (1 == 1u == 1.0 at run time), ordering across the numeric types, `in`,
 * size(), has(), the macros all, exists, exists_one, map (2 and 3
 * arguments) and filter, contains/startsWith/endsWith/matches, the
 * conversions int(), uint(), double(), string(), bytes(), bool(), type(),
 * dyn(), timestamp() and duration() with their arithmetic, comparisons
 * and accessors (getFullYear ... getMilliseconds, with an optional time
 * zone: an IANA name such as "Europe/Paris", read from the system's
 * tzdata when the rule is compiled, or a fixed offset such as "+05:30",
 * "05:30" or "UTC").
 *
 * Refused when compiled (KAVRO_ERR_UNSUPPORTED): message construction
 * (`T{f: v}`), optional syntax (`a.?b`, `[?x]`), functions outside the
 * standard set above (extension libraries: strings, math, encoders, ...),
 * two-variable comprehensions and the later macros (existsOne,
 * transformList, transformMap), backtick-quoted field names, protobuf
 * types and enums, time zone names this system's tzdata does not have
 * (a computed zone name is an evaluation error: only constant names are
 * read, when compiling, so that evaluation never touches a file), regular
 * expressions that RE2 (the syntax CEL prescribes) does not accept or that
 * PCRE2 (the library matching them) would read differently:
 * backreferences, lookaround, atomic groups, possessive quantifiers,
 * recursion, conditionals, comments, callouts, backtracking verbs, the
 * (?x) flag, {,n}, counts over 1000, \S inside a class, \C \G \K \Z \R
 * \X \N \h \v \e \c \g \k, \b inside a class.  (\s and \S are given to
 * PCRE2 as RE2's class [\t\n\f\r ], without the vertical tab PCRE2
 * adds.)  A pattern that is not a constant is checked the same way when
 * evaluated, and an error then.  PCRE2 backtracks where RE2 runs in
 * linear time: a match that takes more than KV_CEL_MATCH_LIMIT steps is
 * an evaluation error.  Syntax errors and references to
 * undeclared variables are KAVRO_ERR_INVALID_ARG with the 1-based column
 * of the fault.
 *
 * Where cel-spec's text and its conformance cases (written against
 * cel-go) part, the cases win: an int or uint is compared with a double
 * after conversion to double, and a duration holds at most an int64 of
 * nanoseconds (about 292 years).
 *
 * How Avro values look in CEL (as Confluent's Java executor presents them,
 * CelUtils.toCelValue): a record is a map from field name to field value
 * (`message.f`, `message["f"]`, `has(message.f)`: true for every field of
 * the record's schema, whatever its value, as Java's map is); an array is
 * a list; a map a map with string keys; a union its current branch, the
 * null branch null; boolean bool; int and long int; float and double
 * double; string string; bytes and fixed bytes; an enum its symbol as a
 * string.  avro-c keeps no logical types, so a timestamp-millis is its
 * long, a decimal its bytes (Java without logical type converters, its
 * default, sees the same).  Containers are read in place, never copied.
 *
 * Threads: a program is immutable once compiled and may be evaluated from
 * any number of threads at once; a scratch belongs to one thread at a
 * time.  The warm path allocates nothing: evaluation takes its memory from
 * the scratch, which grows only while it meets a larger evaluation than
 * before (kv_cel_scratch_growths() counts those growths) and is reset at
 * the start of each evaluation.  A scratch holds at most
 * KV_CEL_SCRATCH_MAX bytes; an evaluation that needs more is an error.
 */
#ifndef KAVRO_RULES_CEL_INT_H
#define KAVRO_RULES_CEL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <avro.h>

#include "kavro/common.h"

/* Longest expression accepted, in bytes, and deepest nesting. */
#define KV_CEL_MAX_EXPR 65536
#define KV_CEL_MAX_DEPTH 128
/* Most memory one evaluation may take from its scratch. */
#define KV_CEL_SCRATCH_MAX (64u << 20)

typedef struct kv_cel_program_s kv_cel_program_t;
typedef struct kv_cel_scratch_s kv_cel_scratch_t;
struct kv_cel_val_s; /* a CEL value; rules_cel_impl_int.h */

/*
 * Compile @expr, whose free variables may be @vars[0 .. @nvars-1] (each a
 * plain or dotted identifier: "message", "value", ...), into *@program.
 * Parses, resolves every identifier and function, expands the macros and
 * compiles constant regular expressions, so that evaluation never looks a
 * name up.  KAVRO_ERR_INVALID_ARG for a syntax error or an undeclared
 * identifier, KAVRO_ERR_UNSUPPORTED for a construct the engine refuses
 * (header comment), each with the column in @error; KAVRO_ERR_LIMIT past
 * KV_CEL_MAX_EXPR or KV_CEL_MAX_DEPTH; KAVRO_ERR_NOMEM.  @vars is copied.
 * The program is freed with kv_cel_program_destroy().
 */
kavro_err_t kv_cel_compile(const char *expr, const char *const *vars,
                           size_t nvars, kv_cel_program_t **program,
                           kavro_error_t *error);

/* kv_cel_compile() of the @len bytes at @expr, which may hold NUL bytes
 * (inside string literals). */
kavro_err_t kv_cel_compile_len(const char *expr, size_t len,
                               const char *const *vars, size_t nvars,
                               kv_cel_program_t **program,
                               kavro_error_t *error);

/* Free @program (NULL-safe). */
void kv_cel_program_destroy(kv_cel_program_t *program);

/* The index of variable @name in the list @program was compiled with,
 * -1 when it has none of that name. */
int kv_cel_program_var(const kv_cel_program_t *program, const char *name);

/* Whether @program reads variable @var (an index kv_cel_program_var()
 * gave): a binding it does not read need not be computed. */
bool kv_cel_program_uses(const kv_cel_program_t *program, int var);

/* A new scratch for one thread's evaluations; NULL when out of memory. */
kv_cel_scratch_t *kv_cel_scratch_new(void);
void kv_cel_scratch_destroy(kv_cel_scratch_t *scratch);
/* How many times @scratch took memory from the system since it was made:
 * constant once warm. */
size_t kv_cel_scratch_growths(const kv_cel_scratch_t *scratch);

/* What a variable is bound to for one evaluation. */
typedef enum kv_cel_bind_kind_e {
  KV_CEL_BIND_NONE = 0, /* unbound: using the variable is an error */
  KV_CEL_BIND_AVRO,     /* .avro: any avro-c value, read in place */
  KV_CEL_BIND_STRING,   /* .str: a NUL-terminated UTF-8 string */
  KV_CEL_BIND_STRINGS,  /* .strs[0 .. .nstrs-1]: a list of strings */
  KV_CEL_BIND_NULL,     /* null */
  KV_CEL_BIND_TIMESTAMP,/* .sec, .nsec: seconds since the epoch and
                           nanoseconds (0 to 999999999), e.g. Java's
                           `now` */
  KV_CEL_BIND_VALUE     /* .value: a CEL value (rules_cel_impl_int.h) */
} kv_cel_bind_kind_t;

typedef struct kv_cel_binding_s {
  kv_cel_bind_kind_t kind;
  const avro_value_t *avro;
  const char *str;
  const char *const *strs;
  size_t nstrs;
  int64_t sec;
  int32_t nsec;
  const struct kv_cel_val_s *value;
} kv_cel_binding_t;

/*
 * Evaluate @program with @bindings (one per variable, in the order of the
 * @vars it was compiled with; borrowed for the call) in @scratch.  The
 * CEL result must be a bool, stored in *@out.  A CEL evaluation error
 * (division by zero, overflow, no such key, a non-bool result, ...) is
 * KAVRO_ERR_INVALID_ARG with CEL's message; KAVRO_ERR_LIMIT when the
 * scratch bound is reached.
 */
kavro_err_t kv_cel_eval_bool(const kv_cel_program_t *program,
                             kv_cel_scratch_t *scratch,
                             const kv_cel_binding_t *bindings, bool *out,
                             kavro_error_t *error);

/* What an expression yielded, as a rule's verdict reads it. */
typedef enum kv_cel_truth_e {
  KV_CEL_TRUTH_TRUE,
  KV_CEL_TRUTH_FALSE,
  KV_CEL_TRUTH_OTHER /* a value that is not a bool */
} kv_cel_truth_t;

/* Evaluate @program as kv_cel_eval_bool() does, except that a result that
 * is not a bool is no error but KV_CEL_TRUTH_OTHER: Java's conditions
 * read non-bool results (as failures of a CEL condition, passes of a
 * CEL_FIELD one). */
kavro_err_t kv_cel_eval_truth(const kv_cel_program_t *program,
                              kv_cel_scratch_t *scratch,
                              const kv_cel_binding_t *bindings,
                              kv_cel_truth_t *out, kavro_error_t *error);

/*
 * Evaluate @program as kv_cel_eval_bool() does and write the result into
 * @dst, an avro-c value of the field's type (a CEL_FIELD transform).  The
 * result is converted as Java's CelFieldExecutor does: an int or uint to
 * an Avro int (range-checked) or long, any number to float or double, a
 * string to a string or an enum symbol of the type, bytes to bytes or a
 * fixed of the same size, null to null; into a union it goes to the first
 * branch that takes it.  Arrays, maps and records are not written.
 * KAVRO_ERR_ENCODE naming both types when the result does not fit @dst.
 * @dst may be the very value a binding reads.
 */
kavro_err_t kv_cel_eval_to_avro(const kv_cel_program_t *program,
                                kv_cel_scratch_t *scratch,
                                const kv_cel_binding_t *bindings,
                                avro_value_t *dst, kavro_error_t *error);

/*
 * Evaluate @program as kv_cel_eval_bool() does and make the result the
 * new @message, a value of @node's type (the schema's root: a CEL
 * transform of the whole message), as Java's AvroResultWriter converts
 * it.  A result that is @message itself leaves it as it is.  Otherwise
 * the result is written into @result (a value of @message's schema,
 * emptied first), then copied into @message, which is left untouched
 * when the result does not fit.  The conversion is kv_cel_eval_to_avro's
 * for primitives and enums (but a uint goes into no int or long, as in
 * Java), and: a list to an array, a map to a map (keys as their text), a
 * map to a record field by field (keys that name no field are ignored; a
 * field the map lacks takes its default, a failure when it has none);
 * into a union the first branch that takes the value (any map fits a
 * record branch).  KAVRO_ERR_ENCODE with the JSON pointer of the value at
 * fault, in @error's path and text, when the result does not fit.
 */
struct kv_node_s;
kavro_err_t kv_cel_eval_to_message(const kv_cel_program_t *program,
                                   kv_cel_scratch_t *scratch,
                                   const kv_cel_binding_t *bindings,
                                   const struct kv_node_s *node,
                                   avro_value_t *message, avro_value_t *result,
                                   kavro_error_t *error);

#endif /* KAVRO_RULES_CEL_INT_H */
