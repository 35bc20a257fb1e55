"""libcnnarch from Python: classic CNN architectures, built, inspected and run.

    import cnnarch
    net = cnnarch.Net.from_arch("resnet18")
    print(net.num_params, net.macs, net.input_shape)
    y = net.forward(x)            # x: N x C x H x W float32, y: N x outputs
    net.save("resnet18.cna")
    same = cnnarch.Net.load("resnet18.cna")

    x = cnnarch.load_image("cat.png", preset="imagenet")   # 3 x 224 x 224, as torchvision
    net.classify("cat.png", topk=5, labels="data/labels/imagenet1k.txt")

Pure ctypes over the C library (see _lib.py for how it is found). NumPy is
used when installed: arrays go to the library without copies when they are
already contiguous float32. Without NumPy, plain buffers work: any object
with the buffer protocol holding float32 (array.array('f'), memoryview) or a
flat sequence of numbers, and results come back as array.array('f').
"""
import array
import collections
import ctypes
import math
import numbers
import os

from . import _lib

try:
    import numpy as _np
except ImportError:  # plain buffers then
    _np = None

__all__ = ["Error", "Net", "Builder", "Ensemble", "Labels", "Prediction", "architectures",
           "describe",
           "version", "format_version", "load_image", "presets", "LAYER_TYPES"]

_L = _lib.load()

# cna_status values (pinned in cnnarch.h)
OK = 0
STATUS_NAMES = {0: "OK", 1: "INVALID_ARGUMENT", 2: "OUT_OF_MEMORY", 3: "NOT_FOUND",
                4: "INVALID_SHAPE", 5: "INVALID_GRAPH", 6: "TOO_LARGE", 7: "INTERNAL",
                8: "IO", 9: "CORRUPT", 10: "UNSUPPORTED"}

# cna_stat values
_STATS = {"params": 0, "activations": 1, "activation_bytes": 2, "macs": 3, "rf_height": 4,
          "rf_width": 5, "rf_jump_height": 6, "rf_jump_width": 7, "depth": 8, "buffers": 9,
          "ops": 10}

LAYER_TYPES = {i: _L.cna_layer_type_name(i).decode() for i in range(17)}


class Error(Exception):
    """A libcnnarch call failed. `status` is the cna_status name
    ("NOT_FOUND", ...), `code` its value, and the text is the library's
    message: what failed and where."""

    def __init__(self, code, message):
        self.code = code
        self.status = STATUS_NAMES.get(code, str(code))
        self.message = message
        super().__init__(f"{message} [{self.status}]")


def _check(code):
    if code != OK:
        raise Error(code, _L.cna_last_error_message().decode("utf-8", "replace"))


def _bytes(text):
    return None if text is None else text.encode("utf-8")


_INT_MIN, _INT_MAX = -(1 << 31), (1 << 31) - 1


def _c_int(value, what):
    """value as a C int argument; outside int's range it is refused, where
    ctypes would silently keep the low 32 bits (a padding of 2**32 + 1
    would become 1)."""
    number = int(value)
    if not _INT_MIN <= number <= _INT_MAX:
        raise Error(1, f"{what}: {number} does not fit in a C int")
    return number


def version():
    """The linked library's version string, e.g. '0.2.0'."""
    return _L.cna_version_string().decode()


def format_version():
    """The .cna format version the library writes."""
    return _L.cna_format_version()


def architectures():
    """The names of the zoo's architectures."""
    return [_L.cna_arch_name(i).decode() for i in range(_L.cna_arch_count())]


def describe(arch):
    """A zoo architecture's one-line description."""
    text = _L.cna_arch_description(_bytes(arch))
    if text is None:
        raise Error(3, f"unknown architecture '{arch}'")
    return text.decode()


class _Options:
    """A cna_options handle for the duration of a with-block."""

    def __init__(self, num_classes=None, input_size=None, seed=None, num_threads=None,
                 aux_logits=None, verify_weights=None):
        self.handle = ctypes.c_void_p()
        _check(_L.cna_options_create(ctypes.byref(self.handle)))
        try:
            if num_classes is not None:
                _check(_L.cna_options_set_num_classes(self.handle,
                                                      _c_int(num_classes, "num_classes")))
            if input_size is not None:
                if isinstance(input_size, int):
                    input_size = (input_size, input_size)
                height, width = input_size
                _check(_L.cna_options_set_input_size(self.handle, _c_int(height, "input_size"),
                                                     _c_int(width, "input_size")))
            if seed is not None:
                if not 0 <= int(seed) < 1 << 64:
                    raise Error(1, f"seed: {int(seed)} is not a 64-bit unsigned integer")
                _check(_L.cna_options_set_seed(self.handle, int(seed)))
            if num_threads is not None:
                _check(_L.cna_options_set_num_threads(self.handle,
                                                      _c_int(num_threads, "num_threads")))
            if aux_logits is not None:
                _check(_L.cna_options_set_aux_logits(self.handle, int(bool(aux_logits))))
            if verify_weights is not None:
                _check(_L.cna_options_set_verify_weights(self.handle,
                                                         int(bool(verify_weights))))
        except Exception:
            _L.cna_options_destroy(self.handle)
            raise

    def __enter__(self):
        return self.handle

    def __exit__(self, *exc):
        _L.cna_options_destroy(self.handle)


