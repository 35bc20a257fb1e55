/* The thread pool (see pool.h). One job at a time: the caller that holds
 * run_lock publishes the job (on its stack) and works on it too; whoever
 * is running takes task indices from the job's atomic counter. The caller
 * waits for the tasks, not for the workers: a worker that the OS has not
 * scheduled yet (another process on its core) never joins a job that is
 * already done, so a busy machine costs at most the tasks a descheduled
 * worker took, not a time slice per job.
 *
 * Between the jobs of one forward pass (cna__pool_enter .. _leave) waiting
 * threads poll for up to PASS_SPIN_NANOSECONDS instead of SPIN_NANOSECONDS:
 * a thread that sleeps between two layers must be woken for the next, and
 * the other thread then waits for it too. With the 100 us limit throughout,
 * a ResNet-50 pass at 2 threads on a virtual machine of this project's
 * (Zen 3, 2 vCPUs) had 11-14 such sleeps of the caller, and the caller
 * waited 7% of the pass for the worker; with the pass-long limit, no
 * sleeps, and 0.97-0.98x the time. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "common/common.h"
#include "common/pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

typedef struct job {
  cna__task_fn fn;
  void *ctx;
  size_t count;
  atomic_size_t next; /* the next task to take */
  atomic_size_t done; /* tasks finished */
} job;

struct cna__pool {
  pthread_mutex_t run_lock; /* held by the caller whose job runs */
  pthread_mutex_t mutex;
  pthread_cond_t wake, finished;
  pthread_t *threads;
  size_t num_workers, started;
  _Atomic(job *) current; /* NULL between jobs */
  atomic_size_t users;    /* workers that may be reading current's job */
  atomic_uint generation; /* bumped per job: wakes the workers */
  atomic_size_t passes;   /* forward passes running (cna__pool_enter) */
  atomic_int stop;
};

/* How long an idle worker (or a caller waiting for the workers' tasks)
 * keeps polling before it sleeps: outside a forward pass, and inside one.
 * Layers follow each other within microseconds; a longer gap inside a pass
 * (a step that runs on one thread) is rare and ends the polling. */
#define SPIN_NANOSECONDS 100000L
#define PASS_SPIN_NANOSECONDS 2000000L

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ volatile("yield");
#endif
}

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Polls until ready(pool, arg) or the spin time runs out (0). */
static int poll_until(cna__pool *pool, int (*ready)(cna__pool *, void *), void *arg) {
  const long long start = now_ns();
  for (int spins = 1; !ready(pool, arg); spins++) {
    cpu_relax();
    if (spins % 64 != 0) continue;
    const long long limit = atomic_load_explicit(&pool->passes, memory_order_relaxed) > 0
                                ? PASS_SPIN_NANOSECONDS
                                : SPIN_NANOSECONDS;
    if (now_ns() - start > limit) return 0;
  }
  return 1;
}

/* A new job (generation past *seen) or a stop. */
static int job_or_stop(cna__pool *pool, void *seen) {
  return atomic_load_explicit(&pool->generation, memory_order_acquire) != *(unsigned *)seen ||
         atomic_load_explicit(&pool->stop, memory_order_relaxed);
}

/* Takes and runs tasks until none is left; the one who finishes the last
 * task wakes the caller (if it sleeps). */
static void run_tasks(cna__pool *pool, job *j, size_t thread) {
  const size_t count = j->count;
  for (;;) {
    const size_t task = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
    if (task >= count) break;
    j->fn(j->ctx, task, thread);
    if (atomic_fetch_add_explicit(&j->done, 1, memory_order_acq_rel) + 1 == count && thread != 0) {
      pthread_mutex_lock(&pool->mutex);
      pthread_cond_signal(&pool->finished);
      pthread_mutex_unlock(&pool->mutex);
    }
  }
}

typedef struct worker_arg {
  cna__pool *pool;
  size_t index;
} worker_arg;

static void *worker_main(void *p) {
  cna__pool *pool = ((worker_arg *)p)->pool;
  const size_t thread = ((worker_arg *)p)->index;
  free(p);
  (void)cna__fp_flush_denormals(); /* our thread: no mode to give back */
  unsigned seen = 0;
  for (;;) {
    /* Poll briefly: the next layer's job usually follows within
     * microseconds. Then sleep. */
    (void)poll_until(pool, job_or_stop, &seen);
    pthread_mutex_lock(&pool->mutex);
    while (atomic_load_explicit(&pool->generation, memory_order_acquire) == seen &&
           !atomic_load_explicit(&pool->stop, memory_order_relaxed))
      pthread_cond_wait(&pool->wake, &pool->mutex);
    pthread_mutex_unlock(&pool->mutex);
    if (atomic_load_explicit(&pool->stop, memory_order_relaxed)) break;
    seen = atomic_load_explicit(&pool->generation, memory_order_acquire);
    /* Announce ourselves before looking at the job: the caller clears
     * current and then waits for users to drop to 0, so either it waits
     * for us or we see NULL (both sequentially consistent). */
    atomic_fetch_add(&pool->users, 1);
    job *j = atomic_load(&pool->current);
    if (j != NULL) run_tasks(pool, j, thread);
    atomic_fetch_sub(&pool->users, 1);
  }
  return NULL;
}

