/*
 * kavro - the mock registry's DEK registry (/dek-registry/v1), as
 * Confluent's DekRegistryResource and AbstractDekRegistry serve it: KEKs
 * and the DEKs wrapped by them, per subject, algorithm and version, with
 * soft and permanent deletes, undeletes, and the registry's error codes
 * and messages (DekRegistryErrors).
 *
 * What the registry does with a shared KEK's key (make a DEK, unwrap one
 * to hand out its key material, test the sharing) the mock does through
 * the registry's KMS a program gives it (kavro_mock_set_kms()); without
 * one, or when it fails, it answers as the registry answers when its KMS
 * fails: 500 with error code 50070 (500 for the sharing test).  It never
 * makes key material up, keeps only the wrapped key, and wipes the key
 * material it is handed once the reply is made (the reply's own JSON and
 * text are not: the mock is a test surface).
 *
 * Records are kept as the JSON entities the registry answers with (Kek,
 * Dek), by the store of each mock scope, under its lock, and written to
 * its file ("dekRegistry") with the rest.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "common_error_int.h"
#include "mock_int.h"

/* The registry's dek.registry.max.keys default, per kind of key. */
#define MAX_KEYS 20000
/* AbstractDekRegistry's bound on a KEK name. */
#define NAME_MAX_LENGTH 256
#define DEFAULT_ALGORITHM "AES256_GCM"
#define LATEST (-1)

struct kv_deks_s {
  json_t *keks; /* name -> Kek entity */
  json_t *deks; /* Dek entities */
};

kv_deks_t *kv_deks_new(void) {
  kv_deks_t *deks = calloc(1, sizeof(*deks));
  if (!deks)
    return NULL;
  deks->keks = json_object();
  deks->deks = json_array();
  if (!deks->keks || !deks->deks) {
    kv_deks_free(deks);
    return NULL;
  }
  return deks;
}

void kv_deks_free(kv_deks_t *deks) {
  if (!deks)
    return;
  json_decref(deks->keks);
  json_decref(deks->deks);
  free(deks);
}

kv_deks_t *kv_deks_dup(const kv_deks_t *deks) {
  kv_deks_t *copy = calloc(1, sizeof(*copy));
  if (!copy)
    return NULL;
  copy->keks = json_deep_copy(deks->keks);
  copy->deks = json_deep_copy(deks->deks);
  if (!copy->keks || !copy->deks) {
    kv_deks_free(copy);
    return NULL;
  }
  return copy;
}

/* ---- the registry's checks and errors ------------------------------------ */

static void invalid_key(kv_reply_t *reply, const char *field) {
  kv_reply_error(reply, 42271, "Invalid or missing value for field '%s' of key",
                 field);
}

static void not_found(kv_reply_t *reply, const char *name) {
  kv_reply_error(reply, 40470, "Key '%s' not found", name);
}

static void already_exists(kv_reply_t *reply, const char *name) {
  kv_reply_error(reply, 40971, "Key '%s' already exists; use a different value",
                 name);
}

static void not_soft_deleted(kv_reply_t *reply, const char *name) {
  kv_reply_error(reply, 40471,
                 "Key '%s' was not deleted first before being permanently "
                 "deleted",
                 name);
}

/* What the registry answers when its KMS fails it (DekGenerationException):
 * @what "encrypted" when making a DEK, "raw" when unwrapping one. */
static void kms_failed(kv_reply_t *reply, const char *what,
                       const char *subject, const char *reason) {
  kv_reply_error(reply, 50070, "Could not generate %s dek for %s: %s", what,
                 subject, reason);
}

/* checkName(): a letter or '_', then letters, digits, '_' and '-'; bytes
 * past ASCII pass as letters (Java's Character.isLetter() takes Unicode
 * ones). */
static bool name_valid(const char *name) {
  size_t length = name ? strlen(name) : 0;
  if (length == 0 || length > NAME_MAX_LENGTH)
    return false;
  const unsigned char *p = (const unsigned char *)name;
  if (!(isalpha(*p) || *p == '_' || *p >= 0x80))
    return false;
  for (p++; *p; p++)
    if (!(isalnum(*p) || *p == '_' || *p == '-' || *p >= 0x80))
      return false;
  return true;
}

/* checkSubject(): not empty, no ISO control character; and UTF-8, as
 * every subject of the mock. */
static bool subject_valid(const char *subject) {
  if (!subject || !*subject)
    return false;
  for (const unsigned char *p = (const unsigned char *)subject; *p; p++)
    if (*p < 0x20 || *p == 0x7f)
      return false;
  json_t *probe = json_string(subject);
  json_decref(probe);
  return probe != NULL;
}

static bool algorithm_valid(const char *algorithm) {
  return strcmp(algorithm, "AES128_GCM") == 0 ||
         strcmp(algorithm, "AES256_GCM") == 0 ||
         strcmp(algorithm, "AES256_SIV") == 0;
}


static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *text_of(const json_t *object, const char *key) {
  return json_string_value(json_object_get(object, key));
}

static bool is_deleted(const json_t *key) {
  return json_is_true(json_object_get(key, "deleted"));
}

/* Mark @key deleted or not (the entities carry "deleted" only when true),
 * with a new ts. */
