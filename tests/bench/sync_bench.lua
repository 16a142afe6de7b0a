--- Benchmarks B4 and B5 (docs/benchmarks.md): sync_dir of 10,000 files (1-64 KiB)
-- against the emulator on loopback, side by side with the peer (Python + requests +
-- requests_toolbelt doing the DatagrokClient's algorithm: tests/support/py_sync_dir.py).
--
--   B4: first sync into an empty directory   target: time <= 0.5 x peer, peak RSS <= 64 MiB
--   B5: no-op re-sync of the same files      target: time <= 0.5 x peer
--
-- Run by hand from the source tree (not part of the test suite):
--   lua5.4 tests/bench/sync_bench.lua [build/datagrok] [runs=3] [files=10000]
-- Each scenario runs `runs` times, alternating the two clients; medians and ratios are
-- printed. Wall time and peak RSS come from /usr/bin/time. `sync` runs (untimed) before
-- every measurement.
package.path = "tests/support/?.lua;" .. package.path
local emulator = require "emulator"
local tree = require "synctree"

local bin = arg[1] or "build/datagrok"
local runs = tonumber(arg[2]) or 3
local nfiles = tonumber(arg[3]) or 10000
local python = "/usr/bin/python3"
local peer = "tests/support/py_sync_dir.py"
local q = tree.quote

local OURS = [[
local dg = require("datagrok").connect{}
local rep = dg:sync_dir("System:DemoFiles", arg[1], arg[2])
io.stderr:write(("written %d unchanged %d bytes %d\n"):format(#rep.written, #rep.unchanged, rep.bytes))
]]

--- Runs a shell command under /usr/bin/time; returns seconds, peak RSS in MiB.
local function measure(cmd)
  -- start every measurement from a quiet disk: the peer leaves its writes dirty in the
  -- page cache (it never syncs), and datagrok's checkpoints (syncfs) would pay for them
  os.execute("sync")
  local tf = os.tmpname()
  local ok = os.execute(("/usr/bin/time -f '%%e %%M' -o %s sh -c %s >/dev/null 2>%s.err"):format(
    q(tf), q(cmd), q(tf)))
  local out = tree.read(tf) or ""
  local secs, kb = out:match("([%d.]+) (%d+)%s*$")
  if not ok or not secs then
    error("benchmark command failed: " .. cmd .. "\n" .. out .. (tree.read(tf .. ".err") or ""))
  end
  os.remove(tf); os.remove(tf .. ".err")
  return tonumber(secs), tonumber(kb) / 1024
end

local function median(t)
  local s = {}
  for i, v in ipairs(t) do s[i] = v end
  table.sort(s)
  local n = #s
  return n % 2 == 1 and s[(n + 1) / 2] or (s[n / 2] + s[n / 2 + 1]) / 2
end

-- the data: deterministic sizes 1..64 KiB, cheap pseudo-random content
local e = emulator.start { bin = bin, demo = true }
local ok, err = pcall(function()
  local share = tree.share(e, "bench")
  io.stderr:write(("generating %d files...\n"):format(nfiles))
  local total, seed = 0, 12345
  local block = tree.bytes("block", 65536)
  for i = 1, nfiles do
    seed = (seed * 1103515245 + 12345) % 2147483648
    local size = 1024 + seed % (64 * 1024 - 1024 + 1)
    local off = seed % 4096
    local data = (block .. block):sub(off + 1, off + size)
    local path = ("%s/d%02d/f%05d.bin"):format(share, i % 50, i)
    if i <= 50 then os.execute("mkdir -p " .. q(share .. ("/d%02d"):format(i % 50))) end
    local f = assert(io.open(path, "wb"))
    f:write(data)
    f:close()
    total = total + size
  end
  io.stderr:write(("%d files, %.1f MiB\n"):format(nfiles, total / 1048576))
  local script = os.tmpname() .. ".lua"
  tree.write(script, OURS)
  local env = ("DATAGROK_URL=%s DATAGROK_API_KEY=%s "):format(q(e.url), q(e.key))
  local res = { ours4 = {}, peer4 = {}, ours5 = {}, peer5 = {}, mem_ours = {}, mem_peer = {} }
  for r = 1, runs do
    local d1, d2 = tree.tmpdir(), tree.tmpdir()
    local ours = env .. q(bin) .. " " .. q(script) .. " /bench " .. q(d1 .. "/x")
    local theirs = ("%s %s %s %s System:DemoFiles /bench %s"):format(q(python), q(peer), q(e.url),
      q("Bearer " .. e.key), q(d2 .. "/x"))
    local t, m = measure(ours)
    res.ours4[r], res.mem_ours[r] = t, m
    t, m = measure(theirs)
    res.peer4[r], res.mem_peer[r] = t, m
    res.ours5[r] = measure(ours)
    res.peer5[r] = measure(theirs)
    io.stderr:write(("run %d: B4 %.2fs vs %.2fs, B5 %.2fs vs %.2fs\n"):format(r, res.ours4[r],
      res.peer4[r], res.ours5[r], res.peer5[r]))
    tree.rm(d1); tree.rm(d2)
  end
  os.remove(script)
  local b4, p4 = median(res.ours4), median(res.peer4)
  local b5, p5 = median(res.ours5), median(res.peer5)
  local m4, pm4 = median(res.mem_ours), median(res.mem_peer)
  print(("B4 first sync of %d files (%.0f MiB): datagrok %.2f s, peer %.2f s, ratio %.2f (target <= 0.5)")
    :format(nfiles, total / 1048576, b4, p4, b4 / p4))
  print(("B4 peak RSS: datagrok %.1f MiB, peer %.1f MiB (target <= 64 MiB)"):format(m4, pm4))
  print(("B5 no-op re-sync: datagrok %.2f s, peer %.2f s, ratio %.2f (target <= 0.5)")
    :format(b5, p5, b5 / p5))
end)
e:stop()
if not ok then error(err, 0) end
