--- Tables (docs/protocol.md, "Tables"): GET/POST /public/v1/tables/<name or id>, CSV in and out.
-- State: `tables[id] = {id, name, grokName, createdOn, updatedOn, size}`; the data is
-- `<data>/tables/<id>.csv`, served from the file and replaced by rename on upload.
-- A bare upload name `T` becomes `Admin:T:T` (project namespace + name), as on a real
-- server; a table is found by id, by Grok name (`.` or `:`), or by its bare name when
-- that is unique. A missing table answers 200 + `api-error` + ApiError{errorCode=404}.
local reply = require "datagrok.emulator.reply"
local files = require "datagrok.emulator.files"
local core = require "datagrok.core"

local M = {}

function M.data_path(state, t) return state.tables_dir .. "/" .. t.id .. ".csv" end

--- The table addressed by id, Grok name or unique bare name, or nil.
function M.find(state, ref)
  if state.tables[ref] then return state.tables[ref] end
  local want = ref:gsub("%.", ":"):lower()
  local by_short
  local count = 0
  for _, t in pairs(state.tables) do
    if t.grokName:lower() == want then return t end
    if t.name:lower() == want then
      by_short = t
      count = count + 1
    end
  end
  if count == 1 then return by_short end
end

--- The wire form of an upload's answer.
function M.ids(state, t)
  return { ID = t.id, ["Grok name"] = t.grokName, Markup = ('#{x.%s."%s"}'):format(t.id, t.name),
           URL = state.url .. "/p/" .. t.grokName:gsub(":", ".") }
end

--- Creates or replaces a table from CSV text or a CSV file (moved into place).
function M.save(state, name, req_like)
  local colon = name:gsub("%.", ":")
  local t = M.find(state, name)
  if not t then
    local short = colon:match("([^:]+)$")
    if not short or short == "" then reply.bad_request(("bad table name '%s'"):format(name)) end
    local grok = colon:find(":", 1, true) and colon or ("Admin:" .. short .. ":" .. short)
    t = { id = core.uuid4(), name = short, grokName = grok, createdOn = reply.now() }
  end
  files.store(req_like, M.data_path(state, t))
  t.updatedOn = reply.now()
  t.size = req_like.body_size or #(req_like.body or "")
  state.tables[t.id] = t
  state:save("tables")
  return t
end

local function first_line(req)
  if req.body_file then
    local f = io.open(req.body_file, "rb")
    local line = f and f:read("l")
    if f then f:close() end
    return line
  end
  return (req.body or ""):match("^[^\n]*")
end

function M.register(router)
  router:get("/public/v1/tables/([^/]+)", function(_, state, ref)
    local t = M.find(state, ref) or reply.not_found("table", ref)
    return { status = 200, headers = { ["Content-Type"] = "text/csv; charset=utf-8" },
             file = M.data_path(state, t) }
  end)
  router:post("/public/v1/tables/([^/]+)", function(req, state, name)
    local ct = (req.headers["content-type"] or ""):lower()
    if ct:find("octet-stream", 1, true) then
      reply.raise(415, "this emulator stores CSV tables only (Content-Type: text/csv)", 415)
    end
    local header = first_line(req)
    if not header or header:match("^%s*$") then
      reply.bad_request("the table body must be CSV with a header row")
    end
    return reply.json(M.ids(state, M.save(state, name, req)))
  end)
end

return M
