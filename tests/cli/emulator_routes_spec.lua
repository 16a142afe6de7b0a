-- The emulator's routes, over HTTP with curl: groups, users, tables, files, dashboards,
-- functions, info. Shapes follow docs/protocol.md.
local emulator = require "emulator"
local json = emulator.json

local ALL_USERS = "a4b45840-9a50-11e6-9cc9-8546b8bf62e6"
local DEVELOPERS = "ba9cd191-9a50-11e6-9cc9-910bf827f0ab"
local CHEMISTS = "c4e70000-9a50-11e6-9cc9-00000000c4e7"
local ADMIN_GROUP = "a4b45840-9a50-11e6-c537-6bf8e9ab02ee"
local ALICE_GROUP = "a11ce000-9a50-11e6-9cc9-00000000a11d"
local BOB_GROUP = "b0b00000-9a50-11e6-9cc9-00000000b0b1"
local DEMOG = "de300000-9a50-11e6-9cc9-00000000de30"

local e
setup(function() e = emulator.start{ demo = true, faults = true } end)
teardown(function() e:stop() end)

local function is_api_error(res, code)
  if res.headers["api-error"] ~= "true" then return false end
  local v = json.decode(res.body)
  return v["#type"] == "ApiError" and v.errorCode == code
end

local function names(list)
  local out = {}
  for i, g in ipairs(list) do out[i] = g.name end
  table.sort(out)
  return out
end

local function post_json(path, value, query)
  return e:json("POST", path, { body = json.encode(value), query = query,
                                headers = { ["Content-Type"] = "application/json" } })
end

