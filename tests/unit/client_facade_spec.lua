-- lua/datagrok/client.lua under stock lua5.4, against fake C modules
-- (tests/support/fake_core.lua): how new and connect resolve the URL and key
-- (arguments, then DATAGROK_URL / DATAGROK_API_URL / DATAGROK_API_KEY) without
-- showing the key, which options reach the session, how the trailing optional
-- arguments are read, how wire answers become Group objects, save payloads,
-- the files sub-client and printing.
local fake_core = require "fake_core"
local uuid = fake_core.uuid

local fake, client, group, null

-- os.getenv as the facade sees it: only the variables of `env`.
local real_getenv = os.getenv
local function set_env(env)
  os.getenv = function(name) return env[name] end -- luacheck: ignore
end

local URL = "https://example.test/api"
local KEY = "Bearer s3cret-key"

local function wire_group(id, name, extra)
  local d = { id = id, name = name, friendlyName = null, personal = false, hidden = false,
    parents = null, children = null }
  for k, v in pairs(extra or {}) do d[k] = v end
  return d
end

-- A string holding every way the client can be shown.
local function shown(dg)
  local parts = { tostring(dg), tostring(dg.headers), tostring(dg.files) }
  return table.concat(parts, "\n")
end

before_each(function()
  fake = fake_core.install()
  null = fake.null
  client = require "datagrok.client"
  group = require "datagrok.group"
  set_env({})
end)

after_each(function() os.getenv = real_getenv end) -- luacheck: ignore

teardown(function() fake_core.uninstall() end)

