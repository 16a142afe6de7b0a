-- The three shapes of a server error (docs/safety.md, promise 11), each raising
-- with the server's message: a 4xx/5xx status; a 2xx with the `api-error`
-- header; a 200 whose body is an ApiError JSON object without that header. The
-- last one also for answers that stream (a table, a file to disk): nothing lands.
local datagrok = require "datagrok"
local emulator = require "emulator"
local leaks = require "leaks"
local raises = require "raises"

local e, dg, tmp

local LOOKUP = "/public/v1/groups/lookup"

setup(function()
  e = emulator.start{demo = true, faults = true}
  dg = datagrok.new("Bearer " .. e.key, e.url, {retries = 0})
  tmp = emulator.tmpdir()
end)
teardown(function()
  if e then e:stop() end
  if tmp then os.execute("rm -rf " .. emulator.shell_quote(tmp)) end
end)
before_each(function() e:clear_faults() end)

describe("server errors", function()
  it("a 4xx status raises HTTP_<status> with the server's message", function()
    e:fault{prefix = LOOKUP, action = "status", status = 409, message = "conflict from the server"}
    local err = raises(nil, dg.lookup_groups, dg, "Chemists")
    assert.are.equal("HTTP_409", err.code)
    assert.are.equal(409, err.status)
    assert.are.equal("conflict from the server", err.message)
  end)

  it("a 200 with the api-error header raises API_ERROR with the server's message", function()
    e:fault{prefix = LOOKUP, action = "status", status = 200, message = "flagged by the header"}
    local err = raises(nil, dg.lookup_groups, dg, "Chemists")
    assert.are.equal("API_ERROR", err.code)
    assert.are.equal("flagged by the header", err.message)
  end)

  it("a 200 whose body is an ApiError object without the header raises API_ERROR", function()
    e:fault{prefix = LOOKUP, action = "status", status = 200, api_error_header = false,
            message = "only the body says so"}
    local res = e:http("GET", LOOKUP, {query = "query=x"})
    assert.are.equal(200, res.status)
    assert.is_nil(res.headers["api-error"])
    e:fault{prefix = LOOKUP, action = "status", status = 200, api_error_header = false,
            message = "only the body says so"}
    local err = raises(nil, dg.lookup_groups, dg, "Chemists")
    assert.are.equal("API_ERROR", err.code)
    assert.are.equal("only the body says so", err.message)
    assert.are.equal(200, err.status)
    assert.are.equal(200, err.api_code)
  end)

  it("the same for a table download, which streams: no DataFrame", function()
    e:fault{prefix = "/public/v1/tables/demog", action = "status", status = 200,
            api_error_header = false, message = "table is locked"}
    local err = raises(nil, dg.download_table, dg, "demog")
    assert.are.equal("API_ERROR", err.code)
    assert.are.equal("table is locked", err.message)
    assert.are.equal(300, #dg:download_table("demog")) -- the next one is fine
  end)

  it("the same for a file downloaded to disk: no file is written", function()
    local dest = tmp .. "/out.csv"
    e:fault{prefix = "/public/v1/files/System.DemoFiles/demog.csv", action = "status", status = 200,
            api_error_header = false, message = "share is offline"}
    local err = raises(nil, dg.download_file, dg, "System:DemoFiles", "demog.csv", {to = dest})
    assert.are.equal("API_ERROR", err.code)
    assert.are.equal("share is offline", err.message)
    assert.is_nil(io.open(dest, "rb"))
    local p = io.popen("ls -A " .. emulator.shell_quote(tmp))
    local listing = p:read("a")
    p:close()
    assert.are.equal("", listing) -- no temporary file left either
  end)
end)

describe("a server message that echoes the key", function()
  it("has the key replaced by *** in the error and its body", function()
    for _, header in ipairs({true, false}) do
      e:fault{prefix = LOOKUP, action = "status", status = 200, api_error_header = header,
              message = "bad token Bearer " .. e.key .. " for this route"}
      local err = raises(nil, dg.lookup_groups, dg, "Chemists")
      assert.are.equal("API_ERROR", err.code)
      assert.are.equal("bad token Bearer *** for this route", err.message)
      assert.is_nil(err.body:find(e.key, 1, true))
      assert.matches("***", err.body, 1, true)
      assert.is_nil(leaks.find(err, e.key))
    end
    e:fault{prefix = LOOKUP, action = "status", status = 403, message = "key " .. e.key .. " revoked"}
    local err = raises(nil, dg.lookup_groups, dg, "Chemists")
    assert.are.equal("HTTP_403", err.code)
    assert.are.equal("key *** revoked", err.message)
    assert.is_nil(err.body:find(e.key, 1, true))
  end)
end)

describe("an answer that is not JSON", function()
  it("is a PROTOCOL error whose body excerpt is scrubbed of the key and cut at a character boundary", function()
    local page = "<html><body>Sign in. Your token: " .. e.key .. " " .. ("é"):rep(400) .. "</body></html>"
    e:fault{prefix = LOOKUP, action = "status", status = 200, body = page}
    local err = raises(nil, dg.lookup_groups, dg, "Chemists")
    assert.are.equal("PROTOCOL", err.code)
    assert.is_nil(err.body:find(e.key, 1, true))
    assert.matches("Your token: ***", err.body, 1, true)
    assert.is_true(utf8.len(err.body) ~= nil, "err.body is cut inside a UTF-8 character")
    assert.is_true(#err.body < #page)
    assert.is_nil(leaks.find(err, e.key))
  end)
end)

describe("status faults", function()
  it("send Retry-After as an IMF-fixdate with retry_after_date", function()
    e:fault{prefix = LOOKUP, action = "status", status = 503, retry_after_date = 60}
    local before = os.time()
    local res = e:http("GET", LOOKUP, {query = "query=x"})
    assert.are.equal(503, res.status)
    local d = res.headers["retry-after"]
    local day, mon, year, h, m, s = d:match("^%a%a%a, (%d%d) (%a%a%a) (%d%d%d%d) (%d%d):(%d%d):(%d%d) GMT$")
    assert.is_truthy(day, d)
    local months = {Jan = 1, Feb = 2, Mar = 3, Apr = 4, May = 5, Jun = 6, Jul = 7, Aug = 8, Sep = 9,
                    Oct = 10, Nov = 11, Dec = 12}
    local utc = os.time{year = tonumber(year), month = months[mon], day = tonumber(day),
                        hour = tonumber(h), min = tonumber(m), sec = tonumber(s)}
    -- os.time reads the table as local time: shift by the zone's offset
    local offset = os.time(os.date("!*t", before)) - before
    local t = utc - offset
    assert.is_true(t >= before + 59 and t <= os.time() + 61, d)
  end)

  it("refuse a malformed message, api_error_header or retry_after_date", function()
    for _, body in ipairs({
      '{"prefix":"/x","action":"status","status":503,"message":5}',
      '{"prefix":"/x","action":"status","status":503,"api_error_header":"no"}',
      '{"prefix":"/x","action":"status","status":503,"retry_after_date":-1}',
    }) do
      assert.are.equal(400, e:http("POST", "/_emulator/faults", {body = body}).status, body)
    end
  end)
end)
