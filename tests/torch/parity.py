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

It talks to libcnnarch.so through ctypes with the few declarations it needs.
Run with Debian's python3 (python3-torch, python3-torchvision):
    /usr/bin/python3 tests/torch/parity.py [--lib build/lib/libcnnarch.so] [ARCH...]
Prints one line per architecture and 'N passed, N failed' at the end.
"""
import argparse
import ctypes
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torchvision

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


class Library:
    def __init__(self, path):
        lib = ctypes.CDLL(path)
        P, S, C = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p
        sig = {
            "cna_options_create": [ctypes.POINTER(P)],
            "cna_options_set_input_size": [P, ctypes.c_int, ctypes.c_int],
            "cna_net_create_arch": [C, P, ctypes.POINTER(P)],
            "cna_net_tensor_count": [P, ctypes.POINTER(S)],
            "cna_net_tensor_name": [P, S, ctypes.POINTER(C)],
            "cna_net_tensor_shape": [P, S, ctypes.POINTER(S), ctypes.POINTER(S * 4)],
            "cna_net_set_tensor": [P, S, ctypes.POINTER(ctypes.c_float), S],
            "cna_net_output_size": [P, ctypes.POINTER(S)],
            "cna_net_forward": [P, ctypes.POINTER(ctypes.c_float), S,
                                ctypes.POINTER(ctypes.c_float)],
        }
        for name, args in sig.items():
            getattr(lib, name).argtypes = args
            getattr(lib, name).restype = ctypes.c_int
        lib.cna_options_destroy.argtypes = [P]
        lib.cna_options_destroy.restype = None
        lib.cna_net_destroy.argtypes = [P]
        lib.cna_net_destroy.restype = None
        lib.cna_last_error_message.restype = C
        self.lib = lib

    def check(self, status, what):
        if status != 0:
            raise RuntimeError(f"{what}: status {status}: "
                               f"{self.lib.cna_last_error_message().decode()}")

    def create(self, arch, size):
        opts, net = ctypes.c_void_p(), ctypes.c_void_p()
        self.check(self.lib.cna_options_create(ctypes.byref(opts)), "options")
        if size:
            self.check(self.lib.cna_options_set_input_size(opts, size, size), "input size")
        status = self.lib.cna_net_create_arch(arch.encode(), opts, ctypes.byref(net))
        self.lib.cna_options_destroy(opts)
        self.check(status, f"create {arch}")
        return net

    def tensors(self, net):
        count = ctypes.c_size_t()
        self.check(self.lib.cna_net_tensor_count(net, ctypes.byref(count)), "count")
        result = []
        for i in range(count.value):
            name, ndim, dims = ctypes.c_char_p(), ctypes.c_size_t(), (ctypes.c_size_t * 4)()
            self.check(self.lib.cna_net_tensor_name(net, i, ctypes.byref(name)), "name")
            self.check(self.lib.cna_net_tensor_shape(net, i, ctypes.byref(ndim),
                                                     ctypes.byref(dims)), "shape")
            result.append((name.value.decode(), tuple(dims[:ndim.value])))
        return result

    def set_tensor(self, net, index, array):
        data = np.ascontiguousarray(array, dtype=np.float32)
        ptr = data.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        self.check(self.lib.cna_net_set_tensor(net, index, ptr, data.size), "set")

    def forward(self, net, x):
        out = ctypes.c_size_t()
        self.check(self.lib.cna_net_output_size(net, ctypes.byref(out)), "output size")
        x = np.ascontiguousarray(x, dtype=np.float32)
        y = np.empty((x.shape[0], out.value), dtype=np.float32)
        self.check(self.lib.cna_net_forward(
            net, x.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), x.shape[0],
            y.ctypes.data_as(ctypes.POINTER(ctypes.c_float))), "forward")
        return y


def compare(lib, arch, size, run_forward):
    model = torch_model(arch)
    state = {k: v for k, v in model.state_dict().items()
             if not k.endswith("num_batches_tracked")}
    net = lib.create(arch, size if run_forward else None)
    try:
        ours = lib.tensors(net)
        theirs = [(k, tuple(v.shape)) for k, v in state.items()]
        if ours != theirs:
            for i, (a, b) in enumerate(zip(ours, theirs)):
                if a != b:
                    return f"tensor {i}: ours {a}, torchvision {b}"
            return f"{len(ours)} tensors, torchvision has {len(theirs)}"
        if not run_forward:
            return f"OK   {len(ours)} tensors match (names, shapes, order)"
        randomize(model, torch.Generator().manual_seed(1))
        state = model.state_dict()
        for i, (name, _) in enumerate(ours):
            lib.set_tensor(net, i, state[name].numpy())
        channels = 1 if arch == "lenet5" else 3
        x = torch.empty(2, channels, size, size).uniform_(
            -1, 1, generator=torch.Generator().manual_seed(2))
        with torch.no_grad():
            expected = model(x).numpy().reshape(2, -1)
        start = time.time()
        got = lib.forward(net, x.numpy())
        seconds = time.time() - start
        scale = float(np.abs(expected).max())
        error = float(np.abs(got - expected).max())
        # float32 sums in a different order: the error grows with depth and
        # the size of the values, not with the layer count alone.
        if not error <= 1e-4 * max(scale, 1.0):
            return f"outputs differ by {error:.3g} (largest output {scale:.3g})"
        return (f"OK   {len(ours)} tensors match; batch-2 {size}x{size} outputs agree "
                f"to {error:.2g} (largest {scale:.3g}, ours took {seconds:.1f} s)")
    finally:
        lib.lib.cna_net_destroy(net)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lib", default="build/lib/libcnnarch.so")
    parser.add_argument("archs", nargs="*")
    args = parser.parse_args()
    lib = Library(args.lib)
    torch.set_num_threads(1)
    passed = failed = 0
    for arch in args.archs or ARCHS:
        size, run_forward = ARCHS[arch]
        try:
            result = compare(lib, arch, size, run_forward)
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
