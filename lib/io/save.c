/*
 * Saving a net as a .cna file (docs/format.md). Sections are streamed, raw
 * or through deflate, into a sink (a file or a memory buffer); the header and
 * section table, which hold their sizes and CRCs, are written last over the
 * room left for them at the start. Files are written under a temporary name
 * in the target's directory, flushed to disk and renamed over the target, so
 * a failed or interrupted save never leaves a partial file under its name.
 */
#define _POSIX_C_SOURCE 200809L /* fdopen, fsync, open flags */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "common/common.h"
#include "io/format.h"

/* ------------------------------------------------------------ sinks */

typedef struct sink {
  FILE *file;       /* a file sink, or */
  cna__bytes bytes; /* a memory sink */
  const char *path; /* for messages */
  uint64_t written;
} sink;

static cna_status sink_write(sink *s, const void *data, size_t n) {
  if (n == 0) return CNA_OK;
  if (s->file != NULL) {
    if (fwrite(data, 1, n, s->file) != n)
      return cna__error(CNA_ERROR_IO, "cannot write '%s': %s", s->path, strerror(errno));
  } else {
    cna__put(&s->bytes, data, n);
    if (s->bytes.failed)
      return cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory saving a net to memory");
  }
  s->written += n;
  return CNA_OK;
}

/* Every run of zeros the saver writes is padding to a 64-byte boundary or
 * the room left for the header and table of its three sections. */
static const unsigned char zeros[CNA__HEADER_SIZE + 3 * CNA__SECTION_ENTRY_SIZE];

static cna_status sink_zeros(sink *s, size_t n) {
  if (n > sizeof zeros) return cna__error(CNA_ERROR_INTERNAL, "padding of %zu bytes", n);
  return sink_write(s, zeros, n);
}

/* Overwrites bytes already written at the start. */
static cna_status sink_patch_start(sink *s, const unsigned char *data, size_t n) {
  if (s->file == NULL) {
    memcpy(s->bytes.data, data, n);
    return CNA_OK;
  }
  if (fflush(s->file) != 0 || fseek(s->file, 0, SEEK_SET) != 0 ||
      fwrite(data, 1, n, s->file) != n || fflush(s->file) != 0)
    return cna__error(CNA_ERROR_IO, "cannot write '%s': %s", s->path, strerror(errno));
  return CNA_OK;
}

/* ----------------------------------------------------- section writer */

typedef struct section {
  sink *out;
  int deflating;
  z_stream z;
  uint32_t crc;
  uint64_t stored, size;
  unsigned char buffer[1 << 16];
} section;

static cna_status stored_bytes(section *w, const unsigned char *data, size_t n) {
  w->crc = (uint32_t)crc32(w->crc, data, (uInt)n);
  w->stored += n;
  return sink_write(w->out, data, n);
}

static cna_status deflate_pending(section *w, int flush) {
  int ret;
  do {
    w->z.next_out = w->buffer;
    w->z.avail_out = sizeof w->buffer;
    ret = deflate(&w->z, flush);
    if (ret == Z_STREAM_ERROR)
      return cna__error(CNA_ERROR_INTERNAL, "deflate failed on '%s'", w->out->path);
    cna_status st = stored_bytes(w, w->buffer, sizeof w->buffer - w->z.avail_out);
    if (st != CNA_OK) return st;
  } while (w->z.avail_out == 0 || (flush == Z_FINISH && ret != Z_STREAM_END));
  return CNA_OK;
}

static cna_status section_begin(section *w, sink *out, int level) {
  memset(w, 0, offsetof(section, buffer));
  w->out = out;
  w->crc = (uint32_t)crc32(0, Z_NULL, 0);
  if (level > 0) {
    if (deflateInit(&w->z, level) != Z_OK)
      return cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory starting deflate");
    w->deflating = 1;
  }
  return CNA_OK;
}

static cna_status section_put(section *w, const void *data, size_t n) {
  const unsigned char *p = data;
  w->size += n;
  /* zlib counts in uInt: feed at most 1 GiB at a time. */
  while (n > 0) {
    size_t chunk = n < ((size_t)1 << 30) ? n : (size_t)1 << 30;
    cna_status st;
    if (w->deflating) {
      w->z.next_in = (Bytef *)p;
      w->z.avail_in = (uInt)chunk;
      st = deflate_pending(w, Z_NO_FLUSH);
    } else {
      st = stored_bytes(w, p, chunk);
    }
    if (st != CNA_OK) return st;
    p += chunk;
    n -= chunk;
  }
  return CNA_OK;
}

