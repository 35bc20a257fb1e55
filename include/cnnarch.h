/*
 * cnnarch.h - the public C interface of libcnnarch.
 *
 * libcnnarch builds, inspects and runs the classic convolutional network
 * architectures (LeNet-5 to DenseNet) on the CPU. This is its only public
 * header. Every type is opaque; every fallible call returns a cna_status and
 * leaves a message for cna_last_error_message().
 *
 * Conventions used throughout:
 *  - Shapes are (channels, height, width) per image; tensors are NCHW float32.
 *  - "Borrowed" pointers are only read during the call; the library keeps no
 *    reference. "Owned by X" pointers stay valid until X is destroyed.
 *  - Destroy functions accept NULL.
 *  - The library never aborts, exits or prints.
 *  - Enum values are pinned: they never change and are only appended to.
 */
#ifndef CNNARCH_H
#define CNNARCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque handles (see their sections below). */
typedef struct cna_options cna_options;
typedef struct cna_builder cna_builder;
typedef struct cna_net cna_net;
typedef struct cna_ensemble cna_ensemble;

/* ---------------------------------------------------------------- version */

#define CNA_VERSION_MAJOR 0
#define CNA_VERSION_MINOR 2
#define CNA_VERSION_PATCH 0
#define CNA_VERSION_NUMBER \
  (CNA_VERSION_MAJOR * 10000 + CNA_VERSION_MINOR * 100 + CNA_VERSION_PATCH)

#define CNA__STRINGIFY_(x) #x
#define CNA__STRINGIFY(x) CNA__STRINGIFY_(x)
#define CNA_VERSION_STRING                                                   \
  CNA__STRINGIFY(CNA_VERSION_MAJOR) "." CNA__STRINGIFY(CNA_VERSION_MINOR) "." \
  CNA__STRINGIFY(CNA_VERSION_PATCH)

/* The one export macro. The library is built with -fvisibility=hidden and
 * CNA_BUILDING_LIBRARY defined; users see plain declarations. */
#if defined(CNA_BUILDING_LIBRARY) && defined(__GNUC__) && __GNUC__ >= 4
#define CNA_API __attribute__((visibility("default")))
#else
#define CNA_API
#endif

/* Version of the library actually linked (CNA_VERSION_NUMBER at its build).
 * Compare with CNA_VERSION_NUMBER to detect a header/library mismatch.
 * Thread safety: any thread, any time. */
CNA_API unsigned cna_version_number(void);

/* The same as a static string, e.g. "0.2.0". Never NULL. Any thread. */
CNA_API const char *cna_version_string(void);

/* ----------------------------------------------------------------- status */

typedef enum cna_status {
  CNA_OK = 0,
  /* A NULL pointer, an index out of range, or a value outside its range. */
  CNA_ERROR_INVALID_ARGUMENT = 1,
  /* An allocation failed. Nothing was changed. */
  CNA_ERROR_OUT_OF_MEMORY = 2,
  /* No architecture, layer or tensor has the given name. */
  CNA_ERROR_NOT_FOUND = 3,
  /* A layer cannot be applied to its input's shape (kernel larger than the
   * padded input, channels not divisible by groups, mismatched add, ...). */
  CNA_ERROR_INVALID_SHAPE = 4,
  /* The graph is malformed: duplicate or missing layer names, no input
   * layer, an input layer added twice, ... */
  CNA_ERROR_INVALID_GRAPH = 5,
  /* A size computation would overflow or exceed the library's limits. */
  CNA_ERROR_TOO_LARGE = 6,
  /* A broken internal invariant: a bug in libcnnarch, please report it. */
  CNA_ERROR_INTERNAL = 7,
  /* A file could not be opened, read, written or renamed (the message has
   * the system's reason). */
  CNA_ERROR_IO = 8,
  /* A model file or buffer is damaged or not a model: bad magic, checksum,
   * size, offset, count or structure. The message names the section, the
   * offset and what was expected. Also a damaged PNG or labels file. */
  CNA_ERROR_CORRUPT = 9,
  /* Well-formed input this library cannot use: a newer format version, an
   * unknown required section, layer type, attribute or dtype; an image in
   * another format than PNG. */
  CNA_ERROR_UNSUPPORTED = 10
} cna_status;

/* Short static description of a status ("invalid argument"). Unknown values
 * give "unknown status". Never NULL. Any thread. */
CNA_API const char *cna_status_string(cna_status status);

/* Details of the most recent failed call made by the calling thread: what
 * failed and where (layer name, expected versus found). Successful calls do
 * not clear it. The string is owned by the library, thread-local, and valid
 * until the calling thread's next failing call. Never NULL ("" if nothing
 * failed yet). */
CNA_API const char *cna_last_error_message(void);

/* The kernel family chosen for this CPU, detected once per process:
 * "avx512" (x86-64 with AVX-512F: its GEMM micro-kernel, AVX2 elsewhere),
 * "avx2" (x86-64 with AVX2 and FMA, and an OS that saves their registers),
 * "neon" (AArch64) or "scalar" (the portable reference, always present). The
 * environment variable CNNARCH_ISA=scalar|avx2|avx512|neon caps the path, for
 * tests and bug reports; a value the CPU cannot run falls back to the best it
 * can. Static string. Any thread. */
CNA_API const char *cna_isa(void);

/* ---------------------------------------------------------------- options */

/* Settings for creating a net. Opaque; copied by the functions that take it,
 * so it may be destroyed right after. One options object must not be
 * modified by two threads at once; reading it from several threads is fine. */

/* Limits accepted by the setters below. */
#define CNA_MAX_THREADS 256
#define CNA_MAX_CLASSES 1000000
#define CNA_MAX_INPUT_SIZE 16384

/* Creates an options object holding the defaults: 1 thread, the
 * architecture's own number of classes and input size, seed 0, no auxiliary
 * classifiers, weights' checksums verified on load. *out is owned by the
 * caller (cna_options_destroy).
 * Errors: INVALID_ARGUMENT (out NULL), OUT_OF_MEMORY. */
CNA_API cna_status cna_options_create(cna_options **out);

