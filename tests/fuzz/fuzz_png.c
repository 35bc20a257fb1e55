/* libFuzzer target: the PNG input path (cna_image_load_from_memory), file
 * bytes in, network input out.
 *
 * The first byte picks the options, the rest is the file:
 *   bits 0-2  the preprocessing: 0 none (decode only), 1 imagenet, 2 cifar,
 *             3 mnist, 4 fashion_mnist, 5 none + resize to 7 (upsizing),
 *             6 none + crop 5 x 9 (padding), 7 none + resize to 1
 *   bit 3     the other channel count (1 <-> 3)
 *   bits 4-5  the limits: 2^18 pixels and rows of 4096 (the harness's cap,
 *             so that no input decodes more than a quarter megapixel), 64
 *             pixels and rows of 16, 4096 pixels and rows of 64, 2^18
 *             pixels and rows of 1
 *   bits 6-7  unused
 * Each input is decoded twice: as it is, and with every chunk's CRC
 * recomputed, so that mutations reach libpng's chunk parsers and our
 * palette, row and preprocessing code behind the checksums (as fuzz_load
 * does for .cna files; the library stays as shipped).
 *
 * What must hold: a refusal is a documented status (never INTERNAL) with a
 * message, and *pixels stays NULL; a file whose signature and IHDR are
 * intact and whose IHDR declares more pixels or a wider row than the limits
 * is refused with TOO_LARGE (the cap against decompression bombs, decided
 * from the header alone); a success gives the channel count asked for, the
 * crop's size when there is a crop, at most max_pixels pixels, and every
 * value finite and within the normalized range of [0, 1]. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fuzz_common.h"

#define FUZZ_PNG_MAX_PIXELS (1u << 18)

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (24 - 8 * i));
}

/* Recomputes the CRC of every whole chunk after the signature. Returns
 * whether any byte changed. */
static int fix_crcs(uint8_t *d, size_t size) {
  int changed = 0;
  size_t at = 8;
  while (at <= size && size - at >= 12) {
    const uint32_t len = be32(d + at);
    if (len > size - at - 12) break;
    const uint32_t crc = (uint32_t)crc32(0L, d + at + 4, (uInt)len + 4);
    if (be32(d + at + 8 + len) != crc) {
      put_be32(d + at + 8 + len, crc);
      changed = 1;
    }
    at += 12 + (size_t)len;
  }
  return changed;
}

/* Whether the file's own header asks for more than the limits allow: the
 * signature and a 13-byte IHDR with a good CRC, sides in 1..2^31-1. */
static int header_over_limits(const uint8_t *d, size_t size, uint64_t max_pixels,
                              uint32_t max_width) {
  static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (size < 33 || memcmp(d, signature, 8) != 0 || be32(d + 8) != 13 ||
      memcmp(d + 12, "IHDR", 4) != 0 || (uint32_t)crc32(0L, d + 12, 17) != be32(d + 29))
    return 0;
  const uint32_t w = be32(d + 16), h = be32(d + 20);
  if (w == 0 || h == 0 || w > 0x7FFFFFFFu || h > 0x7FFFFFFFu) return 0;
  return w > max_width || (uint64_t)w * h > max_pixels;
}

static void decode(const uint8_t *png, size_t size, unsigned sel) {
  static const char *const presets[8] = {"none", "imagenet", "cifar", "mnist",
                                         "fashion_mnist", "none", "none", "none"};
  static const uint64_t max_pixels[4] = {FUZZ_PNG_MAX_PIXELS, 64, 4096, FUZZ_PNG_MAX_PIXELS};
  static const uint32_t max_width[4] = {4096, 16, 64, 1};
  cna_image_options *opts = NULL;
  if (cna_image_options_create(&opts) != CNA_OK) abort();
  const unsigned kind = sel & 7, limit = (sel >> 4) & 3;
  if (cna_image_options_set_preset(opts, presets[kind]) != CNA_OK) abort();
  if (kind == 5 && cna_image_options_set_resize(opts, 7) != CNA_OK) abort();
  if (kind == 6 && cna_image_options_set_crop(opts, 5, 9) != CNA_OK) abort();
  if (kind == 7 && cna_image_options_set_resize(opts, 1) != CNA_OK) abort();
  size_t channels = kind == 3 || kind == 4 ? 1 : 3;
  if (sel & 8) channels = 4 - channels;
  if (cna_image_options_set_channels(opts, (int)channels) != CNA_OK ||
      cna_image_options_set_limits(opts, max_pixels[limit], max_width[limit]) != CNA_OK)
    abort();
  size_t crop_h = 0, crop_w = 0;
  if (kind >= 1 && kind <= 4) crop_h = crop_w = kind == 1 ? 224 : kind == 2 ? 32 : 28;
  if (kind == 6) crop_h = 5, crop_w = 9;

  float *pixels = NULL;
  size_t shape[3] = {0, 0, 0};
  /* NULL data with size 0 is allowed; libFuzzer's empty input may be NULL. */
  cna_status s = cna_image_load_from_memory(size ? png : NULL, size, opts, &pixels, shape);
  fuzz_expect_refusal("image load", s);
  if (header_over_limits(png, size, max_pixels[limit], max_width[limit]) &&
      s != CNA_ERROR_TOO_LARGE)
    fuzz_die("a header over the limits was not refused as TOO_LARGE", s);
  if (s != CNA_OK) {
    if (pixels != NULL) fuzz_die("a refused load wrote *pixels", s);
    cna_image_options_destroy(opts);
    return;
  }
  if (pixels == NULL || shape[0] != channels || shape[1] == 0 || shape[2] == 0 ||
      (crop_h != 0 && (shape[1] != crop_h || shape[2] != crop_w)) ||
      (crop_h == 0 && shape[1] * shape[2] > max_pixels[limit]))
    fuzz_die("the result's shape", CNA_ERROR_INTERNAL);
  /* The presets' means and stds, as cna_image_options_set_preset sets them:
   * every value lies in [(0 - mean) / std, (1 - mean) / std]; the bounds
   * allow for rounding, and for kind 0 and 5-7 mean 0, std 1. */
  const size_t plane = shape[1] * shape[2];
  for (size_t c = 0; c < shape[0]; c++) {
    const double lo = kind == 0 || kind >= 5 ? 0.0 : -2.2, hi = kind == 0 || kind >= 5 ? 1.0 : 3.0;
    for (size_t i = 0; i < plane; i++) {
      const float v = pixels[c * plane + i];
      if (!isfinite(v) || v < lo - 1e-6 || v > hi + 1e-6)
        fuzz_die("a pixel value out of range", CNA_ERROR_INTERNAL);
    }
  }
  cna_free(pixels);
  cna_image_options_destroy(opts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  const unsigned sel = data[0];
  data++, size--;
  decode(data, size, sel);
  if (size >= 8) {
    uint8_t *copy = malloc(size);
    if (copy == NULL) abort();
    memcpy(copy, data, size);
    if (fix_crcs(copy, size)) decode(copy, size, sel);
    free(copy);
  }
  return 0;
}
