-- The generic pieces of the resource-style API: operations as dg_op rows (argument
-- checking, query building), dg:raw, dg:healthcheck, secrets scrubbed from errors, and
-- the resource objects' printing and completion.
local datagrok = require "datagrok"
local emulator = require "emulator"
local policy = require "retry_policy"
local repl = require "datagrok.repl"

local e, dg

setup(function() e, dg = emulator.start_with_client() end)
teardown(function() if e then e:stop() end end)
before_each(function() e:clear_faults(); e:clear_requests() end)

describe("dg:healthcheck", function()
  it("answers the server's health, with the module as a query parameter", function()
    local h = dg:healthcheck()
    assert.are.equal("ok", h.status)
    assert.is_table(h.services)
    assert.are.equal("/public/v1/healthcheck", e:last_request().path)
    dg:healthcheck("scripting")
    assert.are.equal("module=scripting", e:last_request().query)
  end)

  it("is retried (a read)", function()
    assert.are.equal("ok", policy.retried(e, "GET", "/public/v1/healthcheck", function() return dg:healthcheck() end).status)
  end)

  it("raises the three error shapes like every operation", function()
    e:fault{prefix = "/public/v1/healthcheck", action = "status", status = 500}
    local ok, err = pcall(dg.healthcheck, dg)
    assert.is_false(ok)
    assert.are.equal("HTTP_500", err.code)
    assert.are.equal(1, err.attempts) -- a 500 is not transient
    e:fault{prefix = "/public/v1/healthcheck", action = "status", status = 200, message = "down"}
    ok, err = pcall(dg.healthcheck, dg)
    assert.are.equal("API_ERROR", err.code)
    assert.are.equal("down", err.message)
  end)
end)

