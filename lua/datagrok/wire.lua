--- Conventions every object of the facade shares with the wire form: JSON null
-- and absent both read as nil, nil is written back as JSON null (so a to_dict()
-- table has every key), and the Client an object is bound to is kept outside the
-- object (so `pairs(obj)` shows data only, and objects do not keep clients alive).
local json = require "datagrok.json"

local null = json.null

local M = {}

--- object -> the Client it is bound to (weak keys).
M.clients = setmetatable({}, {__mode = "k"})

--- v, or nil for JSON null.
function M.value(v)
  if v == null then return nil end
  return v
end

--- v, or JSON null for nil.
function M.or_null(v)
  if v == nil then return null end
  return v
end

--- Sets mt.__index (methods, then computed fields: functions of the object) and
-- mt.__complete (their names, for the REPL's completion).
function M.set_index(mt, methods, computed)
  computed = computed or {}
  mt.__index = function(obj, k)
    local m = methods[k]
    if m ~= nil then return m end
    local c = computed[k]
    if c then return c(obj) end
  end
  mt.__complete = function()
    local names = {}
    for k in pairs(methods) do names[#names + 1] = k end
    for k in pairs(computed) do names[#names + 1] = k end
    return names
  end
end

return M
