/*
 * kavro - field-level encryption over the encoded message, in one pass
 * (rules_int.h: kv_ruleset_rewrite()).
 *
 * The rule set of a producer that encrypts fields (Confluent's CSFLE: a
 * single ENCRYPT rule over tagged string and bytes fields) would read
 * the body it just encoded back into a generic value, seal the tagged
 * fields there and encode the value again: three passes and the copies
 * of every field between them.  For such a rule set this file compiles a
 * plan from the schema once, with the field tags and the rule's reach
 * resolved exactly as the walk of rules_run.c resolves them, and runs it
 * over the body with the codec's cursor: the bytes of every field the
 * rule does not touch are copied through in runs, each field it seals is
 * replaced by the value the executor would have stored.  The result is
 * byte for byte the generic path's (under AES-GCM, but for the random
 * IVs).
 *
 * Whatever the plan does not cover falls back to the generic path:
 *  - decided once, when the rule set is compiled: other rules than that
 *    one ENCRYPT transform (CEL, conditions, user executors, onSuccess
 *    actions), reading, schemas where the rule would reach a field it
 *    cannot seal (the generic path fails there, as Java does), and
 *    schemas of more than MAX_STEPS steps;
 *  - per message, only where the generic path would not give these bytes
 *    back, or would fail: a key not yet at hand (the generic path asks
 *    the registry and reports its failures), a body the cursor refuses,
 *    a collection written in more than one block or with a byte size
 *    (re-encoded as one block), a map key holding a NUL or written twice
 *    (avro-c's maps keep one, up to the NUL), a failed encryption.  The
 *    encoders of the serializer write none of those.
 */
#include <stdlib.h>
#include <string.h>

#include "codec_int.h"
#include "common_error_int.h"
#include "rules_model_int.h"

/* Maps with more entries than this are left to the generic path: the
 * check for a repeated key compares each key with those before it. */
#define MAP_KEYS_COMPARED 64

/* Schemas whose plan takes more steps than this are left to the generic
 * path: a record's step is found again by a search through the steps, so
 * that compiling stays cheap. */
#define MAX_STEPS 4096

/* What the plan does at a node. */
typedef enum kv_rw_kind_e {
  RW_PASS,   /* a value the rule does not touch: stepped over */
  RW_SEAL,   /* a string or bytes the rule seals */
  RW_RECORD, /* each field by its own step */
  RW_ITEMS,  /* array items or map values, by one step */
  RW_UNION   /* the written branch, by its step */
} kv_rw_kind_t;

typedef struct kv_rw_step_s {
  const kv_node_t *node;
  kv_rw_kind_t kind;
  bool reached; /* the rule reaches the node's leaves through the field
                   that holds it (the walk's current field meets it) */
  struct kv_rw_step_s **next; /* per field, the items' one, per branch */
} kv_rw_step_t;

struct kv_rewrite_s {
  const kv_rule_t *rule;
  kv_rw_step_t *root;
  kv_rw_step_t **steps; /* every step, to find a record's and to free */
  size_t count, capacity;
};

/* ---- compiling ---------------------------------------------------------- */

void kv_rewrite_destroy(kv_rewrite_t *rw) {
  if (!rw)
    return;
  for (size_t i = 0; i < rw->count; i++) {
    free(rw->steps[i]->next);
    free(rw->steps[i]);
  }
  free(rw->steps);
  free(rw);
}

/* How compiling a step ended: a plan, no plan (the generic path runs),
 * or out of memory. */
typedef enum { PLAN_OK, PLAN_NONE, PLAN_NOMEM } kv_plan_t;

static kv_plan_t plan_node(kv_rewrite_t *rw, const kv_ruleset_t *set,
                           const kv_node_t *node, bool reached,
                           kv_rw_step_t **stepp);

/* A new step of @rw with room for @next steps below it; NULL when out of
 * memory. */
