/* Strings, name suggestions, the name hash, aligned memory and the
 * deterministic RNG. */
#define _DEFAULT_SOURCE /* getrandom */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__linux__)
#include <sys/mman.h>
#include <sys/random.h>
#endif

#include "common/common.h"

char *cna__strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *copy = malloc(n);
  if (copy != NULL) memcpy(copy, s, n);
  return copy;
}

size_t cna__edit_distance(const char *a, const char *b, size_t cap) {
  /* Levenshtein distance over two rows; names longer than 127 bytes are
   * compared on their first 127, which is plenty for suggestions. */
  enum { MAX = 128 };
  size_t la = strlen(a), lb = strlen(b);
  if (la >= MAX) la = MAX - 1;
  if (lb >= MAX) lb = MAX - 1;
  size_t prev[MAX], cur[MAX];
  for (size_t j = 0; j <= lb; j++) prev[j] = j;
  for (size_t i = 1; i <= la; i++) {
    cur[0] = i;
    size_t row_min = cur[0];
    for (size_t j = 1; j <= lb; j++) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      size_t best = prev[j - 1] + cost;
      if (prev[j] + 1 < best) best = prev[j] + 1;
      if (cur[j - 1] + 1 < best) best = cur[j - 1] + 1;
      cur[j] = best;
      if (best < row_min) row_min = best;
    }
    if (row_min >= cap) return cap;
    memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
  }
  return prev[lb] < cap ? prev[lb] : cap;
}

/* Appends the (up to) three names closest to name among those within cap
 * edits, after intro, closing with outro. */
static void list_closest(const char *name, cna__name_at names, const void *ctx, size_t count,
                         size_t cap, const char *intro, const char *outro) {
  enum { SHOW = 3 };
  size_t best[SHOW], best_dist[SHOW], found = 0;
  for (size_t i = 0; i < count; i++) {
    size_t d = cna__edit_distance(name, names(ctx, i), cap);
    if (d >= cap) continue;
    if (found == SHOW && d >= best_dist[SHOW - 1]) continue;
    size_t pos = found < SHOW ? found++ : SHOW - 1;
    /* Insertion into the short sorted list; equal distances keep layer order. */
    while (pos > 0 && best_dist[pos - 1] > d) {
      best[pos] = best[pos - 1];
      best_dist[pos] = best_dist[pos - 1];
      pos--;
    }
    best[pos] = i;
    best_dist[pos] = d;
  }
  if (found == 0) return;
  cna__error_append("%s", intro);
  for (size_t k = 0; k < found; k++)
    cna__error_append("%s'%s'", k ? ", " : "", names(ctx, best[k]));
  cna__error_append("%s", outro);
}

void cna__suggest_names(const char *name, cna__name_at names, const void *ctx,
                        size_t count) {
  /* A suggestion is worth making when it is within a third of the name's
   * length (at least 2 edits): typos, not unrelated names. */
  size_t cap = strlen(name) / 3;
  if (cap < 2) cap = 2;
  list_closest(name, names, ctx, count, cap + 1, " (did you mean ", "?)");
}

void cna__nearest_names(const char *name, cna__name_at names, const void *ctx,
                        size_t count) {
  list_closest(name, names, ctx, count, SIZE_MAX, "; the nearest are ", "");
}

/* ------------------------------------------------------------ name hash */

static uint64_t hash_key[2];
static pthread_once_t hash_key_once = PTHREAD_ONCE_INIT;

