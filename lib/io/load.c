/*
 * Loading a .cna file (docs/format.md) from a path or a memory buffer.
 *
 * Everything is validated before anything is used: the header and section
 * table (magic, version, sizes, checksums, bounds, overlaps), every section's
 * CRC, the graph (each layer rebuilt through cna__graph_add, so a loaded
 * layer passes exactly the checks a builder call does; inputs must be
 * earlier layers, so the graph has no cycles), and every tensor record
 * against the tensors the graph implies. Failures name the origin, the
 * section, the offset and what was expected.
 *
 * An uncompressed file is mapped and its weights used in place (copy-on-
 * write, so cna_net_set_tensor never touches the file); a deflated section
 * is inflated into memory, its stored size a hard cap.
 */
#define _POSIX_C_SOURCE 200809L /* mmap, fstat */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "api/options.h"
#include "common/common.h"
#include "graph/plan.h"
#include "io/format.h"
#include "layers/layer.h"

/* What a section table entry says, checked. */
typedef struct section_entry {
  uint32_t id, flags;
  uint64_t offset, stored, size;
  uint32_t crc;
} section_entry;

typedef struct source {
  const unsigned char *data;
  size_t size;
  const char *origin;
  int adoptable; /* tensors may point into data (a mapping the net will own) */
} source;

