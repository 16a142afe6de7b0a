--- `help(x)`: one-line signatures and summaries of every binding, from a registry that
-- each module extends for its own objects (docs/lua-api.md, "Help").
--
--     local help = require "datagrok.help"
--     help.register("datagrok.Users", {
--       title = "dg.users: the users of the server",
--       values = function() return Users end,      -- name -> function, to recognise them
--       entries = {
--         {"list", "dg.users:list() -> array of User", "every user the caller may see"},
--       },
--     })
--
-- A resource table can declare its entries in the short form {name = "signature (summary)"}
-- through help.lines. An owner is a type name (the `__name` of its objects' metatable, e.g.
-- "datagrok.Client") or a module name ("datagrok.json"). `help(v)` prints:
--   a function: its signature and summary;
--   an object or module: its title and one line per entry;
--   nothing: the module's entries and how to ask for more;
-- as a value that prints as that text (help.text(v) is the string itself).
-- Nothing here runs a binding or touches the network.
local M = {}

local owners = {}      -- owner name -> {title=, values=, entries = {name -> {sig, summary}}, order = {names}}
local by_value = setmetatable({}, {__mode = "k"})   -- function or table -> {owner, name|nil}

-- the entries of the module and the C bindings, loaded on first use (help_core.lua)
local core_loaded = false
local function ensure_core()
  if not core_loaded then
    core_loaded = true
    require "datagrok.help_core"
  end
end

local function owner_of(name)
  local o = owners[name]
  if not o then
    o = {entries = {}, order = {}}
    owners[name] = o
  end
  return o
end

--- Adds (or extends) an owner. spec: title (one line), values (optional: a function
-- returning a table name -> value, consulted to recognise functions given to help),
-- object (optional: a table that is this owner, e.g. a module table), entries (an array
-- of {name, signature, summary}). Later registrations add to and override earlier ones.
function M.register(owner, spec)
  local o = owner_of(owner)
  if spec.title then o.title = spec.title end
  if spec.values then
    o.values = o.values or {}
    o.values[#o.values + 1] = spec.values
  end
  if spec.object then by_value[spec.object] = {owner} end
  for _, e in ipairs(spec.entries or {}) do
    local name, sig, summary = e[1], e[2], e[3]
    assert(type(name) == "string" and type(sig) == "string" and type(summary) == "string",
      "help.register: entries are {name, signature, summary}")
    if not o.entries[name] then o.order[#o.order + 1] = name end
    o.entries[name] = {sig = sig, summary = summary}
  end
end

--- Records that `value` (a function, e.g. a wrapper made on demand) is `owner`'s `name`.
function M.bind(value, owner, name)
  by_value[value] = {owner, name}
end

--- The registered entry of a value: owner name, entry name (nil for an owner itself).
local function find(v)
  ensure_core()
  local hit = by_value[v]
  if hit then
    local o = owners[hit[1]]
    if o and (hit[2] == nil or o.entries[hit[2]]) then return hit[1], hit[2] end
  end
  if type(v) ~= "function" then return nil end
  for oname, o in pairs(owners) do
    for _, values in ipairs(o.values or {}) do
      local ok, t = pcall(values)
      if ok and type(t) == "table" then
        for k, f in pairs(t) do
          if f == v and o.entries[k] then
            by_value[v] = {oname, k}
            return oname, k
          end
        end
      end
    end
  end
end

--- The signature of a registered function, or nil.
function M.signature(v)
  local owner, name = find(v)
  if owner and name then return owners[owner].entries[name].sig end
end

--- The summary of a registered function, or nil.
function M.summary(v)
  local owner, name = find(v)
  if owner and name then return owners[owner].entries[name].summary end
end

local function sorted(o)
  local names = {}
  for _, n in ipairs(o.order) do names[#names + 1] = n end
  table.sort(names)
  return names
end

local function owner_text(oname)
  local o = owners[oname]
  local lines = {o.title or oname}
  for _, n in ipairs(sorted(o)) do
    local e = o.entries[n]
    lines[#lines + 1] = "  " .. e.sig
    if e.summary ~= "" then lines[#lines + 1] = "      " .. e.summary end
  end
  return table.concat(lines, "\n")
end

--- The text help(v) prints (also for scripts that want it as a string).
function M.text(v, ...)
  ensure_core()
  if select("#", ...) == 0 and v == nil then
    return owner_text("datagrok") .. "\n\nhelp(x) describes any datagrok value: help(dg) a client's "
      .. "methods, help(dg.sync_dir) one method, help(datagrok.DataFrame), help(df), "
      .. "help(datagrok.json) ..."
  end
  local owner, name = find(v)
  if owner and name then
    local e = owners[owner].entries[name]
    return e.summary ~= "" and (e.sig .. "\n  " .. e.summary) or e.sig
  end
  if not owner then
    local mt = getmetatable(v)
    local tname = type(mt) == "table" and rawget(mt, "__name")
    if type(tname) == "string" and owners[tname] then owner = tname end
  end
  if owner then return owner_text(owner) end
  if type(v) == "function" then
    return "no help for this function (" .. tostring(v) .. "); help() lists the module"
  end
  return ("no help for a %s value; help() lists the module"):format(type(v))
end

local Help = {__name = "datagrok.Help"}
Help.__index = Help
Help.__tostring = function(h) return h.text end

--- help(v) -> a value that prints (tostring, the REPL, print) as M.text(v): the signature
-- and summary of v, or the entries of an object; `.text` is the same string.
function M.help(...)
  return setmetatable({text = M.text(...)}, Help)
end

--- Entries from one-line descriptions {name = "signature (summary)"} (or "signature --
-- summary", or a signature alone): the short form resource tables declare.
function M.lines(t)
  local out = {}
  for name, line in pairs(t) do
    local sig, summary = line:match("^(.-)%s+%-%-%s+(.+)$")
    if not sig then sig, summary = line:match("^(.-%->.-)%s+%(([^()]*)%)$") end
    out[#out + 1] = {name, sig or line, summary or ""}
  end
  table.sort(out, function(a, b) return a[1] < b[1] end)
  return out
end

--- The owners registered so far (for the spec that checks every binding has help).
function M.owners()
  ensure_core()
  local out = {}
  for k, o in pairs(owners) do out[k] = o end
  return out
end

return M
