-- Exit codes of scripts whose client calls fail, and key hygiene on the
-- command line (docs/safety.md, promises 9 to 14): spawns the binary against
-- the emulator.
local emulator = require "emulator"
local proc = require "proc"

local e

local function run(script, env, args)
  local path = proc.write_temp(script, ".lua")
  local argv = {}
  for _, a in ipairs(args or {}) do argv[#argv + 1] = a end
  argv[#argv + 1] = path
  local r = proc.run(argv, {env = env})
  os.remove(path)
  return r
end

local function env_with(url, key)
  return {DATAGROK_URL = url, DATAGROK_API_URL = "", DATAGROK_API_KEY = key}
end

setup(function() e = emulator.start{demo = true, faults = true} end)
teardown(function() if e then e:stop() end end)
before_each(function() e:clear_faults() end)

describe("exit codes", function()
  it("is 0 when the calls succeed", function()
    local r = run([[local dg = require("datagrok").connect()
      print(dg:lookup_groups("Chemists")[1].name)]], env_with(e.url, e.key))
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal("Chemists\n", r.stdout)
  end)

  it("is 3 when the server refuses the key (401)", function()
    local r = run([[require("datagrok").connect():get_current_user_group()]],
      env_with(e.url, "not-the-key-0123"))
    assert.are.equal(3, r.code)
    assert.matches("HTTP_401", r.stderr)
    assert.is_nil(r.stderr:find("not-the-key-0123", 1, true))
  end)

  it("is 4 when retries run out", function()
    e:fault{prefix = "/public/v1/groups/lookup", count = 10, action = "status", status = 503}
    local r = run([[require("datagrok").connect{retries = 1, max_backoff = 0.1}:lookup_groups("x")]],
      env_with(e.url, e.key))
    assert.are.equal(4, r.code)
    assert.matches("HTTP_503", r.stderr)
    assert.matches("gave up after 2 attempts", r.stderr)
  end)

  it("is 4 when the server cannot be reached", function()
    local r = run([[require("datagrok").connect{retries = 0}:lookup_groups("x")]],
      env_with("http://127.0.0.1:1", e.key))
    assert.are.equal(4, r.code)
    assert.matches("CONNECT", r.stderr)
  end)

  it("is 2 when no server is configured", function()
    local r = run([[require("datagrok").connect()]], env_with("", e.key))
    assert.are.equal(2, r.code)
    assert.matches("CONFIG", r.stderr)
    assert.matches("DATAGROK_URL", r.stderr)
  end)

  it("is 130 when interrupted during a stalled request, at once", function()
    e:fault{prefix = "/public/v1/groups/lookup", count = 1, action = "stall", stall_seconds = 30}
    local script = proc.write_temp([[require("datagrok").connect():lookup_groups("x")]], ".lua")
    local t0 = os.time()
    local inner = ("%s %s & pid=$!; sleep 1; kill -INT $pid; wait $pid"):format(
      proc.quote(proc.bin), proc.quote(script))
    local r = proc.sh("sh -c " .. proc.quote(inner), {env = env_with(e.url, e.key)})
    os.remove(script)
    assert.are.equal(130, r.code)
    assert.matches("INTERRUPTED", r.stderr)
    -- at once: long before the 30 s stall ends; generous for a loaded machine
    assert.is_true(os.time() - t0 < 12, "took " .. (os.time() - t0) .. " s")
  end)

  it("is 1 for an API error the script did not handle", function()
    local r = run([[require("datagrok").connect():get_group("no-such-group")]], env_with(e.url, e.key))
    assert.are.equal(1, r.code)
    assert.matches("API_ERROR: group 'no%-such%-group' not found", r.stderr)
  end)
end)

describe("the key", function()
  it("is in no debug trace or log file of a failing request", function()
    local log = os.tmpname()
    e:fault{prefix = "/public/v1/groups/lookup", count = 10, action = "status", status = 502}
    local r = run([[local dg = require("datagrok").connect{retries = 1, max_backoff = 0.1}
      pcall(dg.get_group, dg, "no-such-group")
      dg:lookup_groups("x")]], env_with(e.url, e.key), {"--log-level", "debug", "--log-file", log})
    local text = emulator.read_file(log) or ""
    os.remove(log)
    assert.are.equal(4, r.code)
    assert.matches("GET [^\n]*/public/v1/groups/lookup%?query=x %-> 502", text)
    assert.matches("retry 1/1", text)
    assert.matches("/public/v1/groups/no%-such%-group %-> 200", text)
    for _, s in ipairs({r.stdout, r.stderr, text}) do
      assert.is_nil(s:find(e.key, 1, true))
    end
    -- and traced to stderr when there is no log file
    e:clear_faults()
    local r2 = run([[local dg = require("datagrok").connect{retries = 0}
      dg:lookup_groups("Chem")]], env_with(e.url, e.key), {"--log-level", "debug"})
    assert.are.equal(0, r2.code, r2.stderr)
    assert.matches("GET [^\n]*lookup%?query=Chem %-> 200 %d+ B", r2.stderr)
    assert.is_nil(r2.stderr:find(e.key, 1, true))
  end)

  it("is not sent over plain http:// to a non-loopback host (exit 2)", function()
    local r = run([[require("datagrok").connect():lookup_groups("x")]],
      env_with("http://example.invalid/api", "sekrit-key-123"))
    assert.are.equal(2, r.code)
    assert.matches("CONFIG", r.stderr)
    assert.matches("plain http://", r.stderr)
    assert.is_nil(r.stderr:find("sekrit-key-123", 1, true))
  end)
end)
