-- call_function, create_dashboard and share_dashboard end to end against the
-- emulator: wire form, results, errors (including a 200 whose body is a JSON
-- string holding an ApiError), bad arguments, and that calls are never retried.
local datagrok = require "datagrok"
local emulator = require "emulator"

local e, dg

local function requests()
  return e:requests()
end

local function last_request()
  local list = requests()
  return list[#list]
end

local function write_temp(text)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
end

setup(function()
  e = emulator.start{demo = true, faults = true}
  dg = datagrok.new("Bearer " .. e.key, e.url, {retries = 3, max_backoff = 0.1})
end)
teardown(function() if e then e:stop() end end)
before_each(function() e:clear_faults(); e:clear_requests() end)

describe("call_function", function()
  it("posts the parameters as a JSON object and returns the decoded result", function()
    assert.are.equal(3, dg:call_function("Abs", {x = -3}))
    local r = last_request()
    assert.are.equal("POST", r.method)
    assert.are.equal("/public/v1/Abs/call", r.path)
    assert.are.equal("application/json", r.content_type)
    assert.are.equal("ab", dg:call_function("Concat", {a = "a", b = "b"}))
    assert.are.equal(7.5, dg:call_function("Add", {a = 5, b = 2.5}))
  end)

  it("turns ':' in a namespaced name into '.'", function()
    assert.are.equal(2, dg:call_function("System:Abs", {x = 2}))
    assert.are.equal("/public/v1/System.Abs/call", last_request().path)
  end)

  it("sends {} when there are no parameters", function()
    local ok, err = pcall(dg.call_function, dg, "Abs")
    assert.is_false(ok) -- Abs needs x: the server says so, which proves the body was an object
    assert.matches("missing parameter 'x'", err.message)
    assert.are.equal(400, err.status)
  end)

  it("raises the server's message for an unknown function", function()
    local ok, err = pcall(dg.call_function, dg, "NoSuchFunction", {})
    assert.is_false(ok)
    assert.are.equal("API_ERROR", err.code)
    assert.are.equal(404, err.api_code)
    assert.matches("NoSuchFunction", err.message)
  end)

  it("raises API_ERROR for a 200 whose body is a JSON string holding an ApiError", function()
    local api_error = '{"#type": "ApiError", "message": "boom from the server", "errorCode": 500}'
    local ok, err = pcall(dg.call_function, dg, "Concat", {a = api_error, b = ""})
    assert.is_false(ok)
    assert.are.equal("API_ERROR", err.code)
    assert.are.equal(200, err.status)
    assert.are.equal(500, err.api_code)
    assert.are.equal("boom from the server", err.message)
    -- the whole message, but at most 500 bytes of the body, cut at a UTF-8 boundary
    local long = ("é"):rep(400)
    ok, err = pcall(dg.call_function, dg, "Concat",
      {a = '{"#type": "ApiError", "errorCode": 500, "message": "' .. long .. '"}', b = ""})
    assert.is_false(ok)
    assert.are.equal(long, err.message)
    assert.is_true(#err.body <= 500 and #err.body >= 490, #err.body)
    assert.is_truthy(utf8.len(err.body))
    -- an ordinary string result mentioning ApiError is not an error
    assert.are.equal("ApiError?", dg:call_function("Concat", {a = "ApiError", b = "?"}))
  end)

  it("is never retried, even on a 503", function()
    e:fault{prefix = "/public/v1/Abs/call", count = 3, action = "status", status = 503}
    local ok, err = pcall(dg.call_function, dg, "Abs", {x = 1})
    assert.is_false(ok)
    assert.are.equal("HTTP_503", err.code)
    assert.are.equal(1, err.attempts)
    assert.are.equal(1, #requests())
    e:clear_faults()
    e:clear_requests()
    e:fault{prefix = "/public/v1/Abs/call", count = 1, action = "reset"}
    ok, err = pcall(dg.call_function, dg, "Abs", {x = 1})
    assert.is_false(ok)
    assert.are.equal("CONNECT", err.code)
    assert.are.equal(1, #requests())
  end)

  it("checks its arguments", function()
    assert.has_error(function() dg:call_function(nil, {}) end,
      "bad argument #1 to 'call_function' (string expected, got nil)")
    assert.has_error(function() dg:call_function("Abs", 5) end,
      "bad argument #2 to 'call_function' (table expected, got number)")
    local ok, err = pcall(dg.call_function, dg, "Abs", {x = print})
    assert.is_false(ok)
    assert.matches("bad argument #2 to 'call_function' %(cannot be sent as JSON", err)
  end)
end)

describe("create_dashboard", function()
  it("creates a dashboard from table ids, without a body", function()
    local d = dg:create_dashboard("Demo:Overview", "Demo:demog")
    local r = last_request()
    assert.are.equal("POST", r.method)
    assert.are.equal("/public/v1/dashboards/Demo.Overview/Demo.demog", r.path)
    assert.are.equal("string", type(d.ID))
    local back = e:json("GET", "/public/v1/dashboards/" .. d.ID)
    assert.are.equal(1, #back.tables)
  end)

  it("takes the table ids as an array, and sends a layout file's JSON", function()
    local layout = write_temp('{"#type": "ViewLayout", "viewers": [{"type": "Grid"}]}')
    local d = dg:create_dashboard("WithLayout", {"demog", "Demo:demog"}, layout)
    os.remove(layout)
    assert.are.equal("/public/v1/dashboards/WithLayout/demog,Demo.demog", last_request().path)
    assert.are.equal("application/json", last_request().content_type)
    local back = e:json("GET", "/public/v1/dashboards/" .. d.ID)
    assert.are.equal(2, #back.tables)
    -- the options-table form
    local layout2 = write_temp('{"viewers": []}')
    local d2 = dg:create_dashboard("WithLayout2", "demog", {layout_filename = layout2})
    os.remove(layout2)
    assert.are.equal("string", type(d2.ID))
  end)

  it("refuses a layout file that is missing or not JSON, before any request", function()
    local ok, err = pcall(dg.create_dashboard, dg, "X", "demog", "/nonexistent/layout.json")
    assert.is_false(ok)
    assert.are.equal("IO", err.code)
    assert.matches("/nonexistent/layout.json", err.message)
    local bad = write_temp('{"viewers": [1, 2,, 3]}')
    ok, err = pcall(dg.create_dashboard, dg, "X", "demog", bad)
    os.remove(bad)
    assert.is_false(ok)
    assert.are.equal("JSON", err.code)
    assert.matches("line 1 column", err.message)
    assert.are.equal(0, #requests())
  end)

  it("raises for an unknown table and is not retried", function()
    local ok, err = pcall(dg.create_dashboard, dg, "X", "no_such_table")
    assert.is_false(ok)
    assert.are.equal(404, err.api_code)
    e:clear_requests()
    e:fault{prefix = "/public/v1/dashboards", count = 2, action = "status", status = 502}
    ok, err = pcall(dg.create_dashboard, dg, "X", "demog")
    assert.is_false(ok)
    assert.are.equal("HTTP_502", err.code)
    assert.are.equal(1, #requests())
  end)
end)

describe("share_dashboard", function()
  it("shares with GET .../shares?groups=&access= (View by default)", function()
    local d = dg:create_dashboard("ToShare", "demog")
    assert.is_true(dg:share_dashboard(d.ID, "Chemists"))
    local r = last_request()
    assert.are.equal("GET", r.method)
    assert.are.equal("/public/v1/dashboards/" .. d.ID .. "/shares", r.path)
    assert.are.equal("groups=Chemists&access=View", r.query)
    assert.is_true(dg:share_dashboard("ToShare", {"Chemists", "Developers"}, "Edit"))
    assert.are.equal("groups=Chemists%2CDevelopers&access=Edit", last_request().query)
    assert.is_true(dg:share_dashboard("ToShare", "Developers", {access = "Edit"}))
    assert.are.equal("groups=Developers&access=Edit", last_request().query)
  end)

  it("raises for an unknown dashboard or group, and checks access", function()
    local ok, err = pcall(dg.share_dashboard, dg, "NoSuchDashboard", "Chemists")
    assert.is_false(ok)
    assert.matches("NoSuchDashboard", err.message)
    dg:create_dashboard("ToShare2", "demog")
    ok, err = pcall(dg.share_dashboard, dg, "ToShare2", "NoSuchGroup")
    assert.is_false(ok)
    assert.matches("NoSuchGroup", err.message)
    assert.has_error(function() dg:share_dashboard("ToShare2", "Chemists", "Own") end,
      'bad argument #3 to \'share_dashboard\' (access must be "View" or "Edit")')
    assert.has_error(function() dg:share_dashboard("ToShare2", {"Chemists", 3}) end,
      "bad argument #2 to 'share_dashboard' (item 2 is not a string)")
  end)
end)
