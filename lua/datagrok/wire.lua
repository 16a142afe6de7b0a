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

return M
