/* Damaged .cna files, written from docs/format.md (the specification) alone:
 * every class of damage a reader must refuse, each made by changing ONE thing
 * in a valid file from cna_net_save_to_memory and recomputing the checksums
 * that would otherwise hide it; then truncations, bit flips and files on
 * disk. Every refusal is checked for its exact status, a message saying what
 * and where, and an out pointer left NULL. The round trips of valid files
 * are in tests/test_format.c. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, mkfifo, sigaction */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "tests.h"

/* ------------------------------------------------ the layout (format.md) */

enum {
  HEADER = 64, /* header bytes, and where the section table starts */
  ENTRY = 40,  /* bytes of a section table entry */
  ALIGN = 64,
  /* header fields */
  H_VERSION = 8, H_HEADER_SIZE = 12, H_FILE_SIZE = 16, H_COUNT = 24, H_TABLE_CRC = 28,
  H_FLAGS = 32, H_RESERVED = 36, H_CRC = 60,
  /* section table entry fields */
  E_ID = 0, E_FLAGS = 4, E_OFFSET = 8, E_STORED = 16, E_SIZE = 24, E_CRC = 32, E_RESERVED = 36,
  /* section flags */
  REQUIRED = 1, DEFLATED = 2,
};

#define SECTION_ID(a, b, c, d) \
  ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define GRPH SECTION_ID('G', 'R', 'P', 'H')
#define TNSR SECTION_ID('T', 'N', 'S', 'R')
#define META SECTION_ID('M', 'E', 'T', 'A')
#define XTRA SECTION_ID('X', 'T', 'R', 'A') /* an id version 1 does not define */

/* Attribute keys used below. */
enum { K_OUT_CHANNELS = 1, K_KERNEL_H = 2, K_STRIDE_H = 4, K_GROUPS = 12, K_BIAS = 13,
       K_EPS = 22 };

static size_t align_up(size_t n) { return (n + ALIGN - 1) / ALIGN * ALIGN; }

/* ------------------------------------------------------------ byte buffers */

typedef struct buf {
  unsigned char *p;
  size_t n;
} buf;

/* A copy of n bytes (zeros when data is NULL), in a block of exactly n bytes
 * so that the sanitizers see any read past the end. */
static buf buf_of(const void *data, size_t n) {
  buf b = {malloc(n ? n : 1), n};
  ck_assert_ptr_nonnull(b.p);
  if (n > 0) {
    if (data != NULL)
      memcpy(b.p, data, n);
    else
      memset(b.p, 0, n);
  }
  return b;
}

static buf buf_copy(const buf *b) { return buf_of(b->p, b->n); }

static void buf_free(buf *b) {
  free(b->p);
  b->p = NULL;
  b->n = 0;
}

/* Replaces bytes [at, at + removed) with n bytes of data (zeros if NULL). */
static void buf_splice(buf *b, size_t at, size_t removed, const void *data, size_t n) {
  ck_assert(at + removed <= b->n);
  buf out = buf_of(NULL, b->n - removed + n);
  memcpy(out.p, b->p, at);
  if (data != NULL) memcpy(out.p + at, data, n);
  memcpy(out.p + at + n, b->p + at + removed, b->n - at - removed);
  buf_free(b);
  *b = out;
}

static uint64_t get(const buf *b, size_t at, int bytes) {
  ck_assert_msg(at + (size_t)bytes <= b->n, "helper reads %d bytes at %zu of %zu", bytes, at,
                b->n);
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++) v |= (uint64_t)b->p[at + i] << (8 * i);
  return v;
}

static void put(buf *b, size_t at, int bytes, uint64_t v) {
  ck_assert_msg(at + (size_t)bytes <= b->n, "helper writes %d bytes at %zu of %zu", bytes, at,
                b->n);
  for (int i = 0; i < bytes; i++) b->p[at + i] = (unsigned char)(v >> (8 * i));
}

#define get16(b, at) ((uint16_t)get((b), (at), 2))
#define get32(b, at) ((uint32_t)get((b), (at), 4))
#define get64(b, at) get((b), (at), 8)
#define put16(b, at, v) put((b), (at), 2, (v))
#define put32(b, at, v) put((b), (at), 4, (v))
#define put64(b, at, v) put((b), (at), 8, (v))

static uint32_t crc_of(const unsigned char *p, size_t n) {
  return (uint32_t)crc32(crc32(0, Z_NULL, 0), p, (uInt)n);
}

/* Deterministic pseudo-randomness (xorshift64*), seeded per test. */
typedef struct rng {
  uint64_t s;
} rng;

static uint64_t rng_next(rng *r) {
  r->s ^= r->s >> 12;
  r->s ^= r->s << 25;
  r->s ^= r->s >> 27;
  return r->s * 2685821657736338717ull;
}

static size_t rng_below(rng *r, size_t n) { return (size_t)(rng_next(r) % n); }

/* ------------------------------------------------- header and section table */

static size_t entry_at(size_t i) { return HEADER + i * ENTRY; }
static size_t section_count(const buf *m) { return get32(m, H_COUNT); }
static size_t table_end(const buf *m) { return entry_at(section_count(m)); }

/* The table entry of a section (its position in the file). */
static size_t entry_of(const buf *m, uint32_t id) {
  for (size_t i = 0; i < section_count(m); i++)
    if (get32(m, entry_at(i) + E_ID) == id) return entry_at(i);
  ck_abort_msg("the helper found no section %08x", id);
  return 0;
}

static size_t section_offset(const buf *m, uint32_t id) {
  return (size_t)get64(m, entry_of(m, id) + E_OFFSET);
}
static size_t section_stored(const buf *m, uint32_t id) {
  return (size_t)get64(m, entry_of(m, id) + E_STORED);
}

static void fix_section_crc(buf *m, uint32_t id) {
  const size_t e = entry_of(m, id), off = section_offset(m, id);
  put32(m, e + E_CRC, crc_of(m->p + off, section_stored(m, id)));
}
static void fix_table_crc(buf *m) {
  put32(m, H_TABLE_CRC, crc_of(m->p + HEADER, section_count(m) * ENTRY));
}
static void fix_header_crc(buf *m) { put32(m, H_CRC, crc_of(m->p, 60)); }

/* After a header field changed. */
static void reseal_header(buf *m) { fix_header_crc(m); }
/* After a table entry changed: the table's CRC, then the header's (which
 * holds the table's). */
static void reseal_table(buf *m) {
  fix_table_crc(m);
  fix_header_crc(m);
}
/* After a section's stored bytes changed: its CRC, the table's, the header's. */
static void reseal_section(buf *m, uint32_t id) {
  fix_section_crc(m, id);
  reseal_table(m);
}

/* ------------------------------------- files taken apart and put together */

/* A section as stored: id, flags, the stored bytes and the size field. */
typedef struct part {
  uint32_t id, flags;
  buf stored;
  uint64_t size;
} part;

typedef struct parts {
  part s[8];
  size_t n;
} parts;

static parts split(const buf *m) {
  parts ps;
  memset(&ps, 0, sizeof ps);
  ps.n = section_count(m);
  ck_assert_uint_le(ps.n, 8);
  for (size_t i = 0; i < ps.n; i++) {
    const size_t e = entry_at(i);
    ps.s[i].id = get32(m, e + E_ID);
    ps.s[i].flags = get32(m, e + E_FLAGS);
    ps.s[i].stored = buf_of(m->p + get64(m, e + E_OFFSET), (size_t)get64(m, e + E_STORED));
    ps.s[i].size = get64(m, e + E_SIZE);
  }
  return ps;
}

static void parts_free(parts *ps) {
  for (size_t i = 0; i < ps->n; i++) buf_free(&ps->s[i].stored);
  ps->n = 0;
}

/* A valid file of the sections in that order, laid out as libcnnarch does:
 * the table after the header, each section at the next multiple of 64, the
 * file ending with the last section. */
static buf join(const parts *ps) {
  size_t offsets[8], size = entry_at(ps->n);
  for (size_t i = 0; i < ps->n; i++) {
    offsets[i] = align_up(size);
    size = offsets[i] + ps->s[i].stored.n;
  }
  buf m = buf_of(NULL, size);
  memcpy(m.p, "\x89" "CNA\r\n\x1a\n", 8);
  put32(&m, H_VERSION, 1);
  put32(&m, H_HEADER_SIZE, HEADER);
  put64(&m, H_FILE_SIZE, size);
  put32(&m, H_COUNT, ps->n);
  for (size_t i = 0; i < ps->n; i++) {
    const part *s = &ps->s[i];
    const size_t e = entry_at(i);
    put32(&m, e + E_ID, s->id);
    put32(&m, e + E_FLAGS, s->flags);
    put64(&m, e + E_OFFSET, offsets[i]);
    put64(&m, e + E_STORED, s->stored.n);
    put64(&m, e + E_SIZE, s->size);
    if (s->stored.n > 0) memcpy(m.p + offsets[i], s->stored.p, s->stored.n);
    put32(&m, e + E_CRC, crc_of(s->stored.p, s->stored.n));
  }
  reseal_table(&m);
  return m;
}

static part *find_part(parts *ps, uint32_t id) {
  for (size_t i = 0; i < ps->n; i++)
    if (ps->s[i].id == id) return &ps->s[i];
  ck_abort_msg("the helper found no section %08x", id);
  return NULL;
}

static void remove_part(parts *ps, uint32_t id) {
  part *s = find_part(ps, id);
  buf_free(&s->stored);
  const size_t i = (size_t)(s - ps->s);
  memmove(&ps->s[i], &ps->s[i + 1], (ps->n - i - 1) * sizeof *s);
  ps->n--;
}

/* Inserts a section at position `at` of the table. */
static void insert_part(parts *ps, size_t at, uint32_t id, uint32_t flags, const void *payload,
                        size_t n) {
  ck_assert_uint_lt(ps->n, 8);
  memmove(&ps->s[at + 1], &ps->s[at], (ps->n - at) * sizeof ps->s[0]);
  ps->s[at] = (part){id, flags, buf_of(payload, n), n};
  if (flags & DEFLATED) {
    uLongf len = compressBound((uLong)n);
    buf z = buf_of(NULL, len);
    ck_assert_int_eq(compress2(z.p, &len, payload, (uLong)n, 6), Z_OK);
    z.n = len;
    buf_free(&ps->s[at].stored);
    ps->s[at].stored = z;
  }
  ps->n++;
}

/* The payload of a section: its stored bytes, inflated if DEFLATED. */
static buf part_payload(const part *s) {
  if (!(s->flags & DEFLATED)) return buf_copy(&s->stored);
  buf out = buf_of(NULL, (size_t)s->size);
  uLongf len = (uLongf)s->size;
  ck_assert_int_eq(uncompress(out.p, &len, s->stored.p, (uLong)s->stored.n), Z_OK);
  ck_assert_uint_eq(len, s->size);
  return out;
}

/* Stores a new payload, deflating it (level 6) if the section is DEFLATED. */
static void set_part_payload(part *s, const buf *payload) {
  buf_free(&s->stored);
  s->size = payload->n;
  if (!(s->flags & DEFLATED)) {
    s->stored = buf_copy(payload);
    return;
  }
  uLongf len = compressBound((uLong)payload->n);
  s->stored = buf_of(NULL, len);
  ck_assert_int_eq(compress2(s->stored.p, &len, payload->p, (uLong)payload->n, 6), Z_OK);
  s->stored.n = len;
}

static buf payload_of(const buf *m, uint32_t id) {
  parts ps = split(m);
  buf b = part_payload(find_part(&ps, id));
  parts_free(&ps);
  return b;
}

/* Gives section id a new payload and lays the file out again. */
static void replace_payload(buf *m, uint32_t id, const buf *payload) {
  parts ps = split(m);
  set_part_payload(find_part(&ps, id), payload);
  buf out = join(&ps);
  parts_free(&ps);
  buf_free(m);
  *m = out;
}

/* ----------------------------------------------------------- GRPH fields */

/* Where each field of a layer is (absolute positions in the buffer). */
typedef struct glayer {
  size_t type, name_len, name, num_inputs, inputs, num_attrs, attrs, end;
} glayer;

typedef struct gmap {
  size_t count, output; /* the layer count and output index fields */
  size_t n;
  glayer l[16];
} gmap;

/* Walks the GRPH payload that starts at `base` in b (the section's offset in
 * an uncompressed file, or 0 in a payload buffer). */
