--- Test helper: checks an operation's retry policy against the emulator's faults.
--
--     local policy = require "retry_policy"
--     policy.retried(e, "GET", "/public/v1/users/alice", function() return dg.users:get("alice") end)
--     policy.not_retried(e, "POST", "/public/v1/users", function() return dg.users:save(u) end)
--
-- Both arm one 503 (Retry-After 0) for the first request with that method whose path
-- starts with the prefix. `retried` expects the call to succeed after exactly two such
-- requests and returns its result; `not_retried` expects the HTTP_503 error after one
-- and returns the error. The client must allow at least one retry.
local M = {}

local function count(e, method, prefix)
  local n = 0
  for _, r in ipairs(e:requests()) do
    if r.method == method and r.path:sub(1, #prefix) == prefix then n = n + 1 end
  end
  return n
end

local function arm(e, method, prefix)
  e:clear_faults()
  e:clear_requests()
  e:fault{prefix = prefix, method = method, count = 1, action = "status", status = 503, retry_after = 0}
end

function M.retried(e, method, prefix, fn)
  arm(e, method, prefix)
  local ok, res = pcall(fn)
  assert(ok, "expected the call to be retried and succeed: " .. tostring(res))
  local n = count(e, method, prefix)
  assert(n == 2, ("expected 2 %s %s requests (one retry), saw %d"):format(method, prefix, n))
  return res
end

function M.not_retried(e, method, prefix, fn)
  arm(e, method, prefix)
  local ok, err = pcall(fn)
  assert(not ok, "expected the call to fail with the injected 503")
  assert(type(err) == "table" and err.code == "HTTP_503", "expected HTTP_503, got " .. tostring(err))
  assert(err.attempts == 1, "expected one attempt, got " .. tostring(err.attempts))
  local n = count(e, method, prefix)
  assert(n == 1, ("expected 1 %s %s request (no retry), saw %d"):format(method, prefix, n))
  e:clear_faults()
  return err
end

return M
