/*
 * kavro - the CEL parser and compiler: cel-spec's grammar by recursive
 * descent into a syntax tree, then one pass that resolves every name
 * (comprehension variables, declared variables, type names, functions),
 * expands the macros and refuses what the engine does not implement, so
 * that evaluation never looks anything up by name.
 */
#include <stdlib.h>
#include <string.h>

#include "common_error_int.h"
#include "rules_cel_impl_int.h"

typedef struct parser_s {
  kv_cel_lexer_t lx;
  kv_cel_token_t tok;
  kavro_error_t *error;
  kavro_err_t err;
  const char *src;
  int depth;
} parser_t;

/* ---- nodes ----------------------------------------------------------- */

static void node_free(kv_cel_node_t *n) {
  if (!n)
    return;
  for (size_t i = 0; i < n->nargs; i++)
    node_free(n->args[i]);
  free(n->args);
  free((char *)n->name);
  if (n->kind == KV_CEL_N_CONST &&
      (n->val.kind == KV_CEL_STRING || n->val.kind == KV_CEL_BYTES))
    free((char *)n->val.u.s.p);
  if (n->re)
    pcre2_code_free(n->re);
  kv_cel_tz_free(n->tz);
  free(n);
}

static kv_cel_node_t *node_new(parser_t *ps, kv_cel_node_kind_t kind,
                               int pos) {
  kv_cel_node_t *n = calloc(1, sizeof *n);
  if (!n) {
    ps->err = kv_error_set(ps->error, KAVRO_ERR_NOMEM, "out of memory");
    return NULL;
  }
  n->kind = (uint8_t)kind;
  n->pos = pos;
  n->height = 1;
  return n;
}

/* Append @child to @n (consumed, freed on failure). */
static bool node_add(parser_t *ps, kv_cel_node_t *n, kv_cel_node_t *child) {
  if (!child)
    return false;
  kv_cel_node_t **args = realloc(n->args, (n->nargs + 1) * sizeof *args);
  if (!args) {
    node_free(child);
    ps->err = kv_error_set(ps->error, KAVRO_ERR_NOMEM, "out of memory");
    return false;
  }
  n->args = args;
  n->args[n->nargs++] = child;
  if (child->height + 1 > n->height)
    n->height = child->height + 1;
  if (n->height > KV_CEL_MAX_DEPTH) {
    ps->err = kv_cel_fail(ps->error, KAVRO_ERR_LIMIT, ps->src, n->pos,
                          "expression nested deeper than %d",
                          KV_CEL_MAX_DEPTH);
    return false;
  }
  return true;
}

static char *dup_text(parser_t *ps, const char *p, size_t n) {
  char *s = malloc(n + 1);
  if (!s) {
    ps->err = kv_error_set(ps->error, KAVRO_ERR_NOMEM, "out of memory");
    return NULL;
  }
  memcpy(s, p, n);
  s[n] = '\0';
  return s;
}

/* A call of operator @fn on @a and, unless NULL, @b (both consumed). */
static kv_cel_node_t *call2(parser_t *ps, kv_cel_fn_t fn, int pos,
                            kv_cel_node_t *a, kv_cel_node_t *b,
                            bool binary) {
  kv_cel_node_t *n = NULL;
  if (!a || (binary && !b) || !(n = node_new(ps, KV_CEL_N_CALL, pos))) {
    node_free(a);
    node_free(b);
    return NULL;
  }
  n->fn = (uint8_t)fn;
  if (!node_add(ps, n, a)) {
    node_free(b);
    node_free(n);
    return NULL;
  }
  if (b && !node_add(ps, n, b)) {
    node_free(n);
    return NULL;
  }
  return n;
}

/* ---- tokens ---------------------------------------------------------- */

static bool advance(parser_t *ps) {
  free(ps->tok.str);
  ps->tok.str = NULL;
  if (ps->err)
    return false;
  ps->err = kv_cel_lex(&ps->lx, &ps->tok);
  return ps->err == KAVRO_OK;
}

static bool is_punct(const parser_t *ps, const char *p) {
  size_t n = strlen(p);
  return ps->tok.kind == KV_CEL_T_PUNCT && ps->tok.len == n &&
         memcmp(ps->tok.text, p, n) == 0;
}

static bool is_word(const parser_t *ps, const char *w) {
  size_t n = strlen(w);
  return ps->tok.kind == KV_CEL_T_IDENT && ps->tok.len == n &&
         memcmp(ps->tok.text, w, n) == 0;
}

static bool fail(parser_t *ps, kavro_err_t code, int pos, const char *what) {
  if (!ps->err)
    ps->err = kv_cel_fail(ps->error, code, ps->src, pos, "%s", what);
  return false;
}