static gmap map_graph(const buf *b, size_t base) {
  gmap g;
  memset(&g, 0, sizeof g);
  g.count = base;
  g.output = base + 4;
  g.n = get32(b, base);
  ck_assert_uint_le(g.n, 16);
  size_t at = base + 8;
  for (size_t i = 0; i < g.n; i++) {
    glayer *l = &g.l[i];
    l->type = at;
    l->name_len = at + 2;
    l->name = at + 4;
    l->num_inputs = l->name + get16(b, l->name_len);
    l->inputs = l->num_inputs + 4;
    l->num_attrs = l->inputs + 4 * (size_t)get32(b, l->num_inputs);
    l->attrs = l->num_attrs + 2;
    l->end = l->attrs + 8 * (size_t)get16(b, l->num_attrs);
    at = l->end;
  }
  return g;
}

/* The position of the attribute record (key, reserved, value) with key. */
static size_t attr_at(const buf *b, const glayer *l, uint16_t key) {
  for (size_t a = 0; a < get16(b, l->num_attrs); a++)
    if (get16(b, l->attrs + 8 * a) == key) return l->attrs + 8 * a;
  ck_abort_msg("the helper found no attribute %u", key);
  return 0;
}

/* ----------------------------------------------------------- TNSR fields */

typedef struct trec {
  size_t name_len, name, dtype, ndim, reserved, dims, offset, size, end;
} trec;

typedef struct tmap {
  size_t count, n, records_end;
  trec t[16];
} tmap;

static tmap map_tensors(const buf *b, size_t base) {
  tmap t;
  memset(&t, 0, sizeof t);
  t.count = base;
  t.n = get32(b, base);
  ck_assert_uint_le(t.n, 16);
  size_t at = base + 4;
  for (size_t i = 0; i < t.n; i++) {
    trec *r = &t.t[i];
    r->name_len = at;
    r->name = at + 2;
    r->dtype = r->name + get16(b, r->name_len);
    r->ndim = r->dtype + 1;
    r->reserved = r->dtype + 2;
    r->dims = r->dtype + 4;
    r->offset = r->dims + 8 * (size_t)b->p[r->ndim];
    r->size = r->offset + 8;
    r->end = r->size + 8;
    at = r->end;
  }
  t.records_end = at;
  return t;
}

static const trec *record(const buf *b, const tmap *t, const char *name) {
  for (size_t i = 0; i < t->n; i++)
    if (get16(b, t->t[i].name_len) == strlen(name) &&
        memcmp(b->p + t->t[i].name, name, strlen(name)) == 0)
      return &t->t[i];
  ck_abort_msg("the helper found no tensor record '%s'", name);
  return NULL;
}

/* ------------------------------------------------------------- the models */

/* Ten layers, nine tensors, a few KB: every test below can afford thousands
 * of loads. Layers: 0 data, 1 conv1, 2 bn1, 3 relu1, 4 conv2 (groups 2,
 * stride 2), 5 pool, 6 sum (add of 4 and 5), 7 flat, 8 fc, 9 prob. */
static cna_net *small_net(void) {
  cna_builder *b;
  cna_net *net;
  ck_assert_ok(cna_builder_create(&b));
  ck_assert_ok(cna_builder_input(b, "data", 3, 8, 8));
  ck_assert_ok(cna_builder_conv2d(b, "conv1", NULL, 4, 3, 1, 1, 1));
  ck_assert_ok(cna_builder_batch_norm(b, "bn1", NULL, 1e-5f));
  ck_assert_ok(cna_builder_relu(b, "relu1", NULL));
  ck_assert_ok(cna_builder_conv2d_ex(b, "conv2", NULL, 4, 3, 3, 2, 2, 1, 1, 1, 1, 2, 0));
  ck_assert_ok(cna_builder_max_pool2d(b, "pool", "relu1", 2, 2, 0, 0));
  ck_assert_ok(cna_builder_add(b, "sum", "conv2", "pool"));
  ck_assert_ok(cna_builder_flatten(b, "flat", NULL));
  ck_assert_ok(cna_builder_fully_connected(b, "fc", NULL, 10, 1));
  ck_assert_ok(cna_builder_softmax(b, "prob", NULL));
  ck_assert_ok(cna_builder_set_output(b, "prob"));
  ck_assert_ok(cna_builder_build(b, NULL, &net));
  cna_builder_destroy(b);
  return net;
}

enum { L_DATA, L_CONV1, L_BN1, L_RELU1, L_CONV2, L_POOL, L_SUM, L_FLAT, L_FC, L_PROB, LAYERS };
#define TENSORS 9

static buf save_net(const cna_net *net, int level) {
  void *data;
  size_t size;
  ck_assert_ok(cna_net_save_to_memory(net, level, &data, &size));
  buf m = buf_of(data, size);
  cna_free(data);
  return m;
}

static buf small_model(int level) {
  cna_net *net = small_net();
  buf m = save_net(net, level);
  cna_net_destroy(net);
  return m;
}

static buf zoo_model(const char *arch, int level) {
  cna_net *net;
  ck_assert_ok(cna_net_create_arch(arch, NULL, &net));
  buf m = save_net(net, level);
  cna_net_destroy(net);
  return m;
}

/* ------------------------------------------------------------- the checks */

static int allowed_failure(cna_status st) {
  return st == CNA_ERROR_CORRUPT || st == CNA_ERROR_UNSUPPORTED;
}

static void check_refusal(int line, cna_status got, cna_net *net, cna_status expected,
                          const char *const *texts) {
  const int out_set = net != NULL;
  if (got == CNA_OK) cna_net_destroy(net);
  ck_assert_msg(got == expected, "line %d: the load returned %s (\"%s\"), expected %s", line,
                cna_status_string(got), cna_last_error_message(), cna_status_string(expected));
  ck_assert_msg(!out_set, "line %d: a failed load set the out pointer", line);
  for (; *texts != NULL; texts++)
    ck_assert_msg(strstr(cna_last_error_message(), *texts) != NULL,
                  "line %d: message \"%s\" lacks \"%s\"", line, cna_last_error_message(),
                  *texts);
}

static void refused_at(int line, const buf *m, const cna_options *opts, cna_status expected,
                       const char *const *texts) {
  cna_net *net = NULL;
  cna_status st = cna_net_load_from_memory(m->p, m->n, opts, &net);
  check_refusal(line, st, net, expected, texts);
}

static void file_refused_at(int line, const char *path, const cna_options *opts,
                            cna_status expected, const char *const *texts) {
  cna_net *net = NULL;
  cna_status st = cna_net_load(path, opts, &net);
  check_refusal(line, st, net, expected, texts);
}

/* expect_refused(model, status, "text", ...): the load fails with exactly
 * that status, leaves out NULL, and the message has every text. */
#define expect_refused(m, status, ...) \
  refused_at(__LINE__, (m), NULL, (status), (const char *const[]){__VA_ARGS__, NULL})
#define expect_refused_with(m, opts, status, ...) \
  refused_at(__LINE__, (m), (opts), (status), (const char *const[]){__VA_ARGS__, NULL})
#define expect_file_refused(path, opts, status, ...) \
  file_refused_at(__LINE__, (path), (opts), (status), (const char *const[]){__VA_ARGS__, NULL})

static cna_net *loads_at(int line, const buf *m, const cna_options *opts) {
  cna_net *net = NULL;
  cna_status st = cna_net_load_from_memory(m->p, m->n, opts, &net);
  ck_assert_msg(st == CNA_OK, "line %d: the load failed: %s (%s)", line, cna_status_string(st),
                cna_last_error_message());
  ck_assert_ptr_nonnull(net);
  return net;
}

/* The model loads and is the small net (ten layers, nine tensors). */
static void loads_small_at(int line, const buf *m) {
  cna_net *net = loads_at(line, m, NULL);
  size_t layers, tensors;
  ck_assert_ok(cna_net_layer_count(net, &layers));
  ck_assert_ok(cna_net_tensor_count(net, &tensors));
  ck_assert_msg(layers == LAYERS && tensors == TENSORS, "line %d: %zu layers, %zu tensors", line,
                layers, tensors);
  cna_net_destroy(net);
}
#define expect_loads(m) loads_small_at(__LINE__, (m))

/* The number after `label` in the last message ("file offset ", "byte "). */
static unsigned long long message_number(const char *label) {
  const char *p = strstr(cna_last_error_message(), label);
  ck_assert_msg(p != NULL, "message \"%s\" lacks \"%s\"", cna_last_error_message(), label);
  return strtoull(p + strlen(label), NULL, 10);
}

/* The message points into [lo, hi]. */
static void expect_position(const char *label, size_t lo, size_t hi) {
  unsigned long long at = message_number(label);
  ck_assert_msg(at >= lo && at <= hi, "message \"%s\": position %llu outside %zu..%zu",
                cna_last_error_message(), at, lo, hi);
}

/* ------------------------------------------------------ temporary files */

static char directory[64];

static void make_directory(void) {
  strcpy(directory, "/tmp/cnnarch-corrupt-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(directory));
}

static void remove_directory(void) {
  char command[128];
  snprintf(command, sizeof command, "rm -rf '%s'", directory);
  ck_assert_int_eq(system(command), 0);
}

static void write_file(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(data, 1, n, f), n);
  ck_assert_int_eq(fclose(f), 0);
}

/* ====================================================== the helpers first */

START_TEST(helpers_match_the_library) {
  /* Everything below trusts these helpers: they must read the library's
   * files as the spec lays them out, and rebuild them byte for byte. */
  buf m = small_model(0);
  ck_assert_uint_eq(get64(&m, H_FILE_SIZE), m.n);
  ck_assert_uint_eq(section_count(&m), 3);
  ck_assert_uint_eq(get32(&m, entry_at(0)), GRPH);
  ck_assert_uint_eq(get32(&m, entry_at(1)), TNSR);
  ck_assert_uint_eq(get32(&m, entry_at(2)), META);
  ck_assert_uint_eq(get32(&m, entry_at(0) + E_FLAGS), REQUIRED);
  ck_assert_uint_eq(get32(&m, entry_at(2) + E_FLAGS), 0);
  ck_assert_uint_eq(get32(&m, H_CRC), crc_of(m.p, 60));
  ck_assert_uint_eq(get32(&m, H_TABLE_CRC), crc_of(m.p + HEADER, 3 * ENTRY));
  parts ps = split(&m);
  buf again = join(&ps);
  parts_free(&ps);
  ck_assert_uint_eq(again.n, m.n);
  ck_assert_int_eq(memcmp(again.p, m.p, m.n), 0);
  buf_free(&again);

  const size_t g = section_offset(&m, GRPH), t = section_offset(&m, TNSR);
  gmap gm = map_graph(&m, g);
  ck_assert_uint_eq(gm.n, LAYERS);
  ck_assert_uint_eq(gm.l[LAYERS - 1].end, g + section_stored(&m, GRPH));
  ck_assert_uint_eq(get32(&m, gm.output), L_PROB);
  ck_assert_int_eq(memcmp(m.p + gm.l[L_SUM].name, "sum", 3), 0);
  ck_assert_uint_eq(get32(&m, gm.l[L_SUM].inputs), L_CONV2);
  ck_assert_uint_eq(get32(&m, gm.l[L_SUM].inputs + 4), L_POOL);
  ck_assert_uint_eq(get32(&m, attr_at(&m, &gm.l[L_CONV2], K_GROUPS) + 4), 2);
  tmap tm = map_tensors(&m, t);
  ck_assert_uint_eq(tm.n, TENSORS);
  ck_assert_uint_le(tm.records_end - t, get64(&m, tm.t[0].offset));
  ck_assert_uint_eq(get64(&m, record(&m, &tm, "fc.weight")->dims + 8), 64);
  expect_loads(&m);

  /* Deflated: rebuilt with our own deflate, and with a payload re-set. */
  buf z = small_model(6);
  ck_assert_uint_eq(get32(&z, entry_at(1) + E_FLAGS), REQUIRED | DEFLATED);
  ps = split(&z);
  again = join(&ps);
  parts_free(&ps);
  expect_loads(&again);
  buf p = payload_of(&z, GRPH);
  buf plain = payload_of(&m, GRPH);
  ck_assert_uint_eq(p.n, plain.n);
  ck_assert_int_eq(memcmp(p.p, plain.p, p.n), 0);
  replace_payload(&z, GRPH, &p);
  expect_loads(&z);
  buf_free(&p), buf_free(&plain), buf_free(&again), buf_free(&z), buf_free(&m);
}
END_TEST

/* ================================================================ header */

START_TEST(too_short_for_a_header) {
  buf m = small_model(0);
  static const unsigned char nothing[1] = {0};
  cna_net *net = NULL;
  /* An empty buffer (a valid pointer, 0 bytes). */
  ck_assert_status(cna_net_load_from_memory(nothing, 0, NULL, &net), CNA_ERROR_CORRUPT);
  ck_assert_ptr_null(net);
  ck_assert_message_has("model buffer: 0 bytes is shorter than the 64-byte header");
  for (size_t n = 1; n < HEADER; n++) {
    buf cut = buf_of(m.p, n);
    char text[64];
    snprintf(text, sizeof text, ": %zu bytes is shorter than the 64-byte header", n);
    expect_refused(&cut, CNA_ERROR_CORRUPT, text);
    buf_free(&cut);
  }
  buf_free(&m);
}
END_TEST

