/*
 * kavro - the CEL evaluator: walks a compiled program's tree with its
 * variables bound, by cel-spec's rules (doc/langdef.md, "Evaluation"):
 * arguments strictly, `&&`, `||` and `?:` lazily with errors absorbed by
 * the operand that decides, comprehensions as the macros define them.
 * Everything an evaluation makes lives in the caller's scratch.
 */
#include <math.h>
#include <string.h>

#include "common_error_int.h"
#include "rules_cel_impl_int.h"

typedef struct ctx_s {
  kv_cel_scratch_t *s;
  const kv_cel_val_t *globals;
  kv_cel_val_t *locals;
  bool exhausted; /* the scratch ran out */
} ctx_t;

static kv_cel_val_t eval(ctx_t *c, const kv_cel_node_t *n);

static kv_cel_val_t *alloc_vals(ctx_t *c, size_t n) {
  kv_cel_val_t *v = kv_cel_alloc(c->s, (n ? n : 1) * sizeof *v);
  if (!v)
    c->exhausted = true;
  return v;
}

#define OOM kv_cel_err("out of scratch memory")

/* ---- arithmetic ------------------------------------------------------ */

static kv_cel_val_t add_time(int64_t sec, int64_t nsec, kv_cel_kind_t kind) {
  /* nsec in (-2e9, 2e9): normalize into [0, 1e9). */
  sec += nsec / 1000000000;
  nsec %= 1000000000;
  if (nsec < 0) {
    nsec += 1000000000;
    sec--;
  }
  if (kind == KV_CEL_TIMESTAMP ? (sec < KV_CEL_TS_MIN || sec > KV_CEL_TS_MAX)
                               : !kv_cel_duration_valid(sec, nsec))
    return kv_cel_err(kind == KV_CEL_TIMESTAMP ? "timestamp out of range"
                                               : "duration out of range");
  return kv_cel_time(kind, sec, (int32_t)nsec);
}

static kv_cel_val_t concat(ctx_t *c, const kv_cel_val_t *a,
                           const kv_cel_val_t *b) {
  if (a->kind == KV_CEL_STRING || a->kind == KV_CEL_BYTES) {
    char *p = kv_cel_alloc(c->s, a->u.s.n + b->u.s.n + 1);
    if (!p)
      return c->exhausted = true, OOM;
    memcpy(p, a->u.s.p, a->u.s.n);
    memcpy(p + a->u.s.n, b->u.s.p, b->u.s.n);
    return kv_cel_str(a->kind, p, a->u.s.n + b->u.s.n);
  }
  size_t na = kv_cel_list_size(a), nb = kv_cel_list_size(b);
  kv_cel_val_t *v = alloc_vals(c, na + nb);
  if (!v)
    return OOM;
  for (size_t i = 0; i < na; i++)
    v[i] = kv_cel_list_get(c->s, a, i);
  for (size_t i = 0; i < nb; i++)
    v[na + i] = kv_cel_list_get(c->s, b, i);
  kv_cel_val_t r = {.kind = KV_CEL_LIST, .rep = KV_CEL_REP_ARENA};
  r.u.list.v = v;
  r.u.list.n = na + nb;
  return r;
}