static cna_status section_zeros(section *w, size_t n) {
  if (n > sizeof zeros) return cna__error(CNA_ERROR_INTERNAL, "padding of %zu bytes", n);
  return section_put(w, zeros, n);
}

static cna_status section_finish(section *w) {
  if (!w->deflating) return CNA_OK;
  cna_status st = deflate_pending(w, Z_FINISH);
  deflateEnd(&w->z);
  w->deflating = 0;
  return st;
}

static void section_abort(section *w) {
  if (w->deflating) deflateEnd(&w->z);
  w->deflating = 0;
}

/* ------------------------------------------------------------ payloads */

static size_t align_up(size_t n) { return (n + CNA__ALIGN - 1) & ~(size_t)(CNA__ALIGN - 1); }

static void build_graph(const cna_net *net, cna__bytes *b) {
  const cna__graph *g = &net->graph;
  cna__put_u32(b, (uint32_t)g->num_layers);
  cna__put_u32(b, (uint32_t)cna__graph_output(g));
  for (size_t i = 0; i < g->num_layers; i++) {
    const cna__layer *l = &g->layers[i];
    const size_t name_len = strlen(l->name);
    cna__put_u16(b, (uint16_t)l->type);
    cna__put_u16(b, (uint16_t)name_len);
    cna__put(b, l->name, name_len);
    cna__put_u32(b, (uint32_t)l->num_inputs);
    for (size_t k = 0; k < l->num_inputs; k++) cna__put_u32(b, (uint32_t)l->inputs[k]);
    /* Attributes that differ from zero, the default. */
    uint16_t count = 0;
    for (size_t a = 0; a < cna__attr_count; a++) {
      uint32_t bits;
      memcpy(&bits, (const char *)&l->attrs + cna__attr_table[a].offset, 4);
      count += bits != 0;
    }
    cna__put_u16(b, count);
    for (size_t a = 0; a < cna__attr_count; a++) {
      uint32_t bits;
      memcpy(&bits, (const char *)&l->attrs + cna__attr_table[a].offset, 4);
      if (bits == 0) continue;
      cna__put_u16(b, cna__attr_table[a].key);
      cna__put_u16(b, 0);
      cna__put_u32(b, bits);
    }
  }
}

/* The tensor records; *data_offsets receives where each tensor's data
 * starts, relative to the payload. */
static void build_tensor_records(const cna_net *net, cna__bytes *b, uint64_t *data_offsets) {
  size_t records = 4;
  for (size_t i = 0; i < net->num_tensors; i++)
    records += 2 + strlen(net->tensors[i].name) + 4 + 8 * net->tensors[i].ndim + 16;
  uint64_t offset = align_up(records);
  cna__put_u32(b, (uint32_t)net->num_tensors);
  for (size_t i = 0; i < net->num_tensors; i++) {
    const cna__tensor *t = &net->tensors[i];
    const size_t name_len = strlen(t->name);
    cna__put_u16(b, (uint16_t)name_len);
    cna__put(b, t->name, name_len);
    cna__put_u8(b, CNA__DTYPE_F32);
    cna__put_u8(b, (uint8_t)t->ndim);
    cna__put_u16(b, 0);
    for (size_t d = 0; d < t->ndim; d++) cna__put_u64(b, t->dims[d]);
    data_offsets[i] = offset;
    cna__put_u64(b, offset);
    cna__put_u64(b, (uint64_t)t->count * sizeof(float));
    offset = align_up(offset + t->count * sizeof(float));
  }
}

static cna_status put_floats(section *w, const float *data, size_t count) {
  if (cna__host_is_little_endian()) return section_put(w, data, count * sizeof(float));
  unsigned char chunk[4096];
  while (count > 0) {
    size_t n = count < sizeof chunk / 4 ? count : sizeof chunk / 4;
    for (size_t i = 0; i < n; i++) {
      uint32_t bits;
      memcpy(&bits, &data[i], 4);
      cna__store_u32(chunk + 4 * i, bits);
    }
    cna_status st = section_put(w, chunk, 4 * n);
    if (st != CNA_OK) return st;
    data += n;
    count -= n;
  }
  return CNA_OK;
}

