--- The emulator's Lua half: the request handler that src/emulator.c calls, the router,
-- authentication, fault injection and request recording.
--
-- `emulator.new{data=, key=, url=, demo=, faults=}` returns a server whose
-- `server:handle(req)` answers one request. `req` (built in C): method, path
-- (percent-decoded, `//` collapsed, an `/api` prefix removed), query (as sent), args
-- (decoded query table), headers (lower-case names), body (string) or body_file (a
-- spooled temporary file when the body is over 1 MiB), body_size. The answer is a
-- response table (see reply.lua and src/emulator.c).
--
-- Routes live in modules (auth, info, files (with the sync route), tables, dashboards,
-- groups, users, connections (with credentials), packages, shares, batch, functions);
-- each has `register(router)` and adds
-- `router:get/post/delete(pattern, fn)`
-- with a Lua pattern (anchored for you) whose captures follow (req, state) in fn's
-- arguments. `req.user` is the caller (a users record) once authenticated.
local reply = require "datagrok.emulator.reply"
local state_mod = require "datagrok.emulator.state"
local json = require "datagrok.json"
local log = require "datagrok.log"

local M = {}

--- The route modules, in registration order (earlier routes win).
M.ROUTE_MODULES = { "auth", "info", "files", "tables", "dashboards", "groups",
                    "users", "connections", "packages", "shares", "batch", "functions" }

local Router = {}
Router.__index = Router

--- A new empty router.
function M.router()
  return setmetatable({ routes = {} }, Router)
end

--- Adds a route: method (upper case), a Lua pattern matched against the whole path,
-- fn(req, state, captures...) -> response; opts.public skips authentication.
function Router:add(method, pattern, fn, opts)
  self.routes[#self.routes + 1] = { method = method, pattern = "^" .. pattern .. "$", fn = fn,
                                    captures = pattern:find("%(") ~= nil,
                                    public = opts and opts.public or false }
end
function Router:get(pattern, fn, opts) self:add("GET", pattern, fn, opts) end
function Router:post(pattern, fn, opts) self:add("POST", pattern, fn, opts) end
function Router:delete(pattern, fn, opts) self:add("DELETE", pattern, fn, opts) end

--- Finds the route for (method, path): route, captures; or nil, "method" when only the
-- method differs; or nil when nothing matches.
function Router:match(method, path)
  local other_method = false
  for _, r in ipairs(self.routes) do
    local caps = table.pack(path:match(r.pattern))
    if caps[1] ~= nil then
      if r.method == method or (method == "HEAD" and r.method == "GET") then
        if not r.captures then caps = { n = 0 } end
        return r, caps
      end
      other_method = true
    end
  end
  return nil, other_method and "method" or nil
end

local Server = {}
Server.__index = Server

--- Creates the server: opens the state under opts.data, seeds demo content once.
function M.new(opts)
  local state = state_mod.open(assert(opts.data, "emulator: data dir required"))
  state.key = assert(opts.key, "emulator: key required")
  state.url = opts.url or ""
  local self = setmetatable({ state = state, faults_enabled = opts.faults and true or false,
                              faults = {}, recorded = {}, router = M.router() }, Server)
  if opts.demo then require("datagrok.emulator.demo").seed(state) end
  require("datagrok.emulator.users").ensure_admin(state)
  for _, name in ipairs(M.ROUTE_MODULES) do
    require("datagrok.emulator." .. name).register(self.router)
  end
  return self
end

