-- dg.packages, dg.published_packages and dg.shares against the emulator: get and list
-- (with the smart filter and package id), the Package / PublishedPackage /
-- ShareResponse objects, sharing any entity with groups by name, Group or User, and
-- the not-found and retry paths.
local datagrok = require "datagrok"
local emulator = require "emulator"
local policy = require "retry_policy"

local e, dg

local DEMO_PACKAGE = "9ac00000-9a50-11e6-9cc9-000000009ac0"

setup(function() e, dg = emulator.start_with_client() end)
teardown(function() if e then e:stop() end end)
before_each(function() e:clear_faults(); e:clear_requests() end)

describe("dg.packages", function()
  it("gets by name or id and lists with a smart filter", function()
    local p = dg.packages:get("Demo")
    assert.are.equal("/public/v1/packages/Demo", e:last_request().path)
    assert.are.equal("Package<Demo>", tostring(p))
    assert.are.equal(DEMO_PACKAGE, p.id)
    assert.are.equal("@datagrok/demo", p.full_name)
    assert.are.equal("Demo", p.category)
    assert.are.equal(DEMO_PACKAGE, dg.packages:get(DEMO_PACKAGE).id)
    assert.are.equal(1, #dg.packages:list('shortName = "Demo"'))
    assert.are.equal(0, #dg.packages:list('shortName = "Chem"'))
    local d = p:to_dict()
    for _, k in ipairs({"id", "name", "friendlyName", "fullName", "description", "category", "imageUrl", "url",
      "createdOn", "updatedOn"}) do
      assert.is_not_nil(d[k], k)
    end
  end)

  it("raises API_ERROR 404 for a missing package; retries reads", function()
    local ok, err = pcall(dg.packages.get, dg.packages, "Chem")
    assert.is_false(ok)
    assert.are.equal(404, err.api_code)
    policy.retried(e, "GET", "/public/v1/packages", function() return dg.packages:list() end)
    policy.retried(e, "GET", "/public/v1/packages/Demo", function() return dg.packages:get("Demo") end)
  end)
end)

describe("dg.published_packages", function()
  it("lists (by package id, object or filter) and gets a version", function()
    local list = dg.published_packages:list()
    assert.are.equal(1, #list)
    local v = list[1]
    assert.are.equal("PublishedPackage<Demo 1.0.0 current>", tostring(v))
    assert.is_true(v.is_current)
    assert.is_false(v.debug)
    assert.are.equal("1.0.0", dg.published_packages:get(v.id).version)
    assert.are.equal("/public/v1/packages/published/" .. v.id, e:last_request().path)
    assert.are.equal(1, #dg.published_packages:list(nil, dg.packages:get("Demo")))
    assert.are.equal("packageId=" .. DEMO_PACKAGE, e:last_request().query)
    assert.are.equal(0, #dg.published_packages:list{package_id = "00000000-0000-4000-8000-000000000000"})
    assert.are.equal(1, #dg.published_packages:list('version = "1.0.0"'))
  end)

  it("raises API_ERROR 404 for a missing version; retries reads", function()
    local ok, err = pcall(dg.published_packages.get, dg.published_packages, "nope")
    assert.is_false(ok)
    assert.are.equal(404, err.api_code)
    policy.retried(e, "GET", "/public/v1/packages/published", function() return dg.published_packages:list() end)
  end)
end)

describe("dg.shares", function()
  it("shares an entity by object or Grok name with groups named, as Groups or as Users", function()
    local conn = dg.connections:get("Demo:DemoDB")
    local r = dg.shares:share(conn, "Chemists")
    assert.are.equal("POST", e:last_request().method)
    assert.are.equal("/public/v1/entities/" .. conn.id .. "/shares", e:last_request().path)
    assert.are.equal("groups=Chemists&access=View", e:last_request().query)
    assert.are.equal("ShareResponse<success: 1 shared, 0 already, 0 failed>", tostring(r))
    assert.is_true(r.ok)
    r = dg.shares:share("Demo:DemoDB", {dg.groups:get("Chemists"), dg.users:get("bob")}, "Edit")
    assert.are.equal("groups=Chemists%2Cbob&access=Edit", e:last_request().query)
    assert.are.same({"Chemists", "bob"}, {table.unpack(r.shared)})
    r = dg.shares:share(dg.functions:get("Demo:Hello"), {"Developers"}, {access = "Edit"})
    assert.are.equal("success", r.status)
    assert.are.same({"Developers"}, {table.unpack(dg.shares:share("Demo:Hello", "Developers", "Edit").already_shared)})
  end)

  it("returns a partial answer, raises when every group failed or the entity is missing", function()
    local r = dg.shares:share("Demo:DemoDB", "Chemists,Nobody")
    assert.are.equal("partial_success", r.status)
    assert.are.equal(1, #r.failed)
    local ok, err = pcall(dg.shares.share, dg.shares, "Demo:DemoDB", "Nobody")
    assert.is_false(ok)
    assert.are.equal("API_ERROR", err.code)
    assert.matches("Nobody", err.message)
    ok, err = pcall(dg.shares.share, dg.shares, "Demo:Nothing", "Chemists")
    assert.is_false(ok)
    assert.are.equal(404, err.api_code)
    assert.has_error(function() dg.shares:share("Demo:DemoDB", "Chemists", "Own") end)
  end)

  it("is not retried (a change)", function()
    policy.not_retried(e, "POST", "/public/v1/entities/", function() return dg.shares:share("Demo:DemoDB", "Chemists") end)
  end)
end)

describe("the emulator's new state", function()
  it("survives a restart: users, connections, credentials, functions and shares", function()
    dg.users:save{login = "persisted", first_name = "P"}
    local c = dg.connections:save({name = "Durable", data_source = "Postgres", parameters = {server = "d"},
      credentials = {login = "d", password = "durable-pass-1357"}}, true)
    local s = dg.functions:create_script("1", "Durable script")
    dg.shares:share(c, "Chemists", "Edit")
    e:restart()
    local again = datagrok.new("Bearer " .. e.key, e.url)
    assert.are.equal("P", again.users:get("persisted").first_name)
    assert.are.equal("d", again.connections:get(c.id).parameters.server)
    assert.are.equal("d", again.credentials:for_entity(c.id).parameters.login)
    assert.are.equal(s.id, again.functions:get(s.grok_name).id)
    assert.are.same({"Chemists"}, {table.unpack(again.shares:share(c, "Chemists", "Edit").already_shared)})
    dg = datagrok.new("Bearer " .. e.key, e.url, {retries = 2, max_backoff = 0.1})
  end)
end)