static void set_deleted(json_t *key, bool deleted) {
  if (deleted)
    json_object_set_new(key, "deleted", json_true());
  else
    json_object_del(key, "deleted");
  json_object_set_new(key, "ts", json_integer(now_ms()));
}

/* ---- lookups ------------------------------------------------------------- */

static json_t *find_kek(const kv_deks_t *deks, const char *name,
                        bool lookup_deleted) {
  json_t *kek = json_object_get(deks->keks, name);
  return kek && (lookup_deleted || !is_deleted(kek)) ? kek : NULL;
}

/* Whether @dek is of (@kek, @subject (NULL: any), @algorithm (NULL:
 * any)) and shown under @lookup_deleted. */
static bool dek_matches(const json_t *dek, const char *kek, const char *subject,
                        const char *algorithm, bool lookup_deleted) {
  return strcmp(text_of(dek, "kekName"), kek) == 0 &&
         (!subject || strcmp(text_of(dek, "subject"), subject) == 0) &&
         (!algorithm || strcmp(text_of(dek, "algorithm"), algorithm) == 0) &&
         (lookup_deleted || !is_deleted(dek));
}

static int version_of(const json_t *dek) {
  return (int)json_integer_value(json_object_get(dek, "version"));
}

/* The DEK @version (LATEST: the highest shown) of (@kek, @subject,
 * @algorithm); NULL when none; its index in @*indexp. */
static json_t *find_dek(const kv_deks_t *deks, const char *kek,
                        const char *subject, const char *algorithm,
                        int version, bool lookup_deleted, size_t *indexp) {
  json_t *found = NULL, *dek;
  size_t i;
  json_array_foreach(deks->deks, i, dek) {
    if (!dek_matches(dek, kek, subject, algorithm, lookup_deleted))
      continue;
    if (version == LATEST ? !found || version_of(dek) > version_of(found)
                          : version_of(dek) == version) {
      found = dek;
      if (indexp)
        *indexp = i;
    }
  }
  return found;
}

/* ---- requests ------------------------------------------------------------ */

/* A request's parameters, decoded. */
typedef struct dek_request_s {
  kv_store_t *store; /* locked */
  kv_deks_t *deks;   /* the store's */
  const kv_route_t *route;
  const char *query;
  const char *kek;     /* the path's KEK name */
  const char *subject; /* the path's subject, or NULL */
  const char *algorithm;
  int version;         /* the path's, or LATEST */
  bool lookup_deleted; /* ?deleted=true */
  bool permanent;      /* ?permanent=true */
  const json_t *body;  /* a POST's or PUT's */
} dek_request_t;

static void sort_strings(json_t *array);

/* Answer @list (stolen) from ?offset= on, at most ?limit= items (a
 * limit not above 0: all), as the registry pages its lists. */
static void reply_page(json_t *list, const char *query, kv_reply_t *reply) {
  char *offset_text = kv_query_text(query, "offset");
  char *limit_text = kv_query_text(query, "limit");
  long offset = offset_text ? strtol(offset_text, NULL, 10) : 0;
  long limit = limit_text ? strtol(limit_text, NULL, 10) : -1;
  free(offset_text);
  free(limit_text);
  for (long i = 0; list && i < offset && json_array_size(list); i++)
    json_array_remove(list, 0);
  while (list && limit > 0 && json_array_size(list) > (size_t)limit)
    json_array_remove(list, json_array_size(list) - 1);
  kv_reply_json(reply, list);
}

static bool has_prefix(const char *subject, const json_t *prefixes) {
  size_t i;
  const json_t *prefix;
  json_array_foreach(prefixes, i, prefix) {
    const char *text = json_string_value(prefix);
    if (strncmp(subject, text, strlen(text)) == 0)
      return true;
  }
  return false;
}

/* GET /keks: every KEK, or with ?subjectPrefix= (repeatable) the KEKs of
 * the DEKs whose subject starts with one of the prefixes. */
static void list_kek_names(const dek_request_t *r, const char *query,
                           kv_reply_t *reply) {
  json_t *names = json_array(), *prefixes = kv_query_texts(query,
                                                          "subjectPrefix");
  const char *name;
  json_t *key;
  size_t i;
  if (json_array_size(prefixes)) {
    json_array_foreach(r->deks->deks, i, key) {
      if ((r->lookup_deleted || !is_deleted(key)) &&
          has_prefix(text_of(key, "subject"), prefixes))
        json_array_append(names, json_object_get(key, "kekName"));
    }
  } else {
    json_object_foreach(r->deks->keks, name, key) {
      if (r->lookup_deleted || !is_deleted(key))
        json_array_append_new(names, json_string(name));
    }
  }
  json_decref(prefixes);
  sort_strings(names);
  reply_page(names, query, reply);
}

static int compare_strings(const void *a, const void *b) {
  return strcmp(json_string_value(*(json_t *const *)a),
                json_string_value(*(json_t *const *)b));
}

/* Sort @array of strings in place, dropping duplicates. */
static void sort_strings(json_t *array) {
  size_t n = json_array_size(array);
  json_t **items = calloc(n ? n : 1, sizeof(*items));
  if (!items)
    return;
  for (size_t i = 0; i < n; i++)
    items[i] = json_incref(json_array_get(array, i));
  qsort(items, n, sizeof(*items), compare_strings);
  json_array_clear(array);
  for (size_t i = 0; i < n; i++) {
    if (i == 0 || compare_strings(&items[i - 1], &items[i]) != 0)
      json_array_append(array, items[i]);
  }
  for (size_t i = 0; i < n; i++)
    json_decref(items[i]);
  free(items);
}

