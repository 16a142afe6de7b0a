--- Test helper for the workflows in scripts/: runs one the way cron does.
--
--     local wf = require "workflow"
--     local home = wf.home(e)                      -- a HOME whose ~/.grok/config.yaml points at e
--     local r = wf.cron(home, "nightly-sync.lua", {"--connector", ...})
--     r.code, r.stdout, r.stderr
--
-- cron-like: `env -i HOME=<home> PATH=/usr/bin:/bin`, the binary copied to a directory
-- outside PATH and given by absolute path, the script by absolute path, standard input
-- closed, no controlling terminal (setsid), the working directory /.
local proc = require "proc"
local emulator = require "emulator"

local M = {}
local q = proc.quote

local installed

--- The binary, copied once to a directory that is on no PATH; its absolute path.
function M.installed_bin()
  if not installed then
    local dir = proc.temp_dir() .. "/opt/datagrok/bin"
    os.execute("mkdir -p " .. q(dir) .. " && cp " .. q(proc.bin) .. " " .. q(dir .. "/datagrok"))
    installed = dir .. "/datagrok"
  end
  return installed
end

--- The absolute path of a script of scripts/.
function M.script(name)
  local root = proc.root
  if root:sub(1, 1) ~= "/" then root = os.getenv("PWD") .. "/" .. root end
  return root .. "/scripts/" .. name
end

--- A grok CLI profiles file for emulator e: profile `emu` (the default) with e's key.
function M.grok_config(e, extra)
  return ("servers:\n  emu:\n    url: %s\n    key: %s\n%sdefault: emu\n"):format(e.url, e.key, extra or "")
end

--- A fresh HOME holding ~/.grok/config.yaml (mode 0600) for e.
function M.home(e)
  local home = proc.temp_dir()
  os.execute("mkdir -p " .. q(home .. "/.grok"))
  emulator.write_file(home .. "/.grok/config.yaml", M.grok_config(e))
  os.execute("chmod 600 " .. q(home .. "/.grok/config.yaml"))
  return home
end

--- Runs scripts/<name> with args under cron-like conditions; extra_env adds variables.
function M.cron(home, name, args, extra_env)
  local words = {"cd", "/", "&&", "exec", "setsid", "-w", "env", "-i", "HOME=" .. q(home),
    "PATH=/usr/bin:/bin"}
  for k, v in pairs(extra_env or {}) do words[#words + 1] = k .. "=" .. q(v) end
  words[#words + 1] = q(M.installed_bin())
  words[#words + 1] = q(M.script(name))
  for _, a in ipairs(args or {}) do words[#words + 1] = q(a) end
  words[#words + 1] = "0<&-"
  return proc.sh("sh -c " .. q(table.concat(words, " ")))
end

--- Runs scripts/<name> with args from the test's environment plus env (e.g. the
-- emulator's DATAGROK_URL and DATAGROK_API_KEY).
function M.run(name, args, env)
  local argv = {M.script(name)}
  for _, a in ipairs(args or {}) do argv[#argv + 1] = a end
  return proc.run(argv, {env = env})
end

--- The lines of s.
function M.lines(s)
  local out = {}
  for l in s:gmatch("[^\n]+") do out[#out + 1] = l end
  return out
end

return M
