/* Writes the committed seed corpora of the fuzz targets (make fuzz-seeds):
 *  corpus/load:    tiny .cna files, one per layer type (raw), a few deflated,
 *                  and the every-layer net raw and deflated;
 *  corpus/builder: one program per layer type for fuzz_builder's byte
 *                  language (a 3x16x16 input, the layer with small
 *                  attributes, a build), and a program adding them all;
 *  corpus/png:     fuzz_png's options byte, then a PNG file: each PNG named
 *                  on the command line (the PNGs of tests/image), and hand-made
 *                  hostile files (png_seeds below).
 * usage: make_seeds DIR [PNG...] (DIR/load, DIR/builder and DIR/png must
 * exist). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "cnnarch.h"
#include "support/every_layer.h"

static const char *dir;

static void write_seed(const char *sub, const char *name, const void *data, size_t size) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
  FILE *f = fopen(path, "wb");
  if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
    fprintf(stderr, "make_seeds: cannot write %s\n", path);
    exit(1);
  }
}

static void save_seed(const cna_net *net, const char *name, int level) {
  void *data;
  size_t size;
  if (cna_net_save_to_memory(net, level, &data, &size) != CNA_OK) {
    fprintf(stderr, "make_seeds: %s: %s\n", name, cna_last_error_message());
    exit(1);
  }
  write_seed("load", name, data, size);
  cna_free(data);
}

/* A 2x5x5 input and one layer (two for the merges), as a file. */
static void layer_seed(const char *name, int level, cna_status (*add)(cna_builder *)) {
  cna_builder *b;
  cna_net *net;
  if (cna_builder_create(&b) != CNA_OK || cna_builder_input(b, "x", 2, 5, 5) != CNA_OK ||
      add(b) != CNA_OK || cna_builder_build(b, NULL, &net) != CNA_OK) {
    fprintf(stderr, "make_seeds: %s: %s\n", name, cna_last_error_message());
    exit(1);
  }
  cna_builder_destroy(b);
  save_seed(net, name, level);
  cna_net_destroy(net);
}

static cna_status conv(cna_builder *b) { return cna_builder_conv2d(b, "c", NULL, 3, 3, 1, 1, 1); }
static cna_status conv_ex(cna_builder *b) {
  return cna_builder_conv2d_ex(b, "c", NULL, 4, 3, 2, 2, 1, 1, 0, 1, 2, 2, 0);
}
static cna_status max_pool(cna_builder *b) { return cna_builder_max_pool2d(b, "p", NULL, 3, 2, 1, 1); }
static cna_status avg_pool(cna_builder *b) {
  return cna_builder_avg_pool2d(b, "p", NULL, 2, 2, 1, 1, 0);
}
static cna_status adaptive(cna_builder *b) {
  return cna_builder_adaptive_avg_pool2d(b, "p", NULL, 2, 3);
}
static cna_status global(cna_builder *b) { return cna_builder_global_avg_pool(b, "g", NULL); }
static cna_status lrn(cna_builder *b) { return cna_builder_lrn(b, "n", NULL, 2, 1e-4f, 0.75f, 2.0f); }
static cna_status batch_norm(cna_builder *b) { return cna_builder_batch_norm(b, "bn", NULL, 1e-5f); }
static cna_status relu(cna_builder *b) { return cna_builder_relu(b, "r", NULL); }
static cna_status tanh_(cna_builder *b) { return cna_builder_tanh(b, "t", NULL); }
static cna_status dropout(cna_builder *b) { return cna_builder_dropout(b, "d", NULL, 0.5f); }
static cna_status fc(cna_builder *b) { return cna_builder_fully_connected(b, "fc", NULL, 4, 1); }
static cna_status flatten(cna_builder *b) { return cna_builder_flatten(b, "f", NULL); }
static cna_status softmax(cna_builder *b) { return cna_builder_softmax(b, "s", NULL); }
static cna_status concat(cna_builder *b) {
  const char *const inputs[] = {"x", "r"};
  cna_status s = cna_builder_relu(b, "r", NULL);
  return s != CNA_OK ? s : cna_builder_concat(b, "cat", inputs, 2);
}
static cna_status add(cna_builder *b) {
  cna_status s = cna_builder_relu(b, "r", NULL);
  return s != CNA_OK ? s : cna_builder_add(b, "sum", "x", "r");
}
static cna_status channel_pad(cna_builder *b) {
  return cna_builder_channel_pad(b, "cp", NULL, 1, 2);
}

