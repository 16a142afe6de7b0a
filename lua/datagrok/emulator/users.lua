--- Users (as the newer Python client reads them): GET /public/v1/users/current, /users/<id or
-- login>, /users[?text=&include=group]. State: `users[id] = {id, login, firstName,
-- lastName, email, status, group=<personal group id>, createdOn, updatedOn}`.
-- The API key (and every token from /users/login/dev/<key>) belongs to the admin user.
local reply = require "datagrok.emulator.reply"
local groups = require "datagrok.emulator.groups"
local json = require "datagrok.json"

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

function M.register(router)
  router:get("/public/v1/users/current", function(req, state) return reply.json(M.wire(state, req.user)) end)
  router:get("/public/v1/users/([^/]+)", function(_, state, ref)
    return reply.json(M.wire(state, M.find(state, ref) or reply.not_found("user", ref)))
  end)
  router:get("/public/v1/users", function(req, state)
    local text = (req.args.text or ""):lower()
    local list = {}
    for _, u in pairs(state.users) do
      local hay = (u.login .. " " .. u.firstName .. " " .. u.lastName .. " " .. (u.email or "")):lower()
      if text == "" or hay:find(text, 1, true) then list[#list + 1] = u end
    end
    table.sort(list, function(a, b) return a.login < b.login end)
    local out = json.array()
    for i, u in ipairs(list) do out[i] = M.wire(state, u) end
    return reply.json(out)
  end)
end

return M
