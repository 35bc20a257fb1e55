/*
 * The preprocessing of torchvision 0.14 on PIL images, step by step, to the
 * bit: convert, Resize (PIL 9's bilinear resampling), CenterCrop, ToTensor
 * and Normalize.
 *
 * PIL's resampling (libImaging/Resample.c) works in two separable passes,
 * horizontal first, each rounding to 8 bits. Output pixel i of a pass over
 * an axis of in samples shrunk or stretched to out samples is centred at
 * (i + 0.5) * scale in input coordinates, scale = in / out; it averages the
 * inputs whose centres lie within support = max(scale, 1) of it, weighted by
 * the triangle 1 - |d| / max(scale, 1) (the filter widens when shrinking,
 * which is the antialiasing), with weights normalized to sum to one and
 * then quantized to 22-bit fixed point. The sums start at one half and are
 * shifted back and clamped to 0..255. Reproducing that arithmetic exactly
 * (double coefficients, the same rounding of the window bounds, integer
 * sums) is what makes the result identical, not merely close.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "image/image.h"

#define PRECISION_BITS 22 /* PIL's 32 - 8 - 2 */

static cna_status new_image(size_t width, size_t height, int channels, cna__image8 *out) {
  size_t bytes;
  if (!cna__mul_size(width, height, &bytes) || !cna__mul_size(bytes, (size_t)channels, &bytes))
    return cna__error(CNA_ERROR_TOO_LARGE, "image of %zu x %zu pixels is too large", width,
                      height);
  out->pixels = malloc(bytes ? bytes : 1);
  if (out->pixels == NULL)
    return cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory for an image of %zu x %zu pixels",
                      width, height);
  out->width = width;
  out->height = height;
  out->channels = channels;
  return CNA_OK;
}

cna_status cna__image_convert(const cna__image8 *in, int channels, cna__image8 *out) {
  cna_status st = new_image(in->width, in->height, channels, out);
  if (st != CNA_OK) return st;
  const size_t n = in->width * in->height;
  const unsigned char *p = in->pixels;
  unsigned char *q = out->pixels;
  if (in->channels == channels) {
    memcpy(q, p, n * (size_t)channels);
  } else if (channels == 3) { /* gray to RGB */
    for (size_t i = 0; i < n; i++) q[3 * i] = q[3 * i + 1] = q[3 * i + 2] = p[i];
  } else { /* RGB to L: PIL's L24 */
    for (size_t i = 0; i < n; i++) {
      const uint32_t l = 19595u * p[3 * i] + 38470u * p[3 * i + 1] + 7471u * p[3 * i + 2];
      q[i] = (unsigned char)((l + 0x8000u) >> 16);
    }
  }
  return CNA_OK;
}

/* ------------------------------------------------------------------ resize */

typedef struct coeffs {
  size_t ksize;    /* weights per output sample */
  size_t *first;   /* first input sample of each output sample */
  size_t *count;   /* number of input samples it uses */
  int32_t *weight; /* out * ksize fixed-point weights */
} coeffs;

static void coeffs_free(coeffs *c) {
  free(c->first);
  free(c->count);
  free(c->weight);
}