/* Frees an options object. NULL is fine. */
CNA_API void cna_options_destroy(cna_options *opts);

/* Maximum number of threads one forward call may use, 1..CNA_MAX_THREADS.
 * The scalar reference path of this release runs each forward call on the
 * calling thread; several calls may run at once on one net.
 * Errors: INVALID_ARGUMENT (NULL or out of range; opts unchanged). */
CNA_API cna_status cna_options_set_num_threads(cna_options *opts, int num_threads);

/* Number of classes of the final classifier, 1..CNA_MAX_CLASSES, or 0 for
 * the architecture's default (1000 for ImageNet nets, 10 for CIFAR/MNIST
 * nets). Ignored by architectures without a classifier (inception_naive).
 * Errors: INVALID_ARGUMENT. */
CNA_API cna_status cna_options_set_num_classes(cna_options *opts, int num_classes);

/* Input height and width, 1..CNA_MAX_INPUT_SIZE each, or both 0 for the
 * architecture's default (224x224, 227x227 for alexnet_2012, 32x32 for the
 * CIFAR nets and LeNet-5). A size too small for the architecture makes
 * cna_net_create_arch fail with INVALID_SHAPE naming the layer.
 * Errors: INVALID_ARGUMENT. */
CNA_API cna_status cna_options_set_input_size(cna_options *opts, int height, int width);

/* Seed of the deterministic weight initialization (default 0). The same
 * seed gives bit-identical weights on every platform.
 * Errors: INVALID_ARGUMENT (opts NULL). */
CNA_API cna_status cna_options_set_seed(cna_options *opts, uint64_t seed);

/* Non-zero adds the auxiliary classifiers of architectures that have them
 * (googlenet's aux1 and aux2, as torchvision's aux_logits=True). They are
 * extra sinks of the graph for training: listed in the summary and counted
 * in its totals, never computed by cna_net_forward.
 * Errors: INVALID_ARGUMENT (opts NULL). */
CNA_API cna_status cna_options_set_aux_logits(cna_options *opts, int enable);

/* Non-zero (the default) makes cna_net_load check the CRC-32 of the weights
 * of an uncompressed model, which reads all of them (about 45 ms for
 * ResNet-50's 100 MB on a 2.3 GB/s CRC). Zero skips that one checksum for
 * files you trust: the weights are then mapped without being read, and
 * ResNet-50 loads in under a millisecond. Everything else (header, table,
 * graph, every tensor's name, shape and bounds, compressed sections) is
 * validated either way, so a damaged file can give wrong numbers but never
 * a crash. Errors: INVALID_ARGUMENT (opts NULL). */
CNA_API cna_status cna_options_set_verify_weights(cna_options *opts, int verify);

/* ----------------------------------------------------------------- layers */

/* Layer types. Pinned values. */
typedef enum cna_layer_type {
  CNA_LAYER_INPUT = 0,
  CNA_LAYER_CONV2D = 1,
  CNA_LAYER_MAX_POOL2D = 2,
  CNA_LAYER_AVG_POOL2D = 3,
  CNA_LAYER_GLOBAL_AVG_POOL = 4,
  CNA_LAYER_ADAPTIVE_AVG_POOL2D = 5,
  CNA_LAYER_LRN = 6,
  CNA_LAYER_BATCH_NORM = 7,
  CNA_LAYER_RELU = 8,
  CNA_LAYER_TANH = 9,
  CNA_LAYER_DROPOUT = 10,
  CNA_LAYER_FULLY_CONNECTED = 11,
  CNA_LAYER_FLATTEN = 12,
  CNA_LAYER_SOFTMAX = 13,
  CNA_LAYER_CONCAT = 14,
  CNA_LAYER_ADD = 15,
  CNA_LAYER_CHANNEL_PAD = 16
} cna_layer_type;

/* Lower-case name of a layer type ("conv2d", "max_pool2d", ...), static.
 * Unknown values give "unknown". Never NULL. Any thread. */
CNA_API const char *cna_layer_type_name(cna_layer_type type);

/* --------------------------------------------------------------- builder */

/* A network under construction: a directed acyclic graph of named layers.
 * Each layer is added with its attributes and the names of its inputs; its
 * output shape is inferred at once, and an impossible layer is refused with
 * a status and a message naming it, leaving the builder as it was.
 *
 * Common arguments of the cna_builder_* layer functions:
 *  - name:  unique layer name of 1 to 4096 bytes (borrowed; copied). NULL
 *           picks "<type>_<n>".
 *  - input: name of the producing layer (borrowed), or NULL for the layer
 *           added last.
 * Common errors: INVALID_ARGUMENT (builder NULL, attribute out of range),
 * NOT_FOUND (unknown input), INVALID_GRAPH (duplicate name, no input layer
 * yet), INVALID_SHAPE (layer impossible on its input), TOO_LARGE,
 * OUT_OF_MEMORY.
 * Thread safety: a builder is used by one thread at a time. */

/* Creates an empty builder, owned by the caller (cna_builder_destroy).
 * Errors: INVALID_ARGUMENT (out NULL), OUT_OF_MEMORY. */
CNA_API cna_status cna_builder_create(cna_builder **out);

/* Frees a builder. Nets built from it are independent of it. NULL is fine. */
CNA_API void cna_builder_destroy(cna_builder *builder);

/* The network input: images of channels x height x width. Exactly one input
 * layer per net, added first. */
CNA_API cna_status cna_builder_input(cna_builder *builder, const char *name,
                                     int channels, int height, int width);

/* 2-D convolution with square kernel, stride and zero padding, dilation 1,
 * no groups. out = floor((in + 2*padding - kernel) / stride) + 1.
 * bias: non-zero adds a learned bias per output channel. */
CNA_API cna_status cna_builder_conv2d(cna_builder *builder, const char *name,
                                      const char *input, int out_channels,
                                      int kernel, int stride, int padding,
                                      int bias);

/* 2-D convolution, every attribute. Kernel, stride and dilation at least 1,
 * padding at least 0, groups at least 1 and dividing both the input and the
 * output channels. out = floor((in + 2*pad - dilation*(kernel-1) - 1)
 * / stride) + 1, refused if the dilated kernel is larger than the padded
 * input. Weights are (out_channels, in_channels/groups, kernel_h, kernel_w). */
