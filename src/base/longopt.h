/*
** longopt.h: matching "--name", "--name=value" and "--name value" against a
** table of long options, by whole name. The one long-option matcher of the
** command line and of `datagrok emulate`. No Lua.
*/
#ifndef DG_LONGOPT_H
#define DG_LONGOPT_H

typedef struct dg_longopt {
  const char *name; /* with the dashes: "--log-level"; NULL ends a table */
  int has_value;    /* takes a value ("--x=v" or "--x v") */
  int id;           /* what the caller switches on (>= 0) */
} dg_longopt;

enum {
  DG_LONGOPT_UNKNOWN = -1, /* not an option of the table */
  DG_LONGOPT_MISSING = -2, /* an option that takes a value is last */
  DG_LONGOPT_EXTRA = -3    /* "--flag=value" for an option without a value */
};

/*
** Matches argv[*i] against opts. Returns the option's id, with *value set (NULL
** for a flag) and *i moved past a separate value; or one of the negative codes
** above (*i unchanged).
*/
int dg_longopt_match(const dg_longopt *opts, int argc, char **argv, int *i, const char **value);

#endif
