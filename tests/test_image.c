/* Images in, answers out: PNG decoding (every colour type, bit depth and
 * interlacing) and preprocessing against torchvision's own output
 * (tests/image/reference.*, from make_reference.py), hostile PNGs, image
 * options and presets, labels files, and classification. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, mkfifo */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "tests.h"

#define IMAGES CNA_SOURCE_DIR "/tests/image"
#define LABELS CNA_SOURCE_DIR "/data/labels"

/* The stated tolerance of preprocessing parity with torchvision, in
 * normalized units. The implementation repeats PIL's integer arithmetic
 * and PyTorch's float32 operations, so the measured difference is 0 (the
 * floats are bit-identical); the bound leaves room for a compiler that
 * contracts (x - m) / s differently. */
#define PARITY_TOLERANCE 1e-6

/* ------------------------------------------------------------- helpers */

typedef struct bytes {
  unsigned char *p;
  size_t n;
} bytes;

static bytes read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  bytes b = {NULL, 0};
  size_t cap = 0;
  for (;;) {
    if (b.n == cap) {
      cap = cap ? 2 * cap : 4096;
      b.p = realloc(b.p, cap);
      ck_assert_ptr_nonnull(b.p);
    }
    size_t got = fread(b.p + b.n, 1, cap - b.n, f);
    if (got == 0) break;
    b.n += got;
  }
  fclose(f);
  return b;
}

/* An exact-size copy of n bytes of data, so the sanitizers see any read
 * past the end. */
static bytes copy_of(const void *data, size_t n) {
  bytes b = {malloc(n ? n : 1), n};
  ck_assert_ptr_nonnull(b.p);
  if (n) memcpy(b.p, data, n);
  return b;
}

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

/* Offset of the first chunk of that type (its length field). */
static size_t find_chunk(const bytes *png, const char *type) {
  size_t at = 8;
  while (at + 12 <= png->n) {
    if (memcmp(png->p + at + 4, type, 4) == 0) return at;
    at += 12 + be32(png->p + at);
  }
  ck_abort_msg("no %s chunk", type);
  return 0;
}

/* Recomputes the CRC of the chunk at offset at. */
static void fix_crc(bytes *png, size_t at) {
  const uint32_t len = be32(png->p + at);
  put_be32(png->p + at + 8 + len, (uint32_t)crc32(0, png->p + at + 4, len + 4));
}

/* A minimal PNG writer for the hostile cases: IHDR, optional PLTE, one
 * IDAT of the given raw (filtered) scanlines, IEND. */
static bytes make_png(uint32_t width, uint32_t height, int depth, int color_type,
                      const unsigned char *palette, int palette_entries,
                      const unsigned char *raw, size_t raw_size) {
  uLongf z = compressBound(raw_size);
  unsigned char *zdata = malloc(z);
  ck_assert_ptr_nonnull(zdata);
  ck_assert_int_eq(compress2(zdata, &z, raw, raw_size, 9), Z_OK);
  const size_t plte = palette ? 12 + 3 * (size_t)palette_entries : 0;
  bytes b = {calloc(1, 8 + 25 + plte + 12 + z + 12), 8 + 25 + plte + 12 + z + 12};
  ck_assert_ptr_nonnull(b.p);
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  memcpy(b.p, sig, 8);
  unsigned char *p = b.p + 8;
  put_be32(p, 13);
  memcpy(p + 4, "IHDR", 4);
  put_be32(p + 8, width);
  put_be32(p + 12, height);
  p[16] = (unsigned char)depth;
  p[17] = (unsigned char)color_type;
  fix_crc(&b, 8);
  size_t at = 8 + 25;
  if (palette) {
    put_be32(b.p + at, 3 * (uint32_t)palette_entries);
    memcpy(b.p + at + 4, "PLTE", 4);
    memcpy(b.p + at + 8, palette, 3 * (size_t)palette_entries);
    fix_crc(&b, at);
    at += plte;
  }
  put_be32(b.p + at, (uint32_t)z);
  memcpy(b.p + at + 4, "IDAT", 4);
  memcpy(b.p + at + 8, zdata, z);
  fix_crc(&b, at);
  at += 12 + z;
  memcpy(b.p + at + 4, "IEND", 4);
  fix_crc(&b, at);
  free(zdata);
  return b;
}

/* Loads from memory with the options (NULL: defaults); on success returns
 * the pixels (caller frees with cna_free). */
static cna_status load_mem(const bytes *png, const cna_image_options *opts, float **pixels,
                           size_t shape[3]) {
  *pixels = NULL;
  return cna_image_load_from_memory(png->p, png->n, opts, pixels, shape);
}

/* A refused load: the status, a message with the text, nothing returned. */
static void expect_refused(const bytes *png, const cna_image_options *opts, cna_status status,
                           const char *text) {
  float *sentinel = (float *)&sentinel, *pixels = sentinel;
  size_t shape[3] = {7, 7, 7};
  ck_assert_status(cna_image_load_from_memory(png->p, png->n, opts, &pixels, shape), status);
  ck_assert_ptr_eq(pixels, sentinel);
  ck_assert_uint_eq(shape[0], 7);
  ck_assert_message_has("PNG in memory");
  if (text != NULL) ck_assert_message_has(text);
}

static cna_image_options *options(void) {
  cna_image_options *opts = NULL;
  ck_assert_ok(cna_image_options_create(&opts));
  ck_assert_ptr_nonnull(opts);
  return opts;
}

/* ------------------------------------------------------------- parity */

typedef struct ref_case {
  char name[64], png[64], preset[32];
  int channels, resize, crop_h, crop_w;
  float mean[3], std[3];
  size_t shape[3];
} ref_case;

/* Every case of tests/image/reference.txt against reference.bin: the
 * outputs of torchvision's transforms on PIL images. */
