/*
 * kavro - listing the incompatibilities of a settled pair of schemas.
 *
 * The walk starts at the root pair and goes down into failed parts only,
 * the way Apache Avro's checker does, so kinds and locations follow its
 * conventions: "/fields/3/type", "/items", "/values", "/name", "/size",
 * "/symbols", and for a writer union read by a reader union, the writer
 * branch's index.  Each pair is reported once (a named type used twice, or
 * a recursive one, is not listed again), and the stack is explicit, so no
 * nesting or recursion in the schemas can exhaust the C stack.
 *
 * Locations are JSON pointers into the schema texts.  A named type reached
 * through a reference by name continues from its definition, so every
 * pointer leads to text a person can open.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat_int.h"
#include "common_error_int.h"

/* What a message says it is about. */
typedef struct kv_context_s {
  const kv_node_t *record;       /* reader record holding the field */
  const kv_field_t *field;       /* NULL at the top level */
  const char *part;              /* "items", "values" inside the field */
  const kv_node_t *writer_union; /* the writer is a branch of this union */
  size_t branch;
} kv_context_t;

typedef struct kv_frame_s {
  uint32_t pair;
  size_t cursor;       /* next field or branch to look at */
  size_t rpath, wpath; /* offsets of the paths in the arena */
  size_t mark;         /* arena length before this frame */
  kv_context_t ctx;
} kv_frame_t;

typedef struct kv_walker_s {
  kv_compat_graph_t *g;
  const kavro_schema_t *reader_schema, *writer_schema;
  const kv_wording_t *wording;
  char reader_noun[48], writer_noun[48], previous_noun[48];
  kavro_compat_result_t *result;
  kavro_error_t *error;
  kv_frame_t *frames;
  size_t depth, capacity;
  kv_strbuf_t arena;   /* the frames' paths, NUL-terminated, as a stack */
  kv_strbuf_t scratch; /* a path being built */
  kv_strbuf_t text;    /* a message being built */
  bool said;           /* the message has named said_about already */
  kv_context_t said_about;
} kv_walker_t;

/* Messages stay readable: long lists are cut. */
#define KV_LIST_MAX 8
#define KV_MESSAGE_SOFT_MAX 1024

static kavro_err_t nomem(kv_walker_t *w) {
  return kv_error_set(w->error, KAVRO_ERR_NOMEM,
                      "out of memory while listing incompatibilities");
}

static const char *arena_at(const kv_walker_t *w, size_t offset) {
  return w->arena.data + offset;
}

/* ---- describing types --------------------------------------------------- */

static void put_type(kv_strbuf_t *sb, const kv_node_t *n, bool detailed) {
  switch (n->type) {
  case KAVRO_RECORD:
  case KAVRO_ENUM:
  case KAVRO_FIXED:
    if (detailed)
      kv_strbuf_printf(sb, "%s ", kavro_type_name(n->type));
    kv_strbuf_puts(sb, n->fullname);
    return;
  case KAVRO_ARRAY:
  case KAVRO_MAP:
    kv_strbuf_puts(sb, kavro_type_name(n->type));
    if (detailed) {
      kv_strbuf_puts(sb, " of ");
      put_type(sb, n->items, false);
    }
    return;
  case KAVRO_UNION:
    kv_strbuf_puts(sb, "union");
    if (!detailed)
      return;
    kv_strbuf_puts(sb, " [");
    for (size_t i = 0; i < n->branch_count; i++) {
      if (i == KV_LIST_MAX) {
        kv_strbuf_printf(sb, ", and %zu more", n->branch_count - i);
        break;
      }
      kv_strbuf_puts(sb, i ? ", " : "");
      put_type(sb, n->branches[i], false);
    }
    kv_strbuf_putc(sb, ']');
    return;
  default:
    kv_strbuf_puts(sb, kavro_type_name(n->type));
    if (detailed && n->logical != KAVRO_LOGICAL_NONE)
      kv_strbuf_printf(sb, " (%s)", kv_logical_name(n->logical));
    return;
  }
}

