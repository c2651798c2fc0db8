/* rng.h - the simulator's own deterministic PRNG (xoshiro256**).
 *
 * Seeded through splitmix64, so any 64-bit seed (0 included) gives a good
 * state. The state is a plain value that can be saved and restored, which
 * is what makes a simulation replay exactly. Never uses rand(3).
 *
 * Not thread-safe: a generator belongs to one owner; callers lock.
 */
#ifndef ST_SIM_RNG_H
#define ST_SIM_RNG_H

#include <stdint.h>

/* Length of a UUID string with its NUL: 8-4-4-4-12 hex digits. */
#define ST_SIM_UUID_LEN 37

/* Generator state. Plain value type; copy it to fork or snapshot. */
typedef struct st_sim_rng {
  uint64_t s[4];
} st_sim_rng;

/* Seeds *r from seed with splitmix64. The same seed always gives the same
 * sequence. */
void st_sim_rng_seed(st_sim_rng *r, uint64_t seed);

/* Returns the next 64 random bits and advances *r. */
uint64_t st_sim_rng_next(st_sim_rng *r);

/* Returns a uniform integer in [0, n) without modulo bias; 0 when n is 0. */
uint64_t st_sim_rng_below(st_sim_rng *r, uint64_t n);

/* Returns a uniform integer in [lo, hi] (lo <= hi). */
int64_t st_sim_rng_range(st_sim_rng *r, int64_t lo, int64_t hi);

/* Writes a random (version 4, variant 1) UUID in lower-case canonical form
 * into out, which holds at least ST_SIM_UUID_LEN bytes. */
void st_sim_rng_uuid(st_sim_rng *r, char *out);

#endif
