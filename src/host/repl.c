/*
** repl.c: the interactive loop (see repl.h). Line editing, history and tab
** completion come from libedit's readline interface; printing and completion
** candidates come from the Lua module datagrok.repl.
*/
#include "repl.h"
#include "host.h"
#include "fsutil.h"
#include "secrets.h"

#include <editline/readline.h>
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROMPT "> "
#define PROMPT2 ">> "
#define HISTORY_MAX 1000

static lua_State *completion_state; /* the state whose globals are completed */

/* The line reader's state (one prompt at a time, on the main thread). */
static volatile sig_atomic_t prompt_sigint; /* Ctrl-C arrived while waiting for input */
static char *line_read;                      /* the line handed over by libedit (malloc'd) */
static int line_done;                        /* a line (or end of input) arrived */

static void on_prompt_sigint(int sig) {
  (void)sig;
  prompt_sigint = 1;
}

static void take_line(char *line) {
  line_read = line;
  line_done = 1;
  rl_callback_handler_remove();
}

/*
** Reads one line through libedit's callback interface: the program waits in
** select(2), so Ctrl-C only sets a flag that is checked between reads, and
** nothing ever jumps out of libedit. Returns the line (malloc'd; the caller
** frees it), or NULL at the end of input or when Ctrl-C cancelled the line
** (*interrupted is then set and the typed text is dropped).
*/
static char *read_line(const char *prompt, int *interrupted) {
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_prompt_sigint; /* no SA_RESTART: select returns with EINTR */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old);
  prompt_sigint = 0;
  line_done = 0;
  line_read = NULL;
  *interrupted = 0;
  rl_callback_handler_install(prompt, take_line);
  while (!line_done) {
    fd_set fds;
    FD_ZERO(&fds);
    FD_SET(STDIN_FILENO, &fds);
    int r = select(STDIN_FILENO + 1, &fds, NULL, NULL, NULL);
    if (prompt_sigint) {
      *interrupted = 1;
      break;
    }
    if (r < 0) {
      if (errno == EINTR) continue;
      break; /* stdin is gone: the end of input */
    }
    rl_callback_read_char();
  }
  if (!line_done) {
    rl_replace_line("", 0); /* the cancelled text must not come back with the next prompt */
    rl_callback_handler_remove();
  }
  sigaction(SIGINT, &old, NULL);
  return line_read;
}

/*
** Builds the history path ($XDG_STATE_HOME/datagrok/history, else
** ~/.local/state/datagrok/history), creating the missing directories (0700) on the
** way. Returns 0 on success; otherwise says once on stderr why the history will not
** be saved, and returns -1.
*/
static int history_path(char *out, size_t n, const char *progname) {
  const char *state = getenv("XDG_STATE_HOME");
  char dir[4096];
  if (state && state[0] == '/') {
    snprintf(dir, sizeof dir, "%s/datagrok", state);
  } else {
    const char *home = getenv("HOME");
    if (!home || home[0] != '/') {
      fprintf(stderr, "%s: history not saved: neither XDG_STATE_HOME nor HOME is an absolute path\n",
              progname);
      return -1;
    }
    snprintf(dir, sizeof dir, "%s/.local/state/datagrok", home);
  }
  int rc = dg_fs_mkdirs(dir, 0700);
  if (rc == 0 && (size_t)snprintf(out, n, "%s/history", dir) >= n) rc = ENAMETOOLONG;
  if (rc != 0) {
    fprintf(stderr, "%s: history not saved: cannot create %s: %s\n", progname, dir, strerror(rc));
    return -1;
  }
  return 0;
}

/* Saves history with mode 0600 whatever the umask; says once on stderr when it cannot. */
static void save_history(const char *path, const char *progname) {
  static int told;
  int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW, 0600);
  if (fd >= 0) {
    fchmod(fd, 0600);
    close(fd);
  }
  int rc = fd >= 0 ? write_history(path) : errno;
  if (rc != 0 && !told) {
    told = 1;
    fprintf(stderr, "%s: history not saved to %s: %s\n", progname, path, strerror(rc));
  }
  chmod(path, 0600);
}

/* Calls datagrok.repl.<fn>(arg) and leaves its result on the stack (or nil). */
static int call_repl_module(lua_State *L, const char *fn, int nargs, int nres) {
  lua_getglobal(L, "require");
  lua_pushliteral(L, "datagrok.repl");
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
    lua_pop(L, 1 + nargs);
    for (int i = 0; i < nres; i++) lua_pushnil(L);
    return -1;
  }
  lua_getfield(L, -1, fn);
  lua_remove(L, -2);
  lua_insert(L, -1 - nargs);
  if (lua_pcall(L, nargs, nres, 0) != LUA_OK) {
    lua_pop(L, 1);
    for (int i = 0; i < nres; i++) lua_pushnil(L);
    return -1;
  }
  return 0;
}

