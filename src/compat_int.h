/*
 * kavro - internals of the compatibility engine.
 *
 * A check works on pairs (reader node, writer node).  Each pair is either
 * settled by itself (two ints, an int read as long, two enums with their
 * symbols) or depends on other pairs: all of them (a record's fields, an
 * array's items, every branch of a writer union) or one of them (some branch
 * of a reader union).  Recursive schemas make this graph cyclic, so the
 * verdict is the greatest fixed point: every pair is compatible unless a
 * local problem, propagated backwards through the "all"/"one of" rules,
 * proves otherwise.  This is linear in the number of pairs and edges, and it
 * is exact where "assume compatible while in progress" (the reference
 * checker's shortcut) can cache a wrong answer inside a union.
 *
 * compat_graph.c builds and settles the graph; compat_report.c walks the
 * failed pairs from the root to list each problem with its locations and a
 * message; compat.c holds the public API, results and the registry levels.
 */
#ifndef KAVRO_COMPAT_INT_H
#define KAVRO_COMPAT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kavro/compat.h"
#include "schema_int.h"
#include "common_strbuf_int.h"

/* Bound on the pairs one check may visit.  Real schemas pair almost every
 * reader node with one writer node; only unions of many branches on both
 * sides multiply, and a hostile pair of schemas must not be able to make a
 * check allocate without limit. */
#define KV_COMPAT_MAX_PAIRS (1u << 20)
/* Bound on the part-of links between pairs (record fields, branches). */
#define KV_COMPAT_MAX_EDGES (1u << 22)
/* Bound on reader union branches looked at (a union against a union looks
 * at each reader branch once per writer branch). */
#define KV_COMPAT_MAX_WORK (1u << 26)

typedef enum kv_pair_kind_e {
  KV_PAIR_SAME,         /* equal primitives or a promotion: always fine */
  KV_PAIR_MISMATCH,     /* types that never resolve */
  KV_PAIR_RECORD,
  KV_PAIR_ENUM,
  KV_PAIR_FIXED,
  KV_PAIR_ARRAY,
  KV_PAIR_MAP,
  KV_PAIR_WRITER_UNION, /* every writer branch must be readable */
  KV_PAIR_READER_UNION  /* some reader branch must read the writer */
} kv_pair_kind_t;

/* Problems of a pair itself, as opposed to problems of its parts. */
enum {
  KV_LOCAL_TYPE = 1u << 0,     /* types never resolve */
  KV_LOCAL_NAME = 1u << 1,     /* named types with different names */
  KV_LOCAL_SIZE = 1u << 2,     /* fixed sizes differ */
  KV_LOCAL_SYMBOLS = 1u << 3,  /* writer symbols the reader lacks */
  KV_LOCAL_FIELDS = 1u << 4,   /* reader fields the writer cannot fill */
  KV_LOCAL_NO_BRANCH = 1u << 5 /* no reader branch of a type that could
                                  read the writer */
};

typedef struct kv_pair_s {
  const kv_node_t *reader;
  const kv_node_t *writer;
  uint32_t first_child;  /* children are edges[first_child ..] */
  uint32_t child_count;
  uint32_t remaining;    /* READER_UNION: parts not yet known to fail */
  uint32_t first_parent; /* head of its list in links, + 1; 0 = none */
  uint32_t failed;       /* 0 = compatible, else 1 + order of failure */
  uint8_t kind;          /* kv_pair_kind_t */
  uint8_t local;         /* KV_LOCAL_* */
  uint8_t doomed;        /* fails in the round being settled */
  uint8_t walk;          /* report walk: 0 unseen, 1 on the stack, 2 done */
} kv_pair_t;

/* One parent of a pair: singly linked per child, so that rounds can add
 * parents without rebuilding an index. */
typedef struct kv_link_s {
  uint32_t parent;
  uint32_t next; /* index + 1 of the next link, 0 = end */
} kv_link_t;

typedef struct kv_compat_graph_s {
  kv_pair_t *pairs;
  size_t pair_count, pair_capacity;
  uint32_t *edges; /* children, contiguous per pair */
  size_t edge_count, edge_capacity;
  kv_link_t *links;
  size_t link_count, link_capacity;
  uint32_t *slots; /* (reader, writer) -> pair index + 1 */
  size_t slot_count;
  uint32_t *queue; /* pairs failing in the current round */
  size_t queue_capacity;
  /* Symbol sets of reader enums, built once per enum: a hash set per enum
   * in one pool, found through an index keyed by the enum's node. */
  const char **symbols;
  size_t symbol_count, symbol_capacity;
  struct kv_symbol_set_s *sets;
  size_t set_count, set_slot_count;
  uint32_t failures;    /* pairs failed so far */
  size_t round_first;   /* first pair created in the current round */
  size_t work;          /* reader union branches looked at */
  size_t max_pairs;
  size_t max_edges;
  size_t max_work;
} kv_compat_graph_t;