CNA_API cna_status cna_builder_conv2d_ex(cna_builder *builder, const char *name,
                                         const char *input, int out_channels,
                                         int kernel_h, int kernel_w,
                                         int stride_h, int stride_w,
                                         int pad_h, int pad_w,
                                         int dilation_h, int dilation_w,
                                         int groups, int bias);

/* Max pooling over kernel x kernel windows; padding counts as -infinity and
 * is at most kernel/2. ceil_mode non-zero rounds the output size up
 * (PyTorch's rule: a window starting in the right padding is dropped). */
CNA_API cna_status cna_builder_max_pool2d(cna_builder *builder, const char *name,
                                          const char *input, int kernel,
                                          int stride, int padding,
                                          int ceil_mode);

/* Average pooling, as max pooling; count_include_pad non-zero divides by the
 * window size including zero padding (PyTorch's default), zero by the
 * number of input pixels in the window. */
CNA_API cna_status cna_builder_avg_pool2d(cna_builder *builder, const char *name,
                                          const char *input, int kernel,
                                          int stride, int padding,
                                          int ceil_mode, int count_include_pad);

/* Adaptive average pooling to out_height x out_width (PyTorch's bins: row i
 * averages rows floor(i*H/out) to ceil((i+1)*H/out) - 1). */
CNA_API cna_status cna_builder_adaptive_avg_pool2d(cna_builder *builder,
                                                   const char *name,
                                                   const char *input,
                                                   int out_height, int out_width);

/* Average over each channel's whole plane: C x H x W -> C x 1 x 1. */
CNA_API cna_status cna_builder_global_avg_pool(cna_builder *builder,
                                               const char *name,
                                               const char *input);

/* Local response normalization across channels (AlexNet):
 * b_c = a_c / (k + alpha/size * sum of a_j^2 over the size channels around c)
 * ^ beta. size odd or even as in PyTorch (window c - size/2 .. c + (size-1)/2),
 * size >= 1; alpha and beta finite and >= 0; k finite and > 0. */
CNA_API cna_status cna_builder_lrn(cna_builder *builder, const char *name,
                                   const char *input, int size, float alpha,
                                   float beta, float k);

/* Batch normalization in inference form, per channel:
 * y = (x - running_mean) / sqrt(running_var + eps) * weight + bias.
 * eps > 0 and finite. Learned tensors: weight, bias (counted as parameters);
 * buffers: running_mean, running_var (not counted, as in PyTorch). */
CNA_API cna_status cna_builder_batch_norm(cna_builder *builder, const char *name,
                                          const char *input, float eps);

/* max(x, 0) element-wise. */
CNA_API cna_status cna_builder_relu(cna_builder *builder, const char *name,
                                    const char *input);

/* tanh(x) element-wise (LeNet-5). */
CNA_API cna_status cna_builder_tanh(cna_builder *builder, const char *name,
                                    const char *input);

/* Dropout with drop probability p in [0, 1). The identity at inference. */
CNA_API cna_status cna_builder_dropout(cna_builder *builder, const char *name,
                                       const char *input, float p);

/* Fully connected layer on the input flattened to C*H*W features:
 * out = W x + b, W of shape (out_features, C*H*W); output out_features x 1 x 1. */
CNA_API cna_status cna_builder_fully_connected(cna_builder *builder,
                                               const char *name,
                                               const char *input,
                                               int out_features, int bias);

/* C x H x W -> (C*H*W) x 1 x 1, same memory order. */
CNA_API cna_status cna_builder_flatten(cna_builder *builder, const char *name,
                                       const char *input);

/* Softmax over the channels at each spatial position (over the whole vector
 * for a flattened input). */
CNA_API cna_status cna_builder_softmax(cna_builder *builder, const char *name,
                                       const char *input);

/* Concatenation along channels of num_inputs >= 1 layers with equal height
 * and width, in the given order. inputs: array of names (borrowed). */
CNA_API cna_status cna_builder_concat(cna_builder *builder, const char *name,
                                      const char *const *inputs,
                                      size_t num_inputs);

/* Element-wise sum of two layers of identical shape (residual shortcut).
 * a NULL is the layer added last; b must be named. */
CNA_API cna_status cna_builder_add(cna_builder *builder, const char *name,
                                   const char *a, const char *b);

/* Zero channels around the input: C x H x W -> (before + C + after) x H x W
 * (the ResNet paper's option-A identity shortcut, with a stride-2 1x1 max
 * pool in front of it for the subsampling). before, after >= 0. */
CNA_API cna_status cna_builder_channel_pad(cna_builder *builder, const char *name,
                                           const char *input, int before,
                                           int after);

/* Makes the named layer the net's output (default: the layer added last).
 * Layers that the output does not depend on stay in the graph and the
 * summary but are not computed by cna_net_forward.
 * Errors: INVALID_ARGUMENT (NULL), NOT_FOUND. */
CNA_API cna_status cna_builder_set_output(cna_builder *builder, const char *name);

/* Number of layers added so far. Errors: INVALID_ARGUMENT (NULL). */
CNA_API cna_status cna_builder_layer_count(const cna_builder *builder, size_t *count);

/* Name of layer number index added so far (0 is the input), e.g. to learn
 * a generated name. *name is owned by the builder and valid until it is
 * destroyed. Errors: INVALID_ARGUMENT (NULL, index out of range). */
CNA_API cna_status cna_builder_layer_name(const cna_builder *builder, size_t index,
                                          const char **name);

/* Output shape (C, H, W) of a layer added so far, by name (NULL: the layer
 * added last). Errors: INVALID_ARGUMENT, NOT_FOUND (no such layer, or no
 * layer at all). */
CNA_API cna_status cna_builder_output_shape(const cna_builder *builder,
                                            const char *name, size_t shape[3]);