/* Whether the kmsKeyId fits the KMS named (CreateKekRequest.validate()). */
static bool kms_key_id_valid(const char *type, const char *id) {
  if (strcmp(type, "aws-kms") == 0)
    return strncmp(id, "arn:aws:kms:", 12) == 0;
  if (strcmp(type, "azure-kms") == 0)
    return strncmp(id, "https://", 8) == 0;
  if (strcmp(type, "gcp-kms") == 0)
    return strncmp(id, "projects/", 9) == 0;
  if (strcmp(type, "hcvault") == 0)
    return strncmp(id, "https://", 8) == 0 || strncmp(id, "http://", 7) == 0;
  return true;
}

/* normalizeKmsType(). */
static const char *normal_kms_type(const char *type) {
  if (strncasecmp(type, "aws", 3) == 0)
    return "aws-kms";
  if (strncasecmp(type, "azure", 5) == 0)
    return "azure-kms";
  if (strncasecmp(type, "gcp", 3) == 0)
    return "gcp-kms";
  return type;
}

/* Whether kmsProps is absent, null, or an object of strings. */
static bool props_valid(const json_t *props) {
  if (!props || json_is_null(props))
    return true;
  if (!json_is_object(props))
    return false;
  const char *name;
  json_t *value;
  json_object_foreach((json_t *)props, name, value) {
    if (!json_is_string(value))
      return false;
  }
  return true;
}

/* Whether the optional members of @body have their types. */
static bool members_typed(const json_t *body, const char *const *texts,
                          const char *const *flags) {
  for (; *texts; texts++) {
    const json_t *v = json_object_get(body, *texts);
    if (v && !json_is_null(v) && !json_is_string(v))
      return false;
  }
  for (; *flags; flags++) {
    const json_t *v = json_object_get(body, *flags);
    if (v && !json_is_null(v) && !json_is_boolean(v))
      return false;
  }
  return true;
}

static void unrecognized_body(kv_reply_t *reply) {
  kv_reply_error(reply, 422, "Unrecognized request body: a member has the "
                             "wrong type");
}

/* A new Kek entity; NULL on OOM. */
static json_t *kek_entity(const char *name, const char *type, const char *id,
                          const json_t *props, const char *doc, bool shared,
                          bool deleted) {
  json_t *kek = json_pack("{s:s, s:s, s:s, s:o, s:b, s:I}", "name", name,
                          "kmsType", type, "kmsKeyId", id, "kmsProps",
                          json_is_object(props) ? json_deep_copy(props)
                                                : json_object(),
                          "shared", shared, "ts", (json_int_t)now_ms());
  if (kek && doc)
    json_object_set_new(kek, "doc", json_string(doc));
  if (kek && deleted)
    json_object_set_new(kek, "deleted", json_true());
  return kek;
}

/* Whether member @key of @a and @b is the same, or absent from both. */
/* ---- the registry's KMS -------------------------------------------------- */

#define NO_KMS "this mock registry reaches no KMS"
/* The subject the registry makes a DEK for to test a KEK's sharing. */
#define TEST_SUBJECT "__TEST"

/* Wipe and free a text of key material (NULL-safe). */
static void free_key_material(char *text) {
  if (text) {
    OPENSSL_cleanse(text, strlen(text));
    free(text);
  }
}

/* Through the registry's KMS, with the key of the KEK of @type and @id:
 * make a DEK for @algorithm (@wrapped NULL: its wrapping into *@madep) or
 * unwrap @wrapped; the key material into *@materialp.  False with the
 * reason in @error. */
static bool kms_call(const dek_request_t *r, const char *type, const char *id,
                     const char *algorithm, const char *wrapped,
                     char **materialp, char **madep, kavro_error_t *error) {
  const kavro_mock_kms_t *kms = kv_store_dek_kms_locked(r->store);
  size_t size = type && id ? strlen(type) + strlen(id) + 4 : 0;
  char *url = kms && size ? malloc(size) : NULL;
  kavro_err_t err = KAVRO_ERR_NOMEM;
  kv_error_clear(error);
  *materialp = NULL;
  if (madep)
    *madep = NULL;
  if (url) {
    snprintf(url, size, "%s://%s", type, id);
    err = wrapped ? kms->unwrap(kms->opaque, url, algorithm, wrapped,
                                materialp, error)
                  : kms->generate(kms->opaque, url, algorithm, materialp,
                                  madep, error);
    free(url);
    if (!err && *materialp && (wrapped || *madep))
      return true;
  }
  if (!kms || !url || !err)
    snprintf(error->text, sizeof(error->text), "%s",
             !kms    ? NO_KMS
             : !size ? "the KEK names no KMS key"
             : !url  ? "out of memory"
                     : "the KMS gave no key");
  free_key_material(*materialp);
  *materialp = NULL;
  if (madep) {
    free(*madep);
    *madep = NULL;
  }
  return false;
}

/* The registry's test of a shared KEK's KMS: a DEK made for TEST_SUBJECT
 * and let go.  False with the reason in @error. */
