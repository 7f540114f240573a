/*
 * kavro - the compatibility graph: pairs (reader node, writer node), what
 * each one depends on, and the verdicts (see compat_int.h for the model).
 *
 * Settling happens in rounds.  A round starts from one new pair, creates
 * every pair reachable from it (new pairs are appended, so walking the array
 * from the round's first pair is a breadth-first search without a queue),
 * then fails the pairs with a local problem and propagates: a pair that
 * needs all its parts fails with the first failing part, a reader union
 * fails when its last branch fails.  What never fails is compatible.  Pairs
 * of earlier rounds are final, so a later round (the report walk asking for
 * a pair the verdict did not need) only reads them.
 */
#include <stdlib.h>
#include <string.h>

#include "compat_int.h"
#include "common_error_int.h"

/* The symbol set of one reader enum (see kv_compat_graph_t). */
typedef struct kv_symbol_set_s {
  const kv_node_t *node; /* the reader enum, NULL for an empty slot */
  size_t offset;         /* its hash set: symbols[offset .. + slot_count) */
  size_t slot_count;     /* power of two */
} kv_symbol_set_t;

void kv_compat_graph_init(kv_compat_graph_t *g) {
  memset(g, 0, sizeof(*g));
  g->max_pairs = KV_COMPAT_MAX_PAIRS;
  g->max_edges = KV_COMPAT_MAX_EDGES;
  g->max_work = KV_COMPAT_MAX_WORK;
}

void kv_compat_graph_reset(kv_compat_graph_t *g) {
  g->pair_count = 0;
  g->edge_count = 0;
  g->link_count = 0;
  g->failures = 0;
  g->work = 0;
  g->round_first = 0;
  g->symbol_count = 0;
  g->set_count = 0;
  if (g->slots)
    memset(g->slots, 0, g->slot_count * sizeof(*g->slots));
  if (g->sets)
    memset(g->sets, 0, g->set_slot_count * sizeof(*g->sets));
}

void kv_compat_graph_free(kv_compat_graph_t *g) {
  free(g->pairs);
  free(g->edges);
  free(g->links);
  free(g->slots);
  free(g->queue);
  free(g->symbols);
  free(g->sets);
  kv_compat_graph_init(g);
}

/* Make room for @need elements of @size bytes in *@array. */
static bool reserve(void **array, size_t *capacity, size_t need, size_t size) {
  if (need <= *capacity)
    return true;
  size_t cap = *capacity ? *capacity : 64;
  while (cap < need)
    cap *= 2;
  void *p = realloc(*array, cap * size);
  if (!p)
    return false;
  *array = p;
  *capacity = cap;
  return true;
}

static kavro_err_t nomem(kavro_error_t *error) {
  return kv_error_set(error, KAVRO_ERR_NOMEM,
                      "out of memory while checking compatibility");
}

static bool rehash(kv_compat_graph_t *g, size_t slot_count);

kavro_err_t kv_compat_graph_reserve(kv_compat_graph_t *g, size_t pairs,
                                    kavro_error_t *error) {
  if (pairs > g->max_pairs)
    pairs = g->max_pairs;
  size_t slots = 64;
  while (slots < pairs * 2)
    slots *= 2;
  if (!reserve((void **)&g->pairs, &g->pair_capacity, pairs, sizeof(*g->pairs)) ||
      !reserve((void **)&g->edges, &g->edge_capacity, pairs, sizeof(*g->edges)) ||
      !reserve((void **)&g->links, &g->link_capacity, pairs, sizeof(*g->links)) ||
      (slots > g->slot_count && !rehash(g, slots)))
    return nomem(error);
  return KAVRO_OK;
}

/* ---- the pair index ---------------------------------------------------- */

static size_t pair_hash(const kv_node_t *reader, const kv_node_t *writer) {
  uint64_t h = (uint64_t)(uintptr_t)reader * 0x9e3779b97f4a7c15u;
  h ^= (uint64_t)(uintptr_t)writer + 0x632be59bd9b4e019u + (h << 6) + (h >> 2);
  h ^= h >> 31;
  h *= 0xbf58476d1ce4e5b9u;
  h ^= h >> 29;
  return (size_t)h;
}

