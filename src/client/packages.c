/*
** packages.c: packages and their published versions (the resource-style
** Python client's `client.packages` and `client.published_packages`, `grok s
** packages list/get`), as dg_op rows (client.h). All are reads: retried.
*/
#include "client.h"

#include <stddef.h>

const dg_op dg_package_ops[] = {
  /* session:get_package(id_or_name) -> Package JSON */
  {.name = "get_package", .method = "GET", .path = "/public/v1/packages/%", .retry = 1,
   .expect = DG_EXPECT_OBJECT},
  /* session:list_packages([text]) -> array (GET /public/v1/packages?text=) */
  {.name = "list_packages", .method = "GET", .path = "/public/v1/packages",
   .query = (const char *const[]){"text", NULL}, .retry = 1, .expect = DG_EXPECT_OBJECTS},
  /* session:get_published_package(id) -> PublishedPackage JSON */
  {.name = "get_published_package", .method = "GET", .path = "/public/v1/packages/published/%",
   .retry = 1, .expect = DG_EXPECT_OBJECT},
  /* session:list_published_packages([text [, package_id]]) -> array;
     GET /public/v1/packages/published?text=&packageId= */
  {.name = "list_published_packages", .method = "GET", .path = "/public/v1/packages/published",
   .query = (const char *const[]){"text", "packageId", NULL}, .retry = 1,
   .expect = DG_EXPECT_OBJECTS},
  {.name = NULL}};
