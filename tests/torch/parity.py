#!/usr/bin/python3
"""Whole-network parity with PyTorch.

For every zoo architecture with a torchvision twin (and LeNet-5, defined as in
the peer benchmarks), this script:
  1. builds the torch model and the libcnnarch net;
  2. checks that the net's tensors are the model's state_dict, key for key,
     shape for shape, in the same order (num_batches_tracked aside);
  3. randomizes the torch weights, biases and batch norm statistics (a fresh
     torchvision model has zero biases and identity statistics, which would
     hide mistakes), copies them into the net through cna_net_set_tensor, runs
     both on the same random images and compares the outputs.

It goes through the Python binding (bindings/python/cnnarch): its
load_state_dict takes torchvision's state_dict as it is. Run with Debian's
python3 (python3-torch, python3-torchvision):
    /usr/bin/python3 tests/torch/parity.py [ARCH...]
Prints one line per architecture and 'N passed, N failed' at the end.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "bindings", "python"))
import cnnarch  # noqa: E402  (the binding, on the in-tree library)

# name -> (input size for the forward comparison, compare outputs?)
# Forward passes use smaller images where the architecture allows it: the
# scalar reference path is slow, and odd sizes exercise ceil-mode and
# adaptive pooling better than 224 does.
ARCHS = {
    "lenet5": (32, True),
    "alexnet": (127, True),
    "vgg11": (64, True),
    "vgg11_bn": (64, True),
    "vgg13": (None, False),
    "vgg13_bn": (None, False),
    "vgg16": (None, False),
    "vgg16_bn": (48, True),
    "vgg19": (None, False),
    "vgg19_bn": (None, False),
    "googlenet": (224, True),
    "resnet18": (224, True),
    "resnet34": (65, True),
    "resnet50": (96, True),
    "resnet101": (None, False),
    "resnet152": (None, False),
    "wide_resnet50_2": (64, True),
    "wide_resnet101_2": (None, False),
    "resnext50_32x4d": (80, True),
    "resnext101_32x8d": (None, False),
    "squeezenet1_0": (113, True),
    "squeezenet1_1": (224, True),
    "densenet121": (96, True),
    "densenet169": (None, False),
    "densenet201": (None, False),
}


class LeNet5(nn.Module):
    """The LeNet-5 of ../shared/peers/peer_models.py."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2, 2),
            nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2, 2))
        self.classifier = nn.Sequential(
            nn.Flatten(1), nn.Linear(16 * 5 * 5, 120), nn.Tanh(),
            nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


def torch_model(name):
    torch.manual_seed(0)
    if name == "lenet5":
        return LeNet5().eval()
    kwargs = {"aux_logits": False, "init_weights": True} if name == "googlenet" else {}
    return getattr(torchvision.models, name)(weights=None, **kwargs).eval()


def randomize(model, generator):
    """Weights, biases and batch norm statistics all informative."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                fan_in = module.weight[0].numel()
                bound = (6.0 / fan_in) ** 0.5
                module.weight.uniform_(-bound, bound, generator=generator)
                if module.bias is not None:
                    module.bias.uniform_(-0.1, 0.1, generator=generator)
            elif isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5, generator=generator)
                module.bias.uniform_(-0.2, 0.2, generator=generator)
                module.running_mean.uniform_(-0.2, 0.2, generator=generator)
                module.running_var.uniform_(0.5, 1.5, generator=generator)


def compare(arch, size, run_forward):
    model = torch_model(arch)
    state = {k: v for k, v in model.state_dict().items()
             if not k.endswith("num_batches_tracked")}
    net = cnnarch.Net.from_arch(arch, input_size=size if run_forward else None)
    with net:
        ours = list(net.tensor_shapes().items())
        theirs = [(k, tuple(v.shape)) for k, v in state.items()]
        if ours != theirs:
            for i, (a, b) in enumerate(zip(ours, theirs)):
                if a != b:
                    return f"tensor {i}: ours {a}, torchvision {b}"
            return f"{len(ours)} tensors, torchvision has {len(theirs)}"
        if not run_forward:
            return f"OK   {len(ours)} tensors match (names, shapes, order)"
        randomize(model, torch.Generator().manual_seed(1))
        net.load_state_dict(model.state_dict())  # torch tensors, num_batches_tracked too
        channels = 1 if arch == "lenet5" else 3
        x = torch.empty(2, channels, size, size).uniform_(
            -1, 1, generator=torch.Generator().manual_seed(2))
        with torch.no_grad():
            expected = model(x).numpy().reshape(2, -1)
        start = time.time()
        got = net.forward(x)
        seconds = time.time() - start
        scale = float(np.abs(expected).max())
        error = float(np.abs(got - expected).max())
        # float32 sums in a different order: the error grows with depth and
        # the size of the values, not with the layer count alone.
        if not error <= 1e-4 * max(scale, 1.0):
            return f"outputs differ by {error:.3g} (largest output {scale:.3g})"
        return (f"OK   {len(ours)} tensors match; batch-2 {size}x{size} outputs agree "
                f"to {error:.2g} (largest {scale:.3g}, ours took {seconds:.1f} s)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("archs", nargs="*")
    args = parser.parse_args()
    torch.set_num_threads(1)
    passed = failed = 0
    for arch in args.archs or ARCHS:
        size, run_forward = ARCHS[arch]
        try:
            result = compare(arch, size, run_forward)
        except Exception as e:  # report and go on with the others
            result = f"error: {e}"
        ok = result.startswith("OK")
        passed += ok
        failed += not ok
        print(f"{arch:18} {result if ok else 'FAIL ' + result}", flush=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
