/* pool.h - the library's thread pool and floating-point mode helpers.
 *
 * A pool has num_threads - 1 workers; the calling thread is the other one.
 * cna__pool_run hands out task indices from a shared counter, so which
 * thread runs a task varies, but each task's result does not: callers split
 * work over outputs only. Idle workers spin for the next job, then sleep
 * on a condition variable: about 100 microseconds after a forward pass,
 * so an idle host program burns no CPU, and up to 2 ms between the layers
 * of one. */
#ifndef CNA_POOL_H
#define CNA_POOL_H

#include <stddef.h>

#include "cnnarch.h"

typedef struct cna__pool cna__pool;

/* num_threads >= 2 starts num_threads - 1 workers; 1 creates no pool
 * (*out = NULL, which cna__pool_run accepts). */
cna_status cna__pool_create(int num_threads, cna__pool **out);
void cna__pool_destroy(cna__pool *pool);

/* fn(ctx, task, thread) for every task in [0, count); thread is in
 * [0, num_threads) and tells the task which per-thread scratch is its own.
 * Returns when all have run. When the pool is NULL, or busy with another
 * caller's job (several forward calls on one net), the caller runs every
 * task itself as thread 0. */
typedef void (*cna__task_fn)(void *ctx, size_t task, size_t thread);
/* The threads a job may run on: the workers and the caller (1: no pool). */
size_t cna__pool_threads(const cna__pool *pool);
void cna__pool_run(cna__pool *pool, size_t count, cna__task_fn fn, void *ctx);
/* Bracket a forward pass (any number at once; NULL accepted): while one
 * runs, threads waiting between its jobs poll for longer before they
 * sleep (pool.c), so the next layer finds them awake. */
void cna__pool_enter(cna__pool *pool);
void cna__pool_leave(cna__pool *pool);

/* Flush-to-zero and denormals-are-zero for the calling thread (the MXCSR
 * on x86, FPCR.FZ on AArch64), returning the previous mode for
 * cna__fp_restore: a forward pass runs with denormals flushed (they are
 * 100x slower on most CPUs) and gives the caller its own mode back. */
typedef struct cna__fp_mode {
  unsigned long bits;
} cna__fp_mode;
cna__fp_mode cna__fp_flush_denormals(void);
void cna__fp_restore(cna__fp_mode mode);

#endif /* CNA_POOL_H */
