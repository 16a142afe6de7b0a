/*
** yaml_lua.c: "datagrok.yaml", YAML text to Lua values with libyaml (see yaml_lua.h).
*/
#include "yaml_lua.h"
#include "error.h"
#include "json.h"
#include "userdata.h"

#include <lauxlib.h>
#include <string.h>
#include <yaml.h>

#define DOC_MT "datagrok.YamlDocument"
#define MAX_DEPTH 64
#define MAX_NODES 100000 /* nodes visited, aliases counted each time: no alias bombs */

typedef struct {
  yaml_parser_t parser;
  yaml_document_t doc;
  int parser_live, doc_live;
} yaml_state;

/* Frees what y holds; idempotent. */
static void state_free(yaml_state *y) {
  if (y->doc_live) yaml_document_delete(&y->doc);
  if (y->parser_live) yaml_parser_delete(&y->parser);
  y->doc_live = y->parser_live = 0;
}

static int state_close(lua_State *L) {
  state_free(luaL_checkudata(L, 1, DOC_MT));
  return 0;
}

typedef struct {
  lua_State *L;
  yaml_document_t *doc;
  const char *name;
  long visited;
} conv;

/* Raises Error{code="YAML", line=, column=} about the node at mark (0-based). */
static int conv_fail(conv *c, yaml_mark_t mark, const char *what, const char *detail) {
  lua_State *L = c->L;
  dg_error_push(L, "YAML", "%s: %s%s at line %lu column %lu", c->name, what, detail ? detail : "",
                (unsigned long)mark.line + 1, (unsigned long)mark.column + 1);
  dg_error_setint(L, "line", (lua_Integer)mark.line + 1);
  dg_error_setint(L, "column", (lua_Integer)mark.column + 1);
  return lua_error(L);
}

/* True for the plain scalars YAML reads as null: empty, ~, null, Null, NULL. */
static int is_null(const yaml_node_t *n) {
  if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return 0;
  const char *v = (const char *)n->data.scalar.value;
  size_t len = n->data.scalar.length;
  return len == 0 || (len == 1 && v[0] == '~') ||
         (len == 4 && (!strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL")));
}

static void push_node(conv *c, yaml_node_t *n, int depth) {
  lua_State *L = c->L;
  if (++c->visited > MAX_NODES) conv_fail(c, n->start_mark, "too many nodes (aliases?)", NULL);
  if (depth > MAX_DEPTH) conv_fail(c, n->start_mark, "nested too deeply", NULL);
  luaL_checkstack(L, 4, "YAML nesting");
  switch (n->type) {
    case YAML_SCALAR_NODE:
      if (is_null(n)) dg_json_push_null(L);
      else lua_pushlstring(L, (const char *)n->data.scalar.value, n->data.scalar.length);
      return;
    case YAML_SEQUENCE_NODE: {
      yaml_node_item_t *it = n->data.sequence.items.start;
      lua_createtable(L, (int)(n->data.sequence.items.top - it), 0);
      lua_Integer i = 1;
      for (; it < n->data.sequence.items.top; it++) {
        push_node(c, yaml_document_get_node(c->doc, *it), depth + 1);
        lua_rawseti(L, -2, i++);
      }
      dg_json_push_array_mt(L);
      lua_setmetatable(L, -2);
      return;
    }
    case YAML_MAPPING_NODE: {
      lua_createtable(L, 0, (int)(n->data.mapping.pairs.top - n->data.mapping.pairs.start));
      for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        if (k->type != YAML_SCALAR_NODE) conv_fail(c, k->start_mark, "a key that is not a scalar", NULL);
        lua_pushlstring(L, (const char *)k->data.scalar.value, k->data.scalar.length);
        if (lua_rawget(L, -2) != LUA_TNIL) {
          lua_pop(L, 1);
          char detail[96];
          snprintf(detail, sizeof detail, " '%.80s'", (const char *)k->data.scalar.value);
          conv_fail(c, k->start_mark, "duplicate key", detail);
        }
        lua_pop(L, 1);
        lua_pushlstring(L, (const char *)k->data.scalar.value, k->data.scalar.length);
        push_node(c, yaml_document_get_node(c->doc, p->value), depth + 1);
        lua_rawset(L, -3);
      }
      return;
    }
    default:
      dg_json_push_null(L);
  }
}

/* yaml.decode(text [, name]) -> value; raises Error{code="YAML", line=, column=} */
static int l_decode(lua_State *L) {
  size_t len;
  const char *text = luaL_checklstring(L, 1, &len);
  const char *name = luaL_optstring(L, 2, "YAML input");
  yaml_state *y = lua_newuserdatauv(L, sizeof *y, 0);
  memset(y, 0, sizeof *y);
  dg_userdata_set_metatable(L, DOC_MT, state_close);
  if (!yaml_parser_initialize(&y->parser)) return luaL_error(L, "out of memory");
  y->parser_live = 1;
  yaml_parser_set_input_string(&y->parser, (const unsigned char *)text, len);
  conv c = {L, &y->doc, name, 0};
  if (!yaml_parser_load(&y->parser, &y->doc)) {
    const char *problem = y->parser.problem ? y->parser.problem : "malformed YAML";
    yaml_mark_t mark = y->parser.problem_mark;
    if (y->parser.context) {
      char detail[200];
      snprintf(detail, sizeof detail, " (%s)", y->parser.context);
      return conv_fail(&c, mark, problem, detail);
    }
    return conv_fail(&c, mark, problem, NULL);
  }
  y->doc_live = 1;
  yaml_node_t *root = yaml_document_get_root_node(&y->doc);
  if (!root) dg_json_push_null(L); /* an empty document */
  else push_node(&c, root, 0);
  /* a second document in the stream is refused: a config file is one document */
  yaml_document_t next;
  if (!yaml_parser_load(&y->parser, &next)) {
    return conv_fail(&c, y->parser.problem_mark,
                     y->parser.problem ? y->parser.problem : "malformed YAML", NULL);
  }
  int more = yaml_document_get_root_node(&next) != NULL;
  yaml_mark_t at = next.start_mark;
  yaml_document_delete(&next);
  if (more) return conv_fail(&c, at, "a second document", " (one is expected)");
  state_free(y); /* now rather than at the next collection */
  return 1;
}

int luaopen_datagrok_yaml(lua_State *L) {
  static const luaL_Reg funcs[] = {{"decode", l_decode}, {NULL, NULL}};
  luaL_newlib(L, funcs);
  return 1;
}
