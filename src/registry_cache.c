/*
 * kavro - the registry client's caches.
 *
 * Each cache is a chained hash table over a fixed array of `capacity`
 * entries.
 *
 * Locking: a "big-reader" lock.  Every thread has a slot (kv_thread_slot());
 * a reader locks only its slot's mutex, which sits on its own cache line and
 * is uncontended unless more than KV_SLOTS threads share slots, so a warm
 * hit neither waits for nor bounces a cache line with other readers.  A
 * writer (a miss being filled, an eviction, a removal) locks every slot in
 * order; writes are rare, misses cost a network round trip anyway.
 *
 * Eviction: CLOCK.  A hit sets the entry's `referenced` bit (only when it is
 * clear, so a hot entry is not written on every hit); when the table is
 * full the hand sweeps the entries, clearing set bits and evicting the
 * first entry whose bit is clear: an entry not used since the hand last
 * passed it.  Expired TTL entries are misses and are replaced in place.
 *
 * Negative caches (keys the registry answered "not found" for) are the
 * same tables holding values that carry only the registry's error code,
 * every entry with an expiry.
 *
 * In-flight table: per cache, a mutex-protected list of keys being fetched.
 * The first caller to miss a key leads; later callers for the same key
 * wait on the flight's condition variable and take its result.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "common_error_int.h"
#include "registry_int.h"

#define NO_ENTRY UINT32_MAX

/* ---- thread slots -------------------------------------------------------- */

static atomic_uint next_slot;
static _Thread_local unsigned thread_slot = UINT32_MAX;

unsigned kv_thread_slot(void) {
  if (thread_slot == UINT32_MAX)
    thread_slot =
        atomic_fetch_add_explicit(&next_slot, 1, memory_order_relaxed) %
        KV_SLOTS;
  return thread_slot;
}

int64_t kv_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the table ----------------------------------------------------------- */

typedef struct kv_padded_mutex_s {
  pthread_mutex_t mutex;
  char pad[64 - sizeof(pthread_mutex_t) % 64];
} kv_padded_mutex_t;

typedef struct kv_entry_s {
  bool used;
  atomic_bool referenced;
  uint32_t next; /* next entry in the bucket chain */
  uint64_t hash;
  char *str;
  int64_t num;
  bool has_fp;
  unsigned char fp[KV_FP_SIZE];
  int64_t expires_ms; /* 0: never */
  kv_cache_value_t value;
} kv_entry_t;

struct kv_flight_s {
  kv_flight_t *next;
  char *str;
  int64_t num;
  bool has_fp;
  unsigned char fp[KV_FP_SIZE];
  int shares; /* the leader and the waiters */
  bool done;
  kavro_err_t err;
  kavro_error_t error;
  pthread_cond_t cond;
};

struct kv_cache_s {
  kv_padded_mutex_t locks[KV_SLOTS];
  kv_entry_t *entries;
  uint32_t capacity;
  uint32_t used;
  uint32_t hand;
  uint32_t *buckets;
  uint32_t bucket_mask;
  pthread_mutex_t flights_lock;
  kv_flight_t *flights;
  kavro_metric_t *hits, *misses, *evictions; /* {cache: its name} */
};

static uint64_t key_hash(const kv_cache_key_t *key) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (const unsigned char *p = (const unsigned char *)key->str; *p; p++)
    h = (h ^ *p) * 1099511628211ull;
  h = (h ^ (uint64_t)key->num) * 1099511628211ull;
  if (key->fp)
    for (int i = 0; i < 8; i++)
      h = (h ^ key->fp[i]) * 1099511628211ull;
  return h ^ (h >> 29);
}

static bool key_matches(const char *str, int64_t num, bool has_fp,
                        const unsigned char *fp, const kv_cache_key_t *key) {
  return num == key->num && has_fp == (key->fp != NULL) &&
         strcmp(str, key->str) == 0 &&
         (!has_fp || memcmp(fp, key->fp, KV_FP_SIZE) == 0);
}

void kv_cache_count(kv_cache_t *cache, bool hit) {
  if (cache)
    kv_metric_inc(hit ? cache->hits : cache->misses);
}

