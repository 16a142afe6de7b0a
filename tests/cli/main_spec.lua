-- datagrok.main and datagrok.cli from the outside: exit codes, one line on standard
-- error, a traceback only for bugs, --help and usage errors.
local proc = require "proc"
local emulator = require "emulator"

local function run(script, args, env)
  local path = proc.write_temp(script, ".lua")
  local argv = {path}
  for _, a in ipairs(args or {}) do argv[#argv + 1] = a end
  local r = proc.run(argv, {env = env})
  r.name = path:match("([^/]+)$")
  os.remove(path)
  return r
end

describe("datagrok.main", function()
  it("maps a raised datagrok.Error to its exit code with one line, no traceback", function()
    for _, c in ipairs({{"CONFIG", 2}, {"USAGE", 2}, {"AMBIGUOUS", 2}, {"TIMEOUT", 4},
                        {"UNSAFE_SYNC", 5}, {"PARTIAL", 6}, {"LOCKED", 7}, {"INTERRUPTED", 130}}) do
      local r = run(([[local datagrok = require "datagrok"
        datagrok.main(function() error(datagrok.Error.new(%q, "it failed")) end)]]):format(c[1]))
      assert.are.equal(c[2], r.code, c[1])
      assert.are.equal(r.name .. ": " .. c[1] .. ": it failed\n", r.stderr)
    end
  end)

  it("keeps the code of an error the script caught and returned", function()
    local r = run([[local datagrok = require "datagrok"
      datagrok.main(function()
        local ok, err = pcall(error, datagrok.Error.new("LOCKED", "another run holds it"))
        print("cleaning up")
        return err
      end)]])
    assert.are.equal(7, r.code)
    assert.are.equal("cleaning up\n", r.stdout)
    assert.are.equal(r.name .. ": LOCKED: another run holds it\n", r.stderr)
  end)

  it("prints a traceback for bugs and exits 1", function()
    local r = run([[require("datagrok").main(function()
        local function inner() local t = nil; return t.x end
        inner()
      end)]])
    assert.are.equal(1, r.code)
    assert.matches("^" .. r.name:gsub("%p", "%%%0") .. ": [^\n]*attempt to index a nil value", r.stderr)
    assert.matches("stack traceback:", r.stderr)
    assert.matches("in local 'inner'", r.stderr)
    r = run([[local datagrok = require "datagrok"
      datagrok.main(function() error(datagrok.Error.new("IO", "disk gone")) end)]])
    assert.are.equal(1, r.code)
    assert.matches("IO: disk gone\nstack traceback:", r.stderr)
  end)

  it("exits with an integer the body returns, and 0 otherwise", function()
    local r = run([[require("datagrok").main(function(a, b) print(a, b) return 6 end, ...)]], {"x", "y"})
    assert.are.equal(6, r.code)
    assert.are.equal("x\ty\n", r.stdout)
    r = run([[require("datagrok").main(function() print("ok") end) print("after")]])
    assert.are.same({0, "ok\nafter\n", ""}, {r.code, r.stdout, r.stderr})
  end)

  it("writes the failure to the log file too", function()
    local log = os.tmpname()
    local r = run(([[local datagrok = require "datagrok"
      datagrok.log.set_file(%q)
      datagrok.main(function() error(datagrok.Error.new("PARTIAL", "2 of 3")) end)]]):format(log))
    assert.are.equal(6, r.code)
    assert.matches("error main: PARTIAL: 2 of 3 exit=6\n$", emulator.read_file(log))
    os.remove(log)
  end)

  it("turns a refused key into exit 3 in one line without the key", function()
    local e = emulator.start{demo = true}
    local r = run([[local datagrok = require "datagrok"
      datagrok.main(function() datagrok.connect():get_current_user_group() end)]], nil,
      {DATAGROK_URL = e.url, DATAGROK_API_KEY = "wrong-key-77"})
    e:stop()
    assert.are.equal(3, r.code)
    assert.matches("^[^\n]*HTTP_401[^\n]*\n$", r.stderr)
    assert.is_nil(r.stderr:find("wrong-key-77", 1, true))
  end)
end)

-- docs/safety.md, promise 14: datagrok.main prints through the same scrub as everything else
describe("datagrok.main's report", function()
  it("shows a bug's message without a key a client used, nor a terminal escape", function()
    local r = run([[local datagrok = require "datagrok"
      pcall(datagrok.new, "Bearer Zq81kEyKeYmm", "http://127.0.0.1:9")
      datagrok.main(function() error("echo Zq81kEyKeYmm \27]0;title\7 done") end)]])
    assert.are.equal(1, r.code)
    assert.is_nil(r.stderr:find("Zq81kEyKeYmm", 1, true), r.stderr)
    assert.is_nil(r.stderr:find("\27", 1, true), r.stderr)
    assert.truthy(r.stderr:find("echo *** \\x1b]0;title\\x07 done", 1, true), r.stderr)
  end)
end)

describe("datagrok.cli from a script", function()
  local SCRIPT = [[local datagrok = require "datagrok"
    local cli = datagrok.cli{name = "tool", summary = "Test tool.",
      options = {{"count", type = "integer", required = true, help = "how many"}}, common = true}
    datagrok.main(function(...)
      local opts = cli:parse({...})
      print("count", opts.count, datagrok.log.level())
    end, ...)]]

  it("prints the help and exits 0", function()
    local r = run(SCRIPT, {"--help"})
    assert.are.equal(0, r.code)
    assert.matches("^usage: tool %-%-count COUNT %[options%]\n\nTest tool%.\n", r.stdout)
    assert.are.equal("", r.stderr)
  end)

  it("exits 2 with one line for a usage error", function()
    local r = run(SCRIPT, {"--count", "x"})
    assert.are.equal(2, r.code)
    assert.are.equal("tool: --count: expected an integer, got 'x' (see tool --help)\n", r.stderr)
    r = run(SCRIPT, {})
    assert.are.equal(2, r.code)
    assert.are.equal("tool: --count is required (see tool --help)\n", r.stderr)
  end)

  it("applies the common options", function()
    local r = run(SCRIPT, {"--count", "3", "--log-level", "debug"})
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal("count\t3\tdebug\n", r.stdout)
    r = run(SCRIPT, {"--count", "3", "--log-file", "/nonexistent/dir/x.log"})
    assert.are.equal(2, r.code)
    assert.matches("^tool: %-%-log%-file: .*No such file or directory %(see tool %-%-help%)\n$", r.stderr)
  end)
end)

describe("the log state", function()
  it("is freed when the state closes, whatever the exit path (no leak under ASan)", function()
    local log = os.tmpname()
    for _, tail in ipairs({"", "os.exit(3, true)"}) do
      local r = run(([[local log = require "datagrok.log"
        assert(log.set_file(%q)); log.warn("t", "line", {n = 1}); %s]]):format(log, tail))
      assert.are.equal(tail == "" and 0 or 3, r.code, r.stderr)
      assert.are.equal("", r.stderr)
    end
    local text = emulator.read_file(log)
    os.remove(log)
    assert.are.equal(2, select(2, text:gsub("warn  t: line n=1\n", "")))
  end)
end)
