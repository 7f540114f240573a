/*
 * libFuzzer harness: the CEL engine (src/rules_cel_int.h) on any
 * expression text, as a registry's rule set may hand it over.
 *
 * The input is compiled with the variables of a CEL_FIELD rule; what
 * compiles is evaluated twice in one scratch, the variables bound to
 * strings, a list of strings and null.  Compiling fails only with the
 * engine's documented codes, evaluating only with a CEL error or the
 * scratch bound, and the two evaluations agree (the scratch is reset
 * between them).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/rules_cel_impl_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_outcome(const kv_cel_val_t *a, const kv_cel_val_t *b) {
  if (a->kind != b->kind)
    return false;
  return a->kind != KV_CEL_BOOL || a->u.b == b->u.b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const vars[] = {"name", "typeName", "tags", "value",
                                     "message"};
  static const char *const tags[] = {"PII", "internal"};
  kv_cel_program_t *program = NULL;
  kavro_error_t error;
  kavro_err_t err = kv_cel_compile_len((const char *)data, size, vars, 5,
                                       &program, &error);
  if (err != KAVRO_OK) {
    if (program || (err != KAVRO_ERR_INVALID_ARG &&
                    err != KAVRO_ERR_UNSUPPORTED && err != KAVRO_ERR_LIMIT &&
                    err != KAVRO_ERR_NOMEM))
      abort();
    return 0;
  }
  kv_cel_binding_t bindings[5] = {
      {.kind = KV_CEL_BIND_STRING, .str = "ssn"},
      {.kind = KV_CEL_BIND_STRING, .str = "STRING"},
      {.kind = KV_CEL_BIND_STRINGS, .strs = tags, .nstrs = 2},
      {.kind = KV_CEL_BIND_STRING, .str = "123-45-6789"},
      {.kind = KV_CEL_BIND_NULL}};
  kv_cel_scratch_t *scratch = kv_cel_scratch_new();
  kv_cel_val_t first, second;
  if (!scratch)
    abort();
  kavro_err_t e1 = kv_cel_eval_value(program, scratch, bindings, &first,
                                     &error);
  kavro_err_t e2 = kv_cel_eval_value(program, scratch, bindings, &second,
                                     &error);
  if (e1 != e2 || (e1 != KAVRO_OK && e1 != KAVRO_ERR_LIMIT) ||
      (e1 == KAVRO_OK && !same_outcome(&first, &second)))
    abort();
  kv_cel_scratch_destroy(scratch);
  kv_cel_program_destroy(program);
  return 0;
}
