#!/usr/bin/python3
"""Makes the golden fixtures of tests/golden (run with Debian's python3, which
has python3-torch, python3-onnx and python3-numpy; see tests/golden/README.md).

For LeNet-5 at full size and a reduced-width member of each architecture
family, with seeded random weights (batch norm statistics and biases too, so
they matter), this writes:
    NAME.cna         the model, converted from its ONNX export by
                     cnnarch.convert.from_onnx (format version 1); AlexNet's
                     LRN has no ONNX export, so it is built with the builder
    NAME.input.bin   a seeded random batch, little-endian float32, NCHW
    NAME.output.bin  torch's output for it, little-endian float32
tests/test_golden.c then checks libcnnarch against them with no torch.
"""
import os
import sys
import tempfile
import warnings

import numpy as np
import torch
import torch.nn as nn
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))
sys.path.insert(0, os.path.join(HERE, "..", "torch"))
from cnnarch import convert  # noqa: E402
from parity import randomize  # noqa: E402  (the same informative random weights)


def conv_bn(cin, cout, k, stride=1, groups=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU())


class LeNet5(nn.Module):  # as ../shared/peers/peer_models.py and the zoo's lenet5
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2, 2),
                                 nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2, 2),
                                 nn.Flatten(1), nn.Linear(400, 120), nn.Tanh(),
                                 nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))

    def forward(self, x):
        return self.net(x)


class AlexNetSmall(nn.Module):  # the 2012 layout: CONV-POOL-NORM, grouped CONV2/4/5
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 12, 11, 4), nn.ReLU(), nn.MaxPool2d(3, 2), nn.LocalResponseNorm(5, 1e-4 * 5, 0.75, 2),
            nn.Conv2d(12, 16, 5, padding=2, groups=2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.LocalResponseNorm(5, 1e-4 * 5, 0.75, 2),
            nn.Conv2d(16, 24, 3, padding=1), nn.ReLU(),
            nn.Conv2d(24, 24, 3, padding=1, groups=2), nn.ReLU(),
            nn.Conv2d(24, 16, 3, padding=1, groups=2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Flatten(1), nn.Dropout(), nn.Linear(16 * 2 * 2, 32), nn.ReLU(),
            nn.Linear(32, 10))

    def forward(self, x):
        return self.net(x)


def alexnet_small_builder(model, shape):
    """PyTorch exports LocalResponseNorm as arithmetic, not an ONNX LRN node,
    so this fixture is built layer for layer with the builder instead, and
    torch's weights are copied in."""
    from cnnarch import Builder
    b = Builder()
    b.input(*shape)
    weights = {}
    for i, m in enumerate(model.net):
        name = f"net.{i}"
        if isinstance(m, nn.Conv2d):
            b.conv2d(m.out_channels, m.kernel_size, m.stride, m.padding, groups=m.groups,
                     name=name)
        elif isinstance(m, nn.ReLU):
            b.relu(name=name)
        elif isinstance(m, nn.MaxPool2d):
            b.max_pool2d(m.kernel_size, m.stride, name=name)
        elif isinstance(m, nn.LocalResponseNorm):
            b.lrn(m.size, m.alpha, m.beta, m.k, name=name)
        elif isinstance(m, nn.Flatten):
            b.flatten(name=name)
        elif isinstance(m, nn.Dropout):
            b.dropout(m.p, name=name)
        elif isinstance(m, nn.Linear):
            b.fully_connected(m.out_features, name=name)
        else:
            raise TypeError(type(m))
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            weights[name + ".weight"] = m.weight
            weights[name + ".bias"] = m.bias
    net = b.build()
    net.load_state_dict(weights)
    return net


class VGGSmall(nn.Module):
    def __init__(self):
        super().__init__()
        layers, cin = [], 3
        for v in (8, "M", 16, 16, "M", 32, 32, "M"):
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(cin, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU()]
                cin = v
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d((2, 2))
        self.classifier = nn.Sequential(nn.Linear(128, 32), nn.ReLU(), nn.Dropout(),
                                        nn.Linear(32, 10))

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


class Inception(nn.Module):
    def __init__(self, cin, c1, c3r, c3, c5r, c5, pp):
        super().__init__()
        self.b1 = conv_bn(cin, c1, 1)
        self.b2 = nn.Sequential(conv_bn(cin, c3r, 1), conv_bn(c3r, c3, 3))
        self.b3 = nn.Sequential(conv_bn(cin, c5r, 1), conv_bn(c5r, c5, 5))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, 1, 1, ceil_mode=True), conv_bn(cin, pp, 1))

    def forward(self, x):
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], 1)


class GoogLeNetSmall(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(3, 16, 7, 2), nn.MaxPool2d(3, 2, ceil_mode=True))
        self.a = Inception(16, 8, 8, 12, 4, 4, 4)
        self.b = Inception(28, 12, 8, 16, 4, 8, 8)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(1), nn.Dropout(0.2),
                                  nn.Linear(44, 10))

    def forward(self, x):
        return self.head(self.b(self.a(self.stem(x))))


