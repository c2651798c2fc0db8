/* reflection.h - grpc.reflection.v1 and v1alpha ServerReflectionInfo.
 *
 * Answers list_services, file_by_filename and file_containing_symbol from
 * the embedded descriptor set (with source info, so `grpcurl describe`
 * shows the proto comments); unknown names get error_response NOT_FOUND.
 * One response per request, in order.
 */
#ifndef ST_RPC_REFLECTION_H
#define ST_RPC_REFLECTION_H

#include "server/rpc/server.h"

/* Attaches both reflection services to srv (before st_server_start). They
 * use only the server's descriptor set; nothing to free. */
st_err st_reflection_register(st_server *srv);

#endif
