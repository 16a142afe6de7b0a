/*
** sync.h: dg:sync_dir, the incremental directory sync (docs/protocol.md,
** "Directory sync"; the promises it keeps: docs/safety.md). Registered as a method of the session metatable.
*/
#ifndef DG_SYNC_H
#define DG_SYNC_H

#include <lua.h>

/*
** session:sync_dir(connector, remote_path, dir [, ext [, recursive [, sync_meta_file]]])
** session:sync_dir(connector, remote_path, dir, opts)
**   opts: ext, recursive (default true), sync_meta_file (default ".sync_meta.json",
**   a plain file name inside dir), dry_run, max_delete (a count or "N%"), allow_empty,
**   checkpoint_files (files per metadata checkpoint, default 256; one also happens
**   when a part ends 2 s after the last).
** Returns the report {written=, deleted=, unchanged=, failed= (sorted relative
** paths), bytes=, dry_run=, would_stop= (dry run only: the guard a real run hits)}.
** Raises datagrok.Error: LOCKED (another run holds dir), UNSAFE_SYNC (empty-remote
** or max_delete guard; nothing deleted), PARTIAL (some parts refused or failed;
** the rest applied, err.report holds the report), the HTTP codes of
** dg_http_perform, PROTOCOL (malformed or truncated multipart), IO, JSON (a
** metadata file that is not a {"path": "eTag"} object).
*/
int dg_sync_dir(lua_State *L);

#endif
