#!/bin/sh
# Keeps the documentation from silently falling behind the code:
#
#  1. man pages: every command that `PROG --help` lists and every long
#     option that `PROG --help` and `PROG COMMAND --help` print appear in
#     man/PROG.1 (a command's options in its own subsection, headed
#     "PROG COMMAND"); every such subsection names a command that exists;
#     the page has the usual sections and the program's version;
#  2. each page renders with groff (and man -l, when man-db is installed)
#     without a single warning;
#  3. every KAVRO_EXPORT function in include/kavro/*.h has a doc comment of
#     its own, which says who owns the memory whenever the function returns
#     a pointer or stores one through a pointer-to-pointer argument; every
#     such header states its thread safety.
#
# Each check first runs on a fixture that it must reject, so that a check
# that has stopped detecting anything fails instead of passing.
#
# `make check` runs it in the build tree with $srcdir set.  By hand, from a
# build tree:  srcdir=/path/to/kavro /path/to/kavro/tests/check_docs.sh
set -u

srcdir=${srcdir:-.}
failures=0
skipped=""

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

# ---- reading --help and roff ----------------------------------------------

# The command names of a program's --help: the first word of each line
# indented by two spaces in the "Commands:" block.
help_commands() {
  awk '/^Commands:/ { on = 1; next }
       on && /^$/ { exit }
       on && /^  [a-z]/ { print $1 }' "$1"
}

# Every long option a help text mentions, once each.
long_options() {
  grep -o -e '--[a-z][a-z0-9-]*' "$1" | sort -u
}

# A man page's source as plain text: no comments, no font or spacing
# escapes, \- as -.  Macro lines (.SS, .TP, ...) stay, for the structure.
roff_text() {
  sed -e '/^\.\\"/d' \
      -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' -e 's/\\f\[[A-Z]*\]//g' \
      -e 's/\\(aq/'"'"'/g' -e 's/\\(..//g' \
      -e 's/\\-/-/g' -e 's/\\[&%|c]//g' -e 's/\\e/\\/g' "$1"
}

