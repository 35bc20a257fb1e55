#!/bin/sh
# The Python binding's unit tests, with Debian's python3 (NumPy used when
# python3-numpy is installed; the plain-buffer paths are tested either way).
set -eu
python=/usr/bin/python3
[ -x "$python" ] || python=$(command -v python3 || true)
if [ -z "$python" ]; then
  echo "python: skipped (no python3; install it with: sudo apt-get install -y python3)"
  exit 0
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
PYTHONPATH=bindings/python "$python" -m unittest discover -s bindings/python/tests 2> "$log" || {
  cat "$log"; exit 1; }
summary=$(tail -n 3 "$log" | tr '\n' ' ')
echo "python: binding tests passed ($summary)"