def _float_pointer(buffer):
    return ctypes.cast(buffer, ctypes.POINTER(ctypes.c_float))


class Net:
    """A network with its weights. Create one with Net.from_arch, Net.load,
    Net.from_bytes or Builder.build. Its weights are read-only while forward
    runs, and forward releases the GIL: threads may share one net."""

    def __init__(self, handle):
        if not handle:
            raise ValueError("Net() needs a handle: use Net.from_arch or Net.load")
        self._handle = handle

    # -- creation ---------------------------------------------------------

    @classmethod
    def from_arch(cls, arch, num_classes=None, input_size=None, seed=None,
                  num_threads=None, aux_logits=None):
        """A zoo architecture (see architectures()) with seeded weights.
        input_size: an int or (height, width); defaults are the arch's own."""
        handle = ctypes.c_void_p()
        with _Options(num_classes, input_size, seed, num_threads, aux_logits) as opts:
            _check(_L.cna_net_create_arch(_bytes(arch), opts, ctypes.byref(handle)))
        return cls(handle)

    @classmethod
    def load(cls, path, num_threads=None, verify_weights=True):
        """A net from a .cna file (mapped, weights used in place)."""
        handle = ctypes.c_void_p()
        with _Options(num_threads=num_threads, verify_weights=verify_weights) as opts:
            _check(_L.cna_net_load(_bytes(str(path)), opts, ctypes.byref(handle)))
        return cls(handle)

    @classmethod
    def from_bytes(cls, data, num_threads=None):
        """A net from the bytes of a .cna file."""
        data = bytes(data)
        handle = ctypes.c_void_p()
        with _Options(num_threads=num_threads) as opts:
            _check(_L.cna_net_load_from_memory(data, len(data), opts, ctypes.byref(handle)))
        return cls(handle)

    def save(self, path, compress=False):
        """Writes a .cna file atomically. compress: False (mapped in place on
        load), True (zlib level 6) or a level 1..9."""
        level = 6 if compress is True else int(compress or 0)
        _check(_L.cna_net_save(self._ptr, _bytes(str(path)), level))

    def to_bytes(self, compress=False):
        """The .cna file as bytes."""
        level = 6 if compress is True else int(compress or 0)
        data, size = ctypes.c_void_p(), ctypes.c_size_t()
        _check(_L.cna_net_save_to_memory(self._ptr, level, ctypes.byref(data),
                                         ctypes.byref(size)))
        try:
            return ctypes.string_at(data, size.value)
        finally:
            _L.cna_free(data)

    def close(self):
        """Frees the net now (also done when it is garbage collected). A net
        that is a member of an open Ensemble cannot be closed."""
        if getattr(self, "_ensembles", 0):
            raise Error(1, "this net is a member of an Ensemble: close the ensemble first")
        self._destroy()

    def _destroy(self):
        if getattr(self, "_handle", None):
            _L.cna_net_destroy(self._handle)
            self._handle = None

    def __del__(self):
        self._destroy()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def _ptr(self):
        if not self._handle:
            raise Error(1, "this net was closed")
        return self._handle

    # -- shape and figures -------------------------------------------------

    @property
    def input_shape(self):
        """(channels, height, width) of one image."""
        shape = (ctypes.c_size_t * 3)()
        _check(_L.cna_net_input_shape(self._ptr, shape))
        return tuple(shape)

    @property
    def output_size(self):
        """Floats per image in the output."""
        size = ctypes.c_size_t()
        _check(_L.cna_net_output_size(self._ptr, ctypes.byref(size)))
        return size.value

    def workspace_size(self, batch=1):
        """Bytes one forward call on batch images uses besides its input and
        output: the planned activations plus each thread's scratch."""
        size = ctypes.c_size_t()
        _check(_L.cna_net_workspace_size(self._ptr, batch, ctypes.byref(size)))
        return size.value

    @property
    def num_threads(self):
        value = ctypes.c_int()
        _check(_L.cna_net_num_threads(self._ptr, ctypes.byref(value)))
        return value.value

    def _total(self, stat):
        value = ctypes.c_uint64()
        _check(_L.cna_net_total_stat(self._ptr, _STATS[stat], ctypes.byref(value)))
        return value.value

    @property
    def num_params(self):
        return self._total("params")

    @property
    def macs(self):
        """Multiply-accumulates per image."""
        return self._total("macs")

    @property
    def ops(self):
        """Upper bound of a forward pass's operations per image: MACs plus
        the window reads of pooling, LRN and softmax (CNA_STAT_OPS)."""
        return self._total("ops")

    @property
    def activation_bytes(self):
        """Activation memory per image, as the notes count it."""
        return self._total("activation_bytes")

    @property
    def depth(self):
        """Layers with weights on the longest path."""
        return self._total("depth")

    @property
    def num_layers(self):
        count = ctypes.c_size_t()
        _check(_L.cna_net_layer_count(self._ptr, ctypes.byref(count)))
        return count.value

    def layer_names(self):
        names = []
        for i in range(self.num_layers):
            name = ctypes.c_char_p()
            _check(_L.cna_net_layer_name(self._ptr, i, ctypes.byref(name)))
            names.append(name.value.decode())
        return names

    def _layer_stat(self, index, stat):
        value = ctypes.c_uint64()
        _check(_L.cna_net_layer_stat(self._ptr, index, _STATS[stat], ctypes.byref(value)))
        return value.value

    def summary(self):
        """One dict per layer, the fields of `summary --json`: name, type,
        output_shape, params, activations, macs, receptive_field
        {size: [h, w], jump: [h, w]}, and inputs (names)."""
        names = self.layer_names()
        rows = []
        for i, name in enumerate(names):
            layer_type, shape = ctypes.c_int(), (ctypes.c_size_t * 3)()
            _check(_L.cna_net_layer_type(self._ptr, i, ctypes.byref(layer_type)))
            _check(_L.cna_net_layer_output_shape(self._ptr, i, shape))
            count = ctypes.c_size_t()
            _check(_L.cna_net_layer_input_count(self._ptr, i, ctypes.byref(count)))
            inputs = []
            for k in range(count.value):
                producer = ctypes.c_size_t()
                _check(_L.cna_net_layer_input(self._ptr, i, k, ctypes.byref(producer)))
                inputs.append(names[producer.value])
            stat = lambda s: self._layer_stat(i, s)  # noqa: E731
            rows.append({
                "name": name,
                "type": LAYER_TYPES.get(layer_type.value, "unknown"),
                "output_shape": list(shape),
                "params": stat("params"),
                "activations": stat("activations"),
                "macs": stat("macs"),
                "receptive_field": {"size": [stat("rf_height"), stat("rf_width")],
                                    "jump": [stat("rf_jump_height"), stat("rf_jump_width")]},
                "inputs": inputs,
            })
        return rows

    # -- tensors -------------------------------------------------------------

    def _tensor_index(self, name):
        index = ctypes.c_size_t()
        _check(_L.cna_net_find_tensor(self._ptr, _bytes(name), ctypes.byref(index)))
        return index.value

    def _tensor_info(self, index):
        name, ndim, dims = ctypes.c_char_p(), ctypes.c_size_t(), (ctypes.c_size_t * 4)()
        _check(_L.cna_net_tensor_name(self._ptr, index, ctypes.byref(name)))
        _check(_L.cna_net_tensor_shape(self._ptr, index, ctypes.byref(ndim), dims))
        return name.value.decode(), tuple(dims[:ndim.value])

    def tensor_shapes(self):
        """{name: shape} of every tensor, in layer order (torchvision's
        state_dict keys for the zoo's torchvision twins)."""
        count = ctypes.c_size_t()
        _check(_L.cna_net_tensor_count(self._ptr, ctypes.byref(count)))
        return dict(self._tensor_info(i) for i in range(count.value))

    def get_tensor(self, name):
        """A copy of one tensor: a NumPy array, or array.array('f') of its
        flattened values without NumPy."""
        index = self._tensor_index(name)
        _, shape = self._tensor_info(index)
        count = 1
        for d in shape:
            count *= d
        if _np is not None:
            out = _np.empty(shape, dtype=_np.float32)
            _check(_L.cna_net_get_tensor(self._ptr, index,
                                         out.ctypes.data_as(_lib.PF), count))
            return out
        out = array.array("f", bytes(4 * count))
        address, _ = out.buffer_info()
        _check(_L.cna_net_get_tensor(self._ptr, index, _float_pointer(address), count))
        return out

    def set_tensor(self, name, values):
        """Replaces one tensor (same number of elements; NumPy arrays and
        torch tensors are reshaped as needed only if the shapes agree)."""
        index = self._tensor_index(name)
        tensor_name, shape = self._tensor_info(index)
        try:
            buffer, count, found_shape = _as_float_buffer(values)
        except Error as e:
            raise Error(e.code, f"tensor '{tensor_name}': {e.message}") from None
        if found_shape is not None and tuple(found_shape) != tuple(shape):
            raise Error(1, f"tensor '{tensor_name}' has shape {tuple(shape)}, "
                           f"found {tuple(found_shape)}")
        _check(_L.cna_net_set_tensor(self._ptr, index, buffer.ptr, count))

    def state_dict(self):
        """{name: copy} of every tensor."""
        return {name: self.get_tensor(name) for name in self.tensor_shapes()}

    def load_state_dict(self, state_dict, strict=True):
        """Copies a {name: array} mapping in, e.g. a torchvision model's
        state_dict() (torch tensors accepted). Everything is checked before
        anything changes: a missing, unexpected or mis-shaped entry raises
        Error naming it (missing and unexpected ones only when strict).
        torchvision's num_batches_tracked buffers are ignored."""
        shapes = self.tensor_shapes()
        given = {k: v for k, v in state_dict.items()
                 if not (isinstance(k, str) and k.endswith("num_batches_tracked"))}
        missing = [k for k in shapes if k not in given]
        unexpected = [str(k) for k in given if k not in shapes]
        problems = []
        if strict and missing:
            problems.append("missing: " + ", ".join(missing[:10])
                            + (f" and {len(missing) - 10} more" if len(missing) > 10 else ""))
        if strict and unexpected:
            problems.append("unexpected: " + ", ".join(unexpected[:10])
                            + (f" and {len(unexpected) - 10} more"
                               if len(unexpected) > 10 else ""))
        converted = {}
        for name, value in given.items():
            if name not in shapes:
                continue
            try:
                buffer, count, found_shape = _as_float_buffer(value)
            except Error as e:
                problems.append(f"{name}: {e.message}")
                continue
            if found_shape is None or tuple(found_shape) != shapes[name]:
                problems.append(f"{name}: expected shape {shapes[name]}, found "
                                f"{tuple(found_shape) if found_shape is not None else count}")
            converted[name] = (buffer, count)
        if problems:
            raise Error(1, "load_state_dict: " + "; ".join(problems))
        for name, (buffer, count) in converted.items():
            _check(_L.cna_net_set_tensor(self._ptr, self._tensor_index(name), buffer.ptr,
                                         count))

    # -- running ------------------------------------------------------------

    def forward(self, x):
        """Runs the net on a batch: N x C x H x W float32 (or one C x H x W
        image). Returns N x output_size (or output_size values for one image).
        NumPy arrays in, NumPy arrays out, without copies when x is already
        contiguous float32; plain buffers and sequences otherwise."""
        keep, pointer, batch, single = self._images(x, "forward")
        out_size = self.output_size
        if _np is not None and isinstance(keep, _np.ndarray):
            y = _np.empty((batch, out_size), dtype=_np.float32)
            _check(_L.cna_net_forward(self._ptr, pointer, batch, y.ctypes.data_as(_lib.PF)))
            return y[0] if single else y
        out = array.array("f", bytes(4 * batch * out_size))
        address, _ = out.buffer_info()
        _check(_L.cna_net_forward(self._ptr, pointer, batch, _float_pointer(address)))
        return out

    __call__ = forward

    def classify(self, image, topk=5, labels=None, preset=None):
        """The topk most probable classes of an image: a PNG path or its
        bytes (preprocessed with preset, default the one that fits the net,
        see load_image), or an already preprocessed C x H x W array, or a
        batch N x C x H x W. labels: a Labels, a labels file's path or a list
        of names, one per output. Returns a list of Prediction(index,
        probability, label) tuples, most probable first (label None without
        labels), or one such list per image of a batch. Probabilities are the
        softmax of the outputs (the outputs themselves for a net that ends in
        a softmax). topk is capped at the number of outputs."""
        return _classify(self, self.output_size, _L.cna_net_classify, self._ptr, image, topk,
                         labels, preset)

    def _images(self, x, what):
        """(keep-alive, float pointer, batch, single) for an N x C x H x W
        batch or one C x H x W image in this net's input shape."""
        c, h, w = self.input_shape
        if _np is not None and not isinstance(x, (array.array, memoryview, bytes, bytearray)):
            if hasattr(x, "detach"):  # a torch tensor
                x = x.detach().cpu().numpy()
            try:
                x = _np.ascontiguousarray(x, dtype=_np.float32)
            except (TypeError, ValueError) as e:
                raise Error(1, f"{what}: cannot convert the input to float32: {e}") from None
            single = x.ndim == 3
            if single:
                x = x[None]
            if x.ndim != 4 or x.shape[1:] != (c, h, w):
                raise Error(1, f"{what}: expected N x {c} x {h} x {w} (or {c} x {h} x {w}), "
                               f"found {' x '.join(map(str, x.shape))}")
            return x, x.ctypes.data_as(_lib.PF), x.shape[0], single
        buffer, count, _ = _as_float_buffer(x)
        if count == 0 or count % (c * h * w):
            raise Error(1, f"{what}: {count} values is not a whole number of "
                           f"{c} x {h} x {w} images")
        return buffer, buffer.ptr, count // (c * h * w), False

    def layer_shape(self, name):
        """(C, H, W) of the named layer's output."""
        index, shape = ctypes.c_size_t(), (ctypes.c_size_t * 3)()
        _check(_L.cna_net_find_layer(self._ptr, _bytes(name), ctypes.byref(index)))
        _check(_L.cna_net_layer_output_shape(self._ptr, index.value, shape))
        return tuple(shape)

    def features(self, x, names):
        """The outputs of the named layers (e.g. ["fc7"], or ["avgpool"] of a
        ResNet) for a batch N x C x H x W (or one C x H x W image), computed
        in one pass that runs only what those layers need. Each is the layer's
        output in the graph as built, before anything the fast path fuses
        after it (a convolution's output before its batch norm). Returns
        {name: N x C x H x W NumPy array} (C x H x W for one image; without
        NumPy, the flat values as array.array('f')). names: one name or a
        list of distinct names (layer_names() lists them); an unknown name
        raises Error NOT_FOUND naming the nearest layers."""
        if isinstance(names, (str, bytes)):
            names = [names]
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in names]
        count = len(names)
        c_names = (ctypes.c_char_p * max(count, 1))(*[_bytes(n) for n in names])
        # Names checked first (by the library, with its messages) on an
        # empty batch, so that shapes are asked for known layers only.
        dummy = (ctypes.c_float * 1)()
        dummies = (_lib.PF * max(count, 1))(*[ctypes.cast(dummy, _lib.PF)] * count)
        _check(_L.cna_net_forward_features(self._ptr, ctypes.cast(dummy, _lib.PF), 0, c_names,
                                           count, dummies))
        shapes = [self.layer_shape(n) for n in names]
        keep, pointer, batch, single = self._images(x, "features")
        results, pointers = [], (_lib.PF * count)()
        for k, shape in enumerate(shapes):
            size = shape[0] * shape[1] * shape[2]
            if _np is not None:
                out = _np.empty((batch,) + shape, dtype=_np.float32)
                pointers[k] = out.ctypes.data_as(_lib.PF)
            else:
                out = array.array("f", bytes(4 * batch * size))
                pointers[k] = _float_pointer(out.buffer_info()[0])
            results.append(out)
        _check(_L.cna_net_forward_features(self._ptr, pointer, batch, c_names, count, pointers))
        del keep
        return {n: (r[0] if single else r) for n, r in zip(names, results)}

    def to_dot(self):
        """The graph in Graphviz's DOT language (a node per layer with its
        type, output shape and parameters; an edge per input link), e.g.
        for `dot -Tpng net.dot -o net.png`."""
        length = ctypes.c_size_t()
        _check(_L.cna_net_to_dot(self._ptr, None, 0, ctypes.byref(length)))
        text = ctypes.create_string_buffer(length.value + 1)
        _check(_L.cna_net_to_dot(self._ptr, text, length.value + 1, ctypes.byref(length)))
        return text.raw[:length.value].decode("utf-8", "replace")

    def __repr__(self):
        if not self._handle:
            return "<cnnarch.Net (closed)>"
        return (f"<cnnarch.Net {self.num_layers} layers, {self.num_params:,} params, "
                f"input {'x'.join(map(str, self.input_shape))}>")