/* ---------------------------------------------------------------- save */

typedef struct entry {
  uint32_t id, flags;
  uint64_t offset, stored, size;
  uint32_t crc;
} entry;

static cna_status write_net(const cna_net *net, int level, sink *out) {
  enum { SECTIONS = 3 };
  entry entries[SECTIONS];
  const size_t table_end = CNA__HEADER_SIZE + SECTIONS * CNA__SECTION_ENTRY_SIZE;
  cna__bytes graph = {0}, records = {0}, meta = {0};
  uint64_t *offsets = calloc(net->num_tensors + 1, sizeof *offsets);
  section *w = malloc(sizeof *w);
  cna_status st = CNA_OK;
  if (offsets == NULL || w == NULL) {
    st = cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory saving a net");
    goto done;
  }
  build_graph(net, &graph);
  build_tensor_records(net, &records, offsets);
  cna__put_u32(&meta, 1);
  cna__put_u16(&meta, 8);
  cna__put(&meta, "producer", 8);
  cna__put_u32(&meta, (uint32_t)strlen("libcnnarch " CNA_VERSION_STRING));
  cna__put(&meta, "libcnnarch " CNA_VERSION_STRING, strlen("libcnnarch " CNA_VERSION_STRING));
  if (graph.failed || records.failed || meta.failed) {
    st = cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory saving a net");
    goto done;
  }

  st = sink_zeros(out, table_end);
  const uint32_t ids[SECTIONS] = {CNA__SECTION_GRAPH, CNA__SECTION_TENSORS, CNA__SECTION_META};
  for (int i = 0; i < SECTIONS && st == CNA_OK; i++) {
    st = sink_zeros(out, align_up(out->written) - out->written);
    if (st != CNA_OK) break;
    entries[i] = (entry){.id = ids[i],
                         .flags = (ids[i] != CNA__SECTION_META ? CNA__SECTION_REQUIRED : 0) |
                                  (level > 0 ? CNA__SECTION_DEFLATED : 0),
                         .offset = out->written};
    st = section_begin(w, out, level);
    if (st != CNA_OK) break;
    if (ids[i] == CNA__SECTION_GRAPH) {
      st = section_put(w, graph.data, graph.size);
    } else if (ids[i] == CNA__SECTION_META) {
      st = section_put(w, meta.data, meta.size);
    } else {
      st = section_put(w, records.data, records.size);
      uint64_t at = records.size;
      for (size_t t = 0; t < net->num_tensors && st == CNA_OK; t++) {
        st = section_zeros(w, (size_t)(offsets[t] - at));
        if (st == CNA_OK) st = put_floats(w, net->tensors[t].data, net->tensors[t].count);
        at = offsets[t] + net->tensors[t].count * sizeof(float);
      }
    }
    if (st == CNA_OK) st = section_finish(w);
    if (st != CNA_OK) {
      section_abort(w);
      break;
    }
    entries[i].stored = w->stored;
    entries[i].size = w->size;
    entries[i].crc = w->crc;
  }
  if (st != CNA_OK) goto done;

  unsigned char head[CNA__HEADER_SIZE + SECTIONS * CNA__SECTION_ENTRY_SIZE] = {0};
  unsigned char *table = head + CNA__HEADER_SIZE;
  for (int i = 0; i < SECTIONS; i++) {
    unsigned char *e = table + i * CNA__SECTION_ENTRY_SIZE;
    cna__store_u32(e + 0, entries[i].id);
    cna__store_u32(e + 4, entries[i].flags);
    cna__store_u64(e + 8, entries[i].offset);
    cna__store_u64(e + 16, entries[i].stored);
    cna__store_u64(e + 24, entries[i].size);
    cna__store_u32(e + 32, entries[i].crc);
  }
  memcpy(head, CNA__MAGIC, 8);
  cna__store_u32(head + 8, CNA_FORMAT_VERSION);
  cna__store_u32(head + 12, CNA__HEADER_SIZE);
  cna__store_u64(head + 16, out->written);
  cna__store_u32(head + 24, SECTIONS);
  cna__store_u32(head + 28, (uint32_t)crc32(0, table, SECTIONS * CNA__SECTION_ENTRY_SIZE));
  cna__store_u32(head + 60, (uint32_t)crc32(0, head, 60));
  st = sink_patch_start(out, head, sizeof head);
done:
  cna__bytes_free(&graph);
  cna__bytes_free(&records);
  cna__bytes_free(&meta);
  free(offsets);
  free(w);
  return st;
}