describe("datagrok.new", function()
  it("opens a session with the URL, the key as Authorization and the known options only", function()
    local dg = client.new(KEY, URL, { timeout = 5, connect_timeout = 2, low_speed_time = 9, retries = 1,
      max_backoff = 0.5, ca_file = "/ca.pem", allow_http = true, bogus = "x" })
    assert.are.equal(1, #fake.sessions)
    assert.are.same({ base_url = URL, authorization = KEY, timeout = 5, connect_timeout = 2,
      low_speed_time = 9, retries = 1, max_backoff = 0.5, ca_file = "/ca.pem", allow_http = true },
      fake.sessions[1].conf)
    assert.are.equal(fake.sessions[1], dg._session)
    assert.are.equal(URL, dg.base_url)
    assert.are.equal(KEY, dg.api_key)
  end)

  it("sends the key verbatim and allows none", function()
    client.new("raw-key", URL)
    assert.are.equal("raw-key", fake.sessions[1].conf.authorization)
    local dg = client.new(nil, URL)
    assert.is_nil(fake.sessions[2].conf.authorization)
    assert.is_nil(dg.api_key)
  end)

  it("checks its argument types before opening a session", function()
    assert.has_error(function() client.new(42, URL) end, "bad argument #1 to 'new' (string expected, got number)")
    assert.has_error(function() client.new(KEY) end, "bad argument #2 to 'new' (string expected, got nil)")
    assert.has_error(function() client.new(KEY, URL, "fast") end,
      "bad argument #3 to 'new' (table expected, got string)")
    assert.are.equal(0, #fake.sessions)
  end)

  it("never shows the key: tostring, headers, sub-clients and pairs", function()
    local dg = client.new(KEY, URL)
    assert.are.equal("datagrok.Client<" .. URL .. ">", tostring(dg))
    assert.are.equal("datagrok.Headers{Authorization = <redacted>}", tostring(dg.headers))
    assert.are.equal("datagrok.Files<datagrok.Client<" .. URL .. ">>", tostring(dg.files))
    assert.is_nil(shown(dg):find("s3cret", 1, true))
    -- the key is no field of the client (dg.api_key reads it from outside the table)
    for k, v in pairs(dg) do
      assert.are_not.equal("api_key", k)
      if type(v) == "string" then assert.is_nil(v:find("s3cret", 1, true), k) end
    end
    assert.is_nil(rawget(dg, "api_key"))
  end)

  it("shows a closed client as closed, and closes its session once per call", function()
    local dg = client.new(KEY, URL)
    dg:close()
    assert.are.equal("datagrok.Client<closed>", tostring(dg))
    assert.are.equal(1, #fake.calls_of("close"))
    do
      local scoped <close> = client.new(KEY, URL)
      assert.is_not_nil(scoped)
    end
    assert.are.equal(2, #fake.calls_of("close"))
    assert.are.equal(fake.sessions[2], fake.calls_of("close")[2].session)
  end)
end)

describe("datagrok.connect", function()
  it("takes url and api_key from its options first", function()
    set_env({ DATAGROK_URL = "https://env.test/api", DATAGROK_API_KEY = "envkey" })
    local dg = client.connect{ url = URL, api_key = KEY, retries = 4 }
    local conf = fake.sessions[1].conf
    assert.are.equal(URL, conf.base_url)
    assert.are.equal(KEY, conf.authorization)
    assert.are.equal(4, conf.retries)
    assert.are.equal(KEY, dg.api_key)
  end)

  it("falls back to DATAGROK_URL, then DATAGROK_API_URL, and DATAGROK_API_KEY", function()
    set_env({ DATAGROK_URL = "https://one.test/api", DATAGROK_API_URL = "https://two.test/api",
      DATAGROK_API_KEY = "Bearer envkey" })
    client.connect()
    assert.are.equal("https://one.test/api", fake.sessions[1].conf.base_url)
    assert.are.equal("Bearer envkey", fake.sessions[1].conf.authorization)
    set_env({ DATAGROK_URL = "", DATAGROK_API_URL = "https://two.test/api", DATAGROK_API_KEY = "k" })
    client.connect{}
    assert.are.equal("https://two.test/api", fake.sessions[2].conf.base_url) -- empty counts as unset
  end)

  it("puts 'Bearer ' before a bare key, not before one that has it", function()
    set_env({ DATAGROK_URL = URL, DATAGROK_API_KEY = "bare" })
    client.connect()
    client.connect{ api_key = "bearer lower" }
    client.connect{ api_key = "Bearer upper" }
    assert.are.equal("Bearer bare", fake.sessions[1].conf.authorization)
    assert.are.equal("bearer lower", fake.sessions[2].conf.authorization)
    assert.are.equal("Bearer upper", fake.sessions[3].conf.authorization)
    assert.are.equal("Bearer bare", fake.sessions[1].conf.authorization)
  end)

  it("raises CONFIG naming the variables when no URL or no key is configured", function()
    set_env({ DATAGROK_API_KEY = "k", DATAGROK_URL = "" })
    local ok, err = pcall(client.connect)
    assert.is_false(ok)
    assert.is_true(fake.Error.is(err))
    assert.are.equal("CONFIG", err.code)
    assert.matches("DATAGROK_URL", err.message)
    assert.matches("DATAGROK_API_URL", err.message)
    set_env({ DATAGROK_URL = URL, DATAGROK_API_KEY = "" })
    ok, err = pcall(client.connect)
    assert.is_false(ok)
    assert.are.equal("CONFIG", err.code)
    assert.matches("DATAGROK_API_KEY", err.message)
    assert.are.equal(0, #fake.sessions)
    assert.has_error(function() client.connect("url") end,
      "bad argument #1 to 'connect' (table expected, got string)")
  end)

  it("never shows a key that came from the environment", function()
    set_env({ DATAGROK_URL = URL, DATAGROK_API_KEY = "env-s3cret" })
    local dg = client.connect()
    assert.are.equal("Bearer env-s3cret", dg.api_key)
    assert.is_nil(shown(dg):find("s3cret", 1, true))
  end)
end)

describe("client methods", function()
  local dg
  before_each(function() dg = client.new(KEY, URL) end)

  it("wraps lookup_groups and list_groups answers as Group objects", function()
    fake.replies.lookup_groups = { wire_group("g1", "Chemists", { friendlyName = "Chem" }), wire_group("g2", "Biologists") }
    local groups = dg:lookup_groups("ist")
    assert.are.same({ "ist", n = 1 }, fake.call("lookup_groups").args)
    assert.are.equal(2, #groups)
    assert.is_true(group.is_group(groups[1]))
    assert.are.equal("Chem", groups[1].friendly_name)
    assert.are.equal("Group<Biologists, members not loaded>", tostring(groups[2])) -- a lookup
    fake.replies.list_groups = nil -- an empty answer: no groups
    assert.are.same({}, dg:list_groups())
  end)

  it("reads trailing options positionally or from one table", function()
    fake.replies.list_groups = {}
    dg:list_groups("smart", true)
    dg:list_groups{ smart_filter = "smart", include_members = true, include_memberships = false }
    dg:list_groups()
    local calls = fake.calls_of("list_groups")
    assert.are.same({ "smart", true, nil, nil, n = 4 }, calls[1].args)
    assert.are.same({ "smart", nil, true, false, n = 4 }, calls[2].args)
    assert.are.same({ n = 4 }, calls[3].args)
  end)

  it("takes a group id or a Group object wherever a group is named", function()
    fake.replies.get_group = wire_group("g1", "Chemists")
    fake.replies.get_group_members = { wire_group("a", "alice") }
    fake.replies.get_group_memberships = {}
    local g = dg:get_group("g1")
    dg:get_group(g)
    local members = dg:get_group_members(g, true)
    dg:get_group_memberships("g1", { admin = false })
    local calls = fake.calls_of("get_group")
    assert.are.same({ "g1", n = 1 }, calls[1].args)
    assert.are.same({ "g1", n = 1 }, calls[2].args)
    assert.are.same({ "g1", true, n = 2 }, fake.call("get_group_members").args)
    assert.are.same({ "g1", false, n = 2 }, fake.call("get_group_memberships").args)
    assert.are.equal("alice", members[1].name)
  end)

  it("wraps membership requests and the current user's group", function()
    fake.replies.request_group_membership = { id = "q1", approved = null, to = wire_group("g1", "Chemists") }
    fake.replies.get_group_membership_requests = { { id = "q1" } }
    fake.replies.get_current_user_group = wire_group("me", "alice", { personal = true })
    local r = dg:request_group_membership("g1")
    assert.are.equal("GroupMembershipRequest<? -> Chemists pending>", tostring(r))
    assert.are.equal("q1", dg:get_group_membership_requests("g1")[1].id)
    local me = dg:get_current_user_group()
    assert.is_true(me.personal)
    assert.are.equal("alice", me.name)
  end)

  it("saves a table of fields as a new group with a generated id, without relations by default", function()
    fake.replies.save_group = function(d) return d end
    local saved = dg:save_group{ name = "Team", description = "d" }
    local call = fake.call("save_group")
    assert.are.equal(false, call.args[2])
    local payload = call.args[1]
    assert.are.equal(uuid(1), payload.id)
    assert.are.equal("Team", payload.name)
    assert.are.equal("d", payload.description)
    assert.are.equal(null, payload.friendlyName)
    assert.is_true(group.is_group(saved))
    assert.are.equal(uuid(1), saved.id)
  end)

  it("saves a Group with relations when asked positionally or by option", function()
    fake.replies.save_group = function(d) return d end
    local g = dg:new_group{ name = "Team" }
    dg:save_group(g, true)
    dg:save_group(g, { save_relations = true })
    dg:save_group(g, "yes") -- only true asks for relations
    local calls = fake.calls_of("save_group")
    assert.are.equal(true, calls[1].args[2])
    assert.are.equal(true, calls[2].args[2])
    assert.are.equal(false, calls[3].args[2])
    assert.are.equal(g.id, calls[1].args[1].id)
    assert.has_error(function() dg:save_group("Team") end,
      "bad argument #1 to 'save_group' (Group expected, got string)")
    assert.are.equal(3, #fake.calls_of("save_group"))
  end)

  it("passes named options of the other operations to the session", function()
    dg:share_dashboard("d1", "Chemists", "Edit")
    dg:share_dashboard("d1", { "Chemists" }, { access = "View" })
    dg:create_dashboard("Dash", { "t1" }, { layout_filename = "l.json" })
    dg:download_file("System:Demo", "a.csv", { to = "/tmp/a.csv" })
    dg:download_file("System:Demo", "a.csv")
    local share = fake.calls_of("share_dashboard")
    assert.are.same({ "d1", "Chemists", "Edit", n = 3 }, share[1].args)
    assert.are.same({ "View", n = 1 }, { share[2].args[3], n = 1 })
    assert.are.same({ "Dash", { "t1" }, "l.json", n = 3 }, fake.call("create_dashboard").args)
    local dl = fake.calls_of("download_file")
    assert.are.same({ "System:Demo", "a.csv", "/tmp/a.csv", n = 3 }, dl[1].args)
    assert.are.same({ "System:Demo", "a.csv", nil, n = 3 }, dl[2].args)
  end)

  it("delegates other operations to the session, and nothing private", function()
    fake.replies.call_function = 42
    fake.replies.upload_table = { ID = "t1" }
    assert.are.equal(42, dg:call_function("Abs", { x = -42 }))
    assert.are.same({ ID = "t1" }, dg:upload_table("name", "/tmp/x.csv"))
    assert.are.same({ "Abs", { x = -42 }, n = 2 }, fake.call("call_function").args)
    -- sync_dir passes every argument through
    dg:sync_dir("C", "/r", "/d", { dry_run = true })
    assert.are.same({ "C", "/r", "/d", { dry_run = true }, n = 4 }, fake.call("sync_dir").args)
    -- a session operation without a wrapper is reached by name, with the session as self
    assert.is_function(dg.delete_file)
    dg:delete_file("C", "x")
    assert.are.equal(dg._session, fake.call("delete_file").session)
    assert.is_nil(dg._private)
    assert.is_nil(dg.no_such_operation)
  end)

  it("gives each client its own session when delegating", function()
    local other = client.new(KEY, "https://other.test/api")
    dg:delete_file("C", "a")
    other:delete_file("C", "b")
    local calls = fake.calls_of("delete_file")
    assert.are.equal(dg._session, calls[1].session)
    assert.are.equal(other._session, calls[2].session)
  end)

  it("has a files sub-client made once, on first use", function()
    fake.replies.list_files = { { path = "a.txt" } }
    local files = dg.files
    assert.are.equal(files, dg.files)
    assert.are.same({ { path = "a.txt" } }, files:list("C", "dir"))
    files:list("C")
    files:delete("C", "a.txt")
    files:download("C", "a.txt", { to = "/tmp/a" })
    files:upload("C", "b.txt", "/tmp/b")
    local list = fake.calls_of("list_files")
    assert.are.same({ "C", "dir", false, n = 3 }, list[1].args)
    assert.are.same({ "C", nil, false, n = 3 }, list[2].args)
    assert.are.same({ "C", "a.txt", n = 2 }, fake.call("delete_file").args)
    assert.are.same({ "C", "a.txt", "/tmp/a", n = 3 }, fake.call("download_file").args)
    assert.are.same({ "C", "b.txt", "/tmp/b", n = 3 }, fake.call("upload_file").args)
  end)

  it("completes the Lua methods, sub-clients, api_key and the session's operations", function()
    local names = client.Client.__complete(dg)
    local set = {}
    for _, n in ipairs(names) do
      assert.is_nil(set[n], "listed twice: " .. n)
      set[n] = true
    end
    for _, n in ipairs({ "api_key", "files", "new_group", "save_group", "lookup_groups", "close", "url",
      "delete_file", "list_files" }) do
      assert.is_true(set[n], n)
    end
  end)
end)
