--- Benchmarks B1, B2, B3, B6, B7 (docs/benchmarks.md) against the emulator on
-- loopback, side by side with the peer (Python + requests + pandas doing what the
-- DatagrokClient does: tests/bench/py_tables_peer.py) and curl.
--
--   B1 download_table of a 1,000,000-row, 6-column typed table (~50 MB of CSV)
--      targets: time <= 0.12 x peer, peak memory <= 0.35 x peer (and no more than the
--      serial parser's), time <= 3 x curl
--   B2 upload_table of the same DataFrame           target: time <= 0.12 x peer
--   B3 download_file of a 1 GiB binary to disk      targets: peak memory <= 32 MiB,
--      time <= 1.5 x curl -o FILE
--   B6 1,000 sequential get_group calls             target: time <= 0.25 x peer
--   B7 cold start, datagrok -e ''                   targets: <= 3 x lua5.4 -e '' (wall and CPU),
--      <= 0.05 x python3 -c 'import requests, pandas'
--
-- Run by hand from the source tree (not part of the test suite):
--   lua5.4 tests/bench/tables_bench.lua [build/datagrok] [runs=3] [rows=1000000]
-- With BENCH_BASELINE=path/to/an/older/datagrok, B1, B2 and B7 also run that binary as the
-- side "baseline", so a change is measured against the build before it in the same run.
-- BENCH_ONLY=B1,B2 runs only the scenarios named.
-- Every figure is a whole process (wall time and peak RSS from /usr/bin/time), so
-- start-up is included; the start-up of each side is also printed (B7) so the
-- operation alone can be judged. Each scenario runs `runs` times, alternating sides;
-- medians and ratios are printed.
package.path = "tests/support/?.lua;" .. package.path
local emulator = require "emulator"
local q = emulator.shell_quote

local bin = arg[1] or "build/datagrok"
local runs = tonumber(arg[2]) or 3
local rows = tonumber(arg[3]) or 1000000
local python = "/usr/bin/python3"
local peer = "tests/bench/py_tables_peer.py"
local baseline = os.getenv("BENCH_BASELINE")
if baseline == "" then baseline = nil end
-- BENCH_ONLY="B1,B7" runs just those scenarios
local only = os.getenv("BENCH_ONLY")
local function wanted(id) return not only or only == "" or (("," .. only .. ","):find("," .. id .. ",", 1, true)) ~= nil end

--- Runs cmd (`reps` times in a row, default 1) timed by the nanosecond clock, with
-- /usr/bin/time for the peak RSS: seconds per run, MiB. Raises when it fails.
local function timed(cmd, reps)
  reps = reps or 1
  local tf = os.tmpname()
  local script = ("s=$(date +%%s%%N); i=0; while [ $i -lt %d ]; do /usr/bin/time -f %%M -o %s sh -c %s "
    .. ">/dev/null 2>%s.err || exit 1; i=$((i+1)); done; e=$(date +%%s%%N); echo $((e - s)) >%s.ns"):format(
    reps, q(tf), q(cmd), q(tf), q(tf))
  local ok = os.execute("sh -c " .. q(script))
  local kb = tonumber((emulator.read_file(tf) or ""):match("(%d+)%s*$"))
  local ns = tonumber((emulator.read_file(tf .. ".ns") or ""):match("%d+"))
  local errtext = emulator.read_file(tf .. ".err") or ""
  for _, x in ipairs { "", ".err", ".ns" } do os.remove(tf .. x) end
  if not ok or not kb or not ns then error("benchmark command failed: " .. cmd .. "\n" .. errtext) end
  return ns / 1e9 / reps, kb / 1024
end

local function median(t)
  local s = { table.unpack(t) }
  table.sort(s)
  local n = #s
  return n % 2 == 1 and s[(n + 1) // 2] or (s[n // 2] + s[n // 2 + 1]) / 2
end

--- Runs each named command `n` times in turn; returns {name = {time=median, mem=median}}.
local function compare(n, cmds, before, reps)
  local t, m = {}, {}
  for r = 1, n do
    for _, c in ipairs(cmds) do
      if before then before() end
      local secs, mib = timed(c[2], reps)
      t[c[1]] = t[c[1]] or {}
      m[c[1]] = m[c[1]] or {}
      t[c[1]][r], m[c[1]][r] = secs, mib
    end
  end
  local out = {}
  for _, c in ipairs(cmds) do
    out[c[1]] = { time = median(t[c[1]]), mem = median(m[c[1]]), times = t[c[1]], mems = m[c[1]] }
  end
  return out
end

--- CPU seconds (user + system, children included) of one run of cmd, measured over
-- `reps` runs in a row (/usr/bin/time's 10 ms resolution needs many).
local function cpu(cmd, reps)
  local tf = os.tmpname()
  local script = ("i=0; while [ $i -lt %d ]; do sh -c %s >/dev/null 2>&1 || exit 1; i=$((i+1)); done"):format(reps, q(cmd))
  local ok = os.execute(("/usr/bin/time -f '%%U %%S' -o %s sh -c %s"):format(q(tf), q(script)))
  local u, sy = (emulator.read_file(tf) or ""):match("([%d.]+) ([%d.]+)%s*$")
  os.remove(tf)
  if not ok or not u then error("benchmark command failed: " .. cmd) end
  return (tonumber(u) + tonumber(sy)) / reps
end

local function report(label, res, pairs_)
  for _, name in ipairs(pairs_.show) do
    print(("  %-8s %9.4f s  %8.1f MiB"):format(name, res[name].time, res[name].mem))
  end
  for _, r in ipairs(pairs_.ratios) do
    local a, b, what, target = r[1], r[2], r[3], r[4]
    local x = what == "mem" and res[a].mem / res[b].mem or res[a].time / res[b].time
    -- the spread: the ratio within each run (the sides alternate, so run r is a pair)
    local xs, va, vb = {}, what == "mem" and res[a].mems or res[a].times, what == "mem" and res[b].mems or res[b].times
    for r = 1, #va do xs[r] = va[r] / vb[r] end
    table.sort(xs)
    print(("  %s %s/%s = %.3f [min %.3f, max %.3f] (target %s)"):format(what, a, b, x, xs[1], xs[#xs], target))
  end
end

local dir = emulator.tmpdir()
local e = emulator.start { bin = bin, demo = true }
local ok, err = pcall(function()
  local env = ("DATAGROK_URL=%s DATAGROK_API_KEY=%s "):format(q(e.url), q(e.key))
  local key = "Bearer " .. e.key
  local function ours(code, with) -- a script for our binary (or `with`)
    local path = dir .. "/s" .. tostring(math.random(1 << 30)) .. ".lua"
    emulator.write_file(path, code)
    return env .. q(with or bin) .. " " .. q(path)
  end
  -- adds the baseline binary's run of the same script as one more side
  local function with_baseline(cmds, show, ratios, script)
    if not baseline then return cmds end
    cmds[#cmds + 1] = { "baseline", ours(script, baseline) }
    show[#show + 1] = "baseline"
    ratios[#ratios + 1] = { "datagrok", "baseline", "time", "-" }
    ratios[#ratios + 1] = { "datagrok", "baseline", "mem", "<= 1 (B1)" }
    return cmds
  end
  local function theirs(...)
    local a = { q(python), q(peer), q(e.url), q(key) }
    for _, v in ipairs { ... } do a[#a + 1] = q(v) end
    return table.concat(a, " ")
  end

  -- the table: id, name, value (2 decimals), flag, count (with missing), score (full precision)
  io.stderr:write(("generating %d rows...\n"):format(rows))
  local csv = dir .. "/table.csv"
  assert(os.execute(q(bin) .. " -e " .. q(([[
    local f = assert(io.open(%q, "wb"))
    f:write("id,name,value,flag,count,score\n")
    local seed = 1
    local words = {"alpha", "beta", "gamma delta", "epsilon, zeta", "eta"}
    local buf = {}
    for i = 1, %d do
      seed = (seed * 1103515245 + 12345) %% 2147483648
      buf[#buf + 1] = ("%%d,%%s,%%.2f,%%s,%%s,%%s\n"):format(i, words[seed %% 5 + 1]:find(",")
        and '"' .. words[seed %% 5 + 1] .. '"' or words[seed %% 5 + 1], (seed %% 100000) / 100,
        seed %% 2 == 0 and "True" or "False", seed %% 7 == 0 and "" or tostring(seed %% 1000),
        string.format("%%.17g", seed / 2147483648))
      if #buf == 10000 then f:write(table.concat(buf)); buf = {} end
    end
    f:write(table.concat(buf))
    f:close()
  ]]):format(csv, rows))))
  local size = #(emulator.read_file(csv))
  io.stderr:write(("%.1f MB of CSV\n"):format(size / 1e6))
  local up = assert(e:json("POST", "/public/v1/tables/bench", { body_file = csv,
    headers = { ["Content-Type"] = "text/csv" } }))
  local id = up.ID

  if wanted("B1") then
  print(("B1 download_table, %d rows, %.1f MB"):format(rows, size / 1e6))
  local b1_script = ("local dg = require('datagrok').connect{}; assert(#dg:download_table(%q) == %d)"):format(id, rows)
  local b1_show, b1_ratios = { "datagrok", "peer", "curl" }, {
    { "datagrok", "peer", "time", "<= 0.12" }, { "datagrok", "peer", "mem", "<= 0.35" },
    { "datagrok", "curl", "time", "<= 3" } }
  local b1 = compare(runs, with_baseline({
    { "datagrok", ours(b1_script) },
    { "peer", theirs("download_table", id) },
    { "curl", ("curl -s -f -o /dev/null -H %s %s"):format(q("Authorization: " .. key), q(e.url .. "/public/v1/tables/" .. id)) },
  }, b1_show, b1_ratios, b1_script))
  report("B1", b1, { show = b1_show, ratios = b1_ratios })
  end

  if wanted("B2") then
  print("B2 upload_table of the same DataFrame (the file is read first on both sides)")
  local b2_script = ("local dg = require('datagrok').connect{}; local df = require('datagrok').read_csv(%q); assert(dg:upload_table('bench2', df).ID)"):format(csv)
  local b2_show, b2_ratios = { "datagrok", "read", "peer" }, { { "datagrok", "peer", "time", "<= 0.12" } }
  local b2 = compare(runs, with_baseline({
    { "datagrok", ours(b2_script) },
    { "read", ours(("assert(#require('datagrok').read_csv(%q) == %d)"):format(csv, rows)) },
    { "peer", theirs("upload_table", "bench2", csv) },
  }, b2_show, b2_ratios, b2_script))
  report("B2", b2, { show = b2_show, ratios = b2_ratios })
  end

  if wanted("B3") then
  print("B3 download_file of a 1 GiB binary to disk")
  local share = e.data .. "/files/system.demofiles"
  assert(os.execute(("head -c %d /dev/urandom > %s"):format(64 << 20, q(dir .. "/part"))))
  assert(os.execute(("for i in $(seq 16); do cat %s; done > %s"):format(q(dir .. "/part"), q(share .. "/big.bin"))))
  os.remove(dir .. "/part")
  local out = dir .. "/big.out"
  local b3 = compare(runs, {
    { "datagrok", ours(("local dg = require('datagrok').connect{}; dg:download_file('system.demofiles', 'big.bin', {to = %q})"):format(out)) },
    { "curl", ("curl -s -f -o %s -H %s %s"):format(q(out), q("Authorization: " .. key), q(e.url .. "/public/v1/files/system.demofiles/big.bin")) },
    { "peer", theirs("download_file", "system.demofiles", "big.bin", out) },
  }, function() os.remove(out); os.execute("sync") end)
  report("B3", b3, { show = { "datagrok", "curl", "peer" }, ratios = {
    { "datagrok", "curl", "time", "<= 1.5" }, { "datagrok", "peer", "time", "-" } } })
  print(("  datagrok peak memory %.1f MiB (target <= 32)"):format(b3.datagrok.mem))
  os.remove(out)
  os.remove(share .. "/big.bin")
  end

  if wanted("B6") then
  print("B6 1,000 sequential get_group calls")
  local gid = "c4e70000-9a50-11e6-9cc9-00000000c4e7"
  local b6 = compare(runs, {
    { "datagrok", ours(("local dg = require('datagrok').connect{}; for i = 1, 1000 do dg:get_group(%q) end"):format(gid)) },
    { "peer", theirs("get_group", gid, "1000") },
  })
  report("B6", b6, { show = { "datagrok", "peer" }, ratios = { { "datagrok", "peer", "time", "<= 0.25" } } })
  end

  if wanted("B7") then
  print("B7 cold start (each figure: the mean of 20 starts)")
  local b7 = compare(runs, {
    { "datagrok", q(bin) .. " -e ''" },
    { "lua5.4", "lua5.4 -e ''" },
    { "python", q(python) .. " -c 'import requests, pandas'" },
  }, nil, 20)
  report("B7", b7, { show = { "datagrok", "lua5.4", "python" }, ratios = {
    { "datagrok", "lua5.4", "time", "<= 3" }, { "datagrok", "python", "time", "<= 0.05" } } })
  print("B7 CPU time of a cold start (user + system, each figure: the mean of 200 starts)")
  local c = { datagrok = {}, lua = {}, baseline = {} }
  for r = 1, runs do
    c.datagrok[r] = cpu(q(bin) .. " -e ''", 200)
    c.lua[r] = cpu("lua5.4 -e ''", 200)
    if baseline then c.baseline[r] = cpu(q(baseline) .. " -e ''", 200) end
  end
  local function spread(side)
    local xs = {}
    for r = 1, runs do xs[r] = c[side][r] / c.lua[r] end
    table.sort(xs)
    return median(xs), xs[1], xs[#xs]
  end
  print(("  datagrok %.2f ms  lua5.4 %.2f ms  cpu datagrok/lua5.4 = %.3f [min %.3f, max %.3f] (target <= 3)")
    :format(median(c.datagrok) * 1e3, median(c.lua) * 1e3, spread("datagrok")))
  if baseline then
    print(("  baseline %.2f ms  cpu baseline/lua5.4 = %.3f [min %.3f, max %.3f]")
      :format(median(c.baseline) * 1e3, spread("baseline")))
  end
  end
end)
e:stop()
os.execute("rm -rf " .. q(dir))
if not ok then error(err, 0) end
