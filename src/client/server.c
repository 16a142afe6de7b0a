/*
** server.c: operations on the server as a whole, as dg_op rows (client.h):
** the health check (`grok s healthcheck`) and batches (`grok s batch`).
*/
#include "client.h"

#include <stddef.h>

const dg_op dg_server_ops[] = {
  /* session:healthcheck([module]) -> {status, server, version, time, services}
     (GET /public/v1/healthcheck?module=) */
  {.name = "healthcheck", .method = "GET", .path = "/public/v1/healthcheck",
   .query = (const char *const[]){"module", NULL}, .retry = 1},
  /* session:batch(body) -> {summary, results}; body = {operations = [...], options = {...}}.
     POST /public/v1/batch; never retried (its operations may save, delete, call).
     Operations may carry connections: their parameters are secrets. */
  {.name = "batch", .method = "POST", .path = "/public/v1/batch", .body = 1, .secret_body = 1},
  {.name = NULL}};
