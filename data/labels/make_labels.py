#!/usr/bin/python3
"""Writes the class-name files of data/labels/, one label per line.

    /usr/bin/python3 data/labels/make_labels.py      (from the repository root)

The names are facts of the data sets, taken where torchvision keeps them
(Debian's python3-torchvision, 0.14):
  imagenet1k.txt     torchvision.models.ResNet50_Weights.IMAGENET1K_V1.meta["categories"],
                     the names every torchvision ImageNet model's weights carry
  mnist.txt          torchvision.datasets.MNIST.classes
  fashion_mnist.txt  torchvision.datasets.FashionMNIST.classes
  cifar10.txt        CIFAR-10's own label_names (batches.meta in the data set
                     archive, which torchvision.datasets.CIFAR10 reads after
                     downloading; torchvision does not ship them, so they are
                     written out here)
Running it again reproduces the files byte for byte.
"""
import os

from torchvision.datasets import MNIST, FashionMNIST
from torchvision.models import ResNet50_Weights

HERE = os.path.dirname(os.path.abspath(__file__))

CIFAR10 = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
           "truck"]

FILES = {
    "imagenet1k.txt": ResNet50_Weights.IMAGENET1K_V1.meta["categories"],
    "cifar10.txt": CIFAR10,
    "mnist.txt": MNIST.classes,
    "fashion_mnist.txt": FashionMNIST.classes,
}


def main():
    for name, labels in FILES.items():
        assert all(label and "\n" not in label and label == label.strip() for label in labels)
        with open(os.path.join(HERE, name), "w", encoding="utf-8", newline="\n") as f:
            f.write("".join(label + "\n" for label in labels))
        print(f"{name}: {len(labels)} labels")


if __name__ == "__main__":
    main()