static kv_cel_val_t arith(ctx_t *c, kv_cel_fn_t fn, const kv_cel_val_t *a,
                          const kv_cel_val_t *b) {
  int64_t i;
  uint64_t u;
  if (a->kind == KV_CEL_INT && b->kind == KV_CEL_INT) {
    int64_t x = a->u.i, y = b->u.i;
    bool ovf = false;
    switch (fn) {
    case KV_CEL_F_ADD: ovf = __builtin_add_overflow(x, y, &i); break;
    case KV_CEL_F_SUB: ovf = __builtin_sub_overflow(x, y, &i); break;
    case KV_CEL_F_MUL: ovf = __builtin_mul_overflow(x, y, &i); break;
    default:
      if (y == 0)
        return kv_cel_err(fn == KV_CEL_F_DIV ? "division by zero"
                                             : "modulus by zero");
      if (x == INT64_MIN && y == -1)
        return kv_cel_err("integer overflow");
      i = fn == KV_CEL_F_DIV ? x / y : x % y;
    }
    return ovf ? kv_cel_err("integer overflow") : kv_cel_int(i);
  }
  if (a->kind == KV_CEL_UINT && b->kind == KV_CEL_UINT) {
    uint64_t x = a->u.u, y = b->u.u;
    bool ovf = false;
    switch (fn) {
    case KV_CEL_F_ADD: ovf = __builtin_add_overflow(x, y, &u); break;
    case KV_CEL_F_SUB: ovf = __builtin_sub_overflow(x, y, &u); break;
    case KV_CEL_F_MUL: ovf = __builtin_mul_overflow(x, y, &u); break;
    default:
      if (y == 0)
        return kv_cel_err(fn == KV_CEL_F_DIV ? "division by zero"
                                             : "modulus by zero");
      u = fn == KV_CEL_F_DIV ? x / y : x % y;
    }
    return ovf ? kv_cel_err("unsigned integer overflow") : kv_cel_uint(u);
  }
  if (a->kind == KV_CEL_DOUBLE && b->kind == KV_CEL_DOUBLE &&
      fn != KV_CEL_F_MOD) {
    double x = a->u.d, y = b->u.d;
    return kv_cel_double(fn == KV_CEL_F_ADD   ? x + y
                         : fn == KV_CEL_F_SUB ? x - y
                         : fn == KV_CEL_F_MUL ? x * y
                                              : x / y);
  }
  if (fn == KV_CEL_F_ADD && a->kind == b->kind &&
      (a->kind == KV_CEL_STRING || a->kind == KV_CEL_BYTES ||
       a->kind == KV_CEL_LIST))
    return concat(c, a, b);
  /* Time: timestamp +- duration, duration +- duration, ts - ts. */
  bool ta = a->kind == KV_CEL_TIMESTAMP, tb = b->kind == KV_CEL_TIMESTAMP;
  bool da = a->kind == KV_CEL_DURATION, db = b->kind == KV_CEL_DURATION;
  if (fn == KV_CEL_F_ADD && ((ta && db) || (da && tb) || (da && db)))
    return add_time(a->u.t.sec + b->u.t.sec,
                    (int64_t)a->u.t.nsec + b->u.t.nsec,
                    ta || tb ? KV_CEL_TIMESTAMP : KV_CEL_DURATION);
  if (fn == KV_CEL_F_SUB && ((ta && (db || tb)) || (da && db)))
    return add_time(a->u.t.sec - b->u.t.sec,
                    (int64_t)a->u.t.nsec - b->u.t.nsec,
                    ta && db ? KV_CEL_TIMESTAMP : KV_CEL_DURATION);
  return kv_cel_err(KV_CEL_NO_OVERLOAD);
}

static kv_cel_val_t negate(const kv_cel_val_t *a) {
  switch (a->kind) {
  case KV_CEL_INT:
    return a->u.i == INT64_MIN ? kv_cel_err("integer overflow")
                               : kv_cel_int(-a->u.i);
  case KV_CEL_DOUBLE:
    return kv_cel_double(-a->u.d);
  case KV_CEL_DURATION:
    return add_time(-a->u.t.sec, -(int64_t)a->u.t.nsec, KV_CEL_DURATION);
  default:
    return kv_cel_err(KV_CEL_NO_OVERLOAD);
  }
}