START_TEST(test_parity_with_torchvision) {
  FILE *f = fopen(IMAGES "/reference.txt", "r");
  ck_assert_ptr_nonnull(f);
  bytes z = read_file(IMAGES "/reference.bin");
  uLongf raw_size = 1 << 22;
  float *ref = malloc(raw_size);
  ck_assert_ptr_nonnull(ref);
  ck_assert_int_eq(uncompress((Bytef *)ref, &raw_size, z.p, z.n), Z_OK);
  free(z.p);
  char line[512];
  size_t offset = 0, cases = 0, values = 0;
  double worst = 0;
  const char *presets_seen[8] = {0};
  size_t num_presets_seen = 0;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#') continue;
    ref_case c;
    int n = sscanf(line, "%63s %63s %31s %d %d %d %d %f %f %f %f %f %f %zu %zu %zu", c.name,
                   c.png, c.preset, &c.channels, &c.resize, &c.crop_h, &c.crop_w, &c.mean[0],
                   &c.mean[1], &c.mean[2], &c.std[0], &c.std[1], &c.std[2], &c.shape[0],
                   &c.shape[1], &c.shape[2]);
    ck_assert_int_eq(n, 16);
    cna_image_options *opts = options();
    if (strcmp(c.preset, "-") != 0) {
      /* A preset by name must give exactly the values torchvision used. */
      ck_assert_ok(cna_image_options_set_preset(opts, c.preset));
      presets_seen[num_presets_seen++] = strdup(c.preset);
    } else {
      ck_assert_ok(cna_image_options_set_channels(opts, c.channels));
      ck_assert_ok(cna_image_options_set_resize(opts, c.resize));
      ck_assert_ok(cna_image_options_set_crop(opts, c.crop_h, c.crop_w));
      ck_assert_ok(cna_image_options_set_normalize(opts, c.mean, c.std));
    }
    char path[256];
    snprintf(path, sizeof path, IMAGES "/%s", c.png);
    float *pixels = NULL;
    size_t shape[3];
    ck_assert_ok(cna_image_load(path, opts, &pixels, shape));
    ck_assert_msg(shape[0] == c.shape[0] && shape[1] == c.shape[1] && shape[2] == c.shape[2],
                  "%s: shape %zux%zux%zu, torchvision %zux%zux%zu", c.name, shape[0], shape[1],
                  shape[2], c.shape[0], c.shape[1], c.shape[2]);
    const size_t count = shape[0] * shape[1] * shape[2];
    ck_assert_uint_le((offset + count) * sizeof(float), raw_size);
    for (size_t i = 0; i < count; i++) {
      const double d = fabs((double)pixels[i] - (double)ref[offset + i]);
      if (d > worst) worst = d;
      ck_assert_msg(d <= PARITY_TOLERANCE, "%s: value %zu (c %zu, y %zu, x %zu) is %.9g, "
                    "torchvision %.9g", c.name, i, i / (shape[1] * shape[2]),
                    i / shape[2] % shape[1], i % shape[2], (double)pixels[i],
                    (double)ref[offset + i]);
    }
    /* The same bytes from memory give the same floats. */
    bytes png = read_file(path);
    float *again = NULL;
    size_t shape2[3];
    ck_assert_ok(load_mem(&png, opts, &again, shape2));
    ck_assert_mem_eq(again, pixels, count * sizeof(float));
    free(png.p);
    cna_free(again);
    cna_free(pixels);
    cna_image_options_destroy(opts);
    offset += count;
    values += count;
    cases++;
  }
  fclose(f);
  ck_assert_uint_eq(offset * sizeof(float), raw_size); /* every reference value used */
  ck_assert_uint_ge(cases, 50);
  ck_assert_uint_eq(num_presets_seen, 4); /* imagenet, cifar, mnist, fashion_mnist */
  for (size_t i = 0; i < num_presets_seen; i++) free((void *)presets_seen[i]);
  free(ref);
  /* Measured: bit-identical. */
  ck_assert_msg(worst == 0.0, "largest difference %.3g over %zu values of %zu cases", worst,
                values, cases);
}
END_TEST

/* Every fixture, decoded without preprocessing, gives v / 255 per channel:
 * checked here on chosen pixels whose values are known from the encoder's
 * bit patterns (gray 1-bit: 0 or 1, scaled to 0 or 255). */
START_TEST(test_decode_scales_low_bit_depths) {
  /* 2 x 2 gray, 2 bits: samples 0, 1, 2, 3 -> 0, 85, 170, 255. */
  const unsigned char raw[] = {0, 0x10 /* 00 01 */, 0, 0xB0 /* 10 11 */};
  bytes png = make_png(2, 2, 2, 0, NULL, 0, raw, sizeof raw);
  float *px;
  size_t shape[3];
  ck_assert_ok(load_mem(&png, NULL, &px, shape));
  ck_assert_uint_eq(shape[0], 3);
  ck_assert_uint_eq(shape[1], 2);
  ck_assert_uint_eq(shape[2], 2);
  const float expect[4] = {0.0f, 85 / 255.0f, 170 / 255.0f, 1.0f};
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < 4; i++) ck_assert_float_eq(px[c * 4 + i], expect[i]);
  cna_free(px);
  free(png.p);
  /* 1 x 1 RGB, 16 bits: the high byte of each sample. */
  const unsigned char raw16[] = {0, 0x12, 0xFF, 0x80, 0x00, 0x01, 0xFF};
  png = make_png(1, 1, 16, 2, NULL, 0, raw16, sizeof raw16);
  ck_assert_ok(load_mem(&png, NULL, &px, shape));
  ck_assert_float_eq(px[0], 0x12 / 255.0f);
  ck_assert_float_eq(px[1], 0x80 / 255.0f);
  ck_assert_float_eq(px[2], 0x01 / 255.0f);
  cna_free(px);
  free(png.p);
}
END_TEST

START_TEST(test_every_fixture_loads_from_path_and_memory) {
  static const char *const names[] = {
      "gray1", "gray2", "gray4", "gray8", "gray16", "gray_alpha8", "gray_alpha16", "rgb8",
      "rgb16", "rgba8", "rgba16", "palette1", "palette2", "palette4", "palette8",
      "gray1_adam7", "gray4_adam7", "gray16_adam7", "gray_alpha8_adam7", "rgb8_adam7",
      "rgba16_adam7", "palette2_adam7", "rgb8_gamma", "rgb8_srgb", "gray8_trns",
      "rgb16_trns", "photo"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    char path[256];
    snprintf(path, sizeof path, IMAGES "/%s.png", names[i]);
    for (int channels = 1; channels <= 3; channels += 2) {
      cna_image_options *opts = options();
      ck_assert_ok(cna_image_options_set_channels(opts, channels));
      float *a = NULL, *b = NULL;
      size_t sa[3], sb[3];
      ck_assert_ok(cna_image_load(path, opts, &a, sa));
      bytes png = read_file(path);
      ck_assert_ok(load_mem(&png, opts, &b, sb));
      ck_assert_uint_eq(sa[0], (size_t)channels);
      ck_assert_mem_eq(sa, sb, sizeof sa);
      ck_assert_mem_eq(a, b, sa[0] * sa[1] * sa[2] * sizeof(float));
      for (size_t j = 0; j < sa[0] * sa[1] * sa[2]; j++)
        ck_assert(a[j] >= 0.0f && a[j] <= 1.0f);
      cna_free(a);
      cna_free(b);
      free(png.p);
      cna_image_options_destroy(opts);
    }
  }
}
END_TEST

