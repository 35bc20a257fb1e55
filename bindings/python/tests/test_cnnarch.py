"""Tests of the Python binding (stdlib unittest; NumPy used when present).

Run from the repository root:
    PYTHONPATH=bindings/python /usr/bin/python3 -m unittest discover -s bindings/python/tests
`make check` does this after building the library.
"""
import array
import os
import tempfile
import threading
import unittest

import cnnarch

try:
    import numpy as np
except ImportError:
    np = None


class TestModule(unittest.TestCase):
    def test_version_and_zoo(self):
        self.assertEqual(cnnarch.version().count("."), 2)
        self.assertEqual(cnnarch.format_version(), 1)
        archs = cnnarch.architectures()
        self.assertIn("resnet50", archs)
        self.assertIn("inception_naive", archs)
        self.assertEqual(len(archs), len(set(archs)))
        self.assertIn("ResNet-50", cnnarch.describe("resnet50"))

    def test_errors_carry_the_library_message(self):
        with self.assertRaises(cnnarch.Error) as caught:
            cnnarch.Net.from_arch("resnet51")
        self.assertEqual(caught.exception.status, "NOT_FOUND")
        self.assertEqual(caught.exception.code, 3)
        self.assertIn("did you mean 'resnet50'", str(caught.exception))
        with self.assertRaises(cnnarch.Error) as caught:
            cnnarch.Net.from_arch("alexnet", input_size=8)
        self.assertEqual(caught.exception.status, "INVALID_SHAPE")
        self.assertIn("features.", caught.exception.message)
        with self.assertRaises(cnnarch.Error) as caught:
            cnnarch.Net.from_arch("lenet5", num_threads=0)
        self.assertEqual(caught.exception.status, "INVALID_ARGUMENT")


