/*
** shares.c: sharing any entity (the resource-style Python client's
** `client.shares.share`, `grok s shares add`), as a dg_op row (client.h).
*/
#include "client.h"

#include <stddef.h>

const dg_op dg_share_ops[] = {
  /* session:share_entity(id_or_grok_name, groups, access) -> ShareResponse JSON;
     POST /public/v1/entities/{id}/shares?groups=a,b&access=View|Edit, no body.
     groups: a comma-separated string or an array of names. Not retried. */
  {.name = "share_entity", .method = "POST", .path = "/public/v1/entities/%/shares",
   .query = (const char *const[]){"groups", "access", NULL}, .expect = DG_EXPECT_OBJECT},
  {.name = NULL}};
