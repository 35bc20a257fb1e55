/*
 * PNG decoding with libpng, to the 8-bit gray or RGB pixels PIL would hold.
 *
 * Every libpng call is in decode() below, which has the one setjmp and the
 * one cleanup path. libpng reports errors by calling our on_error (installed
 * by png_create_read_struct, as png_set_error_fn would, so that even its
 * first failure comes to us), which records the message and longjmps back;
 * nothing reaches stderr (warnings are dropped: what libpng only warns about
 * either does not change the pixels or is refused by our own checks). Locals
 * of decode() that change after setjmp are volatile, so the cleanup sees
 * their last values; the state the callbacks change lives in the caller's
 * frame.
 *
 * Before libpng sees the file, the signature and IHDR are read and checked
 * here: a file over the limits is refused from its header alone (no
 * allocation), and a file that is not a PNG is named for what it is.
 */
#include <errno.h>
#include <inttypes.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/common.h"
#include "image/image.h"

#define SIGNATURE_SIZE 8
#define HEAD_SIZE 33 /* signature, IHDR length and type, 13 bytes of IHDR, CRC */
#define MESSAGE_SIZE 400

/* Ancillary chunks are read at most this large (libpng's default cap, made
 * explicit): every chunk we use besides IDAT is small. */
#define CHUNK_MALLOC_MAX (8u << 20)

typedef struct png_state {
  const char *name;
  /* the source: a FILE, or memory */
  FILE *file;
  const unsigned char *data;
  size_t size;
  /* The first HEAD_SIZE bytes, read before libpng runs and replayed to it. */
  unsigned char head[HEAD_SIZE];
  size_t head_len;
  size_t offset; /* bytes handed to libpng so far */
  /* The first failure: its status and message (CNA_OK while none). */
  cna_status status;
  char message[MESSAGE_SIZE];
} png_state;

void cna__image8_free(cna__image8 *image) {
  free(image->pixels);
  image->pixels = NULL;
}

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads up to n bytes from the source (after the replayed head). */
static size_t source_read(png_state *st, unsigned char *out, size_t n) {
  if (st->file != NULL) return fread(out, 1, n, st->file);
  size_t at = st->offset;
  size_t left = at < st->size ? st->size - at : 0;
  if (n > left) n = left;
  if (n > 0) memcpy(out, st->data + at, n);
  return n;
}

/* Records the first failure (the one to report): st->message is the text
 * that follows the source's name. */
static void fail(png_state *st, cna_status status, const char *what, const char *detail) {
  if (st->status != CNA_OK) return;
  st->status = status;
  snprintf(st->message, sizeof st->message, "%s%s", what, detail);
}

/* libpng's callbacks. on_error and on_read's failure path never return. */

static void on_error(png_structp png, png_const_charp text) {
  png_state *st = png_get_error_ptr(png);
  if (strstr(text, "memory") != NULL) {
    fail(st, CNA_ERROR_OUT_OF_MEMORY, "libpng: ", text);
  } else {
    char detail[MESSAGE_SIZE - 32];
    snprintf(detail, sizeof detail, "%s (at byte %zu)", text, st->offset);
    fail(st, CNA_ERROR_CORRUPT, "damaged PNG: ", detail);
  }
  png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp text) {
  (void)png;
  (void)text;
}

static void on_read(png_structp png, png_bytep out, size_t n) {
  png_state *st = png_get_io_ptr(png);
  size_t got = 0;
  if (st->offset < st->head_len) {
    got = st->head_len - st->offset < n ? st->head_len - st->offset : n;
    memcpy(out, st->head + st->offset, got);
    st->offset += got;
  }
  if (got < n) {
    size_t more = source_read(st, out + got, n - got);
    st->offset += more;
    got += more;
  }
  if (got == n) return;
  if (st->file != NULL && ferror(st->file)) {
    fail(st, CNA_ERROR_IO, "cannot read: ", strerror(errno));
  } else {
    png_uint_32 chunk = png_get_io_chunk_type(png);
    char where[64] = "";
    if (chunk != 0)
      snprintf(where, sizeof where, ", inside chunk %c%c%c%c", (char)(chunk >> 24),
               (char)(chunk >> 16), (char)(chunk >> 8), (char)chunk);
    char detail[160];
    snprintf(detail, sizeof detail, "the data ends after %zu bytes%s (file cut short?)",
             st->offset, where);
    fail(st, CNA_ERROR_CORRUPT, "truncated PNG: ", detail);
  }
  png_error(png, "truncated");
}