/* readline completion generator over the candidates computed on the first call */
static char *candidate(const char *text, int state) {
  lua_State *L = completion_state;
  static int index;
  (void)text;
  if (state == 0) index = 0;
  lua_getfield(L, LUA_REGISTRYINDEX, "datagrok.repl.candidates");
  char *result = NULL;
  if (lua_istable(L, -1)) {
    lua_rawgeti(L, -1, ++index);
    if (lua_isstring(L, -1)) result = strdup(lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return result;
}

static char **complete(const char *text, int start, int end) {
  lua_State *L = completion_state;
  (void)start;
  (void)end;
  rl_attempted_completion_over = 1;
  lua_pushstring(L, text);
  call_repl_module(L, "complete", 1, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, "datagrok.repl.candidates");
  return rl_completion_matches(text, candidate);
}

/* Compiles the buffer as "return <buffer>" first, then as statements. */
static int compile(lua_State *L, const char *buf, int *incomplete) {
  *incomplete = 0;
  lua_pushfstring(L, "return %s;", buf);
  int status = luaL_loadbuffer(L, lua_tostring(L, -1), lua_rawlen(L, -1), "=stdin");
  lua_remove(L, -2);
  if (status == LUA_OK) return LUA_OK;
  lua_pop(L, 1);
  status = luaL_loadbuffer(L, buf, strlen(buf), "=stdin");
  if (status == LUA_ERRSYNTAX) {
    size_t len;
    const char *msg = lua_tolstring(L, -1, &len);
    if (len >= 5 && strcmp(msg + len - 5, "<eof>") == 0) {
      *incomplete = 1;
      lua_pop(L, 1);
    }
  }
  return status;
}

/* Should this line stay out of the history (it may carry a secret)? */
static int keep_out_of_history(lua_State *L, const char *line) {
  lua_pushstring(L, line);
  call_repl_module(L, "is_sensitive", 1, 1);
  int yes = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return yes;
}

/* Removes every history entry that holds a key a client of this state has used. */
static int purge_history(lua_State *L) {
  int removed = 0;
  for (int i = history_length - 1; i >= 0; i--) {
    HIST_ENTRY *h = history_get(history_base + i);
    if (h && h->line && dg_secrets_holds(L, h->line, strlen(h->line))) {
      HIST_ENTRY *gone = remove_history(i);
      if (gone) free_history_entry(gone);
      removed = 1;
    }
  }
  return removed;
}

/*
** Adds a line that has run to the history, unless it may carry a secret
** (is_sensitive, which also asks for the state's keys); when the line made a
** client use a key not seen before, earlier lines holding that key (typed in
** this session or read from the file) are removed and the file rewritten:
** `k = "..."` first and `datagrok.new(k, url)` next keeps neither.
*/
static void record_history(lua_State *L, const char *line, const char *path, size_t *keys_seen,
                           const char *progname) {
  int changed = 0;
  if (dg_secrets_count(L) != *keys_seen) {
    *keys_seen = dg_secrets_count(L);
    changed = purge_history(L);
  }
  if (!keep_out_of_history(L, line)) {
    add_history(line);
    changed = 1;
  }
  if (changed && path) save_history(path, progname);
}

int dg_repl(lua_State *L, const char *progname) {
  size_t keys_seen = 0;
  char hist[4200];
  int have_hist = history_path(hist, sizeof hist, progname) == 0;
  completion_state = L;
  rl_readline_name = "datagrok";
  rl_attempted_completion_function = complete;
  rl_completer_word_break_characters = " \t\n\"\\'`@$><=;|&{(,+-*/%^~#[]";
  rl_completion_append_character = '\0'; /* "string.format" then "(": no space */
  stifle_history(HISTORY_MAX);
  if (have_hist) read_history(hist);

  /* pre-bind the module for convenience, as the guide allows for the REPL */
  lua_getglobal(L, "require");
  lua_pushliteral(L, "datagrok");
  if (lua_pcall(L, 1, 1, 0) == LUA_OK) {
    lua_getfield(L, -1, "help"); /* help(x): signatures and summaries (datagrok.help) */
    lua_setglobal(L, "help");
    lua_setglobal(L, "datagrok");
  } else {
    lua_pop(L, 1);
  }

  char *chunk = NULL;   /* the multi-line buffer being collected */
  for (;;) {
    int interrupted;
    char *line = read_line(chunk ? PROMPT2 : PROMPT, &interrupted);
    if (interrupted) {
      /* Ctrl-C: drop the line (and a pending multi-line chunk) */
      fputs("\n", stdout);
      fflush(stdout);
      free(chunk);
      chunk = NULL;
      continue;
    }
    if (!line) {
      if (chunk) { free(chunk); chunk = NULL; }
      fputs("\n", stdout);
      break;
    }
    size_t cl = chunk ? strlen(chunk) : 0, ll = strlen(line);
    char *buf = malloc(cl + ll + 2);
    if (!buf) { free(line); break; }
    if (chunk) {
      memcpy(buf, chunk, cl);
      buf[cl++] = '\n';
    }
    memcpy(buf + cl, line, ll + 1);
    free(chunk);
    chunk = NULL;
    free(line);
    if (buf[strspn(buf, " \t")] == '\0') { free(buf); continue; }

    int incomplete;
    int status = compile(L, buf, &incomplete);
    if (incomplete) { chunk = buf; continue; }
    if (status == LUA_OK) {
      int base = lua_gettop(L) - 1;
      status = dg_host_docall(L, 0, LUA_MULTRET);
      if (status == LUA_OK) {
        int n = lua_gettop(L) - base;
        if (n > 0) {
          lua_checkstack(L, 2);
          call_repl_module(L, "show", n, 1);
          if (lua_isstring(L, -1)) {
            fputs(lua_tostring(L, -1), stdout);
            fputc('\n', stdout);
          }
          lua_pop(L, 1);
        }
        fflush(stdout);
      }
    }
    if (status != LUA_OK) dg_host_report(L, progname);
    /* after the line ran: a key it handed to a client is known by now */
    record_history(L, buf, have_hist ? hist : NULL, &keys_seen, progname);
    free(buf);
  }
  fflush(stdout);
  return 0;
}
