-- A key the server (or a proxy) echoes back is never shown, wherever it comes: in a
-- redirect's Location (the error, err.url, the debug trace), in a body that is not JSON
-- (err.body, the message), and past any cut of a long text (docs/safety.md, promise 14).
-- Every such string goes through one scrub (src/base/scrub.c via src/binding/secrets.c).
local datagrok = require "datagrok"
local emulator = require "emulator"
local log = require "datagrok.log"
local leaks = require "leaks"

local e

setup(function()
  e = emulator.start { demo = true, faults = true }
end)
teardown(function()
  if e then e:stop() end
end)
before_each(function() e:clear_faults() end)

-- runs fn at debug level with the log in a file; returns the log text and pcall's results
local function traced(fn)
  local path = os.tmpname()
  local level = log.level()
  log.set_level("debug")
  log.set_file(path)
  local ok, err = pcall(fn)
  log.set_file(nil)
  log.set_level(level)
  local f = io.open(path, "rb")
  local text = f and f:read("a") or ""
  if f then f:close() end
  os.remove(path)
  return text, ok, err
end

local function assert_hidden(key, text, err)
  assert.is_nil(text:find(key, 1, true), text)
  assert.is_nil(tostring(err):find(key, 1, true), tostring(err))
  assert.is_nil(leaks.find(err, key), "err holds the key")
end

describe("an echoed key", function()
  it("in a redirect Location is in no error, err.url or trace line", function()
    local dg = datagrok.new("Bearer " .. e.key, e.url, { retries = 0 })
    e:fault { prefix = "/public/v1/groups/lookup", action = "redirect", status = 302,
              location = e.url .. "/public/v1/no-such-route?api_key=" .. e.key }
    local text, ok, err = traced(function() return dg:lookup_groups("x") end)
    assert.is_false(ok)
    assert.is_true(datagrok.Error.is(err), tostring(err))
    assert.matches("redirect 302", text)
    assert.matches("api_key=***", err.url, 1, true)
    assert_hidden(e.key, text, err)
  end)

  it("in a 200 body that is not JSON is in neither err.body nor the message", function()
    local dg = datagrok.new("Bearer " .. e.key, e.url, { retries = 0 })
    e:fault { prefix = "/public/v1/groups/", action = "status", status = 200, content_type = "text/plain",
              body = "{not json; your key is " .. e.key .. "\nbye" }
    local text, ok, err = traced(function() return dg:get_group("x") end)
    assert.is_false(ok)
    assert.are.equal("PROTOCOL", err.code)
    assert.matches("***", err.body, 1, true)
    assert_hidden(e.key, text, err)
  end)

  it("is scrubbed before a long text is cut, so no part of it shows", function()
    local dg = datagrok.new("Bearer " .. e.key, e.url, { retries = 0 })
    -- the key straddles the 500th byte of the body excerpt
    local body = ("x"):rep(480) .. e.key .. ("y"):rep(100)
    e:fault { prefix = "/public/v1/groups/lookup", action = "status", status = 502, content_type = "text/plain",
              body = body }
    local text, ok, err = traced(function() return dg:lookup_groups("x") end)
    assert.is_false(ok)
    assert.is_true(#err.body <= 500)
    assert.is_nil(err.body:find(e.key:sub(1, 10), 1, true), err.body)
    assert_hidden(e.key, text, err)
  end)

  it("of a client made with a key spelled any way, or refused, is scrubbed too", function()
    local key = "k3y-" .. ("q"):rep(20)
    local ok, err = pcall(datagrok.new, key) -- refused: no base URL; the key is a secret now
    assert.is_false(ok)
    local text
    text, ok, err = traced(function() error(datagrok.Error.new("IO", "echo " .. key)) end)
    assert.is_false(ok)
    assert.are.equal("echo ***", err.message)
    -- fields a script sets itself are shown through the scrub too
    local e2 = datagrok.Error.new("IO", "x", { method = "GET", url = "http://h/?k=" .. key })
    assert.is_nil(tostring(e2):find(key, 1, true), tostring(e2))
    text = traced(function() log.warn("test", "echo " .. key) end)
    assert.matches("echo ***", text, 1, true)
    -- a long log message is cut at 16 KiB: the key straddling the cut is gone first
    text = traced(function() log.warn("test", ("m"):rep(16370) .. key, { note = ("v"):rep(10) .. key }) end)
    assert.is_nil(text:find(key:sub(1, 6), 1, true), text:sub(-80))
  end)
end)
