--- Function calls (docs/protocol.md, "Functions"): POST /public/v1/<name>/call (the older
-- Python client) and POST /public/v1/functions/<name>/call (the newer one), body = the
-- inputs by name as a JSON object; the answer is the bare result. Names may carry a namespace (`System:Abs`,
-- `System.Abs`) and are case-insensitive. An unknown function answers 200 +
-- `api-error` + ApiError{errorCode=404}, as the real server does.
local reply = require "datagrok.emulator.reply"
local json = require "datagrok.json"

local M = {}

local function number(args, name)
  local v = args[name]
  if v == nil or v == json.null then reply.bad_request(("missing parameter '%s'"):format(name)) end
  if type(v) ~= "number" then reply.bad_request(("parameter '%s' must be a number"):format(name)) end
  return v
end

local function text(args, name)
  local v = args[name]
  if v == nil or v == json.null then reply.bad_request(("missing parameter '%s'"):format(name)) end
  if type(v) == "number" then return tostring(v) end
  if type(v) ~= "string" then reply.bad_request(("parameter '%s' must be a string"):format(name)) end
  return v
end

local function finite(x)
  if x ~= x or x == math.huge or x == -math.huge then reply.bad_request("the result is not a finite number") end
  return x
end

--- The built-in functions: lower-case name -> fn(args) -> result.
M.BUILTINS = {
  abs = function(a) return math.abs(number(a, "x")) end,
  sin = function(a) return math.sin(number(a, "x")) end,
  cos = function(a) return math.cos(number(a, "x")) end,
  sqrt = function(a)
    local x = number(a, "x")
    if x < 0 then reply.bad_request("Sqrt: x must not be negative") end
    return math.sqrt(x)
  end,
  exp = function(a) return finite(math.exp(number(a, "x"))) end,
  round = function(a) return math.floor(number(a, "x") + 0.5) end,
  add = function(a) return number(a, "a") + number(a, "b") end,
  sub = function(a) return number(a, "a") - number(a, "b") end,
  mul = function(a) return number(a, "a") * number(a, "b") end,
  div = function(a)
    local b = number(a, "b")
    if b == 0 then reply.bad_request("Div: division by zero") end
    return number(a, "a") / b
  end,
  concat = function(a) return text(a, "a") .. text(a, "b") end,
  upper = function(a) return text(a, "s"):upper() end,
  lower = function(a) return text(a, "s"):lower() end,
  length = function(a) return utf8.len(text(a, "s")) or #text(a, "s") end,
}

local function call(req, _, name)
  local short = name:match("([^.:]+)$") or name
  local fn = M.BUILTINS[short:lower()]
  if not fn then reply.not_found("function", name) end
  local args = reply.body_json(req, {})
  if type(args) ~= "table" or (json.is_array(args) and #args > 0) then
    reply.bad_request("the call body must be a JSON object of parameters by name")
  end
  return reply.json(fn(args))
end

function M.register(router)
  router:post("/public/v1/functions/([^/]+)/call", call)
  router:post("/public/v1/([^/]+)/call", call)
end

return M