static const struct {
  const char *name;
  cna_status (*add)(cna_builder *);
} layers[] = {
    {"conv2d", conv},        {"conv2d_ex", conv_ex}, {"max_pool2d", max_pool},
    {"avg_pool2d", avg_pool}, {"adaptive_avg_pool2d", adaptive}, {"global_avg_pool", global},
    {"lrn", lrn},            {"batch_norm", batch_norm}, {"relu", relu},
    {"tanh", tanh_},         {"dropout", dropout},   {"fully_connected", fc},
    {"flatten", flatten},    {"softmax", softmax},   {"concat", concat},
    {"add", add},            {"channel_pad", channel_pad},
};

/* fuzz_builder's language (see fuzz_builder.c): a first byte not divisible
 * by 4 and three bytes make the input 3x16x16; then per layer: step 0
 * (add a layer), the op, a new name 'a'+k, the input NULL (the last layer),
 * then the op's arguments as small integers (byte % 12) or float table
 * indices; 15 builds. */
static const unsigned char builder_ops[][16] = {
    /* op, then arguments */
    {1, 8, 3, 1, 1, 1},                   /* conv2d: out 8, k 3, stride 1, pad 1, bias */
    {2, 6, 3, 1, 2, 1, 1, 0, 1, 2, 1, 0}, /* conv2d_ex */
    {3, 3, 2, 1, 0},                      /* max_pool2d */
    {4, 3, 2, 1, 1, 1},                   /* avg_pool2d */
    {5, 4, 3},                            /* adaptive_avg_pool2d */
    {6},                                  /* global_avg_pool */
    {7, 5, 3, 6, 7},                      /* lrn: size 5, alpha 1e-3, beta 0.75, k 1 */
    {8, 2},                               /* batch_norm eps 1e-5 */
    {9},                                  /* relu */
    {10},                                 /* tanh */
    {11, 5},                              /* dropout 0.5 */
    {12, 10, 1},                          /* fully_connected */
    {13},                                 /* flatten */
    {14},                                 /* softmax */
    {15, 2, 2, 0, 2, 1},                  /* concat of two existing layers */
    {16, 2, 0},                           /* add (last, existing layer 0) */
    {17, 1, 2},                           /* channel_pad */
};
static const size_t builder_op_size[] = {6, 12, 5, 6, 3, 1, 5, 2, 1, 1, 2, 3, 1, 1, 6, 3, 3};

static size_t builder_step(unsigned char *p, size_t k) {
  size_t n = 0;
  p[n++] = 0;                     /* add a layer */
  p[n++] = builder_ops[k][0];     /* op */
  p[n++] = 8, p[n++] = (unsigned char)(k % 8), p[n++] = (unsigned char)(k / 8 % 4); /* name */
  p[n++] = 0;                     /* input: the last layer */
  for (size_t i = 1; i < builder_op_size[k]; i++) p[n++] = builder_ops[k][i];
  return n;
}

/* ------------------------------------------------------------------ PNG */

typedef struct bytes {
  unsigned char data[16384];
  size_t n;
} bytes;

static void put(bytes *b, const void *p, size_t n) {
  if (n > sizeof b->data - b->n) {
    fprintf(stderr, "make_seeds: a PNG seed over %zu bytes\n", sizeof b->data);
    exit(1);
  }
  memcpy(b->data + b->n, p, n);
  b->n += n;
}

static void put_be32(bytes *b, uint32_t v) {
  const unsigned char p[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                              (unsigned char)(v >> 8), (unsigned char)v};
  put(b, p, 4);
}

