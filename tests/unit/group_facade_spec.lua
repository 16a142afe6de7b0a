-- lua/datagrok/group.lua under stock lua5.4, against fake C modules
-- (tests/support/fake_core.lua): how Group, GroupRelation and
-- GroupMembershipRequest wrap the wire JSON, their computed fields, to_dict
-- payloads, relation editing (add_member, as member or admin) and printing.
local fake_core = require "fake_core"
local uuid = fake_core.uuid

local fake, group, client, null

-- The wire form of a group (camelCase, as the server sends it).
local function wire_group(id, name, extra)
  local d = { id = id, name = name, friendlyName = null, description = null,
    createdOn = "2024-01-02T03:04:05Z", updatedOn = null, personal = false, hidden = null,
    parents = null, children = null }
  for k, v in pairs(extra or {}) do d[k] = v end
  return d
end

local function wire_relation(id, is_admin, parent, child)
  return { id = id, isAdmin = is_admin, parent = parent, child = child }
end

-- The sorted keys of a table.
local function keys(t)
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  table.sort(out)
  return out
end

local function new_client()
  return client.new("Bearer secret-key", "https://example.test/api")
end

before_each(function()
  fake = fake_core.install()
  null = fake.null
  group = require "datagrok.group"
  client = require "datagrok.client"
end)

teardown(function() fake_core.uninstall() end)

