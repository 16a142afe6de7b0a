-- Progress of long transfers (src/client/progress.c): on a terminal, download_file,
-- upload_file and tables over a few MB draw one line in place (bytes, rate, share and
-- time left when the size is known) and end it with a final line; short calls draw
-- nothing; nothing at all when stderr is not a terminal or with progress = false.
-- The terminal is a pseudo-terminal from script(1); every transfer goes to the emulator
-- on 127.0.0.1 (48 MiB each way at most).
local proc = require "proc"

local SCRIPT = [[
local datagrok = require "datagrok"
local dg = datagrok.connect{progress = PROGRESS}
local f = assert(io.open("big.bin", "wb"))
f:write(("0123456789abcdef"):rep(3 * 1024 * 1024)) -- 48 MiB
f:close()
dg:upload_file("System:DemoFiles", "inbox/big.bin", "big.bin")
dg:download_file("System:DemoFiles", "inbox/big.bin", {to = "copy.bin"})
local rows = {}
for i = 1, 200000 do rows[i] = i .. ",name" .. i .. "," .. (i / 7) end
f = assert(io.open("big.csv", "wb"))
f:write("id,name,x\n", table.concat(rows, "\n"), "\n")
f:close()
local ids = dg:upload_table("big_table", "big.csv")
local df = dg:download_table(ids.ID)
local small = dg:download_file("System:DemoFiles", "demog.csv")
dg:sync_dir("System:DemoFiles", "chem", "synced")
print("rows", #df, #small)
]]

--- Runs the script in a fresh directory; on a terminal (script(1)) when tty is true.
-- Returns the exit code, stdout and what reached stderr.
local function run(progress, tty)
  local dir = proc.temp_dir()
  local path = dir .. "/p.lua"
  local f = assert(io.open(path, "wb"))
  f:write((SCRIPT:gsub("PROGRESS", tostring(progress))))
  f:close()
  local cmd = ("cd %s && %s --emulate p.lua > out.txt"):format(proc.quote(dir), proc.quote(proc.bin))
  local r
  if tty then
    r = proc.sh("script -qfec " .. proc.quote(cmd) .. " /dev/null", {env = {DATAGROK_URL = "", DATAGROK_API_KEY = ""}})
    r.stderr = r.stdout -- the terminal's output: everything the program wrote to stderr
  else
    r = proc.sh("sh -c " .. proc.quote(cmd), {env = {DATAGROK_URL = "", DATAGROK_API_KEY = ""}})
  end
  local o = io.open(dir .. "/out.txt")
  r.stdout = o and o:read("a") or ""
  if o then o:close() end
  os.execute("rm -rf " .. proc.quote(dir))
  return r
end

describe("progress", function()
  it("draws bytes, rate and time left in place on a terminal, and a final line", function()
    local r = run(true, true)
    assert.equal(0, r.code, r.stderr)
    assert.matches("rows\t200000\t300", r.stdout)
    local err = r.stderr
    -- in place: carriage returns and clear-to-end-of-line, one newline per transfer
    assert.matches("\rupload_file inbox/big.bin: [%d.]+ MiB of 48.0 MiB %(%d+%%%), [%d.]+ [KMG]?i?B/s, %d+:%d%d left\27%[K", err)
    assert.matches("\rupload_file inbox/big.bin: 48.0 MiB in [%d.]+ s, [%d.]+ [KMG]i?B/s\27%[K\r?\n", err)
    assert.matches("\rdownload_file inbox/big.bin: [%d.]+ MiB of 48.0 MiB %(%d+%%%)", err)
    assert.matches("\rdownload_file inbox/big.bin: 48.0 MiB in [%d.]+ s", err)
    -- tables over a few MB too
    assert.matches("\rupload_table big_table: [%d.]+ MiB in [%d.]+ s", err)
    assert.matches("\rdownload_table [%w-]+: [%d.]+ MiB in [%d.]+ s", err)
    -- a short call draws nothing; sync_dir draws its own line
    assert.is_nil(err:find("demog.csv", 1, true))
    assert.matches("\rsync_dir: 2 written, 0 unchanged", err)
  end)

  it("draws nothing when stderr is not a terminal (cron)", function()
    local r = run(true, false)
    assert.equal(0, r.code, r.stderr)
    assert.matches("rows\t200000\t300", r.stdout)
    assert.equal("", r.stderr)
  end)

  it("draws nothing with progress = false", function()
    local r = run(false, true)
    assert.equal(0, r.code, r.stderr)
    assert.matches("rows\t200000\t300", r.stdout)
    assert.is_nil(r.stderr:find("MiB", 1, true))
    assert.is_nil(r.stderr:find("sync_dir", 1, true))
  end)
end)
