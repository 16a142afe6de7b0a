-- dg.functions against the emulator: get, list with a smart filter, list_scripts and
-- list_queries, call on the P4 route, create_script and create_query, the Func /
-- Script / DataQuery / FuncParam objects and their wire form, and the retry policy.
local datagrok = require "datagrok"
local emulator = require "emulator"
local policy = require "retry_policy"

local e, dg

setup(function()
  e = emulator.start{demo = true, faults = true}
  dg = datagrok.new("Bearer " .. e.key, e.url, {retries = 2, max_backoff = 0.1})
end)
teardown(function() if e then e:stop() end end)
before_each(function() e:clear_faults(); e:clear_requests() end)

describe("dg.functions", function()
  it("gets a script by Grok name, with its params, as a Script", function()
    local s = dg.functions:get("Demo:Hello")
    assert.are.equal("/public/v1/functions/Demo.Hello", e:last_request().path)
    assert.are.equal("Script<Demo:Hello python>", tostring(s))
    assert.are.equal("script", s.source)
    assert.are.equal("python", s.language)
    assert.matches("Hello, ", s.script)
    assert.are.equal("Demo:Hello", s.grok_name)
    assert.are.equal("FuncParam<who: string>", tostring(s.inputs[1]))
    assert.are.equal("greeting", s.outputs[1].name)
    assert.are.equal(s.id, dg.functions:get(s.id).id)
  end)

  it("gets a query as a DataQuery with its connection, and a built-in as a Func", function()
    local q = dg.functions:get("Demo:DemogByRace")
    assert.are.equal("DataQuery<Demo:DemogByRace on Demo:DemoDB>", tostring(q))
    assert.are.equal("Demo:DemoDB", q.connection.grok_name)
    assert.matches("select", q.query)
    local f = dg.functions:get("System:Abs")
    assert.are.equal("Func<System:Abs>", tostring(f))
    assert.are.equal("x", f.params[1].name)
  end)

  it("lists with a smart filter; list_scripts and list_queries filter on source", function()
    local all = dg.functions:list()
    assert.is_true(#all >= 16)
    local scripts = dg.functions:list_scripts()
    assert.are.equal('text=source%3D%22script%22', e:last_request().query)
    for _, s in ipairs(scripts) do assert.are.equal("script", s.source) end
    local queries = dg.functions:list_queries()
    assert.are.equal("DataQuery<Demo:DemogByRace on Demo:DemoDB>", tostring(queries[1]))
    local named = dg.functions:list('name in ("Abs", "Sin")')
    assert.are.equal(2, #named)
    assert.are.equal(1, #dg.functions:list_scripts('language = "python" and name = "Hello"'))
  end)

  it("calls by name or object on the P4 route, never retried", function()
    assert.are.equal(3, dg.functions:call("Abs", {x = -3}))
    assert.are.equal("/public/v1/functions/Abs/call", e:last_request().path)
    assert.are.equal(2, dg.functions:call(dg.functions:get("System:Abs"), {x = 2}))
    assert.are.equal("/public/v1/functions/System.Abs/call", e:last_request().path)
    local s = dg.functions:get("Demo:Hello")
    assert.are.equal("Demo:Hello", s:call{who = "x"}.func)
    policy.not_retried(e, "POST", "/public/v1/functions/Abs/call", function()
      return dg.functions:call("Abs", {x = 1})
    end)
  end)

  it("creates a script and a query (the connection given by object or name)", function()
    local s = dg.functions:create_script("print('hi')", "Greeter", {language = "python"})
    assert.are.equal("POST", e:last_request().method)
    assert.are.equal("/public/v1/functions", e:last_request().path)
    assert.are.equal("Greeter", s.name)
    assert.are.equal("python", s.language)
    assert.are.equal(s.id, dg.functions:get(s.grok_name).id)
    local conn = dg.connections:get("Demo:DemoDB")
    local q = dg.functions:create_query(conn, "select 1", "One")
    assert.are.equal(conn.id, q.connection.id)
    local q2 = dg.functions:create_query("Demo:DemoDB", "select 2", "Two")
    assert.are.equal("data-query", q2.source)
    local d = q2:to_dict()
    assert.are.equal("DataQuery", d["#type"])
    assert.are.equal("select 2", d.query)
    assert.are.equal(conn.id, d.connection.id)
  end)

  it("raises for a missing function, and for a query on a missing connection", function()
    local ok, err = pcall(dg.functions.get, dg.functions, "Demo:Nothing")
    assert.is_false(ok)
    assert.are.equal(404, err.api_code)
    ok, err = pcall(dg.functions.call, dg.functions, "Nothing", {})
    assert.are.equal(404, err.api_code)
    local ghost = dg.connections:new{name = "Ghost", data_source = "Postgres"}
    ghost.id = "00000000-0000-4000-8000-000000000000"
    ok, err = pcall(dg.functions.create_query, dg.functions, ghost, "select 1")
    assert.is_false(ok)
    assert.are.equal(404, err.api_code)
  end)

  it("retries reads, not saves", function()
    policy.retried(e, "GET", "/public/v1/functions/Demo.Hello", function() return dg.functions:get("Demo:Hello") end)
    policy.retried(e, "GET", "/public/v1/functions", function() return dg.functions:list() end)
    policy.not_retried(e, "POST", "/public/v1/functions", function()
      return dg.functions:create_script("1", "Once")
    end)
  end)
end)