/* The writer's type, and the union it is a branch of, if any. */
static void put_writer_type(kv_strbuf_t *sb, const kv_context_t *ctx,
                            const kv_node_t *n) {
  put_type(sb, n, true);
  if (ctx->writer_union) {
    kv_strbuf_printf(sb, " (branch %zu of ", ctx->branch);
    put_type(sb, ctx->writer_union, true);
    kv_strbuf_putc(sb, ')');
  }
}

/* What a message is about: a field (or its items or values), else the
 * top-level type.  Followed by ": " when @colon.  When the message goes on
 * about what it has named already, "it" (or nothing before a colon). */
static void put_subject(kv_walker_t *w, const kv_context_t *ctx, bool colon) {
  kv_strbuf_t *sb = &w->text;
  if (w->said && w->said_about.field == ctx->field &&
      w->said_about.part == ctx->part) {
    if (!colon)
      kv_strbuf_puts(sb, "it");
    return;
  }
  if (!ctx->field) {
    kv_strbuf_puts(sb, "the top-level type");
  } else {
    if (ctx->part)
      kv_strbuf_printf(sb, "the %s of ", ctx->part);
    kv_strbuf_printf(sb, "field `%s` of %s", ctx->field->name,
                     ctx->record->fullname);
  }
  if (colon)
    kv_strbuf_puts(sb, ": ");
}

/* ---- the message of each kind ----------------------------------------- */

static void say_type_mismatch(kv_walker_t *w, const kv_context_t *ctx,
                              const kv_node_t *r, const kv_node_t *wr) {
  kv_strbuf_t *sb = &w->text;
  put_subject(w, ctx, false);
  kv_strbuf_puts(sb, " is ");
  put_type(sb, r, true);
  kv_strbuf_printf(sb, " in %s but ", w->reader_noun);
  put_writer_type(sb, ctx, wr);
  kv_strbuf_printf(sb, " in %s, and ", w->writer_noun);
  put_type(sb, wr, false);
  kv_strbuf_puts(sb, " values cannot be read as ");
  put_type(sb, r, false);
}

static void say_name_mismatch(kv_walker_t *w, const kv_context_t *ctx,
                              const kv_node_t *r, const kv_node_t *wr) {
  kv_strbuf_t *sb = &w->text;
  put_subject(w, ctx, true);
  kv_strbuf_printf(sb,
                   "%s names the %s %s where %s names it %s; the names "
                   "must match, or %s must list %s among its aliases",
                   w->reader_noun, kavro_type_name(r->type), r->fullname,
                   w->writer_noun, wr->fullname, r->fullname, wr->fullname);
}

static void say_size_mismatch(kv_walker_t *w, const kv_context_t *ctx,
                              const kv_node_t *r, const kv_node_t *wr) {
  put_subject(w, ctx, true);
  kv_strbuf_printf(&w->text, "fixed %s is %zu bytes in %s but %zu in %s",
                   r->fullname, r->size, w->reader_noun, wr->size,
                   w->writer_noun);
}

static kavro_err_t say_missing_symbols(kv_walker_t *w, const kv_context_t *ctx,
                                       const kv_node_t *r, const kv_node_t *wr) {
  kv_strbuf_t list = KV_STRBUF_INIT;
  size_t missing;
  if (kv_compat_missing_symbols(w->g, r, wr, &missing, &list, KV_LIST_MAX) ||
      kv_strbuf_failed(&list)) {
    kv_strbuf_free(&list);
    return nomem(w);
  }
  kv_strbuf_t *sb = &w->text;
  put_subject(w, ctx, true);
  kv_strbuf_printf(sb, "enum %s in %s lacks the symbol%s %s", r->fullname,
                   w->reader_noun, missing == 1 ? "" : "s",
                   list.data ? list.data : "");
  kv_strbuf_free(&list);
  if (missing > KV_LIST_MAX)
    kv_strbuf_printf(sb, " and %zu more", missing - KV_LIST_MAX);
  kv_strbuf_printf(sb, " that %s may write, and no default symbol to read "
                   "%s as", w->writer_noun, missing == 1 ? "it" : "them");
  return KAVRO_OK;
}