static bool expect(parser_t *ps, const char *p) {
  if (!is_punct(ps, p)) {
    char what[64];
    snprintf(what, sizeof what, "syntax error: expected '%s'", p);
    return fail(ps, KAVRO_ERR_INVALID_ARG, ps->tok.pos, what);
  }
  return advance(ps);
}

static bool reserved(const char *p, size_t n) {
  static const char *const words[] = {
      "as", "break", "const", "continue", "else", "for", "function", "if",
      "import", "let", "loop", "package", "namespace", "return", "var",
      "void", "while", "in", NULL};
  for (int i = 0; words[i]; i++)
    if (strlen(words[i]) == n && memcmp(words[i], p, n) == 0)
      return true;
  return false;
}

/* ---- grammar --------------------------------------------------------- */

static kv_cel_node_t *parse_expr(parser_t *ps);

/* Arguments up to @close into @n (a list literal's too). */
static bool parse_args(parser_t *ps, kv_cel_node_t *n, const char *close) {
  while (!is_punct(ps, close)) {
    if (is_punct(ps, "?"))
      return fail(ps, KAVRO_ERR_UNSUPPORTED, ps->tok.pos,
                  "optional elements ([?x], {?k: v}) are not supported");
    if (!node_add(ps, n, parse_expr(ps)))
      return false;
    if (!is_punct(ps, ","))
      break;
    if (!advance(ps))
      return false;
  }
  return expect(ps, close);
}

static kv_cel_node_t *parse_map(parser_t *ps, int pos) {
  kv_cel_node_t *n = node_new(ps, KV_CEL_N_MAP, pos);
  if (!n)
    return NULL;
  while (!is_punct(ps, "}")) {
    if (is_punct(ps, "?")) {
      fail(ps, KAVRO_ERR_UNSUPPORTED, ps->tok.pos,
           "optional entries ({?k: v}) are not supported");
      break;
    }
    if (!node_add(ps, n, parse_expr(ps)) || !expect(ps, ":") ||
        !node_add(ps, n, parse_expr(ps)))
      break;
    if (!is_punct(ps, ","))
      break;
    if (!advance(ps))
      break;
  }
  if (ps->err || !expect(ps, "}")) {
    node_free(n);
    return NULL;
  }
  return n;
}

static kv_cel_node_t *literal(parser_t *ps, bool negative) {
  kv_cel_token_t *t = &ps->tok;
  kv_cel_node_t *n = node_new(ps, KV_CEL_N_CONST, t->pos);
  if (!n)
    return NULL;
  switch (t->kind) {
  case KV_CEL_T_INT:
    if (t->u > (uint64_t)INT64_MAX + (negative ? 1 : 0)) {
      fail(ps, KAVRO_ERR_INVALID_ARG, t->pos, "integer literal out of range");
      node_free(n);
      return NULL;
    }
    n->val = kv_cel_int(negative ? (int64_t)(0 - t->u) : (int64_t)t->u);
    break;
  case KV_CEL_T_UINT:
    n->val = kv_cel_uint(t->u);
    break;
  case KV_CEL_T_DOUBLE:
    n->val = kv_cel_double(negative ? -t->d : t->d);
    break;
  default: /* string, bytes: the token's text becomes the node's */
    n->val = kv_cel_str(t->kind == KV_CEL_T_STRING ? KV_CEL_STRING
                                                   : KV_CEL_BYTES,
                        t->str, t->str_len);
    t->str = NULL;
    break;
  }
  if (!advance(ps)) {
    node_free(n);
    return NULL;
  }
  return n;
}