/* Creates a net from the builder's graph: allocates its parameters and
 * initializes them deterministically from the options' seed (He uniform for
 * convolutions and fully connected layers, zero biases, batch norm weight 1,
 * bias 0, mean 0, variance 1). opts may be NULL for the defaults; only the
 * seed and thread count are used here. The builder is unchanged and may
 * build again. *out is owned by the caller (cna_net_destroy).
 * Errors: INVALID_ARGUMENT, INVALID_GRAPH (no input layer), TOO_LARGE,
 * OUT_OF_MEMORY. */
CNA_API cna_status cna_builder_build(const cna_builder *builder,
                                     const cna_options *opts, cna_net **out);

/* -------------------------------------------------------------------- net */

/* A network with its parameters, ready to run. Immutable after creation
 * except through cna_net_set_tensor; every forward call keeps its scratch
 * memory to itself, so one net can be run from many threads at once. */

/* Number of architectures in the zoo. Any thread. */
CNA_API size_t cna_arch_count(void);

/* Name of zoo architecture number index (0 <= index < cna_arch_count()),
 * e.g. "resnet50", or NULL past the end. Static string. Any thread. */
CNA_API const char *cna_arch_name(size_t index);

/* One-line description of a zoo architecture ("ResNet-50, He et al. 2015,
 * torchvision layout"), or NULL for an unknown name. Static. Any thread. */
CNA_API const char *cna_arch_description(const char *arch);

/* Builds zoo architecture arch (a name from cna_arch_name) through the
 * builder API and creates the net as cna_builder_build does. Names that
 * torchvision also uses are torchvision's models layer for layer: layer
 * names are torchvision's module paths, tensor names its state_dict keys.
 * opts may be NULL for the defaults. *out is owned by the caller.
 * Errors: INVALID_ARGUMENT (arch or out NULL), NOT_FOUND (unknown arch; the
 * message names the closest ones), INVALID_SHAPE (input size too small),
 * TOO_LARGE (input size so large a layer exceeds the size limits),
 * OUT_OF_MEMORY. Thread safety: any thread; opts only read. */
CNA_API cna_status cna_net_create_arch(const char *arch, const cna_options *opts,
                                       cna_net **out);

/* Frees a net and its parameters. No forward call may be running on it.
 * NULL is fine. */
CNA_API void cna_net_destroy(cna_net *net);

/* Runs the net on batch images. input: batch x C x H x W floats in the
 * net's input shape, borrowed. output: room for batch x output size floats,
 * written in full on success (unspecified on failure); it must not overlap
 * input (refused with INVALID_ARGUMENT). batch 0 does nothing.
 * Only the layers the output depends on are computed.
 * Errors: INVALID_ARGUMENT (NULL pointers), TOO_LARGE (batch too large for
 * memory sizes), OUT_OF_MEMORY.
 * Thread safety: any number of threads may run forward on one net at once;
 * not concurrently with cna_net_set_tensor or cna_net_destroy. */
CNA_API cna_status cna_net_forward(cna_net *net, const float *input, size_t batch,
                                   float *output);

/* The input shape (C, H, W) of one image. Errors: INVALID_ARGUMENT.
 * This and the two functions below only read the net: any thread. */
CNA_API cna_status cna_net_input_shape(const cna_net *net, size_t shape[3]);

/* The number of output floats per image (C*H*W of the output layer).
 * Errors: INVALID_ARGUMENT. */
CNA_API cna_status cna_net_output_size(const cna_net *net, size_t *size);

/* Threads the net was created for (see cna_options_set_num_threads).
 * Errors: INVALID_ARGUMENT. */
CNA_API cna_status cna_net_num_threads(const cna_net *net, int *num_threads);

/* Bytes of memory a forward call on batch images uses besides its input
 * and output: the activations, planned once by liveness so that buffers
 * are reused as soon as nothing reads them, plus each thread's scratch.
 * Known before anything runs. A call takes an idle context of this size
 * (or makes one); contexts are kept for later calls until the net is
 * destroyed, so concurrent callers each hold one.
 * Errors: INVALID_ARGUMENT, TOO_LARGE (batch too large for memory sizes). */
CNA_API cna_status cna_net_workspace_size(const cna_net *net, size_t batch, size_t *bytes);

/* ----------------------------------------------------------------- summary */

/* The accessors below (summary and tensors) only read the net, except
 * cna_net_set_tensor: any thread may call them at any time, also while
 * forward calls run. Out-parameters are written only on success. */

/* Per-layer figures, as the lecture notes count them. Pinned values.
 * Figures saturate at UINT64_MAX (absurd strides can make receptive fields
 * that large); they never wrap around. */
typedef enum cna_stat {
  /* Learned parameters: weights and biases; batch norm weight and bias (its
   * running statistics are buffers, not parameters, as in PyTorch). */
  CNA_STAT_PARAMS = 0,
  /* Output elements per image (C*H*W); the notes' "memory". */
  CNA_STAT_ACTIVATIONS = 1,
  /* The same in bytes (float32). */
  CNA_STAT_ACTIVATION_BYTES = 2,
  /* Multiply-accumulates per image: convolution out_elems * (in_channels /
   * groups) * kernel_h * kernel_w, fully connected in * out; 0 for every
   * other layer (torchvision_table.json's rule). */
  CNA_STAT_MACS = 3,
  /* Receptive field of one output element on the input image, in input
   * pixels (height and width), through every branch (the largest). It may
   * exceed the image: it counts the padding. */
  CNA_STAT_RF_HEIGHT = 4,
  CNA_STAT_RF_WIDTH = 5,
  /* Distance on the input between adjacent output elements ("jump",
   * the product of the strides), height and width. */
  CNA_STAT_RF_JUMP_HEIGHT = 6,
  CNA_STAT_RF_JUMP_WIDTH = 7,
  /* Layers with weights (conv2d, fully connected) on the longest path from
   * the input to this layer, this layer included: VGG-16's output has 16. */
  CNA_STAT_DEPTH = 8,
  /* Parameter tensor buffers that are not parameters (batch norm running
   * mean and variance), in elements. */
  CNA_STAT_BUFFERS = 9,
  /* Operations per image: an upper bound of a forward pass's arithmetic
   * (adds, multiplies, compares), to bound the time an untrusted model
   * takes before running it (docs/security.md). MACS, plus:
   *   max and average pooling: min(kernel_h, in_h) x min(kernel_w, in_w)
   *     per output, plus C x out_h x (in_w + pad_left + pad_right) x
   *     (those two window sides added), the row passes of the separable
   *     kernels (so large strides are covered too);
   *   adaptive average pooling: C x (in_h + out_h - 1) x (in_w + out_w - 1)
   *     (adjacent bins share at most one row or column);
   *   global average pooling: its input's elements; LRN: min(size, C) per
   *     output; softmax: 3 per output;
   *   every other layer, convolution and fully connected included: one
   *     per output element; the input layer: 0.
   * Like MACS it is a figure of the layers' definitions: Winograd
   * convolutions do fewer multiplications than their MACS. Saturates. */
  CNA_STAT_OPS = 10
} cna_stat;