/* Interlacing changes the file, never the pixels. */
START_TEST(test_interlaced_equals_plain) {
  /* The fixtures differ in content (different seeds); encode one image
   * both ways here instead: 11 x 9 gray 8-bit, Adam7 by hand. */
  enum { W = 11, H = 9 };
  unsigned char img[H][W];
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) img[y][x] = (unsigned char)(y * 29 + x * 7 + (x * y) % 13);
  unsigned char plain[H * (W + 1)], adam7[H * (W + 1) + 7 * H];
  size_t n = 0;
  for (int y = 0; y < H; y++) {
    plain[y * (W + 1)] = 0;
    memcpy(plain + y * (W + 1) + 1, img[y], W);
  }
  static const int pass[7][4] = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4},
                                 {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};
  for (int p = 0; p < 7; p++) {
    for (int y = pass[p][1]; y < H; y += pass[p][3]) {
      if (pass[p][0] >= W) break;
      adam7[n++] = 0;
      for (int x = pass[p][0]; x < W; x += pass[p][2]) adam7[n++] = img[y][x];
    }
  }
  bytes a = make_png(W, H, 8, 0, NULL, 0, plain, sizeof plain);
  bytes b = make_png(W, H, 8, 0, NULL, 0, adam7, n);
  b.p[8 + 8 + 12] = 1; /* interlace method: Adam7 */
  fix_crc(&b, 8);
  float *pa, *pb;
  size_t sa[3], sb[3];
  ck_assert_ok(load_mem(&a, NULL, &pa, sa));
  ck_assert_ok(load_mem(&b, NULL, &pb, sb));
  ck_assert_mem_eq(sa, sb, sizeof sa);
  ck_assert_mem_eq(pa, pb, 3 * W * H * sizeof(float));
  ck_assert_float_eq(pa[5 * W + 3], img[5][3] / 255.0f);
  cna_free(pa);
  cna_free(pb);
  free(a.p);
  free(b.p);
}
END_TEST

/* ------------------------------------------------------------- hostile */

/* Every truncation of several fixtures (each colour type, interlaced and
 * not, with ancillary chunks) fails cleanly: CORRUPT, with the name. */
START_TEST(test_truncated_at_every_offset) {
  static const char *const names[] = {"gray1", "rgb8_adam7", "palette8", "rgb8_srgb",
                                      "gray16_adam7"};
  size_t tried = 0;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    char path[256];
    snprintf(path, sizeof path, IMAGES "/%s.png", names[i]);
    bytes whole = read_file(path);
    for (size_t cut = 0; cut < whole.n; cut++) {
      bytes part = copy_of(whole.p, cut);
      expect_refused(&part, NULL, CNA_ERROR_CORRUPT, cut == 0 ? "empty" : NULL);
      if (cut >= 33) ck_assert_message_has("truncated");
      free(part.p);
      tried++;
    }
    free(whole.p);
  }
  ck_assert_uint_gt(tried, 1000);
}
END_TEST

START_TEST(test_truncated_file_on_disk) {
  bytes whole = read_file(IMAGES "/rgb8.png");
  char dir[] = "/tmp/cna_image_XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char path[64];
  snprintf(path, sizeof path, "%s/cut.png", dir);
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  fwrite(whole.p, 1, whole.n - 20, f);
  fclose(f);
  float *px = NULL;
  size_t shape[3];
  ck_assert_status(cna_image_load(path, NULL, &px, shape), CNA_ERROR_CORRUPT);
  ck_assert_message_has("cut.png");
  ck_assert_message_has("truncated PNG: the data ends after");
  ck_assert_ptr_null(px);
  /* A directory, a FIFO (refused without waiting for a writer), a missing
   * file. */
  ck_assert_status(cna_image_load(dir, NULL, &px, shape), CNA_ERROR_IO);
  ck_assert_message_has("directory");
  char fifo[64];
  snprintf(fifo, sizeof fifo, "%s/fifo.png", dir);
  ck_assert_int_eq(mkfifo(fifo, 0600), 0);
  ck_assert_status(cna_image_load(fifo, NULL, &px, shape), CNA_ERROR_IO);
  ck_assert_message_has("not a regular file");
  remove(fifo);
  remove(path);
  rmdir(dir);
  ck_assert_status(cna_image_load(path, NULL, &px, shape), CNA_ERROR_IO);
  ck_assert_message_has("cannot open");
  ck_assert_message_has("No such file");
  free(whole.p);
}
END_TEST

START_TEST(test_bad_crc) {
  bytes png = read_file(IMAGES "/rgb8_gamma.png");
  /* IHDR's CRC: refused by our header check. */
  bytes b = copy_of(png.p, png.n);
  b.p[29] ^= 0x01;
  expect_refused(&b, NULL, CNA_ERROR_CORRUPT, "IHDR checksum mismatch");
  free(b.p);
  /* The stored CRC of IDAT: libpng's check. */
  b = copy_of(png.p, png.n);
  size_t at = find_chunk(&b, "IDAT");
  b.p[at + 8 + be32(b.p + at)] ^= 0x40;
  expect_refused(&b, NULL, CNA_ERROR_CORRUPT, "CRC error");
  ck_assert_message_has("damaged PNG");
  free(b.p);
  /* An ancillary chunk (gAMA), which we do not even use: also refused,
   * as PIL refuses it. */
  b = copy_of(png.p, png.n);
  at = find_chunk(&b, "gAMA");
  b.p[at + 8] ^= 0x01;
  expect_refused(&b, NULL, CNA_ERROR_CORRUPT, "CRC error");
  free(b.p);
  free(png.p);
}
END_TEST

