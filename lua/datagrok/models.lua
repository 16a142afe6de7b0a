--- The objects of the resource-style API (User, DataConnection, Credentials, Func,
-- Script, DataQuery, FuncParam, Package, PublishedPackage, ShareResponse), with the
-- fields the newer Python models carry, in snake_case.
--
-- Every type is made by one `define` from a field list: `from_dict(client, d)` reads
-- the camelCase wire form (absent and JSON null read as nil), `obj:to_dict()` writes
-- it back (nil as JSON null, so every key is present), `tostring(obj)` is one readable
-- line, and `__complete` gives the REPL its methods. Connection and credential
-- `parameters` are Secret tables: read them like any table (`conn.parameters.server`),
-- but printing one (or an object holding one) shows the keys only.
local core = require "datagrok.core"
local help = require "datagrok.help"
local json = require "datagrok.json"
local group = require "datagrok.group"
local wire = require "datagrok.wire"

local null = json.null

local M = {}

local value, or_null, bound = wire.value, wire.or_null, wire.clients

--- Secret: a table whose printed form hides the values (connection and credential
-- parameters). JSON-encodes as an ordinary object.
local Secret = {__name = "datagrok.Secret"}
function Secret.__tostring(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = tostring(k) .. " = <redacted>" end
  table.sort(keys)
  return "{" .. table.concat(keys, ", ") .. "}"
end
M.Secret = Secret

--- A Secret holding a shallow copy of t (nil or null: empty).
function M.secret(t)
  local out = {}
  if type(t) == "table" then
    for k, v in pairs(t) do out[k] = v end
  end
  return setmetatable(out, Secret)
end

--- A JSON array copy of a list (strings, numbers ...).
local function array_of(t)
  local out = json.array({})
  for i, v in ipairs(type(t) == "table" and t or {}) do out[i] = v end
  return out
end

-- Field kinds: how a wire value becomes a field and back.
local kinds = {}
kinds.plain = {read = function(_, v) return value(v) end, write = function(v) return or_null(v) end}
kinds.bool = {read = function(_, v) return value(v) == true end, write = function(v) return v == true end}
kinds.list = {read = function(_, v) return array_of(value(v)) end, write = function(v) return array_of(v) end}
kinds.object = {
  read = function(_, v)
    local out = {}
    for k, x in pairs(type(value(v)) == "table" and v or {}) do out[k] = x end
    return out
  end,
  write = function(v) return type(v) == "table" and v or {} end,
}
kinds.secret = {
  read = function(_, v) return M.secret(value(v)) end,
  write = function(v) return M.secret(v) end,
}
kinds.group = {
  read = function(client, v)
    v = value(v)
    return type(v) == "table" and group.group_from_dict(client, v) or nil
  end,
  write = function(v) return v and v:to_dict() or null end,
}

local types = {}

--- Defines a model type. spec: name ("User"), fields ({snake, camel [, kind]}, in wire
-- order), label (fn(obj) -> the text inside "Name<...>"), methods, computed (name ->
-- fn(obj)), after_read (fn(client, obj, d)), after_write (fn(obj, dict)).
local function define(spec)
  local mt = {__name = "datagrok." .. spec.name}
  local methods, computed = spec.methods or {}, spec.computed or {}
  wire.set_index(mt, methods, computed)
  mt.__tostring = function(obj) return spec.name .. "<" .. spec.label(obj) .. ">" end
  --- obj:to_dict() -> the camelCase wire form.
  function methods.to_dict(obj)
    local d = {}
    for _, f in ipairs(spec.fields) do d[f[2]] = kinds[f[3] or "plain"].write(obj[f[1]]) end
    if spec.after_write then spec.after_write(obj, d) end
    return d
  end
  --- obj:ensure_id() -> obj.id, making a random UUID first when obj has none.
  function methods.ensure_id(obj)
    if obj.id == nil then obj.id = core.uuid4() end
    return obj.id
  end
  -- help(obj), help(obj.to_dict) ... (lua/datagrok/help.lua)
  local entries = {
    {"to_dict", "obj:to_dict() -> table", "the camelCase wire form"},
    {"ensure_id", "obj:ensure_id() -> id", "obj.id, set to a random UUID first when missing"},
  }
  if methods.call then
    entries[#entries + 1] = {"call", "f:call([params]) -> result", "calls the function on the server it came from (never retried)"}
  end
  for k in pairs(computed) do entries[#entries + 1] = {k, "obj." .. k, "a computed field"} end
  help.register(mt.__name, {title = ("datagrok.%s: the %s objects of the resources"):format(spec.name, spec.name),
    values = function() return methods end, entries = entries})
  local T = {mt = mt, spec = spec, methods = methods}
  --- T.from_dict(client, d) -> an object bound to client.
  function T.from_dict(client, d)
    local obj = setmetatable({}, mt)
    for _, f in ipairs(spec.fields) do obj[f[1]] = kinds[f[3] or "plain"].read(client, d[f[2]]) end
    if spec.after_read then spec.after_read(client, obj, d) end
    bound[obj] = client
    return obj
  end
  --- T.new(client, fields) -> an unsaved object from snake_case fields (defaults filled in).
  function T.new(client, fields)
    local obj = setmetatable({}, mt)
    for _, f in ipairs(spec.fields) do
      local v = fields[f[1]]
      if v == nil and f[3] and f[3] ~= "plain" and f[3] ~= "group" then v = kinds[f[3]].read(client, nil) end
      if f[3] == "secret" then v = M.secret(v) end
      obj[f[1]] = v
    end
    if spec.after_new then spec.after_new(client, obj, fields) end
    bound[obj] = client
    return obj
  end
  types[spec.name] = T
  M[spec.name] = T
  return T
end

--- The client an object is bound to, or nil.
function M.client_of(obj) return bound[obj] end

--- True when v is an object of the named type ("User" ...), or of any model type.
function M.is(v, name)
  local mt = getmetatable(v)
  if name then return types[name] ~= nil and mt == types[name].mt end
  for _, T in pairs(types) do
    if mt == T.mt then return true end
  end
  return false
end

--- The text of a name with its namespace ("Demo:DemoDB"), or the id.
local function grok_label(o)
  if o.name and o.name ~= "" then return (o.namespace or "") .. o.name end
  return tostring(o.id or "?")
end

local USER_STATUSES = {new = true, active = true, blocked = true, guest = true}

define{
  name = "User",
  fields = {{"id", "id"}, {"name", "name"}, {"friendly_name", "friendlyName"}, {"first_name", "firstName"},
    {"last_name", "lastName"}, {"email", "email"}, {"login", "login"}, {"status", "status"},
    {"storage", "storage"}, {"group", "group", "group"}, {"created_on", "createdOn"},
    {"updated_on", "updatedOn"}, {"namespace", "namespace"}},
  label = function(u)
    local full = u.friendly_name or u.name
    return tostring(u.login or u.id) .. (full and full ~= u.login and (" " .. full) or "")
      .. (u.status and (" " .. u.status) or "")
  end,
  -- status: lower case as the Python enum has it (a server writing "Blocked" is read too)
  after_read = function(client, u)
    if type(u.status) == "string" then u.status = u.status:lower() end
    if not USER_STATUSES[u.status] then u.status = u.status or "active" end
    if type(u.storage) == "table" then u.storage = M.DataConnection.from_dict(client, u.storage) end
  end,
  after_write = function(u, d)
    if type(u.storage) == "table" and u.storage.to_dict then d.storage = u.storage:to_dict() end
  end,
  computed = {
    --- u.is_blocked: the status is "blocked"
    is_blocked = function(u) return u.status == "blocked" end,
  },
}

local Credentials = define{
  name = "Credentials",
  fields = {{"id", "id"}, {"parameters", "parameters", "secret"}, {"open_parameters", "openParameters", "object"},
    {"entity_bind_id", "entityBindId"}, {"group", "group", "group"}},
  label = function(c)
    local n = 0
    for _ in pairs(c.parameters or {}) do n = n + 1 end
    return ("%s%d parameter%s"):format(c.entity_bind_id and ("for " .. c.entity_bind_id .. " ") or "", n,
      n == 1 and "" or "s")
  end,
  -- as in Python, `group` is only sent when set
  after_write = function(c, d) if c.group == nil then d.group = nil end end,
}

define{
  name = "DataConnection",
  fields = {{"id", "id"}, {"parameters", "parameters", "secret"}, {"name", "name"},
    {"friendly_name", "friendlyName"}, {"description", "description"}, {"data_source", "dataSource"},
    {"credentials", "credentials"}, {"created_on", "createdOn"}, {"updated_on", "updatedOn"},
    {"tags", "tags", "list"}, {"namespace", "namespace"}},
  label = function(c) return grok_label(c) .. " " .. tostring(c.data_source) end,
  -- a missing dataSource means a file share (Python: Files); credentials are an object
  after_read = function(client, c, d)
    c.data_source = c.data_source or "Files"
    c.credentials = Credentials.from_dict(client, type(value(d.credentials)) == "table" and d.credentials or {})
  end,
  after_new = function(client, c, fields)
    c.data_source = c.data_source or "Files"
    local cr = fields.credentials
    if not M.is(cr, "Credentials") then
      -- credentials = {login = ..., password = ...}: the parameters (Python Credentials(**kwargs))
      cr = Credentials.new(client, {parameters = cr or {}})
    end
    c.credentials = cr
  end,
  after_write = function(c, d)
    local cr = c.credentials
    if not M.is(cr, "Credentials") then cr = Credentials.new(nil, {parameters = cr or {}}) end
    d.credentials = cr:to_dict()
  end,
  computed = {
    --- conn.grok_name: "Namespace:Name"
    grok_name = function(c) return (c.namespace or "") .. (c.name or "") end,
  },
}

define{
  name = "FuncParam",
  fields = {{"name", "name"}, {"property_type", "propertyType"}, {"is_input", "isInput"}},
  label = function(p) return ("%s%s: %s"):format(p.is_input == false and "-> " or "", tostring(p.name),
    tostring(p.property_type)) end,
  after_read = function(_, p) if p.is_input == nil then p.is_input = true end end,
}

local func_fields = {{"id", "id"}, {"name", "name"}, {"friendly_name", "friendlyName"}, {"created_on", "createdOn"},
  {"updated_on", "updatedOn"}, {"source", "source"}, {"description", "description"}, {"params", "params"},
  {"namespace", "namespace"}, {"tags", "tags", "list"}, {"options", "options", "object"}}

local function extend(extra)
  local out = {}
  for _, f in ipairs(func_fields) do out[#out + 1] = f end
  for _, f in ipairs(extra) do out[#out + 1] = f end
  return out
end

local function params_read(client, f)
  local list = {}
  for i, p in ipairs(type(f.params) == "table" and f.params or {}) do
    list[i] = M.is(p, "FuncParam") and p or M.FuncParam.from_dict(client, p)
  end
  f.params = list
end

local function params_write(f, d)
  local list = json.array({})
  for i, p in ipairs(f.params or {}) do list[i] = M.is(p, "FuncParam") and p:to_dict() or p end
  d.params = list
end

local func_computed = {
  --- f.grok_name: namespace .. name ("Demo:Hello")
  grok_name = function(f) return (f.namespace or "") .. (f.name or "") end,
  --- f.inputs / f.outputs: the FuncParams by direction
  inputs = function(f)
    local out = {}
    for _, p in ipairs(f.params or {}) do if p.is_input ~= false then out[#out + 1] = p end end
    return out
  end,
  outputs = function(f)
    local out = {}
    for _, p in ipairs(f.params or {}) do if p.is_input == false then out[#out + 1] = p end end
    return out
  end,
}

--- f:call([params]) -> the result of calling the function (bound functions only).
local function call_method(f, params)
  local client = bound[f]
  if not client then error("the function is not bound to a client", 2) end
  return client.functions:call(f, params)
end

define{name = "Func", fields = func_fields, label = grok_label, computed = func_computed,
  after_read = params_read, after_write = params_write, methods = {call = call_method},
  after_new = function(c, f) params_read(c, f) end}
define{name = "Script", fields = extend({{"script", "script"}, {"language", "language"}}),
  label = function(s) return grok_label(s) .. " " .. tostring(s.language or "grok") end,
  computed = func_computed, methods = {call = call_method},
  after_read = params_read,
  after_write = function(s, d) params_write(s, d); d.source = "script"; d["#type"] = "Script" end,
  after_new = function(c, s) params_read(c, s); s.source = "script"; s.language = s.language or "grok" end}
define{name = "DataQuery", fields = extend({{"query", "query"}, {"connection", "connection"}}),
  label = function(q)
    return grok_label(q) .. (q.connection and (" on " .. grok_label(q.connection)) or "")
  end,
  computed = func_computed, methods = {call = call_method},
  after_read = function(client, q)
    params_read(client, q)
    if type(q.connection) == "table" then q.connection = M.DataConnection.from_dict(client, q.connection) end
  end,
  after_write = function(q, d)
    params_write(q, d)
    d.source, d["#type"] = "data-query", "DataQuery"
    d.connection = q.connection and q.connection:to_dict() or null
  end,
  after_new = function(c, q) params_read(c, q); q.source = "data-query" end}

--- A Func, Script or DataQuery from the wire form: by `source`, else by `#type`.
function M.func_from_dict(client, d)
  local source, t = value(d.source), value(d["#type"])
  if source == "script" or (source == nil and t == "Script") then return M.Script.from_dict(client, d) end
  if source == "data-query" or (source == nil and t == "DataQuery") then return M.DataQuery.from_dict(client, d) end
  return M.Func.from_dict(client, d)
end

define{
  name = "Package",
  fields = {{"id", "id"}, {"name", "name"}, {"friendly_name", "friendlyName"}, {"full_name", "fullName"},
    {"description", "description"}, {"category", "category"}, {"image_url", "imageUrl"}, {"url", "url"},
    {"created_on", "createdOn"}, {"updated_on", "updatedOn"}},
  label = function(p) return tostring(p.name or p.id) end,
}

define{
  name = "PublishedPackage",
  fields = {{"id", "id"}, {"name", "name"}, {"friendly_name", "friendlyName"}, {"version", "version"},
    {"is_current", "isCurrent", "bool"}, {"debug", "debug", "bool"}, {"package_author", "packageAuthor"},
    {"published_on", "publishedOn"}, {"commit", "commit"}, {"created_on", "createdOn"},
    {"updated_on", "updatedOn"}},
  label = function(p)
    return ("%s %s%s%s"):format(tostring(p.name or p.id), tostring(p.version), p.is_current and " current" or "",
      p.debug and " debug" or "")
  end,
}

define{
  name = "ShareResponse",
  fields = {{"status", "status"}, {"shared", "shared", "list"}, {"already_shared", "alreadyShared", "list"},
    {"failed", "failed", "list"}},
  label = function(r)
    return ("%s: %d shared, %d already, %d failed"):format(tostring(r.status), #r.shared, #r.already_shared,
      #r.failed)
  end,
  computed = {
    --- r.ok: nothing failed
    ok = function(r) return r.status == "success" end,
  },
}

return M
