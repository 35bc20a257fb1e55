"""Hostile input to the Python side (issue 6): state_dicts and ONNX models
that are wrong, incomplete or absurd must be refused with cnnarch.Error
naming what is wrong (never a crash, a NumPy/protobuf/ctypes exception, or
a silently different model), and a refused state_dict changes nothing.

Classes of input, one test class each: state_dict shapes, state_dict keys,
state_dict values, ONNX files, ONNX graphs, ONNX operators, ONNX attributes,
ONNX weights, and integers the C API cannot take."""
import os
import tempfile
import unittest

import cnnarch
from cnnarch import convert

try:
    import numpy as np
except ImportError:
    np = None

try:
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError:
    onnx = None


def refused(test, call, *texts, status=None):
    """call() raises cnnarch.Error whose message has every text."""
    with test.assertRaises(cnnarch.Error) as caught:
        call()
    for text in texts:
        test.assertIn(text, caught.exception.message)
    if status is not None:
        test.assertEqual(caught.exception.status, status)
    return caught.exception


@unittest.skipIf(np is None, "NumPy is not installed (python3-numpy)")
class StateDictBase(unittest.TestCase):
    def setUp(self):
        self.net = cnnarch.Net.from_arch("lenet5", seed=3)
        self.good = self.net.state_dict()
        self.before = {k: v.copy() for k, v in self.good.items()}

    def tearDown(self):
        # Whatever was refused, nothing changed.
        for name, value in self.before.items():
            np.testing.assert_array_equal(self.net.get_tensor(name), value)

    def refuse(self, changes, *texts, drop=()):
        sd = dict(self.good)
        sd.update(changes)
        for key in drop:
            del sd[key]
        refused(self, lambda: self.net.load_state_dict(sd), *texts, status="INVALID_ARGUMENT")


class TestStateDictShapes(StateDictBase):
    def test_transposed(self):
        w = self.good["classifier.5.weight"]
        self.refuse({"classifier.5.weight": w.T}, "classifier.5.weight: expected shape (10, 84)",
                    "found (84, 10)")

    def test_extra_dimension(self):
        self.refuse({"features.0.bias": self.good["features.0.bias"][None]},
                    "features.0.bias: expected shape (6,), found (1, 6)")

    def test_scalar(self):
        # A scalar counts as one value (NumPy's at-least-1-D conversion).
        self.refuse({"features.0.bias": np.float32(1)}, "features.0.bias", "found (1,)")

    def test_empty(self):
        self.refuse({"features.0.weight": np.zeros((0, 1, 5, 5), np.float32)},
                    "features.0.weight: expected shape (6, 1, 5, 5), found (0, 1, 5, 5)")

    def test_flat_copy_of_the_right_size(self):
        # The right number of values in the wrong shape is still refused.
        self.refuse({"features.0.weight": self.good["features.0.weight"].reshape(-1)},
                    "features.0.weight: expected shape (6, 1, 5, 5), found (150,)")


class TestStateDictKeys(StateDictBase):
    def test_missing(self):
        self.refuse({}, "missing: features.3.weight", drop=["features.3.weight"])

    def test_unexpected(self):
        self.refuse({"features.99.weight": np.zeros(3, np.float32)},
                    "unexpected: features.99.weight")

    def test_not_a_string(self):
        self.refuse({7: np.zeros(3, np.float32), None: 1.0}, "unexpected: 7, None")

    def test_not_a_state_dict(self):
        refused(self, lambda: convert.from_state_dict("lenet5", [1, 2, 3]),
                "expected a state_dict or a model, found list")

    def test_unknown_architecture(self):
        refused(self, lambda: convert.from_state_dict("lenet6", {}), "unknown architecture",
                status="NOT_FOUND")

    def test_absurd_class_count(self):
        class Huge:  # a classifier claiming two million classes, without the memory
            shape = (2000001, 84)
        refused(self, lambda: convert.from_state_dict("lenet5", {"classifier.5.weight": Huge()}),
                "expected 1 to 1000000 classes", "found 2000001")


