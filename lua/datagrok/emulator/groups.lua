--- Groups, group relations and membership requests (docs/protocol.md, "Groups"
-- and "Entity bodies").
--
-- State: `groups[id] = {id, name, friendlyName, description, personal, hidden,
-- createdOn, updatedOn}`, `relations[id] = {id, parent=<group id>, child=<group id>,
-- isAdmin}`, `requests[id] = {id, from=<group id>, to=<group id>, approved=null|bool,
-- createdOn, updatedOn, resolutionDate}`. On the wire a Group always carries `parents`
-- and `children` arrays of relations that have both `parent` and `child` keys.
local reply = require "datagrok.emulator.reply"
local core = require "datagrok.core"
local json = require "datagrok.json"

local M = {}
local null, array = json.null, json.array

--- A new group record (not saved).
function M.new_record(fields)
  local now = reply.now()
  return {
    id = fields.id or core.uuid4(), name = fields.name,
    friendlyName = fields.friendlyName or fields.name,
    description = fields.description or "", personal = fields.personal and true or false,
    hidden = fields.hidden and true or false, createdOn = fields.createdOn or now, updatedOn = now,
  }
end

--- The group addressed by id or name (case-insensitive; `.` stands for `:`), or nil.
function M.find(state, ref)
  if state.groups[ref] then return state.groups[ref] end
  local want, want2 = ref:lower(), ref:gsub("%.", ":"):lower()
  local found
  for _, g in pairs(state.groups) do
    local n = (g.name or ""):lower()
    if n == want or n == want2 then
      if not g.personal then return g end
      found = found or g
    end
  end
  return found
end

--- The group or a raised not-found ApiError.
function M.get(state, ref)
  return M.find(state, ref) or reply.not_found("group", ref)
end

--- The wire form of a group without expanded relations (parents/children empty).
function M.pruned(g)
  return {
    ["#type"] = "UserGroup", id = g.id, name = g.name, friendlyName = g.friendlyName or g.name,
    description = g.description or "", createdOn = g.createdOn, updatedOn = g.updatedOn,
    personal = g.personal and true or false, hidden = g.hidden and true or false,
    parents = array(), children = array(),
  }
end

local function by_name(state, key)
  return function(a, b)
    local ga, gb = state.groups[a[key]], state.groups[b[key]]
    local na, nb = ga and ga.name or "", gb and gb.name or ""
    if na ~= nb then return na < nb end
    return a.id < b.id
  end
end

