/* coid.h - deterministic client order ids.
 *
 * "st-<ns>-<plan>-<SYMBOL>-<b|s>-<attempt>": the installation namespace (8
 * hex chars, made at first start and kept in the journal), 12 hex chars of
 * a hash of the plan id, the symbol ('/' becomes '_'), the side and the
 * attempt number within the order chain. At most 48 characters, so the
 * same intent always maps to the same id and a restarted settled finds the
 * orders it sent before it crashed.
 */
#ifndef ST_EXEC_COID_H
#define ST_EXEC_COID_H

#include "server/broker/broker.h"

#define ST_COID_LEN 49 /* 48 characters and the NUL. */

/* Writes the id into out (ST_COID_LEN bytes). attempt is 0..999. */
void st_coid_make(const char *ns, const char *plan_id, const char *symbol,
                  st_side side, int attempt, char *out);

#endif
