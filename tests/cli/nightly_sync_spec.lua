-- scripts/nightly-sync.lua against the emulator: the happy path, a dry run, a
-- second (idempotent) run, injected failures with their exit codes, several jobs
-- from a config file, usage errors, and cron-like conditions with a profile.
local emulator = require "emulator"
local tree = require "synctree"
local wf = require "workflow"

local e, home

local function fresh(files) return tree.fresh(e, "ns", files) end

local function sync(args) return wf.cron(home, "nightly-sync.lua", args) end

local FILES = {["a.csv"] = "x\n1\n", ["b.csv"] = "y\n2\n", ["sub/c.csv"] = "z\n3\n", ["d.txt"] = "txt"}

setup(function()
  e = emulator.start{demo = true, faults = true}
  home = wf.home(e)
end)
teardown(function()
  if e then e:stop() end
  tree.rm(home)
end)
before_each(function() e:clear_faults() end)

describe("nightly-sync", function()
  it("mirrors a folder and prints one summary line; a second run changes nothing", function()
    local remote, _, dir = fresh(FILES)
    local r = sync({"--connector", "System:DemoFiles", "--remote", remote, "--dir", dir})
    assert.are.equal(0, r.code, r.stderr)
    local lines = wf.lines(r.stdout)
    assert.are.equal("nightly-sync: 1 job", lines[1])
    assert.are.equal(("  %s: System:DemoFiles%s -> %s (max-delete 50%%)"):format(dir, remote, dir), lines[2])
    assert.matches("^" .. dir:gsub("%p", "%%%0") .. ": written=4 deleted=0 unchanged=0 failed=0 "
      .. "bytes=15 seconds=%d+%.%d%d$", lines[3])
    assert.are.equal("nightly-sync: 1 of 1 applied, 0 failed", lines[4])
    assert.are.equal("", r.stderr)
    assert.are.same(FILES, tree.snapshot(dir))
    r = sync({"--connector", "System:DemoFiles", "--remote", remote, "--dir", dir})
    assert.are.equal(0, r.code, r.stderr)
    assert.matches(": written=0 deleted=0 unchanged=4 failed=0 bytes=0 ", r.stdout)
  end)

  it("filters by --ext", function()
    local remote, _, dir = fresh(FILES)
    local r = sync({"--connector", "System:DemoFiles", "--remote", remote, "--dir", dir, "--ext", "txt"})
    assert.are.equal(0, r.code, r.stderr)
    assert.are.same({["d.txt"] = "txt"}, tree.snapshot(dir))
  end)

  it("a dry run asks the server and writes nothing", function()
    local remote, _, dir = fresh(FILES)
    local r = sync({"--connector", "System:DemoFiles", "--remote", remote, "--dir", dir, "--dry-run"})
    assert.are.equal(0, r.code, r.stderr)
    assert.matches("nightly%-sync: 1 job %(dry run%)", r.stdout)
    assert.matches(": written=4 deleted=0 unchanged=0 failed=0 bytes=%d+ seconds=[%d.]+ dry_run=true\n", r.stdout)
    assert.matches("nightly%-sync: dry run, 1 of 1 ran, 0 failed\n$", r.stdout)
    assert.is_nil(io.open(dir))
  end)

  it("stops (exit 5) rather than delete more than the cap, and changes nothing", function()
    local remote, share, dir = fresh(FILES)
    assert.are.equal(0, sync({"--connector", "System:DemoFiles", "--remote", remote, "--dir", dir}).code)
    for _, rel in ipairs({"a.csv", "b.csv", "sub/c.csv"}) do os.remove(share .. "/" .. rel) end
    local dry = sync({"--connector", "System:DemoFiles", "--remote", remote, "--dir", dir, "--dry-run"})
    assert.are.equal(0, dry.code, dry.stderr)
    assert.matches("deleted=3 .- would_stop=\"", dry.stdout)
    local r = sync({"--connector", "System:DemoFiles", "--remote", remote, "--dir", dir})
    assert.are.equal(5, r.code, r.stdout .. r.stderr)
    assert.matches(": written=0 deleted=0 .- error=UNSAFE_SYNC\n", r.stdout)
    assert.matches("FAILED [^\n]*: UNSAFE_SYNC: ", r.stdout)
    assert.are.same(FILES, tree.snapshot(dir))
    -- a higher cap lets it through
    r = sync({"--connector", "System:DemoFiles", "--remote", remote, "--dir", dir, "--max-delete", "3"})
    assert.are.equal(0, r.code, r.stdout .. r.stderr)
    assert.are.same({["d.txt"] = "txt"}, tree.snapshot(dir))
  end)

  it("exits 4 when the server keeps failing, and 3 when the key is refused", function()
    local remote, _, dir = fresh(FILES)
    e:fault{prefix = "/public/v1/files/sync", count = 20, action = "status", status = 503}
    local r = wf.cron(home, "nightly-sync.lua", {"--connector", "System:DemoFiles", "--remote", remote,
      "--dir", dir}, {DATAGROK_LOG_LEVEL = "error"})
    e:clear_faults()
    assert.are.equal(4, r.code, r.stdout .. r.stderr)
    assert.matches("FAILED .-HTTP_503", r.stdout)
    local bad = tree.tmpdir()
    os.execute("mkdir -p " .. tree.quote(bad .. "/.grok"))
    tree.write(bad .. "/.grok/config.yaml", ("servers:\n  emu:\n    url: %s\n    key: nope-1234\ndefault: emu\n"):format(e.url))
    os.execute("chmod 600 " .. tree.quote(bad .. "/.grok/config.yaml"))
    r = wf.cron(bad, "nightly-sync.lua", {"--connector", "System:DemoFiles", "--remote", remote, "--dir", dir})
    tree.rm(bad)
    assert.are.equal(3, r.code)
    assert.matches("^nightly%-sync%.lua: HTTP_401: [^\n]*\n$", r.stderr)
    assert.is_nil(r.stderr:find("nope-1234", 1, true))
  end)

  it("runs several jobs from a config file, goes on past a failing one, exits with the worst code", function()
    local r1, share1, d1 = fresh(FILES)
    local r2, _, d2 = fresh({["only.csv"] = "o\n1\n"})
    local r3, _, d3 = fresh({["z.csv"] = "z\n"})
    assert.are.equal(0, sync({"--connector", "System:DemoFiles", "--remote", r1, "--dir", d1}).code)
    for _, rel in ipairs({"a.csv", "b.csv", "sub/c.csv"}) do os.remove(share1 .. "/" .. rel) end
    local conf = tree.tmpdir() .. "/jobs.lua"
    tree.write(conf, ([[return {
      max_delete = "50%%",
      jobs = {
        {name = "one", connector = "System:DemoFiles", remote = %q, dir = %q},
        {name = "two", connector = "System:DemoFiles", remote = %q, dir = %q},
        {name = "three", connector = "System:DemoFiles", remote = %q, dir = %q, ext = "csv"},
      },
    }]]):format(r1, d1, r2, d2, r3, d3))
    local r = sync({"--config", conf})
    assert.are.equal(5, r.code, r.stdout .. r.stderr)
    local out = r.stdout
    assert.matches("nightly%-sync: 3 jobs\n", out)
    assert.matches("\none: written=0 deleted=0 [^\n]*error=UNSAFE_SYNC\n", out)
    assert.matches("\ntwo: written=1 deleted=0 unchanged=0 failed=0 ", out)
    assert.matches("\nthree: written=1 ", out)
    assert.matches("nightly%-sync: 2 of 3 applied, 1 failed\n$", out)
    assert.are.same({["only.csv"] = "o\n1\n"}, tree.snapshot(d2))
    -- a second run: the two good jobs change nothing
    r = sync({"--config", conf, "--max-delete", "100%"})
    assert.are.equal(0, r.code, r.stdout .. r.stderr)
    assert.matches("\ntwo: written=0 deleted=0 unchanged=1 ", r.stdout)
    assert.matches("\none: written=0 deleted=3 ", r.stdout)
  end)

  it("exits 7 while another run holds the directory", function()
    local remote, _, dir = fresh(FILES)
    os.execute("mkdir -p " .. tree.quote(dir))
    -- one process holds the lock: a shell that locks the directory, then becomes `sleep`
    local pid = tonumber(tree.lines("sh -c 'exec 9<\"$0\" && flock 9 && exec sleep 60' "
      .. tree.quote(dir) .. " >/dev/null 2>&1 & echo $!")[1])
    local deadline = os.time() + 10
    while os.execute("flock -n " .. tree.quote(dir) .. " true") == true do -- until it holds the lock
      assert(os.time() < deadline, "flock did not take the lock")
      emulator.sleep(0.05)
    end
    local r = sync({"--connector", "System:DemoFiles", "--remote", remote, "--dir", dir})
    os.execute("kill " .. pid .. " 2>/dev/null")
    assert.are.equal(7, r.code, r.stdout .. r.stderr)
    assert.matches("FAILED .-LOCKED", r.stdout)
  end)

  it("rejects bad usage and bad config files with one line and exit 2", function()
    local r = sync({"--connector", "System:DemoFiles"})
    assert.are.equal(2, r.code)
    assert.are.equal("nightly-sync: --remote, --dir are required (or --config FILE) (see nightly-sync --help)\n",
      r.stderr)
    r = sync({"--connector", "C", "--remote", "/", "--dir", "/tmp/x", "--max-delete", "lots"})
    assert.are.equal(2, r.code)
    assert.matches("^nightly%-sync: %-%-max%-delete: expected a count or a percent", r.stderr)
    local conf = tree.tmpdir() .. "/jobs.lua"
    tree.write(conf, [[return {jobs = {{connector = "C", remote = "/", dir = "/tmp/x", maxdelete = 3}}}]])
    r = sync({"--config", conf})
    assert.are.equal(2, r.code)
    assert.matches("CONFIG: .-jobs%.lua: jobs%[1%]: unknown field 'maxdelete'", r.stderr)
    tree.write(conf, [[return {jobs = {{connector = "C", remote = "/", dir = "/tmp/x"}}, os.exit(9)}]])
    r = sync({"--config", conf})
    assert.are.equal(2, r.code)
    assert.matches("CONFIG: .-jobs%.lua failed: .-attempt to index a nil value %(global 'os'%)", r.stderr)
    r = wf.cron(home, "nightly-sync.lua", {"--help"})
    assert.are.equal(0, r.code)
    assert.matches("^usage: nightly%-sync %[options%]", r.stdout)
    assert.matches("Exit codes:", r.stdout)
  end)

  it("never shows the key, even when tracing", function()
    local remote, _, dir = fresh(FILES)
    local log = tree.tmpdir() .. "/sync.log"
    local r = sync({"--connector", "System:DemoFiles", "--remote", remote, "--dir", dir,
      "--log-level", "debug", "--log-file", log})
    assert.are.equal(0, r.code, r.stderr)
    local text = tree.read(log)
    assert.matches("info  nightly%-sync: job done bytes=15 deleted=0 failed=0 job=", text)
    assert.matches("/users/login/dev/%*%*%*", text)
    for _, s in ipairs({r.stdout, r.stderr, text}) do assert.is_nil(s:find(e.key, 1, true)) end
    assert.are.equal("600", tree.lines("stat -c %a " .. tree.quote(log))[1])
  end)
end)