START_TEST(not_a_model) {
  rng r = {0x243F6A8885A308D3ull};
  buf noise = buf_of(NULL, 4096);
  for (size_t i = 0; i < noise.n; i++) noise.p[i] = (unsigned char)rng_next(&r);
  expect_refused(&noise, CNA_ERROR_CORRUPT, "offset 0: no .cna magic", "not a libcnnarch model");
  buf_free(&noise);

  /* A PNG: the same kind of signature, another name. */
  static const unsigned char png_head[] = {
      0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 1,
      0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89};
  buf png = buf_of(NULL, 200);
  memcpy(png.p, png_head, sizeof png_head);
  expect_refused(&png, CNA_ERROR_CORRUPT, "offset 0: no .cna magic");
  buf_free(&png);
  png = buf_of(png_head, sizeof png_head); /* 33 bytes: not even a header */
  expect_refused(&png, CNA_ERROR_CORRUPT, "33 bytes is shorter than the 64-byte header");
  buf_free(&png);

  /* Text, and a model compressed whole by some tool. */
  const char *text = "#!/bin/sh\n# this is a shell script, not a model file at all\n"
                     "echo hello; echo world; exit 0\n";
  buf t = buf_of(text, strlen(text));
  expect_refused(&t, CNA_ERROR_CORRUPT, "no .cna magic");
  buf_free(&t);
  buf m = small_model(0);
  uLongf len = compressBound((uLong)m.n);
  buf z = buf_of(NULL, len);
  ck_assert_int_eq(compress2(z.p, &len, m.p, (uLong)m.n, 9), Z_OK);
  z.n = len;
  expect_refused(&z, CNA_ERROR_CORRUPT, "no .cna magic");
  buf_free(&z), buf_free(&m);
}
END_TEST

START_TEST(bad_magic) {
  buf m = small_model(0);
  for (size_t i = 0; i < 8; i++) {
    /* One magic byte off, the header CRC recomputed: only the magic is wrong. */
    buf c = buf_copy(&m);
    c.p[i] ^= 0x20;
    reseal_header(&c);
    expect_refused(&c, CNA_ERROR_CORRUPT, "offset 0: no .cna magic");
    buf_free(&c);
  }
  /* What the magic is for: a text-mode transfer that turned \r\n into \n. */
  buf c = buf_copy(&m);
  buf_splice(&c, 4, 1, NULL, 0);
  expect_refused(&c, CNA_ERROR_CORRUPT, "offset 0: no .cna magic");
  buf_free(&c), buf_free(&m);
}
END_TEST

START_TEST(header_checksum_mismatch) {
  buf m = small_model(0);
  /* Any header byte after the magic (reserved ones included) and the CRC
   * itself: refused by the header CRC, before any field is believed. */
  static const size_t bytes[] = {H_VERSION, H_HEADER_SIZE, H_FILE_SIZE + 3, H_COUNT,
                                 H_TABLE_CRC, H_FLAGS, H_RESERVED + 5, 59, H_CRC, 63};
  for (size_t i = 0; i < sizeof bytes / sizeof bytes[0]; i++) {
    buf c = buf_copy(&m);
    c.p[bytes[i]] ^= 0x01;
    expect_refused(&c, CNA_ERROR_CORRUPT, "offset 60: header checksum", "the header is damaged");
    buf_free(&c);
  }
  buf_free(&m);
}
END_TEST

START_TEST(reserved_header_bytes_are_not_checked) {
  /* "zero when written; not checked (covered by the header CRC)". */
  buf m = small_model(0);
  memset(m.p + H_RESERVED, 0xA5, 24);
  reseal_header(&m);
  expect_loads(&m);
  buf_free(&m);
}
END_TEST

START_TEST(newer_format_version) {
  buf m = small_model(0);
  buf c = buf_copy(&m);
  put32(&c, H_VERSION, 2);
  reseal_header(&c);
  expect_refused(&c, CNA_ERROR_UNSUPPORTED, "model buffer: offset 8: format version 2 is newer",
                 "(1)", "use a newer libcnnarch");
  buf_free(&c);
  c = buf_copy(&m);
  put32(&c, H_VERSION, UINT32_MAX);
  reseal_header(&c);
  expect_refused(&c, CNA_ERROR_UNSUPPORTED, "format version 4294967295 is newer");
  buf_free(&c);
  /* The version is checked before the fields a later version may change: a
   * version 2 file with a bigger header and flags set is still "newer". */
  c = buf_copy(&m);
  put32(&c, H_VERSION, 2);
  put32(&c, H_HEADER_SIZE, 128);
  put32(&c, H_FLAGS, 1);
  reseal_header(&c);
  expect_refused(&c, CNA_ERROR_UNSUPPORTED, "offset 8: format version 2 is newer");
  buf_free(&c), buf_free(&m);
}
END_TEST

START_TEST(format_version_zero) {
  buf m = small_model(0);
  put32(&m, H_VERSION, 0);
  reseal_header(&m);
  expect_refused(&m, CNA_ERROR_CORRUPT, "offset 8: format version 0");
  buf_free(&m);
}
END_TEST

START_TEST(header_size_not_64) {
  buf m = small_model(0);
  static const uint32_t sizes[] = {0, 40, 63, 65, 128, UINT32_MAX};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    buf c = buf_copy(&m);
    put32(&c, H_HEADER_SIZE, sizes[i]);
    reseal_header(&c);
    char text[64];
    snprintf(text, sizeof text, "offset 12: header size %u, expected 64", sizes[i]);
    expect_refused(&c, CNA_ERROR_CORRUPT, text);
    buf_free(&c);
  }
  buf_free(&m);
}
END_TEST

START_TEST(file_size_mismatch) {
  buf m = small_model(0);
  char text[128];
  /* The field says more or less than the buffer has. */
  const uint64_t claims[] = {m.n + 1, m.n - 1, m.n + 4096, 0, 64, UINT64_MAX};
  for (size_t i = 0; i < sizeof claims / sizeof claims[0]; i++) {
    buf c = buf_copy(&m);
    put64(&c, H_FILE_SIZE, claims[i]);
    reseal_header(&c);
    snprintf(text, sizeof text, "offset 16: the header says the file has %llu bytes, found %zu",
             (unsigned long long)claims[i], m.n);
    expect_refused(&c, CNA_ERROR_CORRUPT, text, "truncated or appended to");
    buf_free(&c);
  }
  /* The buffer has bytes appended, or lost its last one; the header as saved. */
  const size_t sizes[] = {m.n + 1, m.n + 64, m.n - 1};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    buf c = buf_of(NULL, sizes[i]);
    memcpy(c.p, m.p, sizes[i] < m.n ? sizes[i] : m.n);
    snprintf(text, sizeof text, "offset 16: the header says the file has %zu bytes, found %zu",
             m.n, sizes[i]);
    expect_refused(&c, CNA_ERROR_CORRUPT, text);
    buf_free(&c);
  }
  buf_free(&m);
}
END_TEST

START_TEST(header_flags_set) {
  buf m = small_model(0);
  static const uint32_t flags[] = {1, 2, 0x80000000u};
  for (size_t i = 0; i < 3; i++) {
    buf c = buf_copy(&m);
    put32(&c, H_FLAGS, flags[i]);
    reseal_header(&c);
    expect_refused(&c, CNA_ERROR_CORRUPT, "offset 32: flags", "expected 0 in format version 1");
    buf_free(&c);
  }
  buf_free(&m);
}
END_TEST

START_TEST(section_count_out_of_range) {
  buf m = small_model(0);
  static const uint32_t counts[] = {0, 1025, UINT32_MAX};
  for (size_t i = 0; i < 3; i++) {
    buf c = buf_copy(&m);
    put32(&c, H_COUNT, counts[i]);
    reseal_header(&c);
    char text[64];
    snprintf(text, sizeof text, "offset 24: %u sections, expected 1 to 1024", counts[i]);
    expect_refused(&c, CNA_ERROR_CORRUPT, text);
    buf_free(&c);
  }
  /* A count within 1..1024 whose table runs past the end of the file. */
  const uint32_t too_many = (uint32_t)((m.n - HEADER) / ENTRY + 1);
  ck_assert_uint_le(too_many, 1024);
  buf c = buf_copy(&m);
  put32(&c, H_COUNT, too_many);
  reseal_header(&c);
  char text[96];
  snprintf(text, sizeof text, "offset 64: a table of %u sections needs %u bytes, the file has %zu",
           too_many, HEADER + too_many * ENTRY, m.n);
  expect_refused(&c, CNA_ERROR_CORRUPT, text);
  buf_free(&c);
  /* Fewer sections listed, CRCs right: one fewer drops the optional META
   * (fine), two drop TNSR (refused). */
  c = buf_copy(&m);
  put32(&c, H_COUNT, 2);
  reseal_table(&c);
  expect_loads(&c);
  put32(&c, H_COUNT, 1);
  reseal_table(&c);
  expect_refused(&c, CNA_ERROR_CORRUPT, "the file has no TNSR section");
  buf_free(&c), buf_free(&m);
}
END_TEST

START_TEST(table_checksum_mismatch) {
  buf m = small_model(0);
  /* A table byte changed; the header (which holds the table's CRC) intact. */
  for (size_t at = HEADER; at < table_end(&m); at += 13) {
    buf c = buf_copy(&m);
    c.p[at] ^= 0x10;
    expect_refused(&c, CNA_ERROR_CORRUPT, "offset 28: section table checksum");
    buf_free(&c);
  }
  /* The table CRC field itself wrong, the header CRC recomputed. */
  buf c = buf_copy(&m);
  put32(&c, H_TABLE_CRC, get32(&c, H_TABLE_CRC) ^ 0x00010000u);
  reseal_header(&c);
  expect_refused(&c, CNA_ERROR_CORRUPT, "offset 28: section table checksum");
  buf_free(&c);
  /* The table changed and its CRC recomputed, but not the header's. */
  c = buf_copy(&m);
  put64(&c, entry_at(2) + E_SIZE, get64(&c, entry_at(2) + E_SIZE) + 1);
  fix_table_crc(&c);
  expect_refused(&c, CNA_ERROR_CORRUPT, "offset 60: header checksum");
  buf_free(&c), buf_free(&m);
}
END_TEST

/* ========================================================= section table */

START_TEST(entry_unknown_flags_or_reserved) {
  buf m = small_model(0);
  buf c = buf_copy(&m);
  put32(&c, entry_at(0) + E_FLAGS, REQUIRED | 4);
  reseal_table(&c);
  expect_refused(&c, CNA_ERROR_CORRUPT, "offset 64: section GRPH has unknown flags 00000005");
  buf_free(&c);
  c = buf_copy(&m);
  put32(&c, entry_at(1) + E_FLAGS, REQUIRED | 0x80000000u);
  reseal_table(&c);
  expect_refused(&c, CNA_ERROR_CORRUPT, "offset 104: section TNSR has unknown flags");
  buf_free(&c);
  c = buf_copy(&m);
  put32(&c, entry_at(2) + E_RESERVED, 1);
  reseal_table(&c);
  expect_refused(&c, CNA_ERROR_CORRUPT, "offset 144: section META", "non-zero reserved field");
  buf_free(&c), buf_free(&m);
}
END_TEST

START_TEST(entry_offset_unaligned_or_in_header) {
  buf m = small_model(0);
  const size_t tnsr = section_offset(&m, TNSR);
  /* Not a multiple of 64. */
  static const size_t deltas[] = {4, 1, 32, 63};
  for (size_t i = 0; i < 4; i++) {
    buf c = buf_copy(&m);
    put64(&c, entry_at(1) + E_OFFSET, tnsr - 64 + deltas[i]);
    reseal_table(&c);
    expect_refused(&c, CNA_ERROR_CORRUPT, "offset 104: section TNSR claims bytes",
                   "64-byte aligned");
    buf_free(&c);
  }
  /* Aligned, but inside the header or the table (which ends at 184). */
  static const size_t inside[] = {0, 64, 128};
  for (size_t i = 0; i < 3; i++) {
    buf c = buf_copy(&m);
    put64(&c, entry_at(0) + E_OFFSET, inside[i]);
    reseal_table(&c);
    char text[96];
    snprintf(text, sizeof text, "offset 64: section GRPH claims bytes %zu to", inside[i]);
    expect_refused(&c, CNA_ERROR_CORRUPT, text, "outside the file's 184 to");
    buf_free(&c);
  }
  buf_free(&m);
}
END_TEST