static kv_cel_val_t relation(ctx_t *c, kv_cel_fn_t fn, const kv_cel_val_t *a,
                             const kv_cel_val_t *b) {
  if (fn == KV_CEL_F_EQ || fn == KV_CEL_F_NE)
    return kv_cel_bool(kv_cel_equal(c->s, a, b) == (fn == KV_CEL_F_EQ));
  int r = kv_cel_compare(a, b);
  if (r == 3)
    return kv_cel_err(KV_CEL_NO_OVERLOAD);
  if (r == 2) /* NaN: every ordering is false */
    return kv_cel_bool(false);
  switch (fn) {
  case KV_CEL_F_LT: return kv_cel_bool(r < 0);
  case KV_CEL_F_LE: return kv_cel_bool(r <= 0);
  case KV_CEL_F_GT: return kv_cel_bool(r > 0);
  default: return kv_cel_bool(r >= 0);
  }
}

static kv_cel_val_t membership(ctx_t *c, const kv_cel_val_t *x,
                               const kv_cel_val_t *in) {
  kv_cel_val_t found;
  if (in->kind == KV_CEL_MAP)
    return kv_cel_bool(kv_cel_map_find(c->s, in, x, &found));
  if (in->kind != KV_CEL_LIST)
    return kv_cel_err(KV_CEL_NO_OVERLOAD);
  size_t n = kv_cel_list_size(in);
  for (size_t i = 0; i < n; i++) {
    kv_cel_val_t e = kv_cel_list_get(c->s, in, i);
    if (kv_cel_equal(c->s, &e, x))
      return kv_cel_bool(true);
  }
  return kv_cel_bool(false);
}

/* ---- selection and indexing ------------------------------------------ */

static kv_cel_val_t index_value(ctx_t *c, const kv_cel_val_t *a,
                                const kv_cel_val_t *k) {
  kv_cel_val_t out;
  if (a->kind == KV_CEL_LIST) {
    int64_t i;
    if (k->kind == KV_CEL_INT)
      i = k->u.i;
    else if (k->kind == KV_CEL_UINT)
      i = k->u.u > INT64_MAX ? -1 : (int64_t)k->u.u;
    else if (k->kind == KV_CEL_DOUBLE && k->u.d == trunc(k->u.d) &&
             fabs(k->u.d) < 9e18)
      i = (int64_t)k->u.d;
    else
      return kv_cel_err(KV_CEL_NO_OVERLOAD);
    if (i < 0 || (uint64_t)i >= kv_cel_list_size(a))
      return kv_cel_errf(c->s, "index out of range: %lld", (long long)i);
    return kv_cel_list_get(c->s, a, (size_t)i);
  }
  if (a->kind != KV_CEL_MAP)
    return kv_cel_err(KV_CEL_NO_OVERLOAD);
  if (!kv_cel_key_kind(k) && k->kind != KV_CEL_DOUBLE)
    return kv_cel_err("unsupported key type");
  if (kv_cel_map_find(c->s, a, k, &out))
    return out;
  if (k->kind == KV_CEL_STRING)
    return kv_cel_errf(c->s, "no such key: %.*s",
                       (int)(k->u.s.n > 100 ? 100 : k->u.s.n), k->u.s.p);
  return kv_cel_err("no such key");
}

static kv_cel_val_t select_field(ctx_t *c, const kv_cel_node_t *n,
                                 const kv_cel_val_t *a) {
  if (a->kind != KV_CEL_MAP)
    return kv_cel_errf(c->s, "type '%s' has no fields ('%s')",
                       kv_cel_type_name(a->kind), n->name);
  kv_cel_val_t key = kv_cel_str(KV_CEL_STRING, n->name, n->name_len), out;
  bool found = a->rep == KV_CEL_REP_RECORD
                   ? kv_cel_record_field(c->s, n, &a->u.avro, n->name, &out)
                   : kv_cel_map_find(c->s, a, &key, &out);
  if (n->test_only)
    return kv_cel_bool(found);
  return found ? out : kv_cel_errf(c->s, "no such key: %s", n->name);
}

/* ---- comprehensions -------------------------------------------------- */

/* The element or key @i of a comprehension's range. */
static kv_cel_val_t range_item(ctx_t *c, const kv_cel_val_t *r, size_t i) {
  return r->kind == KV_CEL_LIST ? kv_cel_list_get(c->s, r, i)
                                : kv_cel_map_key(c->s, r, i);
}