/* Number of layers, the input layer included. Errors: INVALID_ARGUMENT. */
CNA_API cna_status cna_net_layer_count(const cna_net *net, size_t *count);

/* Name of layer index (in the order added, which is a topological order).
 * *name is owned by net. Errors: INVALID_ARGUMENT (NULL, index out of range). */
CNA_API cna_status cna_net_layer_name(const cna_net *net, size_t index,
                                      const char **name);

/* Type of layer index. Errors: INVALID_ARGUMENT. */
CNA_API cna_status cna_net_layer_type(const cna_net *net, size_t index,
                                      cna_layer_type *type);

/* Output shape (C, H, W) of layer index, per image. Errors: INVALID_ARGUMENT. */
CNA_API cna_status cna_net_layer_output_shape(const cna_net *net, size_t index,
                                              size_t shape[3]);

/* Number of inputs of layer index (0 for the input layer). */
CNA_API cna_status cna_net_layer_input_count(const cna_net *net, size_t index,
                                             size_t *count);

/* Index of input number k of layer index (the producing layer). */
CNA_API cna_status cna_net_layer_input(const cna_net *net, size_t index, size_t k,
                                       size_t *producer);

/* Index of the layer called name. Errors: INVALID_ARGUMENT, NOT_FOUND (the
 * message names the closest existing layers). */
CNA_API cna_status cna_net_find_layer(const cna_net *net, const char *name,
                                      size_t *index);

/* One figure of layer index. Errors: INVALID_ARGUMENT (unknown stat too). */
CNA_API cna_status cna_net_layer_stat(const cna_net *net, size_t index,
                                      cna_stat stat, uint64_t *value);

/* One figure of the whole net: PARAMS, MACS and BUFFERS are summed over all
 * layers. ACTIVATIONS and ACTIVATION_BYTES are the activation memory of one
 * image as the notes count it: the input and every layer's output, except
 * the layers that work in place on their input (relu, tanh, dropout,
 * flatten), whose outputs are not counted twice. RF_* and DEPTH are those
 * of the output layer. Errors: INVALID_ARGUMENT. */
CNA_API cna_status cna_net_total_stat(const cna_net *net, cna_stat stat,
                                      uint64_t *value);

/* ----------------------------------------------------------- model files */

/* The .cna model format (docs/format.md): a version of its own, separate
 * from the library's. This library writes version CNA_FORMAT_VERSION and
 * reads every version up to it. */
#define CNA_FORMAT_VERSION 1

/* The format version the linked library writes. Any thread. */
CNA_API unsigned cna_format_version(void);

/* Saves net (graph and every tensor) to path as a .cna file.
 * compression_level 0 stores the sections as they are, so a load maps the
 * weights in place; 1 (fastest) to 9 (smallest) deflates them with zlib.
 * The file is written under a temporary name in the same directory, flushed
 * to disk and renamed over path: a failed or interrupted save leaves any
 * previous file at path as it was. Loading the file gives the same summary
 * and bit-identical outputs.
 * Errors: INVALID_ARGUMENT (NULL, empty path, level outside 0..9), IO (the
 * message has the system's reason), OUT_OF_MEMORY.
 * Thread safety: only reads net: may run beside forward calls. */
CNA_API cna_status cna_net_save(const cna_net *net, const char *path,
                                int compression_level);

/* The same into memory: *data (free it with cna_free) receives the *size
 * bytes of the file. Errors: INVALID_ARGUMENT, OUT_OF_MEMORY. */
CNA_API cna_status cna_net_save_to_memory(const cna_net *net, int compression_level,
                                          void **data, size_t *size);

/* Frees memory the library handed out (cna_net_save_to_memory). NULL is
 * fine. */
CNA_API void cna_free(void *data);

/* Loads a net from a .cna file. Everything is validated before use: the
 * header, the section table, every checksum, the graph (each layer passes
 * the builder's checks), every tensor's name and shape. An uncompressed
 * file is mapped and its weights used in place (privately: changing a
 * tensor never changes the file); compressed sections are inflated, never
 * beyond the sizes the file states. Of opts (NULL for defaults) only the
 * thread count is used. *out is owned by the caller (cna_net_destroy).
 * Errors: INVALID_ARGUMENT, IO (cannot open or read), CORRUPT (damaged or
 * not a model: the message names section, offset and expectation),
 * UNSUPPORTED (newer format version or content), INVALID_SHAPE /
 * INVALID_ARGUMENT / INVALID_GRAPH (a layer the builder would refuse, with
 * its name), TOO_LARGE, OUT_OF_MEMORY. Thread safety: any thread. */
CNA_API cna_status cna_net_load(const char *path, const cna_options *opts,
                                cna_net **out);

/* The same from size bytes at data (borrowed: the net copies what it
 * needs, so data may be freed after the call). */
CNA_API cna_status cna_net_load_from_memory(const void *data, size_t size,
                                            const cna_options *opts, cna_net **out);

/* ----------------------------------------------------------------- tensors */

/* The net's parameter tensors (weights, biases, batch norm statistics), in
 * layer order. Named "<layer>.<kind>" with kind weight, bias, running_mean
 * or running_var: for zoo nets, torchvision's state_dict keys. */

/* Number of tensors. Errors: INVALID_ARGUMENT. */
CNA_API cna_status cna_net_tensor_count(const cna_net *net, size_t *count);

