/*
 * common.h - internal helpers shared by every part of the library:
 * error reporting, checked arithmetic, strings, the deterministic RNG.
 * Nothing here is public; names carry the cna__ prefix.
 */
#ifndef CNA_COMMON_H
#define CNA_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "cnnarch.h"

#if defined(__GNUC__)
#define CNA__PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define CNA__PRINTF(fmt, args)
#endif

/* Records a formatted message for cna_last_error_message() on the calling
 * thread and returns status, so failures read `return cna__error(...)`. */
cna_status cna__error(cna_status status, const char *fmt, ...) CNA__PRINTF(2, 3);

/* Add to the calling thread's message, after it or in front of it (what
 * does not fit in the buffer is cut from the end). */
void cna__error_append(const char *fmt, ...) CNA__PRINTF(1, 2);
void cna__error_prepend(const char *fmt, ...) CNA__PRINTF(1, 2);

/* Overflow-checked size arithmetic: return 0 and leave *out alone on
 * overflow, 1 on success. */
static inline int cna__mul_size(size_t a, size_t b, size_t *out) {
  if (a != 0 && b > SIZE_MAX / a) return 0;
  *out = a * b;
  return 1;
}
static inline int cna__add_size(size_t a, size_t b, size_t *out) {
  if (b > SIZE_MAX - a) return 0;
  *out = a + b;
  return 1;
}

/* Saturating arithmetic for the summary figures: absurd but valid
 * attributes (strides near INT_MAX) make them huge, never wrapped. */
static inline uint64_t cna__sat_add(uint64_t a, uint64_t b) {
  return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}
static inline uint64_t cna__sat_mul(uint64_t a, uint64_t b) {
  return a != 0 && b > UINT64_MAX / a ? UINT64_MAX : a * b;
}

/* malloc'ed copy of s, or NULL. */
char *cna__strdup(const char *s);

/* Edit distance between a and b, capped at cap (returns cap when larger). */
size_t cna__edit_distance(const char *a, const char *b, size_t cap);

/* Appends to the calling thread's error message up to three names from
 * names(ctx, 0 .. count-1) that are closest to name, as
 * " (did you mean 'x', 'y'?)". Appends nothing when none is close. */
typedef const char *(*cna__name_at)(const void *ctx, size_t index);
void cna__suggest_names(const char *name, cna__name_at names, const void *ctx,
                        size_t count);

/* The same, however far they are: "; the nearest are 'x', 'y', 'z'" (for
 * a caller that must name some, e.g. an unknown layer asked for by name). */
void cna__nearest_names(const char *name, cna__name_at names, const void *ctx,
                        size_t count);

/* Hash of a NUL-terminated name for the graph's name index: SipHash-1-3
 * under a key drawn at random once per process, so that a hostile model
 * file cannot choose names that collide (which would make loading it
 * quadratic). Only table layout depends on it, never a result. */
uint64_t cna__hash_name(const char *name);

/* Memory aligned for vector loads (64 bytes: a cache line and an AVX-512
 * register), freed with cna__aligned_free. NULL on failure or bytes == 0. */
void *cna__aligned_alloc(size_t bytes);
void cna__aligned_free(void *p);

/* Deterministic random numbers: splitmix64, identical on every platform. */
typedef struct cna__rng {
  uint64_t state;
} cna__rng;

/* Seeds a generator from a 64-bit seed and a string (a tensor name), so each
 * tensor's values depend only on the seed and its name. */
void cna__rng_init(cna__rng *rng, uint64_t seed, const char *stream);
uint64_t cna__rng_next(cna__rng *rng);
/* Uniform in [0, 1) with 53 random bits. */
double cna__rng_uniform(cna__rng *rng);

#endif /* CNA_COMMON_H */
