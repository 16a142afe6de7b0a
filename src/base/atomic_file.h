/*
** atomic_file.h: writing a file so that readers see the old content or the
** whole new one, never a mix: a temporary file in the same directory, fsync,
** rename over the target, fsync of the directory. No Lua here: where a raise
** can come between open and commit, the state is owned by a userdata
** (dg_atomic_newud in binding/owned.h) whose __gc/__close removes an
** unfinished temporary file.
*/
#ifndef DG_ATOMIC_FILE_H
#define DG_ATOMIC_FILE_H

#include <stdio.h>

typedef struct dg_atomic_file {
  FILE *fp;    /* the temporary file, open for writing (NULL when not open) */
  char *tmp;   /* its path */
  char *path;  /* the target */
} dg_atomic_file;

/*
** Creates the temporary file next to path. Returns 0, or -1 with a message
** (naming the path and the system error) in err.
*/
int dg_atomic_open(dg_atomic_file *a, const char *path, char *err, size_t errlen);
/* Flushes, fsyncs, closes and renames over the target. 0, or -1 (err set; temp removed). */
int dg_atomic_commit(dg_atomic_file *a, char *err, size_t errlen);
/* Closes and removes the temporary file (idempotent). */
void dg_atomic_abort(dg_atomic_file *a);

#endif