void kv_compat_graph_init(kv_compat_graph_t *g);
/* Forget every pair but keep the memory, for the next check. */
void kv_compat_graph_reset(kv_compat_graph_t *g);
void kv_compat_graph_free(kv_compat_graph_t *g);

/* Make room for about @pairs pairs at once (a check pairs most nodes of the
 * reader with one node of the writer), instead of growing step by step. */
kavro_err_t kv_compat_graph_reserve(kv_compat_graph_t *g, size_t pairs,
                                    kavro_error_t *error);

/*
 * The pair (@reader, @writer) with its verdict final: created if new, with
 * everything reachable from it, and settled.  Pairs that already exist keep
 * their (final) verdicts.  Stores its index in @index.  Errors:
 * KAVRO_ERR_NOMEM, KAVRO_ERR_LIMIT (more than max_pairs, max_edges or
 * max_work).
 */
kavro_err_t kv_compat_settle(kv_compat_graph_t *g, const kv_node_t *reader,
                             const kv_node_t *writer, uint32_t *index,
                             kavro_error_t *error);

/* The pair (@reader, @writer) if it exists: true and its index in
 * @index. */
bool kv_compat_find(const kv_compat_graph_t *g, const kv_node_t *reader,
                    const kv_node_t *writer, uint32_t *index);

/* The writer field that fills reader field @rf of record @writer: the one
 * with its name, else the first one named by one of its aliases. */
const kv_field_t *kv_compat_writer_field(const kv_node_t *writer,
                                         const kv_field_t *rf);

/* Whether reader type @reader could read writer type @writer at all: the
 * same type (of the same name, for named types), a promotion, or unions. */
bool kv_compat_may_read(const kv_node_t *reader, const kv_node_t *writer);

/* Whether the names of named types @reader and @writer match: the same
 * unqualified name (Avro 1.11), or a reader alias equal to the writer's full
 * name. */
bool kv_compat_names_match(const kv_node_t *reader, const kv_node_t *writer);

/*
 * Count the symbols of writer enum @writer that reader enum @reader lacks
 * into @missing; when @list is not NULL, append up to @list_max of them to
 * it, separated by ", ".  KAVRO_ERR_NOMEM when @reader's symbol set cannot
 * be built.  Linear in @writer's symbols once @reader's set exists.
 */
kavro_err_t kv_compat_missing_symbols(kv_compat_graph_t *g,
                                      const kv_node_t *reader,
                                      const kv_node_t *writer, size_t *missing,
                                      kv_strbuf_t *list,
                                      size_t list_max);

/* ---- reporting -------------------------------------------------------- */

/* Whose reading a finding describes, which decides its wording. */
typedef enum kv_voice_e {
  KV_VOICE_PAIR,            /* a plain reader/writer check */
  KV_VOICE_CANDIDATE_READS, /* level check: candidate reads previous */
  KV_VOICE_PREVIOUS_READS   /* level check: previous reads candidate */
} kv_voice_t;

typedef struct kv_wording_s {
  kv_voice_t voice;
  size_t previous_index; /* which previous schema (level checks) */
  bool previous_is_latest; /* non-transitive level: "the latest schema" */
} kv_wording_t;

/* An empty result (free with kavro_compat_result_destroy()); NULL when out
 * of memory. */
kavro_compat_result_t *kv_compat_result_new(void);

/* Add a finding to @result, which takes the three strings (freed here on
 * failure).  KAVRO_ERR_NOMEM when out of memory. */
kavro_err_t kv_compat_result_add(kavro_compat_result_t *result,
                                 kavro_incompat_kind_t kind, char *reader_location,
                                 char *writer_location, char *message,
                                 const kv_wording_t *wording);

/*
 * Check whether @reader can read what @writer wrote and add every
 * incompatibility to @result, worded by @wording.  @g is scratch memory,
 * reset here.  Returns KAVRO_OK (compatible or not), KAVRO_ERR_NOMEM or
 * KAVRO_ERR_LIMIT.
 */
kavro_err_t kv_compat_collect(kv_compat_graph_t *g,
                              const kavro_schema_t *reader,
                              const kavro_schema_t *writer,
                              const kv_wording_t *wording,
                              kavro_compat_result_t *result,
                              kavro_error_t *error);

#endif /* KAVRO_COMPAT_INT_H */
