--- Server profiles as the `grok` CLI keeps them (`grok config`): the YAML file
-- ~/.grok/config.yaml with `default: <alias>` and `servers: {<alias>: {url:, key:}}`,
-- where `url` is the API root and `key` a developer key. Read with libyaml
-- (datagrok.yaml); nothing here writes the file.
local core = require "datagrok.core"
local Error = require "datagrok.error"

local M = {}

local function config_error(fmt, ...)
  return Error.new("CONFIG", fmt:format(...))
end

--- The configuration file: `file` when given, else $HOME/.grok/config.yaml (nil
-- when HOME is not set).
function M.path(file)
  if file then return file end
  local home = os.getenv("HOME")
  if home and home ~= "" then return home .. "/.grok/config.yaml" end
end

-- files already warned about (one warning per file and process)
local warned = {}

--- Reads and checks the file: {default = alias or nil, servers = {alias = {url=, key=}}}.
-- Returns nil when the file does not exist; raises CONFIG when it cannot be read, is
-- not YAML, or its `servers` is not a mapping. Warns (once) when the file can be read
-- by its group or by others, since it holds keys.
function M.read(file)
  local st, _, errno = core.stat(file)
  if not st then
    if errno == 2 then return nil end -- ENOENT
    error(config_error("cannot read the profiles file %s: %s", file, select(2, core.stat(file))), 0)
  end
  if st.type ~= "file" then error(config_error("the profiles file %s is not a file", file), 0) end
  if st.mode & 0x3F ~= 0 and not warned[file] then -- 077: group or other bits
    warned[file] = true
    require("datagrok.log").warn("config", ("%s holds keys and is readable by others (mode %04o): chmod 600 %s")
      :format(file, st.mode, file))
  end
  local f, err = io.open(file, "rb")
  if not f then error(config_error("cannot read the profiles file %s: %s", file, err), 0) end
  local text = f:read("a")
  f:close()
  local ok, doc = pcall(require("datagrok.yaml").decode, text, file)
  if not ok then
    local e = Error.is(doc) and doc or {message = tostring(doc)}
    error(Error.new("CONFIG", "the profiles file is not valid YAML: " .. e.message,
      {line = e.line, column = e.column}), 0)
  end
  local null = require("datagrok.json").null
  if doc == null then doc = {} end
  if type(doc) ~= "table" then error(config_error("%s: expected a mapping with 'servers:'", file), 0) end
  local servers = doc.servers
  if servers == nil or servers == null then servers = {} end
  if type(servers) ~= "table" or require("datagrok.json").is_array(servers) then
    error(config_error("%s: 'servers' must be a mapping of profile names", file), 0)
  end
  local default = doc.default
  if default == null then default = nil end
  if default ~= nil and type(default) ~= "string" then
    error(config_error("%s: 'default' must be a profile name", file), 0)
  end
  return {default = default, servers = servers}
end

--- The names of the profiles in a read file, sorted.
function M.names(conf)
  local names = {}
  for k in pairs(conf.servers) do names[#names + 1] = k end
  table.sort(names)
  return names
end

local function describe_names(conf)
  local names = M.names(conf)
  if #names == 0 then return "it has no profiles" end
  return "it has: " .. table.concat(names, ", ")
end

--- Resolves profile `name` (nil: the file's `default`) from `file` (nil: the default
-- path) -> {name=, url=, key=, file=}. `how` names where the name came from, for the
-- messages. Raises CONFIG naming the file: missing file, unknown profile (listing the
-- file's profiles), a profile without url or key.
function M.resolve(name, file, how)
  local path = M.path(file)
  if not path then
    error(config_error("profile '%s' (%s): HOME is not set, so there is no ~/.grok/config.yaml; "
      .. "pass config_file=", tostring(name or "default"), how or "requested"), 0)
  end
  local conf = M.read(path)
  if not conf then
    error(config_error("profile '%s' (%s): the profiles file %s does not exist (make it with "
      .. "`grok config add --alias NAME --server URL --key KEY`)", tostring(name or "default"),
      how or "requested", path), 0)
  end
  if name == nil then
    name = conf.default
    if not name then
      error(config_error("%s has no 'default:' profile; name one (%s)", path, describe_names(conf)), 0)
    end
    how = "the file's default"
  end
  local p = conf.servers[name]
  if type(p) ~= "table" then
    error(config_error("no profile '%s' (%s) in %s; %s", name, how or "requested", path,
      describe_names(conf)), 0)
  end
  local url, key = p.url, p.key
  if type(url) ~= "string" or url == "" then
    error(config_error("profile '%s' in %s has no url", name, path), 0)
  end
  if type(key) ~= "string" or key == "" then
    error(config_error("profile '%s' in %s has no key (a developer key from %s/u)", name, path,
      (url:gsub("/api/?$", ""))), 0)
  end
  return {name = name, url = url, key = key, file = path}
end

--- True when the default profiles file exists (so connect() may fall back on it).
function M.default_file_exists(file)
  local path = M.path(file)
  return path ~= nil and core.stat(path) ~= nil
end

return M
