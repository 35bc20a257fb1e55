#!/bin/sh
# Renders the zoo pictures of docs/architectures.md into docs/images/ from
# `summary --dot` (cna_net_to_dot): small nets whole, and for the big ones
# the module that characterizes them (an Inception module, residual blocks,
# a fire module, a dense block), with the layers feeding it drawn dotted.
# A whole ResNet-50 or DenseNet-121 is hundreds of layers in one column:
# unreadable at any size a page can show.
#
# Needs Graphviz (dot) and python3; run after `make`. Not part of make
# check: the pictures are committed.
# usage: docs/render_graphs.sh [BUILD_DIR] [DPI]
set -eu
build=${1:-build}
dpi=${2:-72}
summary=$build/examples/summary
out=docs/images
command -v dot > /dev/null 2>&1 || {
  echo "render_graphs: needs Graphviz's dot (Debian: apt-get install graphviz)" >&2; exit 1; }
[ -x "$summary" ] || { echo "render_graphs: build $summary first (make)" >&2; exit 1; }
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Keeps the nodes whose layer name matches a regular expression, plus the
# layers feeding them (dotted, unfilled), and the edges into kept nodes.
cat > "$tmp/excerpt.py" <<'PY'
import re, sys
pattern = re.compile(sys.argv[1])
lines = sys.stdin.read().split("\n")
node = re.compile(r'^  n(\d+) \[label="((?:[^"\\]|\\.)*?)\\n')
edge = re.compile(r"^  n(\d+) -> n(\d+);$")
names = {m.group(1): m.group(2) for m in map(node.match, lines) if m}
kept = {i for i, name in names.items() if pattern.search(name)}
context = {m.group(1) for m in map(edge.match, lines) if m and m.group(2) in kept} - kept
for line in lines:
    m, e = node.match(line), edge.match(line)
    if m:
        if m.group(1) in kept:
            print(line)
        elif m.group(1) in context:
            print(re.sub(r'fillcolor="[^"]*"', 'style="rounded,dotted", fillcolor="white"',
                         line))
    elif e:
        if e.group(2) in kept:
            print(line)
    elif line:
        print(line)
PY

# file            arch             layers to keep (empty: all)
while read -r file arch keep; do
  "$summary" --dot "$arch" > "$tmp/$file.dot"
  if [ -n "$keep" ]; then
    python3 "$tmp/excerpt.py" "$keep" < "$tmp/$file.dot" > "$tmp/$file.cut.dot"
    mv "$tmp/$file.cut.dot" "$tmp/$file.dot"
  fi
  dot -Tpng -Gdpi="$dpi" "$tmp/$file.dot" -o "$out/$file.png"
  echo "render_graphs: $out/$file.png ($(wc -c < "$out/$file.png") bytes)"
done <<'LIST'
lenet5                  lenet5
alexnet                 alexnet
inception_naive         inception_naive
googlenet_inception3a   googlenet        ^inception3a(\.|$)
resnet18_layer2         resnet18         ^layer2\.0\.
resnet20_layer2         resnet20         ^layer2\.0\.
resnet50_layer1         resnet50         ^layer1\.0\.
squeezenet_fire         squeezenet1_1    ^features\.3(\.|$)
densenet121_block1      densenet121      ^features\.denseblock1\.denselayer[1-3]\.
LIST
