"""Bringing weights in from PyTorch and ONNX.

    from cnnarch import convert
    net = convert.from_state_dict("resnet50", torch.load("resnet50.pth"))
    net = convert.from_onnx("model.onnx")

On the command line (writes a .cna file, prints what it did and a check):
    python3 -m cnnarch.convert --arch resnet50 --state-dict model.pth OUT.cna
    python3 -m cnnarch.convert model.onnx OUT.cna [--compress]

from_state_dict needs torch only to read .pth files; from_onnx needs the onnx
package (Debian: python3-torch, python3-onnx). ONNX coverage: the operators
the classic CNNs export to at opsets 11 to 17 - Conv, Gemm, MatMul+Add,
MaxPool, AveragePool, GlobalAveragePool, BatchNormalization, Relu, Tanh, LRN,
Concat, Add, Flatten, Reshape to 2-D, Dropout, Softmax, Identity, Constant, and
the zero Pad that PyTorch writes in front of some AveragePools.
Anything else is refused with the operator and the node named.
"""
import argparse
import sys
import time

from . import Builder, Error, Net

try:
    import numpy as np
except ImportError:  # the converters need NumPy; the rest of cnnarch does not
    np = None


def _need_numpy():
    if np is None:
        raise Error(10, "the converters need NumPy (Debian: python3-numpy)")


# ---------------------------------------------------------------- PyTorch


def _state_dict_of(obj):
    """The state_dict in whatever torch.load returned."""
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        return obj.state_dict()
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        return obj["state_dict"]
    if isinstance(obj, dict):
        return obj
    raise Error(1, f"expected a state_dict or a model, found {type(obj).__name__}")


def from_state_dict(arch, state_dict, num_classes=None, **options):
    """A zoo net with the weights of a torchvision-style state_dict (a dict
    of name -> tensor/array, a model, or a checkpoint with "state_dict").
    num_classes defaults to what the state_dict's classifier has."""
    state_dict = _state_dict_of(state_dict)
    net = Net.from_arch(arch, num_classes=num_classes, **options)
    if num_classes is None:
        # The classifier is the net's last weight tensor in every zoo net.
        last = [name for name in net.tensor_shapes() if name.endswith(".weight")][-1]
        if last in state_dict:
            classes = int(state_dict[last].shape[0])
            if classes != net.output_size:
                net = Net.from_arch(arch, num_classes=classes, **options)
    net.load_state_dict(state_dict)
    return net


# ------------------------------------------------------------------ ONNX