def _classify(net, outputs, function, handle, image, topk, labels, preset):
    """Net.classify and Ensemble.classify: net gives the input shape and the
    preprocessing, function(handle, ...) has cna_net_classify's arguments."""
    c, h, w = net.input_shape
    size = c * h * w
    if isinstance(image, (str, os.PathLike, bytes, bytearray, memoryview)):
        if preset is None:
            preset = _L.cna_image_preset_for_net(net._ptr).decode()
        image = load_image(image, preset, net=net)
    buffer, count, shape = _as_float_buffer(image)
    if shape is not None and tuple(shape) not in ((c, h, w),) and (
            len(shape) != 4 or tuple(shape[1:]) != (c, h, w)):
        raise Error(1, f"classify: expected {c} x {h} x {w} (or N x {c} x {h} x {w}), "
                       f"found {' x '.join(map(str, shape))}")
    if count == 0 or count % size:
        raise Error(1, f"classify: {count} values is not a whole number of "
                       f"{c} x {h} x {w} images")
    single = len(shape) == 3 if shape is not None else count == size
    batch = count // size
    k = max(1, min(int(topk), outputs))
    if labels is not None and not isinstance(labels, Labels):
        labels = Labels(labels)
    indices = (ctypes.c_size_t * (batch * k))()
    probabilities = (ctypes.c_float * (batch * k))()
    names = (ctypes.c_char_p * (batch * k))()
    _check(function(handle, buffer.ptr, batch, labels._ptr if labels is not None else None, k,
                    indices, probabilities, names))
    results = [[Prediction(indices[i * k + j], probabilities[i * k + j],
                           names[i * k + j].decode("utf-8", "replace")
                           if names[i * k + j] is not None else None)
                for j in range(k)] for i in range(batch)]
    return results[0] if single else results


