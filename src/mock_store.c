/*
 * kavro - the mock registry's store: subjects, versions, schema ids,
 * compatibility levels and mode, with the Schema Registry's rules.
 *
 * A distinct schema is an entry with one global id.  Two registrations are
 * the same schema when their parsed forms written back as JSON (whitespace,
 * key order and escapes no longer matter; docs, defaults and aliases still
 * do) and their references are equal, so a pretty-printed copy gets the
 * same id under any subject.  Entries are never removed: a schema whose
 * versions were all deleted for good keeps its id if it comes back, as ids
 * are never reused for another schema.  Each entry also has a GUID, the
 * identity Confluent Platform 8 gives a schema's content: a random
 * (version 4) UUID made when the content is first registered, kept with the
 * schema in the file, and the same under every subject.
 *
 * One mutex guards the data.  Parsing a posted schema and checking its
 * compatibility run outside it, on references to the schemas they need (a
 * kavro_schema_t is reference counted), so that a big schema holds up no
 * other request; a registration then takes the lock again and registers
 * only if what its check read is still what the subject holds.
 *
 * With a file (kv_store_persist()), every change is written to it before
 * its request is answered; a change that cannot be written is undone and
 * answered 500, so that what the registry said it stored is on disk and
 * what it refused is nowhere.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "common_context_int.h"
#include "common_error_int.h"
#include "mock_int.h"
#include "common_strbuf_int.h"
#include "common_text_int.h"
#include "schema_int.h"

/* Incompatibilities listed in one 409 message at most. */
#define MAX_LISTED_INCOMPATIBILITIES 20u
/* References one registration may name at most. */
#define MAX_REFERENCES 1000u

typedef enum registry_mode_e {
  MODE_READWRITE,
  MODE_READONLY,
  MODE_READONLY_OVERRIDE,
  MODE_IMPORT /* registrations skip the compatibility check */
} registry_mode_t;

static const char *const mode_names[] = {"READWRITE", "READONLY",
                                         "READONLY_OVERRIDE", "IMPORT"};

typedef struct ref_s {
  char *name;
  char *subject;
  int version;
} ref_t;

typedef struct entry_s {
  int id;
  kavro_schema_t *schema;
  char *text;    /* as served: the parsed schema written as compact JSON */
  ref_t *refs;
  size_t ref_count;
  char *key;     /* text and references: equal keys, same schema */
  char guid[KV_GUID_TEXT_SIZE]; /* lowercase text form */
  char *context; /* NULL: the default context; else ".name" */
  json_t *metadata; /* the data contract, normal form; NULL: none */
  json_t *rule_set;
  bool normalized; /* text written in the normalized form */
} entry_t;

typedef struct version_s {
  int version;
  entry_t *entry; /* NULL only while a file is being loaded */
  int id;         /* entry->id */
  bool deleted;
} version_t;

typedef struct subject_s {
  char *name;
  version_t *versions; /* ascending */
  size_t count, capacity;
  bool has_level;
  kavro_compat_level_t level;
  bool has_mode;
  registry_mode_t mode;
  json_t *config; /* config members beside the level; NULL: none */
} subject_t;

struct kv_store_s {
  pthread_mutex_t lock;
  entry_t **entries; /* entries[id - 1]; NULL for an id not in use */
  size_t entry_count, entry_capacity;
  /* The schemas of the other contexts, each with ids of its own, in the
   * order they were added (so a change is undone by their count). */
  entry_t **context_entries;
  size_t context_entry_count, context_entry_capacity;
  subject_t **subjects;
  size_t subject_count, subject_capacity;
  kavro_compat_level_t level;
  registry_mode_t mode;
  kv_assocs_t assocs; /* topic-subject associations (mock_assoc.c) */
  kv_deks_t *deks;    /* the DEK registry (mock_dek.c) */
  json_t *config; /* global config members beside the level; NULL: none */
  /* The contexts deleted (DELETE /contexts/{context}) since a version was
   * last registered in them: {".ctx": true}; NULL: none.  Their schemas
   * stay (their ids are not given out again), unlisted.  Replaced, never
   * changed, as config is. */
  json_t *deleted_contexts;
  uint64_t changes;
  /* The file every change is written to (NULL: none), and whether the
   * last write of it failed or left something out: then it is written
   * again at the next change, or at the first request after retry_at. */
  char *path;
  bool unsaved;
  size_t omitted; /* subjects the last accepted write had to leave out */
  unsigned retry_delay_ms;
  struct timespec retry_at;
  kv_store_check_hook_fn check_hook; /* NULL: none */
  void *check_hook_opaque;
  kavro_mock_kms_t dek_kms; /* the registry's KMS; no callbacks: none */
};

/* Write the store to its file; see the end of this file. */
static kavro_err_t save_locked(kv_store_t *store, bool accept_omissions,
                               kavro_error_t *error);

/* ---- replies ----------------------------------------------------------- */

int kv_reply_status_of(int code) {
  if (code >= 40000 && code < 60000)
    return code / 100;
  if (code >= 100 && code < 600)
    return code;
  return 500;
}

/* Drop the UTF-8 sequence that a cut at the end of @text left unfinished
 * (or, when the last one was whole, that one too: the text is cut anyway). */
static void drop_cut_sequence(char *text) {
  size_t n = strlen(text);
  while (n > 0 && ((unsigned char)text[n - 1] & 0xC0u) == 0x80u)
    n--;
  if (n > 0 && (unsigned char)text[n - 1] >= 0xC0u)
    n--;
  text[n] = '\0';
}

/* Make @text fit a JSON string: a message that quotes a client's bytes
 * (a subject, a version) may hold bytes that are not UTF-8, and jansson
 * refuses to write those, which would leave the reply without a body.
 * Such a message keeps its ASCII and shows every other byte as '?'. */
static void make_json_safe(char *text) {
  json_t *probe = json_string(text);
  if (probe) {
    json_decref(probe);
    return;
  }
  for (char *p = text; *p; p++)
    if ((unsigned char)*p >= 0x80u)
      *p = '?';
}

void kv_reply_error(kv_reply_t *reply, int code, const char *fmt, ...) {
  json_decref(reply->json);
  reply->json = NULL;
  free(reply->raw);
  reply->raw = NULL;
  reply->error_code = code;
  reply->status = kv_reply_status_of(code);
  va_list ap;
  va_start(ap, fmt);
  int length = vsnprintf(reply->message, sizeof(reply->message), fmt, ap);
  va_end(ap);
  if (length >= (int)sizeof(reply->message))
    drop_cut_sequence(reply->message);
  make_json_safe(reply->message);
}

void kv_reply_json(kv_reply_t *reply, json_t *json) {
  if (!json) {
    kv_reply_error(reply, 50001, "Out of memory");
    return;
  }
  json_decref(reply->json);
  reply->json = json;
  reply->status = 200;
  reply->error_code = 0;
}

void kv_reply_no_content(kv_reply_t *reply) {
  free(reply->raw);
  if (!(reply->raw = strdup(""))) {
    kv_reply_error(reply, 50001, "Out of memory");
    return;
  }
  reply->status = 204;
  reply->error_code = 0;
}

void kv_reply_clear(kv_reply_t *reply) {
  json_decref(reply->json);
  free(reply->raw);
  memset(reply, 0, sizeof(*reply));
}

static void reply_out_of_memory(kv_reply_t *reply) {
  kv_reply_error(reply, 50001, "Error in the backend data store: out of memory");
}

/* ---- the data structure ------------------------------------------------ */

static void entry_free(entry_t *entry) {
  if (!entry)
    return;
  kavro_schema_destroy(entry->schema);
  free(entry->text);
  for (size_t i = 0; i < entry->ref_count; i++) {
    free(entry->refs[i].name);
    free(entry->refs[i].subject);
  }
  free(entry->refs);
  free(entry->key);
  free(entry->context);
  json_decref(entry->metadata);
  json_decref(entry->rule_set);
  free(entry);
}

static void subject_free(subject_t *subject) {
  if (!subject)
    return;
  free(subject->name);
  free(subject->versions);
  json_decref(subject->config);
  free(subject);
}

/* Grow *array (of @size-byte items) to hold one more than @count. */
static bool reserve(void *array, size_t *capacity, size_t count, size_t size) {
  if (count < *capacity)
    return true;
  size_t grown = *capacity ? *capacity * 2 : 8;
  void *bigger = realloc(*(void **)array, grown * size);
  if (!bigger)
    return false;
  *(void **)array = bigger;
  *capacity = grown;
  return true;
}

kv_store_t *kv_store_new(void) {
  kv_store_t *store = calloc(1, sizeof(*store));
  if (!store)
    return NULL;
  if (!(store->deks = kv_deks_new())) {
    free(store);
    return NULL;
  }
  pthread_mutex_init(&store->lock, NULL);
  store->level = KAVRO_COMPAT_BACKWARD;
  store->mode = MODE_READWRITE;
  return store;
}

static void store_empty(kv_store_t *store) {
  for (size_t i = 0; i < store->entry_count; i++)
    entry_free(store->entries[i]);
  for (size_t i = 0; i < store->subject_count; i++)
    subject_free(store->subjects[i]);
  for (size_t i = 0; i < store->context_entry_count; i++)
    entry_free(store->context_entries[i]);
  free(store->context_entries);
  store->context_entries = NULL;
  store->context_entry_count = store->context_entry_capacity = 0;
  free(store->entries);
  free(store->subjects);
  store->entries = NULL;
  store->subjects = NULL;
  store->entry_count = store->entry_capacity = 0;
  store->subject_count = store->subject_capacity = 0;
  kv_assocs_clear(&store->assocs);
}

void kv_store_free(kv_store_t *store) {
  if (!store)
    return;
  /* A last try for a file that missed changes: nothing retries later. */
  if (store->path && store->unsaved) {
    kavro_error_t error = {0};
    save_locked(store, true, &error);
  }
  free(store->path);
  store_empty(store);
  json_decref(store->config);
  json_decref(store->deleted_contexts);
  kv_deks_free(store->deks);
  pthread_mutex_destroy(&store->lock);
  free(store);
}

void kv_store_set_check_hook(kv_store_t *store, kv_store_check_hook_fn hook,
                             void *opaque) {
  store->check_hook = hook;
  store->check_hook_opaque = opaque;
}

void kv_store_set_dek_kms(kv_store_t *store, const kavro_mock_kms_t *kms) {
  pthread_mutex_lock(&store->lock);
  store->dek_kms = kms ? *kms : (kavro_mock_kms_t){NULL, NULL, NULL};
  pthread_mutex_unlock(&store->lock);
}

const kavro_mock_kms_t *kv_store_dek_kms_locked(const kv_store_t *store) {
  return store->dek_kms.generate ? &store->dek_kms : NULL;
}

uint64_t kv_store_change_count(kv_store_t *store) {
  pthread_mutex_lock(&store->lock);
  uint64_t changes = store->changes;
  pthread_mutex_unlock(&store->lock);
  return changes;
}

static subject_t *find_subject(const kv_store_t *store, const char *name) {
  for (size_t i = 0; i < store->subject_count; i++)
    if (strcmp(store->subjects[i]->name, name) == 0)
      return store->subjects[i];
  return NULL;
}

static subject_t *add_subject(kv_store_t *store, const char *name) {
  subject_t *subject = find_subject(store, name);
  if (subject)
    return subject;
  if (!reserve(&store->subjects, &store->subject_capacity,
               store->subject_count, sizeof(subject_t *)))
    return NULL;
  subject = calloc(1, sizeof(*subject));
  if (!subject || !(subject->name = strdup(name))) {
    free(subject);
    return NULL;
  }
  store->subjects[store->subject_count++] = subject;
  return subject;
}

/* Forget @subject when nothing is left of it (no version, level or mode). */
static void drop_subject_if_empty(kv_store_t *store, subject_t *subject) {
  if (subject->count > 0 || subject->has_level || subject->has_mode ||
      subject->config)
    return;
  for (size_t i = 0; i < store->subject_count; i++) {
    if (store->subjects[i] == subject) {
      store->subjects[i] = store->subjects[--store->subject_count];
      subject_free(subject);
      return;
    }
  }
}

static bool has_live_version(const subject_t *subject) {
  for (size_t i = 0; i < subject->count; i++)
    if (!subject->versions[i].deleted)
      return true;
  return false;
}

/* Whether @subject exists for a caller that sees soft-deleted versions
 * (@deleted) or not. */
static bool subject_visible(const subject_t *subject, bool deleted) {
  return subject && (deleted ? subject->count > 0 : has_live_version(subject));
}

static version_t *find_version(subject_t *subject, int number) {
  for (size_t i = 0; i < subject->count; i++)
    if (subject->versions[i].version == number)
      return &subject->versions[i];
  return NULL;
}

static version_t *latest_version(subject_t *subject, bool deleted) {
  for (size_t i = subject->count; i-- > 0;)
    if (deleted || !subject->versions[i].deleted)
      return &subject->versions[i];
  return NULL;
}

bool kv_mock_parse_version(const char *text, int *number) {
  if (!text)
    return false;
  if (strcmp(text, "latest") == 0 || strcmp(text, "-1") == 0) {
    *number = -1;
    return true;
  }
  if (*text < '0' || *text > '9')
    return false;
  errno = 0;
  char *end;
  long value = strtol(text, &end, 10);
  if (*end || errno || value < 1 || value > INT_MAX)
    return false;
  *number = (int)value;
  return true;
}

static void invalid_version(kv_reply_t *reply, const char *text) {
  kv_reply_error(reply, 42202,
                 "The specified version '%s' is not a valid version id. "
                 "Allowed values are between [1, 2^31-1] and the string "
                 "\"latest\"",
                 text);
}

static void subject_not_found(kv_reply_t *reply, const char *name) {
  kv_reply_error(reply, 40401, "Subject '%s' not found.", name);
}

/* ---- the scope of a subject's settings ----------------------------------
 *
 * A subject's level, mode and config are its own when it sets them, else
 * those of its scope, as the registry looks them up (InMemoryCache.config()
 * and mode()): a subject of the default context falls back to the global
 * settings; a subject of another context to the context's own (set on the
 * subject ":.ctx:"), then to those of ":.__GLOBAL:" (every context), then
 * to the registry's defaults (BACKWARD, READWRITE) -- not to the default
 * context's global settings. */

#define ALL_CONTEXTS_SUBJECT ":.__GLOBAL:"

/* Room for the subject ":.ctx:" naming a context. */
#define KV_CONTEXT_SUBJECT_MAX 256

typedef struct scope_s {
  const subject_t *own;     /* the subject's own settings; NULL: none */
  bool default_context;     /* falls back to the global settings */
  const subject_t *context; /* ":.ctx:"; NULL: none, or default_context */
  const subject_t *all;     /* ":.__GLOBAL:"; NULL: none, or default_context */
} scope_t;

/* The scope of subject @name (NULL: the global settings themselves). */
static scope_t scope_of(const kv_store_t *store, const char *name) {
  scope_t scope = {NULL, true, NULL, NULL};
  if (!name)
    return scope;
  scope.own = find_subject(store, name);
  kv_subject_parts_t parts;
  kv_subject_split(name, &parts);
  if (parts.context_length == 1 && parts.context[0] == '.')
    return scope;
  scope.default_context = false;
  char context[KV_CONTEXT_SUBJECT_MAX];
  if (parts.context_length + 3 <= sizeof(context)) {
    snprintf(context, sizeof(context), ":%.*s:", (int)parts.context_length,
             parts.context);
    scope.context = find_subject(store, context);
  }
  scope.all = find_subject(store, ALL_CONTEXTS_SUBJECT);
  return scope;
}

static bool sets_level(const subject_t *subject) {
  return subject && subject->has_level;
}

static bool sets_config(const subject_t *subject) {
  return subject && (subject->has_level || subject->config);
}

static bool sets_mode(const subject_t *subject) {
  return subject && subject->has_mode;
}

/* The first of @scope's context and all-contexts subjects that @sets,
 * or NULL. */
static const subject_t *scope_fallback(const scope_t *scope,
                                       bool (*sets)(const subject_t *)) {
  if (sets(scope->context))
    return scope->context;
  return sets(scope->all) ? scope->all : NULL;
}

