--- Test helper: runs `datagrok emulate` in the background for a spec.
--
--     local emulator = require "emulator"
--     local e = emulator.start{demo = true, faults = true, data = nil}
--     -- e.url, e.key, e.data, e.pid
--     e:fault{prefix = "/public/v1/groups", count = 2, action = "status", status = 503, retry_after = 1}
--     local res = e:http("GET", "/public/v1/groups/current")   -- {status=, headers=, body=}
--     e:requests()      -- the recorded requests (decoded JSON), e:clear_requests()
--     e:restart()       -- same data dir;  e:kill9();  e:stop()
--
-- Works under stock lua5.4 (cli specs) and inside the binary (host specs): HTTP goes
-- through `curl` (io.popen), processes through the shell. The binary is $DATAGROK_BIN.
-- Options of start: demo, faults (default true), data (a directory; default a fresh
-- one, removed by e:stop()), key, port, bin, env (a string of VAR=value prefixes),
-- tls_cert + tls_key (PEM files: serve https; e:http trusts tls_cert unless
-- opts.cacert == false). emulator.self_signed(dir) makes such a pair with openssl.
local M = {}

local function json_module()
  local ok, j = pcall(require, "datagrok.json")
  if ok and type(j) == "table" and j.decode then
    return { decode = j.decode, encode = j.encode }
  end
  local dk = require "dkjson"
  return {
    decode = function(s)
      local v, _, err = dk.decode(s, 1, nil)
      if err then error("invalid JSON: " .. err .. ": " .. s:sub(1, 200), 2) end
      return v
    end,
    encode = function(v) return dk.encode(v) end,
  }
end
M.json = json_module()

--- Quotes a string for /bin/sh.
local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
M.shell_quote = q

local function sleep(seconds) os.execute("sleep " .. seconds) end
M.sleep = sleep

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end
M.read_file = read_file