static void say_missing_default(kv_walker_t *w, const kv_node_t *record,
                                const kv_field_t *rf) {
  static const char renamed[] =
      " (a renamed field needs its old name among its aliases)";
  switch (w->wording->voice) {
  case KV_VOICE_CANDIDATE_READS:
    kv_strbuf_printf(&w->text, "field `%s` was added to %s without a default%s",
                     rf->name, record->fullname, renamed);
    break;
  case KV_VOICE_PREVIOUS_READS:
    kv_strbuf_printf(&w->text,
                     "field `%s` of %s has no default in %s, and this schema "
                     "no longer has it%s",
                     rf->name, record->fullname, w->previous_noun, renamed);
    break;
  case KV_VOICE_PAIR:
    kv_strbuf_printf(&w->text,
                     "field `%s` of %s has no default in the reader, and the "
                     "writer has no field of that name or of one of its aliases",
                     rf->name, record->fullname);
    break;
  }
}

static void say_no_branch(kv_walker_t *w, const kv_context_t *ctx,
                          const kv_node_t *r, const kv_node_t *wr) {
  kv_strbuf_t *sb = &w->text;
  put_subject(w, ctx, true);
  if (r->branch_count == 0) {
    kv_strbuf_printf(sb, "%s has an empty union, which cannot read %s's ",
                     w->reader_noun, w->writer_noun);
  } else {
    kv_strbuf_puts(sb, "no branch of ");
    kv_strbuf_printf(sb, "%s's ", w->reader_noun);
    put_type(sb, r, true);
    kv_strbuf_printf(sb, " can read %s's ", w->writer_noun);
  }
  put_writer_type(sb, ctx, wr);
}

/* The end of every message of a level check: who cannot read what. */
static void say_consequence(kv_walker_t *w) {
  switch (w->wording->voice) {
  case KV_VOICE_CANDIDATE_READS:
    if (w->wording->previous_is_latest)
      kv_strbuf_puts(&w->text, "; consumers using this schema cannot read "
                               "events written before it");
    else
      kv_strbuf_printf(&w->text, "; consumers using this schema cannot read "
                       "events written with %s", w->previous_noun);
    break;
  case KV_VOICE_PREVIOUS_READS:
    kv_strbuf_printf(&w->text, "; consumers still using %s cannot read events "
                     "written with this schema", w->previous_noun);
    break;
  case KV_VOICE_PAIR:
    break;
  }
}

/* ---- explaining a failed pair in one sentence --------------------------- */

/* The branch of reader union @r meant to read writer type @wr, the way a
 * person would see it: the first of the same type with a matching name,
 * else the first of the same type; -1 when there is none. */
static long nearest_branch(const kv_node_t *r, const kv_node_t *wr) {
  long same_type = -1;
  for (size_t i = 0; i < r->branch_count; i++) {
    const kv_node_t *b = r->branches[i];
    if (b->type != wr->type)
      continue;
    if (!kv_type_is_named(b->type) || kv_compat_names_match(b, wr))
      return (long)i;
    if (same_type < 0)
      same_type = (long)i;
  }
  return same_type;
}

/* The part of reader union pair @p that reads with reader branch @branch;
 * false when that branch could not read the writer at all. */
static bool branch_part(const kv_compat_graph_t *g, const kv_pair_t *p,
                        const kv_node_t *branch, uint32_t *index) {
  for (uint32_t k = 0; k < p->child_count; k++) {
    uint32_t c = g->edges[p->first_child + k];
    if (g->pairs[c].reader == branch) {
      *index = c;
      return true;
    }
  }
  return false;
}

/* The first reader field of record pair @p with no writer field and no
 * default. */
static const kv_field_t *first_unfilled_field(const kv_pair_t *p) {
  for (size_t f = 0; f < p->reader->field_count; f++) {
    const kv_field_t *rf = &p->reader->fields[f];
    if (!rf->default_value && !kv_compat_writer_field(p->writer, rf))
      return rf;
  }
  return NULL;
}

/* The reader field behind child @k of record pair @p (children are the
 * fields the writer fills, in reader order). */
static const kv_field_t *field_of_child(const kv_pair_t *p, uint32_t k) {
  for (size_t f = 0; f < p->reader->field_count; f++) {
    const kv_field_t *rf = &p->reader->fields[f];
    if (kv_compat_writer_field(p->writer, rf) && k-- == 0)
      return rf;
  }
  return NULL;
}