START_TEST(entry_past_the_end) {
  buf m = small_model(0);
  /* One stored byte too many. */
  buf c = buf_copy(&m);
  const size_t meta = section_offset(&m, META);
  put64(&c, entry_at(2) + E_STORED, m.n - meta + 1);
  put64(&c, entry_at(2) + E_SIZE, m.n - meta + 1); /* the same claim, kept consistent */
  reseal_table(&c);
  expect_refused(&c, CNA_ERROR_CORRUPT, "offset 144: section META claims bytes");
  buf_free(&c);
  /* Starting past the end. */
  c = buf_copy(&m);
  put64(&c, entry_at(1) + E_OFFSET, align_up(m.n) + 64);
  reseal_table(&c);
  expect_refused(&c, CNA_ERROR_CORRUPT, "offset 104: section TNSR claims bytes");
  buf_free(&c), buf_free(&m);
}
END_TEST

START_TEST(entry_huge_values) {
  /* Neither an overflow nor an allocation may follow from these: under
   * ASan an attempt to allocate them aborts the test. */
  buf m = small_model(0);
  static const struct {
    size_t field;
    uint64_t value;
    const char *text;
  } cases[] = {
      {E_OFFSET, UINT64_MAX, "section TNSR claims bytes 18446744073709551615"},
      {E_OFFSET, UINT64_MAX - 63, "section TNSR claims bytes 18446744073709551552"},
      {E_OFFSET, (uint64_t)1 << 63, "section TNSR claims bytes"},
      {E_STORED, UINT64_MAX, "section TNSR claims bytes"},
      {E_STORED, UINT64_MAX - 1000, "section TNSR claims bytes"},
      {E_SIZE, UINT64_MAX, "is not deflated but its size 18446744073709551615 differs"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    buf c = buf_copy(&m);
    put64(&c, entry_at(1) + cases[i].field, cases[i].value);
    reseal_table(&c);
    expect_refused(&c, CNA_ERROR_CORRUPT, "offset 104: ", cases[i].text);
    buf_free(&c);
  }
  /* Deflated: a huge size is refused by the 1032:1 rule, before inflating. */
  buf z = small_model(6);
  static const uint64_t sizes[] = {UINT64_MAX, (uint64_t)1 << 40, (uint64_t)1 << 32};
  for (size_t i = 0; i < 3; i++) {
    buf c = buf_copy(&z);
    put64(&c, entry_at(1) + E_SIZE, sizes[i]);
    reseal_table(&c);
    expect_refused(&c, CNA_ERROR_CORRUPT, "offset 104: section TNSR claims to inflate",
                   "more than deflate can produce");
    buf_free(&c);
  }
  buf c = buf_copy(&z);
  put64(&c, entry_at(0) + E_STORED, UINT64_MAX);
  reseal_table(&c);
  expect_refused(&c, CNA_ERROR_CORRUPT, "offset 64: section GRPH claims bytes");
  buf_free(&c), buf_free(&z), buf_free(&m);
}
END_TEST

START_TEST(uncompressed_size_differs_from_stored) {
  buf m = small_model(0);
  const uint64_t stored = section_stored(&m, TNSR);
  const uint64_t sizes[] = {stored + 1, stored - 1, 0};
  for (size_t i = 0; i < 3; i++) {
    buf c = buf_copy(&m);
    put64(&c, entry_at(1) + E_SIZE, sizes[i]);
    reseal_table(&c);
    char text[128];
    snprintf(text, sizeof text, "section TNSR is not deflated but its size %llu differs from its "
             "stored size %llu",
             (unsigned long long)sizes[i], (unsigned long long)stored);
    expect_refused(&c, CNA_ERROR_CORRUPT, "offset 104: ", text);
    buf_free(&c);
  }
  /* A deflated section whose DEFLATED flag was lost: the same rule. */
  buf z = small_model(6);
  put32(&z, entry_at(1) + E_FLAGS, REQUIRED);
  reseal_table(&z);
  expect_refused(&z, CNA_ERROR_CORRUPT, "section TNSR is not deflated but its size");
  buf_free(&z), buf_free(&m);
}
END_TEST

START_TEST(deflate_ratio_limit) {
  /* "a size greater than 1032 times the stored size plus 1032 cannot come
   * from deflate and is refused before anything is allocated". */
  buf z = small_model(6);
  const uint64_t stored = section_stored(&z, TNSR);
  buf c = buf_copy(&z);
  put64(&c, entry_at(1) + E_SIZE, 1032 * stored + 1033);
  reseal_table(&c);
  char text[128];
  snprintf(text, sizeof text, "section TNSR claims to inflate %llu bytes to %llu",
           (unsigned long long)stored, (unsigned long long)(1032 * stored + 1033));
  expect_refused(&c, CNA_ERROR_CORRUPT, text, "more than deflate can produce");
  buf_free(&c);
  /* The largest size the rule lets through is then refused by inflating. */
  c = buf_copy(&z);
  put64(&c, entry_at(1) + E_SIZE, 1032 * stored + 1032);
  reseal_table(&c);
  expect_refused(&c, CNA_ERROR_CORRUPT, "section TNSR at offset",
                 "does not inflate to exactly the");
  buf_free(&c), buf_free(&z);
}
END_TEST

START_TEST(overlapping_sections) {
  buf m = small_model(0);
  /* META placed where TNSR is (entirely inside it). */
  buf c = buf_copy(&m);
  put64(&c, entry_at(2) + E_OFFSET, section_offset(&m, TNSR));
  reseal_table(&c);
  expect_refused(&c, CNA_ERROR_CORRUPT, "offset 144: section META overlaps section 1");
  buf_free(&c);
  /* TNSR placed at GRPH's offset. */
  c = buf_copy(&m);
  put64(&c, entry_at(1) + E_OFFSET, section_offset(&m, GRPH));
  reseal_table(&c);
  expect_refused(&c, CNA_ERROR_CORRUPT, "offset 104: section TNSR overlaps section 0");
  buf_free(&c);
  /* Deflated: GRPH's stored bytes run 64 bytes into TNSR's (a deflated
   * section's stored size is free to differ from its size). */
  buf z = small_model(6);
  put64(&z, entry_at(0) + E_STORED, section_offset(&z, TNSR) - section_offset(&z, GRPH) + 64);
  reseal_table(&z);
  expect_refused(&z, CNA_ERROR_CORRUPT, "offset 104: section TNSR overlaps section 0");
  buf_free(&z), buf_free(&m);
}
END_TEST

START_TEST(same_section_id_twice) {
  buf m = small_model(0);
  buf c = buf_copy(&m);
  put32(&c, entry_at(2) + E_ID, GRPH); /* META's entry renamed */
  reseal_table(&c);
  expect_refused(&c, CNA_ERROR_CORRUPT, "section GRPH appears twice");
  buf_free(&c);
  c = buf_copy(&m);
  put32(&c, entry_at(2) + E_ID, TNSR);
  reseal_table(&c);
  expect_refused(&c, CNA_ERROR_CORRUPT, "section TNSR appears twice");
  buf_free(&c);
  /* A second META, appended: also refused ("An id appears at most once"). */
  parts ps = split(&m);
  insert_part(&ps, ps.n, META, 0, "\0\0\0\0", 4);
  c = join(&ps);
  parts_free(&ps);
  expect_refused(&c, CNA_ERROR_CORRUPT, "section META appears twice");
  buf_free(&c), buf_free(&m);
}
END_TEST

START_TEST(missing_required_section) {
  for (int level = 0; level <= 6; level += 6) {
    buf m = small_model(level);
    parts ps = split(&m);
    remove_part(&ps, GRPH);
    buf c = join(&ps);
    parts_free(&ps);
    expect_refused(&c, CNA_ERROR_CORRUPT, "model buffer: the file has no GRPH section");
    buf_free(&c);
    ps = split(&m);
    remove_part(&ps, TNSR);
    c = join(&ps);
    parts_free(&ps);
    expect_refused(&c, CNA_ERROR_CORRUPT, "model buffer: the file has no TNSR section");
    buf_free(&c);
    /* Without META it is still a model. */
    ps = split(&m);
    remove_part(&ps, META);
    c = join(&ps);
    parts_free(&ps);
    expect_loads(&c);
    buf_free(&c), buf_free(&m);
  }
}
END_TEST

START_TEST(unknown_optional_section_is_skipped) {
  static const char future[] = "something a later version writes";
  for (int level = 0; level <= 6; level += 6) {
    buf m = small_model(level);
    const uint32_t deflated = level ? DEFLATED : 0;
    /* Appended after META. */
    parts ps = split(&m);
    insert_part(&ps, ps.n, XTRA, deflated, future, sizeof future);
    buf c = join(&ps);
    parts_free(&ps);
    ck_assert_uint_eq(section_count(&c), 4);
    expect_loads(&c);
    buf_free(&c);
    /* First in the table, before GRPH. */
    ps = split(&m);
    insert_part(&ps, 0, XTRA, deflated, future, sizeof future);
    c = join(&ps);
    parts_free(&ps);
    expect_loads(&c);
    buf_free(&c);
    /* Empty. */
    ps = split(&m);
    insert_part(&ps, 1, SECTION_ID('Z', 'Z', 'Z', '0'), 0, NULL, 0);
    c = join(&ps);
    parts_free(&ps);
    expect_loads(&c);
    buf_free(&c), buf_free(&m);
  }
}
END_TEST

START_TEST(unknown_required_section) {
  static const char future[] = "something a later version needs";
  for (int level = 0; level <= 6; level += 6) {
    buf m = small_model(level);
    for (size_t at = 0; at <= 3; at += 3) {
      parts ps = split(&m);
      insert_part(&ps, at, XTRA, REQUIRED | (level ? DEFLATED : 0), future, sizeof future);
      buf c = join(&ps);
      parts_free(&ps);
      expect_refused(&c, CNA_ERROR_UNSUPPORTED, "required section 'XTRA' is unknown",
                     "newer version");
      buf_free(&c);
    }
    buf_free(&m);
  }
}
END_TEST

/* ====================================================== section payloads */

START_TEST(weight_checksum_mismatch) {
  buf m = small_model(0);
  const size_t t = section_offset(&m, TNSR);
  tmap tm = map_tensors(&m, t);
  const size_t data = t + (size_t)get64(&m, record(&m, &tm, "conv1.weight")->offset);
  m.p[data + 5] ^= 0x40;
  char text[96];
  snprintf(text, sizeof text, "section TNSR at offset %zu: checksum", t);
  expect_refused(&m, CNA_ERROR_CORRUPT, "model buffer: ", text, "(the data is damaged)");
  buf_free(&m);
}
END_TEST

START_TEST(graph_checksum_mismatch) {
  for (int level = 0; level <= 6; level += 6) {
    buf m = small_model(level);
    const size_t g = section_offset(&m, GRPH);
    m.p[g + section_stored(&m, GRPH) / 2] ^= 0x08;
    char text[96];
    snprintf(text, sizeof text, "section GRPH at offset %zu: checksum", g);
    expect_refused(&m, CNA_ERROR_CORRUPT, text, "damaged");
    buf_free(&m);
  }
}
END_TEST

START_TEST(deflated_weight_checksum_mismatch) {
  /* Regression: a deflated file whose TNSR bytes fail their checksum once
   * freed the inflated GRPH buffer twice (section_payload returned before
   * resetting *owned). */
  buf z = small_model(6);
  const size_t t = section_offset(&z, TNSR);
  z.p[t + section_stored(&z, TNSR) / 2] ^= 0x40;
  char text[96];
  snprintf(text, sizeof text, "section TNSR at offset %zu: checksum", t);
  expect_refused(&z, CNA_ERROR_CORRUPT, text);
  /* verify_weights 0 does not skip it: a deflated section is read whole. */
  cna_options *opts;
  ck_assert_ok(cna_options_create(&opts));
  ck_assert_ok(cna_options_set_verify_weights(opts, 0));
  expect_refused_with(&z, opts, CNA_ERROR_CORRUPT, text);
  cna_options_destroy(opts);
  buf_free(&z);
}
END_TEST

START_TEST(unverified_weights_are_loaded_as_they_are) {
  make_directory();
  char path[128];
  snprintf(path, sizeof path, "%s/damaged.cna", directory);
  cna_net *net = small_net();
  buf m = save_net(net, 0);
  const size_t t = section_offset(&m, TNSR);
  tmap tm = map_tensors(&m, t);
  buf bad = buf_copy(&m);
  bad.p[t + get64(&m, record(&m, &tm, "conv1.weight")->offset) + 5] ^= 0x40; /* element 1 */
  write_file(path, bad.p, bad.n);

  /* By default the TNSR checksum is checked. */
  expect_file_refused(path, NULL, CNA_ERROR_CORRUPT, path, "section TNSR", "checksum");

  /* With verify_weights 0 it is not (docs/format.md, "Checksums and load
   * time"): the damaged file LOADS, and the flipped weight is used as it is.
   * That is the documented trade-off for trusted files, not a bug. */
  cna_options *opts;
  ck_assert_ok(cna_options_create(&opts));
  ck_assert_ok(cna_options_set_verify_weights(opts, 0));
  cna_net *loaded = NULL;
  ck_assert_ok(cna_net_load(path, opts, &loaded));
  size_t index;
  ck_assert_ok(cna_net_find_tensor(loaded, "conv1.weight", &index));
  float want[108], got[108];
  ck_assert_ok(cna_net_get_tensor(net, index, want, 108));
  ck_assert_ok(cna_net_get_tensor(loaded, index, got, 108));
  ck_assert_int_ne(memcmp(&want[1], &got[1], 4), 0);
  ck_assert_int_eq(memcmp(&want[0], &got[0], 4), 0);
  ck_assert_int_eq(memcmp(&want[2], &got[2], 106 * 4), 0);
  cna_net_destroy(loaded);
  buf_free(&bad);

  /* Still checked with verify_weights 0: the graph's checksum, */
  bad = buf_copy(&m);
  gmap gm = map_graph(&m, section_offset(&m, GRPH));
  bad.p[gm.l[L_RELU1].name] ^= 0x01;
  write_file(path, bad.p, bad.n);
  expect_file_refused(path, opts, CNA_ERROR_CORRUPT, path, "section GRPH", "checksum");
  buf_free(&bad);
  /* (a deflated TNSR's too: deflated_weight_checksum_mismatch) and every
   * structural check of the tensors. */
  bad = buf_copy(&m);
  bad.p[record(&m, &tm, "fc.bias")->dtype] = 2;
  reseal_section(&bad, TNSR);
  write_file(path, bad.p, bad.n);
  expect_file_refused(path, opts, CNA_ERROR_UNSUPPORTED, path, "dtype 2");
  buf_free(&bad);
  bad = buf_copy(&m);
  put64(&bad, record(&m, &tm, "fc.bias")->offset, align_up(section_stored(&m, TNSR)) + 256);
  reseal_section(&bad, TNSR);
  write_file(path, bad.p, bad.n);
  expect_file_refused(path, opts, CNA_ERROR_CORRUPT, path, "the data of tensor 'fc.bias'");
  buf_free(&bad);

  cna_options_destroy(opts);
  cna_net_destroy(net);
  buf_free(&m);
  remove_directory();
}
END_TEST

START_TEST(meta_checksum_is_checked) {
  /* Regression: META's checksum was never computed, so a damaged META
   * loaded. Every section libcnnarch knows is checked (docs/format.md);
   * only unknown optional sections are skipped unread. */
  buf m = small_model(0);
  m.p[section_offset(&m, META) + 8] ^= 0x01; /* a byte of the key "producer" */
  expect_refused(&m, CNA_ERROR_CORRUPT, "section META", "checksum");
  buf_free(&m);
}
END_TEST

START_TEST(meta_content_is_ignored) {
  /* A META whose content is not even META-shaped, with a right CRC: readers
   * may ignore the section, and libcnnarch does. */
  buf m = small_model(0);
  buf junk = buf_of("\xff\xff\xff\xff junk", 9);
  replace_payload(&m, META, &junk);
  expect_loads(&m);
  buf_free(&junk), buf_free(&m);
}
END_TEST

/* ========================================================= deflated data */

START_TEST(damaged_deflate_stream) {
  buf z = small_model(6);
  const size_t t = section_offset(&z, TNSR), stored = section_stored(&z, TNSR);
  char text[128];
  snprintf(text, sizeof text, "section TNSR at offset %zu: the deflate stream is damaged", t);
  /* In the middle, in the zlib header, in the Adler-32: CRCs recomputed, so
   * only inflating can tell. */
  const size_t at[] = {stored / 2, 0, 1, stored - 1};
  for (size_t i = 0; i < 4; i++) {
    buf c = buf_copy(&z);
    c.p[t + at[i]] ^= 0x55;
    reseal_section(&c, TNSR);
    expect_refused(&c, CNA_ERROR_CORRUPT, text);
    buf_free(&c);
  }
  /* A stream cut short, and one with a byte after its end. */
  parts ps = split(&z);
  find_part(&ps, TNSR)->stored.n--;
  buf c = join(&ps);
  parts_free(&ps);
  expect_refused(&c, CNA_ERROR_CORRUPT, "section TNSR at offset", "deflate stream is damaged");
  buf_free(&c);
  ps = split(&z);
  part *s = find_part(&ps, TNSR);
  buf_splice(&s->stored, s->stored.n, 0, "\x03", 1);
  c = join(&ps);
  parts_free(&ps);
  expect_refused(&c, CNA_ERROR_CORRUPT, "section TNSR at offset", "deflate stream is damaged");
  buf_free(&c);
  /* Raw bytes flagged DEFLATED. */
  buf m = small_model(0);
  put32(&m, entry_at(0) + E_FLAGS, REQUIRED | DEFLATED);
  reseal_table(&m);
  expect_refused(&m, CNA_ERROR_CORRUPT, "section GRPH at offset", "deflate stream is damaged");
  buf_free(&m), buf_free(&z);
}
END_TEST

START_TEST(inflated_size_mismatch) {
  buf z = small_model(6);
  for (uint32_t id = GRPH, k = 0; k < 2; k++, id = TNSR) {
    const size_t e = entry_of(&z, id);
    const uint64_t size = get64(&z, e + E_SIZE);
    const uint64_t wrong[] = {size + 1, size - 1};
    for (size_t i = 0; i < 2; i++) {
      buf c = buf_copy(&z);
      put64(&c, e + E_SIZE, wrong[i]);
      reseal_table(&c);
      char text[128];
      snprintf(text, sizeof text, "does not inflate to exactly the %llu bytes the table says",
               (unsigned long long)wrong[i]);
      expect_refused(&c, CNA_ERROR_CORRUPT, k == 0 ? "section GRPH at offset" :
                                                     "section TNSR at offset", text);
      buf_free(&c);
    }
  }
  buf_free(&z);
}
END_TEST

START_TEST(deflated_graph_errors_give_inflated_positions) {
  /* "Inside a deflated section, positions are given as bytes of the
   * inflated payload." A cycle in a deflated GRPH. */
  buf z = small_model(6);
  buf p = payload_of(&z, GRPH);
  gmap gm = map_graph(&p, 0);
  put32(&p, gm.l[L_SUM].inputs + 4, L_SUM);
  replace_payload(&z, GRPH, &p);
  expect_refused(&z, CNA_ERROR_CORRUPT, "section GRPH, byte ", "of its inflated payload",
                 "layer 6 'sum': input 1 is layer 6, not an earlier layer");
  expect_position("section GRPH, byte ", gm.l[L_SUM].type, gm.l[L_SUM].end);
  buf_free(&p), buf_free(&z);
}
END_TEST

/* ================================================================ GRPH */

/* A level 0 small model and the map of its graph, for in-place patches
 * followed by reseal_section(&m, GRPH). */
static buf graph_model(gmap *gm) {
  buf m = small_model(0);
  *gm = map_graph(&m, section_offset(&m, GRPH));
  return m;
}

START_TEST(layer_count_zero) {
  gmap gm;
  buf m = graph_model(&gm);
  put32(&m, gm.count, 0);
  reseal_section(&m, GRPH);
  expect_refused(&m, CNA_ERROR_CORRUPT, "section GRPH at file offset", "the graph has no layers");
  buf_free(&m);
}
END_TEST

START_TEST(layer_count_wrong) {
  gmap gm;
  buf m = graph_model(&gm);
  const size_t g = section_offset(&m, GRPH), end = g + section_stored(&m, GRPH);
  /* 0xFFFFFFFF layers in a section of a few hundred bytes: the reader must
   * run out of bytes after the real ten (the position says so), not
   * allocate for 4 billion (ASan would abort) or loop (Check's timeout). */
  static const uint32_t counts[] = {UINT32_MAX, 0x80000000u, LAYERS + 1};
  for (size_t i = 0; i < 3; i++) {
    buf c = buf_copy(&m);
    put32(&c, gm.count, counts[i]);
    reseal_section(&c, GRPH);
    expect_refused(&c, CNA_ERROR_CORRUPT, "section GRPH at file offset",
                   "a layer type needs 2 bytes but the section ends");
    expect_position("file offset ", end, end);
    buf_free(&c);
  }
  /* One layer fewer: the output index (9) no longer exists. */
  put32(&m, gm.count, LAYERS - 1);
  reseal_section(&m, GRPH);
  expect_refused(&m, CNA_ERROR_CORRUPT, "section GRPH at file offset",
                 "output layer 9, but the graph has 9");
  buf_free(&m);
}
END_TEST

START_TEST(output_index_out_of_range) {
  gmap gm;
  buf m = graph_model(&gm);
  static const uint32_t outputs[] = {LAYERS, LAYERS + 1, UINT32_MAX};
  for (size_t i = 0; i < 3; i++) {
    buf c = buf_copy(&m);
    put32(&c, gm.output, outputs[i]);
    reseal_section(&c, GRPH);
    char text[64];
    snprintf(text, sizeof text, "output layer %u, but the graph has 10", outputs[i]);
    expect_refused(&c, CNA_ERROR_CORRUPT, "section GRPH at file offset", text);
    buf_free(&c);
  }
  /* In range, an earlier layer: a valid file whose output is relu1. */
  put32(&m, gm.output, L_RELU1);
  reseal_section(&m, GRPH);
  cna_net *net = loads_at(__LINE__, &m, NULL);
  size_t out;
  ck_assert_ok(cna_net_output_size(net, &out));
  ck_assert_uint_eq(out, 4 * 8 * 8);
  cna_net_destroy(net);
  buf_free(&m);
}
END_TEST

START_TEST(unknown_layer_type) {
  gmap gm;
  buf m = graph_model(&gm);
  static const uint16_t types[] = {17, 100, UINT16_MAX};
  for (size_t i = 0; i < 3; i++) {
    buf c = buf_copy(&m);
    put16(&c, gm.l[L_RELU1].type, types[i]);
    reseal_section(&c, GRPH);
    char text[64];
    snprintf(text, sizeof text, "layer 3 has type %u, unknown to this library", types[i]);
    expect_refused(&c, CNA_ERROR_UNSUPPORTED, "section GRPH at file offset", text);
    expect_position("file offset ", gm.l[L_RELU1].type, gm.l[L_RELU1].end);
    buf_free(&c);
  }
  buf_free(&m);
}
END_TEST

START_TEST(bad_layer_names) {
  gmap gm;
  buf m = graph_model(&gm);
  const glayer *relu = &gm.l[L_RELU1];
  /* A NUL inside the name. */
  buf c = buf_copy(&m);
  c.p[relu->name + 2] = 0;
  reseal_section(&c, GRPH);
  expect_refused(&c, CNA_ERROR_CORRUPT, "section GRPH at file offset",
                 "layer 3: its name is empty or holds a NUL byte");
  expect_position("file offset ", relu->type, relu->end);
  buf_free(&c);

  /* Empty, 4097 bytes (refused), 4096 bytes (the longest allowed). */
  buf p = payload_of(&m, GRPH);
  gmap pm = map_graph(&p, 0);
  buf q = buf_copy(&p);
  put16(&q, pm.l[L_RELU1].name_len, 0);
  buf_splice(&q, pm.l[L_RELU1].name, 5, NULL, 0);
  c = buf_copy(&m);
  replace_payload(&c, GRPH, &q);
  expect_refused(&c, CNA_ERROR_CORRUPT, "layer 3: its name is empty or holds a NUL byte");
  buf_free(&c), buf_free(&q);
  for (size_t len = 4096; len <= 4097; len++) {
    char *name = malloc(len);
    ck_assert_ptr_nonnull(name);
    memset(name, 'r', len);
    q = buf_copy(&p);
    put16(&q, pm.l[L_RELU1].name_len, len);
    buf_splice(&q, pm.l[L_RELU1].name, 5, name, len);
    free(name);
    c = buf_copy(&m);
    replace_payload(&c, GRPH, &q);
    if (len == 4096) {
      cna_net *net = loads_at(__LINE__, &c, NULL);
      const char *got;
      ck_assert_ok(cna_net_layer_name(net, L_RELU1, &got));
      ck_assert_uint_eq(strlen(got), 4096);
      cna_net_destroy(net);
    } else {
      expect_refused(&c, CNA_ERROR_CORRUPT, "layer 3: name of 4097 bytes, at most 4096");
    }
    buf_free(&c), buf_free(&q);
  }
  buf_free(&p);

  /* Two layers with one name: the builder's rule, and its status. */
  c = buf_copy(&m);
  c.p[gm.l[L_CONV2].name + 4] = '1'; /* conv2 -> conv1 */
  reseal_section(&c, GRPH);
  expect_refused(&c, CNA_ERROR_INVALID_GRAPH, "conv2d 'conv1': layer 1 already has this name",
                 "model buffer: section GRPH, layer 4: ");
  buf_free(&c), buf_free(&m);
}
END_TEST

START_TEST(input_not_an_earlier_layer) {
  gmap gm;
  buf m = graph_model(&gm);
  /* Layer 6 'sum' reads layers 4 and 5. Its own index makes a cycle of one,
   * a later index a longer one. */
  static const uint32_t inputs[] = {L_SUM, L_SUM + 1, LAYERS - 1, LAYERS, UINT32_MAX};
  for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
    buf c = buf_copy(&m);
    put32(&c, gm.l[L_SUM].inputs + 4, inputs[i]);
    reseal_section(&c, GRPH);
    char text[96];
    snprintf(text, sizeof text, "layer 6 'sum': input 1 is layer %u, not an earlier layer",
             inputs[i]);
    expect_refused(&c, CNA_ERROR_CORRUPT, "model buffer: section GRPH at file offset", text);
    expect_position("file offset ", gm.l[L_SUM].inputs, gm.l[L_SUM].end);
    buf_free(&c);
  }
  /* The first layer after the input, reading itself. */
  put32(&m, gm.l[L_CONV1].inputs, L_CONV1);
  reseal_section(&m, GRPH);
  expect_refused(&m, CNA_ERROR_CORRUPT, "layer 1 'conv1': input 0 is layer 1, not an earlier layer");
  buf_free(&m);
}
END_TEST