class _Onnx:
    """Walks an ONNX graph in node order and replays it on a Builder."""

    def __init__(self, model):
        import onnx
        from onnx import numpy_helper

        self.onnx = onnx
        self.graph = model.graph
        self.opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
                         default=0)
        self.constants = {}
        for t in self.graph.initializer:
            try:
                self.constants[t.name] = numpy_helper.to_array(t)
            except Exception as e:  # noqa: BLE001 - onnx raises many kinds
                raise Error(9, f"ONNX initializer '{t.name}' cannot be read: {e}") from None
        self.builder = Builder()
        self.layer = {}      # ONNX tensor name -> builder layer name
        self.weights = []    # (layer, kind, array), set after build
        self.names = set()
        self.consumers = {}
        for node in self.graph.node:
            for name in node.input:
                self.consumers.setdefault(name, []).append(node)
        self.fused = set()   # nodes already handled by a fusion

    def fail(self, node, message, status=10):
        name = node.name or (node.output[0] if len(node.output) else "(unnamed)")
        raise Error(status, f"ONNX node '{name}' ({node.op_type}): {message}")

    def attrs(self, node):
        return {a.name: self.onnx.helper.get_attribute_value(a) for a in node.attribute}

    def unique(self, node):
        base = node.name or node.output[0] or node.op_type
        name, k = base, 1
        while name in self.names:
            k += 1
            name = f"{base}_{k}"
        self.names.add(name)
        return name

    def source(self, node, tensor):
        if tensor not in self.layer:
            what = "a constant" if tensor in self.constants else "not produced by any node"
            self.fail(node, f"input '{tensor}' is {what}; expected a layer's output")
        return self.layer[tensor]

    def constant(self, node, index, required=True):
        if index >= len(node.input) or node.input[index] == "":
            if required:
                self.fail(node, f"input {index} is missing")
            return None
        name = node.input[index]
        if name not in self.constants:
            self.fail(node, f"input {index} ('{name}') must be a constant (an initializer)")
        return self.constants[name]

    def window(self, node, a, spatial=True):
        kernel = list(a.get("kernel_shape", []))
        strides = list(a.get("strides", [1] * len(kernel)))
        pads = list(a.get("pads", [0] * (2 * len(kernel))))
        dilations = list(a.get("dilations", [1] * len(kernel)))
        auto_pad = a.get("auto_pad", b"NOTSET")
        auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
        if auto_pad not in ("NOTSET", "VALID"):
            self.fail(node, f"auto_pad {auto_pad} is not supported; export with explicit pads")
        if len(kernel) != 2:
            self.fail(node, f"a {len(kernel)}-D kernel; only 2-D is supported")
        if len(strides) != 2 or len(pads) != 4 or len(dilations) != 2:
            self.fail(node, f"strides {strides}, pads {pads}, dilations {dilations}: expected "
                            "2, 4 and 2 values for a 2-D window", status=9)
        if pads[0] != pads[2] or pads[1] != pads[3]:
            self.fail(node, f"asymmetric pads {pads}; only symmetric padding is supported")
        return kernel, strides, pads[:2], dilations

    def run(self):
        inputs = [i for i in self.graph.input if i.name not in self.constants]
        if len(inputs) != 1:
            raise Error(10, f"ONNX graph has {len(inputs)} non-constant inputs; expected one "
                            "image input")
        shape = [d.dim_value for d in inputs[0].type.tensor_type.shape.dim]
        if len(shape) != 4 or min(shape[1:]) <= 0:
            raise Error(10, f"ONNX input '{inputs[0].name}' has shape {shape}; expected "
                            "N x C x H x W with C, H, W known")
        self.names.add(inputs[0].name)
        self.layer[inputs[0].name] = self.builder.input(shape[1], shape[2], shape[3],
                                                        name=inputs[0].name)
        for node in self.graph.node:
            if id(node) in self.fused:
                continue
            handler = getattr(self, "op_" + node.op_type, None)
            if handler is None:
                self.fail(node, f"operator {node.op_type} is not supported")
            if len(node.output) == 0 or (node.op_type != "Constant" and len(node.input) == 0):
                self.fail(node, "a node without inputs or outputs", status=9)
            try:
                handler(node, self.attrs(node))
            except (ValueError, TypeError, IndexError, KeyError, OverflowError) as e:
                # A malformed node (missing attribute, operand of the wrong
                # rank, ...): refused cleanly, naming it.
                self.fail(node, f"malformed: {type(e).__name__}: {e}", status=9)
        outputs = [o.name for o in self.graph.output]
        if len(outputs) != 1:
            raise Error(10, f"ONNX graph has {len(outputs)} outputs; expected one")
        if outputs[0] not in self.layer:
            raise Error(10, f"ONNX output '{outputs[0]}' is not produced by a layer")
        self.builder.set_output(self.layer[outputs[0]])
        net = self.builder.build()
        for layer, kind, value in self.weights:
            net.set_tensor(f"{layer}.{kind}", value)
        return net

    # -- operators ----------------------------------------------------------

    def op_Conv(self, node, a):
        kernel, strides, pads, dilations = self.window(node, a)
        w = self.constant(node, 1)
        b = self.constant(node, 2, required=False)
        name = self.builder.conv2d(int(w.shape[0]), tuple(kernel), tuple(strides), tuple(pads),
                                   tuple(dilations), int(a.get("group", 1)), b is not None,
                                   input=self.source(node, node.input[0]),
                                   name=self.unique(node))
        self.weights.append((name, "weight", w))
        if b is not None:
            self.weights.append((name, "bias", b))
        self.layer[node.output[0]] = name

    def _fully_connected(self, node, source, weight, bias):
        name = self.builder.fully_connected(int(weight.shape[0]), bias is not None,
                                            input=source, name=self.unique(node))
        # Converted to float32 by set_tensor, which refuses what overflows.
        self.weights.append((name, "weight", np.ascontiguousarray(weight)))
        if bias is not None:
            self.weights.append((name, "bias", np.asarray(bias).reshape(-1)))
        return name

    def op_Gemm(self, node, a):
        if a.get("transA", 0):
            self.fail(node, "transA=1 is not supported")
        w = self.constant(node, 1)
        w = w if a.get("transB", 0) else w.T  # ours is (out, in)
        # In double, so that a product too large for float32 is refused when
        # the weights are set, not silently infinite.
        w = np.asarray(w, np.float64) * a.get("alpha", 1.0)
        c = self.constant(node, 2, required=False)
        if c is not None:
            c = np.broadcast_to(np.asarray(c, np.float64).reshape(-1), (w.shape[0],))
            c = c * a.get("beta", 1.0)
        self.layer[node.output[0]] = self._fully_connected(
            node, self.source(node, node.input[0]), w, c)

    def op_MatMul(self, node, a):
        w = self.constant(node, 1)
        if w.ndim != 2:
            self.fail(node, "the constant operand must be 2-D")
        bias = None
        users = self.consumers.get(node.output[0], [])
        if len(users) == 1 and users[0].op_type == "Add":
            add = users[0]
            other = [i for i in add.input if i != node.output[0]]
            if len(other) == 1 and other[0] in self.constants:
                bias = self.constants[other[0]]
                self.fused.add(id(add))
        name = self._fully_connected(node, self.source(node, node.input[0]), w.T, bias)
        self.layer[node.output[0]] = name
        if bias is not None:
            self.layer[users[0].output[0]] = name

    def _pool(self, node, a, average):
        kernel, strides, pads, dilations = self.window(node, a)
        if kernel[0] != kernel[1] or strides[0] != strides[1] or pads[0] != pads[1]:
            self.fail(node, f"kernel {kernel}, strides {strides}, pads {pads}: only square "
                            "pooling is supported")
        if dilations != [1, 1]:
            self.fail(node, "dilated pooling is not supported")
        source = self.source(node, node.input[0])
        if average:
            name = self.builder.avg_pool2d(kernel[0], strides[0], pads[0],
                                           bool(a.get("ceil_mode", 0)),
                                           bool(a.get("count_include_pad", 0)), input=source,
                                           name=self.unique(node))
        else:
            if len(node.output) > 1 and node.output[1]:
                self.fail(node, "the Indices output is not supported")
            name = self.builder.max_pool2d(kernel[0], strides[0], pads[0],
                                           bool(a.get("ceil_mode", 0)), input=source,
                                           name=self.unique(node))
        self.layer[node.output[0]] = name

    def op_MaxPool(self, node, a):
        self._pool(node, a, average=False)

    def op_AveragePool(self, node, a):
        self._pool(node, a, average=True)

    def op_GlobalAveragePool(self, node, a):
        self.layer[node.output[0]] = self.builder.global_avg_pool(
            input=self.source(node, node.input[0]), name=self.unique(node))

    def op_BatchNormalization(self, node, a):
        if any(o for o in node.output[1:]):
            self.fail(node, "training-mode outputs (running mean/var) are not supported")
        name = self.builder.batch_norm(float(a.get("epsilon", 1e-5)),
                                       input=self.source(node, node.input[0]),
                                       name=self.unique(node))
        for index, kind in ((1, "weight"), (2, "bias"), (3, "running_mean"), (4, "running_var")):
            self.weights.append((name, kind, self.constant(node, index)))
        self.layer[node.output[0]] = name

    def _unary(self, node, method):
        self.layer[node.output[0]] = method(input=self.source(node, node.input[0]),
                                            name=self.unique(node))

    def op_Relu(self, node, a):
        self._unary(node, self.builder.relu)

    def op_Tanh(self, node, a):
        self._unary(node, self.builder.tanh)

    def op_LRN(self, node, a):
        if "size" not in a:
            self.fail(node, "the size attribute is missing", status=9)
        size = int(a["size"])
        if size % 2 == 0:
            self.fail(node, f"size {size}: ONNX centres even windows differently from "
                            "libcnnarch (PyTorch's window); only odd sizes convert exactly")
        self.layer[node.output[0]] = self.builder.lrn(
            size, float(a.get("alpha", 1e-4)), float(a.get("beta", 0.75)),
            float(a.get("bias", 1.0)), input=self.source(node, node.input[0]),
            name=self.unique(node))

    def op_Concat(self, node, a):
        if a.get("axis") != 1:
            self.fail(node, f"axis {a.get('axis')}: only channel concatenation (axis 1)")
        self.layer[node.output[0]] = self.builder.concat(
            [self.source(node, i) for i in node.input], name=self.unique(node))

    def op_Add(self, node, a):
        if any(i in self.constants for i in node.input):
            self.fail(node, "adding a constant is only supported as the bias of a MatMul")
        self.layer[node.output[0]] = self.builder.add(
            self.source(node, node.input[0]), self.source(node, node.input[1]),
            name=self.unique(node))

    def op_Flatten(self, node, a):
        if a.get("axis", 1) != 1:
            self.fail(node, f"axis {a.get('axis')}: only Flatten(axis=1) is supported")
        self._unary(node, self.builder.flatten)

    def op_Reshape(self, node, a):
        source = self.source(node, node.input[0])
        shape = [int(v) for v in self.constant(node, 1).reshape(-1)]
        c, h, w = self.builder.shape(source)
        if len(shape) != 2 or shape[1] not in (-1, c * h * w) or shape[0] not in (-1, 0, 1):
            self.fail(node, f"shape {shape}: only a reshape to N x {c * h * w} (a flatten) "
                            "is supported")
        self.layer[node.output[0]] = self.builder.flatten(input=source, name=self.unique(node))

    def op_Dropout(self, node, a):
        ratio = a.get("ratio", 0.5)
        if len(node.input) > 1 and node.input[1]:
            ratio = float(self.constant(node, 1))
        self.layer[node.output[0]] = self.builder.dropout(
            float(ratio), input=self.source(node, node.input[0]), name=self.unique(node))

    def op_Softmax(self, node, a):
        source = self.source(node, node.input[0])
        c, h, w = self.builder.shape(source)
        axis = a.get("axis", 1 if self.opset < 13 else -1)
        flat = h == 1 and w == 1
        if not (axis == 1 or (flat and axis == -1)):
            self.fail(node, f"axis {axis} on a {c}x{h}x{w} input: only softmax over channels")
        self.layer[node.output[0]] = self.builder.softmax(input=source, name=self.unique(node))

    def op_Pad(self, node, a):
        mode = a.get("mode", b"constant")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        pads = a.get("pads")
        if pads is None:
            pads = self.constant(node, 1)
        pads = [int(v) for v in np.asarray(pads).reshape(-1)]
        value = self.constant(node, 2, required=False) if len(node.input) > 2 else None
        if mode != "constant" or (value is not None and float(np.asarray(value)) != 0.0):
            self.fail(node, f"mode {mode}: only zero padding is supported")
        source = self.source(node, node.input[0])
        if not any(pads):
            self.layer[node.output[0]] = source
            return
        # N, C, H, W begins then ends: zero padding of H and W alike, read by
        # an AveragePool without padding of its own (PyTorch's export of
        # count_include_pad=True): the same as that pool with the padding.
        users = self.consumers.get(node.output[0], [])
        pool = users[0] if len(users) == 1 else None
        p = pads[2]
        if (len(pads) == 8 and pads[:2] == [0, 0] and pads[4:6] == [0, 0]
                and pads[2:4] == [p, p] and pads[6:8] == [p, p] and pool is not None
                and pool.op_type == "AveragePool"):
            a2 = self.attrs(pool)
            kernel, strides, pool_pads, _ = self.window(pool, a2)
            if not any(pool_pads) and not a2.get("ceil_mode", 0) and kernel[0] == kernel[1] \
                    and strides[0] == strides[1]:
                self.fused.add(id(pool))
                self.layer[pool.output[0]] = self.builder.avg_pool2d(
                    kernel[0], strides[0], p, False, True, input=source, name=self.unique(pool))
                return
        self.fail(node, f"pads {pads}: only zero pads, or symmetric spatial padding read by "
                        "an AveragePool, are supported")

    def op_Identity(self, node, a):
        if node.input[0] in self.constants:
            self.constants[node.output[0]] = self.constants[node.input[0]]
        else:
            self.layer[node.output[0]] = self.source(node, node.input[0])

    def op_Constant(self, node, a):
        from onnx import numpy_helper
        if "value" not in a:
            self.fail(node, "only Constant with a tensor 'value' is supported")
        self.constants[node.output[0]] = numpy_helper.to_array(a["value"])


