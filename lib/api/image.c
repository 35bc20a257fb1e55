/* The public image functions: options and presets, and loading a PNG into
 * a network input (lib/image/ does the work). */
#define _POSIX_C_SOURCE 200809L /* fdopen, fstat */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "image/image.h"

struct cna_image_options {
  int channels;       /* 1 or 3 */
  int resize;         /* shorter side, 0: none */
  int crop_h, crop_w; /* 0, 0: none */
  float mean[3], std[3];
  cna__image_limits limits;
};

/* ----------------------------------------------------------------- presets */

typedef struct preset {
  const char *name;
  int channels, resize, crop;
  /* Doubles, converted to float as torch.as_tensor(mean, dtype=float32)
   * converts Python's floats: the same float32 values bit for bit. */
  double mean[3], std[3];
} preset;

static const preset presets[] = {
    {"imagenet", 3, 256, 224, {0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}},
    /* CIFAR-10's training set statistics (per-pixel std over the set). */
    {"cifar", 3, 32, 32, {0.4914, 0.4822, 0.4465}, {0.2470, 0.2435, 0.2616}},
    {"mnist", 1, 28, 28, {0.1307, 0.1307, 0.1307}, {0.3081, 0.3081, 0.3081}},
    {"fashion_mnist", 1, 28, 28, {0.2860, 0.2860, 0.2860}, {0.3530, 0.3530, 0.3530}},
    {"none", 3, 0, 0, {0, 0, 0}, {1, 1, 1}},
};
enum { PRESET_COUNT = sizeof presets / sizeof presets[0] };

static void apply_preset(cna_image_options *opts, const preset *p) {
  opts->channels = p->channels;
  opts->resize = p->resize;
  opts->crop_h = opts->crop_w = p->crop;
  for (int c = 0; c < 3; c++) {
    opts->mean[c] = (float)p->mean[c];
    opts->std[c] = (float)p->std[c];
  }
}

static void defaults(cna_image_options *opts) {
  apply_preset(opts, &presets[PRESET_COUNT - 1]);
  opts->limits.max_pixels = CNA_IMAGE_DEFAULT_MAX_PIXELS;
  opts->limits.max_width = CNA_IMAGE_DEFAULT_MAX_WIDTH;
}

const char *cna_image_preset_name(size_t index) {
  return index < PRESET_COUNT ? presets[index].name : NULL;
}

static const char *preset_name_at(const void *ctx, size_t index) {
  (void)ctx;
  return presets[index].name;
}

/* ----------------------------------------------------------------- options */

cna_status cna_image_options_create(cna_image_options **out) {
  if (out == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT, "cna_image_options_create: out is NULL");
  cna_image_options *opts = malloc(sizeof *opts);
  if (opts == NULL)
    return cna__error(CNA_ERROR_OUT_OF_MEMORY, "cna_image_options_create: out of memory");
  defaults(opts);
  *out = opts;
  return CNA_OK;
}

void cna_image_options_destroy(cna_image_options *opts) { free(opts); }

#define CHECK_OPTS(fn) \
  if (opts == NULL) return cna__error(CNA_ERROR_INVALID_ARGUMENT, fn ": opts is NULL")

cna_status cna_image_options_set_preset(cna_image_options *opts, const char *name) {
  CHECK_OPTS("cna_image_options_set_preset");
  if (name == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT, "cna_image_options_set_preset: preset is NULL");
  for (size_t i = 0; i < PRESET_COUNT; i++) {
    if (strcmp(presets[i].name, name) == 0) {
      apply_preset(opts, &presets[i]);
      return CNA_OK;
    }
  }
  cna__error(CNA_ERROR_NOT_FOUND, "unknown image preset '%.100s'; the presets are", name);
  for (size_t i = 0; i < PRESET_COUNT; i++)
    cna__error_append("%s '%s'", i ? "," : "", presets[i].name);
  cna__suggest_names(name, preset_name_at, NULL, PRESET_COUNT);
  return CNA_ERROR_NOT_FOUND;
}

cna_status cna_image_options_set_channels(cna_image_options *opts, int channels) {
  CHECK_OPTS("cna_image_options_set_channels");
  if (channels != 1 && channels != 3)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_image_options_set_channels: expected 1 (gray) or 3 (RGB), found %d",
                      channels);
  opts->channels = channels;
  return CNA_OK;
}

cna_status cna_image_options_set_resize(cna_image_options *opts, int shorter_side) {
  CHECK_OPTS("cna_image_options_set_resize");
  if (shorter_side < 0 || shorter_side > CNA_MAX_INPUT_SIZE)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_image_options_set_resize: expected a shorter side of 1 to %d "
                      "pixels (or 0 for no resize), found %d",
                      CNA_MAX_INPUT_SIZE, shorter_side);
  opts->resize = shorter_side;
  return CNA_OK;
}

