#!/bin/sh
# The ABI of libcnnarch.so.MAJOR against the committed baseline of that
# major version (make abi-check), or a new baseline (make abi-baseline).
#  1. The exported dynamic symbols, with their version nodes, against
#     tests/abi/symbols.txt: a symbol missing from the library fails; a new
#     one is reported.
#  2. libabigail's abidiff of the library against tests/abi/libcnnarch.so.MAJOR.abi
#     (abidw's description of the baseline's functions and the types they
#     use, from the public header): an incompatible change (a removed
#     function, a changed signature, a changed enumerator value) fails; a
#     compatible one (a function or an enumerator added) is reported.
# usage: abi_check.sh check|baseline LIBRARY MAJOR
set -eu
mode=$1 lib=$2 major=$3
dir=tests/abi
symbols=$dir/symbols.txt
baseline=$dir/libcnnarch.so.$major.abi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Defined, exported symbols as name@@VERSION_NODE.
nm -D --defined-only --with-symbol-versions "$lib" 2>/dev/null \
  | awk '$2 ~ /^[TDBRVWi]$/ && $3 !~ /^CNNARCH_[0-9.]*@@/ { print $3 }' | sort -u > "$tmp/symbols"
if [ ! -s "$tmp/symbols" ]; then echo "abi: no exported symbols in $lib"; exit 1; fi

if [ "$mode" = baseline ]; then
  cp "$tmp/symbols" "$symbols"
  abidw --headers-dir include --no-corpus-path --out-file "$baseline" "$lib"
  echo "abi: wrote $symbols ($(wc -l < "$symbols") symbols) and $baseline from $lib;"
  echo "abi: review the diff (only additions belong in a minor version) and commit both"
  exit 0
fi

status=0
if [ ! -f "$symbols" ] || [ ! -f "$baseline" ]; then
  echo "abi: no baseline for major version $major ($symbols, $baseline): run make abi-baseline"
  exit 1
fi
comm -23 "$symbols" "$tmp/symbols" > "$tmp/removed"
comm -13 "$symbols" "$tmp/symbols" > "$tmp/added"
if [ -s "$tmp/removed" ]; then
  echo "abi: symbols REMOVED from the library (an ABI break within major version $major):"
  sed 's/^/  - /' "$tmp/removed"; status=1
fi
if [ -s "$tmp/added" ]; then
  echo "abi: symbols added (compatible; once intended, run make abi-baseline and commit):"
  sed 's/^/  + /' "$tmp/added"
fi

set +e
abidiff --headers-dir2 include --no-added-syms "$baseline" "$lib" > "$tmp/abidiff" 2>&1
code=$?
abidiff --headers-dir2 include "$baseline" "$lib" > "$tmp/abidiff-all" 2>&1
set -e
# abidiff's exit status is a bit set: 1 error, 2 usage error, 4 ABI change,
# 8 incompatible ABI change.
if [ $((code & 3)) -ne 0 ]; then
  echo "abi: abidiff failed:"; cat "$tmp/abidiff"; status=1
elif [ $((code & 8)) -ne 0 ] || [ $((code & 4)) -ne 0 ]; then
  echo "abi: abidiff found changes to the baseline's ABI (incompatible within major $major):"
  sed 's/^/  /' "$tmp/abidiff"; status=1
else
  added=$(grep -c "^  \[A\]" "$tmp/abidiff-all" || true)
  echo "abi: abidiff: no change to the ABI of the $(wc -l < "$symbols") baseline functions ($added functions added)"
fi
[ "$status" = 0 ] && echo "abi: $(wc -l < "$tmp/symbols") exported symbols, none removed: compatible with $baseline"
exit $status
