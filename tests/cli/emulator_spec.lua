-- `datagrok emulate`: start and stop, the printed lines, flags, error shapes, keys,
-- persistence (restart and kill -9), fault injection, streamed big bodies.
local emulator = require "emulator"
local json = emulator.json
local q = emulator.shell_quote
local BIN = assert(os.getenv("DATAGROK_BIN"), "DATAGROK_BIN must be set")

local run = emulator.run

local function api_error(res, code)
  assert.equal("true", res.headers["api-error"])
  local v = json.decode(res.body)
  assert.equal("ApiError", v["#type"])
  assert.equal(code, v.errorCode)
  assert.is_string(v.message)
  return v
end

local function vm_hwm_kib(pid)
  local s = emulator.read_file("/proc/" .. pid .. "/status") or ""
  return tonumber(s:match("VmHWM:%s*(%d+)"))
end

describe("datagrok emulate", function()
  describe("command line", function()
    it("exits 2 with the usage on stderr for a bad flag", function()
      for _, args in ipairs({ "--bogus", "--port abc", "--port", "--port 70000", "--key ''", "extra",
                              "--portx 1", "--demo=yes", "--dataa /tmp", "--tls-certificate x",
                              "--faults=1" }) do
        local code, out, err = run(q(BIN) .. " emulate " .. args)
        assert.equal(2, code, args)
        assert.equal("", out, args)
        assert.matches("usage: datagrok emulate", err, 1, true)
      end
    end)

    it("prints its usage on stdout for --help", function()
      local code, out, err = run(q(BIN) .. " emulate --help")
      assert.equal(0, code)
      assert.equal("", err)
      assert.matches("^usage: datagrok emulate", out)
      for _, flag in ipairs({ "--port", "--data", "--key", "--demo", "--faults" }) do
        assert.matches(flag, out, 1, true)
      end
    end)

    it("prints exactly the URL and the key, and uses a given key", function()
      local e = emulator.start{ key = "my-secret-key-123" }
      finally(function() e:stop() end)
      local out = emulator.read_file(e.out)
      assert.matches("^DATAGROK_URL=http://127%.0%.0%.1:%d+\nDATAGROK_API_KEY=my%-secret%-key%-123\n$", out)
      assert.equal("my-secret-key-123", e.key)
    end)

    it("generates a different random key each start", function()
      local a = emulator.start{}
      local b = emulator.start{}
      finally(function() a:stop(); b:stop() end)
      assert.matches("^%x+$", a.key)
      assert.is_true(#a.key >= 32)
      assert.are_not.equal(a.key, b.key)
      assert.are_not.equal(a.url, b.url)
    end)

    it("listens on the port asked for, on loopback only", function()
      -- find a free port by starting on 0, stopping, and asking for that port
      local a = emulator.start{}
      local port = tonumber(a.url:match(":(%d+)$"))
      a:stop()
      local e = emulator.start{ port = port }
      finally(function() e:stop() end)
      assert.equal("http://127.0.0.1:" .. port, e.url)
      -- the listening socket is bound to 127.0.0.1, not to every interface
      local tcp = emulator.read_file("/proc/net/tcp")
      local hex = ("%04X"):format(port)
      assert.matches("0100007F:" .. hex .. " 00000000:0000 0A", tcp, 1, true)
      assert.is_nil(tcp:find("00000000:" .. hex .. " 00000000:0000 0A", 1, true))
    end)

    it("stops on SIGTERM and SIGINT with exit 0 and removes its temporary data dir", function()
      local tmp = emulator.tmpdir()
      finally(function() os.execute("rm -rf " .. q(tmp)) end)
      for _, sig in ipairs({ "TERM", "INT" }) do
        local script = ("TMPDIR=%s %s emulate >%s/out & pid=$!; "
          -- up to 20 s for the start on a loaded machine: a signal sent before the emulator
          -- blocks it kills it (TERM) or is lost (INT is ignored in a background job)
          .. "for i in $(seq 400); do grep -q KEY %s/out 2>/dev/null && break; sleep 0.05; done; "
          .. "kill -%s $pid; wait $pid; echo \"rc=$?\"; ls %s | grep -c datagrok-emulator"):format(
          q(tmp), q(BIN), q(tmp), q(tmp), sig, q(tmp))
        local _, out = run(script)
        assert.matches("rc=0\n0\n", out, 1, true)
      end
    end)

    it("serves https with --tls-cert/--tls-key, refused by a client that does not trust it", function()
      local dir = emulator.tmpdir()
      local cert, key = emulator.self_signed(dir)
      local e = emulator.start{ demo = true, tls_cert = cert, tls_key = key }
      finally(function()
        e:stop()
        os.execute("rm -rf " .. q(dir))
      end)
      assert.matches("^https://127%.0%.0%.1:%d+$", e.url)
      local untrusted = e:http("GET", "/public/v1/healthcheck", { cacert = false })
      assert.equal(60, untrusted.curl_exit)
      local res = e:http("GET", "/public/v1/tables/demog")
      assert.equal(200, res.status)
      assert.matches("^subject,age", res.body)
      -- one of the pair alone is a usage error; an unreadable or malformed file stops the start
      assert.equal(2, (run(q(BIN) .. " emulate --tls-cert " .. q(cert))))
      local code, _, err = run(q(BIN) .. " emulate --tls-cert " .. q(dir .. "/none.pem") .. " --tls-key " .. q(key))
      assert.equal(1, code)
      assert.matches("cannot read the certificate .*none%.pem", err)
      code, _, err = run(q(BIN) .. " emulate --tls-cert " .. q(key) .. " --tls-key " .. q(key))
      assert.equal(1, code)
      assert.matches("could not start", err)
    end)

    it("keeps a given data dir when it stops", function()
      local dir = emulator.tmpdir()
      local e = emulator.start{ data = dir }
      e:stop()
      finally(function() os.execute("rm -rf " .. q(dir)) end)
      local f = io.open(dir .. "/state/users.json")
      assert.is_not_nil(f)
      f:close()
    end)
  end)

  describe("requests", function()
    local e
    setup(function() e = emulator.start{ demo = true, faults = true } end)
    teardown(function() e:stop() end)
    before_each(function() e:clear_faults() end)

    it("accepts Bearer keys, bare keys and tokens from /users/login/dev", function()
      assert.equal(200, e:http("GET", "/public/v1/users/current").status)
      assert.equal(200, e:http("GET", "/public/v1/users/current", { key = e.key }).status)
      local t = e:json("POST", "/users/login/dev/" .. e.key, { key = false })
      assert.is_string(t.token)
      assert.are_not.equal(e.key, t.token)
      local me = e:json("GET", "/public/v1/users/current", { key = t.token })
      assert.equal("admin", me.login)
      assert.equal(200, e:http("GET", "/public/v1/users/current", { key = "Bearer " .. t.token }).status)
    end)

    it("refuses a missing key, a bad key and a bad developer key with 401 ApiError", function()
      api_error(e:http("GET", "/public/v1/groups/current", { key = false }), 401)
      local res = e:http("GET", "/public/v1/groups/current", { key = "Bearer wrong" })
      assert.equal(401, res.status)
      local v = api_error(res, 401)
      assert.is_nil(v.message:find(e.key, 1, true))
      assert.equal(401, e:http("GET", "/public/v1/groups/current", { key = "wrong" }).status)
      assert.equal(401, e:http("POST", "/users/login/dev/nope", { key = false }).status)
      -- the control routes need the key too
      assert.equal(401, e:http("GET", "/_emulator/requests", { key = false }).status)
    end)

    it("answers an unknown route with 404 and an ApiError", function()
      local res = e:http("GET", "/public/v1/no/such/route")
      assert.equal(404, res.status)
      assert.matches("no route", api_error(res, 404).message)
      assert.equal(405, e:http("DELETE", "/public/v1/healthcheck").status)
    end)

    it("answers a malformed JSON body with 400 naming where it broke", function()
      local res = e:http("POST", "/public/v1/groups", { body = '{"name": "x",', headers = {
        ["Content-Type"] = "application/json" } })
      assert.equal(400, res.status)
      local v = api_error(res, 400)
      assert.matches("malformed JSON", v.message)
      assert.matches("line 1 column", v.message)
    end)

    it("answers a missing entity with 200 + api-error + ApiError{errorCode=404}", function()
      for _, path in ipairs({ "/public/v1/groups/nope", "/public/v1/tables/nope", "/public/v1/users/nope" }) do
        local res = e:http("GET", path)
        assert.equal(200, res.status, path)
        api_error(res, 404)
      end
      local res = e:http("POST", "/public/v1/NoSuchFunction/call", { body = "{}" })
      assert.equal(200, res.status)
      api_error(res, 404)
    end)

    it("accepts a Content-Type on GET, an /api prefix and doubled slashes", function()
      local res = e:http("GET", "/api//public/v1/tables/Demo.demog", { headers = { ["Content-Type"] = "text/plain" } })
      assert.equal(200, res.status)
      assert.matches("^subject,age,sex,race,height,weight\n", res.body)
    end)

    it("never crashes on odd input", function()
      for _, path in ipairs({ "/%ff%00", "/public/v1/groups/%2e%2e", "/public/v1/files/x/..%2f..%2fetc",
                              "/public/v1/groups?admin=maybe", "/%", "/public/v1/tables/" }) do
        local res = e:http("GET", path)
        assert.is_true(res.status >= 200 and res.status < 600, path)
      end
      assert.equal(400, e:http("GET", "/public/v1/groups/" .. "Developers" .. "/members",
        { query = "admin=maybe" }).status)
      -- a NUL decoded from %00 reaches Lua intact (and is refused in a file name)
      assert.equal(400, e:http("POST", "/public/v1/files/S/a%00b", { body = "x" }).status)
      assert.same({}, e:json("GET", "/public/v1/groups/lookup", { query = "query=Chem%00ists&x%00=1" }))
      assert.equal(1, #e:json("GET", "/public/v1/groups/lookup", { query = "query=Chem%69sts&x%00=1" }))
      assert.equal(200, e:http("GET", "/public/v1/healthcheck").status)
    end)

    it("answers a failing handler with 500 ApiError and logs it, then goes on", function()
      local x = emulator.start{ demo = true }
      finally(function() x:stop() end)
      -- a Lua handler failing: the share's folder cannot be created (a file is in the way)
      emulator.write_file(x.data .. "/files/blocked", "not a directory")
      local res = x:http("POST", "/public/v1/files/Blocked/a.txt", { body = "x" })
      assert.equal(500, res.status)
      assert.matches("internal emulator error", api_error(res, 500).message)
      assert.matches("POST /public/v1/files/Blocked/a.txt failed", x:stderr(), 1, true)
      -- the C side failing to open what Lua served: the table's data file is gone
      os.remove(x.data .. "/tables/de300000-9a50-11e6-9cc9-00000000de30.csv")
      res = x:http("GET", "/public/v1/tables/demog")
      assert.equal(500, res.status)
      api_error(res, 500)
      assert.equal(200, x:http("GET", "/public/v1/healthcheck").status)
      assert.is_nil(x:stderr():find(x.key, 1, true))
    end)

    it("records requests without the key", function()
      e:clear_requests()
      e:http("GET", "/public/v1/users/current", { key = e.key, headers = { ["Content-Type"] = "application/json" } })
      e:http("GET", "/public/v1/groups/Developers/members", { query = "admin=True" })
      local list = e:requests()
      assert.equal(2, #list)
      assert.same({ method = "GET", path = "/public/v1/users/current", query = "",
                    content_type = "application/json", has_authorization = true, bearer = false }, list[1])
      assert.equal("admin=True", list[2].query)
      assert.is_true(list[2].bearer)
      local raw = e:http("GET", "/_emulator/requests").body
      assert.is_nil(raw:find(e.key, 1, true))
      e:clear_requests()
      assert.same({}, e:requests())
    end)
  end)

  describe("fault injection", function()
    local e
    setup(function() e = emulator.start{ demo = true, faults = true } end)
    teardown(function() e:stop() end)
    before_each(function() e:clear_faults() end)

    it("answers the next N matching requests with a status and Retry-After", function()
      e:fault{ prefix = "/public/v1/groups", method = "GET", count = 2, action = "status", status = 503, retry_after = 2 }
      assert.equal(200, e:http("POST", "/public/v1/groups/Developers/request").status) -- other method
      for _ = 1, 2 do
        local res = e:http("GET", "/public/v1/groups/current")
        assert.equal(503, res.status)
        assert.equal("2", res.headers["retry-after"])
        api_error(res, 503)
      end
      assert.equal(200, e:http("GET", "/public/v1/groups/current").status)
    end)

    it("resets the connection", function()
      e:fault{ prefix = "/public/v1/healthcheck", action = "reset" }
      local res = e:http("GET", "/public/v1/healthcheck")
      assert.equal(0, res.status)
      assert.is_true(res.curl_exit == 52 or res.curl_exit == 56)
      assert.equal(200, e:http("GET", "/public/v1/healthcheck").status)
    end)

    it("stalls without sending anything, while other requests are served", function()
      e:fault{ prefix = "/public/v1/tables", action = "stall", stall_seconds = 3 }
      local out = os.tmpname()
      os.execute(("curl -s -o /dev/null -w '%%{http_code}' --max-time 5 -H %s %s >%s &"):format(
        q("Authorization: " .. e.key), q(e.url .. "/public/v1/tables/demog"), q(out)))
      emulator.sleep(0.5)
      local res = e:http("GET", "/public/v1/healthcheck", { max_time = 2 })
      assert.equal(200, res.status)
      local stalled = e:http("GET", "/public/v1/healthcheck", { max_time = 2 })
      assert.equal(200, stalled.status)
      emulator.sleep(3.5)
      assert.equal("000", emulator.read_file(out))
      os.remove(out)
    end)

    it("stalls after some bytes: the client's low-speed timeout fires", function()
      e:fault{ prefix = "/public/v1/tables", action = "stall", stall_seconds = 4, after_bytes = 100 }
      local file = os.tmpname()
      local res = e:http("GET", "/public/v1/tables/demog", { output = file, max_time = 1.5 })
      assert.equal(200, res.status)
      assert.equal(28, res.curl_exit)
      assert.equal(100, #emulator.read_file(file))
      os.remove(file)
    end)

    it("truncates a body after some bytes, having promised all of it", function()
      local full = e:http("GET", "/public/v1/tables/demog").body
      e:fault{ prefix = "/public/v1/tables/demog", action = "truncate", after_bytes = 1000 }
      local res = e:http("GET", "/public/v1/tables/demog")
      assert.equal(18, res.curl_exit)
      assert.equal(tostring(#full), res.headers["content-length"])
      assert.equal(full:sub(1, 1000), res.body)
    end)

    it("streams a multipart body described by /_emulator/multipart, byte for byte", function()
      local desc = { boundary = "b0und", subtype = "mixed", parts = {
        { headers = { ["Content-Disposition"] = 'form-data; name="file"; filename="a.txt"' }, body = "hello" },
        { raw_headers = 'Content-Disposition: form-data; filename="../evil\0x"\r\nX-File-Status: new\r\n', body = "" },
        { headers = { ["X-File-E-Tag"] = "e1" }, connector = "System:DemoFiles", path = "chem/smiles.csv" },
      } }
      local res = e:http("POST", "/_emulator/multipart", { body = json.encode(desc) })
      assert.equal(200, res.status)
      assert.equal("multipart/mixed; boundary=b0und", res.headers["content-type"])
      local smiles = e:http("GET", "/public/v1/files/System.DemoFiles/chem/smiles.csv").body
      local want = '--b0und\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhello\r\n'
        .. '--b0und\r\nContent-Disposition: form-data; filename="../evil\0x"\r\nX-File-Status: new\r\n\r\n\r\n'
        .. "--b0und\r\nX-File-E-Tag: e1\r\n\r\n" .. smiles .. "\r\n--b0und--\r\n"
      assert.equal(want, res.body)
      assert.equal(tostring(#want), res.headers["content-length"])
      -- many parts: streamed, with a generated boundary
      local many = { parts = {} }
      for i = 1, 3000 do
        many.parts[i] = { headers = { ["Content-Disposition"] = ('form-data; filename="f%d.csv"'):format(i) },
                          connector = "System.DemoFiles", path = "demog.csv" }
      end
      res = e:http("POST", "/_emulator/multipart", { body = json.encode(many) })
      local boundary = res.headers["content-type"]:match("^multipart/form%-data; boundary=(%S+)$")
      assert.is_string(boundary)
      assert.equal(3000, select(2, res.body:gsub("\r\n%-%-" .. boundary:gsub("%p", "%%%0") .. "\r\n", "")) + 1)
      assert.equal(tonumber(res.headers["content-length"]), #res.body)
      assert.equal(400, e:http("POST", "/_emulator/multipart", { body = '{"parts":[{"connector":"x","path":"../y"}]}' }).status)
      assert.equal(404, e:http("POST", "/_emulator/multipart", { body = '{"parts":[{"connector":"x","path":"y"}]}' }).status)
    end)

    it("refuses a malformed fault", function()
      local res = e:http("POST", "/_emulator/faults", { body = '{"prefix":"x","action":"status"}' })
      assert.equal(400, res.status)
      res = e:http("POST", "/_emulator/faults", { body = '{"prefix":"/x","action":"explode"}' })
      assert.equal(400, res.status)
      res = e:http("POST", "/_emulator/faults", { body = '{"prefix":"/x","action":"status","status":99}' })
      assert.equal(400, res.status)
      res = e:http("POST", "/_emulator/faults", { body = '{"prefix":"/x","action":"stall","count":-1}' })
      assert.equal(400, res.status)
      res = e:http("POST", "/_emulator/faults", { body = '{"prefix":"/x","action":"reset","count":0}' })
      assert.equal(400, res.status)
    end)

    it("is off without --faults", function()
      local plain = emulator.start{ faults = false }
      finally(function() plain:stop() end)
      assert.equal(404, plain:http("POST", "/_emulator/faults", { body = "{}" }).status)
    end)
  end)

  describe("persistence", function()
    local group = { id = "0d6a9c2e-1111-4222-8333-444455556666", name = "Persisted",
                    friendlyName = "Persisted group", description = "saved before a restart",
                    children = { { id = "0d6a9c2e-1111-4222-8333-000000000001", isAdmin = true,
                                   child = { id = "b0b00000-9a50-11e6-9cc9-00000000b0b1" } } } }

    local function save(e, g)
      local res = e:http("POST", "/public/v1/groups", { query = "saveRelations=true", body = json.encode(g) })
      assert.equal(200, res.status, res.body)
    end

    local function check(e)
      local g = e:json("GET", "/public/v1/groups/" .. group.id)
      assert.equal("Persisted", g.name)
      assert.equal("saved before a restart", g.description)
      assert.equal(1, #g.children)
      assert.equal("bob", g.children[1].child.name)
      assert.is_true(g.children[1].isAdmin)
    end

    it("keeps a saved group across a restart on the same data dir", function()
      local e = emulator.start{ demo = true }
      finally(function() e:stop() end)
      save(e, group)
      local token = e:json("POST", "/users/login/dev/" .. e.key, { key = false }).token
      e:restart()
      check(e)
      assert.equal(200, e:http("GET", "/public/v1/users/current", { key = token }).status)
      -- demo content is not seeded twice, and changes to it are kept
      local list = e:json("GET", "/public/v1/groups/lookup", { query = "query=Chemists" })
      assert.equal(1, #list)
    end)

    it("keeps everything it acknowledged across kill -9", function()
      local e = emulator.start{ demo = true }
      finally(function() e:stop() end)
      save(e, group)
      local up = e:http("POST", "/public/v1/files/Test.Share/a/b.txt", { body = "payload" })
      assert.equal(200, up.status)
      e:kill9()
      e:restart()
      check(e)
      assert.equal("payload", e:http("GET", "/public/v1/files/Test.Share/a/b.txt").body)
    end)
  end)

  describe("big bodies", function()
    it("streams a 256 MiB upload and download in constant memory", function()
      local e = emulator.start{}
      local src, dst = os.tmpname(), os.tmpname()
      finally(function() -- busted keeps one finally per test: all the clean-up is here
        e:stop()
        os.remove(src)
        os.remove(dst)
      end)
      os.execute(("head -c 4194304 /dev/urandom > %s && truncate -s 256M %s"):format(q(src), q(src)))
      local code, out = run(("curl -s -o /dev/null -w '%%{http_code}' -X POST -T %s -H %s %s"):format(q(src),
        q("Authorization: " .. e.key), q(e.url .. "/public/v1/files/Big.Share/blob.bin")))
      assert.equal(0, code)
      assert.equal("200", out)
      local res = e:http("GET", "/public/v1/files/Big.Share/blob.bin", { output = dst })
      assert.equal(200, res.status)
      local _, sums = run(("cmp %s %s && echo same"):format(q(src), q(dst)))
      assert.equal("same\n", sums)
      local hwm = vm_hwm_kib(e.pid)
      assert.is_true(hwm < 64 * 1024, "peak memory " .. tostring(hwm) .. " KiB")
      -- the spooled upload was moved into place: nothing left in tmp/
      local _, left = run("ls -A " .. q(e.data .. "/tmp"))
      assert.equal("", left)
    end)
  end)
end)
