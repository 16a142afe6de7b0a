--- Data connections and credentials: GET /public/v1/connections/<id or Grok name>,
-- GET /public/v1/connections[?text=<smart filter>&dataSource=&tags=a,b], POST
-- /public/v1/connections[?saveCredentials=true] (create or update by id), DELETE
-- /public/v1/connections/<id> (200 for an unknown id, as the real route answers), POST
-- /public/v1/connections/test (the JSON string "ok", or a string saying what failed);
-- GET /public/v1/credentials/for/<entity id>, POST /public/v1/credentials, DELETE
-- /public/v1/credentials/<id>.
--
-- State: `connections[id] = {id, name, namespace ("Demo:"), friendlyName, description,
-- dataSource, parameters, tags, createdOn, updatedOn}`; `credentials[id] = {id,
-- entityBindId, parameters, openParameters, group}`. Secrets stay in the state: a
-- connection's answer carries its credentials without parameters, and a credentials
-- answer masks password-class values as "***" (a "***" sent back keeps the stored value).
local reply = require "datagrok.emulator.reply"
local filter = require "datagrok.emulator.filter"
local groups = require "datagrok.emulator.groups"
local core = require "datagrok.core"
local json = require "datagrok.json"
local fs = require "datagrok.emulator.fs"

local M = {}
local null, array = json.null, json.array

--- The data sources the clients know (a save with another one is refused).
M.DATA_SOURCES = {}
for s in ([[Azure Blob|Dropbox|GitHub|GoogleCloud|S3|Amazon EFS|SharePoint|Files|CoreWeave|Access|
Athena|BigQuery|Cassandra|DB2|Excel|Firebird|HBase|Hive|Hive2|MariaDB|MLFlow|MongoDB|MS SQL|MySQL|
Neo4j|Oracle|PostgresDart|ClickHouse|Postgres|Redshift|Snowflake|SQLite|Socrata|Sparql|Teradata|
Twitter|Vertica|Web|AWS]]):gsub("\n", ""):gmatch("[^|]+") do M.DATA_SOURCES[s] = true end

local MASK = "***"

--- True for a parameter name whose value is a secret (shown masked).
local function secret_key(k)
  local l = tostring(k):lower()
  return l:find("pass") or l:find("secret") or l:find("token") or l:find("key") or l:find("credential")
end

--- The Grok name of an entity with a namespace ("Demo:" .. name).
function M.grok_name(e) return (e.namespace or "") .. e.name end

--- Adds a Files connection for every share directory under files/ that no connection
-- stands for yet (a share an upload created: `files/team.share` is `team:share`, the
-- names as lower-cased on disk); saves when it added one.
function M.add_share_connections(state)
  local known, added = {}, false
  for _, c in pairs(state.connections) do
    known[(M.grok_name(c):lower():gsub(":", "."))] = true
    if c.parameters and type(c.parameters.dir) == "string" then known[c.parameters.dir] = true end
  end
  for _, e in ipairs(fs.list(state.files_dir, false) or {}) do
    local ns, name = e.path:match("^(.+)%.([^.]+)$")
    if e.type == "dir" and not known[e.path] and ns then
      local now = reply.now()
      local id = core.uuid4()
      state.connections[id] = { id = id, name = name, namespace = ns .. ":", friendlyName = name,
                                description = "file share", dataSource = "Files",
                                parameters = { dir = e.path }, tags = { "files" }, createdOn = now,
                                updatedOn = now }
      added = true
    end
  end
  if added then state:save("connections") end
end

--- The connection addressed by id or Grok name (`.` for `:`, case-insensitive), or nil.
function M.find(state, ref)
  if state.connections[ref] then return state.connections[ref] end
  local want = ref:gsub("%.", ":"):lower()
  local found
  for _, c in pairs(state.connections) do
    if M.grok_name(c):lower() == want then return c end
    if c.name:lower() == want then found = found or c end
  end
  return found
end

--- The credentials bound to an entity, or nil.
local function credentials_of(state, entity_id)
  for _, c in pairs(state.credentials) do
    if c.entityBindId == entity_id then return c end
  end
end

