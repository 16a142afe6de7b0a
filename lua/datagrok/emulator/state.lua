--- The emulator's persistent state under its data directory.
--
-- Layout of `<data>`:
--   state/<collection>.json   one JSON object per collection, keyed by entity id:
--                             users, groups, relations, requests, tables, dashboards,
--                             tokens, meta, connections, credentials, functions,
--                             packages, published, shares
--   tables/<id>.csv           table data
--   files/<connector>/...     file shares (`System:DemoFiles` -> files/system.demofiles)
--   tmp/                      spooled request bodies (same file system: moved by rename)
--
-- Every change is written with `fs.write_atomic` (temp file + fsync + rename + fsync of
-- the directory) by `state:save(collection)` BEFORE the handler returns its response, so
-- a `kill -9` loses nothing that was acknowledged and a restart on the same data dir
-- has everything.
local json = require "datagrok.json"
local fs = require "datagrok.emulator.fs"

local M = {}
local State = {}
State.__index = State

M.COLLECTIONS = { "users", "groups", "relations", "requests", "tables", "dashboards",
                  "tokens", "meta", "connections", "credentials", "functions", "packages",
                  "published", "shares" }

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

--- Opens (creating when needed) the state under dir. Raises when a state file is corrupt.
function M.open(dir)
  local self = setmetatable({ dir = dir, state_dir = dir .. "/state",
                              tables_dir = dir .. "/tables", files_dir = dir .. "/files",
                              tmp_dir = dir .. "/tmp" }, State)
  fs.mkdirs(self.state_dir, tonumber("700", 8)) -- tokens.json holds session tokens
  fs.mkdirs(self.tables_dir)
  fs.mkdirs(self.files_dir)
  fs.mkdirs(self.tmp_dir)
  self:reload()
  return self
end

--- Reads every collection back from disk (after a refused change, so that memory
-- never holds what was not saved). Raises when a state file is corrupt.
function State:reload()
  for _, name in ipairs(M.COLLECTIONS) do
    local path = self:path_of(name)
    local text = read_file(path)
    if text then
      local ok, v = pcall(json.decode, text)
      if not ok or type(v) ~= "table" then
        error(("corrupt emulator state %s: %s"):format(path, tostring(type(v) == "table" and v.message or v)), 0)
      end
      self[name] = v
    else
      self[name] = {}
    end
  end
end

function State:path_of(collection)
  return self.state_dir .. "/" .. collection .. ".json"
end

--- Writes one collection durably (call before answering a request that changed it).
function State:save(collection)
  local data = self[collection]
  assert(data, "unknown state collection " .. tostring(collection))
  fs.write_atomic(self:path_of(collection), json.encode(data))
end

--- Saves several collections, in order.
function State:save_all(...)
  for i = 1, select("#", ...) do self:save((select(i, ...))) end
end

return M