static kv_cel_val_t comprehension(ctx_t *c, const kv_cel_node_t *n) {
  kv_cel_val_t r = eval(c, n->args[0]);
  if (r.kind == KV_CEL_ERROR)
    return r;
  if (r.kind != KV_CEL_LIST && r.kind != KV_CEL_MAP)
    return kv_cel_err(KV_CEL_NO_OVERLOAD);
  size_t size = r.kind == KV_CEL_LIST ? kv_cel_list_size(&r)
                                      : kv_cel_map_size(&r);
  kv_cel_val_t *out = NULL, err = {.kind = KV_CEL_NULL};
  size_t nout = 0, count = 0;
  bool have_err = false;
  if (n->macro == KV_CEL_M_MAP || n->macro == KV_CEL_M_FILTER)
    if (!(out = alloc_vals(c, size)))
      return OOM;
  for (size_t i = 0; i < size; i++) {
    kv_cel_val_t item = range_item(c, &r, i);
    if (item.kind == KV_CEL_ERROR)
      return item;
    c->locals[n->slot] = item;
    if (n->macro == KV_CEL_M_MAP && n->nargs == 3) { /* the filter */
      kv_cel_val_t keep = eval(c, n->args[2]);
      if (keep.kind == KV_CEL_ERROR)
        return keep;
      if (keep.kind != KV_CEL_BOOL)
        return kv_cel_err(KV_CEL_NO_OVERLOAD);
      if (!keep.u.b)
        continue;
    }
    kv_cel_val_t v = eval(c, n->args[1]);
    if (n->macro == KV_CEL_M_MAP) {
      if (v.kind == KV_CEL_ERROR)
        return v;
      out[nout++] = v;
      continue;
    }
    if (v.kind != KV_CEL_BOOL && v.kind != KV_CEL_ERROR)
      v = kv_cel_err(KV_CEL_NO_OVERLOAD);
    switch (n->macro) {
    case KV_CEL_M_ALL:
    case KV_CEL_M_EXISTS: /* errors absorbed when an element decides */
      if (v.kind == KV_CEL_ERROR) {
        if (!have_err)
          err = v, have_err = true;
      } else if (v.u.b == (n->macro == KV_CEL_M_EXISTS)) {
        return kv_cel_bool(n->macro == KV_CEL_M_EXISTS);
      }
      break;
    case KV_CEL_M_EXISTS_ONE:
      if (v.kind == KV_CEL_ERROR)
        return v;
      count += v.u.b;
      break;
    default: /* filter */
      if (v.kind == KV_CEL_ERROR)
        return v;
      if (v.u.b)
        out[nout++] = item;
    }
  }
  if (have_err)
    return err;
  if (n->macro == KV_CEL_M_ALL || n->macro == KV_CEL_M_EXISTS)
    return kv_cel_bool(n->macro == KV_CEL_M_ALL);
  if (n->macro == KV_CEL_M_EXISTS_ONE)
    return kv_cel_bool(count == 1);
  kv_cel_val_t l = {.kind = KV_CEL_LIST, .rep = KV_CEL_REP_ARENA};
  l.u.list.v = out;
  l.u.list.n = nout;
  return l;
}

/* ---- literals -------------------------------------------------------- */

static kv_cel_val_t list_literal(ctx_t *c, const kv_cel_node_t *n) {
  kv_cel_val_t *v = alloc_vals(c, n->nargs);
  if (!v)
    return OOM;
  for (size_t i = 0; i < n->nargs; i++)
    if ((v[i] = eval(c, n->args[i])).kind == KV_CEL_ERROR)
      return v[i];
  kv_cel_val_t l = {.kind = KV_CEL_LIST, .rep = KV_CEL_REP_ARENA};
  l.u.list.v = v;
  l.u.list.n = n->nargs;
  return l;
}

