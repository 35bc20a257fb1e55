/* cna_net_to_dot: the graph as Graphviz DOT text. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "graph/graph.h"

/* Text written snprintf-style: everything counts towards len, what fits
 * (cap - 1 bytes) is stored. */
typedef struct sink {
  char *buf;
  size_t cap;
  size_t len;
  int overflow; /* len would exceed SIZE_MAX */
} sink;

static void put(sink *s, const char *data, size_t n) {
  if (s->overflow || n > SIZE_MAX - 1 - s->len) {
    s->overflow = 1;
    return;
  }
  if (s->cap > 0 && s->len < s->cap - 1) {
    const size_t room = s->cap - 1 - s->len;
    memcpy(s->buf + s->len, data, n < room ? n : room);
  }
  s->len += n;
}

static void puts_(sink *s, const char *text) { put(s, text, strlen(text)); }

/* Short formatted pieces: numbers and fixed words, never names. */
static void putf(sink *s, const char *fmt, ...) CNA__PRINTF(2, 3);
static void putf(sink *s, const char *fmt, ...) {
  char piece[160];
  va_list args;
  va_start(args, fmt);
  int n = vsnprintf(piece, sizeof piece, fmt, args);
  va_end(args);
  if (n > 0) put(s, piece, (size_t)n < sizeof piece ? (size_t)n : sizeof piece - 1);
}

/* Length of the well-formed UTF-8 sequence at p (at most n bytes), or 0. */
static size_t utf8_sequence(const unsigned char *p, size_t n) {
  size_t len;
  unsigned min;
  if (p[0] >= 0xc2 && p[0] <= 0xdf) len = 2, min = 0x80;
  else if (p[0] >= 0xe0 && p[0] <= 0xef) len = 3, min = 0x800;
  else if (p[0] >= 0xf0 && p[0] <= 0xf4) len = 4, min = 0x10000;
  else return 0;
  if (len > n) return 0;
  unsigned code = p[0] & (0x7fu >> len);
  for (size_t i = 1; i < len; i++) {
    if ((p[i] & 0xc0) != 0x80) return 0;
    code = code << 6 | (p[i] & 0x3fu);
  }
  if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return len;
}

/* A name inside a DOT quoted string that Graphviz shows as it is: quotes
 * and backslashes escaped (a backslash also starts Graphviz's label escapes
 * such as \N and \l), '&' written as an entity (Graphviz decodes entities in
 * labels), control characters as a visible \xNN, and bytes that are not
 * UTF-8 (DOT's default charset) as '?'. */
static void put_escaped(sink *s, const char *name) {
  const unsigned char *p = (const unsigned char *)name;
  size_t n = strlen(name);
  while (n > 0) {
    const unsigned char c = *p;
    size_t used = 1;
    if (c == '"') puts_(s, "\\\"");
    else if (c == '\\') puts_(s, "\\\\");
    else if (c == '&') puts_(s, "&amp;");
    else if (c < 0x20 || c == 0x7f) putf(s, "\\\\x%02x", c);
    else if (c < 0x80) put(s, (const char *)p, 1);
    else if ((used = utf8_sequence(p, n)) > 0) put(s, (const char *)p, used);
    else puts_(s, "?"), used = 1;
    p += used;
    n -= used;
  }
}

/* 1234567 as "1,234,567". */
static void put_grouped(sink *s, uint64_t value) {
  char digits[32];
  int n = snprintf(digits, sizeof digits, "%" PRIu64, value);
  for (int i = 0; i < n; i++) {
    put(s, &digits[i], 1);
    if ((n - 1 - i) % 3 == 0 && i < n - 1) puts_(s, ",");
  }
}

