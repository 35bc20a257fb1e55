"""Tests of cnnarch.load_image, cnnarch.Labels and Net.classify (stdlib
unittest; NumPy used when present). The reference values are torchvision's
own output, from tests/image/make_reference.py."""
import array
import math
import os
import unittest
import zlib

import cnnarch

try:
    import numpy as np
except ImportError:
    np = None

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                     ".."))
IMAGES = os.path.join(ROOT, "tests", "image")
LABELS = os.path.join(ROOT, "data", "labels")


def reference(case):
    """(manifest fields, float32 values) of one case of tests/image/reference.*."""
    with open(os.path.join(IMAGES, "reference.bin"), "rb") as f:
        blob = zlib.decompress(f.read())
    offset = 0
    with open(os.path.join(IMAGES, "reference.txt")) as f:
        for line in f:
            if line.startswith("#"):
                continue
            fields = line.split()
            count = int(fields[13]) * int(fields[14]) * int(fields[15])
            if fields[0] == case:
                return fields, array.array("f", blob[4 * offset:4 * (offset + count)])
            offset += count
    raise KeyError(case)


def flat(values):
    return list(values.reshape(-1)) if np is not None else list(values)


class TestLoadImage(unittest.TestCase):
    def test_imagenet_preset_equals_torchvision(self):
        fields, expected = reference("palette2.imagenet")
        x = cnnarch.load_image(os.path.join(IMAGES, fields[1]), preset="imagenet")
        if np is not None:
            self.assertEqual(x.shape, (3, 224, 224))
            self.assertEqual(x.dtype, np.float32)
        self.assertEqual(flat(x), list(expected))  # bit for bit

    def test_custom_settings_equal_torchvision(self):
        fields, expected = reference("photo.down_odd")
        mean = [float(v) for v in fields[7:10]]
        std = [float(v) for v in fields[10:13]]
        x = cnnarch.load_image(os.path.join(IMAGES, "photo.png"), preset=None,
                               resize=int(fields[4]), crop=(int(fields[5]), int(fields[6])),
                               mean=mean, std=std)
        self.assertEqual(flat(x), list(expected))

    def test_bytes_path_and_pathlike_agree(self):
        path = os.path.join(IMAGES, "rgba16_adam7.png")
        with open(path, "rb") as f:
            data = f.read()
        a = cnnarch.load_image(path, preset="cifar")
        b = cnnarch.load_image(data, preset="cifar")
        c = cnnarch.load_image(bytearray(data), preset="cifar")
        self.assertEqual(flat(a), flat(b))
        self.assertEqual(flat(a), flat(c))
        if np is not None:
            import pathlib
            self.assertEqual(flat(cnnarch.load_image(pathlib.Path(path), preset="cifar")), flat(a))

    def test_plain_values_and_gray(self):
        x = cnnarch.load_image(os.path.join(IMAGES, "gray2.png"), preset=None)
        # 2-bit samples scaled to 0, 85, 170, 255, then / 255 in float32.
        values = set(flat(x))
        self.assertLessEqual(values, set(array.array("f", [0, 85 / 255, 170 / 255, 1])))
        self.assertGreaterEqual(len(values), 3)
        g = cnnarch.load_image(os.path.join(IMAGES, "photo.png"), preset="mnist")
        if np is not None:
            self.assertEqual(g.shape, (1, 28, 28))
        else:
            self.assertEqual(len(g), 28 * 28)

    def test_net_adapts_the_crop(self):
        lenet = cnnarch.Net.from_arch("lenet5")
        x = cnnarch.load_image(os.path.join(IMAGES, "gray8.png"), preset="mnist", net=lenet)
        self.assertEqual(len(flat(x)), 32 * 32)
        with self.assertRaises(cnnarch.Error) as caught:
            cnnarch.load_image(os.path.join(IMAGES, "gray8.png"), preset="imagenet", net=lenet)
        self.assertIn("use preset 'mnist'", str(caught.exception))

    def test_errors(self):
        with self.assertRaises(cnnarch.Error) as caught:
            cnnarch.load_image(os.path.join(IMAGES, "missing.png"))
        self.assertEqual(caught.exception.status, "IO")
        with open(os.path.join(IMAGES, "rgb8.png"), "rb") as f:
            data = f.read()
        with self.assertRaises(cnnarch.Error) as caught:
            cnnarch.load_image(data[:100])
        self.assertEqual(caught.exception.status, "CORRUPT")
        self.assertIn("truncated", caught.exception.message)
        with self.assertRaises(cnnarch.Error) as caught:
            cnnarch.load_image(b"\xff\xd8\xff\xe0 a jpeg")
        self.assertEqual(caught.exception.status, "UNSUPPORTED")
        with self.assertRaises(cnnarch.Error) as caught:
            cnnarch.load_image(data, max_pixels=50)
        self.assertEqual(caught.exception.status, "TOO_LARGE")
        with self.assertRaises(cnnarch.Error) as caught:
            cnnarch.load_image(data, preset="imagenette")
        self.assertEqual(caught.exception.status, "NOT_FOUND")
        self.assertIn("did you mean 'imagenet'", caught.exception.message)
        with self.assertRaises(cnnarch.Error):
            cnnarch.load_image(data, mean=[0.5, 0.5])  # std missing
        self.assertEqual(cnnarch.presets()[:4], ["imagenet", "cifar", "mnist", "fashion_mnist"])

    def test_without_numpy(self):
        saved, cnnarch._np = cnnarch._np, None  # as if NumPy were absent
        try:
            x = cnnarch.load_image(os.path.join(IMAGES, "rgb8.png"), preset="cifar")
            self.assertIsInstance(x, array.array)
            self.assertEqual(len(x), 3 * 32 * 32)
            net = cnnarch.Net.from_arch("resnet20", seed=1)
            top = net.classify(x, topk=2)
            self.assertEqual(len(top), 2)
        finally:
            cnnarch._np = saved