static kv_rw_step_t *step_new(kv_rewrite_t *rw, const kv_node_t *node,
                              bool reached, kv_rw_kind_t kind, size_t next) {
  if (rw->count == rw->capacity) {
    size_t capacity = rw->capacity ? 2 * rw->capacity : 16;
    kv_rw_step_t **grown = realloc(rw->steps, capacity * sizeof(*grown));
    if (!grown)
      return NULL;
    rw->steps = grown;
    rw->capacity = capacity;
  }
  kv_rw_step_t *s = calloc(1, sizeof(*s));
  if (!s || (next && !(s->next = calloc(next, sizeof(*s->next))))) {
    free(s);
    return NULL;
  }
  *s = (kv_rw_step_t){node, kind, reached, s->next};
  rw->steps[rw->count++] = s;
  return s;
}

/* A field reaches its leaves as rules_run.c's walk_record() decides: one
 * that is no primitive, or whose tags meet the rule's, is the current
 * field below it; a primitive one whose tags miss leaves the enclosing
 * field current. */
static bool field_reached(const kv_ruleset_t *set, const kv_rule_t *r,
                          const kv_field_t *f, bool outer) {
  const kv_field_tags_t *ft = kv_ruleset_field_tags(set, f);
  bool meets = !r->tag_count ||
               (ft && kv_rule_meets(ft->tags, ft->count, r));
  return kv_type_is_primitive(f->type->type) ? meets || outer : meets;
}

static kv_plan_t plan_record(kv_rewrite_t *rw, const kv_ruleset_t *set,
                             kv_rw_step_t *s) {
  const kv_node_t *node = s->node;
  kv_plan_t plan = PLAN_OK;
  for (size_t i = 0; i < node->field_count && plan == PLAN_OK; i++) {
    const kv_field_t *f = &node->fields[i];
    plan = plan_node(rw, set, f->type,
                     field_reached(set, rw->rule, f, s->reached),
                     &s->next[i]);
  }
  return plan;
}

/* The step of @node for a walk that @reached it (a record's is made once
 * per way of reaching it: a record may hold itself). */
static kv_plan_t plan_node(kv_rewrite_t *rw, const kv_ruleset_t *set,
                           const kv_node_t *node, bool reached,
                           kv_rw_step_t **stepp) {
  if (rw->count >= MAX_STEPS)
    return PLAN_NONE;
  switch (node->type) {
  case KAVRO_RECORD:
    for (size_t i = 0; i < rw->count; i++)
      if (rw->steps[i]->node == node && rw->steps[i]->reached == reached) {
        *stepp = rw->steps[i];
        return PLAN_OK;
      }
    if (!(*stepp = step_new(rw, node, reached, RW_RECORD, node->field_count)))
      return PLAN_NOMEM;
    return plan_record(rw, set, *stepp);
  case KAVRO_ARRAY:
  case KAVRO_MAP:
    if (!(*stepp = step_new(rw, node, reached, RW_ITEMS, 1)))
      return PLAN_NOMEM;
    return plan_node(rw, set, node->items, reached, &(*stepp)->next[0]);
  case KAVRO_UNION: {
    kv_rw_step_t *s = step_new(rw, node, reached, RW_UNION,
                               node->branch_count);
    if (!(*stepp = s))
      return PLAN_NOMEM;
    kv_plan_t plan = PLAN_OK;
    for (size_t i = 0; i < node->branch_count && plan == PLAN_OK; i++)
      plan = plan_node(rw, set, node->branches[i], reached, &s->next[i]);
    return plan;
  }
  case KAVRO_STRING:
  case KAVRO_BYTES:
    *stepp = step_new(rw, node, reached, reached ? RW_SEAL : RW_PASS, 0);
    return *stepp ? PLAN_OK : PLAN_NOMEM;
  default:
    /* The executor passes a null and fails on any other type it is
     * given: that failure is the generic path's to report. */
    if (reached && node->type != KAVRO_NULL)
      return PLAN_NONE;
    *stepp = step_new(rw, node, reached, RW_PASS, 0);
    return *stepp ? PLAN_OK : PLAN_NOMEM;
  }
}

/* Whether @r calls an action when it succeeds (a shadowed rule too). */
static bool acts_on_success(const kv_rule_t *r) {
  return *r->on_success && strcmp(r->on_success, "NONE") != 0;
}

/* The one rule a plan runs: the rule set's only domain rule that is not
 * shadowed, a field ENCRYPT transform; NULL when there is none such, or
 * a rule calls an action on success. */