START_TEST(test_huge_dimensions_refused_from_the_header) {
  /* 100000 x 100000 declared, a few bytes of data: TOO_LARGE at once. */
  const unsigned char raw[2] = {0, 0};
  bytes b = make_png(1, 1, 8, 0, NULL, 0, raw, sizeof raw);
  put_be32(b.p + 16, 100000);
  put_be32(b.p + 20, 100000);
  fix_crc(&b, 8);
  expect_refused(&b, NULL, CNA_ERROR_TOO_LARGE, "100000 x 100000 pixels is over the limits");
  ck_assert_message_has("cna_image_options_set_limits");
  /* A row wider than the limit, even with few pixels. */
  put_be32(b.p + 16, 70000);
  put_be32(b.p + 20, 1);
  fix_crc(&b, 8);
  expect_refused(&b, NULL, CNA_ERROR_TOO_LARGE, "rows of 65536");
  /* Raising the limits lets the header through; the tiny data then does
   * not fill the image: CORRUPT, not a crash or a huge allocation. */
  cna_image_options *opts = options();
  ck_assert_ok(cna_image_options_set_limits(opts, 1u << 20, 100000));
  expect_refused(&b, opts, CNA_ERROR_CORRUPT, "damaged PNG");
  /* The largest PNG dimensions. */
  put_be32(b.p + 16, 0x7FFFFFFF);
  put_be32(b.p + 20, 0x7FFFFFFF);
  fix_crc(&b, 8);
  expect_refused(&b, NULL, CNA_ERROR_TOO_LARGE, "over the limits");
  put_be32(b.p + 16, 0x80000000u);
  fix_crc(&b, 8);
  expect_refused(&b, NULL, CNA_ERROR_CORRUPT, "each side must be 1 to 2^31 - 1");
  cna_image_options_destroy(opts);
  free(b.p);
}
END_TEST

/* A real decompression bomb: 4096 x 4096 gray zeros deflate to about 16 KB.
 * With a 1-megapixel limit it is refused before decoding; within the limits
 * it decodes (and the resize keeps the result small). */
START_TEST(test_decompression_bomb) {
  enum { SIDE = 4096 };
  const size_t raw_size = (size_t)SIDE * (SIDE + 1);
  unsigned char *raw = calloc(raw_size, 1);
  ck_assert_ptr_nonnull(raw);
  bytes b = make_png(SIDE, SIDE, 8, 0, NULL, 0, raw, raw_size);
  free(raw);
  ck_assert_uint_lt(b.n, 64 * 1024);
  cna_image_options *opts = options();
  ck_assert_ok(cna_image_options_set_limits(opts, 1u << 20, 8192));
  expect_refused(&b, opts, CNA_ERROR_TOO_LARGE, "4096 x 4096 pixels is over the limits");
  ck_assert_ok(cna_image_options_set_limits(opts, CNA_IMAGE_DEFAULT_MAX_PIXELS,
                                            CNA_IMAGE_DEFAULT_MAX_WIDTH));
  ck_assert_ok(cna_image_options_set_resize(opts, 4));
  float *px;
  size_t shape[3];
  ck_assert_ok(load_mem(&b, opts, &px, shape));
  ck_assert_uint_eq(shape[1], 4);
  ck_assert_uint_eq(shape[2], 4);
  ck_assert_float_eq(px[0], 0.0f);
  cna_free(px);
  cna_image_options_destroy(opts);
  free(b.p);
}
END_TEST

START_TEST(test_zero_width_and_bad_header) {
  const unsigned char raw[2] = {0, 7};
  bytes b = make_png(1, 1, 8, 0, NULL, 0, raw, sizeof raw);
  put_be32(b.p + 16, 0);
  fix_crc(&b, 8);
  expect_refused(&b, NULL, CNA_ERROR_CORRUPT, "IHDR declares 0 x 1 pixels");
  free(b.p);
  /* A bit depth PNG does not have (3), with a valid CRC: libpng refuses. */
  b = make_png(1, 1, 8, 0, NULL, 0, raw, sizeof raw);
  b.p[24] = 3;
  fix_crc(&b, 8);
  expect_refused(&b, NULL, CNA_ERROR_CORRUPT, "damaged PNG");
  free(b.p);
  /* IHDR not first. */
  b = make_png(1, 1, 8, 0, NULL, 0, raw, sizeof raw);
  memcpy(b.p + 12, "IHDX", 4);
  expect_refused(&b, NULL, CNA_ERROR_CORRUPT, "first chunk must be a 13-byte IHDR");
  free(b.p);
  /* Valid CRCs around data that is not a zlib stream. */
  b = make_png(1, 1, 8, 0, NULL, 0, raw, sizeof raw);
  size_t at = find_chunk(&b, "IDAT");
  memset(b.p + at + 8, 0xA5, be32(b.p + at));
  fix_crc(&b, at);
  expect_refused(&b, NULL, CNA_ERROR_CORRUPT, "damaged PNG");
  free(b.p);
  /* A palette image without PLTE. */
  b = make_png(1, 1, 8, 3, NULL, 0, raw, sizeof raw);
  expect_refused(&b, NULL, CNA_ERROR_CORRUPT, "PLTE");
  free(b.p);
}
END_TEST

