-- scripts/provision-groups.lua against the emulator: the plan and its dry run,
-- applying it, a second run that changes nothing, admin flags, --prune, members the
-- spec does not list kept, a failing item reported while the rest applies (exit 6),
-- a JSON spec, bad specs, and cron-like conditions with a profile.
local emulator = require "emulator"
local tree = require "synctree"
local wf = require "workflow"
local json = emulator.json

local e, home, dir, n = nil, nil, nil, 0

local function provision(args, env) return wf.cron(home, "provision-groups.lua", args, env) end

-- The emulator's groups by name, with their members: {name -> {login or group name -> admin}}.
local function server()
  local groups = json.decode(emulator.read_file(e.data .. "/state/groups.json"))
  local rels = json.decode(emulator.read_file(e.data .. "/state/relations.json"))
  local out = {}
  for _, g in pairs(groups) do out[g.name] = {description = g.description, members = {}} end
  for _, r in pairs(rels) do
    local p, c = groups[r.parent], groups[r.child]
    if p and c then out[p.name].members[c.name] = r.isAdmin == true end
  end
  return out
end

local function spec(text, ext)
  n = n + 1
  local path = ("%s/spec%d.%s"):format(dir, n, ext or "lua")
  tree.write(path, text)
  return path
end

setup(function()
  e = emulator.start{demo = true, faults = true}
  home = wf.home(e)
  dir = tree.tmpdir()
end)
teardown(function()
  if e then e:stop() end
  tree.rm(home)
  tree.rm(dir)
end)
before_each(function() e:clear_faults() end)

