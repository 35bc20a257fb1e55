/* summary: print a network layer by layer, the way the lecture notes do.
 *
 *   build/examples/summary resnet50          aligned table
 *   build/examples/summary --json resnet50   one JSON object, for tools
 *   build/examples/summary --dot resnet50    the graph in Graphviz's DOT
 *                                            (| dot -Tpng -o resnet50.png)
 *   build/examples/summary --list            the architecture names
 *
 * Options: --classes N, --input HxW (e.g. --input 299x299).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cnnarch.h>

static uint64_t stat(const cna_net *net, size_t i, cna_stat s) {
  uint64_t v = 0;
  cna_net_layer_stat(net, i, s, &v);
  return v;
}

static uint64_t total(const cna_net *net, cna_stat s) {
  uint64_t v = 0;
  cna_net_total_stat(net, s, &v);
  return v;
}

/* Writes s as a JSON string (layer names are plain ASCII, but be safe). */
static void json_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      printf("\\%c", *s);
    else if ((unsigned char)*s < 0x20)
      printf("\\u%04x", (unsigned char)*s);
    else
      putchar(*s);
  }
  putchar('"');
}

static void print_json(const char *arch, const cna_net *net) {
  size_t in[3], count, shape[3];
  cna_net_input_shape(net, in);
  cna_net_layer_count(net, &count);
  printf("{\"arch\": ");
  json_string(arch);
  printf(", \"input_shape\": [%zu, %zu, %zu], \"layers\": [", in[0], in[1], in[2]);
  for (size_t i = 0; i < count; i++) {
    const char *name;
    cna_layer_type type;
    cna_net_layer_name(net, i, &name);
    cna_net_layer_type(net, i, &type);
    cna_net_layer_output_shape(net, i, shape);
    printf("%s\n  {\"name\": ", i ? "," : "");
    json_string(name);
    printf(", \"type\": \"%s\", \"output_shape\": [%zu, %zu, %zu], \"params\": %" PRIu64
           ", \"activations\": %" PRIu64 ", \"macs\": %" PRIu64
           ", \"receptive_field\": {\"size\": [%" PRIu64 ", %" PRIu64 "], \"jump\": [%" PRIu64
           ", %" PRIu64 "]}}",
           cna_layer_type_name(type), shape[0], shape[1], shape[2],
           stat(net, i, CNA_STAT_PARAMS), stat(net, i, CNA_STAT_ACTIVATIONS),
           stat(net, i, CNA_STAT_MACS), stat(net, i, CNA_STAT_RF_HEIGHT),
           stat(net, i, CNA_STAT_RF_WIDTH), stat(net, i, CNA_STAT_RF_JUMP_HEIGHT),
           stat(net, i, CNA_STAT_RF_JUMP_WIDTH));
  }
  size_t planned = 0;
  cna_net_workspace_size(net, 1, &planned);
  printf("\n], \"total\": {\"params\": %" PRIu64 ", \"activations\": %" PRIu64
         ", \"activation_bytes\": %" PRIu64 ", \"macs\": %" PRIu64 ", \"depth\": %" PRIu64
         ", \"workspace_bytes\": %zu}}\n",
         total(net, CNA_STAT_PARAMS), total(net, CNA_STAT_ACTIVATIONS),
         total(net, CNA_STAT_ACTIVATION_BYTES), total(net, CNA_STAT_MACS),
         total(net, CNA_STAT_DEPTH), planned);
}