describe("dg:raw", function()
  it("GETs any path and decodes a JSON answer; the status comes second", function()
    local me, status = dg:raw("GET", "/public/v1/users/current")
    assert.are.equal("admin", me.login)
    assert.are.equal(200, status)
  end)

  it("escapes a query table and sends a table body as JSON", function()
    local list = dg:raw("GET", "/public/v1/users", {query = {text = 'login = "bob"'}})
    assert.are.equal(1, #list)
    assert.are.equal("bob", list[1].login)
    assert.are.equal("text=login%20%3D%20%22bob%22", e:last_request().query)
    local g = dg:raw("POST", "/public/v1/groups", {query = "saveRelations=false", body = {name = "Raw group"}})
    assert.are.equal("Raw group", g.name)
    assert.are.equal("application/json", e:last_request().content_type)
  end)

  it("prints the parameters of a connection it answers with their keys only", function()
    local c = dg:raw("GET", "/public/v1/connections/Demo.DemoDB")
    assert.are.equal("db.demo.local", c.parameters.server)
    assert.is_nil(repl.format(c):find("db.demo.local", 1, true))
  end)

  it("returns a non-JSON answer as a string", function()
    local text = dg:raw("GET", "/public/v1/files/System.DemoFiles/README.md")
    assert.matches("^# DemoFiles", text)
  end)

  it("retries GET and DELETE but not POST, unless told", function()
    policy.retried(e, "GET", "/public/v1/users/current", function() return dg:raw("GET", "/public/v1/users/current") end)
    policy.not_retried(e, "POST", "/public/v1/groups", function()
      return dg:raw("POST", "/public/v1/groups", {body = {name = "Once"}})
    end)
    policy.retried(e, "POST", "/public/v1/groups", function()
      return dg:raw("POST", "/public/v1/groups", {body = {name = "Twice is fine"}, retry = true})
    end)
  end)

  it("raises API_ERROR for a missing entity and HTTP_404 for an unknown route", function()
    local ok, err = pcall(dg.raw, dg, "GET", "/public/v1/users/nobody")
    assert.is_false(ok)
    assert.are.equal("API_ERROR", err.code)
    assert.are.equal(404, err.api_code)
    ok, err = pcall(dg.raw, dg, "GET", "/public/v1/nothing/here/at/all")
    assert.are.equal("HTTP_404", err.code)
  end)

  it("refuses a bad method or an unescaped path", function()
    assert.has_error(function() dg:raw("FETCH", "/x") end)
    assert.has_error(function() dg:raw("GET", "public/v1/users") end)
    assert.has_error(function() dg:raw("GET", "/public/v1/users?text=x") end)
    assert.has_error(function() dg:raw("GET", "/a b") end)
  end)
end)

describe("operation rows", function()
  it("check their arguments like hand-written bindings", function()
    local s = dg._session
    assert.has_error(function() s:get_user() end)
    assert.has_error(function() s:get_user("") end)
    assert.has_error(function() s:list_users(function() end) end)
    assert.has_error(function() s:save_user("not a table") end)
  end)

  it("leave out absent query values, join arrays and render booleans in lower case", function()
    dg._session:list_connections(nil, nil, {"demo", "files"})
    assert.are.equal("tags=demo%2Cfiles", e:last_request().query)
    dg._session:list_users(nil, "group")
    assert.are.equal("include=group", e:last_request().query)
    dg._session:list_users()
    assert.are.equal("", e:last_request().query)
  end)
end)

describe("secrets", function()
  it("are scrubbed from an error's message and body when the server echoes them", function()
    local password = "p4ss-w0rd-never-shown"
    e:fault{prefix = "/public/v1/connections", method = "POST", action = "status", status = 400,
            message = "cannot save: password " .. password .. " is weak"}
    local conn = dg.connections:new{name = "Leaky", data_source = "Postgres", parameters = {server = "db.local"},
                                    credentials = {login = "u", password = password}}
    local ok, err = pcall(dg.connections.save, dg.connections, conn, true)
    assert.is_false(ok)
    assert.are.equal("HTTP_400", err.code)
    assert.is_nil(tostring(err):find(password, 1, true))
    assert.is_nil(err.message:find(password, 1, true))
    assert.is_nil((err.body or ""):find(password, 1, true))
    assert.matches("password %*%*%* is weak", err.message)
  end)

  it("never print: connections, credentials and their parameters show keys only", function()
    local conn = dg.connections:new{name = "Shown", data_source = "Postgres", parameters = {server = "db.local"},
                                    credentials = {login = "u", password = "s3cret-value"}}
    for _, v in ipairs({conn, conn.parameters, conn.credentials, conn.credentials.parameters, conn:to_dict()}) do
      local shown = repl.format(v)
      assert.is_nil(shown:find("s3cret-value", 1, true), shown)
      assert.is_nil(shown:find("db.local", 1, true), shown)
    end
    assert.are.equal("{login = <redacted>, password = <redacted>}", tostring(conn.credentials.parameters))
    assert.are.equal("s3cret-value", conn.credentials.parameters.password) -- still readable
  end)
end)

describe("resource objects", function()
  it("print readably and complete on TAB", function()
    assert.matches("^datagrok%.Users<datagrok%.Client<", tostring(dg.users))
    _G.dg = dg
    local c = repl.complete("dg.")
    for _, name in ipairs({"dg.users", "dg.groups", "dg.functions", "dg.connections", "dg.credentials",
      "dg.packages", "dg.published_packages", "dg.shares", "dg.tables", "dg.files", "dg.healthcheck",
      "dg.batch", "dg.raw"}) do
      assert.is_truthy(table.concat(c, " "):find(name, 1, true), name)
    end
    assert.are.same({"dg.users:block", "dg.users:current"}, (function()
      local out = {}
      for _, n in ipairs(repl.complete("dg.users:")) do if n:match(":[bc]") then out[#out + 1] = n end end
      return out
    end)())
    _G.u_ = dg.users:get("alice")
    assert.is_truthy(table.concat(repl.complete("u_:"), " "):find("u_:to_dict", 1, true))
    _G.dg, _G.u_ = nil, nil
  end)

  it("are found by completion on the module too (help, connect, new)", function()
    _G.datagrok_ = datagrok
    local c = table.concat(repl.complete("datagrok_."), " ")
    _G.datagrok_ = nil
    for _, name in ipairs({"datagrok_.help", "datagrok_.connect", "datagrok_.new"}) do
      assert.is_truthy(c:find(name, 1, true), name)
    end
  end)

  it("have a help line per method", function()
    local help = datagrok.help(dg.users)
    assert.matches("users:get%(id_or_login%)", help)
    assert.matches("users:block", help)
    assert.matches("dg:batch", datagrok.help(dg))
    assert.matches("connections:test", datagrok.help(dg.connections))
  end)
end)