class Ensemble:
    """Several nets answering together: the average of their class
    probabilities (each member's softmax, or its outputs when it ends in a
    softmax), optionally weighted. Members must take the same input shape and
    give the same number of outputs; weights (one per member, >= 0, not all
    0) are normalized, None weighs all equally. The ensemble keeps its
    members alive, and a member cannot be closed before the ensemble."""

    def __init__(self, nets, weights=None):
        nets = list(nets)
        for i, net in enumerate(nets):
            if not isinstance(net, Net):
                raise Error(1, f"Ensemble: member {i} is a {type(net).__name__}, not a "
                               "cnnarch.Net")
        handles = (ctypes.c_void_p * max(len(nets), 1))(*[net._ptr for net in nets])
        c_weights = None
        if weights is not None:
            weights = [float(v) for v in weights]
            if len(weights) != len(nets):
                raise Error(1, f"Ensemble: {len(weights)} weights for {len(nets)} nets")
            c_weights = (ctypes.c_float * max(len(weights), 1))(*weights)
        self._handle = ctypes.c_void_p()
        _check(_L.cna_ensemble_create(handles, c_weights, len(nets), ctypes.byref(self._handle)))
        self._nets = nets
        for net in nets:
            net._ensembles = getattr(net, "_ensembles", 0) + 1

    @property
    def _ptr(self):
        if not self._handle:
            raise Error(1, "this ensemble was closed")
        return self._handle

    @property
    def nets(self):
        """The members, in order."""
        return list(self._nets)

    @property
    def output_size(self):
        count, size = ctypes.c_size_t(), ctypes.c_size_t()
        _check(_L.cna_ensemble_size(self._ptr, ctypes.byref(count), ctypes.byref(size)))
        return size.value

    def forward(self, x):
        """The averaged probabilities of a batch N x C x H x W (or one
        C x H x W image): N x output_size (or output_size values), a NumPy
        array (array.array('f') without NumPy)."""
        keep, pointer, batch, single = self._nets[0]._images(x, "Ensemble.forward")
        size = self.output_size
        if _np is not None:
            y = _np.empty((batch, size), dtype=_np.float32)
            out = y.ctypes.data_as(_lib.PF)
        else:
            y = array.array("f", bytes(4 * batch * size))
            out = _float_pointer(y.buffer_info()[0])
        _check(_L.cna_ensemble_forward(self._ptr, pointer, batch, out))
        del keep
        return y[0] if single and _np is not None else y

    __call__ = forward

    def classify(self, image, topk=5, labels=None, preset=None):
        """As Net.classify, by the averaged probabilities (images are
        preprocessed for the first member)."""
        return _classify(self._nets[0], self.output_size, _L.cna_ensemble_classify, self._ptr,
                         image, topk, labels, preset)

    def close(self):
        """Frees the ensemble now (the members stay open)."""
        if getattr(self, "_handle", None):
            _L.cna_ensemble_destroy(self._handle)
            self._handle = None
            for net in self._nets:
                net._ensembles -= 1

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        if not self._handle:
            return "<cnnarch.Ensemble (closed)>"
        return f"<cnnarch.Ensemble of {len(self._nets)} nets, {self.output_size} outputs>"


