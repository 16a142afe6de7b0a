--- The `datagrok` module: the facade behind `require "datagrok"`.
-- Everything here is loaded lazily so that start-up stays cheap: a script that
-- never touches DataFrames or the network pays for neither.
local core = require "datagrok.core"

local M = {}

--- The version of the binary; the Lua half checks it is built for the same C core.
M.VERSION = core.VERSION
local LUA_HALF_VERSION = "0.1.0"
if core.VERSION ~= LUA_HALF_VERSION then
  error(("datagrok: Lua modules %s do not match the binary %s (check DATAGROK_LUA_DIR)")
    :format(LUA_HALF_VERSION, core.VERSION), 0)
end

local error_mod = require "datagrok.error"
--- datagrok.Error: `Error.new(code, message [, fields])`, `Error.is(v)`.
M.Error = error_mod

local json = require "datagrok.json"
--- JSON codec: decode, encode, array, is_array, null.
M.json = json
--- The null sentinel (JSON null, a missing DataFrame value inside arrays).
M.null = json.null

--- Logging: datagrok.log.debug(area, msg), set_level, set_file ...
M.log = require "datagrok.log"

--- Calls fn(...) and returns its results, or nil plus the error: the non-raising twin.
function M.safe(fn, ...)
  local res = table.pack(pcall(fn, ...))
  if res[1] then return table.unpack(res, 2, res.n) end
  return nil, res[2]
end

-- Lazily loaded parts of the facade: resolved on first use, then cached in M.
local lazy = {
  new = function() return require("datagrok.client").new end,
  connect = function() return require("datagrok.client").connect end,
  DataFrame = function() return require("datagrok.dataframe") end,
  read_csv = function() return require("datagrok.dataframe").read_csv end,
  --- datagrok.help(v): the signature and summary of v, or one line per entry of an object
  -- (dg, dg.users, a User ...), from the registry in lua/datagrok/help.lua
  help = function() return require("datagrok.help").help end,
  main = function() return require("datagrok.main") end,
  cli = function() return require("datagrok.cli") end,
  plan = function() return require("datagrok.plan") end,
  yaml = function() return require("datagrok.yaml") end,
  config_file = function() return require("datagrok.config_file") end,
}

setmetatable(M, {
  -- the REPL's completion sees the lazily loaded parts before their first use
  __complete = function()
    local names = {}
    for k in pairs(lazy) do names[#names + 1] = k end
    return names
  end,
  __index = function(t, k)
    local loader = lazy[k]
    if loader then
      local v = loader()
      rawset(t, k, v)
      return v
    end
  end,
})

return M
