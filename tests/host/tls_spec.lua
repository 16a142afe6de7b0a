-- TLS (docs/safety.md, promise 12): the emulator serves https with a
-- self-signed certificate. A client that does not trust it is refused with a
-- TLS error (not retried, nothing sent, no key in the error); `ca_file` makes it
-- trusted; a ca_file that is missing or holds no certificate is a TLS error
-- naming the problem.
local datagrok = require "datagrok"
local emulator = require "emulator"
local proc = require "proc"
local leaks = require "leaks"

local e, dir, cert, key

local function assert_no_key(err)
  assert.is_nil(leaks.find(err, e.key))
end

setup(function()
  dir = emulator.tmpdir()
  cert, key = emulator.self_signed(dir)
  e = emulator.start{demo = true, faults = true, tls_cert = cert, tls_key = key}
end)
teardown(function()
  if e then e:stop() end
  if dir then os.execute("rm -rf " .. emulator.shell_quote(dir)) end
end)
before_each(function() e:clear_faults(); e:clear_requests() end)

describe("https with a self-signed certificate", function()
  it("is refused by default with a TLS error: one attempt, nothing sent, no key shown", function()
    assert.matches("^https://127%.0%.0%.1:%d+$", e.url)
    local dg = datagrok.connect{url = e.url, api_key = e.key, retries = 3, max_backoff = 0.1}
    local ok, err = pcall(dg.lookup_groups, dg, "Chemists")
    assert.is_false(ok)
    assert.are.equal("TLS", err.code)
    assert.are.equal(1, err.attempts)
    assert.matches("certificate", err.message)
    assert.matches("^GET https://127%.0%.0%.1:%d+/public/v1/groups/lookup", err.method .. " " .. err.url)
    assert.is_nil(err.status)
    assert_no_key(err)
    assert.are.same({}, e:requests()) -- the handshake failed before any request
  end)

  it("fails a script with the TLS error on stderr and no key anywhere, traced or not", function()
    local r = proc.run({"--log-level", "debug", "-e", [[require("datagrok").connect{retries = 0}:lookup_groups("x")]]},
      {env = {DATAGROK_URL = e.url, DATAGROK_API_URL = "", DATAGROK_API_KEY = e.key}})
    assert.are.equal(1, r.code)
    assert.matches("TLS", r.stderr)
    assert.matches("certificate", r.stderr)
    assert.is_nil(r.stderr:find(e.key, 1, true))
    assert.is_nil(r.stdout:find(e.key, 1, true))
  end)

  it("is accepted with ca_file naming the certificate, for JSON and streamed bodies", function()
    local dg = datagrok.connect{url = e.url, api_key = e.key, ca_file = cert}
    local groups = dg:lookup_groups("Chemists")
    assert.are.equal("Chemists", groups[1].name)
    local df = dg:download_table("demog")
    assert.are.equal(300, #df)
    local reqs = e:requests()
    assert.are.equal(2, #reqs)
    assert.is_true(reqs[1].has_authorization)
    assert.is_true(reqs[1].bearer)
    -- the same through datagrok.new
    local dg2 = datagrok.new("Bearer " .. e.key, e.url, {ca_file = cert})
    assert.is_true(dg2:get_current_user_group().personal)
  end)

  it("with a missing ca_file is a TLS error naming the file", function()
    local dg = datagrok.connect{url = e.url, api_key = e.key, ca_file = dir .. "/no-such-ca.pem",
                                retries = 2, max_backoff = 0.1}
    local ok, err = pcall(dg.lookup_groups, dg, "Chemists")
    assert.is_false(ok)
    assert.are.equal("TLS", err.code)
    assert.are.equal(1, err.attempts)
    assert.matches("no%-such%-ca%.pem", err.message)
    assert.matches("ca_file: No such file or directory", err.message, 1, true)
    assert_no_key(err)
    assert.are.same({}, e:requests())
  end)

  it("with a ca_file that holds no certificate (or another CA) is a TLS error", function()
    local junk = dir .. "/junk.pem"
    emulator.write_file(junk, "this is not a certificate\n")
    local other_dir = emulator.tmpdir()
    local other_cert = emulator.self_signed(other_dir)
    finally(function() os.execute("rm -rf " .. emulator.shell_quote(other_dir)) end)
    local why = {[junk] = "ca_file: no PEM certificate could be read from it",
                 [key] = "ca_file: no PEM certificate could be read from it",
                 [dir] = "ca_file: a directory, not a file of PEM certificates",
                 [other_cert] = "certificate"}
    for _, ca in ipairs({junk, key, dir, other_cert}) do
      local dg = datagrok.connect{url = e.url, api_key = e.key, ca_file = ca, retries = 2,
                                  max_backoff = 0.1}
      local ok, err = pcall(dg.lookup_groups, dg, "Chemists")
      assert.is_false(ok, ca)
      assert.are.equal("TLS", err.code, ca .. ": " .. tostring(err))
      assert.are.equal(1, err.attempts)
      assert.matches(why[ca], err.message, 1, true)
      assert_no_key(err)
    end
    assert.are.same({}, e:requests())
  end)
end)
