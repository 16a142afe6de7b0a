--- Batches (`grok s batch`): POST /public/v1/batch with
--   {operations = [{id?, action, params, dependsOn?}], options? = {concurrency?, stopOnError?, transaction?}}
-- answers {summary = {total, succeeded, partial, failed, skipped}, results = [{id, action,
-- status = "success"|"error"|"skipped", result?, error? = {error, errorCode?}, reason?}]}.
--
-- Operations run in order through the emulator's own routes, as the caller:
-- users|groups|connections|functions|queries|scripts .create|get|delete, functions.run
-- ({name, params}), files.list|get|put|delete ({connector, path, recursive?, content
-- (base64, put)}). An operation whose `dependsOn` names one that did not succeed is
-- skipped; with stopOnError every operation after the first error is skipped; with
-- transaction the first error undoes every change of the batch (files cannot take part)
-- and the operations that had succeeded are reported as errors of the rolled-back batch.
-- Users cannot be deleted (as on the real server). `concurrency` is accepted and ignored.
local reply = require "datagrok.emulator.reply"
local json = require "datagrok.json"

local M = {}

local function b64decode(s)
  local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  local map = {}
  for i = 1, #alphabet do map[alphabet:byte(i)] = i - 1 end
  s = s:gsub("[%s=]", "")
  local out, bits, n = {}, 0, 0
  for i = 1, #s do
    local v = map[s:byte(i)]
    if not v then reply.bad_request("files.put: content is not base64") end
    bits, n = (bits << 6) | v, n + 6
    if n >= 8 then
      n = n - 8
      out[#out + 1] = string.char((bits >> n) & 0xFF)
    end
  end
  return table.concat(out)
end

local function b64encode(s)
  local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  return (s:gsub("..?.?", function(c)
    local a, b, d = c:byte(1, 3)
    local v = (a << 16) | ((b or 0) << 8) | (d or 0)
    local q = {}
    for k = 3, 0, -1 do q[#q + 1] = alphabet:sub(((v >> (6 * k)) & 63) + 1, ((v >> (6 * k)) & 63) + 1) end
    if not b then q[3], q[4] = "=", "=" elseif not d then q[4] = "=" end
    return table.concat(q)
  end))
end

local ENTITY_ROUTES = { users = "/public/v1/users", groups = "/public/v1/groups",
                        connections = "/public/v1/connections", functions = "/public/v1/functions",
                        queries = "/public/v1/functions", scripts = "/public/v1/functions" }

local function escape(s) return (tostring(s):gsub(":", ".")) end

--- The id or name an operation's params address.
local function ref_of(p)
  local r = p.id or p.login or p.name
  if type(r) ~= "string" or r == "" then reply.bad_request("params need an id or a name") end
  return r
end

--- Translates one operation into an internal request: method, path, args, body.
local function plan(op)
  local entity, verb = tostring(op.action):match("^(%a+)%.(%a+)$")
  local p = type(op.params) == "table" and op.params or {}
  local base = ENTITY_ROUTES[entity or ""]
  if op.action == "functions.run" then
    if type(p.name) ~= "string" then reply.bad_request("functions.run needs params.name") end
    return "POST", "/public/v1/functions/" .. escape(p.name) .. "/call", {}, json.encode(p.params or {})
  elseif base then
    if verb == "get" then return "GET", base .. "/" .. escape(ref_of(p)) end
    if verb == "create" then
      local body = p
      if entity == "scripts" or entity == "queries" then
        body = {}
        for k, v in pairs(p) do body[k] = v end
        body.source = entity == "scripts" and "script" or "data-query"
      end
      local args = {}
      if entity == "groups" then args.saveRelations = "true" end
      if entity == "connections" then args.saveCredentials = "true" end
      return "POST", base, args, json.encode(body)
    end
    if verb == "delete" then
      if entity == "users" then reply.bad_request("users cannot be deleted: block them") end
      if base == "/public/v1/functions" then return "DELETE_FUNCTION", ref_of(p) end
      return "DELETE", base .. "/" .. escape(ref_of(p))
    end
  elseif entity == "files" then
    if type(p.connector) ~= "string" then reply.bad_request("files operations need params.connector") end
    local path = "/public/v1/files/" .. escape(p.connector) .. "/" .. tostring(p.path or ""):gsub("^/", "")
    if verb == "list" then return "GET", path, { recursive = p.recursive and "true" or "false" } end
    if verb == "get" then return "GET", path end
    if verb == "delete" then return "DELETE", path end
    if verb == "put" then
      if type(p.content) ~= "string" then reply.bad_request("files.put needs params.content (base64)") end
      return "POST", path, {}, b64decode(p.content)
    end
  end
  reply.bad_request(("unknown batch action '%s'"):format(tostring(op.action)))
end

--- Runs one operation through the router; returns the decoded result or raises.
local function run(router, req, state, op)
  local method, path, args, body = plan(op)
  if method == "DELETE_FUNCTION" then
    local f = require("datagrok.emulator.functions").find(state, path) or reply.not_found("function", path)
    if not state.functions[f.id] then reply.bad_request("only scripts and queries can be deleted") end
    state.functions[f.id] = nil
    state:save("functions")
    return { deleted = f.id }
  end
  local route, caps = router:match(method, path)
  if not route then reply.raise(404, ("no route for %s %s"):format(method, path)) end
  local sub = { method = method, path = path, query = "", args = args or {}, headers = req.headers,
                body = body, body_size = body and #body or 0, user = req.user }
  local res = route.fn(sub, state, table.unpack(caps, 1, caps.n))
  if res.headers and res.headers["api-error"] then
    local e = json.decode(res.body)
    reply.raise(e.errorCode or res.status, e.message)
  end
  if res.status >= 400 then reply.raise(res.status, "HTTP " .. res.status) end
  if res.file then
    local f = assert(io.open(res.file, "rb"))
    local data = f:read("a")
    f:close()
    return { content = b64encode(data) }
  end
  local ct = res.headers and res.headers["Content-Type"] or ""
  if res.body and ct:find("json") then return json.decode(res.body) end
  return res.body and { content = b64encode(res.body) } or json.null
end

--- Snapshot of every state collection (for a transaction).
local function snapshot(state)
  local s = {}
  for _, name in ipairs(require("datagrok.emulator.state").COLLECTIONS) do s[name] = json.encode(state[name]) end
  return s
end

local function restore(state, s)
  for name, text in pairs(s) do
    state[name] = json.decode(text)
    state:save(name)
  end
end

function M.register(router)
  router:post("/public/v1/batch", function(req, state)
    local body = reply.body_json(req)
    if type(body) ~= "table" or type(body.operations) ~= "table" then
      reply.bad_request("a batch is {operations = [...], options = {...}}")
    end
    local opts = type(body.options) == "table" and body.options or {}
    local ops = body.operations
    local ids = {}
    for i, op in ipairs(ops) do
      if type(op) ~= "table" or type(op.action) ~= "string" then
        reply.bad_request(("operations[%d] needs an action"):format(i))
      end
      if opts.transaction and op.action:match("^files%.") then
        reply.bad_request("files operations cannot take part in a transaction")
      end
      if op.id ~= nil then
        if ids[op.id] then reply.bad_request(("operation id '%s' is used twice"):format(tostring(op.id))) end
        ids[op.id] = i
      end
    end
    local snap = opts.transaction and snapshot(state) or nil
    local results, status_of = json.array(), {}
    local summary = { total = #ops, succeeded = 0, partial = 0, failed = 0, skipped = 0 }
    local stopped, failed_at
    for i, op in ipairs(ops) do
      local r = { id = op.id or json.null, action = op.action }
      local blocked
      for _, dep in ipairs(type(op.dependsOn) == "table" and op.dependsOn or {}) do
        if not ids[dep] then
          blocked = ("dependsOn names no operation '%s'"):format(tostring(dep))
        elseif ids[dep] >= i then
          blocked = ("dependsOn '%s' comes later in the batch"):format(tostring(dep))
        elseif status_of[dep] ~= "success" then
          blocked = ("dependency '%s' did not succeed"):format(tostring(dep))
        end
      end
      if stopped then blocked = "an earlier operation failed (stopOnError)" end
      if blocked then
        r.status, r.reason = "skipped", blocked
        summary.skipped = summary.skipped + 1
      else
        local ok, res = pcall(run, router, req, state, op)
        if ok then
          r.status, r.result = "success", res
          summary.succeeded = summary.succeeded + 1
        else
          local raised = reply.raised(res)
          local e = raised and json.decode(raised.body) or { message = tostring(res), errorCode = 500 }
          if not raised then state:reload() end
          r.status, r.error = "error", { error = e.message, errorCode = e.errorCode }
          summary.failed = summary.failed + 1
          failed_at = failed_at or i
          if opts.stopOnError or opts.transaction then stopped = true end
        end
      end
      if op.id ~= nil then status_of[op.id] = r.status end
      results[i] = r
    end
    if snap and failed_at then
      restore(state, snap)
      for i = 1, failed_at - 1 do
        local r = results[i]
        if r.status == "success" then
          r.status, r.result = "error", nil
          r.error = { error = "rolled back: operation " .. failed_at .. " failed (transaction)" }
          summary.succeeded, summary.failed = summary.succeeded - 1, summary.failed + 1
        end
      end
    end
    return reply.json({ summary = summary, results = results })
  end)
end

return M
