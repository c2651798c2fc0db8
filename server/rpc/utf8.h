/* utf8.h - UTF-8 validation of every string field of a decoded message.
 *
 * protobuf-c does not check that proto3 `string` fields hold valid UTF-8;
 * the rpc layer refuses such requests with INVALID_ARGUMENT before any
 * handler sees them.
 */
#ifndef ST_RPC_UTF8_H
#define ST_RPC_UTF8_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

/* True when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF). */
int st_utf8_valid(const char *s, size_t len);

/* Checks every string field of msg, recursively through nested messages,
 * repeated fields, oneofs and maps. Returns 1 when all are valid; otherwise
 * 0, with the dotted path of the first bad field (e.g. "plan.items.symbol")
 * written into path (capacity cap). */
int st_utf8_check_message(const ProtobufCMessage *msg, char *path, size_t cap);

#endif
