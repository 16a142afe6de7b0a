-- Answers a server (or whatever stands in its place: a login proxy, a broken gateway)
-- should not give: a 200 that is not a table, JSON of the wrong shape, HTTP/0.9, a huge
-- header, a compressed body that inflates without end, multi-line text. Each raises a
-- clear PROTOCOL error (or keeps the message on one line) instead of a wrong result, a
-- raw Lua error or a misleading code (docs/safety.md, promises 22 and 23).
local datagrok = require "datagrok"
local emulator = require "emulator"
local rawhttp = require "rawhttp"
local raises = require "raises"

local e, dg

setup(function()
  e = emulator.start { demo = true, faults = true }
  dg = datagrok.new("Bearer " .. e.key, e.url, { retries = 0 })
end)
teardown(function()
  if e then e:stop() end
end)
before_each(function() e:clear_faults() end)

-- the next request under prefix answers 200 with this body and Content-Type
local function answer(prefix, body, content_type)
  e:fault { prefix = prefix, action = "status", status = 200, body = body, content_type = content_type }
end

describe("a 200 that is not a table", function()
  local LOGIN = "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>login</body></html>\n"

  it("raises PROTOCOL naming the Content-Type and the start of the body, for tables and .csv files", function()
    answer("/public/v1/tables/", LOGIN, "text/html; charset=utf-8")
    local err = raises("PROTOCOL", dg.download_table, dg, "demog")
    assert.matches("not a CSV table", err.message)
    assert.matches("text/html", err.message, 1, true)
    assert.matches("<!DOCTYPE html>", err.message, 1, true)
    assert.are.equal(200, err.status)
    assert.are.equal("GET", err.method)

    answer("/public/v1/files/", LOGIN, "text/html")
    err = raises("PROTOCOL", dg.download_file, dg, "System:DemoFiles", "demog.csv")
    assert.matches("not a CSV table", err.message)

    -- the shape alone gives markup away, whatever the type says
    answer("/public/v1/tables/", "  <html><body>login</body></html>", "application/octet-stream")
    err = raises("PROTOCOL", dg.download_table, dg, "demog")
    assert.matches("starting '<html>", err.message, 1, true)
  end)

  it("refuses a JSON array or object, by type or by shape", function()
    answer("/public/v1/tables/", "[1,2,3]", "application/json")
    local err = raises("PROTOCOL", dg.download_table, dg, "demog")
    assert.matches("application/json", err.message, 1, true)
    answer("/public/v1/tables/", '[{"a": 1}]', "text/plain")
    raises("PROTOCOL", dg.download_table, dg, "demog")
    answer("/public/v1/tables/", '{"rows": []}', "application/vnd.api+json")
    raises("PROTOCOL", dg.download_table, dg, "demog")
    -- a real CSV still reads, whatever its type
    answer("/public/v1/tables/", "a,b\n1,2\n", "text/plain")
    assert.are.equal(1, #dg:download_table("demog"))
    answer("/public/v1/tables/", "[x],b\n1,2\n", "text/csv")
    assert.are.same({ "[x]", "b" }, dg:download_table("demog"):names())
  end)
end)

describe("JSON of the wrong shape", function()
  local cases = {
    { "[1,2,3]", "an array" }, { "42", "a number" }, { '"hello"', "a string" },
    { "null", "null" }, { "", "an empty body" }, { "true", "a boolean" },
  }

  it("where an object is expected raises PROTOCOL naming what came", function()
    for _, c in ipairs(cases) do
      answer("/public/v1/groups/", c[1], "application/json")
      local err = raises("PROTOCOL", dg.get_group, dg, "some-id")
      assert.matches("is " .. c[2] .. " where a JSON object was expected", err.message, 1, true)
      answer("/public/v1/user/group", c[1], "application/json")
      raises("PROTOCOL", dg.get_current_user_group, dg)
    end
  end)

  it("a group without an id is no group: PROTOCOL, not Group<nil>", function()
    for _, body in ipairs { "{}", '{"name": "x"}', '{"id": 42}' } do
      answer("/public/v1/groups/", body, "application/json")
      local err = raises("PROTOCOL", dg.get_group, dg, "some-id")
      assert.matches("get_group is not a group: it has no id", err.message, 1, true)
    end
  end)

  it("where an array is expected raises PROTOCOL naming what came", function()
    for _, c in ipairs { { "{}", "an object" }, { "42", "a number" }, { "null", "null" }, { "", "an empty body" } } do
      answer("/public/v1/groups/lookup", c[1], "application/json")
      local err = raises("PROTOCOL", dg.lookup_groups, dg, "Chem")
      assert.matches("is " .. c[2] .. " where a JSON array of objects was expected", err.message, 1, true)
    end
    answer("/public/v1/files/", "42", "application/json")
    raises("PROTOCOL", dg.files.list, dg.files, "System:DemoFiles")
    -- a list of groups must hold groups: [1,2,3] would make a raw Lua error in the facade
    for _, call in ipairs {
      function() return dg:lookup_groups("Chem") end,
      function() return dg:list_groups() end,
      function() return dg:get_group_members("some-id") end,
    } do
      answer("/public/v1/groups", "[1,2,3]", "application/json")
      local err = raises("PROTOCOL", call)
      assert.matches("an array holding a number (item 1) where a JSON array of objects", err.message, 1, true)
    end
  end)

  it("from the resource operations raises PROTOCOL too, never a raw Lua error", function()
    local objects = {
      { "/public/v1/users/", function() return dg.users:get("alice") end },
      { "/public/v1/users/current", function() return dg.users:current() end },
      { "/public/v1/connections/", function() return dg.connections:get("Demo:DemoDB") end },
      { "/public/v1/functions/", function() return dg.functions:get("Abs") end },
      { "/public/v1/packages/", function() return dg.packages:get("Demo") end },
      { "/public/v1/groups/current", function() return dg.groups:current() end },
    }
    for _, c in ipairs(objects) do
      for _, body in ipairs { "[1,2,3]", "42", "null", "" } do
        answer(c[1], body, "application/json")
        local err = raises("PROTOCOL", c[2])
        assert.matches("where a JSON object was expected", err.message, 1, true)
      end
    end
    local lists = {
      { "/public/v1/users", function() return dg.users:list() end },
      { "/public/v1/connections", function() return dg.connections:list() end },
      { "/public/v1/functions", function() return dg.functions:list() end },
      { "/public/v1/packages", function() return dg.packages:list() end },
    }
    for _, c in ipairs(lists) do
      for _, body in ipairs { "{}", "[1,2,3]", '"x"' } do
        answer(c[1], body, "application/json")
        local err = raises("PROTOCOL", c[2])
        assert.matches("where a JSON array of objects was expected", err.message, 1, true)
      end
    end
  end)
end)

describe("transport oddities", function()
  local function against(answer_bytes, fn)
    local srv = rawhttp.start(answer_bytes)
    local c = datagrok.new("Bearer " .. e.key, srv.url, { retries = 0 })
    local ok, err = pcall(fn, c)
    srv:stop()
    assert.is_false(ok, "expected an error")
    assert.is_true(datagrok.Error.is(err), tostring(err))
    return err
  end

  it("an HTTP/0.9 answer is PROTOCOL, not a configuration error", function()
    local err = against("hello, no status line\n", function(c) return c:get_group("x") end)
    assert.are.equal("PROTOCOL", err.code)
    assert.are.equal(1, datagrok.Error.exit_code(err))
  end)

  it("a 1 MB header is PROTOCOL saying so, not out of memory", function()
    local err = against("HTTP/1.1 200 OK\r\nX-Big: " .. ("a"):rep(1000000) .. "\r\nContent-Length: 2\r\n\r\n{}",
      function(c) return c:get_group("x") end)
    assert.are.equal("PROTOCOL", err.code)
    assert.matches("header too large", err.message)
  end)

  it("a compressed answer that inflates without end is stopped and refused", function()
    local p = io.popen("head -c 200000000 /dev/zero | gzip -9")
    local gz = p:read("a")
    p:close()
    assert.is_true(#gz < 250000)
    local err = against("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " .. #gz .. "\r\n\r\n" .. gz,
      function(c) return c:download_file("System:DemoFiles", "big.bin") end)
    assert.are.equal("PROTOCOL", err.code)
    assert.matches("inflates too far", err.message)
  end)

  it("a multi-line or escape-laden server message makes a one-line error", function()
    e:fault { prefix = "/public/v1/groups/lookup", action = "status", status = 500,
              body = "first line\nsecond line\r\n\27[31mred\27[0m", content_type = "text/plain" }
    local err = raises("HTTP_500", dg.lookup_groups, dg, "x")
    assert.is_nil(err.message:find("[\r\n\27]"), err.message)
    assert.matches("first line\\nsecond line", err.message, 1, true)
    assert.is_nil(tostring(err):find("[\r\n\27]"))
    assert.is_nil(err.body:find("\27", 1, true)) -- the body keeps its lines, never an escape
  end)
end)