static bool rehash(kv_compat_graph_t *g, size_t slot_count) {
  uint32_t *slots = calloc(slot_count, sizeof(*slots));
  if (!slots)
    return false;
  size_t mask = slot_count - 1;
  for (size_t i = 0; i < g->pair_count; i++) {
    size_t s = pair_hash(g->pairs[i].reader, g->pairs[i].writer) & mask;
    while (slots[s])
      s = (s + 1) & mask;
    slots[s] = (uint32_t)i + 1;
  }
  free(g->slots);
  g->slots = slots;
  g->slot_count = slot_count;
  return true;
}

/* The slot of pair (@reader, @writer), or of the empty slot where it
 * belongs.  The table is never full. */
static size_t find_slot(const kv_compat_graph_t *g, const kv_node_t *reader,
                        const kv_node_t *writer) {
  size_t mask = g->slot_count - 1;
  size_t s = pair_hash(reader, writer) & mask;
  for (; g->slots[s]; s = (s + 1) & mask) {
    const kv_pair_t *p = &g->pairs[g->slots[s] - 1];
    if (p->reader == reader && p->writer == writer)
      break;
  }
  return s;
}

bool kv_compat_find(const kv_compat_graph_t *g, const kv_node_t *reader,
                    const kv_node_t *writer, uint32_t *index) {
  if (g->slot_count == 0)
    return false;
  size_t s = find_slot(g, reader, writer);
  if (!g->slots[s])
    return false;
  *index = g->slots[s] - 1;
  return true;
}

/* Find the pair (@reader, @writer) or append it; *@created says which. */
static kavro_err_t find_or_add(kv_compat_graph_t *g, const kv_node_t *reader,
                               const kv_node_t *writer, uint32_t *index,
                               bool *created, kavro_error_t *error) {
  if ((g->pair_count + 1) * 2 > g->slot_count &&
      !rehash(g, g->slot_count ? g->slot_count * 2 : 64))
    return nomem(error);
  size_t s = find_slot(g, reader, writer);
  if (g->slots[s]) {
    *index = g->slots[s] - 1;
    *created = false;
    return KAVRO_OK;
  }
  if (g->pair_count >= g->max_pairs)
    return kv_error_set(error, KAVRO_ERR_LIMIT,
                        "the schemas need more than %zu reader/writer type "
                        "pairs to compare",
                        g->max_pairs);
  if (!reserve((void **)&g->pairs, &g->pair_capacity, g->pair_count + 1,
               sizeof(*g->pairs)))
    return nomem(error);
  kv_pair_t *p = &g->pairs[g->pair_count];
  memset(p, 0, sizeof(*p));
  p->reader = reader;
  p->writer = writer;
  g->slots[s] = (uint32_t)g->pair_count + 1;
  *index = (uint32_t)g->pair_count++;
  *created = true;
  return KAVRO_OK;
}

/* ---- the rules --------------------------------------------------------- */

/* Avro 1.11 promotions: int to long, float, double; long to float, double;
 * float to double; string to bytes and bytes to string. */
static bool promotes(kavro_type_t writer, kavro_type_t reader) {
  switch (writer) {
  case KAVRO_INT:
    return reader == KAVRO_LONG || reader == KAVRO_FLOAT ||
           reader == KAVRO_DOUBLE;
  case KAVRO_LONG:
    return reader == KAVRO_FLOAT || reader == KAVRO_DOUBLE;
  case KAVRO_FLOAT:
    return reader == KAVRO_DOUBLE;
  case KAVRO_STRING:
    return reader == KAVRO_BYTES;
  case KAVRO_BYTES:
    return reader == KAVRO_STRING;
  default:
    return false;
  }
}

/* Logical types play no part: a pair resolves on its underlying types. */
static kv_pair_kind_t classify(const kv_node_t *reader, const kv_node_t *writer) {
  if (writer->type == KAVRO_UNION)
    return KV_PAIR_WRITER_UNION;
  if (reader->type == KAVRO_UNION)
    return KV_PAIR_READER_UNION;
  if (reader->type != writer->type)
    return promotes(writer->type, reader->type) ? KV_PAIR_SAME
                                                : KV_PAIR_MISMATCH;
  switch (reader->type) {
  case KAVRO_RECORD: return KV_PAIR_RECORD;
  case KAVRO_ENUM: return KV_PAIR_ENUM;
  case KAVRO_FIXED: return KV_PAIR_FIXED;
  case KAVRO_ARRAY: return KV_PAIR_ARRAY;
  case KAVRO_MAP: return KV_PAIR_MAP;
  default: return KV_PAIR_SAME;
  }
}