START_TEST(test_wrong_signature) {
  static const struct {
    const char *data;
    size_t n;
    cna_status status;
    const char *text;
  } cases[] = {
      {"\xFF\xD8\xFF\xE0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0", 20, CNA_ERROR_UNSUPPORTED,
       "is a JPEG image; libcnnarch reads PNG only"},
      {"GIF89a\x01\0\x01\0\0\0\0", 13, CNA_ERROR_UNSUPPORTED, "a GIF image"},
      {"RIFF\x10\0\0\0WEBPVP8 ", 16, CNA_ERROR_UNSUPPORTED, "a WebP image"},
      {"hello, this is text and not an image at all", 43, CNA_ERROR_CORRUPT,
       "is not a PNG file: it starts with bytes 68 65 6c 6c 6f 2c 20 74"},
      {"\x89PNG\n\x1a\n\0\0\0\x0dIHDR", 16, CNA_ERROR_CORRUPT, "text-mode transfer"},
      {"\x89P", 2, CNA_ERROR_CORRUPT, "is not a PNG file"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    bytes b = copy_of(cases[i].data, cases[i].n);
    expect_refused(&b, NULL, cases[i].status, cases[i].text);
    free(b.p);
  }
}
END_TEST

START_TEST(test_palette_index_out_of_range) {
  /* 3 x 2 palette image, 4 colours, one pixel using entry 200. */
  const unsigned char palette[12] = {0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255};
  const unsigned char raw[] = {0, 0, 1, 2, 0, 3, 200, 1};
  bytes b = make_png(3, 2, 8, 3, palette, 4, raw, sizeof raw);
  expect_refused(&b, NULL, CNA_ERROR_CORRUPT,
                 "pixel (1, 1) uses palette entry 200, but the palette (PLTE) has 4 entries");
  free(b.p);
  /* 2-bit indices can name entry 3 of a 3-entry palette. */
  const unsigned char raw2[] = {0, 0x1C /* 00 01 11 */};
  b = make_png(3, 1, 2, 3, palette, 3, raw2, sizeof raw2);
  expect_refused(&b, NULL, CNA_ERROR_CORRUPT, "uses palette entry 3");
  free(b.p);
  /* In range: decodes, colours from the palette. */
  const unsigned char raw3[] = {0, 0x1B /* 00 01 10 11 */};
  b = make_png(4, 1, 2, 3, palette, 4, raw3, sizeof raw3);
  float *px;
  size_t shape[3];
  ck_assert_ok(load_mem(&b, NULL, &px, shape));
  ck_assert_float_eq(px[0 * 4 + 1], 1.0f); /* R of entry 1 */
  ck_assert_float_eq(px[1 * 4 + 2], 1.0f); /* G of entry 2 */
  ck_assert_float_eq(px[2 * 4 + 3], 1.0f); /* B of entry 3 */
  ck_assert_float_eq(px[0 * 4 + 0], 0.0f);
  cna_free(px);
  free(b.p);
}
END_TEST

/* One damaged byte anywhere: never a crash or a leak; a clean status. */
START_TEST(test_bit_flips) {
  bytes png = read_file(IMAGES "/palette2_adam7.png");
  size_t ok = 0, refused = 0;
  for (size_t i = 0; i < png.n; i++) {
    bytes b = copy_of(png.p, png.n);
    b.p[i] ^= 0x10;
    float *px = NULL;
    size_t shape[3];
    cna_status s = load_mem(&b, NULL, &px, shape);
    if (s == CNA_OK) {
      ok++;
      cna_free(px);
    } else {
      refused++;
      ck_assert(s == CNA_ERROR_CORRUPT || s == CNA_ERROR_UNSUPPORTED || s == CNA_ERROR_TOO_LARGE);
      ck_assert_message_has("PNG in memory");
    }
    free(b.p);
  }
  /* CRCs cover every byte after the signature: all are refused. */
  ck_assert_uint_eq(ok, 0);
  ck_assert_uint_eq(refused, png.n);
  free(png.p);
}
END_TEST

START_TEST(test_resize_over_the_limit) {
  /* 1 x 64 image, shorter side to 4096: 4096 x 262144 pixels. */
  unsigned char raw[64 * 2];
  memset(raw, 0, sizeof raw);
  bytes b = make_png(1, 64, 8, 0, NULL, 0, raw, sizeof raw);
  cna_image_options *opts = options();
  ck_assert_ok(cna_image_options_set_resize(opts, 4096));
  expect_refused(&b, opts, CNA_ERROR_TOO_LARGE, "resizing 1 x 64 pixels to a shorter side");
  cna_image_options_destroy(opts);
  free(b.p);
}
END_TEST

/* ------------------------------------------------------------- options */

START_TEST(test_image_options) {
  cna_image_options *opts = options();
  ck_assert_status(cna_image_options_create(NULL), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_image_options_set_channels(opts, 2), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("expected 1 (gray) or 3 (RGB), found 2");
  ck_assert_status(cna_image_options_set_channels(NULL, 3), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_image_options_set_resize(opts, -1), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_image_options_set_resize(opts, CNA_MAX_INPUT_SIZE + 1),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_image_options_set_crop(opts, 0, 5), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("found 0x5");
  const float mean[3] = {0, 0, 0}, bad_std[3] = {1, 0, 1}, nan_mean[3] = {0, NAN, 0};
  ck_assert_status(cna_image_options_set_normalize(opts, mean, bad_std),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("channel 1");
  ck_assert_status(cna_image_options_set_normalize(opts, nan_mean, mean),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_image_options_set_normalize(opts, NULL, mean), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_image_options_set_limits(opts, 0, 10), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_image_options_set_limits(opts, CNA_IMAGE_MAX_PIXELS + 1, 10),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_image_options_set_limits(opts, 10, 0), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_ok(cna_image_options_set_limits(opts, CNA_IMAGE_MAX_PIXELS, CNA_IMAGE_MAX_WIDTH));
  /* Refused settings left the defaults: a plain decode. */
  float *px;
  size_t shape[3];
  ck_assert_ok(cna_image_load(IMAGES "/rgb8.png", opts, &px, shape));
  ck_assert_uint_eq(shape[0], 3);
  ck_assert_uint_eq(shape[1], 9);
  ck_assert_uint_eq(shape[2], 11);
  cna_free(px);
  /* Load argument checks. */
  ck_assert_status(cna_image_load(NULL, opts, &px, shape), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_image_load(IMAGES "/rgb8.png", opts, NULL, shape),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_image_load_from_memory(NULL, 10, opts, &px, shape),
                   CNA_ERROR_INVALID_ARGUMENT);
  cna_image_options_destroy(opts);
  cna_image_options_destroy(NULL);
}
END_TEST

START_TEST(test_presets) {
  size_t n = 0;
  while (cna_image_preset_name(n) != NULL) n++;
  ck_assert_uint_eq(n, 5);
  ck_assert_str_eq(cna_image_preset_name(0), "imagenet");
  cna_image_options *opts = options();
  for (size_t i = 0; i < n; i++) ck_assert_ok(cna_image_options_set_preset(opts, cna_image_preset_name(i)));
  ck_assert_status(cna_image_options_set_preset(opts, "imagnet"), CNA_ERROR_NOT_FOUND);
  ck_assert_message_has("unknown image preset 'imagnet'");
  ck_assert_message_has("did you mean 'imagenet'");
  ck_assert_message_has("'fashion_mnist'");
  ck_assert_status(cna_image_options_set_preset(opts, NULL), CNA_ERROR_INVALID_ARGUMENT);
  /* mnist: one 28 x 28 channel whatever the file. */
  ck_assert_ok(cna_image_options_set_preset(opts, "mnist"));
  float *px;
  size_t shape[3];
  ck_assert_ok(cna_image_load(IMAGES "/photo.png", opts, &px, shape));
  ck_assert_uint_eq(shape[0], 1);
  ck_assert_uint_eq(shape[1], 28);
  ck_assert_uint_eq(shape[2], 28);
  cna_free(px);
  cna_image_options_destroy(opts);
}
END_TEST

/* A builder net of input c x h x w: global pool and a classifier. */
static cna_net *small_net(int c, int h, int w, int classes) {
  cna_builder *b;
  ck_assert_ok(cna_builder_create(&b));
  ck_assert_ok(cna_builder_input(b, "image", c, h, w));
  ck_assert_ok(cna_builder_global_avg_pool(b, "pool", NULL));
  ck_assert_ok(cna_builder_fully_connected(b, "fc", NULL, classes, 1));
  cna_net *net;
  ck_assert_ok(cna_builder_build(b, NULL, &net));
  cna_builder_destroy(b);
  return net;
}

START_TEST(test_fit_net) {
  cna_net *alex = small_net(3, 227, 227, 10), *lenet = small_net(1, 32, 32, 10);
  cna_net *cifar = small_net(3, 32, 32, 10), *odd = small_net(3, 100, 60, 10);
  ck_assert_str_eq(cna_image_preset_for_net(alex), "imagenet");
  ck_assert_str_eq(cna_image_preset_for_net(lenet), "mnist");
  ck_assert_str_eq(cna_image_preset_for_net(cifar), "cifar");
  ck_assert_ptr_null(cna_image_preset_for_net(NULL));
  cna_image_options *opts = options();
  float *px;
  size_t shape[3];
  /* imagenet on 227 x 227: resize round(256 * 227 / 224) = 259, crop 227. */
  ck_assert_ok(cna_image_options_set_preset(opts, "imagenet"));
  ck_assert_ok(cna_image_options_fit_net(opts, alex));
  ck_assert_ok(cna_image_load(IMAGES "/photo.png", opts, &px, shape));
  ck_assert_uint_eq(shape[1], 227);
  ck_assert_uint_eq(shape[2], 227);
  cna_free(px);
  /* ... which is what resize 259 and crop 227 give. */
  cna_image_options *manual = options();
  ck_assert_ok(cna_image_options_set_preset(manual, "imagenet"));
  ck_assert_ok(cna_image_options_set_resize(manual, 259));
  ck_assert_ok(cna_image_options_set_crop(manual, 227, 227));
  float *px2;
  ck_assert_ok(cna_image_load(IMAGES "/photo.png", opts, &px, shape));
  ck_assert_ok(cna_image_load(IMAGES "/photo.png", manual, &px2, shape));
  ck_assert_mem_eq(px, px2, 3 * 227 * 227 * sizeof(float));
  cna_free(px);
  cna_free(px2);
  /* A 3-channel preset on a 1-channel net: advice. */
  ck_assert_status(cna_image_options_fit_net(opts, lenet), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("use preset 'mnist'");
  /* mnist on LeNet's 32 x 32. */
  ck_assert_ok(cna_image_options_set_preset(opts, "mnist"));
  ck_assert_ok(cna_image_options_fit_net(opts, lenet));
  ck_assert_ok(cna_image_load(IMAGES "/gray8.png", opts, &px, shape));
  ck_assert_uint_eq(shape[0], 1);
  ck_assert_uint_eq(shape[1], 32);
  cna_free(px);
  /* No resize and crop: the shorter side becomes max(H, W). */
  ck_assert_ok(cna_image_options_set_preset(opts, "none"));
  ck_assert_ok(cna_image_options_fit_net(opts, odd));
  ck_assert_ok(cna_image_load(IMAGES "/photo.png", opts, &px, shape));
  ck_assert_uint_eq(shape[1], 100);
  ck_assert_uint_eq(shape[2], 60);
  cna_free(px);
  ck_assert_status(cna_image_options_fit_net(opts, NULL), CNA_ERROR_INVALID_ARGUMENT);
  cna_net *four = small_net(4, 8, 8, 2);
  ck_assert_status(cna_image_options_fit_net(opts, four), CNA_ERROR_UNSUPPORTED);
  ck_assert_message_has("4-channel");
  cna_net_destroy(four);
  cna_image_options_destroy(manual);
  cna_image_options_destroy(opts);
  cna_net_destroy(alex);
  cna_net_destroy(lenet);
  cna_net_destroy(cifar);
  cna_net_destroy(odd);
}
END_TEST

/* -------------------------------------------------------------- labels */

START_TEST(test_shipped_labels) {
  static const struct {
    const char *file;
    size_t count;
    const char *first, *last;
  } files[] = {
      {LABELS "/imagenet1k.txt", 1000, "tench", "toilet tissue"},
      {LABELS "/cifar10.txt", 10, "airplane", "truck"},
      {LABELS "/mnist.txt", 10, "0 - zero", "9 - nine"},
      {LABELS "/fashion_mnist.txt", 10, "T-shirt/top", "Ankle boot"},
  };
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    cna_labels *l;
    ck_assert_ok(cna_labels_load(files[i].file, &l));
    size_t count;
    const char *label;
    ck_assert_ok(cna_labels_count(l, &count));
    ck_assert_uint_eq(count, files[i].count);
    ck_assert_ok(cna_labels_get(l, 0, &label));
    ck_assert_str_eq(label, files[i].first);
    ck_assert_ok(cna_labels_get(l, count - 1, &label));
    ck_assert_str_eq(label, files[i].last);
    ck_assert_status(cna_labels_get(l, count, &label), CNA_ERROR_INVALID_ARGUMENT);
    ck_assert_message_has("out of range");
    cna_labels_destroy(l);
  }
  cna_labels *l;
  ck_assert_ok(cna_labels_load(LABELS "/imagenet1k.txt", &l));
  const char *label;
  ck_assert_ok(cna_labels_get(l, 281, &label));
  ck_assert_str_eq(label, "tabby");
  cna_labels_destroy(l);
}
END_TEST

START_TEST(test_labels_parsing) {
  cna_labels *l = NULL;
  size_t count;
  const char *label;
  /* CRLF, trailing blanks, no final newline. */
  const char text[] = "cat\r\ndog  \nsea lion\t";
  ck_assert_ok(cna_labels_load_from_memory(text, strlen(text), &l));
  ck_assert_ok(cna_labels_count(l, &count));
  ck_assert_uint_eq(count, 3);
  ck_assert_ok(cna_labels_get(l, 1, &label));
  ck_assert_str_eq(label, "dog");
  ck_assert_ok(cna_labels_get(l, 2, &label));
  ck_assert_str_eq(label, "sea lion");
  cna_labels_destroy(l);
  /* A final newline adds no label. */
  ck_assert_ok(cna_labels_load_from_memory("a\nb\n", 4, &l));
  ck_assert_ok(cna_labels_count(l, &count));
  ck_assert_uint_eq(count, 2);
  cna_labels_destroy(l);
  /* Refusals, each with what and where. */
  l = NULL;
  ck_assert_status(cna_labels_load_from_memory("a\n\nb\n", 5, &l), CNA_ERROR_CORRUPT);
  ck_assert_message_has("line 2 is empty");
  ck_assert_status(cna_labels_load_from_memory("a\nb\n\n", 5, &l), CNA_ERROR_CORRUPT);
  ck_assert_message_has("line 3 is empty");
  ck_assert_status(cna_labels_load_from_memory("a\0b", 3, &l), CNA_ERROR_CORRUPT);
  ck_assert_message_has("NUL byte at offset 1");
  ck_assert_status(cna_labels_load_from_memory("", 0, &l), CNA_ERROR_CORRUPT);
  ck_assert_message_has("empty");
  ck_assert_ptr_null(l);
  ck_assert_status(cna_labels_load_from_memory(NULL, 3, &l), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_labels_load(LABELS "/nope.txt", &l), CNA_ERROR_IO);
  ck_assert_message_has("labels file");
  ck_assert_message_has("nope.txt");
  ck_assert_status(cna_labels_load(LABELS, &l), CNA_ERROR_IO);
  ck_assert_message_has("directory");
  ck_assert_status(cna_labels_count(NULL, &count), CNA_ERROR_INVALID_ARGUMENT);
  cna_labels_destroy(NULL);
}
END_TEST

/* ------------------------------------------------------------ classify */

/* input 4 x 1 x 1 -> flatten -> fc 4 with identity weights and the given
 * bias: the scores are the input plus the bias. */
static cna_net *identity_net(int softmax_layer) {
  cna_builder *b;
  ck_assert_ok(cna_builder_create(&b));
  ck_assert_ok(cna_builder_input(b, "x", 4, 1, 1));
  ck_assert_ok(cna_builder_fully_connected(b, "fc", NULL, 4, 1));
  if (softmax_layer) ck_assert_ok(cna_builder_softmax(b, "prob", NULL));
  cna_net *net;
  ck_assert_ok(cna_builder_build(b, NULL, &net));
  cna_builder_destroy(b);
  float w[16] = {0}, bias[4] = {0};
  for (int i = 0; i < 4; i++) w[i * 4 + i] = 1;
  size_t t;
  ck_assert_ok(cna_net_find_tensor(net, "fc.weight", &t));
  ck_assert_ok(cna_net_set_tensor(net, t, w, 16));
  ck_assert_ok(cna_net_find_tensor(net, "fc.bias", &t));
  ck_assert_ok(cna_net_set_tensor(net, t, bias, 4));
  return net;
}

START_TEST(test_classify_softmax_and_order) {
  cna_net *net = identity_net(0);
  cna_labels *labels;
  ck_assert_ok(cna_labels_load_from_memory("a\nb\nc\nd\n", 8, &labels));
  /* Two images; the second has a tie between classes 0 and 3. */
  const float x[8] = {1, 3, 2, 0, 2, -1, 0, 2};
  size_t idx[6];
  float p[6];
  const char *names[6];
  ck_assert_ok(cna_net_classify(net, x, 2, labels, 3, idx, p, names));
  const double z = exp(1) + exp(3) + exp(2) + exp(0);
  ck_assert_uint_eq(idx[0], 1);
  ck_assert_uint_eq(idx[1], 2);
  ck_assert_uint_eq(idx[2], 0);
  ck_assert_double_eq_tol(p[0], exp(3) / z, 1e-6);
  ck_assert_double_eq_tol(p[1], exp(2) / z, 1e-6);
  ck_assert_double_eq_tol(p[2], exp(1) / z, 1e-6);
  ck_assert_str_eq(names[0], "b");
  ck_assert_str_eq(names[2], "a");
  ck_assert_uint_eq(idx[3], 0); /* tie: the lower index first */
  ck_assert_uint_eq(idx[4], 3);
  ck_assert_uint_eq(idx[5], 2);
  ck_assert_float_eq(p[3], p[4]);
  ck_assert_str_eq(names[4], "d");
  /* k = all: the probabilities sum to one, in order. */
  size_t all[4];
  float pa[4];
  ck_assert_ok(cna_net_classify(net, x, 1, NULL, 4, all, pa, names));
  ck_assert_ptr_null(names[0]);
  ck_assert_double_eq_tol(pa[0] + pa[1] + pa[2] + pa[3], 1.0, 1e-6);
  ck_assert(pa[0] >= pa[1] && pa[1] >= pa[2] && pa[2] >= pa[3]);
  /* Refusals. */
  ck_assert_status(cna_net_classify(net, x, 1, NULL, 0, idx, p, NULL), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("k is 0");
  ck_assert_status(cna_net_classify(net, x, 1, NULL, 5, idx, p, NULL), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_net_classify(net, NULL, 1, NULL, 1, idx, p, NULL),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_net_classify(net, x, 1, NULL, 1, NULL, p, NULL), CNA_ERROR_INVALID_ARGUMENT);
  cna_labels *ten;
  ck_assert_ok(cna_labels_load(LABELS "/cifar10.txt", &ten));
  ck_assert_status(cna_net_classify(net, x, 1, ten, 1, idx, p, NULL), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("10 labels for a net with 4 outputs");
  cna_labels_destroy(ten);
  /* probabilities and names may be NULL; batch 0 does nothing. */
  ck_assert_ok(cna_net_classify(net, x, 1, labels, 2, idx, NULL, NULL));
  ck_assert_uint_eq(idx[0], 1);
  ck_assert_ok(cna_net_classify(net, x, 0, labels, 2, idx, NULL, NULL));
  cna_labels_destroy(labels);
  cna_net_destroy(net);
}
END_TEST

/* A net ending in a softmax gives probabilities already: used as they are,
 * so they equal what the softmax-less net's classify computes. */
START_TEST(test_classify_softmax_output_layer) {
  cna_net *plain = identity_net(0), *soft = identity_net(1);
  const float x[4] = {0.5f, -2, 4, 1};
  size_t i1[4], i2[4];
  float p1[4], p2[4], raw[4];
  ck_assert_ok(cna_net_classify(plain, x, 1, NULL, 4, i1, p1, NULL));
  ck_assert_ok(cna_net_classify(soft, x, 1, NULL, 4, i2, p2, NULL));
  ck_assert_mem_eq(i1, i2, sizeof i1);
  for (int j = 0; j < 4; j++) ck_assert_double_eq_tol(p1[j], p2[j], 1e-6);
  ck_assert_ok(cna_net_forward(soft, x, 1, raw));
  ck_assert_float_eq(p2[0], raw[2]);
  cna_net_destroy(plain);
  cna_net_destroy(soft);
}
END_TEST

/* From a PNG to classes with a zoo net: the preset for it, the image
 * loaded, classify equal to forward + softmax by hand. */
START_TEST(test_classify_png_with_zoo_net) {
  cna_net *net;
  ck_assert_ok(cna_net_create_arch("resnet20", NULL, &net));
  ck_assert_str_eq(cna_image_preset_for_net(net), "cifar");
  cna_image_options *opts = options();
  ck_assert_ok(cna_image_options_set_preset(opts, cna_image_preset_for_net(net)));
  ck_assert_ok(cna_image_options_fit_net(opts, net));
  float *px;
  size_t shape[3];
  ck_assert_ok(cna_image_load(IMAGES "/photo.png", opts, &px, shape));
  cna_labels *labels;
  ck_assert_ok(cna_labels_load(LABELS "/cifar10.txt", &labels));
  size_t idx[10];
  float p[10], scores[10];
  const char *names[10];
  ck_assert_ok(cna_net_classify(net, px, 1, labels, 10, idx, p, names));
  ck_assert_ok(cna_net_forward(net, px, 1, scores));
  double z = 0;
  for (int j = 0; j < 10; j++) z += exp((double)scores[j]);
  for (int j = 0; j < 10; j++) {
    ck_assert_double_eq_tol(p[j], exp((double)scores[idx[j]]) / z, 1e-6);
    if (j) ck_assert(p[j] <= p[j - 1]);
    ck_assert_ptr_nonnull(names[j]);
  }
  cna_labels_destroy(labels);
  cna_free(px);
  cna_image_options_destroy(opts);
  cna_net_destroy(net);
}
END_TEST

/* Loads and classifications from several threads at once, sharing image
 * options, labels and a net, give what one thread gets. */
typedef struct thread_job {
  cna_net *net;
  const cna_image_options *opts;
  const cna_labels *labels;
  const char *path;
  size_t indices[3];
  float probabilities[3];
  cna_status status;
} thread_job;

static void *classify_job(void *arg) {
  thread_job *job = arg;
  for (int round = 0; round < 4; round++) {
    float *px = NULL;
    size_t shape[3];
    job->status = cna_image_load(job->path, job->opts, &px, shape);
    if (job->status == CNA_OK)
      job->status = cna_net_classify(job->net, px, 1, job->labels, 3, job->indices,
                                     job->probabilities, NULL);
    cna_free(px);
    if (job->status != CNA_OK) break;
  }
  return NULL;
}

START_TEST(test_threads_share_options_labels_and_net) {
  cna_net *net;
  ck_assert_ok(cna_net_create_arch("resnet20", NULL, &net));
  cna_image_options *opts = options();
  ck_assert_ok(cna_image_options_set_preset(opts, "cifar"));
  cna_labels *labels;
  ck_assert_ok(cna_labels_load(LABELS "/cifar10.txt", &labels));
  static const char *const paths[2] = {IMAGES "/photo.png", IMAGES "/rgba16_adam7.png"};
  thread_job alone[2], jobs[6];
  for (int i = 0; i < 2; i++) {
    alone[i] = (thread_job){net, opts, labels, paths[i], {0}, {0}, CNA_OK};
    classify_job(&alone[i]);
    ck_assert_ok(alone[i].status);
  }
  pthread_t threads[6];
  for (int i = 0; i < 6; i++) {
    jobs[i] = (thread_job){net, opts, labels, paths[i % 2], {0}, {0}, CNA_OK};
    ck_assert_int_eq(pthread_create(&threads[i], NULL, classify_job, &jobs[i]), 0);
  }
  for (int i = 0; i < 6; i++) {
    ck_assert_int_eq(pthread_join(threads[i], NULL), 0);
    ck_assert_ok(jobs[i].status);
    ck_assert_mem_eq(jobs[i].indices, alone[i % 2].indices, sizeof jobs[i].indices);
    ck_assert_mem_eq(jobs[i].probabilities, alone[i % 2].probabilities,
                     sizeof jobs[i].probabilities);
  }
  cna_labels_destroy(labels);
  cna_image_options_destroy(opts);
  cna_net_destroy(net);
}
END_TEST

Suite *cna_test_image_suite(void) {
  Suite *s = suite_create("image");
  TCase *decode = tcase_create("decode");
  tcase_add_test(decode, test_parity_with_torchvision);
  tcase_add_test(decode, test_decode_scales_low_bit_depths);
  tcase_add_test(decode, test_every_fixture_loads_from_path_and_memory);
  tcase_add_test(decode, test_interlaced_equals_plain);
  suite_add_tcase(s, decode);
  TCase *hostile = tcase_create("hostile");
  tcase_add_test(hostile, test_truncated_at_every_offset);
  tcase_add_test(hostile, test_truncated_file_on_disk);
  tcase_add_test(hostile, test_bad_crc);
  tcase_add_test(hostile, test_huge_dimensions_refused_from_the_header);
  tcase_add_test(hostile, test_decompression_bomb);
  tcase_add_test(hostile, test_zero_width_and_bad_header);
  tcase_add_test(hostile, test_wrong_signature);
  tcase_add_test(hostile, test_palette_index_out_of_range);
  tcase_add_test(hostile, test_bit_flips);
  tcase_add_test(hostile, test_resize_over_the_limit);
  suite_add_tcase(s, hostile);
  TCase *options_case = tcase_create("options");
  tcase_add_test(options_case, test_image_options);
  tcase_add_test(options_case, test_presets);
  tcase_add_test(options_case, test_fit_net);
  suite_add_tcase(s, options_case);
  TCase *classify = tcase_create("classify");
  tcase_add_test(classify, test_shipped_labels);
  tcase_add_test(classify, test_labels_parsing);
  tcase_add_test(classify, test_classify_softmax_and_order);
  tcase_add_test(classify, test_classify_softmax_output_layer);
  tcase_add_test(classify, test_classify_png_with_zoo_net);
  tcase_add_test(classify, test_threads_share_options_labels_and_net);
  suite_add_tcase(s, classify);
  return s;
}
