/* rng.c - xoshiro256** seeded by splitmix64, and random UUIDs. */
#include "server/sim/rng.h"

#include <stdio.h>

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

void st_sim_rng_seed(st_sim_rng *r, uint64_t seed) {
  uint64_t x = seed;

  for (int i = 0; i < 4; i++) {
    r->s[i] = splitmix64(&x);
  }
}

uint64_t st_sim_rng_next(st_sim_rng *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

uint64_t st_sim_rng_below(st_sim_rng *r, uint64_t n) {
  uint64_t limit;
  uint64_t x;

  if (n == 0) {
    return 0;
  }
  /* Reject the top partial bucket so that every residue is equally
   * likely. */
  limit = UINT64_MAX - (UINT64_MAX % n);
  do {
    x = st_sim_rng_next(r);
  } while (x >= limit);
  return x % n;
}

int64_t st_sim_rng_range(st_sim_rng *r, int64_t lo, int64_t hi) {
  uint64_t span = (uint64_t)hi - (uint64_t)lo + 1;

  if (span == 0) {
    /* The full 64-bit range. */
    return (int64_t)st_sim_rng_next(r);
  }
  return (int64_t)((uint64_t)lo + st_sim_rng_below(r, span));
}

void st_sim_rng_uuid(st_sim_rng *r, char *out) {
  uint64_t hi = st_sim_rng_next(r);
  uint64_t lo = st_sim_rng_next(r);

  hi = (hi & ~0xf000ULL) | 0x4000ULL;                 /* Version 4. */
  lo = (lo & ~(0xc000ULL << 48)) | (0x8000ULL << 48); /* Variant 1. */
  snprintf(out, ST_SIM_UUID_LEN, "%08x-%04x-%04x-%04x-%012llx",
           (unsigned)(hi >> 32), (unsigned)((hi >> 16) & 0xffff),
           (unsigned)(hi & 0xffff), (unsigned)(lo >> 48),
           (unsigned long long)(lo & 0xffffffffffffULL));
}