static kv_cel_node_t *parse_primary(parser_t *ps) {
  kv_cel_token_t *t = &ps->tok;
  int pos = t->pos;
  if (t->kind == KV_CEL_T_INT || t->kind == KV_CEL_T_UINT ||
      t->kind == KV_CEL_T_DOUBLE || t->kind == KV_CEL_T_STRING ||
      t->kind == KV_CEL_T_BYTES)
    return literal(ps, false);
  if (is_punct(ps, "(")) {
    if (!advance(ps))
      return NULL;
    kv_cel_node_t *e = parse_expr(ps);
    if (e && !expect(ps, ")")) {
      node_free(e);
      return NULL;
    }
    return e;
  }
  if (is_punct(ps, "[") || is_punct(ps, "{")) {
    bool list = is_punct(ps, "[");
    if (!advance(ps))
      return NULL;
    if (!list)
      return parse_map(ps, pos);
    kv_cel_node_t *n = node_new(ps, KV_CEL_N_LIST, pos);
    if (n && !parse_args(ps, n, "]")) {
      node_free(n);
      return NULL;
    }
    return n;
  }
  bool rooted = false;
  if (is_punct(ps, ".")) {
    rooted = true;
    if (!advance(ps))
      return NULL;
  }
  if (t->kind != KV_CEL_T_IDENT) {
    fail(ps, KAVRO_ERR_INVALID_ARG, t->pos, "syntax error: unexpected token");
    return NULL;
  }
  if (!rooted && (is_word(ps, "true") || is_word(ps, "false") ||
                  is_word(ps, "null"))) {
    kv_cel_node_t *n = node_new(ps, KV_CEL_N_CONST, pos);
    if (!n)
      return NULL;
    n->val = is_word(ps, "null") ? (kv_cel_val_t){.kind = KV_CEL_NULL}
                                 : kv_cel_bool(is_word(ps, "true"));
    if (!advance(ps)) {
      node_free(n);
      return NULL;
    }
    return n;
  }
  if (reserved(t->text, t->len) || is_word(ps, "true") ||
      is_word(ps, "false") || is_word(ps, "null")) {
    fail(ps, KAVRO_ERR_INVALID_ARG, t->pos,
         "syntax error: reserved word used as an identifier");
    return NULL;
  }
  kv_cel_node_t *n = node_new(ps, KV_CEL_N_GLOBAL, pos);
  if (!n)
    return NULL;
  n->slot = -1;
  n->name = rooted ? NULL : dup_text(ps, t->text, t->len);
  if (rooted) { /* keep the leading dot: names resolve from the root */
    char *s = malloc(t->len + 2);
    if (s) {
      s[0] = '.';
      memcpy(s + 1, t->text, t->len);
      s[t->len + 1] = '\0';
    }
    n->name = s;
  }
  n->name_len = n->name ? strlen(n->name) : 0;
  if (!n->name || !advance(ps)) {
    if (!ps->err)
      ps->err = kv_error_set(ps->error, KAVRO_ERR_NOMEM, "out of memory");
    node_free(n);
    return NULL;
  }
  if (is_punct(ps, "(")) { /* a global call */
    n->kind = KV_CEL_N_CALL;
    n->fn = 0xFF;
    if (!advance(ps) || !parse_args(ps, n, ")")) {
      node_free(n);
      return NULL;
    }
  }
  return n;
}

/* Whether @n is a name: an identifier or a selection of one. */
static bool is_name(const kv_cel_node_t *n) {
  while (n->kind == KV_CEL_N_SELECT)
    n = n->args[0];
  return n->kind == KV_CEL_N_GLOBAL && n->slot == -1;
}

static kv_cel_node_t *parse_member(parser_t *ps) {
  kv_cel_node_t *n = parse_primary(ps);
  while (n && !ps->err) {
    int pos = ps->tok.pos;
    if (is_punct(ps, ".")) {
      if (!advance(ps))
        break;
      if (is_punct(ps, "?"))
        return node_free(n),
               fail(ps, KAVRO_ERR_UNSUPPORTED, pos,
                    "optional field selection (a.?b) is not supported"),
               NULL;
      /* Reserved words are fine as field and method names. */
      if (ps->tok.kind != KV_CEL_T_IDENT) {
        fail(ps, KAVRO_ERR_INVALID_ARG, ps->tok.pos,
             "syntax error: expected a field or method name");
        break;
      }
      kv_cel_node_t *sel = node_new(ps, KV_CEL_N_SELECT, ps->tok.pos);
      if (!sel || !node_add(ps, sel, n)) {
        if (!sel)
          node_free(n);
        node_free(sel);
        return NULL;
      }
      n = sel;
      sel->name = dup_text(ps, ps->tok.text, ps->tok.len);
      sel->name_len = ps->tok.len;
      if (!sel->name || !advance(ps))
        break;
      if (is_punct(ps, "(")) { /* a method call: the receiver first */
        sel->kind = KV_CEL_N_CALL;
        sel->fn = 0xFF;
        sel->method = true;
        if (!advance(ps) || !parse_args(ps, sel, ")"))
          break;
      }
    } else if (is_punct(ps, "[")) {
      if (!advance(ps))
        break;
      if (is_punct(ps, "?"))
        return node_free(n),
               fail(ps, KAVRO_ERR_UNSUPPORTED, pos,
                    "optional indexing (a[?k]) is not supported"),
               NULL;
      kv_cel_node_t *idx = node_new(ps, KV_CEL_N_INDEX, pos);
      if (!idx || !node_add(ps, idx, n)) {
        if (!idx)
          node_free(n);
        node_free(idx);
        return NULL;
      }
      n = idx;
      if (!node_add(ps, idx, parse_expr(ps)) || !expect(ps, "]"))
        break;
    } else if (is_punct(ps, "{") && is_name(n)) {
      fail(ps, KAVRO_ERR_UNSUPPORTED, pos,
           "message construction (Type{field: value}) is not supported");
      break;
    } else {
      return n;
    }
  }
  node_free(n);
  return NULL;
}