local function write_file(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end
M.write_file = write_file

--- Runs a shell command (stdin from /dev/null); returns its exit code (128+N for a
-- signal), stdout and stderr.
function M.run(cmd)
  local out, err = os.tmpname(), os.tmpname()
  local ok, how, code = os.execute("(" .. cmd .. ") >" .. q(out) .. " 2>" .. q(err) .. " </dev/null")
  local o, e = read_file(out), read_file(err)
  os.remove(out)
  os.remove(err)
  if how == "signal" then code = 128 + code end
  return ok and 0 or code, o, e
end

--- Makes a self-signed certificate for 127.0.0.1 (and localhost) in dir with openssl;
-- returns the certificate and key paths.
function M.self_signed(dir)
  local cert, key = dir .. "/cert.pem", dir .. "/key.pem"
  local code, _, err = M.run(("openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 2 "
    .. "-subj /CN=127.0.0.1 -addext 'subjectAltName=IP:127.0.0.1,DNS:localhost'"):format(q(key), q(cert)))
  assert(code == 0, "openssl could not make a certificate: " .. tostring(err))
  return cert, key
end

--- A fresh empty directory (under $TMPDIR or /tmp).
function M.tmpdir()
  local p = io.popen("mktemp -d \"${TMPDIR:-/tmp}/dg-emu.XXXXXXXX\"")
  local dir = p:read("l")
  p:close()
  assert(dir and dir ~= "", "mktemp -d failed")
  return dir
end

--- True while the process exists and is not a zombie.
local function alive(pid)
  local stat = read_file("/proc/" .. pid .. "/stat")
  if not stat then return false end
  local state = stat:match("^%d+ %b() (%a)")
  return state ~= nil and state ~= "Z" and state ~= "X"
end
M.alive = alive

local Emulator = {}
Emulator.__index = Emulator

-- Emulators still running when the Lua state closes are killed (a spec that forgot
-- e:stop() must not leave servers behind).
local running = {}
M._reaper = setmetatable({}, { __gc = function()
  for e in pairs(running) do
    if e.pid then os.execute("kill -KILL " .. e.pid .. " 2>/dev/null") end
  end
end })

--- Spawns the emulator and waits until it answers. Raises when it does not start.
local function spawn(self)
  local args = { "emulate", "--data", self.data }
  if self.demo then args[#args + 1] = "--demo" end
  if self.faults then args[#args + 1] = "--faults" end
  if self.key then args[#args + 1] = "--key"; args[#args + 1] = self.key end
  if self.port then args[#args + 1] = "--port"; args[#args + 1] = tostring(self.port) end
  if self.tls_cert then
    for _, a in ipairs({ "--tls-cert", self.tls_cert, "--tls-key", self.tls_key }) do args[#args + 1] = a end
  end
  local quoted = {}
  for i, a in ipairs(args) do quoted[i] = q(a) end
  self.out = self.data .. ".out"
  self.err = self.data .. ".err"
  os.remove(self.out)
  local cmd = ("%s %s %s >%s 2>>%s </dev/null & echo $!"):format(
    self.env or "", q(self.bin), table.concat(quoted, " "), q(self.out), q(self.err))
  local p = assert(io.popen(cmd))
  self.pid = tonumber(p:read("l"))
  p:close()
  assert(self.pid, "could not start the emulator")
  running[self] = true
  local deadline = os.time() + 20
  while true do
    local out = read_file(self.out) or ""
    local url = out:match("DATAGROK_URL=(%S+)\n")
    local key = out:match("DATAGROK_API_KEY=(%S+)\n")
    if url and key then
      self.url, self.key = url, key
      break
    end
    if not alive(self.pid) or os.time() > deadline then
      error("emulator did not start: " .. (read_file(self.err) or "") .. out)
    end
    sleep(0.02)
  end
  -- it listens before printing; one request proves the handler works
  local res = self:http("GET", "/public/v1/healthcheck")
  assert(res.status == 200, "emulator healthcheck failed: " .. tostring(res.status))
  return self
end

--- Starts an emulator: see the module comment for the options.
function M.start(opts)
  opts = opts or {}
  local self = setmetatable({
    bin = opts.bin or os.getenv("DATAGROK_BIN") or "datagrok",
    demo = opts.demo ~= false and (opts.demo or false),
    faults = opts.faults ~= false,
    key = opts.key,
    port = opts.port,
    env = opts.env,
    tls_cert = opts.tls_cert,
    tls_key = opts.tls_key,
  }, Emulator)
  if opts.data then
    self.data = opts.data
  else
    self.data = M.tmpdir()
    self.own_data = true
  end
  return spawn(self)
end

--- Starts an emulator with the demo content and fault injection, and a client of it
-- that retries twice with short waits (the set-up most host specs share). Inside the
-- binary only (it requires "datagrok"). Returns the emulator and the client.
function M.start_with_client()
  local e = M.start { demo = true, faults = true }
  return e, require("datagrok").new("Bearer " .. e.key, e.url, { retries = 2, max_backoff = 0.1 })
end

--- One HTTP request with curl. opts: body (string), body_file (path), headers (table),
-- key (false: no Authorization; a string: sent verbatim; default "Bearer <key>"),
-- output (a file for the body instead of memory), max_time (seconds), query (string).
-- The path is sent as given (--path-as-is: `..` is not resolved by curl).
-- Returns {status = <number or 0 when the connection failed>, headers = {lower-case name
-- = value}, body = <string>, curl_exit = <curl's exit code>, time = <seconds>}.
function Emulator:http(method, path, opts)
  opts = opts or {}
  local hfile = os.tmpname()
  local bfile = opts.output or os.tmpname()
  local cmd = { "curl", "-s", "--path-as-is", "-X", q(method), "-D", q(hfile), "-o", q(bfile),
                "-w", q("%{http_code} %{time_total}") }
  if opts.max_time then cmd[#cmd + 1] = "--max-time " .. tonumber(opts.max_time) end
  if self.tls_cert and opts.cacert ~= false then cmd[#cmd + 1] = "--cacert " .. q(self.tls_cert) end
  local auth = opts.key
  if auth == nil then auth = "Bearer " .. self.key end
  if auth then cmd[#cmd + 1] = "-H " .. q("Authorization: " .. auth) end
  for k, v in pairs(opts.headers or {}) do cmd[#cmd + 1] = "-H " .. q(k .. ": " .. v) end
  local tmp_body
  if opts.body then
    tmp_body = os.tmpname()
    write_file(tmp_body, opts.body)
    cmd[#cmd + 1] = "--data-binary @" .. q(tmp_body)
  elseif opts.body_file then
    cmd[#cmd + 1] = "--data-binary @" .. q(opts.body_file)
  end
  local url = self.url .. path
  if opts.query then url = url .. "?" .. opts.query end
  cmd[#cmd + 1] = q(url)
  local p = assert(io.popen(table.concat(cmd, " ") .. "; echo \" $?\""))
  local out = p:read("a")
  p:close()
  local code, time, rc = out:match("(%d+) ([%d.]+)%s+(%d+)")
  local res = { status = tonumber(code) or 0, time = tonumber(time), curl_exit = tonumber(rc),
                headers = {} }
  for line in (read_file(hfile) or ""):gmatch("[^\r\n]+") do
    local k, v = line:match("^([^:]+):%s*(.*)$")
    if k then res.headers[k:lower()] = v end
  end
  if not opts.output then
    res.body = read_file(bfile) or ""
    os.remove(bfile)
  end
  os.remove(hfile)
  if tmp_body then os.remove(tmp_body) end
  return res
end

--- Like http, then decodes the body as JSON (raises when it is not JSON).
function Emulator:json(method, path, opts)
  local res = self:http(method, path, opts)
  local ok, v = pcall(M.json.decode, res.body)
  if not ok then error(("%s %s: status %d, not JSON: %s"):format(method, path, res.status,
    res.body:sub(1, 300)), 2) end
  return v, res
end

--- Arms a fault (see README "The emulator"): {prefix=, method=, count=, action=,
-- status=, retry_after=, retry_after_date=, message=, api_error_header=, location=,
-- stall_seconds=, after_bytes=}.
function Emulator:fault(spec)
  local res = self:http("POST", "/_emulator/faults", { body = M.json.encode(spec),
    headers = { ["Content-Type"] = "application/json" } })
  assert(res.status == 200, "arming the fault failed: " .. res.status .. " " .. res.body)
end

function Emulator:clear_faults()
  assert(self:http("DELETE", "/_emulator/faults").status == 200)
end

--- The recorded requests: {method, path, query, content_type, has_authorization, bearer}.
function Emulator:requests()
  local list = self:json("GET", "/_emulator/requests")
  return list
end

--- The last request the emulator recorded (nil when none).
function Emulator:last_request()
  local list = self:requests()
  return list[#list]
end

function Emulator:clear_requests()
  assert(self:http("DELETE", "/_emulator/requests").status == 200)
end

local function wait_gone(pid, seconds)
  local deadline = os.time() + seconds
  while alive(pid) do
    if os.time() > deadline then return false end
    sleep(0.02)
  end
  return true
end

--- Stops the process (SIGTERM, then SIGKILL after 10 s); keep_data keeps a temporary data dir.
function Emulator:stop(keep_data)
  if self.pid and alive(self.pid) then
    os.execute("kill -TERM " .. self.pid .. " 2>/dev/null")
    if not wait_gone(self.pid, 10) then
      os.execute("kill -KILL " .. self.pid .. " 2>/dev/null")
      wait_gone(self.pid, 5)
    end
  end
  self.pid = nil
  running[self] = nil
  if not keep_data then
    os.remove(self.out or "")
    os.remove(self.err or "")
    if self.own_data then os.execute("rm -rf " .. q(self.data)) end
  end
end

--- Kills the process with SIGKILL (no clean-up by the emulator).
function Emulator:kill9()
  os.execute("kill -KILL " .. self.pid .. " 2>/dev/null")
  wait_gone(self.pid, 5)
  self.pid = nil
  running[self] = nil
end

--- Starts it again on the same data dir and key (a new port unless one was given).
function Emulator:restart()
  if self.pid then self:stop(true) end
  return spawn(self)
end

--- What the emulator wrote on stderr so far.
function Emulator:stderr() return read_file(self.err) or "" end

return M
