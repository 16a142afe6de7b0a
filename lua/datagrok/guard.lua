--- Method wrappers that make misuse point at the caller's line, not at the library
-- (docs/lua-api.md): `dg.list_groups()` (a dot instead of a colon) says so, and a
-- `bad argument` raised anywhere inside a method is re-raised at the caller's level.
-- Used by the Client, its sub-clients and the resource objects.
local help = require "datagrok.help"

local M = {}

--- The message of a misuse error ("bad argument ..."), without the position of the
-- library line that raised it; nil for any other error.
local function misuse(e)
  if type(e) ~= "string" then return nil end
  return e:match("^[^\n]-:%d+: (bad argument .*)$") or e:match("^(bad argument .*)$")
end

--- Keeps the library's own traceback on an error that is a bug (a string that is not a
-- misuse), since the guard below re-raises it from its own frame.
local function keep_trace(e)
  if type(e) == "string" and not misuse(e) then return debug.traceback(e, 2) end
  return e
end

--- Wraps a method so that misuse points at the caller's line, not at this file:
-- `dg.list_groups()` (a dot instead of a colon) says so, and a bad argument raised
-- anywhere below is re-raised at the caller's level. Other errors pass unchanged
-- (datagrok.Error values as they are; a bug keeps its traceback in its message).
-- `what` names the receiver in the message ("dg", "dg.files").
function M.method(name, impl, mt, what)
  local g = function(self, ...)
    if getmetatable(self) ~= mt then
      error(("bad self for '%s' (a %s expected, got %s): call it as %s:%s(...), with a colon")
        :format(name, mt.__name, type(self), what, name), 2)
    end
    local r = table.pack(xpcall(impl, keep_trace, self, ...))
    if r[1] then return table.unpack(r, 2, r.n) end
    local m = misuse(r[2])
    if m then error(m, 2) end
    error(r[2], 0)
  end
  help.bind(g, mt.__name, name)
  return g
end


--- Wraps every function of `methods` in place (M.method), for objects whose metatable
-- is `mt`; `what` names the receiver in messages ("dg.users").
function M.all(methods, mt, what)
  for name, f in pairs(methods) do
    if type(f) == "function" and type(name) == "string" then methods[name] = M.method(name, f, mt, what) end
  end
end

return M
