--- Functions: calls on POST /public/v1/<name>/call (P1-P3) and POST
-- /public/v1/functions/<name>/call (P4+), body = the inputs by name as a JSON object,
-- the answer the bare result; GET /public/v1/functions/<id or Grok name>, GET
-- /public/v1/functions[?text=<smart filter>] and POST /public/v1/functions (save a
-- Script or a DataQuery: by id, else by Grok name, else a new one).
--
-- The built-in functions (`Abs`, `Concat` ...) live in the `System:` namespace with
-- source "function"; names may carry a namespace (`System:Abs`, `System.Abs`) and are
-- case-insensitive. Saved scripts and queries (`functions[id] = {id, name, namespace,
-- friendlyName, description, source = "script"|"data-query", language, script, query,
-- connection = <connection id>, params, tags, options, createdOn, updatedOn}`) cannot
-- run here: a call answers {func = <Grok name>, params = <the inputs>}. An unknown
-- function answers 200 + `api-error` + ApiError{errorCode=404}, as the real server does.
local reply = require "datagrok.emulator.reply"
local filter = require "datagrok.emulator.filter"
local core = require "datagrok.core"
local json = require "datagrok.json"

local M = {}

-- Bad input answers 400 with an ApiError naming the problem, never a 500 or a wrapped
-- result: parameters must be finite numbers, integer arithmetic that leaves the 64-bit
-- range is refused instead of wrapping around, and a float result must be finite.

local function number(args, name)
  local v = args[name]
  if v == nil or v == json.null then reply.bad_request(("missing parameter '%s'"):format(name)) end
  if type(v) ~= "number" then reply.bad_request(("parameter '%s' must be a number"):format(name)) end
  if v ~= v or v == math.huge or v == -math.huge then
    reply.bad_request(("parameter '%s' must be a finite number"):format(name))
  end
  return v
end

local function text(args, name)
  local v = args[name]
  if v == nil or v == json.null then reply.bad_request(("missing parameter '%s'"):format(name)) end
  if type(v) == "number" then return tostring(v) end
  if type(v) ~= "string" then reply.bad_request(("parameter '%s' must be a string"):format(name)) end
  return v
end

--- A float result must be finite (JSON cannot carry inf or NaN).
local function finite(fname, x)
  if x ~= x or x == math.huge or x == -math.huge then
    reply.bad_request(fname .. ": the result is not a finite number")
  end
  return x
end

local function overflow(fname)
  reply.bad_request(fname .. ": the result does not fit in a 64-bit integer")
end

local maxint, minint = math.maxinteger, math.mininteger

--- a + b, a - b, a * b: exact for integers (400 instead of wrapping), finite for floats.
local function add(fname, a, b)
  if math.type(a) == "integer" and math.type(b) == "integer" then
    if (b > 0 and a > maxint - b) or (b < 0 and a < minint - b) then overflow(fname) end
    return a + b
  end
  return finite(fname, a + b)
end

local function sub(fname, a, b)
  if math.type(a) == "integer" and math.type(b) == "integer" then
    if (b < 0 and a > maxint + b) or (b > 0 and a < minint + b) then overflow(fname) end
    return a - b
  end
  return finite(fname, a - b)
end