static kv_cel_node_t *parse_unary(parser_t *ps) {
  int pos = ps->tok.pos;
  int nots = 0, minuses = 0;
  while (is_punct(ps, "!") && advance(ps))
    nots++;
  if (!nots)
    while (is_punct(ps, "-") && advance(ps))
      minuses++;
  if (ps->err)
    return NULL;
  kv_cel_node_t *n;
  if (minuses == 1 && (ps->tok.kind == KV_CEL_T_INT ||
                       ps->tok.kind == KV_CEL_T_DOUBLE)) {
    /* A signed literal (INT_LIT ::= -? DIGIT+): -9223372036854775808 is
     * an int, not the negation of one out of range. */
    n = literal(ps, true);
    minuses = 0;
    /* Postfix selections and indexes apply to the signed literal. */
    while (n && (is_punct(ps, ".") || is_punct(ps, "["))) {
      fail(ps, KAVRO_ERR_UNSUPPORTED, ps->tok.pos,
           "a member of a negative literal: write (-x).f");
      node_free(n);
      return NULL;
    }
  } else {
    n = parse_member(ps);
  }
  for (; n && nots > 0; nots--)
    n = call2(ps, KV_CEL_F_NOT, pos, n, NULL, false);
  for (; n && minuses > 0; minuses--)
    n = call2(ps, KV_CEL_F_NEG, pos, n, NULL, false);
  return n;
}

typedef struct binop_s {
  const char *tok;
  kv_cel_fn_t fn;
} binop_t;

/* One left-associative level of binary operators over @next. */
static kv_cel_node_t *binary_level(parser_t *ps, const binop_t *ops,
                                   kv_cel_node_t *(*next)(parser_t *)) {
  kv_cel_node_t *n = next(ps);
  while (n) {
    const binop_t *op = NULL;
    for (int i = 0; ops[i].tok; i++)
      if (is_punct(ps, ops[i].tok) ||
          (strcmp(ops[i].tok, "in") == 0 && is_word(ps, "in")))
        op = &ops[i];
    if (!op)
      return n;
    int pos = ps->tok.pos;
    if (!advance(ps)) {
      node_free(n);
      return NULL;
    }
    n = call2(ps, op->fn, pos, n, next(ps), true);
  }
  return NULL;
}

static kv_cel_node_t *parse_mul(parser_t *ps) {
  static const binop_t ops[] = {{"*", KV_CEL_F_MUL},
                                {"/", KV_CEL_F_DIV},
                                {"%", KV_CEL_F_MOD},
                                {NULL, 0}};
  return binary_level(ps, ops, parse_unary);
}

static kv_cel_node_t *parse_add(parser_t *ps) {
  static const binop_t ops[] = {
      {"+", KV_CEL_F_ADD}, {"-", KV_CEL_F_SUB}, {NULL, 0}};
  return binary_level(ps, ops, parse_mul);
}

static kv_cel_node_t *parse_rel(parser_t *ps) {
  static const binop_t ops[] = {
      {"<", KV_CEL_F_LT},  {"<=", KV_CEL_F_LE}, {">", KV_CEL_F_GT},
      {">=", KV_CEL_F_GE}, {"==", KV_CEL_F_EQ}, {"!=", KV_CEL_F_NE},
      {"in", KV_CEL_F_IN}, {NULL, 0}};
  return binary_level(ps, ops, parse_add);
}

/* && and || levels: nodes of their own (they absorb errors). */
static kv_cel_node_t *logic_level(parser_t *ps, const char *op,
                                  kv_cel_node_kind_t kind,
                                  kv_cel_node_t *(*next)(parser_t *)) {
  kv_cel_node_t *n = next(ps);
  while (n && is_punct(ps, op)) {
    kv_cel_node_t *l = node_new(ps, kind, ps->tok.pos);
    if (!l || !node_add(ps, l, n)) {
      if (!l)
        node_free(n);
      node_free(l);
      return NULL;
    }
    n = l;
    if (!advance(ps) || !node_add(ps, l, next(ps))) {
      node_free(l);
      return NULL;
    }
  }
  return n;
}

static kv_cel_node_t *parse_and(parser_t *ps) {
  return logic_level(ps, "&&", KV_CEL_N_AND, parse_rel);
}

static kv_cel_node_t *parse_or(parser_t *ps) {
  return logic_level(ps, "||", KV_CEL_N_OR, parse_and);
}

