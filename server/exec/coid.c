/* coid.c - deterministic client order ids. */
#include "server/exec/coid.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

void st_coid_make(const char *ns, const char *plan_id, const char *symbol,
                  st_side side, int attempt, char *out) {
  uint64_t h = 0xcbf29ce484222325ULL;
  char sym[11];
  size_t i;

  for (const unsigned char *p = (const unsigned char *)plan_id; *p; p++) {
    h = (h ^ *p) * 0x100000001b3ULL;
  }
  for (i = 0; i < 10 && symbol[i] != '\0'; i++) {
    sym[i] = symbol[i] == '/' ? '_' : symbol[i];
  }
  sym[i] = '\0';
  snprintf(out, ST_COID_LEN, "st-%.8s-%012llx-%s-%c-%d", ns,
           (unsigned long long)(h & 0xffffffffffffULL), sym,
           side == ST_SIDE_SELL ? 's' : 'b', attempt % 1000);
}