bool kv_compat_may_read(const kv_node_t *reader, const kv_node_t *writer) {
  kv_pair_kind_t kind = classify(reader, writer);
  if (kind == KV_PAIR_MISMATCH)
    return false;
  if (kind == KV_PAIR_RECORD || kind == KV_PAIR_ENUM || kind == KV_PAIR_FIXED)
    return kv_compat_names_match(reader, writer);
  return true;
}

bool kv_compat_names_match(const kv_node_t *reader, const kv_node_t *writer) {
  if (strcmp(reader->name, writer->name) == 0)
    return true;
  for (size_t i = 0; i < reader->alias_count; i++)
    if (strcmp(reader->aliases[i], writer->fullname) == 0)
      return true;
  return false;
}

const kv_field_t *kv_compat_writer_field(const kv_node_t *writer,
                                         const kv_field_t *rf) {
  /* Versions of a record mostly keep their fields in place: try the same
   * position first, which reads memory in order instead of hashing. */
  if (rf->index < writer->field_count &&
      strcmp(writer->fields[rf->index].name, rf->name) == 0)
    return &writer->fields[rf->index];
  const kv_field_t *wf = kv_record_field(writer, rf->name);
  for (size_t i = 0; !wf && i < rf->alias_count; i++)
    wf = kv_record_field(writer, rf->aliases[i]);
  return wf;
}

/* ---- reader enum symbol sets ------------------------------------------- */

static size_t node_hash(const kv_node_t *node) {
  return pair_hash(node, NULL);
}

static bool rehash_sets(kv_compat_graph_t *g, size_t slot_count) {
  kv_symbol_set_t *sets = calloc(slot_count, sizeof(*sets));
  if (!sets)
    return false;
  for (size_t i = 0; i < g->set_slot_count; i++) {
    if (!g->sets[i].node)
      continue;
    size_t s = node_hash(g->sets[i].node) & (slot_count - 1);
    while (sets[s].node)
      s = (s + 1) & (slot_count - 1);
    sets[s] = g->sets[i];
  }
  free(g->sets);
  g->sets = sets;
  g->set_slot_count = slot_count;
  return true;
}

/* The symbol set of reader enum @reader, built on first use. */
static const kv_symbol_set_t *symbol_set(kv_compat_graph_t *g,
                                         const kv_node_t *reader) {
  if ((g->set_count + 1) * 2 > g->set_slot_count &&
      !rehash_sets(g, g->set_slot_count ? g->set_slot_count * 2 : 16))
    return NULL;
  size_t mask = g->set_slot_count - 1;
  size_t s = node_hash(reader) & mask;
  for (; g->sets[s].node; s = (s + 1) & mask)
    if (g->sets[s].node == reader)
      return &g->sets[s];
  size_t slot_count = 8;
  while (slot_count < reader->symbol_count * 2)
    slot_count *= 2;
  if (!reserve((void **)&g->symbols, &g->symbol_capacity,
               g->symbol_count + slot_count, sizeof(*g->symbols)))
    return NULL;
  const char **slots = g->symbols + g->symbol_count;
  memset(slots, 0, slot_count * sizeof(*slots));
  for (size_t i = 0; i < reader->symbol_count; i++) {
    size_t h = kv_hash_string(reader->symbols[i]) & (slot_count - 1);
    while (slots[h])
      h = (h + 1) & (slot_count - 1);
    slots[h] = reader->symbols[i];
  }
  g->sets[s].node = reader;
  g->sets[s].offset = g->symbol_count;
  g->sets[s].slot_count = slot_count;
  g->symbol_count += slot_count;
  g->set_count++;
  return &g->sets[s];
}

static bool symbol_set_has(const kv_compat_graph_t *g,
                           const kv_symbol_set_t *set, const char *symbol) {
  const char **slots = g->symbols + set->offset;
  size_t mask = set->slot_count - 1;
  for (size_t i = kv_hash_string(symbol) & mask; slots[i]; i = (i + 1) & mask)
    if (strcmp(slots[i], symbol) == 0)
      return true;
  return false;
}

