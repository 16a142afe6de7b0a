#!/usr/bin/env datagrok
--- publish-dashboard: uploads CSV files as tables, makes a dashboard of them and
-- shares it, then prints the identifiers (--json for machines).
--
--   publish-dashboard.lua --name "Weekly sales" --share Chemists,alice sales.csv regions.csv
--
-- Each CSV becomes the table named after its file (sales.csv -> "sales"). Everything
-- that can be checked before a change is checked first: the files exist, the layout
-- is JSON, the groups to share with exist. Then the tables are uploaded, the dashboard
-- is created and shared, in that order; a failure stops the run with its exit code,
-- and a re-run finishes it.
--
-- A re-run is safe: an upload replaces the data of the table of that name (the server
-- keeps its id), the dashboard is created again under the same name with the new
-- tables (the emulator updates the dashboard of that name in place, keeping its id),
-- and sharing with a group that already has access changes nothing.
local datagrok = require "datagrok"
local core = require "datagrok.core"
local json = datagrok.json
local Error = datagrok.Error

local cli = datagrok.cli{
  name = "publish-dashboard",
  summary = "Upload CSV files as tables, create a dashboard of them, share it, print its identifiers.",
  options = {
    {"name", metavar = "NAME", required = true, help = "the dashboard's name"},
    {"layout", metavar = "FILE", help = "a layout (JSON) for the dashboard"},
    {"share", type = "list", metavar = "GROUPS", help = "groups or user logins to share it with"},
    {"access", choices = {"View", "Edit"}, default = "View", help = "what they may do"},
    {"json", type = "boolean", help = "print one JSON object instead of text"},
    {"dry-run", type = "boolean", help = "check everything, print the plan, change nothing"},
  },
  positional = {{"csv", multiple = true, required = true, help = "CSV files, one table each"}},
  common = true,
  epilog = "Exit codes: 0 published; 2 usage or configuration (a missing file or group); "
    .. "3 the key was refused;\n4 the server kept failing; 130 interrupted.",
}

local function usage(fmt, ...)
  return Error.new("USAGE", ("publish-dashboard: " .. fmt):format(...),
    {hint = "see publish-dashboard --help"})
end

--- The tables to upload: {name=, path=, size=} per CSV file, checked.
local function tables_of(paths)
  local out, seen = {}, {}
  for _, path in ipairs(paths) do
    local st, why = core.stat(path)
    if not st then error(usage("CSV %s", why), 0) end
    if st.type ~= "file" then error(usage("CSV %s: not a file", path), 0) end
    local f, err = io.open(path, "rb")
    if not f then error(usage("CSV %s", err), 0) end
    f:close()
    local name = path:match("([^/]+)$"):gsub("%.[Cc][Ss][Vv]$", "")
    if name == "" then error(usage("CSV %s: no table name in the file name", path), 0) end
    if seen[name] then
      error(usage("CSV %s and %s would both be table '%s'", seen[name], path, name), 0)
    end
    seen[name] = path
    out[#out + 1] = {name = name, path = path, size = st.size}
  end
  return out
end

--- Checks the layout file is a JSON object (the server stores it as the dashboard's layout).
local function check_layout(path)
  if not path then return end
  local f, err = io.open(path, "rb")
  if not f then error(Error.new("CONFIG", "cannot read the layout: " .. err), 0) end
  local text = f:read("a")
  f:close()
  local ok, v = pcall(json.decode, text)
  if not ok or type(v) ~= "table" or json.is_array(v) then
    error(Error.new("CONFIG", ("the layout %s is not a JSON object%s"):format(path,
      ok and "" or (": " .. (Error.is(v) and v.message or tostring(v))))), 0)
  end
end

--- Every group to share with must exist (a shared group, else a user's group).
local function check_groups(dg, names)
  for _, n in ipairs(names) do
    if not (dg:find_group(n) or dg:find_user_group(n)) then
      error(Error.new("CONFIG", ("--share: no group or user named '%s'"):format(n)), 0)
    end
  end
end

datagrok.main(function(...)
  local opts = cli:parse({...})
  local tables = tables_of(opts.csv)
  check_layout(opts.layout)
  local share = opts.share or {}
  local dg <close> = datagrok.connect{profile = opts.profile, config_file = opts.config_file}
  check_groups(dg, share)
  local say = opts.json and function() end or print

  if opts.dry_run then
    local names = {}
    for i, t in ipairs(tables) do names[i] = t.name end
    print(("publish-dashboard: %d changes (dry run: none is applied)"):format(#tables + 1 +
      (#share > 0 and 1 or 0)))
    for _, t in ipairs(tables) do print(("  + upload table %s from %s (%d bytes)"):format(t.name, t.path, t.size)) end
    print(("  + create dashboard '%s' of %s%s"):format(opts.name, table.concat(names, ", "),
      opts.layout and (" with the layout " .. opts.layout) or ""))
    if #share > 0 then print(("  + share it with %s (%s)"):format(table.concat(share, ", "), opts.access)) end
    return 0
  end

  local out = {tables = json.array({}), shared = json.array({}), access = opts.access}
  local ids = {}
  for _, t in ipairs(tables) do
    local r = dg:upload_table(t.name, t.path)
    ids[#ids + 1] = r.ID
    out.tables[#out.tables + 1] = {name = t.name, id = r.ID, grok_name = r["Grok name"], url = r.URL}
    say(("table %s: id=%s grok_name=%s url=%s"):format(t.name, r.ID, r["Grok name"], tostring(r.URL)))
    datagrok.log.info("publish-dashboard", "uploaded", {table = t.name, id = r.ID, bytes = t.size})
  end
  local d = dg:create_dashboard(opts.name, ids, opts.layout)
  out.dashboard = {name = opts.name, id = d.ID or d.id, url = d.URL}
  say(("dashboard %s: id=%s url=%s"):format(opts.name, tostring(out.dashboard.id), tostring(d.URL)))
  if #share > 0 then
    dg:share_dashboard(out.dashboard.id, share, opts.access)
    for i, g in ipairs(share) do out.shared[i] = g end
    say(("shared with %s (%s)"):format(table.concat(share, ", "), opts.access))
  end
  if opts.json then print(json.encode(out, {sort_keys = true})) end
  return 0
end, ...)
