--- The Client: `datagrok.new(api_key, base_url)` and `datagrok.connect(opts)`
-- (docs/lua-api.md, "Clients"). Every operation is a C binding on the client's session
-- ("datagrok.client.core"); this module handles configuration, the optional
-- trailing arguments (positional as in Python, or one options table) and wraps
-- results in objects (lua/datagrok/group.lua).
local session_core = require "datagrok.client.core"
local Error = require "datagrok.error"
local group = require "datagrok.group"
local help = require "datagrok.help"
local guard = require "datagrok.guard"

local M = {}

local Client = {}
local methods = {}
Client.__name = "datagrok.Client"

-- client -> its API key, kept out of the table so that no dump shows it
local keys = setmetatable({}, {__mode = "k"})

--- Methods are wrapped by datagrok.guard: misuse points at the caller's line.
M.guard = guard.method

-- implementation -> its guarded method (methods and delegated operations, wrapped on first use)
local guarded = setmetatable({}, {__mode = "k"})

--- dg.api_key reads the key (the seed's attribute); everything else is a method:
-- one of `methods` below, or else a session operation of the same name (a C
-- binding whose result needs no wrapping), delegated as it is; either is guarded
-- (M.guard).
function Client.__index(t, k)
  if k == "api_key" then return keys[t] end
  local sub = M.subclients[k]
  if sub then
    local v = sub(t)
    rawset(t, k, v)
    return v
  end
  local m = methods[k]
  if m == nil and type(k) == "string" and k:sub(1, 1) ~= "_" then
    local op = rawget(t, "_session")[k]
    if type(op) == "function" then
      m = function(self, ...) return op(self._session, ...) end
      methods[k] = m
    end
  end
  if m == nil then return nil end
  local g = guarded[m]
  if not g then
    g = M.guard(k, m, Client, "dg")
    guarded[m] = g
  end
  return g
end

--- REPL completion: the Lua methods and the session's operations.
function Client.__complete(t)
  local names = {"api_key"}
  for k in pairs(methods) do names[#names + 1] = k end
  for k in pairs(M.subclients) do names[#names + 1] = k end
  for k in pairs(getmetatable(rawget(t, "_session")).__index) do
    if methods[k] == nil then names[#names + 1] = k end
  end
  return names
end

--- tostring(dg): "datagrok.Client<https://host/api>", never the key.
function Client.__tostring(t)
  return ("datagrok.Client<%s>"):format(t._session:url() or "closed")
end

--- Closing a client (also `local dg <close> = ...`) releases its connection.
function Client.__close(t) t._session:close() end

local Headers = {__name = "datagrok.Headers"}
--- tostring(dg.headers): the header names with the values redacted.
function Headers.__tostring(h)
  local names = {}
  for k in pairs(h) do names[#names + 1] = tostring(k) .. " = <redacted>" end
  table.sort(names)
  return "datagrok.Headers{" .. table.concat(names, ", ") .. "}"
end

-- The transport options of new and connect, with their types.
local session_options = {timeout = "number", connect_timeout = "number",
  low_speed_time = "number", retries = "number", max_backoff = "number", ca_file = "string",
  allow_http = "boolean", progress = "boolean"}

local function make(api_key, base_url, opts)
  local conf = {base_url = base_url, authorization = api_key}
  for k in pairs(session_options) do conf[k] = opts[k] end
  local self = setmetatable({
    _session = session_core.session(conf),
    base_url = base_url,
    headers = setmetatable({Authorization = api_key}, Headers),
  }, Client)
  keys[self] = api_key
  return self
end

--- datagrok.new(api_key, base_url [, opts]) -> Client. The older Python client's order;
-- api_key is sent verbatim as Authorization (documented form "Bearer <key>").
-- opts: timeout, connect_timeout, low_speed_time, retries, max_backoff, ca_file,
-- allow_http. Raises Error{code="CONFIG"} for a bad URL or a key over plain http.
function M.new(api_key, base_url, opts)
  session_core.note_key(api_key) -- a secret from now on, even if the arguments are refused
  if api_key ~= nil and type(api_key) ~= "string" then
    error(("bad argument #1 to 'new' (string expected, got %s)"):format(type(api_key)), 2)
  end
  if type(base_url) ~= "string" then
    error(("bad argument #2 to 'new' (string expected, got %s)"):format(type(base_url)), 2)
  end
  if opts ~= nil and type(opts) ~= "table" then
    error(("bad argument #3 to 'new' (table expected, got %s)"):format(type(opts)), 2)
  end
  return make(api_key, base_url, opts or {})
end

local function env(name)
  local v = os.getenv(name)
  if v and v ~= "" then return v end
end

-- The options connect knows, with their types: its own and the transport options.
local connect_options = {url = "string", api_key = "string", profile = "string",
  config_file = "string"}
for k, t in pairs(session_options) do connect_options[k] = t end

local function usage(fmt, ...) return Error.new("USAGE", fmt:format(...)) end

--- Checks connect's options: unknown names and wrong types raise USAGE.
local function check_connect_options(opts)
  for k, v in pairs(opts) do
    local want = connect_options[k]
    if not want then
      local names = {}
      for n in pairs(connect_options) do names[#names + 1] = n end
      table.sort(names)
      error(usage("datagrok.connect: unknown option '%s' (options: %s)", tostring(k),
        table.concat(names, ", ")), 3)
    end
    if type(v) ~= want then
      error(usage("datagrok.connect: option '%s' must be a %s, got %s", k, want, type(v)), 3)
    end
  end
  if opts.url and opts.profile then
    error(usage("datagrok.connect: give url= or profile=, not both"), 3)
  end
end

--- Where the server comes from, by precedence: explicit arguments (url=, profile=),
-- then the environment (DATAGROK_URL or DATAGROK_API_URL, DATAGROK_PROFILE), then the
-- profiles file's `default:`. Returns url, key, profile (a resolved profile or nil).
-- A profile's key goes only to that profile's url, and an environment key never to
-- a profile's url.
local function choose_server(opts)
  if opts.url then return opts.url, opts.api_key or env("DATAGROK_API_KEY") end
  if opts.profile then
    local p = require("datagrok.profile").resolve(opts.profile, opts.config_file,
      "profile= of datagrok.connect")
    return p.url, opts.api_key or p.key, not opts.api_key and p or nil
  end
  local url = env("DATAGROK_URL") or env("DATAGROK_API_URL")
  if url then return url, opts.api_key or env("DATAGROK_API_KEY") end
  local profile = require "datagrok.profile"
  local name = env("DATAGROK_PROFILE")
  if name or opts.config_file or profile.default_file_exists() then
    if not name and not profile.default_file_exists(opts.config_file) then
      error(Error.new("CONFIG", ("no Datagrok server configured: the profiles file %s does not "
        .. "exist"):format(profile.path(opts.config_file))), 0)
    end
    local p = profile.resolve(name, opts.config_file, name and "DATAGROK_PROFILE" or nil)
    return p.url, opts.api_key or p.key, not opts.api_key and p or nil
  end
  return nil, opts.api_key or env("DATAGROK_API_KEY")
end

--- datagrok.connect([opts]) -> Client. opts: url, api_key, profile, config_file and the
-- options of `new`; any other option raises USAGE. The server is chosen by
-- choose_server above. An API key (argument or DATAGROK_API_KEY) is sent as
-- "Bearer <key>"; a profile's developer key is exchanged once, here, for a session
-- token (POST /users/login/dev/<key>, as the grok CLI does), which stays inside the
-- session: dg.api_key is nil then. Raises CONFIG (exit 2) when no server or no key is
-- configured or the profile is missing, and the login's errors (a refused key: exit 3).
function M.connect(opts)
  if opts ~= nil and type(opts) ~= "table" then
    error(("bad argument #1 to 'connect' (table expected, got %s)"):format(type(opts)), 2)
  end
  opts = opts or {}
  check_connect_options(opts)
  local url, key, profile = choose_server(opts)
  session_core.note_key(key) -- a secret from now on, even if the client is then refused
  session_core.note_key(profile and profile.key)
  if not url then
    error(Error.new("CONFIG", "no Datagrok server configured: pass url= or profile= to "
      .. "datagrok.connect, set DATAGROK_URL (or DATAGROK_API_URL) or DATAGROK_PROFILE, or add "
      .. "a default profile to ~/.grok/config.yaml"), 2)
  end
  if profile then
    local self = make(nil, url, opts)
    self._session:login_dev(profile.key)
    rawset(self, "profile", profile.name)
    return self
  end
  if not key then
    error(Error.new("CONFIG", "no API key configured: pass api_key= to datagrok.connect "
      .. "or set DATAGROK_API_KEY"), 2)
  end
  if not key:match("^[Bb]earer ") then key = "Bearer " .. key end
  return make(key, url, opts)
end

--- Splits trailing optional arguments: one options table at position `first`,
-- or positional values named by `names`. Returns a table of them.
local function options(names, first, ...)
  local n = select("#", ...)
  local a = select(first, ...)
  if n == first and type(a) == "table" and getmetatable(a) == nil then return a end
  local out = {}
  for i, name in ipairs(names) do out[name] = (select(first + i - 1, ...)) end
  return out
end

--- A group id from an id string or a Group object.
local function gid(v)
  if type(v) == "table" and v.id ~= nil then return v.id end
  return v
end

--- The group dict `d` a call answered, checked: the session already refuses what is
-- not a JSON object (PROTOCOL); an object without a string id is refused here too,
-- as no Group can be made of it (it printed as Group<nil>, and saving it would create one).
local function one_group(d, call)
  if type(d) ~= "table" or type(d.id) ~= "string" or d.id == "" then
    error(Error.new("PROTOCOL", ("the server's answer to %s is not a group: it has no id"):format(call)), 3)
  end
  return d
end

--- Groups from a list of wire dicts; `relations` as for group.group_from_dict.
local function groups_of(self, list, relations)
  local out = {}
  for i, d in ipairs(list or {}) do out[i] = group.group_from_dict(self, d, relations) end
  return out
end

--- dg:share_dashboard(id, groups [, access]) -> true. groups: comma-separated names
-- or an array; access "View" (default) or "Edit".
function methods.share_dashboard(self, id, groups, ...)
  local o = options({"access"}, 1, ...)
  return self._session:share_dashboard(id, groups, o.access)
end

--- dg:create_dashboard(name, table_ids [, layout_filename]) -> the server's identifiers.
function methods.create_dashboard(self, name, table_ids, ...)
  local o = options({"layout_filename"}, 1, ...)
  return self._session:create_dashboard(name, table_ids, o.layout_filename)
end

--- dg:sync_dir(connector, remote_path, dir [, ext [, recursive [, sync_meta_file]]]) or
-- dg:sync_dir(connector, remote_path, dir, opts) -> the report {written=, deleted=,
-- unchanged=, failed= (sorted relative paths), reasons=, bytes=, dry_run=}.
-- opts adds dry_run, max_delete (a count or "N%"), allow_empty. Raises LOCKED,
-- UNSAFE_SYNC, PARTIAL (err.report) and the HTTP errors (src/sync.h).
function methods.sync_dir(self, connector, remote_path, dir, ...)
  return self._session:sync_dir(connector, remote_path, dir, ...)
end

--- dg:call_function(name, params) -> the decoded result. Never retried.
function methods.call_function(self, name, params)
  return self._session:call_function(name, params)
end

--- dg:list_groups([smart_filter [, include_personal [, include_members
-- [, include_memberships]]]]) -> array of Group. Also dg:list_groups{smart_filter=, ...}.
function methods.list_groups(self, ...)
  local o = options({"smart_filter", "include_personal", "include_members",
    "include_memberships"}, 1, ...)
  local relations = (o.include_members and o.include_memberships and "all")
    or (o.include_members and "children") or (o.include_memberships and "parents") or nil
  return groups_of(self, self._session:list_groups(o.smart_filter, o.include_personal,
    o.include_members, o.include_memberships), relations)
end

--- dg:lookup_groups(query) -> array of Group (substring match on names), relations
-- not loaded.
function methods.lookup_groups(self, query)
  return groups_of(self, self._session:lookup_groups(query))
end

--- dg:get_group(group_id) -> Group with members and memberships.
function methods.get_group(self, id)
  return group.group_from_dict(self, one_group(self._session:get_group(gid(id)), "get_group"), "all")
end

--- Whether two names are the same: exactly, or (case = false) without letter case.
local function same_name(a, b, exact)
  if type(a) ~= "string" then return false end
  if exact then return a == b end
  return a:lower() == b:lower()
end

--- The groups among `list` named `name`: exact-case matches when there are any,
-- else the matches without letter case.
local function named(list, name)
  for _, exact in ipairs({true, false}) do
    local out = {}
    for _, g in ipairs(list) do
      if same_name(g.name, name, exact) then out[#out + 1] = g end
    end
    if #out > 0 then return out end
  end
  return {}
end

--- Looks a group up by its exact name among personal (true) or shared (false) groups.
local function find_named(self, fname, name, personal)
  if type(name) ~= "string" or name == "" then
    error(("bad argument #1 to '%s' (non-empty string expected, got %s)"):format(fname,
      name == "" and "empty string" or type(name)), 3)
  end
  local candidates = {}
  for _, g in ipairs(self:lookup_groups(name)) do
    if (g.personal == true) == personal then candidates[#candidates + 1] = g end
  end
  local found = named(candidates, name)
  if #found == 0 then return nil end
  if #found > 1 then
    local ids = {}
    for i, g in ipairs(found) do ids[i] = ("%s (%s)"):format(g.name, g.id) end
    error(Error.new("AMBIGUOUS", ("%s: %d %s are named '%s': %s; use its id"):format(fname, #found,
      personal and "users" or "groups", name, table.concat(ids, ", "))), 3)
  end
  return self:get_group(found[1].id)
end

--- dg:find_group(name) -> the shared (non-personal) Group named `name`, with members
-- and memberships loaded; nil when there is none. Names compare exactly when a group
-- has exactly that name, else without letter case; two matches raise AMBIGUOUS.
function methods.find_group(self, name)
  return find_named(self, "find_group", name, false)
end

--- dg:find_user_group(login) -> the personal Group of the user `login` (loaded), or
-- nil when there is no such user. The user is looked up by login (GET
-- /public/v1/users/<login>), as the grok CLI does, not guessed from group names.
function methods.find_user_group(self, login)
  if type(login) ~= "string" or login == "" then
    error(("bad argument #1 to 'find_user_group' (non-empty string expected, got %s)"):format(
      login == "" and "empty string" or type(login)), 2)
  end
  local ok, user = pcall(self.users.get, self.users, login)
  if not ok then
    if type(user) == "table" and (user.status == 404 or user.api_code == 404) then return nil end
    error(user, 0)
  end
  local g = user.group
  if not (g and g.id) then
    error(Error.new("API_ERROR", ("user '%s' has no personal group in the server's answer"):format(login)), 2)
  end
  return self:get_group(g.id)
end

--- dg:delete_group(group) -> true. group: a Group or an id. Retried when transient
-- (a DELETE); a missing group raises the server's not-found error.
function methods.delete_group(self, id)
  return self._session:delete_group(gid(id))
end

--- dg:get_group_members(group_id [, admin]) -> array of Group; admin true/false/nil.
function methods.get_group_members(self, id, ...)
  local o = options({"admin"}, 1, ...)
  return groups_of(self, self._session:get_group_members(gid(id), o.admin))
end

--- dg:get_group_memberships(group_id [, admin]) -> array of Group.
function methods.get_group_memberships(self, id, ...)
  local o = options({"admin"}, 1, ...)
  return groups_of(self, self._session:get_group_memberships(gid(id), o.admin))
end

--- dg:request_group_membership(group_id) -> GroupMembershipRequest. Never retried.
function methods.request_group_membership(self, id)
  return group.request_from_dict(self, self._session:request_group_membership(gid(id)))
end

--- dg:get_group_membership_requests(group_id) -> array of GroupMembershipRequest.
function methods.get_group_membership_requests(self, id)
  local out = {}
  for i, d in ipairs(self._session:get_group_membership_requests(gid(id)) or {}) do
    out[i] = group.request_from_dict(self, d)
  end
  return out
end

--- dg:approve_membership_request(request_id) -> true
function methods.approve_membership_request(self, id)
  return self._session:approve_membership_request(gid(id))
end

--- dg:deny_membership_request(request_id) -> true
function methods.deny_membership_request(self, id)
  return self._session:deny_membership_request(gid(id))
end

--- dg:get_current_user_group() -> Group (the caller's personal group).
function methods.get_current_user_group(self)
  return group.group_from_dict(self, one_group(self._session:get_current_user_group(),
    "get_current_user_group"), "all")
end

--- dg:save_group(group [, save_relations]) -> the saved Group. group: a Group, or a
-- table of fields as for new_group; an id is generated when missing. With
-- save_relations the server replaces the group's members and memberships with
-- g's lists, so a group whose lists were not both loaded is refused (USAGE):
-- saving it would drop the members the lists lack.
function methods.save_group(self, g, ...)
  local o = options({"save_relations"}, 1, ...)
  if type(g) ~= "table" then
    error(("bad argument #1 to 'save_group' (Group expected, got %s)"):format(type(g)), 2)
  end
  if not group.is_group(g) then g = group.new_group(self, g) end
  g:ensure_id()
  if o.save_relations == true then
    local c, p = g:relations_loaded()
    if not (c and p) then
      error(Error.new("USAGE", ("save_group: the %s of group '%s' were not loaded (it came from a "
        .. "lookup or a listing); saving its relations would drop the missing ones: call g:load() "
        .. "or dg:get_group(id) first, or use g:add_member / g:remove_member, which load them")
        :format(c and "memberships" or "members", tostring(g.name or g.id))), 2)
    end
  end
  return group.group_from_dict(self, one_group(self._session:save_group(g:to_dict(),
    o.save_relations == true), "save_group"), "all")
end

--- dg:new_group{name=, friendly_name=, description=, personal=, hidden=} -> an unsaved
-- Group bound to dg, with a random UUID id (Python `Group(client, **data)`).
function methods.new_group(self, fields)
  return group.new_group(self, fields)
end

--- dg:close(): releases the connection; later calls raise.
function methods.close(self) self._session:close() end

--- dg:download_table(name) -> DataFrame. name: a table id or Grok name (`:` or `.`).
-- The CSV body is parsed as it arrives. Raises API_ERROR for a missing table, CSV
-- (with line and column) for malformed data.
function methods.download_table(self, name)
  return self._session:download_table(name)
end

--- dg:upload_table(name, df) -> the server's identifiers (`ids.ID`, `ids["Grok name"]`).
-- df: a DataFrame (written as CSV while it is sent) or the path of a CSV file.
function methods.upload_table(self, name, df)
  return self._session:upload_table(name, df)
end

--- dg:download_file(connector, path [, opts]) -> a DataFrame when path ends in ".csv",
-- else a string of the bytes; with opts.to = "local/path" the body streams into that
-- file (temporary file, fsync, rename; any size, constant memory) and the call
-- returns the local path.
function methods.download_file(self, connector, path, ...)
  local o = options({"to"}, 1, ...)
  return self._session:download_file(connector, path, o.to)
end

--- dg:upload_file(connector, path, file_path) -> true. The local file is streamed.
function methods.upload_file(self, connector, path, file_path)
  return self._session:upload_file(connector, path, file_path)
end

--- Sub-clients (the newer Python client's `dg.files`, ...): name -> constructor(client),
-- made on first use.
M.subclients = {}

local Files = {__name = "datagrok.Files"}
Files.__index = Files

--- dg.files:list(connector [, dir [, recursive]]) -> array of entries
-- {path=, name=, isFile=, isDirectory=, size=, updatedOn=} below dir (default the root).
function Files:list(connector, dir, recursive)
  return self._client._session:list_files(connector, dir, recursive == true)
end

--- dg.files:delete(connector, path) -> true
function Files:delete(connector, path)
  return self._client._session:delete_file(connector, path)
end

--- dg.files:download(connector, path [, opts]) / dg.files:upload(connector, path, file_path):
-- the newer Python client's names of dg:download_file and dg:upload_file.
function Files:download(connector, path, ...) return self._client:download_file(connector, path, ...) end
function Files:upload(connector, path, file_path) return self._client:upload_file(connector, path, file_path) end

--- dg.files:sync_dir(connector, remote_path, dir [, ...]): the P4 name of dg:sync_dir.
function Files:sync_dir(connector, remote_path, dir, ...)
  return self._client:sync_dir(connector, remote_path, dir, ...)
end

for _, name in ipairs({"list", "delete", "download", "upload", "sync_dir"}) do
  Files[name] = M.guard(name, Files[name], Files, "dg.files")
end

function Files.__tostring(f) return "datagrok.Files<" .. tostring(f._client) .. ">" end

function M.subclients.files(client) return setmetatable({_client = client}, Files) end

M.Client = Client
--- The Lua methods of every Client: other modules add wrappers here.
M.methods = methods

-- help(dg), help(dg.sync_dir): one line each (lua/datagrok/help.lua). A module that adds
-- methods or sub-clients registers its own entries the same way.
help.register("datagrok.Client", {
  title = "datagrok.Client: one connection to a Datagrok server (datagrok.connect, datagrok.new)",
  entries = {
    {"api_key", "dg.api_key", "the key (read only, never printed)"},
    {"base_url", "dg.base_url", "the API root as given"},
    {"headers", "dg.headers", "{Authorization = <key>}, printed redacted"},
    {"files", "dg.files", "the file share sub-client: help(dg.files)"},
    {"close", "dg:close()", "releases the connection; later calls raise"},
    {"url", "dg:url() -> string | nil", "the base URL without credentials (nil once closed)"},
    {"download_table", "dg:download_table(name) -> DataFrame", "a table by id or Grok name, parsed as it arrives"},
    {"upload_table", "dg:upload_table(name, df) -> ids", "uploads a DataFrame or a CSV file; returns ID, Grok name, Markup, URL"},
    {"download_file", "dg:download_file(connector, path [, opts]) -> DataFrame | string | path",
      "a .csv as a DataFrame, other files as a string; opts.to streams to a local file"},
    {"upload_file", "dg:upload_file(connector, path, file_path) -> true", "streams a local file to the share"},
    {"sync_dir", "dg:sync_dir(connector, remote_path, dir [, ext [, recursive [, sync_meta_file]]] | opts) -> report",
      "mirrors a remote folder into dir safely (max_delete, dry_run, allow_empty ...)"},
    {"list_files", "dg:list_files(connector [, dir [, recursive]]) -> entries", "the entries of a share folder (as dg.files:list)"},
    {"delete_file", "dg:delete_file(connector, path) -> true", "deletes a file of a share (as dg.files:delete)"},
    {"create_dashboard", "dg:create_dashboard(name, table_ids [, layout_filename]) -> ids", "a dashboard of these tables"},
    {"share_dashboard", "dg:share_dashboard(id, groups [, access]) -> true", "shares with groups, \"View\" (default) or \"Edit\""},
    {"call_function", "dg:call_function(name, params) -> result", "calls a server function; never retried"},
    {"list_groups", "dg:list_groups([smart_filter [, include_personal [, include_members [, include_memberships]]]]) -> {Group}",
      "the groups, optionally filtered and with relations"},
    {"lookup_groups", "dg:lookup_groups(query) -> {Group}", "groups whose names contain query"},
    {"get_group", "dg:get_group(group_id) -> Group", "one group with members and memberships"},
    {"get_group_members", "dg:get_group_members(group_id [, admin]) -> {Group}", "the members; admin true/false/nil"},
    {"get_group_memberships", "dg:get_group_memberships(group_id [, admin]) -> {Group}", "the groups it belongs to"},
    {"get_current_user_group", "dg:get_current_user_group() -> Group", "the caller's personal group"},
    {"new_group", "dg:new_group{name=, friendly_name=, description=, ...} -> Group", "an unsaved group bound to dg"},
    {"save_group", "dg:save_group(group [, save_relations]) -> Group", "saves a group (and its relations when true)"},
    {"request_group_membership", "dg:request_group_membership(group_id) -> GroupMembershipRequest", "asks to join a group"},
    {"get_group_membership_requests", "dg:get_group_membership_requests(group_id) -> {GroupMembershipRequest}",
      "the pending requests to join a group"},
    {"approve_membership_request", "dg:approve_membership_request(request_id) -> true", "approves a membership request"},
    {"deny_membership_request", "dg:deny_membership_request(request_id) -> true", "denies a membership request"},
  },
})
-- The session's operations that return the server's JSON as it is (the typed objects
-- come from dg.users, dg.connections ...), and the group finders.
help.register("datagrok.Client", {
  entries = {
    {"find_group", "dg:find_group(name) -> Group | nil", "the shared group named exactly name (letter case aside), loaded; AMBIGUOUS for two"},
    {"find_user_group", "dg:find_user_group(login) -> Group | nil", "the personal group of the user with that login, loaded"},
    {"current_group", "dg:current_group() -> table", "the caller's personal group as JSON"},
    {"delete_group", "dg:delete_group(id_or_name) -> true", "deletes a group"},
    {"get_user", "dg:get_user(id_or_login) -> table", "a user as JSON (dg.users:get gives a User)"},
    {"current_user", "dg:current_user() -> table", "the caller as JSON"},
    {"list_users", "dg:list_users([text [, include]]) -> {table}", "users as JSON, filtered by a smart filter"},
    {"save_user", "dg:save_user(user_dict) -> table", "creates or updates a user; never retried"},
    {"block_user", "dg:block_user(user_dict) -> true", "blocks a user and ends their sessions"},
    {"unblock_user", "dg:unblock_user(user_dict) -> true", "unblocks a user"},
    {"get_connection", "dg:get_connection(id_or_grok_name) -> table", "a data connection as JSON"},
    {"list_connections", "dg:list_connections([text [, data_source [, tags]]]) -> {table}", "data connections as JSON"},
    {"save_connection", "dg:save_connection(save_credentials, conn_dict) -> table", "creates or updates a data connection"},
    {"delete_connection", "dg:delete_connection(id_or_grok_name) -> true", "deletes a data connection"},
    {"test_connection", "dg:test_connection(conn_dict) -> verdict", "asks the server to test a connection"},
    {"get_credentials_for", "dg:get_credentials_for(entity_id) -> table", "the credentials of an entity as JSON"},
    {"save_credentials", "dg:save_credentials(credentials_dict) -> true", "saves credentials; never retried"},
    {"delete_credentials", "dg:delete_credentials(id) -> true", "deletes credentials"},
    {"get_function", "dg:get_function(id_or_grok_name) -> table", "a function, script or query as JSON"},
    {"list_functions", "dg:list_functions([text]) -> {table}", "functions as JSON"},
    {"save_function", "dg:save_function(func_dict) -> table", "creates or updates a script or query"},
    {"call_func", "dg:call_func(grok_name, params) -> result", "calls a function by the newer route; never retried"},
    {"get_package", "dg:get_package(id_or_name) -> table", "a package as JSON"},
    {"list_packages", "dg:list_packages([text]) -> {table}", "packages as JSON"},
    {"get_published_package", "dg:get_published_package(id) -> table", "a published package version as JSON"},
    {"list_published_packages", "dg:list_published_packages([text [, package_id]]) -> {table}", "published versions as JSON"},
    {"share_entity", "dg:share_entity(id_or_grok_name, groups, access) -> table", "shares an entity with groups (ShareResponse JSON)"},
    {"login_dev", "dg:login_dev(key) -> true", "exchanges a developer key for a session token, used from then on"},
  },
})
help.register("datagrok.Files", {
  title = "datagrok.Files: dg.files, the file shares (connectors such as \"System:DemoFiles\")",
  entries = {
    {"list", "dg.files:list(connector [, dir [, recursive]]) -> entries", "path, name, isFile, isDirectory, size, updatedOn"},
    {"delete", "dg.files:delete(connector, path) -> true", "deletes a file"},
    {"download", "dg.files:download(connector, path [, opts])", "the same as dg:download_file"},
    {"upload", "dg.files:upload(connector, path, file_path)", "the same as dg:upload_file"},
    {"sync_dir", "dg.files:sync_dir(connector, remote_path, dir [, opts]) -> report", "the same as dg:sync_dir"},
  },
})

-- The resource objects (dg.users, dg.connections ...) and dg:healthcheck/batch/raw.
require("datagrok.resources").install(M)

return M