/* A chunk: length, type, data, and its CRC (xor flip, to damage it). */
static void chunk(bytes *b, const char *type, const void *data, uint32_t len, uint32_t flip) {
  put_be32(b, len);
  const size_t at = b->n;
  put(b, type, 4);
  put(b, data, len);
  put_be32(b, (uint32_t)crc32(0L, b->data + at, len + 4) ^ flip);
}

static void signature(bytes *b) { put(b, "\x89PNG\r\n\x1a\n", 8); }

static void ihdr(bytes *b, uint32_t w, uint32_t h, int depth, int color, int interlace) {
  unsigned char d[13] = {0};
  for (int i = 0; i < 4; i++) {
    d[i] = (unsigned char)(w >> (24 - 8 * i));
    d[4 + i] = (unsigned char)(h >> (24 - 8 * i));
  }
  d[8] = (unsigned char)depth, d[9] = (unsigned char)color, d[12] = (unsigned char)interlace;
  chunk(b, "IHDR", d, 13, 0);
}

/* An IDAT of raw (filter bytes included), deflated at level 9. */
static void idat(bytes *b, const unsigned char *raw, size_t n) {
  static unsigned char z[16384];
  uLongf zn = sizeof z;
  if (compress2(z, &zn, raw, (uLong)n, 9) != Z_OK) exit(1);
  chunk(b, "IDAT", z, (uint32_t)zn, 0);
}

/* The scanlines of a w x h image of bpp bytes per pixel (depth >= 8),
 * filter type filter on each row, interlaced with Adam7 or not; samples
 * are a fixed pattern. Returns the byte count. */
static size_t scanlines(unsigned char *raw, size_t w, size_t h, size_t bpp, int adam7,
                        int filter) {
  static const size_t x0[7] = {0, 4, 0, 2, 0, 1, 0}, y0[7] = {0, 0, 4, 0, 2, 0, 1},
                      dx[7] = {8, 8, 4, 4, 2, 2, 1}, dy[7] = {8, 8, 8, 4, 4, 2, 2};
  size_t n = 0;
  for (int pass = adam7 ? 0 : 6; pass < 7; pass++) {
    const size_t px = adam7 ? x0[pass] : 0, py = adam7 ? y0[pass] : 0;
    const size_t sx = adam7 ? dx[pass] : 1, sy = adam7 ? dy[pass] : 1;
    if (px >= w || py >= h) continue;
    for (size_t y = py; y < h; y += sy) {
      raw[n++] = (unsigned char)filter;
      for (size_t x = px; x < w; x += sx)
        for (size_t k = 0; k < bpp; k++) raw[n++] = (unsigned char)(x * 37 + y * 11 + k * 101);
    }
  }
  return n;
}

/* The offset of the first chunk of that type (its length field). */
static size_t find_chunk(const bytes *b, const char *type) {
  size_t at = 8;
  while (at + 12 <= b->n) {
    const uint32_t len = (uint32_t)b->data[at] << 24 | (uint32_t)b->data[at + 1] << 16 |
                         (uint32_t)b->data[at + 2] << 8 | b->data[at + 3];
    if (memcmp(b->data + at + 4, type, 4) == 0) return at;
    at += 12 + (size_t)len;
  }
  fprintf(stderr, "make_seeds: no %s chunk\n", type);
  exit(1);
}

static void read_png(const char *path, bytes *b) {
  FILE *f = fopen(path, "rb");
  b->n = f != NULL ? fread(b->data, 1, sizeof b->data, f) : 0;
  if (f == NULL || ferror(f) || !feof(f) || b->n < 8) {
    fprintf(stderr, "make_seeds: cannot read %s (or over %zu bytes)\n", path, sizeof b->data);
    exit(1);
  }
  fclose(f);
}

/* fuzz_png's input: the options byte, then the file. */
static void png_seed(const char *name, unsigned options, const bytes *b) {
  static unsigned char buf[sizeof ((bytes *)0)->data + 1];
  buf[0] = (unsigned char)options;
  memcpy(buf + 1, b->data, b->n);
  write_seed("png", name, buf, b->n + 1);
}

/* Hostile files: one per class of damage the reader must refuse cleanly,
 * and the rare formats (16-bit Adam7 at odd sizes). base is rgb8.png,
 * palette is palette8.png. */
