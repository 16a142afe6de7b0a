-- How the host reports an error the script does not handle (src/host/host.c,
-- dg_host_report): an expected failure (CONFIG, authentication, a sync guard,
-- PARTIAL, LOCKED, HTTP 4xx ...) is one line without a traceback of the library;
-- a bug keeps its traceback; misuse of a client method points at the script's line.
local emulator = require "emulator"
local proc = require "proc"

local e

local function run(script, env)
  local path = proc.write_temp(script, ".lua")
  local r = proc.run({path}, {env = env})
  r.path = path
  os.remove(path)
  return r
end

local function env_with(url, key)
  return {DATAGROK_URL = url, DATAGROK_API_URL = "", DATAGROK_API_KEY = key}
end

local function one_line(r)
  assert.matches("^datagrok: [^\n]+\n$", r.stderr)
  assert.is_nil(r.stderr:find("traceback", 1, true))
  assert.is_nil(r.stderr:find("client.lua", 1, true))
end

setup(function() e = emulator.start{demo = true} end)
teardown(function() if e then e:stop() end end)

describe("an unhandled error", function()
  it("is one line for CONFIG (exit 2)", function()
    local r = run([[require("datagrok").connect()]], env_with("", e.key))
    assert.equal(2, r.code)
    one_line(r)
    assert.matches("^datagrok: CONFIG: no Datagrok server configured", r.stderr)
  end)

  it("is one line for a refused key (exit 3)", function()
    local r = run([[require("datagrok").connect():get_current_user_group()]],
      env_with(e.url, "wrong-key-0123456"))
    assert.equal(3, r.code)
    one_line(r)
    assert.matches("HTTP_401", r.stderr)
  end)

  it("is one line for a missing entity (ApiError 404) and an HTTP 404", function()
    local r = run([[require("datagrok").connect():get_group("no-such-group")]], env_with(e.url, e.key))
    assert.equal(1, r.code)
    one_line(r)
    assert.matches("^datagrok: API_ERROR: group 'no%-such%-group' not found", r.stderr)
    r = run([[require("datagrok").connect():download_file("System:DemoFiles", "nope.txt")]],
      env_with(e.url, e.key))
    assert.equal(1, r.code)
    one_line(r)
    assert.matches("HTTP_404", r.stderr)
  end)

  it("is one line for UNSAFE_SYNC, PARTIAL and LOCKED, with their exit codes", function()
    for code, exit in pairs({UNSAFE_SYNC = 5, PARTIAL = 6, LOCKED = 7}) do
      local r = run(([[local Error = require("datagrok").Error
        error(Error.new("%s", "stopped"))]]):format(code), {})
      assert.equal(exit, r.code)
      one_line(r)
      assert.equal("datagrok: " .. code .. ": stopped\n", r.stderr)
    end
  end)

  it("keeps the traceback for a bug: a Lua error or an unexpected datagrok.Error", function()
    local r = run("local t = nil\nlocal function f() return t.x end\nf()\n", {})
    assert.equal(1, r.code)
    assert.matches("attempt to index a nil value", r.stderr)
    assert.matches("stack traceback:", r.stderr, 1, true)
    r = run([[error(require("datagrok").Error.new("PROTOCOL", "malformed answer"))]], {})
    assert.equal(1, r.code)
    assert.matches("^datagrok: PROTOCOL: malformed answer\nstack traceback:", r.stderr)
  end)

  it("says which errors are expected through datagrok.Error.expected", function()
    local r = run([[local Error = require("datagrok").Error
      print(Error.expected(Error.new("CONFIG", "x")), Error.expected(Error.new("LOCKED", "x")),
        Error.expected(Error.new("HTTP_404", "x", {status = 404})),
        Error.expected(Error.new("API_ERROR", "x", {status = 200, api_code = 404})),
        Error.expected(Error.new("PROTOCOL", "x")), Error.expected(Error.new("HTTP_500", "x", {status = 500})),
        Error.expected("a string"))]], {})
    assert.equal(0, r.code, r.stderr)
    assert.equal("true\ttrue\ttrue\ttrue\tfalse\ttrue\tfalse\n", r.stdout)
  end)
end)

describe("misuse of a client method", function()
  it("with a dot instead of a colon says to use ':' and points at the script's line", function()
    local r = run("local dg = require('datagrok').connect()\n\ndg.list_groups()\n", env_with(e.url, e.key))
    assert.equal(1, r.code)
    local first = r.stderr:match("^[^\n]*")
    assert.matches(":3: bad self for 'list_groups'", first, 1, true)
    assert.matches("call it as dg:list_groups(...), with a colon", first, 1, true)
    assert.is_nil(first:find("client.lua", 1, true))
    r = run("local dg = require('datagrok').connect()\ndg.files.list('System:DemoFiles')\n", env_with(e.url, e.key))
    first = r.stderr:match("^[^\n]*")
    assert.matches(":2: bad self for 'list'", first, 1, true)
    assert.matches("dg.files:list(...)", first, 1, true)
    -- the resource objects too
    r = run("local dg = require('datagrok').connect()\ndg.users.get('alice')\n", env_with(e.url, e.key))
    first = r.stderr:match("^[^\n]*")
    assert.matches(":2: bad self for 'get'", first, 1, true)
    assert.matches("dg.users:get(...)", first, 1, true)
  end)

  it("with a bad argument names the script's line, not the library's", function()
    local r = run("local dg = require('datagrok').connect()\n\n\ndg:get_group({})\n", env_with(e.url, e.key))
    assert.equal(1, r.code)
    local first = r.stderr:match("^[^\n]*")
    assert.matches("%.lua:4: bad argument #1 to 'get_group' %(string expected, got table%)$", first)
    r = run("local dg = require('datagrok').connect()\ndg:save_group(42)\n", env_with(e.url, e.key))
    first = r.stderr:match("^[^\n]*")
    assert.matches("%.lua:2: bad argument #1 to 'save_group'", first)
    -- the error value caught by pcall carries no library position either
    r = run([[local dg = require('datagrok').connect()
      local ok, err = pcall(function() dg:download_table() end)
      print(err)]], env_with(e.url, e.key))
    assert.equal(0, r.code, r.stderr)
    assert.matches("%.lua:2: bad argument #1 to 'download_table'", r.stdout)
  end)
end)
