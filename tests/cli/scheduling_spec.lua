-- The scheduling files of scripts/: the crontab line and the systemd service and
-- timer for nightly-sync. The units pass `systemd-analyze verify` (where it is
-- installed); the crontab line and the service's ExecStart, with their install paths
-- pointed at this build, run as cron and systemd would start them (env -i, no
-- terminal, stdin closed, working directory /) against the emulator, with the key
-- only in a profiles file.
local emulator = require "emulator"
local proc = require "proc"
local tree = require "synctree"
local wf = require "workflow"

local q = proc.quote
local e, home, share, target

local function read(path) return emulator.read_file(path) end

--- The file's text with the install paths replaced by this build's.
local function localized(text)
  local bin, script = wf.installed_bin(), wf.script("nightly-sync.lua")
  return (text:gsub("/usr/local/bin/datagrok", bin):gsub("/usr/local/share/datagrok/nightly%-sync%.lua", script))
end

local function jobs_file(path)
  tree.write(path, ([[return {jobs = {
    {name = "demo", connector = "System:DemoFiles", remote = "/sched", dir = %q},
  }}]]):format(target))
end

local function no_key(...)
  for _, s in ipairs({...}) do assert.is_nil(s:find(e.key, 1, true)) end
end

setup(function()
  e = emulator.start{demo = true}
  home = wf.home(e)
  share = tree.share(e, "sched")
  tree.write(share .. "/a.csv", "a\n1\n")
  tree.write(share .. "/b/c.csv", "c\n2\n")
  target = tree.tmpdir() .. "/mirror"
end)
teardown(function()
  if e then e:stop() end
  tree.rm(home)
end)

describe("the crontab line", function()
  it("runs as cron runs it: summary and log in files, no key, exit 0", function()
    local text = read(wf.script("cron/nightly-sync.crontab"))
    local line
    for l in text:gmatch("[^\n]+") do if not l:match("^%s*#") and l:match("%S") then line = l end end
    local minute, hour, dom, mon, dow, command = line:match("^(%S+)%s+(%S+)%s+(%S+)%s+(%S+)%s+(%S+)%s+(.+)$")
    assert.are.same({"15", "2", "*", "*", "*"}, {minute, hour, dom, mon, dow})
    assert.is_nil(command:find("%", 1, true)) -- cron would turn it into a newline
    assert.is_nil(command:lower():find("key", 1, true))
    os.execute("mkdir -p " .. q(home .. "/.config/datagrok"))
    jobs_file(home .. "/.config/datagrok/nightly-sync.lua")
    local cmd = ("cd / && exec setsid -w env -i HOME=%s PATH=/usr/bin:/bin SHELL=/bin/sh /bin/sh -c %s 0<&-")
      :format(q(home), q(localized(command)))
    local r = proc.sh("sh -c " .. q(cmd))
    assert.are.equal(0, r.code, r.stdout .. r.stderr)
    assert.are.same("", r.stdout .. r.stderr)
    local out = read(home .. "/nightly-sync.out")
    assert.matches("\ndemo: written=2 deleted=0 unchanged=0 failed=0 ", out)
    assert.matches("nightly%-sync: 1 of 1 applied, 0 failed\n$", out)
    local log = read(home .. "/nightly-sync.log")
    assert.matches("info  nightly%-sync: job done ", log)
    assert.are.equal("600", tree.lines("stat -c %a " .. q(home .. "/nightly-sync.log"))[1])
    assert.are.same({["a.csv"] = "a\n1\n", ["b/c.csv"] = "c\n2\n"}, tree.snapshot(target))
    no_key(out, log)
    -- the next night: nothing to fetch
    r = proc.sh("sh -c " .. q(cmd))
    assert.are.equal(0, r.code)
    assert.matches("\ndemo: written=0 deleted=0 unchanged=2 ", read(home .. "/nightly-sync.out"))
  end)
end)

describe("the systemd units", function()
  local unit_dir

  setup(function()
    unit_dir = tree.tmpdir()
    for _, name in ipairs({"datagrok-nightly-sync.service", "datagrok-nightly-sync.timer"}) do
      tree.write(unit_dir .. "/" .. name, localized(read(wf.script("systemd/" .. name))))
    end
  end)
  teardown(function() tree.rm(unit_dir) end)

  it("pass systemd-analyze verify", function()
    if os.execute("command -v systemd-analyze >/dev/null 2>&1") ~= true then
      pending("systemd-analyze is not installed")
      return
    end
    local r = proc.sh(("cd %s && systemd-analyze verify ./datagrok-nightly-sync.service "
      .. "./datagrok-nightly-sync.timer"):format(q(unit_dir)))
    assert.are.equal(0, r.code, r.stdout .. r.stderr)
    -- the timer's schedule parses and is nightly
    r = proc.sh("systemd-analyze calendar '*-*-* 02:15:00'")
    assert.are.equal(0, r.code, r.stderr)
    assert.matches("Normalized form: %*%-%*%-%* 02:15:00", r.stdout)
  end)

  it("keep the key off the command line, and the service's ExecStart works as started", function()
    local unit = read(unit_dir .. "/datagrok-nightly-sync.service")
    local exec = unit:match("\nExecStart=([^\n]+)")
    assert.is_nil(exec:lower():find("key", 1, true))
    assert.matches("\nLoadCredential=grok%-config%.yaml:/etc/datagrok/grok%-config%.yaml\n", unit)
    assert.matches("OnCalendar=%*%-%*%-%* 02:15:00", read(unit_dir .. "/datagrok-nightly-sync.timer"))
    -- what systemd does: the credential in a directory of its own (%d), HOME from
    -- Environment=, the state directory, no terminal, stdin closed
    local creds, state = tree.tmpdir(), tree.tmpdir()
    tree.write(creds .. "/grok-config.yaml", wf.grok_config(e))
    os.execute("chmod 400 " .. q(creds .. "/grok-config.yaml"))
    local jobs = tree.tmpdir() .. "/nightly-sync.lua"
    jobs_file(jobs)
    tree.rm(target)
    exec = exec:gsub("%%d", creds):gsub("/etc/datagrok/nightly%-sync%.lua", jobs)
      :gsub("/var/lib/datagrok", state)
    local r = proc.sh("sh -c " .. q(("cd / && exec setsid -w env -i HOME=%s PATH=/usr/bin:/bin %s 0<&-")
      :format(q(state), exec)))
    assert.are.equal(0, r.code, r.stdout .. r.stderr)
    assert.matches("\ndemo: written=2 deleted=0 ", r.stdout)
    assert.are.equal("", r.stderr)
    assert.matches("info  nightly%-sync: job done ", read(state .. "/nightly-sync.log"))
    no_key(r.stdout, r.stderr, read(state .. "/nightly-sync.log"))
    tree.rm(creds)
    tree.rm(state)
  end)
end)