static const kv_rule_t *rewritable_rule(const kv_ruleset_t *set) {
  const kv_rule_t *found = NULL;
  if (set->refusal || set->list.mode != KAVRO_RULE_WRITE)
    return NULL;
  for (size_t i = 0; i < set->list.count; i++) {
    const kv_rule_t *r = &set->list.rules[i];
    if (acts_on_success(r))
      return NULL;
    if (r->shadowed)
      continue;
    if (found || r->kind != KAVRO_RULE_TRANSFORM || !r->executor ||
        !kv_encrypt_rewritable(r))
      return NULL;
    found = r;
  }
  return found;
}

kavro_err_t kv_rewrite_compile(kv_ruleset_t *set, kavro_error_t *error) {
  const kv_rule_t *r = rewritable_rule(set);
  if (!r)
    return KAVRO_OK;
  kv_rewrite_t *rw = calloc(1, sizeof(*rw));
  if (!rw)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  rw->rule = r;
  kv_plan_t plan = plan_node(rw, set, kv_schema_root(set->schema), false,
                             &rw->root);
  if (plan != PLAN_OK) {
    kv_rewrite_destroy(rw);
    return plan == PLAN_NOMEM
               ? kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory")
               : KAVRO_OK;
  }
  set->rewrite = rw;
  return KAVRO_OK;
}

/* ---- running ------------------------------------------------------------- */

typedef struct kv_rw_run_s {
  kavro_cursor_t c;
  const unsigned char *copied; /* the body is in @out up to here */
  kavro_buf_t *out;
  const kavro_rule_ctx_t *ctx;
  const void *key;
} kv_rw_run_t;

/* Any failure: the generic path takes the message from the start. */
#define FALLBACK KAVRO_ERR_UNSUPPORTED

static kavro_err_t run_nested(kv_rw_run_t *run, const kv_rw_step_t *s);

/* Step over a value the rule leaves as it is, with the checks the
 * decoder makes. */
KAVRO_INLINE kavro_err_t pass(kavro_cursor_t *c, const kv_node_t *node) {
  const unsigned char *data;
  size_t n;
  int64_t l;
  int32_t i;
  uint32_t u;
  uint64_t bits;
  bool b;
  switch (node->type) {
  case KAVRO_NULL:
    return KAVRO_OK;
  case KAVRO_BOOLEAN:
    return kavro_cursor_bool(c, &b);
  case KAVRO_INT:
    return kavro_cursor_int(c, &i);
  case KAVRO_LONG:
    return kavro_cursor_long(c, &l);
  case KAVRO_FLOAT:
    return kavro_cursor_le(c, &bits, 4, "float");
  case KAVRO_DOUBLE:
    return kavro_cursor_le(c, &bits, 8, "double");
  case KAVRO_BYTES:
  case KAVRO_STRING:
    return kavro_cursor_run(c, &data, &n);
  case KAVRO_FIXED:
    return kavro_cursor_fixed(c, &data, node->size, node->fullname);
  case KAVRO_ENUM:
    return kavro_cursor_symbol(c, &u, (uint32_t)node->symbol_count,
                               node->fullname);
  default:
    return FALLBACK;
  }
}

/* Replace the string or bytes at the cursor by their sealed value. */
static kavro_err_t seal(kv_rw_run_t *run, bool string) {
  const unsigned char *start = run->c.p, *plain = NULL;
  size_t n = 0;
  kavro_err_t err = kavro_cursor_run(&run->c, &plain, &n);
  if (err)
    return err;
  size_t unchanged = (size_t)(start - run->copied);
  if (kv_buf_reserve(run->out, unchanged))
    return FALLBACK;
  kv_put_bytes(run->out, run->copied, unchanged);
  run->copied = run->c.p;
  return kv_encrypt_seal_into(run->ctx, run->key, string, plain, n, run->out,
                              NULL);
}

/* Whether the map key @key (@n bytes) reads back as itself: no NUL, and
 * not one of the @count keys before it (at @keys). */
static bool key_kept(const unsigned char *key, size_t n,
                     const unsigned char *const *keys, const size_t *sizes,
                     size_t count) {
  if (memchr(key, '\0', n))
    return false;
  for (size_t i = 0; i < count; i++)
    if (sizes[i] == n && memcmp(keys[i], key, n) == 0)
      return false;
  return true;
}