static void print_table(const char *arch, const cna_net *net) {
  size_t count, shape[3], name_width = 5;
  cna_net_layer_count(net, &count);
  for (size_t i = 0; i < count; i++) {
    const char *name;
    cna_net_layer_name(net, i, &name);
    if (strlen(name) > name_width) name_width = strlen(name);
  }
  printf("%s: %s\n\n", arch, cna_arch_description(arch) ? cna_arch_description(arch) : "");
  printf("%-*s  %-19s  %-16s  %12s  %12s  %15s  %9s\n", (int)name_width, "layer", "type",
         "output (CxHxW)", "params", "activations", "MACs", "RF / jump");
  for (size_t i = 0; i < count; i++) {
    const char *name;
    cna_layer_type type;
    char dims[48], rf[32];
    cna_net_layer_name(net, i, &name);
    cna_net_layer_type(net, i, &type);
    cna_net_layer_output_shape(net, i, shape);
    snprintf(dims, sizeof dims, "%zux%zux%zu", shape[0], shape[1], shape[2]);
    snprintf(rf, sizeof rf, "%" PRIu64 " / %" PRIu64, stat(net, i, CNA_STAT_RF_HEIGHT),
             stat(net, i, CNA_STAT_RF_JUMP_HEIGHT));
    printf("%-*s  %-19s  %-16s  %12" PRIu64 "  %12" PRIu64 "  %15" PRIu64 "  %9s\n",
           (int)name_width, name, cna_layer_type_name(type), dims,
           stat(net, i, CNA_STAT_PARAMS), stat(net, i, CNA_STAT_ACTIVATIONS),
           stat(net, i, CNA_STAT_MACS), rf);
  }
  printf("\ntotal: %" PRIu64 " parameters, %" PRIu64 " activations per image (%.1f MB), %" PRIu64
         " MACs, %" PRIu64 " weight layers deep\n",
         total(net, CNA_STAT_PARAMS), total(net, CNA_STAT_ACTIVATIONS),
         (double)total(net, CNA_STAT_ACTIVATION_BYTES) / 1e6, total(net, CNA_STAT_MACS),
         total(net, CNA_STAT_DEPTH));
  size_t planned = 0;
  if (cna_net_workspace_size(net, 1, &planned) == CNA_OK)
    printf("a forward call uses %.1f MB besides its input and output (activations planned "
           "by liveness, plus scratch)\n",
           (double)planned / 1e6);
}

/* The graph as DOT: ask for the length, then write it. */
static int print_dot(const cna_net *net) {
  size_t length;
  if (cna_net_to_dot(net, NULL, 0, &length) != CNA_OK) return 1;
  char *text = malloc(length + 1);
  if (text == NULL || cna_net_to_dot(net, text, length + 1, &length) != CNA_OK) {
    free(text);
    return 1;
  }
  fwrite(text, 1, length, stdout);
  free(text);
  return 0;
}

static int usage(void) {
  fprintf(stderr, "usage: summary [--json | --dot] [--classes N] [--input HxW] ARCH\n"
                  "       summary --list\n");
  return 2;
}

int main(int argc, char **argv) {
  int json = 0, dot = 0, classes = 0, height = 0, width = 0;
  const char *arch = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0) {
      json = 1;
    } else if (strcmp(argv[i], "--dot") == 0) {
      dot = 1;
    } else if (strcmp(argv[i], "--list") == 0) {
      for (size_t k = 0; k < cna_arch_count(); k++)
        printf("%-22s %s\n", cna_arch_name(k), cna_arch_description(cna_arch_name(k)));
      return 0;
    } else if (strcmp(argv[i], "--classes") == 0 && i + 1 < argc) {
      classes = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--input") == 0 && i + 1 < argc) {
      if (sscanf(argv[++i], "%dx%d", &height, &width) != 2) return usage();
    } else if (argv[i][0] == '-' || arch != NULL) {
      return usage();
    } else {
      arch = argv[i];
    }
  }
  if (arch == NULL || (json && dot)) return usage();

  cna_options *opts = NULL;
  cna_net *net = NULL;
  cna_status s = cna_options_create(&opts);
  if (s == CNA_OK && classes) s = cna_options_set_num_classes(opts, classes);
  if (s == CNA_OK && (height || width)) s = cna_options_set_input_size(opts, height, width);
  if (s == CNA_OK) s = cna_net_create_arch(arch, opts, &net);
  cna_options_destroy(opts);
  if (s != CNA_OK) {
    fprintf(stderr, "summary: %s: %s\n", cna_status_string(s), cna_last_error_message());
    return 1;
  }
  int status = 0;
  if (dot) {
    status = print_dot(net);
    if (status != 0) fprintf(stderr, "summary: %s\n", cna_last_error_message());
  } else if (json) {
    print_json(arch, net);
  } else {
    print_table(arch, net);
  }
  cna_net_destroy(net);
  return status;
}