static bool sharing_works(const dek_request_t *r, const char *type,
                          const char *id, kavro_error_t *error) {
  char *material, *made;
  if (!kms_call(r, type, id, DEFAULT_ALGORITHM, NULL, &material, &made, error))
    return false;
  free_key_material(material);
  free(made);
  return true;
}

/* Reply with a copy of @dek that carries @material (wiped and freed) as
 * its keyMaterial, as the registry hands a shared KEK's DEK out. */
static void reply_with_material(kv_reply_t *reply, const json_t *dek,
                                char *material) {
  json_t *copy = json_deep_copy(dek);
  if (copy &&
      json_object_set_new(copy, "keyMaterial", json_string(material))) {
    json_decref(copy);
    copy = NULL;
  }
  free_key_material(material);
  kv_reply_json(reply, copy);
}

static bool same_member(const json_t *a, const json_t *b, const char *key) {
  const json_t *x = json_object_get(a, key), *y = json_object_get(b, key);
  return x == y || json_equal(x, y);
}

/* KeyEncryptionKey.isEquivalent(). */
static bool keks_equivalent(const json_t *a, const json_t *b) {
  static const char *const members[] = {"shared",   "name",     "kmsType",
                                        "kmsKeyId", "kmsProps", "doc"};
  for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
    if (!same_member(a, b, members[i]))
      return false;
  return true;
}

static void create_kek(const dek_request_t *r, bool test_sharing,
                       kv_reply_t *reply) {
  const json_t *body = r->body;
  static const char *const texts[] = {"name", "kmsType", "kmsKeyId", "doc",
                                      NULL};
  static const char *const flags[] = {"shared", "deleted", NULL};
  if (!members_typed(body, texts, flags) ||
      !props_valid(json_object_get(body, "kmsProps"))) {
    unrecognized_body(reply);
    return;
  }
  const char *name = text_of(body, "name");
  const char *type = text_of(body, "kmsType");
  const char *id = text_of(body, "kmsKeyId");
  bool shared = json_is_true(json_object_get(body, "shared"));
  bool deleted = json_is_true(json_object_get(body, "deleted"));
  if (!name_valid(name)) {
    invalid_key(reply, "name");
    return;
  }
  if (!id || !*id || (type && !kms_key_id_valid(type, id))) {
    invalid_key(reply, "kmsKeyId");
    return;
  }
  if (!type) {
    invalid_key(reply, "kmsType");
    return;
  }
  kavro_error_t error;
  if (shared && test_sharing &&
      !sharing_works(r, normal_kms_type(type), id, &error)) {
    kv_reply_error(reply, 500,
                   "Error while creating key: Could not generate encrypted "
                   "dek for " TEST_SUBJECT ": %s",
                   error.text);
    return;
  }
  if (json_object_size(r->deks->keks) > MAX_KEYS) {
    kv_reply_error(reply, 40972, "A maximum of %d keys already exist",
                   MAX_KEYS);
    return;
  }
  json_t *kek = kek_entity(name, normal_kms_type(type), id,
                           json_object_get(body, "kmsProps"),
                           text_of(body, "doc"), shared, deleted);
  json_t *old = json_object_get(r->deks->keks, name);
  /* A create acts as an undelete of an equivalent soft-deleted KEK. */
  if (kek && old &&
      (deleted == is_deleted(old) || !keks_equivalent(old, kek))) {
    json_decref(kek);
    already_exists(reply, name);
    return;
  }
  /* json_object_set_new() takes kek, stored or not. */
  if (!kek || json_object_set_new(r->deks->keks, name, kek)) {
    kv_reply_json(reply, NULL);
    return;
  }
  kv_reply_json(reply, json_deep_copy(kek));
}

/* PUT /keks/{name}: UpdateKekRequest; a member absent keeps its value. */
static void update_kek(const dek_request_t *r, bool test_sharing,
                       kv_reply_t *reply) {
  static const char *const texts[] = {"doc", NULL};
  static const char *const flags[] = {"shared", NULL};
  const json_t *props = json_object_get(r->body, "kmsProps");
  if (!members_typed(r->body, texts, flags) || !props_valid(props)) {
    unrecognized_body(reply);
    return;
  }
  json_t *old = find_kek(r->deks, r->kek, false);
  if (!old) {
    not_found(reply, r->kek);
    return;
  }
  const json_t *shared = json_object_get(r->body, "shared");
  bool now_shared = shared && !json_is_null(shared)
                        ? json_is_true(shared)
                        : json_is_true(json_object_get(old, "shared"));
  kavro_error_t error;
  if (now_shared && test_sharing &&
      !sharing_works(r, text_of(old, "kmsType"), text_of(old, "kmsKeyId"),
                     &error)) {
    kv_reply_error(reply, 500,
                   "Error while updating key: Could not generate encrypted "
                   "dek for " TEST_SUBJECT ": %s",
                   error.text);
    return;
  }
  const json_t *doc = json_object_get(r->body, "doc");
  json_t *kek = kek_entity(
      r->kek, text_of(old, "kmsType"), text_of(old, "kmsKeyId"),
      props ? props : json_object_get(old, "kmsProps"),
      doc ? json_string_value(doc) : text_of(old, "doc"), now_shared, false);
  if (kek && keks_equivalent(old, kek)) {
    json_decref(kek);
    kv_reply_json(reply, json_deep_copy(old));
    return;
  }
  if (!kek || json_object_set_new(r->deks->keks, r->kek, kek)) {
    kv_reply_json(reply, NULL);
    return;
  }
  kv_reply_json(reply, json_deep_copy(kek));
}

