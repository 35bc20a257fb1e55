/* libFuzzer target: the .cna loader from memory (cna_net_load_from_memory).
 *
 * Each input is loaded twice: as it is (the checksums and size checks see
 * the mutation), and with its file size field and every CRC recomputed, so
 * that mutations reach the graph and tensor parsers behind the checksums (a
 * fuzzer cannot forge a CRC; libpng's and zlib's fuzzers skip theirs for the
 * same reason, here the harness fixes them instead and the library stays as
 * shipped). A custom mutator knows the format: half of the mutations set
 * one field of the header, the section table, a layer record or a tensor
 * record to a boundary value (0, 1, +-1, +-64, the section's size, the
 * type's maximum...), which byte-level mutations almost never hit (a
 * tensor's data offset moved by 64 past its section's end, say); the other
 * half are libFuzzer's own. A refusal must be a documented status with a message. A net
 * that loads is inspected through every accessor, run on a fixed image when
 * it is small enough (fuzz_common.h's caps), saved to memory (raw or
 * deflated) and loaded back: the copy must give the same bits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fuzz_common.h"

static uint64_t le64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Recomputes what a fuzzer cannot: the file size, the section CRCs (of the
 * sections that lie inside the file), the table CRC and the header CRC.
 * Returns 0 if there is nothing to fix (no header). */
static int fix_checksums(uint8_t *d, size_t size) {
  if (size < 64 || memcmp(d, "\x89" "CNA\r\n\x1a\n", 8) != 0) return 0;
  for (int i = 0; i < 8; i++) d[16 + i] = (uint8_t)((uint64_t)size >> (8 * i));
  uint32_t count = le32(d + 24);
  if (count > (size - 64) / 40) count = (uint32_t)((size - 64) / 40);
  for (uint32_t i = 0; i < count; i++) {
    uint8_t *e = d + 64 + (size_t)i * 40;
    const uint64_t offset = le64(e + 8), stored = le64(e + 16);
    if (offset <= size && stored <= size - offset)
      put32(e + 32, (uint32_t)crc32(0, d + offset, (uInt)stored));
  }
  put32(d + 28, (uint32_t)crc32(0, d + 64, (uInt)count * 40));
  put32(d + 60, (uint32_t)crc32(0, d, 60));
  return 1;
}

static void load(const uint8_t *data, size_t size, int verify) {
  cna_options *opts = NULL;
  if (cna_options_create(&opts) != CNA_OK || cna_options_set_verify_weights(opts, verify) != CNA_OK)
    abort();
  cna_net *net = NULL;
  cna_status s = cna_net_load_from_memory(data, size, opts, &net);
  cna_options_destroy(opts);
  fuzz_expect_refusal("load", s);
  if (s != CNA_OK) {
    if (net != NULL) fuzz_die("a refused load wrote *out", s);
    return;
  }
  fuzz_inspect(net);
  size_t out = 0;
  float *y = fuzz_forward(net, &out);
  if (y != NULL || fuzz_small_enough(net)) fuzz_round_trip(net, (int)(size % 3 == 0), y, out);
  free(y);
  cna_net_destroy(net);
}

/* ------------------------------------------------ structure-aware mutator */

typedef struct field {
  size_t at;
  unsigned width;   /* bytes: 1, 2, 4 or 8 */
  uint64_t context; /* a size the field relates to (its section's) */
} field;

enum { MAX_FIELDS = 4096 };

typedef struct fields {
  field f[MAX_FIELDS];
  size_t n;
} fields;

static void add(fields *fs, size_t at, unsigned width, uint64_t context) {
  if (fs->n < MAX_FIELDS) fs->f[fs->n++] = (field){at, width, context};
}

static uint64_t get(const uint8_t *d, size_t at, unsigned width) {
  uint64_t v = 0;
  for (unsigned i = 0; i < width; i++) v |= (uint64_t)d[at + i] << (8 * i);
  return v;
}