kavro_err_t kv_compat_missing_symbols(kv_compat_graph_t *g,
                                      const kv_node_t *reader,
                                      const kv_node_t *writer, size_t *missing,
                                      kv_strbuf_t *list, size_t list_max) {
  const kv_symbol_set_t *set = symbol_set(g, reader);
  if (!set)
    return KAVRO_ERR_NOMEM;
  *missing = 0;
  for (size_t i = 0; i < writer->symbol_count; i++) {
    if (symbol_set_has(g, set, writer->symbols[i]))
      continue;
    if (list && *missing < list_max) {
      if (*missing)
        kv_strbuf_puts(list, ", ");
      kv_strbuf_puts(list, writer->symbols[i]);
    }
    (*missing)++;
  }
  return KAVRO_OK;
}

/* ---- building a round -------------------------------------------------- */

/* Record that pair @child is a part of pair @parent. */
static kavro_err_t add_child(kv_compat_graph_t *g, uint32_t parent,
                             const kv_node_t *reader, const kv_node_t *writer,
                             kavro_error_t *error) {
  uint32_t child;
  bool created;
  kavro_err_t err = find_or_add(g, reader, writer, &child, &created, error);
  if (err)
    return err;
  if (g->edge_count >= g->max_edges)
    return kv_error_set(error, KAVRO_ERR_LIMIT,
                        "the schemas need more than %zu links between "
                        "reader/writer type pairs to compare",
                        g->max_edges);
  if (!reserve((void **)&g->edges, &g->edge_capacity, g->edge_count + 1,
               sizeof(*g->edges)))
    return nomem(error);
  g->edges[g->edge_count++] = child;
  kv_pair_t *p = &g->pairs[parent];
  p->child_count++;
  bool any = p->kind == KV_PAIR_READER_UNION;
  if (child < g->round_first) {
    /* Settled in an earlier round: its verdict is final, count it now. */
    if (!g->pairs[child].failed)
      p->remaining += any;
    else if (!any)
      p->doomed = 1;
    return KAVRO_OK;
  }
  p->remaining += any;
  if (!reserve((void **)&g->links, &g->link_capacity, g->link_count + 1,
               sizeof(*g->links)))
    return nomem(error);
  g->links[g->link_count].parent = parent;
  g->links[g->link_count].next = g->pairs[child].first_parent;
  g->pairs[child].first_parent = (uint32_t)++g->link_count;
  return KAVRO_OK;
}

/* A record's local problems are its name and reader fields that nothing
 * fills.  Records whose names differ are not looked into: the verdict is
 * known already, and the report walk settles their fields when it lists
 * them. */
static kavro_err_t explore_record(kv_compat_graph_t *g, uint32_t i,
                                  kavro_error_t *error) {
  const kv_node_t *r = g->pairs[i].reader;
  const kv_node_t *w = g->pairs[i].writer;
  if (!kv_compat_names_match(r, w)) {
    g->pairs[i].local = KV_LOCAL_NAME;
    return KAVRO_OK;
  }
  for (size_t f = 0; f < r->field_count; f++) {
    const kv_field_t *rf = &r->fields[f];
    const kv_field_t *wf = kv_compat_writer_field(w, rf);
    if (wf) {
      kavro_err_t err = add_child(g, i, rf->type, wf->type, error);
      if (err)
        return err;
    } else if (!rf->default_value) {
      /* A default a lenient parse kept though it does not fit its type
       * (rf->default_defect) counts as a default: Avro's
       * SchemaCompatibility, which registries run with default validation
       * off for schemas they hold, asks only whether there is one.  The
       * verdict is the registry's; the decoder still refuses to use it. */
      g->pairs[i].local |= KV_LOCAL_FIELDS;
    }
  }
  return KAVRO_OK;
}

static kavro_err_t explore_enum(kv_compat_graph_t *g, uint32_t i,
                                kavro_error_t *error) {
  const kv_node_t *r = g->pairs[i].reader;
  const kv_node_t *w = g->pairs[i].writer;
  uint8_t local = kv_compat_names_match(r, w) ? 0 : KV_LOCAL_NAME;
  size_t missing;
  if (kv_compat_missing_symbols(g, r, w, &missing, NULL, 0))
    return nomem(error);
  /* Spec 1.9+: a reader enum default stands in for unknown symbols; one
   * that is no symbol (kept by a lenient parse) does not, as in Avro's
   * SchemaCompatibility. */
  if (missing && r->enum_default < 0)
    local |= KV_LOCAL_SYMBOLS;
  g->pairs[i].local = local;
  return KAVRO_OK;
}