cna_status cna_image_options_set_crop(cna_image_options *opts, int height, int width) {
  CHECK_OPTS("cna_image_options_set_crop");
  const int none = height == 0 && width == 0;
  if (!none && (height < 1 || height > CNA_MAX_INPUT_SIZE || width < 1 ||
                width > CNA_MAX_INPUT_SIZE))
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_image_options_set_crop: expected height and width from 1 to %d "
                      "(or both 0 for no crop), found %dx%d",
                      CNA_MAX_INPUT_SIZE, height, width);
  opts->crop_h = height;
  opts->crop_w = width;
  return CNA_OK;
}

cna_status cna_image_options_set_normalize(cna_image_options *opts, const float mean[3],
                                           const float std[3]) {
  CHECK_OPTS("cna_image_options_set_normalize");
  if (mean == NULL || std == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_image_options_set_normalize: mean and std must not be NULL");
  for (int c = 0; c < 3; c++) {
    if (!isfinite(mean[c]) || !isfinite(std[c]) || !(std[c] > 0))
      return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                        "cna_image_options_set_normalize: channel %d has mean %g and std %g; "
                        "expected finite values and std > 0",
                        c, (double)mean[c], (double)std[c]);
  }
  memcpy(opts->mean, mean, sizeof opts->mean);
  memcpy(opts->std, std, sizeof opts->std);
  return CNA_OK;
}

cna_status cna_image_options_set_limits(cna_image_options *opts, uint64_t max_pixels,
                                        uint32_t max_width) {
  CHECK_OPTS("cna_image_options_set_limits");
  if (max_pixels < 1 || max_pixels > CNA_IMAGE_MAX_PIXELS || max_width < 1 ||
      max_width > CNA_IMAGE_MAX_WIDTH)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_image_options_set_limits: expected 1 to 2^32 pixels and rows of 1 "
                      "to 2^31 - 1 pixels, found %llu and %lu",
                      (unsigned long long)max_pixels, (unsigned long)max_width);
  opts->limits.max_pixels = max_pixels;
  opts->limits.max_width = max_width;
  return CNA_OK;
}

cna_status cna_image_options_fit_net(cna_image_options *opts, const cna_net *net) {
  CHECK_OPTS("cna_image_options_fit_net");
  size_t in[3];
  if (net == NULL || cna_net_input_shape(net, in) != CNA_OK)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT, "cna_image_options_fit_net: net is NULL");
  if (in[0] != 1 && in[0] != 3)
    return cna__error(CNA_ERROR_UNSUPPORTED,
                      "cna_image_options_fit_net: the net takes %zu-channel inputs; images "
                      "give 1 (gray) or 3 (RGB)",
                      in[0]);
  if ((size_t)opts->channels != in[0])
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_image_options_fit_net: the net takes %zu-channel %zux%zu images "
                      "but the options make %d-channel ones; use preset '%s' or set %zu "
                      "channel%s with its own mean and std",
                      in[0], in[1], in[2], opts->channels, cna_image_preset_for_net(net),
                      in[0], in[0] == 1 ? "" : "s");
  if (in[1] > CNA_MAX_INPUT_SIZE || in[2] > CNA_MAX_INPUT_SIZE)
    return cna__error(CNA_ERROR_UNSUPPORTED,
                      "cna_image_options_fit_net: the net's input %zux%zu is larger than "
                      "crops can be (%d)",
                      in[1], in[2], CNA_MAX_INPUT_SIZE);
  const size_t net_short = in[1] < in[2] ? in[1] : in[2];
  size_t resize = in[1] > in[2] ? in[1] : in[2];
  if (opts->resize > 0 && opts->crop_h > 0) {
    const size_t crop_short = (size_t)(opts->crop_h < opts->crop_w ? opts->crop_h : opts->crop_w);
    resize = ((size_t)opts->resize * net_short + crop_short / 2) / crop_short;
    if (resize < 1) resize = 1;
  }
  if (resize > CNA_MAX_INPUT_SIZE) resize = CNA_MAX_INPUT_SIZE;
  opts->resize = (int)resize;
  opts->crop_h = (int)in[1];
  opts->crop_w = (int)in[2];
  return CNA_OK;
}

const char *cna_image_preset_for_net(const cna_net *net) {
  size_t in[3];
  if (net == NULL || cna_net_input_shape(net, in) != CNA_OK) return NULL;
  if (in[0] == 1) return "mnist";
  if (in[1] <= 64 && in[2] <= 64) return "cifar";
  return "imagenet";
}