kv_cache_t *kv_cache_new(size_t capacity, const char *name) {
  if (capacity == 0 || capacity > (1u << 30))
    return NULL;
  /* Aligned so that each slot lock has a cache line of its own. */
  size_t size = (sizeof(kv_cache_t) + 63) / 64 * 64;
  kv_cache_t *cache = aligned_alloc(64, size);
  if (!cache)
    return NULL;
  memset(cache, 0, size);
  uint32_t buckets = 16;
  while (buckets < 2 * capacity)
    buckets *= 2;
  cache->entries = calloc(capacity, sizeof(kv_entry_t));
  cache->buckets = malloc(buckets * sizeof(uint32_t));
  if (!cache->entries || !cache->buckets) {
    free(cache->entries);
    free(cache->buckets);
    free(cache);
    return NULL;
  }
  memset(cache->buckets, 0xff, buckets * sizeof(uint32_t));
  cache->hits = kv_metric(KV_M_CACHE_HITS, name);
  cache->misses = kv_metric(KV_M_CACHE_MISSES, name);
  cache->evictions = kv_metric(KV_M_CACHE_EVICTIONS, name);
  cache->bucket_mask = buckets - 1;
  cache->capacity = (uint32_t)capacity;
  for (int i = 0; i < KV_SLOTS; i++)
    pthread_mutex_init(&cache->locks[i].mutex, NULL);
  pthread_mutex_init(&cache->flights_lock, NULL);
  return cache;
}

void kv_cache_value_clear(kv_cache_value_t *value) {
  kavro_schema_destroy(value->schema);
  kv_contract_unref(value->contract);
  kv_blob_unref(value->blob);
  memset(value, 0, sizeof(*value));
}

static void entry_free(kv_entry_t *e) {
  free(e->str);
  kv_cache_value_clear(&e->value);
  memset(e, 0, sizeof(*e));
}

void kv_cache_destroy(kv_cache_t *cache) {
  if (!cache)
    return;
  for (uint32_t i = 0; i < cache->capacity; i++)
    if (cache->entries[i].used)
      entry_free(&cache->entries[i]);
  for (int i = 0; i < KV_SLOTS; i++)
    pthread_mutex_destroy(&cache->locks[i].mutex);
  pthread_mutex_destroy(&cache->flights_lock);
  free(cache->entries);
  free(cache->buckets);
  free(cache);
}

static void write_lock(kv_cache_t *cache) {
  for (int i = 0; i < KV_SLOTS; i++)
    pthread_mutex_lock(&cache->locks[i].mutex);
}

static void write_unlock(kv_cache_t *cache) {
  for (int i = KV_SLOTS - 1; i >= 0; i--)
    pthread_mutex_unlock(&cache->locks[i].mutex);
}

/* The entry for @key, or NULL.  Needs a read or the write lock. */
static kv_entry_t *find(kv_cache_t *cache, const kv_cache_key_t *key,
                        uint64_t hash) {
  uint32_t i = cache->buckets[hash & cache->bucket_mask];
  while (i != NO_ENTRY) {
    kv_entry_t *e = &cache->entries[i];
    if (e->hash == hash && key_matches(e->str, e->num, e->has_fp, e->fp, key))
      return e;
    i = e->next;
  }
  return NULL;
}

bool kv_cache_get(kv_cache_t *cache, const kv_cache_key_t *key, int64_t now_ms,
                  kv_cache_value_t *out) {
  uint64_t hash = key_hash(key);
  unsigned slot = kv_thread_slot();
  pthread_mutex_t *lock = &cache->locks[slot].mutex;
  pthread_mutex_lock(lock);
  kv_entry_t *e = find(cache, key, hash);
  bool hit = e && (e->expires_ms == 0 || now_ms < e->expires_ms);
  if (hit) {
    if (!atomic_load_explicit(&e->referenced, memory_order_relaxed))
      atomic_store_explicit(&e->referenced, true, memory_order_relaxed);
    *out = e->value;
    out->schema = kavro_schema_dup(e->value.schema);
    out->contract = kv_contract_ref(e->value.contract);
    out->blob = kv_blob_ref(e->value.blob);
  }
  pthread_mutex_unlock(lock);
  return hit;
}

/* Unlink entry @index from its bucket chain.  Needs the write lock. */
static void unlink_entry(kv_cache_t *cache, uint32_t index) {
  kv_entry_t *e = &cache->entries[index];
  uint32_t *link = &cache->buckets[e->hash & cache->bucket_mask];
  while (*link != index)
    link = &cache->entries[*link].next;
  *link = e->next;
  entry_free(e);
  cache->used--;
}

/* A free entry, evicting by CLOCK when full.  Needs the write lock. */
static uint32_t take_free_entry(kv_cache_t *cache) {
  if (cache->used < cache->capacity)
    for (uint32_t n = 0; n < cache->capacity; n++) {
      uint32_t i = (cache->hand + n) % cache->capacity;
      if (!cache->entries[i].used)
        return i;
    }
  for (;;) {
    uint32_t i = cache->hand;
    cache->hand = (cache->hand + 1) % cache->capacity;
    kv_entry_t *e = &cache->entries[i];
    if (atomic_exchange_explicit(&e->referenced, false, memory_order_relaxed))
      continue;
    unlink_entry(cache, i);
    kv_metric_inc(cache->evictions);
    return i;
  }
}

