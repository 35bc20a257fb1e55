#!/bin/sh
# The examples run (classify on the committed PNGs), and summary --json
# prints valid JSON with the fields tools rely on (checked with python3 when
# it is installed).
# usage: examples_test.sh BUILD_DIR
# EMULATOR, when set, is the command that runs the examples (a cross build's
# binaries under qemu: make check-aarch64).
set -eu
bin=$1/examples
run=${EMULATOR:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

$run "$bin/custom" > "$tmp/custom.txt"
grep -q '^residual ' "$tmp/custom.txt" || { echo "examples: custom printed no residual row"; exit 1; }
$run "$bin/summary" --list > "$tmp/list.txt"
[ "$(wc -l < "$tmp/list.txt")" -ge 39 ] || { echo "examples: summary --list is short"; exit 1; }
$run "$bin/summary" googlenet > "$tmp/table.txt"
grep -q '^inception3a ' "$tmp/table.txt" || { echo "examples: no inception3a row"; exit 1; }
if $run "$bin/summary" resnet51 2> "$tmp/err.txt"; then
  echo "examples: summary accepted an unknown architecture"; exit 1
fi
grep -q "did you mean 'resnet50'" "$tmp/err.txt" || { echo "examples: no suggestion"; exit 1; }

# classify: a zoo net and a converted model (the PyTorch golden LeNet-5) on
# committed PNGs, one table per image; refusals that say what to do.
$run "$bin/classify" resnet20 tests/image/photo.png tests/image/palette8.png --topk 3 \
  --labels data/labels/cifar10.txt > "$tmp/classify.txt"
[ "$(grep -c '^tests/image/.* (preset cifar)$' "$tmp/classify.txt")" = 2 ] || {
  echo "examples: classify printed no table per image"; cat "$tmp/classify.txt"; exit 1; }
[ "$(grep -cE '^ +[123] +[0-9] +[01]\.[0-9]{4}  (airplane|automobile|bird|cat|deer|dog|frog|horse|ship|truck)$' \
  "$tmp/classify.txt")" = 6 ] || { echo "examples: classify rows malformed"; cat "$tmp/classify.txt"; exit 1; }
$run "$bin/classify" tests/golden/lenet5.cna tests/image/gray8.png tests/image/rgb16.png \
  --labels data/labels/mnist.txt > "$tmp/lenet.txt"
if ! grep -q '^tests/golden/lenet5.cna: 1x32x32 in, 10 classes$' "$tmp/lenet.txt" ||
   [ "$(grep -cE '^ +[1-5] +[0-9] +[01]\.[0-9]{4}  [0-9] - [a-z]+$' "$tmp/lenet.txt")" != 10 ]; then
  echo "examples: classify with a model file"; cat "$tmp/lenet.txt"; exit 1
fi
if $run "$bin/classify" resnet20 tests/image/photo.png --labels data/labels/imagenet1k.txt \
  2> "$tmp/err.txt"; then
  echo "examples: classify accepted 1000 labels for 10 classes"; exit 1
fi
grep -q 'has 1000 labels but resnet20 has 10 outputs.*--labels data/labels/cifar10.txt' \
  "$tmp/err.txt" || { echo "examples: no advice on labels"; cat "$tmp/err.txt"; exit 1; }
if $run "$bin/classify" resnet20 tests/image/reference.txt > /dev/null 2> "$tmp/err.txt"; then
  echo "examples: classify accepted a text file as an image"; exit 1
fi
grep -q "'tests/image/reference.txt' is not a PNG file" "$tmp/err.txt" || {
  echo "examples: classify's error names no file"; cat "$tmp/err.txt"; exit 1; }

# summary --dot: one node per layer, one edge per input link; rendered by
# Graphviz when it is installed (CI does not install it: skipped there).
$run "$bin/summary" --dot googlenet > "$tmp/googlenet.dot"
$run "$bin/summary" --json googlenet > "$tmp/googlenet.json"
nodes=$(grep -c '^  n[0-9]* \[label=' "$tmp/googlenet.dot")
edges=$(grep -c '^  n[0-9]* -> n[0-9]*;$' "$tmp/googlenet.dot")
layers=$(grep -c '^  {"name": ' "$tmp/googlenet.json")
[ "$nodes" = "$layers" ] || { echo "examples: summary --dot has $nodes nodes for $layers layers"; exit 1; }
[ "$edges" -gt "$nodes" ] || { echo "examples: summary --dot has only $edges edges"; exit 1; }
if command -v dot > /dev/null 2>&1; then
  for arch in googlenet resnet18 densenet121 lenet5; do
    $run "$bin/summary" --dot "$arch" > "$tmp/$arch.dot"
    dot -Tsvg "$tmp/$arch.dot" > "$tmp/$arch.svg" 2> "$tmp/dot.err" && [ ! -s "$tmp/dot.err" ] || {
      echo "examples: dot rejected summary --dot $arch:"; cat "$tmp/dot.err"; exit 1; }
  done
  dot_note="summary --dot (rendered by Graphviz)"
else
  dot_note="summary --dot (Graphviz not installed: not rendered)"
fi

for arch in resnet18 inception_naive; do
  $run "$bin/summary" --json "$arch" > "$tmp/$arch.json"
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
  # Every row of the zoo table in docs/architectures.md is what summary
  # computes today (natively only: the figures are integer arithmetic, and
  # building all 39 nets under an emulator takes minutes).
  if [ -n "$run" ]; then
    echo "examples: custom, summary, summary --json (valid JSON) under $run"
    exit 0
  fi
  python3 - "$bin/summary" docs/architectures.md <<'PY'
import json, os, re, shlex, subprocess, sys
summary, doc = sys.argv[1], open(sys.argv[2]).read()
run = shlex.split(os.environ.get("EMULATOR", ""))
rows = re.findall(r"^\| `(\w+)` \| (\S+) \| (\d+) \| ([\d,]+) \| ([\d.]+) \| ([\d.]+) \| (\d+) \|$",
                  doc, re.M)
assert len(rows) >= 39, f"docs/architectures.md: only {len(rows)} zoo rows"
for name, shape, *figures in rows:
    d = json.loads(subprocess.run(run + [summary, "--json", name], capture_output=True,
                                  text=True, check=True).stdout)
    t = d["total"]
    spatial = [l for l in d["layers"] if l["output_shape"][1] > 1]
    computed = ["x".join(map(str, d["input_shape"])), str(t["depth"]), f"{t['params']:,}",
                f"{t['activation_bytes'] / 1e6:.2f}", f"{t['macs'] / 1e9:.3f}",
                str(spatial[-1]["receptive_field"]["size"][0])]
    assert [shape] + figures == computed, f"docs/architectures.md, {name}: {[shape] + figures} but summary computes {computed}"
PY
  echo "examples: custom, summary, classify, $dot_note, summary --json (valid JSON) and the docs' zoo table agree"
else
  echo "examples: custom, summary, classify and $dot_note ran (python3 missing: JSON not validated)"
fi