class _Floats:
    """Keeps a float32 buffer alive while the library reads it."""

    def __init__(self, owner, address):
        self.owner = owner
        self.ptr = _float_pointer(address)


def _as_float_buffer(values):
    """(buffer, element count, shape or None) for NumPy arrays, torch
    tensors, float32 buffers and sequences of numbers. What is not real
    numbers (strings, objects, complex values), and finite values too large
    for float32 (which a cast would silently make infinite), raise Error;
    NaN and infinities already in the data pass as they are."""
    if hasattr(values, "detach"):  # torch tensor
        values = values.detach().cpu().numpy()
    if _np is not None and not isinstance(values, (array.array, memoryview, bytes,
                                                   bytearray)):
        try:
            source = _np.asarray(values)
            if source.dtype.kind == "c":
                raise Error(1, "complex values; expected real numbers")
            if source.dtype.kind == "O":  # float() each: None is no number
                source = _np.array([float(v) for v in source.reshape(-1)],
                                   _np.float64).reshape(source.shape)
            if source.dtype.kind not in "biuf":
                raise TypeError(f"values of type {source.dtype} are not real numbers")
            with _np.errstate(over="ignore", invalid="ignore"):
                arr = _np.ascontiguousarray(source, dtype=_np.float32)
                if source.dtype.kind == "f" and source.dtype != _np.float32:
                    overflow = (_np.isinf(arr) & _np.isfinite(source)).reshape(-1)
                    if overflow.any():
                        raise Error(1, f"value {float(source.reshape(-1)[overflow][0])!r} "
                                       "does not fit in float32")
        except (TypeError, ValueError, OverflowError) as e:
            raise Error(1, f"cannot convert to float32: {e}") from None
        return _Floats(arr, arr.ctypes.data), arr.size, arr.shape
    if isinstance(values, array.array) and values.typecode == "f":
        address, count = values.buffer_info()
        return _Floats(values, address), count, None
    if isinstance(values, (memoryview, bytes, bytearray)):
        view = memoryview(values)
        if view.format not in ("f", "<f") and not (view.format == "B" and len(view) % 4 == 0):
            raise Error(1, f"expected float32 data, found a buffer of format '{view.format}'")
        copy = array.array("f", view.cast("B").tobytes())
        address, count = copy.buffer_info()
        return _Floats(copy, address), count, None
    try:
        numbers_ = [float(v) for v in _flatten(values)]
    except (TypeError, ValueError, OverflowError) as e:
        raise Error(1, f"cannot convert to float32: {e}") from None
    copy = array.array("f", numbers_)
    for wide, narrow in zip(numbers_, copy):
        if math.isinf(narrow) and math.isfinite(wide):
            raise Error(1, f"value {wide!r} does not fit in float32")
    address, count = copy.buffer_info()
    return _Floats(copy, address), count, None


