--- Test helper: runs the datagrok binary (or any command) and captures its outcome.
-- local proc = require "proc"
-- local r = proc.run({"-e", "print(1)"}, {stdin = "...", env = {X = "1"}})
-- r.code, r.stdout, r.stderr
local M = {}

--- Path of the binary under test.
M.bin = os.getenv("DATAGROK_BIN") or "build/datagrok"
--- Root of the source tree.
M.root = os.getenv("DATAGROK_SOURCE_DIR") or "."

--- Quotes one word for /bin/sh.
function M.quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

--- Runs a shell command line; returns {code=, stdout=, stderr=}.
function M.sh(cmdline, opts)
  opts = opts or {}
  local out, err, inp = os.tmpname(), os.tmpname(), os.tmpname()
  local f = assert(io.open(inp, "wb"))
  f:write(opts.stdin or "")
  f:close()
  local env = {}
  for k, v in pairs(opts.env or {}) do env[#env + 1] = k .. "=" .. M.quote(v) end
  local prefix = #env > 0 and ("env " .. table.concat(env, " ") .. " ") or ""
  local full = ("%s%s < %s > %s 2> %s"):format(prefix, cmdline, inp, out, err)
  if opts.cwd then full = "cd " .. M.quote(opts.cwd) .. " && " .. full end
  local ok, how, code = os.execute(full)
  local r = {stdout = slurp(out), stderr = slurp(err)}
  if how == "exit" then r.code = code else r.code = 128 + (code or 0) end
  if ok == true and r.code == nil then r.code = 0 end
  os.remove(out); os.remove(err); os.remove(inp)
  return r
end

--- Runs the binary with arguments (an array); opts as for sh.
function M.run(args, opts)
  local words = {M.quote(M.bin)}
  for _, a in ipairs(args or {}) do words[#words + 1] = M.quote(a) end
  return M.sh(table.concat(words, " "), opts)
end

--- Writes text to a fresh temporary file and returns its path.
function M.write_temp(text, suffix)
  local path = os.tmpname() .. (suffix or "")
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
end

--- A fresh temporary directory.
function M.temp_dir()
  local p = io.popen("mktemp -d")
  local d = p:read("l")
  p:close()
  return d
end

return M
