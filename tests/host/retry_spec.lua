-- The retry policy (docs/safety.md, promises 9 and 10) against the emulator's
-- fault injection: what is retried, how long it waits, when it gives up.
local datagrok = require "datagrok"
local emulator = require "emulator"
local system = require "system"

local e

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

setup(function() e = emulator.start{demo = true, faults = true} end)
teardown(function() if e then e:stop() end end)
before_each(function() e:clear_faults(); e:clear_requests() end)

describe("retries", function()
  it("retry a 503 after the Retry-After wait, twice, then succeed", function()
    local dg = client{retries = 3, max_backoff = 5}
    e:fault{prefix = LOOKUP, count = 2, action = "status", status = 503, retry_after = 2}
    local ok, groups, elapsed = timed(dg.lookup_groups, dg, "Chemists")
    assert.is_true(ok, tostring(groups))
    assert.are.equal("Chemists", groups[1].name)
    assert.are.equal(3, count_requests(LOOKUP))
    assert.is_true(elapsed >= 4.0, "waited only " .. elapsed .. " s")
    assert.is_true(elapsed < 7.0, "waited " .. elapsed .. " s")
  end)

  it("honour a Retry-After given as an HTTP date", function()
    -- without the header the first wait would be 0.25..0.5 s of backoff
    local dg = client{retries = 1, max_backoff = 10}
    e:fault{prefix = LOOKUP, count = 1, action = "status", status = 503, retry_after_date = 3}
    local ok, groups, elapsed = timed(dg.lookup_groups, dg, "Chemists")
    assert.is_true(ok, tostring(groups))
    assert.are.equal("Chemists", groups[1].name)
    assert.are.equal(2, count_requests(LOOKUP))
    -- the date has whole seconds: the wait is 2..3 s of wall time
    assert.is_true(elapsed >= 1.9, "waited only " .. elapsed .. " s")
    assert.is_true(elapsed < 4.5, "waited " .. elapsed .. " s")
    -- a date now (or past) retries at once; a date beyond the cap gives up at once
    e:clear_requests()
    e:fault{prefix = LOOKUP, count = 1, action = "status", status = 429, retry_after_date = 0}
    ok, groups, elapsed = timed(dg.lookup_groups, dg, "Chemists")
    assert.is_true(ok, tostring(groups))
    assert.is_true(elapsed < 1.5, "waited " .. elapsed .. " s")
    e:fault{prefix = LOOKUP, count = 2, action = "status", status = 503, retry_after_date = 3600}
    local err
    ok, err, elapsed = timed(dg.lookup_groups, dg, "Chemists")
    assert.is_false(ok)
    assert.are.equal("HTTP_503", err.code)
    assert.are.equal(1, err.attempts)
    assert.matches("beyond the 10 s cap", err.message)
    assert.is_true(elapsed < 1.5, "took " .. elapsed .. " s")
  end)

  it("give up at once when Retry-After exceeds the cap (HTTP_429, exit 4)", function()
    local dg = client{retries = 3, max_backoff = 2}
    e:fault{prefix = LOOKUP, count = 5, action = "status", status = 429, retry_after = 3600}
    local ok, err, elapsed = timed(dg.lookup_groups, dg, "Chemists")
    assert.is_false(ok)
    assert.are.equal("HTTP_429", err.code)
    assert.are.equal(429, err.status)
    assert.are.equal(1, err.attempts)
    assert.matches("3600 s", err.message)
    assert.are.equal(4, datagrok.Error.exit_code(err))
    assert.is_true(elapsed < 1.5, "took " .. elapsed .. " s")
    assert.are.equal(1, count_requests(LOOKUP))
  end)

  it("back off exponentially without Retry-After, then give up with the attempts", function()
    local dg = client{retries = 2, max_backoff = 0.3}
    e:fault{prefix = LOOKUP, count = 5, action = "status", status = 502}
    local ok, err, elapsed = timed(dg.lookup_groups, dg, "Chemists")
    assert.is_false(ok)
    assert.are.equal("HTTP_502", err.code)
    assert.are.equal(3, err.attempts)
    assert.matches("gave up after 3 attempts", err.message)
    assert.are.equal(4, datagrok.Error.exit_code(err))
    assert.are.equal(3, count_requests(LOOKUP))
    -- waits: about 0.5 s then capped at 0.3 s, each jittered to at least half
    assert.is_true(elapsed >= 0.25 and elapsed < 2.0, "took " .. elapsed .. " s")
  end)

  it("retry 504 and a connection reset for a GET", function()
    local dg = client{retries = 2, max_backoff = 0.1}
    e:fault{prefix = LOOKUP, count = 1, action = "reset"}
    e:fault{prefix = LOOKUP, count = 1, action = "status", status = 504}
    local ok, groups = pcall(dg.lookup_groups, dg, "Chemists")
    assert.is_true(ok, tostring(groups))
    assert.are.equal("Chemists", groups[1].name)
    assert.are.equal(3, count_requests(LOOKUP))
  end)

  it("retry a truncated answer for a GET", function()
    local dg = client{retries = 1, max_backoff = 0.1}
    local id = dg:lookup_groups("Chemists")[1].id
    e:clear_requests()
    e:fault{prefix = "/public/v1/groups/" .. id, count = 1, action = "truncate", after_bytes = 20}
    local g = dg:get_group(id)
    assert.are.equal("Chemists", g.name)
    assert.are.equal(2, count_requests("/public/v1/groups/" .. id))
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
  end)

  it("with retries = 0 make one attempt", function()
    local dg = client{retries = 0}
    e:fault{prefix = LOOKUP, count = 2, action = "status", status = 503, retry_after = 0}
    local ok, err = pcall(dg.lookup_groups, dg, "Chemists")
    assert.is_false(ok)
    assert.are.equal(1, err.attempts)
    assert.are.equal(1, count_requests(LOOKUP))
  end)
end)

