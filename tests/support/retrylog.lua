--- Test helper (host specs): the retries the HTTP client logged, with their waits.
--
--     local retrylog = require "retrylog"
--     local log = retrylog.start()   -- datagrok.log at debug level, into a temp file
--     ... requests ...
--     local retries = log:take()     -- the retries logged since start/the last take:
--     -- { {attempt = 1, of = 3, wait = 2.0, why = "HTTP 503, Retry-After 2 s"}, ... }
--     log:stop()                     -- back to the previous level, logging to stderr
--
-- The client logs each retry before it sleeps (src/http.c, dg_http_perform):
--   "<time> debug http: retry <attempt>/<retries> in <wait, %.2f> s after <why>"
-- where why is "HTTP <status>", "HTTP <status>, Retry-After <n> s" or curl's message.
-- Asserting these waits, not wall-clock time, keeps retry specs exact on a loaded
-- machine (a slow machine only makes a spec slower, never flaky).
local log = require "datagrok.log"

local M = {}
M.__index = M

function M.start()
  local self = setmetatable({ path = os.tmpname(), offset = 0, level = log.level() }, M)
  assert(log.set_file(self.path))
  log.set_level("debug")
  return self
end

--- The retry lines logged since the last take (or start).
function M:take()
  local f = assert(io.open(self.path, "rb"))
  f:seek("set", self.offset)
  local text = f:read("a")
  self.offset = f:seek()
  f:close()
  local out = {}
  for attempt, of, wait, why in text:gmatch("debug +http: retry (%d+)/(%d+) in ([%d.]+) s after ([^\n]*)") do
    out[#out + 1] = { attempt = tonumber(attempt), of = tonumber(of), wait = tonumber(wait), why = why }
  end
  return out
end

--- The sum of the waits of a list from take().
function M.total(retries)
  local s = 0
  for _, r in ipairs(retries) do s = s + r.wait end
  return s
end

function M:stop()
  log.set_file(nil)
  log.set_level(self.level)
  os.remove(self.path)
end

return M