static kv_cel_val_t map_literal(ctx_t *c, const kv_cel_node_t *n) {
  kv_cel_val_t *kv = alloc_vals(c, n->nargs);
  if (!kv)
    return OOM;
  kv_cel_val_t m = {.kind = KV_CEL_MAP, .rep = KV_CEL_REP_ARENA};
  m.u.map.kv = kv;
  for (size_t i = 0; i < n->nargs; i += 2) {
    kv_cel_val_t k = eval(c, n->args[i]), found;
    if (k.kind == KV_CEL_ERROR)
      return k;
    if (!kv_cel_key_kind(&k))
      return kv_cel_err("unsupported key type");
    if (kv_cel_map_find(c->s, &m, &k, &found))
      return kv_cel_err("Failed with repeated key");
    kv_cel_val_t v = eval(c, n->args[i + 1]);
    if (v.kind == KV_CEL_ERROR)
      return v;
    kv[i] = k;
    kv[i + 1] = v;
    m.u.map.n++;
  }
  return m;
}

/* ---- the walk -------------------------------------------------------- */

static kv_cel_val_t logic(ctx_t *c, const kv_cel_node_t *n) {
  bool decider = n->kind == KV_CEL_N_OR; /* the value that decides */
  kv_cel_val_t a = eval(c, n->args[0]);
  if (a.kind == KV_CEL_BOOL && a.u.b == decider)
    return a;
  kv_cel_val_t b = eval(c, n->args[1]);
  if (b.kind == KV_CEL_BOOL && b.u.b == decider)
    return b;
  if (a.kind != KV_CEL_BOOL)
    return a.kind == KV_CEL_ERROR ? a : kv_cel_err(KV_CEL_NO_OVERLOAD);
  if (b.kind != KV_CEL_BOOL)
    return b.kind == KV_CEL_ERROR ? b : kv_cel_err(KV_CEL_NO_OVERLOAD);
  return kv_cel_bool(!decider);
}

static kv_cel_val_t call(ctx_t *c, const kv_cel_node_t *n) {
  kv_cel_val_t args[2];
  kv_cel_val_t *a = n->nargs <= 2 ? args : alloc_vals(c, n->nargs);
  if (!a)
    return OOM;
  for (size_t i = 0; i < n->nargs; i++)
    if ((a[i] = eval(c, n->args[i])).kind == KV_CEL_ERROR)
      return a[i];
  switch (n->fn) {
  case KV_CEL_F_ADD:
  case KV_CEL_F_SUB:
  case KV_CEL_F_MUL:
  case KV_CEL_F_DIV:
  case KV_CEL_F_MOD:
    return arith(c, n->fn, &a[0], &a[1]);
  case KV_CEL_F_NEG:
    return negate(&a[0]);
  case KV_CEL_F_NOT:
    return a[0].kind == KV_CEL_BOOL ? kv_cel_bool(!a[0].u.b)
                                    : kv_cel_err(KV_CEL_NO_OVERLOAD);
  case KV_CEL_F_EQ:
  case KV_CEL_F_NE:
  case KV_CEL_F_LT:
  case KV_CEL_F_LE:
  case KV_CEL_F_GT:
  case KV_CEL_F_GE:
    return relation(c, n->fn, &a[0], &a[1]);
  case KV_CEL_F_IN:
    return membership(c, &a[0], &a[1]);
  default:
    return kv_cel_call(c->s, n, a, n->nargs);
  }
}

