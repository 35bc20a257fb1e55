#!/bin/sh
# The examples run, and summary --json prints valid JSON with the fields
# tools rely on (checked with python3 when it is installed).
# usage: examples_test.sh BUILD_DIR
set -eu
bin=$1/examples
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$bin/custom" > "$tmp/custom.txt"
grep -q '^residual ' "$tmp/custom.txt" || { echo "examples: custom printed no residual row"; exit 1; }
"$bin/summary" --list > "$tmp/list.txt"
[ "$(wc -l < "$tmp/list.txt")" -ge 39 ] || { echo "examples: summary --list is short"; exit 1; }
"$bin/summary" googlenet > "$tmp/table.txt"
grep -q '^inception3a ' "$tmp/table.txt" || { echo "examples: no inception3a row"; exit 1; }
if "$bin/summary" resnet51 2> "$tmp/err.txt"; then
  echo "examples: summary accepted an unknown architecture"; exit 1
fi
grep -q "did you mean 'resnet50'" "$tmp/err.txt" || { echo "examples: no suggestion"; exit 1; }

for arch in resnet18 inception_naive; do
  "$bin/summary" --json "$arch" > "$tmp/$arch.json"
done
if command -v python3 > /dev/null 2>&1; then
  python3 - "$tmp/resnet18.json" "$tmp/inception_naive.json" <<'PY'
import json, sys
for path in sys.argv[1:]:
    d = json.load(open(path))
    assert set(d) == {"arch", "input_shape", "layers", "total"}, d.keys()
    for layer in d["layers"]:
        assert set(layer) == {"name", "type", "output_shape", "params", "activations",
                              "macs", "receptive_field"}, layer.keys()
    assert sum(l["params"] for l in d["layers"]) == d["total"]["params"]
    assert sum(l["macs"] for l in d["layers"]) == d["total"]["macs"]
r18 = json.load(open(sys.argv[1]))
assert r18["total"]["params"] == 11689512 and r18["input_shape"] == [3, 224, 224]
PY
  echo "examples: custom, summary and summary --json (valid JSON) ran"
else
  echo "examples: custom and summary ran (python3 missing: JSON not validated)"
fi
