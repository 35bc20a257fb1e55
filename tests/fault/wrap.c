/* The --wrap wrappers of wrap.h. Single-threaded use only: the fault
 * programs never run library calls on two threads. */
#define _GNU_SOURCE /* fdopen, fsync, mmap */
#include "wrap.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

const char *const fault_kind_names[FAULT_KINDS] = {
    "allocation", "mmap", "open", "fdopen", "fwrite", "fflush", "fsync", "fclose", "rename"};

static unsigned long calls[FAULT_KINDS], injected, at_rename[FAULT_KINDS];
static long live;
static unsigned long armed_n[FAULT_KINDS]; /* 0: not armed */
static fault_action armed_action[FAULT_KINDS];

void fault_reset(void) {
  for (int k = 0; k < FAULT_KINDS; k++) calls[k] = at_rename[k] = 0;
  injected = 0;
  fault_disarm();
}

void fault_arm(fault_kind kind, unsigned long n, fault_action action) {
  armed_n[kind] = n;
  armed_action[kind] = action;
}

void fault_disarm(void) {
  for (int k = 0; k < FAULT_KINDS; k++) armed_n[k] = 0;
}
unsigned long fault_calls(fault_kind kind) { return calls[kind]; }
unsigned long fault_injected(void) { return injected; }
unsigned long fault_calls_before_rename(fault_kind kind) { return at_rename[kind]; }
long fault_live_blocks(void) { return live; }

/* Counts a call; 1 if it must fail (errno set to err). */
static int should_fail(fault_kind kind, int err) {
  const unsigned long n = ++calls[kind];
  if (armed_n[kind] == 0) return 0;
  const int hit = armed_action[kind] == FAULT_FAIL_FROM ? n >= armed_n[kind] : n == armed_n[kind];
  if (!hit) return 0;
  if (armed_action[kind] == FAULT_KILL) raise(SIGKILL);
  injected++;
  errno = err;
  return 1;
}

void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *p, size_t size);
void *__real_aligned_alloc(size_t alignment, size_t size);
void __real_free(void *p);
void *__real_mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset);
int __real_open(const char *path, int flags, ...);
FILE *__real_fdopen(int fd, const char *mode);
size_t __real_fwrite(const void *data, size_t size, size_t count, FILE *file);
int __real_fflush(FILE *file);
int __real_fsync(int fd);
int __real_fclose(FILE *file);
int __real_rename(const char *from, const char *to);

void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t count, size_t size);
void *__wrap_realloc(void *p, size_t size);
void *__wrap_aligned_alloc(size_t alignment, size_t size);
void __wrap_free(void *p);
void *__wrap_mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset);
int __wrap_open(const char *path, int flags, ...);
FILE *__wrap_fdopen(int fd, const char *mode);
size_t __wrap_fwrite(const void *data, size_t size, size_t count, FILE *file);
int __wrap_fflush(FILE *file);
int __wrap_fsync(int fd);
int __wrap_fclose(FILE *file);
int __wrap_rename(const char *from, const char *to);

void *__wrap_malloc(size_t size) {
  if (should_fail(FAULT_ALLOC, ENOMEM)) return NULL;
  void *p = __real_malloc(size);
  live += p != NULL;
  return p;
}

void *__wrap_calloc(size_t count, size_t size) {
  if (should_fail(FAULT_ALLOC, ENOMEM)) return NULL;
  void *p = __real_calloc(count, size);
  live += p != NULL;
  return p;
}

void *__wrap_realloc(void *p, size_t size) {
  if (should_fail(FAULT_ALLOC, ENOMEM)) return NULL; /* p stays valid */
  void *q = __real_realloc(p, size);
  if (p == NULL) live += q != NULL;
  return q;
}

void *__wrap_aligned_alloc(size_t alignment, size_t size) {
  if (should_fail(FAULT_ALLOC, ENOMEM)) return NULL;
  void *p = __real_aligned_alloc(alignment, size);
  live += p != NULL;
  return p;
}

void __wrap_free(void *p) {
  live -= p != NULL;
  __real_free(p);
}

void *__wrap_mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset) {
  if (should_fail(FAULT_MMAP, ENOMEM)) return MAP_FAILED;
  return __real_mmap(addr, length, prot, flags, fd, offset);
}

int __wrap_open(const char *path, int flags, ...) {
  unsigned mode = 0;
  if (flags & O_CREAT) {
    va_list args;
    va_start(args, flags);
    mode = va_arg(args, unsigned);
    va_end(args);
  }
  if (should_fail(FAULT_OPEN, EACCES)) return -1;
  return __real_open(path, flags, mode);
}

FILE *__wrap_fdopen(int fd, const char *mode) {
  if (should_fail(FAULT_FDOPEN, ENOMEM)) return NULL;
  return __real_fdopen(fd, mode);
}

size_t __wrap_fwrite(const void *data, size_t size, size_t count, FILE *file) {
  if (should_fail(FAULT_FWRITE, ENOSPC)) return 0;
  return __real_fwrite(data, size, count, file);
}

int __wrap_fflush(FILE *file) {
  if (should_fail(FAULT_FFLUSH, ENOSPC)) return EOF;
  return __real_fflush(file);
}

int __wrap_fsync(int fd) {
  if (should_fail(FAULT_FSYNC, EIO)) return -1;
  return __real_fsync(fd);
}

int __wrap_fclose(FILE *file) {
  /* A failing close still closes (as fclose does): no descriptor leaks. */
  if (should_fail(FAULT_FCLOSE, EIO)) {
    __real_fclose(file);
    errno = EIO;
    return EOF;
  }
  return __real_fclose(file);
}

int __wrap_rename(const char *from, const char *to) {
  for (int k = 0; k < FAULT_KINDS; k++) at_rename[k] = calls[k];
  if (should_fail(FAULT_RENAME, EXDEV)) return -1;
  return __real_rename(from, to);
}
