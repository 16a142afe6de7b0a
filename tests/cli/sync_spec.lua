-- dg:sync_dir from the outside: exit codes of real processes (5, 6, 7), kill -9 mid-sync
-- (docs/safety.md, promise 7), concurrent runs (promise 6), and compatibility with the Python
-- client's algorithm (tests/support/py_sync_dir.py) on the same folder.
local emulator = require "emulator"
local proc = require "proc"
local tree = require "synctree"

local json = emulator.json
local q = tree.quote

-- The sync script every process runs: arg = remote, dir, options as JSON.
local SCRIPT = [[
local datagrok = require "datagrok"
local json = require "datagrok.json"
local opts = json.decode(arg[3] or "{}")
local dg = datagrok.connect { retries = 0, low_speed_time = opts.low_speed_time or 2 }
opts.low_speed_time = nil
local rep = dg:sync_dir("System:DemoFiles", arg[1], arg[2], opts)
print(json.encode(rep))
]]

describe("sync_dir processes", function()
  local e, script

  local function env()
    return { DATAGROK_URL = e.url, DATAGROK_API_KEY = e.key }
  end

  local function run_sync(remote, dir, opts)
    return proc.run({ script, remote, dir, json.encode(opts or {}) }, { env = env() })
  end

  -- Starts a sync in the background; returns its pid and the file its stderr goes to.
  local function spawn_sync(remote, dir, opts)
    local err = os.tmpname()
    local cmd = ("DATAGROK_URL=%s DATAGROK_API_KEY=%s %s %s %s %s %s >/dev/null 2>%s & echo $!"):format(
      q(e.url), q(e.key), q(proc.bin), q(script), q(remote), q(dir), q(json.encode(opts or {})), q(err))
    local pid = tonumber(tree.lines(cmd)[1])
    return pid, err
  end

  local function fresh(files) return tree.fresh(e, "p", files) end

  local function wait_for(pred, seconds)
    local deadline = os.time() + seconds
    while not pred() do
      if os.time() > deadline then return false end
      emulator.sleep(0.05)
    end
    return true
  end

  setup(function()
    e = emulator.start { demo = true }
    script = proc.write_temp(SCRIPT, ".lua")
  end)
  teardown(function()
    if e then e:stop() end
    os.remove(script)
  end)
  before_each(function() e:clear_faults() end)

  it("exits 0 and prints the report; 5 on the empty-remote guard; 6 on refused names", function()
    local remote, share, dir = fresh { ["a.txt"] = "a", ["b.txt"] = "b" }
    local r = run_sync(remote, dir)
    assert.equal(0, r.code, r.stderr)
    assert.same({ "a.txt", "b.txt" }, json.decode(r.stdout).written)
    os.remove(share .. "/a.txt"); os.remove(share .. "/b.txt")
    r = run_sync(remote, dir)
    assert.equal(5, r.code, r.stderr)
    assert.matches("UNSAFE_SYNC", r.stderr)
    assert.matches("empty remote", r.stderr)
    assert.same({ "a.txt", "b.txt" }, tree.keys(tree.snapshot(dir)))
    tree.write(share .. "/c.txt", "c")
    assert.equal(200, e:http("POST", "/_emulator/sync_parts", { body = '[{"name": "../evil", "body": "x"}]' }).status)
    r = run_sync(remote, dir)
    assert.equal(6, r.code, r.stderr)
    assert.matches("PARTIAL", r.stderr)
    assert.matches("%.%./evil", r.stderr)
    assert.is_nil(tree.read(dir .. "/../evil"))
    assert.equal("c", tree.read(dir .. "/c.txt"))
  end)

  it("kill -9 mid-sync leaves every file old or complete; the rerun converges", function()
    local old = {}
    for i = 1, 40 do old[("d%d/f%02d.bin"):format(i % 3, i)] = tree.bytes("v1-" .. i, 20000) end
    local remote, share, dir = fresh(old)
    assert.equal(0, run_sync(remote, dir).code)
    local new = {}
    for rel in pairs(old) do
      new[rel] = tree.bytes("v2-" .. rel, 24000)
      tree.write(share .. "/" .. rel, new[rel])
    end
    -- the answer stalls in the middle of a part: the process is killed while it writes
    e:fault { prefix = "/public/v1/files/sync", action = "stall", after_bytes = 500000, stall_seconds = 30 }
    -- a checkpoint every 5 files: about 20 parts are complete when the answer stalls
    local pid = spawn_sync(remote, dir, { low_speed_time = 60, checkpoint_files = 5 })
    assert.is_true(wait_for(function() return #tree.temps(dir) > 0 end, 15), "no temporary file appeared")
    emulator.sleep(0.5)
    os.execute("kill -KILL " .. pid)
    assert.is_true(wait_for(function() return not emulator.alive(pid) end, 5))
    local landed = 0
    for rel, content in pairs(tree.snapshot(dir)) do
      if rel:match("%.dgsync%-") then goto continue end
      assert(content == old[rel] or content == new[rel], rel .. " is neither old nor complete")
      if content == new[rel] then landed = landed + 1 end
      ::continue::
    end
    assert.is_true(landed >= 15 and landed < 40, "landed " .. landed)
    assert.is_true(#tree.temps(dir) > 0) -- the killed run's part in progress
    e:clear_faults()
    local r = run_sync(remote, dir)
    assert.equal(0, r.code, r.stderr)
    assert.same(tree.snapshot(share), tree.snapshot(dir))
    assert.same({}, tree.temps(dir))
    local rep = json.decode(r.stdout)
    -- what landed (renamed and checkpointed) is not fetched again
    assert.equal(landed, #rep.unchanged)
    assert.equal(40 - landed, #rep.written)
    r = run_sync(remote, dir)
    assert.same({}, json.decode(r.stdout).written)
  end)

  it("Ctrl-C mid-transfer ends with INTERRUPTED and exit 130; files old or complete, metadata valid", function()
    local old = {}
    for i = 1, 30 do old[("s%d/f%02d.bin"):format(i % 2, i)] = tree.bytes("i1-" .. i, 20000) end
    local remote, share, dir = fresh(old)
    assert.equal(0, run_sync(remote, dir).code)
    local new = {}
    for rel in pairs(old) do
      new[rel] = tree.bytes("i2-" .. rel, 24000)
      tree.write(share .. "/" .. rel, new[rel])
    end
    e:fault { prefix = "/public/v1/files/sync", action = "stall", after_bytes = 400000, stall_seconds = 30 }
    local pid, errfile = spawn_sync(remote, dir, { low_speed_time = 60, checkpoint_files = 5 })
    assert.is_true(wait_for(function() return #tree.temps(dir) > 0 end, 15), "no temporary file appeared")
    emulator.sleep(0.3)
    os.execute("kill -INT " .. pid)
    assert.is_true(wait_for(function() return not emulator.alive(pid) end, 10), "SIGINT did not end the run")
    -- the exit status of a background child is not ours to wait for: the message says how it ended
    local err = tree.read(errfile)
    assert.matches("INTERRUPTED", err)
    for rel, content in pairs(tree.snapshot(dir)) do
      if rel ~= ".sync_meta.json" then
        assert(content == old[rel] or content == new[rel], rel .. " is neither old nor complete")
      end
    end
    assert.same({}, tree.temps(dir)) -- an orderly stop removes its temporary files
    local meta = json.decode(tree.read(dir .. "/.sync_meta.json"))
    assert.is_table(meta)
    e:clear_faults()
    local r = run_sync(remote, dir)
    assert.equal(0, r.code, r.stderr)
    assert.same(tree.snapshot(share), tree.snapshot(dir))
  end)

  it("Ctrl-C mid-transfer exits 130", function()
    local files = {}
    for i = 1, 10 do files["g" .. i] = tree.bytes("g" .. i, 50000) end
    local remote, _, dir = fresh(files)
    e:fault { prefix = "/public/v1/files/sync", action = "stall", after_bytes = 120000, stall_seconds = 30 }
    local inner = ("%s %s %s %s %s & p=$!; sleep 1.5; kill -INT $p; wait $p"):format(
      q(proc.bin), q(script), q(remote), q(dir), q(json.encode({ low_speed_time = 60 })))
    local r = proc.sh("sh -c " .. q(inner), { env = env() })
    e:clear_faults()
    assert.equal(130, r.code, r.stderr)
    assert.matches("INTERRUPTED", r.stderr)
    assert.not_matches(e.key, r.stderr, 1, true)
  end)

  it("a second concurrent run exits 7 at once and touches nothing", function()
    local files = {}
    for i = 1, 10 do files["f" .. i] = tree.bytes("c" .. i, 50000) end
    local remote, share, dir = fresh(files)
    e:fault { prefix = "/public/v1/files/sync", action = "stall", after_bytes = 120000, stall_seconds = 30 }
    local pid = spawn_sync(remote, dir, { low_speed_time = 60 })
    assert.is_true(wait_for(function() return #tree.temps(dir) > 0 end, 15), "the first run did not start")
    local before = tree.snapshot(dir, true)
    local t0 = os.time()
    local r = run_sync(remote, dir)
    assert.equal(7, r.code, r.stderr)
    assert.matches("LOCKED", r.stderr)
    -- at once: not after the first run (stalled 30 s); generous for a loaded machine
    assert.is_true(os.time() - t0 < 10, "took " .. (os.time() - t0) .. " s")
    assert.same(before, tree.snapshot(dir, true))
    os.execute("kill -KILL " .. pid)
    wait_for(function() return not emulator.alive(pid) end, 5)
    e:clear_faults()
    r = run_sync(remote, dir)
    assert.equal(0, r.code, r.stderr)
    assert.same(tree.snapshot(share), tree.snapshot(dir))
  end)

  -- docs/safety.md, promise 6: runs on nested targets do not remove each other's files
  it("a sync into a folder keeps the temporary files of a sync running inside it", function()
    local files = {}
    for i = 1, 6 do files["sub/f" .. i] = tree.bytes("n" .. i, 50000) end
    files["top.txt"] = "top"
    local remote, _, dir = fresh(files)
    e:fault { prefix = "/public/v1/files/sync", count = 1, action = "stall", after_bytes = 120000, stall_seconds = 30 }
    local pid = spawn_sync(remote .. "/sub", dir .. "/sub", { low_speed_time = 60 })
    assert.is_true(wait_for(function() return #tree.temps(dir .. "/sub") > 0 end, 15), "the inner run did not start")
    local inner = tree.temps(dir .. "/sub")
    local r = run_sync(remote, dir)
    assert.equal(0, r.code, r.stderr)
    for _, t in ipairs(inner) do assert.is_not_nil(tree.read(t), t .. " was removed under a running sync") end
    os.execute("kill -KILL " .. pid)
    wait_for(function() return not emulator.alive(pid) end, 5)
  end)

  describe("with the Python client's algorithm on the same folder", function()
    local python = "/usr/bin/python3"
    local peer = proc.root .. "/tests/support/py_sync_dir.py"

    local function py_sync(remote, dir, ext, recursive)
      local r = proc.sh(("%s %s %s %s %s %s %s %s %s"):format(q(python), q(peer), q(e.url),
        q("Bearer " .. e.key), "System:DemoFiles", q(remote), q(dir), q(ext or ""),
        recursive == false and "false" or "true"))
      assert.equal(0, r.code, r.stderr)
      return json.decode(r.stdout)
    end

    it("stays consistent when the two alternate, in both directions", function()
      local remote, share, dir = fresh { ["a.csv"] = "1,2\n", ["sub/b.txt"] = "bee", ["é.txt"] = "accent" }
      math.randomseed(7)
      for round = 1, 8 do
        -- server-side change: modify one, add one, delete one (never all)
        tree.write(share .. "/r" .. round .. ".txt", tree.bytes("r" .. round, round * 700))
        tree.write(share .. "/a.csv", "1,2\n" .. round .. "," .. round .. "\n")
        if round > 2 then os.remove(share .. "/r" .. (round - 2) .. ".txt") end
        if round % 2 == 1 then
          local r = run_sync(remote, dir)
          assert.equal(0, r.code, r.stderr)
          local meta_ours = tree.read(dir .. "/.sync_meta.json")
          -- Python then finds nothing to do and rewrites the same bytes
          local rep = py_sync(remote, dir)
          assert.same({}, rep.written)
          assert.same({}, rep.deleted)
          assert.equal(meta_ours, tree.read(dir .. "/.sync_meta.json"))
        else
          local rep = py_sync(remote, dir)
          assert.is_true(#rep.written >= 2)
          -- ours reads Python's metadata: nothing to transfer
          local r = run_sync(remote, dir)
          assert.equal(0, r.code, r.stderr)
          local ours = json.decode(r.stdout)
          assert.same({}, ours.written)
          assert.same({}, ours.deleted)
        end
        assert.same(tree.snapshot(share), tree.snapshot(dir), "round " .. round)
        assert.same(tree.keys(tree.snapshot(share)), tree.keys(tree.meta(dir, json)), "round " .. round)
      end
    end)

    it("agrees on ext and recursive = false", function()
      local remote, _, dir = fresh { ["a.csv"] = "1", ["b.txt"] = "2", ["s/c.csv"] = "3" }
      local mine = tree.tmpdir()
      py_sync(remote, dir, "csv", false)
      local r = proc.run({ script, remote, mine, json.encode { ext = "csv", recursive = false } }, { env = env() })
      assert.equal(0, r.code, r.stderr)
      assert.same(tree.snapshot(dir), tree.snapshot(mine))
      assert.same({ "a.csv" }, tree.keys(tree.snapshot(mine)))
    end)
  end)
end)