/* -------------------------------------------------------------------- load */

/* The steps after decoding; takes the decoded image. */
static cna_status preprocess(const char *name, cna__image8 *image, const cna_image_options *opts,
                             float **pixels, size_t shape[3]) {
  cna_status st = CNA_OK;
  /* Each step makes a new image from the current one, which it replaces. */
  for (int step = 0; step < 3; step++) {
    cna__image8 next = {0};
    if (step == 0 && image->channels != opts->channels)
      st = cna__image_convert(image, opts->channels, &next);
    else if (step == 1 && opts->resize > 0)
      st = cna__image_resize(image, (size_t)opts->resize, opts->limits.max_pixels, &next);
    else if (step == 2 && opts->crop_h > 0)
      st = cna__image_center_crop(image, (size_t)opts->crop_h, (size_t)opts->crop_w, &next);
    else
      continue;
    if (st != CNA_OK) goto failed;
    cna__image8_free(image);
    *image = next;
  }
  size_t count, bytes;
  if (!cna__mul_size(image->width * image->height, (size_t)image->channels, &count) ||
      !cna__mul_size(count, sizeof(float), &bytes)) {
    st = cna__error(CNA_ERROR_TOO_LARGE, "the image is too large for memory sizes");
    goto failed;
  }
  float *out = malloc(bytes ? bytes : 1);
  if (out == NULL) {
    st = cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory for %zu floats", count);
    goto failed;
  }
  cna__image_to_float(image, opts->mean, opts->std, out);
  shape[0] = (size_t)image->channels;
  shape[1] = image->height;
  shape[2] = image->width;
  *pixels = out;
  cna__image8_free(image);
  return CNA_OK;
failed:
  cna__image8_free(image);
  cna__error_prepend("%s: ", name);
  return st;
}

static cna_status check_load_args(const char *fn, const cna_image_options **opts,
                                  cna_image_options *fallback, float **pixels,
                                  size_t shape[3]) {
  if (pixels == NULL || shape == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT, "%s: pixels and shape must not be NULL", fn);
  if (*opts == NULL) {
    defaults(fallback);
    *opts = fallback;
  }
  return CNA_OK;
}

cna_status cna_image_load_from_memory(const void *data, size_t size,
                                      const cna_image_options *opts, float **pixels,
                                      size_t shape[3]) {
  cna_image_options fallback;
  cna_status st =
      check_load_args("cna_image_load_from_memory", &opts, &fallback, pixels, shape);
  if (st != CNA_OK) return st;
  if (data == NULL && size > 0)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT, "cna_image_load_from_memory: data is NULL");
  char name[64];
  snprintf(name, sizeof name, "PNG in memory (%zu bytes)", size);
  cna__image8 image = {0};
  st = cna__png_decode(name, NULL, data != NULL ? data : "", size, &opts->limits, &image);
  if (st != CNA_OK) return st;
  return preprocess(name, &image, opts, pixels, shape);
}

cna_status cna_image_load(const char *path, const cna_image_options *opts, float **pixels,
                          size_t shape[3]) {
  cna_image_options fallback;
  cna_status st = check_load_args("cna_image_load", &opts, &fallback, pixels, shape);
  if (st != CNA_OK) return st;
  if (path == NULL) return cna__error(CNA_ERROR_INVALID_ARGUMENT, "cna_image_load: path is NULL");
  char name[520];
  snprintf(name, sizeof name, "'%.500s'", path);
  /* O_NONBLOCK: a FIFO must not block the open; it is refused below. */
  int fd = open(path, O_RDONLY | O_NONBLOCK);
  if (fd < 0) return cna__error(CNA_ERROR_IO, "cannot open %s: %s", name, strerror(errno));
  struct stat info;
  if (fstat(fd, &info) != 0) {
    st = cna__error(CNA_ERROR_IO, "cannot read %s: %s", name, strerror(errno));
    close(fd);
    return st;
  }
  if (!S_ISREG(info.st_mode)) {
    close(fd);
    return cna__error(CNA_ERROR_IO, "cannot read %s: %s", name,
                      S_ISDIR(info.st_mode) ? "it is a directory" : "not a regular file");
  }
  FILE *file = fdopen(fd, "rb");
  if (file == NULL) {
    st = cna__error(CNA_ERROR_IO, "cannot read %s: %s", name, strerror(errno));
    close(fd);
    return st;
  }
  cna__image8 image = {0};
  st = cna__png_decode(name, file, NULL, 0, &opts->limits, &image);
  fclose(file);
  if (st != CNA_OK) return st;
  return preprocess(name, &image, opts, pixels, shape);
}