static kv_cel_val_t eval(ctx_t *c, const kv_cel_node_t *n) {
  kv_cel_val_t a, b;
  switch (n->kind) {
  case KV_CEL_N_CONST:
    return n->val;
  case KV_CEL_N_GLOBAL:
    return c->globals[n->slot];
  case KV_CEL_N_LOCAL:
    return c->locals[n->slot];
  case KV_CEL_N_SELECT:
    a = eval(c, n->args[0]);
    return a.kind == KV_CEL_ERROR ? a : select_field(c, n, &a);
  case KV_CEL_N_INDEX:
    a = eval(c, n->args[0]);
    if (a.kind == KV_CEL_ERROR)
      return a;
    b = eval(c, n->args[1]);
    return b.kind == KV_CEL_ERROR ? b : index_value(c, &a, &b);
  case KV_CEL_N_CALL:
    return call(c, n);
  case KV_CEL_N_LIST:
    return list_literal(c, n);
  case KV_CEL_N_MAP:
    return map_literal(c, n);
  case KV_CEL_N_AND:
  case KV_CEL_N_OR:
    return logic(c, n);
  case KV_CEL_N_COND:
    a = eval(c, n->args[0]);
    if (a.kind == KV_CEL_ERROR)
      return a;
    if (a.kind != KV_CEL_BOOL)
      return kv_cel_err(KV_CEL_NO_OVERLOAD);
    return eval(c, n->args[a.u.b ? 1 : 2]);
  default:
    return comprehension(c, n);
  }
}

/* ---- the API --------------------------------------------------------- */

static kv_cel_val_t bound(kv_cel_scratch_t *s, const kv_cel_binding_t *b,
                          const char *name) {
  kv_cel_val_t v = {.kind = KV_CEL_NULL};
  kv_cel_bind_kind_t kind = b ? b->kind : KV_CEL_BIND_NONE;
  /* A binding without its pointer is no binding. */
  if ((kind == KV_CEL_BIND_AVRO && !b->avro) ||
      (kind == KV_CEL_BIND_STRING && !b->str) ||
      (kind == KV_CEL_BIND_STRINGS && !b->strs && b->nstrs) ||
      (kind == KV_CEL_BIND_VALUE && !b->value))
    kind = KV_CEL_BIND_NONE;
  switch (kind) {
  case KV_CEL_BIND_AVRO:
    return kv_cel_from_avro(s, b->avro);
  case KV_CEL_BIND_STRING:
    if (!kv_cel_utf8_valid(b->str, strlen(b->str)))
      return kv_cel_err("string is not valid UTF-8");
    return kv_cel_str(KV_CEL_STRING, b->str, strlen(b->str));
  case KV_CEL_BIND_STRINGS:
    v.kind = KV_CEL_LIST;
    v.rep = KV_CEL_REP_CSTRS;
    v.u.strs.v = b->strs;
    v.u.strs.n = b->nstrs;
    return v;
  case KV_CEL_BIND_NULL:
    return v;
  case KV_CEL_BIND_TIMESTAMP:
    if (b->sec < KV_CEL_TS_MIN || b->sec > KV_CEL_TS_MAX || b->nsec < 0 ||
        b->nsec > 999999999)
      return kv_cel_err("timestamp out of range");
    return kv_cel_time(KV_CEL_TIMESTAMP, b->sec, b->nsec);
  case KV_CEL_BIND_VALUE:
    return *b->value;
  default:
    return kv_cel_errf(s, "no value bound to '%s'", name);
  }
}

kavro_err_t kv_cel_eval_value(const kv_cel_program_t *program,
                              kv_cel_scratch_t *scratch,
                              const kv_cel_binding_t *bindings,
                              kv_cel_val_t *out, kavro_error_t *error) {
  kv_error_clear(error);
  kv_cel_scratch_reset(scratch);
  ctx_t c = {.s = scratch};
  /* The variables, then the comprehensions' locals, in one piece. */
  kv_cel_val_t *globals =
      alloc_vals(&c, program->nvars + (size_t)program->nlocals);
  if (globals) {
    c.locals = globals + program->nvars;
    /* Only what the expression reads: an unread binding may be left
     * unset, and costs nothing. */
    for (size_t i = 0; i < program->nvars; i++)
      globals[i] = program->used >> (i < 64 ? i : 63) & 1
                       ? bound(scratch, bindings ? &bindings[i] : NULL,
                               program->vars[i])
                       : (kv_cel_val_t){.kind = KV_CEL_NULL};
    c.globals = globals;
  }
  if (!c.exhausted)
    *out = eval(&c, program->root);
  if (c.exhausted)
    return kv_error_set(error, KAVRO_ERR_LIMIT,
                        "CEL: the evaluation needs more than %u bytes",
                        KV_CEL_SCRATCH_MAX);
  return KAVRO_OK;
}