describe("provision-groups", function()
  it("prints the plan in a dry run, applies it, and a second run changes nothing", function()
    local path = spec([[return {groups = {
      {name = "Assay team", description = "plate readers", admins = {"alice"},
       members = {"bob", "group:Chemists"}},
      {name = "Reviewers", members = {"group:Assay team", "user:admin"}},
    }}]])
    local dry = provision({path, "--dry-run"})
    assert.are.equal(0, dry.code, dry.stderr)
    assert.are.equal(table.concat({
      "provision-groups: 7 changes (dry run: none is applied)",
      "  + create group 'Assay team' (plate readers)",
      "  + create group 'Reviewers'",
      "  + 'Assay team': add user bob",
      "  + 'Assay team': add group Chemists",
      "  + 'Assay team': add user alice as admin",
      "  + 'Reviewers': add group Assay team",
      "  + 'Reviewers': add user admin",
      "provision-groups: dry run, nothing applied", ""}, "\n"), dry.stdout)
    assert.is_nil(server()["Assay team"])

    e:clear_requests()
    local r = provision({path})
    assert.are.equal(0, r.code, r.stdout .. r.stderr)
    assert.matches("provision%-groups: 7 of 7 applied, 0 failed\n$", r.stdout)
    -- users are resolved by login through dg.users (GET /users/<login>), not by group names
    local asked = {}
    for _, rq in ipairs(e:requests()) do asked[rq.method .. " " .. rq.path] = true end
    for _, login in ipairs({"alice", "bob", "admin"}) do
      assert.is_true(asked["GET /public/v1/users/" .. login], login)
    end
    local s = server()
    assert.are.equal("plate readers", s["Assay team"].description)
    assert.are.same({alice = true, bob = false, Chemists = false}, s["Assay team"].members)
    assert.are.same({["Assay team"] = false, admin = false}, s["Reviewers"].members)

    local again = provision({path})
    assert.are.equal(0, again.code, again.stderr)
    assert.are.equal("provision-groups: nothing to do\nprovision-groups: the server already matches "
      .. path .. "\n", again.stdout)
  end)

  it("fixes admin flags and descriptions, keeps unlisted members unless --prune", function()
    local path = spec([[return {groups = {
      {name = "Assay team", description = "plate readers and results", admins = {"bob"},
       members = {"alice"}},
    }}]])
    local r = provision({path})
    assert.are.equal(0, r.code, r.stdout .. r.stderr)
    assert.matches("~ 'Assay team': description 'plate readers' %-> 'plate readers and results'", r.stdout)
    assert.matches("~ 'Assay team': user alice admin %-> member", r.stdout)
    assert.matches("~ 'Assay team': user bob member %-> admin", r.stdout)
    assert.is_nil(r.stdout:find("remove", 1, true))
    local s = server()
    assert.are.same({alice = false, bob = true, Chemists = false}, s["Assay team"].members)
    -- Reviewers still holds Assay team: editing Assay team's members dropped none of its memberships
    assert.are.equal(false, s["Reviewers"].members["Assay team"])

    r = provision({path, "--prune", "--dry-run"})
    assert.are.equal(0, r.code)
    assert.matches("%- 'Assay team': remove group Chemists\n", r.stdout)
    assert.is_false(server()["Assay team"].members.Chemists)
    r = provision({path, "--prune"})
    assert.are.equal(0, r.code, r.stdout .. r.stderr)
    assert.are.same({alice = false, bob = true}, server()["Assay team"].members)
    assert.are.equal(false, server()["Reviewers"].members["Assay team"])
  end)

  it("reports a failing change, applies the others and exits 6", function()
    local path = spec([[return {groups = {
      {name = "Field team", members = {"alice", "nobody-such", "bob"}},
    }}]])
    -- a dry run reports it too; nothing else ran, so its own code (CONFIG: 2) is the run's
    local dry = provision({path, "--dry-run"})
    assert.are.equal(2, dry.code)
    assert.matches("  ! 'Field team': member 'nobody%-such'\n", dry.stdout)
    assert.matches("FAILED ! 'Field team': member 'nobody%-such': CONFIG: 'Field team': cannot add "
      .. "nobody%-such: no user or group named 'nobody%-such'\n", dry.stdout)
    local r = provision({path})
    assert.are.equal(6, r.code, r.stdout .. r.stderr)
    assert.matches("provision%-groups: 3 of 4 applied, 1 failed\n$", r.stdout)
    assert.are.same({alice = false, bob = false}, server()["Field team"].members)
  end)

  it("goes on past a server failure of one change (exit 6), then a re-run completes it", function()
    local path = spec([[return {groups = {{name = "Night shift", members = {"alice", "bob"}}}}]])
    assert.are.equal(0, provision({path}).code)
    local path2 = spec([[return {groups = {
      {name = "Night shift", members = {"alice", "bob", "admin"}},
      {name = "Day shift", members = {"bob"}},
    }}]])
    e:fault{prefix = "/public/v1/groups", method = "POST", count = 1, action = "status", status = 500}
    local r = provision({path2})
    assert.are.equal(6, r.code, r.stdout .. r.stderr)
    assert.matches("FAILED %+ create group 'Day shift': HTTP_500", r.stdout)
    -- adding bob to the group that could not be created fails too; Night shift's change lands
    assert.matches("FAILED %+ 'Day shift': add user bob: CONFIG: group 'Day shift' does not exist", r.stdout)
    assert.matches("1 of 3 applied, 2 failed", r.stdout)
    assert.are.same({alice = false, bob = false, admin = false}, server()["Night shift"].members)
    r = provision({path2})
    assert.are.equal(0, r.code, r.stdout .. r.stderr)
    assert.are.same({bob = false}, server()["Day shift"].members)
    assert.are.same({alice = false, bob = false, admin = false}, server()["Night shift"].members)
  end)

  it("reads a JSON spec", function()
    local path = spec(json.encode({groups = {{name = "Json team", admins = {"bob"}}}}), "json")
    local r = provision({path})
    assert.are.equal(0, r.code, r.stdout .. r.stderr)
    assert.are.same({bob = true}, server()["Json team"].members)
  end)

  it("rejects a bad spec with one line and exit 2, before any change", function()
    local r = provision({spec([[return {groups = {{name = "X", memebers = {"alice"}}}}]])})
    assert.are.equal(2, r.code)
    assert.matches("^provision%-groups%.lua: CONFIG: .-spec%d+%.lua: groups%[1%]: unknown field 'memebers' "
      .. "%(fields: admins, description, friendly_name, members, name%)\n$", r.stderr)
    r = provision({spec([[return {groups = {{name = "X", members = "alice,bob", admins = {3}}}}]])})
    assert.are.equal(2, r.code)
    assert.matches("groups%[1%] %(X%)%.admins%[1%]: expected a non%-empty name", r.stderr)
    r = provision({spec("{", "json")})
    assert.are.equal(2, r.code)
    assert.matches("is not valid JSON", r.stderr)
    r = provision({})
    assert.are.equal(2, r.code)
    assert.are.equal("provision-groups: SPEC is required (see provision-groups --help)\n", r.stderr)
    assert.is_nil(server().X)
  end)

  it("never shows the key", function()
    local log = dir .. "/prov.log"
    local r = provision({spec([[return {groups = {{name = "Quiet", members = {"bob"}}}}]]),
      "--log-level", "debug", "--log-file", log})
    assert.are.equal(0, r.code, r.stderr)
    for _, s in ipairs({r.stdout, r.stderr, tree.read(log)}) do assert.is_nil(s:find(e.key, 1, true)) end
  end)
end)
