/*
** connections.c: the data connection operations of the resource-style Python
** client (`client.connections`) and `grok s connections`, as dg_op rows
** (client.h). Bodies that carry a connection mark its parameters and
** credentials as secrets, so an error never quotes them back.
*/
#include "client.h"

#include <stddef.h>

const dg_op dg_connection_ops[] = {
  /* session:get_connection(id_or_grok_name) -> DataConnection JSON */
  {.name = "get_connection", .method = "GET", .path = "/public/v1/connections/%", .retry = 1,
   .expect = DG_EXPECT_OBJECT},
  /* session:list_connections([text [, data_source [, tags]]]) -> array;
     GET /public/v1/connections?text=&dataSource=&tags=a,b */
  {.name = "list_connections", .method = "GET", .path = "/public/v1/connections",
   .query = (const char *const[]){"text", "dataSource", "tags", NULL}, .retry = 1,
   .expect = DG_EXPECT_OBJECTS},
  /* session:save_connection(save_credentials, conn_dict) -> saved DataConnection JSON;
     POST /public/v1/connections?saveCredentials=true|false. Not retried. */
  {.name = "save_connection", .method = "POST", .path = "/public/v1/connections",
   .query = (const char *const[]){"saveCredentials", NULL}, .body = 1, .secret_body = 1,
   .expect = DG_EXPECT_OBJECT},
  /* session:delete_connection(id_or_grok_name) -> true (DELETE; retried) */
  {.name = "delete_connection", .method = "DELETE", .path = "/public/v1/connections/%",
   .retry = 1, .ignore_result = 1},
  /* session:test_connection(conn_dict) -> the server's verdict: the JSON string
     "ok", or a string saying what failed (a plain-text answer is taken as it is).
     POST /public/v1/connections/test; not retried (it sends the credentials and may
     open a connection on the server). */
  {.name = "test_connection", .method = "POST", .path = "/public/v1/connections/test", .body = 1,
   .secret_body = 1, .text_ok = 1},
  {.name = NULL}};
