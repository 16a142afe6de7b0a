--- Dashboards (docs/protocol.md, "Dashboards"): POST /public/v1/dashboards/<name>/<table ids> with
-- an optional layout JSON body; GET /public/v1/dashboards/<id>/shares?groups=&access=.
-- State: `dashboards[id] = {id, name, tables=[ids], layout=<JSON text or null>,
-- shares={<group id>=access}, createdOn, updatedOn}`.
local reply = require "datagrok.emulator.reply"
local tables = require "datagrok.emulator.tables"
local groups = require "datagrok.emulator.groups"
local core = require "datagrok.core"
local json = require "datagrok.json"

local M = {}

local function find(state, ref)
  if state.dashboards[ref] then return state.dashboards[ref] end
  local want = ref:gsub("%.", ":"):lower()
  for _, d in pairs(state.dashboards) do
    if d.name:lower() == want then return d end
  end
end

local function wire(state, d)
  local ids = json.array()
  for i, id in ipairs(d.tables) do ids[i] = id end
  return { ID = d.id, id = d.id, name = d.name, tables = ids, createdOn = d.createdOn,
           URL = state.url .. "/p/" .. d.name }
end

function M.register(router)
  router:post("/public/v1/dashboards/([^/]+)/([^/]+)", function(req, state, name, table_ids)
    local ids = json.array()
    for ref in table_ids:gmatch("[^,]+") do
      ref = ref:match("^%s*(.-)%s*$")
      local t = tables.find(state, ref) or reply.not_found("table", ref)
      ids[#ids + 1] = t.id
    end
    if #ids == 0 then reply.bad_request("a dashboard needs at least one table id") end
    local layout = json.null
    if (req.body and not req.body:match("^%s*$")) or req.body_file then
      local v = reply.body_json(req)
      if type(v) ~= "table" then reply.bad_request("the layout must be a JSON object") end
      layout = json.encode(v)
    end
    local colon = name:gsub("%.", ":")
    local d = find(state, colon)
    local now = reply.now()
    if not d then
      d = { id = core.uuid4(), name = colon, createdOn = now, shares = {} }
    end
    d.tables, d.layout, d.updatedOn = ids, layout, now
    state.dashboards[d.id] = d
    state:save("dashboards")
    return reply.json(wire(state, d))
  end)
  router:get("/public/v1/dashboards/([^/]+)/shares", function(req, state, ref)
    local d = find(state, ref) or reply.not_found("dashboard", ref)
    local access = req.args.access or "View"
    if access ~= "View" and access ~= "Edit" then
      reply.bad_request(("access must be View or Edit, not '%s'"):format(access))
    end
    local names = req.args.groups or ""
    local shared, already = json.array(), json.array()
    local targets = {}
    for name in names:gmatch("[^,]+") do
      name = name:match("^%s*(.-)%s*$")
      targets[#targets + 1] = { name = name, group = groups.find(state, name) or reply.not_found("group", name) }
    end
    if #targets == 0 then reply.bad_request("groups: name at least one group or user") end
    d.shares = d.shares or {}
    for _, t in ipairs(targets) do
      if d.shares[t.group.id] == access then
        already[#already + 1] = t.name
      else
        d.shares[t.group.id] = access
        shared[#shared + 1] = t.name
      end
    end
    state:save("dashboards")
    return reply.json({ status = "success", shared = shared, alreadyShared = already, failed = json.array() })
  end)
  router:get("/public/v1/dashboards/([^/]+)", function(_, state, ref)
    return reply.json(wire(state, find(state, ref) or reply.not_found("dashboard", ref)))
  end)
end

return M
