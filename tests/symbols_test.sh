#!/bin/sh
# The shared library exports exactly the functions the public header
# declares with CNA_API: nothing internal (cna__*), nothing missing.
# usage: symbols_test.sh LIBRARY HEADER
# (NM and OBJDUMP name other tools, for a cross-built library.)
set -eu
lib=$1
header=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

${NM:-nm} -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ { sub(/@.*/, "", $3); print $3 }' \
  | sort -u > "$tmp/exported"
# Declarations start with CNA_API; the name is the identifier before '('.
sed -n 's/^CNA_API .*[ *]\(cna_[a-z0-9_]*\)(.*/\1/p' "$header" | sort -u > "$tmp/declared"

status=0
if grep -v '^cna_' "$tmp/exported" > "$tmp/foreign"; then
  echo "symbols: exported names without the cna_ prefix:"; cat "$tmp/foreign"; status=1
fi
if grep '^cna__' "$tmp/exported" > "$tmp/internal"; then
  echo "symbols: internal cna__ names exported:"; cat "$tmp/internal"; status=1
fi
if ! diff -u "$tmp/declared" "$tmp/exported" > "$tmp/diff"; then
  echo "symbols: the exports differ from the header's CNA_API declarations"
  echo "(- declared only, + exported only):"; cat "$tmp/diff"; status=1
fi
soname=$(${OBJDUMP:-objdump} -p "$lib" | awk '$1 == "SONAME" { print $2 }')
case "$soname" in
  libcnnarch.so.[0-9]*) ;;
  *) echo "symbols: unexpected soname '$soname'"; status=1 ;;
esac
[ "$status" = 0 ] && echo "symbols: $(wc -l < "$tmp/exported") exported functions match the header, soname $soname"
exit $status
