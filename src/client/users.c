/*
** users.c: the user operations of the resource-style Python client
** (`client.users`) and of `grok s users`, as dg_op rows (client.h). Each
** returns the decoded User JSON; lua/datagrok/users.lua makes User objects.
*/
#include "client.h"

#include <stddef.h>

const dg_op dg_user_ops[] = {
  /* session:get_user(id_or_login) -> User JSON (GET /public/v1/users/{id or login}) */
  {.name = "get_user", .method = "GET", .path = "/public/v1/users/%", .retry = 1,
   .expect = DG_EXPECT_OBJECT},
  /* session:current_user() -> User JSON of the caller */
  {.name = "current_user", .method = "GET", .path = "/public/v1/users/current", .retry = 1,
   .expect = DG_EXPECT_OBJECT},
  /* session:list_users([text [, include]]) -> array (GET /public/v1/users?text=&include=group) */
  {.name = "list_users", .method = "GET", .path = "/public/v1/users",
   .query = (const char *const[]){"text", "include", NULL}, .retry = 1,
   .expect = DG_EXPECT_OBJECTS},
  /* session:save_user(user_dict) -> saved User JSON (POST /public/v1/users). Not retried. */
  {.name = "save_user", .method = "POST", .path = "/public/v1/users", .body = 1,
   .expect = DG_EXPECT_OBJECT},
  /* session:block_user(user_dict) / unblock_user(user_dict) -> true; the full
     record as the body (the server ends a blocked user's sessions). Not retried. */
  {.name = "block_user", .method = "POST", .path = "/public/v1/users/block", .body = 1,
   .ignore_result = 1},
  {.name = "unblock_user", .method = "POST", .path = "/public/v1/users/unblock", .body = 1,
   .ignore_result = 1},
  {.name = NULL}};
