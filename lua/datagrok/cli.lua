--- datagrok.cli: a script's command line, declared once.
--
--     local cli = datagrok.cli{
--       name = "nightly-sync", summary = "Mirror a file share into a directory.",
--       options = {
--         {"connector", type = "string", metavar = "C", required = true, help = "..."},
--         {"max-delete", type = "count_or_percent", default = "50%", help = "..."},
--         {"ext", type = "list", help = "..."},
--         {"dry-run", type = "boolean", help = "..."},
--         {"access", type = "string", choices = {"View", "Edit"}, default = "View"},
--         {"retries", type = "integer", env = "SYNC_RETRIES", default = 3},
--       },
--       positional = {{"csv", multiple = true, required = true, help = "CSV files"}},
--       common = true,   -- adds --profile, --log-level and --log-file
--       epilog = "Exit codes: ...",
--     }
--     local opts = cli:parse(arg)   -- opts.connector, opts.max_delete, opts.csv ...
--
-- Types: string, number, integer, boolean (a flag: --x true, --no-x false),
-- list (comma-separated and/or repeated: --ext csv,tsv --ext txt), count_or_percent
-- (a non-negative integer N, or "N%" with N from 0 to 100; kept as the integer or the
-- "N%" string, what sync_dir's max_delete takes). A value comes from the command
-- line, else from the option's `env` variable, else its `default`. Option names use
-- dashes; the parsed table uses underscores (`--max-delete` -> opts.max_delete).
--
-- cli:parse(argv) prints the help and exits 0 for --help/-h, and prints one line
-- `<name>: <problem> (see <name> --help)` and exits 2 for a usage error.
-- cli:try_parse(argv) returns opts, or nil and a USAGE Error (nil, "help" for --help),
-- printing nothing. With `common = true` parse also applies --log-level/--log-file;
-- --profile and --config-file are for datagrok.connect{profile=, config_file=}.
local Error = require "datagrok.error"

local M = {}
local Cli = {}
Cli.__index = Cli
Cli.__name = "datagrok.Cli"

local TYPES = {string = true, number = true, integer = true, boolean = true, list = true,
  count_or_percent = true}

local COMMON = {
  {"profile", type = "string", metavar = "NAME",
   help = "server profile of ~/.grok/config.yaml (default: DATAGROK_PROFILE, else "
     .. "DATAGROK_URL/DATAGROK_API_KEY, else the file's default)"},
  {"config-file", type = "string", metavar = "FILE",
   help = "profiles file instead of ~/.grok/config.yaml"},
  {"log-level", type = "string", metavar = "LEVEL", env = "DATAGROK_LOG_LEVEL",
   choices = {"error", "warn", "info", "debug", "trace"},
   help = "log level (default: warn, or datagrok's --log-level)"},
  {"log-file", type = "string", metavar = "FILE", env = "DATAGROK_LOG_FILE",
   help = "append log lines to FILE (created 0600) instead of standard error"},
}

local function spec_error(msg) error("datagrok.cli: " .. msg, 3) end

local function key_of(name) return (name:gsub("%-", "_")) end

--- datagrok.cli(spec) -> Cli. Checks the declaration (a mistake in it raises a plain
-- Lua error: it is the script's bug, not the user's).
function M.new(spec)
  if type(spec) ~= "table" then spec_error("the declaration must be a table") end
  if type(spec.name) ~= "string" or spec.name == "" then spec_error("'name' is required") end
  local self = setmetatable({name = spec.name, summary = spec.summary, epilog = spec.epilog,
    options = {}, by_name = {}, by_short = {}, positional = {}, common = spec.common == true}, Cli)
  local list = {}
  for _, o in ipairs(spec.options or {}) do list[#list + 1] = o end
  if self.common then for _, o in ipairs(COMMON) do list[#list + 1] = o end end
  for i, o in ipairs(list) do
    local name = o[1] or o.name
    if type(name) ~= "string" or not name:match("^%a[%w-]*$") then
      spec_error(("option %d needs a name of letters, digits and dashes"):format(i))
    end
    if name == "help" or self.by_name[name] then spec_error("option --" .. name .. " is declared twice") end
    local t = o.type or "string"
    if not TYPES[t] then spec_error(("--%s: unknown type '%s'"):format(name, tostring(t))) end
    local opt = {name = name, key = key_of(name), type = t, help = o.help or "", env = o.env,
      default = o.default, required = o.required == true, metavar = o.metavar,
      choices = o.choices, short = o.short}
    if opt.short then
      if type(opt.short) ~= "string" or not opt.short:match("^%a$") or opt.short == "h" then
        spec_error("--" .. name .. ": short must be one letter other than h")
      end
      self.by_short[opt.short] = opt
    end
    self.options[#self.options + 1] = opt
    self.by_name[name] = opt
  end
  for i, p in ipairs(spec.positional or {}) do
    local name = p[1] or p.name
    if type(name) ~= "string" then spec_error(("positional %d needs a name"):format(i)) end
    self.positional[#self.positional + 1] = {name = name, key = key_of(name), help = p.help or "",
      required = p.required == true, multiple = p.multiple == true}
  end
  return self
end

local function usage(self, fmt, ...)
  return Error.new("USAGE", ("%s: " .. fmt):format(self.name, ...),
    {hint = ("see %s --help"):format(self.name)})
end

local BOOL = {["1"] = true, ["true"] = true, yes = true, on = true,
  ["0"] = false, ["false"] = false, no = false, off = false}

--- Converts text (from where: "--x" or "X (environment)") to opt's type; nil + Error.
local function convert(self, opt, text, where, current)
  local t = opt.type
  if t == "string" then
    if opt.choices then
      for _, c in ipairs(opt.choices) do if c == text then return text end end
      return nil, usage(self, "%s: expected one of %s, got '%s'", where,
        table.concat(opt.choices, ", "), text)
    end
    return text
  elseif t == "number" then
    local v = tonumber(text)
    if not v or v ~= v then return nil, usage(self, "%s: expected a number, got '%s'", where, text) end
    return v
  elseif t == "integer" then
    local v = text:match("^%s*[+-]?%d+%s*$") and math.tointeger(tonumber(text))
    if not v then return nil, usage(self, "%s: expected an integer, got '%s'", where, text) end
    return v
  elseif t == "boolean" then
    local v = BOOL[text:lower()]
    if v == nil then return nil, usage(self, "%s: expected true or false, got '%s'", where, text) end
    return v
  elseif t == "list" then
    local out = current or {}
    for item in text:gmatch("[^,]+") do
      item = item:match("^%s*(.-)%s*$")
      if item ~= "" then out[#out + 1] = item end
    end
    return out
  elseif t == "count_or_percent" then
    local n, pct = text:match("^%s*(%d+)%s*(%%?)%s*$")
    n = n and math.tointeger(tonumber(n))
    if not n or (pct == "%" and n > 100) then
      return nil, usage(self, "%s: expected a count or a percent (e.g. 10 or 50%%), got '%s'", where, text)
    end
    if pct == "%" then return n .. "%" end
    return n
  end
end

--- cli:try_parse(argv) -> opts | nil, Error | nil, "help". argv: an array of strings
-- (a script passes `arg` or `{...}`).
function Cli:try_parse(argv)
  if type(argv) ~= "table" then error("bad argument #1 to 'parse' (table expected)", 2) end
  local opts, seen, rest = {}, {}, {}
  local i, n = 1, #argv
  local only_positional = false
  while i <= n do
    local a = argv[i]
    if type(a) ~= "string" then return nil, usage(self, "argument %d is not a string", i) end
    if only_positional or a == "-" or a:sub(1, 1) ~= "-" then
      rest[#rest + 1] = a
    elseif a == "--" then
      only_positional = true
    elseif a == "--help" or a == "-h" then
      return nil, "help"
    else
      local name, value
      local opt, negated
      if a:sub(1, 2) == "--" then
        name, value = a:match("^%-%-([^=]+)=(.*)$")
        name = name or a:sub(3)
        opt = self.by_name[name]
        if not opt and name:sub(1, 3) == "no-" then
          opt = self.by_name[name:sub(4)]
          if opt and opt.type == "boolean" and value == nil then negated = true else opt = nil end
        end
      elseif #a == 2 then
        opt = self.by_short[a:sub(2)]
        name = a:sub(2)
      end
      if not opt then return nil, usage(self, "unknown option '%s'", a) end
      local where = "--" .. opt.name
      if opt.type == "boolean" and value == nil then
        opts[opt.key] = not negated
      else
        if value == nil then
          i = i + 1
          value = argv[i]
          if value == nil then return nil, usage(self, "%s needs a value", where) end
        end
        if seen[opt.key] and opt.type ~= "list" then
          return nil, usage(self, "%s is given twice", where)
        end
        local v, err = convert(self, opt, value, where, opts[opt.key])
        if err then return nil, err end
        opts[opt.key] = v
      end
      seen[opt.key] = true
    end
    i = i + 1
  end
  -- environment and defaults, then the required check
  for _, opt in ipairs(self.options) do
    if opts[opt.key] == nil and opt.env then
      local text = os.getenv(opt.env)
      if text and text ~= "" then
        local v, err = convert(self, opt, text, opt.env .. " (environment)")
        if err then return nil, err end
        opts[opt.key] = v
      end
    end
    if opts[opt.key] == nil and opt.default ~= nil then
      local d = opt.default
      if type(d) == "table" then
        local copy = {}
        for k, v in ipairs(d) do copy[k] = v end
        d = copy
      end
      opts[opt.key] = d
    end
    if opts[opt.key] == nil and opt.required then
      return nil, usage(self, "--%s is required%s", opt.name,
        opt.env and (" (or set %s)"):format(opt.env) or "")
    end
  end
  -- positional arguments
  local k = 1
  for idx, p in ipairs(self.positional) do
    if p.multiple then
      local list = {}
      while k <= #rest do list[#list + 1] = rest[k]; k = k + 1 end
      if p.required and #list == 0 then
        return nil, usage(self, "%s is required (one or more)", p.name:upper())
      end
      opts[p.key] = list
    else
      if rest[k] == nil then
        if p.required then return nil, usage(self, "%s is required", p.name:upper()) end
      else
        opts[p.key] = rest[k]
        k = k + 1
      end
    end
    if idx == #self.positional then break end
  end
  if k <= #rest then return nil, usage(self, "unexpected argument '%s'", rest[k]) end
  return opts
end

local function metavar(opt)
  if opt.type == "boolean" then return "" end
  if opt.metavar then return " " .. opt.metavar end
  if opt.type == "count_or_percent" then return " N|N%" end
  if opt.choices then return " " .. table.concat(opt.choices, "|") end
  return " " .. opt.name:upper():gsub("%-", "_")
end

--- cli:help() -> the help text (the usage line, the options with their types,
-- defaults and environment variables, the epilog).
function Cli:help()
  local lines = {}
  local words = {"usage: " .. self.name}
  for _, opt in ipairs(self.options) do
    if opt.required then words[#words + 1] = "--" .. opt.name .. metavar(opt) end
  end
  words[#words + 1] = "[options]"
  for _, p in ipairs(self.positional) do
    local w = p.name:upper() .. (p.multiple and "..." or "")
    words[#words + 1] = p.required and w or ("[" .. w .. "]")
  end
  lines[1] = table.concat(words, " ")
  if self.summary then lines[#lines + 1] = ""; lines[#lines + 1] = self.summary end
  if #self.positional > 0 then
    lines[#lines + 1] = ""
    lines[#lines + 1] = "Arguments:"
    for _, p in ipairs(self.positional) do
      lines[#lines + 1] = ("  %-24s %s"):format(p.name:upper() .. (p.multiple and "..." or ""), p.help)
    end
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = "Options:"
  local all = {}
  for _, opt in ipairs(self.options) do all[#all + 1] = opt end
  all[#all + 1] = {name = "help", short = "h", type = "boolean", help = "show this help and exit"}
  for _, opt in ipairs(all) do
    local head = (opt.short and ("-" .. opt.short .. ", ") or "") .. "--" .. opt.name .. metavar(opt)
    local notes = {}
    if opt.required then notes[#notes + 1] = "required" end
    if opt.default ~= nil then
      local d = opt.default
      if type(d) == "table" then d = table.concat(d, ",") end
      notes[#notes + 1] = "default: " .. tostring(d)
    end
    if opt.env then notes[#notes + 1] = "env: " .. opt.env end
    if opt.type == "list" then notes[#notes + 1] = "comma-separated, repeatable" end
    if opt.type == "boolean" and opt.name ~= "help" then notes[#notes + 1] = "--no-" .. opt.name .. " to unset" end
    local text = opt.help .. (#notes > 0 and (" [" .. table.concat(notes, "; ") .. "]") or "")
    if #head > 24 then
      lines[#lines + 1] = "  " .. head
      lines[#lines + 1] = ("  %-24s %s"):format("", text)
    else
      lines[#lines + 1] = ("  %-24s %s"):format(head, text)
    end
  end
  if self.epilog then lines[#lines + 1] = ""; lines[#lines + 1] = self.epilog end
  return table.concat(lines, "\n") .. "\n"
end

--- Applies --log-level and --log-file (common options): a bad log file is a usage error.
function Cli:apply_common(opts)
  local log = require "datagrok.log"
  if opts.log_level then log.set_level(opts.log_level) end
  if opts.log_file then
    local ok, err = log.set_file(opts.log_file)
    if not ok then return nil, usage(self, "--log-file: %s", tostring(err)) end
  end
  return opts
end

--- cli:parse(argv) -> opts. --help prints the help and exits 0; a usage error prints
-- one line on standard error and exits 2.
function Cli:parse(argv)
  local opts, err = self:try_parse(argv)
  if opts and self.common then opts, err = self:apply_common(opts) end
  if opts then return opts end
  if err == "help" then
    io.stdout:write(self:help())
    io.stdout:flush()
    os.exit(0, true)
  end
  io.stderr:write(("%s (%s)\n"):format(err.message, err.hint))
  io.stderr:flush()
  os.exit(2, true)
end

return setmetatable(M, {__call = function(_, spec) return M.new(spec) end})
