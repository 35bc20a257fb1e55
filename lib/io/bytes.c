/* Byte buffers, checked little-endian readers, and the attribute table of
 * the .cna format. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "io/format.h"

#define ATTR(key, field, kind) {key, #field, kind, offsetof(cna__attrs, field), 0}
#define FLAG(key, field) {key, #field, CNA__ATTR_INT, offsetof(cna__attrs, field), 1}

/* Pinned keys: never reused, only appended. */
const cna__attr_info cna__attr_table[] = {
    ATTR(1, out_channels, CNA__ATTR_INT),   ATTR(2, kernel_h, CNA__ATTR_INT),
    ATTR(3, kernel_w, CNA__ATTR_INT),       ATTR(4, stride_h, CNA__ATTR_INT),
    ATTR(5, stride_w, CNA__ATTR_INT),       ATTR(6, pad_top, CNA__ATTR_INT),
    ATTR(7, pad_left, CNA__ATTR_INT),       ATTR(8, pad_bottom, CNA__ATTR_INT),
    ATTR(9, pad_right, CNA__ATTR_INT),      ATTR(10, dilation_h, CNA__ATTR_INT),
    ATTR(11, dilation_w, CNA__ATTR_INT),    ATTR(12, groups, CNA__ATTR_INT),
    FLAG(13, bias),          FLAG(14, ceil_mode),
    FLAG(15, count_include_pad), ATTR(16, out_h, CNA__ATTR_INT),
    ATTR(17, out_w, CNA__ATTR_INT),         ATTR(18, size, CNA__ATTR_INT),
    ATTR(19, alpha, CNA__ATTR_FLOAT),       ATTR(20, beta, CNA__ATTR_FLOAT),
    ATTR(21, k, CNA__ATTR_FLOAT),           ATTR(22, eps, CNA__ATTR_FLOAT),
    ATTR(23, p, CNA__ATTR_FLOAT),           ATTR(24, pad_before, CNA__ATTR_INT),
    ATTR(25, pad_after, CNA__ATTR_INT),
};
const size_t cna__attr_count = sizeof cna__attr_table / sizeof cna__attr_table[0];

const cna__attr_info *cna__attr_find(uint16_t key) {
  for (size_t i = 0; i < cna__attr_count; i++)
    if (cna__attr_table[i].key == key) return &cna__attr_table[i];
  return NULL;
}

int cna__host_is_little_endian(void) {
  const uint16_t probe = 1;
  unsigned char first;
  memcpy(&first, &probe, 1);
  return first == 1;
}

void cna__bytes_free(cna__bytes *b) {
  free(b->data);
  memset(b, 0, sizeof *b);
}

void cna__put(cna__bytes *b, const void *data, size_t n) {
  if (b->failed || n == 0) return;
  if (n > SIZE_MAX - b->size) {
    b->failed = 1;
    return;
  }
  if (b->size + n > b->capacity) {
    size_t capacity = b->capacity ? b->capacity : 4096;
    while (capacity < b->size + n) capacity = capacity > SIZE_MAX / 2 ? b->size + n : capacity * 2;
    unsigned char *grown = realloc(b->data, capacity);
    if (grown == NULL) {
      b->failed = 1;
      return;
    }
    b->data = grown;
    b->capacity = capacity;
  }
  if (data != NULL)
    memcpy(b->data + b->size, data, n);
  else
    memset(b->data + b->size, 0, n);
  b->size += n;
}

void cna__put_zeros(cna__bytes *b, size_t n) { cna__put(b, NULL, n); }

void cna__put_u8(cna__bytes *b, uint8_t v) { cna__put(b, &v, 1); }

void cna__put_u16(cna__bytes *b, uint16_t v) {
  unsigned char p[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
  cna__put(b, p, 2);
}

void cna__put_u32(cna__bytes *b, uint32_t v) {
  unsigned char p[4];
  cna__store_u32(p, v);
  cna__put(b, p, 4);
}

void cna__put_u64(cna__bytes *b, uint64_t v) {
  unsigned char p[8];
  cna__store_u64(p, v);
  cna__put(b, p, 8);
}

cna_status cna__reader_fail(cna__reader *r, cna_status status, const char *fmt, ...) {
  char detail[512];
  va_list args;
  va_start(args, fmt);
  vsnprintf(detail, sizeof detail, fmt, args);
  va_end(args);
  if (r->deflated)
    cna__error(status, "%s: section %s, byte %zu of its inflated payload: %s", r->origin,
               r->section, r->pos, detail);
  else
    cna__error(status, "%s: section %s at file offset %llu: %s", r->origin, r->section,
               (unsigned long long)(r->file_offset + r->pos), detail);
  r->status = status;
  return status;
}

int cna__read_bytes(cna__reader *r, size_t n, const unsigned char **out, const char *what) {
  if (r->status != CNA_OK) return 0;
  if (n > r->size - r->pos) {
    cna__reader_fail(r, CNA_ERROR_CORRUPT,
                     "%s needs %zu bytes but the section ends after %zu (truncated?)", what, n,
                     r->size - r->pos);
    return 0;
  }
  *out = r->data + r->pos;
  r->pos += n;
  return 1;
}

static uint64_t read_le(cna__reader *r, size_t n, const char *what) {
  const unsigned char *p;
  if (!cna__read_bytes(r, n, &p, what)) return 0;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

uint8_t cna__read_u8(cna__reader *r, const char *what) { return (uint8_t)read_le(r, 1, what); }
uint16_t cna__read_u16(cna__reader *r, const char *what) { return (uint16_t)read_le(r, 2, what); }
uint32_t cna__read_u32(cna__reader *r, const char *what) { return (uint32_t)read_le(r, 4, what); }
uint64_t cna__read_u64(cna__reader *r, const char *what) { return read_le(r, 8, what); }
