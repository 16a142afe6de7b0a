-- The eleven group operations end to end against the emulator, the Group,
-- GroupRelation and GroupMembershipRequest objects, not-found, bad arguments
-- and the error shapes.
local datagrok = require "datagrok"
local emulator = require "emulator"
local json = datagrok.json

local e, dg

local UUID4 = "^%x%x%x%x%x%x%x%x%-%x%x%x%x%-4%x%x%x%-[89ab]%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$"

local function by_name(groups, name)
  for _, g in ipairs(groups) do if g.name == name then return g end end
end

local function names(groups)
  local out = {}
  for i, g in ipairs(groups) do out[i] = g.name end
  table.sort(out)
  return out
end

-- The query string of the last request, decoded into a table.
local function last_query()
  local q = {}
  for k, v in (e:last_request().query or ""):gmatch("([^&=]+)=([^&]*)") do
    q[k] = v:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
  end
  return q
end

setup(function() e, dg = emulator.start_with_client() end)
teardown(function() if e then e:stop() end end)
before_each(function() e:clear_faults(); e:clear_requests() end)

describe("list_groups", function()
  it("lists the non-personal groups by default (text=personal=false)", function()
    local gs = dg:list_groups()
    assert.are.same("/public/v1/groups", e:last_request().path)
    assert.are.same({text = "personal=false"}, last_query())
    assert.is_truthy(by_name(gs, "Chemists"))
    assert.is_truthy(by_name(gs, "All users"))
    for _, g in ipairs(gs) do
      assert.is_false(g.personal)
      assert.are.equal("datagrok.Group", getmetatable(g).__name)
    end
  end)

  it("composes the smart filter and the include list as the Python client does", function()
    local gs = dg:list_groups('name = "Chemists"')
    assert.are.same({text = 'name = "Chemists" and personal=false'}, last_query())
    assert.are.same({"Chemists"}, names(gs))

    dg:list_groups("personal=true", true)
    assert.are.same({text = "personal=true"}, last_query())

    local all = dg:list_groups(nil, true, true, true)
    assert.are.same({text = "personal=true", include = "children.child,parents.parent"}, last_query())
    local personal = 0
    for _, g in ipairs(all) do if g.personal then personal = personal + 1 end end
    assert.is_true(personal >= 3) -- admin, alice, bob

    local chem = by_name(dg:list_groups{smart_filter = 'name = "Chemists"', include_members = true},
      "Chemists")
    assert.are.same({text = 'name = "Chemists" and personal=false', include = "children.child"},
      last_query())
    assert.are.equal(2, #chem.children)

    dg:list_groups{include_memberships = true}
    assert.are.same({text = "personal=false", include = "parents.parent"}, last_query())
  end)
end)

describe("lookup_groups and get_group", function()
  it("finds groups by a substring of the name", function()
    local gs = dg:lookup_groups("hemi")
    assert.are.same({"Chemists"}, names(gs))
    assert.are.same({query = "hemi"}, last_query())
    assert.are.same({}, dg:lookup_groups("no group has this name"))
  end)

  it("gets a group with members and memberships as objects with computed fields", function()
    local id = dg:lookup_groups("Chemists")[1].id
    local g = dg:get_group(id)
    assert.are.equal("/public/v1/groups/" .. id, e:last_request().path)
    assert.are.equal(id, g.id)
    assert.are.equal("Chemists", g.name)
    assert.are.equal("string", type(g.created_on))
    assert.is_false(g.hidden)
    assert.are.equal(2, #g.children)
    for _, rel in ipairs(g.children) do
      assert.are.equal("datagrok.GroupRelation", getmetatable(rel).__name)
      assert.are.equal("boolean", type(rel.is_admin))
      assert.are.equal(id, rel.parent.id)
    end
    assert.are.equal(1, #g.members)
    assert.are.equal(1, #g.admin_members)
    assert.is_true(g.admin_members[1].personal)
    assert.are_not.equal(g.members[1].id, g.admin_members[1].id)
    assert.are.same({}, g.memberships)
    assert.are.equal("Group<Chemists 1 member, 1 admin>", tostring(g))
    assert.matches("^GroupRelation<Chemists > ", tostring(g.children[1]))
    -- a Group object is accepted where an id is
    assert.are.equal(id, dg:get_group(g).id)
    -- the members' own memberships: alice's personal group is in Chemists as an admin
    local admin_member = dg:get_group(g.admin_members[1].id)
    assert.are.equal(id, admin_member.admin_memberships[1].id)
  end)

  it("gets the current user's personal group", function()
    local me = dg:get_current_user_group()
    assert.are.equal("/public/v1/user/group", e:last_request().path)
    assert.is_true(me.personal)
    assert.is_true(#me.memberships >= 1)
  end)

  it("raises a not-found Error with the server's message, status and url", function()
    local ok, err = pcall(dg.get_group, dg, "no-such-group")
    assert.is_false(ok)
    assert.is_true(datagrok.Error.is(err))
    assert.are.equal("API_ERROR", err.code) -- 200 + api-error header + ApiError body
    assert.are.equal(200, err.status)
    assert.are.equal(404, err.api_code)
    assert.matches("no%-such%-group", err.message)
    assert.are.equal("GET", err.method)
    assert.are.equal(e.url .. "/public/v1/groups/no-such-group", err.url)
    assert.matches("ApiError", err.body)
    assert.are.equal(1, err.attempts)
  end)
end)

describe("members and memberships", function()
  local chem
  before_each(function() chem = dg:lookup_groups("Chemists")[1].id end)

  it("filters by admin with Python's True/False", function()
    assert.are.equal(2, #dg:get_group_members(chem))
    assert.is_nil(last_query().admin)
    local admins = dg:get_group_members(chem, true)
    assert.are.equal("True", last_query().admin)
    assert.are.equal(1, #admins)
    local plain = dg:get_group_members(chem, {admin = false})
    assert.are.equal("False", last_query().admin)
    assert.are.equal(1, #plain)
    assert.are_not.equal(admins[1].id, plain[1].id)
    assert.are.equal("/public/v1/groups/" .. chem .. "/members", e:last_request().path)
  end)

  it("lists the groups a group belongs to", function()
    local alice = dg:get_group_members(chem, true)[1]
    local all = dg:get_group_memberships(alice.id)
    assert.are.equal("/public/v1/groups/" .. alice.id .. "/memberships", e:last_request().path)
    assert.is_truthy(by_name(all, "Chemists"))
    assert.is_truthy(by_name(all, "All users"))
    local admin_of = dg:get_group_memberships(alice, true)
    assert.are.same({"Chemists"}, names(admin_of))
    assert.is_nil(by_name(dg:get_group_memberships(alice.id, false), "Chemists"))
  end)
end)

describe("new_group, save_group and add_member", function()
  it("makes an unsaved group with a random UUID v4 and the 10-key wire form", function()
    local g = dg:new_group{name = "Biologists", friendly_name = "Bio", description = "wet lab"}
    assert.matches(UUID4, g.id)
    assert.are_not.equal(g.id, dg:new_group{name = "x"}.id)
    local d = g:to_dict()
    local keys = {}
    for k in pairs(d) do keys[#keys + 1] = k end
    table.sort(keys)
    assert.are.same({"children", "createdOn", "description", "friendlyName", "hidden", "id", "name",
      "parents", "personal", "updatedOn"}, keys)
    assert.are.equal(datagrok.null, d.createdOn)
    local text = json.encode(d)
    assert.matches('"parents":%[%]', text)
    assert.matches('"children":%[%]', text)
    assert.matches('"friendlyName":"Bio"', text)
    assert.are.equal("Group<Bio 0 members>", tostring(g))
  end)

  it("saves a new group, which get_group then returns", function()
    local g = dg:new_group{name = "Saved" .. os.time(), description = "d"}
    local saved = dg:save_group(g)
    assert.are.same({saveRelations = "false"}, last_query())
    assert.are.equal("POST", e:last_request().method)
    assert.are.equal(g.id, saved.id)
    assert.are.equal(g.name, saved.name)
    assert.are.equal("string", type(saved.created_on))
    assert.are.equal("d", dg:get_group(g.id).description)
    -- a plain table of snake_case fields is made a Group (with a fresh id)
    local s2 = dg:save_group({name = "Plain" .. os.time()}, {save_relations = true})
    assert.are.same({saveRelations = "true"}, last_query())
    assert.matches(UUID4, s2.id)
  end)

  it("adds a member, then updates its admin flag instead of adding it twice", function()
    local team = dg:save_group(dg:new_group{name = "Team" .. os.time()})
    local bob = dg:get_group_members(dg:lookup_groups("Chemists")[1].id, false)[1]
    team:add_member(bob)
    assert.are.same({saveRelations = "true"}, last_query())
    local got = dg:get_group(team.id)
    assert.are.same({bob.id}, {got.members[1] and got.members[1].id})
    assert.are.equal(0, #got.admin_members)
    got:add_member(bob, true)
    local again = dg:get_group(team.id)
    assert.are.equal(1, #again.children)
    assert.are.equal(0, #again.members)
    assert.are.equal(bob.id, again.admin_members[1].id)
  end)

  it("adds a member to a group not saved yet", function()
    local g = dg:new_group{name = "Fresh" .. os.time()}
    local alice = dg:get_group_members(dg:lookup_groups("Chemists")[1].id, true)[1]
    local saved = g:add_member(alice, true)
    assert.are.equal(g.id, saved.id)
    assert.are.equal(alice.id, dg:get_group(g.id).admin_members[1].id)
  end)
end)

describe("membership requests", function()
  it("requests, lists, approves and denies", function()
    local dev = dg:lookup_groups("Developers")[1]
    local r = dev:request_membership()
    assert.are.equal("/public/v1/groups/" .. dev.id .. "/request", e:last_request().path)
    assert.are.equal("POST", e:last_request().method)
    assert.are.equal("datagrok.GroupMembershipRequest", getmetatable(r).__name)
    assert.is_nil(r.approved)
    assert.is_false(r.is_viewed)
    assert.are.equal(dev.id, r.to.id)
    assert.is_true(r.from_group.personal)
    assert.matches("pending>$", tostring(r))
    local d = r:to_dict()
    assert.are.equal(datagrok.null, d.approved)
    assert.are.equal(dev.id, d.to.id)

    local pending = dev:get_membership_requests()
    assert.are.equal("/public/v1/groups/" .. dev.id .. "/requests", e:last_request().path)
    local found
    for _, q in ipairs(pending) do if q.id == r.id then found = q end end
    assert.is_truthy(found)
    assert.is_true(found:approve())
    assert.are.equal("/public/v1/groups/requests/" .. r.id .. "/approve", e:last_request().path)
    local members = dg:get_group_members(dev.id)
    local me = dg:get_current_user_group()
    assert.is_truthy(by_name(members, me.name))

    local chem = dg:lookup_groups("Chemists")[1]
    local r2 = dg:request_group_membership(chem.id)
    assert.is_true(dg:deny_membership_request(r2.id))
    assert.are.equal("/public/v1/groups/requests/" .. r2.id .. "/deny", e:last_request().path)
    assert.is_nil(by_name(dg:get_group_members(chem.id), me.name))
  end)

  it("raises for an unknown request", function()
    local ok, err = pcall(dg.approve_membership_request, dg, "no-such-request")
    assert.is_false(ok)
    assert.are.equal(404, err.api_code)
  end)
end)

describe("bad arguments", function()
  it("raise Lua's usual messages", function()
    assert.has_error(function() dg:get_group(nil) end,
      "bad argument #1 to 'get_group' (string expected, got nil)")
    assert.has_error(function() dg:get_group("") end)
    assert.has_error(function() dg:lookup_groups({}) end,
      "bad argument #1 to 'lookup_groups' (string expected, got table)")
    assert.has_error(function() dg:get_group_members("x", "yes") end,
      "bad argument #2 to 'get_group_members' (boolean expected, got string)")
    assert.has_error(function() dg:save_group(42) end,
      "bad argument #1 to 'save_group' (Group expected, got number)")
    assert.has_error(function() dg:new_group(5) end)
    local g = dg:new_group{name = "x"}
    assert.has_error(function() g:add_member("bob") end,
      "bad argument #1 to 'add_member' (Group expected, got string)")
    assert.has_error(function() dg:save_group{name = "x", description = function() end} end)
  end)
end)

describe("error shapes", function()
  it("a 4xx/5xx answer raises HTTP_<status> with the server's message", function()
    e:fault{prefix = "/public/v1/groups/lookup", count = 1, action = "status", status = 404}
    local ok, err = pcall(dg.lookup_groups, dg, "Chem")
    assert.is_false(ok)
    assert.are.equal("HTTP_404", err.code)
    assert.are.equal(404, err.status)
    assert.are.equal("injected fault: status 404", err.message)
    assert.are.equal(1, err.attempts)
  end)

  it("a 2xx with an api-error header raises API_ERROR", function()
    e:fault{prefix = "/public/v1/groups/lookup", count = 1, action = "status", status = 200}
    local ok, err = pcall(dg.lookup_groups, dg, "Chem")
    assert.is_false(ok)
    assert.are.equal("API_ERROR", err.code)
    assert.are.equal(200, err.status)
    assert.are.equal("injected fault: status 200", err.message)
  end)

  it("a refused key raises HTTP_401 (exit code 3)", function()
    local bad = datagrok.new("Bearer wrong-key", e.url)
    local ok, err = pcall(bad.get_current_user_group, bad)
    assert.is_false(ok)
    assert.are.equal("HTTP_401", err.code)
    assert.are.equal(3, datagrok.Error.exit_code(err))
    assert.is_nil(tostring(err):find("wrong-key", 1, true))
  end)
end)

describe("groups that cannot be wiped", function()
  -- a fresh group with two members (one admin) and one membership
  local function team_with_members()
    local chem = dg:find_group("Chemists")
    local alice = dg:find_user_group("alice")
    local bob = dg:find_user_group("bob")
    local t = dg:save_group(dg:new_group{name = "Wipe" .. os.time() .. math.random(1e6)})
    t:add_member(alice, true)
    t:add_member(bob)
    chem:add_member(t)
    return dg:get_group(t.id), alice, bob
  end

  it("add_member on a looked-up group keeps its members, admins and memberships", function()
    local t, alice, bob = team_with_members()
    local looked = dg:lookup_groups(t.name)[1]
    assert.are.equal(("Group<%s, members not loaded>"):format(t.name), tostring(looked))
    assert.are.same({false, false}, {looked:relations_loaded()})
    local admin = dg:find_user_group("admin")
    looked:add_member(admin)
    local after = dg:get_group(t.id)
    assert.are.equal(3, #after.children)
    assert.are.equal(alice.id, after.admin_members[1].id)
    local ids = {}
    for _, m in ipairs(after.members) do ids[m.id] = true end
    assert.is_true(ids[bob.id] and ids[admin.id])
    assert.are.equal("Chemists", after.memberships[1].name)
  end)

  it("add_member on a listed group (members only) keeps its memberships", function()
    local t = team_with_members()
    local listed
    for _, g in ipairs(dg:list_groups{include_members = true}) do
      if g.id == t.id then listed = g end
    end
    assert.are.same({true, false}, {listed:relations_loaded()})
    assert.are.equal(("Group<%s 1 member, 1 admin>"):format(t.name), tostring(listed))
    listed:add_member(dg:find_user_group("admin"), true)
    local after = dg:get_group(t.id)
    assert.are.equal(3, #after.children)
    assert.are.equal("Chemists", after.memberships[1].name)
  end)

  it("save_group with relations refuses a group whose relations were not loaded", function()
    local t = team_with_members()
    local looked = dg:lookup_groups(t.name)[1]
    e:clear_requests()
    local ok, err = pcall(dg.save_group, dg, looked, true)
    assert.is_false(ok)
    assert.are.equal("USAGE", err.code)
    assert.matches("members of group '" .. t.name .. "' were not loaded", err.message)
    assert.are.same({}, e:requests()) -- nothing was sent
    assert.are.equal(2, #dg:get_group(t.id).children)
    -- without relations it only saves the fields
    looked.description = "renamed"
    dg:save_group(looked)
    local after = dg:get_group(t.id)
    assert.are.equal("renamed", after.description)
    assert.are.equal(2, #after.children)
    -- g:load() makes it savable
    looked:load()
    assert.are.same({true, true}, {looked:relations_loaded()})
    dg:save_group(looked, true)
    assert.are.equal(2, #dg:get_group(t.id).children)
  end)

  it("remove_member removes one member and keeps the others", function()
    local t, alice, bob = team_with_members()
    local looked = dg:lookup_groups(t.name)[1]
    looked:remove_member(bob)
    local after = dg:get_group(t.id)
    assert.are.equal(1, #after.children)
    assert.are.equal(alice.id, after.admin_members[1].id)
    assert.are.equal("Chemists", after.memberships[1].name)
    -- not a member: nothing is sent
    e:clear_requests()
    assert.are.equal(after, after:remove_member(bob))
    assert.are.same({}, e:requests())
  end)

  it("find_group is exact, nil when absent, AMBIGUOUS when two groups share a name", function()
    assert.are.equal("Chemists", dg:find_group("Chemists").name)
    assert.are.same({true, true}, {dg:find_group("Chemists"):relations_loaded()})
    assert.are.equal("Chemists", dg:find_group("chemists").name) -- no exact-case match
    assert.is_nil(dg:find_group("Chem"))                         -- a substring is not a name
    assert.is_nil(dg:find_group("alice"))                         -- a personal group
    assert.are.equal("alice", dg:find_user_group("alice").name)
    local n = "Twin" .. os.time()
    dg:save_group(dg:new_group{name = n})
    dg:save_group(dg:new_group{name = n:upper()})
    assert.are.equal(n, dg:find_group(n).name)
    dg:save_group(dg:new_group{name = n:lower()})
    local ok, err = pcall(dg.find_group, dg, n:sub(1, 1):lower() .. n:sub(2):upper())
    assert.is_false(ok)
    assert.are.equal("AMBIGUOUS", err.code)
    assert.are.equal(2, datagrok.Error.exit_code(err))
  end)

  it("delete_group deletes by group or id", function()
    local g = dg:save_group(dg:new_group{name = "Doomed" .. os.time()})
    assert.is_true(dg:delete_group(g))
    assert.are.equal("DELETE", e:last_request().method)
    assert.is_nil(dg:find_group(g.name))
    local ok, err = pcall(dg.delete_group, dg, g.id)
    assert.is_false(ok)
    assert.are.equal(404, err.api_code)
  end)

  it("new_group takes the wire spellings and rejects unknown fields", function()
    local g = dg:new_group{name = "W", friendlyName = "Wire name", description = "d"}
    assert.are.equal("Wire name", g.friendly_name)
    local ok, err = pcall(dg.new_group, dg, {name = "W", frendly_name = "typo"})
    assert.is_false(ok)
    assert.are.equal("USAGE", err.code)
    assert.matches("unknown field 'frendly_name'", err.message)
    ok, err = pcall(dg.new_group, dg, {name = "W", friendly_name = "a", friendlyName = "b"})
    assert.is_false(ok)
    assert.matches("same field", err.message)
    -- a new group's relations are loaded (empty); one given an id may exist: not loaded
    assert.are.same({true, true}, {dg:new_group{name = "N"}:relations_loaded()})
    assert.are.same({false, false}, {dg:new_group{id = "x", name = "N"}:relations_loaded()})
  end)
end)