class TestNet(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.net = cnnarch.Net.from_arch("resnet20", seed=3)

    def test_figures(self):
        net = self.net
        self.assertEqual(net.input_shape, (3, 32, 32))
        self.assertEqual(net.output_size, 10)
        self.assertEqual(net.num_params, 269722)
        self.assertEqual(net.depth, 20)
        rows = net.summary()
        self.assertEqual(len(rows), net.num_layers)
        self.assertEqual(sum(r["params"] for r in rows), net.num_params)
        self.assertEqual(sum(r["macs"] for r in rows), net.macs)
        self.assertGreater(net.ops, net.macs)  # plus pooling windows and outputs
        self.assertEqual(set(rows[1]), {"name", "type", "output_shape", "params",
                                         "activations", "macs", "receptive_field", "inputs"})
        add = next(r for r in rows if r["name"] == "layer2.0.add")
        self.assertEqual(add["inputs"], ["layer2.0.bn2", "layer2.0.shortcut.pad"])
        self.assertEqual(rows[0]["receptive_field"], {"size": [1, 1], "jump": [1, 1]})

    def test_workspace_size(self):
        one, four = self.net.workspace_size(), self.net.workspace_size(4)
        # The planned arena reuses buffers: less than every activation at once.
        self.assertGreater(one, 0)
        self.assertLess(one, sum(r["activations"] for r in self.net.summary()) * 4)
        self.assertGreater(four, one)
        with self.assertRaises(cnnarch.Error):
            self.net.workspace_size(2**62)

    def test_options(self):
        net = cnnarch.Net.from_arch("resnet18", num_classes=7, input_size=(64, 48),
                                    num_threads=2)
        self.assertEqual(net.output_size, 7)
        self.assertEqual(net.input_shape, (3, 64, 48))
        self.assertEqual(net.num_threads, 2)

    @unittest.skipIf(np is None, "NumPy is not installed")
    def test_forward_numpy_any_batch(self):
        x = np.random.RandomState(0).uniform(-1, 1, (5, 3, 32, 32)).astype(np.float32)
        y = self.net.forward(x)
        self.assertEqual(y.shape, (5, 10))
        self.assertEqual(y.dtype, np.float32)
        # Each image on its own gives the same bits; one C x H x W image works.
        for i in range(5):
            np.testing.assert_array_equal(self.net.forward(x[i]), y[i])
        # Non-contiguous and float64 input are converted.
        np.testing.assert_array_equal(self.net.forward(x.astype(np.float64)), y)
        wide = np.zeros((5, 3, 32, 64), np.float32)
        wide[..., ::2] = x
        np.testing.assert_array_equal(self.net.forward(wide[..., ::2]), y)
        with self.assertRaises(cnnarch.Error) as caught:
            self.net.forward(np.zeros((1, 3, 31, 32), np.float32))
        self.assertIn("expected N x 3 x 32 x 32", caught.exception.message)

    def test_forward_plain_buffers(self):
        values = [((i * 37) % 100) / 50.0 - 1.0 for i in range(2 * 3 * 32 * 32)]
        saved, cnnarch._np = cnnarch._np, None  # as if NumPy were absent
        try:
            y = self.net.forward(array.array("f", values))
            self.assertIsInstance(y, array.array)
            self.assertEqual(len(y), 20)
            self.assertEqual(list(self.net.forward(values)), list(y))
            with self.assertRaises(cnnarch.Error):
                self.net.forward(values[:-1])
            bias = self.net.get_tensor("fc.bias")
            self.assertIsInstance(bias, array.array)
            self.assertEqual(len(bias), 10)
        finally:
            cnnarch._np = saved
        if np is not None:
            np.testing.assert_array_equal(
                np.asarray(y).reshape(2, 10),
                self.net.forward(np.array(values, np.float32).reshape(2, 3, 32, 32)))

    @unittest.skipIf(np is None, "NumPy is not installed")
    def test_threads_share_a_net(self):
        x = np.random.RandomState(1).rand(4, 3, 32, 32).astype(np.float32)
        expected = self.net.forward(x)
        results = [None] * 4

        def run(i):
            results[i] = self.net.forward(x[i:i + 1])

        threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for i in range(4):
            np.testing.assert_array_equal(results[i][0], expected[i])


class TestTensors(unittest.TestCase):
    def test_state_dict_round_trip_and_checks(self):
        a = cnnarch.Net.from_arch("lenet5", seed=1)
        b = cnnarch.Net.from_arch("lenet5", seed=2)
        shapes = a.tensor_shapes()
        self.assertEqual(shapes["features.0.weight"], (6, 1, 5, 5))
        self.assertEqual(list(shapes)[0], "features.0.weight")
        sd = a.state_dict()
        sd["features.1.num_batches_tracked"] = 0  # torchvision's extra buffers are ignored
        b.load_state_dict(sd)
        x = [0.01 * i for i in range(32 * 32)]
        self.assertEqual(list(a.forward(array.array("f", x))),
                         list(b.forward(array.array("f", x))))
        with self.assertRaises(cnnarch.Error) as caught:
            b.load_state_dict({"features.0.weight": sd["features.0.weight"]})
        self.assertIn("missing: features.0.bias", caught.exception.message)
        extra = dict(sd, **{"fc.weight": sd["classifier.5.weight"]})
        with self.assertRaises(cnnarch.Error) as caught:
            b.load_state_dict(extra)
        self.assertIn("unexpected: fc.weight", caught.exception.message)
        if np is not None:
            bad = dict(sd, **{"classifier.5.weight": np.zeros((10, 83), np.float32)})
            before = b.get_tensor("features.0.weight")
            with self.assertRaises(cnnarch.Error) as caught:
                b.load_state_dict(bad)
            self.assertIn("classifier.5.weight: expected shape (10, 84)", caught.exception.message)
            # Nothing was changed by the refused call.
            np.testing.assert_array_equal(b.get_tensor("features.0.weight"), before)
        b.load_state_dict({"classifier.5.bias": [1.0] * 10}, strict=False)
        self.assertEqual(list(b.get_tensor("classifier.5.bias").reshape(-1)
                              if np is not None else b.get_tensor("classifier.5.bias")),
                         [1.0] * 10)


class TestFiles(unittest.TestCase):
    def test_save_load_bytes(self):
        net = cnnarch.Net.from_arch("nin", seed=4)
        x = [((i * 13) % 17) / 17.0 for i in range(3 * 32 * 32)]
        y = list(net.forward(array.array("f", x)))
        with tempfile.TemporaryDirectory() as tmp:
            for compress in (False, True, 9):
                path = os.path.join(tmp, "nin.cna")
                net.save(path, compress=compress)
                loaded = cnnarch.Net.load(path)
                self.assertEqual(list(loaded.forward(array.array("f", x))), y)
                self.assertEqual(loaded.summary(), net.summary())
            unverified = cnnarch.Net.load(path, verify_weights=False)
            self.assertEqual(unverified.num_params, net.num_params)
        data = net.to_bytes()
        self.assertEqual(data[:4], b"\x89CNA")
        self.assertEqual(list(cnnarch.Net.from_bytes(data).forward(array.array("f", x))), y)
        with self.assertRaises(cnnarch.Error) as caught:
            cnnarch.Net.from_bytes(data[:100])
        self.assertEqual(caught.exception.status, "CORRUPT")
        with self.assertRaises(cnnarch.Error) as caught:
            cnnarch.Net.load("/nonexistent/nin.cna")
        self.assertEqual(caught.exception.status, "IO")

    def test_closed_net(self):
        net = cnnarch.Net.from_arch("lenet5")
        net.close()
        net.close()
        self.assertIn("closed", repr(net))
        with self.assertRaises(cnnarch.Error):
            _ = net.input_shape


class TestBuilder(unittest.TestCase):
    def test_residual_block(self):
        b = cnnarch.Builder()
        self.assertEqual(b.input(3, 16, 16), "input")
        stem = b.conv2d(8, 3, padding=1, bias=False, name="stem")
        b.batch_norm()
        act = b.relu()
        self.assertEqual(act, "relu_3")
        branch = b.conv2d(8, 3, padding=1, input=act)
        b.add(branch, act, name="sum")
        b.global_avg_pool()
        b.fully_connected(5)
        self.assertEqual(b.shape(), (5, 1, 1))
        self.assertEqual(b.shape(stem), (8, 16, 16))
        net = b.build(seed=9)
        self.assertEqual(net.output_size, 5)
        self.assertEqual(net.summary()[5]["inputs"], ["conv2d_4", "relu_3"])
        with self.assertRaises(cnnarch.Error) as caught:
            b.add("sum", "stem_x")
        self.assertIn("did you mean 'stem'", caught.exception.message)
        with self.assertRaises(cnnarch.Error) as caught:
            b.conv2d(4, 40, input="stem")
        self.assertEqual(caught.exception.status, "INVALID_SHAPE")


if __name__ == "__main__":
    unittest.main()