class TestStateDictValues(StateDictBase):
    def test_strings(self):
        self.refuse({"features.0.bias": ["a"] * 6}, "features.0.bias: cannot convert to float32")

    def test_objects_and_none(self):
        self.refuse({"features.0.bias": [object()] * 6, "features.3.bias": None},
                    "features.0.bias: cannot convert", "features.3.bias: cannot convert")

    def test_complex(self):
        self.refuse({"features.0.bias": np.ones(6, np.complex64)}, "features.0.bias: complex")

    def test_finite_but_too_large_for_float32(self):
        # A cast would make these infinite: a silently different model.
        self.refuse({"features.0.bias": np.full(6, 1e300)},
                    "features.0.bias: value 1e+300 does not fit in float32")
        self.refuse({"features.0.bias": [10 ** 40] * 6}, "does not fit in float32")

    def test_absurd_but_representable_values_load(self):
        # The largest float32, its negative, the smallest denormal, integer
        # dtypes: numbers, so they load; forward runs and says what IEEE says.
        sd = dict(self.good)
        sd["features.0.weight"] = np.full((6, 1, 5, 5), 3.4e38, np.float64)
        sd["features.0.bias"] = np.full(6, -3.4e38, np.float32)
        sd["features.3.bias"] = np.full(16, 1e-45, np.float32)
        sd["classifier.5.bias"] = np.arange(10, dtype=np.int64)
        self.net.load_state_dict(sd)
        np.testing.assert_array_equal(self.net.get_tensor("classifier.5.bias"), np.arange(10))
        y = self.net.forward(np.ones((1, 1, 32, 32), np.float32))
        self.assertEqual(y.shape, (1, 10))
        self.before = self.net.state_dict()  # the accepted values are now the state

    def test_nan_free_checkpoint_wrappers(self):
        # {"state_dict": ...} checkpoints and objects with state_dict().
        class Model:
            def __init__(self, sd):
                self.sd = sd

            def state_dict(self):
                return self.sd
        for wrapped in ({"state_dict": self.good}, Model(self.good)):
            net = convert.from_state_dict("lenet5", wrapped)
            np.testing.assert_array_equal(net.get_tensor("features.0.weight"),
                                          self.good["features.0.weight"])


class TestCIntegers(unittest.TestCase):
    """ctypes keeps the low 32 bits of a too-large int: 2**32 + 1 would be 1."""

    def test_builder_arguments(self):
        b = cnnarch.Builder()
        b.input(3, 8, 8)
        refused(self, lambda: b.conv2d(4, 3, padding=2 ** 32 + 1), "does not fit in a C int",
                status="INVALID_ARGUMENT")
        refused(self, lambda: b.max_pool2d(2 ** 40), "does not fit in a C int")
        refused(self, lambda: b.input(3, 8, -2 ** 31 - 1), "does not fit in a C int")
        self.assertEqual(b.shape(), (3, 8, 8))  # nothing was added

    def test_options(self):
        refused(self, lambda: cnnarch.Net.from_arch("lenet5", num_classes=2 ** 32 + 10),
                "num_classes: 4294967306 does not fit in a C int")
        refused(self, lambda: cnnarch.Net.from_arch("lenet5", input_size=2 ** 33),
                "does not fit in a C int")
        refused(self, lambda: cnnarch.Net.from_arch("lenet5", seed=-1),
                "is not a 64-bit unsigned integer")


# ------------------------------------------------------------------- ONNX

def model(nodes, inputs, outputs, initializers=None, opset=13):
    graph = helper.make_graph(nodes, "hostile", inputs, outputs,
                              [numpy_helper.from_array(v, k)
                               for k, v in (initializers or {}).items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def image(name, c, h, w):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, ["N", c, h, w])


def vector(name, n):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, ["N", n])


@unittest.skipIf(onnx is None or np is None, "the onnx package is not installed (python3-onnx)")
class OnnxBase(unittest.TestCase):
    W = None

    def conv(self, weight=None, x=(2, 4, 4), **attrs):
        attrs.setdefault("kernel_shape", [3, 3])
        w = np.zeros((4, 2, 3, 3), np.float32) if weight is None else weight
        return model([helper.make_node("Conv", ["x", "w"], ["y"], name="conv", **attrs)],
                     [image("x", *x)], [image("y", 4, 4, 4)], {"w": w})

    def refuse(self, m, *texts, status=None):
        return refused(self, lambda: convert.from_onnx(m), *texts, status=status)