static registry_mode_t mode_of(const kv_store_t *store, const char *name) {
  scope_t scope = scope_of(store, name);
  if (sets_mode(scope.own))
    return scope.own->mode;
  if (scope.default_context)
    return store->mode;
  const subject_t *fallback = scope_fallback(&scope, sets_mode);
  return fallback ? fallback->mode : MODE_READWRITE;
}

static kavro_compat_level_t level_of(const kv_store_t *store, const char *name) {
  scope_t scope = scope_of(store, name);
  if (sets_level(scope.own))
    return scope.own->level;
  if (scope.default_context)
    return store->level;
  const subject_t *fallback = scope_fallback(&scope, sets_level);
  return fallback ? fallback->level : KAVRO_COMPAT_BACKWARD;
}

/* Config member @member in scope for @name: the subject's own; else, for
 * "normalize" and "compatibilityGroup", or when the subject sets no
 * config, the scope's (the registry merges a subject's config over the
 * global one member by member only for those two). */
static const json_t *config_member(const kv_store_t *store, const char *name,
                                   const char *member) {
  scope_t scope = scope_of(store, name);
  bool own = sets_config(scope.own);
  const json_t *value = own ? json_object_get(scope.own->config, member) : NULL;
  bool per_member = strcmp(member, "normalize") == 0 ||
                    strcmp(member, "compatibilityGroup") == 0;
  if (value || (own && !per_member))
    return value;
  if (own || scope.default_context)
    return json_object_get(store->config, member);
  const subject_t *fallback = scope_fallback(&scope, sets_config);
  return fallback ? json_object_get(fallback->config, member) : NULL;
}

static bool read_only(const kv_store_t *store, const char *subject) {
  registry_mode_t mode = mode_of(store, subject);
  return mode == MODE_READONLY || mode == MODE_READONLY_OVERRIDE;
}

static bool refuse_if_read_only(const kv_store_t *store, const char *subject,
                                kv_reply_t *reply) {
  if (!read_only(store, subject))
    return false;
  kv_reply_error(reply, 42205, "Subject %s is in read-only mode", subject);
  return true;
}

/* ---- changes and the file ---------------------------------------------- */

/* The store as it was before a change, to put back when the change cannot
 * be written to the file.  Entries are only ever appended, so their count
 * is enough to undo them; subjects are copied. */
typedef struct change_s {
  bool saving; /* the store has a file: write the change to it */
  uint64_t changes;
  subject_t **subjects;
  size_t subject_count;
  size_t entry_count;
  size_t context_entry_count;
  kavro_compat_level_t level;
  registry_mode_t mode;
  kv_assocs_t assocs;
  kv_deks_t *deks;
  json_t *config;
  json_t *deleted_contexts;
} change_t;

static subject_t *subject_copy(const subject_t *from) {
  subject_t *copy = malloc(sizeof(*copy));
  if (!copy)
    return NULL;
  *copy = *from;
  copy->capacity = from->count;
  json_incref(copy->config); /* shared: configs are replaced, never changed */
  copy->name = strdup(from->name);
  copy->versions = malloc((from->count ? from->count : 1) * sizeof(version_t));
  if (!copy->name || !copy->versions) {
    subject_free(copy);
    return NULL;
  }
  if (from->count)
    memcpy(copy->versions, from->versions, from->count * sizeof(version_t));
  return copy;
}

static void drop_subject_copies(change_t *change) {
  for (size_t i = 0; i < change->subject_count; i++)
    subject_free(change->subjects[i]);
  free(change->subjects);
  change->subjects = NULL;
  change->subject_count = 0;
  json_decref(change->config);
  change->config = NULL;
  json_decref(change->deleted_contexts);
  change->deleted_contexts = NULL;
  kv_deks_free(change->deks);
  change->deks = NULL;
}

/* Remember @store in @change (the lock held).  False when out of memory. */
static bool remember(const kv_store_t *store, change_t *change) {
  change->entry_count = store->entry_count;
  change->context_entry_count = store->context_entry_count;
  change->level = store->level;
  change->mode = store->mode;
  if (!kv_assocs_copy(&change->assocs, &store->assocs) ||
      !(change->deks = kv_deks_dup(store->deks)))
    return false;
  change->config = json_incref(store->config);
  change->deleted_contexts = json_incref(store->deleted_contexts);
  change->subjects = calloc(store->subject_count + 1, sizeof(subject_t *));
  if (!change->subjects)
    return false;
  for (size_t i = 0; i < store->subject_count; i++) {
    if (!(change->subjects[i] = subject_copy(store->subjects[i]))) {
      drop_subject_copies(change);
      return false;
    }
    change->subject_count++;
  }
  return true;
}

/* Put @store back as @change remembered it (the copies move into it). */
static void undo(kv_store_t *store, change_t *change) {
  for (size_t i = 0; i < store->subject_count; i++)
    subject_free(store->subjects[i]);
  free(store->subjects);
  store->subjects = change->subjects;
  store->subject_count = store->subject_capacity = change->subject_count;
  change->subjects = NULL;
  change->subject_count = 0;
  for (size_t i = change->entry_count; i < store->entry_count; i++) {
    entry_free(store->entries[i]);
    store->entries[i] = NULL;
  }
  store->entry_count = change->entry_count;
  for (size_t i = change->context_entry_count; i < store->context_entry_count; i++)
    entry_free(store->context_entries[i]);
  store->context_entry_count = change->context_entry_count;
  store->level = change->level;
  store->mode = change->mode;
  kv_assocs_t held = store->assocs;
  store->assocs = change->assocs;
  change->assocs = held;
  kv_deks_t *deks = store->deks;
  store->deks = change->deks;
  change->deks = deks;
  json_decref(store->config);
  store->config = change->config;
  change->config = NULL;
  json_decref(store->deleted_contexts);
  store->deleted_contexts = change->deleted_contexts;
  change->deleted_contexts = NULL;
}

/* Take the lock for an operation that may change the store.  False, with
 * the lock released and @reply set, when the store cannot be remembered
 * (and so a change could not be undone). */
static bool change_begin_as(kv_store_t *store, change_t *change,
                            bool undoable, kv_reply_t *reply) {
  memset(change, 0, sizeof(*change));
  pthread_mutex_lock(&store->lock);
  change->changes = store->changes;
  change->saving = store->path != NULL;
  if ((change->saving || undoable) && !remember(store, change)) {
    drop_subject_copies(change);
    kv_assocs_clear(&change->assocs);
    pthread_mutex_unlock(&store->lock);
    reply_out_of_memory(reply);
    return false;
  }
  return true;
}

static bool change_begin(kv_store_t *store, change_t *change, kv_reply_t *reply) {
  return change_begin_as(store, change, false, reply);
}

/* End what change_begin() began: when the operation changed the store,
 * write it to the file before @reply goes out; when that fails, undo the
 * change and answer 500 instead.  Releases the lock. */
static void change_end(kv_store_t *store, change_t *change, kv_reply_t *reply) {
  kavro_error_t error = {0};
  if (change->saving && store->changes != change->changes &&
      save_locked(store, false, &error) != KAVRO_OK) {
    undo(store, change);
    kv_reply_error(reply, 50001, "Error in the backend data store: %s",
                   error.text);
  }
  drop_subject_copies(change);
  kv_assocs_clear(&change->assocs);
  pthread_mutex_unlock(&store->lock);
}

/* ---- JSON answers ------------------------------------------------------ */

static json_t *refs_to_json(const entry_t *entry) {
  json_t *array = json_array();
  for (size_t i = 0; array && i < entry->ref_count; i++) {
    const ref_t *ref = &entry->refs[i];
    if (json_array_append_new(array,
                              json_pack("{s:s, s:s, s:i}", "name", ref->name,
                                        "subject", ref->subject, "version",
                                        ref->version)) != 0) {
      json_decref(array);
      return NULL;
    }
  }
  return array;
}

/* Add "references" to @object when @entry has any.  False on OOM. */
static bool add_refs(json_t *object, const entry_t *entry) {
  if (entry->ref_count == 0)
    return true;
  return json_object_set_new(object, "references", refs_to_json(entry)) == 0;
}

/* Add "metadata" and "ruleSet" to @object when @entry has them.  False on
 * OOM. */
static bool add_contract(json_t *object, const entry_t *entry) {
  return (!entry->metadata ||
          json_object_set(object, "metadata", entry->metadata) == 0) &&
         (!entry->rule_set ||
          json_object_set(object, "ruleSet", entry->rule_set) == 0);
}

/* The schema text of @entry as the request of @reply asks for it, a new
 * string (NULL on OOM): as stored, or with `?format=resolved` the named
 * types of its references written in full where first used, as
 * AvroSchema.formattedString("resolved") writes them.  Any other format
 * is the stored text, as the registry serves an AVRO schema for a format
 * it does not know. */
static char *served_text(const entry_t *entry, const kv_reply_t *reply) {
  if (!reply->resolved || entry->ref_count == 0)
    return strdup(entry->text);
  return kavro_schema_to_json(entry->schema,
                              KV_JSON_RESOLVED | (entry->normalized
                                                      ? KAVRO_JSON_NORMALIZED
                                                      : KAVRO_JSON_COMPACT));
}

/* A version as the registry shows it ("references" stay with the
 * resolved text, as in the registry). */
static json_t *version_json(const subject_t *subject, const version_t *v,
                            const kv_reply_t *reply) {
  char *text = served_text(v->entry, reply);
  json_t *object = text ? json_pack("{s:s, s:i, s:i, s:s, s:s}", "subject",
                                    subject->name, "version", v->version, "id",
                                    v->entry->id, "guid", v->entry->guid,
                                    "schema", text)
                        : NULL;
  free(text);
  if (object && (!add_refs(object, v->entry) || !add_contract(object, v->entry))) {
    json_decref(object);
    return NULL;
  }
  return object;
}

/* ---- parsing a posted schema ------------------------------------------ */

/* A posted schema: its references, the schemas they name, its parsed form
 * and key.  The named schemas are references of the candidate's own, so a
 * delete or a load while it is parsed without the lock frees none of them. */
typedef struct candidate_s {
  kavro_schema_t *schema;
  ref_t *refs;
  const char *subject;          /* posted under it; borrowed, NULL: none */
  bool normalize;               /* written in the normalized form */
  kavro_schema_t **ref_schemas; /* one per reference, owned */
  size_t ref_count;
  char *text;
  char *key;
  json_t *sent_metadata, *sent_rule_set; /* as posted, normal form */
  json_t *metadata, *rule_set; /* as it would be registered (merged) */
} candidate_t;

static void candidate_free(candidate_t *c) {
  kavro_schema_destroy(c->schema);
  for (size_t i = 0; i < c->ref_count; i++) {
    free(c->refs[i].name);
    free(c->refs[i].subject);
    kavro_schema_destroy(c->ref_schemas[i]);
  }
  free(c->refs);
  free(c->ref_schemas);
  free(c->text);
  free(c->key);
  json_decref(c->sent_metadata);
  json_decref(c->sent_rule_set);
  json_decref(c->metadata);
  json_decref(c->rule_set);
  memset(c, 0, sizeof(*c));
}

/* Whether @name is in a context other than the default one. */
static bool in_other_context(const char *name, kv_subject_parts_t *parts) {
  kv_subject_split(name, parts);
  return !(parts->context_length == 1 && parts->context[0] == '.');
}

/* The subject @ref names from a schema of subject @referrer (NULL: none),
 * as a new string (NULL on OOM): an unqualified subject lies in the
 * referrer's context, as the registry qualifies it
 * (QualifiedSubject.qualifySubjectWithParent()). */
static char *ref_subject(const char *referrer, const ref_t *ref) {
  kv_subject_parts_t parts, own;
  if (!referrer || in_other_context(ref->subject, &own) ||
      !in_other_context(referrer, &parts))
    return strdup(ref->subject);
  kv_strbuf_t sb = KV_STRBUF_INIT;
  kv_strbuf_printf(&sb, ":%.*s:%s", (int)parts.context_length, parts.context,
                   ref->subject);
  return kv_strbuf_steal(&sb);
}

/* Whether @ref of a schema of subject @referrer names subject @name. */
static bool ref_names(const char *referrer, const ref_t *ref, const char *name) {
  char *subject = ref_subject(referrer, ref);
  bool names = subject && strcmp(subject, name) == 0;
  free(subject);
  return names;
}

/* The schema a reference of a schema of subject @referrer names now, or
 * NULL. */
static kavro_schema_t *ref_target(kv_store_t *store, const char *referrer,
                                  const ref_t *ref) {
  char *name = ref_subject(referrer, ref);
  subject_t *subject = name ? find_subject(store, name) : NULL;
  free(name);
  version_t *v = NULL;
  if (subject)
    v = ref->version == -1 ? latest_version(subject, false)
                           : find_version(subject, ref->version);
  return v && v->entry ? v->entry->schema : NULL;
}

/* Point each reference of @c at a new reference to the schema it names.
 * False with @reply set when one names nothing.  Takes no lock. */
static bool resolve_refs(kv_store_t *store, candidate_t *c, kv_reply_t *reply) {
  for (size_t i = 0; i < c->ref_count; i++) {
    const ref_t *ref = &c->refs[i];
    kavro_schema_t *target = ref_target(store, c->subject, ref);
    if (!target) {
      kv_reply_error(reply, 42201,
                     "Invalid schema: reference '%s' names subject '%s' "
                     "version %d, which does not exist",
                     ref->name, ref->subject, ref->version);
      return false;
    }
    c->ref_schemas[i] = kavro_schema_dup(target);
  }
  return true;
}

/* Whether a reference of @c names another schema now than when @c was
 * parsed ("latest" moved, or the version went away). */
static bool refs_moved(kv_store_t *store, const candidate_t *c) {
  for (size_t i = 0; i < c->ref_count; i++)
    if (ref_target(store, c->subject, &c->refs[i]) != c->ref_schemas[i])
      return true;
  return false;
}

/* Read the "references" member of @body into @c.  False with @reply set. */
static bool read_refs(const json_t *body, candidate_t *c, kv_reply_t *reply) {
  const json_t *refs = json_object_get(body, "references");
  if (!refs || json_is_null(refs))
    return true;
  if (!json_is_array(refs) || json_array_size(refs) > MAX_REFERENCES) {
    kv_reply_error(reply, 42201, "Invalid schema: \"references\" must be an "
                                 "array of at most %u references",
                   MAX_REFERENCES);
    return false;
  }
  size_t n = json_array_size(refs);
  c->refs = calloc(n ? n : 1, sizeof(ref_t));
  c->ref_schemas = calloc(n ? n : 1, sizeof(kavro_schema_t *));
  if (!c->refs || !c->ref_schemas) {
    reply_out_of_memory(reply);
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    const char *name, *subject;
    json_int_t version;
    if (json_unpack((json_t *)json_array_get(refs, i), "{s:s, s:s, s:I}",
                    "name", &name, "subject", &subject, "version",
                    &version) != 0 ||
        version < -1 || version == 0 || version > INT_MAX) {
      kv_reply_error(reply, 42201, "Invalid schema: reference %zu needs "
                                   "\"name\", \"subject\" and a valid "
                                   "\"version\"",
                     i);
      return false;
    }
    ref_t *ref = &c->refs[c->ref_count++];
    ref->name = strdup(name);
    ref->subject = strdup(subject);
    ref->version = (int)version;
    if (!ref->name || !ref->subject) {
      reply_out_of_memory(reply);
      return false;
    }
  }
  return true;
}

/* The identity of a schema: its text as served and its references. */
static char *make_key(const char *text, const ref_t *refs, size_t count) {
  kv_strbuf_t sb = KV_STRBUF_INIT;
  kv_strbuf_puts(&sb, text);
  for (size_t i = 0; i < count; i++)
    kv_strbuf_printf(&sb, "\n%s\n%s\n%d", refs[i].name, refs[i].subject,
                     refs[i].version);
  return kv_strbuf_steal(&sb);
}

/* ---- data contracts ------------------------------------------------------
 *
 * A schema's metadata and rule set are part of what it is: two
 * registrations that differ only there get two ids, as in the registry.
 * The posted contract is kept apart from the one the schema would be
 * registered with, which the subject's config and its latest version add
 * (mock_metadata.c has the JSON side).
 */

/* Read the "metadata" and "ruleSet" members of @body into @c (the merged
 * contract starts as the posted one).  False with @reply set. */
