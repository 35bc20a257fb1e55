#!/usr/bin/env python3
"""Side-by-side latency table: libcnnarch against ONNX Runtime and ncnn on this machine.

    tests/bench/compare.py [--models a,b] [--batches 1,8] [--threads 1,2]
                           [--build build] [--peak GFLOPS] [--min-time S] [--rounds R]

For each model, batch and thread count: libcnnarch's examples/bench median
(ms), GFLOP/s (2 flops per multiply-accumulate) and % of the FMA peak
measured by gemm_bench (times the thread count); then ONNX Runtime's median
on the same model, exported by ../shared/peers/export_models.py, and the
ratio ORT / libcnnarch (above 1: we are faster). ORT columns stay empty
when its peer set-up is missing (see ../shared/peers/README.md). ncnn joins
at batch 1 when its benchncnn is built in $PEERS_DIR/ncnn/build (see
docs/performance.md): its own copies of the models (alexnet and resnet50
are the Caffe variants, squeezenet is v1.1 at 227x227), random weights,
and it reports the mean and the minimum of its runs, not the median: the
ncnn column is its mean. Every run
is pinned like the peer harness does (taskset -c 0, or 0-1 for 2 threads).

The engines take turns: for each model, batch and thread count, R rounds
(--rounds, default 3) of ours then each peer, each run filling about
min-time / R seconds. The table gives each engine's median over the
rounds, and each ratio as the median of the rounds' ratios, so a burst of
load from the machine's other tenants lands on one round of both engines
rather than on one engine's whole measurement. Standard library only;
medians, because the machine is shared.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PEERS = os.path.join(os.path.dirname(ROOT), "shared", "peers")
PEERS_DIR = os.environ.get("PEERS_DIR", os.path.expanduser("~/.cache/cnnarch-peers"))
MODELS = "alexnet,vgg16,googlenet,resnet18,resnet50,resnext50_32x4d,squeezenet1_1,densenet121"


def pin(threads):
    if shutil.which("taskset") is None:
        return []
    return ["taskset", "-c", "0" if threads == 1 else "0-%d" % (threads - 1)]


def ours(build, model, batch, threads, min_time):
    cmd = pin(threads) + [os.path.join(build, "examples", "bench"), model, "--threads",
                          str(threads), "--batch", str(batch), "--seconds", str(min_time),
                          "--runs", "200"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    fields = dict(re.findall(r"(\w+)=(\S+)", out))
    return float(fields["median_ms"]), float(fields["gflops"]), float(fields["workspace_mb"])


def ort_available(model):
    return (shutil.which("node") is not None
            and os.path.exists(os.path.join(PEERS, "ort_bench.js"))
            and os.path.isdir(os.path.join(PEERS_DIR, "ortnode", "node_modules", "onnxruntime-node"))
            and os.path.exists(os.path.join(PEERS_DIR, "models", model + ".onnx")))


def ort(model, batch, threads, min_time, min_runs):
    shape = "%d,3,224,224" % batch
    cmd = pin(threads) + ["node", os.path.join(PEERS, "ort_bench.js"), "--model",
                          os.path.join(PEERS_DIR, "models", model + ".onnx"), "--shape", shape,
                          "--threads", str(threads), "--min-time", str(min_time),
                          "--min-runs", str(min_runs)]
    env = dict(os.environ, PEERS_DIR=PEERS_DIR, OMP_NUM_THREADS=str(threads))
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    for line in out.stdout.splitlines():
        if line.startswith("{"):
            return json.loads(line)["median_ms"]
    return None


# ncnn's benchmark models for ours, and their input (w, h, c).
NCNN_MODELS = {
    "alexnet": ("alexnet", "227,227,3"),
    "vgg16": ("vgg16", "224,224,3"),
    "googlenet": ("googlenet", "224,224,3"),
    "resnet18": ("resnet18", "224,224,3"),
    "resnet50": ("resnet50", "224,224,3"),
    "squeezenet1_1": ("squeezenet", "227,227,3"),
}


def ncnn_dir():
    return os.path.join(PEERS_DIR, "ncnn")


def ncnn_available(model, batch):
    exe = os.path.join(ncnn_dir(), "build", "benchmark", "benchncnn")
    return (batch == 1 and model in NCNN_MODELS and os.access(exe, os.X_OK)
            and os.path.exists(os.path.join(ncnn_dir(), "benchmark", "models",
                                            NCNN_MODELS[model][0] + ".param")))


def ncnn(model, threads, min_time, loops=None):
    """ncnn's mean ms and the run count used (a short probe picks one that
    fills about min_time when loops is None)."""
    name, shape = NCNN_MODELS[model]
    exe = os.path.join(ncnn_dir(), "build", "benchmark", "benchncnn")
    param = os.path.join(ncnn_dir(), "benchmark", "models", name + ".param")
    # benchncnn LOOPS THREADS POWERSAVE GPU COOLDOWN: a run count that fills
    # about min_time, from one short probe.
    def run(loops):
        out = subprocess.run(pin(threads) + [exe, str(loops), str(threads), "0", "-1", "0",
                                             "param=" + param, "shape=[%s]" % shape],
                             capture_output=True, text=True, timeout=900)
        m = re.search(r"min =\s*([\d.]+)\s+max =\s*([\d.]+)\s+avg =\s*([\d.]+)", out.stderr)
        return float(m.group(3)) if m else None
    if loops is None:
        probe = run(3)
        if probe is None:
            return None, None
        loops = max(5, min(500, int(min_time * 1000 / max(probe, 0.1))))
    return run(loops), loops


def median(values):
    v = sorted(values)
    return (v[(len(v) - 1) // 2] + v[len(v) // 2]) / 2


def summary(theirs, mine):
    """A peer's median ms over the rounds and the median of the rounds'
    ratios peer / ours (None, None when it did not run)."""
    pairs = [(p, m[0]) for p, m in zip(theirs, mine) if p]
    if not pairs:
        return None, None
    return median([p for p, _ in pairs]), median([p / m for p, m in pairs])


def measured_peak(build):
    exe = os.path.join(build, "tests", "gemm_bench")
    out = subprocess.run(pin(1) + [exe, "0"], capture_output=True, text=True).stdout
    m = re.search(r"peak, 1 thread: ([\d.]+)", out)
    return float(m.group(1)) if m else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default=MODELS)
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--peak", type=float, default=0.0, help="GFLOP/s of one core (default: measure)")
    ap.add_argument("--min-time", type=float, default=3.0,
                    help="seconds of runs per engine and configuration, over all rounds")
    ap.add_argument("--rounds", type=int, default=3, help="turns each engine takes")
    args = ap.parse_args()
    rounds = max(1, args.rounds)
    per_round = args.min_time / rounds
    peak = args.peak or measured_peak(args.build)
    threads = [int(t) for t in args.threads.split(",")]
    threads = [t for t in threads if t <= (os.cpu_count() or 1)]
    print("Batch-size/threads latency, median ms (FMA peak %.1f GFLOP/s per core, measured)\n"
          % peak)
    print("| model | batch | threads | libcnnarch ms | GFLOP/s | % peak | workspace MB "
          "| ORT ms | ORT / ours | ncnn ms | ncnn / ours |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    sys.stdout.flush()
    for model in args.models.split(","):
        for batch in [int(b) for b in args.batches.split(",")]:
            for t in threads:
                mine, peers, others = [], [], []
                use_ort, use_ncnn = ort_available(model), ncnn_available(model, batch)
                loops = None
                for _ in range(rounds):
                    mine.append(ours(args.build, model, batch, t, per_round))
                    if use_ort:
                        peers.append(ort(model, batch, t, per_round, max(3, 10 // rounds)))
                    if use_ncnn:
                        mean, loops = ncnn(model, t, per_round, loops)
                        others.append(mean)
                ms = median([m[0] for m in mine])
                gflops = median([m[1] for m in mine])
                ws = mine[0][2]
                peer, peer_ratio = summary(peers, mine)
                other, other_ratio = summary(others, mine)
                pct = 100.0 * gflops / (peak * t) if peak else 0.0
                print("| %s | %d | %d | %.1f | %.1f | %.0f%% | %.1f | %s | %s | %s | %s |" % (
                    model, batch, t, ms, gflops, pct, ws,
                    "%.1f" % peer if peer else "—", "%.2fx" % peer_ratio if peer else "—",
                    "%.1f" % other if other else "—", "%.2fx" % other_ratio if other else "—"))
                sys.stdout.flush()


if __name__ == "__main__":
    main()