static void png_seeds(const bytes *base, const bytes *palette) {
  static unsigned char raw[8192];
  bytes b;
  size_t at;

  b = *base; b.n /= 2;                       png_seed("truncated-in-idat", 0, &b);
  b = *base; b.n = 20;                       png_seed("truncated-in-ihdr", 0, &b);
  b = *base; b.n -= 12;                      png_seed("no-iend", 0, &b);
  b = *base; at = find_chunk(&b, "IDAT");
  b.data[at + 8 + ((size_t)b.data[at + 2] << 8 | b.data[at + 3])] ^= 1;
  png_seed("bad-crc-idat", 0, &b);
  b = *base; b.data[29] ^= 1;                png_seed("bad-crc-ihdr", 0, &b);
  /* A text-mode transfer's CRLF -> LF. */
  b = *base; memmove(b.data + 4, b.data + 5, b.n - 5), b.n--;
  png_seed("signature-crlf", 0, &b);

  /* Headers over the limits, each with a little real data behind it. */
  b.n = 0, signature(&b), ihdr(&b, 0x7FFFFFFF, 0x7FFFFFFF, 8, 0, 0);
  idat(&b, raw, scanlines(raw, 64, 1, 1, 0, 0)), chunk(&b, "IEND", "", 0, 0);
  png_seed("ihdr-2e31-square", 0, &b);
  b.n = 0, signature(&b), ihdr(&b, 0x80000000u, 1, 8, 0, 0), chunk(&b, "IEND", "", 0, 0);
  png_seed("ihdr-width-2e31", 0, &b);
  b.n = 0, signature(&b), ihdr(&b, 0, 5, 8, 0, 0), chunk(&b, "IEND", "", 0, 0);
  png_seed("ihdr-width-0", 0, &b);
  b.n = 0, signature(&b), ihdr(&b, 1000000, 1, 8, 2, 0), chunk(&b, "IEND", "", 0, 0);
  png_seed("ihdr-row-1e6", 0, &b);
  /* A decompression bomb: 2048 x 2048 gray of zeros, 4 MB from about 4 KB
   * (over the harness's cap, under the default one). */
  {
    static unsigned char zeros[2049 * 2048];
    b.n = 0, signature(&b), ihdr(&b, 2048, 2048, 8, 0, 0);
    idat(&b, zeros, sizeof zeros), chunk(&b, "IEND", "", 0, 0);
    png_seed("bomb-2048-square", 0, &b);
    /* And one that declares 1 x 1 pixel but inflates to 256 KB. */
    b.n = 0, signature(&b), ihdr(&b, 1, 1, 8, 0, 0);
    idat(&b, zeros, 1 << 18), chunk(&b, "IEND", "", 0, 0);
    png_seed("idat-inflates-past-the-image", 0, &b);
  }

  /* Palettes: none at all, too short for the indices used. */
  b = *palette; at = find_chunk(&b, "PLTE");
  {
    const size_t len = 12 + ((size_t)b.data[at + 2] << 8 | b.data[at + 3]);
    memmove(b.data + at, b.data + at + len, b.n - at - len);
    b.n -= len;
  }
  png_seed("palette-without-plte", 0, &b);
  {
    const unsigned char two[6] = {255, 0, 0, 0, 0, 255};
    b.n = 0, signature(&b), ihdr(&b, 4, 4, 8, 3, 0), chunk(&b, "PLTE", two, 6, 0);
    idat(&b, raw, scanlines(raw, 4, 4, 1, 0, 0)), chunk(&b, "IEND", "", 0, 0);
    png_seed("palette-index-past-plte", 0, &b);
  }

  /* 16-bit Adam7 at sizes smaller than the passes: RGB 5 x 3, gray+alpha
   * 1 x 9, RGBA 9 x 1 with the Paeth filter. */
  b.n = 0, signature(&b), ihdr(&b, 5, 3, 16, 2, 1);
  idat(&b, raw, scanlines(raw, 5, 3, 6, 1, 0)), chunk(&b, "IEND", "", 0, 0);
  png_seed("rgb16-adam7-5x3", 0, &b);
  b.n = 0, signature(&b), ihdr(&b, 1, 9, 16, 4, 1);
  idat(&b, raw, scanlines(raw, 1, 9, 4, 1, 1)), chunk(&b, "IEND", "", 0, 0);
  png_seed("gray-alpha16-adam7-1x9", 0x08, &b);
  b.n = 0, signature(&b), ihdr(&b, 9, 1, 16, 6, 1);
  idat(&b, raw, scanlines(raw, 9, 1, 8, 1, 4)), chunk(&b, "IEND", "", 0, 0);
  png_seed("rgba16-adam7-9x1-paeth", 0x06, &b);

  /* Damaged structure behind good CRCs. */
  b.n = 0, signature(&b), ihdr(&b, 4, 4, 8, 0, 0);
  idat(&b, raw, scanlines(raw, 4, 4, 1, 0, 7)), chunk(&b, "IEND", "", 0, 0);
  png_seed("filter-type-7", 0, &b);
  b.n = 0, signature(&b), ihdr(&b, 4, 4, 8, 0, 0);
  chunk(&b, "IDAT", "\x78\x9c\xff\xff\xff\xff", 6, 0), chunk(&b, "IEND", "", 0, 0);
  png_seed("idat-bad-deflate", 0, &b);
  b.n = 0, signature(&b), ihdr(&b, 4, 4, 8, 0, 0);
  put_be32(&b, 0x7FFFFFF0u), put(&b, "tEXt", 4), put(&b, "hostile", 7);
  png_seed("chunk-length-2e31", 0, &b);
  b.n = 0, signature(&b), ihdr(&b, 4, 4, 7, 0, 0), chunk(&b, "IEND", "", 0, 0);
  png_seed("bit-depth-7", 0, &b);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: make_seeds DIR [PNG...]\n");
    return 2;
  }
  dir = argv[1];
  bytes base = {.n = 0}, palette = {.n = 0};
  for (int i = 2; i < argc; i++) {
    static bytes b;
    read_png(argv[i], &b);
    const char *name = strrchr(argv[i], '/') != NULL ? strrchr(argv[i], '/') + 1 : argv[i];
    /* Options vary over the files: each preprocessing, both channel
     * counts, and every fifth file under the small limits. */
    const int k = i - 2;
    png_seed(name, (unsigned)(k % 16) | (k % 5 == 4 ? 0x10u : 0u), &b);
    if (strcmp(name, "rgb8.png") == 0) base = b;
    if (strcmp(name, "palette8.png") == 0) palette = b;
  }
  if (base.n > 0 && palette.n > 0) png_seeds(&base, &palette);
  else if (argc > 2) fprintf(stderr, "make_seeds: no rgb8.png and palette8.png: no hostile PNG seeds\n");
  for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
    char name[64];
    snprintf(name, sizeof name, "%s.cna", layers[i].name);
    layer_seed(name, 0, layers[i].add);
  }
  layer_seed("conv2d.deflated.cna", 9, conv);
  layer_seed("batch_norm.deflated.cna", 1, batch_norm);
  layer_seed("concat.deflated.cna", 6, concat);
  cna_net *net;
  if (cna_test_every_layer_net(1, &net) != CNA_OK) return 1;
  save_seed(net, "every_layer.cna", 0);
  save_seed(net, "every_layer.deflated.cna", 9);
  cna_net_destroy(net);

  unsigned char program[1024];
  size_t all = 0;
  program[all++] = 1, program[all++] = 2, program[all++] = 15, program[all++] = 15;
  for (size_t k = 0; k < sizeof builder_ops / sizeof builder_ops[0]; k++) {
    unsigned char one[64] = {1, 2, 15, 15};
    size_t n = 4 + builder_step(one + 4, k);
    one[n++] = 15; /* build */
    char name[64];
    snprintf(name, sizeof name, "%s", layers[k].name);
    write_seed("builder", name, one, n);
    all += builder_step(program + all, k);
  }
  program[all++] = 15;
  write_seed("builder", "all_layers", program, all);
  return 0;
}
