# libcnnarch: `make` builds the libraries and examples, `make check` runs the
# tests, `make demo` prints the architecture comparison, `make install`
# installs (PREFIX, DESTDIR; the pkg-config file gets the version from the
# header; the class-name files go to DATADIR/cnnarch/labels). `make help`
# lists everything.

.DEFAULT_GOAL := all
.SUFFIXES:

VERSION_MAJOR := $(shell sed -n 's/^\#define CNA_VERSION_MAJOR \([0-9]*\)$$/\1/p' include/cnnarch.h)
VERSION_MINOR := $(shell sed -n 's/^\#define CNA_VERSION_MINOR \([0-9]*\)$$/\1/p' include/cnnarch.h)
VERSION_PATCH := $(shell sed -n 's/^\#define CNA_VERSION_PATCH \([0-9]*\)$$/\1/p' include/cnnarch.h)
VERSION := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DATADIR ?= $(PREFIX)/share
LABELS := $(wildcard data/labels/*.txt)

CC ?= cc
CFLAGS ?= -O3 -g
WARNINGS := -Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -Wundef
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif
# SANITIZE=address,undefined (or thread) builds everything instrumented.
ifneq ($(SANITIZE),)
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
BUILD ?= build-$(subst $(comma),-,$(SANITIZE))
else
BUILD ?= build
endif
comma := ,

BASE_CFLAGS := -std=c11 -Iinclude -Ilib $(WARNINGS) $(SAN_FLAGS)
LIB_CFLAGS := $(BASE_CFLAGS) -fPIC -fvisibility=hidden -DCNA_BUILDING_LIBRARY
LIBS := -lpng -lz -lm -lpthread

LIB_SRCS := $(sort $(shell find lib -name '*.c'))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
SONAME := libcnnarch.so.$(VERSION_MAJOR)
SHARED := $(BUILD)/lib/libcnnarch.so.$(VERSION)
STATIC := $(BUILD)/lib/libcnnarch.a

EXAMPLES := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))
# Examples find the in-tree library through their rpath.
EXAMPLE_LDFLAGS := -L$(BUILD)/lib -Wl,-rpath,'$$ORIGIN/../lib' $(SAN_FLAGS)

TEST_SRCS := $(sort $(wildcard tests/*.c tests/support/*.c))
TEST_RUNNER := $(BUILD)/tests/check_cnnarch

.PHONY: all lib examples check test-programs check-torch parity bench demo install uninstall clean \
        help deps deps-build deps-torch deps-aarch64 aarch64-programs check-aarch64

all: lib examples

lib: $(SHARED) $(STATIC)

# Kernels tagged with an ISA get its flags, and only they: nothing else may
# use instructions an older CPU lacks. Each is built for its own targets
# only: -avx2.c and -avx512.c for x86, -neon.c for AArch64 (where NEON is
# baseline: no flags). AVX2 loops start on a 64-byte boundary: the 6x16
# GEMM's inner loop (123 bytes) moved with every change to its file, from
# two of Zen 3's 64-byte fetch windows to three, and whole nets ran 1.05x
# the time (ResNet-50, ResNeXt-50 at batch 8) for an unrelated edit.
ISA_FLAGS = $(if $(findstring -avx2.c,$<),-mavx2 -mfma -falign-loops=64)$(if $(findstring -avx512.c,$<),-mavx512f -mfma)
TARGET_MACHINE := $(shell $(CC) -dumpmachine 2>/dev/null)
ifeq ($(filter x86_64% i686% i386%,$(TARGET_MACHINE)),)
LIB_SRCS := $(filter-out %-avx2.c %-avx512.c,$(LIB_SRCS))
endif
ifeq ($(filter aarch64%,$(TARGET_MACHINE)),)
LIB_SRCS := $(filter-out %-neon.c,$(LIB_SRCS))
endif
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LIB_CFLAGS) $(ISA_FLAGS) -MMD -MP -c $< -o $@

$(SHARED): $(LIB_OBJS) lib/libcnnarch.map
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $(SAN_FLAGS) -shared -Wl,-soname,$(SONAME) \
	  -Wl,--version-script=lib/libcnnarch.map -Wl,--no-undefined \
	  -o $@ $(LIB_OBJS) $(LIBS)
	ln -sf libcnnarch.so.$(VERSION) $(BUILD)/lib/$(SONAME)
	ln -sf $(SONAME) $(BUILD)/lib/libcnnarch.so

$(STATIC): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJS)

examples: $(EXAMPLES)

$(BUILD)/examples/%: examples/%.c $(SHARED) include/cnnarch.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(BASE_CFLAGS) $(LDFLAGS) -o $@ $< $(EXAMPLE_LDFLAGS) -lcnnarch $(LIBS)

# ---------------------------------------------------------------- set-up

# The tools a build needs and the Debian packages that bring them.
deps-build:
	@$(call need_packages,$(if $(shell command -v $(CC) 2>/dev/null),,build-essential) \
	  $(if $(wildcard /usr/include/zlib.h),,zlib1g-dev) \
	  $(if $(wildcard /usr/include/png.h),,libpng-dev))

deps: deps-build
	@$(call need_packages,$(if $(shell command -v pkg-config 2>/dev/null),,pkg-config) \
	  $(if $(shell pkg-config --exists check 2>/dev/null && echo y),,check))

# Adds a foreign architecture to dpkg (for multiarch packages such as
# zlib1g-dev:arm64) when the second argument is not empty and dpkg lacks it:
# when root on a Debian-like system, otherwise stops with the command to run.
define need_arch
if [ -n "$(strip $(2))" ] && ! dpkg --print-foreign-architectures 2>/dev/null | grep -qx $(1); then \
  if [ "$$(id -u)" = 0 ] && command -v dpkg >/dev/null 2>&1; then \
    echo "adding the $(1) architecture to dpkg (multiarch)"; \
    dpkg --add-architecture $(1) || { echo "dpkg --add-architecture $(1) failed" >&2; exit 1; }; \
  else \
    echo "missing the $(1) architecture in dpkg" >&2; \
    echo "add it with: sudo dpkg --add-architecture $(1) && sudo apt-get update" >&2; exit 1; \
  fi; \
fi
endef

# Installs the named packages when root on a Debian-like system, otherwise
# stops with the command to run.
define need_packages
missing="$(strip $(1))"; \
if [ -n "$$missing" ]; then \
  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
    echo "installing missing build dependencies: $$missing"; \
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) \
      >/dev/null || { echo "apt-get install $$missing failed" >&2; exit 1; }; \
  else \
    echo "missing build dependencies: $$missing" >&2; \
    echo "install them with: sudo apt-get install -y $$missing" >&2; exit 1; \
  fi; \
fi
endef

# ---------------------------------------------------------------- tests

CHECK_CFLAGS = $(shell pkg-config --cflags check)
CHECK_LIBS = $(shell pkg-config --libs check)

$(TEST_RUNNER): $(TEST_SRCS) tests/tests.h $(wildcard tests/support/*.h) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(BASE_CFLAGS) $(CHECK_CFLAGS) -DCNA_TEST_DATA='"$(CURDIR)/tests/data"' \
	  -DCNA_SOURCE_DIR='"$(CURDIR)"' \
	  $(LDFLAGS) -o $@ $(TEST_SRCS) $(STATIC) $(CHECK_LIBS) $(LIBS)

# Fault injection (tests/fault): programs linked against the static library
# with the allocation and file functions it calls wrapped (-Wl,--wrap), so a
# test can fail the n-th call or kill the process at it.
FAULT_WRAPS := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=aligned_alloc,--wrap=free \
               -Wl,--wrap=mmap,--wrap=open,--wrap=fdopen,--wrap=fwrite,--wrap=fflush \
               -Wl,--wrap=fsync,--wrap=fclose,--wrap=rename
FAULT_TESTS := $(patsubst tests/fault/%.c,$(BUILD)/tests/fault/%,$(wildcard tests/fault/*_test.c))

$(BUILD)/tests/fault/%: tests/fault/%.c tests/fault/wrap.c tests/fault/wrap.h \
                        tests/support/every_layer.c tests/support/every_layer.h $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(BASE_CFLAGS) -Itests $(LDFLAGS) -o $@ $< tests/fault/wrap.c \
	  tests/support/every_layer.c $(STATIC) $(FAULT_WRAPS) $(LIBS)

test-programs: deps
	@$(MAKE) --no-print-directory all $(TEST_RUNNER) $(FAULT_TESTS) $(BENCHES)

# Under ThreadSanitizer only the suites that start threads run: the others
# are single-threaded, and TSan makes them 10-50 times slower and ~10 GB
# large (docs/security.md).
TSAN_SUITES := concurrency forward api
TSAN_OPTIONS_CHECK := halt_on_error=1 abort_on_error=1 second_deadlock_stack=1

# Shell tests first (symbols, examples, install, the Python binding), then
# the fault-injection programs, then the Check suites, whose summary line
# closes the output.
check: test-programs
	@sh tests/symbols_test.sh $(SHARED) include/cnnarch.h
	@sh tests/examples_test.sh $(BUILD)
	@$(BUILD)/tests/layer_profile lenet5 --runs 3 --top 3 | grep -q '^conv2d ' || \
	  { echo "layer_profile: no conv2d row for lenet5"; exit 1; }
	@$(if $(SANITIZE),echo "install: skipped under SANITIZE (an instrumented library needs its runtime preloaded)",sh tests/install_test.sh "$(MAKE)" "$(BUILD)")
	@$(if $(SANITIZE),echo "python: skipped under SANITIZE (the same reason)",sh tests/python_test.sh)
	@for t in $(FAULT_TESTS); do $$t || exit 1; done
ifneq ($(findstring thread,$(SANITIZE)),)
	@for s in $(TSAN_SUITES); do \
	  TSAN_OPTIONS="$(TSAN_OPTIONS_CHECK) $$TSAN_OPTIONS" CK_RUN_SUITE=$$s \
	    CK_DEFAULT_TIMEOUT=600 $(TEST_RUNNER) || exit 1; done
	@echo "thread sanitizer: suites $(TSAN_SUITES) clean (the other suites start no threads)"
else
	@CK_DEFAULT_TIMEOUT=600 $(TEST_RUNNER)
endif

# Whole networks against PyTorch (Debian's python3-torch and python3-onnx):
# tensor names and shapes against torchvision's state_dicts, outputs through
# the state_dict and ONNX paths; then the binding's tests with onnx present.
deps-torch: deps-build
	@$(call need_packages,$(if $(shell /usr/bin/python3 -c 'import torch, torchvision, numpy, onnx' \
	  2>/dev/null && echo y),,python3 python3-numpy python3-torch python3-torchvision python3-onnx))

parity: deps-torch
	@$(MAKE) --no-print-directory lib
	@sh tests/python_test.sh
	@/usr/bin/python3 tests/torch/parity.py

check-torch: parity

# ---------------------------------------------------------------- fuzzing

# libFuzzer targets (tests/fuzz: the .cna loader, the builder, PNG input)
# built with clang against a copy of the library compiled with coverage
# instrumentation, AddressSanitizer (with leak detection) and
# UndefinedBehaviorSanitizer, in build-fuzz/. `make fuzz`
# runs each target FUZZ_SECONDS; `make fuzz-replay` runs every committed
# input once (seeds, crash regressions, the golden model files).
FUZZ_CC ?= clang
FUZZ_BUILD := build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := load builder png
FUZZ_LIB := $(FUZZ_BUILD)/lib/libcnnarch.a
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz/fuzz_%)
FUZZ_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
              -fno-sanitize-recover=all

.PHONY: fuzz fuzz-replay fuzz-build fuzz-seeds deps-fuzz

deps-fuzz: deps-build
	@$(call need_packages,$(if $(shell command -v $(FUZZ_CC) 2>/dev/null),,clang) \
	  $(if $(wildcard /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a),,libclang-rt-14-dev) \
	  $(if $(wildcard /usr/lib/llvm-*/lib/libFuzzer.a),,libfuzzer-14-dev))

