--- datagrok.config_file: reading a script's own configuration or spec file and
-- checking its shape, with errors that name the file and the place in it.
--
--     local conf = datagrok.config_file.read("/etc/dg/jobs.lua")   -- .lua, .json, .yaml/.yml
--     datagrok.config_file.check(conf, {"jobs", "max_delete"}, "/etc/dg/jobs.lua")
--
-- A `.lua` file is a chunk that returns a table; it runs with an empty environment
-- (no os, io, require: data only) and as text only (no precompiled chunks). `.json`
-- is read with datagrok.json, `.yaml`/`.yml` with datagrok.yaml. Every problem is a
-- CONFIG error (exit 2) naming the file.
local Error = require "datagrok.error"

local M = {}

local function fail(fmt, ...) error(Error.new("CONFIG", fmt:format(...)), 0) end

--- config_file.read(path) -> table. See the module comment.
function M.read(path)
  if type(path) ~= "string" or path == "" then fail("no configuration file named") end
  local f, err = io.open(path, "rb")
  if not f then fail("cannot read %s", err) end
  local text = f:read("a")
  f:close()
  local value
  if path:match("%.json$") then
    local ok, v = pcall(require("datagrok.json").decode, text)
    if not ok then fail("%s is not valid JSON: %s", path, Error.is(v) and v.message or tostring(v)) end
    value = v
  elseif path:match("%.ya?ml$") then
    local ok, v = pcall(require("datagrok.yaml").decode, text, path)
    if not ok then fail("%s", Error.is(v) and v.message or tostring(v)) end
    value = v
  else
    local chunk, cerr = load(text, "@" .. path, "t", {})
    if not chunk then fail("%s is not valid Lua: %s", path, cerr) end
    local ok, v = pcall(chunk)
    if not ok then fail("%s failed: %s", path, tostring(v)) end
    value = v
  end
  if type(value) ~= "table" then fail("%s must hold a table (a Lua `return {...}` or a JSON object)", path) end
  return value
end

--- config_file.check(t, allowed, where) -> t. Raises CONFIG "<where>: unknown field 'x'
-- (fields: ...)" for a string key of t not in the array `allowed`, and
-- "<where>: expected a table" when t is not one.
function M.check(t, allowed, where)
  if type(t) ~= "table" then fail("%s: expected a table, got %s", where, type(t)) end
  local ok = {}
  for _, k in ipairs(allowed) do ok[k] = true end
  for k in pairs(t) do
    if type(k) == "string" and not ok[k] then
      local names = {}
      for _, n in ipairs(allowed) do names[#names + 1] = n end
      table.sort(names)
      fail("%s: unknown field '%s' (fields: %s)", where, k, table.concat(names, ", "))
    end
  end
  return t
end

--- config_file.list(v, where) -> an array of strings: v itself, or a one-item array for a
-- string, {} for nil. Raises CONFIG for anything else.
function M.list(v, where)
  if v == nil or v == require("datagrok.json").null then return {} end
  if type(v) == "string" then return {v} end
  if type(v) ~= "table" then fail("%s: expected a list of names, got %s", where, type(v)) end
  local out = {}
  for i, item in ipairs(v) do
    if type(item) ~= "string" or item == "" then
      fail("%s[%d]: expected a non-empty name, got %s", where, i, type(item))
    end
    out[i] = item
  end
  return out
end

return M
