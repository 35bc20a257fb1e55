/*
 * format.h - the .cna model format (docs/format.md is the specification):
 * constants, the attribute table, and the byte-level readers and writers
 * shared by the saver and the loader. Every multi-byte field is little-endian
 * and read through the checked helpers here: no struct is ever read whole.
 */
#ifndef CNA_IO_FORMAT_H
#define CNA_IO_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "cnnarch.h"
#include "graph/graph.h"

#define CNA__MAGIC "\x89" "CNA\r\n\x1a\n"
#define CNA__HEADER_SIZE 64
#define CNA__SECTION_ENTRY_SIZE 40
#define CNA__ALIGN 64
#define CNA__MAX_SECTIONS 1024

/* Section ids, four ASCII bytes stored in file order as a u32. */
#define CNA__SECTION_ID(a, b, c, d) \
  ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define CNA__SECTION_GRAPH CNA__SECTION_ID('G', 'R', 'P', 'H')
#define CNA__SECTION_TENSORS CNA__SECTION_ID('T', 'N', 'S', 'R')
#define CNA__SECTION_META CNA__SECTION_ID('M', 'E', 'T', 'A')

enum {
  CNA__SECTION_REQUIRED = 1u << 0,
  CNA__SECTION_DEFLATED = 1u << 1,
  CNA__SECTION_KNOWN_FLAGS = CNA__SECTION_REQUIRED | CNA__SECTION_DEFLATED,
  CNA__DTYPE_F32 = 1,
};

/* Layer attributes in the graph section: a pinned key, the kind of value
 * (int32 or float32 bits) and where it lives in cna__attrs. */
typedef enum cna__attr_kind { CNA__ATTR_INT, CNA__ATTR_FLOAT } cna__attr_kind;

typedef struct cna__attr_info {
  uint16_t key;
  const char *name;
  cna__attr_kind kind;
  size_t offset; /* offsetof(cna__attrs, field) */
  int boolean;   /* the value must be 0 or 1 */
} cna__attr_info;

/* The table, and the entry of a key (NULL if unknown). */
extern const cna__attr_info cna__attr_table[];
extern const size_t cna__attr_count;
const cna__attr_info *cna__attr_find(uint16_t key);

/* A growable byte buffer for building sections. */
typedef struct cna__bytes {
  unsigned char *data;
  size_t size, capacity;
  int failed; /* an allocation failed: the content is incomplete */
} cna__bytes;

void cna__bytes_free(cna__bytes *b);
void cna__put(cna__bytes *b, const void *data, size_t n);
void cna__put_u8(cna__bytes *b, uint8_t v);
void cna__put_u16(cna__bytes *b, uint16_t v);
void cna__put_u32(cna__bytes *b, uint32_t v);
void cna__put_u64(cna__bytes *b, uint64_t v);
void cna__put_zeros(cna__bytes *b, size_t n);

static inline void cna__store_u32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static inline void cna__store_u64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static inline uint32_t cna__load_u32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t cna__load_u64(const unsigned char *p) {
  return (uint64_t)cna__load_u32(p) | (uint64_t)cna__load_u32(p + 4) << 32;
}

/* A bounds-checked reader over one section's payload. A failed read sets
 * *failed, records a message naming the section, the file offset and what
 * was expected, and returns 0; later reads then fail too, so a parser can
 * read a whole record and test once. */
typedef struct cna__reader {
  const unsigned char *data;
  size_t size, pos;
  const char *origin;  /* "model file 'x.cna'" or "model buffer" */
  const char *section; /* "GRPH" */
  uint64_t file_offset; /* of data[0], for messages (0 when deflated) */
  int deflated;
  cna_status status;   /* CNA_OK until a read fails */
} cna__reader;

uint8_t cna__read_u8(cna__reader *r, const char *what);
uint16_t cna__read_u16(cna__reader *r, const char *what);
uint32_t cna__read_u32(cna__reader *r, const char *what);
uint64_t cna__read_u64(cna__reader *r, const char *what);
/* Points *out at n bytes of the payload. */
int cna__read_bytes(cna__reader *r, size_t n, const unsigned char **out, const char *what);

/* Fails the reader with a formatted message about its current position. */
cna_status cna__reader_fail(cna__reader *r, cna_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

int cna__host_is_little_endian(void);

#endif /* CNA_IO_FORMAT_H */
