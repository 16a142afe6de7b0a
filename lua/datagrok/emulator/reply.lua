--- Responses of the emulator's route handlers, in the shapes the real server uses.
-- A handler returns a response table ({status=, headers=, body=|file=|parts=}, see
-- src/emulator.c) or raises one with `reply.raise`/`reply.not_found`/`reply.bad_request`;
-- the router turns a raised response into the answer and any other error into a 500.
local json = require "datagrok.json"

local M = {}

local Raised = {}
Raised.__index = Raised
Raised.__tostring = function(r) return "emulator response " .. tostring(r.response.status) end

--- A JSON response. `value` is encoded with datagrok.json (arrays must carry json.array).
function M.json(value, status, headers)
  local h = { ["Content-Type"] = "application/json" }
  for k, v in pairs(headers or {}) do h[k] = v end
  return { status = status or 200, headers = h, body = json.encode(value) }
end

--- An ApiError response: `{"#type":"ApiError","message":..,"errorCode":..}` with the
-- `api-error: true` header. `http_status` defaults to `error_code`.
function M.api_error(error_code, message, http_status)
  return M.json({ ["#type"] = "ApiError", message = message, errorCode = error_code },
    http_status or error_code, { ["api-error"] = "true" })
end

--- Raises a response (caught by the router): the handler stops here.
function M.raise_response(response)
  error(setmetatable({ response = response }, Raised), 0)
end

--- Raises an ApiError response (see api_error).
function M.raise(error_code, message, http_status)
  M.raise_response(M.api_error(error_code, message, http_status))
end

--- Entity not found: 200 + `api-error` header + ApiError{errorCode=404}, as the real
-- server answers on its entity routes (`http_status` 404 for raw-byte routes).
function M.not_found(kind, id, http_status)
  M.raise(404, ("%s '%s' not found"):format(kind, tostring(id)), http_status or 200)
end

--- 400 with an ApiError naming the problem.
function M.bad_request(message)
  M.raise(400, message)
end

--- True when err is a raised response; returns the response.
function M.raised(err)
  if getmetatable(err) == Raised then return err.response end
end

--- The request body decoded as JSON; raises 400 naming where it broke. An empty body
-- gives `default` (or raises when default is nil and required).
function M.body_json(req, default)
  local body = req.body
  if req.body_file then
    local f = io.open(req.body_file, "rb")
    body = f and f:read("a") or ""
    if f then f:close() end
  end
  if body == nil or body:match("^%s*$") then
    if default ~= nil then return default end
    M.bad_request("the request needs a JSON body")
  end
  local ok, v = pcall(json.decode, body)
  if not ok then
    M.bad_request("malformed JSON body: " .. tostring(type(v) == "table" and v.message or v))
  end
  return v
end

--- A query-string boolean: true/false/True/False/1/0 (nil when absent); 400 otherwise.
function M.bool_arg(req, name)
  local v = req.args[name]
  if v == nil or v == "" then return nil end
  local l = v:lower()
  if l == "true" or l == "1" then return true end
  if l == "false" or l == "0" then return false end
  M.bad_request(("query parameter %s must be true or false, not '%s'"):format(name, v))
end

--- The current time as the server writes it: 2025-04-29T09:53:40.502720Z.
function M.now()
  return os.date("!%Y-%m-%dT%H:%M:%S.000000Z")
end

--- An ISO-8601 timestamp for a POSIX time (seconds, fractions kept to microseconds).
function M.iso(t)
  local s = math.floor(t)
  return os.date("!%Y-%m-%dT%H:%M:%S", s) .. (".%06dZ"):format(math.floor((t - s) * 1e6))
end

--- A table marked as a JSON array (encodes [] when empty).
M.array = json.array
M.null = json.null

return M