static void hash_key_init(void) {
#if defined(__linux__)
  if (getrandom(hash_key, sizeof hash_key, GRND_NONBLOCK) == (ssize_t)sizeof hash_key) return;
#endif
  /* No entropy source: a clock and addresses (ASLR) still keep the key
   * from being known in advance. */
  struct timespec t;
  timespec_get(&t, TIME_UTC);
  uint64_t seed = (uint64_t)t.tv_sec * 1000000007u ^ (uint64_t)t.tv_nsec ^
                  (uint64_t)(uintptr_t)&t ^ (uint64_t)(uintptr_t)hash_key;
  cna__rng rng;
  cna__rng_init(&rng, seed, "name hash");
  hash_key[0] = cna__rng_next(&rng);
  hash_key[1] = cna__rng_next(&rng);
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND(v0, v1, v2, v3)                                      \
  (v0 += v1, v1 = ROTL(v1, 13), v1 ^= v0, v0 = ROTL(v0, 32),          \
   v2 += v3, v3 = ROTL(v3, 16), v3 ^= v2,                             \
   v0 += v3, v3 = ROTL(v3, 21), v3 ^= v0,                             \
   v2 += v1, v1 = ROTL(v1, 17), v1 ^= v2, v2 = ROTL(v2, 32))

uint64_t cna__hash_name(const char *name) {
  pthread_once(&hash_key_once, hash_key_init);
  uint64_t v0 = 0x736f6d6570736575ull ^ hash_key[0], v1 = 0x646f72616e646f6dull ^ hash_key[1];
  uint64_t v2 = 0x6c7967656e657261ull ^ hash_key[0], v3 = 0x7465646279746573ull ^ hash_key[1];
  const unsigned char *p = (const unsigned char *)name;
  size_t length = 0;
  for (;;) {
    /* Eight bytes at a time; the last word holds the length's low byte on
     * top (SipHash's padding). */
    uint64_t m = 0;
    int k = 0;
    while (k < 8 && p[k] != '\0') m |= (uint64_t)p[k] << (8 * k), k++;
    length += (size_t)k;
    if (k < 8) {
      m |= (uint64_t)(length & 0xff) << 56;
      v3 ^= m;
      SIPROUND(v0, v1, v2, v3);
      v0 ^= m;
      break;
    }
    v3 ^= m;
    SIPROUND(v0, v1, v2, v3);
    v0 ^= m;
    p += 8;
  }
  v2 ^= 0xff;
  SIPROUND(v0, v1, v2, v3);
  SIPROUND(v0, v1, v2, v3);
  SIPROUND(v0, v1, v2, v3);
  return v0 ^ v1 ^ v2 ^ v3;
}

/* Blocks of at least a huge page (packed weights, the activation arena)
 * start on a huge-page boundary, and the whole huge pages inside them are
 * offered to the kernel's transparent huge pages (Linux; where THP is
 * "madvise", the default on Debian, nothing else asks for them). A
 * forward pass streams every layer's weights once from memory: with 4 KB
 * pages that walks the page tables every 4 KB (ResNet-50's layer4 3x3
 * weights are 9.4 MB, 2300 pages); with 2 MB pages, five walks. Measured
 * 0.84-0.94x the time on the zoo's larger nets (docs/performance.md). The
 * tail past the last whole huge page keeps small pages, so no memory is
 * made resident that the block does not use. */
enum { HUGE_PAGE = 2 << 20 };

void *cna__aligned_alloc(size_t bytes) {
  if (bytes == 0 || bytes > SIZE_MAX - HUGE_PAGE) return NULL;
  if (bytes < HUGE_PAGE) return aligned_alloc(64, (bytes + 63) & ~(size_t)63);
  /* posix_memalign: C11's aligned_alloc wants the size a multiple of the
   * alignment (AddressSanitizer enforces it). */
  void *p = NULL;
  if (posix_memalign(&p, HUGE_PAGE, (bytes + 63) & ~(size_t)63) != 0) return NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  /* Advice only: a kernel without THP says EINVAL and keeps small pages. */
  if (p != NULL) (void)madvise(p, bytes & ~(size_t)(HUGE_PAGE - 1), MADV_HUGEPAGE);
#endif
  return p;
}

void cna__aligned_free(void *p) { free(p); }

static uint64_t cna__splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void cna__rng_init(cna__rng *rng, uint64_t seed, const char *stream) {
  /* FNV-1a of the stream name, mixed with the seed. */
  uint64_t h = 0xCBF29CE484222325ull;
  for (const unsigned char *p = (const unsigned char *)stream; *p; p++) {
    h ^= *p;
    h *= 0x100000001B3ull;
  }
  uint64_t s = seed ^ h;
  rng->state = cna__splitmix64(&s);
}

uint64_t cna__rng_next(cna__rng *rng) { return cna__splitmix64(&rng->state); }

double cna__rng_uniform(cna__rng *rng) {
  return (double)(cna__rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}