static cna_status corrupt(const source *src, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static cna_status corrupt(const source *src, const char *fmt, ...) {
  char detail[600];
  va_list args;
  va_start(args, fmt);
  vsnprintf(detail, sizeof detail, fmt, args);
  va_end(args);
  return cna__error(CNA_ERROR_CORRUPT, "%s: %s", src->origin, detail);
}

static void id_text(uint32_t id, char text[5]) {
  for (int i = 0; i < 4; i++) {
    unsigned char c = (unsigned char)(id >> (8 * i));
    text[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
  }
  text[4] = '\0';
}

static uint32_t crc_of(const unsigned char *data, uint64_t n) {
  uLong crc = crc32(0, Z_NULL, 0);
  while (n > 0) {
    uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
    crc = crc32(crc, data, chunk);
    data += chunk;
    n -= chunk;
  }
  return (uint32_t)crc;
}

/* ------------------------------------------------------ header, table */

static cna_status read_table(const source *src, section_entry *entries, size_t *count) {
  const unsigned char *h = src->data;
  if (src->size < CNA__HEADER_SIZE)
    return corrupt(src, "%zu bytes is shorter than the %d-byte header (truncated, or not "
                        "a model file)",
                   src->size, CNA__HEADER_SIZE);
  if (memcmp(h, CNA__MAGIC, 8) != 0)
    return corrupt(src, "offset 0: no .cna magic (expected 89 43 4E 41 0D 0A 1A 0A): not a "
                        "libcnnarch model file");
  uint32_t stored_crc = cna__load_u32(h + 60), crc = (uint32_t)crc32(0, h, 60);
  if (stored_crc != crc)
    return corrupt(src, "offset 60: header checksum %08x, computed %08x (the header is "
                        "damaged)",
                   stored_crc, crc);
  const uint32_t version = cna__load_u32(h + 8);
  if (version > CNA_FORMAT_VERSION)
    return cna__error(CNA_ERROR_UNSUPPORTED,
                      "%s: offset 8: format version %u is newer than this library reads "
                      "(%u): use a newer libcnnarch",
                      src->origin, version, CNA_FORMAT_VERSION);
  if (version == 0) return corrupt(src, "offset 8: format version 0 does not exist");
  if (cna__load_u32(h + 12) != CNA__HEADER_SIZE)
    return corrupt(src, "offset 12: header size %u, expected %d", cna__load_u32(h + 12),
                   CNA__HEADER_SIZE);
  const uint64_t file_size = cna__load_u64(h + 16);
  if (file_size != src->size)
    return corrupt(src, "offset 16: the header says the file has %llu bytes, found %zu "
                        "(truncated or appended to)",
                   (unsigned long long)file_size, src->size);
  if (cna__load_u32(h + 32) != 0)
    return corrupt(src, "offset 32: flags %08x, expected 0 in format version 1",
                   cna__load_u32(h + 32));
  const uint32_t n = cna__load_u32(h + 24);
  if (n == 0 || n > CNA__MAX_SECTIONS)
    return corrupt(src, "offset 24: %u sections, expected 1 to %d", n, CNA__MAX_SECTIONS);
  const uint64_t table_end = CNA__HEADER_SIZE + (uint64_t)n * CNA__SECTION_ENTRY_SIZE;
  if (table_end > src->size)
    return corrupt(src, "offset 64: a table of %u sections needs %llu bytes, the file has "
                        "%zu",
                   n, (unsigned long long)table_end, src->size);
  const unsigned char *table = h + CNA__HEADER_SIZE;
  crc = (uint32_t)crc32(0, table, n * CNA__SECTION_ENTRY_SIZE);
  if (cna__load_u32(h + 28) != crc)
    return corrupt(src, "offset 28: section table checksum %08x, computed %08x",
                   cna__load_u32(h + 28), crc);

  for (uint32_t i = 0; i < n; i++) {
    const unsigned char *e = table + i * CNA__SECTION_ENTRY_SIZE;
    const uint64_t at = CNA__HEADER_SIZE + (uint64_t)i * CNA__SECTION_ENTRY_SIZE;
    section_entry *s = &entries[i];
    *s = (section_entry){cna__load_u32(e), cna__load_u32(e + 4), cna__load_u64(e + 8),
                         cna__load_u64(e + 16), cna__load_u64(e + 24), cna__load_u32(e + 32)};
    char id[5];
    id_text(s->id, id);
    if (s->flags & ~(uint32_t)CNA__SECTION_KNOWN_FLAGS || cna__load_u32(e + 36) != 0)
      return corrupt(src, "offset %llu: section %s has unknown flags %08x or a non-zero "
                          "reserved field",
                     (unsigned long long)at, id, s->flags);
    if (s->offset % CNA__ALIGN != 0 || s->offset < table_end || s->offset > src->size ||
        s->stored > src->size - s->offset)
      return corrupt(src, "offset %llu: section %s claims bytes %llu to %llu, outside the "
                          "file's %llu to %zu or not %d-byte aligned",
                     (unsigned long long)at, id, (unsigned long long)s->offset,
                     (unsigned long long)(s->offset + s->stored),
                     (unsigned long long)table_end, src->size, CNA__ALIGN);
    if (!(s->flags & CNA__SECTION_DEFLATED) && s->size != s->stored)
      return corrupt(src, "offset %llu: section %s is not deflated but its size %llu differs "
                          "from its stored size %llu",
                     (unsigned long long)at, id, (unsigned long long)s->size,
                     (unsigned long long)s->stored);
    /* deflate expands at most 1032:1: a larger claim is a lie, and must not
     * become an allocation. */
    if ((s->flags & CNA__SECTION_DEFLATED) && s->stored < (UINT64_MAX - 1032) / 1032 &&
        s->size > 1032 * s->stored + 1032)
      return corrupt(src, "offset %llu: section %s claims to inflate %llu bytes to %llu, "
                          "more than deflate can produce",
                     (unsigned long long)at, id, (unsigned long long)s->stored,
                     (unsigned long long)s->size);
    for (uint32_t j = 0; j < i; j++) {
      const section_entry *o = &entries[j];
      if (s->offset < o->offset + o->stored && o->offset < s->offset + s->stored)
        return corrupt(src, "offset %llu: section %s overlaps section %u", (unsigned long long)at,
                       id, j);
      if (o->id == s->id) return corrupt(src, "section %s appears twice", id);
    }
  }
  *count = n;
  return CNA_OK;
}

/* The payload of a checked section: in place, or inflated into *owned. */
static cna_status section_payload(const source *src, const section_entry *s, int verify,
                                  const unsigned char **payload, unsigned char **owned) {
  char id[5];
  id_text(s->id, id);
  *owned = NULL; /* nothing to free unless inflated below */
  const unsigned char *stored = src->data + s->offset;
  /* Deflated sections are read whole anyway: their checksum costs little. */
  verify = verify || (s->flags & CNA__SECTION_DEFLATED);
  uint32_t crc = verify ? crc_of(stored, s->stored) : s->crc;
  if (crc != s->crc)
    return corrupt(src, "section %s at offset %llu: checksum %08x, computed %08x (the data "
                        "is damaged)",
                   id, (unsigned long long)s->offset, s->crc, crc);
  if (!(s->flags & CNA__SECTION_DEFLATED)) {
    *payload = stored;
    return CNA_OK;
  }
  unsigned char *out = cna__aligned_alloc(s->size ? (size_t)s->size : 1);
  if (out == NULL)
    return cna__error(CNA_ERROR_OUT_OF_MEMORY, "%s: out of memory inflating section %s (%llu "
                      "bytes)",
                      src->origin, id, (unsigned long long)s->size);
  z_stream z = {0};
  if (inflateInit(&z) != Z_OK) {
    cna__aligned_free(out);
    return cna__error(CNA_ERROR_OUT_OF_MEMORY, "%s: out of memory starting inflate", src->origin);
  }
  uint64_t in_left = s->stored, out_left = s->size;
  const unsigned char *in = stored;
  unsigned char *next = out;
  int ret;
  /* zlib counts in uInt: feed and drain at most 1 GiB at a time. The output
   * room is exactly the size the table claims: a stream that wants more
   * stops with Z_BUF_ERROR. */
  for (;;) {
    if (z.avail_in == 0 && in_left > 0) {
      z.avail_in = in_left > (1u << 30) ? (1u << 30) : (uInt)in_left;
      z.next_in = (Bytef *)in;
      in += z.avail_in;
      in_left -= z.avail_in;
    }
    const uInt room = out_left > (1u << 30) ? (1u << 30) : (uInt)out_left;
    z.next_out = next;
    z.avail_out = room;
    ret = inflate(&z, Z_NO_FLUSH);
    const uInt produced = room - z.avail_out;
    next += produced;
    out_left -= produced;
    if (ret == Z_STREAM_END || (ret != Z_OK && ret != Z_BUF_ERROR)) break;
    if (ret == Z_BUF_ERROR || (produced == 0 && z.avail_in == 0 && in_left == 0)) break;
  }
  inflateEnd(&z);
  if (ret != Z_STREAM_END || out_left != 0 || z.avail_in != 0 || in_left != 0) {
    cna__aligned_free(out);
    return corrupt(src, "section %s at offset %llu: the deflate stream is damaged or does "
                        "not inflate to exactly the %llu bytes the table says (%s)",
                   id, (unsigned long long)s->offset, (unsigned long long)s->size,
                   ret == Z_STREAM_END ? "size mismatch" : z.msg ? z.msg : "stream error");
  }
  *payload = out;
  *owned = out;
  return CNA_OK;
}

/* ---------------------------------------------------------------- graph */

static cna_status read_graph(cna__reader *r, cna__graph *g) {
  const uint32_t count = cna__read_u32(r, "the layer count");
  const uint32_t output = cna__read_u32(r, "the output layer");
  if (r->status != CNA_OK) return r->status;
  if (count == 0) return cna__reader_fail(r, CNA_ERROR_CORRUPT, "the graph has no layers");
  for (uint32_t i = 0; i < count; i++) {
    const uint16_t type = cna__read_u16(r, "a layer type");
    const uint16_t name_len = cna__read_u16(r, "a layer name length");
    const unsigned char *name_bytes = NULL;
    cna__read_bytes(r, name_len, &name_bytes, "a layer name");
    if (r->status != CNA_OK) return r->status;
    if (cna__layer_ops_of((cna_layer_type)type) == NULL)
      return cna__reader_fail(r, CNA_ERROR_UNSUPPORTED,
                              "layer %u has type %u, unknown to this library (written by a "
                              "newer version?)",
                              i, type);
    if (name_len == 0 || memchr(name_bytes, 0, name_len) != NULL)
      return cna__reader_fail(r, CNA_ERROR_CORRUPT,
                              "layer %u: its name is empty or holds a NUL byte", i);
    char name[CNA__MAX_LAYER_NAME + 1];
    if (name_len > CNA__MAX_LAYER_NAME)
      return cna__reader_fail(r, CNA_ERROR_CORRUPT, "layer %u: name of %u bytes, at most %d",
                              i, name_len, CNA__MAX_LAYER_NAME);
    memcpy(name, name_bytes, name_len);
    name[name_len] = '\0';

    const uint32_t num_inputs = cna__read_u32(r, "an input count");
    if (r->status != CNA_OK) return r->status;
    if (num_inputs > (r->size - r->pos) / 4)
      return cna__reader_fail(r, CNA_ERROR_CORRUPT,
                              "layer %u '%s': %u inputs, but only %zu bytes remain", i, name,
                              num_inputs, r->size - r->pos);
    size_t *inputs = malloc((num_inputs ? num_inputs : 1) * sizeof *inputs);
    if (inputs == NULL) return cna__error(CNA_ERROR_OUT_OF_MEMORY, "%s: out of memory", r->origin);
    for (uint32_t k = 0; k < num_inputs; k++) {
      inputs[k] = cna__read_u32(r, "an input index");
      if (r->status == CNA_OK && inputs[k] >= i) {
        cna__reader_fail(r, CNA_ERROR_CORRUPT,
                         "layer %u '%s': input %u is layer %zu, not an earlier layer (layers "
                         "are stored inputs first, so a graph has no cycles)",
                         i, name, k, inputs[k]);
      }
    }
    cna__attrs attrs = {0};
    const uint16_t num_attrs = cna__read_u16(r, "an attribute count");
    uint64_t seen = 0;
    for (uint16_t a = 0; a < num_attrs && r->status == CNA_OK; a++) {
      const uint16_t key = cna__read_u16(r, "an attribute key");
      const uint16_t reserved = cna__read_u16(r, "an attribute's reserved field");
      const uint32_t bits = cna__read_u32(r, "an attribute value");
      if (r->status != CNA_OK) break;
      const cna__attr_info *info = cna__attr_find(key);
      if (info == NULL)
        cna__reader_fail(r, CNA_ERROR_UNSUPPORTED,
                         "layer %u '%s': attribute key %u is unknown to this library", i,
                         name, key);
      else if (reserved != 0 || (seen >> key & 1))
        cna__reader_fail(r, CNA_ERROR_CORRUPT,
                         "layer %u '%s': attribute %s is repeated or has a non-zero "
                         "reserved field",
                         i, name, info->name);
      else if (info->boolean && bits > 1)
        cna__reader_fail(r, CNA_ERROR_CORRUPT,
                         "layer %u '%s': attribute %s is %u, expected 0 or 1", i, name,
                         info->name, bits);
      else {
        seen |= (uint64_t)1 << key;
        memcpy((char *)&attrs + info->offset, &bits, 4);
      }
    }
    if (r->status != CNA_OK) {
      free(inputs);
      return r->status;
    }
    /* The builder's own checks: attributes, shapes, input counts. */
    cna_status st = cna__graph_add(g, name, (cna_layer_type)type, inputs, num_inputs, &attrs);
    free(inputs);
    if (st != CNA_OK) {
      /* In front, so a long layer name cannot push it out of the message. */
      cna__error_prepend("%s: section GRPH, layer %u: ", r->origin, i);
      return st;
    }
  }
  if (output >= count)
    return cna__reader_fail(r, CNA_ERROR_CORRUPT, "output layer %u, but the graph has %u",
                            output, count);
  if (r->pos != r->size)
    return cna__reader_fail(r, CNA_ERROR_CORRUPT, "%zu bytes follow the last layer",
                            r->size - r->pos);
  g->output = output;
  g->output_set = 1;
  return CNA_OK;
}

/* ---------------------------------------------------------------- tensors */

typedef struct span {
  uint64_t offset, size;
  size_t tensor;
} span;

static int by_offset(const void *a, const void *b) {
  const span *x = a, *y = b;
  return (x->offset > y->offset) - (x->offset < y->offset);
}

/* The tensor a record names, "<layer>.<kind>" (kinds have no '.'), found
 * through the graph's name index so that a file with many tensors loads in
 * linear time; num_tensors if none. */
static size_t find_tensor(const cna_net *net, const unsigned char *name, size_t length) {
  size_t dot = length;
  while (dot > 0 && name[dot - 1] != '.') dot--;
  if (dot == 0 || dot - 1 > CNA__MAX_LAYER_NAME) return net->num_tensors;
  char layer_name[CNA__MAX_LAYER_NAME + 1];
  memcpy(layer_name, name, dot - 1);
  layer_name[dot - 1] = '\0';
  size_t layer;
  if (!cna__graph_find(&net->graph, layer_name, &layer)) return net->num_tensors;
  for (size_t k = 0; k < net->num_layer_tensors[layer]; k++) {
    const size_t t = net->first_tensor[layer] + k;
    if (strlen(net->tensors[t].name) == length && memcmp(net->tensors[t].name, name, length) == 0)
      return t;
  }
  return net->num_tensors;
}

static cna_status read_tensors(cna__reader *r, cna_net *net, span *spans) {
  const uint32_t count = cna__read_u32(r, "the tensor count");
  if (r->status != CNA_OK) return r->status;
  if (count != net->num_tensors)
    return cna__reader_fail(r, CNA_ERROR_CORRUPT,
                            "%u tensors, but the graph's layers have %zu", count,
                            net->num_tensors);
  unsigned char *seen = calloc(count ? count : 1, 1);
  if (seen == NULL) return cna__error(CNA_ERROR_OUT_OF_MEMORY, "%s: out of memory", r->origin);
  for (uint32_t i = 0; i < count && r->status == CNA_OK; i++) {
    const uint16_t name_len = cna__read_u16(r, "a tensor name length");
    const unsigned char *name = NULL;
    cna__read_bytes(r, name_len, &name, "a tensor name");
    const uint8_t dtype = cna__read_u8(r, "a dtype");
    const uint8_t ndim = cna__read_u8(r, "a dimension count");
    const uint16_t reserved = cna__read_u16(r, "a tensor's reserved field");
    if (r->status != CNA_OK) break;
    const size_t t = find_tensor(net, name, name_len);
    if (t == net->num_tensors) {
      cna__reader_fail(r, CNA_ERROR_CORRUPT, "tensor %u '%.*s' belongs to no layer of the graph",
                       i, (int)(name_len > 200 ? 200 : name_len), (const char *)name);
      break;
    }
    const cna__tensor *tensor = &net->tensors[t];
    if (seen[t]) {
      cna__reader_fail(r, CNA_ERROR_CORRUPT, "tensor '%s' appears twice", tensor->name);
      break;
    }
    seen[t] = 1;
    if (dtype != CNA__DTYPE_F32) {
      cna__reader_fail(r, CNA_ERROR_UNSUPPORTED, "tensor '%s' has dtype %u; this library reads "
                       "float32 (1)", tensor->name, dtype);
      break;
    }
    if (ndim != tensor->ndim || reserved != 0) {
      cna__reader_fail(r, CNA_ERROR_CORRUPT, "tensor '%s' has %u dimensions, the graph gives "
                       "it %zu (or a reserved field is set)",
                       tensor->name, ndim, tensor->ndim);
      break;
    }
    for (uint8_t d = 0; d < ndim && r->status == CNA_OK; d++) {
      uint64_t dim = cna__read_u64(r, "a dimension");
      if (r->status == CNA_OK && dim != tensor->dims[d])
        cna__reader_fail(r, CNA_ERROR_CORRUPT,
                         "tensor '%s' dimension %u is %llu, the graph's layers need %zu",
                         tensor->name, d, (unsigned long long)dim, tensor->dims[d]);
    }
    spans[i].offset = cna__read_u64(r, "a data offset");
    spans[i].size = cna__read_u64(r, "a data size");
    spans[i].tensor = t;
    if (r->status != CNA_OK) break;
    if (spans[i].offset % CNA__ALIGN != 0 || spans[i].size != tensor->count * sizeof(float))
      cna__reader_fail(r, CNA_ERROR_CORRUPT,
                       "tensor '%s': data at %llu with %llu bytes, expected a %d-byte aligned "
                       "offset and %zu bytes",
                       tensor->name, (unsigned long long)spans[i].offset,
                       (unsigned long long)spans[i].size, CNA__ALIGN,
                       tensor->count * sizeof(float));
  }
  free(seen);
  if (r->status != CNA_OK) return r->status;
  /* Data areas: after the records, inside the section, apart from each other. */
  qsort(spans, count, sizeof *spans, by_offset);
  uint64_t end = r->pos;
  for (uint32_t i = 0; i < count; i++) {
    if (spans[i].offset < end || spans[i].offset > r->size ||
        spans[i].size > r->size - spans[i].offset) {
      r->pos = r->size < spans[i].offset ? r->size : (size_t)spans[i].offset;
      return cna__reader_fail(r, CNA_ERROR_CORRUPT,
                              "the data of tensor '%s' (bytes %llu to %llu) overlaps the "
                              "records or another tensor, or runs past the section's %zu "
                              "bytes",
                              net->tensors[spans[i].tensor].name,
                              (unsigned long long)spans[i].offset,
                              (unsigned long long)(spans[i].offset + spans[i].size), r->size);
    }
    end = spans[i].offset + spans[i].size;
  }
  return CNA_OK;
}

/* ------------------------------------------------------------------ load */

static void release_aligned(void *blob, size_t size) {
  (void)size;
  cna__aligned_free(blob);
}

static cna_status parse(const source *src, const cna_options *opts, cna_net **out,
                        int *adopted) {
  section_entry entries[CNA__MAX_SECTIONS];
  size_t count = 0;
  *adopted = 0;
  cna_status st = read_table(src, entries, &count);
  if (st != CNA_OK) return st;
  const section_entry *graph_entry = NULL, *tensor_entry = NULL;
  for (size_t i = 0; i < count; i++) {
    if (entries[i].id == CNA__SECTION_GRAPH)
      graph_entry = &entries[i];
    else if (entries[i].id == CNA__SECTION_TENSORS)
      tensor_entry = &entries[i];
    else if (entries[i].flags & CNA__SECTION_REQUIRED) {
      char id[5];
      id_text(entries[i].id, id);
      return cna__error(CNA_ERROR_UNSUPPORTED,
                        "%s: required section '%s' is unknown to this library (written by "
                        "a newer version?)",
                        src->origin, id);
    }
    /* Unknown optional sections (and META) are skipped. */
  }
  if (graph_entry == NULL || tensor_entry == NULL)
    return corrupt(src, "the file has no %s section", graph_entry == NULL ? "GRPH" : "TNSR");
  /* META's content is not used, but a damaged one still means a damaged
   * file. Unknown optional sections are skipped unread. */
  for (size_t i = 0; i < count; i++) {
    if (entries[i].id != CNA__SECTION_META) continue;
    const unsigned char *meta;
    unsigned char *inflated;
    st = section_payload(src, &entries[i], 1, &meta, &inflated);
    cna__aligned_free(inflated);
    if (st != CNA_OK) return st;
  }

  const unsigned char *payload;
  unsigned char *owned;
  st = section_payload(src, graph_entry, 1, &payload, &owned);
  if (st != CNA_OK) return st;
  cna__reader r = {payload, (size_t)graph_entry->size, 0, src->origin, "GRPH",
                   graph_entry->offset, owned != NULL, CNA_OK};
  cna__graph g;
  cna__graph_init(&g);
  st = read_graph(&r, &g);
  cna__aligned_free(owned);
  owned = NULL;
  cna_net *net = NULL;
  if (st == CNA_OK) st = cna__net_create_empty(&g, opts->num_threads, &net);
  cna__graph_free(&g);
  if (st != CNA_OK) return st;

  span *spans = malloc((net->num_tensors + 1) * sizeof *spans);
  st = spans == NULL ? cna__error(CNA_ERROR_OUT_OF_MEMORY, "%s: out of memory", src->origin)
                     : section_payload(src, tensor_entry, opts->verify_weights, &payload,
                                       &owned);
  if (st == CNA_OK) {
    r = (cna__reader){payload, (size_t)tensor_entry->size, 0, src->origin, "TNSR",
                      tensor_entry->offset, owned != NULL, CNA_OK};
    st = read_tensors(&r, net, spans);
  }
  if (st == CNA_OK) {
    if (!cna__host_is_little_endian()) {
      /* Floats are stored little-endian: swap into memory of the net's own. */
      for (size_t i = 0; i < net->num_tensors && st == CNA_OK; i++) {
        cna__tensor *t = &net->tensors[spans[i].tensor];
        t->data = cna__aligned_alloc(t->count * sizeof(float));
        if (t->data == NULL) {
          st = cna__error(CNA_ERROR_OUT_OF_MEMORY, "%s: out of memory", src->origin);
          break;
        }
        t->owns_data = 1;
        for (size_t k = 0; k < t->count; k++) {
          uint32_t bits = cna__load_u32(payload + spans[i].offset + 4 * k);
          memcpy(&t->data[k], &bits, 4);
        }
      }
      cna__aligned_free(owned);
    } else {
      /* Point the tensors at their data: in the inflated buffer, in the
       * caller's mapping, or in a copy of the section. */
      unsigned char *base = owned;
      if (base == NULL && !src->adoptable) {
        base = cna__aligned_alloc(tensor_entry->size ? (size_t)tensor_entry->size : 1);
        if (base == NULL)
          st = cna__error(CNA_ERROR_OUT_OF_MEMORY, "%s: out of memory for %llu bytes of "
                          "weights", src->origin, (unsigned long long)tensor_entry->size);
        else
          memcpy(base, payload, (size_t)tensor_entry->size);
      }
      if (st == CNA_OK) {
        const unsigned char *data = base != NULL ? base : payload;
        for (size_t i = 0; i < net->num_tensors; i++)
          net->tensors[spans[i].tensor].data = (float *)(void *)(data + spans[i].offset);
        if (base != NULL) {
          net->blob = base;
          net->blob_size = (size_t)tensor_entry->size;
          net->release_blob = release_aligned;
        } else {
          *adopted = 1;
        }
      }
    }
  } else {
    cna__aligned_free(owned);
  }
  free(spans);
  if (st == CNA_OK) st = cna__plan_build(net);
  if (st != CNA_OK) {
    cna_net_destroy(net);
    return st;
  }
  *out = net;
  return CNA_OK;
}

static cna_status check_load_args(const char *fn, cna_net **out, const cna_options **opts,
                                  cna_options *defaults) {
  if (out == NULL) return cna__error(CNA_ERROR_INVALID_ARGUMENT, "%s: out is NULL", fn);
  if (*opts == NULL) {
    cna__options_defaults(defaults);
    *opts = defaults;
  }
  return CNA_OK;
}

cna_status cna_net_load_from_memory(const void *data, size_t size, const cna_options *opts,
                                    cna_net **out) {
  cna_options defaults;
  cna_status st = check_load_args("cna_net_load_from_memory", out, &opts, &defaults);
  if (st != CNA_OK) return st;
  if (data == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT, "cna_net_load_from_memory: data is NULL");
  source src = {data, size, "model buffer", 0};
  int adopted;
  return parse(&src, opts, out, &adopted);
}

static void release_mapping(void *blob, size_t size) { munmap(blob, size); }

cna_status cna_net_load(const char *path, const cna_options *opts, cna_net **out) {
  cna_options defaults;
  cna_status st = check_load_args("cna_net_load", out, &opts, &defaults);
  if (st != CNA_OK) return st;
  if (path == NULL) return cna__error(CNA_ERROR_INVALID_ARGUMENT, "cna_net_load: path is NULL");
  char origin[512];
  snprintf(origin, sizeof origin, "model file '%s'", path);
  /* O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused
   * below like any file that is not a regular one. */
  int fd = open(path, O_RDONLY | O_NONBLOCK);
  if (fd < 0) return cna__error(CNA_ERROR_IO, "cannot open %s: %s", origin, strerror(errno));
  struct stat info;
  if (fstat(fd, &info) != 0) {
    st = cna__error(CNA_ERROR_IO, "cannot read %s: %s", origin, strerror(errno));
    close(fd);
    return st;
  }
  if (!S_ISREG(info.st_mode)) {
    close(fd);
    return cna__error(CNA_ERROR_IO, "cannot read %s: not a regular file", origin);
  }
  const size_t size = (size_t)info.st_size;
  if (size < CNA__HEADER_SIZE) {
    close(fd);
    source src = {(const unsigned char *)"", size, origin, 0};
    return corrupt(&src, "%zu bytes is shorter than the %d-byte header (truncated, or not a "
                         "model file)",
                   size, CNA__HEADER_SIZE);
  }
  /* Private and writable: set_tensor may change weights without touching
   * the file; pages nobody writes stay shared with the page cache. */
  void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  unsigned char *copy = NULL;
  if (map == MAP_FAILED) {
    map = NULL;
    copy = cna__aligned_alloc(size);
    size_t got = 0;
    while (copy != NULL && got < size) {
      ssize_t n = read(fd, copy + got, size - got);
      if (n <= 0) break;
      got += (size_t)n;
    }
    if (copy == NULL || got != size) {
      st = cna__error(copy == NULL ? CNA_ERROR_OUT_OF_MEMORY : CNA_ERROR_IO,
                      "cannot read %s: %s", origin, copy == NULL ? "out of memory" : strerror(errno));
      cna__aligned_free(copy);
      close(fd);
      return st;
    }
  }
  close(fd);
  source src = {map != NULL ? map : copy, size, origin, 1};
  int adopted = 0;
  st = parse(&src, opts, out, &adopted);
  if (st == CNA_OK && adopted) {
    (*out)->blob = map != NULL ? map : copy;
    (*out)->blob_size = size;
    (*out)->release_blob = map != NULL ? release_mapping : release_aligned;
  } else if (map != NULL) {
    munmap(map, size);
  } else {
    cna__aligned_free(copy);
  }
  return st;
}
