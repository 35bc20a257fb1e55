/*
 * image.h - decoded images and the preprocessing steps between a PNG file
 * and a network input (docs/images.md). Internal; the public face is the
 * cna_image_* section of cnnarch.h (lib/api/image.c).
 *
 * Images here are 8-bit, interleaved (row after row of pixels, each pixel
 * its channels), with 1 (gray) or 3 (RGB) channels: what PIL holds as its
 * "L" and "RGB" modes, which is what torchvision's transforms work on.
 */
#ifndef CNA_IMAGE_H
#define CNA_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "cnnarch.h"

typedef struct cna__image8 {
  unsigned char *pixels; /* height * width * channels bytes, malloc'ed */
  size_t width, height;
  int channels; /* 1 or 3 */
} cna__image8;

void cna__image8_free(cna__image8 *image);

typedef struct cna__image_limits {
  uint64_t max_pixels;
  uint32_t max_width;
} cna__image_limits;

/* Decodes a PNG to gray (gray and gray+alpha files) or RGB (colour and
 * palette files), 8 bits per sample: 16-bit samples keep their high byte,
 * smaller ones are scaled to 0..255, alpha and tRNS are dropped, colour
 * chunks ignored. name is what messages call the source ("'cat.png'").
 * Exactly one of file (read from its current position) and data/size is
 * the source. Errors as cna_image_load's, message set; *out untouched on
 * failure. */
cna_status cna__png_decode(const char *name, void *file, const void *data, size_t size,
                           const cna__image_limits *limits, cna__image8 *out);

/* The preprocessing steps, each torchvision 0.14's on PIL images. Each
 * writes a new image to *out (the input stays) and sets the message on
 * failure. */

/* PIL's convert("RGB") (gray copied to the three channels) or convert("L")
 * (L = (19595 R + 38470 G + 7471 B + 0x8000) >> 16). */
cna_status cna__image_convert(const cna__image8 *in, int channels, cna__image8 *out);

/* torchvision's Resize(shorter_side): the longer side becomes
 * int(shorter_side * long / short); PIL's two-pass bilinear resampling
 * (horizontal, then vertical, each rounded to 8 bits), whose filter widens
 * with the scale when shrinking (antialiasing). A result over max_pixels is
 * TOO_LARGE. An image already of that size is copied. */
cna_status cna__image_resize(const cna__image8 *in, size_t shorter_side,
                             uint64_t max_pixels, cna__image8 *out);

/* torchvision's CenterCrop((height, width)): zero padding first where the
 * image is smaller (the extra pixel of an odd difference on the right and
 * bottom), then the offsets round((size - crop) / 2) with Python's
 * round-half-to-even. */
cna_status cna__image_center_crop(const cna__image8 *in, size_t height, size_t width,
                                  cna__image8 *out);

/* ToTensor then Normalize: out[c][y][x] = (v / 255.0f - mean[c]) / std[c]
 * in float arithmetic, planar. out holds channels * height * width floats. */
void cna__image_to_float(const cna__image8 *in, const float mean[3], const float std[3],
                         float *out);

#endif /* CNA_IMAGE_H */