/* The type line: the type and, for windows, kernel, stride and groups. */
static void put_type(sink *s, const cna__layer *l) {
  const cna__attrs *a = &l->attrs;
  puts_(s, cna_layer_type_name(l->type));
  switch (l->type) {
    case CNA_LAYER_CONV2D:
    case CNA_LAYER_MAX_POOL2D:
    case CNA_LAYER_AVG_POOL2D:
      putf(s, " %dx%d", a->kernel_h, a->kernel_w);
      if (a->stride_h != 1 || a->stride_w != 1) {
        if (a->stride_h == a->stride_w) putf(s, " /%d", a->stride_h);
        else putf(s, " /%dx%d", a->stride_h, a->stride_w);
      }
      if (l->type == CNA_LAYER_CONV2D && a->groups > 1) putf(s, " g%d", a->groups);
      if (l->type == CNA_LAYER_CONV2D && (a->dilation_h > 1 || a->dilation_w > 1))
        putf(s, " d%d", a->dilation_h);
      break;
    case CNA_LAYER_LRN: putf(s, " %d", a->size); break;
    default: break;
  }
}

/* Fill colours by family, so stages and merges stand out. */
static const char *colour(cna_layer_type type) {
  switch (type) {
    case CNA_LAYER_INPUT: return "#e0e0e0";
    case CNA_LAYER_CONV2D: return "#cfe2f3";
    case CNA_LAYER_MAX_POOL2D:
    case CNA_LAYER_AVG_POOL2D:
    case CNA_LAYER_GLOBAL_AVG_POOL:
    case CNA_LAYER_ADAPTIVE_AVG_POOL2D: return "#d9ead3";
    case CNA_LAYER_LRN:
    case CNA_LAYER_BATCH_NORM: return "#fff2cc";
    case CNA_LAYER_FULLY_CONNECTED: return "#fce5cd";
    case CNA_LAYER_CONCAT:
    case CNA_LAYER_ADD:
    case CNA_LAYER_CHANNEL_PAD: return "#ead1dc";
    default: return "#f3f3f3";
  }
}

cna_status cna_net_to_dot(const cna_net *net, char *buffer, size_t capacity, size_t *length) {
  if (net == NULL || length == NULL)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_net_to_dot: net and length must not be NULL");
  if (buffer == NULL && capacity > 0)
    return cna__error(CNA_ERROR_INVALID_ARGUMENT,
                      "cna_net_to_dot: buffer is NULL but capacity is %zu; pass 0 to ask for "
                      "the length", capacity);
  const cna__graph *g = &net->graph;
  const size_t output = cna__graph_output(g);
  sink s = {buffer, capacity, 0, 0};
  puts_(&s, "digraph cnnarch {\n"
            "  graph [rankdir=TB, fontname=\"Helvetica\", nodesep=0.3, ranksep=0.3];\n"
            "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", "
            "fontsize=10, margin=\"0.1,0.03\"];\n"
            "  edge [arrowsize=0.6];\n");
  for (size_t i = 0; i < g->num_layers; i++) {
    const cna__layer *l = &g->layers[i];
    putf(&s, "  n%zu [label=\"", i);
    put_escaped(&s, l->name);
    puts_(&s, "\\n");
    put_type(&s, l);
    putf(&s, "\\n%zux%zux%zu", l->out.c, l->out.h, l->out.w);
    if (net->stats[i].params > 0) {
      puts_(&s, "\\n");
      put_grouped(&s, net->stats[i].params);
      puts_(&s, " params");
    }
    putf(&s, "\", fillcolor=\"%s\"", colour(l->type));
    if (i == output) puts_(&s, ", peripheries=2");
    if (!net->needed[i]) puts_(&s, ", style=\"rounded,filled,dashed\"");
    puts_(&s, "];\n");
  }
  for (size_t i = 0; i < g->num_layers; i++)
    for (size_t k = 0; k < g->layers[i].num_inputs; k++)
      putf(&s, "  n%zu -> n%zu;\n", g->layers[i].inputs[k], i);
  puts_(&s, "}\n");
  if (s.overflow)
    return cna__error(CNA_ERROR_TOO_LARGE,
                      "cna_net_to_dot: the text would be longer than the address space");
  if (capacity > 0) buffer[s.len < capacity ? s.len : capacity - 1] = '\0';
  *length = s.len;
  return CNA_OK;
}