cna_status cna__pool_create(int num_threads, cna__pool **out) {
  *out = NULL;
  if (num_threads <= 1) return CNA_OK;
  cna__pool *pool = calloc(1, sizeof *pool);
  if (pool == NULL) return cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory for a thread pool");
  pool->num_workers = (size_t)num_threads - 1;
  pool->threads = calloc(pool->num_workers, sizeof *pool->threads);
  if (pool->threads == NULL) {
    free(pool);
    return cna__error(CNA_ERROR_OUT_OF_MEMORY, "out of memory for a thread pool");
  }
  pthread_mutex_init(&pool->run_lock, NULL);
  pthread_mutex_init(&pool->mutex, NULL);
  pthread_cond_init(&pool->wake, NULL);
  pthread_cond_init(&pool->finished, NULL);
  for (size_t i = 0; i < pool->num_workers; i++) {
    worker_arg *arg = malloc(sizeof *arg);
    int err = arg == NULL ? -1 : 0;
    if (arg != NULL) {
      *arg = (worker_arg){pool, i + 1};
      err = pthread_create(&pool->threads[i], NULL, worker_main, arg);
      if (err != 0) free(arg);
    }
    if (err != 0) {
      cna__pool_destroy(pool);
      return cna__error(CNA_ERROR_OUT_OF_MEMORY,
                        "could not start thread %zu of %d for the thread pool", i + 2,
                        num_threads);
    }
    pool->started++;
  }
  *out = pool;
  return CNA_OK;
}

void cna__pool_destroy(cna__pool *pool) {
  if (pool == NULL) return;
  pthread_mutex_lock(&pool->mutex);
  atomic_store(&pool->stop, 1);
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->mutex);
  for (size_t i = 0; i < pool->started; i++) pthread_join(pool->threads[i], NULL);
  pthread_cond_destroy(&pool->wake);
  pthread_cond_destroy(&pool->finished);
  pthread_mutex_destroy(&pool->mutex);
  pthread_mutex_destroy(&pool->run_lock);
  free(pool->threads);
  free(pool);
}

size_t cna__pool_threads(const cna__pool *pool) {
  return pool != NULL ? pool->num_workers + 1 : 1;
}

/* Every task of the job arg finished. */
static int all_done(cna__pool *pool, void *arg) {
  (void)pool;
  job *j = arg;
  return atomic_load_explicit(&j->done, memory_order_acquire) == j->count;
}

void cna__pool_enter(cna__pool *pool) {
  if (pool != NULL) atomic_fetch_add_explicit(&pool->passes, 1, memory_order_relaxed);
}

void cna__pool_leave(cna__pool *pool) {
  if (pool != NULL) atomic_fetch_sub_explicit(&pool->passes, 1, memory_order_relaxed);
}

void cna__pool_run(cna__pool *pool, size_t count, cna__task_fn fn, void *ctx) {
  if (pool == NULL || count <= 1 || pthread_mutex_trylock(&pool->run_lock) != 0) {
    for (size_t i = 0; i < count; i++) fn(ctx, i, 0);
    return;
  }
  job j = {.fn = fn, .ctx = ctx, .count = count};
  atomic_init(&j.next, 0);
  atomic_init(&j.done, 0);
  pthread_mutex_lock(&pool->mutex);
  atomic_store(&pool->current, &j);
  atomic_fetch_add_explicit(&pool->generation, 1, memory_order_release);
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->mutex);
  run_tasks(pool, &j, 0);
  /* Tasks other threads took: spin briefly, then sleep until the last. */
  (void)poll_until(pool, all_done, &j);
  pthread_mutex_lock(&pool->mutex);
  while (atomic_load_explicit(&j.done, memory_order_acquire) != count)
    pthread_cond_wait(&pool->finished, &pool->mutex);
  pthread_mutex_unlock(&pool->mutex);
  /* The job lives on this stack: wait for workers still inside it (they
   * find no task left and leave at once). */
  atomic_store(&pool->current, NULL);
  int spins = 0;
  while (atomic_load(&pool->users) != 0) {
    cpu_relax();
    if (++spins % 1024 == 0) sched_yield();
  }
  pthread_mutex_unlock(&pool->run_lock);
}

cna__fp_mode cna__fp_flush_denormals(void) {
  cna__fp_mode old = {0};
#if defined(__x86_64__) || (defined(__i386__) && defined(__SSE__))
  old.bits = _mm_getcsr();
  _mm_setcsr((unsigned)old.bits | 0x8040u); /* FTZ (bit 15) | DAZ (bit 6) */
#elif defined(__aarch64__)
  unsigned long fpcr;
  __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
  old.bits = fpcr;
  __asm__ volatile("msr fpcr, %0" : : "r"(fpcr | (1UL << 24)));
#endif
  return old;
}

void cna__fp_restore(cna__fp_mode mode) {
#if defined(__x86_64__) || (defined(__i386__) && defined(__SSE__))
  _mm_setcsr((unsigned)mode.bits);
#elif defined(__aarch64__)
  __asm__ volatile("msr fpcr, %0" : : "r"(mode.bits));
#else
  (void)mode;
#endif
}
