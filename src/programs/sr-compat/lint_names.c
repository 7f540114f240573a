/*
 * sr-compat lint - names that code generators in other languages cannot
 * use as written.
 *
 * Deliberately conservative: only words the languages' grammars reserve,
 * never style.  Java (JLS 17, 3.9 keywords and the literals true, false,
 * null), C (C11 6.4.1 and the keywords C23 adds, which kavro's own C code
 * generation must avoid), Python 3 (keyword.kwlist; soft keywords such as
 * `match` and `type` are usable names, so they are not listed).  Go is
 * left out on purpose: Go generators (gogen-avro, hamba/avro) export every
 * generated name by capitalising it, so Go's lowercase keywords never
 * collide.  Names beginning with `__` or `_` and a capital letter are
 * reserved in C (C11 7.1.3); Python also mangles `__name` members of a
 * class.
 */
#include <stdlib.h>
#include <string.h>

#include "lint.h"
#include "util.h"

enum { JAVA = 1, C = 2, PYTHON = 4 };

static const struct {
  const char *word;
  unsigned languages;
} reserved[] = {
    {"False", PYTHON}, {"None", PYTHON}, {"True", PYTHON},
    {"_", JAVA}, {"abstract", JAVA}, {"alignas", C}, {"alignof", C},
    {"and", PYTHON}, {"as", PYTHON}, {"assert", JAVA | PYTHON},
    {"async", PYTHON}, {"auto", C}, {"await", PYTHON}, {"bool", C},
    {"boolean", JAVA}, {"break", JAVA | C | PYTHON}, {"byte", JAVA},
    {"case", JAVA | C}, {"catch", JAVA}, {"char", JAVA | C},
    {"class", JAVA | PYTHON}, {"const", JAVA | C}, {"constexpr", C},
    {"continue", JAVA | C | PYTHON}, {"def", PYTHON}, {"default", JAVA | C},
    {"del", PYTHON}, {"do", JAVA | C}, {"double", JAVA | C}, {"elif", PYTHON},
    {"else", JAVA | C | PYTHON}, {"enum", JAVA | C}, {"except", PYTHON},
    {"extends", JAVA}, {"extern", C}, {"false", JAVA | C}, {"final", JAVA},
    {"finally", JAVA | PYTHON}, {"float", JAVA | C}, {"for", JAVA | C | PYTHON},
    {"from", PYTHON}, {"global", PYTHON}, {"goto", JAVA | C},
    {"if", JAVA | C | PYTHON}, {"implements", JAVA}, {"import", JAVA | PYTHON},
    {"in", PYTHON}, {"inline", C}, {"instanceof", JAVA}, {"int", JAVA | C},
    {"interface", JAVA}, {"is", PYTHON}, {"lambda", PYTHON}, {"long", JAVA | C},
    {"native", JAVA}, {"new", JAVA}, {"nonlocal", PYTHON}, {"not", PYTHON},
    {"null", JAVA}, {"nullptr", C}, {"or", PYTHON}, {"package", JAVA},
    {"pass", PYTHON}, {"private", JAVA}, {"protected", JAVA}, {"public", JAVA},
    {"raise", PYTHON}, {"register", C}, {"restrict", C},
    {"return", JAVA | C | PYTHON}, {"short", JAVA | C}, {"signed", C},
    {"sizeof", C}, {"static", JAVA | C}, {"static_assert", C},
    {"strictfp", JAVA}, {"struct", C}, {"super", JAVA}, {"switch", JAVA | C},
    {"synchronized", JAVA}, {"this", JAVA}, {"thread_local", C},
    {"throw", JAVA}, {"throws", JAVA}, {"transient", JAVA}, {"true", JAVA | C},
    {"try", JAVA | PYTHON}, {"typedef", C}, {"typeof", C},
    {"typeof_unqual", C}, {"union", C}, {"unsigned", C}, {"void", JAVA | C},
    {"volatile", JAVA | C}, {"while", JAVA | C | PYTHON}, {"with", PYTHON},
    {"yield", PYTHON},
};

static unsigned reserved_in(const char *name) {
  for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
    if (strcmp(name, reserved[i].word) == 0)
      return reserved[i].languages;
  return 0;
}

static bool is_alpha(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool sc_lint_valid_name(const char *name) {
  if (!(is_alpha(*name) || *name == '_'))
    return false;
  for (const char *c = name + 1; *c; c++)
    if (!(is_alpha(*c) || *c == '_' || (*c >= '0' && *c <= '9')))
      return false;
  return true;
}

/* "Java, C and Python" for a language mask. */
static char *language_list(unsigned languages) {
  const char *names[3];
  size_t n = 0;
  if (languages & JAVA)
    names[n++] = "Java";
  if (languages & C)
    names[n++] = "C";
  if (languages & PYTHON)
    names[n++] = "Python";
  if (n == 1)
    return sc_xstrdup(names[0]);
  if (n == 2)
    return sc_xasprintf("%s and %s", names[0], names[1]);
  return sc_xasprintf("%s, %s and %s", names[0], names[1], names[2]);
}

char *sc_lint_name_problem(const char *name) {
  for (const unsigned char *c = (const unsigned char *)name; *c; c++)
    if (*c >= 0x80)
      return sc_xstrdup("contains non-ASCII characters, which Avro names do "
                        "not allow ([A-Za-z_][A-Za-z0-9_]*) and Java and C "
                        "code generators reject");
  if (!sc_lint_valid_name(name))
    return sc_xstrdup("is not a valid Avro name ([A-Za-z_][A-Za-z0-9_]*); "
                      "Java and C code generators reject it");
  if (name[0] == '_' && name[1] == '_')
    return sc_xstrdup("begins with two underscores: C reserves such "
                      "identifiers (C11 7.1.3) and Python mangles them in "
                      "generated classes");
  if (name[0] == '_' && name[1] >= 'A' && name[1] <= 'Z')
    return sc_xstrdup("begins with an underscore and a capital letter, which "
                      "C reserves (C11 7.1.3)");
  unsigned languages = reserved_in(name);
  if (!languages)
    return NULL;
  char *list = language_list(languages);
  char *problem = sc_xasprintf("is a reserved word in %s; generated code "
                               "there cannot use it as written", list);
  free(list);
  return problem;
}
