-- dg.users against the emulator: get by id or login, current, list with a smart filter
-- and include, save (create, update, a taken login refused), block and unblock (blocking
-- ends the user's sessions), not-found answers, the wire form, and the retry policy.
local datagrok = require "datagrok"
local emulator = require "emulator"
local policy = require "retry_policy"

local e, dg

local ALICE = "a11ce000-9a50-11e6-9cc9-00000000a11c"

--- A session token for a demo user (emulator control route).
local function token_for(login)
  return e:json("POST", "/_emulator/sessions", {body = datagrok.json.encode({login = login})}).token
end

setup(function() e, dg = emulator.start_with_client() end)
teardown(function() if e then e:stop() end end)
before_each(function() e:clear_faults(); e:clear_requests() end)

describe("dg.users", function()
  it("gets a user by login or id, with the fields of the Python model", function()
    local a = dg.users:get("alice")
    assert.are.equal(ALICE, a.id)
    assert.are.equal("/public/v1/users/alice", e:last_request().path)
    assert.are.equal("alice", a.login)
    assert.are.equal("Alice", a.first_name)
    assert.are.equal("Smith", a.last_name)
    assert.are.equal("alice@datagrok.local", a.email)
    assert.are.equal("active", a.status)
    assert.is_true(datagrok.json.is_array(a.group.children) or type(a.group.children) == "table")
    assert.is_true(a.group.personal)
    assert.are.equal("User<alice Alice Smith active>", tostring(a))
    assert.are.equal("alice", dg.users:get(ALICE).login)
    assert.are.equal("alice", dg.users:get(a).login) -- an object stands for its id
    local d = a:to_dict()
    for _, k in ipairs({"id", "name", "friendlyName", "firstName", "lastName", "email", "login", "status",
      "storage", "group", "createdOn", "updatedOn", "namespace"}) do
      assert.is_not_nil(d[k], k)
    end
    assert.are.equal("alice", d.login)
  end)

  it("answers the current user", function()
    local me = dg.users:current()
    assert.are.equal("admin", me.login)
    assert.are.equal("/public/v1/users/current", e:last_request().path)
  end)

  it("lists with the server's smart filter in text, and include=group", function()
    local list = dg.users:list('login = "alice"')
    assert.are.equal(1, #list)
    assert.are.equal("alice", list[1].login)
    assert.are.equal("text=login%20%3D%20%22alice%22", e:last_request().query)
    list = dg.users:list{smart_filter = 'login in ("alice", "bob") and status = "active"', include_group = true}
    assert.are.same({"alice", "bob"}, {list[1].login, list[2].login})
    assert.matches("include=group", e:last_request().query)
    assert.are.equal(3, #dg.users:list())
    assert.are.equal("", e:last_request().query)
    local ok, err = pcall(dg.users.list, dg.users, "shoe_size = 3")
    assert.is_false(ok)
    assert.are.equal("HTTP_400", err.code)
    assert.matches("shoe_size", err.message)
  end)

  it("raises API_ERROR 404 for a missing user", function()
    local ok, err = pcall(dg.users.get, dg.users, "nobody")
    assert.is_false(ok)
    assert.are.equal("API_ERROR", err.code)
    assert.are.equal(404, err.api_code)
    assert.matches("nobody", err.message)
  end)

  it("saves a new user (with a personal group) and updates it by id", function()
    local u = dg.users:new{login = "dave", first_name = "Dave", last_name = "Brown", email = "dave@x.org"}
    assert.is_nil(u.id)
    local saved = dg.users:save(u)
    assert.is_string(u.id) -- ensured before sending, as Python does
    assert.are.equal(u.id, saved.id)
    assert.are.equal("POST", e:last_request().method)
    assert.are.equal("/public/v1/users", e:last_request().path)
    assert.are.equal("dave", dg.users:get("dave").login)
    assert.are.equal("dave", dg.groups:resolve("dave", {user = true}).name)
    saved.last_name = "Green"
    assert.are.equal("Green", dg.users:save(saved).last_name)
    assert.are.equal(saved.id, dg.users:get("dave").id)
    -- a table of fields works too
    assert.are.equal("erin", dg.users:save{login = "erin", first_name = "Erin"}.login)
  end)

  it("refuses a login that is taken", function()
    local ok, err = pcall(dg.users.save, dg.users, {login = "alice", first_name = "Other"})
    assert.is_false(ok)
    assert.are.equal("HTTP_400", err.code)
    assert.matches("taken", err.message)
  end)

  it("blocks a user by login (the full record is fetched and sent) and ends their sessions", function()
    local token = token_for("bob")
    local as_bob = datagrok.new("Bearer " .. token, e.url)
    assert.are.equal("bob", as_bob.users:current().login)
    e:clear_requests()
    assert.is_true(dg.users:block("bob"))
    local reqs = e:requests()
    assert.are.equal("/public/v1/users/bob", reqs[1].path)
    assert.are.equal("/public/v1/users/block", reqs[2].path)
    assert.are.equal("blocked", dg.users:get("bob").status)
    assert.is_true(dg.users:get("bob").is_blocked)
    local ok, err = pcall(as_bob.users.current, as_bob.users)
    assert.is_false(ok)
    assert.are.equal(401, err.status) -- the session is gone
    assert.is_true(dg.users:unblock(dg.users:get("bob")))
    assert.are.equal("active", dg.users:get("bob").status)
    ok = pcall(as_bob.users.current, as_bob.users)
    assert.is_false(ok) -- unblocking does not bring an ended session back
    assert.are.equal("bob", datagrok.new("Bearer " .. token_for("bob"), e.url).users:current().login)
  end)

  it("refuses to block a missing user or the caller itself", function()
    local ok, err = pcall(dg.users.block, dg.users, "nobody")
    assert.is_false(ok)
    assert.are.equal(404, err.api_code)
    ok, err = pcall(dg.users.block, dg.users, dg.users:current())
    assert.is_false(ok)
    assert.are.equal("HTTP_400", err.code)
  end)

  it("retries reads but never saves or blocks", function()
    policy.retried(e, "GET", "/public/v1/users/alice", function() return dg.users:get("alice") end)
    policy.retried(e, "GET", "/public/v1/users/current", function() return dg.users:current() end)
    policy.retried(e, "GET", "/public/v1/users", function() return dg.users:list() end)
    policy.not_retried(e, "POST", "/public/v1/users", function() return dg.users:save{login = "frank"} end)
    local alice = dg.users:get("alice")
    policy.not_retried(e, "POST", "/public/v1/users/block", function() return dg.users:block(alice) end)
    policy.not_retried(e, "POST", "/public/v1/users/unblock", function() return dg.users:unblock(alice) end)
    assert.are.equal("active", dg.users:get("alice").status)
  end)
end)

describe("a provisioning workflow", function()
  it("resolves members by login through dg.users instead of personal-group names", function()
    local team = dg.groups:save(dg:new_group{name = "Assayists"})
    for _, login in ipairs({"alice", "bob"}) do
      local _, status = dg.groups:add_member(team, dg.users:get(login))
      assert.are.equal("added", status)
    end
    local _, again = dg.groups:add_member(team, dg.users:get("alice"))
    assert.are.equal("noop", again)
    local names = {}
    for _, m in ipairs(dg.groups:get(team.id).members) do names[#names + 1] = m.name end
    table.sort(names)
    assert.are.same({"alice", "bob"}, names)
  end)
end)
