#!/usr/bin/python3
"""Whole-network parity with PyTorch (`make parity`).

For every zoo architecture with a torchvision twin (and LeNet-5, defined as in
the peer benchmarks), at full width with all its weights, this script:
  1. builds the torch model and the libcnnarch net;
  2. checks that the net's tensors are the model's state_dict, key for key,
     shape for shape, in the same order (num_batches_tracked aside);
  3. randomizes the torch weights, biases and batch norm statistics (a fresh
     torchvision model has zero biases and identity statistics, which would
     hide mistakes), and runs both on the same random images through two
     paths: the state_dict loaded with Net.load_state_dict, and an ONNX
     export (opset 13) converted with cnnarch.convert.from_onnx;
  4. requires the outputs of both to agree with torch's to 1e-5 of the
     largest output, and the top-5 classes of each image to be identical.

It goes through the Python binding (bindings/python/cnnarch): its
load_state_dict takes torchvision's state_dict as it is. Run with Debian's
python3 (python3-torch, python3-torchvision):
    /usr/bin/python3 tests/torch/parity.py [ARCH...]
Prints one line per architecture and 'N passed, N failed' at the end.
"""
import argparse
import os
import sys
import tempfile
import time
import warnings

import numpy as np
import torch
import torch.nn as nn
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "bindings", "python"))
import cnnarch  # noqa: E402  (the binding, on the in-tree library)
from cnnarch import convert  # noqa: E402

# name -> input size of the forward comparison. Every model is full width
# with all its weights; the largest run on smaller images (the scalar
# reference path is slow, and odd sizes exercise ceil-mode and adaptive
# pooling better than 224 does).
# AlexNet and VGG run at 224: PyTorch's ONNX exporter can only write their
# adaptive pooling when its output size divides its input size.
ARCHS = {
    "lenet5": 32, "alexnet": 224, "vgg11": 224, "vgg11_bn": 224, "vgg13": 224,
    "vgg13_bn": 224, "vgg16": 224, "vgg16_bn": 224, "vgg19": 224, "vgg19_bn": 224,
    "googlenet": 224,
    "resnet18": 224, "resnet34": 65, "resnet50": 96, "resnet101": 64, "resnet152": 48,
    "wide_resnet50_2": 64, "wide_resnet101_2": 40, "resnext50_32x4d": 80,
    "resnext101_32x8d": 40, "squeezenet1_0": 113, "squeezenet1_1": 224,
    "densenet121": 96, "densenet169": 64, "densenet201": 48,
}
# Outputs must agree to this fraction of the largest output, on both paths.
BOUND = 1e-5


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


def agreement(got, expected):
    """'' when got matches expected (bound and top-5), else what differs."""
    scale = float(np.abs(expected).max())
    error = float(np.abs(got - expected).max()) / max(scale, 1e-30)
    if not error <= BOUND:
        return error, f"outputs differ by {error:.3g} of the largest output ({scale:.3g})"
    k = min(5, expected.shape[1])
    for i in range(expected.shape[0]):
        if list(np.argsort(-got[i], kind="stable")[:k]) != \
                list(np.argsort(-expected[i], kind="stable")[:k]):
            return error, f"top-{k} of image {i} differs"
    return error, ""


def compare(arch, size, tmpdir):
    model = torch_model(arch)
    state = {k: v for k, v in model.state_dict().items()
             if not k.endswith("num_batches_tracked")}
    with cnnarch.Net.from_arch(arch, input_size=size) as net:
        ours = list(net.tensor_shapes().items())
        theirs = [(k, tuple(v.shape)) for k, v in state.items()]
        if ours != theirs:
            for i, (a, b) in enumerate(zip(ours, theirs)):
                if a != b:
                    return f"tensor {i}: ours {a}, torchvision {b}"
            return f"{len(ours)} tensors, torchvision has {len(theirs)}"
        randomize(model, torch.Generator().manual_seed(1))
        channels = 1 if arch == "lenet5" else 3
        x = torch.empty(2, channels, size, size).uniform_(
            -1, 1, generator=torch.Generator().manual_seed(2))
        with torch.no_grad():
            expected = model(x).numpy().reshape(2, -1)
        # Path 1: the state_dict, as torchvision hands it out.
        net.load_state_dict(model.state_dict())
        start = time.time()
        error_sd, problem = agreement(net.forward(x), expected)
        seconds = time.time() - start
        if problem:
            return "state_dict: " + problem
    # Path 2: an ONNX export (opset 13), converted.
    path = os.path.join(tmpdir, arch + ".onnx")
    torch.onnx.export(model, x, path, opset_version=13, input_names=["input"],
                      output_names=["output"], dynamic_axes={"input": {0: "batch"}})
    with convert.from_onnx(path) as onnx_net:
        error_onnx, problem = agreement(onnx_net.forward(x), expected)
    os.remove(path)
    if problem:
        return "ONNX: " + problem
    return (f"OK   {len(ours)} tensors match; batch-2 {size}x{size} outputs agree, "
            f"state_dict {error_sd:.1e}, ONNX {error_onnx:.1e} of max |y|; top-5 identical "
            f"({seconds:.1f} s)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("archs", nargs="*")
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")  # the ONNX exporter's notes on constant folding
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmpdir:
        for arch in args.archs or ARCHS:
            try:
                result = compare(arch, ARCHS[arch], tmpdir)
            except Exception as e:  # report and go on with the others
                result = f"error: {type(e).__name__}: {e}"
            ok = result.startswith("OK")
            passed += ok
            failed += not ok
            print(f"{arch:18} {result if ok else 'FAIL ' + result}", flush=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