START_TEST(input_count_huge) {
  gmap gm;
  buf m = graph_model(&gm);
  static const uint32_t counts[] = {UINT32_MAX, 0x40000000u, 1000};
  for (size_t i = 0; i < 3; i++) {
    buf c = buf_copy(&m);
    put32(&c, gm.l[L_SUM].num_inputs, counts[i]);
    reseal_section(&c, GRPH);
    char text[64];
    snprintf(text, sizeof text, "layer 6 'sum': %u inputs, but only", counts[i]);
    expect_refused(&c, CNA_ERROR_CORRUPT, "section GRPH at file offset", text, "bytes remain");
    buf_free(&c);
  }
  buf_free(&m);
}
END_TEST

START_TEST(unknown_attribute_key) {
  gmap gm;
  buf m = graph_model(&gm);
  static const uint16_t keys[] = {26, 0, 64, UINT16_MAX};
  for (size_t i = 0; i < 4; i++) {
    buf c = buf_copy(&m);
    put16(&c, attr_at(&m, &gm.l[L_CONV1], K_STRIDE_H), keys[i]);
    reseal_section(&c, GRPH);
    char text[96];
    snprintf(text, sizeof text, "layer 1 'conv1': attribute key %u is unknown to this library",
             keys[i]);
    expect_refused(&c, CNA_ERROR_UNSUPPORTED, "section GRPH at file offset", text);
    expect_position("file offset ", gm.l[L_CONV1].attrs, gm.l[L_CONV1].end);
    buf_free(&c);
  }
  buf_free(&m);
}
END_TEST

