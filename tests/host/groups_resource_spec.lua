-- dg.groups, the resource facade over the seed's group bindings: the P4 names, delete
-- and current, name resolution as `grok s groups` does it, and add_member/remove_member
-- fetching the parent before editing its members (so no member is ever dropped).
local emulator = require "emulator"
local policy = require "retry_policy"

local e, dg

local CHEMISTS = "c4e70000-9a50-11e6-9cc9-00000000c4e7"

local function paths()
  local out = {}
  for _, r in ipairs(e:requests()) do out[#out + 1] = r.method .. " " .. r.path end
  return out
end

local function member_names(g)
  local names = {}
  for _, rel in ipairs(dg.groups:get(g).children) do
    names[#names + 1] = rel.child.name .. (rel.is_admin and "*" or "")
  end
  table.sort(names)
  return names
end

setup(function() e, dg = emulator.start_with_client() end)
teardown(function() if e then e:stop() end end)
before_each(function() e:clear_faults(); e:clear_requests() end)

describe("dg.groups", function()
  it("lists, finds and gets as the seed's calls do", function()
    local names = {}
    for _, g in ipairs(dg.groups:list()) do names[#names + 1] = g.name end
    assert.are.same({"Administrators", "All users", "Chemists", "Developers"}, names)
    assert.are.equal("Chemists", dg.groups:find("chem")[1].name)
    -- the server's smart filter, with the personal=false the client appends
    local some = dg.groups:list('name in ("Chemists", "Developers")')
    assert.are.same({"Chemists", "Developers"}, {some[1].name, some[2].name})
    assert.are.equal(1, #dg.groups:list('description contains "chemistry"'))
    local chem = dg.groups:get("Chemists")
    assert.are.equal(CHEMISTS, chem.id)
    assert.are.equal(2, #chem.children)
    assert.are.equal(2, #dg.groups:get_members(chem))
    assert.are.equal(1, #dg.groups:get_members(chem, true))
    assert.are.equal(1, #dg.groups:get_memberships(dg.groups:resolve("bob", {user = true}), false) - 1)
  end)

  it("answers the current user's group on the P4 route", function()
    local g = dg.groups:current()
    assert.is_true(g.personal)
    assert.are.equal("admin", g.name)
    assert.are.equal("GET /public/v1/groups/current", paths()[1])
  end)

  it("saves and deletes; deleting a missing group raises API_ERROR 404", function()
    local g = dg.groups:save(dg:new_group{name = "Temp team"})
    assert.is_true(dg.groups:delete(g))
    assert.are.equal("DELETE /public/v1/groups/" .. g.id, paths()[#paths()])
    local ok, err = pcall(dg.groups.get, dg.groups, g.id)
    assert.is_false(ok)
    assert.are.equal(404, err.api_code)
    ok, err = pcall(dg.groups.delete, dg.groups, g.id)
    assert.is_false(ok)
    assert.are.equal(404, err.api_code)
    assert.is_true(dg.groups:delete(dg.groups:save(dg:new_group{name = "By:name"}).name))
  end)

  it("resolves names as grok s does: exact name wins, --user picks personal groups, ambiguity raises", function()
    assert.are.equal(CHEMISTS, dg.groups:resolve("chemists").id)
    assert.are.equal(CHEMISTS, dg.groups:resolve("chemi").id) -- one substring match
    assert.are.equal(CHEMISTS, dg.groups:resolve(CHEMISTS).id)
    assert.is_true(dg.groups:resolve("alice", {user = true}).personal)
    assert.are.equal("admin", dg.groups:resolve("admin").name) -- exact beats "Administrators"
    local ok, err = pcall(dg.groups.resolve, dg.groups, "e")
    assert.is_false(ok)
    assert.are.equal("USAGE", err.code)
    assert.matches("ambiguous", err.message)
    assert.matches("Chemists", err.message)
    ok, err = pcall(dg.groups.resolve, dg.groups, "no such group")
    assert.is_false(ok)
    assert.are.equal("API_ERROR", err.code)
    assert.are.equal(404, err.api_code)
  end)

  it("add_member fetches the parent first and keeps every existing member", function()
    local team = dg.groups:save(dg:new_group{name = "Formulation"})
    dg.groups:add_member(team, "alice", {user = true})
    -- a lookup result has no children: adding through it must not drop alice
    local found = dg.groups:find("Formulation")[1]
    assert.are.equal(0, #found.children)
    e:clear_requests()
    local saved, status = dg.groups:add_member(found, "bob", true, {user = true})
    assert.are.equal("added", status)
    local seen = paths()
    assert.are.equal("GET /public/v1/groups/" .. team.id, seen[1])
    assert.are.equal("POST /public/v1/groups", seen[#seen])
    assert.are.equal(2, #saved.children)
    assert.are.same({"alice", "bob*"}, member_names(team.id))
  end)

  it("add_member updates the admin flag, is a no-op when nothing changes, and nests groups", function()
    local team = dg.groups:save(dg:new_group{name = "Nesting"})
    assert.are.equal("added", select(2, dg.groups:add_member("Nesting", "Chemists")))
    assert.are.equal("noop", select(2, dg.groups:add_member("Nesting", "Chemists")))
    assert.are.equal("updated", select(2, dg.groups:add_member("Nesting", "Chemists", true)))
    assert.are.same({"Chemists*"}, member_names(team.id))
  end)

  it("remove_member removes one relation and reports a non-member", function()
    local team = dg.groups:save(dg:new_group{name = "Shrinking"})
    dg.groups:add_member(team, dg.users:get("alice"))
    dg.groups:add_member(team, dg.users:get("bob"))
    local g, status = dg.groups:remove_member("Shrinking", dg.users:get("alice"))
    assert.are.equal("removed", status)
    assert.are.equal(1, #g.children)
    assert.are.same({"bob"}, member_names(team.id))
    assert.are.equal("not-member", select(2, dg.groups:remove_member("Shrinking", dg.users:get("alice"))))
  end)

  it("refuses a member that does not resolve, before saving anything", function()
    local team = dg.groups:save(dg:new_group{name = "Careful"})
    e:clear_requests()
    local ok, err = pcall(dg.groups.add_member, dg.groups, team, "nobody at all")
    assert.is_false(ok)
    assert.are.equal(404, err.api_code)
    for _, p in ipairs(paths()) do assert.is_nil(p:find("^POST"), p) end
  end)

  it("retries reads and deletes, not saves", function()
    policy.retried(e, "GET", "/public/v1/groups/current", function() return dg.groups:current() end)
    policy.retried(e, "GET", "/public/v1/groups/" .. CHEMISTS, function() return dg.groups:get(CHEMISTS) end)
    local g = dg.groups:save(dg:new_group{name = "Retry me"})
    policy.retried(e, "DELETE", "/public/v1/groups/", function() return dg.groups:delete(g) end)
    policy.not_retried(e, "POST", "/public/v1/groups", function()
      return dg.groups:save(dg:new_group{name = "Not twice"})
    end)
    policy.not_retried(e, "POST", "/public/v1/groups", function()
      return dg.groups:add_member("Chemists", "Developers")
    end)
  end)
end)