def _flatten(values):
    for v in values:
        if isinstance(v, (list, tuple)):
            yield from _flatten(v)
        else:
            yield v


class Builder:
    """Defines a network layer by layer (the C builder API). Every method
    adds one layer and returns its name, so calls chain by name; input=None
    means the layer added last. build() makes a Net."""

    def __init__(self):
        self._handle = ctypes.c_void_p()
        _check(_L.cna_builder_create(ctypes.byref(self._handle)))

    def __del__(self):
        if getattr(self, "_handle", None):
            _L.cna_builder_destroy(self._handle)
            self._handle = None

    def _add(self, function, name, *args):
        what = getattr(function, "__name__", "builder")
        args = [_c_int(a, what) if isinstance(a, numbers.Integral) else a for a in args]
        _check(function(self._handle, _bytes(name), *args))
        count, layer = ctypes.c_size_t(), ctypes.c_char_p()
        _check(_L.cna_builder_layer_count(self._handle, ctypes.byref(count)))
        _check(_L.cna_builder_layer_name(self._handle, count.value - 1, ctypes.byref(layer)))
        return layer.value.decode()

    def shape(self, name=None):
        """(C, H, W) of a layer (default: the last one)."""
        shape = (ctypes.c_size_t * 3)()
        _check(_L.cna_builder_output_shape(self._handle, _bytes(name), shape))
        return tuple(shape)

    def input(self, channels, height, width, name="input"):
        return self._add(_L.cna_builder_input, name, channels, height, width)

    def conv2d(self, out_channels, kernel, stride=1, padding=0, dilation=1, groups=1,
               bias=True, input=None, name=None):
        kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
        sh, sw = (stride, stride) if isinstance(stride, int) else stride
        ph, pw = (padding, padding) if isinstance(padding, int) else padding
        dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
        return self._add(_L.cna_builder_conv2d_ex, name, _bytes(input), out_channels, kh, kw,
                         sh, sw, ph, pw, dh, dw, groups, int(bool(bias)))

    def max_pool2d(self, kernel, stride=None, padding=0, ceil_mode=False, input=None,
                   name=None):
        return self._add(_L.cna_builder_max_pool2d, name, _bytes(input), kernel,
                         kernel if stride is None else stride, padding, int(bool(ceil_mode)))

    def avg_pool2d(self, kernel, stride=None, padding=0, ceil_mode=False,
                   count_include_pad=True, input=None, name=None):
        return self._add(_L.cna_builder_avg_pool2d, name, _bytes(input), kernel,
                         kernel if stride is None else stride, padding, int(bool(ceil_mode)),
                         int(bool(count_include_pad)))

    def adaptive_avg_pool2d(self, output_size, input=None, name=None):
        oh, ow = (output_size, output_size) if isinstance(output_size, int) else output_size
        return self._add(_L.cna_builder_adaptive_avg_pool2d, name, _bytes(input), oh, ow)

    def global_avg_pool(self, input=None, name=None):
        return self._add(_L.cna_builder_global_avg_pool, name, _bytes(input))

    def lrn(self, size, alpha=1e-4, beta=0.75, k=1.0, input=None, name=None):
        return self._add(_L.cna_builder_lrn, name, _bytes(input), size, alpha, beta, k)

    def batch_norm(self, eps=1e-5, input=None, name=None):
        return self._add(_L.cna_builder_batch_norm, name, _bytes(input), eps)

    def relu(self, input=None, name=None):
        return self._add(_L.cna_builder_relu, name, _bytes(input))

    def tanh(self, input=None, name=None):
        return self._add(_L.cna_builder_tanh, name, _bytes(input))

    def dropout(self, p=0.5, input=None, name=None):
        return self._add(_L.cna_builder_dropout, name, _bytes(input), p)

    def fully_connected(self, out_features, bias=True, input=None, name=None):
        return self._add(_L.cna_builder_fully_connected, name, _bytes(input), out_features,
                         int(bool(bias)))

    def flatten(self, input=None, name=None):
        return self._add(_L.cna_builder_flatten, name, _bytes(input))

    def softmax(self, input=None, name=None):
        return self._add(_L.cna_builder_softmax, name, _bytes(input))

    def concat(self, inputs, name=None):
        names = (ctypes.c_char_p * len(inputs))(*[_bytes(i) for i in inputs])
        return self._add(_L.cna_builder_concat, name, names, len(inputs))

    def add(self, a, b, name=None):
        return self._add(_L.cna_builder_add, name, _bytes(a), _bytes(b))

    def channel_pad(self, before, after, input=None, name=None):
        return self._add(_L.cna_builder_channel_pad, name, _bytes(input), before, after)

    def set_output(self, name):
        _check(_L.cna_builder_set_output(self._handle, _bytes(name)))

    def build(self, seed=None, num_threads=None):
        """A Net from the layers so far (the builder stays usable)."""
        handle = ctypes.c_void_p()
        with _Options(seed=seed, num_threads=num_threads) as opts:
            _check(_L.cna_builder_build(self._handle, opts, ctypes.byref(handle)))
        return Net(handle)