--- Relations where the group is the parent (members) or the child (memberships), sorted.
function M.relations_of(state, id, side)
  local list = {}
  for _, r in pairs(state.relations) do
    if r[side] == id and state.groups[r.parent] and state.groups[r.child] then list[#list + 1] = r end
  end
  table.sort(list, by_name(state, side == "parent" and "child" or "parent"))
  return list
end

local function relation_wire(state, r)
  return { ["#type"] = "GroupRelation", id = r.id, isAdmin = r.isAdmin and true or false,
           parent = M.pruned(state.groups[r.parent]), child = M.pruned(state.groups[r.child]) }
end

--- The wire form with members (children) and/or memberships (parents) expanded.
function M.full(state, g, with_children, with_parents)
  local w = M.pruned(g)
  if with_children ~= false then
    for _, r in ipairs(M.relations_of(state, g.id, "parent")) do
      w.children[#w.children + 1] = relation_wire(state, r)
    end
  end
  if with_parents ~= false then
    for _, r in ipairs(M.relations_of(state, g.id, "child")) do
      w.parents[#w.parents + 1] = relation_wire(state, r)
    end
  end
  return w
end

--- Adds (or updates) the relation parent -> child; returns it. Caller saves "relations".
function M.relate(state, parent_id, child_id, is_admin, id)
  for _, r in pairs(state.relations) do
    if r.parent == parent_id and r.child == child_id then
      r.isAdmin = is_admin and true or false
      return r
    end
  end
  local r = { id = id or core.uuid4(), parent = parent_id, child = child_id,
              isAdmin = is_admin and true or false }
  state.relations[r.id] = r
  return r
end

local function request_wire(state, q)
  return { ["#type"] = "GroupMembershipRequest", id = q.id, approved = q.approved,
           createdOn = q.createdOn, updatedOn = q.updatedOn, resolutionDate = q.resolutionDate,
           from = M.pruned(state.groups[q.from]), to = M.pruned(state.groups[q.to]) }
end

--- The caller's personal group.
local function current_group(req, state)
  local g = state.groups[req.user.group]
  if not g then reply.not_found("personal group of user", req.user.login) end
  return g
end

--- The smart-filter fields of groups (filter.lua); `name` matches the name or the
-- friendly name.
local FILTER_FIELDS = {
  id = function(g) return g.id end,
  name = function(g) return { g.name or "", g.friendlyName or g.name or "" } end,
  friendlyname = function(g) return g.friendlyName or g.name end,
  description = function(g) return g.description end,
  personal = function(g) return g.personal and true or false end,
  hidden = function(g) return g.hidden and true or false end,
}

--- Compiles a smart filter (filter.lua: `personal=false`, `name = "x"`, `name in (...)`,
-- free text as a substring of name or friendly name, joined by `and`) into a predicate.
function M.parse_filter(text)
  return require("datagrok.emulator.filter").compile(text, FILTER_FIELDS, { "name" },
    { personal = true, hidden = true })
end

local function matches(g, pred) return pred(g) end

local function sorted_groups(state, pred)
  local list = {}
  for _, g in pairs(state.groups) do if pred(g) then list[#list + 1] = g end end
  table.sort(list, function(a, b)
    if a.name ~= b.name then return (a.name or "") < (b.name or "") end
    return a.id < b.id
  end)
  return list
end

local function members_or_memberships(state, req, id, side)
  local g = M.get(state, id)
  local admin = reply.bool_arg(req, "admin")
  local out = array()
  local other = side == "parent" and "child" or "parent"
  for _, r in ipairs(M.relations_of(state, g.id, side)) do
    if admin == nil or (r.isAdmin and true or false) == admin then
      out[#out + 1] = M.pruned(state.groups[r[other]])
    end
  end
  return reply.json(out)
end

--- Resolves the far end of a relation in a saved group's body without changing the
-- state: an existing group id, or a new group record to create (from a name).
local function resolve_end(state, v, where, pending)
  if type(v) ~= "table" then reply.bad_request(where .. " must be a group object") end
  if type(v.id) == "string" and state.groups[v.id] then return v.id end
  if type(v.id) == "string" and pending[v.id] then return v.id end
  if type(v.name) ~= "string" or v.name == "" then
    if v.id ~= nil and v.id ~= null then reply.not_found("group", v.id) end
    reply.bad_request(where .. " needs an id or a name")
  end
  local id = (type(v.id) == "string" and v.id ~= "") and v.id or nil
  if not id then
    local existing = M.find(state, v.name)
    if existing then return existing.id end
  end
  local rec = M.new_record({
    id = id, name = v.name,
    friendlyName = type(v.friendlyName) == "string" and v.friendlyName or nil,
    description = type(v.description) == "string" and v.description or nil,
    personal = v.personal == true, hidden = v.hidden == true,
  })
  pending[rec.id] = rec
  return rec.id
end

--- Checks the relations listed on one side of group g_id; returns the plan (nil when
-- the body does not list that side). Raises before anything is changed.
local function plan_relations(state, g_id, list, side, where, pending)
  if list == nil or list == null then return nil end
  if type(list) ~= "table" then reply.bad_request(where .. " must be an array") end
  local other = side == "parent" and "child" or "parent"
  local plan = {}
  for i, rel in ipairs(list) do
    if type(rel) ~= "table" then reply.bad_request(("%s[%d] must be a relation object"):format(where, i)) end
    if type(rel[other]) == "table" and rel[other].id == g_id then
      reply.bad_request(("%s[%d]: a group cannot contain itself"):format(where, i))
    end
    local far = resolve_end(state, rel[other], ("%s[%d].%s"):format(where, i, other), pending)
    if far == g_id then reply.bad_request(("%s[%d]: a group cannot contain itself"):format(where, i)) end
    plan[#plan + 1] = { id = type(rel.id) == "string" and rel.id ~= "" and rel.id or nil,
                        far = far, admin = rel.isAdmin == true }
  end
  return plan
end

--- Replaces the relations on one side of group g_id with the planned ones.
local function apply_relations(state, g_id, plan, side)
  if not plan then return end
  for id, r in pairs(state.relations) do
    if r[side] == g_id then state.relations[id] = nil end
  end
  for _, w in ipairs(plan) do
    local parent, child = g_id, w.far
    if side == "child" then parent, child = w.far, g_id end
    local rid = w.id
    if rid and state.relations[rid] then rid = nil end -- an id reused for another pair
    M.relate(state, parent, child, w.admin, rid)
  end
end

local function save_group(req, state)
  local body = reply.body_json(req)
  if type(body) ~= "table" or json.is_array(body) then reply.bad_request("a group must be a JSON object") end
  local id = body.id
  if id ~= nil and id ~= null and (type(id) ~= "string" or id == "") then
    reply.bad_request("group.id must be a string")
  end
  for _, k in ipairs({ "name", "friendlyName", "description" }) do
    local v = body[k]
    if v ~= nil and v ~= null and type(v) ~= "string" then reply.bad_request(("group.%s must be a string"):format(k)) end
  end
  local g = (type(id) == "string") and state.groups[id] or nil
  if not g and (type(body.name) ~= "string" or body.name == "") then
    reply.bad_request("a new group needs a name")
  end
  local g_id = g and g.id or (type(id) == "string" and id) or core.uuid4()
  -- validate everything first: a refused save changes nothing
  local pending, kids, pars = {}, nil, nil
  if reply.bool_arg(req, "saveRelations") then
    kids = plan_relations(state, g_id, body.children, "parent", "children", pending)
    pars = plan_relations(state, g_id, body.parents, "child", "parents", pending)
  end
  if not g then
    g = M.new_record({ id = g_id, name = body.name })
    state.groups[g.id] = g
  end
  if type(body.name) == "string" and body.name ~= "" then g.name = body.name end
  if type(body.friendlyName) == "string" then g.friendlyName = body.friendlyName end
  if g.friendlyName == nil or g.friendlyName == "" then g.friendlyName = g.name end
  if type(body.description) == "string" then g.description = body.description end
  if type(body.personal) == "boolean" then g.personal = body.personal end
  if type(body.hidden) == "boolean" then g.hidden = body.hidden end
  g.updatedOn = reply.now()
  for pid, rec in pairs(pending) do state.groups[pid] = rec end
  apply_relations(state, g.id, kids, "parent")
  apply_relations(state, g.id, pars, "child")
  state:save_all("groups", "relations")
  return reply.json(M.full(state, g))
end

local function delete_group(req, state, id)
  local g = M.get(state, id)
  for _, u in pairs(state.users) do
    if u.group == g.id then reply.bad_request(("'%s' is the personal group of a user"):format(g.name)) end
  end
  state.groups[g.id] = nil
  for rid, r in pairs(state.relations) do
    if r.parent == g.id or r.child == g.id then state.relations[rid] = nil end
  end
  for qid, q in pairs(state.requests) do
    if q.from == g.id or q.to == g.id then state.requests[qid] = nil end
  end
  state:save_all("groups", "relations", "requests")
  return reply.json({ deleted = g.id })
end

local function resolve_request(state, id, approve)
  local q = state.requests[id] or reply.not_found("membership request", id)
  if q.approved ~= null and q.approved ~= nil then
    reply.bad_request(("membership request %s is already %s"):format(id, q.approved and "approved" or "denied"))
  end
  if not state.groups[q.from] or not state.groups[q.to] then reply.not_found("group of request", id) end
  q.approved = approve
  q.resolutionDate = reply.now()
  q.updatedOn = q.resolutionDate
  if approve then M.relate(state, q.to, q.from, false) end
  state:save_all("relations", "requests")
  return reply.json(request_wire(state, q))
end

function M.register(router)
  local base = "/public/v1/groups"
  router:get(base .. "/lookup", function(req, state)
    local q = (req.args.query or ""):lower()
    local out = array()
    for _, g in ipairs(sorted_groups(state, function(g)
      return (g.name or ""):lower():find(q, 1, true) or (g.friendlyName or ""):lower():find(q, 1, true)
    end)) do out[#out + 1] = M.pruned(g) end
    return reply.json(out)
  end)
  local function current(req, state) return reply.json(M.full(state, current_group(req, state))) end
  router:get(base .. "/current", current)             -- the newer Python client
  router:get("/public/v1/user/group", current)        -- the older Python client
  router:post(base .. "/requests/([^/]+)/approve", function(_, state, id)
    return resolve_request(state, id, true)
  end)
  router:post(base .. "/requests/([^/]+)/deny", function(_, state, id)
    return resolve_request(state, id, false)
  end)
  router:get(base .. "/([^/]+)/members", function(req, state, id)
    return members_or_memberships(state, req, id, "parent")
  end)
  router:get(base .. "/([^/]+)/memberships", function(req, state, id)
    return members_or_memberships(state, req, id, "child")
  end)
  router:post(base .. "/([^/]+)/request", function(req, state, id)
    local to = M.get(state, id)
    local from = current_group(req, state)
    for _, q in pairs(state.requests) do
      if q.from == from.id and q.to == to.id and q.approved == null then
        return reply.json(request_wire(state, q))
      end
    end
    local now = reply.now()
    local q = { id = core.uuid4(), from = from.id, to = to.id, approved = null, createdOn = now,
                updatedOn = now, resolutionDate = null }
    state.requests[q.id] = q
    state:save("requests")
    return reply.json(request_wire(state, q))
  end)
  router:get(base .. "/([^/]+)/requests", function(_, state, id)
    local g = M.get(state, id)
    local list = {}
    for _, q in pairs(state.requests) do
      if q.to == g.id and q.approved == null then list[#list + 1] = q end
    end
    table.sort(list, function(a, b)
      if a.createdOn ~= b.createdOn then return a.createdOn < b.createdOn end
      return a.id < b.id
    end)
    local out = array()
    for i, q in ipairs(list) do out[i] = request_wire(state, q) end
    return reply.json(out)
  end)
  router:get(base .. "/([^/]+)", function(_, state, id)
    return reply.json(M.full(state, M.get(state, id)))
  end)
  router:delete(base .. "/([^/]+)", delete_group)
  router:get(base, function(req, state)
    local conds = M.parse_filter(req.args.text)
    local include = "," .. (req.args.include or "") .. ","
    local function has(a, b) return include:find(a, 1, true) ~= nil or include:find(b, 1, true) ~= nil end
    local kids = has(",children.child,", ",children,")
    local pars = has(",parents.parent,", ",parents,")
    local out = array()
    for _, g in ipairs(sorted_groups(state, function(g) return matches(g, conds) end)) do
      out[#out + 1] = M.full(state, g, kids, pars)
    end
    return reply.json(out)
  end)
  router:post(base, save_group)
end

return M
