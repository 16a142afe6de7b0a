--- The resource objects of a client, named as the resource-style Python client names
-- them (`dg.users`, `dg.groups`, `dg.functions`, `dg.connections`, `dg.credentials`,
-- `dg.packages`, `dg.published_packages`, `dg.shares`, `dg.tables`, `dg.files`), and the
-- client methods of the `grok` CLI (`dg:healthcheck()`, `dg:batch(ops)`,
-- `dg:raw(method, path [, opts])`).
--
-- Every request is a C binding of the session (src/client/*.c); this module turns
-- objects into arguments (an object where an id is expected, a name where a name is),
-- wraps answers in objects (models.lua, group.lua) and composes the few operations that
-- take several requests (`groups:add_member`, `users:block` of a login ...).
-- Optional trailing arguments are positional, as in Python, or one options table.
local Error = require "datagrok.error"
local core = require "datagrok.core"
local help_mod = require "datagrok.help"
local guard = require "datagrok.guard"
local json = require "datagrok.json"
local group = require "datagrok.group"
local models = require "datagrok.models"

local M = {}

--- Splits trailing optional arguments: one options table, or positional values named
-- by `names` (the client's convention).
local function options(names, ...)
  local n = select("#", ...)
  local a = ...
  if n == 1 and type(a) == "table" and getmetatable(a) == nil then return a end
  local out = {}
  for i, name in ipairs(names) do out[name] = (select(i, ...)) end
  return out
end

--- The id of an object (anything with an id) or the string itself.
local function id_of(v, what)
  if type(v) == "table" and v.id ~= nil then return v.id end
  if type(v) == "string" then return v end
  error(("bad argument (%s expected, got %s)"):format(what, type(v)), 3)
end

local function list_of(client, T, list)
  local out = {}
  for i, d in ipairs(list or {}) do out[i] = T.from_dict(client, d) end
  return out
end

--- Makes a resource type: name ("Users"), methods with one-line help
-- (`help[name] = "signature -- what it does"`); returns the constructor.
local function resource(name, methods, help)
  local mt = {__name = "datagrok." .. name, __index = methods}
  guard.all(methods, mt, "dg." .. name:gsub("(%l)(%u)", "%1_%2"):lower())
  help_mod.register(mt.__name, {title = ("datagrok.%s: dg.%s"):format(name, name:gsub("(%l)(%u)", "%1_%2"):lower()),
    values = function() return methods end, entries = help_mod.lines(help)})
  mt.__tostring = function(r) return ("datagrok.%s<%s>"):format(name, tostring(r._client)) end
  return function(client) return setmetatable({_client = client}, mt) end
end
M.resource = resource

local function session(r) return r._client._session end

-- ---------------------------------------------------------------- users

local Users = {}
local users_help = {
  get = "users:get(id_or_login) -> User -- one user",
  current = "users:current() -> User (the key's owner)",
  list = "users:list([smart_filter [, include_group]]) -> {User} (smart_filter: 'login = \"alice\"')",
  save = "users:save(user) -> User (create or update; a table of fields makes a new User)",
  block = "users:block(user_or_login) -> true (ends the user's sessions)",
  unblock = "users:unblock(user_or_login) -> true -- lets a blocked user in again",
  new = "users:new{login=, first_name=, last_name=, email=, status=} -> an unsaved User -- a user to save later",
}

function Users:get(ref)
  return models.User.from_dict(self._client, session(self):get_user(id_of(ref, "user id or login")))
end

function Users:current()
  return models.User.from_dict(self._client, session(self):current_user())
end

function Users:list(...)
  local o = options({"smart_filter", "include_group"}, ...)
  return list_of(self._client, models.User,
    session(self):list_users(o.smart_filter, o.include_group and "group" or nil))
end

function Users:new(fields)
  if fields ~= nil and type(fields) ~= "table" then
    error(("bad argument #1 to 'new' (table expected, got %s)"):format(type(fields)), 2)
  end
  fields = fields or {}
  local u = models.User.new(self._client, fields)
  u.status = u.status or "active"
  return u
end

--- A User object from a User or a table of fields.
local function as_user(r, u)
  if models.is(u, "User") then return u end
  if type(u) ~= "table" then error(("bad argument #1 (User expected, got %s)"):format(type(u)), 3) end
  return r:new(u)
end

function Users:save(u)
  u = as_user(self, u)
  u:ensure_id()
  return models.User.from_dict(self._client, session(self):save_user(u:to_dict()))
end

--- The full record of a user (a login or id is fetched first, as the CLI does).
local function full_user(r, u)
  if type(u) == "string" then return r:get(u) end
  return as_user(r, u)
end

function Users:block(u) return session(self):block_user(full_user(self, u):to_dict()) end
function Users:unblock(u) return session(self):unblock_user(full_user(self, u):to_dict()) end

M.users = resource("Users", Users, users_help)

-- ---------------------------------------------------------------- groups

local Groups = {}
local groups_help = {
  list = "groups:list([smart_filter [, include_personal [, include_members [, include_memberships]]]]) -> {Group} -- the groups, filtered",
  find = "groups:find(query) -> {Group} (substring match on names)",
  get = "groups:get(id_or_name) -> Group with members and memberships -- one group, loaded",
  get_members = "groups:get_members(group [, admin]) -> {Group} -- the members; admin true/false/nil",
  get_memberships = "groups:get_memberships(group [, admin]) -> {Group} -- the groups it belongs to",
  save = "groups:save(group [, save_relations]) -> Group -- creates or updates a group",
  delete = "groups:delete(group) -> true -- deletes a group",
  current = "groups:current() -> Group (the caller's personal group)",
  resolve = "groups:resolve(ref [, {user = true}]) -> Group (id, name, login, User or Group, as grok s does)",
  add_member = "groups:add_member(parent, child [, is_admin [, {user = true}]]) -> Group, 'added'|'updated'|'noop' -- adds a member or sets its admin flag, keeping the others",
  remove_member = "groups:remove_member(parent, child [, {user = true}]) -> Group, 'removed'|'not-member' -- removes a member, keeping the others",
}

function Groups:list(...) return self._client:list_groups(...) end
function Groups:find(query) return self._client:lookup_groups(query) end
function Groups:get(ref) return self._client:get_group(id_of(ref, "group id or name")) end
function Groups:get_members(g, ...) return self._client:get_group_members(id_of(g, "group"), ...) end
function Groups:get_memberships(g, ...) return self._client:get_group_memberships(id_of(g, "group"), ...) end
function Groups:save(g, ...) return self._client:save_group(g, ...) end
function Groups:delete(g) return session(self):delete_group(id_of(g, "group")) end
function Groups:current() return group.group_from_dict(self._client, session(self):current_group()) end

local UUID = "^%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$"

local function not_found(what, ref)
  return Error.new("API_ERROR", ("%s '%s' not found"):format(what, tostring(ref)), {api_code = 404})
end

--- Resolves a group reference as `grok s groups` does: a Group as it is; a User to its
-- personal group; a UUID by id; a name (or login) by lookup, where an exact name or
-- friendly name wins over substring matches. opts.user = true keeps personal groups
-- only. Raises API_ERROR (api_code 404) when nothing matches and USAGE when the name
-- is ambiguous (the message lists the candidates).
function Groups:resolve(ref, opts)
  opts = opts or {}
  if group.is_group(ref) then return ref end
  if models.is(ref, "User") then
    if ref.group and ref.group.id then return ref.group end
    ref = ref.login or error(Error.new("USAGE", "the user has neither a group nor a login"), 2)
    opts = {user = true}
  end
  if type(ref) ~= "string" or ref == "" then
    error(("bad argument (group, user or name expected, got %s)"):format(type(ref)), 2)
  end
  if ref:match(UUID) then return self._client:get_group(ref) end
  local candidates = {}
  for _, g in ipairs(self._client:lookup_groups(ref)) do
    if not opts.user or g.personal then candidates[#candidates + 1] = g end
  end
  local exact, want = {}, ref:lower()
  for _, g in ipairs(candidates) do
    if (g.name or ""):lower() == want or (g.friendly_name or ""):lower() == want then exact[#exact + 1] = g end
  end
  if #exact == 1 then return exact[1] end
  if #exact == 0 and #candidates == 1 then return candidates[1] end
  if #candidates == 0 then error(not_found(opts.user and "user" or "group", ref), 2) end
  local names = {}
  for _, g in ipairs(#exact > 1 and exact or candidates) do
    names[#names + 1] = ("%s (%s%s)"):format(tostring(g.friendly_name or g.name), tostring(g.id),
      g.personal and ", personal" or "")
  end
  error(Error.new("USAGE", ("'%s' is ambiguous: %s; pass an id%s"):format(ref, table.concat(names, ", "),
    opts.user and "" or " or {user = true}")), 2)
end

--- The parent as the server has it now (members included): editing the relations of a
-- lookup result, which carries none, would drop every member on save.
local function fetch_parent(r, parent, opts)
  local g = r:resolve(parent, opts and opts.parent_opts)
  return r._client:get_group(g.id)
end

function Groups:add_member(parent, child, is_admin, opts)
  if type(is_admin) == "table" then is_admin, opts = is_admin.is_admin, is_admin end
  is_admin = is_admin == true
  local p = fetch_parent(self, parent)
  local c = self:resolve(child, opts)
  for _, rel in ipairs(p.children) do
    if rel.child and rel.child.id == c.id then
      if rel.is_admin == is_admin then return p, "noop" end
      rel.is_admin = is_admin
      return self._client:save_group(p, true), "updated"
    end
  end
  p.children[#p.children + 1] = group.relation_from_dict(self._client, {
    id = core.uuid4(), isAdmin = is_admin, parent = {id = p.id}, child = {id = c.id, name = c.name}})
  return self._client:save_group(p, true), "added"
end

function Groups:remove_member(parent, child, opts)
  local p = fetch_parent(self, parent)
  local c = self:resolve(child, opts)
  for i, rel in ipairs(p.children) do
    if rel.child and rel.child.id == c.id then
      table.remove(p.children, i)
      return self._client:save_group(p, true), "removed"
    end
  end
  return p, "not-member"
end

M.groups = resource("Groups", Groups, groups_help)

-- ---------------------------------------------------------------- functions

local Functions = {}
local functions_help = {
  get = "functions:get(id_or_grok_name) -> Func | Script | DataQuery -- one function, script or query",
  list = "functions:list([smart_filter]) -> {Func} -- the functions, filtered",
  list_scripts = "functions:list_scripts([smart_filter]) -> {Script} -- the scripts, filtered",
  list_queries = "functions:list_queries([smart_filter]) -> {DataQuery} -- the queries, filtered",
  call = "functions:call(func_or_name [, params]) -> the result (never retried)",
  create_script = "functions:create_script(script [, name [, {language=, params=, description=}]]) -> Script -- saves a script",
  create_query = "functions:create_query(connection, query [, name]) -> DataQuery -- saves a query on a connection",
  save = "functions:save(func) -> the saved Script or DataQuery -- creates or updates a script or query",
}

function Functions:get(ref)
  return models.func_from_dict(self._client, session(self):get_function(id_of(ref, "function id or name")))
end

local function funcs_of(client, list)
  local out = {}
  for i, d in ipairs(list or {}) do out[i] = models.func_from_dict(client, d) end
  return out
end

function Functions:list(smart_filter)
  return funcs_of(self._client, session(self):list_functions(smart_filter))
end

local function with_source(source, smart_filter)
  local f = ('source="%s"'):format(source)
  if smart_filter and smart_filter ~= "" then f = f .. " and " .. smart_filter end
  return f
end
function Functions:list_scripts(smart_filter) return self:list(with_source("script", smart_filter)) end
function Functions:list_queries(smart_filter) return self:list(with_source("data-query", smart_filter)) end

function Functions:call(func, params)
  if type(func) == "table" and func.grok_name then func = func.grok_name end
  if type(func) ~= "string" then
    error(("bad argument #1 to 'call' (function name or Func expected, got %s)"):format(type(func)), 2)
  end
  return session(self):call_func(func, params)
end

function Functions:save(f)
  if not (models.is(f, "Script") or models.is(f, "DataQuery") or models.is(f, "Func")) then
    error(("bad argument #1 to 'save' (Script or DataQuery expected, got %s)"):format(type(f)), 2)
  end
  f:ensure_id()
  return models.func_from_dict(self._client, session(self):save_function(f:to_dict()))
end

function Functions:create_script(script, ...)
  local o
  if type(script) == "table" then
    o = script -- create_script{script=, name=, language=, ...}
    script = o.script
  else
    o = options({"name", "opts"}, ...) -- (script, name, opts) or (script, opts)
    for k, v in pairs(type(o.opts) == "table" and o.opts or {}) do
      if o[k] == nil then o[k] = v end
    end
  end
  if type(script) ~= "string" then
    error(("bad argument #1 to 'create_script' (string expected, got %s)"):format(type(script)), 2)
  end
  return self:save(models.Script.new(self._client, {script = script, name = o.name, language = o.language,
    description = o.description, params = o.params, tags = o.tags}))
end

function Functions:create_query(connection, query, name)
  if type(connection) == "table" and getmetatable(connection) == nil then
    local o = connection
    connection, query, name = o.connection, o.query, o.name
  end
  if type(connection) == "string" then connection = self._client.connections:get(connection) end
  if not models.is(connection, "DataConnection") then
    error(("bad argument #1 to 'create_query' (DataConnection or its name expected, got %s)")
      :format(type(connection)), 2)
  end
  if type(query) ~= "string" then
    error(("bad argument #2 to 'create_query' (string expected, got %s)"):format(type(query)), 2)
  end
  return self:save(models.DataQuery.new(self._client, {query = query, connection = connection, name = name}))
end

M.functions = resource("Functions", Functions, functions_help)

-- ---------------------------------------------------------------- connections

local Connections = {}
local connections_help = {
  get = "connections:get(id_or_grok_name) -> DataConnection -- one data connection",
  list = "connections:list([smart_filter [, data_source [, tags]]]) -> {DataConnection} -- the data connections, filtered",
  save = "connections:save(conn [, save_credentials]) -> DataConnection (a table of fields makes a new one)",
  delete = "connections:delete(conn) -> true -- deletes a data connection",
  test = "connections:test(conn_or_name) -> true, or raises API_ERROR with the server's reason -- asks the server to connect",
  new = "connections:new{name=, data_source=, parameters=, credentials={login=, password=}} -> unsaved DataConnection -- a connection to save later",
}

function Connections:get(ref)
  return models.DataConnection.from_dict(self._client,
    session(self):get_connection(id_of(ref, "connection id or name")))
end

function Connections:list(...)
  local o = options({"smart_filter", "data_source", "tags"}, ...)
  return list_of(self._client, models.DataConnection,
    session(self):list_connections(o.smart_filter, o.data_source, o.tags))
end

function Connections:new(fields)
  if type(fields) ~= "table" then
    error(("bad argument #1 to 'new' (table expected, got %s)"):format(type(fields)), 2)
  end
  return models.DataConnection.new(self._client, fields)
end

local function as_connection(r, c)
  if models.is(c, "DataConnection") then return c end
  if type(c) == "table" then return r:new(c) end
  error(("bad argument #1 (DataConnection expected, got %s)"):format(type(c)), 3)
end

function Connections:save(conn, ...)
  local o = options({"save_credentials"}, ...)
  conn = as_connection(self, conn)
  conn:ensure_id()
  return models.DataConnection.from_dict(self._client,
    session(self):save_connection(o.save_credentials == true, conn:to_dict()))
end

function Connections:delete(conn) return session(self):delete_connection(id_of(conn, "connection")) end

--- Replaces every secret value of dict (its "parameters" tables) in text by "***".
local function scrub(text, dict)
  local function walk(t, depth)
    for k, v in pairs(t) do
      if type(v) == "table" and depth < 8 then
        if k == "parameters" then
          for _, s in pairs(v) do
            if type(s) == "string" and #s >= 4 then
              text = text:gsub(s:gsub("%W", "%%%0"), "***")
            end
          end
        else
          walk(v, depth + 1)
        end
      end
    end
  end
  walk(dict, 0)
  return text
end

function Connections:test(conn)
  if type(conn) == "string" then conn = self:get(conn) end
  conn = as_connection(self, conn)
  if conn.data_source == "AWS" then
    error(Error.new("USAGE", "a connection with data source AWS (Secrets Manager) cannot be tested"), 2)
  end
  local dict = conn:to_dict()
  local verdict = session(self):test_connection(dict)
  if verdict == "ok" then return true end
  error(Error.new("API_ERROR", "connection is not available: " .. scrub(tostring(verdict), dict),
    {method = "POST"}), 2)
end

M.connections = resource("Connections", Connections, connections_help)

-- ---------------------------------------------------------------- credentials

local CredentialsR = {}
local credentials_help = {
  for_entity = "credentials:for_entity(entity_or_id) -> Credentials (parameters print as <redacted>)",
  save = "credentials:save(credentials) -> true (needs entity_bind_id)",
  delete = "credentials:delete(credentials_or_id) -> true -- deletes credentials",
}

function CredentialsR:for_entity(entity)
  return models.Credentials.from_dict(self._client,
    session(self):get_credentials_for(id_of(entity, "entity id")))
end

function CredentialsR:save(cr)
  if not models.is(cr, "Credentials") then
    if type(cr) ~= "table" then
      error(("bad argument #1 to 'save' (Credentials expected, got %s)"):format(type(cr)), 2)
    end
    cr = models.Credentials.new(self._client, cr)
  end
  if cr.entity_bind_id == nil then
    error("bad argument #1 to 'save' (credentials need entity_bind_id)", 2)
  end
  return session(self):save_credentials(cr:to_dict())
end

function CredentialsR:delete(cr) return session(self):delete_credentials(id_of(cr, "credentials")) end

M.credentials = resource("Credentials", CredentialsR, credentials_help)

-- ---------------------------------------------------------------- packages

local Packages, Published = {}, {}
local packages_help = {
  get = "packages:get(id_or_name) -> Package -- one package",
  list = "packages:list([smart_filter]) -> {Package} (smart_filter: 'shortName = \"Chem\"')",
}
local published_help = {
  get = "published_packages:get(id) -> PublishedPackage -- one published version",
  list = "published_packages:list([smart_filter [, package_id]]) -> {PublishedPackage} -- the published versions, filtered",
}

function Packages:get(ref)
  return models.Package.from_dict(self._client, session(self):get_package(id_of(ref, "package id or name")))
end
function Packages:list(smart_filter)
  return list_of(self._client, models.Package, session(self):list_packages(smart_filter))
end
function Published:get(id)
  return models.PublishedPackage.from_dict(self._client,
    session(self):get_published_package(id_of(id, "published package id")))
end
function Published:list(...)
  local o = options({"smart_filter", "package_id"}, ...)
  local pid = o.package_id
  if pid ~= nil then pid = id_of(pid, "package id") end
  return list_of(self._client, models.PublishedPackage, session(self):list_published_packages(o.smart_filter, pid))
end

M.packages = resource("Packages", Packages, packages_help)
M.published_packages = resource("PublishedPackages", Published, published_help)

-- ---------------------------------------------------------------- shares

local Shares = {}
local shares_help = {
  share = "shares:share(entity, groups [, access]) -> ShareResponse -- groups: 'A,B' or {name, Group, User}; "
    .. "access 'View' (default) or 'Edit'; raises when every group failed",
}

function Shares:share(entity, groups, ...)
  local o = options({"access"}, ...)
  local access = o.access or "View"
  if access ~= "View" and access ~= "Edit" then
    error("bad argument #3 to 'share' (access must be \"View\" or \"Edit\")", 2)
  end
  if type(groups) == "table" and not group.is_group(groups) and not models.is(groups, "User") then
    local names = {}
    for i, g in ipairs(groups) do
      if group.is_group(g) then names[i] = g.name
      elseif models.is(g, "User") then names[i] = g.login
      else names[i] = tostring(g) end
    end
    groups = names
  elseif group.is_group(groups) then groups = groups.name
  elseif models.is(groups, "User") then groups = groups.login
  end
  local r = models.ShareResponse.from_dict(self._client,
    session(self):share_entity(id_of(entity, "entity id or name"), groups, access))
  if r.status == "failed" then
    local why = {}
    for _, f in ipairs(r.failed) do
      why[#why + 1] = type(f) == "table" and tostring(f.reason or f.group or json.encode(f)) or tostring(f)
    end
    error(Error.new("API_ERROR", "sharing failed: " .. table.concat(why, "; ")), 2)
  end
  return r
end

M.shares = resource("Shares", Shares, shares_help)

-- ---------------------------------------------------------------- tables

local Tables = {}
local tables_help = {
  download = "tables:download(name_or_id) -> DataFrame -- a table, parsed as it arrives",
  upload = "tables:upload(name, df_or_csv_path) -> the server's identifiers -- uploads a DataFrame or a CSV file",
  create_dashboard = "tables:create_dashboard(name, table_ids [, layout_filename]) -> identifiers -- a dashboard of these tables",
}
function Tables:download(name) return self._client:download_table(name) end
function Tables:upload(name, df) return self._client:upload_table(name, df) end
function Tables:create_dashboard(name, ids, ...) return self._client:create_dashboard(name, ids, ...) end
M.tables = resource("Tables", Tables, tables_help)

-- ---------------------------------------------------------------- client methods

--- dg:healthcheck([module]) -> {status=, server=, version=, time=, services=}
function M.healthcheck(client, module) return client._session:healthcheck(module) end


--- Makes every table under a "parameters" key in v a Secret (printed with its keys only):
-- a batch's results carry connections and credentials as plain wire tables.
local function hide_parameters(v, depth)
  if type(v) ~= "table" or depth > 16 then return end
  for k, x in pairs(v) do
    if k == "parameters" and type(x) == "table" and getmetatable(x) == nil then
      setmetatable(x, models.Secret)
    else
      hide_parameters(x, depth + 1)
    end
  end
end

--- dg:raw(method, path [, opts]) -> value, status (src/client/raw.c). Tables under a
-- "parameters" key of a JSON answer print with their keys only, as in objects.
function M.raw(client, method, path, opts)
  local v, status = client._session:raw(method, path, opts)
  hide_parameters(v, 0)
  return v, status
end

--- The wire form of a batch parameter value: objects as their dicts.
local function wire(v, depth)
  if type(v) ~= "table" or depth > 16 then return v end
  if type(v.to_dict) == "function" then
    if type(v.ensure_id) == "function" then v:ensure_id() end -- as a save would
    return v:to_dict()
  end
  if getmetatable(v) ~= nil then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = wire(x, depth + 1) end
  return out
end

--- dg:batch(ops [, opts]) -> {summary=, results=, ok=}. ops: array of {id=, action=,
-- params=, depends_on= (or dependsOn) {ids}}; opts: stop_on_error, transaction,
-- concurrency. Objects in params are sent as their wire form, with an id ensured as
-- a save would. Never retried.
function M.batch(client, ops, opts)
  if type(ops) ~= "table" then error(("bad argument #1 to 'batch' (table expected, got %s)"):format(type(ops)), 2) end
  if opts ~= nil and type(opts) ~= "table" then
    error(("bad argument #2 to 'batch' (table expected, got %s)"):format(type(opts)), 2)
  end
  opts = opts or {}
  local operations = json.array({})
  for i, op in ipairs(ops) do
    if type(op) ~= "table" or type(op.action) ~= "string" then
      error(("bad argument #1 to 'batch' (operation %d needs an action)"):format(i), 2)
    end
    local deps = op.depends_on or op.dependsOn
    operations[i] = {id = op.id, action = op.action, params = wire(op.params or {}, 0),
                     dependsOn = deps and json.array({table.unpack(deps)}) or nil}
  end
  local body = {operations = operations, options = {stopOnError = opts.stop_on_error == true or nil,
    transaction = opts.transaction == true or nil, concurrency = opts.concurrency}}
  local res = client._session:batch(body)
  hide_parameters(res, 0)
  if type(res) == "table" then
    -- ok: nothing failed, was skipped or partial; from the summary, else from the results
    local s = type(res.summary) == "table" and res.summary or nil
    if s then
      res.ok = (s.failed or 0) == 0 and (s.skipped or 0) == 0 and (s.partial or 0) == 0
    else
      res.ok = true
      for _, r in ipairs(type(res.results) == "table" and res.results or {}) do
        if type(r) ~= "table" or r.status ~= "success" then res.ok = false end
      end
    end
  end
  return res
end

--- The one-line help of the client methods this module adds.
M.client_help = {
  healthcheck = "dg:healthcheck([module]) -> {status, server, version, time, services} -- the server's (or a module's) health",
  raw = "dg:raw(method, path [, {query=, body=, content_type=, retry=}]) -> value, status -- any request to the API, with the client's key, retries and errors",
  batch = "dg:batch({{id=, action=, params=, depends_on=}...} [, {stop_on_error=, transaction=}]) -> "
    .. "{summary, results, ok} -- runs several operations in one request, in dependency order",
}

--- Adds the resources and methods to the client module (client.lua's M).
function M.install(client_mod)
  for _, name in ipairs({"users", "groups", "functions", "connections", "credentials", "packages",
    "published_packages", "shares", "tables"}) do
    client_mod.subclients[name] = M[name]
  end
  client_mod.methods.healthcheck = M.healthcheck
  client_mod.methods.raw = M.raw
  client_mod.methods.batch = M.batch
  --- datagrok.help(dg): the resources and the client methods this module adds
  local entries = help_mod.lines(M.client_help)
  for name in pairs(client_mod.subclients) do
    entries[#entries + 1] = {name, "dg." .. name, "help(dg." .. name .. ")"}
  end
  help_mod.register(client_mod.Client.__name, {entries = entries})
end

return M