static void delete_kek(const dek_request_t *r, kv_reply_t *reply) {
  json_t *kek = find_kek(r->deks, r->kek, true);
  if (!kek) {
    not_found(reply, r->kek);
    return;
  }
  /* DEKs refer to it: the ones shown, soft-deleted ones too for good. */
  json_t *dek;
  size_t i;
  json_array_foreach(r->deks->deks, i, dek) {
    if (dek_matches(dek, r->kek, NULL, NULL, r->permanent)) {
      kv_reply_error(reply, 42272, "One or more references exist to the key "
                                   "'%s'",
                     r->kek);
      return;
    }
  }
  if (r->permanent && !is_deleted(kek)) {
    not_soft_deleted(reply, r->kek);
    return;
  }
  if (r->permanent)
    json_object_del(r->deks->keks, r->kek);
  else if (!is_deleted(kek))
    set_deleted(kek, true);
  kv_reply_no_content(reply);
}

static void undelete_kek(const dek_request_t *r, kv_reply_t *reply) {
  json_t *kek = find_kek(r->deks, r->kek, true);
  if (!kek) {
    not_found(reply, r->kek);
    return;
  }
  if (is_deleted(kek))
    set_deleted(kek, false);
  kv_reply_no_content(reply);
}

/* POST /keks/{name}/test: whether the registry can use a shared KEK's
 * KMS (it makes a DEK for the subject __TEST). */
static void test_kek(const dek_request_t *r, kv_reply_t *reply) {
  json_t *kek = find_kek(r->deks, r->kek, false);
  kavro_error_t error;
  if (!kek)
    not_found(reply, r->kek);
  else if (!json_is_true(json_object_get(kek, "shared")))
    invalid_key(reply, "shared");
  else if (!sharing_works(r, text_of(kek, "kmsType"),
                          text_of(kek, "kmsKeyId"), &error))
    kms_failed(reply, "encrypted", TEST_SUBJECT, error.text);
  else
    kv_reply_json(reply, json_deep_copy(kek));
}

static void list_dek_subjects(const dek_request_t *r, const char *query,
                              kv_reply_t *reply) {
  if (!find_kek(r->deks, r->kek, r->lookup_deleted)) {
    not_found(reply, r->kek);
    return;
  }
  json_t *subjects = json_array(), *dek;
  size_t i;
  json_array_foreach(r->deks->deks, i, dek) {
    if (dek_matches(dek, r->kek, NULL, NULL, r->lookup_deleted))
      json_array_append(subjects, json_object_get(dek, "subject"));
  }
  sort_strings(subjects);
  reply_page(subjects, query, reply);
}