static kavro_err_t explore_branches(kv_compat_graph_t *g, uint32_t i,
                                    kavro_error_t *error) {
  const kv_node_t *r = g->pairs[i].reader;
  const kv_node_t *w = g->pairs[i].writer;
  kavro_err_t err = KAVRO_OK;
  if (g->pairs[i].kind == KV_PAIR_WRITER_UNION) {
    for (size_t b = 0; !err && b < w->branch_count; b++)
      err = add_child(g, i, r, w->branches[b], error);
    return err;
  }
  /* Only branches that could read the writer become parts: a branch of
   * another type, or a named type of another name, fails at once, and a
   * union of many records read against another would otherwise pair every
   * branch with every other. */
  g->work += r->branch_count;
  if (g->work > g->max_work)
    return kv_error_set(error, KAVRO_ERR_LIMIT,
                        "the schemas' unions need more than %zu branch "
                        "comparisons to check",
                        g->max_work);
  for (size_t b = 0; !err && b < r->branch_count; b++)
    if (kv_compat_may_read(r->branches[b], w))
      err = add_child(g, i, r->branches[b], w, error);
  if (!err && g->pairs[i].child_count == 0)
    g->pairs[i].local = KV_LOCAL_NO_BRANCH;
  if (!err && g->pairs[i].remaining == 0)
    g->pairs[i].doomed = 1;
  return err;
}

static kavro_err_t explore(kv_compat_graph_t *g, uint32_t i,
                           kavro_error_t *error) {
  kv_pair_t *p = &g->pairs[i];
  p->kind = (uint8_t)classify(p->reader, p->writer);
  p->first_child = (uint32_t)g->edge_count;
  kavro_err_t err = KAVRO_OK;
  switch ((kv_pair_kind_t)p->kind) {
  case KV_PAIR_SAME:
    break;
  case KV_PAIR_MISMATCH:
    p->local = KV_LOCAL_TYPE;
    break;
  case KV_PAIR_RECORD:
    err = explore_record(g, i, error);
    break;
  case KV_PAIR_ENUM:
    err = explore_enum(g, i, error);
    break;
  case KV_PAIR_FIXED:
    p->local = (uint8_t)((kv_compat_names_match(p->reader, p->writer)
                              ? 0 : KV_LOCAL_NAME) |
                         (p->reader->size != p->writer->size ? KV_LOCAL_SIZE : 0));
    break;
  case KV_PAIR_ARRAY:
  case KV_PAIR_MAP:
    err = add_child(g, i, p->reader->items, p->writer->items, error);
    break;
  case KV_PAIR_WRITER_UNION:
  case KV_PAIR_READER_UNION:
    err = explore_branches(g, i, error);
    break;
  }
  if (g->pairs[i].local)
    g->pairs[i].doomed = 1;
  return err;
}

/* ---- settling a round -------------------------------------------------- */

static void fail(kv_compat_graph_t *g, uint32_t i, size_t *queued) {
  g->pairs[i].failed = ++g->failures;
  g->queue[(*queued)++] = i;
}

/* Fail the doomed pairs of the round and everything that needs them. */
static kavro_err_t propagate(kv_compat_graph_t *g, kavro_error_t *error) {
  size_t first = g->round_first;
  if (!reserve((void **)&g->queue, &g->queue_capacity, g->pair_count - first,
               sizeof(*g->queue)))
    return nomem(error);
  size_t queued = 0;
  for (size_t i = first; i < g->pair_count; i++)
    if (g->pairs[i].doomed)
      fail(g, (uint32_t)i, &queued);
  for (size_t head = 0; head < queued; head++) {
    const kv_pair_t *child = &g->pairs[g->queue[head]];
    for (uint32_t l = child->first_parent; l; l = g->links[l - 1].next) {
      uint32_t parent = g->links[l - 1].parent;
      kv_pair_t *p = &g->pairs[parent];
      if (p->failed)
        continue;
      if (p->kind != KV_PAIR_READER_UNION || --p->remaining == 0)
        fail(g, parent, &queued);
    }
  }
  return KAVRO_OK;
}

kavro_err_t kv_compat_settle(kv_compat_graph_t *g, const kv_node_t *reader,
                             const kv_node_t *writer, uint32_t *index,
                             kavro_error_t *error) {
  bool created;
  g->round_first = g->pair_count;
  kavro_err_t err = find_or_add(g, reader, writer, index, &created, error);
  if (err || !created)
    return err;
  for (size_t i = g->round_first; i < g->pair_count; i++)
    if ((err = explore(g, (uint32_t)i, error)))
      return err;
  return propagate(g, error);
}
