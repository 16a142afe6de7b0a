-- datagrok.Error: structure, one-line tostring, and the exit-code table.
local datagrok = require "datagrok"
local Error = datagrok.Error

describe("datagrok.Error", function()
  it("carries code, message and optional HTTP context", function()
    local e = Error.new("HTTP_404", "table 'x' not found",
      {status = 404, method = "GET", url = "http://127.0.0.1:1/public/v1/tables/x"})
    assert.are.equal("HTTP_404", e.code)
    assert.are.equal(404, e.status)
    assert.are.equal("HTTP_404: table 'x' not found (GET http://127.0.0.1:1/public/v1/tables/x -> 404)",
      tostring(e))
    assert.is_true(Error.is(e))
    assert.is_false(Error.is({code = "X"}))
    assert.is_false(Error.is("x"))
  end)

  it("can be built from a table and raised and caught with pcall", function()
    local ok, e = pcall(error, Error.new{code = "IO", message = "disk full", path = "/tmp/x"})
    assert.is_false(ok)
    assert.are.equal("IO", e.code)
    assert.are.equal("/tmp/x", e.path)
    assert.are.equal("IO: disk full", tostring(e))
  end)

  it("maps codes and statuses to exit codes", function()
    local cases = {
      {{"USAGE"}, 2}, {{"CONFIG"}, 2}, {{"AUTH"}, 1}, {{"RETRIES_EXHAUSTED"}, 1}, {{"OUT_OF_MEMORY"}, 1}, {{"HTTP_401", status = 401}, 3},
      {{"API_ERROR", status = 403}, 3}, {{"HTTP_429", status = 429}, 4}, {{"HTTP_502", status = 502}, 4},
      {{"TIMEOUT"}, 4}, {{"CONNECT"}, 4}, {{"UNSAFE_SYNC"}, 5}, {{"PARTIAL"}, 6}, {{"LOCKED"}, 7},
      {{"INTERRUPTED"}, 130}, {{"API_ERROR", status = 200, api_code = 403}, 3},
      {{"API_ERROR", status = 200, api_code = 404}, 1}, {{"HTTP_404", status = 404}, 1}, {{"JSON"}, 1},
    }
    for _, c in ipairs(cases) do
      local e = Error.new(c[1][1], "m", {status = c[1].status, api_code = c[1].api_code})
      assert.are.equal(c[2], Error.exit_code(e), c[1][1])
    end
    assert.are.equal(1, Error.exit_code("plain string"))
  end)

  it("offers a non-raising twin through datagrok.safe", function()
    local v, err = datagrok.safe(datagrok.json.decode, "[1]")
    assert.are.same({1}, v)
    assert.is_nil(err)
    v, err = datagrok.safe(datagrok.json.decode, "[")
    assert.is_nil(v)
    assert.are.equal("JSON", err.code)
  end)
end)