describe("emulator groups", function()
  it("gets a group by id and by name with members and memberships expanded", function()
    local g = e:json("GET", "/public/v1/groups/" .. CHEMISTS)
    assert.equal("Chemists", g.name)
    assert.equal(2, #g.children)
    for _, r in ipairs(g.children) do
      assert.equal(CHEMISTS, r.parent.id)
      assert.is_table(r.child)
      assert.is_boolean(r.isAdmin)
      assert.is_string(r.id)
    end
    assert.same({ "alice", "bob" }, { g.children[1].child.name, g.children[2].child.name })
    assert.is_true(g.children[1].isAdmin)
    assert.is_false(g.children[2].isAdmin)
    assert.same({}, g.parents)
    assert.equal(CHEMISTS, e:json("GET", "/public/v1/groups/chemists").id)
    for _, k in ipairs({ "id", "name", "friendlyName", "description", "createdOn", "updatedOn",
                         "personal", "hidden", "parents", "children" }) do
      assert.is_not_nil(g[k], k)
    end
  end)

  it("lists members and memberships filtered by admin=True/False/true/false", function()
    local base = "/public/v1/groups/" .. CHEMISTS .. "/members"
    assert.same({ "alice", "bob" }, names(e:json("GET", base)))
    assert.same({ "alice" }, names(e:json("GET", base, { query = "admin=True" })))
    assert.same({ "alice" }, names(e:json("GET", base, { query = "admin=true" })))
    assert.same({ "bob" }, names(e:json("GET", base, { query = "admin=False" })))
    local m = "/public/v1/groups/" .. ALICE_GROUP .. "/memberships"
    assert.same({ "All users", "Chemists", "Developers" }, names(e:json("GET", m)))
    assert.same({ "Chemists" }, names(e:json("GET", m, { query = "admin=true" })))
  end)

  it("lists with the smart filter and include", function()
    local list = e:json("GET", "/public/v1/groups", { query = "text=personal%3Dfalse" })
    assert.same({ "Administrators", "All users", "Chemists", "Developers" }, names(list))
    assert.same({}, list[1].children)
    list = e:json("GET", "/public/v1/groups", { query = "text=chem+and+personal%3Dfalse&include=children.child" })
    assert.same({ "Chemists" }, names(list))
    assert.equal(2, #list[1].children)
    assert.same({}, list[1].parents)
    list = e:json("GET", "/public/v1/groups", { query = "text=personal%3Dtrue" })
    assert.same({ "admin", "alice", "bob" }, names(list))
    list = e:json("GET", "/public/v1/groups", { query = "text=ALICE+and+personal%3Dtrue&include=parents.parent" })
    assert.equal(3, #list[1].parents)
    assert.equal(400, e:http("GET", "/public/v1/groups", { query = "text=personal%3Dmaybe" }).status)
  end)

  it("looks groups up by a case-insensitive substring, pruned", function()
    local list = e:json("GET", "/public/v1/groups/lookup", { query = "query=DEV" })
    assert.same({ "Developers" }, names(list))
    assert.same({}, list[1].children)
    assert.same({ "Administrators", "admin" }, names(e:json("GET", "/public/v1/groups/lookup", { query = "query=admin" })))
    assert.same({}, e:json("GET", "/public/v1/groups/lookup", { query = "query=zzz" }))
  end)

  it("gives the caller's personal group on both routes", function()
    for _, path in ipairs({ "/public/v1/groups/current", "/public/v1/user/group" }) do
      local g = e:json("GET", path)
      assert.equal(ADMIN_GROUP, g.id)
      assert.is_true(g.personal)
      assert.equal(3, #g.parents)
    end
  end)

  it("saves a new group with a client id, updates it, adds and removes members", function()
    local id = "5a7e0000-1111-4222-8333-000000000001"
    local g = post_json("/public/v1/groups", { id = id, name = "Biologists", friendlyName = "Bio",
                                               description = "d", personal = false, hidden = false,
                                               parents = {}, children = {} }, "saveRelations=false")
    assert.equal(id, g.id)
    assert.equal("Bio", g.friendlyName)
    assert.same({}, g.children)
    g = post_json("/public/v1/groups", { id = id, name = "Biologists", children = {
      { id = "5a7e0000-1111-4222-8333-0000000000a1", isAdmin = false, parent = { id = id },
        child = { id = BOB_GROUP, name = "bob" } },
      { id = "5a7e0000-1111-4222-8333-0000000000a2", isAdmin = true, parent = { id = id },
        child = { id = ALICE_GROUP } } } }, "saveRelations=true")
    assert.same({ "alice", "bob" }, { g.children[1].child.name, g.children[2].child.name })
    assert.equal("5a7e0000-1111-4222-8333-0000000000a2", g.children[1].id)
    -- saved without relations: the members stay
    g = post_json("/public/v1/groups", { id = id, name = "Biologists", description = "new", children = {} })
    assert.equal(2, #g.children)
    assert.equal("new", g.description)
    -- removal: save with the relation left out
    g = post_json("/public/v1/groups", { id = id, name = "Biologists", children = {
      { id = "5a7e0000-1111-4222-8333-0000000000a2", isAdmin = true, child = { id = ALICE_GROUP } } } },
      "saveRelations=True")
    assert.equal(1, #g.children)
    assert.equal("alice", g.children[1].child.name)
    assert.same({ "All users", "Biologists", "Chemists", "Developers" },
      names(e:json("GET", "/public/v1/groups/" .. ALICE_GROUP .. "/memberships")))
    assert.same({ "All users", "Chemists" }, names(e:json("GET", "/public/v1/groups/" .. BOB_GROUP .. "/memberships")))
  end)

  it("refuses a bad save and changes nothing", function()
    local id = "5a7e0000-1111-4222-8333-000000000002"
    local res = e:http("POST", "/public/v1/groups", { query = "saveRelations=true", body = json.encode({
      id = id, name = "Broken", children = { { id = "r1", child = { id = "no-such-group" } } } }) })
    assert.is_true(is_api_error(res, 404))
    assert.is_true(is_api_error(e:http("GET", "/public/v1/groups/" .. id), 404))
    res = e:http("POST", "/public/v1/groups", { body = json.encode({ description = "no name" }) })
    assert.equal(400, res.status)
    res = e:http("POST", "/public/v1/groups", { body = "[1,2]" })
    assert.equal(400, res.status)
    res = e:http("POST", "/public/v1/groups", { query = "saveRelations=true", body = json.encode({
      id = id, name = "Self", children = { { child = { id = id } } } }) })
    assert.equal(400, res.status)
  end)

  it("deletes a group with its relations, but not a personal group", function()
    local id = "5a7e0000-1111-4222-8333-000000000003"
    post_json("/public/v1/groups", { id = id, name = "Temp", children = { { child = { id = BOB_GROUP } } } },
      "saveRelations=true")
    assert.equal(200, e:http("DELETE", "/public/v1/groups/" .. id).status)
    assert.is_true(is_api_error(e:http("GET", "/public/v1/groups/" .. id), 404))
    for _, m in ipairs(e:json("GET", "/public/v1/groups/" .. BOB_GROUP .. "/memberships")) do
      assert.are_not.equal("Temp", m.name)
    end
    assert.equal(400, e:http("DELETE", "/public/v1/groups/" .. BOB_GROUP).status)
    assert.is_true(is_api_error(e:http("DELETE", "/public/v1/groups/" .. id), 404))
  end)

  it("creates, lists, approves and denies membership requests", function()
    local id = "5a7e0000-1111-4222-8333-000000000004"
    post_json("/public/v1/groups", { id = id, name = "Reviewers" })
    local r = e:json("POST", "/public/v1/groups/" .. id .. "/request")
    assert.equal(ADMIN_GROUP, r.from.id)
    assert.equal(id, r.to.id)
    assert.is_nil(r.approved) -- JSON null
    for _, k in ipairs({ "createdOn", "updatedOn" }) do assert.is_string(r[k]) end
    local pending = e:json("GET", "/public/v1/groups/" .. id .. "/requests")
    assert.equal(1, #pending)
    assert.equal(r.id, pending[1].id)
    local a = e:json("POST", "/public/v1/groups/requests/" .. r.id .. "/approve")
    assert.is_true(a.approved)
    assert.is_string(a.resolutionDate)
    assert.same({ "admin" }, names(e:json("GET", "/public/v1/groups/" .. id .. "/members")))
    assert.same({}, e:json("GET", "/public/v1/groups/" .. id .. "/requests"))
    assert.equal(400, e:http("POST", "/public/v1/groups/requests/" .. r.id .. "/deny").status)
    local r2 = e:json("POST", "/public/v1/groups/" .. DEVELOPERS .. "/request")
    assert.is_false(e:json("POST", "/public/v1/groups/requests/" .. r2.id .. "/deny").approved)
    assert.is_true(is_api_error(e:http("POST", "/public/v1/groups/requests/nope/approve"), 404))
  end)
end)

describe("emulator users", function()
  it("answers current, by id, by login and the list", function()
    local me = e:json("GET", "/public/v1/users/current")
    assert.equal("admin", me.login)
    assert.equal("active", me.status)
    assert.equal(ADMIN_GROUP, me.group.id)
    assert.equal("alice", e:json("GET", "/public/v1/users/ALICE").login)
    assert.equal("bob", e:json("GET", "/public/v1/users/" .. e:json("GET", "/public/v1/users/bob").id).login)
    local list = e:json("GET", "/public/v1/users")
    assert.equal(3, #list)
    assert.equal(1, #e:json("GET", "/public/v1/users", { query = "text=smith" }))
  end)
end)

describe("emulator tables", function()
  it("uploads, replaces and downloads CSV by id, Grok name and bare name", function()
    local ids = e:json("POST", "/public/v1/tables/people", { body = "name,age\nann,3\n",
                                                            headers = { ["Content-Type"] = "text/csv" } })
    assert.equal("Admin:people:people", ids["Grok name"])
    assert.is_string(ids.ID)
    assert.is_string(ids.Markup)
    assert.is_string(ids.URL)
    local again = e:json("POST", "/public/v1/tables/people", { body = "name,age\nbo,4\n" })
    assert.equal(ids.ID, again.ID)
    for _, ref in ipairs({ ids.ID, "Admin.people.people", "Admin:people:people", "people" }) do
      local res = e:http("GET", "/public/v1/tables/" .. ref, { headers = { ["Content-Type"] = "text/plain" } })
      assert.equal("name,age\nbo,4\n", res.body, ref)
      assert.matches("^text/csv", res.headers["content-type"])
    end
    assert.equal(e:http("GET", "/public/v1/tables/" .. DEMOG).body, e:http("GET", "/public/v1/tables/Demo.demog").body)
  end)

  it("serves the deterministic demog table", function()
    local csv = e:http("GET", "/public/v1/tables/demog").body
    local rows = select(2, csv:gsub("\n", ""))
    assert.equal(301, rows)
    assert.equal(csv, e:http("GET", "/public/v1/files/System.DemoFiles/demog.csv").body)
    for line in csv:gmatch("[^\n]+") do
      if not line:find("^subject") then
        assert.matches("^S%d%d%d%d,%d+,[MF],%a+,%d+%.%d,%d+%.%d$", line)
      end
    end
  end)

  it("refuses an empty body and a binary upload", function()
    assert.equal(400, e:http("POST", "/public/v1/tables/empty", { body = "" }).status)
    assert.equal(415, e:http("POST", "/public/v1/tables/bin", { body = "x",
      headers = { ["Content-Type"] = "application/octet-stream" } }).status)
  end)
end)

describe("emulator files", function()
  it("uploads, downloads, lists and deletes", function()
    assert.equal(200, e:http("POST", "/public/v1/files/My:Share/d/one.txt", { body = "1" }).status)
    assert.equal(200, e:http("POST", "/public/v1/files/my.share/d/e/two.bin", { body = "22" }).status)
    assert.equal("1", e:http("GET", "/public/v1/files/MY.SHARE/d/one.txt").body)
    local top = e:json("GET", "/public/v1/files/My.Share/d/")
    local paths = {}
    for _, f in ipairs(top) do paths[#paths + 1] = f.path .. (f.isFile and "" or "/") end
    assert.same({ "d/e/", "d/one.txt" }, paths)
    local all = e:json("GET", "/public/v1/files/My.Share/", { query = "recursive=true" })
    local files = {}
    for _, f in ipairs(all) do
      if f.isFile then files[#files + 1] = f.path .. "=" .. f.size end
      assert.matches("^%d%d%d%d%-%d%d%-%d%dT", f.updatedOn)
    end
    assert.same({ "d/e/two.bin=2", "d/one.txt=1" }, files)
    assert.equal(200, e:http("DELETE", "/public/v1/files/My.Share/d/one.txt").status)
    local res = e:http("GET", "/public/v1/files/My.Share/d/one.txt")
    assert.equal(404, res.status)
    assert.is_true(is_api_error(res, 404))
    assert.equal(404, e:http("DELETE", "/public/v1/files/My.Share/d/one.txt").status)
  end)

  it("lists the demo share with its subfolder", function()
    local all = e:json("GET", "/public/v1/files/System.DemoFiles/", { query = "recursive=true" })
    local paths = {}
    for _, f in ipairs(all) do paths[f.path] = f.isFile end
    assert.is_true(paths["demog.csv"])
    assert.is_false(paths["chem"])
    assert.is_true(paths["chem/smiles.csv"])
  end)

  it("refuses paths that leave the share", function()
    for _, p in ipairs({ "a/../../x", "..", "a/./b" }) do
      assert.equal(400, e:http("POST", "/public/v1/files/S/" .. p, { body = "x" }).status, p)
    end
    assert.equal(400, e:http("GET", "/public/v1/files/S/%2e%2e/%2e%2e/etc/passwd").status)
  end)
end)

describe("emulator dashboards", function()
  it("creates a dashboard from table ids and names, with a layout", function()
    local d = e:json("POST", "/public/v1/dashboards/My.Dash/" .. DEMOG .. ",demog")
    assert.is_string(d.ID)
    assert.equal("My:Dash", d.name)
    assert.same({ DEMOG, DEMOG }, d.tables)
    local d2 = e:json("POST", "/public/v1/dashboards/Laid.Out/demog", { body = '{"#type":"ViewLayout","x":1}' })
    assert.are_not.equal(d.ID, d2.ID)
    assert.equal(400, e:http("POST", "/public/v1/dashboards/Bad/demog", { body = "{nope" }).status)
    assert.is_true(is_api_error(e:http("POST", "/public/v1/dashboards/X/no-such-table"), 404))
  end)

  it("shares a dashboard with groups and users", function()
    local d = e:json("POST", "/public/v1/dashboards/Shared/demog")
    local r = e:json("GET", "/public/v1/dashboards/" .. d.ID .. "/shares", { query = "groups=Chemists,alice&access=Edit" })
    assert.equal("success", r.status)
    assert.same({ "Chemists", "alice" }, r.shared)
    r = e:json("GET", "/public/v1/dashboards/" .. d.ID .. "/shares", { query = "groups=Chemists&access=Edit" })
    assert.same({ "Chemists" }, r.alreadyShared)
    assert.equal(400, e:http("GET", "/public/v1/dashboards/" .. d.ID .. "/shares", { query = "groups=Chemists&access=Own" }).status)
    assert.is_true(is_api_error(e:http("GET", "/public/v1/dashboards/" .. d.ID .. "/shares", { query = "groups=Nobody" }), 404))
    assert.is_true(is_api_error(e:http("GET", "/public/v1/dashboards/nope/shares", { query = "groups=Chemists" }), 404))
  end)
end)

describe("emulator functions", function()
  local function call(path, args) return e:json("POST", path, { body = json.encode(args) }) end

  it("calls built-ins on both routes, with or without a namespace", function()
    assert.equal(3, call("/public/v1/Abs/call", { x = -3 }))
    assert.equal(3, call("/public/v1/functions/Abs/call", { x = -3 }))
    assert.equal(3, call("/public/v1/System.Abs/call", { x = -3 }))
    assert.equal(0.0, call("/public/v1/Sin/call", { x = 0 }))
    assert.equal(1.5, call("/public/v1/functions/Sqrt/call", { x = 2.25 }))
    assert.equal(5, call("/public/v1/Add/call", { a = 2, b = 3 }))
    assert.equal("ab", call("/public/v1/Concat/call", { a = "a", b = "b" }))
  end)

  it("answers bad parameters with 400 and unknown functions with 200 + ApiError", function()
    assert.equal(400, e:http("POST", "/public/v1/Abs/call", { body = "{}" }).status)
    assert.equal(400, e:http("POST", "/public/v1/Abs/call", { body = '{"x":"a"}' }).status)
    assert.equal(400, e:http("POST", "/public/v1/Sqrt/call", { body = '{"x":-1}' }).status)
    local res = e:http("POST", "/public/v1/functions/Nope.Nothing/call", { body = "{}" })
    assert.equal(200, res.status)
    assert.is_true(is_api_error(res, 404))
  end)
end)

describe("emulator info", function()
  it("answers /info/server without a key and the healthcheck with one", function()
    local info = e:json("GET", "/info/server", { key = false })
    assert.is_string(info.Version)
    assert.equal("ok", e:json("GET", "/public/v1/healthcheck").status)
    assert.equal(401, e:http("GET", "/public/v1/healthcheck", { key = false }).status)
  end)
end)
