--- Group, GroupRelation and GroupMembershipRequest: the objects the group
-- operations return (the older Python client's `group.py`; docs/lua-api.md,
-- "Group objects").
--
-- Objects are plain tables holding the snake_case fields; computed fields
-- (`members`, `admin_members`, `memberships`, `admin_memberships`, `is_viewed`)
-- are read like fields through `__index`. The client an object is bound to is
-- kept outside the table, so `pairs(g)` shows data only.
--
-- Relations and safety: saving a group with its relations replaces all of them
-- on the server, members (`children`) and memberships (`parents`) alike. A Group
-- remembers which of its two lists came from the server complete (get_group,
-- save_group, list_groups with include_*, a brand-new group); one from
-- lookup_groups, list_groups without include or get_group_members has neither.
-- `add_member` and `remove_member` load missing lists first (`g:load()`), and
-- `dg:save_group(g, true)` refuses a group with a list not loaded, so no edit
-- ever saves a partial list.
local core = require "datagrok.core"
local json = require "datagrok.json"
local wire = require "datagrok.wire"

local null = json.null

local M = {}

local value, or_null, bound = wire.value, wire.or_null, wire.clients
-- group -> {children = bool, parents = bool}: which relation lists are complete
local loaded = setmetatable({}, {__mode = "k"})

local Group, GroupRelation, GroupMembershipRequest = {}, {}, {}
local group_methods, relation_methods, request_methods = {}, {}, {}
local group_computed, request_computed = {}, {}

Group.__name = "datagrok.Group"
GroupRelation.__name = "datagrok.GroupRelation"
GroupMembershipRequest.__name = "datagrok.GroupMembershipRequest"

local set_index = wire.set_index
set_index(Group, group_methods, group_computed)
set_index(GroupRelation, relation_methods)
set_index(GroupMembershipRequest, request_methods, request_computed)

--- True when v is a Group object.
function M.is_group(v)
  return getmetatable(v) == Group
end

local relation_from_dict

--- A Group from the camelCase wire form (a decoded JSON object), bound to client.
-- `relations` says which lists the answer holds complete: "all", "children",
-- "parents" or nil (none: the lists are whatever the server sent, maybe empty).
function M.group_from_dict(client, d, relations)
  local g = setmetatable({
    id = value(d.id),
    name = value(d.name),
    friendly_name = value(d.friendlyName),
    description = value(d.description),
    created_on = value(d.createdOn),
    updated_on = value(d.updatedOn),
    personal = value(d.personal) or false,
    hidden = value(d.hidden) or false,
    parents = {},
    children = {},
  }, Group)
  bound[g] = client
  loaded[g] = {children = relations == "all" or relations == "children",
               parents = relations == "all" or relations == "parents"}
  for _, key in ipairs({"parents", "children"}) do
    local list = value(d[key])
    if type(list) == "table" then
      for i, rel in ipairs(list) do g[key][i] = relation_from_dict(client, rel) end
    end
  end
  return g
end

--- A GroupRelation from the wire form ({id, isAdmin, parent, child}).
function relation_from_dict(client, d)
  local parent, child = value(d.parent), value(d.child)
  return setmetatable({
    id = value(d.id),
    is_admin = value(d.isAdmin) == true, -- the server sends null for non-admin relations
    parent = type(parent) == "table" and M.group_from_dict(client, parent) or nil,
    child = type(child) == "table" and M.group_from_dict(client, child) or nil,
  }, GroupRelation)
end
M.relation_from_dict = relation_from_dict

--- A GroupMembershipRequest from the wire form.
function M.request_from_dict(client, d)
  local from, to = value(d.from), value(d.to)
  local r = setmetatable({
    id = value(d.id),
    approved = value(d.approved),
    created_on = value(d.createdOn),
    updated_on = value(d.updatedOn),
    resolution_date = value(d.resolutionDate),
    from_group = type(from) == "table" and M.group_from_dict(client, from) or nil,
    to = type(to) == "table" and M.group_from_dict(client, to) or nil,
  }, GroupMembershipRequest)
  bound[r] = client
  return r
end