static kv_cel_node_t *parse_expr(parser_t *ps) {
  if (++ps->depth > KV_CEL_MAX_DEPTH) {
    fail(ps, KAVRO_ERR_LIMIT, ps->tok.pos, "expression nested too deeply");
    return NULL;
  }
  kv_cel_node_t *n = parse_or(ps);
  if (n && is_punct(ps, "?")) {
    kv_cel_node_t *c = node_new(ps, KV_CEL_N_COND, ps->tok.pos);
    if (!c || !node_add(ps, c, n)) {
      if (!c)
        node_free(n);
      node_free(c);
      ps->depth--;
      return NULL;
    }
    n = c;
    if (!advance(ps) || !node_add(ps, c, parse_or(ps)) || !expect(ps, ":") ||
        !node_add(ps, c, parse_expr(ps))) {
      node_free(c);
      n = NULL;
    }
  }
  ps->depth--;
  return n;
}

/* ---- resolution ------------------------------------------------------ */

typedef struct scope_s {
  const char *names[KV_CEL_MAX_DEPTH];
  int n, max;
  kv_cel_program_t *prog;
} scope_t;

typedef struct builtin_s {
  const char *name;
  kv_cel_fn_t fn;
  bool global, method;
  size_t min, max; /* arguments, a receiver counted */
} builtin_t;

static const builtin_t builtins[] = {
    {"size", KV_CEL_F_SIZE, true, true, 1, 1},
    {"int", KV_CEL_F_INT, true, false, 1, 1},
    {"uint", KV_CEL_F_UINT, true, false, 1, 1},
    {"double", KV_CEL_F_DOUBLE, true, false, 1, 1},
    {"string", KV_CEL_F_STRING, true, false, 1, 1},
    {"bytes", KV_CEL_F_BYTES, true, false, 1, 1},
    {"bool", KV_CEL_F_BOOL, true, false, 1, 1},
    {"type", KV_CEL_F_TYPE, true, false, 1, 1},
    {"dyn", KV_CEL_F_DYN, true, false, 1, 1},
    {"timestamp", KV_CEL_F_TIMESTAMP, true, false, 1, 1},
    {"duration", KV_CEL_F_DURATION, true, false, 1, 1},
    {"contains", KV_CEL_F_CONTAINS, false, true, 2, 2},
    {"startsWith", KV_CEL_F_STARTS, false, true, 2, 2},
    {"endsWith", KV_CEL_F_ENDS, false, true, 2, 2},
    {"matches", KV_CEL_F_MATCHES, true, true, 2, 2},
    {"charAt", KV_CEL_F_CHARAT, false, true, 2, 2},
    {"indexOf", KV_CEL_F_INDEXOF, false, true, 2, 3},
    {"lastIndexOf", KV_CEL_F_LASTINDEXOF, false, true, 2, 3},
    {"lowerAscii", KV_CEL_F_LOWERASCII, false, true, 1, 1},
    {"upperAscii", KV_CEL_F_UPPERASCII, false, true, 1, 1},
    {"replace", KV_CEL_F_REPLACE, false, true, 3, 4},
    {"split", KV_CEL_F_SPLIT, false, true, 2, 3},
    {"substring", KV_CEL_F_SUBSTRING, false, true, 2, 3},
    {"trim", KV_CEL_F_TRIM, false, true, 1, 1},
    {"join", KV_CEL_F_JOIN, false, true, 1, 2},
    {"reverse", KV_CEL_F_REVERSE, false, true, 1, 1},
    {"strings.quote", KV_CEL_F_QUOTE, true, false, 1, 1},
    {"format", KV_CEL_F_FORMAT, false, true, 2, 2},
    {"getFullYear", KV_CEL_F_FULLYEAR, false, true, 1, 2},
    {"getMonth", KV_CEL_F_MONTH, false, true, 1, 2},
    {"getDate", KV_CEL_F_DATE, false, true, 1, 2},
    {"getDayOfMonth", KV_CEL_F_DAYOFMONTH, false, true, 1, 2},
    {"getDayOfWeek", KV_CEL_F_DAYOFWEEK, false, true, 1, 2},
    {"getDayOfYear", KV_CEL_F_DAYOFYEAR, false, true, 1, 2},
    {"getHours", KV_CEL_F_HOURS, false, true, 1, 2},
    {"getMinutes", KV_CEL_F_MINUTES, false, true, 1, 2},
    {"getSeconds", KV_CEL_F_SECONDS, false, true, 1, 2},
    {"getMilliseconds", KV_CEL_F_MILLIS, false, true, 1, 2},
    {NULL, 0, false, false, 0, 0}};

static const struct {
  const char *name;
  kv_cel_kind_t type;
} type_names[] = {{"int", KV_CEL_INT},
                  {"uint", KV_CEL_UINT},
                  {"double", KV_CEL_DOUBLE},
                  {"bool", KV_CEL_BOOL},
                  {"string", KV_CEL_STRING},
                  {"bytes", KV_CEL_BYTES},
                  {"list", KV_CEL_LIST},
                  {"map", KV_CEL_MAP},
                  {"null_type", KV_CEL_NULL},
                  {"type", KV_CEL_TYPE},
                  {"google.protobuf.Timestamp", KV_CEL_TIMESTAMP},
                  {"google.protobuf.Duration", KV_CEL_DURATION},
                  {NULL, 0}};