/* The fields of an uncompressed GRPH payload at d[0..n), file offset base. */
static void graph_fields(fields *fs, const uint8_t *d, size_t n, size_t base) {
  size_t p = 0;
#define NEED(k) \
  if ((k) > n - p) return
  NEED(8);
  add(fs, base, 4, n), add(fs, base + 4, 4, n);
  const uint32_t count = le32(d);
  p = 8;
  for (uint32_t i = 0; i < count; i++) {
    NEED(4);
    add(fs, base + p, 2, n), add(fs, base + p + 2, 2, n);
    const size_t name_len = (size_t)get(d, p + 2, 2);
    p += 4;
    NEED(name_len);
    if (name_len > 0) add(fs, base + p + name_len - 1, 1, n);
    p += name_len;
    NEED(4);
    add(fs, base + p, 4, n);
    const uint32_t inputs = le32(d + p);
    p += 4;
    for (uint32_t k = 0; k < inputs; k++) {
      NEED(4);
      add(fs, base + p, 4, i);
      p += 4;
    }
    NEED(2);
    add(fs, base + p, 2, n);
    const size_t attrs = (size_t)get(d, p, 2);
    p += 2;
    for (size_t a = 0; a < attrs; a++) {
      NEED(8);
      add(fs, base + p, 2, 32), add(fs, base + p + 4, 4, 0);
      p += 8;
    }
  }
}

/* The fields of an uncompressed TNSR payload. */
static void tensor_fields(fields *fs, const uint8_t *d, size_t n, size_t base) {
  size_t p = 0;
  NEED(4);
  add(fs, base, 4, n);
  const uint32_t count = le32(d);
  p = 4;
  for (uint32_t i = 0; i < count; i++) {
    NEED(2);
    add(fs, base + p, 2, n);
    const size_t name_len = (size_t)get(d, p, 2);
    p += 2;
    NEED(name_len + 4);
    p += name_len;
    add(fs, base + p, 1, 4), add(fs, base + p + 1, 1, 4);
    const unsigned ndim = d[p + 1];
    p += 4;
    for (unsigned k = 0; k < ndim; k++) {
      NEED(8);
      add(fs, base + p, 8, n);
      p += 8;
    }
    NEED(16);
    add(fs, base + p, 8, n), add(fs, base + p + 8, 8, n);
    p += 16;
  }
#undef NEED
}

static void collect(fields *fs, const uint8_t *d, size_t size) {
  fs->n = 0;
  if (size < 64 || memcmp(d, "\x89" "CNA\r\n\x1a\n", 8) != 0) return;
  add(fs, 8, 4, size), add(fs, 16, 8, size), add(fs, 24, 4, size), add(fs, 32, 4, size);
  uint32_t count = le32(d + 24);
  if (count > (size - 64) / 40) count = (uint32_t)((size - 64) / 40);
  for (uint32_t i = 0; i < count; i++) {
    const size_t e = 64 + (size_t)i * 40;
    add(fs, e, 4, size), add(fs, e + 4, 4, size), add(fs, e + 8, 8, size);
    add(fs, e + 16, 8, size), add(fs, e + 24, 8, size);
    const uint64_t offset = le64(d + e + 8), stored = le64(d + e + 16);
    if (offset > size || stored > size - offset || (le32(d + e + 4) & 2)) continue;
    if (le32(d + e) == 0x48505247u) /* GRPH */
      graph_fields(fs, d + offset, (size_t)stored, (size_t)offset);
    else if (le32(d + e) == 0x52534e54u) /* TNSR */
      tensor_fields(fs, d + offset, (size_t)stored, (size_t)offset);
  }
}

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed) {
  static fields fs;
  uint64_t r = seed * 0x9E3779B97F4A7C15ull + 1;
#define NEXT() (r ^= r << 13, r ^= r >> 7, r ^= r << 17, r)
  if (NEXT() % 2 == 0) return LLVMFuzzerMutate(data, size, max_size);
  collect(&fs, data, size);
  if (fs.n == 0) return LLVMFuzzerMutate(data, size, max_size);
  const field f = fs.f[NEXT() % fs.n];
  const uint64_t v = get(data, f.at, f.width);
  const uint64_t top = f.width == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * f.width)) - 1;
  const uint64_t choices[] = {0,          1,           v + 1,       v - 1,  v + 64,
                              v - 64,     v * 2,       v / 2,       top,    top / 2 + 1,
                              top / 2,    f.context,   f.context + 1, f.context - 1,
                              f.context + 64, 4096,    4097,        65535,  NEXT()};
  uint64_t w = choices[NEXT() % (sizeof choices / sizeof choices[0])] & top;
  for (unsigned i = 0; i < f.width; i++) data[f.at + i] = (uint8_t)(w >> (8 * i));
#undef NEXT
  return size;
}

/* ----------------------------------------------------------------- target */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  load(data, size, 1);
  uint8_t *fixed = malloc(size ? size : 1);
  if (fixed == NULL) return 0;
  memcpy(fixed, data, size);
  if (fix_checksums(fixed, size) && memcmp(fixed, data, size) != 0) load(fixed, size, size % 2);
  free(fixed);
  return 0;
}