static bool read_contract(const json_t *body, candidate_t *c, kv_reply_t *reply) {
  if (!kv_contract_read_metadata(json_object_get(body, "metadata"),
                                 &c->sent_metadata, reply) ||
      !kv_contract_read_rule_set(json_object_get(body, "ruleSet"),
                                 &c->sent_rule_set, reply))
    return false;
  c->metadata = json_incref(c->sent_metadata);
  c->rule_set = json_incref(c->sent_rule_set);
  return true;
}

/* Append @json to @sb as sorted compact text ("-" for none). */
static void put_contract_part(kv_strbuf_t *sb, const json_t *json) {
  char *text = json ? json_dumps(json, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  if (json && !text)
    sb->failed = true; /* out of memory: no key rather than a wrong one */
  kv_strbuf_printf(sb, "\n%s", text ? text : "-");
  free(text);
}

/* (Re)make @c's key from its text, references and contract.  False on
 * OOM. */
static bool candidate_key(candidate_t *c) {
  free(c->key);
  c->key = make_key(c->text, c->refs, c->ref_count);
  if (!c->key)
    return false;
  if (!c->metadata && !c->rule_set)
    return true; /* keys of schemas without a contract stay as they were */
  kv_strbuf_t sb = KV_STRBUF_INIT;
  kv_strbuf_puts(&sb, c->key);
  put_contract_part(&sb, c->metadata);
  put_contract_part(&sb, c->rule_set);
  free(c->key);
  c->key = kv_strbuf_steal(&sb);
  return c->key != NULL;
}

/* The "schema" and "schemaType" members of @body are a schema this
 * registry serves.  False with @reply set. */
static bool check_schema_members(const json_t *body, kv_reply_t *reply) {
  const json_t *schema = json_object_get(body, "schema");
  if (!json_is_string(schema)) {
    kv_reply_error(reply, 42201, "Invalid schema: the request has no "
                                 "\"schema\" string");
    return false;
  }
  const json_t *type = json_object_get(body, "schemaType");
  if (type && !json_is_null(type) &&
      !(json_is_string(type) && strcmp(json_string_value(type), "AVRO") == 0)) {
    kv_reply_error(reply, 42201, "Invalid schema: schema type %s is not "
                                 "supported; this registry serves AVRO",
                   json_is_string(type) ? json_string_value(type) : "(not a string)");
    return false;
  }
  return true;
}

/* How a posted schema is read, as a registry reads it: a schema to
 * register or to test is new and must pass every rule; one looked up or
 * loaded is one the registry may already hold, read as it was accepted
 * (Confluent's registry validates defaults only for new schemas). */
typedef enum reading_e { READ_NEW, READ_HELD } reading_t;

/* Parse the schema of @body against @c's resolved references: the slow
 * part, which runs without the lock.  False with @reply set. */
static bool parse_candidate(const json_t *body, candidate_t *c,
                            reading_t reading, kv_reply_t *reply) {
  const json_t *schema = json_object_get(body, "schema");
  kavro_parse_options_t options;
  kavro_parse_options_init(&options);
  options.source = "schema";
  options.references = c->ref_schemas;
  options.reference_count = c->ref_count;
  options.lenient = reading == READ_HELD;
  kavro_error_t error = {0};
  if (kavro_schema_parse(json_string_value(schema), json_string_length(schema),
                         &options, &c->schema, &error) != KAVRO_OK) {
    char text[600];
    kv_reply_error(reply, error.code == KAVRO_ERR_NOMEM ? 50001 : 42201,
                   "Invalid schema: %s",
                   kavro_error_format(&error, text, sizeof(text)));
    return false;
  }
  c->text = kavro_schema_to_json(c->schema, c->normalize
                                                 ? KAVRO_JSON_NORMALIZED
                                                 : KAVRO_JSON_COMPACT);
  if (!c->text || !candidate_key(c)) {
    reply_out_of_memory(reply);
    return false;
  }
  return true;
}

/* Whether a posted schema is normalized: `?normalize=true` asks for it,
 * else the config "normalize" in the subject's scope says; a schema read
 * from the file is taken as stored. */
typedef enum normalizing_e {
  NORMALIZE_NEVER,
  NORMALIZE_IF_CONFIGURED,
  NORMALIZE_ASKED
} normalizing_t;

static normalizing_t normalizing(bool asked) {
  return asked ? NORMALIZE_ASKED : NORMALIZE_IF_CONFIGURED;
}

/* References in the normalized order (AvroSchema.normalize() sorts them):
 * by name, subject, version. */
static int compare_refs(const void *a, const void *b) {
  const ref_t *x = a, *y = b;
  int by = strcmp(x->name, y->name);
  if (!by)
    by = strcmp(x->subject, y->subject);
  return by ? by : (x->version > y->version) - (x->version < y->version);
}

/* Read the schema posted in @body ({"schema", "schemaType",
 * "references"}) under subject @subject (borrowed: it must outlive @c)
 * into @c: the references are looked up under the lock, in the subject's
 * context, the schema is parsed outside it.  False with @reply set. */
static bool prepare_candidate(kv_store_t *store, const char *subject,
                              const json_t *body, normalizing_t normalizing,
                              candidate_t *c, reading_t reading,
                              kv_reply_t *reply) {
  c->subject = subject;
  if (!check_schema_members(body, reply) || !read_refs(body, c, reply) ||
      !read_contract(body, c, reply))
    return false;
  pthread_mutex_lock(&store->lock);
  c->normalize = normalizing == NORMALIZE_ASKED ||
                 (normalizing == NORMALIZE_IF_CONFIGURED &&
                  json_is_true(config_member(store, subject, "normalize")));
  if (c->normalize && c->ref_count) /* qsort() wants a table, even empty */
    qsort(c->refs, c->ref_count, sizeof(*c->refs), compare_refs);
  bool resolved = resolve_refs(store, c, reply);
  pthread_mutex_unlock(&store->lock);
  return resolved && parse_candidate(body, c, reading, reply);
}

/* ---- contexts ------------------------------------------------------------
 *
 * Each context has its own ids, from 1: the default context's schemas are
 * store->entries (entries[id - 1]), the others' store->context_entries,
 * each entry naming its context.  The same schema in two contexts is two
 * entries with two ids and one GUID, as the GUID is the content's. */

static bool is_default_context(const kv_subject_parts_t *parts) {
  return parts->context_length == 1 && parts->context[0] == '.';
}

/* Whether @entry is in the context of @parts. */
static bool entry_in_context(const entry_t *entry,
                             const kv_subject_parts_t *parts) {
  if (!entry->context)
    return is_default_context(parts);
  return strlen(entry->context) == parts->context_length &&
         memcmp(entry->context, parts->context, parts->context_length) == 0;
}

/* The entry with @id in the context of @parts (not the default one). */
static entry_t *context_entry_by_id(const kv_store_t *store,
                                    const kv_subject_parts_t *parts, long id) {
  for (size_t i = 0; i < store->context_entry_count; i++) {
    entry_t *e = store->context_entries[i];
    if (e->id == id && entry_in_context(e, parts))
      return e;
  }
  return NULL;
}

/* The highest id in use in the context of @parts (not the default one). */
static int context_max_id(const kv_store_t *store,
                          const kv_subject_parts_t *parts) {
  int max = 0;
  for (size_t i = 0; i < store->context_entry_count; i++) {
    const entry_t *e = store->context_entries[i];
    if (e->id > max && entry_in_context(e, parts))
      max = e->id;
  }
  return max;
}

/* An entry of any context with @key, or NULL: its GUID is the content's. */
static const entry_t *entry_with_key(const kv_store_t *store, const char *key) {
  for (size_t i = 0; i < store->entry_count; i++)
    if (store->entries[i] && strcmp(store->entries[i]->key, key) == 0)
      return store->entries[i];
  for (size_t i = 0; i < store->context_entry_count; i++)
    if (strcmp(store->context_entries[i]->key, key) == 0)
      return store->context_entries[i];
  return NULL;
}

static entry_t *default_entry(const kv_store_t *store, const char *key);

/* The entry of schema @key in the context of subject @subject. */
static entry_t *find_entry(const kv_store_t *store, const char *subject,
                           const char *key) {
  kv_subject_parts_t parts;
  kv_subject_split(subject, &parts);
  if (is_default_context(&parts))
    return default_entry(store, key);
  for (size_t i = 0; i < store->context_entry_count; i++) {
    entry_t *e = store->context_entries[i];
    if (strcmp(e->key, key) == 0 && entry_in_context(e, &parts))
      return e;
  }
  return NULL;
}

/* The next id of the context of subject @subject. */
static int next_id(const kv_store_t *store, const char *subject) {
  kv_subject_parts_t parts;
  kv_subject_split(subject, &parts);
  return is_default_context(&parts) ? (int)store->entry_count + 1
                                    : context_max_id(store, &parts) + 1;
}

/* Add @entry (its context set) to the context entries.  False on OOM. */
static bool add_context_entry(kv_store_t *store, entry_t *entry) {
  if (!reserve(&store->context_entries, &store->context_entry_capacity,
               store->context_entry_count, sizeof(entry_t *)))
    return false;
  store->context_entries[store->context_entry_count++] = entry;
  return true;
}

static entry_t *default_entry(const kv_store_t *store, const char *key) {
  for (size_t i = 0; i < store->entry_count; i++)
    if (store->entries[i] && strcmp(store->entries[i]->key, key) == 0)
      return store->entries[i];
  return NULL;
}

static entry_t *entry_by_id(const kv_store_t *store, long id) {
  if (id < 1 || (size_t)id > store->entry_count)
    return NULL;
  return store->entries[id - 1];
}

/* The entry whose GUID is @text (either case), or NULL: the default
 * context's first, then the other contexts', as the registry looks. */
static entry_t *entry_by_guid(const kv_store_t *store, const char *text) {
  unsigned char guid[KV_GUID_SIZE];
  char canonical[KV_GUID_TEXT_SIZE];
  if (!kv_guid_parse(text, guid))
    return NULL;
  kv_guid_format(guid, canonical);
  for (size_t i = 0; i < store->entry_count; i++)
    if (store->entries[i] && strcmp(store->entries[i]->guid, canonical) == 0)
      return store->entries[i];
  for (size_t i = 0; i < store->context_entry_count; i++)
    if (strcmp(store->context_entries[i]->guid, canonical) == 0)
      return store->context_entries[i];
  return NULL;
}

/* A new random (version 4, RFC 9562) GUID in text form.  False when the
 * kernel gives no random bytes, which a new schema cannot do without. */
static bool make_guid(char text[KV_GUID_TEXT_SIZE]) {
  unsigned char guid[KV_GUID_SIZE];
  size_t got = 0;
  while (got < sizeof(guid)) {
    ssize_t n = getrandom(guid + got, sizeof(guid) - got, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    got += (size_t)n;
  }
  guid[6] = (unsigned char)((guid[6] & 0x0f) | 0x40); /* version 4 */
  guid[8] = (unsigned char)((guid[8] & 0x3f) | 0x80); /* RFC variant */
  kv_guid_format(guid, text);
  return true;
}

/* Store @c (whose members move into it) under @id of the context of
 * subject @subject with the GUID @guid (text form; NULL: the one the same
 * schema has in another context, else a new one).  NULL on OOM or when no
 * GUID can be made. */
static entry_t *add_entry(kv_store_t *store, candidate_t *c, int id,
                          const char *guid, const char *subject) {
  /* Allocated first: a failure must not leave @id taken by no schema. */
  entry_t *entry = calloc(1, sizeof(*entry));
  if (!entry)
    return NULL;
  const entry_t *same = guid ? NULL : entry_with_key(store, c->key);
  if (same)
    guid = same->guid;
  unsigned char bytes[KV_GUID_SIZE];
  if (guid ? !kv_guid_parse(guid, bytes) : !make_guid(entry->guid)) {
    free(entry);
    return NULL;
  }
  if (guid)
    kv_guid_format(bytes, entry->guid);
  kv_subject_parts_t parts;
  kv_subject_split(subject, &parts);
  if (!is_default_context(&parts)) {
    if (!(entry->context = strndup(parts.context, parts.context_length)) ||
        !add_context_entry(store, entry)) {
      free(entry->context);
      free(entry);
      return NULL;
    }
    goto take;
  }
  while (store->entry_count < (size_t)id) {
    if (!reserve(&store->entries, &store->entry_capacity, store->entry_count,
                 sizeof(entry_t *))) {
      free(entry);
      return NULL;
    }
    store->entries[store->entry_count++] = NULL;
  }
  store->entries[id - 1] = entry;
take:
  entry->id = id;
  entry->schema = c->schema;
  entry->text = c->text;
  entry->refs = c->refs;
  entry->ref_count = c->ref_count;
  entry->key = c->key;
  entry->metadata = c->metadata;
  entry->rule_set = c->rule_set;
  entry->normalized = c->normalize;
  json_decref(c->sent_metadata);
  json_decref(c->sent_rule_set);
  /* The parsed schema holds its own references to what it references. */
  for (size_t i = 0; i < c->ref_count; i++)
    kavro_schema_destroy(c->ref_schemas[i]);
  free(c->ref_schemas);
  memset(c, 0, sizeof(*c));
  return entry;
}

/* ---- compatibility ----------------------------------------------------- */

/* A compatibility group (the config's `compatibilityGroup`): only versions
 * whose metadata property @name has the candidate's @value (both may be
 * absent) are compared with it. */
typedef struct group_s {
  const char *name;  /* NULL: no group, every version */
  const char *value; /* the candidate's; NULL: it has none */
} group_t;

static bool in_group(const group_t *group, const entry_t *entry) {
  if (!group || !group->name)
    return true;
  const char *value = kv_metadata_property(entry->metadata, group->name);
  return value && group->value ? strcmp(value, group->value) == 0
                               : value == group->value;
}

/* The live schemas of @subject that @level compares a candidate with:
 * each version's, oldest first.  @only, when not NULL, is the one version
 * to compare with.  Returns a new array (free it) or NULL on OOM. */
static kavro_schema_t **previous_schemas(subject_t *subject,
                                         const version_t *only,
                                         const group_t *group, size_t *count) {
  *count = 0;
  size_t n = subject ? subject->count : 0;
  kavro_schema_t **previous = calloc(n ? n : 1, sizeof(*previous));
  if (!previous)
    return NULL;
  for (size_t i = 0; i < n; i++) {
    const version_t *v = &subject->versions[i];
    if ((only ? v == only : !v->deleted) && in_group(group, v->entry))
      previous[(*count)++] = v->entry->schema;
  }
  return previous;
}

/* Each incompatibility of @result as the registry words it. */
static void describe_incompat(kv_strbuf_t *sb, const kavro_incompat_t *in) {
  kv_strbuf_printf(sb, "{errorType:'%s', description:'%s', "
                       "additionalInfo:'reader %s, writer %s'}",
                   kavro_incompat_kind_name(in->kind), in->message,
                   in->reader_location, in->writer_location);
}

/* Run the check of @candidate against @previous under @level.  On success
 * *resultp holds the result; otherwise @reply is set. */
static bool run_check(kavro_compat_level_t level, const kavro_schema_t *candidate,
                      kavro_schema_t *const *previous, size_t count,
                      kavro_compat_result_t **resultp, kv_reply_t *reply) {
  kavro_error_t error = {0};
  if (kavro_compat_check_level(level, candidate, previous, count, resultp,
                               &error) == KAVRO_OK)
    return true;
  kv_reply_error(reply, 50001, "Error while checking compatibility: %s",
                 error.text);
  return false;
}

static void incompatible_reply(kv_reply_t *reply, const char *subject,
                               kavro_compat_level_t level,
                               const kavro_compat_result_t *result) {
  kv_strbuf_t sb = KV_STRBUF_INIT;
  size_t n = kavro_compat_result_count(result);
  for (size_t i = 0; i < n && i < MAX_LISTED_INCOMPATIBILITIES; i++) {
    describe_incompat(&sb, kavro_compat_result_get(result, i));
    kv_strbuf_puts(&sb, ", ");
  }
  if (n > MAX_LISTED_INCOMPATIBILITIES)
    kv_strbuf_printf(&sb, "(%zu more), ", n - MAX_LISTED_INCOMPATIBILITIES);
  kv_strbuf_printf(&sb, "{compatibility: '%s'}", kavro_compat_level_name(level));
  kv_reply_error(reply, 409,
                 "Schema being registered is incompatible with an earlier "
                 "schema for subject \"%s\", details: [%s]",
                 subject, kv_strbuf_failed(&sb) ? "" : sb.data);
  kv_strbuf_free(&sb);
}

/* What a compatibility check reads from the store: taken under the lock,
 * with a reference to each schema, so that the check runs without it. */
typedef struct basis_s {
  registry_mode_t mode;
  kavro_compat_level_t level;
  kavro_schema_t **previous; /* owned references, oldest first */
  size_t count;
  char *key; /* the candidate's key as checked (its contract), or NULL */
} basis_t;

static void basis_clear(basis_t *basis) {
  for (size_t i = 0; i < basis->count; i++)
    kavro_schema_destroy(basis->previous[i]);
  free(basis->previous);
  free(basis->key);
  memset(basis, 0, sizeof(*basis));
}

/* The basis of a check for subject @name (its mode and level) against the
 * versions of @history (NULL: none; @only: that one version).  False on
 * OOM. */
static bool take_basis(const kv_store_t *store, const char *name,
                       subject_t *history, const version_t *only,
                       const group_t *group, basis_t *basis) {
  basis->mode = mode_of(store, name);
  basis->level = level_of(store, name);
  basis->previous = previous_schemas(history, only, group, &basis->count);
  if (!basis->previous)
    return false;
  for (size_t i = 0; i < basis->count; i++)
    kavro_schema_dup(basis->previous[i]);
  return true;
}

static bool same_basis(const basis_t *a, const basis_t *b) {
  return a->mode == b->mode && a->level == b->level && a->count == b->count &&
         (a->key && b->key ? strcmp(a->key, b->key) == 0 : a->key == b->key) &&
         (a->count == 0 ||
          memcmp(a->previous, b->previous, a->count * sizeof(*a->previous)) == 0);
}

/* Whether @c may become the next version of subject @name, whose state
 * @basis holds.  False with @reply set when incompatible or when the
 * check fails.  Takes no lock. */
static bool passes_check(const char *name, const basis_t *basis,
                         const candidate_t *c, kv_reply_t *reply) {
  if (basis->mode == MODE_IMPORT)
    return true;
  kavro_compat_result_t *result = NULL;
  bool ok = run_check(basis->level, c->schema, basis->previous, basis->count,
                      &result, reply);
  if (ok && !kavro_compat_result_is_compatible(result)) {
    incompatible_reply(reply, name, basis->level, result);
    ok = false;
  }
  kavro_compat_result_destroy(result);
  return ok;
}

/* ---- the contract a registration gets ---------------------------------- */

/* The config member @name (beside the level) that applies to @subject
 * (NULL: the global one), as AbstractSchemaRegistry.getConfigInScope()
 * finds it: a subject with a config of its own takes its metadata and rule
 * sets from it alone, even when it sets none; `normalize` and
 * `compatibilityGroup` fall back to the global config member by member. */
static const char *config_member_text(const kv_store_t *store,
                                      const char *name, const char *member) {
  return json_string_value(config_member(store, name, member));
}

/* Give @c the contract it gets when registered under subject @name
 * (@subject; NULL when it has none yet) now (maybeSetMetadataRuleSet()):
 * the posted metadata and rule set, or else those of the subject's latest
 * live version, each merged over the config's default and under its
 * override.  False on OOM. */
static bool merge_contract(const kv_store_t *store, const char *name,
                           subject_t *subject, candidate_t *c) {
  version_t *latest = subject ? latest_version(subject, false) : NULL;
  const entry_t *previous = latest ? latest->entry : NULL;
  const json_t *metadata = c->sent_metadata ? c->sent_metadata
                           : previous       ? previous->metadata
                                            : NULL;
  const json_t *rule_set = c->sent_rule_set ? c->sent_rule_set
                           : previous       ? previous->rule_set
                                            : NULL;
  json_t *m = NULL, *mm = NULL, *r = NULL, *rr = NULL;
  bool ok =
      kv_metadata_merge(config_member(store, name, "defaultMetadata"),
                        metadata, &m) &&
      kv_metadata_merge(m, config_member(store, name, "overrideMetadata"),
                        &mm) &&
      kv_rule_set_merge(config_member(store, name, "defaultRuleSet"),
                        rule_set, &r) &&
      kv_rule_set_merge(r, config_member(store, name, "overrideRuleSet"),
                        &rr);
  json_decref(m);
  json_decref(r);
  json_decref(c->metadata);
  json_decref(c->rule_set);
  c->metadata = ok ? mm : NULL;
  c->rule_set = ok ? rr : NULL;
  if (!ok) {
    json_decref(mm);
    json_decref(rr);
  }
  return ok && candidate_key(c);
}

/* ---- registration and lookup ------------------------------------------ */

static version_t *live_version_with(subject_t *subject, const entry_t *entry) {
  for (size_t i = subject ? subject->count : 0; i-- > 0;)
    if (subject->versions[i].entry == entry && !subject->versions[i].deleted)
      return &subject->versions[i];
  return NULL;
}

/* The answer to a registration: the id, and the GUID that Confluent
 * Platform 8 adds (its clients' header-id serializers need it). */
static json_t *register_json(const entry_t *entry) {
  json_t *object = json_pack("{s:i, s:s}", "id", entry->id, "guid", entry->guid);
  /* The registry answers with the contract it registered, which the
   * config and the previous version may have added to the posted one. */
  if (object && !add_contract(object, entry)) {
    json_decref(object);
    return NULL;
  }
  return object;
}

/* The number the next version of @subject gets. */
static int next_version(const subject_t *subject) {
  return subject && subject->count
             ? subject->versions[subject->count - 1].version + 1
             : 1;
}

/* Make version @number of @subject (0: the next one) use @entry: a new
 * version in its place among the others, or an imported one written over
 * the version it names, as the registry's store overwrites a key.  NULL
 * on OOM, else the version. */
static version_t *place_version(subject_t *subject, entry_t *entry, int number) {
  if (!number)
    number = next_version(subject);
  version_t *v = find_version(subject, number);
  if (!v) {
    if (!reserve(&subject->versions, &subject->capacity, subject->count,
                 sizeof(version_t)))
      return NULL;
    size_t at = subject->count;
    while (at > 0 && subject->versions[at - 1].version > number)
      at--;
    memmove(&subject->versions[at + 1], &subject->versions[at],
            (subject->count - at) * sizeof(version_t));
    subject->count++;
    v = &subject->versions[at];
  }
  *v = (version_t){number, entry, entry->id, false};
  return v;
}

/* The name of the context of subject @name (".ctx", or "." for the
 * default one), as a new string; NULL on OOM. */
static char *context_name_of(const char *name) {
  kv_subject_parts_t parts;
  kv_subject_split(name, &parts);
  return strndup(parts.context, parts.context_length);
}

/* The context of subject @name exists again (a version is registered in
 * it): no longer deleted.  False on OOM. */
static bool context_undeleted(kv_store_t *store, const char *name) {
  if (!store->deleted_contexts)
    return true;
  char *context = context_name_of(name);
  json_t *copy = context ? json_copy(store->deleted_contexts) : NULL;
  bool ok = copy != NULL;
  if (ok)
    json_object_del(copy, context);
  free(context);
  if (ok) {
    json_decref(store->deleted_contexts);
    store->deleted_contexts = json_object_size(copy) ? copy : NULL;
    if (!store->deleted_contexts)
      json_decref(copy);
  }
  return ok;
}

static bool referenced(const kv_store_t *store, const subject_t *subject,
                       int number, bool deleted);

/* A schema registered again under @subject as version @number: its
 * soft-deleted versions there before @number are gone, even for
 * ?deleted=true, as Confluent Platform 6.2 and later tombstone them,
 * except one that a reference still names. */
static void drop_replaced_versions(const kv_store_t *store, subject_t *subject,
                                   const entry_t *entry, int number) {
  size_t kept = 0;
  for (size_t i = 0; i < subject->count; i++) {
    const version_t *v = &subject->versions[i];
    if (!v->deleted || v->entry != entry || v->version >= number ||
        referenced(store, subject, v->version, true))
      subject->versions[kept++] = *v;
  }
  subject->count = kept;
}

/* The "id" and "version" a registration names (RegisterSchemaRequest);
 * 0: none.  An id makes it an import. */
typedef struct wanted_s {
  int id;
  int version;
} wanted_t;

/* Add @c (or @entry, the same schema already stored in the context) as
 * version @wanted->version of subject @name (0: the next), with id
 * @wanted->id (0: the next of the context). */
static void add_version(kv_store_t *store, const char *name, candidate_t *c,
                        entry_t *entry, const wanted_t *wanted,
                        kv_reply_t *reply) {
  subject_t *subject;
  version_t *v;
  int id = wanted->id ? wanted->id : next_id(store, name);
  if ((!entry && !(entry = add_entry(store, c, id, NULL, name))) ||
      !(subject = add_subject(store, name)) ||
      !(v = place_version(subject, entry, wanted->version)) ||
      !context_undeleted(store, name)) {
    reply_out_of_memory(reply);
    return;
  }
  drop_replaced_versions(store, subject, entry, v->version);
  store->changes++;
  kv_reply_json(reply, register_json(entry));
}

/* Where a registration stands after a pass under the lock. */
typedef enum register_step_e {
  REGISTER_DONE,  /* @reply holds the answer */
  REGISTER_CHECK, /* check the candidate against the basis taken */
  REGISTER_PARSE  /* a reference moved: parse the schema again */
} register_step_t;

static entry_t *version_entry(const kv_store_t *store, const char *name,
                              int id);

/* Whether @subject already has @entry as @wanted names it, which the
 * registry answers with the schema it has (registerOrForward()): without
 * a version, as a live version (with the id asked for, if any); with one,
 * as that version, live, with that id. */
static bool already_registered(subject_t *subject, const entry_t *entry,
                               const wanted_t *wanted) {
  if (!entry)
    return false;
  if (!wanted->version)
    return live_version_with(subject, entry) &&
           (!wanted->id || wanted->id == entry->id);
  const version_t *v = subject ? find_version(subject, wanted->version) : NULL;
  return wanted->id == entry->id && v && v->entry == entry && !v->deleted;
}

/* A registration the mode refuses (AbstractSchemaRegistry.checkRegisterMode()):
 * an id outside IMPORT mode, none in it.  42205 in @reply. */
static bool refuse_for_mode(const kv_store_t *store, const char *name,
                            const wanted_t *wanted, kv_reply_t *reply) {
  bool importing = mode_of(store, name) == MODE_IMPORT;
  if (wanted->id && !importing)
    kv_reply_error(reply, 42205, "Subject %s is not in import mode", name);
  else if (!wanted->id && importing)
    kv_reply_error(reply, 42205, "Subject %s is not in read-write mode", name);
  else
    return false;
  return true;
}

/* One pass of a registration, under the lock: answer what needs no check
 * (read-only mode, a schema the subject already has), or register @c when
 * @checked, the basis its check passed against (NULL: none yet), is still
 * the subject's.  The lock was released since @checked was taken, so
 * anything may have changed: then *@basis is what the next check reads.
 * With an id (IMPORT mode), the schema takes it unless another schema of
 * the context has it; with a version, it takes that number. */
static register_step_t register_locked(kv_store_t *store, const char *name,
                                       candidate_t *c, const wanted_t *wanted,
                                       const basis_t *checked, basis_t *basis,
                                       kv_reply_t *reply) {
  if (refuse_if_read_only(store, name, reply))
    return REGISTER_DONE;
  if (refs_moved(store, c))
    return REGISTER_PARSE;
  subject_t *subject = find_subject(store, name);
  if (mode_of(store, name) != MODE_IMPORT &&
      !merge_contract(store, name, subject, c)) {
    reply_out_of_memory(reply);
    return REGISTER_DONE;
  }
  entry_t *entry = wanted->id ? version_entry(store, name, wanted->id)
                              : find_entry(store, name, c->key);
  bool taken = entry && strcmp(entry->key, c->key) != 0;
  if (!taken && already_registered(subject, entry, wanted)) {
    kv_reply_json(reply, register_json(entry));
    return REGISTER_DONE;
  }
  if (refuse_for_mode(store, name, wanted, reply))
    return REGISTER_DONE;
  if (taken) { /* checkIfSchemaWithIdExist() */
    kv_reply_error(reply, 42205,
                   "Overwrite new schema with id %d is not permitted.",
                   wanted->id);
    return REGISTER_DONE;
  }
  group_t group = {config_member_text(store, name, "compatibilityGroup"), NULL};
  group.value = group.name ? kv_metadata_property(c->metadata, group.name) : NULL;
  if (!take_basis(store, name, subject, NULL, &group, basis) ||
      !(basis->key = strdup(c->key))) {
    reply_out_of_memory(reply);
    return REGISTER_DONE;
  }
  if (basis->mode != MODE_IMPORT && !(checked && same_basis(checked, basis)))
    return REGISTER_CHECK;
  if (basis->mode != MODE_IMPORT && wanted->version &&
      wanted->version != next_version(subject)) {
    kv_reply_error(reply, 42201, "Version is not one more than previous version");
    return REGISTER_DONE;
  }
  add_version(store, name, c, entry, wanted, reply);
  return REGISTER_DONE;
}

/* Imported ids go up to this: the default context keeps its schemas in a
 * table indexed by id, which an id must not blow up. */
#define MAX_IMPORTED_ID (1 << 22)

/* Read the "id" and "version" of a registration's @body into @wanted, as
 * the registry reads them: a negative id or a version below 1 is none.
 * False with @reply set. */
static bool read_wanted(const json_t *body, wanted_t *wanted, kv_reply_t *reply) {
  const json_t *id = json_object_get(body, "id");
  const json_t *version = json_object_get(body, "version");
  json_int_t id_value = json_is_integer(id) ? json_integer_value(id) : -1;
  json_int_t version_value = json_is_integer(version) ? json_integer_value(version) : 0;
  if ((id && !json_is_null(id) && !json_is_integer(id)) ||
      (version && !json_is_null(version) && !json_is_integer(version)) ||
      version_value > INT_MAX) {
    kv_reply_error(reply, 422, "Unrecognized request body: \"id\" and "
                               "\"version\" must be integers");
    return false;
  }
  if (id_value == 0 || id_value > MAX_IMPORTED_ID) {
    kv_reply_error(reply, 42201, "Invalid schema: id %lld is not one this mock "
                                 "registry stores (1 to %d)",
                   (long long)id_value, MAX_IMPORTED_ID);
    return false;
  }
  wanted->id = id_value > 0 ? (int)id_value : 0;
  wanted->version = version_value > 0 ? (int)version_value : 0;
  return true;
}

/* Whether subject @name refuses writes now (42205 in @reply).  Checked
 * before the schema is parsed, as the registry does. */
static bool read_only_now(kv_store_t *store, const char *name, kv_reply_t *reply) {
  pthread_mutex_lock(&store->lock);
  bool refused = refuse_if_read_only(store, name, reply);
  pthread_mutex_unlock(&store->lock);
  return refused;
}

void kv_store_register(kv_store_t *store, const char *name, const json_t *body,
                       bool normalize, kv_reply_t *reply) {
  wanted_t wanted;
  if (read_only_now(store, name, reply) || !read_wanted(body, &wanted, reply))
    return;
  candidate_t c = {0};
  basis_t checked = {0}, basis = {0};
  bool has_checked = false;
  register_step_t step = REGISTER_PARSE;
  while (step != REGISTER_DONE) {
    if (step == REGISTER_PARSE) {
      candidate_free(&c);
      has_checked = false;
      if (!prepare_candidate(store, name, body, normalizing(normalize), &c,
                             READ_NEW, reply))
        break;
    }
    change_t change;
    if (!change_begin(store, &change, reply))
      break;
    step = register_locked(store, name, &c, &wanted,
                           has_checked ? &checked : NULL, &basis, reply);
    change_end(store, &change, reply);
    if (step == REGISTER_CHECK) {
      basis_clear(&checked);
      checked = basis;
      memset(&basis, 0, sizeof(basis));
      has_checked = true;
      if (store->check_hook)
        store->check_hook(store->check_hook_opaque);
      if (!passes_check(name, &checked, &c, reply))
        break;
    }
    basis_clear(&basis);
  }
  basis_clear(&checked);
  basis_clear(&basis);
  candidate_free(&c);
}

/* Whether subject @name shows (soft-deleted versions too when @deleted);
 * 40401 in @reply when not. */
static bool subject_shows(kv_store_t *store, const char *name, bool deleted,
                          kv_reply_t *reply) {
  pthread_mutex_lock(&store->lock);
  bool shows = subject_visible(find_subject(store, name), deleted);
  pthread_mutex_unlock(&store->lock);
  if (!shows)
    subject_not_found(reply, name);
  return shows;
}

/* The latest version of @subject whose schema has @c's key (soft-deleted
 * ones too when @deleted), or NULL. */
static const version_t *version_with_key(const kv_store_t *store,
                                         const subject_t *subject,
                                         const candidate_t *c, bool deleted) {
  entry_t *entry = find_entry(store, subject->name, c->key);
  for (size_t i = subject->count; entry && i-- > 0;) {
    const version_t *v = &subject->versions[i];
    if (v->entry == entry && (deleted || !v->deleted))
      return v;
  }
  return NULL;
}

static void lookup_locked(kv_store_t *store, const char *name,
                          candidate_t *c, bool deleted, kv_reply_t *reply) {
  subject_t *subject = find_subject(store, name);
  if (!subject_visible(subject, deleted)) {
    subject_not_found(reply, name);
    return;
  }
  const version_t *v = version_with_key(store, subject, c, deleted);
  /* Not found as posted: as the registry does, look again for the schema
   * with the contract a registration would give it. */
  char *posted = v ? NULL : strdup(c->key);
  if (!v && !posted) {
    reply_out_of_memory(reply);
    return;
  }
  if (!v && latest_version(subject, false)) {
    if (!merge_contract(store, name, subject, c)) {
      free(posted);
      reply_out_of_memory(reply);
      return;
    }
    if (strcmp(posted, c->key) != 0)
      v = version_with_key(store, subject, c, deleted);
  }
  free(posted);
  if (v)
    kv_reply_json(reply, version_json(subject, v, reply));
  else
    kv_reply_error(reply, 40403, "Schema not found");
}

void kv_store_lookup(kv_store_t *store, const char *subject,
                     const json_t *body, bool deleted, bool normalize,
                     kv_reply_t *reply) {
  if (!subject_shows(store, subject, deleted, reply))
    return;
  candidate_t c = {0};
  if (prepare_candidate(store, subject, body, normalizing(normalize), &c,
                        READ_HELD, reply)) {
    pthread_mutex_lock(&store->lock);
    lookup_locked(store, subject, &c, deleted, reply);
    pthread_mutex_unlock(&store->lock);
  }
  candidate_free(&c);
}

/* ---- reading ----------------------------------------------------------- */

static void versions_locked(kv_store_t *store, const char *name, bool deleted,
                            kv_reply_t *reply) {
  subject_t *subject = find_subject(store, name);
  if (!subject_visible(subject, deleted)) {
    subject_not_found(reply, name);
    return;
  }
  json_t *array = json_array();
  for (size_t i = 0; array && i < subject->count; i++) {
    if (subject->versions[i].deleted && !deleted)
      continue;
    if (json_array_append_new(array, json_integer(subject->versions[i].version))) {
      json_decref(array);
      array = NULL;
    }
  }
  kv_reply_json(reply, array);
}

void kv_store_versions(kv_store_t *store, const char *subject, bool deleted,
                       kv_reply_t *reply) {
  pthread_mutex_lock(&store->lock);
  versions_locked(store, subject, deleted, reply);
  pthread_mutex_unlock(&store->lock);
}

/* The version @text of subject @name a reader sees, or NULL with @reply
 * set. */
static version_t *visible_version(kv_store_t *store, const char *name,
                                  const char *text, bool deleted,
                                  subject_t **subjectp, kv_reply_t *reply) {
  int number;
  if (!kv_mock_parse_version(text, &number)) {
    invalid_version(reply, text);
    return NULL;
  }
  subject_t *subject = find_subject(store, name);
  if (!subject_visible(subject, deleted)) {
    subject_not_found(reply, name);
    return NULL;
  }
  version_t *v = number == -1 ? latest_version(subject, deleted)
                              : find_version(subject, number);
  if (!v || (v->deleted && !deleted)) {
    kv_reply_error(reply, 40402, "Version %s not found.", text);
    return NULL;
  }
  *subjectp = subject;
  return v;
}

void kv_store_get_version(kv_store_t *store, const char *name,
                          const char *version, bool deleted, bool raw,
                          kv_reply_t *reply) {
  pthread_mutex_lock(&store->lock);
  subject_t *subject;
  version_t *v = visible_version(store, name, version, deleted, &subject, reply);
  if (v && raw) {
    if (!(reply->raw = served_text(v->entry, reply)))
      reply_out_of_memory(reply);
    else
      reply->status = 200;
  } else if (v) {
    kv_reply_json(reply, version_json(subject, v, reply));
  }
  pthread_mutex_unlock(&store->lock);
}

/* Whether @ref, of a version of subject @referrer, names version @v of
 * @subject.  A reference to "latest" (-1) names no version here, as the
 * registry indexes referrers by the version a reference holds
 * (InMemoryCache.referencesSchema()). */
static bool ref_names_version(const char *referrer, const ref_t *ref,
                              const subject_t *subject, const version_t *v) {
  return ref->version == v->version && ref_names(referrer, ref, subject->name);
}

static int compare_ints(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* The ids of the schemas that reference version @v of @subject, as a
 * sorted JSON array without repeats; NULL on OOM. */
static json_t *referrer_ids(const kv_store_t *store, const subject_t *subject,
                            const version_t *v, bool deleted) {
  size_t count = 0, capacity = 0;
  int *ids = NULL;
  for (size_t i = 0; i < store->subject_count; i++) {
    const subject_t *s = store->subjects[i];
    for (size_t j = 0; j < s->count; j++) {
      const version_t *w = &s->versions[j];
      for (size_t k = 0; (deleted || !w->deleted) && k < w->entry->ref_count; k++) {
        if (!ref_names_version(s->name, &w->entry->refs[k], subject, v))
          continue;
        if (!reserve(&ids, &capacity, count, sizeof(*ids))) {
          free(ids);
          return NULL;
        }
        ids[count++] = w->entry->id;
      }
    }
  }
  if (count)
    qsort(ids, count, sizeof(*ids), compare_ints);
  json_t *array = json_array();
  for (size_t i = 0; array && i < count; i++) {
    if ((i == 0 || ids[i] != ids[i - 1]) &&
        json_array_append_new(array, json_integer(ids[i]))) {
      json_decref(array);
      array = NULL;
    }
  }
  free(ids);
  return array;
}

void kv_store_referenced_by(kv_store_t *store, const char *name,
                            const char *version, bool deleted,
                            kv_reply_t *reply) {
  pthread_mutex_lock(&store->lock);
  subject_t *subject;
  /* SubjectVersionsResource.getReferencedBy() reads the version with
   * deleted=true, whatever the request says. */
  const version_t *v = visible_version(store, name, version, true, &subject, reply);
  if (v)
    kv_reply_json(reply, referrer_ids(store, subject, v, deleted));
  pthread_mutex_unlock(&store->lock);
}

/* GET /subjects/{subject}/metadata (getLatestWithMetadata()): the latest
 * version whose metadata has every property of @wanted. */
void kv_store_latest_with_metadata(kv_store_t *store, const char *name,
                                   const json_t *wanted, bool deleted,
                                   kv_reply_t *reply) {
  pthread_mutex_lock(&store->lock);
  subject_t *subject = find_subject(store, name);
  const version_t *match = NULL;
  for (size_t i = subject ? subject->count : 0; !match && i-- > 0;) {
    const version_t *v = &subject->versions[i];
    if ((deleted || !v->deleted) && kv_metadata_matches(v->entry->metadata, wanted))
      match = v;
  }
  if (match)
    kv_reply_json(reply, version_json(subject, match, reply));
  else if (!subject_visible(subject, deleted))
    subject_not_found(reply, name);
  else
    kv_reply_error(reply, 40403, "Schema not found");
  pthread_mutex_unlock(&store->lock);
}

/* Whether some version (soft-deleted ones when @deleted) uses @entry. */
static bool entry_in_use(const kv_store_t *store, const entry_t *entry,
                         bool deleted) {
  for (size_t i = 0; i < store->subject_count; i++) {
    const subject_t *s = store->subjects[i];
    for (size_t j = 0; j < s->count; j++)
      if (s->versions[j].entry == entry && (deleted || !s->versions[j].deleted))
        return true;
  }
  return false;
}

static int compare_strings(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Subjects that pass @keep, sorted by name, as a JSON array of names. */
static json_t *subject_names(const kv_store_t *store,
                             bool (*keep)(const subject_t *, const void *),
                             const void *ctx) {
  const char **names = calloc(store->subject_count + 1, sizeof(*names));
  json_t *array = names ? json_array() : NULL;
  size_t n = 0;
  for (size_t i = 0; array && i < store->subject_count; i++)
    if (keep(store->subjects[i], ctx))
      names[n++] = store->subjects[i]->name;
  if (n)
    qsort(names, n, sizeof(*names), compare_strings);
  for (size_t i = 0; array && i < n; i++) {
    if (json_array_append_new(array, json_string(names[i]))) {
      json_decref(array);
      array = NULL;
    }
  }
  free(names);
  return array;
}

typedef struct uses_s {
  const entry_t *entry;
  bool deleted;
} uses_t;

static bool subject_uses(const subject_t *subject, const void *ctx) {
  const uses_t *uses = ctx;
  for (size_t j = 0; j < subject->count; j++)
    if (subject->versions[j].entry == uses->entry &&
        (uses->deleted || !subject->versions[j].deleted))
      return true;
  return false;
}

static json_t *id_versions(const kv_store_t *store, const entry_t *entry,
                           bool deleted) {
  json_t *array = json_array();
  for (size_t i = 0; array && i < store->subject_count; i++) {
    const subject_t *s = store->subjects[i];
    for (size_t j = 0; j < s->count; j++) {
      const version_t *v = &s->versions[j];
      if (v->entry != entry || (v->deleted && !deleted))
        continue;
      if (json_array_append_new(array, json_pack("{s:s, s:i}", "subject",
                                                 s->name, "version",
                                                 v->version))) {
        json_decref(array);
        return NULL;
      }
    }
  }
  return array;
}

/* The ids the schema of @guid has, one per context: [{"context", "id"}],
 * the default context first. */
static json_t *ids_of_guid(const kv_store_t *store, const char *guid) {
  json_t *array = json_array();
  for (size_t i = 0; array && i < store->entry_count; i++) {
    const entry_t *e = store->entries[i];
    if (e && strcmp(e->guid, guid) == 0 &&
        json_array_append_new(array, json_pack("{s:s, s:i}", "context",
                                               KV_DEFAULT_CONTEXT, "id", e->id)))
      goto fail;
  }
  for (size_t i = 0; array && i < store->context_entry_count; i++) {
    const entry_t *e = store->context_entries[i];
    if (strcmp(e->guid, guid) == 0 &&
        json_array_append_new(array, json_pack("{s:s, s:i}", "context",
                                               e->context, "id", e->id)))
      goto fail;
  }
  return array;
fail:
  json_decref(array);
  return NULL;
}

/* Answer @view of @entry, found by id or GUID @text. */
static void entry_view_locked(kv_store_t *store, entry_t *entry,
                              const char *text, kv_id_view_t view, bool deleted,
                              kv_reply_t *reply) {
  /* A soft-deleted version's id still resolves, as in the registry. */
  if (!entry || !entry_in_use(store, entry, true)) {
    kv_reply_error(reply, 40403, "Schema %s not found", text);
    return;
  }
  json_t *json = NULL;
  uses_t uses = {entry, deleted};
  switch (view) {
  case KV_ID_RAW:
    if (!(reply->raw = served_text(entry, reply)))
      reply_out_of_memory(reply);
    else
      reply->status = 200;
    return;
  case KV_ID_SCHEMA: {
    char *schema = served_text(entry, reply);
    json = schema ? json_pack("{s:s, s:s}", "guid", entry->guid, "schema", schema)
                  : NULL;
    free(schema);
    if (json && (!add_refs(json, entry) || !add_contract(json, entry))) {
      json_decref(json);
      json = NULL;
    }
    break;
  }
  case KV_ID_VERSIONS:
    json = id_versions(store, entry, deleted);
    break;
  case KV_ID_SUBJECTS:
    json = subject_names(store, subject_uses, &uses);
    break;
  case KV_ID_IDS:
    json = ids_of_guid(store, entry->guid);
    break;
  }
  kv_reply_json(reply, json);
}

/* Whether some version of @subject uses @entry. */
static bool subject_has_entry(const subject_t *subject, const entry_t *entry) {
  for (size_t j = 0; subject && j < subject->count; j++)
    if (subject->versions[j].entry == entry)
      return true;
  return false;
}

/* Id @id of another context, for the unqualified subject @name: the
 * registry tries ":.ctx:@name" in each context and takes the first whose
 * subject has a version with that id. */
static entry_t *id_in_other_contexts(const kv_store_t *store, long id,
                                     const char *name) {
  for (size_t i = 0; i < store->context_entry_count; i++) {
    entry_t *e = store->context_entries[i];
    if (e->id != id)
      continue;
    kv_strbuf_t qualified = KV_STRBUF_INIT;
    kv_strbuf_printf(&qualified, ":%s:%s", e->context, name);
    bool found = !kv_strbuf_failed(&qualified) &&
                 subject_has_entry(find_subject(store, qualified.data), e);
    kv_strbuf_free(&qualified);
    if (found)
      return e;
  }
  return NULL;
}

/* Id @id as a request naming @subject (NULL: none) sees it: in the
 * subject's context; for an unqualified subject, in the default context,
 * else in another context that has the subject with that id. */
static entry_t *entry_for_id(const kv_store_t *store, long id,
                             const char *subject) {
  kv_subject_parts_t parts;
  kv_subject_split(subject ? subject : "", &parts);
  if (!is_default_context(&parts))
    return context_entry_by_id(store, &parts, id);
  entry_t *entry = entry_by_id(store, id);
  if (!entry && subject && *subject)
    entry = id_in_other_contexts(store, id, parts.name);
  return entry;
}

static void by_id_locked(kv_store_t *store, const char *text,
                         const char *subject, kv_id_view_t view, bool deleted,
                         kv_reply_t *reply) {
  char *end;
  errno = 0;
  long id = strtol(text, &end, 10);
  entry_t *entry = (*text >= '0' && *text <= '9' && !*end && !errno)
                       ? entry_for_id(store, id, subject)
                       : NULL;
  entry_view_locked(store, entry, text, view, deleted, reply);
}

void kv_store_by_id(kv_store_t *store, const char *id, kv_id_view_t view,
                    bool deleted, kv_reply_t *reply) {
  kv_store_by_id_in(store, id, NULL, view, deleted, reply);
}

void kv_store_by_id_in(kv_store_t *store, const char *id, const char *subject,
                       kv_id_view_t view, bool deleted, kv_reply_t *reply) {
  pthread_mutex_lock(&store->lock);
  by_id_locked(store, id, subject, view, deleted, reply);
  pthread_mutex_unlock(&store->lock);
}

void kv_store_by_guid(kv_store_t *store, const char *guid, kv_id_view_t view,
                      bool deleted, kv_reply_t *reply) {
  pthread_mutex_lock(&store->lock);
  entry_view_locked(store, entry_by_guid(store, guid), guid, view, deleted,
                    reply);
  pthread_mutex_unlock(&store->lock);
}

static bool subject_listed(const subject_t *subject, const void *ctx) {
  return subject_visible(subject, *(const bool *)ctx);
}

void kv_store_subjects(kv_store_t *store, bool deleted, kv_reply_t *reply) {
  pthread_mutex_lock(&store->lock);
  kv_reply_json(reply, subject_names(store, subject_listed, &deleted));
  pthread_mutex_unlock(&store->lock);
}

typedef struct prefixed_s {
  bool deleted;
  const char *prefix;
} prefixed_t;

/* Whether @subject is listed under the prefix: ":*:" stands for every
 * context (what follows it prefixes the name within the context). */
static bool subject_prefixed(const subject_t *subject, const void *ctx) {
  const prefixed_t *p = ctx;
  if (!subject_visible(subject, p->deleted))
    return false;
  if (strncmp(p->prefix, ":*:", 3) != 0)
    return strncmp(subject->name, p->prefix, strlen(p->prefix)) == 0;
  kv_subject_parts_t parts;
  kv_subject_split(subject->name, &parts);
  return strncmp(parts.name, p->prefix + 3, strlen(p->prefix + 3)) == 0;
}

void kv_store_subjects_prefixed(kv_store_t *store, const char *prefix,
                                bool deleted, kv_reply_t *reply) {
  prefixed_t p = {deleted, prefix ? prefix : ":*:"};
  pthread_mutex_lock(&store->lock);
  kv_reply_json(reply, subject_names(store, subject_prefixed, &p));
  pthread_mutex_unlock(&store->lock);
}

/* Add the context of subject @name to @names (a set of @count, the
 * default context left out).  False on OOM. */
static bool note_context(char ***names, size_t *count, size_t *capacity,
                         const char *context, size_t length) {
  if (length == 1 && context[0] == '.')
    return true;
  for (size_t i = 0; i < *count; i++)
    if (strlen((*names)[i]) == length && memcmp((*names)[i], context, length) == 0)
      return true;
  char *copy = strndup(context, length);
  if (!copy || !reserve(names, capacity, *count, sizeof(char *))) {
    free(copy);
    return false;
  }
  (*names)[(*count)++] = copy;
  return true;
}

/* The contexts: the default one first, then those holding schemas or
 * subjects, sorted, as GET /contexts lists them. */
static json_t *contexts_locked(const kv_store_t *store) {
  char **names = NULL;
  size_t count = 0, capacity = 0;
  bool ok = true;
  for (size_t i = 0; ok && i < store->context_entry_count; i++) {
    const char *c = store->context_entries[i]->context;
    if (!json_object_get(store->deleted_contexts, c))
      ok = note_context(&names, &count, &capacity, c, strlen(c));
  }
  for (size_t i = 0; ok && i < store->subject_count; i++) {
    kv_subject_parts_t parts;
    kv_subject_split(store->subjects[i]->name, &parts);
    if (store->subjects[i]->count)
      ok = note_context(&names, &count, &capacity, parts.context,
                        parts.context_length);
  }
  if (count)
    qsort(names, count, sizeof(*names), compare_strings);
  json_t *array = ok ? json_pack("[s]", KV_DEFAULT_CONTEXT) : NULL;
  for (size_t i = 0; i < count; i++) {
    if (array && json_array_append_new(array, json_string(names[i]))) {
      json_decref(array);
      array = NULL;
    }
    free(names[i]);
  }
  free(names);
  return array;
}

/* Whether a subject of context @context (".ctx") has a version, soft-deleted
 * ones too. */
static bool context_has_subjects(const kv_store_t *store, const char *context) {
  for (size_t i = 0; i < store->subject_count; i++) {
    kv_subject_parts_t parts;
    kv_subject_split(store->subjects[i]->name, &parts);
    if (store->subjects[i]->count && strlen(context) == parts.context_length &&
        memcmp(context, parts.context, parts.context_length) == 0)
      return true;
  }
  return false;
}

/* DELETE /contexts/{context} under the lock (deleteContextOrForward()). */
static bool delete_context_locked(kv_store_t *store, const char *context,
                                  kv_reply_t *reply) {
  char prefix[KV_CONTEXT_SUBJECT_MAX];
  if (!kv_context_prefix(context, prefix, sizeof(prefix))) {
    kv_reply_error(reply, 42208, "The specified context '%s' is not valid",
                   context);
    return false;
  }
  char *name = context_name_of(prefix);
  if (!name) {
    reply_out_of_memory(reply);
    return false;
  }
  bool deleted = false;
  if (context_has_subjects(store, name)) {
    kv_reply_error(reply, 42211, "The specified context '%s' is not empty.",
                   prefix[0] ? prefix : KV_DEFAULT_CONTEXT);
  } else if (strcmp(name, KV_DEFAULT_CONTEXT) == 0) {
    kv_reply_no_content(reply); /* the default context stays */
  } else {
    json_t *copy = store->deleted_contexts ? json_copy(store->deleted_contexts)
                                           : json_object();
    if (copy && json_object_set_new(copy, name, json_true()) == 0) {
      json_decref(store->deleted_contexts);
      store->deleted_contexts = copy;
      deleted = true;
      kv_reply_no_content(reply);
    } else {
      json_decref(copy);
      reply_out_of_memory(reply);
    }
  }
  free(name);
  return deleted;
}

void kv_store_delete_context(kv_store_t *store, const char *context,
                             kv_reply_t *reply) {
  change_t change;
  if (!change_begin(store, &change, reply))
    return;
  if (delete_context_locked(store, context, reply))
    store->changes++;
  change_end(store, &change, reply);
}

void kv_store_contexts(kv_store_t *store, kv_reply_t *reply) {
  pthread_mutex_lock(&store->lock);
  kv_reply_json(reply, contexts_locked(store));
  pthread_mutex_unlock(&store->lock);
}

/* ---- associations (their rules are mock_assoc.c's) ----------------------- */

bool kv_store_subject_live_locked(const kv_store_t *store, const char *name) {
  const subject_t *subject = find_subject(store, name);
  return subject && has_live_version(subject);
}

void kv_store_with_assocs(kv_store_t *store, bool change, kv_assoc_fn fn,
                          void *opaque, kv_reply_t *reply) {
  if (!change) {
    pthread_mutex_lock(&store->lock);
    fn(store, &store->assocs, opaque, reply);
    pthread_mutex_unlock(&store->lock);
    return;
  }
  /* Remembered, so that a change that fails half-way (a cascade that
   * cannot delete a subject) is undone as a whole. */
  change_t c;
  if (!change_begin_as(store, &c, true, reply))
    return;
  if (fn(store, &store->assocs, opaque, reply))
    store->changes++;
  else if (reply->error_code)
    undo(store, &c);
  change_end(store, &c, reply);
}

void kv_store_with_deks(kv_store_t *store, bool change, kv_deks_fn fn,
                        void *opaque, kv_reply_t *reply) {
  change_t c;
  if (!change) {
    pthread_mutex_lock(&store->lock);
    fn(store, store->deks, opaque, reply);
    pthread_mutex_unlock(&store->lock);
  } else if (change_begin(store, &c, reply)) {
    if (fn(store, store->deks, opaque, reply))
      store->changes++;
    change_end(store, &c, reply);
  }
}

bool kv_store_read_only_locked(const kv_store_t *store, const char *name) {
  return read_only(store, name);
}

bool kv_store_import_mode_locked(const kv_store_t *store, const char *name) {
  return mode_of(store, name) == MODE_IMPORT;
}

/* ---- deleting ---------------------------------------------------------- */

/* Whether a version of another subject (soft-deleted ones too when
 * @deleted) references version @number of @subject: such a version cannot
 * be deleted (42206). */
static bool referenced(const kv_store_t *store, const subject_t *subject,
                       int number, bool deleted) {
  for (size_t i = 0; i < store->subject_count; i++) {
    const subject_t *s = store->subjects[i];
    for (size_t j = 0; s != subject && j < s->count; j++) {
      const version_t *v = &s->versions[j];
      if (v->deleted && !deleted)
        continue;
      for (size_t k = 0; k < v->entry->ref_count; k++) {
        const ref_t *ref = &v->entry->refs[k];
        if (ref->version == number && ref_names(s->name, ref, subject->name))
          return true;
      }
    }
  }
  return false;
}

bool kv_store_subject_referenced_locked(const kv_store_t *store,
                                        const char *name) {
  const subject_t *subject = find_subject(store, name);
  for (size_t i = 0; subject && i < subject->count; i++)
    if (referenced(store, subject, subject->versions[i].version, true))
      return true;
  return false;
}

static bool refuse_if_referenced(const kv_store_t *store, const subject_t *subject,
                                 const version_t *v, bool permanent,
                                 kv_reply_t *reply) {
  if (!referenced(store, subject, v->version, permanent))
    return false;
  kv_reply_error(reply, 42206,
                 "One or more references exist to the schema "
                 "{subject=%s,version=%d}.",
                 subject->name, v->version);
  return true;
}

static void delete_subject_locked(kv_store_t *store, const char *name,
                                  bool permanent, kv_reply_t *reply) {
  if (refuse_if_read_only(store, name, reply))
    return;
  subject_t *subject = find_subject(store, name);
  if (!subject || subject->count == 0) {
    subject_not_found(reply, name);
    return;
  }
  bool live = has_live_version(subject);
  if (!permanent && !live) {
    kv_reply_error(reply, 40404, "Subject '%s' was soft deleted.", name);
    return;
  }
  if (permanent && live) {
    kv_reply_error(reply, 40405, "Subject '%s' was not deleted first before "
                                 "being permanently deleted",
                   name);
    return;
  }
  for (size_t i = 0; i < subject->count; i++)
    if ((permanent || !subject->versions[i].deleted) &&
        refuse_if_referenced(store, subject, &subject->versions[i], permanent,
                             reply))
      return;
  json_t *deleted = json_array();
  for (size_t i = 0; deleted && i < subject->count; i++) {
    version_t *v = &subject->versions[i];
    if (!permanent && v->deleted)
      continue;
    v->deleted = true;
    if (json_array_append_new(deleted, json_integer(v->version))) {
      json_decref(deleted);
      deleted = NULL;
    }
  }
  if (permanent) {
    subject->count = 0;
    subject->has_level = subject->has_mode = false;
    drop_subject_if_empty(store, subject);
  }
  store->changes++;
  kv_reply_json(reply, deleted);
}

bool kv_store_delete_subject_locked(kv_store_t *store, const char *name,
                                    kv_reply_t *reply) {
  const subject_t *subject = find_subject(store, name);
  if (subject && has_live_version(subject)) {
    delete_subject_locked(store, name, false, reply);
    if (reply->error_code)
      return false;
    kv_reply_clear(reply);
  }
  if (find_subject(store, name)) {
    delete_subject_locked(store, name, true, reply);
    if (reply->error_code)
      return false;
    kv_reply_clear(reply);
  }
  return true;
}

void kv_store_delete_subject(kv_store_t *store, const char *subject,
                             bool permanent, kv_reply_t *reply) {
  change_t change;
  if (!change_begin(store, &change, reply))
    return;
  delete_subject_locked(store, subject, permanent, reply);
  change_end(store, &change, reply);
}

static void delete_version_locked(kv_store_t *store, const char *name,
                                  const char *text, bool permanent,
                                  kv_reply_t *reply) {
  if (refuse_if_read_only(store, name, reply))
    return;
  int number;
  if (!kv_mock_parse_version(text, &number)) {
    invalid_version(reply, text);
    return;
  }
  subject_t *subject = find_subject(store, name);
  if (!subject || subject->count == 0) {
    subject_not_found(reply, name);
    return;
  }
  version_t *v = number == -1 ? latest_version(subject, true)
                              : find_version(subject, number);
  if (!v) {
    kv_reply_error(reply, 40402, "Version %s not found.", text);
    return;
  }
  if (!permanent && v->deleted) {
    kv_reply_error(reply, 40406, "Subject '%s' Version %d was soft deleted.",
                   name, v->version);
    return;
  }
  if (permanent && !v->deleted) {
    kv_reply_error(reply, 40407, "Subject '%s' Version %d was not deleted "
                                 "first before being permanently deleted",
                   name, v->version);
    return;
  }
  if (refuse_if_referenced(store, subject, v, permanent, reply))
    return;
  int deleted_number = v->version;
  if (permanent) {
    size_t at = (size_t)(v - subject->versions);
    memmove(v, v + 1, (subject->count - at - 1) * sizeof(*v));
    subject->count--;
    if (subject->count == 0)
      subject->has_level = subject->has_mode = false;
    drop_subject_if_empty(store, subject);
  } else {
    v->deleted = true;
  }
  store->changes++;
  kv_reply_json(reply, json_integer(deleted_number));
}

void kv_store_delete_version(kv_store_t *store, const char *subject,
                             const char *version, bool permanent,
                             kv_reply_t *reply) {
  change_t change;
  if (!change_begin(store, &change, reply))
    return;
  delete_version_locked(store, subject, version, permanent, reply);
  change_end(store, &change, reply);
}

/* ---- configuration and mode -------------------------------------------- */

/* The config of subject @name (NULL: the global one) as GET and PUT
 * /config answer it, the level under @level_member: with @in_scope, what
 * applies to the subject (its own members, else its scope's); otherwise
 * what the subject itself sets (the level only when it has one). */
static json_t *config_json(const kv_store_t *store, const char *name,
                           const char *level_member, bool in_scope) {
  const subject_t *subject = name ? find_subject(store, name) : NULL;
  json_t *object = json_object();
  const json_t *own = subject ? subject->config : store->config;
  bool ok = object != NULL;
  if (ok && (!subject || subject->has_level || in_scope))
    ok = json_object_set_new(object, level_member,
                             json_string(kavro_compat_level_name(
                                 level_of(store, name)))) == 0;
  static const char *const members[] = {
      "normalize", "compatibilityGroup", "defaultMetadata",
      "overrideMetadata", "defaultRuleSet", "overrideRuleSet", NULL};
  for (size_t i = 0; ok && members[i]; i++) {
    const json_t *value = in_scope ? config_member(store, name, members[i])
                                   : json_object_get(own, members[i]);
    if (value)
      ok = json_object_set(object, members[i], (json_t *)value) == 0;
  }
  if (!ok) {
    json_decref(object);
    return NULL;
  }
  return object;
}

/* Apply the members of a PUT /config @body beside the level to @subject
 * (NULL: the global config), replacing its config object (copies made
 * for an undo share the old one).  False with @reply set. */
static bool put_config_members(kv_store_t *store, subject_t *subject,
                               const json_t *body, kv_reply_t *reply) {
  json_t **config = subject ? &subject->config : &store->config;
  json_t *updated;
  if (!kv_contract_config_update(*config, body, &updated, reply))
    return false;
  json_decref(*config);
  *config = json_object_size(updated) ? updated : NULL;
  if (!*config)
    json_decref(updated);
  return true;
}

void kv_store_get_config(kv_store_t *store, const char *name,
                         bool default_to_global, kv_reply_t *reply) {
  pthread_mutex_lock(&store->lock);
  subject_t *subject = name ? find_subject(store, name) : NULL;
  if (!name || (subject && (subject->has_level || subject->config)) ||
      default_to_global)
    kv_reply_json(reply, config_json(store, name, "compatibilityLevel",
                                     default_to_global));
  else
    kv_reply_error(reply, 40408, "Subject '%s' does not have subject-level "
                                 "compatibility configured",
                   name);
  pthread_mutex_unlock(&store->lock);
}

/* The level named in a PUT /config body, or false with @reply set. */
static bool read_level(const json_t *body, kavro_compat_level_t *level,
                       kv_reply_t *reply) {
  const json_t *value = json_object_get(body, "compatibility");
  if (!value)
    value = json_object_get(body, "compatibilityLevel");
  if (json_is_string(value) &&
      kavro_compat_level_parse(json_string_value(value), level) == KAVRO_OK)
    return true;
  kv_reply_error(reply, 42203, "Invalid compatibility level. Valid values are "
                               "none, backward, forward, full, "
                               "backward_transitive, forward_transitive, and "
                               "full_transitive");
  return false;
}

void kv_store_put_config(kv_store_t *store, const char *name,
                         const json_t *body, kv_reply_t *reply) {
  kavro_compat_level_t level;
  /* The level may be left out when other members are given. */
  bool sets_level = json_object_get(body, "compatibility") ||
                    json_object_get(body, "compatibilityLevel") ||
                    !kv_contract_config_present(body);
  if (sets_level && !read_level(body, &level, reply))
    return;
  change_t change;
  if (!change_begin(store, &change, reply))
    return;
  subject_t *subject = name ? add_subject(store, name) : NULL;
  if (name && !subject) {
    reply_out_of_memory(reply);
  } else if (put_config_members(store, subject, body, reply)) {
    if (subject && sets_level) {
      subject->has_level = true;
      subject->level = level;
    } else if (sets_level) {
      store->level = level;
    }
    store->changes++;
    kv_reply_json(reply, config_json(store, name, "compatibility", false));
  } else if (subject) {
    drop_subject_if_empty(store, subject);
  }
  change_end(store, &change, reply);
}

void kv_store_delete_config(kv_store_t *store, const char *name,
                            kv_reply_t *reply) {
  change_t change;
  if (!change_begin(store, &change, reply))
    return;
  subject_t *subject = name ? find_subject(store, name) : NULL;
  if (name && !(subject && (subject->has_level || subject->config))) {
    subject_not_found(reply, name);
  } else {
    kv_reply_json(reply, config_json(store, name, "compatibilityLevel", false));
    json_t **config = subject ? &subject->config : &store->config;
    json_decref(*config);
    *config = NULL;
    if (subject) {
      subject->has_level = false;
      drop_subject_if_empty(store, subject);
    } else {
      store->level = KAVRO_COMPAT_BACKWARD;
    }
    store->changes++;
  }
  change_end(store, &change, reply);
}

void kv_store_get_mode(kv_store_t *store, const char *name,
                       bool default_to_global, kv_reply_t *reply) {
  pthread_mutex_lock(&store->lock);
  subject_t *subject = name ? find_subject(store, name) : NULL;
  if (!name || (subject && subject->has_mode) || default_to_global)
    kv_reply_json(reply, json_pack("{s:s}", "mode",
                                   mode_names[mode_of(store, name)]));
  else
    kv_reply_error(reply, 40409, "Subject '%s' does not have subject-level "
                                 "mode configured",
                   name);
  pthread_mutex_unlock(&store->lock);
}

void kv_store_delete_mode(kv_store_t *store, const char *name,
                          kv_reply_t *reply) {
  change_t change;
  if (!change_begin(store, &change, reply))
    return;
  subject_t *subject = find_subject(store, name);
  if (!(subject && subject->has_mode)) {
    subject_not_found(reply, name);
  } else {
    kv_reply_json(reply, json_pack("{s:s}", "mode", mode_names[subject->mode]));
    subject->has_mode = false;
    drop_subject_if_empty(store, subject);
    store->changes++;
  }
  change_end(store, &change, reply);
}

static bool parse_mode(const char *text, registry_mode_t *mode) {
  for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
    if (text && strcmp(text, mode_names[i]) == 0) {
      *mode = (registry_mode_t)i;
      return true;
    }
  }
  return false;
}

void kv_store_put_mode(kv_store_t *store, const char *name,
                       const json_t *body, kv_reply_t *reply) {
  registry_mode_t mode;
  if (!parse_mode(json_string_value(json_object_get(body, "mode")), &mode)) {
    kv_reply_error(reply, 42204, "Invalid mode. Valid values are READWRITE, "
                                 "READONLY, READONLY_OVERRIDE, and IMPORT.");
    return;
  }
  change_t change;
  if (!change_begin(store, &change, reply))
    return;
  subject_t *subject = name ? add_subject(store, name) : NULL;
  if (name && !subject) {
    reply_out_of_memory(reply);
  } else {
    if (subject) {
      subject->has_mode = true;
      subject->mode = mode;
    } else {
      store->mode = mode;
    }
    store->changes++;
    kv_reply_json(reply, json_pack("{s:s}", "mode", mode_names[mode]));
  }
  change_end(store, &change, reply);
}

/* ---- the compatibility endpoint ---------------------------------------- */

static json_t *compat_answer(const kavro_compat_result_t *result,
                             const char *invalid, bool verbose) {
  bool compatible = !invalid && kavro_compat_result_is_compatible(result);
  json_t *answer = json_pack("{s:b}", "is_compatible", compatible);
  if (!answer || !verbose)
    return answer;
  json_t *messages = json_array();
  size_t n = result ? kavro_compat_result_count(result) : 0;
  if (invalid)
    json_array_append_new(messages, json_string(invalid));
  for (size_t i = 0; messages && i < n; i++) {
    kv_strbuf_t sb = KV_STRBUF_INIT;
    describe_incompat(&sb, kavro_compat_result_get(result, i));
    json_array_append_new(messages, json_string(sb.data ? sb.data : ""));
    kv_strbuf_free(&sb);
  }
  if (json_object_set_new(answer, "messages", messages)) {
    json_decref(answer);
    return NULL;
  }
  return answer;
}

/* The basis of a compatibility test of subject @name against version
 * @text (NULL: the versions its level names), under the lock.  False with
 * @reply set when the version does not exist. */
static bool compat_basis_locked(kv_store_t *store, const char *name,
                                const char *text, basis_t *basis,
                                kv_reply_t *reply) {
  subject_t *subject = find_subject(store, name);
  version_t *only = NULL;
  if (text) {
    int number;
    if (!kv_mock_parse_version(text, &number)) {
      invalid_version(reply, text);
      return false;
    }
    if (subject)
      only = number == -1 ? latest_version(subject, false)
                          : find_version(subject, number);
    if (only && only->deleted)
      only = NULL;
    if (!only && number != -1) {
      kv_reply_error(reply, 40402, "Version %s not found.", text);
      return false;
    }
  }
  /* "latest" of a subject without live versions: nothing to compare. */
  subject_t *history = text && !only ? NULL : subject;
  if (!take_basis(store, name, history, only, NULL, basis)) {
    reply_out_of_memory(reply);
    return false;
  }
  return true;
}

void kv_store_test_compat(kv_store_t *store, const char *subject,
                          const char *version, const json_t *body,
                          bool verbose, bool normalize, kv_reply_t *reply) {
  basis_t basis = {0};
  pthread_mutex_lock(&store->lock);
  bool found = compat_basis_locked(store, subject, version, &basis, reply);
  pthread_mutex_unlock(&store->lock);
  if (!found)
    return;
  candidate_t c = {0};
  kavro_compat_result_t *result = NULL;
  if (!prepare_candidate(store, subject, body, normalizing(normalize), &c,
                         READ_NEW, reply)) {
    /* With verbose, an invalid schema is an answer, not an error. */
    if (verbose && reply->error_code == 42201)
      kv_reply_json(reply, compat_answer(NULL, reply->message, true));
  } else if (run_check(basis.level, c.schema, basis.previous, basis.count,
                       &result, reply)) {
    kv_reply_json(reply, compat_answer(result, NULL, verbose));
  }
  kavro_compat_result_destroy(result);
  candidate_free(&c);
  basis_clear(&basis);
}

/* ---- the JSON file ------------------------------------------------------
 *
 * {"format": "kavro-mock-registry", "version": 1,
 *  "compatibilityLevel": "BACKWARD", "mode": "READWRITE",
 *  "schemas": [{"id", "guid", "schema", "references",   (ascending ids
 *               "context"?}],          within a context; absent: ".";
 *                                       read in any order)
 *  "associations"?: [{"subject", "resourceName", ...}],   (when any)
 *  "subjects": [{"subject", "compatibilityLevel"?,
 *                "versions": [{"version", "id", "deleted"}]}]}
 *
 * The version tables are loaded first, then each schema once the
 * schemas its references name are (load_schemas()).
 */

#define FILE_FORMAT "kavro-mock-registry"

static json_t *dump_subject(const subject_t *subject) {
  json_t *versions = json_array();
  for (size_t i = 0; versions && i < subject->count; i++) {
    const version_t *v = &subject->versions[i];
    if (json_array_append_new(versions,
                              json_pack("{s:i, s:i, s:b}", "version", v->version,
                                        "id", v->entry->id, "deleted",
                                        v->deleted))) {
      json_decref(versions);
      versions = NULL;
    }
  }
  json_t *object = json_pack("{s:s, s:o}", "subject", subject->name,
                             "versions", versions);
  if (object && ((subject->has_level &&
                  json_object_set_new(object, "compatibilityLevel",
                                      json_string(kavro_compat_level_name(subject->level)))) ||
                 (subject->has_mode &&
                  json_object_set_new(object, "mode",
                                      json_string(mode_names[subject->mode]))) ||
                 (subject->config &&
                  json_object_set(object, "config", subject->config)))) {
    json_decref(object);
    return NULL;
  }
  return object;
}

/* Name @name in @sb so that any byte shows: bytes outside printable ASCII
 * as \xHH (a name that cannot be written is not UTF-8). */
static void describe_name(kv_strbuf_t *sb, const char *name) {
  kv_strbuf_putc(sb, '\'');
  for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
    if (*p >= 0x20 && *p < 0x7f && *p != '\\')
      kv_strbuf_putc(sb, (char)*p);
    else
      kv_strbuf_printf(sb, "\\x%02x", *p);
  }
  kv_strbuf_putc(sb, '\'');
}

/* The subjects of @store as the file's array.  A subject whose name
 * cannot be written as JSON (not UTF-8) is left out, named in @omitted and
 * counted in *@omitted_count, so that it never costs the others their
 * place in the file; none can be a reference's target, whose names come
 * from JSON.  NULL when out of memory. */
static json_t *dump_subjects(const kv_store_t *store, kv_strbuf_t *omitted,
                             size_t *omitted_count) {
  json_t *subjects = json_array();
  for (size_t i = 0; subjects && i < store->subject_count; i++) {
    const subject_t *subject = store->subjects[i];
    json_t *name = json_string(subject->name);
    json_decref(name);
    if (!name) {
      kv_strbuf_puts(omitted, *omitted_count ? ", " : "");
      describe_name(omitted, subject->name);
      (*omitted_count)++;
      continue;
    }
    if (json_array_append_new(subjects, dump_subject(subject))) {
      json_decref(subjects);
      subjects = NULL;
    }
  }
  return subjects;
}

/* Append the schemas of the contexts other than the default one to
 * @schemas, each with its "context".  False on OOM. */
static bool dump_context_entries(const kv_store_t *store, json_t *schemas) {
  for (size_t i = 0; i < store->context_entry_count; i++) {
    const entry_t *e = store->context_entries[i];
    if (!entry_in_use(store, e, true))
      continue;
    json_t *object = json_pack("{s:s, s:i, s:s, s:s, s:o}", "context",
                               e->context, "id", e->id, "guid", e->guid,
                               "schema", e->text, "references", refs_to_json(e));
    if (json_array_append_new(schemas, object) != 0)
      return false;
  }
  return true;
}

static json_t *dump_locked(const kv_store_t *store, kv_strbuf_t *omitted,
                           size_t *omitted_count) {
  json_t *schemas = json_array();
  bool ok = schemas != NULL;
  for (size_t i = 0; ok && i < store->entry_count; i++) {
    const entry_t *e = store->entries[i];
    if (!e || !entry_in_use(store, e, true))
      continue;
    json_t *object = json_pack("{s:i, s:s, s:s, s:o}", "id", e->id, "guid",
                               e->guid, "schema", e->text, "references",
                               refs_to_json(e));
    ok = object && add_contract(object, e) &&
         json_array_append_new(schemas, object) == 0;
  }
  ok = ok && dump_context_entries(store, schemas);
  json_t *subjects = ok ? dump_subjects(store, omitted, omitted_count) : NULL;
  json_t *assocs = subjects ? kv_assocs_dump(&store->assocs) : NULL;
  if (!assocs) {
    json_decref(subjects);
    json_decref(schemas);
    return NULL;
  }
  json_t *root = json_pack("{s:s, s:i, s:s, s:s, s:o, s:o}", "format",
                           FILE_FORMAT, "version", 1, "compatibilityLevel",
                           kavro_compat_level_name(store->level), "mode",
                           mode_names[store->mode], "schemas", schemas,
                           "subjects", subjects);
  /* Only when there are any: files without them stay as they were. */
  if (root && json_array_size(assocs) &&
      json_object_set(root, "associations", assocs)) {
    json_decref(root);
    root = NULL;
  }
  json_decref(assocs);
  json_t *deks = root ? kv_deks_dump(store->deks) : NULL;
  if (root && (!deks || (json_object_size(deks) &&
                         json_object_set(root, "dekRegistry", deks)))) {
    json_decref(root);
    root = NULL;
  }
  json_decref(deks);
  if (root && store->config &&
      json_object_set(root, "config", store->config)) {
    json_decref(root);
    return NULL;
  }
  json_t *deleted = store->deleted_contexts ? json_array() : NULL;
  const char *context;
  json_t *value;
  json_object_foreach(store->deleted_contexts, context, value) {
    if (deleted && json_array_append_new(deleted, json_string(context))) {
      json_decref(deleted);
      deleted = NULL;
    }
  }
  if (root && store->deleted_contexts &&
      (!deleted || json_object_set_new(root, "deletedContexts", deleted))) {
    json_decref(root);
    return NULL;
  }
  return root;
}

/* Write @store to @path through kv_file_replace() (the lock held).  The
 * subjects left out are named in @omitted and counted in *@omitted_count;
 * the file holds everything else.  Returns how writing the file went. */
static kavro_err_t write_locked(const kv_store_t *store, const char *path,
                                kv_strbuf_t *omitted, size_t *omitted_count,
                                kavro_error_t *error) {
  *omitted_count = 0;
  json_t *dump = dump_locked(store, omitted, omitted_count);
  char *text = dump ? json_dumps(dump, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
  json_decref(dump);
  kavro_err_t err =
      text ? kv_file_replace(path, text, strlen(text), error)
           : kv_error_set(error, KAVRO_ERR_NOMEM,
                          "out of memory writing the registry to %s", path);
  free(text);
  return err;
}

static kavro_err_t omission_error(kavro_error_t *error, const char *path,
                                  size_t count, const kv_strbuf_t *omitted) {
  return kv_error_set(error, KAVRO_ERR_IO,
                      "%s holds everything but %zu subject(s) whose name is "
                      "not UTF-8: %s",
                      path, count, kv_strbuf_failed(omitted) ? "" : omitted->data);
}

kavro_err_t kv_store_save(kv_store_t *store, const char *path,
                          kavro_error_t *error) {
  kv_strbuf_t omitted = KV_STRBUF_INIT;
  size_t count;
  pthread_mutex_lock(&store->lock);
  kavro_err_t err = write_locked(store, path, &omitted, &count, error);
  pthread_mutex_unlock(&store->lock);
  if (err == KAVRO_OK && count)
    err = omission_error(error, path, count, &omitted);
  kv_strbuf_free(&omitted);
  return err;
}

/* Bounds of the wait between two writes of a file that failed. */
#define RETRY_FIRST_MS 100u
#define RETRY_MAX_MS 10000u

static struct timespec after_ms(unsigned ms) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  t.tv_sec += ms / 1000u;
  t.tv_nsec += (long)(ms % 1000u) * 1000000L;
  if (t.tv_nsec >= 1000000000L) {
    t.tv_sec++;
    t.tv_nsec -= 1000000000L;
  }
  return t;
}

static bool time_reached(const struct timespec *t) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec > t->tv_sec ||
         (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

/* A write of the file failed or left something out: say so where the
 * person running the registry sees it, and write again later, waiting
 * twice as long after each failure in a row. */
static void write_failed(kv_store_t *store, const kavro_error_t *error) {
  fprintf(stderr, "kavro mock registry: cannot save to %s: %s\n", store->path,
          error->text);
  store->unsaved = true;
  unsigned delay = store->retry_delay_ms ? store->retry_delay_ms : RETRY_FIRST_MS;
  store->retry_at = after_ms(delay);
  store->retry_delay_ms = delay >= RETRY_MAX_MS / 2 ? RETRY_MAX_MS : delay * 2;
}

/* Write the store to its file (the lock held).  KAVRO_OK when the file
 * holds the store but for subjects left out: any when @accept_omissions,
 * else only as many as the last accepted write left out (so a change that
 * adds one is not saved). */
static kavro_err_t save_locked(kv_store_t *store, bool accept_omissions,
                               kavro_error_t *error) {
  kv_strbuf_t omitted = KV_STRBUF_INIT;
  size_t count;
  kavro_err_t err = write_locked(store, store->path, &omitted, &count, error);
  if (err == KAVRO_OK && count)
    omission_error(error, store->path, count, &omitted);
  kv_strbuf_free(&omitted);
  if (err != KAVRO_OK || count) {
    write_failed(store, error);
  } else {
    store->unsaved = false;
    store->retry_delay_ms = 0;
  }
  if (err != KAVRO_OK)
    return err;
  if (!accept_omissions && count > store->omitted)
    return KAVRO_ERR_IO;
  store->omitted = count;
  return KAVRO_OK;
}

void kv_store_retry_save(kv_store_t *store) {
  pthread_mutex_lock(&store->lock);
  if (store->path && store->unsaved && time_reached(&store->retry_at)) {
    kavro_error_t error = {0};
    save_locked(store, true, &error);
  }
  pthread_mutex_unlock(&store->lock);
}

/* ---- loading ----------------------------------------------------------- */

static kavro_err_t bad_file(kavro_error_t *error, const char *path,
                            const char *what) {
  return kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                      "%s is not a kavro mock registry file: %s", path, what);
}

/* Read a saved config (the members beside the level; files written
 * before configs had them have none) into *@configp, checked as a PUT
 * /config body is. */
static kavro_err_t load_config(const json_t *config, json_t **configp,
                               const char *path, kavro_error_t *error) {
  if (!config)
    return KAVRO_OK;
  kv_reply_t reply = {0};
  json_t *loaded = NULL;
  kavro_err_t err = KAVRO_OK;
  if (!json_is_object(config) ||
      !kv_contract_config_update(NULL, config, &loaded, &reply))
    err = reply.error_code == 50001
              ? kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory")
              : bad_file(error, path, "a config that is not valid");
  kv_reply_clear(&reply);
  json_decref(*configp);
  *configp = loaded && json_object_size(loaded) ? json_incref(loaded) : NULL;
  json_decref(loaded);
  return err;
}

/* The file's "deletedContexts" (NULL: none), an array of context names,
 * into *@deletedp. */
static kavro_err_t load_deleted_contexts(const json_t *array, json_t **deletedp,
                                         const char *path,
                                         kavro_error_t *error) {
  if (!array)
    return KAVRO_OK;
  if (!json_is_array(array))
    return bad_file(error, path, "deletedContexts not an array");
  json_t *deleted = json_object();
  size_t i;
  const json_t *item;
  json_array_foreach(array, i, item) {
    char prefix[KV_CONTEXT_SUBJECT_MAX];
    const char *name = json_string_value(item);
    if (!name || name[0] != '.' ||
        !kv_context_prefix(name, prefix, sizeof(prefix))) {
      json_decref(deleted);
      return bad_file(error, path, "a deleted context that is not a context");
    }
    if (!deleted || json_object_set_new(deleted, name, json_true())) {
      json_decref(deleted);
      return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
    }
  }
  json_decref(*deletedp);
  *deletedp = json_object_size(deleted) ? deleted : NULL;
  if (!*deletedp)
    json_decref(deleted);
  return KAVRO_OK;
}

/* Create @into's subjects and their versions from @subjects, with entries
 * that are placeholders (id only) until the schemas are parsed. */
static kavro_err_t load_subjects(kv_store_t *into, const json_t *subjects,
                                 const char *path, kavro_error_t *error) {
  size_t i;
  const json_t *item;
  json_array_foreach(subjects, i, item) {
    const char *name, *level = NULL, *mode = NULL;
    const json_t *versions, *config = NULL;
    if (json_unpack((json_t *)item, "{s:s, s:o, s?:s, s?:s, s?:o}", "subject",
                    &name, "versions", &versions, "compatibilityLevel", &level,
                    "mode", &mode, "config", &config) ||
        !json_is_array(versions))
      return bad_file(error, path, "a subject without \"subject\" or \"versions\"");
    subject_t *subject = add_subject(into, name);
    if (!subject)
      return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
    kavro_err_t err = load_config(config, &subject->config, path, error);
    if (err != KAVRO_OK)
      return err;
    if (level && kavro_compat_level_parse(level, &subject->level) != KAVRO_OK)
      return bad_file(error, path, "an unknown compatibility level");
    subject->has_level = level != NULL;
    if (mode && !parse_mode(mode, &subject->mode))
      return bad_file(error, path, "an unknown mode");
    subject->has_mode = mode != NULL;
    size_t j;
    const json_t *v;
    json_array_foreach(versions, j, v) {
      json_int_t number, id;
      int deleted = 0;
      if (json_unpack((json_t *)v, "{s:I, s:I, s?:b}", "version", &number, "id",
                      &id, "deleted", &deleted) ||
          number < 1 || number > INT_MAX || id < 1 || id > INT_MAX ||
          (subject->count && subject->versions[subject->count - 1].version >= number))
        return bad_file(error, path, "a version without a valid number or id, "
                                     "or versions out of order");
      if (!reserve(&subject->versions, &subject->capacity, subject->count,
                   sizeof(version_t)))
        return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
      subject->versions[subject->count++] =
          (version_t){(int)number, NULL, (int)id, deleted != 0};
    }
  }
  return KAVRO_OK;
}

/* Whether a schema of the context of @subject other than the one with
 * @key (the same schema imported under two ids) has the GUID @guid. */
static bool guid_taken(const kv_store_t *store, const char *guid,
                       const char *subject, const char *key) {
  kv_subject_parts_t parts;
  kv_subject_split(subject, &parts);
  unsigned char bytes[KV_GUID_SIZE];
  char canonical[KV_GUID_TEXT_SIZE];
  kv_guid_parse(guid, bytes);
  kv_guid_format(bytes, canonical);
  for (size_t i = 0; i < store->entry_count; i++) {
    const entry_t *e = store->entries[i];
    if (e && is_default_context(&parts) && strcmp(e->guid, canonical) == 0 &&
        strcmp(e->key, key) != 0)
      return true;
  }
  for (size_t i = 0; i < store->context_entry_count; i++) {
    const entry_t *e = store->context_entries[i];
    if (entry_in_context(e, &parts) && strcmp(e->guid, canonical) == 0 &&
        strcmp(e->key, key) != 0)
      return true;
  }
  return false;
}

/* Load one schema of the file.  Files written before schemas had GUIDs
 * have none: such a schema gets a new one, which the next write keeps. */
static kavro_err_t load_schema(kv_store_t *into, const json_t *item,
                               const char *path, kavro_error_t *error) {
  json_int_t id;
  const char *guid = NULL, *context = NULL;
  unsigned char bytes[KV_GUID_SIZE];
  char subject[KV_CONTEXT_SUBJECT_MAX]; /* ":.ctx:", naming the context */
  if (json_unpack((json_t *)item, "{s:I, s?:s, s?:s}", "id", &id, "guid",
                  &guid, "context", &context) ||
      !kv_context_prefix(context ? context : "", subject, sizeof(subject)))
    return bad_file(error, path, "a schema without an id, or with a bad "
                                 "context");
  if (id < 1 || id > INT_MAX || version_entry(into, subject, (int)id))
    return bad_file(error, path, "a schema id missing or given twice");
  if (guid && !kv_guid_parse(guid, bytes))
    return bad_file(error, path, "a schema GUID malformed");
  kv_reply_t reply = {0};
  candidate_t c = {0};
  kavro_err_t err = KAVRO_OK;
  if (!prepare_candidate(into, subject, item, NORMALIZE_NEVER, &c, READ_HELD,
                         &reply))
    err = kv_error_set(error, reply.error_code == 50001 ? KAVRO_ERR_NOMEM
                                                        : KAVRO_ERR_INVALID_SCHEMA,
                       "%s: schema %d: %s", path, (int)id, reply.message);
  else if (guid && guid_taken(into, guid, subject, c.key))
    err = bad_file(error, path, "a schema GUID given to two schemas");
  else if (!add_entry(into, &c, (int)id, guid, subject))
    err = kv_error_set(error, KAVRO_ERR_NOMEM,
                       "out of memory, or no random bytes for a GUID");
  candidate_free(&c);
  kv_reply_clear(&reply);
  return err;
}

/* The schema of a version of subject @name with @id: in its context. */
static entry_t *version_entry(const kv_store_t *store, const char *name,
                              int id) {
  kv_subject_parts_t parts;
  kv_subject_split(name, &parts);
  return is_default_context(&parts) ? entry_by_id(store, id)
                                    : context_entry_by_id(store, &parts, id);
}

/* Point the versions whose schema is now loaded at it.  With @final, a
 * version left without one is an error. */
static kavro_err_t link_versions(kv_store_t *into, bool final,
                                 const char *path, kavro_error_t *error) {
  for (size_t i = 0; i < into->subject_count; i++) {
    subject_t *s = into->subjects[i];
    for (size_t j = 0; j < s->count; j++) {
      version_t *v = &s->versions[j];
      if (!v->entry)
        v->entry = version_entry(into, s->name, v->id);
      if (!v->entry && final)
        return bad_file(error, path, "a version names an id with no schema");
    }
  }
  return KAVRO_OK;
}

/* Whether every reference of the file's schema @item names a version
 * whose schema is loaded (one malformed is left to load_schema()). */
static bool refs_loaded(kv_store_t *into, const json_t *item) {
  const char *context = NULL;
  char subject[KV_CONTEXT_SUBJECT_MAX];
  json_unpack((json_t *)item, "{s?:s}", "context", &context);
  if (!kv_context_prefix(context ? context : "", subject, sizeof(subject)))
    return true;
  size_t i;
  const json_t *ref;
  json_array_foreach(json_object_get(item, "references"), i, ref) {
    const char *name, *target;
    json_int_t version;
    if (json_unpack((json_t *)ref, "{s:s, s:s, s:I}", "name", &name, "subject",
                    &target, "version", &version) ||
        version < -1 || version > INT_MAX)
      return true;
    ref_t r = {(char *)name, (char *)target, (int)version};
    if (!ref_target(into, subject, &r))
      return false;
  }
  return true;
}

/* Load the file's schemas, each once the schemas its references name
 * are: in order of id that is always so, unless ids were imported (a
 * schema may then reference one with a higher id).  A schema whose
 * references never come is loaded last, and fails naming them. */
static kavro_err_t load_schemas(kv_store_t *into, const json_t *schemas,
                                const char *path, kavro_error_t *error) {
  size_t count = json_array_size(schemas), left = count;
  bool *loaded = calloc(count ? count : 1, sizeof(bool));
  if (!loaded)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  kavro_err_t err = KAVRO_OK;
  while (err == KAVRO_OK && left) {
    size_t before = left;
    for (size_t i = 0; err == KAVRO_OK && i < count; i++) {
      const json_t *item = json_array_get(schemas, i);
      if (loaded[i] || (err = link_versions(into, false, path, error)) ||
          !refs_loaded(into, item))
        continue;
      err = load_schema(into, item, path, error);
      loaded[i] = true;
      left--;
    }
    /* Stuck: the first one left reports what it lacks. */
    for (size_t i = 0; err == KAVRO_OK && left == before && i < count; i++) {
      if (!loaded[i]) {
        err = load_schema(into, json_array_get(schemas, i), path, error);
        loaded[i] = true;
        left--;
      }
    }
  }
  free(loaded);
  return err;
}

static kavro_err_t load_into(kv_store_t *into, const json_t *root,
                             const char *path, kavro_error_t *error) {
  const char *format, *level, *mode;
  const json_t *schemas, *subjects;
  if (json_unpack((json_t *)root, "{s:s, s:s, s:s, s:o, s:o}", "format", &format,
                  "compatibilityLevel", &level, "mode", &mode, "schemas",
                  &schemas, "subjects", &subjects) ||
      strcmp(format, FILE_FORMAT) != 0 || !json_is_array(schemas) ||
      !json_is_array(subjects))
    return bad_file(error, path, "missing members");
  if (kavro_compat_level_parse(level, &into->level) != KAVRO_OK ||
      !parse_mode(mode, &into->mode))
    return bad_file(error, path, "an unknown level or mode");
  kavro_err_t err = load_config(json_object_get(root, "config"), &into->config,
                                path, error);
  if (err == KAVRO_OK)
    err = load_deleted_contexts(json_object_get(root, "deletedContexts"),
                                &into->deleted_contexts, path, error);
  if (err == KAVRO_OK)
    err = load_subjects(into, subjects, path, error);
  const json_t *assocs = json_object_get(root, "associations");
  const char *wrong = NULL;
  if (err == KAVRO_OK && assocs &&
      (!json_is_array(assocs) || (wrong = kv_assocs_load(&into->assocs, assocs))))
    err = bad_file(error, path, wrong ? wrong : "associations not an array");
  const json_t *deks = json_object_get(root, "dekRegistry");
  if (err == KAVRO_OK && deks && (wrong = kv_deks_load(into->deks, deks)))
    err = bad_file(error, path, wrong);
  if (err == KAVRO_OK)
    err = load_schemas(into, schemas, path, error);
  if (err == KAVRO_OK)
    err = link_versions(into, true, path, error);
  return err;
}

/* Parse the file @path into a new store in *@freshp (no lock is needed:
 * nobody else sees it). */
static kavro_err_t load_fresh(const char *path, kv_store_t **freshp,
                              kavro_error_t *error) {
  *freshp = NULL;
  json_error_t jerr;
  json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
  if (!root) {
    FILE *f = fopen(path, "r");
    if (!f)
      return kv_error_set(error, KAVRO_ERR_IO, "cannot read %s: %s", path,
                          strerror(errno));
    fclose(f);
    return kv_error_set(error, KAVRO_ERR_JSON, "%s:%d:%d: %s", path, jerr.line,
                        jerr.column, jerr.text);
  }
  kv_store_t *fresh = kv_store_new();
  kavro_err_t err = fresh ? load_into(fresh, root, path, error)
                          : kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  json_decref(root);
  if (err != KAVRO_OK)
    kv_store_free(fresh);
  else
    *freshp = fresh;
  return err;
}

/* Exchange what @a and @b hold (not their locks, files or counters). */
static void swap_contents(kv_store_t *a, kv_store_t *b) {
  kv_store_t held = *a;
  a->entries = b->entries;
  a->entry_count = b->entry_count;
  a->entry_capacity = b->entry_capacity;
  a->context_entries = b->context_entries;
  a->context_entry_count = b->context_entry_count;
  a->context_entry_capacity = b->context_entry_capacity;
  a->assocs = b->assocs;
  a->deks = b->deks;
  a->subjects = b->subjects;
  a->subject_count = b->subject_count;
  a->subject_capacity = b->subject_capacity;
  a->level = b->level;
  a->mode = b->mode;
  a->config = b->config;
  a->deleted_contexts = b->deleted_contexts;
  b->entries = held.entries;
  b->entry_count = held.entry_count;
  b->entry_capacity = held.entry_capacity;
  b->context_entries = held.context_entries;
  b->context_entry_count = held.context_entry_count;
  b->context_entry_capacity = held.context_entry_capacity;
  b->assocs = held.assocs;
  b->deks = held.deks;
  b->subjects = held.subjects;
  b->subject_count = held.subject_count;
  b->subject_capacity = held.subject_capacity;
  b->level = held.level;
  b->mode = held.mode;
  b->config = held.config;
  b->deleted_contexts = held.deleted_contexts;
}

kavro_err_t kv_store_load(kv_store_t *store, const char *path,
                          kavro_error_t *error) {
  kv_store_t *fresh;
  kavro_err_t err = load_fresh(path, &fresh, error);
  if (err != KAVRO_OK)
    return err;
  pthread_mutex_lock(&store->lock);
  swap_contents(store, fresh);
  /* With a file of its own, the store loaded is on disk before it
   * serves; if it cannot be, the store stays as it was. */
  if (store->path && (err = save_locked(store, true, error)) != KAVRO_OK)
    swap_contents(store, fresh);
  else
    store->changes++;
  pthread_mutex_unlock(&store->lock);
  kv_store_free(fresh);
  return err;
}

kavro_err_t kv_store_persist(kv_store_t *store, const char *path,
                             kavro_error_t *error) {
  kv_store_t *fresh = NULL;
  kavro_err_t err = access(path, F_OK) == 0 ? load_fresh(path, &fresh, error)
                                            : KAVRO_OK;
  if (err != KAVRO_OK)
    return err;
  char *own = strdup(path);
  if (!own) {
    kv_store_free(fresh);
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  pthread_mutex_lock(&store->lock);
  if (store->path) {
    err = kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                       "the registry is already saved to %s", store->path);
  } else {
    if (fresh)
      swap_contents(store, fresh);
    store->path = own;
    own = NULL;
    /* Written at once, so that a file that cannot be written is known
     * now rather than at the first registration. */
    if ((err = save_locked(store, true, error)) != KAVRO_OK) {
      own = store->path;
      store->path = NULL;
      store->unsaved = false;
      if (fresh)
        swap_contents(store, fresh);
    } else if (fresh) {
      store->changes++;
    }
  }
  pthread_mutex_unlock(&store->lock);
  free(own);
  kv_store_free(fresh);
  return err;
}
