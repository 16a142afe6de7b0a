-- dg:batch against the emulator: operations in one request, dependsOn, stopOnError and
-- transaction as `grok s batch` documents them, objects sent as their wire form,
-- refused batches, secrets kept out of errors, and that a batch is never retried.
local datagrok = require "datagrok"
local emulator = require "emulator"
local policy = require "retry_policy"

local e, dg

setup(function() e, dg = emulator.start_with_client() end)
teardown(function() if e then e:stop() end end)
before_each(function() e:clear_faults(); e:clear_requests() end)

local function statuses(r)
  local out = {}
  for i, x in ipairs(r.results) do out[i] = x.status end
  return out
end

describe("dg:batch", function()
  it("runs operations in one POST and reports each", function()
    local r = dg:batch({
      {id = "u", action = "users.get", params = {login = "bob"}},
      {id = "g", action = "groups.create", params = {name = "Batch team"}},
      {id = "run", action = "functions.run", params = {name = "Add", params = {a = 1, b = 2}}},
      {id = "ls", action = "files.list", params = {connector = "System:DemoFiles", path = "chem"}},
    })
    local reqs = e:requests()
    assert.are.equal(1, #reqs)
    assert.are.equal("/public/v1/batch", reqs[1].path)
    assert.is_true(r.ok)
    assert.are.same({total = 4, succeeded = 4, failed = 0, skipped = 0, partial = 0}, r.summary)
    assert.are.equal("bob", r.results[1].result.login)
    assert.are.equal(3, r.results[3].result)
    assert.are.equal("Batch team", dg.groups:get("Batch team").name)
  end)

  it("skips an operation whose dependency failed", function()
    local r = dg:batch({
      {id = "missing", action = "users.get", params = {login = "nobody"}},
      {id = "after", action = "functions.run", params = {name = "Abs", params = {x = -1}}, depends_on = {"missing"}},
      {id = "free", action = "functions.run", params = {name = "Abs", params = {x = -2}}},
    })
    assert.is_false(r.ok)
    assert.are.same({"error", "skipped", "success"}, statuses(r))
    assert.are.equal(404, r.results[1].error.errorCode)
    assert.matches("missing", r.results[2].reason)
    assert.are.equal(2, r.results[3].result)
  end)

  it("stops at the first error with stop_on_error", function()
    local r = dg:batch({
      {action = "functions.run", params = {name = "Div", params = {a = 1, b = 0}}},
      {action = "groups.create", params = {name = "Never made"}},
    }, {stop_on_error = true})
    assert.are.same({"error", "skipped"}, statuses(r))
    assert.is_false(pcall(dg.groups.get, dg.groups, "Never made"))
  end)

  it("undoes every change of a transaction when one operation fails", function()
    local r = dg:batch({
      {action = "groups.create", params = {name = "Rolled back"}},
      {action = "users.create", params = {login = "alice"}}, -- taken: fails
      {action = "groups.create", params = {name = "Not reached"}},
    }, {transaction = true})
    assert.are.same({"error", "error", "skipped"}, statuses(r))
    assert.matches("rolled back", r.results[1].error.error)
    assert.is_false(pcall(dg.groups.get, dg.groups, "Rolled back"))
    local ok = dg:batch({{action = "groups.create", params = {name = "Committed"}}}, {transaction = true})
    assert.is_true(ok.ok)
    assert.are.equal("Committed", dg.groups:get("Committed").name)
  end)

  it("sends objects in params as their wire form (scripts, connections)", function()
    local conn = dg.connections:new{name = "Batched", data_source = "Postgres", parameters = {server = "b"},
                                    credentials = {login = "b", password = "batch-pass-4321"}}
    local r = dg:batch({
      {id = "c", action = "connections.create", params = conn},
      {id = "s", action = "scripts.create", params = {name = "BatchScript", script = "1", language = "python"},
       depends_on = {"c"}},
      {action = "scripts.delete", params = {name = "Admin:BatchScript"}, depends_on = {"s"}},
    })
    assert.is_true(r.ok, datagrok.json.encode(r))
    -- the connection in the results prints without its parameters
    assert.are.equal("b", r.results[1].result.parameters.server)
    assert.is_nil(require("datagrok.repl").format(r):find('"b"', 1, true))
    assert.are.equal("b", dg.connections:get(conn.id).parameters.server)
    assert.are.equal("b", dg.credentials:for_entity(conn.id).parameters.login)
    assert.is_false(pcall(dg.functions.get, dg.functions, "Admin:BatchScript"))
  end)

  it("refuses a malformed batch as a whole", function()
    assert.has_error(function() dg:batch("not a list") end)
    assert.has_error(function() dg:batch({{params = {}}}) end)
    local ok, err = pcall(dg.batch, dg, {{action = "files.list", params = {connector = "System:DemoFiles"}}},
      {transaction = true})
    assert.is_false(ok)
    assert.are.equal("HTTP_400", err.code)
    local r = dg:batch({{action = "users.delete", params = {login = "bob"}}, {action = "reports.fly"}})
    assert.are.same({"error", "error"}, statuses(r))
    assert.matches("block", r.results[1].error.error)
  end)

  it("keeps connection secrets out of its errors and is never retried", function()
    local secret = "batch-secret-0000"
    e:fault{prefix = "/public/v1/batch", action = "status", status = 400, message = "bad: " .. secret}
    local ok, err = pcall(dg.batch, dg, {{action = "connections.create",
      params = {name = "S", dataSource = "Postgres", credentials = {parameters = {password = secret}}}}})
    assert.is_false(ok)
    assert.is_nil(tostring(err):find(secret, 1, true))
    assert.is_nil((err.body or ""):find(secret, 1, true))
    policy.not_retried(e, "POST", "/public/v1/batch", function()
      return dg:batch({{action = "groups.create", params = {name = "Once only"}}})
    end)
    assert.is_false(pcall(dg.groups.get, dg.groups, "Once only"))
  end)
end)
