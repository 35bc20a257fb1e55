"""Finding libcnnarch and declaring its C functions for ctypes.

The library is looked up in this order:
  1. the path in the CNNARCH_LIBRARY environment variable;
  2. the in-tree build next to these bindings (build/lib/libcnnarch.so.0);
  3. the system loader (libcnnarch.so.0, as installed by `make install`).
Every function's argtypes and restype are declared; handles are opaque
pointers (c_void_p), never mirrored structs.
"""
import ctypes
import ctypes.util
import os

# The oldest library this binding works with, and its major version: a
# different major version has a different ABI.
REQUIRED_VERSION = (0, 2, 0)

_HERE = os.path.dirname(os.path.abspath(__file__))
_IN_TREE = os.path.normpath(os.path.join(_HERE, "..", "..", "..", "build", "lib",
                                         "libcnnarch.so.0"))

P = ctypes.c_void_p
PP = ctypes.POINTER(ctypes.c_void_p)
S = ctypes.c_size_t
PS = ctypes.POINTER(ctypes.c_size_t)
I = ctypes.c_int
U64 = ctypes.c_uint64
U32 = ctypes.c_uint32
PU64 = ctypes.POINTER(ctypes.c_uint64)
F = ctypes.c_float
PF = ctypes.POINTER(ctypes.c_float)
PPF = ctypes.POINTER(PF)
C = ctypes.c_char_p
PC = ctypes.POINTER(ctypes.c_char_p)
STATUS = ctypes.c_int

# name: (restype, argtypes)
_FUNCTIONS = {
    "cna_version_number": (ctypes.c_uint, []),
    "cna_version_string": (C, []),
    "cna_format_version": (ctypes.c_uint, []),
    "cna_status_string": (C, [STATUS]),
    "cna_last_error_message": (C, []),
    "cna_layer_type_name": (C, [I]),
    "cna_free": (None, [P]),
    # options
    "cna_options_create": (STATUS, [PP]),
    "cna_options_destroy": (None, [P]),
    "cna_options_set_num_threads": (STATUS, [P, I]),
    "cna_options_set_num_classes": (STATUS, [P, I]),
    "cna_options_set_input_size": (STATUS, [P, I, I]),
    "cna_options_set_seed": (STATUS, [P, U64]),
    "cna_options_set_aux_logits": (STATUS, [P, I]),
    "cna_options_set_verify_weights": (STATUS, [P, I]),
    # builder
    "cna_builder_create": (STATUS, [PP]),
    "cna_builder_destroy": (None, [P]),
    "cna_builder_input": (STATUS, [P, C, I, I, I]),
    "cna_builder_conv2d": (STATUS, [P, C, C, I, I, I, I, I]),
    "cna_builder_conv2d_ex": (STATUS, [P, C, C, I, I, I, I, I, I, I, I, I, I, I]),
    "cna_builder_max_pool2d": (STATUS, [P, C, C, I, I, I, I]),
    "cna_builder_avg_pool2d": (STATUS, [P, C, C, I, I, I, I, I]),
    "cna_builder_adaptive_avg_pool2d": (STATUS, [P, C, C, I, I]),
    "cna_builder_global_avg_pool": (STATUS, [P, C, C]),
    "cna_builder_lrn": (STATUS, [P, C, C, I, F, F, F]),
    "cna_builder_batch_norm": (STATUS, [P, C, C, F]),
    "cna_builder_relu": (STATUS, [P, C, C]),
    "cna_builder_tanh": (STATUS, [P, C, C]),
    "cna_builder_dropout": (STATUS, [P, C, C, F]),
    "cna_builder_fully_connected": (STATUS, [P, C, C, I, I]),
    "cna_builder_flatten": (STATUS, [P, C, C]),
    "cna_builder_softmax": (STATUS, [P, C, C]),
    "cna_builder_concat": (STATUS, [P, C, PC, S]),
    "cna_builder_add": (STATUS, [P, C, C, C]),
    "cna_builder_channel_pad": (STATUS, [P, C, C, I, I]),
    "cna_builder_set_output": (STATUS, [P, C]),
    "cna_builder_layer_count": (STATUS, [P, PS]),
    "cna_builder_layer_name": (STATUS, [P, S, PC]),
    "cna_builder_output_shape": (STATUS, [P, C, PS]),
    "cna_builder_build": (STATUS, [P, P, PP]),
    # net
    "cna_arch_count": (S, []),
    "cna_arch_name": (C, [S]),
    "cna_arch_description": (C, [C]),
    "cna_net_create_arch": (STATUS, [C, P, PP]),
    "cna_net_destroy": (None, [P]),
    "cna_net_forward": (STATUS, [P, PF, S, PF]),
    "cna_net_input_shape": (STATUS, [P, PS]),
    "cna_net_output_size": (STATUS, [P, PS]),
    "cna_net_num_threads": (STATUS, [P, ctypes.POINTER(I)]),
    "cna_net_workspace_size": (STATUS, [P, ctypes.c_size_t, PS]),
    "cna_net_layer_count": (STATUS, [P, PS]),
    "cna_net_layer_name": (STATUS, [P, S, PC]),
    "cna_net_layer_type": (STATUS, [P, S, ctypes.POINTER(I)]),
    "cna_net_layer_output_shape": (STATUS, [P, S, PS]),
    "cna_net_layer_input_count": (STATUS, [P, S, PS]),
    "cna_net_layer_input": (STATUS, [P, S, S, PS]),
    "cna_net_find_layer": (STATUS, [P, C, PS]),
    "cna_net_layer_stat": (STATUS, [P, S, I, PU64]),
    "cna_net_total_stat": (STATUS, [P, I, PU64]),
    "cna_net_tensor_count": (STATUS, [P, PS]),
    "cna_net_tensor_name": (STATUS, [P, S, PC]),
    "cna_net_tensor_shape": (STATUS, [P, S, PS, PS]),
    "cna_net_find_tensor": (STATUS, [P, C, PS]),
    "cna_net_get_tensor": (STATUS, [P, S, PF, S]),
    "cna_net_set_tensor": (STATUS, [P, S, PF, S]),
    # model files
    "cna_net_save": (STATUS, [P, C, I]),
    "cna_net_save_to_memory": (STATUS, [P, I, PP, PS]),
    "cna_net_load": (STATUS, [C, P, PP]),
    "cna_net_load_from_memory": (STATUS, [P, S, P, PP]),
    # images
    "cna_image_options_create": (STATUS, [PP]),
    "cna_image_options_destroy": (None, [P]),
    "cna_image_preset_name": (C, [S]),
    "cna_image_options_set_preset": (STATUS, [P, C]),
    "cna_image_options_set_channels": (STATUS, [P, I]),
    "cna_image_options_set_resize": (STATUS, [P, I]),
    "cna_image_options_set_crop": (STATUS, [P, I, I]),
    "cna_image_options_set_normalize": (STATUS, [P, PF, PF]),
    "cna_image_options_set_limits": (STATUS, [P, U64, U32]),
    "cna_image_options_fit_net": (STATUS, [P, P]),
    "cna_image_preset_for_net": (C, [P]),
    "cna_image_load": (STATUS, [C, P, PPF, PS]),
    "cna_image_load_from_memory": (STATUS, [P, S, P, PPF, PS]),
    # classification
    "cna_labels_load": (STATUS, [C, PP]),
    "cna_labels_load_from_memory": (STATUS, [P, S, PP]),
    "cna_labels_destroy": (None, [P]),
    "cna_labels_count": (STATUS, [P, PS]),
    "cna_labels_get": (STATUS, [P, S, PC]),
    "cna_net_classify": (STATUS, [P, PF, S, P, S, PS, PF, PC]),
    # ensembles
    "cna_ensemble_create": (STATUS, [PP, PF, S, PP]),
    "cna_ensemble_destroy": (None, [P]),
    "cna_ensemble_forward": (STATUS, [P, PF, S, PF]),
    "cna_ensemble_classify": (STATUS, [P, PF, S, P, S, PS, PF, PC]),
    "cna_ensemble_size": (STATUS, [P, PS, PS]),
    # intermediate features
    "cna_net_forward_features": (STATUS, [P, PF, S, PC, S, PPF]),
    # graph pictures
    "cna_net_to_dot": (STATUS, [P, ctypes.c_char_p, S, PS]),
}