-- The fields new_group accepts: snake_case name -> its wire (camelCase) spelling.
local group_fields = {id = "id", name = "name", friendly_name = "friendlyName",
  description = "description", created_on = "createdOn", updated_on = "updatedOn",
  personal = "personal", hidden = "hidden", parents = "parents", children = "children"}
local wire_fields = {}
for snake, wire in pairs(group_fields) do wire_fields[wire] = snake end

local function usage(fmt, ...)
  error(require("datagrok.error").new("USAGE", fmt:format(...)), 3)
end

--- A new, unsaved Group bound to client (`dg:new_group{...}`). Fields take the Lua
-- (snake_case) or the Python/wire (camelCase) spelling: id, name, friendly_name or
-- friendlyName, description, created_on/createdOn, updated_on/updatedOn, personal,
-- hidden, parents, children (arrays of GroupRelation). Any other field, or both
-- spellings with different values, raises USAGE. `id` defaults to a random UUID v4;
-- a group given an id may already exist, so its relations count as loaded only for
-- the lists given here.
function M.new_group(client, fields)
  if fields ~= nil and type(fields) ~= "table" then
    error(("bad argument #1 to 'new_group' (table expected, got %s)"):format(type(fields)), 3)
  end
  fields = fields or {}
  local g = setmetatable({parents = {}, children = {}, personal = false, hidden = false}, Group)
  local given = {}
  for k, v in pairs(fields) do
    local snake = group_fields[k] and k or wire_fields[k]
    if type(k) ~= "string" or not snake then
      local names = {}
      for n in pairs(group_fields) do names[#names + 1] = n end
      table.sort(names)
      usage("new_group: unknown field '%s' (fields: %s, or their camelCase spellings)",
        tostring(k), table.concat(names, ", "))
    end
    if given[snake] ~= nil and given[snake] ~= v then
      usage("new_group: '%s' and '%s' are the same field with different values", snake,
        group_fields[snake])
    end
    given[snake] = v
  end
  for k, v in pairs(given) do
    if k == "parents" or k == "children" then
      if type(v) ~= "table" then usage("new_group: '%s' must be an array of GroupRelation", k) end
      for i, rel in ipairs(v) do g[k][i] = rel end
    else
      g[k] = v
    end
  end
  local fresh = g.id == nil
  g.id = g.id or core.uuid4()
  bound[g] = client
  loaded[g] = {children = fresh or given.children ~= nil, parents = fresh or given.parents ~= nil}
  return g
end

--- The groups on the `side` ("child"/"parent") of relations whose admin flag is `admin`.
local function related(relations, admin, side)
  local out = {}
  for _, rel in ipairs(relations) do
    if rel.is_admin == admin and rel[side] ~= nil then out[#out + 1] = rel[side] end
  end
  return out
end

--- g.members: non-admin member groups (children).
function group_computed.members(g) return related(g.children, false, "child") end
--- g.admin_members: admin member groups.
function group_computed.admin_members(g) return related(g.children, true, "child") end
--- g.memberships: groups g belongs to without admin rights (parents).
function group_computed.memberships(g) return related(g.parents, false, "parent") end
--- g.admin_memberships: groups g administers.
function group_computed.admin_memberships(g) return related(g.parents, true, "parent") end

local function client_of(obj, what)
  local c = bound[obj]
  if not c then error(what .. " is not bound to a client (make it with dg:new_group)", 3) end
  return c
end

--- g:to_dict() -> the camelCase wire form: exactly id, name, friendlyName,
-- description, createdOn, updatedOn, personal, hidden, parents, children
-- (absent values as datagrok.null; relation lists encode as JSON arrays).
function group_methods.to_dict(g)
  local parents, children = json.array({}), json.array({})
  for i, rel in ipairs(g.parents) do parents[i] = rel:to_dict() end
  for i, rel in ipairs(g.children) do children[i] = rel:to_dict() end
  return {
    id = or_null(g.id),
    name = or_null(g.name),
    friendlyName = or_null(g.friendly_name),
    description = or_null(g.description),
    createdOn = or_null(g.created_on),
    updatedOn = or_null(g.updated_on),
    personal = g.personal == true,
    hidden = g.hidden == true,
    parents = parents,
    children = children,
  }
end

--- g:ensure_id() -> g.id, making a random UUID first when g has none.
function group_methods.ensure_id(g)
  if g.id == nil then g.id = core.uuid4() end
  return g.id
end

--- g:relations_loaded() -> children_loaded, parents_loaded: whether the member and
-- membership lists are complete copies of the server's.
function group_methods.relations_loaded(g)
  local l = loaded[g] or {}
  return l.children == true, l.parents == true
end

--- g:load() -> g. Fetches the group's members and memberships from the server into
-- g (a group the server does not know yet has none). Needs a bound client.
function group_methods.load(g)
  local client = client_of(g, "the group")
  group_methods.ensure_id(g)
  local ok, fresh = pcall(client.get_group, client, g.id)
  if ok then
    g.children, g.parents = fresh.children, fresh.parents
  else
    local err = fresh
    if not (type(err) == "table" and (err.status == 404 or err.api_code == 404)) then
      error(err, 0)
    end
    g.children, g.parents = {}, {}
  end
  loaded[g] = {children = true, parents = true}
  return g
end

--- Loads g's relations unless both lists are already complete.
local function ensure_loaded(g)
  local c, p = group_methods.relations_loaded(g)
  if not (c and p) then group_methods.load(g) end
end

local function check_member(member, fname)
  if getmetatable(member) ~= Group then
    error(("bad argument #1 to '%s' (Group expected, got %s)"):format(fname, type(member)), 3)
  end
end

--- g:add_member(group [, is_admin]) -> the saved Group. Loads g's relations when they
-- were not loaded, updates the admin flag of an existing relation to `group` or
-- appends a new relation (random id), then saves g with its relations. Existing
-- members, admins and memberships are kept.
function group_methods.add_member(g, member, is_admin)
  check_member(member, "add_member")
  local client = client_of(g, "the group")
  is_admin = is_admin == true
  group_methods.ensure_id(member)
  group_methods.ensure_id(g)
  ensure_loaded(g)
  local existing
  for _, rel in ipairs(g.children) do
    if rel.child and rel.child.id == member.id then existing = rel break end
  end
  if existing then
    existing.is_admin = is_admin
  else
    g.children[#g.children + 1] = setmetatable({
      id = core.uuid4(),
      is_admin = is_admin,
      parent = setmetatable({id = g.id, parents = {}, children = {}, personal = false,
        hidden = false}, Group),
      child = member,
    }, GroupRelation)
  end
  return client:save_group(g, true)
end

--- g:remove_member(group) -> the saved Group, or g unchanged (no request) when
-- `group` is not a member. Loads g's relations first when they were not loaded;
-- the other members, admins and memberships are kept.
function group_methods.remove_member(g, member)
  check_member(member, "remove_member")
  local client = client_of(g, "the group")
  ensure_loaded(g)
  local kept, removed = {}, false
  for _, rel in ipairs(g.children) do
    if rel.child and rel.child.id == member.id then removed = true
    else kept[#kept + 1] = rel end
  end
  if not removed then return g end
  g.children = kept
  return client:save_group(g, true)
end

--- g:request_membership() -> GroupMembershipRequest (asks to join g).
function group_methods.request_membership(g)
  return client_of(g, "the group"):request_group_membership(g.id)
end

--- g:get_membership_requests() -> array of pending GroupMembershipRequest.
function group_methods.get_membership_requests(g)
  return client_of(g, "the group"):get_group_membership_requests(g.id)
end

--- The name a group is shown by: friendly name, name or id.
local function label(g) return g and tostring(g.friendly_name or g.name or g.id) or "?" end

--- tostring(g): "Group<Chemists 1 member, 1 admin>": the counts are #g.members and
-- #g.admin_members (the admin part only when there are admins); or
-- "Group<Chemists, members not loaded>" for a group whose member list did not come from
-- the server complete.
function Group.__tostring(g)
  if not (loaded[g] or {}).children then
    return ("Group<%s, members not loaded>"):format(label(g))
  end
  local n, a = #g.members, #g.admin_members
  local admins = a > 0 and (", %d admin%s"):format(a, a == 1 and "" or "s") or ""
  return ("Group<%s %d member%s%s>"):format(label(g), n, n == 1 and "" or "s", admins)
end

--- rel:to_dict() -> {id, isAdmin, parent, child} (groups as their dicts or null).
function relation_methods.to_dict(rel)
  return {
    id = or_null(rel.id),
    isAdmin = rel.is_admin == true,
    parent = rel.parent and rel.parent:to_dict() or null,
    child = rel.child and rel.child:to_dict() or null,
  }
end

--- tostring(rel): "GroupRelation<Chemists > alice (admin)>".
function GroupRelation.__tostring(rel)
  return ("GroupRelation<%s > %s%s>"):format(label(rel.parent), label(rel.child),
    rel.is_admin and " (admin)" or "")
end

--- r.is_viewed: true once the request was approved or denied.
function request_computed.is_viewed(r) return r.approved ~= nil end

--- r:approve() -> true
function request_methods.approve(r)
  return client_of(r, "the request"):approve_membership_request(r.id)
end

--- r:deny() -> true
function request_methods.deny(r)
  return client_of(r, "the request"):deny_membership_request(r.id)
end

--- r:to_dict() -> the camelCase wire form.
function request_methods.to_dict(r)
  return {
    id = or_null(r.id),
    approved = or_null(r.approved),
    createdOn = or_null(r.created_on),
    updatedOn = or_null(r.updated_on),
    resolutionDate = or_null(r.resolution_date),
    from = r.from_group and r.from_group:to_dict() or null,
    to = r.to and r.to:to_dict() or null,
  }
end

--- tostring(r): "GroupMembershipRequest<alice -> Chemists pending>".
function GroupMembershipRequest.__tostring(r)
  local state = r.approved == nil and "pending" or (r.approved and "approved" or "denied")
  return ("GroupMembershipRequest<%s -> %s %s>"):format(label(r.from_group), label(r.to), state)
end

M.Group = Group
M.GroupRelation = GroupRelation
M.GroupMembershipRequest = GroupMembershipRequest

-- help(g), help(g.add_member) ... (lua/datagrok/help.lua)
local help = require "datagrok.help"
help.register("datagrok.Group", {
  title = "datagrok.Group: id, name, friendly_name, description, personal, hidden, parents, children",
  values = function() return group_methods end,
  entries = {
    {"members", "g.members -> {Group}", "the non-admin members (children)"},
    {"admin_members", "g.admin_members -> {Group}", "the admin members"},
    {"memberships", "g.memberships -> {Group}", "the groups g belongs to without admin rights (parents)"},
    {"admin_memberships", "g.admin_memberships -> {Group}", "the groups g administers"},
    {"add_member", "g:add_member(member [, is_admin]) -> Group", "adds or updates a member, then saves g with its relations"},
    {"request_membership", "g:request_membership() -> GroupMembershipRequest", "asks to join g"},
    {"get_membership_requests", "g:get_membership_requests() -> {GroupMembershipRequest}", "the pending requests to join g"},
    {"to_dict", "g:to_dict() -> table", "the camelCase wire form"},
    {"ensure_id", "g:ensure_id() -> id", "g.id, set to a random UUID first when missing"},
    {"load", "g:load() -> g", "fetches the members and memberships from the server into g"},
    {"relations_loaded", "g:relations_loaded() -> children_loaded, parents_loaded", "whether the member and membership lists are complete"},
    {"remove_member", "g:remove_member(group) -> Group", "removes a member (loading the lists first), keeping the others"},
  },
})
help.register("datagrok.GroupRelation", {
  title = "datagrok.GroupRelation: id, is_admin, parent, child",
  values = function() return relation_methods end,
  entries = {
    {"to_dict", "rel:to_dict() -> table", "the camelCase wire form"},
  },
})
help.register("datagrok.GroupMembershipRequest", {
  title = "datagrok.GroupMembershipRequest: id, approved, from_group, to, created_on, resolution_date",
  values = function() return request_methods end,
  entries = {
    {"is_viewed", "r.is_viewed -> boolean", "whether the request was approved or denied"},
    {"approve", "r:approve() -> true", "approves the request"},
    {"deny", "r:deny() -> true", "denies the request"},
    {"to_dict", "r:to_dict() -> table", "the camelCase wire form"},
  },
})

return M