--- The fault armed for this request, consumed (nil when none).
function Server:take_fault(req)
  for i, f in ipairs(self.faults) do
    if req.path:sub(1, #f.prefix) == f.prefix and (not f.method or f.method == req.method) then
      f.count = f.count - 1
      if f.count <= 0 then table.remove(self.faults, i) end
      return f
    end
  end
end

local FAULT_ACTIONS = { status = true, reset = true, stall = true, truncate = true, redirect = true }
local REDIRECT_STATUSES = { [301] = true, [302] = true, [303] = true, [307] = true, [308] = true }

--- The /_emulator control routes (with --faults only).
function Server:control(req)
  if req.path == "/_emulator/faults" and req.method == "POST" then
    local f = reply.body_json(req)
    if type(f) ~= "table" or json.is_array(f) then reply.bad_request("a fault is a JSON object") end
    if type(f.prefix) ~= "string" or f.prefix:sub(1, 1) ~= "/" then
      reply.bad_request("fault.prefix must be a path starting with /")
    end
    if not FAULT_ACTIONS[f.action] then
      reply.bad_request("fault.action must be status, reset, stall, truncate or redirect")
    end
    if f.action == "status" and (math.type(f.status) ~= "integer" or f.status < 100 or f.status > 599) then
      reply.bad_request("fault.status must be an HTTP status (100..599)")
    end
    if f.action == "redirect" then
      if f.status ~= nil and not REDIRECT_STATUSES[f.status] then
        reply.bad_request("fault.status of a redirect must be 301, 302, 303, 307 or 308")
      end
      if type(f.location) ~= "string" or not f.location:match("^%a[%w+.-]*:[^%c ]+$") then
        reply.bad_request("fault.location must be an absolute URL (scheme:...)")
      end
    end
    if f.message ~= nil and type(f.message) ~= "string" then reply.bad_request("fault.message must be a string") end
    if f.body ~= nil and type(f.body) ~= "string" then reply.bad_request("fault.body must be a string") end
    if f.content_type ~= nil and type(f.content_type) ~= "string" then
      reply.bad_request("fault.content_type must be a string")
    end
    if f.api_error_header ~= nil and type(f.api_error_header) ~= "boolean" then
      reply.bad_request("fault.api_error_header must be true or false")
    end
    for _, k in ipairs({ "count", "after_bytes", "stall_seconds", "retry_after", "retry_after_date" }) do
      if f[k] ~= nil and (type(f[k]) ~= "number" or f[k] < 0) then
        reply.bad_request(("fault.%s must be a non-negative number"):format(k))
      end
    end
    if f.count ~= nil and math.type(f.count) ~= "integer" or (f.count or 1) < 1 then
      reply.bad_request("fault.count must be a positive integer")
    end
    if f.method ~= nil and type(f.method) ~= "string" then reply.bad_request("fault.method must be a string") end
    self.faults[#self.faults + 1] = {
      prefix = f.prefix, method = f.method and f.method:upper(), count = math.tointeger(f.count) or 1,
      action = f.action, status = f.status, retry_after = f.retry_after,
      retry_after_date = f.retry_after_date, location = f.location, message = f.message,
      body = f.body, content_type = f.content_type,
      api_error_header = f.api_error_header ~= false,
      stall_seconds = math.tointeger(f.stall_seconds) or 30,
      after_bytes = f.after_bytes and math.tointeger(f.after_bytes),
    }
    return reply.json({ armed = #self.faults })
  elseif req.path == "/_emulator/faults" and req.method == "DELETE" then
    self.faults = {}
    return reply.json({ cleared = true })
  elseif req.path == "/_emulator/multipart" and req.method == "POST" then
    return self:multipart(req)
  elseif req.path == "/_emulator/requests" and req.method == "GET" then
    return reply.json(json.array(self.recorded))
  elseif req.path == "/_emulator/requests" and req.method == "DELETE" then
    self.recorded = {}
    return reply.json({ cleared = true })
  elseif req.path == "/_emulator/sessions" and req.method == "POST" then
    -- a session token for a user (by login): a way to act as alice or bob in tests
    local d = reply.body_json(req)
    local users = require "datagrok.emulator.users"
    local u = type(d) == "table" and type(d.login) == "string" and users.find(self.state, d.login)
    if not u then reply.not_found("user", type(d) == "table" and d.login or "?") end
    return reply.json({ token = require("datagrok.emulator.auth").issue_token(self.state, u.id) })
  elseif req.path == "/_emulator/sync_parts" and req.method == "POST" then
    return require("datagrok.emulator.sync").arm_extra_parts(req)
  end
  reply.raise(404, "no emulator control route " .. req.method .. " " .. req.path, 404)
end

--- POST /_emulator/multipart: answers with a streamed multipart body described by the
-- JSON request {subtype=, boundary=, status=, parts={{headers={..}, body=".."} or
-- {headers=, connector=, path=} (a file of a share, streamed from disk)}}; a part's
-- raw_headers (a string of "Name: value\r\n" lines) is sent verbatim instead of
-- headers: a way to feed a client's multipart parser any parts, hostile ones included.
function Server:multipart(req)
  local d = reply.body_json(req)
  if type(d) ~= "table" or type(d.parts) ~= "table" then reply.bad_request("expected {parts = [...]}") end
  local files = require "datagrok.emulator.files"
  local parts = {}
  for i, p in ipairs(d.parts) do
    if type(p) ~= "table" then reply.bad_request(("parts[%d] must be an object"):format(i)) end
    local headers = {}
    for k, v in pairs(type(p.headers) == "table" and p.headers or {}) do
      if type(k) ~= "string" or (type(v) ~= "string" and type(v) ~= "number") then
        reply.bad_request(("parts[%d].headers must map names to strings"):format(i))
      end
      if (k .. v):find("[\r\n%z]") then
        reply.bad_request(("parts[%d].headers: CR, LF or NUL in %s"):format(i, k))
      end
      headers[k] = tostring(v)
    end
    if p.connector ~= nil then
      if type(p.connector) ~= "string" or type(p.path) ~= "string" then
        reply.bad_request(("parts[%d]: connector and path must be strings"):format(i))
      end
      local path, why = files.safe_join(files.connector_root(self.state, p.connector), p.path)
      if not path then reply.bad_request(("parts[%d].path: %s"):format(i, why)) end
      local st = require("datagrok.emulator.fs").stat(path)
      if not st or st.type ~= "file" then reply.not_found("file", p.connector .. "/" .. p.path, 404) end
      parts[i] = { headers = headers, file = path }
    else
      if p.body ~= nil and type(p.body) ~= "string" then
        reply.bad_request(("parts[%d].body must be a string"):format(i))
      end
      parts[i] = { headers = headers, body = p.body or "" }
    end
    if p.raw_headers ~= nil then
      if type(p.raw_headers) ~= "string" then reply.bad_request(("parts[%d].raw_headers must be a string"):format(i)) end
      parts[i].raw_headers = p.raw_headers
    end
  end
  if d.subtype ~= nil and (type(d.subtype) ~= "string" or not d.subtype:match("^[%w.+-]+$")) then
    reply.bad_request("subtype must be a token such as form-data or mixed")
  end
  if d.boundary ~= nil and (type(d.boundary) ~= "string" or not d.boundary:match("^[%w'()+_,./:=?-]+$")
      or #d.boundary > 69) then
    reply.bad_request("boundary must be 1..69 characters of the RFC 2046 set (no spaces)")
  end
  return { status = math.tointeger(d.status) or 200, headers = {}, parts = parts,
           multipart = d.subtype, boundary = d.boundary }
end

--- Records a request for GET /_emulator/requests (no key, only whether one was sent).
function Server:record(req)
  local auth = req.headers["authorization"]
  self.recorded[#self.recorded + 1] = {
    method = req.method, path = req.path, query = req.query,
    content_type = req.headers["content-type"] or json.null,
    has_authorization = auth ~= nil,
    bearer = auth ~= nil and auth:match("^[Bb]earer%s") ~= nil,
  }
end

--- An IMF-fixdate (RFC 9110 §5.6.7) for a POSIX time: "Sun, 06 Nov 1994 08:49:37 GMT".
local function http_date(t)
  local d = os.date("!*t", t)
  local days = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" }
  local months = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" }
  return ("%s, %02d %s %04d %02d:%02d:%02d GMT"):format(days[d.wday], d.day, months[d.month], d.year,
    d.hour, d.min, d.sec)
end
M.http_date = http_date

--- Applies an armed fault to the response of the real handler (status and redirect
-- faults replace it).
local function with_fault(f, run)
  if f.action == "status" and f.body then
    -- a raw answer: the body as given (an HTML login page, a bare JSON value ...)
    return { status = f.status, headers = { ["Content-Type"] = f.content_type or "text/html" }, body = f.body }
  elseif f.action == "status" then
    local r = reply.api_error(f.status, f.message or ("injected fault: status %d"):format(f.status))
    if not f.api_error_header then r.headers["api-error"] = nil end
    if f.retry_after then r.headers["Retry-After"] = tostring(math.tointeger(f.retry_after) or f.retry_after) end
    if f.retry_after_date then r.headers["Retry-After"] = http_date(os.time() + math.floor(f.retry_after_date)) end
    return r
  elseif f.action == "redirect" then
    return { status = f.status or 302, headers = { Location = f.location }, body = "" }
  elseif f.action == "reset" then
    return { fault = { action = "reset" } }
  elseif f.action == "stall" and not f.after_bytes then
    return { fault = { action = "stall", stall_seconds = f.stall_seconds } }
  end
  local r = run()
  r.fault = { action = f.action, after_bytes = f.after_bytes or 0, stall_seconds = f.stall_seconds }
  return r
end

--- Routes one request (authentication included); raised responses are returned.
function Server:route(req)
  local route, caps = self.router:match(req.method, req.path)
  if not route then
    if caps == "method" then
      return reply.api_error(405, ("method %s not allowed on %s"):format(req.method, req.path))
    end
    return reply.api_error(404, ("no route for %s %s"):format(req.method, req.path))
  end
  if not route.public then require("datagrok.emulator.auth").authenticate(req, self.state) end
  if req.method == "GET" or req.method == "HEAD" then
    return route.fn(req, self.state, table.unpack(caps, 1, caps.n))
  end
  local ok, res = pcall(route.fn, req, self.state, table.unpack(caps, 1, caps.n))
  if ok then return res end
  self.state:reload() -- a refused or failed change leaves nothing half-applied in memory
  error(res, 0)
end

--- Called by src/emulator.c for a request that carries a body, once its headers have
-- arrived and before any byte of the body is read: returns the refusal (401 or 403) when
-- the request fails authentication, else nil. A refused body is never read or spooled.
-- Only public routes skip the check: a body for an unknown route is refused too.
-- `req` is as for handle, without body, body_file and body_size. A request an armed
-- fault would answer is left to handle (faults come before authentication there).
function Server:precheck(req)
  if req.path:sub(1, 11) == "/_emulator/" then
    if not self.faults_enabled then return nil end
  else
    if self.faults_enabled then
      for _, f in ipairs(self.faults) do
        if req.path:sub(1, #f.prefix) == f.prefix and (not f.method or f.method == req.method) then
          return nil
        end
      end
    end
    local route = self.router:match(req.method, req.path)
    if route and route.public then return nil end -- an unknown route needs the key too here
  end
  local ok, err = pcall(require("datagrok.emulator.auth").authenticate, req, self.state)
  if ok then return nil end
  local refused = reply.raised(err)
  if not refused then error(err, 0) end
  if self.faults_enabled then self:record(req) end
  return refused
end

--- The entry point called by src/emulator.c for every request.
function Server:handle(req)
  local ok, res = xpcall(function()
    if req.path:sub(1, 11) == "/_emulator/" then
      if not self.faults_enabled then
        return reply.api_error(404, "fault injection is off (start the emulator with --faults)")
      end
      require("datagrok.emulator.auth").authenticate(req, self.state)
      return self:control(req)
    end
    if self.faults_enabled then
      self:record(req)
      local f = self:take_fault(req)
      if f then
        return with_fault(f, function()
          local ok2, r = pcall(self.route, self, req)
          if ok2 then return r end
          return reply.raised(r) or error(r, 0)
        end)
      end
    end
    return self:route(req)
  end, function(err)
    if reply.raised(err) then return err end
    return debug.traceback(tostring(type(err) == "table" and err.message or err), 2)
  end)
  if ok then return res end
  local raised = reply.raised(res)
  if raised then return raised end
  log.error("emulator", ("%s %s failed: %s"):format(req.method, req.path, tostring(res)))
  return reply.api_error(500, "internal emulator error: " .. tostring(res):match("^[^\n]*"))
end

return M