static bool resolve(parser_t *ps, kv_cel_node_t **np, scope_t *sc);

/* The dotted name @n stands for, into @buf; false when it is none. */
static bool dotted(const kv_cel_node_t *n, char *buf, size_t size) {
  if (n->kind == KV_CEL_N_GLOBAL && n->slot == -1) {
    if (n->name_len >= size)
      return false;
    memcpy(buf, n->name, n->name_len + 1);
    return true;
  }
  if (n->kind != KV_CEL_N_SELECT || n->test_only ||
      !dotted(n->args[0], buf, size))
    return false;
  size_t len = strlen(buf);
  if (len + 1 + n->name_len >= size)
    return false;
  buf[len] = '.';
  memcpy(buf + len + 1, n->name, n->name_len + 1);
  return true;
}

static int find_var(const kv_cel_program_t *prog, const char *name) {
  if (name[0] == '.')
    name++;
  for (size_t i = 0; i < prog->nvars; i++)
    if (strcmp(prog->vars[i], name) == 0)
      return (int)i;
  return -1;
}

static int find_type(const char *name) {
  if (name[0] == '.')
    name++;
  for (int i = 0; type_names[i].name; i++)
    if (strcmp(type_names[i].name, name) == 0)
      return (int)type_names[i].type;
  return -1;
}

static bool is_local(const scope_t *sc, const char *name, int *slot) {
  if (name[0] == '.')
    return false;
  for (int i = sc->n - 1; i >= 0; i--)
    if (strcmp(sc->names[i], name) == 0) {
      *slot = i;
      return true;
    }
  return false;
}

/* Turn @n (a name) into a variable or a type constant when its dotted
 * name is one; true when it did. */
static bool resolve_name(kv_cel_node_t *n, const scope_t *sc) {
  char buf[256];
  int slot;
  if (!dotted(n, buf, sizeof buf))
    return false;
  char root[256];
  size_t r = strcspn(buf + (buf[0] == '.'), ".") + (buf[0] == '.');
  memcpy(root, buf, r);
  root[r] = '\0';
  if (n->kind == KV_CEL_N_SELECT && is_local(sc, root, &slot))
    return false; /* a comprehension variable's field */
  if (n->kind == KV_CEL_N_GLOBAL && is_local(sc, buf, &slot)) {
    n->kind = KV_CEL_N_LOCAL;
    n->slot = slot;
    return true;
  }
  int var = find_var(sc->prog, buf), type = var < 0 ? find_type(buf) : -1;
  if (var < 0 && type < 0)
    return false;
  for (size_t i = 0; i < n->nargs; i++)
    node_free(n->args[i]);
  free(n->args);
  n->args = NULL;
  n->nargs = 0;
  if (var >= 0) {
    n->kind = KV_CEL_N_GLOBAL;
    n->slot = var;
    sc->prog->used |= var < 64 ? UINT64_C(1) << var : ~UINT64_C(0);
  } else {
    n->kind = KV_CEL_N_CONST;
    n->val = kv_cel_type((kv_cel_kind_t)type);
  }
  return true;
}

static bool resolve_comprehension(parser_t *ps, kv_cel_node_t *n,
                                  kv_cel_macro_t macro, scope_t *sc) {
  kv_cel_node_t *var = n->args[1];
  if (var->kind != KV_CEL_N_GLOBAL || var->slot != -1 ||
      strchr(var->name, '.'))
    return fail(ps, KAVRO_ERR_INVALID_ARG, var->pos,
                "a macro's first argument must be a simple identifier");
  if (!resolve(ps, &n->args[0], sc))
    return false;
  if (sc->n >= KV_CEL_MAX_DEPTH)
    return fail(ps, KAVRO_ERR_LIMIT, n->pos, "too many nested macros");
  sc->names[sc->n++] = var->name;
  if (sc->n > sc->max)
    sc->max = sc->n;
  n->kind = KV_CEL_N_COMP;
  n->macro = (uint8_t)macro;
  n->slot = sc->n - 1;
  bool ok = true;
  for (size_t i = 2; i < n->nargs && ok; i++)
    ok = resolve(ps, &n->args[i], sc);
  sc->n--;
  if (!ok)
    return false;
  /* Drop the variable's node: args become range, body[, filter]. */
  node_free(var);
  memmove(n->args + 1, n->args + 2, (n->nargs - 2) * sizeof *n->args);
  n->nargs--;
  if (macro == KV_CEL_M_MAP && n->nargs == 3) { /* map(x, filter, f) */
    kv_cel_node_t *t = n->args[1];
    n->args[1] = n->args[2];
    n->args[2] = t;
  }
  return true;
}