class TestLabels(unittest.TestCase):
    def test_files(self):
        imagenet = cnnarch.Labels(os.path.join(LABELS, "imagenet1k.txt"))
        self.assertEqual(len(imagenet), 1000)
        self.assertEqual(imagenet[0], "tench")
        self.assertEqual(imagenet[-1], "toilet tissue")
        self.assertEqual(list(cnnarch.Labels(os.path.join(LABELS, "cifar10.txt")))[:3],
                         ["airplane", "automobile", "bird"])
        self.assertEqual(cnnarch.Labels(os.path.join(LABELS, "fashion_mnist.txt"))[0],
                         "T-shirt/top")
        with self.assertRaises(IndexError):
            imagenet[1000]

    def test_lists_and_errors(self):
        labels = cnnarch.Labels(["cat", "dog", "caf\u00e9"])
        self.assertEqual(list(labels), ["cat", "dog", "caf\u00e9"])
        with self.assertRaises(cnnarch.Error):
            cnnarch.Labels(["cat", "two\nlines"])
        with self.assertRaises(cnnarch.Error):
            cnnarch.Labels(["cat", ""])
        with self.assertRaises(cnnarch.Error) as caught:
            cnnarch.Labels(os.path.join(LABELS, "missing.txt"))
        self.assertEqual(caught.exception.status, "IO")


class TestClassify(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.net = cnnarch.Net.from_arch("resnet20", seed=5)
        cls.photo = os.path.join(IMAGES, "photo.png")

    def test_path_with_labels(self):
        top = self.net.classify(self.photo, topk=5, labels=os.path.join(LABELS, "cifar10.txt"))
        self.assertEqual(len(top), 5)
        cifar = list(cnnarch.Labels(os.path.join(LABELS, "cifar10.txt")))
        for p in top:
            self.assertIsInstance(p, cnnarch.Prediction)
            self.assertEqual(p.label, cifar[p.index])
        self.assertEqual([p.probability for p in top],
                         sorted((p.probability for p in top), reverse=True))
        # The probabilities are the softmax of forward's outputs.
        x = cnnarch.load_image(self.photo, preset="cifar")
        y = [float(v) for v in flat(self.net.forward(x))]
        z = sum(math.exp(v) for v in y)
        for p in top:
            self.assertAlmostEqual(p.probability, math.exp(y[p.index]) / z, places=6)
        # topk above the class count: all classes, summing to one.
        every = self.net.classify(x, topk=50)
        self.assertEqual(len(every), 10)
        self.assertAlmostEqual(sum(p.probability for p in every), 1.0, places=5)
        self.assertIsNone(every[0].label)

    @unittest.skipIf(np is None, "needs NumPy")
    def test_batch(self):
        a = cnnarch.load_image(self.photo, preset="cifar")
        b = cnnarch.load_image(os.path.join(IMAGES, "rgb8.png"), preset="cifar")
        both = self.net.classify(np.stack([a, b]), topk=3, labels=["c%d" % i for i in range(10)])
        self.assertEqual(len(both), 2)
        self.assertEqual(both[0], self.net.classify(a, topk=3, labels=["c%d" % i for i in range(10)]))
        self.assertEqual(both[1][0].label, "c%d" % both[1][0].index)
        with self.assertRaises(cnnarch.Error):
            self.net.classify(np.zeros((3, 8, 8), np.float32))

    def test_wrong_labels(self):
        with self.assertRaises(cnnarch.Error) as caught:
            self.net.classify(self.photo, labels=os.path.join(LABELS, "imagenet1k.txt"))
        self.assertEqual(caught.exception.status, "INVALID_ARGUMENT")
        self.assertIn("1000 labels for a net with 10 outputs", caught.exception.message)


if __name__ == "__main__":
    unittest.main()