/* ------------------------------------------------------------------ header */

/* Names a few formats people pass instead of PNG, from their first bytes. */
static const char *other_format(const unsigned char *p, size_t n) {
  if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) return "a JPEG image";
  if (n >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0))
    return "a GIF image";
  if (n >= 2 && memcmp(p, "BM", 2) == 0) return "a BMP image";
  if (n >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
    return "a WebP image";
  if (n >= 4 && (memcmp(p, "II*\0", 4) == 0 || memcmp(p, "MM\0*", 4) == 0))
    return "a TIFF image";
  if (n >= 2 && p[0] == 'P' && p[1] >= '1' && p[1] <= '7') return "a PNM/PPM image";
  if (n >= 8 && memcmp(p + 4, "ftyp", 4) == 0) return "an HEIF/AVIF image";
  return NULL;
}

/* Checks the signature and the IHDR chunk in st->head (head_len bytes) and
 * the limits, before any allocation. */
static cna_status check_head(png_state *st, const cna__image_limits *limits) {
  static const unsigned char signature[SIGNATURE_SIZE] = {0x89, 'P', 'N', 'G',
                                                          '\r', '\n', 0x1A, '\n'};
  const unsigned char *h = st->head;
  const size_t n = st->head_len;
  if (n == 0) return cna__error(CNA_ERROR_CORRUPT, "%s: empty file, not a PNG", st->name);
  if (n < SIGNATURE_SIZE || memcmp(h, signature, SIGNATURE_SIZE) != 0) {
    const char *other = other_format(h, n);
    if (other != NULL)
      return cna__error(CNA_ERROR_UNSUPPORTED,
                        "%s is %s; libcnnarch reads PNG only: convert it first, e.g. "
                        "`convert in out.png` (ImageMagick)",
                        st->name, other);
    if (n >= 4 && memcmp(h + 1, "PNG", 3) == 0)
      return cna__error(CNA_ERROR_CORRUPT,
                        "%s: damaged PNG signature (line ends changed by a text-mode "
                        "transfer?)",
                        st->name);
    char seen[3 * SIGNATURE_SIZE + 1] = "";
    for (size_t i = 0; i < n && i < SIGNATURE_SIZE; i++)
      snprintf(seen + 3 * i, sizeof seen - 3 * i, "%02x ", h[i]);
    seen[strlen(seen) - 1] = '\0';
    return cna__error(CNA_ERROR_CORRUPT,
                      "%s is not a PNG file: it starts with bytes %s, a PNG with 89 50 4e 47 "
                      "0d 0a 1a 0a",
                      st->name, seen);
  }
  if (n < HEAD_SIZE)
    return cna__error(CNA_ERROR_CORRUPT,
                      "%s: truncated: the data ends after %zu bytes, inside the IHDR "
                      "header (a PNG has at least %d)",
                      st->name, n, HEAD_SIZE);
  if (be32(h + 8) != 13 || memcmp(h + 12, "IHDR", 4) != 0)
    return cna__error(CNA_ERROR_CORRUPT,
                      "%s: damaged PNG: the first chunk must be a 13-byte IHDR, found "
                      "'%.4s' of %u bytes",
                      st->name, (const char *)(h + 12), (unsigned)be32(h + 8));
  const uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), h + 12, 17);
  if (crc != be32(h + 29))
    return cna__error(CNA_ERROR_CORRUPT,
                      "%s: damaged PNG: IHDR checksum mismatch (CRC-32 %08x stored, %08x "
                      "computed)",
                      st->name, (unsigned)be32(h + 29), (unsigned)crc);
  const uint32_t width = be32(h + 16), height = be32(h + 20);
  if (width == 0 || height == 0 || width > 0x7FFFFFFFu || height > 0x7FFFFFFFu)
    return cna__error(CNA_ERROR_CORRUPT,
                      "%s: damaged PNG: IHDR declares %u x %u pixels (each side must be 1 "
                      "to 2^31 - 1)",
                      st->name, (unsigned)width, (unsigned)height);
  const uint64_t pixels = (uint64_t)width * height;
  if (width > limits->max_width || pixels > limits->max_pixels)
    return cna__error(CNA_ERROR_TOO_LARGE,
                      "%s: %u x %u pixels is over the limits (%" PRIu64
                      " pixels, rows of %u); refused before decoding. Raise them with "
                      "cna_image_options_set_limits if the image is genuine",
                      st->name, (unsigned)width, (unsigned)height, limits->max_pixels,
                      (unsigned)limits->max_width);
  return CNA_OK;
}

