/* Graphviz export (cna_net_to_dot): the text is well-formed DOT (quoted
 * strings closed, braces and brackets balanced), has one node per layer and
 * one edge per input link, names are escaped, and the snprintf-style
 * length and truncation hold. Rendering with Graphviz itself is checked by
 * tests/examples_test.sh and the Python tests where `dot` is installed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/every_layer.h"
#include "tests.h"

static char *to_dot(const cna_net *net, size_t *length) {
  ck_assert_ok(cna_net_to_dot(net, NULL, 0, length));
  char *text = malloc(*length + 1);
  size_t again = 0;
  memset(text, 'Z', *length + 1);
  ck_assert_ok(cna_net_to_dot(net, text, *length + 1, &again));
  ck_assert_uint_eq(again, *length);
  ck_assert_uint_eq(strlen(text), *length);
  return text;
}

/* Walks the text as DOT's lexer would: quoted strings (with backslash
 * escapes) are skipped whole; outside them braces and brackets must
 * balance and never go negative. Returns the number of statements of each
 * kind on their own lines: "  nA [label=...];" and "  nA -> nB;", and
 * checks every node index appears once and every edge against the graph. */
static void check_well_formed(const cna_net *net, const char *text, size_t length) {
  ck_assert_msg(strncmp(text, "digraph cnnarch {\n", 18) == 0, "starts with %.20s", text);
  ck_assert_msg(length >= 2 && strcmp(text + length - 2, "}\n") == 0, "ends without }");
  long braces = 0, brackets = 0;
  int quoted = 0;
  for (size_t i = 0; i < length; i++) {
    const char c = text[i];
    ck_assert_msg(c != '\0', "NUL inside the text at %zu", i);
    if (quoted) {
      ck_assert_msg(c != '\n', "a raw line break inside a quoted string at %zu", i);
      if (c == '\\') i++; /* the escaped character */
      else if (c == '"') quoted = 0;
      continue;
    }
    if (c == '"') quoted = 1;
    braces += c == '{' ? 1 : c == '}' ? -1 : 0;
    brackets += c == '[' ? 1 : c == ']' ? -1 : 0;
    ck_assert(braces >= 0 && brackets >= 0);
  }
  ck_assert(!quoted);
  ck_assert_int_eq(braces, 0);
  ck_assert_int_eq(brackets, 0);

  size_t layers, links = 0;
  ck_assert_ok(cna_net_layer_count(net, &layers));
  unsigned *seen = calloc(layers, sizeof *seen);
  size_t **inputs = calloc(layers, sizeof *inputs), *counts = calloc(layers, sizeof *counts);
  size_t *found = calloc(layers, sizeof *found);
  for (size_t i = 0; i < layers; i++) {
    ck_assert_ok(cna_net_layer_input_count(net, i, &counts[i]));
    inputs[i] = calloc(counts[i] + 1, sizeof **inputs);
    for (size_t k = 0; k < counts[i]; k++) ck_assert_ok(cna_net_layer_input(net, i, k, &inputs[i][k]));
    links += counts[i];
  }
  size_t nodes = 0, edges = 0;
  for (const char *line = text; *line; line = strchr(line, '\n') + 1) {
    unsigned long a, b;
    int used = 0;
    if (sscanf(line, "  n%lu -> n%lu;%n", &a, &b, &used) == 2 && used > 0) {
      ck_assert_uint_lt(b, layers);
      /* This edge is an unclaimed input link of layer b from layer a. */
      size_t k = 0;
      while (k < counts[b] && (inputs[b][k] != a || (found[b] >> k & 1))) k++;
      ck_assert_msg(k < counts[b], "edge n%lu -> n%lu is no input link", a, b);
      found[b] |= (size_t)1 << k;
      edges++;
    } else if (sscanf(line, "  n%lu [label=\"%n", &a, &used) == 1 && used > 0) {
      ck_assert_uint_lt(a, layers);
      seen[a]++;
      nodes++;
      /* The label's first line is the name (for names of printable ASCII
       * that need no escape; names_are_escaped checks the others). */
      const char *name;
      ck_assert_ok(cna_net_layer_name(net, a, &name));
      int plain = 1;
      for (const char *p = name; *p; p++)
        plain &= *p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\' && *p != '&';
      if (plain)
        ck_assert_msg(strncmp(line + used, name, strlen(name)) == 0 &&
                          strncmp(line + used + strlen(name), "\\n", 2) == 0,
                      "node %lu's label does not start with its name '%s'", a, name);
    }
  }
  ck_assert_uint_eq(nodes, layers);
  ck_assert_uint_eq(edges, links);
  for (size_t i = 0; i < layers; i++) ck_assert_uint_eq(seen[i], 1);
  for (size_t i = 0; i < layers; i++) free(inputs[i]);
  free(inputs), free(counts), free(found), free(seen);
}

START_TEST(zoo_graphs_are_well_formed) {
  static const char *const archs[] = {"lenet5", "alexnet", "googlenet", "resnet18",
                                      "resnet20", "squeezenet1_1", "densenet121",
                                      "inception_naive"};
  for (size_t a = 0; a < sizeof archs / sizeof archs[0]; a++) {
    cna_net *net;
    ck_assert_ok(cna_net_create_arch(archs[a], NULL, &net));
    size_t length;
    char *text = to_dot(net, &length);
    check_well_formed(net, text, length);
    free(text);
    cna_net_destroy(net);
  }
}
END_TEST