class ResNetSmall(nn.Module):
    """Basic or bottleneck blocks, groups (ResNeXt), width factor (WRN)."""

    def __init__(self, bottleneck=False, groups=1, width=1):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(3, 8, 3), nn.MaxPool2d(3, 2, 1))
        blocks, cin = [], 8
        for planes, stride in ((8, 1), (16, 2), (32, 2)):
            blocks.append(torchvision.models.resnet.Bottleneck(
                cin, planes // 4 * 2, stride, self._down(cin, planes // 4 * 2 * 4, stride),
                groups=groups, base_width=64 * width) if bottleneck else
                torchvision.models.resnet.BasicBlock(cin, planes, stride,
                                                     self._down(cin, planes, stride)))
            cin = planes // 4 * 2 * 4 if bottleneck else planes
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(1), nn.Linear(cin, 10))

    @staticmethod
    def _down(cin, cout, stride):
        if stride == 1 and cin == cout:
            return None
        return nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))


class SqueezeNetSmall(nn.Module):
    def __init__(self):
        super().__init__()
        Fire = torchvision.models.squeezenet.Fire
        self.net = nn.Sequential(nn.Conv2d(3, 16, 3, 2), nn.ReLU(),
                                 nn.MaxPool2d(3, 2, ceil_mode=True), Fire(16, 4, 8, 8),
                                 Fire(16, 4, 8, 8), nn.MaxPool2d(3, 2, ceil_mode=True),
                                 Fire(16, 8, 16, 16), nn.Dropout(), nn.Conv2d(32, 10, 1),
                                 nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(1))

    def forward(self, x):
        return self.net(x)


class NiNSmall(nn.Module):
    def __init__(self):
        super().__init__()

        def mlpconv(cin, c, k, c1, c2):
            return [nn.Conv2d(cin, c, k, padding=k // 2), nn.ReLU(), nn.Conv2d(c, c1, 1),
                    nn.ReLU(), nn.Conv2d(c1, c2, 1), nn.ReLU()]

        self.net = nn.Sequential(*mlpconv(3, 16, 5, 12, 8), nn.MaxPool2d(3, 2, ceil_mode=True),
                                 nn.Dropout(), *mlpconv(8, 16, 5, 16, 16),
                                 nn.AvgPool2d(3, 2, ceil_mode=True), nn.Dropout(),
                                 *mlpconv(16, 16, 3, 16, 10), nn.AdaptiveAvgPool2d(1),
                                 nn.Flatten(1), nn.Softmax(1))

    def forward(self, x):
        return self.net(x)


# name -> (constructor, input C x H x W, batch); converted from ONNX unless
# BUILT names a function that builds the net from the torch model.
MODELS = {
    "lenet5": (LeNet5, (1, 32, 32), 3),
    "alexnet_small": (AlexNetSmall, (3, 99, 99), 2),
    "vgg_small": (VGGSmall, (3, 32, 32), 2),
    "googlenet_small": (GoogLeNetSmall, (3, 32, 32), 2),
    "resnet_basic_small": (lambda: ResNetSmall(), (3, 32, 32), 2),
    "resnet_bottleneck_small": (lambda: ResNetSmall(bottleneck=True), (3, 32, 32), 2),
    "resnext_small": (lambda: ResNetSmall(bottleneck=True, groups=4), (3, 32, 32), 2),
    "wide_resnet_small": (lambda: ResNetSmall(bottleneck=True, width=2), (3, 32, 32), 2),
    "squeezenet_small": (SqueezeNetSmall, (3, 35, 35), 2),
    "densenet_small": (lambda: torchvision.models.DenseNet(8, (2, 2, 2), 16, 2, 0, 10),
                       (3, 32, 32), 2),
    "nin_small": (NiNSmall, (3, 32, 32), 2),
}


BUILT = {"alexnet_small": alexnet_small_builder}


def main():
    warnings.filterwarnings("ignore")
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        for name, (make, shape, batch) in MODELS.items():
            model = make().eval()
            randomize(model, torch.Generator().manual_seed(1))
            x = torch.empty((batch,) + shape).uniform_(-1, 1,
                                                       generator=torch.Generator().manual_seed(2))
            with torch.no_grad():
                y = model(x).numpy().astype("<f4")
            if name in BUILT:
                net = BUILT[name](model, shape)
            else:
                path = os.path.join(tmp, name + ".onnx")
                # No constant folding: batch norm and the rest stay as they are.
                torch.onnx.export(model, x, path, opset_version=13, do_constant_folding=False,
                                  input_names=["input"], output_names=["output"],
                                  dynamic_axes={"input": {0: "batch"}})
                net = convert.from_onnx(path)
            got = net.forward(x.numpy())
            error = float(np.abs(got - y).max() / np.abs(y).max())
            assert error <= 1e-5, f"{name}: {error}"
            net.save(os.path.join(HERE, name + ".cna"))
            x.numpy().astype("<f4").tofile(os.path.join(HERE, name + ".input.bin"))
            y.tofile(os.path.join(HERE, name + ".output.bin"))
            print(f"{name:24} {net.num_params:>7,} params, {net.num_layers:>3} layers, "
                  f"input {batch}x{'x'.join(map(str, shape))}, error {error:.1e}")


if __name__ == "__main__":
    main()
