/*
** yaml_lua.h: "datagrok.yaml", reading YAML (configuration files such as the grok
** CLI's ~/.grok/config.yaml) with libyaml.
**
**   yaml.decode(text [, name]) -> value
**
** One document. Mappings become tables, sequences arrays (marked as JSON arrays),
** scalars strings: YAML's types are not resolved (`port: 80` gives "80"), except
** that a plain empty scalar, `~` or `null` is datagrok.null. Anchors and aliases
** are followed (at most 100,000 nodes visited, 64 levels deep). Malformed input,
** a duplicate key, a non-scalar key or a second document raise
** Error{code="YAML", line=, column=} whose message starts with `name`.
*/
#ifndef DG_YAML_LUA_H
#define DG_YAML_LUA_H

#include <lua.h>

int luaopen_datagrok_yaml(lua_State *L);

#endif
