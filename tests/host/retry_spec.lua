-- The retry policy (docs/safety.md, promises 9 and 10) against the emulator's
-- fault injection: what is retried, how long it waits, when it gives up.
-- The waits are the ones the client logged before sleeping (tests/support/
-- retrylog.lua), not wall-clock bounds, which flake on a loaded machine; the
-- elapsed time is only checked from below (the client did sleep what it logged)
-- and, for the timeouts, against a stall many times longer than the limit.
local datagrok = require "datagrok"
local emulator = require "emulator"
local retrylog = require "retrylog"
local system = require "system"

local e, log

local function count_requests(path)
  local n = 0
  for _, r in ipairs(e:requests()) do if r.path == path then n = n + 1 end end
  return n
end

-- Calls fn and returns ok, result-or-error, elapsed seconds.
local function timed(fn, ...)
  local t0 = system.monotime()
  local ok, v = pcall(fn, ...)
  return ok, v, system.monotime() - t0
end

local function client(opts)
  return datagrok.new("Bearer " .. e.key, e.url, opts)
end

local LOOKUP = "/public/v1/groups/lookup"

-- the waits of retries, as logged (slack for the log's two decimals)
local function assert_wait(r, lo, hi)
  assert.is_true(r.wait >= lo - 0.005 and r.wait <= hi + 0.005,
    ("retry %d waited %s s, not %s..%s s (%s)"):format(r.attempt, r.wait, lo, hi, r.why))
end

-- the client slept at least what it logged (a lower bound never flakes)
local function assert_slept(retries, elapsed)
  local total = retrylog.total(retries)
  assert.is_true(elapsed >= total - 0.05, ("logged %.2f s of waits, took %.2f s"):format(total, elapsed))
end

setup(function()
  e = emulator.start{demo = true, faults = true}
  log = retrylog.start()
end)
teardown(function()
  if log then log:stop() end
  if e then e:stop() end
end)
before_each(function() e:clear_faults(); e:clear_requests(); log:take() end)

describe("retries", function()
  it("retry a 503 after the Retry-After wait, twice, then succeed", function()
    local dg = client{retries = 3, max_backoff = 5}
    e:fault{prefix = LOOKUP, count = 2, action = "status", status = 503, retry_after = 2}
    local ok, groups, elapsed = timed(dg.lookup_groups, dg, "Chemists")
    assert.is_true(ok, tostring(groups))
    assert.are.equal("Chemists", groups[1].name)
    assert.are.equal(3, count_requests(LOOKUP))
    local retries = log:take()
    assert.are.equal(2, #retries)
    for i, r in ipairs(retries) do
      assert.are.equal(i, r.attempt)
      assert.are.equal(3, r.of)
      assert.are.equal(2.0, r.wait)
      assert.are.equal("HTTP 503, Retry-After 2 s", r.why)
    end
    assert_slept(retries, elapsed)
  end)

  it("honour a Retry-After given as an HTTP date", function()
    -- without the header the first wait would be 0.25..0.5 s of backoff
    local dg = client{retries = 1, max_backoff = 10}
    e:fault{prefix = LOOKUP, count = 1, action = "status", status = 503, retry_after_date = 3}
    local ok, groups, elapsed = timed(dg.lookup_groups, dg, "Chemists")
    assert.is_true(ok, tostring(groups))
    assert.are.equal("Chemists", groups[1].name)
    assert.are.equal(2, count_requests(LOOKUP))
    -- the wait is the date minus the client's clock, in whole seconds: at most 3 s
    -- (less when the answer took a while to arrive), never the fractional backoff
    local retries = log:take()
    assert.are.equal(1, #retries)
    local asked = tonumber(retries[1].why:match("^HTTP 503, Retry%-After (%d+) s$"))
    assert.is_not_nil(asked, retries[1].why)
    assert.are.equal(asked, retries[1].wait)
    assert_wait(retries[1], 0, 3)
    assert_slept(retries, elapsed)
    -- a date now (or past) retries at once; a date beyond the cap gives up at once
    e:clear_requests()
    e:fault{prefix = LOOKUP, count = 1, action = "status", status = 429, retry_after_date = 0}
    ok, groups = pcall(dg.lookup_groups, dg, "Chemists")
    assert.is_true(ok, tostring(groups))
    assert.are.same({{attempt = 1, of = 1, wait = 0, why = "HTTP 429, Retry-After 0 s"}}, log:take())
    e:fault{prefix = LOOKUP, count = 2, action = "status", status = 503, retry_after_date = 3600}
    local err
    ok, err = pcall(dg.lookup_groups, dg, "Chemists")
    assert.is_false(ok)
    assert.are.equal("HTTP_503", err.code)
    assert.are.equal(1, err.attempts)
    assert.matches("beyond the 10 s cap", err.message)
    assert.are.same({}, log:take())
  end)

  it("give up at once when Retry-After exceeds the cap (HTTP_429, exit 4)", function()
    local dg = client{retries = 3, max_backoff = 2}
    e:fault{prefix = LOOKUP, count = 5, action = "status", status = 429, retry_after = 3600}
    local ok, err = pcall(dg.lookup_groups, dg, "Chemists")
    assert.is_false(ok)
    assert.are.equal("HTTP_429", err.code)
    assert.are.equal(429, err.status)
    assert.are.equal(1, err.attempts)
    assert.matches("3600 s", err.message)
    assert.are.equal(4, datagrok.Error.exit_code(err))
    assert.are.same({}, log:take()) -- no wait at all
    assert.are.equal(1, count_requests(LOOKUP))
  end)

  it("back off exponentially without Retry-After, then give up with the attempts", function()
    local dg = client{retries = 3, max_backoff = 0.8}
    e:fault{prefix = LOOKUP, count = 5, action = "status", status = 502}
    local ok, err, elapsed = timed(dg.lookup_groups, dg, "Chemists")
    assert.is_false(ok)
    assert.are.equal("HTTP_502", err.code)
    assert.are.equal(4, err.attempts)
    assert.matches("gave up after 4 attempts", err.message)
    assert.are.equal(4, datagrok.Error.exit_code(err))
    assert.are.equal(4, count_requests(LOOKUP))
    -- waits: 0.5 s, 1 s capped at 0.8 s, 0.8 s, each jittered down to no less than half
    local retries = log:take()
    assert.are.equal(3, #retries)
    for i, r in ipairs(retries) do
      assert.are.equal(i, r.attempt)
      assert.are.equal(3, r.of)
      assert.are.equal("HTTP 502", r.why)
    end
    assert_wait(retries[1], 0.25, 0.5)
    assert_wait(retries[2], 0.4, 0.8)
    assert_wait(retries[3], 0.4, 0.8)
    assert_slept(retries, elapsed)
  end)

  it("retry 504 and a connection reset for a GET", function()
    local dg = client{retries = 2, max_backoff = 0.1}
    e:fault{prefix = LOOKUP, count = 1, action = "reset"}
    e:fault{prefix = LOOKUP, count = 1, action = "status", status = 504}
    local ok, groups = pcall(dg.lookup_groups, dg, "Chemists")
    assert.is_true(ok, tostring(groups))
    assert.are.equal("Chemists", groups[1].name)
    assert.are.equal(3, count_requests(LOOKUP))
    local retries = log:take()
    assert.are.equal(2, #retries)
    assert.are_not.equal("HTTP 504", retries[1].why) -- the reset: curl's message
    assert.are.equal("HTTP 504", retries[2].why)
    for _, r in ipairs(retries) do assert_wait(r, 0.05, 0.1) end
  end)

  it("retry a truncated answer for a GET", function()
    local dg = client{retries = 1, max_backoff = 0.1}
    local id = dg:lookup_groups("Chemists")[1].id
    e:clear_requests()
    e:fault{prefix = "/public/v1/groups/" .. id, count = 1, action = "truncate", after_bytes = 20}
    local g = dg:get_group(id)
    assert.are.equal("Chemists", g.name)
    assert.are.equal(2, count_requests("/public/v1/groups/" .. id))
    assert.are.equal(1, #log:take())
  end)

  it("never retry a 400", function()
    local dg = client{retries = 3, max_backoff = 0.1}
    e:fault{prefix = LOOKUP, count = 3, action = "status", status = 400}
    local ok, err = pcall(dg.lookup_groups, dg, "Chemists")
    assert.is_false(ok)
    assert.are.equal("HTTP_400", err.code)
    assert.are.equal(1, err.attempts)
    assert.are.equal(1, count_requests(LOOKUP))
    assert.are.equal(1, datagrok.Error.exit_code(err))
    assert.are.same({}, log:take())
  end)

  it("never retry call_function or a membership request", function()
    local dg = client{retries = 3, max_backoff = 0.1}
    e:fault{prefix = "/public/v1/Abs/call", count = 3, action = "status", status = 503, retry_after = 0}
    local ok, err = pcall(dg.call_function, dg, "Abs", {x = -1})
    assert.is_false(ok)
    assert.are.equal(1, err.attempts)
    assert.are.equal(1, count_requests("/public/v1/Abs/call"))
    local chem = dg:lookup_groups("Chemists")[1].id
    local path = "/public/v1/groups/" .. chem .. "/request"
    e:fault{prefix = path, count = 3, action = "status", status = 503}
    ok = pcall(dg.request_group_membership, dg, chem)
    assert.is_false(ok)
    assert.are.equal(1, count_requests(path))
    assert.are.same({}, log:take())
  end)

  it("with retries = 0 make one attempt", function()
    local dg = client{retries = 0}
    e:fault{prefix = LOOKUP, count = 2, action = "status", status = 503, retry_after = 0}
    local ok, err = pcall(dg.lookup_groups, dg, "Chemists")
    assert.is_false(ok)
    assert.are.equal(1, err.attempts)
    assert.are.equal(1, count_requests(LOOKUP))
    assert.are.same({}, log:take())
  end)
end)

-- The limit is 1 s, the stall 30 s: the bound of 15 s only fails when the limit
-- did not apply, however loaded the machine.
describe("timeouts", function()
  it("abort a stalled answer with the low-speed limit (TIMEOUT, exit 4)", function()
    local dg = client{retries = 0, low_speed_time = 1}
    e:fault{prefix = LOOKUP, count = 1, action = "stall", stall_seconds = 30}
    local ok, err, elapsed = timed(dg.lookup_groups, dg, "Chemists")
    assert.is_false(ok)
    assert.are.equal("TIMEOUT", err.code)
    assert.are.equal(4, datagrok.Error.exit_code(err))
    assert.is_true(elapsed >= 0.9 and elapsed < 15, "took " .. elapsed .. " s")
    -- stalled mid-body too, and then retried to success
    local dg2 = client{retries = 1, low_speed_time = 1, max_backoff = 0.1}
    e:fault{prefix = LOOKUP, count = 1, action = "stall", stall_seconds = 30, after_bytes = 10}
    log:take()
    local ok2, groups = pcall(dg2.lookup_groups, dg2, "Chemists")
    assert.is_true(ok2, tostring(groups))
    assert.are.equal("Chemists", groups[1].name)
    local retries = log:take()
    assert.are.equal(1, #retries)
    assert.matches("[Tt]imeout", retries[1].why)
  end)

  it("abort a request that exceeds the overall timeout", function()
    local dg = client{retries = 0, timeout = 1, low_speed_time = 60}
    e:fault{prefix = LOOKUP, count = 1, action = "stall", stall_seconds = 30}
    local ok, err, elapsed = timed(dg.lookup_groups, dg, "Chemists")
    assert.is_false(ok)
    assert.are.equal("TIMEOUT", err.code)
    assert.is_true(elapsed >= 0.9 and elapsed < 15, "took " .. elapsed .. " s")
  end)

  it("report an unreachable server as CONNECT after the retries", function()
    local dg = datagrok.new("Bearer k", "http://127.0.0.1:1", {retries = 1, max_backoff = 0.1})
    local ok, err = pcall(dg.lookup_groups, dg, "x")
    assert.is_false(ok)
    assert.are.equal("CONNECT", err.code)
    assert.are.equal(2, err.attempts)
    assert.are.equal(4, datagrok.Error.exit_code(err))
    local retries = log:take()
    assert.are.equal(1, #retries)
    assert_wait(retries[1], 0.05, 0.1)
  end)
end)