static int compare_ints(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

static void list_dek_versions(const dek_request_t *r, const char *query,
                              kv_reply_t *reply) {
  if (!find_kek(r->deks, r->kek, r->lookup_deleted)) {
    not_found(reply, r->kek);
    return;
  }
  size_t n = json_array_size(r->deks->deks), count = 0;
  int *versions = calloc(n ? n : 1, sizeof(*versions));
  json_t *dek, *list = versions ? json_array() : NULL;
  size_t i;
  json_array_foreach(r->deks->deks, i, dek) {
    if (versions &&
        dek_matches(dek, r->kek, r->subject, r->algorithm, r->lookup_deleted))
      versions[count++] = version_of(dek);
  }
  if (versions)
    qsort(versions, count, sizeof(*versions), compare_ints);
  for (i = 0; list && i < count; i++)
    json_array_append_new(list, json_integer(versions[i]));
  free(versions);
  reply_page(list, query, reply);
}

/* GET a DEK: the KEK shown under ?deleted, then the DEK; a shared KEK's
 * DEK is unwrapped by the registry's KMS and handed out with its key
 * material. */
static void get_dek(const dek_request_t *r, kv_reply_t *reply) {
  json_t *kek = find_kek(r->deks, r->kek, r->lookup_deleted);
  if (!kek) {
    not_found(reply, r->kek);
    return;
  }
  json_t *dek = find_dek(r->deks, r->kek, r->subject, r->algorithm,
                         r->version, r->lookup_deleted, NULL);
  const json_t *any = find_kek(r->deks, r->kek, true);
  const char *wrapped = text_of(dek, "encryptedKeyMaterial");
  char *material;
  kavro_error_t error;
  if (!dek)
    not_found(reply, r->subject);
  else if (!json_is_true(json_object_get(any, "shared")))
    kv_reply_json(reply, json_deep_copy(dek));
  else if (!wrapped ||
           !kms_call(r, text_of(any, "kmsType"), text_of(any, "kmsKeyId"),
                     text_of(dek, "algorithm"), wrapped, &material, NULL,
                     &error))
    kms_failed(reply, "raw", r->subject,
               wrapped ? error.text : "it has no encrypted key material");
  else
    reply_with_material(reply, dek, material);
}

/* Whether DEK @a holds the wrapped key @ekm (NULL: none). */
static bool same_ekm(const json_t *a, const char *ekm) {
  const char *old = text_of(a, "encryptedKeyMaterial");
  return (!old && !ekm) || (old && ekm && strcmp(old, ekm) == 0);
}

static void create_dek(const dek_request_t *r, const char *subject,
                       bool rewrap, kv_reply_t *reply) {
  static const char *const texts[] = {"subject", "algorithm",
                                      "encryptedKeyMaterial", NULL};
  static const char *const flags[] = {"deleted", NULL};
  const json_t *body = r->body;
  const json_t *version_value = json_object_get(body, "version");
  if (!members_typed(body, texts, flags) ||
      (version_value && !json_is_null(version_value) &&
       (!json_is_integer(version_value) ||
        json_integer_value(version_value) > INT_MAX ||
        json_integer_value(version_value) < INT_MIN))) {
    unrecognized_body(reply);
    return;
  }
  const char *algorithm = text_of(body, "algorithm");
  if (!algorithm)
    algorithm = DEFAULT_ALGORITHM;
  if (!algorithm_valid(algorithm)) {
    unrecognized_body(reply);
    return;
  }
  if (!subject_valid(subject)) {
    invalid_key(reply, "subject");
    return;
  }
  bool deleted = json_is_true(json_object_get(body, "deleted"));
  json_t *kek = find_kek(r->deks, r->kek, deleted);
  if (!kek) {
    not_found(reply, r->kek);
    return;
  }
  if (json_array_size(r->deks->deks) > MAX_KEYS) {
    kv_reply_error(reply, 40972, "A maximum of %d keys already exist",
                   MAX_KEYS);
    return;
  }
  int version = json_is_integer(version_value)
                    ? (int)json_integer_value(version_value)
                    : 1;
  const char *ekm = text_of(body, "encryptedKeyMaterial");
  bool shared = json_is_true(json_object_get(kek, "shared"));
  size_t index = 0;
  json_t *old =
      find_dek(r->deks, r->kek, subject, algorithm, version, true, &index);
  if (!rewrap && old &&
      (deleted == is_deleted(old) || !same_ekm(old, ekm))) {
    already_exists(reply, subject);
    return;
  }
  if (ekm && shared && old) {
    already_exists(reply, subject);
    return;
  }
  if (!ekm && !shared) {
    invalid_key(reply, "encryptedKeyMaterial");
    return;
  }
  /* The registry makes the key through its KMS, or checks the one given
   * by unwrapping it (unless the subject is being imported); either way
   * it hands the key material out. */
  char *made = NULL, *material = NULL;
  kavro_error_t error;
  if (shared && (!ekm || !kv_store_import_mode_locked(r->store, subject)) &&
      !kms_call(r, text_of(kek, "kmsType"), text_of(kek, "kmsKeyId"),
                algorithm, ekm, &material, &made, &error)) {
    kms_failed(reply, ekm ? "raw" : "encrypted", subject, error.text);
    return;
  }
  json_t *dek = json_pack("{s:s, s:s, s:i, s:s, s:s, s:I}", "kekName", r->kek,
                          "subject", subject, "version", version, "algorithm",
                          algorithm, "encryptedKeyMaterial", made ? made : ekm,
                          "ts", (json_int_t)now_ms());
  free(made);
  if (dek && deleted)
    json_object_set_new(dek, "deleted", json_true());
  if (!dek || (old ? json_array_set_new(r->deks->deks, index, dek)
                   : json_array_append_new(r->deks->deks, dek))) {
    free_key_material(material);
    kv_reply_json(reply, NULL);
    return;
  }
  if (material)
    reply_with_material(reply, dek, material);
  else
    kv_reply_json(reply, json_deep_copy(dek));
}

/* The KEK of a delete or undelete of DEKs (soft-deleted ones too), and
 * the DEK named (the latest for all versions); false with @reply set. */
static bool find_for_change(const dek_request_t *r, bool all, json_t **kekp,
                            kv_reply_t *reply) {
  *kekp = find_kek(r->deks, r->kek, true);
  if (!*kekp) {
    not_found(reply, r->kek);
    return false;
  }
  if (!find_dek(r->deks, r->kek, r->subject, r->algorithm,
                all ? LATEST : r->version, true, NULL)) {
    not_found(reply, r->subject);
    return false;
  }
  return true;
}

/* DELETE the DEK's versions (@all) or one version. */
static void delete_deks(const dek_request_t *r, bool all, kv_reply_t *reply) {
  json_t *kek;
  if (!find_for_change(r, all, &kek, reply))
    return;
  /* The registry looks "latest" up, then changes the key stored under
   * version -1: none. */
  int version = all ? 0 : r->version;
  json_t *dek;
  size_t i;
  json_array_foreach(r->deks->deks, i, dek) {
    if (dek_matches(dek, r->kek, r->subject, r->algorithm, true) &&
        (all || version_of(dek) == version) && r->permanent &&
        !is_deleted(dek)) {
      not_soft_deleted(reply, r->subject);
      return;
    }
  }
  for (i = json_array_size(r->deks->deks); i-- > 0;) {
    dek = json_array_get(r->deks->deks, i);
    if (!dek_matches(dek, r->kek, r->subject, r->algorithm, true) ||
        (!all && version_of(dek) != version))
      continue;
    if (r->permanent)
      json_array_remove(r->deks->deks, i);
    else if (!is_deleted(dek))
      set_deleted(dek, true);
  }
  kv_reply_no_content(reply);
}

/* POST .../undelete of the DEK's versions (@all) or one version. */
static void undelete_deks(const dek_request_t *r, bool all, kv_reply_t *reply) {
  json_t *kek;
  if (!find_for_change(r, all, &kek, reply))
    return;
  if (is_deleted(kek)) {
    kv_reply_error(reply, 40472, "Key '%s' must be undeleted first", r->kek);
    return;
  }
  int version = all ? 0 : r->version; /* -1: none, as in delete_deks() */
  json_t *dek;
  size_t i;
  json_array_foreach(r->deks->deks, i, dek) {
    if (dek_matches(dek, r->kek, r->subject, r->algorithm, true) &&
        (all || version_of(dek) == version) && is_deleted(dek))
      set_deleted(dek, false);
  }
  kv_reply_no_content(reply);
}

/* ---- serving ------------------------------------------------------------- */

bool kv_dek_endpoint(kv_endpoint_t endpoint) {
  return endpoint >= KV_EP_DEK_FIRST && endpoint <= KV_EP_DEK_LAST;
}

static bool has_body(kv_endpoint_t endpoint) {
  return endpoint == KV_EP_CREATE_KEK || endpoint == KV_EP_UPDATE_KEK ||
         endpoint == KV_EP_CREATE_DEK || endpoint == KV_EP_CREATE_DEK_OLD;
}

/* Whether @endpoint may change the keys. */
static bool changes(kv_endpoint_t endpoint) {
  switch (endpoint) {
  case KV_EP_KEKS:
  case KV_EP_GET_KEK:
  case KV_EP_TEST_KEK:
  case KV_EP_DEK_SUBJECTS:
  case KV_EP_GET_DEK:
  case KV_EP_GET_DEK_VERSION:
  case KV_EP_DEK_VERSIONS:
    return false;
  default:
    return true;
  }
}

/* A kv_deks_fn: serve the request @opaque under the store's lock; true
 * when it may have changed the keys. */
static bool dispatch(kv_store_t *store, kv_deks_t *deks, void *opaque,
                     kv_reply_t *reply) {
  dek_request_t *r = opaque;
  const char *query = r->query;
  r->store = store;
  r->deks = deks;
  switch (r->route->endpoint) {
  case KV_EP_KEKS:
    list_kek_names(r, query, reply);
    break;
  case KV_EP_CREATE_KEK:
    create_kek(r, kv_query_flag(query, "testSharing"), reply);
    break;
  case KV_EP_GET_KEK:
    if (!find_kek(r->deks, r->kek, r->lookup_deleted))
      not_found(reply, r->kek);
    else
      kv_reply_json(reply, json_deep_copy(find_kek(r->deks, r->kek,
                                                   r->lookup_deleted)));
    break;
  case KV_EP_UPDATE_KEK:
    update_kek(r, kv_query_flag(query, "testSharing"), reply);
    break;
  case KV_EP_DELETE_KEK:
    delete_kek(r, reply);
    break;
  case KV_EP_UNDELETE_KEK:
    undelete_kek(r, reply);
    break;
  case KV_EP_TEST_KEK:
    test_kek(r, reply);
    break;
  case KV_EP_DEK_SUBJECTS:
    list_dek_subjects(r, query, reply);
    break;
  case KV_EP_CREATE_DEK_OLD:
    create_dek(r, text_of(r->body, "subject"), false, reply);
    break;
  case KV_EP_CREATE_DEK:
    create_dek(r, r->subject, kv_query_flag(query, "rewrap"), reply);
    break;
  case KV_EP_GET_DEK:
  case KV_EP_GET_DEK_VERSION:
    get_dek(r, reply);
    break;
  case KV_EP_DEK_VERSIONS:
    list_dek_versions(r, query, reply);
    break;
  case KV_EP_DELETE_DEK:
  case KV_EP_DELETE_DEK_VERSION:
    delete_deks(r, r->route->endpoint == KV_EP_DELETE_DEK, reply);
    break;
  case KV_EP_UNDELETE_DEK:
  case KV_EP_UNDELETE_DEK_VERSION:
    undelete_deks(r, r->route->endpoint == KV_EP_UNDELETE_DEK, reply);
    break;
  default:
    kv_reply_error(reply, 404, "HTTP 404 Not Found");
    break;
  }
  return changes(r->route->endpoint) && !reply->error_code;
}

/* The path's version: "latest", -1 or a number, else a 42202; the
 * endpoints without one read version 1 (GET .../deks/{subject}). */
static bool read_version(const kv_route_t *route, int *versionp,
                         kv_reply_t *reply) {
  *versionp = 1;
  if (!route->version)
    return true;
  if (kv_mock_parse_version(route->version, versionp))
    return true;
  kv_reply_error(reply, 42202,
                 "The specified version '%s' is not a valid version id. "
                 "Allowed values are between [1, 2^31-1] and the string "
                 "\"latest\"",
                 route->version);
  return false;
}

void kv_dek_serve(kv_store_t *store, const kv_route_t *route,
                  const kv_http_request_t *request, kv_reply_t *reply) {
  const char *query = request->query;
  char *algorithm = kv_query_text(query, "algorithm");
  dek_request_t r = {
      .route = route,
      .query = query,
      .kek = route->id,
      .subject = route->subject,
      .algorithm = algorithm ? algorithm : DEFAULT_ALGORITHM,
      .lookup_deleted = kv_query_flag(query, "deleted"),
      .permanent = kv_query_flag(query, "permanent"),
  };
  json_t *body = NULL;
  /* A query parameter of the wrong type: JAX-RS answers 404. */
  if (!algorithm_valid(r.algorithm))
    kv_reply_error(reply, 404, "HTTP 404 Not Found");
  else if (r.kek && !name_valid(r.kek))
    invalid_key(reply, "name");
  else if (r.subject && !subject_valid(r.subject))
    invalid_key(reply, "subject");
  else if (read_version(route, &r.version, reply) &&
           (!has_body(route->endpoint) ||
            (body = kv_rest_read_body(request, reply)))) {
    r.body = body;
    kv_store_with_deks(store, changes(route->endpoint), dispatch, &r, reply);
  }
  json_decref(body);
  free(algorithm);
}

/* ---- the store's file -------------------------------------------------- */

json_t *kv_deks_dump(const kv_deks_t *deks) {
  json_t *root = json_object();
  if (!root || (!json_object_size(deks->keks) && !json_array_size(deks->deks)))
    return root;
  json_t *keks = json_array();
  const char *name;
  json_t *kek;
  json_object_foreach(deks->keks, name, kek) {
    if (keks && json_array_append(keks, kek)) {
      json_decref(keks);
      keks = NULL;
    }
  }
  if (!keks || json_object_set_new(root, "keks", keks) ||
      json_object_set(root, "deks", deks->deks)) {
    json_decref(root);
    return NULL;
  }
  return root;
}

/* Whether the optional member @key of @object is of @type (or absent). */
static bool optional_is(const json_t *object, const char *key, json_type type) {
  const json_t *value = json_object_get(object, key);
  return !value || json_typeof(value) == type ||
         (type == JSON_TRUE && json_is_boolean(value));
}

/* What is wrong with the file's KEK @kek, or NULL. */
static const char *kek_wrong(const json_t *kek) {
  if (!json_is_object(kek) || !name_valid(text_of(kek, "name")) ||
      !text_of(kek, "kmsType") || !text_of(kek, "kmsKeyId") ||
      !props_valid(json_object_get(kek, "kmsProps")) ||
      !optional_is(kek, "doc", JSON_STRING) ||
      !optional_is(kek, "shared", JSON_TRUE) ||
      !optional_is(kek, "deleted", JSON_TRUE) ||
      !optional_is(kek, "ts", JSON_INTEGER))
    return "dekRegistry: a KEK without a valid name, kmsType or kmsKeyId, "
           "or with a member of the wrong type";
  return NULL;
}

/* What is wrong with the file's DEK @dek (under one of @keks), or NULL. */
static const char *dek_wrong(const json_t *dek, const json_t *keks) {
  const json_t *version = json_object_get(dek, "version");
  const char *algorithm = text_of(dek, "algorithm");
  if (!json_is_object(dek) ||
      !json_object_get(keks, text_of(dek, "kekName") ? text_of(dek, "kekName")
                                                      : "") ||
      !subject_valid(text_of(dek, "subject")) || !json_is_integer(version) ||
      json_integer_value(version) < 1 ||
      json_integer_value(version) > INT_MAX || !algorithm ||
      !algorithm_valid(algorithm) || !text_of(dek, "encryptedKeyMaterial") ||
      !optional_is(dek, "deleted", JSON_TRUE) ||
      !optional_is(dek, "ts", JSON_INTEGER))
    return "dekRegistry: a DEK of no KEK, or without a valid subject, "
           "version, algorithm or encryptedKeyMaterial";
  return NULL;
}

const char *kv_deks_load(kv_deks_t *deks, const json_t *value) {
  const json_t *keks = json_object_get(value, "keks");
  const json_t *list = json_object_get(value, "deks");
  if (!json_is_object(value) || (keks && !json_is_array(keks)) ||
      (list && !json_is_array(list)))
    return "dekRegistry: not an object of \"keks\" and \"deks\" arrays";
  /* The registry refuses a key only once it has more than MAX_KEYS. */
  if (json_array_size(keks) > MAX_KEYS + 1 ||
      json_array_size(list) > MAX_KEYS + 1)
    return "dekRegistry: more keys than the registry keeps";
  json_t *by_name = json_object(), *all = json_array(), *item;
  const char *wrong = by_name && all ? NULL : "out of memory";
  size_t i;
  json_array_foreach(keks, i, item) {
    if (!wrong && !(wrong = kek_wrong(item)) &&
        json_object_get(by_name, text_of(item, "name")))
      wrong = "dekRegistry: a KEK twice";
    if (!wrong && json_object_set_new(by_name, text_of(item, "name"),
                                      json_deep_copy(item)))
      wrong = "out of memory";
  }
  json_array_foreach(list, i, item) {
    if (!wrong && !(wrong = dek_wrong(item, by_name)) &&
        find_dek(&(kv_deks_t){by_name, all}, text_of(item, "kekName"),
                 text_of(item, "subject"), text_of(item, "algorithm"),
                 version_of(item), true, NULL))
      wrong = "dekRegistry: a DEK version twice";
    if (!wrong && json_array_append_new(all, json_deep_copy(item)))
      wrong = "out of memory";
  }
  if (wrong) {
    json_decref(by_name);
    json_decref(all);
    return wrong;
  }
  json_decref(deks->keks);
  json_decref(deks->deks);
  deks->keks = by_name;
  deks->deks = all;
  return NULL;
}
