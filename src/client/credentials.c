/*
** credentials.c: the credentials operations of the resource-style Python
** client (`client.credentials`), as dg_op rows (client.h). A saved body's
** parameters are secrets: an error never quotes them back.
*/
#include "client.h"

#include <stddef.h>

const dg_op dg_credential_ops[] = {
  /* session:get_credentials_for(entity_id) -> Credentials JSON (GET /public/v1/credentials/for/{id}) */
  {.name = "get_credentials_for", .method = "GET", .path = "/public/v1/credentials/for/%",
   .retry = 1, .expect = DG_EXPECT_OBJECT},
  /* session:save_credentials(credentials_dict) -> true (POST /public/v1/credentials). Not retried. */
  {.name = "save_credentials", .method = "POST", .path = "/public/v1/credentials", .body = 1,
   .ignore_result = 1, .secret_body = 1},
  /* session:delete_credentials(id) -> true (DELETE /public/v1/credentials/{id}; retried) */
  {.name = "delete_credentials", .method = "DELETE", .path = "/public/v1/credentials/%",
   .retry = 1, .ignore_result = 1},
  {.name = NULL}};