class TestOnnxFiles(OnnxBase):
    def test_garbage_bytes(self):
        self.refuse(b"\x08\x07garbage\xff\xff", "not an ONNX model", status="CORRUPT")

    def test_truncated_model(self):
        data = self.conv().SerializeToString()
        self.refuse(data[: len(data) // 2], "not an ONNX model", status="CORRUPT")

    def test_empty_bytes(self):
        # An empty protobuf is a valid, empty model: no image input.
        self.refuse(b"", "0 non-constant inputs", status="UNSUPPORTED")

    def test_missing_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            self.refuse(os.path.join(tmp, "absent.onnx"), "cannot read the ONNX model",
                        status="IO")


class TestOnnxGraphs(OnnxBase):
    def test_cycle(self):
        nodes = [helper.make_node("Relu", ["b"], ["a"], name="first"),
                 helper.make_node("Relu", ["a"], ["b"], name="second")]
        self.refuse(model(nodes, [image("x", 2, 4, 4)], [image("a", 2, 4, 4)]),
                    "'first' (Relu): input 'b' is not produced by any node")

    def test_two_image_inputs(self):
        nodes = [helper.make_node("Add", ["x", "z"], ["y"])]
        self.refuse(model(nodes, [image("x", 2, 4, 4), image("z", 2, 4, 4)],
                          [image("y", 2, 4, 4)]), "2 non-constant inputs")

    def test_two_outputs(self):
        nodes = [helper.make_node("Relu", ["x"], ["y"]), helper.make_node("Tanh", ["x"], ["z"])]
        self.refuse(model(nodes, [image("x", 2, 4, 4)], [image("y", 2, 4, 4),
                                                          image("z", 2, 4, 4)]), "2 outputs")

    def test_output_not_produced(self):
        nodes = [helper.make_node("Relu", ["x"], ["y"])]
        self.refuse(model(nodes, [image("x", 2, 4, 4)], [image("elsewhere", 2, 4, 4)]),
                    "output 'elsewhere' is not produced by a layer")

    def test_node_without_inputs_or_outputs(self):
        for node in (helper.make_node("Relu", [], ["y"], name="noinput"),
                     helper.make_node("Relu", ["x"], [], name="nooutput")):
            self.refuse(model([node], [image("x", 2, 4, 4)], [image("y", 2, 4, 4)]),
                        f"'{node.name}' (Relu): a node without inputs or outputs",
                        status="CORRUPT")

    def test_unknown_input_dimensions(self):
        nodes = [helper.make_node("Relu", ["x"], ["y"])]
        self.refuse(model(nodes, [image("x", "C", 4, 4)], [image("y", 2, 4, 4)]),
                    "with C, H, W known")
        self.refuse(model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                ["N", 4])],
                          [image("y", 2, 4, 4)]), "expected N x C x H x W")

    def test_input_too_large(self):
        nodes = [helper.make_node("Relu", ["x"], ["y"])]
        self.refuse(model(nodes, [image("x", 3, 100000, 100000)], [image("y", 3, 4, 4)]),
                    "exceeds the limit of 2147483648 elements", status="TOO_LARGE")
        self.refuse(model(nodes, [image("x", 3, 2 ** 40, 4)], [image("y", 3, 4, 4)]),
                    "does not fit in a C int", status="INVALID_ARGUMENT")


class TestOnnxOperators(OnnxBase):
    def test_unsupported(self):
        for op in ("LSTM", "Resize", "ConvTranspose", "GlobalMaxPool", "Mul", "Sigmoid",
                   "NonMaxSuppression"):
            node = helper.make_node(op, ["x"], ["y"], name="n_" + op)
            self.refuse(model([node], [image("x", 2, 4, 4)], [image("y", 2, 4, 4)]),
                        f"'n_{op}' ({op}): operator {op} is not supported",
                        status="UNSUPPORTED")

    def test_missing_weight(self):
        node = helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[3, 3], name="conv")
        self.refuse(model([node], [image("x", 2, 4, 4)], [image("y", 4, 4, 4)]),
                    "'conv' (Conv): input 1 ('w') must be a constant")
        node = helper.make_node("BatchNormalization", ["x"], ["y"], name="bn")
        self.refuse(model([node], [image("x", 2, 4, 4)], [image("y", 2, 4, 4)]),
                    "'bn' (BatchNormalization): input 1 is missing")

    def test_constant_without_tensor(self):
        node = helper.make_node("Constant", [], ["c"], value_float=1.0, name="c")
        self.refuse(model([node], [image("x", 2, 4, 4)], [image("x", 2, 4, 4)]),
                    "only Constant with a tensor 'value'")


