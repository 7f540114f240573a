/*
 * kavro - Parsing Canonical Form and fingerprints (Avro 1.11 specification,
 * "Parsing Canonical Form for Schemas" and "Schema Fingerprints").
 *
 * The canonical form is written once, at the end of a successful parse, from
 * the model rather than from the text: the model already holds what the
 * transformations ask for ([PRIMITIVES] and [FULLNAMES] are resolved,
 * [STRIP] simply means not writing the other members, [STRINGS] holds
 * because names and symbols are validated identifiers, [INTEGERS] and
 * [WHITESPACE] follow from how the writer prints).  What is left is [ORDER]:
 * name, type, fields, symbols, items, values, size.
 *
 * A named type is written in full at its first occurrence in depth-first
 * order and by its full name afterwards.  That rule also ends recursion: a
 * recursive reference is always a later occurrence.  Types that come from a
 * referenced schema are written in full at their first use as well, because
 * the canonical form describes the type, not the text it was written in.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "config.h"
#include "common_error_int.h"
#include "schema_int.h"
#include "common_strbuf_int.h"

/* ---- CRC-64-AVRO ---------------------------------------------------------- */

/* The spec's EMPTY: the fingerprint of no bytes, and the polynomial. */
#define RABIN_EMPTY UINT64_C(0xc15d213aa4d7a795)

static uint64_t rabin_table[256];
static pthread_once_t rabin_table_once = PTHREAD_ONCE_INIT;

static void rabin_table_init(void) {
  for (unsigned i = 0; i < 256; i++) {
    uint64_t fp = i;
    for (int bit = 0; bit < 8; bit++)
      fp = (fp >> 1) ^ (RABIN_EMPTY & (0 - (fp & 1)));
    rabin_table[i] = fp;
  }
}

uint64_t kavro_rabin(const void *data, size_t length) {
  pthread_once(&rabin_table_once, rabin_table_init);
  const unsigned char *p = data;
  uint64_t fp = RABIN_EMPTY;
  for (size_t i = 0; i < length; i++)
    fp = (fp >> 8) ^ rabin_table[(fp ^ p[i]) & 0xff];
  return fp;
}

/* ---- the canonical writer ------------------------------------------------- */

typedef struct canon_writer_s {
  kv_strbuf_t out;
  json_t *written; /* full names of named types already written in full */
  bool failed;     /* out of memory outside the buffer */
} canon_writer_t;

static void write_node(canon_writer_t *w, const kv_node_t *node);

static void write_key(canon_writer_t *w, const char *key) {
  kv_strbuf_putc(&w->out, '"');
  kv_strbuf_puts(&w->out, key);
  kv_strbuf_puts(&w->out, "\":");
}

/* Names and symbols are validated identifiers, so quoting never has to
 * escape anything; the escaping writer is used anyway so that the output is
 * JSON whatever the model holds. */
static void write_string(canon_writer_t *w, const char *s) {
  kv_strbuf_put_json_string(&w->out, s);
}

static void write_fields(canon_writer_t *w, const kv_node_t *record) {
  write_key(w, "fields");
  kv_strbuf_putc(&w->out, '[');
  for (size_t i = 0; i < record->field_count; i++) {
    if (i)
      kv_strbuf_putc(&w->out, ',');
    kv_strbuf_putc(&w->out, '{');
    write_key(w, "name");
    write_string(w, record->fields[i].name);
    kv_strbuf_putc(&w->out, ',');
    write_key(w, "type");
    write_node(w, record->fields[i].type);
    kv_strbuf_putc(&w->out, '}');
  }
  kv_strbuf_putc(&w->out, ']');
}

static void write_symbols(canon_writer_t *w, const kv_node_t *enumeration) {
  write_key(w, "symbols");
  kv_strbuf_putc(&w->out, '[');
  for (size_t i = 0; i < enumeration->symbol_count; i++) {
    if (i)
      kv_strbuf_putc(&w->out, ',');
    write_string(w, enumeration->symbols[i]);
  }
  kv_strbuf_putc(&w->out, ']');
}

/* A record, enum or fixed: by name when already written, else in full.
 * The name is recorded before the body so that a recursive use inside the
 * body is written by name. */
static void write_named(canon_writer_t *w, const kv_node_t *node) {
  if (json_object_get(w->written, node->fullname)) {
    write_string(w, node->fullname);
    return;
  }
  if (json_object_set_new(w->written, node->fullname, json_true()) != 0)
    w->failed = true;
  kv_strbuf_putc(&w->out, '{');
  write_key(w, "name");
  write_string(w, node->fullname);
  kv_strbuf_putc(&w->out, ',');
  write_key(w, "type");
  /* [PRIMITIVES]-like normalisation of "error": it parses as a record. */
  write_string(w, kavro_type_name(node->type));
  kv_strbuf_putc(&w->out, ',');
  if (node->type == KAVRO_RECORD)
    write_fields(w, node);
  else if (node->type == KAVRO_ENUM)
    write_symbols(w, node);
  else {
    write_key(w, "size");
    kv_strbuf_printf(&w->out, "%zu", node->size);
  }
  kv_strbuf_putc(&w->out, '}');
}

/* An array or a map: {"type":...,"items"|"values":...}. */
static void write_container(canon_writer_t *w, const kv_node_t *node) {
  kv_strbuf_putc(&w->out, '{');
  write_key(w, "type");
  write_string(w, kavro_type_name(node->type));
  kv_strbuf_putc(&w->out, ',');
  write_key(w, node->type == KAVRO_ARRAY ? "items" : "values");
  write_node(w, node->items);
  kv_strbuf_putc(&w->out, '}');
}

