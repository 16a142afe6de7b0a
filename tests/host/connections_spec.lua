-- dg.connections and dg.credentials against the emulator: get, list with text, data
-- source and tags, save with and without credentials, delete, test; credentials for an
-- entity, save, delete; and that no secret shows in printed objects, logs, traces or
-- errors.
local datagrok = require "datagrok"
local emulator = require "emulator"
local policy = require "retry_policy"
local repl = require "datagrok.repl"
local leaks = require "leaks"

local e, dg

local DEMO_PASSWORD = "demo-db-password-1234"

setup(function() e, dg = emulator.start_with_client() end)
teardown(function() if e then e:stop() end end)
before_each(function() e:clear_faults(); e:clear_requests() end)

describe("dg.connections", function()
  it("gets a connection by Grok name or id, with the model's fields", function()
    local c = dg.connections:get("Demo:DemoDB")
    assert.are.equal("/public/v1/connections/Demo.DemoDB", e:last_request().path)
    assert.are.equal("DataConnection<Demo:DemoDB Postgres>", tostring(c))
    assert.are.equal("DemoDB", c.name)
    assert.are.equal("Postgres", c.data_source)
    assert.are.equal("db.demo.local", c.parameters.server)
    assert.are.same({"demo"}, {table.unpack(c.tags)})
    assert.are.equal("Demo:", c.namespace)
    assert.are.equal(c.id, c.credentials.entity_bind_id)
    assert.are.equal(c.id, dg.connections:get(c.id).id)
    local d = c:to_dict()
    for _, k in ipairs({"id", "parameters", "name", "friendlyName", "description", "dataSource", "credentials",
      "createdOn", "updatedOn", "tags", "namespace"}) do
      assert.is_not_nil(d[k], k)
    end
    assert.are.equal("System:DemoFiles", dg.connections:get("System:DemoFiles").grok_name)
  end)

  it("serves a Files connection for every file share, usable as a connector", function()
    local demo = dg.connections:get("System:DemoFiles")
    assert.are.equal("Files", demo.data_source)
    assert.matches("^# DemoFiles", dg:download_file(demo.id, "README.md"))
    local tmp = os.tmpname()
    local f = assert(io.open(tmp, "wb"))
    f:write("x")
    f:close()
    dg:upload_file("Team:Inbox", "a.txt", tmp)
    os.remove(tmp)
    local share = dg.connections:get("Team:Inbox")
    assert.are.equal("Files", share.data_source)
    assert.are.equal(1, #dg.connections:list('name = "inbox"'))
    assert.is_true(dg.connections:delete(share)) -- the saved record goes, not the files
  end)

  it("lists with a smart filter, a data source and tags", function()
    assert.are.equal(2, #dg.connections:list('namespace in ("Demo:", "System:")'))
    local pg = dg.connections:list{data_source = "Postgres"}
    assert.are.equal(1, #pg)
    assert.are.equal("dataSource=Postgres", e:last_request().query)
    assert.are.equal("DemoFiles", dg.connections:list(nil, nil, {"files"})[1].name)
    assert.are.equal("tags=files", e:last_request().query)
    assert.are.equal("DemoDB", dg.connections:list("dataSource='Postgres'")[1].name)
    assert.are.equal(0, #dg.connections:list('name = "nothing"'))
  end)

  it("saves a new connection with its credentials, and without", function()
    local conn = dg.connections:new{name = "Shop", data_source = "Postgres",
      parameters = {server = "shop.local", port = 5432, db = "shop"},
      credentials = {login = "shopper", password = "shop-pass-9876"}}
    local saved = dg.connections:save(conn, true)
    assert.are.equal("saveCredentials=true", e:last_request().query)
    assert.are.equal(conn.id, saved.id)
    assert.are.equal("shop.local", saved.parameters.server)
    local cr = dg.credentials:for_entity(saved)
    assert.are.equal("shopper", cr.parameters.login)
    assert.are.equal("***", cr.parameters.password) -- the server masks it
    -- saved without credentials: the stored ones stay
    saved.description = "the shop"
    saved.credentials.parameters.password = "changed-but-not-sent"
    assert.are.equal("the shop", dg.connections:save(saved).description)
    assert.are.equal("saveCredentials=false", e:last_request().query)
    assert.are.equal("shopper", dg.credentials:for_entity(saved.id).parameters.login)
    assert.is_true(dg.connections:test(saved.grok_name))
  end)

  it("refuses an unknown data source, and raises API_ERROR 404 for a missing connection", function()
    local ok, err = pcall(dg.connections.save, dg.connections, {name = "Odd", data_source = "Punchcards"})
    assert.is_false(ok)
    assert.are.equal("HTTP_400", err.code)
    ok, err = pcall(dg.connections.get, dg.connections, "Demo:Nothing")
    assert.is_false(ok)
    assert.are.equal("API_ERROR", err.code)
    assert.are.equal(404, err.api_code)
  end)

  it("deletes (an unknown id answers 200, as the server does)", function()
    local c = dg.connections:save{name = "Doomed", data_source = "Files"}
    assert.is_true(dg.connections:delete(c))
    assert.are.equal("DELETE", e:last_request().method)
    assert.is_false(pcall(dg.connections.get, dg.connections, c.id))
    assert.is_true(dg.connections:delete(c.id))
  end)

  it("tests a connection: true for ok, API_ERROR with the reason otherwise, AWS refused", function()
    assert.is_true(dg.connections:test(dg.connections:get("Demo:DemoDB")))
    assert.are.equal("/public/v1/connections/test", e:last_request().path)
    local bad = dg.connections:new{name = "NoLogin", data_source = "Postgres", parameters = {server = "x"},
                                   credentials = {password = "only-a-password-1"}}
    local ok, err = pcall(dg.connections.test, dg.connections, bad)
    assert.is_false(ok)
    assert.are.equal("API_ERROR", err.code)
    assert.matches("authentication failed", err.message)
    ok, err = pcall(dg.connections.test, dg.connections, dg.connections:new{name = "S", data_source = "AWS"})
    assert.is_false(ok)
    assert.are.equal("USAGE", err.code)
  end)

  it("takes a plain-text verdict as it is (a server may answer ok without JSON quotes)", function()
    local tmp = os.tmpname()
    for _, verdict in ipairs({"ok", "refused by the test server"}) do
      local f = assert(io.open(tmp, "wb"))
      f:write(verdict)
      f:close()
      dg:upload_file("System:DemoFiles", "verdict.txt", tmp)
      e:fault{prefix = "/public/v1/connections/test", action = "redirect", status = 303,
              location = e.url .. "/public/v1/files/System.DemoFiles/verdict.txt"}
      local ok, res = pcall(dg.connections.test, dg.connections, dg.connections:get("Demo:DemoDB"))
      if verdict == "ok" then
        assert.is_true(ok, tostring(res))
      else
        assert.is_false(ok)
        assert.are.equal("API_ERROR", res.code)
        assert.matches("refused by the test server", res.message)
      end
    end
    os.remove(tmp)
    dg.files:delete("System:DemoFiles", "verdict.txt")
  end)

  it("retries reads and deletes; not saves or tests", function()
    policy.retried(e, "GET", "/public/v1/connections/Demo.DemoDB", function() return dg.connections:get("Demo:DemoDB") end)
    policy.retried(e, "GET", "/public/v1/connections", function() return dg.connections:list() end)
    local c = dg.connections:save{name = "Twice", data_source = "Files"}
    policy.retried(e, "DELETE", "/public/v1/connections/", function() return dg.connections:delete(c) end)
    policy.not_retried(e, "POST", "/public/v1/connections", function()
      return dg.connections:save{name = "Once", data_source = "Files"}
    end)
    local demo = dg.connections:get("Demo:DemoDB")
    policy.not_retried(e, "POST", "/public/v1/connections/test", function() return dg.connections:test(demo) end)
  end)
end)

describe("dg.credentials", function()
  it("reads an entity's credentials (secrets masked by the server, hidden when printed)", function()
    local c = dg.connections:get("Demo:DemoDB")
    local cr = dg.credentials:for_entity(c)
    assert.are.equal("/public/v1/credentials/for/" .. c.id, e:last_request().path)
    assert.are.equal(c.id, cr.entity_bind_id)
    assert.is_true(cr.group.personal) -- entityBindId and group are never null
    assert.are.equal("demo", cr.parameters.login)
    assert.matches("^Credentials<for .* 2 parameters>$", tostring(cr))
    assert.is_nil(repl.format(cr.parameters):find("demo", 1, true))
  end)

  it("saves (a masked value sent back keeps the stored secret) and deletes", function()
    local c = dg.connections:save{name = "Keyed", data_source = "Postgres", parameters = {server = "k"}}
    assert.is_true(dg.credentials:save{entity_bind_id = c.id, parameters = {login = "k", password = "k-pass-1234"}})
    local cr = dg.credentials:for_entity(c)
    cr.parameters.login = "k2"
    assert.is_true(dg.credentials:save(cr))
    assert.is_true(dg.connections:test(c.grok_name))
    cr = dg.credentials:for_entity(c)
    assert.are.equal("k2", cr.parameters.login)
    assert.is_true(dg.credentials:delete(cr))
    assert.are.equal("DELETE", e:last_request().method)
    assert.is_nil(dg.credentials:for_entity(c).id)
  end)

  it("raises for a missing entity or credentials, and refuses credentials without an entity", function()
    local ok, err = pcall(dg.credentials.for_entity, dg.credentials, "00000000-0000-4000-8000-00000000dead")
    assert.is_false(ok)
    assert.are.equal(404, err.api_code)
    ok, err = pcall(dg.credentials.delete, dg.credentials, "00000000-0000-4000-8000-00000000dead")
    assert.are.equal(404, err.api_code)
    assert.has_error(function() dg.credentials:save{parameters = {login = "x"}} end)
  end)

  it("retries reads and deletes, not saves", function()
    local c = dg.connections:get("Demo:DemoDB")
    policy.retried(e, "GET", "/public/v1/credentials/for/", function() return dg.credentials:for_entity(c) end)
    policy.not_retried(e, "POST", "/public/v1/credentials", function()
      return dg.credentials:save{entity_bind_id = c.id, parameters = {login = "demo", password = "***"}}
    end)
    local k = dg.connections:save{name = "Creds gone", data_source = "Postgres"}
    dg.credentials:save{entity_bind_id = k.id, parameters = {login = "z"}}
    local cr = dg.credentials:for_entity(k)
    policy.retried(e, "DELETE", "/public/v1/credentials/", function() return dg.credentials:delete(cr) end)
  end)
end)

describe("secrets", function()
  it("never appear in a debug trace or an error", function()
    local log_file = os.tmpname()
    datagrok.log.set_file(log_file)
    datagrok.log.set_level("trace")
    local secret = "trace-me-not-5678"
    local c = dg.connections:save({name = "Traced", data_source = "Postgres", parameters = {server = "t"},
      credentials = {login = "t", password = secret}}, true)
    dg.connections:test(c.grok_name)
    e:fault{prefix = "/public/v1/credentials", method = "POST", action = "status", status = 500,
            message = "refused " .. secret}
    local ok, err = pcall(dg.credentials.save, dg.credentials, {entity_bind_id = c.id,
      parameters = {login = "t", password = secret}})
    assert.is_false(ok)
    datagrok.log.set_level("warn")
    datagrok.log.set_file(nil)
    local f = assert(io.open(log_file))
    local text = f:read("a")
    f:close()
    os.remove(log_file)
    assert.matches("POST", text)
    assert.is_nil(text:find(secret, 1, true))
    assert.is_nil(leaks.find(err, secret))
    assert.is_nil(tostring(err):find(secret, 1, true))
    assert.is_nil(repl.format(c):find(secret, 1, true))
    -- the demo database's password never left the emulator in clear
    assert.is_nil(repl.format(dg.credentials:for_entity(dg.connections:get("Demo:DemoDB")):to_dict())
      :find(DEMO_PASSWORD, 1, true))
  end)
end)