/* Say what is wrong with pair @index itself (it has local problems). */
static kavro_err_t say_local(kv_walker_t *w, uint32_t index,
                             const kv_context_t *ctx) {
  const kv_pair_t *p = &w->g->pairs[index];
  if (p->local & KV_LOCAL_NAME)
    say_name_mismatch(w, ctx, p->reader, p->writer);
  else if (p->local & KV_LOCAL_TYPE)
    say_type_mismatch(w, ctx, p->reader, p->writer);
  else if (p->local & KV_LOCAL_SIZE)
    say_size_mismatch(w, ctx, p->reader, p->writer);
  else if (p->local & KV_LOCAL_SYMBOLS)
    return say_missing_symbols(w, ctx, p->reader, p->writer);
  else if (p->local & KV_LOCAL_FIELDS)
    say_missing_default(w, p->reader, first_unfilled_field(p));
  else
    say_no_branch(w, ctx, p->reader, p->writer);
  return KAVRO_OK;
}

/* The failed part of pair @p that failed first.  Parts fail before what
 * needs them, so following this always ends at a local problem. */
static bool first_failed_child(const kv_compat_graph_t *g, const kv_pair_t *p,
                               uint32_t *child, uint32_t *k_out) {
  uint32_t best_order = 0;
  for (uint32_t k = 0; k < p->child_count; k++) {
    uint32_t c = g->edges[p->first_child + k];
    uint32_t order = g->pairs[c].failed;
    if (order && (best_order == 0 || order < best_order)) {
      best_order = order;
      *child = c;
      *k_out = k;
    }
  }
  return best_order != 0;
}

/*
 * Explain in words why failed pair @index fails: a reader union names the
 * branch that came nearest and goes on with it; other pairs follow the part
 * that failed first down to a problem of its own.
 */
static kavro_err_t say_failure(kv_walker_t *w, uint32_t index,
                               kv_context_t ctx) {
  for (;;) {
    const kv_pair_t *p = &w->g->pairs[index];
    if (p->kind == KV_PAIR_READER_UNION) {
      say_no_branch(w, &ctx, p->reader, p->writer);
      long b = nearest_branch(p->reader, p->writer);
      if (b < 0 || w->text.length > KV_MESSAGE_SOFT_MAX)
        return KAVRO_OK;
      kv_strbuf_puts(&w->text, "; the nearest branch, ");
      put_type(&w->text, p->reader->branches[b], true);
      kv_strbuf_puts(&w->text, ", fails because ");
      w->said = true;
      w->said_about = ctx;
      const kv_node_t *branch = p->reader->branches[b];
      if (!branch_part(w->g, p, branch, &index)) {
        /* Not a part: the branch has another name. */
        say_name_mismatch(w, &ctx, branch, p->writer);
        return KAVRO_OK;
      }
      continue;
    }
    if (p->local)
      return say_local(w, index, &ctx);
    uint32_t child, k;
    if (!first_failed_child(w->g, p, &child, &k))
      return KAVRO_OK; /* cannot happen: a failed pair has a failed part */
    if (p->kind == KV_PAIR_RECORD) {
      ctx = (kv_context_t){p->reader, field_of_child(p, k), NULL, NULL, 0};
    } else if (p->kind == KV_PAIR_WRITER_UNION) {
      ctx.writer_union = p->writer;
      ctx.branch = k;
    } else {
      ctx.part = p->kind == KV_PAIR_ARRAY ? "items" : "values";
      ctx.writer_union = NULL;
    }
    index = child;
  }
}

/* ---- findings ------------------------------------------------------------ */

static char *join_location(const char *path, const char *suffix) {
  size_t a = strlen(path), b = strlen(suffix);
  if (a + b == 0)
    return strdup("/");
  char *s = malloc(a + b + 1);
  if (s) {
    memcpy(s, path, a);
    memcpy(s + a, suffix, b + 1);
  }
  return s;
}

/* Add a finding whose message is in w->text, and clear the text. */
static kavro_err_t emit(kv_walker_t *w, kavro_incompat_kind_t kind,
                        const char *rpath, const char *rsuffix,
                        const char *wpath, const char *wsuffix) {
  say_consequence(w);
  if (kv_strbuf_failed(&w->text))
    return nomem(w);
  char *rloc = join_location(rpath, rsuffix);
  char *wloc = join_location(wpath, wsuffix);
  char *message = strdup(w->text.data ? w->text.data : "");
  w->text.length = 0;
  w->said = false;
  if (kv_compat_result_add(w->result, kind, rloc, wloc, message, w->wording))
    return nomem(w);
  return KAVRO_OK;
}

