/*
 * kavro - qualified subjects and context names (common_context_int.h).
 */
#include <stdio.h>
#include <string.h>

#include "common_context_int.h"

void kv_subject_split(const char *subject, kv_subject_parts_t *parts) {
  parts->context = KV_DEFAULT_CONTEXT;
  parts->context_length = 1;
  parts->name = subject;
  if (strncmp(subject, ":.", 2) != 0)
    return;
  const char *end = strchr(subject + 2, ':');
  parts->context = subject + 1;
  if (end) {
    parts->context_length = (size_t)(end - parts->context);
    parts->name = end + 1;
  } else {
    parts->context_length = strlen(parts->context);
    parts->name = subject + strlen(subject);
  }
}

bool kv_subject_in_context(const char *subject) {
  kv_subject_parts_t parts;
  kv_subject_split(subject, &parts);
  return !(parts.context_length == 1 && parts.context[0] == '.');
}

bool kv_context_prefix(const char *context, char *out, size_t size) {
  size_t length = strlen(context);
  if (length && context[0] == ':') {
    context++;
    length--;
  }
  if (length && context[length - 1] == ':')
    length--;
  if (memchr(context, ':', length))
    return false;
  if (length && context[0] == '.') {
    context++;
    length--;
  }
  int n = length ? snprintf(out, size, ":.%.*s:", (int)length, context)
                 : snprintf(out, size, "%s", "");
  return n >= 0 && (size_t)n < size;
}
