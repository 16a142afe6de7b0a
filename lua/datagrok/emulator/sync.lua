--- The emulator's directory sync: POST /public/v1/files/sync/<connector>/<path>
-- ?recursive=true|false[&ext=...] (docs/protocol.md, "Directory sync"), reached through the route
-- that lua/datagrok/emulator/files.lua registers.
--
-- The body is the client's metadata map {"rel/path": "eTag"}. The answer compares it
-- with the files under the connector's folder (honouring `recursive` and `ext`):
--   * `deleted` parts first, for keys the client sent whose file no longer exists
--     (a file merely outside the filter is not reported), so a client learns every
--     delete before the first write;
--   * `not-modified` parts for files whose eTag the client already has;
--   * a part with the file's bytes and `X-File-E-Tag` for new and changed files
--     (streamed from the file by src/emulator.c);
--   * `204` when the folder holds no file that passes the filter; 404 when it does not exist.
-- eTags are "<size hex>-<mtime in µs hex>": one lstat per file, cheap for 10,000 files.
--
-- Test hook (with --faults): POST /_emulator/sync_parts with a JSON array of
-- {name=, body=, status=, etag=} appends those parts to the next sync answer (consumed),
-- so a spec can send hostile names such as "../evil"; an empty array makes the next
-- answer a multipart body with zero parts.
local reply = require "datagrok.emulator.reply"
local files = require "datagrok.emulator.files"
local fs = require "datagrok.emulator.fs"

local M = {}

--- The eTag of a listed or stat'ed file.
function M.etag(st)
  return ("%x-%x"):format(st.size, math.floor(st.mtime * 1e6 + 0.5))
end

--- The extension filter of `ext` ("csv" or ".csv"): a predicate on relative paths.
local function ext_filter(ext)
  if ext == nil or ext == "" then return function() return true end end
  local want = ext:gsub("^%.", ""):lower()
  return function(rel)
    local e = rel:match("%.([^./]+)$")
    return e ~= nil and e:lower() == want
  end
end

local function disposition(name)
  return ('form-data; name="file"; filename="%s"'):format(name)
end

-- Parts armed by the test hook, for the next answer only.
local armed = nil

--- POST /_emulator/sync_parts: arms extra parts (see the module comment).
function M.arm_extra_parts(req)
  local list = reply.body_json(req)
  if type(list) ~= "table" then reply.bad_request("sync_parts expects a JSON array") end
  for i, p in ipairs(list) do
    if type(p) ~= "table" or type(p.name) ~= "string" then
      reply.bad_request(("sync_parts[%d] needs a string name"):format(i))
    end
  end
  armed = list
  return reply.json({ armed = #list })
end

--- The answer as one multipart body built here (parts given by body or file, then the
-- test hook's parts): used when every part is small (a no-op re-sync of 10,000 files is
-- one string, not 10,000 segments), and for the hook, whose part headers may carry bytes
-- a real header cannot (NUL, CR, control characters).
function M.raw_answer(parts, extra)
  local boundary = "dg-sync-boundary-7c1e0f2a"
  local out = {}
  local function add(headers, body)
    out[#out + 1] = "--" .. boundary .. "\r\n"
    for k, v in pairs(headers) do out[#out + 1] = k .. ": " .. v .. "\r\n" end
    out[#out + 1] = "\r\n" .. body .. "\r\n"
  end
  for _, p in ipairs(parts) do
    local body = p.body
    if p.file then
      local f = assert(io.open(p.file, "rb"))
      body = f:read("a")
      f:close()
    end
    add(p.headers, body)
  end
  for _, p in ipairs(extra or {}) do
    local h = { ["Content-Disposition"] = disposition(p.name) }
    if p.status then h["X-File-Status"] = p.status end
    if p.etag then h["X-File-E-Tag"] = p.etag end
    add(h, p.body or "")
  end
  out[#out + 1] = "--" .. boundary .. "--\r\n"
  return { status = 200, headers = { ["Content-Type"] = "multipart/form-data; boundary=" .. boundary },
           body = table.concat(out) }
end

--- The sync route handler.
function M.handle(req, state, connector, path)
  local have = reply.body_json(req, {})
  if type(have) ~= "table" then reply.bad_request("the sync body must be a JSON object") end
  for k, v in pairs(have) do
    if type(k) ~= "string" or type(v) ~= "string" then
      reply.bad_request("the sync body must map relative paths to eTag strings")
    end
  end
  local recursive = reply.bool_arg(req, "recursive")
  if recursive == nil then recursive = true end
  local keep = ext_filter(req.args.ext)
  local root = files.connector_root(state, connector)
  local base, why = files.safe_join(root, (path:gsub("/+$", "")))
  if not base then reply.bad_request(("refused path '%s': %s"):format(path, why)) end
  local entries = fs.list(base, recursive)
  if not entries then reply.not_found("folder", connector .. "/" .. path, 404) end

  local remote, names = {}, {}
  for _, e in ipairs(entries) do
    if e.type == "file" and keep(e.path) then
      remote[e.path] = e
      names[#names + 1] = e.path
    end
  end
  local extra = armed
  armed = nil
  if #names == 0 and not extra then return { status = 204, headers = {} } end
  if extra and #extra == 0 then -- the hook's "answer with zero parts"
    return { status = 200, headers = {}, parts = {}, multipart = "form-data" }
  end
  table.sort(names)

  local parts = {}
  local has_files = false
  local gone = {}
  for k in pairs(have) do
    if not remote[k] then
      local target = files.safe_join(base, k)
      if target and not (fs.stat(target) or {}).type then gone[#gone + 1] = k end
    end
  end
  table.sort(gone)
  for _, k in ipairs(gone) do
    parts[#parts + 1] = { headers = { ["Content-Disposition"] = disposition(k),
                                      ["X-File-Status"] = "deleted" }, body = "" }
  end
  for _, rel in ipairs(names) do
    local tag = M.etag(remote[rel])
    if have[rel] == tag then
      parts[#parts + 1] = { headers = { ["Content-Disposition"] = disposition(rel),
                                        ["X-File-Status"] = "not-modified" }, body = "" }
    else
      parts[#parts + 1] = { headers = { ["Content-Disposition"] = disposition(rel),
                                        ["Content-Type"] = "application/octet-stream",
                                        ["X-File-E-Tag"] = tag },
                            file = base .. "/" .. rel }
      has_files = true
    end
  end
  if extra or not has_files then return M.raw_answer(parts, extra) end
  return { status = 200, headers = {}, parts = parts, multipart = "form-data" }
end

return M