/* Report a reader union that reads no branch of the writer, unless one of
 * its branches paired with the writer is being reported above it: then the
 * union fails only because that recursive pair does, which is listed
 * already (a renamed recursive record fails once, at its name). */
static kavro_err_t report_union(kv_walker_t *w, uint32_t index,
                                const char *rpath, const char *rsuffix,
                                const char *wpath, const char *wsuffix,
                                const kv_context_t *ctx) {
  const kv_node_t *r = w->g->pairs[index].reader;
  const kv_node_t *wr = w->g->pairs[index].writer;
  for (size_t b = 0; b < r->branch_count; b++) {
    uint32_t above;
    if (kv_compat_find(w->g, r->branches[b], wr, &above) &&
        w->g->pairs[above].walk == 1)
      return KAVRO_OK;
  }
  kavro_err_t err = say_failure(w, index, *ctx);
  return err ? err : emit(w, KAVRO_INCOMPAT_MISSING_UNION_BRANCH, rpath,
                          rsuffix, wpath, wsuffix);
}

/* The problems of a pair itself, reported when the walk reaches it. */
static kavro_err_t report_local(kv_walker_t *w, const kv_frame_t *f) {
  const kv_pair_t *p = &w->g->pairs[f->pair];
  const char *rpath = arena_at(w, f->rpath), *wpath = arena_at(w, f->wpath);
  const kv_node_t *r = p->reader, *wr = p->writer;
  kavro_err_t err = KAVRO_OK;
  if (p->kind == KV_PAIR_READER_UNION)
    return report_union(w, f->pair, rpath, "", wpath, "", &f->ctx);
  if (p->local & KV_LOCAL_TYPE) {
    say_type_mismatch(w, &f->ctx, r, wr);
    err = emit(w, KAVRO_INCOMPAT_TYPE_MISMATCH, rpath, "", wpath, "");
  }
  if (!err && (p->local & KV_LOCAL_NAME)) {
    say_name_mismatch(w, &f->ctx, r, wr);
    err = emit(w, KAVRO_INCOMPAT_NAME_MISMATCH, rpath, "/name", wpath, "/name");
  }
  if (!err && (p->local & KV_LOCAL_SIZE)) {
    say_size_mismatch(w, &f->ctx, r, wr);
    err = emit(w, KAVRO_INCOMPAT_FIXED_SIZE_MISMATCH, rpath, "/size", wpath,
               "/size");
  }
  if (!err && (p->local & KV_LOCAL_SYMBOLS)) {
    err = say_missing_symbols(w, &f->ctx, r, wr);
    if (!err)
      err = emit(w, KAVRO_INCOMPAT_MISSING_ENUM_SYMBOLS, rpath, "/symbols",
                 wpath, "/symbols");
  }
  return err;
}

/* ---- the walk ------------------------------------------------------------ */

/* The path of @node in @schema: its definition when @schema defines it (a
 * reference by name continues there), else @base followed by @suffix. */
static void build_path(kv_walker_t *w, const kavro_schema_t *schema,
                       const kv_node_t *node, size_t base, const char *suffix) {
  w->scratch.length = 0;
  if (kv_type_is_named(node->type) && node->owner == schema && node->path) {
    kv_strbuf_puts(&w->scratch, node->path);
  } else {
    kv_strbuf_puts(&w->scratch, arena_at(w, base));
    kv_strbuf_puts(&w->scratch, suffix);
  }
}

/* Copy the path in the scratch buffer, with its NUL, onto the arena. */
static size_t arena_push_scratch(kv_walker_t *w) {
  size_t offset = w->arena.length;
  if (kv_strbuf_failed(&w->scratch))
    w->arena.failed = true;
  else
    kv_strbuf_append(&w->arena, w->scratch.data, w->scratch.length + 1);
  return offset;
}