static bool resolve_macro(parser_t *ps, kv_cel_node_t *n, scope_t *sc,
                          bool *done) {
  static const struct {
    const char *name;
    kv_cel_macro_t macro;
  } macros[] = {{"all", KV_CEL_M_ALL},
                {"exists", KV_CEL_M_EXISTS},
                {"exists_one", KV_CEL_M_EXISTS_ONE},
                {"map", KV_CEL_M_MAP},
                {"filter", KV_CEL_M_FILTER},
                {NULL, 0}};
  *done = false;
  if (!n->method && strcmp(n->name, "has") == 0 && n->nargs == 1) {
    kv_cel_node_t *sel = n->args[0];
    if (sel->kind != KV_CEL_N_SELECT)
      return fail(ps, KAVRO_ERR_INVALID_ARG, n->pos,
                  "has() takes a field selection (has(a.b))");
    *done = true;
    sel->test_only = true;
    free(n->args);
    free((char *)n->name);
    *n = *sel; /* the selection takes the call's place */
    free(sel);
    return resolve(ps, &n->args[0], sc);
  }
  if (!n->method)
    return true;
  for (int i = 0; macros[i].name; i++) {
    if (strcmp(n->name, macros[i].name) != 0)
      continue;
    size_t want = macros[i].macro == KV_CEL_M_MAP ? 4 : 3;
    if (n->nargs == 3 || n->nargs == want) {
      *done = true;
      return resolve_comprehension(ps, n, macros[i].macro, sc);
    }
    if (n->nargs == 4 || n->nargs == 5) {
      *done = true;
      return fail(ps, KAVRO_ERR_UNSUPPORTED, n->pos,
                  "two-variable comprehensions are not supported");
    }
  }
  return true;
}

/* Check a call's constant arguments: patterns, time zones. */
static bool check_constants(parser_t *ps, kv_cel_node_t *n) {
  kv_cel_node_t *last = n->args[n->nargs - 1];
  if (last->kind != KV_CEL_N_CONST || last->val.kind != KV_CEL_STRING)
    return true;
  if (n->fn == KV_CEL_F_MATCHES) {
    char why[160];
    char *buf = malloc(last->val.u.s.n * 12 + 1);
    if (!buf)
      return fail(ps, KAVRO_ERR_NOMEM, last->pos, "out of memory");
    n->re = kv_cel_regex_compile(last->val.u.s.p, last->val.u.s.n, NULL, buf,
                                 why, sizeof why);
    free(buf);
    if (!n->re)
      return fail(ps, KAVRO_ERR_UNSUPPORTED, last->pos, why);
    /* Machine code for a pattern matched on every message: several times
     * faster than PCRE2's interpreter.  Without JIT support it stays
     * interpreted, which is only slower. */
    size_t jit_size = 0;
    n->jit = pcre2_jit_compile(n->re, PCRE2_JIT_COMPLETE) == 0 &&
             pcre2_pattern_info(n->re, PCRE2_INFO_JITSIZE, &jit_size) == 0 &&
             jit_size > 0;
  } else if (n->fn >= KV_CEL_F_FULLYEAR && n->nargs == 2) {
    int64_t off;
    if (kv_cel_tz_fixed(last->val.u.s.p, last->val.u.s.n, &off))
      return true;
    /* A zone name: read once, here, never while evaluating. */
    if (!(n->tz = kv_cel_tz_load(last->val.u.s.p, last->val.u.s.n)))
      return fail(ps, KAVRO_ERR_UNSUPPORTED, last->pos,
                  "unknown time zone (neither an IANA zone of this "
                  "system's zoneinfo nor a fixed offset such as +05:30)");
  }
  return true;
}

/* A function of a namespace, strings.quote(x), parses as the method
 * quote() of an identifier `strings`: unless a variable of that name
 * exists, @n becomes the global call "strings.quote" of x. */
static bool qualify_call(parser_t *ps, kv_cel_node_t *n, const scope_t *sc) {
  static const char space[] = "strings";
  kv_cel_node_t *recv = n->method ? n->args[0] : NULL;
  int slot;
  if (!recv || recv->kind != KV_CEL_N_GLOBAL || recv->slot != -1 ||
      strcmp(recv->name, space) != 0 || find_var(sc->prog, space) >= 0 ||
      is_local(sc, space, &slot))
    return true;
  size_t len = sizeof space + n->name_len;
  char *name = malloc(len + 1);
  if (!name)
    return fail(ps, KAVRO_ERR_NOMEM, n->pos, "out of memory");
  snprintf(name, len + 1, "%s.%s", space, n->name);
  free((char *)n->name);
  n->name = name;
  n->name_len = len;
  node_free(recv);
  memmove(n->args, n->args + 1, --n->nargs * sizeof *n->args);
  n->method = false;
  return true;
}

