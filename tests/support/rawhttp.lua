--- Test helper: a server answering every request with fixed bytes (tests/support/rawhttp.py).
--
--     local rawhttp = require "rawhttp"
--     local srv = rawhttp.start("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
--     -- srv.url ("http://127.0.0.1:<port>"); srv:stop()
local M = {}

local here = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$")) or "tests/support"

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

function M.start(answer)
  local file = os.tmpname()
  local f = assert(io.open(file, "wb"))
  f:write(answer)
  f:close()
  local out = os.tmpname()
  local p = io.popen(("python3 %s %s > %s 2>/dev/null & echo $!"):format(q(here .. "/rawhttp.py"), q(file), q(out)))
  local pid = tonumber(p:read("l"))
  p:close()
  local port
  for _ = 1, 100 do
    local g = io.open(out, "rb")
    port = g and tonumber(g:read("l"))
    if g then g:close() end
    if port then break end
    os.execute("sleep 0.05")
  end
  assert(port, "the raw HTTP server did not start")
  os.remove(out)
  return setmetatable({ url = "http://127.0.0.1:" .. port, pid = pid, file = file }, {
    __index = {
      stop = function(self)
        os.execute("kill " .. self.pid .. " 2>/dev/null")
        os.remove(self.file)
      end,
    },
  })
end

return M
