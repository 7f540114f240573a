/*
 * kavro - map a JSON pointer back to a line and column of the source text.
 *
 * jansson keeps no positions for parsed values, yet every schema error and
 * every compatibility finding is reported against the file a person edits.
 * Only computed when needed (an error, an annotation), so the common path
 * pays nothing.
 */
#ifndef KAVRO_JSON_LOCATE_INT_H
#define KAVRO_JSON_LOCATE_INT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct kv_json_pos_s {
  int line;     /* 1-based */
  int column;   /* 1-based, in bytes */
  long offset;  /* byte offset from the start of the text */
} kv_json_pos_t;

/*
 * Find the value at JSON pointer @pointer ("" or "/" is the whole text,
 * "/fields/3/type") in @text.  Sets @pos to its first character and returns
 * true.  When the pointer leads nowhere, sets @pos to the deepest value
 * found on the way and returns false; on text that is not JSON, to where
 * scanning stopped.  Never reads past @length; iterative, so any nesting
 * depth is safe.
 */
bool kv_json_locate(const char *text, size_t length, const char *pointer,
                    kv_json_pos_t *pos);

/*
 * Extend the JSON pointer in @buf (@size bytes, its first @length used) by
 * the token @key (@key_length bytes): '/', then the key with '~' as "~0"
 * and '/' as "~1" (RFC 6901), cut to fit, never inside an escape.  Keeps
 * @buf NUL-terminated; returns its new length.
 */
size_t kv_json_pointer_push(char *buf, size_t size, size_t length,
                            const char *key, size_t key_length);

/*
 * Like kv_json_locate(), but for a member of an object positions on the
 * member's key (`"type": ...` points at `"type"`), which is where a person
 * looks for a field.  Array elements and the root are as kv_json_locate().
 */
bool kv_json_locate_key(const char *text, size_t length, const char *pointer,
                        kv_json_pos_t *pos);

/* Called for each key that an object of the text holds a second time:
 * @pointer is the JSON pointer of that member, @key the key (unescaped). */
typedef bool (*kv_json_duplicate_fn)(void *opaque, const char *pointer,
                                     const char *key);

/*
 * Call @fn for every repeated key of every object in @text, in text order,
 * until it returns false.  The text must be JSON that jansson parsed
 * (without JSON_REJECT_DUPLICATES): jansson bounds its depth, which bounds
 * this walk's recursion; only then is it run, so valid schemas pay
 * nothing.  Each object's keys go into a jansson object used as a set, so
 * the walk stays linear however many keys an object has.  Returns false
 * when @fn stopped it or memory ran out.
 */
bool kv_json_duplicate_keys(const char *text, size_t length,
                            kv_json_duplicate_fn fn, void *opaque);

#endif /* KAVRO_JSON_LOCATE_INT_H */
