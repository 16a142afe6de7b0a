--- The REPL's Lua half: pretty-printing results, tab completion candidates and
-- the history filter. Called from src/repl.c.
local core = require "datagrok.core"

local M = {}

local MAX_ITEMS = 20      -- array items shown before "... N more"
local MAX_DEPTH = 6       -- nesting shown before "{...}"
local INLINE_WIDTH = 72   -- a table this short (and flat) prints on one line

local keywords = {
  "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if",
  "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
}
local is_keyword = {}
for _, k in ipairs(keywords) do is_keyword[k] = true end

local function quote(s)
  return (string.format("%q", s):gsub("\\\n", "\\n"):gsub("\r", "\\r"))
end

local function scalar(v)
  local t = type(v)
  if t == "string" then return quote(v) end
  if t == "number" then return core.format_number(v) end
  return tostring(v)
end

local function key_repr(k)
  if type(k) == "string" and k:match("^[%a_][%w_]*$") and not is_keyword[k] then return k end
  return "[" .. scalar(k) .. "]"
end

local function has_tostring(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and mt.__tostring ~= nil
end

local function sorted_keys(t, n)
  local keys = {}
  for k in pairs(t) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
  end
  table.sort(keys, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta < tb end
    if ta == "number" or ta == "string" then return a < b end
    return tostring(a) < tostring(b)
  end)
  return keys
end

local format_value

local function format_table(t, indent, seen, depth)
  if seen[t] then return "<cycle: " .. seen[t] .. ">" end
  if depth > MAX_DEPTH then return "{...}" end
  local label = tostring(t):gsub("^table: ", "table ")
  seen[t] = label
  local n = #t
  local items, flat = {}, true
  local shown = math.min(n, MAX_ITEMS)
  for i = 1, shown do
    local v = t[i]
    if type(v) == "table" and not has_tostring(v) then flat = false end
    items[#items + 1] = format_value(v, indent .. "  ", seen, depth + 1)
  end
  if n > shown then items[#items + 1] = ("... (%d more)"):format(n - shown) end
  for _, k in ipairs(sorted_keys(t, n)) do
    local v = t[k]
    if type(v) == "table" and not has_tostring(v) then flat = false end
    items[#items + 1] = key_repr(k) .. " = " .. format_value(v, indent .. "  ", seen, depth + 1)
  end
  seen[t] = nil
  if #items == 0 then return "{}" end
  local one = "{ " .. table.concat(items, ", ") .. " }"
  if flat and #one + #indent <= INLINE_WIDTH and not one:find("\n") then return one end
  return "{\n" .. indent .. "  " .. table.concat(items, ",\n" .. indent .. "  ") .. ",\n" .. indent .. "}"
end

function format_value(v, indent, seen, depth)
  if type(v) == "table" and not has_tostring(v) then return format_table(v, indent, seen, depth) end
  if type(v) == "string" or type(v) == "number" then return scalar(v) end
  if type(v) == "function" then
    -- a binding shows its signature (help(v) prints its summary too)
    local sig = require("datagrok.help").signature(v)
    if sig then return "function " .. sig end
  end
  return tostring(v)
end

--- Formats one value the way the REPL shows it (nested tables indented, cycles
-- marked, long arrays cut with a count; objects with __tostring use it).
function M.format(v)
  return format_value(v, "", {}, 1)
end

--- The REPL's line for a call's results: each formatted, separated by tabs.
function M.show(...)
  local n = select("#", ...)
  local out = {}
  for i = 1, n do out[i] = M.format((select(i, ...))) end
  return table.concat(out, "\t")
end

-- Fields of v visible through indexing: its own keys and its __index chain.
local function fields_of(v, methods_only)
  local names, seen = {}, {}
  local function add(k, val)
    if type(k) == "string" and k:match("^[%a_][%w_]*$") and not seen[k] then
      if not methods_only or type(val) == "function" then
        seen[k] = true
        names[#names + 1] = k
      end
    end
  end
  local depth = 0
  while v ~= nil and depth < 8 do
    depth = depth + 1
    if type(v) == "table" then
      for k, val in pairs(v) do add(k, val) end
    end
    local mt = getmetatable(v)
    if type(mt) ~= "table" then break end
    local idx = rawget(mt, "__index")
    if type(mt.__complete) == "function" then
      for _, k in ipairs(mt.__complete(v)) do add(k, function() end) end
    end
    if type(idx) ~= "table" then break end
    v = idx
  end
  return names
end

--- Whether a name is offered for the typed `partial`: it must start with it, and private
-- names and metamethods (a leading "_") only once the partial starts with "_".
local function offered(k, partial)
  if k:sub(1, #partial) ~= partial then return false end
  return k:sub(1, 1) ~= "_" or partial:sub(1, 1) == "_"
end

--- Completion candidates for the word before the cursor: globals and keywords,
-- or fields after "." and methods after ":" (e.g. "string.fo" -> "string.format").
-- Names come from the value's own keys, its __index tables and its metatable's
-- __complete(v) (an array of names: how lazily loaded fields and objects with an
-- __index function offer theirs).
function M.complete(word)
  local prefix, sep, partial = word:match("^(.*)([%.:])([%w_]*)$")
  local candidates = {}
  if not prefix then
    partial = word
    for _, k in ipairs(fields_of(_G)) do
      if offered(k, partial) then candidates[#candidates + 1] = k end
    end
    for _, k in ipairs(keywords) do
      if k:sub(1, #partial) == partial then candidates[#candidates + 1] = k end
    end
  else
    -- resolve the dotted prefix by plain indexing: no code is run
    local v = _G
    for part in prefix:gmatch("[^%.:]+") do
      if not part:match("^[%a_][%w_]*$") then return {} end
      local ok, nv = pcall(function() return v[part] end)
      if not ok or nv == nil then return {} end
      v = nv
    end
    for _, k in ipairs(fields_of(v, sep == ":")) do
      if offered(k, partial) then candidates[#candidates + 1] = prefix .. sep .. k end
    end
  end
  table.sort(candidates)
  return candidates
end

--- True when a line looks like it carries a secret, or holds a key a client of this
-- session has used (however the call was spelled); such lines stay out of the history.
function M.is_sensitive(line)
  if core.holds_secret and core.holds_secret(line) then return true end
  local l = line:lower()
  return l:find("bearer%s") ~= nil or l:find("api_?key") ~= nil or l:find("password") ~= nil
    or l:find("secret") ~= nil or l:find("token") ~= nil
    or l:find("datagrok%.new%s*%(%s*[\"'%[]") ~= nil
end

return M