/* Go down into failed pair @index and report its own problems. */
static kavro_err_t push(kv_walker_t *w, uint32_t index, size_t rbase,
                        const char *rsuffix, size_t wbase, const char *wsuffix,
                        const kv_context_t *ctx) {
  if (w->depth == w->capacity) {
    size_t cap = w->capacity ? w->capacity * 2 : 32;
    kv_frame_t *frames = realloc(w->frames, cap * sizeof(*frames));
    if (!frames)
      return nomem(w);
    w->frames = frames;
    w->capacity = cap;
  }
  const kv_pair_t *p = &w->g->pairs[index];
  kv_frame_t *f = &w->frames[w->depth];
  f->pair = index;
  f->cursor = 0;
  f->mark = w->arena.length;
  f->ctx = *ctx;
  build_path(w, w->reader_schema, p->reader, rbase, rsuffix);
  f->rpath = arena_push_scratch(w);
  build_path(w, w->writer_schema, p->writer, wbase, wsuffix);
  f->wpath = arena_push_scratch(w);
  if (kv_strbuf_failed(&w->arena) || kv_strbuf_failed(&w->scratch))
    return nomem(w);
  w->depth++;
  w->g->pairs[index].walk = 1;
  return report_local(w, f);
}

static void pop(kv_walker_t *w) {
  kv_frame_t *f = &w->frames[--w->depth];
  w->g->pairs[f->pair].walk = 2;
  w->arena.length = f->mark;
  w->arena.data[f->mark] = '\0';
}

/* The part pair (@reader, @writer), settled; *@go says whether the walk
 * should go down into it (it failed and is not reported yet). */
static kavro_err_t part(kv_walker_t *w, const kv_node_t *reader,
                        const kv_node_t *writer, uint32_t *index, bool *go) {
  kavro_err_t err = kv_compat_settle(w->g, reader, writer, index, w->error);
  *go = !err && w->g->pairs[*index].failed && w->g->pairs[*index].walk == 0;
  return err;
}

static kavro_err_t step_record(kv_walker_t *w) {
  kv_frame_t *f = &w->frames[w->depth - 1];
  const kv_node_t *r = w->g->pairs[f->pair].reader;
  const kv_node_t *wr = w->g->pairs[f->pair].writer;
  char rsuffix[48], wsuffix[48];
  for (; f->cursor < r->field_count; f->cursor++) {
    const kv_field_t *rf = &r->fields[f->cursor];
    const kv_field_t *wf = kv_compat_writer_field(wr, rf);
    if (!wf) {
      if (rf->default_value)
        continue;
      say_missing_default(w, r, rf);
      snprintf(rsuffix, sizeof(rsuffix), "/fields/%zu", rf->index);
      kavro_err_t err = emit(w, KAVRO_INCOMPAT_READER_FIELD_MISSING_DEFAULT_VALUE,
                             arena_at(w, f->rpath), rsuffix,
                             arena_at(w, f->wpath), "");
      if (err)
        return err;
      continue;
    }
    uint32_t c;
    bool go;
    kavro_err_t err = part(w, rf->type, wf->type, &c, &go);
    if (err)
      return err;
    if (!go)
      continue;
    f->cursor++;
    snprintf(rsuffix, sizeof(rsuffix), "/fields/%zu/type", rf->index);
    snprintf(wsuffix, sizeof(wsuffix), "/fields/%zu/type", wf->index);
    kv_context_t ctx = {r, rf, NULL, NULL, 0};
    return push(w, c, f->rpath, rsuffix, f->wpath, wsuffix, &ctx);
  }
  pop(w);
  return KAVRO_OK;
}

static kavro_err_t step_collection(kv_walker_t *w) {
  kv_frame_t *f = &w->frames[w->depth - 1];
  if (f->cursor++ > 0) {
    pop(w);
    return KAVRO_OK;
  }
  const kv_pair_t *p = &w->g->pairs[f->pair];
  bool array = p->kind == KV_PAIR_ARRAY;
  const kv_node_t *r = p->reader->items, *wr = p->writer->items;
  uint32_t c;
  bool go;
  kavro_err_t err = part(w, r, wr, &c, &go);
  if (err || !go)
    return err;
  kv_context_t ctx = f->ctx;
  ctx.part = array ? "items" : "values";
  ctx.writer_union = NULL;
  const char *suffix = array ? "/items" : "/values";
  return push(w, c, f->rpath, suffix, f->wpath, suffix, &ctx);
}

