/* Fault injection without touching the library's allocation or I/O sites:
 * the fault programs are linked against the static library with
 * -Wl,--wrap=NAME for every function below (Makefile: FAULT_WRAPS), so the
 * library's calls land in __wrap_NAME (wrap.c), which counts them and can
 * fail the n-th one, or kill the process at it. Disarmed, every wrapper
 * passes straight through. */
#ifndef CNA_TEST_FAULT_WRAP_H
#define CNA_TEST_FAULT_WRAP_H

#include <stddef.h>

typedef enum fault_kind {
  FAULT_ALLOC,  /* malloc, calloc, realloc, aligned_alloc */
  FAULT_MMAP,
  FAULT_OPEN,
  FAULT_FDOPEN,
  FAULT_FWRITE,
  FAULT_FFLUSH,
  FAULT_FSYNC,
  FAULT_FCLOSE,
  FAULT_RENAME,
  FAULT_KINDS
} fault_kind;

extern const char *const fault_kind_names[FAULT_KINDS];

typedef enum fault_action {
  FAULT_FAIL_ONCE,       /* the n-th call fails, later ones succeed */
  FAULT_FAIL_FROM,       /* the n-th call and every later one fail */
  FAULT_KILL             /* SIGKILL at the n-th call, before it runs */
} fault_action;

/* Zeroes every call counter and disarms. */
void fault_reset(void);
/* Arms kind: its call number n (counted from 1 since the last reset).
 * Kinds are armed independently. */
void fault_arm(fault_kind kind, unsigned long n, fault_action action);
/* Disarms every kind (counters keep counting). */
void fault_disarm(void);
/* Calls of kind since the last reset, and how many of them were failed. */
unsigned long fault_calls(fault_kind kind);
unsigned long fault_injected(void);
/* Calls of kind made before the last rename() call (0 if none). */
unsigned long fault_calls_before_rename(fault_kind kind);
/* Blocks allocated through the wrappers and not yet freed. */
long fault_live_blocks(void);

#endif
