-- The emulator's limits against local misuse (README, "The emulator", "Limits"): a body
-- without valid credentials is refused before it is read, idle connections cannot lock
-- everyone out, tokens die with the key that issued them, and the demo functions answer
-- 400 for bad input instead of wrapping around or failing with 500.
-- Every connection here goes to 127.0.0.1; the connection test holds at most 300 sockets
-- for about 13 seconds.
local emulator = require "emulator"
local json = emulator.json
local q = emulator.shell_quote
local run = emulator.run

local function api_error(res, status)
  assert.equal(status, res.status, res.body)
  local v = json.decode(res.body)
  assert.equal("ApiError", v["#type"])
  assert.equal(status, v.errorCode)
  return v.message
end

describe("emulator limits", function()
  describe("a body without valid credentials", function()
    it("is answered 401 before it is read or spooled", function()
      local e = emulator.start{}
      local big = os.tmpname()
      finally(function() e:stop(); os.remove(big) end)
      assert(os.execute("truncate -s 300M " .. q(big))) -- sparse: no disk used
      local function post(auth, expect)
        local code, out = run(("curl -s -o /dev/null -w '%%{http_code} %%{size_upload} %%{time_total}' "
          .. "%s -X POST -T %s %s %s"):format(expect, q(big), auth,
          q(e.url .. "/public/v1/files/Test.Share/big.bin")))
        local status, sent, secs = out:match("^(%d+) (%d+) ([%d.]+)$")
        assert.is_true(tonumber(secs) < 5, out)
        return code, status, tonumber(sent)
      end
      for _, auth in ipairs({ "", "-H 'Authorization: Bearer wrong-key'" }) do
        -- as curl sends a big body by default (Expect: 100-continue): the 401 comes
        -- instead of the go-ahead, and no byte of the body is sent
        local code, status, sent = post(auth, "")
        assert.equal(0, code)
        assert.equal("401", status)
        assert.equal(0, sent)
        -- a client that sends the body at once ("Expect:" off) gets the 401 or, when it
        -- is still sending as the emulator closes the connection, a send error or a
        -- reset (curl 55, 56); either way quickly, and the body is not stored
        code, status, sent = post(auth, "-H 'Expect:'")
        assert.is_true(code == 0 and status == "401" or code == 55 or code == 56, code .. " " .. status)
        assert.is_true(sent < 64 * 1024 * 1024, "sent " .. sent .. " bytes")
      end
      -- an unknown route gets the same treatment (its 404 needs the key when a body comes)
      local code, status, sent = run(("curl -s -o /dev/null -w '%%{http_code} %%{size_upload}' -X POST -T %s %s")
        :format(q(big), q(e.url .. "/public/v1/no/such/route")))
      assert.equal(0, code)
      assert.equal("401 0", status)
      local _, left = run("ls -A " .. q(e.data .. "/tmp"))
      assert.equal("", left)
      assert.equal(404, e:http("GET", "/public/v1/files/Test.Share/big.bin").status)
      -- a body with a good key is still taken
      assert.equal(200, e:http("POST", "/public/v1/files/Test.Share/small.txt", { body = "ok" }).status)
      assert.equal("ok", e:http("GET", "/public/v1/files/Test.Share/small.txt").body)
    end)
  end)

  describe("idle connections", function()
    it("are refused fast above the limit and closed after the idle timeout", function()
      local e = emulator.start{}
      local py, outfile, pid = os.tmpname(), os.tmpname(), nil
      finally(function() -- busted keeps one finally per test: all the clean-up is here
        if pid then os.execute("kill " .. pid .. " 2>/dev/null") end
        e:stop()
        os.remove(py)
        os.remove(outfile)
      end)
      local host, port = e.url:match("^http://([%d.]+):(%d+)$")
      assert.equal("127.0.0.1", host)
      -- 300 connections that never send a byte (above the limit of 256), held 13 s
      local script = [[
import socket, select, sys, time
port = int(sys.argv[1])
socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(300)]
def closed():
    n = 0
    for s in socks:
        r, _, _ = select.select([s], [], [], 0)
        if r and s.recv(1) == b"":
            n += 1
    return n
time.sleep(1)
print("refused", closed(), flush=True)
time.sleep(12)
print("closed", closed(), flush=True)
]]
      emulator.write_file(py, script)
      local p = assert(io.popen(("python3 %s %s > %s 2>&1 & echo $!"):format(q(py), port, q(outfile))))
      pid = p:read("l")
      p:close()
      emulator.sleep(2)
      -- at the limit a new connection is refused at once, never left waiting
      local busy = e:http("GET", "/public/v1/healthcheck", { max_time = 5 })
      assert.is_true(busy.time < 2, "refusal took " .. tostring(busy.time) .. " s")
      -- after the idle timeout (10 s) the server has closed the idle connections
      emulator.sleep(10)
      assert.equal(200, e:http("GET", "/public/v1/healthcheck", { max_time = 5 }).status)
      local deadline = os.time() + 10
      local out
      repeat
        emulator.sleep(0.5)
        out = emulator.read_file(outfile) or ""
      until out:find("closed") or os.time() > deadline
      local refused = tonumber(out:match("refused (%d+)"))
      local closed = tonumber(out:match("closed (%d+)"))
      assert.is_true(refused >= 300 - 256, out)
      assert.equal(300, closed, out)
    end)
  end)

  describe("login tokens", function()
    it("stop working when the emulator restarts with a new key", function()
      local e = emulator.start{ key = "first-key-0123456789" }
      finally(function() e:stop() end)
      local token = e:json("POST", "/users/login/dev/" .. e.key, { key = false }).token
      assert.equal(200, e:http("GET", "/public/v1/users/current", { key = token }).status)
      e:restart() -- the same key: the token still works
      assert.equal(200, e:http("GET", "/public/v1/users/current", { key = token }).status)
      e.key = "second-key-9876543210"
      e:restart()
      api_error(e:http("GET", "/public/v1/users/current", { key = token }), 401)
      api_error(e:http("GET", "/public/v1/users/current", { key = "Bearer " .. token }), 401)
      assert.equal(200, e:http("GET", "/public/v1/users/current").status)
      -- the state never holds the key
      local _, found = run(("grep -rl %s %s || true"):format(q("first-key"), q(e.data .. "/state")))
      assert.equal("", found)
    end)
  end)

  describe("the demo functions", function()
    local e
    setup(function() e = emulator.start{} end)
    teardown(function() e:stop() end)

    local function call(name, body)
      return e:http("POST", "/public/v1/functions/" .. name .. "/call", { body = body,
        headers = { ["Content-Type"] = "application/json" } })
    end

    it("answer 400 for integer results beyond 64 bits instead of wrapping around", function()
      local max, min = "9223372036854775807", "-9223372036854775808"
      for _, c in ipairs({ { "Add", '{"a":' .. max .. ',"b":1}' }, { "Add", '{"a":' .. min .. ',"b":-1}' },
                           { "Sub", '{"a":' .. min .. ',"b":1}' }, { "Sub", '{"a":0,"b":' .. min .. '}' },
                           { "Mul", '{"a":4611686018427387904,"b":2}' }, { "Mul", '{"a":-1,"b":' .. min .. '}' },
                           { "Mul", '{"a":3037000500,"b":3037000500}' }, { "Abs", '{"x":' .. min .. '}' } }) do
        local msg = api_error(call(c[1], c[2]), 400)
        assert.matches("does not fit in a 64%-bit integer", msg, 1, false)
      end
      assert.equal(max, call("Add", '{"a":' .. (max - 1) .. ',"b":1}').body)
      assert.equal(min, call("Sub", '{"a":' .. (min + 1) .. ',"b":1}').body)
      assert.equal("-9223372036854775808", call("Mul", '{"a":-4611686018427387904,"b":2}').body)
      assert.equal("9", call("Mul", '{"a":3,"b":3}').body)
    end)

    it("answer 400 for infinite input or results", function()
      for _, c in ipairs({ { "Sqrt", '{"x":1e999}' }, { "Abs", '{"x":-1e999}' }, { "Round", '{"x":1e999}' },
                           { "Add", '{"a":1e308,"b":1e308}' }, { "Mul", '{"a":1e308,"b":10}' },
                           { "Exp", '{"x":1000}' }, { "Div", '{"a":1e308,"b":1e-308}' } }) do
        local msg = api_error(call(c[1], c[2]), 400)
        assert.matches("finite", msg, 1, true)
      end
      assert.equal("3.0", call("Sqrt", '{"x":9}').body)
      assert.equal("2.5", call("Add", '{"a":1,"b":1.5}').body)
    end)
  end)
end)