local function mul(fname, a, b)
  if math.type(a) == "integer" and math.type(b) == "integer" then
    local r = a * b -- wraps; checked against the exact product below
    if a ~= 0 and ((a == -1 and b == minint) or (b == -1 and a == minint) or r % a ~= 0 or r // a ~= b) then
      overflow(fname)
    end
    return r
  end
  return finite(fname, a * b)
end

--- The built-in functions: lower-case name -> fn(args) -> result.
M.BUILTINS = {
  abs = function(a)
    local x = number(a, "x")
    if x == minint then overflow("Abs") end
    return math.abs(x)
  end,
  sin = function(a) return math.sin(number(a, "x")) end,
  cos = function(a) return math.cos(number(a, "x")) end,
  sqrt = function(a)
    local x = number(a, "x")
    if x < 0 then reply.bad_request("Sqrt: x must not be negative") end
    return math.sqrt(x)
  end,
  exp = function(a) return finite("Exp", math.exp(number(a, "x"))) end,
  round = function(a)
    local x = number(a, "x")
    if math.type(x) == "integer" then return x end
    return math.floor(x + 0.5)
  end,
  add = function(a) return add("Add", number(a, "a"), number(a, "b")) end,
  sub = function(a) return sub("Sub", number(a, "a"), number(a, "b")) end,
  mul = function(a) return mul("Mul", number(a, "a"), number(a, "b")) end,
  div = function(a)
    local b = number(a, "b")
    if b == 0 then reply.bad_request("Div: division by zero") end
    return finite("Div", number(a, "a") / b)
  end,
  concat = function(a) return text(a, "a") .. text(a, "b") end,
  upper = function(a) return text(a, "s"):upper() end,
  lower = function(a) return text(a, "s"):lower() end,
  length = function(a) return utf8.len(text(a, "s")) or #text(a, "s") end,
}

--- The inputs of the built-ins (name -> {param, type} pairs), for their Func records.
local BUILTIN_PARAMS = {
  abs = { "x", "double" }, sin = { "x", "double" }, cos = { "x", "double" }, sqrt = { "x", "double" },
  exp = { "x", "double" }, round = { "x", "double" }, add = { "a", "double", "b", "double" },
  sub = { "a", "double", "b", "double" }, mul = { "a", "double", "b", "double" },
  div = { "a", "double", "b", "double" }, concat = { "a", "string", "b", "string" },
  upper = { "s", "string" }, lower = { "s", "string" }, length = { "s", "string" },
}
local BUILTIN_NAMES = { "Abs", "Add", "Concat", "Cos", "Div", "Exp", "Length", "Lower", "Mul", "Round",
                        "Sin", "Sqrt", "Sub", "Upper" }

--- The built-in functions as Func records (ids derived from the names: stable).
local function builtins()
  local out = {}
  for _, name in ipairs(BUILTIN_NAMES) do
    local p = BUILTIN_PARAMS[name:lower()]
    local params = {}
    for i = 1, #p, 2 do params[#params + 1] = { name = p[i], propertyType = p[i + 1], isInput = true } end
    local id = ("00000000-f00c-4000-8000-%012x"):format(#out + 1)
    out[#out + 1] = { id = id, name = name, namespace = "System:", friendlyName = name, source = "function",
                      description = "built-in " .. name, params = params, tags = {}, options = {},
                      createdOn = "2016-10-27T00:00:00.000000Z", updatedOn = "2016-10-27T00:00:00.000000Z" }
  end
  return out
end

--- Every function: the built-ins and the saved scripts and queries, by id.
local function all(state)
  local map = {}
  for _, f in ipairs(builtins()) do map[f.id] = f end
  for id, f in pairs(state.functions) do map[id] = f end
  return map
end

--- The function addressed by id or Grok name (`.` for `:`, namespace optional), or nil.
function M.find(state, ref)
  local map = all(state)
  if map[ref] then return map[ref] end
  local want = ref:gsub("%.", ":"):lower()
  local found
  for _, f in pairs(map) do
    if (f.namespace .. f.name):lower() == want then return f end
    if f.name:lower() == want then found = found or f end
  end
  return found
end

--- The wire form of a Func / Script / DataQuery.
function M.wire(state, f)
  local params = json.array()
  for i, p in ipairs(f.params or {}) do
    params[i] = { name = p.name, propertyType = p.propertyType or "string", isInput = p.isInput ~= false }
  end
  local tags = json.array()
  for i, t in ipairs(f.tags or {}) do tags[i] = t end
  local w = { id = f.id, name = f.name, friendlyName = f.friendlyName or f.name, createdOn = f.createdOn,
              updatedOn = f.updatedOn, source = f.source, description = f.description or "", params = params,
              namespace = f.namespace, tags = tags, options = f.options or {}, nqName = f.namespace .. f.name }
  if f.source == "script" then
    w["#type"], w.script, w.language = "Script", f.script, f.language or "grok"
  elseif f.source == "data-query" then
    local connections = require "datagrok.emulator.connections"
    local c = state.connections[f.connection]
    w["#type"], w.query = "DataQuery", f.query
    w.connection = c and connections.wire(state, c) or json.null
  else
    w["#type"] = "Func"
  end
  return w
end

local LANGUAGES = { grok = true, julia = true, python = true, r = true, nodejs = true, octave = true,
                    javascript = true, pyodide = true }

--- POST /public/v1/functions: saves a Script or a DataQuery.
local function save(req, state)
  local body = reply.body_json(req)
  if type(body) ~= "table" or json.is_array(body) then reply.bad_request("a function must be a JSON object") end
  local source = body.source
  if source == nil or source == json.null then
    source = (body["#type"] == "Script" and "script") or (body["#type"] == "DataQuery" and "data-query") or nil
  end
  if source ~= "script" and source ~= "data-query" then
    reply.bad_request("only scripts (source \"script\") and queries (source \"data-query\") can be saved")
  end
  local id = type(body.id) == "string" and body.id ~= "" and body.id or core.uuid4()
  local name = type(body.name) == "string" and body.name ~= "" and body.name
    or ((source == "script" and "Script_" or "Query_") .. id:sub(1, 8))
  local ns = type(body.namespace) == "string" and body.namespace ~= "" and body.namespace
    or (req.user.login:sub(1, 1):upper() .. req.user.login:sub(2) .. ":")
  local f = state.functions[id]
  if not f then
    for _, g in pairs(state.functions) do
      if (g.namespace .. g.name):lower() == (ns .. name):lower() then f = g end
    end
  end
  local conn
  if source == "script" then
    if type(body.script) ~= "string" then reply.bad_request("a script needs its source code in 'script'") end
    local lang = body.language == nil and "grok" or body.language
    if not LANGUAGES[lang] then reply.bad_request(("unknown script language '%s'"):format(tostring(lang))) end
  else
    if type(body.query) ~= "string" then reply.bad_request("a query needs its text in 'query'") end
    if type(body.connection) ~= "table" then reply.bad_request("a query needs a connection") end
    local connections = require "datagrok.emulator.connections"
    local ref = body.connection.id
    if type(ref) ~= "string" or ref == "" then ref = body.connection.name end
    if type(ref) ~= "string" then reply.bad_request("the query's connection needs an id or a name") end
    conn = connections.find(state, ref) or reply.not_found("connection", ref)
  end
  local now = reply.now()
  f = f or { id = id, createdOn = now }
  f.name, f.namespace, f.source, f.updatedOn = name, ns, source, now
  f.friendlyName = type(body.friendlyName) == "string" and body.friendlyName or name
  f.description = type(body.description) == "string" and body.description or ""
  f.script = source == "script" and body.script or nil
  f.language = source == "script" and (body.language or "grok") or nil
  f.query = source == "data-query" and body.query or nil
  f.connection = conn and conn.id or nil
  f.params = {}
  for _, p in ipairs(type(body.params) == "table" and body.params or {}) do
    if type(p) == "table" and type(p.name) == "string" then
      f.params[#f.params + 1] = { name = p.name, propertyType = type(p.propertyType) == "string" and p.propertyType
        or "string", isInput = p.isInput ~= false }
    end
  end
  f.tags = type(body.tags) == "table" and body.tags or {}
  f.options = type(body.options) == "table" and body.options or {}
  state.functions[f.id] = f
  state:save("functions")
  return reply.json(M.wire(state, f))
end

local FILTER_FIELDS = {
  id = function(f) return f.id end, name = function(f) return f.name end,
  friendlyname = function(f) return f.friendlyName end, source = function(f) return f.source end,
  language = function(f) return f.language end, namespace = function(f) return f.namespace end,
  description = function(f) return f.description end,
  ["package.shortname"] = function(f) return (f.namespace or ""):match("^([^:]*):") end,
  type = function(f) return f.source end,
}

local function call(req, state, name)
  local args = reply.body_json(req, {})
  if type(args) ~= "table" or (json.is_array(args) and #args > 0) then
    reply.bad_request("the call body must be a JSON object of parameters by name")
  end
  local short = name:match("([^.:]+)$") or name
  local fn = M.BUILTINS[short:lower()]
  local f
  if not fn or name:find("[.:]") then f = M.find(state, name) end
  if f and f.source ~= "function" then
    local inputs = {}
    for k, v in pairs(args) do inputs[k] = v end
    return reply.json({ func = f.namespace .. f.name, params = inputs })
  end
  if not fn then reply.not_found("function", name) end
  return reply.json(fn(args))
end

function M.register(router)
  router:post("/public/v1/functions/([^/]+)/call", call)
  router:get("/public/v1/functions/([^/]+)", function(_, state, ref)
    return reply.json(M.wire(state, M.find(state, ref) or reply.not_found("function", ref)))
  end)
  router:get("/public/v1/functions", function(req, state)
    local pred = filter.compile(req.args.text, FILTER_FIELDS, { "name", "friendlyname", "description" })
    local out = json.array()
    for _, f in ipairs(filter.select(all(state), pred, "name")) do out[#out + 1] = M.wire(state, f) end
    return reply.json(out)
  end)
  router:post("/public/v1/functions", save)
  router:post("/public/v1/([^/]+)/call", call)
end

return M
