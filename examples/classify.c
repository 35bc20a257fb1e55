/* classify: the most probable classes of PNG images under a network.
 *
 *   build/examples/classify MODEL.cna|ARCH IMAGE.png... [--labels FILE]
 *                           [--topk K] [--preset NAME]
 *
 *   build/examples/classify resnet50.cna cat.png --labels data/labels/imagenet1k.txt
 *
 * MODEL.cna is a model file (python3 -m cnnarch.convert makes one from
 * PyTorch weights); ARCH a zoo architecture, whose weights are random
 * (seeded), so its answers only show that everything runs. Each image is
 * preprocessed as torchvision does for the preset (default: the one that
 * fits the net's input, see cna_image_preset_for_net), and a table of the
 * top K classes (default 5) is printed per image.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cnnarch.h>

static void usage(FILE *out) {
  fprintf(out,
          "usage: classify MODEL.cna|ARCH IMAGE.png... [--labels FILE] [--topk K] "
          "[--preset NAME]\n"
          "  MODEL.cna  a model file (python3 -m cnnarch.convert makes one), or\n"
          "  ARCH       a zoo architecture with random weights (summary --list names them)\n"
          "  --labels   class names, one per line (data/labels/imagenet1k.txt, cifar10.txt, "
          "mnist.txt, fashion_mnist.txt)\n"
          "  --topk     how many classes to show per image (default 5)\n"
          "  --preset   preprocessing: ");
  for (size_t i = 0; cna_image_preset_name(i) != NULL; i++)
    fprintf(out, "%s%s", i ? ", " : "", cna_image_preset_name(i));
  fprintf(out, " (default: the one that fits the net)\n");
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A model file when it exists or looks like one, else an architecture. */
static cna_net *open_model(const char *model, int *random_weights) {
  cna_net *net = NULL;
  FILE *f = fopen(model, "rb");
  if (f != NULL || ends_with(model, ".cna") || strchr(model, '/') != NULL) {
    if (f != NULL) fclose(f);
    if (cna_net_load(model, NULL, &net) != CNA_OK) {
      fprintf(stderr, "classify: %s\n", cna_last_error_message());
      return NULL;
    }
    *random_weights = 0;
    return net;
  }
  if (cna_net_create_arch(model, NULL, &net) != CNA_OK) {
    fprintf(stderr,
            "classify: '%s' is not a model file, nor an architecture: %s\n"
            "  give a .cna file, or an architecture from `summary --list`\n",
            model, cna_last_error_message());
    return NULL;
  }
  *random_weights = 1;
  return net;
}

/* The shipped labels file that a net of this many outputs probably uses. */
static const char *labels_hint(size_t outputs, const char *preset) {
  if (outputs == 1000) return "data/labels/imagenet1k.txt";
  if (outputs != 10) return NULL;
  if (strcmp(preset, "cifar") == 0) return "data/labels/cifar10.txt";
  if (strcmp(preset, "mnist") == 0) return "data/labels/mnist.txt";
  if (strcmp(preset, "fashion_mnist") == 0) return "data/labels/fashion_mnist.txt";
  return NULL;
}