# ------------------------------------------------------------------ images

Prediction = collections.namedtuple("Prediction", "index probability label")
Prediction.__doc__ = "One class of a classification: its index, probability and label."


def presets():
    """The names of the preprocessing presets ("imagenet", "cifar", ...)."""
    names, i = [], 0
    while True:
        name = _L.cna_image_preset_name(i)
        if name is None:
            return names
        names.append(name.decode())
        i += 1


def _three(values, what):
    if isinstance(values, (int, float)):
        values = [values]
    values = [float(v) for v in values]
    if len(values) == 1:
        values *= 3
    if len(values) != 3:
        raise Error(1, f"{what}: expected 1 or 3 values, found {len(values)}")
    return (ctypes.c_float * 3)(*values)


class _ImageOptions:
    """A cna_image_options handle for the duration of a with-block."""

    def __init__(self, preset, channels=None, resize=None, crop=None, mean=None, std=None,
                 max_pixels=None, max_width=None, net=None):
        self.handle = ctypes.c_void_p()
        _check(_L.cna_image_options_create(ctypes.byref(self.handle)))
        try:
            h = self.handle
            if preset is not None:
                _check(_L.cna_image_options_set_preset(h, _bytes(preset)))
            if channels is not None:
                _check(_L.cna_image_options_set_channels(h, int(channels)))
            if resize is not None:
                _check(_L.cna_image_options_set_resize(h, int(resize)))
            if crop is not None:
                height, width = (crop, crop) if isinstance(crop, int) else crop
                _check(_L.cna_image_options_set_crop(h, int(height), int(width)))
            if mean is not None or std is not None:
                if mean is None or std is None:
                    raise Error(1, "load_image: give mean and std together")
                _check(_L.cna_image_options_set_normalize(h, _three(mean, "mean"),
                                                          _three(std, "std")))
            if max_pixels is not None or max_width is not None:
                _check(_L.cna_image_options_set_limits(
                    h, int(max_pixels if max_pixels is not None else 2 ** 26),
                    int(max_width if max_width is not None else 65536)))
            if net is not None:
                _check(_L.cna_image_options_fit_net(h, net._ptr))
        except Exception:
            _L.cna_image_options_destroy(self.handle)
            raise

    def __enter__(self):
        return self.handle

    def __exit__(self, *exc):
        _L.cna_image_options_destroy(self.handle)