/* Name of tensor index, owned by net. Errors: INVALID_ARGUMENT. */
CNA_API cna_status cna_net_tensor_name(const cna_net *net, size_t index,
                                       const char **name);

/* Shape of tensor index: *ndim (1..4) dimensions written to dims[0..3].
 * Errors: INVALID_ARGUMENT. */
CNA_API cna_status cna_net_tensor_shape(const cna_net *net, size_t index,
                                        size_t *ndim, size_t dims[4]);

/* Index of the tensor called name. Errors: INVALID_ARGUMENT, NOT_FOUND. */
CNA_API cna_status cna_net_find_tensor(const cna_net *net, const char *name,
                                       size_t *index);

/* Copies tensor index into data, which holds count floats; count must equal
 * the tensor's element count. Errors: INVALID_ARGUMENT (count mismatch:
 * the message gives both). Thread safety: as cna_net_forward. */
CNA_API cna_status cna_net_get_tensor(const cna_net *net, size_t index,
                                      float *data, size_t count);

/* Replaces tensor index with count floats from data (borrowed); count must
 * equal the tensor's element count. Errors: INVALID_ARGUMENT.
 * Thread safety: no forward call may run on the net meanwhile. */
CNA_API cna_status cna_net_set_tensor(cna_net *net, size_t index,
                                      const float *data, size_t count);

/* ------------------------------------------------------------------ images */

/* PNG files in, network inputs out (docs/images.md). Images are decoded with
 * libpng and preprocessed exactly as torchvision 0.14 does on PIL images,
 * the pipeline torchvision's ImageNet weights were evaluated with:
 *
 *   Image.open(f).convert("RGB")   ("L" for one channel)
 *   Resize(r)            shorter side to r, PIL's bilinear (antialiased
 *                        when shrinking), in 8-bit arithmetic as PIL does
 *   CenterCrop((h, w))   zero padding where the image is smaller
 *   ToTensor()           [0, 1]: value / 255
 *   Normalize(mean, std) (x - mean) / std per channel
 *
 * The result is planar float32, C x H x W, ready for cna_net_forward.
 *
 * Every PNG colour type and bit depth is read, interlaced or not: gray
 * (1, 2, 4, 8, 16 bits), gray with alpha, RGB, RGBA (8, 16) and palette
 * (1, 2, 4, 8). As in PIL: 16-bit samples keep their high byte, alpha and
 * tRNS transparency are dropped without compositing, and gAMA, sRGB, cHRM
 * and iCCP chunks do not change the values (the net sees the stored
 * samples). One channel is PIL's luma, L = (19595 R + 38470 G + 7471 B +
 * 32768) >> 16 (the ITU-R 601 weights 0.299, 0.587, 0.114).
 *
 * Limits: a file whose header (IHDR) declares more pixels or a wider row than
 * the options allow is refused before anything is allocated for it, so a
 * small file that would inflate to gigabytes (a decompression bomb) costs
 * nothing. The same pixel limit bounds the image after resizing. */

typedef struct cna_image_options cna_image_options;

/* The default limits: 2^26 pixels (8192 x 8192, a 67-megapixel photo) and
 * rows of 65536 pixels. Decoding holds at most 7 bytes per pixel at once
 * (libpng's rows and the 8-bit image), about 470 MB at the default pixel
 * limit; the floats are made after the resize and crop. */
#define CNA_IMAGE_DEFAULT_MAX_PIXELS 67108864u
#define CNA_IMAGE_DEFAULT_MAX_WIDTH 65536u
/* The largest limits the setter accepts: 2^32 pixels, and the PNG format's
 * own largest width, 2^31 - 1. */
#define CNA_IMAGE_MAX_PIXELS ((uint64_t)1 << 32)
#define CNA_IMAGE_MAX_WIDTH 2147483647u

/* Creates image options holding the defaults: 3 channels (RGB), no resize,
 * no crop, mean 0 and std 1 (values v / 255 in [0, 1]), the default limits.
 * *out is owned by the caller (cna_image_options_destroy). Like cna_options,
 * the functions that take it only read it: one object may serve many
 * threads' loads at once, but must not be changed meanwhile.
 * Errors: INVALID_ARGUMENT (out NULL), OUT_OF_MEMORY. */
CNA_API cna_status cna_image_options_create(cna_image_options **out);

/* Frees image options. NULL is fine. */
CNA_API void cna_image_options_destroy(cna_image_options *opts);

/* Name of preset number index (0 <= index < count), NULL past the end:
 *   "imagenet"       3 channels, resize 256, crop 224 x 224,
 *                    mean 0.485 0.456 0.406, std 0.229 0.224 0.225
 *   "cifar"          3 channels, resize 32, crop 32 x 32, CIFAR-10's mean
 *                    0.4914 0.4822 0.4465 and std 0.2470 0.2435 0.2616
 *   "mnist"          1 channel, resize 28, crop 28 x 28, MNIST's mean
 *                    0.1307 and std 0.3081
 *   "fashion_mnist"  the same with Fashion-MNIST's mean 0.2860, std 0.3530
 *   "none"           the defaults of cna_image_options_create
 * Static strings. Any thread. */
CNA_API const char *cna_image_preset_name(size_t index);

/* Sets channels, resize, crop, mean and std to those of a preset (above);
 * the limits stay. Errors: INVALID_ARGUMENT (NULL), NOT_FOUND (unknown
 * preset: the message lists the presets and the closest name). */
CNA_API cna_status cna_image_options_set_preset(cna_image_options *opts,
                                                const char *preset);

/* 3 for RGB planes, 1 for PIL's luma (see above).
 * Errors: INVALID_ARGUMENT (NULL, not 1 or 3). */
CNA_API cna_status cna_image_options_set_channels(cna_image_options *opts,
                                                  int channels);

/* Resizes the shorter side to shorter_side pixels, 1..CNA_MAX_INPUT_SIZE,
 * keeping the aspect ratio (torchvision: the longer side is
 * int(shorter_side * long / short)), or 0 for no resize.
 * Errors: INVALID_ARGUMENT. */