$(FUZZ_BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(FUZZ_LIB)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -std=c11 -Iinclude $(WARNINGS) -o $@ $< $(FUZZ_LIB) $(LIBS)

fuzz-build: deps-fuzz
	@$(MAKE) --no-print-directory CC=$(FUZZ_CC) BUILD=$(FUZZ_BUILD) SANITIZE=address,undefined \
	  CFLAGS="-O1 -g -fsanitize=fuzzer-no-link" $(FUZZ_LIB)
	@$(MAKE) --no-print-directory $(FUZZ_BINS)

fuzz: fuzz-build
	@sh tests/fuzz/fuzz.sh run $(FUZZ_SECONDS) $(FUZZ_BUILD) $(FUZZ_TARGETS)

fuzz-replay: fuzz-build
	@sh tests/fuzz/fuzz.sh replay $(FUZZ_BUILD) $(FUZZ_TARGETS)

# Regenerates the committed seed corpora (tests/fuzz/corpus).
fuzz-seeds: $(STATIC)
	@mkdir -p $(BUILD)/tests tests/fuzz/corpus/load tests/fuzz/corpus/builder tests/fuzz/corpus/png
	$(CC) $(CFLAGS) $(BASE_CFLAGS) -Itests -o $(BUILD)/tests/make_seeds tests/fuzz/make_seeds.c \
	  tests/support/every_layer.c $(STATIC) $(LIBS)
	$(BUILD)/tests/make_seeds tests/fuzz/corpus $(sort $(wildcard tests/image/*.png))

# ---------------------------------------------------------------- valgrind

# The examples and the fault programs under valgrind memcheck (Debian's
# valgrind, installed if root): no invalid access, no uninitialized value,
# no leak. Minutes, so not part of make check or CI.
.PHONY: valgrind deps-valgrind

deps-valgrind: deps
	@$(call need_packages,$(if $(shell command -v valgrind 2>/dev/null),,valgrind))

valgrind: deps-valgrind
	@$(MAKE) --no-print-directory all $(FAULT_TESTS)
	@sh tests/valgrind_test.sh $(BUILD)

# ---------------------------------------------------------------- ABI

# The exported symbols and libabigail's view of the ABI against the
# committed baseline of this major version (tests/abi): a removal or change
# fails, an addition is reported. When the ABI grows on purpose (a minor
# version adds functions), `make abi-baseline` rewrites the baseline; review
# and commit it. A new major version gets a new baseline file.
.PHONY: abi-check abi-baseline deps-abi

deps-abi: deps-build
	@$(call need_packages,$(if $(shell command -v abidiff 2>/dev/null),,abigail-tools))

abi-check: deps-abi
	@$(MAKE) --no-print-directory lib
	@sh tests/abi/abi_check.sh check $(SHARED) $(VERSION_MAJOR)

abi-baseline: deps-abi
	@$(MAKE) --no-print-directory lib
	@sh tests/abi/abi_check.sh baseline $(SHARED) $(VERSION_MAJOR)
# ---------------------------------------------------------------- AArch64

# The NEON path, cross-compiled with Debian's aarch64-linux-gnu-gcc into
# build-aarch64 and run under qemu-aarch64 (user-mode emulation): the symbol
# check, the examples and every Check suite. Check and zlib for arm64 come
# from Debian multiarch (dpkg --add-architecture arm64).
AARCH64_BUILD := build-aarch64
AARCH64_CC := aarch64-linux-gnu-gcc
AARCH64_SYSROOT := /usr/aarch64-linux-gnu
AARCH64_LIBDIR := /usr/lib/aarch64-linux-gnu
# The programs run on the multiarch arm64 loader and libc (/lib/ld-linux-
# aarch64.so.1, from libc6:arm64, which zlib1g:arm64 pulls in), not with
# -L $(AARCH64_SYSROOT): that prefix's loader would find the multiarch libc
# of another build through ld.so.cache, and the mismatched pair hangs in
# fork's child (the Check runner forks every test).
AARCH64_RUN := qemu-aarch64 -L /

deps-aarch64:
	@$(call need_arch,arm64,$(if $(wildcard $(AARCH64_LIBDIR)/libz.so),,y)$(if \
	  $(wildcard $(AARCH64_LIBDIR)/pkgconfig/check.pc),,y)$(if \
	  $(wildcard $(AARCH64_LIBDIR)/libpng.so),,y))
	@$(call need_packages,$(if $(shell command -v $(AARCH64_CC) 2>/dev/null),,gcc-aarch64-linux-gnu) \
	  $(if $(wildcard $(AARCH64_SYSROOT)/include/stdio.h),,libc6-dev-arm64-cross) \
	  $(if $(shell command -v qemu-aarch64 2>/dev/null),,qemu-user) \
	  $(if $(shell command -v pkg-config 2>/dev/null),,pkg-config) \
	  $(if $(wildcard $(AARCH64_LIBDIR)/libz.so),,zlib1g-dev:arm64) \
	  $(if $(wildcard $(AARCH64_LIBDIR)/libpng.so),,libpng-dev:arm64) \
	  $(if $(wildcard $(AARCH64_LIBDIR)/pkgconfig/check.pc),,check:arm64))

# The cross build: the library, the examples and the test runner, with
# Check's flags from the arm64 pkg-config files (libpng and zlib are found
# by the cross compiler in the multiarch directories).
aarch64-programs: deps-aarch64
	@PKG_CONFIG_LIBDIR=$(AARCH64_LIBDIR)/pkgconfig $(MAKE) --no-print-directory \
	  CC=$(AARCH64_CC) AR=aarch64-linux-gnu-ar BUILD=$(AARCH64_BUILD) SANITIZE= \
	  all $(AARCH64_BUILD)/tests/check_cnnarch

check-aarch64: aarch64-programs
	@NM=aarch64-linux-gnu-nm OBJDUMP=aarch64-linux-gnu-objdump \
	  sh tests/symbols_test.sh $(AARCH64_BUILD)/lib/libcnnarch.so.$(VERSION) include/cnnarch.h
	@EMULATOR="$(AARCH64_RUN)" sh tests/examples_test.sh $(AARCH64_BUILD)
	@CK_DEFAULT_TIMEOUT=600 CK_TIMEOUT_MULTIPLIER=5 CNNARCH_TEST_EMULATED=1 \
	  $(AARCH64_RUN) $(AARCH64_BUILD)/tests/check_cnnarch

# ---------------------------------------------------------------- benchmarks

BENCHES := $(patsubst tests/bench/%.c,$(BUILD)/tests/%,$(wildcard tests/bench/*.c))

# Benchmarks link the static library: some time internal kernels.
$(BUILD)/tests/%: tests/bench/%.c $(STATIC) include/cnnarch.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(BASE_CFLAGS) $(LDFLAGS) -o $@ $< $(STATIC) $(SAN_FLAGS) $(LIBS)

# Speed and size figures (never timed tests: the machine is shared).
# BENCH_MODELS, BENCH_BATCHES, BENCH_THREADS narrow the model table; ONNX
# Runtime joins it when ../shared/peers is set up (its README).
BENCH_MODELS ?= alexnet,vgg16,googlenet,resnet18,resnet50,resnext50_32x4d,squeezenet1_1,densenet121
BENCH_BATCHES ?= 1,8
BENCH_THREADS ?= 1,2
bench: deps-build
	@$(MAKE) --no-print-directory all $(BENCHES)
	@$(BUILD)/tests/gemm_bench
	@$(BUILD)/tests/load_bench
	@$(BUILD)/tests/denormal_bench
	@python3 tests/bench/compare.py --build $(BUILD) --models $(BENCH_MODELS) \
	  --batches $(BENCH_BATCHES) --threads $(BENCH_THREADS)

# ---------------------------------------------------------------- demo

demo: deps-build
	@$(MAKE) --no-print-directory all
	@$(BUILD)/examples/demo

# ---------------------------------------------------------------- install

install: lib
	install -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
	  $(DESTDIR)$(DATADIR)/cnnarch/labels
	install -m 644 include/cnnarch.h $(DESTDIR)$(INCLUDEDIR)/cnnarch.h
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/libcnnarch.so.$(VERSION)
	ln -sf libcnnarch.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libcnnarch.so
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/libcnnarch.a
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    pkgconfig/cnnarch.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/cnnarch.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/cnnarch.pc
	install -m 644 $(LABELS) $(DESTDIR)$(DATADIR)/cnnarch/labels/

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/cnnarch.h $(DESTDIR)$(LIBDIR)/libcnnarch.so.$(VERSION) \
	  $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libcnnarch.so \
	  $(DESTDIR)$(LIBDIR)/libcnnarch.a $(DESTDIR)$(PKGCONFIGDIR)/cnnarch.pc \
	  $(LABELS:data/labels/%=$(DESTDIR)$(DATADIR)/cnnarch/labels/%)
	rmdir $(DESTDIR)$(DATADIR)/cnnarch/labels $(DESTDIR)$(DATADIR)/cnnarch 2>/dev/null || true

clean:
	rm -rf build build-*

help:
	@echo "make            build $(SHARED), $(STATIC) and the examples"
	@echo "make check      run every test (installs Debian's check package if root)"
	@echo "make demo       print the notes' architecture comparison, with latency"
	@echo "make bench      benchmarks: FMA peak and GEMM, model load time, denormals, and every"
	@echo "                model at batch 1/8, 1/2 threads beside ONNX Runtime"
	@echo "make install    install (PREFIX=$(PREFIX), DESTDIR for staging)"
	@echo "make check SANITIZE=address,undefined   the tests under sanitizers"
	@echo "make check SANITIZE=thread   the threaded suites under ThreadSanitizer"
	@echo "make fuzz FUZZ_SECONDS=60   each libFuzzer target for that long (clang, ASan, UBSan)"
	@echo "make fuzz-replay   every committed fuzz input once"
	@echo "make abi-check   exported symbols and ABI against tests/abi (abigail-tools)"
	@echo "make valgrind   the examples under valgrind memcheck"
	@echo "make check-aarch64   the NEON path: cross-compiled into $(AARCH64_BUILD), tests run"
	@echo "                under qemu-aarch64 (installs the cross tools and arm64 packages if root)"
	@echo "make parity     whole networks against PyTorch, state_dict and ONNX paths"
	@echo "                (installs python3-torch and python3-onnx if root)"

-include $(LIB_OBJS:.o=.d)