static void write_union(canon_writer_t *w, const kv_node_t *node) {
  kv_strbuf_putc(&w->out, '[');
  for (size_t i = 0; i < node->branch_count; i++) {
    if (i)
      kv_strbuf_putc(&w->out, ',');
    write_node(w, node->branches[i]);
  }
  kv_strbuf_putc(&w->out, ']');
}

/* Recursion follows the nesting of the text, which the parser bounds
 * (max_depth); cycles end at write_named. */
static void write_node(canon_writer_t *w, const kv_node_t *node) {
  switch (node->type) {
  case KAVRO_RECORD:
  case KAVRO_ENUM:
  case KAVRO_FIXED:
    write_named(w, node);
    break;
  case KAVRO_ARRAY:
  case KAVRO_MAP:
    write_container(w, node);
    break;
  case KAVRO_UNION:
    write_union(w, node);
    break;
  default:
    /* [PRIMITIVES]: logical types and properties are dropped. */
    write_string(w, kavro_type_name(node->type));
    break;
  }
}

/* ---- parse-time computation ----------------------------------------------- */

/* A failure (out of memory) is reported to the caller; the entry OpenSSL
 * queued for it, with memory of its own, is cleared, so that it is not
 * left for the next OpenSSL user of the thread (libcurl's TLS) to find. */
static bool digest(const EVP_MD *md, const char *data, size_t length,
                   unsigned char *out, unsigned expected) {
  unsigned size = 0;
  bool ok = md && EVP_Digest(data, length, out, &size, md, NULL) == 1 &&
            size == expected;
  if (!ok)
    ERR_clear_error();
  return ok;
}

/* The identity digest covers everything the canonical form strips
 * (defaults, aliases, doc, properties), because a registry tells such
 * schemas apart: the same schema written with other whitespace or key
 * order gets the same identity, one with another default does not. */
static kavro_err_t finish_identity(kavro_schema_t *schema, kavro_error_t *error) {
  char *json = kavro_schema_to_json(schema, KAVRO_JSON_COMPACT);
  bool ok = json && digest(EVP_sha256(), json, strlen(json), schema->identity,
                           sizeof(schema->identity));
  free(json);
  return ok ? KAVRO_OK
            : kv_error_set(error, KAVRO_ERR_NOMEM,
                           "out of memory computing the schema's identity");
}

kavro_err_t kv_schema_finish_canonical(kavro_schema_t *schema,
                                       kavro_error_t *error) {
  canon_writer_t w = {KV_STRBUF_INIT, json_object(), false};
  if (w.written)
    write_node(&w, schema->root);
  if (!w.written || w.failed || kv_strbuf_failed(&w.out)) {
    json_decref(w.written);
    kv_strbuf_free(&w.out);
    return kv_error_set(error, KAVRO_ERR_NOMEM,
                        "out of memory writing the canonical form");
  }
  json_decref(w.written);
  schema->canonical_length = w.out.length;
  schema->canonical = kv_strbuf_steal(&w.out);
  if (!schema->canonical)
    return kv_error_set(error, KAVRO_ERR_NOMEM,
                        "out of memory writing the canonical form");
  schema->rabin = kavro_rabin(schema->canonical, schema->canonical_length);
  if (!digest(EVP_md5(), schema->canonical, schema->canonical_length,
              schema->md5, sizeof(schema->md5)) ||
      !digest(EVP_sha256(), schema->canonical, schema->canonical_length,
              schema->sha256, sizeof(schema->sha256)))
    return kv_error_set(error, KAVRO_ERR_NOMEM,
                        "libcrypto could not compute the MD5 and SHA-256 "
                        "fingerprints");
  return finish_identity(schema, error);
}

/* ---- public accessors ------------------------------------------------------ */

const char *kavro_schema_canonical(const kavro_schema_t *schema) {
  return schema ? schema->canonical : NULL;
}

uint64_t kavro_schema_rabin(const kavro_schema_t *schema) {
  return schema ? schema->rabin : 0;
}

size_t kavro_fingerprint_size(kavro_fingerprint_t kind) {
  switch (kind) {
  case KAVRO_FINGERPRINT_RABIN: return 8;
  case KAVRO_FINGERPRINT_MD5: return 16;
  case KAVRO_FINGERPRINT_SHA256: return 32;
  }
  return 0;
}

kavro_err_t kavro_schema_fingerprint(const kavro_schema_t *schema,
                                     kavro_fingerprint_t kind,
                                     unsigned char *out, size_t size) {
  size_t need = kavro_fingerprint_size(kind);
  if (!schema || !out || need == 0 || size < need)
    return KAVRO_ERR_INVALID_ARG;
  switch (kind) {
  case KAVRO_FINGERPRINT_RABIN:
    /* Little-endian, as Avro's single-object encoding carries it. */
    for (size_t i = 0; i < 8; i++)
      out[i] = (unsigned char)(schema->rabin >> (8 * i));
    break;
  case KAVRO_FINGERPRINT_MD5:
    memcpy(out, schema->md5, sizeof(schema->md5));
    break;
  case KAVRO_FINGERPRINT_SHA256:
    memcpy(out, schema->sha256, sizeof(schema->sha256));
    break;
  }
  return KAVRO_OK;
}