CNA_API cna_status cna_image_options_set_resize(cna_image_options *opts,
                                                int shorter_side);

/* Cuts height x width pixels out of the middle (after the resize), each
 * 1..CNA_MAX_INPUT_SIZE, or both 0 for no crop. An image smaller than the
 * crop is padded with zeros (black) first, as torchvision does.
 * Errors: INVALID_ARGUMENT. */
CNA_API cna_status cna_image_options_set_crop(cna_image_options *opts, int height,
                                              int width);

/* Per-channel normalization of the [0, 1] values: (x - mean[c]) / std[c].
 * mean and std are borrowed arrays of 3 floats (with one channel only
 * element 0 is used); every value finite, every std > 0.
 * Errors: INVALID_ARGUMENT (NULL, non-finite or std <= 0; opts unchanged). */
CNA_API cna_status cna_image_options_set_normalize(cna_image_options *opts,
                                                   const float mean[3],
                                                   const float std[3]);

/* Limits against oversized and malicious files: max_pixels (width x height,
 * 1..CNA_IMAGE_MAX_PIXELS) and max_width (pixels per row,
 * 1..CNA_IMAGE_MAX_WIDTH). A file over a limit gets TOO_LARGE, decided from
 * its header before any memory is allocated for it; a resize whose result
 * would exceed max_pixels gets TOO_LARGE too.
 * Errors: INVALID_ARGUMENT (opts unchanged). */
CNA_API cna_status cna_image_options_set_limits(cna_image_options *opts,
                                                uint64_t max_pixels,
                                                uint32_t max_width);

/* Adapts the options to a net's input shape C x H x W: the crop becomes
 * H x W and the resize keeps its ratio to the crop (the shorter sides:
 * "imagenet" on a 227 x 227 net resizes to 259, round(256 * 227 / 224));
 * options without both a resize and a crop get a resize to max(H, W).
 * Errors: INVALID_ARGUMENT (NULL; or the net takes C channels and the
 * options make the other count: the message says which preset fits),
 * UNSUPPORTED (a net whose input has neither 1 nor 3 channels). */
CNA_API cna_status cna_image_options_fit_net(cna_image_options *opts,
                                             const cna_net *net);

/* The preset that suits a net's input: "mnist" for 1 channel, "cifar" for 3
 * channels at most 64 x 64, "imagenet" otherwise; NULL for a NULL net.
 * A static string. Any thread. */
CNA_API const char *cna_image_preset_for_net(const cna_net *net);

/* Decodes and preprocesses the PNG file at path. On success *pixels holds
 * shape[0] x shape[1] x shape[2] floats (C x H x W), allocated by the library:
 * free it with cna_free. opts may be NULL for the defaults.
 * Errors: INVALID_ARGUMENT (NULL arguments), IO (cannot open or read the
 * file: the message has the system's reason), CORRUPT (damaged PNG:
 * truncated, bad CRC, bad compressed data, palette index out of range, zero
 * width, ...: the message names the file and what is wrong), UNSUPPORTED
 * (another image format, such as JPEG: the message says which), TOO_LARGE
 * (over the limits), OUT_OF_MEMORY. Nothing is printed, nothing leaks.
 * Thread safety: any thread; opts only read. */
CNA_API cna_status cna_image_load(const char *path, const cna_image_options *opts,
                                  float **pixels, size_t shape[3]);

/* The same from the size bytes of a PNG file at data (borrowed for the
 * call). Messages call it "PNG in memory". */
CNA_API cna_status cna_image_load_from_memory(const void *data, size_t size,
                                              const cna_image_options *opts,
                                              float **pixels, size_t shape[3]);

/* ---------------------------------------------------------- classification */

/* Class names, one per line of a UTF-8 text file: line i names class i.
 * data/labels/ ships imagenet1k.txt (torchvision's names), cifar10.txt,
 * mnist.txt and fashion_mnist.txt. Immutable once loaded: any thread may
 * read one at any time. */
typedef struct cna_labels cna_labels;

/* Reads labels from a text file: one label per line, "\n" or "\r\n" line
 * ends, the last line's end optional; trailing spaces and tabs are dropped.
 * An empty line, a NUL byte, no labels at all, more than CNA_MAX_CLASSES
 * labels or a file over 64 MiB is refused. *out is owned by the caller
 * (cna_labels_destroy).
 * Errors: INVALID_ARGUMENT (NULL), IO, CORRUPT (the message names the file
 * and line), TOO_LARGE, OUT_OF_MEMORY. Thread safety: any thread. */
CNA_API cna_status cna_labels_load(const char *path, cna_labels **out);

/* The same from size bytes of text at data (borrowed for the call). */
CNA_API cna_status cna_labels_load_from_memory(const void *data, size_t size,
                                               cna_labels **out);

/* Frees labels. NULL is fine. */
CNA_API void cna_labels_destroy(cna_labels *labels);

/* Number of labels. Errors: INVALID_ARGUMENT. */
CNA_API cna_status cna_labels_count(const cna_labels *labels, size_t *count);

/* Label number index, owned by labels and valid until it is destroyed.
 * Errors: INVALID_ARGUMENT (NULL, index out of range). */
CNA_API cna_status cna_labels_get(const cna_labels *labels, size_t index,
                                  const char **label);

/* Classifies batch preprocessed images (batch x C x H x W floats in the net's
 * input shape, borrowed, e.g. from cna_image_load): runs the net, turns
 * each image's outputs into probabilities with a softmax (computed in
 * double; a net whose output layer is already a softmax over C x 1 x 1 is
 * used as it is) and writes the k most probable classes, most probable
 * first (equal probabilities: lower index first), to indices[i * k + j] and
 * probabilities[i * k + j] for image i. names (may be NULL) receives the
 * labels of those classes, owned by labels, or NULLs when labels is NULL.
 * probabilities may be NULL. k is 1..output size; labels, when given, must
 * have exactly one label per net output.
 * Errors: INVALID_ARGUMENT (NULL net, images or indices; k out of range;
 * a label count that differs from the net's outputs, with both numbers),
 * TOO_LARGE, OUT_OF_MEMORY, and those of cna_net_forward.
 * Thread safety: as cna_net_forward (many threads may classify on one net). */