START_TEST(labels_and_styles) {
  cna_options *opts;
  cna_net *net;
  ck_assert_ok(cna_options_create(&opts));
  ck_assert_ok(cna_options_set_aux_logits(opts, 1));
  ck_assert_ok(cna_net_create_arch("googlenet", opts, &net));
  cna_options_destroy(opts);
  size_t length;
  char *text = to_dot(net, &length);
  check_well_formed(net, text, length);
  /* Type details, shape, grouped parameter count. */
  ck_assert_ptr_nonnull(strstr(text, "[label=\"conv1.conv\\nconv2d 7x7 /2\\n64x112x112\\n9,408 "
                                     "params\", fillcolor=\"#cfe2f3\"];\n"));
  ck_assert_ptr_nonnull(strstr(text, "maxpool1\\nmax_pool2d 3x3 /2\\n64x56x56\""));
  /* An Inception module: its concat has four inputs. */
  size_t cat, count;
  ck_assert_ok(cna_net_find_layer(net, "inception3a", &cat));
  ck_assert_ok(cna_net_layer_input_count(net, cat, &count));
  ck_assert_uint_eq(count, 4);
  /* The output has a double border; the auxiliary classifiers, not
   * computed by forward, are dashed. */
  size_t output;
  ck_assert_ok(cna_net_find_layer(net, "fc", &output));
  char node[64];
  snprintf(node, sizeof node, "  n%zu [label=\"fc\\n", output);
  const char *line = strstr(text, node);
  ck_assert_ptr_nonnull(line);
  ck_assert_ptr_nonnull(strstr(line, ", peripheries=2];\n"));
  ck_assert(strstr(line, ", peripheries=2];\n") < strchr(line, '\n'));
  size_t aux;
  ck_assert_ok(cna_net_find_layer(net, "aux1.fc2", &aux));
  snprintf(node, sizeof node, "  n%zu [label=\"aux1.fc2\\n", aux);
  line = strstr(text, node);
  ck_assert_ptr_nonnull(line);
  const char *dashed = strstr(line, "style=\"rounded,filled,dashed\"");
  ck_assert(dashed != NULL && dashed < strchr(line, '\n'));
  free(text);
  cna_net_destroy(net);
}
END_TEST

START_TEST(names_are_escaped) {
  /* Quotes, backslashes (Graphviz's label escapes start with one), '&'
   * (entities), braces, a line break and another control character, UTF-8
   * (kept) and a byte that is not UTF-8 (replaced). */
  cna_builder *b;
  cna_net *net;
  ck_assert_ok(cna_builder_create(&b));
  ck_assert_ok(cna_builder_input(b, "in\"put", 3, 8, 8));
  ck_assert_ok(cna_builder_conv2d(b, "back\\slash\\N", NULL, 4, 3, 1, 1, 1));
  ck_assert_ok(cna_builder_relu(b, "a&amp;b", NULL));
  ck_assert_ok(cna_builder_max_pool2d(b, "{br}[ace]", NULL, 2, 2, 0, 0));
  ck_assert_ok(cna_builder_relu(b, "line\nbreak\x01", NULL));
  ck_assert_ok(cna_builder_relu(b, "caf\xc3\xa9 \xff", NULL));
  ck_assert_ok(cna_builder_build(b, NULL, &net));
  cna_builder_destroy(b);
  size_t length;
  char *text = to_dot(net, &length);
  check_well_formed(net, text, length);
  ck_assert_ptr_nonnull(strstr(text, "n0 [label=\"in\\\"put\\n"));
  ck_assert_ptr_nonnull(strstr(text, "n1 [label=\"back\\\\slash\\\\N\\n"));
  ck_assert_ptr_nonnull(strstr(text, "n2 [label=\"a&amp;amp;b\\n"));
  ck_assert_ptr_nonnull(strstr(text, "n3 [label=\"{br}[ace]\\n"));
  ck_assert_ptr_nonnull(strstr(text, "n4 [label=\"line\\\\x0abreak\\\\x01\\n"));
  ck_assert_ptr_nonnull(strstr(text, "n5 [label=\"caf\xc3\xa9 ?\\n"));
  free(text);
  cna_net_destroy(net);
}
END_TEST

START_TEST(snprintf_semantics) {
  cna_net *net;
  ck_assert_ok(cna_test_every_layer_net(1, &net));
  size_t length;
  char *full = to_dot(net, &length);
  check_well_formed(net, full, length);
  const size_t capacities[] = {1, 2, 17, length / 2, length - 1, length, length + 1, length + 50};
  for (size_t c = 0; c < sizeof capacities / sizeof capacities[0]; c++) {
    const size_t cap = capacities[c];
    char *buffer = malloc(cap + 1);
    memset(buffer, 'Z', cap + 1);
    size_t got = 0;
    ck_assert_ok(cna_net_to_dot(net, buffer, cap, &got));
    ck_assert_uint_eq(got, length);
    const size_t written = cap - 1 < length ? cap - 1 : length;
    ck_assert_int_eq(memcmp(buffer, full, written), 0);
    ck_assert_int_eq(buffer[written], '\0');
    ck_assert_int_eq(buffer[cap], 'Z'); /* nothing past capacity */
    free(buffer);
  }
  /* Errors. */
  char small[8];
  ck_assert_status(cna_net_to_dot(NULL, small, sizeof small, &length),
                   CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_net_to_dot(net, small, sizeof small, NULL), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_status(cna_net_to_dot(net, NULL, 8, &length), CNA_ERROR_INVALID_ARGUMENT);
  ck_assert_message_has("buffer is NULL but capacity is 8");
  free(full);
  cna_net_destroy(net);
}
END_TEST

Suite *cna_test_dot_suite(void) {
  Suite *s = suite_create("dot");
  TCase *tc = tcase_create("dot");
  tcase_add_test(tc, zoo_graphs_are_well_formed);
  tcase_add_test(tc, labels_and_styles);
  tcase_add_test(tc, names_are_escaped);
  tcase_add_test(tc, snprintf_semantics);
  suite_add_tcase(s, tc);
  return s;
}