START_TEST(repeated_attribute_or_reserved_set) {
  gmap gm;
  buf m = graph_model(&gm);
  const glayer *conv = &gm.l[L_CONV1];
  /* The second attribute given the first one's key (out_channels). */
  buf c = buf_copy(&m);
  ck_assert_uint_eq(get16(&m, conv->attrs), K_OUT_CHANNELS);
  put16(&c, conv->attrs + 8, K_OUT_CHANNELS);
  reseal_section(&c, GRPH);
  expect_refused(&c, CNA_ERROR_CORRUPT, "section GRPH at file offset",
                 "layer 1 'conv1': attribute out_channels is repeated");
  buf_free(&c);
  /* A non-zero reserved field. */
  c = buf_copy(&m);
  put16(&c, attr_at(&m, conv, K_GROUPS) + 2, 1);
  reseal_section(&c, GRPH);
  expect_refused(&c, CNA_ERROR_CORRUPT, "section GRPH at file offset",
                 "layer 1 'conv1': attribute groups", "non-zero reserved field");
  buf_free(&c), buf_free(&m);
}
END_TEST

START_TEST(attribute_breaks_a_layer) {
  /* Well-formed, but a layer the builder refuses: its status, its message
   * naming the layer, and where in the file. */
  gmap gm;
  buf m = graph_model(&gm);
  static const struct {
    size_t layer;
    uint16_t key;
    uint32_t value;
    cna_status status;
    const char *text, *where;
  } cases[] = {
      {L_CONV1, K_STRIDE_H, 0, CNA_ERROR_INVALID_ARGUMENT,
       "conv2d 'conv1': kernel, stride and dilation must be at least 1",
       "model buffer: section GRPH, layer 1: "},
      {L_CONV2, K_GROUPS, 3, CNA_ERROR_INVALID_SHAPE,
       "conv2d 'conv2': 3 groups must divide the input channels (4)",
       "model buffer: section GRPH, layer 4: "},
      {L_CONV2, K_GROUPS, 0x80000000u, CNA_ERROR_INVALID_ARGUMENT,
       "conv2d 'conv2': groups must be at least 1", "model buffer: section GRPH, layer 4: "},
      {L_BN1, K_EPS, 0xBF800000u /* -1.0f */, CNA_ERROR_INVALID_ARGUMENT,
       "batch_norm 'bn1': eps must be positive", "model buffer: section GRPH, layer 2: "},
      {L_BN1, K_EPS, 0x7FC00000u /* NaN */, CNA_ERROR_INVALID_ARGUMENT,
       "batch_norm 'bn1': eps must be positive", "model buffer: section GRPH, layer 2: "},
      {L_POOL, K_KERNEL_H, 100, CNA_ERROR_INVALID_SHAPE,
       "max_pool2d 'pool': kernel 100x2 is larger than the padded input",
       "model buffer: section GRPH, layer 5: "},
      {L_FC, K_OUT_CHANNELS, 0, CNA_ERROR_INVALID_ARGUMENT,
       "fully_connected 'fc': out_features must be at least 1",
       "model buffer: section GRPH, layer 8: "},
      {L_DATA, K_OUT_CHANNELS, 0, CNA_ERROR_INVALID_ARGUMENT,
       "input 'data': channels, height and width must be at least 1",
       "model buffer: section GRPH, layer 0: "},
      /* A flag must be 0 or 1 (the builder would take any non-zero value). */
      {L_CONV1, K_BIAS, 2, CNA_ERROR_CORRUPT, "layer 1 'conv1': attribute bias is 2, expected 0 or 1",
       "model buffer: section GRPH at file offset"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    buf c = buf_copy(&m);
    put32(&c, attr_at(&m, &gm.l[cases[i].layer], cases[i].key) + 4, cases[i].value);
    reseal_section(&c, GRPH);
    expect_refused(&c, cases[i].status, cases[i].text, cases[i].where);
    buf_free(&c);
  }
  /* An input switched to a layer of another shape: add's rule. */
  buf c = buf_copy(&m);
  put32(&c, gm.l[L_SUM].inputs + 4, L_CONV1);
  reseal_section(&c, GRPH);
  expect_refused(&c, CNA_ERROR_INVALID_SHAPE, "add 'sum': inputs must have the same shape",
                 "model buffer: section GRPH, layer 6: ");
  buf_free(&c);
  /* Layer 0 not an input, and a second input layer. */
  c = buf_copy(&m);
  put16(&c, gm.l[L_DATA].type, CNA_LAYER_RELU);
  reseal_section(&c, GRPH);
  expect_refused(&c, CNA_ERROR_INVALID_GRAPH, "relu 'data': add an input layer first",
                 "model buffer: section GRPH, layer 0: ");
  buf_free(&c);
  c = buf_copy(&m);
  put16(&c, gm.l[L_RELU1].type, CNA_LAYER_INPUT);
  reseal_section(&c, GRPH);
  expect_refused(&c, CNA_ERROR_INVALID_GRAPH, "input 'relu1': the input layer must be the first",
                 "model buffer: section GRPH, layer 3: ");
  buf_free(&c), buf_free(&m);
}
END_TEST

START_TEST(refused_layer_with_a_long_name_is_still_located) {
  /* Regression: the location of a layer the builder refuses was appended
   * after its message and cut off when a long (valid) layer name filled the
   * 1024-byte buffer; it now comes first. */
  buf m = small_model(0);
  buf p = payload_of(&m, GRPH);
  gmap pm = map_graph(&p, 0);
  put32(&p, attr_at(&p, &pm.l[L_CONV1], K_STRIDE_H) + 4, 0);
  char name[1500];
  memset(name, 'c', sizeof name);
  put16(&p, pm.l[L_CONV1].name_len, sizeof name);
  buf_splice(&p, pm.l[L_CONV1].name, 5, name, sizeof name);
  replace_payload(&m, GRPH, &p);
  expect_refused(&m, CNA_ERROR_INVALID_ARGUMENT, "conv2d 'ccccccccccccccccccc",
                 "section GRPH, layer 1");
  buf_free(&p), buf_free(&m);
}
END_TEST

START_TEST(bytes_after_the_last_layer) {
  for (int level = 0; level <= 6; level += 6) {
    buf m = small_model(level);
    buf p = payload_of(&m, GRPH);
    buf_splice(&p, p.n, 0, NULL, 1);
    replace_payload(&m, GRPH, &p);
    expect_refused(&m, CNA_ERROR_CORRUPT, "section GRPH", "1 bytes follow the last layer");
    buf_splice(&p, p.n, 0, "\x01\x02\x03\x04\x05\x06\x07", 7);
    replace_payload(&m, GRPH, &p);
    expect_refused(&m, CNA_ERROR_CORRUPT, "section GRPH", "8 bytes follow the last layer");
    buf_free(&p), buf_free(&m);
  }
}
END_TEST

/* ================================================================ TNSR */

static buf tensor_model(tmap *tm) {
  buf m = small_model(0);
  *tm = map_tensors(&m, section_offset(&m, TNSR));
  return m;
}

START_TEST(tensor_count_off_by_one) {
  tmap tm;
  buf m = tensor_model(&tm);
  static const uint32_t counts[] = {TENSORS + 1, TENSORS - 1, 0, UINT32_MAX};
  for (size_t i = 0; i < 4; i++) {
    buf c = buf_copy(&m);
    put32(&c, tm.count, counts[i]);
    reseal_section(&c, TNSR);
    char text[64];
    snprintf(text, sizeof text, "%u tensors, but the graph's layers have 9", counts[i]);
    expect_refused(&c, CNA_ERROR_CORRUPT, "section TNSR at file offset", text);
    buf_free(&c);
  }
  buf_free(&m);
}
END_TEST

START_TEST(tensor_of_no_layer) {
  tmap tm;
  buf m = tensor_model(&tm);
  const trec *r = record(&m, &tm, "fc.bias");
  m.p[r->name + 4] = 'x'; /* fc.bxas */
  reseal_section(&m, TNSR);
  expect_refused(&m, CNA_ERROR_CORRUPT, "section TNSR at file offset",
                 "tensor 8 'fc.bxas' belongs to no layer of the graph");
  expect_position("file offset ", r->name_len, r->end);
  buf_free(&m);
}
END_TEST

START_TEST(tensor_record_twice) {
  tmap tm;
  buf m = tensor_model(&tm);
  m.p[record(&m, &tm, "conv2.weight")->name + 4] = '1'; /* conv2.weight -> conv1.weight */
  reseal_section(&m, TNSR);
  expect_refused(&m, CNA_ERROR_CORRUPT, "section TNSR at file offset",
                 "tensor 'conv1.weight' appears twice");
  buf_free(&m);
}
END_TEST

START_TEST(tensor_dtype_unsupported) {
  tmap tm;
  buf m = tensor_model(&tm);
  static const unsigned char dtypes[] = {2, 0, 255};
  for (size_t i = 0; i < 3; i++) {
    buf c = buf_copy(&m);
    c.p[record(&m, &tm, "conv1.weight")->dtype] = dtypes[i];
    reseal_section(&c, TNSR);
    char text[96];
    snprintf(text, sizeof text, "tensor 'conv1.weight' has dtype %u; this library reads float32",
             dtypes[i]);
    expect_refused(&c, CNA_ERROR_UNSUPPORTED, "section TNSR at file offset", text);
    buf_free(&c);
  }
  buf_free(&m);
}
END_TEST

START_TEST(tensor_wrong_dimensions) {
  tmap tm;
  buf m = tensor_model(&tm);
  const trec *w = record(&m, &tm, "conv1.weight");
  /* The dimension count. */
  static const unsigned char ndims[] = {3, 0, 1, 5, 255};
  for (size_t i = 0; i < 5; i++) {
    buf c = buf_copy(&m);
    c.p[w->ndim] = ndims[i];
    reseal_section(&c, TNSR);
    char text[96];
    snprintf(text, sizeof text, "tensor 'conv1.weight' has %u dimensions, the graph gives it 4",
             ndims[i]);
    expect_refused(&c, CNA_ERROR_CORRUPT, "section TNSR at file offset", text);
    buf_free(&c);
  }
  /* The reserved field. */
  buf c = buf_copy(&m);
  put16(&c, w->reserved, 1);
  reseal_section(&c, TNSR);
  expect_refused(&c, CNA_ERROR_CORRUPT, "tensor 'conv1.weight'", "reserved field");
  buf_free(&c);
  /* One dimension (4, 3, 3, 3 expected). */
  static const struct {
    size_t d;
    uint64_t value;
  } dims[] = {{1, 4}, {0, 3}, {3, 0}, {2, UINT64_MAX}};
  for (size_t i = 0; i < 4; i++) {
    c = buf_copy(&m);
    put64(&c, w->dims + 8 * dims[i].d, dims[i].value);
    reseal_section(&c, TNSR);
    char text[128];
    snprintf(text, sizeof text, "tensor 'conv1.weight' dimension %zu is %llu, the graph's layers "
             "need %d",
             dims[i].d, (unsigned long long)dims[i].value, dims[i].d == 0 ? 4 : 3);
    expect_refused(&c, CNA_ERROR_CORRUPT, "section TNSR at file offset", text);
    expect_position("file offset ", w->dims, w->end);
    buf_free(&c);
  }
  buf_free(&m);
}
END_TEST

START_TEST(tensor_data_offset_or_size) {
  tmap tm;
  buf m = tensor_model(&tm);
  const trec *b = record(&m, &tm, "conv1.bias");
  const uint64_t at = get64(&m, b->offset);
  /* Not 64-byte aligned. */
  static const uint64_t deltas[] = {4, 1, 32};
  for (size_t i = 0; i < 3; i++) {
    buf c = buf_copy(&m);
    put64(&c, b->offset, at + deltas[i]);
    reseal_section(&c, TNSR);
    char text[128];
    snprintf(text, sizeof text, "tensor 'conv1.bias': data at %llu with 16 bytes, expected a "
             "64-byte aligned offset and 16 bytes",
             (unsigned long long)(at + deltas[i]));
    expect_refused(&c, CNA_ERROR_CORRUPT, "section TNSR at file offset", text);
    buf_free(&c);
  }
  /* A size other than 4 x the element count. */
  static const uint64_t sizes[] = {20, 12, 0, 64, UINT64_MAX};
  for (size_t i = 0; i < 5; i++) {
    buf c = buf_copy(&m);
    put64(&c, b->size, sizes[i]);
    reseal_section(&c, TNSR);
    char text[128];
    snprintf(text, sizeof text, "tensor 'conv1.bias': data at %llu with %llu bytes, expected",
             (unsigned long long)at, (unsigned long long)sizes[i]);
    expect_refused(&c, CNA_ERROR_CORRUPT, text, "and 16 bytes");
    buf_free(&c);
  }
  buf_free(&m);
}
END_TEST

START_TEST(tensor_data_overlaps) {
  tmap tm;
  buf m = tensor_model(&tm);
  const trec *w1 = record(&m, &tm, "conv1.weight"), *b1 = record(&m, &tm, "conv1.bias");
  const trec *w2 = record(&m, &tm, "conv2.weight"), *fw = record(&m, &tm, "fc.weight");
  /* Two tensors at one offset. */
  buf c = buf_copy(&m);
  put64(&c, b1->offset, get64(&m, w1->offset));
  reseal_section(&c, TNSR);
  expect_refused(&c, CNA_ERROR_CORRUPT, "section TNSR at file offset", "the data of tensor",
                 "overlaps the records or another tensor");
  buf_free(&c);
  /* Starting inside another's data (conv2.weight has 288 bytes). */
  c = buf_copy(&m);
  put64(&c, fw->offset, get64(&m, w2->offset) + 64);
  reseal_section(&c, TNSR);
  expect_refused(&c, CNA_ERROR_CORRUPT, "the data of tensor 'fc.weight'",
                 "overlaps the records or another tensor");
  buf_free(&c);
  /* Over the records. */
  c = buf_copy(&m);
  put64(&c, w1->offset, 0);
  reseal_section(&c, TNSR);
  expect_refused(&c, CNA_ERROR_CORRUPT, "the data of tensor 'conv1.weight' (bytes 0 to 432)",
                 "overlaps the records");
  buf_free(&c), buf_free(&m);
}
END_TEST

START_TEST(tensor_data_past_the_section) {
  tmap tm;
  buf m = tensor_model(&tm);
  const size_t size = section_stored(&m, TNSR);
  const trec *fb = record(&m, &tm, "fc.bias");
  char text[64];
  snprintf(text, sizeof text, "runs past the section's %zu bytes", size);
  /* fc.bias (40 bytes, the last data area) moved to aligned places at or
   * past the end, up to where offset + size would overflow. */
  const uint64_t offsets[] = {align_up(size), align_up(size) + 64, UINT64_MAX - 63,
                              (uint64_t)1 << 62};
  for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
    buf c = buf_copy(&m);
    put64(&c, fb->offset, offsets[i]);
    reseal_section(&c, TNSR);
    expect_refused(&c, CNA_ERROR_CORRUPT, "section TNSR at file offset",
                   "the data of tensor 'fc.bias'", text);
    buf_free(&c);
  }
  /* The section one byte short (its entry and CRCs agreeing): the last
   * data area runs one byte past it. */
  buf p = payload_of(&m, TNSR);
  p.n--;
  replace_payload(&m, TNSR, &p);
  snprintf(text, sizeof text, "runs past the section's %zu bytes", size - 1);
  expect_refused(&m, CNA_ERROR_CORRUPT, "the data of tensor 'fc.bias'", text);
  buf_free(&p), buf_free(&m);
}
END_TEST