static double triangle(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

/* PIL's precompute_coeffs and normalize_coeffs_8bpc for the bilinear
 * filter, over the whole axis (box 0..in). */
static cna_status precompute(size_t in, size_t out, coeffs *c) {
  /* PIL computes the box width in float; sizes below 2^24 are exact. */
  const double scale = (double)(float)in / (double)out;
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  const double support = 1.0 * filterscale;
  const double ksize_d = ceil(support) * 2 + 1;
  *c = (coeffs){0};
  size_t cells;
  if (ksize_d > (double)(SIZE_MAX / 8) ||
      !cna__mul_size(out, (size_t)ksize_d, &cells) || cells > SIZE_MAX / sizeof(double))
    return cna__error(CNA_ERROR_TOO_LARGE, "resizing %zu to %zu pixels: filter too large",
                      in, out);
  c->ksize = (size_t)ksize_d;
  c->first = malloc(out * sizeof *c->first);
  c->count = malloc(out * sizeof *c->count);
  c->weight = malloc(cells * sizeof *c->weight);
  double *w = malloc(c->ksize * sizeof *w);
  if (c->first == NULL || c->count == NULL || c->weight == NULL || w == NULL) {
    free(w);
    coeffs_free(c);
    return cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory resizing %zu to %zu pixels",
                      in, out);
  }
  const double ss = 1.0 / filterscale;
  for (size_t xx = 0; xx < out; xx++) {
    const double center = ((double)xx + 0.5) * scale;
    /* (int)(v + 0.5): PIL's rounding of the window, truncating toward zero. */
    double lo = center - support + 0.5, hi = center + support + 0.5;
    size_t xmin = lo < 1.0 ? 0 : (size_t)lo;
    size_t xmax = hi < 1.0 ? 0 : (size_t)hi;
    if (xmax > in) xmax = in;
    const size_t n = xmax > xmin ? xmax - xmin : 0;
    double total = 0.0;
    for (size_t x = 0; x < n; x++) {
      w[x] = triangle(((double)(x + xmin) - center + 0.5) * ss);
      total += w[x];
    }
    int32_t *k = c->weight + xx * c->ksize;
    for (size_t x = 0; x < c->ksize; x++) {
      double v = x < n ? (total != 0.0 ? w[x] / total : w[x]) : 0.0;
      k[x] = (int32_t)(v < 0 ? -0.5 + v * (1 << PRECISION_BITS)
                             : 0.5 + v * (1 << PRECISION_BITS));
    }
    c->first[xx] = xmin;
    c->count[xx] = n;
  }
  free(w);
  return CNA_OK;
}