static bool resolve_call(parser_t *ps, kv_cel_node_t *n, scope_t *sc) {
  bool done;
  if (!resolve_macro(ps, n, sc, &done) || done)
    return !ps->err;
  if (!qualify_call(ps, n, sc))
    return false;
  const builtin_t *b = NULL;
  bool known = false;
  for (int i = 0; builtins[i].name; i++) {
    if (strcmp(builtins[i].name, n->name) != 0)
      continue;
    known = true;
    if ((n->method ? builtins[i].method : builtins[i].global) &&
        n->nargs >= builtins[i].min && n->nargs <= builtins[i].max)
      b = &builtins[i];
  }
  if (!b) {
    char what[200];
    snprintf(what, sizeof what,
             known ? "no overload of %s%s with %zu argument(s)"
                   : "unsupported function %s%s (%zu argument(s))",
             n->method ? "." : "", n->name, n->nargs - (n->method ? 1 : 0));
    return fail(ps, KAVRO_ERR_UNSUPPORTED, n->pos, what);
  }
  n->fn = (uint8_t)b->fn;
  for (size_t i = 0; i < n->nargs; i++)
    if (!resolve(ps, &n->args[i], sc))
      return false;
  return check_constants(ps, n);
}

static bool resolve(parser_t *ps, kv_cel_node_t **np, scope_t *sc) {
  kv_cel_node_t *n = *np;
  if ((n->kind == KV_CEL_N_GLOBAL && n->slot == -1) ||
      n->kind == KV_CEL_N_SELECT) {
    if (resolve_name(n, sc))
      return true;
    if (n->kind == KV_CEL_N_GLOBAL) {
      char what[300];
      snprintf(what, sizeof what, "undeclared reference to '%s'", n->name);
      return fail(ps, KAVRO_ERR_INVALID_ARG, n->pos, what);
    }
  }
  if (n->kind == KV_CEL_N_CALL && n->fn == 0xFF)
    return resolve_call(ps, n, sc);
  for (size_t i = 0; i < n->nargs; i++)
    if (!resolve(ps, &n->args[i], sc))
      return false;
  return true;
}

/* ---- the API --------------------------------------------------------- */

void kv_cel_program_destroy(kv_cel_program_t *program) {
  if (!program)
    return;
  node_free(program->root);
  for (size_t i = 0; i < program->nvars; i++)
    free(program->vars[i]);
  free(program->vars);
  free(program);
}

int kv_cel_program_var(const kv_cel_program_t *program, const char *name) {
  return find_var(program, name);
}

bool kv_cel_program_uses(const kv_cel_program_t *program, int var) {
  return var >= 0 && (program->used >> (var < 64 ? var : 63) & 1);
}

kavro_err_t kv_cel_compile(const char *expr, const char *const *vars,
                           size_t nvars, kv_cel_program_t **program,
                           kavro_error_t *error) {
  if (!expr) {
    *program = NULL;
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "CEL: no expression");
  }
  return kv_cel_compile_len(expr, strlen(expr), vars, nvars, program, error);
}

kavro_err_t kv_cel_compile_len(const char *expr, size_t len,
                               const char *const *vars, size_t nvars,
                               kv_cel_program_t **program,
                               kavro_error_t *error) {
  kv_error_clear(error);
  *program = NULL;
  if (len > KV_CEL_MAX_EXPR)
    return kv_error_set(error, KAVRO_ERR_LIMIT,
                        "CEL: expression longer than %d bytes",
                        KV_CEL_MAX_EXPR);
  kv_cel_program_t *prog = calloc(1, sizeof *prog);
  if (!prog || !(prog->vars = calloc(nvars + 1, sizeof *prog->vars))) {
    free(prog);
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  for (size_t i = 0; i < nvars; i++, prog->nvars++)
    if (!(prog->vars[i] = strdup(vars[i]))) {
      kv_cel_program_destroy(prog);
      return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
    }
  parser_t ps = {.lx = {.src = expr, .len = len, .error = error},
                 .error = error,
                 .src = expr};
  scope_t sc = {.prog = prog};
  if (advance(&ps)) {
    prog->root = parse_expr(&ps);
    if (prog->root && ps.tok.kind != KV_CEL_T_EOF)
      fail(&ps, KAVRO_ERR_INVALID_ARG, ps.tok.pos,
           "syntax error: unexpected token after the expression");
  }
  if (!ps.err && prog->root)
    resolve(&ps, &prog->root, &sc);
  free(ps.tok.str);
  if (ps.err || !prog->root) {
    kv_cel_program_destroy(prog);
    return ps.err ? ps.err : KAVRO_ERR_INVALID_ARG;
  }
  prog->nlocals = sc.max;
  *program = prog;
  return KAVRO_OK;
}