/* ============================================================ truncation */

/* Every section boundary (and the bytes around it) and 200 pseudo-random
 * points, each cut twice: with the header as saved (its file size now too
 * large) and with the file size patched to the cut and the header CRC
 * recomputed, so that only the missing sections can tell. */
static void truncations(const buf *m, uint64_t seed) {
  size_t cuts[256 + 32], n = 0;
  const size_t marks[] = {HEADER, table_end(m)};
  for (size_t i = 0; i < 2; i++) cuts[n++] = marks[i];
  for (size_t i = 0; i < section_count(m); i++) {
    const size_t off = (size_t)get64(m, entry_at(i) + E_OFFSET);
    const size_t end = off + (size_t)get64(m, entry_at(i) + E_STORED);
    const size_t around[] = {off - 1, off, off + 1, end - 1, end, end + 1};
    for (size_t k = 0; k < 6; k++) cuts[n++] = around[k];
  }
  cuts[n++] = m->n - 1;
  rng r = {seed};
  for (int i = 0; i < 200; i++) cuts[n++] = rng_below(&r, m->n);
  for (size_t i = 0; i < n; i++) {
    const size_t cut = cuts[i];
    if (cut >= m->n) continue;
    buf c = buf_of(m->p, cut);
    char text[128];
    if (cut < HEADER) {
      snprintf(text, sizeof text, "%zu bytes is shorter than the 64-byte header", cut);
      expect_refused(&c, CNA_ERROR_CORRUPT, text);
      buf_free(&c);
      continue;
    }
    snprintf(text, sizeof text, "offset 16: the header says the file has %zu bytes, found %zu",
             m->n, cut);
    expect_refused(&c, CNA_ERROR_CORRUPT, text);
    put64(&c, H_FILE_SIZE, cut);
    reseal_header(&c);
    if (cut < table_end(m)) {
      snprintf(text, sizeof text, "offset 64: a table of %zu sections needs %zu bytes",
               section_count(m), table_end(m));
      expect_refused(&c, CNA_ERROR_CORRUPT, text);
    } else {
      expect_refused(&c, CNA_ERROR_CORRUPT, "claims bytes", "outside the file's");
    }
    buf_free(&c);
  }
}

START_TEST(truncated_buffers) {
  buf m = small_model(0);
  truncations(&m, 1);
  buf_free(&m);
  m = small_model(6);
  truncations(&m, 2);
  buf_free(&m);
  m = zoo_model("lenet5", 0);
  truncations(&m, 3);
  buf_free(&m);
}
END_TEST

/* ============================================================= bit flips */

typedef enum region { R_HEADER, R_TABLE, R_PARSED, R_META, R_PADDING, REGIONS } region;
static const char *const region_names[] = {"header", "table", "GRPH/TNSR", "META", "padding"};

static region region_of(const buf *m, size_t at) {
  if (at < HEADER) return R_HEADER;
  if (at < table_end(m)) return R_TABLE;
  for (size_t i = 0; i < section_count(m); i++) {
    const size_t off = (size_t)get64(m, entry_at(i) + E_OFFSET);
    if (at >= off && at < off + (size_t)get64(m, entry_at(i) + E_STORED))
      return get32(m, entry_at(i)) == META ? R_META : R_PARSED;
  }
  return R_PADDING;
}

START_TEST(header_and_table_bit_flips) {
  /* Every single-bit error in the header and the table, CRCs left as they
   * were: the magic, the header CRC or the table CRC refuses each one. */
  for (int level = 0; level <= 6; level += 6) {
    buf m = small_model(level);
    for (size_t at = 0; at < table_end(&m); at++)
      for (int bit = 0; bit < 8; bit++) {
        buf c = buf_copy(&m);
        c.p[at] ^= (unsigned char)(1u << bit);
        expect_refused(&c, CNA_ERROR_CORRUPT,
                       at < 8 ? "offset 0: no .cna magic"
                              : at < HEADER ? "offset 60: header checksum"
                                            : "offset 28: section table checksum");
        buf_free(&c);
      }
    buf_free(&m);
  }
}
END_TEST

/* 500 random bytes of the file XORed with a random non-zero value, one at a
 * time, CRCs left as they were. */
static void random_flips(const buf *m, uint64_t seed, int loaded[REGIONS], int refused[REGIONS]) {
  rng r = {seed};
  for (int i = 0; i < 500; i++) {
    const size_t at = rng_below(&r, m->n);
    const unsigned char x = (unsigned char)(1 + rng_below(&r, 255));
    const region where = region_of(m, at);
    buf c = buf_copy(m);
    c.p[at] ^= x;
    cna_net *net = NULL;
    cna_status st = cna_net_load_from_memory(c.p, c.n, NULL, &net);
    buf_free(&c);
    if (st == CNA_OK) {
      cna_net_destroy(net);
      loaded[where]++;
      /* Only bytes no CRC covers may change without the reader noticing:
       * the padding between the table and the sections and between
       * sections. (META's CRC: see meta_checksum_is_checked, not repeated
       * here.) */
      ck_assert_msg(where == R_PADDING || where == R_META,
                    "a flip of byte %zu (%s) by %02x loaded", at, region_names[where], x);
    } else {
      refused[where]++;
      ck_assert_msg(allowed_failure(st), "a flip of byte %zu (%s): %s (%s)", at,
                    region_names[where], cna_status_string(st), cna_last_error_message());
      ck_assert_msg(net == NULL, "a failed load set the out pointer");
    }
  }
}

/* Every flip in a range a CRC the reader checks covers was refused. */
static void check_flip_counts(const int loaded[REGIONS], const int refused[REGIONS], int total) {
  int sum = 0;
  for (int r = 0; r < REGIONS; r++) sum += loaded[r] + refused[r];
  ck_assert_int_eq(sum, total);
  for (int r = R_HEADER; r <= R_PARSED; r++)
    ck_assert_msg(loaded[r] == 0, "%d flips in the %s loaded", loaded[r], region_names[r]);
  ck_assert_int_gt(refused[R_PARSED], total / 2); /* the payloads are most of the bytes */
  ck_assert_int_gt(refused[R_HEADER] + refused[R_TABLE], 0);
}

START_TEST(random_byte_flips_uncompressed) {
  int loaded[REGIONS] = {0}, refused[REGIONS] = {0};
  buf m = small_model(0);
  random_flips(&m, 11, loaded, refused);
  buf_free(&m);
  m = zoo_model("lenet5", 0);
  random_flips(&m, 13, loaded, refused);
  buf_free(&m);
  check_flip_counts(loaded, refused, 1000);
}
END_TEST