def from_onnx(model):
    """A Net from an ONNX model (a path, bytes, or an onnx.ModelProto)."""
    _need_numpy()
    try:
        import onnx
    except ImportError:
        raise Error(10, "from_onnx needs the onnx package (Debian: python3-onnx)")
    try:
        if isinstance(model, (bytes, bytearray)):
            model = onnx.load_from_string(bytes(model))
        elif not isinstance(model, onnx.ModelProto):
            model = onnx.load(str(model))
    except OSError as e:
        raise Error(8, f"cannot read the ONNX model: {e}") from None
    except Exception as e:  # noqa: BLE001 - protobuf's DecodeError and kin
        raise Error(9, f"not an ONNX model: {type(e).__name__}: {e}") from None
    return _Onnx(model).run()


# ----------------------------------------------------------------- command


def _print_layers(net):
    rows = net.summary()
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        shape = "x".join(map(str, r["output_shape"]))
        print(f"  {r['name']:<{width}}  {r['type']:<19} {shape:<14} {r['params']:>11,} params")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python3 -m cnnarch.convert",
        description="Convert a PyTorch state_dict (with --arch) or an ONNX model to .cna")
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="model.onnx OUT.cna, or OUT.cna with --state-dict")
    parser.add_argument("--arch", help="zoo architecture of the state_dict (e.g. resnet50)")
    parser.add_argument("--state-dict", help="a .pth file: state_dict, model or checkpoint")
    parser.add_argument("--num-classes", type=int, help="default: the state_dict's")
    parser.add_argument("--compress", action="store_true", help="deflate the sections")
    args = parser.parse_args(argv)
    if len(args.paths) != (1 if args.state_dict else 2):
        parser.error("usage: --arch ARCH --state-dict MODEL.pth OUT.cna, or MODEL.onnx OUT.cna")
    args.output = args.paths[-1]
    _need_numpy()
    started = time.time()
    reference = None
    if args.state_dict:
        if not args.arch:
            parser.error("--state-dict needs --arch")
        import torch
        state = _state_dict_of(torch.load(args.state_dict, map_location="cpu"))
        net = from_state_dict(args.arch, state, num_classes=args.num_classes)
        print(f"read {len(state)} entries of {args.state_dict} into {args.arch}")
        try:  # the same model in torch, when torchvision has it, as the check
            import torchvision
            model = getattr(torchvision.models, args.arch)(weights=None,
                                                           num_classes=net.output_size,
                                                           **({"aux_logits": False,
                                                               "init_weights": False}
                                                              if args.arch == "googlenet"
                                                              else {}))
            model.load_state_dict(state, strict=False)
            reference = ("torch", model.eval())
        except (ImportError, AttributeError, RuntimeError, TypeError):
            pass
    else:
        net = from_onnx(args.paths[0])
        print(f"converted the ONNX graph of {args.paths[0]}")
    print(f"{net.num_layers} layers, {net.num_params:,} parameters, input "
          f"{'x'.join(map(str, net.input_shape))}, {net.output_size} outputs:")
    _print_layers(net)
    net.save(args.output, compress=args.compress)
    loaded = Net.load(args.output)
    x = np.random.RandomState(0).uniform(-1, 1, (2,) + net.input_shape).astype(np.float32)
    y = loaded.forward(x)
    same = np.array_equal(y, net.forward(x))
    print(f"wrote {args.output}; it loads back and gives {'the same' if same else 'DIFFERENT'} "
          f"outputs ({time.time() - started:.1f} s)")
    ok = same
    if reference is not None:
        import torch
        with torch.no_grad():
            expected = reference[1](torch.from_numpy(x)).numpy().reshape(2, -1)
        error = float(np.abs(y - expected).max()) / max(float(np.abs(expected).max()), 1e-30)
        top5 = all((np.argsort(-y[i])[:5] == np.argsort(-expected[i])[:5]).all()
                   for i in range(2))
        print(f"check against {reference[0]}: max error relative to max |y| {error:.2g}, "
              f"top-5 {'identical' if top5 else 'DIFFERENT'}")
        ok = ok and error <= 1e-4
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
