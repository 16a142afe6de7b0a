--- Test helper: finding a secret in whatever a call produced.
--
--     local leaks = require "leaks"
--     leaks.strings_in(err)          -- every string reachable from a value
--     leaks.find(err, key)           -- the first of them holding key, or nil
local M = {}

--- Every string reachable from v: v itself, or a table's keys and values, walked
-- (each table once). Returns an array.
function M.strings_in(v, out, seen)
  out, seen = out or {}, seen or {}
  if type(v) == "string" then out[#out + 1] = v
  elseif type(v) == "table" and not seen[v] then
    seen[v] = true
    for k, x in pairs(v) do M.strings_in(k, out, seen); M.strings_in(x, out, seen) end
  end
  return out
end

--- The first string reachable from v (tostring(v) included) that holds secret
-- (plain text), or nil when none does.
function M.find(v, secret)
  local all = M.strings_in(v)
  all[#all + 1] = tostring(v)
  for _, s in ipairs(all) do
    if s:find(secret, 1, true) then return s end
  end
  return nil
end

return M