kavro_err_t kv_cache_put(kv_cache_t *cache, const kv_cache_key_t *key,
                         const kv_cache_value_t *value, int64_t expires_ms) {
  char *str = strdup(key->str);
  if (!str)
    return KAVRO_ERR_NOMEM;
  uint64_t hash = key_hash(key);
  write_lock(cache);
  kv_entry_t *e = find(cache, key, hash);
  if (e) {
    free(str);
    kv_cache_value_clear(&e->value);
  } else {
    uint32_t i = take_free_entry(cache);
    e = &cache->entries[i];
    e->used = true;
    e->hash = hash;
    e->str = str;
    e->num = key->num;
    e->has_fp = key->fp != NULL;
    if (key->fp)
      memcpy(e->fp, key->fp, KV_FP_SIZE);
    e->next = cache->buckets[hash & cache->bucket_mask];
    cache->buckets[hash & cache->bucket_mask] = i;
    cache->used++;
  }
  e->value = *value;
  e->value.schema = kavro_schema_dup(value->schema);
  e->value.contract = kv_contract_ref(value->contract);
  e->value.blob = kv_blob_ref(value->blob);
  e->expires_ms = expires_ms;
  atomic_store_explicit(&e->referenced, false, memory_order_relaxed);
  write_unlock(cache);
  return KAVRO_OK;
}

void kv_cache_remove(kv_cache_t *cache, const kv_cache_key_t *key) {
  uint64_t hash = key_hash(key);
  write_lock(cache);
  kv_entry_t *e = find(cache, key, hash);
  if (e)
    unlink_entry(cache, (uint32_t)(e - cache->entries));
  write_unlock(cache);
}

void kv_cache_remove_str(kv_cache_t *cache, const char *str) {
  write_lock(cache);
  for (uint32_t i = 0; i < cache->capacity; i++)
    if (cache->entries[i].used && strcmp(cache->entries[i].str, str) == 0)
      unlink_entry(cache, i);
  write_unlock(cache);
}

void kv_cache_clear(kv_cache_t *cache) {
  write_lock(cache);
  for (uint32_t i = 0; i < cache->capacity; i++)
    if (cache->entries[i].used)
      unlink_entry(cache, i);
  write_unlock(cache);
}

/* ---- in-flight requests ------------------------------------------------- */

static void flight_release(kv_cache_t *cache, kv_flight_t *flight) {
  /* Called with flights_lock held. */
  if (--flight->shares > 0)
    return;
  pthread_cond_destroy(&flight->cond);
  free(flight->str);
  free(flight);
}

kv_flight_t *kv_flight_join(kv_cache_t *cache, const kv_cache_key_t *key,
                            bool *leader) {
  pthread_mutex_lock(&cache->flights_lock);
  for (kv_flight_t *f = cache->flights; f; f = f->next)
    if (key_matches(f->str, f->num, f->has_fp, f->fp, key)) {
      f->shares++;
      *leader = false;
      pthread_mutex_unlock(&cache->flights_lock);
      return f;
    }
  kv_flight_t *f = calloc(1, sizeof(*f));
  if (f && !(f->str = strdup(key->str))) {
    free(f);
    f = NULL;
  }
  if (f) {
    f->num = key->num;
    f->has_fp = key->fp != NULL;
    if (key->fp)
      memcpy(f->fp, key->fp, KV_FP_SIZE);
    f->shares = 1;
    pthread_cond_init(&f->cond, NULL);
    f->next = cache->flights;
    cache->flights = f;
    *leader = true;
  }
  pthread_mutex_unlock(&cache->flights_lock);
  return f;
}

void kv_flight_finish(kv_cache_t *cache, kv_flight_t *flight, kavro_err_t err,
                      const kavro_error_t *error) {
  pthread_mutex_lock(&cache->flights_lock);
  kv_flight_t **link = &cache->flights;
  while (*link != flight)
    link = &(*link)->next;
  *link = flight->next; /* later misses start a new flight */
  flight->done = true;
  flight->err = err;
  if (error)
    flight->error = *error;
  else
    kv_error_set(&flight->error, err, "%s", kavro_err2str(err));
  pthread_cond_broadcast(&flight->cond);
  flight_release(cache, flight);
  pthread_mutex_unlock(&cache->flights_lock);
}

kavro_err_t kv_flight_wait(kv_cache_t *cache, kv_flight_t *flight,
                           kavro_error_t *error) {
  pthread_mutex_lock(&cache->flights_lock);
  while (!flight->done)
    pthread_cond_wait(&flight->cond, &cache->flights_lock);
  kavro_err_t err = flight->err;
  if (error && err != KAVRO_OK)
    *error = flight->error;
  flight_release(cache, flight);
  pthread_mutex_unlock(&cache->flights_lock);
  return err;
}