class TestOnnxAttributes(OnnxBase):
    def test_padding_beyond_int(self):
        # Was silently a padding of 0 (ctypes kept the low 32 bits of 2**40).
        self.refuse(self.conv(pads=[2 ** 40] * 4), "does not fit in a C int",
                    status="INVALID_ARGUMENT")

    def test_zero_and_negative_values(self):
        self.refuse(self.conv(strides=[0, 0]), "kernel, stride and dilation must be at least 1")
        self.refuse(self.conv(dilations=[-1, -1]), "must be at least 1")
        self.refuse(self.conv(group=0), "groups must be at least 1")
        self.refuse(self.conv(pads=[-1, -1, -1, -1]), "padding")
        node = helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[0, 0], name="pool")
        self.refuse(model([node], [image("x", 2, 4, 4)], [image("y", 2, 4, 4)]),
                    "max_pool2d 'pool': kernel and stride must be at least 1")

    def test_wrong_number_of_values(self):
        self.refuse(self.conv(pads=[1, 1, 1]), "'conv' (Conv): strides [1, 1], pads [1, 1, 1]",
                    status="CORRUPT")
        self.refuse(self.conv(kernel_shape=[3, 3, 3]), "a 3-D kernel")
        self.refuse(self.conv(kernel_shape=[]), "a 0-D kernel")

    def test_kernel_larger_than_input(self):
        self.refuse(self.conv(weight=np.zeros((4, 2, 9, 9), np.float32), kernel_shape=[9, 9]),
                    "is larger than the padded input", status="INVALID_SHAPE")

    def test_missing_or_absurd_scalars(self):
        node = helper.make_node("LRN", ["x"], ["y"], name="lrn")
        self.refuse(model([node], [image("x", 2, 4, 4)], [image("y", 2, 4, 4)]),
                    "'lrn' (LRN): the size attribute is missing", status="CORRUPT")
        node = helper.make_node("Dropout", ["x"], ["y"], ratio=2.0, name="drop")
        self.refuse(model([node], [image("x", 2, 4, 4)], [image("y", 2, 4, 4)]),
                    "p must be in [0, 1)")
        node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"],
                                epsilon=-1.0, name="bn")
        ones = {k: np.ones(2, np.float32) for k in "sbmv"}
        self.refuse(model([node], [image("x", 2, 4, 4)], [image("y", 2, 4, 4)], ones),
                    "eps must be positive")


class TestOnnxWeights(OnnxBase):
    def test_wrong_shapes(self):
        self.refuse(self.conv(weight=np.zeros((4, 3, 3, 3), np.float32)),
                    "tensor 'conv.weight' has shape (4, 2, 3, 3), found (4, 3, 3, 3)")
        self.refuse(self.conv(weight=np.zeros(4, np.float32)),
                    "tensor 'conv.weight' has shape (4, 2, 3, 3), found (4,)")
        node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], name="bn")
        three = {k: np.ones(3, np.float32) for k in "sbmv"}
        self.refuse(model([node], [image("x", 2, 4, 4)], [image("y", 2, 4, 4)], three),
                    "tensor 'bn.weight' has shape (2,), found (3,)")

    def test_gemm_operands_of_the_wrong_rank(self):
        nodes = [helper.make_node("Flatten", ["x"], ["f"]),
                 helper.make_node("Gemm", ["f", "w", "c"], ["y"], name="fc")]
        m = model(nodes, [image("x", 2, 4, 4)], [vector("y", 4)],
                  {"w": np.zeros((32, 4), np.float32), "c": np.zeros(5, np.float32)})
        self.refuse(m, "'fc' (Gemm): malformed", status="CORRUPT")
        m = model(nodes, [image("x", 2, 4, 4)], [vector("y", 4)],
                  {"w": np.zeros((2, 32, 4), np.float32), "c": np.zeros(4, np.float32)})
        self.refuse(m, "tensor 'fc.weight'")

    def test_values_overflowing_float32(self):
        # alpha * weights = 1e60: infinite in float32, so refused.
        nodes = [helper.make_node("Flatten", ["x"], ["f"]),
                 helper.make_node("Gemm", ["f", "w"], ["y"], alpha=1e30, name="fc")]
        m = model(nodes, [image("x", 2, 4, 4)], [vector("y", 4)],
                  {"w": np.full((32, 4), 1e30, np.float32)})
        self.refuse(m, "tensor 'fc.weight': value", "does not fit in float32")

    def test_absurd_but_representable_weights_convert(self):
        m = self.conv(weight=np.full((4, 2, 3, 3), 3.0e38, np.float32), pads=[1, 1, 1, 1])
        net = convert.from_onnx(m)
        y = net.forward(np.ones((1, 2, 4, 4), np.float32))
        self.assertTrue(np.isinf(y).all())  # IEEE: the sums overflow


if __name__ == "__main__":
    unittest.main()