/* The result of an evaluation, an error value made a kavro error. */
static kavro_err_t evaluate(const kv_cel_program_t *program,
                            kv_cel_scratch_t *scratch,
                            const kv_cel_binding_t *bindings,
                            kv_cel_val_t *out, kavro_error_t *error) {
  kavro_err_t err =
      kv_cel_eval_value(program, scratch, bindings, out, error);
  if (err)
    return err;
  if (out->kind == KV_CEL_ERROR)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "CEL: %s",
                        out->u.err);
  return KAVRO_OK;
}

kavro_err_t kv_cel_eval_bool(const kv_cel_program_t *program,
                             kv_cel_scratch_t *scratch,
                             const kv_cel_binding_t *bindings, bool *result,
                             kavro_error_t *error) {
  kv_cel_val_t v;
  kavro_err_t err = evaluate(program, scratch, bindings, &v, error);
  if (err)
    return err;
  if (v.kind != KV_CEL_BOOL)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "CEL: the condition is of type %s, not bool",
                        kv_cel_type_name(v.kind));
  *result = v.u.b;
  return KAVRO_OK;
}

kavro_err_t kv_cel_eval_truth(const kv_cel_program_t *program,
                              kv_cel_scratch_t *scratch,
                              const kv_cel_binding_t *bindings,
                              kv_cel_truth_t *out, kavro_error_t *error) {
  kv_cel_val_t v;
  kavro_err_t err = evaluate(program, scratch, bindings, &v, error);
  if (err)
    return err;
  *out = v.kind != KV_CEL_BOOL ? KV_CEL_TRUTH_OTHER
         : v.u.b              ? KV_CEL_TRUTH_TRUE
                              : KV_CEL_TRUTH_FALSE;
  return KAVRO_OK;
}

kavro_err_t kv_cel_eval_to_avro(const kv_cel_program_t *program,
                                kv_cel_scratch_t *scratch,
                                const kv_cel_binding_t *bindings,
                                avro_value_t *dst, kavro_error_t *error) {
  kv_cel_val_t v;
  kavro_err_t err = evaluate(program, scratch, bindings, &v, error);
  return err ? err : kv_cel_to_avro(scratch, &v, dst, error);
}

kavro_err_t kv_cel_eval_to_message(const kv_cel_program_t *program,
                                   kv_cel_scratch_t *scratch,
                                   const kv_cel_binding_t *bindings,
                                   const struct kv_node_s *node,
                                   avro_value_t *message, avro_value_t *result,
                                   kavro_error_t *error) {
  kv_cel_val_t v;
  kavro_err_t err = evaluate(program, scratch, bindings, &v, error);
  if (err)
    return err;
  /* `message` itself: Java hands back the message it was given. */
  if (v.kind == KV_CEL_MAP && v.rep == KV_CEL_REP_RECORD &&
      v.u.avro.self == message->self)
    return KAVRO_OK;
  /* A value apart from @message, since the result may read it. */
  if (avro_value_reset(result) != 0)
    return kv_error_set(error, KAVRO_ERR_AVRO_C, "CEL: avro-c: %s",
                        avro_strerror());
  err = kv_cel_to_message(scratch, &v, node, result, error);
  if (err)
    return err;
  if (avro_value_copy_fast(message, result) != 0)
    return kv_error_set(error, KAVRO_ERR_AVRO_C, "CEL: avro-c: %s",
                        avro_strerror());
  return KAVRO_OK;
}
