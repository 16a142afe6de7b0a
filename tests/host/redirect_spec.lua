-- Redirects (docs/safety.md, promise 13): the client follows them itself and sends
-- Authorization only to the base URL's own origin (scheme, host and port as
-- written: "localhost" and "127.0.0.1" are different origins); 303 turns a POST
-- into a GET, 307 repeats it with its body; a loop ends with a clear error.
-- Uses the emulator's `redirect` fault.
local datagrok = require "datagrok"
local emulator = require "emulator"
local leaks = require "leaks"

local e, other

local LOOKUP = "/public/v1/groups/lookup"

local function client(opts)
  return datagrok.new("Bearer " .. e.key, e.url, opts)
end

setup(function()
  e = emulator.start{demo = true, faults = true}
  other = emulator.start{demo = true, faults = true}
end)
teardown(function()
  if e then e:stop() end
  if other then other:stop() end
end)
before_each(function()
  e:clear_faults(); e:clear_requests()
  other:clear_faults(); other:clear_requests()
end)

describe("redirects", function()
  it("to the same origin are followed with Authorization", function()
    local dg = client{retries = 0}
    e:fault{prefix = LOOKUP, action = "redirect", status = 302,
            location = e.url .. "/api" .. LOOKUP .. "?query=Chemists"}
    local groups = dg:lookup_groups("Developers")
    assert.are.equal("Chemists", groups[1].name) -- the answer of the redirect's target
    local reqs = e:requests()
    assert.are.equal(2, #reqs)
    assert.are.equal("query=Developers", reqs[1].query)
    assert.are.equal("query=Chemists", reqs[2].query)
    assert.is_true(reqs[1].has_authorization)
    assert.is_true(reqs[2].has_authorization)
  end)

  it("to another origin do not carry Authorization", function()
    local dg = client{retries = 0}
    e:fault{prefix = LOOKUP, action = "redirect", status = 307,
            location = other.url .. LOOKUP .. "?query=Chemists"}
    local ok, err = pcall(dg.lookup_groups, dg, "Chemists")
    assert.is_false(ok)
    assert.are.equal("HTTP_401", err.code) -- the other server wants a key it was not given
    -- the error names the server that answered, not the one first asked
    assert.are.equal(other.url .. LOOKUP .. "?query=Chemists", err.url)
    assert.is_nil(leaks.find(err, e.key))
    local there = other:requests()
    assert.are.equal(1, #there)
    assert.are.equal(LOOKUP, there[1].path)
    assert.is_false(there[1].has_authorization)
    assert.are.equal(1, #e:requests())
    -- credentials in the Location never show in the error
    e:fault{prefix = LOOKUP, action = "redirect", status = 307,
            location = (other.url:gsub("^http://", "http://user:pw-secret@")) .. LOOKUP}
    ok, err = pcall(dg.lookup_groups, dg, "Chemists")
    assert.is_false(ok)
    assert.are.equal(other.url .. LOOKUP, err.url)
    assert.is_nil(tostring(err):find("pw-secret", 1, true))
  end)

  it("to the same server under another host name are another origin", function()
    local dg = client{retries = 0}
    local port = e.url:match(":(%d+)$")
    e:fault{prefix = LOOKUP, action = "redirect", status = 302,
            location = "http://localhost:" .. port .. LOOKUP .. "?query=Chemists"}
    local ok, err = pcall(dg.lookup_groups, dg, "Chemists")
    assert.is_false(ok)
    assert.are.equal("HTTP_401", err.code)
    local reqs = e:requests()
    assert.are.equal(2, #reqs)
    assert.is_true(reqs[1].has_authorization)
    assert.is_false(reqs[2].has_authorization)
  end)

  it("to another origin and back send Authorization only to the base origin", function()
    local dg = client{retries = 0}
    other:fault{prefix = "/bounce", action = "redirect", status = 302,
                location = e.url .. LOOKUP .. "?query=Chemists"}
    e:fault{prefix = LOOKUP, action = "redirect", status = 302, location = other.url .. "/bounce"}
    local groups = dg:lookup_groups("x")
    assert.are.equal("Chemists", groups[1].name)
    local reqs, there = e:requests(), other:requests()
    assert.are.equal(2, #reqs)
    assert.is_true(reqs[1].has_authorization)
    assert.is_true(reqs[2].has_authorization)
    assert.are.equal(1, #there)
    assert.is_false(there[1].has_authorization)
  end)

  it("303 turns a POST into a GET without a body", function()
    local dg = client{retries = 0}
    e:fault{prefix = "/public/v1/Abs/call", action = "redirect", status = 303,
            location = e.url .. LOOKUP .. "?query=Chemists"}
    local result = dg:call_function("Abs", {x = -4})
    assert.are.equal("Chemists", result[1].name)
    local reqs = e:requests()
    assert.are.equal(2, #reqs)
    assert.are.equal("POST", reqs[1].method)
    assert.are.equal("application/json", reqs[1].content_type)
    assert.are.equal("GET", reqs[2].method)
    assert.are.equal(LOOKUP, reqs[2].path)
    assert.are.equal(datagrok.null, reqs[2].content_type)
    assert.is_true(reqs[2].has_authorization)
  end)

  it("307 repeats a POST with its body", function()
    local dg = client{retries = 0}
    e:fault{prefix = "/public/v1/Abs/call", action = "redirect", status = 307,
            location = e.url .. "/public/v1/Abs/call"}
    assert.are.equal(4, dg:call_function("Abs", {x = -4}))
    local reqs = e:requests()
    assert.are.equal(2, #reqs)
    assert.are.equal("POST", reqs[2].method)
    assert.are.equal("application/json", reqs[2].content_type)
  end)

  it("307 re-sends a streamed file upload whole, and no key to another origin", function()
    local dg = client{retries = 0}
    local path = os.tmpname()
    finally(function() os.remove(path) end)
    local data = ("0123456789abcdef\n"):rep(50000) -- 850 KB: read from disk while sent
    emulator.write_file(path, data)
    local files = "/public/v1/files/System.DemoFiles/"
    e:fault{prefix = files .. "up/a.txt", action = "redirect", status = 307,
            location = e.url .. files .. "up/b.txt"}
    assert.is_true(dg:upload_file("System:DemoFiles", "up/a.txt", path))
    assert.are.equal(data, dg:download_file("System:DemoFiles", "up/b.txt"))
    local reqs = e:requests()
    assert.are.equal("POST", reqs[2].method)
    assert.are.equal(files .. "up/b.txt", reqs[2].path)
    e:fault{prefix = files .. "up/a.txt", action = "redirect", status = 307,
            location = other.url .. files .. "up/c.txt"}
    local ok, err = pcall(dg.upload_file, dg, "System:DemoFiles", "up/a.txt", path)
    assert.is_false(ok)
    assert.are.equal("HTTP_401", err.code)
    local there = other:requests()
    assert.are.equal(1, #there)
    assert.are.equal("POST", there[1].method)
    assert.is_false(there[1].has_authorization)
  end)

  it("in a loop end with a clear error, not retried", function()
    local dg = client{retries = 3, max_backoff = 0.1}
    e:fault{prefix = LOOKUP, count = 100, action = "redirect", status = 302,
            location = e.url .. LOOKUP .. "?query=again"}
    local ok, err = pcall(dg.lookup_groups, dg, "Chemists")
    assert.is_false(ok)
    assert.matches("redirect", err.message:lower())
    assert.are.equal(1, err.attempts)
    assert.are.equal(11, #e:requests()) -- the request and 10 redirects
    assert.is_nil(leaks.find(err, e.key))
  end)
end)

describe("redirects and the key", function()
  it("to a scheme other than http(s) are not followed", function()
    local dg = client{retries = 0}
    for _, location in ipairs({"file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1/"}) do
      e:clear_requests()
      e:fault{prefix = LOOKUP, action = "redirect", status = 302, location = location}
      local ok, err = pcall(dg.lookup_groups, dg, "Chemists")
      assert.is_false(ok, location)
      assert.are.equal("HTTP_302", err.code, location)
      assert.are.equal(1, #e:requests())
    end
  end)

  it("are traced without the key or credentials of the target", function()
    local log = os.tmpname()
    datagrok.log.set_file(log)
    datagrok.log.set_level("debug")
    local dg = client{retries = 0}
    e:fault{prefix = LOOKUP, action = "redirect", status = 302,
            location = (other.url:gsub("^http://", "http://user:pw-secret@")) .. LOOKUP .. "?query=x"}
    local ok = pcall(dg.lookup_groups, dg, "Chemists")
    datagrok.log.set_level("warn")
    datagrok.log.set_file(nil)
    local text = assert(emulator.read_file(log))
    os.remove(log)
    assert.is_false(ok)
    assert.matches("redirect 302 to " .. other.url:gsub("%p", "%%%0") .. LOOKUP, text)
    assert.matches("Authorization not sent", text)
    assert.is_nil(text:find(e.key, 1, true))
    assert.is_nil(text:find("pw-secret", 1, true))
  end)
end)

describe("the redirect fault", function()
  it("refuses a bad status or location", function()
    for _, body in ipairs({
      '{"prefix":"/x","action":"redirect","status":200,"location":"http://a/"}',
      '{"prefix":"/x","action":"redirect","status":302}',
      '{"prefix":"/x","action":"redirect","location":"/relative"}',
      '{"prefix":"/x","action":"redirect","location":"http://a/b c"}',
    }) do
      assert.are.equal(400, e:http("POST", "/_emulator/faults", {body = body}).status, body)
    end
    e:fault{prefix = "/public/v1/healthcheck", action = "redirect", location = "http://example.invalid/y"}
    local res = e:http("GET", "/public/v1/healthcheck")
    assert.are.equal(302, res.status)
    assert.are.equal("http://example.invalid/y", res.headers["location"])
  end)
end)