CNA_API cna_status cna_net_classify(cna_net *net, const float *images, size_t batch,
                                    const cna_labels *labels, size_t k,
                                    size_t *indices, float *probabilities,
                                    const char **names);

/* --------------------------------------------------------------- ensembles */

/* Several nets answering together: the average of their class
 * probabilities, optionally weighted (the 2012 AlexNet paper's 7-CNN
 * ensemble: 18.2% -> 15.4% top-5 error). Each member's outputs become
 * probabilities as in cna_net_classify: a softmax over each image's outputs,
 * computed in double, except for a member whose output layer is already a
 * softmax over C x 1 x 1, used as it is. Immutable once created: any number
 * of threads may run forward and classify on one ensemble at once (and on
 * its members directly), not concurrently with cna_net_set_tensor or
 * cna_net_destroy on a member. */

/* Creates an ensemble of count >= 1 nets (the array is borrowed for the
 * call; the nets themselves are borrowed for the ensemble's life: they
 * must outlive it, and are not destroyed with it). Every member must take
 * the same input shape and give the same number of outputs as member 0.
 * weights: count floats (borrowed for the call), each finite and >= 0, not
 * all 0, normalized to sum 1 (member i counts weights[i] / sum); NULL
 * weighs every member equally. A member with weight 0 is not run. The same
 * net may appear twice (it then counts twice). *out is owned by the caller
 * (cna_ensemble_destroy).
 * Errors: INVALID_ARGUMENT (NULL nets, out or member, count 0, a bad
 * weight, or a member whose input shape or output size differs from
 * member 0's: the message names the member and both shapes), TOO_LARGE,
 * OUT_OF_MEMORY. Thread safety: any thread. */
CNA_API cna_status cna_ensemble_create(cna_net *const *nets, const float *weights,
                                       size_t count, cna_ensemble **out);

/* Frees an ensemble (not its members). NULL is fine. */
CNA_API void cna_ensemble_destroy(cna_ensemble *ensemble);

/* The averaged probabilities of batch images (batch x C x H x W floats in
 * the members' input shape, borrowed): probabilities receives batch x
 * output size floats, image i's at [i * size, (i + 1) * size), each row
 * summing to 1 (up to rounding); it must not overlap images. batch 0 does
 * nothing. The sum is accumulated in double.
 * Errors: INVALID_ARGUMENT (NULL pointers, overlap), TOO_LARGE,
 * OUT_OF_MEMORY, and those of cna_net_forward (the message names the
 * member). */
CNA_API cna_status cna_ensemble_forward(cna_ensemble *ensemble, const float *images,
                                        size_t batch, float *probabilities);

/* Top-k classification by the ensemble's averaged probabilities, with the
 * arguments, results and errors of cna_net_classify (k is 1..output size;
 * labels, when given, one per output). */
CNA_API cna_status cna_ensemble_classify(cna_ensemble *ensemble, const float *images,
                                         size_t batch, const cna_labels *labels, size_t k,
                                         size_t *indices, float *probabilities,
                                         const char **names);

/* Number of members, and the output size they share. Errors:
 * INVALID_ARGUMENT (NULL). Any thread. */
CNA_API cna_status cna_ensemble_size(const cna_ensemble *ensemble, size_t *count,
                                     size_t *output_size);

/* ------------------------------------------------------ intermediate features */

/* Runs the net on batch images up to the named layers and writes each
 * layer's output: FC7 of AlexNet and VGG, the pooled features of a ResNet,
 * several in one pass. Only what those layers depend on is computed.
 * Each output is exactly the layer's output in the graph as built, whatever
 * the forward pass fuses: a convolution's output before the batch norm that
 * cna_net_forward folds into it, a ReLU's input before an in-place ReLU.
 * input: batch x C x H x W floats in the net's input shape (borrowed).
 * names: count layer names (borrowed; cna_net_layer_name lists them), each
 * at most once, in any order. outputs: count buffers (borrowed), outputs[k]
 * receiving batch x C*H*W floats of layer names[k], C x H x W its
 * cna_net_layer_output_shape (image i's at [i * C*H*W, (i + 1) * C*H*W));
 * none may overlap the input or another. batch 0 only checks the
 * arguments.
 * The plan for a set of names is made on its first use and kept with the
 * net (for up to 16 sets; more are planned per call), so the first call is
 * slower. It is dropped by cna_net_set_tensor.
 * Errors: INVALID_ARGUMENT (NULL pointers, count 0, a name given twice,
 * overlapping buffers), NOT_FOUND (an unknown name: the message names the
 * three nearest existing layers), TOO_LARGE, OUT_OF_MEMORY.
 * Thread safety: as cna_net_forward (many threads, with each other and with
 * cna_net_forward). */
CNA_API cna_status cna_net_forward_features(cna_net *net, const float *input, size_t batch,
                                            const char *const *names, size_t count,
                                            float *const *outputs);

/* ---------------------------------------------------------- graph pictures */

/* Writes the net's graph in Graphviz's DOT language, for `dot -Tpng`: a
 * node per layer (its name, type with kernel and stride, output shape
 * CxHxW, parameter count) and an edge per input link, so branches
 * (Inception modules) and shortcuts (ResNet) show; the output layer has a
 * double border, layers the output does not need (auxiliary classifiers)
 * are dashed. Names are escaped for DOT's quoted strings, so any name is
 * safe. As snprintf: *length receives the text's length in bytes without
 * the terminating NUL, and the first capacity - 1 bytes of it (all of it
 * when capacity > *length) are written to buffer with a NUL after them;
 * buffer may be NULL when capacity is 0, to ask for the length first.
 * Errors: INVALID_ARGUMENT (net or length NULL, buffer NULL with a
 * capacity), TOO_LARGE. Thread safety: only reads net: any thread. */
CNA_API cna_status cna_net_to_dot(const cna_net *net, char *buffer, size_t capacity,
                                  size_t *length);


#ifdef __cplusplus
}
#endif

#endif /* CNNARCH_H */