int main(int argc, char **argv) {
  const char *model = NULL, *labels_path = NULL, *preset = NULL;
  const char **images = calloc((size_t)argc, sizeof *images);
  size_t num_images = 0, topk = 5;
  if (images == NULL) return 1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      free(images);
      return 0;
    }
    if (strcmp(a, "--labels") == 0 || strcmp(a, "--topk") == 0 || strcmp(a, "--preset") == 0) {
      if (i + 1 >= argc) {
        fprintf(stderr, "classify: %s needs a value\n", a);
        free(images);
        return 2;
      }
      const char *v = argv[++i];
      if (strcmp(a, "--labels") == 0) {
        labels_path = v;
      } else if (strcmp(a, "--preset") == 0) {
        preset = v;
      } else {
        char *end;
        long k = strtol(v, &end, 10);
        if (*end != '\0' || k < 1) {
          fprintf(stderr, "classify: --topk takes a positive number of classes, not '%s'\n", v);
          free(images);
          return 2;
        }
        topk = (size_t)k;
      }
    } else if (strncmp(a, "--", 2) == 0) {
      fprintf(stderr, "classify: unknown option %s\n", a);
      usage(stderr);
      free(images);
      return 2;
    } else if (model == NULL) {
      model = a;
    } else {
      images[num_images++] = a;
    }
  }
  if (model == NULL || num_images == 0) {
    if (model != NULL) fprintf(stderr, "classify: no image given after the model\n");
    usage(stderr);
    free(images);
    return 2;
  }

  int status = 1, random_weights = 0;
  cna_image_options *opts = NULL;
  cna_labels *labels = NULL;
  size_t *indices = NULL;
  float *probabilities = NULL;
  const char **names = NULL;
  cna_net *net = open_model(model, &random_weights);
  if (net == NULL) goto done;
  size_t in[3], outputs;
  cna_net_input_shape(net, in);
  cna_net_output_size(net, &outputs);
  if (preset == NULL) preset = cna_image_preset_for_net(net);
  if (cna_image_options_create(&opts) != CNA_OK) goto done;
  if (cna_image_options_set_preset(opts, preset) != CNA_OK) {
    fprintf(stderr, "classify: %s\n", cna_last_error_message());
    goto done;
  }
  if (cna_image_options_fit_net(opts, net) != CNA_OK) {
    fprintf(stderr, "classify: %s: %s\n", model, cna_last_error_message());
    goto done;
  }
  if (labels_path != NULL) {
    size_t count = 0;
    if (cna_labels_load(labels_path, &labels) != CNA_OK) {
      fprintf(stderr, "classify: %s\n", cna_last_error_message());
      goto done;
    }
    cna_labels_count(labels, &count);
    if (count != outputs) {
      const char *hint = labels_hint(outputs, preset);
      fprintf(stderr, "classify: %s has %zu labels but %s has %zu outputs; give the labels of "
              "the data set it was trained on%s%s\n", labels_path, count, model, outputs,
              hint ? ", e.g. --labels " : "", hint ? hint : "");
      goto done;
    }
  }
  if (topk > outputs) topk = outputs;
  indices = malloc(topk * sizeof *indices);
  probabilities = malloc(topk * sizeof *probabilities);
  names = malloc(topk * sizeof *names);
  if (indices == NULL || probabilities == NULL || names == NULL) goto done;

  printf("%s: %zux%zux%zu in, %zu classes%s\n", model, in[0], in[1], in[2], outputs,
         random_weights ? " (random weights: the classes mean nothing; give a trained .cna "
                          "model for real answers)"
                        : "");
  status = 0;
  for (size_t i = 0; i < num_images; i++) {
    float *pixels = NULL;
    size_t shape[3];
    if (cna_image_load(images[i], opts, &pixels, shape) != CNA_OK ||
        cna_net_classify(net, pixels, 1, labels, topk, indices, probabilities, names) != CNA_OK) {
      fprintf(stderr, "classify: %s\n", cna_last_error_message());
      cna_free(pixels);
      status = 1;
      continue;
    }
    cna_free(pixels);
    printf("\n%s (preset %s)\n  rank  class  probability%s\n", images[i], preset,
           labels ? "  label" : "");
    for (size_t j = 0; j < topk; j++) {
      printf("  %4zu  %5zu  %11.4f", j + 1, indices[j], (double)probabilities[j]);
      if (labels) printf("  %s", names[j]);
      printf("\n");
    }
  }
  if (labels == NULL) {
    const char *hint = labels_hint(outputs, preset);
    if (hint != NULL) printf("\n(class names: add --labels %s)\n", hint);
  }

done:
  free(indices);
  free(probabilities);
  free(names);
  cna_labels_destroy(labels);
  cna_image_options_destroy(opts);
  cna_net_destroy(net);
  free(images);
  return status;
}
