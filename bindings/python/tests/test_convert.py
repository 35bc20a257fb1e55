"""Tests of cnnarch.convert on small ONNX graphs written by hand (needs the
onnx package, Debian's python3-onnx; skipped without it). Whole torchvision
models through both paths: tests/torch/parity.py (make parity)."""
import unittest

import cnnarch
from cnnarch import convert

try:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError:
    onnx = None


def graph_model(nodes, inputs, outputs, initializers, opset=13):
    graph = helper.make_graph(nodes, "test", inputs, outputs,
                              [numpy_helper.from_array(v, k) for k, v in initializers.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def image(name, c, h, w):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, ["N", c, h, w])


def vector(name, n):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, ["N", n])


@unittest.skipIf(onnx is None, "the onnx package is not installed (python3-onnx)")
class TestOnnx(unittest.TestCase):
    def setUp(self):
        self.rng = np.random.RandomState(0)

    def test_conv_bn_pool_gemm(self):
        w = self.rng.randn(4, 2, 3, 3).astype(np.float32)
        b = self.rng.randn(4).astype(np.float32)
        scale, shift = np.float32([1, 2, 0.5, 1]), np.float32([0, 1, -1, 0.5])
        mean, var = np.float32([0.1, 0, -0.2, 0]), np.float32([1, 2, 0.5, 1])
        fc_w = self.rng.randn(5, 4 * 3 * 3).astype(np.float32)  # Gemm with transB=0: (in, out)
        fc_b = self.rng.randn(5).astype(np.float32)
        nodes = [
            helper.make_node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                             strides=[1, 1], name="conv"),
            helper.make_node("BatchNormalization", ["c", "s", "sh", "m", "v"], ["bn"], epsilon=1e-3),
            helper.make_node("Relu", ["bn"], ["r"]),
            helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2],
                             ceil_mode=1),
            helper.make_node("Flatten", ["p"], ["f"], axis=1),
            helper.make_node("Gemm", ["f", "fw", "fb"], ["y"], alpha=0.5, beta=2.0),
        ]
        model = graph_model(nodes, [image("x", 2, 5, 5)], [vector("y", 5)],
                            {"w": w, "b": b, "s": scale, "sh": shift, "m": mean, "v": var,
                             "fw": fc_w.T.copy(), "fb": fc_b})
        net = convert.from_onnx(model.SerializeToString())
        x = self.rng.randn(2, 2, 5, 5).astype(np.float32)
        # The same computation in NumPy.
        pad = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
        c = np.zeros((2, 4, 5, 5), np.float32)
        for i in range(5):
            for j in range(5):
                c[:, :, i, j] = np.einsum("nchw,ochw->no", pad[:, :, i:i + 3, j:j + 3], w) + b
        bn = (c - mean[:, None, None]) / np.sqrt(var[:, None, None] + 1e-3) \
            * scale[:, None, None] + shift[:, None, None]
        r = np.maximum(bn, 0)
        r = np.pad(r, ((0, 0), (0, 0), (0, 1), (0, 1)), constant_values=-np.inf)  # ceil mode
        p = r.reshape(2, 4, 3, 2, 3, 2).max(axis=(3, 5))
        expected = 0.5 * p.reshape(2, -1) @ fc_w.T + 2.0 * fc_b
        np.testing.assert_allclose(net.forward(x), expected, rtol=1e-4, atol=1e-4)

    def test_matmul_add_fuses_into_fully_connected(self):
        w = self.rng.randn(6, 3).astype(np.float32)
        bias = self.rng.randn(3).astype(np.float32)
        nodes = [helper.make_node("Reshape", ["x", "shape"], ["flat"]),
                 helper.make_node("MatMul", ["flat", "w"], ["mm"]),
                 helper.make_node("Add", ["mm", "bias"], ["y"]),
                 ]
        model = graph_model(nodes, [image("x", 6, 1, 1)], [vector("y", 3)],
                            {"w": w, "bias": bias, "shape": np.int64([-1, 6])})
        net = convert.from_onnx(model)
        self.assertEqual([r["type"] for r in net.summary()], ["input", "flatten",
                                                              "fully_connected"])
        x = self.rng.randn(3, 6, 1, 1).astype(np.float32)
        np.testing.assert_allclose(net.forward(x), x.reshape(3, 6) @ w + bias, rtol=1e-5,
                                   atol=1e-5)

    def test_branches_identity_dropout_softmax(self):
        nodes = [helper.make_node("Identity", ["x"], ["i"]),
                 helper.make_node("Relu", ["i"], ["a"]),
                 helper.make_node("Tanh", ["i"], ["t"]),
                 helper.make_node("Add", ["a", "t"], ["s"]),
                 helper.make_node("Concat", ["s", "a"], ["cat"], axis=1),
                 helper.make_node("GlobalAveragePool", ["cat"], ["g"]),
                 helper.make_node("Dropout", ["g"], ["d"]),
                 helper.make_node("Flatten", ["d"], ["f"]),
                 helper.make_node("Softmax", ["f"], ["y"])]
        net = convert.from_onnx(graph_model(nodes, [image("x", 2, 3, 3)], [vector("y", 4)], {}))
        x = self.rng.randn(1, 2, 3, 3).astype(np.float32)
        a = np.maximum(x, 0)
        g = np.concatenate([a + np.tanh(x), a], axis=1).mean(axis=(2, 3))
        e = np.exp(g - g.max())
        np.testing.assert_allclose(net.forward(x), e / e.sum(), rtol=1e-5)

    def test_refusals_name_the_node(self):
        cases = [
            (helper.make_node("Sigmoid", ["x"], ["y"], name="gate"), "operator Sigmoid"),
            (helper.make_node("LRN", ["x"], ["y"], size=4, name="norm"), "size 4"),
            (helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], pads=[0, 0, 1, 1],
                              name="pool"), "asymmetric pads"),
            (helper.make_node("Concat", ["x", "x"], ["y"], axis=2, name="cat"), "axis 2"),
        ]
        for node, text in cases:
            model = graph_model([node], [image("x", 2, 4, 4)], [image("y", 2, 4, 4)], {})
            with self.assertRaises(cnnarch.Error) as caught:
                convert.from_onnx(model)
            self.assertIn(f"'{node.name}'", caught.exception.message)
            self.assertIn(text, caught.exception.message)
            self.assertEqual(caught.exception.status, "UNSUPPORTED")

    def test_zero_pad_before_average_pool(self):
        nodes = [helper.make_node("Pad", ["x", "pads"], ["p"], mode="constant"),
                 helper.make_node("AveragePool", ["p"], ["y"], kernel_shape=[3, 3],
                                  strides=[2, 2])]
        model = graph_model(nodes, [image("x", 1, 4, 4)], [image("y", 1, 2, 2)],
                            {"pads": np.int64([0, 0, 1, 1, 0, 0, 1, 1])})
        net = convert.from_onnx(model)
        x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
        padded = np.pad(x[0, 0], 1)
        expected = [[padded[i:i + 3, j:j + 3].mean() for j in (0, 2)] for i in (0, 2)]
        np.testing.assert_allclose(net.forward(x).reshape(2, 2), expected, rtol=1e-6)


if __name__ == "__main__":
    unittest.main()