--- The wire form of credentials; with_values: the parameters, secrets masked.
local function credentials_wire(state, cr, with_values)
  local params = {}
  if with_values then
    for k, v in pairs(cr.parameters or {}) do params[k] = secret_key(k) and MASK or v end
  end
  -- credentials belong to a group (the owner's personal group unless another was given)
  local users = require "datagrok.emulator.users"
  local g = state.groups[cr.group or users.ADMIN_GROUP_ID]
  return { ["#type"] = "Credentials", id = cr.id, parameters = params, openParameters = cr.openParameters or {},
           entityBindId = cr.entityBindId, group = g and groups.pruned(g) or null }
end

--- The wire form of a connection (its credentials without parameters).
function M.wire(state, c)
  local cr = credentials_of(state, c.id)
  local tags = array()
  for i, t in ipairs(c.tags or {}) do tags[i] = t end
  return { ["#type"] = "DataConnection", id = c.id, name = c.name, friendlyName = c.friendlyName or c.name,
           description = c.description or "", dataSource = c.dataSource, parameters = c.parameters or {},
           credentials = cr and credentials_wire(state, cr, false)
             or { ["#type"] = "Credentials", id = null, parameters = {}, openParameters = {}, entityBindId = c.id },
           createdOn = c.createdOn, updatedOn = c.updatedOn, tags = tags, namespace = c.namespace or null,
           nqName = M.grok_name(c) }
end

--- Checks a connection body; raises 400 naming what is wrong.
local function check_connection(body)
  if type(body) ~= "table" or json.is_array(body) then reply.bad_request("a connection must be a JSON object") end
  if type(body.name) ~= "string" or body.name == "" then reply.bad_request("a connection needs a name") end
  if body.dataSource ~= nil and not M.DATA_SOURCES[body.dataSource] then
    reply.bad_request(("unknown dataSource '%s'"):format(tostring(body.dataSource)))
  end
  if body.parameters ~= nil and body.parameters ~= null and type(body.parameters) ~= "table" then
    reply.bad_request("connection.parameters must be an object")
  end
end

--- Stores parameters into cr (a "***" value keeps what was stored).
local function merge_parameters(cr, params)
  local old = cr.parameters or {}
  cr.parameters = {}
  for k, v in pairs(type(params) == "table" and params or {}) do
    if v == MASK and old[k] ~= nil then v = old[k] end
    cr.parameters[k] = v
  end
end

--- Saves credentials for an entity from a Credentials body; returns the record.
local function store_credentials(state, entity_id, body)
  local cr = credentials_of(state, entity_id)
    or (type(body.id) == "string" and state.credentials[body.id])
  if not cr then
    cr = { id = type(body.id) == "string" and body.id ~= "" and body.id or core.uuid4(), entityBindId = entity_id }
    state.credentials[cr.id] = cr
  end
  cr.entityBindId = entity_id
  merge_parameters(cr, body.parameters)
  cr.openParameters = type(body.openParameters) == "table" and body.openParameters or {}
  local g = type(body.group) == "table" and body.group.id
  if g and state.groups[g] then cr.group = g end
  return cr
end
M.store_credentials = store_credentials

--- POST /public/v1/connections[?saveCredentials=]: create or update by id (or Grok name).
local function save(req, state)
  local body = reply.body_json(req)
  check_connection(body)
  local c = type(body.id) == "string" and state.connections[body.id] or nil
  local now = reply.now()
  if not c then
    local ns = type(body.namespace) == "string" and body.namespace ~= "" and body.namespace
      or (req.user.login:sub(1, 1):upper() .. req.user.login:sub(2) .. ":")
    local same = M.find(state, ns .. body.name)
    if same then reply.bad_request(("a connection '%s' exists"):format(M.grok_name(same))) end
    c = { id = type(body.id) == "string" and body.id ~= "" and body.id or core.uuid4(), namespace = ns,
          createdOn = now }
    state.connections[c.id] = c
  end
  c.name = body.name
  c.friendlyName = type(body.friendlyName) == "string" and body.friendlyName or c.friendlyName or body.name
  c.description = type(body.description) == "string" and body.description or c.description or ""
  c.dataSource = body.dataSource or c.dataSource or "Files"
  c.parameters = type(body.parameters) == "table" and body.parameters or c.parameters or {}
  c.tags = type(body.tags) == "table" and body.tags or c.tags or {}
  c.updatedOn = now
  if reply.bool_arg(req, "saveCredentials") and type(body.credentials) == "table" then
    store_credentials(state, c.id, body.credentials)
  end
  state:save_all("connections", "credentials")
  return reply.json(M.wire(state, c))
end

--- POST /public/v1/connections/test: "ok" when the connection is complete enough to open
-- (a database needs a server and credentials with a login), else the reason as a string.
local function test(req, state)
  local body = reply.body_json(req)
  check_connection(body)
  local p = type(body.parameters) == "table" and body.parameters or {}
  if body.dataSource == "Files" or body.dataSource == nil then
    return reply.json("ok")
  end
  if type(p.server) ~= "string" or p.server == "" then
    return reply.json(("cannot connect to %s: no server given"):format(body.name))
  end
  local cr = type(body.credentials) == "table" and body.credentials.parameters or nil
  local stored = type(body.id) == "string" and credentials_of(state, body.id)
  local login = (type(cr) == "table" and cr.login) or (stored and stored.parameters.login)
  if type(login) ~= "string" or login == "" then
    return reply.json(("cannot connect to %s: authentication failed (no login)"):format(body.name))
  end
  return reply.json("ok")
end

--- The entity an id or Grok name names, across the collections credentials bind to.
local function any_entity(state, ref)
  local c = M.find(state, ref)
  if c then return c.id end
  for _, coll in ipairs({ "packages", "functions" }) do
    if state[coll][ref] then return ref end
  end
end

function M.register(router)
  local base = "/public/v1/connections"
  router:post(base .. "/test", test)
  router:get(base .. "/([^/]+)", function(_, state, ref)
    M.add_share_connections(state)
    return reply.json(M.wire(state, M.find(state, ref) or reply.not_found("connection", ref)))
  end)
  router:delete(base .. "/([^/]+)", function(_, state, ref)
    local c = M.find(state, ref)
    if c then
      state.connections[c.id] = nil
      local cr = credentials_of(state, c.id)
      if cr then state.credentials[cr.id] = nil end
      state:save_all("connections", "credentials")
    end
    return reply.json({ deleted = c and c.id or null })
  end)
  local fields = {
    id = function(c) return c.id end, name = function(c) return c.name end,
    friendlyname = function(c) return c.friendlyName end, description = function(c) return c.description end,
    datasource = function(c) return c.dataSource end, namespace = function(c) return c.namespace end,
  }
  router:get(base, function(req, state)
    M.add_share_connections(state)
    local pred = filter.compile(req.args.text, fields, { "name", "friendlyname", "description" })
    local source = req.args.dataSource
    local want_tags = {}
    for t in (req.args.tags or ""):gmatch("[^,]+") do want_tags[#want_tags + 1] = t:match("^%s*(.-)%s*$") end
    local out = array()
    for _, c in ipairs(filter.select(state.connections, pred, "name")) do
      local ok = source == nil or source == "" or c.dataSource == source
      for _, t in ipairs(want_tags) do
        local has = false
        for _, ct in ipairs(c.tags or {}) do if ct == t then has = true end end
        ok = ok and has
      end
      if ok then out[#out + 1] = M.wire(state, c) end
    end
    return reply.json(out)
  end)
  router:post(base, save)

  router:get("/public/v1/credentials/for/([^/]+)", function(_, state, ref)
    local id = any_entity(state, ref) or reply.not_found("entity", ref)
    local cr = credentials_of(state, id)
    if not cr then cr = { id = null, entityBindId = id, parameters = {}, openParameters = {} } end
    return reply.json(credentials_wire(state, cr, true))
  end)
  router:post("/public/v1/credentials", function(req, state)
    local body = reply.body_json(req)
    if type(body) ~= "table" or json.is_array(body) then reply.bad_request("credentials must be a JSON object") end
    if type(body.entityBindId) ~= "string" or body.entityBindId == "" then
      reply.bad_request("credentials need an entityBindId")
    end
    local id = any_entity(state, body.entityBindId) or reply.not_found("entity", body.entityBindId)
    local cr = store_credentials(state, id, body)
    state:save("credentials")
    return reply.json(credentials_wire(state, cr, true))
  end)
  router:delete("/public/v1/credentials/([^/]+)", function(_, state, id)
    local cr = state.credentials[id] or reply.not_found("credentials", id)
    state.credentials[cr.id] = nil
    state:save("credentials")
    return reply.json({ deleted = cr.id })
  end)
end

return M
