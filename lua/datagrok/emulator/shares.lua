--- Sharing any entity: POST /public/v1/entities/<id or Grok name>/shares?groups=<names,
-- comma-separated>&access=View|Edit, no body. The entity may be a connection, a
-- function, a package, a dashboard, a table or a group; groups are named as the
-- dashboard share route names them (a user's login names their personal group). The
-- answer is a ShareResponse {status = "success"|"partial_success"|"failed", shared,
-- alreadyShared, failed}: a group that does not exist is listed in `failed` with the
-- reason. State: `shares[<entity id>] = {<group id> = access}`.
local reply = require "datagrok.emulator.reply"
local groups = require "datagrok.emulator.groups"
local json = require "datagrok.json"

local M = {}

--- The id of the entity an id or Grok name addresses, or nil.
local function entity_id(state, ref)
  for _, coll in ipairs({ "connections", "functions", "packages", "dashboards", "tables", "groups" }) do
    if state[coll][ref] then return ref end
  end
  local c = require("datagrok.emulator.connections").find(state, ref)
  if c then return c.id end
  local f = require("datagrok.emulator.functions").find(state, ref)
  if f then return f.id end
  local p = require("datagrok.emulator.packages").find(state, ref)
  if p then return p.id end
  local t = require("datagrok.emulator.tables").find(state, ref)
  if t then return t.id end
  local want = ref:gsub("%.", ":"):lower()
  for id, d in pairs(state.dashboards) do
    if d.name:lower() == want then return id end
  end
end

function M.register(router)
  router:post("/public/v1/entities/([^/]+)/shares", function(req, state, ref)
    local id = entity_id(state, ref) or reply.not_found("entity", ref)
    local access = req.args.access or "View"
    if access ~= "View" and access ~= "Edit" then
      reply.bad_request(("access must be View or Edit, not '%s'"):format(access))
    end
    local shared, already, failed = json.array(), json.array(), json.array()
    local grants = state.shares[id] or {}
    local n = 0
    for name in (req.args.groups or ""):gmatch("[^,]+") do
      name = name:match("^%s*(.-)%s*$")
      n = n + 1
      local g = groups.find(state, name)
      if not g then
        failed[#failed + 1] = { group = name, reason = ("group '%s' not found"):format(name) }
      elseif grants[g.id] == access then
        already[#already + 1] = name
      else
        grants[g.id] = access
        shared[#shared + 1] = name
      end
    end
    if n == 0 then reply.bad_request("groups: name at least one group or user") end
    state.shares[id] = grants
    state:save("shares")
    local status = #failed == 0 and "success" or (#failed == n and "failed" or "partial_success")
    return reply.json({ status = status, shared = shared, alreadyShared = already, failed = failed })
  end)
end

return M