def _candidates():
    env = os.environ.get("CNNARCH_LIBRARY")
    if env:
        return [env]  # explicit: no silent fallback to another copy
    found = [_IN_TREE] if os.path.exists(_IN_TREE) else []
    found.append("libcnnarch.so.0")
    system = ctypes.util.find_library("cnnarch")
    if system:
        found.append(system)
    return found


def load():
    """Returns the loaded library with every function declared."""
    errors = []
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            errors.append(f"{path}: {e}")
            continue
        for name, (restype, argtypes) in _FUNCTIONS.items():
            try:
                function = getattr(lib, name)
            except AttributeError:
                raise ImportError(f"{path} has no {name}: it is older than these bindings "
                                  f"need ({'.'.join(map(str, REQUIRED_VERSION))})")
            function.restype = restype
            function.argtypes = argtypes
        version = lib.cna_version_number()
        major, minor, patch = version // 10000, version // 100 % 100, version % 100
        if major != REQUIRED_VERSION[0] or (major, minor, patch) < REQUIRED_VERSION:
            raise ImportError(
                f"{path} is libcnnarch {major}.{minor}.{patch}; these bindings need "
                f"{REQUIRED_VERSION[0]}.x at or above {'.'.join(map(str, REQUIRED_VERSION))}")
        lib.path = path
        return lib
    raise ImportError("cannot find libcnnarch: build it with `make`, install it with "
                      "`make install`, or set CNNARCH_LIBRARY to its path (tried: "
                      + "; ".join(errors) + ")")
