--- The server's smart filter (the `text` query parameter of list routes), for the
-- subset the official clients and the `grok s` documentation use:
--
--   login = "alice"            field equals a value ('', "" or bare; case-insensitive)
--   status != "blocked"        field differs
--   name in ("a", "b")         field is one of the values
--   name contains "chem"       field holds the value as a substring
--   source="script" and language = "python"     terms joined by `and`
--   chem                       free text: a substring of the entity's text fields
--
-- Fields are named per route (`fields`: lower-case name -> fn(entity) -> value, or a
-- list of values of which any may match);
-- dotted names (`package.shortName`) are ordinary names. An unknown field or a
-- malformed term answers 400 with an ApiError naming it.
local reply = require "datagrok.emulator.reply"

local M = {}

local function unquote(s)
  s = s:match("^%s*(.-)%s*$")
  return s:match('^"(.*)"$') or s:match("^'(.*)'$") or s
end

--- Splits "a and b AND c" into terms, leaving `and` inside quotes alone.
local function split_and(text)
  local terms, cur, quote, i = {}, {}, nil, 1
  while i <= #text do
    local c = text:sub(i, i)
    if quote then
      if c == quote then quote = nil end
      cur[#cur + 1] = c
      i = i + 1
    elseif c == '"' or c == "'" then
      quote = c
      cur[#cur + 1] = c
      i = i + 1
    else
      local sep = text:match("^%s+[aA][nN][dD]%s+", i)
      if sep then
        terms[#terms + 1] = table.concat(cur)
        cur = {}
        i = i + #sep
      else
        cur[#cur + 1] = c
        i = i + 1
      end
    end
  end
  terms[#terms + 1] = table.concat(cur)
  return terms
end

--- The comparable text of a value: strings lower-cased, booleans and numbers as text.
local function norm(v)
  if v == nil or v == reply.null then return nil end
  return tostring(v):lower()
end

--- True when test(text) holds for the value a field getter gave: one value, or any of
-- a list of values (a group's `name` is its name or its friendly name).
local function any(v, test)
  if type(v) == "table" and v ~= reply.null then
    for _, x in ipairs(v) do
      if test(norm(x)) then return true end
    end
    return false
  end
  return test(norm(v))
end

--- Parses one term into a predicate over an entity.
local function term_predicate(term, fields, text_fields, booleans)
  local field, values = term:match("^([%a_][%w_.]*)%s+[iI][nN]%s*%((.*)%)$")
  local op, value
  if field then
    op = "in"
  else
    field, op, value = term:match("^([%a_][%w_.]*)%s*([!=]=?)%s*(.-)$")
    if field and op == "!" then field = nil end
    if not field then
      field, value = term:match("^([%a_][%w_.]*)%s+[cC][oO][nN][tT][aA][iI][nN][sS]%s+(.+)$")
      op = field and "contains" or nil
    end
  end
  if not field then
    local needle = unquote(term):lower()
    local function holds(v) return v ~= nil and v:find(needle, 1, true) ~= nil end
    return function(e)
      for _, f in ipairs(text_fields) do
        if any(fields[f](e), holds) then return true end
      end
      return false
    end
  end
  local get = fields[field:lower()]
  if not get then reply.bad_request(("smart filter: unknown field '%s'"):format(field)) end
  if op == "in" then
    local set = {}
    for v in (values .. ","):gmatch("([^,]*),") do
      if not v:match("^%s*$") then set[unquote(v):lower()] = true end
    end
    return function(e) return any(get(e), function(v) return v ~= nil and set[v] == true end) end
  end
  local want = unquote(value):lower()
  if booleans[field:lower()] and want ~= "true" and want ~= "false" then
    reply.bad_request(("smart filter: %s must be true or false, not '%s'"):format(field, unquote(value)))
  end
  if op == "contains" then
    return function(e) return any(get(e), function(v) return v ~= nil and v:find(want, 1, true) ~= nil end) end
  elseif op == "!=" then
    return function(e) return not any(get(e), function(v) return v == want end) end
  end
  return function(e) return any(get(e), function(v) return v == want end) end
end

--- Compiles a smart filter into a predicate. fields: lower-case name ->
-- fn(entity) -> value; text_fields: the field names free text searches; booleans
-- (optional): the set of field names whose value must be true or false (400 otherwise).
function M.compile(text, fields, text_fields, booleans)
  local preds = {}
  for _, term in ipairs(split_and(text or "")) do
    term = term:match("^%s*(.-)%s*$")
    if term ~= "" then preds[#preds + 1] = term_predicate(term, fields, text_fields, booleans or {}) end
  end
  return function(e)
    for _, p in ipairs(preds) do
      if not p(e) then return false end
    end
    return true
  end
end

--- The entities of a collection matching a filter, sorted by `key` (then id).
function M.select(collection, pred, key)
  local out = {}
  for _, e in pairs(collection) do
    if pred(e) then out[#out + 1] = e end
  end
  table.sort(out, function(a, b)
    local ka, kb = tostring(a[key] or ""), tostring(b[key] or "")
    if ka ~= kb then return ka < kb end
    return tostring(a.id) < tostring(b.id)
  end)
  return out
end

return M