static cna_status check_save_args(const char *fn, const cna_net *net, int level) {
  if (net == NULL) return cna__error(CNA_ERROR_INVALID_ARGUMENT, "%s: net is NULL", fn);
  if (level < 0 || level > 9)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "%s: compression level must be 0 (none) to 9, found %d", fn, level);
  return CNA_OK;
}

cna_status cna_net_save_to_memory(const cna_net *net, int compression_level, void **data,
                                  size_t *size) {
  cna_status st = check_save_args("cna_net_save_to_memory", net, compression_level);
  if (st != CNA_OK) return st;
  if (data == NULL || size == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_net_save_to_memory: data and size must not be NULL");
  sink out = {.path = "(memory)"};
  st = write_net(net, compression_level, &out);
  if (st != CNA_OK) {
    cna__bytes_free(&out.bytes);
    return st;
  }
  *data = out.bytes.data;
  *size = out.bytes.size;
  return CNA_OK;
}

void cna_free(void *data) { free(data); }

/* Flushes the directory holding path, so the rename itself is durable. */
static void sync_directory(const char *path) {
  char dir[4096];
  const char *slash = strrchr(path, '/');
  if (slash == NULL) {
    strcpy(dir, ".");
  } else if (slash == path) {
    strcpy(dir, "/");
  } else {
    size_t n = (size_t)(slash - path);
    if (n >= sizeof dir) return;
    memcpy(dir, path, n);
    dir[n] = '\0';
  }
  int fd = open(dir, O_RDONLY);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

cna_status cna_net_save(const cna_net *net, const char *path, int compression_level) {
  cna_status st = check_save_args("cna_net_save", net, compression_level);
  if (st != CNA_OK) return st;
  if (path == NULL || path[0] == '\0')
    return cna__error(CNA_ERROR_INVALID_ARGUMENT, "cna_net_save: path is NULL or empty");

  /* A fresh name beside the target: O_EXCL so two savers never share it. */
  static atomic_uint counter;
  size_t tmp_size = strlen(path) + 64;
  char *tmp = malloc(tmp_size);
  if (tmp == NULL) return cna__error(CNA_ERROR_OUT_OF_MEMORY, "cna_net_save: out of memory");
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
    snprintf(tmp, tmp_size, "%s.tmp-%ld-%u", path, (long)getpid(),
             atomic_fetch_add(&counter, 1u));
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    st = cna__error(CNA_ERROR_IO, "cannot create a temporary file beside '%s': %s", path,
                    strerror(errno));
    free(tmp);
    return st;
  }
  FILE *file = fdopen(fd, "wb");
  if (file == NULL) {
    st = cna__error(CNA_ERROR_IO, "cannot write '%s': %s", tmp, strerror(errno));
    close(fd);
    unlink(tmp);
    free(tmp);
    return st;
  }
  setvbuf(file, NULL, _IOFBF, 1 << 20);
  sink out = {.file = file, .path = tmp};
  st = write_net(net, compression_level, &out);
  if (st == CNA_OK && (fflush(file) != 0 || fsync(fd) != 0))
    st = cna__error(CNA_ERROR_IO, "cannot write '%s': %s", tmp, strerror(errno));
  if (fclose(file) != 0 && st == CNA_OK)
    st = cna__error(CNA_ERROR_IO, "cannot write '%s': %s", tmp, strerror(errno));
  if (st == CNA_OK && rename(tmp, path) != 0)
    st = cna__error(CNA_ERROR_IO, "cannot rename '%s' to '%s': %s", tmp, path,
                    strerror(errno));
  if (st != CNA_OK) {
    unlink(tmp); /* the previous file under path, if any, is untouched */
    cna__error_append(" (nothing was written to '%s')", path);
  } else {
    sync_directory(path);
  }
  free(tmp);
  return st;
}
