--- File shares (docs/protocol.md, "Files"): GET/POST/DELETE /public/v1/files/<connector>/<path>.
--
-- Storage helpers, also for the sync route (lua/datagrok/emulator/sync.lua):
--   files.connector_dir(connector) -> "system.demofiles": the directory name of a
--       connector (Grok name, `:` or `.` separated, lower-cased; a known connection id
--       maps to its name); raises 400 on a name that cannot be a directory.
--   files.connector_root(state, connector) -> "<data>/files/system.demofiles"
--   files.safe_join(root, rel) -> root .. "/" .. rel, or nil, reason when rel is
--       absolute, has a `..`/`.` component, a backslash, NUL or control character.
--       Empty components (a trailing `/`) are dropped.
--   files.list(state, connector, dir, recursive) -> array of
--       {path=<relative to the connector root>, name=, isFile=, isDirectory=, size=
--       (0 for a directory), updatedOn=, mtime=<POSIX seconds, not sent on the wire>},
--       or nil when dir does not exist.
--   files.store(req, target) stores the request body (spooled file or string) at target
--       durably (parent directories created; rename over the old file).
-- The sync route itself is registered here: POST /public/v1/files/sync/<connector>/<path>
-- calls `require("datagrok.emulator.sync").handle(req, state, connector, path)`.
local reply = require "datagrok.emulator.reply"
local fs = require "datagrok.emulator.fs"
local json = require "datagrok.json"

local M = {}

--- Connection ids of the demo shares -> their Grok names.
M.CONNECTION_IDS = { ["6b4b3d00-9a50-11e6-9cc9-aa0000d3f11e"] = "System:DemoFiles" }

function M.connector_dir(connector)
  local name = M.CONNECTION_IDS[connector] or connector
  name = name:lower():gsub(":", ".")
  if name == "" or name == "." or name == ".." or name:find("[/\\%z%c]") then
    reply.bad_request(("bad connector name '%s'"):format(connector))
  end
  return name
end

function M.connector_root(state, connector)
  return state.files_dir .. "/" .. M.connector_dir(connector)
end

function M.safe_join(root, rel)
  if rel:sub(1, 1) == "/" then return nil, "an absolute path" end
  if rel:find("[\\%z%c]") then return nil, "a backslash or control character" end
  local parts = {}
  for comp in rel:gmatch("[^/]+") do
    if comp == ".." or comp == "." then return nil, "a '" .. comp .. "' component" end
    parts[#parts + 1] = comp
  end
  if #parts == 0 then return root end
  return root .. "/" .. table.concat(parts, "/")
end

--- The target path for (connector, path) or a raised 400 naming the problem.
local function target_of(state, connector, path)
  local p, why = M.safe_join(M.connector_root(state, connector), path)
  if not p then reply.bad_request(("refused path '%s': %s"):format(path, why)) end
  return p
end

function M.list(state, connector, dir, recursive)
  local root = M.connector_root(state, connector)
  local base = target_of(state, connector, dir)
  local entries = fs.list(base, recursive)
  if not entries then return nil end
  local prefix = base == root and "" or base:sub(#root + 2) .. "/"
  local out = json.array()
  for _, e in ipairs(entries) do
    out[#out + 1] = { path = prefix .. e.path, name = e.path:match("[^/]+$"), isFile = e.type == "file",
                      isDirectory = e.type == "dir", size = e.type == "dir" and 0 or e.size, mtime = e.mtime,
                      updatedOn = reply.iso(e.mtime) }
  end
  table.sort(out, function(a, b) return a.path < b.path end)
  return out
end

function M.store(req, target)
  fs.mkdirs(target:match("^(.*)/[^/]*$"))
  if req.body_file then
    fs.commit(req.body_file, target)
  else
    fs.write_atomic(target, req.body or "")
  end
end

local function download(req, state, connector, path)
  local root = M.connector_root(state, connector)
  local target = target_of(state, connector, path)
  local st = fs.stat(target)
  if st and st.type == "dir" then
    local rel = target == root and "" or target:sub(#root + 2)
    local list = M.list(state, connector, rel, reply.bool_arg(req, "recursive"))
    for _, e in ipairs(list) do e.mtime = nil end
    return reply.json(list)
  end
  if not st or st.type ~= "file" or path:sub(-1) == "/" then
    reply.not_found("file", connector .. "/" .. path, 404)
  end
  return { status = 200, headers = { ["Content-Type"] = "application/octet-stream" }, file = target }
end

local function upload(req, state, connector, path)
  if path == "" or path:sub(-1) == "/" then reply.bad_request("a file upload needs a file name") end
  local target = target_of(state, connector, path)
  local st = fs.stat(target)
  if st and st.type == "dir" then reply.bad_request(("'%s' is a directory"):format(path)) end
  M.store(req, target)
  return reply.json({ path = path, size = req.body_size })
end

local function delete(_, state, connector, path)
  local target = target_of(state, connector, path)
  if target == M.connector_root(state, connector) then reply.bad_request("refusing to delete a whole share") end
  if not fs.remove(target) then reply.not_found("file", connector .. "/" .. path, 404) end
  return reply.json({ deleted = path })
end

function M.register(router)
  router:post("/public/v1/files/sync/([^/]+)/?(.*)", function(req, state, connector, path)
    if not package.preload["datagrok.emulator.sync"] then
      reply.raise(501, "directory sync is not available in this emulator build", 501)
    end
    return require("datagrok.emulator.sync").handle(req, state, connector, path)
  end)
  local base = "/public/v1/files/([^/]+)"
  router:get(base .. "/?", function(req, state, c) return download(req, state, c, "") end)
  router:get(base .. "/(.*)", download)
  router:post(base .. "/(.*)", upload)
  router:delete(base .. "/(.+)", delete)
end

return M