static unsigned char clip8(int64_t sum) {
  const int64_t v = sum >> PRECISION_BITS;
  return (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* One pass along rows (horizontal) or columns (vertical): out has in's
 * extent on the other axis. */
static void resample_pass(const cna__image8 *in, cna__image8 *out, const coeffs *c,
                          int horizontal) {
  const size_t ch = (size_t)in->channels;
  const size_t in_row = in->width * ch, out_row = out->width * ch;
  for (size_t y = 0; y < out->height; y++) {
    for (size_t x = 0; x < out->width; x++) {
      const size_t i = horizontal ? x : y;
      const int32_t *k = c->weight + i * c->ksize;
      const size_t first = c->first[i], n = c->count[i];
      for (size_t b = 0; b < ch; b++) {
        int64_t sum = 1 << (PRECISION_BITS - 1);
        if (horizontal) {
          const unsigned char *p = in->pixels + y * in_row + first * ch + b;
          for (size_t t = 0; t < n; t++) sum += (int64_t)p[t * ch] * k[t];
        } else {
          const unsigned char *p = in->pixels + first * in_row + x * ch + b;
          for (size_t t = 0; t < n; t++) sum += (int64_t)p[t * in_row] * k[t];
        }
        out->pixels[y * out_row + x * ch + b] = clip8(sum);
      }
    }
  }
}

cna_status cna__image_resize(const cna__image8 *in, size_t shorter_side, uint64_t max_pixels,
                             cna__image8 *out) {
  /* torchvision's _compute_resized_output_size: int(size * long / short)
   * in Python: an exact product, a correctly rounded division, truncation. */
  const size_t w = in->width, h = in->height;
  const size_t shorter = w <= h ? w : h, longer = w <= h ? h : w;
  const double new_long_d = (double)((uint64_t)shorter_side * longer) / (double)shorter;
  if (new_long_d >= 9007199254740992.0 || (uint64_t)new_long_d > max_pixels / shorter_side)
    return cna__error(CNA_ERROR_TOO_LARGE,
                      "resizing %zu x %zu pixels to a shorter side of %zu would make %.0f "
                      "pixels, over the limit of %llu (cna_image_options_set_limits)",
                      w, h, shorter_side, new_long_d * (double)shorter_side,
                      (unsigned long long)max_pixels);
  const size_t new_long = (size_t)new_long_d;
  const size_t new_w = w <= h ? shorter_side : new_long;
  const size_t new_h = w <= h ? new_long : shorter_side;

  cna_status st;
  if (new_w == w && new_h == h) return cna__image_convert(in, in->channels, out);
  coeffs horiz = {0}, vert = {0};
  cna__image8 temp = {0};
  const cna__image8 *src = in;
  if (new_w != w) {
    st = precompute(w, new_w, &horiz);
    if (st != CNA_OK) return st;
    st = new_image(new_w, h, in->channels, &temp);
    if (st != CNA_OK) goto done;
    resample_pass(in, &temp, &horiz, 1);
    src = &temp;
  }
  if (new_h != h) {
    st = precompute(h, new_h, &vert);
    if (st != CNA_OK) goto done;
    st = new_image(new_w, new_h, in->channels, out);
    if (st != CNA_OK) goto done;
    resample_pass(src, out, &vert, 0);
  } else {
    *out = temp;
    temp.pixels = NULL;
  }
done:
  coeffs_free(&horiz);
  coeffs_free(&vert);
  cna__image8_free(&temp);
  return st;
}

/* -------------------------------------------------------------------- crop */

/* int(round(d / 2.0)) in Python: halves go to the even neighbour. */
static size_t half_to_even(size_t d) {
  const size_t k = d / 2;
  return d % 2 == 0 ? k : k % 2 == 0 ? k : k + 1;
}

cna_status cna__image_center_crop(const cna__image8 *in, size_t height, size_t width,
                                  cna__image8 *out) {
  /* torchvision pads the smaller sides first (left/top get the floor half),
   * then crops the padded image with rounded offsets; the two together
   * place input pixel (x, y) at (x - left, y - top) with these offsets
   * (negative when padded). */
  const size_t pad_left = width > in->width ? (width - in->width) / 2 : 0;
  const size_t pad_top = height > in->height ? (height - in->height) / 2 : 0;
  const size_t padded_w = width > in->width ? width : in->width;
  const size_t padded_h = height > in->height ? height : in->height;
  const size_t left = half_to_even(padded_w - width), top = half_to_even(padded_h - height);
  cna_status st = new_image(width, height, in->channels, out);
  if (st != CNA_OK) return st;
  const size_t ch = (size_t)in->channels;
  memset(out->pixels, 0, width * height * ch);
  for (size_t y = 0; y < height; y++) {
    /* row y of the crop is row top + y of the padded image */
    const size_t py = top + y;
    if (py < pad_top || py - pad_top >= in->height) continue;
    const size_t iy = py - pad_top;
    for (size_t x = 0; x < width; x++) {
      const size_t px = left + x;
      if (px < pad_left || px - pad_left >= in->width) continue;
      memcpy(out->pixels + (y * width + x) * ch,
             in->pixels + (iy * in->width + (px - pad_left)) * ch, ch);
    }
  }
  return CNA_OK;
}

/* ------------------------------------------------------------------ floats */

void cna__image_to_float(const cna__image8 *in, const float mean[3], const float std[3],
                         float *out) {
  const size_t plane = in->width * in->height, ch = (size_t)in->channels;
  for (size_t c = 0; c < ch; c++) {
    const float m = mean[c], s = std[c];
    float *q = out + c * plane;
    for (size_t i = 0; i < plane; i++) {
      /* ToTensor's div(255), then Normalize's sub_(mean).div_(std), each a
       * float32 operation as in PyTorch. */
      const float x = (float)in->pixels[i * ch + c] / 255.0f;
      q[i] = (x - m) / s;
    }
  }
}
