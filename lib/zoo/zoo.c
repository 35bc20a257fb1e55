/* The zoo's table of architectures: name, description, builder function,
 * and default input and number of classes. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "zoo/zoo.h"

#define IMAGENET(name, desc, fn, variant) {name, desc, fn, variant, 1000, 3, 224, 224}
#define CIFAR(name, desc, fn, variant) {name, desc, fn, variant, 10, 3, 32, 32}
/* ResNet variants: depth, groups, width per group (torchvision's names). */
#define RESNET(depth, groups, width) ((depth) * 1000000 + (groups) * 1000 + (width))

static const cna__zoo_entry entries[] = {
    {"lenet5", "LeNet-5, LeCun et al. 1998: CONV-POOL-CONV-POOL-FC-FC-FC on 1x32x32",
     cna__zoo_lenet5, 0, 10, 1, 32, 32},
    IMAGENET("alexnet", "AlexNet, Krizhevsky et al. 2012, torchvision's single-GPU layout",
             cna__zoo_alexnet, 0),
    {"alexnet_2012",
     "AlexNet as in the lecture notes: 227x227 input, 96-256-384-384-256 filters, LRN",
     cna__zoo_alexnet_2012, 0, 1000, 3, 227, 227},
    {"alexnet_2012_grouped",
     "AlexNet with the original two-GPU split: groups=2 in CONV2, CONV4 and CONV5",
     cna__zoo_alexnet_2012, 1, 1000, 3, 227, 227},
    IMAGENET("zfnet", "ZFNet, Zeiler and Fergus 2013: AlexNet with 7x7/2 CONV1, 5x5/2 CONV2",
             cna__zoo_zfnet, 0),
    IMAGENET("vgg11", "VGG-11 (configuration A), Simonyan and Zisserman 2014", cna__zoo_vgg, 110),
    IMAGENET("vgg11_bn", "VGG-11 with batch normalization", cna__zoo_vgg, 111),
    IMAGENET("vgg13", "VGG-13 (configuration B), Simonyan and Zisserman 2014", cna__zoo_vgg, 130),
    IMAGENET("vgg13_bn", "VGG-13 with batch normalization", cna__zoo_vgg, 131),
    IMAGENET("vgg16", "VGG-16 (configuration D), Simonyan and Zisserman 2014", cna__zoo_vgg, 160),
    IMAGENET("vgg16_bn", "VGG-16 with batch normalization", cna__zoo_vgg, 161),
    IMAGENET("vgg19", "VGG-19 (configuration E), Simonyan and Zisserman 2014", cna__zoo_vgg, 190),
    IMAGENET("vgg19_bn", "VGG-19 with batch normalization", cna__zoo_vgg, 191),
    IMAGENET("googlenet", "GoogLeNet (Inception v1), Szegedy et al. 2014, torchvision layout",
             cna__zoo_googlenet, 0),
    {"inception_naive",
     "The notes' naive Inception module on a 28x28x256 input: 1x1, 3x3, 5x5 conv, 3x3 pool",
     cna__zoo_inception_module, 0, 0, 256, 28, 28},
    {"inception_bottleneck",
     "The notes' Inception module with 1x1 bottlenecks on a 28x28x256 input",
     cna__zoo_inception_module, 1, 0, 256, 28, 28},
    IMAGENET("resnet18", "ResNet-18, He et al. 2015", cna__zoo_resnet, RESNET(18, 1, 64)),
    IMAGENET("resnet34", "ResNet-34, He et al. 2015", cna__zoo_resnet, RESNET(34, 1, 64)),
    IMAGENET("resnet50", "ResNet-50, He et al. 2015 (torchvision's v1.5: stride in the 3x3)",
             cna__zoo_resnet, RESNET(50, 1, 64)),
    IMAGENET("resnet101", "ResNet-101, He et al. 2015", cna__zoo_resnet, RESNET(101, 1, 64)),
    IMAGENET("resnet152", "ResNet-152, He et al. 2015", cna__zoo_resnet, RESNET(152, 1, 64)),
    CIFAR("resnet20", "CIFAR-10 ResNet-20 of the ResNet paper, zero-padding identity shortcuts",
          cna__zoo_resnet_cifar, 20),
    CIFAR("resnet32", "CIFAR-10 ResNet-32 of the ResNet paper", cna__zoo_resnet_cifar, 32),
    CIFAR("resnet44", "CIFAR-10 ResNet-44 of the ResNet paper", cna__zoo_resnet_cifar, 44),
    CIFAR("resnet56", "CIFAR-10 ResNet-56 of the ResNet paper", cna__zoo_resnet_cifar, 56),
    CIFAR("resnet110", "CIFAR-10 ResNet-110 of the ResNet paper", cna__zoo_resnet_cifar, 110),
    CIFAR("resnet1202", "CIFAR-10 ResNet-1202 of the ResNet paper", cna__zoo_resnet_cifar,
          1202),
    CIFAR("preact_resnet18",
          "Pre-activation ResNet-18 on CIFAR-10, He et al. 2016 (Identity Mappings)",
          cna__zoo_preact_resnet, 18),
    CIFAR("nin", "Network in Network on CIFAR-10, Lin et al. 2013", cna__zoo_nin, 0),
    IMAGENET("wide_resnet50_2", "Wide ResNet-50-2, Zagoruyko and Komodakis 2016, torchvision",
             cna__zoo_resnet, RESNET(50, 1, 128)),
    IMAGENET("wide_resnet101_2", "Wide ResNet-101-2, torchvision", cna__zoo_resnet,
             RESNET(101, 1, 128)),
    CIFAR("wrn_28_10", "Wide ResNet-28-10 on CIFAR-10, Zagoruyko and Komodakis 2016",
          cna__zoo_wrn_cifar, 2810),
    IMAGENET("resnext50_32x4d", "ResNeXt-50 32x4d, Xie et al. 2016", cna__zoo_resnet,
             RESNET(50, 32, 4)),
    IMAGENET("resnext101_32x8d", "ResNeXt-101 32x8d, Xie et al. 2016", cna__zoo_resnet,
             RESNET(101, 32, 8)),
    IMAGENET("squeezenet1_0", "SqueezeNet 1.0, Iandola et al. 2016", cna__zoo_squeezenet, 10),
    IMAGENET("squeezenet1_1", "SqueezeNet 1.1 (2.4x less computation than 1.0)",
             cna__zoo_squeezenet, 11),
    IMAGENET("densenet121", "DenseNet-121, Huang et al. 2017", cna__zoo_densenet, 121),
    IMAGENET("densenet169", "DenseNet-169, Huang et al. 2017", cna__zoo_densenet, 169),
    IMAGENET("densenet201", "DenseNet-201, Huang et al. 2017", cna__zoo_densenet, 201),
};

size_t cna__zoo_count(void) { return sizeof entries / sizeof entries[0]; }

const cna__zoo_entry *cna__zoo_at(size_t index) {
  return index < cna__zoo_count() ? &entries[index] : NULL;
}

const cna__zoo_entry *cna__zoo_find(const char *name) {
  for (size_t i = 0; i < cna__zoo_count(); i++)
    if (strcmp(entries[i].name, name) == 0) return &entries[i];
  return NULL;
}

const char *cna__zoo_name(char buf[CNA__NAME_MAX], const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vsnprintf(buf, CNA__NAME_MAX, fmt, args);
  va_end(args);
  return buf;
}