describe("group_from_dict", function()
  it("maps the camelCase wire fields to snake_case, null and absent to nil", function()
    local dg = new_client()
    local g = group.group_from_dict(dg, wire_group("g1", "Chemists", {
      friendlyName = "The Chemists", description = "lab", updatedOn = "2024-02-03T00:00:00Z" }))
    assert.is_true(group.is_group(g))
    assert.are.equal("g1", g.id)
    assert.are.equal("Chemists", g.name)
    assert.are.equal("The Chemists", g.friendly_name)
    assert.are.equal("lab", g.description)
    assert.are.equal("2024-01-02T03:04:05Z", g.created_on)
    assert.are.equal("2024-02-03T00:00:00Z", g.updated_on)
    assert.are.equal(false, g.personal)
    assert.are.equal(false, g.hidden) -- null: false, not nil
    assert.are.same({}, g.parents)
    assert.are.same({}, g.children)
    local bare = group.group_from_dict(dg, { id = "g2" })
    assert.is_nil(bare.name)
    assert.is_nil(bare.description)
    assert.are.equal(false, bare.personal)
    assert.are.equal(true, group.group_from_dict(dg, { id = "g3", personal = true, hidden = true }).personal)
  end)

  it("shows only data in pairs: the client is kept outside the object", function()
    local g = group.group_from_dict(new_client(), wire_group("g1", "Chemists"))
    assert.are.same({ "children", "created_on", "hidden", "id", "name", "parents", "personal" }, keys(g))
    for _, v in pairs(g) do assert.are_not.equal("secret-key", v) end
  end)

  it("wraps relations with nested groups; a null isAdmin is false", function()
    local dg = new_client()
    local g = group.group_from_dict(dg, wire_group("team", "Team", {
      children = {
        wire_relation("r1", true, wire_group("team", "Team"), wire_group("alice", "alice", { personal = true })),
        wire_relation("r2", null, wire_group("team", "Team"), wire_group("bob", "bob")),
        wire_relation("r3", false, wire_group("team", "Team"), wire_group("chem", "Chemists")),
      },
      parents = { wire_relation("r4", true, wire_group("all", "All users"), null) },
    }))
    assert.are.equal(3, #g.children)
    local r1 = g.children[1]
    assert.are.equal(getmetatable(r1), group.GroupRelation)
    assert.are.equal("r1", r1.id)
    assert.is_true(r1.is_admin)
    assert.is_true(group.is_group(r1.parent))
    assert.are.equal("alice", r1.child.name)
    assert.is_true(r1.child.personal)
    assert.is_false(g.children[2].is_admin)
    assert.is_false(g.children[3].is_admin)
    assert.is_nil(g.parents[1].child)
    assert.are.equal("All users", g.parents[1].parent.name)
  end)

  it("computes members, admin_members, memberships and admin_memberships", function()
    local g = group.group_from_dict(new_client(), wire_group("team", "Team", {
      children = {
        wire_relation("r1", true, null, wire_group("alice", "alice")),
        wire_relation("r2", false, null, wire_group("bob", "bob")),
        wire_relation("r3", false, null, wire_group("carol", "carol")),
        wire_relation("r4", false, null, null), -- no child: in no list
      },
      parents = {
        wire_relation("r5", false, wire_group("all", "All users"), null),
        wire_relation("r6", true, wire_group("chem", "Chemists"), null),
      },
    }))
    local function names(list)
      local out = {}
      for i, x in ipairs(list) do out[i] = x.name end
      return out
    end
    assert.are.same({ "bob", "carol" }, names(g.members))
    assert.are.same({ "alice" }, names(g.admin_members))
    assert.are.same({ "All users" }, names(g.memberships))
    assert.are.same({ "Chemists" }, names(g.admin_memberships))
    -- computed, not stored
    assert.is_nil(rawget(g, "members"))
  end)
end)

describe("request_from_dict", function()
  it("wraps a membership request with its groups and state", function()
    local dg = new_client()
    local r = group.request_from_dict(dg, { id = "q1", approved = null, createdOn = "c", updatedOn = null,
      resolutionDate = null, from = wire_group("alice", "alice"), to = wire_group("chem", "Chemists") })
    assert.are.equal(getmetatable(r), group.GroupMembershipRequest)
    assert.are.equal("q1", r.id)
    assert.is_nil(r.approved)
    assert.are.equal("c", r.created_on)
    assert.are.equal("alice", r.from_group.name)
    assert.are.equal("Chemists", r.to.name)
    assert.is_false(r.is_viewed)
    assert.are.equal("GroupMembershipRequest<alice -> Chemists pending>", tostring(r))
    local done = group.request_from_dict(dg, { id = "q2", approved = false, from = null, to = null })
    assert.is_true(done.is_viewed)
    assert.is_nil(done.from_group)
    assert.are.equal("GroupMembershipRequest<? -> ? denied>", tostring(done))
    done.approved = true
    assert.are.equal("GroupMembershipRequest<? -> ? approved>", tostring(done))
  end)

  it("approves and denies through the client's session", function()
    local dg = new_client()
    fake.replies.approve_membership_request = true
    fake.replies.deny_membership_request = true
    local r = group.request_from_dict(dg, { id = "q1" })
    assert.is_true(r:approve())
    assert.is_true(r:deny())
    assert.are.same({ "q1", n = 1 }, fake.call("approve_membership_request").args)
    assert.are.same({ "q1", n = 1 }, fake.call("deny_membership_request").args)
    assert.are.equal(dg._session, fake.call("approve_membership_request").session)
  end)

  it("writes the wire form back with to_dict", function()
    local r = group.request_from_dict(new_client(), { id = "q1", approved = true, createdOn = "c",
      from = wire_group("alice", "alice"), to = null })
    local d = r:to_dict()
    assert.are.same({ "approved", "createdOn", "from", "id", "resolutionDate", "to", "updatedOn" }, keys(d))
    assert.are.equal(true, d.approved)
    assert.are.equal(null, d.to)
    assert.are.equal(null, d.updatedOn)
    assert.are.equal("alice", d.from.name)
  end)
end)

describe("new_group and to_dict", function()
  it("makes an unsaved group with defaults and a random UUID id", function()
    local dg = new_client()
    local g = group.new_group(dg, { name = "Team", description = "d" })
    assert.is_true(group.is_group(g))
    assert.are.equal(uuid(1), g.id)
    assert.are.equal("Team", g.name)
    assert.are.equal(false, g.personal)
    assert.are.equal(false, g.hidden)
    local ok, err = pcall(group.new_group, dg, { name = "Team", ignored = 1 }) -- a typo is not dropped
    assert.is_false(ok)
    assert.are.equal("USAGE", err.code)
    assert.are.equal("given", group.new_group(dg, { id = "given" }).id)
    assert.are.equal(1, fake.uuids) -- no UUID made for a given id (nor for the refused one)
    assert.has_error(function() group.new_group(dg, "Team") end,
      "bad argument #1 to 'new_group' (table expected, got string)")
  end)

  it("writes exactly the wire fields, absent ones as null and relations as arrays", function()
    local dg = new_client()
    local g = group.new_group(dg, { name = "Team", hidden = true })
    local d = g:to_dict()
    assert.are.same({ "children", "createdOn", "description", "friendlyName", "hidden", "id", "name",
      "parents", "personal", "updatedOn" }, keys(d))
    assert.are.equal(uuid(1), d.id)
    assert.are.equal("Team", d.name)
    assert.are.equal(null, d.friendlyName)
    assert.are.equal(null, d.description)
    assert.are.equal(null, d.createdOn)
    assert.are.equal(false, d.personal)
    assert.are.equal(true, d.hidden)
    assert.is_true(fake.json.is_array(d.parents)) -- encodes as [] not {}
    assert.is_true(fake.json.is_array(d.children))
    assert.are.equal(0, #d.children)
  end)

  it("round-trips the wire form of a group with relations", function()
    local wire = wire_group("team", "Team", {
      friendlyName = "The team", hidden = false,
      children = { wire_relation("r1", true, wire_group("team", "Team"), wire_group("alice", "alice")) },
    })
    local d = group.group_from_dict(new_client(), wire):to_dict()
    assert.are.equal("The team", d.friendlyName)
    assert.are.equal(1, #d.children)
    local rel = d.children[1]
    assert.are.same({ "child", "id", "isAdmin", "parent" }, keys(rel))
    assert.are.equal("r1", rel.id)
    assert.are.equal(true, rel.isAdmin)
    assert.are.equal("alice", rel.child.name)
    assert.are.equal("team", rel.parent.id)
  end)

  it("ensure_id keeps an id and makes one when missing", function()
    local g = group.new_group(new_client(), { id = "x" })
    assert.are.equal("x", g:ensure_id())
    g.id = nil
    assert.are.equal(uuid(1), g:ensure_id())
    assert.are.equal(uuid(1), g.id)
  end)
end)

describe("add_member", function()
  it("appends a relation and saves the group with its relations", function()
    local dg = new_client()
    local saved = wire_group("saved", "Team")
    fake.replies.save_group = saved
    local team = dg:new_group{ name = "Team" }      -- uuid 1
    local bob = dg:new_group{ name = "bob" }        -- uuid 2
    local result = team:add_member(bob)
    assert.is_true(group.is_group(result))
    assert.are.equal("saved", result.id)             -- the server's answer, wrapped
    local call = fake.call("save_group")
    assert.are.equal(dg._session, call.session)
    assert.are.equal(true, call.args[2])              -- save_relations
    local payload = call.args[1]
    assert.are.equal(uuid(1), payload.id)
    assert.are.equal(1, #payload.children)
    local rel = payload.children[1]
    assert.are.equal(uuid(3), rel.id)                 -- a new relation id
    assert.are.equal(false, rel.isAdmin)
    assert.are.equal(uuid(1), rel.parent.id)
    assert.are.equal(uuid(2), rel.child.id)
    assert.are.equal("bob", rel.child.name)
    -- the group itself holds the relation now
    assert.are.equal(1, #team.children)
    assert.are.same({ bob }, team.members)
  end)

  it("adds an admin, and updates the flag of an existing relation instead of duplicating it", function()
    local dg = new_client()
    fake.replies.save_group = function(d) return d end -- the server echoes the payload
    local team = dg:new_group{ name = "Team" }
    local alice = dg:new_group{ name = "alice" }
    team:add_member(alice, true)
    assert.are.same({ alice }, team.admin_members)
    assert.are.same({}, team.members)
    assert.is_true(fake.calls_of("save_group")[1].args[1].children[1].isAdmin)
    -- again as a plain member: the same relation, demoted
    team:add_member(alice)
    assert.are.equal(1, #team.children)
    assert.are.same({ alice }, team.members)
    local second = fake.calls_of("save_group")[2].args[1]
    assert.are.equal(1, #second.children)
    assert.are.equal(false, second.children[1].isAdmin)
    assert.are.equal(uuid(3), second.children[1].id) -- the relation kept its id
  end)

  it("gives ids to a member and a group that have none", function()
    local dg = new_client()
    fake.replies.save_group = function(d) return d end
    local team = dg:new_group{ name = "Team" }
    local carol = dg:new_group{ name = "carol" }
    team.id, carol.id = nil, nil
    team:add_member(carol)
    local payload = fake.call("save_group").args[1]
    assert.is_string(payload.id)
    assert.are.equal(team.id, payload.id)
    assert.are.equal(carol.id, payload.children[1].child.id)
    assert.are_not.equal(payload.id, carol.id)
  end)

  it("refuses a member that is not a Group and a group without a client", function()
    local dg = new_client()
    local team = dg:new_group{ name = "Team" }
    assert.has_error(function() team:add_member("bob") end,
      "bad argument #1 to 'add_member' (Group expected, got string)")
    assert.has_error(function() team:add_member({ id = "x" }) end,
      "bad argument #1 to 'add_member' (Group expected, got table)")
    -- a group made without the facade has no client to save through
    local unbound = setmetatable({ id = "u", parents = {}, children = {} }, group.Group)
    local ok, err = pcall(unbound.add_member, unbound, team)
    assert.is_false(ok)
    assert.matches("the group is not bound to a client", err)
    assert.are.same({}, fake.calls_of("save_group"))
  end)
end)

describe("group operations through the client", function()
  it("binds the groups nested in relations to the same client", function()
    local dg = new_client()
    fake.replies.request_group_membership = { id = "q1" }
    local g = group.group_from_dict(dg, wire_group("t", "T", {
      children = { wire_relation("r", false, wire_group("t", "T"), wire_group("c", "c")) } }))
    g.children[1].child:request_membership()
    local call = fake.call("request_group_membership")
    assert.are.equal(dg._session, call.session)
    assert.are.same({ "c", n = 1 }, call.args)
  end)

  it("requests membership and lists requests for the group's id", function()
    local dg = new_client()
    fake.replies.request_group_membership = { id = "q1", to = wire_group("chem", "Chemists") }
    fake.replies.get_group_membership_requests = { { id = "q1" }, { id = "q2", approved = true } }
    local g = group.group_from_dict(dg, wire_group("chem", "Chemists"))
    local r = g:request_membership()
    assert.are.equal(getmetatable(r), group.GroupMembershipRequest)
    assert.are.equal("Chemists", r.to.name)
    assert.are.same({ "chem", n = 1 }, fake.call("request_group_membership").args)
    local list = g:get_membership_requests()
    assert.are.equal(2, #list)
    assert.are.equal("q2", list[2].id)
    assert.is_true(list[2].is_viewed)
    assert.are.same({ "chem", n = 1 }, fake.call("get_group_membership_requests").args)
  end)
end)

describe("printing", function()
  it("labels a group by friendly name, name or id, with its member count", function()
    local dg = new_client()
    assert.are.equal("Group<Team 0 members>", tostring(dg:new_group{ name = "Team" }))
    assert.are.equal("Group<The team 0 members>",
      tostring(dg:new_group{ name = "Team", friendly_name = "The team" }))
    assert.are.equal("Group<" .. uuid(3) .. " 0 members>", tostring(dg:new_group{}))
    local wire = wire_group("t", "Team", { children = {
      wire_relation("r1", false, null, wire_group("a", "a")) } })
    -- an answer without complete member lists (a lookup) does not claim a count
    assert.are.equal("Group<Team, members not loaded>", tostring(group.group_from_dict(dg, wire)))
    local g = group.group_from_dict(dg, wire, "all")
    assert.are.equal("Group<Team 1 member>", tostring(g))
    g.children[2] = g.children[1]
    assert.are.equal("Group<Team 2 members>", tostring(g))
  end)

  it("counts what #g.members and #g.admin_members count, admins apart", function()
    local dg = new_client()
    local g = group.group_from_dict(dg, wire_group("c", "Chemists", { children = {
      wire_relation("r1", true, null, wire_group("adm", "admin")),
      wire_relation("r2", false, null, wire_group("al", "alice")) } }), "all")
    assert.are.equal(1, #g.members)
    assert.are.equal(1, #g.admin_members)
    assert.are.equal("Group<Chemists 1 member, 1 admin>", tostring(g))
    g.children[3] = g.children[1]
    assert.are.equal("Group<Chemists 1 member, 2 admins>", tostring(g))
    g.children = { g.children[1] }
    assert.are.equal("Group<Chemists 0 members, 1 admin>", tostring(g))
  end)

  it("prints relations with both sides and the admin flag", function()
    local g = group.group_from_dict(new_client(), wire_group("t", "Team", { children = {
      wire_relation("r1", true, wire_group("t", "Team"), wire_group("a", "alice")),
      wire_relation("r2", false, wire_group("t", "Team", { friendlyName = "The team" }), null) } }))
    assert.are.equal("GroupRelation<Team > alice (admin)>", tostring(g.children[1]))
    assert.are.equal("GroupRelation<The team > ?>", tostring(g.children[2]))
  end)

  it("offers methods and computed fields for completion", function()
    local g = group.new_group(new_client(), {})
    local names = getmetatable(g).__complete(g)
    table.sort(names)
    assert.are.same({ "add_member", "admin_members", "admin_memberships", "ensure_id",
      "get_membership_requests", "load", "members", "memberships", "relations_loaded", "remove_member",
      "request_membership", "to_dict" }, names)
  end)
end)
