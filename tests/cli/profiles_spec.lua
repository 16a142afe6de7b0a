-- Profiles from ~/.grok/config.yaml, written the way the grok CLI writes it
-- (js-yaml's dump of its config), under cron-like conditions (env -i): the
-- developer key is exchanged for a token once per client, the precedence of
-- arguments, environment and profile, the errors and warnings, and no key in any
-- output.
local emulator = require "emulator"
local proc = require "proc"

local q = proc.quote
local e, home

-- What `grok config add --alias emu --server URL --key KEY --default` leaves behind
-- after the template: js-yaml quotes the empty keys and writes the rest plain.
local function grok_config(url, key, default)
  return ([[servers:
  dev:
    url: https://dev.datagrok.ai/api
    key: ''
  public:
    url: https://public.datagrok.ai/api
    key: ''
  local:
    url: http://127.0.0.1:8080/api
    key: ''
  emu:
    url: %s
    key: %s
default: %s
]]):format(url, key, default or "emu")
end

local function write_config(text, mode)
  os.execute("mkdir -p " .. q(home .. "/.grok"))
  emulator.write_file(home .. "/.grok/config.yaml", text)
  os.execute(("chmod %s %s"):format(mode or "600", q(home .. "/.grok/config.yaml")))
end

-- Runs `datagrok [pre...] script` under env -i with HOME and PATH only, plus extra env.
local function run(script, extra_env, pre)
  local path = proc.write_temp(script, ".lua")
  local words = {"env", "-i", "HOME=" .. q(home), "PATH=/usr/bin:/bin"}
  for k, v in pairs(extra_env or {}) do words[#words + 1] = k .. "=" .. q(v) end
  words[#words + 1] = q(proc.bin)
  for _, a in ipairs(pre or {}) do words[#words + 1] = q(a) end
  words[#words + 1] = q(path)
  local r = proc.sh(table.concat(words, " "))
  os.remove(path)
  return r
end

local WHO = [[local dg = require("datagrok").connect(...)
print(tostring(dg), dg.api_key and "api_key" or "nil", dg.profile, dg:get_current_user_group().name)]]

local function logins()
  local n = 0
  for _, r in ipairs(e:requests()) do
    if r.path:match("^/users/login/dev/") then n = n + 1 end
  end
  return n
end

setup(function()
  e = emulator.start{demo = true, faults = true}
  home = proc.temp_dir()
end)
teardown(function()
  if e then e:stop() end
  os.execute("rm -rf " .. q(home))
end)
before_each(function()
  e:clear_requests()
  write_config(grok_config(e.url, e.key))
end)

describe("profiles", function()
  it("connect() uses the default profile, logs in once and sends the token", function()
    local r = run(WHO .. [[
      dg:lookup_groups("Chemists"); dg:lookup_groups("Developers")]])
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal(("datagrok.Client<%s>\tnil\temu\tadmin\n"):format(e.url), r.stdout)
    assert.are.equal("", r.stderr)
    assert.are.equal(1, logins())
    local reqs = e:requests()
    assert.are.equal("POST", reqs[1].method)
    assert.is_false(reqs[1].has_authorization)
    for i = 2, #reqs do
      assert.is_true(reqs[i].has_authorization)
      assert.is_false(reqs[i].bearer) -- the token goes bare, as the grok CLI sends it
    end
  end)

  it("takes profile= , DATAGROK_PROFILE and --profile", function()
    write_config(grok_config(e.url, e.key, "public"))
    local r = run([[local dg = require("datagrok").connect{profile = "emu"}
      print(dg.profile, dg:get_current_user_group().name)]])
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal("emu\tadmin\n", r.stdout)
    r = run(WHO, {DATAGROK_PROFILE = "emu"})
    assert.are.equal(0, r.code, r.stderr)
    assert.matches("\temu\tadmin\n$", r.stdout)
    r = run(WHO, nil, {"--profile", "emu"})
    assert.are.equal(0, r.code, r.stderr)
    assert.matches("\temu\tadmin\n$", r.stdout)
  end)

  it("follows the precedence: arguments, then environment, then the profile", function()
    -- the environment beats the default profile
    write_config(grok_config("http://127.0.0.1:1/api", e.key))
    local r = run(WHO, {DATAGROK_URL = e.url, DATAGROK_API_KEY = e.key})
    assert.are.equal(0, r.code, r.stderr)
    assert.matches("\tapi_key\tnil\tadmin\n$", r.stdout) -- no profile: an API key client
    -- an explicit profile beats the environment
    write_config(grok_config(e.url, e.key))
    r = run([[local dg = require("datagrok").connect{profile = "emu", retries = 0}
      print(dg.profile, dg:get_current_user_group().name)]],
      {DATAGROK_URL = "http://127.0.0.1:1", DATAGROK_API_KEY = "wrong-key"})
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal("emu\tadmin\n", r.stdout)
    -- an explicit url beats both
    r = run(([[local dg = require("datagrok").connect{url = %q, api_key = %q}
      print(dg.profile, dg:get_current_user_group().name)]]):format(e.url, e.key),
      {DATAGROK_PROFILE = "nope"})
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal("nil\tadmin\n", r.stdout)
  end)

  it("a missing profile is CONFIG naming the file and its profiles (exit 2)", function()
    local r = run(WHO, {DATAGROK_PROFILE = "staging"})
    assert.are.equal(2, r.code)
    assert.matches("CONFIG: no profile 'staging' %(DATAGROK_PROFILE%) in " .. home:gsub("%p", "%%%0")
      .. "/%.grok/config%.yaml; it has: dev, emu, local, public", r.stderr)
    os.remove(home .. "/.grok/config.yaml")
    r = run([[require("datagrok").connect{profile = "emu"}]])
    assert.are.equal(2, r.code)
    assert.matches("config%.yaml does not exist", r.stderr)
    -- a profile without a key (the template's) is named
    write_config(grok_config(e.url, e.key))
    r = run([[require("datagrok").connect{profile = "dev"}]])
    assert.are.equal(2, r.code)
    assert.matches("profile 'dev' in .- has no key", r.stderr)
  end)

  it("malformed YAML is CONFIG naming the file and the line", function()
    write_config("servers:\n  emu:\n    url: [unclosed\n")
    local r = run(WHO)
    assert.are.equal(2, r.code)
    assert.matches("CONFIG: the profiles file is not valid YAML: .-config%.yaml: .- at line %d+", r.stderr)
  end)

  it("warns when the file is readable by group or others", function()
    write_config(grok_config(e.url, e.key), "644")
    local r = run(WHO)
    assert.are.equal(0, r.code, r.stderr)
    assert.matches("warn  config: .-config%.yaml holds keys and is readable by others %(mode 0644%)",
      r.stderr)
    write_config(grok_config(e.url, e.key), "600")
    assert.are.equal("", run(WHO).stderr)
  end)

  it("never shows the developer key or the token, even when tracing", function()
    local r = run(WHO .. [[
      print(dg.headers); print(require("datagrok").json.encode(dg.headers))]], nil,
      {"--log-level", "debug"})
    assert.are.equal(0, r.code, r.stderr)
    assert.matches("POST [^\n]*/users/login/dev/%*%*%* %-> 200", r.stderr)
    for _, s in ipairs({r.stdout, r.stderr}) do
      assert.is_nil(s:find(e.key, 1, true))
    end
    local tokens = e:json("GET", "/public/v1/healthcheck") and
      emulator.json.decode(emulator.read_file(e.data .. "/state/tokens.json"))
    for token in pairs(tokens) do
      assert.is_nil(r.stdout:find(token, 1, true))
      assert.is_nil(r.stderr:find(token, 1, true))
    end
  end)

  it("a refused developer key exits 3 without showing it", function()
    write_config(grok_config(e.url, "not-the-key-4242"))
    local r = run(WHO)
    assert.are.equal(3, r.code)
    assert.matches("HTTP_401", r.stderr)
    assert.matches("/users/login/dev/%*%*%*", r.stderr)
    assert.is_nil(r.stderr:find("not-the-key-4242", 1, true))
  end)

  it("refuses to send a developer key over plain http to another host", function()
    write_config(grok_config("http://example.invalid/api", "sekrit-dev-key"))
    local r = run(WHO)
    assert.are.equal(2, r.code)
    assert.matches("plain http://", r.stderr)
    assert.is_nil(r.stderr:find("sekrit-dev-key", 1, true))
  end)

  it("connect rejects options it does not know (exit 2)", function()
    local r = run([[require("datagrok").connect{profle = "emu"}]])
    assert.are.equal(2, r.code)
    assert.matches("USAGE: datagrok.connect: unknown option 'profle'", r.stderr)
    r = run([[require("datagrok").connect{profile = 3}]])
    assert.are.equal(2, r.code)
    assert.matches("option 'profile' must be a string", r.stderr)
  end)
end)