# The lines under heading "$3" of kind $2 (.SH or .SS; quoted or not) of
# the plain text in file $1, up to the next heading of that kind or above.
section() {
  awk -v kind="$2" -v want="$3" '
    /^\.S[SH][ \t]/ {
      heading = $0
      sub(/^\.S[SH][ \t]+/, "", heading)
      gsub(/"/, "", heading)
      if ($1 == kind) { on = (heading == want); next }
      if ($1 == ".SH") on = 0   # a section ends its subsections
    }
    on { print }' "$1"
}

subsection() { section "$1" .SS "$2"; }

# The subsection headings "PROG WORD" of the plain text in $1, as WORD.
subsection_commands() {
  awk -v prog="$2" '
    $1 == ".SS" {
      heading = $0
      sub(/^\.SS[ \t]+/, "", heading)
      gsub(/"/, "", heading)
      n = split(heading, word, /[ \t]+/)
      if (n == 2 && word[1] == prog) print word[2]
    }' "$1"
}

# Options of help text $1 that text file $2 does not mention, as a whole
# word (--against is not found in --against-git).
missing_options() {
  for opt in $(long_options "$1"); do
    grep -E -q -e "(^|[^A-Za-z0-9-])$opt([^A-Za-z0-9-]|\$)" "$2" ||
      echo "$opt"
  done
}

# ---- 1. man pages against --help ------------------------------------------

check_man_page() {  # program path, man page
  prog=$1
  page=$2
  name=$(basename "$prog")
  text="$tmp/$name.txt"
  roff_text "$page" > "$text"

  if ! "$prog" --help > "$tmp/help" 2> "$tmp/err" || [ ! -s "$tmp/help" ]; then
    fail "'$name --help' did not print its help: $(head -c 300 "$tmp/err")"
    return
  fi
  commands=$(help_commands "$tmp/help")
  : > "$tmp/allhelp"
  [ -n "$commands" ] || fail "no command found in '$name --help'"

  for opt in $(missing_options "$tmp/help" "$text"); do
    fail "$page: option $opt of '$name --help' is not documented"
  done

  for cmd in $commands; do
    subsection "$text" "$name $cmd" > "$tmp/section"
    if [ ! -s "$tmp/section" ]; then
      fail "$page: no subsection \"$name $cmd\" for command $cmd"
      continue
    fi
    # `help` is the help itself: it has no --help of its own.
    [ "$cmd" = help ] && continue
    if ! "$prog" "$cmd" --help > "$tmp/cmdhelp" 2> "$tmp/err" ||
        [ ! -s "$tmp/cmdhelp" ]; then
      fail "'$name $cmd --help' did not print its help, so the man page" \
           "cannot be checked: $(head -c 300 "$tmp/err")"
      continue
    fi
    cat "$tmp/cmdhelp" >> "$tmp/allhelp"
    for opt in $(missing_options "$tmp/cmdhelp" "$tmp/section"); do
      fail "$page: option $opt of '$name $cmd' is not in subsection" \
           "\"$name $cmd\""
    done
  done

  for documented in $(subsection_commands "$text" "$name"); do
    echo "$commands" | grep -q -x -e "$documented" ||
      fail "$page: subsection \"$name $documented\" documents a command" \
           "'$name --help' does not list"
  done

  for section in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" EXAMPLES \
                 "SEE ALSO"; do
    grep -q -x -e ".SH \"*$section\"*" "$text" ||
      fail "$page: no $section section"
  done

  # Environment variables the help names ($NAME) have their entry.
  section "$text" .SH ENVIRONMENT > "$tmp/environment"
  variables=$(grep -h -o -e '\$[A-Z][A-Z0-9_]*' "$tmp/help" "$tmp/allhelp" |
              sort -u)
  for var in $variables; do
    grep -q -e "^\.[A-Z]* *${var#?}\$" "$tmp/environment" ||
      fail "$page: $var, named by the help, has no entry in ENVIRONMENT"
  done

  version=$("$prog" --version | awk '{ print $NF; exit }')
  grep '^\.TH ' "$text" | grep -q -F -e " $version" ||
    fail "$page: .TH does not give version $version ('$name --version')"

  echo "$page: checked $(echo "$commands" | grep -c .) commands and" \
    "$(cat "$tmp/help" "$tmp/allhelp" | long_options /dev/stdin | grep -c .)" \
    "long options against $name $version"
}

# The negative fixture: an option missing from a section, and one present
# only as the prefix of a longer option, must both be reported.
printf 'Usage: x [--present] [--absent] [--prefix]\n' > "$tmp/fixture.help"
printf '.SS "x y"\n.B \\-\\-present\n.B \\-\\-prefix\\-longer\n' \
  > "$tmp/fixture.1"
roff_text "$tmp/fixture.1" > "$tmp/fixture.txt"
found=$(missing_options "$tmp/fixture.help" "$tmp/fixture.txt" | tr '\n' ' ')
[ "$found" = "--absent --prefix " ] ||
  fail "the option check reports '$found' on its fixture, not" \
       "'--absent --prefix '"
subsection "$tmp/fixture.txt" "x y" | grep -q present ||
  fail "the subsection reader does not find subsection \"x y\" of its fixture"

check_man_page src/programs/kavro/kavro "$srcdir/man/kavro.1"
check_man_page src/programs/sr-compat/sr-compat "$srcdir/man/sr-compat.1"

# ---- 2. rendering ---------------------------------------------------------

render_warnings() {  # man page; prints what groff and man say about it
  groff -man -Tutf8 -ww -z "$1" 2>&1
  if command -v man > /dev/null; then
    { LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$1" > /dev/null; } 2>&1
  fi
}

if command -v groff > /dev/null; then
  printf '.TH X 1\n.SH NAME\nx \\- y\n.NOSUCHMACRO\n' > "$tmp/bad.1"
  [ -n "$(render_warnings "$tmp/bad.1")" ] ||
    fail "groff does not warn about an undefined macro: the render check" \
         "cannot fail"
  for page in "$srcdir/man/kavro.1" "$srcdir/man/sr-compat.1"; do
    warnings=$(render_warnings "$page")
    [ -z "$warnings" ] || fail "$page does not render cleanly: $warnings"
  done
else
  skipped="groff not found (Debian package groff-base, scripts/setup.sh)"
fi

# ---- 3. doc comments of exported functions --------------------------------

# One line per problem: FILE:LINE: FUNCTION: what is wrong.
header_findings() {
  awk '
    function report(line, what) { printf "%s:%d: %s\n", file, line, what }
    function end_file() {
      if (exports && !thread_safety)
        report(1, "the header does not state its thread safety")
    }
    # The declaration is complete: judge its comment.
    function judge(   head, params, n, word, fname, ret, body, text) {
      head = decl
      sub(/\(.*/, "", head)
      params = substr(decl, length(head) + 1)
      n = split(head, word, /[^A-Za-z0-9_]+/)
      fname = word[n] != "" ? word[n] : word[n - 1]
      ret = head
      sub(/KAVRO_EXPORT/, "", ret)
      sub(fname "[ \t]*$", "", ret)
      body = doc
      gsub(/\/\*\*|\*\/|\*|@[{}]|[ \t]/, "", body)
      text = tolower(doc)
      if (body == "")
        report(decl_line, fname ": no doc comment of its own")
      else if (doc ~ /@name/)
        report(decl_line, fname ": only a group comment precedes it")
      else if ((ret ~ /\*/ || params ~ /\*[ \t]*\*/) && text !~ owner_words)
        report(decl_line, fname ": hands out or stores memory, but its " \
               "comment does not say who owns it")
    }
    # Words that say who owns memory: the caller, a handle, the arena,
    # static storage, a buffer passed in, or another function whose rules
    # apply ("as kavro_registry_versions() does").
    BEGIN {
      owner_words = "(^|[^a-z])(own|free|static|lives|cop(y|ies|ied)|" \
        "reference|takes|keeps)|destroy|borrow|valid (as long|until)|" \
        "caller|consume|thread|arena|returns @p|(^|[^a-z])as kavro_[a-z0-9_]+\\(\\)"
    }
    FNR == 1 {
      if (NR > 1) end_file()
      file = FILENAME
      exports = 0; thread_safety = 0; in_comment = 0; in_decl = 0
      comment_end = -1
    }
    tolower($0) ~ /thread safety|thread-safe/ { thread_safety = 1 }
    in_decl {
      decl = decl " " $0
      if ($0 ~ /;/) { in_decl = 0; judge() }
      next
    }
    in_comment {
      comment = comment " " $0
      if ($0 ~ /\*\//) { in_comment = 0; comment_end = FNR }
      next
    }
    /^[ \t]*\/\*/ {
      comment = $0
      is_doc = $0 ~ /^[ \t]*\/\*\*([^<*]|$)/
      if ($0 ~ /\*\//) comment_end = FNR
      else in_comment = 1
      next
    }
    /^[ \t]*KAVRO_EXPORT[ \t]/ {
      exports = 1
      decl = $0
      decl_line = FNR
      doc = (comment_end == FNR - 1 && is_doc) ? comment : ""
      if ($0 ~ /;/) judge()
      else in_decl = 1
    }
    END { if (NR > 0) end_file() }' "$@"
}

# The negative fixture: two undocumented functions, one whose comment
# hides who owns what it returns, one under a bare group comment, and a
# header without a thread-safety statement; the good ones must pass.
cat > "$tmp/fixture.h" <<'EOF'
/* A fixture of tests/check_docs.sh. */
/** A name.  Static storage. */
KAVRO_EXPORT const char *fixture_documented(int code);
/** A count. */
KAVRO_EXPORT int fixture_count(const char *text);
KAVRO_EXPORT int fixture_undocumented(void);
/* An ordinary comment is not documentation. */
KAVRO_EXPORT int fixture_plain_comment(void);
/** A new buffer, as is known. */
KAVRO_EXPORT char *fixture_unowned(size_t size);
/**
 * @name A group
 * @{
 */
KAVRO_EXPORT int fixture_group_only(void);
/** Store a new thing in @p out.  The caller frees it with free(). */
KAVRO_EXPORT int fixture_out(int a,
                             char **out);
/** @} */
EOF
header_findings "$tmp/fixture.h" | sed 's/^[^:]*://' > "$tmp/found"
cat > "$tmp/expected" <<'EOF'
6: fixture_undocumented: no doc comment of its own
8: fixture_plain_comment: no doc comment of its own
10: fixture_unowned: hands out or stores memory, but its comment does not say who owns it
15: fixture_group_only: only a group comment precedes it
1: the header does not state its thread safety
EOF
if ! cmp -s "$tmp/expected" "$tmp/found"; then
  fail "the header check does not judge its fixture as expected:"
  diff "$tmp/expected" "$tmp/found"
fi

set -- "$srcdir"/include/kavro/*.h
header_findings "$@" > "$tmp/findings"
count=$(grep -c . "$tmp/findings")
[ "$count" -eq 0 ] || fail "$count exported functions or headers lack" \
                           "documentation:"
sed 's|^.*include/kavro/|  include/kavro/|' "$tmp/findings"
echo "checked $(cat "$@" | grep -c '^[[:space:]]*KAVRO_EXPORT[[:space:]]')" \
  "exported functions in $# headers"

# ---- verdict --------------------------------------------------------------

if [ "$failures" -gt 0 ]; then
  echo "$failures documentation check(s) failed"
  exit 1
fi
if [ -n "$skipped" ]; then
  echo "SKIP: man page rendering: $skipped"
  exit 77
fi
echo "documentation checks passed"
exit 0