describe("timeouts", function()
  it("abort a stalled answer with the low-speed limit (TIMEOUT, exit 4)", function()
    local dg = client{retries = 0, low_speed_time = 1}
    e:fault{prefix = LOOKUP, count = 1, action = "stall", stall_seconds = 10}
    local ok, err, elapsed = timed(dg.lookup_groups, dg, "Chemists")
    assert.is_false(ok)
    assert.are.equal("TIMEOUT", err.code)
    assert.are.equal(4, datagrok.Error.exit_code(err))
    assert.is_true(elapsed < 4, "took " .. elapsed .. " s")
    -- stalled mid-body too, and then retried to success
    local dg2 = client{retries = 1, low_speed_time = 1, max_backoff = 0.1}
    e:fault{prefix = LOOKUP, count = 1, action = "stall", stall_seconds = 10, after_bytes = 10}
    local ok2, groups = pcall(dg2.lookup_groups, dg2, "Chemists")
    assert.is_true(ok2, tostring(groups))
    assert.are.equal("Chemists", groups[1].name)
  end)

  it("abort a request that exceeds the overall timeout", function()
    local dg = client{retries = 0, timeout = 1, low_speed_time = 30}
    e:fault{prefix = LOOKUP, count = 1, action = "stall", stall_seconds = 10}
    local ok, err, elapsed = timed(dg.lookup_groups, dg, "Chemists")
    assert.is_false(ok)
    assert.are.equal("TIMEOUT", err.code)
    assert.is_true(elapsed < 3, "took " .. elapsed .. " s")
  end)

  it("report an unreachable server as CONNECT after the retries", function()
    local dg = datagrok.new("Bearer k", "http://127.0.0.1:1", {retries = 1, max_backoff = 0.1})
    local ok, err = pcall(dg.lookup_groups, dg, "x")
    assert.is_false(ok)
    assert.are.equal("CONNECT", err.code)
    assert.are.equal(2, err.attempts)
    assert.are.equal(4, datagrok.Error.exit_code(err))
  end)
end)