/* ------------------------------------------------------------------ decode */

/* Gray or RGB pixels of one decoded row (after libpng's transforms: 8 bits
 * per sample, palette indices one per byte). */
static int convert_row(const unsigned char *row, size_t width, int color_type,
                       const png_color *palette, int palette_size, unsigned char *out,
                       size_t *bad_x) {
  switch (color_type) {
    case PNG_COLOR_TYPE_GRAY: memcpy(out, row, width); break;
    case PNG_COLOR_TYPE_GRAY_ALPHA:
      for (size_t x = 0; x < width; x++) out[x] = row[2 * x];
      break;
    case PNG_COLOR_TYPE_RGB: memcpy(out, row, 3 * width); break;
    case PNG_COLOR_TYPE_RGB_ALPHA:
      for (size_t x = 0; x < width; x++) memcpy(out + 3 * x, row + 4 * x, 3);
      break;
    case PNG_COLOR_TYPE_PALETTE:
      for (size_t x = 0; x < width; x++) {
        if (row[x] >= palette_size) {
          *bad_x = x;
          return 0;
        }
        out[3 * x] = palette[row[x]].red;
        out[3 * x + 1] = palette[row[x]].green;
        out[3 * x + 2] = palette[row[x]].blue;
      }
      break;
  }
  return 1;
}