KAVRO_INLINE kavro_err_t run_step(kv_rw_run_t *run, const kv_rw_step_t *s);

/* The @count entries of a map's block: its keys as they are, each value
 * by @s's step. */
static kavro_err_t run_entries(kv_rw_run_t *run, const kv_rw_step_t *s,
                               size_t count) {
  const unsigned char *keys[MAP_KEYS_COMPARED];
  size_t sizes[MAP_KEYS_COMPARED];
  if (count > MAP_KEYS_COMPARED)
    return FALLBACK;
  kavro_err_t err = KAVRO_OK;
  for (size_t i = 0; !err && i < count; i++) {
    if ((err = kavro_cursor_run(&run->c, &keys[i], &sizes[i])))
      return err;
    if (!key_kept(keys[i], sizes[i], keys, sizes, i))
      return FALLBACK;
    err = run_step(run, s->next[0]);
  }
  return err;
}

/* Array items or map entries: one block, then the end, as the encoders
 * write a collection and the generic path writes it again. */
static kavro_err_t run_items(kv_rw_run_t *run, const kv_rw_step_t *s) {
  kavro_cursor_t peek = run->c;
  int64_t first;
  size_t seen = 0, count = 0;
  kavro_err_t err = kavro_cursor_long(&peek, &first);
  if (!err && first < 0)
    return FALLBACK;
  if (!err)
    err = kavro_cursor_block(&run->c, &seen, &count, true);
  if (!err && s->node->type == KAVRO_MAP)
    err = run_entries(run, s, count);
  for (size_t i = 0; !err && s->node->type == KAVRO_ARRAY && i < count; i++)
    err = run_step(run, s->next[0]);
  if (!err && count > 0 &&
      !(err = kavro_cursor_block(&run->c, &seen, &count, true)) && count)
    return FALLBACK;
  return err;
}

/* A step: a leaf in place, a nested value by run_nested().  Most steps
 * are leaves, which then cost no call. */
KAVRO_INLINE kavro_err_t run_step(kv_rw_run_t *run, const kv_rw_step_t *s) {
  if (s->kind == RW_PASS)
    return pass(&run->c, s->node);
  if (s->kind == RW_SEAL)
    return seal(run, s->node->type == KAVRO_STRING);
  return run_nested(run, s);
}

static kavro_err_t run_nested(kv_rw_run_t *run, const kv_rw_step_t *s) {
  kavro_err_t err;
  if ((err = kavro_cursor_enter(&run->c)))
    return err;
  if (s->kind == RW_RECORD) {
    for (size_t i = 0; !err && i < s->node->field_count; i++)
      err = run_step(run, s->next[i]);
  } else if (s->kind == RW_UNION) {
    uint32_t d = 0;
    if (!(err = kavro_cursor_branch(&run->c, &d,
                                    (uint32_t)s->node->branch_count)))
      err = run_step(run, s->next[d]);
  } else {
    err = run_items(run, s);
  }
  kavro_cursor_leave(&run->c);
  return err;
}

bool kv_ruleset_rewrite(const kv_ruleset_t *set, const kv_rule_call_t *call,
                        const unsigned char *body, size_t size,
                        kavro_buf_t *out) {
  const kv_rewrite_t *rw = set ? set->rewrite : NULL;
  /* A rule the record says to skip: the generic path skips it. */
  if (!rw || kv_rule_replayed(kv_rule_replay_header(call), rw->rule))
    return false;
  kavro_rule_ctx_t ctx;
  kv_rule_ctx_init(&ctx, set, rw->rule, call);
  kv_rw_run_t run = {.out = out, .ctx = &ctx, .copied = body};
  if (!(run.key = kv_encrypt_warm_key(&ctx)))
    return false;
  kv_cursor_setup(&run.c, body, size, NULL, NULL);
  out->length = 0;
  if (run_step(&run, rw->root) || run.c.p != run.c.end)
    return false;
  size_t rest = (size_t)(run.c.end - run.copied);
  if (kv_buf_reserve(out, rest))
    return false;
  kv_put_bytes(out, run.copied, rest);
  return true;
}
