--- Users: GET /public/v1/users/current, /users/<id or login>, /users[?text=<smart
-- filter>&include=group]; POST /public/v1/users (save: create with a new id or login,
-- update by id), POST /public/v1/users/block and /unblock (the full record as the body;
-- blocking ends the user's sessions: their tokens are deleted). State: `users[id] = {id, login, firstName,
-- lastName, email, status, group=<personal group id>, createdOn, updatedOn}`.
-- The API key (and every token from /users/login/dev/<key>) belongs to the admin user.
local reply = require "datagrok.emulator.reply"
local groups = require "datagrok.emulator.groups"
local json = require "datagrok.json"
local filter = require "datagrok.emulator.filter"
local core = require "datagrok.core"

local M = {}

--- Fixed ids of the admin user and its personal group (those of a real Datagrok).
M.ADMIN_ID = "878c42b0-9a50-11e6-c537-6bf8e9ab02ee"
M.ADMIN_GROUP_ID = "a4b45840-9a50-11e6-c537-6bf8e9ab02ee"

--- Adds a user and its personal group to the state (not saved); returns the user.
function M.add(state, u)
  local g = groups.new_record({ id = u.group_id, name = u.login,
                                friendlyName = (u.firstName .. " " .. u.lastName), personal = true })
  state.groups[g.id] = g
  local now = reply.now()
  local rec = { id = u.id, login = u.login, firstName = u.firstName, lastName = u.lastName,
                email = u.email, status = u.status or "active", group = g.id,
                createdOn = now, updatedOn = now }
  state.users[rec.id] = rec
  return rec
end

--- Makes sure the admin user (the owner of the key) exists, saving when it was added.
function M.ensure_admin(state)
  if state.users[M.ADMIN_ID] then return state.users[M.ADMIN_ID] end
  local u = M.add(state, { id = M.ADMIN_ID, group_id = M.ADMIN_GROUP_ID, login = "admin",
                           firstName = "Admin", lastName = "User", email = "admin@datagrok.local" })
  state:save_all("groups", "users")
  return u
end

--- The user owning a key or token.
function M.admin(state) return state.users[M.ADMIN_ID] end

--- The wire form of a user (with its personal group, pruned).
function M.wire(state, u)
  local g = state.groups[u.group]
  return { ["#type"] = "User", id = u.id, login = u.login, name = u.firstName .. " " .. u.lastName,
           friendlyName = u.firstName .. " " .. u.lastName, firstName = u.firstName,
           lastName = u.lastName, email = u.email, status = u.status, storage = json.null,
           group = g and groups.pruned(g) or json.null, namespace = json.null,
           createdOn = u.createdOn, updatedOn = u.updatedOn }
end

--- The user addressed by id or login (case-insensitive), or nil.
function M.find(state, ref)
  if state.users[ref] then return state.users[ref] end
  local l = ref:lower()
  for _, u in pairs(state.users) do
    if u.login:lower() == l then return u end
  end
end

--- The smart-filter fields of users (filter.lua).
local FILTER_FIELDS = {
  id = function(u) return u.id end,
  login = function(u) return u.login end,
  firstname = function(u) return u.firstName end,
  lastname = function(u) return u.lastName end,
  name = function(u) return u.firstName .. " " .. u.lastName end,
  friendlyname = function(u) return u.firstName .. " " .. u.lastName end,
  email = function(u) return u.email end,
  status = function(u) return u.status end,
}

local STATUSES = { new = true, active = true, blocked = true, guest = true }

--- The user a request body names (by id, else by login), or a raised not-found/400.
local function body_user(req, state)
  local body = reply.body_json(req)
  if type(body) ~= "table" or json.is_array(body) then reply.bad_request("a user must be a JSON object") end
  local ref = (type(body.id) == "string" and body.id ~= "" and body.id)
    or (type(body.login) == "string" and body.login ~= "" and body.login)
  if not ref then reply.bad_request("the user needs an id or a login") end
  return body, M.find(state, ref) or reply.not_found("user", ref)
end

--- POST /public/v1/users: creates (an unknown id, or none) or updates (a known id) a user;
-- a new user gets a personal group named after the login. Logins are unique.
local function save(req, state)
  local body = reply.body_json(req)
  if type(body) ~= "table" or json.is_array(body) then reply.bad_request("a user must be a JSON object") end
  for _, k in ipairs({ "id", "login", "firstName", "lastName", "email", "status" }) do
    local v = body[k]
    if v ~= nil and v ~= json.null and type(v) ~= "string" then reply.bad_request(("user.%s must be a string"):format(k)) end
  end
  if type(body.status) == "string" and not STATUSES[body.status] then
    reply.bad_request(("user.status must be new, active, blocked or guest, not '%s'"):format(body.status))
  end
  local u = type(body.id) == "string" and state.users[body.id] or nil
  local login = type(body.login) == "string" and body.login ~= "" and body.login or nil
  if not u and not login then reply.bad_request("a new user needs a login") end
  if login then
    local other = M.find(state, login)
    if other and other ~= u then reply.bad_request(("the login '%s' is taken"):format(login)) end
  end
  local function str(k, dflt) return type(body[k]) == "string" and body[k] or dflt end
  if not u then
    local id = type(body.id) == "string" and body.id ~= "" and body.id or core.uuid4()
    u = M.add(state, { id = id, group_id = core.uuid4(), login = login, firstName = str("firstName", login),
                       lastName = str("lastName", ""), email = str("email", json.null),
                       status = str("status", "active") })
  else
    u.login = login or u.login
    u.firstName, u.lastName = str("firstName", u.firstName), str("lastName", u.lastName)
    u.email, u.status = str("email", u.email), str("status", u.status)
    u.updatedOn = reply.now()
    local g = state.groups[u.group]
    if g then g.name = u.login end
  end
  state:save_all("groups", "users")
  return reply.json(M.wire(state, u))
end

--- POST /public/v1/users/block|unblock. Blocking deletes the user's tokens (their
-- sessions end at once) and is refused for the caller itself.
local function set_blocked(req, state, blocked)
  local _, u = body_user(req, state)
  if blocked and u.id == req.user.id then reply.bad_request("you cannot block yourself") end
  u.status = blocked and "blocked" or "active"
  u.updatedOn = reply.now()
  if blocked then
    for token, t in pairs(state.tokens) do
      if t.user == u.id then state.tokens[token] = nil end
    end
  end
  state:save_all("users", "tokens")
  return reply.json(M.wire(state, u))
end

function M.register(router)
  router:get("/public/v1/users/current", function(req, state) return reply.json(M.wire(state, req.user)) end)
  router:get("/public/v1/users/([^/]+)", function(_, state, ref)
    return reply.json(M.wire(state, M.find(state, ref) or reply.not_found("user", ref)))
  end)
  router:get("/public/v1/users", function(req, state)
    local pred = filter.compile(req.args.text, FILTER_FIELDS, { "login", "name", "email" })
    local out = json.array()
    for i, u in ipairs(filter.select(state.users, pred, "login")) do out[i] = M.wire(state, u) end
    return reply.json(out)
  end)
  router:post("/public/v1/users", save)
  router:post("/public/v1/users/block", function(req, state) return set_blocked(req, state, true) end)
  router:post("/public/v1/users/unblock", function(req, state) return set_blocked(req, state, false) end)
end

return M