/* All of libpng. st holds the source, head already read and checked. */
static cna_status decode(png_state *st, const cna__image_limits *limits, cna__image8 *out) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, st, on_error, on_warning);
  if (png == NULL)
    return cna__error(CNA_ERROR_OUT_OF_MEMORY, "%s: out of memory starting libpng", st->name);
  png_infop info = png_create_info_struct(png);
  /* Changed after setjmp and read by the cleanup: volatile. */
  unsigned char *volatile raw = NULL;    /* libpng's rows */
  png_bytep *volatile rows = NULL;       /* pointers into raw */
  unsigned char *volatile pixels = NULL; /* the result */
  volatile size_t bad_x = 0, bad_y = 0;
  volatile int bad_index = -1, palette_entries = 0;
  if (info == NULL) {
    fail(st, CNA_ERROR_OUT_OF_MEMORY, "out of memory starting libpng", "");
    goto done;
  }
  if (setjmp(png_jmpbuf(png))) goto done; /* st->status and message are set */

  png_set_read_fn(png, st, on_read);
  /* Checked in check_head already; libpng's own limits are set no lower. */
  png_set_user_limits(png, limits->max_width,
                      limits->max_pixels < 0x7FFFFFFFu ? (png_uint_32)limits->max_pixels
                                                       : 0x7FFFFFFFu);
  png_set_chunk_malloc_max(png, CHUNK_MALLOC_MAX);
  png_set_chunk_cache_max(png, 128);
  /* Skip (after checking their CRC) every chunk but IHDR, PLTE, tRNS, IDAT
   * and IEND: text, colour profiles and gamma are not used, as in PIL. */
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
  /* A bad CRC is an error in every chunk, as PIL has it. */
  png_set_crc_action(png, PNG_CRC_DEFAULT, PNG_CRC_ERROR_QUIT);

  png_read_info(png, info);
  png_uint_32 width, height;
  int depth, color_type, interlace;
  png_get_IHDR(png, info, &width, &height, &depth, &color_type, &interlace, NULL, NULL);
  if (depth == 16) png_set_strip_16(png); /* the high byte, as PIL */
  if (color_type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (color_type == PNG_COLOR_TYPE_PALETTE) {
    if (depth < 8) png_set_packing(png); /* one index per byte */
    png_colorp palette = NULL;
    int count = 0;
    if (png_get_PLTE(png, info, &palette, &count) == 0) png_error(png, "missing PLTE");
    palette_entries = count;
  }
  png_set_interlace_handling(png);
  png_read_update_info(png, info);

  const size_t channels = png_get_channels(png, info);
  const size_t rowbytes = png_get_rowbytes(png, info);
  const int out_channels =
      color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA ? 1 : 3;
  if (rowbytes != width * channels || png_get_bit_depth(png, info) != 8) {
    char detail[160];
    snprintf(detail, sizeof detail, "rows of %zu bytes at %d bits for %u pixels of %zu channels",
             rowbytes, (int)png_get_bit_depth(png, info), (unsigned)width, channels);
    fail(st, CNA_ERROR_INTERNAL, "libpng gave ", detail);
    goto done;
  }
  size_t raw_bytes, out_row, out_bytes, row_pointers;
  if (!cna__mul_size(rowbytes, height, &raw_bytes) ||
      !cna__mul_size(width, (size_t)out_channels, &out_row) ||
      !cna__mul_size(out_row, height, &out_bytes) ||
      !cna__mul_size(height, sizeof(png_bytep), &row_pointers)) {
    fail(st, CNA_ERROR_TOO_LARGE, "too many pixels for this machine's memory sizes", "");
    goto done;
  }
  raw = malloc(raw_bytes);
  rows = malloc(row_pointers);
  pixels = malloc(out_bytes);
  if (raw == NULL || rows == NULL || pixels == NULL) {
    fail(st, CNA_ERROR_OUT_OF_MEMORY, "out of memory for the decoded pixels", "");
    goto done;
  }
  for (png_uint_32 y = 0; y < height; y++) rows[y] = raw + (size_t)y * rowbytes;
  png_read_image(png, rows);
  png_read_end(png, NULL); /* checks the rest of the file up to IEND */

  png_colorp palette = NULL;
  int palette_size = 0;
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_get_PLTE(png, info, &palette, &palette_size);
  for (png_uint_32 y = 0; y < height; y++) {
    size_t x = 0;
    if (!convert_row(rows[y], width, color_type, palette, palette_size,
                     pixels + (size_t)y * out_row, &x)) {
      bad_x = x;
      bad_y = y;
      bad_index = rows[y][x];
      st->status = CNA_ERROR_CORRUPT;
      break;
    }
  }
  if (st->status == CNA_OK) {
    out->pixels = pixels;
    out->width = width;
    out->height = height;
    out->channels = out_channels;
    pixels = NULL;
  }

done:
  png_destroy_read_struct(&png, info != NULL ? &info : NULL, NULL);
  free(raw);
  free(rows);
  free(pixels);
  if (bad_index >= 0)
    return cna__error(CNA_ERROR_CORRUPT,
                      "%s: damaged PNG: pixel (%zu, %zu) uses palette entry %d, but the "
                      "palette (PLTE) has %d entries",
                      st->name, (size_t)bad_x, (size_t)bad_y, (int)bad_index,
                      (int)palette_entries);
  if (st->status != CNA_OK) return cna__error(st->status, "%s: %s", st->name, st->message);
  return CNA_OK;
}

cna_status cna__png_decode(const char *name, void *file, const void *data, size_t size,
                           const cna__image_limits *limits, cna__image8 *out) {
  png_state st = {.name = name, .file = file, .data = data, .size = size};
  st.head_len = source_read(&st, st.head, HEAD_SIZE);
  if (file != NULL && ferror(st.file))
    return cna__error(CNA_ERROR_IO, "%s: cannot read: %s", name, strerror(errno));
  cna_status status = check_head(&st, limits);
  if (status != CNA_OK) return status;
  return decode(&st, limits, out);
}