START_TEST(random_byte_flips_deflated) {
  /* Regression: a flip in a deflated TNSR's bytes crashed the reader (the
   * double free of deflated_weight_checksum_mismatch). */
  int loaded[REGIONS] = {0}, refused[REGIONS] = {0};
  buf m = small_model(6);
  random_flips(&m, 12, loaded, refused);
  buf_free(&m);
  m = zoo_model("lenet5", 6);
  random_flips(&m, 14, loaded, refused);
  buf_free(&m);
  check_flip_counts(loaded, refused, 1000);
}
END_TEST

START_TEST(resealed_payload_flips) {
  /* Damage the checksums cannot see: random bytes of the GRPH and TNSR
   * payloads changed and every CRC recomputed. The parser alone stands
   * between these and the net: each load either fails with a status of the
   * API, leaving out NULL and naming the section, or gives a net that runs. */
  static const cna_status allowed[] = {CNA_ERROR_CORRUPT, CNA_ERROR_UNSUPPORTED,
                                       CNA_ERROR_INVALID_ARGUMENT, CNA_ERROR_INVALID_SHAPE,
                                       CNA_ERROR_INVALID_GRAPH, CNA_ERROR_TOO_LARGE};
  buf m = small_model(0);
  const size_t g = section_offset(&m, GRPH), gn = section_stored(&m, GRPH);
  const size_t t = section_offset(&m, TNSR);
  const size_t records = map_tensors(&m, t).records_end - t;
  rng r = {0xC0FFEE};
  int ok = 0, failed = 0;
  for (int i = 0; i < 1500; i++) {
    buf c = buf_copy(&m);
    uint32_t id;
    size_t at;
    if (i % 3 != 2) { /* two in three in the graph, the rest in the tensor records */
      id = GRPH;
      at = g + rng_below(&r, gn);
    } else {
      id = TNSR;
      at = t + rng_below(&r, records);
    }
    c.p[at] ^= (unsigned char)(i % 2 ? 1u << rng_below(&r, 8) : 1 + rng_below(&r, 255));
    reseal_section(&c, id);
    cna_net *net = NULL;
    cna_status st = cna_net_load_from_memory(c.p, c.n, NULL, &net);
    buf_free(&c);
    if (st == CNA_OK) {
      ok++;
      size_t in[3], out;
      uint64_t activations;
      ck_assert_ok(cna_net_input_shape(net, in));
      ck_assert_ok(cna_net_output_size(net, &out));
      ck_assert_ok(cna_net_total_stat(net, CNA_STAT_ACTIVATIONS, &activations));
      if (activations < ((uint64_t)1 << 20)) {
        float *x = calloc(in[0] * in[1] * in[2], sizeof *x), *y = malloc(out * sizeof *y);
        ck_assert_ptr_nonnull(x);
        ck_assert_ptr_nonnull(y);
        ck_assert_ok(cna_net_forward(net, x, 1, y));
        free(x), free(y);
      }
      cna_net_destroy(net);
      continue;
    }
    failed++;
    int known = 0;
    for (size_t k = 0; k < sizeof allowed / sizeof allowed[0]; k++) known |= st == allowed[k];
    ck_assert_msg(known, "byte %zu: %s (%s)", at, cna_status_string(st), cna_last_error_message());
    ck_assert_msg(net == NULL, "byte %zu: a failed load set the out pointer", at);
    /* A changed graph may also show in the tensors (a layer renamed, a
     * channel count changed): either section, but one. */
    ck_assert_msg(strstr(cna_last_error_message(), "section GRPH") != NULL ||
                      strstr(cna_last_error_message(), "section TNSR") != NULL,
                  "byte %zu: message \"%s\" names no section", at, cna_last_error_message());
  }
  ck_assert_int_eq(ok + failed, 1500);
  ck_assert_int_gt(failed, 500);
  buf_free(&m);
}
END_TEST

/* ================================================================= files */

START_TEST(truncated_files) {
  make_directory();
  char path[128];
  snprintf(path, sizeof path, "%s/model.cna", directory);
  buf m = small_model(0);
  const size_t cuts[] = {0, 1, 63, 64, 100, m.n / 2, m.n - 1};
  for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
    write_file(path, m.p, cuts[i]);
    char origin[192], text[128];
    snprintf(origin, sizeof origin, "model file '%s': ", path);
    if (cuts[i] < HEADER)
      snprintf(text, sizeof text, "%zu bytes is shorter than the 64-byte header", cuts[i]);
    else
      snprintf(text, sizeof text, "offset 16: the header says the file has %zu bytes, found %zu",
               m.n, cuts[i]);
    expect_file_refused(path, NULL, CNA_ERROR_CORRUPT, origin, text);
  }
  /* Truncated with the size field patched: the table says where it ends. */
  buf c = buf_of(m.p, m.n / 2);
  put64(&c, H_FILE_SIZE, c.n);
  reseal_header(&c);
  write_file(path, c.p, c.n);
  expect_file_refused(path, NULL, CNA_ERROR_CORRUPT, path, "claims bytes");
  buf_free(&c);
  /* A layer the builder refuses, in a file: the path in the location. */
  c = buf_copy(&m);
  gmap gm = map_graph(&c, section_offset(&c, GRPH));
  put32(&c, attr_at(&c, &gm.l[L_CONV1], K_STRIDE_H) + 4, 0);
  reseal_section(&c, GRPH);
  write_file(path, c.p, c.n);
  char where[192];
  snprintf(where, sizeof where, "model file '%s': section GRPH, layer 1: ", path);
  expect_file_refused(path, NULL, CNA_ERROR_INVALID_ARGUMENT, "conv2d 'conv1'", where);
  buf_free(&c);
  /* And the whole file loads. */
  write_file(path, m.p, m.n);
  cna_net *net = NULL;
  ck_assert_ok(cna_net_load(path, NULL, &net));
  cna_net_destroy(net);
  buf_free(&m);
  remove_directory();
}
END_TEST

START_TEST(not_a_readable_file) {
  make_directory();
  char path[128];
  snprintf(path, sizeof path, "%s/missing.cna", directory);
  expect_file_refused(path, NULL, CNA_ERROR_IO, "cannot open model file", path,
                      "No such file or directory");
  errno = 0;
  expect_file_refused(directory, NULL, CNA_ERROR_IO, directory, "not a regular file");
  errno = 0;
  expect_file_refused("/dev/null", NULL, CNA_ERROR_IO, "/dev/null", "not a regular file");
  remove_directory();
}
END_TEST

START_TEST(directory_message_ignores_stale_errno) {
  /* Regression: the 'not a regular file' message used a stale errno left
   * by an earlier failed call (a directory read 'No such file or
   * directory'). */
  make_directory();
  cna_net *net = NULL;
  errno = ENOENT;
  cna_status st = cna_net_load(directory, NULL, &net);
  remove_directory(); /* before the checks, which fail while the bug is there */
  check_refusal(__LINE__, st, net, CNA_ERROR_IO,
                (const char *const[]){directory, "not a regular file", NULL});
}
END_TEST

static volatile sig_atomic_t alarm_fired;
static void on_alarm(int sig) {
  (void)sig;
  alarm_fired = 1;
}

START_TEST(fifo_is_refused_without_blocking) {
  /* Regression: opening a FIFO with no writer blocked forever; the path is
   * now opened without blocking and refused as not a regular file. (A
   * one-second alarm breaks the wait: if it fired, the call had blocked.) */
  make_directory();
  char path[128];
  snprintf(path, sizeof path, "%s/pipe.cna", directory);
  ck_assert_int_eq(mkfifo(path, 0600), 0);
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm; /* no SA_RESTART: a blocked open() returns EINTR */
  sigemptyset(&sa.sa_mask);
  ck_assert_int_eq(sigaction(SIGALRM, &sa, &old), 0);
  alarm_fired = 0;
  alarm(1);
  cna_net *net = NULL;
  cna_status st = cna_net_load(path, NULL, &net);
  alarm(0);
  sigaction(SIGALRM, &old, NULL);
  remove_directory();
  ck_assert_int_eq(st, CNA_ERROR_IO);
  ck_assert_ptr_null(net);
  ck_assert_msg(!alarm_fired, "cna_net_load blocked on a FIFO until the alarm (\"%s\")",
                cna_last_error_message());
  ck_assert_message_has("not a regular file");
}
END_TEST

/* ================================================================= suite */

Suite *cna_test_format_corrupt_suite(void) {
  Suite *s = suite_create("format_corrupt");
  TCase *header = tcase_create("header");
  tcase_add_test(header, helpers_match_the_library);
  tcase_add_test(header, too_short_for_a_header);
  tcase_add_test(header, not_a_model);
  tcase_add_test(header, bad_magic);
  tcase_add_test(header, header_checksum_mismatch);
  tcase_add_test(header, reserved_header_bytes_are_not_checked);
  tcase_add_test(header, newer_format_version);
  tcase_add_test(header, format_version_zero);
  tcase_add_test(header, header_size_not_64);
  tcase_add_test(header, file_size_mismatch);
  tcase_add_test(header, header_flags_set);
  tcase_add_test(header, section_count_out_of_range);
  tcase_add_test(header, table_checksum_mismatch);
  suite_add_tcase(s, header);

  TCase *table = tcase_create("section table");
  tcase_add_test(table, entry_unknown_flags_or_reserved);
  tcase_add_test(table, entry_offset_unaligned_or_in_header);
  tcase_add_test(table, entry_past_the_end);
  tcase_add_test(table, entry_huge_values);
  tcase_add_test(table, uncompressed_size_differs_from_stored);
  tcase_add_test(table, deflate_ratio_limit);
  tcase_add_test(table, overlapping_sections);
  tcase_add_test(table, same_section_id_twice);
  tcase_add_test(table, missing_required_section);
  tcase_add_test(table, unknown_optional_section_is_skipped);
  tcase_add_test(table, unknown_required_section);
  suite_add_tcase(s, table);

  TCase *payload = tcase_create("section payloads");
  tcase_add_test(payload, weight_checksum_mismatch);
  tcase_add_test(payload, graph_checksum_mismatch);
  tcase_add_test(payload, deflated_weight_checksum_mismatch);
  tcase_add_test(payload, unverified_weights_are_loaded_as_they_are);
  tcase_add_test(payload, meta_checksum_is_checked);
  tcase_add_test(payload, meta_content_is_ignored);
  tcase_add_test(payload, damaged_deflate_stream);
  tcase_add_test(payload, inflated_size_mismatch);
  tcase_add_test(payload, deflated_graph_errors_give_inflated_positions);
  suite_add_tcase(s, payload);

  TCase *graph = tcase_create("GRPH");
  tcase_add_test(graph, layer_count_zero);
  tcase_add_test(graph, layer_count_wrong);
  tcase_add_test(graph, output_index_out_of_range);
  tcase_add_test(graph, unknown_layer_type);
  tcase_add_test(graph, bad_layer_names);
  tcase_add_test(graph, input_not_an_earlier_layer);
  tcase_add_test(graph, input_count_huge);
  tcase_add_test(graph, unknown_attribute_key);
  tcase_add_test(graph, repeated_attribute_or_reserved_set);
  tcase_add_test(graph, attribute_breaks_a_layer);
  tcase_add_test(graph, refused_layer_with_a_long_name_is_still_located);
  tcase_add_test(graph, bytes_after_the_last_layer);
  suite_add_tcase(s, graph);

  TCase *tensors = tcase_create("TNSR");
  tcase_add_test(tensors, tensor_count_off_by_one);
  tcase_add_test(tensors, tensor_of_no_layer);
  tcase_add_test(tensors, tensor_record_twice);
  tcase_add_test(tensors, tensor_dtype_unsupported);
  tcase_add_test(tensors, tensor_wrong_dimensions);
  tcase_add_test(tensors, tensor_data_offset_or_size);
  tcase_add_test(tensors, tensor_data_overlaps);
  tcase_add_test(tensors, tensor_data_past_the_section);
  suite_add_tcase(s, tensors);

  /* The loops: thousands of loads each, slower under the sanitizers. */
  TCase *damage = tcase_create("truncation and bit flips");
  tcase_set_timeout(damage, 120);
  tcase_add_test(damage, truncated_buffers);
  tcase_add_test(damage, header_and_table_bit_flips);
  tcase_add_test(damage, random_byte_flips_uncompressed);
  tcase_add_test(damage, random_byte_flips_deflated);
  tcase_add_test(damage, resealed_payload_flips);
  suite_add_tcase(s, damage);

  TCase *files = tcase_create("files");
  tcase_add_test(files, truncated_files);
  tcase_add_test(files, not_a_readable_file);
  tcase_add_test(files, directory_message_ignores_stale_errno);
  tcase_add_test(files, fifo_is_refused_without_blocking);
  suite_add_tcase(s, files);
  return s;
}