/* Every writer branch must be readable.  A reader union facing a branch is
 * reported at the branch's index (Avro's convention); any other reader goes
 * down into the pair with the writer's branch. */
static kavro_err_t step_writer_union(kv_walker_t *w) {
  kv_frame_t *f = &w->frames[w->depth - 1];
  const kv_node_t *r = w->g->pairs[f->pair].reader;
  const kv_node_t *wr = w->g->pairs[f->pair].writer;
  char suffix[32];
  for (; f->cursor < wr->branch_count; f->cursor++) {
    uint32_t c;
    bool go;
    kavro_err_t err = part(w, r, wr->branches[f->cursor], &c, &go);
    if (err)
      return err;
    if (!go)
      continue;
    kv_context_t ctx = f->ctx;
    ctx.writer_union = wr;
    ctx.branch = f->cursor;
    snprintf(suffix, sizeof(suffix), "/%zu", f->cursor);
    if (w->g->pairs[c].kind == KV_PAIR_READER_UNION) {
      err = report_union(w, c, arena_at(w, f->rpath), suffix,
                         arena_at(w, f->wpath), suffix, &ctx);
      w->g->pairs[c].walk = 2;
      if (err)
        return err;
      continue;
    }
    f->cursor++;
    return push(w, c, f->rpath, "", f->wpath, suffix, &ctx);
  }
  pop(w);
  return KAVRO_OK;
}

static kavro_err_t step(kv_walker_t *w) {
  switch ((kv_pair_kind_t)w->g->pairs[w->frames[w->depth - 1].pair].kind) {
  case KV_PAIR_RECORD:
    return step_record(w);
  case KV_PAIR_ARRAY:
  case KV_PAIR_MAP:
    return step_collection(w);
  case KV_PAIR_WRITER_UNION:
    return step_writer_union(w);
  default:
    pop(w);
    return KAVRO_OK;
  }
}

static void name_parties(kv_walker_t *w) {
  const kv_wording_t *wd = w->wording;
  if (wd->previous_is_latest)
    snprintf(w->previous_noun, sizeof(w->previous_noun), "the latest schema");
  else
    snprintf(w->previous_noun, sizeof(w->previous_noun), "previous schema %zu",
             wd->previous_index + 1);
  const char *reader = "the reader", *writer = "the writer";
  if (wd->voice == KV_VOICE_CANDIDATE_READS) {
    reader = "this schema";
    writer = w->previous_noun;
  } else if (wd->voice == KV_VOICE_PREVIOUS_READS) {
    reader = w->previous_noun;
    writer = "this schema";
  }
  snprintf(w->reader_noun, sizeof(w->reader_noun), "%s", reader);
  snprintf(w->writer_noun, sizeof(w->writer_noun), "%s", writer);
}

kavro_err_t kv_compat_collect(kv_compat_graph_t *g,
                              const kavro_schema_t *reader,
                              const kavro_schema_t *writer,
                              const kv_wording_t *wording,
                              kavro_compat_result_t *result,
                              kavro_error_t *error) {
  kv_compat_graph_reset(g);
  uint32_t root;
  kavro_err_t err = kv_compat_graph_reserve(g, reader->node_count + 1, error);
  if (!err)
    err = kv_compat_settle(g, kv_schema_root(reader), kv_schema_root(writer),
                           &root, error);
  if (err || !g->pairs[root].failed)
    return err;
  kv_walker_t w = {.g = g, .reader_schema = reader, .writer_schema = writer,
                   .wording = wording, .result = result, .error = error,
                   .arena = KV_STRBUF_INIT, .scratch = KV_STRBUF_INIT,
                   .text = KV_STRBUF_INIT};
  name_parties(&w);
  /* Offset 0 of the arena is the empty path both roots extend. */
  kv_strbuf_putc(&w.arena, '\0');
  kv_context_t top = {NULL, NULL, NULL, NULL, 0};
  err = push(&w, root, 0, "", 0, "", &top);
  while (!err && w.depth > 0)
    err = step(&w);
  free(w.frames);
  kv_strbuf_free(&w.arena);
  kv_strbuf_free(&w.scratch);
  kv_strbuf_free(&w.text);
  return err;
}