def load_image(source, preset="imagenet", *, channels=None, resize=None, crop=None, mean=None,
               std=None, max_pixels=None, max_width=None, net=None):
    """A PNG file (a path, or its bytes) decoded and preprocessed exactly as
    torchvision 0.14 does on PIL images: C x H x W float32, a NumPy array
    (without NumPy, the flat values as array.array('f')).

    preset: "imagenet" (resize 256, crop 224, ImageNet mean/std), "cifar",
    "mnist", "fashion_mnist", or None / "none" for plain [0, 1] values; the
    keywords then override single settings: channels (1 or 3), resize
    (shorter side; 0: none), crop (int or (height, width); 0: none), mean and
    std (1 or 3 values), max_pixels and max_width (limits against oversized
    files; defaults 2**26 and 65536). net: adapt the crop (and the resize, in
    proportion) to that Net's input. Raises Error: IO, CORRUPT (damaged PNG),
    UNSUPPORTED (not a PNG), TOO_LARGE (over the limits)."""
    pixels = _lib.PF()
    shape = (ctypes.c_size_t * 3)()
    with _ImageOptions(preset, channels, resize, crop, mean, std, max_pixels, max_width,
                       net) as opts:
        if isinstance(source, (bytes, bytearray, memoryview)):
            data = bytes(source)
            _check(_L.cna_image_load_from_memory(data, len(data), opts, ctypes.byref(pixels),
                                                 shape))
        else:
            _check(_L.cna_image_load(os.fsencode(source), opts, ctypes.byref(pixels), shape))
    try:
        count = shape[0] * shape[1] * shape[2]
        raw = ctypes.string_at(pixels, 4 * count)
    finally:
        _L.cna_free(pixels)
    if _np is not None:
        return _np.frombuffer(raw, dtype=_np.float32).reshape(tuple(shape)).copy()
    return array.array("f", raw)


class Labels:
    """Class names, one per net output: from a labels file (one label per
    line; data/labels/ has imagenet1k.txt, cifar10.txt, mnist.txt and
    fashion_mnist.txt) or from a list of strings. A sequence of str."""

    def __init__(self, source):
        self._handle = ctypes.c_void_p()
        if isinstance(source, (str, bytes, os.PathLike)):
            _check(_L.cna_labels_load(os.fsencode(source), ctypes.byref(self._handle)))
        else:
            names = [str(name) for name in source]
            for i, name in enumerate(names):
                if not name.strip() or any(ch in name for ch in "\r\n\0"):
                    raise Error(1, f"Labels: label {i} ({name!r}) is empty or has a line "
                                   "break or NUL")
            text = "".join(name + "\n" for name in names).encode("utf-8")
            _check(_L.cna_labels_load_from_memory(text, len(text), ctypes.byref(self._handle)))

    @property
    def _ptr(self):
        if not self._handle:
            raise Error(1, "these labels were closed")
        return self._handle

    def __len__(self):
        count = ctypes.c_size_t()
        _check(_L.cna_labels_count(self._ptr, ctypes.byref(count)))
        return count.value

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(f"label {index} of {n}")
        label = ctypes.c_char_p()
        _check(_L.cna_labels_get(self._ptr, index, ctypes.byref(label)))
        return label.value.decode("utf-8", "replace")

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __repr__(self):
        return f"<cnnarch.Labels {len(self)} labels>" if self._handle else "<cnnarch.Labels (closed)>"

    def close(self):
        if getattr(self, "_handle", None):
            _L.cna_labels_destroy(self._handle)
            self._handle = None

    def __del__(self):
        self.close()
