-- `datagrok --emulate script.lua`: an in-process emulator with demo content for the run
-- of the script, found through DATAGROK_URL / DATAGROK_API_KEY, gone afterwards.
local emulator = require "emulator"
local q = emulator.shell_quote
local BIN = assert(os.getenv("DATAGROK_BIN"), "DATAGROK_BIN must be set")

local run = emulator.run

local FETCH = [[
local url, key = os.getenv("DATAGROK_URL"), os.getenv("DATAGROK_API_KEY")
assert(url and key, "DATAGROK_URL/DATAGROK_API_KEY not set")
local function get(path)
  local p = io.popen(("curl -s -H 'Authorization: Bearer %s' '%s%s'"):format(key, url, path))
  local body = p:read("a")
  p:close()
  return body
end
print("URL " .. url)
print("HEAD " .. get("/public/v1/tables/demog"):match("^[^\n]*"))
print("FILE " .. get("/public/v1/files/System.DemoFiles/demog.csv"):match("^[^\n]*"))
print("ARGS " .. table.concat(arg, ","))
]]

describe("datagrok --emulate", function()
  local dir
  before_each(function() dir = emulator.tmpdir() end)
  after_each(function() os.execute("rm -rf " .. q(dir)) end)

  it("serves the demo content to the script and stops afterwards", function()
    local script = dir .. "/fetch.lua"
    emulator.write_file(script, FETCH)
    local tmp = dir .. "/tmp"
    os.execute("mkdir " .. q(tmp))
    local code, out, err = run(("TMPDIR=%s DATAGROK_URL=http://example.invalid %s --emulate %s a b"):format(
      q(tmp), q(BIN), q(script)))
    assert.equal(0, code, err)
    local url = out:match("URL (%S+)")
    assert.matches("^http://127%.0%.0%.1:%d+$", url)
    assert.matches("HEAD subject,age,sex,race,height,weight\n", out, 1, true)
    assert.matches("FILE subject,age,sex,race,height,weight\n", out, 1, true)
    assert.matches("ARGS a,b\n", out, 1, true)
    -- the emulator is gone, and so is its temporary data dir
    local rc = run("curl -s -o /dev/null --max-time 2 " .. q(url .. "/info/server"))
    assert.equal(7, rc)
    local _, left = run("ls -A " .. q(tmp))
    assert.equal("", left)
  end)

  it("stops the emulator when the script fails, keeping the script's exit code", function()
    local script = dir .. "/fail.lua"
    emulator.write_file(script, 'print(os.getenv("DATAGROK_URL")) error("boom")')
    local code, out, err = run(("%s --emulate %s"):format(q(BIN), q(script)))
    assert.equal(1, code)
    assert.matches("boom", err)
    local url = out:match("^(%S+)")
    assert.equal(7, (run("curl -s -o /dev/null --max-time 2 " .. q(url .. "/info/server"))))
  end)

  it("stops the emulator and removes its data dir when the script calls os.exit", function()
    local script = dir .. "/exit.lua"
    emulator.write_file(script, 'print(os.getenv("DATAGROK_URL")) os.exit(3)')
    local tmp = dir .. "/tmp"
    os.execute("mkdir " .. q(tmp))
    local code, out = run(("TMPDIR=%s %s --emulate %s"):format(q(tmp), q(BIN), q(script)))
    assert.equal(3, code)
    local url = out:match("^(%S+)")
    assert.equal(7, (run("curl -s -o /dev/null --max-time 2 " .. q(url .. "/info/server"))))
    local _, left = run("ls -A " .. q(tmp))
    assert.equal("", left)
  end)

  it("works with -e and is listed in --help", function()
    local code, out = run(("%s --emulate -e %s"):format(q(BIN),
      q('local p = io.popen("curl -s " .. os.getenv("DATAGROK_URL") .. "/info/server") print(p:read("a"))')))
    assert.equal(0, code)
    assert.matches('"Version"', out, 1, true)
    local _, help = run(q(BIN) .. " --help")
    assert.matches("--emulate", help, 1, true)
  end)

  it("does not put the key on the command line of any process", function()
    local script = dir .. "/ps.lua"
    emulator.write_file(script, [[
      local key = os.getenv("DATAGROK_API_KEY")
      local p = io.popen("cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '")
      local all = p:read("a")
      p:close()
      print(all:find(key, 1, true) and "LEAK" or "CLEAN")
    ]])
    local code, out = run(("%s --emulate %s"):format(q(BIN), q(script)))
    assert.equal(0, code)
    assert.equal("CLEAN\n", out)
  end)
end)
