--- Test helper for sync_dir specs: file trees on disk (local and the emulator's share).
--
--     local tree = require "synctree"
--     tree.write(path, data)           -- creates parent directories
--     tree.snapshot(dir)               -- {["rel/path"] = content} of regular files
--                                      -- (metadata files excluded unless keep_meta)
--     tree.share(e, "sync1")           -- the emulator's folder for System:DemoFiles/sync1
--     tree.temps(dir)                  -- sync temporary files left under dir
--     tree.meta(dir)                   -- the decoded .sync_meta.json (nil when absent)
-- Works under stock lua5.4 and inside the binary (shell commands only).
local M = {}

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
M.quote = q

--- The content of a file, or nil.
M.read = require("emulator").read_file

function M.write(path, data)
  local dir = path:match("^(.*)/[^/]*$")
  if dir then os.execute("mkdir -p " .. q(dir)) end
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end

--- Lines of a shell command's output.
function M.lines(cmd)
  local p = assert(io.popen(cmd))
  local out = {}
  for l in p:lines() do out[#out + 1] = l end
  p:close()
  return out
end

--- Regular files under dir (not following symlinks) -> {rel = content}.
function M.snapshot(dir, keep_meta)
  local out = {}
  for _, rel in ipairs(M.lines("cd " .. q(dir) .. " 2>/dev/null && find . -type f | sed 's|^\\./||'")) do
    if keep_meta or not (rel == ".sync_meta.json" or rel:match("/%.sync_meta%.json$")) then
      out[rel] = M.read(dir .. "/" .. rel)
    end
  end
  return out
end

--- Sorted keys of a table.
function M.keys(t)
  local k = {}
  for name in pairs(t) do k[#k + 1] = name end
  table.sort(k)
  return k
end

--- Temporary files of the sync client left under dir.
function M.temps(dir)
  return M.lines("find " .. q(dir) .. " -name '.dgsync-*.tmp'")
end

--- The emulator folder of System:DemoFiles/<sub> (created).
function M.share(e, sub)
  local p = e.data .. "/files/system.demofiles/" .. sub
  os.execute("mkdir -p " .. q(p))
  return p
end

--- A fresh empty directory.
function M.tmpdir()
  return M.lines("mktemp -d \"${TMPDIR:-/tmp}/dg-sync.XXXXXXXX\"")[1]
end

function M.rm(path) os.execute("rm -rf " .. q(path)) end

--- The decoded metadata file of dir, or nil.
function M.meta(dir, json, name)
  local s = M.read(dir .. "/" .. (name or ".sync_meta.json"))
  return s and json.decode(s)
end

--- Deterministic pseudo-random bytes of length n (seeded by the string `seed`).
function M.bytes(seed, n)
  local h = 0
  for i = 1, #seed do h = (h * 31 + seed:byte(i)) % 2147483647 end
  local t = {}
  for i = 1, n do
    h = (h * 1103515245 + 12345) % 2147483648
    t[i] = string.char(h % 251)
  end
  return table.concat(t)
end

--- A fresh server folder (a new share of emulator e named prefix..N, holding files
-- {relative path = bytes}) and a local dir that does not exist yet.
-- Returns the remote path ("/<name>"), the share's directory and the local dir.
local fresh_count = 0
function M.fresh(e, prefix, files)
  fresh_count = fresh_count + 1
  local name = prefix .. fresh_count
  local share = M.share(e, name)
  for rel, data in pairs(files or {}) do M.write(share .. "/" .. rel, data) end
  return "/" .. name, share, M.tmpdir() .. "/local"
end

return M
